/* FXR/1 codec: every type encodes to and decodes from hand-written bytes; every malformed
 * variant is rejected with its reason; decoding never reads past the buffer (the sanitizer
 * build runs these on exact-size heap copies). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fxr/devid.h"
#include "fxr/frame.h"
#include "vectors.h"

/* Decodes from an exact-size heap copy, so an over-read is an ASan error. */
static int decode_exact(const uint8_t *wire, size_t n, struct fxr_msg *m, enum fxr_malformed *why)
{
	uint8_t *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	if (n)
		memcpy(copy, wire, n);
	int rc = fxr_frame_decode(copy, n, m, why);
	/* Views must point into the copy; rebase them onto wire before freeing. */
	if (rc > 0) {
		ptrdiff_t shift = wire - copy;
		switch (m->type) {
		case FXR_T_AUTH_START: case FXR_T_AUTH_CHALLENGE: case FXR_T_AUTH_PROOF:
			m->u.auth.p += shift; break;
		case FXR_T_AUTH_OK: m->u.auth_ok.server_final.p += shift; break;
		case FXR_T_AUTH_FAIL: case FXR_T_BYE: case FXR_T_ERROR:
			m->u.status.text.p += shift; break;
		case FXR_T_KEEPALIVE: case FXR_T_KEEPALIVE_ACK: case FXR_T_DATA:
			m->u.opaque.p += shift; break;
		case FXR_T_CONNECT: case FXR_T_INCOMING: case FXR_T_CONNECTED:
			m->u.call.dev += shift; break;
		case FXR_T_LIST_RESULT: m->u.list.packed.p += shift; break;
		default: break;
		}
	}
	free(copy);
	return rc;
}

static void assert_bytes(struct fxr_bytes got, const uint8_t *p, uint16_t len)
{
	assert_int_equal(got.len, len);
	if (len)
		assert_memory_equal(got.p, p, len);
}

/* Field-by-field comparison of a decoded message with the vector's. */
static void assert_msg_equal(const struct fxr_msg *got, const struct fxr_msg *want)
{
	assert_int_equal(got->type, want->type);
	assert_int_equal(got->flags, want->flags);
	switch (want->type) {
	case FXR_T_AUTH_START: case FXR_T_AUTH_CHALLENGE: case FXR_T_AUTH_PROOF:
		assert_bytes(got->u.auth, want->u.auth.p, want->u.auth.len);
		break;
	case FXR_T_AUTH_OK:
		assert_int_equal(got->u.auth_ok.keepalive_s, want->u.auth_ok.keepalive_s);
		assert_int_equal(got->u.auth_ok.idle_timeout_s, want->u.auth_ok.idle_timeout_s);
		assert_bytes(got->u.auth_ok.server_final, want->u.auth_ok.server_final.p,
			     want->u.auth_ok.server_final.len);
		break;
	case FXR_T_AUTH_FAIL: case FXR_T_BYE: case FXR_T_ERROR:
		assert_int_equal(got->u.status.code, want->u.status.code);
		assert_bytes(got->u.status.text, want->u.status.text.p, want->u.status.text.len);
		break;
	case FXR_T_KEEPALIVE: case FXR_T_KEEPALIVE_ACK: case FXR_T_DATA:
		assert_bytes(got->u.opaque, want->u.opaque.p, want->u.opaque.len);
		break;
	case FXR_T_CONNECT: case FXR_T_INCOMING: case FXR_T_CONNECTED:
		assert_int_equal(got->u.call.id, want->u.call.id);
		assert_int_equal(got->u.call.dev_len, want->u.call.dev_len);
		assert_memory_equal(got->u.call.dev, want->u.call.dev, want->u.call.dev_len);
		break;
	case FXR_T_ACCEPT: case FXR_T_LIST:
		assert_int_equal(got->u.ref.id, want->u.ref.id);
		break;
	case FXR_T_REJECT: case FXR_T_CONNECT_FAIL: case FXR_T_CANCEL:
		assert_int_equal(got->u.result.id, want->u.result.id);
		assert_int_equal(got->u.result.code, want->u.result.code);
		break;
	case FXR_T_END:
		assert_int_equal(got->u.end.reason, want->u.end.reason);
		break;
	case FXR_T_LIST_RESULT: {
		assert_int_equal(got->u.list.req_id, want->u.list.req_id);
		assert_int_equal(got->u.list.n, want->u.list.n);
		struct fxr_list_iter it;
		struct fxr_list_entry e;
		uint16_t i = 0;
		fxr_list_iter_init(&it, got);
		while (fxr_list_next(&it, &e)) {
			assert_true(i < want->u.list.n);
			const struct fxr_list_entry *w = &want->u.list.entries[i++];
			assert_int_equal(e.id_len, w->id_len);
			assert_memory_equal(e.id, w->id, w->id_len);
			assert_int_equal(e.state, w->state);
		}
		assert_int_equal(i, want->u.list.n);
		break;
	}
	default:
		break;
	}
}

static void test_every_type_has_a_vector(void **state)
{
	(void)state;
	unsigned types = 0;
	for (unsigned t = 0; t < 256; t++) {
		if (!fxr_frame_info((uint8_t)t))
			continue;
		types++;
		size_t found = 0;
		for (size_t i = 0; i < test_vectors_count; i++)
			found += test_vectors[i].msg.type == t;
		assert_int_equal(found, 1);
	}
	assert_int_equal(types, 23);
	assert_int_equal(test_vectors_count, 23);
}

static void test_encode_matches_wire(void **state)
{
	(void)state;
	uint8_t buf[FXR_FRAME_MAX_LEN];
	for (size_t i = 0; i < test_vectors_count; i++) {
		const struct test_vector *v = &test_vectors[i];
		int n = fxr_frame_encode(&v->msg, buf, sizeof(buf));
		assert_int_equal(n, (int)v->wire_len);
		assert_memory_equal(buf, v->wire, v->wire_len);
		/* exactly enough room works, one byte less does not */
		assert_int_equal(fxr_frame_encode(&v->msg, buf, v->wire_len), (int)v->wire_len);
		assert_int_equal(fxr_frame_encode(&v->msg, buf, v->wire_len - 1), -ENOSPC);
	}
}

static void test_decode_matches_msg(void **state)
{
	(void)state;
	for (size_t i = 0; i < test_vectors_count; i++) {
		const struct test_vector *v = &test_vectors[i];
		struct fxr_msg m;
		enum fxr_malformed why = FXR_MALFORMED_COUNT;
		assert_int_equal(decode_exact(v->wire, v->wire_len, &m, &why), (int)v->wire_len);
		assert_int_equal(why, FXR_MALFORMED_NONE);
		assert_msg_equal(&m, &v->msg);
	}
}

static void test_decode_stops_at_frame_end(void **state)
{
	(void)state;
	uint8_t buf[256];
	for (size_t i = 0; i < test_vectors_count; i++) {
		const struct test_vector *v = &test_vectors[i];
		memcpy(buf, v->wire, v->wire_len);
		memset(buf + v->wire_len, 0xAA, 8); /* whatever follows is not ours */
		struct fxr_msg m;
		assert_int_equal(fxr_frame_decode(buf, v->wire_len + 8, &m, NULL), (int)v->wire_len);
	}
}

static void test_truncated_needs_more(void **state)
{
	(void)state;
	for (size_t i = 0; i < test_vectors_count; i++) {
		const struct test_vector *v = &test_vectors[i];
		for (size_t k = 0; k < v->wire_len; k++) {
			struct fxr_msg m;
			assert_int_equal(decode_exact(v->wire, k, &m, NULL), 0);
		}
	}
}

static void expect_malformed(const uint8_t *wire, size_t n, enum fxr_malformed want)
{
	struct fxr_msg m;
	enum fxr_malformed why = FXR_MALFORMED_NONE;
	assert_int_equal(decode_exact(wire, n, &m, &why), -EBADMSG);
	assert_int_equal(why, want);
}

static void test_unknown_types(void **state)
{
	(void)state;
	unsigned unknown = 0;
	for (unsigned t = 0; t < 256; t++) {
		if (fxr_frame_info((uint8_t)t))
			continue;
		unknown++;
		uint8_t hdr[4] = { (uint8_t)t, 0, 0, 0 };
		expect_malformed(hdr, 4, FXR_MALFORMED_UNKNOWN_TYPE);
		expect_malformed(hdr, 1, FXR_MALFORMED_UNKNOWN_TYPE); /* judged on the first byte */
		assert_int_equal(fxr_frame_hdr_check((uint8_t)t, 0, 0), FXR_MALFORMED_UNKNOWN_TYPE);
	}
	assert_int_equal(unknown, 256 - 23);
}

static void test_reserved_flags(void **state)
{
	(void)state;
	uint8_t buf[256];
	for (size_t i = 0; i < test_vectors_count; i++) {
		const struct test_vector *v = &test_vectors[i];
		for (unsigned bit = 0; bit < 8; bit++) {
			memcpy(buf, v->wire, v->wire_len);
			buf[1] ^= (uint8_t)(1u << bit);
			if (bit == 0 && v->msg.type == FXR_T_LIST_RESULT)
				continue; /* MORE toggles legally there */
			expect_malformed(buf, v->wire_len, FXR_MALFORMED_RESERVED_FLAGS);
		}
	}
}

static void test_length_bounds(void **state)
{
	(void)state;
	static uint8_t buf[FXR_FRAME_MAX_LEN];
	for (size_t i = 0; i < test_vectors_count; i++) {
		const struct test_vector *v = &test_vectors[i];
		const struct fxr_frame_info *fi = fxr_frame_info(v->msg.type);
		assert_non_null(fi);
		memset(buf, 'a', sizeof(buf));
		buf[0] = fi->type;
		buf[1] = 0;
		if (fi->max_len < FXR_FRAME_MAX_PAYLOAD) { /* oversize */
			fxr_put_be16(buf + 2, (uint16_t)(fi->max_len + 1));
			expect_malformed(buf, 4, FXR_MALFORMED_LENGTH);
			expect_malformed(buf, 4u + fi->max_len + 1, FXR_MALFORMED_LENGTH);
		}
		if (fi->min_len > 0) { /* undersize */
			fxr_put_be16(buf + 2, (uint16_t)(fi->min_len - 1));
			expect_malformed(buf, 4u + fi->min_len - 1, FXR_MALFORMED_LENGTH);
		}
	}
}

static void test_str_fields(void **state)
{
	(void)state;
	static const uint8_t types[] = { FXR_T_CONNECT, FXR_T_INCOMING, FXR_T_CONNECTED };
	for (size_t t = 0; t < sizeof(types); t++) {
		/* str length one past the payload */
		uint8_t over[] = { types[t], 0, 0, 8, 0, 0, 0, 1, 4, 'a', 'b', 'c' };
		expect_malformed(over, sizeof(over), FXR_MALFORMED_STR_OVERRUN);
		/* str length 255 in a short frame */
		uint8_t big[] = { types[t], 0, 0, 6, 0, 0, 0, 1, 255, 'a' };
		expect_malformed(big, sizeof(big), FXR_MALFORMED_STR_OVERRUN);
		/* str shorter than the payload: trailing bytes */
		uint8_t trail[] = { types[t], 0, 0, 8, 0, 0, 0, 1, 2, 'a', 'b', 'c' };
		expect_malformed(trail, sizeof(trail), FXR_MALFORMED_TRAILING);
		/* empty id */
		uint8_t empty[] = { types[t], 0, 0, 6, 0, 0, 0, 1, 0, 'a' };
		expect_malformed(empty, sizeof(empty), FXR_MALFORMED_TRAILING);
		uint8_t empty2[] = { types[t], 0, 0, 5, 0, 0, 0, 1, 0 };
		expect_malformed(empty2, sizeof(empty2), FXR_MALFORMED_LENGTH);
		/* forbidden byte */
		uint8_t bad[] = { types[t], 0, 0, 8, 0, 0, 0, 1, 3, 'a', '/', 'c' };
		expect_malformed(bad, sizeof(bad), FXR_MALFORMED_BAD_ID);
		/* 64 bytes is the longest id */
		uint8_t longest[4 + 5 + 64];
		memset(longest, 'x', sizeof(longest));
		longest[0] = types[t];
		longest[1] = 0;
		fxr_put_be16(longest + 2, 69);
		longest[8] = 64;
		struct fxr_msg m;
		assert_int_equal(decode_exact(longest, sizeof(longest), &m, NULL), 73);
		assert_int_equal(m.u.call.dev_len, 64);
	}
}

static void test_list_result_malformed(void **state)
{
	(void)state;
	/* n says 3, two entries present */
	uint8_t few[] = { 0x51, 0, 0, 12, 0, 0, 0, 1, 0, 3, 1, 'a', 1, 1, 'b', 2 };
	expect_malformed(few, sizeof(few), FXR_MALFORMED_ENTRY_COUNT);
	/* n says 1, two entries present */
	uint8_t many[] = { 0x51, 0, 0, 12, 0, 0, 0, 1, 0, 1, 1, 'a', 1, 1, 'b', 2 };
	expect_malformed(many, sizeof(many), FXR_MALFORMED_TRAILING);
	/* entry str overruns */
	uint8_t over[] = { 0x51, 0, 0, 9, 0, 0, 0, 1, 0, 1, 5, 'a', 1 };
	expect_malformed(over, sizeof(over), FXR_MALFORMED_STR_OVERRUN);
	/* entry with no state byte */
	uint8_t nostate[] = { 0x51, 0, 0, 8, 0, 0, 0, 1, 0, 1, 1, 'a' };
	expect_malformed(nostate, sizeof(nostate), FXR_MALFORMED_STR_OVERRUN);
	/* state 3 */
	uint8_t st[] = { 0x51, 0, 0, 9, 0, 0, 0, 1, 0, 1, 1, 'a', 3 };
	expect_malformed(st, sizeof(st), FXR_MALFORMED_ENTRY_STATE);
	/* state 0 */
	st[12] = 0;
	expect_malformed(st, sizeof(st), FXR_MALFORMED_ENTRY_STATE);
	/* bad id */
	uint8_t bad[] = { 0x51, 0, 0, 9, 0, 0, 0, 1, 0, 1, 1, ' ', 1 };
	expect_malformed(bad, sizeof(bad), FXR_MALFORMED_BAD_ID);
	/* empty list is fine */
	uint8_t empty[] = { 0x51, 0, 0, 6, 0, 0, 0, 1, 0, 0 };
	struct fxr_msg m;
	assert_int_equal(decode_exact(empty, sizeof(empty), &m, NULL), 10);
	assert_int_equal(m.u.list.n, 0);
}

static void test_encode_rejects_invalid(void **state)
{
	(void)state;
	uint8_t buf[FXR_FRAME_MAX_LEN];
	struct fxr_msg m = { .type = FXR_T_CONNECT,
			     .u.call = { .id = 1, .dev = (const uint8_t *)"a b", .dev_len = 3 } };
	assert_int_equal(fxr_frame_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.u.call.dev_len = 0;
	assert_int_equal(fxr_frame_encode(&m, buf, sizeof(buf)), -EINVAL);

	static const uint8_t text[FXR_TEXT_MAX + 1] = { 0 };
	struct fxr_msg bye = { .type = FXR_T_BYE, .u.status = { 10, { text, FXR_TEXT_MAX } } };
	assert_int_equal(fxr_frame_encode(&bye, buf, sizeof(buf)), 4 + 2 + FXR_TEXT_MAX);
	bye.u.status.text.len = FXR_TEXT_MAX + 1;
	assert_int_equal(fxr_frame_encode(&bye, buf, sizeof(buf)), -EINVAL);

	struct fxr_msg ka = { .type = FXR_T_KEEPALIVE, .u.opaque = { text, 65 } };
	assert_int_equal(fxr_frame_encode(&ka, buf, sizeof(buf)), -EINVAL);

	struct fxr_msg unknown = { .type = 0x99 };
	assert_int_equal(fxr_frame_encode(&unknown, buf, sizeof(buf)), -EINVAL);
	struct fxr_msg more = { .type = FXR_T_END, .flags = FXR_FLAG_MORE };
	assert_int_equal(fxr_frame_encode(&more, buf, sizeof(buf)), -EINVAL);
	struct fxr_msg resv = { .type = FXR_T_RELEASE, .flags = 0x80 };
	assert_int_equal(fxr_frame_encode(&resv, buf, sizeof(buf)), -EINVAL);

	struct fxr_list_entry e = { (const uint8_t *)"dev", 3, 3 };
	struct fxr_msg lr = { .type = FXR_T_LIST_RESULT, .u.list = { 1, 1, { NULL, 0 }, &e } };
	assert_int_equal(fxr_frame_encode(&lr, buf, sizeof(buf)), -EINVAL);
	lr.u.list.entries = NULL;
	assert_int_equal(fxr_frame_encode(&lr, buf, sizeof(buf)), -EINVAL);
}

static void test_list_result_split(void **state)
{
	(void)state;
	/* 2000 entries of 64-byte ids (66 bytes each) cannot fit one frame: fit says how many do,
	 * and that many encode into a frame that decodes back. */
	enum { N = 2000 };
	static uint8_t id[64];
	static struct fxr_list_entry es[N];
	static uint8_t buf[FXR_FRAME_MAX_LEN];
	memset(id, 'z', sizeof(id));
	for (int i = 0; i < N; i++)
		es[i] = (struct fxr_list_entry){ id, 64, FXR_LIST_IDLE };
	uint16_t fit = fxr_list_result_fit(es, N);
	assert_int_equal(fit, (FXR_FRAME_MAX_PAYLOAD - 6) / 66);
	struct fxr_msg m = { .type = FXR_T_LIST_RESULT, .flags = FXR_FLAG_MORE,
			     .u.list = { 5, fit, { NULL, 0 }, es } };
	int n = fxr_frame_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, 4 + 6 + 66 * fit);
	m.u.list.n = (uint16_t)(fit + 1);
	assert_int_equal(fxr_frame_encode(&m, buf, sizeof(buf)), -EINVAL);
	struct fxr_msg d;
	assert_int_equal(fxr_frame_decode(buf, (size_t)n, &d, NULL), n);
	assert_int_equal(d.u.list.n, fit);
	assert_true(d.flags & FXR_FLAG_MORE);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(fxr_frame_type_name(FXR_T_CONNECT), "CONNECT");
	assert_string_equal(fxr_frame_type_name(0x99), "UNKNOWN");
	assert_string_equal(fxr_malformed_name(FXR_MALFORMED_STR_OVERRUN), "STR_OVERRUN");
	assert_string_equal(fxr_malformed_text(FXR_MALFORMED_COUNT), "unknown reason");
	for (size_t i = 0; i < test_vectors_count; i++)
		assert_string_equal(fxr_frame_type_name(test_vectors[i].msg.type),
				    test_vectors[i].name);
	const struct fxr_frame_info *fi = fxr_frame_info(FXR_T_CANCEL);
	assert_int_equal(fi->dir, FXR_DIR_BOTH);
	assert_int_equal(fxr_frame_info(FXR_T_KEEPALIVE)->dir, FXR_DIR_D2R);
	assert_int_equal(fxr_frame_info(FXR_T_KEEPALIVE_ACK)->dir, FXR_DIR_R2D);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_has_a_vector),
		cmocka_unit_test(test_encode_matches_wire),
		cmocka_unit_test(test_decode_matches_msg),
		cmocka_unit_test(test_decode_stops_at_frame_end),
		cmocka_unit_test(test_truncated_needs_more),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_reserved_flags),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_str_fields),
		cmocka_unit_test(test_list_result_malformed),
		cmocka_unit_test(test_encode_rejects_invalid),
		cmocka_unit_test(test_list_result_split),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
