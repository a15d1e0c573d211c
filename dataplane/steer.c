/* dataplane/steer.c: the flow-to-lcore mapping (steer.h). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_thash.h>

#include "steer.h"

/* Woo and Park, "Scalable TCP Session Monitoring with Symmetric Receive-side Scaling"
 * (KAIST, 2012): with this key the Toeplitz hash does not change when source and destination
 * (addresses and ports) are swapped, because the key repeats with a period of 16 bits. */
const uint8_t fxr_steer_key[FXR_STEER_KEY_LEN] __rte_aligned(4) = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

void fxr_steer_init(struct fxr_steer *s, uint16_t n_lcores, uint16_t reta_size, bool hw)
{
	memset(s, 0, sizeof(*s));
	s->n_lcores = n_lcores != 0 ? n_lcores : 1;
	s->reta_size = reta_size != 0 ? reta_size : FXR_STEER_RETA_DEFAULT;
	s->hw = hw;
	rte_convert_rss_key((const uint32_t *)(const void *)fxr_steer_key, s->key_be,
		FXR_STEER_KEY_LEN);
}

uint32_t fxr_steer_hash(const struct fxr_steer *s, uint32_t saddr, uint32_t daddr,
	uint16_t sport, uint16_t dport)
{
	struct rte_ipv4_tuple t = {
		.src_addr = rte_be_to_cpu_32(saddr),
		.dst_addr = rte_be_to_cpu_32(daddr),
		.sport = rte_be_to_cpu_16(sport),
		.dport = rte_be_to_cpu_16(dport),
	};

	return rte_softrss_be((uint32_t *)&t, RTE_THASH_V4_L4_LEN, (const uint8_t *)s->key_be);
}

uint16_t fxr_steer_owner_pkt(const struct fxr_steer *s, const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;

	if (s->n_lcores == 1)
		return 0;
	if (s->hw && (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH))
		return fxr_steer_lcore_of_hash(s, m->hash.rss);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, m->l2_len + m->l3_len);
	return fxr_steer_owner(s, ip->src_addr, ip->dst_addr, th->src_port, th->dst_port);
}
