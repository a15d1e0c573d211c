/* fxr-controlplane: logins. The registry answers the session machine's "is this device
 * known" and holds the SCRAM credentials; the throttles (per source address, per device)
 * refuse before any SCRAM work; unknown devices get a challenge from a fake record. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"
#include "fxr/code.h"
#include "fxr/scram.h"
#include "session.h"
#include "throttle.h"

int cp_policy_known(void *ctx, const uint8_t *id, uint8_t len)
{
	struct cp *cp = ctx;
	char s[65];
	struct fxr_device_rec rec;
	if (len == 0 || len > 64)
		return 0;
	memcpy(s, id, len);
	s[len] = 0;
	if (fxr_registry_device_get(cp->reg, s, &rec, NULL, 0) != 0)
		return 0;
	return rec.enabled;
}
static uint8_t addr_key(const struct fxr_chan_addr *a, uint8_t *key)
{
	key[0] = a->family;
	uint8_t n = a->family == 4 ? 4 : 16;
	memcpy(key + 1, a->addr, n);
	return (uint8_t)(n + 1);
}

void cp_on_auth_start(struct cp *cp, uint64_t conn, const struct fxr_msg *f, uint64_t now)
{
	struct cp_conn *c = cp_conn_get(cp, conn);
	if (!c) {
		cp->ctr.d2c_stale++;
		return;
	}
	cp->ctr.auth_starts++;
	if (fxr_sess_auth_begin(&cp->sess, conn) != 0)
		return; /* not NEW: the machine answered ERROR(PROTOCOL) and closed it */
	uint8_t key[17];
	uint8_t klen = addr_key(&c->addr, key);
	char who[64];
	cp_fmt_addr(&c->addr, who, sizeof(who));
	/* throttle first: a blocked source costs no SCRAM work and no registry lookup */
	if (fxr_throttle_check(&cp->thr_addr, key, klen, now) > 0) {
		cp->ctr.auth_rate_limited++;
		cp_log(FXR_LOG_DEBUG, "login from %s refused: source throttled", who);
		cp_auth_fail(cp, conn, FXR_CODE_RATE_LIMITED, "too many failed logins; try later");
		return;
	}
	c->scram = malloc(sizeof(*c->scram));
	if (!c->scram) {
		cp->ctr.auth_internal++;
		cp_auth_fail(cp, conn, FXR_CODE_INTERNAL, "out of memory");
		return;
	}
	fxr_scram_server_init(c->scram);
	char err[160];
	if (fxr_scram_server_first(c->scram, (const char *)f->u.auth.p, f->u.auth.len, err,
				   sizeof(err)) != 0) {
		cp->ctr.auth_failed++;
		fxr_throttle_fail(&cp->thr_addr, key, klen, now);
		cp_log(FXR_LOG_INFO, "login from %s failed: %s", who, err);
		cp_auth_fail(cp, conn, FXR_CODE_AUTH, "authentication failed");
		return;
	}
	const uint8_t *id = (const uint8_t *)c->scram->id;
	uint8_t id_len = c->scram->id_len;
	if (fxr_throttle_check(&cp->thr_dev, id, id_len, now) > 0) {
		cp->ctr.auth_rate_limited++;
		cp_log(FXR_LOG_DEBUG, "login of %s from %s refused: device throttled",
		       c->scram->id, who);
		cp_auth_fail(cp, conn, FXR_CODE_RATE_LIMITED, "too many failed logins; try later");
		return;
	}
	struct fxr_scram_cred cred;
	bool known = false;
	if (fxr_registry_login_cred(cp->reg, c->scram->id, id_len, &cred, &known, err,
				    sizeof(err)) != 0) {
		cp->ctr.auth_internal++;
		cp_log(FXR_LOG_ERROR, "registry lookup of %s: %s", c->scram->id, err);
		cp_auth_fail(cp, conn, FXR_CODE_INTERNAL, "internal error");
		return;
	}
	char out[FXR_SCRAM_MSG_MAX + 1];
	int n = fxr_scram_server_challenge(c->scram, &cred, known, NULL, 0, out, sizeof(out),
					   err, sizeof(err));
	memset(&cred, 0, sizeof(cred));
	if (n < 0) {
		cp->ctr.auth_internal++;
		cp_log(FXR_LOG_ERROR, "SCRAM challenge for %s: %s", c->scram->id, err);
		cp_auth_fail(cp, conn, FXR_CODE_INTERNAL, "internal error");
		return;
	}
	struct fxr_msg ch = { .type = FXR_T_AUTH_CHALLENGE,
			      .u.auth = { (const uint8_t *)out, (uint16_t)n } };
	cp_send_frame(cp, conn, &ch);
}

void cp_on_auth_proof(struct cp *cp, uint64_t conn, const struct fxr_msg *f, uint64_t now)
{
	struct cp_conn *c = cp_conn_get(cp, conn);
	if (!c) {
		cp->ctr.d2c_stale++;
		return;
	}
	if (!c->scram || c->scram->state != FXR_SCRAM_ST_CHALLENGED) {
		/* AUTH_PROOF with no challenge out: the machine says ERROR(PROTOCOL) */
		cp_scram_drop(c);
		fxr_sess_malformed(&cp->sess, conn);
		return;
	}
	uint8_t key[17];
	uint8_t klen = addr_key(&c->addr, key);
	char id[65];
	uint8_t id_len = c->scram->id_len;
	memcpy(id, c->scram->id, (size_t)id_len + 1);
	bool known = c->scram->known;
	char out[FXR_SCRAM_MSG_MAX + 1], err[160], who[64];
	int n = fxr_scram_server_final(c->scram, (const char *)f->u.auth.p, f->u.auth.len, out,
				       sizeof(out), err, sizeof(err));
	cp_scram_drop(c);
	cp_fmt_addr(&c->addr, who, sizeof(who));
	if (n < 0) {
		cp->ctr.auth_failed++;
		if (!known)
			cp->ctr.auth_unknown++;
		uint64_t b1 = fxr_throttle_fail(&cp->thr_addr, key, klen, now);
		uint64_t b2 = fxr_throttle_fail(&cp->thr_dev, (const uint8_t *)id, id_len, now);
		cp_log(FXR_LOG_INFO, "login of %s from %s failed: %s%s", id, who,
		       known ? err : "unknown or disabled device",
		       b1 || b2 ? " (throttled)" : "");
		cp_auth_fail(cp, conn, FXR_CODE_AUTH, "authentication failed");
		return;
	}
	cp->ctr.auth_ok++;
	fxr_throttle_success(&cp->thr_addr, key, klen);
	fxr_throttle_success(&cp->thr_dev, (const uint8_t *)id, id_len);
	struct fxr_device_rec rec;
	uint16_t limit = 0;
	if (fxr_registry_device_get(cp->reg, id, &rec, NULL, 0) == 0)
		limit = rec.conn_limit;
	int rc = fxr_sess_login(&cp->sess, conn, (const uint8_t *)id, id_len, limit);
	if (rc == -ENOSPC) {
		cp->ctr.auth_internal++;
		cp_auth_fail(cp, conn, FXR_CODE_INTERNAL, "device table full");
		return;
	}
	if (rc != 0)
		return; /* over the limit: the machine sent AUTH_FAIL(RATE_LIMITED) and CLOSE */
	cp_log(FXR_LOG_DEBUG, "%s logged in from %s on %#" PRIx64, id, who, conn);
	struct fxr_msg ok = {
		.type = FXR_T_AUTH_OK,
		.u.auth_ok = { .keepalive_s = cp->cfg.keepalive_s,
			       .idle_timeout_s = cp->cfg.idle_timeout_s,
			       .server_final = { (const uint8_t *)out, (uint16_t)n } },
	};
	cp_send_frame(cp, conn, &ok);
}
