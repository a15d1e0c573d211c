/* backlog.h: a bounded FIFO of encoded plane-channel messages, one per lane and direction
 * (control -> dataplane). When the channel's queue is full (fxr_chan_send() -ENOBUFS) the
 * control plane keeps the message here, in order, and retries on its next loop turn; every
 * later message of the lane goes behind it so the order on a lane never changes.
 *
 * Bounded by messages and by bytes. The last FXR_BACKLOG_RESERVE messages of room are kept
 * for CLOSE messages (fxr_backlog_push_reserved()), so that when the backlog is full for
 * ordinary messages the control plane can still close the connection whose message it had
 * to refuse, instead of dropping it silently. Single-threaded. */
#ifndef FXR_BACKLOG_H
#define FXR_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

#define FXR_BACKLOG_RESERVE 1024u

struct fxr_backlog {
	uint8_t **msg;      /* ring of heap copies */
	uint32_t *len;
	uint32_t cap;       /* messages, FXR_BACKLOG_RESERVE of them reserved */
	uint32_t head;      /* oldest */
	uint32_t n;
	uint64_t bytes;
	uint64_t max_bytes; /* for ordinary messages */
	uint64_t high_water; /* most messages held at once */
};

/* cap: total messages (> FXR_BACKLOG_RESERVE); max_bytes: bytes of ordinary messages.
 * Returns 0, -EINVAL or -ENOMEM. */
int fxr_backlog_init(struct fxr_backlog *b, uint32_t cap, uint64_t max_bytes);
void fxr_backlog_fini(struct fxr_backlog *b);

/* Appends a copy of msg[0..len). Returns 0, or -ENOSPC when the ordinary room (cap minus
 * the reserve, or max_bytes) is used up, -ENOMEM. */
int fxr_backlog_push(struct fxr_backlog *b, const uint8_t *msg, uint32_t len);

/* Appends into the reserve too (CLOSE messages). Returns 0, -ENOSPC (all of cap used),
 * -ENOMEM. */
int fxr_backlog_push_reserved(struct fxr_backlog *b, const uint8_t *msg, uint32_t len);

/* The oldest message, or NULL when empty (*len set when not NULL). */
const uint8_t *fxr_backlog_peek(const struct fxr_backlog *b, uint32_t *len);

/* Drops the oldest message (after it was sent). */
void fxr_backlog_pop(struct fxr_backlog *b);

static inline uint32_t fxr_backlog_count(const struct fxr_backlog *b)
{
	return b->n;
}

#endif
