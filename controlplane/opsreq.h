/* opsreq.h: the ops API's requests (fxr-controlplane's unix socket, used by fxrctl).
 *
 * Protocol: newline-delimited JSON. The client writes one object per line,
 *   {"cmd": "device.add", "id": "fax-1", "password": "..."}
 * and reads one object per line in answer, in order:
 *   {"ok": true, "result": ...}     or     {"ok": false, "error": "one line"}
 * Commands, their arguments and their results are listed in docs/operations.md.
 * Passwords travel only in requests and are never logged or echoed.
 *
 * Parsing is pure (jansson, no I/O): unit-tested on its own. */
#ifndef FXR_OPSREQ_H
#define FXR_OPSREQ_H

#include <stddef.h>
#include <stdint.h>

#include "fxr/scram-t.h"

#define FXR_OPS_LINE_MAX 8192u /* longest request line accepted */

/* X(ENUM, "name", needs id, needs password, help) */
#define FXR_OPS_CMD_LIST(X)                                                           \
	X(STATUS, "status", 0, 0, "process, channel and table summary")               \
	X(STATS, "stats", 0, 0, "every counter: control plane, sessions, throttles, channel") \
	X(DEVICE_ADD, "device.add", 1, 1, "register a device with a password")        \
	X(DEVICE_DEL, "device.del", 1, 0, "remove a device (its connections get BYE)") \
	X(DEVICE_PASSWD, "device.passwd", 1, 1, "replace a device's password")        \
	X(DEVICE_LIST, "device.list", 0, 0, "every registered device")                \
	X(DEVICE_SHOW, "device.show", 1, 0, "one device and its connections")         \
	X(CONNS, "conns", 0, 0, "every connection the control plane knows")           \
	X(SESSIONS, "sessions", 0, 0, "paired connections (relay sessions)")          \
	X(KICK, "kick", 1, 0, "BYE(LOGGED_OUT) on every connection of a device")      \
	X(LOG_LEVEL, "log-level", 0, 0, "read or set the log level")

enum fxr_ops_cmd {
#define FXR_OPS_CMD_ENUM(e, name, id, pw, help) FXR_OPS_##e,
	FXR_OPS_CMD_LIST(FXR_OPS_CMD_ENUM)
#undef FXR_OPS_CMD_ENUM
	FXR_OPS_CMD_COUNT
};

/* Log levels, lowest (most severe) first. X(ENUM, "name") */
#define FXR_LOG_LEVEL_LIST(X)                                                         \
	X(ERROR, "error")                                                             \
	X(WARN, "warn")                                                               \
	X(INFO, "info")                                                               \
	X(DEBUG, "debug")

enum fxr_log_level {
#define FXR_LOG_LEVEL_ENUM(e, name) FXR_LOG_##e,
	FXR_LOG_LEVEL_LIST(FXR_LOG_LEVEL_ENUM)
#undef FXR_LOG_LEVEL_ENUM
	FXR_LOG_LEVEL_COUNT
};

struct fxr_ops_req {
	enum fxr_ops_cmd cmd;
	char id[64 + 1];                           /* NUL-terminated, valid device id */
	char password[FXR_SCRAM_PASSWORD_MAX + 1]; /* wiped by fxr_ops_req_wipe() */
	int level;                                 /* LOG_LEVEL: enum fxr_log_level, -1: read */
};

/* Parses one request line (without its newline) into *req. Returns 0, or -EINVAL with a
 * one-line reason in err (not JSON, not an object, unknown cmd, a missing or invalid
 * argument, an unknown log level). The password is copied into req and nowhere else. */
int fxr_ops_req_parse(const char *line, size_t len, struct fxr_ops_req *req, char *err,
		      size_t errlen);

/* Wipes the password. */
void fxr_ops_req_wipe(struct fxr_ops_req *req);

/* A command's wire name ("device.add"), or NULL. */
const char *fxr_ops_cmd_name(enum fxr_ops_cmd cmd);

/* A log level's name ("info") or NULL; and back: the level, or -1. */
const char *fxr_log_level_name(int level);
int fxr_log_level_parse(const char *name);

#endif
