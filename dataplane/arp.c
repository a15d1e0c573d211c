/* dataplane/arp.c: ARP for Ethernet/IPv4 (RFC 826), with a bounded cache and a bounded queue
 * of packets awaiting resolution. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "arp.h"
#include "counters.h"
#include "loop.h"

#define ARP_FRAME_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
#define ARP_PADDED_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)

void fxr_arp_init(struct fxr_arp *a, uint64_t tsc_hz)
{
	memset(a, 0, sizeof(*a));
	a->ttl_tsc = tsc_hz * FXR_ARP_ENTRY_TTL_S;
	a->pending_timeout_tsc = tsc_hz * FXR_ARP_PENDING_TIMEOUT_MS / 1000;
	a->retry_tsc = tsc_hz * FXR_ARP_RETRY_MS / 1000;
}

void fxr_arp_fini(struct fxr_arp *a)
{
	for (uint16_t i = 0; i < a->n_pending; i++)
		rte_pktmbuf_free(a->pending[i].m);
	a->n_pending = 0;
}

static inline unsigned int arp_set_index(uint32_t ip)
{
	return rte_hash_crc_4byte(ip, 0) % FXR_ARP_SETS;
}

static inline struct fxr_arp_entry *arp_set(struct fxr_arp *a, uint32_t ip)
{
	return a->set[arp_set_index(ip)];
}

const struct fxr_arp_entry *fxr_arp_lookup(const struct fxr_arp *a, uint32_t ip, uint64_t now)
{
	const struct fxr_arp_entry *set = a->set[arp_set_index(ip)];

	for (unsigned int w = 0; w < FXR_ARP_WAYS; w++)
		if (set[w].ip == ip)
			return now - set[w].confirmed_tsc < a->ttl_tsc ? &set[w] : NULL;
	return NULL;
}

/* RFC 826 "merge": refreshes ip's entry when present; creates it only when create is set
 * (the packet was for us), evicting the least recently confirmed entry of its set. */
static void arp_learn(struct fxr_lcore *lc, uint32_t ip, const struct rte_ether_addr *mac,
	int create)
{
	struct fxr_arp_entry *set = arp_set(&lc->arp, ip);
	struct fxr_arp_entry *victim = &set[0];

	for (unsigned int w = 0; w < FXR_ARP_WAYS; w++) {
		if (set[w].ip == ip) {
			set[w].mac = *mac;
			set[w].confirmed_tsc = lc->now_tsc;
			return;
		}
		if (set[w].ip == 0 || (victim->ip != 0 && set[w].confirmed_tsc < victim->confirmed_tsc))
			victim = &set[w];
	}
	if (!create)
		return;
	if (victim->ip != 0)
		FXR_CTR_INC(lc, arp_cache_evict);
	victim->ip = ip;
	victim->mac = *mac;
	victim->confirmed_tsc = lc->now_tsc;
	FXR_CTR_INC(lc, arp_cache_insert);
}

static inline void arp_fill_eth(struct fxr_lcore *lc, struct rte_mbuf *m,
	const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eh->dst_addr = *dst;
	eh->src_addr = lc->mac;
}

/* Sends the packets queued for ip, now that its entry is known. */
static void arp_release_pending(struct fxr_lcore *lc, uint32_t ip,
	const struct rte_ether_addr *mac)
{
	struct fxr_arp *a = &lc->arp;
	uint16_t keep = 0;

	for (uint16_t i = 0; i < a->n_pending; i++) {
		if (a->pending[i].nexthop == ip) {
			arp_fill_eth(lc, a->pending[i].m, mac);
			fxr_tx_enqueue(lc, a->pending[i].m);
			FXR_CTR_INC(lc, arp_pending_sent);
		} else {
			a->pending[keep++] = a->pending[i];
		}
	}
	a->n_pending = keep;
}

void fxr_arp_fill(struct rte_arp_hdr *ah, uint16_t op, const struct rte_ether_addr *sha,
	uint32_t spa, uint32_t tpa)
{
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	ah->arp_data.arp_sip = spa;
	ah->arp_data.arp_tip = tpa;
}

/* Builds an ARP request (or, with tpa == our address, an announcement) in a new mbuf. */
static int arp_send_request(struct fxr_lcore *lc, uint32_t tpa)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(lc->mp);
	struct rte_ether_hdr *eh;
	char *frame;
	struct rte_arp_hdr *ah;

	if (unlikely(m == NULL)) {
		FXR_CTR_INC(lc, mbuf_alloc_fail);
		return -ENOMEM;
	}
	/* padded to the Ethernet minimum: not every port pads short frames */
	frame = rte_pktmbuf_append(m, ARP_PADDED_LEN);
	if (unlikely(frame == NULL)) {
		rte_pktmbuf_free(m);
		FXR_CTR_INC(lc, mbuf_alloc_fail);
		return -ENOMEM;
	}
	memset(frame, 0, ARP_PADDED_LEN);
	eh = (struct rte_ether_hdr *)frame;
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	eh->src_addr = lc->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	fxr_arp_fill(ah, RTE_ARP_OP_REQUEST, &lc->mac, lc->ip, tpa);
	fxr_tx_enqueue(lc, m);
	FXR_CTR_INC(lc, arp_tx_request);
	lc->arp.last_request_ip = tpa;
	lc->arp.last_request_tsc = lc->now_tsc;
	return 0;
}

int fxr_arp_announce(struct fxr_lcore *lc)
{
	return arp_send_request(lc, lc->ip);
}

/* Checks m's ARP header and learns from its sender; returns the header, or NULL (m freed,
 * counted) when it is not an Ethernet/IPv4 ARP packet. */
static struct rte_arp_hdr *arp_check_learn(struct fxr_lcore *lc, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);
	uint32_t spa;

	if (unlikely(rte_pktmbuf_data_len(m) < ARP_FRAME_LEN
		|| ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER)
		|| ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4)
		|| ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4)) {
		FXR_CTR_INC(lc, arp_drop_malformed);
		rte_pktmbuf_free(m);
		return NULL;
	}
	spa = ah->arp_data.arp_sip;
	/* Learn only on-link senders; 0.0.0.0 is a probe (RFC 5227 §2.1.1) and our own address
	 * in someone else's packet is a conflict, neither is a neighbour. */
	if (spa != 0 && spa != lc->ip && (spa & lc->netmask) == (lc->ip & lc->netmask)) {
		arp_learn(lc, spa, &ah->arp_data.arp_sha, ah->arp_data.arp_tip == lc->ip);
		if (lc->arp.n_pending != 0)
			arp_release_pending(lc, spa, &ah->arp_data.arp_sha);
	}
	return ah;
}

void fxr_arp_learn_shared(struct fxr_lcore *lc, struct rte_mbuf *m)
{
	if (arp_check_learn(lc, m) != NULL)
		rte_pktmbuf_free(m);
}

void fxr_arp_input(struct fxr_lcore *lc, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = arp_check_learn(lc, m);
	uint32_t spa;

	if (ah == NULL)
		return;
	spa = ah->arp_data.arp_sip;

	if (ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY)) {
		FXR_CTR_INC(lc, arp_rx_reply);
		rte_pktmbuf_free(m);
		return;
	}
	if (ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST)) {
		FXR_CTR_INC(lc, arp_drop_malformed);
		rte_pktmbuf_free(m);
		return;
	}
	if (ah->arp_data.arp_tip != lc->ip) {
		FXR_CTR_INC(lc, arp_drop_not_for_us);
		rte_pktmbuf_free(m);
		return;
	}
	FXR_CTR_INC(lc, arp_rx_request);

	/* RFC 826: swap the hardware and protocol fields, put ours in sender, opcode reply */
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	ah->arp_data.arp_tha = ah->arp_data.arp_sha;
	ah->arp_data.arp_tip = spa;
	ah->arp_data.arp_sha = lc->mac;
	ah->arp_data.arp_sip = lc->ip;
	eh->dst_addr = eh->src_addr;
	eh->src_addr = lc->mac;
	m->ol_flags = 0;
	fxr_tx_enqueue(lc, m);
	FXR_CTR_INC(lc, arp_tx_reply);
}

void fxr_arp_output(struct fxr_lcore *lc, struct rte_mbuf *m, uint32_t nexthop)
{
	struct fxr_arp *a = &lc->arp;
	const struct fxr_arp_entry *e = fxr_arp_lookup(a, nexthop, lc->now_tsc);
	int requested = 0;

	if (likely(e != NULL)) {
		arp_fill_eth(lc, m, &e->mac);
		fxr_tx_enqueue(lc, m);
		return;
	}
	if (unlikely(a->n_pending == FXR_ARP_PENDING_MAX)) {
		FXR_CTR_INC(lc, arp_pending_drop_full);
		rte_pktmbuf_free(m);
		return;
	}
	for (uint16_t i = 0; i < a->n_pending && !requested; i++)
		requested = a->pending[i].nexthop == nexthop;
	a->pending[a->n_pending++] = (struct fxr_arp_pending){
		.m = m, .nexthop = nexthop, .queued_tsc = lc->now_tsc,
	};
	FXR_CTR_INC(lc, arp_pending_queued);
	/* one request per next hop; the timer repeats it while packets wait */
	if (!requested)
		arp_send_request(lc, nexthop);
}

void fxr_arp_timer(struct fxr_lcore *lc)
{
	struct fxr_arp *a = &lc->arp;
	uint16_t keep = 0;

	for (uint16_t i = 0; i < a->n_pending; i++) {
		if (lc->now_tsc - a->pending[i].queued_tsc >= a->pending_timeout_tsc) {
			FXR_CTR_INC(lc, arp_pending_drop_timeout);
			rte_pktmbuf_free(a->pending[i].m);
		} else {
			a->pending[keep++] = a->pending[i];
		}
	}
	a->n_pending = keep;
	/* the oldest waiting next hop gets a new request once per retry interval */
	if (a->n_pending != 0 && lc->now_tsc - a->last_request_tsc >= a->retry_tsc)
		arp_send_request(lc, a->pending[0].nexthop);
}
