/* fxr/device.h: a device's N connections to one relay, kept logged in (DESIGN.md §2).
 *
 * Every connection that is CLOSED is opened again and logged in again once its back-off
 * delay has passed; the delay grows (jittered, bounded) with each loss or failed attempt in
 * a row and resets at the next LOGGED_IN. A BYE(LOGGED_OUT) (our own LOGOUT or another
 * connection's) stops reconnecting. Time comes only from fxr_device_tick(now_ms), so tests
 * drive it with a fake clock. One thread; no locking. */
#ifndef FXR_DEVICE_H
#define FXR_DEVICE_H

#include <poll.h>

#include "fxr/client.h"
#include "fxr/device-t.h"

/* ---- back-off ---- */

void fxr_backoff_init(struct fxr_backoff *b, uint32_t min_ms, uint32_t max_ms, uint64_t seed);
/* Returns the delay before the next attempt and counts the attempt. */
uint32_t fxr_backoff_next(struct fxr_backoff *b);
/* After a success: the next delay starts from min_ms again. */
void fxr_backoff_reset(struct fxr_backoff *b);

/* ---- device ---- */

/* Copies the configuration (password included; wiped by fini) and initialises nconn
 * clients, all CLOSED and due at once. Returns 0, -EINVAL, -ENOMEM. */
int fxr_device_init(struct fxr_device *d, const struct fxr_device_config *cfg);
void fxr_device_fini(struct fxr_device *d);

/* Opens (and logs in) the connections that are due, then runs each client's timers.
 * Returns the milliseconds until the next timer or reconnect, or -1 when none. */
int fxr_device_tick(struct fxr_device *d, uint64_t now_ms);

/* The next event of any connection (round-robin), with *idx its connection. CLOSED events
 * schedule the reconnect before they are returned. Returns 1 or 0 (none). */
int fxr_device_next_event(struct fxr_device *d, unsigned *idx, struct fxr_client_event *ev);

/* Connection idx (0..n-1). */
struct fxr_client *fxr_device_client(struct fxr_device *d, unsigned idx);

/* An IDLE connection to call from (the lowest index), or -1 when none: *idx gets it. */
int fxr_device_idle(const struct fxr_device *d, unsigned *idx);

/* How many connections are logged in (IDLE and beyond). */
unsigned fxr_device_logged_in(const struct fxr_device *d);

/* No more reconnects; open connections stay as they are. */
void fxr_device_stop(struct fxr_device *d);

/* Fills pfds[0..n) for poll() (fd -1 for a closed connection). Returns n. */
unsigned fxr_device_pollfds(const struct fxr_device *d, struct pollfd *pfds, unsigned cap);
/* Runs on_readable / on_writable for the connections poll() marked. */
void fxr_device_on_poll(struct fxr_device *d, const struct pollfd *pfds, unsigned n);

#endif
