/* dataplane/icmp.h: ICMP echo (RFC 792; RFC 1122 §3.2.2.6). Owning lcore only. */
#ifndef FXR_DP_ICMP_H
#define FXR_DP_ICMP_H

#include "lcore-t.h"

struct rte_mbuf;

/* Handles an ICMP message in a validated IPv4 packet (l2_len, l3_len set, no padding).
 * An echo request to our unicast address is turned into the echo reply in place and sent;
 * everything else is counted and freed. Consumes m. */
void fxr_icmp_input(struct fxr_lcore *lc, struct rte_mbuf *m, int broadcast);

#endif
