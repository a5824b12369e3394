/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NULL-terminated lists of strings (argv, environments, user and group names), each
 * string and the array malloc'ed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

typedef char **strv;

void strv_free(strv l);
static inline void strv_freep(strv *l) { strv_free(*l); *l = NULL; }
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *word);
/* A copy of words (a NULL-terminated array); *ret is a new list. */
int strv_copy(const char *const *words, strv *ret);
/* Append a copy of s (or of the formatted string); *l may be NULL, it grows by one. On
 * failure *l is left as it was. */
int strv_push(strv *l, const char *s);
int strv_pushf(strv *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
