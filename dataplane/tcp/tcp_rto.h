/* tcp_rto.h: retransmission timeout estimator, RFC 6298, with Karn's rule (RFC 6298 §3)
 * and the timestamp exception of RFC 7323 §4.
 *
 * Units: integer microseconds everywhere in the API. SRTT and RTTVAR are kept internally in
 * 1/8 µs so the 1/8 and 1/4 gains of RFC 6298 §2.3 lose no precision on µs samples.
 *
 * Deviations from RFC 6298, each configurable:
 *   - minimum RTO: the RFC (§2.4) says 1 s; we default to 200 ms as Linux does
 *     (TCP_RTO_MIN), because a relay's peers are on short paths and 1 s would stall a
 *     fax stream for a whole second on every tail loss.
 *   - maximum RTO: 60 s (the RFC's floor for an upper bound, §2.5); Linux uses 120 s.
 *   - clock granularity G (§2.3 "max(G, K*RTTVAR)"): the timer wheel's tick, default 1 ms.
 *
 * One struct per connection, touched only by the lcore that owns the connection. */
#ifndef FXR_TCP_RTO_H
#define FXR_TCP_RTO_H

#include <stdbool.h>
#include <stdint.h>

#define FXR_TCP_RTO_INITIAL_US  1000000u  /* RFC 6298 §2.1: 1 s */
#define FXR_TCP_RTO_SYN_LOST_US 3000000u  /* RFC 6298 §5.7: 3 s after a lost SYN */
#define FXR_TCP_RTO_MIN_US      200000u   /* Linux's 200 ms, not the RFC's 1 s (above) */
#define FXR_TCP_RTO_MAX_US      60000000u /* RFC 6298 §2.5: at least 60 s */
#define FXR_TCP_RTO_G_US        1000u     /* clock granularity: one 1 ms timer tick */
#define FXR_TCP_RTO_MAX_BACKOFF 16u       /* doublings counted; the value saturates at max */

/* Estimator settings, shared read-only by all connections of a stack. */
struct fxr_tcp_rto_cfg {
	uint32_t initial_us;     /* RTO before the first sample (RFC 6298 §2.1) */
	uint32_t min_us;         /* lower clamp (RFC 6298 §2.4) */
	uint32_t max_us;         /* upper clamp (RFC 6298 §2.5), also caps a sample */
	uint32_t granularity_us; /* G of RFC 6298 §2.3 */
};

/* Per-connection estimator state (16 bytes). */
struct fxr_tcp_rto {
	uint32_t srtt8;    /* SRTT in 1/8 µs; 0 until the first sample */
	uint32_t rttvar8;  /* RTTVAR in 1/8 µs */
	uint32_t rto_us;   /* RTO from the estimator, clamped, before back-off */
	uint8_t backoff;   /* RFC 6298 §5.5 doublings since the last valid sample */
	uint8_t have_sample;
	uint16_t pad;
};

/* How an RTT sample was obtained (bit flags for fxr_tcp_rto_on_rtt()). */
enum fxr_tcp_rtt_src {
	/* The acknowledged segment had been retransmitted: its ACK is ambiguous. */
	FXR_TCP_RTT_RETRANSMITTED = 1u << 0,
	/* The sample comes from a TSecr echo (RFC 7323 §4.1), which names the very
	 * transmission it answers, so Karn's ambiguity does not apply. */
	FXR_TCP_RTT_TIMESTAMP = 1u << 1,
};

/* Fills cfg with the defaults above. */
void fxr_tcp_rto_cfg_default(struct fxr_tcp_rto_cfg *cfg);

/* Checks a configuration: 0 < min <= initial <= max, granularity > 0, max below 2^29 µs
 * (so SRTT in 1/8 µs fits 32 bits). Returns 0 or -EINVAL. */
int fxr_tcp_rto_cfg_check(const struct fxr_tcp_rto_cfg *cfg);

/* RFC 6298 §2.1: a new connection's estimator, RTO = cfg->initial_us, no sample yet.
 * cfg must have passed fxr_tcp_rto_cfg_check(). */
void fxr_tcp_rto_init(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg);

/* Offers one RTT measurement of rtt_us µs (from an ACK that advanced SND.UNA), src a mask of
 * enum fxr_tcp_rtt_src.
 * Karn's rule (RFC 6298 §3; RFC 9293 §3.8.1): a sample from a retransmitted segment is
 * refused unless it comes from a timestamp echo (RFC 7323 §4). A taken sample updates
 * SRTT/RTTVAR (RFC 6298 §2.2 for the first, §2.3 after), recomputes RTO, and clears the
 * back-off (RFC 6298 §5, note after rule 5.7: a new measurement may "collapse" the
 * backed-off RTO; until one is taken the backed-off value stays, Karn's second half).
 * A sample above cfg->max_us is counted as cfg->max_us; a 0 µs sample is valid.
 * Returns true when the sample was taken, false when Karn's rule refused it. */
bool fxr_tcp_rto_on_rtt(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg,
			uint32_t rtt_us, unsigned int src);

/* RFC 6298 §5.5: the retransmission timer expired; doubles the timeout ("back off the
 * timer"), saturating at cfg->max_us. Returns the new timeout in µs, to arm the timer with
 * after the retransmission (§5.6). */
uint32_t fxr_tcp_rto_on_expiry(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg);

/* RFC 6298 §5.7: the SYN (or SYN-ACK) was retransmitted on timeout and no RTT sample was
 * taken during the handshake: RTO restarts at 3 s (bounded by cfg->max_us) once data
 * transmission begins. No effect when a sample exists. */
void fxr_tcp_rto_syn_lost(struct fxr_tcp_rto *r, const struct fxr_tcp_rto_cfg *cfg);

/* The timeout to arm the retransmission timer with now: the estimator's RTO doubled once
 * per back-off, clamped to cfg->max_us. */
static inline uint32_t fxr_tcp_rto_current(const struct fxr_tcp_rto *r,
					   const struct fxr_tcp_rto_cfg *cfg)
{
	uint64_t v = (uint64_t)r->rto_us << r->backoff;
	return v > cfg->max_us ? cfg->max_us : (uint32_t)v;
}

/* SRTT and RTTVAR in µs (rounded down), for stats and tests; 0 before the first sample. */
static inline uint32_t fxr_tcp_rto_srtt_us(const struct fxr_tcp_rto *r)
{
	return r->srtt8 >> 3;
}

static inline uint32_t fxr_tcp_rto_rttvar_us(const struct fxr_tcp_rto *r)
{
	return r->rttvar8 >> 3;
}

#endif
