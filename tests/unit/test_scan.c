/* Incremental scanner: the seeds' sequence stream gives the same frames and the same payload
 * bytes however it is cut into pieces (every one- and two-cut split, and a byte at a time);
 * payload is reported in place (zero-copy); malformed headers stop the stream for good. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fxr/frame.h"
#include "fxr/scan.h"
#include "vectors.h"

#define MAX_FRAMES 64

struct seen {
	unsigned frames;
	uint8_t type[MAX_FRAMES];
	uint16_t len[MAX_FRAMES];
	uint8_t bytes[4096]; /* headers and payloads re-assembled */
	size_t nbytes;
	int error;
	uint8_t why;
};

/* Feeds one piece; asserts the scanner's per-event contract on the way. */
static void feed(struct fxr_scanner *sc, const uint8_t *p, size_t n, struct seen *s)
{
	struct fxr_scan_result r;
	for (;;) {
		size_t used = fxr_scan_step(sc, p, n, &r);
		assert_true(used <= n);
		switch (r.ev) {
		case FXR_SCAN_NEED_MORE:
			assert_int_equal(used, n);
			return;
		case FXR_SCAN_HEADER:
			assert_true(s->frames < MAX_FRAMES);
			s->type[s->frames] = r.type;
			s->len[s->frames] = r.len;
			fxr_frame_hdr_put(s->bytes + s->nbytes, r.type, r.flags, r.len);
			s->nbytes += 4;
			break;
		case FXR_SCAN_PAYLOAD:
			/* in place: the chunk is the first chunk_len bytes of the piece */
			assert_int_equal(used, r.chunk_len);
			assert_true(r.chunk_len > 0);
			memcpy(s->bytes + s->nbytes, p, r.chunk_len);
			s->nbytes += r.chunk_len;
			break;
		case FXR_SCAN_FRAME_END:
			assert_int_equal(used, 0);
			assert_int_equal(r.type, s->type[s->frames]);
			s->frames++;
			break;
		case FXR_SCAN_ERROR:
			assert_int_equal(used <= 4, 1);
			s->error = 1;
			s->why = r.why;
			return;
		default:
			fail();
		}
		p += used;
		n -= used;
	}
}

static uint8_t stream[4096];
static size_t stream_len;
static struct seen whole;

static int setup(void **state)
{
	(void)state;
	stream_len = test_sequence_build(stream, sizeof(stream));
	struct fxr_scanner sc;
	fxr_scan_init(&sc);
	memset(&whole, 0, sizeof(whole));
	feed(&sc, stream, stream_len, &whole);
	return 0;
}

static void test_whole_stream(void **state)
{
	(void)state;
	assert_int_equal(whole.frames, 24);
	assert_int_equal(whole.error, 0);
	assert_int_equal(whole.nbytes, stream_len);
	assert_memory_equal(whole.bytes, stream, stream_len);
	assert_int_equal(whole.type[0], FXR_T_AUTH_START);
	assert_int_equal(whole.type[23], FXR_T_BYE);
}

static void assert_same_as_whole(const struct seen *s, const struct fxr_scanner *sc)
{
	assert_int_equal(s->error, 0);
	assert_int_equal(s->frames, whole.frames);
	assert_memory_equal(s->type, whole.type, whole.frames);
	assert_memory_equal(s->len, whole.len, whole.frames * sizeof(whole.len[0]));
	assert_int_equal(s->nbytes, stream_len);
	assert_memory_equal(s->bytes, stream, stream_len);
	assert_true(fxr_scan_at_boundary(sc));
}

static void test_every_single_split(void **state)
{
	(void)state;
	static struct seen s;
	for (size_t k = 0; k <= stream_len; k++) {
		struct fxr_scanner sc;
		fxr_scan_init(&sc);
		memset(&s, 0, sizeof(s));
		feed(&sc, stream, k, &s);
		feed(&sc, stream + k, stream_len - k, &s);
		assert_same_as_whole(&s, &sc);
	}
}

static void test_every_double_split(void **state)
{
	(void)state;
	static struct seen s;
	for (size_t i = 0; i <= stream_len; i++) {
		for (size_t j = i; j <= stream_len; j++) {
			struct fxr_scanner sc;
			fxr_scan_init(&sc);
			s.frames = 0;
			s.nbytes = 0;
			s.error = 0;
			feed(&sc, stream, i, &s);
			feed(&sc, stream + i, j - i, &s);
			feed(&sc, stream + j, stream_len - j, &s);
			assert_same_as_whole(&s, &sc);
		}
	}
}

static void test_byte_at_a_time(void **state)
{
	(void)state;
	static struct seen s;
	struct fxr_scanner sc;
	fxr_scan_init(&sc);
	memset(&s, 0, sizeof(s));
	for (size_t k = 0; k < stream_len; k++) {
		/* exact one-byte heap pieces: an over-read is an ASan error */
		uint8_t *b = malloc(1);
		assert_non_null(b);
		*b = stream[k];
		feed(&sc, b, 1, &s);
		free(b);
	}
	assert_same_as_whole(&s, &sc);
}

static void test_empty_piece(void **state)
{
	(void)state;
	struct fxr_scanner sc;
	struct fxr_scan_result r;
	fxr_scan_init(&sc);
	assert_int_equal(fxr_scan_step(&sc, NULL, 0, &r), 0);
	assert_int_equal(r.ev, FXR_SCAN_NEED_MORE);
	assert_true(fxr_scan_at_boundary(&sc));
}

static void test_zero_length_frame(void **state)
{
	(void)state;
	const uint8_t rel[] = { FXR_T_RELEASE, 0, 0, 0 };
	struct fxr_scanner sc;
	struct fxr_scan_result r;
	fxr_scan_init(&sc);
	assert_int_equal(fxr_scan_step(&sc, rel, 4, &r), 4);
	assert_int_equal(r.ev, FXR_SCAN_HEADER);
	assert_int_equal(r.len, 0);
	assert_false(fxr_scan_at_boundary(&sc));
	/* the end is reported even with no more input */
	assert_int_equal(fxr_scan_step(&sc, NULL, 0, &r), 0);
	assert_int_equal(r.ev, FXR_SCAN_FRAME_END);
	assert_int_equal(r.type, FXR_T_RELEASE);
	assert_true(fxr_scan_at_boundary(&sc));
}

static void expect_stream_error(const uint8_t *bad, size_t n, enum fxr_malformed why,
				unsigned frames_before)
{
	struct fxr_scanner sc;
	static struct seen s;
	fxr_scan_init(&sc);
	memset(&s, 0, sizeof(s));
	feed(&sc, bad, n, &s);
	assert_int_equal(s.error, 1);
	assert_int_equal(s.why, why);
	assert_int_equal(s.frames, frames_before);
	/* sticky: more input does not resynchronise */
	struct fxr_scan_result r;
	const uint8_t ok[] = { FXR_T_RELEASE, 0, 0, 0 };
	assert_int_equal(fxr_scan_step(&sc, ok, sizeof(ok), &r), 0);
	assert_int_equal(r.ev, FXR_SCAN_ERROR);
	assert_int_equal(r.why, why);
}

static void test_malformed_headers(void **state)
{
	(void)state;
	const uint8_t unknown[] = { FXR_T_RELEASE, 0, 0, 0, 0x99, 0, 0, 0 };
	expect_stream_error(unknown, sizeof(unknown), FXR_MALFORMED_UNKNOWN_TYPE, 1);
	const uint8_t flags[] = { FXR_T_DATA, 0x02, 0, 0 };
	expect_stream_error(flags, sizeof(flags), FXR_MALFORMED_RESERVED_FLAGS, 0);
	const uint8_t more[] = { FXR_T_DATA, FXR_FLAG_MORE, 0, 0 };
	expect_stream_error(more, sizeof(more), FXR_MALFORMED_RESERVED_FLAGS, 0);
	const uint8_t oversize[] = { FXR_T_KEEPALIVE, 0, 0, 65 };
	expect_stream_error(oversize, sizeof(oversize), FXR_MALFORMED_LENGTH, 0);
	const uint8_t fixed[] = { FXR_T_ACCEPT, 0, 0, 5 };
	expect_stream_error(fixed, sizeof(fixed), FXR_MALFORMED_LENGTH, 0);
}

static void test_big_data_frame_in_segments(void **state)
{
	(void)state;
	/* a 65535-byte DATA frame arriving as 1460-byte segments: 45 payload events, in place */
	static uint8_t buf[FXR_FRAME_MAX_LEN];
	fxr_frame_hdr_put(buf, FXR_T_DATA, 0, 65535);
	for (size_t i = 4; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	struct fxr_scanner sc;
	struct fxr_scan_result r;
	fxr_scan_init(&sc);
	size_t off = 0, payload = 0;
	unsigned events = 0, ends = 0;
	while (off < sizeof(buf)) {
		size_t n = sizeof(buf) - off < 1460 ? sizeof(buf) - off : 1460;
		const uint8_t *p = buf + off;
		for (;;) {
			size_t used = fxr_scan_step(&sc, p, n, &r);
			if (r.ev == FXR_SCAN_PAYLOAD) {
				/* the chunk is the caller's bytes at their stream offset */
				size_t at = (size_t)(p - buf);
				assert_int_equal(p[0], (uint8_t)at);
				assert_int_equal(p[r.chunk_len - 1], (uint8_t)(at + r.chunk_len - 1));
				payload += r.chunk_len;
				events++;
			}
			ends += r.ev == FXR_SCAN_FRAME_END;
			p += used;
			n -= used;
			if (r.ev == FXR_SCAN_NEED_MORE)
				break;
		}
		off += 1460 < sizeof(buf) - off ? 1460 : sizeof(buf) - off;
	}
	assert_int_equal(payload, 65535);
	assert_int_equal(events, (FXR_FRAME_MAX_LEN + 1459) / 1460);
	assert_int_equal(ends, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_stream),
		cmocka_unit_test(test_every_single_split),
		cmocka_unit_test(test_every_double_split),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_empty_piece),
		cmocka_unit_test(test_zero_length_frame),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_big_data_frame_in_segments),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
