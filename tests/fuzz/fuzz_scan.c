/* Fuzz target: the incremental scanner against the whole-buffer decoder.
 * The first two input bytes choose piece sizes; the rest is the stream. The stream is fed in
 * pieces of exactly those sizes (heap copies, so an over-read is an ASan error). Properties:
 *  - every PAYLOAD chunk lies inside the piece given;
 *  - frames found by the scanner are exactly the frames fxr_frame_decode walks in the
 *    contiguous stream, at the same offsets, with the same verdicts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fxr/frame.h"
#include "fxr/scan.h"

static uint8_t gather[FXR_FRAME_MAX_LEN];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t sizes[2] = { (size_t)data[0] % 64 + 1, (size_t)data[1] * 7 + 1 };
	data += 2;
	size -= 2;

	struct fxr_scanner sc;
	struct fxr_scan_result r;
	size_t off = 0, frame_start = 0, have = 0;
	unsigned turn = 0;
	int errored = 0;
	fxr_scan_init(&sc);

	while (off < size && !errored) {
		size_t n = sizes[turn++ & 1];
		if (n > size - off)
			n = size - off;
		uint8_t *piece = malloc(n);
		if (!piece)
			abort();
		memcpy(piece, data + off, n);
		const uint8_t *p = piece;
		size_t left = n;
		for (;;) {
			size_t used = fxr_scan_step(&sc, p, left, &r);
			if (used > left)
				abort();
			if (r.ev == FXR_SCAN_HEADER) {
				fxr_frame_hdr_put(gather, r.type, r.flags, r.len);
				have = FXR_FRAME_HDR_LEN;
			} else if (r.ev == FXR_SCAN_PAYLOAD) {
				if (r.chunk_len != used || have + used > sizeof(gather))
					abort();
				memcpy(gather + have, p, used);
				have += used;
			} else if (r.ev == FXR_SCAN_FRAME_END) {
				struct fxr_msg a, b;
				enum fxr_malformed wa, wb;
				int na = fxr_frame_decode(gather, have, &a, &wa);
				int nb = fxr_frame_decode(data + frame_start, size - frame_start, &b, &wb);
				if (na != nb || (na < 0 && wa != wb) || na == 0)
					abort();
				if (memcmp(gather, data + frame_start, have) != 0)
					abort();
				frame_start += have;
				have = 0;
			} else if (r.ev == FXR_SCAN_ERROR) {
				struct fxr_msg b;
				enum fxr_malformed wb;
				if (fxr_frame_decode(data + frame_start, size - frame_start, &b,
						     &wb) != -EBADMSG)
					abort();
				if (wb != r.why)
					abort();
				errored = 1;
				break;
			}
			p += used;
			left -= used;
			if (r.ev == FXR_SCAN_NEED_MORE)
				break;
		}
		free(piece);
		off += n;
	}
	return 0;
}
