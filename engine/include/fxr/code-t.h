/* fxr/code-t.h: the FXR/1 result and reason codes (DESIGN.md §2), one X-macro list. */
#ifndef FXR_CODE_T_H
#define FXR_CODE_T_H

/* X(NAME, value, text) */
#define FXR_CODE_LIST(X)                                                          \
	X(OK, 0, "success")                                                       \
	X(NOT_FOUND, 1, "no such device, or not visible to the caller")           \
	X(OFFLINE, 2, "device is not logged in")                                  \
	X(BUSY, 3, "device has no idle connection")                               \
	X(REJECTED, 4, "callee rejected the call")                                \
	X(FORBIDDEN, 5, "not allowed by policy")                                  \
	X(TIMEOUT, 6, "no answer in time")                                        \
	X(UNREACHABLE, 7, "no route to the device's relay")                       \
	X(PROTOCOL, 8, "protocol violation")                                      \
	X(AUTH, 9, "authentication failed")                                       \
	X(SHUTDOWN, 10, "relay is shutting down")                                 \
	X(PEER_LOST, 11, "peer connection lost")                                  \
	X(RATE_LIMITED, 12, "too many attempts; try later")                       \
	X(INTERNAL, 13, "internal relay error")                                   \
	X(PEER_RELEASED, 14, "peer released the connection")                      \
	X(LOGGED_OUT, 15, "device logged out")

enum fxr_code {
#define FXR_CODE_ENUM(name, value, text) FXR_CODE_##name = value,
	FXR_CODE_LIST(FXR_CODE_ENUM)
#undef FXR_CODE_ENUM
	FXR_CODE_COUNT
};

#endif
