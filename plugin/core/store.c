/*
 * store.c: the store handle. It checks a backend once, when it is wrapped,
 * validates what callers append or queue, and from then on calls the
 * backend only through its struct of function pointers
 * (closeloop/sys/store.h), so every backend gets the same checks, the same
 * filter meaning and the same clock.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <closeloop/sys/store.h>

/*
 * One handle may be shared by threads (the receiver's committer, worker
 * and API): each call runs under the handle's lock. SQLite lets one writer
 * in at a time, and a second connection that finds the lock taken polls
 * for it with sleeps of up to 100 ms (its busy timeout), where a mutex
 * hands over at once. Recursive: a foreach callback may call the store.
 */
struct cl_store {
	cl_store_backend *backend; /* owned */
	pthread_mutex_t lock;
	int deferred;              /* the backend's sync mode now */
};

/* What the calling thread asked for (cl_store_defer_sync). */
static _Thread_local int defer_sync;

void cl_store_defer_sync(int on)
{
	defer_sync = on != 0;
}

/*
 * The handle is shared, the choice is the thread's: each call first puts
 * the backend in the calling thread's mode. A failure to go back to
 * durable commits fails the call rather than let it commit undurably.
 */
static int sync_mode(cl_store *store)
{
	int error;

	if (store->deferred == defer_sync || store->backend->set_sync == NULL)
		return 0;
	if ((error = store->backend->set_sync(store->backend, defer_sync)) < 0)
		return error;
	store->deferred = defer_sync;
	return 0;
}

#define STORE_CALL(store, call) do { \
		int r__; \
		pthread_mutex_lock(&(store)->lock); \
		r__ = sync_mode(store); \
		if (r__ == 0) \
			r__ = (call); \
		pthread_mutex_unlock(&(store)->lock); \
		return r__; \
	} while (0)

/* ------------------------------------------------------------------ */
/* Backends                                                            */
/* ------------------------------------------------------------------ */

int cl_store_backend_init(cl_store_backend *backend, unsigned int version)
{
	const cl_store_backend template = CL_STORE_BACKEND_INIT;

	if (backend == NULL)
		return cl__error(CL_EINVALID, "no store backend to initialise");
	if (version != CL_STORE_BACKEND_VERSION)
		return cl__error(CL_EVERSION,
			"store backend version %u is not supported "
			"by this closeloop (%d)", version, CL_STORE_BACKEND_VERSION);
	*backend = template;
	return 0;
}

/*
 * The name of the first required slot that is empty, or NULL when all are
 * there. Every ledger slot is required: the ledger has no useful fallback
 * for any. The queue slots (version 2) are not: a backend without them
 * still serves the hooks and the CLI, and each queue call says what is
 * missing (unsupported() below).
 */
static const char *missing_slot(const cl_store_backend *backend)
{
	if (backend->name == NULL)
		return "name";
	if (backend->migrate == NULL)
		return "migrate";
	if (backend->append_event == NULL)
		return "append_event";
	if (backend->foreach_event == NULL)
		return "foreach_event";
	if (backend->schema_version == NULL)
		return "schema_version";
	if (backend->free == NULL)
		return "free";
	return NULL;
}

static void backend_free(cl_store_backend *backend)
{
	if (backend != NULL && backend->free != NULL)
		backend->free(backend);
}

int cl_store_new(cl_store **out, cl_store_backend *backend)
{
	cl_store *store;
	const char *slot;
	int version = 0;
	int error;

	if (out != NULL)
		*out = NULL;
	if (backend == NULL)
		return cl__error(CL_EINVALID, "no store backend given");
	/*
	 * A backend of another version has another layout, so not even its
	 * free slot can be found: it is left to the caller. Every other
	 * failure below releases it, as the header promises.
	 */
	if (backend->version != CL_STORE_BACKEND_VERSION)
		return cl__error(CL_EVERSION,
			"store backend version %u is not supported "
			"by this closeloop (%d)", backend->version,
			CL_STORE_BACKEND_VERSION);
	if (out == NULL) {
		backend_free(backend);
		return cl__error(CL_EINVALID, "no place to put the store");
	}
	slot = missing_slot(backend);
	if (slot != NULL) {
		error = cl__error(CL_EINVALID, "store backend '%s' has no %s",
			backend->name ? backend->name : "(unnamed)", slot);
		backend_free(backend);
		return error;
	}

	error = backend->migrate(backend, &version);
	if (error < 0) {
		backend_free(backend);
		return error;
	}
	/* The core relies on the tables of exactly this schema version. */
	if (version != CL_STORE_SCHEMA_VERSION) {
		error = cl__error(CL_EVERSION,
			"store backend '%s' migrated to schema version %d, "
			"this closeloop needs %d", backend->name, version,
			CL_STORE_SCHEMA_VERSION);
		backend_free(backend);
		return error;
	}

	store = cl__malloc(sizeof(*store));
	if (store == NULL) {
		backend_free(backend);
		return CL_ENOMEM;
	}
	store->backend = backend;
	store->deferred = 0;
	{
		pthread_mutexattr_t attr;

		pthread_mutexattr_init(&attr);
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&store->lock, &attr);
		pthread_mutexattr_destroy(&attr);
	}
	*out = store;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Opening by location                                                 */
/* ------------------------------------------------------------------ */

static int has_prefix(const char *s, const char *prefix)
{
	return cl__strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Length of a URI scheme ("mysql" in "mysql://...") at the start of
 * location, or 0 when it does not start with "SCHEME://". A plain path
 * never looks like that, so such a location is a store type we lack.
 */
static size_t uri_scheme_length(const char *location)
{
	size_t i = 0;

	while ((location[i] >= 'a' && location[i] <= 'z') ||
	       (location[i] >= 'A' && location[i] <= 'Z') ||
	       (i > 0 && location[i] >= '0' && location[i] <= '9') ||
	       (i > 0 && (location[i] == '+' || location[i] == '-' ||
			  location[i] == '.')))
		i++;
	if (i > 0 && strncmp(location + i, "://", 3) == 0)
		return i;
	return 0;
}

int cl_store_open(cl_store **out, const char *location)
{
	cl_store_backend *backend = NULL;
	const char *path = location;
	int error;

	if (out == NULL)
		return cl__error(CL_EINVALID, "no place to put the store");
	*out = NULL;
	if (location == NULL || location[0] == '\0')
		return cl__error(CL_EINVALID, "no store location given");

	/* A URI location is never quoted in messages: a PostgreSQL URI
	 * may carry a password. */
	if (has_prefix(location, "postgresql://") ||
	    has_prefix(location, "postgres://"))
		return cl__error(CL_ESTORE,
			"PostgreSQL store not available in this build yet");
	/* Before the scheme test: "sqlite:///var/lib/ledger.db" is the path
	 * "///var/lib/ledger.db", which is /var/lib/ledger.db. */
	if (has_prefix(location, "sqlite:")) {
		path = location + strlen("sqlite:");
	} else {
		size_t scheme = uri_scheme_length(location);

		if (scheme > 0)
			return cl__error(CL_EINVALID, "unknown store type '%.*s'",
				(int)scheme, location);
	}
	if (path[0] == '\0')
		return cl__error(CL_EINVALID, "no path in store location '%s'",
			location);

	error = cl_store_backend_sqlite(&backend, path);
	if (error < 0)
		return error;
	return cl_store_new(out, backend);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* Is s (when set) longer than max bytes? Looks at max + 1 bytes at most. */
static int too_long(const char *s, size_t max)
{
	return s != NULL && memchr(s, '\0', max + 1) == NULL;
}

static int check_field(const char *name, const char *value, size_t max)
{
	if (too_long(value, max))
		return cl__error(CL_EINVALID,
			"event %s is longer than %zu bytes", name, max);
	return 0;
}

static int check_event(const cl_event *event)
{
	if (event->type == NULL || event->type[0] == '\0')
		return cl__error(CL_EINVALID, "event has no type");
	if (event->time < 0)
		return cl__error(CL_EINVALID, "event time %lld is before 1970",
			(long long)event->time);
	if (check_field("type", event->type, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("ticket", event->ticket, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("actor", event->actor, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("commit", event->commit, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("detail", event->detail, CL_EVENT_MAX_DETAIL) < 0)
		return CL_EINVALID;
	return 0;
}

int cl_store_append(cl_store *store, cl_event *event)
{
	int error;

	if (store == NULL || event == NULL)
		return cl__error(CL_EINVALID, "no store or no event to append");
	error = check_event(event);
	if (error < 0)
		return error;
	/* Read here, not in the backend, so that every backend follows the
	 * clock tests set with cl_clock_set(). */
	STORE_CALL(store, store->backend->append_event(store->backend, event,
		cl_clock_now()));
}

/*
 * An empty type or ticket in a filter means "any", as an option left
 * empty on the command line would; backends then only see NULL for that.
 */
static const char *unless_empty(const char *s)
{
	return (s != NULL && s[0] != '\0') ? s : NULL;
}

int cl_store_foreach(cl_store *store, const cl_event_filter *filter,
	cl_event_cb cb, void *payload)
{
	cl_event_filter f = CL_EVENT_FILTER_INIT;

	if (store == NULL || cb == NULL)
		return cl__error(CL_EINVALID, "no store or no callback");
	if (filter != NULL) {
		f = *filter;
		f.type = unless_empty(f.type);
		f.ticket = unless_empty(f.ticket);
	}
	STORE_CALL(store, store->backend->foreach_event(store->backend, &f, cb, payload));
}

int cl_store_schema_version(cl_store *store, int *out)
{
	if (store == NULL || out == NULL)
		return cl__error(CL_EINVALID, "no store or no place for the version");
	STORE_CALL(store, store->backend->schema_version(store->backend, out));
}

const char *cl_store_backend_name(const cl_store *store)
{
	return store != NULL ? store->backend->name : NULL;
}

void cl_store_free(cl_store *store)
{
	if (store == NULL)
		return;
	backend_free(store->backend);
	pthread_mutex_destroy(&store->lock);
	free(store);
}

/* ------------------------------------------------------------------ */
/* Queues: argument checks                                             */
/* ------------------------------------------------------------------ */

/*
 * A text argument of something ("delivery d[2]", "outbox action"): when
 * required it must be set and not empty; it must not be longer than max.
 * The message names the thing and the field, so that a caller with a
 * batch knows which one.
 */
static int check_text(const char *owner, const char *field,
	const char *value, size_t max, int required)
{
	if (required && (value == NULL || value[0] == '\0'))
		return cl__error(CL_EINVALID, "%s has no %s", owner, field);
	if (too_long(value, max))
		return cl__error(CL_EINVALID, "%s %s is longer than %zu bytes",
			owner, field, max);
	return 0;
}

static int check_time(const char *owner, const char *field, int64_t t)
{
	if (t < 0)
		return cl__error(CL_EINVALID, "%s %s %lld is before 1970", owner,
			field, (long long)t);
	return 0;
}

static int check_store(const cl_store *store)
{
	if (store == NULL)
		return cl__error(CL_EINVALID, "no store given");
	return 0;
}

/* A version 2 backend may leave the queue slots empty (sys/store.h). */
static int unsupported(const cl_store *store, const char *slot)
{
	return cl__error(CL_ESTORE, "store backend '%s' keeps no queues "
		"(it has no %s)", store->backend->name, slot);
}

static int check_delivery(const cl_delivery *d, size_t i)
{
	char owner[48];
	int error;

	snprintf(owner, sizeof(owner), "delivery d[%zu]", i);
	error = check_text(owner, "tracker", d->tracker, CL_EVENT_MAX_FIELD, 1);
	if (error == 0)
		error = check_text(owner, "id", d->id, CL_EVENT_MAX_FIELD, 1);
	if (error == 0)
		error = check_text(owner, "event", d->event, CL_EVENT_MAX_FIELD,
			0);
	if (error == 0)
		error = check_time(owner, "received", d->received);
	if (error < 0)
		return error;
	if (d->body == NULL && d->body_len > 0)
		return cl__error(CL_EINVALID, "%s has no body but body_len %zu",
			owner, d->body_len);
	if (d->body_len > CL_DELIVERY_MAX_BODY)
		return cl__error(CL_EINVALID, "%s body is longer than %d bytes",
			owner, CL_DELIVERY_MAX_BODY);
	return check_text(owner, "tevent", d->tevent, CL_DELIVERY_MAX_BODY, 0);
}

static int check_outbox_item(const cl_outbox_item *a)
{
	static const char owner[] = "outbox action";
	int error;

	error = check_text(owner, "tracker", a->tracker, CL_EVENT_MAX_FIELD, 1);
	if (error == 0)
		error = check_text(owner, "ticket", a->ticket,
			CL_EVENT_MAX_FIELD, 1);
	if (error == 0)
		error = check_text(owner, "action", a->action,
			CL_EVENT_MAX_FIELD, 1);
	if (error == 0)
		error = check_text(owner, "dedupe_key", a->dedupe_key,
			CL_EVENT_MAX_FIELD, 0);
	if (error == 0)
		error = check_time(owner, "next_attempt", a->next_attempt);
	if (error < 0)
		return error;
	/* "" would be one key shared by every caller that meant "none". */
	if (a->dedupe_key != NULL && a->dedupe_key[0] == '\0')
		return cl__error(CL_EINVALID,
			"outbox action dedupe_key is empty (NULL for none)");
	return 0;
}

static int check_outbox_id(int64_t id)
{
	if (id <= 0)
		return cl__error(CL_EINVALID, "outbox action id %lld is not one "
			"the store hands out", (long long)id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Queues: deliveries                                                  */
/* ------------------------------------------------------------------ */

int cl_store_delivery_put(cl_store *store, const cl_delivery *d, size_t n,
	int *dup)
{
	size_t i;
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->delivery_put == NULL)
		return unsupported(store, "delivery_put");
	if (n > 0 && d == NULL)
		return cl__error(CL_EINVALID, "no deliveries given (d is NULL, "
			"n is %zu)", n);
	/* Zeroed first: on any failure below, nothing was stored. */
	if (dup != NULL && n > 0)
		memset(dup, 0, n * sizeof(*dup));
	for (i = 0; i < n; i++) {
		error = check_delivery(&d[i], i);
		if (error < 0)
			return error;
	}
	if (n == 0)
		return 0;
	STORE_CALL(store, store->backend->delivery_put(store->backend, d, n, dup,
		cl_clock_now()));
}

int cl_store_delivery_next(cl_store *store, cl_delivery **out)
{
	int error;

	if (out != NULL)
		*out = NULL;
	error = check_store(store);
	if (error < 0)
		return error;
	if (out == NULL)
		return cl__error(CL_EINVALID, "no place for the delivery "
			"(out is NULL)");
	if (store->backend->delivery_next == NULL)
		return unsupported(store, "delivery_next");
	STORE_CALL(store, store->backend->delivery_next(store->backend, out,
		cl_clock_now()));
}

static int check_delivery_key(const char *tracker, const char *id)
{
	int error;

	error = check_text("delivery", "tracker", tracker, CL_EVENT_MAX_FIELD,
		1);
	if (error < 0)
		return error;
	return check_text("delivery", "id", id, CL_EVENT_MAX_FIELD, 1);
}

int cl_store_delivery_done(cl_store *store, const char *tracker,
	const char *id)
{
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->delivery_done == NULL)
		return unsupported(store, "delivery_done");
	error = check_delivery_key(tracker, id);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->delivery_done(store->backend, tracker, id,
		cl_clock_now()));
}

int cl_store_delivery_failed(cl_store *store, const char *tracker,
	const char *id, const char *reason)
{
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->delivery_failed == NULL)
		return unsupported(store, "delivery_failed");
	error = check_delivery_key(tracker, id);
	/* The audit shows why a delivery was given up: a reason is due. */
	if (error == 0)
		error = check_text("failed delivery", "reason", reason,
			CL_EVENT_MAX_DETAIL, 1);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->delivery_failed(store->backend, tracker, id,
		reason, cl_clock_now()));
}

int cl_store_delivery_pending(cl_store *store, int64_t *out)
{
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (out == NULL)
		return cl__error(CL_EINVALID, "no place for the count "
			"(out is NULL)");
	if (store->backend->delivery_pending == NULL)
		return unsupported(store, "delivery_pending");
	STORE_CALL(store, store->backend->delivery_pending(store->backend, out));
}

/*
 * One owner, one free: a delivery handed out is made by cl_delivery_dup
 * (whichever backend read it) and released here, field by field.
 */
void cl_delivery_free(cl_delivery *d)
{
	if (d == NULL)
		return;
	free((char *)d->tracker);
	free((char *)d->id);
	free((char *)d->event);
	free((char *)d->body);
	free((char *)d->tevent);
	free(d);
}

/* A copy of s, or NULL for NULL; *failed set when memory ran out. */
static char *dup_or_null(const char *s, int *failed)
{
	char *copy;

	if (s == NULL)
		return NULL;
	copy = cl__strdup(s);
	if (copy == NULL)
		*failed = 1;
	return copy;
}

int cl_delivery_dup(cl_delivery **out, const cl_delivery *src)
{
	cl_delivery *d;
	char *body;
	int failed = 0;

	if (out == NULL || src == NULL)
		return cl__error(CL_EINVALID, "no delivery to copy or no place "
			"for the copy");
	*out = NULL;
	if (src->body == NULL && src->body_len > 0)
		return cl__error(CL_EINVALID, "delivery has no body but "
			"body_len %zu", src->body_len);
	d = cl__calloc(1, sizeof(*d));
	if (d == NULL)
		return CL_ENOMEM;
	d->tracker = dup_or_null(src->tracker, &failed);
	d->id = dup_or_null(src->id, &failed);
	d->event = dup_or_null(src->event, &failed);
	d->tevent = dup_or_null(src->tevent, &failed);
	/* A NUL after the bytes lets JSON parsers take the body as a
	 * string; body_len stays the true length (bodies may hold NULs). */
	body = src->body_len < SIZE_MAX ? cl__malloc(src->body_len + 1) : NULL;
	if (body == NULL) {
		failed = 1;
	} else {
		if (src->body_len > 0)
			memcpy(body, src->body, src->body_len);
		body[src->body_len] = '\0';
	}
	d->body = body;
	d->body_len = src->body_len;
	d->received = src->received;
	d->attempts = src->attempts;
	if (failed) {
		cl_delivery_free(d);
		return cl__error_nomem();
	}
	*out = d;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Queues: the outbox                                                  */
/* ------------------------------------------------------------------ */

int cl_store_outbox_put(cl_store *store, const cl_outbox_item *a, int *dup)
{
	int ignored = 0;
	int error;

	if (dup != NULL)
		*dup = 0;
	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->outbox_put == NULL)
		return unsupported(store, "outbox_put");
	if (a == NULL)
		return cl__error(CL_EINVALID, "no outbox action given (a is NULL)");
	error = check_outbox_item(a);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->outbox_put(store->backend, a,
		dup != NULL ? dup : &ignored, cl_clock_now()));
}

int cl_store_outbox_due(cl_store *store, int64_t now, size_t max,
	cl_outbox_item **out, size_t *n)
{
	int error;

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	error = check_store(store);
	if (error < 0)
		return error;
	if (out == NULL || n == NULL)
		return cl__error(CL_EINVALID, "no place for the actions "
			"(out or n is NULL)");
	if (store->backend->outbox_due == NULL)
		return unsupported(store, "outbox_due");
	error = check_time("outbox", "due time", now);
	if (error < 0)
		return error;
	if (max == 0)
		return 0;
	/* now says which actions are due (a caller may look ahead); the
	 * claims they get are timed by the clock. */
	STORE_CALL(store, store->backend->outbox_due(store->backend, now, max, out, n,
		cl_clock_now()));
}

int cl_store_outbox_done(cl_store *store, int64_t id)
{
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->outbox_done == NULL)
		return unsupported(store, "outbox_done");
	error = check_outbox_id(id);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->outbox_done(store->backend, id, cl_clock_now()));
}

int cl_store_outbox_retry(cl_store *store, int64_t id, int64_t next_attempt,
	const char *error_text)
{
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->outbox_retry == NULL)
		return unsupported(store, "outbox_retry");
	error = check_outbox_id(id);
	if (error == 0)
		error = check_time("outbox retry", "next_attempt",
			next_attempt);
	if (error == 0)
		error = check_text("outbox retry", "error", error_text,
			CL_EVENT_MAX_DETAIL, 0);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->outbox_retry(store->backend, id, next_attempt,
		error_text, cl_clock_now()));
}

int cl_store_outbox_failed(cl_store *store, int64_t id,
	const char *error_text)
{
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->outbox_failed == NULL)
		return unsupported(store, "outbox_failed");
	error = check_outbox_id(id);
	if (error == 0)
		error = check_text("failed outbox action", "error", error_text,
			CL_EVENT_MAX_DETAIL, 1);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->outbox_failed(store->backend, id, error_text,
		cl_clock_now()));
}

int cl_store_outbox_count(cl_store *store, int64_t *pending, int64_t *failed)
{
	int64_t p = 0, f = 0;
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->outbox_count == NULL)
		return unsupported(store, "outbox_count");
	pthread_mutex_lock(&store->lock);
	error = store->backend->outbox_count(store->backend, &p, &f);
	pthread_mutex_unlock(&store->lock);
	if (error < 0)
		return error;
	if (pending != NULL)
		*pending = p;
	if (failed != NULL)
		*failed = f;
	return 0;
}

static void outbox_item_clear(cl_outbox_item *a)
{
	free((char *)a->tracker);
	free((char *)a->ticket);
	free((char *)a->action);
	free((char *)a->body);
	free((char *)a->dedupe_key);
	free((char *)a->last_error);
}

void cl_outbox_items_free(cl_outbox_item *a, size_t n)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < n; i++)
		outbox_item_clear(&a[i]);
	free(a);
}

/*
 * The array's capacity is not stored: it is 4 up to 4 items, then the
 * next power of two, so it must grow exactly when n is 0 or a power of
 * two of at least 4.
 */
static int items_full(size_t n)
{
	return n == 0 || (n >= 4 && (n & (n - 1)) == 0);
}

int cl_outbox_items_add(cl_outbox_item **items, size_t *n,
	const cl_outbox_item *src)
{
	cl_outbox_item copy;
	int failed = 0;

	if (items == NULL || n == NULL || src == NULL)
		return cl__error(CL_EINVALID, "no outbox action to add or no "
			"array for it");
	if (items_full(*n)) {
		size_t cap = *n == 0 ? 4 : *n * 2;
		cl_outbox_item *grown;

		if (cap > SIZE_MAX / sizeof(*grown))
			return cl__error_nomem();
		grown = cl__realloc(*items, cap * sizeof(*grown));
		if (grown == NULL)
			return CL_ENOMEM;
		*items = grown;
	}
	copy = *src;
	copy.tracker = dup_or_null(src->tracker, &failed);
	copy.ticket = dup_or_null(src->ticket, &failed);
	copy.action = dup_or_null(src->action, &failed);
	copy.body = dup_or_null(src->body, &failed);
	copy.dedupe_key = dup_or_null(src->dedupe_key, &failed);
	copy.last_error = dup_or_null(src->last_error, &failed);
	if (failed) {
		outbox_item_clear(&copy);
		return cl__error_nomem();
	}
	(*items)[(*n)++] = copy;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Queues: cursors                                                     */
/* ------------------------------------------------------------------ */

int cl_store_cursor_get(cl_store *store, const char *name, char **value)
{
	int error;

	if (value != NULL)
		*value = NULL;
	error = check_store(store);
	if (error < 0)
		return error;
	if (value == NULL)
		return cl__error(CL_EINVALID, "no place for the cursor value "
			"(value is NULL)");
	if (store->backend->cursor_get == NULL)
		return unsupported(store, "cursor_get");
	error = check_text("cursor", "name", name, CL_EVENT_MAX_FIELD, 1);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->cursor_get(store->backend, name, value));
}

int cl_store_cursor_set(cl_store *store, const char *name, const char *value)
{
	int error;

	error = check_store(store);
	if (error < 0)
		return error;
	if (store->backend->cursor_set == NULL)
		return unsupported(store, "cursor_set");
	error = check_text("cursor", "name", name, CL_EVENT_MAX_FIELD, 1);
	if (error < 0)
		return error;
	if (value == NULL)
		return cl__error(CL_EINVALID, "cursor %s has no value "
			"(value is NULL)", name);
	error = check_text("cursor", "value", value, CL_EVENT_MAX_DETAIL, 0);
	if (error < 0)
		return error;
	STORE_CALL(store, store->backend->cursor_set(store->backend, name, value,
		cl_clock_now()));
}
