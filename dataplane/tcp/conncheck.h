/* conncheck.h: --connect-check, an operator's link check run from the dataplane at start: an
 * active open (fxr_tcp_connect) to an echo server (RFC 862), N bytes sent and checked as they
 * come back, the result logged (one line per check) and counted (conncheck_ok,
 * conncheck_refused, conncheck_failed). */
#ifndef FXR_TCP_CONNCHECK_H
#define FXR_TCP_CONNCHECK_H

#include "config-t.h"

struct fxr_lcore;
struct fxr_conncheck_set;

/* Opens the n checks of specs from lc's stack (its lc->tcp and lc->mp): main thread, after
 * fxr_tcp_init() and before the loop starts; the checks then run on lc's lcore. A check that
 * cannot even start is logged and counted as failed. Returns the set (release it with
 * fxr_conncheck_fini()), or NULL when there is no memory for it (n == 0: NULL, nothing to
 * do). */
struct fxr_conncheck_set *fxr_conncheck_start(struct fxr_lcore *lc,
	const struct fxr_conncheck_spec *specs, unsigned int n);

/* Logs the checks still unfinished (the loop stopped first) and frees set. Main thread,
 * after the loop and before fxr_tcp_fini() of lc. set may be NULL. */
void fxr_conncheck_fini(struct fxr_lcore *lc, struct fxr_conncheck_set *set);

#endif
