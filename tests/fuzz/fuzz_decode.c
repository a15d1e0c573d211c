/* Fuzz target: fxr_frame_decode over arbitrary bytes. Properties checked:
 *  - it never reads past the buffer (ASan) and never trips UB (UBSan);
 *  - whatever it accepts re-encodes to exactly the same bytes (decode/encode round trip);
 *  - its verdict on the header agrees with fxr_frame_hdr_check (the scanner's view). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fxr/frame.h"

#define MAX_ENTRIES (FXR_FRAME_MAX_PAYLOAD / 3)

static struct fxr_list_entry entries[MAX_ENTRIES];
static uint8_t out[FXR_FRAME_MAX_LEN];

static void check_round_trip(const uint8_t *in, int n, const struct fxr_msg *m)
{
	struct fxr_msg copy = *m;
	if (m->type == FXR_T_LIST_RESULT) {
		struct fxr_list_iter it;
		uint32_t i = 0;
		fxr_list_iter_init(&it, m);
		while (i < MAX_ENTRIES && fxr_list_next(&it, &entries[i]))
			i++;
		if (i != m->u.list.n)
			abort();
		copy.u.list.entries = entries;
	}
	int w = fxr_frame_encode(&copy, out, sizeof(out));
	if (w != n || memcmp(out, in, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		struct fxr_msg m;
		enum fxr_malformed why;
		int n = fxr_frame_decode(data + off, size - off, &m, &why);
		if (size - off >= FXR_FRAME_HDR_LEN) {
			enum fxr_malformed h = fxr_frame_hdr_check(
				data[off], data[off + 1], fxr_get_be16(data + off + 2));
			if (h != FXR_MALFORMED_NONE && (n >= 0 || why != h))
				abort();
		}
		if (n <= 0)
			break;
		check_round_trip(data + off, n, &m);
		off += (size_t)n;
	}
	return 0;
}
