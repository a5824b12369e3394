/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clearnet-portal-check [--url URL] [--expect BODY] [--timeout SECONDS] [--time] [--verbose]
 *
 * One HTTP request that looks like NetworkManager's connectivity check on Fedora
 * (src/core/nm-connectivity.c, do_curl_request, with Fedora's 20-connectivity-fedora.conf):
 *
 *     GET /static/hotspot.txt HTTP/1.1
 *     Host: fedoraproject.org
 *     Accept: * / *            (libcurl's default, without the spaces)
 *     Connection: close
 *
 * and nothing else: no User-Agent (NetworkManager never sets CURLOPT_USERAGENT, and
 * libcurl sends none then), no Accept-Encoding, no cookies, over IPv4 (NetworkManager
 * checks each address family apart; the clearnet namespace has only IPv4). Like
 * NetworkManager, it stops reading as soon as the answer is known, and follows no redirect.
 *
 * Output: exactly one line on stdout, then the exit status (the contract with
 * clearnet-nsd, which runs this as the [app portal-check] user to set the clock):
 *     online             0   the expected body (then only whitespace)
 *     portal URL         1   a redirect (URL: its Location, made absolute), or another
 *                            answer (URL: the check URL itself, which a portal intercepts)
 *     portal -           1   a redirect to somewhere unusable (not http/https, too long,
 *                            not printable ASCII, several Locations, oversized headers)
 *     offline            2   no route, refused, timeout, TLS failure, reset, no HTTP
 *     dns-failure        3   the host name did not resolve
 * With --time, a second line: "time SECONDS" (the response's Date:, UTC seconds since the
 * epoch), or "time-invalid" and exit status 4 whatever the outcome, when Date: is absent,
 * repeated, not an IMF-fixdate or outside [2024-01-01, 2100-01-01).
 * Usage errors: one line on stderr, status 64. Could not even try (no memory, libcurl
 * would not start): one line on stderr, status 70, nothing on stdout.
 *
 * Bounds: everything within --timeout (default 10 s, at most 60), name resolution and
 * connection included; at most PORTAL_HEADERS_MAX bytes of headers and a few bytes of
 * body beyond the expected one; http and https only; no proxy from the environment; no
 * file read or written (no cookie jar, HSTS or alt-svc cache, no .netrc).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <curl/curl.h>

#include "portal-core.h"

#define PROG "clearnet-portal-check"

static bool verbose;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
        if (!verbose)
                return;
        va_list ap;
        va_start(ap, fmt);
        fputs(PROG ": ", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* LeakSanitizer stops the process's threads with ptrace, which clearnet-nsd's seccomp
 * filter refuses: in a sanitizer build, leak checking is skipped where it cannot work
 * (under a seccomp filter) rather than failing the run; it still runs everywhere else
 * (the unit test, a check run outside the sandbox). */
#if defined(__SANITIZE_ADDRESS__)
#define PORTAL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PORTAL_ASAN 1
#endif
#endif
#ifdef PORTAL_ASAN
static int under_seccomp;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) {
        return under_seccomp;
}
#endif

/* ---- What the transfer saw ------------------------------------------------------------ */

struct check {
        const char *url;
        struct portal_body body;
        long status;             /* of the response being read */
        size_t header_bytes;
        bool headers_overflow;
        bool stopped;            /* we ended the transfer from a callback */
        bool in_response;        /* a status line came; headers follow */
        bool between;            /* at the start, or after a response's blank line: the
                                  * next line is a status line (and only then) */
        unsigned n_location;
        bool location_valid;
        char location[PORTAL_URL_MAX + 1];
        unsigned n_date;
        bool date_valid;
        int64_t date;
        bool date_range;         /* well-formed but out of range */
        char last_header;        /* 'd' Date, 'l' Location, 0 other */
        size_t body_len;
};

/* "HTTP/1.1 302 Found", "HTTP/2 200": the status code, or 0 */
static long status_of(const char *line, size_t len) {
        if (len < 12 || memcmp(line, "HTTP/", 5) != 0)
                return 0;
        const char *sp = memchr(line, ' ', len < 16 ? len : 16);
        if (!sp || (size_t) (sp - line) + 4 > len)
                return 0;
        long code = 0;
        for (int i = 1; i <= 3; i++) {
                if (sp[i] < '0' || sp[i] > '9')
                        return 0;
                code = code * 10 + (sp[i] - '0');
        }
        return code;
}

/* name: value, name matched case-insensitively; returns the value (untrimmed) or NULL */
static const char *field(const char *line, size_t len, const char *name, size_t *vlen) {
        size_t n = strlen(name);
        if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
                return NULL;
        *vlen = len - n - 1;
        return line + n + 1;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata) {
        struct check *c = userdata;
        size_t len = size * nitems;

        c->header_bytes += len;
        if (c->header_bytes > PORTAL_HEADERS_MAX) {
                c->headers_overflow = true;
                c->stopped = true;
                return 0;
        }
        long st = c->between ? status_of(data, len) : 0;
        if (st) {
                /* A new response (after a 1xx one, or the first): only the final one's
                 * fields count. */
                c->status = st;
                c->in_response = true;
                c->between = false;
                c->n_location = c->n_date = 0;
                c->location_valid = c->date_valid = c->date_range = false;
                c->last_header = 0;
                return len;
        }
        if (len == 0)
                return len;
        if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
                /* End of this response's headers. A redirect is decided here: its body
                 * says nothing we need. */
                c->last_header = 0;
                c->between = true;
                if (c->status >= 300 && c->status <= 399) {
                        c->stopped = true;
                        return 0;
                }
                return len;
        }
        if (data[0] == ' ' || data[0] == '\t') {
                /* A folded continuation line: of Date: or Location:, it makes them
                 * unusable (we are strict); of anything else, it does not matter. */
                if (c->last_header == 'd')
                        c->date_valid = false;
                if (c->last_header == 'l')
                        c->location_valid = false;
                return len;
        }
        const char *v;
        size_t vlen;
        if ((v = field(data, len, "Date", &vlen))) {
                c->last_header = 'd';
                c->n_date++;
                int64_t t;
                int r = portal_parse_date(v, vlen, &t);
                c->date_valid = c->n_date == 1 && r == 0;
                c->date_range = r == -ERANGE;
                if (r == 0)
                        c->date = t;
        } else if ((v = field(data, len, "Location", &vlen))) {
                c->last_header = 'l';
                c->n_location++;
                c->location_valid = c->n_location == 1 &&
                        portal_resolve_location(c->url, v, vlen, c->location) == 0;
        } else {
                c->last_header = 0;
        }
        return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
        struct check *c = userdata;
        size_t len = size * nmemb;
        if (len == 0)
                return 0;
        c->body_len += len;
        if (!portal_body_feed(&c->body, data, len)) {
                c->stopped = true;
                return 0;  /* CURLE_WRITE_ERROR: decided, read no more */
        }
        return len;
}

/* ---- The request --------------------------------------------------------------------- */

#define SETOPT(h, opt, val)                                                               \
        do {                                                                              \
                CURLcode _e = curl_easy_setopt((h), (opt), (val));                        \
                if (_e != CURLE_OK) {                                                     \
                        fprintf(stderr, PROG ": libcurl: cannot set %s: %s\n", #opt,       \
                                curl_easy_strerror(_e));                                  \
                        goto fail;                                                        \
                }                                                                         \
        } while (0)

/* Returns the transfer kind, or -1 if the request could not even be set up. */
static int perform(struct check *c, unsigned timeout) {
        int ret = -1;
        struct curl_slist *headers = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        CURL *h = curl_easy_init();
        if (!h) {
                fprintf(stderr, PROG ": libcurl: cannot create a handle\n");
                return -1;
        }
        /* NetworkManager's only header; libcurl adds Host: and Accept: * / *. */
        headers = curl_slist_append(NULL, "Connection: close");
        if (!headers) {
                fprintf(stderr, PROG ": out of memory\n");
                goto fail;
        }
        SETOPT(h, CURLOPT_URL, c->url);
        SETOPT(h, CURLOPT_HTTPHEADER, headers);
        SETOPT(h, CURLOPT_IPRESOLVE, (long) CURL_IPRESOLVE_V4);
        /* Bounds and confinement */
        SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
        SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
        SETOPT(h, CURLOPT_MAXREDIRS, 0L);
        SETOPT(h, CURLOPT_TIMEOUT_MS, (long) timeout * 1000L);
        SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout * 1000L);
        SETOPT(h, CURLOPT_NOSIGNAL, 1L);
        SETOPT(h, CURLOPT_PROXY, "");            /* "": no proxy, environment ignored */
        SETOPT(h, CURLOPT_NOPROXY, "*");
        SETOPT(h, CURLOPT_NETRC, (long) CURL_NETRC_IGNORED);
        SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
        SETOPT(h, CURLOPT_HEADERDATA, c);
        SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
        SETOPT(h, CURLOPT_WRITEDATA, c);
        SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
        /* Not set, like NetworkManager: CURLOPT_USERAGENT (so no User-Agent: at all),
         * CURLOPT_ACCEPT_ENCODING, CURLOPT_COOKIEFILE/JAR, CURLOPT_HSTS, CURLOPT_ALTSVC,
         * CURLOPT_HTTP_VERSION (libcurl's default: HTTP/1.1, or HTTP/2 over TLS). */

        CURLcode e = curl_easy_perform(h);
        long code = 0;
        if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code > 0 && !c->in_response)
                c->status = code;
        if (c->stopped) {
                ret = PORTAL_XFER_STOPPED;
                note("transfer stopped after %zu header and %zu body bytes (HTTP %ld)",
                     c->header_bytes, c->body_len, c->status);
        } else if (e == CURLE_OK) {
                ret = PORTAL_XFER_DONE;
                note("HTTP %ld, %zu header and %zu body bytes", c->status, c->header_bytes, c->body_len);
        } else {
                /* A resolver that did not answer in time is a name that did not resolve
                 * either. libcurl tells that timeout from the others only in its message
                 * ("Resolving timed out after N milliseconds"). */
                if (e == CURLE_COULDNT_RESOLVE_HOST ||
                    (e == CURLE_OPERATION_TIMEDOUT && strncmp(errbuf, "Resolving timed out", 19) == 0))
                        ret = PORTAL_XFER_RESOLVE;
                else
                        ret = PORTAL_XFER_FAILED;
                note("libcurl: %s: %.200s (HTTP %ld)", curl_easy_strerror(e), errbuf, c->status);
        }
fail:
        curl_slist_free_all(headers);
        curl_easy_cleanup(h);
        return ret;
}

/* ---- Main ---------------------------------------------------------------------------- */

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void usage_error(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs(PROG ": ", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(" (usage: " PROG " [--url URL] [--expect BODY] [--timeout SECONDS] [--time] [--verbose])\n", stderr);
        exit(PORTAL_EXIT_USAGE);
}

static bool expect_is_valid(const char *s) {
        if (strlen(s) > PORTAL_EXPECT_MAX)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p > 0x7e)
                        return false;
        return true;
}

static const char help[] =
        "Usage: " PROG " [--url URL] [--expect BODY] [--timeout SECONDS] [--time] [--verbose]\n"
        "Check for a captive portal the way NetworkManager does (one GET of URL, default\n"
        PORTAL_DEFAULT_URL ", expecting the body BODY, default " PORTAL_DEFAULT_EXPECT ").\n"
        "Prints one line: online (0), portal URL|- (1), offline (2), dns-failure (3);\n"
        "with --time also \"time SECONDS\" from the Date: header, or \"time-invalid\" (4).\n";

int main(int argc, char **argv) {
        const char *url = PORTAL_DEFAULT_URL, *expect = PORTAL_DEFAULT_EXPECT;
        unsigned timeout = PORTAL_TIMEOUT_DEFAULT;
        bool want_time = false;

        static const struct option opts[] = {
                { "url",     required_argument, NULL, 'u' },
                { "expect",  required_argument, NULL, 'e' },
                { "timeout", required_argument, NULL, 't' },
                { "time",    no_argument,       NULL, 'T' },
                { "verbose", no_argument,       NULL, 'v' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        opterr = 0;
        int o;
        while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                switch (o) {
                case 'u':
                        url = optarg;
                        if (!portal_url_is_valid(url))
                                usage_error("--url: not an http:// or https:// URL of at most %d printable characters",
                                            PORTAL_URL_MAX);
                        break;
                case 'e':
                        expect = optarg;
                        if (!expect_is_valid(expect))
                                usage_error("--expect: at most %d printable ASCII characters", PORTAL_EXPECT_MAX);
                        break;
                case 't': {
                        char *end;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || optarg[0] < '0' || optarg[0] > '9' ||
                            v < 1 || v > PORTAL_TIMEOUT_MAX)
                                usage_error("--timeout: a whole number of seconds from 1 to %d", PORTAL_TIMEOUT_MAX);
                        timeout = (unsigned) v;
                        break;
                }
                case 'T':
                        want_time = true;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'h':
                        fputs(help, stdout);
                        return 0;
                default:
                        usage_error("unknown option or missing argument: '%.64s'", argv[optind > 1 ? optind - 1 : 1]);
                }
        }
        if (optind < argc)
                usage_error("unexpected argument '%.64s'", argv[optind]);

#ifdef PORTAL_ASAN
        under_seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2;
#endif
        /* Whatever a server sends, no core file is left behind. */
        (void) setrlimit(RLIMIT_CORE, &(struct rlimit) { 0, 0 });

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, PROG ": libcurl: cannot initialize\n");
                return PORTAL_EXIT_SOFTWARE;
        }

        struct check c = { .url = url, .between = true };
        portal_body_init(&c.body, expect);
        int x = perform(&c, timeout);
        if (x < 0) {
                curl_global_cleanup();
                return PORTAL_EXIT_SOFTWARE;
        }

        struct portal_result r = {
                .transfer = (enum portal_transfer) x,
                .status = c.status,
                .headers_overflow = c.headers_overflow,
                .n_location = c.n_location,
                .location_valid = c.location_valid,
                .expect_empty = expect[0] == '\0',
                .body_len = c.body_len,
                .body = c.body.state,
        };
        enum portal_portal_url which;
        const char *why;
        enum portal_outcome out = portal_classify(&r, &which, &why);
        note("%s: %s", portal_outcome_name(out), why);

        /* Both lines in one buffer, written at once. */
        char line[PORTAL_URL_MAX + 64];
        int n;
        if (out == PORTAL_PORTAL)
                n = snprintf(line, sizeof line, "portal %s\n",
                             which == PORTAL_URL_LOCATION ? c.location :
                             which == PORTAL_URL_CHECK ? url : "-");
        else
                n = snprintf(line, sizeof line, "%s\n", portal_outcome_name(out));
        int status = portal_outcome_exit(out);
        if (want_time) {
                bool ok = c.in_response && c.n_date == 1 && c.date_valid;
                if (verbose && !ok)
                        note("Date: %s", c.n_date == 0 ? "absent" : c.n_date > 1 ? "repeated" :
                                         c.date_range ? "out of range" : "malformed");
                if (ok)
                        n += snprintf(line + n, sizeof line - (size_t) n, "time %lld\n", (long long) c.date);
                else {
                        n += snprintf(line + n, sizeof line - (size_t) n, "time-invalid\n");
                        status = PORTAL_EXIT_TIME_INVALID;
                }
        }
        curl_global_cleanup();
        if (fwrite(line, 1, (size_t) n, stdout) != (size_t) n || fflush(stdout) != 0) {
                fprintf(stderr, PROG ": cannot write the result: %m\n");
                return PORTAL_EXIT_SOFTWARE;
        }
        return status;
}
