/* fxr/client.h: libfxr, one device connection to an FXR/1 relay (DESIGN.md §2).
 *
 * Non-blocking use, one thread per client (no locking):
 *
 *     fxr_client_init(&c, NULL);
 *     fxr_client_connect(&c, "relay.example", 4747);   (or fxr_client_adopt(&c, fd))
 *     fxr_client_login(&c, "fax-a", pw, pw_len);        (queued until TCP is up)
 *     loop:
 *         poll(fxr_client_fd(&c), POLLIN | (fxr_client_wants_write(&c) ? POLLOUT : 0))
 *         readable -> fxr_client_on_readable(&c); writable -> fxr_client_on_writable(&c)
 *         fxr_client_tick(&c, monotonic_ms)
 *         while (fxr_client_next_event(&c, &ev) > 0) handle(ev)   (always drain)
 *
 * or the blocking layer: fxr_client_wait_event(&c, &ev, timeout_ms).
 *
 * Received bytes go into a bounded rx buffer through the engine's incremental scanner; a
 * frame is decoded only when whole, and only as the caller asks for events, so a caller that
 * stops reading events stops the reading of the socket (TCP flow control reaches the relay).
 * Operations queue whole frames in a bounded tx buffer and write what the socket takes;
 * when the buffer cannot hold a frame they return -ENOBUFS and queue nothing: wait for
 * fxr_client_on_writable() to make room.
 *
 * Every int function returns 0 (or a count) on success, or a negative errno; the reason is
 * then in fxr_client_reason(). Operations not allowed in the current state return -EPROTO
 * (nothing sent); a closed client returns -ENOTCONN. */
#ifndef FXR_CLIENT_H
#define FXR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "fxr/client-t.h"

/* ---- life cycle ---- */

/* Allocates the buffers (cfg NULL: defaults). State CLOSED. Returns 0, -EINVAL, -ENOMEM. */
int fxr_client_init(struct fxr_client *c, const struct fxr_client_config *cfg);

/* Closes the socket if open and frees the buffers; the password copy is wiped. */
void fxr_client_fini(struct fxr_client *c);

/* Starts a TCP connection to host:port (name resolution is blocking; the first address that
 * accepts a non-blocking connect() is used). TCP_NODELAY is set. The connect and the login
 * must complete within the login timeout, counted from the next fxr_client_tick(). State
 * CONNECTING. Returns 0, -EINVAL, -EISCONN (not CLOSED), -EHOSTUNREACH (resolution failed),
 * or connect()'s errno. */
int fxr_client_connect(struct fxr_client *c, const char *host, uint16_t port);

/* Takes over fd, an already connected stream socket (a socketpair in tests, a proxy's
 * socket): it is made non-blocking and closed by the client. State CONNECTING.
 * Returns 0, -EISCONN, -EINVAL. */
int fxr_client_adopt(struct fxr_client *c, int fd);

/* Closes the socket at once (no LOGOUT, no CLOSED event), drops queued bytes and events.
 * The client may connect again. */
void fxr_client_close(struct fxr_client *c);

/* ---- poll integration ---- */

/* The socket to poll, or -1 when CLOSED. */
int fxr_client_fd(const struct fxr_client *c);

/* True when the socket should be polled for POLLOUT (connect under way or bytes queued). */
bool fxr_client_wants_write(const struct fxr_client *c);

/* True when there is room to read more (poll for POLLIN only then). */
bool fxr_client_wants_read(const struct fxr_client *c);

/* Reads what the socket has, up to the rx buffer's room. An EOF or a socket error is
 * reported as CLOSED after the frames already received. Returns bytes read (>= 0). */
int fxr_client_on_readable(struct fxr_client *c);

/* Completes a connect, then writes queued bytes. Returns bytes written (>= 0). */
int fxr_client_on_writable(struct fxr_client *c);

/* Runs the timers with the caller's monotonic clock, in milliseconds: sends KEEPALIVE every
 * keepalive interval once logged in (skipped when the tx buffer is full), and closes the
 * connection (CLOSED, -ETIMEDOUT) when nothing was received for the idle timeout, or when
 * the connect and login took over the login timeout. Returns the milliseconds until the
 * next timer (for poll's timeout), or -1 when none is armed. */
int fxr_client_tick(struct fxr_client *c, uint64_t now_ms);

/* Reports the next event into *ev: locally made events first, then the frames received,
 * in order. Returns 1 (an event), 0 (none for now). A DATA or KEEPALIVE_ACK view stays
 * valid until the next call on this client. */
int fxr_client_next_event(struct fxr_client *c, struct fxr_client_event *ev);

/* ---- operations (each queues frames; see -ENOBUFS above) ---- */

/* Logs in as id with SCRAM-SHA-256 (engine/scram): sends AUTH_START now (queued if TCP is
 * not up yet), the proof on AUTH_CHALLENGE, and checks the relay's server signature in
 * AUTH_OK. A relay that asks for fewer than FXR_SCRAM_ITER_MIN iterations (a downgrade),
 * or whose signature is wrong, is refused: AUTH_FAILED then CLOSED. The password is copied
 * and wiped once the proof is made. State CONNECTING only; then AUTHENTICATING.
 * Returns 0, -EINVAL (bad id or password), -EPROTO, -ENOBUFS, -EIO. */
int fxr_client_login(struct fxr_client *c, const char *id, const char *password,
		     size_t pw_len);

/* Demands a connection to dest (IDLE only; then CALLING). *req_id gets the id that
 * CONNECTED or CONNECT_FAILED will carry. Returns 0, -EINVAL, -EPROTO, -ENOBUFS. */
int fxr_client_call(struct fxr_client *c, const char *dest, uint32_t *req_id);

/* Gives up the pending call (CALLING only; then IDLE). A CONNECTED may cross the CANCEL: it
 * is still reported, and the connection is then PAIRED (release it). A CONNECT_FAILED for it
 * is dropped. Returns 0, -EPROTO, -ENOBUFS. */
int fxr_client_cancel(struct fxr_client *c, uint16_t code);

/* Answers the INCOMING call_id (RINGING only). accept: PAIRED (the relay confirms nothing;
 * a CANCEL that crossed the ACCEPT is reported as CANCELLED and the client is IDLE again);
 * reject: IDLE. Returns 0, -ENOENT (not the ringing call), -EPROTO, -ENOBUFS. */
int fxr_client_accept(struct fxr_client *c, uint32_t call_id);
int fxr_client_reject(struct fxr_client *c, uint32_t call_id, uint16_t code);

/* Queues buf[0..len) as DATA frames of at most 65535 bytes (PAIRED, before our END and
 * RELEASE). Returns how many bytes were queued, a prefix of buf in whole frames (> 0 unless
 * len is 0), or -ENOBUFS when not one byte fits, -EPROTO. */
long fxr_client_send_data(struct fxr_client *c, const void *buf, size_t len);

/* Sends END(reason) (PAIRED, once). Returns 0, -EPROTO, -ENOBUFS. */
int fxr_client_end(struct fxr_client *c, uint16_t reason);

/* Sends RELEASE (PAIRED, once); RELEASED follows and the client is IDLE. */
int fxr_client_release(struct fxr_client *c);

/* Asks who may be called (logged in, not PAIRED). *req_id: the id of the LIST_ENTRY and
 * LIST_DONE events. Returns 0, -EPROTO, -ENOBUFS. */
int fxr_client_list(struct fxr_client *c, uint32_t *req_id);

/* Sends LOGOUT (logged in): the relay answers BYE(LOGGED_OUT) on every connection of the
 * device and closes them. Returns 0, -EPROTO, -ENOBUFS. */
int fxr_client_logout(struct fxr_client *c);

/* ---- inspection ---- */

enum fxr_client_state fxr_client_state(const struct fxr_client *c);
const char *fxr_client_state_name(uint8_t state);
const char *fxr_client_ev_name(uint8_t type);
/* The last error's one-line reason (static until the next failing call). */
const char *fxr_client_reason(const struct fxr_client *c);
/* Bytes queued and not yet written. */
size_t fxr_client_tx_pending(const struct fxr_client *c);

/* ---- blocking layer ---- */

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t fxr_client_now_ms(void);

/* Waits with poll() up to timeout_ms (-1: no limit) for the socket or the next timer, then
 * runs on_readable / on_writable and fxr_client_tick() with fxr_client_now_ms(). Returns 1
 * when something happened, 0 on timeout, -ENOTCONN when CLOSED, or poll()'s errno. */
int fxr_client_wait(struct fxr_client *c, int timeout_ms);

/* Returns the next event, waiting up to timeout_ms for it. Returns 1, 0 on timeout,
 * -ENOTCONN when closed with no event left, or a negative errno. */
int fxr_client_wait_event(struct fxr_client *c, struct fxr_client_event *ev, int timeout_ms);

/* Writes everything queued, waiting up to timeout_ms. Returns 0, -ETIMEDOUT, -ENOTCONN. */
int fxr_client_flush(struct fxr_client *c, int timeout_ms);

#endif
