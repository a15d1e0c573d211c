/* cp.h: fxr-controlplane's process state and the functions its files share. Private to the
 * executable; single-threaded: everything runs on the one epoll loop.
 *   cp_main.c    tables, timer, the epoll loop, main
 *   cp_chan.c    the dataplane side: attach, dump and restore, events in
 *   cp_send.c    messages to the dataplane, backlogs, the session machine's actions
 *   cp_login.c   SCRAM logins, the registry as policy, throttles
 *   cp_conns.c   the connection side table
 *   cp_config.c  configuration
 *   cp_ops.c     the ops API
 *   cp_log.c     logging, the clock, address formatting */
#ifndef FXR_CP_H
#define FXR_CP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "backlog.h"
#include "fxr/chan-t.h"
#include "fxr/frame-t.h"
#include "fxr/scram-t.h"
#include "idmap-t.h"
#include "opsreq.h"
#include "registry.h"
#include "session-t.h"
#include "throttle-t.h"

#define CP_TICK_MS       100u  /* session deadlines resolution */
#define CP_ATTACH_MIN_MS 100u  /* attach retry back-off */
#define CP_ATTACH_MAX_MS 2000u
#define CP_RECV_BURST    512u  /* messages per lane per loop turn */
#define CP_BACKLOG_BYTES (256u << 20)
#define CP_NONE          UINT32_MAX

/* The control plane's own counters. X(name, help) */
#define FXR_CP_COUNTER_LIST(X)                                                        \
	X(attaches, "channel attaches (the first, then one per new dataplane)")       \
	X(dumps, "dataplane dumps applied (one per attach)")                          \
	X(dump_entries, "DUMP_ENTRY messages applied")                                \
	X(dumps_foreign, "DUMP_ENDs of another control plane's request: entries before it dropped") \
	X(d2c_received, "messages received from the dataplane")                       \
	X(d2c_bad, "messages from the dataplane that did not decode (dropped, logged)") \
	X(d2c_ignored, "well-formed messages the control plane does not use (COUNTERS, late dump)") \
	X(d2c_stale, "events naming a connection the tables do not hold (a race with a close)") \
	X(d2c_pre_dump, "events queued before the dump after an attach: dropped, the dump supersedes them") \
	X(c2d_sent, "messages enqueued to the dataplane")                             \
	X(c2d_full, "sends that found the channel queue full: message kept in the lane's backlog") \
	X(c2d_backlogged, "messages that went through a backlog")                     \
	X(c2d_overflow, "messages refused because the lane's backlog was full: their connection is closed") \
	X(c2d_lost, "CLOSE messages lost because even the backlog's reserve was full") \
	X(conns_refused, "CONN_NEW refused: connection table full (closed at once)")  \
	X(auth_starts, "AUTH_START frames handled")                                   \
	X(auth_ok, "SCRAM exchanges that succeeded (then AUTH_OK, or AUTH_FAIL if over the limit)") \
	X(auth_failed, "AUTH_FAIL(AUTH) sent: wrong proof, unknown or disabled device, bad SCRAM") \
	X(auth_unknown, "of auth_failed: unknown or disabled device (challenged with a fake record)") \
	X(auth_rate_limited, "AUTH_FAIL(RATE_LIMITED) sent by the throttle, before any SCRAM work") \
	X(auth_internal, "AUTH_FAIL(INTERNAL) sent: registry error during a login")   \
	X(ops_requests, "ops API requests answered")                                  \
	X(ops_errors, "ops API requests answered with an error")

struct fxr_cp_counters {
#define FXR_CP_COUNTER_FIELD(name, help) uint64_t name;
	FXR_CP_COUNTER_LIST(FXR_CP_COUNTER_FIELD)
#undef FXR_CP_COUNTER_FIELD
};

/* Configuration: command line and --config FILE (docs/operations.md). */
struct cp_cfg {
	const char *channel;
	const char *db;
	char ops_socket[108];
	char ops_group[64];         /* "": the socket keeps the process's group */
	long ops_gid;               /* ops_group resolved (cp_cfg_resolve_group); -1: none */
	uint32_t max_conns;
	uint32_t max_devices;
	uint16_t conn_limit;
	uint16_t keepalive_s;
	uint16_t idle_timeout_s;
	uint32_t preauth_ms;
	uint32_t answer_ms;
	uint32_t scram_iterations;
	uint32_t throttle_entries;
	uint16_t throttle_free_failures;
	uint32_t throttle_base_block_ms;
	uint32_t throttle_max_block_ms;
	uint32_t throttle_forget_ms;
	uint32_t backlog_msgs;      /* per lane */
	int log_level;
};

/* What the control plane keeps beside the session machine for each connection. */
struct cp_conn {
	uint64_t id;                    /* 0: free */
	uint64_t since_ms;              /* CONN_NEW (or the dump, after a restart) */
	struct fxr_chan_addr addr;
	struct fxr_chan_totals bytes;   /* the dataplane's last report (BYTES, DUMP_ENTRY) */
	struct fxr_scram_server *scram; /* during the SCRAM exchange only */
	uint32_t next_free;
};

enum cp_phase {
	CP_DETACHED,  /* no channel yet: attach retried with back-off */
	CP_RESTORING, /* DUMP_REQUEST sent, rebuilding from the dump */
	CP_RUNNING,
};

struct cp_dumpbuf {      /* one lane's DUMP_ENTRY messages until its DUMP_END */
	uint8_t **msg;
	uint32_t n, cap;
	bool done;
};

struct cp_client;

struct cp {
	struct cp_cfg cfg;
	struct fxr_registry *reg;
	struct fxr_sess sess;
	struct fxr_throttle thr_addr, thr_dev;
	struct fxr_cp_counters ctr;

	struct fxr_chan *chan;
	uint16_t lanes;
	enum cp_phase phase;
	struct fxr_backlog *backlog; /* [lanes] */
	struct cp_dumpbuf *dump;     /* [lanes] */
	uint32_t dump_id;
	uint64_t next_attach_ms, attach_backoff_ms;
	int last_attach_rc;

	struct cp_conn *conns;       /* [cfg.max_conns] */
	struct fxr_idmap_u64 conn_by_id;
	uint32_t conn_free;
	uint64_t *kill;              /* connections to close after the current event */
	uint32_t nkill, kill_cap;

	int epfd, tfd, sfd, lfd;
	struct cp_client *clients;
	uint64_t start_ms;
	uint64_t last_expire_ms;     /* throttle expiry, once a second */
	uint8_t *rxbuf, *txbuf;
	uint32_t rxcap;
	bool stop;
};

uint64_t cp_now_ms(void);
void cp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int cp_log_level;

/* Ops API (cp_ops.c). */
int cp_ops_listen(struct cp *cp, char *err, size_t errlen);
void cp_ops_event(struct cp *cp, void *tag, uint32_t events);
void cp_ops_close_all(struct cp *cp);

void cp_fmt_addr(const struct fxr_chan_addr *a, char *out, size_t cap);

/* The connection side table (cp_conns.c). cp_conn_add returns NULL when full or present. */
struct cp_conn *cp_conn_get(struct cp *cp, uint64_t id);
struct cp_conn *cp_conn_add(struct cp *cp, uint64_t id, const struct fxr_chan_addr *addr,
			    uint64_t since_ms);
void cp_conn_forget(struct cp *cp, uint64_t id);
void cp_scram_drop(struct cp_conn *c);

/* Messages to the dataplane (cp_send.c). reserved: a CLOSE that may use the reserve. */
void cp_chan_send(struct cp *cp, const struct fxr_chan_msg *m, bool reserved);
void cp_send_close(struct cp *cp, uint64_t conn, uint16_t code);
void cp_send_frame(struct cp *cp, uint64_t conn, const struct fxr_msg *f);
void cp_auth_fail(struct cp *cp, uint64_t conn, uint16_t code, const char *text);
void cp_on_action(void *ctx, const struct fxr_sess_act *a);
void cp_after_event(struct cp *cp);
unsigned cp_drain_backlogs(struct cp *cp);

/* Logins (cp_login.c). */
int cp_policy_known(void *ctx, const uint8_t *id, uint8_t len);
void cp_on_auth_start(struct cp *cp, uint64_t conn, const struct fxr_msg *f, uint64_t now);
void cp_on_auth_proof(struct cp *cp, uint64_t conn, const struct fxr_msg *f, uint64_t now);

/* The dataplane side (cp_chan.c). */
void cp_try_attach(struct cp *cp, uint64_t now);
void cp_detach(struct cp *cp);
unsigned cp_poll_channel(struct cp *cp);

/* Tables (cp_main.c). */
int cp_tables_init(struct cp *cp, char *err, size_t errlen);
void cp_tables_fini(struct cp *cp);
void cp_tables_reset(struct cp *cp);
int cp_kick(struct cp *cp, const char *id, uint16_t code, const char *text);

/* Configuration (cp_config.c). */
void cp_cfg_defaults(struct cp_cfg *c);
int cp_cfg_load(struct cp_cfg *c, const char *path, char *err, size_t errlen);
/* Sets c->ops_group (a group name, or a number) and resolves it into c->ops_gid. Returns 0,
 * or -ENOENT / -EINVAL with "no group named NAME" or "name too long" in err. */
int cp_cfg_set_group(struct cp_cfg *c, const char *name, char *err, size_t errlen);

#endif
