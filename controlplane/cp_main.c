/* fxr-controlplane: the control plane's process (DESIGN.md §1, §3, §7).
 *
 * One epoll loop, one thread. It attaches to the dataplane's plane channel (retrying with
 * back-off until the dataplane has created it), asks for a dump and rebuilds its tables from
 * it, then turns dataplane events into session-machine events and the machine's actions into
 * channel messages. It never blocks on the dataplane: a full channel queue parks the message
 * in a bounded per-lane backlog that is retried on every loop turn. This file holds the
 * tables, the timer, the loop and main; the rest is split by concern (see cp.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cp.h"
#include "fxr/chan_shm.h"
#include "idmap.h"
#include "session.h"
#include "throttle.h"

int cp_log_level = FXR_LOG_INFO;

int cp_tables_init(struct cp *cp, char *err, size_t errlen)
{
	struct fxr_sess_cfg sc;
	fxr_sess_cfg_defaults(&sc, cp->cfg.max_conns);
	sc.max_devices = cp->cfg.max_devices;
	sc.conn_limit = cp->cfg.conn_limit;
	sc.keepalive_s = cp->cfg.keepalive_s;
	sc.idle_timeout_s = cp->cfg.idle_timeout_s;
	sc.preauth_ms = cp->cfg.preauth_ms;
	sc.answer_ms = cp->cfg.answer_ms;
	sc.seed = cp_now_ms() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
	struct fxr_sess_policy pol = { .known = cp_policy_known, .ctx = cp };
	int rc = fxr_sess_init(&cp->sess, &sc, &pol, cp_on_action, cp);
	if (rc) {
		snprintf(err, errlen, "session tables for %u connections: %s", cp->cfg.max_conns,
			 strerror(-rc));
		return rc;
	}
	cp->conns = calloc(cp->cfg.max_conns, sizeof(*cp->conns));
	if (!cp->conns || fxr_idmap_u64_init(&cp->conn_by_id, cp->cfg.max_conns, sc.seed + 1)) {
		snprintf(err, errlen, "connection table: out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cp->cfg.max_conns; i++)
		cp->conns[i].next_free = i + 1 < cp->cfg.max_conns ? i + 1 : CP_NONE;
	cp->conn_free = 0;
	return 0;
}

void cp_tables_fini(struct cp *cp)
{
	if (cp->conns) {
		for (uint32_t i = 0; i < cp->cfg.max_conns; i++)
			cp_scram_drop(&cp->conns[i]);
		fxr_idmap_u64_fini(&cp->conn_by_id);
		free(cp->conns);
		cp->conns = NULL;
	}
	fxr_sess_fini(&cp->sess);
}

/* The dataplane died: its connections are gone; start afresh for the next one. */
void cp_tables_reset(struct cp *cp)
{
	char err[160];
	cp_tables_fini(cp);
	if (cp_tables_init(cp, err, sizeof(err)) != 0) {
		cp_log(FXR_LOG_ERROR, "%s", err);
		cp->stop = true;
	}
}

int cp_kick(struct cp *cp, const char *id, uint16_t code, const char *text)
{
	int rc = fxr_sess_kick(&cp->sess, (const uint8_t *)id, (uint8_t)strlen(id), code, text);
	cp_after_event(cp);
	return rc;
}
static void on_timer(struct cp *cp)
{
	uint64_t expirations;
	if (read(cp->tfd, &expirations, sizeof(expirations)) < 0)
		return;
	uint64_t now = cp_now_ms();
	if (!cp->chan) {
		if (now >= cp->next_attach_ms)
			cp_try_attach(cp, now);
		return;
	}
	if (!fxr_chan_peer_alive(cp->chan)) {
		cp_log(FXR_LOG_WARN, "the dataplane of channel %s is gone: dropping %u connections,"
		       " waiting for a new one", cp->cfg.channel, cp->sess.conn_count);
		cp_detach(cp);
		cp_tables_reset(cp);
		cp->next_attach_ms = now;
		return;
	}
	if (cp->phase == CP_RUNNING) {
		fxr_sess_tick(&cp->sess, now);
		cp_after_event(cp);
	}
	if (now - cp->last_expire_ms >= 1000) {
		cp->last_expire_ms = now;
		fxr_throttle_expire(&cp->thr_addr, now);
		fxr_throttle_expire(&cp->thr_dev, now);
	}
}
static void usage(FILE *f)
{
	fprintf(f,
		"usage: fxr-controlplane --db PATH [--channel NAME] [--ops-socket PATH]\n"
		"                        [--ops-group GROUP] [--config FILE] [--log-level LEVEL]\n"
		"       fxr-controlplane --list-counters\n"
		"\n"
		"  --channel NAME      plane channel the dataplane created (default fxr)\n"
		"  --db PATH           device registry, SQLite (created if missing)\n"
		"  --ops-socket PATH   ops API unix socket (default /run/fxr-<channel>.sock)\n"
		"  --ops-group GROUP   group of the ops socket (mode 0660; default: the process's)\n"
		"  --config FILE       key = value settings (docs/operations.md)\n"
		"  --log-level LEVEL   error, warn, info (default) or debug\n"
		"  --list-counters     print every counter name and meaning, then exit\n");
}

static void list_counters(void)
{
#define P(sec, name, help) printf("%s.%s\t%s\n", sec, #name, help);
#define P_CP(name, help) P("controlplane", name, help)
	FXR_CP_COUNTER_LIST(P_CP)
#define P_SESS(name, help) P("session", name, help)
	FXR_SESS_COUNTER_LIST(P_SESS)
#define P_THR(name, help) P("throttle", name, help)
	FXR_THROTTLE_COUNTER_LIST(P_THR)
#undef P_CP
#undef P_SESS
#undef P_THR
#undef P
	printf("channel.sent\tmessages enqueued on the lane in that direction\n"
	       "channel.received\tmessages dequeued (one a dead control plane lost included)\n"
	       "channel.full\tsends refused because the queue was full\n"
	       "channel.reclaimed\tslots recovered from dead control-plane processes\n"
	       "channel.skipped\tempty descriptors skipped by the consumer\n"
	       "channel.bad\tcorrupt descriptors dropped by the consumer\n"
	       "channel.in_flight\tmessages enqueued and not yet dequeued (snapshot)\n");
}

int main(int argc, char **argv)
{
	static struct cp cp_; /* zeroed */
	struct cp *cp = &cp_;
	const char *config = NULL;
	const char *ops_socket = NULL;
	const char *level = NULL;
	const char *ops_group = NULL;
	char err[512];

	cp_cfg_defaults(&cp->cfg);
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "ops-socket", required_argument, NULL, 's' },
		{ "ops-group", required_argument, NULL, 'g' },
		{ "config", required_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "list-counters", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': cp->cfg.channel = optarg; break;
		case 'd': cp->cfg.db = optarg; break;
		case 's': ops_socket = optarg; break;
		case 'g': ops_group = optarg; break;
		case 'f': config = optarg; break;
		case 'l': level = optarg; break;
		case 'L': list_counters(); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fxr-controlplane: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	if (config && cp_cfg_load(&cp->cfg, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "fxr-controlplane: %s\n", err);
		return 2;
	}
	if (ops_group && cp_cfg_set_group(&cp->cfg, ops_group, err, sizeof(err)) != 0) {
		fprintf(stderr, "fxr-controlplane: --ops-group: %s\n", err);
		return 2;
	}
	if (level && (cp->cfg.log_level = fxr_log_level_parse(level)) < 0) {
		fprintf(stderr, "fxr-controlplane: --log-level: error, warn, info or debug\n");
		return 2;
	}
	cp_log_level = cp->cfg.log_level;
	if (!cp->cfg.db) {
		fprintf(stderr, "fxr-controlplane: --db PATH is required (see --help)\n");
		return 2;
	}
	if (ops_socket) {
		if (strlen(ops_socket) >= sizeof(cp->cfg.ops_socket)) {
			fprintf(stderr, "fxr-controlplane: --ops-socket: path too long\n");
			return 2;
		}
		snprintf(cp->cfg.ops_socket, sizeof(cp->cfg.ops_socket), "%s", ops_socket);
	} else if (!cp->cfg.ops_socket[0]) {
		snprintf(cp->cfg.ops_socket, sizeof(cp->cfg.ops_socket), "/run/fxr-%s.sock",
			 cp->cfg.channel);
	}

	int rc = fxr_registry_open(&cp->reg, cp->cfg.db, err, sizeof(err));
	if (rc == 0)
		rc = fxr_registry_set_iterations(cp->reg, cp->cfg.scram_iterations, err,
						 sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "fxr-controlplane: registry %s: %s\n", cp->cfg.db, err);
		fxr_registry_close(cp->reg);
		return 1;
	}
	struct fxr_throttle_cfg tc;
	fxr_throttle_cfg_defaults(&tc, cp->cfg.throttle_entries);
	tc.free_failures = cp->cfg.throttle_free_failures;
	tc.base_block_ms = cp->cfg.throttle_base_block_ms;
	tc.max_block_ms = cp->cfg.throttle_max_block_ms;
	tc.forget_ms = cp->cfg.throttle_forget_ms;
	uint64_t seed = cp_now_ms() ^ ((uint64_t)getpid() << 32);
	cp->txbuf = malloc(FXR_CHAN_MSG_C2D_MAX);
	if (!cp->txbuf || cp_tables_init(cp, err, sizeof(err)) != 0 ||
	    fxr_throttle_init(&cp->thr_addr, &tc, seed) != 0 ||
	    fxr_throttle_init(&cp->thr_dev, &tc, seed * 31 + 7) != 0) {
		fprintf(stderr, "fxr-controlplane: %s\n", err[0] ? err : "throttle tables");
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	cp->epfd = epoll_create1(EPOLL_CLOEXEC);
	cp->sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	cp->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { .it_interval = { 0, CP_TICK_MS * 1000000L },
				  .it_value = { 0, 1000000L } };
	if (cp->epfd < 0 || cp->sfd < 0 || cp->tfd < 0 ||
	    timerfd_settime(cp->tfd, 0, &its, NULL) != 0) {
		fprintf(stderr, "fxr-controlplane: epoll/signalfd/timerfd: %s\n", strerror(errno));
		return 1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cp->tfd };
	epoll_ctl(cp->epfd, EPOLL_CTL_ADD, cp->tfd, &ev);
	ev.data.ptr = &cp->sfd;
	epoll_ctl(cp->epfd, EPOLL_CTL_ADD, cp->sfd, &ev);
	if (cp_ops_listen(cp, err, sizeof(err)) != 0) {
		fprintf(stderr, "fxr-controlplane: ops socket %s: %s\n", cp->cfg.ops_socket, err);
		return 1;
	}
	cp->start_ms = cp_now_ms();
	cp->attach_backoff_ms = CP_ATTACH_MIN_MS;
	cp->next_attach_ms = 0;
	cp_log(FXR_LOG_INFO, "started: channel %s, db %s, ops socket %s, pid %d",
	       cp->cfg.channel, cp->cfg.db, cp->cfg.ops_socket, (int)getpid());

	unsigned idle_turns = 0;
	while (!cp->stop) {
		unsigned work = 0;
		if (cp->chan) {
			work += cp_drain_backlogs(cp);
			work += cp_poll_channel(cp);
		}
		idle_turns = work ? 0 : idle_turns + 1;
		/* back off when idle: poll the rings each 1 ms for a while, then each 10 ms */
		int timeout = work ? 0 : idle_turns < 200 ? 1 : 10;
		struct epoll_event evs[32];
		int n = epoll_wait(cp->epfd, evs, 32, timeout);
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;
			if (tag == &cp->tfd) {
				on_timer(cp);
			} else if (tag == &cp->sfd) {
				struct signalfd_siginfo si;
				if (read(cp->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					cp_log(FXR_LOG_INFO, "signal %u: stopping", si.ssi_signo);
					cp->stop = true;
				}
			} else {
				cp_ops_event(cp, tag, evs[i].events);
			}
		}
	}
	cp_ops_close_all(cp);
	if (cp->chan)
		cp_detach(cp);
	cp_tables_fini(cp);
	fxr_throttle_fini(&cp->thr_addr);
	fxr_throttle_fini(&cp->thr_dev);
	fxr_registry_close(cp->reg);
	free(cp->kill);
	free(cp->txbuf);
	close(cp->tfd);
	close(cp->sfd);
	close(cp->epfd);
	cp_log(FXR_LOG_INFO, "stopped");
	return 0;
}
