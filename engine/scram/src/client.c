/* SCRAM-SHA-256, the device's half (RFC 5802 §5, §7; RFC 7677). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fxr/devid.h"
#include "fxr/scram.h"
#include "scram-int.h"

__attribute__((format(printf, 5, 6)))
static int cli_fail(struct fxr_scram_client *c, char *err, size_t errlen, int rc,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fxr_scram_verr(err, errlen, rc, fmt, ap);
	va_end(ap);
	fxr_scram_client_clear(c);
	c->state = FXR_SCRAM_ST_FAILED;
	return rc;
}

void fxr_scram_client_clear(struct fxr_scram_client *c)
{
	fxr_scram_wipe(c, sizeof(*c));
	c->state = FXR_SCRAM_ST_INIT;
}

int fxr_scram_client_start(struct fxr_scram_client *c, const char *id, const char *cnonce,
			   size_t cnonce_len, char *out, size_t cap, char *err, size_t errlen)
{
	if (id == NULL || !fxr_devid_valid_cstr(id))
		return fxr_scram_err(err, errlen, -EINVAL, "invalid device id");
	char gen[FXR_SCRAM_NONCE_GEN];
	if (cnonce == NULL) {
		if (fxr_scram_nonce_gen(gen) != 0)
			return fxr_scram_err(err, errlen, -EIO, "no random bytes for the nonce");
		cnonce = gen;
		cnonce_len = sizeof(gen);
	} else if (cnonce_len > FXR_SCRAM_NONCE_MAX || !fxr_scram_nonce_ok(cnonce, cnonce_len)) {
		return fxr_scram_err(err, errlen, -EINVAL, "invalid client nonce");
	}

	/* RFC 5802 §7: gs2-header "n,," (no channel binding, no authzid), then the bare part
	 * "n=" saslname ",r=" c-nonce; a device id needs no saslname escaping. */
	struct fxr_sbuf b = { .p = out, .cap = cap };
	fxr_sbuf_puts(&b, "n,,n=");
	fxr_sbuf_puts(&b, id);
	fxr_sbuf_puts(&b, ",r=");
	fxr_sbuf_put(&b, cnonce, cnonce_len);
	fxr_sbuf_put(&b, "", 1);
	if (b.over)
		return fxr_scram_err(err, errlen, -ENOSPC, "output buffer too small");
	size_t len = b.len - 1;

	fxr_scram_client_clear(c);
	memcpy(c->auth, out + 3, len - 3);
	c->auth_len = (uint16_t)(len - 3);
	c->cnonce_len = (uint16_t)cnonce_len;
	c->state = FXR_SCRAM_ST_FIRST;
	return (int)len;
}

/* RFC 5802 §7: posit-number = %x31-39 *DIGIT, which we also bound to 32 bits. */
static bool parse_posit(const char *v, size_t n, uint32_t *out)
{
	if (n == 0 || n > 10 || v[0] < '1' || v[0] > '9')
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > UINT32_MAX)
		return false;
	*out = (uint32_t)x;
	return true;
}

/* RFC 5802 §3: ClientKey and ServerKey from the password, for this salt and count. */
static int derive_keys(const char *password, size_t pw_len, const uint8_t *salt,
		       size_t salt_len, uint32_t iter, uint8_t client_key[FXR_SCRAM_KEY_LEN],
		       uint8_t server_key[FXR_SCRAM_KEY_LEN])
{
	uint8_t salted[FXR_SCRAM_KEY_LEN];
	int rc = fxr_scram_hi(password, pw_len, salt, salt_len, iter, salted);

	if (rc == 0)
		rc = fxr_scram_hmac(salted, sizeof(salted), "Client Key", 10, NULL, 0, client_key);
	if (rc == 0)
		rc = fxr_scram_hmac(salted, sizeof(salted), "Server Key", 10, NULL, 0, server_key);
	fxr_scram_wipe(salted, sizeof(salted));
	return rc;
}

int fxr_scram_client_proof(struct fxr_scram_client *c, const char *msg, size_t len,
			   const char *password, size_t pw_len, char *out, size_t cap,
			   char *err, size_t errlen)
{
	return fxr_scram_client_proof_keys(c, msg, len, password, pw_len, NULL, out, cap, err,
					   errlen);
}

int fxr_scram_client_proof_keys(struct fxr_scram_client *c, const char *msg, size_t len,
				const char *password, size_t pw_len,
				struct fxr_scram_client_keys *keys, char *out, size_t cap,
				char *err, size_t errlen)
{
	if (c->state != FXR_SCRAM_ST_FIRST)
		return cli_fail(c, err, errlen, -EPROTO, "server-first out of order");
	if (password == NULL || pw_len == 0 || pw_len > FXR_SCRAM_PASSWORD_MAX)
		return fxr_scram_err(err, errlen, -EINVAL, "password must be 1..%u bytes",
				     FXR_SCRAM_PASSWORD_MAX);
	if (len > FXR_SCRAM_MSG_MAX)
		return cli_fail(c, err, errlen, -EMSGSIZE, "server-first over %u bytes",
				FXR_SCRAM_MSG_MAX);

	struct fxr_scur p = { .p = msg, .end = msg + len };
	const char *v;
	size_t vn;
	if (fxr_scur_attr(&p, 'm', &v, &vn))
		return cli_fail(c, err, errlen, -EOPNOTSUPP, "mandatory extension not supported");
	if (!fxr_scur_attr(&p, 'r', &v, &vn))
		return cli_fail(c, err, errlen, -EBADMSG, "server-first: no nonce");
	const char *nonce = v;
	size_t nonce_len = vn;
	if (nonce_len > 2 * FXR_SCRAM_NONCE_MAX || !fxr_scram_nonce_ok(nonce, nonce_len))
		return cli_fail(c, err, errlen, -EBADMSG, "server-first: bad nonce");
	/* RFC 5802 §5.1: the server's nonce must start with ours and add its own part; a
	 * replayed or foreign challenge fails here */
	const char *cnonce = c->auth + c->auth_len - c->cnonce_len;
	if (nonce_len <= c->cnonce_len || memcmp(nonce, cnonce, c->cnonce_len) != 0)
		return cli_fail(c, err, errlen, -EACCES, "server-first: nonce does not extend ours");
	uint8_t salt[FXR_SCRAM_SALT_MAX];
	int salt_len;
	if (!fxr_scur_lit(&p, ",") || !fxr_scur_attr(&p, 's', &v, &vn))
		return cli_fail(c, err, errlen, -EBADMSG, "server-first: no salt");
	salt_len = fxr_scram_b64_decode(v, vn, salt, sizeof(salt));
	if (salt_len <= 0)
		return cli_fail(c, err, errlen, -EBADMSG, "server-first: bad salt");
	uint32_t iter;
	if (!fxr_scur_lit(&p, ",") || !fxr_scur_attr(&p, 'i', &v, &vn) ||
	    !parse_posit(v, vn, &iter))
		return cli_fail(c, err, errlen, -EBADMSG, "server-first: bad iteration count");
	if (!fxr_scur_done(&p)) {
		if (fxr_scur_is_ext(&p))
			return cli_fail(c, err, errlen, -EOPNOTSUPP,
					"server-first: extensions not supported");
		return cli_fail(c, err, errlen, -EBADMSG, "server-first: trailing bytes");
	}
	/* RFC 7677 §4: at least 4096; a man in the middle lowering it would make the proof
	 * cheaper to attack offline. Too many would stall the device. */
	if (iter < FXR_SCRAM_ITER_MIN)
		return cli_fail(c, err, errlen, -EACCES,
				"server-first: %u iterations refused (minimum %u)", iter,
				FXR_SCRAM_ITER_MIN);
	if (iter > FXR_SCRAM_ITER_MAX)
		return cli_fail(c, err, errlen, -EACCES,
				"server-first: %u iterations refused (maximum %u)", iter,
				FXR_SCRAM_ITER_MAX);

	/* client-final-message-without-proof = "c=biws,r=" nonce; the whole message adds
	 * ",p=" base64(ClientProof) */
	size_t wp_len = 9 + nonce_len;
	size_t need = wp_len + 3 + FXR_B64_LEN(FXR_SCRAM_KEY_LEN) + 1;
	if (cap < need)
		return fxr_scram_err(err, errlen, -ENOSPC, "output buffer too small");
	if (c->auth_len + 1 + len + 1 + wp_len > sizeof(c->auth))
		return cli_fail(c, err, errlen, -EMSGSIZE, "server-first: transcript too long");

	struct fxr_sbuf b = { .p = out, .cap = cap };
	fxr_sbuf_puts(&b, "c=biws,r=");
	fxr_sbuf_put(&b, nonce, nonce_len);

	/* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
	struct fxr_sbuf a = { .p = c->auth, .cap = sizeof(c->auth), .len = c->auth_len };
	fxr_sbuf_puts(&a, ",");
	fxr_sbuf_put(&a, msg, len);
	fxr_sbuf_puts(&a, ",");
	fxr_sbuf_put(&a, out, wp_len);
	c->auth_len = (uint16_t)a.len;

	/* RFC 5802 §3 */
	uint8_t client_key[FXR_SCRAM_KEY_LEN], server_key[FXR_SCRAM_KEY_LEN];
	uint8_t stored[FXR_SCRAM_KEY_LEN], sig[FXR_SCRAM_KEY_LEN];
	int rc = 0;
	if (keys != NULL && keys->salt_len == (size_t)salt_len && keys->iterations == iter &&
	    memcmp(keys->salt, salt, (size_t)salt_len) == 0) {
		memcpy(client_key, keys->client_key, sizeof(client_key));
		memcpy(server_key, keys->server_key, sizeof(server_key));
	} else {
		rc = derive_keys(password, pw_len, salt, (size_t)salt_len, iter, client_key,
				 server_key);
		if (rc == 0 && keys != NULL) {
			memcpy(keys->salt, salt, (size_t)salt_len);
			keys->salt_len = (uint8_t)salt_len;
			keys->iterations = iter;
			memcpy(keys->client_key, client_key, sizeof(client_key));
			memcpy(keys->server_key, server_key, sizeof(server_key));
			keys->derivations++;
		}
	}
	if (rc == 0)
		rc = fxr_scram_hash(client_key, sizeof(client_key), stored);
	if (rc == 0)
		rc = fxr_scram_hmac(stored, sizeof(stored), c->auth, c->auth_len, NULL, 0, sig);
	if (rc == 0)
		rc = fxr_scram_hmac(server_key, sizeof(server_key), c->auth, c->auth_len, NULL,
				    0, c->server_sig);
	uint8_t proof[FXR_SCRAM_KEY_LEN];
	for (size_t i = 0; i < FXR_SCRAM_KEY_LEN; i++)
		proof[i] = client_key[i] ^ sig[i];
	fxr_scram_wipe(client_key, sizeof(client_key));
	fxr_scram_wipe(stored, sizeof(stored));
	fxr_scram_wipe(server_key, sizeof(server_key));
	if (rc != 0)
		return cli_fail(c, err, errlen, -EIO, "crypto library failed computing the proof");

	fxr_sbuf_puts(&b, ",p=");
	fxr_sbuf_b64(&b, proof, sizeof(proof));
	out[b.len] = '\0';
	c->state = FXR_SCRAM_ST_CHALLENGED;
	return (int)b.len;
}

int fxr_scram_client_verify(struct fxr_scram_client *c, const char *msg, size_t len, char *err,
			    size_t errlen)
{
	if (c->state != FXR_SCRAM_ST_CHALLENGED)
		return cli_fail(c, err, errlen, -EPROTO, "server-final out of order");
	if (len > FXR_SCRAM_MSG_MAX)
		return cli_fail(c, err, errlen, -EMSGSIZE, "server-final over %u bytes",
				FXR_SCRAM_MSG_MAX);

	struct fxr_scur p = { .p = msg, .end = msg + len };
	const char *v;
	size_t vn;
	if (fxr_scur_attr(&p, 'e', &v, &vn)) {
		/* RFC 5802 §7 server-error: quote it only if it is printable */
		bool printable = fxr_scram_nonce_ok(v, vn) && vn <= 64;
		return cli_fail(c, err, errlen, -EACCES, "relay refused: %.*s",
				printable ? (int)vn : 1, printable ? v : "?");
	}
	if (!fxr_scur_attr(&p, 'v', &v, &vn))
		return cli_fail(c, err, errlen, -EBADMSG, "server-final: no verifier");
	if (!fxr_scur_done(&p))
		return cli_fail(c, err, errlen, -EBADMSG, "server-final: trailing bytes");
	uint8_t sig[FXR_SCRAM_KEY_LEN];
	if (fxr_scram_b64_decode(v, vn, sig, sizeof(sig)) != (int)sizeof(sig))
		return cli_fail(c, err, errlen, -EBADMSG, "server-final: bad verifier encoding");
	/* RFC 5802 §3: the server proves it holds ServerKey, i.e. the real record */
	if (CRYPTO_memcmp(sig, c->server_sig, sizeof(sig)) != 0)
		return cli_fail(c, err, errlen, -EACCES, "server signature mismatch");
	fxr_scram_client_clear(c);
	c->state = FXR_SCRAM_ST_DONE;
	return 0;
}
