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
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/*
 * Version 2: claims for the receiver's queues (see "Claims" below), and
 * when and why work finished.
 *
 * deliveries is rebuilt rather than altered, to give it an INTEGER
 * PRIMARY KEY: deliveries are handed out by received time, then in the
 * order stored, and only an INTEGER PRIMARY KEY is a rowid that VACUUM
 * keeps (it may renumber the hidden rowid of the v1 table). The copy
 * takes the v1 rowids, which are the order stored until then. Dropping
 * the v1 table drops its index too, so it is made again.
 *
 * outbox already has an INTEGER PRIMARY KEY, and cursors needs only to
 * say when each was last moved (for doctor and the metrics): ALTER TABLE
 * ADD COLUMN is enough there.
 */
static const char schema_v2[] =
	"CREATE TABLE deliveries_v2 ("
	" seq INTEGER PRIMARY KEY,"
	" tracker TEXT NOT NULL,"
	" delivery_id TEXT NOT NULL,"
	" received INTEGER NOT NULL,"
	" event TEXT,"
	" body BLOB,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'done', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" claim_pid INTEGER,"
	" claim_token INTEGER,"
	" claim_until INTEGER,"
	" finished INTEGER,"
	" reason TEXT,"
	" UNIQUE (tracker, delivery_id));"
	"INSERT INTO deliveries_v2 (seq, tracker, delivery_id, received, event,"
	" body, state, attempts)"
	" SELECT rowid, tracker, delivery_id, received, event, body, state,"
	" attempts FROM deliveries ORDER BY rowid;"
	"DROP TABLE deliveries;"
	"ALTER TABLE deliveries_v2 RENAME TO deliveries;"
	/* (state, received) and, implicitly, seq: the hand-out order. */
	"CREATE INDEX deliveries_state ON deliveries (state, received);"

	"ALTER TABLE outbox ADD COLUMN claim_pid INTEGER;"
	"ALTER TABLE outbox ADD COLUMN claim_token INTEGER;"
	"ALTER TABLE outbox ADD COLUMN claim_until INTEGER;"
	"ALTER TABLE outbox ADD COLUMN finished INTEGER;"

	"ALTER TABLE cursors ADD COLUMN updated INTEGER;";

/*
 * Version 3: the tracker event the receiver parsed when it accepted a
 * delivery (JSON, cl_tevent_to_json), stored instead of the sender's
 * payload. Rows from before keep their body and are parsed from it.
 */
static const char schema_v3[] =
	"ALTER TABLE deliveries ADD COLUMN tevent TEXT;";

static const char *const migrations[] = {
	schema_v1,
	schema_v2,
	schema_v3,
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

/* The queue statements, each prepared once per handle (queue_sql). */
enum {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_DELIVERY_PUT,
	Q_DELIVERY_NEXT,
	Q_DELIVERY_CLAIM,
	Q_DELIVERY_DONE,
	Q_DELIVERY_FAILED,
	Q_DELIVERY_EXISTS,
	Q_DELIVERY_PENDING,
	Q_OUTBOX_PUT,
	Q_OUTBOX_DUE,
	Q_OUTBOX_CLAIM,
	Q_OUTBOX_DONE,
	Q_OUTBOX_RETRY,
	Q_OUTBOX_FAILED,
	Q_OUTBOX_EXISTS,
	Q_OUTBOX_COUNT,
	Q_CURSOR_GET,
	Q_CURSOR_SET,
	Q_COUNT
};

typedef struct {
	cl_store_backend parent; /* first: the core sees only this */
	sqlite3 *db;
	char *path;
	sqlite3_stmt *append;
	sqlite3_stmt *version;
	sqlite3_stmt *select[FILTER_COMBINATIONS];
	sqlite3_stmt *queue[Q_COUNT];
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
/* Claims                                                              */
/* ------------------------------------------------------------------ */

/*
 * The receiver's workers, a `closeloop sync` run and the hooks share the
 * file, each process (each thread) through its own connection. Taking a
 * delivery or an outbox action claims it, in the same write transaction
 * as the read (BEGIN IMMEDIATE: no other claimer's read can come between
 * the two), by writing on the row:
 *
 *   claim_pid    the claiming process
 *   claim_token  which process that was, among those that had that pid
 *   claim_until  now + CL_QUEUE_LEASE
 *
 * Finishing the work (done, failed, retry) clears the three. Another
 * claimer may take a claimed row when
 *
 *   - the lease has run out (claim_until <= now): the claimer hangs, or
 *     lives where its pid means nothing to us (another pid namespace);
 *   - claim_pid is another process, and it no longer exists: kill(pid, 0)
 *     fails with ESRCH. A SQLite file is local (its locks are not to be
 *     trusted over a network file system), so the claimer ran on this
 *     host, and a crash or a SIGKILL hands its work out again at once,
 *     not a lease later. EPERM means that the process exists (another
 *     user's): the claim holds;
 *   - claim_pid is our own pid but claim_token is not ours: the claim is
 *     from an earlier process that had our pid. A daemon that runs as pid
 *     1 in a container has the same pid after every restart, and would
 *     otherwise wait a lease for the work it crashed on.
 *
 * A claim by a live process, our own included, holds until its lease
 * ends: two threads of one receiver, each with its own handle, never get
 * the same row.
 *
 * The token is the pid in its high 32 bits and, in its low 32 bits, a
 * value taken from the clocks when the process first claims, so that two
 * processes with one pid (which run one after the other) differ. A child
 * made by fork() inherits its parent's token, sees that the pid in it is
 * not its own, and makes its own.
 *
 * What may still go wrong is safe: a dead claimer's pid reused by an
 * unrelated process keeps its rows until the lease ends (late, never
 * lost), and a claimer that outlives its lease may see its work done a
 * second time; both are within the at-least-once promise of queue.h. A
 * zombie (exited, not yet reaped) still exists for kill() until its
 * parent reaps it.
 *
 * The test runs inside the claiming SELECT, as the SQL function
 * closeloop_claimer_gone() registered on each connection, so that the
 * whole rule is one WHERE clause and LIMIT counts only rows that can be
 * taken. SQLite stops at the first true term of an OR, so it runs for
 * claimed rows only, which are few: one per busy worker.
 */

typedef struct {
	int64_t pid;
	int64_t token;
} claimer;

/* 0 until the first claim, then (pid << 32) | nonce. */
static _Atomic uint64_t process_token;

/* 32 bits that differ between two processes that had the same pid. Not
 * a secret: only a tie-breaker, hence no random device to fail. */
static uint32_t claimer_nonce(void)
{
	struct timespec real, mono;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	x = (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec;
	x ^= ((uint64_t)mono.tv_nsec << 32) ^ (uint64_t)mono.tv_sec;
	/* splitmix64's finaliser: every input bit moves the low 32. */
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (uint32_t)(x ^ (x >> 31));
}

/*
 * This process as a claimer. Threads may race to make the token: the
 * first to store it wins and the others take its value, so that every
 * thread of one process claims with the same token.
 */
static void claimer_self(claimer *out)
{
	uint64_t pid = (uint64_t)getpid();
	uint64_t seen = atomic_load(&process_token);

	while ((seen >> 32) != pid) {
		uint64_t mine = (pid << 32) | claimer_nonce();

		if (atomic_compare_exchange_strong(&process_token, &seen,
			    mine)) {
			seen = mine;
			break;
		}
	}
	out->pid = (int64_t)pid;
	out->token = (int64_t)seen;
}

/* Is the claim of (pid, token) one that self may take over? (The lease
 * is tested in SQL.) */
static int claimer_gone(const claimer *self, int64_t pid, int64_t token)
{
	if (pid == self->pid)
		return token != self->token;
	/* kill() takes 0 and negative numbers as process groups: such a
	 * value is no claimer we wrote, and nobody holds the row. */
	if (pid <= 0 || pid > INT32_MAX)
		return 1;
	if (kill((pid_t)pid, 0) == 0)
		return 0;
	return errno == ESRCH;
}

/* closeloop_claimer_gone(claim_pid, claim_token, self_pid, self_token) */
static void claimer_gone_sql(sqlite3_context *ctx, int argc,
	sqlite3_value **argv)
{
	claimer self;

	(void)argc;
	self.pid = sqlite3_value_int64(argv[2]);
	self.token = sqlite3_value_int64(argv[3]);
	sqlite3_result_int(ctx, claimer_gone(&self,
		sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1])));
}

/* ------------------------------------------------------------------ */
/* Queues                                                              */
/* ------------------------------------------------------------------ */

/*
 * Every queue statement, by Q_ number. The placeholders are numbered,
 * and the claim rule is written out in the two claiming SELECTs:
 * ?2 is now, ?3 and ?4 the claimer.
 */
#define CLAIM_FREE \
	" (claim_pid IS NULL OR claim_until <= ?2" \
	"  OR closeloop_claimer_gone(claim_pid, claim_token, ?3, ?4))"
#define CLAIM_CLEAR " claim_pid = NULL, claim_token = NULL, claim_until = NULL"

static const char *const queue_sql[Q_COUNT] = {
	/* IMMEDIATE takes the write lock at once, waiting (busy timeout) for
	 * another writer. A deferred transaction that reads, then writes,
	 * fails with SQLITE_BUSY, without waiting, when another connection
	 * wrote in between: the busy handler cannot help it. */
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",

	[Q_DELIVERY_PUT] =
		"INSERT INTO deliveries (tracker, delivery_id, received, event,"
		" body, tevent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (tracker, delivery_id) DO NOTHING",
	[Q_DELIVERY_NEXT] =
		"SELECT seq, tracker, delivery_id, event, body, received,"
		" attempts, tevent FROM deliveries"
		" WHERE state = 'pending' AND" CLAIM_FREE
		" ORDER BY received, seq LIMIT 1",
	[Q_DELIVERY_CLAIM] =
		"UPDATE deliveries SET claim_pid = ?2, claim_token = ?3,"
		" claim_until = ?4, attempts = attempts + 1 WHERE seq = ?1",
	[Q_DELIVERY_DONE] =
		"UPDATE deliveries SET state = 'done', finished = ?3," CLAIM_CLEAR
		" WHERE tracker = ?1 AND delivery_id = ?2 AND state = 'pending'",
	[Q_DELIVERY_FAILED] =
		"UPDATE deliveries SET state = 'failed', finished = ?3,"
		" reason = ?4," CLAIM_CLEAR
		" WHERE tracker = ?1 AND delivery_id = ?2 AND state = 'pending'",
	[Q_DELIVERY_EXISTS] =
		"SELECT 1 FROM deliveries WHERE tracker = ?1 AND delivery_id = ?2",
	[Q_DELIVERY_PENDING] =
		"SELECT count(*) FROM deliveries WHERE state = 'pending'",

	[Q_OUTBOX_PUT] =
		"INSERT INTO outbox (created, tracker, ticket, action, body,"
		" next_attempt, dedupe_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (dedupe_key) DO NOTHING",
	[Q_OUTBOX_DUE] =
		"SELECT id, tracker, ticket, action, body, dedupe_key, attempts,"
		" next_attempt, last_error FROM outbox"
		" WHERE state = 'pending' AND next_attempt <= ?1 AND" CLAIM_FREE
		" ORDER BY id LIMIT ?5",
	[Q_OUTBOX_CLAIM] =
		"UPDATE outbox SET claim_pid = ?2, claim_token = ?3,"
		" claim_until = ?4 WHERE id = ?1",
	[Q_OUTBOX_DONE] =
		"UPDATE outbox SET state = 'done', finished = ?2," CLAIM_CLEAR
		" WHERE id = ?1 AND state = 'pending'",
	[Q_OUTBOX_RETRY] =
		"UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2,"
		" last_error = ?3," CLAIM_CLEAR
		" WHERE id = ?1 AND state = 'pending'",
	[Q_OUTBOX_FAILED] =
		"UPDATE outbox SET state = 'failed', attempts = attempts + 1,"
		" last_error = ?3, finished = ?2," CLAIM_CLEAR
		" WHERE id = ?1 AND state = 'pending'",
	[Q_OUTBOX_EXISTS] = "SELECT 1 FROM outbox WHERE id = ?1",
	/* Two counts, each over its part of the (state, next_attempt)
	 * index, rather than one pass over the whole table. */
	[Q_OUTBOX_COUNT] =
		"SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'),"
		" (SELECT count(*) FROM outbox WHERE state = 'failed')",

	[Q_CURSOR_GET] = "SELECT value FROM cursors WHERE name = ?1",
	[Q_CURSOR_SET] =
		"INSERT INTO cursors (name, value, updated) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
		" updated = excluded.updated",
};

/* The queue statement which, prepared on first use. */
static int sqlite_store__queue_stmt(sqlite_store *s, int which,
	const char *what, sqlite3_stmt **out)
{
	int error = sqlite_store__prepare(s, &s->queue[which],
		queue_sql[which], what);

	*out = error < 0 ? NULL : s->queue[which];
	return error;
}

/* Make a statement ready for its next use, and drop the caller's
 * strings, which were bound SQLITE_STATIC (borrowed). */
static void stmt_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* Run a statement bound by the caller that returns no rows; *changed
 * (when not NULL) is how many rows it inserted or updated. */
static int sqlite_store__write(sqlite_store *s, sqlite3_stmt *stmt,
	const char *what, int *changed)
{
	int error = 0;

	if (sqlite3_step(stmt) != SQLITE_DONE)
		error = sqlite_store__error(s, what);
	else if (changed != NULL)
		*changed = sqlite3_changes(s->db);
	stmt_done(stmt);
	return error;
}

static int sqlite_store__exec(sqlite_store *s, int which, const char *what)
{
	sqlite3_stmt *stmt;
	int error = sqlite_store__queue_stmt(s, which, what, &stmt);

	if (error == 0)
		error = sqlite_store__write(s, stmt, what, NULL);
	return error;
}

static int sqlite_store__begin(sqlite_store *s, const char *what)
{
	return sqlite_store__exec(s, Q_BEGIN, what);
}

/*
 * End the transaction: commit when error is 0, else roll back and return
 * error with its message kept. Some failures (SQLITE_FULL, an I/O error)
 * have rolled back already; a second rollback would only fail.
 */
static int sqlite_store__end(sqlite_store *s, int error, const char *what)
{
	if (error == 0)
		error = sqlite_store__exec(s, Q_COMMIT, what);
	if (error < 0 && !sqlite3_get_autocommit(s->db)) {
		cl_error saved = *cl_error_last();
		char message[1024];

		snprintf(message, sizeof(message), "%s", saved.message);
		sqlite_store__exec(s, Q_ROLLBACK, what);
		cl__error(saved.code, "%s", message);
	}
	return error;
}

/* Does the row the caller bound to stmt exist? */
static int sqlite_store__exists(sqlite_store *s, sqlite3_stmt *stmt,
	const char *what, int *found)
{
	int rc = sqlite3_step(stmt);
	int error = 0;

	if (rc == SQLITE_ROW)
		*found = 1;
	else if (rc == SQLITE_DONE)
		*found = 0;
	else
		error = sqlite_store__error(s, what);
	stmt_done(stmt);
	return error;
}

static void bind_text_at(sqlite3_stmt *stmt, int i, const char *value)
{
	sqlite3_bind_text(stmt, i, value, -1, SQLITE_STATIC);
}

static void bind_claimer(sqlite3_stmt *stmt, int first, const claimer *c)
{
	sqlite3_bind_int64(stmt, first, c->pid);
	sqlite3_bind_int64(stmt, first + 1, c->token);
}

/* A column as text, borrowed until the statement moves on. */
static const char *column_text(sqlite3_stmt *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

/* ---- Deliveries ---- */

static int sqlite_store__delivery_put(cl_store_backend *backend,
	const cl_delivery *d, size_t n, int *dup, int64_t now)
{
	static const char what[] = "cannot store deliveries in";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int error;

	error = sqlite_store__queue_stmt(s, Q_DELIVERY_PUT, what, &stmt);
	if (error < 0)
		return error;
	/* One transaction, one sync of the log, for the whole batch: this
	 * is the receiver's group commit. */
	error = sqlite_store__begin(s, what);
	if (error < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		int inserted = 0;

		bind_text_at(stmt, 1, d[i].tracker);
		bind_text_at(stmt, 2, d[i].id);
		sqlite3_bind_int64(stmt, 3, d[i].received ? d[i].received : now);
		bind_text_at(stmt, 4, d[i].event);
		/* A BLOB, never text: a body is bytes, NULs and all. A NULL
		 * pointer would bind SQL NULL, so an empty body binds "". */
		sqlite3_bind_blob64(stmt, 5, d[i].body_len ? d[i].body : "",
			d[i].body_len, SQLITE_STATIC);
		bind_text_at(stmt, 6, d[i].tevent);
		error = sqlite_store__write(s, stmt, what, &inserted);
		/* DO NOTHING on a conflict: already stored, by an earlier
		 * batch or earlier in this one. */
		if (error == 0 && dup != NULL)
			dup[i] = inserted == 0;
	}
	error = sqlite_store__end(s, error, what);
	if (error < 0 && dup != NULL)
		memset(dup, 0, n * sizeof(*dup));
	return error;
}

/* Claim the row that stmt (bound to its id at ?1) names, in the open
 * transaction. */
static int sqlite_store__claim(sqlite_store *s, int which, int64_t id,
	const claimer *self, int64_t now, const char *what)
{
	sqlite3_stmt *stmt;
	int error = sqlite_store__queue_stmt(s, which, what, &stmt);

	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	bind_claimer(stmt, 2, self);
	sqlite3_bind_int64(stmt, 4, now + CL_QUEUE_LEASE);
	return sqlite_store__write(s, stmt, what, NULL);
}

/* The delivery in the current row of Q_DELIVERY_NEXT, copied out. */
static int read_delivery(sqlite3_stmt *stmt, cl_delivery **out)
{
	cl_delivery d;

	d.tracker = column_text(stmt, 1);
	d.id = column_text(stmt, 2);
	d.event = column_text(stmt, 3);
	/* The blob before its length, as SQLite's documentation asks. */
	d.body = sqlite3_column_blob(stmt, 4);
	d.body_len = (size_t)sqlite3_column_bytes(stmt, 4);
	d.received = sqlite3_column_int64(stmt, 5);
	/* The claim about to be written counts this hand-out. */
	d.attempts = sqlite3_column_int(stmt, 6) + 1;
	d.tevent = column_text(stmt, 7);
	if (d.body == NULL)
		d.body_len = 0;
	return cl_delivery_dup(out, &d);
}

static int sqlite_store__delivery_next(cl_store_backend *backend,
	cl_delivery **out, int64_t now)
{
	static const char what[] = "cannot take a delivery from";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	cl_delivery *d = NULL;
	claimer self;
	int64_t seq = 0;
	int error;
	int rc;

	*out = NULL;
	claimer_self(&self);
	error = sqlite_store__queue_stmt(s, Q_DELIVERY_NEXT, what, &stmt);
	if (error < 0)
		return error;
	error = sqlite_store__begin(s, what);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 2, now);
	bind_claimer(stmt, 3, &self);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(stmt, 0);
		error = read_delivery(stmt, &d);
	} else if (rc != SQLITE_DONE) {
		error = sqlite_store__error(s, what);
	}
	/* Reset before the claim: the UPDATE must not run under a SELECT
	 * of the same table that is still stepping. */
	stmt_done(stmt);
	if (error == 0 && d != NULL)
		error = sqlite_store__claim(s, Q_DELIVERY_CLAIM, seq, &self, now,
			what);
	error = sqlite_store__end(s, error, what);
	if (error < 0) {
		cl_delivery_free(d);
		return error;
	}
	*out = d;
	return 0;
}

/*
 * Finish what the caller bound to update; when it changed nothing, tell
 * an unknown delivery (CL_ENOTFOUND) from one already finished (fine:
 * work is done at least once, so it may be finished twice).
 */
static int sqlite_store__delivery_finish(sqlite_store *s, int which,
	const char *tracker, const char *id, const char *reason, int64_t now)
{
	static const char what[] = "cannot finish a delivery in";
	sqlite3_stmt *stmt = NULL;
	int changed = 0, found = 0;
	int error;

	error = sqlite_store__queue_stmt(s, which, what, &stmt);
	if (error < 0)
		return error;
	bind_text_at(stmt, 1, tracker);
	bind_text_at(stmt, 2, id);
	sqlite3_bind_int64(stmt, 3, now);
	if (reason != NULL)
		bind_text_at(stmt, 4, reason);
	error = sqlite_store__write(s, stmt, what, &changed);
	if (error < 0 || changed > 0)
		return error;

	error = sqlite_store__queue_stmt(s, Q_DELIVERY_EXISTS, what, &stmt);
	if (error < 0)
		return error;
	bind_text_at(stmt, 1, tracker);
	bind_text_at(stmt, 2, id);
	error = sqlite_store__exists(s, stmt, what, &found);
	if (error == 0 && !found)
		error = cl__error(CL_ENOTFOUND, "no delivery '%s' from tracker "
			"%s in ledger %s", id, tracker, s->path);
	return error;
}

static int sqlite_store__delivery_done(cl_store_backend *backend,
	const char *tracker, const char *id, int64_t now)
{
	return sqlite_store__delivery_finish((sqlite_store *)backend,
		Q_DELIVERY_DONE, tracker, id, NULL, now);
}

static int sqlite_store__delivery_failed(cl_store_backend *backend,
	const char *tracker, const char *id, const char *reason, int64_t now)
{
	return sqlite_store__delivery_finish((sqlite_store *)backend,
		Q_DELIVERY_FAILED, tracker, id, reason, now);
}

/* The one row of a statement that takes no parameters and counts: its
 * first column, and its second when asked for. */
static int sqlite_store__count(sqlite_store *s, int which, const char *what,
	int64_t *first, int64_t *second)
{
	sqlite3_stmt *stmt = NULL;
	int error = sqlite_store__queue_stmt(s, which, what, &stmt);

	if (error < 0)
		return error;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*first = sqlite3_column_int64(stmt, 0);
		if (second != NULL)
			*second = sqlite3_column_int64(stmt, 1);
	} else {
		error = sqlite_store__error(s, what);
	}
	stmt_done(stmt);
	return error;
}

static int sqlite_store__delivery_pending(cl_store_backend *backend,
	int64_t *out)
{
	return sqlite_store__count((sqlite_store *)backend, Q_DELIVERY_PENDING,
		"cannot count deliveries in", out, NULL);
}

/* ---- The outbox ---- */

static int sqlite_store__outbox_put(cl_store_backend *backend,
	const cl_outbox_item *a, int *dup, int64_t now)
{
	static const char what[] = "cannot queue an action in";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	int inserted = 0;
	int error;

	error = sqlite_store__queue_stmt(s, Q_OUTBOX_PUT, what, &stmt);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, now);
	bind_text_at(stmt, 2, a->tracker);
	bind_text_at(stmt, 3, a->ticket);
	bind_text_at(stmt, 4, a->action);
	bind_text_at(stmt, 5, a->body);
	sqlite3_bind_int64(stmt, 6, a->next_attempt ? a->next_attempt : now);
	bind_text_at(stmt, 7, a->dedupe_key);
	/* One statement, so autocommit is its transaction: durable (and
	 * synced) when it returns. */
	error = sqlite_store__write(s, stmt, what, &inserted);
	if (error == 0)
		*dup = inserted == 0;
	return error;
}

/* The action in the current row of Q_OUTBOX_DUE, appended to items. */
static int read_outbox_item(sqlite3_stmt *stmt, cl_outbox_item **items,
	size_t *n)
{
	cl_outbox_item a;

	a.id = sqlite3_column_int64(stmt, 0);
	a.tracker = column_text(stmt, 1);
	a.ticket = column_text(stmt, 2);
	a.action = column_text(stmt, 3);
	a.body = column_text(stmt, 4);
	a.dedupe_key = column_text(stmt, 5);
	a.attempts = sqlite3_column_int(stmt, 6);
	a.next_attempt = sqlite3_column_int64(stmt, 7);
	a.last_error = column_text(stmt, 8);
	return cl_outbox_items_add(items, n, &a);
}

static int sqlite_store__outbox_due(cl_store_backend *backend, int64_t due,
	size_t max, cl_outbox_item **out, size_t *n, int64_t now)
{
	static const char what[] = "cannot take actions from";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	cl_outbox_item *items = NULL;
	size_t count = 0, i;
	claimer self;
	int error;
	int rc;

	claimer_self(&self);
	error = sqlite_store__queue_stmt(s, Q_OUTBOX_DUE, what, &stmt);
	if (error < 0)
		return error;
	error = sqlite_store__begin(s, what);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, due);
	sqlite3_bind_int64(stmt, 2, now);
	bind_claimer(stmt, 3, &self);
	sqlite3_bind_int64(stmt, 5, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	while (error == 0) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW)
			error = read_outbox_item(stmt, &items, &count);
		else if (rc == SQLITE_DONE)
			break;
		else
			error = sqlite_store__error(s, what);
	}
	/* Claimed after the SELECT is reset, as in delivery_next. */
	stmt_done(stmt);
	for (i = 0; i < count && error == 0; i++)
		error = sqlite_store__claim(s, Q_OUTBOX_CLAIM, items[i].id, &self,
			now, what);
	error = sqlite_store__end(s, error, what);
	if (error < 0) {
		cl_outbox_items_free(items, count);
		return error;
	}
	*out = items;
	*n = count;
	return 0;
}

/* As sqlite_store__delivery_finish, for the update bound by the caller
 * (?1 the id). */
static int sqlite_store__outbox_finish(sqlite_store *s, sqlite3_stmt *stmt,
	int64_t id, const char *what)
{
	int changed = 0, found = 0;
	int error = sqlite_store__write(s, stmt, what, &changed);

	if (error < 0 || changed > 0)
		return error;
	error = sqlite_store__queue_stmt(s, Q_OUTBOX_EXISTS, what, &stmt);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	error = sqlite_store__exists(s, stmt, what, &found);
	if (error == 0 && !found)
		error = cl__error(CL_ENOTFOUND, "no outbox action %lld in "
			"ledger %s", (long long)id, s->path);
	return error;
}

static int sqlite_store__outbox_done(cl_store_backend *backend, int64_t id,
	int64_t now)
{
	static const char what[] = "cannot finish an action in";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	int error = sqlite_store__queue_stmt(s, Q_OUTBOX_DONE, what, &stmt);

	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	return sqlite_store__outbox_finish(s, stmt, id, what);
}

static int sqlite_store__outbox_retry(cl_store_backend *backend, int64_t id,
	int64_t next_attempt, const char *error_text, int64_t now)
{
	static const char what[] = "cannot retry an action in";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	int error = sqlite_store__queue_stmt(s, Q_OUTBOX_RETRY, what, &stmt);

	(void)now;
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, next_attempt);
	bind_text_at(stmt, 3, error_text);
	return sqlite_store__outbox_finish(s, stmt, id, what);
}

static int sqlite_store__outbox_failed(cl_store_backend *backend, int64_t id,
	const char *error_text, int64_t now)
{
	static const char what[] = "cannot finish an action in";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	int error = sqlite_store__queue_stmt(s, Q_OUTBOX_FAILED, what, &stmt);

	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	bind_text_at(stmt, 3, error_text);
	return sqlite_store__outbox_finish(s, stmt, id, what);
}

static int sqlite_store__outbox_count(cl_store_backend *backend,
	int64_t *pending, int64_t *failed)
{
	return sqlite_store__count((sqlite_store *)backend, Q_OUTBOX_COUNT,
		"cannot count actions in", pending, failed);
}

/* ---- Cursors ---- */

static int sqlite_store__cursor_get(cl_store_backend *backend,
	const char *name, char **value)
{
	static const char what[] = "cannot read a cursor in";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	const char *text;
	int error;
	int rc;

	*value = NULL;
	error = sqlite_store__queue_stmt(s, Q_CURSOR_GET, what, &stmt);
	if (error < 0)
		return error;
	bind_text_at(stmt, 1, name);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		text = column_text(stmt, 0);
		if (text != NULL) {
			*value = cl__strdup(text);
			if (*value == NULL)
				error = CL_ENOMEM;
		}
	} else if (rc != SQLITE_DONE) {
		error = sqlite_store__error(s, what);
	}
	stmt_done(stmt);
	return error;
}

static int sqlite_store__cursor_set(cl_store_backend *backend,
	const char *name, const char *value, int64_t now)
{
	static const char what[] = "cannot set a cursor in";
	sqlite_store *s = (sqlite_store *)backend;
	sqlite3_stmt *stmt = NULL;
	int error = sqlite_store__queue_stmt(s, Q_CURSOR_SET, what, &stmt);

	if (error < 0)
		return error;
	bind_text_at(stmt, 1, name);
	bind_text_at(stmt, 2, value);
	sqlite3_bind_int64(stmt, 3, now);
	return sqlite_store__write(s, stmt, what, NULL);
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
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->queue[i]);
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
	/* For the claims (see "Claims"). DIRECTONLY: a schema written by
	 * someone else cannot call it from a trigger or a view. */
	if (sqlite3_create_function_v2(s->db, "closeloop_claimer_gone", 4,
		    SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, claimer_gone_sql,
		    NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_store__error(s, "cannot open");
	/* FULL syncs the log on every commit: a stored webhook delivery is
	 * acknowledged to its sender, and must survive a power cut. */
	return sqlite_store__run(s,
		"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
		"cannot open");
}

/*
 * In WAL mode NORMAL commits write the log without syncing it; a FULL
 * commit's sync then covers them too, and a checkpoint syncs the log
 * before it copies. The log is replayed up to its first torn frame, so
 * what a crash loses is a suffix.
 */
static int sqlite_store__set_sync(cl_store_backend *backend, int deferred)
{
	return sqlite_store__run((sqlite_store *)backend, deferred ?
		"PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL",
		"cannot set how commits are synced in");
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
	s->parent.delivery_put = sqlite_store__delivery_put;
	s->parent.delivery_next = sqlite_store__delivery_next;
	s->parent.delivery_done = sqlite_store__delivery_done;
	s->parent.delivery_failed = sqlite_store__delivery_failed;
	s->parent.delivery_pending = sqlite_store__delivery_pending;
	s->parent.outbox_put = sqlite_store__outbox_put;
	s->parent.outbox_due = sqlite_store__outbox_due;
	s->parent.outbox_done = sqlite_store__outbox_done;
	s->parent.outbox_retry = sqlite_store__outbox_retry;
	s->parent.outbox_failed = sqlite_store__outbox_failed;
	s->parent.outbox_count = sqlite_store__outbox_count;
	s->parent.cursor_get = sqlite_store__cursor_get;
	s->parent.cursor_set = sqlite_store__cursor_set;
	s->parent.set_sync = sqlite_store__set_sync;
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
