/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

static const char header[] =
        "# clearnet DNS, kept in step with the clearnet resolv_conf by clearnet-nsd; do not edit.\n";

/* A nameserver is kept only if it is IPv4 and not loopback or unspecified. */
static int keep_server(const char *addr) {
        struct in_addr a;
        if (inet_pton(AF_INET, addr, &a) != 1)
                return 0;
        uint32_t h = ntohl(a.s_addr);
        return (h >> 24) != 127 && h != 0;
}

static int append(char **buf, size_t *len, const char *line, size_t n) {
        char *p = realloc(*buf, *len + n + 2);
        if (!p)
                return -ENOMEM;
        memcpy(p + *len, line, n);
        p[*len + n] = '\n';
        *len += n + 1;
        p[*len] = '\0';
        *buf = p;
        return 0;
}

int dns_load(const char *path, struct dns_config *ret, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        *ret = (struct dns_config) {};
        _cleanup_free_ char *why = NULL;
        int r = read_file_reason(path, DNS_MAX_SIZE, &data, &size, &why);
        if (r < 0) {
                if (asprintf(ret_error, "cannot read resolv_conf %s", why ? why : path) < 0)
                        *ret_error = NULL;
                return r;
        }
        if (memchr(data, '\0', size)) {
                if (asprintf(ret_error, "resolv_conf %s contains a NUL byte", path) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        size_t len = 0;
        char *out = NULL;
        if (append(&out, &len, header, strlen(header) - 1) < 0)
                return -ENOMEM;
        for (char *line = data, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *s = line;
                while (isspace((unsigned char) *s))
                        s++;
                char word[16] = "", value[64] = "";
                if (sscanf(s, "%15s %63s", word, value) < 1)
                        continue;
                if (STREQ(word, "nameserver")) {
                        if (!keep_server(value)) {
                                ret->dropped++;
                                continue;
                        }
                        ret->servers++;
                } else if (!STREQ(word, "search") && !STREQ(word, "domain") && !STREQ(word, "options"))
                        continue; /* comments and anything unknown */
                for (char *c = s; *c; c++)
                        if (iscntrl((unsigned char) *c) && *c != '\t')
                                *c = ' ';
                if (append(&out, &len, s, strlen(s)) < 0) {
                        free(out);
                        return -ENOMEM;
                }
        }
        ret->text = out;
        return 0;
}

void dns_config_done(struct dns_config *c) {
        free(c->text);
        *c = (struct dns_config) {};
}

int dns_file_path(const char *etc_netns_dir, const char *name, char ret[PATH_MAX]) {
        return snprintf(ret, PATH_MAX, "%s/%s/resolv.conf", etc_netns_dir, name) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int dns_paths(const char *dir, const char *name, char *sub, char *file) {
        if (snprintf(sub, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
                return -ENAMETOOLONG;
        return dns_file_path(dir, name, file);
}

int dns_install(const char *etc_netns_dir, const char *name, const char *text) {
        char sub[PATH_MAX], file[PATH_MAX];
        int r = dns_paths(etc_netns_dir, name, sub, file);
        if (r < 0)
                return r;
        _cleanup_free_ char *old = NULL;
        if (read_file_limited(file, DNS_MAX_SIZE + sizeof header, &old, NULL) == 0 && STREQ(old, text))
                return 0;
        if (mkdir(etc_netns_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        if (mkdir(sub, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        r = write_file_atomic(file, text, strlen(text), 0644);
        return r < 0 ? r : 1;
}

int dns_remove(const char *etc_netns_dir, const char *name) {
        char sub[PATH_MAX], file[PATH_MAX];
        int r = dns_paths(etc_netns_dir, name, sub, file);
        if (r < 0)
                return r;
        if (unlink(file) < 0 && errno != ENOENT)
                return negative_errno();
        if (rmdir(sub) < 0 && errno != ENOENT && errno != ENOTEMPTY)
                return negative_errno();
        return 0;
}
