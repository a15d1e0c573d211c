/* fxr/compiler.h: branch hints and the two tiers of assertions (STYLE.md "Errors and logs"). */
#ifndef FXR_COMPILER_H
#define FXR_COMPILER_H

#include <stdio.h>
#include <stdlib.h>

#define fxr_likely(x)   __builtin_expect(!!(x), 1)
#define fxr_unlikely(x) __builtin_expect(!!(x), 0)

/* Always-on check of an invariant that costs nothing: a broken invariant is a bug, and
 * continuing would corrupt state, so it aborts with the place and the condition. */
#define FXR_BUG_ON(cond)                                                              \
	do {                                                                          \
		if (fxr_unlikely(cond)) {                                             \
			fprintf(stderr, "fxr: BUG at %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                               \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* Hot-path check: compiled in only with -Ddebug_checks=true (FXR_DEBUG_CHECKS). */
#ifdef FXR_DEBUG_CHECKS
#define FXR_BUG_ON_HOT(cond) FXR_BUG_ON(cond)
#else
#define FXR_BUG_ON_HOT(cond) ((void)sizeof(cond))
#endif

#define FXR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
