/* dataplane/xlcore.c: mail between lcores (xlcore.h). */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "arp.h"
#include "counters.h"
#include "ipv4.h"
#include "lcore-t.h"
#include "relay.h"
#include "xlcore.h"

/* Messages taken from one ring per poll. */
#define XL_BURST 32u

int fxr_xlcore_create(uint16_t n, uint32_t ring_size, struct fxr_xlcore **out)
{
	struct fxr_xlcore *x;

	*out = NULL;
	if (n <= 1)
		return 0;
	x = rte_zmalloc("fxr_xlcore", sizeof(*x) + sizeof(x->ring[0]) * n * n, 0);
	if (x == NULL)
		return -ENOMEM;
	x->n = n;
	for (uint16_t from = 0; from < n; from++) {
		for (uint16_t to = 0; to < n; to++) {
			char name[RTE_RING_NAMESIZE];

			if (from == to)
				continue;
			snprintf(name, sizeof(name), "fxr_xl_%u_%u", from, to);
			x->ring[from * n + to] = rte_ring_create_elem(name, sizeof(struct fxr_xl_msg),
				ring_size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (x->ring[from * n + to] == NULL) {
				int rc = -rte_errno;

				fxr_xlcore_free(x);
				return rc;
			}
		}
	}
	*out = x;
	return 0;
}

void fxr_xlcore_free(struct fxr_xlcore *x)
{
	struct fxr_xl_msg msg;

	if (x == NULL)
		return;
	for (unsigned i = 0; i < (unsigned)x->n * x->n; i++) {
		if (x->ring[i] == NULL)
			continue;
		while (rte_ring_dequeue_elem(x->ring[i], &msg, sizeof(msg)) == 0)
			rte_pktmbuf_free(msg.m);
		rte_ring_free(x->ring[i]);
	}
	rte_free(x);
}

int fxr_xlcore_send(struct fxr_lcore *lc, uint16_t to, struct fxr_xl_msg *msg)
{
	struct fxr_xlcore *x = lc->xl;

	msg->from = lc->queue_id;
	if (unlikely(rte_ring_sp_enqueue_elem(x->ring[lc->queue_id * x->n + to], msg,
		sizeof(*msg)) != 0))
		return -ENOBUFS;
	FXR_CTR_INC(lc, xlcore_msgs_out);
	return 0;
}

void fxr_xlcore_steer(struct fxr_lcore *lc, uint16_t owner, struct rte_mbuf *m)
{
	struct fxr_xl_msg msg = { .kind = FXR_XL_PKT, .m = m };

	if (fxr_xlcore_send(lc, owner, &msg) < 0) {
		FXR_CTR_INC(lc, xlcore_drop_full);
		rte_pktmbuf_free(m);
		return;
	}
	FXR_CTR_INC(lc, xlcore_pkts_out);
}

void fxr_xlcore_share_arp(struct fxr_lcore *lc, const struct rte_mbuf *m)
{
	for (uint16_t to = 0; to < lc->xl->n; to++) {
		struct fxr_xl_msg msg = { .kind = FXR_XL_ARP };

		if (to == lc->queue_id)
			continue;
		msg.m = rte_pktmbuf_copy(m, lc->mp, 0, UINT32_MAX);
		if (msg.m == NULL) {
			FXR_CTR_INC(lc, mbuf_alloc_fail);
			continue;
		}
		if (fxr_xlcore_send(lc, to, &msg) < 0) {
			FXR_CTR_INC(lc, xlcore_drop_full);
			rte_pktmbuf_free(msg.m);
		}
	}
}

static void handle(struct fxr_lcore *lc, struct fxr_xl_msg *msg)
{
	switch (msg->kind) {
	case FXR_XL_PKT:
		FXR_CTR_INC(lc, xlcore_pkts_in);
		fxr_ipv4_input(lc, msg->m);
		return;
	case FXR_XL_ARP:
		fxr_arp_learn_shared(lc, msg->m);
		return;
	case FXR_XL_RELAY:
		fxr_relay_xl(lc, msg);
		return;
	default:
		rte_pktmbuf_free(msg->m);
		return;
	}
}

unsigned fxr_xlcore_poll(struct fxr_lcore *lc)
{
	struct fxr_xlcore *x = lc->xl;
	struct fxr_xl_msg msgs[XL_BURST];
	unsigned total = 0;

	for (uint16_t from = 0; from < x->n; from++) {
		unsigned n;

		if (from == lc->queue_id)
			continue;
		n = rte_ring_sc_dequeue_burst_elem(x->ring[from * x->n + lc->queue_id], msgs,
			sizeof(msgs[0]), XL_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			handle(lc, &msgs[i]);
		total += n;
	}
	if (total != 0)
		FXR_CTR_ADD(lc, xlcore_msgs_in, total);
	return total;
}
