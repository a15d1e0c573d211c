/* dataplane/lcore-t.h: the per-lcore state of the run-to-completion loop (STYLE.md "The hot
 * path"): one cache-aligned struct per lcore, fetched once at the top of the loop, written
 * only by its lcore. Fields are grouped by how often the loop touches them. */
#ifndef FXR_DP_LCORE_T_H
#define FXR_DP_LCORE_T_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "arp-t.h"
#include "config-t.h"
#include "counters-t.h"
#include "fault-t.h"

struct rte_mbuf;
struct rte_mempool;
struct fxr_tcp_stack;
struct fxr_dpchan;
struct fxr_relay;
struct fxr_steer;
struct fxr_xlcore;

#define FXR_RX_BURST 32
#define FXR_TX_BUF   64
/* Empty polls in a row before the loop starts sleeping, and the sleep's bounds. */
#define FXR_IDLE_POLLS_BEFORE_SLEEP 256
#define FXR_IDLE_SLEEP_MIN_US 8
#define FXR_IDLE_SLEEP_MAX_US 1024

struct fxr_lcore {
	/* line: read every iteration */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t tx_n;              /* packets in tx[] */
	bool busy_poll;
	bool tx_ip_cksum_offload;   /* the port computes IPv4 header checksums */
	uint32_t empty_polls;       /* empty rx bursts in a row */
	uint32_t sleep_us;          /* next idle sleep */
	uint64_t tx_deadline_tsc;   /* flush tx[] by then; meaningful when tx_n > 0 */
	uint64_t tx_flush_tsc;      /* the deadline's distance from the first queued packet */
	uint64_t next_timer_tsc;    /* next run of the slow timers (ARP expiry) */
	uint64_t now_tsc;           /* the TSC read at the top of this iteration */
	struct rte_mempool *mp;
	struct fxr_fault *fault_rx; /* NULL: no rx faults */
	struct fxr_fault *fault_tx; /* NULL: no tx faults */
	struct fxr_tcp_stack *tcp;  /* the userspace TCP stack (tcp/tcp.h); NULL: none */
	struct fxr_dpchan *chan;    /* this lcore's lane of the plane channel (dpchan.h); NULL: none */
	struct fxr_relay *relay;    /* the relay application (relay.h); NULL: none */
	struct fxr_xlcore *xl;      /* mail to the other lcores (xlcore.h); NULL: one lcore */
	const struct fxr_steer *steer; /* which lcore owns a flow (steer.h) */

	/* line: identity, read per packet */
	uint32_t ip;                /* network byte order */
	uint32_t netmask;
	uint32_t bcast;             /* directed broadcast of the prefix; 0: none (/31, /32) */
	uint32_t gw;                /* 0: none */
	struct rte_ether_addr mac;
	unsigned int lcore_id;
	const struct fxr_dp_config *cfg;

	struct rte_mbuf *tx[FXR_TX_BUF] __rte_cache_aligned;

	/* written by this lcore per packet; published once per burst */
	struct fxr_counters ctr __rte_cache_aligned;
	/* read by the telemetry thread and the exit dump (see fxr_counters_publish) */
	struct fxr_counters published __rte_cache_aligned;

	struct fxr_arp arp __rte_cache_aligned;
	struct fxr_fault fault[FXR_FAULT__DIRS];
} __rte_cache_aligned;

#endif
