/* cp_standin: a dataplane stand-in that drives the real fxr-controlplane (and fxrctl) through
 * the real plane channel, a real SQLite registry in a temporary folder, and checks every
 * control-plane message it gets, in order (NOTEs are stored like a dataplane does, and
 * checked where they matter).
 *
 * It creates the channel (fxr_chan_create), plays the dataplane's side (CONN_NEW, FRAME,
 * END_RELAYED, the dump) and the devices' side (the SCRAM client of engine/scram), and
 * covers: registration through fxrctl (password on stdin), login, wrong password, unknown
 * device, throttling, a call (CONNECT, INCOMING, ACCEPT, PAIR, CONNECTED), LIST, fxrctl's
 * JSON checked by python3, kill -9 of the control plane mid-call and with a call pending and
 * the restart from the dump, RELEASE after the restart, LOGOUT, kick, passwd, del, and a
 * login storm of N devices (argv[3]) with logins/s and memory per logged-in device.
 *
 * usage: cp_standin FXR-CONTROLPLANE FXRCTL N-STORM|overflow
 * ("overflow": only the full-backlog test, with the smallest backlog)
 * Every wait is bounded; the control plane and the temporary folder are removed on every
 * exit path (atexit, and a failed check exits through it). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/code-t.h"
#include "fxr/connid.h"
#include "fxr/frame.h"
#include "fxr/scram.h"
#include "registry.h"
#include "session-t.h"

#define LANES     2
#define WAIT_MS   15000 /* any one expected message */
#define MAXC      (1u << 16)

static struct {
	char dir[128], db[192], sock[192], cfg[192], out[192], chan[64];
	const char *cp_bin, *ctl_bin;
	pid_t cp_pid;
	int cp_runs;
	struct fxr_chan *ch;
	uint32_t dump_id[LANES];
	int dump_asked[LANES];
} g;

static uint8_t rxbuf[FXR_CHAN_SLOT_C2D];

/* ---- cleanup and checks ---- */

static void cp_kill(void)
{
	if (g.cp_pid > 0) {
		kill(g.cp_pid, SIGKILL);
		waitpid(g.cp_pid, NULL, 0);
		g.cp_pid = 0;
	}
}

static void cleanup(void)
{
	cp_kill();
	fxr_chan_close(g.ch);
	g.ch = NULL;
	if (g.dir[0] && !getenv("CP_STANDIN_KEEP")) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", g.dir);
	}
}

static void show_log(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "tail -n 30 %s/cp%d.log >&2", g.dir, g.cp_runs);
	(void)!system(cmd);
}

#define CHECK(cond, ...)                                                               \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
			show_log();                                                    \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pause_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

/* SIGTERM/SIGINT (a meson timeout, ^C): clean up through atexit like a failed check. */
static void on_signal(int sig)
{
	(void)sig;
	exit(1);
}

/* ---- the dataplane's model of its connections ---- */

struct dconn {
	uint64_t id;
	int open;
	int logged_in;
	char dev[65];
	uint8_t dev_len;
	uint16_t ka, idle;
	struct fxr_chan_note note;
	int has_note;
	uint32_t peer;        /* slot+1, 0 none */
	int sent_end;
	struct fxr_chan_addr addr;
	/* the device side */
	struct fxr_scram_client sc;
	const char *pw;
	int storm;            /* 1: waiting for the challenge, 2: for AUTH_OK, 3: done */
};

static struct dconn *dc; /* [LANES][MAXC] */
static uint32_t nconn[LANES];

static struct dconn *D(uint64_t id)
{
	unsigned lane = fxr_connid_lcore(id);
	uint32_t slot = fxr_connid_slot(id);
	if (lane >= LANES || slot >= MAXC || dc[lane * MAXC + slot].id != id)
		return NULL;
	return &dc[lane * MAXC + slot];
}

static void unpeer(struct dconn *c)
{
	if (c->peer) {
		struct dconn *p = &dc[fxr_connid_lcore(c->id) * MAXC + c->peer - 1];
		if (p->peer == fxr_connid_slot(c->id) + 1)
			p->peer = 0;
		c->peer = 0;
	}
}

/* Applies a control message to the model (what a dataplane would do). */
static void apply(const struct fxr_chan_msg *m)
{
	struct dconn *c = m->connid ? D(m->connid) : NULL;
	switch (m->type) {
	case FXR_CHAN_T_DUMP_REQUEST:
		g.dump_id[m->lcore] = m->u.dump_req.dump_id;
		g.dump_asked[m->lcore] = 1;
		return;
	case FXR_CHAN_T_NOTE:
		CHECK(c && c->open, "NOTE for %#" PRIx64, m->connid);
		c->note = m->u.note;
		c->has_note = 1;
		return;
	case FXR_CHAN_T_LOGIN:
		CHECK(c && c->open, "LOGIN for %#" PRIx64, m->connid);
		c->logged_in = 1;
		c->dev_len = m->u.login.dev_len;
		memcpy(c->dev, m->u.login.dev, c->dev_len);
		c->dev[c->dev_len] = 0;
		c->ka = m->u.login.keepalive_s;
		c->idle = m->u.login.idle_s;
		return;
	case FXR_CHAN_T_PAIR: {
		struct dconn *p = D(m->u.pair.peer);
		CHECK(c && p && c->open && p->open, "PAIR of closed connections");
		unpeer(c);
		unpeer(p);
		c->peer = fxr_connid_slot(p->id) + 1;
		p->peer = fxr_connid_slot(c->id) + 1;
		c->sent_end = p->sent_end = 0;
		return;
	}
	case FXR_CHAN_T_UNPAIR:
		CHECK(c, "UNPAIR for %#" PRIx64, m->connid);
		unpeer(c);
		c->sent_end = 0;
		return;
	case FXR_CHAN_T_CLOSE:
		CHECK(c && c->open, "CLOSE of %#" PRIx64 " which is not open", m->connid);
		unpeer(c);
		c->open = 0;
		return;
	case FXR_CHAN_T_SEND_FRAME:
		CHECK(c && c->open, "SEND_FRAME on %#" PRIx64 " which is not open", m->connid);
		return;
	default:
		CHECK(0, "unexpected control message %s", fxr_chan_type_name(m->type));
	}
}

/* The next control message on lane (any type), applied to the model; 0 when none came
 * within ms. */
static int recv_c2d(unsigned lane, struct fxr_chan_msg *m, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	for (;;) {
		int n = fxr_chan_recv(g.ch, lane, rxbuf, sizeof(rxbuf));
		CHECK(n >= 0, "recv: %d", n);
		if (n > 0) {
			enum fxr_chan_bad why;
			CHECK(fxr_chan_msg_decode(rxbuf, (size_t)n, m, &why) == n,
			      "bad control message: %s", fxr_chan_bad_text(why));
			CHECK(m->lcore == lane, "message for lane %u on lane %u", m->lcore, lane);
			apply(m);
			return 1;
		}
		if (now_ms() >= end)
			return 0;
		pause_us(50);
	}
}

/* The next message on lane 0 that is not a NOTE: must be type on conn. For SEND_FRAME,
 * decodes the frame into *f (views into rxbuf, valid until the next receive) and checks
 * its type. */
static struct fxr_chan_msg expect_(int line, uint8_t type, uint64_t conn, uint8_t ftype,
				   struct fxr_msg *f)
{
	struct fxr_chan_msg m;
	do {
		if (!recv_c2d(0, &m, WAIT_MS)) {
			fprintf(stderr, "FAIL line %d: no %s (frame %s) on %#" PRIx64 " in %u ms\n",
				line, fxr_chan_type_name(type), fxr_frame_type_name(ftype), conn,
				WAIT_MS);
			show_log();
			exit(1);
		}
	} while (m.type == FXR_CHAN_T_NOTE);
	struct fxr_msg tmp;
	if (!f)
		f = &tmp;
	if (m.type == FXR_CHAN_T_SEND_FRAME)
		CHECK(fxr_frame_decode(m.u.frame.p, m.u.frame.len, f, NULL) > 0, "bad frame");
	if (m.type != type || m.connid != conn ||
	    (type == FXR_CHAN_T_SEND_FRAME && f->type != ftype)) {
		fprintf(stderr, "FAIL line %d: want %s %s on %#" PRIx64 ", got %s %s on %#" PRIx64
			"\n", line, fxr_chan_type_name(type), fxr_frame_type_name(ftype), conn,
			fxr_chan_type_name(m.type),
			m.type == FXR_CHAN_T_SEND_FRAME ? fxr_frame_type_name(f->type) : "",
			m.connid);
		show_log();
		exit(1);
	}
	return m;
}
#define EXPECT(type, conn) expect_(__LINE__, FXR_CHAN_T_##type, conn, 0, NULL)
#define EXPECT_FRAME(conn, ftype, f) expect_(__LINE__, FXR_CHAN_T_SEND_FRAME, conn, FXR_T_##ftype, f)

/* Sends a dataplane -> control message, waiting (bounded) while the queue is full. */
static void d2c(const struct fxr_chan_msg *m)
{
	uint64_t end = now_ms() + WAIT_MS;
	int rc;
	while ((rc = fxr_chan_send_msg(g.ch, m->lcore, m)) == -ENOBUFS) {
		CHECK(now_ms() < end, "dataplane -> control queue stayed full");
		pause_us(100);
	}
	CHECK(rc == 0, "send %s: %d", fxr_chan_type_name(m->type), rc);
}

static uint64_t conn_open(unsigned lane, uint8_t a3)
{
	uint32_t slot = nconn[lane]++;
	CHECK(slot < MAXC, "too many connections");
	struct dconn *c = &dc[lane * MAXC + slot];
	memset(c, 0, sizeof(*c));
	c->id = fxr_connid_make((uint8_t)lane, slot, 1);
	c->open = 1;
	c->addr.family = 4;
	c->addr.addr[0] = 10;
	c->addr.addr[3] = a3; /* 10.0.0.a3: same a3, same source for the throttle */
	c->addr.remote_port = (uint16_t)(40000 + slot);
	c->addr.local_port = 4747;
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_CONN_NEW, .lcore = (uint8_t)lane,
				  .connid = c->id, .u.conn_new = c->addr };
	d2c(&m);
	return c->id;
}

static void send_frame(uint64_t conn, const struct fxr_msg *f)
{
	uint8_t buf[4 + FXR_SCRAM_MAX];
	int n = fxr_frame_encode(f, buf, sizeof(buf));
	CHECK(n > 0, "encode %s", fxr_frame_type_name(f->type));
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_FRAME, .lcore = fxr_connid_lcore(conn),
				  .connid = conn, .u.frame = { buf, (uint32_t)n } };
	d2c(&m);
}

static void send_simple(uint64_t conn, uint8_t type)
{
	struct fxr_msg f = { .type = type };
	send_frame(conn, &f);
}

static void send_ref(uint64_t conn, uint8_t type, uint32_t id)
{
	struct fxr_msg f = { .type = type, .u.ref.id = id };
	send_frame(conn, &f);
}

static void send_connect(uint64_t conn, uint32_t req, const char *dest)
{
	struct fxr_msg f = { .type = FXR_T_CONNECT,
			     .u.call = { req, (const uint8_t *)dest, (uint8_t)strlen(dest) } };
	send_frame(conn, &f);
}

static void send_auth(uint64_t conn, uint8_t type, const char *text, int len)
{
	struct fxr_msg f = { .type = type, .u.auth = { (const uint8_t *)text, (uint16_t)len } };
	send_frame(conn, &f);
}

static void auth_start(uint64_t conn, const char *id)
{
	struct dconn *c = D(conn);
	char out[FXR_SCRAM_MSG_MAX + 1], err[128];
	int n = fxr_scram_client_start(&c->sc, id, NULL, 0, out, sizeof(out), err, sizeof(err));
	CHECK(n > 0, "client start: %s", err);
	send_auth(conn, FXR_T_AUTH_START, out, n);
}

/* Answers a challenge with the proof for pw. */
static void auth_proof(uint64_t conn, const struct fxr_msg *ch, const char *pw)
{
	struct dconn *c = D(conn);
	char out[FXR_SCRAM_MSG_MAX + 1], err[128];
	int n = fxr_scram_client_proof(&c->sc, (const char *)ch->u.auth.p, ch->u.auth.len, pw,
				       strlen(pw), out, sizeof(out), err, sizeof(err));
	CHECK(n > 0, "client proof: %s", err);
	send_auth(conn, FXR_T_AUTH_PROOF, out, n);
}

static void login_ok(uint64_t conn, const char *id, const char *pw)
{
	struct fxr_msg f;
	auth_start(conn, id);
	EXPECT_FRAME(conn, AUTH_CHALLENGE, &f);
	auth_proof(conn, &f, pw);
	EXPECT(LOGIN, conn);
	struct dconn *c = D(conn);
	CHECK(strcmp(c->dev, id) == 0 && c->ka == 30 && c->idle == 90, "LOGIN %s ka %u idle %u",
	      c->dev, c->ka, c->idle);
	CHECK(c->has_note && c->note.state == FXR_CONN_IDLE, "NOTE before LOGIN: state %u",
	      c->note.state);
	EXPECT_FRAME(conn, AUTH_OK, &f);
	CHECK(f.u.auth_ok.keepalive_s == 30 && f.u.auth_ok.idle_timeout_s == 90, "AUTH_OK timers");
	char err[128];
	CHECK(fxr_scram_client_verify(&c->sc, (const char *)f.u.auth_ok.server_final.p,
				      f.u.auth_ok.server_final.len, err, sizeof(err)) == 0,
	      "server signature: %s", err);
}

/* A login that must fail with code: RATE_LIMITED comes right after AUTH_START (no SCRAM
 * work), AUTH after the proof. Returns the code seen. */
static uint16_t login_fail(uint64_t conn, const char *id, const char *pw, int iterations)
{
	struct fxr_msg f;
	auth_start(conn, id);
	struct fxr_chan_msg m;
	do
		CHECK(recv_c2d(0, &m, WAIT_MS), "no answer to AUTH_START");
	while (m.type == FXR_CHAN_T_NOTE);
	CHECK(m.type == FXR_CHAN_T_SEND_FRAME && m.connid == conn, "answer to AUTH_START: %s",
	      fxr_chan_type_name(m.type));
	CHECK(fxr_frame_decode(m.u.frame.p, m.u.frame.len, &f, NULL) > 0, "bad frame");
	if (f.type == FXR_T_AUTH_FAIL) {
		uint16_t code = f.u.status.code;
		EXPECT(CLOSE, conn);
		return code;
	}
	CHECK(f.type == FXR_T_AUTH_CHALLENGE, "AUTH_START answered with %s",
	      fxr_frame_type_name(f.type));
	if (iterations) {
		char want[32];
		snprintf(want, sizeof(want), ",i=%d", iterations);
		CHECK(memmem(f.u.auth.p, f.u.auth.len, want, strlen(want)) &&
		      memmem(f.u.auth.p, f.u.auth.len, ",s=", 3), "challenge does not look real");
	}
	auth_proof(conn, &f, pw);
	EXPECT_FRAME(conn, AUTH_FAIL, &f);
	uint16_t code = f.u.status.code;
	EXPECT(CLOSE, conn);
	return code;
}

/* ---- the control plane process, fxrctl, python ---- */

static void cp_start(void)
{
	g.cp_runs++;
	char log[256];
	snprintf(log, sizeof(log), "%s/cp%d.log", g.dir, g.cp_runs);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		/* the control plane dies with us, even when we are killed (a meson timeout) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(g.cp_bin, g.cp_bin, "--channel", g.chan, "--db", g.db, "--ops-socket",
		      g.sock, "--config", g.cfg, (char *)NULL);
		_exit(127);
	}
	g.cp_pid = pid;
}

/* Runs fxrctl with args (a shell fragment), stdin_text on its stdin; its stdout in g.out.
 * Returns its exit status. */
static int ctl(const char *stdin_text, const char *fmt, ...)
{
	char args[512], cmd[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s%s%s %s --socket %s %s > %s 2>%s.err",
		 stdin_text ? "printf '%s\\n' '" : "", stdin_text ? stdin_text : "",
		 stdin_text ? "' |" : "", g.ctl_bin, g.sock, args, g.out, g.out);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* python3 over fxrctl's JSON output in g.out: runs a script (written to a file, so no shell
 * quoting) that prints or checks something about d. Returns python's exit status; the
 * first line it printed goes to out when out is not NULL. */
static int py_run(const char *body, char *out, size_t cap)
{
	char script[256], cmd[600];
	snprintf(script, sizeof(script), "%s/check.py", g.dir);
	FILE *f = fopen(script, "w");
	CHECK(f, "check.py");
	fprintf(f, "import json, sys\nd = json.load(open(%c%s%c))\n%s\n", '"', g.out, '"', body);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s", script);
	FILE *p = popen(cmd, "r");
	CHECK(p, "popen");
	if (out && cap) {
		out[0] = 0;
		if (!fgets(out, (int)cap, p))
			out[0] = 0;
	}
	char sink[256];
	while (fgets(sink, sizeof(sink), p))
		;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* The expression must hold for d. */
static void py_check(int line, const char *expr)
{
	char body[1024];
	snprintf(body, sizeof(body), "sys.exit(0 if (%s) else 1)", expr);
	if (py_run(body, NULL, 0) != 0) {
		fprintf(stderr, "FAIL line %d: python check: %s\n", line, expr);
		char c2[300];
		snprintf(c2, sizeof(c2), "head -c 3000 %s >&2", g.out);
		(void)!system(c2);
		exit(1);
	}
}
#define PY(expr) py_check(__LINE__, expr)

static long long json_num(const char *expr)
{
	char body[1024], out[64];
	snprintf(body, sizeof(body), "print(int(%s))", expr);
	CHECK(py_run(body, out, sizeof(out)) == 0, "python: %s", expr);
	return strtoll(out, NULL, 10);
}

/* Waits for the control plane's DUMP_REQUEST on every lane and answers it from the model,
 * as a dataplane does: one DUMP_ENTRY per open connection, then DUMP_END. */
static void answer_dump(void)
{
	struct fxr_chan_msg m;
	for (unsigned l = 0; l < LANES; l++) {
		g.dump_asked[l] = 0;
		while (!g.dump_asked[l])
			CHECK(recv_c2d(l, &m, WAIT_MS), "no DUMP_REQUEST on lane %u", l);
		uint32_t n = 0;
		for (uint32_t s = 0; s < nconn[l]; s++) {
			struct dconn *c = &dc[l * MAXC + s];
			if (!c->open)
				continue;
			struct fxr_chan_msg e = { .type = FXR_CHAN_T_DUMP_ENTRY, .lcore = (uint8_t)l,
						  .connid = c->id };
			e.u.dump.peer = c->peer ? dc[l * MAXC + c->peer - 1].id : 0;
			e.u.dump.state = c->peer ? FXR_CHAN_STATE_PAIRED
				       : c->logged_in ? FXR_CHAN_STATE_IDLE : FXR_CHAN_STATE_NEW;
			e.u.dump.dev_len = c->logged_in ? c->dev_len : 0;
			e.u.dump.dev = (const uint8_t *)c->dev;
			e.u.dump.keepalive_s = c->ka;
			e.u.dump.idle_s = c->idle;
			e.u.dump.addr = c->addr;
			e.u.dump.note = c->note;
			e.u.dump.sent_end = (uint8_t)c->sent_end;
			d2c(&e);
			n++;
		}
		struct fxr_chan_msg end = { .type = FXR_CHAN_T_DUMP_END, .lcore = (uint8_t)l,
					    .u.dump_end = { g.dump_id[l], n } };
		d2c(&end);
	}
}

static void wait_ops(void)
{
	uint64_t end = now_ms() + WAIT_MS;
	while (ctl(NULL, "status") != 0) {
		CHECK(now_ms() < end, "the ops socket never answered");
		pause_us(20000);
	}
}

/* A field of /proc/PID/status in kB ("VmRSS", "RssAnon", "RssShmem"), -1 if absent. */
static long status_kb(pid_t pid, const char *field)
{
	char path[64], line[256], fmt[48];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(fmt, sizeof(fmt), "%s: %%ld", field);
	FILE *f = fopen(path, "r");
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* CPU time (user + system) the process has used, in ms. */
static long cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			 &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* ---- the login storm ---- */

static void storm(unsigned n)
{
	char err[256];
	struct fxr_registry *r;
	CHECK(fxr_registry_open(&r, g.db, err, sizeof(err)) == 0, "registry: %s", err);
	CHECK(fxr_registry_set_iterations(r, FXR_SCRAM_ITER_MIN, err, sizeof(err)) == 0, "%s", err);
	uint64_t t0 = now_ms();
	char id[32];
	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "storm-%05u", i);
		CHECK(fxr_registry_device_add(r, id, "storm-pw", err, sizeof(err)) == 0, "%s", err);
	}
	uint64_t t_reg = now_ms() - t0;
	fxr_registry_close(r);

	CHECK(ctl(NULL, "--json status") == 0, "status");
	long long heap0 = json_num("d['heap_allocated_bytes']");
	long long cache0 = json_num("d['registry_cache_bytes']");
	long rss0 = status_kb(g.cp_pid, "VmRSS"), cpu0 = cpu_ms(g.cp_pid);
	long anon0 = status_kb(g.cp_pid, "RssAnon"), shm0 = status_kb(g.cp_pid, "RssShmem");
	/* every connection starts its login at once, up to a window, over both lanes */
	const unsigned window = 256;
	unsigned started = 0, done = 0, inflight = 0;
	uint64_t first[LANES] = { nconn[0], nconn[1] };
	t0 = now_ms();
	uint64_t deadline = t0 + 600000;
	while (done < n) {
		CHECK(now_ms() < deadline, "storm: %u of %u logged in after 600 s", done, n);
		while (inflight < window && started < n) {
			unsigned lane = started % LANES;
			uint64_t conn = conn_open(lane, 1);
			snprintf(id, sizeof(id), "storm-%05u", started);
			auth_start(conn, id);
			D(conn)->storm = 1;
			started++;
			inflight++;
		}
		int got = 0;
		for (unsigned l = 0; l < LANES; l++) {
			struct fxr_chan_msg m;
			while (recv_c2d(l, &m, 0)) {
				got = 1;
				if (m.type != FXR_CHAN_T_SEND_FRAME)
					continue; /* NOTE, LOGIN: applied to the model */
				struct dconn *c = D(m.connid);
				struct fxr_msg f;
				CHECK(fxr_frame_decode(m.u.frame.p, m.u.frame.len, &f, NULL) > 0, "frame");
				if (f.type == FXR_T_AUTH_CHALLENGE && c->storm == 1) {
					auth_proof(m.connid, &f, "storm-pw");
					c->storm = 2;
				} else if (f.type == FXR_T_AUTH_OK && c->storm == 2) {
					CHECK(c->logged_in, "AUTH_OK before LOGIN");
					CHECK(fxr_scram_client_verify(
						      &c->sc, (const char *)f.u.auth_ok.server_final.p,
						      f.u.auth_ok.server_final.len, err, sizeof(err)) == 0,
					      "storm verify: %s", err);
					c->storm = 3;
					done++;
					inflight--;
				} else {
					CHECK(0, "storm: %s on %#" PRIx64 " (step %d, code %u)",
					      fxr_frame_type_name(f.type), m.connid, c->storm,
					      f.type == FXR_T_AUTH_FAIL ? f.u.status.code : 0);
				}
			}
		}
		if (!got && inflight == window)
			pause_us(50);
	}
	uint64_t t_login = now_ms() - t0;
	(void)first;
	long rss1 = status_kb(g.cp_pid, "VmRSS"), cpu1 = cpu_ms(g.cp_pid);
	long anon1 = status_kb(g.cp_pid, "RssAnon"), shm1 = status_kb(g.cp_pid, "RssShmem");
	printf("storm: %u devices registered in %" PRIu64 " ms (%.0f/s, SCRAM i=%u)\n", n, t_reg,
	       n * 1000.0 / (double)(t_reg ? t_reg : 1), FXR_SCRAM_ITER_MIN);
	printf("storm: %u logins in %" PRIu64 " ms: %.0f logins/s (device-side SCRAM included, "
	       "same 2 cores)\n", n, t_login, n * 1000.0 / (double)(t_login ? t_login : 1));
	printf("storm: control-plane CPU %ld ms for them: %.0f logins per CPU-second of the "
	       "control plane\n", cpu1 - cpu0, n * 1000.0 / (double)(cpu1 > cpu0 ? cpu1 - cpu0 : 1));
	printf("storm: control-plane RSS %ld kB -> %ld kB: %.0f bytes per logged-in idle device\n",
	       rss0, rss1, (rss1 - rss0) * 1024.0 / n);
	/* the channel's shared slabs count in RSS as the rings cycle through them: a cost
	 * bounded by the ring sizes, not one per device (engine/chan/README.md) */
	printf("storm: of which shared (the channel's slabs) %ld kB -> %ld kB; private (RssAnon) "
	       "%ld kB -> %ld kB: %.0f bytes per logged-in idle device\n", shm0, shm1, anon0, anon1,
	       (anon1 - anon0) * 1024.0 / n);
	/* the allocator's live bytes: what the tables' first touch and the allocator's retained
	 * pages do not explain (SQLite's page cache, SCRAM state left behind) */
	CHECK(ctl(NULL, "--json status") == 0, "status");
	long long heap1 = json_num("d['heap_allocated_bytes']");
	long long cache1 = json_num("d['registry_cache_bytes']");
	printf("storm: control-plane heap (jemalloc stats.allocated) %lld kB -> %lld kB: %.0f bytes "
	       "per logged-in idle device\n", heap0 / 1024, heap1 / 1024, (double)(heap1 - heap0) / n);
	printf("storm: of which the registry's page cache %lld kB -> %lld kB; private RSS beyond "
	       "it: %.0f bytes per logged-in idle device\n", cache0 / 1024, cache1 / 1024,
	       ((anon1 - anon0) * 1024.0 - (double)(cache1 - cache0)) / n);

	/* no message lost: everything the control plane sent we received, and the reverse */
	CHECK(ctl(NULL, "--json stats") == 0, "stats");
	PY("d['controlplane']['c2d_overflow'] == 0 and d['controlplane']['c2d_lost'] == 0");
	PY("d['controlplane']['d2c_bad'] == 0 and d['session']['logins'] >= " "0");
	char expr[512];
	snprintf(expr, sizeof(expr), "d['controlplane']['auth_ok'] >= %u", n);
	PY(expr);
	PY("all(l['c2d']['sent'] == l['c2d']['received'] and l['c2d']['in_flight'] == 0 and "
	   "l['backlog'] == 0 and l['c2d']['bad'] == 0 for l in d['channel'])");
	PY("all(l['d2c']['sent'] == l['d2c']['received'] and l['d2c']['bad'] == 0 "
	   "for l in d['channel'])");
	printf("storm: c2d full %lld times, backlog high water %lld\n",
	       json_num("sum(l['c2d']['full'] for l in d['channel'])"),
	       json_num("max(l['backlog_high_water'] for l in d['channel'])"));
	CHECK(ctl(NULL, "--json status") == 0, "status");
	snprintf(expr, sizeof(expr), "d['devices_logged_in'] >= %u", n);
	PY(expr);
}

/* ---- a full channel and a full backlog ---- */

/* With the smallest backlog (one ordinary message beyond the CLOSE reserve), n AUTH_STARTs
 * from unknown devices while the stand-in reads nothing: the channel's queue takes
 * `slots` challenges, the backlog one more, and every other connection must be closed
 * (CLOSE through the reserve, counted in c2d_overflow), none silently dropped. */
static void overflow(unsigned n)
{
	uint32_t slots = fxr_chan_slots(g.ch, FXR_CHAN_C2D);
	char id[32];
	for (unsigned i = 0; i < n; i++) {
		uint64_t c = conn_open(0, 7);
		snprintf(id, sizeof(id), "nobody-%u", i);
		auth_start(c, id);
	}
	/* wait (bounded) until the control plane has handled every AUTH_START */
	char expr[256];
	snprintf(expr, sizeof(expr), "sys.exit(0 if d['controlplane']['auth_starts'] == %u else 1)",
		 n);
	uint64_t end = now_ms() + WAIT_MS;
	for (;;) {
		CHECK(ctl(NULL, "--json stats") == 0, "stats");
		if (py_run(expr, NULL, 0) == 0)
			break;
		CHECK(now_ms() < end, "the control plane did not take %u AUTH_STARTs", n);
		pause_us(20000);
	}
	unsigned challenges = 0, closes = 0;
	struct fxr_chan_msg m;
	while (challenges + closes < n) {
		CHECK(recv_c2d(0, &m, WAIT_MS), "after %u challenges and %u closes: nothing more",
		      challenges, closes);
		struct dconn *c = D(m.connid);
		if (m.type == FXR_CHAN_T_SEND_FRAME) {
			struct fxr_msg f;
			CHECK(fxr_frame_decode(m.u.frame.p, m.u.frame.len, &f, NULL) > 0 &&
			      f.type == FXR_T_AUTH_CHALLENGE, "not a challenge");
			CHECK(c->storm == 0, "two answers on one connection");
			c->storm = 1;
			challenges++;
		} else {
			CHECK(m.type == FXR_CHAN_T_CLOSE, "%s", fxr_chan_type_name(m.type));
			CHECK(c->storm == 0, "CLOSE after a challenge");
			c->storm = 2;
			closes++;
		}
	}
	CHECK(!recv_c2d(0, &m, 200), "more than one answer per connection");
	printf("overflow: %u challenges, %u connections closed (queue %u + backlog 1)\n",
	       challenges, closes, slots);
	CHECK(challenges == slots + 1 && closes == n - slots - 1, "split");
	CHECK(ctl(NULL, "--json stats") == 0, "stats");
	snprintf(expr, sizeof(expr),
		 "d['controlplane']['c2d_overflow'] == %u and d['controlplane']['c2d_lost'] == 0 "
		 "and d['channel'][0]['backlog_high_water'] >= %u",
		 closes, closes);
	PY(expr);
	CHECK(ctl(NULL, "--json status") == 0, "status");
	snprintf(expr, sizeof(expr), "d['connections'] == %u", challenges);
	PY(expr);
}

/* The connections overflow() left challenged never send their proof: the control plane's
 * timer must close each of them after the pre-auth time, once: AUTH_FAIL(AUTH) then CLOSE,
 * or (when the lane's backlog is full as they all expire together; this test keeps it
 * tiny) CLOSE alone, counted in c2d_overflow. How many take which path depends on how fast
 * this stand-in drains the ring, so the test checks the sum: nothing is lost silently. */
static void preauth_timeouts(void)
{
	unsigned want = 0, fails = 0, closes = 0;
	for (uint32_t i = 0; i < nconn[0]; i++)
		want += dc[i].open && dc[i].storm == 1;
	CHECK(ctl(NULL, "--json stats") == 0, "stats");
	long long overflow_before = json_num("d['controlplane']['c2d_overflow']");
	uint64_t end = now_ms() + 2 * WAIT_MS;
	while (closes < want) {
		struct fxr_chan_msg m;
		CHECK(now_ms() < end, "pre-auth: %u of %u closed", closes, want);
		if (!recv_c2d(0, &m, WAIT_MS))
			continue;
		struct dconn *c = D(m.connid);
		CHECK(c && (c->storm == 1 || c->storm == 3), "pre-auth: message for %#" PRIx64,
		      m.connid);
		if (m.type == FXR_CHAN_T_SEND_FRAME) {
			struct fxr_msg f;
			CHECK(fxr_frame_decode(m.u.frame.p, m.u.frame.len, &f, NULL) > 0 &&
			      f.type == FXR_T_AUTH_FAIL && f.u.status.code == FXR_CODE_AUTH,
			      "pre-auth: not AUTH_FAIL(AUTH)");
			CHECK(c->storm == 1, "pre-auth: two AUTH_FAILs on %#" PRIx64, m.connid);
			c->storm = 3; /* told; its CLOSE is next */
			fails++;
		} else {
			CHECK(m.type == FXR_CHAN_T_CLOSE, "pre-auth: %s", fxr_chan_type_name(m.type));
			c->storm = 4; /* closed: any later message for it fails the check above */
			closes++;
		}
	}
	struct fxr_chan_msg extra;
	CHECK(!recv_c2d(0, &extra, 200), "pre-auth: more messages after every connection closed");
	CHECK(ctl(NULL, "--json stats") == 0, "stats");
	long long overflowed = json_num("d['controlplane']['c2d_overflow']") - overflow_before;
	CHECK(fails + overflowed == (long long)want,
	      "pre-auth: %u AUTH_FAIL + %lld refused by the full backlog, for %u", fails, overflowed,
	      want);
	char expr[160];
	snprintf(expr, sizeof(expr),
		 "d['session']['preauth_timeouts'] == %u and d['controlplane']['c2d_lost'] == 0", want);
	PY(expr);
	printf("ok: %u connections closed by the pre-auth timer (%u told AUTH_FAIL first, %lld "
	       "closed alone by the full backlog)\n", want, fails, overflowed);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: cp_standin FXR-CONTROLPLANE FXRCTL N-STORM|overflow\n");
		return 2;
	}
	g.cp_bin = argv[1];
	g.ctl_bin = argv[2];
	int overflow_mode = strcmp(argv[3], "overflow") == 0;
	unsigned nstorm = overflow_mode ? 0 : (unsigned)strtoul(argv[3], NULL, 10);
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(cleanup);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(g.dir, sizeof(g.dir), "/tmp/fxr-cp-standin-XXXXXX");
	CHECK(mkdtemp(g.dir), "mkdtemp");
	snprintf(g.db, sizeof(g.db), "%s/registry.db", g.dir);
	snprintf(g.sock, sizeof(g.sock), "%s/ops.sock", g.dir);
	snprintf(g.cfg, sizeof(g.cfg), "%s/cp.conf", g.dir);
	snprintf(g.out, sizeof(g.out), "%s/out.json", g.dir);
	snprintf(g.chan, sizeof(g.chan), "cpt-%d", (int)getpid());
	dc = calloc((size_t)LANES * MAXC, sizeof(*dc));
	CHECK(dc, "calloc");
	FILE *f = fopen(g.cfg, "w");
	CHECK(f, "config");
	/* blocks long enough that no machine is slow enough to see one expire mid-test */
	fprintf(f, "# cp_standin\nscram_iterations = 4096\nthrottle_free_failures = 3\n"
		   "throttle_base_block_ms = 600000\nmax_conns = 65536\nlog_level = info\n");
	if (overflow_mode) /* smallest backlog; a pre-auth time the overflow check fits in */
		fprintf(f, "backlog_msgs = %u\npreauth_ms = 8000\n", 1024 + 1);
	fclose(f);

	struct fxr_chan_cfg cc;
	fxr_chan_cfg_default(&cc, LANES);
	char err[256];
	CHECK(fxr_chan_create(g.chan, &cc, &g.ch, err, sizeof(err)) == 0, "create: %s", err);

	/* start, attach, empty dump */
	cp_start();
	answer_dump();
	wait_ops();
	CHECK(ctl(NULL, "--json status") == 0, "status");
	PY("d['phase'] == 'running' and d['lanes'] == 2 and d['connections'] == 0");
	printf("ok: attach and empty dump\n");
	if (overflow_mode) {
		overflow(600);
		preauth_timeouts();
		printf("PASS\n");
		return 0;
	}

	/* registration through fxrctl, password on stdin */
	static const char *const devs[] = { "dev-a", "dev-b", "dev-c", "dev-d", "dev-t" };
	for (size_t i = 0; i < 5; i++)
		CHECK(ctl("pw-secret", "device add %s", devs[i]) == 0, "device add %s", devs[i]);
	CHECK(ctl("pw-secret", "device add dev-a") == 1, "duplicate add must fail");
	CHECK(ctl("", "device add dev-e") == 2, "empty password must be refused");
	CHECK(ctl(NULL, "--json device list") == 0, "device list");
	PY("[x['id'] for x in d] == ['dev-a','dev-b','dev-c','dev-d','dev-t']");
	printf("ok: fxrctl device add/list\n");

	/* logins */
	uint64_t a1 = conn_open(0, 1);
	login_ok(a1, "dev-a", "pw-secret");
	uint64_t x1 = conn_open(0, 50);
	CHECK(login_fail(x1, "dev-a", "wrong", 4096) == FXR_CODE_AUTH, "wrong password");
	uint64_t g1 = conn_open(0, 51);
	CHECK(login_fail(g1, "ghost", "whatever", 4096) == FXR_CODE_AUTH, "unknown device");
	printf("ok: login, wrong password, unknown device\n");

	/* throttling: one source address failing for dev-t */
	uint16_t code = 0;
	int tries = 0;
	while (code != FXR_CODE_RATE_LIMITED && tries < 10) {
		uint64_t t = conn_open(0, 99);
		code = login_fail(t, "dev-t", "wrong", 0);
		tries++;
	}
	printf("throttle: RATE_LIMITED after %d failed attempts\n", tries - 1);
	/* throttle_free_failures = 3: free, then the block starts with the 3rd or 4th */
	CHECK(code == FXR_CODE_RATE_LIMITED && (tries == 4 || tries == 5), "throttled after %d tries",
	      tries);
	/* the right password does not help: the device itself is blocked (another address) */
	uint64_t t2 = conn_open(0, 98);
	CHECK(login_fail(t2, "dev-t", "pw-secret", 0) == FXR_CODE_RATE_LIMITED, "device block");
	/* other devices are not affected */
	uint64_t a2 = conn_open(0, 97);
	login_ok(a2, "dev-a", "pw-secret");
	printf("ok: throttling by source and by device, before any SCRAM work\n");

	/* a call: CONNECT -> INCOMING -> ACCEPT -> PAIR + CONNECTED */
	struct fxr_msg fr;
	uint64_t c1 = conn_open(0, 2);
	login_ok(c1, "dev-c", "pw-secret");
	send_connect(a1, 7, "dev-c");
	EXPECT_FRAME(c1, INCOMING, &fr);
	uint32_t call = fr.u.call.id;
	CHECK(fr.u.call.dev_len == 5 && memcmp(fr.u.call.dev, "dev-a", 5) == 0, "caller");
	send_ref(c1, FXR_T_ACCEPT, call);
	struct fxr_chan_msg pm = EXPECT(PAIR, a1);
	CHECK(pm.u.pair.peer == c1, "PAIR peer");
	EXPECT_FRAME(a1, CONNECTED, &fr);
	CHECK(fr.u.call.id == 7 && fr.u.call.dev_len == 5 &&
	      memcmp(fr.u.call.dev, "dev-c", 5) == 0, "CONNECTED");
	CHECK(D(a1)->peer && D(c1)->peer, "model paired");
	printf("ok: CONNECT, INCOMING, ACCEPT, PAIR, CONNECTED\n");

	/* LIST from a spare connection */
	send_ref(a2, FXR_T_LIST, 11);
	EXPECT_FRAME(a2, LIST_RESULT, &fr);
	CHECK(fr.u.list.req_id == 11, "LIST req_id");
	struct fxr_list_iter it;
	struct fxr_list_entry le;
	int seen_c = 0;
	fxr_list_iter_init(&it, &fr);
	while (fxr_list_next(&it, &le))
		if (le.id_len == 5 && memcmp(le.id, "dev-c", 5) == 0)
			seen_c = le.state;
	CHECK(seen_c == FXR_LIST_BUSY, "dev-c busy in LIST (%d)", seen_c);
	printf("ok: LIST\n");

	/* fxrctl views, JSON checked with python */
	CHECK(ctl(NULL, "--json conns") == 0, "conns");
	PY("len(d) == 3 and sorted(c['device'] for c in d) == ['dev-a','dev-a','dev-c'] and "
	   "sorted(c['state'] for c in d) == ['IDLE','PAIRED','PAIRED']");
	CHECK(ctl(NULL, "--json sessions") == 0, "sessions");
	PY("len(d) == 1 and sorted([d[0]['a_device'], d[0]['b_device']]) == ['dev-a','dev-c']");
	CHECK(ctl(NULL, "--json status") == 0, "status");
	PY("d['connections'] == 3 and d['devices_logged_in'] == 2 and d['by_state']['PAIRED'] == 2");
	CHECK(ctl(NULL, "--json stats") == 0, "stats");
	char expr[512];
	snprintf(expr, sizeof(expr),
		 "d['controlplane']['auth_ok'] == 3 and d['controlplane']['auth_failed'] == %d and "
		 "d['controlplane']['auth_unknown'] == 1 and "
		 "d['controlplane']['auth_rate_limited'] == 2 and d['session']['calls_paired'] == 1 "
		 "and d['throttle']['device']['blocks'] >= 1", 2 + tries - 1);
	PY(expr);
	CHECK(ctl(NULL, "conns") == 0 && ctl(NULL, "sessions") == 0 && ctl(NULL, "stats") == 0,
	      "human tables");
	printf("ok: fxrctl conns/sessions/status/stats --json\n");

	/* a pending call, then kill -9 mid-call and mid-setup */
	uint64_t d1 = conn_open(0, 3);
	login_ok(d1, "dev-d", "pw-secret");
	send_connect(a2, 9, "dev-d");
	EXPECT_FRAME(d1, INCOMING, &fr);
	uint32_t call2 = fr.u.call.id;
	CHECK(D(a2)->note.state == FXR_CONN_PENDING && D(d1)->note.state == FXR_CONN_PENDING,
	      "notes say PENDING");
	/* make sure the control plane has applied everything before it dies */
	CHECK(ctl(NULL, "--json status") == 0, "status");
	PY("d['by_state']['PENDING'] == 2");
	kill(g.cp_pid, SIGKILL);
	waitpid(g.cp_pid, NULL, 0);
	g.cp_pid = 0;
	cp_start();
	answer_dump();
	/* the pending call ends as unanswered */
	EXPECT_FRAME(a2, CONNECT_FAIL, &fr);
	CHECK(fr.u.result.id == 9 && fr.u.result.code == FXR_CODE_TIMEOUT, "CONNECT_FAIL(TIMEOUT)");
	EXPECT_FRAME(d1, CANCEL, &fr);
	CHECK(fr.u.result.id == call2 && fr.u.result.code == FXR_CODE_TIMEOUT, "CANCEL(TIMEOUT)");
	wait_ops();
	CHECK(ctl(NULL, "--json sessions") == 0, "sessions");
	PY("len(d) == 1 and sorted([d[0]['a_device'], d[0]['b_device']]) == ['dev-a','dev-c']");
	/* the pair survived: RELEASE works */
	send_simple(a1, FXR_T_RELEASE);
	EXPECT(UNPAIR, a1);
	EXPECT_FRAME(c1, END, &fr);
	CHECK(fr.u.end.reason == FXR_CODE_PEER_RELEASED, "END(14)");
	EXPECT_FRAME(a1, RELEASED, NULL);
	send_simple(c1, FXR_T_RELEASE);
	EXPECT(UNPAIR, c1);
	EXPECT_FRAME(c1, RELEASED, NULL);
	printf("ok: kill -9 and restart: pair kept, RELEASE -> UNPAIR + END(14) + RELEASED, "
	       "pending call -> CONNECT_FAIL/CANCEL(TIMEOUT)\n");

	/* END relayed before a restart is remembered (sent_end in the dump) */
	send_connect(a1, 21, "dev-c");
	EXPECT_FRAME(c1, INCOMING, &fr);
	send_ref(c1, FXR_T_ACCEPT, fr.u.call.id);
	EXPECT(PAIR, a1);
	EXPECT_FRAME(a1, CONNECTED, NULL);
	D(c1)->sent_end = 1; /* the dataplane relayed c1's END to a1 ... */
	struct fxr_chan_msg er = { .type = FXR_CHAN_T_END_RELAYED, .lcore = 0, .connid = c1 };
	d2c(&er);            /* ... and says so */
	CHECK(ctl(NULL, "--json status") == 0, "status");
	kill(g.cp_pid, SIGKILL);
	waitpid(g.cp_pid, NULL, 0);
	g.cp_pid = 0;
	cp_start();
	answer_dump();
	wait_ops();
	send_simple(c1, FXR_T_RELEASE); /* c1 had sent END: no END(14) to a1 */
	EXPECT(UNPAIR, c1);
	EXPECT_FRAME(c1, RELEASED, NULL);
	send_simple(a1, FXR_T_RELEASE);
	EXPECT(UNPAIR, a1);
	EXPECT_FRAME(a1, RELEASED, NULL);
	printf("ok: END_RELAYED survives a restart (no END(14) after the sender's own END)\n");

	/* new logins after the restart; LOGOUT */
	uint64_t b1 = conn_open(0, 4);
	login_ok(b1, "dev-b", "pw-secret");
	send_simple(b1, FXR_T_LOGOUT);
	EXPECT_FRAME(b1, BYE, &fr);
	CHECK(fr.u.status.code == FXR_CODE_LOGGED_OUT, "BYE(15)");
	EXPECT(CLOSE, b1);
	printf("ok: login after restart, LOGOUT\n");

	/* kick through fxrctl: BYE + CLOSE on both of dev-a's connections */
	CHECK(ctl(NULL, "kick dev-a") == 0, "kick");
	int byes = 0, closes = 0;
	for (int i = 0; i < 4; i++) {
		struct fxr_chan_msg m;
		do
			CHECK(recv_c2d(0, &m, WAIT_MS), "kick: message %d missing", i);
		while (m.type == FXR_CHAN_T_NOTE);
		CHECK(m.connid == a1 || m.connid == a2, "kick hit %#" PRIx64, m.connid);
		if (m.type == FXR_CHAN_T_SEND_FRAME) {
			CHECK(fxr_frame_decode(m.u.frame.p, m.u.frame.len, &fr, NULL) > 0 &&
			      fr.type == FXR_T_BYE && fr.u.status.code == FXR_CODE_LOGGED_OUT, "BYE");
			byes++;
		} else {
			CHECK(m.type == FXR_CHAN_T_CLOSE, "kick: %s", fxr_chan_type_name(m.type));
			closes++;
		}
	}
	CHECK(byes == 2 && closes == 2 && !D(a1)->open && !D(a2)->open, "kick");
	CHECK(ctl(NULL, "kick dev-a") == 1, "kick of a device not logged in must fail");
	printf("ok: fxrctl kick\n");

	/* passwd, del */
	CHECK(ctl("new-pw", "device passwd dev-c") == 0, "passwd");
	uint64_t c2 = conn_open(0, 5);
	login_ok(c2, "dev-c", "new-pw");
	CHECK(ctl(NULL, "device del dev-d") == 0, "del");
	EXPECT_FRAME(d1, BYE, NULL);
	EXPECT(CLOSE, d1);
	CHECK(ctl(NULL, "--json device list") == 0, "list");
	PY("'dev-d' not in [x['id'] for x in d]");
	CHECK(ctl(NULL, "device show dev-d") == 1, "show of a removed device must fail");
	CHECK(ctl(NULL, "--json device show dev-c") == 0, "show");
	PY("d['id'] == 'dev-c' and len(d['conns']) == 2");
	printf("ok: fxrctl device passwd/del/show\n");

	if (nstorm)
		storm(nstorm);

	/* a clean stop: SIGTERM, exit 0, socket removed */
	kill(g.cp_pid, SIGTERM);
	int st = 0;
	uint64_t end = now_ms() + WAIT_MS;
	pid_t w;
	while ((w = waitpid(g.cp_pid, &st, WNOHANG)) == 0 && now_ms() < end)
		pause_us(10000);
	CHECK(w == g.cp_pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "clean stop");
	g.cp_pid = 0;
	CHECK(access(g.sock, F_OK) != 0, "ops socket left behind");
	printf("ok: SIGTERM stop\nPASS\n");
	return 0;
}
