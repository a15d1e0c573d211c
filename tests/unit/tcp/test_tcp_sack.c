/* tcp_sack: the sender's scoreboard merges, trims and bounds SACK blocks; IsLost, SetPipe and
 * NextSeg follow RFC 6675 §4 on hand-built flights (every number is worked in a comment);
 * the receiver reports blocks most recent first as in the examples of RFC 2018 §5. Every
 * scenario also runs with sequence numbers straddling 2^32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_sack.h"

#define SMSS 1000u

/* Scenario bases: plain, and one that puts the flight across the wrap. */
static const uint32_t bases[] = { 0, 0xFFFFF000u };

#define B(s, e) ((struct fxr_tcp_sack_block){ base + (s), base + (e) })

static void assert_blocks(const struct fxr_tcp_sack_sb *sb, uint32_t base, unsigned int n,
			  const uint32_t (*want)[2])
{
	assert_int_equal(sb->n, n);
	uint32_t sum = 0;
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(sb->blk[i].start, base + want[i][0]);
		assert_int_equal(sb->blk[i].end, base + want[i][1]);
		sum += want[i][1] - want[i][0];
	}
	assert_int_equal(sb->sacked_bytes, sum);
}

static void test_merge(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t base = bases[k];
		struct fxr_tcp_sack_sb sb;
		const uint32_t nxt = base + 20000;

		fxr_tcp_sack_init(&sb, base);
		/* out of order, one option */
		struct fxr_tcp_sack_block o1[] = { B(5000, 6000), B(1000, 2000), B(3000, 4000) };
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, o1, 3, nxt), 3000);
		const uint32_t w1[][2] = { { 1000, 2000 }, { 3000, 4000 }, { 5000, 6000 } };
		assert_blocks(&sb, base, 3, w1);
		/* the same again: nothing new */
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, o1, 3, nxt), 0);
		/* adjacent to the first (touching merges), overlapping the second and third */
		struct fxr_tcp_sack_block o2[] = { B(2000, 2500), B(3500, 5500) };
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, o2, 2, nxt), 500 + 1000);
		const uint32_t w2[][2] = { { 1000, 2500 }, { 3000, 6000 } };
		assert_blocks(&sb, base, 2, w2);
		/* one block bridging and covering both */
		struct fxr_tcp_sack_block o3[] = { B(900, 7000) };
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, o3, 1, nxt), 100 + 500 + 1000);
		const uint32_t w3[][2] = { { 900, 7000 } };
		assert_blocks(&sb, base, 1, w3);
		assert_true(fxr_tcp_sack_is_sacked(&sb, base + 900));
		assert_true(fxr_tcp_sack_is_sacked(&sb, base + 6999));
		assert_false(fxr_tcp_sack_is_sacked(&sb, base + 7000));
		assert_false(fxr_tcp_sack_is_sacked(&sb, base + 899));
	}
}

static void test_cum_ack_and_bad_blocks(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t base = bases[k];
		struct fxr_tcp_sack_sb sb;
		const uint32_t nxt = base + 10000;

		fxr_tcp_sack_init(&sb, base);
		struct fxr_tcp_sack_block o1[] = { B(1000, 2000), B(3000, 4000), B(5000, 6000) };
		fxr_tcp_sack_on_ack(&sb, base, o1, 3, nxt);
		/* cumulative ack into the middle of the second block: first gone, second trimmed */
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base + 3500, NULL, 0, nxt), 0);
		const uint32_t w1[][2] = { { 3500, 4000 }, { 5000, 6000 } };
		assert_blocks(&sb, base, 2, w1);
		assert_int_equal(sb.snd_una, base + 3500);
		/* ignored: D-SACK below the ack (RFC 2883), beyond SND.NXT, empty, reversed */
		struct fxr_tcp_sack_block bad[] = { B(1000, 2000), B(9000, 10001), B(7000, 7000),
						    B(8000, 7000) };
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base + 3500, bad, 4, nxt), 0);
		assert_int_equal(sb.ignored_blocks, 4);
		assert_blocks(&sb, base, 2, w1);
		/* a block reaching below the ack is clipped to it */
		struct fxr_tcp_sack_block clip[] = { B(3000, 4500) };
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base + 3500, clip, 1, nxt), 500);
		const uint32_t w2[][2] = { { 3500, 4500 }, { 5000, 6000 } };
		assert_blocks(&sb, base, 2, w2);
		/* an old ack does not move SND.UNA back */
		fxr_tcp_sack_on_ack(&sb, base + 100, NULL, 0, nxt);
		assert_int_equal(sb.snd_una, base + 3500);
		/* everything acked */
		fxr_tcp_sack_on_ack(&sb, nxt, NULL, 0, nxt);
		assert_int_equal(sb.n, 0);
		assert_int_equal(sb.sacked_bytes, 0);
	}
}

static void test_overflow(void **state)
{
	(void)state;
	uint32_t base = bases[1];
	struct fxr_tcp_sack_sb sb;
	const uint32_t nxt = base + 1000000;

	fxr_tcp_sack_init(&sb, base);
	/* 32 disjoint blocks at 1000 * (2i + 2) .. + 1000 */
	for (uint32_t i = 0; i < FXR_TCP_SACK_SB_MAX; i++) {
		struct fxr_tcp_sack_block b = B(2000 * i + 2000, 2000 * i + 3000);
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, &b, 1, nxt), 1000);
	}
	assert_int_equal(sb.n, FXR_TCP_SACK_SB_MAX);
	assert_int_equal(sb.sacked_bytes, 32000);
	/* a 33rd, highest: it is the one dropped */
	struct fxr_tcp_sack_block hi = B(900000, 901000);
	assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, &hi, 1, nxt), 0);
	assert_int_equal(sb.dropped_blocks, 1);
	assert_int_equal(sb.blk[31].end, base + 2000 * 31 + 3000);
	/* a 33rd, lowest: the highest block goes instead */
	struct fxr_tcp_sack_block lo = B(100, 200);
	fxr_tcp_sack_on_ack(&sb, base, &lo, 1, nxt);
	assert_int_equal(sb.dropped_blocks, 2);
	assert_int_equal(sb.n, FXR_TCP_SACK_SB_MAX);
	assert_int_equal(sb.blk[0].start, base + 100);
	assert_int_equal(sb.blk[31].end, base + 2000 * 30 + 3000);
	assert_int_equal(sb.sacked_bytes, 32000 - 1000 + 100);
	/* a merging block still fits when full */
	struct fxr_tcp_sack_block m = B(200, 2000);
	assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, &m, 1, nxt), 1800);
	assert_int_equal(sb.n, FXR_TCP_SACK_SB_MAX - 1);
}

static void test_is_lost(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t base = bases[k];
		struct fxr_tcp_sack_sb sb;
		const uint32_t nxt = base + 10000;

		fxr_tcp_sack_init(&sb, base);
		struct fxr_tcp_sack_block b1 = B(1000, 2000);
		fxr_tcp_sack_on_ack(&sb, base, &b1, 1, nxt);
		assert_false(fxr_tcp_sack_is_lost(&sb, base, SMSS)); /* 1 block, 1000 bytes */
		struct fxr_tcp_sack_block b2 = B(3000, 4000);
		fxr_tcp_sack_on_ack(&sb, base, &b2, 1, nxt);
		/* 2 blocks, 2000 bytes: not more than (3 - 1) * SMSS */
		assert_false(fxr_tcp_sack_is_lost(&sb, base, SMSS));
		struct fxr_tcp_sack_block b3 = B(5000, 5001);
		fxr_tcp_sack_on_ack(&sb, base, &b3, 1, nxt);
		/* DupThresh discontiguous blocks above */
		assert_true(fxr_tcp_sack_is_lost(&sb, base, SMSS));
		assert_true(fxr_tcp_sack_is_lost(&sb, base + 999, SMSS));
		/* above 2000 only two blocks, 1001 bytes */
		assert_false(fxr_tcp_sack_is_lost(&sb, base + 2000, SMSS));

		/* one contiguous block: the byte rule, > 2 * SMSS */
		fxr_tcp_sack_init(&sb, base);
		struct fxr_tcp_sack_block c = B(1000, 3000);
		fxr_tcp_sack_on_ack(&sb, base, &c, 1, nxt);
		assert_false(fxr_tcp_sack_is_lost(&sb, base, SMSS));
		c = B(3000, 3001);
		fxr_tcp_sack_on_ack(&sb, base, &c, 1, nxt);
		assert_true(fxr_tcp_sack_is_lost(&sb, base, SMSS));
		/* inside the block: counts only octets above seq */
		assert_false(fxr_tcp_sack_is_lost(&sb, base + 1000, SMSS));
	}
}

static void test_pipe_and_next_seg(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t base = bases[k];
		struct fxr_tcp_sack_sb sb;
		struct fxr_tcp_sack_next nx;
		const uint32_t nxt = base + 10000; /* ten 1000-byte segments out */

		fxr_tcp_sack_init(&sb, base);
		/* segments 1, 3, 5 arrived */
		struct fxr_tcp_sack_block o[] = { B(1000, 2000), B(3000, 4000), B(5000, 6000) };
		fxr_tcp_sack_on_ack(&sb, base, o, 3, nxt);
		/* SetPipe: hole [0,1000) has 3 blocks above -> lost, 0; [2000,3000) 2 blocks
		 * 2000 bytes -> not lost, 1000; [4000,5000) 1000; [6000,10000) 4000. */
		assert_int_equal(fxr_tcp_sack_pipe(&sb, nxt, SMSS), 6000);

		/* RFC 6675 §5 (4): RecoveryPoint = HighData, retransmit from HighACK + 1 */
		fxr_tcp_sack_enter_recovery(&sb, nxt, SMSS, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_LOST);
		assert_int_equal(nx.seq, base);
		assert_int_equal(nx.len, 1000);
		assert_int_equal(sb.rxt_end, base + 1000);
		assert_int_equal(sb.rescue_end, base + 1000);
		assert_int_equal(sb.recovery_point, nxt);
		/* the retransmitted hole counts once now (octets <= HighRxt, §4 SetPipe (b)) */
		assert_int_equal(fxr_tcp_sack_pipe(&sb, nxt, SMSS), 7000);

		/* NextSeg: S2 = 2000 is not lost (2 blocks above): rule 2 when new data may
		 * go, else rule 3 */
		fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 400, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_NEW);
		assert_int_equal(nx.seq, nxt);
		assert_int_equal(nx.len, 400);
		fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 0, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_UNSACKED);
		assert_int_equal(nx.seq, base + 2000);
		assert_int_equal(nx.len, 1000);

		/* segment 7 arrives: now 3 blocks lie above 2000 -> rule 1 */
		struct fxr_tcp_sack_block s7 = B(7000, 8000);
		assert_int_equal(fxr_tcp_sack_on_ack(&sb, base, &s7, 1, nxt), 1000);
		fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 5000, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_LOST);
		assert_int_equal(nx.seq, base + 2000);
		fxr_tcp_sack_sent(&sb, &nx);
		assert_int_equal(sb.rxt_end, base + 3000);
		/* next: hole [4000,5000) has 2 blocks, 2000 bytes above: not lost */
		fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 0, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_UNSACKED);
		assert_int_equal(nx.seq, base + 4000);
		/* pipe: [0,1000) lost + rxt 1000; [2000,3000) lost + rxt 1000; [4000,5000)
		 * 1000; [6000,7000) 1000; [8000,10000) 2000 */
		assert_int_equal(fxr_tcp_sack_pipe(&sb, nxt, SMSS), 6000);

		/* a partial ACK to 2000 (the first retransmission arrived) */
		fxr_tcp_sack_on_ack(&sb, base + 2000, NULL, 0, nxt);
		assert_true(sb.in_recovery);
		/* ACK of RecoveryPoint ends recovery */
		fxr_tcp_sack_on_ack(&sb, nxt, NULL, 0, nxt);
		assert_false(sb.in_recovery);
	}
}

static void test_segment_cut_at_block(void **state)
{
	(void)state;
	uint32_t base = bases[1];
	struct fxr_tcp_sack_sb sb;
	struct fxr_tcp_sack_next nx;
	const uint32_t nxt = base + 20000;

	fxr_tcp_sack_init(&sb, base);
	/* hole [0, 300) under a long block: segments never overlap SACKed data */
	struct fxr_tcp_sack_block b = B(300, 9000);
	fxr_tcp_sack_on_ack(&sb, base, &b, 1, nxt);
	fxr_tcp_sack_enter_recovery(&sb, nxt, SMSS, &nx);
	assert_int_equal(nx.seq, base);
	assert_int_equal(nx.len, 300);
}

static void test_rescue(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t base = bases[k];
		struct fxr_tcp_sack_sb sb;
		struct fxr_tcp_sack_next nx;
		const uint32_t nxt = base + 5000;

		/* five segments, the first and the last lost, nothing more to send */
		fxr_tcp_sack_init(&sb, base);
		struct fxr_tcp_sack_block b = B(1000, 4000);
		fxr_tcp_sack_on_ack(&sb, base, &b, 1, nxt);
		assert_true(fxr_tcp_sack_is_lost(&sb, base, SMSS)); /* 3000 bytes above */
		fxr_tcp_sack_enter_recovery(&sb, nxt, SMSS, &nx);
		assert_int_equal(nx.seq, base);
		/* no rule applies yet: HighACK is not above RescueRxt */
		fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 0, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_NONE);
		/* the retransmission is acked, cumulatively to 4000: the tail is unSACKed and
		 * not lost, no new data -> rule 4 sends the segment holding octet 4999 */
		fxr_tcp_sack_on_ack(&sb, base + 4000, NULL, 0, nxt);
		fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 0, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_RESCUE);
		assert_int_equal(nx.seq, base + 4000);
		assert_int_equal(nx.len, 1000);
		uint32_t rxt_before = sb.rxt_end;
		fxr_tcp_sack_sent(&sb, &nx);
		assert_int_equal(sb.rescue_end, nxt);   /* RescueRxt = RecoveryPoint */
		assert_int_equal(sb.rxt_end, rxt_before); /* HighRxt untouched */
		/* once per recovery */
		fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 0, &nx);
		assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_NONE);
	}

	/* the rescue segment ends at the highest unSACKed octet, below a top SACKed block */
	uint32_t base = 0;
	struct fxr_tcp_sack_sb sb;
	struct fxr_tcp_sack_next nx;
	const uint32_t nxt = 8000;
	fxr_tcp_sack_init(&sb, base);
	struct fxr_tcp_sack_block b = B(1000, 4000);
	fxr_tcp_sack_on_ack(&sb, base, &b, 1, nxt);
	fxr_tcp_sack_enter_recovery(&sb, nxt, SMSS, &nx);
	struct fxr_tcp_sack_block top = B(6500, 8000);
	fxr_tcp_sack_on_ack(&sb, 4000, &top, 1, nxt);
	/* hole [4000, 6500) has 1 block, 1500 bytes above: not lost; rule 3 comes first */
	fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 0, &nx);
	assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_UNSACKED);
	assert_int_equal(nx.seq, 4000);
	fxr_tcp_sack_sent(&sb, &nx);
	fxr_tcp_sack_sent(&sb, &(struct fxr_tcp_sack_next){ FXR_TCP_SACK_NEXT_UNSACKED, 5000, 1000 });
	fxr_tcp_sack_sent(&sb, &(struct fxr_tcp_sack_next){ FXR_TCP_SACK_NEXT_UNSACKED, 6000, 500 });
	/* HighRxt covers the hole: rule 4 picks [5500, 6500), holding octet 6499 */
	fxr_tcp_sack_next_seg(&sb, nxt, SMSS, 0, &nx);
	assert_int_equal(nx.kind, FXR_TCP_SACK_NEXT_RESCUE);
	assert_int_equal(nx.seq, 5500);
	assert_int_equal(nx.len, 1000);
}

/* RFC 2018 §5, second example: the left window edge is 5000, 500-byte segments 5000..8500
 * are sent, every other one (5500, 6500, 7500) is lost. The receiver ACKs 5500 with
 * blocks, most recent first. Runs are what the reassembly queue reports. */
static void test_receiver_rfc2018_example(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t base = bases[k];
		struct fxr_tcp_sack_rx rx;
		struct fxr_tcp_sack_block out[4];
		const uint32_t rcv_nxt = base + 5500; /* 5000 arrived in order */

		fxr_tcp_sack_rx_init(&rx);
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 0);
		/* 6000 arrives: SACK 6000-6500 */
		fxr_tcp_sack_rx_update(&rx, B(6000, 6500), rcv_nxt);
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 1);
		assert_int_equal(out[0].start, base + 6000);
		/* 7000 arrives: 7000-7500, 6000-6500 */
		fxr_tcp_sack_rx_update(&rx, B(7000, 7500), rcv_nxt);
		/* 8000 arrives: 8000-8500, 7000-7500, 6000-6500 */
		fxr_tcp_sack_rx_update(&rx, B(8000, 8500), rcv_nxt);
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 3);
		assert_int_equal(out[0].start, base + 8000);
		assert_int_equal(out[0].end, base + 8500);
		assert_int_equal(out[1].start, base + 7000);
		assert_int_equal(out[2].start, base + 6000);
		/* with timestamps only 3 fit; ask for 2 */
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 2), 2);
		assert_int_equal(out[1].start, base + 7000);
		/* 6500 is retransmitted and arrives: the run 6000-7500 goes first, and both
		 * old blocks it swallowed disappear */
		fxr_tcp_sack_rx_update(&rx, B(6000, 7500), rcv_nxt);
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 2);
		assert_int_equal(out[0].start, base + 6000);
		assert_int_equal(out[0].end, base + 7500);
		assert_int_equal(out[1].start, base + 8000);
		/* 5500 arrives: RCV.NXT jumps to 7500, only 8000-8500 remains */
		fxr_tcp_sack_rx_advance(&rx, base + 7500);
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 1);
		assert_int_equal(out[0].start, base + 8000);
		/* a block straddling RCV.NXT is trimmed */
		fxr_tcp_sack_rx_advance(&rx, base + 8100);
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 1);
		assert_int_equal(out[0].start, base + 8100);
		fxr_tcp_sack_rx_advance(&rx, base + 8500);
		assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 0);
	}
}

static void test_receiver_bounded(void **state)
{
	(void)state;
	uint32_t base = bases[1];
	struct fxr_tcp_sack_rx rx;
	struct fxr_tcp_sack_block out[4];

	fxr_tcp_sack_rx_init(&rx);
	/* six islands: only the four most recent are kept, newest first */
	for (uint32_t i = 0; i < 6; i++)
		fxr_tcp_sack_rx_update(&rx, B(1000 * i + 1000, 1000 * i + 1500), base);
	assert_int_equal(fxr_tcp_sack_rx_fill(&rx, out, 4), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(out[i].start, base + 1000 * (5 - i) + 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_cum_ack_and_bad_blocks),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_is_lost),
		cmocka_unit_test(test_pipe_and_next_seg),
		cmocka_unit_test(test_segment_cut_at_block),
		cmocka_unit_test(test_rescue),
		cmocka_unit_test(test_receiver_rfc2018_example),
		cmocka_unit_test(test_receiver_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
