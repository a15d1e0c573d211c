/* session-t.h: the relay's connection and session tables (DESIGN.md §2), types only. */
#ifndef FXR_SESSION_T_H
#define FXR_SESSION_T_H

#include <stdint.h>

#include "fxr/frame-t.h"
#include "idmap-t.h"

#define FXR_DEVID_MAX_BYTES 64 /* = FXR_DEVID_MAX of fxr/devid.h */

/* Per-connection states at the relay. X(NAME, text) */
#define FXR_CONN_STATE_LIST(X)                                                        \
	X(NEW, "connected, no AUTH_START yet")                                        \
	X(AUTHENTICATING, "SCRAM exchange under way")                                 \
	X(IDLE, "logged in, vacant")                                                  \
	X(PENDING, "a call is being set up")                                          \
	X(PAIRED, "spliced to a peer (or alone after the peer released or was lost)")

enum fxr_conn_state {
#define FXR_CONN_STATE_ENUM(name, text) FXR_CONN_##name,
	FXR_CONN_STATE_LIST(FXR_CONN_STATE_ENUM)
#undef FXR_CONN_STATE_ENUM
	FXR_CONN_STATE_COUNT
};

/* What the machine asks its owner to do. The owner turns these into plane-channel messages
 * (or, in tests, records them). */
enum fxr_sess_act_kind {
	FXR_ACT_SEND,   /* send frame[0..len) on conn */
	FXR_ACT_CLOSE,  /* close conn after what was sent on it; the machine has forgotten it */
	FXR_ACT_LOGIN,  /* conn is logged in as device: keepalive/idle timers to the dataplane */
	FXR_ACT_PAIR,   /* splice conn and peer both ways */
	FXR_ACT_UNPAIR, /* dissolve conn's splice both ways; its former peer's frames are dropped */
	FXR_ACT_NOTE,   /* keep note with conn (the dataplane stores it and returns it in the
			 * dump after a control-plane restart): the machine's record of it */
};

/* What the dataplane keeps for the control plane per logged-in connection: 12 bytes. */
struct fxr_sess_note {
	uint8_t state;    /* enum fxr_conn_state */
	uint8_t flags;    /* FXR_SESS_F_CALLER */
	uint16_t pad_;
	uint32_t call_id;
	uint32_t req_id;
};

/* One connection as the dataplane dumps it for a restarted control plane. */
struct fxr_sess_dump_entry {
	uint64_t conn;
	uint64_t peer;         /* the connection it is spliced to, 0 when none */
	const uint8_t *dev;    /* logged in as (from LOGIN); NULL before login */
	uint8_t dev_len;
	uint8_t sent_end;      /* it has sent END since it was paired */
	struct fxr_sess_note note; /* the last NOTE (zero when none) */
};

/* What fxr_sess_conn_info() reports about one connection (for the ops API). */
struct fxr_sess_conn_info {
	uint8_t state;         /* enum fxr_conn_state */
	uint8_t caller;        /* PENDING: 1 on the side that sent CONNECT */
	uint8_t dev_len;       /* 0 before login */
	uint8_t dev[FXR_DEVID_MAX_BYTES];
	uint64_t peer;         /* PENDING/PAIRED: the other connection, 0 when none */
};

struct fxr_sess_act {
	uint8_t kind;        /* enum fxr_sess_act_kind */
	uint8_t dev_len;     /* LOGIN */
	uint16_t len;        /* SEND: frame length */
	uint64_t conn;
	uint64_t peer;       /* PAIR */
	const uint8_t *frame; /* SEND: valid during the callback only */
	const uint8_t *dev;   /* LOGIN: valid during the callback only */
	struct fxr_sess_note note; /* NOTE */
};

/* Event counters: X(name, help). */
#define FXR_SESS_COUNTER_LIST(X)                                                      \
	X(logins, "connections logged in")                                            \
	X(login_over_limit, "logins refused: device at its connection limit")         \
	X(preauth_timeouts, "connections closed: no login within the pre-auth time")  \
	X(calls, "CONNECT requests")                                                  \
	X(calls_paired, "calls accepted and paired")                                  \
	X(calls_not_found, "CONNECT_FAIL NOT_FOUND")                                  \
	X(calls_offline, "CONNECT_FAIL OFFLINE")                                      \
	X(calls_busy, "CONNECT_FAIL BUSY")                                            \
	X(calls_forbidden, "CONNECT_FAIL FORBIDDEN")                                  \
	X(calls_rejected, "calls rejected by the callee")                             \
	X(calls_timeout, "calls not answered in time")                                \
	X(calls_cancelled, "calls cancelled by the caller")                           \
	X(calls_peer_lost, "calls ended because a party was lost while pending")      \
	X(stale_ignored, "ACCEPT/REJECT/CANCEL for an unknown or withdrawn id")        \
	X(protocol_errors, "ERROR(PROTOCOL) sent and connection closed")              \
	X(releases, "RELEASE handled")                                                \
	X(logouts, "LOGOUT handled")                                                  \
	X(lists, "LIST handled")                                                      \
	X(restored, "connections restored from a dataplane dump")                     \
	X(restore_dropped, "dumped connections closed: not logged in, or no room")

struct fxr_sess_counters {
#define FXR_SESS_COUNTER_FIELD(name, help) uint64_t name;
	FXR_SESS_COUNTER_LIST(FXR_SESS_COUNTER_FIELD)
#undef FXR_SESS_COUNTER_FIELD
};

/* Answers the machine needs from the registry and policy; pure queries, no side effects. */
struct fxr_sess_policy {
	/* 1 when the device is registered (and enabled), 0 otherwise. */
	int (*known)(void *ctx, const uint8_t *id, uint8_t len);
	/* FXR_CODE_OK when caller may call callee, else the code to answer (FORBIDDEN,
	 * NOT_FOUND for a device the caller may not see). NULL: everyone may call everyone. */
	uint16_t (*may_call)(void *ctx, const uint8_t *caller, uint8_t caller_len,
			     const uint8_t *callee, uint8_t callee_len);
	void *ctx;
};

struct fxr_sess_cfg {
	uint32_t max_conns;       /* connections the tables hold (bounded memory) */
	uint32_t max_devices;     /* logged-in devices the tables hold */
	uint16_t conn_limit;      /* default connections per device (DESIGN.md: 8) */
	uint16_t keepalive_s;     /* told to devices in AUTH_OK and to the dataplane */
	uint16_t idle_timeout_s;
	uint32_t preauth_ms;      /* DESIGN.md: 10 s */
	uint32_t answer_ms;       /* DESIGN.md: 30 s */
	uint64_t seed;            /* hash seed */
};

/* One connection record: 56 bytes. Indices (not pointers) link records, so the tables
 * can be dumped and rebuilt. */
struct fxr_sess_conn {
	uint64_t id;          /* dataplane connection id */
	uint64_t deadline_ms; /* NEW/AUTHENTICATING: pre-auth; PENDING caller: answer */
	uint32_t dev;         /* device index, or FXR_IDMAP_NONE before login */
	uint32_t peer;        /* PENDING/PAIRED: the other connection, or NONE when lost */
	uint32_t dev_next;    /* the device's connections (circular, doubly linked) */
	uint32_t dev_prev;
	uint32_t q_next;      /* deadline queue (pre-auth or answer), NONE-terminated;
			       * while restoring: index of the dumped peer */
	uint32_t q_prev;
	uint32_t call_id;     /* PENDING: the call; callee side is named by it on the wire */
	uint32_t req_id;      /* PENDING caller: the CONNECT's req_id */
	uint8_t state;        /* enum fxr_conn_state */
	uint8_t flags;        /* FXR_SESS_F_* */
	uint8_t queue;        /* which deadline queue holds it, FXR_SESS_Q_* */
	uint8_t pad_[5];
};

#define FXR_SESS_F_CALLER   0x01u /* PENDING: this side sent CONNECT */
#define FXR_SESS_F_SENT_END 0x02u /* PAIRED: this side sent END (the dataplane told us) */
#define FXR_SESS_F_USED     0x80u /* slot in use */

enum { FXR_SESS_Q_NONE = 0, FXR_SESS_Q_PREAUTH, FXR_SESS_Q_ANSWER, FXR_SESS_Q_COUNT };

/* One logged-in device: 80 bytes. */
struct fxr_sess_dev {
	uint8_t id[FXR_DEVID_MAX_BYTES];
	uint8_t id_len;
	uint8_t pad_;
	uint16_t conns;      /* logged-in connections */
	uint16_t limit;
	uint16_t idle;       /* of which IDLE */
	uint32_t first;      /* a connection of the device (ring head) */
	union {
		uint32_t next_free; /* free: the free list */
		uint32_t live_pos;  /* in use: its place in fxr_sess.live */
	};
};


struct fxr_sess_queue {
	uint32_t head;
	uint32_t tail;
};

struct fxr_sess {
	struct fxr_sess_cfg cfg;
	struct fxr_sess_policy pol;
	void (*emit)(void *ctx, const struct fxr_sess_act *a);
	void *emit_ctx;

	struct fxr_sess_conn *conns;
	uint32_t conn_free;           /* free list through q_next */
	uint32_t conn_count;
	struct fxr_sess_dev *devs;
	uint32_t dev_free;
	uint32_t dev_count;
	uint32_t *live;               /* [dev_count]: the devices in use, for LIST */
	struct fxr_idmap_u64 by_connid;
	struct fxr_idmap_str by_devid;
	struct fxr_sess_queue q[FXR_SESS_Q_COUNT];
	uint32_t next_call_id;

	struct fxr_sess_counters ctr;
	uint8_t *scratch;             /* one frame, for LIST_RESULT (FXR_FRAME_MAX_LEN) */
};

#endif
