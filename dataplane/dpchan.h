/* dataplane/dpchan.h: the dataplane's side of the plane channel (engine/chan/README.md):
 * creating the channel, sending events in order without ever blocking the lcore, polling
 * control messages, answering a dump contiguously. Lane functions are for the owning lcore. */
#ifndef FXR_DP_DPCHAN_H
#define FXR_DP_DPCHAN_H

#include <stddef.h>
#include <stdint.h>

#include "dpchan-t.h"

struct fxr_chan;
struct fxr_chan_msg;
struct fxr_lcore;

/* Creates the channel NAME with one lane per worker. Main thread, before launch. Returns 0
 * or a negative errno with a reason in err. */
int fxr_dpchan_create(const char *name, uint16_t lanes, struct fxr_chan **out, char *err,
	size_t errlen);

/* Sets up lc's lane (lc->chan) on channel ch, lane lc->queue_id. Main thread. 0 or -ENOMEM. */
int fxr_dpchan_lane_init(struct fxr_lcore *lc, struct fxr_chan *ch);
void fxr_dpchan_lane_fini(struct fxr_lcore *lc);

/* Sends an event: straight into the ring when nothing is waiting before it, else (or when
 * the ring is full) at the end of the lane's queue, in order. Returns 0 (sent or queued),
 * -ENOBUFS when the queue is full too (counted; the caller closes the connection), -EINVAL
 * when m cannot be encoded (a bug; counted). */
int fxr_dpchan_emit(struct fxr_lcore *lc, const struct fxr_chan_msg *m);

/* Same with an already encoded message (the raw path for a malformed frame's header). */
int fxr_dpchan_emit_raw(struct fxr_lcore *lc, const uint8_t *msg, size_t len);

/* Starts answering DUMP_REQUEST dump_id: events emitted before go first, then one
 * DUMP_ENTRY per relay connection and DUMP_END, then what was emitted since. */
void fxr_dpchan_dump_start(struct fxr_lcore *lc, uint32_t dump_id);

/* One loop iteration's channel work: sends what the queue and the dump hold (as far as the
 * ring takes it), takes a step of the byte-totals sweep (BYTES, dpchan-t.h), then receives
 * and handles up to FXR_DPCHAN_RX_BURST control messages (fxr_relay_ctl()). Returns how
 * many messages moved (0: idle). */
unsigned fxr_dpchan_poll(struct fxr_lcore *lc);

#endif
