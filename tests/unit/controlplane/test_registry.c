/* Device registry (controlplane/registry.c) on a fresh SQLite file in a temporary folder:
 * migrations, CRUD, login records, and what must never be stored. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fxr/scram.h"
#include "registry.h"

struct tmp {
	char dir[256];
	char db[300];
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	const char *base = getenv("TMPDIR");
	snprintf(t->dir, sizeof(t->dir), "%s/fxr-registry-XXXXXX", base ? base : "/tmp");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->db, sizeof(t->db), "%s/registry.db", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	DIR *d = opendir(t->dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char p[600];
			snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(t->dir);
	free(t);
	return 0;
}

static struct fxr_registry *open_ok(const char *path)
{
	struct fxr_registry *r = NULL;
	char err[256] = "";
	int rc = fxr_registry_open(&r, path, err, sizeof(err));
	if (rc != 0)
		fail_msg("open %s: %d %s", path, rc, err);
	assert_non_null(r);
	return r;
}

/* Runs raw SQL on the file, as another program (or an older fxr) would. */
static int raw_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	int src = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return src;
}

static int raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_migrations(void **state)
{
	struct tmp *t = *state;
	struct fxr_registry *r = open_ok(t->db);
	assert_int_equal(fxr_registry_schema_version(r), FXR_REGISTRY_SCHEMA_VERSION);
	assert_int_equal(fxr_registry_migrations_applied(r), FXR_REGISTRY_SCHEMA_VERSION);
	assert_int_equal(fxr_registry_device_add(r, "keep-me", "pw-1", NULL, 0), 0);
	struct fxr_scram_cred fake1, fake2;
	bool known = true;
	assert_int_equal(fxr_registry_login_cred(r, "ghost", 5, &fake1, &known, NULL, 0), 0);
	assert_false(known);
	fxr_registry_close(r);

	/* reopening runs nothing, keeps the data and the fake-record secret */
	r = open_ok(t->db);
	assert_int_equal(fxr_registry_schema_version(r), FXR_REGISTRY_SCHEMA_VERSION);
	assert_int_equal(fxr_registry_migrations_applied(r), 0);
	struct fxr_device_rec d;
	assert_int_equal(fxr_registry_device_get(r, "keep-me", &d, NULL, 0), 0);
	assert_int_equal(fxr_registry_login_cred(r, "ghost", 5, &fake2, &known, NULL, 0), 0);
	assert_memory_equal(&fake1, &fake2, sizeof(fake1));
	fxr_registry_close(r);

	assert_int_equal(raw_int(t->db, "PRAGMA user_version"), FXR_REGISTRY_SCHEMA_VERSION);
	assert_int_equal(raw_int(t->db, "SELECT count(*) FROM meta"), 1);
	/* WAL is a property of the file */
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The version-1 schema exactly as step 1 created it: a file written by that release. */
static const char v1_schema[] =
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
	") STRICT, WITHOUT ROWID;"
	"INSERT INTO devices (id, salt, iterations, stored_key, server_key, enabled, conn_limit,"
	" created_at, updated_at) VALUES ('old-dev', randomblob(16), 4096, randomblob(32),"
	" randomblob(32), 0, 3, 1000, 2000);"
	"PRAGMA user_version = 1;";

static void test_migrate_forward(void **state)
{
	struct tmp *t = *state;
	assert_int_equal(raw_sql(t->db, v1_schema), SQLITE_OK);
	struct fxr_registry *r = open_ok(t->db);
	assert_int_equal(fxr_registry_migrations_applied(r), 1);
	assert_int_equal(fxr_registry_schema_version(r), FXR_REGISTRY_SCHEMA_VERSION);
	struct fxr_device_rec d;
	assert_int_equal(fxr_registry_device_get(r, "old-dev", &d, NULL, 0), 0);
	assert_false(d.enabled);
	assert_int_equal(d.conn_limit, 3);
	assert_int_equal(d.created_at, 1000);
	assert_int_equal(d.updated_at, 2000);
	/* step 2's table works: the secret is there */
	struct fxr_scram_cred c;
	bool known = true;
	assert_int_equal(fxr_registry_login_cred(r, "nobody", 6, &c, &known, NULL, 0), 0);
	assert_false(known);
	fxr_registry_close(r);
	assert_int_equal(raw_int(t->db, "PRAGMA user_version"), FXR_REGISTRY_SCHEMA_VERSION);
}

static void test_migration_failure_rolls_back(void **state)
{
	struct tmp *t = *state;
	/* a version-1 file where something already took the name step 2 creates */
	assert_int_equal(raw_sql(t->db, v1_schema), SQLITE_OK);
	assert_int_equal(raw_sql(t->db, "CREATE TABLE meta (x INTEGER)"), SQLITE_OK);
	struct fxr_registry *r = NULL;
	char err[256] = "";
	int rc = fxr_registry_open(&r, t->db, err, sizeof(err));
	assert_true(rc < 0);
	assert_null(r);
	assert_non_null(strstr(err, "schema version 2"));
	/* the step left nothing behind: still version 1 */
	assert_int_equal(raw_int(t->db, "PRAGMA user_version"), 1);
}

static void test_newer_schema_refused(void **state)
{
	struct tmp *t = *state;
	assert_int_equal(raw_sql(t->db, "PRAGMA user_version = 99"), SQLITE_OK);
	struct fxr_registry *r = NULL;
	char err[256] = "";
	assert_int_equal(fxr_registry_open(&r, t->db, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_null(r);
	assert_non_null(strstr(err, "99"));
	assert_int_equal(raw_int(t->db, "PRAGMA user_version"), 99);
}

static void test_open_errors(void **state)
{
	struct tmp *t = *state;
	struct fxr_registry *r = NULL;
	char err[256] = "", p[400];
	snprintf(p, sizeof(p), "%s/no/such/dir/x.db", t->dir);
	assert_true(fxr_registry_open(&r, p, err, sizeof(err)) < 0);
	assert_null(r);
	assert_true(err[0] != '\0');
	/* not a database */
	int fd = open(t->db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	char junk[4096];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	err[0] = '\0';
	assert_true(fxr_registry_open(&r, t->db, err, sizeof(err)) < 0);
	assert_null(r);
	assert_true(err[0] != '\0');
}

struct list_acc {
	int n;
	int stop_at;
	char ids[8][65];
};

static int list_cb(const struct fxr_device_rec *rec, void *arg)
{
	struct list_acc *a = arg;
	if (a->n < 8)
		strcpy(a->ids[a->n], rec->id);
	a->n++;
	return a->n == a->stop_at ? 42 : 0;
}

/* A whole SCRAM login as id with password against the registry. */
static int login(struct fxr_registry *r, const char *id, const char *password)
{
	struct fxr_scram_client c;
	struct fxr_scram_server s;
	struct fxr_scram_cred cred;
	bool known;
	char m1[FXR_SCRAM_MSG_MAX + 1], m2[FXR_SCRAM_MSG_MAX + 1];
	fxr_scram_client_clear(&c);
	fxr_scram_server_init(&s);
	int n = fxr_scram_client_start(&c, id, NULL, 0, m1, sizeof(m1), NULL, 0);
	assert_true(n > 0);
	assert_int_equal(fxr_scram_server_first(&s, m1, (size_t)n, NULL, 0), 0);
	assert_int_equal(fxr_registry_login_cred(r, s.id, s.id_len, &cred, &known, NULL, 0), 0);
	n = fxr_scram_server_challenge(&s, &cred, known, NULL, 0, m2, sizeof(m2), NULL, 0);
	assert_true(n > 0);
	n = fxr_scram_client_proof(&c, m2, (size_t)n, password, strlen(password), m1,
				   sizeof(m1), NULL, 0);
	assert_true(n > 0);
	n = fxr_scram_server_final(&s, m1, (size_t)n, m2, sizeof(m2), NULL, 0);
	if (n < 0)
		return n;
	return fxr_scram_client_verify(&c, m2, (size_t)n, NULL, 0);
}

static void test_crud(void **state)
{
	struct tmp *t = *state;
	struct fxr_registry *r = open_ok(t->db);
	char err[256] = "";
	struct fxr_device_rec d;

	assert_int_equal(fxr_registry_device_add(r, "fax-b", "pw-b", err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_device_add(r, "fax-a", "pw-a", err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_device_add(r, "fax-c", "pw-c", err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_device_add(r, "fax-a", "other", err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "fax-a"));

	assert_int_equal(fxr_registry_device_get(r, "fax-a", &d, err, sizeof(err)), 0);
	assert_string_equal(d.id, "fax-a");
	assert_true(d.enabled);
	assert_int_equal(d.conn_limit, FXR_REG_CONN_LIMIT_DEFAULT);
	assert_int_equal(d.cred.iterations, FXR_SCRAM_ITER_DEFAULT);
	assert_int_equal(d.cred.salt_len, FXR_SCRAM_SALT_LEN);
	assert_true(d.created_at > 0);
	assert_int_equal(d.updated_at, d.created_at);
	struct fxr_scram_cred before = d.cred;

	/* the stored record authenticates the password it came from, and only that one */
	assert_int_equal(login(r, "fax-a", "pw-a"), 0);
	assert_int_equal(login(r, "fax-a", "pw-b"), -EACCES);
	assert_int_equal(login(r, "nobody", "pw-a"), -EACCES);

	/* passwd: new salt, old password out, new one in; iterations from the setting */
	assert_int_equal(fxr_registry_set_iterations(r, 4095, err, sizeof(err)), -EINVAL);
	assert_int_equal(fxr_registry_set_iterations(r, 5000, err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_iterations(r), 5000);
	assert_int_equal(fxr_registry_device_passwd(r, "fax-a", "new-pw", err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_device_get(r, "fax-a", &d, err, sizeof(err)), 0);
	assert_memory_not_equal(d.cred.salt, before.salt, FXR_SCRAM_SALT_LEN);
	assert_int_equal(d.cred.iterations, 5000);
	assert_true(d.updated_at >= d.created_at);
	assert_int_equal(login(r, "fax-a", "pw-a"), -EACCES);
	assert_int_equal(login(r, "fax-a", "new-pw"), 0);
	assert_int_equal(fxr_registry_device_passwd(r, "fax-z", "x", err, sizeof(err)), -ENOENT);
	assert_int_equal(fxr_registry_device_passwd(r, "fax-a", "", err, sizeof(err)), -EINVAL);

	/* disable: the record stays, the challenge stays the same, login fails */
	struct fxr_scram_cred c1, c2;
	bool known;
	assert_int_equal(fxr_registry_login_cred(r, "fax-a", 5, &c1, &known, NULL, 0), 0);
	assert_true(known);
	assert_int_equal(fxr_registry_device_set_enabled(r, "fax-a", false, err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_device_get(r, "fax-a", &d, err, sizeof(err)), 0);
	assert_false(d.enabled);
	assert_int_equal(fxr_registry_login_cred(r, "fax-a", 5, &c2, &known, NULL, 0), 0);
	assert_false(known);
	assert_memory_equal(c1.salt, c2.salt, FXR_SCRAM_SALT_LEN);
	assert_int_equal(login(r, "fax-a", "new-pw"), -EACCES);
	assert_int_equal(fxr_registry_device_set_enabled(r, "fax-a", true, err, sizeof(err)), 0);
	assert_int_equal(login(r, "fax-a", "new-pw"), 0);
	assert_int_equal(fxr_registry_device_set_enabled(r, "fax-z", true, err, sizeof(err)),
			 -ENOENT);

	/* connection limit */
	assert_int_equal(fxr_registry_device_set_conn_limit(r, "fax-c", 2, err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_device_get(r, "fax-c", &d, err, sizeof(err)), 0);
	assert_int_equal(d.conn_limit, 2);
	assert_int_equal(fxr_registry_device_set_conn_limit(r, "fax-c", 0, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(fxr_registry_device_set_conn_limit(r, "fax-c", 65536, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(fxr_registry_device_set_conn_limit(r, "fax-z", 3, err, sizeof(err)),
			 -ENOENT);

	/* list: id order; a non-zero callback value stops the walk and comes back */
	struct list_acc acc = { .stop_at = -1 };
	assert_int_equal(fxr_registry_device_list(r, list_cb, &acc, err, sizeof(err)), 0);
	assert_int_equal(acc.n, 3);
	assert_string_equal(acc.ids[0], "fax-a");
	assert_string_equal(acc.ids[1], "fax-b");
	assert_string_equal(acc.ids[2], "fax-c");
	acc = (struct list_acc){ .stop_at = 2 };
	assert_int_equal(fxr_registry_device_list(r, list_cb, &acc, err, sizeof(err)), 42);
	assert_int_equal(acc.n, 2);
	/* the statement was reset: a new walk starts from the beginning */
	acc = (struct list_acc){ .stop_at = -1 };
	assert_int_equal(fxr_registry_device_list(r, list_cb, &acc, err, sizeof(err)), 0);
	assert_int_equal(acc.n, 3);

	/* delete */
	assert_int_equal(fxr_registry_device_del(r, "fax-b", err, sizeof(err)), 0);
	assert_int_equal(fxr_registry_device_del(r, "fax-b", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "fax-b"));
	assert_int_equal(fxr_registry_device_get(r, "fax-b", &d, err, sizeof(err)), -ENOENT);
	acc = (struct list_acc){ .stop_at = -1 };
	assert_int_equal(fxr_registry_device_list(r, list_cb, &acc, err, sizeof(err)), 0);
	assert_int_equal(acc.n, 2);
	/* the id is free again */
	assert_int_equal(fxr_registry_device_add(r, "fax-b", "pw-b2", err, sizeof(err)), 0);
	fxr_registry_close(r);

	/* everything survived the close */
	r = open_ok(t->db);
	assert_int_equal(fxr_registry_device_get(r, "fax-c", &d, err, sizeof(err)), 0);
	assert_int_equal(d.conn_limit, 2);
	assert_int_equal(login(r, "fax-a", "new-pw"), 0);
	assert_int_equal(login(r, "fax-b", "pw-b2"), 0);
	fxr_registry_close(r);
}

static void test_bad_ids(void **state)
{
	struct tmp *t = *state;
	struct fxr_registry *r = open_ok(t->db);
	char err[256];
	struct fxr_device_rec d;
	char long_id[66];
	memset(long_id, 'a', 65);
	long_id[65] = '\0';
	const char *bad[] = { "", "a b", "a,b", "a=b", "a/b", "caf\xc3\xa9", "a\tb", long_id };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(fxr_registry_device_add(r, bad[i], "pw", err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "invalid device id"));
		assert_int_equal(fxr_registry_device_del(r, bad[i], NULL, 0), -EINVAL);
		assert_int_equal(fxr_registry_device_passwd(r, bad[i], "pw", NULL, 0), -EINVAL);
		assert_int_equal(fxr_registry_device_set_enabled(r, bad[i], true, NULL, 0),
				 -EINVAL);
		assert_int_equal(fxr_registry_device_get(r, bad[i], &d, NULL, 0), -EINVAL);
	}
	assert_int_equal(fxr_registry_device_add(r, NULL, "pw", NULL, 0), -EINVAL);
	assert_int_equal(fxr_registry_device_add(r, "ok", NULL, NULL, 0), -EINVAL);
	assert_int_equal(fxr_registry_device_add(r, "ok", "", NULL, 0), -EINVAL);
	/* 64 bytes and the whole alphabet are fine */
	long_id[64] = '\0';
	assert_int_equal(fxr_registry_device_add(r, long_id, "pw", NULL, 0), 0);
	assert_int_equal(fxr_registry_device_add(r, "AZaz09._@+-", "pw", NULL, 0), 0);
	struct list_acc acc = { .stop_at = -1 };
	assert_int_equal(fxr_registry_device_list(r, list_cb, &acc, NULL, 0), 0);
	assert_int_equal(acc.n, 2);
	fxr_registry_close(r);

	/* the schema refuses them too, whoever writes the file */
	assert_int_equal(raw_sql(t->db, "INSERT INTO devices (id, salt, iterations, stored_key,"
					" server_key, created_at, updated_at) VALUES ('a b',"
					" randomblob(16), 4096, randomblob(32), randomblob(32),"
					" 0, 0)"),
			 SQLITE_CONSTRAINT);
	assert_int_equal(raw_sql(t->db, "INSERT INTO devices (id, salt, iterations, stored_key,"
					" server_key, created_at, updated_at) VALUES ('ok2',"
					" randomblob(16), 100, randomblob(32), randomblob(32),"
					" 0, 0)"),
			 SQLITE_CONSTRAINT);
}

/* True when needle occurs in the file at path (missing file: false). */
static bool file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	static char buf[4 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n < sizeof(buf));
	return memmem(buf, n, needle, strlen(needle)) != NULL;
}

static void test_password_not_stored(void **state)
{
	struct tmp *t = *state;
	static const char pw1[] = "Marker-Password-One-7f3a";
	static const char pw2[] = "Marker-Password-Two-91c2";
	char wal[320], shm[320];
	snprintf(wal, sizeof(wal), "%s-wal", t->db);
	snprintf(shm, sizeof(shm), "%s-shm", t->db);

	struct fxr_registry *r = open_ok(t->db);
	assert_int_equal(fxr_registry_device_add(r, "secretive", pw1, NULL, 0), 0);
	assert_int_equal(fxr_registry_device_passwd(r, "secretive", pw2, NULL, 0), 0);
	/* while open the data sits in the WAL: look there too */
	assert_true(file_has(wal, "secretive"));
	assert_false(file_has(wal, pw1));
	assert_false(file_has(wal, pw2));
	assert_int_equal(login(r, "secretive", pw2), 0);
	fxr_registry_close(r);

	/* the control: the id itself is found, so the search works */
	assert_true(file_has(t->db, "secretive"));
	assert_false(file_has(t->db, pw1));
	assert_false(file_has(t->db, pw2));
	assert_false(file_has(wal, pw1));
	assert_false(file_has(shm, pw1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_failure_rolls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_not_stored, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
