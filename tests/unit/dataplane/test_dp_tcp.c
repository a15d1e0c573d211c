/* tests/unit/dataplane/test_dp_tcp.c: the userspace TCP stack from the wire, packetdrill
 * style: exact segments in through fxr_eth_input_burst(), exact segments out of the lcore's
 * TX buffer (inspected, never sent: no port exists). Time is virtual: the tests move
 * lc->now_tsc and call fxr_tcp_timers(). EAL runs without hugepages. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "config-t.h"
#include "dp_test.h"
#include "counters.h"
#include "eth.h"
#include "lcore-t.h"
#include "loop.h"
#include "port.h"
#include "services.h"
#include "tcp.h"
#include "tcp_internal.h"

#define POOL_SIZE 2047u
#define ECHO_PORT 7
#define PEER_PORT 40000
#define PEER_ISS 1000000u
#define PEER_MSS 1400

static struct rte_mempool *pool;
static struct fxr_dp_config cfg;
static struct fxr_lcore *lc;
static uint64_t hz;

#define OUR_IP  dp_test_addr("10.200.2.2")
#define PEER_IP dp_test_addr("10.200.2.1")

static uint64_t ctr(enum fxr_ctr id)
{
	return lc->ctr.v[id];
}

/* ---- the peer's side ---- */

/* A segment from the peer: flags, seq, ack, window (as sent), options, payload. */
struct seg_spec {
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	const uint8_t *opts;
	unsigned int optlen;      /* multiple of 4 */
	const uint8_t *data;
	unsigned int len;
};

static struct rte_mbuf *segment(const struct seg_spec *s)
{
	unsigned int tcp_len = sizeof(struct rte_tcp_hdr) + s->optlen + s->len;
	unsigned int total = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + tcp_len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	assert_non_null(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)total);
	assert_non_null(eh);
	memset(eh, 0, total);
	eh->dst_addr = dp_test_our_mac;
	eh->src_addr = dp_test_peer_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + tcp_len));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = PEER_IP;
	ip->dst_addr = OUR_IP;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16(s->sport ? s->sport : PEER_PORT);
	th->dst_port = rte_cpu_to_be_16(s->dport ? s->dport : ECHO_PORT);
	th->sent_seq = rte_cpu_to_be_32(s->seq);
	th->recv_ack = rte_cpu_to_be_32(s->ack);
	th->data_off = (uint8_t)(((sizeof(*th) + s->optlen) / 4) << 4);
	th->tcp_flags = s->flags;
	th->rx_win = rte_cpu_to_be_16(s->win);
	if (s->optlen)
		memcpy(th + 1, s->opts, s->optlen);
	if (s->len)
		memcpy((uint8_t *)(th + 1) + s->optlen, s->data, s->len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

static void input(struct rte_mbuf *m)
{
	fxr_eth_input_burst(lc, &m, 1);
	fxr_tcp_flush(lc);
}

static void send_seg(const struct seg_spec *s)
{
	input(segment(s));
}

/* Timestamps option (NOP NOP TS) with tsval/tsecr. */
static const uint8_t *ts_opt(uint32_t tsval, uint32_t tsecr)
{
	static uint8_t o[12];

	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	tsval = htonl(tsval);
	tsecr = htonl(tsecr);
	memcpy(o + 4, &tsval, 4);
	memcpy(o + 8, &tsecr, 4);
	return o;
}

/* SYN options as Linux sends them: MSS, SACK-permitted, TS, NOP, WS 7. */
static const uint8_t *syn_opts(uint32_t tsval)
{
	static uint8_t o[20];

	memcpy(o, (const uint8_t[]){ 2, 4, PEER_MSS >> 8, PEER_MSS & 0xff, 4, 2, 8, 10,
		0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 }, 20);
	tsval = htonl(tsval);
	memcpy(o + 8, &tsval, 4);
	return o;
}

/* ---- what we sent ---- */

struct out_seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t sport, dport;
	unsigned int len;
	uint8_t data[2048];
	struct fxr_tcp_opts o;
	unsigned int optlen;
	uint8_t opts[40];
};

/* Pops the oldest TX packet as a TCP segment, checking the IPv4 and TCP checksums. */
static void pop_tx(struct out_seg *out)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	unsigned int tcp_len, doff;

	assert_true(lc->tx_n > 0);
	m = lc->tx[0];
	memmove(lc->tx, lc->tx + 1, (lc->tx_n - 1) * sizeof(lc->tx[0]));
	lc->tx_n--;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	assert_int_equal(ip->next_proto_id, IPPROTO_TCP);
	assert_int_equal(ip->src_addr, OUR_IP);
	assert_int_equal(ip->dst_addr, PEER_IP);
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	th = (struct rte_tcp_hdr *)(ip + 1);
	tcp_len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip);
	assert_int_equal(rte_ipv4_udptcp_cksum(ip, th), 0); /* sums to all ones */
	doff = (th->data_off >> 4) * 4u;
	out->flags = th->tcp_flags;
	out->seq = rte_be_to_cpu_32(th->sent_seq);
	out->ack = rte_be_to_cpu_32(th->recv_ack);
	out->win = rte_be_to_cpu_16(th->rx_win);
	out->sport = rte_be_to_cpu_16(th->src_port);
	out->dport = rte_be_to_cpu_16(th->dst_port);
	out->len = tcp_len - doff;
	out->optlen = doff - sizeof(*th);
	memcpy(out->opts, th + 1, out->optlen);
	memcpy(out->data, (uint8_t *)th + doff, out->len);
	fxr_tcp_opts_parse(th, &out->o);
	rte_pktmbuf_free(m);
}

/* a macro, so that a failure names the caller's line */
#define assert_no_tx() assert_int_equal(lc->tx_n, 0)

/* Moves the virtual clock forward by ms and runs the timers. */
static void advance_ms(uint64_t ms)
{
	/* in steps, as the loop would, so that the wheel sees every tick */
	for (uint64_t i = 0; i < ms; i++) {
		lc->now_tsc += hz / 1000;
		fxr_tcp_timers(lc);
	}
}

/* ---- fixtures ---- */

static int setup_with(uint16_t syn_backlog)
{
	struct fxr_tcp_cfg tc;
	struct rte_mbuf *m;

	fxr_lcore_init(lc, &cfg, 0, 0, 0, pool, &dp_test_our_mac, false);
	lc->now_tsc = hz;
	fxr_tcp_cfg_default(&tc);
	tc.max_tcbs = 64;
	tc.time_wait_ms = 100;
	tc.rcv_buf = 65536;
	tc.syn_backlog = syn_backlog;
	assert_int_equal(fxr_tcp_init(lc, &tc, false), 0);
	assert_int_equal(fxr_services_start(lc, ECHO_PORT, 0), 0);
	/* teach ARP the peer, so our segments go straight to the TX buffer */
	m = dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &dp_test_peer_mac, PEER_IP,
		OUR_IP);
	input(m);
	assert_int_equal(lc->tx_n, 1);
	rte_pktmbuf_free(lc->tx[0]);
	lc->tx_n = 0;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_with(16);
}

/* A listener that takes one half-open connection before it answers with SYN cookies. */
static int setup_backlog1(void **state)
{
	(void)state;
	return setup_with(1);
}

/* Everything the stack held goes back to the pool: nothing leaked. */
static int teardown(void **state)
{
	(void)state;
	fxr_tcp_fini(lc);
	fxr_lcore_fini(lc);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
	return 0;
}

/* Opens a connection to the echo port with Linux-like SYN options; returns our ISS. */
static uint32_t handshake(uint32_t tsval)
{
	struct out_seg o;

	send_seg(&(struct seg_spec){ .flags = RTE_TCP_SYN_FLAG, .seq = PEER_ISS, .win = 64240,
		.opts = syn_opts(tsval), .optlen = 20 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1,
		.ack = o.seq + 1, .win = 502, .opts = ts_opt(tsval + 1, o.o.tsval), .optlen = 12 });
	assert_no_tx();
	assert_int_equal(ctr(FXR_CTR_tcp_established), 1);
	return o.seq;
}

/* ---- tests ---- */

static void test_tcb_size(void **state)
{
	(void)state;
	printf("sizeof(struct fxr_tcb) = %zu (SACK scoreboard %zu beside it)\n",
		sizeof(struct fxr_tcb), sizeof(struct fxr_tcp_sack_sb));
	/* the TCB stays within 4 cache lines; the SACK scoreboard and the out-of-order state
	 * are kept beside the table */
	assert_true(sizeof(struct fxr_tcb) <= 256);
}

static void test_closed_port_gets_rst(void **state)
{
	struct out_seg o;

	(void)state;
	/* RFC 9293 §3.10.7.1: no ACK bit: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	send_seg(&(struct seg_spec){ .dport = 8, .flags = RTE_TCP_SYN_FLAG, .seq = 555, .win = 1000 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(o.seq, 0);
	assert_int_equal(o.ack, 556);
	assert_int_equal(o.sport, 8);
	assert_int_equal(o.dport, PEER_PORT);
	/* ACK bit: <SEQ=SEG.ACK><CTL=RST> */
	send_seg(&(struct seg_spec){ .dport = 8, .flags = RTE_TCP_ACK_FLAG, .seq = 555, .ack = 777,
		.win = 1000 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(o.seq, 777);
	/* a RST is never answered */
	send_seg(&(struct seg_spec){ .dport = 8, .flags = RTE_TCP_RST_FLAG, .seq = 555 });
	assert_no_tx();
	assert_int_equal(ctr(FXR_CTR_tcp_rx_no_tcb), 3);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 0);
}

static void test_syn_ack_options(void **state)
{
	struct out_seg o;
	static const uint8_t want_prefix[] = {
		2, 4, 0x05, 0xb4,   /* MSS 1460 */
		1, 3, 3, FXR_TCP_WSCALE_OURS, /* NOP, WS */
		1, 1, 4, 2,         /* NOP NOP SACK-permitted */
		1, 1, 8, 10,        /* NOP NOP TS ... */
	};

	(void)state;
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_SYN_FLAG, .seq = PEER_ISS, .win = 64240,
		.opts = syn_opts(4242), .optlen = 20 });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, PEER_ISS + 1);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.optlen, 24);
	assert_memory_equal(o.opts, want_prefix, sizeof(want_prefix));
	assert_true(o.o.has_ts);
	assert_int_equal(o.o.tsecr, 4242);   /* RFC 7323 §3.2: echoes the SYN's TSval */
	/* RFC 7323 §2.2: the SYN-ACK's window is not scaled */
	assert_int_equal(o.win, 65535);

	/* a SYN without options gets a SYN-ACK with MSS only (no WS, SACK, TS) */
	send_seg(&(struct seg_spec){ .sport = PEER_PORT + 1, .flags = RTE_TCP_SYN_FLAG,
		.seq = 77, .win = 8192 });
	pop_tx(&o);
	assert_int_equal(o.optlen, 4);
	assert_int_equal(o.o.mss, 1460);
	assert_false(o.o.has_wscale);

	/* the SYN-ACK is retransmitted on its timer (RFC 6298 §2.1: 1 s at first) */
	advance_ms(999);
	assert_no_tx();
	advance_ms(2);
	assert_int_equal(lc->tx_n, 2);
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	pop_tx(&o);
	assert_int_equal(ctr(FXR_CTR_tcp_rto_expired), 2);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 2);
}

static void test_echo_data_fin_and_close(void **state)
{
	struct out_seg o;
	uint8_t data[300];
	uint32_t iss;

	(void)state;
	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	iss = handshake(100);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
		.seq = PEER_ISS + 1, .ack = iss + 1, .win = 502, .opts = ts_opt(102, 1),
		.optlen = 12, .data = data, .len = sizeof(data) });
	/* the echo goes out at the end of the burst, carrying the ACK */
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	assert_int_equal(o.seq, iss + 1);
	assert_int_equal(o.ack, PEER_ISS + 1 + sizeof(data));
	assert_int_equal(o.len, sizeof(data));
	assert_memory_equal(o.data, data, sizeof(data));
	assert_true(o.o.has_ts);
	assert_int_equal(o.o.tsecr, 102);

	/* the peer acks the echo and half-closes: we ack its FIN and send ours (LAST-ACK) */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG,
		.seq = PEER_ISS + 1 + sizeof(data), .ack = iss + 1 + sizeof(data), .win = 502,
		.opts = ts_opt(103, o.o.tsval), .optlen = 12 });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG);
	assert_int_equal(o.seq, iss + 1 + sizeof(data));
	assert_int_equal(o.ack, PEER_ISS + 2 + sizeof(data));
	/* the peer acks our FIN: the TCB is freed */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 2 + sizeof(data),
		.ack = iss + 2 + sizeof(data), .win = 502, .opts = ts_opt(104, o.o.tsval),
		.optlen = 12 });
	assert_no_tx();
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 0);
	assert_int_equal(ctr(FXR_CTR_tcp_closed), 1);
}

static void test_out_of_window_gets_ack_and_rst_syn_get_challenge(void **state)
{
	struct out_seg o;
	uint8_t data[10] = { 0 };
	uint32_t iss;

	(void)state;
	iss = handshake(100);
	/* RFC 9293 §3.10.7.4: far beyond the window: an ACK, nothing delivered */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1 + 10000000,
		.ack = iss + 1, .win = 502, .opts = ts_opt(101, 1), .optlen = 12, .data = data,
		.len = sizeof(data) });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, PEER_ISS + 1);
	assert_int_equal(ctr(FXR_CTR_tcp_drop_out_of_window), 1);
	assert_int_equal(ctr(FXR_CTR_tcp_rx_bytes), 0);

	/* RFC 5961 §3.2: a RST in the window but not at RCV.NXT: challenge ACK, no reset */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_RST_FLAG, .seq = PEER_ISS + 1 + 100 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.seq, iss + 1);
	assert_int_equal(o.ack, PEER_ISS + 1);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_challenge_ack), 1);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 1);

	/* RFC 5961 §4.2: a SYN on an established connection: challenge ACK */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_SYN_FLAG, .seq = PEER_ISS + 50, .win = 1000,
		.opts = ts_opt(105, 0), .optlen = 12 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, PEER_ISS + 1);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_challenge_ack), 2);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 1);

	/* RFC 5961 §7: challenge ACKs are rate limited */
	lc->tcp->cfg.challenge_acks_per_s = 3;
	for (int i = 0; i < 3; i++)
		send_seg(&(struct seg_spec){ .flags = RTE_TCP_RST_FLAG, .seq = PEER_ISS + 1 + 100 });
	assert_int_equal(lc->tx_n, 1);   /* the third of this second; two were sent before */
	pop_tx(&o);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_challenge_ack), 3);
	assert_int_equal(ctr(FXR_CTR_tcp_challenge_ack_limited), 2);
	advance_ms(1000);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_RST_FLAG, .seq = PEER_ISS + 1 + 100 });
	pop_tx(&o);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_challenge_ack), 4);

	/* a RST exactly at RCV.NXT resets */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_RST_FLAG, .seq = PEER_ISS + 1 });
	assert_no_tx();
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 0);
	assert_int_equal(ctr(FXR_CTR_tcp_rx_rst), 1);
}

static void test_paws_rejects_old_timestamp(void **state)
{
	struct out_seg o;
	uint8_t data[20] = { 1 };
	uint32_t iss;

	(void)state;
	iss = handshake(5000);
	/* RFC 7323 §5.3: TSval 4000 < TS.Recent 5001: dropped with an ACK */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(4000, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, PEER_ISS + 1);
	assert_int_equal(o.o.tsecr, 5001);
	assert_int_equal(ctr(FXR_CTR_tcp_drop_paws), 1);
	assert_int_equal(ctr(FXR_CTR_tcp_rx_bytes), 0);
}

static void test_out_of_order_is_sacked_then_filled(void **state)
{
	struct out_seg o;
	uint8_t a[100], b[100];
	uint32_t iss;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	iss = handshake(100);
	/* the second segment first: an immediate ACK with a SACK block (RFC 2018 §4) */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 101,
		.ack = iss + 1, .win = 502, .opts = ts_opt(101, 1), .optlen = 12, .data = b,
		.len = sizeof(b) });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.ack, PEER_ISS + 1);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.o.n_sack, 1);
	assert_int_equal(o.o.sack[0].start, PEER_ISS + 101);
	assert_int_equal(o.o.sack[0].end, PEER_ISS + 201);
	/* the hole filled: both are echoed, in order, and the ACK covers both */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(102, 1), .optlen = 12, .data = a, .len = sizeof(a) });
	pop_tx(&o);
	assert_int_equal(o.ack, PEER_ISS + 201);
	assert_int_equal(o.seq, iss + 1);
	assert_int_equal(o.len, 200);
	assert_memory_equal(o.data, a, 100);
	assert_memory_equal(o.data + 100, b, 100);
	assert_int_equal(o.o.n_sack, 0);
	assert_no_tx();
}

static void test_rto_retransmits_and_backs_off(void **state)
{
	struct out_seg o, again;
	uint8_t data[50];
	uint32_t iss;

	(void)state;
	memset(data, 'x', sizeof(data));
	iss = handshake(100);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(101, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	pop_tx(&o);
	assert_int_equal(o.len, sizeof(data));
	/* no ACK: after the RTO (1 s, no RTT sample of data yet... the handshake gave one,
	 * so the 200 ms floor applies) the segment goes again, then after twice that */
	advance_ms(199);
	assert_no_tx();
	advance_ms(2);
	pop_tx(&again);
	assert_int_equal(again.seq, o.seq);
	assert_int_equal(again.len, o.len);
	assert_memory_equal(again.data, data, sizeof(data));
	assert_int_equal(ctr(FXR_CTR_tcp_rto_expired), 1);
	advance_ms(398);
	assert_no_tx();
	advance_ms(3);
	pop_tx(&again);
	assert_int_equal(again.seq, o.seq);
	assert_int_equal(ctr(FXR_CTR_tcp_rto_expired), 2);
	/* the ACK stops the timer */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 51,
		.ack = iss + 51, .win = 502, .opts = ts_opt(102, again.o.tsval), .optlen = 12 });
	advance_ms(5000);
	assert_no_tx();
	assert_int_equal(ctr(FXR_CTR_tcp_rto_expired), 2);
}

static void test_zero_window_persist(void **state)
{
	struct out_seg o;
	uint8_t data[40];
	uint32_t iss;

	(void)state;
	memset(data, 'z', sizeof(data));
	iss = handshake(100);
	/* the peer sends data but closes its window: nothing can be echoed */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 0, .opts = ts_opt(101, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	assert_no_tx();  /* the ACK is delayed, the echo waits for the window */
	advance_ms(45);
	pop_tx(&o);      /* the delayed ACK */
	assert_int_equal(o.len, 0);
	assert_int_equal(o.ack, PEER_ISS + 41);
	assert_int_equal(ctr(FXR_CTR_tcp_delack_expired), 1);
	/* RFC 9293 §3.8.6.1: the persist timer probes the closed window with one octet */
	advance_ms(1000);
	pop_tx(&o);
	assert_int_equal(o.len, 1);
	assert_int_equal(o.seq, iss + 1);
	assert_true(ctr(FXR_CTR_tcp_tx_window_probe) >= 1);
	while (lc->tx_n)
		pop_tx(&o);
	/* the window opens: the rest follows */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 41, .ack = iss + 1,
		.win = 502, .opts = ts_opt(102, 1), .optlen = 12 });
	pop_tx(&o);
	assert_int_equal(o.seq, iss + 1);
	assert_int_equal(o.len, sizeof(data));
}

static void test_syn_cookies_when_backlog_full(void **state)
{
	struct out_seg o, first;
	uint8_t data[5] = { 'h', 'e', 'l', 'l', 'o' };

	(void)state;
	/* the first SYN takes the only backlog slot (its SYN-ACK offers everything) */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_SYN_FLAG, .seq = PEER_ISS, .win = 64240,
		.opts = syn_opts(10), .optlen = 20 });
	pop_tx(&first);
	assert_int_equal(first.optlen, 24);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 1);
	/* the second gets a cookie: a SYN-ACK with MSS only, and no TCB */
	send_seg(&(struct seg_spec){ .sport = PEER_PORT + 1, .flags = RTE_TCP_SYN_FLAG,
		.seq = 5000, .win = 64240, .opts = syn_opts(11), .optlen = 20 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, 5001);
	assert_int_equal(o.optlen, 4);
	assert_int_equal(o.o.mss, 1460);   /* ours */
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 1);
	assert_int_equal(ctr(FXR_CTR_tcp_syncookie_sent), 1);
	/* an ACK with a wrong cookie is refused with a RST */
	send_seg(&(struct seg_spec){ .sport = PEER_PORT + 1, .flags = RTE_TCP_ACK_FLAG,
		.seq = 5001, .ack = o.seq + 2, .win = 502 });
	pop_tx(&first);
	assert_int_equal(first.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(ctr(FXR_CTR_tcp_syncookie_bad), 1);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 1);
	/* the right cookie opens the connection, and the data it carries is echoed */
	send_seg(&(struct seg_spec){ .sport = PEER_PORT + 1, .flags = RTE_TCP_ACK_FLAG,
		.seq = 5001, .ack = o.seq + 1, .win = 502, .data = data, .len = sizeof(data) });
	assert_int_equal(ctr(FXR_CTR_tcp_syncookie_ok), 1);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 2);
	pop_tx(&first);
	assert_int_equal(first.seq, o.seq + 1);
	assert_int_equal(first.ack, 5006);
	assert_int_equal(first.len, sizeof(data));
	assert_memory_equal(first.data, data, sizeof(data));
	assert_int_equal(first.optlen, 0);   /* no timestamps on a cookie connection */
	assert_no_tx();
	/* the MSS came back from the cookie: the largest cookie MSS not above the peer's 1400 */
	{
		struct fxr_tcp_key k = { .raddr = PEER_IP, .rport = RTE_BE16(PEER_PORT + 1),
			.lport = RTE_BE16(ECHO_PORT) };
		struct fxr_tcb *tcb = fxr_tcb_lookup(lc->tcp, &k);

		assert_non_null(tcb);
		assert_int_equal(tcb->snd_mss, 1220);
		assert_int_equal(tcb->state, FXR_TCP_ESTABLISHED);
	}
}

static void test_three_dupacks_fast_retransmit_without_sack(void **state)
{
	static const uint8_t mss_only[4] = { 2, 4, PEER_MSS >> 8, PEER_MSS & 0xff };
	struct out_seg syn_ack, o, seg[4];
	uint8_t data[500];
	uint32_t iss;

	(void)state;
	memset(data, 'd', sizeof(data));
	/* a peer without SACK or timestamps: NewReno alone (RFC 5681 §3.2, RFC 6582) */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_SYN_FLAG, .seq = PEER_ISS, .win = 65535,
		.opts = mss_only, .optlen = 4 });
	pop_tx(&syn_ack);
	assert_int_equal(syn_ack.optlen, 4);
	iss = syn_ack.seq;
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 65535 });
	/* four bursts of 500 bytes: four echoed segments, each sent at once (no Nagle) */
	for (int i = 0; i < 4; i++) {
		send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1 + 500 * i,
			.ack = iss + 1, .win = 65535, .data = data, .len = sizeof(data) });
		pop_tx(&seg[i]);
		assert_int_equal(seg[i].seq, iss + 1 + 500 * i);
		assert_int_equal(seg[i].len, 500);
		assert_int_equal(seg[i].optlen, 0);
	}
	while (lc->tx_n)
		pop_tx(&o);
	/* the first arrives, the second is lost: the ACK for the first, then three duplicates */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 2001,
		.ack = iss + 501, .win = 65535 });
	for (int i = 0; i < 2; i++) {
		send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 2001,
			.ack = iss + 501, .win = 65535 });
		assert_no_tx();
	}
	assert_int_equal(ctr(FXR_CTR_tcp_rx_dupack), 2);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 2001,
		.ack = iss + 501, .win = 65535 });
	/* the third duplicate: the lost data goes again, before any timer, repacketised into
	 * one full segment (the peer's MSS) from SND.UNA */
	pop_tx(&o);
	assert_int_equal(o.seq, iss + 501);
	assert_int_equal(o.len, PEER_MSS);
	assert_memory_equal(o.data, data, 500);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_fast_rexmit), 1);
	assert_int_equal(ctr(FXR_CTR_tcp_rto_expired), 0);
	while (lc->tx_n)
		pop_tx(&o);
	/* a partial ACK (RFC 6582 step 5) retransmits the next hole at once */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 2001,
		.ack = iss + 1001, .win = 65535 });
	pop_tx(&o);
	assert_int_equal(o.seq, iss + 1001);
	assert_int_equal(o.len, 1000);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_fast_rexmit), 2);
	while (lc->tx_n)
		pop_tx(&o);
	/* the full ACK ends it: no more data is sent, and no timer fires later (echo frees the
	 * acked bytes, so a window update may go out: a bare ACK) */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 2001,
		.ack = iss + 2001, .win = 65535 });
	while (lc->tx_n) {
		pop_tx(&o);
		assert_int_equal(o.len, 0);
	}
	advance_ms(3000);
	assert_no_tx();
	assert_int_equal(ctr(FXR_CTR_tcp_rto_expired), 0);
}

static void test_sack_recovery_retransmits_only_the_hole(void **state)
{
	struct out_seg o, seg[5];
	uint8_t data[400];
	uint8_t sack_opt[12 + 12];
	uint32_t iss, tsv;

	(void)state;
	memset(data, 's', sizeof(data));
	iss = handshake(100);
	for (int i = 0; i < 5; i++) {
		send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1 + 400 * i,
			.ack = iss + 1, .win = 502, .opts = ts_opt(101 + i, 1), .optlen = 12,
			.data = data, .len = sizeof(data) });
		pop_tx(&seg[i]);
		assert_int_equal(seg[i].len, 400);
	}
	while (lc->tx_n)
		pop_tx(&o);
	tsv = seg[4].o.tsval;
	/* the first is lost, the other four arrive: one ACK SACKing 1600 bytes above SND.UNA
	 * (more than (DupThresh - 1) * SMSS: IsLost(SND.UNA), RFC 6675 §4) */
	memcpy(sack_opt, ts_opt(110, tsv), 12);
	{
		uint32_t l = htonl(iss + 401), r = htonl(iss + 2001);
		uint8_t *p = sack_opt + 12;

		p[0] = 1;
		p[1] = 1;
		p[2] = 5;
		p[3] = 10;
		memcpy(p + 4, &l, 4);
		memcpy(p + 8, &r, 4);
	}
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 2001,
		.ack = iss + 1, .win = 502, .opts = sack_opt, .optlen = 24 });
	pop_tx(&o);
	assert_int_equal(o.seq, iss + 1);
	assert_int_equal(o.len, 400);
	assert_int_equal(ctr(FXR_CTR_tcp_sack_recovery), 1);
	/* only the hole: nothing SACKed goes again */
	assert_no_tx();
}

/* ---- active open ---- */

static int connected, closed_reason = 1;

static void app_connected(struct fxr_lcore *l, struct fxr_tcb *tcb)
{
	(void)l;
	(void)tcb;
	connected++;
}

static void app_data(struct fxr_lcore *l, struct fxr_tcb *tcb, struct rte_mbuf *m, uint32_t len)
{
	rte_pktmbuf_free(m);
	fxr_tcp_recv_done(l, tcb, len);
}

static void app_close(struct fxr_lcore *l, struct fxr_tcb *tcb, int reason)
{
	(void)l;
	(void)tcb;
	closed_reason = reason;
}

static const struct fxr_tcp_app test_app = {
	.name = "test",
	.on_connected = app_connected,
	.on_data = app_data,
	.on_close = app_close,
};

static void test_active_open_data_and_time_wait(void **state)
{
	struct out_seg syn, o;
	struct fxr_tcb *tcb;
	struct rte_mbuf *m;
	char *p;
	int err = 0;

	(void)state;
	connected = 0;
	closed_reason = 1;
	tcb = fxr_tcp_connect(lc, PEER_IP, RTE_BE16(80), 0, &test_app, NULL, &err);
	assert_non_null(tcb);
	pop_tx(&syn);
	assert_int_equal(syn.flags, RTE_TCP_SYN_FLAG);
	assert_int_equal(syn.dport, 80);
	assert_true(syn.o.mss == 1460 && syn.o.has_wscale && syn.o.sack_ok && syn.o.has_ts);
	assert_int_equal(syn.o.tsecr, 0);
	/* SYN-ACK from the server */
	send_seg(&(struct seg_spec){ .sport = 80, .dport = syn.sport,
		.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, .seq = 9000, .ack = syn.seq + 1,
		.win = 65535, .opts = syn_opts(777), .optlen = 20 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, 9001);
	assert_int_equal(o.seq, syn.seq + 1);
	assert_int_equal(connected, 1);
	/* send 3000 bytes from the app: split at the peer's MSS minus the TS option */
	m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	p = rte_pktmbuf_append(m, 1500);
	assert_non_null(p);
	memset(p, 'q', 1500);
	m->next = rte_pktmbuf_alloc(pool);
	assert_non_null(m->next);
	p = rte_pktmbuf_append(m->next, 1500);
	assert_non_null(p);
	memset(p, 'r', 1500);
	m->nb_segs = 2;
	m->pkt_len = 3000;
	assert_int_equal(fxr_tcp_send(lc, tcb, m), 0);
	fxr_tcp_flush(lc);
	pop_tx(&o);
	assert_int_equal(o.len, PEER_MSS - 12);
	assert_int_equal(o.seq, syn.seq + 1);
	pop_tx(&o);
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.seq + o.len, syn.seq + 1 + 3000);
	assert_int_equal(o.data[o.len - 1], 'r');
	/* we close first: FIN; the server acks all and sends its FIN: TIME-WAIT */
	fxr_tcp_shutdown(lc, tcb);
	fxr_tcp_flush(lc);
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG);
	assert_int_equal(o.seq, syn.seq + 3001);
	send_seg(&(struct seg_spec){ .sport = 80, .dport = syn.sport,
		.flags = RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, .seq = 9001, .ack = syn.seq + 3002,
		.win = 65535, .opts = ts_opt(778, o.o.tsval), .optlen = 12 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, 9002);
	assert_int_equal(closed_reason, 0);
	assert_int_equal(ctr(FXR_CTR_tcp_time_wait), 1);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 1);
	/* TIME-WAIT is short and configured (100 ms here) */
	advance_ms(101);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 0);
	assert_no_tx();
}

static void test_active_open_refused(void **state)
{
	struct out_seg syn;
	struct fxr_tcb *tcb;
	int err = 0;

	(void)state;
	closed_reason = 1;
	tcb = fxr_tcp_connect(lc, PEER_IP, RTE_BE16(81), RTE_BE16(5555), &test_app, NULL, &err);
	assert_non_null(tcb);
	pop_tx(&syn);
	send_seg(&(struct seg_spec){ .sport = 81, .dport = 5555,
		.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, .seq = 0, .ack = syn.seq + 1 });
	assert_no_tx();
	assert_int_equal(closed_reason, -ECONNREFUSED);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcb_size),
		cmocka_unit_test_setup_teardown(test_closed_port_gets_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_ack_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_data_fin_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_window_gets_ack_and_rst_syn_get_challenge,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_paws_rejects_old_timestamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_is_sacked_then_filled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rto_retransmits_and_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_dupacks_fast_retransmit_without_sack, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sack_recovery_retransmits_only_the_hole, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_syn_cookies_when_backlog_full, setup_backlog1,
			teardown),
		cmocka_unit_test_setup_teardown(test_active_open_data_and_time_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_open_refused, setup, teardown),
	};
	int rc;

	pool = dp_test_eal_start("test_dp_tcp", POOL_SIZE, (uint16_t)fxr_port_mbuf_priv_size());
	hz = rte_get_tsc_hz();
	lc = rte_zmalloc("fxr_ut_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE);
	if (pool == NULL || lc == NULL) {
		fprintf(stderr, "test_dp_tcp: no memory\n");
		return 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.ip = dp_test_addr("10.200.2.2");
	cfg.plen = 24;
	cfg.netmask = htonl(0xffffff00u);
	cfg.tx_flush_us = 100;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_free(lc);
	dp_test_eal_stop(pool);
	return rc;
}
