/* fxr-controlplane: the control plane's process (DESIGN.md §1, §3, §7).
 *
 * One epoll loop, one thread. It attaches to the dataplane's plane channel (retrying with
 * back-off until the dataplane has created it), asks for a dump and rebuilds its tables from
 * it, then turns dataplane events into session-machine events and the machine's actions into
 * channel messages. It never blocks on the dataplane: a full channel queue parks the message
 * in a bounded per-lane backlog that is retried on every loop turn. Logins (SCRAM, the
 * registry, the throttles) are handled here; the ops API is in cp_ops.c. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

#include "actmsg.h"
#include "cp.h"
#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/code.h"
#include "fxr/connid.h"
#include "fxr/frame.h"
#include "fxr/scram.h"
#include "idmap.h"
#include "registry.h"
#include "session.h"
#include "throttle.h"

#define TICK_MS          100u  /* session deadlines resolution */
#define ATTACH_MIN_MS    100u
#define ATTACH_MAX_MS    2000u
#define RECV_BURST       512u  /* messages per lane per loop turn */
#define BACKLOG_BYTES    (256u << 20)
#define NONE             UINT32_MAX

int cp_log_level = FXR_LOG_INFO;

/* ---- small helpers ---- */

uint64_t cp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cp_log(int level, const char *fmt, ...)
{
	if (level > cp_log_level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ fxr-controlplane %s: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000L, fxr_log_level_name(level), line);
}

void cp_fmt_addr(const struct fxr_chan_addr *a, char *out, size_t cap)
{
	if (a->family == 4)
		snprintf(out, cap, "%u.%u.%u.%u:%u", a->addr[0], a->addr[1], a->addr[2],
			 a->addr[3], a->remote_port);
	else if (a->family == 6)
		snprintf(out, cap,
			 "[%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x]:%u",
			 a->addr[0], a->addr[1], a->addr[2], a->addr[3], a->addr[4], a->addr[5],
			 a->addr[6], a->addr[7], a->addr[8], a->addr[9], a->addr[10], a->addr[11],
			 a->addr[12], a->addr[13], a->addr[14], a->addr[15], a->remote_port);
	else
		snprintf(out, cap, "-");
}

/* ---- the connection side table ---- */

struct cp_conn *cp_conn_get(struct cp *cp, uint64_t id)
{
	uint32_t i = fxr_idmap_u64_get(&cp->conn_by_id, id);
	return i == NONE ? NULL : &cp->conns[i];
}

static struct cp_conn *conn_add(struct cp *cp, uint64_t id, const struct fxr_chan_addr *addr,
				uint64_t since_ms)
{
	if (cp->conn_free == NONE || cp_conn_get(cp, id))
		return NULL;
	uint32_t i = cp->conn_free;
	struct cp_conn *c = &cp->conns[i];
	if (fxr_idmap_u64_put(&cp->conn_by_id, id, i) != 0)
		return NULL;
	cp->conn_free = c->next_free;
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->since_ms = since_ms;
	if (addr)
		c->addr = *addr;
	return c;
}

static void scram_drop(struct cp_conn *c)
{
	if (c->scram) {
		fxr_scram_server_clear(c->scram);
		free(c->scram);
		c->scram = NULL;
	}
}

static void conn_forget(struct cp *cp, uint64_t id)
{
	uint32_t i = fxr_idmap_u64_get(&cp->conn_by_id, id);
	if (i == NONE)
		return;
	struct cp_conn *c = &cp->conns[i];
	scram_drop(c);
	fxr_idmap_u64_del(&cp->conn_by_id, id);
	memset(c, 0, sizeof(*c));
	c->next_free = cp->conn_free;
	cp->conn_free = i;
}

/* ---- sending to the dataplane ---- */

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
static void chan_send(struct cp *cp, const struct fxr_chan_msg *m, bool reserved)
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

static void send_close(struct cp *cp, uint64_t conn, uint16_t code)
{
	struct fxr_chan_msg m = {
		.type = FXR_CHAN_T_CLOSE, .lcore = fxr_connid_lcore(conn), .connid = conn,
		.u.close.code = code,
	};
	chan_send(cp, &m, true);
}

static void send_frame(struct cp *cp, uint64_t conn, const struct fxr_msg *f)
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
	chan_send(cp, &m, false);
}

/* AUTH_FAIL(code, text) then CLOSE; the session machine forgets the connection. */
static void auth_fail(struct cp *cp, uint64_t conn, uint16_t code, const char *text)
{
	struct fxr_msg f = {
		.type = FXR_T_AUTH_FAIL,
		.u.status = { .code = code,
			      .text = { (const uint8_t *)text, (uint16_t)strlen(text) } },
	};
	send_frame(cp, conn, &f);
	send_close(cp, conn, code);
	fxr_sess_conn_closed(&cp->sess, conn);
	conn_forget(cp, conn);
}

/* The session machine's emit callback. */
static void on_action(void *ctx, const struct fxr_sess_act *a)
{
	struct cp *cp = ctx;
	struct fxr_chan_msg m;
	if (fxr_actmsg(a, cp->cfg.keepalive_s, cp->cfg.idle_timeout_s, &m) != 0) {
		cp_log(FXR_LOG_ERROR, "action %u on %#" PRIx64 " has no message", a->kind, a->conn);
		return;
	}
	if (a->kind == FXR_ACT_CLOSE)
		conn_forget(cp, a->conn);
	chan_send(cp, &m, a->kind == FXR_ACT_CLOSE);
}

/* Closes the connections whose messages a full backlog refused. Runs between events, never
 * inside the machine's callback. */
void cp_after_event(struct cp *cp)
{
	for (uint32_t i = 0; i < cp->nkill; i++) {
		uint64_t conn = cp->kill[i];
		if (fxr_sess_conn_closed(&cp->sess, conn) == 0) {
			conn_forget(cp, conn);
			send_close(cp, conn, FXR_CODE_INTERNAL);
		}
	}
	cp->nkill = 0;
}

/* Sends what the backlogs hold, in order, until a queue is full. Returns messages sent. */
static unsigned drain_backlogs(struct cp *cp)
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

/* ---- the registry as the session machine's policy ---- */

static int policy_known(void *ctx, const uint8_t *id, uint8_t len)
{
	struct cp *cp = ctx;
	char s[65];
	struct fxr_device_rec rec;
	if (len == 0 || len > 64)
		return 0;
	memcpy(s, id, len);
	s[len] = 0;
	if (fxr_registry_device_get(cp->reg, s, &rec, NULL, 0) != 0)
		return 0;
	return rec.enabled;
}

/* ---- logins ---- */

static uint8_t addr_key(const struct fxr_chan_addr *a, uint8_t *key)
{
	key[0] = a->family;
	uint8_t n = a->family == 4 ? 4 : 16;
	memcpy(key + 1, a->addr, n);
	return (uint8_t)(n + 1);
}

static void on_auth_start(struct cp *cp, uint64_t conn, const struct fxr_msg *f, uint64_t now)
{
	struct cp_conn *c = cp_conn_get(cp, conn);
	if (!c) {
		cp->ctr.d2c_stale++;
		return;
	}
	cp->ctr.auth_starts++;
	if (fxr_sess_auth_begin(&cp->sess, conn) != 0)
		return; /* not NEW: the machine answered ERROR(PROTOCOL) and closed it */
	uint8_t key[17];
	uint8_t klen = addr_key(&c->addr, key);
	char who[64];
	cp_fmt_addr(&c->addr, who, sizeof(who));
	/* throttle first: a blocked source costs no SCRAM work and no registry lookup */
	if (fxr_throttle_check(&cp->thr_addr, key, klen, now) > 0) {
		cp->ctr.auth_rate_limited++;
		cp_log(FXR_LOG_DEBUG, "login from %s refused: source throttled", who);
		auth_fail(cp, conn, FXR_CODE_RATE_LIMITED, "too many failed logins; try later");
		return;
	}
	c->scram = malloc(sizeof(*c->scram));
	if (!c->scram) {
		cp->ctr.auth_internal++;
		auth_fail(cp, conn, FXR_CODE_INTERNAL, "out of memory");
		return;
	}
	fxr_scram_server_init(c->scram);
	char err[160];
	if (fxr_scram_server_first(c->scram, (const char *)f->u.auth.p, f->u.auth.len, err,
				   sizeof(err)) != 0) {
		cp->ctr.auth_failed++;
		fxr_throttle_fail(&cp->thr_addr, key, klen, now);
		cp_log(FXR_LOG_INFO, "login from %s failed: %s", who, err);
		auth_fail(cp, conn, FXR_CODE_AUTH, "authentication failed");
		return;
	}
	const uint8_t *id = (const uint8_t *)c->scram->id;
	uint8_t id_len = c->scram->id_len;
	if (fxr_throttle_check(&cp->thr_dev, id, id_len, now) > 0) {
		cp->ctr.auth_rate_limited++;
		cp_log(FXR_LOG_DEBUG, "login of %s from %s refused: device throttled",
		       c->scram->id, who);
		auth_fail(cp, conn, FXR_CODE_RATE_LIMITED, "too many failed logins; try later");
		return;
	}
	struct fxr_scram_cred cred;
	bool known = false;
	if (fxr_registry_login_cred(cp->reg, c->scram->id, id_len, &cred, &known, err,
				    sizeof(err)) != 0) {
		cp->ctr.auth_internal++;
		cp_log(FXR_LOG_ERROR, "registry lookup of %s: %s", c->scram->id, err);
		auth_fail(cp, conn, FXR_CODE_INTERNAL, "internal error");
		return;
	}
	char out[FXR_SCRAM_MSG_MAX + 1];
	int n = fxr_scram_server_challenge(c->scram, &cred, known, NULL, 0, out, sizeof(out),
					   err, sizeof(err));
	memset(&cred, 0, sizeof(cred));
	if (n < 0) {
		cp->ctr.auth_internal++;
		cp_log(FXR_LOG_ERROR, "SCRAM challenge for %s: %s", c->scram->id, err);
		auth_fail(cp, conn, FXR_CODE_INTERNAL, "internal error");
		return;
	}
	struct fxr_msg ch = { .type = FXR_T_AUTH_CHALLENGE,
			      .u.auth = { (const uint8_t *)out, (uint16_t)n } };
	send_frame(cp, conn, &ch);
}

static void on_auth_proof(struct cp *cp, uint64_t conn, const struct fxr_msg *f, uint64_t now)
{
	struct cp_conn *c = cp_conn_get(cp, conn);
	if (!c) {
		cp->ctr.d2c_stale++;
		return;
	}
	if (!c->scram || c->scram->state != FXR_SCRAM_ST_CHALLENGED) {
		/* AUTH_PROOF with no challenge out: the machine says ERROR(PROTOCOL) */
		scram_drop(c);
		fxr_sess_malformed(&cp->sess, conn);
		return;
	}
	uint8_t key[17];
	uint8_t klen = addr_key(&c->addr, key);
	char id[65];
	uint8_t id_len = c->scram->id_len;
	memcpy(id, c->scram->id, (size_t)id_len + 1);
	bool known = c->scram->known;
	char out[FXR_SCRAM_MSG_MAX + 1], err[160], who[64];
	int n = fxr_scram_server_final(c->scram, (const char *)f->u.auth.p, f->u.auth.len, out,
				       sizeof(out), err, sizeof(err));
	scram_drop(c);
	cp_fmt_addr(&c->addr, who, sizeof(who));
	if (n < 0) {
		cp->ctr.auth_failed++;
		if (!known)
			cp->ctr.auth_unknown++;
		uint64_t b1 = fxr_throttle_fail(&cp->thr_addr, key, klen, now);
		uint64_t b2 = fxr_throttle_fail(&cp->thr_dev, (const uint8_t *)id, id_len, now);
		cp_log(FXR_LOG_INFO, "login of %s from %s failed: %s%s", id, who,
		       known ? err : "unknown or disabled device",
		       b1 || b2 ? " (throttled)" : "");
		auth_fail(cp, conn, FXR_CODE_AUTH, "authentication failed");
		return;
	}
	cp->ctr.auth_ok++;
	fxr_throttle_success(&cp->thr_addr, key, klen);
	fxr_throttle_success(&cp->thr_dev, (const uint8_t *)id, id_len);
	struct fxr_device_rec rec;
	uint16_t limit = 0;
	if (fxr_registry_device_get(cp->reg, id, &rec, NULL, 0) == 0)
		limit = rec.conn_limit;
	int rc = fxr_sess_login(&cp->sess, conn, (const uint8_t *)id, id_len, limit);
	if (rc == -ENOSPC) {
		cp->ctr.auth_internal++;
		auth_fail(cp, conn, FXR_CODE_INTERNAL, "device table full");
		return;
	}
	if (rc != 0)
		return; /* over the limit: the machine sent AUTH_FAIL(RATE_LIMITED) and CLOSE */
	cp_log(FXR_LOG_DEBUG, "%s logged in from %s on %#" PRIx64, id, who, conn);
	struct fxr_msg ok = {
		.type = FXR_T_AUTH_OK,
		.u.auth_ok = { .keepalive_s = cp->cfg.keepalive_s,
			       .idle_timeout_s = cp->cfg.idle_timeout_s,
			       .server_final = { (const uint8_t *)out, (uint16_t)n } },
	};
	send_frame(cp, conn, &ok);
}

/* ---- dataplane events ---- */

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
		on_auth_start(cp, m->connid, &f, now);
		return;
	case FXR_T_AUTH_PROOF:
		on_auth_proof(cp, m->connid, &f, now);
		return;
	default:
		if (fxr_sess_frame(&cp->sess, m->connid, &f, now) == -ENOENT)
			cp->ctr.d2c_stale++;
		return;
	}
}

static void on_event(struct cp *cp, const struct fxr_chan_msg *m, uint64_t now)
{
	switch (m->type) {
	case FXR_CHAN_T_CONN_NEW: {
		if (!conn_add(cp, m->connid, &m->u.conn_new, now)) {
			cp->ctr.conns_refused++;
			send_close(cp, m->connid, FXR_CODE_INTERNAL);
			return;
		}
		int rc = fxr_sess_conn_new(&cp->sess, m->connid, now);
		if (rc != 0) {
			cp->ctr.conns_refused++;
			conn_forget(cp, m->connid);
			if (rc != -EEXIST)
				send_close(cp, m->connid, FXR_CODE_INTERNAL);
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
		conn_forget(cp, m->connid);
		return;
	case FXR_CHAN_T_END_RELAYED:
		if (fxr_sess_end_relayed(&cp->sess, m->connid) == -ENOENT)
			cp->ctr.d2c_stale++;
		return;
	default:
		cp->ctr.d2c_ignored++;
		return;
	}
}

/* ---- attach, dump, restore ---- */

static void dump_clear(struct cp_dumpbuf *d)
{
	for (uint32_t i = 0; i < d->n; i++)
		free(d->msg[i]);
	d->n = 0;
}

static void tables_reset(struct cp *cp);

static void detach(struct cp *cp)
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

static void try_attach(struct cp *cp, uint64_t now)
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
		cp->attach_backoff_ms = cp->attach_backoff_ms * 2 > ATTACH_MAX_MS
						? ATTACH_MAX_MS : cp->attach_backoff_ms * 2;
		return;
	}
	cp->last_attach_rc = 0;
	cp->attach_backoff_ms = ATTACH_MIN_MS;
	cp->chan = ch;
	cp->lanes = fxr_chan_lanes(ch);
	cp->rxcap = fxr_chan_slot_size(ch, FXR_CHAN_D2C);
	cp->rxbuf = malloc(cp->rxcap);
	cp->backlog = calloc(cp->lanes, sizeof(*cp->backlog));
	cp->dump = calloc(cp->lanes, sizeof(*cp->dump));
	if (!cp->rxbuf || !cp->backlog || !cp->dump) {
		cp_log(FXR_LOG_ERROR, "out of memory attaching the channel");
		detach(cp);
		return;
	}
	for (uint16_t l = 0; l < cp->lanes; l++)
		if (fxr_backlog_init(&cp->backlog[l], cp->cfg.backlog_msgs, BACKLOG_BYTES) != 0) {
			cp_log(FXR_LOG_ERROR, "cannot allocate the backlogs");
			detach(cp);
			return;
		}
	cp->ctr.attaches++;
	cp->phase = CP_RESTORING;
	cp->dump_id = (uint32_t)(now ^ ((uint64_t)getpid() << 16)) | 1u;
	for (uint16_t l = 0; l < cp->lanes; l++) {
		struct fxr_chan_msg m = { .type = FXR_CHAN_T_DUMP_REQUEST, .lcore = (uint8_t)l,
					  .u.dump_req.dump_id = cp->dump_id };
		chan_send(cp, &m, true);
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
		if (!conn_add(cp, m.connid, &m.u.dump.addr, now)) {
			cp->ctr.conns_refused++;
			send_close(cp, m.connid, FXR_CODE_INTERNAL);
			continue;
		}
		int rc = fxr_sess_restore(&cp->sess, &e);
		if (rc == -EEXIST)
			continue;
		if (rc < 0 || fxr_sess_conn_state(&cp->sess, m.connid) < 0)
			conn_forget(cp, m.connid);
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

/* Receives up to RECV_BURST messages a lane. Returns how many. */
static unsigned poll_channel(struct cp *cp)
{
	unsigned got = 0;
	for (uint16_t l = 0; l < cp->lanes && cp->chan; l++) {
		for (unsigned k = 0; k < RECV_BURST; k++) {
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

/* ---- tables ---- */

static int tables_init(struct cp *cp, char *err, size_t errlen)
{
	struct fxr_sess_cfg sc;
	fxr_sess_cfg_defaults(&sc, cp->cfg.max_conns);
	sc.max_devices = cp->cfg.max_devices;
	sc.conn_limit = cp->cfg.conn_limit;
	sc.keepalive_s = cp->cfg.keepalive_s;
	sc.idle_timeout_s = cp->cfg.idle_timeout_s;
	sc.preauth_ms = cp->cfg.preauth_ms;
	sc.answer_ms = cp->cfg.answer_ms;
	sc.seed = cp_now_ms() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
	struct fxr_sess_policy pol = { .known = policy_known, .ctx = cp };
	int rc = fxr_sess_init(&cp->sess, &sc, &pol, on_action, cp);
	if (rc) {
		snprintf(err, errlen, "session tables for %u connections: %s", cp->cfg.max_conns,
			 strerror(-rc));
		return rc;
	}
	cp->conns = calloc(cp->cfg.max_conns, sizeof(*cp->conns));
	if (!cp->conns || fxr_idmap_u64_init(&cp->conn_by_id, cp->cfg.max_conns, sc.seed + 1)) {
		snprintf(err, errlen, "connection table: out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cp->cfg.max_conns; i++)
		cp->conns[i].next_free = i + 1 < cp->cfg.max_conns ? i + 1 : NONE;
	cp->conn_free = 0;
	return 0;
}

static void tables_fini(struct cp *cp)
{
	if (cp->conns) {
		for (uint32_t i = 0; i < cp->cfg.max_conns; i++)
			scram_drop(&cp->conns[i]);
		fxr_idmap_u64_fini(&cp->conn_by_id);
		free(cp->conns);
		cp->conns = NULL;
	}
	fxr_sess_fini(&cp->sess);
}

/* The dataplane died: its connections are gone; start afresh for the next one. */
static void tables_reset(struct cp *cp)
{
	char err[160];
	tables_fini(cp);
	if (tables_init(cp, err, sizeof(err)) != 0) {
		cp_log(FXR_LOG_ERROR, "%s", err);
		cp->stop = true;
	}
}

int cp_kick(struct cp *cp, const char *id, uint16_t code, const char *text)
{
	int rc = fxr_sess_kick(&cp->sess, (const uint8_t *)id, (uint8_t)strlen(id), code, text);
	cp_after_event(cp);
	return rc;
}

/* ---- timer ---- */

static void on_timer(struct cp *cp)
{
	uint64_t expirations;
	if (read(cp->tfd, &expirations, sizeof(expirations)) < 0)
		return;
	uint64_t now = cp_now_ms();
	if (!cp->chan) {
		if (now >= cp->next_attach_ms)
			try_attach(cp, now);
		return;
	}
	if (!fxr_chan_peer_alive(cp->chan)) {
		cp_log(FXR_LOG_WARN, "the dataplane of channel %s is gone: dropping %u connections,"
		       " waiting for a new one", cp->cfg.channel, cp->sess.conn_count);
		detach(cp);
		tables_reset(cp);
		cp->next_attach_ms = now;
		return;
	}
	if (cp->phase == CP_RUNNING) {
		fxr_sess_tick(&cp->sess, now);
		cp_after_event(cp);
	}
	if (now - cp->last_expire_ms >= 1000) {
		cp->last_expire_ms = now;
		fxr_throttle_expire(&cp->thr_addr, now);
		fxr_throttle_expire(&cp->thr_dev, now);
	}
}

/* ---- configuration ---- */

static void cfg_defaults(struct cp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->channel = "fxr";
	c->max_conns = 262144;
	c->max_devices = 131072;
	c->conn_limit = FXR_REG_CONN_LIMIT_DEFAULT;
	c->keepalive_s = 30;
	c->idle_timeout_s = 90;
	c->preauth_ms = 10000;
	c->answer_ms = 30000;
	c->scram_iterations = FXR_SCRAM_ITER_DEFAULT;
	c->throttle_entries = 65536;
	c->throttle_free_failures = 5;
	c->throttle_base_block_ms = 1000;
	c->throttle_max_block_ms = 15 * 60 * 1000;
	c->throttle_forget_ms = 10 * 60 * 1000;
	c->backlog_msgs = 65536;
	c->log_level = FXR_LOG_INFO;
}

/* X(key, field, min, max) for the numeric keys of --config FILE */
#define CP_CFG_NUM_LIST(X)                                                            \
	X(max_conns, 16, 16777216)                                                    \
	X(max_devices, 16, 16777216)                                                  \
	X(conn_limit, 1, 65535)                                                       \
	X(keepalive_s, 1, 65535)                                                      \
	X(idle_timeout_s, 1, 65535)                                                   \
	X(preauth_ms, 100, 3600000)                                                   \
	X(answer_ms, 100, 3600000)                                                    \
	X(scram_iterations, FXR_SCRAM_ITER_MIN, FXR_SCRAM_ITER_MAX)                   \
	X(throttle_entries, 16, 16777216)                                             \
	X(throttle_free_failures, 0, 65535)                                           \
	X(throttle_base_block_ms, 1, 86400000)                                        \
	X(throttle_max_block_ms, 1, 86400000)                                         \
	X(throttle_forget_ms, 1, 86400000)                                            \
	X(backlog_msgs, FXR_BACKLOG_RESERVE + 1, 16777216)

static bool in_range(unsigned long long v, unsigned long long lo, unsigned long long hi)
{
	return v >= lo && v <= hi;
}

static int cfg_load(struct cp_cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	char line[512];
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == 0)
			continue;
		char key[64], val[256];
		if (sscanf(p, "%63[a-z_] = %255s", key, val) != 2) {
			snprintf(err, errlen, "%s:%u: expected key = value", path, lineno);
			rc = -EINVAL;
			break;
		}
		if (strcmp(key, "log_level") == 0) {
			c->log_level = fxr_log_level_parse(val);
			if (c->log_level < 0) {
				snprintf(err, errlen, "%s:%u: log_level: error, warn, info or debug",
					 path, lineno);
				rc = -EINVAL;
			}
			continue;
		}
		if (strcmp(key, "ops_socket") == 0) {
			if (strlen(val) >= sizeof(c->ops_socket)) {
				snprintf(err, errlen, "%s:%u: ops_socket too long", path, lineno);
				rc = -EINVAL;
			} else {
				snprintf(c->ops_socket, sizeof(c->ops_socket), "%s", val);
			}
			continue;
		}
		char *end;
		errno = 0;
		unsigned long long v = strtoull(val, &end, 10);
		bool found = false;
#define CP_CFG_SET(k, lo, hi)                                                          \
	if (strcmp(key, #k) == 0) {                                                    \
		found = true;                                                          \
		if (*end || errno || !in_range(v, (lo), (hi))) {                      \
			snprintf(err, errlen, "%s:%u: " #k " must be %llu..%llu", path,  \
				 lineno, (unsigned long long)(lo), (unsigned long long)(hi)); \
			rc = -EINVAL;                                                  \
		} else {                                                               \
			c->k = (__typeof__(c->k))v;                                    \
		}                                                                      \
	}
		CP_CFG_NUM_LIST(CP_CFG_SET)
#undef CP_CFG_SET
		if (!found) {
			snprintf(err, errlen, "%s:%u: unknown key %s", path, lineno, key);
			rc = -EINVAL;
		}
	}
	fclose(f);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fxr-controlplane --db PATH [--channel NAME] [--ops-socket PATH]\n"
		"                        [--config FILE] [--log-level LEVEL]\n"
		"       fxr-controlplane --list-counters\n"
		"\n"
		"  --channel NAME      plane channel the dataplane created (default fxr)\n"
		"  --db PATH           device registry, SQLite (created if missing)\n"
		"  --ops-socket PATH   ops API unix socket (default /run/fxr-<channel>.sock)\n"
		"  --config FILE       key = value settings (docs/operations.md)\n"
		"  --log-level LEVEL   error, warn, info (default) or debug\n"
		"  --list-counters     print every counter name and meaning, then exit\n");
}

static void list_counters(void)
{
#define P(sec, name, help) printf("%s.%s\t%s\n", sec, #name, help);
#define P_CP(name, help) P("controlplane", name, help)
	FXR_CP_COUNTER_LIST(P_CP)
#define P_SESS(name, help) P("session", name, help)
	FXR_SESS_COUNTER_LIST(P_SESS)
#define P_THR(name, help) P("throttle", name, help)
	FXR_THROTTLE_COUNTER_LIST(P_THR)
#undef P_CP
#undef P_SESS
#undef P_THR
#undef P
	printf("channel.sent\tmessages enqueued on the lane in that direction\n"
	       "channel.received\tmessages dequeued (one a dead control plane lost included)\n"
	       "channel.full\tsends refused because the queue was full\n"
	       "channel.reclaimed\tslots recovered from dead control-plane processes\n"
	       "channel.skipped\tempty descriptors skipped by the consumer\n"
	       "channel.bad\tcorrupt descriptors dropped by the consumer\n"
	       "channel.in_flight\tmessages enqueued and not yet dequeued (snapshot)\n");
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	static struct cp cp_; /* zeroed */
	struct cp *cp = &cp_;
	const char *config = NULL;
	const char *ops_socket = NULL;
	const char *level = NULL;
	char err[512];

	cfg_defaults(&cp->cfg);
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "ops-socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "list-counters", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': cp->cfg.channel = optarg; break;
		case 'd': cp->cfg.db = optarg; break;
		case 's': ops_socket = optarg; break;
		case 'f': config = optarg; break;
		case 'l': level = optarg; break;
		case 'L': list_counters(); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fxr-controlplane: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	if (config && cfg_load(&cp->cfg, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "fxr-controlplane: %s\n", err);
		return 2;
	}
	if (level && (cp->cfg.log_level = fxr_log_level_parse(level)) < 0) {
		fprintf(stderr, "fxr-controlplane: --log-level: error, warn, info or debug\n");
		return 2;
	}
	cp_log_level = cp->cfg.log_level;
	if (!cp->cfg.db) {
		fprintf(stderr, "fxr-controlplane: --db PATH is required (see --help)\n");
		return 2;
	}
	if (ops_socket) {
		if (strlen(ops_socket) >= sizeof(cp->cfg.ops_socket)) {
			fprintf(stderr, "fxr-controlplane: --ops-socket: path too long\n");
			return 2;
		}
		snprintf(cp->cfg.ops_socket, sizeof(cp->cfg.ops_socket), "%s", ops_socket);
	} else if (!cp->cfg.ops_socket[0]) {
		snprintf(cp->cfg.ops_socket, sizeof(cp->cfg.ops_socket), "/run/fxr-%s.sock",
			 cp->cfg.channel);
	}

	int rc = fxr_registry_open(&cp->reg, cp->cfg.db, err, sizeof(err));
	if (rc == 0)
		rc = fxr_registry_set_iterations(cp->reg, cp->cfg.scram_iterations, err,
						 sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fxr-controlplane: registry %s: %s\n", cp->cfg.db, err);
		fxr_registry_close(cp->reg);
		return 1;
	}
	struct fxr_throttle_cfg tc;
	fxr_throttle_cfg_defaults(&tc, cp->cfg.throttle_entries);
	tc.free_failures = cp->cfg.throttle_free_failures;
	tc.base_block_ms = cp->cfg.throttle_base_block_ms;
	tc.max_block_ms = cp->cfg.throttle_max_block_ms;
	tc.forget_ms = cp->cfg.throttle_forget_ms;
	uint64_t seed = cp_now_ms() ^ ((uint64_t)getpid() << 32);
	cp->txbuf = malloc(FXR_CHAN_MSG_C2D_MAX);
	if (!cp->txbuf || tables_init(cp, err, sizeof(err)) != 0 ||
	    fxr_throttle_init(&cp->thr_addr, &tc, seed) != 0 ||
	    fxr_throttle_init(&cp->thr_dev, &tc, seed * 31 + 7) != 0) {
		fprintf(stderr, "fxr-controlplane: %s\n", err[0] ? err : "throttle tables");
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	cp->epfd = epoll_create1(EPOLL_CLOEXEC);
	cp->sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	cp->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, 1000000L } };
	if (cp->epfd < 0 || cp->sfd < 0 || cp->tfd < 0 ||
	    timerfd_settime(cp->tfd, 0, &its, NULL) != 0) {
		fprintf(stderr, "fxr-controlplane: epoll/signalfd/timerfd: %s\n", strerror(errno));
		return 1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cp->tfd };
	epoll_ctl(cp->epfd, EPOLL_CTL_ADD, cp->tfd, &ev);
	ev.data.ptr = &cp->sfd;
	epoll_ctl(cp->epfd, EPOLL_CTL_ADD, cp->sfd, &ev);
	if (cp_ops_listen(cp, err, sizeof(err)) != 0) {
		fprintf(stderr, "fxr-controlplane: ops socket %s: %s\n", cp->cfg.ops_socket, err);
		return 1;
	}
	cp->start_ms = cp_now_ms();
	cp->attach_backoff_ms = ATTACH_MIN_MS;
	cp->next_attach_ms = 0;
	cp_log(FXR_LOG_INFO, "started: channel %s, db %s, ops socket %s, pid %d",
	       cp->cfg.channel, cp->cfg.db, cp->cfg.ops_socket, (int)getpid());

	unsigned idle_turns = 0;
	while (!cp->stop) {
		unsigned work = 0;
		if (cp->chan) {
			work += drain_backlogs(cp);
			work += poll_channel(cp);
		}
		idle_turns = work ? 0 : idle_turns + 1;
		/* back off when idle: poll the rings each 1 ms for a while, then each 10 ms */
		int timeout = work ? 0 : idle_turns < 200 ? 1 : 10;
		struct epoll_event evs[32];
		int n = epoll_wait(cp->epfd, evs, 32, timeout);
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;
			if (tag == &cp->tfd) {
				on_timer(cp);
			} else if (tag == &cp->sfd) {
				struct signalfd_siginfo si;
				if (read(cp->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					cp_log(FXR_LOG_INFO, "signal %u: stopping", si.ssi_signo);
					cp->stop = true;
				}
			} else {
				cp_ops_event(cp, tag, evs[i].events);
			}
		}
	}
	cp_ops_close_all(cp);
	if (cp->chan)
		detach(cp);
	tables_fini(cp);
	fxr_throttle_fini(&cp->thr_addr);
	fxr_throttle_fini(&cp->thr_dev);
	fxr_registry_close(cp->reg);
	free(cp->kill);
	free(cp->txbuf);
	close(cp->tfd);
	close(cp->sfd);
	close(cp->epfd);
	cp_log(FXR_LOG_INFO, "stopped");
	return 0;
}
