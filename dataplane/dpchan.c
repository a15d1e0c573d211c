/* dataplane/dpchan.c: the dataplane's side of the plane channel. Order is the contract: a
 * lane's events reach the control plane in the order they were emitted, a full ring never
 * blocks the lcore (the event waits in the lane's queue, counted), and a dump is contiguous
 * (engine/chan/README.md, ABI v2). */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/connid.h"

#include "counters.h"
#include "dpchan.h"
#include "lcore-t.h"
#include "relay.h"
#include "tcp.h"

int fxr_dpchan_create(const char *name, uint16_t lanes, struct fxr_chan **out, char *err,
	size_t errlen)
{
	struct fxr_chan_cfg cfg;

	fxr_chan_cfg_default(&cfg, lanes);
	return fxr_chan_create(name, &cfg, out, err, errlen);
}

int fxr_dpchan_lane_init(struct fxr_lcore *lc, struct fxr_chan *ch)
{
	struct fxr_dpchan *d = rte_zmalloc("fxr_dpchan", sizeof(*d), 0);

	if (d == NULL)
		return -ENOMEM;
	d->ch = ch;
	d->lane = (uint8_t)lc->queue_id;
	d->rxcap = fxr_chan_slot_size(ch, FXR_CHAN_C2D);
	d->rxbuf = rte_malloc("fxr_dpchan_rx", d->rxcap, 0);
	d->evq = rte_malloc("fxr_dpchan_evq", sizeof(*d->evq) * FXR_DPCHAN_EVQ, 0);
	d->ntally = lc->tcp != NULL ? lc->tcp->cfg.max_tcbs : 1; /* a slot a relay connection */
	d->tally = rte_zmalloc("fxr_dpchan_tally", sizeof(*d->tally) * d->ntally, 0);
	if (d->rxbuf == NULL || d->evq == NULL || d->tally == NULL) {
		rte_free(d->rxbuf);
		rte_free(d->evq);
		rte_free(d->tally);
		rte_free(d);
		return -ENOMEM;
	}
	lc->chan = d;
	return 0;
}

void fxr_dpchan_lane_fini(struct fxr_lcore *lc)
{
	struct fxr_dpchan *d = lc->chan;

	if (d == NULL)
		return;
	rte_free(d->rxbuf);
	rte_free(d->evq);
	rte_free(d->tally);
	rte_free(d);
	lc->chan = NULL;
}

static bool evq_empty(const struct fxr_dpchan *d)
{
	return d->head == d->tail;
}

static int evq_push(struct fxr_lcore *lc, const uint8_t *msg, size_t len)
{
	struct fxr_dpchan *d = lc->chan;
	struct fxr_dpchan_ev *ev;

	if (d->tail - d->head >= FXR_DPCHAN_EVQ) {
		FXR_CTR_INC(lc, chan_evq_full);
		return -ENOBUFS;
	}
	ev = &d->evq[d->tail % FXR_DPCHAN_EVQ];
	memcpy(ev->buf, msg, len);
	ev->len = (uint16_t)len;
	d->tail++;
	FXR_CTR_INC(lc, chan_d2c_queued);
	return 0;
}

int fxr_dpchan_emit_raw(struct fxr_lcore *lc, const uint8_t *msg, size_t len)
{
	struct fxr_dpchan *d = lc->chan;

	if (d == NULL)
		return 0;
	if (evq_empty(d) && !d->dumping) {
		int rc = fxr_chan_send(d->ch, d->lane, msg, len);

		if (rc == 0) {
			FXR_CTR_INC(lc, chan_d2c_sent);
			return 0;
		}
		if (rc != -ENOBUFS) {
			FXR_CTR_INC(lc, chan_d2c_bad);
			return -EINVAL;
		}
	}
	return evq_push(lc, msg, len);
}

int fxr_dpchan_emit(struct fxr_lcore *lc, const struct fxr_chan_msg *m)
{
	uint8_t buf[FXR_CHAN_MSG_D2C_MAX];
	int n = fxr_chan_msg_encode(m, buf, sizeof(buf));

	if (n < 0) {
		FXR_CTR_INC(lc, chan_d2c_bad);
		return -EINVAL;
	}
	return fxr_dpchan_emit_raw(lc, buf, (size_t)n);
}

void fxr_dpchan_dump_start(struct fxr_lcore *lc, uint32_t dump_id)
{
	struct fxr_dpchan *d = lc->chan;

	/* a second request while one is answered restarts it (the control plane only asks
	 * again after a restart, and the new one wants a whole dump) */
	d->dumping = true;
	d->dump_mark = d->tail;
	d->dump_id = dump_id;
	d->dump_cursor = 0;
	d->dump_entries = 0;
	fxr_relay_dump_mark(lc);
	FXR_CTR_INC(lc, chan_dumps);
}

/* Sends queued events up to `upto`; returns the number sent, stops at a full ring. */
static unsigned evq_flush(struct fxr_lcore *lc, uint32_t upto, bool *full)
{
	struct fxr_dpchan *d = lc->chan;
	unsigned sent = 0;

	while (d->head != upto) {
		struct fxr_dpchan_ev *ev = &d->evq[d->head % FXR_DPCHAN_EVQ];
		int rc = fxr_chan_send(d->ch, d->lane, ev->buf, ev->len);

		if (rc == -ENOBUFS) {
			*full = true;
			break;
		}
		if (rc == 0)
			FXR_CTR_INC(lc, chan_d2c_sent);
		else
			FXR_CTR_INC(lc, chan_d2c_bad);
		d->head++;
		sent++;
	}
	return sent;
}

/* ---- byte totals (BYTES, DUMP_ENTRY) ---- */

/* Advances the tally of c (in its slot) to its TCB's counts. Returns true when the totals
 * moved since they were last advanced. */
static bool tally_update(struct fxr_dpchan *d, uint32_t slot, const struct fxr_relay_conn *c)
{
	struct fxr_dpchan_tally *t;
	uint32_t in, out;

	if (slot >= d->ntally || c->tcb == NULL)
		return false;
	t = &d->tally[slot];
	fxr_tcp_bytes(c->tcb, &in, &out);
	if (t->id != c->id) { /* a new connection in the slot: counted from its SYN */
		*t = (struct fxr_dpchan_tally){ .id = c->id, .t = { .in = in, .out = out },
			.in32 = in, .out32 = out };
		return in != 0 || out != 0;
	}
	if (in == t->in32 && out == t->out32)
		return false;
	t->t.in += (uint32_t)(in - t->in32);
	t->t.out += (uint32_t)(out - t->out32);
	t->in32 = in;
	t->out32 = out;
	return true;
}

/* Sends the batch as one BYTES message. Returns false (batch kept) when the lane's queue is
 * over half full: events go first. */
static bool bytes_flush(struct fxr_lcore *lc)
{
	struct fxr_dpchan *d = lc->chan;
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_BYTES, .lcore = d->lane };

	if (d->nbatch == 0)
		return true;
	if (d->tail - d->head > FXR_DPCHAN_EVQ / 2) {
		FXR_CTR_INC(lc, chan_bytes_deferred);
		return false;
	}
	m.u.bytes.n = d->nbatch;
	m.u.bytes.entries = d->batch;
	if (fxr_dpchan_emit(lc, &m) == 0) /* room was checked: only a bug fails (counted) */
		FXR_CTR_INC(lc, chan_bytes_reports);
	d->nbatch = 0;
	return true;
}

/* One step of the periodic sweep: the totals of connections that moved go into BYTES
 * messages. Returns the number of messages sent. */
static unsigned bytes_sweep(struct fxr_lcore *lc)
{
	struct fxr_dpchan *d = lc->chan;
	const struct fxr_relay *r = lc->relay;
	unsigned sent = 0;
	uint32_t end, stop;

	if (r == NULL)
		return 0;
	if (!d->sweeping) {
		if (lc->now_tsc < d->next_sweep_tsc)
			return 0;
		d->sweeping = true;
		d->sweep_cursor = 0;
		d->next_sweep_tsc = lc->now_tsc + r->hz / 1000u * FXR_DPCHAN_BYTES_PERIOD_MS;
	}
	end = RTE_MIN(r->hiwater, d->ntally);
	stop = RTE_MIN(end, d->sweep_cursor + FXR_DPCHAN_BYTES_STEP);
	while (d->sweep_cursor < stop) {
		uint32_t slot = d->sweep_cursor;
		const struct fxr_relay_conn *c = &r->conns[slot];

		if (d->nbatch == FXR_CHAN_BYTES_MAX) {
			if (!bytes_flush(lc))
				return sent;
			sent++;
		}
		d->sweep_cursor++;
		if (c->id != 0 && tally_update(d, slot, c))
			d->batch[d->nbatch++] = (struct fxr_chan_bytes_entry){
				.connid = c->id, .t = d->tally[slot].t };
	}
	if (d->sweep_cursor >= end) {
		if (d->nbatch != 0) {
			if (!bytes_flush(lc))
				return sent;
			sent++;
		}
		d->sweeping = false;
	}
	return sent;
}

/* The totals of a dumped connection, brought up to date. */
static void dump_totals(struct fxr_lcore *lc, struct fxr_chan_msg *m)
{
	struct fxr_dpchan *d = lc->chan;
	uint32_t slot = fxr_connid_slot(m->connid);

	if (lc->relay == NULL || slot >= d->ntally)
		return;
	(void)tally_update(d, slot, &lc->relay->conns[slot]);
	if (d->tally[slot].id == m->connid)
		m->u.dump.totals = d->tally[slot].t;
}

/* Sends dump entries while the ring takes them; the DUMP_END closes the dump. */
static unsigned dump_step(struct fxr_lcore *lc, bool *full)
{
	struct fxr_dpchan *d = lc->chan;
	unsigned sent = 0;

	for (;;) {
		struct fxr_chan_msg m;
		uint32_t next = d->dump_cursor;
		bool end = !fxr_relay_dump_next(lc, &next, &m);
		int rc;

		if (end) {
			memset(&m, 0, sizeof(m));
			m.type = FXR_CHAN_T_DUMP_END;
			m.lcore = d->lane;
			m.u.dump_end.dump_id = d->dump_id;
			m.u.dump_end.entries = d->dump_entries;
		} else {
			dump_totals(lc, &m);
		}
		rc = fxr_chan_send_msg(d->ch, d->lane, &m);
		if (rc == -ENOBUFS) {
			*full = true;
			return sent;
		}
		if (rc == 0)
			FXR_CTR_INC(lc, chan_d2c_sent);
		else
			FXR_CTR_INC(lc, chan_d2c_bad);
		sent++;
		if (end) {
			d->dumping = false;
			return sent;
		}
		d->dump_cursor = next;
		d->dump_entries++;
	}
}

unsigned fxr_dpchan_poll(struct fxr_lcore *lc)
{
	struct fxr_dpchan *d = lc->chan;
	unsigned work = 0;
	bool full = false;

	if (d == NULL)
		return 0;
	if (d->dumping) {
		work += evq_flush(lc, d->dump_mark, &full);
		if (!full && d->head == d->dump_mark)
			work += dump_step(lc, &full);
	}
	work += bytes_sweep(lc);
	if (!full && !d->dumping)
		work += evq_flush(lc, d->tail, &full);

	for (unsigned i = 0; i < FXR_DPCHAN_RX_BURST; i++) {
		struct fxr_chan_msg m;
		enum fxr_chan_bad why;
		int n = fxr_chan_recv(d->ch, d->lane, d->rxbuf, d->rxcap);

		if (n == 0)
			break;
		work++;
		if (n < 0 || fxr_chan_msg_decode(d->rxbuf, (size_t)n, &m, &why) != n
			|| m.lcore != d->lane) {
			FXR_CTR_INC(lc, chan_c2d_bad);
			continue;
		}
		FXR_CTR_INC(lc, chan_c2d_msgs);
		fxr_relay_ctl(lc, &m);
	}
	return work;
}
