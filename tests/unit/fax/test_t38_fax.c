/* Two real T.38 fax machines (spandsp) back to back over a TPKT byte stream, on a virtual
 * clock: a three-page document goes through T.30 phases A–E, the byte stream cut into pieces
 * of awkward sizes, and comes out identical pixel for pixel. Also: unfaxable TIFFs are refused
 * before any call, a corrupt stream fails the call, and the TPKT deframer at every split. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <tiffio.h>

#include "faxdoc.h"
#include "t38_fax.h"
#include "tpkt.h"

static char dir[64];
static char doc[128], out[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fxr-fax-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(doc, sizeof(doc), "%s/doc.tif", dir);
	snprintf(out, sizeof(out), "%s/rx.tif", dir);
	return faxdoc_write(doc, 3, 1100, -1);
}

static int teardown(void **state)
{
	(void)state;
	char p[160];
	const char *names[] = { "doc.tif", "rx.tif", "gray.tif", "narrow.tif", "junk.tif",
				"rx2.tif" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

/* Moves what a has produced into b, in pieces of the sizes given in turn. */
static void pipe_bytes(struct fxr_fax *a, struct fxr_fax *b, unsigned *turn)
{
	static const size_t cuts[] = { 1, 7, 1460, 3, 65536, 2, 536 };
	const uint8_t *p;
	size_t n;
	while ((n = fxr_fax_out_peek(a, &p)) > 0) {
		size_t take = cuts[(*turn)++ % (sizeof(cuts) / sizeof(cuts[0]))];
		if (take > n)
			take = n;
		assert_int_equal(fxr_fax_in(b, p, take), 0);
		fxr_fax_out_consume(a, take);
	}
}

/* Runs both machines until both reach phase E, at most limit_ms of virtual time. */
static unsigned run_call(struct fxr_fax *tx, struct fxr_fax *rx, unsigned limit_ms)
{
	struct fxr_fax_result a, b;
	unsigned t, turn = 0;
	for (t = 0; t < limit_ms; t += 20) {
		fxr_fax_advance(tx, 20);
		fxr_fax_advance(rx, 20);
		pipe_bytes(tx, rx, &turn);
		pipe_bytes(rx, tx, &turn);
		fxr_fax_result(tx, &a);
		fxr_fax_result(rx, &b);
		if (a.done && b.done)
			break;
	}
	return t;
}

static void test_three_pages_back_to_back(void **state)
{
	(void)state;
	char err[256];
	struct fxr_fax *tx, *rx;
	struct fxr_fax_cfg ct = { FXR_FAX_SEND, doc, "fxr test tx", 1 };
	struct fxr_fax_cfg cr = { FXR_FAX_RECEIVE, out, "fxr test rx", 1 };
	assert_int_equal(fxr_fax_open(&tx, &ct, err, sizeof(err)), 0);
	assert_int_equal(fxr_fax_open(&rx, &cr, err, sizeof(err)), 0);
	unsigned t = run_call(tx, rx, 10 * 60 * 1000);

	struct fxr_fax_result a, b;
	fxr_fax_result(tx, &a);
	fxr_fax_result(rx, &b);
	print_message("virtual time %u ms; sent %d/%d pages at %d bit/s ecm=%d, %llu bytes out; "
		      "received %d pages (%s)\n", t, a.pages, a.pages_in_file, a.bit_rate, a.ecm,
		      (unsigned long long)a.bytes_out, b.pages, b.text);
	assert_true(a.done);
	assert_true(b.done);
	assert_int_equal(a.completion, 0);
	assert_int_equal(b.completion, 0);
	assert_int_equal(a.pages, 3);
	assert_int_equal(b.pages, 3);
	assert_int_equal(a.bytes_out, b.bytes_in);
	assert_int_equal(b.bytes_out, a.bytes_in);
	fxr_fax_close(tx);
	fxr_fax_close(rx);
	/* the received fax is the document, page by page */
	assert_int_equal(faxdoc_compare(doc, out), 3);
}

static void test_compare_sees_a_damaged_page(void **state)
{
	(void)state;
	/* the comparison used above is not vacuous: a document with a different page 2 */
	char other[160];
	snprintf(other, sizeof(other), "%s/rx2.tif", dir);
	assert_int_equal(faxdoc_write(other, 3, 1100, 1), 0);
	assert_int_equal(faxdoc_compare(doc, other), -2);    /* page 2 differs */
	assert_int_equal(faxdoc_write(other, 2, 1100, -1), 0);
	assert_int_equal(faxdoc_compare(doc, other), -1000); /* page count differs */
	assert_int_equal(faxdoc_compare(doc, doc), 3);
}

static void test_unfaxable_tiffs_refused(void **state)
{
	(void)state;
	char err[256], p[160];
	/* 8-bit grey */
	snprintf(p, sizeof(p), "%s/gray.tif", dir);
	TIFF *t = TIFFOpen(p, "w");
	uint8_t line[1728] = { 0 };
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 2);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
	TIFFWriteScanline(t, line, 0, 0);
	TIFFWriteScanline(t, line, 1, 0);
	TIFFClose(t);
	assert_int_equal(fxr_fax_tiff_check(p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "1 bit per pixel"));
	/* a width no fax machine has */
	snprintf(p, sizeof(p), "%s/narrow.tif", dir);
	t = TIFFOpen(p, "w");
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1000);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 1);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
	TIFFWriteScanline(t, line, 0, 0);
	TIFFClose(t);
	assert_int_equal(fxr_fax_tiff_check(p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "1000 pixels wide"));
	/* not a TIFF */
	snprintf(p, sizeof(p), "%s/junk.tif", dir);
	FILE *f = fopen(p, "w");
	fputs("not a tiff\n", f);
	fclose(f);
	assert_int_equal(fxr_fax_tiff_check(p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a readable TIFF"));
	/* and opening a sender on it fails the same way, before any byte is produced */
	struct fxr_fax *tx;
	struct fxr_fax_cfg c = { FXR_FAX_SEND, p, NULL, 1 };
	assert_int_equal(fxr_fax_open(&tx, &c, err, sizeof(err)), -EINVAL);
	/* the good document passes with its page count */
	assert_int_equal(fxr_fax_tiff_check(doc, err, sizeof(err)), 3);
}

static void test_corrupt_stream(void **state)
{
	(void)state;
	char err[256];
	struct fxr_fax *rx;
	struct fxr_fax_cfg cr = { FXR_FAX_RECEIVE, out, NULL, 1 };
	assert_int_equal(fxr_fax_open(&rx, &cr, err, sizeof(err)), 0);
	const uint8_t junk[] = { 0x04, 0x00, 0x00, 0x08, 1, 2, 3, 4 }; /* TPKT version 4 */
	assert_int_equal(fxr_fax_in(rx, junk, sizeof(junk)), -EBADMSG);
	assert_int_equal(fxr_fax_in(rx, junk, 1), -EBADMSG); /* and it stays failed */
	fxr_fax_close(rx);
}

static void test_tpkt_every_split(void **state)
{
	(void)state;
	/* three packets of 1, 300 and 5 bytes, split at every position into two pieces */
	uint8_t stream[4 * 3 + 306];
	size_t n = 0;
	const size_t lens[] = { 1, 300, 5 };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fxr_tpkt_hdr_put(stream + n, lens[i]), 0);
		n += 4;
		for (size_t k = 0; k < lens[i]; k++)
			stream[n++] = (uint8_t)(i * 100 + k);
	}
	static uint8_t buf[FXR_TPKT_MAX_PAYLOAD];
	for (size_t cut = 0; cut <= n; cut++) {
		struct fxr_tpkt_rx r;
		fxr_tpkt_rx_init(&r, buf);
		int packets = 0;
		const size_t piece[2][2] = { { 0, cut }, { cut, n } };
		for (int pc = 0; pc < 2; pc++) {
			size_t off = piece[pc][0];
			while (off < piece[pc][1]) {
				long got;
				long used = fxr_tpkt_rx_feed(&r, stream + off, piece[pc][1] - off, &got);
				assert_true(used > 0);
				off += (size_t)used;
				if (got >= 0) {
					assert_int_equal(got, lens[packets]);
					assert_int_equal(buf[got - 1], (uint8_t)(packets * 100 + got - 1));
					packets++;
				}
			}
		}
		assert_int_equal(packets, 3);
	}
	uint8_t hdr[4];
	assert_int_equal(fxr_tpkt_hdr_put(hdr, FXR_TPKT_MAX_PAYLOAD + 1), -EMSGSIZE);
	/* a length that does not cover its own header */
	struct fxr_tpkt_rx r;
	long got;
	const uint8_t bad[] = { 3, 0, 0, 4 };
	fxr_tpkt_rx_init(&r, buf);
	assert_int_equal(fxr_tpkt_rx_feed(&r, bad, 4, &got), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_pages_back_to_back),
		cmocka_unit_test(test_compare_sees_a_damaged_page),
		cmocka_unit_test(test_unfaxable_tiffs_refused),
		cmocka_unit_test(test_corrupt_stream),
		cmocka_unit_test(test_tpkt_every_split),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
