/* tcp_timers.c: every per-connection timer, on the lcore's hashed timer wheel
 * (tcp_timer_wheel.h, 1 ms ticks). A TCB has one wheel timer, armed at the earliest of its
 * deadlines:
 *   rtx_at    retransmission (RFC 6298 §5), or persist (RFC 9293 §3.8.6.1) when
 *             FXR_TCBF_PERSIST, or SYN / SYN-ACK retransmission, or the end of TIME-WAIT
 *             (RFC 9293 §3.10.7.4; ours is short and configurable), or the FIN-WAIT-2
 *             bound (nothing to retransmit in that state: all of ours is acknowledged);
 *   delack_at the delayed ACK (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2: under 500 ms).
 * The stack clock (now_ms) is the TSC in ms; the loop may sleep while timers are pending:
 * they are checked on every iteration, so a sleep of at most ~1 ms delays them that much. */
#include <errno.h>

#include <rte_mbuf.h>

#include "counters.h"
#include "tcp.h"
#include "tcp_internal.h"

#define PERSIST_MAX_MS 60000u

static inline bool ms_due(uint32_t at, uint32_t now)
{
	return at != 0 && fxr_tcp_seq_leq(at, now);
}

void fxr_tcp_timer_update(struct fxr_tcp_stack *s, struct fxr_tcb *tcb)
{
	uint32_t at = tcb->rtx_at;

	if ((tcb->flags & FXR_TCBF_ACK_DELAYED) && tcb->delack_at != 0
		&& (at == 0 || fxr_tcp_seq_lt(tcb->delack_at, at)))
		at = tcb->delack_at;
	fxr_tw_stop(&s->wheel, &tcb->timer);
	if (at == 0)
		return;
	int32_t d = fxr_tcp_seq_diff(at, s->now_ms);

	fxr_tw_start(&s->wheel, &tcb->timer, d > 0 ? (uint64_t)d : 0);
}

void fxr_tcp_rtx_arm(struct fxr_tcp_stack *s, struct fxr_tcb *tcb)
{
	uint32_t ms = (fxr_tcp_rto_current(&tcb->rto, &s->rto_cfg) + 999u) / 1000u;

	if (tcb->flags & FXR_TCBF_PERSIST)
		ms = RTE_MIN(ms, PERSIST_MAX_MS);
	tcb->rtx_at = s->now_ms + (ms ? ms : 1);
	if (tcb->rtx_at == 0)
		tcb->rtx_at = 1;
	fxr_tcp_timer_update(s, tcb);
}

void fxr_tcp_rtx_stop(struct fxr_tcp_stack *s, struct fxr_tcb *tcb)
{
	tcb->rtx_at = 0;
	tcb->flags &= (uint16_t)~FXR_TCBF_PERSIST;
	fxr_tcp_timer_update(s, tcb);
}

void fxr_tcp_fin_wait2(struct fxr_tcp_stack *s, struct fxr_tcb *tcb)
{
	tcb->state = FXR_TCP_FIN_WAIT_2;
	tcb->rtx_at = s->now_ms + s->cfg.fin_wait2_ms;
	if (tcb->rtx_at == 0)
		tcb->rtx_at = 1;
	fxr_tcp_timer_update(s, tcb);
}

void fxr_tcp_time_wait(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_stack *s = lc->tcp;

	tcb->state = FXR_TCP_TIME_WAIT;
	tcb->flags &= (uint16_t)~FXR_TCBF_PERSIST;
	fxr_tcp_app_closed(lc, tcb, 0);
	tcb->rtx_at = s->now_ms + s->cfg.time_wait_ms;
	if (tcb->rtx_at == 0)
		tcb->rtx_at = 1;
	fxr_tcp_timer_update(s, tcb);
	FXR_CTR_INC(lc, tcp_time_wait);
}

static void persist_expired(struct fxr_lcore *lc, struct fxr_tcb *tcb);

/* RFC 6298 §5.4-5.6 (and RFC 9293 §3.8.1 for SYN and SYN-ACK): retransmit the earliest
 * unacknowledged segment, back off, restart. RFC 5681 §3.1: cwnd to one segment, and go
 * back to SND.UNA (snd_nxt), so that the rest follows as ACKs come. */
static void rtx_expired(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_stack *s = lc->tcp;
	bool syn = tcb->state == FXR_TCP_SYN_SENT || tcb->state == FXR_TCP_SYN_RCVD;
	uint32_t limit = syn ? s->cfg.syn_retries : s->cfg.data_retries;

	if (tcb->rtx_count >= limit) {
		FXR_CTR_INC(lc, tcp_timeout_drop);
		if (!syn)
			fxr_tcp_send_rst(lc, tcb);
		fxr_tcp_close_tcb(lc, tcb, -ETIMEDOUT, false);
		return;
	}
	tcb->rtx_count++;
	tcb->flags &= (uint16_t)~FXR_TCBF_RTT_TIMING; /* Karn */
	if (!syn && tcb->snd_wnd == 0 && fxr_tcp_flight(tcb) <= 1 && tcb->sndq_bytes != 0
		&& !(tcb->flags & FXR_TCBF_FIN_SENT)) {
		/* RFC 9293 §3.8.6.1: what timed out is the window probe, and the window is still
		 * closed: probe again (a closed window is not a loss: no congestion response).
		 * An answered probe resets rtx_count (tcp_input.c), so only a silent peer is
		 * given up on, as RFC 1122 §4.2.2.17 requires */
		tcb->snd_nxt = tcb->snd_una;
		persist_expired(lc, tcb);
		return;
	}
	fxr_tcp_rto_on_expiry(&tcb->rto, &s->rto_cfg);
	FXR_CTR_INC(lc, tcp_rto_expired);
	if (syn) {
		tcb->flags |= FXR_TCBF_SYN_LOST;
		FXR_CTR_INC(lc, tcp_tx_rexmit);
		fxr_tcp_send_segment(lc, tcb, tcb->iss, 0, RTE_TCP_SYN_FLAG);
		fxr_tcp_rtx_arm(s, tcb);
		return;
	}
	bool in_sack_recovery = fxr_tcb_sb(s, tcb)->in_recovery;

	fxr_tcp_cc_on_rto(&tcb->cc, tcb->snd_max, fxr_tcp_flight(tcb),
		(tcb->flags & FXR_TCBF_RETRANSMIT) != 0);
	/* RFC 6675 §5.1 moves RecoveryPoint to HighData on a timeout only when it struck during
	 * loss recovery; RFC 6582's unconditional "recover = SND.NXT - 1" would forbid fast
	 * recovery for a whole window after any timeout, and on a lossy path every loss in the
	 * go-back-N would then cost another timeout */
	if ((tcb->flags & FXR_TCBF_SACK) && !in_sack_recovery)
		tcb->cc.recover = tcb->snd_una - 1;
	tcb->flags |= FXR_TCBF_RETRANSMIT;
	tcb->snd_nxt = tcb->snd_una;
	/* RFC 2018 §8 / RFC 6675 §5.1: after a timeout the SACK information is not trusted,
	 * everything from SND.UNA goes again (go-back-N), and SACK recovery ends */
	fxr_tcp_sack_clear(fxr_tcb_sb(s, tcb));
	fxr_tcp_sack_init(fxr_tcb_sb(s, tcb), tcb->snd_una);
	tcb->rtx_at = 0;
	fxr_tcp_output(lc, tcb);
	if (tcb->state != FXR_TCP_CLOSED && tcb->rtx_at == 0)
		fxr_tcp_rtx_arm(s, tcb);
}

/* RFC 9293 §3.8.6.1: the window is zero and data waits: send one octet beyond it, which the
 * peer must ACK (with its current window), backing off like the RTO. */
static void persist_expired(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_stack *s = lc->tcp;
	uint32_t off = tcb->snd_nxt - tcb->snd_una;

	FXR_CTR_INC(lc, tcp_tx_window_probe);
	if (off < tcb->sndq_bytes) {
		fxr_tcp_send_segment(lc, tcb, tcb->snd_nxt, 1, RTE_TCP_ACK_FLAG);
		tcb->snd_nxt++;
		if (fxr_tcp_seq_gt(tcb->snd_nxt, tcb->snd_max))
			tcb->snd_max = tcb->snd_nxt;
		tcb->flags &= (uint16_t)~FXR_TCBF_PERSIST;
	} else {
		fxr_tcp_send_ack(lc, tcb);
	}
	fxr_tcp_rto_on_expiry(&tcb->rto, &s->rto_cfg);
	fxr_tcp_rtx_arm(s, tcb);
}

static void tcb_expire(struct fxr_tw_timer *t, void *ctx)
{
	struct fxr_lcore *lc = ctx;
	struct fxr_tcp_stack *s = lc->tcp;
	struct fxr_tcb *tcb = fxr_tw_owner(t, struct fxr_tcb, timer);
	uint32_t now = s->now_ms;

	if ((tcb->flags & FXR_TCBF_ACK_DELAYED) && ms_due(tcb->delack_at, now)) {
		FXR_CTR_INC(lc, tcp_delack_expired);
		tcb->delack_at = 0;
		fxr_tcp_send_ack(lc, tcb);
	}
	if (ms_due(tcb->rtx_at, now)) {
		tcb->rtx_at = 0;
		switch (tcb->state) {
		case FXR_TCP_TIME_WAIT:
			fxr_tcp_close_tcb(lc, tcb, 0, false);
			return;
		case FXR_TCP_FIN_WAIT_2:
			/* a peer that never closes would hold the TCB for ever: reset it, as
			 * Linux does when tcp_fin_timeout runs out */
			FXR_CTR_INC(lc, tcp_fin_wait2_timeout);
			fxr_tcp_send_rst(lc, tcb);
			fxr_tcp_close_tcb(lc, tcb, -ETIMEDOUT, false);
			return;
		default:
			if (tcb->flags & FXR_TCBF_PERSIST)
				persist_expired(lc, tcb);
			else
				rtx_expired(lc, tcb);
			if (tcb->state == FXR_TCP_CLOSED)
				return;
			break;
		}
	}
	fxr_tcp_timer_update(s, tcb);
}

void fxr_tcp_timers(struct fxr_lcore *lc)
{
	struct fxr_tcp_stack *s = lc->tcp;
	uint32_t now = (uint32_t)((lc->now_tsc - s->tsc_base) / s->tsc_per_ms) + 1;

	if (now == s->now_ms)
		return;
	s->now_ms = now;
	/* bounded: the wheel visits at most its slot count per call */
	fxr_tw_advance(&s->wheel, now, tcb_expire, lc);
}
