/* dataplane/loop.h: the per-lcore run-to-completion loop and its TX buffer. */
#ifndef FXR_DP_LOOP_H
#define FXR_DP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "lcore-t.h"

/* Fills *lc for one lcore serving queue queue_id of port_id (RX and TX queue with the same
 * id), with packets from mp. Main thread, before launch. Returns 0. */
int fxr_lcore_init(struct fxr_lcore *lc, const struct fxr_dp_config *cfg, unsigned int lcore_id,
	uint16_t port_id, uint16_t queue_id, struct rte_mempool *mp,
	const struct rte_ether_addr *mac, bool tx_ip_cksum_offload);

/* Frees every mbuf *lc still holds (TX buffer, ARP pending queue, fault queues). Main thread,
 * after the lcore has returned from fxr_loop_run(). */
void fxr_lcore_fini(struct fxr_lcore *lc);

/* lcore_function_t for rte_eal_mp_remote_launch(): arg is a table struct fxr_lcore
 * *[RTE_MAX_LCORE] indexed by lcore id; an lcore with a NULL entry returns at once. Runs until
 * fxr_loop_stop(), then flushes its TX buffer and publishes its counters. Returns 0. */
int fxr_loop_run(void *arg);

/* Asks every loop to return. Async-signal-safe. */
void fxr_loop_stop(void);

/* Sends the TX buffer (through the tx fault injector when there is one) and frees what the
 * port would not take after a few tries, counting it. Owning lcore only. */
void fxr_tx_flush(struct fxr_lcore *lc);

/* Queues m for transmission; the caller gives up m. The buffer is sent when full or when the
 * first queued packet has waited cfg->tx_flush_us. Owning lcore only. */
static inline void fxr_tx_enqueue(struct fxr_lcore *lc, struct rte_mbuf *m)
{
	if (lc->tx_n == 0)
		lc->tx_deadline_tsc = lc->now_tsc + lc->tx_flush_tsc;
	lc->tx[lc->tx_n++] = m;
	if (unlikely(lc->tx_n == FXR_TX_BUF))
		fxr_tx_flush(lc);
}

#endif
