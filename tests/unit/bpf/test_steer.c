/* The XDP steering program without hardware (BPF_PROG_TEST_RUN): built frames in, verdicts
 * and counters out. The program is loaded through its skeleton with a private pin root under
 * /sys/fs/bpf, so the test never touches the maps of a relay running on the same host, and
 * the maps are driven through the same user-space API the dataplane and control plane use. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cmocka.h>

#include "steer.skel.h"
#include "steer_maps.h"

#define BPF_FS_MAGIC_ 0xcafe4a11

static struct fxr_steer_bpf *skel;
static struct fxr_steer_maps maps;
static char pin_root[128];
static int prog_fd;

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Ethernet + IPv4 (+ 20 bytes of TCP header space) from src to dst. */
static size_t ipv4_frame(uint8_t *f, const char *src, const char *dst)
{
	memset(f, 0, 54);
	f[12] = 0x08, f[13] = 0x00;
	f[14] = 0x45;
	f[17] = 40;      /* total length */
	f[22] = 64;      /* TTL */
	f[23] = 6;       /* TCP */
	uint32_t s = ip4(src), d = ip4(dst);
	memcpy(f + 26, &s, 4);
	memcpy(f + 30, &d, 4);
	return 54;
}

/* An ARP request asking who has tpa. */
static size_t arp_frame(uint8_t *f, const char *tpa)
{
	memset(f, 0, 42);
	memset(f, 0xff, 6);
	f[12] = 0x08, f[13] = 0x06;
	f[14] = 0, f[15] = 1;          /* Ethernet */
	f[16] = 0x08, f[17] = 0x00;    /* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = 1;          /* request */
	uint32_t t = ip4(tpa);
	memcpy(f + 38, &t, 4);
	return 42;
}

static int run(const uint8_t *frame, size_t len)
{
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
	return (int)o.retval;
}

/* Runs frame and checks the verdict and which counter moved (by exactly one). */
static void expect(const uint8_t *frame, size_t len, int verdict, unsigned stat)
{
	uint64_t before[FXR_STEER_STAT_COUNT], after[FXR_STEER_STAT_COUNT];
	assert_int_equal(fxr_steer_stats(&maps, before), 0);
	assert_int_equal(run(frame, len), verdict);
	assert_int_equal(fxr_steer_stats(&maps, after), 0);
	for (unsigned i = 0; i < FXR_STEER_STAT_COUNT; i++)
		assert_int_equal(after[i] - before[i], i == stat ? 1 : 0);
}

static int setup(void **state)
{
	(void)state;
	struct statfs fs;
	if (geteuid() != 0 || statfs("/sys/fs/bpf", &fs) != 0 || fs.f_type != BPF_FS_MAGIC_) {
		fprintf(stderr, "test_steer: needs root and bpffs on /sys/fs/bpf (scripts/setup)\n");
		exit(77);
	}
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/fxr-test-steer-%d", (int)getpid());
	if (mkdir(pin_root, 0700) != 0)
		return -1;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_root);
	skel = fxr_steer_bpf__open_opts(&oo);
	if (!skel || fxr_steer_bpf__load(skel) != 0)
		return -1;
	prog_fd = bpf_program__fd(skel->progs.fxr_steer);
	char err[256];
	if (fxr_steer_maps_open(&maps, pin_root, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_steer: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fxr_steer_maps_close(&maps);
	if (skel) {
		bpf_map__unpin(skel->maps.fxr_steer_cfg, NULL);
		bpf_map__unpin(skel->maps.fxr_steer_ban, NULL);
		bpf_map__unpin(skel->maps.fxr_steer_stats, NULL);
		fxr_steer_bpf__destroy(skel);
	}
	rmdir(pin_root);
	return 0;
}

static void test_unconfigured_passes_everything(void **state)
{
	(void)state;
	uint8_t f[64];
	expect(f, ipv4_frame(f, "198.51.100.1", "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_PASS);
	expect(f, arp_frame(f, "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_PASS);
}

static void test_steers_its_address_only(void **state)
{
	(void)state;
	uint8_t f[64];
	assert_int_equal(fxr_steer_set_iface(&maps, 0, ip4("10.9.0.2")), 0);
	/* no AF_XDP socket is bound in a test run: the redirect falls back to XDP_PASS, and
	 * the STEER counter shows the decision */
	expect(f, ipv4_frame(f, "198.51.100.1", "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_STEER);
	expect(f, arp_frame(f, "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_STEER);
	expect(f, ipv4_frame(f, "198.51.100.1", "10.9.0.3"), XDP_PASS, FXR_STEER_STAT_PASS);
	expect(f, arp_frame(f, "10.9.0.3"), XDP_PASS, FXR_STEER_STAT_PASS);
	/* IPv6 and other ethertypes are the kernel's */
	ipv4_frame(f, "198.51.100.1", "10.9.0.2");
	f[12] = 0x86, f[13] = 0xdd;
	expect(f, 54, XDP_PASS, FXR_STEER_STAT_PASS);
}

static void test_short_frames_pass(void **state)
{
	(void)state;
	uint8_t f[64];
	ipv4_frame(f, "198.51.100.1", "10.9.0.2");
	expect(f, 14 + 19, XDP_PASS, FXR_STEER_STAT_SHORT); /* IPv4 header cut short */
	arp_frame(f, "10.9.0.2");
	expect(f, 41, XDP_PASS, FXR_STEER_STAT_SHORT);
}

static void test_ban_list(void **state)
{
	(void)state;
	uint8_t f[64];
	assert_int_equal(fxr_steer_set_iface(&maps, 0, ip4("10.9.0.2")), 0);
	assert_int_equal(fxr_steer_ban(&maps, ip4("192.0.2.0"), 24), 0);
	expect(f, ipv4_frame(f, "192.0.2.7", "10.9.0.2"), XDP_DROP, FXR_STEER_STAT_BAN_DROP);
	expect(f, ipv4_frame(f, "192.0.3.7", "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_STEER);
	/* banned sources still reach the host's own addresses */
	expect(f, ipv4_frame(f, "192.0.2.7", "10.9.0.9"), XDP_PASS, FXR_STEER_STAT_PASS);
	/* a /32 inside the /24, then the /24 lifted: the /32 still holds */
	assert_int_equal(fxr_steer_ban(&maps, ip4("192.0.2.8"), 32), 0);
	assert_int_equal(fxr_steer_unban(&maps, ip4("192.0.2.0"), 24), 0);
	expect(f, ipv4_frame(f, "192.0.2.7", "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_STEER);
	expect(f, ipv4_frame(f, "192.0.2.8", "10.9.0.2"), XDP_DROP, FXR_STEER_STAT_BAN_DROP);
	assert_int_equal(fxr_steer_unban(&maps, ip4("192.0.2.8"), 32), 0);
	expect(f, ipv4_frame(f, "192.0.2.8", "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_STEER);
}

static void test_ban_api_errors(void **state)
{
	(void)state;
	assert_int_equal(fxr_steer_ban(&maps, ip4("192.0.2.1"), 24), -EINVAL); /* host bits */
	assert_int_equal(fxr_steer_ban(&maps, ip4("192.0.2.0"), 33), -EINVAL);
	assert_int_equal(fxr_steer_unban(&maps, ip4("203.0.113.0"), 24), -ENOENT);
	assert_int_equal(fxr_steer_ban(&maps, 0, 0), 0); /* everything: legal, if drastic */
	assert_int_equal(fxr_steer_unban(&maps, 0, 0), 0);
	struct fxr_steer_maps none;
	char err[256];
	assert_int_equal(fxr_steer_maps_open(&none, "/sys/fs/bpf/fxr-no-such-dir", err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "is the steering program loaded?"));
}

static void test_clear_iface(void **state)
{
	(void)state;
	uint8_t f[64];
	assert_int_equal(fxr_steer_set_iface(&maps, 0, ip4("10.9.0.2")), 0);
	assert_int_equal(fxr_steer_clear_iface(&maps, 0), 0);
	expect(f, ipv4_frame(f, "198.51.100.1", "10.9.0.2"), XDP_PASS, FXR_STEER_STAT_PASS);
	assert_int_equal(fxr_steer_clear_iface(&maps, 0), -ENOENT);
	assert_string_equal(fxr_steer_stat_name(FXR_STEER_STAT_BAN_DROP), "BAN_DROP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unconfigured_passes_everything),
		cmocka_unit_test(test_steers_its_address_only),
		cmocka_unit_test(test_short_frames_pass),
		cmocka_unit_test(test_ban_list),
		cmocka_unit_test(test_ban_api_errors),
		cmocka_unit_test(test_clear_iface),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
