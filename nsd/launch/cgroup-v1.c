/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Limits per launch on a hybrid host: the cgroup v1 pids (and memory) hierarchies. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/cgroup.h"
#include "launch/cgroup-internal.h"
#include "util.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

/* Rounds of cgroup_v1_kill(): each kills every process listed. A process killed while it
 * forks may leave a child the round did not see; pids.max bounds how many there are, and
 * what a call leaves is killed again by the next (cgroup_v1_remove_name(), retried). */
#define KILL_ROUNDS 16

/* SIGKILL to each process listed in dirfd/cgroup.procs; how many were listed. */
static int kill_round(int dirfd) {
        _cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
        if (!f)
                return 0;
        fd = -1;
        int n = 0;
        for (int pid; fscanf(f, "%d", &pid) == 1; n++)
                if (pid > 0)
                        kill(pid, SIGKILL);
        fclose(f);
        return n;
}

void cgroup_v1_kill(int dirfd) {
        for (int i = 0; i < KILL_ROUNDS && kill_round(dirfd) > 0; i++)
                ;
}

/* Kill what dir holds and remove it; -EBUSY: its processes are still on their way out. */
static int kill_remove(int parent_fd, const char *dir) {
        if (parent_fd < 0)
                return 0;
        _cleanup_close_ int fd = openat(parent_fd, dir, O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (unlinkat(parent_fd, dir, AT_REMOVEDIR) == 0 || errno == ENOENT)
                return 0;
        cgroup_v1_kill(fd);
        if (unlinkat(parent_fd, dir, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

int cgroup_v1_remove_name(struct cgroup_base *b, const char *name) {
        int r = kill_remove(b->launches_fd, name);
        if (r < 0)
                return r;
        return kill_remove(b->mem_launches_fd, name);
}

/* Leftovers of an earlier run (killed before it could clean up): end and remove them. */
static void remove_leftovers(int launches_fd, int mem_launches_fd) {
        int fd = launches_fd < 0 ? -1 : dup(launches_fd);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                closep(&fd);
                return;
        }
        for (struct dirent *de; (de = readdir(d)); )
                if (de->d_type == DT_DIR && de->d_name[0] != '.') {
                        (void) kill_remove(launches_fd, de->d_name);
                        (void) kill_remove(mem_launches_fd, de->d_name);
                }
        closedir(d);
}

/* <base>/launches-<name> in the v1 hierarchy of controller: base configured or nsd's own. */
static int launches_open(const char *controller, const char *configured, const char *name, char *path, size_t size,
                         char **ret_error) {
        char base[256], mnt[256];
        int r;
        if (cgroup_find_mount(controller, mnt, sizeof mnt) < 0)
                return cgroup_fail(ret_error, 0, "no cgroup v1 hierarchy with the controller %s is mounted", controller);
        if (configured)
                snprintf(base, sizeof base, "%s", configured);
        else if ((r = cgroup_own(controller, base, sizeof base, ret_error)) < 0)
                return r;
        size_t ml = strlen(mnt);
        if (strncmp(base, mnt, ml) != 0 || (base[ml] != '/' && base[ml] != '\0') || strstr(base, "/.."))
                return cgroup_fail(ret_error, 0, "%s is not below %s, the cgroup v1 %s hierarchy", base, mnt, controller);
        _cleanup_close_ int fd = cgroup_open_dir(base, CGROUP_SUPER_MAGIC, "cgroup v1", ret_error);
        if (fd < 0)
                return fd;
        if (snprintf(path, size, "%s/launches-%s", base, name) >= (int) size)
                return cgroup_fail(ret_error, -ENAMETOOLONG, "the cgroup %s/launches-%s", base, name);
        const char *leaf = strrchr(path, '/') + 1;
        if (mkdirat(fd, leaf, 0755) < 0 && errno != EEXIST)
                return cgroup_fail(ret_error, negative_errno(), "cannot create the cgroup %s", path);
        int launches = openat(fd, leaf, O_DIRECTORY | O_CLOEXEC);
        if (launches < 0)
                return cgroup_fail(ret_error, negative_errno(), "cannot open the cgroup %s", path);
        return launches;
}

int cgroup_v1_base_open(const struct cgroup_where *where, const char *name, bool need_memory, struct cgroup_base *ret,
                        char **ret_error) {
        *ret = CGROUP_BASE_NONE;
        _cleanup_close_ int launches = launches_open("pids", where->v1_pids, name, ret->launches, sizeof ret->launches,
                                                     ret_error);
        if (launches < 0)
                return launches;
        /* Only for max_memory: v1 has no memory limit worth a hierarchy's cost otherwise. */
        _cleanup_close_ int mem = -1;
        if (need_memory || where->v1_memory) {
                _cleanup_free_ char *why = NULL;
                mem = launches_open("memory", where->v1_memory, name, ret->mem_launches, sizeof ret->mem_launches, &why);
                if (mem < 0)
                        return cgroup_fail(ret_error, 0, "max_memory is set, but cgroup v1 has no memory limit for it: %s",
                                           why ? why : strerror(-mem));
        }
        remove_leftovers(launches, mem);
        snprintf(ret->path, sizeof ret->path, "%.*s", (int) (strrchr(ret->launches, '/') - ret->launches), ret->launches);
        ret->v1 = true;
        ret->memory = mem >= 0;
        ret->launches_fd = TAKE_FD(launches);
        ret->mem_launches_fd = TAKE_FD(mem);
        return 0;
}

void cgroup_v1_base_close(struct cgroup_base *b) {
        remove_leftovers(b->launches_fd, b->mem_launches_fd);
        if (b->launches_fd >= 0)
                (void) rmdir(b->launches);
        if (b->mem_launches_fd >= 0)
                (void) rmdir(b->mem_launches);
        closep(&b->launches_fd);
        closep(&b->mem_launches_fd);
}

/* dir/<name> with file = value, O_DIRECTORY; on failure removed again. */
static int child_new(int parent_fd, const char *name, const char *file, const char *value) {
        if (mkdirat(parent_fd, name, 0755) < 0)
                return negative_errno();
        int fd = openat(parent_fd, name, O_DIRECTORY | O_CLOEXEC);
        int r = fd < 0 ? negative_errno() : cgroup_write_at(fd, file, value);
        if (r < 0) {
                closep(&fd);
                (void) unlinkat(parent_fd, name, AT_REMOVEDIR);
                return r;
        }
        return fd;
}

int cgroup_v1_launch_new(struct cgroup_base *b, unsigned max_processes, uint64_t max_memory, struct cgroup_launch *ret) {
        *ret = CGROUP_LAUNCH_NONE;
        if (max_memory && b->mem_launches_fd < 0)
                return -EOPNOTSUPP;
        struct cgroup_launch l = CGROUP_LAUNCH_NONE;
        l.v1 = true;
        snprintf(l.name, sizeof l.name, "%d-%" PRIu64, (int) getpid(), b->next++);
        char v[32];
        snprintf(v, sizeof v, "%u", max_processes);
        l.fd = child_new(b->launches_fd, l.name, "pids.max", v);
        if (l.fd < 0)
                return l.fd;
        if (max_memory) {
                snprintf(v, sizeof v, "%" PRIu64, max_memory);
                l.mem_fd = child_new(b->mem_launches_fd, l.name, "memory.limit_in_bytes", v);
                if (l.mem_fd < 0) {
                        int r = l.mem_fd;
                        closep(&l.fd);
                        (void) unlinkat(b->launches_fd, l.name, AT_REMOVEDIR);
                        return r;
                }
        }
        *ret = l;
        return 0;
}
