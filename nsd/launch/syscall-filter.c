/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "launch/syscall-filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <sys/prctl.h>
#include <termios.h>

#include "launch/view.h"
#include "util.h"

static void seccomp_freep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

/* Built once when nsd starts, as BPF: every launch then loads it with one prctl(). */
int launch_seccomp_compile(struct sock_fprog *ret) {
        /* Denied with EPERM. unshare/clone of user namespaces stay allowed: browsers build
         * their own sandboxes with them. */
        static const char *const denied[] = {
                "ptrace", "process_vm_readv", "process_vm_writev", "setns", "umount",
                "pivot_root", "bpf", "kexec_load", "kexec_file_load", "keyctl", "add_key", "request_key",
                "perf_event_open", "fsopen", "fsmount", "fsconfig", "fspick", "umount2",
                "mount_setattr", "open_by_handle_at", "init_module", "finit_module", "delete_module",
                "swapon", "swapoff", "reboot", "acct", "quotactl", "userfaultfd", "iopl", "ioperm",
                "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "lookup_dcookie",
                "name_to_handle_at", "syslog", "uselib", "vhangup",
                /* another process's fds, or their comparison: pidfd_open reaches any
                 * same-uid process without a PID namespace */
                "pidfd_getfd", "kcmp",
        };
        _cleanup_(seccomp_freep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;
        if (!ctx)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
                int nr = seccomp_syscall_resolve_name(denied[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not on this architecture */
                if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
                        return r;
        }
        /* mount(), open_tree() and move_mount() too, but for the flags of our own last
         * mounts (a spare attaches a command's home after its request, with this filter
         * loaded ahead: view.h): every launch then loads launch_seccomp_load_no_mounts() on
         * top, which denies them whatever their flags. */
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mount), 1, SCMP_A3(SCMP_CMP_MASKED_EQ, MS_SILENT, 0));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(open_tree), 1,
                                     SCMP_A2(SCMP_CMP_NE, VIEW_HOME_TREE_FLAGS, 0));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(move_mount), 1,
                                     SCMP_A4(SCMP_CMP_NE, VIEW_MOVE_MOUNT_FLAGS, 0));
        if (r < 0)
                return r;
        /* Typing into the caller's terminal, or driving the console. */
        static const unsigned long ioctls[] = { TIOCSTI, TIOCLINUX };
        for (size_t i = 0; i < ELEMENTSOF(ioctls); i++) {
                if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]))) < 0)
                        return r;
        }
        _cleanup_close_ int fd = memfd_create("seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = seccomp_export_bpf(ctx, fd);
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

void launch_seccomp_free(struct sock_fprog *p) {
        free(p->filter);
        *p = (struct sock_fprog) {};
}

int launch_seccomp_load(const struct sock_fprog *filter) {
        if (!filter || !filter->len)
                return -EINVAL; /* never run without it */
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, filter, 0, 0) < 0)
                return negative_errno();
        return 0;
}

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_I386
#else
#error "launch_seccomp_load_no_mounts(): add this architecture's AUDIT_ARCH"
#endif

int launch_seccomp_load_no_mounts(void) {
        /* mount(), umount2(), open_tree(), move_mount() of the native calls, whatever their flags; another
         * architecture's calls are the main filter's (it kills them). */
        static const struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, 5),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mount, 4, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_umount2, 3, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open_tree, 2, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_move_mount, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        };
        const struct sock_fprog prog = { .len = ELEMENTSOF(insns), .filter = (struct sock_filter *) insns };
        return launch_seccomp_load(&prog);
}
