/* tcp_input.c: segment arrival, RFC 9293 §3.10.7, with RFC 7323 (PAWS, timestamps, window
 * scale), RFC 5961 (challenge ACKs), RFC 5681/6582 (duplicate ACKs, through tcp_cc) and the
 * out-of-order queue (tcp_reass) feeding our SACK blocks (RFC 2018 §4). */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "counters.h"
#include "tcp.h"
#include "tcp_internal.h"

/* One parsed segment. */
struct seg {
	uint32_t seq, ack, wnd;  /* wnd as received, unscaled */
	uint32_t len;            /* payload octets */
	uint32_t hdr;            /* l2 + l3 + TCP header octets before the payload */
	uint8_t flags;
	struct fxr_tcp_opts o;
};

#define F_SYN RTE_TCP_SYN_FLAG
#define F_ACK RTE_TCP_ACK_FLAG
#define F_RST RTE_TCP_RST_FLAG
#define F_FIN RTE_TCP_FIN_FLAG

static void ack_now(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	tcb->flags |= FXR_TCBF_ACK_NOW;
	fxr_tcp_pending_add(lc, tcb);
}

/* RFC 5961 §3.2, §4.2, §5.2: answer a suspicious RST, SYN or ACK with an ACK for what we
 * expect; §7: at most cfg.challenge_acks_per_s of them a second on this lcore. */
static void challenge_ack(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_stack *s = lc->tcp;

	if (s->now_ms - s->challenge_ms >= 1000) {
		s->challenge_ms = s->now_ms;
		s->challenge_n = 0;
	}
	if (s->challenge_n >= s->cfg.challenge_acks_per_s) {
		FXR_CTR_INC(lc, tcp_challenge_ack_limited);
		return;
	}
	s->challenge_n++;
	FXR_CTR_INC(lc, tcp_tx_challenge_ack);
	ack_now(lc, tcb);
}

static const struct fxr_tcp_listener *listener_find(const struct fxr_tcp_stack *s, uint16_t lport,
	uint32_t *idx)
{
	for (uint32_t i = 0; i < FXR_TCP_LISTENERS_MAX; i++)
		if (s->listeners[i].lport == lport) {
			*idx = i;
			return &s->listeners[i];
		}
	return NULL;
}

/* Options of a SYN: MSS (RFC 9293 §3.7.1; 536 when absent), window scale, SACK-permitted,
 * timestamps (RFC 7323 §2.2, §3.2: in use only when both SYNs carry them). */
static void syn_options(struct fxr_tcp_stack *s, struct fxr_tcb *tcb, const struct seg *g)
{
	uint16_t mss = g->o.mss ? g->o.mss : FXR_TCP_MSS_DEFAULT_PEER;

	tcb->snd_mss = RTE_MIN(mss, s->cfg.mss);
	if (tcb->snd_mss < 64)
		tcb->snd_mss = 64;
	if (g->o.has_wscale) {
		tcb->flags |= FXR_TCBF_WSCALE;
		tcb->snd_wscale = g->o.wscale;
		tcb->rcv_wscale = FXR_TCP_WSCALE_OURS;
	} else {
		tcb->flags &= (uint16_t)~FXR_TCBF_WSCALE;
		tcb->snd_wscale = 0;
		tcb->rcv_wscale = 0;
	}
	if (g->o.sack_ok)
		tcb->flags |= FXR_TCBF_SACK;
	else
		tcb->flags &= (uint16_t)~FXR_TCBF_SACK;
	if (g->o.has_ts) {
		tcb->flags |= FXR_TCBF_TS;
		tcb->ts_recent = g->o.tsval;
	} else {
		tcb->flags &= (uint16_t)~FXR_TCBF_TS;
	}
}

/* RFC 9293 §3.10.7.2: a SYN to a listening port. */
static void passive_open(struct fxr_lcore *lc, const struct fxr_tcp_key *k, const struct seg *g,
	uint32_t lidx)
{
	struct fxr_tcp_stack *s = lc->tcp;
	struct fxr_tcp_listener *l = &s->listeners[lidx];
	struct fxr_tcb *tcb;

	if (l->syn_rcvd >= l->backlog) {
		/* RFC 4987 §3.6: the backlog is full, answer with a SYN cookie and keep nothing.
		 * The SYN-ACK comes from a TCB on the stack that lives for this call only; it
		 * offers MSS alone (see tcp_syncookie.c for what a cookie cannot carry) */
		struct fxr_tcb tmp;

		memset(&tmp, 0, sizeof(tmp));
		tmp.key = *k;
		tmp.state = FXR_TCP_SYN_RCVD;
		tmp.irs = g->seq;
		tmp.rcv_nxt = g->seq + 1;
		tmp.iss = fxr_tcp_syncookie_make(s, k, g->seq, g->o.mss ? g->o.mss
			: FXR_TCP_MSS_DEFAULT_PEER);
		tmp.snd_una = tmp.iss;
		tmp.snd_nxt = tmp.snd_max = tmp.iss + 1;
		l->cookie_ms = s->now_ms ? s->now_ms : 1;
		FXR_CTR_INC(lc, tcp_syncookie_sent);
		fxr_tcp_send_segment(lc, &tmp, tmp.iss, 0, F_SYN);
		return;
	}
	tcb = fxr_tcb_alloc(s, k);
	if (tcb == NULL) {
		FXR_CTR_INC(lc, tcp_drop_table_full);
		return;
	}
	tcb->listener = lidx;
	tcb->irs = g->seq;
	tcb->rcv_nxt = g->seq + 1;
	tcb->iss = fxr_tcp_iss(s, k);
	tcb->snd_una = tcb->iss;
	tcb->snd_nxt = tcb->iss + 1;
	tcb->snd_max = tcb->iss + 1;
	syn_options(s, tcb, g);
	/* RFC 7323 §2.2: the window in a SYN is not scaled */
	tcb->snd_wnd = g->wnd;
	tcb->snd_wl1 = g->seq;
	tcb->snd_wl2 = tcb->iss;
	tcb->state = FXR_TCP_SYN_RCVD;
	tcb->app = l->app;
	l->syn_rcvd++;
	fxr_tcp_rto_init(&tcb->rto, &s->rto_cfg);
	FXR_CTR_INC(lc, tcp_passive_open);
	/* data on a SYN is not kept: the peer sends it again after our SYN-ACK */
	fxr_tcp_send_segment(lc, tcb, tcb->iss, 0, F_SYN);
	fxr_tcp_rtx_arm(s, tcb);
}

/* RFC 4987 §3.6: an ACK to a listener that sent cookies lately: when it returns a valid
 * cookie, the TCB the SYN did not get is made now, in SYN-RECEIVED as if it had waited
 * there, and the ACK then completes the handshake through the normal path. Returns the TCB,
 * or NULL (the caller answers with a RST, as for any ACK to a listener). */
static struct fxr_tcb *cookie_open(struct fxr_lcore *lc, const struct fxr_tcp_key *k,
	const struct seg *g, uint32_t lidx)
{
	struct fxr_tcp_stack *s = lc->tcp;
	struct fxr_tcp_listener *l = &s->listeners[lidx];
	struct fxr_tcb *tcb;
	uint16_t mss;

	/* cookies are good for two 65 s slots: older than that, none can be valid */
	if (l->cookie_ms == 0 || s->now_ms - l->cookie_ms > 2u * 65536u)
		return NULL;
	if (fxr_tcp_syncookie_check(s, k, g->seq - 1, g->ack - 1, &mss) < 0) {
		FXR_CTR_INC(lc, tcp_syncookie_bad);
		return NULL;
	}
	tcb = fxr_tcb_alloc(s, k);
	if (tcb == NULL) {
		FXR_CTR_INC(lc, tcp_drop_table_full);
		return NULL;
	}
	FXR_CTR_INC(lc, tcp_syncookie_ok);
	tcb->listener = lidx;
	tcb->irs = g->seq - 1;
	tcb->rcv_nxt = g->seq;
	tcb->iss = g->ack - 1;
	tcb->snd_una = tcb->iss;
	tcb->snd_nxt = tcb->snd_max = g->ack;
	tcb->snd_mss = RTE_MIN(mss, s->cfg.mss);
	/* what the cookie SYN-ACK offered: an unscaled window of at most 64 KB */
	tcb->rcv_adv = tcb->rcv_nxt + RTE_MIN(fxr_tcp_rcv_window(s, tcb), 65535u);
	tcb->last_ack_sent = tcb->rcv_nxt;
	tcb->snd_wl1 = g->seq;
	tcb->state = FXR_TCP_SYN_RCVD;
	tcb->app = l->app;
	l->syn_rcvd++;
	fxr_tcp_rto_init(&tcb->rto, &s->rto_cfg);
	FXR_CTR_INC(lc, tcp_passive_open);
	return tcb;
}

/* Moves SYN-RECEIVED or SYN-SENT to ESTABLISHED (RFC 9293 §3.10.7.3, §3.10.7.4). Returns
 * false when the app refused the connection (it was reset and freed). */
static bool established(struct fxr_lcore *lc, struct fxr_tcb *tcb, const struct seg *g)
{
	struct fxr_tcp_stack *s = lc->tcp;
	bool passive = tcb->state == FXR_TCP_SYN_RCVD && !(tcb->flags & FXR_TCBF_ACTIVE);

	if (passive)
		s->listeners[tcb->listener].syn_rcvd--;
	tcb->state = FXR_TCP_ESTABLISHED;
	tcb->snd_wnd = g->wnd << tcb->snd_wscale;
	tcb->snd_wl1 = g->seq;
	tcb->snd_wl2 = g->ack;
	tcb->rtx_count = 0;
	fxr_tcp_cc_init(&tcb->cc, &fxr_tcp_cc_newreno, tcb->snd_mss, tcb->iss);
	fxr_tcp_sack_init(fxr_tcb_sb(s, tcb), g->ack);
	if (tcb->flags & FXR_TCBF_SYN_LOST)
		fxr_tcp_rto_syn_lost(&tcb->rto, &s->rto_cfg);
	FXR_CTR_INC(lc, tcp_established);
	if (passive) {
		void *ctx = NULL;

		if (tcb->app != NULL && tcb->app->on_accept != NULL)
			ctx = tcb->app->on_accept(lc, tcb, s->listeners[tcb->listener].ctx);
		if (ctx == NULL) {
			tcb->app = NULL;
			fxr_tcp_abort(lc, tcb);
			return false;
		}
		tcb->app_ctx = ctx;
	} else if (tcb->app != NULL && tcb->app->on_connected != NULL) {
		tcb->app->on_connected(lc, tcb);
		if (tcb->state == FXR_TCP_CLOSED)
			return false;
	}
	return true;
}

/* RTT sample from an ACK that advanced SND.UNA (RFC 6298 §3, RFC 7323 §4.1). */
static void rtt_sample(struct fxr_tcp_stack *s, struct fxr_tcb *tcb, const struct seg *g)
{
	if ((tcb->flags & FXR_TCBF_TS) && g->o.has_ts && g->o.tsecr != 0) {
		uint32_t ms = s->now_ms - g->o.tsecr;

		if (ms < 600000u)
			fxr_tcp_rto_on_rtt(&tcb->rto, &s->rto_cfg, ms * 1000u, FXR_TCP_RTT_TIMESTAMP);
	} else if ((tcb->flags & FXR_TCBF_RTT_TIMING) && fxr_tcp_seq_gt(g->ack, tcb->rtt_seq)) {
		tcb->flags &= (uint16_t)~FXR_TCBF_RTT_TIMING;
		fxr_tcp_rto_on_rtt(&tcb->rto, &s->rto_cfg, (s->now_ms - tcb->rtt_ms) * 1000u, 0);
	}
}

/* Frees n acknowledged bytes from the head of the send queue. */
static void sndq_release(struct fxr_tcb *tcb, uint32_t n)
{
	uint32_t freed = 0;

	tcb->sndq_bytes -= n;
	n += tcb->sndq_off;
	while (tcb->sndq_head != NULL && n >= rte_pktmbuf_data_len(tcb->sndq_head)) {
		struct rte_mbuf *m = tcb->sndq_head;

		n -= rte_pktmbuf_data_len(m);
		freed += rte_pktmbuf_data_len(m);
		if (m == tcb->sndq_hint)
			tcb->sndq_hint = NULL;
		tcb->sndq_head = m->next;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
	}
	if (tcb->sndq_head == NULL)
		tcb->sndq_tail = NULL;
	tcb->sndq_off = n;
	if (tcb->sndq_hint != NULL)
		tcb->sndq_hint_off -= freed;
}

/* Retransmits one segment at SND.UNA (fast retransmit, partial ACK). */
static void retransmit_una(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	uint32_t seg_max = fxr_tcp_seg_max(lc->tcp, tcb);
	uint32_t len = RTE_MIN(RTE_MIN(seg_max, tcb->sndq_bytes), fxr_tcp_flight(tcb));
	uint8_t flags = F_ACK;

	if ((tcb->flags & FXR_TCBF_FIN_SENT) && len == tcb->sndq_bytes
		&& tcb->snd_una + len + 1 == tcb->snd_max)
		flags |= F_FIN;
	if (len == 0 && !(flags & F_FIN))
		return;
	FXR_CTR_INC(lc, tcp_tx_fast_rexmit);
	fxr_tcp_send_segment(lc, tcb, tcb->snd_una, len, flags);
}

/* RFC 6675 §4 IsLost(HighACK + 1); or, when no new data can be sent to make the three
 * duplicate ACKs that would prove it (a short flight, an app-limited sender), RFC 5827 early
 * retransmit in its SACK form: everything outstanding but the first segment is SACKed. */
static bool lost_by_sack(struct fxr_lcore *lc, const struct fxr_tcb *tcb,
	const struct fxr_tcp_sack_sb *sb)
{
	uint32_t seg_max = fxr_tcp_seg_max(lc->tcp, tcb);
	uint32_t flight = fxr_tcp_flight(tcb);
	uint32_t sent = tcb->snd_max - tcb->snd_una;
	bool can_send_new = tcb->sndq_bytes > sent
		&& fxr_tcp_seq_gt(tcb->snd_una + RTE_MIN(tcb->snd_wnd, tcb->cc.cwnd), tcb->snd_max);

	if (fxr_tcp_sack_is_lost(sb, tcb->snd_una, seg_max))
		return true;
	if (!can_send_new && flight < 4 * seg_max && sb->sacked_bytes + seg_max >= flight) {
		FXR_CTR_INC(lc, tcp_early_rexmit);
		return true;
	}
	return false;
}

/* RFC 9293 §3.10.7.4 "fifth, check the ACK field" for synchronised states. Returns false
 * when the segment must be dropped (or the TCB is gone). */
static bool ack_process(struct fxr_lcore *lc, struct fxr_tcb *tcb, const struct seg *g)
{
	struct fxr_tcp_stack *s = lc->tcp;

	/* RFC 5961 §5.2: an ACK for data never sent, or older than the window the peer could
	 * still be acking, gets an ACK and is dropped */
	if (fxr_tcp_seq_gt(g->ack, tcb->snd_max)
		|| fxr_tcp_seq_lt(g->ack, tcb->snd_una - RTE_MAX(tcb->snd_wnd, 65535u))) {
		FXR_CTR_INC(lc, tcp_drop_bad_ack);
		challenge_ack(lc, tcb);
		return false;
	}
	bool sack = (tcb->flags & FXR_TCBF_SACK) != 0;
	struct fxr_tcp_sack_sb *sb = fxr_tcb_sb(s, tcb);
	uint32_t newly_sacked = 0;

	/* RFC 2018 §3, RFC 6675 §5: every ACK updates the scoreboard */
	if (sack)
		newly_sacked = fxr_tcp_sack_on_ack(sb, g->ack, g->o.sack, g->o.n_sack, tcb->snd_max);
	if (fxr_tcp_seq_gt(g->ack, tcb->snd_una)) {
		uint32_t acked = g->ack - tcb->snd_una;
		uint32_t data = acked;
		bool fin_acked = (tcb->flags & FXR_TCBF_FIN_SENT) && g->ack == tcb->snd_max;
		enum fxr_tcp_cc_action act;

		if (fin_acked)
			data--;
		if (data > tcb->sndq_bytes)
			data = tcb->sndq_bytes;
		rtt_sample(s, tcb, g);
		sndq_release(tcb, data);
		tcb->snd_una = g->ack;
		if (fxr_tcp_seq_lt(tcb->snd_nxt, tcb->snd_una))
			tcb->snd_nxt = tcb->snd_una;
		tcb->rtx_count = 0;
		tcb->flags &= (uint16_t)~FXR_TCBF_RETRANSMIT;
		FXR_CTR_ADD(lc, tcp_acked_bytes, data);
		act = fxr_tcp_cc_on_ack(&tcb->cc, g->ack, acked, fxr_tcp_flight(tcb));
		/* with SACK, NextSeg() picks the retransmissions (fxr_tcp_output) */
		if (act == FXR_TCP_CC_RETRANSMIT_UNA && !sack)
			retransmit_una(lc, tcb);
		/* RFC 6298 §5.2, §5.3 */
		if (fxr_tcp_flight(tcb) == 0)
			fxr_tcp_rtx_stop(s, tcb);
		else
			fxr_tcp_rtx_arm(s, tcb);
		if (data != 0 && tcb->app != NULL && tcb->app->on_sent != NULL) {
			tcb->app->on_sent(lc, tcb, data);
			if (tcb->state == FXR_TCP_CLOSED)
				return false;
		}
		if (tcb->sndq_bytes != 0 || (tcb->flags & FXR_TCBF_FIN_QUEUED))
			fxr_tcp_pending_add(lc, tcb);
	} else if (g->ack == tcb->snd_una && g->len == 0 && !(g->flags & (F_SYN | F_FIN))
		&& fxr_tcp_flight(tcb) != 0 && (g->wnd << tcb->snd_wscale) == tcb->snd_wnd
		&& tcb->snd_wnd != 0) {
		/* RFC 5681 §2: a duplicate ACK (not the answer of a closed window to our probe:
		 * the octet beyond the window is not lost, the window explains it) */
		enum fxr_tcp_cc_action act;

		FXR_CTR_INC(lc, tcp_rx_dupack);
		act = fxr_tcp_cc_on_dupack(&tcb->cc, g->ack, tcb->snd_max, fxr_tcp_flight(tcb));
		if (act == FXR_TCP_CC_FAST_RETRANSMIT) {
			if (sack && !sb->in_recovery)
				fxr_tcp_sack_recover(lc, tcb);
			else
				retransmit_una(lc, tcb);
		}
		/* cwnd inflation may let new data out */
		fxr_tcp_pending_add(lc, tcb);
	}
	/* RFC 6675 §5: loss detected from SACK information (IsLost(HighACK + 1)) before three
	 * duplicate ACKs came (they rarely do when the window also moves) */
	if (sack && newly_sacked != 0 && !sb->in_recovery && fxr_tcp_flight(tcb) != 0
		&& lost_by_sack(lc, tcb, sb)
		&& fxr_tcp_cc_enter_recovery(&tcb->cc, tcb->snd_una, tcb->snd_max,
			fxr_tcp_flight(tcb)) == FXR_TCP_CC_FAST_RETRANSMIT)
		fxr_tcp_sack_recover(lc, tcb);
	if (sack && sb->in_recovery)
		fxr_tcp_pending_add(lc, tcb);
	/* RFC 9293 §3.10.7.4: update the send window from the newest segment */
	if (fxr_tcp_seq_lt(tcb->snd_wl1, g->seq)
		|| (tcb->snd_wl1 == g->seq && fxr_tcp_seq_leq(tcb->snd_wl2, g->ack))) {
		uint32_t old = tcb->snd_wnd;

		tcb->snd_wnd = g->wnd << tcb->snd_wscale;
		tcb->snd_wl1 = g->seq;
		tcb->snd_wl2 = g->ack;
		if (old == 0 && tcb->snd_wnd != 0) {
			if (tcb->flags & FXR_TCBF_PERSIST)
				fxr_tcp_rtx_stop(s, tcb);
			fxr_tcp_pending_add(lc, tcb);
		} else if (tcb->snd_wnd == 0) {
			/* RFC 1122 §4.2.2.17: the peer answers while its window stays closed: it
			 * is alive, however long the probing lasts */
			tcb->rtx_count = 0;
		}
	}
	/* our FIN acknowledged */
	if ((tcb->flags & FXR_TCBF_FIN_SENT) && tcb->snd_una == tcb->snd_max) {
		switch (tcb->state) {
		case FXR_TCP_FIN_WAIT_1:
			fxr_tcp_fin_wait2(s, tcb);
			break;
		case FXR_TCP_CLOSING:
			fxr_tcp_time_wait(lc, tcb);
			return false;
		case FXR_TCP_LAST_ACK:
			fxr_tcp_close_tcb(lc, tcb, 0, false);
			return false;
		default:
			break;
		}
	}
	return true;
}

/* The pool is below its reserve: frees tcb's out-of-order queue and forgets its SACK blocks
 * (RFC 2018 §8 lets a receiver discard data it reported: the sender keeps it until it is
 * acknowledged cumulatively, and sends it again), as Linux prunes its out-of-order queue
 * under memory pressure. Held data waits for a hole the reserve would otherwise never let
 * in, and holds the pool below it for good. Returns the segments freed. */
static uint32_t ooo_prune(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcb_ooo *ooo = fxr_tcb_ooo(lc->tcp, tcb);
	uint32_t n = ooo->reass.nsegs;

	fxr_tcp_reass_flush(&ooo->reass);
	fxr_tcp_sack_rx_init(&ooo->sack_rx);
	tcb->flags &= (uint16_t)~FXR_TCBF_OOO;
	FXR_CTR_ADD(lc, tcp_ooo_pruned, n);
	return n;
}

/* The pool is below its reserve: whether len bytes at seq are still taken in. Out-of-order
 * data is freed first (ooo_prune), and the segment at RCV.NXT then takes one of the mbufs
 * that freed. Otherwise a connection that holds less than FXR_TCP_PRESSURE_SEGS segments
 * still takes in the segment at RCV.NXT (Linux guarantees each socket tcp_rmem[0] under
 * pressure the same way), while the pool has half its reserve: one whose data moves on at
 * once keeps moving, and it may be what the others wait for (a relayed peer that reads only
 * once it could write), while those whose data waits cannot take more of the pool. */
static bool pool_low_take(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t seq, uint32_t len)
{
	const struct fxr_tcp_stack *s = lc->tcp;

	if ((tcb->flags & FXR_TCBF_OOO) && ooo_prune(lc, tcb) != 0 && seq == tcb->rcv_nxt)
		return true;
	if (seq != tcb->rcv_nxt || s->pool_avail < s->cfg.mbuf_reserve / 2
		|| fxr_tcp_rcv_used(s, tcb) + len > FXR_TCP_PRESSURE_SEGS * (uint32_t)s->cfg.mss)
		return false;
	FXR_CTR_INC(lc, tcp_pool_low_kept);
	return true;
}

/* Hands an in-order mbuf (data = payload) to the app. */
static void deliver(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m, uint32_t len)
{
	tcb->rcv_held += len;
	FXR_CTR_ADD(lc, tcp_rx_bytes, len);
	if (tcb->app != NULL && tcb->app->on_data != NULL)
		tcb->app->on_data(lc, tcb, m, len);
	else
		rte_pktmbuf_free(m);
}

/* RFC 9293 §3.10.7.4 "seventh, process the segment text". Takes m (data = payload already).
 * Returns true when m was consumed. */
static bool data_process(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m,
	uint32_t seq, uint32_t len)
{
	if (seq == tcb->rcv_nxt) {
		struct fxr_tcb_ooo *ooo = fxr_tcb_ooo(lc->tcp, tcb);
		bool had_ooo = (tcb->flags & FXR_TCBF_OOO) != 0;
		struct fxr_tcp_reass_seg *rs;
		unsigned int guard = 0;

		tcb->rcv_nxt += len;
		deliver(lc, tcb, m, len);
		if (tcb->state == FXR_TCP_CLOSED)
			return true;
		/* the hole may be filled: out-of-order data follows in order */
		while (had_ooo && guard++ < 4096
			&& (rs = fxr_tcp_reass_pop(&ooo->reass, &tcb->rcv_nxt)) != NULL) {
			struct rte_mbuf *q = rs->handle;
			uint32_t qlen = rs->len;

			rte_pktmbuf_adj(q, (uint16_t)rs->off);
			rte_pktmbuf_trim(q, (uint16_t)(rte_pktmbuf_data_len(q) - qlen));
			deliver(lc, tcb, q, qlen);
			if (tcb->state == FXR_TCP_CLOSED)
				return true;
		}
		if (had_ooo) {
			fxr_tcp_sack_rx_advance(&ooo->sack_rx, tcb->rcv_nxt);
			if (fxr_tcp_reass_empty(&ooo->reass) && ooo->sack_rx.n == 0)
				tcb->flags &= (uint16_t)~FXR_TCBF_OOO;
			/* RFC 5681 §4.2: ACK at once when a segment fills a hole */
			tcb->flags |= FXR_TCBF_ACK_NOW;
		} else if (++tcb->segs_unacked >= 2) {
			/* RFC 5681 §4.2: at least every second full-sized segment */
			tcb->flags |= FXR_TCBF_ACK_NOW;
		} else {
			tcb->flags |= FXR_TCBF_ACK_DELAYED;
		}
		fxr_tcp_pending_add(lc, tcb);
		return true;
	}
	/* out of order: hold it (bounded), tell the peer at once with SACK (RFC 5681 §4.2,
	 * RFC 2018 §4) */
	FXR_CTR_INC(lc, tcp_rx_out_of_order);
	ack_now(lc, tcb);
	if (rte_pktmbuf_priv_size(m->pool) < sizeof(struct fxr_tcp_reass_seg)) {
		rte_pktmbuf_free(m);
		return true;
	}
	struct fxr_tcp_reass_seg *rs = rte_mbuf_to_priv(m);
	struct fxr_tcb_ooo *ooo = fxr_tcb_ooo(lc->tcp, tcb);
	struct fxr_tcp_sack_block run;

	rs->handle = m;
	rs->seq = seq;
	rs->len = len;
	rs->off = 0;
	tcb->flags |= FXR_TCBF_OOO;
	if (fxr_tcp_reass_insert(&ooo->reass, rs, tcb->rcv_nxt) == FXR_TCP_REASS_QUEUED
		&& fxr_tcp_reass_run(&ooo->reass, seq, &run))
		fxr_tcp_sack_rx_update(&ooo->sack_rx, run, tcb->rcv_nxt);
	return true;
}

/* RFC 9293 §3.10.7.3: SYN-SENT. */
static void syn_sent(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m, struct seg *g)
{
	struct fxr_tcp_stack *s = lc->tcp;

	if ((g->flags & F_ACK)
		&& (fxr_tcp_seq_leq(g->ack, tcb->iss) || fxr_tcp_seq_gt(g->ack, tcb->snd_max))) {
		if (!(g->flags & F_RST))
			fxr_tcp_reply_rst(lc, m, g->len + !!(g->flags & F_SYN) + !!(g->flags & F_FIN));
		else
			rte_pktmbuf_free(m);
		return;
	}
	if (g->flags & F_RST) {
		if (g->flags & F_ACK) {
			FXR_CTR_INC(lc, tcp_rx_rst);
			fxr_tcp_close_tcb(lc, tcb, -ECONNREFUSED, false);
		}
		rte_pktmbuf_free(m);
		return;
	}
	if (!(g->flags & F_SYN) || !(g->flags & F_ACK)) {
		/* simultaneous open is not supported: the SYN is ignored, ours is retransmitted */
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_free(m);
	tcb->irs = g->seq;
	tcb->rcv_nxt = g->seq + 1;
	syn_options(s, tcb, g);
	tcb->snd_una = g->ack;
	if (fxr_tcp_seq_lt(tcb->snd_nxt, tcb->snd_una))
		tcb->snd_nxt = tcb->snd_una;
	rtt_sample(s, tcb, g);
	fxr_tcp_rtx_stop(s, tcb);
	/* RFC 7323 §2.2: a SYN-ACK's window is not scaled */
	if (!established(lc, tcb, g))
		return;
	tcb->snd_wnd = g->wnd;
	ack_now(lc, tcb);
}

/* TIME-WAIT and a new SYN above what we received (RFC 9293 §3.10.7.4 note, RFC 6191):
 * the old incarnation may go, the SYN opens a new one. */
static bool time_wait_reuse(struct fxr_lcore *lc, struct fxr_tcb *tcb, const struct seg *g)
{
	if (tcb->state != FXR_TCP_TIME_WAIT || (g->flags & (F_SYN | F_ACK | F_RST)) != F_SYN)
		return false;
	if (!fxr_tcp_seq_gt(g->seq, tcb->rcv_nxt)
		&& !((tcb->flags & FXR_TCBF_TS) && g->o.has_ts
			&& fxr_tcp_seq_gt(g->o.tsval, tcb->ts_recent)))
		return false;
	FXR_CTR_INC(lc, tcp_time_wait_reuse);
	fxr_tcp_close_tcb(lc, tcb, 0, false);
	return true;
}

/* RFC 9293 §3.1: the checksum over the pseudo-header and the segment sums to all ones. */
static inline bool cksum_ok(const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th,
	uint32_t tcp_len)
{
	uint32_t sum = (uint32_t)rte_ipv4_phdr_cksum(ip, 0) + rte_raw_cksum(th, tcp_len);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

void fxr_tcp_input(struct fxr_lcore *lc, struct rte_mbuf *m)
{
	struct fxr_tcp_stack *s = lc->tcp;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + m->l3_len);
	uint32_t tcp_len = rte_be_to_cpu_16(ip->total_length) - m->l3_len;
	uint32_t doff, seg_len, lidx = 0;
	struct fxr_tcp_key k;
	struct fxr_tcb *tcb;
	struct seg g;
	bool consumed = false;

	if (unlikely(s == NULL)) {
		FXR_CTR_INC(lc, ipv4_drop_tcp_absent);
		goto drop;
	}
	FXR_CTR_INC(lc, tcp_rx_segs);
	doff = (th->data_off >> 4) * 4u;
	if (unlikely(tcp_len < sizeof(*th) || doff < sizeof(*th) || doff > tcp_len)) {
		FXR_CTR_INC(lc, tcp_drop_malformed);
		goto drop;
	}
	if (unlikely(ip->dst_addr != lc->ip)) {
		FXR_CTR_INC(lc, tcp_drop_broadcast);
		goto drop;
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD
		|| ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD
			&& !cksum_ok(ip, th, tcp_len))) {
		FXR_CTR_INC(lc, tcp_drop_cksum);
		goto drop;
	}
	g.seq = rte_be_to_cpu_32(th->sent_seq);
	g.ack = rte_be_to_cpu_32(th->recv_ack);
	g.wnd = rte_be_to_cpu_16(th->rx_win);
	g.flags = th->tcp_flags & (F_SYN | F_ACK | F_RST | F_FIN | RTE_TCP_PSH_FLAG);
	g.len = tcp_len - doff;
	g.hdr = m->l2_len + m->l3_len + doff;
	fxr_tcp_opts_parse(th, &g.o);
	seg_len = g.len + !!(g.flags & F_SYN) + !!(g.flags & F_FIN);
	k.raddr = ip->src_addr;
	k.rport = th->src_port;
	k.lport = th->dst_port;

	tcb = fxr_tcb_lookup(s, &k);
	if (tcb != NULL && time_wait_reuse(lc, tcb, &g))
		tcb = NULL;
	if (tcb == NULL) {
		const struct fxr_tcp_listener *l = listener_find(s, k.lport, &lidx);

		/* RFC 9293 §3.10.7.2 LISTEN: a SYN opens; an ACK gets a RST; a RST is ignored */
		if (l != NULL && (g.flags & (F_SYN | F_ACK | F_RST)) == F_SYN) {
			passive_open(lc, &k, &g, lidx);
			goto drop;
		}
		if (l != NULL && (g.flags & (F_SYN | F_ACK | F_RST)) == F_ACK)
			tcb = cookie_open(lc, &k, &g, lidx);
		if (tcb == NULL) {
			/* §3.10.7.1 CLOSED: everything but a RST gets a RST */
			FXR_CTR_INC(lc, tcp_rx_no_tcb);
			fxr_tcp_reply_rst(lc, m, seg_len);
			return;
		}
	}
	if (tcb->state == FXR_TCP_SYN_SENT) {
		syn_sent(lc, tcb, m, &g);
		return;
	}

	/* SYN-RECEIVED and a retransmitted SYN: our SYN-ACK was lost, send it again */
	if (tcb->state == FXR_TCP_SYN_RCVD && (g.flags & (F_SYN | F_ACK | F_RST)) == F_SYN
		&& g.seq == tcb->irs) {
		FXR_CTR_INC(lc, tcp_tx_rexmit);
		fxr_tcp_send_segment(lc, tcb, tcb->iss, 0, F_SYN);
		goto drop;
	}

	/* RFC 7323 §5.3 PAWS: a timestamp older than TS.Recent marks an old duplicate */
	if ((tcb->flags & FXR_TCBF_TS) && g.o.has_ts && !(g.flags & F_RST)
		&& fxr_tcp_seq_lt(g.o.tsval, tcb->ts_recent)) {
		FXR_CTR_INC(lc, tcp_drop_paws);
		ack_now(lc, tcb);
		goto drop;
	}

	/* RFC 9293 §3.10.7.4 first: sequence number acceptability */
	{
		uint32_t rcv_wnd = fxr_tcp_seq_gt(tcb->rcv_adv, tcb->rcv_nxt)
			? tcb->rcv_adv - tcb->rcv_nxt : 0;

		if (!fxr_tcp_seq_acceptable(g.seq, seg_len, tcb->rcv_nxt, rcv_wnd)) {
			FXR_CTR_INC(lc, tcp_drop_out_of_window);
			if (g.flags & F_RST)
				goto drop;
			ack_now(lc, tcb);
			/* "If the RCV.WND is zero, no segments will be acceptable, but special
			 * allowance should be made to accept valid ACKs": a peer probing our
			 * closed (or nearly closed) window sends data at its edge, then ACKs
			 * with a sequence number beyond it (Linux allows itself one unit of our
			 * window scale); those ACKs must get through, or our window, which
			 * waits on them, never reopens */
			if ((g.flags & (F_ACK | F_SYN)) == F_ACK && tcb->state >= FXR_TCP_ESTABLISHED
				&& fxr_tcp_seq_geq(g.seq, tcb->rcv_nxt)
				&& (uint32_t)fxr_tcp_seq_diff(g.seq, tcb->rcv_nxt) < rcv_wnd + 65536) {
				FXR_CTR_INC(lc, tcp_rx_ack_beyond_window);
				ack_process(lc, tcb, &g);
			}
			goto drop;
		}
	}
	/* RFC 7323 §4.3: TS.Recent from the segment that covers the last ACK we sent */
	if ((tcb->flags & FXR_TCBF_TS) && g.o.has_ts
		&& fxr_tcp_seq_leq(g.seq, tcb->last_ack_sent)
		&& fxr_tcp_seq_geq(g.o.tsval, tcb->ts_recent))
		tcb->ts_recent = g.o.tsval;

	/* second: RST (RFC 5961 §3.2: exact match resets, in-window gets a challenge ACK) */
	if (g.flags & F_RST) {
		if (g.seq != tcb->rcv_nxt) {
			challenge_ack(lc, tcb);
			goto drop;
		}
		FXR_CTR_INC(lc, tcp_rx_rst);
		fxr_tcp_close_tcb(lc, tcb, -ECONNRESET, false);
		goto drop;
	}
	/* fourth: SYN in a synchronised state (RFC 5961 §4.2): challenge ACK */
	if (g.flags & F_SYN) {
		challenge_ack(lc, tcb);
		goto drop;
	}
	/* fifth: ACK */
	if (!(g.flags & F_ACK)) {
		FXR_CTR_INC(lc, tcp_drop_no_ack);
		goto drop;
	}
	if (tcb->state == FXR_TCP_SYN_RCVD) {
		if (!fxr_tcp_seq_between(g.ack, tcb->snd_una + 1, tcb->snd_max)) {
			fxr_tcp_reply_rst(lc, m, seg_len);
			return;
		}
		tcb->snd_una = g.ack;
		rtt_sample(s, tcb, &g);
		fxr_tcp_rtx_stop(s, tcb);
		if (!established(lc, tcb, &g))
			goto drop;
	}
	if (!ack_process(lc, tcb, &g))
		goto drop;

	/* seventh: text, in states that still receive */
	if (g.len != 0 && (tcb->state == FXR_TCP_ESTABLISHED || tcb->state == FXR_TCP_FIN_WAIT_1
		|| tcb->state == FXR_TCP_FIN_WAIT_2)) {
		uint32_t seq = g.seq, len = g.len, head = 0;
		uint32_t right = tcb->rcv_adv;

		fxr_tcp_rx_active(s, tcb);
		if (fxr_tcp_seq_lt(seq, tcb->rcv_nxt)) {
			head = tcb->rcv_nxt - seq;
			if (head >= len)
				len = 0;
			else
				len -= head;
			seq = tcb->rcv_nxt;
		}
		/* beyond the window we offered: the tail is cut (a FIN there is lost with it) */
		if (len != 0 && fxr_tcp_seq_gt(seq + len, right)) {
			uint32_t keep = fxr_tcp_seq_gt(right, seq) ? right - seq : 0;

			if (keep < len)
				g.flags &= (uint8_t)~F_FIN;
			len = keep;
		}
		if (len == 0) {
			ack_now(lc, tcb);
		} else if (unlikely(s->pool_low) && !pool_low_take(lc, tcb, seq, len)) {
			/* the pool is nearly empty: keep none of it; the peer sends it again */
			FXR_CTR_INC(lc, tcp_drop_pool_low);
			ack_now(lc, tcb);
		} else {
			rte_pktmbuf_adj(m, (uint16_t)(g.hdr + head));
			rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
			consumed = data_process(lc, tcb, m, seq, len);
			if (tcb->state == FXR_TCP_CLOSED)
				goto out;
		}
		/* the peer is still sending: the FIN-WAIT-2 bound counts from its last data */
		if (tcb->state == FXR_TCP_FIN_WAIT_2)
			fxr_tcp_fin_wait2(s, tcb);
	}

	/* eighth: FIN, once everything before it has arrived */
	if ((g.flags & F_FIN) && g.seq + g.len == tcb->rcv_nxt && !(tcb->flags & FXR_TCBF_PEER_FIN)) {
		tcb->rcv_nxt++;
		tcb->flags |= FXR_TCBF_PEER_FIN;
		FXR_CTR_INC(lc, tcp_rx_fin);
		ack_now(lc, tcb);
		switch (tcb->state) {
		case FXR_TCP_ESTABLISHED:
			tcb->state = FXR_TCP_CLOSE_WAIT;
			break;
		case FXR_TCP_FIN_WAIT_1:
			tcb->state = FXR_TCP_CLOSING;
			break;
		case FXR_TCP_FIN_WAIT_2:
			break;
		default:
			goto out;
		}
		if (tcb->app != NULL && tcb->app->on_peer_fin != NULL) {
			tcb->app->on_peer_fin(lc, tcb);
			if (tcb->state == FXR_TCP_CLOSED)
				goto out;
		}
		if (tcb->state == FXR_TCP_FIN_WAIT_2) {
			fxr_tcp_send_ack(lc, tcb);
			fxr_tcp_time_wait(lc, tcb);
		}
	} else if ((g.flags & F_FIN) && tcb->state == FXR_TCP_TIME_WAIT) {
		/* RFC 9293 §3.10.7.4: a retransmitted FIN in TIME-WAIT is acked, the wait restarts */
		fxr_tcp_send_ack(lc, tcb);
		fxr_tcp_time_wait(lc, tcb);
	} else if ((g.flags & F_FIN) && (tcb->flags & FXR_TCBF_PEER_FIN)) {
		ack_now(lc, tcb);
	}
out:
	if (consumed)
		return;
drop:
	rte_pktmbuf_free(m);
}
