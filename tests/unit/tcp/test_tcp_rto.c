/* tcp_rto: RFC 6298 estimator with hand-worked values (the RFC has no worked example; each
 * value below is computed in the comment from §2.2/§2.3), clamps, §5.5 back-off, Karn's rule
 * and its RFC 7323 §4 timestamp exception, §5.7 after a lost SYN. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_rto.h"

static struct fxr_tcp_rto_cfg cfg_default(void)
{
	struct fxr_tcp_rto_cfg c;
	fxr_tcp_rto_cfg_default(&c);
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), 0);
	return c;
}

static void test_defaults(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	assert_int_equal(c.initial_us, 1000000);
	assert_int_equal(c.min_us, 200000); /* Linux, not the RFC's 1 s */
	assert_int_equal(c.max_us, 60000000);
	fxr_tcp_rto_init(&r, &c);
	/* §2.1: 1 s before any sample */
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 1000000);
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 0);
}

static void test_cfg_check(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();

	c.min_us = 0;
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), -EINVAL);
	c = cfg_default();
	c.min_us = c.initial_us + 1;
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), -EINVAL);
	c = cfg_default();
	c.max_us = c.initial_us - 1;
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), -EINVAL);
	c = cfg_default();
	c.granularity_us = 0;
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), -EINVAL);
	c = cfg_default();
	c.max_us = 1u << 29;
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), -EINVAL);
	c = cfg_default();
	c.min_us = c.initial_us = 1000000; /* the RFC's own 1 s minimum is accepted */
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), 0);
}

static void test_first_and_second_sample(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	fxr_tcp_rto_init(&r, &c);
	/* §2.2, R = 100 ms: SRTT = 100 ms, RTTVAR = 50 ms,
	 * RTO = 100 + max(G = 1, 4 * 50) = 300 ms */
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, 100000, 0));
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 100000);
	assert_int_equal(fxr_tcp_rto_rttvar_us(&r), 50000);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 300000);

	/* §2.3, R' = 200 ms, RTTVAR first with the old SRTT:
	 * RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms
	 * SRTT   = 7/8 * 100 + 1/8 * 200 = 112.5 ms
	 * RTO    = 112.5 + 4 * 62.5 = 362.5 ms
	 * (updating SRTT first would give RTTVAR 59.375 and RTO 350 ms) */
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, 200000, 0));
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 112500);
	assert_int_equal(fxr_tcp_rto_rttvar_us(&r), 62500);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 362500);

	/* R' = 50 ms: RTTVAR = 3/4 * 62.5 + 1/4 * 62.5 = 62.5 ms;
	 * SRTT = 7/8 * 112.5 + 1/8 * 50 = 104.6875 ms; RTO = 104.6875 + 250 = 354.6875 ms,
	 * rounded up to the µs */
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, 50000, 0));
	assert_int_equal(fxr_tcp_rto_rttvar_us(&r), 62500);
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 104687);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 354688);
}

static void test_converges_and_min_clamp(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	/* a steady 250 ms path: SRTT stays 250 ms, RTTVAR decays to 0, RTO -> SRTT + G */
	fxr_tcp_rto_init(&r, &c);
	for (int i = 0; i < 200; i++)
		assert_true(fxr_tcp_rto_on_rtt(&r, &c, 250000, 0));
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 250000);
	assert_int_equal(fxr_tcp_rto_rttvar_us(&r), 0);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 251000);

	/* a 1 ms LAN path: the 200 ms minimum (§2.4, Linux's value) holds */
	fxr_tcp_rto_init(&r, &c);
	for (int i = 0; i < 50; i++)
		fxr_tcp_rto_on_rtt(&r, &c, 1000, 0);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 200000);

	/* with the RFC's 1 s minimum configured */
	c.min_us = 1000000;
	fxr_tcp_rto_init(&r, &c);
	fxr_tcp_rto_on_rtt(&r, &c, 1000, 0);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 1000000);
}

static void test_granularity(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	/* G = 100 ms ticks, min 1 ms: R = 10 ms gives RTTVAR 5 ms, 4 * RTTVAR = 20 ms < G,
	 * so RTO = 10 + 100 = 110 ms (§2.3 max(G, K*RTTVAR)) */
	c.granularity_us = 100000;
	c.min_us = 1000;
	assert_int_equal(fxr_tcp_rto_cfg_check(&c), 0);
	fxr_tcp_rto_init(&r, &c);
	fxr_tcp_rto_on_rtt(&r, &c, 10000, 0);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 110000);
}

static void test_backoff(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	fxr_tcp_rto_init(&r, &c);
	fxr_tcp_rto_on_rtt(&r, &c, 100000, 0); /* RTO 300 ms */
	/* §5.5: each expiry doubles, up to the 60 s maximum */
	uint32_t want = 300000;
	for (int i = 0; i < 7; i++) {
		want *= 2;
		assert_int_equal(fxr_tcp_rto_on_expiry(&r, &c), want);
	}
	assert_int_equal(want, 38400000);
	assert_int_equal(fxr_tcp_rto_on_expiry(&r, &c), 60000000); /* 76.8 s clamped */
	for (int i = 0; i < 100; i++)
		assert_int_equal(fxr_tcp_rto_on_expiry(&r, &c), 60000000);
	/* a valid sample ends the back-off: R' = 100 ms, RTTVAR = 3/4 * 50 = 37.5 ms,
	 * RTO = 100 + 150 = 250 ms */
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, 100000, 0));
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 250000);
	/* back-off from the initial 1 s, before any sample */
	fxr_tcp_rto_init(&r, &c);
	assert_int_equal(fxr_tcp_rto_on_expiry(&r, &c), 2000000);
	assert_int_equal(fxr_tcp_rto_on_expiry(&r, &c), 4000000);
}

static void test_karn(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	fxr_tcp_rto_init(&r, &c);
	fxr_tcp_rto_on_rtt(&r, &c, 100000, 0);
	fxr_tcp_rto_on_expiry(&r, &c); /* 600 ms */
	/* the ACK of the retransmission is ambiguous: refused, back-off kept */
	assert_false(fxr_tcp_rto_on_rtt(&r, &c, 5000, FXR_TCP_RTT_RETRANSMITTED));
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 600000);
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 100000);
	/* RFC 7323 §4: the same ACK with a TSecr echo is unambiguous: taken.
	 * R' = 100 ms: RTTVAR = 3/4 * 50 = 37.5, SRTT 100, RTO = 100 + 150 = 250 ms */
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, 100000,
					FXR_TCP_RTT_RETRANSMITTED | FXR_TCP_RTT_TIMESTAMP));
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 250000);
	/* a timestamp sample of a fresh segment is taken too */
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, 100000, FXR_TCP_RTT_TIMESTAMP));
}

static void test_sample_clamp(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	fxr_tcp_rto_init(&r, &c);
	/* a 10000 s "sample" (a stale timestamp) counts as 60 s and cannot overflow */
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, UINT32_MAX, 0));
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 60000000);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 60000000);
	assert_true(fxr_tcp_rto_on_rtt(&r, &c, 0, 0)); /* 0 µs is a valid sample */
	assert_int_equal(fxr_tcp_rto_srtt_us(&r), 52500000);
}

static void test_syn_lost(void **state)
{
	(void)state;
	struct fxr_tcp_rto_cfg c = cfg_default();
	struct fxr_tcp_rto r;

	fxr_tcp_rto_init(&r, &c);
	fxr_tcp_rto_on_expiry(&r, &c); /* the SYN timed out */
	fxr_tcp_rto_syn_lost(&r, &c);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 3000000); /* §5.7 */
	/* with a sample, no effect */
	fxr_tcp_rto_on_rtt(&r, &c, 100000, 0);
	fxr_tcp_rto_syn_lost(&r, &c);
	assert_int_equal(fxr_tcp_rto_current(&r, &c), 300000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cfg_check),
		cmocka_unit_test(test_first_and_second_sample),
		cmocka_unit_test(test_converges_and_min_clamp),
		cmocka_unit_test(test_granularity),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_karn),
		cmocka_unit_test(test_sample_clamp),
		cmocka_unit_test(test_syn_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
