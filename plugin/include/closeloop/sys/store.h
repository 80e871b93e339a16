/*
 * sys/store.h: for those who write store backends. A backend is a
 * versioned struct of function pointers; the core calls only through it.
 * Not included by closeloop/closeloop.h.
 */
#ifndef CLOSELOOP_SYS_STORE_H
#define CLOSELOOP_SYS_STORE_H

#include "../common.h"
#include "../ledger.h"
#include "../queue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CL_STORE_BACKEND_VERSION 3

typedef struct cl_store_backend cl_store_backend;

struct cl_store_backend {
	unsigned int version; /* CL_STORE_BACKEND_VERSION */
	const char *name;     /* "sqlite", "postgresql" */

	/* Create or upgrade the schema; *out is the version reached. */
	int (*migrate)(cl_store_backend *backend, int *out);

	/* Durably append one event; set event->id (and event->time when 0,
	 * from the now argument). */
	int (*append_event)(cl_store_backend *backend, cl_event *event,
		int64_t now);

	/* Call cb for each matching event in id order. */
	int (*foreach_event)(cl_store_backend *backend,
		const cl_event_filter *filter, cl_event_cb cb, void *payload);

	/* Current schema version. */
	int (*schema_version)(cl_store_backend *backend, int *out);

	/*
	 * Version 2: the receiver's queues (closeloop/queue.h). These are
	 * optional: a backend without them still keeps a ledger, and the core
	 * answers each queue call with CL_ESTORE naming the missing member.
	 * The core has checked every argument before it calls one of them
	 * (strings set and within their limits, dup arrays possibly NULL),
	 * and passes now from cl_clock_now(), so that tests move every
	 * backend's clock at once. A claim lasts until now + CL_QUEUE_LEASE
	 * unless the backend knows sooner that its claimer is gone.
	 */

	/* Store n deliveries (n > 0) in one transaction; received 0 is now.
	 * dup, when not NULL, as in cl_store_delivery_put. */
	int (*delivery_put)(cl_store_backend *backend, const cl_delivery *d,
		size_t n, int *dup, int64_t now);
	/* Claim the oldest pending unclaimed delivery, attempts + 1; *out
	 * made with cl_delivery_dup (the caller frees it), NULL when none. */
	int (*delivery_next)(cl_store_backend *backend, cl_delivery **out,
		int64_t now);
	/* Finish a delivery, releasing its claim; CL_ENOTFOUND when there is
	 * no such delivery. A delivery already finished stays as it is. */
	int (*delivery_done)(cl_store_backend *backend, const char *tracker,
		const char *id, int64_t now);
	int (*delivery_failed)(cl_store_backend *backend, const char *tracker,
		const char *id, const char *reason, int64_t now);
	int (*delivery_pending)(cl_store_backend *backend, int64_t *out);

	/* Queue an action (next_attempt 0 is now); *dup never NULL here. */
	int (*outbox_put)(cl_store_backend *backend, const cl_outbox_item *a,
		int *dup, int64_t now);
	/* Claim up to max (> 0) pending unclaimed actions with next_attempt
	 * <= due, in id order, into an array built with cl_outbox_items_add. */
	int (*outbox_due)(cl_store_backend *backend, int64_t due, size_t max,
		cl_outbox_item **out, size_t *n, int64_t now);
	/* As delivery_done and delivery_failed; retry also releases. */
	int (*outbox_done)(cl_store_backend *backend, int64_t id, int64_t now);
	int (*outbox_retry)(cl_store_backend *backend, int64_t id,
		int64_t next_attempt, const char *error, int64_t now);
	int (*outbox_failed)(cl_store_backend *backend, int64_t id,
		const char *error, int64_t now);
	int (*outbox_count)(cl_store_backend *backend, int64_t *pending,
		int64_t *failed);

	/* *value allocated with the C library's malloc (cl_free frees it),
	 * NULL when unset. */
	int (*cursor_get)(cl_store_backend *backend, const char *name,
		char **value);
	int (*cursor_set)(cl_store_backend *backend, const char *name,
		const char *value, int64_t now);

	/* Optional. deferred 1: commits from now on need not wait for the
	 * disk (they become durable with the next commit that does, or the
	 * next checkpoint; a crash of the machine may lose a suffix of them,
	 * never a middle); 0: every commit is durable when it returns (the
	 * default). See cl_store_defer_sync(). */
	int (*set_sync)(cl_store_backend *backend, int deferred);

	/* Release everything; the backend itself included. */
	void (*free)(cl_store_backend *backend);
};

#define CL_STORE_BACKEND_INIT { CL_STORE_BACKEND_VERSION, NULL, NULL, NULL, \
	NULL, NULL, \
	NULL, NULL, NULL, NULL, NULL, \
	NULL, NULL, NULL, NULL, NULL, NULL, \
	NULL, NULL, \
	NULL, \
	NULL }

/* Set a backend struct to its initial value; CL_EVERSION on a mismatch. */
CL_EXTERN(int) cl_store_backend_init(cl_store_backend *backend,
	unsigned int version);

/*
 * Wrap a backend in a store handle, migrating its schema. The store takes
 * ownership of the backend, also on failure.
 */
CL_EXTERN(int) cl_store_new(cl_store **out, cl_store_backend *backend);

/*
 * For backends: what the queue reads hand out. A deep copy of src (its
 * strings and body_len bytes of body, followed by a NUL), freed with
 * cl_delivery_free.
 */
CL_EXTERN(int) cl_delivery_dup(cl_delivery **out, const cl_delivery *src);

/*
 * For backends: append a deep copy of src to the array *items of *n items
 * (growing it; *items NULL and *n 0 to start). On failure the array is
 * left as it was. The result is freed with cl_outbox_items_free.
 */
CL_EXTERN(int) cl_outbox_items_add(cl_outbox_item **items, size_t *n,
	const cl_outbox_item *src);

/* The built-in SQLite backend, at path (created when missing). */
CL_EXTERN(int) cl_store_backend_sqlite(cl_store_backend **out,
	const char *path);

#ifdef __cplusplus
}
#endif
#endif
