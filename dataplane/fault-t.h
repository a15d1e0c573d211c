/* dataplane/fault-t.h: state of one direction of the seeded fault injector. */
#ifndef FXR_DP_FAULT_T_H
#define FXR_DP_FAULT_T_H

#include <stdint.h>

#include "config-t.h"
#include "counters-t.h"

struct rte_mbuf;

/* Packets held back (delayed or reordered) at most; past it a fault that would hold a
 * packet is skipped and counted as fault_<dir>_queue_full. */
#define FXR_FAULT_HELD_MAX 64
/* A reordered packet waits for a later one to pass it, but not longer than this. */
#define FXR_FAULT_REORDER_MAX_US 1000
/* Largest burst fxr_fault_apply_burst() takes. */
#define FXR_FAULT_BURST_MAX 64

struct fxr_fault_held {
	struct rte_mbuf *m;
	uint64_t due_tsc;
	uint8_t reorder;    /* 1: released as soon as a later packet has passed */
};

struct fxr_fault {
	/* thresholds on a 32-bit random draw: p * 2^32 (2^32 means always) */
	uint64_t drop_thr, dup_thr, reorder_thr, delay_thr, corrupt_thr;
	uint64_t delay_tsc;
	uint64_t reorder_tsc;
	uint64_t rng;                 /* xorshift64* state, never 0 */
	enum fxr_ctr ctr_base;        /* fault_rx_drop or fault_tx_drop; the others follow */
	uint16_t n_held;
	struct fxr_fault_held held[FXR_FAULT_HELD_MAX];
};

#endif
