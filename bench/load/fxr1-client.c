/* bench/load/fxr1-client.c: fxr-load's FXR/1 client mode (client --fxr, DESIGN.md §2, §8).
 *
 * Both ends of every relayed stream are in this one process, on kernel sockets, one thread,
 * epoll (level-triggered), every socket non-blocking: N caller connections and N (sessions:
 * 2N) callee connections, K (--dev-conns) a device, as a fax device holds spare connections.
 * Once all are logged in, each caller CONNECTs to a callee device (in turn); the relay hands
 * the demand to an idle connection of it (INCOMING), which ACCEPTs. Callees then sink the DATA frames they get (stream
 * one way) or send them back byte-exact (stream both ways, latency, sessions), and answer
 * an END with RELEASE. Only DATA payload bytes are counted, never frame headers.
 *
 * Frames are parsed incrementally per connection (4-byte header, then the payload: DATA
 * payload is consumed in place, a control payload is gathered, at most FX_CTL_MAX bytes). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>

#include "fxr/code-t.h"
#include "fxr/frame-t.h"
#include "fxr/frame.h"

#include "fxr/scram.h"

#include "fxr-load.h"

#define FX_CTL_MAX    (4u + FXR_SCRAM_MAX)     /* the largest control payload we take */
#define FX_TX_SMALL   2048u                    /* hold: control frames only */
#define FX_TX_BIG     (2u * FXR_LOAD_IO_BUF + 2u * FXR_FRAME_MAX_LEN)
#define FX_ERRORS_LOGGED 5u

enum fx_state {
	FX_CONNECTING,   /* TCP connect under way */
	FX_AUTH,         /* AUTH_START sent */
	FX_PROOF,        /* AUTH_PROOF sent */
	FX_IDLE,         /* logged in */
	FX_CALLING,      /* CONNECT sent */
	FX_PAIRED,       /* CONNECTED (caller) or ACCEPT sent (callee) */
	FX_RELEASING,    /* RELEASE sent, waiting for RELEASED */
};

/* A device: its id and the keys its password gives for the relay's salt, derived once
 * (engine/scram), so that the load client measures the relay, not its own Hi(). */
struct fx_dev {
	char id[64 + 1];
	struct fxr_scram_client_keys keys;
};

struct fx {
	enum tag tag;            /* first: an epoll data.ptr may point at a bare enum tag */
	int fd;
	uint32_t events;
	uint8_t state;           /* enum fx_state */
	bool callee;
	bool retry;              /* sessions: CONNECT again (the last one met BUSY) */
	struct fx_dev *dev;      /* logs in as */
	struct fx_dev *dest;     /* caller: the device it calls */
	struct fxr_scram_client login;
	/* rx: the frame being parsed */
	uint8_t hdr[FXR_FRAME_HDR_LEN];
	uint8_t hdr_have;
	uint8_t type;
	uint32_t left;           /* payload bytes of this frame still to come */
	uint16_t ctl_len;
	uint8_t ctl[FX_CTL_MAX];
	/* tx: bytes [tx_rd, tx_wr) of tx are queued */
	uint8_t *tx;
	uint32_t tx_cap, tx_rd, tx_wr;
	/* stream caller: the DATA frame being written from io_buf */
	uint8_t out_hdr_off;     /* header bytes of the current frame already written */
	uint32_t out_left;       /* its payload bytes still to write */
	/* caller */
	uint32_t req_id;
	uint64_t t0;             /* sessions: when the CONNECT went out */
	uint32_t got;            /* DATA payload toward the current reply */
	uint32_t ring_head, ring_len;
	uint64_t *ring;          /* latency: scheduled or actual send times */
};

struct fxc {
	const struct opts *o;
	int ep;
	struct fx *conns;
	unsigned n_callers, n_total;
	unsigned n_open, n_logged_in, n_paired;
	struct fx_dev *devs;     /* callers' devices, then callees' */
	unsigned n_devs, n_caller_devs;
	uint64_t t_measure, t_end;
	uint64_t tx, rx, tx_all, rx_all;
	uint64_t sessions, busy, errors, sent_pings, overflows;
	struct hist *h;
};

static const uint8_t stream_hdr[FXR_FRAME_HDR_LEN] = { FXR_T_DATA, 0, 0xff, 0xff };
static uint8_t rx_buf[FXR_LOAD_IO_BUF];   /* what recv() returns, parsed in place */

static bool in_window(const struct fxc *cl, uint64_t now)
{
	return cl->t_measure != 0 && now >= cl->t_measure && now < cl->t_end;
}

static void fx_close(struct fxc *cl, struct fx *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	cl->n_open--;
	if (c->state >= FX_IDLE)
		cl->n_logged_in--;
	if (!c->callee && c->state == FX_PAIRED && cl->o->mode != MODE_SESSIONS)
		cl->n_paired--;
}

static void fx_fail(struct fxc *cl, struct fx *c, const char *why)
{
	if (cl->errors++ < FX_ERRORS_LOGGED)
		fprintf(stderr, "fxr-load client: %s connection %u: %s\n",
			c->callee ? "callee" : "caller", (unsigned)(c - cl->conns), why);
	fx_close(cl, c);
}

/* queues one frame; false when the tx buffer cannot take it whole */
static bool fx_queue(struct fx *c, uint8_t type, const void *payload, size_t len)
{
	if (c->tx_rd == c->tx_wr)
		c->tx_rd = c->tx_wr = 0;
	if (c->tx_cap - c->tx_wr < FXR_FRAME_HDR_LEN + len && c->tx_rd > 0) {
		memmove(c->tx, c->tx + c->tx_rd, c->tx_wr - c->tx_rd);
		c->tx_wr -= c->tx_rd;
		c->tx_rd = 0;
	}
	if (c->tx_cap - c->tx_wr < FXR_FRAME_HDR_LEN + len)
		return false;
	c->tx[c->tx_wr] = type;
	c->tx[c->tx_wr + 1] = 0;
	c->tx[c->tx_wr + 2] = (uint8_t)(len >> 8);
	c->tx[c->tx_wr + 3] = (uint8_t)len;
	if (len > 0)
		memcpy(c->tx + c->tx_wr + FXR_FRAME_HDR_LEN, payload, len);
	c->tx_wr += FXR_FRAME_HDR_LEN + (uint32_t)len;
	return true;
}

/* echo: raw bytes of a DATA frame, header included; the caller bounded reads to tx room */
static void fx_queue_raw(struct fx *c, const uint8_t *p, size_t len)
{
	if (c->tx_rd == c->tx_wr)
		c->tx_rd = c->tx_wr = 0;
	if (c->tx_cap - c->tx_wr < len) {
		memmove(c->tx, c->tx + c->tx_rd, c->tx_wr - c->tx_rd);
		c->tx_wr -= c->tx_rd;
		c->tx_rd = 0;
	}
	memcpy(c->tx + c->tx_wr, p, len);
	c->tx_wr += (uint32_t)len;
}

static uint32_t tx_room(const struct fx *c)
{
	return c->tx_cap - (c->tx_wr - c->tx_rd);
}

static bool streaming(const struct fxc *cl, const struct fx *c)
{
	return cl->o->mode == MODE_STREAM && !c->callee && c->state == FX_PAIRED;
}

static bool echoes(const struct fxc *cl, const struct fx *c)
{
	return c->callee && !(cl->o->mode == MODE_STREAM && !cl->o->both);
}

/* the epoll interest: read unless an echo has no room to answer; write while bytes wait */
static int fx_want(struct fxc *cl, struct fx *c)
{
	uint32_t ev = 0;

	if (c->state == FX_CONNECTING)
		ev = EPOLLOUT;
	else {
		if (!echoes(cl, c) || tx_room(c) >= FXR_LOAD_IO_BUF)
			ev |= EPOLLIN;
		if (c->tx_wr > c->tx_rd || streaming(cl, c))
			ev |= EPOLLOUT;
	}
	if (ev == c->events)
		return 0;
	c->events = ev;
	return ep_set(cl->ep, EPOLL_CTL_MOD, c->fd, ev, c);
}

static int fx_connect(struct fxc *cl, struct fx *c)
{
	int fd = connect_start(cl->o, true);

	if (fd < 0)
		return fd;
	c->tag = TAG_CONN;
	c->fd = fd;
	c->state = FX_CONNECTING;
	c->events = EPOLLOUT;
	if (ep_set(cl->ep, EPOLL_CTL_ADD, fd, EPOLLOUT, c) < 0) {
		int e = -errno;

		close(fd);
		c->fd = -1;
		return e;
	}
	cl->n_open++;
	return 0;
}

static bool fx_call(struct fx *c, uint64_t now)
{
	uint8_t p[4 + 1 + FXR_LOAD_DEVID_MAX];
	size_t n = strlen(c->dest->id);

	c->req_id++;
	p[0] = (uint8_t)(c->req_id >> 24);
	p[1] = (uint8_t)(c->req_id >> 16);
	p[2] = (uint8_t)(c->req_id >> 8);
	p[3] = (uint8_t)c->req_id;
	p[4] = (uint8_t)n;
	memcpy(p + 5, c->dest->id, n);
	c->retry = false;
	c->t0 = now;
	c->got = 0;
	if (!fx_queue(c, FXR_T_CONNECT, p, 5 + n))
		return false;
	c->state = FX_CALLING;
	return true;
}

static bool ping_queue(struct fxc *cl, struct fx *c, uint64_t when)
{
	if (c->ring_len == FXR_LOAD_RING || !fx_queue(c, FXR_T_DATA, io_buf, FXR_LOAD_PING)) {
		cl->overflows++;
		return false;
	}
	c->ring[(c->ring_head + c->ring_len) % FXR_LOAD_RING] = when;
	c->ring_len++;
	return true;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* a whole control frame */
static void fx_control(struct fxc *cl, struct fx *c, uint64_t now)
{
	char out[FXR_SCRAM_MAX], err[128];
	int n;

	switch (c->type) {
	case FXR_T_AUTH_CHALLENGE:
		if (c->state != FX_AUTH)
			break;
		n = fxr_scram_client_proof_keys(&c->login, (const char *)c->ctl, c->ctl_len,
						cl->o->password, cl->o->pw_len, &c->dev->keys, out,
						sizeof(out), err, sizeof(err));
		if (n < 0) {
			fx_fail(cl, c, err);
			return;
		}
		fx_queue(c, FXR_T_AUTH_PROOF, out, (size_t)n);
		c->state = FX_PROOF;
		return;
	case FXR_T_AUTH_OK:
		if (c->state != FX_PROOF)
			break;
		if (fxr_scram_client_verify(&c->login, (const char *)c->ctl + 4, c->ctl_len - 4u,
					    err, sizeof(err)) < 0) {
			fx_fail(cl, c, err);
			return;
		}
		fxr_scram_client_clear(&c->login);
		c->state = FX_IDLE;
		cl->n_logged_in++;
		return;
	case FXR_T_INCOMING:
		if (!c->callee || c->state != FX_IDLE)
			break;
		fx_queue(c, FXR_T_ACCEPT, c->ctl, 4);   /* the call_id, as it came */
		c->state = FX_PAIRED;
		return;
	case FXR_T_CONNECTED:
		if (c->callee || c->state != FX_CALLING)
			break;
		c->state = FX_PAIRED;
		if (cl->o->mode == MODE_SESSIONS) {
			fx_queue(c, FXR_T_DATA, io_buf, FXR_LOAD_SESSION);
		} else {
			cl->n_paired++;
			c->out_hdr_off = 0;
			c->out_left = FXR_FRAME_MAX_PAYLOAD;
		}
		return;
	case FXR_T_CONNECT_FAIL:
		if (c->state == FX_CALLING && cl->o->mode == MODE_SESSIONS &&
		    be16(c->ctl + 4) == FXR_CODE_BUSY) {
			/* every callee connection still finishing its last session: try again */
			cl->busy++;
			c->state = FX_IDLE;
			c->retry = true;
			return;
		}
		fx_fail(cl, c, "CONNECT_FAIL");
		return;
	case FXR_T_END:
		if (!c->callee || c->state != FX_PAIRED)
			break;
		fx_queue(c, FXR_T_RELEASE, NULL, 0);
		c->state = FX_RELEASING;
		return;
	case FXR_T_RELEASED:
		if (c->state != FX_RELEASING)
			break;
		c->state = FX_IDLE;
		if (!c->callee && in_window(cl, now)) {
			cl->sessions++;
			hist_add(cl->h, now - c->t0);
		}
		if (!c->callee && now < cl->t_end)
			fx_call(c, now);
		return;
	case FXR_T_KEEPALIVE_ACK:
		return;
	default:
		break;
	}
	fx_fail(cl, c, c->type == FXR_T_AUTH_FAIL ? "AUTH_FAIL" :
		c->type == FXR_T_BYE ? "BYE" : c->type == FXR_T_ERROR ? "ERROR" :
		"a frame not expected in this state");
}

/* DATA payload bytes p[0..n) */
static void fx_data(struct fxc *cl, struct fx *c, const uint8_t *p, uint32_t n, uint64_t now)
{
	if (c->callee) {
		if (echoes(cl, c))
			fx_queue_raw(c, p, n);
		return;
	}
	switch (cl->o->mode) {
	case MODE_STREAM:
		cl->rx_all += n;
		if (in_window(cl, now))
			cl->rx += n;
		return;
	case MODE_SESSIONS:
		c->got += n;
		if (c->got == FXR_LOAD_SESSION && c->state == FX_PAIRED) {
			const uint8_t reason[2] = { 0, FXR_CODE_OK };

			fx_queue(c, FXR_T_END, reason, sizeof(reason));
			fx_queue(c, FXR_T_RELEASE, NULL, 0);
			c->state = FX_RELEASING;
		}
		return;
	default:  /* latency */
		c->got += n;
		while (c->got >= FXR_LOAD_PING && c->ring_len > 0) {
			uint64_t when = c->ring[c->ring_head];

			c->ring_head = (c->ring_head + 1) % FXR_LOAD_RING;
			c->ring_len--;
			c->got -= FXR_LOAD_PING;
			if (when >= cl->t_measure && when < cl->t_end)
				hist_add(cl->h, now - when);
		}
		if (cl->o->rate == 0 && c->ring_len == 0 && c->got == 0 && now < cl->t_end &&
		    cl->t_measure != 0) {
			if (now >= cl->t_measure)
				cl->sent_pings++;
			ping_queue(cl, c, now);
		}
		return;
	}
}

/* parses p[0..n): returns false when the connection was closed */
static bool fx_parse(struct fxc *cl, struct fx *c, const uint8_t *p, size_t n, uint64_t now)
{
	while (n > 0 && c->fd >= 0) {
		uint32_t take;

		if (c->hdr_have < FXR_FRAME_HDR_LEN) {
			take = FXR_FRAME_HDR_LEN - c->hdr_have;
			take = take < n ? take : (uint32_t)n;
			memcpy(c->hdr + c->hdr_have, p, take);
			c->hdr_have += (uint8_t)take;
			p += take;
			n -= take;
			if (c->hdr_have < FXR_FRAME_HDR_LEN)
				break;
			c->type = c->hdr[0];
			c->left = be16(c->hdr + 2);
			c->ctl_len = 0;
			if (c->type == FXR_T_DATA && c->callee && echoes(cl, c))
				fx_queue_raw(c, c->hdr, FXR_FRAME_HDR_LEN);
			/* known type, flags and a length within its bounds (engine/frame) */
			if (fxr_frame_hdr_check(c->type, c->hdr[1], (uint16_t)c->left) !=
				    FXR_MALFORMED_NONE ||
			    (c->type != FXR_T_DATA && c->left > FX_CTL_MAX)) {
				fx_fail(cl, c, "malformed frame header");
				return false;
			}
		} else {
			take = c->left < n ? c->left : (uint32_t)n;
			if (c->type == FXR_T_DATA)
				fx_data(cl, c, p, take, now);
			else
				memcpy(c->ctl + c->ctl_len, p, take);
			c->ctl_len = (uint16_t)(c->ctl_len + (c->type == FXR_T_DATA ? 0 : take));
			c->left -= take;
			p += take;
			n -= take;
		}
		if (c->left == 0) {
			c->hdr_have = 0;
			if (c->type != FXR_T_DATA)
				fx_control(cl, c, now);
		}
	}
	return c->fd >= 0;
}

static void fx_read(struct fxc *cl, struct fx *c, uint64_t now)
{
	for (int round = 0; round < 16 && c->fd >= 0; round++) {
		size_t cap = sizeof(io_buf);
		ssize_t r;

		/* an echo never takes more than it can answer: flow control reaches the relay */
		if (echoes(cl, c) && tx_room(c) < cap)
			return;
		r = recv(c->fd, rx_buf, cap, 0);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			fx_fail(cl, c, r == 0 ? "closed by the relay" : strerror(errno));
			return;
		}
		if (!fx_parse(cl, c, rx_buf, (size_t)r, now))
			return;
	}
}

/* writes what is queued, then (stream callers) DATA frames from io_buf until the socket is
 * full */
static void fx_write(struct fxc *cl, struct fx *c, uint64_t now)
{
	while (c->tx_wr > c->tx_rd) {
		ssize_t w = send(c->fd, c->tx + c->tx_rd, c->tx_wr - c->tx_rd, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			fx_fail(cl, c, strerror(errno));
			return;
		}
		c->tx_rd += (uint32_t)w;
	}
	for (int round = 0; round < 16 && streaming(cl, c); round++) {
		struct iovec iov[2] = {
			{ (void *)(stream_hdr + c->out_hdr_off), FXR_FRAME_HDR_LEN - c->out_hdr_off },
			{ io_buf, c->out_left },
		};
		ssize_t w = writev(c->fd, iov, 2);
		uint32_t hdr, pay;

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			fx_fail(cl, c, strerror(errno));
			return;
		}
		hdr = (uint32_t)w < iov[0].iov_len ? (uint32_t)w : (uint32_t)iov[0].iov_len;
		pay = (uint32_t)w - hdr;
		c->out_hdr_off = (uint8_t)(c->out_hdr_off + hdr);
		c->out_left -= pay;
		cl->tx_all += pay;
		if (in_window(cl, now))
			cl->tx += pay;
		if (c->out_left == 0) {
			c->out_hdr_off = 0;
			c->out_left = FXR_FRAME_MAX_PAYLOAD;
		}
	}
}

static void fx_event(struct fxc *cl, struct fx *c, uint32_t ev, uint64_t now)
{
	if (c->state == FX_CONNECTING) {
		char out[FXR_SCRAM_MAX];
		int err = 0, n;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			fx_fail(cl, c, err ? strerror(err) : "connect");
			return;
		}
		n = fxr_scram_client_start(&c->login, c->dev->id, NULL, 0, out, sizeof(out), NULL,
					   0);
		if (n < 0 || !fx_queue(c, FXR_T_AUTH_START, out, (size_t)n)) {
			fx_fail(cl, c, "client-first");
			return;
		}
		c->state = FX_AUTH;
	} else if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		fx_read(cl, c, now);
	}
	if (c->fd >= 0)
		fx_write(cl, c, now);
	if (c->fd >= 0 && fx_want(cl, c) < 0)
		fx_fail(cl, c, "epoll_ctl");
}

static uint64_t derivations(const struct fxc *cl)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < cl->n_devs; i++)
		n += cl->devs[i].keys.derivations;
	return n;
}

static void json_out(const struct fxc *cl, double w)
{
	const struct opts *o = cl->o;

	printf("{\"role\":\"client\",\"mode\":\"%s\",\"fxr\":true,\"target\":\"%s:%u\","
	       "\"conns\":%u,\"window_s\":%.3f,\"errors\":%" PRIu64 ",\"logged_in\":%u,"
	       "\"devices\":%u,\"key_derivations\":%" PRIu64,
	       mode_name(o->mode), inet_ntoa(o->addr.sin_addr), ntohs(o->addr.sin_port),
	       o->conns, w, cl->errors, cl->n_logged_in, cl->n_devs, derivations(cl));
	switch (o->mode) {
	case MODE_STREAM:
		printf(",\"dir\":\"%s\",\"tx_bytes\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
		       ",\"tx_all_bytes\":%" PRIu64 ",\"rx_all_bytes\":%" PRIu64
		       ",\"tx_gbps\":%.4f,\"rx_gbps\":%.4f,\"gbps\":%.4f}\n",
		       o->both ? "both" : "one", cl->tx, cl->rx, cl->tx_all, cl->rx_all,
		       (double)cl->tx * 8 / w / 1e9, (double)cl->rx * 8 / w / 1e9,
		       (double)(cl->tx + cl->rx) * 8 / w / 1e9);
		break;
	case MODE_SESSIONS:
		printf(",\"sessions\":%" PRIu64 ",\"sessions_per_s\":%.1f,\"busy_retries\":%" PRIu64
		       ",", cl->sessions, (double)cl->sessions / w, cl->busy);
		hist_json(cl->h, "session_");
		printf("}\n");
		break;
	default:
		printf(",\"rate\":%.1f,\"pings\":%" PRIu64 ",\"overflows\":%" PRIu64
		       ",\"achieved_per_s\":%.1f,", o->rate, cl->sent_pings, cl->overflows,
		       (double)cl->h->n / w);
		hist_json(cl->h, "");
		printf("}\n");
		break;
	}
}

int run_fxr_client(const struct opts *o)
{
	struct fxc cl = { .o = o };
	struct epoll_event evs[FXR_LOAD_EVENTS];
	uint64_t t0 = now_ns(), hard_end = t0 + (uint64_t)(o->max_time * 1e9);
	uint64_t t_up = 0, next_ping = 0, n_sched = 0, login_deadline;
	unsigned next_conn = 0, ping_rr = 0;
	bool stop = false, reported = false, called = false;
	int sfd, tfd = -1, rc = 0;

	cl.n_callers = o->conns;
	cl.n_total = o->mode == MODE_HOLD ? o->conns :
		     o->mode == MODE_SESSIONS ? 3u * o->conns : 2u * o->conns;
	/* logins go at the relay's pace: allow 10 s plus 5 ms a connection */
	login_deadline = t0 + 10000000000ull + 5000000ull * cl.n_total;
	cl.n_caller_devs = (cl.n_callers + o->dev_conns - 1) / o->dev_conns;
	cl.n_devs = cl.n_caller_devs + (cl.n_total - cl.n_callers + o->dev_conns - 1) / o->dev_conns;
	cl.devs = calloc(cl.n_devs, sizeof(*cl.devs));
	for (unsigned i = 0; cl.devs != NULL && i < cl.n_devs; i++) {
		bool callee = i >= cl.n_caller_devs;

		snprintf(cl.devs[i].id, sizeof(cl.devs[i].id), "%.54s%u", callee ? o->callee : o->caller,
			 callee ? i - cl.n_caller_devs : o->dev_first + i);
	}
	raise_nofile(cl.n_total);
	sfd = signal_fd();
	cl.ep = epoll_create1(EPOLL_CLOEXEC);
	cl.conns = calloc(cl.n_total, sizeof(*cl.conns));
	cl.h = malloc(sizeof(*cl.h));
	if (sfd < 0 || cl.ep < 0 || cl.conns == NULL || cl.h == NULL || cl.devs == NULL ||
	    ep_set(cl.ep, EPOLL_CTL_ADD, sfd, EPOLLIN, &tag_signal) < 0) {
		perror("fxr-load client: setup");
		return 1;
	}
	hist_init(cl.h);
	memset(io_buf, 0x5a, sizeof(io_buf));
	for (unsigned i = 0; i < cl.n_total; i++) {
		struct fx *c = &cl.conns[i];

		c->fd = -1;
		c->callee = i >= cl.n_callers;
		c->dev = c->callee ? &cl.devs[cl.n_caller_devs + (i - cl.n_callers) / o->dev_conns] :
				     &cl.devs[i / o->dev_conns];
		if (!c->callee && cl.n_devs > cl.n_caller_devs)
			c->dest = &cl.devs[cl.n_caller_devs + i % (cl.n_devs - cl.n_caller_devs)];
		c->tx_cap = o->mode == MODE_HOLD ? FX_TX_SMALL : FX_TX_BIG;
		c->tx = malloc(c->tx_cap);
		if (o->mode == MODE_LATENCY && !c->callee)
			c->ring = calloc(FXR_LOAD_RING, sizeof(uint64_t));
		if (c->tx == NULL || (o->mode == MODE_LATENCY && !c->callee && c->ring == NULL)) {
			perror("fxr-load client: buffers");
			return 1;
		}
	}
	if (o->mode == MODE_LATENCY) {
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (tfd < 0 || ep_set(cl.ep, EPOLL_CTL_ADD, tfd, EPOLLIN, &tag_timer) < 0) {
			perror("fxr-load client: timerfd");
			return 1;
		}
	}
	while (!stop) {
		uint64_t now = now_ns(), wake = hard_end;
		int n;

		if (now >= hard_end) {
			if (!reported) {
				fprintf(stderr, "fxr-load client: --max-time reached\n");
				rc = 1;
			}
			break;
		}
		/* connect and log in, FXR_LOAD_CONNECTING logins under way at most */
		while (next_conn < cl.n_total &&
		       next_conn - (cl.n_logged_in + (unsigned)cl.errors) < FXR_LOAD_CONNECTING) {
			if (fx_connect(&cl, &cl.conns[next_conn]) < 0)
				fx_fail(&cl, &cl.conns[next_conn], "connect");
			next_conn++;
		}
		if (!called && next_conn == cl.n_total) {
			if (cl.n_logged_in == cl.n_total) {
				called = true;
				if (o->mode == MODE_HOLD || o->mode == MODE_SESSIONS)
					t_up = now;
				for (unsigned i = 0; o->mode != MODE_HOLD && i < cl.n_callers; i++) {
					fx_call(&cl.conns[i], now);
					fx_event(&cl, &cl.conns[i], 0, now);
				}
			} else if (cl.errors > 0 || now >= login_deadline) {
				fprintf(stderr, "fxr-load client: %u of %u connections logged in\n",
					cl.n_logged_in, cl.n_total);
				rc = 1;
				break;
			}
		}
		if (called && t_up == 0) {
			if (cl.n_paired == cl.n_callers) {
				t_up = now;
			} else if (cl.errors > 0 || now >= login_deadline + 10000000000ull) {
				fprintf(stderr, "fxr-load client: %u of %u calls connected\n",
					cl.n_paired, cl.n_callers);
				rc = 1;
				break;
			}
		}
		if (t_up != 0 && cl.t_measure == 0 && o->mode != MODE_HOLD) {
			cl.t_measure = t_up + (uint64_t)(o->warmup * 1e9);
			cl.t_end = cl.t_measure + (uint64_t)(o->duration * 1e9);
			next_ping = t_up;
			if (o->mode == MODE_LATENCY && o->rate == 0) {
				/* closed loop: one ping a connection, the next on its pong */
				for (unsigned i = 0; i < cl.n_callers; i++) {
					if (cl.conns[i].fd >= 0 && ping_queue(&cl, &cl.conns[i], now))
						fx_event(&cl, &cl.conns[i], 0, now);
				}
			}
		}
		if (o->mode == MODE_HOLD && t_up != 0 && !reported) {
			printf("{\"role\":\"client\",\"mode\":\"hold\",\"fxr\":true,\"conns\":%u,"
			       "\"connected\":%u,\"logged_in\":%u,\"devices\":%u,"
			       "\"key_derivations\":%" PRIu64 ",\"connect_s\":%.3f}\n", o->conns,
			       cl.n_open, cl.n_logged_in, cl.n_devs, derivations(&cl),
			       secs(t_up - t0));
			fflush(stdout);
			reported = true;
		}
		if (o->mode == MODE_SESSIONS && t_up != 0 && now < cl.t_end) {
			for (unsigned i = 0; i < cl.n_callers; i++) {
				struct fx *c = &cl.conns[i];

				if (c->fd >= 0 && c->retry) {
					fx_call(c, now);
					fx_event(&cl, c, 0, now);
				}
				if (c->fd >= 0 && c->retry)
					wake = now + 1000000u;
			}
		}
		if (o->mode == MODE_LATENCY && o->rate > 0 && cl.t_measure != 0) {
			/* open loop: every due ping goes out now, on the callers in turn */
			double gap = 1e9 / o->rate;
			unsigned burst = 0;

			while (next_ping <= now && next_ping < cl.t_end && burst < 100000) {
				struct fx *c = &cl.conns[ping_rr++ % cl.n_callers];

				if (next_ping >= cl.t_measure)
					cl.sent_pings++;
				if (c->fd >= 0 && c->state == FX_PAIRED &&
				    ping_queue(&cl, c, next_ping))
					fx_event(&cl, c, 0, now);
				burst++;
				n_sched++;
				next_ping = t_up + (uint64_t)((double)n_sched * gap);
			}
			if (next_ping < cl.t_end && timer_arm(tfd, next_ping) < 0) {
				perror("fxr-load client: timer");
				rc = 1;
				break;
			}
		}
		if (cl.t_end != 0 && now >= cl.t_end) {
			bool drained = true;

			for (unsigned i = 0; o->mode == MODE_LATENCY && i < cl.n_callers; i++)
				if (cl.conns[i].fd >= 0 && cl.conns[i].ring_len > 0)
					drained = false;
			if (drained || now >= cl.t_end + 1000000000u)
				break;
		}
		if (cl.t_end != 0 && cl.t_end > now && cl.t_end < wake)
			wake = cl.t_end;
		if (cl.t_end != 0 && cl.t_end <= now)
			wake = now + 1000000u;
		n = epoll_wait(cl.ep, evs, FXR_LOAD_EVENTS, epoll_ms(now, wake));
		if (n < 0 && errno != EINTR) {
			perror("fxr-load client: epoll_wait");
			rc = 1;
			break;
		}
		now = now_ns();
		for (int i = 0; i < n; i++) {
			enum tag tag = *(const enum tag *)evs[i].data.ptr;
			struct fx *c = evs[i].data.ptr;

			if (tag == TAG_SIGNAL) {
				stop = true;
			} else if (tag == TAG_TIMER) {
				uint64_t ticks;

				(void)!read(tfd, &ticks, sizeof(ticks));
			} else if (c->fd >= 0) {
				fx_event(&cl, c, evs[i].events, now);
			}
		}
		if (o->mode == MODE_HOLD && reported && cl.n_open < o->conns) {
			fprintf(stderr, "fxr-load client: %u of %u held connections left\n",
				cl.n_open, o->conns);
			rc = 1;
			break;
		}
	}
	if (rc == 0 && o->mode != MODE_HOLD)
		json_out(&cl, o->duration);
	for (unsigned i = 0; i < cl.n_total; i++) {
		fx_close(&cl, &cl.conns[i]);
		free(cl.conns[i].tx);
		free(cl.conns[i].ring);
	}
	free(cl.conns);
	free(cl.h);
	if (cl.devs != NULL)
		OPENSSL_cleanse(cl.devs, cl.n_devs * sizeof(*cl.devs));
	free(cl.devs);
	if (tfd >= 0)
		close(tfd);
	close(sfd);
	close(cl.ep);
	return rc;
}
