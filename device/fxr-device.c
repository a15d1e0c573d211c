/* fxr-device: a command-line FXR/1 device on libfxr (fxr/client.h, fxr/device.h). One event
 * per line on stdout ("connected req=1 peer=fax-b"), errors one line on stderr. Usage and
 * exit codes: fxr-device --help. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fxr/cli.h"
#include "fxr/client.h"
#include "fxr/code.h"
#include "fxr/devid.h"
#include "fxr/device.h"
#include "fxr/frame-t.h"

/* Exit codes (documented in usage()). */
enum {
	EXIT_OK_ = 0,
	EXIT_REFUSED = 1,  /* the call or transfer failed at the far end */
	EXIT_USAGE = 2,
	EXIT_RELAY = 3,    /* cannot reach the relay, or the connection was lost */
	EXIT_AUTH = 4,     /* login refused, or the relay is not authentic */
	EXIT_LOCAL = 5,    /* a local file or password problem */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct opts {
	char host[256];
	uint16_t port;
	const char *id;
	const char *password_file;
	const char *to;
	long for_s;
	unsigned conns;
	struct fxr_cli_secret secret;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: fxr-device [--relay HOST[:PORT]] --id ID [--password-file F] [options] COMMAND\n"
"\n"
"A device of an FXR/1 relay. The password is the first line of F, or of stdin.\n"
"\n"
"commands:\n"
"  login          log in and keep the connection(s) alive until SIGINT/SIGTERM or --for;\n"
"                 lost connections are opened again with back-off\n"
"  listen         log in, accept the next incoming call, print its events until END\n"
"  call ID        demand a connection to ID; on success end and release it\n"
"  send FILE      call --to ID, send FILE in DATA frames, END, wait for the peer's END,\n"
"                 RELEASE\n"
"  recv FILE      log in, accept the next call, write its DATA to FILE until END,\n"
"                 END, RELEASE\n"
"  list           print the devices that may be called and are logged in\n"
"  logout         log out every connection of this device\n"
"  session        log in --conns connections and run commands from stdin (so the\n"
"                 password comes from --password-file), one a line,\n"
"                 on connection N (0-based, the conn= of the events):\n"
"                   call N ID | cancel N CODE (the call under way) | accept N |\n"
"                   reject N CODE (the last incoming) | send N FILE | recv N FILE\n"
"                   BYTES (the next BYTES of DATA to FILE) | end N CODE | release N |\n"
"                   logout N | quit\n"
"                 until quit, end of stdin (once sends are done), or LOGOUT closed all\n"
"\n"
"options:\n"
"  --relay HOST[:PORT]  relay address (default localhost:%u; [v6addr]:PORT)\n"
"  --id ID              device identifier\n"
"  --password-file F    read the password from F instead of stdin\n"
"  --to ID              send: the destination\n"
"  --for SECONDS        login: stop after this time\n"
"  --conns N            login, session: connections to keep (1..%u, default 1)\n"
"  -h, --help           this text\n"
"\n"
"output: one event per line, \"NAME key=value ...\": logged-in, auth-failed, incoming,\n"
"connected, connect-failed, cancelled, data, end, released, list-entry, list-done,\n"
"keepalive-ack, bye, error, closed; send/recv end with \"sent bytes=N\" / \"received bytes=N\"\n"
"(session: \"sent conn=N bytes=N\", \"received conn=N bytes=N\", and \"command-failed\n"
"cmd=NAME reason=...\" for a command that could not be done).\n"
"\n"
"exit status: 0 success; 1 the call or transfer failed at the far end (connect-failed,\n"
"cancelled, a non-zero END); 2 usage; 3 relay unreachable or connection lost; 4 login\n"
"refused or relay not authentic; 5 local file or password error. SIGINT/SIGTERM end\n"
"login and session with 0 and the other commands with 3.\n",
		FXR_DEFAULT_PORT, FXR_DEVICE_MAX_CONN);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "fxr-device: %s (try --help)\n", msg);
	return EXIT_USAGE;
}

static int read_password(struct opts *o)
{
	char err[256];
	if (fxr_cli_read_password(o->password_file, &o->secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "fxr-device: %s\n", err);
		return EXIT_LOCAL;
	}
	return 0;
}

static const char *err_name(int err)
{
	switch (-err) {
	case 0: return "0";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case EBADMSG: return "EBADMSG";
	case EACCES: return "EACCES";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EPIPE: return "EPIPE";
	default: return "EOTHER";
	}
}

/* Prints one event as a line; conn >= 0 adds "conn=N". */
static void print_event(const struct fxr_client_event *ev, int conn)
{
	char pre[24] = "";
	if (conn >= 0)
		snprintf(pre, sizeof(pre), " conn=%d", conn);
	const char *name = fxr_client_ev_name(ev->type);
	switch (ev->type) {
	case FXR_CLIENT_EV_LOGGED_IN:
		printf("%s%s id=%s keepalive=%u idle=%u\n", name, pre, ev->peer, ev->keepalive_s,
		       ev->idle_timeout_s);
		break;
	case FXR_CLIENT_EV_INCOMING:
		printf("%s%s call=%" PRIu32 " peer=%s\n", name, pre, ev->id, ev->peer);
		break;
	case FXR_CLIENT_EV_CONNECTED:
		printf("%s%s req=%" PRIu32 " peer=%s\n", name, pre, ev->id, ev->peer);
		break;
	case FXR_CLIENT_EV_CONNECT_FAILED:
		printf("%s%s req=%" PRIu32 " code=%u name=%s\n", name, pre, ev->id, ev->code,
		       fxr_code_name(ev->code));
		break;
	case FXR_CLIENT_EV_CANCELLED:
		printf("%s%s call=%" PRIu32 " code=%u name=%s\n", name, pre, ev->id, ev->code,
		       fxr_code_name(ev->code));
		break;
	case FXR_CLIENT_EV_DATA:
	case FXR_CLIENT_EV_KEEPALIVE_ACK:
		printf("%s%s len=%zu\n", name, pre, ev->len);
		break;
	case FXR_CLIENT_EV_END:
		printf("%s%s code=%u name=%s\n", name, pre, ev->code, fxr_code_name(ev->code));
		break;
	case FXR_CLIENT_EV_LIST_ENTRY:
		printf("%s%s id=%s state=%s\n", name, pre, ev->peer,
		       ev->list_state == FXR_LIST_IDLE ? "idle" : "busy");
		break;
	case FXR_CLIENT_EV_LIST_DONE:
		printf("%s%s req=%" PRIu32 " count=%" PRIu32 "\n", name, pre, ev->id, ev->count);
		break;
	case FXR_CLIENT_EV_AUTH_FAILED:
	case FXR_CLIENT_EV_BYE:
	case FXR_CLIENT_EV_ERROR:
		printf("%s%s code=%u name=%s text=\"%s\"\n", name, pre, ev->code,
		       fxr_code_name(ev->code), ev->text);
		break;
	case FXR_CLIENT_EV_CLOSED:
		printf("%s%s err=%s code=%u reason=\"%s\"\n", name, pre, err_name(ev->err), ev->code,
		       ev->text);
		break;
	default:
		printf("%s%s\n", name, pre);
		break;
	}
	fflush(stdout);
}

/* The exit status a closing event stands for. */
static int closing_status(const struct fxr_client_event *ev)
{
	if (ev->type == FXR_CLIENT_EV_AUTH_FAILED)
		return EXIT_AUTH;
	return EXIT_RELAY;
}

/* Waits for the next event (printed). Returns 1, or an exit status (>= 0 encoded as
 * -(status+1)) when the connection ended or a signal came. */
static int next(struct fxr_client *c, struct fxr_client_event *ev)
{
	for (;;) {
		if (stop_flag)
			return -(EXIT_RELAY + 1);
		int rc = fxr_client_wait_event(c, ev, 1000);
		if (rc == 0)
			continue;
		if (rc < 0) {
			fprintf(stderr, "fxr-device: %s\n", fxr_client_reason(c));
			return -(EXIT_RELAY + 1);
		}
		if (ev->type != FXR_CLIENT_EV_DATA)
			print_event(ev, -1);
		if (ev->type == FXR_CLIENT_EV_AUTH_FAILED || ev->type == FXR_CLIENT_EV_CLOSED ||
		    ev->type == FXR_CLIENT_EV_BYE || ev->type == FXR_CLIENT_EV_ERROR) {
			if (ev->type == FXR_CLIENT_EV_CLOSED && ev->err)
				fprintf(stderr, "fxr-device: %s\n", ev->text);
			if (ev->type == FXR_CLIENT_EV_AUTH_FAILED)
				fprintf(stderr, "fxr-device: login failed: %s\n", ev->text);
			return -(closing_status(ev) + 1);
		}
		return 1;
	}
}

#define TRY_NEXT(c, ev)                                                               \
	do {                                                                          \
		int rc_ = next(c, ev);                                                \
		if (rc_ < 0)                                                          \
			return -rc_ - 1;                                              \
	} while (0)

static int open_login(struct opts *o, struct fxr_client *c)
{
	struct fxr_client_event ev;
	int rc = fxr_client_init(c, NULL);
	if (!rc)
		rc = fxr_client_connect(c, o->host, o->port);
	if (!rc)
		rc = fxr_client_login(c, o->id, o->secret.password, o->secret.len);
	fxr_cli_secret_wipe(&o->secret);
	if (rc) {
		fprintf(stderr, "fxr-device: %s\n", fxr_client_reason(c));
		return rc == -EINVAL ? EXIT_USAGE : EXIT_RELAY;
	}
	for (;;) {
		TRY_NEXT(c, &ev);
		if (ev.type == FXR_CLIENT_EV_LOGGED_IN)
			return 0;
	}
}

/* Queues an operation's frame, waiting for room in the tx buffer. */
static int op_wait(struct fxr_client *c, int rc)
{
	if (rc == 0)
		return 0;
	fprintf(stderr, "fxr-device: %s\n", fxr_client_reason(c));
	return rc == -EPROTO ? EXIT_REFUSED : EXIT_RELAY;
}

static int release(struct fxr_client *c, bool send_end, uint16_t reason)
{
	struct fxr_client_event ev;
	int rc = 0;
	if (send_end)
		rc = op_wait(c, fxr_client_end(c, reason));
	if (!rc)
		rc = op_wait(c, fxr_client_release(c));
	if (rc)
		return rc;
	for (;;) {
		TRY_NEXT(c, &ev);
		if (ev.type == FXR_CLIENT_EV_RELEASED)
			return 0;
	}
}

/* Calls dest; returns 0 when CONNECTED, else an exit status. */
static int do_connect(struct fxr_client *c, const char *dest)
{
	struct fxr_client_event ev;
	uint32_t req;
	int rc = op_wait(c, fxr_client_call(c, dest, &req));
	if (rc)
		return rc;
	for (;;) {
		TRY_NEXT(c, &ev);
		if (ev.type == FXR_CLIENT_EV_CONNECTED && ev.id == req)
			return 0;
		if (ev.type == FXR_CLIENT_EV_CONNECT_FAILED && ev.id == req)
			return EXIT_REFUSED;
	}
}

static int cmd_call(struct opts *o, struct fxr_client *c, const char *dest)
{
	int rc = open_login(o, c);
	if (!rc)
		rc = do_connect(c, dest);
	if (!rc)
		rc = release(c, true, FXR_CODE_OK);
	return rc;
}

static int cmd_send(struct opts *o, struct fxr_client *c, const char *path)
{
	struct fxr_client_event ev;
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fxr-device: %s: %s\n", path, strerror(errno));
		return EXIT_LOCAL;
	}
	int rc = open_login(o, c);
	if (!rc)
		rc = do_connect(c, o->to);
	static uint8_t buf[FXR_FRAME_MAX_PAYLOAD];
	uint64_t total = 0;
	while (!rc) {
		size_t n = fread(buf, 1, sizeof(buf), f);
		if (n == 0) {
			if (ferror(f)) {
				fprintf(stderr, "fxr-device: %s: read error\n", path);
				rc = EXIT_LOCAL;
			}
			break;
		}
		size_t off = 0;
		while (!rc && off < n) {
			long sent = fxr_client_send_data(c, buf + off, n - off);
			if (sent > 0) {
				off += (size_t)sent;
				total += (uint64_t)sent;
				continue;
			}
			if (sent != -ENOBUFS) {
				rc = op_wait(c, (int)sent);
				break;
			}
			/* tx full: let the socket drain, and watch for the peer giving up */
			if (fxr_client_wait(c, 1000) < 0 || stop_flag) {
				rc = EXIT_RELAY;
				break;
			}
			while (!rc && fxr_client_next_event(c, &ev) > 0) {
				print_event(&ev, -1);
				if (ev.type == FXR_CLIENT_EV_END)
					rc = EXIT_REFUSED;
				else if (ev.type == FXR_CLIENT_EV_CLOSED || ev.type == FXR_CLIENT_EV_BYE ||
					 ev.type == FXR_CLIENT_EV_ERROR)
					rc = EXIT_RELAY;
			}
		}
	}
	fclose(f);
	if (rc == EXIT_REFUSED && fxr_client_state(c) == FXR_CLIENT_PAIRED)
		release(c, true, FXR_CODE_OK);
	if (rc)
		return rc;
	rc = op_wait(c, fxr_client_end(c, FXR_CODE_OK));
	/* the receiver confirms with its own END */
	while (!rc) {
		int r = next(c, &ev);
		if (r < 0)
			return -r - 1;
		if (ev.type == FXR_CLIENT_EV_END) {
			rc = ev.code == FXR_CODE_OK ? 0 : EXIT_REFUSED;
			break;
		}
	}
	if (!rc || rc == EXIT_REFUSED) {
		int r = release(c, false, 0);
		if (r)
			return r;
	}
	if (!rc)
		printf("sent bytes=%" PRIu64 "\n", total);
	return rc;
}

/* Logs in, accepts the next call, and reports its DATA to out (NULL: print events) until
 * END; then answers END and releases. */
static int cmd_answer(struct opts *o, struct fxr_client *c, const char *path)
{
	struct fxr_client_event ev;
	FILE *out = NULL;
	if (path) {
		out = fopen(path, "wb");
		if (!out) {
			fprintf(stderr, "fxr-device: %s: %s\n", path, strerror(errno));
			return EXIT_LOCAL;
		}
	}
	int rc = open_login(o, c);
	uint64_t total = 0;
	uint16_t reason = FXR_CODE_OK;
	while (!rc) {
		rc = next(c, &ev);
		rc = rc < 0 ? -rc - 1 : 0;
		if (rc || ev.type != FXR_CLIENT_EV_INCOMING)
			continue;
		rc = op_wait(c, fxr_client_accept(c, ev.id));
		break;
	}
	while (!rc) {
		int r = next(c, &ev);
		if (r < 0) {
			rc = -r - 1;
			break;
		}
		if (ev.type == FXR_CLIENT_EV_CANCELLED) {
			rc = EXIT_REFUSED;
			break;
		}
		if (ev.type == FXR_CLIENT_EV_DATA) {
			total += ev.len;
			if (!out)
				print_event(&ev, -1);
			else if (ev.len && fwrite(ev.data, 1, ev.len, out) != ev.len) {
				fprintf(stderr, "fxr-device: %s: write error\n", path);
				rc = EXIT_LOCAL;
				reason = FXR_CODE_INTERNAL;
			}
		}
		if (ev.type == FXR_CLIENT_EV_END) {
			reason = ev.code == FXR_CODE_OK ? FXR_CODE_OK : reason;
			if (ev.code != FXR_CODE_OK)
				rc = EXIT_REFUSED;
			break;
		}
	}
	if (out && fclose(out) != 0 && !rc) {
		fprintf(stderr, "fxr-device: %s: %s\n", path, strerror(errno));
		rc = EXIT_LOCAL;
	}
	if (fxr_client_state(c) == FXR_CLIENT_PAIRED) {
		int r = release(c, true, rc ? (reason ? reason : FXR_CODE_INTERNAL) : FXR_CODE_OK);
		if (r && !rc)
			rc = r;
	}
	if (!rc && path)
		printf("received bytes=%" PRIu64 "\n", total);
	return rc;
}

static int cmd_list(struct opts *o, struct fxr_client *c)
{
	struct fxr_client_event ev;
	int rc = open_login(o, c);
	uint32_t req;
	if (!rc)
		rc = op_wait(c, fxr_client_list(c, &req));
	while (!rc) {
		TRY_NEXT(c, &ev);
		if (ev.type == FXR_CLIENT_EV_LIST_DONE && ev.id == req)
			break;
	}
	return rc;
}

static int cmd_logout(struct opts *o, struct fxr_client *c)
{
	struct fxr_client_event ev;
	int rc = open_login(o, c);
	if (!rc)
		rc = op_wait(c, fxr_client_logout(c));
	while (!rc) {
		int r = next(c, &ev);
		if (r >= 0)
			continue;
		/* the relay answers BYE(LOGGED_OUT) and closes */
		return ev.type == FXR_CLIENT_EV_BYE && ev.code == FXR_CODE_LOGGED_OUT ? 0 : -r - 1;
	}
	return rc;
}

/* login: N connections kept logged in (spares), reconnecting, until a signal or --for. */
static int cmd_login(struct opts *o)
{
	struct fxr_device *d = calloc(1, sizeof(*d));
	if (!d)
		return EXIT_LOCAL;
	struct fxr_device_config cfg = { .host = o->host, .port = o->port, .id = o->id,
					 .password = o->secret.password, .pw_len = o->secret.len,
					 .nconn = o->conns, .seed = fxr_client_now_ms() };
	int rc = fxr_device_init(d, &cfg);
	fxr_cli_secret_wipe(&o->secret);
	if (rc) {
		free(d);
		fprintf(stderr, "fxr-device: %s\n", strerror(-rc));
		return EXIT_USAGE;
	}
	uint64_t start = fxr_client_now_ms();
	int status = 0;
	bool ever_in = false;
	while (!stop_flag) {
		uint64_t now = fxr_client_now_ms();
		if (o->for_s >= 0 && now - start >= (uint64_t)o->for_s * 1000u)
			break;
		int t = fxr_device_tick(d, now);
		struct fxr_client_event ev;
		unsigned idx;
		while (fxr_device_next_event(d, &idx, &ev) > 0) {
			print_event(&ev, (int)idx);
			if (ev.type == FXR_CLIENT_EV_LOGGED_IN)
				ever_in = true;
			/* a refused login is not worth retrying until it is fixed */
			if (ev.type == FXR_CLIENT_EV_AUTH_FAILED && !ever_in) {
				fprintf(stderr, "fxr-device: login failed: %s\n", ev.text);
				fxr_device_stop(d);
				status = EXIT_AUTH;
			}
		}
		if (d->stopped && !fxr_device_logged_in(d)) {
			bool open = false;
			for (unsigned i = 0; i < d->n; i++)
				open |= fxr_client_fd(fxr_device_client(d, i)) >= 0;
			if (!open)
				break;
		}
		struct pollfd pfd[FXR_DEVICE_MAX_CONN];
		unsigned n = fxr_device_pollfds(d, pfd, FXR_DEVICE_MAX_CONN);
		if (t < 0 || t > 1000)
			t = 1000;
		if (poll(pfd, n, t) > 0)
			fxr_device_on_poll(d, pfd, n);
	}
	fxr_device_fini(d);
	free(d);
	return status;
}

/* ---- session: commands on stdin ---- */

struct sess_conn {
	uint32_t call_id;        /* of the last INCOMING */
	uint8_t *out;            /* send: the file's bytes, queued from out_off on */
	size_t out_len, out_off;
	FILE *sink;              /* recv: the next sink_left bytes of DATA go here */
	uint64_t sink_left, sink_total;
};

struct sess {
	struct fxr_device *d;
	struct sess_conn sc[FXR_DEVICE_MAX_CONN];
	char line[1024];
	size_t line_len;
	bool eof, quit;
};

static void sess_fail(const char *cmd, const char *reason)
{
	printf("command-failed cmd=%s reason=\"%s\"\n", cmd, reason);
	fflush(stdout);
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -EIO;
	}
	*buf = malloc(n ? (size_t)n : 1);
	if (!*buf || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		free(*buf);
		*buf = NULL;
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

/* Queues what the tx buffers take of the pending sends. */
static void sess_pump(struct sess *s)
{
	for (unsigned i = 0; i < s->d->n; i++) {
		struct sess_conn *sc = &s->sc[i];
		struct fxr_client *c = fxr_device_client(s->d, i);
		while (sc->out && sc->out_off < sc->out_len) {
			long n = fxr_client_send_data(c, sc->out + sc->out_off, sc->out_len - sc->out_off);
			if (n == -ENOBUFS)
				break;
			if (n < 0) {
				sess_fail("send", fxr_client_reason(c));
				sc->out_off = sc->out_len;
				break;
			}
			sc->out_off += (size_t)n;
		}
		if (sc->out && sc->out_off == sc->out_len) {
			printf("sent conn=%u bytes=%zu\n", i, sc->out_len);
			fflush(stdout);
			free(sc->out);
			sc->out = NULL;
		}
	}
}

/* One DATA event of connection i: to its sink, or printed. */
static void sess_data(struct sess *s, unsigned i, const struct fxr_client_event *ev)
{
	struct sess_conn *sc = &s->sc[i];
	if (!sc->sink || ev->len > sc->sink_left) {
		print_event(ev, (int)i);
		if (sc->sink)
			sess_fail("recv", "more DATA than expected");
		return;
	}
	if (ev->len && fwrite(ev->data, 1, ev->len, sc->sink) != ev->len)
		sess_fail("recv", "write error");
	sc->sink_left -= ev->len;
	if (sc->sink_left == 0) {
		if (fclose(sc->sink) != 0)
			sess_fail("recv", "write error");
		sc->sink = NULL;
		printf("received conn=%u bytes=%" PRIu64 "\n", i, sc->sink_total);
		fflush(stdout);
	}
}

/* Runs one command line. */
static void sess_command(struct sess *s, char *line)
{
	char *argv[5];
	int argc = 0;
	for (char *t = strtok(line, " \t"); t && argc < 5; t = strtok(NULL, " \t"))
		argv[argc++] = t;
	if (argc == 0)
		return;
	const char *cmd = argv[0];
	if (!strcmp(cmd, "quit")) {
		s->quit = true;
		return;
	}
	char *e;
	unsigned long n = argc >= 2 ? strtoul(argv[1], &e, 10) : 0;
	if (argc < 2 || !*argv[1] || *e || n >= s->d->n) {
		sess_fail(cmd, "no such connection");
		return;
	}
	struct fxr_client *c = fxr_device_client(s->d, (unsigned)n);
	struct sess_conn *sc = &s->sc[n];
	int rc = 0;
	uint32_t req;
	if (!strcmp(cmd, "call") && argc == 3 && fxr_devid_valid_cstr(argv[2])) {
		rc = fxr_client_call(c, argv[2], &req);
	} else if (!strcmp(cmd, "accept") && argc == 2) {
		rc = fxr_client_accept(c, sc->call_id);
	} else if (!strcmp(cmd, "send") && argc == 3) {
		if (sc->out) {
			sess_fail(cmd, "a send is under way");
			return;
		}
		if ((rc = read_file(argv[2], &sc->out, &sc->out_len)) < 0) {
			sess_fail(cmd, strerror(-rc));
			return;
		}
		sc->out_off = 0;
		sess_pump(s);
		return;
	} else if (!strcmp(cmd, "recv") && argc == 4) {
		uint64_t bytes = strtoull(argv[3], &e, 10);
		if (sc->sink || !*argv[3] || *e || bytes == 0) {
			sess_fail(cmd, sc->sink ? "a recv is under way" : "bad BYTES");
			return;
		}
		if (!(sc->sink = fopen(argv[2], "wb"))) {
			sess_fail(cmd, strerror(errno));
			return;
		}
		sc->sink_left = sc->sink_total = bytes;
		return;
	} else if ((!strcmp(cmd, "end") || !strcmp(cmd, "cancel") || !strcmp(cmd, "reject"))
		   && argc == 3) {
		unsigned long code = strtoul(argv[2], &e, 10);
		if (!*argv[2] || *e || code > 65535) {
			sess_fail(cmd, "bad CODE");
			return;
		}
		if (cmd[0] == 'e')
			rc = fxr_client_end(c, (uint16_t)code);
		else if (cmd[0] == 'c')
			rc = fxr_client_cancel(c, (uint16_t)code);
		else
			rc = fxr_client_reject(c, sc->call_id, (uint16_t)code);
	} else if (!strcmp(cmd, "release") && argc == 2) {
		rc = fxr_client_release(c);
	} else if (!strcmp(cmd, "logout") && argc == 2) {
		rc = fxr_client_logout(c);
	} else {
		sess_fail(cmd, "unknown command or arguments");
		return;
	}
	if (rc < 0)
		sess_fail(cmd, fxr_client_reason(c));
}

/* Reads what stdin has and runs its complete lines. */
static void sess_stdin(struct sess *s)
{
	ssize_t n = read(0, s->line + s->line_len, sizeof(s->line) - 1 - s->line_len);
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			s->eof = true;
		return;
	}
	s->line_len += (size_t)n;
	char *nl;
	while ((nl = memchr(s->line, '\n', s->line_len)) != NULL) {
		*nl = 0;
		sess_command(s, s->line);
		s->line_len -= (size_t)(nl + 1 - s->line);
		memmove(s->line, nl + 1, s->line_len);
	}
	if (s->line_len == sizeof(s->line) - 1) {
		sess_fail("?", "line too long");
		s->line_len = 0;
	}
}

static bool sess_sending(const struct sess *s)
{
	for (unsigned i = 0; i < s->d->n; i++)
		if (s->sc[i].out)
			return true;
	return false;
}

static int cmd_session(struct opts *o)
{
	static struct sess s;
	s.d = calloc(1, sizeof(*s.d));
	if (!s.d)
		return EXIT_LOCAL;
	struct fxr_device_config cfg = { .host = o->host, .port = o->port, .id = o->id,
					 .password = o->secret.password, .pw_len = o->secret.len,
					 .nconn = o->conns, .seed = fxr_client_now_ms() };
	int rc = fxr_device_init(s.d, &cfg);
	fxr_cli_secret_wipe(&o->secret);
	if (rc) {
		free(s.d);
		fprintf(stderr, "fxr-device: %s\n", strerror(-rc));
		return EXIT_USAGE;
	}
	int status = 0;
	while (!stop_flag && !s.quit && !(s.eof && !sess_sending(&s))) {
		int t = fxr_device_tick(s.d, fxr_client_now_ms());
		struct fxr_client_event ev;
		unsigned idx;
		while (fxr_device_next_event(s.d, &idx, &ev) > 0) {
			if (ev.type == FXR_CLIENT_EV_DATA) {
				sess_data(&s, idx, &ev);
				continue;
			}
			print_event(&ev, (int)idx);
			if (ev.type == FXR_CLIENT_EV_INCOMING)
				s.sc[idx].call_id = ev.id;
			if (ev.type == FXR_CLIENT_EV_AUTH_FAILED) {
				fprintf(stderr, "fxr-device: login failed: %s\n", ev.text);
				fxr_device_stop(s.d);
				status = EXIT_AUTH;
			}
		}
		sess_pump(&s);
		if (s.d->stopped && !fxr_device_logged_in(s.d)) {
			bool open = false;
			for (unsigned i = 0; i < s.d->n; i++)
				open |= fxr_client_fd(fxr_device_client(s.d, i)) >= 0;
			if (!open)
				break;
		}
		struct pollfd pfd[FXR_DEVICE_MAX_CONN + 1];
		unsigned n = fxr_device_pollfds(s.d, pfd, FXR_DEVICE_MAX_CONN);
		pfd[n] = (struct pollfd){ .fd = s.eof ? -1 : 0, .events = POLLIN };
		if (t < 0 || t > 1000)
			t = 1000;
		if (poll(pfd, n + 1, t) > 0) {
			fxr_device_on_poll(s.d, pfd, n);
			if (pfd[n].revents)
				sess_stdin(&s);
		}
	}
	for (unsigned i = 0; i < FXR_DEVICE_MAX_CONN; i++) {
		free(s.sc[i].out);
		if (s.sc[i].sink)
			fclose(s.sc[i].sink);
	}
	fxr_device_fini(s.d);
	free(s.d);
	return status;
}

int main(int argc, char **argv)
{
	struct opts o = { .port = FXR_DEFAULT_PORT, .for_s = -1, .conns = 1 };
	snprintf(o.host, sizeof(o.host), "localhost");
	enum { OPT_RELAY = 256, OPT_ID, OPT_PWFILE, OPT_TO, OPT_FOR, OPT_CONNS };
	static const struct option longopts[] = {
		{ "relay", required_argument, NULL, OPT_RELAY },
		{ "id", required_argument, NULL, OPT_ID },
		{ "password-file", required_argument, NULL, OPT_PWFILE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "for", required_argument, NULL, OPT_FOR },
		{ "conns", required_argument, NULL, OPT_CONNS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	char *e;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case OPT_RELAY:
			if (fxr_cli_parse_relay(optarg, o.host, sizeof(o.host), &o.port))
				return usage_error("bad --relay HOST[:PORT]");
			break;
		case OPT_ID:
			o.id = optarg;
			break;
		case OPT_PWFILE:
			o.password_file = optarg;
			break;
		case OPT_TO:
			o.to = optarg;
			break;
		case OPT_FOR:
			o.for_s = strtol(optarg, &e, 10);
			if (!*optarg || *e || o.for_s < 0)
				return usage_error("bad --for SECONDS");
			break;
		case OPT_CONNS: {
			long n = strtol(optarg, &e, 10);
			if (!*optarg || *e || n < 1 || n > FXR_DEVICE_MAX_CONN)
				return usage_error("bad --conns N");
			o.conns = (unsigned)n;
			break;
		}
		default:
			return usage_error("unknown option");
		}
	}
	if (optind >= argc)
		return usage_error("no command");
	const char *cmd = argv[optind++];
	const char *arg = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return usage_error("too many arguments");
	bool needs_arg = !strcmp(cmd, "call") || !strcmp(cmd, "send") || !strcmp(cmd, "recv");
	bool known = needs_arg || !strcmp(cmd, "login") || !strcmp(cmd, "listen") ||
		     !strcmp(cmd, "list") || !strcmp(cmd, "logout") || !strcmp(cmd, "session");
	if (!known)
		return usage_error("unknown command");
	if (needs_arg != (arg != NULL))
		return usage_error(needs_arg ? "missing argument" : "unexpected argument");
	if (!o.id || !fxr_devid_valid_cstr(o.id))
		return usage_error("--id ID is required (1..64 of [A-Za-z0-9._@+-])");
	if (!strcmp(cmd, "call") && !fxr_devid_valid_cstr(arg))
		return usage_error("bad destination id");
	if (!strcmp(cmd, "send") && (!o.to || !fxr_devid_valid_cstr(o.to)))
		return usage_error("send needs --to ID");
	if (!strcmp(cmd, "session") && !o.password_file)
		return usage_error("session needs --password-file (stdin carries the commands)");

	int rc = read_password(&o);
	if (rc)
		return rc;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(cmd, "login"))
		return cmd_login(&o);
	if (!strcmp(cmd, "session"))
		return cmd_session(&o);
	struct fxr_client c;
	if (!strcmp(cmd, "call"))
		rc = cmd_call(&o, &c, arg);
	else if (!strcmp(cmd, "send"))
		rc = cmd_send(&o, &c, arg);
	else if (!strcmp(cmd, "recv"))
		rc = cmd_answer(&o, &c, arg);
	else if (!strcmp(cmd, "listen"))
		rc = cmd_answer(&o, &c, NULL);
	else if (!strcmp(cmd, "list"))
		rc = cmd_list(&o, &c);
	else
		rc = cmd_logout(&o, &c);
	fxr_client_fini(&c);
	return rc;
}
