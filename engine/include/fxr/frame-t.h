/* fxr/frame-t.h: FXR/1 frame types, limits and the decoded-message view (DESIGN.md §2).
 *
 * A frame is a 4-byte header (u8 type, u8 flags, u16 big-endian payload length) and the
 * payload. Decoded messages are views into the caller's buffer: nothing is copied and no
 * field is NUL-terminated. */
#ifndef FXR_FRAME_T_H
#define FXR_FRAME_T_H

#include <stdint.h>

#define FXR_FRAME_HDR_LEN   4u
#define FXR_FRAME_MAX_PAYLOAD 65535u
#define FXR_FRAME_MAX_LEN   (FXR_FRAME_HDR_LEN + FXR_FRAME_MAX_PAYLOAD)
#define FXR_DEFAULT_PORT    4747

#define FXR_FLAG_MORE       0x01u /* LIST_RESULT only: the result continues */
#define FXR_FLAG_RESERVED   0xFEu

/* Payload limits beyond the 16-bit length. */
#define FXR_SCRAM_MAX       1024u /* a SCRAM message (RFC 5802 §7); ours are < 256 */
#define FXR_TEXT_MAX        256u  /* human text after a code (AUTH_FAIL, BYE, ERROR) */
#define FXR_KEEPALIVE_MAX   64u

enum fxr_dir {
	FXR_DIR_D2R = 1,  /* device to relay */
	FXR_DIR_R2D = 2,  /* relay to device */
	FXR_DIR_BOTH = 3,
};

/* X(NAME, value, direction, min payload, max payload). The bounds are exact for every
 * fixed layout, so the scanner rejects a bad length from the header alone. */
#define FXR_FRAME_TYPE_LIST(X)                                                        \
	X(AUTH_START, 0x01, FXR_DIR_D2R, 1, FXR_SCRAM_MAX)                            \
	X(AUTH_CHALLENGE, 0x02, FXR_DIR_R2D, 1, FXR_SCRAM_MAX)                        \
	X(AUTH_PROOF, 0x03, FXR_DIR_D2R, 1, FXR_SCRAM_MAX)                            \
	X(AUTH_OK, 0x04, FXR_DIR_R2D, 4 + 1, 4 + FXR_SCRAM_MAX)                       \
	X(AUTH_FAIL, 0x05, FXR_DIR_R2D, 2, 2 + FXR_TEXT_MAX)                          \
	X(KEEPALIVE, 0x10, FXR_DIR_D2R, 0, FXR_KEEPALIVE_MAX)                         \
	X(KEEPALIVE_ACK, 0x11, FXR_DIR_R2D, 0, FXR_KEEPALIVE_MAX)                     \
	X(CONNECT, 0x20, FXR_DIR_D2R, 4 + 1 + 1, 4 + 1 + 64)                          \
	X(INCOMING, 0x21, FXR_DIR_R2D, 4 + 1 + 1, 4 + 1 + 64)                         \
	X(ACCEPT, 0x22, FXR_DIR_D2R, 4, 4)                                            \
	X(REJECT, 0x23, FXR_DIR_D2R, 6, 6)                                            \
	X(CONNECTED, 0x24, FXR_DIR_R2D, 4 + 1 + 1, 4 + 1 + 64)                        \
	X(CONNECT_FAIL, 0x25, FXR_DIR_R2D, 6, 6)                                      \
	X(CANCEL, 0x26, FXR_DIR_BOTH, 6, 6)                                           \
	X(DATA, 0x30, FXR_DIR_BOTH, 0, FXR_FRAME_MAX_PAYLOAD)                         \
	X(END, 0x31, FXR_DIR_BOTH, 2, 2)                                              \
	X(RELEASE, 0x32, FXR_DIR_D2R, 0, 0)                                           \
	X(RELEASED, 0x33, FXR_DIR_R2D, 0, 0)                                          \
	X(LOGOUT, 0x40, FXR_DIR_D2R, 0, 0)                                            \
	X(BYE, 0x41, FXR_DIR_R2D, 2, 2 + FXR_TEXT_MAX)                                \
	X(LIST, 0x50, FXR_DIR_D2R, 4, 4)                                              \
	X(LIST_RESULT, 0x51, FXR_DIR_R2D, 6, FXR_FRAME_MAX_PAYLOAD)                   \
	X(ERROR, 0x7F, FXR_DIR_R2D, 2, 2 + FXR_TEXT_MAX)

enum fxr_frame_type {
#define FXR_FRAME_TYPE_ENUM(name, value, dir, min, max) FXR_T_##name = value,
	FXR_FRAME_TYPE_LIST(FXR_FRAME_TYPE_ENUM)
#undef FXR_FRAME_TYPE_ENUM
};

/* Why a frame was rejected. X(NAME, text); used for counters by both planes. */
#define FXR_MALFORMED_LIST(X)                                                         \
	X(NONE, "well-formed")                                                        \
	X(UNKNOWN_TYPE, "unknown frame type")                                         \
	X(RESERVED_FLAGS, "reserved flag bits set, or MORE on a type that has none")  \
	X(LENGTH, "payload length outside the type's bounds")                         \
	X(STR_OVERRUN, "a str length overruns the payload")                           \
	X(BAD_ID, "device identifier empty, too long or with a forbidden byte")       \
	X(TRAILING, "bytes left after the last field")                                \
	X(ENTRY_STATE, "LIST_RESULT entry state is not 1 (idle) or 2 (busy)")         \
	X(ENTRY_COUNT, "LIST_RESULT entry count does not match its payload")

enum fxr_malformed {
#define FXR_MALFORMED_ENUM(name, text) FXR_MALFORMED_##name,
	FXR_MALFORMED_LIST(FXR_MALFORMED_ENUM)
#undef FXR_MALFORMED_ENUM
	FXR_MALFORMED_COUNT
};

enum fxr_list_state {
	FXR_LIST_IDLE = 1,
	FXR_LIST_BUSY = 2,
};

/* A length-delimited view into a buffer. */
struct fxr_bytes {
	const uint8_t *p;
	uint16_t len;
};

/* One LIST_RESULT entry. For encoding the caller fills it; decoding yields views. */
struct fxr_list_entry {
	const uint8_t *id;
	uint8_t id_len;
	uint8_t state; /* enum fxr_list_state */
};

/* A frame, decoded or to be encoded. Which union member is used follows from type:
 *   auth      AUTH_START, AUTH_CHALLENGE, AUTH_PROOF (SCRAM text)
 *   auth_ok   AUTH_OK
 *   status    AUTH_FAIL, BYE, ERROR (code + text)
 *   opaque    KEEPALIVE, KEEPALIVE_ACK, DATA
 *   call      CONNECT (req_id, destination), INCOMING (call_id, caller),
 *             CONNECTED (req_id, peer)
 *   ref       ACCEPT (call_id), LIST (req_id)
 *   result    REJECT (call_id, code), CONNECT_FAIL (req_id, code), CANCEL (id, code)
 *   end       END
 *   list      LIST_RESULT
 *   (none)    RELEASE, RELEASED, LOGOUT */
struct fxr_msg {
	uint8_t type;
	uint8_t flags;
	union {
		struct fxr_bytes auth;
		struct {
			uint16_t keepalive_s;
			uint16_t idle_timeout_s;
			struct fxr_bytes server_final;
		} auth_ok;
		struct {
			uint16_t code;
			struct fxr_bytes text;
		} status;
		struct fxr_bytes opaque;
		struct {
			uint32_t id;
			const uint8_t *dev;
			uint8_t dev_len;
		} call;
		struct {
			uint32_t id;
		} ref;
		struct {
			uint32_t id;
			uint16_t code;
		} result;
		struct {
			uint16_t reason;
		} end;
		struct {
			uint32_t req_id;
			uint16_t n;
			/* decode: the n packed entries, walk with fxr_list_next();
			 * encode: ignored */
			struct fxr_bytes packed;
			/* encode: n entries to pack; decode: NULL */
			const struct fxr_list_entry *entries;
		} list;
	} u;
};

/* Walks the packed entries of a decoded LIST_RESULT. */
struct fxr_list_iter {
	const uint8_t *p;
	const uint8_t *end;
};

#endif
