/* fxr/scan-t.h: state of the incremental FXR/1 frame scanner. */
#ifndef FXR_SCAN_T_H
#define FXR_SCAN_T_H

#include <stdint.h>

#include "fxr/frame-t.h"

enum fxr_scan_event {
	FXR_SCAN_NEED_MORE = 0, /* the piece is used up; feed the next one */
	FXR_SCAN_HEADER,        /* a header is complete: type, flags, len are valid */
	FXR_SCAN_PAYLOAD,       /* chunk_len payload bytes of the current frame, in place */
	FXR_SCAN_FRAME_END,     /* the current frame is complete */
	FXR_SCAN_ERROR,         /* malformed header; the stream cannot be resynchronised */
};

/* One scanner per TCP byte stream. Zero it (or call fxr_scan_init) before use. 16 bytes. */
struct fxr_scanner {
	uint8_t hdr[FXR_FRAME_HDR_LEN]; /* header bytes gathered so far */
	uint8_t hdr_have;               /* 0..4 */
	uint8_t phase;                  /* internal: header, payload, end pending, error */
	uint8_t why;                    /* enum fxr_malformed, in the error phase */
	uint8_t type;
	uint8_t flags;
	uint8_t pad_;
	uint16_t len;                   /* current frame's payload length */
	uint16_t left;                  /* payload bytes still to come */
};

struct fxr_scan_result {
	uint8_t ev;                     /* enum fxr_scan_event */
	uint8_t type;                   /* HEADER, PAYLOAD, FRAME_END: current frame */
	uint8_t flags;
	uint8_t why;                    /* ERROR: enum fxr_malformed */
	uint16_t len;                   /* current frame's payload length */
	uint16_t chunk_len;             /* PAYLOAD: bytes at the start of the piece */
};

#endif
