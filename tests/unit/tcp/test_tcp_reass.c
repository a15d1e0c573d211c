/* tcp_reass: overlaps are resolved by moving the offset into the handle (never copying),
 * the queue stays sorted and disjoint, limits drop the newcomer and count it, every handle
 * is released exactly once, and all of it holds across the 2^32 wrap. A randomized run
 * checks that the bytes handed back reassemble the original stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_reass.h"
#include "tcp_seq.h"

static const uint32_t bases[] = { 1000, 0xFFFFFF00u };

/* A test segment: the node plus bookkeeping, as a packet's private area would hold it. */
struct pkt {
	struct fxr_tcp_reass_seg seg;
	int released;
	int queued_once;
	uint8_t *data; /* payload as sent, from the segment's original seq */
};

struct rel_ctx {
	uint32_t released;
};

static void on_release(struct fxr_tcp_reass_seg *seg, void *ctx)
{
	struct pkt *p = (struct pkt *)seg->handle;
	struct rel_ctx *rc = ctx;

	assert_ptr_equal(&p->seg, seg);
	assert_int_equal(p->released, 0); /* never twice */
	p->released = 1;
	rc->released++;
}

static void mkseg(struct pkt *p, uint32_t seq, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->seg.handle = p;
	p->seg.seq = seq;
	p->seg.len = len;
	p->seg.off = 0;
}

/* Checks the queue's invariants: linked both ways, sorted, disjoint, counters right. */
static void check_queue(const struct fxr_tcp_reass *q)
{
	uint32_t n = 0, bytes = 0;
	const struct fxr_tcp_reass_seg *prev = NULL;

	for (const struct fxr_tcp_reass_seg *s = q->head; s; s = s->next) {
		assert_ptr_equal(s->prev, prev);
		assert_true(s->len > 0);
		if (prev)
			assert_true(fxr_tcp_seq_leq(prev->seq + prev->len, s->seq));
		n++;
		bytes += s->len;
		prev = s;
	}
	assert_ptr_equal(q->tail, prev);
	assert_int_equal(q->nsegs, n);
	assert_int_equal(q->bytes, bytes);
}

static void test_trim_head_tail(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t b = bases[k];
		struct rel_ctx rc = { 0 };
		struct fxr_tcp_reass_cfg cfg = { 16, 1 << 20, on_release, &rc };
		struct fxr_tcp_reass q;
		struct pkt p[6];

		fxr_tcp_reass_init(&q, &cfg);
		mkseg(&p[0], b + 100, 100); /* [100,200) */
		mkseg(&p[1], b + 300, 100); /* [300,400) */
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[0].seg, b), FXR_TCP_REASS_QUEUED);
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[1].seg, b), FXR_TCP_REASS_QUEUED);
		/* [150,350): head trimmed 50 (offset moves), tail trimmed 50 */
		mkseg(&p[2], b + 150, 200);
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[2].seg, b), FXR_TCP_REASS_QUEUED);
		assert_int_equal(p[2].seg.seq, b + 200);
		assert_int_equal(p[2].seg.off, 50);
		assert_int_equal(p[2].seg.len, 100);
		check_queue(&q);
		assert_int_equal(q.nsegs, 3);
		/* wholly inside queued data: duplicate, released */
		mkseg(&p[3], b + 120, 60);
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[3].seg, b), FXR_TCP_REASS_DUP);
		assert_true(p[3].released);
		assert_int_equal(q.dups, 1);
		/* same start, longer than queued: becomes [400,450) at offset 100 */
		mkseg(&p[4], b + 300, 150);
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[4].seg, b), FXR_TCP_REASS_QUEUED);
		assert_int_equal(p[4].seg.seq, b + 400);
		assert_int_equal(p[4].seg.off, 100);
		assert_int_equal(p[4].seg.len, 50);
		/* below RCV.NXT: the old part is trimmed off */
		mkseg(&p[5], b + 10, 80); /* [10,90) with rcv_nxt 50 -> [50,90) off 40 */
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[5].seg, b + 50), FXR_TCP_REASS_QUEUED);
		assert_int_equal(p[5].seg.seq, b + 50);
		assert_int_equal(p[5].seg.off, 40);
		assert_int_equal(q.head, &p[5].seg);
		check_queue(&q);
		assert_int_equal(q.bytes, 40 + 100 + 100 + 100 + 50);
		assert_int_equal(rc.released, 1);
		fxr_tcp_reass_flush(&q);
		assert_int_equal(rc.released, 6);
		assert_true(fxr_tcp_reass_empty(&q));
		check_queue(&q);
	}
}

static void test_cover_releases_queued(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t b = bases[k];
		struct rel_ctx rc = { 0 };
		struct fxr_tcp_reass_cfg cfg = { 16, 1 << 20, on_release, &rc };
		struct fxr_tcp_reass q;
		struct pkt p[5];

		fxr_tcp_reass_init(&q, &cfg);
		mkseg(&p[0], b + 200, 50);
		mkseg(&p[1], b + 260, 20);
		mkseg(&p[2], b + 500, 10);
		for (int i = 0; i < 3; i++)
			assert_int_equal(fxr_tcp_reass_insert(&q, &p[i].seg, b), 0);
		/* [100,400) covers the first two: they are released, it stays whole */
		mkseg(&p[3], b + 100, 300);
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[3].seg, b), FXR_TCP_REASS_QUEUED);
		assert_true(p[0].released);
		assert_true(p[1].released);
		assert_false(p[2].released);
		assert_int_equal(p[3].seg.seq, b + 100);
		assert_int_equal(p[3].seg.len, 300);
		assert_int_equal(q.nsegs, 2);
		check_queue(&q);
		/* exact duplicate of a queued segment */
		mkseg(&p[4], b + 500, 10);
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[4].seg, b), FXR_TCP_REASS_DUP);
		/* wholly below RCV.NXT */
		mkseg(&p[4], b + 10, 10);
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[4].seg, b + 20), FXR_TCP_REASS_DUP);
		fxr_tcp_reass_flush(&q);
		assert_int_equal(rc.released, 6);
	}
}

static void test_limits(void **state)
{
	(void)state;
	uint32_t b = bases[1];
	struct rel_ctx rc = { 0 };
	struct fxr_tcp_reass_cfg cfg = { 3, 1000, on_release, &rc };
	struct fxr_tcp_reass q;
	struct pkt p[8];

	fxr_tcp_reass_init(&q, &cfg);
	mkseg(&p[0], b + 100, 100);
	mkseg(&p[1], b + 300, 100);
	mkseg(&p[2], b + 500, 100);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fxr_tcp_reass_insert(&q, &p[i].seg, b), 0);
	/* a fourth segment: over max_segs, dropped and counted, queue unchanged */
	mkseg(&p[3], b + 700, 10);
	assert_int_equal(fxr_tcp_reass_insert(&q, &p[3].seg, b), -ENOBUFS);
	assert_true(p[3].released);
	assert_int_equal(q.drops_full, 1);
	assert_int_equal(q.nsegs, 3);
	check_queue(&q);
	/* at the segment limit, a segment that covers two queued ones leaves two: accepted */
	mkseg(&p[4], b + 250, 400); /* [250,650): covers [300,400) and [500,600) */
	assert_int_equal(fxr_tcp_reass_insert(&q, &p[4].seg, b), FXR_TCP_REASS_QUEUED);
	assert_true(p[1].released);
	assert_true(p[2].released);
	assert_int_equal(q.nsegs, 2);
	assert_int_equal(q.bytes, 500);
	/* max_bytes: 500 + 501 > 1000 */
	mkseg(&p[5], b + 700, 501);
	assert_int_equal(fxr_tcp_reass_insert(&q, &p[5].seg, b), -ENOBUFS);
	assert_int_equal(q.drops_full, 2);
	mkseg(&p[6], b + 700, 500); /* exactly at the limit */
	assert_int_equal(fxr_tcp_reass_insert(&q, &p[6].seg, b), FXR_TCP_REASS_QUEUED);
	assert_int_equal(q.bytes, 1000);
	/* a duplicate at the limit is a duplicate, not a drop */
	mkseg(&p[7], b + 700, 100);
	assert_int_equal(fxr_tcp_reass_insert(&q, &p[7].seg, b), FXR_TCP_REASS_DUP);
	assert_int_equal(q.drops_full, 2);
	check_queue(&q);
	fxr_tcp_reass_flush(&q);
	assert_int_equal(rc.released, 8);
}

static void test_pop(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t b = bases[k];
		struct rel_ctx rc = { 0 };
		struct fxr_tcp_reass_cfg cfg = { 16, 1 << 20, on_release, &rc };
		struct fxr_tcp_reass q;
		struct pkt p[4];
		uint32_t rcv_nxt = b;

		fxr_tcp_reass_init(&q, &cfg);
		mkseg(&p[0], b + 100, 100); /* [100,200) */
		mkseg(&p[1], b + 200, 100); /* [200,300) */
		mkseg(&p[2], b + 400, 100); /* [400,500) */
		mkseg(&p[3], b + 20, 30);   /* [20,50) */
		for (int i = 0; i < 4; i++)
			assert_int_equal(fxr_tcp_reass_insert(&q, &p[i].seg, rcv_nxt), 0);
		/* head not in order yet */
		assert_null(fxr_tcp_reass_pop(&q, &rcv_nxt));
		assert_int_equal(rcv_nxt, b);
		/* an in-order segment [0,150) was delivered by the caller: [20,50) is wholly
		 * old (released), [100,200) straddles (trimmed to [150,200), offset 50) */
		rcv_nxt = b + 150;
		struct fxr_tcp_reass_seg *s = fxr_tcp_reass_pop(&q, &rcv_nxt);
		assert_ptr_equal(s, &p[0].seg);
		assert_true(p[3].released);
		assert_int_equal(s->seq, b + 150);
		assert_int_equal(s->off, 50);
		assert_int_equal(s->len, 50);
		assert_int_equal(rcv_nxt, b + 200);
		assert_ptr_equal(fxr_tcp_reass_pop(&q, &rcv_nxt), &p[1].seg);
		assert_int_equal(rcv_nxt, b + 300);
		assert_null(fxr_tcp_reass_pop(&q, &rcv_nxt)); /* hole at [300,400) */
		assert_int_equal(q.nsegs, 1);
		check_queue(&q);
		/* popped segments belong to the caller: never released by the queue */
		assert_false(p[0].released);
		assert_false(p[1].released);
		fxr_tcp_reass_flush(&q);
		assert_int_equal(rc.released, 2);
	}
}

static void test_run(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t b = bases[k];
		struct rel_ctx rc = { 0 };
		struct fxr_tcp_reass_cfg cfg = { 16, 1 << 20, on_release, &rc };
		struct fxr_tcp_reass q;
		struct pkt p[3];
		struct fxr_tcp_sack_block run;

		fxr_tcp_reass_init(&q, &cfg);
		mkseg(&p[0], b + 100, 100);
		mkseg(&p[1], b + 200, 100);
		mkseg(&p[2], b + 400, 100);
		for (int i = 0; i < 3; i++)
			fxr_tcp_reass_insert(&q, &p[i].seg, b);
		assert_true(fxr_tcp_reass_run(&q, b + 250, &run));
		assert_int_equal(run.start, b + 100);
		assert_int_equal(run.end, b + 300);
		assert_true(fxr_tcp_reass_run(&q, b + 100, &run));
		assert_int_equal(run.end, b + 300);
		assert_true(fxr_tcp_reass_run(&q, b + 499, &run));
		assert_int_equal(run.start, b + 400);
		assert_int_equal(run.end, b + 500);
		assert_false(fxr_tcp_reass_run(&q, b + 300, &run));
		assert_false(fxr_tcp_reass_run(&q, b + 99, &run));
		assert_false(fxr_tcp_reass_run(&q, b + 500, &run));
		fxr_tcp_reass_flush(&q);
	}
}

/* Stream byte at sequence number s (what every copy of that octet carries). */
static uint8_t stream_byte(uint32_t s)
{
	return (uint8_t)(s * 2654435761u >> 24);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random segments (duplicates, overlaps, reordering) over a 6000-byte stream that crosses
 * 2^32; in-order ones are delivered and the queue is drained after each. The delivered
 * bytes, read through (handle, off, len), must be exactly the stream. */
static void test_random_reassembly(void **state)
{
	(void)state;
	enum { STREAM = 6000, NPKT = 4000 };
	const uint32_t isn = 0xFFFFF000u;
	struct rel_ctx rc = { 0 };
	struct fxr_tcp_reass_cfg cfg = { 64, 1 << 16, on_release, &rc };
	struct fxr_tcp_reass q;
	struct pkt *pk = calloc(NPKT, sizeof(*pk));
	uint8_t *out = calloc(STREAM, 1);
	uint64_t rng = 0xC0FFEEull;
	uint32_t rcv_nxt = isn, delivered = 0, inserted = 0, popped = 0;

	assert_non_null(pk);
	assert_non_null(out);
	fxr_tcp_reass_init(&q, &cfg);
	for (uint32_t i = 0; i < NPKT && delivered < STREAM; i++) {
		/* a segment somewhere in [rcv_nxt - 200, rcv_nxt + 1500) */
		uint32_t rel = (uint32_t)(rng_next(&rng) % 1700);
		uint32_t len = 1 + (uint32_t)(rng_next(&rng) % 300);
		uint32_t seq = rcv_nxt - 200 + rel;
		if (fxr_tcp_seq_lt(seq, isn))
			seq = isn;
		if (seq - isn + len > STREAM)
			len = STREAM - (seq - isn);
		if (len == 0 || seq - isn >= STREAM)
			continue;
		struct pkt *p = &pk[i];
		mkseg(p, seq, len);
		p->data = malloc(len);
		assert_non_null(p->data);
		for (uint32_t j = 0; j < len; j++)
			p->data[j] = stream_byte(seq + j);

		if (fxr_tcp_seq_leq(seq, rcv_nxt) && fxr_tcp_seq_gt(seq + len, rcv_nxt)) {
			/* in order: the caller delivers it directly, from rcv_nxt */
			uint32_t skip = rcv_nxt - seq;
			memcpy(out + (rcv_nxt - isn), p->data + skip, len - skip);
			rcv_nxt = seq + len;
			p->released = 1; /* consumed by the caller */
			struct fxr_tcp_reass_seg *s;
			while ((s = fxr_tcp_reass_pop(&q, &rcv_nxt)) != NULL) {
				struct pkt *pp = (struct pkt *)s->handle;
				assert_int_equal(s->seq + s->len, rcv_nxt);
				/* offset arithmetic: the octets at off.. are the stream's at seq.. */
				memcpy(out + (s->seq - isn), pp->data + s->off, s->len);
				pp->released = 1;
				popped++;
			}
		} else {
			int rc2 = fxr_tcp_reass_insert(&q, &p->seg, rcv_nxt);
			assert_true(rc2 == FXR_TCP_REASS_QUEUED || rc2 == FXR_TCP_REASS_DUP ||
				    rc2 == -ENOBUFS);
			inserted++;
			if (rc2 == FXR_TCP_REASS_QUEUED) {
				for (uint32_t j = 0; j < p->seg.len; j++)
					assert_int_equal(p->data[p->seg.off + j],
							 stream_byte(p->seg.seq + j));
			} else {
				assert_true(p->released);
			}
		}
		check_queue(&q);
		assert_true(q.nsegs <= cfg.max_segs);
		delivered = rcv_nxt - isn;
	}
	assert_int_equal(delivered, STREAM);
	assert_true(popped > 0);
	assert_true(inserted > popped);
	assert_true(q.dups > 0);
	for (uint32_t j = 0; j < STREAM; j++)
		assert_int_equal(out[j], stream_byte(isn + j));
	fxr_tcp_reass_flush(&q);
	/* every packet was either consumed or released exactly once */
	for (uint32_t i = 0; i < NPKT; i++) {
		if (pk[i].data)
			assert_true(pk[i].released);
		free(pk[i].data);
	}
	free(pk);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trim_head_tail),
		cmocka_unit_test(test_cover_releases_queued),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pop),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_random_reassembly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
