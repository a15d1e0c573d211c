/* tcp_reass.h: the receiver's bounded out-of-order queue (RFC 9293 §3.10.7.4, "segments
 * with higher beginning sequence numbers ... may be held for later processing"; RFC 5681
 * §4.2 and RFC 2018 §4 want them kept so one retransmission fills the hole).
 *
 * Segments are (seq, len, opaque handle, offset): the handle is the caller's packet (an mbuf
 * in the dataplane) and `off` is where this segment's data starts inside it. Overlaps are
 * resolved by moving `off` and shrinking `len`, never by copying payload:
 *   - data already queued wins: a new segment's head is trimmed (off += n, len -= n) where
 *     it overlaps the segment before it, and its tail (len -= n) where it overlaps the one
 *     after it;
 *   - a queued segment that the new one covers entirely is released (free callback);
 *   - a new segment with nothing new in it is released and reported as a duplicate.
 * So a segment never needs splitting and the queue stays sorted and disjoint.
 *
 * Nodes are intrusive and owned by the caller: struct fxr_tcp_reass_seg is meant to live
 * in the packet's private area, so queuing allocates nothing. Limits (segments, bytes) come
 * from a shared config; a segment that would exceed one is dropped, released and counted
 * (the new one goes, not queued data: data once queued may have been SACKed, and dropping
 * it would be reneging, RFC 2018 §8).
 *
 * One queue per connection, touched only by its lcore. */
#ifndef FXR_TCP_REASS_H
#define FXR_TCP_REASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_sack.h"

/* One queued segment. The caller fills seq, len, off and handle before insert. */
struct fxr_tcp_reass_seg {
	struct fxr_tcp_reass_seg *next;
	struct fxr_tcp_reass_seg *prev;
	void *handle;  /* caller's packet; the queue never looks inside */
	uint32_t seq;  /* sequence number of the first octet still held */
	uint32_t len;  /* octets held (> 0 while queued) */
	uint32_t off;  /* where those octets start in the handle's data */
};

/* Releases a segment the queue drops (duplicate, trimmed away, over a limit, flushed).
 * Called synchronously from the queue function; the segment is no longer queued. */
typedef void fxr_tcp_reass_free_fn(struct fxr_tcp_reass_seg *seg, void *ctx);

/* Limits and release hook, shared by every queue of an lcore. */
struct fxr_tcp_reass_cfg {
	uint32_t max_segs;  /* > 0 */
	uint32_t max_bytes; /* > 0 */
	fxr_tcp_reass_free_fn *release;
	void *ctx;
};

struct fxr_tcp_reass {
	struct fxr_tcp_reass_seg *head; /* lowest seq */
	struct fxr_tcp_reass_seg *tail; /* highest seq */
	const struct fxr_tcp_reass_cfg *cfg;
	uint32_t nsegs;
	uint32_t bytes;
	uint32_t drops_full; /* segments dropped because a limit was reached (counter) */
	uint32_t dups;       /* segments with nothing new in them (counter) */
};

/* Outcome of fxr_tcp_reass_insert(). */
enum fxr_tcp_reass_rc {
	FXR_TCP_REASS_QUEUED = 0, /* queued, possibly trimmed */
	FXR_TCP_REASS_DUP = 1,    /* nothing new: released (RFC 2883 D-SACK material) */
};

/* An empty queue using cfg (which must outlive it). */
void fxr_tcp_reass_init(struct fxr_tcp_reass *q, const struct fxr_tcp_reass_cfg *cfg);

/* Takes ownership of seg (len > 0, data in [seq, seq + len)), rcv_nxt the connection's
 * RCV.NXT (the caller has already checked the segment against the window, RFC 9293
 * §3.10.7.4). Octets below rcv_nxt and octets already queued are trimmed; queued segments
 * the new one covers are released. Returns FXR_TCP_REASS_QUEUED (seg is in the queue,
 * possibly with seq/off/len changed), FXR_TCP_REASS_DUP (seg held nothing new and was
 * released), or -ENOBUFS (a limit would be exceeded: seg released, drops_full counted,
 * queue unchanged). In every case the caller must not touch seg afterwards unless QUEUED. */
int fxr_tcp_reass_insert(struct fxr_tcp_reass *q, struct fxr_tcp_reass_seg *seg,
			 uint32_t rcv_nxt);

/* Pops the next in-order segment now that RCV.NXT is *rcv_nxt: segments wholly below it are
 * released, one straddling it is trimmed at the head, and a segment starting exactly at
 * *rcv_nxt is unlinked, returned (ownership to the caller) and *rcv_nxt moves past it.
 * Returns NULL when the head of the queue is not in order. Call in a loop after each
 * in-order delivery; each call is O(1) plus the segments it releases. */
struct fxr_tcp_reass_seg *fxr_tcp_reass_pop(struct fxr_tcp_reass *q, uint32_t *rcv_nxt);

/* The contiguous run of queued data holding octet seq, for the SACK block of RFC 2018 §4
 * (fxr_tcp_sack_rx_update()). Returns true and fills *run, or false when seq is not
 * queued. */
bool fxr_tcp_reass_run(const struct fxr_tcp_reass *q, uint32_t seq, struct fxr_tcp_sack_block *run);

/* Releases every queued segment (connection closed or reset). */
void fxr_tcp_reass_flush(struct fxr_tcp_reass *q);

static inline bool fxr_tcp_reass_empty(const struct fxr_tcp_reass *q)
{
	return q->head == NULL;
}

#endif
