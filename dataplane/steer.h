/* dataplane/steer.h: which lcore owns a TCP flow when the dataplane runs several.
 *
 * The owner is a function of the flow's addresses and ports that gives the same lcore for
 * both directions: a Toeplitz hash (the one NICs compute for RSS) with a symmetric key (the
 * repeated 0x6d5a pattern, for which the hash of (a, b, pa, pb) equals that of (b, a, pb,
 * pa)), mapped through the redirection table the dataplane programs into the port: entry k
 * names lcore k % n. On a port that hashes with this key and table (PCI NICs), every packet
 * arrives on its owner's queue; on one that does not (net_af_xdp and net_tap here), the lcore
 * that received a packet hands it to its owner (xlcore.h, xlcore_pkts_out). An active open
 * picks a local port whose hash lands on the opening lcore, so that its replies come back to
 * it (fxr_tcp_connect). Read-only once the lcores run: shared by all of them. */
#ifndef FXR_DP_STEER_H
#define FXR_DP_STEER_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes of the symmetric key: the longest a port here asks for (i40e's 52; most take 40). */
#define FXR_STEER_KEY_LEN 52
/* Redirection-table entries assumed where the port has none. */
#define FXR_STEER_RETA_DEFAULT 128

extern const uint8_t fxr_steer_key[FXR_STEER_KEY_LEN];

struct rte_mbuf;

struct fxr_steer {
	uint16_t n_lcores;
	uint16_t reta_size;          /* entries of the redirection table: a power of two */
	bool hw;                     /* the port hashes with our key and table: the mbuf's RSS
	                              * hash, when it has one, is the flow's */
	uint32_t key_be[FXR_STEER_KEY_LEN / 4]; /* the key as rte_softrss_be() takes it */
};

/* Fills *s for n_lcores lcores (n_lcores >= 1) and a table of reta_size entries (0: the
 * port has none, FXR_STEER_RETA_DEFAULT is used; otherwise a power of two). */
void fxr_steer_init(struct fxr_steer *s, uint16_t n_lcores, uint16_t reta_size, bool hw);

/* The Toeplitz hash of an IPv4 TCP flow under fxr_steer_key, as a port computes it for a
 * packet from saddr:sport to daddr:dport (all in network byte order). Symmetric. */
uint32_t fxr_steer_hash(const struct fxr_steer *s, uint32_t saddr, uint32_t daddr,
	uint16_t sport, uint16_t dport);

/* The lcore index (0 .. n_lcores - 1) a hash lands on through the redirection table. */
static inline uint16_t fxr_steer_lcore_of_hash(const struct fxr_steer *s, uint32_t hash)
{
	return (uint16_t)((hash & (s->reta_size - 1u)) % s->n_lcores);
}

/* The owner of the flow saddr:sport <-> daddr:dport (network byte order), either way. */
static inline uint16_t fxr_steer_owner(const struct fxr_steer *s, uint32_t saddr,
	uint32_t daddr, uint16_t sport, uint16_t dport)
{
	return fxr_steer_lcore_of_hash(s, fxr_steer_hash(s, saddr, daddr, sport, dport));
}

/* The owner of a received IPv4 TCP frame (l2_len and l3_len set, the ports within the
 * first segment): the port's hash when it is ours, else computed. */
uint16_t fxr_steer_owner_pkt(const struct fxr_steer *s, const struct rte_mbuf *m);

#endif
