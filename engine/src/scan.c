/* Incremental FXR/1 frame scanner: see fxr/scan.h for the contract. */
#include "fxr/compiler.h"
#include "fxr/frame.h"
#include "fxr/scan.h"
#include "fxr/wire.h"

enum scan_phase {
	PHASE_HEADER = 0,
	PHASE_PAYLOAD,
	PHASE_END_PENDING,
	PHASE_ERROR,
};

static void result_frame(const struct fxr_scanner *s, struct fxr_scan_result *r, uint8_t ev)
{
	r->ev = ev;
	r->type = s->type;
	r->flags = s->flags;
	r->why = FXR_MALFORMED_NONE;
	r->len = s->len;
	r->chunk_len = 0;
}

size_t fxr_scan_step(struct fxr_scanner *s, const uint8_t *p, size_t n,
		     struct fxr_scan_result *r)
{
	switch (s->phase) {
	case PHASE_ERROR:
		result_frame(s, r, FXR_SCAN_ERROR);
		r->why = s->why;
		return 0;

	case PHASE_END_PENDING:
		result_frame(s, r, FXR_SCAN_FRAME_END);
		s->phase = PHASE_HEADER;
		s->hdr_have = 0;
		return 0;

	case PHASE_PAYLOAD: {
		if (n == 0) {
			result_frame(s, r, FXR_SCAN_NEED_MORE);
			return 0;
		}
		uint16_t take = n < s->left ? (uint16_t)n : s->left;
		s->left = (uint16_t)(s->left - take);
		if (s->left == 0)
			s->phase = PHASE_END_PENDING;
		result_frame(s, r, FXR_SCAN_PAYLOAD);
		r->chunk_len = take;
		return take;
	}

	default:
		break;
	}

	/* PHASE_HEADER: gather up to 4 bytes; a header may straddle pieces. */
	size_t want = FXR_FRAME_HDR_LEN - s->hdr_have;
	size_t take = n < want ? n : want;
	for (size_t i = 0; i < take; i++)
		s->hdr[s->hdr_have++] = p[i];
	if (s->hdr_have < FXR_FRAME_HDR_LEN) {
		result_frame(s, r, FXR_SCAN_NEED_MORE);
		return take;
	}

	s->type = s->hdr[0];
	s->flags = s->hdr[1];
	s->len = fxr_get_be16(s->hdr + 2);
	enum fxr_malformed why = fxr_frame_hdr_check(s->type, s->flags, s->len);
	if (fxr_unlikely(why != FXR_MALFORMED_NONE)) {
		s->phase = PHASE_ERROR;
		s->why = (uint8_t)why;
		result_frame(s, r, FXR_SCAN_ERROR);
		r->why = (uint8_t)why;
		return take;
	}
	s->left = s->len;
	s->phase = s->len ? PHASE_PAYLOAD : PHASE_END_PENDING;
	result_frame(s, r, FXR_SCAN_HEADER);
	return take;
}
