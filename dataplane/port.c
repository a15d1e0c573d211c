/* dataplane/port.c: port set-up for any PMD. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "arp-t.h"
#include "fault-t.h"
#include "lcore-t.h"
#include "log.h"
#include "port.h"
#include "steer.h"
#include "tcp_reass.h"

#define POOL_CACHE 256
#define POOL_MIN 8191u

unsigned int fxr_port_pool_size(uint16_t nb_queues, uint16_t nb_rxd, uint16_t nb_txd,
	unsigned int min_mbufs)
{
	unsigned int per_queue = nb_rxd + nb_txd + 2 * FXR_RX_BURST + FXR_TX_BUF
		+ FXR_ARP_PENDING_MAX + 2 * FXR_FAULT_HELD_MAX + POOL_CACHE;
	unsigned int n = nb_queues * per_queue;

	if (n < POOL_MIN)
		n = POOL_MIN;
	if (n < min_mbufs)
		n = min_mbufs;
	return rte_align32pow2(n + 1) - 1;
}

unsigned int fxr_port_mbuf_priv_size(void)
{
	return RTE_ALIGN(sizeof(struct fxr_tcp_reass_seg), RTE_MBUF_PRIV_ALIGN);
}

/* Entry k of the port's redirection table names queue k % nb_queues, the mapping
 * fxr_steer_lcore_of_hash() assumes. Returns 0 or a negative errno. */
static int port_reta_program(uint16_t port_id, uint16_t nb_queues, uint16_t reta_size)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];

	if (reta_size == 0 || reta_size > RTE_ETH_RSS_RETA_SIZE_512
		|| (reta_size & (reta_size - 1)) != 0)
		return -ENOTSUP;
	memset(reta, 0, sizeof(reta));
	for (uint16_t k = 0; k < reta_size; k++) {
		reta[k / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (k % RTE_ETH_RETA_GROUP_SIZE);
		reta[k / RTE_ETH_RETA_GROUP_SIZE].reta[k % RTE_ETH_RETA_GROUP_SIZE] = k % nb_queues;
	}
	return rte_eth_dev_rss_reta_update(port_id, reta, reta_size);
}

int fxr_port_init(uint16_t port_id, uint16_t nb_queues, unsigned int min_mbufs,
	struct fxr_port_info *info)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info dev;
	struct rte_eth_txconf txconf;
	struct rte_eth_rxconf rxconf;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	int socket = rte_eth_dev_socket_id(port_id);
	int rc;

	memset(info, 0, sizeof(*info));
	info->port_id = port_id;
	info->nb_queues = nb_queues;
	rc = rte_eth_dev_info_get(port_id, &dev);
	if (rc != 0) {
		FXR_DP_LOG(ERR, "port %u: no device info: %s", port_id, rte_strerror(-rc));
		return rc;
	}
	snprintf(info->driver, sizeof(info->driver), "%s", dev.driver_name);
	if (nb_queues > dev.max_rx_queues || nb_queues > dev.max_tx_queues) {
		FXR_DP_LOG(ERR, "port %u (%s): %u lcores need %u queue pairs, the port has %u rx / %u tx"
			" (net_af_xdp: queue_count=N in --vdev)", port_id, dev.driver_name, nb_queues,
			nb_queues, dev.max_rx_queues, dev.max_tx_queues);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	/* several queues: RSS on TCP/IPv4 with the symmetric key (steer.h), where the port
	 * hashes TCP and takes a key of a length we have */
	if (nb_queues > 1 && (dev.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP)
		&& dev.hash_key_size != 0 && dev.hash_key_size <= FXR_STEER_KEY_LEN) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)fxr_steer_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = dev.hash_key_size;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP;
		info->rss = true;
	}
	/* Offload what the port has; the IPv4 code computes in software otherwise. */
	if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		info->tx_ip_cksum_offload = true;
	}
	/* net_tap's TCP checksum "offload" is DPDK 22.11 software that sums each segment of a
	 * chained frame as if it began on an even byte: a relayed run of odd length gets a
	 * wrong checksum, which the receiver drops every time it is sent again. Ours
	 * (tcp_output.c, cksum_chain) carries the odd byte over. */
	if ((dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
		&& strcmp(dev.driver_name, "net_tap") != 0) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		info->tx_tcp_cksum_offload = true;
	}
	/* chained frames let TCP send payload by reference to its send queue (tcp_output.c) */
	info->tx_seg_max = 1;
	if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		info->tx_seg_max = RTE_MAX(dev.tx_desc_lim.nb_mtu_seg_max, (uint16_t)1);
	}
	if (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
		info->rx_tcp_cksum_offload = true;
	}
	if (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		info->rx_ip_cksum_offload = true;
	}
	rc = rte_eth_dev_configure(port_id, nb_queues, nb_queues, &conf);
	if (rc != 0) {
		FXR_DP_LOG(ERR, "port %u (%s): configure: %s", port_id, dev.driver_name,
			rte_strerror(-rc));
		return rc;
	}
	info->nb_rxd = FXR_PORT_RX_DESC;
	info->nb_txd = FXR_PORT_TX_DESC;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &info->nb_rxd, &info->nb_txd);
	if (rc != 0) {
		FXR_DP_LOG(ERR, "port %u: descriptor counts: %s", port_id, rte_strerror(-rc));
		return rc;
	}

	snprintf(pool_name, sizeof(pool_name), "fxr_mbuf_p%u", port_id);
	info->mp = rte_pktmbuf_pool_create(pool_name,
		fxr_port_pool_size(nb_queues, info->nb_rxd, info->nb_txd, min_mbufs), POOL_CACHE,
		(uint16_t)fxr_port_mbuf_priv_size(),
		RTE_MBUF_DEFAULT_BUF_SIZE, socket < 0 ? (int)rte_socket_id() : socket);
	if (info->mp == NULL) {
		FXR_DP_LOG(ERR, "port %u: mbuf pool of %u: %s", port_id,
			fxr_port_pool_size(nb_queues, info->nb_rxd, info->nb_txd, min_mbufs),
			rte_strerror(rte_errno));
		return -ENOMEM;
	}

	rxconf = dev.default_rxconf;
	rxconf.offloads = conf.rxmode.offloads;
	txconf = dev.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	for (uint16_t q = 0; q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, info->nb_rxd, (unsigned int)socket, &rxconf,
			info->mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, info->nb_txd, (unsigned int)socket,
				&txconf);
		if (rc != 0) {
			FXR_DP_LOG(ERR, "port %u: queue %u set-up: %s", port_id, q, rte_strerror(-rc));
			goto fail;
		}
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		FXR_DP_LOG(ERR, "port %u: start: %s", port_id, rte_strerror(-rc));
		goto fail;
	}
	if (info->rss && port_reta_program(port_id, nb_queues, dev.reta_size) == 0) {
		info->reta_size = dev.reta_size;
	} else if (info->rss) {
		FXR_DP_LOG(WARNING, "port %u (%s): RSS redirection table not programmed: segments"
			" are handed to their lcore in software", port_id, dev.driver_name);
		info->rss = false;
	}
	rc = rte_eth_macaddr_get(port_id, &info->mac);
	if (rc != 0) {
		FXR_DP_LOG(ERR, "port %u: MAC address: %s", port_id, rte_strerror(-rc));
		rte_eth_dev_stop(port_id);
		goto fail;
	}
	return 0;
fail:
	rte_eth_dev_close(port_id);
	rte_mempool_free(info->mp);
	info->mp = NULL;
	return rc;
}

void fxr_port_fini(struct fxr_port_info *info)
{
	rte_eth_dev_stop(info->port_id);
	rte_eth_dev_close(info->port_id);
	rte_mempool_free(info->mp);
	info->mp = NULL;
}
