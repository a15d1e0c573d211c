// bench/micro/dp_bench.h: how the dataplane microbenchmarks report, per operation: Google
// Benchmark's own time columns (batches counted as their operations; the frames a batch
// needs are built with timing paused), and the TSC cycles the fixture measured around the
// work alone: "cycles", the mean over all batches, and "cycles_best", the cheapest batch.
// The TSC runs while the thread is preempted, so on a shared machine "cycles" carries the
// preemptions that the CPU time column leaves out; "cycles_best" shows the work undisturbed
// (and warm), a lower bound.
#ifndef FXR_BENCH_DP_BENCH_H
#define FXR_BENCH_DP_BENCH_H

#include <benchmark/benchmark.h>

#include <cstdint>
#include <limits>

#include "dp_fixture.h"

// The ports the benchmarks transmit to, by their argument "nic": 0 is what runs on this
// machine (net_af_xdp on a veth: single-segment frames, so payload is copied into them, and
// no checksum offload), 1 a PCI NIC (8 mbufs chained in a frame, as i40e takes, so payload
// goes by reference; TCP checksums computed and checked by the NIC).
inline bench_port dp_port(int64_t nic)
{
	return nic != 0 ? bench_port{8, true} : bench_port{1, false};
}

// TSC cycles of the batches of one benchmark run.
struct DpCycles {
	uint64_t total = 0;
	double best = std::numeric_limits<double>::infinity(); // per operation

	void add(uint64_t cycles, unsigned ops)
	{
		total += cycles;
		if (static_cast<double>(cycles) / ops < best)
			best = static_cast<double>(cycles) / ops;
	}
};

inline void dp_report_cycles(benchmark::State &state, const DpCycles &c)
{
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	state.counters["cycles"] =
		benchmark::Counter(static_cast<double>(c.total), benchmark::Counter::kAvgIterations);
	if (state.iterations() != 0)
		state.counters["cycles_best"] = c.best;
}

#endif
