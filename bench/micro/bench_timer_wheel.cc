// The TCP timer wheel (dataplane/tcp/tcp_timer_wheel): arming and re-arming a connection's
// timer (what every sent segment does to the retransmit timer), and expiry of many timers.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

extern "C" {
#include "tcp_timer_wheel.h"
}

namespace {

constexpr uint32_t kSlots = 4096;

void count_expiry(fxr_tw_timer *, void *ctx) { ++*static_cast<uint64_t *>(ctx); }

void BM_TimerRestart(benchmark::State &state)
{
	std::vector<fxr_tw_link> slots(kSlots);
	fxr_tw w;
	fxr_tw_init(&w, slots.data(), kSlots, 1000, 0);
	std::vector<fxr_tw_timer> timers(static_cast<size_t>(state.range(0)));
	for (auto &t : timers) {
		fxr_tw_timer_init(&t);
		fxr_tw_start(&w, &t, 200);
	}
	size_t i = 0;
	for (auto _ : state) {
		// restart pushes an armed timer further out: the common case on every ACK
		fxr_tw_restart(&w, &timers[i], 200 + (i & 63));
		if (++i == timers.size())
			i = 0;
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TimerRestart)->Arg(1000)->Arg(100000);

void BM_TimerExpire(benchmark::State &state)
{
	const size_t n = static_cast<size_t>(state.range(0));
	std::vector<fxr_tw_link> slots(kSlots);
	std::vector<fxr_tw_timer> timers(n);
	uint64_t fired = 0, now = 0;
	fxr_tw w;
	fxr_tw_init(&w, slots.data(), kSlots, 1000, 0);
	for (auto _ : state) {
		state.PauseTiming();
		for (size_t i = 0; i < n; i++) {
			fxr_tw_timer_init(&timers[i]);
			fxr_tw_start(&w, &timers[i], 1 + i % 1000);
		}
		state.ResumeTiming();
		now += 1000;
		fxr_tw_advance(&w, now, count_expiry, &fired);
	}
	if (fired != n * state.iterations())
		state.SkipWithError("timers lost");
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_TimerExpire)->Arg(100000);

} // namespace
