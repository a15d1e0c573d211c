/* SCRAM-SHA-256, the relay's half (RFC 5802 §5, §7; RFC 7677). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fxr/devid.h"
#include "fxr/scram.h"
#include "scram-int.h"

__attribute__((format(printf, 5, 6)))
static int srv_fail(struct fxr_scram_server *s, char *err, size_t errlen, int rc,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fxr_scram_verr(err, errlen, rc, fmt, ap);
	va_end(ap);
	/* keep nothing a later call could misuse */
	fxr_scram_server_clear(s);
	s->state = FXR_SCRAM_ST_FAILED;
	return rc;
}

void fxr_scram_server_init(struct fxr_scram_server *s)
{
	fxr_scram_wipe(s, sizeof(*s));
	s->state = FXR_SCRAM_ST_INIT;
}

void fxr_scram_server_clear(struct fxr_scram_server *s)
{
	/* the id stays: the caller logs it */
	fxr_scram_wipe(s->nonce, sizeof(s->nonce));
	fxr_scram_wipe(s->stored_key, sizeof(s->stored_key));
	fxr_scram_wipe(s->server_key, sizeof(s->server_key));
	fxr_scram_wipe(s->auth, sizeof(s->auth));
	s->cnonce_len = 0;
	s->nonce_len = 0;
	s->auth_len = 0;
}

int fxr_scram_server_first(struct fxr_scram_server *s, const char *msg, size_t len, char *err,
			   size_t errlen)
{
	if (s->state != FXR_SCRAM_ST_INIT)
		return srv_fail(s, err, errlen, -EPROTO, "client-first out of order");
	if (len > FXR_SCRAM_MSG_MAX)
		return srv_fail(s, err, errlen, -EMSGSIZE, "client-first over %u bytes",
				FXR_SCRAM_MSG_MAX);

	struct fxr_scur c = { .p = msg, .end = msg + len };
	/* RFC 5802 §7 gs2-header = gs2-cbind-flag "," [authzid] ",". We take only "n": the
	 * client neither uses nor claims support for channel binding. */
	if (c.p != c.end && (c.p[0] == 'y' || c.p[0] == 'p'))
		return srv_fail(s, err, errlen, -EOPNOTSUPP, "channel binding not supported");
	if (!fxr_scur_lit(&c, "n,"))
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: bad gs2 header");
	if (c.p != c.end && c.p[0] == 'a')
		return srv_fail(s, err, errlen, -EOPNOTSUPP, "authzid not supported");
	if (!fxr_scur_lit(&c, ","))
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: bad gs2 header");

	const char *bare = c.p;
	const char *v;
	size_t vn;
	/* RFC 5802 §5.1 "m": a mandatory extension we do not know must fail the exchange */
	if (fxr_scur_attr(&c, 'm', &v, &vn))
		return srv_fail(s, err, errlen, -EOPNOTSUPP, "mandatory extension not supported");
	if (!fxr_scur_attr(&c, 'n', &v, &vn))
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: no user name");
	/* device ids have no ',' or '=', so a valid one needs no saslname decoding */
	if (!fxr_devid_valid((const uint8_t *)v, vn))
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: invalid device id");
	const char *id = v;
	size_t id_len = vn;
	if (!fxr_scur_lit(&c, ",") || !fxr_scur_attr(&c, 'r', &v, &vn))
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: no nonce");
	if (vn > FXR_SCRAM_NONCE_MAX)
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: nonce over %u chars",
				FXR_SCRAM_NONCE_MAX);
	if (!fxr_scram_nonce_ok(v, vn))
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: bad nonce characters");
	if (!fxr_scur_done(&c)) {
		if (fxr_scur_is_ext(&c))
			return srv_fail(s, err, errlen, -EOPNOTSUPP,
					"client-first: extensions not supported");
		return srv_fail(s, err, errlen, -EBADMSG, "client-first: trailing bytes");
	}

	memcpy(s->id, id, id_len);
	s->id[id_len] = '\0';
	s->id_len = (uint8_t)id_len;
	memcpy(s->nonce, v, vn);
	s->cnonce_len = (uint16_t)vn;
	s->nonce_len = (uint16_t)vn;
	/* AuthMessage starts with client-first-message-bare (RFC 5802 §3) */
	size_t bare_len = (size_t)(c.end - bare);
	memcpy(s->auth, bare, bare_len);
	s->auth[bare_len] = ',';
	s->auth_len = (uint16_t)(bare_len + 1);
	s->state = FXR_SCRAM_ST_FIRST;
	return 0;
}

int fxr_scram_server_challenge(struct fxr_scram_server *s, const struct fxr_scram_cred *cred,
			       bool known, const char *snonce, size_t snonce_len, char *out,
			       size_t cap, char *err, size_t errlen)
{
	if (s->state != FXR_SCRAM_ST_FIRST)
		return srv_fail(s, err, errlen, -EPROTO, "challenge out of order");
	if (cred == NULL || cred->salt_len == 0 || cred->salt_len > FXR_SCRAM_SALT_MAX ||
	    cred->iterations < FXR_SCRAM_ITER_MIN || cred->iterations > FXR_SCRAM_ITER_MAX)
		return fxr_scram_err(err, errlen, -EINVAL, "invalid credential record");

	char gen[FXR_SCRAM_NONCE_GEN];
	if (snonce == NULL) {
		if (fxr_scram_nonce_gen(gen) != 0)
			return srv_fail(s, err, errlen, -EIO, "no random bytes for the nonce");
		snonce = gen;
		snonce_len = sizeof(gen);
	} else if (snonce_len > FXR_SCRAM_NONCE_MAX || !fxr_scram_nonce_ok(snonce, snonce_len)) {
		return fxr_scram_err(err, errlen, -EINVAL, "invalid server nonce");
	}

	/* RFC 5802 §5.1: nonce = client nonce followed by ours */
	char msg[FXR_SCRAM_MSG_MAX];
	struct fxr_sbuf b = { .p = msg, .cap = sizeof(msg) };
	fxr_sbuf_puts(&b, "r=");
	fxr_sbuf_put(&b, s->nonce, s->cnonce_len);
	fxr_sbuf_put(&b, snonce, snonce_len);
	fxr_sbuf_puts(&b, ",s=");
	fxr_sbuf_b64(&b, cred->salt, cred->salt_len);
	fxr_sbuf_puts(&b, ",i=");
	fxr_sbuf_u32(&b, cred->iterations);
	if (b.over || b.len + 1 > sizeof(s->auth) - s->auth_len)
		return srv_fail(s, err, errlen, -EIO, "server-first does not fit");
	if (b.len + 1 > cap)
		return fxr_scram_err(err, errlen, -ENOSPC, "output buffer too small");

	memcpy(s->nonce + s->cnonce_len, snonce, snonce_len);
	s->nonce_len = (uint16_t)(s->cnonce_len + snonce_len);
	memcpy(s->stored_key, cred->stored_key, FXR_SCRAM_KEY_LEN);
	memcpy(s->server_key, cred->server_key, FXR_SCRAM_KEY_LEN);
	s->known = known;
	memcpy(s->auth + s->auth_len, msg, b.len);
	s->auth_len = (uint16_t)(s->auth_len + b.len);
	s->auth[s->auth_len++] = ',';
	memcpy(out, msg, b.len);
	out[b.len] = '\0';
	s->state = FXR_SCRAM_ST_CHALLENGED;
	return (int)b.len;
}

int fxr_scram_server_final(struct fxr_scram_server *s, const char *msg, size_t len, char *out,
			   size_t cap, char *err, size_t errlen)
{
	if (s->state != FXR_SCRAM_ST_CHALLENGED)
		return srv_fail(s, err, errlen, -EPROTO, "client-final out of order");
	if (len > FXR_SCRAM_MSG_MAX)
		return srv_fail(s, err, errlen, -EMSGSIZE, "client-final over %u bytes",
				FXR_SCRAM_MSG_MAX);
	const size_t need = 2 + FXR_B64_LEN(FXR_SCRAM_KEY_LEN) + 1;
	if (cap < need)
		return fxr_scram_err(err, errlen, -ENOSPC, "output buffer too small");

	struct fxr_scur c = { .p = msg, .end = msg + len };
	const char *v;
	size_t vn;
	/* RFC 5802 §7: channel-binding = "c=" base64(cbind-input); with gs2 header "n,," and no
	 * cbind-data that is "biws". Anything else means the header was altered in flight. */
	if (!fxr_scur_attr(&c, 'c', &v, &vn))
		return srv_fail(s, err, errlen, -EBADMSG, "client-final: no channel binding");
	if (vn != 4 || memcmp(v, "biws", 4) != 0)
		return srv_fail(s, err, errlen, -EACCES, "client-final: channel binding mismatch");
	if (!fxr_scur_lit(&c, ",") || !fxr_scur_attr(&c, 'r', &v, &vn))
		return srv_fail(s, err, errlen, -EBADMSG, "client-final: no nonce");
	if (vn != s->nonce_len || memcmp(v, s->nonce, vn) != 0)
		return srv_fail(s, err, errlen, -EACCES, "client-final: nonce mismatch");
	const char *without_proof_end = c.p;
	if (!fxr_scur_lit(&c, ",") || !fxr_scur_attr(&c, 'p', &v, &vn)) {
		c.p = without_proof_end;
		if (fxr_scur_is_ext(&c))
			return srv_fail(s, err, errlen, -EOPNOTSUPP,
					"client-final: extensions not supported");
		return srv_fail(s, err, errlen, -EBADMSG, "client-final: no proof");
	}
	if (!fxr_scur_done(&c))
		return srv_fail(s, err, errlen, -EBADMSG, "client-final: trailing bytes");
	uint8_t proof[FXR_SCRAM_KEY_LEN];
	if (fxr_scram_b64_decode(v, vn, proof, sizeof(proof)) != (int)sizeof(proof))
		return srv_fail(s, err, errlen, -EBADMSG, "client-final: bad proof encoding");

	/* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
	size_t wp_len = (size_t)(without_proof_end - msg);
	if (wp_len > sizeof(s->auth) - s->auth_len)
		return srv_fail(s, err, errlen, -EMSGSIZE, "client-final: transcript too long");
	memcpy(s->auth + s->auth_len, msg, wp_len);
	s->auth_len = (uint16_t)(s->auth_len + wp_len);

	/* RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof holds
	 * when H(ClientKey) == StoredKey. The same work is done for a fake record, and the
	 * comparison is constant time, so neither timing nor the answer tells a prober whether
	 * the id exists or how close the proof came. */
	uint8_t sig[FXR_SCRAM_KEY_LEN], key[FXR_SCRAM_KEY_LEN], stored[FXR_SCRAM_KEY_LEN];
	int rc = fxr_scram_hmac(s->stored_key, FXR_SCRAM_KEY_LEN, s->auth, s->auth_len, NULL, 0,
				sig);
	for (size_t i = 0; i < FXR_SCRAM_KEY_LEN; i++)
		key[i] = proof[i] ^ sig[i];
	if (rc == 0)
		rc = fxr_scram_hash(key, sizeof(key), stored);
	bool match = rc == 0 && CRYPTO_memcmp(stored, s->stored_key, FXR_SCRAM_KEY_LEN) == 0;
	bool ok = match & s->known;
	fxr_scram_wipe(key, sizeof(key));
	fxr_scram_wipe(proof, sizeof(proof));
	if (rc != 0)
		return srv_fail(s, err, errlen, -EIO, "crypto library failed verifying");
	if (!ok)
		return srv_fail(s, err, errlen, -EACCES, "invalid proof");

	/* RFC 5802 §3: ServerSignature = HMAC(ServerKey, AuthMessage), sent as "v=" */
	if (fxr_scram_hmac(s->server_key, FXR_SCRAM_KEY_LEN, s->auth, s->auth_len, NULL, 0,
			   sig) != 0)
		return srv_fail(s, err, errlen, -EIO, "crypto library failed signing");
	struct fxr_sbuf b = { .p = out, .cap = cap };
	fxr_sbuf_puts(&b, "v=");
	fxr_sbuf_b64(&b, sig, sizeof(sig));
	out[b.len] = '\0';
	fxr_scram_server_clear(s);
	s->state = FXR_SCRAM_ST_DONE;
	return (int)b.len;
}
