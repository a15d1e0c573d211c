/* dataplane/xlcore.h: mail between the lcores of one dataplane. One single-producer,
 * single-consumer ring of fixed-size messages per ordered pair of lcores (DPDK rte_ring in
 * hugepages), polled by the receiving lcore's loop. It carries:
 *   - packets a lcore received for a flow another lcore owns (steer.h);
 *   - copies of the ARP frames a lcore received, so that every lcore's cache learns;
 *   - the relay's messages for a pair whose connections live on different lcores (relay.h,
 *     fxr_relay_xl): mbuf chains by reference, flow-control credit, pairing.
 * Nothing blocks: a send to a full ring fails and the sender decides (a packet is dropped, as
 * a NIC would, xlcore_drop_full; the relay keeps what it could not send and retries,
 * relay_xl_blocked and relay_xl_deferred). */
#ifndef FXR_DP_XLCORE_H
#define FXR_DP_XLCORE_H

#include <stdint.h>

struct fxr_lcore;
struct rte_mbuf;
struct rte_ring;

enum fxr_xl_kind {
	FXR_XL_PKT = 1,   /* m: a received frame (l2_len set) of a flow the receiver owns */
	FXR_XL_ARP,       /* m: a copy of a received ARP frame, to learn from only */
	FXR_XL_RELAY,     /* for the relay: op, a, b, u32, m are its own (relay.c) */
};

struct fxr_xl_msg {
	uint8_t kind;        /* enum fxr_xl_kind */
	uint8_t op;          /* FXR_XL_RELAY: the relay's message type */
	uint16_t from;       /* the sending lcore's index */
	uint32_t bytes;      /* FXR_XL_RELAY: counts */
	uint32_t mbufs;
	uint32_t pad;
	uint64_t a, b;       /* FXR_XL_RELAY: connection ids */
	struct rte_mbuf *m;  /* owned by the message: the receiver frees or keeps it */
};

/* The rings of n lcores: ring[from * n + to]. Shared, created before launch. */
struct fxr_xlcore {
	uint16_t n;
	struct rte_ring *ring[];
};

/* Creates the rings of n lcores (none for n == 1), each of ring_size slots (a power of two;
 * one fewer messages fit). Returns 0, or a negative errno. */
int fxr_xlcore_create(uint16_t n, uint32_t ring_size, struct fxr_xlcore **out);

/* Frees what is still queued and the rings. Main thread, after the loops returned. */
void fxr_xlcore_free(struct fxr_xlcore *x);

/* Sends *msg (msg->from is set here) to lcore index to. Returns 0, or -ENOBUFS when the
 * ring is full (the caller still owns msg->m, and counts what it does about it). */
int fxr_xlcore_send(struct fxr_lcore *lc, uint16_t to, struct fxr_xl_msg *msg);

/* Hands frame m, received here, to its owner lcore (m is given up either way: a full ring
 * drops it). */
void fxr_xlcore_steer(struct fxr_lcore *lc, uint16_t owner, struct rte_mbuf *m);

/* Sends a copy of the ARP frame m to every other lcore (m stays the caller's). */
void fxr_xlcore_share_arp(struct fxr_lcore *lc, const struct rte_mbuf *m);

/* Takes and handles the messages waiting for this lcore. Returns how many. */
unsigned fxr_xlcore_poll(struct fxr_lcore *lc);

#endif
