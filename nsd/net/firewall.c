/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/firewall.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "net/link.h"
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
        /* The allow-list of output links: the uplinks, kept current by nsd. */
        "  set uplinks {\n"
        "    type iface_index\n"
        "%7$s"
        "  }\n"
        "  set local_nets {\n"
        "    type ipv4_addr\n"
        "    flags interval\n"
        "%8$s"
        "  }\n"
        /* New TCP and UDP from the namespace's own address, out of an uplink only, to
         * anything but the host's own networks. */
        "  chain from_ns {\n"
        "    meta nfproto != ipv4 drop\n"
        "    ip saddr != %3$s drop\n"
        "    ct state established accept\n"
        "    ct state related meta l4proto icmp accept\n"
        "    oif != @uplinks drop\n"
        /* Routed out of an uplink, and still the host's (a policy route, an address of
         * another link): no. */
        "    ip daddr @local_nets drop\n"
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
        /* Out of an uplink only: not the host's own traffic over lo from the veth address. */
        "    ip saddr %4$s oif @uplinks masquerade\n"
        "  }\n"
        "}\n";

/* nsd turned forwarding on, so the host must not become a router for anyone else. */
static const char guard_rule[] =
        "    iifgroup != %1$u oifgroup != %1$u drop\n";

/* Inside a namespace, whatever its kind: nothing in but loopback and replies, nothing
 * forwarded. */
#define NS_INPUT_AND_FORWARD \
        "  chain input {\n" \
        "    type filter hook input priority filter; policy drop;\n" \
        "    iif \"lo\" meta nfproto ipv4 accept\n" \
        "    meta nfproto ipv4 ct state established,related accept\n" \
        "  }\n" \
        "  chain forward {\n" \
        "    type filter hook forward priority filter; policy drop;\n" \
        "  }\n"

/* Inside the namespace: root in there can undo this, which is why the host enforces it too;
 * but a host that drops its own rules (`nft flush ruleset` on a firewall reload) cannot. */
static const char ns_template[] =
        "table inet %1$s\n"
        "delete table inet %1$s\n"
        "table inet %1$s {\n"
        "  set local_nets {\n"
        "    type ipv4_addr\n"
        "    flags interval\n"
        "%4$s"
        "  }\n"
        NS_INPUT_AND_FORWARD
        "  chain output {\n"
        "    type filter hook output priority filter; policy accept;\n"
        "    meta nfproto != ipv4 drop\n"
        "    oifname \"%2$s\" ip saddr != %3$s drop\n"
        /* The second fence, which a host's `nft flush ruleset` cannot remove: nothing of
         * the host's own (its addresses, the networks of its other links). */
        "    oifname \"%2$s\" ip daddr @local_nets reject with icmpx admin-prohibited\n"
        "  }\n"
        "}\n";

/* A tor-ports namespace on the host: from its veth, TCP from the namespace's address to an
 * exposed port of the host end is sent on to the host's loopback service on that port
 * (DNAT; route_localnet on this veth alone lets the kernel route it). Nothing else in,
 * nothing forwarded either way, nothing out but the replies. */
static const char tor_host_template[] =
        "table inet %1$s\n"
        "delete table inet %1$s\n"
        "table inet %1$s {\n"
        "  chain prerouting {\n"
        "    type nat hook prerouting priority -110; policy accept;\n"
        "    iifname \"%2$s\" ip saddr %3$s ip daddr %4$s tcp dport { %5$s } dnat ip to 127.0.0.1\n"
        "  }\n"
        "  chain input {\n"
        "    type filter hook input priority filter - 10; policy accept;\n"
        "    iifname \"%2$s\" meta nfproto ipv4 ip saddr %3$s ip daddr 127.0.0.1 tcp dport { %5$s } "
        "ct status dnat ct original ip daddr %4$s accept\n"
        "    iifname \"%2$s\" meta l4proto tcp reject with tcp reset\n"
        "    iifname \"%2$s\" reject with icmpx admin-prohibited\n"
        "  }\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter - 10; policy accept;\n"
        "    iifname \"%2$s\" drop\n"
        "    oifname \"%2$s\" drop\n"
        "  }\n"
        "  chain output {\n"
        "    type filter hook output priority filter - 10; policy accept;\n"
        "    oifname \"%2$s\" ct state established,related accept\n"
        "    oifname \"%2$s\" drop\n"
        "  }\n"
        "}\n";

/* Inside: 127.0.0.1:PORT is the host end's PORT (DNAT, then SNAT to the namespace's own
 * address; route_localnet inside lets 127.0.0.1 leave and the replies come back); out of
 * the veth only that. */
static const char tor_ns_template[] =
        "table inet %1$s\n"
        "delete table inet %1$s\n"
        "table inet %1$s {\n"
        "  chain nat_output {\n"
        "    type nat hook output priority -110; policy accept;\n"
        "    ip daddr 127.0.0.1 tcp dport { %5$s } dnat ip to %4$s\n"
        "  }\n"
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat - 10; policy accept;\n"
        "    oifname \"%2$s\" ip saddr != %3$s snat ip to %3$s\n"
        "  }\n"
        NS_INPUT_AND_FORWARD
        "  chain output {\n"
        "    type filter hook output priority filter; policy accept;\n"
        "    meta nfproto != ipv4 drop\n"
        "    oif \"lo\" accept\n"
        "    oifname \"%2$s\" ip daddr %4$s tcp dport { %5$s } accept\n"
        "    oifname \"%2$s\" ct state established,related accept\n"
        "    reject with icmpx admin-prohibited\n"
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

static void format_ports(const struct expose_ports *l, char *buf, size_t size) {
        size_t n = 0;
        buf[0] = '\0';
        for (unsigned i = 0; l && i < l->n && n < size; i++)
                n += (size_t) snprintf(buf + n, size - n, "%s%u", i ? ", " : "", (unsigned) l->port[i]);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int tor_ruleset(const struct firewall_params *p, const char *template, char **ret) {
        char ns[32], host[32], ports[CONFIG_MAX_EXPOSE * 8];
        if (!p->expose || p->expose->n == 0 || format_addr(&p->ns_address.addr, -1, ns, sizeof ns) < 0 ||
            format_addr(&p->host_address.addr, -1, host, sizeof host) < 0)
                return -EINVAL;
        format_ports(p->expose, ports, sizeof ports);
        const char *veth = template == tor_host_template ? p->host_veth : p->ns_veth;
        if (asprintf(ret, template, p->table, veth, ns, host, ports) < 0)
                return -ENOMEM;
        return 0;
}

int firewall_host_ruleset(const struct firewall_params *p, char **ret) {
        if (p->kind == NS_KIND_TOR_PORTS)
                return tor_ruleset(p, tor_host_template, ret);
        char addr[32], net[32], guard[128] = "";
        struct in_addr n = p->ns_address.addr;
        uint32_t m = p->ns_address.prefixlen ? ~0u << (32 - p->ns_address.prefixlen) : 0;
        n.s_addr = htonl(ntohl(n.s_addr) & m);
        if (format_addr(&p->ns_address.addr, -1, addr, sizeof addr) < 0 ||
            format_addr(&n, p->ns_address.prefixlen, net, sizeof net) < 0)
                return -EINVAL;
        if (p->guard_forwarding)
                snprintf(guard, sizeof guard, guard_rule, (unsigned) CLEARNET_LINK_GROUP);
        _cleanup_free_ char *uplinks = NULL, *local = NULL;
        int r;
        if ((r = paths_uplink_elements(p->paths, &uplinks)) < 0 || (r = paths_local_elements(p->paths, &local)) < 0)
                return r;
        if (asprintf(ret, host_template, p->table, p->host_veth, addr, net, guard,
                     (unsigned) CLEARNET_LINK_GROUP, uplinks, local) < 0)
                return -ENOMEM;
        return 0;
}

int firewall_ns_ruleset(const struct firewall_params *p, char **ret) {
        if (p->kind == NS_KIND_TOR_PORTS)
                return tor_ruleset(p, tor_ns_template, ret);
        char addr[32];
        if (format_addr(&p->ns_address.addr, -1, addr, sizeof addr) < 0)
                return -EINVAL;
        _cleanup_free_ char *local = NULL;
        int r = paths_local_elements(p->paths, &local);
        if (r < 0)
                return r;
        if (asprintf(ret, ns_template, p->table, p->ns_veth, addr, local) < 0)
                return -ENOMEM;
        return 0;
}
#pragma GCC diagnostic pop
