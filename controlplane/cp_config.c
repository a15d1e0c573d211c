/* fxr-controlplane: configuration, defaults and the --config FILE of key = value lines
 * (docs/operations.md). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"

void cp_cfg_defaults(struct cp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->channel = "fxr";
	c->max_conns = 262144;
	c->max_devices = 131072;
	c->conn_limit = FXR_REG_CONN_LIMIT_DEFAULT;
	c->keepalive_s = 30;
	c->idle_timeout_s = 90;
	c->preauth_ms = 10000;
	c->answer_ms = 30000;
	c->scram_iterations = FXR_SCRAM_ITER_DEFAULT;
	c->throttle_entries = 65536;
	c->throttle_free_failures = 5;
	c->throttle_base_block_ms = 1000;
	c->throttle_max_block_ms = 15 * 60 * 1000;
	c->throttle_forget_ms = 10 * 60 * 1000;
	c->backlog_msgs = 65536;
	c->log_level = FXR_LOG_INFO;
	c->ops_gid = -1;
}

int cp_cfg_set_group(struct cp_cfg *c, const char *name, char *err, size_t errlen)
{
	if (strlen(name) >= sizeof(c->ops_group) || !name[0]) {
		snprintf(err, errlen, "ops group: a name of 1..%zu bytes", sizeof(c->ops_group) - 1);
		return -EINVAL;
	}
	char buf[4096];
	struct group gr, *found = NULL;
	int rc = getgrnam_r(name, &gr, buf, sizeof(buf), &found);
	if (found) {
		c->ops_gid = (long)found->gr_gid;
	} else {
		char *end;
		errno = 0;
		unsigned long v = strtoul(name, &end, 10);
		if (*end || errno || v > UINT32_MAX - 1u || name[0] < '0' || name[0] > '9') {
			snprintf(err, errlen, "ops group: no group named '%s'%s%s", name,
				 rc ? ": " : "", rc ? strerror(rc) : "");
			return -ENOENT;
		}
		c->ops_gid = (long)v;
	}
	snprintf(c->ops_group, sizeof(c->ops_group), "%s", name);
	return 0;
}

/* X(key, field, min, max) for the numeric keys of --config FILE */
#define CP_CFG_NUM_LIST(X)                                                            \
	X(max_conns, 16, 16777216)                                                    \
	X(max_devices, 16, 16777216)                                                  \
	X(conn_limit, 1, 65535)                                                       \
	X(keepalive_s, 1, 65535)                                                      \
	X(idle_timeout_s, 1, 65535)                                                   \
	X(preauth_ms, 100, 3600000)                                                   \
	X(answer_ms, 100, 3600000)                                                    \
	X(scram_iterations, FXR_SCRAM_ITER_MIN, FXR_SCRAM_ITER_MAX)                   \
	X(throttle_entries, 16, 16777216)                                             \
	X(throttle_free_failures, 0, 65535)                                           \
	X(throttle_base_block_ms, 1, 86400000)                                        \
	X(throttle_max_block_ms, 1, 86400000)                                         \
	X(throttle_forget_ms, 1, 86400000)                                            \
	X(backlog_msgs, FXR_BACKLOG_RESERVE + 1, 16777216)

static bool in_range(unsigned long long v, unsigned long long lo, unsigned long long hi)
{
	return v >= lo && v <= hi;
}

int cp_cfg_load(struct cp_cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	char line[512];
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == 0)
			continue;
		char key[64], val[256];
		if (sscanf(p, "%63[a-z_] = %255s", key, val) != 2) {
			snprintf(err, errlen, "%s:%u: expected key = value", path, lineno);
			rc = -EINVAL;
			break;
		}
		if (strcmp(key, "log_level") == 0) {
			c->log_level = fxr_log_level_parse(val);
			if (c->log_level < 0) {
				snprintf(err, errlen, "%s:%u: log_level: error, warn, info or debug",
					 path, lineno);
				rc = -EINVAL;
			}
			continue;
		}
		if (strcmp(key, "ops_group") == 0) {
			char why[128];
			if (cp_cfg_set_group(c, val, why, sizeof(why)) != 0) {
				snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
				rc = -EINVAL;
			}
			continue;
		}
		if (strcmp(key, "ops_socket") == 0) {
			if (strlen(val) >= sizeof(c->ops_socket)) {
				snprintf(err, errlen, "%s:%u: ops_socket too long", path, lineno);
				rc = -EINVAL;
			} else {
				snprintf(c->ops_socket, sizeof(c->ops_socket), "%s", val);
			}
			continue;
		}
		char *end;
		errno = 0;
		unsigned long long v = strtoull(val, &end, 10);
		bool found = false;
#define CP_CFG_SET(k, lo, hi)                                                          \
	if (strcmp(key, #k) == 0) {                                                    \
		found = true;                                                          \
		if (*end || errno || !in_range(v, (lo), (hi))) {                      \
			snprintf(err, errlen, "%s:%u: " #k " must be %llu..%llu", path,  \
				 lineno, (unsigned long long)(lo), (unsigned long long)(hi)); \
			rc = -EINVAL;                                                  \
		} else {                                                               \
			c->k = (__typeof__(c->k))v;                                    \
		}                                                                      \
	}
		CP_CFG_NUM_LIST(CP_CFG_SET)
#undef CP_CFG_SET
		if (!found) {
			snprintf(err, errlen, "%s:%u: unknown key %s", path, lineno, key);
			rc = -EINVAL;
		}
	}
	fclose(f);
	return rc;
}
