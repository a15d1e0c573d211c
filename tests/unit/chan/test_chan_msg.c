/* Plane channel codec: every message type round-trips field by field through exact-size
 * buffers (the sanitizer build catches any over-read), encoders refuse what decoders
 * would reject, and every malformed variant is rejected with its reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fxr/chan.h"
#include "fxr/connid.h"
#include "fxr/frame.h"

static const uint8_t kDev[] = "fax-42@site.example";
#define DEV_LEN ((uint8_t)(sizeof(kDev) - 1))

static uint8_t g_small_frame[4 + FXR_SCRAM_MAX]; /* AUTH_START, the largest D2C frame */
static uint8_t g_big_frame[FXR_FRAME_MAX_LEN];   /* a LIST_RESULT-sized frame */
static uint64_t g_counters[FXR_CHAN_COUNTERS_MAX];
static struct fxr_chan_bytes_entry g_bytes[FXR_CHAN_BYTES_MAX];

static void frames_init(void)
{
	fxr_frame_hdr_put(g_small_frame, FXR_T_AUTH_START, 0, FXR_SCRAM_MAX);
	for (size_t i = 4; i < sizeof(g_small_frame); i++)
		g_small_frame[i] = (uint8_t)('a' + i % 26);
	fxr_frame_hdr_put(g_big_frame, FXR_T_LIST_RESULT, 0, FXR_FRAME_MAX_PAYLOAD);
	for (size_t i = 4; i < sizeof(g_big_frame); i++)
		g_big_frame[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < FXR_CHAN_COUNTERS_MAX; i++)
		g_counters[i] = UINT64_C(0x0102030405060708) * (i + 1);
	for (uint32_t i = 0; i < FXR_CHAN_BYTES_MAX; i++)
		g_bytes[i] = (struct fxr_chan_bytes_entry){
			.connid = fxr_connid_make(3, 1000 + i, i + 1),
			/* past 32 bits: the totals are u64 end to end */
			.t = { .in = (UINT64_C(5) << 32) + i, .out = UINT64_MAX - i },
		};
}

static struct fxr_chan_addr addr4(uint16_t rport, uint16_t lport)
{
	struct fxr_chan_addr a = { .family = 4, .remote_port = rport, .local_port = lport };
	a.addr[0] = 192;
	a.addr[1] = 0;
	a.addr[2] = 2;
	a.addr[3] = 17;
	return a;
}

static struct fxr_chan_addr addr6(uint16_t rport, uint16_t lport)
{
	struct fxr_chan_addr a = { .family = 6, .remote_port = rport, .local_port = lport };
	a.addr[0] = 0x20;
	a.addr[1] = 0x01;
	a.addr[2] = 0x0d;
	a.addr[3] = 0xb8;
	a.addr[15] = 0x99;
	return a;
}

/* A valid sample of every type (variant picks a second shape where there is one). */
static void sample(uint8_t type, int variant, struct fxr_chan_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->lcore = 3;
	m->connid = fxr_connid_make(3, 1234, 77);
	switch (type) {
	case FXR_CHAN_T_CONN_NEW:
		m->u.conn_new = variant ? addr6(40000, 4747) : addr4(51234, 4747);
		break;
	case FXR_CHAN_T_FRAME:
		m->u.frame.p = g_small_frame;
		m->u.frame.len = variant ? 4 + FXR_SCRAM_MAX : 4 + 10;
		if (!variant) {
			static uint8_t f[14];
			fxr_frame_hdr_put(f, FXR_T_CONNECT, 0, 10);
			memcpy(f + 4, "\0\0\0\x07\x05" "dev-1", 10);
			m->u.frame.p = f;
		}
		break;
	case FXR_CHAN_T_SEND_FRAME:
		if (variant) {
			m->u.frame.p = g_big_frame;
			m->u.frame.len = FXR_FRAME_MAX_LEN;
		} else {
			static uint8_t f[4];
			fxr_frame_hdr_put(f, FXR_T_RELEASED, 0, 0);
			m->u.frame.p = f;
			m->u.frame.len = 4;
		}
		break;
	case FXR_CHAN_T_CONN_CLOSED:
		m->u.closed.reason = variant ? FXR_CHAN_CLOSE_SHUTDOWN : FXR_CHAN_CLOSE_PEER_FIN;
		break;
	case FXR_CHAN_T_KEEPALIVE_EXPIRED:
	case FXR_CHAN_T_UNPAIR:
	case FXR_CHAN_T_END_RELAYED:
		break;
	case FXR_CHAN_T_NOTE:
		m->u.note.state = variant ? 0xff : 4;
		m->u.note.flags = variant ? 0x81 : 1;
		m->u.note.call_id = variant ? UINT32_MAX : 7;
		m->u.note.req_id = variant ? 0x01020304 : 0;
		break;
	case FXR_CHAN_T_COUNTERS:
		m->connid = FXR_CONNID_NONE;
		m->u.counters.seq = 0xdeadbeef;
		m->u.counters.n = variant ? FXR_CHAN_COUNTERS_MAX : 0;
		m->u.counters.values = g_counters;
		break;
	case FXR_CHAN_T_DUMP_ENTRY:
		m->u.dump.peer = variant ? fxr_connid_make(3, 99, 5) : 0;
		m->u.dump.state = variant ? FXR_CHAN_STATE_PAIRED : FXR_CHAN_STATE_NEW;
		m->u.dump.dev = variant ? kDev : NULL;
		m->u.dump.dev_len = variant ? DEV_LEN : 0;
		m->u.dump.keepalive_s = 30;
		m->u.dump.idle_s = 90;
		m->u.dump.addr = variant ? addr6(1, 4747) : addr4(65535, 4747);
		m->u.dump.sent_end = variant ? 1 : 0;
		m->u.dump.note.state = variant ? 4 : 0;
		m->u.dump.note.flags = variant ? 1 : 0;
		m->u.dump.note.call_id = variant ? 0xa1b2c3d4 : 0;
		m->u.dump.note.req_id = variant ? 0x11223344 : 0;
		m->u.dump.totals.in = variant ? UINT64_C(0x1122334455667788) : 0;
		m->u.dump.totals.out = variant ? UINT64_MAX : 0;
		break;
	case FXR_CHAN_T_BYTES:
		m->connid = FXR_CONNID_NONE;
		m->u.bytes.n = variant ? FXR_CHAN_BYTES_MAX : 1;
		m->u.bytes.entries = g_bytes;
		break;
	case FXR_CHAN_T_DUMP_END:
		m->connid = FXR_CONNID_NONE;
		m->u.dump_end.dump_id = 0x01020304;
		m->u.dump_end.entries = variant ? UINT32_MAX : 0;
		break;
	case FXR_CHAN_T_LOGIN:
		m->u.login.keepalive_s = 30;
		m->u.login.idle_s = variant ? 65535 : 90;
		m->u.login.dev = kDev;
		m->u.login.dev_len = variant ? 1 : DEV_LEN;
		break;
	case FXR_CHAN_T_PAIR:
		m->u.pair.peer = fxr_connid_make(3, 4321, variant ? UINT32_MAX : 1);
		break;
	case FXR_CHAN_T_CLOSE:
		m->u.close.code = variant ? 15 : 8;
		break;
	case FXR_CHAN_T_DUMP_REQUEST:
		m->connid = FXR_CONNID_NONE;
		m->u.dump_req.dump_id = variant ? 1 : 0xfffffffe;
		break;
	case FXR_CHAN_T_TRUNK_OPEN:
		m->connid = FXR_CONNID_NONE;
		m->u.trunk.req_id = 17;
		m->u.trunk.addr = variant ? addr6(4747, 0) : addr4(4747, 0);
		break;
	default:
		fail_msg("no sample for type 0x%02x", type);
	}
}

static const uint8_t kTypes[] = {
#define TYPE_ROW(name, value, d, cid, lo, hi) value,
	FXR_CHAN_TYPE_LIST(TYPE_ROW)
#undef TYPE_ROW
};

static void assert_addr_equal(const struct fxr_chan_addr *a, const struct fxr_chan_addr *b)
{
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->remote_port, b->remote_port);
	assert_int_equal(a->local_port, b->local_port);
	assert_memory_equal(a->addr, b->addr, sizeof(a->addr));
}

static void assert_msg_equal(const struct fxr_chan_msg *got, const struct fxr_chan_msg *want)
{
	assert_int_equal(got->type, want->type);
	assert_int_equal(got->lcore, want->lcore);
	assert_int_equal(got->connid, want->connid);
	switch (want->type) {
	case FXR_CHAN_T_CONN_NEW:
		assert_addr_equal(&got->u.conn_new, &want->u.conn_new);
		break;
	case FXR_CHAN_T_FRAME:
	case FXR_CHAN_T_SEND_FRAME:
		assert_int_equal(got->u.frame.len, want->u.frame.len);
		assert_memory_equal(got->u.frame.p, want->u.frame.p, want->u.frame.len);
		break;
	case FXR_CHAN_T_CONN_CLOSED:
		assert_int_equal(got->u.closed.reason, want->u.closed.reason);
		break;
	case FXR_CHAN_T_COUNTERS:
		assert_int_equal(got->u.counters.seq, want->u.counters.seq);
		assert_int_equal(got->u.counters.n, want->u.counters.n);
		for (uint16_t i = 0; i < want->u.counters.n; i++)
			assert_int_equal(fxr_chan_counter(got, i), want->u.counters.values[i]);
		break;
	case FXR_CHAN_T_DUMP_ENTRY:
		assert_int_equal(got->u.dump.peer, want->u.dump.peer);
		assert_int_equal(got->u.dump.state, want->u.dump.state);
		assert_int_equal(got->u.dump.keepalive_s, want->u.dump.keepalive_s);
		assert_int_equal(got->u.dump.idle_s, want->u.dump.idle_s);
		assert_int_equal(got->u.dump.dev_len, want->u.dump.dev_len);
		if (want->u.dump.dev_len)
			assert_memory_equal(got->u.dump.dev, want->u.dump.dev, want->u.dump.dev_len);
		assert_addr_equal(&got->u.dump.addr, &want->u.dump.addr);
		assert_int_equal(got->u.dump.sent_end, want->u.dump.sent_end);
		assert_int_equal(got->u.dump.note.state, want->u.dump.note.state);
		assert_int_equal(got->u.dump.note.flags, want->u.dump.note.flags);
		assert_int_equal(got->u.dump.note.call_id, want->u.dump.note.call_id);
		assert_int_equal(got->u.dump.note.req_id, want->u.dump.note.req_id);
		assert_int_equal(got->u.dump.totals.in, want->u.dump.totals.in);
		assert_int_equal(got->u.dump.totals.out, want->u.dump.totals.out);
		break;
	case FXR_CHAN_T_BYTES:
		assert_int_equal(got->u.bytes.n, want->u.bytes.n);
		for (uint16_t i = 0; i < want->u.bytes.n; i++) {
			struct fxr_chan_bytes_entry e = fxr_chan_bytes_get(got, i);
			assert_int_equal(e.connid, want->u.bytes.entries[i].connid);
			assert_int_equal(e.t.in, want->u.bytes.entries[i].t.in);
			assert_int_equal(e.t.out, want->u.bytes.entries[i].t.out);
		}
		break;
	case FXR_CHAN_T_NOTE:
		assert_int_equal(got->u.note.state, want->u.note.state);
		assert_int_equal(got->u.note.flags, want->u.note.flags);
		assert_int_equal(got->u.note.call_id, want->u.note.call_id);
		assert_int_equal(got->u.note.req_id, want->u.note.req_id);
		break;
	case FXR_CHAN_T_DUMP_END:
		assert_int_equal(got->u.dump_end.dump_id, want->u.dump_end.dump_id);
		assert_int_equal(got->u.dump_end.entries, want->u.dump_end.entries);
		break;
	case FXR_CHAN_T_LOGIN:
		assert_int_equal(got->u.login.keepalive_s, want->u.login.keepalive_s);
		assert_int_equal(got->u.login.idle_s, want->u.login.idle_s);
		assert_int_equal(got->u.login.dev_len, want->u.login.dev_len);
		assert_memory_equal(got->u.login.dev, want->u.login.dev, want->u.login.dev_len);
		break;
	case FXR_CHAN_T_PAIR:
		assert_int_equal(got->u.pair.peer, want->u.pair.peer);
		break;
	case FXR_CHAN_T_CLOSE:
		assert_int_equal(got->u.close.code, want->u.close.code);
		break;
	case FXR_CHAN_T_DUMP_REQUEST:
		assert_int_equal(got->u.dump_req.dump_id, want->u.dump_req.dump_id);
		break;
	case FXR_CHAN_T_TRUNK_OPEN:
		assert_int_equal(got->u.trunk.req_id, want->u.trunk.req_id);
		assert_addr_equal(&got->u.trunk.addr, &want->u.trunk.addr);
		break;
	default:
		break;
	}
}

/* Encodes m into an exact-size heap buffer; returns it and its length in *n. */
static uint8_t *encode_exact(const struct fxr_chan_msg *m, size_t *n)
{
	int len = fxr_chan_msg_len(m);
	assert_true(len >= (int)FXR_CHAN_HDR_LEN);
	uint8_t *buf = malloc((size_t)len);
	assert_non_null(buf);
	/* one byte short is refused without a write past the buffer */
	assert_int_equal(fxr_chan_msg_encode(m, buf, (size_t)len - 1), -ENOSPC);
	assert_int_equal(fxr_chan_msg_encode(m, buf, (size_t)len), len);
	*n = (size_t)len;
	return buf;
}

static void test_round_trip_every_type(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(kTypes); t++) {
		for (int variant = 0; variant < 2; variant++) {
			struct fxr_chan_msg m, got;
			sample(kTypes[t], variant, &m);
			size_t n;
			uint8_t *buf = encode_exact(&m, &n);
			const struct fxr_chan_info *ci = fxr_chan_info(kTypes[t]);
			assert_non_null(ci);
			assert_int_equal(n - FXR_CHAN_HDR_LEN, fxr_get_le32(buf + 4));
			assert_true(n - FXR_CHAN_HDR_LEN >= ci->min_len);
			assert_true(n - FXR_CHAN_HDR_LEN <= ci->max_len);
			uint8_t type = 0;
			assert_int_equal(fxr_chan_msg_peek(buf, n, &type), (long)n);
			assert_int_equal(type, kTypes[t]);

			enum fxr_chan_bad why = FXR_CHAN_BAD_COUNT;
			assert_int_equal(fxr_chan_msg_decode(buf, n, &got, &why), (int)n);
			assert_int_equal(why, FXR_CHAN_BAD_NONE);
			assert_msg_equal(&got, &m);

			/* every prefix is refused as SHORT */
			for (size_t cut = 0; cut < n; cut += (n > 200 ? n / 50 : 1)) {
				assert_int_equal(fxr_chan_msg_decode(buf, cut, &got, &why), -EBADMSG);
				assert_int_equal(why, FXR_CHAN_BAD_SHORT);
			}
			free(buf);
		}
	}
}

static void test_trailing_bytes_after_message(void **state)
{
	(void)state;
	/* two messages back to back: decode returns the first one's length */
	struct fxr_chan_msg a, b, got;
	sample(FXR_CHAN_T_CONN_CLOSED, 0, &a);
	sample(FXR_CHAN_T_LOGIN, 0, &b);
	uint8_t buf[256];
	int la = fxr_chan_msg_encode(&a, buf, sizeof(buf));
	assert_true(la > 0);
	int lb = fxr_chan_msg_encode(&b, buf + la, sizeof(buf) - (size_t)la);
	assert_true(lb > 0);
	assert_int_equal(fxr_chan_msg_decode(buf, (size_t)(la + lb), &got, NULL), la);
	assert_int_equal(got.type, FXR_CHAN_T_CONN_CLOSED);
	assert_int_equal(fxr_chan_msg_decode(buf + la, (size_t)lb, &got, NULL), lb);
	assert_int_equal(got.type, FXR_CHAN_T_LOGIN);
}

static void test_info_and_names(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(kTypes); t++) {
		const struct fxr_chan_info *ci = fxr_chan_info(kTypes[t]);
		assert_non_null(ci);
		assert_int_equal(ci->type, kTypes[t]);
		/* the top bit of a type is its direction */
		assert_int_equal(ci->dir, (kTypes[t] & 0x80) ? FXR_CHAN_C2D : FXR_CHAN_D2C);
		assert_string_equal(fxr_chan_type_name(kTypes[t]), ci->name);
	}
	assert_null(fxr_chan_info(0x00));
	assert_null(fxr_chan_info(0x80));
	assert_null(fxr_chan_info(0xff));
	assert_string_equal(fxr_chan_type_name(0x55), "UNKNOWN");
	assert_string_equal(fxr_chan_type_name(FXR_CHAN_T_SEND_FRAME), "SEND_FRAME");
	assert_string_equal(fxr_chan_bad_name(FXR_CHAN_BAD_CONNID), "CONNID");
	assert_string_equal(fxr_chan_bad_name(FXR_CHAN_BAD_COUNT), "UNKNOWN");
	assert_string_equal(fxr_chan_close_name(FXR_CHAN_CLOSE_IDLE_TIMEOUT), "IDLE_TIMEOUT");
	assert_string_equal(fxr_chan_close_name(0), "UNKNOWN");
	assert_string_equal(fxr_chan_conn_state_name(FXR_CHAN_STATE_PAIRED), "PAIRED");
	assert_string_equal(fxr_chan_conn_state_name(0), "UNKNOWN");
	/* the largest message of each direction fits the default slot of that direction */
	assert_int_equal(FXR_CHAN_MSG_D2C_MAX, 16 + 1028);
	assert_int_equal(FXR_CHAN_MSG_C2D_MAX, 16 + 65539);
}

/* ---- malformed ---- */

/* Encodes a valid sample into buf (room to spare), applies a mutation, and expects the
 * decoder to reject it with why. */
struct mutation {
	const char *what;
	uint8_t type;
	int variant;
	size_t off;     /* byte to overwrite (SIZE_MAX: none) */
	uint8_t value;
	int len_delta;  /* added to the header's length and to n */
	enum fxr_chan_bad why;
};

#define P(x) (FXR_CHAN_HDR_LEN + (x)) /* payload offset */

static const struct mutation kMutations[] = {
	{ "unknown type", FXR_CHAN_T_UNPAIR, 0, 0, 0x7e, 0, FXR_CHAN_BAD_UNKNOWN_TYPE },
	{ "type 0", FXR_CHAN_T_UNPAIR, 0, 0, 0x00, 0, FXR_CHAN_BAD_UNKNOWN_TYPE },
	{ "reserved header", FXR_CHAN_T_UNPAIR, 0, 3, 0x01, 0, FXR_CHAN_BAD_RESERVED },
	{ "length over max", FXR_CHAN_T_CONN_CLOSED, 0, SIZE_MAX, 0, 1, FXR_CHAN_BAD_LENGTH },
	{ "length under min", FXR_CHAN_T_PAIR, 0, SIZE_MAX, 0, -1, FXR_CHAN_BAD_LENGTH },
	{ "payload on empty type", FXR_CHAN_T_KEEPALIVE_EXPIRED, 0, SIZE_MAX, 0, 4,
	  FXR_CHAN_BAD_LENGTH },
	{ "FRAME over the D2C max", FXR_CHAN_T_FRAME, 1, SIZE_MAX, 0, 1, FXR_CHAN_BAD_LENGTH },
	{ "connid missing", FXR_CHAN_T_LOGIN, 0, 13, 0, 0, FXR_CHAN_BAD_NONE /* below */ },
	{ "connid on another lcore", FXR_CHAN_T_CLOSE, 0, 1, 4, 0, FXR_CHAN_BAD_CONNID },
	{ "connid where none", FXR_CHAN_T_DUMP_END, 0, 8, 1, 0, FXR_CHAN_BAD_CONNID },
	{ "frame length disagrees", FXR_CHAN_T_FRAME, 0, P(3), 11, 0, FXR_CHAN_BAD_FRAME },
	{ "frame shorter than a header", FXR_CHAN_T_SEND_FRAME, 0, SIZE_MAX, 0, -1,
	  FXR_CHAN_BAD_LENGTH },
	{ "address family 5", FXR_CHAN_T_CONN_NEW, 0, P(0), 5, 0, FXR_CHAN_BAD_ADDR },
	{ "IPv4 with bytes past the 4th", FXR_CHAN_T_CONN_NEW, 0, P(8 + 4), 1, 0,
	  FXR_CHAN_BAD_ADDR },
	{ "address reserved byte", FXR_CHAN_T_TRUNK_OPEN, 0, P(4 + 1), 1, 0,
	  FXR_CHAN_BAD_RESERVED },
	{ "address reserved u16", FXR_CHAN_T_CONN_NEW, 1, P(7), 1, 0, FXR_CHAN_BAD_RESERVED },
	{ "close reason unknown", FXR_CHAN_T_CONN_CLOSED, 0, P(0), 99, 0, FXR_CHAN_BAD_VALUE },
	{ "close reason reserved", FXR_CHAN_T_CONN_CLOSED, 0, P(3), 1, 0,
	  FXR_CHAN_BAD_RESERVED },
	{ "CLOSE reserved", FXR_CHAN_T_CLOSE, 0, P(2), 1, 0, FXR_CHAN_BAD_RESERVED },
	{ "counters n too big", FXR_CHAN_T_COUNTERS, 0, P(0), 1, 0, FXR_CHAN_BAD_LENGTH },
	{ "counters reserved", FXR_CHAN_T_COUNTERS, 0, P(2), 1, 0, FXR_CHAN_BAD_RESERVED },
	{ "dump state unknown", FXR_CHAN_T_DUMP_ENTRY, 1, P(8), 9, 0, FXR_CHAN_BAD_VALUE },
	{ "dump dev_len overruns", FXR_CHAN_T_DUMP_ENTRY, 1, P(9), DEV_LEN + 1, 0,
	  FXR_CHAN_BAD_DEVID },
	{ "dump dev forbidden byte", FXR_CHAN_T_DUMP_ENTRY, 1, P(FXR_CHAN_DUMP_FIXED + 2), ' ',
	  0, FXR_CHAN_BAD_DEVID },
	{ "dump reserved", FXR_CHAN_T_DUMP_ENTRY, 0, P(15), 1, 0, FXR_CHAN_BAD_RESERVED },
	{ "dump note reserved", FXR_CHAN_T_DUMP_ENTRY, 1, P(40 + 2), 1, 0,
	  FXR_CHAN_BAD_RESERVED },
	{ "dump sent_end 2", FXR_CHAN_T_DUMP_ENTRY, 1, P(52), 2, 0, FXR_CHAN_BAD_VALUE },
	{ "dump reserved after sent_end", FXR_CHAN_T_DUMP_ENTRY, 0, P(55), 1, 0,
	  FXR_CHAN_BAD_RESERVED },
	{ "note reserved", FXR_CHAN_T_NOTE, 0, P(3), 1, 0, FXR_CHAN_BAD_RESERVED },
	{ "note short", FXR_CHAN_T_NOTE, 0, SIZE_MAX, 0, -1, FXR_CHAN_BAD_LENGTH },
	{ "payload on END_RELAYED", FXR_CHAN_T_END_RELAYED, 0, SIZE_MAX, 0, 2,
	  FXR_CHAN_BAD_LENGTH },
	{ "login dev_len short", FXR_CHAN_T_LOGIN, 0, P(4), DEV_LEN - 1, 0,
	  FXR_CHAN_BAD_DEVID },
	{ "login dev forbidden byte", FXR_CHAN_T_LOGIN, 0, P(5), '/', 0, FXR_CHAN_BAD_DEVID },
	{ "login dev_len 0", FXR_CHAN_T_LOGIN, 1, P(4), 0, 0, FXR_CHAN_BAD_DEVID },
	{ "pair with itself", FXR_CHAN_T_PAIR, 0, P(1), 1234 >> 8, 0, FXR_CHAN_BAD_NONE },
	{ "bytes n 0", FXR_CHAN_T_BYTES, 0, P(0), 0, 0, FXR_CHAN_BAD_LENGTH },
	{ "bytes n disagrees", FXR_CHAN_T_BYTES, 0, P(0), 2, 0, FXR_CHAN_BAD_LENGTH },
	{ "bytes n over max", FXR_CHAN_T_BYTES, 1, SIZE_MAX, 0, FXR_CHAN_BYTES_ENTRY,
	  FXR_CHAN_BAD_LENGTH },
	{ "bytes reserved", FXR_CHAN_T_BYTES, 0, P(3), 1, 0, FXR_CHAN_BAD_RESERVED },
	{ "bytes entry on another lcore", FXR_CHAN_T_BYTES, 1, P(4 + 5 * FXR_CHAN_BYTES_ENTRY + 7),
	  4, 0, FXR_CHAN_BAD_CONNID },
	{ "bytes short", FXR_CHAN_T_BYTES, 0, SIZE_MAX, 0, -1, FXR_CHAN_BAD_LENGTH },
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kMutations) / sizeof(kMutations[0]); i++) {
		const struct mutation *mu = &kMutations[i];
		struct fxr_chan_msg m, got;
		sample(mu->type, mu->variant, &m);
		uint8_t *buf = calloc(1, FXR_CHAN_MSG_C2D_MAX + 64);
		assert_non_null(buf);
		int n = fxr_chan_msg_encode(&m, buf, FXR_CHAN_MSG_C2D_MAX + 64);
		assert_true(n > 0);
		enum fxr_chan_bad want = mu->why;
		if (strcmp(mu->what, "connid missing") == 0) {
			memset(buf + 8, 0, 8);
			want = FXR_CHAN_BAD_CONNID;
		} else if (strcmp(mu->what, "pair with itself") == 0) {
			memcpy(buf + P(0), buf + 8, 8);
			want = FXR_CHAN_BAD_VALUE;
		} else if (mu->off != SIZE_MAX) {
			buf[mu->off] = mu->value;
		}
		if (mu->len_delta) {
			fxr_put_le32(buf + 4, (uint32_t)((int)fxr_get_le32(buf + 4) + mu->len_delta));
			n += mu->len_delta;
		}
		/* decode from an exact-size copy */
		uint8_t *copy = malloc((size_t)n);
		assert_non_null(copy);
		memcpy(copy, buf, (size_t)n);
		enum fxr_chan_bad why = FXR_CHAN_BAD_NONE;
		int rc = fxr_chan_msg_decode(copy, (size_t)n, &got, &why);
		if (rc != -EBADMSG || why != want)
			fail_msg("%s: rc %d why %s, want %s", mu->what, rc, fxr_chan_bad_name(why),
				 fxr_chan_bad_name(want));
		free(copy);
		free(buf);
	}
}

static void test_encoder_refuses(void **state)
{
	(void)state;
	uint8_t buf[FXR_CHAN_MSG_D2C_MAX];
	struct fxr_chan_msg m;

	sample(FXR_CHAN_T_LOGIN, 0, &m);
	m.type = 0x7e;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	assert_int_equal(fxr_chan_msg_encode(&m, buf, sizeof(buf)), -EINVAL);

	sample(FXR_CHAN_T_LOGIN, 0, &m);
	m.connid = FXR_CONNID_NONE;
	assert_int_equal(fxr_chan_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	sample(FXR_CHAN_T_LOGIN, 0, &m);
	m.lcore = 4; /* connid names lcore 3 */
	assert_int_equal(fxr_chan_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	sample(FXR_CHAN_T_LOGIN, 0, &m);
	m.u.login.dev = (const uint8_t *)"bad id";
	m.u.login.dev_len = 6;
	assert_int_equal(fxr_chan_msg_encode(&m, buf, sizeof(buf)), -EINVAL);

	sample(FXR_CHAN_T_DUMP_REQUEST, 0, &m);
	m.connid = fxr_connid_make(3, 1, 1);
	assert_int_equal(fxr_chan_msg_encode(&m, buf, sizeof(buf)), -EINVAL);

	sample(FXR_CHAN_T_FRAME, 1, &m);
	m.u.frame.len = 4 + FXR_SCRAM_MAX + 1; /* over the D2C frame limit */
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_FRAME, 0, &m);
	m.u.frame.len = 13; /* frame header says 14 */
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);

	sample(FXR_CHAN_T_COUNTERS, 1, &m);
	m.u.counters.n = FXR_CHAN_COUNTERS_MAX + 1;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_CONN_CLOSED, 0, &m);
	m.u.closed.reason = 0;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_DUMP_ENTRY, 0, &m);
	m.u.dump.state = 0;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_DUMP_ENTRY, 1, &m);
	m.u.dump.sent_end = 2;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_CONN_NEW, 0, &m);
	m.u.conn_new.family = 0;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_CONN_NEW, 0, &m);
	m.u.conn_new.addr[4] = 1;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_PAIR, 0, &m);
	m.u.pair.peer = m.connid;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	/* a peer on another lcore is a PAIR like any other (dataplane/relay_xl.c) */
	sample(FXR_CHAN_T_PAIR, 0, &m);
	m.u.pair.peer = fxr_connid_make(4, 1, 1);
	{
		uint8_t buf[64];
		struct fxr_chan_msg got;
		int n = fxr_chan_msg_encode(&m, buf, sizeof(buf));

		assert_int_equal(n, fxr_chan_msg_len(&m));
		assert_int_equal(fxr_chan_msg_decode(buf, (size_t)n, &got, NULL), n);
		assert_int_equal(got.u.pair.peer, fxr_connid_make(4, 1, 1));
	}
	sample(FXR_CHAN_T_PAIR, 0, &m);
	m.u.pair.peer = FXR_CONNID_NONE;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);

	sample(FXR_CHAN_T_BYTES, 0, &m);
	m.u.bytes.n = 0;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_BYTES, 1, &m);
	m.u.bytes.n = FXR_CHAN_BYTES_MAX + 1;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	sample(FXR_CHAN_T_BYTES, 0, &m);
	m.lcore = 4; /* the entries name lcore 3 */
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	struct fxr_chan_bytes_entry none = { .connid = FXR_CONNID_NONE };
	sample(FXR_CHAN_T_BYTES, 0, &m);
	m.u.bytes.entries = &none;
	assert_int_equal(fxr_chan_msg_len(&m), -EINVAL);
	/* the largest BYTES fits a D2C slot */
	sample(FXR_CHAN_T_BYTES, 1, &m);
	assert_true(fxr_chan_msg_len(&m) <= (int)FXR_CHAN_MSG_D2C_MAX);
}

/* Every byte string decodes to -EBADMSG or a message that re-encodes to the same bytes. */
static void test_decode_reencode_random(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	uint8_t buf[128], out[128];
	int accepted = 0;
	for (int iter = 0; iter < 200000; iter++) {
		struct fxr_chan_msg m;
		size_t n = FXR_CHAN_HDR_LEN + (iter % 48);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		/* steer towards plausible headers so the payload checks run */
		buf[0] = kTypes[(seed >> 8) % sizeof(kTypes)];
		buf[1] = 3;
		buf[2] = buf[3] = 0;
		fxr_put_le32(buf + 4, (uint32_t)(n - FXR_CHAN_HDR_LEN));
		if (fxr_chan_info(buf[0])->connid == FXR_CHAN_CID)
			fxr_put_le64(buf + 8, fxr_connid_make(3, seed & 0xffff, 1 + (seed >> 20)));
		else
			memset(buf + 8, 0, 8);
		int rc = fxr_chan_msg_decode(buf, n, &m, NULL);
		if (rc < 0) {
			assert_int_equal(rc, -EBADMSG);
			continue;
		}
		accepted++;
		assert_int_equal(rc, (int)n);
		if (m.type == FXR_CHAN_T_COUNTERS) {
			uint64_t vals[FXR_CHAN_COUNTERS_MAX];
			for (uint16_t i = 0; i < m.u.counters.n; i++)
				vals[i] = fxr_chan_counter(&m, i);
			m.u.counters.values = vals;
			assert_int_equal(fxr_chan_msg_encode(&m, out, sizeof(out)), rc);
		} else if (m.type == FXR_CHAN_T_BYTES) {
			struct fxr_chan_bytes_entry es[FXR_CHAN_BYTES_MAX];
			for (uint16_t i = 0; i < m.u.bytes.n; i++)
				es[i] = fxr_chan_bytes_get(&m, i);
			m.u.bytes.entries = es;
			assert_int_equal(fxr_chan_msg_encode(&m, out, sizeof(out)), rc);
		} else {
			assert_int_equal(fxr_chan_msg_encode(&m, out, sizeof(out)), rc);
		}
		assert_memory_equal(out, buf, n);
	}
	assert_true(accepted > 100); /* the generator reaches the payload decoders */
}

int main(void)
{
	frames_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_trailing_bytes_after_message),
		cmocka_unit_test(test_info_and_names),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_encoder_refuses),
		cmocka_unit_test(test_decode_reencode_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
