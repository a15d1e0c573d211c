/* Plane channel across processes (fork): a dataplane producer and a control-plane consumer
 * in separate address spaces, as in production.
 *
 *  - 100,000 connections, each a CONN_NEW then a FRAME, over two lanes, with small rings
 *    so the producer meets full queues and retries: every message arrives exactly once,
 *    in order per connection and per lane, intact, and the full counter equals the
 *    producer's retries.
 *  - the consumer is killed with SIGKILL mid-stream and a new one attaches: nothing is
 *    lost but what the dead one had dequeued (the repaired counter says how many), nothing
 *    is duplicated, and the stream resumes in order.
 *
 * Children report through exit codes and a shared anonymous mapping, never through cmocka
 * (its state is the parent's). Every loop is bounded, children arm alarm(), and the parent
 * waits for each child with waitpid. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/connid.h"
#include "fxr/frame.h"

#define NCONN        100000u
#define LANES        2u
#define CHILD_ALARM  45u
#define MAX_RETRIES  (200u * 1000u * 1000u)
#define MAX_EMPTY    (200u * 1000u * 1000u)

static char g_name[64];
static pid_t g_children[2] = { -1, -1 }; /* consumers still to reap if a test fails */

static int setup(void **state)
{
	static int n;
	(void)state;
	snprintf(g_name, sizeof(g_name), "test-fork-%d-%d", (int)getpid(), n++);
	return 0;
}

/* A failed test leaves its mapping behind: remove it whatever happened. */
static int teardown(void **state)
{
	char shm[96];
	(void)state;
	snprintf(shm, sizeof(shm), "/fxr-%s", g_name);
	shm_unlink(shm);
	for (int i = 0; i < 2; i++) {
		if (g_children[i] > 0) {
			kill(g_children[i], SIGKILL);
			waitpid(g_children[i], NULL, 0);
			g_children[i] = -1;
		}
	}
	return 0;
}

static void *shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static struct fxr_chan *create(uint16_t lanes, uint32_t d2c_slots)
{
	struct fxr_chan_cfg cfg;
	fxr_chan_cfg_default(&cfg, lanes);
	cfg.slots[FXR_CHAN_D2C] = d2c_slots;
	cfg.slots[FXR_CHAN_C2D] = 4;
	struct fxr_chan *c = NULL;
	char err[160] = "";
	int rc = fxr_chan_create(g_name, &cfg, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("create: %d %s", rc, err);
	return c;
}

/* ---- test 1: 100,000 connections ---- */

/* Connection i: lane i % LANES, slot i / LANES, generation derived from i. */
static uint64_t conn_id(uint32_t i)
{
	return fxr_connid_make((uint8_t)(i % LANES), i / LANES, 1 + (i * 2654435761u >> 8));
}

/* The frame of connection i: a CONNECT whose req_id is i and whose destination length
 * varies with i, so both content and length are checked. */
static size_t conn_frame(uint32_t i, uint8_t *f)
{
	uint8_t dlen = (uint8_t)(1 + i % 64);
	fxr_frame_hdr_put(f, FXR_T_CONNECT, 0, (uint16_t)(4 + 1 + dlen));
	fxr_put_be32(f + 4, i);
	f[8] = dlen;
	for (uint8_t k = 0; k < dlen; k++)
		f[9 + k] = (uint8_t)('a' + (i + k) % 26);
	return 4u + 4 + 1 + dlen;
}

static void conn_msgs(uint32_t i, struct fxr_chan_msg *n, struct fxr_chan_msg *fr, uint8_t *f)
{
	memset(n, 0, sizeof(*n));
	n->type = FXR_CHAN_T_CONN_NEW;
	n->lcore = (uint8_t)(i % LANES);
	n->connid = conn_id(i);
	n->u.conn_new.family = 4;
	fxr_put_be32(n->u.conn_new.addr, 0x0a000000u | i);
	n->u.conn_new.remote_port = (uint16_t)(1024 + i % 60000);
	n->u.conn_new.local_port = 4747;
	memset(fr, 0, sizeof(*fr));
	fr->type = FXR_CHAN_T_FRAME;
	fr->lcore = n->lcore;
	fr->connid = n->connid;
	fr->u.frame.p = f;
	fr->u.frame.len = (uint32_t)conn_frame(i, f);
}

/* Consumer child: exit 0 when every message arrived once, in order, intact. */
static int consume_all(void)
{
	alarm(CHILD_ALARM);
	struct fxr_chan *c = NULL;
	if (fxr_chan_attach(g_name, &c, NULL, 0) != 0)
		return 10;
	uint8_t *seen = calloc(NCONN, 1); /* 0 nothing, 1 CONN_NEW, 2 FRAME */
	static uint8_t buf[FXR_CHAN_SLOT_D2C];
	uint8_t want[4 + 4 + 1 + 64];
	long next[LANES]; /* next connection expected on each lane */
	uint32_t done = 0, empty = 0;
	if (seen == NULL)
		return 11;
	for (unsigned lane = 0; lane < LANES; lane++)
		next[lane] = lane;
	while (done < 2 * NCONN) {
		int got = 0;
		for (unsigned lane = 0; lane < LANES; lane++) {
			int n = fxr_chan_recv(c, lane, buf, sizeof(buf));
			if (n == 0)
				continue;
			struct fxr_chan_msg m;
			if (n < 0 || fxr_chan_msg_decode(buf, (size_t)n, &m, NULL) != n)
				return 12;
			got = 1;
			done++;
			if (m.lcore != lane || fxr_connid_lcore(m.connid) != lane)
				return 13;
			uint32_t i = fxr_connid_slot(m.connid) * LANES + lane;
			if (i >= NCONN || m.connid != conn_id(i))
				return 14;
			if (m.type == FXR_CHAN_T_CONN_NEW) {
				/* lane order: connections come in increasing order */
				if (seen[i] != 0 || (long)i != next[lane])
					return 15;
				if (m.u.conn_new.family != 4 ||
				    fxr_get_be32(m.u.conn_new.addr) != (0x0a000000u | i) ||
				    m.u.conn_new.remote_port != 1024 + i % 60000 ||
				    m.u.conn_new.local_port != 4747)
					return 16;
				seen[i] = 1;
			} else if (m.type == FXR_CHAN_T_FRAME) {
				if (seen[i] != 1) /* duplicate, or before its CONN_NEW */
					return 17;
				size_t wl = conn_frame(i, want);
				if (m.u.frame.len != wl || memcmp(m.u.frame.p, want, wl) != 0)
					return 18;
				seen[i] = 2;
				next[lane] = i + LANES;
			} else {
				return 19;
			}
		}
		if (!got) {
			if (++empty > MAX_EMPTY)
				return 20;
			sched_yield(); /* two cores: let the producer run */
		}
	}
	for (uint32_t i = 0; i < NCONN; i++)
		if (seen[i] != 2)
			return 21;
	/* nothing more than expected */
	for (unsigned lane = 0; lane < LANES; lane++)
		if (fxr_chan_recv(c, lane, buf, sizeof(buf)) != 0)
			return 22;
	free(seen);
	fxr_chan_close(c);
	return 0;
}

/* Sends m, retrying on -ENOBUFS; counts retries. Fails the test when the consumer died or
 * the retries run out. */
static void send_retry(struct fxr_chan *dp, unsigned lane, const struct fxr_chan_msg *m,
		       uint64_t *retries, pid_t child)
{
	for (;;) {
		int rc = fxr_chan_send_msg(dp, lane, m);
		if (rc == 0)
			return;
		assert_int_equal(rc, -ENOBUFS);
		++*retries;
		if (*retries > MAX_RETRIES)
			fail_msg("still full after %llu retries", (unsigned long long)*retries);
		if ((*retries & 1023) == 0 && child > 0) {
			int status;
			if (waitpid(child, &status, WNOHANG) == child)
				fail_msg("consumer exited early: status 0x%x", status);
		}
		sched_yield();
	}
}

static void test_100k_connections(void **state)
{
	(void)state;
	struct fxr_chan *dp = create(LANES, 64);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(consume_all());
	g_children[0] = child;

	uint64_t retries = 0;
	uint8_t f[4 + 4 + 1 + 64];
	for (uint32_t i = 0; i < NCONN; i++) {
		struct fxr_chan_msg n, fr;
		conn_msgs(i, &n, &fr, f);
		send_retry(dp, i % LANES, &n, &retries, child);
		send_retry(dp, i % LANES, &fr, &retries, child);
	}
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	g_children[0] = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("consumer failed: status 0x%x (exit %d)", status, WEXITSTATUS(status));

	uint64_t full = 0;
	for (unsigned lane = 0; lane < LANES; lane++) {
		struct fxr_chan_stats st;
		assert_int_equal(fxr_chan_stats_get(dp, lane, FXR_CHAN_D2C, &st), 0);
		assert_int_equal(st.sent, NCONN);     /* 2 messages x NCONN / LANES */
		assert_int_equal(st.received, NCONN);
		assert_int_equal(st.in_flight, 0);
		assert_int_equal(st.reclaimed, 0);
		full += st.full;
	}
	assert_int_equal(full, retries);
	print_message("100k connections: %llu full-queue retries\n", (unsigned long long)retries);
	fxr_chan_close(dp);
}

/* ---- test 2: the consumer is killed mid-stream ---- */

#define KILL_MSGS   200000u
#define KILL_AFTER  50000u

struct progress {
	uint8_t got_a[KILL_MSGS]; /* set by consumer A for each message it processed */
	uint8_t got_b[KILL_MSGS]; /* same, consumer B */
	volatile uint32_t count_a; /* A's processed count (may lag got_a by one at the kill) */
	volatile uint64_t b_received_at_attach;
	volatile int64_t b_first;
	volatile int b_attached;
	int self_kill; /* A kills itself right after dequeuing message KILL_AFTER */
};

static struct progress *g_prog;
static volatile uint32_t g_sink; /* keeps A's "processing" loop from being optimised out */

static int send_kill_seq(struct fxr_chan *dp, uint32_t seq)
{
	uint8_t f[8];
	fxr_frame_hdr_put(f, FXR_T_KEEPALIVE, 0, 4);
	fxr_put_be32(f + 4, seq);
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_FRAME,
				  .connid = fxr_connid_make(0, seq & FXR_CONNID_SLOT_MAX, 1) };
	m.u.frame.p = f;
	m.u.frame.len = sizeof(f);
	return fxr_chan_send_msg(dp, 0, &m);
}

/* Consumer A (b == 0) runs until killed; B (b == 1) until the last message. */
static int consume_seq(int b)
{
	alarm(CHILD_ALARM);
	struct fxr_chan *c = NULL;
	if (fxr_chan_attach(g_name, &c, NULL, 0) != 0)
		return 30;
	if (b) {
		struct fxr_chan_stats st;
		fxr_chan_stats_get(c, 0, FXR_CHAN_D2C, &st);
		g_prog->b_received_at_attach = st.received;
		g_prog->b_first = -1;
		__atomic_store_n(&g_prog->b_attached, 1, __ATOMIC_RELEASE);
	}
	static uint8_t buf[FXR_CHAN_SLOT_D2C];
	int64_t last = -1;
	for (uint32_t empty = 0; empty <= MAX_EMPTY;) {
		int n = fxr_chan_recv(c, 0, buf, sizeof(buf));
		if (n == 0) {
			empty++;
			sched_yield();
			continue;
		}
		struct fxr_chan_msg m;
		if (n < 0 || fxr_chan_msg_decode(buf, (size_t)n, &m, NULL) != n ||
		    m.type != FXR_CHAN_T_FRAME || m.u.frame.len != 8)
			return 31;
		uint32_t seq = fxr_get_be32(m.u.frame.p + 4);
		if (seq >= KILL_MSGS || (int64_t)seq <= last ||
		    m.connid != fxr_connid_make(0, seq & FXR_CONNID_SLOT_MAX, 1))
			return 32;
		last = seq;
		if (!b && g_prog->self_kill && seq == KILL_AFTER)
			raise(SIGKILL); /* dies holding a dequeued, unprocessed message */
		if (!b) {
			/* "processing": A spends time between receiving a message and
			 * recording it, where an outside kill loses the message */
			for (uint32_t k = 0; k < 1000; k++)
				g_sink += buf[k % (uint32_t)n];
		}
		if (b) {
			if (g_prog->b_first < 0)
				g_prog->b_first = seq;
			g_prog->got_b[seq] = 1;
			if (seq == KILL_MSGS - 1)
				return 0;
		} else {
			g_prog->got_a[seq] = 1;
			__atomic_store_n(&g_prog->count_a, g_prog->count_a + 1, __ATOMIC_RELEASE);
		}
	}
	return 33;
}

/* self_kill 0: the parent kills A from outside once A has processed KILL_AFTER messages,
 * at whatever point of its loop A then is; 1: A raises SIGKILL on itself right after
 * dequeuing message KILL_AFTER, which must then be the one message lost. */
static void killed_mid_stream(int self_kill)
{
	g_prog = shared_alloc(sizeof(*g_prog));
	g_prog->self_kill = self_kill;
	struct fxr_chan *dp = create(1, 32);
	pid_t a = fork();
	assert_true(a >= 0);
	if (a == 0)
		_exit(consume_seq(0));
	g_children[0] = a;

	pid_t b = -1;
	uint64_t retries = 0;
	for (uint32_t seq = 0; seq < KILL_MSGS; seq++) {
		for (;;) {
			int a_gone = 0;
			if (b < 0 && self_kill && (retries & 63) == 0) {
				int status = 0;
				a_gone = waitpid(a, &status, WNOHANG) == a;
				if (a_gone) {
					g_children[0] = -1;
					assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
				}
			}
			if (b < 0 && !self_kill &&
			    __atomic_load_n(&g_prog->count_a, __ATOMIC_ACQUIRE) >= KILL_AFTER) {
				/* mid-stream: A is busy consuming while we keep producing */
				assert_int_equal(kill(a, SIGKILL), 0);
				int status = 0;
				assert_int_equal(waitpid(a, &status, 0), a);
				g_children[0] = -1;
				assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
				a_gone = 1;
			}
			if (a_gone) {
				b = fork();
				assert_true(b >= 0);
				if (b == 0)
					_exit(consume_seq(1));
				g_children[1] = b;
			}
			int rc = send_kill_seq(dp, seq);
			if (rc == 0)
				break;
			assert_int_equal(rc, -ENOBUFS);
			if (++retries > MAX_RETRIES)
				fail_msg("still full after %llu retries", (unsigned long long)retries);
			if ((retries & 1023) == 0 && (b > 0 || !self_kill)) {
				int status;
				pid_t live = b > 0 ? b : a;
				if (waitpid(live, &status, WNOHANG) == live)
					fail_msg("consumer exited early: status 0x%x", status);
			}
			sched_yield();
		}
	}
	assert_true(b > 0); /* A was killed before the end of the stream */
	int status = 0;
	assert_int_equal(waitpid(b, &status, 0), b);
	g_children[1] = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("consumer B failed: status 0x%x (exit %d)", status, WEXITSTATUS(status));

	uint64_t a_done = 0, missing = 0;
	int64_t last_a = -1, first_missing = -1;
	for (uint32_t s = 0; s < KILL_MSGS; s++) {
		assert_false(g_prog->got_a[s] && g_prog->got_b[s]); /* no duplicate */
		if (g_prog->got_a[s]) {
			a_done++;
			last_a = s;
		}
		if (!g_prog->got_a[s] && !g_prog->got_b[s]) {
			missing++;
			if (first_missing < 0)
				first_missing = s;
		}
	}
	assert_true(a_done >= KILL_AFTER);
	/* the only loss: what A had dequeued and not processed, as the repaired counter says */
	assert_int_equal(missing, g_prog->b_received_at_attach - a_done);
	assert_true(missing <= 1);
	if (missing)
		assert_int_equal(first_missing, last_a + 1);
	if (self_kill) {
		assert_int_equal(missing, 1);
		assert_int_equal(first_missing, KILL_AFTER);
		assert_int_equal(a_done, KILL_AFTER);
	}
	/* B resumes right after A's last, or after the one A lost */
	assert_int_equal(g_prog->b_first, last_a + 1 + (int64_t)missing);

	struct fxr_chan_stats st;
	assert_int_equal(fxr_chan_stats_get(dp, 0, FXR_CHAN_D2C, &st), 0);
	assert_int_equal(st.sent, KILL_MSGS);
	assert_int_equal(st.received, KILL_MSGS);
	assert_int_equal(st.full, retries);
	assert_true(st.reclaimed <= 1);
	print_message("kill test (%s): A processed %llu, lost %llu, reclaimed %llu, retries %llu\n",
		      self_kill ? "self" : "outside", (unsigned long long)a_done,
		      (unsigned long long)missing,
		      (unsigned long long)st.reclaimed, (unsigned long long)retries);
	fxr_chan_close(dp);
	munmap(g_prog, sizeof(*g_prog));
}

static void test_consumer_killed_from_outside(void **state)
{
	(void)state;
	killed_mid_stream(0);
}

static void test_consumer_killed_after_dequeue(void **state)
{
	(void)state;
	killed_mid_stream(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_100k_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumer_killed_from_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumer_killed_after_dequeue, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
