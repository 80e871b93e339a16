/*
 * test_store.c: the store handle (plugin/core/store.c) and the SQLite
 * backend (plugin/stores/sqlite.c). Each test gets its own temporary
 * directory; a counting fake backend shows that the core reaches a backend
 * only through its struct.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include <closeloop/closeloop.h>
#include <closeloop/sys/store.h>

#include "runner.h"

/* ------------------------------------------------------------------ */
/* Fixture: a temporary directory, and a fixed clock                   */
/* ------------------------------------------------------------------ */

static char tmpdir[256];
static char db_path[512];
static int64_t fixed_now = 1700000000;

static int64_t fixed_clock(void *payload)
{
	return *(const int64_t *)payload;
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/cl-store-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", tmpdir);
	cl_clock_set(fixed_clock, &fixed_now);
	cl_error_clear();
}

/* Remove the directory and whatever a test left in it (one level). */
static void teardown(void)
{
	DIR *dir = opendir(tmpdir);
	struct dirent *entry;
	char path[768];

	cl_clock_set(NULL, NULL);
	if (dir == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, entry->d_name);
		if (unlink(path) != 0)
			rmdir(path);
	}
	closedir(dir);
	rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static const char *last_message(void)
{
	return cl_error_last()->message;
}

#define assert_message_has(text) \
	ck_assert_msg(strstr(last_message(), (text)) != NULL, \
		"message '%s' lacks '%s'", last_message(), (text))

static cl_store *open_store(void)
{
	cl_store *store = NULL;

	ck_assert_int_eq(cl_store_open(&store, db_path), 0);
	ck_assert_ptr_nonnull(store);
	return store;
}

static int64_t append(cl_store *store, int64_t time, const char *type,
	const char *ticket)
{
	cl_event ev = { 0, time, type, ticket, "alice", NULL, NULL };

	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	return ev.id;
}

/* Run a statement on the file directly, as another program would. */
static int raw_exec(const char *sql, char *message, size_t len)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (message != NULL)
		snprintf(message, len, "%s", err ? err : "");
	sqlite3_free(err);
	sqlite3_close(db);
	return rc;
}

/* The first column of the first row of sql, as text. */
static void raw_query(const char *sql, char *out, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	const unsigned char *text;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	text = sqlite3_column_text(stmt, 0);
	snprintf(out, len, "%s", text ? (const char *)text : "(null)");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* Collects ids of the events a foreach visits. */
typedef struct {
	int64_t ids[64];
	size_t count;
	size_t stop_after; /* 0: never stop */
	int stop_value;
} collector;

static int collect(const cl_event *event, void *payload)
{
	collector *c = payload;

	ck_assert_uint_lt(c->count, 64);
	c->ids[c->count++] = event->id;
	if (c->stop_after != 0 && c->count == c->stop_after)
		return c->stop_value;
	return 0;
}

/* The events matched by filter, as "1,3,4". */
static const char *matching(cl_store *store, const cl_event_filter *filter)
{
	static char out[256];
	collector c;
	size_t i, used = 0;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cl_store_foreach(store, filter, collect, &c), 0);
	out[0] = '\0';
	for (i = 0; i < c.count; i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%lld",
			i ? "," : "", (long long)c.ids[i]);
	return out;
}

/* ------------------------------------------------------------------ */
/* Opening, WAL, schema                                                */
/* ------------------------------------------------------------------ */

START_TEST(test_open_creates)
{
	cl_store *store;
	int version = -1;

	ck_assert(!file_exists(db_path));
	store = open_store();
	ck_assert(file_exists(db_path));
	ck_assert_str_eq(cl_store_backend_name(store), "sqlite");
	ck_assert_int_eq(cl_store_schema_version(store, &version), 0);
	ck_assert_int_eq(version, CL_STORE_SCHEMA_VERSION);
	cl_store_free(store);
}
END_TEST

START_TEST(test_wal_mode)
{
	cl_store *store = open_store();
	char wal[600];
	char mode[32];

	append(store, 0, "push.accepted", NULL);
	/* While the store is open, the append sits in the write-ahead log. */
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	ck_assert(file_exists(wal));
	cl_store_free(store);
	/* The mode is persistent in the file. */
	raw_query("PRAGMA journal_mode", mode, sizeof(mode));
	ck_assert_str_eq(mode, "wal");
}
END_TEST

START_TEST(test_schema_tables)
{
	static const char *const tables[] = {
		"events", "deliveries", "outbox", "reminders", "cursors"
	};
	cl_store *store = open_store();
	char sql[256], count[16];
	size_t i;

	cl_store_free(store);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master"
			" WHERE type = 'table' AND name = '%s'", tables[i]);
		raw_query(sql, count, sizeof(count));
		ck_assert_msg(strcmp(count, "1") == 0, "no table %s", tables[i]);
	}
	raw_query("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
		" AND name IN ('events_time', 'events_ticket', 'events_type')",
		count, sizeof(count));
	ck_assert_str_eq(count, "3");
	/* Version 2: claims on both queues, the hand-out order, cursor times. */
	raw_query("SELECT count(*) FROM pragma_table_info('deliveries')"
		" WHERE name IN ('seq', 'claim_pid', 'claim_token', 'claim_until',"
		" 'finished', 'reason')", count, sizeof(count));
	ck_assert_str_eq(count, "6");
	raw_query("SELECT pk FROM pragma_table_info('deliveries')"
		" WHERE name = 'seq'", count, sizeof(count));
	ck_assert_str_eq(count, "1");
	raw_query("SELECT count(*) FROM pragma_table_info('outbox')"
		" WHERE name IN ('claim_pid', 'claim_token', 'claim_until',"
		" 'finished')", count, sizeof(count));
	ck_assert_str_eq(count, "4");
	raw_query("SELECT count(*) FROM pragma_table_info('cursors')"
		" WHERE name = 'updated'", count, sizeof(count));
	ck_assert_str_eq(count, "1");
	/* Version 3: the parsed event of a delivery. */
	raw_query("SELECT count(*) FROM pragma_table_info('deliveries')"
		" WHERE name = 'tevent'", count, sizeof(count));
	ck_assert_str_eq(count, "1");
	raw_query("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
		" AND name IN ('deliveries_state', 'outbox_due')",
		count, sizeof(count));
	ck_assert_str_eq(count, "2");
}
END_TEST

START_TEST(test_reopen_keeps_data_and_version)
{
	cl_store *store = open_store();
	int version = 0;
	char text[32];
	int64_t id;

	id = append(store, 1234, "work.done", "support:42");
	cl_store_free(store);

	store = open_store();
	ck_assert_int_eq(cl_store_schema_version(store, &version), 0);
	ck_assert_int_eq(version, CL_STORE_SCHEMA_VERSION);
	ck_assert_str_eq(matching(store, NULL), "1");
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(append(store, 0, "work.done", NULL), 2);
	cl_store_free(store);

	raw_query("PRAGMA user_version", text, sizeof(text));
	ck_assert_int_eq(atoi(text), CL_STORE_SCHEMA_VERSION);
}
END_TEST

START_TEST(test_newer_schema_rejected)
{
	cl_store *store = (cl_store *)&store;
	char count[16], expected[128];

	ck_assert_int_eq(raw_exec("PRAGMA user_version = 99", NULL, 0),
		SQLITE_OK);
	ck_assert_int_eq(cl_store_open(&store, db_path), CL_EVERSION);
	ck_assert_ptr_null(store);
	ck_assert_int_eq(cl_error_last()->code, CL_EVERSION);
	snprintf(expected, sizeof(expected), "ledger schema version 99 is "
		"newer than this closeloop (%d)", CL_STORE_SCHEMA_VERSION);
	ck_assert_str_eq(last_message(), expected);
	/* Nothing was migrated. */
	raw_query("SELECT count(*) FROM sqlite_master", count, sizeof(count));
	ck_assert_str_eq(count, "0");
}
END_TEST

START_TEST(test_missing_directory)
{
	cl_store *store = (cl_store *)&store;
	char dir[300], path[320];

	snprintf(dir, sizeof(dir), "%s/missing", tmpdir);
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	ck_assert_int_eq(cl_store_open(&store, path), CL_ESTORE);
	ck_assert_ptr_null(store);
	assert_message_has("cannot open ledger ");
	assert_message_has(path);
	assert_message_has("unable to open database file");
	ck_assert(!file_exists(dir));
}
END_TEST

START_TEST(test_not_a_database)
{
	cl_store *store = NULL;
	FILE *f = fopen(db_path, "w");

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database file at all\n", f);
	fclose(f);
	ck_assert_int_eq(cl_store_open(&store, db_path), CL_ESTORE);
	ck_assert_ptr_null(store);
	assert_message_has(db_path);
	assert_message_has("not a database");
}
END_TEST

START_TEST(test_two_handles)
{
	cl_store *a = open_store();
	cl_store *b = open_store();

	append(a, 10, "a.one", NULL);
	append(b, 20, "b.one", NULL);
	append(a, 30, "a.two", NULL);
	ck_assert_str_eq(matching(a, NULL), "1,2,3");
	ck_assert_str_eq(matching(b, NULL), "1,2,3");
	cl_store_free(a);
	cl_store_free(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Locations                                                           */
/* ------------------------------------------------------------------ */

START_TEST(test_open_postgresql)
{
	static const char *const locations[] = {
		"postgresql://closeloop:s3cret@db.example/ledger",
		"postgres://closeloop:s3cret@db.example/ledger",
		"PostgreSQL://db.example/ledger",
	};
	size_t i;

	for (i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
		cl_store *store = (cl_store *)&store;

		ck_assert_int_eq(cl_store_open(&store, locations[i]), CL_ESTORE);
		ck_assert_ptr_null(store);
		ck_assert_str_eq(last_message(),
			"PostgreSQL store not available in this build yet");
	}
}
END_TEST

START_TEST(test_open_unknown_scheme)
{
	cl_store *store = NULL;

	ck_assert_int_eq(cl_store_open(&store, "mysql://u:pw@host/db"),
		CL_EINVALID);
	ck_assert_str_eq(last_message(), "unknown store type 'mysql'");
	ck_assert_ptr_null(store);
}
END_TEST

START_TEST(test_open_sqlite_prefix)
{
	char location[600];
	cl_store *store = NULL;

	snprintf(location, sizeof(location), "sqlite:%s", db_path);
	ck_assert_int_eq(cl_store_open(&store, location), 0);
	ck_assert_str_eq(cl_store_backend_name(store), "sqlite");
	append(store, 5, "work.done", NULL);
	cl_store_free(store);
	ck_assert(file_exists(db_path));

	/* The same file through its plain path. */
	store = open_store();
	ck_assert_str_eq(matching(store, NULL), "1");
	cl_store_free(store);

	/* "sqlite://" and an absolute path: three slashes, the same file. */
	snprintf(location, sizeof(location), "sqlite://%s", db_path);
	ck_assert_int_eq(cl_store_open(&store, location), 0);
	ck_assert_str_eq(matching(store, NULL), "1");
	cl_store_free(store);

	ck_assert_int_eq(cl_store_open(&store, "sqlite:"), CL_EINVALID);
	ck_assert_ptr_null(store);
}
END_TEST

START_TEST(test_open_empty)
{
	cl_store *store = (cl_store *)&store;

	ck_assert_int_eq(cl_store_open(&store, ""), CL_EINVALID);
	ck_assert_ptr_null(store);
	store = (cl_store *)&store;
	ck_assert_int_eq(cl_store_open(&store, NULL), CL_EINVALID);
	ck_assert_ptr_null(store);
	ck_assert_int_eq(cl_store_open(NULL, db_path), CL_EINVALID);
	ck_assert(!file_exists(db_path));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Appending and reading                                               */
/* ------------------------------------------------------------------ */

typedef struct {
	cl_event seen;
	char type[64], ticket[64], actor[64], commit[64], detail[128];
	int null_ticket, null_actor, null_commit, null_detail;
	int calls;
} event_copy;

static void copy_text(char *out, size_t len, const char *in, int *was_null)
{
	*was_null = in == NULL;
	snprintf(out, len, "%s", in ? in : "");
}

static int copy_event(const cl_event *event, void *payload)
{
	event_copy *c = payload;
	int unused;

	c->calls++;
	c->seen = *event;
	copy_text(c->type, sizeof(c->type), event->type, &unused);
	copy_text(c->ticket, sizeof(c->ticket), event->ticket, &c->null_ticket);
	copy_text(c->actor, sizeof(c->actor), event->actor, &c->null_actor);
	copy_text(c->commit, sizeof(c->commit), event->commit, &c->null_commit);
	copy_text(c->detail, sizeof(c->detail), event->detail, &c->null_detail);
	return 0;
}

START_TEST(test_append_read_back)
{
	cl_store *store = open_store();
	cl_event ev = { 0, 1699999999, "push.rejected", "gh:acme/web#7",
		"morten", "0123456789abcdef0123456789abcdef01234567",
		"{\"reason\":\"no reply\"}" };
	event_copy c;

	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	ck_assert_int_eq(ev.id, 1);
	ck_assert_int_eq(ev.time, 1699999999);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cl_store_foreach(store, NULL, copy_event, &c), 0);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.seen.id, 1);
	ck_assert_int_eq(c.seen.time, 1699999999);
	ck_assert_str_eq(c.type, "push.rejected");
	ck_assert_str_eq(c.ticket, "gh:acme/web#7");
	ck_assert_str_eq(c.actor, "morten");
	ck_assert_str_eq(c.commit, "0123456789abcdef0123456789abcdef01234567");
	ck_assert_str_eq(c.detail, "{\"reason\":\"no reply\"}");
	cl_store_free(store);
}
END_TEST

START_TEST(test_append_nulls_and_now)
{
	cl_store *store = open_store();
	cl_event ev = { 0, 0, "override", NULL, NULL, NULL, NULL };
	event_copy c;

	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	/* Time 0 is now, from the process clock. */
	ck_assert_int_eq(ev.time, fixed_now);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cl_store_foreach(store, NULL, copy_event, &c), 0);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.seen.time, fixed_now);
	ck_assert_str_eq(c.type, "override");
	ck_assert(c.null_ticket && c.null_actor && c.null_commit &&
		c.null_detail);
	cl_store_free(store);
}
END_TEST

START_TEST(test_ids_increase)
{
	cl_store *store = open_store();
	collector c;
	int64_t last = 0;
	size_t i;

	for (i = 0; i < 20; i++) {
		int64_t id = append(store, 0, "work.done", NULL);

		ck_assert_int_gt(id, last);
		last = id;
	}
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cl_store_foreach(store, NULL, collect, &c), 0);
	ck_assert_uint_eq(c.count, 20);
	for (i = 1; i < c.count; i++)
		ck_assert_int_gt(c.ids[i], c.ids[i - 1]);
	cl_store_free(store);
}
END_TEST

START_TEST(test_filters)
{
	cl_store *store = open_store();
	cl_event_filter f = CL_EVENT_FILTER_INIT;

	append(store, 100, "push.rejected", "support:1");  /* 1 */
	append(store, 200, "push.accepted", "support:2");  /* 2 */
	append(store, 300, "override", "support:1");       /* 3 */
	append(store, 400, "pushy", "support:1");          /* 4 */
	append(store, 500, "push/", NULL);                 /* 5 */
	append(store, 600, "push", "support:2");           /* 6 */
	append(store, 700, "push.rejected.late", NULL);    /* 7 */

	ck_assert_str_eq(matching(store, NULL), "1,2,3,4,5,6,7");
	ck_assert_str_eq(matching(store, &f), "1,2,3,4,5,6,7");

	f.since = 200;
	ck_assert_str_eq(matching(store, &f), "2,3,4,5,6,7");
	f.until = 400; /* exclusive */
	ck_assert_str_eq(matching(store, &f), "2,3");
	f.since = 0;
	ck_assert_str_eq(matching(store, &f), "1,2,3");
	f.since = 1000;
	f.until = 0;
	ck_assert_str_eq(matching(store, &f), "");

	memset(&f, 0, sizeof(f));
	f.type = "push.";
	ck_assert_str_eq(matching(store, &f), "1,2,7");
	f.type = "push.rejected.";
	ck_assert_str_eq(matching(store, &f), "7");
	f.type = "push";
	ck_assert_str_eq(matching(store, &f), "6");
	f.type = "push.rejected";
	ck_assert_str_eq(matching(store, &f), "1");
	f.type = "";
	ck_assert_str_eq(matching(store, &f), "1,2,3,4,5,6,7");

	memset(&f, 0, sizeof(f));
	f.ticket = "support:1";
	ck_assert_str_eq(matching(store, &f), "1,3,4");
	f.type = "push.";
	ck_assert_str_eq(matching(store, &f), "1");
	f.since = 150;
	ck_assert_str_eq(matching(store, &f), "");
	f.ticket = "support:2";
	ck_assert_str_eq(matching(store, &f), "2");
	f.ticket = "support:99";
	ck_assert_str_eq(matching(store, &f), "");
	f.ticket = "";
	f.type = NULL;
	f.since = 0;
	ck_assert_str_eq(matching(store, &f), "1,2,3,4,5,6,7");
	cl_store_free(store);
}
END_TEST

START_TEST(test_callback_stop)
{
	cl_store *store = open_store();
	collector c;
	int i;

	for (i = 0; i < 5; i++)
		append(store, 0, "work.done", NULL);

	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	c.stop_value = 42;
	ck_assert_int_eq(cl_store_foreach(store, NULL, collect, &c), 42);
	ck_assert_uint_eq(c.count, 2);

	memset(&c, 0, sizeof(c));
	c.stop_after = 3;
	c.stop_value = -7;
	ck_assert_int_eq(cl_store_foreach(store, NULL, collect, &c), -7);
	ck_assert_uint_eq(c.count, 3);

	/* The stopped statement was reset: a new walk starts at the top. */
	ck_assert_str_eq(matching(store, NULL), "1,2,3,4,5");
	cl_store_free(store);
}
END_TEST

typedef struct {
	cl_store *store;
	int outer;
	char inner[8][64];
} nested;

static int walk_inner(const cl_event *event, void *payload)
{
	nested *n = payload;

	snprintf(n->inner[n->outer - 1], sizeof(n->inner[0]), "%s",
		matching(n->store, NULL));
	(void)event;
	return 0;
}

static int walk_outer(const cl_event *event, void *payload)
{
	nested *n = payload;

	ck_assert_int_lt(n->outer, 8);
	n->outer++;
	return walk_inner(event, payload);
}

START_TEST(test_nested_foreach)
{
	cl_store *store = open_store();
	nested n;

	append(store, 0, "a.one", NULL);
	append(store, 0, "a.two", NULL);
	append(store, 0, "a.three", NULL);
	memset(&n, 0, sizeof(n));
	n.store = store;
	/* The same filter shape inside a callback needs a second statement. */
	ck_assert_int_eq(cl_store_foreach(store, NULL, walk_outer, &n), 0);
	ck_assert_int_eq(n.outer, 3);
	ck_assert_str_eq(n.inner[0], "1,2,3");
	ck_assert_str_eq(n.inner[2], "1,2,3");
	ck_assert_str_eq(matching(store, NULL), "1,2,3");
	cl_store_free(store);
}
END_TEST

START_TEST(test_append_only)
{
	cl_store *store = open_store();
	char message[256];

	append(store, 10, "push.rejected", "support:1");
	append(store, 20, "override", "support:1");
	cl_store_free(store);

	ck_assert_int_ne(raw_exec("UPDATE events SET type = 'forged'", message,
		sizeof(message)), SQLITE_OK);
	ck_assert_str_eq(message, "ledger events are append-only");
	ck_assert_int_ne(raw_exec("DELETE FROM events WHERE id = 1", message,
		sizeof(message)), SQLITE_OK);
	ck_assert_str_eq(message, "ledger events are append-only");
	ck_assert_int_ne(raw_exec("DELETE FROM events", message,
		sizeof(message)), SQLITE_OK);
	ck_assert_str_eq(message, "ledger events are append-only");

	store = open_store();
	ck_assert_str_eq(matching(store, NULL), "1,2");
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

static char *filled(size_t len)
{
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, 'x', len);
	s[len] = '\0';
	return s;
}

/* Append must fail with CL_EINVALID and leave the event untouched. */
static void assert_rejected(cl_store *store, cl_event ev, const char *text)
{
	int64_t time = ev.time;

	ck_assert_int_eq(cl_store_append(store, &ev), CL_EINVALID);
	ck_assert_int_eq(ev.id, 0);
	ck_assert_int_eq(ev.time, time);
	assert_message_has(text);
}

START_TEST(test_field_limits)
{
	cl_store *store = open_store();
	char *field = filled(CL_EVENT_MAX_FIELD);
	char *field_over = filled(CL_EVENT_MAX_FIELD + 1);
	char *detail = filled(CL_EVENT_MAX_DETAIL);
	char *detail_over = filled(CL_EVENT_MAX_DETAIL + 1);
	cl_event ok = { 0, 0, field, field, field, field, detail };
	cl_event ev = { 0, 0, "work.done", NULL, NULL, NULL, NULL };
	event_copy c;

	/* At the limits: accepted, and read back whole. */
	ck_assert_int_eq(cl_store_append(store, &ok), 0);
	ck_assert_int_eq(ok.id, 1);

	assert_rejected(store, (cl_event){ 0, 0, NULL, NULL, NULL, NULL, NULL },
		"event has no type");
	assert_rejected(store, (cl_event){ 0, 0, "", NULL, NULL, NULL, NULL },
		"event has no type");
	assert_rejected(store, (cl_event){ 0, -1, "a.b", NULL, NULL, NULL, NULL },
		"before 1970");

	ev.type = field_over;
	assert_rejected(store, ev, "event type is longer than 1024 bytes");
	ev.type = "work.done";
	ev.ticket = field_over;
	assert_rejected(store, ev, "event ticket is longer than 1024 bytes");
	ev.ticket = NULL;
	ev.actor = field_over;
	assert_rejected(store, ev, "event actor is longer");
	ev.actor = NULL;
	ev.commit = field_over;
	assert_rejected(store, ev, "event commit is longer");
	ev.commit = NULL;
	ev.detail = detail_over;
	assert_rejected(store, ev, "event detail is longer than 65536 bytes");

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cl_store_foreach(store, NULL, copy_event, &c), 0);
	ck_assert_int_eq(c.calls, 1);
	free(field);
	free(field_over);
	free(detail);
	free(detail_over);
	cl_store_free(store);
}
END_TEST

static int never_called(const cl_event *event, void *payload)
{
	(void)event;
	(void)payload;
	ck_abort_msg("callback called");
	return 0;
}

START_TEST(test_null_safety)
{
	cl_store *store = open_store();
	cl_store_backend *backend = (cl_store_backend *)&backend;
	cl_event ev = { 0, 0, "work.done", NULL, NULL, NULL, NULL };
	int version;

	cl_store_free(NULL);
	ck_assert_ptr_null(cl_store_backend_name(NULL));
	ck_assert_int_eq(cl_store_append(NULL, &ev), CL_EINVALID);
	ck_assert_int_eq(cl_store_append(store, NULL), CL_EINVALID);
	ck_assert_int_eq(cl_store_foreach(NULL, NULL, never_called, NULL),
		CL_EINVALID);
	ck_assert_int_eq(cl_store_foreach(store, NULL, NULL, NULL), CL_EINVALID);
	ck_assert_int_eq(cl_store_schema_version(NULL, &version), CL_EINVALID);
	ck_assert_int_eq(cl_store_schema_version(store, NULL), CL_EINVALID);
	ck_assert_int_eq(cl_store_new(NULL, NULL), CL_EINVALID);
	ck_assert_int_eq(cl_store_backend_init(NULL, CL_STORE_BACKEND_VERSION),
		CL_EINVALID);
	ck_assert_int_eq(cl_store_backend_sqlite(&backend, NULL), CL_EINVALID);
	ck_assert_ptr_null(backend);
	ck_assert_int_eq(cl_store_backend_sqlite(&backend, ""), CL_EINVALID);
	ck_assert_int_eq(cl_store_backend_sqlite(NULL, db_path), CL_EINVALID);
	/* Empty store: the callback is not called. */
	ck_assert_int_eq(cl_store_foreach(store, NULL, never_called, NULL), 0);
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A counting fake backend                                             */
/* ------------------------------------------------------------------ */

/* Kept outside the fake, which is gone once freed. */
typedef struct {
	int migrate, append, foreach, version, free;
	int delivery_put, outbox_due;
	int set_sync, deferred, set_sync_error;
	char modes[16];          /* per append: 'd' deferred, 's' synced */
	int64_t now;
	size_t n;
	int64_t due;
	cl_event_filter filter;
} fake_counts;

typedef struct {
	cl_store_backend parent;
	fake_counts *counts;
	int migrate_error;
	int migrate_version;
} fake_backend;

static int fake__migrate(cl_store_backend *backend, int *out)
{
	fake_backend *f = (fake_backend *)backend;

	f->counts->migrate++;
	if (f->migrate_error < 0)
		return f->migrate_error;
	*out = f->migrate_version;
	return 0;
}

static int fake__append(cl_store_backend *backend, cl_event *event,
	int64_t now)
{
	fake_backend *f = (fake_backend *)backend;

	if (f->counts->append < (int)sizeof(f->counts->modes) - 1)
		f->counts->modes[f->counts->append] =
			f->counts->deferred ? 'd' : 's';
	f->counts->append++;
	f->counts->now = now;
	event->id = f->counts->append;
	if (event->time == 0)
		event->time = now;
	return 0;
}

static int fake__foreach(cl_store_backend *backend,
	const cl_event_filter *filter, cl_event_cb cb, void *payload)
{
	fake_backend *f = (fake_backend *)backend;
	cl_event ev = { 7, 70, "fake.event", NULL, NULL, NULL, NULL };

	f->counts->foreach++;
	f->counts->filter = *filter;
	return cb(&ev, payload);
}

static int fake__version(cl_store_backend *backend, int *out)
{
	((fake_backend *)backend)->counts->version++;
	*out = 1;
	return 0;
}

static int fake__delivery_put(cl_store_backend *backend, const cl_delivery *d,
	size_t n, int *dup, int64_t now)
{
	fake_backend *f = (fake_backend *)backend;

	f->counts->delivery_put++;
	f->counts->now = now;
	f->counts->n = n;
	(void)d;
	if (dup != NULL)
		dup[n - 1] = 1;
	return 0;
}

static int fake__outbox_due(cl_store_backend *backend, int64_t due,
	size_t max, cl_outbox_item **out, size_t *n, int64_t now)
{
	fake_backend *f = (fake_backend *)backend;
	cl_outbox_item a = { 9, "support", "support:1", "comment", NULL, NULL,
		0, 0, NULL };

	f->counts->outbox_due++;
	f->counts->now = now;
	f->counts->due = due;
	f->counts->n = max;
	return cl_outbox_items_add(out, n, &a);
}

static int fake__set_sync(cl_store_backend *backend, int deferred)
{
	fake_backend *f = (fake_backend *)backend;

	f->counts->set_sync++;
	if (f->counts->set_sync_error < 0)
		return f->counts->set_sync_error;
	f->counts->deferred = deferred;
	return 0;
}

static void fake__free(cl_store_backend *backend)
{
	((fake_backend *)backend)->counts->free++;
	free(backend);
}

static fake_backend *fake_new(fake_counts *counts)
{
	fake_backend *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cl_store_backend_init(&f->parent,
		CL_STORE_BACKEND_VERSION), 0);
	f->parent.name = "fake";
	f->parent.migrate = fake__migrate;
	f->parent.append_event = fake__append;
	f->parent.foreach_event = fake__foreach;
	f->parent.schema_version = fake__version;
	f->parent.free = fake__free;
	f->counts = counts;
	f->migrate_version = CL_STORE_SCHEMA_VERSION;
	return f;
}

START_TEST(test_fake_calls_through_struct)
{
	fake_counts counts;
	fake_backend *f;
	cl_store *store = NULL;
	cl_event ev = { 0, 0, "work.done", NULL, NULL, NULL, NULL };
	cl_event bad = { 0, 0, "", NULL, NULL, NULL, NULL };
	cl_event_filter filter = { 5, 9, "", "" };
	collector c;
	int version = 0;

	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	ck_assert_int_eq(cl_store_new(&store, &f->parent), 0);
	ck_assert_int_eq(counts.migrate, 1);
	ck_assert_str_eq(cl_store_backend_name(store), "fake");

	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	ck_assert_int_eq(counts.append, 1);
	ck_assert_int_eq(counts.now, fixed_now);
	ck_assert_int_eq(ev.time, fixed_now);
	ck_assert_int_eq(ev.id, 1);
	/* Invalid events never reach the backend. */
	ck_assert_int_eq(cl_store_append(store, &bad), CL_EINVALID);
	ck_assert_int_eq(counts.append, 1);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cl_store_foreach(store, &filter, collect, &c), 0);
	ck_assert_int_eq(counts.foreach, 1);
	ck_assert_uint_eq(c.count, 1);
	ck_assert_int_eq(c.ids[0], 7);
	/* The backend sees the filter with empty strings as "any". */
	ck_assert_int_eq(counts.filter.since, 5);
	ck_assert_int_eq(counts.filter.until, 9);
	ck_assert_ptr_null(counts.filter.type);
	ck_assert_ptr_null(counts.filter.ticket);
	/* The callback's stop value comes through the core unchanged. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	c.stop_value = 3;
	ck_assert_int_eq(cl_store_foreach(store, NULL, collect, &c), 3);
	ck_assert_int_eq(counts.foreach, 2);

	ck_assert_int_eq(cl_store_schema_version(store, &version), 0);
	ck_assert_int_eq(counts.version, 1);
	ck_assert_int_eq(version, 1);

	ck_assert_int_eq(counts.free, 0);
	cl_store_free(store);
	ck_assert_int_eq(counts.free, 1);
	ck_assert_int_eq(counts.migrate, 1);
}
END_TEST

static void *append_deferred(void *arg)
{
	cl_event ev = { 0, 0, "work.done", NULL, NULL, NULL, NULL };

	cl_store_defer_sync(1);
	if (cl_store_append(arg, &ev) < 0 || cl_store_append(arg, &ev) < 0)
		return arg;
	return NULL;
}

/* The sync mode is the calling thread's, on a handle threads share. */
START_TEST(test_defer_sync_per_thread)
{
	fake_counts counts;
	fake_backend *f;
	cl_store *store = NULL;
	cl_event ev = { 0, 0, "work.done", NULL, NULL, NULL, NULL };
	pthread_t t;
	void *failed = &t;

	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	f->parent.set_sync = fake__set_sync;
	ck_assert_int_eq(cl_store_new(&store, &f->parent), 0);
	/* the default waits for the disk, and costs no call */
	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	ck_assert_int_eq(counts.set_sync, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, append_deferred, store), 0);
	ck_assert_int_eq(pthread_join(t, &failed), 0);
	ck_assert_ptr_null(failed);
	/* this thread never asked: its next call is synced again */
	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	ck_assert_str_eq(counts.modes, "sdds");
	ck_assert_int_eq(counts.set_sync, 2);

	/* a backend that cannot go back to synced commits fails the call,
	 * which never reaches it */
	cl_store_defer_sync(1);
	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	cl_store_defer_sync(0);
	counts.set_sync_error = CL_ESTORE;
	ck_assert_int_eq(cl_store_append(store, &ev), CL_ESTORE);
	ck_assert_str_eq(counts.modes, "sddsd");
	counts.set_sync_error = 0;
	ck_assert_int_eq(cl_store_append(store, &ev), 0);
	ck_assert_str_eq(counts.modes, "sddsds");
	cl_store_free(store);
}
END_TEST

/* On SQLite: deferred writes are written and read like any other, and
 * the handle goes back to synced commits for the next caller. */
START_TEST(test_defer_sync_sqlite)
{
	cl_store *store = open_store();
	char text[32];

	cl_store_defer_sync(1);
	ck_assert_int_eq(append(store, 0, "work.done", "support:1"), 1);
	cl_store_defer_sync(0);
	ck_assert_int_eq(append(store, 0, "work.done", "support:2"), 2);
	cl_store_defer_sync(1);
	ck_assert_int_eq(append(store, 0, "work.done", "support:3"), 3);
	cl_store_defer_sync(0);
	cl_store_free(store);
	raw_query("SELECT count(*) FROM events", text, sizeof(text));
	ck_assert_str_eq(text, "3");
	store = open_store();
	ck_assert_str_eq(matching(store, NULL), "1,2,3");
	cl_store_free(store);
}
END_TEST

START_TEST(test_fake_wrong_version)
{
	fake_counts counts;
	fake_backend *f;
	cl_store *store = (cl_store *)&store;
	char expected[64];

	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	f->parent.version = CL_STORE_BACKEND_VERSION + 1;
	ck_assert_int_eq(cl_store_new(&store, &f->parent), CL_EVERSION);
	ck_assert_ptr_null(store);
	snprintf(expected, sizeof(expected), "store backend version %u is not "
		"supported", CL_STORE_BACKEND_VERSION + 1);
	assert_message_has(expected);
	/* A version 1 backend (no queue members) has another layout too. */
	f->parent.version = 1;
	ck_assert_int_eq(cl_store_new(&store, &f->parent), CL_EVERSION);
	assert_message_has("store backend version 1 is not supported");
	/* Not one slot of an unknown layout is called, free included. */
	ck_assert_int_eq(counts.migrate, 0);
	ck_assert_int_eq(counts.free, 0);
	free(f);
}
END_TEST

START_TEST(test_fake_missing_slot)
{
	fake_counts counts;
	fake_backend *f;
	cl_store *store = (cl_store *)&store;

	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	f->parent.foreach_event = NULL;
	ck_assert_int_eq(cl_store_new(&store, &f->parent), CL_EINVALID);
	ck_assert_ptr_null(store);
	assert_message_has("store backend 'fake' has no foreach_event");
	ck_assert_int_eq(counts.migrate, 0);
	/* Ownership passed: the store released it. */
	ck_assert_int_eq(counts.free, 1);
}
END_TEST

START_TEST(test_fake_migrate_fails)
{
	fake_counts counts;
	fake_backend *f;
	cl_store *store = (cl_store *)&store;

	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	f->migrate_error = CL_ESTORE;
	ck_assert_int_eq(cl_store_new(&store, &f->parent), CL_ESTORE);
	ck_assert_ptr_null(store);
	ck_assert_int_eq(counts.migrate, 1);
	ck_assert_int_eq(counts.free, 1);

	/* A backend that stops at another schema version is refused too. */
	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	f->migrate_version = CL_STORE_SCHEMA_VERSION + 1;
	ck_assert_int_eq(cl_store_new(&store, &f->parent), CL_EVERSION);
	ck_assert_ptr_null(store);
	ck_assert_int_eq(counts.free, 1);
}
END_TEST

/* A version 2 backend may keep no queues: each call says what is missing. */
START_TEST(test_fake_without_queues)
{
	fake_counts counts;
	fake_backend *f;
	cl_store *store = NULL;
	cl_delivery d = { "support", "d1", NULL, "{}", 2, 0, 0, NULL };
	cl_delivery *got = (cl_delivery *)&got;
	cl_outbox_item a = { 0, "support", "support:1", "reopen", NULL, NULL,
		0, 0, NULL };
	cl_outbox_item *items = (cl_outbox_item *)&items;
	size_t n = 7;
	int64_t count;
	char *value = (char *)&value;
	int dup[1];

	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	ck_assert_int_eq(cl_store_new(&store, &f->parent), 0);

	ck_assert_int_eq(cl_store_delivery_put(store, &d, 1, dup), CL_ESTORE);
	ck_assert_str_eq(last_message(),
		"store backend 'fake' keeps no queues (it has no delivery_put)");
	ck_assert_int_eq(cl_store_delivery_next(store, &got), CL_ESTORE);
	ck_assert_ptr_null(got);
	assert_message_has("(it has no delivery_next)");
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "d1"),
		CL_ESTORE);
	assert_message_has("(it has no delivery_done)");
	ck_assert_int_eq(cl_store_delivery_failed(store, "support", "d1", "x"),
		CL_ESTORE);
	assert_message_has("(it has no delivery_failed)");
	ck_assert_int_eq(cl_store_delivery_pending(store, &count), CL_ESTORE);
	assert_message_has("(it has no delivery_pending)");
	ck_assert_int_eq(cl_store_outbox_put(store, &a, NULL), CL_ESTORE);
	assert_message_has("(it has no outbox_put)");
	ck_assert_int_eq(cl_store_outbox_due(store, 0, 5, &items, &n),
		CL_ESTORE);
	ck_assert_ptr_null(items);
	ck_assert_uint_eq(n, 0);
	assert_message_has("(it has no outbox_due)");
	ck_assert_int_eq(cl_store_outbox_done(store, 1), CL_ESTORE);
	assert_message_has("(it has no outbox_done)");
	ck_assert_int_eq(cl_store_outbox_retry(store, 1, 0, "x"), CL_ESTORE);
	assert_message_has("(it has no outbox_retry)");
	ck_assert_int_eq(cl_store_outbox_failed(store, 1, "x"), CL_ESTORE);
	assert_message_has("(it has no outbox_failed)");
	ck_assert_int_eq(cl_store_outbox_count(store, &count, NULL), CL_ESTORE);
	assert_message_has("(it has no outbox_count)");
	ck_assert_int_eq(cl_store_cursor_get(store, "sync", &value), CL_ESTORE);
	ck_assert_ptr_null(value);
	assert_message_has("(it has no cursor_get)");
	ck_assert_int_eq(cl_store_cursor_set(store, "sync", "1"), CL_ESTORE);
	assert_message_has("(it has no cursor_set)");
	cl_store_free(store);
	ck_assert_int_eq(counts.free, 1);
}
END_TEST

/* Queue calls reach the backend through its struct, checked, with the
 * process clock. */
START_TEST(test_fake_queue_calls)
{
	fake_counts counts;
	fake_backend *f;
	cl_store *store = NULL;
	cl_delivery d[2] = {
		{ "support", "d1", NULL, "{}", 2, 0, 0, NULL },
		{ "support", "d2", "push", NULL, 0, 5, 0, NULL },
	};
	cl_outbox_item *items = NULL;
	size_t n = 0;
	int dup[2] = { 7, 7 };

	memset(&counts, 0, sizeof(counts));
	f = fake_new(&counts);
	f->parent.delivery_put = fake__delivery_put;
	f->parent.outbox_due = fake__outbox_due;
	ck_assert_int_eq(cl_store_new(&store, &f->parent), 0);

	ck_assert_int_eq(cl_store_delivery_put(store, d, 2, dup), 0);
	ck_assert_int_eq(counts.delivery_put, 1);
	ck_assert_int_eq(counts.now, fixed_now);
	ck_assert_uint_eq(counts.n, 2);
	/* Zeroed by the core, then set by the backend. */
	ck_assert_int_eq(dup[0], 0);
	ck_assert_int_eq(dup[1], 1);
	/* Nothing to store is not a call; a bad delivery never reaches it. */
	ck_assert_int_eq(cl_store_delivery_put(store, d, 0, dup), 0);
	d[1].id = "";
	ck_assert_int_eq(cl_store_delivery_put(store, d, 2, dup), CL_EINVALID);
	ck_assert_str_eq(last_message(), "delivery d[1] has no id");
	ck_assert_int_eq(counts.delivery_put, 1);

	ck_assert_int_eq(cl_store_outbox_due(store, 1234, 3, &items, &n), 0);
	ck_assert_int_eq(counts.outbox_due, 1);
	ck_assert_int_eq(counts.due, 1234);
	ck_assert_int_eq(counts.now, fixed_now);
	ck_assert_uint_eq(counts.n, 3);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(items[0].id, 9);
	ck_assert_str_eq(items[0].ticket, "support:1");
	cl_outbox_items_free(items, n);
	/* max 0 asks for nothing: no call. */
	ck_assert_int_eq(cl_store_outbox_due(store, 1234, 0, &items, &n), 0);
	ck_assert_ptr_null(items);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(counts.outbox_due, 1);
	cl_store_free(store);
}
END_TEST

START_TEST(test_backend_init)
{
	const cl_store_backend template = CL_STORE_BACKEND_INIT;
	cl_store_backend backend;

	memset(&backend, 0xab, sizeof(backend));
	ck_assert_int_eq(cl_store_backend_init(&backend,
		CL_STORE_BACKEND_VERSION), 0);
	ck_assert_uint_eq(backend.version, CL_STORE_BACKEND_VERSION);
	ck_assert_ptr_null(backend.name);
	ck_assert(backend.migrate == template.migrate);
	ck_assert(backend.delivery_put == NULL);
	ck_assert(backend.cursor_set == NULL);
	ck_assert(backend.free == NULL);

	ck_assert_int_eq(cl_store_backend_init(&backend, 99), CL_EVERSION);
	assert_message_has("store backend version 99 is not supported");
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *sqlite = tcase_create("sqlite");
	TCase *location = tcase_create("location");
	TCase *events = tcase_create("events");
	TCase *core = tcase_create("core");
	TCase *all[] = { sqlite, location, events, core };
	size_t i;

	tcase_add_test(sqlite, test_open_creates);
	tcase_add_test(sqlite, test_wal_mode);
	tcase_add_test(sqlite, test_schema_tables);
	tcase_add_test(sqlite, test_reopen_keeps_data_and_version);
	tcase_add_test(sqlite, test_newer_schema_rejected);
	tcase_add_test(sqlite, test_missing_directory);
	tcase_add_test(sqlite, test_not_a_database);
	tcase_add_test(sqlite, test_two_handles);
	tcase_add_test(sqlite, test_defer_sync_sqlite);

	tcase_add_test(location, test_open_postgresql);
	tcase_add_test(location, test_open_unknown_scheme);
	tcase_add_test(location, test_open_sqlite_prefix);
	tcase_add_test(location, test_open_empty);

	tcase_add_test(events, test_append_read_back);
	tcase_add_test(events, test_append_nulls_and_now);
	tcase_add_test(events, test_ids_increase);
	tcase_add_test(events, test_filters);
	tcase_add_test(events, test_callback_stop);
	tcase_add_test(events, test_nested_foreach);
	tcase_add_test(events, test_append_only);
	tcase_add_test(events, test_field_limits);
	tcase_add_test(events, test_null_safety);

	tcase_add_test(core, test_fake_calls_through_struct);
	tcase_add_test(core, test_defer_sync_per_thread);

	tcase_add_test(core, test_fake_wrong_version);
	tcase_add_test(core, test_fake_missing_slot);
	tcase_add_test(core, test_fake_migrate_fails);
	tcase_add_test(core, test_fake_without_queues);
	tcase_add_test(core, test_fake_queue_calls);
	tcase_add_test(core, test_backend_init);

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(s, all[i]);
	}
	return s;
}

CL_TEST_MAIN(store_suite)
