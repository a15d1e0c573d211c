// SPDX-License-Identifier: GPL-2.0
/* bpf/steer.bpf.c: XDP steering for fxr-dataplane on net_af_xdp (`xdp_prog=` devarg).
 *
 * Frames for the dataplane's address (ARP asking for it, IPv4 to it) go to the AF_XDP socket
 * of their RX queue; everything else (the host's own traffic) passes to the kernel. Sources in
 * the ban list, which the control plane fills from its login throttling, are dropped here
 * before they cost the dataplane anything. GPL: the kernel requires it for these helpers. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer.h"

/* AF_XDP sockets by RX queue; net_af_xdp finds it by this name and fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* ifindex (or 0 for any) -> what the dataplane owns there; written by the dataplane. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FXR_STEER_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fxr_steer_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fxr_steer_cfg SEC(".maps");

/* banned IPv4 source prefixes; written by the control plane. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FXR_STEER_MAX_BANS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fxr_steer_ban_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fxr_steer_ban SEC(".maps");

/* per-CPU counters, enum fxr_steer_stat; pinned so that ops tools can read them */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FXR_STEER_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fxr_steer_stats SEC(".maps");

/* An ARP packet for IPv4 over Ethernet (RFC 826). Spelled out here: <linux/if_arp.h> pulls
 * in libc headers that do not exist for the BPF target. */
struct arp_ipv4 {
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u32 spa;
	__u8 tha[ETH_ALEN];
	__u32 tpa;
} __attribute__((packed));

static __always_inline int count(__u32 stat, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&fxr_steer_stats, &stat);
	if (c)
		*c += 1;
	return verdict;
}

static __always_inline const struct fxr_steer_cfg *cfg_for(__u32 ifindex)
{
	const struct fxr_steer_cfg *cfg = bpf_map_lookup_elem(&fxr_steer_cfg, &ifindex);
	if (!cfg) {
		__u32 any = 0;
		cfg = bpf_map_lookup_elem(&fxr_steer_cfg, &any);
	}
	return cfg;
}

static __always_inline int steer(struct xdp_md *ctx)
{
	count(FXR_STEER_STAT_STEER, 0);
	/* no socket on this queue (not started yet): the kernel sees it rather than nobody */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp")
int fxr_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return count(FXR_STEER_STAT_SHORT, XDP_PASS);
	const struct fxr_steer_cfg *cfg = cfg_for(ctx->ingress_ifindex);
	if (!cfg || cfg->ip == 0)
		return count(FXR_STEER_STAT_PASS, XDP_PASS);

	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		struct arp_ipv4 *a = (void *)(eth + 1);
		if ((void *)(a + 1) > end)
			return count(FXR_STEER_STAT_SHORT, XDP_PASS);
		if (a->pro == bpf_htons(ETH_P_IP) && a->hln == ETH_ALEN && a->pln == 4 &&
		    a->tpa == cfg->ip)
			return steer(ctx);
		return count(FXR_STEER_STAT_PASS, XDP_PASS);
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(FXR_STEER_STAT_PASS, XDP_PASS);

	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return count(FXR_STEER_STAT_SHORT, XDP_PASS);
	if (ip->daddr != cfg->ip)
		return count(FXR_STEER_STAT_PASS, XDP_PASS);
	struct fxr_steer_ban_key k = { .prefixlen = 32, .addr = ip->saddr };
	if (bpf_map_lookup_elem(&fxr_steer_ban, &k))
		return count(FXR_STEER_STAT_BAN_DROP, XDP_DROP);
	return steer(ctx);
}

char LICENSE[] SEC("license") = "GPL";
