/* fxrctl: the ops CLI (DESIGN.md §7). Talks to fxr-controlplane's ops socket (opsreq.h):
 * one request line out, one answer line back. Human tables by default, the answer's
 * "result" as JSON with --json. Exit 0 on success; otherwise 1 (the control plane refused)
 * or 2 (usage, no connection), with one line on stderr.
 *
 * There is no offline mode: every command goes through a running control plane, so the
 * registry has one writer that also kicks what it deletes (docs/operations.md). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fxr/scram-t.h"

#define TIMEOUT_MS 30000 /* for the answer: device add derives a key, list may be long */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fxrctl [--socket PATH] [--json] COMMAND\n"
		"\n"
		"commands:\n"
		"  status                 process, channel and table summary\n"
		"  stats                  every counter\n"
		"  device add ID          register ID; password read from stdin\n"
		"  device passwd ID       replace ID's password; read from stdin\n"
		"  device del ID          remove ID (its connections get BYE)\n"
		"  device list            registered devices\n"
		"  device show ID         one device and its connections\n"
		"  conns                  connections (IN/OUT: bytes from/to the device)\n"
		"  sessions               paired connections\n"
		"  kick ID                BYE(LOGGED_OUT) on every connection of ID\n"
		"  log-level [LEVEL]      show or set: error, warn, info, debug\n"
		"\n"
		"  --socket PATH  ops socket (default $FXR_OPS_SOCKET, else /run/fxr-fxr.sock)\n"
		"  --json         print the result as JSON\n");
}

static int die(int code, const char *fmt, const char *arg)
{
	fprintf(stderr, "fxrctl: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return code;
}

/* die() for errors while the request is being built: frees it first */
static int bad(json_t *req, int code, const char *fmt, const char *arg)
{
	json_decref(req);
	return die(code, fmt, arg);
}

/* Reads one line (the password) from stdin, without echo on a terminal. */
static int read_password(char *out, size_t cap)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, neu;
	if (tty) {
		fprintf(stderr, "password: ");
		tcgetattr(STDIN_FILENO, &old);
		neu = old;
		neu.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &neu);
	}
	char *r = fgets(out, (int)cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!r)
		return -1;
	size_t n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = 0;
	if (n && out[n - 1] == '\r')
		out[--n] = 0;
	return n == 0 ? -1 : 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends req and returns the answer line (malloc'd) or NULL with a reason in err. */
static char *call(const char *path, const char *req, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long");
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s (is fxr-controlplane running?)",
			 path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (write_all(fd, req, strlen(req)) != 0 || write_all(fd, "\n", 1) != 0) {
		snprintf(err, errlen, "write to %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (spent >= TIMEOUT_MS || poll(&p, 1, (int)(TIMEOUT_MS - spent)) <= 0) {
			snprintf(err, errlen, "no answer from %s", path);
			break;
		}
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0) {
			snprintf(err, errlen, "connection to %s closed without an answer", path);
			break;
		}
		len += (size_t)n;
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = 0;
			close(fd);
			return buf;
		}
	}
	close(fd);
	free(buf);
	return NULL;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_conns(json_t *a)
{
	printf("%-18s %-4s %-15s %-28s %-18s %8s %12s %12s  %s\n", "CONN", "LANE", "STATE",
	       "DEVICE", "PEER", "AGE_S", "IN", "OUT", "REMOTE");
	size_t i;
	json_t *c;
	json_array_foreach(a, i, c)
		printf("%-18s %-4lld %-15s %-28s %-18s %8lld %12lld %12lld  %s\n", str(c, "conn"),
		       num(c, "lane"), str(c, "state"), str(c, "device"), str(c, "peer"),
		       num(c, "age_s"), num(c, "bytes_in"), num(c, "bytes_out"), str(c, "remote"));
}

static void print_flat(const char *prefix, json_t *o)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (json_is_object(v)) {
			char p[128];
			snprintf(p, sizeof(p), "%s%s.", prefix, k);
			print_flat(p, v);
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				char p[128];
				snprintf(p, sizeof(p), "%s%s.%zu.", prefix, k, i);
				print_flat(p, e);
			}
		} else {
			char *s = json_dumps(v, JSON_ENCODE_ANY);
			printf("%s%-*s %s\n", prefix, (int)(40 - strlen(prefix)), k, s ? s : "?");
			free(s);
		}
	}
}

static void print_human(const char *cmd, json_t *r)
{
	size_t i;
	json_t *e;
	if (strcmp(cmd, "conns") == 0) {
		print_conns(r);
	} else if (strcmp(cmd, "sessions") == 0) {
		printf("%-18s %-28s %-18s %s\n", "A", "A_DEVICE", "B", "B_DEVICE");
		json_array_foreach(r, i, e)
			printf("%-18s %-28s %-18s %s\n", str(e, "a"), str(e, "a_device"),
			       str(e, "b"), str(e, "b_device"));
	} else if (strcmp(cmd, "device.list") == 0) {
		printf("%-40s %-7s %5s %5s  %s\n", "ID", "ENABLED", "LIMIT", "CONNS", "CREATED");
		json_array_foreach(r, i, e) {
			time_t t = (time_t)num(e, "created_at");
			struct tm tm;
			char ts[32];
			gmtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			printf("%-40s %-7s %5lld %5lld  %s\n", str(e, "id"),
			       json_is_true(json_object_get(e, "enabled")) ? "yes" : "no",
			       num(e, "conn_limit"), num(e, "connections"), ts);
		}
	} else if (strcmp(cmd, "device.show") == 0) {
		json_t *conns = json_object_get(r, "conns");
		json_incref(conns);
		json_object_del(r, "conns");
		print_flat("", r);
		printf("\n");
		print_conns(conns);
		json_decref(conns);
	} else if (strcmp(cmd, "device.add") == 0 || strcmp(cmd, "device.passwd") == 0) {
		printf("%s: ok\n", str(r, "id"));
	} else if (strcmp(cmd, "device.del") == 0 || strcmp(cmd, "kick") == 0) {
		printf("%s: ok, %lld connection(s) closed\n", str(r, "id"), num(r, "closed"));
	} else {
		print_flat("", r);
	}
}

int main(int argc, char **argv)
{
	const char *sock = getenv("FXR_OPS_SOCKET");
	int as_json = 0;
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 's': sock = optarg; break;
		case 'j': as_json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!sock || !*sock)
		sock = "/run/fxr-fxr.sock";
	int n = argc - optind;
	char **a = argv + optind;
	if (n < 1) {
		usage(stderr);
		return 2;
	}
	json_t *req = json_object();
	char cmd[32];
	int need_pw = 0;
	if (strcmp(a[0], "device") == 0) {
		static const char *const subs[] = { "add", "passwd", "del", "list", "show" };
		int ok = 0;
		for (size_t i = 0; n >= 2 && i < sizeof(subs) / sizeof(subs[0]); i++)
			ok |= strcmp(a[1], subs[i]) == 0;
		if (!ok)
			return bad(req, 2, "%s", "device: expected add, passwd, del, list or show");
		int want_id = strcmp(a[1], "list") != 0;
		if (n != 2 + want_id)
			return bad(req, 2, "device %s: wrong number of arguments", a[1]);
		snprintf(cmd, sizeof(cmd), "device.%s", a[1]);
		if (want_id)
			json_object_set_new(req, "id", json_string(a[2]));
		need_pw = strcmp(a[1], "add") == 0 || strcmp(a[1], "passwd") == 0;
	} else if (strcmp(a[0], "kick") == 0) {
		if (n != 2)
			return bad(req, 2, "%s", "kick: expected a device id");
		snprintf(cmd, sizeof(cmd), "kick");
		json_object_set_new(req, "id", json_string(a[1]));
	} else if (strcmp(a[0], "log-level") == 0) {
		if (n > 2)
			return bad(req, 2, "%s", "log-level: at most one level");
		snprintf(cmd, sizeof(cmd), "log-level");
		if (n == 2)
			json_object_set_new(req, "level", json_string(a[1]));
	} else if (strcmp(a[0], "status") == 0 || strcmp(a[0], "stats") == 0 ||
		   strcmp(a[0], "conns") == 0 || strcmp(a[0], "sessions") == 0) {
		if (n != 1)
			return bad(req, 2, "%s: takes no arguments", a[0]);
		snprintf(cmd, sizeof(cmd), "%s", a[0]);
	} else {
		return bad(req, 2, "unknown command '%s' (see --help)", a[0]);
	}
	json_object_set_new(req, "cmd", json_string(cmd));
	if (need_pw) {
		static char pw[FXR_SCRAM_PASSWORD_MAX + 2];
		if (read_password(pw, sizeof(pw)) != 0)
			return bad(req, 2, "%s", "no password on stdin");
		json_object_set_new(req, "password", json_string(pw));
		memset(pw, 0, sizeof(pw));
	}
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	char err[512];
	char *ans = line ? call(sock, line, err, sizeof(err)) : NULL;
	if (line) {
		memset(line, 0, strlen(line));
		free(line);
	}
	if (!ans)
		return die(2, "%s", err);
	json_error_t je;
	json_t *resp = json_loads(ans, 0, &je);
	free(ans);
	if (!resp || !json_is_object(resp))
		return bad(resp, 2, "%s", "unreadable answer from the control plane");
	int rc = 0;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		rc = die(1, "%s", str(resp, "error"));
	} else {
		json_t *r = json_object_get(resp, "result");
		if (as_json) {
			char *s = json_dumps(r, JSON_ENCODE_ANY | JSON_INDENT(2));
			printf("%s\n", s ? s : "null");
			free(s);
		} else {
			print_human(cmd, r);
		}
	}
	json_decref(resp);
	return rc;
}
