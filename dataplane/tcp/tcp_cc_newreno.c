/* tcp_cc_newreno.c: NewReno, RFC 5681 (slow start, congestion avoidance, fast retransmit
 * and fast recovery) with the partial-ACK handling of RFC 6582. The ACK classification is
 * the driver's (tcp_cc.c); this file only moves cwnd and ssthresh. */
#include "tcp_cc.h"

static inline uint32_t cap(uint64_t v)
{
	return v > FXR_TCP_CC_CWND_MAX ? FXR_TCP_CC_CWND_MAX : (uint32_t)v;
}

/* RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static inline uint32_t half_flight(const struct fxr_tcp_cc *cc, uint32_t flight)
{
	uint32_t h = flight / 2, floor = 2 * cc->smss;
	return h > floor ? h : floor;
}

/* RFC 5681 §3.1 eq. (1): IW = 2, 3 or 4 segments by SMSS (RFC 3390). Linux now starts
 * at 10 (RFC 6928); we keep the standards-track value until it is measured here. */
static void newreno_init(struct fxr_tcp_cc *cc)
{
	uint32_t s = cc->smss;
	uint32_t segs = s > 2190 ? 2 : s > 1095 ? 3 : 4;

	cc->cwnd = cap((uint64_t)segs * s);
	cc->ssthresh = FXR_TCP_CC_CWND_MAX; /* "arbitrarily high" */
	cc->bytes_acked = 0;
}

static void newreno_on_ack(struct fxr_tcp_cc *cc, uint32_t acked)
{
	if (cc->cwnd < cc->ssthresh) {
		/* RFC 5681 §3.1 eq. (2): slow start, cwnd += min(N, SMSS) */
		cc->cwnd = cap((uint64_t)cc->cwnd + (acked < cc->smss ? acked : cc->smss));
		return;
	}
	/* RFC 5681 §3.1, congestion avoidance with byte counting: one SMSS per cwnd of
	 * acknowledged bytes (the RFC's recommended form, robust to stretch ACKs) */
	cc->bytes_acked += acked;
	if (cc->bytes_acked >= cc->cwnd) {
		cc->bytes_acked -= cc->cwnd;
		cc->cwnd = cap((uint64_t)cc->cwnd + cc->smss);
	}
}

static void newreno_on_loss(struct fxr_tcp_cc *cc, uint32_t flight)
{
	/* RFC 5681 §3.2 steps 2-3: ssthresh by eq. (4), cwnd inflated by the three segments
	 * that have left the network */
	cc->ssthresh = half_flight(cc, flight);
	cc->cwnd = cap((uint64_t)cc->ssthresh + 3ull * cc->smss);
}

static void newreno_on_dupack(struct fxr_tcp_cc *cc)
{
	/* RFC 5681 §3.2 step 4: each further duplicate means a segment left the network */
	cc->cwnd = cap((uint64_t)cc->cwnd + cc->smss);
}

static void newreno_on_partial_ack(struct fxr_tcp_cc *cc, uint32_t acked)
{
	/* RFC 6582 step 5: deflate by the newly acknowledged amount, add back one SMSS if at
	 * least one SMSS was acknowledged; never below one SMSS. */
	uint64_t c = cc->cwnd > acked ? cc->cwnd - acked : 0;
	if (acked >= cc->smss)
		c += cc->smss;
	if (c < cc->smss)
		c = cc->smss;
	cc->cwnd = cap(c);
}

static void newreno_on_rto(struct fxr_tcp_cc *cc, uint32_t flight, bool repeated)
{
	/* RFC 5681 §3.1: ssthresh by eq. (4) unless this segment was already retransmitted
	 * by the timer; cwnd = LW = 1 SMSS */
	if (!repeated)
		cc->ssthresh = half_flight(cc, flight);
	cc->cwnd = cc->smss;
}

static void newreno_on_recovery_exit(struct fxr_tcp_cc *cc, uint32_t flight)
{
	/* RFC 6582 step 4, option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS),
	 * which avoids the burst option (2) can cause when little is in flight */
	uint64_t f = flight > cc->smss ? flight : cc->smss;
	uint64_t c = f + cc->smss;
	cc->cwnd = cap(c < cc->ssthresh ? c : cc->ssthresh);
	cc->bytes_acked = 0;
}

const struct fxr_tcp_cc_ops fxr_tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_loss = newreno_on_loss,
	.on_dupack = newreno_on_dupack,
	.on_partial_ack = newreno_on_partial_ack,
	.on_rto = newreno_on_rto,
	.on_recovery_exit = newreno_on_recovery_exit,
};
