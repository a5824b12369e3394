/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/sandbox.h"

#include <cap-ng.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>

#include "net/dns.h"
#include "util.h"

#define TMPFS_FLAGS (MS_NOSUID | MS_NODEV)

static int mount_tmpfs(const char *where, const char *opts, unsigned long flags) {
        return mount("tmpfs", where, "tmpfs", TMPFS_FLAGS | flags, opts) < 0 ? negative_errno() : 0;
}

/* Bind an O_PATH fd (opened before anything was hidden) onto dest. */
static int bind_fd(int fd, const char *dest, bool read_only) {
        char src[64];
        snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
        if (mount(src, dest, NULL, MS_BIND, NULL) < 0)
                return negative_errno();
        if (read_only && mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return negative_errno();
        return 0;
}

/* Cover a directory with an empty tmpfs, if it exists: what was there is unreachable.
 * seen[] holds what is covered already, so a path reached twice (/var/run is /run) is
 * covered once. */
static int hide_dir(const char *path, struct stat *seen, size_t *n_seen, size_t max) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        for (size_t i = 0; i < *n_seen; i++)
                if (seen[i].st_dev == st.st_dev && seen[i].st_ino == st.st_ino)
                        return 0;
        int r = mount_tmpfs(path, "mode=0755,size=64k", MS_NOEXEC);
        if (r == 0 && *n_seen < max)
                seen[(*n_seen)++] = st;
        /* And the tmpfs itself: reached again by another name, it is covered already. */
        if (r == 0 && *n_seen < max && stat(path, &st) == 0)
                seen[(*n_seen)++] = st;
        return r;
}

/* A fresh, empty, world-writable (sticky) tmpfs over a directory that exists. */
static int private_dir(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        return mount_tmpfs(path, "mode=1777", 0);
}

static int dirname_of(const char *path, char *buf, size_t size) {
        if (snprintf(buf, size, "%s", path) >= (int) size)
                return -ENAMETOOLONG;
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
                return -EINVAL;
        *slash = '\0';
        return 0;
}

/* A copy of the host's nsswitch.conf whose hosts: line asks only files and DNS, so no
 * lookup can go to systemd-resolved, mDNS or another local resolver. */
static int nsswitch_write(int fd) {
        _cleanup_free_ char *orig = NULL, *out = NULL;
        size_t len = 0;
        if (read_file_limited("/etc/nsswitch.conf", 64 * 1024, &orig, &len) < 0) {
                orig = NULL;
                len = 0;
        }
        static const char hosts[] = "hosts: files dns\n";
        out = malloc(len + sizeof hosts + 1);
        if (!out)
                return -ENOMEM;
        size_t n = 0;
        bool wrote_hosts = false;
        for (char *line = orig, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                const char *s = line + strspn(line, " \t");
                if (strncmp(s, "hosts:", 6) == 0) {
                        if (!wrote_hosts) {
                                memcpy(out + n, hosts, sizeof hosts - 1);
                                n += sizeof hosts - 1;
                        }
                        wrote_hosts = true;
                        continue;
                }
                size_t l = strlen(line);
                memcpy(out + n, line, l);
                n += l;
                out[n++] = '\n';
        }
        if (!wrote_hosts) {
                memcpy(out + n, hosts, sizeof hosts - 1);
                n += sizeof hosts - 1;
        }
        return write_all(fd, out, n);
}

/* Written to the private /tmp (bind mounts need a source in our mount namespace, which
 * rules out a memfd), bound over the real file, then unlinked: only the bind remains. */
static int bind_nsswitch(void) {
        static const char tmp[] = "/tmp/.clearnet-nsswitch.conf";
        char real[PATH_MAX];
        if (!realpath("/etc/nsswitch.conf", real))
                return negative_errno();
        _cleanup_close_ int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        int r = nsswitch_write(fd);
        if (r == 0)
                r = mount(tmp, real, NULL, MS_BIND, NULL) < 0 ? negative_errno() : 0;
        if (r == 0 && mount(NULL, real, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                r = negative_errno();
        unlink(tmp);
        return r;
}

static int open_path(const char *path, int *ret) {
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret = fd;
        return 0;
}

/* A socket of the caller, opened O_PATH (to be bound in after /run/user and /tmp are
 * hidden) below dirfd, a directory opened before the hiding. It must be a socket owned by
 * the caller (or, with also_root, by root); -1 when absent. */
static int open_caller_socket(int dirfd, const char *name, uid_t caller, bool also_root) {
        struct stat st;
        if (dirfd < 0)
                return -1;
        int fd = openat(dirfd, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || (st.st_uid != caller && !(also_root && st.st_uid == 0))))
                closep(&fd);
        return fd;
}

struct runtime_socket {
        unsigned bit;
        char name[96];
        int fd;
};

static int bind_runtime_sockets(const struct sandbox *sb, struct runtime_socket *socks, size_t n) {
        const struct target *t = sb->target;
        char dir[64];
        struct stat st;
        /* No /run/user (no logind: containers, minimal systems): nothing to hide, and no
         * runtime socket to bind either. */
        if (stat("/run/user", &st) < 0)
                return 0;
        snprintf(dir, sizeof dir, "/run/user/%u", (unsigned) t->uid);
        int r = mount_tmpfs("/run/user", "mode=0755,size=1m", MS_NOEXEC);
        if (r < 0)
                return r;
        if (mkdir(dir, 0700) < 0 || chown(dir, t->uid, t->gid) < 0)
                return negative_errno();
        for (size_t i = 0; i < n; i++) {
                if (socks[i].fd < 0)
                        continue;
                char dest[PATH_MAX];
                snprintf(dest, sizeof dest, "%s/%s", dir, socks[i].name);
                char *slash = strrchr(dest, '/');
                if (strchr(socks[i].name, '/')) {       /* pulse/native */
                        *slash = '\0';
                        if (mkdir(dest, 0700) < 0 && errno != EEXIST)
                                return negative_errno();
                        if (chown(dest, t->uid, t->gid) < 0)
                                return negative_errno();
                        *slash = '/';
                }
                _cleanup_close_ int f = open(dest, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
                if (f < 0)
                        return negative_errno();
                if ((r = bind_fd(socks[i].fd, dest, false)) < 0)
                        return r;
        }
        return 0;
}

static int bind_x11(int fd, const char *display) {
        char dest[64];
        if (mkdir("/tmp/.X11-unix", 01777) < 0 && errno != EEXIST)
                return negative_errno();
        snprintf(dest, sizeof dest, "/tmp/.X11-unix/X%s", display);
        _cleanup_close_ int f = open(dest, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0)
                return negative_errno();
        return bind_fd(fd, dest, false);
}

/* The directories above path, where missing. realpath() found them before the hiding, so a
 * missing one lies under a directory just covered by a tmpfs: nothing of the host changes. */
static int make_parents(const char *path) {
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", path) >= (int) sizeof buf)
                return -ENAMETOOLONG;
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
                return 0;
        *slash = '\0';
        return mkdir_p(buf, 0755);
}

static int home_tmpfs(const struct target *t) {
        char opts[96];
        struct stat st;
        /* Under /home, just covered with a tmpfs: made again there, in nothing of the host. */
        if (stat(t->home, &st) < 0 && errno == ENOENT && strncmp(t->home, "/home/", 6) == 0) {
                int r = make_parents(t->home);
                if (r < 0)
                        return r;
                if (mkdir(t->home, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
        }
        if (stat(t->home, &st) < 0 || !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        snprintf(opts, sizeof opts, "mode=0700,uid=%u,gid=%u,size=50%%", (unsigned) t->uid, (unsigned) t->gid);
        return mount_tmpfs(t->home, opts, 0);
}

int sandbox_hidden_dirs(const struct config *cfg, const char *ret[SANDBOX_HIDDEN_DIRS], char sockdir[PATH_MAX]) {
        int r = dirname_of(cfg->daemon.socket, sockdir, PATH_MAX);
        if (r < 0)
                return r;
        /* systemd's sockets (resolved, journal, userdb, the manager) and the print and
         * mDNS daemons' too: services of the host, reachable by path from any netns. */
        const char *const dirs[SANDBOX_HIDDEN_DIRS] = {
                sockdir, cfg->daemon.state_dir, cfg->ns.netns_dir, "/run/netns", "/run/dbus",
                "/var/run/dbus", "/run/systemd", "/run/nscd", "/var/run/nscd", "/run/cups",
                "/run/avahi-daemon",
        };
        memcpy(ret, dirs, sizeof dirs);
        return 0;
}

int sandbox_hidden_present(const struct config *cfg, unsigned *ret) {
        const char *hidden[SANDBOX_HIDDEN_DIRS];
        char sockdir[PATH_MAX];
        int r = sandbox_hidden_dirs(cfg, hidden, sockdir);
        if (r < 0)
                return r;
        struct stat st;
        *ret = 0;
        for (unsigned i = 0; i < SANDBOX_HIDDEN_DIRS; i++)
                if (stat(hidden[i], &st) == 0 && S_ISDIR(st.st_mode))
                        *ret |= 1U << i;
        return 0;
}

static void sandbox_prepared_done(struct sandbox_prepared *p) {
        closep(&p->run_user_fd);
        closep(&p->tmp_fd);
}

#define STEP(step, expr) do { *ret_step = (step); if ((r = (expr)) < 0) return r; } while (0)

/* What every launch gets: DNS, nsswitch, hidden host services, private /tmp and such. */
static int prepare_mounts(const struct config *cfg, struct sandbox_prepared *p, enum launch_step *ret_step) {
        int r;
        STEP(LAUNCH_STEP_MAKE_MOUNTS_PRIVATE, mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ? negative_errno() : 0);

        /* Open everything that lives under a path about to be hidden, first: the DNS file,
         * and the directories of the caller sockets an app may get. */
        char dns[PATH_MAX], resolv[PATH_MAX];
        _cleanup_close_ int dns_fd = -1;
        STEP(LAUNCH_STEP_FIND_THE_CLEARNET_RESOLV_CONF, dns_file_path(cfg->ns.etc_netns_dir, cfg->ns.name, dns));
        STEP(LAUNCH_STEP_OPEN_THE_CLEARNET_RESOLV_CONF, open_path(dns, &dns_fd));
        p->run_user_fd = open("/run/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
        /* /tmp, not /tmp/.X11-unix: an X server started after a spare was made makes it. */
        p->tmp_fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

        /* DNS: the clearnet servers, wherever a symlinked /etc/resolv.conf points. */
        STEP(LAUNCH_STEP_FIND_ETC_RESOLV_CONF, realpath("/etc/resolv.conf", resolv) ? 0 : negative_errno());
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_TMP, mount_tmpfs("/tmp", "mode=1777", 0));
        STEP(LAUNCH_STEP_BIND_A_GENERATED_NSSWITCH_CONF, bind_nsswitch());

        /* Local resolvers, the daemon, the namespaces and the system bus: out of sight. */
        const char *hidden[SANDBOX_HIDDEN_DIRS];
        char sockdir[PATH_MAX];
        STEP(LAUNCH_STEP_HIDE_THE_DAEMONS_SOCKET, sandbox_hidden_dirs(cfg, hidden, sockdir));
        for (size_t i = 0; i < ELEMENTSOF(hidden); i++)
                STEP(LAUNCH_STEP_HIDE_A_DIRECTORY, hide_dir(hidden[i], p->seen, &p->n_seen, ELEMENTSOF(p->seen)));
        /* After the hiding: a stub resolver's file (systemd-resolved's) lives in a directory
         * just covered, so it is made again in the tmpfs and the clearnet servers bound on it. */
        STEP(LAUNCH_STEP_MAKE_THE_RESOLV_CONF_PLACEHOLDER, make_parents(resolv));
        _cleanup_close_ int placeholder = open(resolv, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        STEP(LAUNCH_STEP_BIND_THE_CLEARNET_RESOLV_CONF, placeholder < 0 ? negative_errno() : bind_fd(dns_fd, resolv, true));
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_VAR_TMP, private_dir("/var/tmp"));
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_DEV_SHM, private_dir("/dev/shm"));
        STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_RUN_LOCK, private_dir("/run/lock"));
        return 0;
}

int sandbox_prepare(const struct config *cfg, struct sandbox_prepared *ret, enum launch_step *ret_step) {
        *ret = (struct sandbox_prepared) { .run_user_fd = -1, .tmp_fd = -1 };
        int r = prepare_mounts(cfg, ret, ret_step);
        if (r < 0)
                sandbox_prepared_done(ret);
        return r;
}

/* What only an app gets: its caller's data out of sight, a fresh HOME, the listed sockets. */
static int finish_app_mounts(const struct sandbox *sb, struct sandbox_prepared *p, struct runtime_socket *socks,
                             size_t n_socks, int x11_fd, enum launch_step *ret_step) {
        int r;
        /* An app may run as its caller (the Unsafe Browser as amnesia): what that user keeps
         * elsewhere (other homes, removable media, Tails' persistence) is out of its sight too. */
        static const char *const private_data[] = { "/home", "/media", "/run/media", "/live/persistence" };
        bool fresh_home = sb->app->home == APP_HOME_TMPFS;
        for (size_t i = 0; i < ELEMENTSOF(private_data); i++)
                if (fresh_home || i > 0) /* home = keep: the real /home stays */
                        STEP(LAUNCH_STEP_HIDE_USER_DATA, hide_dir(private_data[i], p->seen, &p->n_seen, ELEMENTSOF(p->seen)));
        if (fresh_home)
                STEP(LAUNCH_STEP_MOUNT_A_PRIVATE_HOME, home_tmpfs(sb->target));
        STEP(LAUNCH_STEP_BIND_THE_RUNTIME_SOCKETS, bind_runtime_sockets(sb, socks, n_socks));
        if (x11_fd >= 0)
                STEP(LAUNCH_STEP_BIND_THE_X11_SOCKET, bind_x11(x11_fd, sb->x11_display));
        return 0;
}

int sandbox_finish(const struct sandbox *sb, struct sandbox_prepared *p, enum launch_step *ret_step) {
        struct runtime_socket socks[] = {
                { APP_SOCKET_WAYLAND, "", -1 }, { APP_SOCKET_PIPEWIRE, "pipewire-0", -1 },
                { APP_SOCKET_PULSE, "pulse/native", -1 },
        };
        _cleanup_close_ int x11_fd = -1;
        int r = 0;
        if (sb->app) {
                snprintf(socks[0].name, sizeof socks[0].name, "%s", sb->wayland_display);
                for (size_t i = 0; i < ELEMENTSOF(socks); i++) {
                        char rel[160];
                        if (!(sb->app->sockets & socks[i].bit) || !socks[i].name[0] || !sb->runtime_dir[0])
                                continue;
                        /* Only the caller's own runtime dir: spawn_runtime_from_env() checked it is
                         * /run/user/<caller>. */
                        snprintf(rel, sizeof rel, "%u/%s", (unsigned) sb->caller_uid, socks[i].name);
                        socks[i].fd = open_caller_socket(p->run_user_fd, rel, sb->caller_uid, false);
                }
                /* /tmp/.X11-unix is world-writable: only a socket of the caller or root. */
                if ((sb->app->sockets & APP_SOCKET_X11) && sb->x11_display[0] && p->tmp_fd >= 0) {
                        char x[24];
                        snprintf(x, sizeof x, "X%s", sb->x11_display);
                        _cleanup_close_ int dir = openat(p->tmp_fd, ".X11-unix", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        x11_fd = open_caller_socket(dir, x, sb->caller_uid, true);
                }
                r = finish_app_mounts(sb, p, socks, ELEMENTSOF(socks), x11_fd, ret_step);
        }
        for (size_t i = 0; i < ELEMENTSOF(socks); i++)
                closep(&socks[i].fd);
        sandbox_prepared_done(p);
        return r;
}
#undef STEP

int sandbox_clear_bounding_set(void) {
        /* Only a capability still in the set costs a drop (each one a new set of
         * credentials): nsd empties its own at start, so a launch finds none. */
        for (unsigned long cap = 0;; cap++) {
                int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (in < 0)
                        return errno == EINVAL ? 0 : negative_errno(); /* past the last one */
                if (in == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        return negative_errno();
        }
}

int sandbox_drop_privileges(const struct target *t, enum launch_step *ret_step) {
        int r;
        *ret_step = LAUNCH_STEP_EMPTY_THE_CAPABILITY_BOUNDING_SET;
        if ((r = sandbox_clear_bounding_set()) < 0)
                return r;
        *ret_step = LAUNCH_STEP_SET_GROUPS;
        if (setgroups((size_t) t->n_groups, t->groups) < 0)
                return negative_errno();
        capng_clear(CAPNG_SELECT_ALL);
        *ret_step = LAUNCH_STEP_SWITCH_USER;
        if (t->uid == 0) {
                /* root running a command as itself: same ids, no capabilities at all. */
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || capng_apply(CAPNG_SELECT_CAPS) < 0)
                        return -EPERM;
        } else if (capng_change_id((int) t->uid, (int) t->gid, CAPNG_CLEAR_AMBIENT) < 0)
                return -EPERM;
        *ret_step = LAUNCH_STEP_CLEAR_AMBIENT_CAPABILITIES;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return negative_errno();
        /* Never trust that it worked: check. */
        uid_t ur, ue, us;
        gid_t gr, ge, gs;
        *ret_step = LAUNCH_STEP_VERIFY_THE_USER_SWITCH;
        if (getresuid(&ur, &ue, &us) < 0 || getresgid(&gr, &ge, &gs) < 0 || ur != t->uid || ue != t->uid ||
            us != t->uid || gr != t->gid || ge != t->gid || gs != t->gid)
                return -EPERM;
        *ret_step = LAUNCH_STEP_SET_NO_NEW_PRIVS;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return negative_errno();
        return 0;
}

static void seccomp_freep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

/* Built once when nsd starts, as BPF: every launch then loads it with one prctl(). */
int sandbox_seccomp_compile(struct sock_fprog *ret) {
        /* Denied with EPERM. unshare/clone of user namespaces stay allowed: browsers build
         * their own sandboxes with them. */
        static const char *const denied[] = {
                "ptrace", "process_vm_readv", "process_vm_writev", "setns", "mount", "umount", "umount2",
                "pivot_root", "bpf", "kexec_load", "kexec_file_load", "keyctl", "add_key", "request_key",
                "perf_event_open", "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree",
                "mount_setattr", "open_by_handle_at", "init_module", "finit_module", "delete_module",
                "swapon", "swapoff", "reboot", "acct", "quotactl", "userfaultfd", "iopl", "ioperm",
                "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "lookup_dcookie",
                "name_to_handle_at", "syslog", "uselib", "vhangup",
        };
        _cleanup_(seccomp_freep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
                int nr = seccomp_syscall_resolve_name(denied[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not on this architecture */
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0)
                        return r;
        }
        /* Typing into the caller's terminal, or driving the console. */
        static const unsigned long ioctls[] = { TIOCSTI, TIOCLINUX };
        for (size_t i = 0; i < ELEMENTSOF(ioctls); i++) {
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]));
                if (r < 0)
                        return r;
        }
        _cleanup_close_ int fd = memfd_create("seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t) sizeof(struct sock_filter) != 0 ||
            size / (off_t) sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -EINVAL;
        struct sock_filter *insns = malloc((size_t) size);
        if (!insns)
                return -ENOMEM;
        if (pread(fd, insns, (size_t) size, 0) != size) {
                free(insns);
                return -EIO;
        }
        *ret = (struct sock_fprog) { .len = (unsigned short) (size / (off_t) sizeof(struct sock_filter)), .filter = insns };
        return 0;
}

void sandbox_seccomp_free(struct sock_fprog *p) {
        free(p->filter);
        *p = (struct sock_fprog) {};
}

int sandbox_load_seccomp(const struct sock_fprog *filter) {
        if (!filter || !filter->len)
                return -EINVAL; /* never run without it */
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, filter, 0, 0) < 0)
                return negative_errno();
        return 0;
}

int sandbox_lockdown(const struct target *t, const struct sock_fprog *filter, bool filter_loaded,
                     enum launch_step *ret_step) {
        int r = sandbox_drop_privileges(t, ret_step);
        if (r < 0)
                return r;
        /* Die with the parent rather than run on unsupervised. Set after the user switch,
         * which clears it. */
        *ret_step = LAUNCH_STEP_WATCH_THE_PARENT;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return negative_errno();
        *ret_step = LAUNCH_STEP_LOAD_THE_SECCOMP_FILTER;
        if (!filter_loaded)
                return sandbox_load_seccomp(filter);
        /* Loaded ahead: never trust it, check. */
        return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == SECCOMP_MODE_FILTER ? 0 : -EPERM;
}
