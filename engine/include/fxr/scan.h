/* fxr/scan.h: incremental FXR/1 frame scanner.
 *
 * Fed a TCP byte stream in pieces of any size (one segment, one mbuf of a chain), it reports
 * frame boundaries and types without copying payload: a PAYLOAD event names a run of bytes
 * at the start of the piece the caller passed, so the caller can relay it by reference. Only
 * the 4 header bytes are gathered inside the scanner (a header may straddle two pieces).
 *
 * Typical loop over one piece p[0..n):
 *
 *     for (;;) {
 *             size_t used = fxr_scan_step(&sc, p, n, &r);
 *             if (r.ev == FXR_SCAN_PAYLOAD) relay_or_gather(p, r.chunk_len);
 *             p += used; n -= used;
 *             if (r.ev == FXR_SCAN_NEED_MORE || r.ev == FXR_SCAN_ERROR) break;
 *             ...HEADER / FRAME_END...
 *     }
 *
 * One scanner belongs to one connection, and so to one lcore; no locking. */
#ifndef FXR_SCAN_H
#define FXR_SCAN_H

#include <stddef.h>
#include <string.h>

#include "fxr/scan-t.h"

static inline void fxr_scan_init(struct fxr_scanner *s)
{
	memset(s, 0, sizeof(*s));
}

/* Advances over p[0..n) up to the next event and returns how many bytes it used (0..n).
 * Exactly one event is reported in *r per call:
 *  - NEED_MORE: every byte given was used (header bytes gathered, or n was 0).
 *  - HEADER: a header completed; the bytes used are its last header bytes.
 *  - PAYLOAD: the returned count of payload bytes, at p, belong to the current frame
 *    (r->chunk_len equals the return value).
 *  - FRAME_END: the current frame is complete; uses 0 bytes.
 *  - ERROR: the header is malformed (r->why); uses 0 bytes, and every later call reports
 *    ERROR again until fxr_scan_init(). */
size_t fxr_scan_step(struct fxr_scanner *s, const uint8_t *p, size_t n,
		     struct fxr_scan_result *r);

/* True when the scanner sits between frames (nothing partial gathered). */
static inline int fxr_scan_at_boundary(const struct fxr_scanner *s)
{
	return s->phase == 0 && s->hdr_have == 0;
}

#endif
