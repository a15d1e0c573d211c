/* libfxr (device/): the client tested from the wire. The relay's side of DESIGN.md §2 is
 * played by this process on the other end of a socketpair (or a loopback TCP connection):
 * it reads the exact frames the library sends and answers with exact frames, including the
 * server half of SCRAM (engine/scram) with a credential derived here. Time is a fake clock
 * passed to fxr_client_tick(); waits on the relay side are bounded by poll() timeouts that
 * only a broken library would reach. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fxr/client.h"
#include "fxr/code-t.h"
#include "fxr/device.h"
#include "fxr/frame.h"
#include "fxr/scram.h"
#include "fxr/wire.h"

#define DEV_ID   "fax-a"
#define DEV_PW   "correct horse"
#define WAIT_MS  5000 /* a bound for failure only: every wait normally ends at once */

/* The relay's end of one connection. */
struct relay {
	int fd;
	uint8_t buf[2 * FXR_FRAME_MAX_LEN];
	size_t len;
	uint8_t frame[FXR_FRAME_MAX_LEN]; /* last frame received, whole */
	size_t frame_len;
	struct fxr_scram_cred cred;
	struct fxr_scram_server srv;
};

struct fx {
	struct fxr_client c;
	struct relay r;
};

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

static void relay_write(struct relay *r, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(r->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLOUT };
			assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
			continue;
		}
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static size_t encode(const struct fxr_msg *m, uint8_t *out, size_t cap)
{
	int n = fxr_frame_encode(m, out, cap);
	assert_true(n > 0);
	return (size_t)n;
}

static void relay_send(struct relay *r, const struct fxr_msg *m)
{
	uint8_t out[FXR_FRAME_MAX_LEN];
	relay_write(r, out, encode(m, out, sizeof(out)));
}

/* Reads one whole frame sent by the client into r->frame and decodes it into *m (views into
 * r->frame). The client wrote it already (operations flush at once), so this never waits
 * for long. */
static void relay_recv(struct fx *f, struct fxr_msg *m)
{
	struct relay *r = &f->r;
	for (int rounds = 0; rounds < 10000; rounds++) {
		enum fxr_malformed why;
		int n = fxr_frame_decode(r->buf, r->len, m, &why);
		assert_true(n >= 0);
		if (n > 0) {
			memcpy(r->frame, r->buf, (size_t)n);
			r->frame_len = (size_t)n;
			memmove(r->buf, r->buf + n, r->len - (size_t)n);
			r->len -= (size_t)n;
			assert_int_equal(fxr_frame_decode(r->frame, r->frame_len, m, &why), n);
			return;
		}
		fxr_client_on_writable(&f->c); /* whatever is still queued */
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
		ssize_t got = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
		assert_true(got > 0);
		r->len += (size_t)got;
	}
	fail_msg("no frame from the client");
}

/* True when the client has sent nothing more (nothing buffered, nothing readable). */
static bool relay_quiet(struct relay *r)
{
	if (r->len)
		return false;
	ssize_t got = recv(r->fd, r->buf, sizeof(r->buf), MSG_DONTWAIT);
	if (got > 0) {
		r->len = (size_t)got;
		return false;
	}
	return true;
}

/* True when the client closed its end (EOF seen by the relay). */
static bool relay_sees_eof(struct relay *r)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	uint8_t tmp[256];
	for (int i = 0; i < 1000; i++) {
		ssize_t got = recv(r->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (got == 0)
			return true;
		if (got < 0)
			return errno == ECONNRESET;
	}
	return false;
}

/* Reads what arrived and returns the next event (1) or 0 when there is none. */
static int client_event(struct fx *f, struct fxr_client_event *ev)
{
	fxr_client_on_readable(&f->c);
	return fxr_client_next_event(&f->c, ev);
}

static void expect_event(struct fx *f, struct fxr_client_event *ev, uint8_t type)
{
	int rc = client_event(f, ev);
	if (rc != 1 || ev->type != type)
		fail_msg("expected %s, got %s (rc %d, reason '%s')", fxr_client_ev_name(type),
			 rc ? fxr_client_ev_name(ev->type) : "nothing", rc,
			 fxr_client_reason(&f->c));
}

static void expect_no_event(struct fx *f)
{
	struct fxr_client_event ev;
	int rc = client_event(f, &ev);
	if (rc)
		fail_msg("unexpected event %s", fxr_client_ev_name(ev.type));
}

static void fx_open(struct fx *f, const struct fxr_client_config *cfg)
{
	memset(f, 0, sizeof(*f));
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fxr_client_init(&f->c, cfg), 0);
	assert_int_equal(fxr_client_adopt(&f->c, sv[0]), 0);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_CONNECTING);
	f->r.fd = sv[1];
	set_nonblock(f->r.fd);
	assert_int_equal(fxr_scram_cred_derive(&f->r.cred, DEV_PW, strlen(DEV_PW), 4096, NULL, 0),
			 0);
}

static void fx_close(struct fx *f)
{
	fxr_client_fini(&f->c);
	if (f->r.fd >= 0)
		close(f->r.fd);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fx_open(f, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	free(f);
	return 0;
}

/* Relay side of the SCRAM exchange up to the challenge; returns the challenge text. */
static void relay_auth_start(struct fx *f)
{
	struct fxr_msg m;
	char err[128];
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_AUTH_START);
	/* exactly "n,,n=<id>,r=<nonce>" with the library's 24-character nonce */
	const char *prefix = "n,,n=" DEV_ID ",r=";
	assert_int_equal(m.u.auth.len, strlen(prefix) + FXR_SCRAM_NONCE_GEN);
	assert_memory_equal(m.u.auth.p, prefix, strlen(prefix));
	for (size_t i = strlen(prefix); i < m.u.auth.len; i++)
		assert_true(m.u.auth.p[i] > 0x20 && m.u.auth.p[i] < 0x7f && m.u.auth.p[i] != ',');
	fxr_scram_server_init(&f->r.srv);
	assert_int_equal(fxr_scram_server_first(&f->r.srv, (const char *)m.u.auth.p, m.u.auth.len,
						err, sizeof(err)), 0);
	assert_string_equal(f->r.srv.id, DEV_ID);
}

static void relay_challenge(struct fx *f)
{
	char out[FXR_SCRAM_MSG_MAX + 1], err[128];
	int n = fxr_scram_server_challenge(&f->r.srv, &f->r.cred, true, NULL, 0, out,
					   sizeof(out), err, sizeof(err));
	assert_true(n > 0);
	struct fxr_msg m = { .type = FXR_T_AUTH_CHALLENGE,
			     .u.auth = { .p = (const uint8_t *)out, .len = (uint16_t)n } };
	relay_send(&f->r, &m);
}

/* Reads AUTH_PROOF, checks it with the real server half and returns server-final. */
static int relay_proof(struct fx *f, char *out, size_t cap)
{
	struct fxr_msg m;
	char err[128];
	expect_no_event(f); /* AUTH_CHALLENGE makes no event: the proof goes out */
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_AUTH_PROOF);
	int n = fxr_scram_server_final(&f->r.srv, (const char *)m.u.auth.p, m.u.auth.len, out,
				       cap, err, sizeof(err));
	if (n < 0)
		fail_msg("server refused the proof: %s", err);
	return n;
}

static void relay_auth_ok(struct fx *f, const char *final, size_t n)
{
	struct fxr_msg m = { .type = FXR_T_AUTH_OK,
			     .u.auth_ok = { .keepalive_s = 30, .idle_timeout_s = 90,
					    .server_final = { .p = (const uint8_t *)final,
							      .len = (uint16_t)n } } };
	relay_send(&f->r, &m);
}

static void login(struct fx *f)
{
	struct fxr_client_event ev;
	char final[FXR_SCRAM_MSG_MAX + 1];
	assert_int_equal(fxr_client_login(&f->c, DEV_ID, DEV_PW, strlen(DEV_PW)), 0);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_AUTHENTICATING);
	relay_auth_start(f);
	relay_challenge(f);
	int n = relay_proof(f, final, sizeof(final));
	relay_auth_ok(f, final, (size_t)n);
	expect_event(f, &ev, FXR_CLIENT_EV_LOGGED_IN);
	assert_int_equal(ev.keepalive_s, 30);
	assert_int_equal(ev.idle_timeout_s, 90);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
}

static void expect_closed(struct fx *f, int err, uint16_t code)
{
	struct fxr_client_event ev;
	expect_event(f, &ev, FXR_CLIENT_EV_CLOSED);
	assert_int_equal(ev.err, err);
	assert_int_equal(ev.code, code);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_CLOSED);
	assert_int_equal(fxr_client_fd(&f->c), -1);
	assert_int_equal(fxr_client_next_event(&f->c, &ev), 0);
}

/* ---- login ---- */

static void test_login_ok(void **state)
{
	struct fx *f = *state;
	login(f);
	assert_int_equal(f->r.srv.state, FXR_SCRAM_ST_DONE);
	assert_true(relay_quiet(&f->r));
	/* a second login on the same connection is refused locally */
	assert_int_equal(fxr_client_login(&f->c, DEV_ID, DEV_PW, strlen(DEV_PW)), -EPROTO);
}

static void test_login_over_tcp(void **state)
{
	(void)state;
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);

	assert_int_equal(fxr_client_init(&f->c, NULL), 0);
	assert_int_equal(fxr_client_connect(&f->c, "127.0.0.1", ntohs(sa.sin_port)), 0);
	/* login is queued before TCP is up, and goes out when it is */
	assert_int_equal(fxr_client_login(&f->c, DEV_ID, DEV_PW, strlen(DEV_PW)), 0);
	f->r.fd = accept(lfd, NULL, NULL);
	assert_true(f->r.fd >= 0);
	set_nonblock(f->r.fd);
	struct pollfd pfd = { .fd = fxr_client_fd(&f->c), .events = POLLOUT };
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	fxr_client_on_writable(&f->c);
	assert_false(fxr_client_wants_write(&f->c));
	int one = 0;
	socklen_t ol = sizeof(one);
	assert_int_equal(getsockopt(fxr_client_fd(&f->c), IPPROTO_TCP, TCP_NODELAY, &one, &ol), 0);
	assert_int_equal(one, 1);

	assert_int_equal(fxr_scram_cred_derive(&f->r.cred, DEV_PW, strlen(DEV_PW), 4096, NULL, 0),
			 0);
	char final[FXR_SCRAM_MSG_MAX + 1];
	struct fxr_client_event ev;
	relay_auth_start(f);
	relay_challenge(f);
	int n = relay_proof(f, final, sizeof(final));
	relay_auth_ok(f, final, (size_t)n);
	/* the blocking layer this time */
	assert_int_equal(fxr_client_wait_event(&f->c, &ev, WAIT_MS), 1);
	assert_int_equal(ev.type, FXR_CLIENT_EV_LOGGED_IN);
	close(lfd);
	fx_close(f);
	free(f);
}

static void test_connect_refused(void **state)
{
	(void)state;
	struct fxr_client c;
	struct fxr_client_event ev;
	/* a port nobody listens on: take one from the kernel, then close it */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	close(lfd);
	assert_int_equal(fxr_client_init(&c, NULL), 0);
	int rc = fxr_client_connect(&c, "127.0.0.1", ntohs(sa.sin_port));
	if (rc == 0) {
		assert_int_equal(fxr_client_wait_event(&c, &ev, WAIT_MS), 1);
		assert_int_equal(ev.type, FXR_CLIENT_EV_CLOSED);
		assert_int_equal(ev.err, -ECONNREFUSED);
	} else {
		assert_int_equal(rc, -ECONNREFUSED);
	}
	assert_int_equal(fxr_client_state(&c), FXR_CLIENT_CLOSED);
	fxr_client_fini(&c);
}

static void test_login_bad_server_signature(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	char final[FXR_SCRAM_MSG_MAX + 1];
	assert_int_equal(fxr_client_login(&f->c, DEV_ID, DEV_PW, strlen(DEV_PW)), 0);
	relay_auth_start(f);
	relay_challenge(f);
	int n = relay_proof(f, final, sizeof(final));
	/* a relay that does not know the ServerKey: one signature byte changed */
	final[2] = final[2] == 'A' ? 'B' : 'A';
	relay_auth_ok(f, final, (size_t)n);
	expect_event(f, &ev, FXR_CLIENT_EV_AUTH_FAILED);
	assert_int_equal(ev.err, -EACCES);
	assert_int_equal(ev.code, 0);
	expect_closed(f, -EACCES, 0);
	assert_true(relay_sees_eof(&f->r));
}

static void test_login_downgrade(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	assert_int_equal(fxr_client_login(&f->c, DEV_ID, DEV_PW, strlen(DEV_PW)), 0);
	relay_auth_start(f);
	/* a server-first asking for 1000 iterations (RFC 7677 §4: at least 4096) */
	char s1[512];
	int n = snprintf(s1, sizeof(s1), "r=%.*sSERVERNONCE,s=c2FsdHNhbHRzYWx0,i=1000",
			 (int)f->r.srv.cnonce_len, f->r.srv.nonce);
	struct fxr_msg m = { .type = FXR_T_AUTH_CHALLENGE,
			     .u.auth = { .p = (const uint8_t *)s1, .len = (uint16_t)n } };
	relay_send(&f->r, &m);
	expect_event(f, &ev, FXR_CLIENT_EV_AUTH_FAILED);
	assert_int_equal(ev.err, -EACCES);
	expect_closed(f, -EACCES, 0);
	/* no proof was sent: the relay sees the close and nothing else */
	assert_true(relay_quiet(&f->r));
	assert_true(relay_sees_eof(&f->r));
}

static void test_login_auth_fail(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	assert_int_equal(fxr_client_login(&f->c, DEV_ID, DEV_PW, strlen(DEV_PW)), 0);
	relay_auth_start(f);
	struct fxr_msg m = { .type = FXR_T_AUTH_FAIL,
			     .u.status = { .code = FXR_CODE_AUTH,
					   .text = { .p = (const uint8_t *)"bad\n", .len = 4 } } };
	relay_send(&f->r, &m);
	expect_event(f, &ev, FXR_CLIENT_EV_AUTH_FAILED);
	assert_int_equal(ev.code, FXR_CODE_AUTH);
	assert_int_equal(ev.err, -EACCES);
	assert_string_equal(ev.text, "bad?");
	expect_closed(f, -EACCES, FXR_CODE_AUTH);
}

/* ---- calls ---- */

static void test_call_connected(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	struct fxr_msg m;
	uint32_t req = 0;
	login(f);
	assert_int_equal(fxr_client_call(&f->c, "bad id!", &req), -EINVAL);
	assert_int_equal(fxr_client_call(&f->c, "fax-b", &req), 0);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_CALLING);
	relay_recv(f, &m);
	/* exact bytes: CONNECT, u32 req_id, str "fax-b" */
	uint8_t want[] = { 0x20, 0, 0, 10, 0, 0, 0, (uint8_t)req, 5, 'f', 'a', 'x', '-', 'b' };
	assert_int_equal(f->r.frame_len, sizeof(want));
	assert_memory_equal(f->r.frame, want, sizeof(want));
	assert_int_equal(fxr_client_call(&f->c, "fax-c", &req), -EPROTO);
	struct fxr_msg a = { .type = FXR_T_CONNECTED,
			     .u.call = { .id = req, .dev = (const uint8_t *)"fax-b", .dev_len = 5 } };
	relay_send(&f->r, &a);
	expect_event(f, &ev, FXR_CLIENT_EV_CONNECTED);
	assert_int_equal(ev.id, req);
	assert_string_equal(ev.peer, "fax-b");
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_PAIRED);
}

static void test_call_connect_fail_codes(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	struct fxr_msg m;
	const uint16_t codes[] = { FXR_CODE_NOT_FOUND, FXR_CODE_OFFLINE, FXR_CODE_BUSY,
				   FXR_CODE_REJECTED, FXR_CODE_FORBIDDEN, FXR_CODE_TIMEOUT,
				   FXR_CODE_UNREACHABLE, FXR_CODE_PEER_LOST, 999 };
	uint32_t last = 0;
	login(f);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint32_t req;
		assert_int_equal(fxr_client_call(&f->c, "fax-b", &req), 0);
		assert_true(req > last);
		last = req;
		relay_recv(f, &m);
		assert_int_equal(m.type, FXR_T_CONNECT);
		assert_int_equal(m.u.call.id, req);
		/* a reply for another request breaks the protocol; first the right one */
		struct fxr_msg r = { .type = FXR_T_CONNECT_FAIL,
				     .u.result = { .id = req, .code = codes[i] } };
		relay_send(&f->r, &r);
		expect_event(f, &ev, FXR_CLIENT_EV_CONNECT_FAILED);
		assert_int_equal(ev.id, req);
		assert_int_equal(ev.code, codes[i]);
		assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
	}
}

static void test_call_cancel_crossing(void **state)
{
	struct fx *f = *state;
	struct fxr_msg m;
	uint32_t req;
	login(f);
	assert_int_equal(fxr_client_call(&f->c, "fax-b", &req), 0);
	relay_recv(f, &m);
	assert_int_equal(fxr_client_cancel(&f->c, FXR_CODE_TIMEOUT), 0);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_CANCEL);
	assert_int_equal(m.u.result.id, req);
	assert_int_equal(m.u.result.code, FXR_CODE_TIMEOUT);
	/* the relay's CONNECT_FAIL crossed our CANCEL: dropped, still IDLE */
	struct fxr_msg r = { .type = FXR_T_CONNECT_FAIL,
			     .u.result = { .id = req, .code = FXR_CODE_TIMEOUT } };
	relay_send(&f->r, &r);
	expect_no_event(f);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
	/* a CONNECT_FAIL for a request never made is a protocol error */
	r.u.result.id = req + 100;
	relay_send(&f->r, &r);
	expect_closed(f, -EPROTO, FXR_CODE_PROTOCOL);
}

static void test_incoming_cancelled(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	login(f);
	struct fxr_msg in = { .type = FXR_T_INCOMING,
			      .u.call = { .id = 9, .dev = (const uint8_t *)"fax-b", .dev_len = 5 } };
	relay_send(&f->r, &in);
	expect_event(f, &ev, FXR_CLIENT_EV_INCOMING);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_RINGING);
	/* a CANCEL for another call is ignored, as the relay does */
	struct fxr_msg c = { .type = FXR_T_CANCEL, .u.result = { .id = 8, .code = 6 } };
	relay_send(&f->r, &c);
	expect_no_event(f);
	c.u.result.id = 9;
	relay_send(&f->r, &c);
	expect_event(f, &ev, FXR_CLIENT_EV_CANCELLED);
	assert_int_equal(ev.id, 9);
	assert_int_equal(ev.code, 6);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
	assert_int_equal(fxr_client_accept(&f->c, 9), -EPROTO);

	/* ring again, reject */
	struct fxr_msg m;
	in.u.call.id = 10;
	relay_send(&f->r, &in);
	expect_event(f, &ev, FXR_CLIENT_EV_INCOMING);
	assert_int_equal(fxr_client_reject(&f->c, 11, FXR_CODE_BUSY), -ENOENT);
	assert_int_equal(fxr_client_reject(&f->c, 10, FXR_CODE_BUSY), 0);
	relay_recv(f, &m);
	uint8_t want[] = { 0x23, 0, 0, 6, 0, 0, 0, 10, 0, 3 };
	assert_int_equal(f->r.frame_len, sizeof(want));
	assert_memory_equal(f->r.frame, want, sizeof(want));
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
}

/* What the relay relays to the client in the split test: three frames. */
static size_t data_stream(uint8_t *out, size_t cap)
{
	size_t n = 0;
	struct fxr_msg d1 = { .type = FXR_T_DATA, .u.opaque = { .p = (const uint8_t *)"page", .len = 4 } };
	struct fxr_msg d0 = { .type = FXR_T_DATA };
	struct fxr_msg ka = { .type = FXR_T_KEEPALIVE_ACK,
			      .u.opaque = { .p = (const uint8_t *)"k", .len = 1 } };
	n += encode(&d1, out + n, cap - n);
	n += encode(&d0, out + n, cap - n);
	n += encode(&ka, out + n, cap - n);
	n += encode(&d1, out + n, cap - n);
	return n;
}

static void test_incoming_accept_data(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	struct fxr_msg m;
	login(f);
	struct fxr_msg in = { .type = FXR_T_INCOMING,
			      .u.call = { .id = 0x01020304, .dev = (const uint8_t *)"fax-b",
					  .dev_len = 5 } };
	relay_send(&f->r, &in);
	expect_event(f, &ev, FXR_CLIENT_EV_INCOMING);
	assert_int_equal(ev.id, 0x01020304);
	assert_string_equal(ev.peer, "fax-b");
	assert_int_equal(fxr_client_accept(&f->c, 0x01020304), 0);
	relay_recv(f, &m);
	uint8_t want[] = { 0x22, 0, 0, 4, 1, 2, 3, 4 };
	assert_int_equal(f->r.frame_len, sizeof(want));
	assert_memory_equal(f->r.frame, want, sizeof(want));
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_PAIRED);

	/* device -> relay: 70000 bytes go as DATA 65535 + DATA 4465 */
	static uint8_t big[70000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(fxr_client_send_data(&f->c, big, sizeof(big)), sizeof(big));
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_DATA);
	assert_int_equal(m.u.opaque.len, 65535);
	assert_memory_equal(m.u.opaque.p, big, 65535);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_DATA);
	assert_int_equal(m.u.opaque.len, 70000 - 65535);
	assert_memory_equal(m.u.opaque.p, big + 65535, 70000 - 65535);

	/* relay -> device: the stream split at every byte position still decodes */
	uint8_t stream[64];
	size_t len = data_stream(stream, sizeof(stream));
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t types[8];
		size_t ntypes = 0, bytes = 0;
		relay_write(&f->r, stream, cut);
		for (int k = 0; k < 8 && client_event(f, &ev); k++) {
			types[ntypes++] = ev.type;
			bytes += ev.len;
		}
		relay_write(&f->r, stream + cut, len - cut);
		for (int k = 0; k < 8 && client_event(f, &ev); k++) {
			assert_true(ntypes < 8);
			types[ntypes++] = ev.type;
			bytes += ev.len;
			if (ev.type == FXR_CLIENT_EV_DATA && ev.len)
				assert_memory_equal(ev.data, "page", 4);
		}
		assert_int_equal(ntypes, 4);
		assert_int_equal(types[0], FXR_CLIENT_EV_DATA);
		assert_int_equal(types[1], FXR_CLIENT_EV_DATA);
		assert_int_equal(types[2], FXR_CLIENT_EV_KEEPALIVE_ACK);
		assert_int_equal(types[3], FXR_CLIENT_EV_DATA);
		assert_int_equal(bytes, 4 + 0 + 1 + 4);
	}

	/* END both ways, RELEASE, RELEASED */
	struct fxr_msg end = { .type = FXR_T_END, .u.end = { .reason = FXR_CODE_OK } };
	relay_send(&f->r, &end);
	expect_event(f, &ev, FXR_CLIENT_EV_END);
	assert_int_equal(ev.code, FXR_CODE_OK);
	assert_int_equal(fxr_client_end(&f->c, FXR_CODE_OK), 0);
	assert_int_equal(fxr_client_end(&f->c, FXR_CODE_OK), -EPROTO);
	assert_int_equal(fxr_client_send_data(&f->c, "x", 1), -EPROTO);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_END);
	assert_int_equal(m.u.end.reason, 0);
	assert_int_equal(fxr_client_release(&f->c), 0);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_RELEASE);
	assert_int_equal(f->r.frame_len, 4);
	struct fxr_msg rel = { .type = FXR_T_RELEASED };
	relay_send(&f->r, &rel);
	expect_event(f, &ev, FXR_CLIENT_EV_RELEASED);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
	/* idle again: a new call may start */
	uint32_t req;
	assert_int_equal(fxr_client_call(&f->c, "fax-b", &req), 0);
}

static void test_crossings(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	struct fxr_msg m;
	uint32_t req;
	login(f);
	/* our CANCEL crossed the relay's CONNECTED: the call is reported, and PAIRED */
	assert_int_equal(fxr_client_call(&f->c, "fax-b", &req), 0);
	relay_recv(f, &m);
	assert_int_equal(fxr_client_cancel(&f->c, FXR_CODE_OK), 0);
	relay_recv(f, &m);
	struct fxr_msg ok = { .type = FXR_T_CONNECTED,
			      .u.call = { .id = req, .dev = (const uint8_t *)"fax-b", .dev_len = 5 } };
	relay_send(&f->r, &ok);
	expect_event(f, &ev, FXR_CLIENT_EV_CONNECTED);
	assert_int_equal(ev.id, req);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_PAIRED);
	assert_int_equal(fxr_client_release(&f->c), 0);
	relay_recv(f, &m);
	struct fxr_msg rel = { .type = FXR_T_RELEASED };
	relay_send(&f->r, &rel);
	expect_event(f, &ev, FXR_CLIENT_EV_RELEASED);

	/* the relay's CANCEL crossed our ACCEPT: reported, IDLE again */
	struct fxr_msg in = { .type = FXR_T_INCOMING,
			      .u.call = { .id = 5, .dev = (const uint8_t *)"fax-b", .dev_len = 5 } };
	relay_send(&f->r, &in);
	expect_event(f, &ev, FXR_CLIENT_EV_INCOMING);
	assert_int_equal(fxr_client_accept(&f->c, 5), 0);
	relay_recv(f, &m);
	struct fxr_msg cancel = { .type = FXR_T_CANCEL,
				  .u.result = { .id = 5, .code = FXR_CODE_TIMEOUT } };
	relay_send(&f->r, &cancel);
	expect_event(f, &ev, FXR_CLIENT_EV_CANCELLED);
	assert_int_equal(ev.code, FXR_CODE_TIMEOUT);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);

	/* INCOMING crossing our CONNECT is dropped (the relay refuses the CONNECT) */
	assert_int_equal(fxr_client_call(&f->c, "fax-b", &req), 0);
	relay_recv(f, &m);
	in.u.call.id = 6;
	relay_send(&f->r, &in);
	expect_no_event(f);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_CALLING);
}

/* A caller that stops reading events stops the reading of the socket: the rx buffer stays
 * bounded, and everything arrives once events are read again. */
static void test_rx_backpressure(void **state)
{
	(void)state;
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct fxr_client_config cfg = { .rx_cap = FXR_FRAME_MAX_LEN };
	struct fxr_client_event ev;
	struct fxr_msg m;
	fx_open(f, &cfg);
	login(f);
	struct fxr_msg in = { .type = FXR_T_INCOMING,
			      .u.call = { .id = 1, .dev = (const uint8_t *)"fax-b", .dev_len = 5 } };
	relay_send(&f->r, &in);
	expect_event(f, &ev, FXR_CLIENT_EV_INCOMING);
	assert_int_equal(fxr_client_accept(&f->c, 1), 0);
	relay_recv(f, &m);
	static uint8_t page[FXR_FRAME_MAX_PAYLOAD];
	struct fxr_msg d = { .type = FXR_T_DATA, .u.opaque = { .p = page, .len = sizeof(page) } };
	for (int k = 0; k < 3; k++) {
		memset(page, 'a' + k, sizeof(page));
		relay_send(&f->r, &d);
	}
	/* one read fills the buffer (the INCOMING frame, 14 bytes, is still in it: its event
	 * was the last one read); then it wants no more until an event is read */
	assert_int_equal(fxr_client_on_readable(&f->c), FXR_FRAME_MAX_LEN - 14);
	assert_false(fxr_client_wants_read(&f->c));
	assert_int_equal(fxr_client_on_readable(&f->c), 0);
	/* reading the next event retires the INCOMING frame and makes room, but the DATA frame
	 * is not whole yet: nothing until the socket is read again (poll says readable) */
	assert_int_equal(fxr_client_next_event(&f->c, &ev), 0);
	assert_true(fxr_client_wants_read(&f->c));
	/* the documented loop: read, then drain the events */
	size_t total = 0;
	int got = 0;
	for (int round = 0; round < 8 && got < 3; round++) {
		fxr_client_on_readable(&f->c);
		while (fxr_client_next_event(&f->c, &ev) > 0) {
			assert_int_equal(ev.type, FXR_CLIENT_EV_DATA);
			assert_int_equal(ev.len, FXR_FRAME_MAX_PAYLOAD);
			assert_int_equal(ev.data[0], 'a' + got);
			assert_int_equal(ev.data[ev.len - 1], 'a' + got);
			total += ev.len;
			got++;
		}
	}
	assert_int_equal(total, 3 * FXR_FRAME_MAX_PAYLOAD);
	expect_no_event(f);
	fx_close(f);
	free(f);
}

/* ---- timers ---- */

static void test_keepalive_tick(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	struct fxr_msg m;
	login(f);
	assert_int_equal(fxr_client_tick(&f->c, 1000), 30000);
	assert_int_equal(fxr_client_tick(&f->c, 30999), 1);
	assert_true(relay_quiet(&f->r));
	assert_int_equal(fxr_client_tick(&f->c, 31000), 30000);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_KEEPALIVE);
	assert_int_equal(m.u.opaque.len, 8);
	uint8_t echo[8];
	memcpy(echo, m.u.opaque.p, 8);
	struct fxr_msg ack = { .type = FXR_T_KEEPALIVE_ACK, .u.opaque = { .p = echo, .len = 8 } };
	relay_send(&f->r, &ack);
	expect_event(f, &ev, FXR_CLIENT_EV_KEEPALIVE_ACK);
	assert_int_equal(ev.len, 8);
	assert_memory_equal(ev.data, echo, 8);
	/* the ACK counts as traffic: the idle clock restarts at this tick */
	fxr_client_tick(&f->c, 40000);
	fxr_client_tick(&f->c, 61000);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_KEEPALIVE);
	assert_memory_not_equal(m.u.opaque.p, echo, 8);
	fxr_client_tick(&f->c, 129999);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
}

static void test_idle_timeout(void **state)
{
	struct fx *f = *state;
	login(f);
	fxr_client_tick(&f->c, 1000);
	fxr_client_tick(&f->c, 90999);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_IDLE);
	expect_no_event(f);
	assert_int_equal(fxr_client_tick(&f->c, 91000), -1);
	expect_closed(f, -ETIMEDOUT, 0);
	assert_true(relay_sees_eof(&f->r));
}

static void test_login_timeout(void **state)
{
	struct fx *f = *state;
	assert_int_equal(fxr_client_login(&f->c, DEV_ID, DEV_PW, strlen(DEV_PW)), 0);
	assert_int_equal(fxr_client_tick(&f->c, 500), FXR_CLIENT_LOGIN_TIMEOUT_MS);
	fxr_client_tick(&f->c, 500 + FXR_CLIENT_LOGIN_TIMEOUT_MS - 1);
	assert_int_equal(fxr_client_state(&f->c), FXR_CLIENT_AUTHENTICATING);
	fxr_client_tick(&f->c, 500 + FXR_CLIENT_LOGIN_TIMEOUT_MS);
	expect_closed(f, -ETIMEDOUT, 0);
}

/* ---- list, bye, errors ---- */

static void test_list_more(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	struct fxr_msg m;
	uint32_t req;
	login(f);
	assert_int_equal(fxr_client_list(&f->c, &req), 0);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_LIST);
	assert_int_equal(m.u.ref.id, req);
	struct fxr_list_entry e1[] = { { (const uint8_t *)"fax-b", 5, FXR_LIST_IDLE },
				       { (const uint8_t *)"fax-c", 5, FXR_LIST_BUSY } };
	struct fxr_list_entry e2[] = { { (const uint8_t *)"gw.pstn", 7, FXR_LIST_IDLE } };
	struct fxr_msg r1 = { .type = FXR_T_LIST_RESULT, .flags = FXR_FLAG_MORE,
			      .u.list = { .req_id = req, .n = 2, .entries = e1 } };
	struct fxr_msg r2 = { .type = FXR_T_LIST_RESULT,
			      .u.list = { .req_id = req, .n = 1, .entries = e2 } };
	relay_send(&f->r, &r1);
	const char *ids[] = { "fax-b", "fax-c", "gw.pstn" };
	const uint8_t st[] = { 1, 2, 1 };
	for (int i = 0; i < 2; i++) {
		expect_event(f, &ev, FXR_CLIENT_EV_LIST_ENTRY);
		assert_string_equal(ev.peer, ids[i]);
		assert_int_equal(ev.list_state, st[i]);
		assert_int_equal(ev.id, req);
	}
	expect_no_event(f); /* MORE: not done yet */
	relay_send(&f->r, &r2);
	expect_event(f, &ev, FXR_CLIENT_EV_LIST_ENTRY);
	assert_string_equal(ev.peer, ids[2]);
	assert_int_equal(ev.list_state, st[2]);
	expect_event(f, &ev, FXR_CLIENT_EV_LIST_DONE);
	assert_int_equal(ev.count, 3);
	assert_int_equal(ev.id, req);
	/* an empty last frame closes a list too */
	assert_int_equal(fxr_client_list(&f->c, &req), 0);
	relay_recv(f, &m);
	struct fxr_msg r3 = { .type = FXR_T_LIST_RESULT, .u.list = { .req_id = req, .n = 0 } };
	relay_send(&f->r, &r3);
	expect_event(f, &ev, FXR_CLIENT_EV_LIST_DONE);
	assert_int_equal(ev.count, 0);
}

static void test_bye(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	struct fxr_msg m;
	login(f);
	assert_int_equal(fxr_client_logout(&f->c), 0);
	relay_recv(f, &m);
	assert_int_equal(m.type, FXR_T_LOGOUT);
	struct fxr_msg bye = { .type = FXR_T_BYE,
			       .u.status = { .code = FXR_CODE_LOGGED_OUT,
					     .text = { .p = (const uint8_t *)"bye", .len = 3 } } };
	relay_send(&f->r, &bye);
	close(f->r.fd); /* the relay closes right after: the BYE is still reported first */
	f->r.fd = -1;
	expect_event(f, &ev, FXR_CLIENT_EV_BYE);
	assert_int_equal(ev.code, FXR_CODE_LOGGED_OUT);
	assert_string_equal(ev.text, "bye");
	expect_closed(f, 0, FXR_CODE_LOGGED_OUT);
}

static void test_error_frame(void **state)
{
	struct fx *f = *state;
	struct fxr_client_event ev;
	login(f);
	struct fxr_msg er = { .type = FXR_T_ERROR,
			      .u.status = { .code = FXR_CODE_PROTOCOL,
					    .text = { .p = (const uint8_t *)"no", .len = 2 } } };
	relay_send(&f->r, &er);
	expect_event(f, &ev, FXR_CLIENT_EV_ERROR);
	assert_int_equal(ev.code, FXR_CODE_PROTOCOL);
	assert_string_equal(ev.text, "no");
	expect_closed(f, -EPROTO, FXR_CODE_PROTOCOL);
	/* closed: operations say so */
	assert_int_equal(fxr_client_list(&f->c, NULL), -ENOTCONN);
}

static void test_relay_misbehaves(void **state)
{
	struct fx *f = *state;
	/* unknown frame type: malformed from the header alone */
	login(f);
	uint8_t junk[] = { 0x99, 0, 0, 0 };
	relay_write(&f->r, junk, sizeof(junk));
	expect_closed(f, -EBADMSG, FXR_CODE_PROTOCOL);
	fx_close(f);

	/* a frame not allowed in the state */
	fx_open(f, NULL);
	login(f);
	struct fxr_msg rel = { .type = FXR_T_RELEASED };
	relay_send(&f->r, &rel);
	expect_closed(f, -EPROTO, FXR_CODE_PROTOCOL);
	fx_close(f);

	/* a device-to-relay frame */
	fx_open(f, NULL);
	login(f);
	struct fxr_msg lo = { .type = FXR_T_LOGOUT };
	relay_send(&f->r, &lo);
	expect_closed(f, -EPROTO, FXR_CODE_PROTOCOL);
	fx_close(f);

	/* the relay goes away in the middle of a frame */
	fx_open(f, NULL);
	login(f);
	uint8_t half[] = { FXR_T_DATA, 0, 0, 10, 'a' };
	relay_write(&f->r, half, sizeof(half));
	close(f->r.fd);
	f->r.fd = -1;
	expect_closed(f, -ECONNRESET, 0);
}

static void test_tx_full(void **state)
{
	(void)state;
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct fxr_client_config cfg = { .tx_cap = 4096 };
	fx_open(f, &cfg);
	login(f);
	struct fxr_msg in = { .type = FXR_T_INCOMING,
			      .u.call = { .id = 1, .dev = (const uint8_t *)"fax-b", .dev_len = 5 } };
	struct fxr_client_event ev;
	relay_send(&f->r, &in);
	expect_event(f, &ev, FXR_CLIENT_EV_INCOMING);
	assert_int_equal(fxr_client_accept(&f->c, 1), 0);
	struct fxr_msg m;
	relay_recv(f, &m);

	/* the relay stops reading: the socket fills, then the 4 KiB tx buffer */
	static uint8_t chunk[1000];
	long rc = 0;
	int i;
	for (i = 0; i < 100000; i++) {
		rc = fxr_client_send_data(&f->c, chunk, sizeof(chunk));
		if (rc != (long)sizeof(chunk))
			break;
	}
	assert_true(i < 100000);
	/* a partial prefix first (whole frames), then nothing fits */
	if (rc > 0)
		rc = fxr_client_send_data(&f->c, chunk, sizeof(chunk));
	assert_int_equal(rc, -ENOBUFS);
	assert_true(fxr_client_tx_pending(&f->c) > 4096 - 5);
	assert_true(fxr_client_wants_write(&f->c));
	assert_int_equal(fxr_client_end(&f->c, 0), -ENOBUFS);
	/* the relay reads: room again */
	uint8_t sink[65536];
	for (int k = 0; k < 1000 && fxr_client_wants_write(&f->c); k++) {
		ssize_t got = recv(f->r.fd, sink, sizeof(sink), MSG_DONTWAIT);
		(void)got;
		fxr_client_on_writable(&f->c);
	}
	assert_false(fxr_client_wants_write(&f->c));
	assert_int_equal(fxr_client_send_data(&f->c, chunk, sizeof(chunk)), sizeof(chunk));
	fx_close(f);
	free(f);
}

/* ---- back-off and spare connections ---- */

static void test_backoff_sequence(void **state)
{
	(void)state;
	struct fxr_backoff a, b;
	fxr_backoff_init(&a, 100, 1000, 42);
	fxr_backoff_init(&b, 100, 1000, 42);
	const uint32_t base[] = { 100, 200, 400, 800, 1000, 1000, 1000 };
	bool differs = false;
	uint32_t first[7];
	for (int i = 0; i < 7; i++) {
		uint32_t d = fxr_backoff_next(&a);
		first[i] = d;
		assert_true(d >= base[i] / 2 && d <= base[i]);
		assert_int_equal(fxr_backoff_next(&b), d); /* same seed, same sequence */
	}
	fxr_backoff_reset(&a);
	uint32_t d = fxr_backoff_next(&a);
	assert_true(d >= 50 && d <= 100);
	struct fxr_backoff c;
	fxr_backoff_init(&c, 100, 1000, 43);
	for (int i = 0; i < 7; i++)
		differs |= fxr_backoff_next(&c) != first[i];
	assert_true(differs);
}

struct opener {
	int fails_left;
	unsigned calls;
	uint64_t *now;
	uint64_t at[16];
	int relay_fd;
};

static int test_open(void *arg, unsigned idx, struct fxr_client *c)
{
	struct opener *o = arg;
	assert_int_equal(idx, 0);
	assert_true(o->calls < 16);
	o->at[o->calls++] = *o->now;
	if (o->fails_left > 0) {
		o->fails_left--;
		return -ECONNREFUSED;
	}
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o->relay_fd = sv[1];
	return fxr_client_adopt(c, sv[0]);
}

static void test_device_reconnect(void **state)
{
	(void)state;
	struct fxr_device *d = calloc(1, sizeof(*d));
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(d);
	assert_non_null(f);
	uint64_t now = 0;
	struct opener o = { .fails_left = 3, .now = &now, .relay_fd = -1 };
	struct fxr_device_config cfg = { .id = DEV_ID, .password = DEV_PW, .pw_len = strlen(DEV_PW),
					 .nconn = 1, .backoff_min_ms = 100, .backoff_max_ms = 1000,
					 .seed = 7, .open = test_open, .open_arg = &o };
	assert_int_equal(fxr_device_init(d, &cfg), 0);
	/* the same stream the device uses for connection 0 */
	struct fxr_backoff ref;
	fxr_backoff_init(&ref, 100, 1000, 7 + 0x9E3779B97F4A7C15ULL);

	/* three refused attempts, each exactly when its back-off ends */
	int next = fxr_device_tick(d, now);
	assert_int_equal(o.calls, 1);
	for (unsigned k = 1; k <= 3; k++) {
		uint32_t delay = fxr_backoff_next(&ref);
		assert_int_equal(next, delay);
		now += delay - 1;
		fxr_device_tick(d, now);
		assert_int_equal(o.calls, k); /* not a millisecond early */
		now += 1;
		next = fxr_device_tick(d, now);
		assert_int_equal(o.calls, k + 1);
		assert_int_equal(o.at[k], now);
	}
	/* the fourth succeeded: log it in from the relay side */
	assert_int_equal(d->conn[0].losses, 3);
	struct fxr_client *c = fxr_device_client(d, 0);
	assert_int_equal(fxr_client_state(c), FXR_CLIENT_AUTHENTICATING);
	f->r.fd = o.relay_fd;
	set_nonblock(f->r.fd);
	assert_int_equal(fxr_scram_cred_derive(&f->r.cred, DEV_PW, strlen(DEV_PW), 4096, NULL, 0),
			 0);
	/* the relay_* helpers pump f->c; here the device's own client is driven instead */
	struct fxr_msg m;
	char err[128], out[FXR_SCRAM_MSG_MAX + 1];
	for (;;) { /* AUTH_START */
		enum fxr_malformed why;
		ssize_t got = recv(f->r.fd, f->r.buf + f->r.len, sizeof(f->r.buf) - f->r.len, 0);
		assert_true(got > 0);
		f->r.len += (size_t)got;
		if (fxr_frame_decode(f->r.buf, f->r.len, &m, &why) > 0)
			break;
	}
	assert_int_equal(m.type, FXR_T_AUTH_START);
	fxr_scram_server_init(&f->r.srv);
	assert_int_equal(fxr_scram_server_first(&f->r.srv, (const char *)m.u.auth.p, m.u.auth.len,
						err, sizeof(err)), 0);
	f->r.len = 0;
	relay_challenge(f);
	unsigned idx;
	struct fxr_client_event ev;
	struct pollfd pfd[FXR_DEVICE_MAX_CONN];
	unsigned np = fxr_device_pollfds(d, pfd, FXR_DEVICE_MAX_CONN);
	assert_int_equal(np, 1);
	assert_int_equal(poll(pfd, np, WAIT_MS), 1);
	fxr_device_on_poll(d, pfd, np);
	assert_int_equal(fxr_device_next_event(d, &idx, &ev), 0); /* the proof went out */
	struct pollfd rp = { .fd = f->r.fd, .events = POLLIN };
	assert_int_equal(poll(&rp, 1, WAIT_MS), 1);
	ssize_t got = recv(f->r.fd, f->r.buf, sizeof(f->r.buf), 0);
	assert_true(got > 0);
	enum fxr_malformed why;
	assert_int_equal(fxr_frame_decode(f->r.buf, (size_t)got, &m, &why), got);
	assert_int_equal(m.type, FXR_T_AUTH_PROOF);
	int n = fxr_scram_server_final(&f->r.srv, (const char *)m.u.auth.p, m.u.auth.len, out,
				       sizeof(out), err, sizeof(err));
	assert_true(n > 0);
	relay_auth_ok(f, out, (size_t)n);
	np = fxr_device_pollfds(d, pfd, FXR_DEVICE_MAX_CONN);
	assert_int_equal(poll(pfd, np, WAIT_MS), 1);
	fxr_device_on_poll(d, pfd, np);
	assert_int_equal(fxr_device_next_event(d, &idx, &ev), 1);
	assert_int_equal(ev.type, FXR_CLIENT_EV_LOGGED_IN);
	assert_int_equal(idx, 0);
	assert_int_equal(fxr_device_logged_in(d), 1);
	assert_int_equal(fxr_device_idle(d, &idx), 0);

	/* lost: the back-off starts again from the minimum */
	close(f->r.fd);
	f->r.fd = -1;
	np = fxr_device_pollfds(d, pfd, FXR_DEVICE_MAX_CONN);
	assert_int_equal(poll(pfd, np, WAIT_MS), 1);
	fxr_device_on_poll(d, pfd, np);
	now += 5;
	fxr_device_tick(d, now);
	assert_int_equal(fxr_device_next_event(d, &idx, &ev), 1);
	assert_int_equal(ev.type, FXR_CLIENT_EV_CLOSED);
	assert_int_equal(ev.err, -ECONNRESET);
	fxr_backoff_reset(&ref);
	uint32_t delay = fxr_backoff_next(&ref);
	assert_true(delay >= 50 && delay <= 100);
	assert_int_equal(fxr_device_tick(d, now), delay);
	now += delay;
	fxr_device_tick(d, now);
	assert_int_equal(o.calls, 5);
	assert_int_equal(o.at[4], now);
	close(o.relay_fd);
	/* stopped: no more attempts */
	fxr_client_close(fxr_device_client(d, 0));
	fxr_device_stop(d);
	fxr_device_tick(d, now + 1000000);
	assert_int_equal(o.calls, 5);
	fxr_device_fini(d);
	free(d);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_login_ok, setup, teardown),
		cmocka_unit_test(test_login_over_tcp),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test_setup_teardown(test_login_bad_server_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_downgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_auth_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_connect_fail_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_cancel_crossing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incoming_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incoming_accept_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crossings, setup, teardown),
		cmocka_unit_test(test_rx_backpressure),
		cmocka_unit_test_setup_teardown(test_keepalive_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bye, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_misbehaves, setup, teardown),
		cmocka_unit_test(test_tx_full),
		cmocka_unit_test(test_backoff_sequence),
		cmocka_unit_test(test_device_reconnect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
