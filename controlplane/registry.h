/* registry.h: the device registry in SQLite (DESIGN.md §4: a single relay's embedded store).
 *
 * One struct fxr_registry is one SQLite connection: use it from one thread at a time. Several
 * processes may open the same file (WAL mode; writers wait up to 5 s for each other).
 *
 * Errors (Redis anet style): functions return 0 or a negative errno and, on error, write a
 * one-line reason into err[0..errlen) (err may be NULL):
 *   -EINVAL           invalid device id, password, iteration count or limit
 *   -EEXIST           device_add: the id is taken
 *   -ENOENT           no such device
 *   -EBUSY            another writer held the database past the busy timeout
 *   -EPROTONOSUPPORT  open: the file's schema is newer than this program
 *   -ENOMEM, -ENOSPC, -EROFS, -EACCES, -EIO, ...  from SQLite or the system */
#ifndef FXR_REGISTRY_H
#define FXR_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry-t.h"

/* The schema version this program writes (PRAGMA user_version). */
#define FXR_REGISTRY_SCHEMA_VERSION 2

/* Opens the registry at path, creating the file when missing, and brings its schema up to
 * FXR_REGISTRY_SCHEMA_VERSION, each migration step in its own transaction (a step that fails
 * leaves the file at the version before it). Creates the server secret for fake SCRAM records
 * on first use. On success *out owns the connection until fxr_registry_close().
 * Returns 0, -EPROTONOSUPPORT, or an error from SQLite or the system. */
int fxr_registry_open(struct fxr_registry **out, const char *path, char *err, size_t errlen);

/* Finalises the statements and closes the connection. r may be NULL. */
void fxr_registry_close(struct fxr_registry *r);

/* Heap bytes SQLite's page cache holds for this registry now (SQLITE_DBSTATUS_CACHE_USED);
 * -1 when SQLite cannot say. */
long long fxr_registry_cache_bytes(struct fxr_registry *r);

/* The file's schema version (FXR_REGISTRY_SCHEMA_VERSION once open). */
int fxr_registry_schema_version(const struct fxr_registry *r);

/* How many migration steps this open applied (0 when the file was current). */
int fxr_registry_migrations_applied(const struct fxr_registry *r);

/* The SCRAM iteration count for new and changed passwords and for fake records
 * (default FXR_SCRAM_ITER_DEFAULT). Not persisted: it is configuration.
 * Returns 0 or -EINVAL when outside [FXR_SCRAM_ITER_MIN, FXR_SCRAM_ITER_MAX]. */
int fxr_registry_set_iterations(struct fxr_registry *r, uint32_t iterations, char *err,
				size_t errlen);
uint32_t fxr_registry_iterations(const struct fxr_registry *r);

/* Adds an enabled device with conn_limit FXR_REG_CONN_LIMIT_DEFAULT and a credential derived
 * from password (a NUL-terminated string of 1..FXR_SCRAM_PASSWORD_MAX bytes; the caller owns
 * and wipes it). Returns 0, -EINVAL, -EEXIST, ... */
int fxr_registry_device_add(struct fxr_registry *r, const char *id, const char *password,
			    char *err, size_t errlen);

/* Removes a device. Returns 0, -EINVAL, -ENOENT, ... */
int fxr_registry_device_del(struct fxr_registry *r, const char *id, char *err, size_t errlen);

/* Replaces a device's credential with one derived from password (new salt). Connections
 * already logged in are not affected. Returns 0, -EINVAL, -ENOENT, ... */
int fxr_registry_device_passwd(struct fxr_registry *r, const char *id, const char *password,
			       char *err, size_t errlen);

/* Enables or disables logins of a device. Returns 0, -EINVAL, -ENOENT, ... */
int fxr_registry_device_set_enabled(struct fxr_registry *r, const char *id, bool enabled,
				    char *err, size_t errlen);

/* Sets how many logged-in connections a device may hold (1..FXR_REG_CONN_LIMIT_MAX).
 * Returns 0, -EINVAL, -ENOENT, ... */
int fxr_registry_device_set_conn_limit(struct fxr_registry *r, const char *id,
				       uint32_t conn_limit, char *err, size_t errlen);

/* Copies a device's record into *out. Returns 0, -EINVAL, -ENOENT, ... */
int fxr_registry_device_get(struct fxr_registry *r, const char *id, struct fxr_device_rec *out,
			    char *err, size_t errlen);

/* Calls fn for every device in id order (byte order). fn must not call back into r. A
 * non-zero return from fn stops the walk and is returned. Returns 0, fn's value, or an
 * error. */
int fxr_registry_device_list(struct fxr_registry *r,
			     int (*fn)(const struct fxr_device_rec *rec, void *arg), void *arg,
			     char *err, size_t errlen);

/* The credential to challenge a login as id[0..id_len) with (DESIGN.md §2): the device's
 * record when it exists, with *known = its enabled flag; otherwise a fake record derived
 * from the registry's secret (fxr_scram_cred_fake()) with *known = false, so the challenge
 * of an unknown id is stable and looks real. id is the view fxr_scram_server_first() left
 * in s->id. Pass cred and known to fxr_scram_server_challenge().
 * Returns 0, -EINVAL (invalid id), or an error from SQLite. */
int fxr_registry_login_cred(struct fxr_registry *r, const char *id, size_t id_len,
			    struct fxr_scram_cred *cred, bool *known, char *err, size_t errlen);

#endif
