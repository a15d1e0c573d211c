/* dataplane/main.c: fxr-dataplane, the DPDK primary process (DESIGN.md §1, §7): option
 * parsing, EAL and port set-up, the per-lcore loops, clean exit on SIGINT/SIGTERM with the
 * counters printed. The only place that may end the process. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "fxr/chan_shm.h"

#include "config-t.h"
#include "conncheck.h"
#include "counters.h"
#include "dpchan.h"
#include "lcore-t.h"
#include "log.h"
#include "loop.h"
#include "opts.h"
#include "port.h"
#include "relay.h"
#include "services.h"
#include "steer.h"
#include "tcp.h"
#include "xlcore.h"

static void on_signal(int sig)
{
	(void)sig;
	fxr_loop_stop();
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void report_faults(const struct fxr_dp_config *cfg)
{
	for (int d = 0; d < FXR_FAULT__DIRS; d++) {
		const struct fxr_fault_spec *f = &cfg->fault[d];

		if (f->enabled)
			FXR_DP_LOG(NOTICE, "fault injection %s: drop=%g dup=%g reorder=%g delay=%g"
				" corrupt=%g delay_us=%u seed=%lu", d == FXR_FAULT_RX ? "rx" : "tx",
				f->drop, f->dup, f->reorder, f->delay, f->corrupt, f->delay_us,
				(unsigned long)f->seed);
	}
}

int main(int argc, char **argv)
{
	static struct fxr_dp_config cfg;
	static struct fxr_lcore *lcores[RTE_MAX_LCORE];
	static struct fxr_steer steer;
	struct fxr_xlcore *xl = NULL;
	struct fxr_port_info port;
	struct fxr_tcp_cfg tcp_cfg;
	struct fxr_chan *chan = NULL;
	struct fxr_conncheck_set *conncheck = NULL;
	struct rte_malloc_socket_stats heap;
	size_t heap_before;
	char err[256];
	char ip[INET_ADDRSTRLEN];
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	int eal_argc = argc;
	unsigned int lcore_id;
	uint16_t port_id, queue = 0;
	int rc;

	/* Application options first, so that a typo fails before EAL takes hugepages. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	}
	{
		int app_argc = argc - eal_argc;
		char **app_argv = argv + eal_argc;   /* app_argv[0] is "--" or argv[argc] */
		char *saved = app_argc > 0 ? app_argv[0] : NULL;

		if (app_argc > 0)
			app_argv[0] = argv[0];
		rc = fxr_opts_parse(app_argc > 0 ? app_argc : 1, app_argc > 0 ? app_argv : argv,
			&cfg, err, sizeof(err));
		if (app_argc > 0)
			app_argv[0] = saved;
	}
	if (rc == 1) {
		fxr_opts_usage(stdout, argv[0]);
		return EXIT_SUCCESS;
	}
	if (rc < 0) {
		fprintf(stderr, "fxr-dataplane: %s\n", err);
		return 2;
	}

	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "EAL initialisation failed: %s\n", rte_strerror(rte_errno));
	install_signals();
	report_faults(&cfg);

	/* a connection id has 8 bits for its lcore (fxr/connid.h) */
	if (rte_lcore_count() > 255)
		rte_exit(EXIT_FAILURE, "%u lcores: at most 255\n", rte_lcore_count());
	if (rte_eth_dev_count_avail() == 0)
		rte_exit(EXIT_FAILURE, "no port: give one, e.g. --vdev net_af_xdp0,iface=IF or -a PCI\n");
	port_id = (uint16_t)rte_eth_find_next(0);
	if (rte_eth_dev_count_avail() > 1)
		FXR_DP_LOG(WARNING, "%u ports: using port %u only", rte_eth_dev_count_avail(), port_id);
	rc = fxr_port_init(port_id, (uint16_t)rte_lcore_count(), cfg.mbufs, &port);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "port %u set-up failed: %s\n", port_id, rte_strerror(-rc));

	fxr_steer_init(&steer, port.nb_queues, port.reta_size, port.rss);
	rc = fxr_xlcore_create(port.nb_queues, cfg.xl_ring, &xl);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "rings between lcores: %s\n", rte_strerror(-rc));

	rc = fxr_dpchan_create(cfg.channel, (uint16_t)rte_lcore_count(), &chan, err, sizeof(err));
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "--channel %s: %s\n", cfg.channel, err);

	RTE_LCORE_FOREACH(lcore_id) {
		struct fxr_lcore *lc = rte_zmalloc_socket("fxr_lcore", sizeof(*lc),
			RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore_id));

		if (lc == NULL)
			rte_exit(EXIT_FAILURE, "no memory for lcore %u state\n", lcore_id);
		fxr_lcore_init(lc, &cfg, lcore_id, port_id, queue++, port.mp, &port.mac,
			port.tx_ip_cksum_offload);
		lc->steer = &steer;
		lc->xl = xl;
		fxr_tcp_cfg_default(&tcp_cfg);
		tcp_cfg.time_wait_ms = cfg.time_wait_ms;
		tcp_cfg.tx_seg_max = port.tx_seg_max;
		tcp_cfg.max_tcbs = cfg.max_conns;
		/* arriving data is dropped, not held, while fewer mbufs than this are free: what
		 * RX needs to go on receiving the ACKs that free the queues, above the relay's
		 * resume mark, so that the relay can always move held data on */
		tcp_cfg.mbuf_reserve = (uint32_t)port.nb_queues * (port.nb_rxd + 2u * FXR_RX_BURST)
			+ fxr_relay_pool_resume(port.mp->size);
		lc->now_tsc = rte_rdtsc();
		rte_malloc_get_socket_stats((int)rte_lcore_to_socket_id(lcore_id), &heap);
		heap_before = heap.heap_allocsz_bytes;
		rc = fxr_tcp_init(lc, &tcp_cfg, port.tx_tcp_cksum_offload);
		if (rc < 0)
			rte_exit(EXIT_FAILURE, "lcore %u: TCP stack of %u connections (--max-conns): %s"
				" (more hugepage memory: EAL -m)\n", lcore_id, cfg.max_conns,
				rte_strerror(-rc));
		rte_malloc_get_socket_stats((int)rte_lcore_to_socket_id(lcore_id), &heap);
		FXR_DP_LOG(NOTICE, "lcore %u: TCP stack for %u connections: %.1f MiB of hugepage"
			" memory, %zu bytes a connection", lcore_id, cfg.max_conns,
			(double)(heap.heap_allocsz_bytes - heap_before) / (1 << 20),
			(heap.heap_allocsz_bytes - heap_before) / cfg.max_conns);
		rc = fxr_services_start(lc, cfg.echo_port, cfg.discard_port);
		if (rc < 0)
			rte_exit(EXIT_FAILURE, "--service: %s\n", rte_strerror(-rc));
		rc = fxr_dpchan_lane_init(lc, chan);
		if (rc == 0)
			rc = fxr_relay_start(lc, cfg.tcp_port);
		if (rc < 0)
			rte_exit(EXIT_FAILURE, "lcore %u: relay on port %u: %s\n", lcore_id,
				cfg.tcp_port, rte_strerror(-rc));
		if (fxr_counters_attach(&lc->published) < 0)
			rte_exit(EXIT_FAILURE, "too many lcores for the counter registry\n");
		lcores[lcore_id] = lc;
	}
	if (cfg.n_conncheck != 0) {
		conncheck = fxr_conncheck_start(lcores[rte_get_main_lcore()], cfg.conncheck,
			cfg.n_conncheck);
		if (conncheck == NULL)
			rte_exit(EXIT_FAILURE, "no memory for --connect-check\n");
	}
	rc = fxr_counters_telemetry_init();
	if (rc < 0)
		FXR_DP_LOG(WARNING, "telemetry command /fxr/counters not registered: %s",
			rte_strerror(-rc));

	inet_ntop(AF_INET, &cfg.ip, ip, sizeof(ip));
	rte_ether_format_addr(mac, sizeof(mac), &port.mac);
	FXR_DP_LOG(NOTICE, "ready: port %u (%s) mac %s ip %s/%u, %u lcore(s) (flows to lcores: %s),"
		" tx ip checksum %s,"
		" tx tcp checksum %s, tx payload %s, relay port %u, channel %s, echo %u, discard %u, idle %s",
		port_id, port.driver, mac, ip, cfg.plen, rte_lcore_count(),
		rte_lcore_count() == 1 ? "one lcore" : port.rss ? "port RSS, symmetric key"
		: "in software",
		port.tx_ip_cksum_offload ? "offloaded" : "in software",
		port.tx_tcp_cksum_offload ? "offloaded" : "in software",
		port.tx_seg_max > 1 ? "by reference" : "copied (single-segment port)", cfg.tcp_port,
		cfg.channel, cfg.echo_port,
		cfg.discard_port,
		cfg.busy_poll ? "busy-poll" : "back-off");

	rte_eal_mp_remote_launch(fxr_loop_run, lcores, CALL_MAIN);
	rte_eal_mp_wait_lcore();

	fxr_conncheck_fini(lcores[rte_get_main_lcore()], conncheck);
	RTE_LCORE_FOREACH(lcore_id) {
		fxr_tcp_dump(stdout, lcores[lcore_id]);
		fxr_tcp_fini(lcores[lcore_id]);
		fxr_relay_fini(lcores[lcore_id]);
		fxr_dpchan_lane_fini(lcores[lcore_id]);
		fxr_lcore_fini(lcores[lcore_id]);
	}
	FXR_DP_LOG(NOTICE, "stopping");
	fxr_counters_dump(stdout);
	fflush(stdout);
	fxr_xlcore_free(xl);
	fxr_port_fini(&port);
	fxr_chan_close(chan);
	RTE_LCORE_FOREACH(lcore_id) {
		rte_free(lcores[lcore_id]);
		lcores[lcore_id] = NULL;
	}
	rte_eal_cleanup();
	return EXIT_SUCCESS;
}
