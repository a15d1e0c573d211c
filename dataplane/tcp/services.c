/* services.c: echo (RFC 862: every byte received is sent back) and discard (RFC 863: every
 * byte received is thrown away), on the userspace stack.
 *
 * Echo sends the very mbufs it receives (no copy in the service): the bytes stay counted
 * against the receive window until the peer has acknowledged their echo, so a peer that does
 * not read its echo is flow-controlled by our window instead of filling our memory. On the
 * peer's FIN, echo closes its side after what is queued (half-close is honoured: the peer
 * still reads the rest). */
#include <rte_mbuf.h>

#include "services.h"
#include "tcp.h"

/* Any non-NULL context accepts; the services keep no per-connection state. */
static char service_ctx;

static void *svc_accept(struct fxr_lcore *lc, struct fxr_tcb *tcb, void *ctx)
{
	(void)lc;
	(void)tcb;
	(void)ctx;
	return &service_ctx;
}

static void echo_data(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m, uint32_t len)
{
	if (fxr_tcp_send(lc, tcb, m) < 0)
		fxr_tcp_recv_done(lc, tcb, len);
}

static void echo_sent(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t acked)
{
	fxr_tcp_recv_done(lc, tcb, acked);
}

static void svc_peer_fin(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	fxr_tcp_shutdown(lc, tcb);
}

static void discard_data(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m,
	uint32_t len)
{
	rte_pktmbuf_free(m);
	fxr_tcp_recv_done(lc, tcb, len);
}

const struct fxr_tcp_app fxr_service_echo = {
	.name = "echo",
	.on_accept = svc_accept,
	.on_data = echo_data,
	.on_peer_fin = svc_peer_fin,
	.on_sent = echo_sent,
};

const struct fxr_tcp_app fxr_service_discard = {
	.name = "discard",
	.on_accept = svc_accept,
	.on_data = discard_data,
	.on_peer_fin = svc_peer_fin,
};

int fxr_services_start(struct fxr_lcore *lc, uint16_t echo_port, uint16_t discard_port)
{
	int rc = 0;

	if (echo_port != 0)
		rc = fxr_tcp_listen(lc, echo_port, &fxr_service_echo, NULL);
	if (rc == 0 && discard_port != 0)
		rc = fxr_tcp_listen(lc, discard_port, &fxr_service_discard, NULL);
	return rc;
}
