/* Test vectors: one well-formed frame of every FXR/1 type, as a message and as the exact
 * bytes written out by hand from DESIGN.md §2 (not produced by the encoder under test).
 * Multi-byte fields hold values whose bytes differ (no 0 or 0x0101), so a byte-order or
 * offset slip in the codec changes the bytes and fails a test. */
#ifndef FXR_TEST_VECTORS_H
#define FXR_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "fxr/frame.h"

struct test_vector {
	const char *name;
	struct fxr_msg msg;
	const uint8_t *wire;
	size_t wire_len;
};

extern const struct test_vector test_vectors[];
extern const size_t test_vectors_count;

/* The seeds' sequence as one byte stream both directions interleaved, built from
 * test_vectors by name. Writes at most cap bytes into buf; returns the length. */
size_t test_sequence_build(uint8_t *buf, size_t cap);

/* The vector named name (aborts when there is none: a typo in a test). */
const struct test_vector *test_vector_get(const char *name);

#endif
