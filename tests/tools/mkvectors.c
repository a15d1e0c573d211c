/* fxr-mkvectors DIR: writes DIR/<TYPE>.bin, one hand-written frame a type, and
 * DIR/sequence.bin, the seeds' sequence as one stream (tests/unit/vectors.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vectors.h"

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s.bin", dir, name) >= (int)sizeof(path)) {
		fprintf(stderr, "fxr-mkvectors: path too long\n");
		return -1;
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "fxr-mkvectors: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fxr-mkvectors DIR\n");
		return 2;
	}
	for (size_t i = 0; i < test_vectors_count; i++)
		if (write_file(argv[1], test_vectors[i].name, test_vectors[i].wire,
			       test_vectors[i].wire_len))
			return 1;
	static uint8_t seq[4096];
	size_t n = test_sequence_build(seq, sizeof(seq));
	return write_file(argv[1], "sequence", seq, n) ? 1 : 0;
}
