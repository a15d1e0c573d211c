/* Command-line pieces shared by device programs; see fxr/cli.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fxr/cli.h"

int fxr_cli_parse_relay(const char *arg, char *host, size_t host_cap, uint16_t *port)
{
	const char *p = NULL;
	size_t hlen;
	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');
		if (!end)
			return -EINVAL;
		hlen = (size_t)(end - arg - 1);
		arg++;
		if (end[1] == ':')
			p = end + 2;
		else if (end[1])
			return -EINVAL;
	} else {
		const char *colon = strrchr(arg, ':');
		hlen = colon ? (size_t)(colon - arg) : strlen(arg);
		if (colon)
			p = colon + 1;
	}
	if (hlen == 0 || hlen >= host_cap)
		return -EINVAL;
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	if (p) {
		char *e;
		long v = strtol(p, &e, 10);
		if (*p == '\0' || *e || v < 1 || v > 65535)
			return -EINVAL;
		*port = (uint16_t)v;
	}
	return 0;
}

int fxr_cli_read_password(const char *path, struct fxr_cli_secret *s, char *err, size_t errlen)
{
	FILE *f = stdin;
	if (path) {
		f = fopen(path, "r");
		if (!f) {
			int e = errno;
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			return -e;
		}
	}
	bool ok = fgets(s->password, sizeof(s->password), f) != NULL;
	if (f != stdin)
		fclose(f);
	size_t n = ok ? strlen(s->password) : 0;
	while (n && (s->password[n - 1] == '\n' || s->password[n - 1] == '\r'))
		s->password[--n] = '\0';
	if (n == 0 || n > FXR_SCRAM_PASSWORD_MAX) {
		fxr_cli_secret_wipe(s);
		snprintf(err, errlen, "no password (1..%u bytes on the first line)",
			 FXR_SCRAM_PASSWORD_MAX);
		return -EINVAL;
	}
	s->len = n;
	return 0;
}

void fxr_cli_secret_wipe(struct fxr_cli_secret *s)
{
	OPENSSL_cleanse(s->password, sizeof(s->password));
	s->len = 0;
}
