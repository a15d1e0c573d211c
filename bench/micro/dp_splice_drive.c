/* bench/micro/dp_splice_drive.c: the relay's splice driven for the microbenchmarks
 * (dp_fixture.h): two device connections on the relay port, paired as the control plane
 * pairs them, DATA frames arriving on one and leaving on the other. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/frame-t.h"

#include "counters.h"
#include "dp_env.h"
#include "dp_fixture.h"
#include "dpchan.h"
#include "lcore-t.h"
#include "relay.h"
#include "tcp.h"
#include "tcp_internal.h"

#define RELAY_PORT 4747
#define POOL_MBUFS 8191u
#define WARMUP_ROUNDS_MAX 64

struct bench_splice {
	struct dp_env env;
	struct fxr_chan *chan;
	bool relay_started;
	struct dp_peer a, b;              /* a sends, b receives */
	struct rte_mbuf *seg[DP_BATCH_MAX];  /* a's segments */
	struct rte_mbuf *ack[DP_BATCH_MAX];  /* b's ACKs */
	unsigned int n_seg, n_ack;
	uint32_t bytes;                   /* relayed by the batch */
	uint32_t expect_b;                /* b's snd_una after the batch */
	uint8_t frame[FXR_FRAME_HDR_LEN + 1448];
};

static void free_batch(struct bench_splice *sp)
{
	rte_pktmbuf_free_bulk(sp->seg, sp->n_seg);
	rte_pktmbuf_free_bulk(sp->ack, sp->n_ack);
	sp->n_seg = sp->n_ack = 0;
}

static uint64_t conn_id(const struct dp_peer *p)
{
	return ((const struct fxr_relay_conn *)p->tcb->app_ctx)->id;
}

struct bench_splice *bench_splice_open(struct bench_port port)
{
	struct bench_splice *sp;
	struct fxr_tcp_cfg tc;
	struct fxr_chan_msg pair;
	char name[64], err[256];
	int rc;

	if (dp_eal_start() != 0)
		return NULL;
	sp = rte_zmalloc("bench_splice", sizeof(*sp), RTE_CACHE_LINE_SIZE);
	if (sp == NULL) {
		dp_fail("no memory");
		return NULL;
	}
	fxr_tcp_cfg_default(&tc);
	tc.max_tcbs = 64;
	tc.tx_seg_max = port.tx_seg_max;
	if (dp_env_open(&sp->env, 0, POOL_MBUFS, &tc, port.tx_cksum_offload) != 0) {
		rte_free(sp);
		return NULL;
	}
	snprintf(name, sizeof(name), "bench-splice-%d", (int)getpid());
	rc = fxr_dpchan_create(name, 1, &sp->chan, err, sizeof(err));
	if (rc != 0) {
		dp_fail("channel %s: %s", name, err);
		bench_splice_close(sp);
		return NULL;
	}
	rc = fxr_dpchan_lane_init(sp->env.lc, sp->chan);
	if (rc == 0)
		rc = fxr_relay_start(sp->env.lc, RELAY_PORT);
	sp->relay_started = sp->env.lc->relay != NULL;
	if (rc != 0) {
		dp_fail("relay set-up: %s", strerror(-rc));
		bench_splice_close(sp);
		return NULL;
	}
	if (dp_peer_connect(&sp->env, &sp->a, 41001, RELAY_PORT) != 0
		|| dp_peer_connect(&sp->env, &sp->b, 41002, RELAY_PORT) != 0) {
		bench_splice_close(sp);
		return NULL;
	}
	/* what the control plane sends after ACCEPT (DESIGN.md §2 PENDING -> PAIRED) */
	memset(&pair, 0, sizeof(pair));
	pair.type = FXR_CHAN_T_PAIR;
	pair.lcore = 0;
	pair.connid = conn_id(&sp->a);
	pair.u.pair.peer = conn_id(&sp->b);
	fxr_relay_ctl(sp->env.lc, &pair);
	if (sp->env.lc->ctr.v[FXR_CTR_relay_pairs] != 1) {
		dp_fail("PAIR not applied");
		bench_splice_close(sp);
		return NULL;
	}
	return sp;
}

int bench_splice_close(struct bench_splice *sp)
{
	int rc = 0;

	if (sp == NULL)
		return 0;
	free_batch(sp);
	if (sp->env.lc != NULL) {
		fxr_tcp_fini(sp->env.lc);
		if (sp->relay_started)
			fxr_relay_fini(sp->env.lc);
		if (sp->env.lc->chan != NULL)
			fxr_dpchan_lane_fini(sp->env.lc);
		rc = dp_env_close(&sp->env);
	}
	fxr_chan_close(sp->chan);
	rte_free(sp);
	return rc;
}

void bench_splice_bytes(const struct bench_splice *sp, uint64_t *relayed, uint64_t *copied)
{
	*relayed = sp->env.lc->ctr.v[FXR_CTR_relay_payload_bytes];
	*copied = sp->env.lc->ctr.v[FXR_CTR_relay_copied_bytes];
}

/* a's n segments of one DATA frame each, and b's ACKs for what the relay sends on. */
static int splice_batch(struct bench_splice *sp, unsigned int n, uint32_t seg_bytes,
	bool rx_cksum_good)
{
	struct dp_peer *a = &sp->a, *b = &sp->b;
	uint32_t seg_b = fxr_tcp_seg_max(sp->env.lc->tcp, b->tcb);
	uint32_t base = b->tcb->snd_max, acked = 0;
	uint16_t flen = (uint16_t)(seg_bytes - FXR_FRAME_HDR_LEN);

	free_batch(sp);
	sp->frame[0] = FXR_T_DATA;
	sp->frame[1] = 0;
	sp->frame[2] = (uint8_t)(flen >> 8);
	sp->frame[3] = (uint8_t)flen;
	for (unsigned int i = 0; i < n; i++) {
		sp->seg[i] = dp_peer_segment(&sp->env, a, RTE_TCP_ACK_FLAG, a->snd_nxt, a->rcv_nxt,
			sp->frame, seg_bytes, rx_cksum_good);
		if (sp->seg[i] == NULL)
			return dp_fail("pool empty after %u segments", i);
		sp->n_seg = i + 1;
		a->snd_nxt += seg_bytes;
	}
	sp->bytes = n * seg_bytes;
	/* b acknowledges every second full segment, and the rest at the end */
	while (acked < sp->bytes) {
		acked = RTE_MIN(acked + 2 * seg_b, sp->bytes);
		sp->ack[sp->n_ack] = dp_peer_segment(&sp->env, b, RTE_TCP_ACK_FLAG, b->snd_nxt,
			base + acked, NULL, 0, rx_cksum_good);
		if (sp->ack[sp->n_ack] == NULL)
			return dp_fail("pool empty for ACKs");
		sp->n_ack++;
	}
	sp->expect_b = base + sp->bytes;
	return 0;
}

static int splice_run(struct bench_splice *sp, uint64_t *rx_cycles)
{
	struct fxr_lcore *lc = sp->env.lc;
	const struct fxr_relay_conn *ca = sp->a.tcb->app_ctx;
	uint64_t drops = dp_env_tcp_drops(&sp->env);
	uint64_t relayed = lc->ctr.v[FXR_CTR_relay_payload_bytes];
	uint32_t expect_a = sp->a.tcb->rcv_nxt + sp->bytes;
	uint64_t start = rte_rdtsc_precise();

	for (unsigned int i = 0; i < sp->n_seg; i += DP_BURST) {
		unsigned int end = RTE_MIN(i + DP_BURST, sp->n_seg);

		dp_env_tick(&sp->env);
		for (unsigned int j = i; j < end; j++)
			fxr_tcp_input(lc, sp->seg[j]);
		fxr_tcp_flush(lc);
		dp_env_sink(&sp->env);
	}
	*rx_cycles = rte_rdtsc_precise() - start;
	sp->n_seg = 0;
	for (unsigned int i = 0; i < sp->n_ack; i += DP_BURST) {
		unsigned int end = RTE_MIN(i + DP_BURST, sp->n_ack);

		for (unsigned int j = i; j < end; j++)
			fxr_tcp_input(lc, sp->ack[j]);
		fxr_tcp_flush(lc);
		dp_env_sink(&sp->env);
	}
	sp->n_ack = 0;
	if (sp->a.tcb->rcv_nxt != expect_a || ca->held_head != NULL
		|| lc->ctr.v[FXR_CTR_relay_payload_bytes] - relayed != sp->bytes
		|| sp->b.tcb->snd_una != sp->expect_b || sp->b.tcb->snd_max != sp->expect_b
		|| dp_env_tcp_drops(&sp->env) != drops)
		return dp_fail("splice: a rcv_nxt %u (want %u), %lu bytes relayed (want %u), "
			"b snd_una %u snd_max %u (want %u, cwnd %u), %lu segments dropped",
			sp->a.tcb->rcv_nxt, expect_a,
			(unsigned long)(lc->ctr.v[FXR_CTR_relay_payload_bytes] - relayed),
			sp->bytes, sp->b.tcb->snd_una, sp->b.tcb->snd_max, sp->expect_b,
			sp->b.tcb->cc.cwnd, (unsigned long)(dp_env_tcp_drops(&sp->env) - drops));
	return 0;
}

int bench_splice_prep(struct bench_splice *sp, unsigned int n, uint32_t seg_bytes,
	bool rx_cksum_good)
{
	const struct fxr_tcb *tb = sp->b.tcb;
	uint64_t rx;

	if (n == 0 || n > DP_BATCH_MAX || seg_bytes <= FXR_FRAME_HDR_LEN
		|| seg_bytes > sizeof(sp->frame)
		|| seg_bytes > fxr_tcp_seg_max(sp->env.lc->tcp, sp->a.tcb))
		return dp_fail("splice batch of %u segments of %u bytes: out of range", n,
			seg_bytes);
	/* slow start on b: what its cwnd allows, acknowledged, until a whole batch fits */
	for (int round = 0; tb->cc.cwnd < n * seg_bytes; round++) {
		unsigned int fit = RTE_MIN(tb->cc.cwnd / seg_bytes, n);

		if (round == WARMUP_ROUNDS_MAX || fit == 0)
			return dp_fail("b's cwnd %u still below %u bytes", tb->cc.cwnd,
				n * seg_bytes);
		if (splice_batch(sp, fit, seg_bytes, rx_cksum_good) != 0
			|| splice_run(sp, &rx) != 0)
			return -1;
	}
	return splice_batch(sp, n, seg_bytes, rx_cksum_good);
}

int bench_splice_run(struct bench_splice *sp, uint64_t *cycles, uint64_t *rx_cycles)
{
	uint64_t start = rte_rdtsc_precise();
	int rc = splice_run(sp, rx_cycles);

	*cycles = rte_rdtsc_precise() - start;
	return rc;
}
