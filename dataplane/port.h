/* dataplane/port.h: set-up of one ethdev port for any PMD (PCI NIC, net_af_xdp, net_tap,
 * net_memif): one RX and one TX queue per lcore, RSS with the symmetric key of steer.h where
 * the port has several queues, checksum offloads where the port has them.
 * Main thread only. */
#ifndef FXR_DP_PORT_H
#define FXR_DP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

struct rte_mempool;

#define FXR_PORT_RX_DESC 1024
#define FXR_PORT_TX_DESC 1024

struct fxr_port_info {
	uint16_t port_id;
	uint16_t nb_queues;
	uint16_t nb_rxd, nb_txd;        /* after the PMD's adjustment */
	bool tx_ip_cksum_offload;       /* the port computes IPv4 header checksums */
	bool rx_ip_cksum_offload;       /* the port checks them and flags the mbuf */
	bool tx_tcp_cksum_offload;      /* the port computes TCP checksums */
	bool rx_tcp_cksum_offload;      /* the port checks them and flags the mbuf */
	uint16_t tx_seg_max;            /* mbufs one frame may chain on TX (1: single-segment
	                                 * frames only, e.g. net_af_xdp; else the PMD's
	                                 * nb_mtu_seg_max, with RTE_ETH_TX_OFFLOAD_MULTI_SEGS on) */
	bool rss;                       /* several queues, and the port hashes TCP/IPv4 with
	                                 * the symmetric key through our table (steer.h):
	                                 * each flow arrives at the lcore that owns it */
	uint16_t reta_size;             /* its redirection table's entries (rss only) */
	struct rte_ether_addr mac;
	char driver[32];
	struct rte_mempool *mp;         /* the port's packet pool, owned by the port */
};

/* Returns how many mbufs the pool of a port needs: every RX and TX descriptor of every
 * queue, plus what the loop can hold at once per lcore (RX burst, TX buffer, ARP queue,
 * fault queues) and the per-lcore mempool caches, and at least min_mbufs (what the
 * connections may hold: --mbufs), rounded to 2^k - 1 (the size the ring under the mempool
 * uses best), and never fewer than 8191 (net_af_xdp's fill ring alone takes 2048 per
 * queue). */
unsigned int fxr_port_pool_size(uint16_t nb_queues, uint16_t nb_rxd, uint16_t nb_txd,
	unsigned int min_mbufs);

/* Bytes of private area in every mbuf of the pool: the TCP out-of-order queue keeps its
 * node there (struct fxr_tcp_reass_seg), so queuing a segment allocates nothing. */
unsigned int fxr_port_mbuf_priv_size(void);

/* Configures and starts port_id with nb_queues RX/TX queue pairs (queue i is for the i-th
 * lcore), creating its mbuf pool (fxr_port_pool_size). Fills *info. Logs the reason and returns a negative errno
 * when the port cannot (e.g. -EINVAL: fewer queues than lcores; -ENOMEM: no pool). */
int fxr_port_init(uint16_t port_id, uint16_t nb_queues, unsigned int min_mbufs,
	struct fxr_port_info *info);

/* Stops and closes the port, then frees its pool. */
void fxr_port_fini(struct fxr_port_info *info);

#endif
