/* dataplane/opts.c: fxr-dataplane's application options (DESIGN.md §7). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

enum {
	OPT_IP = 256,
	OPT_GW,
	OPT_PORT,
	OPT_SERVICE,
	OPT_CHANNEL,
	OPT_BUSY_POLL,
	OPT_FAULT,
	OPT_TX_FLUSH_US,
	OPT_TIME_WAIT_MS,
	OPT_CONNECT_CHECK,
	OPT_MAX_CONNS,
	OPT_MBUFS,
	OPT_XL_RING,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "ip", required_argument, NULL, OPT_IP },
	{ "gw", required_argument, NULL, OPT_GW },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "service", required_argument, NULL, OPT_SERVICE },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "busy-poll", no_argument, NULL, OPT_BUSY_POLL },
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "tx-flush-us", required_argument, NULL, OPT_TX_FLUSH_US },
	{ "time-wait-ms", required_argument, NULL, OPT_TIME_WAIT_MS },
	{ "connect-check", required_argument, NULL, OPT_CONNECT_CHECK },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "mbufs", required_argument, NULL, OPT_MBUFS },
	{ "xl-ring", required_argument, NULL, OPT_XL_RING },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void fxr_opts_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [EAL options] -- --ip ADDR/PLEN [options]\n"
		"\n"
		"  --ip ADDR/PLEN      our IPv4 address and prefix length on the port (required)\n"
		"  --gw ADDR           default gateway for destinations off the prefix\n"
		"  --port N            FXR/1 relay TCP port (default %d)\n"
		"  --service echo=N    built-in TCP echo service (RFC 862) on port N\n"
		"  --service discard=N built-in TCP discard service (RFC 863) on port N\n"
		"  --channel NAME      shared-memory plane channel /fxr-NAME to fxr-controlplane\n"
		"                      (default \"%s\")\n"
		"  --busy-poll         never sleep when idle (for dedicated cores); by default the loop\n"
		"                      sleeps after empty polls, growing up to ~1 ms\n"
		"  --fault DIR:SPEC    seeded fault injection on DIR (rx or tx); SPEC is a comma list of\n"
		"                      drop=P dup=P reorder=P delay=P corrupt=P (probabilities 0..1),\n"
		"                      delay_us=N (default 1000), seed=N; may be given once per DIR,\n"
		"                      e.g. --fault rx:drop=0.05,reorder=0.2,seed=42\n"
		"  --tx-flush-us N     flush the TX buffer at most N us after its first packet\n"
		"                      (default %d)\n"
		"  --time-wait-ms N    TCP TIME-WAIT length in ms (default %d; RFC 9293's 2 MSL is\n"
		"                      minutes, a relay with many short connections wants less)\n"
		"  --max-conns N       TCP connections per lcore (default %u, at most %u): the TCB\n"
		"                      and relay tables, sized at start from hugepages (about 1 KB\n"
		"                      each: give EAL -m accordingly; a start-up line says how much)\n"
		"  --mbufs N           packet buffers in the port's pool (default: what the queues\n"
		"                      need, at least 8191; at most %u): what busy connections hold\n"
		"                      (receive windows, send queues) comes from it; when it runs\n"
		"                      low, relaying pauses and arriving data is dropped (counted)\n"
		"                      rather than the loop stalling; about 2.3 KB each (EAL -m)\n"
		"  --xl-ring N         messages each ring between two lcores holds (a power of two,\n"
		"                      4..%u, default %u): segments handed to the lcore owning\n"
		"                      their flow, and the relay's traffic for pairs across lcores\n"
		"  --connect-check ADDR:PORT[,bytes=N]\n"
		"                      link check at start: open a TCP connection from the dataplane\n"
		"                      to an echo server (RFC 862), send N bytes (default %u, at most\n"
		"                      %u; 0: connect and close), check they come back, log the\n"
		"                      result and count it (conncheck_*); up to %d, on the first lcore\n"
		"  --help              this text\n"
		"\n"
		"Counters: telemetry command /fxr/counters (dpdk-telemetry.py), and printed at exit.\n"
		"Stop with SIGINT or SIGTERM.\n",
		prog, FXR_DP_TCP_PORT_DEFAULT, FXR_DP_CHANNEL_DEFAULT, FXR_DP_TX_FLUSH_US_DEFAULT,
		FXR_DP_TIME_WAIT_MS_DEFAULT, FXR_DP_MAX_CONNS_DEFAULT, FXR_DP_MAX_CONNS_MAX,
		FXR_DP_MBUFS_MAX, FXR_DP_XL_RING_MAX, FXR_DP_XL_RING_DEFAULT,
		FXR_DP_CONNCHECK_BYTES_DEFAULT,
		FXR_DP_CONNCHECK_BYTES_MAX, FXR_DP_CONNCHECK_MAX);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Parses a decimal unsigned integer in [min, max]; the whole string must be the number. */
static int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_prob(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0 && v <= 1.0))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ip_plen(const char *arg, struct fxr_dp_config *cfg, char *err, size_t errlen)
{
	char buf[32];
	const char *slash = strchr(arg, '/');
	unsigned long long plen;
	struct in_addr a;

	if (slash == NULL || (size_t)(slash - arg) >= sizeof(buf))
		return fail(err, errlen, "--ip %s: expected ADDR/PLEN, e.g. 10.0.0.2/24", arg);
	memcpy(buf, arg, (size_t)(slash - arg));
	buf[slash - arg] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return fail(err, errlen, "--ip %s: '%s' is not an IPv4 address", arg, buf);
	if (parse_uint(slash + 1, 1, 32, &plen) < 0)
		return fail(err, errlen, "--ip %s: prefix length must be 1..32", arg);
	if (a.s_addr == 0 || a.s_addr == htonl(0xffffffffu) || (ntohl(a.s_addr) >> 28) == 0xe)
		return fail(err, errlen, "--ip %s: not a unicast address", arg);
	cfg->ip = a.s_addr;
	cfg->plen = (uint8_t)plen;
	cfg->netmask = htonl(plen == 32 ? 0xffffffffu : ~(0xffffffffu >> plen));
	return 0;
}

static int parse_service(const char *arg, struct fxr_dp_config *cfg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	unsigned long long port;
	uint16_t *slot;

	if (eq == NULL)
		return fail(err, errlen, "--service %s: expected echo=PORT or discard=PORT", arg);
	if ((size_t)(eq - arg) == 4 && strncmp(arg, "echo", 4) == 0)
		slot = &cfg->echo_port;
	else if ((size_t)(eq - arg) == 7 && strncmp(arg, "discard", 7) == 0)
		slot = &cfg->discard_port;
	else
		return fail(err, errlen, "--service %s: unknown service (echo, discard)", arg);
	if (parse_uint(eq + 1, 1, 65535, &port) < 0)
		return fail(err, errlen, "--service %s: port must be 1..65535", arg);
	*slot = (uint16_t)port;
	return 0;
}

/* --connect-check ADDR:PORT[,bytes=N] */
static int parse_conncheck(const char *arg, struct fxr_dp_config *cfg, char *err, size_t errlen)
{
	struct fxr_conncheck_spec *c;
	const char *colon = strchr(arg, ':');
	const char *comma;
	char buf[32];
	struct in_addr a;
	unsigned long long n;

	if (cfg->n_conncheck == FXR_DP_CONNCHECK_MAX)
		return fail(err, errlen, "--connect-check: at most %d", FXR_DP_CONNCHECK_MAX);
	c = &cfg->conncheck[cfg->n_conncheck];
	if (colon == NULL || (size_t)(colon - arg) >= sizeof(buf))
		return fail(err, errlen, "--connect-check %s: expected ADDR:PORT[,bytes=N]", arg);
	memcpy(buf, arg, (size_t)(colon - arg));
	buf[colon - arg] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || a.s_addr == 0)
		return fail(err, errlen, "--connect-check %s: '%s' is not an IPv4 address", arg, buf);
	c->addr = a.s_addr;
	comma = strchr(colon + 1, ',');
	snprintf(buf, sizeof(buf), "%.*s",
		(int)(comma != NULL ? (size_t)(comma - colon - 1) : strlen(colon + 1)), colon + 1);
	if (parse_uint(buf, 1, 65535, &n) < 0)
		return fail(err, errlen, "--connect-check %s: port must be 1..65535", arg);
	c->port = (uint16_t)n;
	c->bytes = FXR_DP_CONNCHECK_BYTES_DEFAULT;
	if (comma != NULL) {
		if (strncmp(comma + 1, "bytes=", 6) != 0
			|| parse_uint(comma + 7, 0, FXR_DP_CONNCHECK_BYTES_MAX, &n) < 0)
			return fail(err, errlen, "--connect-check %s: expected bytes=0..%u after the port",
				arg, FXR_DP_CONNCHECK_BYTES_MAX);
		c->bytes = (uint32_t)n;
	}
	cfg->n_conncheck++;
	return 0;
}

int fxr_opts_parse_fault(const char *arg, struct fxr_dp_config *cfg, char *err, size_t errlen)
{
	struct fxr_fault_spec *f;
	char buf[256];
	char *save = NULL;
	int dir;

	if (strncmp(arg, "rx:", 3) == 0)
		dir = FXR_FAULT_RX;
	else if (strncmp(arg, "tx:", 3) == 0)
		dir = FXR_FAULT_TX;
	else
		return fail(err, errlen, "--fault %s: must start with rx: or tx:", arg);
	if (strlen(arg + 3) >= sizeof(buf))
		return fail(err, errlen, "--fault: argument too long");
	f = &cfg->fault[dir];
	if (f->enabled)
		return fail(err, errlen, "--fault %s: %s given twice", arg, dir == FXR_FAULT_RX ? "rx" : "tx");
	memset(f, 0, sizeof(*f));
	f->delay_us = 1000;
	f->seed = 1;
	strcpy(buf, arg + 3);
	for (char *kv = strtok_r(buf, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		unsigned long long n;
		int rc = 0;

		if (eq == NULL)
			return fail(err, errlen, "--fault %s: '%s' is not key=value", arg, kv);
		*eq = '\0';
		const char *v = eq + 1;

		if (strcmp(kv, "drop") == 0)
			rc = parse_prob(v, &f->drop);
		else if (strcmp(kv, "dup") == 0)
			rc = parse_prob(v, &f->dup);
		else if (strcmp(kv, "reorder") == 0)
			rc = parse_prob(v, &f->reorder);
		else if (strcmp(kv, "delay") == 0)
			rc = parse_prob(v, &f->delay);
		else if (strcmp(kv, "corrupt") == 0)
			rc = parse_prob(v, &f->corrupt);
		else if (strcmp(kv, "delay_us") == 0) {
			rc = parse_uint(v, 1, 1000000, &n);
			f->delay_us = (uint32_t)n;
		} else if (strcmp(kv, "seed") == 0) {
			rc = parse_uint(v, 0, UINT64_MAX, &n);
			f->seed = n;
		} else
			return fail(err, errlen,
				"--fault %s: unknown key '%s' (drop dup reorder delay corrupt delay_us seed)",
				arg, kv);
		if (rc < 0)
			return fail(err, errlen, "--fault %s: bad value for %s: '%s'%s", arg, kv, v,
				strcmp(kv, "seed") == 0 || strcmp(kv, "delay_us") == 0 ? ""
					: " (a probability 0..1)");
	}
	f->enabled = true;
	return 0;
}

int fxr_opts_parse(int argc, char **argv, struct fxr_dp_config *cfg, char *err, size_t errlen)
{
	bool have_ip = false;
	int opt;
	int rc = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->tcp_port = FXR_DP_TCP_PORT_DEFAULT;
	cfg->tx_flush_us = FXR_DP_TX_FLUSH_US_DEFAULT;
	cfg->time_wait_ms = FXR_DP_TIME_WAIT_MS_DEFAULT;
	cfg->max_conns = FXR_DP_MAX_CONNS_DEFAULT;
	cfg->xl_ring = FXR_DP_XL_RING_DEFAULT;
	strcpy(cfg->channel, FXR_DP_CHANNEL_DEFAULT);

	optind = 0;
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		unsigned long long n;
		struct in_addr a;

		switch (opt) {
		case OPT_IP:
			rc = parse_ip_plen(optarg, cfg, err, errlen);
			have_ip = rc == 0;
			break;
		case OPT_GW:
			if (inet_pton(AF_INET, optarg, &a) != 1 || a.s_addr == 0)
				rc = fail(err, errlen, "--gw %s: not an IPv4 address", optarg);
			cfg->gw = a.s_addr;
			break;
		case OPT_PORT:
			if (parse_uint(optarg, 1, 65535, &n) < 0)
				rc = fail(err, errlen, "--port %s: must be 1..65535", optarg);
			cfg->tcp_port = (uint16_t)n;
			break;
		case OPT_SERVICE:
			rc = parse_service(optarg, cfg, err, errlen);
			break;
		case OPT_CHANNEL:
			if (optarg[0] == '\0' || strlen(optarg) > FXR_DP_CHANNEL_MAX
				|| strchr(optarg, '/') != NULL)
				rc = fail(err, errlen, "--channel: 1..%d characters without '/'",
					FXR_DP_CHANNEL_MAX);
			else
				strcpy(cfg->channel, optarg);
			break;
		case OPT_BUSY_POLL:
			cfg->busy_poll = true;
			break;
		case OPT_FAULT:
			rc = fxr_opts_parse_fault(optarg, cfg, err, errlen);
			break;
		case OPT_TX_FLUSH_US:
			if (parse_uint(optarg, 1, 100000, &n) < 0)
				rc = fail(err, errlen, "--tx-flush-us %s: must be 1..100000", optarg);
			cfg->tx_flush_us = (uint32_t)n;
			break;
		case OPT_TIME_WAIT_MS:
			if (parse_uint(optarg, 1, 240000, &n) < 0)
				rc = fail(err, errlen, "--time-wait-ms %s: must be 1..240000", optarg);
			cfg->time_wait_ms = (uint32_t)n;
			break;
		case OPT_MAX_CONNS:
			if (parse_uint(optarg, 8, FXR_DP_MAX_CONNS_MAX, &n) < 0)
				rc = fail(err, errlen, "--max-conns %s: must be 8..%u", optarg,
					FXR_DP_MAX_CONNS_MAX);
			cfg->max_conns = (uint32_t)n;
			break;
		case OPT_MBUFS:
			if (parse_uint(optarg, 1, FXR_DP_MBUFS_MAX, &n) < 0)
				rc = fail(err, errlen, "--mbufs %s: must be 1..%u", optarg,
					FXR_DP_MBUFS_MAX);
			cfg->mbufs = (uint32_t)n;
			break;
		case OPT_XL_RING:
			if (parse_uint(optarg, 4, FXR_DP_XL_RING_MAX, &n) < 0 || (n & (n - 1)) != 0)
				rc = fail(err, errlen, "--xl-ring %s: must be a power of two, 4..%u",
					optarg, FXR_DP_XL_RING_MAX);
			cfg->xl_ring = (uint32_t)n;
			break;
		case OPT_CONNECT_CHECK:
			rc = parse_conncheck(optarg, cfg, err, errlen);
			break;
		case 'h':
		case OPT_HELP:
			optind = 0;
			return 1;
		case ':':
			rc = fail(err, errlen, "%s needs an argument", argv[optind - 1]);
			break;
		default:
			rc = fail(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
			break;
		}
	}
	if (rc == 0 && optind < argc)
		rc = fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (rc == 0 && !have_ip)
		rc = fail(err, errlen, "--ip ADDR/PLEN is required");
	if (rc == 0 && cfg->gw != 0 && (cfg->gw & cfg->netmask) != (cfg->ip & cfg->netmask))
		rc = fail(err, errlen, "--gw is not inside the --ip prefix");
	optind = 0;
	return rc;
}
