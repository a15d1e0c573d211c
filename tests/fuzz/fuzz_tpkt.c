/* Fuzz target: the TPKT deframer (fax/tpkt.c) fed in pieces against a plain parse of the
 * whole buffer. The first byte chooses the piece size. Properties: the same packets, with
 * the same payloads, in the same order, and the same verdict on a bad header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tpkt.h"

static uint8_t buf[FXR_TPKT_MAX_PAYLOAD];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] % 32 + 1;
	data++;
	size--;

	struct fxr_tpkt_rx r;
	fxr_tpkt_rx_init(&r, buf);
	size_t off = 0, ref = 0; /* ref: where the reference parse is */
	int bad = 0;
	while (off < size && !bad) {
		size_t n = size - off < piece ? size - off : piece;
		size_t used_total = 0;
		while (used_total < n) {
			long got;
			long used = fxr_tpkt_rx_feed(&r, data + off + used_total, n - used_total, &got);
			if (used < 0) {
				bad = 1;
				break;
			}
			if (used == 0)
				abort(); /* no progress on non-empty input */
			used_total += (size_t)used;
			if (got >= 0) {
				/* the reference: a whole packet at ref */
				if (ref + 4 > size || data[ref] != 3)
					abort();
				size_t total = (size_t)data[ref + 2] << 8 | data[ref + 3];
				if (total <= 4 || total - 4 != (size_t)got || ref + total > size ||
				    memcmp(buf, data + ref + 4, (size_t)got) != 0)
					abort();
				ref += total;
			}
		}
		off += n;
	}
	if (bad) {
		/* the reference must also find a bad header at ref */
		if (ref + 4 > size)
			abort();
		size_t total = (size_t)data[ref + 2] << 8 | data[ref + 3];
		if (data[ref] == 3 && total > 4)
			abort();
	}
	return 0;
}
