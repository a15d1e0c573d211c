/* The relay's per-connection state machine (DESIGN.md §2); see session.h for the contract.
 *
 * Tables: connection records in a fixed array with a free list, found by dataplane
 * connection id through a hash map; logged-in devices likewise, found by identifier. A
 * device's connections form a ring ordered by when they last became IDLE, so a call takes
 * the connection idle longest (of those on the caller's dataplane lcore, if any) and spare
 * connections rotate. The two deadlines (pre-auth and
 * call answer) are constants, so each is a FIFO queue: O(1) to arm, disarm and expire. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fxr/code.h"
#include "fxr/connid.h"
#include "fxr/compiler.h"
#include "fxr/frame.h"
#include "idmap.h"
#include "session.h"

#define NONE FXR_IDMAP_NONE
#define SMALL_FRAME_MAX 512 /* every frame but LIST_RESULT: ERROR/BYE text is ours */

static const char *const state_names[FXR_CONN_STATE_COUNT] = {
#define FXR_CONN_STATE_NAME(name, text) [FXR_CONN_##name] = #name,
	FXR_CONN_STATE_LIST(FXR_CONN_STATE_NAME)
#undef FXR_CONN_STATE_NAME
};

const char *fxr_conn_state_name(unsigned state)
{
	return state < FXR_CONN_STATE_COUNT ? state_names[state] : "UNKNOWN";
}

void fxr_sess_cfg_defaults(struct fxr_sess_cfg *cfg, uint32_t max_conns)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = max_conns;
	cfg->max_devices = max_conns;
	cfg->conn_limit = 8;
	cfg->keepalive_s = 30;
	cfg->idle_timeout_s = 90;
	cfg->preauth_ms = 10000;
	cfg->answer_ms = 30000;
	cfg->seed = 0x6678722f31ULL;
}

/* ---- tables ---- */

static const uint8_t *dev_key(const void *ctx, uint32_t di, uint8_t *len)
{
	const struct fxr_sess *s = ctx;
	*len = s->devs[di].id_len;
	return s->devs[di].id;
}

int fxr_sess_init(struct fxr_sess *s, const struct fxr_sess_cfg *cfg,
		  const struct fxr_sess_policy *pol,
		  void (*emit)(void *ctx, const struct fxr_sess_act *a), void *emit_ctx)
{
	if (!cfg || !pol || !pol->known || !emit || cfg->max_conns == 0 ||
	    cfg->max_devices == 0 || cfg->max_conns >= NONE || cfg->max_devices >= NONE ||
	    cfg->conn_limit == 0)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->pol = *pol;
	s->emit = emit;
	s->emit_ctx = emit_ctx;
	s->conns = calloc(cfg->max_conns, sizeof(*s->conns));
	s->devs = calloc(cfg->max_devices, sizeof(*s->devs));
	s->scratch = malloc(FXR_FRAME_MAX_LEN);
	s->live = malloc(sizeof(*s->live) * cfg->max_devices);
	if (!s->conns || !s->devs || !s->scratch || !s->live)
		goto nomem;
	if (fxr_idmap_u64_init(&s->by_connid, cfg->max_conns, cfg->seed) < 0)
		goto nomem;
	if (fxr_idmap_str_init(&s->by_devid, cfg->max_devices, cfg->seed ^ 0x5a5a, dev_key,
			       s) < 0) {
		fxr_idmap_u64_fini(&s->by_connid);
		goto nomem;
	}
	for (uint32_t i = 0; i < cfg->max_conns; i++)
		s->conns[i].q_next = i + 1 < cfg->max_conns ? i + 1 : NONE;
	for (uint32_t i = 0; i < cfg->max_devices; i++)
		s->devs[i].next_free = i + 1 < cfg->max_devices ? i + 1 : NONE;
	s->conn_free = 0;
	s->dev_free = 0;
	for (unsigned q = 0; q < FXR_SESS_Q_COUNT; q++)
		s->q[q].head = s->q[q].tail = NONE;
	s->next_call_id = 1;
	return 0;
nomem:
	free(s->conns);
	free(s->devs);
	free(s->scratch);
	free(s->live);
	return -ENOMEM;
}

void fxr_sess_fini(struct fxr_sess *s)
{
	fxr_idmap_u64_fini(&s->by_connid);
	fxr_idmap_str_fini(&s->by_devid);
	free(s->conns);
	free(s->devs);
	free(s->scratch);
	free(s->live);
	memset(s, 0, sizeof(*s));
}

static struct fxr_sess_conn *C(struct fxr_sess *s, uint32_t ci)
{
	return &s->conns[ci];
}

static uint32_t conn_find(const struct fxr_sess *s, uint64_t conn)
{
	return fxr_idmap_u64_get(&s->by_connid, conn);
}

/* ---- deadline queues ---- */

static void q_remove(struct fxr_sess *s, uint32_t ci)
{
	struct fxr_sess_conn *c = C(s, ci);
	if (c->queue == FXR_SESS_Q_NONE)
		return;
	struct fxr_sess_queue *q = &s->q[c->queue];
	if (c->q_prev != NONE)
		C(s, c->q_prev)->q_next = c->q_next;
	else
		q->head = c->q_next;
	if (c->q_next != NONE)
		C(s, c->q_next)->q_prev = c->q_prev;
	else
		q->tail = c->q_prev;
	c->queue = FXR_SESS_Q_NONE;
	c->q_next = c->q_prev = NONE;
}

/* Appends: deadlines in one queue share one duration and now never goes back, so the
 * queue stays sorted. */
static void q_push(struct fxr_sess *s, uint8_t qi, uint32_t ci, uint64_t deadline)
{
	struct fxr_sess_conn *c = C(s, ci);
	struct fxr_sess_queue *q = &s->q[qi];
	q_remove(s, ci);
	c->deadline_ms = deadline;
	c->queue = qi;
	c->q_next = NONE;
	c->q_prev = q->tail;
	if (q->tail != NONE)
		C(s, q->tail)->q_next = ci;
	else
		q->head = ci;
	q->tail = ci;
}

/* ---- devices and their connection rings ---- */

static void ring_unlink(struct fxr_sess *s, uint32_t ci)
{
	struct fxr_sess_conn *c = C(s, ci);
	struct fxr_sess_dev *d = &s->devs[c->dev];
	if (c->dev_next == ci) {
		d->first = NONE;
	} else {
		C(s, c->dev_prev)->dev_next = c->dev_next;
		C(s, c->dev_next)->dev_prev = c->dev_prev;
		if (d->first == ci)
			d->first = c->dev_next;
	}
	c->dev_next = c->dev_prev = ci;
}

/* Puts ci last in its device's ring: the connection idle the shortest. */
static void ring_append(struct fxr_sess *s, uint32_t ci)
{
	struct fxr_sess_conn *c = C(s, ci);
	struct fxr_sess_dev *d = &s->devs[c->dev];
	if (d->first == NONE) {
		d->first = ci;
		c->dev_next = c->dev_prev = ci;
		return;
	}
	uint32_t last = C(s, d->first)->dev_prev;
	c->dev_prev = last;
	c->dev_next = d->first;
	C(s, last)->dev_next = ci;
	C(s, d->first)->dev_prev = ci;
}

static uint32_t dev_find(const struct fxr_sess *s, const uint8_t *id, uint8_t len)
{
	return fxr_idmap_str_get(&s->by_devid, id, len);
}

static uint32_t dev_get_or_add(struct fxr_sess *s, const uint8_t *id, uint8_t len,
			       uint16_t limit)
{
	uint32_t di = dev_find(s, id, len);
	if (di != NONE)
		return di;
	if (s->dev_free == NONE)
		return NONE;
	di = s->dev_free;
	struct fxr_sess_dev *d = &s->devs[di];
	s->dev_free = d->next_free;
	memset(d, 0, sizeof(*d));
	memcpy(d->id, id, len);
	d->id_len = len;
	d->limit = limit;
	d->first = NONE;
	FXR_BUG_ON(fxr_idmap_str_put(&s->by_devid, di) != 0);
	d->live_pos = s->dev_count;
	s->live[s->dev_count++] = di;
	return di;
}

static void dev_put(struct fxr_sess *s, uint32_t di)
{
	struct fxr_sess_dev *d = &s->devs[di];
	if (d->conns)
		return;
	FXR_BUG_ON(fxr_idmap_str_del(&s->by_devid, d->id, d->id_len) != 0);
	/* the last of the live list takes this one's place */
	uint32_t last = s->live[--s->dev_count];
	s->live[d->live_pos] = last;
	s->devs[last].live_pos = d->live_pos;
	d->id_len = 0;
	d->next_free = s->dev_free;
	s->dev_free = di;
}

static void set_state(struct fxr_sess *s, uint32_t ci, uint8_t st)
{
	struct fxr_sess_conn *c = C(s, ci);
	if (c->dev != NONE) {
		struct fxr_sess_dev *d = &s->devs[c->dev];
		d->idle = (uint16_t)(d->idle - (c->state == FXR_CONN_IDLE) + (st == FXR_CONN_IDLE));
		if (st == FXR_CONN_IDLE && c->state != FXR_CONN_IDLE) {
			/* back to vacant: last in line for the next call */
			ring_unlink(s, ci);
			ring_append(s, ci);
		}
	}
	c->state = st;
	if (c->dev != NONE) {
		struct fxr_sess_act a = {
			.kind = FXR_ACT_NOTE, .conn = c->id,
			.note = { .state = st, .flags = c->flags & FXR_SESS_F_CALLER,
				  .call_id = c->call_id, .req_id = c->req_id },
		};
		s->emit(s->emit_ctx, &a);
	}
}

/* ---- output ---- */

static void emit_simple(struct fxr_sess *s, uint8_t kind, uint32_t ci, uint32_t peer)
{
	struct fxr_sess_act a = { .kind = kind, .conn = C(s, ci)->id };
	if (peer != NONE)
		a.peer = C(s, peer)->id;
	s->emit(s->emit_ctx, &a);
}

static void send_msg(struct fxr_sess *s, uint32_t ci, const struct fxr_msg *m)
{
	uint8_t buf[SMALL_FRAME_MAX];
	int n = fxr_frame_encode(m, buf, sizeof(buf));
	FXR_BUG_ON(n <= 0); /* every frame built here is valid and small */
	struct fxr_sess_act a = {
		.kind = FXR_ACT_SEND, .conn = C(s, ci)->id, .frame = buf, .len = (uint16_t)n,
	};
	s->emit(s->emit_ctx, &a);
}

static void send_result(struct fxr_sess *s, uint32_t ci, uint8_t type, uint32_t id,
			uint16_t code)
{
	struct fxr_msg m = { .type = type, .u.result = { .id = id, .code = code } };
	send_msg(s, ci, &m);
}

static void send_status(struct fxr_sess *s, uint32_t ci, uint8_t type, uint16_t code,
			const char *text)
{
	size_t len = strlen(text);
	if (len > FXR_TEXT_MAX)
		len = FXR_TEXT_MAX;
	struct fxr_msg m = {
		.type = type,
		.u.status = { .code = code, .text = { (const uint8_t *)text, (uint16_t)len } },
	};
	send_msg(s, ci, &m);
}

static void send_end(struct fxr_sess *s, uint32_t ci, uint16_t reason)
{
	struct fxr_msg m = { .type = FXR_T_END, .u.end = { .reason = reason } };
	send_msg(s, ci, &m);
}

static void send_call(struct fxr_sess *s, uint32_t ci, uint8_t type, uint32_t id, uint32_t di)
{
	struct fxr_msg m = {
		.type = type,
		.u.call = { .id = id, .dev = s->devs[di].id, .dev_len = s->devs[di].id_len },
	};
	send_msg(s, ci, &m);
}

/* ---- life and death of a connection ---- */

/* Back to IDLE from PENDING or PAIRED, with no peer. */
static void to_idle(struct fxr_sess *s, uint32_t ci)
{
	struct fxr_sess_conn *c = C(s, ci);
	q_remove(s, ci);
	c->peer = NONE;
	c->flags &= (uint8_t)~(FXR_SESS_F_CALLER | FXR_SESS_F_SENT_END);
	c->call_id = c->req_id = 0;
	set_state(s, ci, FXR_CONN_IDLE);
}

/* ci is leaving (closed, logged out, protocol error): tell its peer, per DESIGN.md §2. */
static void detach_peer(struct fxr_sess *s, uint32_t ci)
{
	struct fxr_sess_conn *c = C(s, ci);
	uint32_t pi = c->peer;
	if (pi == NONE)
		return;
	struct fxr_sess_conn *p = C(s, pi);
	c->peer = NONE;
	if (p->peer != ci)
		return; /* the peer has released already */
	if (c->state == FXR_CONN_PENDING) {
		s->ctr.calls_peer_lost++;
		if (p->flags & FXR_SESS_F_CALLER)
			send_result(s, pi, FXR_T_CONNECT_FAIL, p->req_id, FXR_CODE_PEER_LOST);
		else
			send_result(s, pi, FXR_T_CANCEL, p->call_id, FXR_CODE_PEER_LOST);
		to_idle(s, pi);
	} else if (c->state == FXR_CONN_PAIRED) {
		/* the survivor stays PAIRED, alone, until it sends RELEASE */
		send_end(s, pi, FXR_CODE_PEER_LOST);
		p->peer = NONE;
		emit_simple(s, FXR_ACT_UNPAIR, pi, NONE);
	}
}

/* Forgets ci. emit_close: also ask the dataplane to close it (not when it is gone). */
static void conn_drop(struct fxr_sess *s, uint32_t ci, int emit_close)
{
	struct fxr_sess_conn *c = C(s, ci);
	detach_peer(s, ci);
	q_remove(s, ci);
	if (emit_close)
		emit_simple(s, FXR_ACT_CLOSE, ci, NONE);
	if (c->dev != NONE) {
		struct fxr_sess_dev *d = &s->devs[c->dev];
		if (c->state == FXR_CONN_IDLE)
			d->idle--;
		d->conns--;
		ring_unlink(s, ci);
		dev_put(s, c->dev);
	}
	FXR_BUG_ON(fxr_idmap_u64_del(&s->by_connid, c->id) != 0);
	memset(c, 0, sizeof(*c));
	c->q_next = s->conn_free;
	s->conn_free = ci;
	s->conn_count--;
}

static int protocol_error(struct fxr_sess *s, uint32_t ci, const char *why)
{
	s->ctr.protocol_errors++;
	send_status(s, ci, FXR_T_ERROR, FXR_CODE_PROTOCOL, why);
	conn_drop(s, ci, 1);
	return -EPROTO;
}

int fxr_sess_conn_new(struct fxr_sess *s, uint64_t conn, uint64_t now_ms)
{
	if (conn_find(s, conn) != NONE)
		return -EEXIST;
	if (s->conn_free == NONE)
		return -ENOSPC;
	uint32_t ci = s->conn_free;
	struct fxr_sess_conn *c = C(s, ci);
	s->conn_free = c->q_next;
	if (fxr_idmap_u64_put(&s->by_connid, conn, ci) != 0) {
		s->conn_free = ci;
		return -ENOSPC;
	}
	memset(c, 0, sizeof(*c));
	c->id = conn;
	c->dev = c->peer = NONE;
	c->dev_next = c->dev_prev = ci;
	c->q_next = c->q_prev = NONE;
	c->state = FXR_CONN_NEW;
	c->flags = FXR_SESS_F_USED;
	s->conn_count++;
	q_push(s, FXR_SESS_Q_PREAUTH, ci, now_ms + s->cfg.preauth_ms);
	return 0;
}

int fxr_sess_auth_begin(struct fxr_sess *s, uint64_t conn)
{
	uint32_t ci = conn_find(s, conn);
	if (ci == NONE)
		return -ENOENT;
	if (C(s, ci)->state != FXR_CONN_NEW)
		return protocol_error(s, ci, "AUTH_START not allowed now");
	C(s, ci)->state = FXR_CONN_AUTHENTICATING;
	return 0;
}

int fxr_sess_login(struct fxr_sess *s, uint64_t conn, const uint8_t *id, uint8_t id_len,
		   uint16_t limit)
{
	uint32_t ci = conn_find(s, conn);
	if (ci == NONE)
		return -ENOENT;
	if (id_len == 0 || id_len > FXR_DEVID_MAX_BYTES)
		return -EINVAL;
	struct fxr_sess_conn *c = C(s, ci);
	if (c->state != FXR_CONN_AUTHENTICATING)
		return protocol_error(s, ci, "login without a SCRAM exchange");
	uint32_t di = dev_get_or_add(s, id, id_len, limit ? limit : s->cfg.conn_limit);
	if (di == NONE)
		return -ENOSPC;
	struct fxr_sess_dev *d = &s->devs[di];
	if (limit)
		d->limit = limit;
	if (d->conns >= d->limit) {
		s->ctr.login_over_limit++;
		send_status(s, ci, FXR_T_AUTH_FAIL, FXR_CODE_RATE_LIMITED,
			    "connection limit reached");
		dev_put(s, di);
		conn_drop(s, ci, 1);
		return -EMLINK;
	}
	q_remove(s, ci);
	c->dev = di;
	d->conns++;
	ring_append(s, ci);
	set_state(s, ci, FXR_CONN_IDLE);
	s->ctr.logins++;
	struct fxr_sess_act a = {
		.kind = FXR_ACT_LOGIN, .conn = conn, .dev = d->id, .dev_len = d->id_len,
	};
	s->emit(s->emit_ctx, &a);
	return 0;
}

/* ---- calls ---- */

/* The connection of device di idle the longest, other than not_ci, preferring one that the
 * dataplane serves on the same lcore as not_ci (the caller's): such a pair is spliced within
 * one lcore, without crossing to another (dataplane/relay_xl.c). NONE if none is idle. */
static uint32_t pick_idle(struct fxr_sess *s, uint32_t di, uint32_t not_ci)
{
	struct fxr_sess_dev *d = &s->devs[di];
	uint8_t lcore = fxr_connid_lcore(C(s, not_ci)->id);
	uint32_t first_idle = NONE;
	if (d->idle == 0 || d->first == NONE)
		return NONE;
	uint32_t ci = d->first;
	do {
		if (ci != not_ci && C(s, ci)->state == FXR_CONN_IDLE) {
			if (fxr_connid_lcore(C(s, ci)->id) == lcore)
				return ci;
			if (first_idle == NONE)
				first_idle = ci;
		}
		ci = C(s, ci)->dev_next;
	} while (ci != d->first);
	return first_idle;
}

static void on_connect(struct fxr_sess *s, uint32_t ci, const struct fxr_msg *m, uint64_t now)
{
	struct fxr_sess_conn *c = C(s, ci);
	const struct fxr_sess_dev *me = &s->devs[c->dev];
	uint32_t req = m->u.call.id;
	const uint8_t *dest = m->u.call.dev;
	uint8_t dlen = m->u.call.dev_len;

	s->ctr.calls++;
	/* A logged-in device was known when it logged in, and whatever unregisters it closes
	 * its connections (device del): only a destination that is not logged in costs a
	 * registry lookup (a synchronous SQLite read on the owner's loop). */
	uint32_t di = dev_find(s, dest, dlen);
	if (di == NONE && !s->pol.known(s->pol.ctx, dest, dlen)) {
		s->ctr.calls_not_found++;
		send_result(s, ci, FXR_T_CONNECT_FAIL, req, FXR_CODE_NOT_FOUND);
		return;
	}
	if (s->pol.may_call) {
		uint16_t code = s->pol.may_call(s->pol.ctx, me->id, me->id_len, dest, dlen);
		if (code != FXR_CODE_OK) {
			if (code == FXR_CODE_NOT_FOUND)
				s->ctr.calls_not_found++;
			else
				s->ctr.calls_forbidden++;
			send_result(s, ci, FXR_T_CONNECT_FAIL, req, code);
			return;
		}
	}
	if (di == NONE) {
		s->ctr.calls_offline++;
		send_result(s, ci, FXR_T_CONNECT_FAIL, req, FXR_CODE_OFFLINE);
		return;
	}
	uint32_t cj = pick_idle(s, di, ci);
	if (cj == NONE) {
		s->ctr.calls_busy++;
		send_result(s, ci, FXR_T_CONNECT_FAIL, req, FXR_CODE_BUSY);
		return;
	}
	uint32_t call = s->next_call_id++;
	if (s->next_call_id == 0)
		s->next_call_id = 1;
	struct fxr_sess_conn *p = C(s, cj);
	c->flags |= FXR_SESS_F_CALLER;
	c->req_id = req;
	c->call_id = call;
	c->peer = cj;
	set_state(s, ci, FXR_CONN_PENDING);
	q_push(s, FXR_SESS_Q_ANSWER, ci, now + s->cfg.answer_ms);
	p->call_id = call;
	p->peer = ci;
	set_state(s, cj, FXR_CONN_PENDING);
	send_call(s, cj, FXR_T_INCOMING, call, c->dev);
}

/* The callee side of a live call named call_id on ci, or NONE (unknown or withdrawn). */
static uint32_t callee_caller(struct fxr_sess *s, uint32_t ci, uint32_t call_id)
{
	struct fxr_sess_conn *c = C(s, ci);
	if (c->state != FXR_CONN_PENDING || (c->flags & FXR_SESS_F_CALLER) ||
	    c->call_id != call_id || c->peer == NONE)
		return NONE;
	return c->peer;
}

static void on_accept(struct fxr_sess *s, uint32_t ci, uint32_t call_id)
{
	uint32_t caller = callee_caller(s, ci, call_id);
	if (caller == NONE) {
		s->ctr.stale_ignored++;
		/* the dataplane holds what ci sent after its ACCEPT until it is paired; UNPAIR
		 * (a no-op on an unpaired connection) tells it that no PAIR is coming */
		if (C(s, ci)->state != FXR_CONN_PAIRED)
			emit_simple(s, FXR_ACT_UNPAIR, ci, NONE);
		return;
	}
	struct fxr_sess_conn *k = C(s, caller);
	q_remove(s, caller);
	set_state(s, caller, FXR_CONN_PAIRED);
	set_state(s, ci, FXR_CONN_PAIRED);
	k->flags &= (uint8_t)~FXR_SESS_F_SENT_END;
	C(s, ci)->flags &= (uint8_t)~FXR_SESS_F_SENT_END;
	s->ctr.calls_paired++;
	/* PAIR first: the dataplane must splice before the caller can send DATA */
	emit_simple(s, FXR_ACT_PAIR, caller, ci);
	send_call(s, caller, FXR_T_CONNECTED, k->req_id, C(s, ci)->dev);
}

static void on_reject(struct fxr_sess *s, uint32_t ci, uint32_t call_id)
{
	uint32_t caller = callee_caller(s, ci, call_id);
	if (caller == NONE) {
		s->ctr.stale_ignored++;
		return;
	}
	s->ctr.calls_rejected++;
	send_result(s, caller, FXR_T_CONNECT_FAIL, C(s, caller)->req_id, FXR_CODE_REJECTED);
	to_idle(s, caller);
	to_idle(s, ci);
}

static void on_cancel(struct fxr_sess *s, uint32_t ci, uint32_t req_id, uint16_t code)
{
	struct fxr_sess_conn *c = C(s, ci);
	if (c->state != FXR_CONN_PENDING || !(c->flags & FXR_SESS_F_CALLER) ||
	    c->req_id != req_id || c->peer == NONE) {
		s->ctr.stale_ignored++;
		return;
	}
	uint32_t callee = c->peer;
	s->ctr.calls_cancelled++;
	send_result(s, callee, FXR_T_CANCEL, C(s, callee)->call_id, code);
	to_idle(s, callee);
	to_idle(s, ci);
}

static void on_release(struct fxr_sess *s, uint32_t ci)
{
	struct fxr_sess_conn *c = C(s, ci);
	uint32_t pi = c->peer;
	s->ctr.releases++;
	emit_simple(s, FXR_ACT_UNPAIR, ci, NONE);
	if (pi != NONE && C(s, pi)->peer == ci) {
		/* the peer stays PAIRED alone until its own RELEASE */
		if (!(c->flags & FXR_SESS_F_SENT_END))
			send_end(s, pi, FXR_CODE_PEER_RELEASED);
		C(s, pi)->peer = NONE;
	}
	struct fxr_msg m = { .type = FXR_T_RELEASED };
	send_msg(s, ci, &m);
	to_idle(s, ci);
}

/* One LIST_RESULT frame of es[0..n) on ci. */
static void list_send(struct fxr_sess *s, uint32_t ci, uint32_t req_id,
		      const struct fxr_list_entry *es, uint16_t n, uint8_t flags)
{
	struct fxr_msg m = {
		.type = FXR_T_LIST_RESULT, .flags = flags,
		.u.list = { .req_id = req_id, .n = n, .entries = es },
	};
	int len = fxr_frame_encode(&m, s->scratch, FXR_FRAME_MAX_LEN);
	FXR_BUG_ON(len <= 0);
	struct fxr_sess_act a = { .kind = FXR_ACT_SEND, .conn = C(s, ci)->id,
				  .frame = s->scratch, .len = (uint16_t)len };
	s->emit(s->emit_ctx, &a);
}

/* Every logged-in device the caller may call, but itself, in frames of at most LIST_BATCH
 * entries: each frame but the last carries MORE (the last may be empty). */
#define LIST_BATCH 256
_Static_assert(6 + LIST_BATCH * (2 + FXR_DEVID_MAX_BYTES) <= FXR_FRAME_MAX_PAYLOAD,
	       "a full LIST batch must fit one frame");

static void on_list(struct fxr_sess *s, uint32_t ci, uint32_t req_id)
{
	const struct fxr_sess_dev *me = &s->devs[C(s, ci)->dev];
	struct fxr_list_entry es[LIST_BATCH];
	uint16_t n = 0;

	s->ctr.lists++;
	for (uint32_t i = 0; i < s->dev_count; i++) {
		const struct fxr_sess_dev *d = &s->devs[s->live[i]];
		if (d == me)
			continue;
		if (s->pol.may_call &&
		    s->pol.may_call(s->pol.ctx, me->id, me->id_len, d->id, d->id_len) != FXR_CODE_OK)
			continue;
		es[n++] = (struct fxr_list_entry){
			.id = d->id, .id_len = d->id_len,
			.state = d->idle ? FXR_LIST_IDLE : FXR_LIST_BUSY,
		};
		if (n == LIST_BATCH) {
			list_send(s, ci, req_id, es, n, FXR_FLAG_MORE);
			n = 0;
		}
	}
	list_send(s, ci, req_id, es, n, 0);
}

/* LOGOUT or kick: BYE on every connection of the device, then close them all. */
static int bye_all(struct fxr_sess *s, uint32_t di, uint16_t code, const char *text)
{
	int closed = 0;
	/* the device record is freed with its last connection (id_len becomes 0) */
	while (s->devs[di].id_len && s->devs[di].first != NONE) {
		uint32_t ci = s->devs[di].first;
		send_status(s, ci, FXR_T_BYE, code, text);
		conn_drop(s, ci, 1);
		closed++;
	}
	return closed;
}

int fxr_sess_frame(struct fxr_sess *s, uint64_t conn, const struct fxr_msg *m, uint64_t now_ms)
{
	uint32_t ci = conn_find(s, conn);
	if (ci == NONE)
		return -ENOENT;
	struct fxr_sess_conn *c = C(s, ci);
	const struct fxr_frame_info *fi = fxr_frame_info(m->type);
	if (!fi || !(fi->dir & FXR_DIR_D2R))
		return protocol_error(s, ci, "frame type not sent by devices");
	if (c->state == FXR_CONN_NEW || c->state == FXR_CONN_AUTHENTICATING)
		return protocol_error(s, ci, "not logged in");

	uint8_t st = c->state;
	switch (m->type) {
	case FXR_T_CONNECT:
		if (st != FXR_CONN_IDLE)
			break;
		on_connect(s, ci, m, now_ms);
		return 0;
	case FXR_T_ACCEPT:
		on_accept(s, ci, m->u.ref.id);
		return 0;
	case FXR_T_REJECT:
		on_reject(s, ci, m->u.result.id);
		return 0;
	case FXR_T_CANCEL:
		on_cancel(s, ci, m->u.result.id, m->u.result.code);
		return 0;
	case FXR_T_LIST:
		if (st == FXR_CONN_PAIRED)
			break;
		on_list(s, ci, m->u.ref.id);
		return 0;
	case FXR_T_RELEASE:
		if (st != FXR_CONN_PAIRED)
			break;
		on_release(s, ci);
		return 0;
	case FXR_T_LOGOUT:
		s->ctr.logouts++;
		bye_all(s, c->dev, FXR_CODE_LOGGED_OUT, "logged out");
		return 0;
	case FXR_T_KEEPALIVE:
		return 0; /* the dataplane answers; nothing to decide */
	case FXR_T_DATA:
	case FXR_T_END:
		if (st == FXR_CONN_PAIRED)
			return 0; /* relayed (or dropped) by the dataplane */
		break;
	default:
		break;
	}
	return protocol_error(s, ci, "frame not allowed in this state");
}

int fxr_sess_end_relayed(struct fxr_sess *s, uint64_t conn)
{
	uint32_t ci = conn_find(s, conn);
	if (ci == NONE)
		return -ENOENT;
	if (C(s, ci)->state == FXR_CONN_PAIRED)
		C(s, ci)->flags |= FXR_SESS_F_SENT_END;
	return 0;
}

int fxr_sess_malformed(struct fxr_sess *s, uint64_t conn)
{
	uint32_t ci = conn_find(s, conn);
	if (ci == NONE)
		return -ENOENT;
	protocol_error(s, ci, "malformed frame");
	return 0;
}

int fxr_sess_conn_closed(struct fxr_sess *s, uint64_t conn)
{
	uint32_t ci = conn_find(s, conn);
	if (ci == NONE)
		return -ENOENT;
	conn_drop(s, ci, 0);
	return 0;
}

unsigned fxr_sess_tick(struct fxr_sess *s, uint64_t now_ms)
{
	unsigned n = 0;
	uint32_t ci;
	while ((ci = s->q[FXR_SESS_Q_PREAUTH].head) != NONE && C(s, ci)->deadline_ms <= now_ms) {
		s->ctr.preauth_timeouts++;
		send_status(s, ci, FXR_T_AUTH_FAIL, FXR_CODE_AUTH, "login timeout");
		conn_drop(s, ci, 1);
		n++;
	}
	while ((ci = s->q[FXR_SESS_Q_ANSWER].head) != NONE && C(s, ci)->deadline_ms <= now_ms) {
		struct fxr_sess_conn *c = C(s, ci);
		uint32_t callee = c->peer;
		s->ctr.calls_timeout++;
		send_result(s, ci, FXR_T_CONNECT_FAIL, c->req_id, FXR_CODE_TIMEOUT);
		if (callee != NONE) {
			send_result(s, callee, FXR_T_CANCEL, C(s, callee)->call_id, FXR_CODE_TIMEOUT);
			to_idle(s, callee);
		}
		to_idle(s, ci);
		n++;
	}
	return n;
}

int fxr_sess_kick(struct fxr_sess *s, const uint8_t *id, uint8_t id_len, uint16_t code,
		  const char *text)
{
	uint32_t di = dev_find(s, id, id_len);
	if (di == NONE)
		return -ENOENT;
	return bye_all(s, di, code, text);
}

/* ---- restart ---- */

int fxr_sess_restore(struct fxr_sess *s, const struct fxr_sess_dump_entry *e)
{
	int rc = fxr_sess_conn_new(s, e->conn, 0);
	if (rc == -EEXIST)
		return rc;
	if (rc < 0) {
		struct fxr_sess_act a = { .kind = FXR_ACT_CLOSE, .conn = e->conn };
		s->ctr.restore_dropped++;
		s->emit(s->emit_ctx, &a);
		return rc;
	}
	uint32_t ci = conn_find(s, e->conn);
	struct fxr_sess_conn *c = C(s, ci);
	q_remove(s, ci);
	uint8_t st = e->note.state;
	if (!e->dev || e->dev_len == 0 || e->dev_len > FXR_DEVID_MAX_BYTES ||
	    (st != FXR_CONN_IDLE && st != FXR_CONN_PENDING && st != FXR_CONN_PAIRED)) {
		s->ctr.restore_dropped++;
		send_status(s, ci, FXR_T_AUTH_FAIL, FXR_CODE_INTERNAL, "relay restarted; log in again");
		conn_drop(s, ci, 1);
		return 0;
	}
	uint32_t di = dev_get_or_add(s, e->dev, e->dev_len, s->cfg.conn_limit);
	if (di == NONE) {
		s->ctr.restore_dropped++;
		send_status(s, ci, FXR_T_BYE, FXR_CODE_INTERNAL, "relay restarted; no room");
		conn_drop(s, ci, 1);
		return -ENOSPC;
	}
	c->dev = di;
	s->devs[di].conns++; /* the limit may be exceeded by what was already logged in */
	ring_append(s, ci);
	c->state = st;
	s->devs[di].idle = (uint16_t)(s->devs[di].idle + (st == FXR_CONN_IDLE));
	c->flags |= e->note.flags & FXR_SESS_F_CALLER;
	if (e->sent_end)
		c->flags |= FXR_SESS_F_SENT_END;
	c->call_id = e->note.call_id;
	c->req_id = e->note.req_id;
	/* peers are linked once every entry is in (fxr_sess_restore_done) */
	c->peer = NONE;
	c->deadline_ms = e->peer;
	if (c->call_id >= s->next_call_id)
		s->next_call_id = c->call_id + 1 ? c->call_id + 1 : 1;
	s->ctr.restored++;
	return 0;
}

void fxr_sess_restore_done(struct fxr_sess *s)
{
	/* link: a pair is kept only when both ends name each other */
	for (uint32_t ci = 0; ci < s->cfg.max_conns; ci++) {
		struct fxr_sess_conn *c = C(s, ci);
		if (!(c->flags & FXR_SESS_F_USED) || c->dev == NONE || c->deadline_ms == 0)
			continue;
		uint32_t pi = conn_find(s, c->deadline_ms);
		if (pi != NONE && C(s, pi)->deadline_ms == c->id && C(s, pi)->state == c->state)
			c->peer = pi;
	}
	for (uint32_t ci = 0; ci < s->cfg.max_conns; ci++)
		if (s->conns[ci].flags & FXR_SESS_F_USED)
			s->conns[ci].deadline_ms = 0;
	/* Calls pending at the crash end as unanswered. The dataplane never saw them paired,
	 * so the two ends are matched by call id: callees first, into a scratch map. */
	struct fxr_idmap_u64 callees;
	int have_map = fxr_idmap_u64_init(&callees, s->conn_count ? s->conn_count : 1, s->cfg.seed) == 0;
	for (uint32_t ci = 0; have_map && ci < s->cfg.max_conns; ci++) {
		struct fxr_sess_conn *c = C(s, ci);
		if ((c->flags & FXR_SESS_F_USED) && c->state == FXR_CONN_PENDING &&
		    !(c->flags & FXR_SESS_F_CALLER))
			(void)fxr_idmap_u64_put(&callees, c->call_id, ci);
	}
	for (uint32_t ci = 0; ci < s->cfg.max_conns; ci++) {
		struct fxr_sess_conn *c = C(s, ci);
		if (!(c->flags & FXR_SESS_F_USED) || c->state != FXR_CONN_PENDING ||
		    !(c->flags & FXR_SESS_F_CALLER))
			continue;
		s->ctr.calls_timeout++;
		send_result(s, ci, FXR_T_CONNECT_FAIL, c->req_id, FXR_CODE_TIMEOUT);
		uint32_t pi = have_map ? fxr_idmap_u64_get(&callees, c->call_id) : NONE;
		if (pi != NONE) {
			send_result(s, pi, FXR_T_CANCEL, C(s, pi)->call_id, FXR_CODE_TIMEOUT);
			to_idle(s, pi);
		}
		to_idle(s, ci);
	}
	/* callees whose caller is gone (or not matched): withdrawn the same way */
	for (uint32_t ci = 0; ci < s->cfg.max_conns; ci++) {
		struct fxr_sess_conn *c = C(s, ci);
		if ((c->flags & FXR_SESS_F_USED) && c->state == FXR_CONN_PENDING) {
			send_result(s, ci, FXR_T_CANCEL, c->call_id, FXR_CODE_TIMEOUT);
			to_idle(s, ci);
		}
	}
	if (have_map)
		fxr_idmap_u64_fini(&callees);
}

int fxr_sess_conn_state(const struct fxr_sess *s, uint64_t conn)
{
	uint32_t ci = conn_find(s, conn);
	return ci == NONE ? -ENOENT : s->conns[ci].state;
}

unsigned fxr_sess_dev_conns(const struct fxr_sess *s, const uint8_t *id, uint8_t id_len)
{
	uint32_t di = dev_find(s, id, id_len);
	return di == NONE ? 0 : s->devs[di].conns;
}

int fxr_sess_conn_info(const struct fxr_sess *s, uint64_t conn, struct fxr_sess_conn_info *out)
{
	uint32_t ci = conn_find(s, conn);
	if (ci == NONE)
		return -ENOENT;
	const struct fxr_sess_conn *c = &s->conns[ci];
	memset(out, 0, sizeof(*out));
	out->state = c->state;
	out->caller = (c->flags & FXR_SESS_F_CALLER) ? 1 : 0;
	if (c->dev != NONE) {
		out->dev_len = s->devs[c->dev].id_len;
		memcpy(out->dev, s->devs[c->dev].id, out->dev_len);
	}
	if (c->peer != NONE)
		out->peer = s->conns[c->peer].id;
	return 0;
}
