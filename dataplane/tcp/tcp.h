/* tcp.h: the userspace TCP stack (RFC 9293) of fxr-dataplane: per-lcore set-up, segment
 * input, end-of-burst output, timers, and the calls an application makes. Every function is
 * for the owning lcore only unless it says otherwise.
 *
 * Files, one concern each:
 *   tcp-t.h           TCB, states, per-lcore stack types
 *   tcp_app.h         application callbacks
 *   tcp.c             set-up, listeners, app calls (send, shutdown, abort, connect)
 *   tcp_table.c       per-lcore TCB table: hashed lookup, allocation
 *   tcp_input.c       segment arrival (RFC 9293 §3.10.7)
 *   tcp_output.c      segment building, data transmission, ACK/RST
 *   tcp_options.c     option parsing and writing (MSS, WS, SACK, TS)
 *   tcp_timers.c      retransmission, persist, delayed ACK, TIME-WAIT (one wheel timer/TCB)
 *   tcp_syncookie.c   SYN cookies (RFC 4987) when a listener's SYN backlog is full
 *   services.c        echo (RFC 862) and discard (RFC 863) */
#ifndef FXR_TCP_H
#define FXR_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcp-t.h"
#include "tcp_app.h"

struct fxr_lcore;
struct rte_mbuf;
struct rte_mempool;

extern const char *const fxr_tcp_state_names[FXR_TCP__STATES];

/* Defaults for struct fxr_tcp_cfg. */
void fxr_tcp_cfg_default(struct fxr_tcp_cfg *cfg);

/* Creates lc's TCP stack (lc->tcp) with cfg: the TCB table and its hash (named after the
 * lcore), the timer wheel. Main thread, before launch. Returns 0 or a negative errno. */
int fxr_tcp_init(struct fxr_lcore *lc, const struct fxr_tcp_cfg *cfg, bool tx_tcp_cksum_offload);

/* Frees every TCB (and the mbufs they hold) and the stack. Main thread, after the loop. */
void fxr_tcp_fini(struct fxr_lcore *lc);

/* Opens a listening port (host byte order) for app; ctx goes to on_accept. Returns 0,
 * -EADDRINUSE, or -ENOSPC. */
int fxr_tcp_listen(struct fxr_lcore *lc, uint16_t port, const struct fxr_tcp_app *app, void *ctx);

/* A TCP segment for us (m->l2_len, l3_len set, IPv4 header validated); consumes m. */
void fxr_tcp_input(struct fxr_lcore *lc, struct rte_mbuf *m);

/* End of an RX burst: sends the ACKs and data owed by the TCBs the burst touched. */
void fxr_tcp_flush(struct fxr_lcore *lc);

/* Advances the stack clock to lc->now_tsc and runs due timers. Cheap when no ms passed. */
void fxr_tcp_timers(struct fxr_lcore *lc);

/* Active open (RFC 9293 §3.10.1) to raddr:rport (network byte order) from local port lport
 * (network byte order; 0: pick one; with several lcores, one whose flow this lcore owns,
 * steer.h). app->on_connected or on_close(-ECONNREFUSED / -ETIMEDOUT) follows. Returns the
 * TCB (state SYN-SENT), or NULL with *err set (-EADDRINUSE, -ENOMEM, -EXDEV: lport given
 * and the flow is another lcore's). */
struct fxr_tcb *fxr_tcp_connect(struct fxr_lcore *lc, uint32_t raddr, uint16_t rport,
	uint16_t lport, const struct fxr_tcp_app *app, void *app_ctx, int *err);

/* Appends m (a chain; data = payload) to the send queue; the stack owns m from now and frees
 * it once acknowledged, transmitting references to it (never the app's copy). Returns 0,
 * -ENOTCONN (not open for sending: m is freed), -EPIPE (after shutdown: m is freed). */
int fxr_tcp_send(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m);

/* What a send queue may hold now: the send buffer, or less under mbuf pool pressure. */
uint32_t fxr_tcp_send_cap(const struct fxr_lcore *lc);

/* Bytes the app may still queue before the send buffer is full (advisory). */
uint32_t fxr_tcp_send_space(const struct fxr_lcore *lc, const struct fxr_tcb *tcb);

/* The connection's payload bytes so far, modulo 2^32, from its sequence numbers: *in
 * received in order, *out acknowledged by the peer (the SYN and the FIN not counted). */
void fxr_tcp_bytes(const struct fxr_tcb *tcb, uint32_t *in, uint32_t *out);

/* The app is done with n bytes it got through on_data: the receive window reopens. */
void fxr_tcp_recv_done(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t n);

/* Closes our write half (RFC 9293 §3.10.4): FIN after the queued data. */
void fxr_tcp_shutdown(struct fxr_lcore *lc, struct fxr_tcb *tcb);

/* Resets the connection (RFC 9293 §3.10.5 ABORT); on_close(-ECONNRESET) is called before
 * it returns, and the TCB is gone. */
void fxr_tcp_abort(struct fxr_lcore *lc, struct fxr_tcb *tcb);

/* Prints up to 64 open TCBs of lc, one line each (state, sequence offsets from ISS/IRS,
 * windows, queues, timers). Main thread, after the loop has stopped (or for tests). */
void fxr_tcp_dump(FILE *out, const struct fxr_lcore *lc);

/* Number of TCBs in use on this lcore. */
uint32_t fxr_tcp_tcbs_in_use(const struct fxr_lcore *lc);

#endif
