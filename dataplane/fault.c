/* dataplane/fault.c: the seeded fault injector (DESIGN.md §6), after smoltcp's FaultInjector
 * and VPP's tamper tests: a test feature, off unless --fault is given. */
#include <assert.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "counters.h"
#include "fault.h"

#include "fxr/compiler.h"

enum {
	FAULT_DROP = 0,
	FAULT_DUP,
	FAULT_REORDER,
	FAULT_DELAY,
	FAULT_CORRUPT,
	FAULT_QUEUE_FULL,
	FAULT__ACTIONS
};

/* counters.def lists each direction's actions in this order, rx then tx */
static_assert(FXR_CTR_fault_rx_dup == FXR_CTR_fault_rx_drop + FAULT_DUP, "counters.def order");
static_assert(FXR_CTR_fault_rx_reorder == FXR_CTR_fault_rx_drop + FAULT_REORDER, "counters.def order");
static_assert(FXR_CTR_fault_rx_delay == FXR_CTR_fault_rx_drop + FAULT_DELAY, "counters.def order");
static_assert(FXR_CTR_fault_rx_corrupt == FXR_CTR_fault_rx_drop + FAULT_CORRUPT, "counters.def order");
static_assert(FXR_CTR_fault_rx_queue_full == FXR_CTR_fault_rx_drop + FAULT_QUEUE_FULL, "counters.def order");
static_assert(FXR_CTR_fault_tx_drop == FXR_CTR_fault_rx_drop + FAULT__ACTIONS, "counters.def order");
static_assert(FXR_CTR_fault_tx_queue_full == FXR_CTR_fault_tx_drop + FAULT_QUEUE_FULL, "counters.def order");

/* splitmix64: spreads a small seed over the whole state */
static uint64_t seed_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: cheap, and reproducible across runs for one seed */
static inline uint64_t rng_next(struct fxr_fault *f)
{
	uint64_t x = f->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* True with the probability thr / 2^32. A zero threshold costs no draw, so enabling one
 * action does not change the faults another seed-for-seed produces. */
static inline int roll(struct fxr_fault *f, uint64_t thr)
{
	return thr != 0 && (rng_next(f) >> 32) < thr;
}

static uint64_t threshold(double p)
{
	return (uint64_t)(p * 4294967296.0);
}

void fxr_fault_init(struct fxr_fault *f, const struct fxr_fault_spec *spec,
	enum fxr_fault_dir dir, uint64_t tsc_hz)
{
	memset(f, 0, sizeof(*f));
	f->drop_thr = threshold(spec->drop);
	f->dup_thr = threshold(spec->dup);
	f->reorder_thr = threshold(spec->reorder);
	f->delay_thr = threshold(spec->delay);
	f->corrupt_thr = threshold(spec->corrupt);
	f->delay_tsc = tsc_hz * spec->delay_us / 1000000;
	f->reorder_tsc = tsc_hz * FXR_FAULT_REORDER_MAX_US / 1000000;
	f->rng = seed_mix(spec->seed) | 1;
	f->ctr_base = dir == FXR_FAULT_RX ? FXR_CTR_fault_rx_drop : FXR_CTR_fault_tx_drop;
}

static inline void count(struct fxr_fault *f, struct fxr_counters *ctr, int action)
{
	ctr->v[f->ctr_base + action]++;
}

/* Flips one bit of one byte of the first segment: enough to break a checksum. */
static void corrupt(struct fxr_fault *f, struct rte_mbuf *m)
{
	uint16_t len = rte_pktmbuf_data_len(m);
	uint64_t r = rng_next(f);

	if (len != 0)
		rte_pktmbuf_mtod(m, uint8_t *)[(r >> 32) % len] ^= (uint8_t)(1u << (r & 7));
}

static int hold(struct fxr_fault *f, struct rte_mbuf *m, uint64_t due_tsc, int reorder)
{
	if (f->n_held == FXR_FAULT_HELD_MAX)
		return 0;
	f->held[f->n_held++] = (struct fxr_fault_held){
		.m = m, .due_tsc = due_tsc, .reorder = (uint8_t)reorder,
	};
	return 1;
}

/* Moves held packets that are due (all reordered ones when a later packet has just passed)
 * to pkts[*out..), leaving room for `reserve` more, oldest first. */
static void release(struct fxr_fault *f, struct rte_mbuf **pkts, uint16_t *out, uint16_t cap,
	uint16_t reserve, int passed, uint64_t now_tsc)
{
	uint16_t keep = 0;

	for (uint16_t i = 0; i < f->n_held; i++) {
		struct fxr_fault_held *h = &f->held[i];
		int due = now_tsc >= h->due_tsc || (passed && h->reorder);

		if (due && *out + reserve < cap)
			pkts[(*out)++] = h->m;
		else
			f->held[keep++] = *h;
	}
	f->n_held = keep;
}

uint16_t fxr_fault_apply_burst(struct fxr_fault *f, struct fxr_counters *ctr,
	struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t n, uint16_t cap, uint64_t now_tsc)
{
	struct rte_mbuf *in[FXR_FAULT_BURST_MAX];
	uint16_t out = 0;

	FXR_BUG_ON(n > FXR_FAULT_BURST_MAX || n > cap);
	memcpy(in, pkts, n * sizeof(in[0]));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i];
		uint16_t remaining = (uint16_t)(n - i - 1);
		int dup, held = 0;

		if (roll(f, f->drop_thr)) {
			count(f, ctr, FAULT_DROP);
			rte_pktmbuf_free(m);
			continue;
		}
		if (roll(f, f->corrupt_thr)) {
			count(f, ctr, FAULT_CORRUPT);
			corrupt(f, m);
		}
		dup = roll(f, f->dup_thr);
		if (roll(f, f->reorder_thr)) {
			held = hold(f, m, now_tsc + f->reorder_tsc, 1);
			count(f, ctr, held ? FAULT_REORDER : FAULT_QUEUE_FULL);
		} else if (roll(f, f->delay_thr)) {
			held = hold(f, m, now_tsc + f->delay_tsc, 0);
			count(f, ctr, held ? FAULT_DELAY : FAULT_QUEUE_FULL);
		}
		if (!held) {
			pkts[out++] = m;
			if (f->n_held != 0)
				release(f, pkts, &out, cap, remaining, 1, now_tsc);
		}
		if (dup && out + remaining < cap) {
			struct rte_mbuf *copy = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);

			if (copy != NULL) {
				pkts[out++] = copy;
				count(f, ctr, FAULT_DUP);
			} else {
				ctr->v[FXR_CTR_mbuf_alloc_fail]++;
			}
		}
	}
	if (f->n_held != 0)
		release(f, pkts, &out, cap, 0, 0, now_tsc);
	return out;
}

void fxr_fault_flush(struct fxr_fault *f)
{
	for (uint16_t i = 0; i < f->n_held; i++)
		rte_pktmbuf_free(f->held[i].m);
	f->n_held = 0;
}
