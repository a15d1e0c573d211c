/* dataplane/icmp.c: ICMP echo reply (RFC 792; RFC 1122 §3.2.2.6). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "counters.h"
#include "icmp.h"
#include "ipv4.h"

/* RFC 1624 eqn. 3: the checksum after one 16-bit word of the covered data changes from
 * old to new, without summing the data again. Byte order does not matter as long as the
 * three values share it. */
static inline uint16_t cksum_adjust16(uint16_t cksum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~cksum + (uint32_t)(uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void fxr_icmp_input(struct fxr_lcore *lc, struct rte_mbuf *m, int broadcast)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + m->l3_len);
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - m->l3_len;
	uint16_t old_word, new_word;
	uint32_t addr;

	if (unlikely(len < sizeof(*icmp))) {
		FXR_CTR_INC(lc, icmp_drop_short);
		rte_pktmbuf_free(m);
		return;
	}
	if (unlikely(rte_raw_cksum(icmp, len) != 0xffff)) {
		FXR_CTR_INC(lc, icmp_drop_cksum);
		rte_pktmbuf_free(m);
		return;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		FXR_CTR_INC(lc, icmp_drop_type);
		rte_pktmbuf_free(m);
		return;
	}
	FXR_CTR_INC(lc, icmp_rx_echo_request);
	if (broadcast) {
		FXR_CTR_INC(lc, icmp_drop_broadcast);
		rte_pktmbuf_free(m);
		return;
	}

	/* RFC 792: the reply carries the request's identifier, sequence and data; only the
	 * type changes, so the checksum is adjusted rather than recomputed over the data */
	memcpy(&old_word, icmp, sizeof(old_word));
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new_word, icmp, sizeof(new_word));
	icmp->icmp_cksum = cksum_adjust16(icmp->icmp_cksum, old_word, new_word);

	addr = ip->src_addr;
	ip->src_addr = lc->ip;
	ip->dst_addr = addr;
	ip->time_to_live = FXR_IPV4_TTL;
	fxr_ipv4_output(lc, m);
	FXR_CTR_INC(lc, icmp_tx_echo_reply);
}
