/* fxr/chan-t.h: the plane channel's message ABI (DESIGN.md §3).
 *
 * The dataplane and the control plane are separate processes that talk through
 * shared-memory rings (fxr/chan_shm.h). What travels is self-contained bytes: no pointer,
 * no host-dependent padding. Every integer is little-endian (both ends run on the same
 * host; the fixed order keeps the bytes a documented format that tools can read).
 *
 * A message is a 16-byte header and a payload:
 *
 *   offset 0   u8   type     (enum fxr_chan_type)
 *   offset 1   u8   lcore    dataplane lcore (channel lane) the message concerns
 *   offset 2   u16  reserved 0
 *   offset 4   u32  length   payload bytes that follow the header
 *   offset 8   u64  connid   connection id (fxr/connid.h), or 0 where the type has none
 *
 * FXR_CHAN_ABI_VERSION changes whenever a layout below, or the shared mapping's layout,
 * changes; the control plane refuses to attach to a channel of another version. */
#ifndef FXR_CHAN_T_H
#define FXR_CHAN_T_H

#include <stdint.h>

#include "fxr/frame-t.h"

/* v2: NOTE and END_RELAYED; DUMP_ENTRY carries the note and sent_end.
 * v3: BYTES; DUMP_ENTRY carries the connection's byte totals. */
#define FXR_CHAN_ABI_VERSION 3u

#define FXR_CHAN_HDR_LEN 16u

/* FRAME (dataplane -> control) carries one control frame the device sent. Device-to-relay
 * control frames are at most AUTH_START/AUTH_PROOF: 4 + FXR_SCRAM_MAX bytes. DATA never
 * goes to the control plane (it is spliced, or refused by the dataplane). */
#define FXR_CHAN_FRAME_D2C_MAX (FXR_FRAME_HDR_LEN + FXR_SCRAM_MAX)
/* SEND_FRAME (control -> dataplane) may carry any frame, LIST_RESULT being the largest. */
#define FXR_CHAN_FRAME_C2D_MAX FXR_FRAME_MAX_LEN
#define FXR_CHAN_COUNTERS_MAX  64u /* u64 values in one COUNTERS message */

/* Address block (24 bytes) in CONN_NEW, DUMP_ENTRY, TRUNK_OPEN:
 *   u8 family (4 or 6), u8 reserved 0, u16 remote port, u16 local port, u16 reserved 0,
 *   u8 addr[16] (IPv4: the first 4 bytes, network order, the rest 0). */
#define FXR_CHAN_ADDR_LEN      24u
/* Note block (12 bytes) in NOTE and DUMP_ENTRY: the control plane's opaque record of a
 * connection, which the dataplane stores per connection and gives back after a control-plane
 * restart (fxr_sess_note of controlplane/session): u8 state, u8 flags, u16 reserved 0,
 * u32 call_id, u32 req_id. */
#define FXR_CHAN_NOTE_LEN      12u
/* Byte totals (16 bytes) in DUMP_ENTRY and in each BYTES entry: u64 bytes received from the
 * device, u64 bytes sent to it (TCP payload, acknowledged by the device), since the
 * connection was accepted. */
#define FXR_CHAN_TOTALS_LEN    16u
#define FXR_CHAN_DUMP_FIXED    (8u + 1 + 1 + 2 + 2 + 2 + FXR_CHAN_ADDR_LEN + FXR_CHAN_NOTE_LEN + 4 + \
				FXR_CHAN_TOTALS_LEN)
/* BYTES: u16 n, u16 0, then n entries of u64 connid (on the message's lane) + totals. */
#define FXR_CHAN_BYTES_ENTRY   (8u + FXR_CHAN_TOTALS_LEN)
#define FXR_CHAN_BYTES_MAX     ((FXR_CHAN_FRAME_D2C_MAX - 4u) / FXR_CHAN_BYTES_ENTRY)
#define FXR_CHAN_LOGIN_FIXED   5u

enum fxr_chan_dir {
	FXR_CHAN_D2C = 0, /* dataplane to control plane */
	FXR_CHAN_C2D = 1, /* control plane to dataplane */
};

/* Whether the header's connid must name a connection (CID) or be 0 (NOCID). */
#define FXR_CHAN_CID   1
#define FXR_CHAN_NOCID 0

/* X(NAME, value, direction, connid, min payload, max payload). Values: 0x01.. for
 * dataplane -> control, 0x81.. for control -> dataplane, so the top bit is the direction.
 *
 * dataplane -> control
 *   CONN_NEW           a TCP connection was accepted (or a trunk opened): address block
 *   FRAME              a whole control frame the device sent: the frame's bytes
 *   CONN_CLOSED        the connection is gone: u16 reason (FXR_CHAN_CLOSE_*), u16 0
 *   KEEPALIVE_EXPIRED  nothing received for the idle timeout; the dataplane closes it next
 *   COUNTERS           u16 n, u16 0, u32 seq, n x u64 (the dataplane's counter list)
 *   DUMP_ENTRY         one connection, in answer to DUMP_REQUEST: u64 peer connid (0: not
 *                      paired), u8 state (FXR_CHAN_STATE_*), u8 dev_len, u16 keepalive s,
 *                      u16 idle s, u16 0, address block, note block (the last NOTE, zero
 *                      when none), u8 sent_end (0/1: the connection has sent an END that
 *                      was relayed since its last PAIR), u8 0, u16 0, byte totals (v3),
 *                      device id (dev_len bytes, 0..64)
 *   DUMP_END           u32 dump id, u32 number of DUMP_ENTRY messages sent (all lanes'
 *                      DUMP_END together end the dump)
 *   END_RELAYED        the dataplane relayed an END frame from this (PAIRED) connection to
 *                      its peer; it also sets the connection's sent_end (cleared by PAIR
 *                      and UNPAIR)
 *   BYTES              byte totals of the lane's connections whose totals changed since
 *                      their last report: u16 n (1..FXR_CHAN_BYTES_MAX), u16 0, n x (u64
 *                      connid, u64 in, u64 out). Totals, not deltas: a report lost with a
 *                      control plane that died is made good by the next one or the dump.
 * control -> dataplane
 *   SEND_FRAME         frame bytes to write on the connection, as they are
 *   LOGIN              the connection is logged in: u16 keepalive s, u16 idle s, u8 len,
 *                      device id
 *   PAIR               splice connid with the u64 connid in the payload (on any lcore)
 *   UNPAIR             stop splicing connid with its peer
 *   CLOSE              close the connection: u16 code (the FXR/1 code for logs), u16 0
 *   DUMP_REQUEST       u32 dump id: send one DUMP_ENTRY per connection, then DUMP_END
 *   TRUNK_OPEN         u32 request id, address block (remote = the peer relay); the
 *                      dataplane answers with CONN_NEW on the new connection
 *   NOTE               note block: store it with the connection (replacing the last one)
 *                      and return it in DUMP_ENTRY; the dataplane does not interpret it */
#define FXR_CHAN_TYPE_LIST(X)                                                          \
	X(CONN_NEW, 0x01, FXR_CHAN_D2C, FXR_CHAN_CID, FXR_CHAN_ADDR_LEN, FXR_CHAN_ADDR_LEN) \
	X(FRAME, 0x02, FXR_CHAN_D2C, FXR_CHAN_CID, FXR_FRAME_HDR_LEN,                  \
	  FXR_CHAN_FRAME_D2C_MAX)                                                      \
	X(CONN_CLOSED, 0x03, FXR_CHAN_D2C, FXR_CHAN_CID, 4, 4)                         \
	X(KEEPALIVE_EXPIRED, 0x04, FXR_CHAN_D2C, FXR_CHAN_CID, 0, 0)                   \
	X(COUNTERS, 0x05, FXR_CHAN_D2C, FXR_CHAN_NOCID, 8, 8 + 8 * FXR_CHAN_COUNTERS_MAX) \
	X(DUMP_ENTRY, 0x06, FXR_CHAN_D2C, FXR_CHAN_CID, FXR_CHAN_DUMP_FIXED,           \
	  FXR_CHAN_DUMP_FIXED + 64)                                                    \
	X(DUMP_END, 0x07, FXR_CHAN_D2C, FXR_CHAN_NOCID, 8, 8)                          \
	X(END_RELAYED, 0x08, FXR_CHAN_D2C, FXR_CHAN_CID, 0, 0)                         \
	X(BYTES, 0x09, FXR_CHAN_D2C, FXR_CHAN_NOCID, 4 + FXR_CHAN_BYTES_ENTRY,         \
	  4 + FXR_CHAN_BYTES_ENTRY * FXR_CHAN_BYTES_MAX)                               \
	X(SEND_FRAME, 0x81, FXR_CHAN_C2D, FXR_CHAN_CID, FXR_FRAME_HDR_LEN,             \
	  FXR_CHAN_FRAME_C2D_MAX)                                                      \
	X(LOGIN, 0x82, FXR_CHAN_C2D, FXR_CHAN_CID, FXR_CHAN_LOGIN_FIXED + 1,           \
	  FXR_CHAN_LOGIN_FIXED + 64)                                                   \
	X(PAIR, 0x83, FXR_CHAN_C2D, FXR_CHAN_CID, 8, 8)                                \
	X(UNPAIR, 0x84, FXR_CHAN_C2D, FXR_CHAN_CID, 0, 0)                              \
	X(CLOSE, 0x85, FXR_CHAN_C2D, FXR_CHAN_CID, 4, 4)                               \
	X(DUMP_REQUEST, 0x86, FXR_CHAN_C2D, FXR_CHAN_NOCID, 4, 4)                      \
	X(TRUNK_OPEN, 0x87, FXR_CHAN_C2D, FXR_CHAN_NOCID, 4 + FXR_CHAN_ADDR_LEN,       \
	  4 + FXR_CHAN_ADDR_LEN)                                                       \
	X(NOTE, 0x88, FXR_CHAN_C2D, FXR_CHAN_CID, FXR_CHAN_NOTE_LEN, FXR_CHAN_NOTE_LEN)

enum fxr_chan_type {
#define FXR_CHAN_TYPE_ENUM(name, value, dir, cid, lo, hi) FXR_CHAN_T_##name = value,
	FXR_CHAN_TYPE_LIST(FXR_CHAN_TYPE_ENUM)
#undef FXR_CHAN_TYPE_ENUM
};

/* The largest encoded message in each direction (header included). */
#define FXR_CHAN_MSG_D2C_MAX (FXR_CHAN_HDR_LEN + FXR_CHAN_FRAME_D2C_MAX)
#define FXR_CHAN_MSG_C2D_MAX (FXR_CHAN_HDR_LEN + FXR_CHAN_FRAME_C2D_MAX)

/* Why the dataplane closed a connection (CONN_CLOSED). X(NAME, value, text) */
#define FXR_CHAN_CLOSE_LIST(X)                                                         \
	X(PEER_FIN, 1, "the device closed the connection")                             \
	X(PEER_RESET, 2, "the device reset the connection")                            \
	X(IDLE_TIMEOUT, 3, "nothing received for the idle timeout")                    \
	X(RETRANSMIT, 4, "retransmissions exhausted")                                  \
	X(PROTOCOL, 5, "malformed or unexpected frame")                                \
	X(REQUESTED, 6, "the control plane asked for it (CLOSE)")                      \
	X(SHUTDOWN, 7, "the dataplane is shutting down")                               \
	X(OVERLOAD, 8, "the dataplane had no buffer left for its control frame")

enum fxr_chan_close_reason {
#define FXR_CHAN_CLOSE_ENUM(name, value, text) FXR_CHAN_CLOSE_##name = value,
	FXR_CHAN_CLOSE_LIST(FXR_CHAN_CLOSE_ENUM)
#undef FXR_CHAN_CLOSE_ENUM
};

/* A connection's state as the dataplane knows it (DUMP_ENTRY). PENDING is a control-plane
 * state and is lost with it; the dataplane sees such a connection as IDLE. */
#define FXR_CHAN_STATE_LIST(X)                                                          \
	X(NEW, 1, "not logged in")                                                     \
	X(IDLE, 2, "logged in, not paired")                                            \
	X(PAIRED, 3, "spliced with its peer")                                          \
	X(TRUNK, 4, "relay-to-relay trunk")

enum fxr_chan_conn_state {
#define FXR_CHAN_STATE_ENUM(name, value, text) FXR_CHAN_STATE_##name = value,
	FXR_CHAN_STATE_LIST(FXR_CHAN_STATE_ENUM)
#undef FXR_CHAN_STATE_ENUM
};

/* Why a message was rejected by the decoder. X(NAME, text) */
#define FXR_CHAN_BAD_LIST(X)                                                           \
	X(NONE, "well-formed")                                                         \
	X(SHORT, "shorter than its header or its header's length")                     \
	X(UNKNOWN_TYPE, "unknown message type")                                        \
	X(RESERVED, "a reserved field is not 0")                                       \
	X(LENGTH, "payload length outside the type's bounds")                          \
	X(CONNID, "connid missing where required, present where not, or on another lcore") \
	X(FRAME, "carried frame's own length does not match")                          \
	X(ADDR, "address family not 4 or 6, or IPv4 with bytes past the 4th")          \
	X(DEVID, "device identifier invalid or length mismatch")                       \
	X(VALUE, "a field holds a value outside its set (state, reason, count, peer)")

enum fxr_chan_bad {
#define FXR_CHAN_BAD_ENUM(name, text) FXR_CHAN_BAD_##name,
	FXR_CHAN_BAD_LIST(FXR_CHAN_BAD_ENUM)
#undef FXR_CHAN_BAD_ENUM
	FXR_CHAN_BAD_COUNT
};

/* An endpoint: family 4 or 6, address in network order (IPv4 in addr[0..4), rest 0). */
struct fxr_chan_addr {
	uint8_t family;
	uint8_t addr[16];
	uint16_t remote_port;
	uint16_t local_port;
};

/* The control plane's note on a connection (NOTE, DUMP_ENTRY); opaque to the dataplane. */
struct fxr_chan_note {
	uint8_t state;
	uint8_t flags;
	uint32_t call_id;
	uint32_t req_id;
};

/* A connection's byte totals (DUMP_ENTRY, BYTES). */
struct fxr_chan_totals {
	uint64_t in;  /* received from the device */
	uint64_t out; /* sent to the device and acknowledged */
};

/* One BYTES entry. */
struct fxr_chan_bytes_entry {
	uint64_t connid;
	struct fxr_chan_totals t;
};

/* A message, decoded or to be encoded. Byte fields are views into the caller's buffer
 * (decode) or the caller's data (encode); nothing is NUL-terminated. Which union member is
 * used follows from type:
 *   conn_new   CONN_NEW               frame      FRAME, SEND_FRAME
 *   closed     CONN_CLOSED            counters   COUNTERS
 *   dump       DUMP_ENTRY             dump_end   DUMP_END
 *   login      LOGIN                  pair       PAIR
 *   close      CLOSE                  dump_req   DUMP_REQUEST
 *   trunk      TRUNK_OPEN             note       NOTE
 *   bytes      BYTES
 *   (none)     KEEPALIVE_EXPIRED, UNPAIR, END_RELAYED */
struct fxr_chan_msg {
	uint8_t type;
	uint8_t lcore;
	uint64_t connid;
	union {
		struct fxr_chan_addr conn_new;
		struct {
			const uint8_t *p;
			uint32_t len;
		} frame;
		struct {
			uint16_t reason; /* enum fxr_chan_close_reason */
		} closed;
		struct {
			uint32_t seq;
			uint16_t n;
			/* decode: n little-endian u64 (read with fxr_chan_counter()); encode:
			 * n host-order values */
			const uint8_t *packed;
			const uint64_t *values;
		} counters;
		struct {
			uint64_t peer;
			uint8_t state; /* enum fxr_chan_conn_state */
			uint8_t dev_len;
			uint16_t keepalive_s;
			uint16_t idle_s;
			uint8_t sent_end; /* 0 or 1 */
			const uint8_t *dev;
			struct fxr_chan_addr addr;
			struct fxr_chan_note note;
			struct fxr_chan_totals totals;
		} dump;
		struct {
			uint32_t dump_id;
			uint32_t entries;
		} dump_end;
		struct {
			uint16_t keepalive_s;
			uint16_t idle_s;
			uint8_t dev_len;
			const uint8_t *dev;
		} login;
		struct {
			uint64_t peer;
		} pair;
		struct {
			uint16_t code; /* enum fxr_code */
		} close;
		struct {
			uint32_t dump_id;
		} dump_req;
		struct {
			uint32_t req_id;
			struct fxr_chan_addr addr;
		} trunk;
		struct fxr_chan_note note;
		struct {
			uint16_t n;
			/* decode: n packed entries (read with fxr_chan_bytes_get()); encode:
			 * n entries */
			const uint8_t *packed;
			const struct fxr_chan_bytes_entry *entries;
		} bytes;
	} u;
};

#endif
