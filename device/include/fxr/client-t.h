/* fxr/client-t.h: types of libfxr, the device side of FXR/1 (DESIGN.md §2): one connection
 * to a relay (struct fxr_client) and the events it reports. Prototypes in fxr/client.h. */
#ifndef FXR_CLIENT_T_H
#define FXR_CLIENT_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fxr/frame-t.h"
#include "fxr/scan-t.h"
#include "fxr/scram-t.h"

#define FXR_CLIENT_REASON_MAX   160u
#define FXR_CLIENT_EVQ_LEN      4u      /* locally made events waiting to be read */
#define FXR_CLIENT_RX_DEFAULT   (2u * FXR_FRAME_MAX_LEN)
#define FXR_CLIENT_TX_DEFAULT   (256u * 1024u)
#define FXR_CLIENT_KA_DEFAULT_S 30u     /* until AUTH_OK says otherwise (DESIGN.md §2) */
#define FXR_CLIENT_IDLE_DEFAULT_S 90u
#define FXR_CLIENT_LOGIN_TIMEOUT_MS 15000u

/* The connection's state, mirroring the relay's per-connection states (docs/protocol.md)
 * from the device's side. X(NAME, name) */
#define FXR_CLIENT_STATE_LIST(X)                                                      \
	X(CLOSED, "closed")             /* no socket */                               \
	X(CONNECTING, "connecting")     /* TCP under way or up, login not started */  \
	X(AUTHENTICATING, "authenticating") /* AUTH_START sent, waiting for AUTH_OK */ \
	X(IDLE, "idle")                 /* logged in, vacant */                       \
	X(CALLING, "calling")           /* CONNECT sent: relay PENDING (caller) */    \
	X(RINGING, "ringing")           /* INCOMING received: relay PENDING (callee) */ \
	X(PAIRED, "paired")             /* spliced to a peer (or alone after it left) */

enum fxr_client_state {
#define FXR_CLIENT_STATE_ENUM(name, text) FXR_CLIENT_##name,
	FXR_CLIENT_STATE_LIST(FXR_CLIENT_STATE_ENUM)
#undef FXR_CLIENT_STATE_ENUM
};

/* Events reported by fxr_client_next_event(). X(NAME, name); the name is what fxr-device
 * prints first on a line. Fields of struct fxr_client_event that each one fills:
 *   LOGGED_IN       keepalive_s, idle_timeout_s
 *   AUTH_FAILED     err (-EACCES: relay refused or not authentic; -EBADMSG...), code
 *                   (AUTH_FAIL's code, or 0 when we refused the relay), text
 *   INCOMING        id (call_id), peer (caller)
 *   CONNECTED       id (req_id), peer
 *   CONNECT_FAILED  id (req_id), code
 *   CANCELLED       id (call_id), code: the relay withdrew an INCOMING
 *   DATA            data, len: a view into the rx buffer, valid until the next call on
 *                   the client
 *   END             code (the peer's reason, or PEER_LOST / PEER_RELEASED from the relay)
 *   RELEASED        (none): the connection is IDLE again
 *   LIST_ENTRY      id (req_id), peer, list_state (1 idle, 2 busy)
 *   LIST_DONE       id (req_id), count (entries reported for this LIST)
 *   KEEPALIVE_ACK   data, len: the bytes echoed
 *   BYE, ERROR      code, text: the relay closes after it (a CLOSED follows)
 *   CLOSED          err (0 after BYE/ERROR/AUTH_FAIL or our LOGOUT, else why: -ECONNRESET,
 *                   -ETIMEDOUT, -EPROTO, -EBADMSG, -ECONNREFUSED...), code, text */
#define FXR_CLIENT_EV_LIST(X)                                                         \
	X(NONE, "none")                                                               \
	X(LOGGED_IN, "logged-in")                                                     \
	X(AUTH_FAILED, "auth-failed")                                                 \
	X(INCOMING, "incoming")                                                       \
	X(CONNECTED, "connected")                                                     \
	X(CONNECT_FAILED, "connect-failed")                                           \
	X(CANCELLED, "cancelled")                                                     \
	X(DATA, "data")                                                               \
	X(END, "end")                                                                 \
	X(RELEASED, "released")                                                       \
	X(LIST_ENTRY, "list-entry")                                                   \
	X(LIST_DONE, "list-done")                                                     \
	X(KEEPALIVE_ACK, "keepalive-ack")                                             \
	X(BYE, "bye")                                                                 \
	X(ERROR, "error")                                                             \
	X(CLOSED, "closed")

enum fxr_client_ev {
#define FXR_CLIENT_EV_ENUM(name, text) FXR_CLIENT_EV_##name,
	FXR_CLIENT_EV_LIST(FXR_CLIENT_EV_ENUM)
#undef FXR_CLIENT_EV_ENUM
};

struct fxr_client_event {
	uint8_t type;              /* enum fxr_client_ev */
	uint8_t list_state;        /* enum fxr_list_state */
	uint16_t code;             /* enum fxr_code, or a newer value */
	uint32_t id;               /* req_id or call_id */
	int err;                   /* 0 or a negative errno */
	uint16_t keepalive_s;
	uint16_t idle_timeout_s;
	uint32_t count;
	const uint8_t *data;       /* view: valid until the next call on the client */
	size_t len;
	char peer[64 + 1];         /* a device id, NUL-terminated */
	char text[FXR_TEXT_MAX + 1]; /* printable: other bytes replaced by '?' */
};

/* Options; zero means the default. */
struct fxr_client_config {
	size_t rx_cap;             /* >= FXR_FRAME_MAX_LEN; default FXR_CLIENT_RX_DEFAULT */
	size_t tx_cap;             /* >= 64; default FXR_CLIENT_TX_DEFAULT */
	uint32_t login_timeout_ms; /* connect + login; default FXR_CLIENT_LOGIN_TIMEOUT_MS */
};

/* One connection to a relay. Owned by one thread; no locking. Fields are private: use the
 * functions of fxr/client.h. */
struct fxr_client {
	int fd;                    /* -1 when CLOSED */
	uint8_t state;             /* enum fxr_client_state */
	bool tcp_up;               /* connect() completed */
	bool end_sent;             /* PAIRED: we sent END */
	bool end_rcvd;             /* PAIRED: we received END */
	bool release_sent;         /* PAIRED: RELEASE sent, waiting for RELEASED */
	bool logout_sent;
	bool list_active;          /* a LIST_RESULT frame is being reported entry by entry */
	bool frame_ready;          /* rx[rx_rd..scan_pos) is one whole frame */
	bool rx_seen;              /* bytes arrived since the last tick */
	bool rearm;                /* (re)start the timers at the next tick */
	int dead_err;              /* socket finished (EOF or error): report after the frames */

	/* rx: bytes [rx_rd, rx_wr) not yet consumed; scanned up to scan_pos */
	uint8_t *rx;
	size_t rx_cap, rx_rd, rx_wr, scan_pos;
	struct fxr_scanner scan;
	/* tx: bytes [tx_rd, tx_wr) not yet written */
	uint8_t *tx;
	size_t tx_cap, tx_rd, tx_wr;

	/* locally made events (CLOSED, ...), read before frames */
	struct fxr_client_event evq[FXR_CLIENT_EVQ_LEN];
	unsigned evq_head, evq_len;

	/* LIST_RESULT being reported */
	struct fxr_list_iter list_it;
	uint32_t list_req;
	uint32_t list_count;
	bool list_more;

	/* ids */
	uint32_t next_id;          /* last req_id used (CONNECT and LIST share the sequence) */
	uint32_t call_req;         /* CALLING: our req_id */
	uint32_t cancelled_req;    /* last CONNECT we cancelled (a reply may cross the CANCEL) */
	uint32_t call_id;          /* RINGING, or PAIRED as callee: the relay's call_id */
	bool callee;               /* PAIRED by ACCEPT (a CANCEL may cross it) */
	bool paired_traffic;       /* PAIRED: something arrived from the peer */
	char peer[64 + 1];

	/* timers, milliseconds of the caller's monotonic clock (fxr_client_tick) */
	uint64_t now_ms;
	uint64_t last_rx_ms;
	uint64_t last_ka_ms;
	uint64_t deadline_ms;      /* CONNECTING/AUTHENTICATING: login deadline */
	uint32_t ka_ms, idle_ms;
	uint32_t login_timeout_ms;
	uint64_t ka_seq;

	/* login */
	struct fxr_scram_client scram;
	char id[64 + 1];
	char password[FXR_SCRAM_PASSWORD_MAX];
	size_t pw_len;

	char reason[FXR_CLIENT_REASON_MAX];
};

#endif
