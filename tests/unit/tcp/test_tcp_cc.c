/* tcp_cc + NewReno: the initial window of RFC 5681 §3.1, slow start and byte-counting
 * congestion avoidance, fast retransmit on the third duplicate ACK, inflation, partial and
 * full ACKs (RFC 6582 steps 4-5), the `recover` guard after an RTO (RFC 6582 step 2/6), and
 * the RTO response (RFC 5681 eq. 4, loss window). Each scenario also runs with the flight
 * across 2^32. Worked values in the comments, SMSS = 1000. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_cc.h"

#define SMSS 1000u

static const uint32_t isses[] = { 0, 0xFFFFF000u };

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(fxr_tcp_cc_find("newreno"), &fxr_tcp_cc_newreno);
	assert_null(fxr_tcp_cc_find("cubic"));
	assert_null(fxr_tcp_cc_find(""));
}

static void test_initial_window(void **state)
{
	(void)state;
	struct fxr_tcp_cc cc;
	/* RFC 5681 §3.1 eq. (1) */
	const uint32_t cases[][2] = {
		{ 536, 4 * 536 }, { 1095, 4 * 1095 }, { 1096, 3 * 1096 }, { 1460, 3 * 1460 },
		{ 2190, 3 * 2190 }, { 2191, 2 * 2191 }, { 8960, 2 * 8960 },
	};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, cases[i][0], 0);
		assert_int_equal(cc.cwnd, cases[i][1]);
		assert_true(cc.ssthresh >= FXR_TCP_CC_CWND_MAX);
		assert_false(cc.in_recovery);
	}
}

static void test_slow_start_and_avoidance(void **state)
{
	(void)state;
	struct fxr_tcp_cc cc;

	fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, SMSS, 0);
	assert_int_equal(cc.cwnd, 4000);
	/* slow start: + min(N, SMSS) per ACK (eq. 2) */
	for (int i = 0; i < 4; i++)
		assert_int_equal(fxr_tcp_cc_on_ack(&cc, 1000u * (i + 1), 1000, 0), FXR_TCP_CC_NOTHING);
	assert_int_equal(cc.cwnd, 8000);
	fxr_tcp_cc_on_ack(&cc, 7000, 3000, 0); /* a stretch ACK still adds one SMSS */
	assert_int_equal(cc.cwnd, 9000);
	fxr_tcp_cc_on_ack(&cc, 7300, 300, 0); /* a small one adds what it acked */
	assert_int_equal(cc.cwnd, 9300);

	/* congestion avoidance (cwnd >= ssthresh): one SMSS per cwnd acknowledged */
	cc.cwnd = 8000;
	cc.ssthresh = 8000;
	for (int i = 0; i < 7; i++)
		fxr_tcp_cc_on_ack(&cc, 0, 1000, 0);
	assert_int_equal(cc.cwnd, 8000);
	fxr_tcp_cc_on_ack(&cc, 0, 1000, 0);
	assert_int_equal(cc.cwnd, 9000);
	assert_int_equal(cc.bytes_acked, 0);
	/* a 9000-byte stretch ACK counts in full */
	fxr_tcp_cc_on_ack(&cc, 0, 9500, 0);
	assert_int_equal(cc.cwnd, 10000);
	assert_int_equal(cc.bytes_acked, 500);

	/* cwnd is capped, never wraps */
	cc.cwnd = FXR_TCP_CC_CWND_MAX - 10;
	cc.ssthresh = FXR_TCP_CC_CWND_MAX;
	fxr_tcp_cc_on_ack(&cc, 0, 1000, 0);
	assert_int_equal(cc.cwnd, FXR_TCP_CC_CWND_MAX);
}

static void test_fast_recovery(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		const uint32_t una = isses[k] + 1; /* first data byte */
		const uint32_t nxt = una + 10000;  /* ten segments out */
		struct fxr_tcp_cc cc;

		fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, SMSS, isses[k]);
		cc.cwnd = 10000;
		/* the first segment is lost: two duplicates do nothing (Limited Transmit is
		 * the caller's) */
		assert_int_equal(fxr_tcp_cc_on_dupack(&cc, una, nxt, 10000), FXR_TCP_CC_NOTHING);
		assert_int_equal(fxr_tcp_cc_on_dupack(&cc, una, nxt, 10000), FXR_TCP_CC_NOTHING);
		assert_int_equal(cc.cwnd, 10000);
		/* third: fast retransmit; ssthresh = 10000 / 2, cwnd = 5000 + 3 * 1000 */
		assert_int_equal(fxr_tcp_cc_on_dupack(&cc, una, nxt, 10000),
				 FXR_TCP_CC_FAST_RETRANSMIT);
		assert_true(cc.in_recovery);
		assert_int_equal(cc.ssthresh, 5000);
		assert_int_equal(cc.cwnd, 8000);
		assert_int_equal(cc.recover, nxt - 1);
		/* further duplicates inflate */
		fxr_tcp_cc_on_dupack(&cc, una, nxt, 10000);
		fxr_tcp_cc_on_dupack(&cc, una, nxt, 10000);
		assert_int_equal(cc.cwnd, 10000);
		/* partial ACK of 3000: 10000 - 3000 + 1000 = 8000, retransmit SND.UNA */
		assert_int_equal(fxr_tcp_cc_on_ack(&cc, una + 3000, 3000, 7000),
				 FXR_TCP_CC_RETRANSMIT_UNA);
		assert_int_equal(cc.cwnd, 8000);
		assert_true(cc.in_recovery);
		/* partial ACK of 500: no SMSS added back, 7500 */
		assert_int_equal(fxr_tcp_cc_on_ack(&cc, una + 3500, 500, 6500),
				 FXR_TCP_CC_RETRANSMIT_UNA);
		assert_int_equal(cc.cwnd, 7500);
		/* ACK of exactly recover is still partial (it does not cover recover) */
		assert_int_equal(fxr_tcp_cc_on_ack(&cc, nxt - 1, 6499, 1),
				 FXR_TCP_CC_RETRANSMIT_UNA);
		/* full ACK: cwnd = min(ssthresh 5000, max(FlightSize 0, SMSS) + SMSS) = 2000 */
		assert_int_equal(fxr_tcp_cc_on_ack(&cc, nxt, 1, 0), FXR_TCP_CC_RECOVERED);
		assert_false(cc.in_recovery);
		assert_int_equal(cc.cwnd, 2000);
		/* back in congestion control proper: slow start again below ssthresh */
		fxr_tcp_cc_on_ack(&cc, nxt + 1000, 1000, 0);
		assert_int_equal(cc.cwnd, 3000);
	}
}

static void test_recovery_exit_with_flight(void **state)
{
	(void)state;
	struct fxr_tcp_cc cc;

	fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, SMSS, 0);
	cc.cwnd = 20000;
	for (int i = 0; i < 3; i++)
		fxr_tcp_cc_on_dupack(&cc, 1, 20001, 20000);
	assert_int_equal(cc.ssthresh, 10000);
	/* new data went out in recovery: 12000 still in flight after the full ACK, so
	 * cwnd = min(10000, 12000 + 1000) = ssthresh */
	assert_int_equal(fxr_tcp_cc_on_ack(&cc, 20001, 20000, 12000), FXR_TCP_CC_RECOVERED);
	assert_int_equal(cc.cwnd, 10000);
	/* ssthresh floor 2 * SMSS (eq. 4) on a tiny flight */
	fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, SMSS, 0);
	for (int i = 0; i < 3; i++)
		fxr_tcp_cc_on_dupack(&cc, 1, 1501, 1500);
	assert_int_equal(cc.ssthresh, 2000);
	assert_int_equal(cc.cwnd, 5000);
	/* a 1-byte partial ACK deflates by 1 */
	assert_int_equal(fxr_tcp_cc_on_ack(&cc, 2, 1, 1499), FXR_TCP_CC_RETRANSMIT_UNA);
	assert_int_equal(cc.cwnd, 4999);
	/* a partial ACK bigger than cwnd leaves one SMSS, never 0 */
	cc.cwnd = 500;
	assert_int_equal(fxr_tcp_cc_on_ack(&cc, 602, 600, 899), FXR_TCP_CC_RETRANSMIT_UNA);
	assert_int_equal(cc.cwnd, SMSS);
}

static void test_dupack_count_resets(void **state)
{
	(void)state;
	struct fxr_tcp_cc cc;

	fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, SMSS, 0);
	fxr_tcp_cc_on_dupack(&cc, 1, 10001, 10000);
	fxr_tcp_cc_on_dupack(&cc, 1, 10001, 10000);
	fxr_tcp_cc_on_ack(&cc, 1001, 1000, 9000); /* new data acked: count restarts */
	assert_int_equal(fxr_tcp_cc_on_dupack(&cc, 1001, 10001, 9000), FXR_TCP_CC_NOTHING);
	assert_int_equal(fxr_tcp_cc_on_dupack(&cc, 1001, 10001, 9000), FXR_TCP_CC_NOTHING);
	assert_false(cc.in_recovery);
	assert_int_equal(fxr_tcp_cc_on_dupack(&cc, 1001, 10001, 9000),
			 FXR_TCP_CC_FAST_RETRANSMIT);
}

static void test_rto_and_recover_guard(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		const uint32_t una = isses[k] + 1;
		struct fxr_tcp_cc cc;

		fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, SMSS, isses[k]);
		cc.cwnd = 20000;
		/* RTO with 10000 in flight: ssthresh 5000, cwnd = LW = 1 SMSS */
		fxr_tcp_cc_on_rto(&cc, una + 10000, 10000, false);
		assert_int_equal(cc.ssthresh, 5000);
		assert_int_equal(cc.cwnd, SMSS);
		assert_int_equal(cc.recover, una + 10000 - 1);
		/* the same segment times out again: ssthresh held (RFC 5681 §3.1) */
		fxr_tcp_cc_on_rto(&cc, una + 10000, 1000, true);
		assert_int_equal(cc.ssthresh, 5000);
		assert_int_equal(cc.cwnd, SMSS);
		/* duplicates for data sent before the RTO (ACK <= recover): no second
		 * reduction, however many (RFC 6582 step 2) */
		for (int i = 0; i < 6; i++)
			assert_int_equal(fxr_tcp_cc_on_dupack(&cc, una + 4000, una + 10000, 6000),
					 FXR_TCP_CC_NOTHING);
		assert_false(cc.in_recovery);
		assert_int_equal(cc.ssthresh, 5000);
		/* once the ACK is past recover, a new loss is handled again */
		fxr_tcp_cc_on_ack(&cc, una + 12000, 8000, 4000);
		for (int i = 0; i < 2; i++)
			fxr_tcp_cc_on_dupack(&cc, una + 12000, una + 16000, 4000);
		assert_int_equal(fxr_tcp_cc_on_dupack(&cc, una + 12000, una + 16000, 4000),
				 FXR_TCP_CC_FAST_RETRANSMIT);
		assert_int_equal(cc.ssthresh, 2000);
		/* an RTO during recovery abandons it */
		fxr_tcp_cc_on_rto(&cc, una + 16000, 4000, false);
		assert_false(cc.in_recovery);
		assert_int_equal(cc.ssthresh, 2000);
	}
}

static void test_sack_entry(void **state)
{
	(void)state;
	struct fxr_tcp_cc cc;

	fxr_tcp_cc_init(&cc, &fxr_tcp_cc_newreno, SMSS, 0);
	cc.cwnd = 10000;
	/* SACK-detected loss after a single duplicate */
	fxr_tcp_cc_on_dupack(&cc, 1, 10001, 10000);
	assert_int_equal(fxr_tcp_cc_enter_recovery(&cc, 1, 10001, 10000),
			 FXR_TCP_CC_FAST_RETRANSMIT);
	assert_int_equal(cc.ssthresh, 5000);
	/* once in recovery, no second entry */
	assert_int_equal(fxr_tcp_cc_enter_recovery(&cc, 1, 10001, 10000), FXR_TCP_CC_NOTHING);
	assert_int_equal(cc.ssthresh, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_initial_window),
		cmocka_unit_test(test_slow_start_and_avoidance),
		cmocka_unit_test(test_fast_recovery),
		cmocka_unit_test(test_recovery_exit_with_flight),
		cmocka_unit_test(test_dupack_count_resets),
		cmocka_unit_test(test_rto_and_recover_guard),
		cmocka_unit_test(test_sack_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
