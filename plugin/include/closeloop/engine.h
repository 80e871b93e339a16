/*
 * engine.h: what closeloop does when a tracker tells it something. Events
 * (from webhooks, or from the sync of trackers without them) go in; ledger
 * events and tracker actions come out. The actions wait in the store's
 * outbox until the tracker takes them, so a tracker that is down delays
 * them and loses none.
 */
#ifndef CLOSELOOP_ENGINE_H
#define CLOSELOOP_ENGINE_H

#include "common.h"
#include "config.h"
#include "ledger.h"
#include "policy.h"
#include "tracker.h"
#include "webhook.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cl_engine cl_engine;

/* What the engine did, for metrics; counters only grow. */
typedef struct {
	uint64_t events;              /* events handled */
	uint64_t ignored;             /* closeloop's own, or nothing to do */
	uint64_t closed_without_reply;
	uint64_t replies;             /* Customer-Reply lines recorded */
	uint64_t handoffs;
	uint64_t acknowledged;
	uint64_t work_done;
	uint64_t actions_queued;
	uint64_t actions_done;
	uint64_t actions_retried;
	uint64_t actions_failed;      /* given up after too many attempts */
	uint64_t tracker_calls;
	uint64_t tracker_call_ms;     /* total time in tracker calls */
	uint64_t tracker_call_buckets[8]; /* latency histogram, see engine.c */
	uint64_t reminders[CL_RULE__COUNT]; /* reminders posted, per rule */
} cl_engine_stats;

/* Buckets of cl_engine_stats.tracker_call_buckets, in milliseconds
 * (cumulative counts of calls at most this long; the last is +Inf). */
#define CL_ENGINE_LATENCY_BUCKETS { 10, 50, 100, 250, 500, 1000, 5000, -1 }

/* The engine borrows cfg and store; they must outlive it. */
CL_EXTERN(int) cl_engine_new(cl_engine **out, const cl_config *cfg,
	cl_store *store);

/*
 * Act on one event of tracker (from a webhook, source "webhook"; or
 * "sync"). May ask the tracker (whether a closed ticket was delivered);
 * a tracker that cannot answer gives CL_ETRACKER / CL_ETIMEOUT and
 * nothing is recorded: try again later.
 */
CL_EXTERN(int) cl_engine_event(cl_engine *engine, cl_tracker *tracker,
	const cl_tevent *ev, const char *source, int64_t deadline_ms);

/* Act on a ticket's state seen by a sync (closed without a reply...). */
CL_EXTERN(int) cl_engine_ticket(cl_engine *engine, cl_tracker *tracker,
	const cl_ticket *ticket, int64_t deadline_ms);

/*
 * Send the outbox's due actions through trackers (n of them, looked up by
 * name); actions for a tracker not given wait. *sent counts actions done.
 */
CL_EXTERN(int) cl_engine_flush(cl_engine *engine, cl_tracker *const *trackers,
	size_t n, size_t *sent, int64_t deadline_ms);

/*
 * One sync pass over tracker: tickets changed since the saved cursor (or
 * since, when non-zero; or the last hour on a first run), each acted on
 * as cl_engine_ticket does; the cursor moves on. *seen counts tickets.
 */
CL_EXTERN(int) cl_engine_sync(cl_engine *engine, cl_tracker *tracker,
	int64_t since, size_t *seen, int64_t deadline_ms);

/*
 * Look again at the pushes accepted unverified (the tracker was down) that
 * referenced tickets of tracker, oldest first, and record what the rules
 * would have said (push.rechecked, with its problems). Stops at the first
 * push the tracker still cannot answer for; the next call goes on there.
 */
CL_EXTERN(int) cl_engine_recheck(cl_engine *engine, cl_tracker *tracker,
	size_t *checked, int64_t deadline_ms);

/* Record a customer reply (ledger) and queue it for the tracker. */
CL_EXTERN(int) cl_engine_reply(cl_engine *engine, cl_tracker *tracker,
	const cl_ref *ref, const char *link, const char *by,
	const char *source);

/* One reminder a pass decided on. Strings are borrowed for the callback. */
typedef struct {
	const char *ticket;  /* "support:42" */
	cl_rule rule;        /* owner-required, handoff-ack or reply-due */
	const char *owner;   /* whom it addresses; NULL when the ticket is unowned */
	const char *previous;/* handoff-ack: the previous owner, or NULL */
	const char *escalate_to; /* named too (remind.escalateTo), or NULL */
	const char *text;    /* the comment as posted */
	int count;           /* the count-th reminder since its clock started */
	int internal;        /* posted as a private / internal note */
	int posted;          /* 0: dry run, or the rule is in warn mode */
	int64_t since;       /* when its clock started */
} cl_reminder_note;

typedef void (*cl_reminder_cb)(const cl_reminder_note *note, void *payload);

/* Decide, print, change nothing: what `closeloop remind --dry-run` does. */
#define CL_REMIND_DRY_RUN 0x1u

/*
 * One reminder pass over tracker's open tickets, at cl_clock_now(): the
 * ledger says which clocks run (work done and no reply, unowned, a
 * handoff not acknowledged); the tracker is asked about those whose
 * reminder would be due (owner now, closed, snoozed, a reply in its
 * field); the due ones are queued as comments (internal notes where the
 * tracker has them) and recorded as reminder.sent. cb (may be NULL) sees
 * each. *due counts them. A tracker that cannot answer for some tickets
 * gives CL_ETRACKER / CL_ETIMEOUT after the others were handled.
 */
CL_EXTERN(int) cl_engine_remind(cl_engine *engine, cl_tracker *tracker,
	unsigned int flags, cl_reminder_cb cb, void *payload, size_t *due,
	int64_t deadline_ms);

CL_EXTERN(void) cl_engine_stats_get(const cl_engine *engine,
	cl_engine_stats *out);

CL_EXTERN(void) cl_engine_free(cl_engine *engine);

#ifdef __cplusplus
}
#endif
#endif
