/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The clearnet namespaces the filter must know about, from clearnet-nsd's config file
 * (nsd's own parser). Today the config has one [namespace]; the list form lets several be
 * iterated when it grows more. */
#pragma once

#include <stddef.h>

#include "compile.h"

struct config;

/* The namespaces of a parsed clearnet config: a malloc'ed array in *ret, *ret_n entries. */
int filter_namespaces_of(const struct config *cfg, struct filter_ns **ret, size_t *ret_n);

/* Load clearnet config PATH and return its namespaces; NULL path: none. On a bad file a
 * "file:line: reason" in *ret_error. */
int filter_namespaces_load(const char *path, struct filter_ns **ret, size_t *ret_n, char **ret_error);
