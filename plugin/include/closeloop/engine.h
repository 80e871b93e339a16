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

CL_EXTERN(void) cl_engine_stats_get(const cl_engine *engine,
	cl_engine_stats *out);

CL_EXTERN(void) cl_engine_free(cl_engine *engine);

#ifdef __cplusplus
}
#endif
#endif
