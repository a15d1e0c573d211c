/* tcp_output.c: building and sending segments: data from the send queue within the
 * windows (RFC 9293 §3.8.6, RFC 5681 §3.1), FIN, ACKs (immediate or delayed, RFC 9293
 * §3.8.6.3, RFC 5681 §4.2), RSTs (RFC 9293 §3.10.7.1), and the checksum (RFC 9293 §3.1),
 * offloaded when the port can. No Nagle: the relay forwards what it gets at once.
 *
 * Payload: the send queue holds references to the application's mbufs (received on some
 * connection, perhaps). Where the port chains mbufs on TX (cfg.tx_seg_max > 1: net_tap, PCI
 * NICs), a data segment is a header mbuf followed by indirect mbufs attached to the send
 * queue's, each narrowed to the range it carries (tcp_tx_ref_bytes); the send queue keeps
 * its own references, so an ACK arriving before the port is done with the frame frees
 * nothing the port still reads, and a retransmission attaches again. Where the port takes
 * single-segment frames only (net_af_xdp), the payload is copied into the frame
 * (tcp_tx_copy_bytes). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "counters.h"
#include "ipv4.h"
#include "tcp_internal.h"

#define HDRS_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) \
	+ sizeof(struct rte_tcp_hdr))

uint32_t fxr_tcp_rcv_window(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb)
{
	uint32_t used = fxr_tcp_rcv_used(s, tcb);

	return used >= s->cfg.rcv_buf ? 0 : s->cfg.rcv_buf - used;
}

/* Moves the receive epoch on to now: the connections of the last epoch are kept as the
 * previous one's only when it is the one just before. */
static void rx_epoch_roll(struct fxr_tcp_stack *s)
{
	uint32_t e = s->now_ms / FXR_TCP_RX_EPOCH_MS + 1;

	if (e == s->rx_epoch)
		return;
	s->rx_active_prev = e == s->rx_epoch + 1 ? s->rx_active : 0;
	s->rx_active = 0;
	s->rx_epoch = e;
}

void fxr_tcp_rx_active(struct fxr_tcp_stack *s, struct fxr_tcb *tcb)
{
	rx_epoch_roll(s);
	if (tcb->rx_epoch != s->rx_epoch) {
		tcb->rx_epoch = s->rx_epoch;
		s->rx_active++;
	}
}

uint32_t fxr_tcp_rcv_window_now(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb)
{
	uint32_t win = fxr_tcp_rcv_window(s, tcb);
	uint32_t least = FXR_TCP_PRESSURE_SEGS * (uint32_t)s->cfg.mss;

	if (unlikely(s->pool_pressure))
		return RTE_MIN(win, least);
	if (s->cfg.mbuf_pressure != 0 && win > least) {
		/* a received segment takes an mbuf, and a relay's reference to it another: half
		 * an MSS a free mbuf, shared by the connections receiving now (this one counted:
		 * it is offered the window to receive) */
		uint32_t active = RTE_MAX(s->rx_active, s->rx_active_prev)
			+ (tcb->rx_epoch == s->rx_epoch ? 0u : 1u);
		uint64_t free_mbufs = s->pool_avail > s->cfg.mbuf_pressure
			? s->pool_avail - s->cfg.mbuf_pressure : 0;
		uint64_t share = free_mbufs * (s->cfg.mss / 2u) / RTE_MAX(active, 1u);

		if (share < win)
			win = (uint32_t)RTE_MAX(share, (uint64_t)least);
	}
	return win;
}

/* The send queue mbuf holding byte off (from snd_una) of tcb, with *seg_off set to the
 * byte's offset in it; NULL past the end. The walk starts where the last one ended
 * (sndq_hint) unless the byte is before it, and leaves the hint where it stops. */
static struct rte_mbuf *sndq_seek(struct fxr_tcb *tcb, uint32_t off, uint32_t *seg_off)
{
	struct rte_mbuf *seg = tcb->sndq_head;
	uint32_t at = 0; /* offset of seg's first byte from the head's */

	off += tcb->sndq_off;
	if (tcb->sndq_hint != NULL && tcb->sndq_hint_off <= off) {
		seg = tcb->sndq_hint;
		at = tcb->sndq_hint_off;
	}
	while (seg != NULL && off - at >= rte_pktmbuf_data_len(seg)) {
		at += rte_pktmbuf_data_len(seg);
		seg = seg->next;
	}
	if (seg != NULL) {
		tcb->sndq_hint = seg;
		tcb->sndq_hint_off = at;
	}
	*seg_off = off - at;
	return seg;
}

/* Copies len bytes from offset off of the send queue to dst. */
static void sndq_copy(struct fxr_tcb *tcb, uint32_t off, uint32_t len, uint8_t *dst)
{
	const struct rte_mbuf *seg = sndq_seek(tcb, off, &off);

	while (len != 0 && seg != NULL) {
		uint32_t n = RTE_MIN(len, (uint32_t)rte_pktmbuf_data_len(seg) - off);

		memcpy(dst, rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n);
		dst += n;
		len -= n;
		off = 0;
		seg = seg->next;
	}
}

/* Chains to frame m (headers only, one mbuf) len bytes from offset off of the send queue,
 * as indirect mbufs attached to the queue's and narrowed to the range. Returns 0; -E2BIG
 * when the range spans more than max mbufs, -ENOMEM when no mbuf is left, -EINVAL when the
 * queue holds fewer bytes (m is unchanged on error). */
static int sndq_attach(struct fxr_tcp_stack *s, struct fxr_tcb *tcb, uint32_t off,
	uint32_t len, unsigned int max, struct rte_mbuf *m)
{
	struct rte_mbuf *pieces[FXR_TCP_TX_REF_SEGS_MAX];
	struct rte_mbuf *seg = sndq_seek(tcb, off, &off);
	struct rte_mbuf *last = m;
	unsigned int n = 0;
	uint32_t left = len;

	for (struct rte_mbuf *t = seg; left != 0 && t != NULL; t = t->next, n++) {
		if (n == max)
			return -E2BIG;
		left -= RTE_MIN(left, (uint32_t)rte_pktmbuf_data_len(t) - (t == seg ? off : 0));
	}
	if (unlikely(left != 0))
		return -EINVAL; /* beyond the queue: the callers never ask for it */
	if (rte_pktmbuf_alloc_bulk(s->mp, pieces, n) != 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++, seg = seg->next) {
		struct rte_mbuf *mi = pieces[i];
		uint16_t take = (uint16_t)RTE_MIN(len, (uint32_t)rte_pktmbuf_data_len(seg) - off);

		/* takes a reference on the buffer under seg (its direct mbuf or external buffer) */
		rte_pktmbuf_attach(mi, seg);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = take;
		mi->pkt_len = take;
		last->next = mi;
		last = mi;
		m->pkt_len += take;
		len -= take;
		off = 0;
	}
	m->nb_segs = (uint16_t)(m->nb_segs + n);
	return 0;
}

/* RFC 9293 §3.1: the TCP checksum of a chained frame, the TCP header at l4_off of m (in
 * its first mbuf). Each mbuf's sum is folded before it is byte-swapped for an odd starting
 * offset (RFC 1071 §2(B)); DPDK 22.11's rte_raw_cksum_mbuf swaps an unfolded sum, which is
 * wrong when an odd-length piece precedes a long one. */
static uint16_t cksum_chain(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
	uint32_t l4_off, uint32_t l4_len)
{
	uint32_t sum = rte_ipv4_phdr_cksum(ip, 0);
	uint32_t done = 0;

	for (const struct rte_mbuf *seg = m; seg != NULL && done < l4_len; seg = seg->next) {
		uint32_t off = seg == m ? l4_off : 0;
		uint32_t n = RTE_MIN((uint32_t)rte_pktmbuf_data_len(seg) - off, l4_len - done);
		uint16_t part = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const void *, off), n);

		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return sum == 0 ? 0xffff : (uint16_t)sum;
}

/* Fills the IPv4 header and the TCP checksum (or its pseudo-header part for offload), then
 * hands m to IPv4. */
static void finish_and_send(struct fxr_lcore *lc, struct rte_mbuf *m, uint32_t raddr,
	uint32_t tcp_len)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
		sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + tcp_len));
	ip->packet_id = 0;
	/* RFC 1191: DF on every segment; our peers do path MTU discovery */
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = FXR_IPV4_TTL;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = lc->ip;
	ip->dst_addr = raddr;
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(*ip);
	m->l4_len = (th->data_off >> 4) * 4u;
	th->cksum = 0;
	if (lc->tcp->tx_tcp_cksum_offload) {
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
	} else {
		m->ol_flags = 0;
		th->cksum = m->nb_segs == 1 ? rte_ipv4_udptcp_cksum(ip, th)
			: cksum_chain(m, ip, m->l2_len + m->l3_len, tcp_len);
	}
	FXR_CTR_INC(lc, tcp_tx_segs);
	fxr_ipv4_output(lc, m);
}

int fxr_tcp_send_segment(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t seq, uint32_t len,
	uint8_t flags)
{
	struct fxr_tcp_stack *s = lc->tcp;
	uint8_t opts[40];
	unsigned int optlen;
	struct rte_mbuf *m;
	struct rte_ether_hdr *eh;
	struct rte_tcp_hdr *th;
	uint32_t win;
	uint8_t *p;

	if (tcb->state != FXR_TCP_SYN_SENT)
		flags |= RTE_TCP_ACK_FLAG;
	optlen = fxr_tcp_opts_write(s, tcb, flags, opts);
	m = rte_pktmbuf_alloc(s->mp);
	if (unlikely(m == NULL)) {
		FXR_CTR_INC(lc, mbuf_alloc_fail);
		return -ENOMEM;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(HDRS_LEN + optlen));
	if (unlikely(p == NULL)) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	if (len != 0) {
		int rc = -E2BIG;
		uint8_t *dst;

		if (s->cfg.tx_seg_max > 1)
			rc = sndq_attach(s, tcb, seq - tcb->snd_una, len,
				RTE_MIN(s->cfg.tx_seg_max - 1u, FXR_TCP_TX_REF_SEGS_MAX), m);
		if (rc == 0) {
			FXR_CTR_ADD(lc, tcp_tx_ref_bytes, len);
		} else {
			if (rc == -ENOMEM)
				FXR_CTR_INC(lc, mbuf_alloc_fail);
			dst = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
			if (unlikely(dst == NULL)) {
				rte_pktmbuf_free(m);
				return -ENOMEM;
			}
			sndq_copy(tcb, seq - tcb->snd_una, len, dst);
			FXR_CTR_ADD(lc, tcp_tx_copy_bytes, len);
		}
		FXR_CTR_ADD(lc, tcp_tx_bytes, len);
	}
	eh = (struct rte_ether_hdr *)p;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	th = (struct rte_tcp_hdr *)(p + sizeof(*eh) + sizeof(struct rte_ipv4_hdr));
	th->src_port = tcb->key.lport;
	th->dst_port = tcb->key.rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (flags & RTE_TCP_ACK_FLAG) ? rte_cpu_to_be_32(tcb->rcv_nxt) : 0;
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	if (len != 0)
		flags |= RTE_TCP_PSH_FLAG;
	th->tcp_flags = flags;
	th->tcp_urp = 0;
	/* the mbuf pool's free space, shared among the connections receiving, bounds the
	 * window; under memory pressure (Linux's tcp_mem) new window is offered a few segments
	 * at a time: the senders slow down instead of losing segments at the pool's reserve.
	 * RFC 7323 §2.2: the window of a SYN is never scaled */
	win = fxr_tcp_rcv_window_now(s, tcb);
	if (win < fxr_tcp_rcv_window(s, tcb) && tcb->state >= FXR_TCP_ESTABLISHED)
		FXR_CTR_INC(lc, tcp_rcv_wnd_pool_limited);
	if (tcb->state >= FXR_TCP_ESTABLISHED || tcb->state == FXR_TCP_SYN_RCVD) {
		/* RFC 9293 §3.8.6.2.2: never shrink the window already offered (pressure offers
		 * less new space, it takes none back) */
		uint32_t offered = tcb->rcv_adv - tcb->rcv_nxt;

		if (fxr_tcp_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) && win < offered)
			win = offered;
	}
	if (flags & RTE_TCP_SYN_FLAG) {
		win = RTE_MIN(win, 65535u);
		th->rx_win = rte_cpu_to_be_16((uint16_t)win);
	} else {
		uint32_t shift = (tcb->flags & FXR_TCBF_WSCALE) ? tcb->rcv_wscale : 0;
		uint32_t w = RTE_MIN(win >> shift, 65535u);

		th->rx_win = rte_cpu_to_be_16((uint16_t)w);
		win = w << shift;
	}
	if (flags & RTE_TCP_ACK_FLAG) {
		tcb->rcv_adv = tcb->rcv_nxt + win;
		tcb->last_ack_sent = tcb->rcv_nxt;
		tcb->flags &= (uint16_t)~(FXR_TCBF_ACK_NOW | FXR_TCBF_ACK_DELAYED);
		tcb->segs_unacked = 0;
		tcb->delack_at = 0;
	}
	memcpy(th + 1, opts, optlen);
	/* RFC 6298 §3 / Karn: time one new segment at a time when timestamps are off */
	if (!(tcb->flags & (FXR_TCBF_TS | FXR_TCBF_RTT_TIMING)) && seq == tcb->snd_max
		&& (len != 0 || (flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)))) {
		tcb->flags |= FXR_TCBF_RTT_TIMING;
		tcb->rtt_seq = seq;
		tcb->rtt_ms = s->now_ms;
	}
	finish_and_send(lc, m, tcb->key.raddr, (uint32_t)(sizeof(*th) + optlen + len));
	return 0;
}

void fxr_tcp_send_ack(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	FXR_CTR_INC(lc, tcp_tx_ack);
	fxr_tcp_send_segment(lc, tcb, tcb->snd_nxt, 0, RTE_TCP_ACK_FLAG);
}

void fxr_tcp_send_rst(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(lc->tcp->mp);
	struct rte_tcp_hdr *th;
	uint8_t *p;

	if (m == NULL) {
		FXR_CTR_INC(lc, mbuf_alloc_fail);
		return;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, HDRS_LEN);
	((struct rte_ether_hdr *)p)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	th = (struct rte_tcp_hdr *)(p + sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
	memset(th, 0, sizeof(*th));
	th->src_port = tcb->key.lport;
	th->dst_port = tcb->key.rport;
	th->sent_seq = rte_cpu_to_be_32(tcb->snd_nxt);
	th->recv_ack = rte_cpu_to_be_32(tcb->rcv_nxt);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	FXR_CTR_INC(lc, tcp_tx_rst);
	finish_and_send(lc, m, tcb->key.raddr, sizeof(*th));
}

void fxr_tcp_reply_rst(struct fxr_lcore *lc, struct rte_mbuf *m, uint32_t seg_len)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + m->l3_len);
	uint32_t raddr = ip->src_addr;
	uint16_t port = th->src_port;
	uint32_t total = (uint32_t)(m->l2_len + m->l3_len + sizeof(*th));

	/* RFC 9293 §3.10.7.1: never answer a RST */
	if (th->tcp_flags & RTE_TCP_RST_FLAG) {
		rte_pktmbuf_free(m);
		return;
	}
	if (th->tcp_flags & RTE_TCP_ACK_FLAG) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		th->sent_seq = th->recv_ack;
		th->recv_ack = 0;
		th->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		th->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + seg_len);
		th->sent_seq = 0;
		th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	th->src_port = th->dst_port;
	th->dst_port = port;
	th->data_off = 5 << 4;
	th->rx_win = 0;
	th->tcp_urp = 0;
	if (m->l2_len != sizeof(struct rte_ether_hdr) || m->nb_segs != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - total));
	FXR_CTR_INC(lc, tcp_tx_rst);
	finish_and_send(lc, m, raddr, sizeof(*th));
}

/* Usable window (RFC 5681 §2): what may be in flight beyond snd_nxt. */
static inline uint32_t usable_window(const struct fxr_tcb *tcb)
{
	uint32_t wnd = RTE_MIN(tcb->snd_wnd, tcb->cc.cwnd);
	uint32_t right = tcb->snd_una + wnd;

	return fxr_tcp_seq_gt(right, tcb->snd_nxt) ? right - tcb->snd_nxt : 0;
}

/* Sends [seq, seq + len) of sequence space already sent once; a range reaching snd_max
 * when our FIN is sent carries the FIN instead of its last octet. */
static void resend_range(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t seq, uint32_t len)
{
	uint8_t flags = RTE_TCP_ACK_FLAG;

	if ((tcb->flags & FXR_TCBF_FIN_SENT) && seq + len == tcb->snd_max) {
		flags |= RTE_TCP_FIN_FLAG;
		len--;
	}
	FXR_CTR_INC(lc, tcp_tx_fast_rexmit);
	fxr_tcp_send_segment(lc, tcb, seq, len, flags);
}

void fxr_tcp_sack_recover(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_sack_sb *sb = fxr_tcb_sb(lc->tcp, tcb);
	struct fxr_tcp_sack_next first;

	FXR_CTR_INC(lc, tcp_sack_recovery);
	fxr_tcp_sack_enter_recovery(sb, tcb->snd_max, fxr_tcp_seg_max(lc->tcp, tcb), &first);
	tcb->snd_nxt = tcb->snd_max;
	if (first.kind != FXR_TCP_SACK_NEXT_NONE)
		resend_range(lc, tcb, first.seq, first.len);
	fxr_tcp_sack_output(lc, tcb);
}

void fxr_tcp_sack_output(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_sack_sb *sb = fxr_tcb_sb(lc->tcp, tcb);
	uint32_t seg_max = fxr_tcp_seg_max(lc->tcp, tcb);
	/* RFC 6675 §5 (4.2): cwnd = ssthresh for the recovery; the NewReno inflation of the
	 * driver is not used here, pipe accounts for what left the network */
	uint32_t cwnd = tcb->cc.ssthresh;

	for (unsigned int guard = 0; guard < 256; guard++) {
		uint32_t pipe = fxr_tcp_sack_pipe(sb, tcb->snd_max, seg_max);
		uint32_t sent = tcb->snd_max - tcb->snd_una;
		uint32_t unsent = 0, right = tcb->snd_una + tcb->snd_wnd;
		struct fxr_tcp_sack_next ns;

		if (cwnd < pipe + seg_max)
			break;
		if (!(tcb->flags & FXR_TCBF_FIN_SENT) && tcb->sndq_bytes > sent
			&& fxr_tcp_seq_gt(right, tcb->snd_max))
			unsent = RTE_MIN(tcb->sndq_bytes - sent, right - tcb->snd_max);
		fxr_tcp_sack_next_seg(sb, tcb->snd_max, seg_max, unsent, &ns);
		if (ns.kind == FXR_TCP_SACK_NEXT_NONE)
			break;
		if (ns.kind == FXR_TCP_SACK_NEXT_NEW) {
			if (fxr_tcp_send_segment(lc, tcb, tcb->snd_max, ns.len, RTE_TCP_ACK_FLAG) < 0)
				break;
			tcb->snd_max += ns.len;
			tcb->snd_nxt = tcb->snd_max;
		} else {
			resend_range(lc, tcb, ns.seq, ns.len);
		}
		fxr_tcp_sack_sent(sb, &ns);
	}
}

/* RFC 9293 §3.8.6.3: an ACK owed but not yet due starts the delayed-ACK timer. */
static void delack_arm(struct fxr_tcp_stack *s, struct fxr_tcb *tcb)
{
	if ((tcb->flags & FXR_TCBF_ACK_DELAYED) && tcb->delack_at == 0) {
		tcb->delack_at = s->now_ms + s->cfg.delack_ms;
		fxr_tcp_timer_update(s, tcb);
	}
}

void fxr_tcp_output(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_stack *s = lc->tcp;
	uint32_t seg_max = fxr_tcp_seg_max(lc->tcp, tcb);

	switch (tcb->state) {
	case FXR_TCP_ESTABLISHED:
	case FXR_TCP_CLOSE_WAIT:
	case FXR_TCP_FIN_WAIT_1:
	case FXR_TCP_CLOSING:
	case FXR_TCP_LAST_ACK:
		break;
	case FXR_TCP_FIN_WAIT_2:
	case FXR_TCP_TIME_WAIT:
		/* nothing of ours left to send; data still arrives in FIN-WAIT-2 */
		if (tcb->flags & FXR_TCBF_ACK_NOW)
			fxr_tcp_send_ack(lc, tcb);
		delack_arm(s, tcb);
		return;
	default:
		return;
	}

	/* RFC 6675: while SACK recovery lasts, NextSeg() decides what goes out */
	bool sack_recovery = (tcb->flags & FXR_TCBF_SACK) && fxr_tcb_sb(s, tcb)->in_recovery;

	if (sack_recovery)
		fxr_tcp_sack_output(lc, tcb);
	for (unsigned int guard = 0; guard < 4096 && !sack_recovery; guard++) {
		uint32_t off = tcb->snd_nxt - tcb->snd_una;
		uint32_t avail = off < tcb->sndq_bytes ? tcb->sndq_bytes - off : 0;
		uint32_t len = RTE_MIN(RTE_MIN(avail, usable_window(tcb)), seg_max);
		uint8_t flags = RTE_TCP_ACK_FLAG;
		bool fin;

		/* the FIN goes with the last byte, or alone once every byte is out */
		fin = (tcb->flags & FXR_TCBF_FIN_QUEUED) && len == avail
			&& (off + len == tcb->sndq_bytes)
			&& (!(tcb->flags & FXR_TCBF_FIN_SENT)
				|| fxr_tcp_seq_lt(tcb->snd_nxt + len, tcb->snd_max));
		if (len == 0 && !fin)
			break;
		if (fin)
			flags |= RTE_TCP_FIN_FLAG;
		if (fxr_tcp_send_segment(lc, tcb, tcb->snd_nxt, len, flags) < 0)
			break;
		if (fxr_tcp_seq_lt(tcb->snd_nxt, tcb->snd_max))
			FXR_CTR_INC(lc, tcp_tx_rexmit);
		tcb->snd_nxt += len + (fin ? 1 : 0);
		if (fxr_tcp_seq_gt(tcb->snd_nxt, tcb->snd_max))
			tcb->snd_max = tcb->snd_nxt;
		if (fin) {
			tcb->flags |= FXR_TCBF_FIN_SENT;
			if (tcb->state == FXR_TCP_ESTABLISHED)
				tcb->state = FXR_TCP_FIN_WAIT_1;
			else if (tcb->state == FXR_TCP_CLOSE_WAIT)
				tcb->state = FXR_TCP_LAST_ACK;
			break;
		}
	}
	/* a segment sent above carried the ACK and cleared the flag */
	if (tcb->flags & FXR_TCBF_ACK_NOW)
		fxr_tcp_send_ack(lc, tcb);
	if (fxr_tcp_flight(tcb) != 0) {
		if (tcb->rtx_at == 0 || (tcb->flags & FXR_TCBF_PERSIST)) {
			tcb->flags &= (uint16_t)~FXR_TCBF_PERSIST;
			fxr_tcp_rtx_arm(s, tcb);
		}
	} else if (tcb->snd_wnd == 0 && tcb->sndq_bytes != 0 && tcb->rtx_at == 0) {
		/* RFC 9293 §3.8.6.1: zero window with data waiting: the persist timer probes */
		tcb->flags |= FXR_TCBF_PERSIST;
		fxr_tcp_rtx_arm(s, tcb);
	}
	delack_arm(s, tcb);
}
