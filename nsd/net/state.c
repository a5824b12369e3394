/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

static int path_of(char *buf, const char *dir, const char *name, const char *suffix) {
        if (snprintf(buf, PATH_MAX, "%s/%s%s", dir, name, suffix) >= PATH_MAX)
                return -ENAMETOOLONG;
        return 0;
}

static int load_file(const char *path, struct nsd_state *ret) {
        _cleanup_free_ char *data = NULL;
        int r = read_file_limited(path, 256, &data, NULL);
        if (r < 0)
                return r;
        int v;
        char tail;
        if (sscanf(data, "ip_forward=%d%c", &v, &tail) != 2 || tail != '\n' || (v != 0 && v != 1))
                return -EBADMSG;
        ret->orig_ip_forward = v;
        ret->orig_all_accept_redirects = -1;
        const char *line = strstr(data, "\nall_accept_redirects=");
        if (line && sscanf(line, "\nall_accept_redirects=%d%c", &v, &tail) == 2 && tail == '\n' && (v == 0 || v == 1))
                ret->orig_all_accept_redirects = v;
        return 0;
}

static int save_file(const char *path, const struct nsd_state *s) {
        char buf[96];
        int n = snprintf(buf, sizeof buf, "ip_forward=%d\n", s->orig_ip_forward);
        if (s->orig_all_accept_redirects >= 0)
                n += snprintf(buf + n, sizeof buf - (size_t) n, "all_accept_redirects=%d\n", s->orig_all_accept_redirects);
        return write_file_atomic(path, buf, (size_t) n, 0600);
}

int state_load(const char *dir, const char *name, struct nsd_state *ret) {
        char path[PATH_MAX];
        int r = path_of(path, dir, name, ".state");
        return r < 0 ? r : load_file(path, ret);
}

int state_save(const char *dir, const char *name, const struct nsd_state *s) {
        char path[PATH_MAX];
        int r = path_of(path, dir, name, ".state");
        if (r < 0)
                return r;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        return save_file(path, s);
}

static int remove_file(const char *dir, const char *name, const char *suffix) {
        char path[PATH_MAX];
        int r = path_of(path, dir, name, suffix);
        if (r < 0)
                return r;
        return unlink(path) < 0 && errno != ENOENT ? negative_errno() : 0;
}

int state_remove(const char *dir, const char *name) {
        return remove_file(dir, name, ".state");
}

/* A pid file may be stale (a killed run), and its pid someone else's by now. */
static bool pid_is_nsd(pid_t pid) {
        char path[64];
        _cleanup_free_ char *comm = NULL;
        snprintf(path, sizeof path, "/proc/%d/comm", (int) pid);
        return read_file_limited(path, 64, &comm, NULL) == 0 && STREQ(comm, "clearnet-nsd\n");
}

int state_hand_over(const char *dir, const char *name, const struct nsd_state *s) {
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        char mine[NAME_MAX + 1];
        snprintf(mine, sizeof mine, "%s.state", name);
        int others = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len <= 6 || !STREQ(de->d_name + len - 6, ".state") || STREQ(de->d_name, mine))
                        continue;
                others++;
                char path[PATH_MAX], other[NAME_MAX + 1];
                struct nsd_state st;
                if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int) sizeof path ||
                    load_file(path, &st) < 0 || st.orig_ip_forward == s->orig_ip_forward)
                        continue;
                /* Only an original "off" is handed on: "on" was just the earlier instance. */
                if (s->orig_ip_forward != 0 || save_file(path, s) < 0)
                        continue;
                snprintf(other, sizeof other, "%.*s", (int) (len - 6), de->d_name);
                pid_t pid;
                if (pidfile_read(dir, other, &pid) == 0 && pid_is_nsd(pid))
                        kill(pid, SIGHUP);
        }
        closedir(d);
        return others;
}

int pidfile_write(const char *dir, const char *name, pid_t pid) {
        char path[PATH_MAX], buf[32];
        int r = path_of(path, dir, name, ".pid");
        if (r < 0)
                return r;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        int n = snprintf(buf, sizeof buf, "%d\n", (int) pid);
        return write_file_atomic(path, buf, (size_t) n, 0644);
}

int pidfile_read(const char *dir, const char *name, pid_t *ret) {
        char path[PATH_MAX];
        int r = path_of(path, dir, name, ".pid");
        if (r < 0)
                return r;
        int v;
        r = read_int_file(path, &v);
        if (r < 0)
                return r;
        if (v <= 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int pidfile_remove(const char *dir, const char *name) {
        return remove_file(dir, name, ".pid");
}
