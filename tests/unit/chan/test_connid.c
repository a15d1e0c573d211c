/* Connection ids: fields pack and unpack exactly at their limits, generations never yield 0,
 * and an id whose slot was reused (new generation) never equals the stale one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fxr/connid.h"

static void test_pack_unpack(void **state)
{
	(void)state;
	static const struct {
		uint8_t lcore;
		uint32_t slot;
		uint32_t gen;
	} cases[] = {
		{ 0, 0, 1 },
		{ 1, 2, 3 },
		{ 255, FXR_CONNID_SLOT_MAX, UINT32_MAX },
		{ 7, 0x123456, 0x89abcdef },
		{ 128, 1, 0x80000000u },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t id = fxr_connid_make(cases[i].lcore, cases[i].slot, cases[i].gen);
		assert_int_equal(fxr_connid_lcore(id), cases[i].lcore);
		assert_int_equal(fxr_connid_slot(id), cases[i].slot);
		assert_int_equal(fxr_connid_gen(id), cases[i].gen);
		assert_true(fxr_connid_valid(id));
	}
	/* the documented bit positions */
	assert_int_equal(fxr_connid_make(0xAB, 0x00CDEF, 0x12345678),
			 UINT64_C(0xAB1234567800CDEF));
	assert_int_equal(fxr_connid_make(0xFF, 0, 1), UINT64_C(0xFF00000001000000));
}

static void test_slot_overflow_does_not_leak(void **state)
{
	(void)state;
	/* a slot beyond 24 bits must not spill into the generation or lcore */
	uint64_t id = fxr_connid_make(3, 0xFF000001u, 9);
	assert_int_equal(fxr_connid_slot(id), 1);
	assert_int_equal(fxr_connid_gen(id), 9);
	assert_int_equal(fxr_connid_lcore(id), 3);
}

static void test_none_and_zero_generation(void **state)
{
	(void)state;
	assert_false(fxr_connid_valid(FXR_CONNID_NONE));
	assert_false(fxr_connid_valid(fxr_connid_make(5, 17, 0)));
	assert_int_equal(fxr_connid_gen_next(0), 1);
	assert_int_equal(fxr_connid_gen_next(1), 2);
	assert_int_equal(fxr_connid_gen_next(UINT32_MAX), 1); /* wrap skips 0 */
}

static void test_stale_id_never_matches_reused_slot(void **state)
{
	(void)state;
	uint32_t gen = 1;
	uint64_t first = fxr_connid_make(2, 42, gen);
	/* reuse the slot many times: no later id equals the first, all stay valid */
	for (int i = 0; i < 100000; i++) {
		gen = fxr_connid_gen_next(gen);
		uint64_t id = fxr_connid_make(2, 42, gen);
		assert_true(fxr_connid_valid(id));
		assert_int_not_equal(id, first);
		assert_int_equal(fxr_connid_slot(id), 42);
	}
	/* across the wrap: the generation after UINT32_MAX is 1 (the 4 G-th reuse) */
	uint64_t last = fxr_connid_make(2, 42, UINT32_MAX);
	uint64_t next = fxr_connid_make(2, 42, fxr_connid_gen_next(UINT32_MAX));
	assert_int_not_equal(last, next);
	assert_true(fxr_connid_valid(next));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_unpack),
		cmocka_unit_test(test_slot_overflow_does_not_leak),
		cmocka_unit_test(test_none_and_zero_generation),
		cmocka_unit_test(test_stale_id_never_matches_reused_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
