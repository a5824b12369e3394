/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strv_free(strv l) {
        for (strv p = l; p && *p; p++)
                free(*p);
        free(l);
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

bool strv_contains(char *const *l, const char *word) {
        for (; l && *l; l++)
                if (strcmp(*l, word) == 0)
                        return true;
        return false;
}

int strv_copy(const char *const *words, strv *ret) {
        size_t n = 0;
        while (words[n])
                n++;
        strv l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(l[i] = strdup(words[i]))) {
                        strv_free(l);
                        return -ENOMEM;
                }
        *ret = l;
        return 0;
}

static int push_owned(strv *l, char *s) {
        size_t n = strv_length(*l);
        strv p = realloc(*l, (n + 2) * sizeof(char *));
        if (!p) {
                free(s);
                return -ENOMEM;
        }
        p[n] = s;
        p[n + 1] = NULL;
        *l = p;
        return 0;
}

int strv_push(strv *l, const char *s) {
        char *copy = strdup(s);
        return copy ? push_owned(l, copy) : -ENOMEM;
}

int strv_pushf(strv *l, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : push_owned(l, s);
}
