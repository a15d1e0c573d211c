/* fxr/chan.h: plane channel message codec (fxr/chan-t.h). Pure functions: no I/O, no
 * allocation, callable from any thread. Decoders never read past the length they are given. */
#ifndef FXR_CHAN_H
#define FXR_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "fxr/chan-t.h"

/* Static facts about a message type. */
struct fxr_chan_info {
	const char *name;
	uint8_t type;
	uint8_t dir;      /* enum fxr_chan_dir */
	uint8_t connid;   /* FXR_CHAN_CID or FXR_CHAN_NOCID */
	uint32_t min_len; /* payload bounds */
	uint32_t max_len;
};

/* Little-endian field access (chan-t.h: the channel's byte order). Unaligned-safe. */
static inline uint16_t fxr_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t fxr_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t fxr_get_le64(const uint8_t *p)
{
	return (uint64_t)fxr_get_le32(p) | (uint64_t)fxr_get_le32(p + 4) << 32;
}

static inline void fxr_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void fxr_put_le32(uint8_t *p, uint32_t v)
{
	fxr_put_le16(p, (uint16_t)v);
	fxr_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void fxr_put_le64(uint8_t *p, uint64_t v)
{
	fxr_put_le32(p, (uint32_t)v);
	fxr_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Returns the type's facts, or NULL when type is not a channel message type. */
const struct fxr_chan_info *fxr_chan_info(uint8_t type);

/* Returns the type's name ("CONN_NEW"), or "UNKNOWN". Static storage. */
const char *fxr_chan_type_name(uint8_t type);

/* Returns the text / the symbolic name of a rejection reason. Static storage. */
const char *fxr_chan_bad_text(enum fxr_chan_bad why);
const char *fxr_chan_bad_name(enum fxr_chan_bad why);

/* Reads the header of the message at buf[0..n): returns the message's total length
 * (FXR_CHAN_HDR_LEN + payload length, which may exceed n), or -EBADMSG when n is shorter
 * than a header. Sets *type when type is not NULL. No other check. */
long fxr_chan_msg_peek(const uint8_t *buf, size_t n, uint8_t *type);

/* Decodes the message at the start of buf[0..n). On success fills *m with views into buf
 * and returns the message's total length (header included); buf may hold more after it.
 * Returns -EBADMSG for a malformed or truncated message and sets *why (when not NULL). */
int fxr_chan_msg_decode(const uint8_t *buf, size_t n, struct fxr_chan_msg *m,
			enum fxr_chan_bad *why);

/* Checks m as fxr_chan_msg_encode() would and returns its encoded length, or -EINVAL
 * when it cannot be encoded (unknown type, connid missing or on another lcore, a field out
 * of bounds, an invalid device id, a frame whose own header disagrees with its length). */
int fxr_chan_msg_len(const struct fxr_chan_msg *m);

/* Encodes m into buf[0..cap). Returns the total length, -ENOSPC when cap is too small, or
 * -EINVAL as fxr_chan_msg_len(). Never fails when cap >= fxr_chan_msg_len(m) > 0. */
int fxr_chan_msg_encode(const struct fxr_chan_msg *m, uint8_t *buf, size_t cap);

/* The i-th value of a decoded COUNTERS message (i < m->u.counters.n). */
static inline uint64_t fxr_chan_counter(const struct fxr_chan_msg *m, uint16_t i)
{
	return fxr_get_le64(m->u.counters.packed + 8u * i);
}

/* The i-th entry of a decoded BYTES message (i < m->u.bytes.n). */
static inline struct fxr_chan_bytes_entry fxr_chan_bytes_get(const struct fxr_chan_msg *m,
							     uint16_t i)
{
	const uint8_t *p = m->u.bytes.packed + FXR_CHAN_BYTES_ENTRY * i;
	return (struct fxr_chan_bytes_entry){
		.connid = fxr_get_le64(p),
		.t = { .in = fxr_get_le64(p + 8), .out = fxr_get_le64(p + 16) },
	};
}

/* Names of CONN_CLOSED reasons and DUMP_ENTRY states, or "UNKNOWN". Static storage. */
const char *fxr_chan_close_name(uint16_t reason);
const char *fxr_chan_conn_state_name(uint8_t state);

#endif
