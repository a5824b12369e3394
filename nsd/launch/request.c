/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/request.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "strv.h"
#include "util.h"

static const char *env_get(char **env, size_t n, const char *key) {
        size_t klen = strlen(key);
        for (size_t i = 0; i < n; i++)
                if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
                        return env[i] + klen + 1;
        return NULL;
}

static bool plain_name(const char *s, size_t max) {
        if (!s || !*s || strlen(s) >= max || STREQ(s, ".") || STREQ(s, ".."))
                return false;
        for (; *s; s++)
                if (*s == '/' || (unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

void request_runtime_from_env(const struct proto_request *req, uid_t caller_uid, struct sandbox *sb) {
        char want[64];
        snprintf(want, sizeof want, "/run/user/%u", (unsigned) caller_uid);
        const char *xdg = env_get(req->env, req->envc, "XDG_RUNTIME_DIR");
        struct stat st;
        /* Only the caller's own runtime dir, whatever the variable says. */
        if (xdg && STREQ(xdg, want) && lstat(want, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == caller_uid)
                snprintf(sb->runtime_dir, sizeof sb->runtime_dir, "%s", want);
        /* Only a Wayland socket's name: any other socket the caller owns there (its session
         * bus, say) must not be reachable by naming it here. */
        const char *wl = env_get(req->env, req->envc, "WAYLAND_DISPLAY");
        if (plain_name(wl, sizeof sb->wayland_display) && strncmp(wl, "wayland-", 8) == 0 &&
            wl[8] && strspn(wl + 8, "0123456789") == strlen(wl + 8))
                snprintf(sb->wayland_display, sizeof sb->wayland_display, "%s", wl);
        const char *d = env_get(req->env, req->envc, "DISPLAY");
        if (d && d[0] == ':' && d[1] && strspn(d + 1, "0123456789") == strcspn(d + 1, ".") &&
            strspn(d + 1, "0123456789") < 8)
                snprintf(sb->x11_display, sizeof sb->x11_display, "%.*s", (int) strspn(d + 1, "0123456789"), d + 1);
}

int request_build_argv(const struct app_config *app, const struct proto_request *req, char ***ret) {
        char **l = NULL;
        int r = 0;
        if (app) {
                for (strv w = app->exec; *w && r == 0; w++)
                        r = strv_push(&l, *w);
                /* Policy checked it is an http(s) URL, so it cannot be read as an option. */
                if (r == 0 && req->argc == 1)
                        r = strv_push(&l, req->argv[0]);
        } else
                for (size_t i = 0; i < req->argc && r == 0; i++)
                        r = strv_push(&l, req->argv[i]);
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

/* An app may run as another user than its caller: a value must not point it at files the
 * caller made (LANG=/home/caller/x, TZ=/..., TZ=:/...). "Europe/Paris" is fine. */
static bool app_env_value_ok(const char *v) {
        if (v[0] == '/' || (v[0] == ':' && strchr(v, '/')) || strstr(v, ".."))
                return false;
        for (const char *p = v; *p; p++)
                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                        return false;
        return true;
}

int request_build_env(const struct app_config *app, const struct target *t, const struct proto_request *req,
                    const struct sandbox *sb, char ***ret) {
        char **l = NULL;
        int r = 0;
        bool have_path = false;
        for (size_t i = 0; i < req->envc && r == 0; i++) {
                const char *e = req->env[i];
                size_t klen = strcspn(e, "=");
                char key[128];
                if (klen >= sizeof key)
                        continue;
                memcpy(key, e, klen);
                key[klen] = '\0';
                bool ok = app ? strv_contains(app->env, key) && app_env_value_ok(e + klen + 1)
                              : proto_env_kept_for_command(e);
                if (!ok)
                        continue;
                have_path |= STREQ(key, "PATH");
                r = strv_push(&l, e);
        }
        if (r == 0)
                r = strv_pushf(&l, "HOME=%s", t->home);
        if (r == 0)
                r = strv_pushf(&l, "USER=%s", t->name);
        if (r == 0)
                r = strv_pushf(&l, "LOGNAME=%s", t->name);
        if (r == 0)
                r = strv_pushf(&l, "SHELL=%s", t->shell);
        if (r == 0 && !have_path)
                r = strv_push(&l, "PATH=/usr/local/bin:/usr/bin:/bin");
        if (r == 0 && app && sb->runtime_dir[0]) {
                r = strv_pushf(&l, "XDG_RUNTIME_DIR=/run/user/%u", (unsigned) t->uid);
                if (r == 0 && (app->sockets & APP_SOCKET_WAYLAND) && sb->wayland_display[0])
                        r = strv_pushf(&l, "WAYLAND_DISPLAY=%s", sb->wayland_display);
        }
        /* The D-Bus proxy's sockets (launch/dbusproxy.h), where the app runs as its caller. */
        const unsigned proxied = app && sb->runtime_dir[0] && t->uid == sb->caller_uid ? app->sockets : 0;
        if (r == 0 && (proxied & (APP_SOCKET_A11Y | APP_SOCKET_IBUS)))
                r = strv_pushf(&l, "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/%u/bus", (unsigned) t->uid);
        if (r == 0 && (proxied & APP_SOCKET_A11Y))
                r = strv_pushf(&l, "AT_SPI_BUS_ADDRESS=unix:path=/run/user/%u/at-spi-bus", (unsigned) t->uid);
        if (r == 0 && (proxied & APP_SOCKET_IBUS))
                r = strv_push(&l, "IBUS_USE_PORTAL=1");
        if (r == 0 && app && (app->sockets & APP_SOCKET_X11) && sb->x11_display[0])
                r = strv_pushf(&l, "DISPLAY=:%s", sb->x11_display);
        if (r == 0 && !l)
                r = strv_push(&l, "PATH=/usr/local/bin:/usr/bin:/bin");
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret = l;
        return 0;
}
