/* fxr-fax: a T.38 fax machine for fxr.
 *
 *   fxr-fax check FILE.tif           is FILE a TIFF a fax machine can send? (pages, or why not)
 *   fxr-fax loopback IN.tif OUT.tif  fax IN through two machines back to back (T.38 IFP in
 *                                    TPKT on an in-process byte stream), write what the
 *                                    receiver gets to OUT, report the T.30 result
 *   fxr-fax send --to ID FILE.tif    log in to the relay, demand a connection to ID, fax FILE
 *   fxr-fax answer --out DIR         log in, accept the next call, write the fax into DIR
 *
 * send and answer take --relay HOST[:PORT] (default 127.0.0.1:4747) and --id ID; the
 * password is the first line of --password-file F, or of standard input. The T.38 stream
 * (IFP packets in TPKT framing, T.38 over TCP) travels in FXR/1 DATA frames on the paired
 * connection; the call follows the seeds' sequence: log in, demand by id, image and
 * responses, END, RELEASE.
 *
 * Output: one event per line on stdout; errors one line on stderr. Exit status: 0 success;
 * 1 the call was refused at the far end (not found, offline, busy, rejected, forbidden);
 * 2 bad usage; 3 the relay could not be reached or was lost; 4 login refused;
 * 5 a local problem (the TIFF cannot be faxed, a file or folder, the password);
 * 6 the fax itself failed (the T.30 result is not OK, or pages are missing). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "fxr/cli.h"
#include "fxr/client.h"
#include "fxr/code.h"
#include "t38_fax.h"

enum {
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_RELAY = 3,
	EXIT_AUTH = 4,
	EXIT_LOCAL = 5,
	EXIT_FAX_FAILED = 6,
};

/* How long a call may run before it counts as hung (T.30's own timers end a stuck call well
 * within it), and how long the relay has to confirm a RELEASE. */
#define CALL_LIMIT_MS (15u * 60u * 1000u)
#define RELEASE_WAIT_MS 10000
#define POLL_MS 20


static void usage(FILE *f)
{
	fprintf(f,
		"usage: fxr-fax check FILE.tif\n"
		"       fxr-fax loopback [--no-ecm] IN.tif OUT.tif\n"
		"       fxr-fax send   [--relay HOST[:PORT]] --id ID [--password-file F] [--no-ecm]\n"
		"                      --to ID FILE.tif\n"
		"       fxr-fax answer [--relay HOST[:PORT]] --id ID [--password-file F] [--no-ecm]\n"
		"                      (--out DIR | --reject)\n"
		"  check     say whether FILE can be faxed (1-bit pages, 1728/2048/2432 wide,\n"
		"            a fax resolution) and how many pages it has\n"
		"  loopback  fax IN through two T.38 machines back to back (T.38 over TCP framing,\n"
		"            in-process) and write what the receiver gets to OUT (TIFF-F)\n"
		"  send      log in to the relay, call ID, fax FILE, then END and RELEASE\n"
		"  answer    log in, wait for a call, accept it and write the fax to DIR\n"
		"            (fax-CALLER-DATE-TIME.tif); --reject refuses the call instead\n"
		"The password is the first line of F, or of standard input. Default relay\n"
		"127.0.0.1:4747. Exit status: 0 ok; 1 refused at the far end; 2 usage; 3 relay\n"
		"unreachable or lost; 4 login refused; 5 local problem (TIFF, file, password);\n"
		"6 the fax failed.\n");
}

static int cmd_check(const char *path)
{
	char err[512];
	int pages = fxr_fax_tiff_check(path, err, sizeof(err));
	if (pages < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		return EXIT_LOCAL;
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
		return EXIT_LOCAL;
	}
	if (fxr_fax_open(&tx, &ct, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		return EXIT_LOCAL;
	}
	if (fxr_fax_open(&rx, &cr, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		fxr_fax_close(tx);
		return EXIT_LOCAL;
	}
	struct fxr_fax_result a, b;
	unsigned t;
	for (t = 0; t < CALL_LIMIT_MS; t += POLL_MS) {
		fxr_fax_advance(tx, POLL_MS);
		fxr_fax_advance(rx, POLL_MS);
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
		fprintf(stderr, "fxr-fax: the call did not finish in %u ms\n", CALL_LIMIT_MS);
		return EXIT_FAX_FAILED;
	}
	if (a.completion != 0 || b.completion != 0 || b.pages != pages) {
		fprintf(stderr, "fxr-fax: fax failed: %s\n", a.completion ? a.text : b.text);
		return EXIT_FAX_FAILED;
	}
	return 0;
}

/* ---- through the relay ---- */

struct relay_opts {
	char host[FXR_CLI_HOST_MAX];
	uint16_t port;
	const char *id;
	const char *password_file;
	const char *to;
	const char *out_dir;
	int reject;
	int ecm;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The exit status for a connection that ended (CLOSED, BYE, ERROR, AUTH_FAILED). */
static int ended(const struct fxr_client_event *ev)
{
	switch (ev->type) {
	case FXR_CLIENT_EV_AUTH_FAILED:
		fprintf(stderr, "fxr-fax: login refused: %s\n", ev->text);
		return EXIT_AUTH;
	case FXR_CLIENT_EV_BYE:
	case FXR_CLIENT_EV_ERROR:
		fprintf(stderr, "fxr-fax: the relay ended the connection: %s %s\n",
			fxr_code_name(ev->code), ev->text);
		return EXIT_RELAY;
	default:
		fprintf(stderr, "fxr-fax: connection to the relay lost%s%s\n", ev->text[0] ? ": " : "",
			ev->text);
		return EXIT_RELAY;
	}
}

static int is_end_of_connection(const struct fxr_client_event *ev)
{
	return ev->type == FXR_CLIENT_EV_CLOSED || ev->type == FXR_CLIENT_EV_BYE ||
	       ev->type == FXR_CLIENT_EV_ERROR || ev->type == FXR_CLIENT_EV_AUTH_FAILED;
}

/* Waits up to ms for an event; returns 1 with one, 0 on timeout, or an exit status + 100 when
 * the connection is gone or a signal came. */
static int wait_event(struct fxr_client *c, struct fxr_client_event *ev, int ms)
{
	if (stop_flag) {
		fprintf(stderr, "fxr-fax: interrupted\n");
		return 100 + EXIT_RELAY;
	}
	int rc = fxr_client_wait_event(c, ev, ms);
	if (rc < 0) {
		fprintf(stderr, "fxr-fax: %s\n", fxr_client_reason(c));
		return 100 + EXIT_RELAY;
	}
	if (rc == 1 && is_end_of_connection(ev))
		return 100 + ended(ev);
	return rc;
}

static int login(const struct relay_opts *o, struct fxr_client *c)
{
	struct fxr_cli_secret secret;
	struct fxr_client_event ev;
	char err[256];
	if (fxr_cli_read_password(o->password_file, &secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		return EXIT_LOCAL;
	}
	int rc = fxr_client_init(c, NULL);
	if (!rc)
		rc = fxr_client_connect(c, o->host, o->port);
	if (!rc)
		rc = fxr_client_login(c, o->id, secret.password, secret.len);
	fxr_cli_secret_wipe(&secret);
	if (rc) {
		fprintf(stderr, "fxr-fax: %s\n", fxr_client_reason(c));
		return rc == -EINVAL ? EXIT_USAGE : EXIT_RELAY;
	}
	for (;;) {
		rc = wait_event(c, &ev, 1000);
		if (rc >= 100)
			return rc - 100;
		if (rc == 1 && ev.type == FXR_CLIENT_EV_LOGGED_IN) {
			printf("logged-in id=%s keepalive=%u idle=%u\n", o->id, ev.keepalive_s,
			       ev.idle_timeout_s);
			return 0;
		}
	}
}

/* Runs the fax machine on the paired connection until phase E: its bytes go out as DATA
 * frames (held back while libfxr's send buffer is full: flow control, not loss), DATA in
 * feeds it, time advances by the monotonic clock. The far end's END means no more DATA is
 * coming, not that this side is done: T.30 ends on each side on its own clock (the receiver
 * at the DCN it gets, the sender once its DCN is out), so the machine runs on until its own
 * phase E, for at most END_GRACE_MS. Returns 0 or an exit status. */
#define END_GRACE_MS 10000u
static int fax_call(struct fxr_client *c, struct fxr_fax *f)
{
	struct fxr_client_event ev;
	struct fxr_fax_result r;
	uint64_t start = fxr_client_now_ms(), last = start, ended_at = 0;
	for (;;) {
		const uint8_t *p;
		size_t n;
		while (!ended_at && (n = fxr_fax_out_peek(f, &p)) > 0) {
			long sent = fxr_client_send_data(c, p, n);
			if (sent == -ENOBUFS)
				break;
			if (sent < 0) {
				fprintf(stderr, "fxr-fax: %s\n", fxr_client_reason(c));
				return EXIT_RELAY;
			}
			fxr_fax_out_consume(f, (size_t)sent);
		}
		fxr_fax_result(f, &r);
		if (r.done && (ended_at || fxr_fax_out_peek(f, &p) == 0))
			return 0;
		int rc = wait_event(c, &ev, POLL_MS);
		if (rc >= 100)
			return rc - 100;
		if (rc == 1 && ev.type == FXR_CLIENT_EV_DATA && !ended_at &&
		    fxr_fax_in(f, ev.data, ev.len) < 0) {
			fprintf(stderr, "fxr-fax: the far end does not speak T.38 over TCP (TPKT)\n");
			return EXIT_FAX_FAILED;
		}
		uint64_t now = fxr_client_now_ms();
		if (rc == 1 && ev.type == FXR_CLIENT_EV_END && !ended_at) {
			ended_at = now;
			printf("end code=%s\n", fxr_code_name(ev.code));
		}
		if (ended_at && now - ended_at > END_GRACE_MS) {
			fprintf(stderr, "fxr-fax: the far end ended the call before the fax was done\n");
			return EXIT_FAX_FAILED;
		}
		if (now - start > CALL_LIMIT_MS) {
			fprintf(stderr, "fxr-fax: the fax did not finish in %u s\n", CALL_LIMIT_MS / 1000);
			return EXIT_FAX_FAILED;
		}
		fxr_fax_advance(f, (unsigned)(now - last));
		last = now;
	}
}

/* The seeds' closing: END, then RELEASE, then wait for RELEASED (the connection is idle and
 * may carry the next fax). */
static int end_and_release(struct fxr_client *c)
{
	struct fxr_client_event ev;
	if (fxr_client_end(c, FXR_CODE_OK) < 0 || fxr_client_release(c) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", fxr_client_reason(c));
		return EXIT_RELAY;
	}
	uint64_t deadline = fxr_client_now_ms() + RELEASE_WAIT_MS;
	while (fxr_client_now_ms() < deadline) {
		int rc = wait_event(c, &ev, 100);
		if (rc >= 100)
			return rc - 100;
		if (rc == 1 && ev.type == FXR_CLIENT_EV_RELEASED) {
			printf("released\n");
			return 0;
		}
	}
	fprintf(stderr, "fxr-fax: the relay did not confirm RELEASE in %d s\n", RELEASE_WAIT_MS / 1000);
	return EXIT_RELAY;
}

static int report(struct fxr_fax *f, int want_pages, const char *what, const char *file)
{
	struct fxr_fax_result r;
	fxr_fax_result(f, &r);
	printf("%s pages=%d result=%d (%s) rate=%d ecm=%d bytes=%llu%s%s\n", what, r.pages,
	       r.completion, r.text, r.bit_rate, r.ecm,
	       (unsigned long long)(r.bytes_out + r.bytes_in), file ? " file=" : "", file ? file : "");
	if (r.completion != 0) {
		fprintf(stderr, "fxr-fax: fax failed: %s\n", r.text);
		return EXIT_FAX_FAILED;
	}
	if (want_pages > 0 && r.pages != want_pages) {
		fprintf(stderr, "fxr-fax: %d of %d pages went through\n", r.pages, want_pages);
		return EXIT_FAX_FAILED;
	}
	return 0;
}

static int cmd_send(const struct relay_opts *o, const char *file)
{
	char err[512];
	struct fxr_client c;
	struct fxr_client_event ev;
	struct fxr_fax *f = NULL;
	/* a TIFF that cannot be faxed is refused before any call is made */
	int pages = fxr_fax_tiff_check(file, err, sizeof(err));
	if (pages < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		return EXIT_LOCAL;
	}
	int rc = login(o, &c);
	if (rc)
		goto out;
	uint32_t req;
	if (fxr_client_call(&c, o->to, &req) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", fxr_client_reason(&c));
		rc = EXIT_RELAY;
		goto out;
	}
	for (;;) {
		rc = wait_event(&c, &ev, 1000);
		if (rc >= 100) {
			rc -= 100;
			goto out;
		}
		if (rc == 1 && ev.type == FXR_CLIENT_EV_CONNECT_FAILED && ev.id == req) {
			fprintf(stderr, "fxr-fax: %s: %s\n", o->to, fxr_code_text(ev.code));
			printf("connect-failed to=%s code=%s\n", o->to, fxr_code_name(ev.code));
			rc = EXIT_REFUSED;
			goto out;
		}
		if (rc == 1 && ev.type == FXR_CLIENT_EV_CONNECTED && ev.id == req)
			break;
	}
	printf("connected peer=%s\n", ev.peer);
	struct fxr_fax_cfg cfg = { .role = FXR_FAX_SEND, .file = file, .ident = o->id, .ecm = o->ecm };
	if (fxr_fax_open(&f, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		rc = EXIT_LOCAL;
		goto out;
	}
	rc = fax_call(&c, f);
	if (!rc)
		rc = report(f, pages, "sent", NULL);
	int rc2 = end_and_release(&c);
	if (!rc)
		rc = rc2;
out:
	fxr_fax_close(f);
	fxr_client_fini(&c);
	return rc;
}

static int cmd_answer(const struct relay_opts *o)
{
	char err[512], path[4096];
	struct fxr_client c;
	struct fxr_client_event ev;
	struct fxr_fax *f = NULL;
	struct stat st;
	if (!o->reject && (stat(o->out_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "fxr-fax: %s: not a folder\n", o->out_dir);
		return EXIT_LOCAL;
	}
	int rc = login(o, &c);
	if (rc)
		goto out;
	for (;;) {
		rc = wait_event(&c, &ev, 1000);
		if (rc >= 100) {
			rc -= 100;
			goto out;
		}
		if (rc == 1 && ev.type == FXR_CLIENT_EV_INCOMING)
			break;
	}
	printf("incoming call=%u caller=%s\n", ev.id, ev.peer);
	if (o->reject) {
		rc = fxr_client_reject(&c, ev.id, FXR_CODE_REJECTED) < 0 ||
				     fxr_client_flush(&c, 5000) < 0
			     ? EXIT_RELAY
			     : 0;
		if (!rc)
			printf("rejected call=%u\n", ev.id);
		goto out;
	}
	char stamp[32];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
	if (snprintf(path, sizeof(path), "%s/fax-%s-%s-%u.tif", o->out_dir, ev.peer, stamp, ev.id) >=
	    (int)sizeof(path)) {
		fprintf(stderr, "fxr-fax: output path too long\n");
		rc = EXIT_LOCAL;
		goto out;
	}
	struct fxr_fax_cfg cfg = { .role = FXR_FAX_RECEIVE, .file = path, .ident = o->id, .ecm = o->ecm };
	if (fxr_fax_open(&f, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", err);
		rc = EXIT_LOCAL;
		goto out;
	}
	if (fxr_client_accept(&c, ev.id) < 0) {
		fprintf(stderr, "fxr-fax: %s\n", fxr_client_reason(&c));
		rc = EXIT_RELAY;
		goto out;
	}
	printf("accepted call=%u\n", ev.id);
	rc = fax_call(&c, f);
	if (!rc)
		rc = report(f, 0, "received", path);
	int rc2 = end_and_release(&c);
	if (!rc)
		rc = rc2;
out:
	fxr_fax_close(f);
	fxr_client_fini(&c);
	return rc;
}

int main(int argc, char **argv)
{
	enum { OPT_RELAY = 256, OPT_ID, OPT_PWFILE, OPT_TO, OPT_OUT, OPT_REJECT };
	static const struct option opts[] = {
		{ "no-ecm", no_argument, NULL, 'E' },
		{ "relay", required_argument, NULL, OPT_RELAY },
		{ "id", required_argument, NULL, OPT_ID },
		{ "password-file", required_argument, NULL, OPT_PWFILE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "reject", no_argument, NULL, OPT_REJECT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct relay_opts o = { .host = "127.0.0.1", .port = 4747, .ecm = 1 };
	const char *cmd = NULL;
	int c;
	setvbuf(stdout, NULL, _IOLBF, 0); /* one event a line, as it happens, even into a pipe */
	/* the command may stand anywhere among the options */
	while ((c = getopt_long(argc, argv, "-h", opts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (cmd) {
				optind--;
				goto positional;
			}
			cmd = optarg;
			break;
		case 'E': o.ecm = 0; break;
		case OPT_RELAY:
			if (fxr_cli_parse_relay(optarg, o.host, sizeof(o.host), &o.port)) {
				fprintf(stderr, "fxr-fax: --relay wants HOST[:PORT], not %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_ID: o.id = optarg; break;
		case OPT_PWFILE: o.password_file = optarg; break;
		case OPT_TO: o.to = optarg; break;
		case OPT_OUT: o.out_dir = optarg; break;
		case OPT_REJECT: o.reject = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
positional:
	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	char **rest = argv + optind;
	int left = argc - optind;
	if (strcmp(cmd, "check") == 0 && left == 1)
		return cmd_check(rest[0]);
	if (strcmp(cmd, "loopback") == 0 && left == 2)
		return cmd_loopback(rest[0], rest[1], o.ecm);
	int is_send = strcmp(cmd, "send") == 0, is_answer = strcmp(cmd, "answer") == 0;
	if ((is_send || is_answer) && !o.id) {
		fprintf(stderr, "fxr-fax: %s needs --id ID\n", cmd);
		return EXIT_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (is_send && left == 1) {
		if (!o.to) {
			fprintf(stderr, "fxr-fax: send needs --to ID\n");
			return EXIT_USAGE;
		}
		return cmd_send(&o, rest[0]);
	}
	if (is_answer && left == 0) {
		if (!o.out_dir == !o.reject) {
			fprintf(stderr, "fxr-fax: answer needs --out DIR or --reject\n");
			return EXIT_USAGE;
		}
		return cmd_answer(&o);
	}
	fprintf(stderr, "fxr-fax: unknown command or wrong arguments: %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
