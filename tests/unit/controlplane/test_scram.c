/* SCRAM-SHA-256 (engine/scram): the RFC 7677 §3 test vector from both sides, round trips,
 * every failure an attacker or a broken peer can cause, and the fake record. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "fxr/scram.h"

/* RFC 7677 §3 */
#define V_CNONCE "rOprNGfwEbeRWgbNEkqO"
#define V_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define V_C1 "n,,n=user,r=" V_CNONCE
#define V_S1 "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=4096"
#define V_C2 "c=biws,r=" V_CNONCE V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_S2 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";

static void vector_cred(struct fxr_scram_cred *cred)
{
	uint8_t salt[24];
	int n = EVP_DecodeBlock(salt, (const unsigned char *)V_SALT, (int)strlen(V_SALT));
	assert_int_equal(n, 18); /* EVP_DecodeBlock counts the "==" padding as bytes */
	assert_int_equal(fxr_scram_cred_derive_salt(cred, "pencil", 6, salt, 16, 4096, NULL, 0),
			 0);
}

static void test_vector_client(void **state)
{
	(void)state;
	struct fxr_scram_client c;
	char out[FXR_SCRAM_MSG_MAX + 1], err[128] = "";
	fxr_scram_client_clear(&c);
	int n = fxr_scram_client_start(&c, "user", V_CNONCE, strlen(V_CNONCE), out, sizeof(out),
				       err, sizeof(err));
	assert_int_equal(n, strlen(V_C1));
	assert_string_equal(out, V_C1);
	n = fxr_scram_client_proof(&c, V_S1, strlen(V_S1), "pencil", 6, out, sizeof(out), err,
				   sizeof(err));
	assert_int_equal(n, strlen(V_C2));
	assert_string_equal(out, V_C2);
	assert_int_equal(fxr_scram_client_verify(&c, V_S2, strlen(V_S2), err, sizeof(err)), 0);
	assert_int_equal(c.state, FXR_SCRAM_ST_DONE);
}

/* The RFC 7677 exchange with kept keys: the first login derives them, a second login with
 * the same salt reuses them (the password given is then not even read: a wrong one still
 * gives the right proof), a new salt derives again. */
static void test_vector_client_keys(void **state)
{
	(void)state;
	static const char s1_other_salt[] = "r=" V_CNONCE V_SNONCE ",s=QSXCR+Q6sek8bf92,i=4096";
	struct fxr_scram_client_keys keys;
	struct fxr_scram_client c;
	char out[FXR_SCRAM_MSG_MAX + 1], err[128] = "";

	memset(&keys, 0, sizeof(keys));
	for (int round = 0; round < 2; round++) {
		const char *pw = round == 0 ? "pencil" : "not-read";

		fxr_scram_client_clear(&c);
		assert_true(fxr_scram_client_start(&c, "user", V_CNONCE, strlen(V_CNONCE), out,
						   sizeof(out), err, sizeof(err)) > 0);
		int n = fxr_scram_client_proof_keys(&c, V_S1, strlen(V_S1), pw, strlen(pw), &keys,
						    out, sizeof(out), err, sizeof(err));
		assert_int_equal(n, strlen(V_C2));
		assert_string_equal(out, V_C2);
		assert_int_equal(fxr_scram_client_verify(&c, V_S2, strlen(V_S2), err, sizeof(err)),
				 0);
		assert_int_equal(keys.derivations, 1);
	}
	fxr_scram_client_clear(&c);
	assert_true(fxr_scram_client_start(&c, "user", V_CNONCE, strlen(V_CNONCE), out,
					   sizeof(out), err, sizeof(err)) > 0);
	assert_true(fxr_scram_client_proof_keys(&c, s1_other_salt, strlen(s1_other_salt),
						"pencil", 6, &keys, out, sizeof(out), err,
						sizeof(err)) > 0);
	assert_int_equal(keys.derivations, 2);
	assert_int_equal(keys.iterations, 4096);
}

static void test_vector_server(void **state)
{
	(void)state;
	struct fxr_scram_cred cred;
	struct fxr_scram_server s;
	char out[FXR_SCRAM_MSG_MAX + 1], err[128] = "";
	vector_cred(&cred);
	fxr_scram_server_init(&s);
	assert_int_equal(fxr_scram_server_first(&s, V_C1, strlen(V_C1), err, sizeof(err)), 0);
	assert_string_equal(s.id, "user");
	assert_int_equal(s.id_len, 4);
	int n = fxr_scram_server_challenge(&s, &cred, true, V_SNONCE, strlen(V_SNONCE), out,
					   sizeof(out), err, sizeof(err));
	assert_int_equal(n, strlen(V_S1));
	assert_string_equal(out, V_S1);
	n = fxr_scram_server_final(&s, V_C2, strlen(V_C2), out, sizeof(out), err, sizeof(err));
	assert_int_equal(n, strlen(V_S2));
	assert_string_equal(out, V_S2);
	assert_int_equal(s.state, FXR_SCRAM_ST_DONE);
	/* the transcript and keys are wiped once done */
	assert_int_equal(s.auth_len, 0);
	assert_int_equal(s.stored_key[0] | s.stored_key[31] | s.server_key[0], 0);
}

/* One whole exchange with random nonces. Returns the server's result of the final step. */
static int exchange(const struct fxr_scram_cred *cred, bool known, const char *id,
		    const char *password, int *client_rc)
{
	struct fxr_scram_client c;
	struct fxr_scram_server s;
	char m1[FXR_SCRAM_MSG_MAX + 1], m2[FXR_SCRAM_MSG_MAX + 1];
	char err[128] = "";
	fxr_scram_client_clear(&c);
	fxr_scram_server_init(&s);
	int n = fxr_scram_client_start(&c, id, NULL, 0, m1, sizeof(m1), err, sizeof(err));
	assert_true(n > 0);
	assert_int_equal(fxr_scram_server_first(&s, m1, (size_t)n, err, sizeof(err)), 0);
	assert_string_equal(s.id, id);
	n = fxr_scram_server_challenge(&s, cred, known, NULL, 0, m2, sizeof(m2), err,
				       sizeof(err));
	assert_true(n > 0);
	n = fxr_scram_client_proof(&c, m2, (size_t)n, password, strlen(password), m1,
				   sizeof(m1), err, sizeof(err));
	assert_true(n > 0);
	int rc = fxr_scram_server_final(&s, m1, (size_t)n, m2, sizeof(m2), err, sizeof(err));
	if (rc < 0) {
		assert_int_equal(s.state, FXR_SCRAM_ST_FAILED);
		*client_rc = 1;
		return rc;
	}
	*client_rc = fxr_scram_client_verify(&c, m2, (size_t)rc, err, sizeof(err));
	return rc;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct fxr_scram_cred cred;
	int crc;
	assert_int_equal(fxr_scram_cred_derive(&cred, "s3cret pw", 9, 4096, NULL, 0), 0);
	assert_true(exchange(&cred, true, "fax-a@branch.example", "s3cret pw", &crc) > 0);
	assert_int_equal(crc, 0);
	/* the client follows the record's iteration count, whatever it is */
	assert_int_equal(fxr_scram_cred_derive(&cred, "other", 5, 5000, NULL, 0), 0);
	assert_int_equal(cred.iterations, 5000);
	assert_true(exchange(&cred, true, "x", "other", &crc) > 0);
	assert_int_equal(crc, 0);
}

static void test_wrong_password(void **state)
{
	(void)state;
	struct fxr_scram_cred cred;
	int crc = 0;
	assert_int_equal(fxr_scram_cred_derive(&cred, "right", 5, 4096, NULL, 0), 0);
	assert_int_equal(exchange(&cred, true, "dev1", "wrong", &crc), -EACCES);
	assert_int_equal(exchange(&cred, true, "dev1", "righ", &crc), -EACCES);
	assert_int_equal(exchange(&cred, true, "dev1", "right!", &crc), -EACCES);
}

static void test_derive(void **state)
{
	(void)state;
	struct fxr_scram_cred a, b;
	char err[128] = "";
	assert_int_equal(fxr_scram_cred_derive(&a, "pw", 2, 4096, err, sizeof(err)), 0);
	assert_int_equal(fxr_scram_cred_derive(&b, "pw", 2, 4096, err, sizeof(err)), 0);
	assert_int_equal(a.salt_len, FXR_SCRAM_SALT_LEN);
	/* random salt: the same password gives unrelated records */
	assert_memory_not_equal(a.salt, b.salt, FXR_SCRAM_SALT_LEN);
	assert_memory_not_equal(a.stored_key, b.stored_key, FXR_SCRAM_KEY_LEN);
	assert_memory_not_equal(a.stored_key, a.server_key, FXR_SCRAM_KEY_LEN);

	assert_int_equal(fxr_scram_cred_derive(&a, "pw", 2, 4095, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "iterations"));
	assert_int_equal(fxr_scram_cred_derive(&a, "pw", 2, FXR_SCRAM_ITER_MAX + 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(fxr_scram_cred_derive(&a, "", 0, 4096, err, sizeof(err)), -EINVAL);
	assert_int_equal(fxr_scram_cred_derive(&a, NULL, 3, 4096, NULL, 0), -EINVAL);
	assert_int_equal(fxr_scram_cred_derive_salt(&a, "pw", 2, a.salt, 0, 4096, NULL, 0),
			 -EINVAL);
	assert_int_equal(fxr_scram_cred_derive_salt(&a, "pw", 2, a.salt, FXR_SCRAM_SALT_MAX + 1,
						    4096, NULL, 0),
			 -EINVAL);
}

/* Runs the server up to a valid challenge for the RFC vector, so that the vector's
 * client-final can be tampered with field by field. */
static void vector_server_challenged(struct fxr_scram_server *s)
{
	struct fxr_scram_cred cred;
	char out[FXR_SCRAM_MSG_MAX + 1];
	vector_cred(&cred);
	fxr_scram_server_init(s);
	assert_int_equal(fxr_scram_server_first(s, V_C1, strlen(V_C1), NULL, 0), 0);
	assert_int_equal(fxr_scram_server_challenge(s, &cred, true, V_SNONCE, strlen(V_SNONCE),
						    out, sizeof(out), NULL, 0),
			 (int)strlen(V_S1));
}

static int server_final_str(const char *m, char *err, size_t errlen)
{
	struct fxr_scram_server s;
	char out[FXR_SCRAM_MSG_MAX + 1];
	vector_server_challenged(&s);
	int rc = fxr_scram_server_final(&s, m, strlen(m), out, sizeof(out), err, errlen);
	if (rc < 0) {
		assert_int_equal(s.state, FXR_SCRAM_ST_FAILED);
		/* a failed exchange stays failed */
		assert_int_equal(fxr_scram_server_final(&s, V_C2, strlen(V_C2), out, sizeof(out),
							NULL, 0),
				 -EPROTO);
	}
	return rc;
}

static void test_tampered_client_final(void **state)
{
	(void)state;
	char err[128] = "";
	char m[512];
	/* the untouched message passes, so each failure below is the tampering's */
	assert_int_equal(server_final_str(V_C2, err, sizeof(err)), strlen(V_S2));

	/* nonce: one character of the server part changed, one dropped, one added */
	snprintf(m, sizeof(m), "c=biws,r=%s%s,p=%s", V_CNONCE, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1",
		 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "nonce"));
	snprintf(m, sizeof(m), "c=biws,r=%s,p=%s", V_CNONCE,
		 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);
	snprintf(m, sizeof(m), "c=biws,r=%s%sX,p=%s", V_CNONCE, V_SNONCE,
		 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);

	/* proof: first and last data characters changed (still canonical base64) */
	snprintf(m, sizeof(m), "c=biws,r=%s%s,p=%s", V_CNONCE, V_SNONCE,
		 "eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);
	assert_string_equal(err, "invalid proof");
	snprintf(m, sizeof(m), "c=biws,r=%s%s,p=%s", V_CNONCE, V_SNONCE,
		 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);

	/* channel binding: "y,," and "n,a=x," encoded, and a missing one */
	snprintf(m, sizeof(m), "c=eSws,r=%s%s,p=%s", V_CNONCE, V_SNONCE,
		 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "channel binding"));
	snprintf(m, sizeof(m), "c=bixhPXgs,r=%s%s,p=%s", V_CNONCE, V_SNONCE,
		 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);
	snprintf(m, sizeof(m), "c=,r=%s%s,p=%s", V_CNONCE, V_SNONCE,
		 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	assert_int_equal(server_final_str(m, err, sizeof(err)), -EACCES);
}

static void test_malformed_client_final(void **state)
{
	(void)state;
	static const struct {
		const char *m;
		int rc;
	} cases[] = {
		{ "", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		  -EBADMSG },
		{ "c=biws", -EBADMSG },
		{ "c=biws,", -EBADMSG },
		{ "c=biws,r=" V_CNONCE V_SNONCE, -EBADMSG },
		{ "c=biws,r=" V_CNONCE V_SNONCE ",", -EBADMSG },
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=", -EBADMSG },
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=!HzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		  -EBADMSG },
		/* 31 and 33 bytes */
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7And",
		  -EBADMSG },
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQA",
		  -EBADMSG },
		/* unused bits set: not the canonical encoding */
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVR=",
		  -EBADMSG },
		/* whitespace inside base64 */
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9yta g9zjfMHgsqmmiz7AndVQ=",
		  -EBADMSG },
		{ "c=biws,r=" V_CNONCE V_SNONCE ",x=1,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		  -EOPNOTSUPP },
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1",
		  -EBADMSG },
		{ "c=biws,r=" V_CNONCE V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,",
		  -EBADMSG },
	};
	char err[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		int rc = server_final_str(cases[i].m, err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": %d (%s), want %d", i, cases[i].m, rc, err,
				 cases[i].rc);
		assert_true(err[0] != '\0');
	}
	/* oversize */
	char big[FXR_SCRAM_MSG_MAX + 2];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "c=biws,r=", 9);
	assert_int_equal(server_final_str(big, err, sizeof(err)), -EMSGSIZE);
}

static int server_first_n(const char *m, size_t n, char *err, size_t errlen)
{
	struct fxr_scram_server s;
	fxr_scram_server_init(&s);
	int rc = fxr_scram_server_first(&s, m, n, err, errlen);
	assert_int_equal(s.state, rc == 0 ? FXR_SCRAM_ST_FIRST : FXR_SCRAM_ST_FAILED);
	return rc;
}

static int server_first_str(const char *m, char *err, size_t errlen)
{
	return server_first_n(m, strlen(m), err, errlen);
}

static void test_malformed_client_first(void **state)
{
	(void)state;
	static const struct {
		const char *m;
		int rc;
	} cases[] = {
		{ "n,,n=user,r=abc", 0 },
		{ "", -EBADMSG },
		{ "n", -EBADMSG },
		{ "n,,", -EBADMSG },
		{ "N,,n=user,r=abc", -EBADMSG },
		{ "n,n=user,r=abc", -EBADMSG },
		{ ",,n=user,r=abc", -EBADMSG },
		{ "y,,n=user,r=abc", -EOPNOTSUPP },
		{ "p=tls-unique,,n=user,r=abc", -EOPNOTSUPP },
		{ "n,a=admin,n=user,r=abc", -EOPNOTSUPP },
		{ "n,,m=ext,n=user,r=abc", -EOPNOTSUPP },
		{ "n,,n=user,r=abc,x=1", -EOPNOTSUPP },
		{ "n,,n=user,r=abc,m=1", -EOPNOTSUPP },
		{ "n,,n=user,r=abc,", -EBADMSG },
		{ "n,,n=user,r=abc,1=x", -EBADMSG },
		{ "n,,r=abc,n=user", -EBADMSG },
		{ "n,,n=user", -EBADMSG },
		{ "n,,n=user,", -EBADMSG },
		{ "n,,n=user,s=abc", -EBADMSG },
		{ "n,,n=user,r=", -EBADMSG },
		{ "n,,n=,r=abc", -EBADMSG },
		{ "n,,n=us er,r=abc", -EBADMSG },
		{ "n,,n=user=2C,r=abc", -EBADMSG },
		{ "n,,n=us\xc3\xa9r,r=abc", -EBADMSG },
		{ "n,,n=user,r=ab c", -EBADMSG },
		{ "n,,n=user,r=ab\x7f", -EBADMSG },
		{ "n,,n=user,r=ab\xff", -EBADMSG },
		{ "n,,n=user,r=ab\t", -EBADMSG },
		{ "n,,n=user,,r=abc", -EBADMSG },
		{ " n,,n=user,r=abc", -EBADMSG },
	};
	char err[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		int rc = server_first_str(cases[i].m, err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": %d (%s), want %d", i, cases[i].m, rc, err,
				 cases[i].rc);
		assert_true(rc == 0 || err[0] != '\0');
	}

	/* an embedded NUL, which a C-string parser would not see */
	static const char nul[] = "n,,n=user,r=ab\0cd";
	assert_int_equal(server_first_n(nul, sizeof(nul) - 1, err, sizeof(err)), -EBADMSG);

	/* limits: a 64-byte id and a FXR_SCRAM_NONCE_MAX nonce pass, one more fails */
	char m[FXR_SCRAM_MSG_MAX + 2];
	char id[66], nonce[FXR_SCRAM_NONCE_MAX + 2];
	memset(id, 'i', sizeof(id));
	memset(nonce, 'r', sizeof(nonce));
	snprintf(m, sizeof(m), "n,,n=%.64s,r=%.128s", id, nonce);
	assert_int_equal(server_first_str(m, err, sizeof(err)), 0);
	snprintf(m, sizeof(m), "n,,n=%.65s,r=%.128s", id, nonce);
	assert_int_equal(server_first_str(m, err, sizeof(err)), -EBADMSG);
	snprintf(m, sizeof(m), "n,,n=%.64s,r=%.129s", id, nonce);
	assert_int_equal(server_first_str(m, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "nonce"));
	/* oversize */
	memset(m, 'a', sizeof(m));
	memcpy(m, "n,,n=user,r=", 12);
	assert_int_equal(server_first_n(m, FXR_SCRAM_MSG_MAX + 1, err, sizeof(err)), -EMSGSIZE);
}

/* The client half against crafted server-first messages (after the vector's client-first). */
static int client_proof_str(const char *m, char *err, size_t errlen)
{
	struct fxr_scram_client c;
	char out[FXR_SCRAM_MSG_MAX + 1];
	fxr_scram_client_clear(&c);
	assert_int_equal(fxr_scram_client_start(&c, "user", V_CNONCE, strlen(V_CNONCE), out,
						sizeof(out), NULL, 0),
			 (int)strlen(V_C1));
	int rc = fxr_scram_client_proof(&c, m, strlen(m), "pencil", 6, out, sizeof(out), err,
					errlen);
	assert_int_equal(c.state, rc > 0 ? FXR_SCRAM_ST_CHALLENGED : FXR_SCRAM_ST_FAILED);
	return rc;
}

static void test_malformed_server_first(void **state)
{
	(void)state;
	static const struct {
		const char *m;
		int rc;
	} cases[] = {
		{ V_S1, (int)sizeof(V_C2) - 1 },
		{ "", -EBADMSG },
		{ "m=x,r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=4096", -EOPNOTSUPP },
		{ "s=" V_SALT ",r=" V_CNONCE V_SNONCE ",i=4096", -EBADMSG },
		/* nonce: ours only (no server part), not ours, a shortened prefix */
		{ "r=" V_CNONCE ",s=" V_SALT ",i=4096", -EACCES },
		{ "r=xOprNGfwEbeRWgbNEkqO" V_SNONCE ",s=" V_SALT ",i=4096", -EACCES },
		{ "r=rOprNGfwEbeRWgbNEkq,s=" V_SALT ",i=4096", -EACCES },
		{ "r=" V_CNONCE "a b,s=" V_SALT ",i=4096", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE, -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=,i=4096", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT, -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=0", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=04096", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=-4096", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=4096x", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=99999999999", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=4096,", -EBADMSG },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=4096,x=1", -EOPNOTSUPP },
		/* downgrade, and a stall */
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=4095", -EACCES },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=1", -EACCES },
		{ "r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=10000001", -EACCES },
	};
	char err[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		int rc = client_proof_str(cases[i].m, err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": %d (%s), want %d", i, cases[i].m, rc, err,
				 cases[i].rc);
	}
	client_proof_str("r=" V_CNONCE V_SNONCE ",s=" V_SALT ",i=4095", err, sizeof(err));
	assert_non_null(strstr(err, "4095 iterations refused"));
}

static void test_server_final_at_client(void **state)
{
	(void)state;
	static const struct {
		const char *m;
		int rc;
	} cases[] = {
		{ V_S2, 0 },
		{ "", -EBADMSG },
		{ "v=", -EBADMSG },
		{ "x=1", -EBADMSG },
		{ V_S2 ",x=1", -EBADMSG },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4", -EBADMSG },
		{ "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", -EACCES },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G8=", -EACCES },
		{ "e=invalid-proof", -EACCES },
	};
	char err[128], out[FXR_SCRAM_MSG_MAX + 1];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fxr_scram_client c;
		fxr_scram_client_clear(&c);
		assert_true(fxr_scram_client_start(&c, "user", V_CNONCE, strlen(V_CNONCE), out,
						   sizeof(out), NULL, 0) > 0);
		assert_true(fxr_scram_client_proof(&c, V_S1, strlen(V_S1), "pencil", 6, out,
						   sizeof(out), NULL, 0) > 0);
		err[0] = '\0';
		int rc = fxr_scram_client_verify(&c, cases[i].m, strlen(cases[i].m), err,
						 sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": %d (%s), want %d", i, cases[i].m, rc, err,
				 cases[i].rc);
		assert_int_equal(c.state, rc == 0 ? FXR_SCRAM_ST_DONE : FXR_SCRAM_ST_FAILED);
	}
}

static void test_fake_record(void **state)
{
	(void)state;
	struct fxr_scram_cred a, b, c, d;
	char err[128] = "";
	assert_int_equal(fxr_scram_cred_fake(&a, secret, sizeof(secret), "ghost", 5, 4096, err,
					     sizeof(err)),
			 0);
	assert_int_equal(fxr_scram_cred_fake(&b, secret, sizeof(secret), "ghost", 5, 4096, NULL,
					     0),
			 0);
	/* stable for the same id and secret */
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.salt_len, FXR_SCRAM_SALT_LEN);
	assert_int_equal(a.iterations, 4096);
	/* different for another id, or another secret */
	assert_int_equal(fxr_scram_cred_fake(&c, secret, sizeof(secret), "ghost2", 6, 4096, NULL,
					     0),
			 0);
	assert_memory_not_equal(a.salt, c.salt, FXR_SCRAM_SALT_LEN);
	assert_memory_not_equal(a.stored_key, c.stored_key, FXR_SCRAM_KEY_LEN);
	uint8_t other[32];
	memcpy(other, secret, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(fxr_scram_cred_fake(&d, other, sizeof(other), "ghost", 5, 8192, NULL, 0),
			 0);
	assert_memory_not_equal(a.salt, d.salt, FXR_SCRAM_SALT_LEN);
	assert_int_equal(d.iterations, 8192);
	/* bad arguments */
	assert_int_equal(fxr_scram_cred_fake(&d, secret, FXR_SCRAM_SECRET_MIN - 1, "ghost", 5,
					     4096, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(fxr_scram_cred_fake(&d, secret, sizeof(secret), "gh ost", 6, 4096, NULL,
					     0),
			 -EINVAL);
	assert_int_equal(fxr_scram_cred_fake(&d, secret, sizeof(secret), "ghost", 5, 100, NULL,
					     0),
			 -EINVAL);

	/* the challenge is shaped like a real one, the same on each attempt, and no password
	 * gets through */
	char m1[FXR_SCRAM_MSG_MAX + 1], m2[FXR_SCRAM_MSG_MAX + 1];
	struct fxr_scram_server s;
	fxr_scram_server_init(&s);
	assert_int_equal(fxr_scram_server_first(&s, "n,,n=ghost,r=abc", 16, NULL, 0), 0);
	int n = fxr_scram_server_challenge(&s, &a, false, "XYZ", 3, m1, sizeof(m1), NULL, 0);
	assert_true(n > 0);
	fxr_scram_server_init(&s);
	assert_int_equal(fxr_scram_server_first(&s, "n,,n=ghost,r=abc", 16, NULL, 0), 0);
	assert_int_equal(fxr_scram_server_challenge(&s, &b, false, "XYZ", 3, m2, sizeof(m2),
						    NULL, 0),
			 n);
	assert_string_equal(m1, m2);
	assert_int_equal(strlen(m1), strlen("r=abcXYZ,s=") + 24 + strlen(",i=4096"));
	int crc = 0;
	assert_int_equal(exchange(&a, false, "ghost", "anything", &crc), -EACCES);

	/* known = false refuses even the right password: the flag, not luck, decides */
	assert_int_equal(fxr_scram_cred_derive(&c, "right", 5, 4096, NULL, 0), 0);
	assert_true(exchange(&c, true, "dev", "right", &crc) > 0);
	assert_int_equal(exchange(&c, false, "dev", "right", &crc), -EACCES);
}

static void test_order_and_space(void **state)
{
	(void)state;
	struct fxr_scram_server s;
	struct fxr_scram_client c;
	struct fxr_scram_cred cred;
	char out[FXR_SCRAM_MSG_MAX + 1], err[128] = "";
	vector_cred(&cred);

	/* server: final before challenge, challenge before first, first twice */
	fxr_scram_server_init(&s);
	assert_int_equal(fxr_scram_server_final(&s, V_C2, strlen(V_C2), out, sizeof(out), err,
						sizeof(err)),
			 -EPROTO);
	fxr_scram_server_init(&s);
	assert_int_equal(fxr_scram_server_challenge(&s, &cred, true, NULL, 0, out, sizeof(out),
						    NULL, 0),
			 -EPROTO);
	fxr_scram_server_init(&s);
	assert_int_equal(fxr_scram_server_first(&s, V_C1, strlen(V_C1), NULL, 0), 0);
	assert_int_equal(fxr_scram_server_first(&s, V_C1, strlen(V_C1), NULL, 0), -EPROTO);

	/* -ENOSPC and -EINVAL leave the exchange where it was */
	fxr_scram_server_init(&s);
	assert_int_equal(fxr_scram_server_first(&s, V_C1, strlen(V_C1), NULL, 0), 0);
	assert_int_equal(fxr_scram_server_challenge(&s, &cred, true, V_SNONCE, strlen(V_SNONCE),
						    out, strlen(V_S1), err, sizeof(err)),
			 -ENOSPC);
	assert_int_equal(fxr_scram_server_challenge(&s, &cred, true, "a,b", 3, out, sizeof(out),
						    NULL, 0),
			 -EINVAL);
	struct fxr_scram_cred bad = cred;
	bad.iterations = 1;
	assert_int_equal(fxr_scram_server_challenge(&s, &bad, true, NULL, 0, out, sizeof(out),
						    NULL, 0),
			 -EINVAL);
	assert_int_equal(s.state, FXR_SCRAM_ST_FIRST);
	assert_int_equal(fxr_scram_server_challenge(&s, &cred, true, V_SNONCE, strlen(V_SNONCE),
						    out, strlen(V_S1) + 1, NULL, 0),
			 (int)strlen(V_S1));
	assert_int_equal(fxr_scram_server_final(&s, V_C2, strlen(V_C2), out, 10, NULL, 0),
			 -ENOSPC);
	assert_int_equal(fxr_scram_server_final(&s, V_C2, strlen(V_C2), out, sizeof(out), NULL,
						0),
			 (int)strlen(V_S2));
	assert_string_equal(out, V_S2);

	/* client: proof before start, verify before proof, bad arguments */
	fxr_scram_client_clear(&c);
	assert_int_equal(fxr_scram_client_proof(&c, V_S1, strlen(V_S1), "pencil", 6, out,
						sizeof(out), NULL, 0),
			 -EPROTO);
	fxr_scram_client_clear(&c);
	assert_int_equal(fxr_scram_client_verify(&c, V_S2, strlen(V_S2), NULL, 0), -EPROTO);
	assert_int_equal(fxr_scram_client_start(&c, "bad id", NULL, 0, out, sizeof(out), err,
						sizeof(err)),
			 -EINVAL);
	assert_int_equal(fxr_scram_client_start(&c, "user", "a,b", 3, out, sizeof(out), NULL, 0),
			 -EINVAL);
	assert_int_equal(fxr_scram_client_start(&c, "user", V_CNONCE, strlen(V_CNONCE), out,
						strlen(V_C1), NULL, 0),
			 -ENOSPC);
	assert_int_equal(fxr_scram_client_start(&c, "user", V_CNONCE, strlen(V_CNONCE), out,
						sizeof(out), NULL, 0),
			 (int)strlen(V_C1));
	assert_int_equal(fxr_scram_client_proof(&c, V_S1, strlen(V_S1), "", 0, out, sizeof(out),
						NULL, 0),
			 -EINVAL);
	assert_int_equal(fxr_scram_client_proof(&c, V_S1, strlen(V_S1), "pencil", 6, out, 20,
						NULL, 0),
			 -ENOSPC);
	assert_int_equal(fxr_scram_client_proof(&c, V_S1, strlen(V_S1), "pencil", 6, out,
						sizeof(out), NULL, 0),
			 (int)strlen(V_C2));
	assert_string_equal(out, V_C2);
	/* random nonces: two starts differ */
	char o2[FXR_SCRAM_MSG_MAX + 1];
	assert_int_equal(fxr_scram_client_start(&c, "user", NULL, 0, out, sizeof(out), NULL, 0),
			 12 + FXR_SCRAM_NONCE_GEN);
	assert_int_equal(fxr_scram_client_start(&c, "user", NULL, 0, o2, sizeof(o2), NULL, 0),
			 12 + FXR_SCRAM_NONCE_GEN);
	assert_string_not_equal(out, o2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_client),
		cmocka_unit_test(test_vector_client_keys),
		cmocka_unit_test(test_vector_server),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_tampered_client_final),
		cmocka_unit_test(test_malformed_client_final),
		cmocka_unit_test(test_malformed_client_first),
		cmocka_unit_test(test_malformed_server_first),
		cmocka_unit_test(test_server_final_at_client),
		cmocka_unit_test(test_fake_record),
		cmocka_unit_test(test_order_and_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
