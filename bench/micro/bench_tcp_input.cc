// The TCP stack's input path, per segment: an ESTABLISHED connection receiving in-order
// data segments with a timestamp option, as a Linux sender sends them, through
// fxr_tcp_input() (IPv4 already validated), fxr_tcp_flush() once per 32-segment burst (one
// ACK per two segments goes to the sink), the application taking each segment at once.
// Arguments: payload bytes; "nic" (dp_bench.h): whether the NIC checked the TCP checksum
// (else the stack does).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "dp_bench.h"
#include "dp_fixture.h"

namespace {

constexpr unsigned kBatch = 256;

void BM_TcpInputSegment(benchmark::State &state)
{
	const auto payload = static_cast<uint32_t>(state.range(0));
	const bool nic = state.range(1) != 0;
	bench_tcp *t = bench_tcp_open(dp_port(state.range(1)));
	DpCycles cycles;

	if (t == nullptr) {
		state.SkipWithError(bench_dp_error());
		return;
	}
	while (state.KeepRunningBatch(kBatch)) {
		uint64_t c = 0;

		state.PauseTiming();
		int rc = bench_tcp_input_prep(t, kBatch, payload, nic);
		state.ResumeTiming();
		if (rc != 0 || bench_tcp_input_run(t, &c) != 0) {
			state.SkipWithError(bench_dp_error());
			break;
		}
		cycles.add(c, kBatch);
	}
	dp_report_cycles(state, cycles);
	state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload));
	if (bench_tcp_close(t) != 0)
		state.SkipWithError(bench_dp_error());
}
BENCHMARK(BM_TcpInputSegment)
	->ArgNames({"payload", "nic"})
	->Args({64, 0})
	->Args({1448, 0})
	->Args({64, 1})
	->Args({1448, 1});

} // namespace
