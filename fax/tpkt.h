/* fax/tpkt.h: TPKT framing (RFC 1006 §6) of T.38 IFP packets over a byte stream, as T.38
 * over TCP uses it (ITU-T T.38 §8.2): version 3, reserved 0, u16 big-endian length of the
 * whole packet including this 4-byte header. Pure; no allocation. */
#ifndef FXR_TPKT_H
#define FXR_TPKT_H

#include <stddef.h>
#include <stdint.h>

#define FXR_TPKT_HDR_LEN 4u
#define FXR_TPKT_VERSION 3u
#define FXR_TPKT_MAX_PAYLOAD (65535u - FXR_TPKT_HDR_LEN)

/* Writes the header for a payload of len bytes at p (4 bytes). Returns 0, or -EMSGSIZE. */
int fxr_tpkt_hdr_put(uint8_t *p, size_t len);

/* Incremental deframer: fed the stream in pieces of any size, it gathers one packet at a
 * time into buf (which must hold FXR_TPKT_MAX_PAYLOAD bytes). */
struct fxr_tpkt_rx {
	uint8_t hdr[FXR_TPKT_HDR_LEN];
	uint8_t hdr_have;
	uint8_t bad;          /* a malformed header was seen: the stream is unusable */
	uint16_t want;        /* payload bytes of the current packet */
	uint16_t have;        /* payload bytes gathered */
	uint8_t *buf;
};

void fxr_tpkt_rx_init(struct fxr_tpkt_rx *r, uint8_t *buf);

/* Consumes up to n bytes of p. Returns how many it used; *got is set to the payload length
 * when a whole packet is in r->buf (then call again for the rest of p), else -1. Returns
 * -EBADMSG (and keeps failing) on a header that is not TPKT version 3 with a length >= 4. */
long fxr_tpkt_rx_feed(struct fxr_tpkt_rx *r, const uint8_t *p, size_t n, long *got);

#endif
