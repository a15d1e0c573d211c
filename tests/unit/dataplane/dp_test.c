/* Scaffolding shared by the dataplane's unit tests; see dp_test.h. */
#include <arpa/inet.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "arp.h"
#include "dp_test.h"

const struct rte_ether_addr dp_test_our_mac = { { 0x02, 0, 0, 0, 0, 0x02 } };
const struct rte_ether_addr dp_test_peer_mac = { { 0x02, 0, 0, 0, 0, 0x01 } };
const struct rte_ether_addr dp_test_bcast_mac = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

/* EAL keeps pointers into its arguments: they live as long as the program. */
static char prefix[64];
static char runtime_dir[PATH_MAX];
static struct rte_mempool *test_pool;

uint32_t dp_test_addr(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

struct rte_mempool *dp_test_eal_start(const char *name, unsigned int n, uint16_t priv_size)
{
	static char *eal_args[] = {
		NULL, "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "error", "--file-prefix", prefix,
	};
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *pool;

	eal_args[0] = (char *)name;
	snprintf(prefix, sizeof(prefix), "fxr-ut-%s-%d", name, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal_args), eal_args) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed\n", name);
		return NULL;
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	snprintf(pool_name, sizeof(pool_name), "%s", name);
	pool = rte_pktmbuf_pool_create(pool_name, n, 0, priv_size, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (pool == NULL)
		fprintf(stderr, "%s: no mbuf pool of %u\n", name, n);
	test_pool = pool;
	return pool;
}

struct rte_mbuf *dp_test_frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
	uint16_t ethertype, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
	struct rte_ether_hdr *eh;

	assert_non_null(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + len));
	assert_non_null(eh);
	memset(eh, 0, sizeof(*eh) + len);
	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(ethertype);
	return m;
}

struct rte_mbuf *dp_test_arp(uint16_t op, const struct rte_ether_addr *eth_dst,
	const struct rte_ether_addr *sha, uint32_t spa, uint32_t tpa)
{
	struct rte_mbuf *m = dp_test_frame(eth_dst, sha, RTE_ETHER_TYPE_ARP,
		sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *,
		sizeof(struct rte_ether_hdr));

	fxr_arp_fill(ah, op, sha, spa, tpa);
	return m;
}

struct rte_mbuf *dp_test_tcp_segment(const struct dp_test_tcp *s)
{
	unsigned int tcp_len = sizeof(struct rte_tcp_hdr) + s->optlen + s->len;
	struct rte_mbuf *m = dp_test_frame(&dp_test_our_mac, &dp_test_peer_mac,
		RTE_ETHER_TYPE_IPV4, (uint16_t)(sizeof(struct rte_ipv4_hdr) + tcp_len));
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
		sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + tcp_len));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = s->saddr;
	ip->dst_addr = s->daddr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(s->sport);
	th->dst_port = rte_cpu_to_be_16(s->dport);
	th->sent_seq = rte_cpu_to_be_32(s->seq);
	th->recv_ack = rte_cpu_to_be_32(s->ack);
	th->data_off = (uint8_t)(((sizeof(*th) + s->optlen) / 4) << 4);
	th->tcp_flags = s->flags;
	th->rx_win = rte_cpu_to_be_16(s->win);
	if (s->optlen)
		memcpy(th + 1, s->opts, s->optlen);
	if (s->len)
		memcpy((uint8_t *)(th + 1) + s->optlen, s->data, s->len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

void dp_test_eal_stop(struct rte_mempool *pool)
{
	rte_mempool_free(pool);
	rte_eal_cleanup();
	rmdir(runtime_dir);
}
