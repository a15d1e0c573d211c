/* conncheck.c: --connect-check, a link check from the dataplane's own stack: the active-open
 * path (RFC 9293 §3.10.1) against a real server, end to end through ARP, the gateway and
 * any NAT. Each check connects to an echo server (RFC 862), sends its bytes as the send
 * space allows, compares every byte that comes back with what was sent, then closes (FIN)
 * once all came back. One log line and one counter per check:
 *   ok        every byte came back in order and intact (conncheck_ok)
 *   refused   the server answered the SYN with a RST (conncheck_refused)
 *   failed    SYN or data retransmissions gave up, the connection was reset, a byte
 *             differed, or the server closed before echoing everything (conncheck_failed)
 * A check still running when the dataplane stops is logged as unfinished and not counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "conncheck.h"
#include "counters.h"
#include "lcore-t.h"
#include "log.h"
#include "tcp.h"

struct fxr_conncheck_set;

struct fxr_conncheck {
	struct fxr_conncheck_spec spec;
	const struct fxr_conncheck_set *set;
	struct fxr_tcb *tcb;       /* NULL once the app is closed */
	uint32_t sent;             /* bytes handed to fxr_tcp_send */
	uint32_t got;              /* bytes back, all checked */
	uint64_t start_tsc;
	bool done;                 /* result logged and counted */
};

struct fxr_conncheck_set {
	bool stopping;             /* fxr_conncheck_fini is aborting what is left */
	unsigned int n;
	struct fxr_conncheck c[FXR_DP_CONNCHECK_MAX];
};

/* Byte i of every check's stream: not periodic in 256, so a shifted or repeated range
 * differs. */
static inline uint8_t stream_byte(uint32_t i)
{
	return (uint8_t)((i * 2654435761u) >> 24);
}

static void report(struct fxr_lcore *lc, struct fxr_conncheck *c, enum fxr_ctr ctr,
	const char *what)
{
	char ip[INET_ADDRSTRLEN];
	uint64_t ms = (rte_rdtsc() - c->start_tsc) * 1000 / rte_get_tsc_hz();

	if (c->done)
		return;
	c->done = true;
	lc->ctr.v[ctr]++;
	inet_ntop(AF_INET, &c->spec.addr, ip, sizeof(ip));
	FXR_DP_LOG(NOTICE, "connect-check %s:%u: %s (%u of %u bytes back, %lu ms)", ip,
		c->spec.port, what, c->got, c->spec.bytes, (unsigned long)ms);
}

/* Queues as much of the check's stream as the send space takes. */
static void fill(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct fxr_conncheck *c)
{
	uint32_t space = fxr_tcp_send_space(lc, tcb);

	while (c->sent < c->spec.bytes && space != 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(lc->mp);
		uint32_t n;
		uint8_t *p;

		if (m == NULL) {
			/* the next ACK (on_sent) tries again */
			FXR_CTR_INC(lc, mbuf_alloc_fail);
			return;
		}
		n = RTE_MIN(RTE_MIN(c->spec.bytes - c->sent, space), (uint32_t)rte_pktmbuf_tailroom(m));
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (uint32_t k = 0; k < n; k++)
			p[k] = stream_byte(c->sent + k);
		if (fxr_tcp_send(lc, tcb, m) < 0)
			return;
		c->sent += n;
		space -= n;
	}
}

static void cc_connected(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_conncheck *c = tcb->app_ctx;

	if (c->spec.bytes == 0) {
		report(lc, c, FXR_CTR_conncheck_ok, "ok, connected");
		fxr_tcp_shutdown(lc, tcb);
		return;
	}
	fill(lc, tcb, c);
}

static void cc_sent(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t acked)
{
	(void)acked;
	fill(lc, tcb, tcb->app_ctx);
}

static void cc_data(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m, uint32_t len)
{
	struct fxr_conncheck *c = tcb->app_ctx;
	bool bad = len > c->spec.bytes - c->got;

	for (const struct rte_mbuf *seg = m; seg != NULL && !bad; seg = seg->next) {
		const uint8_t *p = rte_pktmbuf_mtod(seg, const uint8_t *);

		for (uint16_t k = 0; k < rte_pktmbuf_data_len(seg); k++) {
			if (p[k] != stream_byte(c->got)) {
				bad = true;
				break;
			}
			c->got++;
		}
	}
	rte_pktmbuf_free(m);
	fxr_tcp_recv_done(lc, tcb, len);
	if (bad) {
		report(lc, c, FXR_CTR_conncheck_failed, "failed, the echo differs from what was sent");
		fxr_tcp_abort(lc, tcb);
	} else if (c->got == c->spec.bytes) {
		report(lc, c, FXR_CTR_conncheck_ok, "ok");
		fxr_tcp_shutdown(lc, tcb);
	}
}

static void cc_peer_fin(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_conncheck *c = tcb->app_ctx;

	if (c->got < c->spec.bytes)
		report(lc, c, FXR_CTR_conncheck_failed, "failed, the server closed before echoing all");
	fxr_tcp_shutdown(lc, tcb);
}

static void cc_close(struct fxr_lcore *lc, struct fxr_tcb *tcb, int reason)
{
	struct fxr_conncheck *c = tcb->app_ctx;

	c->tcb = NULL;
	if (c->set->stopping)
		return;
	if (reason == -ECONNREFUSED)
		report(lc, c, FXR_CTR_conncheck_refused, "refused");
	else if (reason == -ETIMEDOUT)
		report(lc, c, FXR_CTR_conncheck_failed, "failed, timed out");
	else if (reason != 0)
		report(lc, c, FXR_CTR_conncheck_failed, "failed, connection reset");
	else
		report(lc, c, FXR_CTR_conncheck_failed, "failed, closed early");
}

static const struct fxr_tcp_app conncheck_app = {
	.name = "connect-check",
	.on_connected = cc_connected,
	.on_data = cc_data,
	.on_peer_fin = cc_peer_fin,
	.on_sent = cc_sent,
	.on_close = cc_close,
};

struct fxr_conncheck_set *fxr_conncheck_start(struct fxr_lcore *lc,
	const struct fxr_conncheck_spec *specs, unsigned int n)
{
	struct fxr_conncheck_set *set;

	if (n == 0)
		return NULL;
	set = rte_zmalloc("fxr_conncheck", sizeof(*set), 0);
	if (set == NULL)
		return NULL;
	set->n = RTE_MIN(n, (unsigned int)FXR_DP_CONNCHECK_MAX);
	for (unsigned int i = 0; i < set->n; i++) {
		struct fxr_conncheck *c = &set->c[i];
		int err = 0;

		c->spec = specs[i];
		c->set = set;
		c->start_tsc = rte_rdtsc();
		c->tcb = fxr_tcp_connect(lc, c->spec.addr, rte_cpu_to_be_16(c->spec.port), 0,
			&conncheck_app, c, &err);
		if (c->tcb == NULL)
			report(lc, c, FXR_CTR_conncheck_failed, err == -ENOMEM
				? "failed, no TCB or local port free" : "failed, cannot open");
	}
	return set;
}

void fxr_conncheck_fini(struct fxr_lcore *lc, struct fxr_conncheck_set *set)
{
	if (set == NULL)
		return;
	set->stopping = true;
	for (unsigned int i = 0; i < set->n; i++) {
		struct fxr_conncheck *c = &set->c[i];
		char ip[INET_ADDRSTRLEN];

		if (!c->done) {
			inet_ntop(AF_INET, &c->spec.addr, ip, sizeof(ip));
			FXR_DP_LOG(WARNING, "connect-check %s:%u: unfinished at exit (%u of %u bytes"
				" back)", ip, c->spec.port, c->got, c->spec.bytes);
		}
		/* a check that passed may still be closing: its TCB must not call back into
		 * the freed set */
		if (c->tcb != NULL)
			fxr_tcp_abort(lc, c->tcb);
	}
	rte_free(set);
}
