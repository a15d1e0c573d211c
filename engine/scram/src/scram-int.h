/* scram-int.h: helpers shared by the SCRAM server and client halves. Not installed. */
#ifndef FXR_SCRAM_INT_H
#define FXR_SCRAM_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fxr/scram-t.h"

/* Base64 length of n bytes, padding included (RFC 4648 §4). */
#define FXR_B64_LEN(n) ((((n) + 2u) / 3u) * 4u)

/* A bounded output: appends never write past cap, and over records that one did not fit. */
struct fxr_sbuf {
	char *p;
	size_t cap;
	size_t len;
	bool over;
};

void fxr_sbuf_put(struct fxr_sbuf *b, const void *s, size_t n);
void fxr_sbuf_puts(struct fxr_sbuf *b, const char *s);
void fxr_sbuf_u32(struct fxr_sbuf *b, uint32_t v);
void fxr_sbuf_b64(struct fxr_sbuf *b, const uint8_t *in, size_t n);

/* RFC 4648 §4 base64, strict: no whitespace, length a multiple of 4, padding only at the
 * end, unused bits zero (so each value has exactly one encoding). Returns the decoded
 * length, or -1 when in is not canonical base64 or does not fit in cap. */
int fxr_scram_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* A cursor over a message being parsed. */
struct fxr_scur {
	const char *p;
	const char *end;
};

/* Consumes the literal lit when the input starts with it. */
bool fxr_scur_lit(struct fxr_scur *c, const char *lit);

/* Consumes "<name>=" and the value up to the next ',' or the end (the ',' stays).
 * Returns false, consuming nothing, when the input does not start with "<name>=". */
bool fxr_scur_attr(struct fxr_scur *c, char name, const char **v, size_t *vn);

/* True at the end of the input. */
static inline bool fxr_scur_done(const struct fxr_scur *c)
{
	return c->p == c->end;
}

/* True when the rest is a well-formed but refused extension (",x=..." with x a letter). */
bool fxr_scur_is_ext(const struct fxr_scur *c);

/* RFC 5802 §7 "printable" minus ',': a nonce character. */
bool fxr_scram_nonce_ok(const char *p, size_t n);

/* Writes FXR_SCRAM_NONCE_GEN random base64 characters to out (no NUL). 0 or -EIO. */
int fxr_scram_nonce_gen(char *out);

/* HMAC-SHA-256(key, d1 || d2) into out. 0 or -EIO. */
int fxr_scram_hmac(const uint8_t *key, size_t key_len, const void *d1, size_t n1,
		   const void *d2, size_t n2, uint8_t out[FXR_SCRAM_KEY_LEN]);

/* SHA-256(d) into out. 0 or -EIO. */
int fxr_scram_hash(const uint8_t *d, size_t n, uint8_t out[FXR_SCRAM_KEY_LEN]);

/* Hi(password, salt, i) = PBKDF2-HMAC-SHA-256 with dkLen = 32 (RFC 5802 §2.2). 0 or -EIO. */
int fxr_scram_hi(const char *pw, size_t pw_len, const uint8_t *salt, size_t salt_len,
		 uint32_t iterations, uint8_t out[FXR_SCRAM_KEY_LEN]);

/* Writes the reason into err (when not NULL) and returns rc. */
int fxr_scram_verr(char *err, size_t errlen, int rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
int fxr_scram_err(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Wipes n bytes so that the compiler cannot drop the store. */
void fxr_scram_wipe(void *p, size_t n);

#endif
