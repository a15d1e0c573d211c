/* tcp_seq.h: comparisons hold across the 2^32 wrap, the window test is exact at its edges,
 * and the RFC 9293 §3.10.7.4 acceptability table is followed case by case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_seq.h"

static void test_order_plain(void **state)
{
	(void)state;
	assert_true(fxr_tcp_seq_lt(1, 2));
	assert_false(fxr_tcp_seq_lt(2, 2));
	assert_true(fxr_tcp_seq_leq(2, 2));
	assert_true(fxr_tcp_seq_gt(3, 2));
	assert_false(fxr_tcp_seq_gt(2, 2));
	assert_true(fxr_tcp_seq_geq(2, 2));
	assert_false(fxr_tcp_seq_geq(1, 2));
}

static void test_order_at_wrap(void **state)
{
	(void)state;
	/* 0xFFFFFFFF is just before 0, and 0xFFFFFF00 before 0x100 */
	assert_true(fxr_tcp_seq_lt(UINT32_MAX, 0));
	assert_true(fxr_tcp_seq_gt(0, UINT32_MAX));
	assert_true(fxr_tcp_seq_lt(0xFFFFFF00u, 0x100u));
	assert_true(fxr_tcp_seq_leq(0xFFFFFF00u, 0x100u));
	assert_false(fxr_tcp_seq_geq(0xFFFFFF00u, 0x100u));
	assert_int_equal(fxr_tcp_seq_diff(0x10u, 0xFFFFFFF0u), 0x20);
	assert_int_equal(fxr_tcp_seq_diff(0xFFFFFFF0u, 0x10u), -0x20);
	assert_int_equal(fxr_tcp_seq_max(0xFFFFFFF0u, 0x10u), 0x10u);
	assert_int_equal(fxr_tcp_seq_min(0xFFFFFFF0u, 0x10u), 0xFFFFFFF0u);
}

static void test_order_half_circle(void **state)
{
	(void)state;
	/* 2^31 - 1 ahead is still "after"; one more flips the sign (undefined zone edge) */
	assert_true(fxr_tcp_seq_gt(0x7FFFFFFFu, 0));
	assert_true(fxr_tcp_seq_lt(0x80000001u, 0));
	assert_true(fxr_tcp_seq_gt(0x80000000u + 5, 5 + 1));
	/* walk across the wrap: each step stays "after" the previous value */
	uint32_t s = 0xFFFFFFF8u;
	for (int i = 0; i < 16; i++, s++) {
		assert_true(fxr_tcp_seq_gt(s + 1, s));
		assert_true(fxr_tcp_seq_lt(s, s + 1000));
		assert_true(fxr_tcp_seq_geq(s + 1000, s + 999));
	}
}

static void test_in_window(void **state)
{
	(void)state;
	assert_true(fxr_tcp_seq_in_window(100, 100, 10));
	assert_true(fxr_tcp_seq_in_window(109, 100, 10));
	assert_false(fxr_tcp_seq_in_window(110, 100, 10));
	assert_false(fxr_tcp_seq_in_window(99, 100, 10));
	assert_false(fxr_tcp_seq_in_window(100, 100, 0));
	/* window spanning the wrap: [0xFFFFFFFA, 0xFFFFFFFA + 12) = ..FA..FF, 0..5 */
	assert_true(fxr_tcp_seq_in_window(0xFFFFFFFAu, 0xFFFFFFFAu, 12));
	assert_true(fxr_tcp_seq_in_window(0xFFFFFFFFu, 0xFFFFFFFAu, 12));
	assert_true(fxr_tcp_seq_in_window(0, 0xFFFFFFFAu, 12));
	assert_true(fxr_tcp_seq_in_window(5, 0xFFFFFFFAu, 12));
	assert_false(fxr_tcp_seq_in_window(6, 0xFFFFFFFAu, 12));
	assert_false(fxr_tcp_seq_in_window(0xFFFFFFF9u, 0xFFFFFFFAu, 12));
	/* the largest scaled window (2^30) */
	assert_true(fxr_tcp_seq_in_window(0x3FFFFFFFu + 7, 7, 1u << 30));
	assert_false(fxr_tcp_seq_in_window((1u << 30) + 7, 7, 1u << 30));
}

static void test_between(void **state)
{
	(void)state;
	/* RFC 9293 §3.10.7.4: SND.UNA < SEG.ACK =< SND.NXT, across the wrap */
	uint32_t una = 0xFFFFFFF0u, nxt = 0x10u;
	assert_false(fxr_tcp_seq_between(una, una + 1, nxt));
	assert_true(fxr_tcp_seq_between(una + 1, una + 1, nxt));
	assert_true(fxr_tcp_seq_between(0, una + 1, nxt));
	assert_true(fxr_tcp_seq_between(nxt, una + 1, nxt));
	assert_false(fxr_tcp_seq_between(nxt + 1, una + 1, nxt));
}

static void test_acceptable(void **state)
{
	(void)state;
	const uint32_t nxt = 0xFFFFFFF0u; /* the window [nxt, nxt + 32) wraps */

	/* len 0, wnd 0: only SEG.SEQ = RCV.NXT */
	assert_true(fxr_tcp_seq_acceptable(nxt, 0, nxt, 0));
	assert_false(fxr_tcp_seq_acceptable(nxt + 1, 0, nxt, 0));
	/* len 0, wnd > 0: seq in window */
	assert_true(fxr_tcp_seq_acceptable(nxt + 31, 0, nxt, 32));
	assert_false(fxr_tcp_seq_acceptable(nxt + 32, 0, nxt, 32));
	assert_false(fxr_tcp_seq_acceptable(nxt - 1, 0, nxt, 32));
	/* len > 0, wnd 0: never */
	assert_false(fxr_tcp_seq_acceptable(nxt, 1, nxt, 0));
	/* len > 0, wnd > 0: first or last octet in window */
	assert_true(fxr_tcp_seq_acceptable(nxt, 10, nxt, 32));
	assert_true(fxr_tcp_seq_acceptable(nxt - 5, 10, nxt, 32));  /* old head, new tail */
	assert_false(fxr_tcp_seq_acceptable(nxt - 10, 10, nxt, 32)); /* wholly old */
	assert_true(fxr_tcp_seq_acceptable(nxt + 31, 10, nxt, 32)); /* starts on the last octet */
	assert_false(fxr_tcp_seq_acceptable(nxt + 32, 10, nxt, 32)); /* wholly beyond */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_plain),
		cmocka_unit_test(test_order_at_wrap),
		cmocka_unit_test(test_order_half_circle),
		cmocka_unit_test(test_in_window),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_acceptable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
