/* bench/micro/dp_tcp_drive.c: the TCP stack's per-segment paths and its TCB table, driven
 * for the microbenchmarks (dp_fixture.h): input of in-order data on an established
 * connection, output of full-size segments with the peer's ACKs, lookups hit and miss. */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "counters.h"
#include "dp_env.h"
#include "dp_fixture.h"
#include "lcore-t.h"
#include "tcp.h"
#include "tcp_internal.h"

#define SINK_PORT 9
#define POOL_MBUFS 8191u
/* The output benchmark's window must hold a whole batch: slow-start rounds allowed. */
#define WARMUP_ROUNDS_MAX 64
#define SCRAMBLE_STRIDE 7919u

struct bench_tcp {
	struct dp_env env;
	struct dp_peer peer;
	struct rte_mbuf *seg[DP_BATCH_MAX];  /* input: the peer's segments; output: payloads */
	struct rte_mbuf *ack[DP_BATCH_MAX];  /* output: the peer's ACKs */
	unsigned int n_seg, n_ack;
	uint32_t expect;                     /* input: rcv_nxt after the batch; output: snd_una */
};

/* ---- the application: takes every byte and gives the window back at once ---- */

static void *sink_accept(struct fxr_lcore *lc, struct fxr_tcb *tcb, void *ctx)
{
	(void)lc;
	(void)tcb;
	return ctx;
}

static void sink_data(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m, uint32_t len)
{
	rte_pktmbuf_free(m);
	fxr_tcp_recv_done(lc, tcb, len);
}

static const struct fxr_tcp_app sink_app = {
	.name = "bench-sink",
	.on_accept = sink_accept,
	.on_data = sink_data,
};

static void free_batch(struct bench_tcp *t)
{
	rte_pktmbuf_free_bulk(t->seg, t->n_seg);
	rte_pktmbuf_free_bulk(t->ack, t->n_ack);
	t->n_seg = t->n_ack = 0;
}

struct bench_tcp *bench_tcp_open(struct bench_port port)
{
	struct bench_tcp *t;
	struct fxr_tcp_cfg tc;

	if (dp_eal_start() != 0)
		return NULL;
	t = rte_zmalloc("bench_tcp", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL) {
		dp_fail("no memory");
		return NULL;
	}
	fxr_tcp_cfg_default(&tc);
	tc.max_tcbs = 64;
	tc.tx_seg_max = port.tx_seg_max;
	if (dp_env_open(&t->env, 1, POOL_MBUFS, &tc, port.tx_cksum_offload) != 0) {
		rte_free(t);
		return NULL;
	}
	if (fxr_tcp_listen(t->env.lc, SINK_PORT, &sink_app, t) != 0
		|| dp_peer_connect(&t->env, &t->peer, 40000, SINK_PORT) != 0) {
		if (bench_dp_error()[0] == '\0')
			dp_fail("listen on port %u failed", SINK_PORT);
		bench_tcp_close(t);
		return NULL;
	}
	return t;
}

int bench_tcp_close(struct bench_tcp *t)
{
	int rc;

	if (t == NULL)
		return 0;
	free_batch(t);
	rc = dp_env_close(&t->env);
	rte_free(t);
	return rc;
}

uint32_t bench_tcp_seg_max(const struct bench_tcp *t)
{
	return fxr_tcp_seg_max(t->env.lc->tcp, t->peer.tcb);
}

/* ---- input ---- */

int bench_tcp_input_prep(struct bench_tcp *t, unsigned int n, uint32_t payload,
	bool rx_cksum_good)
{
	struct dp_peer *p = &t->peer;

	free_batch(t);
	if (n == 0 || n > DP_BATCH_MAX || payload == 0 || payload > bench_tcp_seg_max(t))
		return dp_fail("input batch of %u segments of %u bytes: out of range", n, payload);
	t->expect = p->tcb->rcv_nxt + n * payload;
	for (unsigned int i = 0; i < n; i++) {
		t->seg[i] = dp_peer_segment(&t->env, p, RTE_TCP_ACK_FLAG, p->snd_nxt, p->rcv_nxt,
			NULL, payload, rx_cksum_good);
		if (t->seg[i] == NULL)
			return dp_fail("pool empty after %u segments", i);
		t->n_seg = i + 1;
		p->snd_nxt += payload;
	}
	return 0;
}

int bench_tcp_input_run(struct bench_tcp *t, uint64_t *cycles)
{
	struct fxr_lcore *lc = t->env.lc;
	uint64_t drops = dp_env_tcp_drops(&t->env);
	uint64_t start = rte_rdtsc_precise();

	for (unsigned int i = 0; i < t->n_seg; i += DP_BURST) {
		unsigned int end = RTE_MIN(i + DP_BURST, t->n_seg);

		dp_env_tick(&t->env);
		for (unsigned int j = i; j < end; j++)
			fxr_tcp_input(lc, t->seg[j]);
		fxr_tcp_flush(lc);
		dp_env_sink(&t->env);
	}
	*cycles = rte_rdtsc_precise() - start;
	t->n_seg = 0; /* the stack took them */
	if (t->peer.tcb->rcv_nxt != t->expect || dp_env_tcp_drops(&t->env) != drops)
		return dp_fail("input: rcv_nxt %u, want %u; %lu segments dropped",
			t->peer.tcb->rcv_nxt, t->expect,
			(unsigned long)(dp_env_tcp_drops(&t->env) - drops));
	return 0;
}

/* ---- output ---- */

/* Payload mbufs for n full-size segments, and the peer's ACKs for them: one per two
 * segments (RFC 5681 §4.2), the last covering everything. */
static int output_batch(struct bench_tcp *t, unsigned int n)
{
	struct dp_peer *p = &t->peer;
	uint32_t seg = bench_tcp_seg_max(t);
	uint32_t base = p->tcb->snd_max;

	free_batch(t);
	if (rte_pktmbuf_alloc_bulk(t->env.mp, t->seg, n) != 0)
		return dp_fail("pool empty for %u payloads", n);
	t->n_seg = n;
	for (unsigned int i = 0; i < n; i++)
		if (rte_pktmbuf_append(t->seg[i], (uint16_t)seg) == NULL)
			return dp_fail("an mbuf has no room for %u bytes", seg);
	for (unsigned int i = 2; i <= n + 1; i += 2) {
		uint32_t acked = RTE_MIN(i, n) * seg;

		t->ack[t->n_ack] = dp_peer_segment(&t->env, p, RTE_TCP_ACK_FLAG, p->snd_nxt,
			base + acked, NULL, 0, false);
		if (t->ack[t->n_ack] == NULL)
			return dp_fail("pool empty for ACKs");
		t->n_ack++;
	}
	t->expect = base + n * seg;
	return 0;
}

static int output_run(struct bench_tcp *t)
{
	struct fxr_lcore *lc = t->env.lc;
	struct fxr_tcb *tcb = t->peer.tcb;
	uint64_t drops = dp_env_tcp_drops(&t->env);
	uint64_t sent = 0;

	for (unsigned int i = 0; i < t->n_seg; i += DP_BURST) {
		unsigned int end = RTE_MIN(i + DP_BURST, t->n_seg);

		dp_env_tick(&t->env);
		for (unsigned int j = i; j < end; j++) {
			if (fxr_tcp_send(lc, tcb, t->seg[j]) != 0) {
				/* it freed seg[j]; the rest are still ours */
				rte_pktmbuf_free_bulk(t->seg + j + 1, t->n_seg - j - 1);
				t->n_seg = 0;
				return dp_fail("fxr_tcp_send refused a segment");
			}
		}
		fxr_tcp_flush(lc);
		sent += dp_env_sink(&t->env);
	}
	t->n_seg = 0;
	for (unsigned int i = 0; i < t->n_ack; i += DP_BURST) {
		unsigned int end = RTE_MIN(i + DP_BURST, t->n_ack);

		for (unsigned int j = i; j < end; j++)
			fxr_tcp_input(lc, t->ack[j]);
		fxr_tcp_flush(lc);
		sent += dp_env_sink(&t->env);
	}
	t->n_ack = 0;
	if (tcb->snd_una != t->expect || tcb->snd_max != t->expect
		|| dp_env_tcp_drops(&t->env) != drops)
		return dp_fail("output: snd_una %u snd_max %u, want %u (%lu segments out, "
			"cwnd %u); %lu dropped", tcb->snd_una, tcb->snd_max, t->expect,
			(unsigned long)sent, tcb->cc.cwnd,
			(unsigned long)(dp_env_tcp_drops(&t->env) - drops));
	return 0;
}

int bench_tcp_output_prep(struct bench_tcp *t, unsigned int n)
{
	struct fxr_tcb *tcb = t->peer.tcb;
	uint32_t seg = bench_tcp_seg_max(t);

	if (n < 2 || n % 2 != 0 || n > DP_BATCH_MAX)
		return dp_fail("output batch of %u segments: out of range", n);
	/* slow start: what cwnd allows, acknowledged, until a whole batch fits */
	for (int round = 0; tcb->cc.cwnd < n * seg; round++) {
		unsigned int fit = RTE_MIN(tcb->cc.cwnd / seg, n) & ~1u;

		if (round == WARMUP_ROUNDS_MAX || fit == 0)
			return dp_fail("cwnd %u still below %u segments", tcb->cc.cwnd, n);
		if (output_batch(t, fit) != 0 || output_run(t) != 0)
			return -1;
	}
	return output_batch(t, n);
}

int bench_tcp_output_run(struct bench_tcp *t, uint64_t *cycles)
{
	uint64_t start = rte_rdtsc_precise();
	int rc = output_run(t);

	*cycles = rte_rdtsc_precise() - start;
	return rc;
}

/* ---- the TCB table ---- */

struct bench_tcb_table {
	struct dp_env env;
	uint32_t n;
	uint32_t pos;                /* next index in the key arrays */
	/* keys in a scrambled order, so that a walk through the array (what the benchmark
	 * does) probes the table far apart each time */
	struct fxr_tcp_key *present; /* n keys in the table */
	struct fxr_tcp_key *absent;  /* n keys that are not */
};

/* The i-th key of a set: 64 connections per remote address, the local port telling the
 * sets apart. */
static struct fxr_tcp_key table_key(uint32_t i, uint16_t lport)
{
	struct fxr_tcp_key k;

	memset(&k, 0, sizeof(k));
	k.raddr = rte_cpu_to_be_32(RTE_IPV4(100, 64, 0, 0) + i / 64);
	k.rport = rte_cpu_to_be_16((uint16_t)(40000 + i % 64));
	k.lport = rte_cpu_to_be_16(lport);
	return k;
}

struct bench_tcb_table *bench_tcb_table_open(uint32_t n)
{
	struct bench_tcb_table *tt;
	struct fxr_tcp_cfg tc;

	if (dp_eal_start() != 0)
		return NULL;
	tt = rte_zmalloc("bench_tcb_table", sizeof(*tt), RTE_CACHE_LINE_SIZE);
	if (tt == NULL) {
		dp_fail("no memory");
		return NULL;
	}
	tt->n = n;
	tt->present = rte_malloc("bench_keys", sizeof(*tt->present) * n, 0);
	tt->absent = rte_malloc("bench_keys", sizeof(*tt->absent) * n, 0);
	fxr_tcp_cfg_default(&tc);
	tc.max_tcbs = n;
	if (tt->present == NULL || tt->absent == NULL
		|| dp_env_open(&tt->env, 2, 511, &tc, false) != 0) {
		if (tt->present == NULL || tt->absent == NULL)
			dp_fail("no memory for %u keys", n);
		bench_tcb_table_close(tt);
		return NULL;
	}
	if (n % SCRAMBLE_STRIDE == 0) {
		dp_fail("%u TCBs: a multiple of the scrambling stride", n);
		bench_tcb_table_close(tt);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		/* i -> i * stride mod n is a permutation: the stride is a prime that n is not
		 * a multiple of */
		uint32_t at = (uint32_t)((uint64_t)i * SCRAMBLE_STRIDE % n);

		tt->present[i] = table_key(at, 4747);
		tt->absent[i] = table_key(at, 4748);
		if (fxr_tcb_alloc(tt->env.lc->tcp, &tt->present[i]) == NULL) {
			dp_fail("TCB %u of %u not inserted", i, n);
			bench_tcb_table_close(tt);
			return NULL;
		}
	}
	return tt;
}

int bench_tcb_table_close(struct bench_tcb_table *tt)
{
	int rc;

	if (tt == NULL)
		return 0;
	rc = dp_env_close(&tt->env);
	rte_free(tt->present);
	rte_free(tt->absent);
	rte_free(tt);
	return rc;
}

uint32_t bench_tcb_lookup_run(struct bench_tcb_table *tt, unsigned int n, bool hit,
	uint64_t *cycles)
{
	struct fxr_tcp_stack *s = tt->env.lc->tcp;
	const struct fxr_tcp_key *keys = hit ? tt->present : tt->absent;
	uint32_t found = 0, pos = tt->pos;
	uint64_t start = rte_rdtsc_precise();

	for (unsigned int i = 0; i < n; i++) {
		found += fxr_tcb_lookup(s, &keys[pos]) != NULL;
		if (++pos == tt->n)
			pos = 0;
	}
	*cycles = rte_rdtsc_precise() - start;
	tt->pos = pos;
	return found;
}
