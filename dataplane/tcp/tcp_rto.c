/* tcp_rto.c: RFC 6298 retransmission timeout estimator (see tcp_rto.h for the deviations). */
#include <errno.h>

#include "tcp_rto.h"

void fxr_tcp_rto_cfg_default(struct fxr_tcp_rto_cfg *cfg)
{
	cfg->initial_us = FXR_TCP_RTO_INITIAL_US;
	cfg->min_us = FXR_TCP_RTO_MIN_US;
	cfg->max_us = FXR_TCP_RTO_MAX_US;
	cfg->granularity_us = FXR_TCP_RTO_G_US;
}

int fxr_tcp_rto_cfg_check(const struct fxr_tcp_rto_cfg *cfg)
{
	if (cfg->min_us == 0 || cfg->min_us > cfg->initial_us || cfg->initial_us > cfg->max_us)
		return -EINVAL;
	if (cfg->granularity_us == 0 || cfg->max_us >= (1u << 29))
		return -EINVAL;
	return 0;
}

void fxr_tcp_rto_init(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg)
{
	*r = (struct fxr_tcp_rto){ .rto_us = cfg->initial_us };
}

/* RFC 6298 §2.2-§2.4 on SRTT/RTTVAR in 1/8 µs: RTO = SRTT + max(G, 4 * RTTVAR), clamped. */
static uint32_t rto_compute(const struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg)
{
	uint64_t var4 = (uint64_t)r->rttvar8 * 4;
	uint64_t g8 = (uint64_t)cfg->granularity_us * 8;
	uint64_t rto8 = (uint64_t)r->srtt8 + (var4 > g8 ? var4 : g8);
	/* round up: a timer that fires a fraction of a µs early is a spurious retransmission */
	uint64_t rto = (rto8 + 7) >> 3;

	if (rto < cfg->min_us)
		rto = cfg->min_us;
	if (rto > cfg->max_us)
		rto = cfg->max_us;
	return (uint32_t)rto;
}

bool fxr_tcp_rto_on_rtt(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg,
			uint32_t rtt_us, unsigned int src)
{
	if ((src & FXR_TCP_RTT_RETRANSMITTED) && !(src & FXR_TCP_RTT_TIMESTAMP))
		return false; /* Karn: ambiguous, and the back-off stays in force */

	if (rtt_us > cfg->max_us)
		rtt_us = cfg->max_us;
	uint32_t m8 = rtt_us * 8; /* < 2^32: max_us < 2^29 */

	if (!r->have_sample) {
		/* §2.2: SRTT <- R, RTTVAR <- R/2 */
		r->srtt8 = m8;
		r->rttvar8 = m8 / 2;
		r->have_sample = 1;
	} else {
		/* §2.3, in this order (RTTVAR uses the SRTT before its update):
		 * RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|;  SRTT <- 7/8 SRTT + 1/8 R' */
		uint32_t err = r->srtt8 > m8 ? r->srtt8 - m8 : m8 - r->srtt8;
		r->rttvar8 = (uint32_t)(((uint64_t)r->rttvar8 * 3 + err) / 4);
		r->srtt8 = (uint32_t)(((uint64_t)r->srtt8 * 7 + m8) / 8);
	}
	r->rto_us = rto_compute(r, cfg);
	r->backoff = 0;
	return true;
}

uint32_t fxr_tcp_rto_on_expiry(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg)
{
	/* Stop counting once the value has saturated; the shift stays well inside 64 bits. */
	if (r->backoff < FXR_TCP_RTO_MAX_BACKOFF && fxr_tcp_rto_current(r, cfg) < cfg->max_us)
		r->backoff++;
	return fxr_tcp_rto_current(r, cfg);
}

void fxr_tcp_rto_syn_lost(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg)
{
	if (r->have_sample)
		return;
	r->rto_us = FXR_TCP_RTO_SYN_LOST_US > cfg->max_us ? cfg->max_us : FXR_TCP_RTO_SYN_LOST_US;
	if (r->rto_us < cfg->min_us)
		r->rto_us = cfg->min_us;
	r->backoff = 0;
}
