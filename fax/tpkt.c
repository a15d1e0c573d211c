/* TPKT framing; see tpkt.h. */
#include <errno.h>
#include <string.h>

#include "tpkt.h"

int fxr_tpkt_hdr_put(uint8_t *p, size_t len)
{
	if (len > FXR_TPKT_MAX_PAYLOAD)
		return -EMSGSIZE;
	size_t total = len + FXR_TPKT_HDR_LEN;
	p[0] = FXR_TPKT_VERSION;
	p[1] = 0;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	return 0;
}

void fxr_tpkt_rx_init(struct fxr_tpkt_rx *r, uint8_t *buf)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
}

long fxr_tpkt_rx_feed(struct fxr_tpkt_rx *r, const uint8_t *p, size_t n, long *got)
{
	size_t used = 0;
	*got = -1;
	if (r->bad)
		return -EBADMSG;
	while (r->hdr_have < FXR_TPKT_HDR_LEN) {
		if (used == n)
			return (long)used;
		r->hdr[r->hdr_have++] = p[used++];
		if (r->hdr_have == FXR_TPKT_HDR_LEN) {
			unsigned total = (unsigned)r->hdr[2] << 8 | r->hdr[3];
			/* RFC 1006 §6: version 3; T.38 puts one IFP packet in each, never empty */
			if (r->hdr[0] != FXR_TPKT_VERSION || total <= FXR_TPKT_HDR_LEN) {
				r->bad = 1;
				return -EBADMSG;
			}
			r->want = (uint16_t)(total - FXR_TPKT_HDR_LEN);
			r->have = 0;
		}
	}
	size_t take = n - used;
	if (take > (size_t)(r->want - r->have))
		take = (size_t)(r->want - r->have);
	memcpy(r->buf + r->have, p + used, take);
	r->have = (uint16_t)(r->have + take);
	used += take;
	if (r->have == r->want) {
		*got = r->want;
		r->hdr_have = 0;
	}
	return (long)used;
}
