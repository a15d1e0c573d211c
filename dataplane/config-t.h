/* dataplane/config-t.h: fxr-dataplane's application options (after EAL's "--"). */
#ifndef FXR_DP_CONFIG_T_H
#define FXR_DP_CONFIG_T_H

#include <stdbool.h>
#include <stdint.h>

#define FXR_DP_TCP_PORT_DEFAULT   4747
#define FXR_DP_CHANNEL_DEFAULT    "fxr"
#define FXR_DP_CHANNEL_MAX        63
#define FXR_DP_TX_FLUSH_US_DEFAULT 100
#define FXR_DP_TIME_WAIT_MS_DEFAULT 1000
#define FXR_DP_MAX_CONNS_DEFAULT  16384u
#define FXR_DP_MAX_CONNS_MAX      (16u << 20)
#define FXR_DP_MBUFS_MAX          (16u << 20)
#define FXR_DP_XL_RING_DEFAULT    4096u
#define FXR_DP_XL_RING_MAX        65536u
#define FXR_DP_CONNCHECK_MAX      4
#define FXR_DP_CONNCHECK_BYTES_DEFAULT 65536u
#define FXR_DP_CONNCHECK_BYTES_MAX (64u << 20)

enum fxr_fault_dir {
	FXR_FAULT_RX = 0,
	FXR_FAULT_TX = 1,
	FXR_FAULT__DIRS
};

/* One direction of the fault injector, as given by --fault. Probabilities are 0..1 and are
 * rolled independently for each packet, in this order: drop, corrupt, dup, reorder, delay. */
struct fxr_fault_spec {
	bool enabled;
	double drop;
	double dup;
	double reorder;
	double delay;
	double corrupt;
	uint32_t delay_us;  /* how long a delayed packet is held (default 1000) */
	uint64_t seed;      /* PRNG seed; the same seed and input give the same faults */
};

/* One --connect-check: an active open to an echo server, bytes sent and checked back. */
struct fxr_conncheck_spec {
	uint32_t addr;      /* network byte order */
	uint16_t port;      /* host byte order */
	uint32_t bytes;     /* 0: connect and close only */
};

struct fxr_dp_config {
	uint32_t ip;            /* our address, network byte order */
	uint32_t netmask;       /* network byte order */
	uint8_t plen;
	uint32_t gw;            /* default gateway, network byte order; 0: none */
	uint16_t tcp_port;      /* FXR/1 relay port */
	uint16_t echo_port;     /* --service echo=PORT; 0: off */
	uint16_t discard_port;  /* --service discard=PORT; 0: off */
	uint32_t time_wait_ms;  /* --time-wait-ms: TCP TIME-WAIT length */
	uint32_t max_conns;     /* --max-conns: TCB table size per lcore */
	uint32_t mbufs;         /* --mbufs: the port's pool at least this big; 0: what it needs */
	uint32_t xl_ring;       /* --xl-ring: messages a ring between two lcores holds, 2^k */
	char channel[FXR_DP_CHANNEL_MAX + 1];
	bool busy_poll;
	uint32_t tx_flush_us;   /* TX buffer deadline */
	struct fxr_fault_spec fault[FXR_FAULT__DIRS];
	struct fxr_conncheck_spec conncheck[FXR_DP_CONNCHECK_MAX]; /* --connect-check */
	unsigned int n_conncheck;
};

#endif
