/* tcp_syncookie.c: SYN cookies (RFC 4987 §3.6) for a listener whose SYN backlog is full: the
 * SYN-ACK's sequence number encodes what the TCB would have held, and no state is kept until
 * the handshake's ACK proves the peer received it.
 *
 * Cookie (our ISS), 32 bits:  t:5 | mss:2 | mac:25
 *   t    (now_ms >> 16) & 31: a 65.5 s time slot; a cookie is good in its slot and the next
 *   mss  index into cookie_mss[] (the largest not above the peer's MSS)
 *   mac  CRC32-C over (key, IRS, t) keyed with the lcore's secret, 25 bits
 * What the cookie cannot carry is lost, as RFC 4987 says: window scale, SACK-permitted and
 * timestamps are not offered in a cookie SYN-ACK (Linux hides them in TSval; not done here).
 * The CRC is not a cryptographic MAC: a peer that sees many cookies could forge one for its
 * own address (noted as a limitation). */
#include <errno.h>

#include <rte_hash_crc.h>

#include "tcp_internal.h"

static const uint16_t cookie_mss[4] = { 536, 1220, 1440, 1460 };

static uint32_t cookie_mac(const struct fxr_tcp_stack *s, const struct fxr_tcp_key *k,
	uint32_t irs, uint32_t t)
{
	uint64_t w = ((uint64_t)irs << 32) | t;
	uint32_t h = rte_hash_crc_8byte(s->cookie_secret[0], (uint32_t)s->cookie_secret[1]);

	h = rte_hash_crc(k, sizeof(*k), h);
	h = rte_hash_crc_8byte(w, h);
	return h & 0x1ffffffu;
}

uint32_t fxr_tcp_syncookie_make(const struct fxr_tcp_stack *s, const struct fxr_tcp_key *k,
	uint32_t irs, uint16_t peer_mss)
{
	uint32_t t = (s->now_ms >> 16) & 31u;
	uint32_t i = 3;

	while (i > 0 && cookie_mss[i] > peer_mss)
		i--;
	return t << 27 | i << 25 | cookie_mac(s, k, irs, t);
}

int fxr_tcp_syncookie_check(const struct fxr_tcp_stack *s, const struct fxr_tcp_key *k,
	uint32_t irs, uint32_t cookie, uint16_t *mss)
{
	uint32_t t = cookie >> 27;
	uint32_t now = (s->now_ms >> 16) & 31u;

	/* this slot or the one before: 65 to 131 s of validity */
	if (t != now && t != ((now - 1) & 31u))
		return -ETIMEDOUT;
	if ((cookie & 0x1ffffffu) != cookie_mac(s, k, irs, t))
		return -EINVAL;
	*mss = cookie_mss[(cookie >> 25) & 3u];
	return 0;
}
