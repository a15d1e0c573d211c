/* Device registry in SQLite: schema migrations, prepared statements, credential records. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "fxr/devid.h"
#include "fxr/scram.h"
#include "registry.h"

/* Schema history: step N (1-based) takes a file from user_version N-1 to N. Steps are only
 * ever appended; a released step is never edited, since files in the field already ran it. */
static const char *const migrations[] = {
	/* 1: devices and their SCRAM records (RFC 5802 §3: salt, i, StoredKey, ServerKey).
	 * The CHECKs repeat the C validation so that no other writer (sqlite3 CLI, a later
	 * program) can store a record the relay would misread. */
	"CREATE TABLE devices ("
	" id TEXT PRIMARY KEY NOT NULL"
	"  CHECK (length(id) BETWEEN 1 AND 64 AND id NOT GLOB '*[^A-Za-z0-9._@+-]*'),"
	" salt BLOB NOT NULL CHECK (length(salt) BETWEEN 1 AND 64),"
	" iterations INTEGER NOT NULL CHECK (iterations BETWEEN 4096 AND 10000000),"
	" stored_key BLOB NOT NULL CHECK (length(stored_key) = 32),"
	" server_key BLOB NOT NULL CHECK (length(server_key) = 32),"
	" enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
	" conn_limit INTEGER NOT NULL DEFAULT 8 CHECK (conn_limit BETWEEN 1 AND 65535),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL"
	") STRICT, WITHOUT ROWID;",

	/* 2: per-database settings; the first is the secret behind fake SCRAM records, kept
	 * with the data so that unknown ids get the same challenge after a restart */
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value BLOB NOT NULL"
	") STRICT, WITHOUT ROWID;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == FXR_REGISTRY_SCHEMA_VERSION,
	       "FXR_REGISTRY_SCHEMA_VERSION must count the migration steps");

#define DEV_COLS \
	"id, salt, iterations, stored_key, server_key, enabled, conn_limit, created_at, updated_at"

/* X(NAME, SQL): every statement the registry runs after open, prepared once. */
#define REG_STMT_LIST(X)                                                                      \
	X(DEV_INSERT, "INSERT INTO devices (id, salt, iterations, stored_key, server_key,"   \
		      " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)")          \
	X(DEV_DELETE, "DELETE FROM devices WHERE id = ?1")                                    \
	X(DEV_PASSWD, "UPDATE devices SET salt = ?2, iterations = ?3, stored_key = ?4,"      \
		      " server_key = ?5, updated_at = ?6 WHERE id = ?1")                      \
	X(DEV_ENABLE, "UPDATE devices SET enabled = ?2, updated_at = ?3 WHERE id = ?1")       \
	X(DEV_CONNLIM, "UPDATE devices SET conn_limit = ?2, updated_at = ?3 WHERE id = ?1")   \
	X(DEV_GET, "SELECT " DEV_COLS " FROM devices WHERE id = ?1")                          \
	X(DEV_LIST, "SELECT " DEV_COLS " FROM devices ORDER BY id")

enum reg_stmt {
#define REG_STMT_ENUM(name, sql) REG_##name,
	REG_STMT_LIST(REG_STMT_ENUM)
#undef REG_STMT_ENUM
	REG_STMT_COUNT
};

static const char *const reg_stmt_sql[REG_STMT_COUNT] = {
#define REG_STMT_SQL(name, sql) [REG_##name] = sql,
	REG_STMT_LIST(REG_STMT_SQL)
#undef REG_STMT_SQL
};

struct fxr_registry {
	sqlite3 *db;
	sqlite3_stmt *stmt[REG_STMT_COUNT];
	int version;
	int applied;
	uint32_t iterations;
	uint8_t secret[FXR_REG_SECRET_LEN];
};

__attribute__((format(printf, 4, 5)))
static int reg_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err != NULL && errlen != 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Maps an SQLite result to a negative errno and writes "<what>: <sqlite's message>". */
static int reg_sqlerr(sqlite3 *db, int src, const char *what, char *err, size_t errlen)
{
	int rc;
	switch (src) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		rc = -EEXIST;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		rc = -EBUSY;
		break;
	case SQLITE_NOMEM:
		rc = -ENOMEM;
		break;
	case SQLITE_READONLY:
		rc = -EROFS;
		break;
	case SQLITE_FULL:
		rc = -ENOSPC;
		break;
	default:
		if ((src & 0xff) == SQLITE_CONSTRAINT) {
			rc = -EINVAL;
		} else if ((src & 0xff) == SQLITE_CANTOPEN || (src & 0xff) == SQLITE_IOERR) {
			/* the system's errno says more than SQLite's class (ENOENT, EACCES) */
			int sys = db != NULL ? sqlite3_system_errno(db) : 0;
			rc = sys > 0 ? -sys : -EIO;
		} else {
			rc = -EIO;
		}
	}
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src);
	return reg_err(err, errlen, rc, "%s: %s", what, msg);
}

/* Runs SQL that returns no rows (or whose rows do not matter). */
static int reg_exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	int src = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return src == SQLITE_OK ? 0 : reg_sqlerr(db, src, what, err, errlen);
}

/* Reads one integer from a single-row statement (PRAGMA user_version). */
static int reg_query_int(sqlite3 *db, const char *sql, int *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (src != SQLITE_OK)
		return reg_sqlerr(db, src, sql, err, errlen);
	src = sqlite3_step(st);
	int rc = 0;
	if (src == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else
		rc = reg_sqlerr(db, src, sql, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

/* Applies the missing migration steps, each in its own IMMEDIATE transaction: the version
 * is read again under the write lock, so two processes opening an old file at once apply
 * each step once. */
static int reg_migrate(struct fxr_registry *r, char *err, size_t errlen)
{
	int v;
	int rc = reg_query_int(r->db, "PRAGMA user_version", &v, err, errlen);
	if (rc != 0)
		return rc;
	if (v < 0 || v > FXR_REGISTRY_SCHEMA_VERSION)
		return reg_err(err, errlen, -EPROTONOSUPPORT,
			       "database schema version %d is newer than this program's (%d)", v,
			       FXR_REGISTRY_SCHEMA_VERSION);
	while (v < FXR_REGISTRY_SCHEMA_VERSION) {
		rc = reg_exec(r->db, "BEGIN IMMEDIATE", "migration: begin", err, errlen);
		if (rc != 0)
			return rc;
		rc = reg_query_int(r->db, "PRAGMA user_version", &v, err, errlen);
		if (rc == 0 && v < FXR_REGISTRY_SCHEMA_VERSION) {
			char what[64], set[64];
			snprintf(what, sizeof(what), "migration to schema version %d", v + 1);
			snprintf(set, sizeof(set), "PRAGMA user_version = %d", v + 1);
			rc = reg_exec(r->db, migrations[v], what, err, errlen);
			if (rc == 0)
				rc = reg_exec(r->db, set, what, err, errlen);
			if (rc == 0)
				rc = reg_exec(r->db, "COMMIT", what, err, errlen);
			if (rc == 0) {
				v++;
				r->applied++;
			}
		} else if (rc == 0) {
			rc = reg_exec(r->db, "COMMIT", "migration: commit", err, errlen);
		}
		if (rc != 0) {
			/* keeps the first error's message */
			sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	r->version = v;
	return 0;
}

/* Creates the fake-record secret on first open and loads it. */
static int reg_load_secret(struct fxr_registry *r, char *err, size_t errlen)
{
	uint8_t fresh[FXR_REG_SECRET_LEN];
	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return reg_err(err, errlen, -EIO, "no random bytes for the server secret");
	sqlite3_stmt *st = NULL;
	const char *ins = "INSERT OR IGNORE INTO meta (key, value) VALUES ('scram_secret', ?1)";
	int src = sqlite3_prepare_v2(r->db, ins, -1, &st, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_bind_blob(st, 1, fresh, sizeof(fresh), SQLITE_TRANSIENT);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	sqlite3_finalize(st);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (src != SQLITE_DONE)
		return reg_sqlerr(r->db, src, "server secret", err, errlen);

	const char *sel = "SELECT value FROM meta WHERE key = 'scram_secret'";
	src = sqlite3_prepare_v2(r->db, sel, -1, &st, NULL);
	if (src != SQLITE_OK)
		return reg_sqlerr(r->db, src, "server secret", err, errlen);
	int rc = 0;
	src = sqlite3_step(st);
	if (src != SQLITE_ROW)
		rc = reg_sqlerr(r->db, src, "server secret", err, errlen);
	else if (sqlite3_column_bytes(st, 0) != FXR_REG_SECRET_LEN)
		rc = reg_err(err, errlen, -EIO, "server secret: stored value has %d bytes",
			     sqlite3_column_bytes(st, 0));
	else
		memcpy(r->secret, sqlite3_column_blob(st, 0), FXR_REG_SECRET_LEN);
	sqlite3_finalize(st);
	return rc;
}

int fxr_registry_open(struct fxr_registry **out, const char *path, char *err, size_t errlen)
{
	struct fxr_registry *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return reg_err(err, errlen, -ENOMEM, "out of memory");
	r->iterations = FXR_SCRAM_ITER_DEFAULT;

	int src = sqlite3_open_v2(path, &r->db,
				  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					  SQLITE_OPEN_NOMUTEX,
				  NULL);
	int rc = 0;
	if (src != SQLITE_OK) {
		char what[256];
		snprintf(what, sizeof(what), "open %s", path);
		rc = reg_sqlerr(r->db, src, what, err, errlen);
		goto fail;
	}
	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_busy_timeout(r->db, 5000);

	/* WAL: readers (fxrctl, a second relay process) never block the writer. It is a
	 * property of the file, so check what SQLite actually chose. */
	int wal = 0;
	sqlite3_stmt *st;
	src = sqlite3_prepare_v2(r->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		wal = mode != NULL && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0);
		src = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (src != SQLITE_OK) {
		rc = reg_sqlerr(r->db, src, "journal_mode", err, errlen);
		goto fail;
	}
	if (!wal) {
		rc = reg_err(err, errlen, -EIO, "journal_mode: WAL refused for %s", path);
		goto fail;
	}
	/* NORMAL is durable across process crashes in WAL mode; secure_delete zeroes old
	 * credential records instead of leaving them in free pages */
	rc = reg_exec(r->db,
		      "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
		      " PRAGMA secure_delete = ON;",
		      "pragmas", err, errlen);
	if (rc == 0)
		rc = reg_migrate(r, err, errlen);
	if (rc == 0)
		rc = reg_load_secret(r, err, errlen);
	if (rc != 0)
		goto fail;

	for (int i = 0; i < REG_STMT_COUNT; i++) {
		src = sqlite3_prepare_v3(r->db, reg_stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					 &r->stmt[i], NULL);
		if (src != SQLITE_OK) {
			rc = reg_sqlerr(r->db, src, reg_stmt_sql[i], err, errlen);
			goto fail;
		}
	}
	*out = r;
	return 0;

fail:
	fxr_registry_close(r);
	return rc;
}

long long fxr_registry_cache_bytes(struct fxr_registry *r)
{
	int cur = 0, hi = 0;
	if (sqlite3_db_status(r->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0) != SQLITE_OK)
		return -1;
	return cur;
}

void fxr_registry_close(struct fxr_registry *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < REG_STMT_COUNT; i++)
		sqlite3_finalize(r->stmt[i]);
	/* sqlite3_close_v2: closes even if a statement were left (none is) */
	sqlite3_close_v2(r->db);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

int fxr_registry_schema_version(const struct fxr_registry *r)
{
	return r->version;
}

int fxr_registry_migrations_applied(const struct fxr_registry *r)
{
	return r->applied;
}

int fxr_registry_set_iterations(struct fxr_registry *r, uint32_t iterations, char *err,
				size_t errlen)
{
	if (iterations < FXR_SCRAM_ITER_MIN || iterations > FXR_SCRAM_ITER_MAX)
		return reg_err(err, errlen, -EINVAL, "iterations must be %u..%u",
			       FXR_SCRAM_ITER_MIN, FXR_SCRAM_ITER_MAX);
	r->iterations = iterations;
	return 0;
}

uint32_t fxr_registry_iterations(const struct fxr_registry *r)
{
	return r->iterations;
}

static int check_id(const char *id, char *err, size_t errlen)
{
	if (id == NULL || !fxr_devid_valid_cstr(id))
		return reg_err(err, errlen, -EINVAL,
			       "invalid device id (1..64 bytes of A-Z a-z 0-9 . _ @ + -)");
	return 0;
}

static int derive(const struct fxr_registry *r, const char *password,
		  struct fxr_scram_cred *cred, char *err, size_t errlen)
{
	if (password == NULL)
		return reg_err(err, errlen, -EINVAL, "no password");
	size_t n = strnlen(password, FXR_SCRAM_PASSWORD_MAX + 1);
	return fxr_scram_cred_derive(cred, password, n, r->iterations, err, errlen);
}

/* Binds ?1 id and ?2..?5 the credential. */
static int bind_cred(sqlite3_stmt *st, const char *id, const struct fxr_scram_cred *c)
{
	int src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_blob(st, 2, c->salt, c->salt_len, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 3, c->iterations);
	if (src == SQLITE_OK)
		src = sqlite3_bind_blob(st, 4, c->stored_key, FXR_SCRAM_KEY_LEN, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_blob(st, 5, c->server_key, FXR_SCRAM_KEY_LEN, SQLITE_STATIC);
	return src;
}

/* Steps a write statement to its end, resets it, and reports how many rows it changed. */
static int run_write(struct fxr_registry *r, sqlite3_stmt *st, int src, const char *what,
		     char *err, size_t errlen)
{
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	int rc = 0;
	if (src != SQLITE_DONE)
		rc = reg_sqlerr(r->db, src, what, err, errlen);
	else
		rc = sqlite3_changes(r->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Derives a credential from password and writes it for id with statement which (INSERT or
 * UPDATE: both bind the credential at 1..5 and the time at 6). Returns run_write()'s result:
 * rows changed or a negative errno. The credential is wiped either way. */
static int write_cred(struct fxr_registry *r, enum reg_stmt which, const char *id,
		      const char *password, const char *what, char *err, size_t errlen)
{
	struct fxr_scram_cred cred;
	int rc = check_id(id, err, errlen);
	if (rc == 0)
		rc = derive(r, password, &cred, err, errlen);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st = r->stmt[which];
	int src = bind_cred(st, id, &cred);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	rc = run_write(r, st, src, what, err, errlen);
	OPENSSL_cleanse(&cred, sizeof(cred));
	return rc;
}

int fxr_registry_device_add(struct fxr_registry *r, const char *id, const char *password,
			    char *err, size_t errlen)
{
	int rc = write_cred(r, REG_DEV_INSERT, id, password, "device add", err, errlen);
	if (rc == -EEXIST)
		return reg_err(err, errlen, -EEXIST, "device %s exists", id);
	return rc < 0 ? rc : 0;
}

/* Turns "no row changed" into -ENOENT. */
static int changed_one(int rc, const char *id, char *err, size_t errlen)
{
	if (rc < 0)
		return rc;
	if (rc == 0)
		return reg_err(err, errlen, -ENOENT, "no device %s", id);
	return 0;
}

int fxr_registry_device_del(struct fxr_registry *r, const char *id, char *err, size_t errlen)
{
	int rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st = r->stmt[REG_DEV_DELETE];
	int src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return changed_one(run_write(r, st, src, "device del", err, errlen), id, err, errlen);
}

int fxr_registry_device_passwd(struct fxr_registry *r, const char *id, const char *password,
			       char *err, size_t errlen)
{
	return changed_one(write_cred(r, REG_DEV_PASSWD, id, password, "device passwd", err,
				      errlen), id, err, errlen);
}

/* UPDATE ... SET <column> = ?2, updated_at = ?3 WHERE id = ?1 */
static int set_column(struct fxr_registry *r, enum reg_stmt which, const char *id,
		      int64_t value, const char *what, char *err, size_t errlen)
{
	int rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st = r->stmt[which];
	int src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 2, value);
	if (src == SQLITE_OK)
		src = sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	return changed_one(run_write(r, st, src, what, err, errlen), id, err, errlen);
}

int fxr_registry_device_set_enabled(struct fxr_registry *r, const char *id, bool enabled,
				    char *err, size_t errlen)
{
	return set_column(r, REG_DEV_ENABLE, id, enabled ? 1 : 0, "device enable", err, errlen);
}

int fxr_registry_device_set_conn_limit(struct fxr_registry *r, const char *id,
				       uint32_t conn_limit, char *err, size_t errlen)
{
	if (conn_limit < 1 || conn_limit > FXR_REG_CONN_LIMIT_MAX)
		return reg_err(err, errlen, -EINVAL, "connection limit must be 1..%u",
			       FXR_REG_CONN_LIMIT_MAX);
	return set_column(r, REG_DEV_CONNLIM, id, conn_limit, "device conn_limit", err, errlen);
}

/* Copies the current row of a DEV_COLS statement, checking what the schema's CHECKs
 * promise so that a file edited by hand cannot overrun the record. */
static int row_to_rec(sqlite3_stmt *st, struct fxr_device_rec *d, char *err, size_t errlen)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	int salt_len = sqlite3_column_bytes(st, 1);
	const void *salt = sqlite3_column_blob(st, 1);
	int64_t iter = sqlite3_column_int64(st, 2);
	if (id == NULL || !fxr_devid_valid_cstr(id) || salt == NULL || salt_len < 1 ||
	    salt_len > (int)FXR_SCRAM_SALT_MAX || iter < FXR_SCRAM_ITER_MIN ||
	    iter > FXR_SCRAM_ITER_MAX || sqlite3_column_bytes(st, 3) != FXR_SCRAM_KEY_LEN ||
	    sqlite3_column_bytes(st, 4) != FXR_SCRAM_KEY_LEN)
		return reg_err(err, errlen, -EIO, "corrupt device record");
	memset(d, 0, sizeof(*d));
	strcpy(d->id, id);
	memcpy(d->cred.salt, salt, (size_t)salt_len);
	d->cred.salt_len = (uint8_t)salt_len;
	d->cred.iterations = (uint32_t)iter;
	memcpy(d->cred.stored_key, sqlite3_column_blob(st, 3), FXR_SCRAM_KEY_LEN);
	memcpy(d->cred.server_key, sqlite3_column_blob(st, 4), FXR_SCRAM_KEY_LEN);
	d->enabled = sqlite3_column_int(st, 5) != 0;
	d->conn_limit = (uint16_t)sqlite3_column_int(st, 6);
	d->created_at = sqlite3_column_int64(st, 7);
	d->updated_at = sqlite3_column_int64(st, 8);
	return 0;
}

int fxr_registry_device_get(struct fxr_registry *r, const char *id, struct fxr_device_rec *out,
			    char *err, size_t errlen)
{
	int rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st = r->stmt[REG_DEV_GET];
	int src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (src == SQLITE_OK)
		src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		rc = row_to_rec(st, out, err, errlen);
	else if (src == SQLITE_DONE)
		rc = reg_err(err, errlen, -ENOENT, "no device %s", id);
	else
		rc = reg_sqlerr(r->db, src, "device get", err, errlen);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int fxr_registry_device_list(struct fxr_registry *r,
			     int (*fn)(const struct fxr_device_rec *rec, void *arg), void *arg,
			     char *err, size_t errlen)
{
	sqlite3_stmt *st = r->stmt[REG_DEV_LIST];
	struct fxr_device_rec d;
	int rc = 0;
	for (;;) {
		int src = sqlite3_step(st);
		if (src == SQLITE_DONE)
			break;
		if (src != SQLITE_ROW) {
			rc = reg_sqlerr(r->db, src, "device list", err, errlen);
			break;
		}
		rc = row_to_rec(st, &d, err, errlen);
		if (rc == 0)
			rc = fn(&d, arg);
		if (rc != 0)
			break;
	}
	sqlite3_reset(st);
	OPENSSL_cleanse(&d, sizeof(d));
	return rc;
}

int fxr_registry_login_cred(struct fxr_registry *r, const char *id, size_t id_len,
			    struct fxr_scram_cred *cred, bool *known, char *err, size_t errlen)
{
	char cid[FXR_DEVID_MAX + 1];
	if (id == NULL || !fxr_devid_valid((const uint8_t *)id, id_len))
		return reg_err(err, errlen, -EINVAL, "invalid device id");
	memcpy(cid, id, id_len);
	cid[id_len] = '\0';

	struct fxr_device_rec d;
	int rc = fxr_registry_device_get(r, cid, &d, err, errlen);
	if (rc == 0) {
		/* a disabled device keeps its real challenge, so disabling it is not visible
		 * from outside; the flag makes the proof fail */
		*cred = d.cred;
		*known = d.enabled;
		OPENSSL_cleanse(&d, sizeof(d));
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	*known = false;
	return fxr_scram_cred_fake(cred, r->secret, sizeof(r->secret), id, id_len, r->iterations,
				   err, errlen);
}
