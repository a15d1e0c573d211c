/* dataplane/arp-t.h: the per-lcore ARP cache and queue of packets awaiting resolution. */
#ifndef FXR_DP_ARP_T_H
#define FXR_DP_ARP_T_H

#include <stdint.h>

#include <rte_ether.h>

struct rte_mbuf;

/* Cache: ARP_SETS sets of ARP_WAYS entries, set chosen by a hash of the address; a new
 * address evicts the entry of its set that was confirmed longest ago. Bounded by design: a
 * flood of addresses costs evictions, never memory. */
#define FXR_ARP_SETS 64
#define FXR_ARP_WAYS 4
/* An entry older than this is re-resolved before use (RFC 1122 §2.3.2.1 asks for a timeout). */
#define FXR_ARP_ENTRY_TTL_S 300
/* Packets awaiting resolution, all next hops together; beyond it new packets are dropped. */
#define FXR_ARP_PENDING_MAX 32
/* A queued packet whose next hop does not answer within this is dropped. */
#define FXR_ARP_PENDING_TIMEOUT_MS 1000
/* Requests for one unresolved next hop are sent at most this often. */
#define FXR_ARP_RETRY_MS 200

struct fxr_arp_entry {
	uint32_t ip;            /* network byte order; 0: empty */
	struct rte_ether_addr mac;
	uint64_t confirmed_tsc;
};

struct fxr_arp_pending {
	struct rte_mbuf *m;
	uint32_t nexthop;       /* network byte order */
	uint64_t queued_tsc;
};

struct fxr_arp {
	struct fxr_arp_entry set[FXR_ARP_SETS][FXR_ARP_WAYS];
	uint16_t n_pending;
	struct fxr_arp_pending pending[FXR_ARP_PENDING_MAX];
	uint32_t last_request_ip;       /* rate limit of requests for one next hop */
	uint64_t last_request_tsc;
	uint64_t ttl_tsc;
	uint64_t pending_timeout_tsc;
	uint64_t retry_tsc;
};

#endif
