// The plane channel (engine/chan): one CONN_NEW message encoded into a slot by the dataplane
// side and received by the control-plane side, both ends in this process on one lane.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <unistd.h>

extern "C" {
#include "fxr/chan.h"
#include "fxr/chan_shm.h"
#include "fxr/connid.h"
}

namespace {

void BM_ChanSendRecv(benchmark::State &state)
{
	char name[64], err[256];
	snprintf(name, sizeof(name), "bench-%d", static_cast<int>(getpid()));
	fxr_chan_cfg cfg;
	fxr_chan_cfg_default(&cfg, 1);
	fxr_chan *dp = nullptr, *cp = nullptr;
	if (fxr_chan_create(name, &cfg, &dp, err, sizeof(err)) ||
	    fxr_chan_attach(name, &cp, err, sizeof(err))) {
		state.SkipWithError(err);
		fxr_chan_close(dp);
		return;
	}
	static uint8_t buf[1 << 17];
	fxr_chan_msg m{};
	m.type = FXR_CHAN_T_CONN_NEW;
	m.lcore = 0;
	m.u.conn_new.family = 4;
	m.u.conn_new.remote_port = 5555;
	m.u.conn_new.local_port = 4747;
	uint32_t slot = 0;
	for (auto _ : state) {
		m.connid = fxr_connid_make(0, ++slot & 0xffffff, 1);
		if (fxr_chan_send_msg(dp, 0, &m) != 0 || fxr_chan_recv(cp, 0, buf, sizeof(buf)) <= 0) {
			state.SkipWithError("channel send/recv failed");
			break;
		}
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	fxr_chan_close(cp);
	fxr_chan_close(dp);
}
BENCHMARK(BM_ChanSendRecv);

} // namespace
