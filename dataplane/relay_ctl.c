/* dataplane/relay_ctl.c: what the relay does for each control -> dataplane message
 * (engine/chan/README.md, ABI v2), the dump, and the idle timer. A message for a
 * connection that is gone (its id's generation no longer matches) is counted
 * (chan_c2d_stale) and ignored: the control plane learns of the close from CONN_CLOSED. */
#include <string.h>

#include <rte_cycles.h>
#include <rte_mempool.h>

#include "fxr/chan.h"
#include "fxr/connid.h"

#include "counters.h"
#include "dpchan.h"
#include "lcore-t.h"
#include "relay.h"
#include "tcp.h"
#include "xlcore.h"

/* c waited for its PAIR after an ACCEPT (FXR_RELAYF_AWAIT_PAIR): it reads on, and what it
 * holds goes wherever its pairing now says. */
static void await_end(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	if (!(c->flags & FXR_RELAYF_AWAIT_PAIR))
		return;
	c->flags &= (uint16_t)~FXR_RELAYF_AWAIT_PAIR;
	if (c->held_head != NULL)
		fxr_relay_pump(lc, c);
}

void fxr_relay_unpair(struct fxr_lcore *lc, struct fxr_relay_conn *c)
{
	struct fxr_relay_conn *p = c->peer != 0 ? fxr_relay_lookup(lc, c->peer) : NULL;

	if (fxr_relay_peer_remote(lc, c))
		fxr_relay_xl_unpair(lc, c);
	c->peer = 0;
	c->flags &= (uint16_t)~FXR_RELAYF_SENT_END;
	if (p != NULL && p->peer == c->id) {
		p->peer = 0;
		p->flags &= (uint16_t)~FXR_RELAYF_SENT_END;
		if (p->held_head != NULL)
			fxr_relay_pump(lc, p);
	}
}

static void pair(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint64_t peer)
{
	struct fxr_relay_conn *p;

	if (lc->xl != NULL && fxr_connid_valid(peer)
		&& fxr_connid_lcore(peer) != lc->queue_id && fxr_connid_lcore(peer) < lc->xl->n) {
		/* the peer is another lcore's: it pairs its side when our message comes */
		fxr_relay_unpair(lc, c);
		fxr_relay_xl_pair(lc, c, peer);
		FXR_CTR_INC(lc, relay_pairs);
		c->flags &= (uint16_t)~FXR_RELAYF_AWAIT_PAIR;
		if (c->held_head != NULL)
			fxr_relay_pump(lc, c);
		return;
	}
	p = fxr_relay_lookup(lc, peer);
	if (p == NULL || p == c || (p->flags & FXR_RELAYF_CLOSING)) {
		FXR_CTR_INC(lc, chan_c2d_stale);
		return;
	}
	fxr_relay_unpair(lc, c);
	fxr_relay_unpair(lc, p);
	c->peer = p->id;
	p->peer = c->id;
	c->flags &= (uint16_t)~FXR_RELAYF_AWAIT_PAIR;
	p->flags &= (uint16_t)~FXR_RELAYF_AWAIT_PAIR;
	FXR_CTR_INC(lc, relay_pairs);
	if (c->held_head != NULL)
		fxr_relay_pump(lc, c);
	/* c may be gone (a reset from its pass): look p up again */
	p = fxr_relay_lookup(lc, peer);
	if (p != NULL && p->held_head != NULL)
		fxr_relay_pump(lc, p);
}

void fxr_relay_ctl(struct fxr_lcore *lc, const struct fxr_chan_msg *m)
{
	struct fxr_relay_conn *c;

	if (m->type == FXR_CHAN_T_DUMP_REQUEST) {
		fxr_dpchan_dump_start(lc, m->u.dump_req.dump_id);
		return;
	}
	if (m->type == FXR_CHAN_T_TRUNK_OPEN) {
		FXR_CTR_INC(lc, relay_c2d_unsupported);
		return;
	}
	c = fxr_relay_lookup(lc, m->connid);
	if (c == NULL || (c->flags & FXR_RELAYF_CLOSING)) {
		FXR_CTR_INC(lc, chan_c2d_stale);
		return;
	}
	switch (m->type) {
	case FXR_CHAN_T_SEND_FRAME:
		FXR_CTR_INC(lc, relay_c2d_frames);
		FXR_CTR_ADD(lc, relay_c2d_bytes, m->u.frame.len);
		fxr_relay_send_bytes(lc, c, m->u.frame.p, m->u.frame.len);
		return;
	case FXR_CHAN_T_LOGIN:
		c->flags |= FXR_RELAYF_LOGGED_IN;
		c->keepalive_s = m->u.login.keepalive_s;
		c->idle_s = m->u.login.idle_s;
		c->dev_len = m->u.login.dev_len;
		memcpy(c->dev, m->u.login.dev, c->dev_len);
		c->last_rx_tsc = lc->now_tsc;
		return;
	case FXR_CHAN_T_PAIR:
		pair(lc, c, m->u.pair.peer);
		return;
	case FXR_CHAN_T_UNPAIR:
		fxr_relay_unpair(lc, c);
		await_end(lc, c); /* also the answer to an ACCEPT that paired nothing */
		return;
	case FXR_CHAN_T_CLOSE:
		fxr_relay_unpair(lc, c);
		fxr_relay_close(lc, c, FXR_CHAN_CLOSE_REQUESTED);
		return;
	case FXR_CHAN_T_NOTE:
		c->note = m->u.note;
		c->flags |= FXR_RELAYF_HAS_NOTE;
		return;
	default:
		FXR_CTR_INC(lc, relay_c2d_unsupported);
		return;
	}
}

void fxr_relay_dump_mark(struct fxr_lcore *lc)
{
	struct fxr_relay *r = lc->relay;

	if (r == NULL)
		return;
	for (uint32_t slot = 0; slot < r->hiwater; slot++)
		if (r->conns[slot].id != 0)
			r->conns[slot].flags |= FXR_RELAYF_DUMP;
}

bool fxr_relay_dump_next(struct fxr_lcore *lc, uint32_t *cursor, struct fxr_chan_msg *m)
{
	struct fxr_relay *r = lc->relay;

	if (r == NULL)
		return false;
	for (uint32_t slot = *cursor; slot < r->hiwater; slot++) {
		const struct fxr_relay_conn *c = &r->conns[slot];
		uint64_t peer;

		/* the flag stays until the next mark: the cursor passes each slot once, and a
		 * refused send asks for the same slot again. Connections being closed at our
		 * request are gone for the control plane. */
		if (c->id == 0 || !(c->flags & FXR_RELAYF_DUMP) || (c->flags & FXR_RELAYF_CLOSING))
			continue;
		peer = c->peer != 0 && (fxr_relay_peer_remote(lc, c)
			|| fxr_relay_lookup(lc, c->peer) != NULL) ? c->peer : 0;
		memset(m, 0, sizeof(*m));
		m->type = FXR_CHAN_T_DUMP_ENTRY;
		m->lcore = (uint8_t)lc->queue_id;
		m->connid = c->id;
		m->u.dump.peer = peer;
		m->u.dump.state = peer != 0 ? FXR_CHAN_STATE_PAIRED
			: (c->flags & FXR_RELAYF_LOGGED_IN) ? FXR_CHAN_STATE_IDLE
			: FXR_CHAN_STATE_NEW;
		m->u.dump.dev_len = c->dev_len;
		m->u.dump.dev = c->dev;
		m->u.dump.keepalive_s = c->keepalive_s;
		m->u.dump.idle_s = c->idle_s;
		m->u.dump.sent_end = (c->flags & FXR_RELAYF_SENT_END) ? 1 : 0;
		m->u.dump.addr = c->addr;
		m->u.dump.note = c->note;
		*cursor = slot + 1;
		return true;
	}
	*cursor = r->hiwater;
	return false;
}

/* Pumps the connections that waited for the mbuf pool, once it has refilled to pool_resume
 * (FXR_RELAY_POOL_RESUME above the reserve). Returns how many it pumped. */
static unsigned pool_resume(struct fxr_lcore *lc)
{
	struct fxr_relay *r = lc->relay;
	unsigned pumped = 0;

	if (rte_mempool_avail_count(lc->mp) < r->pool_resume)
		return 0;
	for (uint32_t slot = 0; slot < r->hiwater && r->pool_waiters != 0; slot++) {
		struct fxr_relay_conn *c = &r->conns[slot];

		if (c->id != 0 && (c->flags & FXR_RELAYF_POOL_WAIT)) {
			fxr_relay_pump(lc, c);
			pumped++;
		}
	}
	return pumped;
}

unsigned fxr_relay_timers(struct fxr_lcore *lc)
{
	struct fxr_relay *r = lc->relay;
	unsigned expired = 0;

	if (r == NULL)
		return 0;
	if (r->pool_waiters != 0)
		expired += pool_resume(lc);
	if (lc->xl != NULL)
		expired += fxr_relay_xl_retry(lc);
	if (lc->now_tsc < r->next_sweep_tsc)
		return expired;
	r->next_sweep_tsc = lc->now_tsc + r->sweep_tsc;
	for (uint32_t slot = 0; slot < r->hiwater; slot++) {
		struct fxr_relay_conn *c = &r->conns[slot];
		struct fxr_chan_msg m;

		if (c->id != 0 && (c->flags & FXR_RELAYF_AWAIT_PAIR) && lc->now_tsc >= c->await_tsc) {
			FXR_CTR_INC(lc, relay_accept_wait_expired);
			await_end(lc, c);
			if (c->id == 0)
				continue; /* its pass closed it */
		}
		/* a paired device may only be receiving: the idle timer is for idle ones */
		if (c->id == 0 || !(c->flags & FXR_RELAYF_LOGGED_IN) || c->idle_s == 0
			|| c->peer != 0 || (c->flags & FXR_RELAYF_CLOSING)
			|| lc->now_tsc - c->last_rx_tsc < (uint64_t)c->idle_s * r->hz)
			continue;
		memset(&m, 0, sizeof(m));
		m.type = FXR_CHAN_T_KEEPALIVE_EXPIRED;
		m.lcore = (uint8_t)lc->queue_id;
		m.connid = c->id;
		(void)fxr_dpchan_emit(lc, &m);
		FXR_CTR_INC(lc, relay_idle_expired);
		fxr_relay_close(lc, c, FXR_CHAN_CLOSE_IDLE_TIMEOUT);
		expired++;
	}
	return expired;
}
