/* Hand-written FXR/1 test vectors; see vectors.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vectors.h"

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define S(lit) (const uint8_t *)(lit)

static const struct fxr_list_entry list_entries[] = {
	{ .id = S("fax-b"), .id_len = 5, .state = FXR_LIST_IDLE },
	{ .id = S("gw+49"), .id_len = 5, .state = FXR_LIST_BUSY },
};

const struct test_vector test_vectors[] = {
	{ "AUTH_START",
	  { .type = FXR_T_AUTH_START, .u.auth = { S("n,,n=fax-a,r=abc"), 16 } },
	  BYTES(0x01, 0x00, 0x00, 0x10, 'n', ',', ',', 'n', '=', 'f', 'a', 'x', '-', 'a', ',',
		'r', '=', 'a', 'b', 'c') },
	{ "AUTH_CHALLENGE",
	  { .type = FXR_T_AUTH_CHALLENGE, .u.auth = { S("r=abcd,s=QQ==,i=4096"), 20 } },
	  BYTES(0x02, 0x00, 0x00, 0x14, 'r', '=', 'a', 'b', 'c', 'd', ',', 's', '=', 'Q', 'Q',
		'=', '=', ',', 'i', '=', '4', '0', '9', '6') },
	{ "AUTH_PROOF",
	  { .type = FXR_T_AUTH_PROOF, .u.auth = { S("c=biws,r=abcd,p=AA=="), 20 } },
	  BYTES(0x03, 0x00, 0x00, 0x14, 'c', '=', 'b', 'i', 'w', 's', ',', 'r', '=', 'a', 'b',
		'c', 'd', ',', 'p', '=', 'A', 'A', '=', '=') },
	{ "AUTH_OK",
	  { .type = FXR_T_AUTH_OK,
	    .u.auth_ok = { .keepalive_s = 30, .idle_timeout_s = 90,
			   .server_final = { S("v=AA=="), 6 } } },
	  BYTES(0x04, 0x00, 0x00, 0x0a, 0x00, 0x1e, 0x00, 0x5a, 'v', '=', 'A', 'A', '=', '=') },
	{ "AUTH_FAIL",
	  { .type = FXR_T_AUTH_FAIL, .u.status = { .code = 9, .text = { S("auth"), 4 } } },
	  BYTES(0x05, 0x00, 0x00, 0x06, 0x00, 0x09, 'a', 'u', 't', 'h') },
	{ "KEEPALIVE",
	  { .type = FXR_T_KEEPALIVE, .u.opaque = { S("\x01\x02\x03"), 3 } },
	  BYTES(0x10, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03) },
	{ "KEEPALIVE_ACK",
	  { .type = FXR_T_KEEPALIVE_ACK, .u.opaque = { S("\x01\x02\x03"), 3 } },
	  BYTES(0x11, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03) },
	{ "CONNECT",
	  { .type = FXR_T_CONNECT,
	    .u.call = { .id = 0x01020304, .dev = S("fax-b"), .dev_len = 5 } },
	  BYTES(0x20, 0x00, 0x00, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x05, 'f', 'a', 'x', '-', 'b') },
	{ "INCOMING",
	  { .type = FXR_T_INCOMING, .u.call = { .id = 7, .dev = S("fax-a"), .dev_len = 5 } },
	  BYTES(0x21, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x07, 0x05, 'f', 'a', 'x', '-', 'a') },
	{ "ACCEPT",
	  { .type = FXR_T_ACCEPT, .u.ref = { .id = 7 } },
	  BYTES(0x22, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07) },
	{ "REJECT",
	  { .type = FXR_T_REJECT, .u.result = { .id = 7, .code = 4 } },
	  BYTES(0x23, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x04) },
	{ "CONNECTED",
	  { .type = FXR_T_CONNECTED,
	    .u.call = { .id = 0x01020304, .dev = S("fax-b"), .dev_len = 5 } },
	  BYTES(0x24, 0x00, 0x00, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x05, 'f', 'a', 'x', '-', 'b') },
	{ "CONNECT_FAIL",
	  { .type = FXR_T_CONNECT_FAIL, .u.result = { .id = 0x01020304, .code = 3 } },
	  BYTES(0x25, 0x00, 0x00, 0x06, 0x01, 0x02, 0x03, 0x04, 0x00, 0x03) },
	{ "CANCEL",
	  { .type = FXR_T_CANCEL, .u.result = { .id = 7, .code = 6 } },
	  BYTES(0x26, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x06) },
	{ "DATA",
	  { .type = FXR_T_DATA, .u.opaque = { S("\x00\xff\x10page"), 7 } },
	  BYTES(0x30, 0x00, 0x00, 0x07, 0x00, 0xff, 0x10, 'p', 'a', 'g', 'e') },
	{ "END",
	  { .type = FXR_T_END, .u.end = { .reason = 11 } },
	  BYTES(0x31, 0x00, 0x00, 0x02, 0x00, 0x0b) },
	{ "RELEASE", { .type = FXR_T_RELEASE }, BYTES(0x32, 0x00, 0x00, 0x00) },
	{ "RELEASED", { .type = FXR_T_RELEASED }, BYTES(0x33, 0x00, 0x00, 0x00) },
	{ "LOGOUT", { .type = FXR_T_LOGOUT }, BYTES(0x40, 0x00, 0x00, 0x00) },
	{ "BYE",
	  { .type = FXR_T_BYE, .u.status = { .code = 15, .text = { S("bye"), 3 } } },
	  BYTES(0x41, 0x00, 0x00, 0x05, 0x00, 0x0f, 'b', 'y', 'e') },
	{ "LIST",
	  { .type = FXR_T_LIST, .u.ref = { .id = 9 } },
	  BYTES(0x50, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09) },
	{ "LIST_RESULT",
	  { .type = FXR_T_LIST_RESULT, .flags = FXR_FLAG_MORE,
	    .u.list = { .req_id = 9, .n = 2, .entries = list_entries } },
	  BYTES(0x51, 0x01, 0x00, 0x14, 0x00, 0x00, 0x00, 0x09, 0x00, 0x02, 0x05, 'f', 'a', 'x',
		'-', 'b', 0x01, 0x05, 'g', 'w', '+', '4', '9', 0x02) },
	{ "ERROR",
	  { .type = FXR_T_ERROR, .u.status = { .code = 8, .text = { NULL, 0 } } },
	  BYTES(0x7f, 0x00, 0x00, 0x02, 0x00, 0x08) },
};

const size_t test_vectors_count = sizeof(test_vectors) / sizeof(test_vectors[0]);

const struct test_vector *test_vector_get(const char *name)
{
	for (size_t i = 0; i < test_vectors_count; i++)
		if (strcmp(test_vectors[i].name, name) == 0)
			return &test_vectors[i];
	fprintf(stderr, "no test vector named %s\n", name);
	abort();
}

/* The seeds' Fig. 2 order: log in, keep alive, demand by id, accept, exchange, END, RELEASE,
 * LOGOUT. Frames of both directions appear in the order they would cross the relay. */
static const char *const sequence[] = {
	"AUTH_START", "AUTH_CHALLENGE", "AUTH_PROOF", "AUTH_OK", "KEEPALIVE",
	"KEEPALIVE_ACK", "LIST", "LIST_RESULT", "CONNECT", "INCOMING", "ACCEPT", "CONNECTED",
	"DATA", "DATA", "DATA", "END", "RELEASE", "RELEASED", "CONNECT", "CONNECT_FAIL",
	"CONNECT", "CANCEL", "LOGOUT", "BYE",
};

size_t test_sequence_build(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(sequence) / sizeof(sequence[0]); i++) {
		const struct test_vector *v = test_vector_get(sequence[i]);
		if (n + v->wire_len > cap)
			break;
		memcpy(buf + n, v->wire, v->wire_len);
		n += v->wire_len;
	}
	return n;
}
