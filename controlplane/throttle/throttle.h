/* throttle.h: see throttle-t.h. Single-threaded (the control plane's loop); pure: the caller
 * passes the time. */
#ifndef FXR_THROTTLE_H
#define FXR_THROTTLE_H

#include "throttle-t.h"

/* Fills cfg with the defaults for a table of max_entries. */
void fxr_throttle_cfg_defaults(struct fxr_throttle_cfg *cfg, uint32_t max_entries);

/* Returns 0, -EINVAL (a zero size or bound, base over max) or -ENOMEM. */
int fxr_throttle_init(struct fxr_throttle *t, const struct fxr_throttle_cfg *cfg, uint64_t seed);
void fxr_throttle_fini(struct fxr_throttle *t);

/* Milliseconds until key may try again (0: now). Counts a refusal when blocked. Keys longer
 * than FXR_THROTTLE_KEY_MAX are cut (callers pass addresses or device ids, both shorter). */
uint64_t fxr_throttle_check(struct fxr_throttle *t, const uint8_t *key, uint8_t len,
			    uint64_t now_ms);

/* Records a failed login for key. Returns the length of the block it starts (0: none). */
uint64_t fxr_throttle_fail(struct fxr_throttle *t, const uint8_t *key, uint8_t len,
			   uint64_t now_ms);

/* A successful login: forgets key. */
void fxr_throttle_success(struct fxr_throttle *t, const uint8_t *key, uint8_t len);

/* Forgets keys quiet for forget_ms and not blocked. Returns how many. Call it now and then
 * (each second): it stops at the first entry still fresh, so it costs what it frees. */
unsigned fxr_throttle_expire(struct fxr_throttle *t, uint64_t now_ms);

/* Calls fn for each entry (for fxrctl), least recently failed first; stops when fn returns
 * non-zero and returns that. */
int fxr_throttle_each(const struct fxr_throttle *t,
		      int (*fn)(void *ctx, const struct fxr_throttle_entry *e), void *ctx);

#endif
