/* dataplane/relay.h: the FXR/1 relay application on the relay port (DESIGN.md §2, §3):
 * control frames go to the control plane over the plane channel, DATA and END of a paired
 * connection go to its peer by mbuf reference, KEEPALIVE of a logged-in device is answered
 * here. For the owning lcore unless said otherwise.
 *   relay.c       TCP callbacks, the scanner over received data, relaying, flow control
 *   relay_ctl.c   control -> dataplane messages, the dump, the idle timer
 *   relay_xl.c    pairs whose connections live on different lcores */
#ifndef FXR_DP_RELAY_H
#define FXR_DP_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "relay-t.h"

struct fxr_chan_msg;
struct fxr_lcore;
struct fxr_xl_msg;

/* Creates lc's relay table (lc->relay) and listens on port (host order). Main thread,
 * after fxr_tcp_init() and fxr_dpchan_lane_init(), with lc->now_tsc set (the timers'
 * base). Returns 0 or a negative errno. */
int fxr_relay_start(struct fxr_lcore *lc, uint16_t port);

/* The free mbufs of a pool of pool_size at which the relay resumes connections that waited
 * for the pool (relay-t.h, FXR_RELAY_POOL_RESUME): the TCP stack must stop taking in data
 * above this (its mbuf_reserve), or held data could keep the pool below it for good. */
uint32_t fxr_relay_pool_resume(uint32_t pool_size);
/* Frees the table. Main thread, after fxr_tcp_fini() (which closed every connection). */
void fxr_relay_fini(struct fxr_lcore *lc);

/* Handles one decoded control message of lc's lane. */
void fxr_relay_ctl(struct fxr_lcore *lc, const struct fxr_chan_msg *m);

/* Marks every connection that exists now as owed a DUMP_ENTRY (one accepted later gets
 * none: its CONN_NEW follows the DUMP_END). */
void fxr_relay_dump_mark(struct fxr_lcore *lc);

/* The dump: fills *m with the DUMP_ENTRY of the first marked connection at slot >= *cursor and
 * returns true with *cursor past it; false when there is none left. m's views point into
 * the table (valid until the connection changes). */
bool fxr_relay_dump_next(struct fxr_lcore *lc, uint32_t *cursor, struct fxr_chan_msg *m);

/* Idle timers; cheap between sweeps. Returns the number of connections expired. */
unsigned fxr_relay_timers(struct fxr_lcore *lc);

/* Handles a relay message from another lcore (xlcore.h, relay_xl.c); takes msg->m. */
void fxr_relay_xl(struct fxr_lcore *lc, struct fxr_xl_msg *msg);

/* Internal to relay*.c. */
struct fxr_relay_conn *fxr_relay_lookup(struct fxr_lcore *lc, uint64_t id);
void fxr_relay_pump(struct fxr_lcore *lc, struct fxr_relay_conn *c);
void fxr_relay_drop_held(struct fxr_lcore *lc, struct fxr_relay_conn *c);
int fxr_relay_send_bytes(struct fxr_lcore *lc, struct fxr_relay_conn *c, const uint8_t *p,
	uint32_t len);
void fxr_relay_close(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint16_t reason);
/* Queues chain o on c's TCP send queue (o is consumed either way, and left empty). */
int fxr_relay_txq_send(struct fxr_lcore *lc, struct fxr_relay_conn *c, struct fxr_relay_out *o);
/* Stops relaying c with its peer, both ways (relay_ctl.c). */
void fxr_relay_unpair(struct fxr_lcore *lc, struct fxr_relay_conn *c);

/* relay_xl.c: a peer on another lcore. */
bool fxr_relay_peer_remote(const struct fxr_lcore *lc, const struct fxr_relay_conn *c);
void fxr_relay_xl_pair(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint64_t peer);
void fxr_relay_xl_unpair(struct fxr_lcore *lc, struct fxr_relay_conn *c);
void fxr_relay_xl_conn_gone(struct fxr_lcore *lc, struct fxr_relay_conn *c);
/* Sends o to c's peer's lcore; -ENOBUFS: kept in c (xout), c blocked until the retry. */
int fxr_relay_xl_send_out(struct fxr_lcore *lc, struct fxr_relay_conn *c,
	struct fxr_relay_out *o);
/* Sends c's waiting write, if any: 0 when none waits any more. */
int fxr_relay_xl_flush_xout(struct fxr_lcore *lc, struct fxr_relay_conn *c);
/* acked bytes of c's queue were acknowledged, retiring marks of retired_mbufs: credit. */
void fxr_relay_xl_acked(struct fxr_lcore *lc, struct fxr_relay_conn *c, uint32_t acked,
	uint32_t retired_mbufs);
/* Sends deferred messages and pumps connections whose write waited. Returns the work. */
unsigned fxr_relay_xl_retry(struct fxr_lcore *lc);
int fxr_relay_xl_init(struct fxr_lcore *lc);
void fxr_relay_xl_fini(struct fxr_relay *r);

#endif
