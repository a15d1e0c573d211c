/* tcp-t.h: the userspace TCP stack's types: connection states, the TCB, the per-lcore stack.
 * Types only (STYLE.md): includes other -t.h headers and the pure modules' types.
 *
 * A TCB belongs to the lcore whose table holds it; nothing here is shared between lcores. */
#ifndef FXR_TCP_T_H
#define FXR_TCP_T_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_cc.h"
#include "tcp_reass.h"
#include "tcp_rto.h"
#include "tcp_sack.h"
#include "tcp_timer_wheel.h"

struct rte_mbuf;
struct rte_hash;
struct fxr_tcp_app;

/* RFC 9293 §3.3.2 states. X(symbol, "name") */
#define FXR_TCP_STATES(X)            \
	X(CLOSED, "closed")          \
	X(LISTEN, "listen")          \
	X(SYN_SENT, "syn-sent")      \
	X(SYN_RCVD, "syn-received")  \
	X(ESTABLISHED, "established")\
	X(FIN_WAIT_1, "fin-wait-1")  \
	X(FIN_WAIT_2, "fin-wait-2")  \
	X(CLOSE_WAIT, "close-wait")  \
	X(CLOSING, "closing")        \
	X(LAST_ACK, "last-ack")      \
	X(TIME_WAIT, "time-wait")

enum fxr_tcp_state {
#define FXR_TCP_STATE_ENUM(sym, name) FXR_TCP_##sym,
	FXR_TCP_STATES(FXR_TCP_STATE_ENUM)
#undef FXR_TCP_STATE_ENUM
	FXR_TCP__STATES
};

/* TCB flags (tcb->flags). */
enum {
	FXR_TCBF_ACK_NOW     = 1u << 0,  /* send an ACK at the end of this burst */
	FXR_TCBF_ACK_DELAYED = 1u << 1,  /* an ACK is owed; the delayed-ACK deadline runs */
	FXR_TCBF_PENDING     = 1u << 2,  /* on the lcore's end-of-burst output list */
	FXR_TCBF_FIN_QUEUED  = 1u << 3,  /* the app shut down its write half: FIN after the data */
	FXR_TCBF_FIN_SENT    = 1u << 4,  /* our FIN has a sequence number (snd_max covers it) */
	FXR_TCBF_WSCALE      = 1u << 5,  /* RFC 7323 §2: both sides sent window scale */
	FXR_TCBF_TS          = 1u << 6,  /* RFC 7323 §3: timestamps in use */
	FXR_TCBF_SACK        = 1u << 7,  /* RFC 2018: both sides SACK-permitted */
	FXR_TCBF_RTT_TIMING  = 1u << 8,  /* rtt_seq is being timed (no timestamps: RFC 6298 §3) */
	FXR_TCBF_RETRANSMIT  = 1u << 9,  /* something below snd_max was retransmitted by RTO */
	FXR_TCBF_PEER_FIN    = 1u << 10, /* the peer's FIN was received (rcv_nxt covers it) */
	FXR_TCBF_APP_CLOSED  = 1u << 11, /* on_close delivered; no more callbacks */
	FXR_TCBF_PERSIST     = 1u << 12, /* the timer is the persist timer (zero window) */
	FXR_TCBF_ACTIVE      = 1u << 13, /* opened by fxr_tcp_connect() */
	FXR_TCBF_SYN_LOST    = 1u << 14, /* our SYN or SYN-ACK was retransmitted (RFC 6298 §5.7) */
	FXR_TCBF_OOO         = 1u << 15, /* out-of-order data or SACK blocks held (struct fxr_tcb_ooo) */
};

/* The lookup key: our address is the lcore's one address, so it is not part of the key.
 * 8-byte aligned: the CRC hash reads it as one 64-bit word. */
struct fxr_tcp_key {
	_Alignas(8) uint32_t raddr;   /* network byte order */
	uint16_t rport;   /* network byte order */
	uint16_t lport;   /* network byte order */
};

/* The TCB. Hot fields first (those read for every segment), then the send queue, the
 * timers and the estimators. sizeof is checked in the unit tests and reported. */
struct fxr_tcb {
	/* RFC 9293 §3.3.1 send sequence variables */
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;     /* highest sequence sent + 1 (snd_nxt goes back on RTO) */
	uint32_t snd_wnd;     /* peer's window, scaled, in bytes */
	uint32_t snd_wl1;
	uint32_t snd_wl2;
	uint32_t iss;
	/* receive sequence variables */
	uint32_t rcv_nxt;
	uint32_t rcv_adv;     /* right edge we last advertised (rcv_nxt + window) */
	uint32_t irs;
	uint32_t ts_recent;   /* RFC 7323 §4.3 TS.Recent */
	uint32_t last_ack_sent;
	uint16_t flags;
	uint16_t snd_mss;     /* RFC 9293 §3.7.1: the most we put in one segment */
	uint8_t state;        /* enum fxr_tcp_state */
	uint8_t snd_wscale;   /* peer's shift (applied to windows it sends) */
	uint8_t rcv_wscale;   /* our shift (applied to windows we send) */
	uint8_t rtx_count;    /* RTO expiries in a row without progress */
	struct fxr_tcp_key key;

	/* send queue: mbuf segments linked by ->next, data = payload only. The first
	 * sndq_off bytes of the head are acknowledged already; sequence snd_una is at head +
	 * sndq_off. sndq_bytes counts unacknowledged + unsent bytes. sndq_hint is the mbuf
	 * where the last seek ended (NULL: none), sndq_hint_off the offset of its first byte
	 * from the head's first byte: sending a window walks the queue once, not per segment. */
	struct rte_mbuf *sndq_head;
	struct rte_mbuf *sndq_tail;
	struct rte_mbuf *sndq_hint;
	uint32_t sndq_hint_off;
	uint32_t sndq_off;
	uint32_t sndq_bytes;
	uint32_t rcv_held;    /* bytes handed to the app and not yet released (window) */
	uint32_t rtt_seq;     /* timed sequence (no timestamps) */
	uint32_t rtt_ms;      /* when rtt_seq was sent */
	uint32_t delack_at;   /* ms deadline of the delayed ACK, meaningful with ACK_DELAYED */
	uint32_t rtx_at;      /* ms deadline of RTO / persist / TIME-WAIT; 0: none */
	uint32_t segs_unacked;/* full-size segments received since our last ACK */

	/* one wheel timer per TCB, armed at min(rtx_at, delack_at) */
	struct fxr_tw_timer timer;
	struct fxr_tcp_rto rto;
	struct fxr_tcp_cc cc;

	const struct fxr_tcp_app *app;
	void *app_ctx;
	uint32_t listener;    /* index of the listener (passive open), for the backlog count */
	uint32_t rx_epoch;    /* the stack's receive epoch in which data last arrived (0: none) */
};

/* The receiver's out-of-order state of a TCB, kept beside the TCB table (same index) and
 * touched only while FXR_TCBF_OOO is set, so that in-order traffic never reads it. */
struct fxr_tcb_ooo {
	struct fxr_tcp_reass reass;
	struct fxr_tcp_sack_rx sack_rx;
};

/* A listening port. */
struct fxr_tcp_listener {
	uint16_t lport;                  /* network byte order; 0: free slot */
	uint16_t syn_rcvd;               /* connections in SYN-RECEIVED (the SYN backlog) */
	uint16_t backlog;                /* limit on syn_rcvd before SYN cookies */
	uint32_t cookie_ms;              /* when the last SYN cookie was sent; 0: never */
	const struct fxr_tcp_app *app;
	void *ctx;                       /* given to app->on_accept */
};

#define FXR_TCP_LISTENERS_MAX 8

/* Stack settings (per lcore copy of the process-wide ones). */
struct fxr_tcp_cfg {
	uint32_t max_tcbs;         /* TCB table size */
	uint32_t time_wait_ms;     /* TIME-WAIT length (RFC 9293 says 2 MSL; ours is short) */
	uint32_t fin_wait2_ms;     /* FIN-WAIT-2 with nothing from the peer this long: RST and
	                            * close (RFC 9293 sets no bound; Linux's tcp_fin_timeout) */
	uint32_t rcv_buf;          /* receive window we offer, bytes */
	uint32_t snd_buf;          /* send queue bound the app is told about (fxr_tcp_send_space) */
	uint32_t delack_ms;        /* delayed-ACK timeout (RFC 1122 §4.2.3.2: < 500 ms) */
	uint32_t syn_retries;      /* SYN / SYN-ACK retransmissions before giving up */
	uint32_t data_retries;     /* RTO expiries without progress before giving up */
	uint32_t challenge_acks_per_s; /* RFC 5961 §7 limit on challenge ACKs (per lcore) */
	uint16_t mss;              /* our MSS (MTU 1500 - 40) */
	uint16_t syn_backlog;      /* per listener */
	uint32_t mbuf_reserve;     /* free mbufs of the pool kept for RX and ACKs: below this,
	                            * arriving data is dropped (and acked) instead of held, so
	                            * that what the queues hold can never starve RX of the ACKs
	                            * that free them; 0: no check */
	uint32_t mbuf_pressure;    /* free mbufs below which the pool is under pressure: every
	                            * connection's new receive window and send space are held to
	                            * FXR_TCP_PRESSURE_SEGS segments, so that senders slow down
	                            * before the reserve drops their data; 0: never (set by
	                            * fxr_tcp_init from mbuf_reserve when left 0) */
	uint16_t tx_seg_max;       /* mbufs the port chains in one frame (struct fxr_port_info);
	                            * 0 or 1: payload is copied into the frame, else it goes by
	                            * reference (indirect mbufs attached to the send queue's) */
};

/* Per-lcore TCP state. */
struct fxr_tcp_stack {
	struct rte_hash *hash;            /* key -> struct fxr_tcb * */
	struct fxr_tcb *tcbs;             /* max_tcbs entries */
	struct fxr_tcp_sack_sb *sack_sb;  /* max_tcbs entries: the sender's SACK scoreboard of
	                                   * the TCB with the same index (kept out of the TCB) */
	struct fxr_tcb_ooo *ooo;          /* max_tcbs entries: out-of-order queue and SACK blocks */
	uint32_t *free_idx;               /* stack of free TCB indexes */
	uint32_t n_free;
	uint32_t now_ms;                  /* stack clock; TSval is this */
	uint64_t tsc_per_ms;
	uint64_t tsc_base;
	struct fxr_tw wheel;              /* 1 ms ticks */
	struct fxr_tw_link *slots;
	uint32_t challenge_ms;            /* start of the current challenge-ACK second */
	uint32_t challenge_n;             /* challenge ACKs sent in it */
	struct fxr_tcb **pending;         /* TCBs with output owed at the end of the burst */
	uint32_t n_pending;
	uint64_t iss_secret[2];           /* RFC 6528 F() key */
	uint64_t cookie_secret[2];        /* RFC 4987 SYN cookie key */
	struct fxr_tcp_cfg cfg;
	struct fxr_tcp_rto_cfg rto_cfg;
	struct fxr_tcp_reass_cfg reass_cfg;
	struct fxr_tcp_listener listeners[FXR_TCP_LISTENERS_MAX];
	bool tx_tcp_cksum_offload;
	bool pool_low;                    /* fewer than cfg.mbuf_reserve free (end of last burst) */
	bool pool_pressure;               /* fewer than cfg.mbuf_pressure free (end of last burst) */
	uint32_t pool_avail;              /* free mbufs at the end of the last burst */
	/* connections that received data in this receive epoch (FXR_TCP_RX_EPOCH_MS) and in
	 * the one before: the pool's free space is shared among them (fxr_tcp_rcv_window_now) */
	uint32_t rx_epoch;
	uint32_t rx_active;
	uint32_t rx_active_prev;
	struct rte_mempool *mp;
};

#endif
