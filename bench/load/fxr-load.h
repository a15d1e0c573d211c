/* bench/load/fxr-load.h: what the parts of fxr-load share: options, the latency histogram,
 * epoll and time helpers. fxr-load.c holds the TCP clients and servers and main(),
 * fxr1-client.c the FXR/1 client mode (client --fxr), logging in with engine/scram. */
#ifndef FXR_LOAD_H
#define FXR_LOAD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FXR_LOAD_MAX_CONNS   20000u
#define FXR_LOAD_MAX_SECONDS 3600.0
#define FXR_LOAD_IO_BUF      (64u * 1024u)  /* one read or write */
#define FXR_LOAD_PING        64u            /* latency message, both ways */
#define FXR_LOAD_SESSION     1024u          /* sessions: bytes each way */
#define FXR_LOAD_RING        1024u          /* latency: outstanding pings a connection */
#define FXR_LOAD_EVENTS      256
#define FXR_LOAD_CONNECTING  256u           /* hold: connects in flight at once */
#define FXR_LOAD_DEVID_MAX   64u            /* DESIGN.md §2: device identifiers */
#define FXR_LOAD_PREFIX_MAX  54u            /* --fxr prefixes: room for any index */
#define FXR_LOAD_PASSWORD_MAX 1024u

/* ---- histogram (fxr-load.c) ---- */

/* Values below 2^SUB_BITS have a bucket each; above, each octave [2^e, 2^(e+1)) is cut into
 * 2^SUB_BITS equal buckets. Values at or above 2^HIST_MAX_BIT ns (~36 min) are clamped into
 * the last bucket and counted in `clamped`. */
#define HIST_SUB_BITS 7u
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_MAX_BIT  41u
#define HIST_BUCKETS  (HIST_SUB * (HIST_MAX_BIT - HIST_SUB_BITS + 1u))

struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t n;
	uint64_t clamped;
	uint64_t min;
	uint64_t max;
	double sum;
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
/* prints "PREFIXsamples":n,... (no braces) on stdout */
void hist_json(const struct hist *h, const char *prefix);

/* ---- options ---- */

enum role { ROLE_SERVER, ROLE_CLIENT, ROLE_SELFTEST };

enum mode {
	MODE_SINK,      /* server: read and discard */
	MODE_ECHO,      /* server: send back what arrives */
	MODE_PONG,      /* server: send back each whole 64-byte message */
	MODE_HOLD,      /* server: accept and keep idle; client: open N idle connections */
	MODE_STREAM,    /* client: bulk data */
	MODE_SESSIONS,  /* client: connect, 1 KB each way, close */
	MODE_LATENCY,   /* client: 64-byte ping-pong */
};

struct opts {
	enum role role;
	enum mode mode;
	struct sockaddr_in addr;
	struct in_addr source; /* client: local address to connect from (--source), 0 = any */
	unsigned conns;        /* client: connections (stream, latency, hold) or slots (sessions) */
	unsigned max_conns;    /* server: accepted connections open at once */
	double duration;       /* client: measured seconds */
	double warmup;         /* client: seconds before measuring */
	double max_time;       /* hard bound on the whole run */
	double rate;           /* latency: pings a second in total, 0 = closed loop */
	bool both;             /* stream: both ways (needs an echo server) */
	bool nodelay;          /* TCP_NODELAY on client sockets (latency sets it anyway) */
	/* client --fxr: FXR/1 through a relay (fxr1-client.c) */
	bool fxr;
	char caller[FXR_LOAD_DEVID_MAX + 1];  /* id prefix of the devices that CONNECT (hold) */
	char callee[FXR_LOAD_DEVID_MAX + 1];  /* id prefix of those that answer; "" for hold */
	unsigned dev_conns;                   /* connections a device: <prefix>0 has the first */
	unsigned dev_first;                   /* hold: the first device's number (--dev-first) */
	char password[FXR_LOAD_PASSWORD_MAX]; /* both devices' password (--password-file) */
	size_t pw_len;
};

const char *mode_name(enum mode m);

/* ---- plumbing (fxr-load.c) ---- */

/* what an epoll event points at */
enum tag { TAG_LISTEN, TAG_SIGNAL, TAG_TIMER, TAG_CONN };

extern const enum tag tag_signal;
extern const enum tag tag_timer;
extern unsigned char io_buf[FXR_LOAD_IO_BUF];   /* bytes to send; scratch to read into */

uint64_t now_ns(void);                           /* CLOCK_MONOTONIC */
double secs(uint64_t ns);
int ep_set(int ep, int op, int fd, uint32_t events, const void *ptr);
int signal_fd(void);                             /* blocks SIGINT/SIGTERM, returns a signalfd */
void raise_nofile(unsigned need);
int epoll_ms(uint64_t now, uint64_t deadline);   /* epoll_wait timeout, at most 100 ms */
int timer_arm(int tfd, uint64_t when);           /* absolute CLOCK_MONOTONIC ns */
/* a non-blocking TCP socket from o->source (if set) with a connect to o->addr started: the fd,
 * or a negative errno */
int connect_start(const struct opts *o, bool nodelay);

/* the FXR/1 client (fxr1-client.c): one run of o->mode through a relay; prints one JSON
 * object; returns the exit status */
int run_fxr_client(const struct opts *o);

#endif
