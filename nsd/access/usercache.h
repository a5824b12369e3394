/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The users launches run as, as NSS gives them (the passwd entry and the supplementary
 * groups), kept for a few seconds: with "group: files systemd", getgrouplist() also asks
 * systemd-userdbd (or walks /run/systemd looking for it), which cost more than all the
 * rest of a launch. An entry is used again only while /etc/passwd and /etc/group are still
 * the files they were when it was made, and for at most USER_CACHE_MS: a change in those
 * files shows at the next launch, one in another NSS source within that time (as with
 * nscd, whose default is minutes). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "access/policy.h"

#define USER_CACHE_MS 10000
#define USER_CACHE_SIZE 8

struct file_state {
        bool exists;
        struct stat st;
};

struct user_cache {
        struct {
                struct target t;
                uint64_t made_ms;
        } entries[USER_CACHE_SIZE];
        size_t n, next;         /* entries in use; the one to replace next */
        struct file_state passwd, group;
};

/* target_from_uid() and target_from_name(), through the cache. */
int user_cache_by_uid(struct user_cache *uc, uid_t uid, struct target *ret);
int user_cache_by_name(struct user_cache *uc, const char *name, struct target *ret);
