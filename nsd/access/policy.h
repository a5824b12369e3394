/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may run what, as whom: decided from the kernel's word on the caller (SO_PEERCRED,
 * SO_PEERGROUPS) and the root-owned config, never from anything the caller says. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "clearnet/protocol.h"
#include "conf/config.h"

#define CALLER_MAX_GROUPS 256

struct caller {
        pid_t pid;
        uid_t uid;
        gid_t gid;
        gid_t groups[CALLER_MAX_GROUPS];
        int n_groups;
};

/* The user a launch runs as. */
struct target {
        uid_t uid;
        gid_t gid;
        gid_t groups[CALLER_MAX_GROUPS];
        int n_groups;
        char name[64];
        char home[256];
        char shell[256];
};

int caller_from_socket(int fd, struct caller *ret);

struct user_cache;
/* 0 when the request may go ahead, with the app (NULL for a command) and the target user
 * filled in; otherwise a positive enum proto_error with a one-line reason in msg. The
 * target is looked up through users (usercache.h), or straight from NSS when it is NULL. */
int policy_decide(const struct config *cfg, struct user_cache *users, const struct caller *c,
                  const struct proto_request *req, const struct app_config **ret_app, struct target *ret_target,
                  char *msg, size_t size);
/* May this caller ask about (or start) app? */
bool policy_may_use_app(const struct app_config *app, const struct caller *c);
/* May this caller make any request at all ([run], an [app]'s callers, [time])? One who
 * may not is refused when it connects, before it holds a slot. */
bool policy_may_use_anything(const struct config *cfg, const struct caller *c);
int target_from_name(const char *name, struct target *ret);
int target_from_uid(uid_t uid, struct target *ret);

/* [run] root_maps_to, or the default (the clearnet system user if there is one, else
 * nobody), looked up: the host uid a root command's uid 0 maps to. On failure
 * "file:line: reason" in *ret_error. */
int access_resolve_root(struct config *cfg, char **ret_error);
