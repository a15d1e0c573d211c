/* registry-t.h: the device registry's record and limits (DESIGN.md §1 "device registry",
 * §7 `--db PATH`). The store is SQLite; see registry.h. */
#ifndef FXR_REGISTRY_T_H
#define FXR_REGISTRY_T_H

#include <stdbool.h>
#include <stdint.h>

#include "fxr/scram-t.h"

#define FXR_REG_CONN_LIMIT_DEFAULT 8u  /* DESIGN.md §2: logged-in connections a device */
#define FXR_REG_CONN_LIMIT_MAX     65535u
#define FXR_REG_SECRET_LEN         32u /* server secret for fake SCRAM records */

/* One device as stored. The credential is the SCRAM record only: the password is never
 * stored, in any form from which it could be used directly. */
struct fxr_device_rec {
	char id[64 + 1];            /* FXR_DEVID_MAX bytes + NUL */
	struct fxr_scram_cred cred;
	bool enabled;               /* false: logins fail, the record stays */
	uint16_t conn_limit;        /* 1..FXR_REG_CONN_LIMIT_MAX */
	int64_t created_at;         /* Unix seconds */
	int64_t updated_at;         /* Unix seconds: credential, enabled or limit changed */
};

/* An open registry (one SQLite connection and its prepared statements). Opaque. */
struct fxr_registry;

#endif
