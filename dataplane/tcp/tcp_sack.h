/* tcp_sack.h: selective acknowledgment, both directions.
 *
 * Sender: the scoreboard of RFC 6675 §3 over the SACK blocks of RFC 2018 §3, with IsLost(),
 * SetPipe() and NextSeg() of RFC 6675 §4 (DupThresh 3) and the HighRxt / RescueRxt /
 * RecoveryPoint bookkeeping of RFC 6675 §5. The scoreboard is a sorted array of at most
 * FXR_TCP_SACK_SB_MAX disjoint, non-adjacent blocks above SND.UNA; a block that would make
 * it overflow drops the highest one (less SACK information only makes the sender more
 * conservative: it may retransmit something already received, never skip something lost).
 *
 * Receiver: the blocks to put in an outgoing SACK option, most recent first (RFC 2018 §4),
 * fed from the out-of-order queue (tcp_reass.h gives the contiguous run a segment landed
 * in).
 *
 * Blocks are half-open [start, end): start is the RFC's left edge, end its right edge ("the
 * sequence number immediately following the last sequence number of this block").
 *
 * Sequence numbers in RFC 6675 name octets (HighACK, HighRxt, HighData are the last octet
 * of something); here they are kept as "one past" values so they line up with SND.UNA and
 * SND.NXT: rxt_end = HighRxt + 1, recovery_point = RecoveryPoint + 1 = SND.NXT at entry,
 * rescue_end = RescueRxt + 1, and HighACK + 1 = SND.UNA.
 *
 * State is per connection, touched only by its lcore. 32 + 8 * FXR_TCP_SACK_SB_MAX bytes (288):
 * the dataplane should hold it outside the TCB and attach it only while SACK blocks are
 * outstanding. */
#ifndef FXR_TCP_SACK_H
#define FXR_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#define FXR_TCP_SACK_DUPTHRESH 3u  /* RFC 6675 §2 DupThresh */
#define FXR_TCP_SACK_SB_MAX    32u /* blocks held by the sender's scoreboard */
#define FXR_TCP_SACK_OPT_MAX   4u  /* blocks in one option (3 when timestamps are on) */

struct fxr_tcp_sack_block {
	uint32_t start; /* first octet */
	uint32_t end;   /* one past the last octet */
};

/* The sender's scoreboard. */
struct fxr_tcp_sack_sb {
	uint32_t snd_una;        /* HighACK + 1 */
	uint32_t rxt_end;        /* HighRxt + 1 */
	uint32_t recovery_point; /* RecoveryPoint + 1 (SND.NXT when recovery began) */
	uint32_t rescue_end;     /* RescueRxt + 1 */
	uint32_t sacked_bytes;   /* sum of the blocks' lengths */
	uint32_t dropped_blocks; /* blocks lost to overflow (counter) */
	uint32_t ignored_blocks; /* blocks refused: empty, beyond SND.NXT, D-SACK (counter) */
	uint16_t n;              /* blocks in use */
	uint8_t in_recovery;
	uint8_t pad;
	struct fxr_tcp_sack_block blk[FXR_TCP_SACK_SB_MAX]; /* sorted, disjoint, > snd_una */
};

/* What NextSeg() chose (RFC 6675 §4 rules). */
enum fxr_tcp_sack_next_kind {
	FXR_TCP_SACK_NEXT_NONE = 0,   /* nothing may be sent now */
	FXR_TCP_SACK_NEXT_LOST,       /* rule 1: retransmit a segment IsLost() says is lost */
	FXR_TCP_SACK_NEXT_NEW,        /* rule 2: send new data from SND.NXT */
	FXR_TCP_SACK_NEXT_UNSACKED,   /* rule 3: retransmit an unSACKed, not (yet) lost one */
	FXR_TCP_SACK_NEXT_RESCUE,     /* rule 4: rescue retransmission of the tail */
};

struct fxr_tcp_sack_next {
	uint32_t kind; /* enum fxr_tcp_sack_next_kind */
	uint32_t seq;
	uint32_t len;  /* 1..smss unless kind is NONE */
};

/* Receiver side: the blocks last reported, most recent first. */
struct fxr_tcp_sack_rx {
	struct fxr_tcp_sack_block blk[FXR_TCP_SACK_OPT_MAX];
	uint8_t n;
};

/* ---- sender ---- */

/* An empty scoreboard with SND.UNA = snd_una, not in recovery. */
void fxr_tcp_sack_init(struct fxr_tcp_sack_sb *sb, uint32_t snd_una);

/* Forgets every SACK block (e.g. when the peer reneges, or by policy after an RTO: RFC 2018
 * §8 lets the sender ignore SACK information after a timeout). Keeps SND.UNA. */
void fxr_tcp_sack_clear(struct fxr_tcp_sack_sb *sb);

/* Processes one ACK: cumulative ack `ack` (ignored when it does not advance SND.UNA; the
 * caller has checked it against SND.NXT) and its n SACK blocks blks[0..n) (RFC 2018 §3),
 * snd_nxt the sender's SND.NXT. Blocks are merged into the scoreboard; a block that is
 * empty, wider than 2^31, or ends beyond snd_nxt is ignored; a block at or below the
 * cumulative ack is a D-SACK (RFC 2883) and is ignored too; a block reaching below it is
 * clipped. Recovery ends when the cumulative ack reaches the recovery point (RFC 6675 §5).
 * Returns the number of octets this ACK newly SACKed (RFC 6675 §2: an ACK that SACKs new
 * data counts as a duplicate ACK for loss detection). */
uint32_t fxr_tcp_sack_on_ack(struct fxr_tcp_sack_sb *sb, uint32_t ack,
			     const struct fxr_tcp_sack_block *blks, unsigned int n, uint32_t snd_nxt);

/* True when octet seq has been SACKed. */
bool fxr_tcp_sack_is_sacked(const struct fxr_tcp_sack_sb *sb, uint32_t seq);

/* RFC 6675 §4 IsLost(SeqNum): true when DupThresh discontiguous SACKed blocks lie above
 * seq, or more than (DupThresh - 1) * smss SACKed octets lie above seq. ("Discontiguous
 * sequences" are counted as scoreboard blocks, the conservative reading.) */
bool fxr_tcp_sack_is_lost(const struct fxr_tcp_sack_sb *sb, uint32_t seq, uint32_t smss);

/* RFC 6675 §4 SetPipe(): octets in [SND.UNA, snd_nxt) that are not SACKed, counted once if
 * not lost and once more if retransmitted (below HighRxt). */
uint32_t fxr_tcp_sack_pipe(const struct fxr_tcp_sack_sb *sb, uint32_t snd_nxt, uint32_t smss);

/* RFC 6675 §5 step (4): enter loss recovery. RecoveryPoint = HighData; returns in *first the
 * first segment to retransmit (step 4.3: from HighACK + 1, up to smss octets, not past the
 * first SACKed block) and sets HighRxt and RescueRxt to its end. *first is NONE when nothing
 * is outstanding. */
void fxr_tcp_sack_enter_recovery(struct fxr_tcp_sack_sb *sb, uint32_t snd_nxt, uint32_t smss,
				 struct fxr_tcp_sack_next *first);

/* RFC 6675 §4 NextSeg(): the next segment to send during recovery. new_avail is how many
 * octets of new data may be sent now (unsent data within the peer's window; 0 if none).
 * Pure: records nothing; call fxr_tcp_sack_sent() once the segment is out. */
void fxr_tcp_sack_next_seg(const struct fxr_tcp_sack_sb *sb, uint32_t snd_nxt, uint32_t smss,
			   uint32_t new_avail, struct fxr_tcp_sack_next *out);

/* RFC 6675 §5 step (C.2)/(C.3): records that *seg (from next_seg) was sent: a retransmission
 * (rules 1, 3) moves HighRxt, a rescue (rule 4) sets RescueRxt = RecoveryPoint and leaves
 * HighRxt alone; new data changes nothing here (the caller advances SND.NXT). */
void fxr_tcp_sack_sent(struct fxr_tcp_sack_sb *sb, const struct fxr_tcp_sack_next *seg);

/* ---- receiver ---- */

void fxr_tcp_sack_rx_init(struct fxr_tcp_sack_rx *rx);

/* RFC 2018 §4: a segment was queued out of order and `run` is the contiguous run of queued
 * data that now contains it (fxr_tcp_reass_run()). The run becomes the first block; earlier
 * blocks follow, most recent first, except those the run covers or touches and those at or
 * below rcv_nxt; the oldest falls off past FXR_TCP_SACK_OPT_MAX. */
void fxr_tcp_sack_rx_update(struct fxr_tcp_sack_rx *rx, struct fxr_tcp_sack_block run,
			    uint32_t rcv_nxt);

/* RCV.NXT advanced to rcv_nxt: blocks now at or below it are removed, a block straddling it
 * is trimmed. */
void fxr_tcp_sack_rx_advance(struct fxr_tcp_sack_rx *rx, uint32_t rcv_nxt);

/* Writes up to max blocks for the next outgoing ACK into out, most recent first. Returns the
 * count (0: no SACK option needed). */
unsigned int fxr_tcp_sack_rx_fill(const struct fxr_tcp_sack_rx *rx,
				  struct fxr_tcp_sack_block *out, unsigned int max);

#endif
