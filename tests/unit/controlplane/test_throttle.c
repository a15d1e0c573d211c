/* Login-failure throttling on a virtual clock: free failures, doubling blocks with a cap,
 * success clears, quiet keys are forgotten, a full table evicts the stalest key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "throttle.h"

#define K(s) (const uint8_t *)(s), (uint8_t)(sizeof(s) - 1)

static struct fxr_throttle t;

static void up(uint32_t n)
{
	struct fxr_throttle_cfg cfg;
	fxr_throttle_cfg_defaults(&cfg, n);
	assert_int_equal(fxr_throttle_init(&t, &cfg, 7), 0);
}

static void test_blocks_double_and_cap(void **state)
{
	(void)state;
	up(16);
	uint64_t now = 1000000;
	for (int i = 0; i < 5; i++)
		assert_int_equal(fxr_throttle_fail(&t, K("10.0.0.1"), now), 0);
	assert_int_equal(fxr_throttle_check(&t, K("10.0.0.1"), now), 0);
	/* sixth failure: 1 s */
	assert_int_equal(fxr_throttle_fail(&t, K("10.0.0.1"), now), 1000);
	assert_int_equal(fxr_throttle_check(&t, K("10.0.0.1"), now), 1000);
	assert_int_equal(fxr_throttle_check(&t, K("10.0.0.1"), now + 999), 1);
	assert_int_equal(fxr_throttle_check(&t, K("10.0.0.1"), now + 1000), 0);
	assert_int_equal(t.ctr.refused, 2);
	/* then 2, 4, 8 ... s, capped at 15 min */
	uint64_t want = 2000;
	for (int i = 0; i < 20; i++) {
		now += 1000;
		uint64_t got = fxr_throttle_fail(&t, K("10.0.0.1"), now);
		assert_int_equal(got, want);
		want = want * 2 > 900000 ? 900000 : want * 2;
	}
	assert_int_equal(t.ctr.blocks, 21);
	/* other keys are not affected */
	assert_int_equal(fxr_throttle_check(&t, K("10.0.0.2"), now), 0);
	fxr_throttle_fini(&t);
}

static void test_success_clears(void **state)
{
	(void)state;
	up(16);
	for (int i = 0; i < 6; i++)
		fxr_throttle_fail(&t, K("fax-a"), 0);
	assert_int_equal(fxr_throttle_check(&t, K("fax-a"), 0), 1000);
	fxr_throttle_success(&t, K("fax-a"));
	assert_int_equal(fxr_throttle_check(&t, K("fax-a"), 0), 0);
	assert_int_equal(t.count, 0);
	/* and counting starts over */
	for (int i = 0; i < 5; i++)
		assert_int_equal(fxr_throttle_fail(&t, K("fax-a"), 0), 0);
	fxr_throttle_fini(&t);
}

static void test_quiet_keys_are_forgotten(void **state)
{
	(void)state;
	up(16);
	for (int i = 0; i < 5; i++)
		fxr_throttle_fail(&t, K("a"), 0);
	/* 10 minutes of quiet: the next failure is the first of a new run */
	assert_int_equal(fxr_throttle_fail(&t, K("a"), 600000), 0);
	fxr_throttle_fail(&t, K("b"), 600000);
	for (int i = 0; i < 6; i++)
		fxr_throttle_fail(&t, K("c"), 700000); /* blocked until 701000 */
	assert_int_equal(fxr_throttle_expire(&t, 1199999), 0);
	/* a and b quiet for 10 min; c too, and its block is long over */
	assert_int_equal(fxr_throttle_expire(&t, 1300000), 3);
	assert_int_equal(t.count, 0);
	assert_int_equal(t.ctr.forgotten, 3);
	fxr_throttle_fini(&t);
}

static void test_blocked_entry_is_kept(void **state)
{
	(void)state;
	struct fxr_throttle_cfg cfg;
	fxr_throttle_cfg_defaults(&cfg, 4);
	cfg.forget_ms = 1000; /* shorter than the block */
	cfg.base_block_ms = 5000;
	assert_int_equal(fxr_throttle_init(&t, &cfg, 1), 0);
	for (int i = 0; i < 6; i++)
		fxr_throttle_fail(&t, K("x"), 0);
	assert_int_equal(fxr_throttle_expire(&t, 2000), 0);
	assert_int_equal(fxr_throttle_check(&t, K("x"), 2000), 3000);
	assert_int_equal(fxr_throttle_expire(&t, 5000), 1);
	fxr_throttle_fini(&t);
}

static int collect(void *ctx, const struct fxr_throttle_entry *e)
{
	char *out = ctx;
	size_t l = strlen(out);
	snprintf(out + l, 128 - l, "%.*s/%u ", e->key_len, (const char *)e->key, e->fails);
	return 0;
}

static void test_full_table_evicts_stalest(void **state)
{
	(void)state;
	up(4);
	fxr_throttle_fail(&t, K("k1"), 1);
	fxr_throttle_fail(&t, K("k2"), 2);
	fxr_throttle_fail(&t, K("k3"), 3);
	fxr_throttle_fail(&t, K("k4"), 4);
	fxr_throttle_fail(&t, K("k1"), 5); /* k1 is fresh again */
	fxr_throttle_fail(&t, K("k5"), 6); /* evicts k2 */
	assert_int_equal(t.ctr.evictions, 1);
	char out[128] = "";
	fxr_throttle_each(&t, collect, out);
	assert_string_equal(out, "k3/1 k4/1 k1/2 k5/1 ");
	fxr_throttle_fini(&t);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct fxr_throttle_cfg cfg;
	fxr_throttle_cfg_defaults(&cfg, 0);
	assert_int_equal(fxr_throttle_init(&t, &cfg, 0), -EINVAL);
	fxr_throttle_cfg_defaults(&cfg, 4);
	cfg.base_block_ms = cfg.max_block_ms + 1;
	assert_int_equal(fxr_throttle_init(&t, &cfg, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_double_and_cap),
		cmocka_unit_test(test_success_clears),
		cmocka_unit_test(test_quiet_keys_are_forgotten),
		cmocka_unit_test(test_blocked_entry_is_kept),
		cmocka_unit_test(test_full_table_evicts_stalest),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
