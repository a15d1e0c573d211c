/* fxr/devid.h: device identifiers (DESIGN.md §2): 1..64 bytes of [A-Za-z0-9._@+-]. */
#ifndef FXR_DEVID_H
#define FXR_DEVID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FXR_DEVID_MAX 64

/* True when p[0..n) is a valid device identifier. Reads exactly n bytes; p may be NULL
 * only when n is 0 (which is invalid). */
bool fxr_devid_valid(const uint8_t *p, size_t n);

/* Same for a NUL-terminated C string (command lines, the registry). */
bool fxr_devid_valid_cstr(const char *s);

#endif
