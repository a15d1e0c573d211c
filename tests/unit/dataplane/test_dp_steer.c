/* tests/unit/dataplane/test_dp_steer.c: the flow-to-lcore mapping (dataplane/steer.c). Its hash
 * is checked against a Toeplitz hash written here from its definition (Microsoft's RSS
 * specification: for every set bit i of the input, XOR in the 32 key bits that start at bit i),
 * first with the specification's own key and a published verification vector, then with the
 * symmetric key; the key's symmetry, the redirection-table mapping, and that a flow's owner is
 * the same whichever way a segment goes. No EAL needed: steer.c is pure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "steer.h"

/* The key of Microsoft's RSS verification suite, and one of its IPv4/TCP vectors:
 * 66.9.149.187:2794 -> 161.142.100.80:1766 hashes to 0x51ccc178. */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Toeplitz from the definition, over src addr, dst addr, src port, dst port (network order). */
static uint32_t toeplitz(const uint8_t *key, size_t key_len, uint32_t saddr, uint32_t daddr,
	uint16_t sport, uint16_t dport)
{
	uint8_t in[12];
	uint32_t h = 0;

	memcpy(in, &saddr, 4);
	memcpy(in + 4, &daddr, 4);
	memcpy(in + 8, &sport, 2);
	memcpy(in + 10, &dport, 2);
	for (size_t bit = 0; bit < sizeof(in) * 8; bit++) {
		uint32_t window = 0;

		if (!(in[bit / 8] & (0x80u >> (bit % 8))))
			continue;
		for (size_t j = 0; j < 32; j++) {
			size_t kb = bit + j;

			if (kb / 8 < key_len && (key[kb / 8] & (0x80u >> (kb % 8))))
				window |= 1u << (31 - j);
		}
		h ^= window;
	}
	return h;
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* The reference implementation above is Toeplitz: it gives the published vector. */
static void test_reference_matches_published_vector(void **state)
{
	(void)state;
	assert_int_equal(toeplitz(ms_key, sizeof(ms_key), inet_addr("66.9.149.187"),
		inet_addr("161.142.100.80"), htons(2794), htons(1766)), 0x51ccc178u);
}

static void test_hash_is_toeplitz_with_the_symmetric_key(void **state)
{
	struct fxr_steer s;
	uint32_t rnd = 12345;

	(void)state;
	fxr_steer_init(&s, 2, 0, false);
	for (int i = 0; i < 2000; i++) {
		uint32_t a = xorshift(&rnd), b = xorshift(&rnd), p = xorshift(&rnd);
		uint16_t pa = (uint16_t)p, pb = (uint16_t)(p >> 16);

		assert_int_equal(fxr_steer_hash(&s, a, b, pa, pb),
			toeplitz(fxr_steer_key, FXR_STEER_KEY_LEN, a, b, pa, pb));
	}
}

static void test_owner_is_the_same_both_ways(void **state)
{
	struct fxr_steer s;
	uint32_t rnd = 777;

	(void)state;
	for (uint16_t n = 1; n <= 8; n++) {
		fxr_steer_init(&s, n, 0, false);
		for (int i = 0; i < 1000; i++) {
			uint32_t a = xorshift(&rnd), b = xorshift(&rnd), p = xorshift(&rnd);
			uint16_t pa = (uint16_t)p, pb = (uint16_t)(p >> 16);

			assert_int_equal(fxr_steer_hash(&s, a, b, pa, pb),
				fxr_steer_hash(&s, b, a, pb, pa));
			assert_int_equal(fxr_steer_owner(&s, a, b, pa, pb),
				fxr_steer_owner(&s, b, a, pb, pa));
			assert_true(fxr_steer_owner(&s, a, b, pa, pb) < n);
		}
	}
}

/* Entry k of the table names lcore k % n: the mapping port.c programs into a NIC. */
static void test_table_mapping(void **state)
{
	struct fxr_steer s;

	(void)state;
	fxr_steer_init(&s, 3, 512, true);
	assert_int_equal(s.reta_size, 512);
	for (uint32_t h = 0; h < 4096; h += 7)
		assert_int_equal(fxr_steer_lcore_of_hash(&s, h), (h % 512) % 3);
	fxr_steer_init(&s, 2, 0, false);
	assert_int_equal(s.reta_size, FXR_STEER_RETA_DEFAULT);
	assert_int_equal(fxr_steer_lcore_of_hash(&s, 0x12345u), (0x12345u % FXR_STEER_RETA_DEFAULT) % 2);
}

/* Flows from one client address to the relay's port spread over every lcore as the source port
 * changes: an active open finds a port for its lcore within a few tries. */
static void test_ports_reach_every_lcore(void **state)
{
	struct fxr_steer s;
	unsigned hits[4] = { 0 };

	(void)state;
	fxr_steer_init(&s, 4, 0, false);
	for (uint32_t port = 49152; port < 49152 + 4096; port++)
		hits[fxr_steer_owner(&s, inet_addr("10.210.0.2"), inet_addr("10.210.11.2"),
			htons(4747), htons((uint16_t)port))]++;
	for (int l = 0; l < 4; l++)
		assert_true(hits[l] > 4096 / 4 / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_matches_published_vector),
		cmocka_unit_test(test_hash_is_toeplitz_with_the_symmetric_key),
		cmocka_unit_test(test_owner_is_the_same_both_ways),
		cmocka_unit_test(test_table_mapping),
		cmocka_unit_test(test_ports_reach_every_lcore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
