/* fxr/scram-t.h: SCRAM-SHA-256 (RFC 5802, RFC 7677) types and limits for FXR/1 login
 * (DESIGN.md §2: AUTH_START / AUTH_CHALLENGE / AUTH_PROOF / AUTH_OK).
 *
 * The profile fxr speaks is a strict subset of RFC 5802:
 * - no channel binding: the gs2 header is exactly "n,," (no "y", no "p=", no authzid), so
 *   client-final carries "c=biws";
 * - the user name is a device identifier (fxr/devid.h), whose alphabet has neither ',' nor
 *   '=', so saslname escaping (RFC 5802 §5.1 "n") never applies;
 * - no extensions in any message, and "m=" (RFC 5802 §5.1, mandatory extension) is refused;
 * - passwords are used as their bytes: SASLprep (RFC 4013) is not applied, which is the
 *   identity for printable ASCII.
 *
 * Both state objects are plain structs so that callers embed them (one per connection being
 * authenticated) without allocation. */
#ifndef FXR_SCRAM_T_H
#define FXR_SCRAM_T_H

#include <stdbool.h>
#include <stdint.h>

#define FXR_SCRAM_KEY_LEN      32u      /* SHA-256 output: StoredKey, ServerKey, proofs */
#define FXR_SCRAM_SALT_LEN     16u      /* salt we generate */
#define FXR_SCRAM_SALT_MAX     64u      /* largest salt we accept from a record or a server */
#define FXR_SCRAM_ITER_MIN     4096u    /* RFC 7677 §4: at least 4096; below is a downgrade */
#define FXR_SCRAM_ITER_DEFAULT 4096u
#define FXR_SCRAM_ITER_MAX     10000000u /* a client refuses more: a hostile relay could stall it */
#define FXR_SCRAM_NONCE_MAX    128u     /* chars in a client nonce or in a server nonce part */
#define FXR_SCRAM_NONCE_GEN    24u      /* chars in a nonce part we generate (18 random bytes) */
#define FXR_SCRAM_PASSWORD_MAX 1024u    /* bytes */
#define FXR_SCRAM_SECRET_MIN   16u      /* bytes of server secret for fake records */
#define FXR_SCRAM_MSG_MAX      1024u    /* one SCRAM message (== FXR_SCRAM_MAX in frame-t.h) */
#define FXR_SCRAM_AUTH_MAX     1024u    /* AuthMessage (RFC 5802 §3); ours stay under 900 */

/* A stored credential (RFC 5802 §3, §5): everything the server keeps about a password, and
 * nothing from which the password can be used directly (SaltedPassword and ClientKey are not
 * kept). */
struct fxr_scram_cred {
	uint8_t salt[FXR_SCRAM_SALT_MAX];
	uint8_t salt_len;                      /* 1..FXR_SCRAM_SALT_MAX */
	uint32_t iterations;                   /* >= FXR_SCRAM_ITER_MIN */
	uint8_t stored_key[FXR_SCRAM_KEY_LEN]; /* H(ClientKey) */
	uint8_t server_key[FXR_SCRAM_KEY_LEN]; /* HMAC(SaltedPassword, "Server Key") */
};

enum fxr_scram_state {
	FXR_SCRAM_ST_INIT = 0,   /* nothing exchanged yet */
	FXR_SCRAM_ST_FIRST,      /* server: client-first parsed; client: client-first sent */
	FXR_SCRAM_ST_CHALLENGED, /* server: server-first sent; client: client-final sent */
	FXR_SCRAM_ST_DONE,       /* authenticated (server) / server verified (client) */
	FXR_SCRAM_ST_FAILED,     /* any error: the exchange is over */
};

/* The relay's half of one exchange. */
struct fxr_scram_server {
	uint8_t state;      /* enum fxr_scram_state */
	bool known;         /* false: fake record, the proof can never be accepted */
	uint8_t id_len;
	uint16_t cnonce_len;
	uint16_t nonce_len; /* client nonce + server part */
	uint16_t auth_len;  /* bytes of auth[] filled so far */
	char id[64 + 1];    /* FXR_DEVID_MAX + NUL */
	char nonce[2 * FXR_SCRAM_NONCE_MAX];
	uint8_t stored_key[FXR_SCRAM_KEY_LEN];
	uint8_t server_key[FXR_SCRAM_KEY_LEN];
	char auth[FXR_SCRAM_AUTH_MAX]; /* client-first-bare "," server-first "," ... */
};

/* What a device derives from its password for one salt and iteration count (RFC 5802 §3):
 * ClientKey and ServerKey. A client that logs in many connections of one device keeps them,
 * so that only its first login pays Hi(). Zero-initialise; wipe when done. */
struct fxr_scram_client_keys {
	uint8_t salt[FXR_SCRAM_SALT_MAX];
	uint8_t salt_len;                      /* 0: empty */
	uint32_t iterations;
	uint8_t client_key[FXR_SCRAM_KEY_LEN];
	uint8_t server_key[FXR_SCRAM_KEY_LEN];
	uint64_t derivations;                  /* Hi() runs: 1 unless the salt changed */
};

/* The device's half of one exchange. The password is not kept between calls. */
struct fxr_scram_client {
	uint8_t state;      /* enum fxr_scram_state */
	uint16_t cnonce_len;
	uint16_t auth_len;
	uint8_t server_sig[FXR_SCRAM_KEY_LEN]; /* the v= we expect, computed with the proof */
	char auth[FXR_SCRAM_AUTH_MAX];
};

#endif
