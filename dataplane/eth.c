/* dataplane/eth.c: Ethernet input. */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "arp.h"
#include "counters.h"
#include "eth.h"
#include "ipv4.h"
#include "xlcore.h"

/* Accepts our unicast address and broadcast (ARP requests). Other multicast has no user yet. */
static inline int eth_for_us(const struct fxr_lcore *lc, const struct rte_ether_hdr *eh)
{
	return rte_is_same_ether_addr(&eh->dst_addr, &lc->mac)
		|| rte_is_broadcast_ether_addr(&eh->dst_addr);
}

void fxr_eth_input_burst(struct fxr_lcore *lc, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eh;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr))) {
			FXR_CTR_INC(lc, eth_drop_short);
			rte_pktmbuf_free(m);
			continue;
		}
		eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(!eth_for_us(lc, eh))) {
			FXR_CTR_INC(lc, eth_drop_not_for_us);
			rte_pktmbuf_free(m);
			continue;
		}
		m->l2_len = sizeof(struct rte_ether_hdr);
		if (likely(eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)))
			fxr_ipv4_input(lc, m);
		else if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			/* before the answer is written into m */
			if (lc->xl != NULL)
				fxr_xlcore_share_arp(lc, m);
			fxr_arp_input(lc, m);
		}
		else {
			FXR_CTR_INC(lc, eth_drop_ethertype);
			rte_pktmbuf_free(m);
		}
	}
}
