// The FXR/1 scanner over a realistic mix, fed in 1460-byte TCP segments.
//
// The mix is what a paired fax session and its idle neighbours put on the wire: many small
// T.38 IFP packets in DATA frames (20..300 bytes), some bulk DATA (1400 bytes, image data over
// a faster modem or a file transfer), keepalives, and the occasional control frame. Reported:
// ns per frame (items) and bytes per second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

extern "C" {
#include "fxr/frame.h"
#include "fxr/scan.h"
}

namespace {

std::vector<uint8_t> make_mix(size_t frames, size_t *count)
{
	std::mt19937 rng(4747);
	std::vector<uint8_t> out;
	std::vector<uint8_t> buf(FXR_FRAME_MAX_LEN);
	static const uint8_t payload[1400] = {0};
	static const uint8_t dev[] = "fax-b";
	*count = 0;
	for (size_t i = 0; i < frames; i++) {
		fxr_msg m{};
		unsigned pick = rng() % 100;
		if (pick < 70) {
			m.type = FXR_T_DATA;
			m.u.opaque = {payload, static_cast<uint16_t>(20 + rng() % 281)};
		} else if (pick < 85) {
			m.type = FXR_T_DATA;
			m.u.opaque = {payload, 1400};
		} else if (pick < 95) {
			m.type = FXR_T_KEEPALIVE;
			m.u.opaque = {payload, 8};
		} else {
			m.type = FXR_T_CONNECT;
			m.u.call.id = static_cast<uint32_t>(i);
			m.u.call.dev = dev;
			m.u.call.dev_len = 5;
		}
		int n = fxr_frame_encode(&m, buf.data(), buf.size());
		if (n <= 0)
			abort();
		out.insert(out.end(), buf.begin(), buf.begin() + n);
		(*count)++;
	}
	return out;
}

void BM_ScanMix(benchmark::State &state)
{
	size_t frames = 0;
	const std::vector<uint8_t> stream = make_mix(4096, &frames);
	const size_t seg = static_cast<size_t>(state.range(0));
	for (auto _ : state) {
		fxr_scanner sc;
		fxr_scan_result r;
		fxr_scan_init(&sc);
		size_t ends = 0;
		for (size_t off = 0; off < stream.size(); off += seg) {
			const uint8_t *p = stream.data() + off;
			size_t n = std::min(seg, stream.size() - off);
			for (;;) {
				size_t used = fxr_scan_step(&sc, p, n, &r);
				ends += r.ev == FXR_SCAN_FRAME_END;
				p += used;
				n -= used;
				if (r.ev == FXR_SCAN_NEED_MORE || r.ev == FXR_SCAN_ERROR)
					break;
			}
		}
		if (ends != frames)
			state.SkipWithError("scanner lost frames");
		benchmark::DoNotOptimize(ends);
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames));
	state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_ScanMix)->Arg(1460)->Arg(9000);

void BM_DecodeConnect(benchmark::State &state)
{
	static const uint8_t wire[] = {0x20, 0, 0, 10, 0, 0, 0, 1, 5, 'f', 'a', 'x', '-', 'b'};
	for (auto _ : state) {
		fxr_msg m;
		benchmark::DoNotOptimize(fxr_frame_decode(wire, sizeof(wire), &m, nullptr));
		benchmark::DoNotOptimize(m);
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeConnect);

} // namespace
