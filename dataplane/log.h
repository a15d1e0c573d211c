/* dataplane/log.h: fxr-dataplane's own log type (registered in main.c with
 * RTE_LOG_REGISTER_DEFAULT). Control path only: never per packet (counters are for that). */
#ifndef FXR_DP_LOG_H
#define FXR_DP_LOG_H

#include <rte_log.h>

extern int fxr_dp_logtype;

#define FXR_DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, fxr_dp_logtype, "fxr-dataplane: " fmt "\n", ##__VA_ARGS__)

#endif
