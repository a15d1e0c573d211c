/* throttle-t.h: login-failure throttling (issue 4 item 4), types only.
 *
 * One table per kind of key (source address, device id). Each failed login counts against
 * its key; past free_failures in a row, the key is blocked for base_block_ms, doubling with
 * every further failure up to max_block_ms. A success clears the key; a key quiet for
 * forget_ms is forgotten. The table has a fixed capacity: when full, the entry failed least
 * recently is evicted (and counted). */
#ifndef FXR_THROTTLE_T_H
#define FXR_THROTTLE_T_H

#include <stdint.h>

#include "idmap-t.h"

#define FXR_THROTTLE_KEY_MAX 64

struct fxr_throttle_cfg {
	uint32_t max_entries;
	uint16_t free_failures;  /* failures in a row before the first block (default 5) */
	uint32_t base_block_ms;  /* first block (default 1 s) */
	uint32_t max_block_ms;   /* cap (default 15 min) */
	uint32_t forget_ms;      /* quiet time after which failures are forgotten (10 min) */
};

/* X(name, help) */
#define FXR_THROTTLE_COUNTER_LIST(X)                                                  \
	X(failures, "failed logins recorded")                                         \
	X(blocks, "blocks started")                                                   \
	X(refused, "attempts refused while blocked")                                  \
	X(evictions, "entries evicted because the table was full")                    \
	X(forgotten, "entries forgotten after their quiet time")

struct fxr_throttle_counters {
#define FXR_THROTTLE_COUNTER_FIELD(name, help) uint64_t name;
	FXR_THROTTLE_COUNTER_LIST(FXR_THROTTLE_COUNTER_FIELD)
#undef FXR_THROTTLE_COUNTER_FIELD
};

struct fxr_throttle_entry {
	uint8_t key[FXR_THROTTLE_KEY_MAX];
	uint8_t key_len;          /* 0: free */
	uint8_t pad_;
	uint16_t fails;           /* in a row */
	uint32_t lru_prev;        /* by last failure, most recent at the tail */
	uint32_t lru_next;        /* also the free list */
	uint64_t last_fail_ms;
	uint64_t blocked_until_ms;
};

struct fxr_throttle {
	struct fxr_throttle_cfg cfg;
	struct fxr_throttle_entry *e;
	struct fxr_idmap_str map;
	uint32_t lru_head, lru_tail, free;
	uint32_t count;
	struct fxr_throttle_counters ctr;
};

#endif
