/* tests/unit/dataplane/test_dp_relay.c: the relay application and the dataplane's end of
 * the plane channel, in one process: devices are TCP peers speaking through exact segments
 * (fxr_eth_input_burst in, the lcore's TX buffer out), the control plane is this test
 * attached to a real channel (fxr_chan_attach) with a small dataplane -> control ring so
 * that it fills. EAL runs without hugepages. */
#include <arpa/inet.h>
#include <errno.h>
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
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/connid.h"
#include "fxr/frame-t.h"

#include "config-t.h"
#include "counters.h"
#include "dp_test.h"
#include "dpchan.h"
#include "eth.h"
#include "lcore-t.h"
#include "loop.h"
#include "port.h"
#include "relay.h"
#include "tcp.h"

#define POOL_SIZE  2047u
#define RELAY_PORT 4747
#define PEER_ISS   5000u
#define D2C_SLOTS  4u

static struct rte_mempool *pool;
static struct fxr_dp_config cfg;
static struct fxr_lcore *lc;
static struct fxr_chan *dp_chan, *cp_chan;
static char chan_name[64];
static uint8_t cp_buf[FXR_CHAN_SLOT_C2D];

#define OUR_IP  dp_test_addr("10.200.2.2")
#define PEER_IP dp_test_addr("10.200.2.1")

static uint64_t ctr(enum fxr_ctr id)
{
	return lc->ctr.v[id];
}

/* ---- a device: one TCP peer port ---- */

struct dev {
	uint16_t port;
	uint32_t seq;    /* next sequence we send */
	uint32_t ack;    /* next sequence we expect from the relay */
	uint64_t id;     /* connid from CONN_NEW */
};

static void input_seg(const struct dev *d, uint8_t flags, uint32_t seq, uint32_t ack,
	const uint8_t *data, unsigned int len)
{
	struct rte_mbuf *m = dp_test_tcp_segment(&(struct dp_test_tcp){
		.saddr = PEER_IP, .daddr = OUR_IP, .sport = d->port, .dport = RELAY_PORT,
		.flags = flags, .seq = seq, .ack = ack, .win = 65535, .data = data, .len = len });

	fxr_eth_input_burst(lc, &m, 1);
	fxr_tcp_flush(lc);
}

/* What the relay sent to port: payload appended to out (may be NULL), returns the bytes;
 * every segment to port is consumed from the TX buffer and acknowledged in d. */
static unsigned int drain(struct dev *d, uint8_t *out)
{
	unsigned int got = 0;
	uint16_t keep = 0;

	for (uint16_t i = 0; i < lc->tx_n; i++) {
		struct rte_mbuf *m = lc->tx[i];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
			sizeof(struct rte_ether_hdr));
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
		unsigned int doff = (th->data_off >> 4) * 4u;
		unsigned int len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip) - doff;

		if (rte_be_to_cpu_16(th->dst_port) != d->port) {
			lc->tx[keep++] = m;
			continue;
		}
		assert_int_equal(rte_ipv4_udptcp_cksum(ip, th), 0);
		if (len != 0) {
			assert_int_equal(rte_be_to_cpu_32(th->sent_seq), d->ack);
			if (out != NULL)
				memcpy(out + got, (uint8_t *)th + doff, len);
			got += len;
			d->ack += len;
		}
		rte_pktmbuf_free(m);
	}
	lc->tx_n = keep;
	if (got != 0) /* acknowledge it, so that the relay's send queue empties */
		input_seg(d, RTE_TCP_ACK_FLAG, d->seq, d->ack, NULL, 0);
	return got;
}

/* Reads what the relay sends to rx into out[got..want), acknowledging it; a round in which
 * nothing comes lets half a second of the virtual clock pass, so that the retransmission
 * timer resends what was lost on the way. other's segments (if other is not NULL) are taken
 * off the wire each round. At most 400 rounds. Returns got plus the bytes read. */
static unsigned int drain_until(struct dev *rx, struct dev *other, uint8_t *out,
	unsigned int got, unsigned int want)
{
	for (int round = 0; round < 400 && got < want; round++) {
		unsigned int n = drain(rx, out + got);

		got += n;
		if (n == 0) {
			lc->now_tsc += rte_get_tsc_hz() / 2;
			fxr_tcp_timers(lc);
			fxr_tcp_flush(lc);
		}
		if (other != NULL)
			drain(other, NULL);
	}
	return got;
}

/* Sends bytes on d's connection and takes the relay's ACK off the wire (delayed or not). */
static void dev_send(struct dev *d, const uint8_t *p, unsigned int len)
{
	input_seg(d, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, d->seq, d->ack, p, len);
	d->seq += len;
}

/* ---- the control plane's side ---- */

/* Runs the dataplane's channel work, then takes the next message; 0 when there is none
 * after a bounded number of tries. */
static int cp_recv(struct fxr_chan_msg *m)
{
	for (int i = 0; i < 8; i++) {
		int n = fxr_chan_recv(cp_chan, 0, cp_buf, sizeof(cp_buf));

		assert_true(n >= 0);
		if (n > 0) {
			assert_int_equal(fxr_chan_msg_decode(cp_buf, (size_t)n, m, NULL), n);
			return 1;
		}
		fxr_dpchan_poll(lc);
		fxr_tcp_flush(lc);
	}
	return 0;
}

/* Takes the next message, which must be of type (and connid, unless 0), past the byte
 * reports that the dataplane sends on its own once a second (BYTES). */
static void cp_expect(uint8_t type, uint64_t connid, struct fxr_chan_msg *m)
{
	struct fxr_chan_msg tmp;

	if (m == NULL)
		m = &tmp;
	do
		assert_true(cp_recv(m));
	while (m->type == FXR_CHAN_T_BYTES && type != FXR_CHAN_T_BYTES);
	assert_string_equal(fxr_chan_type_name(m->type), fxr_chan_type_name(type));
	if (connid != 0)
		assert_true(m->connid == connid);
}

static void cp_send(const struct fxr_chan_msg *m)
{
	assert_int_equal(fxr_chan_send_msg(cp_chan, 0, m), 0);
	fxr_dpchan_poll(lc);
	fxr_tcp_flush(lc);
}

/* Opens d's connection; the control plane sees CONN_NEW with d's address. */
static void dev_open(struct dev *d, uint16_t port)
{
	struct fxr_chan_msg m;
	uint32_t iss;

	memset(d, 0, sizeof(*d));
	d->port = port;
	d->seq = PEER_ISS;
	input_seg(d, RTE_TCP_SYN_FLAG, d->seq, 0, NULL, 0);
	assert_int_equal(lc->tx_n, 1);
	{
		struct rte_mbuf *s = lc->tx[0];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(s, struct rte_ipv4_hdr *,
			sizeof(struct rte_ether_hdr));
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		assert_int_equal(th->tcp_flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
		iss = rte_be_to_cpu_32(th->sent_seq);
		rte_pktmbuf_free(s);
		lc->tx_n = 0;
	}
	d->seq++;
	d->ack = iss + 1;
	input_seg(d, RTE_TCP_ACK_FLAG, d->seq, d->ack, NULL, 0);
	cp_expect(FXR_CHAN_T_CONN_NEW, 0, &m);
	assert_int_equal(m.u.conn_new.remote_port, port);
	assert_int_equal(m.u.conn_new.local_port, RELAY_PORT);
	d->id = m.connid;
}

static void cp_pair(const struct dev *a, const struct dev *b)
{
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_PAIR, .lcore = 0, .connid = a->id,
		.u.pair.peer = b->id });
}

/* ---- fixtures ---- */

static int setup_n(uint32_t d2c_slots)
{
	struct fxr_tcp_cfg tc;
	struct fxr_chan_cfg cc;
	struct rte_mbuf *m;
	char err[256];

	fxr_lcore_init(lc, &cfg, 0, 0, 0, pool, &dp_test_our_mac, false);
	lc->now_tsc = rte_get_tsc_hz();
	fxr_tcp_cfg_default(&tc);
	tc.max_tcbs = 64;
	tc.rcv_buf = 65536;
	tc.snd_buf = 65536;
	assert_int_equal(fxr_tcp_init(lc, &tc, false), 0);
	snprintf(chan_name, sizeof(chan_name), "ut-relay-%d", (int)getpid());
	fxr_chan_cfg_default(&cc, 1);
	cc.slots[FXR_CHAN_D2C] = d2c_slots;
	cc.slots[FXR_CHAN_C2D] = 8;
	assert_int_equal(fxr_chan_create(chan_name, &cc, &dp_chan, err, sizeof(err)), 0);
	assert_int_equal(fxr_chan_attach(chan_name, &cp_chan, err, sizeof(err)), 0);
	assert_int_equal(fxr_dpchan_lane_init(lc, dp_chan), 0);
	assert_int_equal(fxr_relay_start(lc, RELAY_PORT), 0);
	/* teach ARP the peer */
	m = dp_test_arp(RTE_ARP_OP_REQUEST, &dp_test_bcast_mac, &dp_test_peer_mac, PEER_IP,
		OUR_IP);
	fxr_eth_input_burst(lc, &m, 1);
	rte_pktmbuf_free_bulk(lc->tx, lc->tx_n);
	lc->tx_n = 0;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_n(64);
}

static int setup_small_ring(void **state)
{
	(void)state;
	return setup_n(D2C_SLOTS);
}

/* Every mbuf (received, referenced, copied) goes back to the pool. */
static int teardown(void **state)
{
	(void)state;
	fxr_tcp_fini(lc);
	fxr_relay_fini(lc);
	fxr_dpchan_lane_fini(lc);
	fxr_lcore_fini(lc);
	fxr_chan_close(cp_chan);
	fxr_chan_close(dp_chan);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
	return 0;
}

/* ---- tests ---- */

/* PAIR: DATA and END go to the peer byte-exact (header included), the run by
 * reference; END is reported (END_RELAYED); a control frame goes to the control plane. */
static void test_pair_relays_data_and_end(void **state)
{
	struct dev a, b;
	uint8_t in[4 + 600 + 4 + 2 + 4 + 4], out[sizeof(in)];
	struct fxr_chan_msg m;

	(void)state;
	dev_open(&a, 40001);
	dev_open(&b, 40002);
	cp_pair(&a, &b);
	in[0] = FXR_T_DATA;
	in[1] = 0;
	in[2] = 600 >> 8;
	in[3] = 600 & 0xff;
	for (int i = 0; i < 600; i++)
		in[4 + i] = (uint8_t)(i * 7);
	memcpy(in + 604, (uint8_t[]){ FXR_T_END, 0, 0, 2, 0, 0 }, 6);
	memcpy(in + 610, (uint8_t[]){ FXR_T_LIST, 0, 0, 4, 0, 0, 0, 9 }, 8);
	dev_send(&a, in, sizeof(in));
	assert_int_equal(drain(&b, out), 610);
	assert_memory_equal(out, in, 610);
	assert_int_equal(ctr(FXR_CTR_relay_payload_bytes), 610);
	assert_int_equal(ctr(FXR_CTR_relay_ref_segs), 1);
	assert_int_equal(ctr(FXR_CTR_relay_copied_bytes), 0);
	cp_expect(FXR_CHAN_T_END_RELAYED, a.id, NULL);
	cp_expect(FXR_CHAN_T_FRAME, a.id, &m);
	assert_int_equal(m.u.frame.len, 8);
	assert_memory_equal(m.u.frame.p, in + 610, 8);

	/* DATA after our END: reported to the control plane, not relayed */
	dev_send(&a, in, 604);
	assert_int_equal(drain(&b, NULL), 0);
	cp_expect(FXR_CHAN_T_FRAME, a.id, &m);
	assert_int_equal(m.u.frame.p[0], FXR_T_DATA);
	assert_int_equal(ctr(FXR_CTR_relay_data_after_end), 1);

	/* UNPAIR: b's DATA is dropped and counted */
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_UNPAIR, .lcore = 0, .connid = a.id });
	dev_send(&b, in, 604);
	assert_int_equal(drain(&a, NULL), 0);
	assert_int_equal(ctr(FXR_CTR_relay_drop_unpaired), 1);
}

/* Builds a frame header at f. */
static void put_hdr(uint8_t *f, uint8_t type, uint16_t len)
{
	f[0] = type;
	f[1] = 0;
	f[2] = (uint8_t)(len >> 8);
	f[3] = (uint8_t)(len & 0xff);
}

/* The callee is PAIRED by its ACCEPT (DESIGN.md §2) and may send DATA in the same segment:
 * the connection reads nothing after the ACCEPT until the control plane's PAIR, so that DATA
 * is relayed, not dropped as unpaired. An ACCEPT that pairs nothing gets UNPAIR, and the
 * connection reads on (its DATA then dropped). */
static void test_data_right_after_accept_waits_for_pair(void **state)
{
	struct dev caller, callee;
	uint8_t in[8 + 4 + 100], out[sizeof(in)];
	struct fxr_chan_msg m;

	(void)state;
	dev_open(&caller, 40011);
	dev_open(&callee, 40012);
	memcpy(in, (uint8_t[]){ FXR_T_ACCEPT, 0, 0, 4, 0, 0, 0, 1 }, 8);
	put_hdr(in + 8, FXR_T_DATA, 100);
	for (int i = 0; i < 100; i++)
		in[12 + i] = (uint8_t)(i * 3 + 1);
	dev_send(&callee, in, sizeof(in));
	cp_expect(FXR_CHAN_T_FRAME, callee.id, &m);
	assert_int_equal(m.u.frame.len, 8);
	assert_int_equal(m.u.frame.p[0], FXR_T_ACCEPT);
	assert_int_equal(ctr(FXR_CTR_relay_accept_held), 1);
	assert_int_equal(ctr(FXR_CTR_relay_drop_unpaired), 0);
	/* the control plane pairs the caller with the callee: the held DATA goes through */
	cp_pair(&caller, &callee);
	assert_int_equal(drain(&caller, out), 104);
	assert_memory_equal(out, in + 8, 104);
	assert_int_equal(ctr(FXR_CTR_relay_drop_unpaired), 0);
	assert_int_equal(ctr(FXR_CTR_relay_copied_bytes), 0);

	/* a stale ACCEPT: held until UNPAIR, then read on (the DATA is unpaired now) */
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_UNPAIR, .lcore = 0, .connid = callee.id });
	dev_send(&callee, in, sizeof(in));
	cp_expect(FXR_CHAN_T_FRAME, callee.id, &m);
	assert_int_equal(m.u.frame.p[0], FXR_T_ACCEPT);
	assert_int_equal(ctr(FXR_CTR_relay_accept_held), 2);
	assert_int_equal(ctr(FXR_CTR_relay_drop_unpaired), 0);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_UNPAIR, .lcore = 0, .connid = callee.id });
	assert_int_equal(ctr(FXR_CTR_relay_drop_unpaired), 1);
	assert_int_equal(drain(&caller, NULL), 0);
}

/* SEND_FRAME is written; after LOGIN a KEEPALIVE is answered here with the same bytes; a
 * malformed header goes to the control plane as its 4 bytes and reading stops. */
static void test_login_keepalive_and_malformed(void **state)
{
	struct dev a;
	static const uint8_t ok[] = { FXR_T_RELEASED, 0, 0, 0 };
	uint8_t ka[4 + 8] = { FXR_T_KEEPALIVE, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t out[64];
	struct fxr_chan_msg m;

	(void)state;
	dev_open(&a, 40003);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_SEND_FRAME, .lcore = 0,
		.connid = a.id, .u.frame = { ok, sizeof(ok) } });
	assert_int_equal(drain(&a, out), sizeof(ok));
	assert_memory_equal(out, ok, sizeof(ok));
	/* before LOGIN a KEEPALIVE is the control plane's */
	dev_send(&a, ka, sizeof(ka));
	cp_expect(FXR_CHAN_T_FRAME, a.id, NULL);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_LOGIN, .lcore = 0, .connid = a.id,
		.u.login = { 30, 90, 5, (const uint8_t *)"dev-a" } });
	dev_send(&a, ka, sizeof(ka));
	assert_int_equal(drain(&a, out), sizeof(ka));
	assert_int_equal(out[0], FXR_T_KEEPALIVE_ACK);
	assert_memory_equal(out + 1, ka + 1, sizeof(ka) - 1);
	assert_int_equal(ctr(FXR_CTR_relay_keepalive_acked), 1);
	assert_false(cp_recv(&m));

	/* (the decoder refuses that FRAME, as the control plane's does: read it raw) */
	dev_send(&a, (const uint8_t[]){ 0x99, 0, 0, 1, 0 }, 5);
	{
		int n = fxr_chan_recv(cp_chan, 0, cp_buf, sizeof(cp_buf));

		assert_int_equal(n, FXR_CHAN_HDR_LEN + 4);
		assert_int_equal(cp_buf[0], FXR_CHAN_T_FRAME);
		assert_true(fxr_get_le64(cp_buf + 8) == a.id);
		assert_memory_equal(cp_buf + FXR_CHAN_HDR_LEN, ((uint8_t[]){ 0x99, 0, 0, 1 }), 4);
		assert_int_equal(fxr_chan_msg_decode(cp_buf, (size_t)n, &m, NULL), -EBADMSG);
	}
	assert_int_equal(ctr(FXR_CTR_relay_malformed), 1);
	/* nothing more is read */
	dev_send(&a, ka, sizeof(ka));
	assert_int_equal(drain(&a, NULL), 0);
}

/* A full ring never loses or reorders an event; a dump is contiguous: the events queued
 * before DUMP_REQUEST, the entries of the connections that existed then, DUMP_END, and
 * only then what came after (a connection accepted during the dump). */
static void test_full_ring_order_and_dump(void **state)
{
	struct dev d[7];
	struct fxr_chan_msg m;

	(void)state;
	/* open 6 without letting the control plane read: 4 fit, 2 wait in the queue */
	for (int i = 0; i < 6; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].port = (uint16_t)(41000 + i);
		d[i].seq = PEER_ISS;
		input_seg(&d[i], RTE_TCP_SYN_FLAG, d[i].seq, 0, NULL, 0);
		struct rte_mbuf *s = lc->tx[lc->tx_n - 1];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(s, struct rte_ipv4_hdr *,
			sizeof(struct rte_ether_hdr));
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
		d[i].ack = rte_be_to_cpu_32(th->sent_seq) + 1;
		rte_pktmbuf_free(s);
		lc->tx_n--;
		d[i].seq++;
		input_seg(&d[i], RTE_TCP_ACK_FLAG, d[i].seq, d[i].ack, NULL, 0);
	}
	assert_int_equal(ctr(FXR_CTR_chan_d2c_sent), D2C_SLOTS);
	assert_int_equal(ctr(FXR_CTR_chan_d2c_queued), 6 - D2C_SLOTS);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_NOTE, .lcore = 0,
		.connid = fxr_connid_make(0, 2, 1), .u.note = { 2, 1, 7, 9 } });
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_DUMP_REQUEST, .lcore = 0,
		.u.dump_req.dump_id = 77 });
	/* a connection accepted while the dump waits for room */
	memset(&d[6], 0, sizeof(d[6]));
	d[6].port = 41006;
	d[6].seq = PEER_ISS;
	input_seg(&d[6], RTE_TCP_SYN_FLAG, d[6].seq, 0, NULL, 0);
	{
		struct rte_mbuf *s = lc->tx[lc->tx_n - 1];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(s, struct rte_ipv4_hdr *,
			sizeof(struct rte_ether_hdr));
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
		d[6].ack = rte_be_to_cpu_32(th->sent_seq) + 1;
		rte_pktmbuf_free(s);
		lc->tx_n--;
	}
	d[6].seq++;
	input_seg(&d[6], RTE_TCP_ACK_FLAG, d[6].seq, d[6].ack, NULL, 0);

	for (int i = 0; i < 6; i++) {
		cp_expect(FXR_CHAN_T_CONN_NEW, 0, &m);
		assert_int_equal(m.u.conn_new.remote_port, 41000 + i);
	}
	for (int i = 0; i < 6; i++) {
		cp_expect(FXR_CHAN_T_DUMP_ENTRY, 0, &m);
		assert_int_equal(m.u.dump.addr.remote_port, 41000 + i);
		assert_int_equal(m.u.dump.state, FXR_CHAN_STATE_NEW);
		if (fxr_connid_slot(m.connid) == 2) {
			assert_int_equal(m.u.dump.note.state, 2);
			assert_int_equal(m.u.dump.note.call_id, 7);
			assert_int_equal(m.u.dump.note.req_id, 9);
		}
	}
	cp_expect(FXR_CHAN_T_DUMP_END, 0, &m);
	assert_int_equal(m.u.dump_end.dump_id, 77);
	assert_int_equal(m.u.dump_end.entries, 6);
	cp_expect(FXR_CHAN_T_CONN_NEW, 0, &m);
	assert_int_equal(m.u.conn_new.remote_port, 41006);
	assert_false(cp_recv(&m));
	assert_int_equal(ctr(FXR_CTR_chan_evq_full), 0);
}

/* CLOSE: what was queued goes out, then FIN; the close is reported when the device has
 * closed too. */
static void test_close_sends_fin(void **state)
{
	struct dev a;
	struct fxr_chan_msg m;
	static const uint8_t bye[] = { FXR_T_BYE, 0, 0, 2, 0, 1 };
	uint8_t out[16];

	(void)state;
	dev_open(&a, 40010);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_SEND_FRAME, .lcore = 0,
		.connid = a.id, .u.frame = { bye, sizeof(bye) } });
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_CLOSE, .lcore = 0, .connid = a.id,
		.u.close.code = 0 });
	assert_int_equal(drain(&a, out), sizeof(bye));
	assert_memory_equal(out, bye, sizeof(bye));
	/* our FIN (data-less) is in the TX buffer or was sent with the data: the device
	 * answers with its own FIN, acknowledging ours */
	rte_pktmbuf_free_bulk(lc->tx, lc->tx_n);
	lc->tx_n = 0;
	input_seg(&a, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, a.seq, a.ack + 1, NULL, 0);
	cp_expect(FXR_CHAN_T_CONN_CLOSED, a.id, &m);
	assert_int_equal(m.u.closed.reason, FXR_CHAN_CLOSE_REQUESTED);
	rte_pktmbuf_free_bulk(lc->tx, lc->tx_n);
	lc->tx_n = 0;
}

/* Flow control: once the peer's send buffer (snd_buf, 64 KiB here) is full, the relay stops
 * consuming (relay_blocked) and the sender's data waits in its receive window; the peer's
 * ACKs resume it, and every byte arrives in order. */
static void test_flow_control_blocks_and_resumes(void **state)
{
	enum { SEG = 1404, NSEG = 48 };
	static uint8_t in[NSEG * SEG], out[NSEG * SEG];
	struct dev a, b;
	unsigned int got = 0;

	(void)state;
	dev_open(&a, 40020);
	dev_open(&b, 40021);
	cp_pair(&a, &b);
	for (int i = 0; i < NSEG; i++) {
		uint8_t *f = in + i * SEG;

		f[0] = FXR_T_DATA;
		f[1] = 0;
		f[2] = (SEG - 4) >> 8;
		f[3] = (SEG - 4) & 0xff;
		for (int k = 4; k < SEG; k++)
			f[k] = (uint8_t)(i + k);
	}
	/* b does not acknowledge anything while a sends everything */
	for (int i = 0; i < NSEG; i++) {
		dev_send(&a, in + i * SEG, SEG);
		drain(&a, NULL);
		/* take b's segments off the wire without acknowledging them */
		for (uint16_t k = 0; k < lc->tx_n; k++)
			rte_pktmbuf_free(lc->tx[k]);
		lc->tx_n = 0;
	}
	assert_true(ctr(FXR_CTR_relay_blocked) >= 1);
	assert_true(ctr(FXR_CTR_relay_payload_bytes) < sizeof(in));
	/* b comes back: acknowledges what it has not seen (from the start), until all is in */
	got = drain_until(&b, &a, out, got, sizeof(in));
	assert_int_equal(got, sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	assert_int_equal(ctr(FXR_CTR_relay_payload_bytes), sizeof(in));
}


/* The mbuf pool down to its reserve: relaying pauses (no allocation fails, nothing is
 * reset) and resumes once the pool refills, byte-exact. */
static void test_low_pool_pauses_and_resumes(void **state)
{
	enum { LEN = 600 };
	static struct rte_mbuf *hog[POOL_SIZE];
	uint8_t in[4 + LEN], out[sizeof(in)];
	unsigned int n_hog = 0;
	struct dev a, b;

	(void)state;
	dev_open(&a, 40030);
	dev_open(&b, 40031);
	cp_pair(&a, &b);
	put_hdr(in, FXR_T_DATA, LEN);
	for (int i = 0; i < LEN; i++)
		in[4 + i] = (uint8_t)(i * 13 + 1);
	/* leave fewer free mbufs than the relay's reserve (a sixteenth of the pool), but
	 * enough to receive and acknowledge */
	while (rte_mempool_avail_count(pool) > POOL_SIZE / 16 - 16)
		hog[n_hog++] = rte_pktmbuf_alloc(pool);
	dev_send(&a, in, sizeof(in));
	assert_int_equal(drain(&b, out), 0);
	assert_int_equal(ctr(FXR_CTR_relay_blocked_pool), 1);
	assert_int_equal(ctr(FXR_CTR_relay_payload_bytes), 0);
	assert_int_equal(ctr(FXR_CTR_mbuf_alloc_fail), 0);
	/* still short of the resume mark: nothing moves */
	fxr_relay_timers(lc);
	assert_int_equal(drain(&b, out), 0);
	rte_pktmbuf_free_bulk(hog, n_hog);
	fxr_relay_timers(lc);
	fxr_tcp_flush(lc);
	assert_int_equal(drain(&b, out), sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	assert_int_equal(ctr(FXR_CTR_relay_payload_bytes), sizeof(in));
	assert_int_equal(ctr(FXR_CTR_tcp_aborted), 0);
}

/* A sequence of tiny and large DATA frames, then END: returns its length. */
static unsigned int tiny_and_large(uint8_t *f)
{
	static const uint16_t lens[] = { 0, 1, 2, 3, 5, 127, 128, 0, 300, 1 };
	unsigned int n = 0;

	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		put_hdr(f + n, FXR_T_DATA, lens[i]);
		for (unsigned int k = 0; k < lens[i]; k++)
			f[n + 4 + k] = (uint8_t)(i * 31 + k);
		n += 4u + lens[i];
	}
	memcpy(f + n, (uint8_t[]){ FXR_T_END, 0, 0, 2, 0, 0 }, 6);
	return n + 6;
}

/* Is the byte at offset k of tiny_and_large() inside a frame header, past its first byte
 * (so that a segment boundary before it splits the header)? */
static bool splits_header(const uint8_t *f, unsigned int n, unsigned int k)
{
	unsigned int at = 0;

	while (at < n) {
		unsigned int len = 4u + ((unsigned int)f[at + 2] << 8 | f[at + 3]);

		if (k > at && k < at + 4)
			return true;
		at += len;
	}
	return false;
}

/* Every relayed byte goes by reference, whatever the frame's length and wherever the
 * segments split it: the stream sent in two segments split at each byte position k, and
 * one byte a segment, arrives byte-exact; no payload byte is copied (relay_copied_bytes
 * stays 0) and only headers split across segments are gathered (relay_hdr_gather_bytes). */
static void test_tiny_frames_split_anywhere_go_by_reference(void **state)
{
	static uint8_t in[1024], out[1024];
	struct dev a, b;
	unsigned int n, got;
	uint64_t gathered = 0;

	(void)state;
	n = tiny_and_large(in);
	dev_open(&a, 40040);
	dev_open(&b, 40041);
	for (unsigned int k = 0; k < n; k++) {
		cp_pair(&a, &b); /* a new PAIR: the END of the last round no longer counts */
		if (k != 0)
			dev_send(&a, in, k);
		dev_send(&a, in + k, n - k);
		drain(&a, NULL);
		got = drain(&b, out);
		assert_int_equal(got, n);
		assert_memory_equal(out, in, n);
		cp_expect(FXR_CHAN_T_END_RELAYED, a.id, NULL);
		if (splits_header(in, n, k))
			gathered += FXR_FRAME_HDR_LEN;
		assert_int_equal(ctr(FXR_CTR_relay_hdr_gather_bytes), gathered);
	}
	assert_true(gathered != 0);
	/* one byte a segment: every header is split */
	cp_pair(&a, &b);
	got = 0;
	for (unsigned int k = 0; k < n; k++) {
		dev_send(&a, in + k, 1);
		drain(&a, NULL);
		got += drain(&b, out + got);
	}
	assert_int_equal(got, n);
	assert_memory_equal(out, in, n);
	cp_expect(FXR_CHAN_T_END_RELAYED, a.id, NULL);
	assert_int_equal(ctr(FXR_CTR_relay_hdr_gather_bytes), gathered + 11u * FXR_FRAME_HDR_LEN);
	assert_int_equal(ctr(FXR_CTR_relay_payload_bytes), (uint64_t)n * (n + 1));
	assert_int_equal(ctr(FXR_CTR_relay_copied_bytes), 0);
	assert_int_equal(ctr(FXR_CTR_mbuf_alloc_fail), 0);
}

/* Tiny runs cannot pin unbounded mbufs: empty DATA frames each followed by a KEEPALIVE
 * (answered here, so every DATA is a run of 4 bytes and an indirect mbuf of its own) stop
 * being read once the receiver's send queue holds FXR_RELAY_TX_MBUFS_MAX of them
 * (relay_blocked_mbufs), long before the byte bound; the receiver's ACKs resume it, and
 * every byte arrives in order. */
static void test_tiny_runs_are_capped_in_mbufs(void **state)
{
	enum { PAIRS = 170, SEG = PAIRS * 8, NSEG = 12, WANT = NSEG * PAIRS * 4 };
	static uint8_t seg[SEG], out[WANT];
	struct dev a, b;
	unsigned int got = 0;

	(void)state;
	for (int i = 0; i < PAIRS; i++) {
		put_hdr(seg + i * 8, FXR_T_DATA, 0);
		put_hdr(seg + i * 8 + 4, FXR_T_KEEPALIVE, 0);
	}
	dev_open(&a, 40050);
	dev_open(&b, 40051);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_LOGIN, .lcore = 0, .connid = a.id,
		.u.login = { 30, 90, 5, (const uint8_t *)"dev-a" } });
	cp_pair(&a, &b);
	for (int i = 0; i < NSEG; i++) {
		dev_send(&a, seg, SEG);
		drain(&a, NULL);
		for (uint16_t k = 0; k < lc->tx_n; k++)
			rte_pktmbuf_free(lc->tx[k]);
		lc->tx_n = 0;
	}
	assert_true(ctr(FXR_CTR_relay_blocked_mbufs) >= 1);
	assert_int_equal(ctr(FXR_CTR_relay_blocked), 0);
	assert_true(ctr(FXR_CTR_relay_ref_segs) <= FXR_RELAY_TX_MBUFS_MAX + PAIRS);
	assert_true(ctr(FXR_CTR_relay_payload_bytes) < WANT);
	got = drain_until(&b, &a, out, got, WANT);
	assert_int_equal(got, WANT);
	for (unsigned int i = 0; i < WANT; i += 4)
		assert_memory_equal(out + i, ((uint8_t[]){ FXR_T_DATA, 0, 0, 0 }), 4);
	assert_int_equal(ctr(FXR_CTR_relay_keepalive_acked), NSEG * PAIRS);
	assert_int_equal(ctr(FXR_CTR_relay_copied_bytes), 0);
	assert_int_equal(ctr(FXR_CTR_mbuf_alloc_fail), 0);
}

/* The same cap holds for the answers written here: a device that sends KEEPALIVEs without
 * acknowledging the KEEPALIVE_ACKs stops being read once they hold FXR_RELAY_TX_MBUFS_MAX
 * mbufs of its send queue, and its ACKs resume it; every answer arrives. */
static void test_keepalive_answers_are_capped_in_mbufs(void **state)
{
	enum { KAS = 350, SEG = KAS * 4, NSEG = 4, WANT = NSEG * KAS * 4 };
	static uint8_t seg[SEG], out[WANT];
	struct dev a;
	unsigned int got = 0;

	(void)state;
	for (int i = 0; i < KAS; i++)
		put_hdr(seg + i * 4, FXR_T_KEEPALIVE, 0);
	dev_open(&a, 40060);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_LOGIN, .lcore = 0, .connid = a.id,
		.u.login = { 30, 90, 5, (const uint8_t *)"dev-a" } });
	for (int i = 0; i < NSEG; i++) {
		dev_send(&a, seg, SEG);
		rte_pktmbuf_free_bulk(lc->tx, lc->tx_n);
		lc->tx_n = 0;
	}
	assert_true(ctr(FXR_CTR_relay_blocked_mbufs) >= 1);
	assert_true(ctr(FXR_CTR_relay_keepalive_acked) < NSEG * KAS);
	got = drain_until(&a, NULL, out, got, WANT);
	assert_int_equal(got, WANT);
	for (unsigned int i = 0; i < WANT; i += 4)
		assert_memory_equal(out + i, ((uint8_t[]){ FXR_T_KEEPALIVE_ACK, 0, 0, 0 }), 4);
	assert_int_equal(ctr(FXR_CTR_relay_keepalive_acked), NSEG * KAS);
	assert_int_equal(ctr(FXR_CTR_mbuf_alloc_fail), 0);
}

/* The idle timer: a logged-in, unpaired device that sends nothing for idle_s is closed,
 * KEEPALIVE_EXPIRED then CONN_CLOSED(IDLE_TIMEOUT); one that is not logged in is not. */
static void test_idle_timeout(void **state)
{
	struct dev a, b;
	struct fxr_chan_msg m;
	uint64_t hz = rte_get_tsc_hz();

	(void)state;
	dev_open(&a, 40030);
	dev_open(&b, 40031);
	cp_send(&(struct fxr_chan_msg){ .type = FXR_CHAN_T_LOGIN, .lcore = 0, .connid = a.id,
		.u.login = { 1, 2, 5, (const uint8_t *)"dev-a" } });
	lc->now_tsc += hz; /* 1 s: not yet */
	assert_int_equal(fxr_relay_timers(lc), 0);
	lc->now_tsc += hz + hz / 5; /* 2.2 s */
	assert_int_equal(fxr_relay_timers(lc), 1);
	cp_expect(FXR_CHAN_T_KEEPALIVE_EXPIRED, a.id, NULL);
	cp_expect(FXR_CHAN_T_CONN_CLOSED, a.id, &m);
	assert_int_equal(m.u.closed.reason, FXR_CHAN_CLOSE_IDLE_TIMEOUT);
	assert_int_equal(ctr(FXR_CTR_relay_idle_expired), 1);
	lc->now_tsc += 10 * hz;
	assert_int_equal(fxr_relay_timers(lc), 0); /* b never logged in */
	rte_pktmbuf_free_bulk(lc->tx, lc->tx_n);
	lc->tx_n = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pair_relays_data_and_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_right_after_accept_waits_for_pair, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_login_keepalive_and_malformed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_order_and_dump, setup_small_ring,
			teardown),
		cmocka_unit_test_setup_teardown(test_close_sends_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_control_blocks_and_resumes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_pool_pauses_and_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiny_frames_split_anywhere_go_by_reference,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiny_runs_are_capped_in_mbufs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_answers_are_capped_in_mbufs, setup,
			teardown),
	};
	int rc;

	pool = dp_test_eal_start("test_dp_relay", POOL_SIZE, (uint16_t)fxr_port_mbuf_priv_size());
	if (pool == NULL)
		return 1;
	lc = rte_zmalloc("lc", sizeof(*lc), RTE_CACHE_LINE_SIZE);
	cfg.ip = OUR_IP;
	cfg.netmask = dp_test_addr("255.255.255.0");
	cfg.plen = 24;
	cfg.tx_flush_us = 100;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_free(lc);
	dp_test_eal_stop(pool);
	return rc;
}
