/* tcp_seq.h: TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).
 *
 * Sequence numbers live on a circle of 2^32 values, so "a before b" only has a meaning when
 * a and b are less than 2^31 apart: a is before b when the signed 32-bit difference a - b is
 * negative. Every comparison in the stack goes through these helpers; a plain `<` on two
 * sequence numbers is a bug at the wrap point.
 *
 * Pure functions, no state: callable from any thread. */
#ifndef FXR_TCP_SEQ_H
#define FXR_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance from b to a (a - b), meaningful when |a - b| < 2^31. The conversion of an
 * out-of-range uint32_t to int32_t is modular on every compiler we build with (gcc, clang:
 * both document it); the unsigned subtraction itself never overflows. */
static inline int32_t fxr_tcp_seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* a < b on the sequence circle. */
static inline bool fxr_tcp_seq_lt(uint32_t a, uint32_t b)
{
	return fxr_tcp_seq_diff(a, b) < 0;
}

/* a <= b on the sequence circle. */
static inline bool fxr_tcp_seq_leq(uint32_t a, uint32_t b)
{
	return fxr_tcp_seq_diff(a, b) <= 0;
}

/* a > b on the sequence circle. */
static inline bool fxr_tcp_seq_gt(uint32_t a, uint32_t b)
{
	return fxr_tcp_seq_diff(a, b) > 0;
}

/* a >= b on the sequence circle. */
static inline bool fxr_tcp_seq_geq(uint32_t a, uint32_t b)
{
	return fxr_tcp_seq_diff(a, b) >= 0;
}

/* The later of a and b. */
static inline uint32_t fxr_tcp_seq_max(uint32_t a, uint32_t b)
{
	return fxr_tcp_seq_gt(a, b) ? a : b;
}

/* The earlier of a and b. */
static inline uint32_t fxr_tcp_seq_min(uint32_t a, uint32_t b)
{
	return fxr_tcp_seq_lt(a, b) ? a : b;
}

/* True when seq lies in the half-open window [lo, lo + len). An empty window (len 0) holds
 * nothing. Written as one unsigned subtraction so it is exact for any len up to 2^32 - 1,
 * with no sign trouble at the wrap. */
static inline bool fxr_tcp_seq_in_window(uint32_t seq, uint32_t lo, uint32_t len)
{
	return seq - lo < len;
}

/* True when lo <= seq <= hi on the sequence circle (both ends included), e.g. the RFC 9293
 * §3.10.7.4 ACK check SND.UNA < SEG.ACK =< SND.NXT is
 * fxr_tcp_seq_between(ack, una + 1, nxt). Requires lo <= hi. */
static inline bool fxr_tcp_seq_between(uint32_t seq, uint32_t lo, uint32_t hi)
{
	return seq - lo <= hi - lo;
}

/* RFC 9293 §3.10.7.4, segment acceptability test (the four cases of its table):
 *
 *   SEG.LEN  RCV.WND  test
 *   0        0        SEG.SEQ = RCV.NXT
 *   0        >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *   >0       0        not acceptable
 *   >0       >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *                     or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
 *
 * seg_len counts SYN and FIN as one each, as SEG.LEN does in the RFC. Returns true when the
 * segment is acceptable (the caller then trims it to the window); false means send an ACK
 * (unless RST) and drop it. */
static inline bool fxr_tcp_seq_acceptable(uint32_t seg_seq, uint32_t seg_len, uint32_t rcv_nxt,
					  uint32_t rcv_wnd)
{
	if (seg_len == 0) {
		if (rcv_wnd == 0)
			return seg_seq == rcv_nxt;
		return fxr_tcp_seq_in_window(seg_seq, rcv_nxt, rcv_wnd);
	}
	if (rcv_wnd == 0)
		return false;
	return fxr_tcp_seq_in_window(seg_seq, rcv_nxt, rcv_wnd) ||
	       fxr_tcp_seq_in_window(seg_seq + seg_len - 1, rcv_nxt, rcv_wnd);
}

#endif
