// SCRAM-SHA-256 (engine/scram): what a relay core spends on one login. The server's whole
// part (parse client-first, challenge, verify the proof) with a real client's messages, at
// the default 4096 iterations. The client's PBKDF2 is outside the timed region: it is the
// device's cost, not the relay's.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>

extern "C" {
#include "fxr/scram.h"
}

namespace {

void BM_ScramServerVerify(benchmark::State &state)
{
	char err[256], cfirst[512], sfirst[512], cfinal[512], sfinal[512];
	fxr_scram_cred cred;
	if (fxr_scram_cred_derive(&cred, "pencil", 6, 4096, err, sizeof(err))) {
		state.SkipWithError(err);
		return;
	}
	for (auto _ : state) {
		state.PauseTiming();
		fxr_scram_client c;
		int n1 = fxr_scram_client_start(&c, "fax-a", nullptr, 0, cfirst, sizeof(cfirst), err,
						sizeof(err));
		state.ResumeTiming();
		fxr_scram_server s;
		fxr_scram_server_init(&s);
		int ok = n1 > 0 && fxr_scram_server_first(&s, cfirst, (size_t)n1, err, sizeof(err)) == 0;
		int n2 = ok ? fxr_scram_server_challenge(&s, &cred, true, nullptr, 0, sfirst,
							 sizeof(sfirst), err, sizeof(err))
			    : -1;
		state.PauseTiming();
		int n3 = n2 > 0 ? fxr_scram_client_proof(&c, sfirst, (size_t)n2, "pencil", 6, cfinal,
							 sizeof(cfinal), err, sizeof(err))
				: -1;
		state.ResumeTiming();
		int n4 = n3 > 0 ? fxr_scram_server_final(&s, cfinal, (size_t)n3, sfinal,
							 sizeof(sfinal), err, sizeof(err))
				: -1;
		if (n4 <= 0) {
			state.SkipWithError("login failed");
			break;
		}
		fxr_scram_server_clear(&s);
		fxr_scram_client_clear(&c);
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ScramServerVerify);

} // namespace
