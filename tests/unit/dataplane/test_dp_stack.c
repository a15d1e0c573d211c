/* tests/integration/test_dp_stack.c: the dataplane's Ethernet/ARP/IPv4/ICMP handlers from the
 * wire: exact frames in through fxr_eth_input_burst(), exact frames out of the lcore's TX
 * buffer (which is inspected, never sent: no port exists). EAL runs without hugepages. */
#include <arpa/inet.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "arp.h"
#include "config-t.h"
#include "dp_test.h"
#include "counters.h"
#include "eth.h"
#include "lcore-t.h"
#include "loop.h"

#define POOL_SIZE 1023u

static struct rte_mempool *pool;
static struct fxr_dp_config cfg;
static struct fxr_lcore *lc;

static const struct rte_ether_addr gw_mac = { { 0x02, 0, 0, 0, 0, 0x0a } };

#define OUR_IP  dp_test_addr("10.200.2.2")
#define PEER_IP dp_test_addr("10.200.2.1")
#define GW_IP   dp_test_addr("10.200.0.1")

static uint64_t ctr(enum fxr_ctr id)
{
	return lc->ctr.v[id];
}

static int setup(void **state)
{
	(void)state;
	fxr_lcore_init(lc, &cfg, 0, 0, 0, pool, &dp_test_our_mac, false);
	lc->now_tsc = rte_get_tsc_hz();
	return 0;
}

/* Everything the handlers kept or queued goes back to the pool: nothing leaked. */
static int teardown(void **state)
{
	(void)state;
	fxr_lcore_fini(lc);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
	return 0;
}

static void input(struct rte_mbuf *m)
{
	fxr_eth_input_burst(lc, &m, 1);
}

static void drain_tx(void)
{
	rte_pktmbuf_free_bulk(lc->tx, lc->tx_n);
	lc->tx_n = 0;
}

static struct rte_ipv4_hdr *ip_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
}

static struct rte_icmp_hdr *icmp_of(struct rte_mbuf *m)
{
	return (struct rte_icmp_hdr *)(ip_of(m) + 1);
}

/* An echo request with valid checksums and payload bytes i * 7. */
static struct rte_mbuf *echo(const struct rte_ether_addr *src_mac, uint32_t src, uint32_t dst,
	uint16_t payload)
{
	uint16_t icmp_len = (uint16_t)(sizeof(struct rte_icmp_hdr) + payload);
	struct rte_mbuf *m = dp_test_frame(&dp_test_our_mac, src_mac, RTE_ETHER_TYPE_IPV4,
		(uint16_t)(sizeof(struct rte_ipv4_hdr) + icmp_len));
	struct rte_ipv4_hdr *ip = ip_of(m);
	struct rte_icmp_hdr *icmp = icmp_of(m);
	uint8_t *data = (uint8_t *)(icmp + 1);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + icmp_len));
	ip->packet_id = RTE_BE16(0x1234);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 5;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = RTE_BE16(0x4242);
	icmp->icmp_seq_nb = RTE_BE16(7);
	for (uint16_t i = 0; i < payload; i++)
		data[i] = (uint8_t)(i * 7);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, icmp_len);
	return m;
}

static void refresh_ip_cksum(struct rte_mbuf *m)
{
	ip_of(m)->hdr_checksum = 0;
	ip_of(m)->hdr_checksum = rte_ipv4_cksum(ip_of(m));
}

/* Teaches the lcore dp_test_peer_mac for PEER_IP by an ARP request for us, and drops the reply. */
static void learn_peer(void)
{
	input(dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &dp_test_peer_mac, PEER_IP, OUR_IP));
	assert_int_equal(lc->tx_n, 1);
	drain_tx();
}

static void assert_echo_reply(struct rte_mbuf *m, const struct rte_ether_addr *to_mac,
	uint32_t to_ip, uint16_t payload)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = ip_of(m);
	struct rte_icmp_hdr *icmp = icmp_of(m);
	uint16_t icmp_len = (uint16_t)(sizeof(*icmp) + payload);
	const uint8_t *data = (const uint8_t *)(icmp + 1);

	assert_true(rte_is_same_ether_addr(&eh->dst_addr, to_mac));
	assert_true(rte_is_same_ether_addr(&eh->src_addr, &dp_test_our_mac));
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(rte_pktmbuf_data_len(m), sizeof(*eh) + sizeof(*ip) + icmp_len);
	assert_int_equal(ip->src_addr, OUR_IP);
	assert_int_equal(ip->dst_addr, to_ip);
	assert_int_equal(ip->time_to_live, 64);
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(icmp->icmp_code, 0);
	assert_int_equal(icmp->icmp_ident, RTE_BE16(0x4242));
	assert_int_equal(icmp->icmp_seq_nb, RTE_BE16(7));
	assert_int_equal(rte_raw_cksum(icmp, icmp_len), 0xffff);
	for (uint16_t i = 0; i < payload; i++)
		assert_int_equal(data[i], (uint8_t)(i * 7));
}

static void test_arp_request_for_us_gets_reply(void **state)
{
	const struct rte_ether_hdr *eh;
	const struct rte_arp_hdr *ah;

	(void)state;
	input(dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &dp_test_peer_mac, PEER_IP, OUR_IP));
	assert_int_equal(lc->tx_n, 1);
	eh = rte_pktmbuf_mtod(lc->tx[0], const struct rte_ether_hdr *);
	ah = (const struct rte_arp_hdr *)(eh + 1);
	assert_true(rte_is_same_ether_addr(&eh->dst_addr, &dp_test_peer_mac));
	assert_true(rte_is_same_ether_addr(&eh->src_addr, &dp_test_our_mac));
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_sha, &dp_test_our_mac));
	assert_int_equal(ah->arp_data.arp_sip, OUR_IP);
	assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_tha, &dp_test_peer_mac));
	assert_int_equal(ah->arp_data.arp_tip, PEER_IP);
	assert_int_equal(ctr(FXR_CTR_arp_rx_request), 1);
	assert_int_equal(ctr(FXR_CTR_arp_tx_reply), 1);
	assert_int_equal(ctr(FXR_CTR_arp_cache_insert), 1);
	assert_non_null(fxr_arp_lookup(&lc->arp, PEER_IP, lc->now_tsc));
}

static void test_arp_request_for_another_is_ignored(void **state)
{
	(void)state;
	input(dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &dp_test_peer_mac, PEER_IP, dp_test_addr("10.200.2.77")));
	assert_int_equal(lc->tx_n, 0);
	assert_int_equal(ctr(FXR_CTR_arp_drop_not_for_us), 1);
	/* RFC 826: only the target creates an entry */
	assert_null(fxr_arp_lookup(&lc->arp, PEER_IP, lc->now_tsc));
}

static void test_announce_is_gratuitous_request(void **state)
{
	const struct rte_ether_hdr *eh;
	const struct rte_arp_hdr *ah;

	(void)state;
	assert_int_equal(fxr_arp_announce(lc), 0);
	assert_int_equal(lc->tx_n, 1);
	eh = rte_pktmbuf_mtod(lc->tx[0], const struct rte_ether_hdr *);
	ah = (const struct rte_arp_hdr *)(eh + 1);
	assert_true(rte_is_broadcast_ether_addr(&eh->dst_addr));
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_int_equal(ah->arp_data.arp_sip, OUR_IP);
	assert_int_equal(ah->arp_data.arp_tip, OUR_IP);
	assert_int_equal(rte_pktmbuf_data_len(lc->tx[0]), RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
}

static void test_echo_from_known_neighbour_is_answered(void **state)
{
	(void)state;
	learn_peer();
	/* odd payload: the checksum adjustment must not depend on the data */
	input(echo(&dp_test_peer_mac, PEER_IP, OUR_IP, 57));
	assert_int_equal(lc->tx_n, 1);
	assert_echo_reply(lc->tx[0], &dp_test_peer_mac, PEER_IP, 57);
	assert_int_equal(ctr(FXR_CTR_icmp_rx_echo_request), 1);
	assert_int_equal(ctr(FXR_CTR_icmp_tx_echo_reply), 1);
	assert_int_equal(ctr(FXR_CTR_ipv4_tx), 1);
}

static void test_echo_padding_is_trimmed(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	learn_peer();
	m = echo(&dp_test_peer_mac, PEER_IP, OUR_IP, 4);
	/* a 46-byte minimum Ethernet payload: 14 bytes of padding after the datagram */
	memset(rte_pktmbuf_append(m, 14), 0xee, 14);
	input(m);
	assert_int_equal(lc->tx_n, 1);
	assert_echo_reply(lc->tx[0], &dp_test_peer_mac, PEER_IP, 4);
}

static void test_echo_from_unknown_neighbour_waits_for_arp(void **state)
{
	const struct rte_arp_hdr *ah;

	(void)state;
	input(echo(&dp_test_peer_mac, PEER_IP, OUR_IP, 16));
	assert_int_equal(lc->tx_n, 1);     /* our ARP request, the reply is queued */
	ah = rte_pktmbuf_mtod_offset(lc->tx[0], const struct rte_arp_hdr *,
		sizeof(struct rte_ether_hdr));
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_int_equal(ah->arp_data.arp_tip, PEER_IP);
	assert_int_equal(ah->arp_data.arp_sip, OUR_IP);
	assert_int_equal(ctr(FXR_CTR_arp_pending_queued), 1);
	drain_tx();

	input(dp_test_arp(RTE_ARP_OP_REPLY, &dp_test_our_mac, &dp_test_peer_mac, PEER_IP, OUR_IP));
	assert_int_equal(lc->tx_n, 1);
	assert_echo_reply(lc->tx[0], &dp_test_peer_mac, PEER_IP, 16);
	assert_int_equal(ctr(FXR_CTR_arp_rx_reply), 1);
	assert_int_equal(ctr(FXR_CTR_arp_pending_sent), 1);
	assert_int_equal(lc->arp.n_pending, 0);
}

static void test_off_link_source_goes_via_gateway(void **state)
{
	const struct rte_arp_hdr *ah;

	(void)state;
	input(echo(&gw_mac, dp_test_addr("192.0.2.9"), OUR_IP, 8));
	assert_int_equal(lc->tx_n, 1);
	ah = rte_pktmbuf_mtod_offset(lc->tx[0], const struct rte_arp_hdr *,
		sizeof(struct rte_ether_hdr));
	assert_int_equal(ah->arp_data.arp_tip, GW_IP);
	drain_tx();
	input(dp_test_arp(RTE_ARP_OP_REPLY, &dp_test_our_mac, &gw_mac, GW_IP, OUR_IP));
	assert_int_equal(lc->tx_n, 1);
	assert_echo_reply(lc->tx[0], &gw_mac, dp_test_addr("192.0.2.9"), 8);
}

/* One malformed or unwanted packet each: no answer, and exactly its counter moves. */
enum bad_kind {
	BAD_IP_CKSUM, BAD_MF, BAD_OFFSET, BAD_OPTIONS, BAD_VERSION, BAD_TOTAL_LEN, BAD_DST,
	BAD_SRC_BCAST, BAD_SRC_OURS, BAD_ICMP_CKSUM, BAD_ICMP_TYPE, BAD_BCAST_ECHO, BAD_UDP,
	BAD_TCP, BAD_ETH_DST, BAD_ETHERTYPE, BAD_ARP_HLEN, BAD_ARP_SHORT,
};

static const struct {
	enum bad_kind kind;
	enum fxr_ctr counter;
} bad_cases[] = {
	{ BAD_IP_CKSUM, FXR_CTR_ipv4_drop_cksum },
	{ BAD_MF, FXR_CTR_ipv4_drop_fragment },
	{ BAD_OFFSET, FXR_CTR_ipv4_drop_fragment },
	{ BAD_OPTIONS, FXR_CTR_ipv4_drop_options },
	{ BAD_VERSION, FXR_CTR_ipv4_drop_version },
	{ BAD_TOTAL_LEN, FXR_CTR_ipv4_drop_short },
	{ BAD_DST, FXR_CTR_ipv4_drop_not_for_us },
	{ BAD_SRC_BCAST, FXR_CTR_ipv4_drop_bad_src },
	{ BAD_SRC_OURS, FXR_CTR_ipv4_drop_bad_src },
	{ BAD_ICMP_CKSUM, FXR_CTR_icmp_drop_cksum },
	{ BAD_ICMP_TYPE, FXR_CTR_icmp_drop_type },
	{ BAD_BCAST_ECHO, FXR_CTR_icmp_drop_broadcast },
	{ BAD_UDP, FXR_CTR_ipv4_drop_proto },
	{ BAD_TCP, FXR_CTR_ipv4_drop_tcp_absent },
	{ BAD_ETH_DST, FXR_CTR_eth_drop_not_for_us },
	{ BAD_ETHERTYPE, FXR_CTR_eth_drop_ethertype },
	{ BAD_ARP_HLEN, FXR_CTR_arp_drop_malformed },
	{ BAD_ARP_SHORT, FXR_CTR_arp_drop_malformed },
};

static struct rte_mbuf *bad_packet(enum bad_kind kind)
{
	struct rte_mbuf *m = echo(&dp_test_peer_mac, PEER_IP, OUR_IP, 32);
	struct rte_ipv4_hdr *ip = ip_of(m);
	struct rte_icmp_hdr *icmp = icmp_of(m);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	switch (kind) {
	case BAD_IP_CKSUM: ip->hdr_checksum ^= 1; return m;
	case BAD_MF: ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG); break;
	case BAD_OFFSET: ip->fragment_offset = RTE_BE16(185); break;
	case BAD_OPTIONS: ip->version_ihl = 0x46; break;
	case BAD_VERSION: ip->version_ihl = 0x65; break;
	case BAD_TOTAL_LEN: ip->total_length = RTE_BE16(200); break;
	case BAD_DST: ip->dst_addr = dp_test_addr("10.200.2.3"); break;
	case BAD_SRC_BCAST: ip->src_addr = RTE_BE32(0xffffffff); break;
	case BAD_SRC_OURS: ip->src_addr = OUR_IP; break;
	case BAD_ICMP_CKSUM: icmp->icmp_cksum ^= 0x100; break;
	case BAD_ICMP_TYPE:
		/* an echo reply, with a valid checksum, is not answered */
		icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + 32);
		break;
	case BAD_BCAST_ECHO: ip->dst_addr = dp_test_addr("10.200.255.255"); break;
	case BAD_UDP: ip->next_proto_id = IPPROTO_UDP; break;
	case BAD_TCP: ip->next_proto_id = IPPROTO_TCP; break;
	case BAD_ETH_DST: eh->dst_addr = gw_mac; break;
	case BAD_ETHERTYPE: eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6); break;
	case BAD_ARP_HLEN:
		rte_pktmbuf_free(m);
		m = dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &dp_test_peer_mac, PEER_IP, OUR_IP);
		rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(*eh))->arp_hlen = 8;
		return m;
	case BAD_ARP_SHORT:
		rte_pktmbuf_free(m);
		m = dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &dp_test_peer_mac, PEER_IP, OUR_IP);
		rte_pktmbuf_trim(m, 1);
		return m;
	}
	refresh_ip_cksum(m);
	return m;
}

static void test_bad_packets_are_dropped_and_counted(void **state)
{
	(void)state;
	learn_peer();
	for (unsigned int i = 0; i < RTE_DIM(bad_cases); i++) {
		struct fxr_counters before = lc->ctr;

		input(bad_packet(bad_cases[i].kind));
		if (lc->tx_n != 0)
			fail_msg("bad case %u was answered", i);
		for (unsigned int c = 0; c < FXR_CTR__COUNT; c++) {
			uint64_t want = before.v[c] + (c == bad_cases[i].counter);

			/* the stages a packet passed before its drop count too */
			if (c == FXR_CTR_ipv4_rx || c == FXR_CTR_icmp_rx_echo_request)
				continue;
			if (lc->ctr.v[c] != want)
				fail_msg("bad case %u: counter %s is %lu, want %lu", i, fxr_ctr_name(c),
					(unsigned long)lc->ctr.v[c], (unsigned long)want);
		}
	}
}

static void test_pending_queue_is_bounded_and_expires(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < FXR_ARP_PENDING_MAX + 3; i++)
		input(echo(&dp_test_peer_mac, PEER_IP, OUR_IP, 8));
	assert_int_equal(lc->arp.n_pending, FXR_ARP_PENDING_MAX);
	assert_int_equal(ctr(FXR_CTR_arp_pending_queued), FXR_ARP_PENDING_MAX);
	assert_int_equal(ctr(FXR_CTR_arp_pending_drop_full), 3);
	assert_int_equal(lc->tx_n, 1);     /* one request for the one next hop */
	drain_tx();

	/* before the timeout: a retry request, nothing dropped */
	lc->now_tsc += rte_get_tsc_hz() * FXR_ARP_RETRY_MS / 1000;
	fxr_arp_timer(lc);
	assert_int_equal(lc->tx_n, 1);
	assert_int_equal(ctr(FXR_CTR_arp_pending_drop_timeout), 0);
	drain_tx();

	lc->now_tsc += rte_get_tsc_hz() * FXR_ARP_PENDING_TIMEOUT_MS / 1000;
	fxr_arp_timer(lc);
	assert_int_equal(lc->arp.n_pending, 0);
	assert_int_equal(ctr(FXR_CTR_arp_pending_drop_timeout), FXR_ARP_PENDING_MAX);
}

static void test_arp_cache_is_bounded(void **state)
{
	unsigned int occupied = 0;
	const unsigned int n = 600;

	(void)state;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_ether_addr mac = dp_test_peer_mac;
		uint32_t ip = htonl(0x0ac80400u + i);   /* 10.200.4.0 + i: on-link, not ours */

		mac.addr_bytes[5] = (uint8_t)i;
		input(dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &mac, ip, OUR_IP));
		drain_tx();
		lc->now_tsc++;
	}
	for (unsigned int s = 0; s < FXR_ARP_SETS; s++)
		for (unsigned int w = 0; w < FXR_ARP_WAYS; w++)
			occupied += lc->arp.set[s][w].ip != 0;
	assert_int_equal(ctr(FXR_CTR_arp_cache_insert), n);
	assert_true(occupied <= FXR_ARP_SETS * FXR_ARP_WAYS);
	assert_int_equal(ctr(FXR_CTR_arp_cache_evict), n - occupied);
	/* the newest entry is always kept */
	assert_non_null(fxr_arp_lookup(&lc->arp, htonl(0x0ac80400u + n - 1), lc->now_tsc));
}

static void test_stale_entry_is_resolved_again(void **state)
{
	(void)state;
	learn_peer();
	lc->now_tsc += rte_get_tsc_hz() * FXR_ARP_ENTRY_TTL_S;
	assert_null(fxr_arp_lookup(&lc->arp, PEER_IP, lc->now_tsc));
	input(echo(&dp_test_peer_mac, PEER_IP, OUR_IP, 8));
	assert_int_equal(lc->tx_n, 1);
	assert_int_equal(ctr(FXR_CTR_arp_pending_queued), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_request_for_us_gets_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_request_for_another_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_announce_is_gratuitous_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_from_known_neighbour_is_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_padding_is_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_from_unknown_neighbour_waits_for_arp, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_off_link_source_goes_via_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_packets_are_dropped_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_queue_is_bounded_and_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_cache_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_entry_is_resolved_again, setup, teardown),
	};
	int rc;

	pool = dp_test_eal_start("test_dp_stack", POOL_SIZE, 0);
	lc = rte_zmalloc("fxr_ut_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE);
	if (pool == NULL || lc == NULL) {
		fprintf(stderr, "test_dp_stack: no memory\n");
		return 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.ip = dp_test_addr("10.200.2.2");
	cfg.plen = 16;
	cfg.netmask = htonl(0xffff0000u);
	cfg.gw = dp_test_addr("10.200.0.1");
	cfg.tx_flush_us = 100;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_free(lc);
	dp_test_eal_stop(pool);
	return rc;
}
