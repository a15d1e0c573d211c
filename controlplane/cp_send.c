/* fxr-controlplane: messages to the dataplane. A full channel queue parks a message in the
 * lane's bounded backlog (a lane's order never changes); a full backlog closes the
 * connection through the CLOSE reserve, counted; nothing is dropped silently. Also the
 * session machine's emit callback, which turns its actions into channel messages. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "actmsg.h"
#include "cp.h"
#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/code.h"
#include "fxr/connid.h"
#include "fxr/frame.h"
#include "session.h"

static void kill_later(struct cp *cp, uint64_t conn)
{
	if (cp->nkill == cp->kill_cap) {
		uint32_t cap = cp->kill_cap ? 2 * cp->kill_cap : 64;
		uint64_t *k = realloc(cp->kill, cap * sizeof(*k));
		if (!k) {
			cp_log(FXR_LOG_ERROR, "out of memory for the kill list: %#" PRIx64
			       " stays open", conn);
			return;
		}
		cp->kill = k;
		cp->kill_cap = cap;
	}
	cp->kill[cp->nkill++] = conn;
}

/* Sends m on its lane, through the lane's backlog when the queue is full or the backlog is
 * not empty (so a lane's order never changes). reserved: a CLOSE that may use the reserve. */
void cp_chan_send(struct cp *cp, const struct fxr_chan_msg *m, bool reserved)
{
	if (!cp->chan || m->lcore >= cp->lanes) {
		cp_log(FXR_LOG_WARN, "no lane %u for %s %#" PRIx64 ": not sent", m->lcore,
		       fxr_chan_type_name(m->type), m->connid);
		cp->ctr.c2d_lost++;
		return;
	}
	int len = fxr_chan_msg_encode(m, cp->txbuf, FXR_CHAN_MSG_C2D_MAX);
	if (len < 0) {
		cp_log(FXR_LOG_ERROR, "cannot encode %s for %#" PRIx64 ": %s",
		       fxr_chan_type_name(m->type), m->connid, strerror(-len));
		cp->ctr.c2d_lost++;
		return;
	}
	struct fxr_backlog *b = &cp->backlog[m->lcore];
	if (fxr_backlog_count(b) == 0) {
		int rc = fxr_chan_send(cp->chan, m->lcore, cp->txbuf, (size_t)len);
		if (rc == 0) {
			cp->ctr.c2d_sent++;
			return;
		}
		if (rc != -ENOBUFS) {
			cp_log(FXR_LOG_ERROR, "channel send of %s: %s", fxr_chan_type_name(m->type),
			       strerror(-rc));
			cp->ctr.c2d_lost++;
			return;
		}
		cp->ctr.c2d_full++;
	}
	int rc = reserved ? fxr_backlog_push_reserved(b, cp->txbuf, (uint32_t)len)
			  : fxr_backlog_push(b, cp->txbuf, (uint32_t)len);
	if (rc == 0) {
		cp->ctr.c2d_backlogged++;
		return;
	}
	if (reserved) {
		cp->ctr.c2d_lost++;
		cp_log(FXR_LOG_ERROR, "lane %u backlog reserve full: CLOSE of %#" PRIx64 " lost",
		       m->lcore, m->connid);
		return;
	}
	cp->ctr.c2d_overflow++;
	cp_log(FXR_LOG_WARN, "lane %u backlog full: %s refused, closing %#" PRIx64, m->lcore,
	       fxr_chan_type_name(m->type), m->connid);
	kill_later(cp, m->connid);
}

void cp_send_close(struct cp *cp, uint64_t conn, uint16_t code)
{
	struct fxr_chan_msg m = {
		.type = FXR_CHAN_T_CLOSE, .lcore = fxr_connid_lcore(conn), .connid = conn,
		.u.close.code = code,
	};
	cp_chan_send(cp, &m, true);
}

void cp_send_frame(struct cp *cp, uint64_t conn, const struct fxr_msg *f)
{
	uint8_t buf[4 + 4 + FXR_SCRAM_MAX];
	int n = fxr_frame_encode(f, buf, sizeof(buf));
	if (n < 0) {
		cp_log(FXR_LOG_ERROR, "cannot encode %s: %s", fxr_frame_type_name(f->type),
		       strerror(-n));
		return;
	}
	struct fxr_chan_msg m = {
		.type = FXR_CHAN_T_SEND_FRAME, .lcore = fxr_connid_lcore(conn), .connid = conn,
		.u.frame = { .p = buf, .len = (uint32_t)n },
	};
	cp_chan_send(cp, &m, false);
}

/* AUTH_FAIL(code, text) then CLOSE; the session machine forgets the connection. */
void cp_auth_fail(struct cp *cp, uint64_t conn, uint16_t code, const char *text)
{
	struct fxr_msg f = {
		.type = FXR_T_AUTH_FAIL,
		.u.status = { .code = code,
			      .text = { (const uint8_t *)text, (uint16_t)strlen(text) } },
	};
	cp_send_frame(cp, conn, &f);
	cp_send_close(cp, conn, code);
	fxr_sess_conn_closed(&cp->sess, conn);
	cp_conn_forget(cp, conn);
}

/* The session machine's emit callback. */
void cp_on_action(void *ctx, const struct fxr_sess_act *a)
{
	struct cp *cp = ctx;
	struct fxr_chan_msg m;
	if (fxr_actmsg(a, cp->cfg.keepalive_s, cp->cfg.idle_timeout_s, &m) != 0) {
		cp_log(FXR_LOG_ERROR, "action %u on %#" PRIx64 " has no message", a->kind, a->conn);
		return;
	}
	if (a->kind == FXR_ACT_CLOSE)
		cp_conn_forget(cp, a->conn);
	cp_chan_send(cp, &m, a->kind == FXR_ACT_CLOSE);
}

/* Closes the connections whose messages a full backlog refused. Runs between events, never
 * inside the machine's callback. */
void cp_after_event(struct cp *cp)
{
	for (uint32_t i = 0; i < cp->nkill; i++) {
		uint64_t conn = cp->kill[i];
		if (fxr_sess_conn_closed(&cp->sess, conn) == 0) {
			cp_conn_forget(cp, conn);
			cp_send_close(cp, conn, FXR_CODE_INTERNAL);
		}
	}
	cp->nkill = 0;
}

/* Sends what the backlogs hold, in order, until a queue is full. Returns messages sent. */
unsigned cp_drain_backlogs(struct cp *cp)
{
	unsigned sent = 0;
	for (uint16_t l = 0; l < cp->lanes; l++) {
		struct fxr_backlog *b = &cp->backlog[l];
		const uint8_t *p;
		uint32_t len;
		while ((p = fxr_backlog_peek(b, &len)) != NULL) {
			int rc = fxr_chan_send(cp->chan, l, p, len);
			if (rc == -ENOBUFS)
				break;
			if (rc == 0) {
				cp->ctr.c2d_sent++;
				sent++;
			} else {
				cp->ctr.c2d_lost++;
				cp_log(FXR_LOG_ERROR, "channel send from backlog: %s", strerror(-rc));
			}
			fxr_backlog_pop(b);
		}
	}
	return sent;
}
