/* fxr-controlplane: the dataplane side of the plane channel. Attach (with back-off until
 * the dataplane has created the channel), the dump a restarted control plane rebuilds its
 * tables from, and the events that drive the session machine afterwards. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actmsg.h"
#include "cp.h"
#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/code.h"
#include "fxr/frame.h"
#include "session.h"

static void on_frame(struct cp *cp, const struct fxr_chan_msg *m, uint64_t now)
{
	struct fxr_msg f;
	enum fxr_malformed why = FXR_MALFORMED_NONE;
	int n = fxr_frame_decode(m->u.frame.p, m->u.frame.len, &f, &why);
	if (n <= 0) {
		cp_log(FXR_LOG_DEBUG, "malformed frame on %#" PRIx64 ": %s", m->connid,
		       fxr_malformed_text(why));
		if (fxr_sess_malformed(&cp->sess, m->connid) == -ENOENT)
			cp->ctr.d2c_stale++;
		return;
	}
	switch (f.type) {
	case FXR_T_AUTH_START:
		cp_on_auth_start(cp, m->connid, &f, now);
		return;
	case FXR_T_AUTH_PROOF:
		cp_on_auth_proof(cp, m->connid, &f, now);
		return;
	default:
		if (fxr_sess_frame(&cp->sess, m->connid, &f, now) == -ENOENT)
			cp->ctr.d2c_stale++;
		return;
	}
}

/* Byte totals of connections that moved data. Totals only grow: a report older than the
 * dump's (it may arrive after it) changes nothing. An entry for a connection that closed
 * meanwhile is ignored. */
static void on_bytes(struct cp *cp, const struct fxr_chan_msg *m)
{
	for (uint16_t i = 0; i < m->u.bytes.n; i++) {
		struct fxr_chan_bytes_entry e = fxr_chan_bytes_get(m, i);
		struct cp_conn *c = cp_conn_get(cp, e.connid);
		if (!c)
			continue;
		if (e.t.in > c->bytes.in)
			c->bytes.in = e.t.in;
		if (e.t.out > c->bytes.out)
			c->bytes.out = e.t.out;
	}
}

static void on_event(struct cp *cp, const struct fxr_chan_msg *m, uint64_t now)
{
	switch (m->type) {
	case FXR_CHAN_T_CONN_NEW: {
		if (!cp_conn_add(cp, m->connid, &m->u.conn_new, now)) {
			cp->ctr.conns_refused++;
			cp_send_close(cp, m->connid, FXR_CODE_INTERNAL);
			return;
		}
		int rc = fxr_sess_conn_new(&cp->sess, m->connid, now);
		if (rc != 0) {
			cp->ctr.conns_refused++;
			cp_conn_forget(cp, m->connid);
			if (rc != -EEXIST)
				cp_send_close(cp, m->connid, FXR_CODE_INTERNAL);
		}
		return;
	}
	case FXR_CHAN_T_FRAME:
		on_frame(cp, m, now);
		return;
	case FXR_CHAN_T_CONN_CLOSED:
	case FXR_CHAN_T_KEEPALIVE_EXPIRED:
		if (fxr_sess_conn_closed(&cp->sess, m->connid) == -ENOENT)
			cp->ctr.d2c_stale++;
		cp_conn_forget(cp, m->connid);
		return;
	case FXR_CHAN_T_END_RELAYED:
		if (fxr_sess_end_relayed(&cp->sess, m->connid) == -ENOENT)
			cp->ctr.d2c_stale++;
		return;
	case FXR_CHAN_T_BYTES:
		on_bytes(cp, m);
		return;
	default:
		cp->ctr.d2c_ignored++;
		return;
	}
}
static void dump_clear(struct cp_dumpbuf *d)
{
	for (uint32_t i = 0; i < d->n; i++)
		free(d->msg[i]);
	d->n = 0;
}

void cp_tables_reset(struct cp *cp);

void cp_detach(struct cp *cp)
{
	for (uint16_t l = 0; l < cp->lanes; l++) {
		fxr_backlog_fini(&cp->backlog[l]);
		dump_clear(&cp->dump[l]);
		free(cp->dump[l].msg);
	}
	free(cp->backlog);
	free(cp->dump);
	cp->backlog = NULL;
	cp->dump = NULL;
	free(cp->rxbuf);
	cp->rxbuf = NULL;
	fxr_chan_close(cp->chan);
	cp->chan = NULL;
	cp->lanes = 0;
	cp->phase = CP_DETACHED;
}

void cp_try_attach(struct cp *cp, uint64_t now)
{
	char err[256];
	struct fxr_chan *ch;
	int rc = fxr_chan_attach(cp->cfg.channel, &ch, err, sizeof(err));
	if (rc != 0) {
		/* the first failure of a kind is worth a line; repeats are debug */
		cp_log(rc == cp->last_attach_rc ? FXR_LOG_DEBUG
		       : (rc == -ENOENT || rc == -EAGAIN) ? FXR_LOG_INFO : FXR_LOG_ERROR,
		       "channel %s: %s; retrying", cp->cfg.channel, err);
		cp->last_attach_rc = rc;
		cp->next_attach_ms = now + cp->attach_backoff_ms;
		cp->attach_backoff_ms = cp->attach_backoff_ms * 2 > CP_ATTACH_MAX_MS
						? CP_ATTACH_MAX_MS : cp->attach_backoff_ms * 2;
		return;
	}
	cp->last_attach_rc = 0;
	cp->attach_backoff_ms = CP_ATTACH_MIN_MS;
	cp->chan = ch;
	cp->lanes = fxr_chan_lanes(ch);
	cp->rxcap = fxr_chan_slot_size(ch, FXR_CHAN_D2C);
	cp->rxbuf = malloc(cp->rxcap);
	cp->backlog = calloc(cp->lanes, sizeof(*cp->backlog));
	cp->dump = calloc(cp->lanes, sizeof(*cp->dump));
	if (!cp->rxbuf || !cp->backlog || !cp->dump) {
		cp_log(FXR_LOG_ERROR, "out of memory attaching the channel");
		cp_detach(cp);
		return;
	}
	for (uint16_t l = 0; l < cp->lanes; l++)
		if (fxr_backlog_init(&cp->backlog[l], cp->cfg.backlog_msgs, CP_BACKLOG_BYTES) != 0) {
			cp_log(FXR_LOG_ERROR, "cannot allocate the backlogs");
			cp_detach(cp);
			return;
		}
	cp->ctr.attaches++;
	cp->phase = CP_RESTORING;
	cp->dump_id = (uint32_t)(now ^ ((uint64_t)getpid() << 16)) | 1u;
	for (uint16_t l = 0; l < cp->lanes; l++) {
		struct fxr_chan_msg m = { .type = FXR_CHAN_T_DUMP_REQUEST, .lcore = (uint8_t)l,
					  .u.dump_req.dump_id = cp->dump_id };
		cp_chan_send(cp, &m, true);
	}
	cp_log(FXR_LOG_INFO, "attached to channel %s (%u lanes); dump %u requested",
	       cp->cfg.channel, cp->lanes, cp->dump_id);
}

static void restore_lane(struct cp *cp, uint16_t lane, uint64_t now)
{
	struct cp_dumpbuf *d = &cp->dump[lane];
	for (uint32_t i = 0; i < d->n; i++) {
		struct fxr_chan_msg m;
		uint32_t len = 16u + fxr_get_le32(d->msg[i] + 4);
		if (fxr_chan_msg_decode(d->msg[i], len, &m, NULL) < 0)
			continue;
		struct fxr_sess_dump_entry e;
		fxr_actmsg_dump_entry(&m, &e);
		struct cp_conn *c = cp_conn_add(cp, m.connid, &m.u.dump.addr, now);
		if (!c) {
			cp->ctr.conns_refused++;
			cp_send_close(cp, m.connid, FXR_CODE_INTERNAL);
			continue;
		}
		c->bytes = m.u.dump.totals;
		int rc = fxr_sess_restore(&cp->sess, &e);
		if (rc == -EEXIST)
			continue;
		if (rc < 0 || fxr_sess_conn_state(&cp->sess, m.connid) < 0)
			cp_conn_forget(cp, m.connid);
		cp->ctr.dump_entries++;
	}
	dump_clear(d);
	d->done = true;
}

static void on_dump_msg(struct cp *cp, uint16_t lane, const uint8_t *raw, uint32_t len,
			const struct fxr_chan_msg *m, uint64_t now)
{
	struct cp_dumpbuf *d = &cp->dump[lane];
	if (m->type == FXR_CHAN_T_DUMP_ENTRY) {
		if (d->n == d->cap) {
			uint32_t cap = d->cap ? 2 * d->cap : 1024;
			uint8_t **p = realloc(d->msg, cap * sizeof(*p));
			if (!p) {
				cp_log(FXR_LOG_ERROR, "out of memory buffering the dump");
				return;
			}
			d->msg = p;
			d->cap = cap;
		}
		uint8_t *copy = malloc(len);
		if (!copy)
			return;
		memcpy(copy, raw, len);
		d->msg[d->n++] = copy;
		return;
	}
	if (m->type == FXR_CHAN_T_DUMP_END) {
		if (m->u.dump_end.dump_id != cp->dump_id) {
			/* the answer to a dead predecessor's request: its entries are stale */
			cp->ctr.dumps_foreign++;
			dump_clear(d);
			return;
		}
		restore_lane(cp, lane, now);
		cp_after_event(cp);
		for (uint16_t l = 0; l < cp->lanes; l++)
			if (!cp->dump[l].done)
				return;
		fxr_sess_restore_done(&cp->sess);
		cp_after_event(cp);
		cp->ctr.dumps++;
		cp->phase = CP_RUNNING;
		cp_log(FXR_LOG_INFO, "dump %u applied: %u connections, %u devices logged in",
		       cp->dump_id, cp->sess.conn_count, cp->sess.dev_count);
		return;
	}
	cp->ctr.d2c_pre_dump++;
}

/* Receives up to CP_RECV_BURST messages a lane. Returns how many. */
unsigned cp_poll_channel(struct cp *cp)
{
	unsigned got = 0;
	for (uint16_t l = 0; l < cp->lanes && cp->chan; l++) {
		for (unsigned k = 0; k < CP_RECV_BURST; k++) {
			if (cp->phase == CP_RESTORING && cp->dump[l].done)
				break; /* this lane's new events wait for the other lanes' dumps */
			int n = fxr_chan_recv(cp->chan, l, cp->rxbuf, cp->rxcap);
			if (n == 0)
				break;
			got++;
			cp->ctr.d2c_received++;
			if (n < 0) {
				cp->ctr.d2c_bad++;
				continue;
			}
			struct fxr_chan_msg m;
			enum fxr_chan_bad why;
			if (fxr_chan_msg_decode(cp->rxbuf, (size_t)n, &m, &why) < 0 ||
			    m.lcore != l) {
				cp->ctr.d2c_bad++;
				cp_log(FXR_LOG_WARN, "lane %u: bad message (type %s): %s", l,
				       fxr_chan_type_name(cp->rxbuf[0]), fxr_chan_bad_text(why));
				continue;
			}
			uint64_t now = cp_now_ms();
			if (cp->phase == CP_RESTORING)
				on_dump_msg(cp, l, cp->rxbuf, (uint32_t)n, &m, now);
			else
				on_event(cp, &m, now);
			cp_after_event(cp);
		}
	}
	return got;
}
