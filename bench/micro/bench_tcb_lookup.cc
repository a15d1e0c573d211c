// The TCB table (dataplane/tcp/tcp_table.c): one fxr_tcb_lookup() of a segment's key, hit
// (the key is in the table) and miss (same addresses and ports, another local port), in a
// table holding the argument's number of TCBs, keys visited in a scrambled order.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "dp_bench.h"
#include "dp_fixture.h"

namespace {

constexpr unsigned kBatch = 1024;

void tcb_lookup(benchmark::State &state, bool hit)
{
	bench_tcb_table *tt = bench_tcb_table_open(static_cast<uint32_t>(state.range(0)));
	DpCycles cycles;
	uint64_t found = 0;

	if (tt == nullptr) {
		state.SkipWithError(bench_dp_error());
		return;
	}
	while (state.KeepRunningBatch(kBatch)) {
		uint64_t c = 0;

		found += bench_tcb_lookup_run(tt, kBatch, hit, &c);
		cycles.add(c, kBatch);
	}
	if (found != (hit ? static_cast<uint64_t>(state.iterations()) : 0))
		state.SkipWithError(hit ? "a present key was not found" : "an absent key was found");
	dp_report_cycles(state, cycles);
	if (bench_tcb_table_close(tt) != 0)
		state.SkipWithError(bench_dp_error());
}

void BM_TcbLookupHit(benchmark::State &state) { tcb_lookup(state, true); }
void BM_TcbLookupMiss(benchmark::State &state) { tcb_lookup(state, false); }
BENCHMARK(BM_TcbLookupHit)->ArgName("tcbs")->Arg(1000)->Arg(100000);
BENCHMARK(BM_TcbLookupMiss)->ArgName("tcbs")->Arg(1000)->Arg(100000);

} // namespace
