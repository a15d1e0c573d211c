/* bpf/steer_maps.h: the user-space side of the steering program's pinned maps. The
 * dataplane says which address it owns on which interface; the control plane bans and
 * unbans source prefixes; ops tools read the counters. The program itself is loaded by
 * net_af_xdp (`--vdev net_af_xdp0,iface=IF,xdp_prog=PATH/fxr-steer.bpf.o`), which pins these
 * maps under /sys/fs/bpf on first load. Any thread; each call is one syscall or a few. */
#ifndef FXR_STEER_MAPS_H
#define FXR_STEER_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "steer.h"

struct fxr_steer_maps {
	int cfg_fd;
	int ban_fd;
	int stats_fd;
};

/* Opens the pinned maps under pin_root (NULL: /sys/fs/bpf). Returns 0, or a negative errno
 * with a reason in err (-ENOENT: the program has not been loaded yet). */
int fxr_steer_maps_open(struct fxr_steer_maps *m, const char *pin_root, char *err, size_t errlen);
void fxr_steer_maps_close(struct fxr_steer_maps *m);

/* The dataplane owns ip (network byte order) on ifindex (0: any interface). */
int fxr_steer_set_iface(struct fxr_steer_maps *m, uint32_t ifindex, uint32_t ip);
int fxr_steer_clear_iface(struct fxr_steer_maps *m, uint32_t ifindex);

/* Bans or unbans the IPv4 source prefix addr/plen (addr in network byte order; plen 0..32;
 * host bits must be zero). Returns 0, -EINVAL, -ENOSPC (the list is full), -ENOENT (unban of a
 * prefix that is not banned). */
int fxr_steer_ban(struct fxr_steer_maps *m, uint32_t addr, uint8_t plen);
int fxr_steer_unban(struct fxr_steer_maps *m, uint32_t addr, uint8_t plen);

/* Sums the per-CPU counters into out[FXR_STEER_STAT_COUNT]. */
int fxr_steer_stats(const struct fxr_steer_maps *m, uint64_t out[FXR_STEER_STAT_COUNT]);

/* The counter's name ("BAN_DROP") and help text. */
const char *fxr_steer_stat_name(unsigned i);
const char *fxr_steer_stat_help(unsigned i);

#endif
