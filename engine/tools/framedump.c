/* fxr-framedump: reads an FXR/1 byte stream on stdin and prints one line per frame.
 *
 * The stream is fed to the incremental scanner in pieces of --chunk bytes (default 1460, a
 * TCP segment), so the tool exercises the same path the dataplane takes. Exit status: 0 when
 * the stream is a whole number of well-formed frames, 1 on a malformed or truncated stream,
 * 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fxr/code.h"
#include "fxr/frame.h"
#include "fxr/scan.h"

#define GATHER_MAX FXR_FRAME_MAX_LEN

static void usage(FILE *f)
{
	fprintf(f, "usage: fxr-framedump [--chunk N] < stream\n"
		   "  Decodes FXR/1 frames from stdin, one line per frame.\n"
		   "  --chunk N  feed the scanner N bytes at a time (1..65536, default 1460)\n");
}

static void print_text(const struct fxr_bytes *b)
{
	putchar('"');
	for (uint16_t i = 0; i < b->len; i++) {
		uint8_t c = b->p[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('"');
}

static void print_msg(unsigned long long off, const struct fxr_msg *m)
{
	printf("%8llu %-14s", off, fxr_frame_type_name(m->type));
	if (m->flags & FXR_FLAG_MORE)
		printf(" MORE");
	switch (m->type) {
	case FXR_T_AUTH_START:
	case FXR_T_AUTH_CHALLENGE:
	case FXR_T_AUTH_PROOF:
		putchar(' ');
		print_text(&m->u.auth);
		break;
	case FXR_T_AUTH_OK:
		printf(" keepalive=%us idle=%us ", m->u.auth_ok.keepalive_s,
		       m->u.auth_ok.idle_timeout_s);
		print_text(&m->u.auth_ok.server_final);
		break;
	case FXR_T_AUTH_FAIL:
	case FXR_T_BYE:
	case FXR_T_ERROR:
		printf(" code=%s ", fxr_code_name(m->u.status.code));
		print_text(&m->u.status.text);
		break;
	case FXR_T_KEEPALIVE:
	case FXR_T_KEEPALIVE_ACK:
	case FXR_T_DATA:
		printf(" bytes=%u", m->u.opaque.len);
		break;
	case FXR_T_CONNECT:
	case FXR_T_INCOMING:
	case FXR_T_CONNECTED:
		printf(" id=%u dev=%.*s", m->u.call.id, m->u.call.dev_len,
		       (const char *)m->u.call.dev);
		break;
	case FXR_T_ACCEPT:
	case FXR_T_LIST:
		printf(" id=%u", m->u.ref.id);
		break;
	case FXR_T_REJECT:
	case FXR_T_CONNECT_FAIL:
	case FXR_T_CANCEL:
		printf(" id=%u code=%s", m->u.result.id, fxr_code_name(m->u.result.code));
		break;
	case FXR_T_END:
		printf(" reason=%s", fxr_code_name(m->u.end.reason));
		break;
	case FXR_T_LIST_RESULT: {
		struct fxr_list_iter it;
		struct fxr_list_entry e;
		printf(" id=%u n=%u", m->u.list.req_id, m->u.list.n);
		fxr_list_iter_init(&it, m);
		while (fxr_list_next(&it, &e))
			printf(" %.*s:%s", e.id_len, (const char *)e.id,
			       e.state == FXR_LIST_IDLE ? "idle" : "busy");
		break;
	}
	default:
		break;
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chunk", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t chunk = 1460;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 65536) {
				fprintf(stderr, "fxr-framedump: --chunk must be 1..65536\n");
				return 2;
			}
			chunk = v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	static uint8_t gather[GATHER_MAX];
	uint8_t *in = malloc(chunk);
	if (!in) {
		fprintf(stderr, "fxr-framedump: out of memory\n");
		return 1;
	}
	struct fxr_scanner sc;
	struct fxr_scan_result r;
	size_t have = 0, got;
	unsigned long long off = 0, frame_off = 0, frames = 0;
	int status = 0;

	fxr_scan_init(&sc);
	while (status == 0 && (got = fread(in, 1, chunk, stdin)) > 0) {
		const uint8_t *p = in;
		size_t n = got;
		for (;;) {
			size_t used = fxr_scan_step(&sc, p, n, &r);
			if (r.ev == FXR_SCAN_HEADER) {
				fxr_frame_hdr_put(gather, r.type, r.flags, r.len);
				have = FXR_FRAME_HDR_LEN;
			} else if (r.ev == FXR_SCAN_PAYLOAD) {
				memcpy(gather + have, p, r.chunk_len);
				have += r.chunk_len;
			} else if (r.ev == FXR_SCAN_FRAME_END) {
				struct fxr_msg m;
				enum fxr_malformed why;
				if (fxr_frame_decode(gather, have, &m, &why) <= 0) {
					fprintf(stderr, "fxr-framedump: offset %llu: %s: %s\n",
						frame_off, fxr_frame_type_name(gather[0]),
						fxr_malformed_text(why));
					status = 1;
					break;
				}
				print_msg(frame_off, &m);
				frames++;
				frame_off += have;
				have = 0;
			} else if (r.ev == FXR_SCAN_ERROR) {
				fprintf(stderr, "fxr-framedump: offset %llu: bad header: %s\n",
					frame_off, fxr_malformed_text(r.why));
				status = 1;
				break;
			}
			p += used;
			n -= used;
			off += used;
			if (r.ev == FXR_SCAN_NEED_MORE)
				break;
		}
	}
	free(in);
	if (status == 0 && ferror(stdin)) {
		fprintf(stderr, "fxr-framedump: read error: %s\n", strerror(errno));
		status = 1;
	}
	if (status == 0 && !fxr_scan_at_boundary(&sc)) {
		fprintf(stderr, "fxr-framedump: stream ends inside a frame at offset %llu\n", off);
		status = 1;
	}
	fprintf(stderr, "fxr-framedump: %llu frames, %llu bytes\n", frames, off);
	return status;
}
