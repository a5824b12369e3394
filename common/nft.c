/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nft.h"

#include <dlfcn.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

/* libnftables is loaded only while a bring-up, repair or teardown needs it, and unloaded
 * after: it and the libraries it pulls in (gmp, nftnl, xtables, jansson) are over a MiB of
 * resident memory that an idle daemon has no use for. The headers still come from its
 * pkg-config package; the soname is Debian 12's. */
#define LIBNFTABLES_SONAME "libnftables.so.1"

struct nft {
        void *dl;
        struct nft_ctx *ctx;
        struct nft_ctx *(*ctx_new)(uint32_t flags);
        void (*ctx_free)(struct nft_ctx *ctx);
        int (*buffer_output)(struct nft_ctx *ctx);
        int (*buffer_error)(struct nft_ctx *ctx);
        const char *(*get_output)(struct nft_ctx *ctx);
        const char *(*get_error)(struct nft_ctx *ctx);
        int (*run_cmd)(struct nft_ctx *ctx, const char *buf);
};

static int load_api(struct nft *fw) {
        fw->dl = dlopen(LIBNFTABLES_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!fw->dl)
                return -ELIBACC;
        struct { void *dest; const char *name; } syms[] = {
                { &fw->ctx_new, "nft_ctx_new" },              { &fw->ctx_free, "nft_ctx_free" },
                { &fw->buffer_output, "nft_ctx_buffer_output" }, { &fw->buffer_error, "nft_ctx_buffer_error" },
                { &fw->get_output, "nft_ctx_get_output_buffer" }, { &fw->get_error, "nft_ctx_get_error_buffer" },
                { &fw->run_cmd, "nft_run_cmd_from_buffer" },
        };
        for (size_t i = 0; i < ELEMENTSOF(syms); i++) {
                void *f = dlsym(fw->dl, syms[i].name);
                if (!f)
                        return -ELIBBAD;
                memcpy(syms[i].dest, &f, sizeof f);
        }
        return 0;
}

void nft_closep(struct nft **nftp) {
        struct nft *fw = *nftp;
        if (!fw)
                return;
        if (fw->ctx)
                fw->ctx_free(fw->ctx);
        if (fw->dl)
                dlclose(fw->dl);
        free(fw);
        *nftp = NULL;
}

int nft_open(struct nft **ret) {
        /* libnftables exit()s when it cannot open its netlink socket (no nf_tables in the
         * kernel): find out first, and fail like everything else. */
        int probe = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (probe < 0)
                return negative_errno();
        close(probe);
        _cleanup_(nft_closep) struct nft *fw = calloc(1, sizeof *fw);
        if (!fw)
                return -ENOMEM;
        int r = load_api(fw);
        if (r < 0)
                return r;
        fw->ctx = fw->ctx_new(NFT_CTX_DEFAULT);
        if (!fw->ctx)
                return -ENOMEM;
        if (fw->buffer_output(fw->ctx) < 0 || fw->buffer_error(fw->ctx) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(fw);
        return 0;
}

/* Run one buffer as one transaction; keep the output and the first error line. */
static int run(struct nft *fw, const char *cmd, char **ret_output, char **ret_error) {
        int rc = fw->run_cmd(fw->ctx, cmd);
        const char *out = fw->get_output(fw->ctx);   /* also resets both buffers */
        const char *err = fw->get_error(fw->ctx);
        if (rc != 0) {
                if (ret_error) {
                        size_t len = err ? strcspn(err, "\n") : 0;
                        *ret_error = len ? strndup(err, len) : strdup("nftables command failed");
                }
                if (err && (strstr(err, "No such file or directory") || strstr(err, "does not exist")))
                        return -ENOENT;
                if (err && strstr(err, "Operation not permitted"))
                        return -EPERM;
                if (err && strstr(err, "Protocol not supported"))
                        return -EPROTONOSUPPORT;
                return -EIO;
        }
        if (ret_output) {
                *ret_output = strdup(out ? out : "");
                if (!*ret_output)
                        return -ENOMEM;
        }
        return 0;
}

int nft_apply(struct nft *fw, const char *ruleset, char **ret_error) {
        return run(fw, ruleset, NULL, ret_error);
}

int nft_list_table(struct nft *fw, const char *table, char **ret) {
        _cleanup_free_ char *cmd = NULL;
        if (asprintf(&cmd, "list table inet %s", table) < 0)
                return -ENOMEM;
        return run(fw, cmd, ret, NULL);
}

int nft_delete_table(struct nft *fw, const char *table, char **ret_error) {
        _cleanup_free_ char *cmd = NULL;
        /* "destroy" would need nft 1.0.8; add-then-delete in one transaction never fails
         * on a missing table and touches nothing else. */
        if (asprintf(&cmd, "table inet %1$s\ndelete table inet %1$s\n", table) < 0)
                return -ENOMEM;
        return run(fw, cmd, NULL, ret_error);
}

int nft_probe(struct nft *fw, char **ret_error) {
        return run(fw, "list tables", NULL, ret_error);
}
