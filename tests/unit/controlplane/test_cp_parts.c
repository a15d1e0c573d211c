/* fxr-controlplane's pure parts: session actions -> channel messages (actmsg), the bounded
 * per-lane backlog, and the ops API's request parser (opsreq). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "actmsg.h"
#include "backlog.h"
#include "fxr/chan.h"
#include "fxr/connid.h"
#include "fxr/frame.h"
#include "opsreq.h"

/* ---- actmsg ---- */

/* Maps a, encodes, decodes, and returns the decoded message (views into buf). */
static struct fxr_chan_msg round_trip(const struct fxr_sess_act *a, uint8_t *buf, size_t cap)
{
	struct fxr_chan_msg m, got;
	assert_int_equal(fxr_actmsg(a, 30, 90, &m), 0);
	int n = fxr_chan_msg_encode(&m, buf, cap);
	assert_true(n > 0);
	assert_int_equal(fxr_chan_msg_decode(buf, (size_t)n, &got, NULL), n);
	assert_int_equal(got.connid, a->conn);
	assert_int_equal(got.lcore, fxr_connid_lcore(a->conn));
	return got;
}

static void test_actmsg_every_kind(void **state)
{
	(void)state;
	static uint8_t buf[FXR_CHAN_MSG_C2D_MAX];
	uint64_t conn = fxr_connid_make(5, 77, 3), peer = fxr_connid_make(5, 78, 9);
	uint8_t frame[6];
	struct fxr_msg end = { .type = FXR_T_END, .u.end.reason = 14 };
	assert_int_equal(fxr_frame_encode(&end, frame, sizeof(frame)), 6);

	struct fxr_sess_act a = { .kind = FXR_ACT_SEND, .conn = conn, .frame = frame, .len = 6 };
	struct fxr_chan_msg m = round_trip(&a, buf, sizeof(buf));
	assert_int_equal(m.type, FXR_CHAN_T_SEND_FRAME);
	assert_int_equal(m.u.frame.len, 6);
	assert_memory_equal(m.u.frame.p, frame, 6);

	a = (struct fxr_sess_act){ .kind = FXR_ACT_CLOSE, .conn = conn };
	assert_int_equal(round_trip(&a, buf, sizeof(buf)).type, FXR_CHAN_T_CLOSE);

	a = (struct fxr_sess_act){ .kind = FXR_ACT_LOGIN, .conn = conn,
				   .dev = (const uint8_t *)"fax-1", .dev_len = 5 };
	m = round_trip(&a, buf, sizeof(buf));
	assert_int_equal(m.type, FXR_CHAN_T_LOGIN);
	assert_int_equal(m.u.login.keepalive_s, 30);
	assert_int_equal(m.u.login.idle_s, 90);
	assert_int_equal(m.u.login.dev_len, 5);
	assert_memory_equal(m.u.login.dev, "fax-1", 5);

	a = (struct fxr_sess_act){ .kind = FXR_ACT_PAIR, .conn = conn, .peer = peer };
	m = round_trip(&a, buf, sizeof(buf));
	assert_int_equal(m.type, FXR_CHAN_T_PAIR);
	assert_int_equal(m.u.pair.peer, peer);

	a = (struct fxr_sess_act){ .kind = FXR_ACT_UNPAIR, .conn = conn };
	assert_int_equal(round_trip(&a, buf, sizeof(buf)).type, FXR_CHAN_T_UNPAIR);

	a = (struct fxr_sess_act){ .kind = FXR_ACT_NOTE, .conn = conn,
				   .note = { .state = 3, .flags = 1, .call_id = 0xabcdef01,
					     .req_id = 42 } };
	m = round_trip(&a, buf, sizeof(buf));
	assert_int_equal(m.type, FXR_CHAN_T_NOTE);
	assert_int_equal(m.u.note.state, 3);
	assert_int_equal(m.u.note.flags, 1);
	assert_int_equal(m.u.note.call_id, 0xabcdef01);
	assert_int_equal(m.u.note.req_id, 42);

	struct fxr_chan_msg x;
	a = (struct fxr_sess_act){ .kind = 99, .conn = conn };
	assert_int_equal(fxr_actmsg(&a, 30, 90, &x), -EINVAL);
	a = (struct fxr_sess_act){ .kind = FXR_ACT_CLOSE, .conn = 0 };
	assert_int_equal(fxr_actmsg(&a, 30, 90, &x), -EINVAL);
}

/* A DUMP_ENTRY comes back as the restore entry the machine wants, note and sent_end
 * included: what NOTE stored is what restore gets. */
static void test_actmsg_dump_entry(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct fxr_chan_msg m = { .type = FXR_CHAN_T_DUMP_ENTRY, .lcore = 1,
				  .connid = fxr_connid_make(1, 5, 6) };
	m.u.dump.peer = fxr_connid_make(1, 9, 2);
	m.u.dump.state = FXR_CHAN_STATE_PAIRED;
	m.u.dump.dev = (const uint8_t *)"dev-x";
	m.u.dump.dev_len = 5;
	m.u.dump.sent_end = 1;
	m.u.dump.addr.family = 4;
	m.u.dump.note = (struct fxr_chan_note){ .state = 4, .flags = 0, .call_id = 7, .req_id = 8 };
	int n = fxr_chan_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	struct fxr_chan_msg got;
	assert_int_equal(fxr_chan_msg_decode(buf, (size_t)n, &got, NULL), n);
	struct fxr_sess_dump_entry e;
	fxr_actmsg_dump_entry(&got, &e);
	assert_int_equal(e.conn, m.connid);
	assert_int_equal(e.peer, m.u.dump.peer);
	assert_int_equal(e.dev_len, 5);
	assert_memory_equal(e.dev, "dev-x", 5);
	assert_int_equal(e.sent_end, 1);
	assert_int_equal(e.note.state, 4);
	assert_int_equal(e.note.call_id, 7);
	assert_int_equal(e.note.req_id, 8);

	m.u.dump.dev_len = 0;
	m.u.dump.state = FXR_CHAN_STATE_NEW;
	n = fxr_chan_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(fxr_chan_msg_decode(buf, (size_t)n, &got, NULL), n);
	fxr_actmsg_dump_entry(&got, &e);
	assert_null(e.dev);
	assert_int_equal(e.dev_len, 0);
}

/* ---- backlog ---- */

static void test_backlog_fifo_and_bounds(void **state)
{
	(void)state;
	struct fxr_backlog b;
	assert_int_equal(fxr_backlog_init(&b, FXR_BACKLOG_RESERVE, 1000), -EINVAL);
	const uint32_t cap = FXR_BACKLOG_RESERVE + 4;
	assert_int_equal(fxr_backlog_init(&b, cap, 1 << 20), 0);
	assert_null(fxr_backlog_peek(&b, NULL));
	uint8_t msg[8];
	/* ordinary room: cap - reserve */
	for (uint8_t i = 0; i < 4; i++) {
		memset(msg, i, sizeof(msg));
		assert_int_equal(fxr_backlog_push(&b, msg, (uint32_t)(i + 1)), 0);
	}
	assert_int_equal(fxr_backlog_push(&b, msg, 1), -ENOSPC);
	/* the reserve still takes CLOSEs, up to cap */
	for (uint32_t i = 0; i < FXR_BACKLOG_RESERVE; i++)
		assert_int_equal(fxr_backlog_push_reserved(&b, msg, 8), 0);
	assert_int_equal(fxr_backlog_push_reserved(&b, msg, 8), -ENOSPC);
	assert_int_equal(fxr_backlog_count(&b), cap);
	/* in order, with their lengths and bytes */
	for (uint8_t i = 0; i < 4; i++) {
		uint32_t len;
		const uint8_t *p = fxr_backlog_peek(&b, &len);
		assert_non_null(p);
		assert_int_equal(len, i + 1);
		assert_int_equal(p[0], i);
		fxr_backlog_pop(&b);
	}
	/* wrap-around: room again for ordinary messages once the reserve drains */
	for (uint32_t i = 0; i < FXR_BACKLOG_RESERVE; i++)
		fxr_backlog_pop(&b);
	assert_int_equal(fxr_backlog_count(&b), 0);
	assert_int_equal(b.bytes, 0);
	assert_int_equal(b.high_water, cap);
	for (uint8_t i = 0; i < 4; i++)
		assert_int_equal(fxr_backlog_push(&b, msg, 8), 0);
	fxr_backlog_fini(&b);

	/* the byte bound */
	assert_int_equal(fxr_backlog_init(&b, cap, 10), 0);
	assert_int_equal(fxr_backlog_push(&b, msg, 8), 0);
	assert_int_equal(fxr_backlog_push(&b, msg, 3), -ENOSPC);
	assert_int_equal(fxr_backlog_push(&b, msg, 2), 0);
	fxr_backlog_fini(&b);
}

/* ---- opsreq ---- */

static int parse(const char *line, struct fxr_ops_req *rq, char *err)
{
	return fxr_ops_req_parse(line, strlen(line), rq, err, 256);
}

static void test_opsreq_valid(void **state)
{
	(void)state;
	struct fxr_ops_req rq;
	char err[256];
	assert_int_equal(parse("{\"cmd\":\"status\"}", &rq, err), 0);
	assert_int_equal(rq.cmd, FXR_OPS_STATUS);
	assert_int_equal(parse("{\"cmd\":\"device.add\",\"id\":\"fax-1@x\",\"password\":\"p w\"}",
			       &rq, err), 0);
	assert_int_equal(rq.cmd, FXR_OPS_DEVICE_ADD);
	assert_string_equal(rq.id, "fax-1@x");
	assert_string_equal(rq.password, "p w");
	fxr_ops_req_wipe(&rq);
	assert_int_equal(rq.password[0], 0);
	assert_int_equal(parse("{\"cmd\":\"kick\",\"id\":\"a\",\"extra\":1}", &rq, err), 0);
	assert_int_equal(rq.cmd, FXR_OPS_KICK);
	assert_int_equal(parse("{\"cmd\":\"log-level\"}", &rq, err), 0);
	assert_int_equal(rq.level, -1);
	assert_int_equal(parse("{\"cmd\":\"log-level\",\"level\":\"debug\"}", &rq, err), 0);
	assert_int_equal(rq.level, FXR_LOG_DEBUG);
	/* every command name round-trips */
	for (int c = 0; c < FXR_OPS_CMD_COUNT; c++) {
		char line[256];
		snprintf(line, sizeof(line), "{\"cmd\":\"%s\",\"id\":\"x\",\"password\":\"y\"}",
			 fxr_ops_cmd_name((enum fxr_ops_cmd)c));
		assert_int_equal(parse(line, &rq, err), 0);
		assert_int_equal(rq.cmd, c);
	}
	assert_string_equal(fxr_log_level_name(FXR_LOG_WARN), "warn");
	assert_null(fxr_log_level_name(99));
	assert_int_equal(fxr_log_level_parse("info"), FXR_LOG_INFO);
	assert_int_equal(fxr_log_level_parse("loud"), -1);
}

static void test_opsreq_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		const char *err_has;
	} bad[] = {
		{ "", "not JSON" },
		{ "{\"cmd\":", "not JSON" },
		{ "[1,2]", "not a JSON object" },
		{ "{}", "missing \"cmd\"" },
		{ "{\"cmd\":7}", "missing \"cmd\"" },
		{ "{\"cmd\":\"reboot\"}", "unknown command" },
		{ "{\"cmd\":\"kick\"}", "missing \"id\"" },
		{ "{\"cmd\":\"kick\",\"id\":\"a b\"}", "invalid device id" },
		{ "{\"cmd\":\"kick\",\"id\":\"\"}", "invalid device id" },
		{ "{\"cmd\":\"kick\",\"id\":\"a\\u0000b\"}", "not JSON" }, /* jansson refuses NUL */
		{ "{\"cmd\":\"device.add\",\"id\":\"a\"}", "password" },
		{ "{\"cmd\":\"device.add\",\"id\":\"a\",\"password\":\"\"}", "password" },
		{ "{\"cmd\":\"device.passwd\",\"id\":\"a\",\"password\":5}", "password" },
		{ "{\"cmd\":\"log-level\",\"level\":\"loud\"}", "level" },
		{ "{\"cmd\":\"status\",\"cmd\":\"stats\"}", "not JSON" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fxr_ops_req rq;
		char err[256] = "";
		if (parse(bad[i].line, &rq, err) != -EINVAL || !strstr(err, bad[i].err_has))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].line, err, bad[i].err_has);
		assert_int_equal(rq.password[0], 0);
	}
	/* a 65-byte id, and a line over the limit */
	struct fxr_ops_req rq;
	char err[256];
	char line[FXR_OPS_LINE_MAX + 64];
	snprintf(line, sizeof(line), "{\"cmd\":\"kick\",\"id\":\"%065d\"}", 0);
	assert_int_equal(parse(line, &rq, err), -EINVAL);
	memset(line, ' ', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	assert_int_equal(parse(line, &rq, err), -EINVAL);
	assert_non_null(strstr(err, "too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_actmsg_every_kind),
		cmocka_unit_test(test_actmsg_dump_entry),
		cmocka_unit_test(test_backlog_fifo_and_bounds),
		cmocka_unit_test(test_opsreq_valid),
		cmocka_unit_test(test_opsreq_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
