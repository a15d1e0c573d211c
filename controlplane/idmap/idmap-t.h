/* idmap-t.h: fixed-capacity open-addressing maps from a key to a 32-bit index.
 * Capacity is fixed at init (bounded memory); linear probing with backward-shift deletion,
 * so there are no tombstones and lookups stay short however many deletes happen. */
#ifndef FXR_IDMAP_T_H
#define FXR_IDMAP_T_H

#include <stdint.h>

#define FXR_IDMAP_NONE UINT32_MAX

struct fxr_idmap_u64_slot {
	uint64_t key;
	uint32_t val; /* FXR_IDMAP_NONE: empty */
};

/* u64 key (a connection id) -> index. */
struct fxr_idmap_u64 {
	struct fxr_idmap_u64_slot *slots;
	uint32_t mask;  /* slot count - 1 (a power of two) */
	uint32_t count;
	uint64_t seed;
};

/* Byte-string key (a device id) -> index. The map stores only indices: the caller owns the
 * keys and lends them through key_of(ctx, index) for comparison. */
struct fxr_idmap_str {
	uint32_t *vals; /* FXR_IDMAP_NONE: empty */
	uint32_t *hashes;
	uint32_t mask;
	uint32_t count;
	uint64_t seed;
	const uint8_t *(*key_of)(const void *ctx, uint32_t val, uint8_t *len);
	const void *ctx;
};

#endif
