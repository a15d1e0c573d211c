/* session.h: the relay's per-connection state machine and its tables (DESIGN.md §2).
 *
 * Pure: no I/O, no clock. Events come in as calls (with the current time in ms where it
 * matters); what the relay must do goes out through the emit callback as actions, in order.
 * The machine keeps no pointer to anything the caller passes after the call returns.
 * Single-threaded: one instance belongs to the control plane's event loop.
 *
 * Every event function returns 0 when the event was applied, or a negative errno:
 * -ENOENT for a connection id the tables do not hold (a race with a close: nothing to do),
 * -ENOSPC when a table is full, -EINVAL for an argument that cannot be right. */
#ifndef FXR_SESSION_H
#define FXR_SESSION_H

#include "session-t.h"

/* Allocates the tables (bounded by cfg). Returns 0, -EINVAL or -ENOMEM. */
int fxr_sess_init(struct fxr_sess *s, const struct fxr_sess_cfg *cfg,
		  const struct fxr_sess_policy *pol,
		  void (*emit)(void *ctx, const struct fxr_sess_act *a), void *emit_ctx);
void fxr_sess_fini(struct fxr_sess *s);

/* Fills cfg with DESIGN.md's defaults for a table of max_conns connections. */
void fxr_sess_cfg_defaults(struct fxr_sess_cfg *cfg, uint32_t max_conns);

/* A TCP connection was accepted on the relay port: state NEW, pre-auth clock starts. */
int fxr_sess_conn_new(struct fxr_sess *s, uint64_t conn, uint64_t now_ms);

/* AUTH_START arrived (the SCRAM exchange itself is the auth module's): AUTHENTICATING.
 * -EPROTO (after ERROR(PROTOCOL) and close) when the connection is not NEW. */
int fxr_sess_auth_begin(struct fxr_sess *s, uint64_t conn);

/* The SCRAM proof was valid: the connection is logged in as device id, IDLE. The machine
 * emits LOGIN; its owner then sends AUTH_OK (with the server-final message) on the
 * connection. limit: the device's connection limit (0: the configured default).
 * -EMLINK when the device already holds limit connections: the machine emits
 * AUTH_FAIL(RATE_LIMITED) and CLOSE. -EPROTO when the connection was not AUTHENTICATING. */
int fxr_sess_login(struct fxr_sess *s, uint64_t conn, const uint8_t *id, uint8_t id_len,
		   uint16_t limit);

/* A decoded control frame from a connection (anything but the SCRAM frames, KEEPALIVE, and
 * DATA/END while PAIRED, which the dataplane handles). A frame not allowed in the state is
 * answered with ERROR(PROTOCOL) and close, the peer getting END(PEER_LOST) or a CANCEL. */
int fxr_sess_frame(struct fxr_sess *s, uint64_t conn, const struct fxr_msg *m,
		   uint64_t now_ms);

/* The dataplane relayed an END from conn to its peer. */
int fxr_sess_end_relayed(struct fxr_sess *s, uint64_t conn);

/* The dataplane saw a malformed frame on conn (it has not answered): ERROR(PROTOCOL), close. */
int fxr_sess_malformed(struct fxr_sess *s, uint64_t conn);

/* The connection is gone (peer closed, reset, idle timeout). Its peer, if any, is told. */
int fxr_sess_conn_closed(struct fxr_sess *s, uint64_t conn);

/* Expires deadlines up to now_ms: pre-auth (close) and unanswered calls
 * (CONNECT_FAIL(TIMEOUT) to the caller, CANCEL(TIMEOUT) to the callee). Returns how many. */
unsigned fxr_sess_tick(struct fxr_sess *s, uint64_t now_ms);

/* Operator kick: BYE(code, text) on every connection of the device, then close.
 * Returns the number of connections closed, or -ENOENT when it is not logged in. */
int fxr_sess_kick(struct fxr_sess *s, const uint8_t *id, uint8_t id_len, uint16_t code,
		  const char *text);

/* Rebuilding after a control-plane restart: feed every connection of the dataplane's dump
 * to a fresh machine, in any order, then call fxr_sess_restore_done(). Logged-in
 * connections come back in their states and pairs; connections not yet logged in get
 * AUTH_FAIL(INTERNAL) and close (their SCRAM state died with the old process). Returns 0,
 * -EEXIST for a connection fed twice, -ENOSPC (the entry is closed, not kept). */
int fxr_sess_restore(struct fxr_sess *s, const struct fxr_sess_dump_entry *e);

/* Ends a restore: links pairs, and ends every call that was PENDING at the crash, as an
 * unanswered call: CONNECT_FAIL(TIMEOUT) to the caller, CANCEL(TIMEOUT) to the callee. */
void fxr_sess_restore_done(struct fxr_sess *s);

/* Looks a connection up: its state, or -ENOENT. */
int fxr_sess_conn_state(const struct fxr_sess *s, uint64_t conn);

/* Fills *out with what the machine knows of a connection. Returns 0 or -ENOENT. */
int fxr_sess_conn_info(const struct fxr_sess *s, uint64_t conn, struct fxr_sess_conn_info *out);

/* Number of logged-in connections of a device (0 when not logged in). */
unsigned fxr_sess_dev_conns(const struct fxr_sess *s, const uint8_t *id, uint8_t id_len);

/* The state's name ("PAIRED"). */
const char *fxr_conn_state_name(unsigned state);

#endif
