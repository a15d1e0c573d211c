/* tests/integration/test_dp_fault.c: the dataplane's seeded fault injector (dataplane/fault.c)
 * on real mbufs, without a port: EAL runs in memory without hugepages. Time is a fake TSC of
 * 1 MHz (one tick a microsecond), so delays are exact and nothing sleeps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "config-t.h"
#include "dp_test.h"
#include "counters-t.h"
#include "fault.h"

#define HZ 1000000u
#define POOL_SIZE 1023u
#define PKT_LEN 64u

static struct rte_mempool *pool;

/* A packet whose payload is its sequence number in every byte pair. */
static struct rte_mbuf *pkt(uint16_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, PKT_LEN);
	assert_non_null(p);
	for (unsigned int i = 0; i < PKT_LEN; i += 2) {
		p[i] = (uint8_t)(seq >> 8);
		p[i + 1] = (uint8_t)seq;
	}
	return m;
}

static uint16_t seq_of(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	return (uint16_t)(p[0] << 8 | p[1]);
}

static void spec_init(struct fxr_fault_spec *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->enabled = true;
	s->delay_us = 1000;
	s->seed = seed;
}

static void free_all(struct rte_mbuf **pkts, uint16_t n)
{
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Runs n packets (seq 0..n) through f in bursts of 32 at time now; seqs[] gets what came out. */
static unsigned int run(struct fxr_fault *f, struct fxr_counters *c, unsigned int n,
	uint64_t now, uint16_t *seqs)
{
	struct rte_mbuf *pkts[2 * 32 + FXR_FAULT_HELD_MAX];
	unsigned int out = 0;

	for (unsigned int base = 0; base < n; base += 32) {
		uint16_t k = (uint16_t)(n - base < 32 ? n - base : 32);
		uint16_t got;

		for (uint16_t i = 0; i < k; i++)
			pkts[i] = pkt((uint16_t)(base + i));
		got = fxr_fault_apply_burst(f, c, pool, pkts, k, RTE_DIM(pkts), now);
		for (uint16_t i = 0; i < got; i++)
			seqs[out++] = seq_of(pkts[i]);
		free_all(pkts, got);
	}
	return out;
}

static void test_no_fault_passes_everything_in_order(void **state)
{
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	uint16_t seqs[100];

	(void)state;
	spec_init(&s, 1);
	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	assert_int_equal(run(&f, &c, 100, 0, seqs), 100);
	for (unsigned int i = 0; i < 100; i++)
		assert_int_equal(seqs[i], i);
	for (unsigned int i = 0; i < FXR_CTR__COUNT; i++)
		assert_int_equal(c.v[i], 0);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_drop_all_frees_and_counts(void **state)
{
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	uint16_t seqs[100];

	(void)state;
	spec_init(&s, 1);
	s.drop = 1.0;
	fxr_fault_init(&f, &s, FXR_FAULT_TX, HZ);
	assert_int_equal(run(&f, &c, 100, 0, seqs), 0);
	assert_int_equal(c.v[FXR_CTR_fault_tx_drop], 100);
	assert_int_equal(c.v[FXR_CTR_fault_rx_drop], 0);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_drop_rate_and_seed_determinism(void **state)
{
	static uint16_t a[4000], b[4000], d[4000];
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	unsigned int na, nb, nd;

	(void)state;
	spec_init(&s, 42);
	s.drop = 0.3;
	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	na = run(&f, &c, 4000, 0, a);
	/* 30% of 4000 is 1200; with this seed the draw is fixed, the bounds only say "about" */
	assert_in_range(c.v[FXR_CTR_fault_rx_drop], 1000, 1400);
	assert_int_equal(na + c.v[FXR_CTR_fault_rx_drop], 4000);

	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	nb = run(&f, &c, 4000, 0, b);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(a[0]));

	s.seed = 43;
	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	nd = run(&f, &c, 4000, 0, d);
	assert_true(nd != na || memcmp(a, d, na * sizeof(a[0])) != 0);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_dup_all_gives_identical_copies(void **state)
{
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	uint16_t seqs[40];

	(void)state;
	spec_init(&s, 7);
	s.dup = 1.0;
	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	assert_int_equal(run(&f, &c, 20, 0, seqs), 40);
	for (unsigned int i = 0; i < 20; i++) {
		assert_int_equal(seqs[2 * i], i);
		assert_int_equal(seqs[2 * i + 1], i);
	}
	assert_int_equal(c.v[FXR_CTR_fault_rx_dup], 20);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_delay_holds_until_due(void **state)
{
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	struct rte_mbuf *pkts[2 * 32 + FXR_FAULT_HELD_MAX];
	uint16_t seqs[10];
	uint16_t n;

	(void)state;
	spec_init(&s, 3);
	s.delay = 1.0;
	s.delay_us = 500;
	fxr_fault_init(&f, &s, FXR_FAULT_TX, HZ);
	assert_int_equal(run(&f, &c, 10, 1000, seqs), 0);
	assert_int_equal(c.v[FXR_CTR_fault_tx_delay], 10);
	assert_int_equal(f.n_held, 10);

	n = fxr_fault_apply_burst(&f, &c, pool, pkts, 0, RTE_DIM(pkts), 1499);
	assert_int_equal(n, 0);
	n = fxr_fault_apply_burst(&f, &c, pool, pkts, 0, RTE_DIM(pkts), 1500);
	assert_int_equal(n, 10);
	for (uint16_t i = 0; i < n; i++)
		assert_int_equal(seq_of(pkts[i]), i);
	free_all(pkts, n);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_delay_queue_is_bounded(void **state)
{
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	uint16_t seqs[100];

	(void)state;
	spec_init(&s, 3);
	s.delay = 1.0;
	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	/* the first FXR_FAULT_HELD_MAX are held, the rest pass untouched */
	assert_int_equal(run(&f, &c, 100, 0, seqs), 100 - FXR_FAULT_HELD_MAX);
	assert_int_equal(seqs[0], FXR_FAULT_HELD_MAX);
	assert_int_equal(c.v[FXR_CTR_fault_rx_delay], FXR_FAULT_HELD_MAX);
	assert_int_equal(c.v[FXR_CTR_fault_rx_queue_full], 100 - FXR_FAULT_HELD_MAX);
	fxr_fault_flush(&f);
	assert_int_equal(f.n_held, 0);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_reorder_permutes_and_loses_nothing(void **state)
{
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	struct rte_mbuf *pkts[2 * 32 + FXR_FAULT_HELD_MAX];
	uint16_t seqs[200];
	unsigned int n, inversions = 0;
	uint8_t seen[200] = { 0 };

	(void)state;
	spec_init(&s, 11);
	s.reorder = 0.2;
	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	n = run(&f, &c, 200, 0, seqs);
	/* the stragglers still held come out after the reorder limit */
	uint16_t late = fxr_fault_apply_burst(&f, &c, pool, pkts, 0, RTE_DIM(pkts),
		FXR_FAULT_REORDER_MAX_US);
	for (uint16_t i = 0; i < late; i++)
		seqs[n++] = seq_of(pkts[i]);
	free_all(pkts, late);

	assert_int_equal(n, 200);
	for (unsigned int i = 0; i < n; i++) {
		assert_false(seen[seqs[i]]);
		seen[seqs[i]] = 1;
		if (i > 0 && seqs[i] < seqs[i - 1])
			inversions++;
	}
	assert_true(c.v[FXR_CTR_fault_rx_reorder] > 0);
	assert_true(inversions > 0);
	assert_int_equal(f.n_held, 0);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
}

static void test_corrupt_flips_one_bit(void **state)
{
	struct fxr_fault_spec s;
	struct fxr_fault f;
	struct fxr_counters c = { 0 };
	struct rte_mbuf *pkts[2 * 32 + FXR_FAULT_HELD_MAX];
	uint16_t n;

	(void)state;
	spec_init(&s, 5);
	s.corrupt = 1.0;
	fxr_fault_init(&f, &s, FXR_FAULT_RX, HZ);
	for (uint16_t i = 0; i < 16; i++)
		pkts[i] = pkt(0x5a5a);
	n = fxr_fault_apply_burst(&f, &c, pool, pkts, 16, RTE_DIM(pkts), 0);
	assert_int_equal(n, 16);
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		unsigned int bits = 0;

		for (unsigned int b = 0; b < PKT_LEN; b++)
			bits += (unsigned int)__builtin_popcount(p[b] ^ 0x5a);
		assert_int_equal(bits, 1);
	}
	free_all(pkts, n);
	assert_int_equal(c.v[FXR_CTR_fault_rx_corrupt], 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_fault_passes_everything_in_order),
		cmocka_unit_test(test_drop_all_frees_and_counts),
		cmocka_unit_test(test_drop_rate_and_seed_determinism),
		cmocka_unit_test(test_dup_all_gives_identical_copies),
		cmocka_unit_test(test_delay_holds_until_due),
		cmocka_unit_test(test_delay_queue_is_bounded),
		cmocka_unit_test(test_reorder_permutes_and_loses_nothing),
		cmocka_unit_test(test_corrupt_flips_one_bit),
	};

	pool = dp_test_eal_start("test_dp_fault", POOL_SIZE, 0);
	if (pool == NULL)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	dp_test_eal_stop(pool);
	return rc;
}
