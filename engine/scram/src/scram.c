/* SCRAM-SHA-256 shared pieces: base64, parsing cursor, crypto glue, credential derivation
 * (RFC 5802 §3, RFC 7677 §3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "fxr/devid.h"
#include "fxr/frame-t.h"
#include "fxr/scram.h"
#include "scram-int.h"

_Static_assert(FXR_SCRAM_MSG_MAX == FXR_SCRAM_MAX, "SCRAM message limit and frame limit differ");
_Static_assert(FXR_SCRAM_KEY_LEN == SHA256_DIGEST_LENGTH, "SCRAM-SHA-256 key length");
_Static_assert(FXR_B64_LEN(18) == FXR_SCRAM_NONCE_GEN, "nonce: 18 random bytes, no padding");
_Static_assert(FXR_SCRAM_SALT_MAX <= UINT8_MAX, "salt_len is a u8");
/* The longest transcript: bare "n=" id ",r=" cnonce, server-first "r=" nonce ",s=" salt ",i="
 * 10 digits, client-final-without-proof "c=biws,r=" nonce, and the two commas. */
_Static_assert(2 + 64 + 3 + FXR_SCRAM_NONCE_MAX + 1 + 2 + 2 * FXR_SCRAM_NONCE_MAX + 3 +
			       FXR_B64_LEN(FXR_SCRAM_SALT_MAX) + 3 + 10 + 1 + 9 +
			       2 * FXR_SCRAM_NONCE_MAX <=
		       FXR_SCRAM_AUTH_MAX,
	       "AuthMessage buffer too small for the longest exchange");

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void fxr_sbuf_put(struct fxr_sbuf *b, const void *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void fxr_sbuf_puts(struct fxr_sbuf *b, const char *s)
{
	fxr_sbuf_put(b, s, strlen(s));
}

void fxr_sbuf_u32(struct fxr_sbuf *b, uint32_t v)
{
	char tmp[16];
	int n = snprintf(tmp, sizeof(tmp), "%u", (unsigned)v);
	fxr_sbuf_put(b, tmp, (size_t)n);
}

void fxr_sbuf_b64(struct fxr_sbuf *b, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = n - i;
		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		char q[4] = {
			b64_alphabet[(v >> 18) & 63],
			b64_alphabet[(v >> 12) & 63],
			left > 1 ? b64_alphabet[(v >> 6) & 63] : '=',
			left > 2 ? b64_alphabet[v & 63] : '=',
		};
		fxr_sbuf_put(b, q, 4);
	}
}

static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int fxr_scram_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	if (n == 0 || n % 4 != 0)
		return -1;
	size_t len = 0;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		int v[4];
		size_t pad = 0;
		for (size_t k = 0; k < 4; k++) {
			char ch = in[i + k];
			if (ch == '=' && last && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			/* a data character after '=' ("ab=c") is not base64 */
			if (pad != 0)
				return -1;
			v[k] = b64_value(ch);
			if (v[k] < 0)
				return -1;
		}
		/* RFC 4648 §3.5: the bits past the data must be zero for a canonical encoding */
		if ((pad == 2 && (v[1] & 0x0f) != 0) || (pad == 1 && (v[2] & 0x03) != 0))
			return -1;
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		size_t m = 3 - pad;
		if (m > cap - len)
			return -1;
		out[len++] = (uint8_t)(w >> 16);
		if (m > 1)
			out[len++] = (uint8_t)(w >> 8);
		if (m > 2)
			out[len++] = (uint8_t)w;
	}
	return (int)len;
}

bool fxr_scur_lit(struct fxr_scur *c, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

bool fxr_scur_attr(struct fxr_scur *c, char name, const char **v, size_t *vn)
{
	if (c->end - c->p < 2 || c->p[0] != name || c->p[1] != '=')
		return false;
	const char *s = c->p + 2;
	const char *e = memchr(s, ',', (size_t)(c->end - s));
	if (e == NULL)
		e = c->end;
	*v = s;
	*vn = (size_t)(e - s);
	c->p = e;
	return true;
}

bool fxr_scur_is_ext(const struct fxr_scur *c)
{
	/* RFC 5802 §7: extensions = attr-val *("," attr-val), attr-val = ALPHA "=" value */
	if (c->end - c->p < 3 || c->p[0] != ',' || c->p[2] != '=')
		return false;
	char a = c->p[1];
	return (a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z');
}

bool fxr_scram_nonce_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		/* RFC 5802 §7: printable = %x21-2B / %x2D-7E */
		if (ch < 0x21 || ch > 0x7e || ch == ',')
			return false;
	}
	return true;
}

int fxr_scram_nonce_gen(char *out)
{
	uint8_t rnd[18];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	struct fxr_sbuf b = { .p = out, .cap = FXR_SCRAM_NONCE_GEN };
	fxr_sbuf_b64(&b, rnd, sizeof(rnd));
	fxr_scram_wipe(rnd, sizeof(rnd));
	return b.over ? -EIO : 0;
}

int fxr_scram_hmac(const uint8_t *key, size_t key_len, const void *d1, size_t n1,
		   const void *d2, size_t n2, uint8_t out[FXR_SCRAM_KEY_LEN])
{
	/* EVP_MAC would do the two parts without a copy, but every caller's input is small
	 * (at most FXR_SCRAM_AUTH_MAX) and the one-shot HMAC() is the simpler contract. */
	uint8_t buf[FXR_SCRAM_AUTH_MAX + 128];
	if (n1 > sizeof(buf) || n2 > sizeof(buf) - n1)
		return -EIO;
	if (n1 != 0)
		memcpy(buf, d1, n1);
	if (n2 != 0)
		memcpy(buf + n1, d2, n2);
	unsigned int olen = 0;
	const unsigned char *r =
		HMAC(EVP_sha256(), key, (int)key_len, buf, n1 + n2, out, &olen);
	fxr_scram_wipe(buf, n1 + n2);
	return r != NULL && olen == FXR_SCRAM_KEY_LEN ? 0 : -EIO;
}

int fxr_scram_hash(const uint8_t *d, size_t n, uint8_t out[FXR_SCRAM_KEY_LEN])
{
	return SHA256(d, n, out) != NULL ? 0 : -EIO;
}

int fxr_scram_hi(const char *pw, size_t pw_len, const uint8_t *salt, size_t salt_len,
		 uint32_t iterations, uint8_t out[FXR_SCRAM_KEY_LEN])
{
	/* RFC 5802 §2.2: Hi() is PBKDF2 (RFC 2898) with HMAC as the PRF and dkLen = the
	 * hash's output length, i.e. exactly one block U1 ^ ... ^ Ui. */
	int r = PKCS5_PBKDF2_HMAC(pw, (int)pw_len, salt, (int)salt_len, (int)iterations,
				  EVP_sha256(), FXR_SCRAM_KEY_LEN, out);
	return r == 1 ? 0 : -EIO;
}

int fxr_scram_verr(char *err, size_t errlen, int rc, const char *fmt, va_list ap)
{
	if (err != NULL && errlen != 0)
		vsnprintf(err, errlen, fmt, ap);
	return rc;
}

int fxr_scram_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fxr_scram_verr(err, errlen, rc, fmt, ap);
	va_end(ap);
	return rc;
}

void fxr_scram_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

int fxr_scram_cred_derive_salt(struct fxr_scram_cred *cred, const char *password,
			       size_t pw_len, const uint8_t *salt, size_t salt_len,
			       uint32_t iterations, char *err, size_t errlen)
{
	if (password == NULL || pw_len == 0 || pw_len > FXR_SCRAM_PASSWORD_MAX)
		return fxr_scram_err(err, errlen, -EINVAL, "password must be 1..%u bytes",
				     FXR_SCRAM_PASSWORD_MAX);
	if (salt == NULL || salt_len == 0 || salt_len > FXR_SCRAM_SALT_MAX)
		return fxr_scram_err(err, errlen, -EINVAL, "salt must be 1..%u bytes",
				     FXR_SCRAM_SALT_MAX);
	if (iterations < FXR_SCRAM_ITER_MIN || iterations > FXR_SCRAM_ITER_MAX)
		return fxr_scram_err(err, errlen, -EINVAL, "iterations must be %u..%u",
				     FXR_SCRAM_ITER_MIN, FXR_SCRAM_ITER_MAX);

	/* RFC 5802 §3: SaltedPassword = Hi(password, salt, i); ClientKey = HMAC(SaltedPassword,
	 * "Client Key"); StoredKey = H(ClientKey); ServerKey = HMAC(SaltedPassword,
	 * "Server Key"). Only StoredKey and ServerKey are kept. */
	uint8_t salted[FXR_SCRAM_KEY_LEN], client_key[FXR_SCRAM_KEY_LEN];
	struct fxr_scram_cred c = { .salt_len = (uint8_t)salt_len, .iterations = iterations };
	memcpy(c.salt, salt, salt_len);
	int rc = fxr_scram_hi(password, pw_len, salt, salt_len, iterations, salted);
	if (rc == 0)
		rc = fxr_scram_hmac(salted, sizeof(salted), "Client Key", 10, NULL, 0, client_key);
	if (rc == 0)
		rc = fxr_scram_hash(client_key, sizeof(client_key), c.stored_key);
	if (rc == 0)
		rc = fxr_scram_hmac(salted, sizeof(salted), "Server Key", 10, NULL, 0,
				    c.server_key);
	fxr_scram_wipe(salted, sizeof(salted));
	fxr_scram_wipe(client_key, sizeof(client_key));
	if (rc != 0) {
		fxr_scram_wipe(&c, sizeof(c));
		return fxr_scram_err(err, errlen, rc, "crypto library failed deriving keys");
	}
	*cred = c;
	fxr_scram_wipe(&c, sizeof(c));
	return 0;
}

int fxr_scram_cred_derive(struct fxr_scram_cred *cred, const char *password, size_t pw_len,
			  uint32_t iterations, char *err, size_t errlen)
{
	uint8_t salt[FXR_SCRAM_SALT_LEN];
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return fxr_scram_err(err, errlen, -EIO, "no random bytes for the salt");
	return fxr_scram_cred_derive_salt(cred, password, pw_len, salt, sizeof(salt), iterations,
					  err, errlen);
}

int fxr_scram_cred_fake(struct fxr_scram_cred *cred, const uint8_t *secret, size_t secret_len,
			const char *id, size_t id_len, uint32_t iterations, char *err,
			size_t errlen)
{
	if (secret == NULL || secret_len < FXR_SCRAM_SECRET_MIN)
		return fxr_scram_err(err, errlen, -EINVAL, "server secret must be >= %u bytes",
				     FXR_SCRAM_SECRET_MIN);
	if (id == NULL || !fxr_devid_valid((const uint8_t *)id, id_len))
		return fxr_scram_err(err, errlen, -EINVAL, "invalid device id");
	if (iterations < FXR_SCRAM_ITER_MIN || iterations > FXR_SCRAM_ITER_MAX)
		return fxr_scram_err(err, errlen, -EINVAL, "iterations must be %u..%u",
				     FXR_SCRAM_ITER_MIN, FXR_SCRAM_ITER_MAX);

	/* Each value is a PRF of (label, id) under the secret: stable for an id, unrelated
	 * between ids, and unpredictable without the secret, so a prober cannot tell it from a
	 * real record. The labels end in NUL so that no label || id is another's prefix. */
	static const char l_salt[] = "fxr-scram-salt";
	static const char l_stored[] = "fxr-scram-stored-key";
	static const char l_server[] = "fxr-scram-server-key";
	uint8_t mac[FXR_SCRAM_KEY_LEN];
	struct fxr_scram_cred c = { .salt_len = FXR_SCRAM_SALT_LEN, .iterations = iterations };
	int rc = fxr_scram_hmac(secret, secret_len, l_salt, sizeof(l_salt), id, id_len, mac);
	if (rc == 0)
		rc = fxr_scram_hmac(secret, secret_len, l_stored, sizeof(l_stored), id, id_len,
				    c.stored_key);
	if (rc == 0)
		rc = fxr_scram_hmac(secret, secret_len, l_server, sizeof(l_server), id, id_len,
				    c.server_key);
	memcpy(c.salt, mac, FXR_SCRAM_SALT_LEN);
	fxr_scram_wipe(mac, sizeof(mac));
	if (rc != 0) {
		fxr_scram_wipe(&c, sizeof(c));
		return fxr_scram_err(err, errlen, rc, "crypto library failed deriving keys");
	}
	*cred = c;
	fxr_scram_wipe(&c, sizeof(c));
	return 0;
}
