/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one rule for a URL handed to a browser or printed for one: clearnet-nsd's policy
 * (args = url, [portal] url) and clearnet-portal-check (a portal's Location) share it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Printable ASCII, not a space, not " \ < > `. */
bool url_char_is_safe(unsigned char c);
/* http:// or https:// (any case), then a host (not empty, not starting with / ? #), only
 * printable ASCII without spaces or " \ < > `, at most max bytes. */
bool url_is_http(const char *url, size_t max);
