/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clearnet-portal-check: the parts that decide, apart from the network code so that a
 * unit test (tests/unit/test-portal.c) exercises them without a server.
 *
 *   - the Date: parser (RFC 7231 IMF-fixdate only, strict, bounded to a sane range);
 *   - URL validation (the same rules as clearnet-nsd's app_url_is_valid and the
 *     unsafe-browser launcher, so that a portal URL printed here is one they accept) and
 *     the resolution of a Location: against the check URL;
 *   - the incremental comparison of the body with the expected one, as NetworkManager
 *     makes it (src/core/nm-connectivity.c, easy_write_cb), reading no more than needed;
 *   - the outcome, from what the transfer gave.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits */
#define PORTAL_URL_MAX          2048        /* a URL we take or print (app_url_is_valid's) */
#define PORTAL_EXPECT_MAX       256         /* the expected body (nsd's [portal] expect) */
#define PORTAL_TRAIL_MAX        64          /* whitespace read after the expected body */
#define PORTAL_EMPTY_BODY_MAX   (64 * 1024) /* read when the expected body is empty */
#define PORTAL_HEADERS_MAX      (32 * 1024) /* all header lines of the response together */
#define PORTAL_TIMEOUT_DEFAULT  10
#define PORTAL_TIMEOUT_MAX      60

/* NetworkManager's Fedora configuration (NetworkManager's own
 * contrib/fedora/rpm/20-connectivity-fedora.conf, shipped by Fedora's
 * NetworkManager-config-connectivity-fedora; Tails' tails-get-network-time.conf). */
#define PORTAL_DEFAULT_URL      "http://fedoraproject.org/static/hotspot.txt"
#define PORTAL_DEFAULT_EXPECT   "OK"

/* Dates accepted from Date: [2024-01-01T00:00:00Z, 2100-01-01T00:00:00Z) */
#define PORTAL_DATE_MIN         INT64_C(1704067200)
#define PORTAL_DATE_MAX         INT64_C(4102444800)

/* Exit statuses (the contract with clearnet-nsd) */
enum portal_exit {
        PORTAL_EXIT_ONLINE       = 0,
        PORTAL_EXIT_PORTAL       = 1,
        PORTAL_EXIT_OFFLINE      = 2,
        PORTAL_EXIT_DNS_FAILURE  = 3,
        PORTAL_EXIT_TIME_INVALID = 4,
        PORTAL_EXIT_USAGE        = 64,
        PORTAL_EXIT_SOFTWARE     = 70,  /* could not even try (out of memory, libcurl init) */
};

enum portal_outcome {
        PORTAL_ONLINE,
        PORTAL_PORTAL,
        PORTAL_OFFLINE,
        PORTAL_DNS_FAILURE,
};

const char *portal_outcome_name(enum portal_outcome o);
int portal_outcome_exit(enum portal_outcome o);

/* ---- Date: ---------------------------------------------------------------------------
 * value/len: the header's field value, with or without surrounding whitespace and CRLF
 * (any byte may occur, NUL included). Only IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT")
 * is accepted: exact case, two-digit fields, a real calendar date whose weekday matches,
 * hours 00-23, minutes and seconds 00-59, within [PORTAL_DATE_MIN, PORTAL_DATE_MAX).
 * Returns 0 and *ret = UTC seconds since the epoch, or -EINVAL (malformed) or -ERANGE
 * (well-formed but outside the range). */
int portal_parse_date(const char *value, size_t len, int64_t *ret);

/* ---- URLs ----------------------------------------------------------------------------
 * What clearnet-nsd's app_url_is_valid accepts: http:// or https:// (any case), then
 * a host (not '/', '?', '#' or nothing), at most PORTAL_URL_MAX bytes, every byte
 * printable ASCII other than space, '"', '\\', '<', '>' and '`'. */
bool portal_url_is_valid(const char *url);

/* Resolve the Location: field value loc/len (surrounding whitespace ignored) against the
 * absolute URL base, as a browser would (RFC 3986 reference resolution, through libcurl's
 * URL API), into out (PORTAL_URL_MAX + 1 bytes). Returns 0 if the result is a valid URL
 * (portal_url_is_valid), else -EINVAL (empty, a byte that is not printable ASCII,
 * another scheme, too long, unparsable). */
int portal_resolve_location(const char *base, const char *loc, size_t len, char out[PORTAL_URL_MAX + 1]);

/* ---- The body ------------------------------------------------------------------------
 * Fed with the body as it arrives; tells when the answer is known, so that the transfer
 * stops there (NetworkManager stops reading as soon as it can decide too). */
enum portal_body_state {
        PORTAL_BODY_PENDING,    /* a prefix of the expected body so far: keep reading */
        PORTAL_BODY_MATCH,      /* the expected body, then only whitespace so far */
        PORTAL_BODY_MISMATCH,   /* something else: decided */
};

struct portal_body {
        const char *expect;     /* not owned */
        size_t expect_len;
        size_t seen;            /* bytes fed */
        size_t limit;           /* bytes worth reading at all */
        enum portal_body_state state;
};

void portal_body_init(struct portal_body *b, const char *expect);
/* Feed len bytes. Returns true while more bytes could change the answer (keep reading),
 * false once it is decided (stop the transfer). */
bool portal_body_feed(struct portal_body *b, const void *data, size_t len);

/* ---- The outcome ---------------------------------------------------------------------- */
enum portal_transfer {
        PORTAL_XFER_DONE,        /* the response was read to its end */
        PORTAL_XFER_STOPPED,     /* we stopped it: decided, or too much header data */
        PORTAL_XFER_RESOLVE,     /* the host name did not resolve (or not in time) */
        PORTAL_XFER_FAILED,      /* anything else: refused, unreachable, timeout, TLS, reset */
};

struct portal_result {
        enum portal_transfer transfer;
        long status;             /* HTTP status of the final response, 0 if none came */
        bool headers_overflow;   /* more than PORTAL_HEADERS_MAX bytes of headers */
        unsigned n_location;     /* Location: fields in the final response */
        bool location_valid;     /* exactly one, and it resolved to a valid URL */
        bool expect_empty;       /* the expected body is "" (then 204, or 200 and nothing) */
        size_t body_len;         /* body bytes seen */
        enum portal_body_state body;
};

enum portal_portal_url {
        PORTAL_URL_NONE,         /* not a portal */
        PORTAL_URL_LOCATION,     /* the resolved Location: */
        PORTAL_URL_CHECK,        /* the check URL itself (what a portal intercepts) */
        PORTAL_URL_INVALID,      /* a redirect to somewhere unusable: print "-" */
};

/* Decide. *url says which URL goes with a portal outcome; *why, a short static reason. */
enum portal_outcome portal_classify(const struct portal_result *r, enum portal_portal_url *url, const char **why);
