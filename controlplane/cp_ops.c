/* fxr-controlplane's ops API: a unix stream socket (mode 0660) speaking newline-delimited
 * JSON (opsreq.h). Each client has an input line buffer and an output buffer; the loop
 * never blocks on a client (a slow reader only grows its own output buffer, up to a cap). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <jemalloc/jemalloc.h>

#include "cp.h"
#include "fxr/chan_shm.h"
#include "fxr/code.h"
#include "session.h"

#define OUT_MAX (64u << 20) /* a client that reads nothing is dropped past this */

struct cp_client {
	int fd;
	char in[FXR_OPS_LINE_MAX + 1];
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	bool want_out;
	struct cp_client *next;
};

int cp_ops_listen(struct cp *cp, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cp->cfg.ops_socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	/* a leftover socket file: replace it unless a live control plane answers on it */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		snprintf(err, errlen, "another process is listening on it");
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(sa.sun_path);
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == 0 && cp->cfg.ops_gid >= 0 &&
	    chown(sa.sun_path, (uid_t)-1, (gid_t)cp->cfg.ops_gid) != 0) {
		snprintf(err, errlen, "group %s: %s", cp->cfg.ops_group, strerror(errno));
		rc = -errno;
		unlink(sa.sun_path);
		close(fd);
		return rc;
	}
	if (rc != 0 || chmod(sa.sun_path, 0660) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		rc = -errno;
		close(fd);
		return rc;
	}
	cp->lfd = fd;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cp->lfd };
	epoll_ctl(cp->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void client_close(struct cp *cp, struct cp_client *c)
{
	for (struct cp_client **pp = &cp->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	epoll_ctl(cp->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
}

void cp_ops_close_all(struct cp *cp)
{
	while (cp->clients)
		client_close(cp, cp->clients);
	if (cp->lfd > 0) {
		close(cp->lfd);
		unlink(cp->cfg.ops_socket);
	}
}

/* Writes what is buffered; returns -1 when the client is gone. */
static int client_flush(struct cp *cp, struct cp_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		return -1;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	bool want = c->out_len > 0;
	if (want != c->want_out) {
		struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c };
		epoll_ctl(cp->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = want;
	}
	return 0;
}

static int client_put(struct cp_client *c, const char *s, size_t n)
{
	if (c->out_len + n > OUT_MAX)
		return -1;
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + n)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (!p)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	return 0;
}

/* ---- results ---- */

static void fmt_conn(char *out, size_t cap, uint64_t id)
{
	snprintf(out, cap, "%016" PRIx64, id);
}

static json_t *conn_json(struct cp *cp, const struct cp_conn *c, uint64_t now)
{
	struct fxr_sess_conn_info ci;
	if (fxr_sess_conn_info(&cp->sess, c->id, &ci) != 0)
		return NULL;
	char id[24], peer[24], addr[64];
	fmt_conn(id, sizeof(id), c->id);
	fmt_conn(peer, sizeof(peer), ci.peer);
	cp_fmt_addr(&c->addr, addr, sizeof(addr));
	json_t *o = json_pack("{s:s, s:i, s:s, s:I, s:s}", "conn", id, "lane",
			      (int)(c->id >> 56), "state", fxr_conn_state_name(ci.state),
			      "age_s", (json_int_t)((now - c->since_ms) / 1000), "remote", addr);
	json_object_set_new(o, "device",
			    ci.dev_len ? json_stringn((const char *)ci.dev, ci.dev_len)
				       : json_null());
	json_object_set_new(o, "peer", ci.peer ? json_string(peer) : json_null());
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)c->bytes.in));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)c->bytes.out));
	return o;
}

static json_t *conns_json(struct cp *cp, const char *dev)
{
	json_t *a = json_array();
	uint64_t now = cp_now_ms();
	size_t dl = dev ? strlen(dev) : 0;
	for (uint32_t i = 0; i < cp->cfg.max_conns; i++) {
		const struct cp_conn *c = &cp->conns[i];
		if (!c->id)
			continue;
		json_t *o = conn_json(cp, c, now);
		if (!o)
			continue;
		if (dev) {
			const char *d = json_string_value(json_object_get(o, "device"));
			if (!d || strlen(d) != dl || memcmp(d, dev, dl) != 0) {
				json_decref(o);
				continue;
			}
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *sessions_json(struct cp *cp)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < cp->cfg.max_conns; i++) {
		const struct cp_conn *c = &cp->conns[i];
		struct fxr_sess_conn_info ci, pi;
		if (!c->id || fxr_sess_conn_info(&cp->sess, c->id, &ci) != 0 ||
		    ci.state != FXR_CONN_PAIRED)
			continue;
		char a_id[24], b_id[24];
		fmt_conn(a_id, sizeof(a_id), c->id);
		if (!ci.peer) { /* alone: the peer released or was lost */
			json_array_append_new(a, json_pack("{s:s, s:s%, s:n, s:n}", "a", a_id,
							   "a_device", (const char *)ci.dev,
							   (size_t)ci.dev_len, "b", "b_device"));
			continue;
		}
		if (ci.peer < c->id && fxr_sess_conn_info(&cp->sess, ci.peer, &pi) == 0 &&
		    pi.peer == c->id)
			continue; /* listed from the other side */
		if (fxr_sess_conn_info(&cp->sess, ci.peer, &pi) != 0)
			continue;
		fmt_conn(b_id, sizeof(b_id), ci.peer);
		json_array_append_new(a, json_pack("{s:s, s:s%, s:s, s:s%}", "a", a_id, "a_device",
						   (const char *)ci.dev, (size_t)ci.dev_len, "b",
						   b_id, "b_device", (const char *)pi.dev,
						   (size_t)pi.dev_len));
	}
	return a;
}

static json_t *status_json(struct cp *cp)
{
	static const char *const phases[] = { "detached", "restoring", "running" };
	unsigned by_state[FXR_CONN_STATE_COUNT] = { 0 };
	for (uint32_t i = 0; i < cp->cfg.max_conns; i++) {
		int st = cp->conns[i].id ? fxr_sess_conn_state(&cp->sess, cp->conns[i].id) : -1;
		if (st >= 0 && st < FXR_CONN_STATE_COUNT)
			by_state[st]++;
	}
	json_t *bs = json_object();
	for (unsigned s = 0; s < FXR_CONN_STATE_COUNT; s++)
		json_object_set_new(bs, fxr_conn_state_name(s), json_integer(by_state[s]));
	long rss_pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		long size_pages;
		if (fscanf(f, "%ld %ld", &size_pages, &rss_pages) != 2)
			rss_pages = 0;
		fclose(f);
	}
	const char *jv = "?";
	size_t sz = sizeof(jv);
	mallctl("version", &jv, &sz, NULL, 0);
	uint64_t epoch = 1;
	sz = sizeof(epoch);
	mallctl("epoch", &epoch, &sz, &epoch, sz);
	size_t allocated = 0;
	sz = sizeof(allocated);
	mallctl("stats.allocated", &allocated, &sz, NULL, 0);
	uint32_t backlog = 0;
	for (uint16_t l = 0; l < cp->lanes; l++)
		backlog += fxr_backlog_count(&cp->backlog[l]);
	json_t *o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:i, s:s, s:i, s:i, s:o, s:i, s:s, s:I, "
			      "s:I, s:I, s:s}",
			      "version", "0.1.0", "pid", (int)getpid(), "uptime_s",
			      (json_int_t)((cp_now_ms() - cp->start_ms) / 1000), "channel",
			      cp->cfg.channel, "phase", phases[cp->phase], "lanes", cp->lanes,
			      "db", cp->cfg.db, "connections", (int)cp->sess.conn_count,
			      "devices_logged_in", (int)cp->sess.dev_count, "by_state", bs,
			      "backlog", (int)backlog, "log_level",
			      fxr_log_level_name(cp_log_level), "rss_bytes",
			      (json_int_t)rss_pages * sysconf(_SC_PAGESIZE), "heap_allocated_bytes",
			      (json_int_t)allocated, "registry_cache_bytes",
			      (json_int_t)fxr_registry_cache_bytes(cp->reg), "allocator", jv);
	return o;
}

static json_t *chan_stats_json(const struct fxr_chan_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sent", (json_int_t)st->sent,
			 "received", (json_int_t)st->received, "full", (json_int_t)st->full,
			 "reclaimed", (json_int_t)st->reclaimed, "skipped",
			 (json_int_t)st->skipped, "bad", (json_int_t)st->bad, "in_flight",
			 (json_int_t)st->in_flight);
}

static json_t *stats_json(struct cp *cp)
{
	json_t *c = json_object(), *s = json_object(), *ta = json_object(), *td = json_object();
#define J_CP(name, help) json_object_set_new(c, #name, json_integer((json_int_t)cp->ctr.name));
	FXR_CP_COUNTER_LIST(J_CP)
#undef J_CP
#define J_S(name, help) json_object_set_new(s, #name, json_integer((json_int_t)cp->sess.ctr.name));
	FXR_SESS_COUNTER_LIST(J_S)
#undef J_S
#define J_T(name, help)                                                                \
	json_object_set_new(ta, #name, json_integer((json_int_t)cp->thr_addr.ctr.name)); \
	json_object_set_new(td, #name, json_integer((json_int_t)cp->thr_dev.ctr.name));
	FXR_THROTTLE_COUNTER_LIST(J_T)
#undef J_T
	json_object_set_new(ta, "entries", json_integer(cp->thr_addr.count));
	json_object_set_new(td, "entries", json_integer(cp->thr_dev.count));
	json_t *ch = json_array();
	for (uint16_t l = 0; l < cp->lanes; l++) {
		struct fxr_chan_stats d2c, c2d;
		fxr_chan_stats_get(cp->chan, l, FXR_CHAN_D2C, &d2c);
		fxr_chan_stats_get(cp->chan, l, FXR_CHAN_C2D, &c2d);
		json_array_append_new(ch, json_pack("{s:i, s:o, s:o, s:i, s:I}", "lane", l,
						    "d2c", chan_stats_json(&d2c), "c2d",
						    chan_stats_json(&c2d), "backlog",
						    (int)fxr_backlog_count(&cp->backlog[l]),
						    "backlog_high_water",
						    (json_int_t)cp->backlog[l].high_water));
	}
	return json_pack("{s:o, s:o, s:{s:o, s:o}, s:o}", "controlplane", c, "session", s,
			 "throttle", "source", ta, "device", td, "channel", ch);
}

static int dev_list_cb(const struct fxr_device_rec *rec, void *arg)
{
	void **a = arg;
	struct cp *cp = a[1];
	json_array_append_new(
		a[0], json_pack("{s:s, s:b, s:i, s:I, s:I, s:i}", "id", rec->id, "enabled",
				rec->enabled, "conn_limit", rec->conn_limit, "created_at",
				(json_int_t)rec->created_at, "updated_at",
				(json_int_t)rec->updated_at, "connections",
				(int)fxr_sess_dev_conns(&cp->sess, (const uint8_t *)rec->id,
							(uint8_t)strlen(rec->id))));
	return 0;
}

/* Runs one request; returns the result (new reference) or NULL with err set. */
static json_t *run(struct cp *cp, struct fxr_ops_req *rq, char *err, size_t errlen)
{
	struct fxr_device_rec rec;
	int rc;
	switch (rq->cmd) {
	case FXR_OPS_STATUS:
		return status_json(cp);
	case FXR_OPS_STATS:
		return stats_json(cp);
	case FXR_OPS_DEVICE_ADD:
		rc = fxr_registry_device_add(cp->reg, rq->id, rq->password, err, errlen);
		if (rc)
			return NULL;
		cp_log(FXR_LOG_INFO, "ops: device %s added", rq->id);
		return json_pack("{s:s}", "id", rq->id);
	case FXR_OPS_DEVICE_PASSWD:
		rc = fxr_registry_device_passwd(cp->reg, rq->id, rq->password, err, errlen);
		if (rc)
			return NULL;
		cp_log(FXR_LOG_INFO, "ops: password of %s changed", rq->id);
		return json_pack("{s:s}", "id", rq->id);
	case FXR_OPS_DEVICE_DEL: {
		rc = fxr_registry_device_del(cp->reg, rq->id, err, errlen);
		if (rc)
			return NULL;
		int k = cp_kick(cp, rq->id, FXR_CODE_LOGGED_OUT, "device removed");
		cp_log(FXR_LOG_INFO, "ops: device %s removed (%d connections closed)", rq->id,
		       k > 0 ? k : 0);
		return json_pack("{s:s, s:i}", "id", rq->id, "closed", k > 0 ? k : 0);
	}
	case FXR_OPS_DEVICE_LIST: {
		json_t *a = json_array();
		void *arg[2] = { a, cp };
		if (fxr_registry_device_list(cp->reg, dev_list_cb, arg, err, errlen) != 0) {
			json_decref(a);
			return NULL;
		}
		return a;
	}
	case FXR_OPS_DEVICE_SHOW:
		if (fxr_registry_device_get(cp->reg, rq->id, &rec, err, errlen) != 0)
			return NULL;
		return json_pack("{s:s, s:b, s:i, s:I, s:I, s:I, s:o}", "id", rec.id, "enabled",
				 rec.enabled, "conn_limit", rec.conn_limit, "scram_iterations",
				 (json_int_t)rec.cred.iterations, "created_at",
				 (json_int_t)rec.created_at, "updated_at",
				 (json_int_t)rec.updated_at, "conns", conns_json(cp, rq->id));
	case FXR_OPS_CONNS:
		return conns_json(cp, NULL);
	case FXR_OPS_SESSIONS:
		return sessions_json(cp);
	case FXR_OPS_KICK:
		if (cp->phase != CP_RUNNING) {
			snprintf(err, errlen, "not attached to a dataplane");
			return NULL;
		}
		rc = cp_kick(cp, rq->id, FXR_CODE_LOGGED_OUT, "logged out by the operator");
		if (rc < 0) {
			snprintf(err, errlen, "%s is not logged in", rq->id);
			return NULL;
		}
		cp_log(FXR_LOG_INFO, "ops: %s kicked (%d connections)", rq->id, rc);
		return json_pack("{s:s, s:i}", "id", rq->id, "closed", rc);
	case FXR_OPS_LOG_LEVEL:
		if (rq->level >= 0) {
			cp_log_level = rq->level;
			cp_log(FXR_LOG_INFO, "ops: log level %s", fxr_log_level_name(rq->level));
		}
		return json_pack("{s:s}", "level", fxr_log_level_name(cp_log_level));
	case FXR_OPS_CMD_COUNT:
		break;
	}
	snprintf(err, errlen, "unknown command");
	return NULL;
}

static int handle_line(struct cp *cp, struct cp_client *c, const char *line, size_t len)
{
	struct fxr_ops_req rq;
	char err[256] = "";
	json_t *resp;
	if (fxr_ops_req_parse(line, len, &rq, err, sizeof(err)) != 0) {
		resp = json_pack("{s:b, s:s}", "ok", 0, "error", err);
	} else {
		json_t *r = run(cp, &rq, err, sizeof(err));
		resp = r ? json_pack("{s:b, s:o}", "ok", 1, "result", r)
			 : json_pack("{s:b, s:s}", "ok", 0, "error", err[0] ? err : "failed");
		if (!r)
			cp_log(FXR_LOG_INFO, "ops: %s failed: %s", fxr_ops_cmd_name(rq.cmd), err);
	}
	fxr_ops_req_wipe(&rq);
	cp->ctr.ops_requests++;
	if (!json_is_true(json_object_get(resp, "ok")))
		cp->ctr.ops_errors++;
	char *s = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	if (!s)
		return -1;
	int rc = client_put(c, s, strlen(s)) == 0 && client_put(c, "\n", 1) == 0 ? 0 : -1;
	free(s);
	return rc;
}

static void on_readable(struct cp *cp, struct cp_client *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(cp, c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		c->in_len += (size_t)n;
		char *nl;
		while ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
			size_t len = (size_t)(nl - c->in);
			int rc = handle_line(cp, c, c->in, len);
			/* the request may hold a password: wipe the consumed bytes */
			memset(c->in, 0, len + 1);
			memmove(c->in, nl + 1, c->in_len - len - 1);
			c->in_len -= len + 1;
			if (rc != 0) {
				client_close(cp, c);
				return;
			}
		}
		if (c->in_len == sizeof(c->in) - 1) {
			static const char e[] = "{\"ok\":false,\"error\":\"request line too long\"}\n";
			(void)!write(c->fd, e, sizeof(e) - 1);
			client_close(cp, c);
			return;
		}
	}
	if (client_flush(cp, c) != 0)
		client_close(cp, c);
}

void cp_ops_event(struct cp *cp, void *tag, uint32_t events)
{
	if (tag == &cp->lfd) {
		for (;;) {
			int fd = accept4(cp->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				return;
			struct cp_client *c = calloc(1, sizeof(*c));
			if (!c) {
				close(fd);
				continue;
			}
			c->fd = fd;
			c->next = cp->clients;
			cp->clients = c;
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
			epoll_ctl(cp->epfd, EPOLL_CTL_ADD, fd, &ev);
		}
	}
	struct cp_client *c = tag;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		on_readable(cp, c);
		return;
	}
	if ((events & EPOLLOUT) && client_flush(cp, c) != 0)
		client_close(cp, c);
}
