/* Test hooks of the channel transport: they leave a channel exactly as a process killed in
 * the middle of an operation would, so tests can check the attach-time repair
 * deterministically. Not part of the public API; only tests/unit/chan includes this. */
#ifndef FXR_CHAN_SHM_TEST_H
#define FXR_CHAN_SHM_TEST_H

#include "fxr/chan_shm.h"

/* Receiver, lane: dequeues the next descriptor and counts it, but neither copies the
 * message nor returns its slot (a consumer killed right after its dequeue). Returns 1 when
 * a descriptor was taken, 0 when the queue was empty. */
int fxr_chan_test_take(struct fxr_chan *c, unsigned lane);

/* Sender, lane: takes a free slot and never publishes it (a producer killed between taking
 * a slot and enqueueing its descriptor). Returns 0 or -ENOBUFS. */
int fxr_chan_test_hold(struct fxr_chan *c, unsigned lane);

/* Receiver, lane: moves the used ring's consumer head past the next descriptor without
 * publishing the tail (a consumer killed inside rte_ring's dequeue). Returns 1 or 0. */
int fxr_chan_test_half_dequeue(struct fxr_chan *c, unsigned lane);

#endif
