/*
 * queue.h: the store's work queues, next to the ledger. Webhook deliveries
 * are stored durably before the sender is answered and processed after;
 * tracker actions (reopen, comment, set the reply) wait in an outbox until
 * the tracker takes them; each sync remembers where it stopped (cursors).
 * Everything survives a crash: a delivery stored is processed, an action
 * queued is sent, at least once.
 *
 * Claims. Reading work (cl_store_delivery_next, cl_store_outbox_due)
 * claims it for the calling process, so that the receiver's workers and a
 * `closeloop sync` run on the same store never take the same item at
 * once. A claim ends when the work is finished (done, failed, retry), when
 * the claiming process no longer exists (a crash, a kill -9: its work is
 * handed out again at once), or CL_QUEUE_LEASE seconds after it was taken
 * (a claimer that hangs). A claim held by a live process, the caller's
 * own included, is respected until then: finish what you take. Work can
 * therefore be done twice (a crash after the tracker took an action but
 * before it was marked done, a lease that ran out): process idempotently.
 *
 * One cl_store handle is for one thread at a time; threads each open
 * their own on the same file.
 */
#ifndef CLOSELOOP_QUEUE_H
#define CLOSELOOP_QUEUE_H

#include "common.h"
#include "ledger.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long a claim holds, in seconds, while its claimer lives. */
#define CL_QUEUE_LEASE 600

/* The largest delivery body stored (GitHub's own limit on payloads). */
#define CL_DELIVERY_MAX_BODY (25 * 1024 * 1024)

/* A webhook delivery. Strings are borrowed (from the caller on put, from
 * the delivery until cl_delivery_free on reads). tracker, id and event are
 * at most CL_EVENT_MAX_FIELD bytes. */
typedef struct {
	const char *tracker;      /* the [tracker "NAME"] it came for */
	const char *id;           /* the sender's delivery id, or a body hash */
	const char *event;        /* the sender's event name; may be NULL */
	const char *body;         /* raw bytes; on reads a NUL follows them */
	size_t body_len;          /* at most CL_DELIVERY_MAX_BODY */
	int64_t received;         /* Unix seconds; 0 on put means now */
	int attempts;             /* times handed out, this one included */
	/* The tracker event parsed when it was accepted (cl_tevent_to_json);
	 * NULL when only the body was stored. The receiver stores this and
	 * no body; deliveries stored before schema version 3 have a body.
	 * At most CL_DELIVERY_MAX_BODY bytes. */
	const char *tevent;
} cl_delivery;

/*
 * Store n deliveries in one durable transaction (one fsync for all: the
 * receiver commits concurrent requests together). dup[i] is set to 1 when
 * delivery i was already stored (same tracker and id, by an earlier call
 * or earlier in d), else 0; nothing is stored for it then. dup may be
 * NULL. attempts is ignored. On failure nothing at all is stored.
 */
CL_EXTERN(int) cl_store_delivery_put(cl_store *store, const cl_delivery *d,
	size_t n, int *dup);

/*
 * The oldest pending delivery nobody holds (by received, then the order
 * stored), claimed, with attempts counting this hand-out: *out is NULL
 * when none is pending. Free with cl_delivery_free.
 */
CL_EXTERN(int) cl_store_delivery_next(cl_store *store, cl_delivery **out);

/* Finish a delivery, ending its claim: done (processed) or failed (given
 * up; kept for the audit with the reason). CL_ENOTFOUND when there is no
 * such delivery; one already finished stays as it was. */
CL_EXTERN(int) cl_store_delivery_done(cl_store *store, const char *tracker,
	const char *id);
CL_EXTERN(int) cl_store_delivery_failed(cl_store *store, const char *tracker,
	const char *id, const char *reason);

/* How many deliveries are pending, claimed or not. */
CL_EXTERN(int) cl_store_delivery_pending(cl_store *store, int64_t *out);

/* Free a delivery read from the store; NULL is fine. */
CL_EXTERN(void) cl_delivery_free(cl_delivery *d);

/* A tracker action waiting in the outbox. (Not cl_action: policy.h has
 * that name for what a rule decides.) tracker, ticket, action and
 * dedupe_key are at most CL_EVENT_MAX_FIELD bytes. */
typedef struct {
	int64_t id;               /* set by the store */
	const char *tracker;
	const char *ticket;       /* "support:42" */
	const char *action;       /* "reopen", "comment", "internal-comment",
	                             "set-reply" */
	const char *body;         /* the comment text or link; may be NULL */
	const char *dedupe_key;   /* the same key is queued once; NULL none */
	int attempts;             /* failed attempts so far; ignored on put */
	int64_t next_attempt;     /* Unix seconds; 0 on put means now */
	const char *last_error;   /* of the last attempt; ignored on put */
} cl_outbox_item;

/* Queue an action (durably); *dup = 1 when dedupe_key was queued before
 * (whatever became of that action), and nothing is queued then. dup may be
 * NULL. a->id is not set: the store hands ids out with the actions. */
CL_EXTERN(int) cl_store_outbox_put(cl_store *store, const cl_outbox_item *a,
	int *dup);

/* Up to max actions due at now (next_attempt <= now, pending, held by
 * nobody), oldest first, claimed like deliveries. *out is an array of *n
 * (NULL and 0 when none is due); free with cl_outbox_items_free. */
CL_EXTERN(int) cl_store_outbox_due(cl_store *store, int64_t now, size_t max,
	cl_outbox_item **out, size_t *n);

/* The action was done; or try again at next_attempt (attempts + 1, error
 * kept, claim ended); or give up (state failed, attempts + 1, error kept).
 * CL_ENOTFOUND for an unknown id; an action already done or failed stays
 * as it was. */
CL_EXTERN(int) cl_store_outbox_done(cl_store *store, int64_t id);
CL_EXTERN(int) cl_store_outbox_retry(cl_store *store, int64_t id,
	int64_t next_attempt, const char *error);
CL_EXTERN(int) cl_store_outbox_failed(cl_store *store, int64_t id,
	const char *error);

/* Pending actions (the outbox depth, claimed or not), and failed ones.
 * Either pointer may be NULL. */
CL_EXTERN(int) cl_store_outbox_count(cl_store *store, int64_t *pending,
	int64_t *failed);

/* Free what cl_store_outbox_due handed out; NULL is fine. */
CL_EXTERN(void) cl_outbox_items_free(cl_outbox_item *a, size_t n);

/* Named cursors (sync positions). *value NULL when unset; cl_free it.
 * Names are at most CL_EVENT_MAX_FIELD bytes, values CL_EVENT_MAX_DETAIL. */
CL_EXTERN(int) cl_store_cursor_get(cl_store *store, const char *name,
	char **value);
/* Set a cursor, replacing its value. */
CL_EXTERN(int) cl_store_cursor_set(cl_store *store, const char *name,
	const char *value);

#ifdef __cplusplus
}
#endif
#endif
