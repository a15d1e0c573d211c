/* Login-failure throttling; see throttle-t.h for the policy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fxr/compiler.h"
#include "idmap.h"
#include "throttle.h"

#define NONE FXR_IDMAP_NONE

void fxr_throttle_cfg_defaults(struct fxr_throttle_cfg *cfg, uint32_t max_entries)
{
	cfg->max_entries = max_entries;
	cfg->free_failures = 5;
	cfg->base_block_ms = 1000;
	cfg->max_block_ms = 15 * 60 * 1000;
	cfg->forget_ms = 10 * 60 * 1000;
}

static const uint8_t *entry_key(const void *ctx, uint32_t i, uint8_t *len)
{
	const struct fxr_throttle *t = ctx;
	*len = t->e[i].key_len;
	return t->e[i].key;
}

int fxr_throttle_init(struct fxr_throttle *t, const struct fxr_throttle_cfg *cfg, uint64_t seed)
{
	if (cfg->max_entries == 0 || cfg->max_entries >= NONE || cfg->base_block_ms == 0 ||
	    cfg->base_block_ms > cfg->max_block_ms || cfg->forget_ms == 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->e = calloc(cfg->max_entries, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	if (fxr_idmap_str_init(&t->map, cfg->max_entries, seed, entry_key, t) < 0) {
		free(t->e);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->max_entries; i++)
		t->e[i].lru_next = i + 1 < cfg->max_entries ? i + 1 : NONE;
	t->free = 0;
	t->lru_head = t->lru_tail = NONE;
	return 0;
}

void fxr_throttle_fini(struct fxr_throttle *t)
{
	fxr_idmap_str_fini(&t->map);
	free(t->e);
	t->e = NULL;
}

static void lru_unlink(struct fxr_throttle *t, uint32_t i)
{
	struct fxr_throttle_entry *e = &t->e[i];
	if (e->lru_prev != NONE)
		t->e[e->lru_prev].lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next != NONE)
		t->e[e->lru_next].lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
}

static void lru_append(struct fxr_throttle *t, uint32_t i)
{
	struct fxr_throttle_entry *e = &t->e[i];
	e->lru_next = NONE;
	e->lru_prev = t->lru_tail;
	if (t->lru_tail != NONE)
		t->e[t->lru_tail].lru_next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

static void entry_free(struct fxr_throttle *t, uint32_t i)
{
	struct fxr_throttle_entry *e = &t->e[i];
	lru_unlink(t, i);
	FXR_BUG_ON(fxr_idmap_str_del(&t->map, e->key, e->key_len) != 0);
	memset(e, 0, sizeof(*e));
	e->lru_next = t->free;
	t->free = i;
	t->count--;
}

static uint8_t clamp_len(uint8_t len)
{
	return len > FXR_THROTTLE_KEY_MAX ? FXR_THROTTLE_KEY_MAX : len;
}

uint64_t fxr_throttle_check(struct fxr_throttle *t, const uint8_t *key, uint8_t len,
			    uint64_t now_ms)
{
	uint32_t i = fxr_idmap_str_get(&t->map, key, clamp_len(len));
	if (i == NONE || t->e[i].blocked_until_ms <= now_ms)
		return 0;
	t->ctr.refused++;
	return t->e[i].blocked_until_ms - now_ms;
}

uint64_t fxr_throttle_fail(struct fxr_throttle *t, const uint8_t *key, uint8_t len,
			   uint64_t now_ms)
{
	len = clamp_len(len);
	if (len == 0)
		return 0;
	t->ctr.failures++;
	uint32_t i = fxr_idmap_str_get(&t->map, key, len);
	if (i == NONE) {
		if (t->free == NONE) {
			t->ctr.evictions++;
			entry_free(t, t->lru_head);
		}
		i = t->free;
		struct fxr_throttle_entry *e = &t->e[i];
		t->free = e->lru_next;
		memcpy(e->key, key, len);
		e->key_len = len;
		FXR_BUG_ON(fxr_idmap_str_put(&t->map, i) != 0);
		t->count++;
	} else {
		lru_unlink(t, i);
		if (now_ms - t->e[i].last_fail_ms >= t->cfg.forget_ms &&
		    t->e[i].blocked_until_ms <= now_ms)
			t->e[i].fails = 0; /* quiet long enough: a fresh start */
	}
	struct fxr_throttle_entry *e = &t->e[i];
	lru_append(t, i);
	e->last_fail_ms = now_ms;
	if (e->fails < UINT16_MAX)
		e->fails++;
	if (e->fails <= t->cfg.free_failures)
		return 0;
	/* base * 2^(fails over the free allowance - 1), capped */
	unsigned over = e->fails - t->cfg.free_failures - 1u;
	uint64_t block = t->cfg.base_block_ms;
	while (over-- && block < t->cfg.max_block_ms)
		block <<= 1;
	if (block > t->cfg.max_block_ms)
		block = t->cfg.max_block_ms;
	e->blocked_until_ms = now_ms + block;
	t->ctr.blocks++;
	return block;
}

void fxr_throttle_success(struct fxr_throttle *t, const uint8_t *key, uint8_t len)
{
	uint32_t i = fxr_idmap_str_get(&t->map, key, clamp_len(len));
	if (i != NONE)
		entry_free(t, i);
}

unsigned fxr_throttle_expire(struct fxr_throttle *t, uint64_t now_ms)
{
	unsigned n = 0;
	/* oldest failure first: stop at the first entry still fresh or still blocked (the
	 * entries behind it failed more recently) */
	while (t->lru_head != NONE) {
		const struct fxr_throttle_entry *e = &t->e[t->lru_head];
		if (now_ms - e->last_fail_ms < t->cfg.forget_ms || e->blocked_until_ms > now_ms)
			break;
		entry_free(t, t->lru_head);
		t->ctr.forgotten++;
		n++;
	}
	return n;
}

int fxr_throttle_each(const struct fxr_throttle *t,
		      int (*fn)(void *ctx, const struct fxr_throttle_entry *e), void *ctx)
{
	for (uint32_t i = t->lru_head; i != NONE; i = t->e[i].lru_next) {
		int rc = fn(ctx, &t->e[i]);
		if (rc)
			return rc;
	}
	return 0;
}
