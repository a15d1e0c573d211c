/* tcp_timer_wheel.h: a hashed timer wheel for the TCP stack's per-connection timers
 * (retransmission, delayed ACK, keepalive, idle, TIME-WAIT).
 *
 * Scheme 6 of Varghese & Lauck, "Hashed and Hierarchical Timing Wheels" (SOSP 1987), as
 * VPP's tw_timer and the BSD callout wheel use it: a power-of-two array of slots, each a
 * doubly linked list of timers; a timer due at absolute tick E sits in slot E & mask. Timers
 * further away than one revolution sit in the same slot and are skipped (still pending)
 * when the cursor passes before they are due: the absolute expiry tick is the rounds
 * counter.
 *
 * Timers are intrusive: a struct fxr_tw_timer lives inside its owner (the TCB), nothing is
 * allocated, start/stop/restart are O(1). The slot array is the caller's memory (hugepages
 * in the dataplane, the stack in tests), sized with FXR_TW_SLOTS_SIZE().
 *
 * Time is an unsigned 64-bit tick count chosen by the caller (e.g. TSC / cycles-per-ms); the
 * wheel only needs it to be monotonic. tick_us records what one tick means, for converting
 * RTO microseconds to ticks.
 *
 * A wheel belongs to one lcore; nothing here is thread-safe. */
#ifndef FXR_TCP_TIMER_WHEEL_H
#define FXR_TCP_TIMER_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* List links; a slot head is a bare link (circular list with a sentinel). */
struct fxr_tw_link {
	struct fxr_tw_link *next;
	struct fxr_tw_link *prev;
};

/* A timer embedded in its owner. Zero-initialised (or fxr_tw_timer_init()) = not pending.
 * Recover the owner in the expiry callback with fxr_tw_owner(). */
struct fxr_tw_timer {
	struct fxr_tw_link link; /* next == NULL: not pending */
	uint64_t expiry;         /* absolute tick; meaningful only while pending */
};

struct fxr_tw {
	struct fxr_tw_link *slots; /* nslots list heads, caller's memory */
	uint64_t mask;             /* nslots - 1 */
	uint64_t now;              /* the latest tick given to fxr_tw_advance() (or init) */
	uint64_t cursor;           /* every timer due at or before this tick has fired */
	uint32_t tick_us;          /* µs per tick, for fxr_tw_us_to_ticks() */
	uint32_t pending;          /* timers on the wheel */
};

/* Bytes of slot storage for a wheel of nslots slots. */
#define FXR_TW_SLOTS_SIZE(nslots) ((size_t)(nslots) * sizeof(struct fxr_tw_link))

/* The struct that embeds timer t as member `member`. */
#define fxr_tw_owner(t, type, member) ((type *)(void *)((char *)(t) - offsetof(type, member)))

/* Expiry callback: the timer is already off the wheel (not pending) when it is called, so the
 * callback may restart it, start or stop any other timer of this wheel (including ones due
 * in the same advance), or free the owner. It must not call fxr_tw_advance() or
 * fxr_tw_init() on this wheel. */
typedef void fxr_tw_expire_fn(struct fxr_tw_timer *t, void *ctx);

/* Sets up a wheel over slots[0..nslots) at tick now. nslots must be a power of two >= 2;
 * tick_us > 0. The wheel does not own slots; it must outlive the wheel. Returns 0 or
 * -EINVAL. */
int fxr_tw_init(struct fxr_tw *w, struct fxr_tw_link *slots, uint32_t nslots,
		uint32_t tick_us, uint64_t now);

/* Marks a timer not pending; call once before its first use if the owner is not zeroed. */
static inline void fxr_tw_timer_init(struct fxr_tw_timer *t)
{
	t->link.next = NULL;
	t->link.prev = NULL;
	t->expiry = 0;
}

static inline bool fxr_tw_pending(const struct fxr_tw_timer *t)
{
	return t->link.next != NULL;
}

/* Ticks for us microseconds, rounded up so a timer never fires early. */
static inline uint64_t fxr_tw_us_to_ticks(const struct fxr_tw *w, uint64_t us)
{
	return (us + w->tick_us - 1) / w->tick_us;
}

/* Takes a pending timer off the wheel; no effect on a timer that is not pending. O(1). */
static inline void fxr_tw_stop(struct fxr_tw *w, struct fxr_tw_timer *t)
{
	if (!fxr_tw_pending(t))
		return;
	t->link.prev->next = t->link.next;
	t->link.next->prev = t->link.prev;
	t->link.next = NULL;
	t->link.prev = NULL;
	w->pending--;
}

/* Arms a timer that is not pending to fire at absolute tick `at`. A tick at or before the
 * wheel's now is moved to now + 1: a timer never fires within the tick it was armed in, so
 * a callback that re-arms with 0 delay cannot loop inside one fxr_tw_advance(). O(1).
 * Calling it on a pending timer is a bug (use fxr_tw_restart()). */
void fxr_tw_start_at(struct fxr_tw *w, struct fxr_tw_timer *t, uint64_t at);

/* Arms a timer that is not pending to fire `ticks` ticks after the wheel's now (0 counts as
 * 1). O(1). */
static inline void fxr_tw_start(struct fxr_tw *w, struct fxr_tw_timer *t, uint64_t ticks)
{
	fxr_tw_start_at(w, t, w->now + ticks);
}

/* Stops the timer if pending, then arms it `ticks` from now. O(1). */
static inline void fxr_tw_restart(struct fxr_tw *w, struct fxr_tw_timer *t, uint64_t ticks)
{
	fxr_tw_stop(w, t);
	fxr_tw_start(w, t, ticks);
}

/* Ticks until a pending timer fires (0 when it is already due); 0 when not pending. */
static inline uint64_t fxr_tw_remaining(const struct fxr_tw *w, const struct fxr_tw_timer *t)
{
	if (!fxr_tw_pending(t) || t->expiry <= w->now)
		return 0;
	return t->expiry - w->now;
}

/* Moves the wheel's time to now_tick (a now_tick behind the wheel's now is taken as the
 * wheel's now) and calls expire(t, ctx) for timers due at or before it, at most `budget` of
 * them. Returns how many fired.
 *
 * Work is bounded: the cursor visits at most nslots slots per call, however far time
 * jumped (after a full revolution every slot has been seen against now_tick, so the cursor
 * jumps to now_tick), and at most `budget` callbacks run. When the budget runs out the
 * cursor stays on the unfinished slot and the next call resumes there; timers still due are
 * then late, never lost. Besides callbacks, a slot visit costs one step per timer in the slot
 * that is due in a later revolution.
 *
 * Order: within a call whose span is less than one revolution, timers fire in tick order
 * (ties in any order). After a longer jump they fire in slot order; all are late anyway.
 * During the callbacks the wheel's now is now_tick, so a timer re-armed with d ticks is due
 * at now_tick + d. */
uint32_t fxr_tw_advance_budget(struct fxr_tw *w, uint64_t now_tick, fxr_tw_expire_fn *expire,
			       void *ctx, uint32_t budget);

/* fxr_tw_advance_budget() with no budget: everything due fires. */
static inline uint32_t fxr_tw_advance(struct fxr_tw *w, uint64_t now_tick,
				      fxr_tw_expire_fn *expire, void *ctx)
{
	return fxr_tw_advance_budget(w, now_tick, expire, ctx, UINT32_MAX);
}

#endif
