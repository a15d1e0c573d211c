/* tcp_table.c: the per-lcore TCB table: an rte_hash from (remote address, remote port,
 * local port) to a TCB in a preallocated array, and a stack of free slots. No lists are
 * walked: lookup is one hash probe, allocation and release are O(1). */
#include <string.h>

#include <rte_hash.h>
#include <rte_mbuf.h>

#include "tcp_internal.h"

struct fxr_tcb *fxr_tcb_lookup(struct fxr_tcp_stack *s, const struct fxr_tcp_key *k)
{
	void *data;

	if (rte_hash_lookup_data(s->hash, k, &data) < 0)
		return NULL;
	return data;
}

struct fxr_tcb *fxr_tcb_alloc(struct fxr_tcp_stack *s, const struct fxr_tcp_key *k)
{
	struct fxr_tcb *tcb;

	if (s->n_free == 0)
		return NULL;
	tcb = &s->tcbs[s->free_idx[s->n_free - 1]];
	memset(tcb, 0, sizeof(*tcb));
	tcb->key = *k;
	if (rte_hash_add_key_data(s->hash, k, tcb) < 0)
		return NULL;
	s->n_free--;
	fxr_tcp_reass_init(&fxr_tcb_ooo(s, tcb)->reass, &s->reass_cfg);
	fxr_tcp_sack_rx_init(&fxr_tcb_ooo(s, tcb)->sack_rx);
	return tcb;
}

void fxr_tcb_free(struct fxr_tcp_stack *s, struct fxr_tcb *tcb)
{
	fxr_tw_stop(&s->wheel, &tcb->timer);
	rte_hash_del_key(s->hash, &tcb->key);
	if (tcb->sndq_head != NULL)
		rte_pktmbuf_free(tcb->sndq_head);
	tcb->sndq_head = tcb->sndq_tail = tcb->sndq_hint = NULL;
	if (tcb->flags & FXR_TCBF_OOO)
		fxr_tcp_reass_flush(&fxr_tcb_ooo(s, tcb)->reass);
	tcb->state = FXR_TCP_CLOSED;
	s->free_idx[s->n_free++] = (uint32_t)(tcb - s->tcbs);
}
