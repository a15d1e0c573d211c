/* dataplane/counters.h: counter names, the /fxr/counters telemetry command and the exit dump. */
#ifndef FXR_DP_COUNTERS_H
#define FXR_DP_COUNTERS_H

#include <stdio.h>

#include "counters-t.h"

#define FXR_CTR_INC(lc, sym)    ((lc)->ctr.v[FXR_CTR_##sym]++)
#define FXR_CTR_ADD(lc, sym, n) ((lc)->ctr.v[FXR_CTR_##sym] += (n))

/* Returns the counter's stable name ("rx_packets"), or NULL for an out-of-range id. */
const char *fxr_ctr_name(enum fxr_ctr id);
/* Returns the counter's help text, or NULL for an out-of-range id. */
const char *fxr_ctr_help(enum fxr_ctr id);

/* Publishes one lcore's counters: *published becomes a copy of *local, each word written
 * atomically (relaxed) so that a reader on another thread never sees a torn value. Called by
 * the owning lcore once per burst, never per packet. */
void fxr_counters_publish(struct fxr_counters *published, const struct fxr_counters *local);

/* Adds a published set to the registry that /fxr/counters and fxr_counters_dump() sum over.
 * Main thread only, before the lcores are launched and before fxr_counters_telemetry_init().
 * The set must outlive the registry. Returns 0, or -ENOSPC past RTE_MAX_LCORE sets. */
int fxr_counters_attach(const struct fxr_counters *published);

/* Sums every attached set into *sum. Any thread; values may trail the lcores by one burst. */
void fxr_counters_sum(struct fxr_counters *sum);

/* Registers the telemetry command /fxr/counters: a dict of every counter name to its sum over
 * the lcores. Main thread, after rte_eal_init(). Returns 0 or a negative errno. */
int fxr_counters_telemetry_init(void);

/* Prints every non-zero counter summed over the lcores, one "name value" line each, then a
 * "counters: N non-zero" line. Main thread, after the lcores have stopped. */
void fxr_counters_dump(FILE *out);

#endif
