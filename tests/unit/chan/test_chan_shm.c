/* Plane channel transport, one process at a time: both directions carry messages intact and
 * in order, a full queue refuses with -ENOBUFS and counts it without losing anything,
 * attach checks the magic, the ABI version and the control role, and attach repairs the
 * rings as a killed control plane left them (through the test hooks, which stop a process
 * at the exact point a kill could). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
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

#include "chan_shm_test.h"
#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/connid.h"
#include "fxr/frame.h"

static char g_name[64];
static uint8_t g_buf[FXR_CHAN_SLOT_C2D];

static int setup(void **state)
{
	static int n;
	(void)state;
	snprintf(g_name, sizeof(g_name), "test-shm-%d-%d", (int)getpid(), n++);
	return 0;
}

/* A failed test leaves its mapping behind: remove it whatever happened. */
static int teardown(void **state)
{
	char shm[96];
	(void)state;
	snprintf(shm, sizeof(shm), "/fxr-%s", g_name);
	shm_unlink(shm);
	return 0;
}

static struct fxr_chan *create_small(uint16_t lanes, uint32_t slots)
{
	struct fxr_chan_cfg cfg;
	fxr_chan_cfg_default(&cfg, lanes);
	cfg.slots[FXR_CHAN_D2C] = slots;
	cfg.slots[FXR_CHAN_C2D] = slots;
	struct fxr_chan *c = NULL;
	char err[160] = "";
	int rc = fxr_chan_create(g_name, &cfg, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("create: %d %s", rc, err);
	return c;
}

static struct fxr_chan *attach_ok(void)
{
	struct fxr_chan *c = NULL;
	char err[160] = "";
	int rc = fxr_chan_attach(g_name, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("attach: %d %s", rc, err);
	return c;
}

/* FRAME carrying a KEEPALIVE frame whose 4 opaque bytes are seq. */
static int send_seq(struct fxr_chan *dp, unsigned lane, uint32_t seq)
{
	uint8_t f[8];
	fxr_frame_hdr_put(f, FXR_T_KEEPALIVE, 0, 4);
	fxr_put_be32(f + 4, seq);
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_FRAME, .lcore = (uint8_t)lane,
				  .connid = fxr_connid_make((uint8_t)lane, seq & 0xffff, 1) };
	m.u.frame.p = f;
	m.u.frame.len = sizeof(f);
	return fxr_chan_send_msg(dp, lane, &m);
}

/* Receives one FRAME and returns its seq, or -1 when the queue is empty. */
static long recv_seq(struct fxr_chan *cp, unsigned lane)
{
	int n = fxr_chan_recv(cp, lane, g_buf, sizeof(g_buf));
	if (n == 0)
		return -1;
	assert_true(n > 0);
	struct fxr_chan_msg m;
	assert_int_equal(fxr_chan_msg_decode(g_buf, (size_t)n, &m, NULL), n);
	assert_int_equal(m.type, FXR_CHAN_T_FRAME);
	assert_int_equal(m.lcore, lane);
	assert_int_equal(m.u.frame.len, 8);
	return (long)fxr_get_be32(m.u.frame.p + 4);
}

static void test_both_directions(void **state)
{
	(void)state;
	struct fxr_chan *dp = create_small(2, 16);
	struct fxr_chan *cp = attach_ok();
	assert_int_equal(fxr_chan_lanes(cp), 2);
	assert_int_equal(fxr_chan_slots(cp, FXR_CHAN_D2C), 16);
	assert_int_equal(fxr_chan_slot_size(cp, FXR_CHAN_C2D), FXR_CHAN_SLOT_C2D);
	assert_int_equal(fxr_chan_peer_alive(cp), 1);

	/* D2C: CONN_NEW through send_msg, then a raw encoded LOGIN refused (wrong direction) */
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_CONN_NEW, .lcore = 1,
				  .connid = fxr_connid_make(1, 7, 3) };
	m.u.conn_new.family = 4;
	m.u.conn_new.addr[0] = 10;
	m.u.conn_new.remote_port = 5555;
	m.u.conn_new.local_port = 4747;
	assert_int_equal(fxr_chan_send_msg(dp, 0, &m), -EINVAL); /* lcore 1 on lane 0 */
	assert_int_equal(fxr_chan_send_msg(dp, 1, &m), 0);
	assert_int_equal(fxr_chan_recv(cp, 0, g_buf, sizeof(g_buf)), 0); /* other lane */
	int n = fxr_chan_recv(cp, 1, g_buf, sizeof(g_buf));
	assert_int_equal(n, FXR_CHAN_HDR_LEN + FXR_CHAN_ADDR_LEN);
	struct fxr_chan_msg got;
	assert_int_equal(fxr_chan_msg_decode(g_buf, (size_t)n, &got, NULL), n);
	assert_int_equal(got.connid, m.connid);
	assert_int_equal(got.u.conn_new.remote_port, 5555);
	assert_int_equal(got.u.conn_new.addr[0], 10);

	/* C2D: the largest SEND_FRAME (a full LIST_RESULT-sized frame), raw bytes */
	static uint8_t frame[FXR_FRAME_MAX_LEN];
	fxr_frame_hdr_put(frame, FXR_T_DATA, 0, FXR_FRAME_MAX_PAYLOAD);
	for (size_t i = 4; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 13 + 1);
	struct fxr_chan_msg s = { .type = FXR_CHAN_T_SEND_FRAME, .lcore = 0,
				  .connid = fxr_connid_make(0, 9, 9) };
	s.u.frame.p = frame;
	s.u.frame.len = sizeof(frame);
	static uint8_t enc[FXR_CHAN_MSG_C2D_MAX];
	int len = fxr_chan_msg_encode(&s, enc, sizeof(enc));
	assert_int_equal(len, FXR_CHAN_MSG_C2D_MAX);
	assert_int_equal(fxr_chan_send(cp, 0, enc, (size_t)len), 0);
	assert_int_equal(fxr_chan_send(dp, 0, enc, (size_t)len), -EINVAL); /* C2D type from DP */
	assert_int_equal(fxr_chan_send(cp, 0, enc, (size_t)len - 1), -EINVAL); /* length */
	assert_int_equal(fxr_chan_send(cp, 2, enc, (size_t)len), -EINVAL);     /* lane */
	assert_int_equal(fxr_chan_send_msg(dp, 0, &s), -EINVAL);
	n = fxr_chan_recv(dp, 0, g_buf, sizeof(g_buf));
	assert_int_equal(n, len);
	assert_memory_equal(g_buf, enc, (size_t)len);
	assert_int_equal(fxr_chan_recv(dp, 0, g_buf, sizeof(g_buf)), 0);
	assert_int_equal(fxr_chan_recv(dp, 0, g_buf, 100), -EINVAL); /* cap below a slot */

	struct fxr_chan_stats st;
	assert_int_equal(fxr_chan_stats_get(dp, 1, FXR_CHAN_D2C, &st), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.received, 1);
	assert_int_equal(st.full, 0);
	assert_int_equal(fxr_chan_stats_get(cp, 0, FXR_CHAN_C2D, &st), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.received, 1);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(fxr_chan_stats_get(cp, 2, FXR_CHAN_C2D, &st), -EINVAL);
	fxr_chan_close(cp);
	fxr_chan_close(dp);
}

static void test_full_queue_refuses_and_counts(void **state)
{
	(void)state;
	struct fxr_chan *dp = create_small(1, 8);
	struct fxr_chan *cp = attach_ok();
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(send_seq(dp, 0, i), 0);
	for (int k = 0; k < 3; k++)
		assert_int_equal(send_seq(dp, 0, 8), -ENOBUFS);
	struct fxr_chan_stats st;
	fxr_chan_stats_get(dp, 0, FXR_CHAN_D2C, &st);
	assert_int_equal(st.full, 3);
	assert_int_equal(st.sent, 8);
	assert_int_equal(st.in_flight, 8);
	/* one out, one in; nothing lost, order kept */
	assert_int_equal(recv_seq(cp, 0), 0);
	assert_int_equal(send_seq(dp, 0, 8), 0);
	for (uint32_t i = 1; i <= 8; i++)
		assert_int_equal(recv_seq(cp, 0), i);
	assert_int_equal(recv_seq(cp, 0), -1);
	/* the slots cycle many times over */
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(send_seq(dp, 0, 100 + i), 0);
		assert_int_equal(recv_seq(cp, 0), 100 + i);
	}
	fxr_chan_close(cp);
	fxr_chan_close(dp);
}

static void test_message_larger_than_slot(void **state)
{
	(void)state;
	struct fxr_chan_cfg cfg;
	fxr_chan_cfg_default(&cfg, 1);
	cfg.slot_size[FXR_CHAN_D2C] = 64;
	cfg.slots[FXR_CHAN_D2C] = 4;
	struct fxr_chan *dp = NULL;
	assert_int_equal(fxr_chan_create(g_name, &cfg, &dp, NULL, 0), 0);
	uint8_t f[4 + 60];
	fxr_frame_hdr_put(f, FXR_T_AUTH_START, 0, 60);
	memset(f + 4, 'x', 60);
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_FRAME, .connid = fxr_connid_make(0, 1, 1) };
	m.u.frame.p = f;
	m.u.frame.len = sizeof(f);
	assert_int_equal(fxr_chan_send_msg(dp, 0, &m), -EMSGSIZE);
	m.u.frame.len = 48; /* 16 + 48 = 64 fits exactly */
	fxr_frame_hdr_put(f, FXR_T_AUTH_START, 0, 44);
	assert_int_equal(fxr_chan_send_msg(dp, 0, &m), 0);
	fxr_chan_close(dp);
}

static void test_bad_names_and_cfg(void **state)
{
	(void)state;
	struct fxr_chan_cfg cfg;
	fxr_chan_cfg_default(&cfg, 1);
	struct fxr_chan *c = NULL;
	char err[128] = "";
	assert_int_equal(fxr_chan_create("", &cfg, &c, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(fxr_chan_create("a/b", &cfg, &c, NULL, 0), -EINVAL);
	char longname[FXR_CHAN_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(fxr_chan_create(longname, &cfg, &c, NULL, 0), -EINVAL);
	assert_int_equal(fxr_chan_attach("x y", &c, NULL, 0), -EINVAL);
	cfg.lanes = 0;
	assert_int_equal(fxr_chan_create(g_name, &cfg, &c, NULL, 0), -EINVAL);
	fxr_chan_cfg_default(&cfg, FXR_CHAN_LANES_MAX + 1);
	assert_int_equal(fxr_chan_create(g_name, &cfg, &c, NULL, 0), -EINVAL);
	fxr_chan_cfg_default(&cfg, 1);
	cfg.slot_size[FXR_CHAN_C2D] = 100; /* not a multiple of 8 */
	assert_int_equal(fxr_chan_create(g_name, &cfg, &c, NULL, 0), -EINVAL);
	fxr_chan_cfg_default(&cfg, 1);
	cfg.slots[FXR_CHAN_D2C] = 0;
	assert_int_equal(fxr_chan_create(g_name, &cfg, &c, NULL, 0), -EINVAL);
	/* none of these left a mapping behind */
	assert_int_equal(fxr_chan_attach(g_name, &c, NULL, 0), -ENOENT);
}

static void test_attach_checks(void **state)
{
	(void)state;
	char err[200] = "";
	struct fxr_chan *cp = NULL, *cp2 = NULL, *dp2 = NULL;
	assert_int_equal(fxr_chan_attach(g_name, &cp, err, sizeof(err)), -ENOENT);

	struct fxr_chan *dp = create_small(1, 4);
	/* a second dataplane on the same name, while the first lives */
	struct fxr_chan_cfg cfg;
	fxr_chan_cfg_default(&cfg, 1);
	assert_int_equal(fxr_chan_create(g_name, &cfg, &dp2, err, sizeof(err)), -EADDRINUSE);

	cp = attach_ok();
	assert_int_equal(fxr_chan_attach(g_name, &cp2, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "attached"));
	fxr_chan_close(cp);
	cp = attach_ok(); /* a clean detach frees the role */
	fxr_chan_close(cp);

	/* another ABI version: a clear refusal that names both versions */
	char shm[96];
	snprintf(shm, sizeof(shm), "/fxr-%s", g_name);
	int fd = shm_open(shm, O_RDWR, 0);
	assert_true(fd >= 0);
	uint8_t *h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(h != MAP_FAILED);
	uint32_t v;
	memcpy(&v, h + 8, 4);
	assert_int_equal(v, FXR_CHAN_ABI_VERSION);
	uint32_t other = FXR_CHAN_ABI_VERSION + 1;
	memcpy(h + 8, &other, 4);
	assert_int_equal(fxr_chan_attach(g_name, &cp, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "ABI version"));
	memcpy(h + 8, &v, 4);
	/* not a channel at all */
	h[0] ^= 0xff;
	assert_int_equal(fxr_chan_attach(g_name, &cp, err, sizeof(err)), -EPROTO);
	h[0] ^= 0xff;
	cp = attach_ok();
	munmap(h, 4096);
	assert_int_equal(fxr_chan_peer_alive(cp), 1);
	fxr_chan_close(dp); /* the dataplane ends the channel: the control plane sees it */
	assert_int_equal(fxr_chan_peer_alive(cp), 0);
	fxr_chan_close(cp);
	assert_int_equal(fxr_chan_attach(g_name, &cp, err, sizeof(err)), -ENOENT);
}

/* A dataplane that died without closing leaves its mapping; the next one replaces it. */
static void test_stale_mapping_replaced(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fxr_chan_cfg cfg;
		fxr_chan_cfg_default(&cfg, 1);
		struct fxr_chan *c = NULL;
		_exit(fxr_chan_create(g_name, &cfg, &c, NULL, 0) == 0 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct fxr_chan *cp = attach_ok(); /* the mapping is there */
	assert_int_equal(fxr_chan_peer_alive(cp), 0);
	fxr_chan_close(cp);
	struct fxr_chan *dp = create_small(1, 4);
	cp = attach_ok();
	assert_int_equal(fxr_chan_peer_alive(cp), 1);
	assert_int_equal(send_seq(dp, 0, 5), 0);
	assert_int_equal(recv_seq(cp, 0), 5);
	fxr_chan_close(cp);
	fxr_chan_close(dp);
}

/* Runs fn in a child that attaches as the control plane and exits without detaching. */
static void in_dead_control_plane(void (*fn)(struct fxr_chan *))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fxr_chan *c = NULL;
		if (fxr_chan_attach(g_name, &c, NULL, 0) != 0)
			_exit(2);
		fn(c);
		_exit(0); /* no fxr_chan_close: the process just ends */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void take_one(struct fxr_chan *c)
{
	if (recv_seq(c, 0) != 0) /* processed message 0 */
		_exit(3);
	if (fxr_chan_test_take(c, 0) != 1) /* dequeued message 1, then died */
		_exit(4);
}

/* D2C: the dead consumer had dequeued message 1 and not returned its slot. */
static void test_repair_consumer_died_after_dequeue(void **state)
{
	(void)state;
	struct fxr_chan *dp = create_small(1, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(send_seq(dp, 0, i), 0);
	in_dead_control_plane(take_one);
	assert_int_equal(send_seq(dp, 0, 4), 0);        /* slot of message 0 came back */
	assert_int_equal(send_seq(dp, 0, 5), -ENOBUFS); /* message 1's slot did not */

	struct fxr_chan *cp = attach_ok();
	struct fxr_chan_stats st;
	fxr_chan_stats_get(cp, 0, FXR_CHAN_D2C, &st);
	assert_int_equal(st.reclaimed, 1);
	assert_int_equal(st.received, 2); /* 0 and the lost 1 */
	assert_int_equal(send_seq(dp, 0, 5), 0); /* capacity is whole again */
	assert_int_equal(send_seq(dp, 0, 6), -ENOBUFS);
	/* message 1 died with its consumer; everything else arrives in order */
	for (uint32_t i = 2; i <= 5; i++)
		assert_int_equal(recv_seq(cp, 0), i);
	assert_int_equal(recv_seq(cp, 0), -1);
	fxr_chan_stats_get(cp, 0, FXR_CHAN_D2C, &st);
	assert_int_equal(st.sent, 6);
	assert_int_equal(st.received, 6);
	for (uint32_t i = 0; i < 4; i++) /* all 4 slots in circulation */
		assert_int_equal(send_seq(dp, 0, 10 + i), 0);
	assert_int_equal(send_seq(dp, 0, 14), -ENOBUFS);
	fxr_chan_close(cp);
	fxr_chan_close(dp);
}

static void half_dequeue(struct fxr_chan *c)
{
	if (fxr_chan_test_half_dequeue(c, 0) != 1)
		_exit(5);
}

/* D2C: the dead consumer was inside rte_ring's dequeue: nothing was taken. */
static void test_repair_consumer_died_inside_dequeue(void **state)
{
	(void)state;
	struct fxr_chan *dp = create_small(1, 4);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(send_seq(dp, 0, i), 0);
	in_dead_control_plane(half_dequeue);
	struct fxr_chan *cp = attach_ok();
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(recv_seq(cp, 0), i);
	assert_int_equal(recv_seq(cp, 0), -1);
	struct fxr_chan_stats st;
	fxr_chan_stats_get(cp, 0, FXR_CHAN_D2C, &st);
	assert_int_equal(st.reclaimed, 0);
	assert_int_equal(st.received, 3);
	fxr_chan_close(cp);
	fxr_chan_close(dp);
}

static void hold_two(struct fxr_chan *c)
{
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_UNPAIR, .connid = fxr_connid_make(0, 1, 1) };
	if (fxr_chan_send_msg(c, 0, &m) != 0)
		_exit(6);
	if (fxr_chan_test_hold(c, 0) != 0 || fxr_chan_test_hold(c, 0) != 0)
		_exit(7);
}

/* C2D: the dead producer had taken two slots and published neither. */
static void test_repair_producer_died_holding_slots(void **state)
{
	(void)state;
	struct fxr_chan *dp = create_small(1, 4);
	in_dead_control_plane(hold_two);
	struct fxr_chan *cp = attach_ok();
	struct fxr_chan_stats st;
	fxr_chan_stats_get(cp, 0, FXR_CHAN_C2D, &st);
	assert_int_equal(st.reclaimed, 2);
	assert_int_equal(st.sent, 1);
	/* the dataplane gets the one real message, and recycles the two empty descriptors */
	int n = fxr_chan_recv(dp, 0, g_buf, sizeof(g_buf));
	assert_int_equal(n, FXR_CHAN_HDR_LEN);
	assert_int_equal(g_buf[0], FXR_CHAN_T_UNPAIR);
	assert_int_equal(fxr_chan_recv(dp, 0, g_buf, sizeof(g_buf)), 0);
	fxr_chan_stats_get(cp, 0, FXR_CHAN_C2D, &st);
	assert_int_equal(st.skipped, 2);
	assert_int_equal(st.in_flight, 0);
	/* every slot is usable again */
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_CLOSE, .connid = fxr_connid_make(0, 2, 2) };
	for (int i = 0; i < 4; i++) {
		m.u.close.code = (uint16_t)i;
		assert_int_equal(fxr_chan_send_msg(cp, 0, &m), 0);
	}
	assert_int_equal(fxr_chan_send_msg(cp, 0, &m), -ENOBUFS);
	for (int i = 0; i < 4; i++) {
		n = fxr_chan_recv(dp, 0, g_buf, sizeof(g_buf));
		struct fxr_chan_msg got;
		assert_int_equal(fxr_chan_msg_decode(g_buf, (size_t)n, &got, NULL), n);
		assert_int_equal(got.u.close.code, i);
	}
	fxr_chan_close(cp);
	fxr_chan_close(dp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_both_directions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_refuses_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_larger_than_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names_and_cfg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_mapping_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_consumer_died_after_dequeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_consumer_died_inside_dequeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_producer_died_holding_slots, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
