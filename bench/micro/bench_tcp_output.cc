// The TCP stack's output path, per full-size segment: fxr_tcp_send() of one MSS of payload
// on an ESTABLISHED connection, fxr_tcp_flush() once per 32 (the segments are built and go
// to the sink), and the peer's
// ACK for every two segments through fxr_tcp_input(), which frees the send queue. cwnd is
// grown past a batch first, so the window never holds a segment back; the ACKs come after
// the whole batch, so "inflight" segments are outstanding when the last is sent.
// Argument "nic" (dp_bench.h): 0, payload copied into single-segment frames and checksums
// computed by the stack (net_af_xdp); 1, payload chained by reference and checksums
// offloaded (a PCI NIC). "inflight": segments per batch.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "dp_bench.h"
#include "dp_fixture.h"

namespace {

void BM_TcpOutputSegment(benchmark::State &state)
{
	const auto batch = static_cast<unsigned>(state.range(1));
	bench_tcp *t = bench_tcp_open(dp_port(state.range(0)));
	DpCycles cycles;

	if (t == nullptr) {
		state.SkipWithError(bench_dp_error());
		return;
	}
	while (state.KeepRunningBatch(batch)) {
		uint64_t c = 0;

		state.PauseTiming();
		int rc = bench_tcp_output_prep(t, batch);
		state.ResumeTiming();
		if (rc != 0 || bench_tcp_output_run(t, &c) != 0) {
			state.SkipWithError(bench_dp_error());
			break;
		}
		cycles.add(c, batch);
	}
	dp_report_cycles(state, cycles);
	state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bench_tcp_seg_max(t)));
	if (bench_tcp_close(t) != 0)
		state.SkipWithError(bench_dp_error());
}
BENCHMARK(BM_TcpOutputSegment)
	->ArgNames({"nic", "inflight"})
	->Args({0, 128})
	->Args({1, 32})
	->Args({1, 128})
	->Args({1, 512});

} // namespace
