/* Device identifier validation (DESIGN.md §2). */
#include <string.h>

#include "fxr/devid.h"

/* The identifier alphabet: [A-Za-z0-9._@+-]. */
static bool devid_byte_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

bool fxr_devid_valid(const uint8_t *p, size_t n)
{
	if (n == 0 || n > FXR_DEVID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!devid_byte_ok(p[i]))
			return false;
	return true;
}

bool fxr_devid_valid_cstr(const char *s)
{
	size_t n = strnlen(s, FXR_DEVID_MAX + 1);
	return fxr_devid_valid((const uint8_t *)s, n);
}
