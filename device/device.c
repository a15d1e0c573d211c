/* libfxr: a device's spare connections and their reconnect back-off. Contract in
 * fxr/device.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fxr/code-t.h"
#include "fxr/devid.h"
#include "fxr/device.h"

/* xorshift64* (Vigna): small, seedable, good enough for jitter. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void fxr_backoff_init(struct fxr_backoff *b, uint32_t min_ms, uint32_t max_ms, uint64_t seed)
{
	b->min_ms = min_ms ? min_ms : FXR_BACKOFF_MIN_DEFAULT;
	b->max_ms = max_ms ? max_ms : FXR_BACKOFF_MAX_DEFAULT;
	if (b->max_ms < b->min_ms)
		b->max_ms = b->min_ms;
	b->attempt = 0;
	b->rng = seed ? seed : 0x9E3779B97F4A7C15ULL; /* xorshift must not start at 0 */
}

uint32_t fxr_backoff_next(struct fxr_backoff *b)
{
	uint64_t base = b->min_ms;
	for (uint32_t i = 0; i < b->attempt && base < b->max_ms; i++)
		base *= 2;
	if (base > b->max_ms)
		base = b->max_ms;
	if (b->attempt < UINT32_MAX)
		b->attempt++;
	uint64_t half = base / 2;
	return (uint32_t)(base - half + rng_next(&b->rng) % (half + 1));
}

void fxr_backoff_reset(struct fxr_backoff *b)
{
	b->attempt = 0;
}

static int default_open(void *arg, unsigned idx, struct fxr_client *c)
{
	struct fxr_device *d = arg;
	(void)idx;
	return fxr_client_connect(c, d->host, d->port);
}

int fxr_device_init(struct fxr_device *d, const struct fxr_device_config *cfg)
{
	memset(d, 0, sizeof(*d));
	if (!cfg->id || !fxr_devid_valid_cstr(cfg->id))
		return -EINVAL;
	if (!cfg->password || !cfg->pw_len || cfg->pw_len > sizeof(d->password))
		return -EINVAL;
	if (cfg->nconn > FXR_DEVICE_MAX_CONN)
		return -EINVAL;
	if (!cfg->open && (!cfg->host || strlen(cfg->host) >= sizeof(d->host)))
		return -EINVAL;
	snprintf(d->id, sizeof(d->id), "%s", cfg->id);
	if (cfg->host)
		snprintf(d->host, sizeof(d->host), "%s", cfg->host);
	d->port = cfg->port ? cfg->port : FXR_DEFAULT_PORT;
	memcpy(d->password, cfg->password, cfg->pw_len);
	d->pw_len = cfg->pw_len;
	d->n = cfg->nconn ? cfg->nconn : 1;
	d->open = cfg->open ? cfg->open : default_open;
	d->open_arg = cfg->open ? cfg->open_arg : d;
	uint64_t seed = cfg->seed;
	for (unsigned i = 0; i < d->n; i++) {
		int rc = fxr_client_init(&d->conn[i].c, &cfg->client);
		if (rc) {
			for (unsigned j = 0; j < i; j++)
				fxr_client_fini(&d->conn[j].c);
			OPENSSL_cleanse(d->password, sizeof(d->password));
			return rc;
		}
		/* each connection its own stream, so spares do not reconnect in lockstep */
		fxr_backoff_init(&d->conn[i].bo, cfg->backoff_min_ms, cfg->backoff_max_ms,
				 seed + 0x9E3779B97F4A7C15ULL * (i + 1));
	}
	return 0;
}

void fxr_device_fini(struct fxr_device *d)
{
	for (unsigned i = 0; i < d->n; i++)
		fxr_client_fini(&d->conn[i].c);
	OPENSSL_cleanse(d->password, sizeof(d->password));
	d->pw_len = 0;
}

struct fxr_client *fxr_device_client(struct fxr_device *d, unsigned idx)
{
	return idx < d->n ? &d->conn[idx].c : NULL;
}

void fxr_device_stop(struct fxr_device *d)
{
	d->stopped = true;
}

static void schedule(struct fxr_device *d, struct fxr_device_conn *dc)
{
	dc->losses++;
	dc->next_try_ms = d->now_ms + fxr_backoff_next(&dc->bo);
}

int fxr_device_tick(struct fxr_device *d, uint64_t now_ms)
{
	d->now_ms = now_ms;
	int next = -1;
	for (unsigned i = 0; i < d->n; i++) {
		struct fxr_device_conn *dc = &d->conn[i];
		if (fxr_client_state(&dc->c) == FXR_CLIENT_CLOSED && !dc->c.evq_len &&
		    !d->stopped && now_ms >= dc->next_try_ms) {
			int rc = d->open(d->open_arg, i, &dc->c);
			if (!rc)
				rc = fxr_client_login(&dc->c, d->id, d->password, d->pw_len);
			if (rc) {
				fxr_client_close(&dc->c);
				schedule(d, dc);
			}
		}
		int t;
		if (fxr_client_state(&dc->c) != FXR_CLIENT_CLOSED)
			t = fxr_client_tick(&dc->c, now_ms);
		else if (!d->stopped)
			t = dc->next_try_ms > now_ms ? (int)(dc->next_try_ms - now_ms) : 0;
		else
			t = -1;
		if (t >= 0 && (next < 0 || t < next))
			next = t;
	}
	return next;
}

int fxr_device_next_event(struct fxr_device *d, unsigned *idx, struct fxr_client_event *ev)
{
	for (unsigned k = 0; k < d->n; k++) {
		unsigned i = (d->next_ev + k) % d->n;
		struct fxr_device_conn *dc = &d->conn[i];
		if (!fxr_client_next_event(&dc->c, ev))
			continue;
		d->next_ev = (i + 1) % d->n;
		if (ev->type == FXR_CLIENT_EV_LOGGED_IN)
			fxr_backoff_reset(&dc->bo);
		else if (ev->type == FXR_CLIENT_EV_BYE && ev->code == FXR_CODE_LOGGED_OUT)
			d->stopped = true;
		else if (ev->type == FXR_CLIENT_EV_CLOSED)
			schedule(d, dc);
		*idx = i;
		return 1;
	}
	return 0;
}

int fxr_device_idle(const struct fxr_device *d, unsigned *idx)
{
	for (unsigned i = 0; i < d->n; i++) {
		if (fxr_client_state(&d->conn[i].c) == FXR_CLIENT_IDLE) {
			*idx = i;
			return 0;
		}
	}
	return -1;
}

unsigned fxr_device_logged_in(const struct fxr_device *d)
{
	unsigned n = 0;
	for (unsigned i = 0; i < d->n; i++)
		n += fxr_client_state(&d->conn[i].c) >= FXR_CLIENT_IDLE;
	return n;
}

unsigned fxr_device_pollfds(const struct fxr_device *d, struct pollfd *pfds, unsigned cap)
{
	unsigned n = d->n < cap ? d->n : cap;
	for (unsigned i = 0; i < n; i++) {
		const struct fxr_client *c = &d->conn[i].c;
		pfds[i].fd = fxr_client_fd(c);
		pfds[i].events = (short)((fxr_client_wants_read(c) ? POLLIN : 0) |
					 (fxr_client_wants_write(c) ? POLLOUT : 0));
		pfds[i].revents = 0;
	}
	return n;
}

void fxr_device_on_poll(struct fxr_device *d, const struct pollfd *pfds, unsigned n)
{
	for (unsigned i = 0; i < n && i < d->n; i++) {
		if (pfds[i].fd < 0 || pfds[i].fd != fxr_client_fd(&d->conn[i].c))
			continue;
		if (pfds[i].revents & (POLLOUT | POLLERR | POLLHUP))
			fxr_client_on_writable(&d->conn[i].c);
		if (pfds[i].revents & (POLLIN | POLLERR | POLLHUP))
			fxr_client_on_readable(&d->conn[i].c);
	}
}
