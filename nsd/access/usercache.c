/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "access/usercache.h"

#include <string.h>

#include "util.h"

static struct file_state file_state_of(const char *path) {
        struct file_state f = {};
        f.exists = stat(path, &f.st) == 0;
        return f;
}

static bool same_file_state(const struct file_state *a, const struct file_state *b) {
        return a->exists == b->exists && (!a->exists || stat_same_version(&a->st, &b->st));
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
        uint64_t now = now_ms();
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
        uint64_t now = now_ms();
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
