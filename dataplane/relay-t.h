/* dataplane/relay-t.h: the FXR/1 relay application's per-connection and per-lcore state
 * (DESIGN.md §2, §3). A relay connection is the app context of one TCB on the relay port;
 * it lives in its lcore's table, at the slot its connection id names. */
#ifndef FXR_DP_RELAY_T_H
#define FXR_DP_RELAY_T_H

#include <stdint.h>

#include "fxr/chan-t.h"
#include "fxr/scan-t.h"

struct fxr_tcb;
struct fxr_xl_msg;
struct rte_mbuf;

/* Every relayed byte goes by mbuf reference, however short its run: a run costs one
 * indirect mbuf, so a stream of tiny frames broken up by KEEPALIVEs could pin many mbufs
 * with few bytes. Besides the send space in bytes, the mbufs the relay has queued on one
 * connection's TCP send queue are therefore capped: relaying (or answering KEEPALIVE) waits
 * while the connection it writes to holds this many (the overshoot is at most one received
 * segment's runs). With full-size segments the byte bound (snd_buf) is reached first. */
#define FXR_RELAY_TX_MBUFS_MAX 1024u
/* Send-queue marks per connection: what consecutive writes queued (bytes, mbufs), retired
 * as the peer acknowledges bytes; a mark takes writes until it holds 1/FXR_RELAY_TX_MARKS
 * of the cap in mbufs (or all marks are in use). A mark's mbufs are counted until all its
 * bytes are acknowledged (never fewer than are queued; at most a mark's worth more). */
#define FXR_RELAY_TX_MARKS 16u

/* Control-frame buffers per lcore (at most one a connection): a connection holds one only
 * while it gathers a control frame (from its header to its last byte, usually within one
 * segment), so idle connections cost no buffer. With none left, the connection is reset
 * (relay_ctl_buf_exhausted). */
#define FXR_RELAY_CTL_BUFS 1024u

/* Connection flags (conn->flags). */
enum {
	FXR_RELAYF_LOGGED_IN = 1u << 0, /* LOGIN came: KEEPALIVE answered here, idle timer on */
	FXR_RELAYF_SENT_END  = 1u << 1, /* an END of ours was relayed since the last PAIR */
	FXR_RELAYF_STOPPED   = 1u << 2, /* no more reading (malformed stream, or CLOSE) */
	FXR_RELAYF_CLOSING   = 1u << 3, /* CLOSE asked: FIN after what is queued */
	FXR_RELAYF_PEER_FIN  = 1u << 4, /* the device's FIN came; shut down once held data is out */
	FXR_RELAYF_BLOCKED   = 1u << 5, /* waiting for send space (the peer's, or own mbufs) */
	FXR_RELAYF_HAS_NOTE  = 1u << 6,
	FXR_RELAYF_DUMP      = 1u << 7, /* existed at the DUMP_REQUEST: its DUMP_ENTRY is owed */
	FXR_RELAYF_SELF_FULL = 1u << 8, /* BLOCKED on its own send queue's mbufs (answers) */
	FXR_RELAYF_POOL_WAIT = 1u << 9, /* BLOCKED because the lcore's mbuf pool ran low */
	FXR_RELAYF_XL_WAIT   = 1u << 10, /* BLOCKED: xout waits for the ring to the peer's lcore */
	FXR_RELAYF_XL_RETRY  = 1u << 11, /* on the relay's retry list (xl_retry) */
	FXR_RELAYF_AWAIT_PAIR = 1u << 12, /* sent ACCEPT unpaired: reads nothing more until the
	                                   * control plane pairs it (or UNPAIRs, or await_tsc) */
};

/* How long a connection that sent ACCEPT waits for the control plane's PAIR before it reads
 * on (what it sent meanwhile is then dropped as unpaired). */
#define FXR_RELAY_ACCEPT_WAIT_MS 2000u

/* Mail messages of the relay (struct fxr_xl_msg op, kind FXR_XL_RELAY) for a pair whose two
 * connections live on different lcores (relay_xl.c). a is the receiving lcore's connection,
 * b the sender's. */
enum fxr_relay_xl_op {
	FXR_RELAY_XL_PAIR = 1, /* pair a with b (the control plane's PAIR came to b's lcore) */
	FXR_RELAY_XL_UNPAIR,   /* b no longer pairs with a (UNPAIR, re-PAIR, or b closed) */
	FXR_RELAY_XL_DATA,     /* m: bytes (mbufs of them) for a's send queue, by reference */
	FXR_RELAY_XL_CREDIT,   /* bytes and mbufs of b's send queue that a sent were acknowledged */
};

/* Control messages a lcore keeps, in order, while the ring to another lcore is full. */
#define FXR_RELAY_XL_DEFERRED 4096u

/* Relaying stops taking mbufs while fewer than 1/FXR_RELAY_POOL_RESERVE_DIV of the pool is
 * free: that reserve is for receiving (acknowledgements free what is queued) and for the
 * stack's own segments, so a pool that runs low slows the relay down instead of failing an
 * allocation mid-frame, which would have to reset the connection. Waiting connections are
 * resumed by fxr_relay_timers once FXR_RELAY_POOL_RESUME more are free (at least what one
 * received segment's runs can take, so that every resumed pass makes progress; at most half
 * the pool). The TCP stack stops taking in data well before (its mbuf_reserve is higher):
 * the pool space between the two is what lets the relay move held data on, whose
 * acknowledgements then free the pool. */
#define FXR_RELAY_POOL_RESERVE_DIV 16u
#define FXR_RELAY_POOL_RESUME 1024u

/* What the current frame's bytes do (conn->mode). */
enum fxr_relay_mode {
	FXR_RELAY_M_NONE = 0, /* between frames (or in a header) */
	FXR_RELAY_M_FWD,      /* DATA/END while paired: to the peer, byte-exact */
	FXR_RELAY_M_CTL,      /* a control frame gathered whole for the control plane */
	FXR_RELAY_M_DROP,     /* dropped (unpaired DATA/END, DATA after our END) */
};

/* What one write put on a connection's send queue and is not yet acknowledged. */
struct fxr_relay_txmark {
	uint32_t bytes;              /* of the write, not yet acknowledged */
	uint32_t mbufs;              /* of the write, all counted until bytes reaches 0 */
};

struct fxr_relay_conn {
	uint64_t id;                 /* connection id; 0: free slot */
	uint64_t peer;               /* paired connection id; 0: none */
	struct fxr_tcb *tcb;
	/* received and not yet consumed (the TCP window still counts them) */
	struct rte_mbuf *held_head;
	struct rte_mbuf *held_tail;
	uint32_t held_off;           /* bytes of held_head already consumed */
	uint32_t gen;                /* generation of this slot (kept across reuse) */
	uint32_t tx_mbufs;           /* mbufs of the marks: queued by us on tcb, not acked */
	uint8_t txm_head;            /* oldest mark */
	uint8_t txm_n;               /* marks in use */
	struct fxr_relay_txmark txm[FXR_RELAY_TX_MARKS];
	uint64_t last_rx_tsc;
	uint64_t await_tsc;          /* FXR_RELAYF_AWAIT_PAIR: when to stop waiting */
	struct fxr_scanner sc;
	uint16_t flags;
	uint8_t mode;                /* enum fxr_relay_mode */
	uint8_t dev_len;
	uint16_t keepalive_s;
	uint16_t idle_s;
	uint16_t ctl_len;            /* bytes of ctl[] gathered */
	uint16_t close_reason;       /* FXR_CHAN_CLOSE_* decided by us; 0: from the TCP reason */
	struct fxr_chan_addr addr;
	struct fxr_chan_note note;
	uint8_t *ctl;                 /* the control frame being gathered; NULL between frames */
	/* a peer on another lcore (relay_xl.c): what we sent it and it has not credited back
	 * (the send-space and mbuf caps, as for a peer here), what its lcore sent us and we
	 * have not credited, and a write the ring would not take */
	uint32_t xl_out_bytes, xl_out_mbufs;
	uint32_t xl_in_bytes, xl_in_mbufs;
	struct rte_mbuf *xout;
	uint32_t xout_bytes, xout_mbufs;
	uint8_t dev[64];
};

/* The chain being built for a connection's peer during one pass. */
struct fxr_relay_out {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	uint32_t bytes;
	uint32_t mbufs;
};

/* One control frame being gathered. */
struct fxr_relay_ctl_buf {
	uint8_t b[FXR_CHAN_FRAME_D2C_MAX];
};

struct fxr_relay {
	struct fxr_relay_conn *conns;
	uint32_t n;                  /* table size: the TCP stack's (--max-conns) */
	uint32_t *free_idx;          /* stack of free slots */
	uint32_t n_free;
	uint32_t hiwater;            /* slots below this may be in use */
	uint64_t next_sweep_tsc;     /* next idle-timer sweep */
	uint64_t sweep_tsc;
	uint64_t hz;
	struct fxr_relay_ctl_buf *ctl_bufs;
	uint32_t *ctl_free;          /* stack of free ctl_bufs indices */
	uint32_t n_ctl_bufs;
	uint32_t n_ctl_free;
	uint32_t pool_reserve;       /* mbufs kept free for receiving (FXR_RELAY_POOL_RESERVE_DIV) */
	uint32_t pool_resume;        /* free mbufs at which waiting connections resume */
	uint32_t pool_waiters;       /* connections with FXR_RELAYF_POOL_WAIT */
	/* relay_xl.c: connections to pump again once the ring to their peer's lcore has room
	 * (each at most once: FXR_RELAYF_XL_RETRY), and control messages that waited for it */
	uint32_t *xl_retry;          /* slots */
	uint32_t n_xl_retry;
	struct fxr_xl_msg *xl_deferred;
	uint32_t xl_def_head, xl_def_n;
};

#endif
