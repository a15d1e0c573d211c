/* tcp_timer_wheel.c: hashed timer wheel (see tcp_timer_wheel.h for the scheme and bounds). */
#include <errno.h>

#include "fxr/compiler.h"
#include "tcp_timer_wheel.h"

static inline void list_init(struct fxr_tw_link *h)
{
	h->next = h;
	h->prev = h;
}

static inline void list_add_tail(struct fxr_tw_link *h, struct fxr_tw_link *l)
{
	l->prev = h->prev;
	l->next = h;
	h->prev->next = l;
	h->prev = l;
}

/* Moves every entry of src to the tail of dst; src ends empty. */
static inline void list_splice_tail(struct fxr_tw_link *dst, struct fxr_tw_link *src)
{
	if (src->next == src)
		return;
	src->next->prev = dst->prev;
	dst->prev->next = src->next;
	src->prev->next = dst;
	dst->prev = src->prev;
	list_init(src);
}

int fxr_tw_init(struct fxr_tw *w, struct fxr_tw_link *slots, uint32_t nslots,
		uint32_t tick_us, uint64_t now)
{
	if (slots == NULL || nslots < 2 || (nslots & (nslots - 1)) != 0 || tick_us == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < nslots; i++)
		list_init(&slots[i]);
	*w = (struct fxr_tw){
		.slots = slots,
		.mask = nslots - 1,
		.now = now,
		.cursor = now,
		.tick_us = tick_us,
	};
	return 0;
}

void fxr_tw_start_at(struct fxr_tw *w, struct fxr_tw_timer *t, uint64_t at)
{
	/* Arming a pending timer would corrupt two lists: always a caller bug. */
	FXR_BUG_ON(fxr_tw_pending(t));
	if (at <= w->now)
		at = w->now + 1;
	t->expiry = at;
	list_add_tail(&w->slots[at & w->mask], &t->link);
	w->pending++;
}

uint32_t fxr_tw_advance_budget(struct fxr_tw *w, uint64_t now_tick, fxr_tw_expire_fn *expire,
			       void *ctx, uint32_t budget)
{
	if (now_tick > w->now)
		w->now = now_tick;
	const uint64_t now = w->now;
	const uint64_t nslots = w->mask + 1;
	uint64_t visits = 0;
	uint32_t fired = 0;

	while (w->cursor < now) {
		if (w->pending == 0 || visits == nslots) {
			/* Nothing left, or every slot seen against now: all due timers fired. */
			w->cursor = now;
			break;
		}
		const uint64_t tick = w->cursor + 1;
		struct fxr_tw_link *head = &w->slots[tick & w->mask];
		struct fxr_tw_link due;

		visits++;
		/* Detach the slot so callbacks can add to it (a re-arm one revolution out)
		 * while we walk; a callback's fxr_tw_stop() on a timer still in `due` unlinks it
		 * from `due` like from any list. */
		list_init(&due);
		list_splice_tail(&due, head);
		while (due.next != &due) {
			struct fxr_tw_link *l = due.next;
			struct fxr_tw_timer *t = fxr_tw_owner(l, struct fxr_tw_timer, link);

			if (t->expiry > now) {
				/* due in a later revolution: back to its slot, untouched */
				l->prev->next = l->next;
				l->next->prev = l->prev;
				list_add_tail(head, l);
				continue;
			}
			if (fired == budget) {
				/* out of budget: the rest waits in its slot; cursor stays put so
				 * the next call visits this slot again */
				list_splice_tail(head, &due);
				return fired;
			}
			l->prev->next = l->next;
			l->next->prev = l->prev;
			l->next = NULL;
			l->prev = NULL;
			w->pending--;
			fired++;
			expire(t, ctx);
		}
		w->cursor = tick;
	}
	return fired;
}
