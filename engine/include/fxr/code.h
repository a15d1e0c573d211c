/* fxr/code.h: names and texts of FXR/1 codes. Thread-safe, no allocation. */
#ifndef FXR_CODE_H
#define FXR_CODE_H

#include <stdint.h>

#include "fxr/code-t.h"

/* Returns the code's symbolic name ("BUSY"), or "UNKNOWN" for a value outside the list
 * (codes on the wire are u16; a newer peer may send one we do not know). Static storage. */
const char *fxr_code_name(uint16_t code);

/* Returns a one-line human text for the code, or "unknown code". Static storage. */
const char *fxr_code_text(uint16_t code);

#endif
