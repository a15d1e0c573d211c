/* dp_test.h: what the dataplane's unit tests share: EAL without hugepages, PCI or telemetry
 * on one lcore under a private file prefix, an mbuf pool with no per-lcore cache (so the
 * free count is exact after every test), and the test network's addresses. */
#ifndef FXR_DP_TEST_H
#define FXR_DP_TEST_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

/* The test network: us and the peer on one link, the broadcast address. */
extern const struct rte_ether_addr dp_test_our_mac;
extern const struct rte_ether_addr dp_test_peer_mac;
extern const struct rte_ether_addr dp_test_bcast_mac;

/* "a.b.c.d" in network byte order; a test fails on anything else. */
uint32_t dp_test_addr(const char *s);

/* Starts EAL for the test program name and creates its pool of n mbufs with priv_size bytes
 * of private area each. Returns the pool, or NULL after saying why on stderr. */
struct rte_mempool *dp_test_eal_start(const char *name, unsigned int n, uint16_t priv_size);

/* An Ethernet frame of len zeroed payload bytes, from the pool dp_test_eal_start() made. */
struct rte_mbuf *dp_test_frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
	uint16_t ethertype, uint16_t len);

/* An ARP packet (RFC 826, Ethernet/IPv4): opcode op, sent by sha/spa, asking for or
 * answering about tpa; the target hardware address is zero. */
struct rte_mbuf *dp_test_arp(uint16_t op, const struct rte_ether_addr *eth_dst,
	const struct rte_ether_addr *sha, uint32_t spa, uint32_t tpa);

/* A TCP segment (RFC 9293) in IPv4 (DF, TTL 64) in Ethernet from the peer's MAC to ours,
 * both checksums right. Addresses in network byte order, ports in host byte order; opts
 * (optlen a multiple of 4) and data are copied in. */
struct dp_test_tcp {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	const uint8_t *opts;
	unsigned int optlen;
	const uint8_t *data;
	unsigned int len;
};
struct rte_mbuf *dp_test_tcp_segment(const struct dp_test_tcp *s);

/* Frees the pool and EAL, and removes the runtime folder EAL leaves behind. */
void dp_test_eal_stop(struct rte_mempool *pool);

#endif
