/* dataplane/loop.c: the run-to-completion loop of one lcore: RX burst, fault injection,
 * classification and handlers, TX buffer flushed on a TSC deadline, slow timers, and an idle
 * back-off so that a shared core is not eaten by empty polls (DESIGN.md §6). */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "arp.h"
#include "counters.h"
#include "dpchan.h"
#include "eth.h"
#include "fault.h"
#include "loop.h"
#include "relay.h"
#include "tcp.h"
#include "xlcore.h"

/* Slow timers (ARP expiry and retries) run this often. */
#define TIMER_PERIOD_US 10000
/* Tries to hand a TX burst to a full ring before the rest is dropped. */
#define TX_RETRIES 4

static int loop_quit;

void fxr_loop_stop(void)
{
	__atomic_store_n(&loop_quit, 1, __ATOMIC_RELAXED);
}

int fxr_lcore_init(struct fxr_lcore *lc, const struct fxr_dp_config *cfg, unsigned int lcore_id,
	uint16_t port_id, uint16_t queue_id, struct rte_mempool *mp,
	const struct rte_ether_addr *mac, bool tx_ip_cksum_offload)
{
	uint64_t hz = rte_get_tsc_hz();

	memset(lc, 0, sizeof(*lc));
	lc->port_id = port_id;
	lc->queue_id = queue_id;
	lc->lcore_id = lcore_id;
	lc->busy_poll = cfg->busy_poll;
	lc->tx_ip_cksum_offload = tx_ip_cksum_offload;
	lc->sleep_us = FXR_IDLE_SLEEP_MIN_US;
	lc->tx_flush_tsc = hz * cfg->tx_flush_us / 1000000;
	lc->mp = mp;
	lc->ip = cfg->ip;
	lc->netmask = cfg->netmask;
	/* RFC 3021: a /31 has no broadcast address, and a /32 none either */
	lc->bcast = cfg->plen < 31 ? (cfg->ip | ~cfg->netmask) : 0;
	lc->gw = cfg->gw;
	lc->mac = *mac;
	lc->cfg = cfg;
	fxr_arp_init(&lc->arp, hz);
	for (int d = 0; d < FXR_FAULT__DIRS; d++) {
		if (!cfg->fault[d].enabled)
			continue;
		/* each lcore draws its own sequence from the one seed */
		struct fxr_fault_spec spec = cfg->fault[d];

		spec.seed += queue_id;
		fxr_fault_init(&lc->fault[d], &spec, (enum fxr_fault_dir)d, hz);
	}
	lc->fault_rx = cfg->fault[FXR_FAULT_RX].enabled ? &lc->fault[FXR_FAULT_RX] : NULL;
	lc->fault_tx = cfg->fault[FXR_FAULT_TX].enabled ? &lc->fault[FXR_FAULT_TX] : NULL;
	return 0;
}

void fxr_lcore_fini(struct fxr_lcore *lc)
{
	rte_pktmbuf_free_bulk(lc->tx, lc->tx_n);
	lc->tx_n = 0;
	fxr_arp_fini(&lc->arp);
	for (int d = 0; d < FXR_FAULT__DIRS; d++)
		fxr_fault_flush(&lc->fault[d]);
	fxr_counters_publish(&lc->published, &lc->ctr);
}

void fxr_tx_flush(struct fxr_lcore *lc)
{
	struct rte_mbuf *pkts[2 * FXR_TX_BUF + FXR_FAULT_HELD_MAX];
	struct rte_mbuf **burst = lc->tx;
	uint16_t n = lc->tx_n;
	uint16_t sent = 0;

	if (lc->fault_tx != NULL) {
		memcpy(pkts, lc->tx, n * sizeof(pkts[0]));
		n = fxr_fault_apply_burst(lc->fault_tx, &lc->ctr, lc->mp, pkts, n,
			RTE_DIM(pkts), lc->now_tsc);
		burst = pkts;
	}
	lc->tx_n = 0;
	for (int tries = 0; sent < n && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(lc->port_id, lc->queue_id, burst + sent, n - sent);
	if (unlikely(sent < n)) {
		FXR_CTR_ADD(lc, tx_drop_full, n - sent);
		rte_pktmbuf_free_bulk(burst + sent, n - sent);
	}
	FXR_CTR_ADD(lc, tx_packets, sent);
}

/* Sleeps after too many empty polls, twice as long each time up to the maximum; the first
 * packet resets it. The TX buffer is sent first so that nothing waits out a sleep. */
static void idle_backoff(struct fxr_lcore *lc)
{
	if (lc->tx_n != 0)
		fxr_tx_flush(lc);
	fxr_counters_publish(&lc->published, &lc->ctr);
	rte_delay_us_sleep(lc->sleep_us);
	FXR_CTR_INC(lc, idle_sleeps);
	if (lc->sleep_us < FXR_IDLE_SLEEP_MAX_US)
		lc->sleep_us *= 2;
}

int fxr_loop_run(void *arg)
{
	struct fxr_lcore *const *table = arg;
	struct fxr_lcore *lc = table[rte_lcore_id()];
	struct rte_mbuf *pkts[2 * FXR_RX_BURST + FXR_FAULT_HELD_MAX];
	const uint64_t timer_tsc = rte_get_tsc_hz() * TIMER_PERIOD_US / 1000000;

	if (lc == NULL)
		return 0;
	lc->now_tsc = rte_rdtsc();
	lc->next_timer_tsc = lc->now_tsc + timer_tsc;
	if (lc->queue_id == 0)
		fxr_arp_announce(lc);

	while (!__atomic_load_n(&loop_quit, __ATOMIC_RELAXED)) {
		bool chan_work = false;     /* mail or channel messages moved */
		uint16_t n;

		lc->now_tsc = rte_rdtsc();
		if (lc->tcp != NULL)
			fxr_tcp_timers(lc);
		/* mail from the other lcores first (steered segments, ARP, relay messages): a
		 * segment another lcore took earlier goes in before the ones our queue has now */
		if (lc->xl != NULL && fxr_xlcore_poll(lc) != 0) {
			lc->empty_polls = 0;
			lc->sleep_us = FXR_IDLE_SLEEP_MIN_US;
			chan_work = true;
		}
		n = rte_eth_rx_burst(lc->port_id, lc->queue_id, pkts, FXR_RX_BURST);
		if (lc->fault_rx != NULL)
			n = fxr_fault_apply_burst(lc->fault_rx, &lc->ctr, lc->mp, pkts, n,
				RTE_DIM(pkts), lc->now_tsc);
		if (n != 0) {
			lc->empty_polls = 0;
			lc->sleep_us = FXR_IDLE_SLEEP_MIN_US;
			FXR_CTR_ADD(lc, rx_packets, n);
			FXR_CTR_INC(lc, rx_bursts);
			fxr_eth_input_burst(lc, pkts, n);
			if (lc->tcp != NULL)
				fxr_tcp_flush(lc);
			/* before TX, so that whoever sees our answer sees its counters too */
			fxr_counters_publish(&lc->published, &lc->ctr);
		} else {
			lc->empty_polls++;
		}

		/* the plane channel: a message moved counts as work for the idle back-off */
		if (lc->chan != NULL) {
			unsigned work = fxr_dpchan_poll(lc) + fxr_relay_timers(lc);

			if (work != 0) {
				lc->empty_polls = 0;
				lc->sleep_us = FXR_IDLE_SLEEP_MIN_US;
				chan_work = true;
			}
		}
		/* what the timers, the mail and the channel's messages queued */
		if (lc->tcp != NULL)
			fxr_tcp_flush(lc);

		if ((lc->tx_n != 0 && lc->now_tsc >= lc->tx_deadline_tsc)
			|| (lc->fault_tx != NULL && lc->fault_tx->n_held != 0))
			fxr_tx_flush(lc);
		if (unlikely(lc->now_tsc >= lc->next_timer_tsc)) {
			fxr_arp_timer(lc);
			lc->next_timer_tsc = lc->now_tsc + timer_tsc;
			fxr_counters_publish(&lc->published, &lc->ctr);
		}
		if (n != 0 || chan_work) {
			FXR_CTR_INC(lc, busy_iterations);
			FXR_CTR_ADD(lc, busy_cycles, rte_rdtsc() - lc->now_tsc);
		} else if (!lc->busy_poll && lc->empty_polls >= FXR_IDLE_POLLS_BEFORE_SLEEP) {
			idle_backoff(lc);
		}
	}
	lc->now_tsc = rte_rdtsc();
	if (lc->tx_n != 0)
		fxr_tx_flush(lc);
	fxr_counters_publish(&lc->published, &lc->ctr);
	return 0;
}
