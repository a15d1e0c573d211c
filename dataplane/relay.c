/* dataplane/relay.c: the relay application's data path (DESIGN.md §2).
 *
 * Every received byte goes through the connection's FXR/1 scanner (fxr/scan.h), piece by
 * piece (one mbuf segment each), without gathering payload:
 *  - DATA and END of a PAIRED connection go to the peer byte-exact, header included: each
 *    run of relayed bytes in a segment, however short, as an indirect mbuf attached to the
 *    received segment (relay_ref_segs); no payload byte is copied (relay_copied_bytes stays
 *    0). Only a frame header split across two segments is gathered: its 4 bytes are written
 *    into the outgoing chain (relay_hdr_gather_bytes). relay_payload_bytes counts every
 *    relayed byte. The TCP stack then builds frames from the send queue; with net_af_xdp it
 *    copies every payload byte into the outgoing frame (tcp_tx_copy_bytes), which these
 *    counters do not include.
 *  - any other frame (and DATA/END while not paired: dropped, relay_drop_unpaired) is a
 *    control frame: gathered whole (at most FXR_CHAN_FRAME_D2C_MAX bytes) and sent to the
 *    control plane as FRAME, except KEEPALIVE of a logged-in device, answered here.
 *  - a malformed header, or a control frame longer than FXR_CHAN_FRAME_D2C_MAX: the 4
 *    header bytes go to the control plane as FRAME (its decoder rejects them and it
 *    answers ERROR(PROTOCOL) + CLOSE), and the connection reads no more.
 *
 * Flow control: received bytes stay in the connection's held chain, counted against its TCP
 * receive window (no fxr_tcp_recv_done()), until they are consumed. A paired connection
 * consumes a segment only when the peer's send space (fxr_tcp_send_space) takes it whole;
 * otherwise it waits (relay_blocked) and the peer's on_sent resumes it. So per direction a
 * pair holds at most the receive window (cfg rcv_buf, 1 MiB) plus the peer's send buffer
 * (snd_buf, 1 MiB) plus one segment: about 4 MiB per pair with the defaults. Because a
 * reference costs an mbuf whatever its length, the mbufs queued on a connection are capped
 * too (FXR_RELAY_TX_MBUFS_MAX, relay_blocked_mbufs), counted per write in marks that the
 * peer's acknowledgements retire (txq_*). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fxr/chan.h"
#include "fxr/connid.h"
#include "fxr/frame-t.h"
#include "fxr/scan.h"

#include "counters.h"
#include "dpchan.h"
#include "lcore-t.h"
#include "relay.h"
#include "tcp.h"

/* Set by the data path when the connection must be reset once the pass is over (its
 * event could not be queued, or mbufs ran out mid-frame). */
#define FXR_RELAYF_ABORT (1u << 15)

struct fxr_relay_conn *fxr_relay_lookup(struct fxr_lcore *lc, uint64_t id)
{
	struct fxr_relay *r = lc->relay;
	struct fxr_relay_conn *c;
	uint32_t slot;

	if (r == NULL || !fxr_connid_valid(id) || fxr_connid_lcore(id) != lc->queue_id)
		return NULL;
	slot = fxr_connid_slot(id);
	if (slot >= r->n)
		return NULL;
	c = &r->conns[slot];
	return c->id == id ? c : NULL;
}

static struct fxr_relay_conn *peer_of(struct fxr_lcore *lc, const struct fxr_relay_conn *c)
{
	return c->peer != 0 ? fxr_relay_lookup(lc, c->peer) : NULL;
}

static void out_append(struct fxr_relay_out *o, struct rte_mbuf *m)
{
	if (o->tail != NULL)
		o->tail->next = m;
	else
		o->head = m;
	o->tail = m;
	o->bytes += m->data_len;
	o->mbufs++;
}

/* ---- what the relay queued on c's TCP send queue (FXR_RELAY_TX_MBUFS_MAX) ---- */

static void txq_add(struct fxr_relay_conn *c, uint32_t bytes, uint32_t mbufs)
{
	struct fxr_relay_txmark *k = NULL;

	if (c->txm_n != 0) {
		k = &c->txm[(c->txm_head + c->txm_n - 1u) % FXR_RELAY_TX_MARKS];
		/* the newest mark takes writes until it holds its share of the cap */
		if (k->mbufs >= FXR_RELAY_TX_MBUFS_MAX / FXR_RELAY_TX_MARKS
			&& c->txm_n < FXR_RELAY_TX_MARKS)
			k = NULL;
	}
	if (k == NULL) {
		k = &c->txm[(c->txm_head + c->txm_n) % FXR_RELAY_TX_MARKS];
		c->txm_n++;
		k->bytes = 0;
		k->mbufs = 0;
	}
	k->bytes += bytes;
	k->mbufs += mbufs;
	c->tx_mbufs += mbufs;
}

/* acked bytes of c's send queue were acknowledged (and their mbufs freed, in order).
 * Returns the mbufs of the marks this retired. */
static uint32_t txq_acked(struct fxr_relay_conn *c, uint32_t acked)
{
	uint32_t retired = 0;

	while (acked != 0 && c->txm_n != 0) {
		struct fxr_relay_txmark *k = &c->txm[c->txm_head];

		if (acked < k->bytes) {
			k->bytes -= acked;
			break;
		}
		acked -= k->bytes;
		retired += k->mbufs;
		c->tx_mbufs -= k->mbufs;
		c->txm_head = (uint8_t)((c->txm_head + 1u) % FXR_RELAY_TX_MARKS);
		c->txm_n--;
	}
	return retired;
}

int fxr_relay_txq_send(struct fxr_lcore *lc, struct fxr_relay_conn *c, struct fxr_relay_out *o)
{
	int rc = fxr_tcp_send(lc, c->tcb, o->head);

	if (rc < 0)
		FXR_CTR_INC(lc, relay_send_fail);
	else
		txq_add(c, o->bytes, o->mbufs);
	*o = (struct fxr_relay_out){ NULL, NULL, 0, 0 };
	return rc;
}

/* Copies len bytes to the end of the chain. Returns 0 or -ENOMEM. */
static int out_copy(struct fxr_lcore *lc, struct fxr_relay_out *o, const uint8_t *p, uint32_t len)
{
	while (len != 0) {
		struct rte_mbuf *t = o->tail;
		uint32_t room = t != NULL && RTE_MBUF_DIRECT(t) ? rte_pktmbuf_tailroom(t) : 0;
		uint32_t k;

		if (room == 0) {
			t = rte_pktmbuf_alloc(lc->mp);
			if (t == NULL) {
				FXR_CTR_INC(lc, mbuf_alloc_fail);
				return -ENOMEM;
			}
			out_append(o, t);
			room = rte_pktmbuf_tailroom(t);
		}
		k = len < room ? len : room;
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), p, k);
		t->data_len = (uint16_t)(t->data_len + k);
		t->pkt_len = t->data_len;
		o->bytes += k;
		p += k;
		len -= k;
	}
	return 0;
}

/* Appends seg's bytes [off, off + len) by reference, whatever len. */
static int out_ref(struct fxr_lcore *lc, struct fxr_relay_out *o, struct rte_mbuf *seg,
	uint32_t off, uint32_t len)
{
	struct rte_mbuf *mi;

	FXR_CTR_ADD(lc, relay_payload_bytes, len);
	mi = rte_pktmbuf_alloc(lc->mp);
	if (mi == NULL) {
		FXR_CTR_INC(lc, mbuf_alloc_fail);
		return -ENOMEM;
	}
	rte_pktmbuf_attach(mi, seg);
	mi->data_off = (uint16_t)(mi->data_off + off);
	mi->data_len = (uint16_t)len;
	mi->pkt_len = len;
	out_append(o, mi);
	FXR_CTR_INC(lc, relay_ref_segs);
	return 0;
}

/* Queues an event about c; a full queue resets c after the pass. */
static void emit(struct fxr_lcore *lc, struct fxr_relay_conn *c, const struct fxr_chan_msg *m)
{
	if (fxr_dpchan_emit(lc, m) == -ENOBUFS) {
		c->flags |= FXR_RELAYF_ABORT | FXR_RELAYF_STOPPED;
		c->close_reason = FXR_CHAN_CLOSE_PROTOCOL;
	}
}

static void emit_simple(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint8_t type)
{
	struct fxr_chan_msg m = { .type = type, .lcore = (uint8_t)lc->queue_id, .connid = c->id };

	emit(lc, c, &m);
}

static void emit_frame(struct fxr_lcore *lc, struct fxr_relay_conn *c, const uint8_t *p,
	uint32_t len)
{
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_FRAME, .lcore = (uint8_t)lc->queue_id,
		.connid = c->id, .u.frame = { p, len } };

	emit(lc, c, &m);
}

/* A malformed stream: the header bytes as they came (their length field disagrees with
 * the 4 bytes sent, which is what makes the control plane's decoder refuse them), then no
 * more reading. Encoded by hand: fxr_chan_msg_encode() refuses such a frame. */
static void malformed(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	uint8_t msg[FXR_CHAN_HDR_LEN + FXR_FRAME_HDR_LEN];

	memset(msg, 0, sizeof(msg));
	msg[0] = FXR_CHAN_T_FRAME;
	msg[1] = (uint8_t)lc->queue_id;
	fxr_put_le32(msg + 4, FXR_FRAME_HDR_LEN);
	fxr_put_le64(msg + 8, c->id);
	memcpy(msg + FXR_CHAN_HDR_LEN, c->sc.hdr, FXR_FRAME_HDR_LEN);
	FXR_CTR_INC(lc, relay_malformed);
	c->flags |= FXR_RELAYF_STOPPED;
	if (fxr_dpchan_emit_raw(lc, msg, sizeof(msg)) == -ENOBUFS) {
		c->flags |= FXR_RELAYF_ABORT;
		c->close_reason = FXR_CHAN_CLOSE_PROTOCOL;
	}
}

/* Takes a control-frame buffer for c; false when none is left. */
static bool ctl_buf_take(struct fxr_relay *r, struct fxr_relay_conn *c)
{
	if (r->n_ctl_free == 0)
		return false;
	c->ctl = r->ctl_bufs[r->ctl_free[--r->n_ctl_free]].b;
	return true;
}

static void ctl_buf_put(struct fxr_relay *r, struct fxr_relay_conn *c)
{
	if (c->ctl == NULL)
		return;
	r->ctl_free[r->n_ctl_free++] =
		(uint32_t)((struct fxr_relay_ctl_buf *)c->ctl - r->ctl_bufs);
	c->ctl = NULL;
}

/* A frame begins: decides what its bytes do. */
static void frame_start(struct fxr_lcore *lc, struct fxr_relay_conn *c, bool paired,
	uint8_t type, uint16_t len)
{
	if (type == FXR_T_DATA || type == FXR_T_END) {
		if (!paired) {
			c->mode = FXR_RELAY_M_DROP;
			FXR_CTR_INC(lc, relay_drop_unpaired);
		} else if (type == FXR_T_DATA && (c->flags & FXR_RELAYF_SENT_END)) {
			/* the control plane answers ERROR(PROTOCOL) to DATA after our END; it
			 * needs the type, not the payload: an empty DATA stands for it */
			uint8_t hdr[FXR_FRAME_HDR_LEN] = { FXR_T_DATA, 0, 0, 0 };

			c->mode = FXR_RELAY_M_DROP;
			FXR_CTR_INC(lc, relay_data_after_end);
			emit_frame(lc, c, hdr, sizeof(hdr));
		} else {
			c->mode = FXR_RELAY_M_FWD;
		}
		return;
	}
	if (FXR_FRAME_HDR_LEN + (uint32_t)len > FXR_CHAN_FRAME_D2C_MAX) {
		malformed(lc, c);
		return;
	}
	if (!ctl_buf_take(lc->relay, c)) {
		FXR_CTR_INC(lc, relay_ctl_buf_exhausted);
		c->flags |= FXR_RELAYF_ABORT | FXR_RELAYF_STOPPED;
		c->close_reason = FXR_CHAN_CLOSE_OVERLOAD;
		return;
	}
	c->mode = FXR_RELAY_M_CTL;
	memcpy(c->ctl, c->sc.hdr, FXR_FRAME_HDR_LEN);
	c->ctl_len = FXR_FRAME_HDR_LEN;
}

static void frame_end(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint8_t type)
{
	if (c->mode == FXR_RELAY_M_FWD && type == FXR_T_END) {
		c->flags |= FXR_RELAYF_SENT_END;
		FXR_CTR_INC(lc, relay_end_relayed);
		emit_simple(lc, c, FXR_CHAN_T_END_RELAYED);
	} else if (c->mode == FXR_RELAY_M_CTL) {
		if (type == FXR_T_KEEPALIVE && (c->flags & FXR_RELAYF_LOGGED_IN)) {
			c->ctl[0] = FXR_T_KEEPALIVE_ACK;
			FXR_CTR_INC(lc, relay_keepalive_acked);
			fxr_relay_send_bytes(lc, c, c->ctl, c->ctl_len);
		} else {
			FXR_CTR_INC(lc, relay_frames_to_cp);
			emit_frame(lc, c, c->ctl, c->ctl_len);
			/* the callee is PAIRED by its ACCEPT (DESIGN.md §2) and may send DATA at
			 * once: what follows waits here until the control plane's PAIR comes */
			if (type == FXR_T_ACCEPT && c->peer == 0) {
				c->flags |= FXR_RELAYF_AWAIT_PAIR;
				c->await_tsc = lc->now_tsc
					+ lc->relay->hz * FXR_RELAY_ACCEPT_WAIT_MS / 1000;
				FXR_CTR_INC(lc, relay_accept_held);
			}
		}
		ctl_buf_put(lc->relay, c);
	}
	c->mode = FXR_RELAY_M_NONE;
	c->ctl_len = 0;
}

/* Scans seg's bytes [off, off + n); returns how many it consumed (all of them unless the
 * stream stopped, or an ACCEPT made it wait for its PAIR). Relayed bytes are appended to o. */
static uint32_t scan_piece(struct fxr_lcore *lc, struct fxr_relay_conn *c, bool paired,
	struct rte_mbuf *seg, uint32_t off, uint32_t n, struct fxr_relay_out *o)
{
	const uint8_t *base = rte_pktmbuf_mtod(seg, const uint8_t *);
	uint32_t pos = off, end = off + n;
	uint32_t run_start = 0, run_len = 0; /* bytes of seg to relay by reference */
	int err = 0;

#define RUN_FLUSH()                                                              \
	do {                                                                     \
		if (run_len != 0 && err == 0)                                    \
			err = out_ref(lc, o, seg, run_start, run_len);           \
		run_len = 0;                                                     \
	} while (0)
#define RUN_ADD(at, len)                                                         \
	do {                                                                     \
		if (run_len != 0 && run_start + run_len != (at))                 \
			RUN_FLUSH();                                             \
		if (run_len == 0)                                                \
			run_start = (at);                                        \
		run_len += (len);                                                \
	} while (0)

	while (!(c->flags & (FXR_RELAYF_STOPPED | FXR_RELAYF_AWAIT_PAIR)) && err == 0) {
		struct fxr_scan_result r;
		uint32_t used = (uint32_t)fxr_scan_step(&c->sc, base + pos, end - pos, &r);

		if (r.ev == FXR_SCAN_NEED_MORE) {
			pos += used;
			break;
		}
		switch (r.ev) {
		case FXR_SCAN_HEADER:
			frame_start(lc, c, paired, r.type, r.len);
			if (c->mode == FXR_RELAY_M_FWD) {
				if (used == FXR_FRAME_HDR_LEN) {
					RUN_ADD(pos, used);
				} else {
					/* the header straddled two segments */
					RUN_FLUSH();
					FXR_CTR_ADD(lc, relay_payload_bytes, FXR_FRAME_HDR_LEN);
					FXR_CTR_ADD(lc, relay_hdr_gather_bytes, FXR_FRAME_HDR_LEN);
					if (err == 0)
						err = out_copy(lc, o, c->sc.hdr, FXR_FRAME_HDR_LEN);
				}
			}
			break;
		case FXR_SCAN_PAYLOAD:
			if (c->mode == FXR_RELAY_M_FWD) {
				RUN_ADD(pos, used);
			} else if (c->mode == FXR_RELAY_M_CTL) {
				memcpy(c->ctl + c->ctl_len, base + pos, used);
				c->ctl_len = (uint16_t)(c->ctl_len + used);
			}
			break;
		case FXR_SCAN_FRAME_END:
			frame_end(lc, c, r.type);
			break;
		default: /* FXR_SCAN_ERROR */
			malformed(lc, c);
			break;
		}
		pos += used;
	}
	RUN_FLUSH();
#undef RUN_ADD
#undef RUN_FLUSH
	if (err != 0) {
		/* the peer's stream would have a hole: give up on this connection */
		c->flags |= FXR_RELAYF_ABORT | FXR_RELAYF_STOPPED;
		c->close_reason = FXR_CHAN_CLOSE_PROTOCOL;
	}
	return pos - off;
}

static void held_pop(struct fxr_relay_conn *c)
{
	struct rte_mbuf *seg = c->held_head;

	c->held_head = seg->next;
	if (c->held_head == NULL)
		c->held_tail = NULL;
	c->held_off = 0;
	seg->next = NULL;
	seg->nb_segs = 1;
	rte_pktmbuf_free_seg(seg);
}

void fxr_relay_drop_held(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	uint32_t n = 0;

	while (c->held_head != NULL) {
		n += c->held_head->data_len - c->held_off;
		held_pop(c);
	}
	if (n != 0 && c->tcb != NULL)
		fxr_tcp_recv_done(lc, c->tcb, n);
}

/* Hands o to c's peer: its send queue here, or its lcore's ring (relay_xl.c). Returns
 * false when the write had to wait in c (the pass must stop). */
static bool out_to_peer(struct fxr_lcore *lc, struct fxr_relay_conn *c,
	struct fxr_relay_conn *p, struct fxr_relay_out *o)
{
	if (p != NULL) {
		(void)fxr_relay_txq_send(lc, p, o);
		return true;
	}
	return fxr_relay_xl_send_out(lc, c, o) == 0;
}

void fxr_relay_pump(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	struct fxr_relay_conn *p = peer_of(lc, c);
	const bool remote = fxr_relay_peer_remote(lc, c);
	const bool paired = p != NULL || remote;
	struct fxr_relay_out o = { NULL, NULL, 0, 0 };
	uint32_t done = 0;
	uint32_t pool_budget = UINT32_MAX, taken = 0;

	if (c->flags & FXR_RELAYF_POOL_WAIT)
		lc->relay->pool_waiters--;
	c->flags &= (uint16_t)~(FXR_RELAYF_BLOCKED | FXR_RELAYF_SELF_FULL | FXR_RELAYF_POOL_WAIT);
	/* a write that waited for the ring to the peer's lcore goes first */
	if (remote && fxr_relay_xl_flush_xout(lc, c) < 0)
		return;
	if (paired && c->held_head != NULL) {
		uint32_t avail = rte_mempool_avail_count(lc->mp);

		pool_budget = avail > lc->relay->pool_reserve ? avail - lc->relay->pool_reserve : 0;
	}
	while (c->held_head != NULL && !(c->flags & (FXR_RELAYF_STOPPED | FXR_RELAYF_AWAIT_PAIR))) {
		struct rte_mbuf *seg = c->held_head;
		uint32_t n = seg->data_len - c->held_off;
		uint32_t used;

		/* the peer's send space, here or as credit from its lcore */
		if ((p != NULL && fxr_tcp_send_space(lc, p->tcb) < o.bytes + n)
			|| (remote && c->xl_out_bytes + o.bytes + n > fxr_tcp_send_cap(lc))) {
			c->flags |= FXR_RELAYF_BLOCKED;
			FXR_CTR_INC(lc, relay_blocked);
			break;
		}
		/* the peer's queue, and c's own (KEEPALIVE_ACKs), in mbufs */
		if ((p != NULL && p->tx_mbufs + o.mbufs >= FXR_RELAY_TX_MBUFS_MAX)
			|| (remote && c->xl_out_mbufs + o.mbufs >= FXR_RELAY_TX_MBUFS_MAX)) {
			c->flags |= FXR_RELAYF_BLOCKED;
			FXR_CTR_INC(lc, relay_blocked_mbufs);
			break;
		}
		if (c->tx_mbufs >= FXR_RELAY_TX_MBUFS_MAX) {
			c->flags |= FXR_RELAYF_BLOCKED | FXR_RELAYF_SELF_FULL;
			FXR_CTR_INC(lc, relay_blocked_mbufs);
			break;
		}
		/* a piece takes one mbuf a run, and runs break only at frames that are not
		 * relayed: n / FXR_FRAME_HDR_LEN + 2 bounds it */
		if (taken + o.mbufs + n / FXR_FRAME_HDR_LEN + 2 > pool_budget) {
			c->flags |= FXR_RELAYF_BLOCKED | FXR_RELAYF_POOL_WAIT;
			lc->relay->pool_waiters++;
			FXR_CTR_INC(lc, relay_blocked_pool);
			break;
		}
		/* the piece is consumed whole, or thrown away with the stream, or up to the
		 * end of an ACCEPT: the rest waits for the PAIR */
		used = scan_piece(lc, c, paired, seg, c->held_off, n, &o);
		if (used < n && (c->flags & FXR_RELAYF_AWAIT_PAIR)) {
			c->held_off += used;
			done += used;
			break;
		}
		done += n;
		held_pop(c);
		/* a write a mark's share at most, so that marks retire as ACKs come */
		if (paired && o.mbufs >= FXR_RELAY_TX_MBUFS_MAX / FXR_RELAY_TX_MARKS) {
			taken += o.mbufs;
			if (!out_to_peer(lc, c, p, &o))
				break;
		}
	}
	if (done != 0)
		fxr_tcp_recv_done(lc, c->tcb, done);
	if (c->flags & FXR_RELAYF_STOPPED)
		fxr_relay_drop_held(lc, c);
	if (o.head != NULL) {
		if (paired)
			(void)out_to_peer(lc, c, p, &o);
		else
			rte_pktmbuf_free(o.head);
	}
	if (c->flags & FXR_RELAYF_ABORT) {
		fxr_tcp_abort(lc, c->tcb); /* on_close frees c */
		return;
	}
	if (c->held_head == NULL && c->xout == NULL && (c->flags & FXR_RELAYF_PEER_FIN))
		fxr_tcp_shutdown(lc, c->tcb);
}

int fxr_relay_send_bytes(struct fxr_lcore *lc, struct fxr_relay_conn *c, const uint8_t *p,
	uint32_t len)
{
	struct fxr_relay_out o = { NULL, NULL, 0, 0 };

	if (out_copy(lc, &o, p, len) < 0) {
		rte_pktmbuf_free(o.head);
		FXR_CTR_INC(lc, relay_send_fail);
		return -ENOMEM;
	}
	return fxr_relay_txq_send(lc, c, &o) < 0 ? -EPIPE : 0;
}

void fxr_relay_close(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint16_t reason)
{
	c->close_reason = reason;
	if (reason == FXR_CHAN_CLOSE_REQUESTED) {
		c->flags |= FXR_RELAYF_CLOSING | FXR_RELAYF_STOPPED;
		fxr_relay_drop_held(lc, c);
		fxr_tcp_shutdown(lc, c->tcb);
		return;
	}
	fxr_tcp_abort(lc, c->tcb); /* on_close frees c */
}

/* ---- TCP callbacks ---- */

static void slot_free(struct fxr_relay *r, struct fxr_relay_conn *c)
{
	if (c->flags & FXR_RELAYF_POOL_WAIT) {
		c->flags &= (uint16_t)~FXR_RELAYF_POOL_WAIT;
		r->pool_waiters--;
	}
	ctl_buf_put(r, c);
	c->id = 0;
	c->peer = 0;
	c->tcb = NULL;
	r->free_idx[r->n_free++] = (uint32_t)(c - r->conns);
}

static void *relay_accept(struct fxr_lcore *lc, struct fxr_tcb *tcb, void *ctx)
{
	struct fxr_relay *r = lc->relay;
	struct fxr_relay_conn *c;
	uint32_t slot, gen;
	uint16_t retry;
	struct fxr_chan_msg m;

	(void)ctx;
	if (r->n_free == 0) {
		FXR_CTR_INC(lc, relay_refused);
		return NULL;
	}
	slot = r->free_idx[--r->n_free];
	c = &r->conns[slot];
	gen = fxr_connid_gen_next(c->gen);
	retry = c->flags & FXR_RELAYF_XL_RETRY; /* the slot may still be on the retry list */
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->flags = retry;
	c->id = fxr_connid_make((uint8_t)lc->queue_id, slot, gen);
	c->tcb = tcb;
	c->last_rx_tsc = lc->now_tsc;
	fxr_scan_init(&c->sc);
	c->addr.family = 4;
	memcpy(c->addr.addr, &tcb->key.raddr, 4);
	c->addr.remote_port = ntohs(tcb->key.rport);
	c->addr.local_port = ntohs(tcb->key.lport);
	if (slot >= r->hiwater)
		r->hiwater = slot + 1;

	memset(&m, 0, sizeof(m));
	m.type = FXR_CHAN_T_CONN_NEW;
	m.lcore = (uint8_t)lc->queue_id;
	m.connid = c->id;
	m.u.conn_new = c->addr;
	if (fxr_dpchan_emit(lc, &m) < 0) {
		slot_free(r, c);
		FXR_CTR_INC(lc, relay_refused);
		return NULL;
	}
	FXR_CTR_INC(lc, relay_conns);
	return c;
}

static void relay_data(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m,
	uint32_t len)
{
	struct fxr_relay_conn *c = tcb->app_ctx;
	struct rte_mbuf *last = m;

	if (c->flags & FXR_RELAYF_STOPPED) {
		rte_pktmbuf_free(m);
		fxr_tcp_recv_done(lc, tcb, len);
		return;
	}
	c->last_rx_tsc = lc->now_tsc;
	while (last->next != NULL)
		last = last->next;
	if (c->held_tail != NULL)
		c->held_tail->next = m;
	else
		c->held_head = m;
	c->held_tail = last;
	if (!(c->flags & FXR_RELAYF_BLOCKED))
		fxr_relay_pump(lc, c);
}

static void relay_peer_fin(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_relay_conn *c = tcb->app_ctx;

	c->flags |= FXR_RELAYF_PEER_FIN;
	/* what is held still goes out first (a sender that closes right after its last
	 * DATA must not lose it) */
	if (c->held_head == NULL)
		fxr_tcp_shutdown(lc, tcb);
}

static void relay_sent(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t acked)
{
	struct fxr_relay_conn *c = tcb->app_ctx;
	struct fxr_relay_conn *p = peer_of(lc, c);
	uint64_t id = c->id;

	uint32_t retired = txq_acked(c, acked);

	if (fxr_relay_peer_remote(lc, c))
		fxr_relay_xl_acked(lc, c, acked, retired);
	if (p != NULL && (p->flags & FXR_RELAYF_BLOCKED) && p->peer == c->id)
		fxr_relay_pump(lc, p);
	/* c waited for its own queue (KEEPALIVE_ACKs); p's pass may have closed c */
	c = fxr_relay_lookup(lc, id);
	if (c != NULL && (c->flags & FXR_RELAYF_SELF_FULL) && c->tx_mbufs < FXR_RELAY_TX_MBUFS_MAX)
		fxr_relay_pump(lc, c);
}

static uint16_t close_reason(const struct fxr_relay_conn *c, int reason)
{
	if (c->close_reason != 0)
		return c->close_reason;
	switch (reason) {
	case 0:
		return (c->flags & FXR_RELAYF_CLOSING) ? FXR_CHAN_CLOSE_REQUESTED
						       : FXR_CHAN_CLOSE_PEER_FIN;
	case -ETIMEDOUT:
		return FXR_CHAN_CLOSE_RETRANSMIT;
	default:
		return FXR_CHAN_CLOSE_PEER_RESET;
	}
}

static void relay_close(struct fxr_lcore *lc, struct fxr_tcb *tcb, int reason)
{
	struct fxr_relay_conn *c = tcb->app_ctx;
	struct fxr_relay_conn *p;
	struct fxr_chan_msg m;

	if (c == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.type = FXR_CHAN_T_CONN_CLOSED;
	m.lcore = (uint8_t)lc->queue_id;
	m.connid = c->id;
	m.u.closed.reason = close_reason(c, reason);
	(void)fxr_dpchan_emit(lc, &m); /* a full queue is counted there; nothing else to do */
	FXR_CTR_INC(lc, relay_conns_closed);
	p = peer_of(lc, c);
	fxr_relay_xl_conn_gone(lc, c);
	c->tcb = NULL; /* the held data's window dies with the TCB */
	fxr_relay_drop_held(lc, c);
	slot_free(lc->relay, c);
	/* a peer waiting for our send space now drops what it relays */
	if (p != NULL && (p->flags & FXR_RELAYF_BLOCKED))
		fxr_relay_pump(lc, p);
}

static const struct fxr_tcp_app relay_app = {
	.name = "relay",
	.on_accept = relay_accept,
	.on_data = relay_data,
	.on_peer_fin = relay_peer_fin,
	.on_sent = relay_sent,
	.on_close = relay_close,
};

uint32_t fxr_relay_pool_resume(uint32_t pool_size)
{
	return pool_size / FXR_RELAY_POOL_RESERVE_DIV + RTE_MIN(FXR_RELAY_POOL_RESUME, pool_size / 2);
}

static void relay_free_tables(struct fxr_relay *r)
{
	fxr_relay_xl_fini(r);
	rte_free(r->conns);
	rte_free(r->free_idx);
	rte_free(r->ctl_bufs);
	rte_free(r->ctl_free);
	rte_free(r);
}

int fxr_relay_start(struct fxr_lcore *lc, uint16_t port)
{
	struct fxr_relay *r = rte_zmalloc("fxr_relay", sizeof(*r), 0);

	if (r == NULL)
		return -ENOMEM;
	/* a relay connection per TCB at most */
	r->n = lc->tcp->cfg.max_tcbs;
	r->conns = rte_zmalloc("fxr_relay_conns", sizeof(*r->conns) * r->n, RTE_CACHE_LINE_SIZE);
	r->free_idx = rte_malloc("fxr_relay_free", sizeof(uint32_t) * r->n, 0);
	r->n_ctl_bufs = RTE_MIN(r->n, FXR_RELAY_CTL_BUFS);
	r->ctl_bufs = rte_malloc("fxr_relay_ctl_bufs", sizeof(*r->ctl_bufs) * r->n_ctl_bufs, 0);
	r->ctl_free = rte_malloc("fxr_relay_ctl_free", sizeof(uint32_t) * r->n_ctl_bufs, 0);
	if (r->conns == NULL || r->free_idx == NULL || r->ctl_bufs == NULL || r->ctl_free == NULL) {
		relay_free_tables(r);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->n_ctl_bufs; i++)
		r->ctl_free[i] = i;
	r->n_ctl_free = r->n_ctl_bufs;
	/* slot 0 is taken first */
	for (uint32_t i = 0; i < r->n; i++)
		r->free_idx[i] = r->n - 1 - i;
	r->n_free = r->n;
	r->hz = rte_get_tsc_hz();
	r->sweep_tsc = r->hz / 10;
	r->pool_reserve = lc->mp->size / FXR_RELAY_POOL_RESERVE_DIV;
	r->pool_resume = fxr_relay_pool_resume(lc->mp->size);
	r->next_sweep_tsc = lc->now_tsc + r->sweep_tsc;
	lc->relay = r;
	if (fxr_relay_xl_init(lc) < 0) {
		relay_free_tables(r);
		lc->relay = NULL;
		return -ENOMEM;
	}
	return fxr_tcp_listen(lc, port, &relay_app, r);
}

void fxr_relay_fini(struct fxr_lcore *lc)
{
	struct fxr_relay *r = lc->relay;

	if (r == NULL)
		return;
	relay_free_tables(r);
	lc->relay = NULL;
}
