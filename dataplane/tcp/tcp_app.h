/* tcp_app.h: the interface between the TCP stack and an application on the same lcore (the
 * built-in services, later the relay). Callbacks run on the TCB's lcore, from inside packet
 * or timer processing; they may call fxr_tcp_send(), fxr_tcp_shutdown(), fxr_tcp_abort() and
 * fxr_tcp_recv_done() on the TCB they are given, but must not keep the TCB pointer after
 * on_close(). */
#ifndef FXR_TCP_APP_H
#define FXR_TCP_APP_H

#include <stdint.h>

struct fxr_lcore;
struct fxr_tcb;
struct rte_mbuf;

struct fxr_tcp_app {
	const char *name;
	/* Passive open: a connection to a listening port reached ESTABLISHED. ctx is the
	 * listener's. Returns the per-connection context (stored in tcb->app_ctx), or NULL
	 * to refuse: the connection is then reset. */
	void *(*on_accept)(struct fxr_lcore *lc, struct fxr_tcb *tcb, void *ctx);
	/* Active open (fxr_tcp_connect()) reached ESTABLISHED. May be NULL. */
	void (*on_connected)(struct fxr_lcore *lc, struct fxr_tcb *tcb);
	/* In-order payload: m is a chain of mbufs whose data is payload only (headers
	 * stripped), `len` bytes in all. The app owns m from now on. The bytes count against
	 * the receive window until the app calls fxr_tcp_recv_done() for them. */
	void (*on_data)(struct fxr_lcore *lc, struct fxr_tcb *tcb, struct rte_mbuf *m,
		uint32_t len);
	/* The peer's FIN: no more data will come (half-close; we may still send). May be NULL. */
	void (*on_peer_fin)(struct fxr_lcore *lc, struct fxr_tcb *tcb);
	/* `acked` bytes of the send queue were acknowledged and freed. May be NULL. */
	void (*on_sent)(struct fxr_lcore *lc, struct fxr_tcb *tcb, uint32_t acked);
	/* The connection is over for the app: reason 0 (both sides closed), -ECONNRESET,
	 * -ECONNREFUSED (active open refused), -ETIMEDOUT. The TCB may linger in TIME-WAIT
	 * but the app must forget it now. */
	void (*on_close)(struct fxr_lcore *lc, struct fxr_tcb *tcb, int reason);
};

#endif
