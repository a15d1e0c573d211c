/* tcp_internal.h: what the stack's files call in one another. Not for applications (tcp.h). */
#ifndef FXR_TCP_INTERNAL_H
#define FXR_TCP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_tcp.h>

#include "lcore-t.h"
#include "tcp-t.h"
#include "tcp_seq.h"

struct rte_mbuf;

#define FXR_TCP_WSCALE_OURS 7       /* our window shift (RFC 7323 §2.3: at most 14) */
#define FXR_TCP_MSS_DEFAULT_PEER 536 /* RFC 9293 §3.7.1: peer sent no MSS option */
#define FXR_TCP_PENDING_MAX 1024
/* Under pool pressure (cfg.mbuf_pressure) a connection is still offered this many segments
 * of receive window and of send space beyond what it holds, so that none stops (Linux's
 * tcp_mem pressure keeps 4 MSS of rcv_ssthresh the same way); what it was offered before
 * is never taken back. */
#define FXR_TCP_PRESSURE_SEGS 4u
/* Length of a receive epoch: connections that received data in the current or the last one
 * share the mbuf pool's free space (their windows), so that together they are never offered
 * much more than it holds. */
#define FXR_TCP_RX_EPOCH_MS 100u
/* Most mbufs a data segment chains behind its header mbuf when sending by reference: a
 * range spread over more (tiny relayed pieces) is copied instead, which is then cheaper than
 * the descriptors. */
#define FXR_TCP_TX_REF_SEGS_MAX 8u

/* Options of one received segment (tcp_options.c). */
struct fxr_tcp_opts {
	uint16_t mss;          /* 0: absent */
	uint8_t wscale;        /* valid with has_wscale */
	bool has_wscale;
	bool sack_ok;
	bool has_ts;
	uint8_t n_sack;
	uint32_t tsval, tsecr;
	struct fxr_tcp_sack_block sack[FXR_TCP_SACK_OPT_MAX];
};

/* Parses the options of th (data offset already checked). Malformed options end the parse
 * (what was parsed stays). Returns 0. */
int fxr_tcp_opts_parse(const struct rte_tcp_hdr *th, struct fxr_tcp_opts *o);

/* Writes the options for a segment of tcb with flags into buf (room for 40 bytes); returns
 * their length, a multiple of 4. */
unsigned int fxr_tcp_opts_write(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb,
	uint8_t flags, uint8_t *buf);

/* Option bytes on a data segment of tcb now (timestamps, SACK blocks): RFC 6691, the peer's
 * MSS counts them, so a segment carries snd_mss minus this much payload at most. */
unsigned int fxr_tcp_opts_len_data(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb);

static inline uint32_t fxr_tcp_seg_max(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb)
{
	return tcb->snd_mss - fxr_tcp_opts_len_data(s, tcb);
}

/* The sender's SACK scoreboard of tcb (RFC 6675), beside the TCB table. */
static inline struct fxr_tcp_sack_sb *fxr_tcb_sb(const struct fxr_tcp_stack *s,
	const struct fxr_tcb *tcb)
{
	return &s->sack_sb[tcb - s->tcbs];
}

/* The out-of-order queue and receiver SACK blocks of tcb. */
static inline struct fxr_tcb_ooo *fxr_tcb_ooo(const struct fxr_tcp_stack *s,
	const struct fxr_tcb *tcb)
{
	return &s->ooo[tcb - s->tcbs];
}

/* The receive window tcb may be offered now: the room its receive buffer has left, but at
 * most its share of the pool's free space above the pressure mark (at least
 * FXR_TCP_PRESSURE_SEGS segments), and under pool pressure at most those few segments
 * (tcp_output.c). */
uint32_t fxr_tcp_rcv_window_now(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb);
/* Data arrived on tcb: it counts among the connections that share the pool (tcp_output.c). */
void fxr_tcp_rx_active(struct fxr_tcp_stack *s, struct fxr_tcb *tcb);

/* Bytes of tcb's receive buffer in use: handed to the app and not released, or out of
 * order. */
static inline uint32_t fxr_tcp_rcv_used(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb)
{
	return tcb->rcv_held + ((tcb->flags & FXR_TCBF_OOO) ? fxr_tcb_ooo(s, tcb)->reass.bytes : 0);
}

/* ---- tcp_table.c ---- */
struct fxr_tcb *fxr_tcb_lookup(struct fxr_tcp_stack *s, const struct fxr_tcp_key *k);
/* A zeroed TCB inserted under k, or NULL (table full or key present). */
struct fxr_tcb *fxr_tcb_alloc(struct fxr_tcp_stack *s, const struct fxr_tcp_key *k);
/* Removes tcb from the table, stops its timer, frees its queues. */
void fxr_tcb_free(struct fxr_tcp_stack *s, struct fxr_tcb *tcb);

/* ---- tcp_output.c ---- */
/* Sends what tcb may send now: data within min(snd_wnd, cwnd), FIN when due, or an ACK
 * when one is owed. */
void fxr_tcp_output(struct fxr_lcore *lc, struct fxr_tcb *tcb);
/* Sends one segment [seq, seq + len) of the send queue (len may be 0) with flags. Returns
 * 0 or -ENOMEM. */
int fxr_tcp_send_segment(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t seq, uint32_t len,
	uint8_t flags);
/* RFC 6675 §5 (C): during SACK loss recovery, sends what NextSeg() picks while
 * cwnd - pipe >= 1 SMSS. */
void fxr_tcp_sack_output(struct fxr_lcore *lc, struct fxr_tcb *tcb);
/* RFC 6675 §5 (4): enters SACK loss recovery and retransmits the first hole. */
void fxr_tcp_sack_recover(struct fxr_lcore *lc, struct fxr_tcb *tcb);
/* A bare ACK now. */
void fxr_tcp_send_ack(struct fxr_lcore *lc, struct fxr_tcb *tcb);
/* RFC 9293 §3.10.7.1: a RST answering segment m (no TCB, or a bad ACK in a synchronising
 * state); reuses m. seg_len counts SYN/FIN. */
void fxr_tcp_reply_rst(struct fxr_lcore *lc, struct rte_mbuf *m, uint32_t seg_len);
/* A RST for an existing TCB (abort, give up). */
void fxr_tcp_send_rst(struct fxr_lcore *lc, struct fxr_tcb *tcb);
/* The window we advertise now, unscaled bytes. */
uint32_t fxr_tcp_rcv_window(const struct fxr_tcp_stack *s, const struct fxr_tcb *tcb);

/* ---- tcp_timers.c ---- */
/* Re-arms tcb's wheel timer at the earliest of its deadlines. */
void fxr_tcp_timer_update(struct fxr_tcp_stack *s, struct fxr_tcb *tcb);
/* Starts (or restarts) the retransmission timer at the current RTO. */
void fxr_tcp_rtx_arm(struct fxr_tcp_stack *s, struct fxr_tcb *tcb);
void fxr_tcp_rtx_stop(struct fxr_tcp_stack *s, struct fxr_tcb *tcb);
/* Enters FIN-WAIT-2, or stays there after a segment from the peer: timer for
 * cfg.fin_wait2_ms. */
void fxr_tcp_fin_wait2(struct fxr_tcp_stack *s, struct fxr_tcb *tcb);
/* Enters TIME-WAIT: timer for cfg.time_wait_ms. */
void fxr_tcp_time_wait(struct fxr_lcore *lc, struct fxr_tcb *tcb);

/* ---- tcp_syncookie.c ---- */
/* Our ISS for a SYN (IRS irs, MSS option peer_mss) answered without a TCB. */
uint32_t fxr_tcp_syncookie_make(const struct fxr_tcp_stack *s, const struct fxr_tcp_key *k,
	uint32_t irs, uint16_t peer_mss);
/* Checks the cookie an ACK returns (SEG.ACK - 1, with SEG.SEQ - 1 as IRS); on success sets
 * *mss to the MSS it encoded and returns 0; -ETIMEDOUT (too old) or -EINVAL (forged). */
int fxr_tcp_syncookie_check(const struct fxr_tcp_stack *s, const struct fxr_tcp_key *k,
	uint32_t irs, uint32_t cookie, uint16_t *mss);

/* ---- tcp.c ---- */
/* Queues tcb for output at the end of the burst. */
void fxr_tcp_pending_add(struct fxr_lcore *lc, struct fxr_tcb *tcb);
/* Delivers on_close (once) and, unless keep, frees the TCB. */
void fxr_tcp_close_tcb(struct fxr_lcore *lc, struct fxr_tcb *tcb, int reason, bool keep);
/* Tells the app the connection is over (once). */
void fxr_tcp_app_closed(struct fxr_lcore *lc, struct fxr_tcb *tcb, int reason);
uint32_t fxr_tcp_iss(const struct fxr_tcp_stack *s, const struct fxr_tcp_key *k);

static inline uint32_t fxr_tcp_flight(const struct fxr_tcb *tcb)
{
	return tcb->snd_max - tcb->snd_una;
}

#endif
