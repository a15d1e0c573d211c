/* tcp.c: the stack's set-up and the calls an application makes (RFC 9293 §3.10.1-§3.10.5:
 * OPEN, SEND, CLOSE, ABORT as user calls). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "counters.h"
#include "steer.h"
#include "tcp.h"
#include "tcp_internal.h"

#define WHEEL_SLOTS 4096u

const char *const fxr_tcp_state_names[FXR_TCP__STATES] = {
#define FXR_TCP_STATE_NAME(sym, name) [FXR_TCP_##sym] = name,
	FXR_TCP_STATES(FXR_TCP_STATE_NAME)
#undef FXR_TCP_STATE_NAME
};

void fxr_tcp_cfg_default(struct fxr_tcp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_tcbs = 16384;
	cfg->time_wait_ms = 1000;
	cfg->fin_wait2_ms = 60000;
	cfg->rcv_buf = 1u << 20;
	cfg->snd_buf = 1u << 20;
	cfg->delack_ms = 40;
	cfg->syn_retries = 5;
	cfg->data_retries = 12;
	cfg->mss = 1460;
	cfg->syn_backlog = 1024;
	cfg->challenge_acks_per_s = 1000; /* Linux's tcp_challenge_ack_limit */
}

static void reass_release(struct fxr_tcp_reass_seg *seg, void *ctx)
{
	(void)ctx;
	rte_pktmbuf_free(seg->handle);
}

int fxr_tcp_init(struct fxr_lcore *lc, const struct fxr_tcp_cfg *cfg, bool tx_tcp_cksum_offload)
{
	struct fxr_tcp_stack *s;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp;
	int socket = (int)rte_lcore_to_socket_id(lc->lcore_id);

	if (cfg->max_tcbs == 0 || cfg->mss < 64)
		return -EINVAL;
	s = rte_zmalloc_socket("fxr_tcp", sizeof(*s), RTE_CACHE_LINE_SIZE, socket);
	if (s == NULL)
		return -ENOMEM;
	s->cfg = *cfg;
	/* pressure begins a quarter of the way from the reserve up to the whole pool: the
	 * space left below it carries every connection's FXR_TCP_PRESSURE_SEGS */
	if (cfg->mbuf_reserve != 0 && cfg->mbuf_pressure == 0 && lc->mp != NULL
		&& lc->mp->size > cfg->mbuf_reserve)
		s->cfg.mbuf_pressure = cfg->mbuf_reserve + (lc->mp->size - cfg->mbuf_reserve) / 4;
	s->tx_tcp_cksum_offload = tx_tcp_cksum_offload;
	s->mp = lc->mp;
	s->pool_avail = lc->mp != NULL ? rte_mempool_avail_count(lc->mp) : 0;
	s->tcbs = rte_zmalloc_socket("fxr_tcbs", sizeof(*s->tcbs) * cfg->max_tcbs,
		RTE_CACHE_LINE_SIZE, socket);
	s->sack_sb = rte_zmalloc_socket("fxr_tcp_sack", sizeof(*s->sack_sb) * cfg->max_tcbs,
		RTE_CACHE_LINE_SIZE, socket);
	s->ooo = rte_zmalloc_socket("fxr_tcp_ooo", sizeof(*s->ooo) * cfg->max_tcbs,
		RTE_CACHE_LINE_SIZE, socket);
	s->free_idx = rte_malloc_socket("fxr_tcb_free", sizeof(uint32_t) * cfg->max_tcbs, 0, socket);
	s->slots = rte_zmalloc_socket("fxr_tcp_wheel", FXR_TW_SLOTS_SIZE(WHEEL_SLOTS), 0, socket);
	s->pending = rte_malloc_socket("fxr_tcp_pending", sizeof(*s->pending) * FXR_TCP_PENDING_MAX,
		0, socket);
	snprintf(name, sizeof(name), "fxr_tcb_%u_%u", lc->port_id, lc->queue_id);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = cfg->max_tcbs < 8 ? 8 : cfg->max_tcbs;
	hp.key_len = sizeof(struct fxr_tcp_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE; /* no insert failure below `entries` */
	s->hash = rte_hash_create(&hp);
	if (s->tcbs == NULL || s->sack_sb == NULL || s->ooo == NULL || s->free_idx == NULL || s->slots == NULL || s->pending == NULL
		|| s->hash == NULL) {
		lc->tcp = s;
		fxr_tcp_fini(lc);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->max_tcbs; i++)
		s->free_idx[i] = cfg->max_tcbs - 1 - i;
	s->n_free = cfg->max_tcbs;
	s->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (s->tsc_per_ms == 0)
		s->tsc_per_ms = 1;
	s->tsc_base = lc->now_tsc;
	/* the clock starts at 1 so that a zero deadline can mean "none" */
	s->now_ms = 1;
	fxr_tw_init(&s->wheel, s->slots, WHEEL_SLOTS, 1000, s->now_ms);
	fxr_tcp_rto_cfg_default(&s->rto_cfg);
	s->reass_cfg.max_segs = 512;
	s->reass_cfg.max_bytes = cfg->rcv_buf;
	s->reass_cfg.release = reass_release;
	s->reass_cfg.ctx = s;
	for (int i = 0; i < 2; i++) {
		s->iss_secret[i] = rte_rand();
		s->cookie_secret[i] = rte_rand();
	}
	lc->tcp = s;
	return 0;
}

void fxr_tcp_fini(struct fxr_lcore *lc)
{
	struct fxr_tcp_stack *s = lc->tcp;

	if (s == NULL)
		return;
	if (s->tcbs != NULL && s->free_idx != NULL && s->hash != NULL) {
		for (uint32_t i = 0; i < s->cfg.max_tcbs; i++)
			if (s->tcbs[i].state != FXR_TCP_CLOSED)
				fxr_tcb_free(s, &s->tcbs[i]);
	}
	rte_hash_free(s->hash);
	rte_free(s->tcbs);
	rte_free(s->sack_sb);
	rte_free(s->ooo);
	rte_free(s->free_idx);
	rte_free(s->slots);
	rte_free(s->pending);
	rte_free(s);
	lc->tcp = NULL;
}

int fxr_tcp_listen(struct fxr_lcore *lc, uint16_t port, const struct fxr_tcp_app *app, void *ctx)
{
	struct fxr_tcp_stack *s = lc->tcp;
	struct fxr_tcp_listener *free_slot = NULL;

	for (unsigned int i = 0; i < FXR_TCP_LISTENERS_MAX; i++) {
		if (s->listeners[i].lport == rte_cpu_to_be_16(port))
			return -EADDRINUSE;
		if (s->listeners[i].lport == 0 && free_slot == NULL)
			free_slot = &s->listeners[i];
	}
	if (free_slot == NULL)
		return -ENOSPC;
	free_slot->lport = rte_cpu_to_be_16(port);
	free_slot->app = app;
	free_slot->ctx = ctx;
	free_slot->backlog = s->cfg.syn_backlog;
	free_slot->syn_rcvd = 0;
	return 0;
}

uint32_t fxr_tcp_tcbs_in_use(const struct fxr_lcore *lc)
{
	return lc->tcp->cfg.max_tcbs - lc->tcp->n_free;
}

/* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs
 * clock; F here is CRC32-C keyed with a per-lcore random secret (not cryptographic; RFC 6528
 * asks for a PRF, noted as a limitation). */
uint32_t fxr_tcp_iss(const struct fxr_tcp_stack *s, const struct fxr_tcp_key *k)
{
	uint32_t f = rte_hash_crc(k, sizeof(*k), (uint32_t)s->iss_secret[0]);

	f = rte_hash_crc(s->iss_secret, sizeof(s->iss_secret), f);
	return f + (uint32_t)(rte_rdtsc() / (s->tsc_per_ms / 250 + 1));
}

void fxr_tcp_pending_add(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	struct fxr_tcp_stack *s = lc->tcp;

	if (tcb->flags & FXR_TCBF_PENDING)
		return;
	if (s->n_pending == FXR_TCP_PENDING_MAX) {
		fxr_tcp_output(lc, tcb);
		return;
	}
	tcb->flags |= FXR_TCBF_PENDING;
	s->pending[s->n_pending++] = tcb;
}

void fxr_tcp_flush(struct fxr_lcore *lc)
{
	struct fxr_tcp_stack *s = lc->tcp;

	/* output may add to the list (a callback sending on another TCB): index, not copy */
	for (uint32_t i = 0; i < s->n_pending; i++) {
		struct fxr_tcb *tcb = s->pending[i];

		tcb->flags &= (uint16_t)~FXR_TCBF_PENDING;
		if (tcb->state != FXR_TCP_CLOSED)
			fxr_tcp_output(lc, tcb);
	}
	s->n_pending = 0;
	/* once a burst (it reads every lcore's cache): the next burst holds no new data when
	 * the pool runs low */
	if (s->cfg.mbuf_reserve != 0 || s->cfg.mbuf_pressure != 0) {
		unsigned int avail = rte_mempool_avail_count(s->mp);
		bool low = avail < s->cfg.mbuf_reserve;
		bool pressure = avail < s->cfg.mbuf_pressure;

		if (low && !s->pool_low)
			FXR_CTR_INC(lc, tcp_pool_low);
		if (pressure && !s->pool_pressure)
			FXR_CTR_INC(lc, tcp_pool_pressure);
		s->pool_low = low;
		s->pool_pressure = pressure;
		s->pool_avail = avail;
	}
}

void fxr_tcp_app_closed(struct fxr_lcore *lc, struct fxr_tcb *tcb, int reason)
{
	const struct fxr_tcp_app *app = tcb->app;

	if (tcb->flags & FXR_TCBF_APP_CLOSED)
		return;
	tcb->flags |= FXR_TCBF_APP_CLOSED;
	tcb->app = NULL;
	if (app != NULL && app->on_close != NULL)
		app->on_close(lc, tcb, reason);
}

void fxr_tcp_close_tcb(struct fxr_lcore *lc, struct fxr_tcb *tcb, int reason, bool keep)
{
	struct fxr_tcp_stack *s = lc->tcp;

	if (tcb->state == FXR_TCP_SYN_RCVD && !(tcb->flags & FXR_TCBF_ACTIVE))
		s->listeners[tcb->listener].syn_rcvd--;
	/* a connection the app never saw (refused in SYN-RECEIVED) has no app yet */
	fxr_tcp_app_closed(lc, tcb, reason);
	if (!keep) {
		/* a pending entry may still point here: CLOSED makes fxr_tcp_flush skip it */
		fxr_tcb_free(s, tcb);
		FXR_CTR_INC(lc, tcp_closed);
	}
}

int fxr_tcp_send(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m)
{
	uint32_t len = 0;
	struct rte_mbuf *last = m;

	if (tcb->flags & FXR_TCBF_FIN_QUEUED) {
		rte_pktmbuf_free(m);
		return -EPIPE;
	}
	if (tcb->state != FXR_TCP_ESTABLISHED && tcb->state != FXR_TCP_CLOSE_WAIT
		&& tcb->state != FXR_TCP_SYN_RCVD && tcb->state != FXR_TCP_SYN_SENT) {
		rte_pktmbuf_free(m);
		return -ENOTCONN;
	}
	for (struct rte_mbuf *seg = m; seg != NULL; seg = seg->next) {
		len += rte_pktmbuf_data_len(seg);
		last = seg;
	}
	if (len == 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	if (tcb->sndq_tail != NULL)
		tcb->sndq_tail->next = m;
	else
		tcb->sndq_head = m;
	tcb->sndq_tail = last;
	tcb->sndq_bytes += len;
	fxr_tcp_pending_add(lc, tcb);
	return 0;
}

uint32_t fxr_tcp_send_cap(const struct fxr_lcore *lc)
{
	const struct fxr_tcp_stack *s = lc->tcp;
	uint32_t cap = s->cfg.snd_buf;

	/* under pool pressure a send queue grows only while it holds less than a few segments:
	 * queues towards receivers that do not read can then not take the pool from those that
	 * do (a relay queues what it receives on the peer's send queue) */
	if (unlikely(s->pool_pressure))
		cap = RTE_MIN(cap, FXR_TCP_PRESSURE_SEGS * (uint32_t)s->cfg.mss);
	return cap;
}

uint32_t fxr_tcp_send_space(const struct fxr_lcore *lc, const struct fxr_tcb *tcb)
{
	uint32_t cap = fxr_tcp_send_cap(lc);

	return tcb->sndq_bytes >= cap ? 0 : cap - tcb->sndq_bytes;
}

void fxr_tcp_bytes(const struct fxr_tcb *tcb, uint32_t *in, uint32_t *out)
{
	/* RFC 9293 §3.4: the SYN and the FIN take a sequence number each */
	bool fin_acked = (tcb->flags & FXR_TCBF_FIN_SENT) && tcb->snd_una == tcb->snd_max;

	*in = tcb->rcv_nxt - tcb->irs - 1 - ((tcb->flags & FXR_TCBF_PEER_FIN) ? 1u : 0u);
	*out = tcb->snd_una - tcb->iss - 1 - (fin_acked ? 1u : 0u);
}

void fxr_tcp_recv_done(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t n)
{
	uint32_t before = fxr_tcp_rcv_window_now(lc->tcp, tcb);

	tcb->rcv_held = n > tcb->rcv_held ? 0 : tcb->rcv_held - n;
	/* RFC 9293 §3.8.6.2.2 (receiver SWS avoidance): announce a reopened window only once it
	 * grew by min(half the buffer, one MSS) beyond what the peer already knows */
	if (tcb->state >= FXR_TCP_ESTABLISHED && !(tcb->flags & FXR_TCBF_PEER_FIN)) {
		uint32_t now = fxr_tcp_rcv_window_now(lc->tcp, tcb);
		uint32_t adv = tcb->rcv_adv - tcb->rcv_nxt;
		uint32_t thresh = RTE_MIN(lc->tcp->cfg.rcv_buf / 2, (uint32_t)tcb->snd_mss);

		if (now > before && now >= adv + thresh) {
			tcb->flags |= FXR_TCBF_ACK_NOW;
			fxr_tcp_pending_add(lc, tcb);
		}
	}
}

void fxr_tcp_shutdown(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	if (tcb->flags & FXR_TCBF_FIN_QUEUED)
		return;
	switch (tcb->state) {
	case FXR_TCP_SYN_SENT:
		/* RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB */
		fxr_tcp_close_tcb(lc, tcb, 0, false);
		return;
	case FXR_TCP_SYN_RCVD:
	case FXR_TCP_ESTABLISHED:
	case FXR_TCP_CLOSE_WAIT:
		tcb->flags |= FXR_TCBF_FIN_QUEUED;
		fxr_tcp_pending_add(lc, tcb);
		return;
	default:
		return;
	}
}

void fxr_tcp_abort(struct fxr_lcore *lc, struct fxr_tcb *tcb)
{
	/* RFC 9293 §3.10.5: in a synchronised state, send a RST */
	if (tcb->state >= FXR_TCP_SYN_RCVD && tcb->state != FXR_TCP_TIME_WAIT)
		fxr_tcp_send_rst(lc, tcb);
	FXR_CTR_INC(lc, tcp_aborted);
	fxr_tcp_close_tcb(lc, tcb, -ECONNRESET, false);
}

struct fxr_tcb *fxr_tcp_connect(struct fxr_lcore *lc, uint32_t raddr, uint16_t rport,
	uint16_t lport, const struct fxr_tcp_app *app, void *app_ctx, int *err)
{
	struct fxr_tcp_stack *s = lc->tcp;
	struct fxr_tcp_key k = { .raddr = raddr, .rport = rport, .lport = lport };
	struct fxr_tcb *tcb = NULL;

	if (lport == 0) {
		/* ephemeral range 49152..65535 (RFC 6335 §6), randomised start (RFC 6056) */
		uint32_t start = (uint32_t)rte_rand();

		/* with several lcores, only a port whose flow hashes to this lcore (steer.h):
		 * about one in n_lcores */
		uint32_t tries = 64u * (lc->xl != NULL ? lc->steer->n_lcores : 1u);

		for (uint32_t i = 0; i < tries && tcb == NULL; i++) {
			k.lport = rte_cpu_to_be_16((uint16_t)(49152 + (start + i * 7919) % 16384));
			if (lc->xl != NULL && fxr_steer_owner(lc->steer, raddr, lc->ip, rport, k.lport)
				!= lc->queue_id)
				continue;
			if (fxr_tcb_lookup(s, &k) == NULL)
				tcb = fxr_tcb_alloc(s, &k);
		}
	} else if (lc->xl != NULL
		&& fxr_steer_owner(lc->steer, raddr, lc->ip, rport, lport) != lc->queue_id) {
		/* its segments would be handed to another lcore, which has no such TCB */
		*err = -EXDEV;
		return NULL;
	} else if (fxr_tcb_lookup(s, &k) == NULL) {
		tcb = fxr_tcb_alloc(s, &k);
	} else {
		*err = -EADDRINUSE;
		return NULL;
	}
	if (tcb == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	tcb->flags = FXR_TCBF_ACTIVE;
	tcb->app = app;
	tcb->app_ctx = app_ctx;
	tcb->iss = fxr_tcp_iss(s, &k);
	tcb->snd_una = tcb->iss;
	tcb->snd_nxt = tcb->iss + 1;
	tcb->snd_max = tcb->iss + 1;
	tcb->snd_mss = FXR_TCP_MSS_DEFAULT_PEER;
	tcb->rcv_wscale = FXR_TCP_WSCALE_OURS;
	tcb->state = FXR_TCP_SYN_SENT;
	fxr_tcp_rto_init(&tcb->rto, &s->rto_cfg);
	fxr_tcp_send_segment(lc, tcb, tcb->iss, 0, RTE_TCP_SYN_FLAG);
	fxr_tcp_rtx_arm(s, tcb);
	FXR_CTR_INC(lc, tcp_active_open);
	return tcb;
}

void fxr_tcp_dump(FILE *out, const struct fxr_lcore *lc)
{
	const struct fxr_tcp_stack *s = lc->tcp;
	unsigned int shown = 0;

	if (s == NULL)
		return;
	uint64_t held = 0, ooo = 0, sndq = 0;

	for (uint32_t i = 0; i < s->cfg.max_tcbs; i++) {
		const struct fxr_tcb *t = &s->tcbs[i];

		if (t->state == FXR_TCP_CLOSED)
			continue;
		held += t->rcv_held;
		ooo += (t->flags & FXR_TCBF_OOO) ? s->ooo[i].reass.bytes : 0;
		sndq += t->sndq_bytes;
	}
	fprintf(out, "tcp lcore %u: %u TCBs in use, clock %u ms; bytes held %" PRIu64 ", out of"
		" order %" PRIu64 ", send queues %" PRIu64 "; mbuf pool %u free of %u (reserve %u)\n",
		lc->lcore_id, s->cfg.max_tcbs - s->n_free, s->now_ms, held, ooo, sndq,
		rte_mempool_avail_count(s->mp), s->mp->size, s->cfg.mbuf_reserve);
	for (uint32_t i = 0; i < s->cfg.max_tcbs && shown < 64; i++) {
		const struct fxr_tcb *t = &s->tcbs[i];
		char ip[INET_ADDRSTRLEN];

		if (t->state == FXR_TCP_CLOSED)
			continue;
		shown++;
		inet_ntop(AF_INET, &t->key.raddr, ip, sizeof(ip));
		fprintf(out, "tcb %s:%u->:%u %s una %u nxt %u max %u wnd %u cwnd %u ssthresh %u"
			" rcv_nxt %u rcv_adv %u held %u ooo %u sndq %u flags 0x%x rtx_at %u"
			" rtx_count %u rto %u us\n",
			ip, rte_be_to_cpu_16(t->key.rport), rte_be_to_cpu_16(t->key.lport),
			fxr_tcp_state_names[t->state], t->snd_una - t->iss, t->snd_nxt - t->iss,
			t->snd_max - t->iss, t->snd_wnd, t->cc.cwnd, t->cc.ssthresh,
			t->rcv_nxt - t->irs, t->rcv_adv - t->irs, t->rcv_held,
			(t->flags & FXR_TCBF_OOO) ? s->ooo[i].reass.bytes : 0,
			t->sndq_bytes, t->flags, t->rtx_at, t->rtx_count,
			fxr_tcp_rto_current(&t->rto, &s->rto_cfg));
	}
}
