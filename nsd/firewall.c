/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "firewall.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "link.h"
#include "util.h"

/* Host side. Verdicts are not final across tables: our accepts only let traffic past our
 * own chains, our drops and rejects are final. */
static const char host_template[] =
        "table inet %1$s\n"
        "delete table inet %1$s\n"
        "table inet %1$s {\n"
        /* The host offers no service to the namespace: not loopback, not its addresses. */
        "  chain input {\n"
        "    type filter hook input priority filter - 10; policy accept;\n"
        "    iifname \"%2$s\" meta l4proto tcp reject with tcp reset\n"
        "    iifname \"%2$s\" reject with icmpx admin-prohibited\n"
        "  }\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter - 10; policy accept;\n"
        "    iifname \"%2$s\" jump from_ns\n"
        "    oifname \"%2$s\" jump to_ns\n"
        "%5$s"
        "  }\n"
        /* New TCP and UDP from the namespace's own address, out to anything but the host's
         * own links and other local namespaces (veths, and other clearnet instances). */
        "  chain from_ns {\n"
        "    meta nfproto != ipv4 drop\n"
        "    ip saddr != %3$s drop\n"
        "    ct state established accept\n"
        "    ct state related meta l4proto icmp accept\n"
        "    oifname { \"%2$s\", \"lo\" } drop\n"
        /* Links to other local namespaces, containers, VMs and tunnels are no way out. */
        "    meta oifkind { \"veth\", \"tun\", \"wireguard\", \"vxlan\", \"ipvlan\", \"dummy\" } drop\n"
        /* A host port forward (DNAT of a host address to a container) is the host. */
        "    ct status dnat drop\n"
        "    oifgroup %6$u drop\n"
        "    meta l4proto { tcp, udp } ct state new accept\n"
        "    drop\n"
        "  }\n"
        /* Only replies and ICMP errors for those flows go back in. */
        "  chain to_ns {\n"
        "    meta nfproto != ipv4 drop\n"
        "    ip daddr != %3$s drop\n"
        "    ct state established accept\n"
        "    ct state related meta l4proto icmp accept\n"
        "    drop\n"
        "  }\n"
        /* The host opens no connection into the namespace; related lets our rejects out. */
        "  chain output {\n"
        "    type filter hook output priority filter - 10; policy accept;\n"
        "    oifname \"%2$s\" ct state established,related accept\n"
        "    oifname \"%2$s\" drop\n"
        "  }\n"
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat - 10; policy accept;\n"
        "    ip saddr %4$s oifname != \"%2$s\" masquerade\n"
        "  }\n"
        "}\n";

/* nsd turned forwarding on, so the host must not become a router for anyone else. */
static const char guard_rule[] =
        "    iifgroup != %1$u oifgroup != %1$u drop\n";

/* Inside the namespace: root in there can undo this, which is why the host enforces it too. */
static const char ns_template[] =
        "table inet %1$s\n"
        "delete table inet %1$s\n"
        "table inet %1$s {\n"
        "  chain input {\n"
        "    type filter hook input priority filter; policy drop;\n"
        "    iif \"lo\" meta nfproto ipv4 accept\n"
        "    meta nfproto ipv4 ct state established,related accept\n"
        "  }\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter; policy drop;\n"
        "  }\n"
        "  chain output {\n"
        "    type filter hook output priority filter; policy accept;\n"
        "    meta nfproto != ipv4 drop\n"
        "    oifname \"%2$s\" ip saddr != %3$s drop\n"
        "  }\n"
        "}\n";

static int format_addr(const struct in_addr *a, int prefixlen, char *buf, size_t size) {
        char text[INET_ADDRSTRLEN];
        if (!inet_ntop(AF_INET, a, text, sizeof text))
                return -EINVAL;
        if (prefixlen >= 0)
                snprintf(buf, size, "%s/%d", text, prefixlen);
        else
                snprintf(buf, size, "%s", text);
        return 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int firewall_host_ruleset(const struct firewall_params *p, char **ret) {
        char addr[32], net[32], guard[128] = "";
        struct in_addr n = p->ns_address.addr;
        uint32_t m = p->ns_address.prefixlen ? ~0u << (32 - p->ns_address.prefixlen) : 0;
        n.s_addr = htonl(ntohl(n.s_addr) & m);
        if (format_addr(&p->ns_address.addr, -1, addr, sizeof addr) < 0 ||
            format_addr(&n, p->ns_address.prefixlen, net, sizeof net) < 0)
                return -EINVAL;
        if (p->guard_forwarding)
                snprintf(guard, sizeof guard, guard_rule, (unsigned) CLEARNET_LINK_GROUP);
        if (asprintf(ret, host_template, p->table, p->host_veth, addr, net, guard,
                     (unsigned) CLEARNET_LINK_GROUP) < 0)
                return -ENOMEM;
        return 0;
}

int firewall_ns_ruleset(const struct firewall_params *p, char **ret) {
        char addr[32];
        if (format_addr(&p->ns_address.addr, -1, addr, sizeof addr) < 0)
                return -EINVAL;
        if (asprintf(ret, ns_template, p->table, p->ns_veth, addr) < 0)
                return -ENOMEM;
        return 0;
}
#pragma GCC diagnostic pop

/* libnftables is loaded only while a bring-up, repair or teardown needs it, and unloaded
 * after: it and the libraries it pulls in (gmp, nftnl, xtables, jansson) are over a MiB of
 * resident memory that an idle daemon has no use for. The headers still come from its
 * pkg-config package; the soname is Debian 12's. */
#define LIBNFTABLES_SONAME "libnftables.so.1"

struct firewall {
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

static int load_api(struct firewall *fw) {
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

void firewall_closep(struct firewall **fwp) {
        struct firewall *fw = *fwp;
        if (!fw)
                return;
        if (fw->ctx)
                fw->ctx_free(fw->ctx);
        if (fw->dl)
                dlclose(fw->dl);
        free(fw);
        *fwp = NULL;
}

int firewall_open(struct firewall **ret) {
        /* libnftables exit()s when it cannot open its netlink socket (no nf_tables in the
         * kernel): find out first, and fail like everything else. */
        int probe = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (probe < 0)
                return negative_errno();
        close(probe);
        _cleanup_(firewall_closep) struct firewall *fw = calloc(1, sizeof *fw);
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
static int run(struct firewall *fw, const char *cmd, char **ret_output, char **ret_error) {
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

int firewall_apply(struct firewall *fw, const char *ruleset, char **ret_error) {
        return run(fw, ruleset, NULL, ret_error);
}

int firewall_list(struct firewall *fw, const char *table, char **ret) {
        _cleanup_free_ char *cmd = NULL;
        if (asprintf(&cmd, "list table inet %s", table) < 0)
                return -ENOMEM;
        return run(fw, cmd, ret, NULL);
}

int firewall_delete(struct firewall *fw, const char *table, char **ret_error) {
        _cleanup_free_ char *cmd = NULL;
        /* "destroy" would need nft 1.0.8; add-then-delete in one transaction never fails
         * on a missing table and touches nothing else. */
        if (asprintf(&cmd, "table inet %1$s\ndelete table inet %1$s\n", table) < 0)
                return -ENOMEM;
        return run(fw, cmd, NULL, ret_error);
}

int firewall_probe(struct firewall *fw, char **ret_error) {
        return run(fw, "list tables", NULL, ret_error);
}
