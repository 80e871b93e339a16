/*
 * engine_int.h: what the engine's files share: the engine itself, and
 * what the ledger says about one ticket (its "memory"), which both the
 * event handling (engine.c) and the reminder pass (remind.c) read.
 */
#ifndef CL_ENGINE_INT_H
#define CL_ENGINE_INT_H

#include <json-c/json.h>

#include <closeloop/engine.h>
#include <closeloop/policy.h>
#include <closeloop/queue.h>

struct cl_engine {
	const cl_config *cfg;
	cl_store *store;
	cl_policy policy;
	cl_engine_stats stats;
	unsigned int seed;
};

/*
 * One ticket as its ledger events tell it, fed in id order. Ids order
 * events; times are what the tracker said (or when closeloop saw them).
 */
typedef struct {
	int64_t events;           /* how many events fed in */
	int64_t opened_id;        /* last ticket.opened / ticket.reopened */
	int64_t opened_time;
	int64_t closed_id;        /* last ticket.closed / closed-without-reply */
	int64_t reply_id;         /* last reply.linked */
	int64_t reported_id;      /* last ticket.closed-without-reply */
	int64_t handoff_id, handoff_time, ack_id;
	int64_t work_id, work_time; /* first work.done since last opened */
	char owner[CL_TEVENT_MAX_NAME];      /* last known owner */
	char handoff_to[CL_TEVENT_MAX_NAME]; /* of the last handoff */
	char handoff_from[CL_TEVENT_MAX_NAME];
	/* reminder.sent per rule: last one, and how many in the episode
	 * (since the clock they belong to last started) */
	cl_reminder_history reminders[CL_RULE__COUNT];
} cl__ticket_memory;

void cl__memory_add(cl__ticket_memory *m, const cl_event *ev);
int cl__memory_recall(cl__ticket_memory *m, cl_store *store,
	const char *ticket);
int cl__memory_delivered(const cl__ticket_memory *m);
int cl__memory_handoff_pending(const cl__ticket_memory *m);
int cl__memory_open(const cl__ticket_memory *m);

/* Append an event (detail is consumed), and fold it into m when not NULL
 * (the ticket's memory stays current without reading it again) / queue
 * an outbox action. */
int cl__engine_record(cl_engine *e, const char *type, const char *ticket,
	const char *actor, int64_t time, json_object *detail);
int cl__engine_record_into(cl_engine *e, cl__ticket_memory *m,
	const char *type, const char *ticket, const char *actor, int64_t time,
	json_object *detail);
int cl__engine_queue(cl_engine *e, cl_tracker *t, const char *ticket,
	const char *action, const char *body, const char *dedupe);
void cl__engine_count_call(cl_engine *e, int64_t started);

/* "support:42" back into the ref of tracker support; project is where
 * ref->project points. */
int cl__engine_parse_ticket(cl_ref *ref, char *project, size_t plen,
	const char *ticket);

#endif
