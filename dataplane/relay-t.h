/* dataplane/relay-t.h: the FXR/1 relay application's per-connection and per-lcore state
 * (DESIGN.md §2, §3). A relay connection is the app context of one TCB on the relay port;
 * it lives in its lcore's table, at the slot its connection id names. */
#ifndef FXR_DP_RELAY_T_H
#define FXR_DP_RELAY_T_H

#include <stdint.h>

#include "fxr/chan-t.h"
#include "fxr/scan-t.h"

struct fxr_tcb;
struct rte_mbuf;

/* Relay connections per lcore (the table is allocated once; a full table refuses the
 * connection, which is then reset). */
#define FXR_RELAY_CONNS_DEFAULT 4096u
/* A run of relayed bytes shorter than this is copied into the outgoing chain instead of
 * referenced (a reference costs an mbuf; small T.38 DATA frames would waste them). */
#define FXR_RELAY_COPY_MAX 128u

/* Connection flags (conn->flags). */
enum {
	FXR_RELAYF_LOGGED_IN = 1u << 0, /* LOGIN came: KEEPALIVE answered here, idle timer on */
	FXR_RELAYF_SENT_END  = 1u << 1, /* an END of ours was relayed since the last PAIR */
	FXR_RELAYF_STOPPED   = 1u << 2, /* no more reading (malformed stream, or CLOSE) */
	FXR_RELAYF_CLOSING   = 1u << 3, /* CLOSE asked: FIN after what is queued */
	FXR_RELAYF_PEER_FIN  = 1u << 4, /* the device's FIN came; shut down once held data is out */
	FXR_RELAYF_BLOCKED   = 1u << 5, /* waiting for the peer's send space */
	FXR_RELAYF_HAS_NOTE  = 1u << 6,
	FXR_RELAYF_DUMP      = 1u << 7, /* existed at the DUMP_REQUEST: its DUMP_ENTRY is owed */
};

/* What the current frame's bytes do (conn->mode). */
enum fxr_relay_mode {
	FXR_RELAY_M_NONE = 0, /* between frames (or in a header) */
	FXR_RELAY_M_FWD,      /* DATA/END while paired: to the peer, byte-exact */
	FXR_RELAY_M_CTL,      /* a control frame gathered whole for the control plane */
	FXR_RELAY_M_DROP,     /* dropped (unpaired DATA/END, DATA after our END) */
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
	uint64_t last_rx_tsc;
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
	uint8_t dev[64];
	uint8_t ctl[FXR_CHAN_FRAME_D2C_MAX];
};

struct fxr_relay {
	struct fxr_relay_conn *conns;
	uint32_t n;                  /* table size */
	uint32_t *free_idx;          /* stack of free slots */
	uint32_t n_free;
	uint32_t hiwater;            /* slots below this may be in use */
	uint64_t next_sweep_tsc;     /* next idle-timer sweep */
	uint64_t sweep_tsc;
	uint64_t hz;
};

#endif
