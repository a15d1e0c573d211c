/* services.h: the built-in TCP services of fxr-dataplane (DESIGN.md §7 --service), for tests
 * and for operators checking a link: echo (RFC 862) and discard (RFC 863). */
#ifndef FXR_TCP_SERVICES_H
#define FXR_TCP_SERVICES_H

#include <stdint.h>

#include "tcp_app.h"

struct fxr_lcore;

extern const struct fxr_tcp_app fxr_service_echo;
extern const struct fxr_tcp_app fxr_service_discard;

/* Opens the listeners the config asks for (echo_port, discard_port) on lc's stack. Main
 * thread, after fxr_tcp_init(). Returns 0 or a negative errno (fxr_tcp_listen()). */
int fxr_services_start(struct fxr_lcore *lc, uint16_t echo_port, uint16_t discard_port);

#endif
