/* dataplane/fault.h: the seeded fault injector (DESIGN.md §6): drop, duplicate, reorder,
 * delay and corrupt packets in one direction, for tests. Owned by one lcore. */
#ifndef FXR_DP_FAULT_H
#define FXR_DP_FAULT_H

#include <stdint.h>

#include "counters-t.h"
#include "fault-t.h"

struct rte_mempool;

/* Initialises *f from spec for direction dir. tsc_hz converts the spec's microseconds.
 * The same seed and the same packet sequence give the same faults. */
void fxr_fault_init(struct fxr_fault *f, const struct fxr_fault_spec *spec,
	enum fxr_fault_dir dir, uint64_t tsc_hz);

/* Applies faults to pkts[0..n) in place and appends held packets that are due. pkts has room
 * for cap >= n entries. Dropped packets are freed; duplicates are deep copies from mp (a copy
 * that cannot be allocated is skipped); corruption flips one byte of the packet's data.
 * Counts each action in ctr. The caller owns every mbuf in pkts[0..return) afterwards; held
 * packets stay owned by *f until released or fxr_fault_flush().
 * Returns the new number of packets in pkts. Call it with n = 0 on idle polls so delayed
 * packets come out. */
uint16_t fxr_fault_apply_burst(struct fxr_fault *f, struct fxr_counters *ctr,
	struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t n, uint16_t cap, uint64_t now_tsc);

/* Frees every held packet (at shutdown). */
void fxr_fault_flush(struct fxr_fault *f);

#endif
