// The control plane's session machine: a login, and a whole relayed call's control work
// (CONNECT -> INCOMING -> ACCEPT -> CONNECTED -> END relayed -> RELEASE x2), with actions
// going to a sink that only counts them (no channel, no I/O).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

extern "C" {
#include "fxr/code.h"
#include "fxr/frame.h"
#include "session.h"
}

namespace {

uint64_t g_actions;

void sink(void *, const fxr_sess_act *) { g_actions++; }

int known_all(void *, const uint8_t *, uint8_t) { return 1; }

struct Sess {
	fxr_sess s{};
	explicit Sess(uint32_t max_conns)
	{
		fxr_sess_cfg cfg;
		fxr_sess_policy pol{};
		pol.known = known_all;
		fxr_sess_cfg_defaults(&cfg, max_conns);
		if (fxr_sess_init(&s, &cfg, &pol, sink, nullptr) != 0)
			abort();
	}
	~Sess() { fxr_sess_fini(&s); }
	void login(uint64_t conn, const char *id)
	{
		if (fxr_sess_conn_new(&s, conn, 0) || fxr_sess_auth_begin(&s, conn) ||
		    fxr_sess_login(&s, conn, reinterpret_cast<const uint8_t *>(id),
				   static_cast<uint8_t>(strlen(id)), 0))
			abort();
	}
};

void BM_SessionLogin(benchmark::State &state)
{
	const uint32_t n = 100000;
	char id[32];
	for (auto _ : state) {
		state.PauseTiming();
		Sess *s = new Sess(n);
		state.ResumeTiming();
		for (uint32_t i = 1; i <= n; i++) {
			snprintf(id, sizeof(id), "dev-%u", i);
			s->login(i, id);
		}
		state.PauseTiming();
		delete s;
		state.ResumeTiming();
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_SessionLogin)->Unit(benchmark::kMillisecond);

void BM_SessionCallCycle(benchmark::State &state)
{
	Sess s(1024);
	s.login(1, "fax-a");
	s.login(2, "fax-b");
	const uint8_t dest[] = "fax-b";
	fxr_msg connect{}, accept{}, release{};
	connect.type = FXR_T_CONNECT;
	connect.u.call.id = 1;
	connect.u.call.dev = dest;
	connect.u.call.dev_len = 5;
	accept.type = FXR_T_ACCEPT;
	release.type = FXR_T_RELEASE;
	uint32_t call_id = 1;
	g_actions = 0;
	for (auto _ : state) {
		accept.u.ref.id = call_id++;
		if (fxr_sess_frame(&s.s, 1, &connect, 0) || fxr_sess_frame(&s.s, 2, &accept, 0) ||
		    fxr_sess_end_relayed(&s.s, 1) || fxr_sess_frame(&s.s, 1, &release, 0) ||
		    fxr_sess_frame(&s.s, 2, &release, 0))
			state.SkipWithError("call cycle failed");
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	state.counters["actions/call"] = benchmark::Counter(
		static_cast<double>(g_actions) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_SessionCallCycle);

} // namespace
