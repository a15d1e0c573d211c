/* dataplane/counters-t.h: the per-lcore counter set generated from counters.def. */
#ifndef FXR_DP_COUNTERS_T_H
#define FXR_DP_COUNTERS_T_H

#include <stdint.h>

enum fxr_ctr {
#define FXR_CTR(sym, help) FXR_CTR_##sym,
#include "counters.def"
#undef FXR_CTR
	FXR_CTR__COUNT
};

/* One lcore's counters. Only the owning lcore writes; see struct fxr_lcore for how they are
 * published to readers on other threads. */
struct fxr_counters {
	uint64_t v[FXR_CTR__COUNT];
};

#endif
