/* tcp_timer_wheel: every timer fires once, at its tick, when time is walked tick by tick;
 * none is lost or duplicated across revolutions, jumps, budgets, and callbacks that stop,
 * restart or re-arm timers of the same wheel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_timer_wheel.h"

#define NSLOTS 64u

/* An owner with an embedded timer, as a TCB will have. */
struct conn {
	uint32_t id;
	struct fxr_tw_timer rto;
	uint64_t fired_at; /* wheel's now at the (last) callback */
	uint32_t fires;
	uint64_t due;      /* tick the test expects it at */
};

struct ctx {
	struct fxr_tw *w;
	uint32_t order[64];
	uint32_t norder;
	/* actions for callbacks */
	struct conn *stop_victim;   /* stopped by the first callback that runs */
	uint64_t rearm_period;      /* re-arm the firing timer this many ticks out */
	uint32_t total;
};

static void on_expire(struct fxr_tw_timer *t, void *arg)
{
	struct ctx *c = arg;
	struct conn *cn = fxr_tw_owner(t, struct conn, rto);

	assert_false(fxr_tw_pending(t)); /* off the wheel before the callback */
	cn->fires++;
	cn->fired_at = c->w->now;
	c->total++;
	if (c->norder < 64)
		c->order[c->norder++] = cn->id;
	if (c->stop_victim) {
		fxr_tw_stop(c->w, &c->stop_victim->rto);
		c->stop_victim = NULL;
	}
	if (c->rearm_period)
		fxr_tw_start(c->w, t, c->rearm_period);
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64: deterministic, no libc rand() state */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_init_checks(void **state)
{
	(void)state;
	struct fxr_tw w;
	struct fxr_tw_link slots[8];

	assert_int_equal(fxr_tw_init(&w, slots, 6, 1000, 0), -EINVAL);
	assert_int_equal(fxr_tw_init(&w, slots, 1, 1000, 0), -EINVAL);
	assert_int_equal(fxr_tw_init(&w, slots, 8, 0, 0), -EINVAL);
	assert_int_equal(fxr_tw_init(&w, NULL, 8, 1000, 0), -EINVAL);
	assert_int_equal(fxr_tw_init(&w, slots, 8, 1000, 77), 0);
	assert_int_equal(w.now, 77);
	/* µs to ticks rounds up: a timer never fires early */
	assert_int_equal(fxr_tw_us_to_ticks(&w, 1), 1);
	assert_int_equal(fxr_tw_us_to_ticks(&w, 1000), 1);
	assert_int_equal(fxr_tw_us_to_ticks(&w, 1001), 2);
	assert_int_equal(fxr_tw_us_to_ticks(&w, 200000), 200);
}

static void test_many_timers_exact(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn *cs = calloc(N, sizeof(*cs));
	struct ctx c = { .w = &w };
	uint64_t rng = 0x9E3779B97F4A7C15ull;
	const uint64_t t0 = 1000;

	assert_non_null(cs);
	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, t0), 0);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t d = 1 + rng_next(&rng) % (5 * NSLOTS); /* up to five revolutions */
		cs[i].id = i;
		cs[i].due = t0 + d;
		fxr_tw_start(&w, &cs[i].rto, d);
		assert_int_equal(fxr_tw_remaining(&w, &cs[i].rto), d);
	}
	assert_int_equal(w.pending, N);
	uint32_t fired = 0;
	for (uint64_t now = t0 + 1; now <= t0 + 5 * NSLOTS; now++) {
		fired += fxr_tw_advance(&w, now, on_expire, &c);
		assert_int_equal(w.pending, N - fired);
	}
	assert_int_equal(fired, N);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(cs[i].fires, 1);
		assert_int_equal(cs[i].fired_at, cs[i].due); /* never early, never late */
	}
	free(cs);
}

static void test_order_within_one_call(void **state)
{
	(void)state;
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn cs[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };
	struct ctx c = { .w = &w };

	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	fxr_tw_start(&w, &cs[0].rto, 10);
	fxr_tw_start(&w, &cs[1].rto, 5);
	fxr_tw_start(&w, &cs[2].rto, 7);
	fxr_tw_start(&w, &cs[3].rto, 21); /* after the advance target */
	assert_int_equal(fxr_tw_advance(&w, 20, on_expire, &c), 3);
	assert_int_equal(c.norder, 3);
	assert_int_equal(c.order[0], 1);
	assert_int_equal(c.order[1], 2);
	assert_int_equal(c.order[2], 0);
	assert_true(fxr_tw_pending(&cs[3].rto));
	assert_int_equal(fxr_tw_remaining(&w, &cs[3].rto), 1);
	/* advancing to the same tick again, or backwards, fires nothing */
	assert_int_equal(fxr_tw_advance(&w, 20, on_expire, &c), 0);
	assert_int_equal(fxr_tw_advance(&w, 3, on_expire, &c), 0);
	assert_int_equal(w.now, 20);
	assert_int_equal(fxr_tw_advance(&w, 21, on_expire, &c), 1);
}

static void test_stop_and_restart(void **state)
{
	(void)state;
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn a = { .id = 1 }, b = { .id = 2 };
	struct ctx c = { .w = &w };

	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	fxr_tw_stop(&w, &a.rto); /* stopping an idle timer is a no-op */
	assert_int_equal(w.pending, 0);

	fxr_tw_start(&w, &a.rto, 10);
	fxr_tw_start(&w, &b.rto, 10);
	fxr_tw_stop(&w, &b.rto);
	assert_false(fxr_tw_pending(&b.rto));
	assert_int_equal(w.pending, 1);
	/* restart pushes a out to 30: nothing at 10 */
	fxr_tw_advance(&w, 5, on_expire, &c);
	fxr_tw_restart(&w, &a.rto, 25);
	assert_int_equal(fxr_tw_advance(&w, 29, on_expire, &c), 0);
	assert_int_equal(fxr_tw_advance(&w, 30, on_expire, &c), 1);
	assert_int_equal(a.fired_at, 30);
	assert_int_equal(b.fires, 0);
	/* restart of an idle timer just starts it; 0 ticks means the next tick */
	fxr_tw_restart(&w, &b.rto, 0);
	assert_int_equal(fxr_tw_remaining(&w, &b.rto), 1);
	assert_int_equal(fxr_tw_advance(&w, 31, on_expire, &c), 1);
	/* start_at in the past is moved to the next tick */
	fxr_tw_start_at(&w, &b.rto, 3);
	assert_int_equal(b.rto.expiry, 32);
	assert_int_equal(fxr_tw_advance(&w, 32, on_expire, &c), 1);
	assert_int_equal(b.fires, 2);
}

static void test_cancel_during_expiry(void **state)
{
	(void)state;
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn a = { .id = 1 }, b = { .id = 2 }, d = { .id = 3 };
	struct ctx c = { .w = &w };

	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	/* a and b in the same slot and tick: a's callback stops b, which sits in the
	 * detached list the wheel is walking */
	fxr_tw_start(&w, &a.rto, 4);
	fxr_tw_start(&w, &b.rto, 4);
	/* d is due later in the same call: stopped from a callback before its turn */
	fxr_tw_start(&w, &d.rto, 6);
	c.stop_victim = &b;
	assert_int_equal(fxr_tw_advance(&w, 4, on_expire, &c), 1);
	assert_int_equal(a.fires, 1);
	assert_int_equal(b.fires, 0);
	assert_false(fxr_tw_pending(&b.rto));
	assert_int_equal(w.pending, 1);

	fxr_tw_start(&w, &a.rto, 1); /* due 5, before d at 6 */
	c.stop_victim = &d;
	assert_int_equal(fxr_tw_advance(&w, 10, on_expire, &c), 1);
	assert_int_equal(d.fires, 0);
	assert_int_equal(w.pending, 0);
}

static void test_rearm_in_callback(void **state)
{
	(void)state;
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn a = { .id = 1 };
	struct ctx c = { .w = &w, .rearm_period = 5 };

	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	fxr_tw_start(&w, &a.rto, 5);
	/* walked tick by tick, a periodic timer fires every 5 ticks */
	for (uint64_t now = 1; now <= 100; now++)
		fxr_tw_advance(&w, now, on_expire, &c);
	assert_int_equal(a.fires, 20);
	assert_true(fxr_tw_pending(&a.rto));
	/* one call over 100 ticks: callbacks see now = 200, so it fires once and is re-armed
	 * at 205 (no storm of catch-up firings) */
	assert_int_equal(fxr_tw_advance(&w, 200, on_expire, &c), 1);
	assert_int_equal(a.rto.expiry, 205);
	/* a callback re-arming with 0 delay does not fire again within the same call */
	c.rearm_period = 0;
	fxr_tw_stop(&w, &a.rto);
	fxr_tw_start(&w, &a.rto, 1);
	c.rearm_period = 0;
	assert_int_equal(fxr_tw_advance(&w, 201, on_expire, &c), 1);
	fxr_tw_start(&w, &a.rto, 0); /* from outside a callback: next tick */
	assert_int_equal(fxr_tw_advance(&w, 201, on_expire, &c), 0);
	assert_int_equal(fxr_tw_advance(&w, 202, on_expire, &c), 1);
	/* a re-arm one full revolution out lands in the slot being walked: not fired now */
	c.rearm_period = NSLOTS;
	fxr_tw_start(&w, &a.rto, 1);
	uint32_t before = a.fires;
	assert_int_equal(fxr_tw_advance(&w, 203, on_expire, &c), 1);
	assert_int_equal(a.fires, before + 1);
	assert_int_equal(a.rto.expiry, 203 + NSLOTS);
	c.rearm_period = 0;
	assert_int_equal(fxr_tw_advance(&w, 203 + NSLOTS - 1, on_expire, &c), 0);
	assert_int_equal(fxr_tw_advance(&w, 203 + NSLOTS, on_expire, &c), 1);
}

static void test_long_timers(void **state)
{
	(void)state;
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn a = { .id = 1 }, b = { .id = 2 };
	struct ctx c = { .w = &w };

	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	/* 1000 ticks on a 64-slot wheel: the slot is passed 15 times before it is due */
	fxr_tw_start(&w, &a.rto, 1000);
	fxr_tw_start(&w, &b.rto, 1000 - NSLOTS); /* same slot, one revolution earlier */
	for (uint64_t now = 1; now <= 1100; now++) {
		fxr_tw_advance(&w, now, on_expire, &c);
		assert_int_equal(a.fires, now >= 1000 ? 1 : 0);
		assert_int_equal(b.fires, now >= 1000 - NSLOTS ? 1 : 0);
	}
	assert_int_equal(a.fired_at, 1000);
	assert_int_equal(b.fired_at, 1000 - NSLOTS);
}

static void test_tick_jumps(void **state)
{
	(void)state;
	enum { N = 300 };
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn cs[N];
	struct ctx c = { .w = &w };

	memset(cs, 0, sizeof(cs));
	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	for (uint32_t i = 0; i < N; i++) {
		cs[i].id = i;
		fxr_tw_start(&w, &cs[i].rto, 1 + (uint64_t)i * 37); /* up to 11064 ticks */
	}
	/* right behind and right after the jump target, in slots the jump walks past */
	struct conn edge[3] = { { .id = 1000 }, { .id = 1001 }, { .id = 1002 } };
	fxr_tw_start_at(&w, &edge[0].rto, 5000);
	fxr_tw_start_at(&w, &edge[1].rto, 5001);
	fxr_tw_start_at(&w, &edge[2].rto, 5000 + NSLOTS);
	/* jump over many revolutions: everything due by 5000 fires, once, nothing later */
	uint32_t fired = fxr_tw_advance(&w, 5000, on_expire, &c);
	assert_int_equal(edge[0].fires, 1);
	assert_int_equal(edge[1].fires, 0);
	assert_int_equal(edge[2].fires, 0);
	fired--;
	fxr_tw_stop(&w, &edge[1].rto);
	fxr_tw_stop(&w, &edge[2].rto);
	uint32_t want = 0;
	for (uint32_t i = 0; i < N; i++) {
		bool due = 1 + (uint64_t)i * 37 <= 5000;
		want += due;
		assert_int_equal(cs[i].fires, due ? 1 : 0);
		assert_int_equal(fxr_tw_pending(&cs[i].rto), !due);
		if (!due)
			assert_int_equal(fxr_tw_remaining(&w, &cs[i].rto), 1 + (uint64_t)i * 37 - 5000);
	}
	assert_int_equal(fired, want);
	/* a jump smaller than a revolution, then a huge one (2^40 ticks: bounded work) */
	fired += fxr_tw_advance(&w, 5030, on_expire, &c);
	fired += fxr_tw_advance(&w, (uint64_t)1 << 40, on_expire, &c);
	assert_int_equal(fired, N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(cs[i].fires, 1);
	assert_int_equal(w.pending, 0);
	/* the wheel keeps working at the new time */
	fxr_tw_start(&w, &cs[0].rto, 3);
	assert_int_equal(fxr_tw_advance(&w, ((uint64_t)1 << 40) + 2, on_expire, &c), 0);
	assert_int_equal(fxr_tw_advance(&w, ((uint64_t)1 << 40) + 3, on_expire, &c), 1);
}

static void test_budget(void **state)
{
	(void)state;
	enum { N = 100 };
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn cs[N];
	struct ctx c = { .w = &w };

	memset(cs, 0, sizeof(cs));
	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	for (uint32_t i = 0; i < N; i++)
		fxr_tw_start(&w, &cs[i].rto, i < 80 ? 10 : 11 + i); /* 80 in one slot */
	assert_int_equal(fxr_tw_advance_budget(&w, 10, on_expire, &c, 30), 30);
	assert_int_equal(fxr_tw_advance_budget(&w, 10, on_expire, &c, 30), 30);
	/* a timer started meanwhile is not lost by the resumed walk */
	struct conn late = { .id = 999 };
	fxr_tw_start(&w, &late.rto, 1); /* due 11 */
	assert_int_equal(fxr_tw_advance_budget(&w, 10, on_expire, &c, 30), 20);
	assert_int_equal(fxr_tw_advance_budget(&w, 10, on_expire, &c, 30), 0);
	assert_int_equal(late.fires, 0);
	assert_int_equal(fxr_tw_advance_budget(&w, 11, on_expire, &c, 30), 1);
	assert_int_equal(late.fires, 1);
	/* budget across a multi-revolution jump, resumed by later calls: each fires once */
	uint32_t fired = 0;
	for (int k = 0; k < 10 && w.pending; k++)
		fired += fxr_tw_advance_budget(&w, 100000, on_expire, &c, 7);
	assert_int_equal(fired, N - 80);
	assert_int_equal(w.pending, 0);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(cs[i].fires, 1);
}

static void test_budget_jump_then_walk(void **state)
{
	(void)state;
	enum { N = 200 };
	struct fxr_tw w;
	struct fxr_tw_link slots[NSLOTS];
	struct conn cs[N];
	struct ctx c = { .w = &w };
	uint64_t rng = 12345;

	memset(cs, 0, sizeof(cs));
	assert_int_equal(fxr_tw_init(&w, slots, NSLOTS, 1000, 0), 0);
	for (uint32_t i = 0; i < N; i++) {
		cs[i].due = 1 + rng_next(&rng) % 1000;
		fxr_tw_start(&w, &cs[i].rto, cs[i].due);
	}
	/* a budget-cut jump to 500, then tick-by-tick: nothing due is ever skipped, nothing
	 * fires before its tick */
	fxr_tw_advance_budget(&w, 500, on_expire, &c, 5);
	for (uint64_t now = 500; now <= 1000; now++) {
		fxr_tw_advance_budget(&w, now, on_expire, &c, 5);
		for (uint32_t i = 0; i < N; i++)
			if (cs[i].fires)
				assert_true(cs[i].due <= cs[i].fired_at);
	}
	for (int k = 0; k < 100 && w.pending; k++)
		fxr_tw_advance_budget(&w, 1000, on_expire, &c, 5);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(cs[i].fires, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_many_timers_exact),
		cmocka_unit_test(test_order_within_one_call),
		cmocka_unit_test(test_stop_and_restart),
		cmocka_unit_test(test_cancel_during_expiry),
		cmocka_unit_test(test_rearm_in_callback),
		cmocka_unit_test(test_long_timers),
		cmocka_unit_test(test_tick_jumps),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_jump_then_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
