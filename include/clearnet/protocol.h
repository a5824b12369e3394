/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wire contract between clearnet-run (and other clients) and clearnet-nsd.
 *
 * Transport: a Unix SOCK_SEQPACKET socket, one request per connection, every message
 * exactly one datagram. The client sends one REQUEST of one of four kinds:
 *   COMMAND    run argv as the caller; stdin, stdout and stderr in one SCM_RIGHTS
 *              control message; then any number of SIGNAL messages to forward signals;
 *   APP        start the policy's app NAME (argv: what the app allows, e.g. one URL),
 *              with stdio and SIGNALs as for COMMAND;
 *   STATUS     no fds: is app NAME enabled, how many run, is the machine online;
 *   TIME_SYNC  no fds: run the portal check and set the clock from it;
 *   NAMESPACES no fds, no app: which namespaces nsd keeps, and what runs in each.
 * The daemon answers STARTED followed by EXITED, or ERROR, or (for STATUS) one STATUS
 * reply, or (for TIME_SYNC) one TIME reply, or (for NAMESPACES) one NAMESPACES reply,
 * then closes.
 *
 * Encoding: a fixed 12-byte header, then the payload. All integers are unsigned,
 * little-endian, unaligned. A string is a u32 byte count followed by that many bytes,
 * which must not contain NUL (there is no terminator on the wire).
 *
 *   header   u32 magic (PROTO_MAGIC), u16 version (PROTO_VERSION), u16 type,
 *            u32 payload length (must equal the datagram size minus the header)
 *   REQUEST  u32 kind, str app, u32 argc, argc × str, u32 envc, envc × str, str cwd
 *   SIGNAL   u32 signal number (one of SIGINT SIGTERM SIGHUP SIGQUIT SIGWINCH)
 *   STARTED  u32 pid (> 0)
 *   EXITED   u32 how (PROTO_EXIT_CODE | PROTO_EXIT_SIGNAL), u32 exit code or signal
 *   ERROR    u32 error code, str message (1..PROTO_ERROR_MESSAGE_MAX printable ASCII)
 *   STATUS   u32 enabled (0 | 1), u32 running instances, u32 instance limit (0: none),
 *            u32 clearnet DNS servers, u32 online (0 | 1: the host has a default route)
 *   TIME     u32 outcome (enum proto_time_outcome), u32 clock set (0 | 1),
 *            u64 server time (UTC seconds, 0: none), u64 offset (server - local, two's
 *            complement), str detail (0..PROTO_URL_MAX printable ASCII: the portal URL)
 *   NAMESPACES u32 n (1..PROTO_NAMESPACES_MAX), n × { str name (1..PROTO_NS_NAME_MAX
 *            printable ASCII), u32 kind (enum proto_ns_kind), u32 nports
 *            (0..PROTO_NS_PORTS_MAX), nports × u32 port (1..65535), u32 running (programs
 *            there, everyone's) }, u32 m (0..PROTO_PROGRAMS_MAX), m × { u32 namespace
 *            (index < n), u32 pid (> 0), u32 uid, str what (1..PROTO_APP_NAME_MAX
 *            printable ASCII: the app's name, or the command) }: the caller's own
 *            programs (root: everyone's), at most PROTO_PROGRAMS_MAX of them
 *
 * There are no optional fields: a decoder rejects unknown versions, unknown types, a
 * length that disagrees with the datagram, missing fields and trailing bytes. An
 * encoding is canonical: decoding then re-encoding gives back the same bytes.
 *
 * Functions return 0 (or a size) on success and a negative errno on failure:
 *   -EBADMSG          malformed message or control data, or fields that break the rules
 *   -EPROTONOSUPPORT  valid magic but a protocol version we do not speak
 *   -E2BIG            a limit below is exceeded
 *   -EMSGSIZE         datagram larger than the receive buffer (or PROTO_MESSAGE_MAX)
 *   -ENOBUFS          encode buffer too small
 *   -EINVAL           the caller passed something the contract does not allow
 *   -ECONNRESET       the peer closed the connection (or sent an empty datagram)
 *   other             from the socket calls
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define PROTO_SOCKET_DEFAULT "/run/clearnet/nsd.sock"

#define PROTO_MAGIC   UINT32_C(0x54454e43)   /* "CNET" on the wire */
#define PROTO_VERSION 1
#define PROTO_HEADER_SIZE 12

/* Limits. Lengths are in bytes and exclude the terminating NUL unless said otherwise. */
#define PROTO_MESSAGE_MAX        (64 * 1024)  /* whole datagram, header included */
#define PROTO_ARGV_MAX           256          /* argv entries */
#define PROTO_ARGV_TOTAL_MAX     (32 * 1024)  /* sum of argv entry lengths + 1 each */
#define PROTO_ENV_MAX            128          /* env entries */
#define PROTO_ENV_ENTRY_MAX      4096         /* one "KEY=VALUE" */
#define PROTO_CWD_MAX            (PATH_MAX - 1)
#define PROTO_APP_NAME_MAX       64
#define PROTO_ERROR_MESSAGE_MAX  256
#define PROTO_REQUEST_FDS        3            /* stdin, stdout, stderr */
#define PROTO_SIGNAL_MAX         64           /* highest signal number an EXITED may carry */
/* Large enough for any reply or SIGNAL message; a receive buffer of this size suffices. */
#define PROTO_URL_MAX            2048         /* a portal URL in a TIME reply */
#define PROTO_REPLY_MAX          8192

/* Exit statuses of the launcher, like env(1) and timeout(1); a command's own status, or
 * PROTO_EXIT_STATUS_SIGNAL_BASE + N when it was killed by signal N, otherwise. */
#define PROTO_EXIT_STATUS_FAILURE        125  /* the launcher or the daemon failed or refused */
#define PROTO_EXIT_STATUS_NOT_EXECUTABLE 126
#define PROTO_EXIT_STATUS_NOT_FOUND      127
#define PROTO_EXIT_STATUS_SIGNAL_BASE    128

/* Wire values: never renumber, only append. */
enum proto_msg_type {
        PROTO_MSG_REQUEST = 1,   /* client → daemon */
        PROTO_MSG_SIGNAL  = 2,   /* client → daemon, after the request */
        PROTO_MSG_STARTED = 16,  /* daemon → client */
        PROTO_MSG_EXITED  = 17,
        PROTO_MSG_ERROR   = 18,
        PROTO_MSG_STATUS  = 19,
        PROTO_MSG_TIME    = 20,
        PROTO_MSG_NAMESPACES = 21,
};

#define PROTO_NAMESPACES_MAX 16
#define PROTO_NS_NAME_MAX    64
#define PROTO_NS_PORTS_MAX   8
#define PROTO_PROGRAMS_MAX   32

enum proto_ns_kind {
        PROTO_NS_INTERNET  = 1,  /* the clearnet kind: NAT out to the internet */
        PROTO_NS_TOR_PORTS = 2,  /* only some of the host's loopback ports (Tor's) */
};

enum proto_request_kind {
        PROTO_REQUEST_COMMAND = 1,  /* run argv as the caller; app is "" */
        PROTO_REQUEST_APP     = 2,  /* run the policy's app; argv = the caller's extra args */
        PROTO_REQUEST_STATUS  = 3,  /* is app enabled, how many run; no argv/env/cwd/fds */
        PROTO_REQUEST_TIME_SYNC = 4,  /* run the portal check, set the clock from it; app is "",
                                       * no argv/env/cwd/fds */
        PROTO_REQUEST_NAMESPACES = 5,  /* list the namespaces; app is "", no argv/env/cwd/fds */
};

/* What the portal check found, in a TIME reply. */
enum proto_time_outcome {
        PROTO_TIME_ONLINE       = 1,
        PROTO_TIME_PORTAL       = 2,
        PROTO_TIME_OFFLINE      = 3,
        PROTO_TIME_DNS_FAILURE  = 4,
        PROTO_TIME_INVALID      = 5,  /* online, but no usable Date: */
        PROTO_TIME_CHECK_FAILED = 6,  /* the check did not run or said nothing we understand */
};

enum proto_error {
        PROTO_ERROR_NOT_ALLOWED        = 1,
        PROTO_ERROR_NO_SUCH_APP        = 2,
        PROTO_ERROR_DISABLED           = 3,
        PROTO_ERROR_BUSY               = 4,  /* too many clients at once */
        PROTO_ERROR_TOO_MANY_INSTANCES = 5,
        PROTO_ERROR_BAD_REQUEST        = 6,
        PROTO_ERROR_NOT_FOUND          = 7,  /* exec: ENOENT → 127 */
        PROTO_ERROR_NOT_EXECUTABLE     = 8,  /* exec: EACCES, ENOEXEC, … → 126 */
        PROTO_ERROR_INTERNAL           = 9,
};

enum proto_exit_how {
        PROTO_EXIT_CODE   = 1,  /* exited normally; value is the exit code 0..255 */
        PROTO_EXIT_SIGNAL = 2,  /* killed; value is the signal number 1..PROTO_SIGNAL_MAX */
};

/*
 * A request. To encode, fill the fields (argv and env need not be NULL-terminated, the
 * counts rule). A decoded request owns a private copy of every string: it never points
 * into the receive buffer, argv and env are also NULL-terminated (ready for execve()),
 * and it must be released with proto_request_done().
 */
struct proto_request {
        enum proto_request_kind kind;
        const char *app;   /* APP, STATUS: a valid app name; COMMAND: "" or NULL */
        size_t argc;       /* COMMAND: ≥ 1 and argv[0] non-empty; STATUS: 0 */
        char **argv;
        size_t envc;       /* "KEY=VALUE", KEY non-empty; STATUS: 0 */
        char **env;
        const char *cwd;   /* COMMAND, APP: absolute; STATUS: "" or NULL */

        /* private to the decoder */
        void *_storage;
};

struct proto_exit {
        enum proto_exit_how how;
        int value;
};

struct proto_reply {
        enum proto_msg_type type;  /* STARTED, EXITED, ERROR or STATUS */
        union {
                struct {
                        pid_t pid;
                } started;
                struct proto_exit exited;
                struct {
                        enum proto_error code;
                        char message[PROTO_ERROR_MESSAGE_MAX + 1];
                } error;
                struct {
                        enum proto_time_outcome outcome;
                        bool clock_set;
                        uint64_t server_time;
                        int64_t offset;
                        char detail[PROTO_URL_MAX + 1];
                } time;
                struct {
                        bool enabled;
                        uint32_t running;
                        uint32_t limit;  /* 0: no limit */
                        uint32_t dns_servers;  /* nameservers in the clearnet DNS file */
                        bool online;           /* the host has an IPv4 default route */
                } status;
                struct {
                        uint32_t n;
                        struct {
                                char name[PROTO_NS_NAME_MAX + 1];
                                enum proto_ns_kind kind;
                                uint32_t nports;
                                uint16_t ports[PROTO_NS_PORTS_MAX];
                                uint32_t running;
                        } ns[PROTO_NAMESPACES_MAX];
                        uint32_t m;
                        struct {
                                uint32_t ns;    /* index into ns[] */
                                pid_t pid;
                                uid_t uid;
                                char what[PROTO_APP_NAME_MAX + 1];
                        } programs[PROTO_PROGRAMS_MAX];
                } namespaces;
        };
};

/* Pure codec. Encoders write at most size bytes to buf and the message length to
 * *ret_len; they validate exactly as the decoders do, so whatever encodes, decodes.
 * Decoders take one whole datagram. On failure *ret is left untouched. */
int proto_encode_request(const struct proto_request *req, uint8_t *buf, size_t size, size_t *ret_len);
int proto_decode_request(const uint8_t *buf, size_t len, struct proto_request *ret);
/* Free what the decoder allocated; safe on a zeroed or already released request. */
void proto_request_done(struct proto_request *req);
/* How many fds must accompany a request of this kind (3, or 0 for STATUS, TIME_SYNC and
 * NAMESPACES). */
size_t proto_request_fds(enum proto_request_kind kind);

int proto_encode_reply(const struct proto_reply *reply, uint8_t *buf, size_t size, size_t *ret_len);
int proto_decode_reply(const uint8_t *buf, size_t len, struct proto_reply *ret);

int proto_encode_signal(int signo, uint8_t *buf, size_t size, size_t *ret_len);
int proto_decode_signal(const uint8_t *buf, size_t len, int *ret_signo);

/* Reply constructors. The error message is formatted, non-printable bytes are replaced
 * by '?' (it may quote caller-supplied names), it is cut to PROTO_ERROR_MESSAGE_MAX, and
 * a NULL or empty format gives the code's default message. */
void proto_reply_started(struct proto_reply *ret, pid_t pid);
int proto_reply_exited(struct proto_reply *ret, int wait_status);
void proto_reply_error(struct proto_reply *ret, enum proto_error code, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
void proto_reply_status(struct proto_reply *ret, bool enabled, uint32_t running, uint32_t limit);

void proto_reply_time(struct proto_reply *ret, enum proto_time_outcome outcome, bool clock_set,
                      uint64_t server_time, int64_t offset, const char *detail);
/* "online", "portal", …; NULL for an unknown value. */
const char *proto_time_outcome_name(enum proto_time_outcome outcome);

/* Rules shared with the policy parser and the launcher. */
bool proto_app_name_is_valid(const char *name);   /* [A-Za-z0-9_.-], not starting with '.' '-' */
/* The signals the launcher forwards and a PID namespace's init relays to the program. */
extern const int proto_forwarded_signals[];
extern const size_t proto_n_forwarded_signals;
bool proto_signal_is_forwardable(int signo);      /* SIGINT SIGTERM SIGHUP SIGQUIT SIGWINCH */
/* The environment: a command (run as its caller) keeps terminal, locale, time zone and
 * PATH; the launcher sends those and the runtime socket names an app may be given. An
 * app's `env =` list picks from what is sent. */
bool proto_env_kept_for_command(const char *entry);
bool proto_env_is_sent(const char *entry);
bool proto_error_is_valid(int code);

/* "not allowed", "no such app", …; never NULL. */
const char *proto_error_default_message(enum proto_error code);
/* What clearnet-run exits with for an error: 126, 127, else 125. */
int proto_error_exit_status(enum proto_error code);
/* Split a waitpid() status; -EINVAL unless it is exited or killed. */
int proto_exit_from_wait_status(int wait_status, struct proto_exit *ret);
/* The launcher's exit status: the code, or 128 + signal. */
int proto_exit_status(const struct proto_exit *e);

/*
 * Socket helpers. proto_send() sends one datagram with MSG_NOSIGNAL and, when nfds > 0,
 * the fds in one SCM_RIGHTS message (at most PROTO_REQUEST_FDS).
 *
 * proto_recv() receives one datagram into buf with MSG_CMSG_CLOEXEC. It rejects a
 * truncated datagram (-EMSGSIZE) or control buffer, more than one control message, any
 * control message but SCM_RIGHTS (e.g. SCM_CREDENTIALS, which appear when SO_PASSCRED
 * is set: identity comes from SO_PEERCRED instead), and more than max_fds fds. On every
 * failure all received fds are closed; on success the caller owns fds[0..*ret_nfds).
 * An orderly shutdown by the peer is -ECONNRESET. EINTR is retried; a non-blocking
 * socket with nothing queued gives -EAGAIN.
 */
int proto_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds);
/* How the receive helpers close an fd the peer sent and that is not kept. Closing a file
 * someone else opened can block without limit (a lingering TCP socket, a FUSE file whose
 * server never answers FLUSH), so a daemon replaces this weak default with one that does
 * it off its main loop. */
void proto_close_fd(int fd);
int proto_recv(int sock, void *buf, size_t size, size_t *ret_len,
               int *fds, size_t max_fds, size_t *ret_nfds);
/* The control-message half of proto_recv(), for callers with their own recvmsg(): checks
 * mh->msg_flags and the control messages of a received mh, same rules, same closing. */
int proto_take_fds(struct msghdr *mh, int *fds, size_t max_fds, size_t *ret_nfds);

/* Typed wrappers. proto_recv_request() also requires exactly proto_request_fds(kind)
 * fds; on success fds[] holds them (or -1 for STATUS) and *ret must be released with
 * proto_request_done(); on failure nothing is left open or allocated. For
 * proto_send_request(), fds may be NULL for STATUS. */
int proto_send_request(int sock, const struct proto_request *req, const int fds[PROTO_REQUEST_FDS]);
int proto_recv_request(int sock, struct proto_request *ret, int fds[PROTO_REQUEST_FDS]);
int proto_send_reply(int sock, const struct proto_reply *reply);
int proto_recv_reply(int sock, struct proto_reply *ret);
int proto_send_signal(int sock, int signo);
int proto_recv_signal(int sock, int *ret_signo);
