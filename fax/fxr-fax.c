/* fxr-fax: a T.38 fax machine for fxr.
 *
 *   fxr-fax check FILE.tif           is FILE a TIFF a fax machine can send? (pages, or why not)
 *   fxr-fax loopback IN.tif OUT.tif  fax IN through two machines back to back (T.38 IFP in
 *                                    TPKT on an in-process byte stream), write what the
 *                                    receiver gets to OUT, report the T.30 result
 *
 * Exit status: 0 success; 1 the fax failed (T.30 result other than OK, or pages missing);
 * 2 bad usage; 3 the input cannot be faxed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t38_fax.h"

enum { EXIT_FAX_FAILED = 1, EXIT_USAGE = 2, EXIT_BAD_INPUT = 3 };

/* Virtual time given to a loopback call before it counts as hung: T.30's own timers end a
 * stuck call well within it. */
#define LOOPBACK_LIMIT_MS (15u * 60u * 1000u)
#define TICK_MS 20u

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fxr-fax check FILE.tif\n"
		"       fxr-fax loopback [--no-ecm] IN.tif OUT.tif\n"
		"  check     say whether FILE can be faxed (1-bit pages, 1728/2048/2432 wide,\n"
		"            a fax resolution) and how many pages it has\n"
		"  loopback  fax IN through two T.38 machines back to back (T.38 over TCP framing,\n"
		"            in-process) and write what the receiver gets to OUT (TIFF-F)\n"
		"exit status: 0 ok, 1 fax failed, 2 usage, 3 input cannot be faxed\n");
}

static int cmd_check(const char *path)
{
	char err[512];
	int pages = fxr_fax_tiff_check(path, err, sizeof(err));
	if (pages < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	printf("ok pages=%d file=%s\n", pages, path);
	return 0;
}

static void pump(struct fxr_fax *from, struct fxr_fax *to)
{
	const uint8_t *p;
	size_t n;
	while ((n = fxr_fax_out_peek(from, &p)) > 0) {
		if (fxr_fax_in(to, p, n) < 0)
			return; /* reported through the result */
		fxr_fax_out_consume(from, n);
	}
}

static int cmd_loopback(const char *in, const char *out, int ecm)
{
	char err[512];
	struct fxr_fax *tx, *rx;
	struct fxr_fax_cfg ct = { .role = FXR_FAX_SEND, .file = in, .ident = "fxr loopback", .ecm = ecm };
	struct fxr_fax_cfg cr = { .role = FXR_FAX_RECEIVE, .file = out, .ident = "fxr loopback", .ecm = ecm };
	int pages = fxr_fax_tiff_check(in, err, sizeof(err));
	if (pages < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (fxr_fax_open(&tx, &ct, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (fxr_fax_open(&rx, &cr, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		fxr_fax_close(tx);
		return EXIT_FAX_FAILED;
	}
	struct fxr_fax_result a, b;
	unsigned t;
	for (t = 0; t < LOOPBACK_LIMIT_MS; t += TICK_MS) {
		fxr_fax_advance(tx, TICK_MS);
		fxr_fax_advance(rx, TICK_MS);
		pump(tx, rx);
		pump(rx, tx);
		fxr_fax_result(tx, &a);
		fxr_fax_result(rx, &b);
		if (a.done && b.done)
			break;
	}
	fxr_fax_result(tx, &a);
	fxr_fax_result(rx, &b);
	fxr_fax_close(tx);
	fxr_fax_close(rx);
	printf("sent pages=%d/%d result=%d (%s) rate=%d ecm=%d bytes=%llu\n", a.pages,
	       a.pages_in_file, a.completion, a.text, a.bit_rate, a.ecm,
	       (unsigned long long)a.bytes_out);
	printf("received pages=%d result=%d (%s) file=%s virtual_ms=%u\n", b.pages, b.completion,
	       b.text, out, t);
	if (!a.done || !b.done) {
		fprintf(stderr, "fxr-fax: the call did not finish in %u ms\n", LOOPBACK_LIMIT_MS);
		return EXIT_FAX_FAILED;
	}
	if (a.completion != 0 || b.completion != 0 || b.pages != pages) {
		fprintf(stderr, "fxr-fax: fax failed: %s\n", a.completion ? a.text : b.text);
		return EXIT_FAX_FAILED;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-ecm", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ecm = 1, c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind++];
	/* options may also follow the command */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'E') {
			ecm = 0;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	int left = argc - optind;
	if (strcmp(cmd, "check") == 0 && left == 1)
		return cmd_check(argv[optind]);
	if (strcmp(cmd, "loopback") == 0 && left == 2)
		return cmd_loopback(argv[optind], argv[optind + 1], ecm);
	fprintf(stderr, "fxr-fax: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
