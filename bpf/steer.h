/* bpf/steer.h: plain C types shared by the XDP steering program (steer.bpf.c), its loader
 * (steer.c) and their users. No kernel or libbpf headers: both sides include it. */
#ifndef FXR_STEER_H
#define FXR_STEER_H

#include <linux/types.h>

/* Pinned map names (under the bpffs pin root, default /sys/fs/bpf). */
#define FXR_STEER_CFG_MAP "fxr_steer_cfg"
#define FXR_STEER_BAN_MAP "fxr_steer_ban"
#define FXR_STEER_STATS_MAP "fxr_steer_stats"

#define FXR_STEER_MAX_IFACES 64    /* interfaces configured at once, host-wide */
#define FXR_STEER_MAX_BANS   65536 /* banned IPv4 prefixes, host-wide */

/* What the dataplane owns on one interface: traffic for it goes to its AF_XDP socket,
 * everything else passes to the kernel. Keyed by ifindex; key 0 applies to any interface
 * without its own entry. */
struct fxr_steer_cfg {
	__u32 ip;      /* the dataplane's IPv4 address, network byte order; 0: steer nothing */
	__u32 flags;   /* reserved, 0 */
};

/* An LPM trie key: an IPv4 source prefix. */
struct fxr_steer_ban_key {
	__u32 prefixlen; /* 0..32 */
	__u32 addr;      /* network byte order */
};

/* Per-CPU counters, one array slot each. X(name, help) */
#define FXR_STEER_STAT_LIST(X)                                                        \
	X(PASS, "packets passed to the kernel")                                       \
	X(STEER, "packets redirected to the AF_XDP socket (or passed when none is bound)") \
	X(BAN_DROP, "packets from a banned source dropped")                           \
	X(SHORT, "truncated packets passed to the kernel")

enum fxr_steer_stat {
#define FXR_STEER_STAT_ENUM(name, help) FXR_STEER_STAT_##name,
	FXR_STEER_STAT_LIST(FXR_STEER_STAT_ENUM)
#undef FXR_STEER_STAT_ENUM
	FXR_STEER_STAT_COUNT
};

#endif
