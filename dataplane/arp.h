/* dataplane/arp.h: ARP (RFC 826) for our one IPv4 address: replies, a bounded cache, a
 * bounded queue of packets awaiting resolution, and a gratuitous announcement at start.
 * Every function is for the owning lcore only. */
#ifndef FXR_DP_ARP_H
#define FXR_DP_ARP_H

#include <stdint.h>

#include "arp-t.h"
#include "lcore-t.h"

struct rte_arp_hdr;
struct rte_ether_addr;
struct rte_mbuf;

/* Empties *a; tsc_hz converts the timeouts. */
void fxr_arp_init(struct fxr_arp *a, uint64_t tsc_hz);

/* Frees every queued packet. */
void fxr_arp_fini(struct fxr_arp *a);

/* Writes an Ethernet/IPv4 ARP header of opcode op (host order) with sender sha/spa and
 * target address tpa (network order; the target hardware address is left as it is). Any
 * thread (it touches only *ah). */
void fxr_arp_fill(struct rte_arp_hdr *ah, uint16_t op, const struct rte_ether_addr *sha,
	uint32_t spa, uint32_t tpa);

/* Handles an ARP frame (m->l2_len set); consumes m (replied to in place, or freed). */
void fxr_arp_input(struct fxr_lcore *lc, struct rte_mbuf *m);

/* Learns from a copy of an ARP frame another lcore received (xlcore.h) without answering
 * it: every lcore's cache sees every reply. Consumes m. */
void fxr_arp_learn_shared(struct fxr_lcore *lc, struct rte_mbuf *m);

/* Sends m, an Ethernet frame whose payload is ready, to the on-link neighbour nexthop
 * (network byte order): fills both MAC addresses and queues it for TX when the neighbour is
 * known, otherwise queues it until the neighbour answers an ARP request. Consumes m. */
void fxr_arp_output(struct fxr_lcore *lc, struct rte_mbuf *m, uint32_t nexthop);

/* Broadcasts a gratuitous ARP request for our address (RFC 5227 §3 announcement), so that
 * neighbours refresh stale entries. Returns 0, or -ENOMEM when no mbuf is free. */
int fxr_arp_announce(struct fxr_lcore *lc);

/* Slow timer (every few ms): drops queued packets whose resolution timed out and repeats
 * requests for the ones still waiting. */
void fxr_arp_timer(struct fxr_lcore *lc);

/* Returns the cache entry for ip (network byte order) when it is present and fresh at now,
 * or NULL. */
const struct fxr_arp_entry *fxr_arp_lookup(const struct fxr_arp *a, uint32_t ip, uint64_t now);

#endif
