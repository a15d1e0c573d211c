/* bench/micro/dp_env.c: EAL, the lcore and its TCP stack, the sink and the built peer of the
 * dataplane microbenchmarks (dp_env.h). */
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "arp.h"
#include "counters.h"
#include "dp_env.h"
#include "dp_fixture.h"
#include "eth.h"
#include "lcore-t.h"
#include "loop.h"
#include "port.h"
#include "tcp.h"
#include "tcp_internal.h"

/* The benchmark link: us and every peer host (one address). */
#define OUR_IP   RTE_IPV4(10, 200, 9, 2)
#define PEER_IP  RTE_IPV4(10, 200, 9, 1)
#define PEER_MSS 1460
/* the per-lcore mempool cache of the port's pool (dataplane/port.c) */
#define POOL_CACHE 256

static const struct rte_ether_addr our_mac = { { 0x02, 0, 0, 0, 9, 2 } };
static const struct rte_ether_addr peer_mac = { { 0x02, 0, 0, 0, 9, 1 } };

static char error_text[256];
static bool eal_up;
/* EAL keeps pointers into its arguments: they live as long as the program. */
static char eal_prefix[64];
static char eal_lcores[16];
static char runtime_dir[PATH_MAX];
static unsigned int pools_made;

const char *bench_dp_error(void)
{
	return error_text;
}

int dp_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_text, sizeof(error_text), fmt, ap);
	va_end(ap);
	return -1;
}

static void eal_stop(void)
{
	rte_eal_cleanup();
	rmdir(runtime_dir);
}

/* The first CPU this thread may run on: EAL pins its main lcore there, so that starting it
 * does not move the benchmark (taskset keeps working). */
static int first_allowed_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return 0;
}

int dp_eal_start(void)
{
	static char *args[] = {
		"fxr-bench-micro", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", eal_lcores, "--log-level", "error",
		"--file-prefix", eal_prefix,
	};

	if (eal_up)
		return 0;
	snprintf(eal_lcores, sizeof(eal_lcores), "%d", first_allowed_cpu());
	snprintf(eal_prefix, sizeof(eal_prefix), "fxr-bench-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(args), args) < 0)
		return dp_fail("EAL initialisation failed: %s", rte_strerror(rte_errno));
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	eal_up = true;
	atexit(eal_stop);
	return 0;
}

/* An ARP request from the peer host for our address: ARP learns the peer's MAC. */
static int teach_arp(struct dp_env *e)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(e->mp);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL)
		return dp_fail("no mbuf for ARP");
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return dp_fail("no room for ARP");
	}
	memset(eh, 0, sizeof(*eh) + sizeof(*ah));
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	eh->src_addr = peer_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	fxr_arp_fill(ah, RTE_ARP_OP_REQUEST, &peer_mac, rte_cpu_to_be_32(PEER_IP),
		rte_cpu_to_be_32(OUR_IP));
	fxr_eth_input_burst(e->lc, &m, 1);
	if (dp_env_sink(e) != 1)
		return dp_fail("ARP request not answered");
	return 0;
}

int dp_env_open(struct dp_env *e, uint16_t queue_id, unsigned int n_mbufs,
	const struct fxr_tcp_cfg *tc, bool tx_cksum_offload)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	memset(e, 0, sizeof(*e));
	if (dp_eal_start() != 0)
		return -1;
	e->cfg.ip = rte_cpu_to_be_32(OUR_IP);
	e->cfg.plen = 24;
	e->cfg.netmask = rte_cpu_to_be_32(0xffffff00u);
	e->cfg.tx_flush_us = FXR_DP_TX_FLUSH_US_DEFAULT;
	snprintf(name, sizeof(name), "bench_mp_%u", pools_made++);
	e->mp = rte_pktmbuf_pool_create(name, n_mbufs, POOL_CACHE,
		(uint16_t)fxr_port_mbuf_priv_size(),
		RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	e->lc = rte_zmalloc("bench_lcore", sizeof(*e->lc), RTE_CACHE_LINE_SIZE);
	if (e->mp == NULL || e->lc == NULL) {
		dp_env_close(e);
		return dp_fail("no memory for a pool of %u mbufs", n_mbufs);
	}
	fxr_lcore_init(e->lc, &e->cfg, rte_lcore_id(), 0, queue_id, e->mp, &our_mac, false);
	e->tick_tsc = rte_get_tsc_hz() / 1000000;
	e->lc->now_tsc = rte_get_tsc_hz(); /* the virtual clock starts at 1 s */
	rc = fxr_tcp_init(e->lc, tc, tx_cksum_offload);
	if (rc != 0) {
		dp_env_close(e);
		return dp_fail("fxr_tcp_init: %s", strerror(-rc));
	}
	if (teach_arp(e) != 0) {
		dp_env_close(e);
		return -1;
	}
	return 0;
}

int dp_env_close(struct dp_env *e)
{
	int rc = 0;

	if (e->lc != NULL) {
		fxr_tcp_fini(e->lc);
		fxr_lcore_fini(e->lc);
		rte_free(e->lc);
	}
	if (e->mp != NULL) {
		if (rte_mempool_avail_count(e->mp) != e->mp->size)
			rc = dp_fail("%u mbufs not returned to the pool",
				e->mp->size - rte_mempool_avail_count(e->mp));
		rte_mempool_free(e->mp);
	}
	memset(e, 0, sizeof(*e));
	return rc;
}

unsigned int dp_env_sink(struct dp_env *e)
{
	unsigned int n = e->lc->tx_n;

	rte_pktmbuf_free_bulk(e->lc->tx, n);
	e->lc->tx_n = 0;
	return n;
}

void dp_env_tick(struct dp_env *e)
{
	e->lc->now_tsc += e->tick_tsc;
	fxr_tcp_timers(e->lc);
}

uint64_t dp_env_tcp_drops(const struct dp_env *e)
{
	const uint64_t *v = e->lc->ctr.v;

	return v[FXR_CTR_tcp_drop_malformed] + v[FXR_CTR_tcp_drop_broadcast]
		+ v[FXR_CTR_tcp_drop_cksum] + v[FXR_CTR_tcp_drop_paws]
		+ v[FXR_CTR_tcp_drop_out_of_window] + v[FXR_CTR_tcp_drop_no_ack]
		+ v[FXR_CTR_tcp_drop_bad_ack] + v[FXR_CTR_tcp_rx_no_tcb];
}

/* Linux's SYN options: MSS, SACK-permitted, TS, NOP, WS 7. */
static unsigned int syn_options(uint8_t *o, uint32_t tsval)
{
	static const uint8_t tmpl[20] = { 2, 4, PEER_MSS >> 8, PEER_MSS & 0xff, 4, 2, 8, 10,
		0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 };
	uint32_t be = rte_cpu_to_be_32(tsval);

	memcpy(o, tmpl, sizeof(tmpl));
	memcpy(o + 8, &be, 4);
	return sizeof(tmpl);
}

/* NOP NOP TS. */
static unsigned int ts_option(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	uint32_t v = rte_cpu_to_be_32(tsval), ecr = rte_cpu_to_be_32(tsecr);

	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	memcpy(o + 4, &v, 4);
	memcpy(o + 8, &ecr, 4);
	return 12;
}

struct rte_mbuf *dp_peer_segment(struct dp_env *e, struct dp_peer *p, uint8_t flags,
	uint32_t seq, uint32_t ack, const uint8_t *data, uint32_t len, bool rx_cksum_good)
{
	uint8_t opts[40];
	unsigned int optlen = (flags & RTE_TCP_SYN_FLAG) ? syn_options(opts, p->tsval)
		: ts_option(opts, p->tsval, e->lc->tcp->now_ms);
	unsigned int tcp_len = sizeof(struct rte_tcp_hdr) + optlen + len;
	unsigned int hdrs = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(e->mp);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *payload;

	if (m == NULL)
		return NULL;
	p->tsval++;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(hdrs + tcp_len));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eh->dst_addr = our_mac;
	eh->src_addr = peer_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + tcp_len));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(OUR_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16(p->sport);
	th->dst_port = rte_cpu_to_be_16(p->dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = RTE_BE16(65535); /* scaled by 7 after the SYN: 8 MB */
	th->cksum = 0;
	th->tcp_urp = 0;
	memcpy(th + 1, opts, optlen);
	payload = (uint8_t *)(th + 1) + optlen;
	if (data != NULL)
		memcpy(payload, data, len);
	else
		memset(payload, 0, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	m->l2_len = sizeof(*eh);
	m->l3_len = sizeof(*ip);
	if (rx_cksum_good)
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return m;
}

int dp_peer_connect(struct dp_env *e, struct dp_peer *p, uint16_t sport, uint16_t dport)
{
	struct fxr_lcore *lc = e->lc;
	struct fxr_tcp_key k = { .raddr = rte_cpu_to_be_32(PEER_IP),
		.rport = rte_cpu_to_be_16(sport), .lport = rte_cpu_to_be_16(dport) };
	const struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t iss;

	memset(p, 0, sizeof(*p));
	p->sport = sport;
	p->dport = dport;
	p->snd_nxt = 1000000u + sport;
	p->tsval = 100;
	m = dp_peer_segment(e, p, RTE_TCP_SYN_FLAG, p->snd_nxt, 0, NULL, 0, false);
	if (m == NULL)
		return dp_fail("no mbuf for a SYN");
	fxr_tcp_input(lc, m);
	fxr_tcp_flush(lc);
	if (lc->tx_n != 1)
		return dp_fail("SYN to port %u: %u segments back, not one SYN-ACK", dport, lc->tx_n);
	th = rte_pktmbuf_mtod_offset(lc->tx[0], const struct rte_tcp_hdr *,
		sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
	if (th->tcp_flags != (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		dp_env_sink(e);
		return dp_fail("SYN to port %u: flags 0x%x back, not SYN-ACK", dport, th->tcp_flags);
	}
	iss = rte_be_to_cpu_32(th->sent_seq);
	dp_env_sink(e);
	p->snd_nxt++;
	p->rcv_nxt = iss + 1;
	m = dp_peer_segment(e, p, RTE_TCP_ACK_FLAG, p->snd_nxt, p->rcv_nxt, NULL, 0, false);
	if (m == NULL)
		return dp_fail("no mbuf for an ACK");
	fxr_tcp_input(lc, m);
	fxr_tcp_flush(lc);
	dp_env_sink(e);
	p->tcb = fxr_tcb_lookup(lc->tcp, &k);
	if (p->tcb == NULL || p->tcb->state != FXR_TCP_ESTABLISHED)
		return dp_fail("port %u: the connection is not established", dport);
	return 0;
}
