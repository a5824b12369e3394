/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A PID namespace for a launch. nsd forks the launch's first process straight into a new
 * PID namespace, where it is init (PID 1): it builds the sandbox, locks itself down and
 * forks the program (PID 2), then only relays signals, reaps, and hands the program's wait
 * status to nsd. When init ends, the kernel ends everything left in the namespace, so no
 * process of the launch outlives it or hides from the kill (setsid, double fork). */
#pragma once

#include <signal.h>
#include <sys/types.h>

/* In nsd: fork() into a new PID namespace, then put nsd's own PID namespace (own_pidns_fd)
 * back for its later children. 0 in both, *ret_pid 0 in the child. The relayed signals
 * are blocked across the fork, so none sent early is lost before init handles them.
 * -ENOTRECOVERABLE: nsd's own could not be put back, and no later fork of nsd can work. */
int pidns_fork(int own_pidns_fd, pid_t *ret_pid);

/* In init, first: no-op handlers (an init ignores signals left at their default, even
 * from nsd) and a signalfd for the relayed signals and SIGCHLD. Returns the signalfd. */
int pidns_init_signals(void);

/* In init, locked down: start the program (PID 2, its signals as a fresh process has
 * them), which runs exec(arg): exec, or report the failure and _exit.
 * Init then closes exec_pipe, relays signals, and writes the program's wait status to
 * status_fd, and never returns; a negative errno when the program could not start. */
int pidns_run_program(int sigfd, int status_fd, int exec_pipe, int (*exec)(void *), void *arg);
