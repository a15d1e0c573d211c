/* Plane channel message codec (fxr/chan-t.h). Every read is bounded by the length the caller
 * gave and by the header's own length; nothing is allocated. The encoder runs the same checks
 * as the decoder, so whatever one side encodes the other side decodes. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fxr/chan.h"
#include "fxr/compiler.h"
#include "fxr/connid.h"
#include "fxr/devid.h"
#include "fxr/wire.h"

static const struct fxr_chan_info chan_infos[] = {
#define FXR_CHAN_INFO(tname, value, d, cid, lo, hi)                                    \
	{ .name = #tname, .type = value, .dir = d, .connid = cid, .min_len = lo, .max_len = hi },
	FXR_CHAN_TYPE_LIST(FXR_CHAN_INFO)
#undef FXR_CHAN_INFO
};

enum chan_pos {
#define FXR_CHAN_POS(name, value, d, cid, lo, hi) POS_##name,
	FXR_CHAN_TYPE_LIST(FXR_CHAN_POS)
#undef FXR_CHAN_POS
};

/* type byte -> position in chan_infos + 1; 0 for a byte that is no message type. */
static const uint8_t chan_index[256] = {
#define FXR_CHAN_INDEX(name, value, d, cid, lo, hi) [value] = POS_##name + 1,
	FXR_CHAN_TYPE_LIST(FXR_CHAN_INDEX)
#undef FXR_CHAN_INDEX
};

static const char *const bad_texts[FXR_CHAN_BAD_COUNT] = {
#define FXR_CHAN_BAD_TEXT(name, text) [FXR_CHAN_BAD_##name] = text,
	FXR_CHAN_BAD_LIST(FXR_CHAN_BAD_TEXT)
#undef FXR_CHAN_BAD_TEXT
};

static const char *const bad_names[FXR_CHAN_BAD_COUNT] = {
#define FXR_CHAN_BAD_NAME(name, text) [FXR_CHAN_BAD_##name] = #name,
	FXR_CHAN_BAD_LIST(FXR_CHAN_BAD_NAME)
#undef FXR_CHAN_BAD_NAME
};

const struct fxr_chan_info *fxr_chan_info(uint8_t type)
{
	uint8_t i = chan_index[type];
	return i ? &chan_infos[i - 1] : NULL;
}

const char *fxr_chan_type_name(uint8_t type)
{
	const struct fxr_chan_info *ci = fxr_chan_info(type);
	return ci ? ci->name : "UNKNOWN";
}

const char *fxr_chan_bad_text(enum fxr_chan_bad why)
{
	return (unsigned)why < FXR_CHAN_BAD_COUNT ? bad_texts[why] : "unknown reason";
}

const char *fxr_chan_bad_name(enum fxr_chan_bad why)
{
	return (unsigned)why < FXR_CHAN_BAD_COUNT ? bad_names[why] : "UNKNOWN";
}

const char *fxr_chan_close_name(uint16_t reason)
{
	switch (reason) {
#define FXR_CHAN_CLOSE_CASE(name, value, text)                                          \
	case value:                                                                     \
		return #name;
		FXR_CHAN_CLOSE_LIST(FXR_CHAN_CLOSE_CASE)
#undef FXR_CHAN_CLOSE_CASE
	}
	return "UNKNOWN";
}

const char *fxr_chan_conn_state_name(uint8_t state)
{
	switch (state) {
#define FXR_CHAN_STATE_CASE(name, value, text)                                           \
	case value:                                                                     \
		return #name;
		FXR_CHAN_STATE_LIST(FXR_CHAN_STATE_CASE)
#undef FXR_CHAN_STATE_CASE
	}
	return "UNKNOWN";
}

static bool close_reason_known(uint16_t reason)
{
	return strcmp(fxr_chan_close_name(reason), "UNKNOWN") != 0;
}

static bool conn_state_known(uint8_t state)
{
	return strcmp(fxr_chan_conn_state_name(state), "UNKNOWN") != 0;
}

long fxr_chan_msg_peek(const uint8_t *buf, size_t n, uint8_t *type)
{
	if (n < FXR_CHAN_HDR_LEN)
		return -EBADMSG;
	if (type)
		*type = buf[0];
	return (long)FXR_CHAN_HDR_LEN + (long)fxr_get_le32(buf + 4);
}

/* ---- shared checks ---- */

static enum fxr_chan_bad check_addr(const struct fxr_chan_addr *a)
{
	if (a->family == 4) {
		for (unsigned i = 4; i < sizeof(a->addr); i++)
			if (a->addr[i])
				return FXR_CHAN_BAD_ADDR;
		return FXR_CHAN_BAD_NONE;
	}
	return a->family == 6 ? FXR_CHAN_BAD_NONE : FXR_CHAN_BAD_ADDR;
}

/* The header's connid against the type: required and on the message's lcore, or absent. */
static enum fxr_chan_bad check_connid(const struct fxr_chan_info *ci, uint8_t lcore, uint64_t id)
{
	if (ci->connid == FXR_CHAN_NOCID)
		return id == FXR_CONNID_NONE ? FXR_CHAN_BAD_NONE : FXR_CHAN_BAD_CONNID;
	if (!fxr_connid_valid(id) || fxr_connid_lcore(id) != lcore)
		return FXR_CHAN_BAD_CONNID;
	return FXR_CHAN_BAD_NONE;
}

/* A carried FXR/1 frame must be exactly one frame: its header's length + 4 = our length. */
static enum fxr_chan_bad check_frame(const uint8_t *p, uint32_t len)
{
	if (len < FXR_FRAME_HDR_LEN || fxr_get_be16(p + 2) + FXR_FRAME_HDR_LEN != len)
		return FXR_CHAN_BAD_FRAME;
	return FXR_CHAN_BAD_NONE;
}

static enum fxr_chan_bad check_dev(const uint8_t *dev, uint8_t len, bool may_be_empty)
{
	if (len == 0)
		return may_be_empty ? FXR_CHAN_BAD_NONE : FXR_CHAN_BAD_DEVID;
	return fxr_devid_valid(dev, len) ? FXR_CHAN_BAD_NONE : FXR_CHAN_BAD_DEVID;
}

/* ---- decode ---- */

/* DUMP_ENTRY: where the byte totals start in the payload (after the sent_end block). */
#define DUMP_TOTALS_OFF (16u + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN + 4u)
_Static_assert(DUMP_TOTALS_OFF + FXR_CHAN_TOTALS_LEN == FXR_CHAN_DUMP_FIXED,
	       "the device id follows the totals");

/* BYTES: n matches the length, and every entry names a connection of the message's lane. */
static enum fxr_chan_bad decode_bytes(const uint8_t *p, uint32_t len, struct fxr_chan_msg *m)
{
	if (fxr_get_le16(p + 2))
		return FXR_CHAN_BAD_RESERVED;
	m->u.bytes.n = fxr_get_le16(p);
	m->u.bytes.packed = p + 4;
	m->u.bytes.entries = NULL;
	if (m->u.bytes.n == 0 || m->u.bytes.n > FXR_CHAN_BYTES_MAX ||
	    len != 4u + FXR_CHAN_BYTES_ENTRY * m->u.bytes.n)
		return FXR_CHAN_BAD_LENGTH;
	for (uint16_t i = 0; i < m->u.bytes.n; i++) {
		uint64_t id = fxr_get_le64(p + 4 + FXR_CHAN_BYTES_ENTRY * i);
		if (!fxr_connid_valid(id) || fxr_connid_lcore(id) != m->lcore)
			return FXR_CHAN_BAD_CONNID;
	}
	return FXR_CHAN_BAD_NONE;
}

static enum fxr_chan_bad decode_note(const uint8_t *p, struct fxr_chan_note *n)
{
	if (fxr_get_le16(p + 2))
		return FXR_CHAN_BAD_RESERVED;
	n->state = p[0];
	n->flags = p[1];
	n->call_id = fxr_get_le32(p + 4);
	n->req_id = fxr_get_le32(p + 8);
	return FXR_CHAN_BAD_NONE;
}

static enum fxr_chan_bad decode_addr(const uint8_t *p, struct fxr_chan_addr *a)
{
	if (p[1] != 0 || fxr_get_le16(p + 6) != 0)
		return FXR_CHAN_BAD_RESERVED;
	a->family = p[0];
	a->remote_port = fxr_get_le16(p + 2);
	a->local_port = fxr_get_le16(p + 4);
	memcpy(a->addr, p + 8, sizeof(a->addr));
	return check_addr(a);
}

static enum fxr_chan_bad decode_payload(const uint8_t *p, uint32_t len, struct fxr_chan_msg *m)
{
	enum fxr_chan_bad why;

	switch (m->type) {
	case FXR_CHAN_T_CONN_NEW:
		return decode_addr(p, &m->u.conn_new);
	case FXR_CHAN_T_FRAME:
	case FXR_CHAN_T_SEND_FRAME:
		m->u.frame.p = p;
		m->u.frame.len = len;
		return check_frame(p, len);
	case FXR_CHAN_T_CONN_CLOSED:
		if (fxr_get_le16(p + 2))
			return FXR_CHAN_BAD_RESERVED;
		m->u.closed.reason = fxr_get_le16(p);
		return close_reason_known(m->u.closed.reason) ? FXR_CHAN_BAD_NONE
							      : FXR_CHAN_BAD_VALUE;
	case FXR_CHAN_T_KEEPALIVE_EXPIRED:
	case FXR_CHAN_T_UNPAIR:
	case FXR_CHAN_T_END_RELAYED:
		return FXR_CHAN_BAD_NONE;
	case FXR_CHAN_T_NOTE:
		return decode_note(p, &m->u.note);
	case FXR_CHAN_T_BYTES:
		return decode_bytes(p, len, m);
	case FXR_CHAN_T_COUNTERS:
		if (fxr_get_le16(p + 2))
			return FXR_CHAN_BAD_RESERVED;
		m->u.counters.n = fxr_get_le16(p);
		m->u.counters.seq = fxr_get_le32(p + 4);
		m->u.counters.packed = p + 8;
		m->u.counters.values = NULL;
		if (m->u.counters.n > FXR_CHAN_COUNTERS_MAX || len != 8u + 8u * m->u.counters.n)
			return FXR_CHAN_BAD_LENGTH;
		return FXR_CHAN_BAD_NONE;
	case FXR_CHAN_T_DUMP_ENTRY:
		m->u.dump.peer = fxr_get_le64(p);
		m->u.dump.state = p[8];
		m->u.dump.dev_len = p[9];
		m->u.dump.keepalive_s = fxr_get_le16(p + 10);
		m->u.dump.idle_s = fxr_get_le16(p + 12);
		if (fxr_get_le16(p + 14))
			return FXR_CHAN_BAD_RESERVED;
		why = decode_addr(p + 16, &m->u.dump.addr);
		if (why != FXR_CHAN_BAD_NONE)
			return why;
		why = decode_note(p + 16 + FXR_CHAN_ADDR_LEN, &m->u.dump.note);
		if (why != FXR_CHAN_BAD_NONE)
			return why;
		m->u.dump.sent_end = p[16 + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN];
		if (p[16 + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN + 1] ||
		    fxr_get_le16(p + 16 + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN + 2))
			return FXR_CHAN_BAD_RESERVED;
		if (m->u.dump.sent_end > 1)
			return FXR_CHAN_BAD_VALUE;
		m->u.dump.totals.in = fxr_get_le64(p + DUMP_TOTALS_OFF);
		m->u.dump.totals.out = fxr_get_le64(p + DUMP_TOTALS_OFF + 8);
		m->u.dump.dev = p + FXR_CHAN_DUMP_FIXED;
		if (FXR_CHAN_DUMP_FIXED + m->u.dump.dev_len != len)
			return FXR_CHAN_BAD_DEVID;
		why = check_dev(m->u.dump.dev, m->u.dump.dev_len, true);
		if (why != FXR_CHAN_BAD_NONE)
			return why;
		return conn_state_known(m->u.dump.state) ? FXR_CHAN_BAD_NONE : FXR_CHAN_BAD_VALUE;
	case FXR_CHAN_T_DUMP_END:
		m->u.dump_end.dump_id = fxr_get_le32(p);
		m->u.dump_end.entries = fxr_get_le32(p + 4);
		return FXR_CHAN_BAD_NONE;
	case FXR_CHAN_T_LOGIN:
		m->u.login.keepalive_s = fxr_get_le16(p);
		m->u.login.idle_s = fxr_get_le16(p + 2);
		m->u.login.dev_len = p[4];
		m->u.login.dev = p + FXR_CHAN_LOGIN_FIXED;
		if (FXR_CHAN_LOGIN_FIXED + m->u.login.dev_len != len)
			return FXR_CHAN_BAD_DEVID;
		return check_dev(m->u.login.dev, m->u.login.dev_len, false);
	case FXR_CHAN_T_PAIR:
		m->u.pair.peer = fxr_get_le64(p);
		/* the peer may be another lcore's: the dataplane's lcores then relay through
		 * the rings between them (dataplane/relay_xl.c) */
		if (!fxr_connid_valid(m->u.pair.peer) || m->u.pair.peer == m->connid)
			return FXR_CHAN_BAD_VALUE;
		return FXR_CHAN_BAD_NONE;
	case FXR_CHAN_T_CLOSE:
		if (fxr_get_le16(p + 2))
			return FXR_CHAN_BAD_RESERVED;
		m->u.close.code = fxr_get_le16(p);
		return FXR_CHAN_BAD_NONE;
	case FXR_CHAN_T_DUMP_REQUEST:
		m->u.dump_req.dump_id = fxr_get_le32(p);
		return FXR_CHAN_BAD_NONE;
	case FXR_CHAN_T_TRUNK_OPEN:
		m->u.trunk.req_id = fxr_get_le32(p);
		return decode_addr(p + 4, &m->u.trunk.addr);
	}
	return FXR_CHAN_BAD_UNKNOWN_TYPE; /* not reached: the type was looked up */
}

int fxr_chan_msg_decode(const uint8_t *buf, size_t n, struct fxr_chan_msg *m,
			enum fxr_chan_bad *why)
{
	enum fxr_chan_bad w = FXR_CHAN_BAD_NONE;
	uint32_t len = 0;

	if (fxr_unlikely(n < FXR_CHAN_HDR_LEN)) {
		w = FXR_CHAN_BAD_SHORT;
		goto bad;
	}
	len = fxr_get_le32(buf + 4);
	if (fxr_unlikely(len > n - FXR_CHAN_HDR_LEN)) {
		w = FXR_CHAN_BAD_SHORT;
		goto bad;
	}
	const struct fxr_chan_info *ci = fxr_chan_info(buf[0]);
	if (fxr_unlikely(ci == NULL)) {
		w = FXR_CHAN_BAD_UNKNOWN_TYPE;
		goto bad;
	}
	if (fxr_unlikely(fxr_get_le16(buf + 2) != 0)) {
		w = FXR_CHAN_BAD_RESERVED;
		goto bad;
	}
	if (fxr_unlikely(len < ci->min_len || len > ci->max_len)) {
		w = FXR_CHAN_BAD_LENGTH;
		goto bad;
	}
	memset(m, 0, sizeof(*m));
	m->type = buf[0];
	m->lcore = buf[1];
	m->connid = fxr_get_le64(buf + 8);
	w = check_connid(ci, m->lcore, m->connid);
	if (fxr_unlikely(w != FXR_CHAN_BAD_NONE))
		goto bad;
	w = decode_payload(buf + FXR_CHAN_HDR_LEN, len, m);
	if (fxr_unlikely(w != FXR_CHAN_BAD_NONE))
		goto bad;
	if (why)
		*why = FXR_CHAN_BAD_NONE;
	return (int)(FXR_CHAN_HDR_LEN + len);
bad:
	if (why)
		*why = w;
	return -EBADMSG;
}

/* ---- encode ---- */

/* Payload length of m after every check the decoder makes, or -EINVAL. */
static long payload_len(const struct fxr_chan_msg *m)
{
	const struct fxr_chan_info *ci = fxr_chan_info(m->type);
	long len;

	if (ci == NULL || check_connid(ci, m->lcore, m->connid) != FXR_CHAN_BAD_NONE)
		return -EINVAL;
	switch (m->type) {
	case FXR_CHAN_T_CONN_NEW:
		if (check_addr(&m->u.conn_new) != FXR_CHAN_BAD_NONE)
			return -EINVAL;
		len = FXR_CHAN_ADDR_LEN;
		break;
	case FXR_CHAN_T_FRAME:
	case FXR_CHAN_T_SEND_FRAME:
		if (m->u.frame.len > ci->max_len || (m->u.frame.len && m->u.frame.p == NULL) ||
		    check_frame(m->u.frame.p, m->u.frame.len) != FXR_CHAN_BAD_NONE)
			return -EINVAL;
		len = m->u.frame.len;
		break;
	case FXR_CHAN_T_CONN_CLOSED:
		if (!close_reason_known(m->u.closed.reason))
			return -EINVAL;
		len = 4;
		break;
	case FXR_CHAN_T_COUNTERS:
		if (m->u.counters.n > FXR_CHAN_COUNTERS_MAX ||
		    (m->u.counters.n && m->u.counters.values == NULL))
			return -EINVAL;
		len = 8 + 8 * (long)m->u.counters.n;
		break;
	case FXR_CHAN_T_DUMP_ENTRY:
		if (!conn_state_known(m->u.dump.state) || m->u.dump.sent_end > 1 ||
		    check_dev(m->u.dump.dev, m->u.dump.dev_len, true) != FXR_CHAN_BAD_NONE ||
		    check_addr(&m->u.dump.addr) != FXR_CHAN_BAD_NONE)
			return -EINVAL;
		len = FXR_CHAN_DUMP_FIXED + (long)m->u.dump.dev_len;
		break;
	case FXR_CHAN_T_BYTES:
		if (m->u.bytes.n == 0 || m->u.bytes.n > FXR_CHAN_BYTES_MAX ||
		    m->u.bytes.entries == NULL)
			return -EINVAL;
		for (uint16_t i = 0; i < m->u.bytes.n; i++)
			if (!fxr_connid_valid(m->u.bytes.entries[i].connid) ||
			    fxr_connid_lcore(m->u.bytes.entries[i].connid) != m->lcore)
				return -EINVAL;
		len = 4 + (long)FXR_CHAN_BYTES_ENTRY * m->u.bytes.n;
		break;
	case FXR_CHAN_T_LOGIN:
		if (check_dev(m->u.login.dev, m->u.login.dev_len, false) != FXR_CHAN_BAD_NONE)
			return -EINVAL;
		len = FXR_CHAN_LOGIN_FIXED + (long)m->u.login.dev_len;
		break;
	case FXR_CHAN_T_PAIR:
		if (!fxr_connid_valid(m->u.pair.peer) || m->u.pair.peer == m->connid)
			return -EINVAL;
		len = 8;
		break;
	case FXR_CHAN_T_TRUNK_OPEN:
		if (check_addr(&m->u.trunk.addr) != FXR_CHAN_BAD_NONE)
			return -EINVAL;
		len = 4 + FXR_CHAN_ADDR_LEN;
		break;
	default: /* fixed layouts without variable parts */
		len = ci->min_len;
		break;
	}
	FXR_BUG_ON(len < (long)ci->min_len || len > (long)ci->max_len);
	return len;
}

int fxr_chan_msg_len(const struct fxr_chan_msg *m)
{
	long len = payload_len(m);
	return len < 0 ? (int)len : (int)(FXR_CHAN_HDR_LEN + len);
}

static void encode_note(uint8_t *p, const struct fxr_chan_note *n)
{
	p[0] = n->state;
	p[1] = n->flags;
	fxr_put_le16(p + 2, 0);
	fxr_put_le32(p + 4, n->call_id);
	fxr_put_le32(p + 8, n->req_id);
}

static void encode_addr(uint8_t *p, const struct fxr_chan_addr *a)
{
	p[0] = a->family;
	p[1] = 0;
	fxr_put_le16(p + 2, a->remote_port);
	fxr_put_le16(p + 4, a->local_port);
	fxr_put_le16(p + 6, 0);
	memcpy(p + 8, a->addr, sizeof(a->addr));
}

int fxr_chan_msg_encode(const struct fxr_chan_msg *m, uint8_t *buf, size_t cap)
{
	long len = payload_len(m);
	if (len < 0)
		return (int)len;
	if ((size_t)len + FXR_CHAN_HDR_LEN > cap)
		return -ENOSPC;

	buf[0] = m->type;
	buf[1] = m->lcore;
	fxr_put_le16(buf + 2, 0);
	fxr_put_le32(buf + 4, (uint32_t)len);
	fxr_put_le64(buf + 8, m->connid);
	uint8_t *p = buf + FXR_CHAN_HDR_LEN;

	switch (m->type) {
	case FXR_CHAN_T_CONN_NEW:
		encode_addr(p, &m->u.conn_new);
		break;
	case FXR_CHAN_T_FRAME:
	case FXR_CHAN_T_SEND_FRAME:
		memcpy(p, m->u.frame.p, m->u.frame.len);
		break;
	case FXR_CHAN_T_CONN_CLOSED:
		fxr_put_le16(p, m->u.closed.reason);
		fxr_put_le16(p + 2, 0);
		break;
	case FXR_CHAN_T_KEEPALIVE_EXPIRED:
	case FXR_CHAN_T_UNPAIR:
	case FXR_CHAN_T_END_RELAYED:
		break;
	case FXR_CHAN_T_NOTE:
		encode_note(p, &m->u.note);
		break;
	case FXR_CHAN_T_BYTES:
		fxr_put_le16(p, m->u.bytes.n);
		fxr_put_le16(p + 2, 0);
		for (uint16_t i = 0; i < m->u.bytes.n; i++) {
			const struct fxr_chan_bytes_entry *e = &m->u.bytes.entries[i];
			uint8_t *q = p + 4 + FXR_CHAN_BYTES_ENTRY * i;
			fxr_put_le64(q, e->connid);
			fxr_put_le64(q + 8, e->t.in);
			fxr_put_le64(q + 16, e->t.out);
		}
		break;
	case FXR_CHAN_T_COUNTERS:
		fxr_put_le16(p, m->u.counters.n);
		fxr_put_le16(p + 2, 0);
		fxr_put_le32(p + 4, m->u.counters.seq);
		for (uint16_t i = 0; i < m->u.counters.n; i++)
			fxr_put_le64(p + 8 + 8u * i, m->u.counters.values[i]);
		break;
	case FXR_CHAN_T_DUMP_ENTRY:
		fxr_put_le64(p, m->u.dump.peer);
		p[8] = m->u.dump.state;
		p[9] = m->u.dump.dev_len;
		fxr_put_le16(p + 10, m->u.dump.keepalive_s);
		fxr_put_le16(p + 12, m->u.dump.idle_s);
		fxr_put_le16(p + 14, 0);
		encode_addr(p + 16, &m->u.dump.addr);
		encode_note(p + 16 + FXR_CHAN_ADDR_LEN, &m->u.dump.note);
		p[16 + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN] = m->u.dump.sent_end;
		p[16 + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN + 1] = 0;
		fxr_put_le16(p + 16 + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN + 2, 0);
		fxr_put_le64(p + DUMP_TOTALS_OFF, m->u.dump.totals.in);
		fxr_put_le64(p + DUMP_TOTALS_OFF + 8, m->u.dump.totals.out);
		if (m->u.dump.dev_len)
			memcpy(p + FXR_CHAN_DUMP_FIXED, m->u.dump.dev, m->u.dump.dev_len);
		break;
	case FXR_CHAN_T_DUMP_END:
		fxr_put_le32(p, m->u.dump_end.dump_id);
		fxr_put_le32(p + 4, m->u.dump_end.entries);
		break;
	case FXR_CHAN_T_LOGIN:
		fxr_put_le16(p, m->u.login.keepalive_s);
		fxr_put_le16(p + 2, m->u.login.idle_s);
		p[4] = m->u.login.dev_len;
		memcpy(p + FXR_CHAN_LOGIN_FIXED, m->u.login.dev, m->u.login.dev_len);
		break;
	case FXR_CHAN_T_PAIR:
		fxr_put_le64(p, m->u.pair.peer);
		break;
	case FXR_CHAN_T_CLOSE:
		fxr_put_le16(p, m->u.close.code);
		fxr_put_le16(p + 2, 0);
		break;
	case FXR_CHAN_T_DUMP_REQUEST:
		fxr_put_le32(p, m->u.dump_req.dump_id);
		break;
	case FXR_CHAN_T_TRUNK_OPEN:
		fxr_put_le32(p, m->u.trunk.req_id);
		encode_addr(p + 4, &m->u.trunk.addr);
		break;
	}
	return (int)(FXR_CHAN_HDR_LEN + len);
}
