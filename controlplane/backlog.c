/* Bounded FIFO of encoded channel messages: see backlog.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backlog.h"

int fxr_backlog_init(struct fxr_backlog *b, uint32_t cap, uint64_t max_bytes)
{
	memset(b, 0, sizeof(*b));
	if (cap <= FXR_BACKLOG_RESERVE || max_bytes == 0)
		return -EINVAL;
	b->msg = calloc(cap, sizeof(*b->msg));
	b->len = calloc(cap, sizeof(*b->len));
	if (!b->msg || !b->len) {
		fxr_backlog_fini(b);
		return -ENOMEM;
	}
	b->cap = cap;
	b->max_bytes = max_bytes;
	return 0;
}

void fxr_backlog_fini(struct fxr_backlog *b)
{
	while (b->msg && b->n)
		fxr_backlog_pop(b);
	free(b->msg);
	free(b->len);
	memset(b, 0, sizeof(*b));
}

static int push(struct fxr_backlog *b, const uint8_t *msg, uint32_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	uint32_t i = (b->head + b->n) % b->cap;
	b->msg[i] = copy;
	b->len[i] = len;
	b->n++;
	b->bytes += len;
	if (b->n > b->high_water)
		b->high_water = b->n;
	return 0;
}

int fxr_backlog_push(struct fxr_backlog *b, const uint8_t *msg, uint32_t len)
{
	if (b->n >= b->cap - FXR_BACKLOG_RESERVE || b->bytes + len > b->max_bytes)
		return -ENOSPC;
	return push(b, msg, len);
}

int fxr_backlog_push_reserved(struct fxr_backlog *b, const uint8_t *msg, uint32_t len)
{
	if (b->n >= b->cap)
		return -ENOSPC;
	return push(b, msg, len);
}

const uint8_t *fxr_backlog_peek(const struct fxr_backlog *b, uint32_t *len)
{
	if (b->n == 0)
		return NULL;
	if (len)
		*len = b->len[b->head];
	return b->msg[b->head];
}

void fxr_backlog_pop(struct fxr_backlog *b)
{
	if (b->n == 0)
		return;
	free(b->msg[b->head]);
	b->msg[b->head] = NULL;
	b->bytes -= b->len[b->head];
	b->head = (b->head + 1) % b->cap;
	b->n--;
}
