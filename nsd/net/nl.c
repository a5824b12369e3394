/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/nl.h"

#include <errno.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>

#include "util.h"

int nl_error_to_errno(int nlerr) {
        static const struct { int nle, err; } map[] = {
                { NLE_NOMEM, ENOMEM },          { NLE_EXIST, EEXIST },
                { NLE_INVAL, EINVAL },          { NLE_RANGE, ERANGE },
                { NLE_OBJ_NOTFOUND, ENOENT },   { NLE_NODEV, ENODEV },
                { NLE_PERM, EPERM },            { NLE_BUSY, EBUSY },
                { NLE_AGAIN, EAGAIN },          { NLE_OPNOTSUPP, EOPNOTSUPP },
                { NLE_AF_NOSUPPORT, EAFNOSUPPORT }, { NLE_NOACCESS, EACCES },
                { NLE_NOADDR, EADDRNOTAVAIL }, 
                { NLE_MSGSIZE, EMSGSIZE },      { NLE_INTR, EINTR },
                { NLE_BAD_SOCK, EBADF },        { NLE_PROTO_MISMATCH, EPROTO },
                { NLE_NOATTR, ENODATA },        { NLE_MSG_TRUNC, EMSGSIZE },
        };
        int e = abs(nlerr);
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (map[i].nle == e)
                        return -map[i].err;
        return -EIO;
}

int nl_route_open(struct nl_sock **ret) {
        struct nl_sock *sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;
        int r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0) {
                nl_socket_free(sk);
                return nl_error_to_errno(r);
        }
        *ret = sk;
        return 0;
}

void nl_route_closep(struct nl_sock **sk) {
        if (*sk)
                nl_socket_free(*sk);
        *sk = NULL;
}
