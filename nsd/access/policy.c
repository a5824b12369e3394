/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "access/policy.h"

#include <ctype.h>
#include <stdarg.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "url.h"
#include "access/usercache.h"
#include "util.h"

int caller_from_socket(int fd, struct caller *ret) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return negative_errno();
        if (len != sizeof cred)
                return -EIO;
        *ret = (struct caller) { .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
        len = sizeof ret->groups;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, ret->groups, &len) < 0) {
                /* ERANGE: more groups than we look at; then membership by groups fails
                 * closed, never open. */
                if (errno != ERANGE)
                        return negative_errno();
                len = 0;
        }
        ret->n_groups = (int) (len / sizeof(gid_t));
        return 0;
}

static bool caller_in_group(const struct caller *c, const char *group) {
        struct group gr, *res = NULL;
        char buf[4096];
        if (getgrnam_r(group, &gr, buf, sizeof buf, &res) != 0 || !res)
                return false;
        if (c->gid == res->gr_gid)
                return true;
        for (int i = 0; i < c->n_groups; i++)
                if (c->groups[i] == res->gr_gid)
                        return true;
        return false;
}

static bool caller_listed(strv users, strv groups, const struct caller *c) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        for (strv u = users; u && *u; u++)
                if (getpwnam_r(*u, &pw, buf, sizeof buf, &res) == 0 && res && res->pw_uid == c->uid)
                        return true;
        for (strv g = groups; g && *g; g++)
                if (caller_in_group(c, *g))
                        return true;
        return false;
}

bool policy_may_use_app(const struct app_config *app, const struct caller *c) {
        return caller_listed(app->callers, app->caller_groups, c);
}

bool policy_may_use_anything(const struct config *cfg, const struct caller *c) {
        if (caller_listed(cfg->run.users, cfg->run.groups, c) || caller_listed(cfg->time.callers, cfg->time.caller_groups, c))
                return true;
        for (size_t i = 0; i < cfg->n_apps; i++)
                if (policy_may_use_app(&cfg->apps[i], c))
                        return true;
        return false;
}

static int target_fill(const struct passwd *pw, struct target *ret) {
        *ret = (struct target) { .uid = pw->pw_uid, .gid = pw->pw_gid };
        if (snprintf(ret->name, sizeof ret->name, "%s", pw->pw_name) >= (int) sizeof ret->name ||
            snprintf(ret->home, sizeof ret->home, "%s", pw->pw_dir[0] == '/' ? pw->pw_dir : "/") >= (int) sizeof ret->home ||
            snprintf(ret->shell, sizeof ret->shell, "%s", pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh") >= (int) sizeof ret->shell)
                return -ENAMETOOLONG;
        ret->n_groups = CALLER_MAX_GROUPS;
        if (getgrouplist(pw->pw_name, pw->pw_gid, ret->groups, &ret->n_groups) < 0)
                return -E2BIG;
        return 0;
}

/* name, or uid when name is NULL. */
static int target_lookup(const char *name, uid_t uid, struct target *ret) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        int r = name ? getpwnam_r(name, &pw, buf, sizeof buf, &res) : getpwuid_r(uid, &pw, buf, sizeof buf, &res);
        if (r != 0)
                return -r;
        return res ? target_fill(res, ret) : -ESRCH;
}

int target_from_name(const char *name, struct target *ret) {
        return target_lookup(name, 0, ret);
}

int target_from_uid(uid_t uid, struct target *ret) {
        return target_lookup(NULL, uid, ret);
}


/* The user an app runs as: it must exist, and it is never root, whatever passwd says. */
static int app_target(struct user_cache *users, const struct app_config *app, struct target *t, char *msg,
                      size_t size) {
        if ((users ? user_cache_by_name(users, app->user, t) : target_from_name(app->user, t)) < 0)
                return reason_into(msg, size, PROTO_ERROR_INTERNAL, "app '%s': user '%s' does not exist", app->name, app->user);
        if (t->uid == 0 || t->gid == 0)
                return reason_into(msg, size, PROTO_ERROR_NOT_ALLOWED, "app '%s' would run as root; refusing", app->name);
        return 0;
}

static int decide_command(const struct config *cfg, struct user_cache *users, const struct caller *c,
                          struct target *t, char *msg, size_t size) {
        if (!caller_listed(cfg->run.users, cfg->run.groups, c))
                return reason_into(msg, size, PROTO_ERROR_NOT_ALLOWED, "not allowed: uid %u may not run commands", (unsigned) c->uid);
        int r = users ? user_cache_by_uid(users, c->uid, t) : target_from_uid(c->uid, t);
        if (r < 0)
                return reason_into(msg, size, PROTO_ERROR_NOT_ALLOWED, "not allowed: uid %u has no user entry", (unsigned) c->uid);
        return 0;
}

static int decide_app(struct user_cache *users, const struct app_config *app, const struct caller *c,
                      const struct proto_request *req, struct target *t, char *msg, size_t size) {
        if (!policy_may_use_app(app, c))
                return reason_into(msg, size, PROTO_ERROR_NOT_ALLOWED, "not allowed: uid %u may not start app '%s'",
                              (unsigned) c->uid, app->name);
        if (!app->enabled)
                return reason_into(msg, size, PROTO_ERROR_DISABLED, "app '%s' is disabled", app->name);
        if (app->args == APP_ARGS_NONE && req->argc > 0)
                return reason_into(msg, size, PROTO_ERROR_BAD_REQUEST, "app '%s' takes no arguments", app->name);
        if (app->args == APP_ARGS_URL && req->argc > 1)
                return reason_into(msg, size, PROTO_ERROR_BAD_REQUEST, "app '%s' takes at most one URL", app->name);
        if (app->args == APP_ARGS_URL && req->argc == 1 && !app_url_is_valid(req->argv[0]))
                return reason_into(msg, size, PROTO_ERROR_BAD_REQUEST,
                              "app '%s' takes only an http:// or https:// URL of at most %d characters, without spaces or control characters",
                              app->name, APP_URL_MAX);
        return app_target(users, app, t, msg, size);
}

static int decide_time_sync(const struct config *cfg, struct user_cache *users, const struct caller *c,
                            const struct app_config **ret_app, struct target *ret_target, char *msg, size_t size) {
        if (!caller_listed(cfg->time.callers, cfg->time.caller_groups, c))
                return reason_into(msg, size, PROTO_ERROR_NOT_ALLOWED, "not allowed: uid %u may not set the clock",
                              (unsigned) c->uid);
        const struct app_config *app = config_find_app(cfg, cfg->portal.app);
        if (!app)
                return reason_into(msg, size, PROTO_ERROR_NO_SUCH_APP,
                              "no such app '%s' (the portal check of [portal] app)", cfg->portal.app);
        *ret_app = app;
        if (!app->enabled)
                return reason_into(msg, size, PROTO_ERROR_DISABLED, "app '%s' is disabled", app->name);
        return app_target(users, app, ret_target, msg, size);
}

int policy_decide(const struct config *cfg, struct user_cache *users, const struct caller *c,
                  const struct proto_request *req, const struct app_config **ret_app, struct target *ret_target,
                  char *msg, size_t size) {
        *ret_app = NULL;
        switch (req->kind) {
        case PROTO_REQUEST_COMMAND:
                return decide_command(cfg, users, c, ret_target, msg, size);
        case PROTO_REQUEST_APP:
        case PROTO_REQUEST_STATUS: {
                const struct app_config *app = config_find_app(cfg, req->app);
                if (!app)
                        return reason_into(msg, size, PROTO_ERROR_NO_SUCH_APP, "no such app '%s'", req->app);
                *ret_app = app;
                if (req->kind == PROTO_REQUEST_STATUS)
                        return policy_may_use_app(app, c) ? 0 :
                                reason_into(msg, size, PROTO_ERROR_NOT_ALLOWED, "not allowed: uid %u may not use app '%s'",
                                       (unsigned) c->uid, app->name);
                return decide_app(users, app, c, req, ret_target, msg, size);
        }
        case PROTO_REQUEST_TIME_SYNC:
                return decide_time_sync(cfg, users, c, ret_app, ret_target, msg, size);
        case PROTO_REQUEST_NAMESPACES:
                /* Anyone who may connect; what each caller sees of others' programs is
                 * only their count (the server's reply). */
                return 0;
        }
        return reason_into(msg, size, PROTO_ERROR_BAD_REQUEST, "unknown request kind");
}

int access_resolve_root(struct config *cfg, char **ret_error) {
        const char *name = cfg->run.root_maps_to;
        struct passwd *pw = name ? getpwnam(name) : getpwnam("clearnet");
        char why[128] = "";
        if (!pw && !name)
                pw = getpwnam("nobody");
        if (name && !pw)
                snprintf(why, sizeof why, "root_maps_to: no user '%s'", name);
        else if (pw && pw->pw_uid == 0)
                snprintf(why, sizeof why, "root_maps_to: '%s' has uid 0", name ? name : pw->pw_name);
        if (why[0])
                return config_format_error(ret_error, cfg->path ? cfg->path : "config", cfg->run.root_maps_to_line, why);
        cfg->run.root_uid = pw ? pw->pw_uid : 65534;
        cfg->run.root_gid = pw ? pw->pw_gid : 65534;
        return 0;
}
