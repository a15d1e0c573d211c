/* tcp_cc.h: congestion control, one interface and one file per algorithm (tcp_cc_*.c), as
 * VPP's tcp_cc_algorithm_t.
 *
 * Split of work:
 *   - the driver here (tcp_cc.c) classifies ACKs the way RFC 5681 §3.2 and RFC 6582 §3.2
 *     do for every algorithm: counts duplicate ACKs, enters fast retransmit / fast recovery
 *     on the third (guarded by `recover`, RFC 6582 step 2), tells partial from full ACKs
 *     during recovery, and leaves recovery after an RTO (RFC 6582 step 6);
 *   - an algorithm (struct fxr_tcp_cc_ops) only decides cwnd and ssthresh at each event.
 * The caller (the TCP input path) decides what an ACK is (new data acked, or a duplicate
 * ACK per RFC 5681 §2's five conditions) and does the sending the driver asks for.
 *
 * All quantities are bytes; sequence numbers are TCP's. One struct fxr_tcp_cc per
 * connection, touched only by its lcore. */
#ifndef FXR_TCP_CC_H
#define FXR_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

#define FXR_TCP_CC_DUPTHRESH 3u          /* RFC 5681 §3.2: the third duplicate ACK */
#define FXR_TCP_CC_CWND_MAX  (1u << 30)  /* cwnd cap: the largest scaled window */

struct fxr_tcp_cc;

/* An algorithm: each hook updates cc->cwnd / cc->ssthresh only. Hooks are called by the
 * driver below, never directly by the TCP code. */
struct fxr_tcp_cc_ops {
	const char *name;
	/* New connection: initial window (RFC 5681 §3.1), ssthresh "arbitrarily high". */
	void (*init)(struct fxr_tcp_cc *cc);
	/* An ACK outside recovery acknowledged `acked` new bytes. */
	void (*on_ack)(struct fxr_tcp_cc *cc, uint32_t acked);
	/* Loss detected by duplicate ACKs (or SACK): fast retransmit and recovery begin.
	 * flight is FlightSize (RFC 5681 §2) when the loss was detected. */
	void (*on_loss)(struct fxr_tcp_cc *cc, uint32_t flight);
	/* A further duplicate ACK during recovery (RFC 5681 §3.2 step 4). May be NULL. */
	void (*on_dupack)(struct fxr_tcp_cc *cc);
	/* A partial ACK during recovery acknowledged `acked` bytes (RFC 6582 step 5). */
	void (*on_partial_ack)(struct fxr_tcp_cc *cc, uint32_t acked);
	/* The retransmission timer expired. flight is FlightSize; repeated is true when the
	 * segment had already been retransmitted by the timer (RFC 5681 §3.1: ssthresh is
	 * then held). */
	void (*on_rto)(struct fxr_tcp_cc *cc, uint32_t flight, bool repeated);
	/* A full ACK ended recovery; flight is FlightSize after that ACK. */
	void (*on_recovery_exit)(struct fxr_tcp_cc *cc, uint32_t flight);
};

struct fxr_tcp_cc {
	const struct fxr_tcp_cc_ops *ops;
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t smss;
	uint32_t recover;     /* RFC 6582 "recover": highest sequence number sent at entry */
	uint32_t bytes_acked; /* congestion-avoidance byte counter (RFC 5681 §3.1, RFC 3465) */
	uint8_t dupacks;      /* consecutive duplicate ACKs */
	uint8_t in_recovery;
	uint16_t pad;
	uint32_t priv[4];     /* the algorithm's own state, if it needs any */
};

/* What the driver asks the caller to do after an event. */
enum fxr_tcp_cc_action {
	FXR_TCP_CC_NOTHING = 0,
	/* RFC 5681 §3.2 step 2: retransmit the segment at SND.UNA now (fast retransmit). */
	FXR_TCP_CC_FAST_RETRANSMIT,
	/* RFC 6582 step 5: partial ACK; retransmit the first unacknowledged segment, and on
	 * the first partial ACK of this recovery restart the retransmission timer. */
	FXR_TCP_CC_RETRANSMIT_UNA,
	/* The full ACK ended recovery (RFC 6582 step 4). Nothing to retransmit. */
	FXR_TCP_CC_RECOVERED,
};

/* NewReno, RFC 5681 + RFC 6582 (tcp_cc_newreno.c). */
extern const struct fxr_tcp_cc_ops fxr_tcp_cc_newreno;

/* The algorithm called name ("newreno"), or NULL. */
const struct fxr_tcp_cc_ops *fxr_tcp_cc_find(const char *name);

/* Sets up cc for a connection whose initial send sequence number is iss (RFC 6582:
 * recover starts at ISS) and whose SMSS is smss (> 0), and runs ops->init. */
void fxr_tcp_cc_init(struct fxr_tcp_cc *cc, const struct fxr_tcp_cc_ops *ops, uint32_t smss,
		     uint32_t iss);

/* An ACK that advanced SND.UNA to `ack`, acknowledging `acked` new bytes; flight_after is
 * FlightSize after it (SND.NXT - ack). Returns FXR_TCP_CC_NOTHING, RETRANSMIT_UNA (partial
 * ACK) or RECOVERED (full ACK). */
enum fxr_tcp_cc_action fxr_tcp_cc_on_ack(struct fxr_tcp_cc *cc, uint32_t ack, uint32_t acked,
					 uint32_t flight_after);

/* A duplicate ACK (RFC 5681 §2) for SND.UNA `ack`, snd_nxt SND.NXT, flight FlightSize.
 * On the third one, if `ack` covers more than recover (RFC 6582 step 2), recovery begins:
 * recover = SND.NXT - 1 and FAST_RETRANSMIT is returned; otherwise NOTHING (further
 * duplicates in recovery inflate cwnd; before the third the caller may use Limited
 * Transmit, RFC 3042). */
enum fxr_tcp_cc_action fxr_tcp_cc_on_dupack(struct fxr_tcp_cc *cc, uint32_t ack,
					    uint32_t snd_nxt, uint32_t flight);

/* Loss detected another way (SACK: RFC 6675 §5 IsLost(HighACK + 1)): enter recovery now if
 * not already in it and `ack` covers more than recover. Returns FAST_RETRANSMIT when it
 * did, NOTHING otherwise. */
enum fxr_tcp_cc_action fxr_tcp_cc_enter_recovery(struct fxr_tcp_cc *cc, uint32_t ack,
						 uint32_t snd_nxt, uint32_t flight);

/* The retransmission timer expired (RFC 5681 §3.1 eq. 4, RFC 6582 step 6: recover =
 * SND.NXT - 1 and recovery is abandoned). repeated: see on_rto above. */
void fxr_tcp_cc_on_rto(struct fxr_tcp_cc *cc, uint32_t snd_nxt, uint32_t flight, bool repeated);

#endif
