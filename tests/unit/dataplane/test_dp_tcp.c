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
	return dp_test_tcp_segment(&(struct dp_test_tcp){
		.saddr = PEER_IP, .daddr = OUR_IP,
		.sport = s->sport ? s->sport : PEER_PORT, .dport = s->dport ? s->dport : ECHO_PORT,
		.flags = s->flags, .seq = s->seq, .ack = s->ack, .win = s->win,
		.opts = s->opts, .optlen = s->optlen, .data = s->data, .len = s->len });
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
	uint16_t nb_segs;         /* mbufs of the frame (more than 1: payload by reference) */
};

/* Takes the oldest TX packet off the lcore's TX buffer; the caller frees it. */
static struct rte_mbuf *take_tx(void)
{
	struct rte_mbuf *m;

	assert_true(lc->tx_n > 0);
	m = lc->tx[0];
	memmove(lc->tx, lc->tx + 1, (lc->tx_n - 1) * sizeof(lc->tx[0]));
	lc->tx_n--;
	return m;
}

/* Reads frame m (one mbuf or a chain) as a TCP segment, checking the IPv4 and TCP checksums
 * over a flat copy of it. */
static void parse_tx(struct rte_mbuf *m, struct out_seg *out)
{
	static uint8_t frame[RTE_MBUF_DEFAULT_BUF_SIZE];
	const void *flat;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	unsigned int tcp_len, doff;

	assert_true(rte_pktmbuf_pkt_len(m) <= sizeof(frame));
	flat = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), frame);
	assert_non_null(flat);
	if (flat != frame)
		memcpy(frame, flat, rte_pktmbuf_pkt_len(m));
	out->nb_segs = m->nb_segs;
	ip = (struct rte_ipv4_hdr *)(frame + sizeof(struct rte_ether_hdr));
	assert_int_equal(ip->next_proto_id, IPPROTO_TCP);
	assert_int_equal(ip->src_addr, OUR_IP);
	assert_int_equal(ip->dst_addr, PEER_IP);
	assert_int_equal(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	th = (struct rte_tcp_hdr *)(ip + 1);
	tcp_len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip);
	assert_int_equal(rte_pktmbuf_pkt_len(m),
		sizeof(struct rte_ether_hdr) + rte_be_to_cpu_16(ip->total_length));
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
}

/* Pops the oldest TX packet as a TCP segment (parse_tx) and frees it. */
static void pop_tx(struct out_seg *out)
{
	struct rte_mbuf *m = take_tx();

	parse_tx(m, out);
	rte_pktmbuf_free(m);
}

/* a macro, so that a failure names the caller's line */
#define assert_no_tx() assert_int_equal(lc->tx_n, 0)

/* Over minutes of virtual time the peer's ARP entry ages out: when the oldest TX packet
 * is our ARP request, the peer answers it (and what waited on it goes out). */
static void answer_arp(void)
{
	const struct rte_ether_hdr *eh;

	if (lc->tx_n == 0)
		return;
	eh = rte_pktmbuf_mtod(lc->tx[0], const struct rte_ether_hdr *);
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_ARP))
		return;
	rte_pktmbuf_free(take_tx());
	input(dp_test_arp(RTE_ARP_OP_REPLY, &dp_test_our_mac, &dp_test_peer_mac, PEER_IP, OUR_IP));
}

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

/* cfg.tx_seg_max of the next fixture (0: the port takes single-segment frames) */
static uint16_t fixture_tx_seg_max;

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
	tc.tx_seg_max = fixture_tx_seg_max;
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
	fixture_tx_seg_max = 0;
	return setup_with(16);
}

/* A port that chains up to 32 mbufs a frame: payload goes by reference. */
static int setup_by_ref(void **state)
{
	(void)state;
	fixture_tx_seg_max = 32;
	return setup_with(16);
}

/* A port that chains 2 mbufs a frame: header + one payload reference. */
static int setup_by_ref2(void **state)
{
	(void)state;
	fixture_tx_seg_max = 2;
	return setup_with(16);
}

/* A listener that takes one half-open connection before it answers with SYN cookies. */
static int setup_backlog1(void **state)
{
	(void)state;
	fixture_tx_seg_max = 0;
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
	for (unsigned int waited = 0; lc->tx_n == 0 && waited < 2000; waited++)
		advance_ms(1);
	pop_tx(&o);
	assert_int_equal(o.len, 1);
	assert_int_equal(o.seq, iss + 1);
	assert_true(ctr(FXR_CTR_tcp_tx_window_probe) >= 1);
	assert_no_tx();
	/* the peer answers every probe with the window still closed and without taking the
	 * octet: the probe goes again, backing off, and the connection lives on beyond the
	 * retransmission limit (RFC 1122 §4.2.2.17: never close while probes are answered) */
	for (int i = 0; i < 16; i++) {
		unsigned int waited = 0;

		send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 41,
			.ack = iss + 1, .win = 0, .opts = ts_opt(102, o.o.tsval), .optlen = 12 });
		assert_no_tx();
		while (lc->tx_n == 0 && waited < 130000) {
			advance_ms(10);
			waited += 10;
			answer_arp();
		}
		pop_tx(&o);
		assert_no_tx();
		assert_int_equal(o.flags & RTE_TCP_RST_FLAG, 0);
		assert_int_equal(o.len, 1);
		assert_int_equal(o.seq, iss + 1);
		assert_int_equal(o.data[0], 'z');
	}
	assert_int_equal(ctr(FXR_CTR_tcp_tx_window_probe), 17);
	assert_int_equal(ctr(FXR_CTR_tcp_timeout_drop), 0);
	/* the window opens, taking the probe's octet: the rest follows */
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 41, .ack = iss + 2,
		.win = 502, .opts = ts_opt(103, o.o.tsval), .optlen = 12 });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.seq, iss + 2);
	assert_int_equal(o.len, sizeof(data) - 1);
	assert_int_equal(ctr(FXR_CTR_tcp_rx_dupack), 0);
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

/* ---- payload by reference (multi-segment TX) ---- */

/* Byte i of the test stream. */
static uint8_t stream_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* An mbuf chain of the stream's bytes [from, from + sum(lens)), one mbuf per length. */
static struct rte_mbuf *stream_chain(uint32_t from, const uint16_t *lens, unsigned int n)
{
	struct rte_mbuf *head = NULL, *last = NULL;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, lens[i]);
		assert_non_null(p);
		for (uint16_t k = 0; k < lens[i]; k++)
			p[k] = stream_byte(from++);
		if (head == NULL) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += lens[i];
		}
		last = m;
	}
	return head;
}

static void assert_stream(const struct out_seg *o, uint32_t from)
{
	for (unsigned int k = 0; k < o->len; k++)
		if (o->data[k] != stream_byte(from + k))
			fail_msg("byte %u of the stream is 0x%02x, want 0x%02x", from + k, o->data[k],
				stream_byte(from + k));
}

/* An active open to PEER_IP:80 with Linux's SYN options; returns the TCB, *iss our ISS. */
static struct fxr_tcb *open_to_peer(uint32_t *iss)
{
	struct out_seg syn, o;
	struct fxr_tcb *tcb;
	int err = 0;

	tcb = fxr_tcp_connect(lc, PEER_IP, RTE_BE16(80), RTE_BE16(5556), &test_app, NULL, &err);
	assert_non_null(tcb);
	pop_tx(&syn);
	send_seg(&(struct seg_spec){ .sport = 80, .dport = 5556,
		.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, .seq = 9000, .ack = syn.seq + 1,
		.win = 65535, .opts = syn_opts(777), .optlen = 20 });
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	*iss = syn.seq;
	return tcb;
}

/* The send queue's mbufs go out by reference, each frame a header mbuf and indirect mbufs
 * narrowed to the range (partial mbufs at both ends); the TCP checksum (software here) covers
 * the chain; an ACK that frees the queue while the port still holds a frame leaves that
 * frame's bytes intact; an RTO resends the same bytes; every mbuf returns to the pool
 * (teardown). */
static void test_tx_by_reference(void **state)
{
	static const uint16_t lens[] = { 1000, 777, 1500 };   /* 3277 bytes, odd pieces */
	const uint32_t seg_max = PEER_MSS - 12;               /* 1388 with timestamps */
	struct out_seg o[3], again;
	struct rte_mbuf *held;
	uint32_t iss;
	struct fxr_tcb *tcb;

	(void)state;
	tcb = open_to_peer(&iss);
	assert_int_equal(fxr_tcp_send(lc, tcb, stream_chain(0, lens, 3)), 0);
	fxr_tcp_flush(lc);
	/* [0, 1388): 1000 + 388; [1388, 2776): 389 + 999; [2776, 3277): 501 */
	pop_tx(&o[0]);
	held = take_tx();           /* the port still has this one */
	parse_tx(held, &o[1]);
	pop_tx(&o[2]);
	assert_no_tx();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o[i].seq, iss + 1 + seg_max * (uint32_t)i);
		assert_int_equal(o[i].len, i < 2 ? seg_max : 3277 - 2 * seg_max);
		assert_int_equal(o[i].nb_segs, i < 2 ? 3 : 2);
		assert_stream(&o[i], seg_max * (uint32_t)i);
	}
	assert_int_equal(ctr(FXR_CTR_tcp_tx_ref_bytes), 3277);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_copy_bytes), 0);

	/* no ACK: the RTO resends the first segment, by reference again */
	advance_ms(1000);
	pop_tx(&again);
	assert_int_equal(again.seq, iss + 1);
	assert_int_equal(again.len, seg_max);
	assert_int_equal(again.nb_segs, 3);
	assert_stream(&again, 0);
	while (lc->tx_n)
		pop_tx(&again);

	/* everything acknowledged: the send queue lets go of its mbufs, the held frame keeps
	 * the buffers it refers to; mbufs taken from the pool now must not reuse them */
	send_seg(&(struct seg_spec){ .sport = 80, .dport = 5556, .flags = RTE_TCP_ACK_FLAG,
		.seq = 9001, .ack = iss + 1 + 3277, .win = 65535, .opts = ts_opt(800, o[2].o.tsval),
		.optlen = 12 });
	assert_int_equal(tcb->sndq_bytes, 0);
	{
		struct rte_mbuf *scratch[16];

		assert_int_equal(rte_pktmbuf_alloc_bulk(pool, scratch, 16), 0);
		for (int i = 0; i < 16; i++)
			memset(rte_pktmbuf_mtod(scratch[i], void *), 0xee, 1500);
		rte_pktmbuf_free_bulk(scratch, 16);
	}
	parse_tx(held, &o[1]);
	assert_stream(&o[1], seg_max);
	rte_pktmbuf_free(held);
	fxr_tcp_abort(lc, tcb);
	while (lc->tx_n)
		pop_tx(&again);
}

/* A port that chains one payload mbuf a frame: a range within one send-queue mbuf goes by
 * reference, a range spanning two is copied (and counted so). */
static void test_tx_by_reference_falls_back_to_copy(void **state)
{
	static const uint16_t lens[] = { 1388, 100, 100 };
	struct out_seg o;
	uint32_t iss;
	struct fxr_tcb *tcb;

	(void)state;
	tcb = open_to_peer(&iss);
	assert_int_equal(fxr_tcp_send(lc, tcb, stream_chain(0, lens, 3)), 0);
	fxr_tcp_flush(lc);
	pop_tx(&o);
	assert_int_equal(o.len, 1388);
	assert_int_equal(o.nb_segs, 2);
	assert_stream(&o, 0);
	pop_tx(&o);
	assert_int_equal(o.len, 200);
	assert_int_equal(o.nb_segs, 1);
	assert_stream(&o, 1388);
	assert_no_tx();
	assert_int_equal(ctr(FXR_CTR_tcp_tx_ref_bytes), 1388);
	assert_int_equal(ctr(FXR_CTR_tcp_tx_copy_bytes), 200);
	fxr_tcp_abort(lc, tcb);
	while (lc->tx_n)
		pop_tx(&o);
}

/* FIN-WAIT-2 is bounded (cfg.fin_wait2_ms, 60 s by default): data from the peer restarts
 * the bound; once it passes with nothing from the peer, a RST goes out and the app hears
 * -ETIMEDOUT. */
static void test_fin_wait2_times_out(void **state)
{
	uint8_t data[10];
	struct out_seg o, fin;
	struct fxr_tcb *tcb;
	uint32_t iss;

	(void)state;
	memset(data, 'w', sizeof(data));
	closed_reason = 1;
	tcb = open_to_peer(&iss);
	fxr_tcp_shutdown(lc, tcb);
	fxr_tcp_flush(lc);
	pop_tx(&fin);
	assert_int_equal(fin.flags, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG);
	/* the server acks our FIN and keeps its side open: FIN-WAIT-2 */
	send_seg(&(struct seg_spec){ .sport = 80, .dport = 5556, .flags = RTE_TCP_ACK_FLAG,
		.seq = 9001, .ack = iss + 2, .win = 65535, .opts = ts_opt(800, fin.o.tsval),
		.optlen = 12 });
	assert_no_tx();
	assert_int_equal(tcb->state, FXR_TCP_FIN_WAIT_2);
	/* 50 s later it sends data: acked (delayed), and the bound starts again */
	advance_ms(50000);
	assert_no_tx();
	send_seg(&(struct seg_spec){ .sport = 80, .dport = 5556, .flags = RTE_TCP_ACK_FLAG,
		.seq = 9001, .ack = iss + 2, .win = 65535, .opts = ts_opt(900, fin.o.tsval),
		.optlen = 12, .data = data, .len = sizeof(data) });
	advance_ms(1000);
	pop_tx(&o);
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, 9011);
	advance_ms(58990);
	assert_no_tx();
	assert_int_equal(tcb->state, FXR_TCP_FIN_WAIT_2);
	assert_int_equal(ctr(FXR_CTR_tcp_fin_wait2_timeout), 0);
	/* 60 s after the data: reset, from SND.NXT (after our FIN) */
	advance_ms(20);
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(o.seq, iss + 2);
	assert_int_equal(o.ack, 9011);
	assert_int_equal(ctr(FXR_CTR_tcp_fin_wait2_timeout), 1);
	assert_int_equal(closed_reason, -ETIMEDOUT);
	assert_int_equal(fxr_tcp_tcbs_in_use(lc), 0);
}

/* Below the pool's reserve (and below half of it, where even a connection holding nothing
 * takes nothing in), arriving data is dropped and acked (RCV.NXT unchanged) instead of held,
 * so that queued data never starves RX of the ACKs that would free it; once the pool
 * recovers, the same data is taken. */
static void test_pool_low_drops_data_keeps_acking(void **state)
{
	struct out_seg o;
	uint8_t data[100];
	uint32_t iss;

	(void)state;
	memset(data, 'p', sizeof(data));
	iss = handshake(100);
	lc->tcp->cfg.mbuf_reserve = 2 * POOL_SIZE + 2;   /* never half that many free */
	fxr_tcp_flush(lc);
	assert_true(lc->tcp->pool_low);
	assert_int_equal(ctr(FXR_CTR_tcp_pool_low), 1);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(101, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(o.ack, PEER_ISS + 1);
	assert_int_equal(o.len, 0);
	assert_int_equal(ctr(FXR_CTR_tcp_drop_pool_low), 1);
	assert_int_equal(ctr(FXR_CTR_tcp_rx_bytes), 0);
	/* the pool recovers: the retransmission is taken and echoed */
	lc->tcp->cfg.mbuf_reserve = 1;
	fxr_tcp_flush(lc);
	assert_false(lc->tcp->pool_low);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(102, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.ack, PEER_ISS + 1 + sizeof(data));
	assert_int_equal(o.len, sizeof(data));
	assert_int_equal(ctr(FXR_CTR_tcp_rx_bytes), sizeof(data));
}

/* The one established TCB of a test. */
static struct fxr_tcb *the_tcb(void)
{
	for (uint32_t i = 0; i < lc->tcp->cfg.max_tcbs; i++)
		if (lc->tcp->tcbs[i].state == FXR_TCP_ESTABLISHED)
			return &lc->tcp->tcbs[i];
	fail_msg("no established TCB");
	return NULL;
}

/* Frees every frame the stack sent. */
static void drain_tx(void)
{
	while (lc->tx_n != 0)
		rte_pktmbuf_free(take_tx());
}

/* Below the reserve, a connection holding out-of-order data frees it (its mbufs may be what
 * keeps the pool down, waiting for a hole the reserve would never let in) and forgets its
 * SACK blocks; the segment that fills the hole is then taken. */
static void test_pool_low_prunes_out_of_order(void **state)
{
	struct out_seg o;
	uint8_t a[100], b[100];
	uint32_t iss;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	iss = handshake(100);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 101,
		.ack = iss + 1, .win = 502, .opts = ts_opt(101, 1), .optlen = 12, .data = b,
		.len = sizeof(b) });
	pop_tx(&o);
	assert_int_equal(o.o.n_sack, 1);
	lc->tcp->cfg.mbuf_reserve = 2 * POOL_SIZE + 2;
	fxr_tcp_flush(lc);
	assert_true(lc->tcp->pool_low);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(102, 1), .optlen = 12, .data = a, .len = sizeof(a) });
	pop_tx(&o);
	assert_no_tx();
	/* a alone is taken and echoed; b is gone and no longer SACKed: the peer sends it again */
	assert_int_equal(o.ack, PEER_ISS + 101);
	assert_int_equal(o.len, sizeof(a));
	assert_memory_equal(o.data, a, sizeof(a));
	assert_int_equal(o.o.n_sack, 0);
	assert_int_equal(ctr(FXR_CTR_tcp_ooo_pruned), 1);
	assert_int_equal(ctr(FXR_CTR_tcp_drop_pool_low), 0);
	assert_int_equal(ctr(FXR_CTR_tcp_rx_bytes), sizeof(a));
	lc->tcp->cfg.mbuf_reserve = 0;
}

/* Below the reserve (but above half of it), a connection that holds less than
 * FXR_TCP_PRESSURE_SEGS segments still takes in data at RCV.NXT, so one whose data moves on
 * keeps moving; once it holds that much (the echo holds what it received until the peer
 * acknowledges the echo), its next segment is dropped. */
static void test_pool_low_keeps_a_connection_holding_little(void **state)
{
	static uint8_t data[1460];
	struct out_seg o;
	uint32_t iss, seq = PEER_ISS + 1;

	(void)state;
	memset(data, 'k', sizeof(data));
	iss = handshake(100);
	lc->tcp->cfg.mbuf_reserve = POOL_SIZE + 1;
	fxr_tcp_flush(lc);
	assert_true(lc->tcp->pool_low);
	for (unsigned int i = 0; i < FXR_TCP_PRESSURE_SEGS; i++) {
		send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = seq, .ack = iss + 1,
			.win = 502, .opts = ts_opt(101 + i, 1), .optlen = 12, .data = data,
			.len = sizeof(data) });
		seq += sizeof(data);
		drain_tx();
	}
	assert_int_equal(ctr(FXR_CTR_tcp_pool_low_kept), FXR_TCP_PRESSURE_SEGS);
	assert_int_equal(ctr(FXR_CTR_tcp_rx_bytes), FXR_TCP_PRESSURE_SEGS * sizeof(data));
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = seq, .ack = iss + 1,
		.win = 502, .opts = ts_opt(200, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.len, 0);
	assert_int_equal(o.ack, seq);
	assert_int_equal(ctr(FXR_CTR_tcp_drop_pool_low), 1);
	assert_int_equal(ctr(FXR_CTR_tcp_pool_low_kept), FXR_TCP_PRESSURE_SEGS);
	lc->tcp->cfg.mbuf_reserve = 0;
}

/* Under pool pressure the window offers no new space beyond the few segments a connection
 * is always offered, and never takes back the edge already offered (RFC 9293 §3.8.6); the
 * send space is held to those few segments too. Once the pressure is over, the window
 * opens again. */
static void test_pool_pressure_holds_window_and_send_space(void **state)
{
	uint8_t data[100];
	struct out_seg o;
	struct fxr_tcb *tcb;
	uint32_t iss, edge;

	(void)state;
	memset(data, 'w', sizeof(data));
	lc->tcp->cfg.rcv_buf = 1u << 20;
	iss = handshake(100);
	tcb = the_tcb();
	edge = tcb->rcv_adv;                  /* the SYN-ACK's 65535 unscaled bytes */
	assert_int_equal(edge - tcb->rcv_nxt, 65535);
	lc->tcp->cfg.mbuf_pressure = POOL_SIZE + 1;
	fxr_tcp_flush(lc);
	assert_true(lc->tcp->pool_pressure);
	assert_false(lc->tcp->pool_low);
	assert_int_equal(ctr(FXR_CTR_tcp_pool_pressure), 1);
	assert_int_equal(fxr_tcp_rcv_window_now(lc->tcp, tcb), FXR_TCP_PRESSURE_SEGS * 1460u);
	assert_int_equal(fxr_tcp_send_space(lc, tcb), FXR_TCP_PRESSURE_SEGS * 1460u);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(101, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.len, sizeof(data));
	/* the edge stays where it was (to the window scale's 128-byte unit), not 1 MiB on */
	assert_int_equal(o.win, (65535u - sizeof(data)) >> FXR_TCP_WSCALE_OURS);
	assert_true(edge - tcb->rcv_adv < 128u);
	assert_true(ctr(FXR_CTR_tcp_rcv_wnd_pool_limited) >= 1);
	/* the echo's 100 bytes wait for their ACK in the send queue */
	assert_int_equal(fxr_tcp_send_space(lc, tcb), FXR_TCP_PRESSURE_SEGS * 1460u - sizeof(data));
	/* the pressure is over: the ACK of the echo releases the data, and the window opens */
	lc->tcp->cfg.mbuf_pressure = 1;           /* always more free */
	fxr_tcp_flush(lc);
	assert_false(lc->tcp->pool_pressure);
	assert_int_equal(fxr_tcp_send_space(lc, tcb), (1u << 20) - sizeof(data));
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 101,
		.ack = iss + 1 + sizeof(data), .win = 502, .opts = ts_opt(102, o.o.tsval),
		.optlen = 12 });
	fxr_tcp_flush(lc);
	pop_tx(&o);
	assert_no_tx();
	assert_int_equal(o.win, (1u << 20) >> FXR_TCP_WSCALE_OURS);
}

/* Outside pressure, a window is at most the receiving connection's share of the pool's free
 * space above the pressure mark (half an MSS a free mbuf: the segment's own and a relay's
 * reference to it), shared by the connections that received data in this epoch or the last,
 * and never less than the few segments every connection is offered. */
static void test_pool_share_bounds_window(void **state)
{
	uint8_t data[100];
	struct fxr_tcb *tcb;
	uint32_t iss;

	(void)state;
	memset(data, 's', sizeof(data));
	iss = handshake(100);
	send_seg(&(struct seg_spec){ .flags = RTE_TCP_ACK_FLAG, .seq = PEER_ISS + 1, .ack = iss + 1,
		.win = 502, .opts = ts_opt(101, 1), .optlen = 12, .data = data, .len = sizeof(data) });
	drain_tx();
	tcb = the_tcb();
	assert_int_equal(lc->tcp->rx_active, 1);
	lc->tcp->cfg.mbuf_pressure = 1;
	fxr_tcp_flush(lc);
	/* 20 mbufs free above the mark: 20 x 730 bytes for the one receiving connection */
	lc->tcp->cfg.mbuf_pressure = lc->tcp->pool_avail - 20;
	assert_false(lc->tcp->pool_pressure);
	assert_int_equal(fxr_tcp_rcv_window_now(lc->tcp, tcb), 20 * 730);
	/* three connections received data in the last epoch: a third each, but never less than
	 * FXR_TCP_PRESSURE_SEGS segments */
	lc->tcp->rx_active_prev = 3;
	assert_int_equal(fxr_tcp_rcv_window_now(lc->tcp, tcb), FXR_TCP_PRESSURE_SEGS * 1460u);
	lc->tcp->cfg.mbuf_pressure = lc->tcp->pool_avail - 60;
	assert_int_equal(fxr_tcp_rcv_window_now(lc->tcp, tcb), 60 * 730 / 3);
	/* a pool with room for all: the receive buffer's room (64 KiB here, 100 bytes held by
	 * the echo until acknowledged) */
	lc->tcp->cfg.mbuf_pressure = 1;
	assert_int_equal(fxr_tcp_rcv_window_now(lc->tcp, tcb), 65536 - sizeof(data));
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
		/* payload by reference: the tests above that send data, then the chain's own */
		cmocka_unit_test_setup_teardown(test_echo_data_fin_and_close, setup_by_ref, teardown),
		cmocka_unit_test_setup_teardown(test_rto_retransmits_and_backs_off, setup_by_ref,
			teardown),
		cmocka_unit_test_setup_teardown(test_sack_recovery_retransmits_only_the_hole,
			setup_by_ref, teardown),
		cmocka_unit_test_setup_teardown(test_active_open_data_and_time_wait, setup_by_ref,
			teardown),
		cmocka_unit_test_setup_teardown(test_tx_by_reference, setup_by_ref, teardown),
		cmocka_unit_test_setup_teardown(test_tx_by_reference_falls_back_to_copy,
			setup_by_ref2, teardown),
		cmocka_unit_test_setup_teardown(test_fin_wait2_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_low_drops_data_keeps_acking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_low_prunes_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_low_keeps_a_connection_holding_little, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_pool_pressure_holds_window_and_send_space, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_pool_share_bounds_window, setup, teardown),
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
