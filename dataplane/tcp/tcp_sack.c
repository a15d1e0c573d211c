/* tcp_sack.c: SACK scoreboard (RFC 2018, RFC 6675) and receiver SACK blocks (RFC 2018 §4). */
#include <string.h>

#include "tcp_sack.h"
#include "tcp_seq.h"

void fxr_tcp_sack_init(struct fxr_tcp_sack_sb *sb, uint32_t snd_una)
{
	memset(sb, 0, sizeof(*sb));
	sb->snd_una = snd_una;
	sb->rxt_end = snd_una;
	sb->recovery_point = snd_una;
	sb->rescue_end = snd_una;
}

void fxr_tcp_sack_clear(struct fxr_tcp_sack_sb *sb)
{
	sb->n = 0;
	sb->sacked_bytes = 0;
}

static inline uint32_t blk_len(const struct fxr_tcp_sack_block *b)
{
	return b->end - b->start;
}

/* Removes what the cumulative ack covers. */
static void sb_cum_ack(struct fxr_tcp_sack_sb *sb, uint32_t ack)
{
	unsigned int drop = 0;

	while (drop < sb->n && fxr_tcp_seq_leq(sb->blk[drop].end, ack)) {
		sb->sacked_bytes -= blk_len(&sb->blk[drop]);
		drop++;
	}
	if (drop) {
		memmove(&sb->blk[0], &sb->blk[drop], (sb->n - drop) * sizeof(sb->blk[0]));
		sb->n = (uint16_t)(sb->n - drop);
	}
	if (sb->n && fxr_tcp_seq_lt(sb->blk[0].start, ack)) {
		sb->sacked_bytes -= ack - sb->blk[0].start;
		sb->blk[0].start = ack;
	}
	sb->snd_una = ack;
	if (fxr_tcp_seq_lt(sb->rxt_end, ack))
		sb->rxt_end = ack;
	if (sb->in_recovery && fxr_tcp_seq_geq(ack, sb->recovery_point))
		sb->in_recovery = 0; /* RFC 6675 §5: RecoveryPoint cumulatively acked */
}

/* Merges [s, e) (s < e, both within (snd_una, snd_nxt]) into the sorted block array. */
static void sb_insert(struct fxr_tcp_sack_sb *sb, uint32_t s, uint32_t e)
{
	unsigned int i = 0;

	/* first block that ends at or after s: it touches or follows [s, e) */
	while (i < sb->n && fxr_tcp_seq_lt(sb->blk[i].end, s))
		i++;
	unsigned int j = i;
	uint32_t covered = 0;
	while (j < sb->n && fxr_tcp_seq_leq(sb->blk[j].start, e)) {
		s = fxr_tcp_seq_min(s, sb->blk[j].start);
		e = fxr_tcp_seq_max(e, sb->blk[j].end);
		covered += blk_len(&sb->blk[j]);
		j++;
	}
	/* blocks i..j-1 merge into [s, e) */
	if (j > i) {
		sb->blk[i] = (struct fxr_tcp_sack_block){ s, e };
		memmove(&sb->blk[i + 1], &sb->blk[j], (sb->n - j) * sizeof(sb->blk[0]));
		sb->n -= (uint16_t)(j - i - 1);
		sb->sacked_bytes += (e - s) - covered;
		return;
	}
	if (sb->n == FXR_TCP_SACK_SB_MAX) {
		sb->dropped_blocks++;
		if (i == sb->n)
			return; /* the new block is the highest: it is the one that goes */
		sb->n--;
		sb->sacked_bytes -= blk_len(&sb->blk[sb->n]);
	}
	memmove(&sb->blk[i + 1], &sb->blk[i], (sb->n - i) * sizeof(sb->blk[0]));
	sb->blk[i] = (struct fxr_tcp_sack_block){ s, e };
	sb->n++;
	sb->sacked_bytes += e - s;
}

uint32_t fxr_tcp_sack_on_ack(struct fxr_tcp_sack_sb *sb, uint32_t ack,
			     const struct fxr_tcp_sack_block *blks, unsigned int n, uint32_t snd_nxt)
{
	if (fxr_tcp_seq_gt(ack, sb->snd_una))
		sb_cum_ack(sb, ack);

	uint32_t before = sb->sacked_bytes;
	for (unsigned int k = 0; k < n; k++) {
		uint32_t s = blks[k].start, e = blks[k].end;

		if (fxr_tcp_seq_diff(e, s) <= 0 || fxr_tcp_seq_gt(e, snd_nxt) ||
		    fxr_tcp_seq_leq(e, sb->snd_una)) {
			sb->ignored_blocks++; /* empty, bogus, or a D-SACK (RFC 2883 §4) */
			continue;
		}
		if (fxr_tcp_seq_lt(s, sb->snd_una))
			s = sb->snd_una;
		sb_insert(sb, s, e);
	}
	/* an overflow may have dropped more than was added */
	return sb->sacked_bytes > before ? sb->sacked_bytes - before : 0;
}

bool fxr_tcp_sack_is_sacked(const struct fxr_tcp_sack_sb *sb, uint32_t seq)
{
	for (unsigned int i = 0; i < sb->n; i++) {
		if (fxr_tcp_seq_lt(seq, sb->blk[i].start))
			return false;
		if (fxr_tcp_seq_lt(seq, sb->blk[i].end))
			return true;
	}
	return false;
}

/* The IsLost() verdict given what is SACKed above an octet. */
static inline bool lost_verdict(uint32_t blocks_above, uint32_t bytes_above, uint32_t smss)
{
	return blocks_above >= FXR_TCP_SACK_DUPTHRESH ||
	       (uint64_t)bytes_above > (uint64_t)(FXR_TCP_SACK_DUPTHRESH - 1) * smss;
}

bool fxr_tcp_sack_is_lost(const struct fxr_tcp_sack_sb *sb, uint32_t seq, uint32_t smss)
{
	uint32_t blocks = 0, bytes = 0;

	/* octets strictly greater than seq */
	for (unsigned int i = sb->n; i-- > 0;) {
		const struct fxr_tcp_sack_block *b = &sb->blk[i];
		if (fxr_tcp_seq_leq(b->end, seq + 1))
			break;
		blocks++;
		bytes += fxr_tcp_seq_gt(b->start, seq) ? blk_len(b) : b->end - (seq + 1);
	}
	return lost_verdict(blocks, bytes, smss);
}

/* Overlap of [s, e) with [lo, hi), sequence-space. */
static inline uint32_t overlap(uint32_t s, uint32_t e, uint32_t lo, uint32_t hi)
{
	uint32_t a = fxr_tcp_seq_max(s, lo), b = fxr_tcp_seq_min(e, hi);
	return fxr_tcp_seq_lt(a, b) ? b - a : 0;
}

uint32_t fxr_tcp_sack_pipe(const struct fxr_tcp_sack_sb *sb, uint32_t snd_nxt, uint32_t smss)
{
	/* Walk the holes from the top. Every octet of a hole has the same SACKed data above
	 * it, so IsLost() is one verdict per hole. */
	uint32_t pipe = 0, blocks = 0, bytes = 0;
	uint32_t hole_end = snd_nxt;

	for (unsigned int i = sb->n + 1; i-- > 0;) {
		uint32_t hole_start = i ? sb->blk[i - 1].end : sb->snd_una;

		if (fxr_tcp_seq_lt(hole_start, hole_end)) {
			if (!lost_verdict(blocks, bytes, smss))
				pipe += hole_end - hole_start;
			pipe += overlap(hole_start, hole_end, sb->snd_una, sb->rxt_end);
		}
		if (i) {
			blocks++;
			bytes += blk_len(&sb->blk[i - 1]);
			hole_end = sb->blk[i - 1].start;
		}
	}
	return pipe;
}

void fxr_tcp_sack_enter_recovery(struct fxr_tcp_sack_sb *sb, uint32_t snd_nxt, uint32_t smss,
				 struct fxr_tcp_sack_next *first)
{
	sb->in_recovery = 1;
	sb->recovery_point = snd_nxt;
	*first = (struct fxr_tcp_sack_next){ .kind = FXR_TCP_SACK_NEXT_NONE };
	if (!fxr_tcp_seq_lt(sb->snd_una, snd_nxt) || smss == 0) {
		sb->rxt_end = sb->rescue_end = sb->snd_una;
		return;
	}
	uint32_t limit = sb->n ? sb->blk[0].start : snd_nxt;
	uint32_t len = limit - sb->snd_una;
	if (len == 0) {
		/* SND.UNA itself SACKed cannot happen (blocks sit above it); be safe */
		sb->rxt_end = sb->rescue_end = sb->snd_una;
		return;
	}
	if (len > smss)
		len = smss;
	*first = (struct fxr_tcp_sack_next){ FXR_TCP_SACK_NEXT_LOST, sb->snd_una, len };
	/* step 4.3: HighRxt = RescueRxt = last octet of that segment */
	sb->rxt_end = sb->rescue_end = sb->snd_una + len;
}

void fxr_tcp_sack_next_seg(const struct fxr_tcp_sack_sb *sb, uint32_t snd_nxt, uint32_t smss,
			   uint32_t new_avail, struct fxr_tcp_sack_next *out)
{
	*out = (struct fxr_tcp_sack_next){ .kind = FXR_TCP_SACK_NEXT_NONE };
	if (smss == 0)
		return;

	/* Rules 1 and 3: S2 is the lowest unSACKed octet above HighRxt (1.a) and below the
	 * highest SACKed octet (1.b), so it lies in a hole under some block. */
	uint32_t from = fxr_tcp_seq_max(sb->rxt_end, sb->snd_una);
	uint32_t sacked_below = 0;
	for (unsigned int i = 0; i < sb->n; i++) {
		uint32_t hole_start = i ? sb->blk[i - 1].end : sb->snd_una;
		uint32_t hole_end = sb->blk[i].start;
		uint32_t s2 = fxr_tcp_seq_max(hole_start, from);

		if (fxr_tcp_seq_lt(s2, hole_end)) {
			uint32_t len = hole_end - s2;
			bool lost = lost_verdict(sb->n - i, sb->sacked_bytes - sacked_below, smss);

			out->seq = s2;
			out->len = len > smss ? smss : len;
			if (lost) {
				out->kind = FXR_TCP_SACK_NEXT_LOST; /* rule 1 */
				return;
			}
			/* IsLost() only falls going up, so no later hole satisfies rule 1:
			 * rule 2 comes first, then rule 3 with this S2. */
			if (new_avail) {
				out->kind = FXR_TCP_SACK_NEXT_NEW;
				out->seq = snd_nxt;
				out->len = new_avail > smss ? smss : new_avail;
			} else {
				out->kind = FXR_TCP_SACK_NEXT_UNSACKED;
			}
			return;
		}
		sacked_below += blk_len(&sb->blk[i]);
	}

	/* Rule 2: new data. */
	if (new_avail) {
		out->kind = FXR_TCP_SACK_NEXT_NEW;
		out->seq = snd_nxt;
		out->len = new_avail > smss ? smss : new_avail;
		return;
	}

	/* Rule 4: rescue retransmission, once HighACK > RescueRxt, of one segment holding
	 * the highest outstanding unSACKed octet. */
	if (!sb->in_recovery || !fxr_tcp_seq_gt(sb->snd_una, sb->rescue_end))
		return;
	/* The highest unSACKed octet is just below SND.NXT, or just below the last block when
	 * that block reaches SND.NXT; blocks never touch, so a hole lies under it. */
	uint32_t top, floor;
	if (sb->n == 0 || fxr_tcp_seq_lt(sb->blk[sb->n - 1].end, snd_nxt)) {
		top = snd_nxt;
		floor = sb->n ? sb->blk[sb->n - 1].end : sb->snd_una;
	} else {
		top = sb->blk[sb->n - 1].start;
		floor = sb->n > 1 ? sb->blk[sb->n - 2].end : sb->snd_una;
	}
	if (!fxr_tcp_seq_lt(floor, top) || !fxr_tcp_seq_lt(sb->snd_una, top))
		return;
	uint32_t len = top - floor;
	if (len > smss)
		len = smss;
	*out = (struct fxr_tcp_sack_next){ FXR_TCP_SACK_NEXT_RESCUE, top - len, len };
}

void fxr_tcp_sack_sent(struct fxr_tcp_sack_sb *sb, const struct fxr_tcp_sack_next *seg)
{
	switch (seg->kind) {
	case FXR_TCP_SACK_NEXT_LOST:
	case FXR_TCP_SACK_NEXT_UNSACKED:
		if (fxr_tcp_seq_gt(seg->seq + seg->len, sb->rxt_end))
			sb->rxt_end = seg->seq + seg->len;
		break;
	case FXR_TCP_SACK_NEXT_RESCUE:
		sb->rescue_end = sb->recovery_point;
		break;
	default:
		break;
	}
}

/* ---- receiver ---- */

void fxr_tcp_sack_rx_init(struct fxr_tcp_sack_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void fxr_tcp_sack_rx_update(struct fxr_tcp_sack_rx *rx, struct fxr_tcp_sack_block run,
			    uint32_t rcv_nxt)
{
	struct fxr_tcp_sack_block out[FXR_TCP_SACK_OPT_MAX];
	unsigned int n = 0;

	if (fxr_tcp_seq_lt(run.start, rcv_nxt))
		run.start = rcv_nxt;
	if (fxr_tcp_seq_lt(run.start, run.end))
		out[n++] = run;
	for (unsigned int i = 0; i < rx->n && n < FXR_TCP_SACK_OPT_MAX; i++) {
		struct fxr_tcp_sack_block b = rx->blk[i];

		if (fxr_tcp_seq_leq(b.end, rcv_nxt))
			continue;
		if (fxr_tcp_seq_lt(b.start, rcv_nxt))
			b.start = rcv_nxt;
		/* RFC 2018 §4: no block that is a subset of one already included; an old block
		 * touching the run is part of the run (the run is maximal). */
		if (n && fxr_tcp_seq_leq(out[0].start, b.end) && fxr_tcp_seq_leq(b.start, out[0].end))
			continue;
		out[n++] = b;
	}
	memcpy(rx->blk, out, n * sizeof(out[0]));
	rx->n = (uint8_t)n;
}

void fxr_tcp_sack_rx_advance(struct fxr_tcp_sack_rx *rx, uint32_t rcv_nxt)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < rx->n; i++) {
		struct fxr_tcp_sack_block b = rx->blk[i];

		if (fxr_tcp_seq_leq(b.end, rcv_nxt))
			continue;
		if (fxr_tcp_seq_lt(b.start, rcv_nxt))
			b.start = rcv_nxt;
		rx->blk[n++] = b;
	}
	rx->n = (uint8_t)n;
}

unsigned int fxr_tcp_sack_rx_fill(const struct fxr_tcp_sack_rx *rx,
				  struct fxr_tcp_sack_block *out, unsigned int max)
{
	unsigned int n = rx->n < max ? rx->n : max;

	memcpy(out, rx->blk, n * sizeof(out[0]));
	return n;
}
