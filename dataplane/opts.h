/* dataplane/opts.h: parsing of fxr-dataplane's application options (DESIGN.md §7). */
#ifndef FXR_DP_OPTS_H
#define FXR_DP_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "config-t.h"

/* Parses the application options argv[1..argc) (argv[0] is the program name) into *cfg,
 * which it first fills with the defaults. Uses getopt_long and leaves optind = 0 (a full
 * reset) so that EAL can parse its own arguments afterwards.
 * Returns 0 on success, 1 when --help was given (nothing else is checked), or -EINVAL with a
 * one-line reason in err[0..errlen). Main thread only (getopt is not reentrant). */
int fxr_opts_parse(int argc, char **argv, struct fxr_dp_config *cfg, char *err, size_t errlen);

/* Parses one --fault argument, "rx:drop=0.05,dup=0.01,seed=42" or "tx:...", into the
 * matching cfg->fault[]. Returns 0 or -EINVAL with a reason in err. */
int fxr_opts_parse_fault(const char *arg, struct fxr_dp_config *cfg, char *err, size_t errlen);

/* Prints the usage text. */
void fxr_opts_usage(FILE *out, const char *prog);

#endif
