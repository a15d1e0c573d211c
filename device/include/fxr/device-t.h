/* fxr/device-t.h: one device's set of relay connections (DESIGN.md §2: one busy in a fax
 * while spare ones wait for the next demand), each reconnected with a bounded, jittered
 * exponential back-off. Prototypes in fxr/device.h. */
#ifndef FXR_DEVICE_T_H
#define FXR_DEVICE_T_H

#include <stdbool.h>
#include <stdint.h>

#include "fxr/client-t.h"
#include "fxr/scram-t.h"

#define FXR_DEVICE_MAX_CONN       8u     /* the relay's default per-device limit */
#define FXR_BACKOFF_MIN_DEFAULT   500u   /* ms */
#define FXR_BACKOFF_MAX_DEFAULT   30000u /* ms */

/* Exponential back-off with "equal jitter": attempt k waits base/2 + U[0, base/2] where
 * base = min(max, min * 2^k). The PRNG (xorshift64*) is seeded, so a run can be replayed. */
struct fxr_backoff {
	uint32_t min_ms;
	uint32_t max_ms;
	uint32_t attempt;
	uint64_t rng;
};

struct fxr_device;

/* Opens connection idx of the device on c (a CLOSED client): the default connects to the
 * configured relay; tests inject their own. Returns 0 or a negative errno. */
typedef int fxr_device_open_fn(void *arg, unsigned idx, struct fxr_client *c);

struct fxr_device_config {
	const char *host;            /* the relay; default port FXR_DEFAULT_PORT */
	uint16_t port;
	const char *id;              /* the device id */
	const char *password;
	size_t pw_len;
	unsigned nconn;              /* 1..FXR_DEVICE_MAX_CONN; 0 means 1 */
	uint32_t backoff_min_ms;     /* 0: FXR_BACKOFF_MIN_DEFAULT */
	uint32_t backoff_max_ms;     /* 0: FXR_BACKOFF_MAX_DEFAULT */
	uint64_t seed;               /* jitter seed (0 is replaced by a fixed constant) */
	struct fxr_client_config client;
	fxr_device_open_fn *open;    /* NULL: connect to host:port */
	void *open_arg;
};

struct fxr_device_conn {
	struct fxr_client c;
	struct fxr_backoff bo;
	uint64_t next_try_ms;        /* CLOSED: when to open it again */
	uint32_t losses;             /* times this connection was lost or failed to open */
};

struct fxr_device {
	char id[64 + 1];
	char host[256];
	uint16_t port;
	char password[FXR_SCRAM_PASSWORD_MAX];
	size_t pw_len;
	unsigned n;
	bool stopped;                /* no more reconnects (logged out, or told to stop) */
	unsigned next_ev;            /* round-robin over connections for events */
	uint64_t now_ms;
	fxr_device_open_fn *open;
	void *open_arg;
	struct fxr_device_conn conn[FXR_DEVICE_MAX_CONN];
};

#endif
