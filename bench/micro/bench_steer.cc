// The flow-to-lcore mapping (dataplane/steer.c): the software Toeplitz hash and table lookup
// that an lcore does for every TCP segment when the port does not hash for us (net_tap, and
// net_af_xdp would), over a batch of distinct flows. Checks that every lcore owns some.
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <cstdint>

extern "C" {
#include "steer.h"
}

namespace {

constexpr unsigned kFlows = 4096;

void BM_SteerOwner(benchmark::State &state)
{
	struct fxr_steer s;
	uint64_t owned[8] = { 0 };
	const uint16_t lcores = static_cast<uint16_t>(state.range(0));
	const uint32_t relay = inet_addr("10.210.0.2"), gw = inet_addr("10.210.11.2");

	fxr_steer_init(&s, lcores, 0, false);
	while (state.KeepRunningBatch(kFlows)) {
		for (unsigned i = 0; i < kFlows; i++)
			owned[fxr_steer_owner(&s, gw, relay, htons(static_cast<uint16_t>(32768 + i)),
				htons(4747))]++;
	}
	for (uint16_t l = 0; l < lcores; l++)
		if (owned[l] == 0)
			state.SkipWithError("an lcore owns no flow");
	benchmark::DoNotOptimize(owned);
}
BENCHMARK(BM_SteerOwner)->ArgName("lcores")->Arg(2)->Arg(8);

} // namespace
