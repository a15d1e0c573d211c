/* The control plane's fixed-capacity maps against a plain reference, through a long seeded
 * run of random inserts, lookups and deletes (deletion shifts entries back: the part that
 * breaks quietly). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "idmap.h"

#define N 4096

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_u64_against_reference(void **state)
{
	(void)state;
	static uint64_t keys[N];
	static uint8_t present[N];
	struct fxr_idmap_u64 m;
	assert_int_equal(fxr_idmap_u64_init(&m, N, 1234), 0);
	for (uint32_t i = 0; i < N; i++)
		keys[i] = (rnd() & 0xffff) | ((uint64_t)i << 16); /* distinct, clustered low bits */
	unsigned count = 0;
	for (unsigned op = 0; op < 200000; op++) {
		uint32_t i = (uint32_t)(rnd() % N);
		switch (rnd() % 3) {
		case 0:
			assert_int_equal(fxr_idmap_u64_put(&m, keys[i], i), present[i] ? -EEXIST : 0);
			count += !present[i];
			present[i] = 1;
			break;
		case 1:
			assert_int_equal(fxr_idmap_u64_del(&m, keys[i]), present[i] ? 0 : -ENOENT);
			count -= present[i];
			present[i] = 0;
			break;
		default:
			assert_int_equal(fxr_idmap_u64_get(&m, keys[i]), present[i] ? i : FXR_IDMAP_NONE);
		}
		assert_int_equal(m.count, count);
	}
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(fxr_idmap_u64_get(&m, keys[i]), present[i] ? i : FXR_IDMAP_NONE);
	fxr_idmap_u64_fini(&m);
}

static void test_u64_capacity(void **state)
{
	(void)state;
	struct fxr_idmap_u64 m;
	assert_int_equal(fxr_idmap_u64_init(&m, 0, 0), -EINVAL);
	assert_int_equal(fxr_idmap_u64_init(&m, 10, 0), 0);
	unsigned ok = 0;
	for (uint64_t k = 0; k < 100; k++)
		ok += fxr_idmap_u64_put(&m, k, (uint32_t)k) == 0;
	assert_true(ok >= 10);     /* at least what was asked for */
	assert_true(ok <= 16);     /* and bounded: load factor 1/2 of 32 slots */
	assert_int_equal(fxr_idmap_u64_put(&m, 1000, 0), -ENOSPC);
	fxr_idmap_u64_fini(&m);
}

static char names[N][12];

static const uint8_t *name_of(const void *ctx, uint32_t v, uint8_t *len)
{
	(void)ctx;
	*len = (uint8_t)strlen(names[v]);
	return (const uint8_t *)names[v];
}

static void test_str_against_reference(void **state)
{
	(void)state;
	static uint8_t present[N];
	struct fxr_idmap_str m;
	for (uint32_t i = 0; i < N; i++)
		snprintf(names[i], sizeof(names[i]), "dev-%u", i);
	assert_int_equal(fxr_idmap_str_init(&m, N, 99, name_of, NULL), 0);
	for (unsigned op = 0; op < 200000; op++) {
		uint32_t i = (uint32_t)(rnd() % N);
		uint8_t len = (uint8_t)strlen(names[i]);
		const uint8_t *k = (const uint8_t *)names[i];
		switch (rnd() % 3) {
		case 0:
			assert_int_equal(fxr_idmap_str_put(&m, i), present[i] ? -EEXIST : 0);
			present[i] = 1;
			break;
		case 1:
			assert_int_equal(fxr_idmap_str_del(&m, k, len), present[i] ? 0 : -ENOENT);
			present[i] = 0;
			break;
		default:
			assert_int_equal(fxr_idmap_str_get(&m, k, len), present[i] ? i : FXR_IDMAP_NONE);
		}
	}
	/* a prefix or an extension of a present key is another key */
	assert_int_equal(fxr_idmap_str_put(&m, 12), present[12] ? -EEXIST : 0);
	assert_int_equal(fxr_idmap_str_get(&m, (const uint8_t *)"dev-1", 4), FXR_IDMAP_NONE);
	assert_int_equal(fxr_idmap_str_get(&m, (const uint8_t *)"dev-120", 7),
			 present[120] ? 120 : FXR_IDMAP_NONE);
	fxr_idmap_str_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_against_reference),
		cmocka_unit_test(test_u64_capacity),
		cmocka_unit_test(test_str_against_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
