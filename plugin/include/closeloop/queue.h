/*
 * queue.h: the store's work queues, next to the ledger. Webhook deliveries
 * are stored durably before the sender is answered and processed after;
 * tracker actions (reopen, comment, set the reply) wait in an outbox until
 * the tracker takes them; each sync remembers where it stopped (cursors).
 * Everything survives a crash: a delivery stored is processed, an action
 * queued is sent, at least once.
 */
#ifndef CLOSELOOP_QUEUE_H
#define CLOSELOOP_QUEUE_H

#include "common.h"
#include "ledger.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A webhook delivery. Strings are borrowed (from the caller on put, from
 * the store until cl_delivery_free on reads). */
typedef struct {
	const char *tracker;      /* the [tracker "NAME"] it came for */
	const char *id;           /* the sender's delivery id, or a body hash */
	const char *event;        /* the sender's event name, for the record */
	const char *body;         /* raw bytes */
	size_t body_len;
	int64_t received;         /* Unix seconds; 0 on put means now */
	int attempts;             /* processing attempts so far */
} cl_delivery;

/*
 * Store n deliveries in one durable transaction (one fsync for all: the
 * receiver commits concurrent requests together). dup[i] is set to 1 when
 * delivery i was already stored (same tracker and id), else 0; nothing is
 * stored for it then.
 */
CL_EXTERN(int) cl_store_delivery_put(cl_store *store, const cl_delivery *d,
	size_t n, int *dup);

/*
 * The oldest pending delivery, claimed: *out is NULL when none is pending.
 * A claimed delivery is not handed out again until released or until the
 * process that claimed it is gone (a store reopened after a crash hands
 * out every pending delivery again). Free with cl_delivery_free.
 */
CL_EXTERN(int) cl_store_delivery_next(cl_store *store, cl_delivery **out);

/* Finish a claimed delivery: done (processed) or failed (given up; kept
 * for the audit with the reason). */
CL_EXTERN(int) cl_store_delivery_done(cl_store *store, const char *tracker,
	const char *id);
CL_EXTERN(int) cl_store_delivery_failed(cl_store *store, const char *tracker,
	const char *id, const char *reason);

/* How many deliveries are pending. */
CL_EXTERN(int) cl_store_delivery_pending(cl_store *store, int64_t *out);

CL_EXTERN(void) cl_delivery_free(cl_delivery *d);

/* A tracker action waiting in the outbox. */
typedef struct {
	int64_t id;               /* set by the store */
	const char *tracker;
	const char *ticket;       /* "support:42" */
	const char *action;       /* "reopen", "comment", "internal-comment",
	                             "set-reply" */
	const char *body;         /* the comment text or link; may be NULL */
	const char *dedupe_key;   /* the same key is queued once; NULL none */
	int attempts;
	int64_t next_attempt;     /* Unix seconds; 0 on put means now */
	const char *last_error;
} cl_action;

/* Queue an action (durably); *dup = 1 when dedupe_key was queued before. */
CL_EXTERN(int) cl_store_outbox_put(cl_store *store, const cl_action *a,
	int *dup);

/* Up to max actions due at now (next_attempt <= now, pending), oldest
 * first, claimed like deliveries. *out is an array of *n; free with
 * cl_action_list_free. */
CL_EXTERN(int) cl_store_outbox_due(cl_store *store, int64_t now, size_t max,
	cl_action **out, size_t *n);

/* The action was done; or try again at next_attempt (attempts + 1,
 * error kept); or give up (state failed, error kept). */
CL_EXTERN(int) cl_store_outbox_done(cl_store *store, int64_t id);
CL_EXTERN(int) cl_store_outbox_retry(cl_store *store, int64_t id,
	int64_t next_attempt, const char *error);
CL_EXTERN(int) cl_store_outbox_failed(cl_store *store, int64_t id,
	const char *error);

/* Pending actions (the outbox depth), and failed ones. */
CL_EXTERN(int) cl_store_outbox_count(cl_store *store, int64_t *pending,
	int64_t *failed);

CL_EXTERN(void) cl_action_list_free(cl_action *a, size_t n);

/* Named cursors (sync positions). *value NULL when unset; cl_free it. */
CL_EXTERN(int) cl_store_cursor_get(cl_store *store, const char *name,
	char **value);
CL_EXTERN(int) cl_store_cursor_set(cl_store *store, const char *name,
	const char *value);

#ifdef __cplusplus
}
#endif
#endif
