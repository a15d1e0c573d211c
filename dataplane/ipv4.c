/* dataplane/ipv4.c: IPv4 input validation and output (RFC 791, RFC 1122 §3.2.1). */
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "arp.h"
#include "counters.h"
#include "icmp.h"
#include "ipv4.h"
#include "steer.h"
#include "tcp.h"
#include "xlcore.h"

void fxr_ipv4_input(struct fxr_lcore *lc, struct rte_mbuf *m)
{
	const uint32_t l2 = m->l2_len;
	struct rte_ipv4_hdr *ip;
	uint32_t ihl_bytes, total;
	int broadcast;

	FXR_CTR_INC(lc, ipv4_rx);
	/* the ports we run on deliver one segment per frame at this MTU; a chained mbuf is
	 * treated as truncated rather than walked */
	if (unlikely(rte_pktmbuf_data_len(m) < l2 + sizeof(*ip))) {
		FXR_CTR_INC(lc, ipv4_drop_short);
		goto drop;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	if (unlikely((ip->version_ihl >> 4) != 4 || (ip->version_ihl & 0xf) < 5)) {
		FXR_CTR_INC(lc, ipv4_drop_version);
		goto drop;
	}
	ihl_bytes = (ip->version_ihl & 0xf) * 4u;
	total = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(total < ihl_bytes || l2 + total > rte_pktmbuf_data_len(m))) {
		FXR_CTR_INC(lc, ipv4_drop_short);
		goto drop;
	}
	/* RFC 1122 §3.2.1.8 lets a host ignore options it does not implement; we implement
	 * none, and answering in place would echo them back, so such packets are dropped */
	if (unlikely(ihl_bytes != sizeof(*ip))) {
		FXR_CTR_INC(lc, ipv4_drop_options);
		goto drop;
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD
		|| ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD
			&& rte_raw_cksum(ip, ihl_bytes) != 0xffff)) {
		FXR_CTR_INC(lc, ipv4_drop_cksum);
		goto drop;
	}
	/* no reassembly (RFC 791 §3.2): the relay's peers use path MTU discovery */
	if (unlikely((ip->fragment_offset
		& RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)) {
		FXR_CTR_INC(lc, ipv4_drop_fragment);
		goto drop;
	}
	broadcast = ip->dst_addr == RTE_BE32(0xffffffff)
		|| (lc->bcast != 0 && ip->dst_addr == lc->bcast);
	if (unlikely(ip->dst_addr != lc->ip && !broadcast)) {
		FXR_CTR_INC(lc, ipv4_drop_not_for_us);
		goto drop;
	}
	/* RFC 1122 §3.2.1.3: a source that is not a unicast address is discarded, or a reply
	 * would go to everyone */
	if (unlikely(ip->src_addr == 0 || ip->src_addr == RTE_BE32(0xffffffff)
		|| (ip->src_addr & RTE_BE32(0xf0000000)) == RTE_BE32(0xe0000000)
		|| ip->src_addr == lc->ip || (lc->bcast != 0 && ip->src_addr == lc->bcast))) {
		FXR_CTR_INC(lc, ipv4_drop_bad_src);
		goto drop;
	}
	if (l2 + total < rte_pktmbuf_data_len(m))
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - l2 - total));
	m->l3_len = ihl_bytes;

	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		fxr_icmp_input(lc, m, broadcast);
		return;
	case IPPROTO_TCP:
		if (broadcast) {
			FXR_CTR_INC(lc, tcp_drop_broadcast);
			goto drop;
		}
		/* several lcores: a flow's segments go to the lcore that owns it (steer.h);
		 * a segment too short for its ports is the TCP input's to drop */
		if (lc->xl != NULL && rte_pktmbuf_data_len(m) >= l2 + ihl_bytes + 4u) {
			uint16_t owner = fxr_steer_owner_pkt(lc->steer, m);

			if (owner != lc->queue_id) {
				fxr_xlcore_steer(lc, owner, m);
				return;
			}
		}
		fxr_tcp_input(lc, m);
		return;
	default:
		FXR_CTR_INC(lc, ipv4_drop_proto);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

void fxr_ipv4_output(struct fxr_lcore *lc, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	uint32_t nexthop = ip->dst_addr;

	if ((nexthop & lc->netmask) != (lc->ip & lc->netmask)) {
		if (unlikely(lc->gw == 0)) {
			FXR_CTR_INC(lc, ip_drop_no_route);
			rte_pktmbuf_free(m);
			return;
		}
		nexthop = lc->gw;
	}
	ip->hdr_checksum = 0;
	/* keep a TCP checksum offload request (tcp_output.c), drop any RX flags */
	m->ol_flags &= RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4;
	if (lc->tx_ip_cksum_offload)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	FXR_CTR_INC(lc, ipv4_tx);
	fxr_arp_output(lc, m, nexthop);
}
