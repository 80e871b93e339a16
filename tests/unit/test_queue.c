/*
 * test_queue.c: the store's work queues (closeloop/queue.h) on the SQLite
 * backend: webhook deliveries, the outbox of tracker actions, sync
 * cursors. Claims are tested the ways they end in production: finished
 * work, a claimer killed with SIGKILL (fork), a lease that runs out (the
 * injectable clock), an earlier process that had our pid; and under
 * concurrency, with threads that each open their own handle.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include <closeloop/closeloop.h>

#include "runner.h"

/* ------------------------------------------------------------------ */
/* Fixture: a temporary directory, and a clock the tests move          */
/* ------------------------------------------------------------------ */

static char tmpdir[256];
static char db_path[512];
static int64_t clock_now;

#define T0 ((int64_t)1700000000)

static int64_t test_clock(void *payload)
{
	return *(const int64_t *)payload;
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/cl-queue-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", tmpdir);
	clock_now = T0;
	cl_clock_set(test_clock, &clock_now);
	cl_error_clear();
}

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
		unlink(path);
	}
	closedir(dir);
	rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static const char *last_message(void)
{
	return cl_error_last()->message;
}

#define assert_message_has(text) \
	ck_assert_msg(strstr(last_message(), (text)) != NULL, \
		"message '%s' lacks '%s'", last_message(), (text))

/* Fails with code and exactly message. */
#define assert_fails(call, code, message) do { \
		ck_assert_int_eq((call), (code)); \
		ck_assert_str_eq(last_message(), (message)); \
	} while (0)

static cl_store *open_store(void)
{
	cl_store *store = NULL;

	ck_assert_int_eq(cl_store_open(&store, db_path), 0);
	ck_assert_ptr_nonnull(store);
	return store;
}

static cl_delivery delivery(const char *tracker, const char *id,
	int64_t received, const char *body)
{
	cl_delivery d;

	memset(&d, 0, sizeof(d));
	d.tracker = tracker;
	d.id = id;
	d.event = "issues";
	d.body = body;
	d.body_len = body ? strlen(body) : 0;
	d.received = received;
	return d;
}

/* Store one delivery; returns its dup flag. */
static int put_one(cl_store *store, const char *id, int64_t received,
	const char *body)
{
	cl_delivery d = delivery("support", id, received, body);
	int dup = -1;

	ck_assert_int_eq(cl_store_delivery_put(store, &d, 1, &dup), 0);
	return dup;
}

static int64_t pending(cl_store *store)
{
	int64_t n = -1;

	ck_assert_int_eq(cl_store_delivery_pending(store, &n), 0);
	return n;
}

/* The id of the next delivery handed out (claimed, not finished), "" when
 * none; attempts, when not NULL, gets its attempts. */
static const char *next_id(cl_store *store, int *attempts)
{
	static char id[128];
	cl_delivery *d = (cl_delivery *)&d;

	ck_assert_int_eq(cl_store_delivery_next(store, &d), 0);
	if (d == NULL)
		return "";
	snprintf(id, sizeof(id), "%s", d->id);
	if (attempts != NULL)
		*attempts = d->attempts;
	cl_delivery_free(d);
	return id;
}

static void queue_action(cl_store *store, const char *ticket,
	const char *action, const char *body, const char *key,
	int64_t next_attempt, int *dup)
{
	cl_outbox_item a;

	memset(&a, 0, sizeof(a));
	a.tracker = "support";
	a.ticket = ticket;
	a.action = action;
	a.body = body;
	a.dedupe_key = key;
	a.next_attempt = next_attempt;
	ck_assert_int_eq(cl_store_outbox_put(store, &a, dup), 0);
}

/* The ids of the actions due at now (claimed), as "1,3,4". */
static const char *due_ids(cl_store *store, int64_t now, size_t max)
{
	static char out[256];
	cl_outbox_item *items = NULL;
	size_t n = 99, i, used = 0;

	ck_assert_int_eq(cl_store_outbox_due(store, now, max, &items, &n), 0);
	ck_assert_uint_le(n, max);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used,
			"%s%lld", i ? "," : "", (long long)items[i].id);
	cl_outbox_items_free(items, n);
	return out;
}

static void outbox_counts(cl_store *store, int64_t *p, int64_t *f)
{
	ck_assert_int_eq(cl_store_outbox_count(store, p, f), 0);
}

/* Run statements on the file directly, as another program would. */
static void raw_exec(const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK,
		"%s: %s", sql, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
}

/* The first column of the first row of sql, as text ("(null)", "(none)"). */
static const char *raw_query(const char *sql)
{
	static char out[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	const unsigned char *text;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK,
		"%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		text = sqlite3_column_text(stmt, 0);
		snprintf(out, sizeof(out), "%s",
			text ? (const char *)text : "(null)");
	} else {
		snprintf(out, sizeof(out), "(none)");
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return out;
}

/* ------------------------------------------------------------------ */
/* Deliveries                                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_put_batch_dups)
{
	cl_store *store = open_store();
	cl_delivery first[5] = {
		delivery("support", "a", 0, "A"),
		delivery("support", "b", 0, "B"),
		delivery("gitea", "a", 0, "gitea A"),  /* another tracker */
		delivery("support", "b", 0, "B again"), /* dup in the batch */
		delivery("support", "c", 0, "C"),
	};
	cl_delivery second[4] = {
		delivery("support", "c", 0, "C again"), /* dup across batches */
		delivery("support", "d", 0, "D"),
		delivery("gitea", "a", 0, "gitea A again"),
		delivery("support", "d", 0, "D again"),
	};
	int dup[5];
	char dups[16];
	cl_delivery *d = NULL;
	size_t i;

	memset(dup, 0x55, sizeof(dup));
	ck_assert_int_eq(cl_store_delivery_put(store, first, 5, dup), 0);
	for (i = 0; i < 5; i++)
		dups[i] = (char)('0' + dup[i]);
	dups[5] = '\0';
	ck_assert_str_eq(dups, "00010");
	ck_assert_int_eq(pending(store), 4);

	ck_assert_int_eq(cl_store_delivery_put(store, second, 4, dup), 0);
	for (i = 0; i < 4; i++)
		dups[i] = (char)('0' + dup[i]);
	dups[4] = '\0';
	ck_assert_str_eq(dups, "1011");
	ck_assert_int_eq(pending(store), 5);
	ck_assert_str_eq(raw_query("SELECT count(*) FROM deliveries"), "5");

	/* A duplicate stores nothing: the first body stays. */
	ck_assert_int_eq(cl_store_delivery_next(store, &d), 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->tracker, "support");
	ck_assert_str_eq(d->id, "a");
	ck_assert_str_eq(next_id(store, NULL), "b");
	ck_assert_str_eq(raw_query("SELECT body FROM deliveries"
		" WHERE delivery_id = 'b'"), "B");
	ck_assert_str_eq(raw_query("SELECT body FROM deliveries"
		" WHERE tracker = 'gitea'"), "gitea A");
	cl_delivery_free(d);

	/* dup may be NULL; n 0 stores nothing. */
	ck_assert_int_eq(cl_store_delivery_put(store, second, 2, NULL), 0);
	ck_assert_int_eq(cl_store_delivery_put(store, NULL, 0, NULL), 0);
	ck_assert_int_eq(pending(store), 5);
	cl_store_free(store);
}
END_TEST

/* The batch is one transaction: one delivery refused, none stored. */
START_TEST(test_put_batch_atomic)
{
	cl_store *store = open_store();
	cl_delivery batch[3] = {
		delivery("support", "ok-1", 0, "1"),
		delivery("support", "refused", 0, "2"),
		delivery("support", "ok-3", 0, "3"),
	};
	int dup[3] = { 7, 7, 7 };

	cl_store_free(store);
	/* Another program's trigger stands in for a failing disk. */
	raw_exec("CREATE TRIGGER refuse BEFORE INSERT ON deliveries"
		" WHEN new.delivery_id = 'refused'"
		" BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END");
	store = open_store();
	ck_assert_int_eq(cl_store_delivery_put(store, batch, 3, dup), CL_ESTORE);
	ck_assert_int_eq(cl_error_last()->code, CL_ESTORE);
	assert_message_has("cannot store deliveries in ledger ");
	assert_message_has(db_path);
	assert_message_has("refused by trigger");
	ck_assert_int_eq(dup[0] + dup[1] + dup[2], 0);
	ck_assert_int_eq(pending(store), 0);
	ck_assert_str_eq(raw_query("SELECT count(*) FROM deliveries"), "0");

	/* The handle is usable afterwards: no transaction was left open. */
	ck_assert_int_eq(cl_store_delivery_put(store, batch, 1, dup), 0);
	ck_assert_int_eq(dup[0], 0);
	ck_assert_int_eq(pending(store), 1);
	cl_store_free(store);
}
END_TEST

START_TEST(test_next_order_and_fields)
{
	cl_store *store = open_store();
	cl_delivery *d = NULL;
	int attempts = 0;

	ck_assert_int_eq(put_one(store, "late", T0 + 300, "{\"n\":1}"), 0);
	ck_assert_int_eq(put_one(store, "early-1", T0 - 100, "{\"n\":2}"), 0);
	ck_assert_int_eq(put_one(store, "middle", T0 + 200, "{\"n\":3}"), 0);
	ck_assert_int_eq(put_one(store, "early-2", T0 - 100, "{\"n\":4}"), 0);
	/* received 0 is the clock's now. */
	clock_now = T0 + 250;
	ck_assert_int_eq(put_one(store, "now", 0, NULL), 0);

	ck_assert_int_eq(cl_store_delivery_next(store, &d), 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->tracker, "support");
	ck_assert_str_eq(d->id, "early-1");
	ck_assert_str_eq(d->event, "issues");
	ck_assert_uint_eq(d->body_len, 7);
	ck_assert_str_eq(d->body, "{\"n\":2}");
	ck_assert_int_eq(d->received, T0 - 100);
	ck_assert_int_eq(d->attempts, 1);
	cl_delivery_free(d);

	/* Same received: the order stored. */
	ck_assert_str_eq(next_id(store, &attempts), "early-2");
	ck_assert_int_eq(attempts, 1);
	ck_assert_str_eq(next_id(store, NULL), "middle");
	ck_assert_int_eq(cl_store_delivery_next(store, &d), 0);
	ck_assert_str_eq(d->id, "now");
	ck_assert_int_eq(d->received, T0 + 250);
	/* An empty body is an empty string, never NULL. */
	ck_assert_ptr_nonnull(d->body);
	ck_assert_uint_eq(d->body_len, 0);
	ck_assert_str_eq(d->body, "");
	cl_delivery_free(d);
	ck_assert_str_eq(next_id(store, NULL), "late");
	/* Everything is claimed now. */
	ck_assert_str_eq(next_id(store, NULL), "");
	ck_assert_int_eq(pending(store), 5);
	cl_store_free(store);
}
END_TEST

/* What the receiver stores: the parsed event, no payload. */
START_TEST(test_tevent_kept)
{
	cl_store *store = open_store();
	cl_delivery in = delivery("support", "parsed", 0, NULL), *d = NULL;
	static const char tevent[] = "{\"v\":1,\"kind\":\"closed\"}";
	int dup = -1;

	in.event = NULL;
	in.tevent = tevent;
	ck_assert_int_eq(cl_store_delivery_put(store, &in, 1, &dup), 0);
	ck_assert_int_eq(dup, 0);
	ck_assert_int_eq(put_one(store, "payload", 0, "{}"), 0);
	ck_assert_int_eq(cl_store_delivery_next(store, &d), 0);
	ck_assert_str_eq(d->id, "parsed");
	ck_assert_str_eq(d->tevent, tevent);
	ck_assert_ptr_null(d->event);
	ck_assert_uint_eq(d->body_len, 0);
	ck_assert_str_eq(d->body, "");
	cl_delivery_free(d);
	ck_assert_int_eq(cl_store_delivery_next(store, &d), 0);
	ck_assert_str_eq(d->id, "payload");
	ck_assert_ptr_null(d->tevent);
	ck_assert_str_eq(d->body, "{}");
	cl_delivery_free(d);
	/* the bytes on disk: the event, and no payload */
	ck_assert_str_eq(raw_query("SELECT length(body) FROM deliveries"
		" WHERE delivery_id = 'parsed'"), "0");
	ck_assert_str_eq(raw_query("SELECT tevent FROM deliveries"
		" WHERE delivery_id = 'parsed'"), tevent);
	cl_store_free(store);
}
END_TEST

START_TEST(test_done_failed)
{
	cl_store *store = open_store();

	put_one(store, "one", 0, "1");
	put_one(store, "two", 0, "2");
	put_one(store, "three", 0, "3");
	ck_assert_int_eq(pending(store), 3);

	ck_assert_str_eq(next_id(store, NULL), "one");
	clock_now = T0 + 5;
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "one"), 0);
	ck_assert_int_eq(pending(store), 2);
	ck_assert_str_eq(raw_query("SELECT state || ' ' || finished ||"
		" ' ' || (claim_pid IS NULL) FROM deliveries"
		" WHERE delivery_id = 'one'"), "done 1700000005 1");

	ck_assert_str_eq(next_id(store, NULL), "two");
	ck_assert_int_eq(cl_store_delivery_failed(store, "support", "two",
		"payload names no issue"), 0);
	ck_assert_int_eq(pending(store), 1);
	ck_assert_str_eq(raw_query("SELECT state || ': ' || reason"
		" FROM deliveries WHERE delivery_id = 'two'"),
		"failed: payload names no issue");

	/* Finishing twice (work is done at least once) changes nothing. */
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "two"), 0);
	ck_assert_int_eq(cl_store_delivery_failed(store, "support", "one",
		"late"), 0);
	ck_assert_str_eq(raw_query("SELECT group_concat(state, ',') FROM"
		" (SELECT state FROM deliveries ORDER BY seq)"),
		"done,failed,pending");

	/* An unclaimed delivery can be finished too (a sync that saw it). */
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "three"), 0);
	ck_assert_int_eq(pending(store), 0);
	ck_assert_str_eq(next_id(store, NULL), "");

	ck_assert_int_eq(cl_store_delivery_done(store, "support", "nine"),
		CL_ENOTFOUND);
	assert_message_has("no delivery 'nine' from tracker support in ledger ");
	assert_message_has(db_path);
	ck_assert_int_eq(cl_store_delivery_failed(store, "gitea", "one", "x"),
		CL_ENOTFOUND);
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Claims                                                              */
/* ------------------------------------------------------------------ */

/*
 * Another process that claims through claim(), tells us, and holds its
 * claims (as a worker busy with them would), its store still open, until
 * kill_claimer sends it SIGKILL, as the OOM killer would: no cleanup, no
 * close. (Sent from here: valgrind catches a process's SIGKILL to itself
 * and exits it cleanly instead.) The child never returns into Check, and
 * exits by itself should the parent go away (EOF on the hold pipe).
 */
typedef struct {
	pid_t pid;
	int hold; /* the write end, kept open while the child should live */
} claimer_proc;

static void claimer_child(int ready, int hold, int (*claim)(cl_store *))
{
	cl_store *store = NULL;
	char c = 'E';
	char unused;

	if (cl_store_open(&store, db_path) == 0 && claim(store) == 0)
		c = 'K';
	if (write(ready, &c, 1) != 1)
		_exit(3);
	while (read(hold, &unused, 1) < 0 && errno == EINTR)
		;
	_exit(4);
}

static claimer_proc start_claimer(int (*claim)(cl_store *))
{
	claimer_proc p;
	int ready[2], hold[2];
	char c = 0;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(hold), 0);
	p.pid = fork();
	ck_assert_int_ge(p.pid, 0);
	if (p.pid == 0) {
		close(ready[0]);
		close(hold[1]);
		claimer_child(ready[1], hold[0], claim);
	}
	close(ready[1]);
	close(hold[0]);
	p.hold = hold[1];
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	ck_assert_msg(c == 'K', "the claiming child failed");
	return p;
}

static void kill_claimer(claimer_proc *p)
{
	int status = 0;

	ck_assert_int_eq(kill(p->pid, SIGKILL), 0);
	/* Reaped: a zombie would still exist for kill(pid, 0). */
	ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
	close(p->hold);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
}

/* In the child: take the first two deliveries. */
static int claim_two_deliveries(cl_store *store)
{
	cl_delivery *a = NULL, *b = NULL;
	int ok;

	ok = cl_store_delivery_next(store, &a) == 0 && a != NULL &&
		cl_store_delivery_next(store, &b) == 0 && b != NULL &&
		strcmp(a->id, "d1") == 0 && strcmp(b->id, "d2") == 0;
	cl_delivery_free(a);
	cl_delivery_free(b);
	return ok ? 0 : -1;
}

START_TEST(test_crash_recovery_deliveries)
{
	cl_store *store = open_store();
	claimer_proc child;
	int attempts = 0;

	put_one(store, "d1", T0, "1");
	put_one(store, "d2", T0, "2");
	put_one(store, "d3", T0, "3");
	cl_store_free(store);

	child = start_claimer(claim_two_deliveries);
	store = open_store();
	/* d1 and d2 are held by a live process. */
	ck_assert_str_eq(next_id(store, &attempts), "d3");
	ck_assert_int_eq(attempts, 1);
	ck_assert_str_eq(next_id(store, NULL), "");
	ck_assert_str_eq(raw_query("SELECT count(*) FROM deliveries"
		" WHERE claim_pid IS NOT NULL"), "3");

	kill_claimer(&child);
	/* At once, not a lease later: the clock has not moved. */
	ck_assert_str_eq(next_id(store, &attempts), "d1");
	ck_assert_int_eq(attempts, 2);
	ck_assert_str_eq(next_id(store, &attempts), "d2");
	ck_assert_int_eq(attempts, 2);
	ck_assert_str_eq(next_id(store, NULL), "");
	ck_assert_int_eq(pending(store), 3);
	cl_store_free(store);
}
END_TEST

/* In the child: take the two actions due. */
static int claim_actions(cl_store *store)
{
	cl_outbox_item *items = NULL;
	size_t n = 0;
	int ok;

	ok = cl_store_outbox_due(store, T0, 10, &items, &n) == 0 && n == 2 &&
		items[0].id == 1 && items[1].id == 2;
	cl_outbox_items_free(items, n);
	return ok ? 0 : -1;
}

START_TEST(test_crash_recovery_outbox)
{
	cl_store *store = open_store();
	claimer_proc child;
	int64_t p = -1, f = -1;

	queue_action(store, "support:1", "reopen", NULL, "k1", 0, NULL);
	queue_action(store, "support:2", "comment", "hello", "k2", 0, NULL);
	queue_action(store, "support:3", "comment", "later", "k3", T0 + 60,
		NULL);
	cl_store_free(store);

	child = start_claimer(claim_actions);
	store = open_store();
	ck_assert_str_eq(due_ids(store, T0, 10), "");
	ck_assert_str_eq(due_ids(store, T0 + 60, 10), "3");
	outbox_counts(store, &p, &f);
	ck_assert_int_eq(p, 3);
	ck_assert_int_eq(f, 0);

	kill_claimer(&child);
	ck_assert_str_eq(due_ids(store, T0, 10), "1,2");
	ck_assert_str_eq(due_ids(store, T0 + 60, 10), "");
	cl_store_free(store);
}
END_TEST

START_TEST(test_lease_expiry)
{
	cl_store *a = open_store();
	cl_store *b = open_store();
	int attempts = 0;

	put_one(a, "slow", T0, "1");
	queue_action(a, "support:1", "reopen", NULL, NULL, 0, NULL);
	ck_assert_str_eq(next_id(a, NULL), "slow");
	ck_assert_str_eq(due_ids(a, T0, 5), "1");

	/* Another handle of this process respects the claims... */
	ck_assert_str_eq(next_id(b, NULL), "");
	ck_assert_str_eq(due_ids(b, T0, 5), "");
	clock_now = T0 + CL_QUEUE_LEASE - 1;
	ck_assert_str_eq(next_id(b, NULL), "");
	ck_assert_str_eq(due_ids(b, clock_now, 5), "");
	/* ...until the lease has run out. */
	clock_now = T0 + CL_QUEUE_LEASE;
	ck_assert_str_eq(next_id(b, &attempts), "slow");
	ck_assert_int_eq(attempts, 2);
	ck_assert_str_eq(due_ids(b, clock_now, 5), "1");
	/* A new claim, a new lease. */
	ck_assert_str_eq(next_id(a, NULL), "");
	ck_assert_str_eq(due_ids(a, clock_now, 5), "");
	ck_assert_str_eq(raw_query("SELECT claim_until FROM deliveries"),
		"1700001200");

	/* The first claimer finishing late is fine: at least once. */
	ck_assert_int_eq(cl_store_delivery_done(a, "support", "slow"), 0);
	ck_assert_int_eq(cl_store_delivery_done(b, "support", "slow"), 0);
	ck_assert_int_eq(pending(b), 0);
	cl_store_free(a);
	cl_store_free(b);
}
END_TEST

/* A pid of a process that existed and is gone (killed and reaped). */
static pid_t dead_pid(void)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return pid;
}

/* The claim rules, on claims written by others (by hand here). */
START_TEST(test_claim_rules)
{
	cl_store *store = open_store();
	char sql[512];
	int attempts = 0;

	put_one(store, "init", T0, "1");
	put_one(store, "earlier-me", T0, "2");
	put_one(store, "dead", T0, "3");
	put_one(store, "no-pid", T0, "4");
	put_one(store, "lease-over", T0, "5");
	put_one(store, "mine", T0, "6");
	ck_assert_str_eq(next_id(store, NULL), "init");
	ck_assert_str_eq(next_id(store, NULL), "earlier-me");
	ck_assert_str_eq(next_id(store, NULL), "dead");
	ck_assert_str_eq(next_id(store, NULL), "no-pid");
	ck_assert_str_eq(next_id(store, NULL), "lease-over");
	ck_assert_str_eq(next_id(store, NULL), "mine");

	/* Pid 1 always exists; it is not us. */
	raw_exec("UPDATE deliveries SET claim_pid = 1"
		" WHERE delivery_id = 'init'");
	/* Our pid, but a token that is not ours: an earlier process. */
	snprintf(sql, sizeof(sql), "UPDATE deliveries SET claim_pid = %ld,"
		" claim_token = claim_token + 1 WHERE delivery_id = 'earlier-me'",
		(long)getpid());
	raw_exec(sql);
	snprintf(sql, sizeof(sql), "UPDATE deliveries SET claim_pid = %ld"
		" WHERE delivery_id = 'dead'", (long)dead_pid());
	raw_exec(sql);
	/* kill(0) and kill(-n) mean process groups: never a claimer. */
	raw_exec("UPDATE deliveries SET claim_pid = -5"
		" WHERE delivery_id = 'no-pid'");
	raw_exec("UPDATE deliveries SET claim_pid = 1, claim_until = 1700000000"
		" WHERE delivery_id = 'lease-over'");

	ck_assert_str_eq(next_id(store, &attempts), "earlier-me");
	ck_assert_int_eq(attempts, 2);
	ck_assert_str_eq(next_id(store, NULL), "dead");
	ck_assert_str_eq(next_id(store, NULL), "no-pid");
	ck_assert_str_eq(next_id(store, NULL), "lease-over");
	/* "init" is held by a live process, "mine" by us. */
	ck_assert_str_eq(next_id(store, NULL), "");
	ck_assert_int_eq(pending(store), 6);
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "earlier-me"),
		0);
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "dead"), 0);
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "no-pid"), 0);
	ck_assert_int_eq(cl_store_delivery_done(store, "support", "lease-over"),
		0);

	clock_now = T0 + CL_QUEUE_LEASE;
	ck_assert_str_eq(next_id(store, NULL), "init");
	ck_assert_str_eq(next_id(store, NULL), "mine");
	ck_assert_str_eq(next_id(store, NULL), "");
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The outbox                                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_outbox_due_order_and_fields)
{
	cl_store *store = open_store();
	cl_outbox_item *items = NULL;
	size_t n = 0;
	int dup = -1;

	queue_action(store, "support:1", "reopen", NULL, "reopen:1", 0, &dup);
	ck_assert_int_eq(dup, 0);
	queue_action(store, "support:2", "comment", "later", NULL, T0 + 100,
		&dup);
	queue_action(store, "support:3", "comment", "was due", NULL, T0 - 50,
		&dup);
	queue_action(store, "support:4", "set-reply", "https://x/1", "r:4", 0,
		&dup);
	ck_assert_int_eq(dup, 0);

	ck_assert_int_eq(cl_store_outbox_due(store, T0, 10, &items, &n), 0);
	ck_assert_uint_eq(n, 3);
	/* id order, not next_attempt order; 2 is not due. */
	ck_assert_int_eq(items[0].id, 1);
	ck_assert_int_eq(items[1].id, 3);
	ck_assert_int_eq(items[2].id, 4);
	ck_assert_str_eq(items[0].tracker, "support");
	ck_assert_str_eq(items[0].ticket, "support:1");
	ck_assert_str_eq(items[0].action, "reopen");
	ck_assert_ptr_null(items[0].body);
	ck_assert_str_eq(items[0].dedupe_key, "reopen:1");
	ck_assert_int_eq(items[0].attempts, 0);
	ck_assert_int_eq(items[0].next_attempt, T0); /* 0 was now */
	ck_assert_ptr_null(items[0].last_error);
	ck_assert_str_eq(items[1].body, "was due");
	ck_assert_ptr_null(items[1].dedupe_key);
	ck_assert_int_eq(items[1].next_attempt, T0 - 50);
	ck_assert_str_eq(items[2].action, "set-reply");
	cl_outbox_items_free(items, n);

	/* Claimed: not handed out again; 2 once due. */
	ck_assert_str_eq(due_ids(store, T0, 10), "");
	ck_assert_str_eq(due_ids(store, T0 + 99, 10), "");
	ck_assert_str_eq(due_ids(store, T0 + 100, 10), "2");

	/* max: the oldest first. */
	queue_action(store, "support:5", "comment", "a", NULL, 0, NULL);
	queue_action(store, "support:6", "comment", "b", NULL, 0, NULL);
	queue_action(store, "support:7", "comment", "c", NULL, 0, NULL);
	ck_assert_str_eq(due_ids(store, T0, 2), "5,6");
	ck_assert_str_eq(due_ids(store, T0, 2), "7");
	ck_assert_str_eq(due_ids(store, T0, 2), "");
	cl_store_free(store);
}
END_TEST

START_TEST(test_outbox_retry_failed_done)
{
	cl_store *store = open_store();
	cl_outbox_item *items = NULL;
	size_t n = 0;
	int64_t p = -1, f = -1;

	queue_action(store, "support:1", "comment", "hi", NULL, 0, NULL);
	queue_action(store, "support:2", "reopen", NULL, NULL, 0, NULL);
	queue_action(store, "support:3", "comment", "x", NULL, 0, NULL);
	ck_assert_str_eq(due_ids(store, T0, 10), "1,2,3");

	ck_assert_int_eq(cl_store_outbox_retry(store, 1, T0 + 60,
		"HTTP 503 from the tracker"), 0);
	ck_assert_str_eq(due_ids(store, T0 + 59, 10), "");
	ck_assert_int_eq(cl_store_outbox_due(store, T0 + 60, 10, &items, &n),
		0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(items[0].id, 1);
	ck_assert_int_eq(items[0].attempts, 1);
	ck_assert_int_eq(items[0].next_attempt, T0 + 60);
	ck_assert_str_eq(items[0].last_error, "HTTP 503 from the tracker");
	cl_outbox_items_free(items, n);
	/* Again, with no error text this time. */
	ck_assert_int_eq(cl_store_outbox_retry(store, 1, T0 + 120, NULL), 0);
	ck_assert_str_eq(raw_query("SELECT attempts || ' ' ||"
		" ifnull(last_error, '-') FROM outbox WHERE id = 1"), "2 -");

	ck_assert_int_eq(cl_store_outbox_failed(store, 2, "ticket deleted"), 0);
	ck_assert_str_eq(raw_query("SELECT state || ' ' || attempts || ' ' ||"
		" last_error FROM outbox WHERE id = 2"), "failed 1 ticket deleted");
	clock_now = T0 + 7;
	ck_assert_int_eq(cl_store_outbox_done(store, 3), 0);
	ck_assert_str_eq(raw_query("SELECT state || ' ' || finished ||"
		" ' ' || (claim_pid IS NULL) FROM outbox WHERE id = 3"),
		"done 1700000007 1");
	outbox_counts(store, &p, &f);
	ck_assert_int_eq(p, 1);
	ck_assert_int_eq(f, 1);
	/* Either count alone. */
	p = -1;
	ck_assert_int_eq(cl_store_outbox_count(store, &p, NULL), 0);
	ck_assert_int_eq(p, 1);
	f = -1;
	ck_assert_int_eq(cl_store_outbox_count(store, NULL, &f), 0);
	ck_assert_int_eq(f, 1);

	/* Finished stays finished; an unknown id is not found. */
	ck_assert_int_eq(cl_store_outbox_retry(store, 3, T0, "late"), 0);
	ck_assert_int_eq(cl_store_outbox_done(store, 2), 0);
	ck_assert_str_eq(raw_query("SELECT group_concat(state, ',') FROM"
		" (SELECT state FROM outbox ORDER BY id)"), "pending,failed,done");
	ck_assert_str_eq(due_ids(store, T0 + 1000, 10), "1");
	ck_assert_int_eq(cl_store_outbox_done(store, 99), CL_ENOTFOUND);
	assert_message_has("no outbox action 99 in ledger ");
	assert_message_has(db_path);
	ck_assert_int_eq(cl_store_outbox_retry(store, 99, T0, "x"),
		CL_ENOTFOUND);
	ck_assert_int_eq(cl_store_outbox_failed(store, 99, "x"), CL_ENOTFOUND);
	cl_store_free(store);
}
END_TEST

START_TEST(test_outbox_dedupe)
{
	cl_store *store = open_store();
	int64_t p = -1, f = -1;
	int dup = -1;

	queue_action(store, "support:1", "reopen", NULL, "reopen:support:1:5",
		0, &dup);
	ck_assert_int_eq(dup, 0);
	queue_action(store, "support:1", "reopen", NULL, "reopen:support:1:5",
		0, &dup);
	ck_assert_int_eq(dup, 1);
	/* No key: never a duplicate. */
	queue_action(store, "support:1", "comment", "x", NULL, 0, &dup);
	ck_assert_int_eq(dup, 0);
	queue_action(store, "support:1", "comment", "x", NULL, 0, &dup);
	ck_assert_int_eq(dup, 0);
	outbox_counts(store, &p, &f);
	ck_assert_int_eq(p, 3);

	/* Once done, the key still stops it: queued once, ever. */
	ck_assert_str_eq(due_ids(store, T0, 10), "1,2,3");
	ck_assert_int_eq(cl_store_outbox_done(store, 1), 0);
	queue_action(store, "support:1", "reopen", NULL, "reopen:support:1:5",
		0, &dup);
	ck_assert_int_eq(dup, 1);
	/* dup may be NULL. */
	queue_action(store, "support:1", "reopen", NULL, "reopen:support:1:5",
		0, NULL);
	outbox_counts(store, &p, &f);
	ck_assert_int_eq(p, 2);
	ck_assert_int_eq(f, 0);
	ck_assert_str_eq(raw_query("SELECT count(*) FROM outbox"), "3");
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cursors                                                             */
/* ------------------------------------------------------------------ */

START_TEST(test_cursors)
{
	cl_store *store = open_store();
	char *value = (char *)&value;

	ck_assert_int_eq(cl_store_cursor_get(store, "sync:support", &value), 0);
	ck_assert_ptr_null(value);

	ck_assert_int_eq(cl_store_cursor_set(store, "sync:support",
		"1700000000"), 0);
	ck_assert_int_eq(cl_store_cursor_set(store, "sync:gitea", "abc"), 0);
	ck_assert_int_eq(cl_store_cursor_get(store, "sync:support", &value), 0);
	ck_assert_str_eq(value, "1700000000");
	cl_free(value);

	clock_now = T0 + 60;
	ck_assert_int_eq(cl_store_cursor_set(store, "sync:support",
		"1700000060"), 0);
	ck_assert_int_eq(cl_store_cursor_get(store, "sync:support", &value), 0);
	ck_assert_str_eq(value, "1700000060");
	cl_free(value);
	ck_assert_int_eq(cl_store_cursor_get(store, "sync:gitea", &value), 0);
	ck_assert_str_eq(value, "abc");
	cl_free(value);
	ck_assert_str_eq(raw_query("SELECT updated FROM cursors"
		" WHERE name = 'sync:support'"), "1700000060");
	ck_assert_str_eq(raw_query("SELECT count(*) FROM cursors"), "2");

	/* An empty value is a value. */
	ck_assert_int_eq(cl_store_cursor_set(store, "sync:gitea", ""), 0);
	ck_assert_int_eq(cl_store_cursor_get(store, "sync:gitea", &value), 0);
	ck_assert_str_eq(value, "");
	cl_free(value);
	cl_store_free(store);

	/* Kept across opening. */
	store = open_store();
	ck_assert_int_eq(cl_store_cursor_get(store, "sync:support", &value), 0);
	ck_assert_str_eq(value, "1700000060");
	cl_free(value);
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Migration from schema version 1                                     */
/* ------------------------------------------------------------------ */

/* Version 1 as released (plugin/stores/sqlite.c, schema_v1), with data. */
static const char v1_database[] =
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
	"CREATE TABLE reminders ("
	" ticket TEXT NOT NULL,"
	" rule TEXT NOT NULL,"
	" last_sent INTEGER NOT NULL,"
	" count INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (ticket, rule));"
	"CREATE TABLE cursors ("
	" name TEXT NOT NULL PRIMARY KEY,"
	" value TEXT);"
	"PRAGMA user_version = 1;"

	"INSERT INTO events (time, type, ticket, actor) VALUES"
	" (100, 'push.rejected', 'support:1', 'alice'),"
	" (200, 'override', 'support:1', 'bob'),"
	" (300, 'work.done', 'support:2', NULL);"
	/* Stored in this order, two with the same received time. */
	"INSERT INTO deliveries (tracker, delivery_id, received, event, body,"
	" state, attempts) VALUES"
	" ('support', 'zz', 50, 'issues', x'7b7d', 'pending', 0),"
	" ('support', 'old', 10, 'issues', x'00', 'done', 1),"
	" ('support', 'aa', 50, 'push', x'5b5d', 'pending', 2);"
	"INSERT INTO outbox (created, tracker, ticket, action, body, state,"
	" attempts, next_attempt, last_error, dedupe_key) VALUES"
	" (10, 'support', 'support:1', 'reopen', NULL, 'pending', 1, 20,"
	"  'HTTP 502', 'reopen:1'),"
	" (11, 'support', 'support:2', 'comment', 'hi', 'failed', 5, 0,"
	"  'gone', NULL);"
	"INSERT INTO cursors VALUES ('sync:support', '1699999999');";

static int count_event(const cl_event *event, void *payload)
{
	char *seen = payload;
	size_t len = strlen(seen);

	snprintf(seen + len, 256 - len, "%s%lld:%s:%s", len ? "," : "",
		(long long)event->id, event->type,
		event->actor ? event->actor : "-");
	return 0;
}

START_TEST(test_migrate_v1)
{
	cl_store *store;
	cl_delivery *d = NULL;
	cl_outbox_item *items = NULL;
	size_t n = 0;
	char seen[256] = "";
	char *value = NULL;
	int version = 0, dup = -1, attempts = 0;
	int64_t p = -1, f = -1;

	raw_exec(v1_database);
	ck_assert_str_eq(raw_query("PRAGMA user_version"), "1");

	store = open_store();
	ck_assert_int_eq(cl_store_schema_version(store, &version), 0);
	ck_assert_int_eq(version, CL_STORE_SCHEMA_VERSION);
	ck_assert_int_eq(version, 3);
	ck_assert_str_eq(raw_query("PRAGMA user_version"), "3");

	/* The ledger is whole, and still append-only. */
	ck_assert_int_eq(cl_store_foreach(store, NULL, count_event, seen), 0);
	ck_assert_str_eq(seen,
		"1:push.rejected:alice,2:override:bob,3:work.done:-");
	ck_assert_str_eq(raw_query("SELECT count(*) FROM sqlite_master"
		" WHERE type = 'trigger'"), "2");

	/* Deliveries: states, attempts and the order stored are kept. */
	ck_assert_int_eq(pending(store), 2);
	ck_assert_int_eq(cl_store_delivery_next(store, &d), 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->id, "zz");
	ck_assert_str_eq(d->body, "{}");
	/* stored with its payload: the worker parses that */
	ck_assert_ptr_null(d->tevent);
	ck_assert_int_eq(d->received, 50);
	ck_assert_int_eq(d->attempts, 1);
	cl_delivery_free(d);
	ck_assert_str_eq(next_id(store, &attempts), "aa");
	ck_assert_int_eq(attempts, 3);
	ck_assert_str_eq(next_id(store, NULL), "");
	/* The primary key became a UNIQUE constraint: still deduplicated. */
	ck_assert_int_eq(put_one(store, "old", 0, "again"), 1);
	ck_assert_int_eq(put_one(store, "new", 0, "new"), 0);

	/* The outbox: due as before, its key still unique. */
	outbox_counts(store, &p, &f);
	ck_assert_int_eq(p, 1);
	ck_assert_int_eq(f, 1);
	ck_assert_int_eq(cl_store_outbox_due(store, T0, 10, &items, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(items[0].id, 1);
	ck_assert_int_eq(items[0].attempts, 1);
	ck_assert_str_eq(items[0].last_error, "HTTP 502");
	cl_outbox_items_free(items, n);
	queue_action(store, "support:1", "reopen", NULL, "reopen:1", 0, &dup);
	ck_assert_int_eq(dup, 1);

	ck_assert_int_eq(cl_store_cursor_get(store, "sync:support", &value), 0);
	ck_assert_str_eq(value, "1699999999");
	cl_free(value);
	cl_store_free(store);

	/* Opening again migrates nothing more. */
	store = open_store();
	ck_assert_int_eq(pending(store), 3);
	cl_store_free(store);
	ck_assert_str_eq(raw_query("PRAGMA user_version"), "3");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads, each with its own handle on one file                       */
/* ------------------------------------------------------------------ */

#define THREADS 2
#define BATCHES 25
#define BATCH 8

typedef struct {
	int index;
	int error;           /* first failure: its code... */
	char message[256];   /* ...and message (cl_error is per thread) */
	int dups;
	int claimed;
	char ids[BATCHES * BATCH * THREADS][24]; /* claimed, in order */
} worker;

static void worker_fail(worker *w, int code)
{
	if (w->error == 0) {
		w->error = code;
		snprintf(w->message, sizeof(w->message), "%s", last_message());
	}
}

/* Each thread stores its own deliveries, and one in every batch that the
 * other thread stores too. */
static void *put_worker(void *payload)
{
	worker *w = payload;
	cl_store *store = NULL;
	int error = cl_store_open(&store, db_path);
	int b, i;

	if (error < 0) {
		worker_fail(w, error);
		return NULL;
	}
	for (b = 0; b < BATCHES && w->error == 0; b++) {
		char ids[BATCH][32];
		cl_delivery d[BATCH];
		int dup[BATCH];

		for (i = 0; i < BATCH; i++) {
			if (i == 0)
				snprintf(ids[i], sizeof(ids[i]), "shared-%d", b);
			else
				snprintf(ids[i], sizeof(ids[i]), "t%d-%d-%d",
					w->index, b, i);
			d[i] = delivery("support", ids[i], 0, ids[i]);
		}
		error = cl_store_delivery_put(store, d, BATCH, dup);
		if (error < 0)
			worker_fail(w, error);
		for (i = 0; i < BATCH && error == 0; i++)
			w->dups += dup[i];
	}
	cl_store_free(store);
	return NULL;
}

/* Each thread takes and finishes deliveries until none is left. */
static void *next_worker(void *payload)
{
	worker *w = payload;
	cl_store *store = NULL;
	int error = cl_store_open(&store, db_path);

	if (error < 0) {
		worker_fail(w, error);
		return NULL;
	}
	while (w->error == 0) {
		cl_delivery *d = NULL;

		error = cl_store_delivery_next(store, &d);
		if (error < 0) {
			worker_fail(w, error);
			break;
		}
		if (d == NULL)
			break;
		snprintf(w->ids[w->claimed++], sizeof(w->ids[0]), "%s", d->id);
		error = cl_store_delivery_done(store, d->tracker, d->id);
		if (error < 0)
			worker_fail(w, error);
		cl_delivery_free(d);
	}
	cl_store_free(store);
	return NULL;
}

static void run_workers(worker *w, void *(*fn)(void *))
{
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		w[i].index = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, fn, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < THREADS; i++)
		ck_assert_msg(w[i].error == 0, "thread %d: %d %s", i,
			w[i].error, w[i].message);
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_threads)
{
	static worker w[THREADS];
	static char all[BATCHES * BATCH * THREADS][24];
	const int64_t stored = (int64_t)BATCHES * (BATCH - 1) * THREADS +
		BATCHES;
	cl_store *store = open_store();
	size_t n = 0, i;
	int t, c;

	/* The schema exists before the threads race to open. */
	cl_store_free(store);

	memset(w, 0, sizeof(w));
	run_workers(w, put_worker);
	/* Every shared id stored once: the other put saw a duplicate. */
	ck_assert_int_eq(w[0].dups + w[1].dups, BATCHES);
	store = open_store();
	ck_assert_int_eq(pending(store), stored);
	cl_store_free(store);

	memset(w, 0, sizeof(w));
	run_workers(w, next_worker);
	/* Each delivery handed out exactly once between the two. */
	for (t = 0; t < THREADS; t++)
		for (c = 0; c < w[t].claimed; c++)
			memcpy(all[n++], w[t].ids[c], sizeof(all[0]));
	ck_assert_int_eq((int64_t)n, stored);
	qsort(all, n, sizeof(all[0]), compare_ids);
	for (i = 1; i < n; i++)
		ck_assert_msg(strcmp(all[i - 1], all[i]) != 0,
			"%s handed out twice", all[i]);
	store = open_store();
	ck_assert_int_eq(pending(store), 0);
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bodies                                                              */
/* ------------------------------------------------------------------ */

START_TEST(test_big_body)
{
	const size_t len = 1024 * 1024;
	unsigned char *body = malloc(len);
	cl_store *store = open_store();
	cl_delivery in = delivery("github", "big", 0, NULL);
	cl_delivery *out = NULL;
	size_t i, zeros = 0;
	int dup = -1;

	ck_assert_ptr_nonnull(body);
	/* Every byte value, NUL included, none in a simple cycle. */
	for (i = 0; i < len; i++) {
		body[i] = (unsigned char)((i * 7919u) ^ (i >> 9));
		zeros += body[i] == 0;
	}
	ck_assert_uint_gt(zeros, 100);
	in.body = (const char *)body;
	in.body_len = len;
	ck_assert_int_eq(cl_store_delivery_put(store, &in, 1, &dup), 0);
	ck_assert_int_eq(dup, 0);
	ck_assert_str_eq(raw_query("SELECT typeof(body) || ' ' || length(body)"
		" FROM deliveries"), "blob 1048576");
	cl_store_free(store);

	store = open_store();
	ck_assert_int_eq(cl_store_delivery_next(store, &out), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out->body_len, len);
	ck_assert(memcmp(out->body, body, len) == 0);
	ck_assert_int_eq(out->body[len], '\0');
	cl_delivery_free(out);
	cl_store_free(store);
	free(body);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

START_TEST(test_bad_arguments)
{
	cl_store *store = open_store();
	cl_delivery d = delivery("support", "x", 0, "{}");
	cl_delivery *got = (cl_delivery *)&got;
	cl_outbox_item a = { 0, "support", "support:1", "reopen", NULL, NULL,
		0, 0, NULL };
	cl_outbox_item *items = (cl_outbox_item *)&items;
	char *long_text = malloc(CL_EVENT_MAX_FIELD + 2);
	char *value = (char *)&value;
	size_t n = 5;
	int64_t count;
	int dup[2] = { 7, 7 };

	ck_assert_ptr_nonnull(long_text);
	memset(long_text, 'x', CL_EVENT_MAX_FIELD + 1);
	long_text[CL_EVENT_MAX_FIELD + 1] = '\0';

	assert_fails(cl_store_delivery_put(NULL, &d, 1, dup), CL_EINVALID,
		"no store given");
	assert_fails(cl_store_delivery_put(store, NULL, 2, dup), CL_EINVALID,
		"no deliveries given (d is NULL, n is 2)");
	d.tracker = NULL;
	assert_fails(cl_store_delivery_put(store, &d, 1, dup), CL_EINVALID,
		"delivery d[0] has no tracker");
	d.tracker = "support";
	d.id = long_text;
	assert_fails(cl_store_delivery_put(store, &d, 1, dup), CL_EINVALID,
		"delivery d[0] id is longer than 1024 bytes");
	d.id = "x";
	d.received = -1;
	assert_fails(cl_store_delivery_put(store, &d, 1, dup), CL_EINVALID,
		"delivery d[0] received -1 is before 1970");
	d.received = 0;
	d.body = NULL;
	assert_fails(cl_store_delivery_put(store, &d, 1, dup), CL_EINVALID,
		"delivery d[0] has no body but body_len 2");
	d.body = "{}";
	d.body_len = CL_DELIVERY_MAX_BODY + 1;
	assert_fails(cl_store_delivery_put(store, &d, 1, dup), CL_EINVALID,
		"delivery d[0] body is longer than 26214400 bytes");
	d.body_len = 2;
	ck_assert_int_eq(dup[0], 0);
	ck_assert_int_eq(pending(store), 0);

	assert_fails(cl_store_delivery_next(store, NULL), CL_EINVALID,
		"no place for the delivery (out is NULL)");
	assert_fails(cl_store_delivery_next(NULL, &got), CL_EINVALID,
		"no store given");
	ck_assert_ptr_null(got);
	assert_fails(cl_store_delivery_done(store, NULL, "x"), CL_EINVALID,
		"delivery has no tracker");
	assert_fails(cl_store_delivery_done(store, "support", ""), CL_EINVALID,
		"delivery has no id");
	assert_fails(cl_store_delivery_failed(store, "support", "x", NULL),
		CL_EINVALID, "failed delivery has no reason");
	assert_fails(cl_store_delivery_pending(store, NULL), CL_EINVALID,
		"no place for the count (out is NULL)");
	assert_fails(cl_store_delivery_pending(NULL, &count), CL_EINVALID,
		"no store given");

	assert_fails(cl_store_outbox_put(store, NULL, NULL), CL_EINVALID,
		"no outbox action given (a is NULL)");
	a.ticket = "";
	assert_fails(cl_store_outbox_put(store, &a, NULL), CL_EINVALID,
		"outbox action has no ticket");
	a.ticket = "support:1";
	a.action = NULL;
	assert_fails(cl_store_outbox_put(store, &a, NULL), CL_EINVALID,
		"outbox action has no action");
	a.action = "reopen";
	a.dedupe_key = "";
	assert_fails(cl_store_outbox_put(store, &a, NULL), CL_EINVALID,
		"outbox action dedupe_key is empty (NULL for none)");
	a.dedupe_key = long_text;
	assert_fails(cl_store_outbox_put(store, &a, NULL), CL_EINVALID,
		"outbox action dedupe_key is longer than 1024 bytes");
	a.dedupe_key = NULL;
	a.next_attempt = -5;
	assert_fails(cl_store_outbox_put(store, &a, NULL), CL_EINVALID,
		"outbox action next_attempt -5 is before 1970");
	assert_fails(cl_store_outbox_due(store, T0, 5, NULL, &n), CL_EINVALID,
		"no place for the actions (out or n is NULL)");
	ck_assert_uint_eq(n, 0);
	assert_fails(cl_store_outbox_due(store, -1, 5, &items, &n),
		CL_EINVALID, "outbox due time -1 is before 1970");
	ck_assert_ptr_null(items);
	assert_fails(cl_store_outbox_done(store, 0), CL_EINVALID,
		"outbox action id 0 is not one the store hands out");
	assert_fails(cl_store_outbox_retry(store, 1, -1, "x"), CL_EINVALID,
		"outbox retry next_attempt -1 is before 1970");
	assert_fails(cl_store_outbox_failed(store, 1, ""), CL_EINVALID,
		"failed outbox action has no error");
	assert_fails(cl_store_outbox_count(NULL, &count, &count), CL_EINVALID,
		"no store given");
	outbox_counts(store, &count, NULL);
	ck_assert_int_eq(count, 0);

	assert_fails(cl_store_cursor_get(store, NULL, &value), CL_EINVALID,
		"cursor has no name");
	ck_assert_ptr_null(value);
	assert_fails(cl_store_cursor_get(store, "sync", NULL), CL_EINVALID,
		"no place for the cursor value (value is NULL)");
	assert_fails(cl_store_cursor_set(store, "sync", NULL), CL_EINVALID,
		"cursor sync has no value (value is NULL)");
	assert_fails(cl_store_cursor_set(store, long_text, "1"), CL_EINVALID,
		"cursor name is longer than 1024 bytes");

	cl_delivery_free(NULL);
	cl_outbox_items_free(NULL, 3);
	free(long_text);
	cl_store_free(store);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *deliveries = tcase_create("deliveries");
	TCase *claims = tcase_create("claims");
	TCase *outbox = tcase_create("outbox");
	TCase *other = tcase_create("other");
	TCase *all[] = { deliveries, claims, outbox, other };
	size_t i;

	tcase_add_test(deliveries, test_put_batch_dups);
	tcase_add_test(deliveries, test_put_batch_atomic);
	tcase_add_test(deliveries, test_next_order_and_fields);
	tcase_add_test(deliveries, test_tevent_kept);
	tcase_add_test(deliveries, test_done_failed);
	tcase_add_test(deliveries, test_big_body);

	tcase_add_test(claims, test_crash_recovery_deliveries);
	tcase_add_test(claims, test_crash_recovery_outbox);
	tcase_add_test(claims, test_lease_expiry);
	tcase_add_test(claims, test_claim_rules);
	tcase_add_test(claims, test_threads);

	tcase_add_test(outbox, test_outbox_due_order_and_fields);
	tcase_add_test(outbox, test_outbox_retry_failed_done);
	tcase_add_test(outbox, test_outbox_dedupe);

	tcase_add_test(other, test_cursors);
	tcase_add_test(other, test_migrate_v1);
	tcase_add_test(other, test_bad_arguments);

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		/* Threads and a fork under valgrind are slow, not stuck. */
		tcase_set_timeout(all[i], 120);
		suite_add_tcase(s, all[i]);
	}
	return s;
}

CL_TEST_MAIN(queue_suite)
