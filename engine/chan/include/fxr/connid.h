/* fxr/connid.h: connection identifiers (DESIGN.md §3).
 *
 * A connection id is 64 bits that name where a connection lives and which incarnation of
 * that place it is:
 *
 *   bits 63..56  lcore       the dataplane lcore (channel lane) that owns the connection
 *   bits 55..24  generation  32 bits; bumped every time the slot is reused, never 0
 *   bits 23..0   slot        index in that lcore's connection table (16 Mi per lcore)
 *
 * Why 24/32: one lcore will not hold more than 16 M connections (memory per connection
 * runs out long before), while a slot's generation must not come back to a value a stale
 * id still holds: with 32 bits a slot has to be reused 4 G times before that can happen.
 * The owner of a slot table compares the whole id (or slot + generation) on every lookup,
 * so a message carrying the id of a closed connection never touches the connection that
 * reused its slot. Id 0 is never issued (generation 0 is skipped) and means "no
 * connection". Pure inline helpers, callable from any thread. */
#ifndef FXR_CONNID_H
#define FXR_CONNID_H

#include <stdbool.h>
#include <stdint.h>

#define FXR_CONNID_NONE       UINT64_C(0)
#define FXR_CONNID_SLOT_BITS  24u
#define FXR_CONNID_GEN_BITS   32u
#define FXR_CONNID_LCORE_BITS 8u
#define FXR_CONNID_SLOT_MAX   ((UINT32_C(1) << FXR_CONNID_SLOT_BITS) - 1u)
#define FXR_CONNID_LCORE_MAX  ((1u << FXR_CONNID_LCORE_BITS) - 1u)

/* Packs an id. slot must be <= FXR_CONNID_SLOT_MAX (higher bits are dropped) and gen must
 * not be 0 (a 0 generation yields an id that fxr_connid_valid() rejects). */
static inline uint64_t fxr_connid_make(uint8_t lcore, uint32_t slot, uint32_t gen)
{
	return (uint64_t)lcore << (FXR_CONNID_SLOT_BITS + FXR_CONNID_GEN_BITS) |
	       (uint64_t)gen << FXR_CONNID_SLOT_BITS | (uint64_t)(slot & FXR_CONNID_SLOT_MAX);
}

static inline uint8_t fxr_connid_lcore(uint64_t id)
{
	return (uint8_t)(id >> (FXR_CONNID_SLOT_BITS + FXR_CONNID_GEN_BITS));
}

static inline uint32_t fxr_connid_slot(uint64_t id)
{
	return (uint32_t)id & FXR_CONNID_SLOT_MAX;
}

static inline uint32_t fxr_connid_gen(uint64_t id)
{
	return (uint32_t)(id >> FXR_CONNID_SLOT_BITS);
}

/* True for an id that fxr_connid_make() can produce with a non-zero generation. */
static inline bool fxr_connid_valid(uint64_t id)
{
	return fxr_connid_gen(id) != 0;
}

/* The generation a slot gets on its next reuse: gen + 1, skipping 0 on wrap-around. */
static inline uint32_t fxr_connid_gen_next(uint32_t gen)
{
	uint32_t n = gen + 1u;
	return n ? n : 1u;
}

#endif
