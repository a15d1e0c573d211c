/* FXR/1 codes: values and names as DESIGN.md §2 lists them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fxr/code.h"

static void test_values_and_names(void **state)
{
	(void)state;
	static const char *const want[] = {
		"OK", "NOT_FOUND", "OFFLINE", "BUSY", "REJECTED", "FORBIDDEN", "TIMEOUT",
		"UNREACHABLE", "PROTOCOL", "AUTH", "SHUTDOWN", "PEER_LOST", "RATE_LIMITED",
		"INTERNAL", "PEER_RELEASED", "LOGGED_OUT",
	};
	assert_int_equal(FXR_CODE_COUNT, 16);
	for (unsigned i = 0; i < 16; i++) {
		assert_string_equal(fxr_code_name((uint16_t)i), want[i]);
		assert_non_null(fxr_code_text((uint16_t)i));
		assert_string_not_equal(fxr_code_text((uint16_t)i), "unknown code");
	}
	assert_int_equal(FXR_CODE_PEER_RELEASED, 14);
	assert_int_equal(FXR_CODE_LOGGED_OUT, 15);
}

static void test_unknown(void **state)
{
	(void)state;
	assert_string_equal(fxr_code_name(16), "UNKNOWN");
	assert_string_equal(fxr_code_name(65535), "UNKNOWN");
	assert_string_equal(fxr_code_text(16), "unknown code");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_names),
		cmocka_unit_test(test_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
