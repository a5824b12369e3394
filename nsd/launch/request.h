/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A request as a launch runs it: the argv (an app's fixed exec line, or the caller's
 * command), the environment (the allowlist in protocol.h, what the app's env = names, and
 * what nsd sets), and the caller's runtime sockets, validated. */
#pragma once
#include <sys/types.h>

#include "clearnet/protocol.h"
#include "conf/config.h"
#include "access/policy.h"
#include "launch/view.h"

/* Build the child's argv and environment from the policy and the request. */
int request_build_argv(const struct app_config *app, const struct proto_request *req, char ***ret);
int request_build_env(const struct app_config *app, const struct target *t, const struct proto_request *req,
                    const struct sandbox *sb, char ***ret);
/* The caller's runtime dir and display names, validated, from its environment. */
void request_runtime_from_env(const struct proto_request *req, uid_t caller_uid, struct sandbox *sb);
