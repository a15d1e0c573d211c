/* Device identifiers: 1..64 bytes of [A-Za-z0-9._@+-], every byte value checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fxr/devid.h"

static void test_every_byte(void **state)
{
	(void)state;
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@+-";
	unsigned accepted = 0;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;
		bool want = c != 0 && strchr(ok, (int)c) != NULL;
		assert_int_equal(fxr_devid_valid(&b, 1), want);
		accepted += want;
	}
	assert_int_equal(accepted, 26 + 26 + 10 + 5);
}

static void test_lengths(void **state)
{
	(void)state;
	uint8_t id[65];
	memset(id, 'a', sizeof(id));
	assert_false(fxr_devid_valid(id, 0));
	assert_true(fxr_devid_valid(id, 1));
	assert_true(fxr_devid_valid(id, 64));
	assert_false(fxr_devid_valid(id, 65));
	/* a bad byte anywhere, not only first */
	id[63] = ' ';
	assert_false(fxr_devid_valid(id, 64));
}

static void test_cstr(void **state)
{
	(void)state;
	char long_id[100];
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[99] = 0;
	assert_true(fxr_devid_valid_cstr("fax-a@branch.example+1"));
	assert_false(fxr_devid_valid_cstr(""));
	assert_false(fxr_devid_valid_cstr("fax a"));
	assert_false(fxr_devid_valid_cstr(long_id));
	long_id[64] = 0;
	assert_true(fxr_devid_valid_cstr(long_id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_cstr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
