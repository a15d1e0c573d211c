/* fxr/chan_shm.h: the plane channel's transport (DESIGN.md §3).
 *
 * One POSIX shared-memory mapping, "/fxr-<name>", created by the dataplane and attached by
 * the control plane. It holds a header (magic, FXR_CHAN_ABI_VERSION, layout, counters) and,
 * for every lane (one per dataplane lcore) and each direction, a queue:
 *
 *   used ring   DPDK rte_ring, single producer / single consumer, carrying 64-bit
 *               descriptors (slot index, message length) from producer to consumer
 *   free ring   rte_ring, SP/SC, carrying slot indices back from consumer to producer
 *   slab        `slots` fixed-size buffers that hold the encoded messages
 *
 * rte_ring holds no pointers (head/tail counters and a table of values), so it works at
 * different addresses in both processes; it is set up with rte_ring_init() in the mapping,
 * which needs no EAL. DPDK stays inside chan_shm.c: nothing here needs its headers.
 *
 * Sending takes a slot from the free ring, copies the message into it and enqueues its
 * descriptor; receiving dequeues a descriptor, copies the message out and returns the slot.
 * Both sides work in order, one message at a time, which is what makes crash recovery
 * exact (below). A queue is full when its free ring is empty: fxr_chan_send() returns
 * -ENOBUFS at once and counts it; it never blocks and never drops, the caller keeps the
 * message and retries.
 *
 * Crashes. The control plane may be killed at any point (kill -9) and attach again while
 * the dataplane keeps running; the dataplane never waits for it. On attach it repairs
 * its own ends of the rings, which only it writes:
 *  - a dequeue or enqueue cut between the ring's head and tail update is rolled back
 *    (head := tail): the message was not taken / not published;
 *  - dataplane -> control: a message the dead consumer had dequeued and not yet returned
 *    is lost to the control plane (at most one: its copy died with the process), and its
 *    slot is returned to the free ring, so no capacity leaks. Everything it had not
 *    dequeued is delivered to the next consumer, in order. The control plane rebuilds
 *    what it lost with DUMP_REQUEST.
 *  - control -> dataplane: a slot the dead producer had taken but not published is sent
 *    as an empty descriptor, which the dataplane's receive skips and recycles.
 * If the dataplane dies the channel is dead; a new dataplane creates it afresh. */
#ifndef FXR_CHAN_SHM_H
#define FXR_CHAN_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "fxr/chan-t.h"

#define FXR_CHAN_NAME_MAX   64u   /* channel name: 1..64 bytes of [A-Za-z0-9._-] */
#define FXR_CHAN_LANES_MAX  64u   /* dataplane lcores */
#define FXR_CHAN_SLOTS_MAX  (1u << 20)

/* Default slot sizes: each direction's largest message, rounded up to 64 bytes. */
#define FXR_CHAN_SLOT_D2C   ((FXR_CHAN_MSG_D2C_MAX + 63u) & ~63u)
#define FXR_CHAN_SLOT_C2D   ((FXR_CHAN_MSG_C2D_MAX + 63u) & ~63u)

/* Lanes: lane i carries the messages of dataplane worker i, the `lcore` of chan-t.h and
 * of fxr/connid.h (a worker index 0..lanes-1, not necessarily DPDK's lcore_id). */
struct fxr_chan; /* a process's handle on a channel (opaque) */

enum fxr_chan_role {
	FXR_CHAN_ROLE_DATAPLANE = 1, /* creates; sends D2C, receives C2D */
	FXR_CHAN_ROLE_CONTROL = 2,   /* attaches; sends C2D, receives D2C */
};

/* Layout of a new channel. Index slots[] and slot_size[] by enum fxr_chan_dir. */
struct fxr_chan_cfg {
	uint16_t lanes;        /* 1..FXR_CHAN_LANES_MAX */
	uint32_t slots[2];     /* messages in flight per lane and direction, 1..SLOTS_MAX */
	uint32_t slot_size[2]; /* bytes, multiple of 8, >= FXR_CHAN_HDR_LEN: the largest
				* message that direction can carry */
};

/* Counters of one lane and direction, read from the shared header. sent and full are
 * written by the producer, received and skipped by the consumer, reclaimed by the
 * control plane's attach. */
struct fxr_chan_stats {
	uint64_t sent;      /* messages enqueued */
	uint64_t received;  /* messages dequeued (including one a dead consumer lost) */
	uint64_t full;      /* fxr_chan_send() calls refused with -ENOBUFS */
	uint64_t reclaimed; /* slots recovered from dead control-plane processes */
	uint64_t skipped;   /* empty descriptors skipped by the consumer */
	uint64_t bad;       /* corrupt descriptors dropped by the consumer */
	uint32_t in_flight; /* messages enqueued and not yet dequeued (a snapshot) */
};

/* Fills cfg with the defaults: D2C 4096 slots of FXR_CHAN_SLOT_D2C, C2D 256 slots of
 * FXR_CHAN_SLOT_C2D (any SEND_FRAME fits). */
void fxr_chan_cfg_default(struct fxr_chan_cfg *cfg, uint16_t lanes);

/* Dataplane, once at start-up: creates the channel "/fxr-<name>" with cfg and returns a
 * handle in *out. A leftover mapping of the same name whose dataplane is dead is replaced.
 * Returns 0, -EINVAL (bad name or cfg), -EADDRINUSE (a live dataplane owns the name), or a
 * negative errno from shm_open/ftruncate/mmap; on error writes a one-line reason into
 * err[0..errlen) when err is not NULL. */
int fxr_chan_create(const char *name, const struct fxr_chan_cfg *cfg, struct fxr_chan **out,
		    char *err, size_t errlen);

/* Control plane: attaches to the channel, claims the control role, and repairs the ends
 * of the rings a dead predecessor left (see above). Returns 0, -ENOENT (no such channel),
 * -EAGAIN (the dataplane has not finished creating it), -EPROTO (not an fxr channel, or
 * a corrupt layout), -EPROTONOSUPPORT (ABI version mismatch), -EBUSY (another live control
 * plane is attached), or a negative errno; with a one-line reason in err. */
int fxr_chan_attach(const char *name, struct fxr_chan **out, char *err, size_t errlen);

/* Releases the handle: the control plane gives up its role (another may attach), the
 * dataplane unmaps and removes the name. c may be NULL. */
void fxr_chan_close(struct fxr_chan *c);

/* Sends one encoded message (fxr_chan_msg_encode()) on lane. Caller: the lane's single
 * sender (the dataplane lcore that owns the lane, or the control plane's thread for that
 * lane). The bytes are copied; msg stays the caller's. Checks only the header: a type of
 * the sender's direction, the header's lcore equal to lane, and a length that matches.
 * Returns 0, -ENOBUFS (the queue is full: counted; keep the message and retry later),
 * -EMSGSIZE (larger than a slot), -EINVAL (bad lane, or the header check failed). */
int fxr_chan_send(struct fxr_chan *c, unsigned lane, const uint8_t *msg, size_t len);

/* Same, encoding m straight into the slot (no intermediate copy). -EINVAL when m cannot
 * be encoded (fxr_chan_msg_len()) or belongs to the other direction. */
int fxr_chan_send_msg(struct fxr_chan *c, unsigned lane, const struct fxr_chan_msg *m);

/* Receives the next message on lane into buf[0..cap). Caller: the lane's single receiver.
 * cap must be at least fxr_chan_slot_size() of the receiving direction. Returns the
 * message's length (> 0), 0 when there is none, -EINVAL (bad lane or cap), or -EBADMSG
 * when the descriptor is corrupt (counted as received; the message is skipped). The
 * message is not decoded: use fxr_chan_msg_decode(). */
int fxr_chan_recv(struct fxr_chan *c, unsigned lane, uint8_t *buf, size_t cap);

/* Layout of an open channel. */
uint16_t fxr_chan_lanes(const struct fxr_chan *c);
uint32_t fxr_chan_slot_size(const struct fxr_chan *c, enum fxr_chan_dir dir);
uint32_t fxr_chan_slots(const struct fxr_chan *c, enum fxr_chan_dir dir);

/* Reads the counters of lane in direction dir. Any thread. Returns 0 or -EINVAL. */
int fxr_chan_stats_get(const struct fxr_chan *c, unsigned lane, enum fxr_chan_dir dir,
		       struct fxr_chan_stats *st);

/* Control plane: 1 when the dataplane process that created the channel is alive and has
 * not closed it, 0 otherwise (the channel is dead: close it and attach to the new one). */
int fxr_chan_peer_alive(const struct fxr_chan *c);

#endif
