/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clearnet-portal-check: the deciding parts (see portal-core.h). No I/O here. */
#include "portal-core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"

const char *portal_outcome_name(enum portal_outcome o) {
        switch (o) {
        case PORTAL_ONLINE:      return "online";
        case PORTAL_PORTAL:      return "portal";
        case PORTAL_OFFLINE:     return "offline";
        case PORTAL_DNS_FAILURE: return "dns-failure";
        }
        return "offline";
}

int portal_outcome_exit(enum portal_outcome o) {
        switch (o) {
        case PORTAL_ONLINE:      return PORTAL_EXIT_ONLINE;
        case PORTAL_PORTAL:      return PORTAL_EXIT_PORTAL;
        case PORTAL_OFFLINE:     return PORTAL_EXIT_OFFLINE;
        case PORTAL_DNS_FAILURE: return PORTAL_EXIT_DNS_FAILURE;
        }
        return PORTAL_EXIT_OFFLINE;
}

static bool is_ows(char c) {
        return c == ' ' || c == '\t';
}

/* Trim optional whitespace and a line end (CR, LF) on both sides. */
static void trim(const char **s, size_t *len) {
        while (*len > 0 && (is_ows(**s) || **s == '\r' || **s == '\n')) {
                (*s)++;
                (*len)--;
        }
        while (*len > 0 && (is_ows((*s)[*len - 1]) || (*s)[*len - 1] == '\r' || (*s)[*len - 1] == '\n'))
                (*len)--;
}

/* ---- Date: --------------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil), for any year we accept. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned) (y - era * 400);
        unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

static bool is_leap(unsigned y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n ASCII digits at s, or -1 */
static int digits(const char *s, unsigned n) {
        int v = 0;
        for (unsigned i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

int portal_parse_date(const char *value, size_t len, int64_t *ret) {
        static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (!value)
                return -EINVAL;
        const char *s = value;
        trim(&s, &len);
        /* "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 bytes; checking the length first
         * makes every index below in bounds, and a NUL anywhere fails a comparison. */
        if (len != 29)
                return -EINVAL;
        if (s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
            s[19] != ':' || s[22] != ':' || s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
                return -EINVAL;
        int wday = -1, mon = -1;
        for (int i = 0; i < 7; i++)
                if (memcmp(s, wdays[i], 3) == 0)
                        wday = i;
        for (int i = 0; i < 12; i++)
                if (memcmp(s + 8, months[i], 3) == 0)
                        mon = i;
        int day = digits(s + 5, 2), year = digits(s + 12, 4);
        int hour = digits(s + 17, 2), min = digits(s + 20, 2), sec = digits(s + 23, 2);
        if (wday < 0 || mon < 0 || day < 1 || year < 0 || hour < 0 || hour > 23 ||
            min < 0 || min > 59 || sec < 0 || sec > 59)
                return -EINVAL;
        unsigned dim = mdays[mon] + (mon == 1 && is_leap((unsigned) year));
        if ((unsigned) day > dim)
                return -EINVAL;
        int64_t days = days_from_civil(year, (unsigned) mon + 1, (unsigned) day);
        /* 1970-01-01 was a Thursday (4) */
        if ((int) (((days % 7) + 7 + 4) % 7) != wday)
                return -EINVAL;
        int64_t t = days * 86400 + hour * 3600 + min * 60 + sec;
        if (t < PORTAL_DATE_MIN || t >= PORTAL_DATE_MAX)
                return -ERANGE;
        *ret = t;
        return 0;
}

/* ---- URLs ----------------------------------------------------------------------------- */

bool portal_url_is_valid(const char *url) {
        return url_is_http(url, PORTAL_URL_MAX);
}

int portal_resolve_location(const char *base, const char *loc, size_t len, char out[PORTAL_URL_MAX + 1]) {
        out[0] = '\0';
        if (!base || !loc)
                return -EINVAL;
        trim(&loc, &len);
        if (len == 0 || len > PORTAL_URL_MAX)
                return -EINVAL;
        /* Whatever libcurl's parser would make of them: no byte outside printable ASCII
         * (NUL included), no space, no quote or angle bracket. */
        for (size_t i = 0; i < len; i++)
                if (!url_char_is_safe((unsigned char) loc[i]))
                        return -EINVAL;

        char ref[PORTAL_URL_MAX + 1];
        memcpy(ref, loc, len);
        ref[len] = '\0';

        int r = -EINVAL;
        char *abs = NULL;
        CURLU *u = curl_url();
        if (!u)
                return -ENOMEM;
        /* A relative reference set on a handle that holds an absolute URL is resolved
         * against it (RFC 3986 section 5); an absolute one replaces it. Only http and
         * https can come out (the default flags refuse schemes libcurl does not know,
         * and the check below the ones it knows but we do not take). */
        if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK && abs &&
            portal_url_is_valid(abs)) {
                memcpy(out, abs, strlen(abs) + 1);
                r = 0;
        }
        curl_free(abs);
        curl_url_cleanup(u);
        return r;
}

/* ---- The body ------------------------------------------------------------------------- */

void portal_body_init(struct portal_body *b, const char *expect) {
        *b = (struct portal_body) {
                .expect = expect,
                .expect_len = strlen(expect),
        };
        b->limit = b->expect_len + PORTAL_TRAIL_MAX;
        b->state = b->expect_len == 0 ? PORTAL_BODY_MATCH : PORTAL_BODY_PENDING;
}

static bool is_trailing_space(unsigned char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool portal_body_feed(struct portal_body *b, const void *data, size_t len) {
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++) {
                if (b->state == PORTAL_BODY_MISMATCH || b->seen >= b->limit)
                        return false;
                if (b->seen < b->expect_len) {
                        if (p[i] != (unsigned char) b->expect[b->seen]) {
                                b->state = PORTAL_BODY_MISMATCH;
                                return false;
                        }
                        b->seen++;
                        if (b->seen == b->expect_len)
                                b->state = PORTAL_BODY_MATCH;
                } else if (b->expect_len > 0 && is_trailing_space(p[i])) {
                        /* NetworkManager ignores whatever follows the expected body; we
                         * take a line end or spaces, a little of it. */
                        b->seen++;
                } else {
                        /* Another byte after the expected body, or any byte at all where
                         * none was expected. */
                        b->state = PORTAL_BODY_MISMATCH;
                        return false;
                }
        }
        return b->state != PORTAL_BODY_MISMATCH && b->seen < b->limit;
}

/* ---- The outcome ---------------------------------------------------------------------- */

enum portal_outcome portal_classify(const struct portal_result *r, enum portal_portal_url *url, const char **why) {
        const char *dummy;
        if (!why)
                why = &dummy;
        *url = PORTAL_URL_NONE;

        if (r->transfer == PORTAL_XFER_RESOLVE) {
                *why = "the host name did not resolve";
                return PORTAL_DNS_FAILURE;
        }
        bool ok2xx = r->status >= 200 && r->status <= 299;
        if (r->transfer == PORTAL_XFER_FAILED) {
                /* NetworkManager has decided "full" as soon as the expected body was
                 * there, whatever happens to the connection afterwards; any other
                 * failure is "limited" to it: no usable answer. */
                if (ok2xx && !r->expect_empty && r->body == PORTAL_BODY_MATCH && !r->headers_overflow) {
                        *why = "the expected body (the connection failed after it)";
                        return PORTAL_ONLINE;
                }
                *why = r->status ? "the connection failed during the response" : "no HTTP response";
                return PORTAL_OFFLINE;
        }
        if (r->status < 100) {
                *why = "no HTTP response";
                return PORTAL_OFFLINE;
        }
        bool redirect = r->status >= 300 && r->status <= 399;
        if (r->headers_overflow) {
                *url = redirect ? PORTAL_URL_INVALID : PORTAL_URL_CHECK;
                *why = "oversized response headers";
                return PORTAL_PORTAL;
        }
        if (redirect) {
                if (r->n_location == 0) {
                        *url = PORTAL_URL_CHECK;
                        *why = "a redirect without a Location";
                } else if (r->n_location > 1 || !r->location_valid) {
                        *url = PORTAL_URL_INVALID;
                        *why = r->n_location > 1 ? "a redirect with several Locations" : "a redirect to an unusable URL";
                } else {
                        *url = PORTAL_URL_LOCATION;
                        *why = "a redirect";
                }
                return PORTAL_PORTAL;
        }
        if (r->expect_empty) {
                if (r->status == 204 || (r->status == 200 && r->body_len == 0)) {
                        *why = r->status == 204 ? "no content, as expected" : "an empty body, as expected";
                        return PORTAL_ONLINE;
                }
                *url = PORTAL_URL_CHECK;
                *why = "content where none was expected";
                return PORTAL_PORTAL;
        }
        if (ok2xx && r->body == PORTAL_BODY_MATCH) {
                *why = "the expected body";
                return PORTAL_ONLINE;
        }
        *url = PORTAL_URL_CHECK;
        if (!ok2xx)
                *why = "an unexpected HTTP status";
        else if (r->body == PORTAL_BODY_PENDING)
                *why = "a body shorter than the expected one";
        else
                *why = "an unexpected body";
        return PORTAL_PORTAL;
}
