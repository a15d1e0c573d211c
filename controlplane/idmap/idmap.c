/* Fixed-capacity open-addressing maps; see idmap-t.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"

#define IDMAP_MAX_ENTRIES (1u << 30)

static uint64_t mix64(uint64_t x)
{
	/* a 64-bit finaliser (xorshift-multiply): spreads sequential connection ids */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t slots_for(uint32_t max_entries)
{
	uint32_t n = 16;
	while (n < 2 * max_entries)
		n <<= 1;
	return n;
}

int fxr_idmap_u64_init(struct fxr_idmap_u64 *m, uint32_t max_entries, uint64_t seed)
{
	if (max_entries == 0 || max_entries > IDMAP_MAX_ENTRIES)
		return -EINVAL;
	uint32_t n = slots_for(max_entries);
	m->slots = malloc(sizeof(*m->slots) * n);
	if (!m->slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		m->slots[i].val = FXR_IDMAP_NONE;
	m->mask = n - 1;
	m->count = 0;
	m->seed = seed;
	return 0;
}

void fxr_idmap_u64_fini(struct fxr_idmap_u64 *m)
{
	free(m->slots);
	m->slots = NULL;
}

static uint32_t u64_home(const struct fxr_idmap_u64 *m, uint64_t key)
{
	return (uint32_t)mix64(key ^ m->seed) & m->mask;
}

uint32_t fxr_idmap_u64_get(const struct fxr_idmap_u64 *m, uint64_t key)
{
	for (uint32_t i = u64_home(m, key);; i = (i + 1) & m->mask) {
		const struct fxr_idmap_u64_slot *s = &m->slots[i];
		if (s->val == FXR_IDMAP_NONE)
			return FXR_IDMAP_NONE;
		if (s->key == key)
			return s->val;
	}
}

int fxr_idmap_u64_put(struct fxr_idmap_u64 *m, uint64_t key, uint32_t val)
{
	if (m->count >= (m->mask + 1) / 2)
		return -ENOSPC;
	for (uint32_t i = u64_home(m, key);; i = (i + 1) & m->mask) {
		struct fxr_idmap_u64_slot *s = &m->slots[i];
		if (s->val == FXR_IDMAP_NONE) {
			s->key = key;
			s->val = val;
			m->count++;
			return 0;
		}
		if (s->key == key)
			return -EEXIST;
	}
}

int fxr_idmap_u64_del(struct fxr_idmap_u64 *m, uint64_t key)
{
	uint32_t i = u64_home(m, key);
	for (;; i = (i + 1) & m->mask) {
		if (m->slots[i].val == FXR_IDMAP_NONE)
			return -ENOENT;
		if (m->slots[i].key == key)
			break;
	}
	/* Backward-shift deletion: pull later members of the probe run into the hole when
	 * their home slot does not lie cyclically in (hole, j]. */
	uint32_t hole = i;
	for (uint32_t j = (i + 1) & m->mask; m->slots[j].val != FXR_IDMAP_NONE;
	     j = (j + 1) & m->mask) {
		uint32_t home = u64_home(m, m->slots[j].key);
		if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole].val = FXR_IDMAP_NONE;
	m->count--;
	return 0;
}

/* ---- string keys ---- */

static uint32_t str_hash(uint64_t seed, const uint8_t *p, uint8_t len)
{
	uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(len + 1));
	for (uint8_t i = 0; i < len; i++)
		h = mix64(h ^ p[i]) + i;
	return (uint32_t)mix64(h);
}

int fxr_idmap_str_init(struct fxr_idmap_str *m, uint32_t max_entries, uint64_t seed,
		       const uint8_t *(*key_of)(const void *ctx, uint32_t val, uint8_t *len),
		       const void *ctx)
{
	if (max_entries == 0 || max_entries > IDMAP_MAX_ENTRIES)
		return -EINVAL;
	uint32_t n = slots_for(max_entries);
	m->vals = malloc(sizeof(*m->vals) * n);
	m->hashes = malloc(sizeof(*m->hashes) * n);
	if (!m->vals || !m->hashes) {
		free(m->vals);
		free(m->hashes);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		m->vals[i] = FXR_IDMAP_NONE;
	m->mask = n - 1;
	m->count = 0;
	m->seed = seed;
	m->key_of = key_of;
	m->ctx = ctx;
	return 0;
}

void fxr_idmap_str_fini(struct fxr_idmap_str *m)
{
	free(m->vals);
	free(m->hashes);
	m->vals = NULL;
	m->hashes = NULL;
}

static uint32_t str_find(const struct fxr_idmap_str *m, const uint8_t *key, uint8_t len,
			 uint32_t h)
{
	for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
		if (m->vals[i] == FXR_IDMAP_NONE)
			return FXR_IDMAP_NONE;
		if (m->hashes[i] != h)
			continue;
		uint8_t klen;
		const uint8_t *k = m->key_of(m->ctx, m->vals[i], &klen);
		if (klen == len && memcmp(k, key, len) == 0)
			return i;
	}
}

uint32_t fxr_idmap_str_get(const struct fxr_idmap_str *m, const uint8_t *key, uint8_t len)
{
	uint32_t i = str_find(m, key, len, str_hash(m->seed, key, len));
	return i == FXR_IDMAP_NONE ? FXR_IDMAP_NONE : m->vals[i];
}

int fxr_idmap_str_put(struct fxr_idmap_str *m, uint32_t val)
{
	uint8_t len;
	const uint8_t *key = m->key_of(m->ctx, val, &len);
	uint32_t h = str_hash(m->seed, key, len);
	if (str_find(m, key, len, h) != FXR_IDMAP_NONE)
		return -EEXIST;
	if (m->count >= (m->mask + 1) / 2)
		return -ENOSPC;
	uint32_t i = h & m->mask;
	while (m->vals[i] != FXR_IDMAP_NONE)
		i = (i + 1) & m->mask;
	m->vals[i] = val;
	m->hashes[i] = h;
	m->count++;
	return 0;
}

int fxr_idmap_str_del(struct fxr_idmap_str *m, const uint8_t *key, uint8_t len)
{
	uint32_t i = str_find(m, key, len, str_hash(m->seed, key, len));
	if (i == FXR_IDMAP_NONE)
		return -ENOENT;
	uint32_t hole = i;
	for (uint32_t j = (i + 1) & m->mask; m->vals[j] != FXR_IDMAP_NONE;
	     j = (j + 1) & m->mask) {
		uint32_t home = m->hashes[j] & m->mask;
		if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
			m->vals[hole] = m->vals[j];
			m->hashes[hole] = m->hashes[j];
			hole = j;
		}
	}
	m->vals[hole] = FXR_IDMAP_NONE;
	m->count--;
	return 0;
}
