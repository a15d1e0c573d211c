/* tcp_cc.c: the congestion-control driver: ACK classification of RFC 5681 §3.2 and
 * RFC 6582 §3.2, shared by every algorithm; the algorithms only set cwnd and ssthresh. */
#include <string.h>

#include "fxr/compiler.h"
#include "tcp_cc.h"
#include "tcp_seq.h"

static const struct fxr_tcp_cc_ops *const cc_algorithms[] = {
	&fxr_tcp_cc_newreno,
};

const struct fxr_tcp_cc_ops *fxr_tcp_cc_find(const char *name)
{
	for (unsigned int i = 0; i < FXR_ARRAY_SIZE(cc_algorithms); i++)
		if (strcmp(cc_algorithms[i]->name, name) == 0)
			return cc_algorithms[i];
	return NULL;
}

void fxr_tcp_cc_init(struct fxr_tcp_cc *cc, const struct fxr_tcp_cc_ops *ops, uint32_t smss,
		     uint32_t iss)
{
	FXR_BUG_ON(smss == 0);
	*cc = (struct fxr_tcp_cc){ .ops = ops, .smss = smss, .recover = iss };
	ops->init(cc);
}

enum fxr_tcp_cc_action fxr_tcp_cc_on_ack(struct fxr_tcp_cc *cc, uint32_t ack, uint32_t acked,
					 uint32_t flight_after)
{
	cc->dupacks = 0;
	if (!cc->in_recovery) {
		cc->ops->on_ack(cc, acked);
		return FXR_TCP_CC_NOTHING;
	}
	/* RFC 6582 step 4: a full ACK covers recover; step 5: anything less is partial. */
	if (fxr_tcp_seq_gt(ack, cc->recover)) {
		cc->in_recovery = 0;
		cc->ops->on_recovery_exit(cc, flight_after);
		return FXR_TCP_CC_RECOVERED;
	}
	cc->ops->on_partial_ack(cc, acked);
	return FXR_TCP_CC_RETRANSMIT_UNA;
}

enum fxr_tcp_cc_action fxr_tcp_cc_enter_recovery(struct fxr_tcp_cc *cc, uint32_t ack,
						 uint32_t snd_nxt, uint32_t flight)
{
	/* RFC 6582 step 2: only when the cumulative ACK covers more than recover, so one
	 * window's losses cause one reduction, and a stale triple from before an RTO none.
	 * "Covers more than" is read as SEG.ACK > recover, as FreeBSD does: with recover
	 * starting at ISS, the loss of the very first data segment (ACK = ISS + 1) must still
	 * be repaired by fast retransmit. */
	if (cc->in_recovery || !fxr_tcp_seq_gt(ack, cc->recover))
		return FXR_TCP_CC_NOTHING;
	cc->recover = snd_nxt - 1;
	cc->in_recovery = 1;
	cc->bytes_acked = 0;
	cc->ops->on_loss(cc, flight);
	return FXR_TCP_CC_FAST_RETRANSMIT;
}

enum fxr_tcp_cc_action fxr_tcp_cc_on_dupack(struct fxr_tcp_cc *cc, uint32_t ack,
					    uint32_t snd_nxt, uint32_t flight)
{
	if (cc->in_recovery) {
		if (cc->ops->on_dupack)
			cc->ops->on_dupack(cc);
		return FXR_TCP_CC_NOTHING;
	}
	if (cc->dupacks < UINT8_MAX)
		cc->dupacks++;
	if (cc->dupacks != FXR_TCP_CC_DUPTHRESH)
		return FXR_TCP_CC_NOTHING;
	return fxr_tcp_cc_enter_recovery(cc, ack, snd_nxt, flight);
}

void fxr_tcp_cc_on_rto(struct fxr_tcp_cc *cc, uint32_t snd_nxt, uint32_t flight, bool repeated)
{
	cc->recover = snd_nxt - 1;
	cc->in_recovery = 0;
	cc->dupacks = 0;
	cc->bytes_acked = 0;
	cc->ops->on_rto(cc, flight, repeated);
}
