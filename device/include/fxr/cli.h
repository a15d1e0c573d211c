/* fxr/cli.h: what device command lines share (fxr-device, fxr-fax): the --relay argument
 * and the password, read from a file or standard input. */
#ifndef FXR_CLI_H
#define FXR_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "fxr/scram-t.h"

#define FXR_CLI_HOST_MAX 256

struct fxr_cli_secret {
	char password[FXR_SCRAM_PASSWORD_MAX + 2]; /* room for the line's newline */
	size_t len;
};

/* Parses HOST, HOST:PORT, [V6], or [V6]:PORT into host (NUL-terminated, < host_cap bytes)
 * and *port (left as it is when no port is given). Returns 0 or -EINVAL. */
int fxr_cli_parse_relay(const char *arg, char *host, size_t host_cap, uint16_t *port);

/* Reads the password from the first line of path (NULL: standard input): 1 to
 * FXR_SCRAM_PASSWORD_MAX bytes, the line ending dropped. Returns 0, or a negative errno with
 * a one-line reason in err. Wipe s with fxr_cli_secret_wipe() once logged in. */
int fxr_cli_read_password(const char *path, struct fxr_cli_secret *s, char *err, size_t errlen);

void fxr_cli_secret_wipe(struct fxr_cli_secret *s);

#endif
