/* Fuzz target: both halves of SCRAM-SHA-256 (engine/scram) on hostile input. The first byte
 * picks the side and where the input splits into two messages.
 *  server side: client-first, then (if accepted) a challenge and client-final;
 *  client side: server-first (after our own client-first), then server-final.
 * Properties: no crash or sanitizer report, and the final step never succeeds: that would
 * mean input the fuzzer made up passed as a valid proof (server) or signature (client). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fxr/scram.h"

static struct fxr_scram_cred cred;

/* The iteration count a server-first asks for: the client honours up to FXR_SCRAM_ITER_MAX
 * (10 M), which is seconds of PBKDF2 per input, so the harness skips counts over 5000 (the
 * parser before it still runs on them through the other inputs). */
static unsigned long iterations_asked(const char *m, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (m[i] == 'i' && m[i + 1] == '=' && (i == 0 || m[i - 1] == ',')) {
			unsigned long v = 0;
			for (size_t k = i + 2; k < n && m[k] >= '0' && m[k] <= '9' && v < 100000; k++)
				v = v * 10 + (unsigned long)(m[k] - '0');
			return v;
		}
	}
	return 0;
}
static int have_cred;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[4096], err[256];
	if (size < 1)
		return 0;
	if (!have_cred) {
		static const uint8_t salt[16] = "fxr-fuzz-salt-16";
		if (fxr_scram_cred_derive_salt(&cred, "pencil", 6, salt, sizeof(salt), 4096, err,
					       sizeof(err)) != 0)
			abort();
		have_cred = 1;
	}
	int client = data[0] & 1;
	size_t split = size > 1 ? (data[0] >> 1) % size : 0;
	const char *m1 = (const char *)data + 1;
	size_t n1 = split > 0 ? split - 1 : 0;
	if (n1 > size - 1)
		n1 = size - 1;
	const char *m2 = m1 + n1;
	size_t n2 = size - 1 - n1;

	if (!client) {
		struct fxr_scram_server s;
		fxr_scram_server_init(&s);
		if (fxr_scram_server_first(&s, m1, n1, err, sizeof(err)) == 0 &&
		    fxr_scram_server_challenge(&s, &cred, true, "fuzznonce", 9, out, sizeof(out),
					       err, sizeof(err)) > 0 &&
		    fxr_scram_server_final(&s, m2, n2, out, sizeof(out), err, sizeof(err)) >= 0)
			abort(); /* a made-up proof passed */
		fxr_scram_server_clear(&s);
	} else {
		struct fxr_scram_client c;
		if (iterations_asked(m1, n1) > 5000)
			return 0;
		if (fxr_scram_client_start(&c, "fax-a", "cnonce", 6, out, sizeof(out), err,
					   sizeof(err)) < 0)
			abort();
		if (fxr_scram_client_proof(&c, m1, n1, "pencil", 6, out, sizeof(out), err,
					   sizeof(err)) > 0 &&
		    fxr_scram_client_verify(&c, m2, n2, err, sizeof(err)) == 0)
			abort(); /* a made-up server signature passed */
		fxr_scram_client_clear(&c);
	}
	return 0;
}
