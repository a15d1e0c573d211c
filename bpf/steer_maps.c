/* The user-space side of the steering program's pinned maps; see steer_maps.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer_maps.h"

static const char *const stat_names[FXR_STEER_STAT_COUNT] = {
#define FXR_STEER_STAT_NAME(name, help) [FXR_STEER_STAT_##name] = #name,
	FXR_STEER_STAT_LIST(FXR_STEER_STAT_NAME)
#undef FXR_STEER_STAT_NAME
};

static const char *const stat_helps[FXR_STEER_STAT_COUNT] = {
#define FXR_STEER_STAT_HELP(name, help) [FXR_STEER_STAT_##name] = help,
	FXR_STEER_STAT_LIST(FXR_STEER_STAT_HELP)
#undef FXR_STEER_STAT_HELP
};

const char *fxr_steer_stat_name(unsigned i)
{
	return i < FXR_STEER_STAT_COUNT ? stat_names[i] : "UNKNOWN";
}

const char *fxr_steer_stat_help(unsigned i)
{
	return i < FXR_STEER_STAT_COUNT ? stat_helps[i] : "";
}

static int open_pinned(const char *root, const char *name, char *err, size_t errlen)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", root, name) >= (int)sizeof(path)) {
		snprintf(err, errlen, "pin path too long");
		return -ENAMETOOLONG;
	}
	int fd = bpf_obj_get(path);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s%s", path, strerror(e),
			 e == ENOENT ? " (is the steering program loaded?)" : "");
		return -e;
	}
	return fd;
}

int fxr_steer_maps_open(struct fxr_steer_maps *m, const char *pin_root, char *err, size_t errlen)
{
	const char *root = pin_root ? pin_root : "/sys/fs/bpf";
	m->cfg_fd = m->ban_fd = m->stats_fd = -1;
	int fd = open_pinned(root, FXR_STEER_CFG_MAP, err, errlen);
	if (fd < 0)
		return fd;
	m->cfg_fd = fd;
	fd = open_pinned(root, FXR_STEER_BAN_MAP, err, errlen);
	if (fd < 0)
		goto fail;
	m->ban_fd = fd;
	fd = open_pinned(root, FXR_STEER_STATS_MAP, err, errlen);
	if (fd < 0)
		goto fail;
	m->stats_fd = fd;
	return 0;
fail:
	fxr_steer_maps_close(m);
	return fd;
}

void fxr_steer_maps_close(struct fxr_steer_maps *m)
{
	if (m->cfg_fd >= 0)
		close(m->cfg_fd);
	if (m->ban_fd >= 0)
		close(m->ban_fd);
	if (m->stats_fd >= 0)
		close(m->stats_fd);
	m->cfg_fd = m->ban_fd = m->stats_fd = -1;
}

int fxr_steer_set_iface(struct fxr_steer_maps *m, uint32_t ifindex, uint32_t ip)
{
	struct fxr_steer_cfg cfg = { .ip = ip };
	return bpf_map_update_elem(m->cfg_fd, &ifindex, &cfg, BPF_ANY) ? -errno : 0;
}

int fxr_steer_clear_iface(struct fxr_steer_maps *m, uint32_t ifindex)
{
	return bpf_map_delete_elem(m->cfg_fd, &ifindex) ? -errno : 0;
}

static int ban_key(struct fxr_steer_ban_key *k, uint32_t addr, uint8_t plen)
{
	if (plen > 32)
		return -EINVAL;
	uint32_t mask = plen ? htonl(~0u << (32 - plen)) : 0;
	if (addr & ~mask)
		return -EINVAL; /* host bits set: say what is meant */
	k->prefixlen = plen;
	k->addr = addr;
	return 0;
}

int fxr_steer_ban(struct fxr_steer_maps *m, uint32_t addr, uint8_t plen)
{
	struct fxr_steer_ban_key k;
	uint8_t one = 1;
	int rc = ban_key(&k, addr, plen);
	if (rc)
		return rc;
	if (bpf_map_update_elem(m->ban_fd, &k, &one, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int fxr_steer_unban(struct fxr_steer_maps *m, uint32_t addr, uint8_t plen)
{
	struct fxr_steer_ban_key k;
	int rc = ban_key(&k, addr, plen);
	if (rc)
		return rc;
	return bpf_map_delete_elem(m->ban_fd, &k) ? -errno : 0;
}

int fxr_steer_stats(const struct fxr_steer_maps *m, uint64_t out[FXR_STEER_STAT_COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || ncpu > 4096)
		return -EINVAL;
	uint64_t per[4096];
	for (uint32_t i = 0; i < FXR_STEER_STAT_COUNT; i++) {
		if (bpf_map_lookup_elem(m->stats_fd, &i, per))
			return -errno;
		out[i] = 0;
		for (int c = 0; c < ncpu; c++)
			out[i] += per[c];
	}
	return 0;
}
