/* libfxr: one device connection to an FXR/1 relay. Contract in fxr/client.h; the protocol
 * and the relay's states in docs/protocol.md. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fxr/client.h"
#include "fxr/code.h"
#include "fxr/compiler.h"
#include "fxr/devid.h"
#include "fxr/frame.h"
#include "fxr/scan.h"
#include "fxr/scram.h"
#include "fxr/wire.h"

static const char *const state_names[] = {
#define FXR_CLIENT_STATE_NAME(name, text) [FXR_CLIENT_##name] = text,
	FXR_CLIENT_STATE_LIST(FXR_CLIENT_STATE_NAME)
#undef FXR_CLIENT_STATE_NAME
};

static const char *const ev_names[] = {
#define FXR_CLIENT_EV_NAME(name, text) [FXR_CLIENT_EV_##name] = text,
	FXR_CLIENT_EV_LIST(FXR_CLIENT_EV_NAME)
#undef FXR_CLIENT_EV_NAME
};

const char *fxr_client_state_name(uint8_t state)
{
	return state < FXR_ARRAY_SIZE(state_names) ? state_names[state] : "unknown";
}

const char *fxr_client_ev_name(uint8_t type)
{
	return type < FXR_ARRAY_SIZE(ev_names) ? ev_names[type] : "unknown";
}

enum fxr_client_state fxr_client_state(const struct fxr_client *c)
{
	return (enum fxr_client_state)c->state;
}

const char *fxr_client_reason(const struct fxr_client *c)
{
	return c->reason;
}

size_t fxr_client_tx_pending(const struct fxr_client *c)
{
	return c->tx_wr - c->tx_rd;
}

int fxr_client_fd(const struct fxr_client *c)
{
	return c->fd;
}

__attribute__((format(printf, 3, 4)))
static int set_err(struct fxr_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return err;
}

static bool logged_in(const struct fxr_client *c)
{
	return c->state >= FXR_CLIENT_IDLE;
}

/* Copies wire text into a printable NUL-terminated string. */
static void copy_text(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	dst[n] = '\0';
}

/* ---- life cycle ---- */

int fxr_client_init(struct fxr_client *c, const struct fxr_client_config *cfg)
{
	struct fxr_client_config d = { 0 };
	if (cfg)
		d = *cfg;
	if (!d.rx_cap)
		d.rx_cap = FXR_CLIENT_RX_DEFAULT;
	if (!d.tx_cap)
		d.tx_cap = FXR_CLIENT_TX_DEFAULT;
	if (!d.login_timeout_ms)
		d.login_timeout_ms = FXR_CLIENT_LOGIN_TIMEOUT_MS;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (d.rx_cap < FXR_FRAME_MAX_LEN || d.tx_cap < 64)
		return set_err(c, -EINVAL, "buffer sizes too small");
	c->rx = malloc(d.rx_cap);
	c->tx = malloc(d.tx_cap);
	if (!c->rx || !c->tx) {
		free(c->rx);
		free(c->tx);
		c->rx = c->tx = NULL;
		return set_err(c, -ENOMEM, "out of memory");
	}
	c->rx_cap = d.rx_cap;
	c->tx_cap = d.tx_cap;
	c->login_timeout_ms = d.login_timeout_ms;
	return 0;
}

static void wipe_password(struct fxr_client *c)
{
	OPENSSL_cleanse(c->password, sizeof(c->password));
	c->pw_len = 0;
}

/* Resets everything that belongs to one TCP connection. */
static void reset_conn(struct fxr_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = FXR_CLIENT_CLOSED;
	c->tcp_up = c->end_sent = c->end_rcvd = c->release_sent = c->logout_sent = false;
	c->list_active = c->frame_ready = c->rx_seen = c->rearm = false;
	c->callee = c->paired_traffic = false;
	c->dead_err = 0;
	c->rx_rd = c->rx_wr = c->scan_pos = 0;
	c->tx_rd = c->tx_wr = 0;
	fxr_scan_init(&c->scan);
	c->ka_ms = FXR_CLIENT_KA_DEFAULT_S * 1000u;
	c->idle_ms = FXR_CLIENT_IDLE_DEFAULT_S * 1000u;
	fxr_scram_client_clear(&c->scram);
	wipe_password(c);
}

void fxr_client_close(struct fxr_client *c)
{
	reset_conn(c);
	c->evq_len = 0;
}

void fxr_client_fini(struct fxr_client *c)
{
	fxr_client_close(c);
	free(c->rx);
	free(c->tx);
	c->rx = c->tx = NULL;
}

static struct fxr_client_event *evq_push(struct fxr_client *c)
{
	/* The queue only holds closing events (one CLOSED, an AUTH_FAILED before it), so it
	 * cannot overflow; a bug would. */
	FXR_BUG_ON(c->evq_len >= FXR_CLIENT_EVQ_LEN);
	struct fxr_client_event *ev =
		&c->evq[(c->evq_head + c->evq_len++) % FXR_CLIENT_EVQ_LEN];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

/* Ends the connection here: the socket is closed and a CLOSED event queued with err, the
 * wire code (0 when none) and c->reason as its text. Returns err. */
static int fail(struct fxr_client *c, int err, uint16_t code)
{
	if (c->state == FXR_CLIENT_CLOSED && c->fd < 0)
		return err;
	reset_conn(c);
	struct fxr_client_event *ev = evq_push(c);
	ev->type = FXR_CLIENT_EV_CLOSED;
	ev->err = err;
	ev->code = code;
	snprintf(ev->text, sizeof(ev->text), "%s", c->reason);
	return err;
}

static int setup_socket(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	int one = 1;
	/* a socketpair is not TCP: TCP_NODELAY failing there is fine */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static void start_conn(struct fxr_client *c, int fd, bool up)
{
	reset_conn(c);
	c->evq_len = 0;
	c->fd = fd;
	c->tcp_up = up;
	c->state = FXR_CLIENT_CONNECTING;
	c->rearm = true;
	c->reason[0] = '\0';
}

int fxr_client_adopt(struct fxr_client *c, int fd)
{
	if (c->state != FXR_CLIENT_CLOSED)
		return set_err(c, -EISCONN, "client already connected");
	if (fd < 0)
		return set_err(c, -EINVAL, "bad fd");
	int rc = setup_socket(fd);
	if (rc)
		return set_err(c, rc, "fcntl: %s", strerror(-rc));
	start_conn(c, fd, true);
	return 0;
}

int fxr_client_connect(struct fxr_client *c, const char *host, uint16_t port)
{
	if (c->state != FXR_CLIENT_CLOSED)
		return set_err(c, -EISCONN, "client already connected");
	if (!host || !*host || !port)
		return set_err(c, -EINVAL, "no relay address");
	char serv[8];
	snprintf(serv, sizeof(serv), "%u", port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, serv, &hints, &res);
	if (gai)
		return set_err(c, -EHOSTUNREACH, "%s: %s", host, gai_strerror(gai));
	int rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		rc = setup_socket(fd);
		if (!rc && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
			rc = -errno;
		if (rc) {
			close(fd);
			continue;
		}
		start_conn(c, fd, false);
		break;
	}
	freeaddrinfo(res);
	if (rc)
		return set_err(c, rc, "connect %s:%u: %s", host, port, strerror(-rc));
	return 0;
}

/* ---- socket I/O ---- */

bool fxr_client_wants_write(const struct fxr_client *c)
{
	return c->fd >= 0 && !c->dead_err && (!c->tcp_up || c->tx_wr > c->tx_rd);
}

bool fxr_client_wants_read(const struct fxr_client *c)
{
	return c->fd >= 0 && !c->dead_err && (c->rx_rd > 0 || c->rx_wr < c->rx_cap);
}

/* Writes queued bytes until the socket pushes back. */
static int flush_tx(struct fxr_client *c)
{
	int total = 0;
	while (c->fd >= 0 && c->tcp_up && !c->dead_err && c->tx_rd < c->tx_wr) {
		ssize_t n = send(c->fd, c->tx + c->tx_rd, c->tx_wr - c->tx_rd, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* reported after the frames already received (a BYE, an ERROR) */
				c->dead_err = -errno;
				set_err(c, -errno, "send: %s", strerror(errno));
			}
			break;
		}
		c->tx_rd += (size_t)n;
		total += (int)n;
	}
	if (c->tx_rd == c->tx_wr)
		c->tx_rd = c->tx_wr = 0;
	return total;
}

int fxr_client_on_writable(struct fxr_client *c)
{
	if (c->fd < 0 || c->dead_err)
		return 0;
	if (!c->tcp_up) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr == EINPROGRESS || soerr == EALREADY)
			return 0;
		if (soerr) {
			set_err(c, -soerr, "connect: %s", strerror(soerr));
			fail(c, -soerr, 0);
			return 0;
		}
		c->tcp_up = true;
	}
	return flush_tx(c);
}

int fxr_client_on_readable(struct fxr_client *c)
{
	int total = 0;
	if (c->fd < 0 || c->dead_err)
		return 0;
	for (;;) {
		if (c->rx_wr == c->rx_cap && c->rx_rd > 0) {
			/* compact: the caller has read every event that viewed the old bytes */
			size_t keep = c->rx_wr - c->rx_rd;
			memmove(c->rx, c->rx + c->rx_rd, keep);
			c->scan_pos -= c->rx_rd;
			c->rx_wr = keep;
			c->rx_rd = 0;
		}
		if (c->rx_wr == c->rx_cap)
			break; /* full of unread frames: read the events first */
		ssize_t n = recv(c->fd, c->rx + c->rx_wr, c->rx_cap - c->rx_wr, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				c->dead_err = -errno;
				set_err(c, -errno, "recv: %s", strerror(errno));
			}
			break;
		}
		if (n == 0) {
			c->dead_err = -ECONNRESET;
			set_err(c, -ECONNRESET, "relay closed the connection");
			break;
		}
		c->tcp_up = true;
		c->rx_wr += (size_t)n;
		c->rx_seen = true;
		total += (int)n;
	}
	return total;
}

/* ---- frames out ---- */

/* Queues one encoded frame whole, or nothing (-ENOBUFS). */
static int queue_msg(struct fxr_client *c, const struct fxr_msg *m)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (c->tx_wr == c->tx_cap && c->tx_rd > 0) {
		memmove(c->tx, c->tx + c->tx_rd, c->tx_wr - c->tx_rd);
		c->tx_wr -= c->tx_rd;
		c->tx_rd = 0;
	}
	int n = fxr_frame_encode(m, c->tx + c->tx_wr, c->tx_cap - c->tx_wr);
	if (n == -ENOSPC && c->tx_rd > 0) {
		memmove(c->tx, c->tx + c->tx_rd, c->tx_wr - c->tx_rd);
		c->tx_wr -= c->tx_rd;
		c->tx_rd = 0;
		n = fxr_frame_encode(m, c->tx + c->tx_wr, c->tx_cap - c->tx_wr);
	}
	if (n == -ENOSPC)
		return set_err(c, -ENOBUFS, "tx buffer full (%zu bytes queued)",
			       c->tx_wr - c->tx_rd);
	if (n < 0)
		return set_err(c, n, "cannot encode %s", fxr_frame_type_name(m->type));
	c->tx_wr += (size_t)n;
	flush_tx(c);
	return 0;
}

static int queue_simple(struct fxr_client *c, uint8_t type)
{
	struct fxr_msg m = { .type = type };
	return queue_msg(c, &m);
}

/* ---- timers ---- */

int fxr_client_tick(struct fxr_client *c, uint64_t now_ms)
{
	c->now_ms = now_ms;
	if (c->fd < 0)
		return -1;
	if (c->rearm) {
		c->rearm = false;
		c->last_rx_ms = c->last_ka_ms = now_ms;
		c->deadline_ms = now_ms + c->login_timeout_ms;
	}
	if (c->rx_seen) {
		c->rx_seen = false;
		c->last_rx_ms = now_ms;
	}
	if (c->dead_err)
		return 0; /* CLOSED is waiting in next_event */
	if (!logged_in(c)) {
		if (now_ms >= c->deadline_ms) {
			set_err(c, -ETIMEDOUT, "%s timed out",
				c->tcp_up ? "login" : "connect");
			fail(c, -ETIMEDOUT, 0);
			return -1;
		}
		return (int)(c->deadline_ms - now_ms);
	}
	if (now_ms - c->last_rx_ms >= c->idle_ms) {
		set_err(c, -ETIMEDOUT, "relay lost: nothing received for %u ms", c->idle_ms);
		fail(c, -ETIMEDOUT, 0);
		return -1;
	}
	if (now_ms - c->last_ka_ms >= c->ka_ms) {
		uint8_t seq[8];
		c->ka_seq++;
		for (int i = 0; i < 8; i++)
			seq[i] = (uint8_t)(c->ka_seq >> (56 - 8 * i));
		struct fxr_msg m = { .type = FXR_T_KEEPALIVE,
				     .u.opaque = { .p = seq, .len = sizeof(seq) } };
		/* a full tx buffer means the relay is not reading: a keepalive would not help */
		(void)queue_msg(c, &m);
		c->last_ka_ms = now_ms;
	}
	uint64_t ka_at = c->last_ka_ms + c->ka_ms, idle_at = c->last_rx_ms + c->idle_ms;
	uint64_t next = ka_at < idle_at ? ka_at : idle_at;
	return next > now_ms ? (int)(next - now_ms) : 0;
}

/* ---- operations ---- */

int fxr_client_login(struct fxr_client *c, const char *id, const char *password,
		     size_t pw_len)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (c->state != FXR_CLIENT_CONNECTING)
		return set_err(c, -EPROTO, "login in state %s", fxr_client_state_name(c->state));
	if (!id || !fxr_devid_valid_cstr(id))
		return set_err(c, -EINVAL, "invalid device id");
	if (!password || pw_len == 0 || pw_len > FXR_SCRAM_PASSWORD_MAX)
		return set_err(c, -EINVAL, "password must be 1..%u bytes", FXR_SCRAM_PASSWORD_MAX);
	char first[FXR_SCRAM_MSG_MAX + 1], why[128];
	int n = fxr_scram_client_start(&c->scram, id, NULL, 0, first, sizeof(first), why,
				       sizeof(why));
	if (n < 0)
		return set_err(c, n, "scram: %s", why);
	struct fxr_msg m = { .type = FXR_T_AUTH_START,
			     .u.auth = { .p = (const uint8_t *)first, .len = (uint16_t)n } };
	int rc = queue_msg(c, &m);
	if (rc)
		return rc;
	snprintf(c->id, sizeof(c->id), "%s", id);
	memcpy(c->password, password, pw_len);
	c->pw_len = pw_len;
	c->state = FXR_CLIENT_AUTHENTICATING;
	return 0;
}

static uint32_t new_id(struct fxr_client *c)
{
	if (++c->next_id == 0)
		c->next_id = 1;
	return c->next_id;
}

int fxr_client_call(struct fxr_client *c, const char *dest, uint32_t *req_id)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (c->state != FXR_CLIENT_IDLE)
		return set_err(c, -EPROTO, "call in state %s", fxr_client_state_name(c->state));
	if (!dest || !fxr_devid_valid_cstr(dest))
		return set_err(c, -EINVAL, "invalid destination id");
	uint32_t id = c->next_id + 1 ? c->next_id + 1 : 1;
	struct fxr_msg m = { .type = FXR_T_CONNECT,
			     .u.call = { .id = id, .dev = (const uint8_t *)dest,
					 .dev_len = (uint8_t)strlen(dest) } };
	int rc = queue_msg(c, &m);
	if (rc)
		return rc;
	new_id(c);
	c->call_req = id;
	c->state = FXR_CLIENT_CALLING;
	snprintf(c->peer, sizeof(c->peer), "%s", dest);
	if (req_id)
		*req_id = id;
	return 0;
}

int fxr_client_cancel(struct fxr_client *c, uint16_t code)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (c->state != FXR_CLIENT_CALLING)
		return set_err(c, -EPROTO, "cancel in state %s", fxr_client_state_name(c->state));
	struct fxr_msg m = { .type = FXR_T_CANCEL,
			     .u.result = { .id = c->call_req, .code = code } };
	int rc = queue_msg(c, &m);
	if (rc)
		return rc;
	c->cancelled_req = c->call_req;
	c->state = FXR_CLIENT_IDLE;
	return 0;
}

static int answer(struct fxr_client *c, uint32_t call_id, bool accept, uint16_t code)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (c->state != FXR_CLIENT_RINGING)
		return set_err(c, -EPROTO, "%s in state %s", accept ? "accept" : "reject",
			       fxr_client_state_name(c->state));
	if (call_id != c->call_id)
		return set_err(c, -ENOENT, "call %u is not ringing (%u is)", call_id, c->call_id);
	struct fxr_msg m;
	memset(&m, 0, sizeof(m));
	if (accept) {
		m.type = FXR_T_ACCEPT;
		m.u.ref.id = call_id;
	} else {
		m.type = FXR_T_REJECT;
		m.u.result.id = call_id;
		m.u.result.code = code;
	}
	int rc = queue_msg(c, &m);
	if (rc)
		return rc;
	if (accept) {
		c->state = FXR_CLIENT_PAIRED;
		c->callee = true;
		c->paired_traffic = false;
		c->end_sent = c->end_rcvd = c->release_sent = false;
	} else {
		c->state = FXR_CLIENT_IDLE;
	}
	return 0;
}

int fxr_client_accept(struct fxr_client *c, uint32_t call_id)
{
	return answer(c, call_id, true, 0);
}

int fxr_client_reject(struct fxr_client *c, uint32_t call_id, uint16_t code)
{
	return answer(c, call_id, false, code);
}

static int paired_check(struct fxr_client *c, const char *op)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (c->state != FXR_CLIENT_PAIRED)
		return set_err(c, -EPROTO, "%s in state %s", op, fxr_client_state_name(c->state));
	if (c->release_sent)
		return set_err(c, -EPROTO, "%s after RELEASE", op);
	return 0;
}

long fxr_client_send_data(struct fxr_client *c, const void *buf, size_t len)
{
	int rc = paired_check(c, "send");
	if (rc)
		return rc;
	if (c->end_sent)
		return set_err(c, -EPROTO, "send after END");
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		if (c->tx_rd > 0 && c->tx_cap - c->tx_wr < FXR_FRAME_HDR_LEN + 1) {
			memmove(c->tx, c->tx + c->tx_rd, c->tx_wr - c->tx_rd);
			c->tx_wr -= c->tx_rd;
			c->tx_rd = 0;
		}
		size_t room = c->tx_cap - c->tx_wr;
		if (room < FXR_FRAME_HDR_LEN + 1)
			break;
		size_t chunk = len - done;
		if (chunk > FXR_FRAME_MAX_PAYLOAD)
			chunk = FXR_FRAME_MAX_PAYLOAD;
		if (chunk > room - FXR_FRAME_HDR_LEN)
			chunk = room - FXR_FRAME_HDR_LEN;
		/* DATA is opaque: header and bytes straight into the buffer */
		fxr_frame_hdr_put(c->tx + c->tx_wr, FXR_T_DATA, 0, (uint16_t)chunk);
		memcpy(c->tx + c->tx_wr + FXR_FRAME_HDR_LEN, p + done, chunk);
		c->tx_wr += FXR_FRAME_HDR_LEN + chunk;
		done += chunk;
	}
	if (len && !done)
		return set_err(c, -ENOBUFS, "tx buffer full (%zu bytes queued)",
			       c->tx_wr - c->tx_rd);
	flush_tx(c);
	return (long)done;
}

int fxr_client_end(struct fxr_client *c, uint16_t reason)
{
	int rc = paired_check(c, "end");
	if (rc)
		return rc;
	if (c->end_sent)
		return set_err(c, -EPROTO, "END already sent");
	struct fxr_msg m = { .type = FXR_T_END, .u.end = { .reason = reason } };
	rc = queue_msg(c, &m);
	if (!rc)
		c->end_sent = true;
	return rc;
}

int fxr_client_release(struct fxr_client *c)
{
	int rc = paired_check(c, "release");
	if (rc)
		return rc;
	rc = queue_simple(c, FXR_T_RELEASE);
	if (!rc)
		c->release_sent = true;
	return rc;
}

int fxr_client_list(struct fxr_client *c, uint32_t *req_id)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (!logged_in(c) || c->state == FXR_CLIENT_PAIRED)
		return set_err(c, -EPROTO, "list in state %s", fxr_client_state_name(c->state));
	uint32_t id = c->next_id + 1 ? c->next_id + 1 : 1;
	struct fxr_msg m = { .type = FXR_T_LIST, .u.ref = { .id = id } };
	int rc = queue_msg(c, &m);
	if (rc)
		return rc;
	new_id(c);
	c->list_req = id;
	c->list_count = 0;
	if (req_id)
		*req_id = id;
	return 0;
}

int fxr_client_logout(struct fxr_client *c)
{
	if (c->fd < 0)
		return set_err(c, -ENOTCONN, "not connected");
	if (!logged_in(c))
		return set_err(c, -EPROTO, "logout in state %s", fxr_client_state_name(c->state));
	int rc = queue_simple(c, FXR_T_LOGOUT);
	if (!rc)
		c->logout_sent = true;
	return rc;
}

/* ---- frames in ---- */

/* The relay broke the protocol as we understand it: close (the relay would do the same). */
__attribute__((format(printf, 3, 4)))
static void proto_fail(struct fxr_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	fail(c, err, FXR_CODE_PROTOCOL);
}

static void auth_failed(struct fxr_client *c, struct fxr_client_event *ev, int err,
			uint16_t code)
{
	ev->type = FXR_CLIENT_EV_AUTH_FAILED;
	ev->err = err;
	ev->code = code;
	if (!ev->text[0]) /* AUTH_FAIL's own text, else why we refused */
		snprintf(ev->text, sizeof(ev->text), "%s", c->reason);
	fail(c, err, code);
}

static void on_auth(struct fxr_client *c, const struct fxr_msg *m, struct fxr_client_event *ev)
{
	char out[FXR_SCRAM_MSG_MAX + 1], why[128];
	int n;
	if (m->type == FXR_T_AUTH_CHALLENGE) {
		if (c->scram.state != FXR_SCRAM_ST_FIRST || c->pw_len == 0) {
			proto_fail(c, -EPROTO, "unexpected AUTH_CHALLENGE");
			return;
		}
		n = fxr_scram_client_proof(&c->scram, (const char *)m->u.auth.p, m->u.auth.len,
					   c->password, c->pw_len, out, sizeof(out), why,
					   sizeof(why));
		wipe_password(c);
		if (n < 0) {
			/* a downgrade (iterations below the minimum) lands here as -EACCES */
			set_err(c, n, "relay refused: %s", why);
			auth_failed(c, ev, n, 0);
			return;
		}
		struct fxr_msg p = { .type = FXR_T_AUTH_PROOF,
				     .u.auth = { .p = (const uint8_t *)out, .len = (uint16_t)n } };
		int rc = queue_msg(c, &p);
		OPENSSL_cleanse(out, sizeof(out));
		if (rc)
			auth_failed(c, ev, rc, 0);
		return;
	}
	/* AUTH_OK */
	if (c->scram.state != FXR_SCRAM_ST_CHALLENGED) {
		proto_fail(c, -EPROTO, "unexpected AUTH_OK");
		return;
	}
	n = fxr_scram_client_verify(&c->scram, (const char *)m->u.auth_ok.server_final.p,
				    m->u.auth_ok.server_final.len, why, sizeof(why));
	if (n < 0) {
		set_err(c, n, "relay not authentic: %s", why);
		auth_failed(c, ev, n, 0);
		return;
	}
	uint16_t ka = m->u.auth_ok.keepalive_s, idle = m->u.auth_ok.idle_timeout_s;
	c->ka_ms = (ka ? ka : FXR_CLIENT_KA_DEFAULT_S) * 1000u;
	c->idle_ms = (idle ? idle : FXR_CLIENT_IDLE_DEFAULT_S) * 1000u;
	c->state = FXR_CLIENT_IDLE;
	c->rearm = true;
	ev->type = FXR_CLIENT_EV_LOGGED_IN;
	ev->keepalive_s = ka;
	ev->idle_timeout_s = idle;
	snprintf(ev->peer, sizeof(ev->peer), "%s", c->id);
}

static void on_status(struct fxr_client *c, const struct fxr_msg *m, struct fxr_client_event *ev)
{
	ev->code = m->u.status.code;
	copy_text(ev->text, sizeof(ev->text), m->u.status.text.p, m->u.status.text.len);
	switch (m->type) {
	case FXR_T_AUTH_FAIL:
		if (c->state != FXR_CLIENT_AUTHENTICATING && c->state != FXR_CLIENT_CONNECTING) {
			proto_fail(c, -EPROTO, "AUTH_FAIL after login");
			return;
		}
		set_err(c, -EACCES, "login refused: %s (%s)", fxr_code_name(ev->code), ev->text);
		auth_failed(c, ev, -EACCES, ev->code);
		return;
	case FXR_T_BYE:
		ev->type = FXR_CLIENT_EV_BYE;
		set_err(c, 0, "bye: %s", fxr_code_name(ev->code));
		break;
	default:
		ev->type = FXR_CLIENT_EV_ERROR;
		set_err(c, -EPROTO, "relay error: %s (%s)", fxr_code_name(ev->code), ev->text);
		break;
	}
	/* the relay closes after it; so do we */
	uint16_t code = ev->code;
	fail(c, m->type == FXR_T_BYE ? 0 : -EPROTO, code);
}

/* Handles one whole decoded frame; fills *ev when it makes an event. */
static void on_frame(struct fxr_client *c, const struct fxr_msg *m, struct fxr_client_event *ev)
{
	uint8_t st = c->state;

	switch (m->type) {
	case FXR_T_AUTH_CHALLENGE:
	case FXR_T_AUTH_OK:
		if (st != FXR_CLIENT_AUTHENTICATING)
			break;
		on_auth(c, m, ev);
		return;
	case FXR_T_AUTH_FAIL:
	case FXR_T_BYE:
	case FXR_T_ERROR:
		on_status(c, m, ev);
		return;
	default:
		if (!logged_in(c))
			break;
		switch (m->type) {
		case FXR_T_KEEPALIVE_ACK:
			ev->type = FXR_CLIENT_EV_KEEPALIVE_ACK;
			ev->data = m->u.opaque.p;
			ev->len = m->u.opaque.len;
			return;
		case FXR_T_INCOMING:
			if (st == FXR_CLIENT_CALLING)
				return; /* crossed our CONNECT; the relay refuses the CONNECT */
			if (st != FXR_CLIENT_IDLE)
				break;
			c->state = FXR_CLIENT_RINGING;
			c->call_id = m->u.call.id;
			copy_text(c->peer, sizeof(c->peer), m->u.call.dev, m->u.call.dev_len);
			ev->type = FXR_CLIENT_EV_INCOMING;
			ev->id = c->call_id;
			snprintf(ev->peer, sizeof(ev->peer), "%s", c->peer);
			return;
		case FXR_T_CONNECTED:
		case FXR_T_CONNECT_FAIL: {
			uint32_t id = m->type == FXR_T_CONNECTED ? m->u.call.id : m->u.result.id;
			bool mine = st == FXR_CLIENT_CALLING && id == c->call_req;
			bool crossed = st == FXR_CLIENT_IDLE && id == c->cancelled_req && id;
			if (!mine && !crossed)
				break;
			ev->id = id;
			if (m->type == FXR_T_CONNECT_FAIL) {
				if (crossed)
					return; /* we gave up already */
				c->state = FXR_CLIENT_IDLE;
				ev->type = FXR_CLIENT_EV_CONNECT_FAILED;
				ev->code = m->u.result.code;
				return;
			}
			c->cancelled_req = 0;
			c->state = FXR_CLIENT_PAIRED;
			c->callee = false;
			c->paired_traffic = false;
			c->end_sent = c->end_rcvd = c->release_sent = false;
			copy_text(c->peer, sizeof(c->peer), m->u.call.dev, m->u.call.dev_len);
			ev->type = FXR_CLIENT_EV_CONNECTED;
			snprintf(ev->peer, sizeof(ev->peer), "%s", c->peer);
			return;
		}
		case FXR_T_CANCEL:
			if (m->u.result.id != c->call_id)
				return; /* withdrawn or unknown: ignored, as the relay does */
			if (st == FXR_CLIENT_RINGING ||
			    (st == FXR_CLIENT_PAIRED && c->callee && !c->paired_traffic &&
			     !c->end_sent && !c->release_sent)) {
				/* withdrawn before (or across) our answer */
				c->state = FXR_CLIENT_IDLE;
				ev->type = FXR_CLIENT_EV_CANCELLED;
				ev->id = m->u.result.id;
				ev->code = m->u.result.code;
			}
			return;
		case FXR_T_DATA:
		case FXR_T_END:
			if (st != FXR_CLIENT_PAIRED)
				break;
			c->paired_traffic = true;
			if (c->release_sent)
				return; /* we left: nothing more for us */
			if (m->type == FXR_T_DATA) {
				ev->type = FXR_CLIENT_EV_DATA;
				ev->data = m->u.opaque.p;
				ev->len = m->u.opaque.len;
			} else {
				c->end_rcvd = true;
				ev->type = FXR_CLIENT_EV_END;
				ev->code = m->u.end.reason;
			}
			return;
		case FXR_T_RELEASED:
			if (st != FXR_CLIENT_PAIRED || !c->release_sent)
				break;
			c->state = FXR_CLIENT_IDLE;
			c->release_sent = c->end_sent = c->end_rcvd = false;
			ev->type = FXR_CLIENT_EV_RELEASED;
			return;
		case FXR_T_LIST_RESULT:
			if (!c->list_req || m->u.list.req_id != c->list_req)
				break;
			fxr_list_iter_init(&c->list_it, m);
			c->list_more = (m->flags & FXR_FLAG_MORE) != 0;
			c->list_active = true;
			return;
		default:
			break;
		}
		break;
	}
	proto_fail(c, -EPROTO, "unexpected %s in state %s", fxr_frame_type_name(m->type),
		   fxr_client_state_name(st));
}

/* Scans for the next whole frame at rx_rd. Returns 1 (rx[rx_rd..scan_pos) is one), 0 (need
 * more), or -EBADMSG. */
static int find_frame(struct fxr_client *c)
{
	if (c->frame_ready)
		return 1;
	for (;;) {
		struct fxr_scan_result r;
		size_t used = fxr_scan_step(&c->scan, c->rx + c->scan_pos,
					    c->rx_wr - c->scan_pos, &r);
		c->scan_pos += used;
		switch (r.ev) {
		case FXR_SCAN_NEED_MORE:
			return 0;
		case FXR_SCAN_FRAME_END:
			c->frame_ready = true;
			return 1;
		case FXR_SCAN_ERROR:
			set_err(c, -EBADMSG, "malformed frame from relay: %s",
				fxr_malformed_text((enum fxr_malformed)r.why));
			return -EBADMSG;
		default:
			break; /* HEADER (checked), PAYLOAD (stays in place) */
		}
	}
}

int fxr_client_next_event(struct fxr_client *c, struct fxr_client_event *ev)
{
	for (;;) {
		memset(ev, 0, sizeof(*ev));
		if (c->evq_len) {
			*ev = c->evq[c->evq_head];
			c->evq_head = (c->evq_head + 1) % FXR_CLIENT_EVQ_LEN;
			c->evq_len--;
			return 1;
		}
		if (c->fd < 0)
			return 0;
		if (c->list_active) {
			struct fxr_list_entry e;
			if (fxr_list_next(&c->list_it, &e)) {
				ev->type = FXR_CLIENT_EV_LIST_ENTRY;
				ev->id = c->list_req;
				ev->list_state = e.state;
				copy_text(ev->peer, sizeof(ev->peer), e.id, e.id_len);
				c->list_count++;
				return 1;
			}
			c->list_active = false;
			if (!c->list_more) {
				ev->type = FXR_CLIENT_EV_LIST_DONE;
				ev->id = c->list_req;
				ev->count = c->list_count;
				c->list_req = 0;
				return 1;
			}
			continue;
		}
		if (c->frame_ready) {
			/* the previous event's frame is done with */
			c->rx_rd = c->scan_pos;
			c->frame_ready = false;
			if (c->rx_rd == c->rx_wr)
				c->rx_rd = c->rx_wr = c->scan_pos = 0;
		}
		int rc = find_frame(c);
		if (rc < 0) {
			fail(c, rc, FXR_CODE_PROTOCOL);
			continue;
		}
		if (rc == 0) {
			if (c->rx_wr == c->rx_cap && c->rx_rd > 0) {
				/* full, with a frame consumed at the front: make room for the
				 * rest of this one (no event views the old bytes any more) */
				size_t keep = c->rx_wr - c->rx_rd;
				memmove(c->rx, c->rx + c->rx_rd, keep);
				c->scan_pos -= c->rx_rd;
				c->rx_wr = keep;
				c->rx_rd = 0;
			}
			if (c->dead_err) {
				if (c->rx_wr > c->rx_rd)
					set_err(c, c->dead_err, "%s (inside a frame)", c->reason);
				fail(c, c->dead_err, 0);
				continue;
			}
			return 0;
		}
		struct fxr_msg m;
		enum fxr_malformed why = FXR_MALFORMED_NONE;
		int n = fxr_frame_decode(c->rx + c->rx_rd, c->scan_pos - c->rx_rd, &m, &why);
		if (n <= 0) {
			set_err(c, -EBADMSG, "malformed %s from relay: %s",
				fxr_frame_type_name(c->rx[c->rx_rd]), fxr_malformed_text(why));
			fail(c, -EBADMSG, FXR_CODE_PROTOCOL);
			continue;
		}
		FXR_BUG_ON((size_t)n != c->scan_pos - c->rx_rd);
		if (fxr_frame_info(m.type)->dir == FXR_DIR_D2R) {
			proto_fail(c, -EPROTO, "relay sent %s, a device frame",
				   fxr_frame_type_name(m.type));
			continue;
		}
		on_frame(c, &m, ev);
		if (ev->type != FXR_CLIENT_EV_NONE)
			return 1;
	}
}

/* ---- blocking layer ---- */

uint64_t fxr_client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int fxr_client_wait(struct fxr_client *c, int timeout_ms)
{
	if (c->fd < 0)
		return -ENOTCONN;
	int next = fxr_client_tick(c, fxr_client_now_ms());
	if (c->fd < 0 || c->evq_len || c->dead_err)
		return 1;
	if (next >= 0 && (timeout_ms < 0 || next < timeout_ms))
		timeout_ms = next;
	struct pollfd pfd = { .fd = c->fd };
	if (fxr_client_wants_read(c))
		pfd.events |= POLLIN;
	if (fxr_client_wants_write(c))
		pfd.events |= POLLOUT;
	int n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : set_err(c, -errno, "poll: %s", strerror(errno));
	if (pfd.revents & (POLLOUT | POLLERR | POLLHUP))
		fxr_client_on_writable(c);
	if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
		fxr_client_on_readable(c);
	fxr_client_tick(c, fxr_client_now_ms());
	return n > 0 ? 1 : 0;
}

int fxr_client_wait_event(struct fxr_client *c, struct fxr_client_event *ev, int timeout_ms)
{
	uint64_t until = timeout_ms >= 0 ? fxr_client_now_ms() + (uint64_t)timeout_ms : 0;
	for (;;) {
		int rc = fxr_client_next_event(c, ev);
		if (rc)
			return rc;
		if (c->fd < 0)
			return -ENOTCONN;
		int left = -1;
		if (timeout_ms >= 0) {
			uint64_t now = fxr_client_now_ms();
			if (now >= until)
				return 0;
			left = (int)(until - now);
		}
		rc = fxr_client_wait(c, left);
		if (rc < 0)
			return rc;
	}
}

int fxr_client_flush(struct fxr_client *c, int timeout_ms)
{
	uint64_t until = fxr_client_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	while (fxr_client_wants_write(c)) {
		uint64_t now = fxr_client_now_ms();
		if (timeout_ms >= 0 && now >= until)
			return set_err(c, -ETIMEDOUT, "flush timed out");
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		int n = poll(&pfd, 1, timeout_ms < 0 ? -1 : (int)(until - now));
		if (n < 0 && errno != EINTR)
			return set_err(c, -errno, "poll: %s", strerror(errno));
		if (n > 0)
			fxr_client_on_writable(c);
	}
	return c->fd < 0 || c->dead_err ? -ENOTCONN : 0;
}
