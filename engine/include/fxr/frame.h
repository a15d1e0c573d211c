/* fxr/frame.h: FXR/1 frame codec. Pure functions: no I/O, no allocation, callable from any
 * thread. Decoders never read past the length they are given. */
#ifndef FXR_FRAME_H
#define FXR_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fxr/frame-t.h"
#include "fxr/wire.h"

/* Static facts about a frame type. */
struct fxr_frame_info {
	const char *name;
	uint8_t type;
	uint8_t dir;     /* enum fxr_dir */
	uint16_t min_len;
	uint16_t max_len;
};

/* Returns the type's facts, or NULL when type is not an FXR/1 frame type. */
const struct fxr_frame_info *fxr_frame_info(uint8_t type);

/* Returns the type's name ("CONNECT"), or "UNKNOWN". Static storage. */
const char *fxr_frame_type_name(uint8_t type);

/* Returns the text for a malformation reason. Static storage. */
const char *fxr_malformed_text(enum fxr_malformed why);
/* Returns the symbolic name of a malformation reason ("STR_OVERRUN"). Static storage. */
const char *fxr_malformed_name(enum fxr_malformed why);

/* Checks a frame header on its own: known type, flags, length within the type's bounds.
 * Returns FXR_MALFORMED_NONE or the reason. This is all the scanner needs to find frame
 * boundaries; payload structure is checked by fxr_frame_decode(). */
enum fxr_malformed fxr_frame_hdr_check(uint8_t type, uint8_t flags, uint16_t len);

/* Writes a 4-byte header at p (which must have 4 bytes). No checks. */
static inline void fxr_frame_hdr_put(uint8_t *p, uint8_t type, uint8_t flags, uint16_t len)
{
	p[0] = type;
	p[1] = flags;
	fxr_put_be16(p + 2, len);
}

/* Decodes the frame at the start of buf[0..n). On success fills *m with views into buf and
 * returns the frame's total length (header included, > 0); buf may hold more after it.
 * Returns 0 when buf holds only part of a frame whose header is valid so far (need more).
 * Returns -EBADMSG for a malformed frame and sets *why (when why is not NULL). */
int fxr_frame_decode(const uint8_t *buf, size_t n, struct fxr_msg *m, enum fxr_malformed *why);

/* Encodes m into buf[0..cap). Returns the frame's total length, -ENOSPC when cap is too
 * small, or -EINVAL when m cannot be encoded (unknown type, flags, a device id that
 * fxr_devid_valid() rejects, a field over its limit, a LIST_RESULT over one frame). */
int fxr_frame_encode(const struct fxr_msg *m, uint8_t *buf, size_t cap);

/* How many of entries[0..n) fit in one LIST_RESULT frame (the rest go in the next frame,
 * with FXR_FLAG_MORE on this one). */
uint16_t fxr_list_result_fit(const struct fxr_list_entry *entries, uint16_t n);

/* Starts walking a decoded LIST_RESULT's entries. */
static inline void fxr_list_iter_init(struct fxr_list_iter *it, const struct fxr_msg *m)
{
	it->p = m->u.list.packed.p;
	it->end = m->u.list.packed.p + m->u.list.packed.len;
}

/* Yields the next entry of a LIST_RESULT that fxr_frame_decode() accepted. Returns true
 * and fills *e, or false at the end. */
bool fxr_list_next(struct fxr_list_iter *it, struct fxr_list_entry *e);

#endif
