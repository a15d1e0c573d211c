/* dataplane/eth.h: Ethernet input (classification by destination and ethertype). */
#ifndef FXR_DP_ETH_H
#define FXR_DP_ETH_H

#include <stdint.h>

#include "lcore-t.h"

struct rte_mbuf;

/* Classifies pkts[0..n) and hands each to ARP or IPv4, which consume it; frames for another
 * MAC or of another ethertype are freed and counted. Owning lcore only. */
void fxr_eth_input_burst(struct fxr_lcore *lc, struct rte_mbuf **pkts, uint16_t n);

#endif
