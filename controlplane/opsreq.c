/* The ops API's request parser: see opsreq.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fxr/devid.h"
#include "opsreq.h"

static const struct {
	const char *name;
	uint8_t need_id;
	uint8_t need_pw;
} cmds[FXR_OPS_CMD_COUNT] = {
#define FXR_OPS_CMD_ROW(e, n, id, pw, help) [FXR_OPS_##e] = { n, id, pw },
	FXR_OPS_CMD_LIST(FXR_OPS_CMD_ROW)
#undef FXR_OPS_CMD_ROW
};

static const char *const levels[FXR_LOG_LEVEL_COUNT] = {
#define FXR_LOG_LEVEL_ROW(e, n) [FXR_LOG_##e] = n,
	FXR_LOG_LEVEL_LIST(FXR_LOG_LEVEL_ROW)
#undef FXR_LOG_LEVEL_ROW
};

const char *fxr_ops_cmd_name(enum fxr_ops_cmd cmd)
{
	return (unsigned)cmd < FXR_OPS_CMD_COUNT ? cmds[cmd].name : NULL;
}

const char *fxr_log_level_name(int level)
{
	return level >= 0 && level < FXR_LOG_LEVEL_COUNT ? levels[level] : NULL;
}

int fxr_log_level_parse(const char *name)
{
	for (int i = 0; i < FXR_LOG_LEVEL_COUNT; i++)
		if (strcmp(levels[i], name) == 0)
			return i;
	return -1;
}

void fxr_ops_req_wipe(struct fxr_ops_req *req)
{
	/* volatile: the compiler must not drop a store to memory that is not read again */
	volatile char *p = req->password;
	for (size_t i = 0; i < sizeof(req->password); i++)
		p[i] = 0;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

int fxr_ops_req_parse(const char *line, size_t len, struct fxr_ops_req *req, char *err,
		      size_t errlen)
{
	memset(req, 0, sizeof(*req));
	req->level = -1;
	if (len > FXR_OPS_LINE_MAX)
		return fail(err, errlen, "%s", "request line too long");
	json_error_t jerr;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return fail(err, errlen, "not JSON: %s", jerr.text);
	int rc = -EINVAL;
	if (!json_is_object(o)) {
		fail(err, errlen, "%s", "request is not a JSON object");
		goto out;
	}
	const char *cmd = json_string_value(json_object_get(o, "cmd"));
	if (!cmd) {
		fail(err, errlen, "%s", "missing \"cmd\"");
		goto out;
	}
	int ci = -1;
	for (int i = 0; i < FXR_OPS_CMD_COUNT; i++)
		if (strcmp(cmds[i].name, cmd) == 0)
			ci = i;
	if (ci < 0) {
		fail(err, errlen, "unknown command \"%.64s\"", cmd);
		goto out;
	}
	req->cmd = (enum fxr_ops_cmd)ci;
	if (cmds[ci].need_id) {
		json_t *jid = json_object_get(o, "id");
		const char *id = json_string_value(jid);
		if (!id) {
			fail(err, errlen, "%s: missing \"id\"", cmds[ci].name);
			goto out;
		}
		size_t n = json_string_length(jid);
		if (n != strlen(id) || !fxr_devid_valid((const uint8_t *)id, n)) {
			fail(err, errlen, "%s",
			     "invalid device id (1..64 bytes of A-Z a-z 0-9 . _ @ + -)");
			goto out;
		}
		memcpy(req->id, id, n + 1);
	}
	if (cmds[ci].need_pw) {
		json_t *jpw = json_object_get(o, "password");
		const char *pw = json_string_value(jpw);
		size_t n = pw ? json_string_length(jpw) : 0;
		if (!pw || n == 0 || n > FXR_SCRAM_PASSWORD_MAX || n != strlen(pw)) {
			fail(err, errlen, "%s", "password must be 1..1024 bytes, no NUL");
			goto out;
		}
		memcpy(req->password, pw, n + 1);
	}
	if (req->cmd == FXR_OPS_LOG_LEVEL) {
		json_t *jl = json_object_get(o, "level");
		if (jl) {
			const char *l = json_string_value(jl);
			req->level = l ? fxr_log_level_parse(l) : -1;
			if (req->level < 0) {
				fail(err, errlen, "%s", "level must be error, warn, info or debug");
				goto out;
			}
		}
	}
	rc = 0;
out:
	/* jansson keeps its own copy of the password string: wipe it before freeing */
	if (o && json_is_object(o)) {
		json_t *jpw = json_object_get(o, "password");
		if (json_is_string(jpw)) {
			char *p = (char *)json_string_value(jpw);
			volatile char *v = p;
			for (size_t i = 0; i < json_string_length(jpw); i++)
				v[i] = 0;
		}
	}
	json_decref(o);
	if (rc)
		fxr_ops_req_wipe(req);
	return rc;
}
