/* relay_peer: a scripted stand-in for the relay, for testing fxr-device end to end before the
 * real relay runs. It plays DESIGN.md §2 on loopback TCP with plain sockets: SCRAM login with
 * the real server half (engine/scram) against credentials derived from the command line,
 * CONNECT / INCOMING / ACCEPT / REJECT pairing, DATA and END relayed byte-exact, RELEASE,
 * LIST, KEEPALIVE, LOGOUT. No timers, no policy: it is a test peer, not a relay.
 *
 * usage: relay_peer PORTFILE ID:PASSWORD...   (writes the port it listens on to PORTFILE;
 * exits on SIGTERM, or after 55 s in any case) */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fxr/code-t.h"
#include "fxr/frame.h"
#include "fxr/scram.h"

#define MAX_DEV  8
#define MAX_CONN 16

enum st { ST_NEW, ST_AUTH, ST_IDLE, ST_CALLER, ST_CALLEE, ST_PAIRED };

struct dev {
	char id[65];
	struct fxr_scram_cred cred;
};

struct conn {
	int fd;
	enum st st;
	int dev;        /* index in devs, once logged in */
	int peer;       /* PENDING / PAIRED: the other connection */
	uint32_t req;   /* caller: its req_id */
	uint32_t call;  /* callee: the call_id */
	int end_sent;
	struct fxr_scram_server srv;
	uint8_t *buf;
	size_t len;
};

static struct dev devs[MAX_DEV];
static int ndev;
static struct conn conns[MAX_CONN];
static uint32_t next_call = 100;

static void send_raw(struct conn *c, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the close will be seen on read */
		p += w;
		n -= (size_t)w;
	}
}

static void send_msg(struct conn *c, const struct fxr_msg *m)
{
	static uint8_t out[FXR_FRAME_MAX_LEN];
	int n = fxr_frame_encode(m, out, sizeof(out));
	if (n > 0)
		send_raw(c, out, (size_t)n);
}

static void send_status(struct conn *c, uint8_t type, uint16_t code, const char *text)
{
	struct fxr_msg m = { .type = type,
			     .u.status = { .code = code,
					   .text = { .p = (const uint8_t *)text,
						     .len = (uint16_t)strlen(text) } } };
	send_msg(c, &m);
}

static void send_result(struct conn *c, uint8_t type, uint32_t id, uint16_t code)
{
	struct fxr_msg m = { .type = type, .u.result = { .id = id, .code = code } };
	send_msg(c, &m);
}

static void send_end(struct conn *c, uint16_t reason)
{
	struct fxr_msg m = { .type = FXR_T_END, .u.end = { .reason = reason } };
	send_msg(c, &m);
}

static void drop(int i)
{
	struct conn *c = &conns[i];
	if (c->st == ST_PAIRED && c->peer >= 0 && conns[c->peer].peer == i) {
		send_end(&conns[c->peer], FXR_CODE_PEER_LOST);
		conns[c->peer].peer = -1;
	} else if ((c->st == ST_CALLER || c->st == ST_CALLEE) && c->peer >= 0) {
		struct conn *p = &conns[c->peer];
		if (c->st == ST_CALLER)
			send_result(p, FXR_T_CANCEL, p->call, FXR_CODE_PEER_LOST);
		else
			send_result(p, FXR_T_CONNECT_FAIL, p->req, FXR_CODE_PEER_LOST);
		p->st = ST_IDLE;
		p->peer = -1;
	}
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int find_dev(const uint8_t *id, size_t n)
{
	for (int i = 0; i < ndev; i++)
		if (strlen(devs[i].id) == n && !memcmp(devs[i].id, id, n))
			return i;
	return -1;
}

/* Handles one frame; returns -1 when the connection must close. */
static int on_frame(int i, const struct fxr_msg *m, const uint8_t *raw, size_t rawlen)
{
	struct conn *c = &conns[i];
	char out[FXR_SCRAM_MSG_MAX + 1], err[128];
	if (m->type == FXR_T_AUTH_START && c->st == ST_NEW) {
		fxr_scram_server_init(&c->srv);
		if (fxr_scram_server_first(&c->srv, (const char *)m->u.auth.p, m->u.auth.len, err,
					   sizeof(err)))
			goto auth_fail;
		c->dev = find_dev((const uint8_t *)c->srv.id, c->srv.id_len);
		struct fxr_scram_cred fake;
		static const uint8_t secret[16] = "relay-peer-salt!";
		if (c->dev < 0)
			fxr_scram_cred_fake(&fake, secret, sizeof(secret), c->srv.id, c->srv.id_len,
					    4096, NULL, 0);
		int n = fxr_scram_server_challenge(&c->srv, c->dev < 0 ? &fake : &devs[c->dev].cred,
						   c->dev >= 0, NULL, 0, out, sizeof(out), err,
						   sizeof(err));
		if (n < 0)
			goto auth_fail;
		struct fxr_msg r = { .type = FXR_T_AUTH_CHALLENGE,
				     .u.auth = { .p = (const uint8_t *)out, .len = (uint16_t)n } };
		send_msg(c, &r);
		c->st = ST_AUTH;
		return 0;
	}
	if (m->type == FXR_T_AUTH_PROOF && c->st == ST_AUTH) {
		int n = fxr_scram_server_final(&c->srv, (const char *)m->u.auth.p, m->u.auth.len,
					       out, sizeof(out), err, sizeof(err));
		if (n < 0)
			goto auth_fail;
		struct fxr_msg r = { .type = FXR_T_AUTH_OK,
				     .u.auth_ok = { .keepalive_s = 30, .idle_timeout_s = 90,
						    .server_final = { .p = (const uint8_t *)out,
								      .len = (uint16_t)n } } };
		send_msg(c, &r);
		c->st = ST_IDLE;
		return 0;
	}
	if (c->st == ST_NEW || c->st == ST_AUTH)
		goto protocol;

	switch (m->type) {
	case FXR_T_KEEPALIVE: {
		struct fxr_msg r = { .type = FXR_T_KEEPALIVE_ACK, .u.opaque = m->u.opaque };
		send_msg(c, &r);
		return 0;
	}
	case FXR_T_LIST: {
		struct fxr_list_entry e[MAX_DEV];
		uint16_t n = 0;
		for (int d = 0; d < ndev; d++) {
			int any = 0, idle = 0;
			for (int k = 0; k < MAX_CONN; k++) {
				if (conns[k].fd > 0 && conns[k].st >= ST_IDLE && conns[k].dev == d) {
					any = 1;
					idle |= conns[k].st == ST_IDLE;
				}
			}
			if (any && d != c->dev)
				e[n++] = (struct fxr_list_entry){ (const uint8_t *)devs[d].id,
								  (uint8_t)strlen(devs[d].id),
								  idle ? FXR_LIST_IDLE : FXR_LIST_BUSY };
		}
		struct fxr_msg r = { .type = FXR_T_LIST_RESULT,
				     .u.list = { .req_id = m->u.ref.id, .n = n, .entries = e } };
		send_msg(c, &r);
		return 0;
	}
	case FXR_T_LOGOUT: {
		int d = c->dev;
		for (int k = 0; k < MAX_CONN; k++) {
			if (conns[k].fd > 0 && conns[k].st >= ST_IDLE && conns[k].dev == d) {
				send_status(&conns[k], FXR_T_BYE, FXR_CODE_LOGGED_OUT, "logged out");
				if (k != i)
					drop(k);
			}
		}
		return -1;
	}
	case FXR_T_CONNECT: {
		if (c->st != ST_IDLE)
			goto protocol;
		int d = find_dev(m->u.call.dev, m->u.call.dev_len), any = 0, callee = -1;
		for (int k = 0; d >= 0 && k < MAX_CONN; k++) {
			if (conns[k].fd > 0 && conns[k].st >= ST_IDLE && conns[k].dev == d && k != i) {
				any = 1;
				if (conns[k].st == ST_IDLE && callee < 0)
					callee = k;
			}
		}
		if (callee < 0) {
			send_result(c, FXR_T_CONNECT_FAIL, m->u.call.id,
				    d < 0 ? FXR_CODE_NOT_FOUND : any ? FXR_CODE_BUSY : FXR_CODE_OFFLINE);
			return 0;
		}
		struct conn *p = &conns[callee];
		c->st = ST_CALLER;
		c->req = m->u.call.id;
		c->peer = callee;
		p->st = ST_CALLEE;
		p->call = next_call++;
		p->peer = i;
		struct fxr_msg r = { .type = FXR_T_INCOMING,
				     .u.call = { .id = p->call, .dev = (const uint8_t *)devs[c->dev].id,
						 .dev_len = (uint8_t)strlen(devs[c->dev].id) } };
		send_msg(p, &r);
		return 0;
	}
	case FXR_T_ACCEPT:
	case FXR_T_REJECT: {
		uint32_t id = m->type == FXR_T_ACCEPT ? m->u.ref.id : m->u.result.id;
		if (c->st != ST_CALLEE || id != c->call)
			return 0; /* unknown or withdrawn: ignored */
		struct conn *p = &conns[c->peer];
		if (m->type == FXR_T_REJECT) {
			send_result(p, FXR_T_CONNECT_FAIL, p->req, FXR_CODE_REJECTED);
			p->st = c->st = ST_IDLE;
			p->peer = c->peer = -1;
			return 0;
		}
		struct fxr_msg r = { .type = FXR_T_CONNECTED,
				     .u.call = { .id = p->req, .dev = (const uint8_t *)devs[c->dev].id,
						 .dev_len = (uint8_t)strlen(devs[c->dev].id) } };
		send_msg(p, &r);
		p->st = c->st = ST_PAIRED;
		p->end_sent = c->end_sent = 0;
		return 0;
	}
	case FXR_T_CANCEL:
		if (c->st == ST_CALLER && m->u.result.id == c->req) {
			struct conn *p = &conns[c->peer];
			send_result(p, FXR_T_CANCEL, p->call, m->u.result.code);
			p->st = c->st = ST_IDLE;
			p->peer = c->peer = -1;
		}
		return 0;
	case FXR_T_DATA:
	case FXR_T_END:
		if (c->st != ST_PAIRED || (m->type == FXR_T_DATA && c->end_sent))
			goto protocol;
		if (m->type == FXR_T_END)
			c->end_sent = 1;
		if (c->peer >= 0)
			send_raw(&conns[c->peer], raw, rawlen); /* byte-exact */
		return 0;
	case FXR_T_RELEASE: {
		if (c->st != ST_PAIRED)
			goto protocol;
		struct fxr_msg r = { .type = FXR_T_RELEASED };
		send_msg(c, &r);
		if (c->peer >= 0) {
			if (!c->end_sent)
				send_end(&conns[c->peer], FXR_CODE_PEER_RELEASED);
			conns[c->peer].peer = -1;
		}
		c->st = ST_IDLE;
		c->peer = -1;
		return 0;
	}
	default:
		break;
	}
protocol:
	send_status(c, FXR_T_ERROR, FXR_CODE_PROTOCOL, "protocol violation");
	return -1;
auth_fail:
	send_status(c, FXR_T_AUTH_FAIL, FXR_CODE_AUTH, "authentication failed");
	return -1;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: relay_peer PORTFILE ID:PASSWORD...\n");
		return 2;
	}
	for (int a = 2; a < argc && ndev < MAX_DEV; a++, ndev++) {
		char *colon = strchr(argv[a], ':');
		if (!colon || colon - argv[a] > 64)
			return 2;
		memcpy(devs[ndev].id, argv[a], (size_t)(colon - argv[a]));
		if (fxr_scram_cred_derive(&devs[ndev].cred, colon + 1, strlen(colon + 1), 4096,
					  NULL, 0))
			return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	alarm(55); /* a test peer never outlives its test */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		perror("relay_peer");
		return 1;
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *pf = fopen(tmp, "w");
	if (!pf)
		return 1;
	fprintf(pf, "%u\n", ntohs(sa.sin_port));
	fclose(pf);
	rename(tmp, argv[1]); /* the port file appears whole */
	for (int i = 0; i < MAX_CONN; i++)
		conns[i].fd = -1;

	while (!stop) {
		struct pollfd pfd[MAX_CONN + 1];
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < MAX_CONN; i++)
			pfd[i + 1] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		if (poll(pfd, MAX_CONN + 1, 1000) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			int k = 0;
			while (k < MAX_CONN && conns[k].fd >= 0)
				k++;
			if (fd >= 0 && k == MAX_CONN)
				close(fd);
			else if (fd >= 0) {
				memset(&conns[k], 0, sizeof(conns[k]));
				conns[k].fd = fd;
				conns[k].peer = -1;
				conns[k].dev = -1;
				conns[k].buf = malloc(2 * FXR_FRAME_MAX_LEN);
			}
		}
		for (int i = 0; i < MAX_CONN; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0 || !(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) ||
			    pfd[i + 1].fd != c->fd)
				continue;
			ssize_t n = recv(c->fd, c->buf + c->len, 2 * FXR_FRAME_MAX_LEN - c->len, 0);
			if (n <= 0) {
				drop(i);
				continue;
			}
			c->len += (size_t)n;
			size_t off = 0;
			for (;;) {
				struct fxr_msg m;
				enum fxr_malformed why;
				int k = fxr_frame_decode(c->buf + off, c->len - off, &m, &why);
				if (k == 0)
					break;
				if (k < 0 || on_frame(i, &m, c->buf + off, (size_t)k) < 0) {
					if (k < 0)
						send_status(c, FXR_T_ERROR, FXR_CODE_PROTOCOL, "malformed");
					drop(i);
					break;
				}
				off += (size_t)k;
			}
			if (c->fd >= 0) {
				memmove(c->buf, c->buf + off, c->len - off);
				c->len -= off;
			}
		}
	}
	return 0;
}
