// One relayed segment through the splice (dataplane/relay.c): device A's segment carrying
// one whole DATA frame of the argument's size arrives on A's paired connection
// (fxr_tcp_input()), the relay scans it and queues it on B's connection by mbuf reference,
// B transmits it at the burst's fxr_tcp_flush() (A's ACKs go out too), and B's device
// acknowledges every two full segments. Per segment: "cycles" is all of it, "rx_cycles"
// the part before B's ACKs, "copied" the bytes the relay copied (relay_copied_bytes; the
// stack's copy into single-segment frames is not in it).
// Arguments: DATA frame (= segment) bytes; "nic" (dp_bench.h): the port A's segments come
// from and B's leave to; "inflight": segments per batch (B's ACKs come after the batch).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "dp_bench.h"
#include "dp_fixture.h"

namespace {

void BM_SpliceSegment(benchmark::State &state)
{
	const auto seg_bytes = static_cast<uint32_t>(state.range(0));
	const bool nic = state.range(1) != 0;
	const auto batch = static_cast<unsigned>(state.range(2));
	bench_splice *sp = bench_splice_open(dp_port(state.range(1)));
	DpCycles cycles;
	uint64_t rx_cycles = 0, relayed0 = 0, copied0 = 0, relayed = 0, copied = 0;
	bool baseline = false;

	if (sp == nullptr) {
		state.SkipWithError(bench_dp_error());
		return;
	}
	while (state.KeepRunningBatch(batch)) {
		uint64_t c = 0, rx = 0;

		state.PauseTiming();
		int rc = bench_splice_prep(sp, batch, seg_bytes, nic);
		if (!baseline && rc == 0) { // after the slow-start rounds
			bench_splice_bytes(sp, &relayed0, &copied0);
			baseline = true;
		}
		state.ResumeTiming();
		if (rc != 0 || bench_splice_run(sp, &c, &rx) != 0) {
			state.SkipWithError(bench_dp_error());
			break;
		}
		cycles.add(c, batch);
		rx_cycles += rx;
	}
	bench_splice_bytes(sp, &relayed, &copied);
	dp_report_cycles(state, cycles);
	state.counters["rx_cycles"] =
		benchmark::Counter(static_cast<double>(rx_cycles), benchmark::Counter::kAvgIterations);
	state.counters["copied"] = benchmark::Counter(static_cast<double>(copied - copied0),
		benchmark::Counter::kAvgIterations);
	state.SetBytesProcessed(static_cast<int64_t>(relayed - relayed0));
	if (bench_splice_close(sp) != 0)
		state.SkipWithError(bench_dp_error());
}
BENCHMARK(BM_SpliceSegment)
	->ArgNames({"seg_bytes", "nic", "inflight"})
	->Args({64, 0, 128})
	->Args({1448, 0, 128})
	->Args({64, 1, 128})
	->Args({1448, 1, 32})
	->Args({1448, 1, 128});

} // namespace
