/* idmap.h: see idmap-t.h. Single-threaded: one map belongs to the control plane's loop. */
#ifndef FXR_IDMAP_H
#define FXR_IDMAP_H

#include <stddef.h>

#include "idmap-t.h"

/* Allocates room for at least max_entries at a load factor of at most 1/2. Returns 0 or
 * -ENOMEM / -EINVAL (max_entries 0 or over 2^30). */
int fxr_idmap_u64_init(struct fxr_idmap_u64 *m, uint32_t max_entries, uint64_t seed);
void fxr_idmap_u64_fini(struct fxr_idmap_u64 *m);
/* Returns the index for key, or FXR_IDMAP_NONE. */
uint32_t fxr_idmap_u64_get(const struct fxr_idmap_u64 *m, uint64_t key);
/* Inserts key -> val. Returns 0, -EEXIST, or -ENOSPC when the map holds max_entries. */
int fxr_idmap_u64_put(struct fxr_idmap_u64 *m, uint64_t key, uint32_t val);
/* Removes key. Returns 0 or -ENOENT. */
int fxr_idmap_u64_del(struct fxr_idmap_u64 *m, uint64_t key);

int fxr_idmap_str_init(struct fxr_idmap_str *m, uint32_t max_entries, uint64_t seed,
		       const uint8_t *(*key_of)(const void *ctx, uint32_t val, uint8_t *len),
		       const void *ctx);
void fxr_idmap_str_fini(struct fxr_idmap_str *m);
uint32_t fxr_idmap_str_get(const struct fxr_idmap_str *m, const uint8_t *key, uint8_t len);
/* Inserts the entry val, whose key key_of() must already return. 0, -EEXIST or -ENOSPC. */
int fxr_idmap_str_put(struct fxr_idmap_str *m, uint32_t val);
int fxr_idmap_str_del(struct fxr_idmap_str *m, const uint8_t *key, uint8_t len);

#endif
