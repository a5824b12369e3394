/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "url.h"

#include <string.h>
#include <strings.h>

bool url_char_is_safe(unsigned char c) {
        /* Nothing a shell, a browser's command line or a terminal could read as anything
         * but part of the URL. */
        return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '`';
}

bool url_is_http(const char *url, size_t max) {
        if (!url || strnlen(url, max + 1) > max)
                return false;
        const char *rest;
        if (strncasecmp(url, "http://", 7) == 0)
                rest = url + 7;
        else if (strncasecmp(url, "https://", 8) == 0)
                rest = url + 8;
        else
                return false;
        if (!*rest || *rest == '/' || *rest == '?' || *rest == '#')
                return false;
        for (const unsigned char *p = (const unsigned char *) url; *p; p++)
                if (!url_char_is_safe(*p))
                        return false;
        return true;
}
