/* dataplane/relay_xl.c: pairs whose two connections live on different lcores (DESIGN.md §1,
 * §6). Each lcore owns its connections; the pair's lcores talk through the rings between
 * them (xlcore.h), still by reference:
 *  - PAIR comes from the control plane to one side's lane; that lcore pairs its connection
 *    and sends FXR_RELAY_XL_PAIR to the other, which pairs its own. UNPAIR, a re-PAIR and a
 *    close send FXR_RELAY_XL_UNPAIR the same way.
 *  - a pass of fxr_relay_pump() sends what it relays as FXR_RELAY_XL_DATA: the chain of
 *    indirect mbufs it built, which the peer's lcore appends to its connection's send queue.
 *  - flow control as for a local pair, by credit: a connection sends at most the send buffer
 *    (fxr_tcp_send_cap: snd_buf, less under mbuf pool pressure) and FXR_RELAY_TX_MBUFS_MAX
 *    mbufs that its peer's lcore has not credited back;
 *    that lcore credits them (FXR_RELAY_XL_CREDIT) as its connection's peer acknowledges
 *    them. Credit is counted from the acknowledged bytes and the retired marks of that send
 *    queue, which also hold the relay's own writes (KEEPALIVE_ACK, frames from the control
 *    plane): credit can come early by those, never late, and is exact once the queue drains.
 *  - ordering: everything from one lcore to another goes through one FIFO ring. When the
 *    ring is full, control messages wait in the lcore's deferred queue (in order), and a
 *    write waits in its connection (xout, the connection blocked) until the deferred queue
 *    is empty and the ring takes it: a DATA never overtakes the PAIR before it. */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fxr/connid.h"

#include "counters.h"
#include "lcore-t.h"
#include "relay.h"
#include "tcp.h"
#include "xlcore.h"

bool fxr_relay_peer_remote(const struct fxr_lcore *lc, const struct fxr_relay_conn *c)
{
	return c->peer != 0 && fxr_connid_lcore(c->peer) != lc->queue_id;
}

/* Sends msg to the lcore of its connection a, or queues it behind those already waiting. */
static void xl_send_ctl(struct fxr_lcore *lc, struct fxr_xl_msg *msg)
{
	struct fxr_relay *r = lc->relay;

	msg->kind = FXR_XL_RELAY;
	if (r->xl_def_n == 0 && fxr_xlcore_send(lc, fxr_connid_lcore(msg->a), msg) == 0)
		return;
	if (r->xl_def_n == FXR_RELAY_XL_DEFERRED) {
		FXR_CTR_INC(lc, relay_xl_lost);
		rte_pktmbuf_free(msg->m);
		return;
	}
	r->xl_deferred[(r->xl_def_head + r->xl_def_n) % FXR_RELAY_XL_DEFERRED] = *msg;
	r->xl_def_n++;
	FXR_CTR_INC(lc, relay_xl_deferred);
}

/* Sends what the deferred queue holds, in order, while the rings take it. Returns how many
 * went. */
static unsigned xl_deferred_flush(struct fxr_lcore *lc)
{
	struct fxr_relay *r = lc->relay;
	unsigned sent = 0;

	while (r->xl_def_n != 0) {
		struct fxr_xl_msg *msg = &r->xl_deferred[r->xl_def_head];

		if (fxr_xlcore_send(lc, fxr_connid_lcore(msg->a), msg) < 0)
			break;
		r->xl_def_head = (r->xl_def_head + 1u) % FXR_RELAY_XL_DEFERRED;
		r->xl_def_n--;
		sent++;
	}
	return sent;
}

static void xl_retry_add(struct fxr_relay *r, struct fxr_relay_conn *c)
{
	if (c->flags & FXR_RELAYF_XL_RETRY)
		return;
	c->flags |= FXR_RELAYF_XL_RETRY;
	r->xl_retry[r->n_xl_retry++] = (uint32_t)(c - r->conns);
}

/* The DATA message of c's write o (or of its xout). */
static struct fxr_xl_msg xl_data_msg(const struct fxr_relay_conn *c, struct rte_mbuf *m,
	uint32_t bytes, uint32_t mbufs)
{
	return (struct fxr_xl_msg){ .kind = FXR_XL_RELAY, .op = FXR_RELAY_XL_DATA,
		.bytes = bytes, .mbufs = mbufs, .a = c->peer, .b = c->id, .m = m };
}

int fxr_relay_xl_send_out(struct fxr_lcore *lc, struct fxr_relay_conn *c,
	struct fxr_relay_out *o)
{
	int rc;

	c->xl_out_bytes += o->bytes;
	c->xl_out_mbufs += o->mbufs;
	FXR_CTR_ADD(lc, relay_xl_bytes_out, o->bytes);
	/* the write goes as c's waiting write; a pass stops as soon as one waits, so there is
	 * never more than one */
	c->xout = o->head;
	c->xout_bytes = o->bytes;
	c->xout_mbufs = o->mbufs;
	*o = (struct fxr_relay_out){ NULL, NULL, 0, 0 };
	rc = fxr_relay_xl_flush_xout(lc, c);
	if (rc < 0)
		FXR_CTR_INC(lc, relay_xl_blocked);
	return rc;
}

int fxr_relay_xl_flush_xout(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	struct fxr_relay *r = lc->relay;
	struct fxr_xl_msg msg;

	if (c->xout == NULL)
		return 0;
	msg = xl_data_msg(c, c->xout, c->xout_bytes, c->xout_mbufs);
	if (r->xl_def_n != 0 || fxr_xlcore_send(lc, fxr_connid_lcore(c->peer), &msg) < 0) {
		c->flags |= FXR_RELAYF_BLOCKED | FXR_RELAYF_XL_WAIT;
		xl_retry_add(r, c);
		return -ENOBUFS;
	}
	c->xout = NULL;
	c->flags &= (uint16_t)~FXR_RELAYF_XL_WAIT;
	return 0;
}

/* Ends c's side of its pair with a peer on another lcore: what c still had for the peer
 * goes first (in order, behind the deferred queue), then UNPAIR. */
static void xl_leave(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	struct fxr_xl_msg msg;

	if (c->xout != NULL) {
		msg = xl_data_msg(c, c->xout, c->xout_bytes, c->xout_mbufs);
		xl_send_ctl(lc, &msg);
		c->xout = NULL;
	}
	msg = (struct fxr_xl_msg){ .op = FXR_RELAY_XL_UNPAIR, .a = c->peer, .b = c->id };
	xl_send_ctl(lc, &msg);
	c->flags &= (uint16_t)~FXR_RELAYF_XL_WAIT;
}

static void xl_reset(struct fxr_relay_conn *c, uint64_t peer)
{
	c->peer = peer;
	c->xl_out_bytes = c->xl_out_mbufs = 0;
	c->xl_in_bytes = c->xl_in_mbufs = 0;
}

void fxr_relay_xl_unpair(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	xl_leave(lc, c);
	xl_reset(c, 0);
}

void fxr_relay_xl_pair(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint64_t peer)
{
	struct fxr_xl_msg msg = { .op = FXR_RELAY_XL_PAIR, .a = peer, .b = c->id };

	xl_reset(c, peer);
	xl_send_ctl(lc, &msg);
	FXR_CTR_INC(lc, relay_xl_pairs);
}

void fxr_relay_xl_conn_gone(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	if (fxr_relay_peer_remote(lc, c))
		xl_leave(lc, c);
}

void fxr_relay_xl_acked(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint32_t acked,
	uint32_t retired_mbufs)
{
	struct fxr_xl_msg msg = { .op = FXR_RELAY_XL_CREDIT, .a = c->peer, .b = c->id };

	msg.bytes = RTE_MIN(acked, c->xl_in_bytes);
	msg.mbufs = RTE_MIN(retired_mbufs, c->xl_in_mbufs);
	if (msg.bytes == 0 && msg.mbufs == 0)
		return;
	c->xl_in_bytes -= msg.bytes;
	c->xl_in_mbufs -= msg.mbufs;
	xl_send_ctl(lc, &msg);
}

/* FXR_RELAY_XL_PAIR: the other side paired b with our a. */
static void on_pair(struct fxr_lcore *lc, struct fxr_relay_conn *a, const struct fxr_xl_msg *m)
{
	if (a == NULL || (a->flags & FXR_RELAYF_CLOSING)) {
		struct fxr_xl_msg back = { .op = FXR_RELAY_XL_UNPAIR, .a = m->b, .b = m->a };

		FXR_CTR_INC(lc, relay_xl_stale);
		xl_send_ctl(lc, &back);
		return;
	}
	fxr_relay_unpair(lc, a);
	xl_reset(a, m->b);
	a->flags &= (uint16_t)~FXR_RELAYF_AWAIT_PAIR;
	if (a->held_head != NULL)
		fxr_relay_pump(lc, a);
}

/* FXR_RELAY_XL_UNPAIR: b left the pair (or is gone); a relays no more, like a connection
 * whose local peer closed. */
static void on_unpair(struct fxr_lcore *lc, struct fxr_relay_conn *a, const struct fxr_xl_msg *m)
{
	if (a == NULL || a->peer != m->b) {
		FXR_CTR_INC(lc, relay_xl_stale);
		return;
	}
	if (a->xout != NULL) { /* for b, which is no more */
		FXR_CTR_ADD(lc, relay_xl_bytes_dropped, a->xout_bytes);
		rte_pktmbuf_free(a->xout);
		a->xout = NULL;
	}
	a->flags &= (uint16_t)~(FXR_RELAYF_SENT_END | FXR_RELAYF_XL_WAIT);
	xl_reset(a, 0);
	if (a->held_head != NULL)
		fxr_relay_pump(lc, a);
}

static void on_data(struct fxr_lcore *lc, struct fxr_relay_conn *a, struct fxr_xl_msg *m)
{
	struct fxr_relay_out o = { m->m, NULL, m->bytes, m->mbufs };

	if (a == NULL || a->peer != m->b || (a->flags & FXR_RELAYF_CLOSING) || a->tcb == NULL) {
		FXR_CTR_INC(lc, relay_xl_stale);
		FXR_CTR_ADD(lc, relay_xl_bytes_dropped, m->bytes);
		rte_pktmbuf_free(m->m);
		return;
	}
	FXR_CTR_ADD(lc, relay_xl_bytes_in, m->bytes);
	a->xl_in_bytes += m->bytes;
	a->xl_in_mbufs += m->mbufs;
	if (fxr_relay_txq_send(lc, a, &o) < 0)
		fxr_relay_xl_acked(lc, a, m->bytes, m->mbufs); /* never to be acknowledged */
}

static void on_credit(struct fxr_lcore *lc, struct fxr_relay_conn *a, const struct fxr_xl_msg *m)
{
	if (a == NULL || a->peer != m->b) {
		FXR_CTR_INC(lc, relay_xl_stale);
		return;
	}
	/* credit of an earlier pairing with the same peer can come after a reset */
	a->xl_out_bytes -= RTE_MIN(m->bytes, a->xl_out_bytes);
	a->xl_out_mbufs -= RTE_MIN(m->mbufs, a->xl_out_mbufs);
	if ((a->flags & FXR_RELAYF_BLOCKED) && !(a->flags & FXR_RELAYF_XL_WAIT))
		fxr_relay_pump(lc, a);
}

void fxr_relay_xl(struct fxr_lcore *lc, struct fxr_xl_msg *m)
{
	struct fxr_relay_conn *a = lc->relay != NULL ? fxr_relay_lookup(lc, m->a) : NULL;

	if (lc->relay == NULL) {
		rte_pktmbuf_free(m->m);
		return;
	}
	switch (m->op) {
	case FXR_RELAY_XL_PAIR:
		on_pair(lc, a, m);
		return;
	case FXR_RELAY_XL_UNPAIR:
		on_unpair(lc, a, m);
		return;
	case FXR_RELAY_XL_DATA:
		on_data(lc, a, m);
		return;
	case FXR_RELAY_XL_CREDIT:
		on_credit(lc, a, m);
		return;
	default:
		FXR_CTR_INC(lc, relay_xl_stale);
		rte_pktmbuf_free(m->m);
		return;
	}
}

unsigned fxr_relay_xl_retry(struct fxr_lcore *lc)
{
	struct fxr_relay *r = lc->relay;
	unsigned work;
	uint32_t n;

	if (r->xl_def_n == 0 && r->n_xl_retry == 0)
		return 0;
	work = xl_deferred_flush(lc);
	if (r->xl_def_n != 0)
		return work;
	/* a pass re-adds its connection at most once, at an index already read: the list can
	 * be refilled from the start while it is walked */
	n = r->n_xl_retry;
	r->n_xl_retry = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct fxr_relay_conn *c = &r->conns[r->xl_retry[i]];

		c->flags &= (uint16_t)~FXR_RELAYF_XL_RETRY;
		if (c->id != 0 && (c->flags & FXR_RELAYF_XL_WAIT)) {
			fxr_relay_pump(lc, c);
			work++;
		}
	}
	return work;
}

int fxr_relay_xl_init(struct fxr_lcore *lc)
{
	struct fxr_relay *r = lc->relay;

	if (lc->xl == NULL)
		return 0;
	r->xl_retry = rte_malloc("fxr_relay_xl_retry", sizeof(*r->xl_retry) * r->n, 0);
	r->xl_deferred = rte_malloc("fxr_relay_xl_deferred",
		sizeof(*r->xl_deferred) * FXR_RELAY_XL_DEFERRED, 0);
	return r->xl_retry != NULL && r->xl_deferred != NULL ? 0 : -ENOMEM;
}

void fxr_relay_xl_fini(struct fxr_relay *r)
{
	while (r->xl_deferred != NULL && r->xl_def_n != 0) {
		rte_pktmbuf_free(r->xl_deferred[r->xl_def_head].m);
		r->xl_def_head = (r->xl_def_head + 1u) % FXR_RELAY_XL_DEFERRED;
		r->xl_def_n--;
	}
	rte_free(r->xl_retry);
	rte_free(r->xl_deferred);
}
