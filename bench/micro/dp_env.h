/* bench/micro/dp_env.h: what the C side of the dataplane microbenchmarks shares (see
 * dp_fixture.h): EAL, an lcore with a TCP stack and its mbuf pool, the sink, and a peer that
 * speaks through built frames. Internal to bench/micro. */
#ifndef FXR_BENCH_DP_ENV_H
#define FXR_BENCH_DP_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "config-t.h"
#include "tcp-t.h"

struct fxr_lcore;
struct fxr_tcb;
struct rte_mbuf;
struct rte_mempool;

/* The batch limit of every *_prep() (dp_fixture.h). */
#define DP_BATCH_MAX 1024u
/* Segments fed between two fxr_tcp_flush() calls: the loop's RX burst. */
#define DP_BURST 32u

struct dp_env {
	struct fxr_dp_config cfg;
	struct fxr_lcore *lc;
	struct rte_mempool *mp;
	uint64_t tick_tsc;      /* 1 µs of TSC: dp_env_tick()'s step */
};

/* Records why the fixture failed (bench_dp_error()); returns -1. */
int dp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Starts EAL once per process (no hugepages, PCI, telemetry or shared config; one lcore:
 * the first CPU this thread may run on). Returns 0 or -1. */
int dp_eal_start(void);

/* Creates a pool of n mbufs (with a per-lcore cache, as the port's pool has), an lcore
 * (queue_id names its TCB hash) with our address, a TCP stack with tc, and teaches ARP the
 * peers' MAC. Returns 0 or -1 (all undone). */
int dp_env_open(struct dp_env *e, uint16_t queue_id, unsigned int n_mbufs,
	const struct fxr_tcp_cfg *tc, bool tx_cksum_offload);
/* Frees the stack, the lcore and the pool. Returns 0, or -1 when mbufs were missing from
 * the pool (a leak). */
int dp_env_close(struct dp_env *e);

/* The sink: frees what the lcore queued for transmission. Returns how many. */
unsigned int dp_env_sink(struct dp_env *e);

/* Advances the lcore's clock by 1 µs and runs the TCP timers, as each of the loop's
 * iterations does. The clock is virtual (as in the unit tests): a benchmark thread that is
 * preempted for longer than the RTO on a shared machine must not see retransmissions, or
 * the batch would measure something else (and fail its checks). */
void dp_env_tick(struct dp_env *e);

/* A peer host on the link: one TCP connection to our port dport. */
struct dp_peer {
	uint16_t sport, dport;  /* host byte order */
	uint32_t snd_nxt;       /* next sequence the peer sends */
	uint32_t rcv_nxt;       /* next sequence the peer expects from us */
	uint32_t tsval;         /* the peer's TS clock, one tick per segment */
	struct fxr_tcb *tcb;    /* our side of it */
};

/* A segment from p: flags, seq, ack, a timestamp option (TSval p->tsval++, TSecr our clock)
 * unless it is a SYN (then Linux's SYN options), len payload bytes from data (zeros when
 * NULL); rx_cksum_good marks the TCP checksum as checked by the NIC. l2_len and l3_len are
 * set, as IPv4 input leaves them. NULL when the pool is empty. */
struct rte_mbuf *dp_peer_segment(struct dp_env *e, struct dp_peer *p, uint8_t flags,
	uint32_t seq, uint32_t ack, const uint8_t *data, uint32_t len, bool rx_cksum_good);

/* Opens p's connection from port sport to our listening port dport (three-way handshake
 * through fxr_tcp_input()); p->tcb is our TCB after it, ESTABLISHED. Returns 0 or -1. */
int dp_peer_connect(struct dp_env *e, struct dp_peer *p, uint16_t sport, uint16_t dport);

/* Total of the lcore's TCP drop counters (segments the stack threw away). */
uint64_t dp_env_tcp_drops(const struct dp_env *e);

#endif
