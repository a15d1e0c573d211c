/* fxr-controlplane: logging (one line each, UTC timestamps, to stderr), the monotonic
 * clock, and address formatting. */
#include <stdio.h>
#include <time.h>

#include "cp.h"

uint64_t cp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cp_log(int level, const char *fmt, ...)
{
	if (level > cp_log_level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ fxr-controlplane %s: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000L, fxr_log_level_name(level), line);
}

void cp_fmt_addr(const struct fxr_chan_addr *a, char *out, size_t cap)
{
	if (a->family == 4)
		snprintf(out, cap, "%u.%u.%u.%u:%u", a->addr[0], a->addr[1], a->addr[2],
			 a->addr[3], a->remote_port);
	else if (a->family == 6)
		snprintf(out, cap,
			 "[%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x]:%u",
			 a->addr[0], a->addr[1], a->addr[2], a->addr[3], a->addr[4], a->addr[5],
			 a->addr[6], a->addr[7], a->addr[8], a->addr[9], a->addr[10], a->addr[11],
			 a->addr[12], a->addr[13], a->addr[14], a->addr[15], a->remote_port);
	else
		snprintf(out, cap, "-");
}
