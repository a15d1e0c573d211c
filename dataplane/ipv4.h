/* dataplane/ipv4.h: IPv4 input and output for our one address (RFC 791, RFC 1122 §3.2.1).
 * Every function is for the owning lcore only. */
#ifndef FXR_DP_IPV4_H
#define FXR_DP_IPV4_H

#include <stdint.h>

#include "lcore-t.h"

struct rte_mbuf;

/* TTL of every datagram we originate (RFC 1122 §3.2.1.7: fixed, non-zero). */
#define FXR_IPV4_TTL 64

/* Validates an IPv4 packet (m->l2_len set) and delivers it to ICMP or TCP (unicast only);
 * consumes m. Drops, each counted: truncated, bad version or header length, options, bad
 * header checksum, fragments (no reassembly), not for our address, unhandled protocol.
 * Received TTL is not checked: a host must accept any TTL (RFC 1122 §3.2.1.7). Trims
 * Ethernet padding so that the packet ends where the datagram does. */
void fxr_ipv4_input(struct fxr_lcore *lc, struct rte_mbuf *m);

/* Sends m, an Ethernet frame with a complete IPv4 header at l2_len (checksum field
 * ignored) and l3_len set: computes the header checksum (or asks the port to), picks the
 * next hop (on-link destination, else --gw) and hands m to ARP. Consumes m. */
void fxr_ipv4_output(struct fxr_lcore *lc, struct rte_mbuf *m);

#endif
