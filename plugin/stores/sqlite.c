/*
 * sqlite.c: the built-in SQLite store backend, the embedded default that
 * needs nothing running. One file holds the ledger and the receiver's
 * queues (deliveries, outbox), reminder state and sync cursors.
 *
 * The schema is versioned with PRAGMA user_version. migrations[i] takes a
 * database from version i to i + 1; a new schema version is a new row at
 * the end and a bump of CL_STORE_SCHEMA_VERSION, never an edit of a row
 * already released.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "internal.h"
#include <closeloop/sys/store.h>

/* ------------------------------------------------------------------ */
/* Schema                                                              */
/* ------------------------------------------------------------------ */

/*
 * Version 1. Every primary key column is NOT NULL: SQLite, for backwards
 * compatibility, accepts NULL in a non-INTEGER primary key otherwise.
 * The events triggers make the ledger append-only for every client of the
 * file, not only for this library.
 */
static const char schema_v1[] =
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL,"
	" type TEXT NOT NULL,"
	" ticket TEXT,"
	" actor TEXT,"
	" commit_id TEXT,"
	" detail TEXT);"
	"CREATE INDEX events_time ON events (time);"
	"CREATE INDEX events_ticket ON events (ticket, id);"
	"CREATE INDEX events_type ON events (type, time);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	" BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	" BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;"

	/* Webhook deliveries, stored before they are acknowledged. */
	"CREATE TABLE deliveries ("
	" tracker TEXT NOT NULL,"
	" delivery_id TEXT NOT NULL,"
	" received INTEGER NOT NULL,"
	" event TEXT,"
	" body BLOB,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'done', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (tracker, delivery_id));"
	"CREATE INDEX deliveries_state ON deliveries (state, received);"

	/* Tracker actions waiting to be sent, with retries. state is
	 * 'pending', 'done' or 'failed'; dedupe_key stops the same action
	 * being queued twice. */
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" created INTEGER NOT NULL,"
	" tracker TEXT NOT NULL,"
	" ticket TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" body TEXT,"
	" state TEXT NOT NULL DEFAULT 'pending',"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" dedupe_key TEXT UNIQUE);"
	"CREATE INDEX outbox_due ON outbox (state, next_attempt);"

	/* When each reminder rule last fired per ticket (remind.repeat). */
	"CREATE TABLE reminders ("
	" ticket TEXT NOT NULL,"
	" rule TEXT NOT NULL,"
	" last_sent INTEGER NOT NULL,"
	" count INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (ticket, rule));"

	/* Where each tracker sync left off. */
	"CREATE TABLE cursors ("
	" name TEXT NOT NULL PRIMARY KEY,"
	" value TEXT);";

static const char *const migrations[] = {
	schema_v1,
};

#define SCHEMA_LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
	CL_STORE_SCHEMA_VERSION,
	"one migration per schema version up to CL_STORE_SCHEMA_VERSION");

/* ------------------------------------------------------------------ */
/* The backend                                                         */
/* ------------------------------------------------------------------ */

/* Which parts of a filter are set; one cached SELECT per combination. */
enum {
	FILTER_SINCE = 1 << 0,
	FILTER_UNTIL = 1 << 1,
	FILTER_TYPE = 1 << 2,
	FILTER_TYPE_PREFIX = 1 << 3,
	FILTER_TICKET = 1 << 4,
	FILTER_COMBINATIONS = 1 << 5
};

typedef struct {
	cl_store_backend parent; /* first: the core sees only this */
	sqlite3 *db;
	char *path;
	sqlite3_stmt *append;
	sqlite3_stmt *version;
	sqlite3_stmt *select[FILTER_COMBINATIONS];
} sqlite_store;

static const char append_sql[] =
	"INSERT INTO events (time, type, ticket, actor, commit_id, detail)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/*
 * Fail with sqlite's own message and the path, so that an operator with
 * several ledgers knows which one: "cannot open ledger /x/y: unable to
 * open database file". Call it before anything else touches the
 * connection, which would replace the message.
 */
static int sqlite_store__error(sqlite_store *s, const char *what)
{
	return cl__error(CL_ESTORE, "%s ledger %s: %s", what, s->path,
		sqlite3_errmsg(s->db));
}

/* Prepare *slot once per handle; later calls reuse it. */
static int sqlite_store__prepare(sqlite_store *s, sqlite3_stmt **slot,
	const char *sql, const char *what)
{
	if (*slot != NULL)
		return 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, slot, NULL) != SQLITE_OK) {
		sqlite3_finalize(*slot);
		*slot = NULL;
		return sqlite_store__error(s, what);
	}
	return 0;
}

/*
 * Run every statement of a script (a migration, BEGIN, a PRAGMA),
 * preparing each in turn: sqlite3_exec is not used, so all SQL goes
 * through the prepare interface.
 */
static int sqlite_store__run(sqlite_store *s, const char *sql,
	const char *what)
{
	const char *tail = sql;

	while (*tail != '\0') {
		sqlite3_stmt *stmt = NULL;
		int rc = sqlite3_prepare_v2(s->db, tail, -1, &stmt, &tail);

		if (rc != SQLITE_OK)
			return sqlite_store__error(s, what);
		if (stmt == NULL) /* only whitespace or a comment was left */
			continue;
		do {
			rc = sqlite3_step(stmt);
		} while (rc == SQLITE_ROW);
		if (rc != SQLITE_DONE) {
			int error = sqlite_store__error(s, what);

			sqlite3_finalize(stmt);
			return error;
		}
		sqlite3_finalize(stmt);
	}
	return 0;
}

static int sqlite_store__read_version(sqlite_store *s, int *out)
{
	int error;
	int rc;

	error = sqlite_store__prepare(s, &s->version, "PRAGMA user_version",
		"cannot read the schema version of");
	if (error < 0)
		return error;
	rc = sqlite3_step(s->version);
	if (rc != SQLITE_ROW) {
		error = sqlite_store__error(s, "cannot read the schema version of");
		sqlite3_reset(s->version);
		return error;
	}
	*out = sqlite3_column_int(s->version, 0);
	sqlite3_reset(s->version);
	return 0;
}

static int sqlite_store__check_version(int version)
{
	if (version > SCHEMA_LATEST)
		return cl__error(CL_EVERSION,
			"ledger schema version %d is newer than this closeloop (%d)",
			version, SCHEMA_LATEST);
	if (version < 0)
		return cl__error(CL_EVERSION, "ledger schema version %d is not "
			"one closeloop writes", version);
	return 0;
}

/*
 * One step up the schema, in its own transaction. The version is read
 * again under the write lock (BEGIN IMMEDIATE): two programs that open a
 * new ledger at once must not both apply the same migration.
 */
static int sqlite_store__migrate_step(sqlite_store *s, int *version)
{
	cl_buf set_version = CL_BUF_INIT;
	int error;

	error = sqlite_store__run(s, "BEGIN IMMEDIATE", "cannot migrate");
	if (error < 0)
		return error;
	error = sqlite_store__read_version(s, version);
	if (error == 0)
		error = sqlite_store__check_version(*version);
	if (error == 0 && *version < SCHEMA_LATEST) {
		/* PRAGMA takes no bound parameters; the number is ours. */
		error = cl__buf_printf(&set_version, "PRAGMA user_version = %d",
			*version + 1);
		if (error == 0)
			error = sqlite_store__run(s, migrations[*version],
				"cannot migrate");
		if (error == 0)
			error = sqlite_store__run(s, set_version.ptr,
				"cannot migrate");
	}
	cl__buf_free(&set_version);
	if (error == 0)
		error = sqlite_store__run(s, "COMMIT", "cannot migrate");
	if (error < 0) {
		/* The message is already set; keep it over the rollback's. */
		sqlite_store__run(s, "ROLLBACK", "cannot migrate");
		return error;
	}
	return sqlite_store__read_version(s, version);
}

static int sqlite_store__migrate(cl_store_backend *backend, int *out)
{
	sqlite_store *s = (sqlite_store *)backend;
	int version;
	int error;

	/* Up to date is the common case (every hook run opens the ledger):
	 * it needs no write lock. */
	error = sqlite_store__read_version(s, &version);
	if (error == 0)
		error = sqlite_store__check_version(version);
	while (error == 0 && version < SCHEMA_LATEST)
		error = sqlite_store__migrate_step(s, &version);
	if (error < 0)
		return error;
	*out = version;
	return 0;
}

static int sqlite_store__schema_version(cl_store_backend *backend, int *out)
{
	return sqlite_store__read_version((sqlite_store *)backend, out);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static int sqlite_store__append(cl_store_backend *backend, cl_event *event,
	int64_t now)
{
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt;
	int64_t time = event->time != 0 ? event->time : now;
	int error;
	int rc;

	error = sqlite_store__prepare(s, &s->append, append_sql,
		"cannot append to");
	if (error < 0)
		return error;
	stmt = s->append;

	/* The strings are only read during the step, hence SQLITE_STATIC;
	 * a NULL pointer binds SQL NULL. */
	sqlite3_bind_int64(stmt, 1, time);
	sqlite3_bind_text(stmt, 2, event->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, event->ticket, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, event->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, event->commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, event->detail, -1, SQLITE_STATIC);

	/* In autocommit mode with synchronous=FULL, SQLITE_DONE means the
	 * event is in the write-ahead log and synced. */
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		error = sqlite_store__error(s, "cannot append to");
	sqlite3_reset(stmt);
	/* Drop the caller's pointers, which are only borrowed. */
	sqlite3_clear_bindings(stmt);
	if (error < 0)
		return error;

	event->id = sqlite3_last_insert_rowid(s->db);
	event->time = time;
	return 0;
}

static unsigned int filter_mask(const cl_event_filter *filter)
{
	unsigned int mask = 0;
	size_t len;

	if (filter == NULL)
		return 0;
	if (filter->since != 0)
		mask |= FILTER_SINCE;
	if (filter->until != 0)
		mask |= FILTER_UNTIL;
	if (filter->type != NULL) {
		len = strlen(filter->type);
		if (len > 0 && filter->type[len - 1] == '.')
			mask |= FILTER_TYPE_PREFIX;
		else
			mask |= FILTER_TYPE;
	}
	if (filter->ticket != NULL)
		mask |= FILTER_TICKET;
	return mask;
}

/*
 * The SELECT for one combination of filter parts. Only the parts set are
 * in the WHERE clause, so that SQLite can use the index that fits
 * ("status TICKET" reads (ticket, id), an audit reads (time)), which
 * "(?1 IS NULL OR ticket = ?1)" would prevent.
 */
static char *select_sql(unsigned int mask)
{
	static const struct {
		unsigned int bit;
		const char *sql;
	} parts[] = {
		{ FILTER_SINCE, "time >= :since" },
		{ FILTER_UNTIL, "time < :until" },
		{ FILTER_TYPE, "type = :type" },
		/* A prefix as a range, which the (type, time) index serves. */
		{ FILTER_TYPE_PREFIX, "type >= :type AND type < :type_end" },
		{ FILTER_TICKET, "ticket = :ticket" },
	};
	cl_buf sql = CL_BUF_INIT;
	const char *joint = " WHERE ";
	size_t i;

	cl__buf_puts(&sql, "SELECT id, time, type, ticket, actor, commit_id,"
		" detail FROM events");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if ((mask & parts[i].bit) == 0)
			continue;
		cl__buf_puts(&sql, joint);
		cl__buf_puts(&sql, parts[i].sql);
		joint = " AND ";
	}
	cl__buf_puts(&sql, " ORDER BY id");
	return cl__buf_detach(&sql);
}

/*
 * The first string after every string that starts with prefix, for a
 * prefix ending in '.': "push." gives "push/", as '/' follows '.' in
 * byte order, and every type starting with "push." sorts between the two.
 */
static char *prefix_end(const char *prefix)
{
	char *end = cl__strdup(prefix);

	if (end != NULL)
		end[strlen(end) - 1] = '.' + 1;
	return end;
}

static void bind_text(sqlite3_stmt *stmt, const char *name, const char *value)
{
	int i = sqlite3_bind_parameter_index(stmt, name);

	if (i > 0)
		sqlite3_bind_text(stmt, i, value, -1, SQLITE_STATIC);
}

static void bind_int64(sqlite3_stmt *stmt, const char *name, int64_t value)
{
	int i = sqlite3_bind_parameter_index(stmt, name);

	if (i > 0)
		sqlite3_bind_int64(stmt, i, value);
}

/*
 * The cached SELECT for mask, or, when that one is in use by a foreach
 * further up the stack (a callback that reads the ledger again), a fresh
 * one for the caller to finalize (*owned set).
 */
static int sqlite_store__select(sqlite_store *s, unsigned int mask,
	sqlite3_stmt **out, int *owned)
{
	sqlite3_stmt **slot = &s->select[mask];
	sqlite3_stmt *stmt = NULL;
	char *sql;

	*owned = 0;
	if (*slot != NULL && !sqlite3_stmt_busy(*slot)) {
		*out = *slot;
		return 0;
	}
	sql = select_sql(mask);
	if (sql == NULL)
		return CL_ENOMEM;
	if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		free(sql);
		sqlite3_finalize(stmt);
		return sqlite_store__error(s, "cannot read");
	}
	free(sql);
	if (*slot == NULL)
		*slot = stmt;
	else
		*owned = 1;
	*out = stmt;
	return 0;
}

static void read_row(sqlite3_stmt *stmt, cl_event *event)
{
	event->id = sqlite3_column_int64(stmt, 0);
	event->time = sqlite3_column_int64(stmt, 1);
	event->type = (const char *)sqlite3_column_text(stmt, 2);
	event->ticket = (const char *)sqlite3_column_text(stmt, 3);
	event->actor = (const char *)sqlite3_column_text(stmt, 4);
	event->commit = (const char *)sqlite3_column_text(stmt, 5);
	event->detail = (const char *)sqlite3_column_text(stmt, 6);
}

static int sqlite_store__foreach(cl_store_backend *backend,
	const cl_event_filter *filter, cl_event_cb cb, void *payload)
{
	sqlite_store *s = (sqlite_store *)backend;
	unsigned int mask = filter_mask(filter);
	sqlite3_stmt *stmt = NULL;
	char *type_end = NULL;
	int owned = 0;
	int error;
	int rc = SQLITE_DONE;

	if (mask & FILTER_TYPE_PREFIX) {
		type_end = prefix_end(filter->type);
		if (type_end == NULL)
			return CL_ENOMEM;
	}
	error = sqlite_store__select(s, mask, &stmt, &owned);
	if (error < 0) {
		free(type_end);
		return error;
	}
	if (filter != NULL) {
		bind_int64(stmt, ":since", filter->since);
		bind_int64(stmt, ":until", filter->until);
		bind_text(stmt, ":type", filter->type);
		bind_text(stmt, ":type_end", type_end);
		bind_text(stmt, ":ticket", filter->ticket);
	}

	for (;;) {
		cl_event event;

		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW)
			break;
		read_row(stmt, &event);
		error = cb(&event, payload);
		if (error != 0)
			break;
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = sqlite_store__error(s, "cannot read");

	if (owned) {
		sqlite3_finalize(stmt);
	} else {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	free(type_end);
	return error;
}

/* ------------------------------------------------------------------ */
/* Opening and closing                                                 */
/* ------------------------------------------------------------------ */

static void sqlite_store__free(cl_store_backend *backend)
{
	sqlite_store *s = (sqlite_store *)backend;
	size_t i;

	if (s == NULL)
		return;
	sqlite3_finalize(s->append);
	sqlite3_finalize(s->version);
	for (i = 0; i < FILTER_COMBINATIONS; i++)
		sqlite3_finalize(s->select[i]);
	/* Every statement is finalized, so this closes the file now and,
	 * as the last connection, checkpoints and removes the -wal file. */
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/*
 * WAL lets the hooks and the receiver read while one of them writes. The
 * pragma answers with the mode it got: a file system without shared
 * memory support keeps the old mode, and that is an error rather than a
 * ledger that silently blocks its readers. An in-memory database (tests)
 * answers "memory", which is fine.
 */
static int sqlite_store__set_wal(sqlite_store *s)
{
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	int error = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &stmt,
		    NULL) != SQLITE_OK) {
		sqlite3_finalize(stmt);
		return sqlite_store__error(s, "cannot open");
	}
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		error = sqlite_store__error(s, "cannot open");
	} else {
		mode = (const char *)sqlite3_column_text(stmt, 0);
		if (mode == NULL || (cl__strcasecmp(mode, "wal") != 0 &&
				     cl__strcasecmp(mode, "memory") != 0))
			error = cl__error(CL_ESTORE, "cannot open ledger %s: "
				"write-ahead log not available (journal mode %s)",
				s->path, mode ? mode : "unknown");
	}
	sqlite3_finalize(stmt);
	return error;
}

static int sqlite_store__configure(sqlite_store *s)
{
	int error;

	/* The hooks, the CLI and the receiver share the file: wait for a
	 * writer rather than fail at once. Set first, as the pragmas below
	 * may already need a lock. */
	if (sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK)
		return sqlite_store__error(s, "cannot open");
	error = sqlite_store__set_wal(s);
	if (error < 0)
		return error;
	/* FULL syncs the log on every commit: a stored webhook delivery is
	 * acknowledged to its sender, and must survive a power cut. */
	return sqlite_store__run(s,
		"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
		"cannot open");
}

int cl_store_backend_sqlite(cl_store_backend **out, const char *path)
{
	sqlite_store *s;
	int error;

	if (out == NULL)
		return cl__error(CL_EINVALID, "no place to put the store backend");
	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return cl__error(CL_EINVALID, "no ledger path given");

	s = cl__calloc(1, sizeof(*s));
	if (s == NULL)
		return CL_ENOMEM;
	cl_store_backend_init(&s->parent, CL_STORE_BACKEND_VERSION);
	s->parent.name = "sqlite";
	s->parent.migrate = sqlite_store__migrate;
	s->parent.append_event = sqlite_store__append;
	s->parent.foreach_event = sqlite_store__foreach;
	s->parent.schema_version = sqlite_store__schema_version;
	s->parent.free = sqlite_store__free;

	s->path = cl__strdup(path);
	if (s->path == NULL) {
		free(s);
		return CL_ENOMEM;
	}
	/* No directories are created: a missing one is a wrong path in the
	 * configuration, and sqlite's error names it. */
	if (sqlite3_open_v2(path, &s->db,
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		error = sqlite_store__error(s, "cannot open");
		sqlite_store__free(&s->parent);
		return error;
	}
	error = sqlite_store__configure(s);
	if (error < 0) {
		sqlite_store__free(&s->parent);
		return error;
	}
	*out = &s->parent;
	return 0;
}
