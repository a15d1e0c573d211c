/* bench/load/fxr-load.c: the load client and test servers of the end-to-end benchmark
 * (DESIGN.md §8, scripts/bench). One program, two roles:
 *
 *   fxr-load server --mode sink|echo|pong|hold --listen IP:PORT
 *   fxr-load client --mode stream|sessions|latency|hold --connect IP:PORT [options]
 *   fxr-load selftest
 *
 * Kernel sockets, one thread, epoll (level-triggered), every socket non-blocking. Each run
 * prints exactly one JSON object on stdout (a server at its exit, `client hold` once all its
 * connections are up, every other client at the end of its run); diagnostics go to stderr.
 * Everything is bounded: durations by --duration/--max-time (at most FXR_LOAD_MAX_SECONDS),
 * connection counts by --conns/--max-conns (at most FXR_LOAD_MAX_CONNS).
 *
 * Latency figures come from a fixed log-linear histogram in nanoseconds (128 sub-buckets an
 * octave, relative bucket width < 0.8 %); a percentile is the upper edge of the bucket that
 * holds its rank, so it is exact to the bucket and never optimistic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "fxr-load.h"

/* ---- time ---------------------------------------------------------------------------- */

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- histogram ------------------------------------------------------------------------ */

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return HIST_SUB * shift + (unsigned)(v >> shift);
}

/* the largest value that lands in bucket i */
static uint64_t hist_upper(unsigned i)
{
	unsigned shift, top;

	if (i < 2u * HIST_SUB)
		return i;
	shift = i / HIST_SUB - 1u;
	top = i - HIST_SUB * shift;
	return (((uint64_t)top + 1u) << shift) - 1u;
}

void hist_add(struct hist *h, uint64_t v)
{
	const uint64_t limit = (1ull << HIST_MAX_BIT) - 1u;

	if (v > limit) {
		v = limit;
		h->clamped++;
	}
	h->count[hist_index(v)]++;
	h->n++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* p in (0, 1]: the upper edge of the bucket holding the ceil(p * n)-th smallest sample, capped
 * at the largest sample seen; 0 when empty. */
static uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)ceil(p * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank) {
			uint64_t up = hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

void hist_json(const struct hist *h, const char *prefix)
{
	printf("\"%ssamples\":%" PRIu64 ",\"%sclamped\":%" PRIu64 ",", prefix, h->n, prefix,
	       h->clamped);
	printf("\"%smin_ns\":%" PRIu64 ",\"%smean_ns\":%.0f,\"%sp50_ns\":%" PRIu64
	       ",\"%sp99_ns\":%" PRIu64 ",\"%sp999_ns\":%" PRIu64 ",\"%smax_ns\":%" PRIu64,
	       prefix, h->n ? h->min : 0, prefix, h->n ? h->sum / (double)h->n : 0.0, prefix,
	       hist_pct(h, 0.50), prefix, hist_pct(h, 0.99), prefix, hist_pct(h, 0.999), prefix,
	       h->max);
}

/* ---- options --------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: fxr-load server --mode MODE --listen IP:PORT [--max-conns N] [--max-time S]\n"
"       fxr-load client --mode MODE --connect IP:PORT [--conns N] [--duration S]\n"
"                       [--warmup S] [--dir one|both] [--rate R] [--max-time S]\n"
"                       [--source IP] [--fxr CALLER[:CALLEE] --password-file FILE\n"
"                       [--dev-conns K] [--dev-first F]]\n"
"       fxr-load selftest\n"
"\n"
"server modes (run until SIGINT/SIGTERM or --max-time, then print one JSON object):\n"
"  sink      read and discard, count bytes\n"
"  echo      send back every byte received\n"
"  pong      send back each whole 64-byte message received\n"
"  hold      accept and keep connections idle\n"
"client modes (print one JSON object):\n"
"  stream    N connections sending 64 KB writes for D seconds; --dir one (to a sink) or\n"
"            both (to an echo server; reads too); reports bytes and Gbit/s\n"
"  sessions  N slots, each looping connect -> send 1 KB -> read 1 KB back -> close\n"
"            (to an echo server) for D seconds; reports sessions/s\n"
"  latency   64-byte ping-pong (to a pong server) over N connections, at --rate R pings/s\n"
"            in total (open loop, RTT counted from the scheduled send time) or closed loop\n"
"            (--rate 0, one ping in flight a connection); reports p50/p99/p99.9 in ns\n"
"  hold      open N idle connections, print the JSON object once all are up, then wait\n"
"            for SIGINT/SIGTERM or --max-time and close them\n"
"options:\n"
"  --conns N      connections or slots (1..%u; default 1, hold default 1000)\n"
"  --max-conns N  server: open connections at once (default %u)\n"
"  --duration S   measured seconds (default 5)\n"
"  --warmup S     seconds before measuring (default 1)\n"
"  --rate R       latency: pings a second in total (default 0 = closed loop)\n"
"  --dir one|both stream direction (default one)\n"
"  --nodelay      TCP_NODELAY on client sockets\n"
"  --max-time S   hard bound on the whole run (default 600 s, at most %.0f)\n"
"  --source IP    client: connect from this local address (one address has at most 64512\n"
"                 ports towards one relay port: several clients use several addresses)\n"
"FXR/1 through a relay (client --fxr; --connect names the relay's port):\n"
"  --fxr CALLER:CALLEE  id prefixes: caller connection i logs in as device CALLER<i/K>,\n"
"                 callee connection j as CALLEE<j/K> (K = --dev-conns, default 8, the\n"
"                 relay's default per-device limit), with SCRAM-SHA-256, the salted\n"
"                 password derived once per device. stream, latency: N callers each\n"
"                 CONNECT to a callee device (in turn), whose N connections ACCEPT and\n"
"                 sink (stream one) or send the DATA frames back (stream both, latency);\n"
"                 bytes and pings are DATA payload. sessions: N caller slots and 2N\n"
"                 callee connections; each session is CONNECT -> CONNECTED -> 1 KB DATA\n"
"                 each way -> END + RELEASE -> RELEASED on connections logged in once at\n"
"                 the start; BUSY answers are retried and counted\n"
"  --fxr CALLER   hold: N idle connections logged in as CALLER<i/K>; reported once all\n"
"                 have AUTH_OK\n"
"  --password-file FILE  every device's password (first line)\n"
"  --dev-conns K  connections a device (1..65535)\n"
"  --dev-first F  hold: the first device is CALLER<F> (default 0), so that several hold\n"
"                 clients log in as distinct devices\n"
"selftest: checks the histogram against known data and the FXR/1 login against RFC 7677's\n"
"example; exit status 0 when both hold\n",
		FXR_LOAD_MAX_CONNS, FXR_LOAD_MAX_CONNS, FXR_LOAD_MAX_SECONDS);
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static int parse_mode(const char *s, enum mode *m)
{
	static const struct { const char *name; enum mode mode; } modes[] = {
		{ "sink", MODE_SINK }, { "echo", MODE_ECHO }, { "pong", MODE_PONG },
		{ "hold", MODE_HOLD }, { "stream", MODE_STREAM }, { "sessions", MODE_SESSIONS },
		{ "latency", MODE_LATENCY },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, modes[i].name) == 0) {
			*m = modes[i].mode;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*end != '\0' || !(v >= lo && v <= hi))
		return -EINVAL;
	*out = v;
	return 0;
}

/* a device identifier (DESIGN.md §2): 1..64 bytes of [A-Za-z0-9._@+-] */
static bool devid_ok(const char *s, size_t len)
{
	if (len == 0 || len > FXR_LOAD_DEVID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("._@+-", ch) != NULL))
			return false;
	}
	return true;
}

/* --fxr CALLER[:CALLEE]: two id prefixes */
static int parse_devices(const char *s, struct opts *o)
{
	const char *colon = strchr(s, ':');
	size_t a = colon ? (size_t)(colon - s) : strlen(s);

	if (!devid_ok(s, a) || a > FXR_LOAD_PREFIX_MAX ||
	    (colon && (!devid_ok(colon + 1, strlen(colon + 1)) ||
		       strlen(colon + 1) > FXR_LOAD_PREFIX_MAX)))
		return -EINVAL;
	memcpy(o->caller, s, a);
	o->caller[a] = '\0';
	o->callee[0] = '\0';
	if (colon)
		strcpy(o->callee, colon + 1);
	o->fxr = true;
	return 0;
}

/* --password-file: its first line, without the newline */
static int read_password(const char *path, struct opts *o)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -errno;
	n = fread(o->password, 1, sizeof(o->password) - 1, f);
	fclose(f);
	o->password[n] = '\0';
	o->pw_len = strcspn(o->password, "\r\n");
	o->password[o->pw_len] = '\0';
	return o->pw_len > 0 ? 0 : -EINVAL;
}

/* returns 0, or 2 after printing why (the exit status for a usage error) */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "conns", required_argument, NULL, 'n' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'D' },
		{ "nodelay", no_argument, NULL, 'N' },
		{ "max-time", required_argument, NULL, 't' },
		{ "fxr", required_argument, NULL, 'F' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "dev-conns", required_argument, NULL, 'K' },
		{ "dev-first", required_argument, NULL, 'B' },
		{ "source", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_mode = false, have_addr = false, have_conns = false;
	double v;
	int c;

	memset(o, 0, sizeof(*o));
	o->conns = 1;
	o->max_conns = FXR_LOAD_MAX_CONNS;
	o->duration = 5;
	o->warmup = 1;
	o->max_time = 600;
	o->dev_conns = 8;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "server") == 0)
		o->role = ROLE_SERVER;
	else if (strcmp(argv[1], "client") == 0)
		o->role = ROLE_CLIENT;
	else if (strcmp(argv[1], "selftest") == 0)
		o->role = ROLE_SELFTEST;
	else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		exit(0);
	} else {
		fprintf(stderr, "fxr-load: first argument must be server, client or selftest\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_mode(optarg, &o->mode) < 0)
				goto bad;
			have_mode = true;
			break;
		case 'l':
		case 'c':
			if (parse_addr(optarg, &o->addr) < 0)
				goto bad;
			have_addr = true;
			break;
		case 'n':
		case 'M':
			if (parse_double(optarg, 1, FXR_LOAD_MAX_CONNS, &v) < 0 || v != floor(v))
				goto bad;
			if (c == 'n') {
				o->conns = (unsigned)v;
				have_conns = true;
			} else {
				o->max_conns = (unsigned)v;
			}
			break;
		case 'd':
			if (parse_double(optarg, 0.01, FXR_LOAD_MAX_SECONDS, &o->duration) < 0)
				goto bad;
			break;
		case 'w':
			if (parse_double(optarg, 0, FXR_LOAD_MAX_SECONDS, &o->warmup) < 0)
				goto bad;
			break;
		case 't':
			if (parse_double(optarg, 0.1, FXR_LOAD_MAX_SECONDS, &o->max_time) < 0)
				goto bad;
			break;
		case 'r':
			if (parse_double(optarg, 0, 1e8, &o->rate) < 0)
				goto bad;
			break;
		case 'D':
			if (strcmp(optarg, "one") == 0)
				o->both = false;
			else if (strcmp(optarg, "both") == 0)
				o->both = true;
			else
				goto bad;
			break;
		case 'N':
			o->nodelay = true;
			break;
		case 'F':
			if (parse_devices(optarg, o) < 0)
				goto bad;
			break;
		case 'P':
			if (read_password(optarg, o) < 0)
				goto bad;
			break;
		case 'K':
			if (parse_double(optarg, 1, 65535, &v) < 0 || v != floor(v))
				goto bad;
			o->dev_conns = (unsigned)v;
			break;
		case 'B':
			if (parse_double(optarg, 0, 1e9, &v) < 0 || v != floor(v))
				goto bad;
			o->dev_first = (unsigned)v;
			break;
		case 'S':
			if (inet_pton(AF_INET, optarg, &o->source) != 1)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fxr-load: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->role == ROLE_SELFTEST)
		return 0;
	if (!have_mode || !have_addr) {
		fprintf(stderr, "fxr-load: --mode and --%s are required\n",
			o->role == ROLE_SERVER ? "listen" : "connect");
		return 2;
	}
	if (o->role == ROLE_SERVER && o->mode > MODE_HOLD) {
		fprintf(stderr, "fxr-load: server modes are sink, echo, pong, hold\n");
		return 2;
	}
	if (o->role == ROLE_CLIENT && o->mode < MODE_HOLD) {
		fprintf(stderr, "fxr-load: client modes are stream, sessions, latency, hold\n");
		return 2;
	}
	if (o->fxr && (o->role != ROLE_CLIENT || o->pw_len == 0 ||
		       (o->mode == MODE_HOLD) != (o->callee[0] == '\0'))) {
		fprintf(stderr, "fxr-load: --fxr is for clients, with --password-file; "
			"CALLER:CALLEE, or CALLER alone for hold\n");
		return 2;
	}
	if (o->dev_first > 0 && !(o->fxr && o->mode == MODE_HOLD)) {
		fprintf(stderr, "fxr-load: --dev-first is for client --mode hold --fxr\n");
		return 2;
	}
	if (o->role == ROLE_CLIENT && o->mode == MODE_HOLD && !have_conns)
		o->conns = 1000;
	if (o->role == ROLE_CLIENT && o->mode != MODE_HOLD &&
	    o->warmup + o->duration + 2.0 > o->max_time) {
		fprintf(stderr, "fxr-load: warmup + duration + 2 s must fit in --max-time\n");
		return 2;
	}
	return 0;
bad:
	fprintf(stderr, "fxr-load: bad value '%s' (see --help)\n", optarg);
	return 2;
}

/* ---- shared plumbing ------------------------------------------------------------------- */

struct conn {
	enum tag tag;          /* first: an epoll data.ptr may point at a bare enum tag */
	int fd;
	uint32_t events;       /* the interest registered now */
	bool up;               /* connected */
	/* server echo/pong: bytes [sent, have) of buf are queued */
	unsigned char *buf;
	uint32_t have;
	uint32_t sent;
	/* client */
	uint64_t t0;           /* sessions: when the connect started */
	uint32_t todo;         /* sessions: bytes left to write; latency: bytes of pings unsent */
	uint32_t got;          /* sessions/latency: bytes read toward the current reply */
	uint32_t ring_head;    /* latency: oldest outstanding ping */
	uint32_t ring_len;
	uint64_t *ring;        /* latency: scheduled (open loop) or actual send times */
};

static const enum tag tag_listen = TAG_LISTEN;
const enum tag tag_signal = TAG_SIGNAL;
const enum tag tag_timer = TAG_TIMER;
unsigned char io_buf[FXR_LOAD_IO_BUF];

int ep_set(int ep, int op, int fd, uint32_t events, const void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = (void *)(uintptr_t)ptr };

	return epoll_ctl(ep, op, fd, &ev) < 0 ? -errno : 0;
}

static int conn_want(int ep, struct conn *c, uint32_t events)
{
	if (c->events == events)
		return 0;
	c->events = events;
	return ep_set(ep, EPOLL_CTL_MOD, c->fd, events, c);
}

/* blocks SIGINT/SIGTERM and returns a signalfd for them */
int signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

void raise_nofile(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < need + 64 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int epoll_ms(uint64_t now, uint64_t deadline)
{
	uint64_t left = deadline > now ? deadline - now : 0;

	left = (left + 999999u) / 1000000u;
	return left > 100 ? 100 : (int)left;
}

double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* ---- server ---------------------------------------------------------------------------- */

struct server_stats {
	uint64_t accepted;
	uint64_t refused;     /* over --max-conns: closed at once */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t open;
	uint64_t open_max;
	uint64_t errors;
};

/* server connections by descriptor, so that the exit frees them (sized at start-up) */
static struct conn **server_conns;
static unsigned server_conns_len;

static void server_close(struct conn *c, struct server_stats *st)
{
	if ((unsigned)c->fd < server_conns_len)
		server_conns[c->fd] = NULL;
	close(c->fd);
	free(c->buf);
	free(c);
	st->open--;
}

/* echo and pong: send what is queued, read more when nothing is; quantum 1 or 64 */
static void server_pump(int ep, struct conn *c, uint32_t quantum, struct server_stats *st)
{
	for (int round = 0; round < 16; round++) {
		uint32_t ready = c->have - c->have % quantum;

		if (c->sent < ready) {
			ssize_t w = send(c->fd, c->buf + c->sent, ready - c->sent, MSG_NOSIGNAL);

			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					if (conn_want(ep, c, EPOLLOUT) < 0)
						goto fail;
					return;
				}
				goto fail;
			}
			c->sent += (uint32_t)w;
			st->bytes_out += (uint64_t)w;
			continue;
		}
		/* all whole messages sent: keep the partial one at the front */
		if (c->sent > 0) {
			memmove(c->buf, c->buf + c->sent, c->have - c->sent);
			c->have -= c->sent;
			c->sent = 0;
		}
		ssize_t r = recv(c->fd, c->buf + c->have, FXR_LOAD_IO_BUF - c->have, 0);

		if (r == 0)
			goto closed;
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (conn_want(ep, c, EPOLLIN) < 0)
					goto fail;
				return;
			}
			goto fail;
		}
		c->have += (uint32_t)r;
		st->bytes_in += (uint64_t)r;
	}
	/* fairness: come back through epoll */
	if (conn_want(ep, c, c->sent < c->have - c->have % quantum ? EPOLLOUT : EPOLLIN) == 0)
		return;
fail:
	st->errors++;
closed:
	server_close(c, st);
}

static void server_read_discard(struct conn *c, struct server_stats *st)
{
	for (int round = 0; round < 16; round++) {
		ssize_t r = recv(c->fd, io_buf, sizeof(io_buf), 0);

		if (r > 0) {
			st->bytes_in += (uint64_t)r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r < 0)
			st->errors++;
		server_close(c, st);
		return;
	}
}

static void server_accept(int ep, int lfd, const struct opts *o, struct server_stats *st)
{
	for (int round = 0; round < 64; round++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
				st->errors++;
			return;
		}
		if (st->open >= o->max_conns || (unsigned)fd >= server_conns_len) {
			st->refused++;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			st->errors++;
			continue;
		}
		c->tag = TAG_CONN;
		c->fd = fd;
		c->events = EPOLLIN;
		if (o->mode == MODE_ECHO || o->mode == MODE_PONG) {
			c->buf = malloc(FXR_LOAD_IO_BUF);
			if (c->buf == NULL) {
				close(fd);
				free(c);
				st->errors++;
				continue;
			}
		}
		if (o->mode == MODE_PONG) {
			int one = 1;

			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		if (ep_set(ep, EPOLL_CTL_ADD, fd, EPOLLIN, c) < 0) {
			close(fd);
			free(c->buf);
			free(c);
			st->errors++;
			continue;
		}
		server_conns[fd] = c;
		st->accepted++;
		st->open++;
		if (st->open > st->open_max)
			st->open_max = st->open;
	}
}

const char *mode_name(enum mode m)
{
	static const char *const names[] = {
		[MODE_SINK] = "sink", [MODE_ECHO] = "echo", [MODE_PONG] = "pong",
		[MODE_HOLD] = "hold", [MODE_STREAM] = "stream", [MODE_SESSIONS] = "sessions",
		[MODE_LATENCY] = "latency",
	};
	return names[m];
}

static int run_server(const struct opts *o)
{
	struct server_stats st = { 0 };
	struct epoll_event evs[FXR_LOAD_EVENTS];
	uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(o->max_time * 1e9);
	int ep, lfd, sfd, one = 1;
	bool stop = false;

	raise_nofile(o->max_conns);
	server_conns_len = o->max_conns + 64u;
	server_conns = calloc(server_conns_len, sizeof(*server_conns));
	sfd = signal_fd();
	ep = epoll_create1(EPOLL_CLOEXEC);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (server_conns == NULL || sfd < 0 || ep < 0 || lfd < 0) {
		perror("fxr-load server: setup");
		return 1;
	}
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0 ||
	    listen(lfd, 4096) < 0) {
		perror("fxr-load server: bind/listen");
		return 1;
	}
	if (ep_set(ep, EPOLL_CTL_ADD, lfd, EPOLLIN, &tag_listen) < 0 ||
	    ep_set(ep, EPOLL_CTL_ADD, sfd, EPOLLIN, &tag_signal) < 0) {
		perror("fxr-load server: epoll");
		return 1;
	}
	while (!stop) {
		uint64_t now = now_ns();
		int n;

		if (now >= deadline)
			break;
		n = epoll_wait(ep, evs, FXR_LOAD_EVENTS, epoll_ms(now, deadline));
		if (n < 0 && errno != EINTR) {
			perror("fxr-load server: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			enum tag tag = *(const enum tag *)evs[i].data.ptr;
			struct conn *c = evs[i].data.ptr;

			if (tag == TAG_SIGNAL) {
				stop = true;
			} else if (tag == TAG_LISTEN) {
				server_accept(ep, lfd, o, &st);
			} else if (o->mode == MODE_ECHO) {
				server_pump(ep, c, 1, &st);
			} else if (o->mode == MODE_PONG) {
				server_pump(ep, c, FXR_LOAD_PING, &st);
			} else {
				server_read_discard(c, &st);
			}
		}
	}
	printf("{\"role\":\"server\",\"mode\":\"%s\",\"seconds\":%.3f,\"accepted\":%" PRIu64
	       ",\"refused\":%" PRIu64 ",\"open\":%" PRIu64 ",\"open_max\":%" PRIu64
	       ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"errors\":%" PRIu64 "}\n",
	       mode_name(o->mode), secs(now_ns() - t0), st.accepted, st.refused, st.open,
	       st.open_max, st.bytes_in, st.bytes_out, st.errors);
	for (unsigned i = 0; i < server_conns_len; i++)
		if (server_conns[i] != NULL)
			server_close(server_conns[i], &st);
	free(server_conns);
	close(lfd);
	close(ep);
	close(sfd);
	return 0;
}

/* ---- client ---------------------------------------------------------------------------- */

struct client {
	const struct opts *o;
	int ep;
	struct conn *conns;
	unsigned n_up;
	uint64_t t_measure;      /* start of the measured window (0 = not yet) */
	uint64_t t_end;          /* end of the measured window */
	uint64_t tx, rx;         /* bytes in the window */
	uint64_t tx_all, rx_all; /* stream: bytes over the whole run (for CPU per byte) */
	uint64_t sessions;       /* sessions finished in the window */
	uint64_t errors;         /* failed connects, resets, short replies */
	uint64_t sent_pings;     /* latency: pings scheduled in the window */
	uint64_t overflows;      /* latency: pings not sent because the ring was full */
	struct hist *h;
};

int connect_start(const struct opts *o, bool nodelay)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, e;

	if (fd < 0)
		return -errno;
	if (nodelay)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->source.s_addr != 0) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr = o->source };

		/* the port is then chosen at connect, per destination, not reserved at bind */
		if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
		    bind(fd, (const struct sockaddr *)&src, sizeof(src)) < 0)
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	e = -errno;
	close(fd);
	return e;
}

/* starts a non-blocking connect; 0, or a negative errno (the conn stays closed) */
static int client_connect(struct client *cl, struct conn *c)
{
	int fd = connect_start(cl->o, cl->o->nodelay || cl->o->mode == MODE_LATENCY);

	if (fd < 0)
		return fd;
	c->tag = TAG_CONN;
	c->fd = fd;
	c->up = false;
	c->events = EPOLLOUT;
	c->got = 0;
	if (ep_set(cl->ep, EPOLL_CTL_ADD, fd, EPOLLOUT, c) < 0) {
		int e = -errno;

		close(fd);
		c->fd = -1;
		return e;
	}
	return 0;
}

static void client_close(struct client *cl, struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		if (c->up)
			cl->n_up--;
		c->up = false;
	}
}

/* on the first EPOLLOUT after connect: true when the connect succeeded */
static bool client_established(struct client *cl, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		cl->errors++;
		client_close(cl, c);
		return false;
	}
	c->up = true;
	cl->n_up++;
	return true;
}

static bool in_window(const struct client *cl, uint64_t now)
{
	return cl->t_measure != 0 && now >= cl->t_measure && now < cl->t_end;
}

/* stream: write 64 KB pieces until the socket is full; both ways: read what is there */
static void stream_event(struct client *cl, struct conn *c, uint32_t ev, uint64_t now)
{
	bool count = in_window(cl, now);

	if (!c->up) {
		if (!client_established(cl, c))
			return;
		if (cl->o->both && conn_want(cl->ep, c, EPOLLIN | EPOLLOUT) < 0)
			goto fail;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		for (int round = 0; round < 16; round++) {
			ssize_t r = recv(c->fd, io_buf, sizeof(io_buf), 0);

			if (r > 0) {
				cl->rx_all += (uint64_t)r;
				if (count)
					cl->rx += (uint64_t)r;
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			goto fail;
		}
	}
	if (ev & EPOLLOUT) {
		for (int round = 0; round < 16; round++) {
			ssize_t w = send(c->fd, io_buf, sizeof(io_buf), MSG_NOSIGNAL);

			if (w > 0) {
				cl->tx_all += (uint64_t)w;
				if (count)
					cl->tx += (uint64_t)w;
				continue;
			}
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			goto fail;
		}
	}
	return;
fail:
	cl->errors++;
	client_close(cl, c);
}

/* sessions: one slot's next step; a finished or failed session starts the next one */
static void session_start(struct client *cl, struct conn *c, uint64_t now)
{
	c->t0 = now;
	c->todo = FXR_LOAD_SESSION;
	c->got = 0;
	if (client_connect(cl, c) < 0) {
		cl->errors++;
		c->fd = -1;   /* retried on the next loop turn */
	}
}

static void session_event(struct client *cl, struct conn *c, uint32_t ev, uint64_t now)
{
	if (!c->up) {
		if (!client_established(cl, c))
			return;
	}
	if ((ev & EPOLLOUT) && c->todo > 0) {
		ssize_t w = send(c->fd, io_buf, c->todo, MSG_NOSIGNAL);

		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			goto fail;
		if (w > 0)
			c->todo -= (uint32_t)w;
		if (c->todo == 0 && conn_want(cl->ep, c, EPOLLIN) < 0)
			goto fail;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		ssize_t r = recv(c->fd, io_buf, FXR_LOAD_SESSION - c->got, 0);

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0)
			goto fail;
		c->got += (uint32_t)r;
		if (c->got == FXR_LOAD_SESSION) {
			if (in_window(cl, now)) {
				cl->sessions++;
				hist_add(cl->h, now - c->t0);
			}
			client_close(cl, c);
			if (now < cl->t_end)
				session_start(cl, c, now);
		}
	}
	return;
fail:
	cl->errors++;
	client_close(cl, c);
	if (now < cl->t_end)
		session_start(cl, c, now);
}

/* latency: queue one ping on c scheduled at `when`; false when its ring is full */
static bool ping_queue(struct client *cl, struct conn *c, uint64_t when)
{
	if (c->ring_len == FXR_LOAD_RING) {
		cl->overflows++;
		return false;
	}
	c->ring[(c->ring_head + c->ring_len) % FXR_LOAD_RING] = when;
	c->ring_len++;
	c->todo += FXR_LOAD_PING;
	return true;
}

static int ping_flush(struct client *cl, struct conn *c)
{
	while (c->todo > 0) {
		uint32_t len = c->todo < sizeof(io_buf) ? c->todo : (uint32_t)sizeof(io_buf);
		ssize_t w = send(c->fd, io_buf, len, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return conn_want(cl->ep, c, EPOLLIN | EPOLLOUT);
		if (w <= 0)
			return -EIO;
		c->todo -= (uint32_t)w;
	}
	return conn_want(cl->ep, c, EPOLLIN);
}

static void latency_event(struct client *cl, struct conn *c, uint32_t ev, uint64_t now)
{
	if (!c->up) {
		if (!client_established(cl, c))
			return;
		if (conn_want(cl->ep, c, EPOLLIN) < 0)
			goto fail;
		/* closed loop: the first ping goes out once the window is about to open */
		return;
	}
	if ((ev & EPOLLOUT) && ping_flush(cl, c) < 0)
		goto fail;
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		for (int round = 0; round < 16; round++) {
			ssize_t r = recv(c->fd, io_buf, sizeof(io_buf), 0);

			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (r <= 0)
				goto fail;
			c->got += (uint32_t)r;
			now = now_ns();
			while (c->got >= FXR_LOAD_PING && c->ring_len > 0) {
				uint64_t when = c->ring[c->ring_head];

				c->ring_head = (c->ring_head + 1) % FXR_LOAD_RING;
				c->ring_len--;
				c->got -= FXR_LOAD_PING;
				if (when >= cl->t_measure && when < cl->t_end)
					hist_add(cl->h, now - when);
			}
			if (c->got >= FXR_LOAD_PING)
				goto fail;    /* more pongs than pings */
			if (cl->o->rate == 0 && c->ring_len == 0 && now < cl->t_end) {
				if (now >= cl->t_measure)
					cl->sent_pings++;
				ping_queue(cl, c, now);
				if (ping_flush(cl, c) < 0)
					goto fail;
			}
		}
	}
	return;
fail:
	cl->errors++;
	client_close(cl, c);
}

int timer_arm(int tfd, uint64_t when)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(when / 1000000000u);
	its.it_value.tv_nsec = (long)(when % 1000000000u);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -errno : 0;
}

static void json_common(const struct client *cl, double window)
{
	printf("{\"role\":\"client\",\"mode\":\"%s\",\"target\":\"%s:%u\",\"conns\":%u,"
	       "\"window_s\":%.3f,\"errors\":%" PRIu64,
	       mode_name(cl->o->mode), inet_ntoa(cl->o->addr.sin_addr),
	       ntohs(cl->o->addr.sin_port), cl->o->conns, window, cl->errors);
}

static int run_client(const struct opts *o)
{
	struct client cl = { .o = o };
	struct epoll_event evs[FXR_LOAD_EVENTS];
	uint64_t t0 = now_ns(), hard_end = t0 + (uint64_t)(o->max_time * 1e9);
	uint64_t connect_deadline = t0 + 10ull * 1000000000u, next_ping = 0, t_up = 0;
	unsigned next_conn = 0, ping_rr = 0, started = 0;
	uint64_t n_sched = 0;   /* latency: pings scheduled since t_up */
	bool stop = false, reported = false;
	int sfd, tfd = -1, rc = 0;

	raise_nofile(o->conns);
	sfd = signal_fd();
	cl.ep = epoll_create1(EPOLL_CLOEXEC);
	cl.conns = calloc(o->conns, sizeof(*cl.conns));
	cl.h = malloc(sizeof(*cl.h));
	if (sfd < 0 || cl.ep < 0 || cl.conns == NULL || cl.h == NULL ||
	    ep_set(cl.ep, EPOLL_CTL_ADD, sfd, EPOLLIN, &tag_signal) < 0) {
		perror("fxr-load client: setup");
		return 1;
	}
	hist_init(cl.h);
	memset(io_buf, 0x5a, sizeof(io_buf));
	for (unsigned i = 0; i < o->conns; i++)
		cl.conns[i].fd = -1;
	if (o->mode == MODE_LATENCY) {
		for (unsigned i = 0; i < o->conns; i++) {
			cl.conns[i].ring = calloc(FXR_LOAD_RING, sizeof(uint64_t));
			if (cl.conns[i].ring == NULL) {
				perror("fxr-load client: ring");
				return 1;
			}
		}
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (tfd < 0 || ep_set(cl.ep, EPOLL_CTL_ADD, tfd, EPOLLIN, &tag_timer) < 0) {
			perror("fxr-load client: timerfd");
			return 1;
		}
	}
	/* sessions start one by one in the loop; the others open all connections first (hold at
	 * most FXR_LOAD_CONNECTING at once, so that a listen backlog is not flooded) */
	while (!stop) {
		uint64_t now = now_ns();
		uint64_t wake = hard_end;
		int n;

		if (now >= hard_end) {
			/* hold ends at --max-time once its report is out; the others should not */
			if (!reported) {
				fprintf(stderr, "fxr-load client: --max-time reached\n");
				rc = 1;
			}
			break;
		}
		/* open connections */
		while (o->mode != MODE_SESSIONS && next_conn < o->conns &&
		       next_conn - (cl.n_up + (unsigned)cl.errors) < FXR_LOAD_CONNECTING) {
			if (client_connect(&cl, &cl.conns[next_conn]) < 0) {
				cl.errors++;
				cl.conns[next_conn].fd = -1;
			}
			next_conn++;
		}
		if (o->mode != MODE_SESSIONS && t_up == 0) {
			if (next_conn == o->conns && cl.n_up + cl.errors >= o->conns) {
				t_up = now;
				if (cl.n_up == 0 || (o->mode == MODE_HOLD && cl.n_up < o->conns)) {
					fprintf(stderr, "fxr-load client: %u of %u connections up\n",
						cl.n_up, o->conns);
					rc = 1;
					break;
				}
			} else if (now >= connect_deadline) {
				fprintf(stderr, "fxr-load client: connect timeout (%u of %u up)\n",
					cl.n_up, o->conns);
				rc = 1;
				break;
			}
		}
		if (o->mode == MODE_SESSIONS && t_up == 0)
			t_up = now;
		if (t_up != 0 && cl.t_measure == 0 && o->mode != MODE_HOLD) {
			cl.t_measure = t_up + (uint64_t)(o->warmup * 1e9);
			cl.t_end = cl.t_measure + (uint64_t)(o->duration * 1e9);
			next_ping = t_up;
		}
		if (o->mode == MODE_HOLD && t_up != 0 && !reported) {
			json_common(&cl, 0);
			printf(",\"connected\":%u,\"connect_s\":%.3f}\n", cl.n_up, secs(t_up - t0));
			fflush(stdout);
			reported = true;
		}
		if (o->mode == MODE_SESSIONS && now < cl.t_end) {
			for (; started < o->conns; started++)
				session_start(&cl, &cl.conns[started], now);
			for (unsigned i = 0; i < o->conns; i++)
				if (cl.conns[i].fd < 0 && cl.errors < 1000000)
					session_start(&cl, &cl.conns[i], now);
		}
		if (o->mode == MODE_LATENCY && cl.t_measure != 0) {
			if (o->rate > 0) {
				/* open loop: every due ping goes out now, on the connections in turn */
				double gap = 1e9 / o->rate;
				unsigned burst = 0;

				while (next_ping <= now && next_ping < cl.t_end && burst < 100000) {
					struct conn *c = &cl.conns[ping_rr++ % o->conns];

					if (next_ping >= cl.t_measure)
						cl.sent_pings++;
					if (c->up && ping_queue(&cl, c, next_ping) && ping_flush(&cl, c) < 0) {
						cl.errors++;
						client_close(&cl, c);
					}
					burst++;
					n_sched++;
					next_ping = t_up + (uint64_t)((double)n_sched * gap);
				}
				if (next_ping < cl.t_end && timer_arm(tfd, next_ping) < 0) {
					perror("fxr-load client: timer");
					rc = 1;
					break;
				}
			} else if (next_ping != UINT64_MAX) {
				/* closed loop: one ping a connection, the next on its pong */
				for (unsigned i = 0; i < o->conns; i++) {
					struct conn *c = &cl.conns[i];

					if (c->up && c->ring_len == 0) {
						if (now >= cl.t_measure)
							cl.sent_pings++;
						ping_queue(&cl, c, now);
						if (ping_flush(&cl, c) < 0) {
							cl.errors++;
							client_close(&cl, c);
						}
					}
				}
				next_ping = UINT64_MAX;
			}
		}
		if (cl.t_end != 0 && now >= cl.t_end) {
			bool drained = true;

			if (o->mode == MODE_LATENCY) {
				for (unsigned i = 0; i < o->conns; i++)
					if (cl.conns[i].fd >= 0 && cl.conns[i].ring_len > 0)
						drained = false;
			}
			/* latency waits up to 1 s for the pongs of pings sent in the window */
			if (drained || now >= cl.t_end + 1000000000u)
				break;
		}
		if (cl.t_end != 0 && cl.t_end > now && cl.t_end < wake)
			wake = cl.t_end;
		if (cl.t_end != 0 && cl.t_end <= now)
			wake = now + 1000000u;
		if (o->mode == MODE_SESSIONS && cl.errors > 0)
			wake = wake < now + 1000000u ? wake : now + 1000000u;
		n = epoll_wait(cl.ep, evs, FXR_LOAD_EVENTS, epoll_ms(now, wake));
		if (n < 0 && errno != EINTR) {
			perror("fxr-load client: epoll_wait");
			rc = 1;
			break;
		}
		now = now_ns();
		for (int i = 0; i < n; i++) {
			enum tag tag = *(const enum tag *)evs[i].data.ptr;
			struct conn *c = evs[i].data.ptr;

			if (tag == TAG_SIGNAL) {
				stop = true;
				continue;
			}
			if (tag == TAG_TIMER) {
				uint64_t ticks;

				(void)!read(tfd, &ticks, sizeof(ticks));
				continue;
			}
			if (c->fd < 0)
				continue;   /* closed earlier in this batch */
			switch (o->mode) {
			case MODE_STREAM:
				stream_event(&cl, c, evs[i].events, now);
				break;
			case MODE_SESSIONS:
				session_event(&cl, c, evs[i].events, now);
				break;
			case MODE_LATENCY:
				latency_event(&cl, c, evs[i].events, now);
				break;
			default:
				if (!c->up) {
					if (client_established(&cl, c) &&
					    conn_want(cl.ep, c, EPOLLIN) < 0)
						client_close(&cl, c);
				} else {
					/* an idle connection that reads anything has failed */
					cl.errors++;
					client_close(&cl, c);
				}
				break;
			}
		}
	}
	if (rc == 0 && o->mode != MODE_HOLD) {
		double w = o->duration;

		json_common(&cl, w);
		switch (o->mode) {
		case MODE_STREAM:
			printf(",\"dir\":\"%s\",\"tx_bytes\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
			       ",\"tx_all_bytes\":%" PRIu64 ",\"rx_all_bytes\":%" PRIu64
			       ",\"tx_gbps\":%.4f,\"rx_gbps\":%.4f,\"gbps\":%.4f}\n",
			       o->both ? "both" : "one", cl.tx, cl.rx, cl.tx_all, cl.rx_all,
			       (double)cl.tx * 8 / w / 1e9,
			       (double)cl.rx * 8 / w / 1e9, (double)(cl.tx + cl.rx) * 8 / w / 1e9);
			break;
		case MODE_SESSIONS:
			printf(",\"sessions\":%" PRIu64 ",\"sessions_per_s\":%.1f,",
			       cl.sessions, (double)cl.sessions / w);
			hist_json(cl.h, "session_");
			printf("}\n");
			break;
		default:
			printf(",\"rate\":%.1f,\"pings\":%" PRIu64 ",\"overflows\":%" PRIu64
			       ",\"achieved_per_s\":%.1f,", o->rate, cl.sent_pings, cl.overflows,
			       (double)cl.h->n / w);
			hist_json(cl.h, "");
			printf("}\n");
			break;
		}
	}
	for (unsigned i = 0; i < o->conns; i++) {
		client_close(&cl, &cl.conns[i]);
		free(cl.conns[i].ring);
	}
	free(cl.conns);
	free(cl.h);
	return rc;
}

/* ---- selftest -------------------------------------------------------------------------- */

static int check(bool ok, const char *what)
{
	if (!ok)
		fprintf(stderr, "selftest FAILED: %s\n", what);
	return ok ? 0 : 1;
}

static int run_selftest(void)
{
	struct hist *h = malloc(sizeof(*h));
	int bad = 0;
	uint64_t p50, p99, p999;

	if (h == NULL)
		return 1;
	/* every bucket's edges map back to it, and buckets tile the range without gaps */
	for (unsigned i = 1; i < HIST_BUCKETS; i++) {
		if (hist_index(hist_upper(i)) != i || hist_index(hist_upper(i - 1) + 1) != i) {
			bad += check(false, "bucket edges");
			break;
		}
	}
	/* 1..1,000,000 ns once each: percentiles within one bucket width (< 0.8 %) above */
	hist_init(h);
	for (uint64_t v = 1; v <= 1000000; v++)
		hist_add(h, v);
	p50 = hist_pct(h, 0.50);
	p99 = hist_pct(h, 0.99);
	p999 = hist_pct(h, 0.999);
	bad += check(p50 >= 500000 && p50 <= 500000 * 1.008, "p50 of 1..1e6");
	bad += check(p99 >= 990000 && p99 <= 990000 * 1.008, "p99 of 1..1e6");
	bad += check(p999 >= 999000 && p999 <= 1000000, "p99.9 of 1..1e6");
	bad += check(h->min == 1 && h->max == 1000000 && h->n == 1000000, "min/max/n");
	/* small values are exact */
	hist_init(h);
	for (int i = 0; i < 1000; i++)
		hist_add(h, i < 990 ? 100 : 120);
	bad += check(hist_pct(h, 0.5) == 100 && hist_pct(h, 0.99) == 100 &&
		     hist_pct(h, 0.999) == 120, "exact small values");
	/* out of range values are clamped and counted */
	hist_init(h);
	hist_add(h, UINT64_MAX);
	bad += check(h->clamped == 1 && hist_pct(h, 1.0) == (1ull << HIST_MAX_BIT) - 1, "clamp");
	hist_init(h);
	bad += check(hist_pct(h, 0.5) == 0, "empty");
	free(h);
	printf("{\"role\":\"selftest\",\"failures\":%d}\n", bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o);

	if (rc != 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	switch (o.role) {
	case ROLE_SERVER:
		return run_server(&o);
	case ROLE_CLIENT:
		return o.fxr ? run_fxr_client(&o) : run_client(&o);
	default:
		return run_selftest();
	}
}
