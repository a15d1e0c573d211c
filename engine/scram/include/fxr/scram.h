/* fxr/scram.h: SCRAM-SHA-256 (RFC 5802, RFC 7677) for FXR/1 login, both halves. Pure: no
 * I/O, no allocation, no global state beyond OpenSSL's; every function may be called from
 * any thread on state objects that thread owns.
 *
 * Messages are byte views (pointer + length, not NUL-terminated), as they come out of an
 * FXR/1 frame. Messages we build are written to out[0..cap), NUL-terminated for convenience;
 * the returned length excludes the NUL.
 *
 * Errors: every int function returns 0 or a length on success, or a negative errno, and then
 * writes a one-line reason into err[0..errlen) (Redis anet style; err may be NULL). The reason
 * is for the relay's log or the device's diagnostics: a relay must not send it to a device,
 * it answers AUTH_FAIL(9) whatever the cause. The errno values are:
 *   -EINVAL     a bad argument from the caller (invalid device id, empty password, ...)
 *   -EMSGSIZE   an input message over FXR_SCRAM_MSG_MAX
 *   -EBADMSG    a malformed message (syntax, attribute order, alphabet, base64)
 *   -EOPNOTSUPP a well-formed request for something this profile refuses (channel binding,
 *               authzid, "m=" mandatory extension)
 *   -EACCES     authentication failed: wrong proof, nonce or channel binding mismatch,
 *               wrong server signature, iteration count refused, server-final "e="
 *   -EPROTO     the call is out of order for the state object
 *   -ENOSPC     out is too small
 *   -EIO        the crypto library failed (no entropy, ...)
 * After any error other than -ENOSPC and -EINVAL the state object is FAILED, its keys are
 * wiped, and every later call but init/start returns -EPROTO. fxr_scram_client_start()
 * leaves the state untouched on error. */
#ifndef FXR_SCRAM_H
#define FXR_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fxr/scram-t.h"

/* ---- credentials ---- */

/* Derives a stored credential from a password (RFC 5802 §3): a random FXR_SCRAM_SALT_LEN
 * salt, SaltedPassword = Hi(password, salt, iterations), then StoredKey and ServerKey.
 * iterations must be >= FXR_SCRAM_ITER_MIN and <= FXR_SCRAM_ITER_MAX; the password 1 to
 * FXR_SCRAM_PASSWORD_MAX bytes. The intermediate keys are wiped before returning.
 * Returns 0, -EINVAL or -EIO. */
int fxr_scram_cred_derive(struct fxr_scram_cred *cred, const char *password, size_t pw_len,
			  uint32_t iterations, char *err, size_t errlen);

/* Same with a given salt (1..FXR_SCRAM_SALT_MAX bytes): test vectors, and re-deriving a
 * record. Returns 0, -EINVAL or -EIO. */
int fxr_scram_cred_derive_salt(struct fxr_scram_cred *cred, const char *password,
			       size_t pw_len, const uint8_t *salt, size_t salt_len,
			       uint32_t iterations, char *err, size_t errlen);

/* Fills a fake credential for a device the relay does not know (DESIGN.md §2), so that its
 * challenge looks like a real one and stays the same for the same id across attempts and
 * restarts: salt = HMAC-SHA-256(secret, "fxr-scram-salt\0" || id) truncated to
 * FXR_SCRAM_SALT_LEN, iterations as given (use the registry's default, so real and fake
 * challenges look alike), keys likewise derived from the secret. No password matches it with
 * any useful probability, and fxr_scram_server_challenge() with known = false refuses the
 * proof regardless. secret must hold at least FXR_SCRAM_SECRET_MIN bytes.
 * Returns 0, -EINVAL or -EIO. */
int fxr_scram_cred_fake(struct fxr_scram_cred *cred, const uint8_t *secret, size_t secret_len,
			const char *id, size_t id_len, uint32_t iterations, char *err,
			size_t errlen);

/* ---- relay side ---- */

/* Starts (or restarts) an exchange: state INIT, keys wiped. */
void fxr_scram_server_init(struct fxr_scram_server *s);

/* Wipes the keys, nonces and transcript; the state and s->id stay. Done by every call that
 * ends the exchange (DONE or FAILED); call it yourself when abandoning one midway. */
void fxr_scram_server_clear(struct fxr_scram_server *s);

/* RFC 5802 §5.1, §7 client-first-message, strictly: "n,,n=<devid>,r=<nonce>" with a nonce of
 * 1..FXR_SCRAM_NONCE_MAX printable ASCII characters other than ','. On success the device id
 * is in s->id (NUL-terminated, s->id_len bytes) for the caller to look up its record.
 * Returns 0, -EMSGSIZE, -EBADMSG, -EOPNOTSUPP or -EPROTO. */
int fxr_scram_server_first(struct fxr_scram_server *s, const char *msg, size_t len, char *err,
			   size_t errlen);

/* Builds the server-first-message "r=<cnonce><snonce>,s=<salt>,i=<iterations>" (RFC 5802
 * §5.1) from the device's credential. known is false when cred is a fake record
 * (fxr_scram_cred_fake(): unknown or disabled device); the exchange then runs to the end with
 * the same work and fails. snonce is the server's nonce part: NULL draws FXR_SCRAM_NONCE_GEN
 * random characters (always, except to replay test vectors); otherwise 1..FXR_SCRAM_NONCE_MAX
 * printable characters other than ','. The keys are copied; cred may be freed afterwards.
 * Returns the message length, -EINVAL, -ENOSPC, -EIO or -EPROTO. */
int fxr_scram_server_challenge(struct fxr_scram_server *s, const struct fxr_scram_cred *cred,
			       bool known, const char *snonce, size_t snonce_len, char *out,
			       size_t cap, char *err, size_t errlen);

/* Checks the client-final-message "c=biws,r=<nonce>,p=<proof>" (RFC 5802 §5.1, §7): channel
 * binding data, the whole nonce, then the proof (RFC 5802 §3: H(proof XOR ClientSignature) ==
 * StoredKey, compared in constant time). On success writes the server-final-message
 * "v=<ServerSignature>" and the state is DONE.
 * Returns its length, -EMSGSIZE, -EBADMSG, -EACCES, -ENOSPC or -EPROTO. */
int fxr_scram_server_final(struct fxr_scram_server *s, const char *msg, size_t len, char *out,
			   size_t cap, char *err, size_t errlen);

/* ---- device side ---- */

/* Starts (or restarts, from any state) an exchange as device id (a NUL-terminated valid
 * device identifier) and writes the client-first-message "n,,n=<id>,r=<cnonce>". cnonce
 * NULL draws FXR_SCRAM_NONCE_GEN random characters (always, except to replay test vectors).
 * Returns its length, -EINVAL, -ENOSPC or -EIO. */
int fxr_scram_client_start(struct fxr_scram_client *c, const char *id, const char *cnonce,
			   size_t cnonce_len, char *out, size_t cap, char *err, size_t errlen);

/* Takes the server-first-message, checks that its nonce extends ours and that the iteration
 * count is within [FXR_SCRAM_ITER_MIN, FXR_SCRAM_ITER_MAX] (a lower count is a downgrade
 * attack), computes the proof from the password and writes the client-final-message. The
 * password is not kept. Costs one Hi() of the server's iteration count.
 * Returns its length, -EINVAL, -EMSGSIZE, -EBADMSG, -EOPNOTSUPP, -EACCES, -ENOSPC, -EIO or
 * -EPROTO. */
int fxr_scram_client_proof(struct fxr_scram_client *c, const char *msg, size_t len,
			   const char *password, size_t pw_len, char *out, size_t cap,
			   char *err, size_t errlen);

/* fxr_scram_client_proof() for a client that logs in many connections of one device: the
 * keys come from *keys when its salt and iteration count are the server's, and are derived
 * (one Hi()) and stored there otherwise. Same checks and returns. */
int fxr_scram_client_proof_keys(struct fxr_scram_client *c, const char *msg, size_t len,
				const char *password, size_t pw_len,
				struct fxr_scram_client_keys *keys, char *out, size_t cap,
				char *err, size_t errlen);

/* Checks the server-final-message: "v=<ServerSignature>" compared in constant time with the
 * one we expect (RFC 5802 §3: the server proves it knows ServerKey), or "e=<error>". Returns 0
 * (state DONE: the relay is authentic), -EMSGSIZE, -EBADMSG, -EACCES or -EPROTO. */
int fxr_scram_client_verify(struct fxr_scram_client *c, const char *msg, size_t len, char *err,
			    size_t errlen);

/* Wipes the state. */
void fxr_scram_client_clear(struct fxr_scram_client *c);

#endif
