/* tcp_reass.c: bounded out-of-order queue (see tcp_reass.h for the trimming rules). */
#include <errno.h>
#include <stddef.h>

#include "fxr/compiler.h"
#include "tcp_reass.h"
#include "tcp_seq.h"

void fxr_tcp_reass_init(struct fxr_tcp_reass *q, const struct fxr_tcp_reass_cfg *cfg)
{
	*q = (struct fxr_tcp_reass){ .cfg = cfg };
}

static inline uint32_t seg_end(const struct fxr_tcp_reass_seg *s)
{
	return s->seq + s->len;
}

static void unlink_seg(struct fxr_tcp_reass *q, struct fxr_tcp_reass_seg *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		q->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		q->tail = s->prev;
	s->next = s->prev = NULL;
	q->nsegs--;
	q->bytes -= s->len;
}

static inline void release(struct fxr_tcp_reass *q, struct fxr_tcp_reass_seg *s)
{
	q->cfg->release(s, q->cfg->ctx);
}

int fxr_tcp_reass_insert(struct fxr_tcp_reass *q, struct fxr_tcp_reass_seg *seg,
			 uint32_t rcv_nxt)
{
	FXR_BUG_ON_HOT(seg->len == 0);
	uint32_t s = seg->seq, e = seg->seq + seg->len;

	seg->next = seg->prev = NULL;
	if (fxr_tcp_seq_lt(s, rcv_nxt))
		s = rcv_nxt;

	/* prev: the last queued segment starting at or before s. Search from the tail: a
	 * new segment most often extends the highest run. */
	struct fxr_tcp_reass_seg *prev = q->tail;
	while (prev && fxr_tcp_seq_gt(prev->seq, s))
		prev = prev->prev;
	if (prev && fxr_tcp_seq_gt(seg_end(prev), s))
		s = seg_end(prev); /* head overlaps queued data: trim */

	/* Successors: covered ones go, a partly overlapped one trims our tail. */
	struct fxr_tcp_reass_seg *first = prev ? prev->next : q->head;
	struct fxr_tcp_reass_seg *next = first;
	uint32_t covered_segs = 0, covered_bytes = 0;
	while (next && fxr_tcp_seq_lt(s, e) && fxr_tcp_seq_lt(next->seq, e)) {
		if (fxr_tcp_seq_gt(seg_end(next), e)) {
			e = next->seq; /* tail overlaps queued data: trim */
			break;
		}
		covered_segs++;
		covered_bytes += next->len;
		next = next->next;
	}

	if (!fxr_tcp_seq_lt(s, e)) {
		q->dups++;
		release(q, seg);
		return FXR_TCP_REASS_DUP;
	}
	uint32_t len = e - s;
	if (q->nsegs - covered_segs + 1 > q->cfg->max_segs ||
	    (uint64_t)q->bytes - covered_bytes + len > q->cfg->max_bytes) {
		q->drops_full++;
		release(q, seg);
		return -ENOBUFS;
	}

	/* Commit: release what the new segment covers, then link it after prev. */
	while (first != next) {
		struct fxr_tcp_reass_seg *victim = first;
		first = first->next;
		unlink_seg(q, victim);
		release(q, victim);
	}
	seg->off += s - seg->seq;
	seg->seq = s;
	seg->len = len;
	seg->prev = prev;
	seg->next = prev ? prev->next : q->head;
	if (seg->prev)
		seg->prev->next = seg;
	else
		q->head = seg;
	if (seg->next)
		seg->next->prev = seg;
	else
		q->tail = seg;
	q->nsegs++;
	q->bytes += len;
	return FXR_TCP_REASS_QUEUED;
}

struct fxr_tcp_reass_seg *fxr_tcp_reass_pop(struct fxr_tcp_reass *q, uint32_t *rcv_nxt)
{
	struct fxr_tcp_reass_seg *h;

	while ((h = q->head) != NULL && fxr_tcp_seq_leq(seg_end(h), *rcv_nxt)) {
		unlink_seg(q, h); /* already delivered by a later in-order segment */
		release(q, h);
	}
	if (h == NULL || fxr_tcp_seq_gt(h->seq, *rcv_nxt))
		return NULL;
	if (fxr_tcp_seq_lt(h->seq, *rcv_nxt)) {
		uint32_t cut = *rcv_nxt - h->seq;
		h->seq += cut;
		h->off += cut;
		h->len -= cut;
		q->bytes -= cut;
	}
	unlink_seg(q, h);
	*rcv_nxt = seg_end(h);
	return h;
}

bool fxr_tcp_reass_run(const struct fxr_tcp_reass *q, uint32_t seq, struct fxr_tcp_sack_block *run)
{
	const struct fxr_tcp_reass_seg *s = q->head;

	while (s && fxr_tcp_seq_leq(seg_end(s), seq))
		s = s->next;
	if (s == NULL || fxr_tcp_seq_gt(s->seq, seq))
		return false;
	/* extend both ways over touching segments */
	const struct fxr_tcp_reass_seg *lo = s, *hi = s;
	while (lo->prev && seg_end(lo->prev) == lo->seq)
		lo = lo->prev;
	while (hi->next && hi->next->seq == seg_end(hi))
		hi = hi->next;
	run->start = lo->seq;
	run->end = seg_end(hi);
	return true;
}

void fxr_tcp_reass_flush(struct fxr_tcp_reass *q)
{
	while (q->head) {
		struct fxr_tcp_reass_seg *s = q->head;
		unlink_seg(q, s);
		release(q, s);
	}
}
