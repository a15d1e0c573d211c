/* FXR/1 frame codec (DESIGN.md §2). Every read is bounded by the length the caller gave and
 * by the header's own length; nothing is allocated. */
#include <errno.h>
#include <string.h>

#include "fxr/compiler.h"
#include "fxr/devid.h"
#include "fxr/frame.h"

static const struct fxr_frame_info frame_infos[] = {
#define FXR_FRAME_INFO(tname, value, d, lo, hi)                                        \
	{ .name = #tname, .type = value, .dir = d, .min_len = lo, .max_len = hi },
	FXR_FRAME_TYPE_LIST(FXR_FRAME_INFO)
#undef FXR_FRAME_INFO
};

enum frame_pos {
#define FXR_FRAME_POS(name, value, d, lo, hi) POS_##name,
	FXR_FRAME_TYPE_LIST(FXR_FRAME_POS)
#undef FXR_FRAME_POS
};

/* type byte -> position in frame_infos + 1; 0 for a byte that is no frame type. */
static const uint8_t frame_index[256] = {
#define FXR_FRAME_INDEX(name, value, d, lo, hi) [value] = POS_##name + 1,
	FXR_FRAME_TYPE_LIST(FXR_FRAME_INDEX)
#undef FXR_FRAME_INDEX
};

static const char *const malformed_texts[FXR_MALFORMED_COUNT] = {
#define FXR_MALFORMED_TEXT(name, text) [FXR_MALFORMED_##name] = text,
	FXR_MALFORMED_LIST(FXR_MALFORMED_TEXT)
#undef FXR_MALFORMED_TEXT
};

static const char *const malformed_names[FXR_MALFORMED_COUNT] = {
#define FXR_MALFORMED_NAME(name, text) [FXR_MALFORMED_##name] = #name,
	FXR_MALFORMED_LIST(FXR_MALFORMED_NAME)
#undef FXR_MALFORMED_NAME
};

const struct fxr_frame_info *fxr_frame_info(uint8_t type)
{
	uint8_t i = frame_index[type];
	return i ? &frame_infos[i - 1] : NULL;
}

const char *fxr_frame_type_name(uint8_t type)
{
	const struct fxr_frame_info *fi = fxr_frame_info(type);
	return fi ? fi->name : "UNKNOWN";
}

const char *fxr_malformed_text(enum fxr_malformed why)
{
	return (unsigned)why < FXR_MALFORMED_COUNT ? malformed_texts[why] : "unknown reason";
}

const char *fxr_malformed_name(enum fxr_malformed why)
{
	return (unsigned)why < FXR_MALFORMED_COUNT ? malformed_names[why] : "UNKNOWN";
}

enum fxr_malformed fxr_frame_hdr_check(uint8_t type, uint8_t flags, uint16_t len)
{
	const struct fxr_frame_info *fi = fxr_frame_info(type);
	if (fxr_unlikely(fi == NULL))
		return FXR_MALFORMED_UNKNOWN_TYPE;
	if (fxr_unlikely(flags & FXR_FLAG_RESERVED))
		return FXR_MALFORMED_RESERVED_FLAGS;
	if (fxr_unlikely((flags & FXR_FLAG_MORE) && type != FXR_T_LIST_RESULT))
		return FXR_MALFORMED_RESERVED_FLAGS;
	if (fxr_unlikely(len < fi->min_len || len > fi->max_len))
		return FXR_MALFORMED_LENGTH;
	return FXR_MALFORMED_NONE;
}

/* ---- decode ---- */

/* A str (u8 length + bytes) holding a device id that must end the payload exactly. */
static enum fxr_malformed decode_tail_id(const uint8_t *p, uint16_t len, uint16_t off,
					 const uint8_t **id, uint8_t *id_len)
{
	uint8_t l = p[off];
	if ((uint32_t)off + 1 + l > len)
		return FXR_MALFORMED_STR_OVERRUN;
	if ((uint32_t)off + 1 + l < len)
		return FXR_MALFORMED_TRAILING;
	if (!fxr_devid_valid(p + off + 1, l))
		return FXR_MALFORMED_BAD_ID;
	*id = p + off + 1;
	*id_len = l;
	return FXR_MALFORMED_NONE;
}

static enum fxr_malformed decode_list_result(const uint8_t *p, uint16_t len, struct fxr_msg *m)
{
	m->u.list.req_id = fxr_get_be32(p);
	m->u.list.n = fxr_get_be16(p + 4);
	m->u.list.packed.p = p + 6;
	m->u.list.packed.len = (uint16_t)(len - 6);
	m->u.list.entries = NULL;

	uint32_t off = 6;
	for (uint32_t i = 0; i < m->u.list.n; i++) {
		if (off >= len)
			return FXR_MALFORMED_ENTRY_COUNT;
		uint8_t l = p[off];
		if (off + 1 + l + 1 > len)
			return FXR_MALFORMED_STR_OVERRUN;
		if (!fxr_devid_valid(p + off + 1, l))
			return FXR_MALFORMED_BAD_ID;
		uint8_t st = p[off + 1 + l];
		if (st != FXR_LIST_IDLE && st != FXR_LIST_BUSY)
			return FXR_MALFORMED_ENTRY_STATE;
		off += 2u + l;
	}
	return off == len ? FXR_MALFORMED_NONE : FXR_MALFORMED_TRAILING;
}

static enum fxr_malformed decode_payload(const uint8_t *p, uint16_t len, struct fxr_msg *m)
{
	switch (m->type) {
	case FXR_T_AUTH_START:
	case FXR_T_AUTH_CHALLENGE:
	case FXR_T_AUTH_PROOF:
		m->u.auth.p = p;
		m->u.auth.len = len;
		return FXR_MALFORMED_NONE;
	case FXR_T_AUTH_OK:
		m->u.auth_ok.keepalive_s = fxr_get_be16(p);
		m->u.auth_ok.idle_timeout_s = fxr_get_be16(p + 2);
		m->u.auth_ok.server_final.p = p + 4;
		m->u.auth_ok.server_final.len = (uint16_t)(len - 4);
		return FXR_MALFORMED_NONE;
	case FXR_T_AUTH_FAIL:
	case FXR_T_BYE:
	case FXR_T_ERROR:
		m->u.status.code = fxr_get_be16(p);
		m->u.status.text.p = p + 2;
		m->u.status.text.len = (uint16_t)(len - 2);
		return FXR_MALFORMED_NONE;
	case FXR_T_KEEPALIVE:
	case FXR_T_KEEPALIVE_ACK:
	case FXR_T_DATA:
		m->u.opaque.p = p;
		m->u.opaque.len = len;
		return FXR_MALFORMED_NONE;
	case FXR_T_CONNECT:
	case FXR_T_INCOMING:
	case FXR_T_CONNECTED:
		m->u.call.id = fxr_get_be32(p);
		return decode_tail_id(p, len, 4, &m->u.call.dev, &m->u.call.dev_len);
	case FXR_T_ACCEPT:
	case FXR_T_LIST:
		m->u.ref.id = fxr_get_be32(p);
		return FXR_MALFORMED_NONE;
	case FXR_T_REJECT:
	case FXR_T_CONNECT_FAIL:
	case FXR_T_CANCEL:
		m->u.result.id = fxr_get_be32(p);
		m->u.result.code = fxr_get_be16(p + 4);
		return FXR_MALFORMED_NONE;
	case FXR_T_END:
		m->u.end.reason = fxr_get_be16(p);
		return FXR_MALFORMED_NONE;
	case FXR_T_RELEASE:
	case FXR_T_RELEASED:
	case FXR_T_LOGOUT:
		return FXR_MALFORMED_NONE;
	case FXR_T_LIST_RESULT:
		return decode_list_result(p, len, m);
	default:
		/* fxr_frame_hdr_check() admitted only listed types */
		FXR_BUG_ON(1);
		return FXR_MALFORMED_UNKNOWN_TYPE;
	}
}

int fxr_frame_decode(const uint8_t *buf, size_t n, struct fxr_msg *m, enum fxr_malformed *why)
{
	enum fxr_malformed w = FXR_MALFORMED_NONE;

	if (n < 1)
		return 0;
	/* Judge what we have so far, so a bad type fails before its length arrives. */
	if (fxr_frame_info(buf[0]) == NULL) {
		w = FXR_MALFORMED_UNKNOWN_TYPE;
		goto bad;
	}
	if (n < FXR_FRAME_HDR_LEN)
		return 0;

	uint16_t len = fxr_get_be16(buf + 2);
	w = fxr_frame_hdr_check(buf[0], buf[1], len);
	if (w != FXR_MALFORMED_NONE)
		goto bad;
	if (n < FXR_FRAME_HDR_LEN + (size_t)len)
		return 0;

	memset(m, 0, sizeof(*m));
	m->type = buf[0];
	m->flags = buf[1];
	w = decode_payload(buf + FXR_FRAME_HDR_LEN, len, m);
	if (w != FXR_MALFORMED_NONE)
		goto bad;
	if (why)
		*why = FXR_MALFORMED_NONE;
	return (int)(FXR_FRAME_HDR_LEN + len);
bad:
	if (why)
		*why = w;
	return -EBADMSG;
}

/* ---- encode ---- */

static bool list_entry_ok(const struct fxr_list_entry *e)
{
	return fxr_devid_valid(e->id, e->id_len) &&
	       (e->state == FXR_LIST_IDLE || e->state == FXR_LIST_BUSY);
}

uint16_t fxr_list_result_fit(const struct fxr_list_entry *entries, uint16_t n)
{
	uint32_t len = 6;
	uint16_t i;
	for (i = 0; i < n; i++) {
		uint32_t add = 2u + entries[i].id_len;
		if (len + add > FXR_FRAME_MAX_PAYLOAD)
			break;
		len += add;
	}
	return i;
}

/* Payload length m encodes to, or -EINVAL when a field is invalid. */
static int32_t encoded_payload_len(const struct fxr_msg *m)
{
	switch (m->type) {
	case FXR_T_AUTH_START:
	case FXR_T_AUTH_CHALLENGE:
	case FXR_T_AUTH_PROOF:
		return m->u.auth.len;
	case FXR_T_AUTH_OK:
		return 4 + m->u.auth_ok.server_final.len;
	case FXR_T_AUTH_FAIL:
	case FXR_T_BYE:
	case FXR_T_ERROR:
		return 2 + m->u.status.text.len;
	case FXR_T_KEEPALIVE:
	case FXR_T_KEEPALIVE_ACK:
	case FXR_T_DATA:
		return m->u.opaque.len;
	case FXR_T_CONNECT:
	case FXR_T_INCOMING:
	case FXR_T_CONNECTED:
		if (!fxr_devid_valid(m->u.call.dev, m->u.call.dev_len))
			return -EINVAL;
		return 5 + m->u.call.dev_len;
	case FXR_T_ACCEPT:
	case FXR_T_LIST:
		return 4;
	case FXR_T_REJECT:
	case FXR_T_CONNECT_FAIL:
	case FXR_T_CANCEL:
		return 6;
	case FXR_T_END:
		return 2;
	case FXR_T_RELEASE:
	case FXR_T_RELEASED:
	case FXR_T_LOGOUT:
		return 0;
	case FXR_T_LIST_RESULT: {
		if (m->u.list.n && m->u.list.entries == NULL)
			return -EINVAL;
		int32_t len = 6;
		for (uint16_t i = 0; i < m->u.list.n; i++) {
			if (!list_entry_ok(&m->u.list.entries[i]))
				return -EINVAL;
			len += 2 + m->u.list.entries[i].id_len;
			if (len > (int32_t)FXR_FRAME_MAX_PAYLOAD)
				return -EINVAL;
		}
		return len;
	}
	default:
		return -EINVAL;
	}
}

static uint8_t *put_bytes(uint8_t *d, const uint8_t *s, size_t n)
{
	if (n)
		memcpy(d, s, n);
	return d + n;
}

int fxr_frame_encode(const struct fxr_msg *m, uint8_t *buf, size_t cap)
{
	int32_t len = encoded_payload_len(m);
	if (len < 0)
		return -EINVAL;
	if (len > (int32_t)FXR_FRAME_MAX_PAYLOAD ||
	    fxr_frame_hdr_check(m->type, m->flags, (uint16_t)len) != FXR_MALFORMED_NONE)
		return -EINVAL;
	if (cap < FXR_FRAME_HDR_LEN + (size_t)len)
		return -ENOSPC;

	fxr_frame_hdr_put(buf, m->type, m->flags, (uint16_t)len);
	uint8_t *p = buf + FXR_FRAME_HDR_LEN;
	switch (m->type) {
	case FXR_T_AUTH_START:
	case FXR_T_AUTH_CHALLENGE:
	case FXR_T_AUTH_PROOF:
		put_bytes(p, m->u.auth.p, m->u.auth.len);
		break;
	case FXR_T_AUTH_OK:
		fxr_put_be16(p, m->u.auth_ok.keepalive_s);
		fxr_put_be16(p + 2, m->u.auth_ok.idle_timeout_s);
		put_bytes(p + 4, m->u.auth_ok.server_final.p, m->u.auth_ok.server_final.len);
		break;
	case FXR_T_AUTH_FAIL:
	case FXR_T_BYE:
	case FXR_T_ERROR:
		fxr_put_be16(p, m->u.status.code);
		put_bytes(p + 2, m->u.status.text.p, m->u.status.text.len);
		break;
	case FXR_T_KEEPALIVE:
	case FXR_T_KEEPALIVE_ACK:
	case FXR_T_DATA:
		put_bytes(p, m->u.opaque.p, m->u.opaque.len);
		break;
	case FXR_T_CONNECT:
	case FXR_T_INCOMING:
	case FXR_T_CONNECTED:
		fxr_put_be32(p, m->u.call.id);
		p[4] = m->u.call.dev_len;
		put_bytes(p + 5, m->u.call.dev, m->u.call.dev_len);
		break;
	case FXR_T_ACCEPT:
	case FXR_T_LIST:
		fxr_put_be32(p, m->u.ref.id);
		break;
	case FXR_T_REJECT:
	case FXR_T_CONNECT_FAIL:
	case FXR_T_CANCEL:
		fxr_put_be32(p, m->u.result.id);
		fxr_put_be16(p + 4, m->u.result.code);
		break;
	case FXR_T_END:
		fxr_put_be16(p, m->u.end.reason);
		break;
	case FXR_T_LIST_RESULT:
		fxr_put_be32(p, m->u.list.req_id);
		fxr_put_be16(p + 4, m->u.list.n);
		p += 6;
		for (uint16_t i = 0; i < m->u.list.n; i++) {
			const struct fxr_list_entry *e = &m->u.list.entries[i];
			*p++ = e->id_len;
			p = put_bytes(p, e->id, e->id_len);
			*p++ = e->state;
		}
		break;
	default: /* RELEASE, RELEASED, LOGOUT: empty */
		break;
	}
	return (int)(FXR_FRAME_HDR_LEN + (uint32_t)len);
}

bool fxr_list_next(struct fxr_list_iter *it, struct fxr_list_entry *e)
{
	if (it->p >= it->end)
		return false;
	/* fxr_frame_decode() proved the packing, so these reads stay inside the payload. */
	e->id_len = it->p[0];
	e->id = it->p + 1;
	e->state = it->p[1 + e->id_len];
	it->p += 2u + e->id_len;
	return true;
}
