/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "usercache.h"

#include <string.h>
#include <time.h>

#include "util.h"

static uint64_t monotonic_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static struct file_state file_state_of(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return (struct file_state) { .exists = false };
        return (struct file_state) { .exists = true, .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
                                     .mtime = st.st_mtim, .ctime = st.st_ctim };
}

static bool same_file_state(const struct file_state *a, const struct file_state *b) {
        return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
               a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
               a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Forget everything once either file changed; then drop what is too old. */
static void expire(struct user_cache *uc, uint64_t now) {
        struct file_state passwd = file_state_of("/etc/passwd"), group = file_state_of("/etc/group");
        if (!same_file_state(&passwd, &uc->passwd) || !same_file_state(&group, &uc->group)) {
                uc->n = uc->next = 0;
                uc->passwd = passwd;
                uc->group = group;
        }
        for (size_t i = 0; i < uc->n; i++)
                if (now - uc->entries[i].made_ms >= USER_CACHE_MS)
                        uc->entries[i].t.uid = (uid_t) -1;      /* matches no lookup */
}

static void keep(struct user_cache *uc, const struct target *t, uint64_t now) {
        size_t i = uc->n < USER_CACHE_SIZE ? uc->n++ : uc->next;
        uc->next = (i + 1) % USER_CACHE_SIZE;
        uc->entries[i].t = *t;
        uc->entries[i].made_ms = now;
}

int user_cache_by_uid(struct user_cache *uc, uid_t uid, struct target *ret) {
        uint64_t now = monotonic_ms();
        expire(uc, now);
        for (size_t i = 0; i < uc->n; i++)
                if (uc->entries[i].t.uid == uid && uid != (uid_t) -1) {
                        *ret = uc->entries[i].t;
                        return 0;
                }
        int r = target_from_uid(uid, ret);
        if (r == 0)
                keep(uc, ret, now);
        return r;
}

int user_cache_by_name(struct user_cache *uc, const char *name, struct target *ret) {
        uint64_t now = monotonic_ms();
        expire(uc, now);
        for (size_t i = 0; i < uc->n; i++)
                if (uc->entries[i].t.uid != (uid_t) -1 && STREQ(uc->entries[i].t.name, name)) {
                        *ret = uc->entries[i].t;
                        return 0;
                }
        int r = target_from_name(name, ret);
        if (r == 0)
                keep(uc, ret, now);
        return r;
}
