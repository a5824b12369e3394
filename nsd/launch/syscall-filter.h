/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The seccomp filter of every launch: compiled once to BPF by nsd, loaded by each child. */
#pragma once
#include <linux/filter.h>

int launch_seccomp_compile(struct sock_fprog *ret);
void launch_seccomp_free(struct sock_fprog *p);
/* Load the filter (root may do it before no_new_privs). */
int launch_seccomp_load(const struct sock_fprog *filter);
/* On top of it, last: mount(), umount2(), open_tree() and move_mount() denied whatever
 * their flags (the main filter lets mount() with MS_SILENT and open_tree(), move_mount()
 * with view.h's flags through, for the mounts a spare makes after the request). A tiny
 * constant program: loading it costs next to nothing. */
int launch_seccomp_load_no_mounts(void);
