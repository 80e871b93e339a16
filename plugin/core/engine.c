/*
 * engine.c: tracker events in, ledger events and outbox actions out.
 *
 * The ledger is the engine's memory: per ticket, the last time it was
 * (re)opened, replies linked since, a close already reported since, the
 * owner and a handoff waiting for its acknowledgement are all read back
 * from the ticket's events (indexed by ticket), so a restarted receiver,
 * a second receiver and the CLI's sync agree without shared state.
 *
 * Tracker writes never happen here directly: they are queued in the
 * outbox (durably, with a dedupe key) and sent by cl_engine_flush, with
 * retries, so a tracker that is down delays them and loses none.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"
#include "engine_int.h"
#include "json_int.h"
#include <closeloop/sys/tracker.h>

/* An outbox action is given up after this many attempts (about a day of
 * backoff with the caps below). */
#define OUTBOX_MAX_ATTEMPTS 20
#define BACKOFF_BASE_S 2
#define BACKOFF_MAX_S 3600
/* Due actions taken per flush round. */
#define FLUSH_BATCH 32
/* A sync's first pass looks back this far, not over the whole history:
 * reopening every ticket ever closed without a reply would be a flood. */
#define FIRST_SYNC_LOOKBACK_S 3600
/* Sync windows overlap by this much: trackers filter by second (Redmine)
 * or minute (Jira), and a change in the same second as the cursor must
 * not be lost. Handling a ticket twice is harmless (the ledger says a
 * close was already reported). */
#define SYNC_OVERLAP_S 60
#define MAX_LINK 1024


static const int64_t latency_bounds[] = CL_ENGINE_LATENCY_BUCKETS;

int cl_engine_new(cl_engine **out, const cl_config *cfg, cl_store *store)
{
	cl_engine *e;
	int error;

	if (out == NULL || cfg == NULL || store == NULL)
		return cl__error(CL_EINVALID, "no configuration or store");
	*out = NULL;
	if ((e = cl__calloc(1, sizeof(*e))) == NULL)
		return CL_ENOMEM;
	e->cfg = cfg;
	e->store = store;
	if ((error = cl_config_policy(&e->policy, cfg)) < 0) {
		free(e);
		return error;
	}
	e->seed = (unsigned int)cl_http_now_ms() ^ (unsigned int)(uintptr_t)e;
	*out = e;
	return 0;
}

void cl_engine_free(cl_engine *engine)
{
	free(engine);
}

void cl_engine_stats_get(const cl_engine *engine, cl_engine_stats *out)
{
	if (engine && out)
		*out = engine->stats;
}

void cl__engine_count_call(cl_engine *e, int64_t started)
{
	int64_t ms = cl_http_now_ms() - started;
	size_t i;

	e->stats.tracker_calls++;
	e->stats.tracker_call_ms += (uint64_t)(ms > 0 ? ms : 0);
	for (i = 0; i < sizeof(latency_bounds) / sizeof(latency_bounds[0]); i++)
		if (latency_bounds[i] < 0 || ms <= latency_bounds[i])
			e->stats.tracker_call_buckets[i]++;
}

/* ------------------------------------------------------------------ */
/* What the ledger knows about a ticket                               */
/* ------------------------------------------------------------------ */

typedef cl__ticket_memory ticket_memory;

/* One string field of a detail closeloop wrote; "" when absent. */
static void detail_string(char *buf, size_t len, const char *detail,
	const char *key)
{
	cl__json_field_string(detail, key, buf, len);
}

/* Openings and closes name the owner the tracker showed then: how the
 * ledger first learns it where no handoff told (a sync's first sight). */
static void learn_owner(ticket_memory *m, const cl_event *ev)
{
	char owner[CL_TEVENT_MAX_NAME];

	if (m->owner[0] != '\0')
		return;
	detail_string(owner, sizeof(owner), ev->detail, "owner");
	snprintf(m->owner, sizeof(m->owner), "%s", owner);
}

static void remind_reset(ticket_memory *m, cl_rule rule)
{
	m->reminders[rule].count = 0;
}

void cl__memory_add(ticket_memory *m, const cl_event *ev)
{
	const char *type = ev->type;

	m->events++;
	if (strcmp(type, CL_EVENT_OPENED) == 0 ||
	    strcmp(type, CL_EVENT_REOPENED) == 0) {
		m->opened_id = ev->id;
		m->opened_time = ev->time;
		m->work_id = m->work_time = 0;
		learn_owner(m, ev);
		remind_reset(m, CL_RULE_OWNER_REQUIRED);
		remind_reset(m, CL_RULE_REPLY_DUE);
	} else if (strcmp(type, CL_EVENT_CLOSED) == 0) {
		m->closed_id = ev->id;
		learn_owner(m, ev);
	}
	else if (strcmp(type, CL_EVENT_REPLY) == 0)
		m->reply_id = ev->id;
	else if (strcmp(type, CL_EVENT_WORK_DONE) == 0) {
		if (m->work_id <= m->opened_id) {
			m->work_id = ev->id;
			m->work_time = ev->time;
			remind_reset(m, CL_RULE_REPLY_DUE);
		}
	} else if (strcmp(type, CL_EVENT_CLOSED_NO_REPLY) == 0) {
		m->reported_id = ev->id;
		m->closed_id = ev->id;
		learn_owner(m, ev);
	} else if (strcmp(type, CL_EVENT_HANDOFF) == 0) {
		m->handoff_id = ev->id;
		m->handoff_time = ev->time;
		detail_string(m->handoff_to, sizeof(m->handoff_to), ev->detail,
			"to");
		detail_string(m->handoff_from, sizeof(m->handoff_from),
			ev->detail, "from");
		snprintf(m->owner, sizeof(m->owner), "%s", m->handoff_to);
		remind_reset(m, CL_RULE_HANDOFF_ACK);
	} else if (strcmp(type, CL_EVENT_HANDOFF_ACK) == 0)
		m->ack_id = ev->id;
	else if (strcmp(type, CL_EVENT_REMINDER) == 0) {
		char name[64];
		cl_rule rule;

		detail_string(name, sizeof(name), ev->detail, "rule");
		if (cl_rule_from_name(&rule, name) == 0) {
			m->reminders[rule].last_sent = ev->time;
			m->reminders[rule].count++;
		}
	}
}

static int remember(const cl_event *ev, void *payload)
{
	cl__memory_add(payload, ev);
	return 0;
}

int cl__memory_recall(ticket_memory *m, cl_store *store, const char *ticket)
{
	cl_event_filter f = CL_EVENT_FILTER_INIT;

	memset(m, 0, sizeof(*m));
	f.ticket = ticket;
	return cl_store_foreach(store, &f, remember, m);
}

static int recall(ticket_memory *m, cl_engine *e, const char *ticket)
{
	return cl__memory_recall(m, e->store, ticket);
}

int cl__memory_delivered(const ticket_memory *m)
{
	return m->reply_id > m->opened_id;
}

int cl__memory_handoff_pending(const ticket_memory *m)
{
	return m->handoff_id > m->ack_id && m->handoff_to[0] != '\0';
}

/* Open as far as the ledger knows: never seen closed, or opened since. */
int cl__memory_open(const ticket_memory *m)
{
	return m->closed_id == 0 || m->opened_id > m->closed_id;
}


/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

int cl__engine_record(cl_engine *e, const char *type, const char *ticket,
	const char *actor, int64_t time, json_object *detail)
{
	return cl__engine_record_into(e, NULL, type, ticket, actor, time, detail);
}

int cl__engine_record_into(cl_engine *e, cl__ticket_memory *m,
	const char *type, const char *ticket, const char *actor, int64_t time,
	json_object *detail)
{
	cl_event ev;
	int error;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ticket = ticket;
	ev.actor = actor && *actor ? actor : NULL;
	ev.time = time;
	ev.detail = detail ? json_object_to_json_string_ext(detail,
		JSON_C_TO_STRING_PLAIN) : NULL;
	error = cl_store_append(e->store, &ev);
	if (error == 0 && m != NULL)
		cl__memory_add(m, &ev);
	json_object_put(detail);
	return error;
}

int cl__engine_queue(cl_engine *e, cl_tracker *t, const char *ticket,
	const char *action, const char *body, const char *dedupe)
{
	cl_outbox_item a;
	int dup = 0, error;

	memset(&a, 0, sizeof(a));
	a.tracker = cl_tracker_name(t);
	a.ticket = ticket;
	a.action = action;
	a.body = body;
	a.dedupe_key = dedupe;
	if ((error = cl_store_outbox_put(e->store, &a, &dup)) < 0)
		return error;
	if (!dup)
		e->stats.actions_queued++;
	return 0;
}


/* ------------------------------------------------------------------ */
/* Rules                                                               */
/* ------------------------------------------------------------------ */

/* The comment's "Customer-Reply: LINK" line (reply.c), into link. */
static int reply_line(char *link, size_t len, const char *text)
{
	const char *p;
	size_t n;

	if (!cl__reply_line(&p, &n, text) || n == 0 || n >= len)
		return 0;
	memcpy(link, p, n);
	link[n] = '\0';
	return 1;
}

/* Why the ticket is being reopened, to its owner, with the two fixes. */
static char *reopen_text(const char *ticket, const char *owner,
	const char *closed_by)
{
	cl_buf b = CL_BUF_INIT;

	cl__buf_printf(&b, "closeloop reopened this ticket: it was closed%s%s, "
		"but no reply to the customer is linked to it since it was last "
		"opened.\n\n", closed_by && *closed_by ? " by " : "",
		closed_by ? closed_by : "");
	if (owner && *owner)
		cl__buf_printf(&b, "%s, you own it: ", owner);
	else
		cl__buf_puts(&b, "It has no owner: assign it, then ");
	cl__buf_printf(&b, "answer the customer and link the reply, either with "
		"a comment holding a line\n\n    Customer-Reply: LINK\n\nor with "
		"`closeloop reply %s LINK`; then close it again.", ticket);
	return cl__buf_detach(&b);
}

/*
 * A ticket closed: reopen it (enforce) or record it (warn) when no reply
 * is linked since it was last opened; once per close. delivered is what
 * the tracker says: 1, 0, or -1 not asked yet; then the question goes
 * into the outbox ("check-close"), so that an event is handled at once
 * and a tracker that is down only delays the answer.
 */
static int on_closed(cl_engine *e, cl_tracker *t, const ticket_memory *known,
	const char *ticket, const char *actor, const char *owner, int64_t time,
	int delivered, const char *source)
{
	ticket_memory own;
	const ticket_memory *m = known;
	cl_ticket_state st;
	cl_verdict v;
	cl_action what;
	json_object *d;
	char *text, dedupe[600];
	int error;

	if (m == NULL) {
		if ((error = recall(&own, e, ticket)) < 0)
			return error;
		m = &own;
	}
	if (m->reported_id > m->opened_id || cl__memory_delivered(m) ||
	    delivered > 0) {
		e->stats.ignored++; /* delivered, or this close was handled */
		return 0;
	}
	if (delivered < 0) {
		d = json_object_new_object();
		json_object_object_add(d, "actor", actor && *actor ?
			json_object_new_string(actor) : NULL);
		json_object_object_add(d, "owner", owner && *owner ?
			json_object_new_string(owner) : NULL);
		json_object_object_add(d, "time", json_object_new_int64(time));
		json_object_object_add(d, "source", json_object_new_string(source));
		snprintf(dedupe, sizeof(dedupe), "check-close:%s:%" PRId64, ticket,
			(int64_t)m->opened_id);
		error = cl__engine_queue(e, t, ticket, "check-close",
			json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
			dedupe);
		json_object_put(d);
		return error;
	}
	memset(&st, 0, sizeof(st));
	st.exists = 1;
	st.closed = 1;
	st.owner = owner && *owner ? owner : NULL;
	st.delivered = 0;
	what = cl_policy_on_close(&v, &e->policy, &st);
	if (what == CL_ACTION_NONE)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "owner", owner && *owner ?
		json_object_new_string(owner) : NULL);
	json_object_object_add(d, "source", json_object_new_string(source));
	json_object_object_add(d, "action", json_object_new_string(
		what == CL_ACTION_REOPEN ? "reopen" : "record"));
	if ((error = cl__engine_record(e, CL_EVENT_CLOSED_NO_REPLY, ticket, actor, time,
			d)) < 0)
		return error;
	e->stats.closed_without_reply++;
	if (what != CL_ACTION_REOPEN)
		return 0;
	/* keyed by the opening the close ended: once per close */
	snprintf(dedupe, sizeof(dedupe), "reopen:%s:%" PRId64, ticket,
		(int64_t)m->opened_id);
	if ((text = reopen_text(ticket, owner, actor)) == NULL)
		return CL_ENOMEM;
	if ((error = cl__engine_queue(e, t, ticket, "reopen", NULL, dedupe)) == 0) {
		snprintf(dedupe, sizeof(dedupe), "reopen-comment:%s:%" PRId64,
			ticket, (int64_t)m->opened_id);
		/* the owner's business, not the customer's: a private note
		 * where the tracker has them */
		error = cl__engine_queue(e, t, ticket, (cl_tracker_caps(t) &
			CL_TRACKER_CAP_INTERNAL_NOTES) ? "internal-comment" :
			"comment", text, dedupe);
	}
	free(text);
	return error;
}

typedef struct {
	int answered, error, delivered;
	char message[256];
} delivery_answer;

static void on_delivery(const cl_ticket *tk, int error, const char *message,
	void *payload)
{
	delivery_answer *a = payload;

	a->answered = 1;
	a->error = error;
	if (error)
		snprintf(a->message, sizeof(a->message), "%s",
			message ? message : "tracker error");
	else
		a->delivered = tk->exists && tk->delivered > 0;
}

static int tracker_delivered(cl_engine *e, cl_tracker *t, const cl_ref *ref,
	int *delivered, int64_t deadline_ms)
{
	unsigned int flags = CL_FETCH_DELIVERY;
	delivery_answer a;
	int64_t started = cl_http_now_ms();
	int error;

	memset(&a, 0, sizeof(a));
	if ((error = cl_tracker_fetch(t, ref, &flags, 1, on_delivery, &a)) < 0)
		return error;
	cl_tracker_run(t, deadline_ms);
	cl__engine_count_call(e, started);
	if (!a.answered)
		return cl__error(CL_ETIMEOUT, "tracker %s did not answer in time",
			cl_tracker_name(t));
	if (a.error)
		return cl__error(a.error, "tracker %s: %s", cl_tracker_name(t),
			a.message);
	*delivered = a.delivered;
	return 0;
}

static int on_reply(cl_engine *e, const char *ticket, const char *actor,
	const char *link, int64_t time, const char *source)
{
	json_object *d = json_object_new_object();
	int error;

	json_object_object_add(d, "link", json_object_new_string(link));
	json_object_object_add(d, "source", json_object_new_string(source));
	if ((error = cl__engine_record(e, CL_EVENT_REPLY, ticket, actor, time, d)) == 0)
		e->stats.replies++;
	return error;
}

/* Anything the new owner of a pending handoff does acknowledges it. */
static int maybe_acknowledge(cl_engine *e, const ticket_memory *m,
	const char *ticket, const char *actor, int64_t time)
{
	json_object *d;
	int error;

	if (!cl__memory_handoff_pending(m) || actor == NULL ||
	    strcmp(actor, m->handoff_to) != 0)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "from", m->handoff_from[0] ?
		json_object_new_string(m->handoff_from) : NULL);
	json_object_object_add(d, "to", json_object_new_string(m->handoff_to));
	if ((error = cl__engine_record(e, CL_EVENT_HANDOFF_ACK, ticket, actor, time, d)) == 0)
		e->stats.acknowledged++;
	return error;
}

static int on_assigned(cl_engine *e, const ticket_memory *m,
	const char *ticket, const char *actor, const char *owner, int64_t time)
{
	json_object *d;
	int error;

	if (strcmp(owner, m->owner) == 0)
		return 0; /* no change of owner (a second assignee, a repeat) */
	d = json_object_new_object();
	json_object_object_add(d, "from", m->owner[0] ?
		json_object_new_string(m->owner) : NULL);
	json_object_object_add(d, "to", owner[0] ?
		json_object_new_string(owner) : NULL);
	if ((error = cl__engine_record(e, CL_EVENT_HANDOFF, ticket, actor, time, d)) < 0)
		return error;
	e->stats.handoffs++;
	/* taking a ticket oneself is its own acknowledgement */
	if (owner[0] && actor && strcmp(actor, owner) == 0) {
		ticket_memory now = *m;

		now.handoff_id = now.ack_id + 1;
		snprintf(now.handoff_to, sizeof(now.handoff_to), "%s", owner);
		snprintf(now.handoff_from, sizeof(now.handoff_from), "%s",
			m->owner);
		return maybe_acknowledge(e, &now, ticket, actor, time);
	}
	return 0;
}

/* Every close once (the audit's open/closed state comes from these). */
static int note_closed(cl_engine *e, ticket_memory *m,
	const char *ticket, const char *actor, const char *owner, int64_t time,
	const char *source)
{
	json_object *d;

	if (!cl__memory_open(m))
		return 0; /* this close is known already */
	d = json_object_new_object();
	json_object_object_add(d, "owner", owner && *owner ?
		json_object_new_string(owner) : NULL);
	json_object_object_add(d, "source", json_object_new_string(source));
	return cl__engine_record_into(e, m, CL_EVENT_CLOSED, ticket, actor, time,
		d);
}

/* A ticket the ledger has not seen open (new to closeloop, or reopened
 * where no webhook told): the reminders' clocks start at its opening. */
static int note_opened(cl_engine *e, ticket_memory *m,
	const char *ticket, const cl_ticket *tk, const char *source)
{
	json_object *d;
	int reopen = m->closed_id > 0;
	int64_t time = reopen || tk->created_at == 0 ? tk->updated_at :
		tk->created_at;

	if (m->opened_id > 0 && cl__memory_open(m))
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "reopen", json_object_new_boolean(reopen));
	json_object_object_add(d, "source", json_object_new_string(source));
	json_object_object_add(d, "owner", tk->owner && *tk->owner ?
		json_object_new_string(tk->owner) : NULL);
	return cl__engine_record_into(e, m, CL_EVENT_OPENED, ticket, NULL, time,
		d);
}

/* A sync that finds an open ticket in one of resolvedStatuses: the work
 * is done (once per opening), as a RESOLVED webhook event would say. */
static int note_resolved(cl_engine *e, cl_tracker *t, const ticket_memory *m,
	const char *ticket, const cl_ticket *tk)
{
	const char *const *statuses = NULL;
	size_t n = 0, i;
	char key[400];
	json_object *d;
	int error;

	if (tk->status == NULL || m->work_id > m->opened_id)
		return 0; /* work done already since it was opened */
	snprintf(key, sizeof(key), "tracker.%s.resolvedStatuses",
		cl_tracker_name(t));
	if (cl_config_get_list(&statuses, &n, e->cfg, key) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (cl__strcasecmp(statuses[i], tk->status) == 0)
			break;
	if (i == n)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "source", json_object_new_string("sync"));
	json_object_object_add(d, "status", json_object_new_string(tk->status));
	if ((error = cl__engine_record(e, CL_EVENT_WORK_DONE, ticket, NULL,
			tk->updated_at, d)) == 0)
		e->stats.work_done++;
	return error;
}

int cl_engine_event(cl_engine *e, cl_tracker *t, const cl_tevent *ev,
	const char *source, int64_t deadline_ms)
{
	char ticket[600], link[MAX_LINK];
	ticket_memory m;
	cl_ref ref;
	json_object *d;
	int error;

	if (e == NULL || t == NULL || ev == NULL)
		return cl__error(CL_EINVALID, "no engine, tracker or event");
	if (source == NULL)
		source = "webhook";
	if (ev->kind == CL_TEVENT_IGNORED || ev->by_closeloop) {
		e->stats.ignored++;
		return 0;
	}
	e->stats.events++;
	/* Backends answer only for their own project (events for others are
	 * ignored), where commits name tickets without one: "Fixes #7" */
	ref = ev->ref;
	if (!(cl_tracker_caps(t) & CL_TRACKER_CAP_JIRA_KEYS))
		ref.project = NULL;
	if ((error = cl_tracker_ticket_id(ticket, sizeof(ticket), t, &ref)) < 0 ||
	    (error = recall(&m, e, ticket)) < 0)
		return error;
	if ((error = maybe_acknowledge(e, &m, ticket, ev->actor, ev->time)) < 0)
		return error;
	switch (ev->kind) {
	case CL_TEVENT_OPENED:
	case CL_TEVENT_REOPENED:
		d = json_object_new_object();
		json_object_object_add(d, "reopen",
			json_object_new_boolean(ev->kind == CL_TEVENT_REOPENED));
		json_object_object_add(d, "source", json_object_new_string(source));
		json_object_object_add(d, "owner", ev->owner[0] ?
			json_object_new_string(ev->owner) : NULL);
		if ((error = cl__engine_record(e, CL_EVENT_OPENED, ticket, ev->actor,
				ev->time, d)) < 0)
			return error;
		if (ev->owner[0] && (error = on_assigned(e, &m, ticket, ev->actor,
				ev->owner, ev->time)) < 0)
			return error;
		return 0;
	case CL_TEVENT_CLOSED:
		if ((error = note_closed(e, &m, ticket, ev->actor, ev->owner,
				ev->time, source)) < 0)
			return error;
		return on_closed(e, t, &m, ticket, ev->actor, ev->owner, ev->time, -1,
			source);
	case CL_TEVENT_ASSIGNED:
		return on_assigned(e, &m, ticket, ev->actor, ev->owner, ev->time);
	case CL_TEVENT_COMMENT:
		if (ev->comment && reply_line(link, sizeof(link), ev->comment))
			return on_reply(e, ticket, ev->actor, link, ev->time, source);
		return 0;
	case CL_TEVENT_RESOLVED:
		d = json_object_new_object();
		json_object_object_add(d, "source", json_object_new_string(source));
		if ((error = cl__engine_record(e, CL_EVENT_WORK_DONE, ticket, ev->actor,
				ev->time, d)) == 0)
			e->stats.work_done++;
		return error;
	case CL_TEVENT_ACTIVITY:
	case CL_TEVENT_IGNORED:
		break;
	}
	return 0;
}

int cl_engine_ticket(cl_engine *e, cl_tracker *t, const cl_ticket *tk,
	int64_t deadline_ms)
{
	char ticket[600];
	ticket_memory m;
	int error;

	if (e == NULL || t == NULL || tk == NULL)
		return cl__error(CL_EINVALID, "no engine, tracker or ticket");
	if (!tk->exists)
		return 0;
	if ((error = cl_tracker_ticket_id(ticket, sizeof(ticket), t,
			&tk->ref)) < 0 ||
	    (error = recall(&m, e, ticket)) < 0)
		return error;
	(void)deadline_ms;
	if (!tk->closed) {
		if ((error = note_opened(e, &m, ticket, tk, "sync")) < 0)
			return error;
		/* a new owner nobody told by webhook: a handoff (whose
		 * acknowledgement the reminder pass looks for). Only from a
		 * known owner: a first owner learnt by a sync is no handoff
		 * (nobody knows whether it was acknowledged) */
		if (m.owner[0] != '\0' &&
		    strcmp(tk->owner ? tk->owner : "", m.owner) != 0 &&
		    (error = on_assigned(e, &m, ticket, NULL,
			    tk->owner ? tk->owner : "", tk->updated_at)) < 0)
			return error;
		return note_resolved(e, t, &m, ticket, tk);
	}
	if ((error = note_closed(e, &m, ticket, NULL, tk->owner,
			tk->updated_at, "sync")) < 0)
		return error;
	return on_closed(e, t, &m, ticket, NULL, tk->owner, tk->updated_at,
		tk->delivered, "sync");
}

int cl_engine_reply(cl_engine *e, cl_tracker *t, const cl_ref *ref,
	const char *link, const char *by, const char *source)
{
	char ticket[600], dedupe[MAX_LINK + 700];
	int error;

	if (e == NULL || t == NULL || ref == NULL || link == NULL || !*link)
		return cl__error(CL_EINVALID, "no engine, tracker, ticket or link");
	if (strlen(link) >= MAX_LINK)
		return cl__error(CL_EINVALID, "the link is longer than %d bytes",
			MAX_LINK - 1);
	if ((error = cl_tracker_ticket_id(ticket, sizeof(ticket), t, ref)) < 0 ||
	    (error = on_reply(e, ticket, by, link, 0, source)) < 0)
		return error;
	snprintf(dedupe, sizeof(dedupe), "set-reply:%s:%s", ticket, link);
	return cl__engine_queue(e, t, ticket, "set-reply", link, dedupe);
}

/* ------------------------------------------------------------------ */
/* The outbox                                                          */
/* ------------------------------------------------------------------ */

static cl_tracker *find_tracker(cl_tracker *const *trackers, size_t n,
	const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(cl_tracker_name(trackers[i]), name) == 0)
			return trackers[i];
	return NULL;
}

/* "support:42" -> the tracker's ref; the name part is the tracker's. */
int cl__engine_parse_ticket(cl_ref *ref, char *project, size_t plen,
	const char *ticket)
{
	const char *colon = strchr(ticket, ':'), *num, *sep;
	char *end;

	memset(ref, 0, sizeof(*ref));
	ref->kind = CL_REF_MENTION;
	if (colon == NULL)
		return cl__error(CL_EINVALID, "bad ticket id '%s'", ticket);
	num = colon + 1;
	if ((sep = strrchr(num, '#')) != NULL || (sep = strrchr(num, '-')) != NULL) {
		if ((size_t)(sep - num) >= plen)
			return cl__error(CL_EINVALID, "bad ticket id '%s'", ticket);
		memcpy(project, num, (size_t)(sep - num));
		project[sep - num] = '\0';
		ref->project = project;
		num = sep + 1;
	}
	ref->number = strtoull(num, &end, 10);
	if (*num == '\0' || *end != '\0' || ref->number == 0)
		return cl__error(CL_EINVALID, "bad ticket id '%s'", ticket);
	return 0;
}

/* The tracker's word on a closed ticket, then the decision. */
static int check_close(cl_engine *e, cl_tracker *t, const cl_outbox_item *a,
	const cl_ref *ref, int64_t deadline_ms)
{
	char actor[CL_TEVENT_MAX_NAME], owner[CL_TEVENT_MAX_NAME];
	char source[32];
	json_object *root, *v;
	int64_t time = 0;
	int delivered = 0, error;

	if ((error = tracker_delivered(e, t, ref, &delivered, deadline_ms)) < 0)
		return error;
	detail_string(actor, sizeof(actor), a->body, "actor");
	detail_string(owner, sizeof(owner), a->body, "owner");
	detail_string(source, sizeof(source), a->body, "source");
	if (a->body && (root = json_tokener_parse(a->body)) != NULL) {
		if (json_object_object_get_ex(root, "time", &v))
			time = json_object_get_int64(v);
		json_object_put(root);
	}
	return on_closed(e, t, NULL, a->ticket, actor, owner, time, delivered,
		source[0] ? source : "webhook");
}

static int perform(cl_engine *e, cl_tracker *t, const cl_outbox_item *a,
	int64_t deadline_ms)
{
	char project[256];
	cl_ref ref;
	int64_t started;
	int error;

	if ((error = cl__engine_parse_ticket(&ref, project, sizeof(project), a->ticket)) < 0)
		return error;
	started = cl_http_now_ms();
	if (strcmp(a->action, "reopen") == 0)
		error = cl_tracker_reopen(t, &ref, deadline_ms);
	else if (strcmp(a->action, "comment") == 0 ||
		 strcmp(a->action, "internal-comment") == 0)
		error = cl_tracker_comment(t, &ref, a->body ? a->body : "",
			strcmp(a->action, "internal-comment") == 0, deadline_ms);
	else if (strcmp(a->action, "set-reply") == 0)
		error = cl_tracker_set_reply(t, &ref, a->body ? a->body : "", NULL,
			deadline_ms);
	else if (strcmp(a->action, "check-close") == 0)
		return check_close(e, t, a, &ref, deadline_ms);
	else
		return cl__error(CL_EINVALID, "unknown outbox action '%s'",
			a->action);
	cl__engine_count_call(e, started);
	if (error == 0 && strcmp(a->action, "reopen") == 0) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "why",
			json_object_new_string("closed without a customer reply"));
		error = cl__engine_record(e, CL_EVENT_REOPENED, a->ticket, "closeloop", 0, d);
	}
	return error;
}

/* Full jitter: a random wait up to the exponential cap, or what the
 * tracker asked for when it said (Retry-After, rate-limit reset). */
static int64_t backoff(cl_engine *e, int attempts, long retry_after)
{
	int64_t cap = BACKOFF_BASE_S;
	int i;

	if (retry_after > 0)
		return retry_after;
	for (i = 0; i < attempts && cap < BACKOFF_MAX_S; i++)
		cap *= 2;
	if (cap > BACKOFF_MAX_S)
		cap = BACKOFF_MAX_S;
	return 1 + (int64_t)(rand_r(&e->seed) % (unsigned int)cap);
}

int cl_engine_flush(cl_engine *e, cl_tracker *const *trackers, size_t n,
	size_t *sent, int64_t deadline_ms)
{
	cl_outbox_item *items = NULL;
	size_t count = 0, i;
	int error = 0;

	if (e == NULL || sent == NULL)
		return cl__error(CL_EINVALID, "no engine");
	*sent = 0;
	while (cl_http_now_ms() < deadline_ms) {
		if ((error = cl_store_outbox_due(e->store, cl_clock_now(),
				FLUSH_BATCH, &items, &count)) < 0)
			return error;
		if (count == 0)
			break;
		for (i = 0; i < count && error == 0; i++) {
			const cl_outbox_item *a = &items[i];
			cl_tracker *t = find_tracker(trackers, n, a->tracker);
			int r;

			if (t == NULL) {
				error = cl_store_outbox_failed(e->store, a->id,
					"no such tracker in the configuration");
				e->stats.actions_failed++;
				continue;
			}
			r = perform(e, t, a, deadline_ms);
			if (r == 0) {
				error = cl_store_outbox_done(e->store, a->id);
				e->stats.actions_done++;
				(*sent)++;
			} else if (r == CL_EINVALID || a->attempts + 1 >= OUTBOX_MAX_ATTEMPTS) {
				error = cl_store_outbox_failed(e->store, a->id,
					cl_error_last()->message);
				e->stats.actions_failed++;
			} else {
				char why[512];

				snprintf(why, sizeof(why), "%s", cl_error_last()->message);
				error = cl_store_outbox_retry(e->store, a->id,
					cl_clock_now() + backoff(e, a->attempts,
						cl_http_retry_after(cl_tracker_http(t))),
					why);
				e->stats.actions_retried++;
			}
		}
		cl_outbox_items_free(items, count);
		items = NULL;
		if (error < 0 || count < FLUSH_BATCH)
			break;
	}
	return error;
}

/* ------------------------------------------------------------------ */
/* Sync                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
	cl_engine *e;
	cl_tracker *t;
	int64_t deadline_ms;
	size_t seen;
	int error;
	char message[512];
} sync_run;

static void on_changed(const cl_ticket *tk, int error, const char *message,
	void *payload)
{
	sync_run *s = payload;
	int r;

	s->seen++;
	if (s->error)
		return;
	if (error) {
		s->error = error;
		snprintf(s->message, sizeof(s->message), "%s",
			message ? message : "tracker error");
		return;
	}
	if ((r = cl_engine_ticket(s->e, s->t, tk, s->deadline_ms)) < 0) {
		s->error = r;
		snprintf(s->message, sizeof(s->message), "%s",
			cl_error_last()->message);
	}
}

int cl_engine_sync(cl_engine *e, cl_tracker *t, int64_t since, size_t *seen,
	int64_t deadline_ms)
{
	char name[300], value[32], *saved = NULL;
	int64_t newest = 0, started;
	sync_run s;
	int error;

	if (e == NULL || t == NULL || seen == NULL)
		return cl__error(CL_EINVALID, "no engine or tracker");
	*seen = 0;
	snprintf(name, sizeof(name), "sync:%s", cl_tracker_name(t));
	if (since == 0) {
		if ((error = cl_store_cursor_get(e->store, name, &saved)) < 0)
			return error;
		since = saved ? strtoll(saved, NULL, 10) - SYNC_OVERLAP_S :
			cl_clock_now() - FIRST_SYNC_LOOKBACK_S;
		cl_free(saved);
	}
	memset(&s, 0, sizeof(s));
	s.e = e;
	s.t = t;
	s.deadline_ms = deadline_ms;
	started = cl_http_now_ms();
	error = cl_tracker_changes(t, since, on_changed, &s, &newest,
		deadline_ms);
	cl__engine_count_call(e, started);
	*seen = s.seen;
	if (error < 0)
		return error;
	if (s.error)
		return cl__error(s.error, "%s", s.message);
	if (newest > since) {
		snprintf(value, sizeof(value), "%" PRId64, newest);
		if ((error = cl_store_cursor_set(e->store, name, value)) < 0)
			return error;
	}
	/* the tracker answers again: the pushes it could not check */
	return cl_engine_recheck(e, t, &(size_t){ 0 }, deadline_ms);
}

/* ------------------------------------------------------------------ */
/* Pushes accepted while the tracker was down                          */
/* ------------------------------------------------------------------ */

#define RECHECK_MAX_TICKETS 1000

typedef struct {
	int64_t id;
	char *detail;
} unverified;

typedef struct {
	unverified *items;
	size_t n, cap;
	int64_t after;
} unverified_list;

static int collect_unverified(const cl_event *ev, void *payload)
{
	unverified_list *l = payload;

	if (ev->id <= l->after)
		return 0;
	if (CL__GROW(l->items, l->n, l->cap, 16) < 0)
		return CL_ENOMEM;
	l->items[l->n].id = ev->id;
	if ((l->items[l->n].detail = cl__strdup(ev->detail ? ev->detail :
			"{}")) == NULL)
		return CL_ENOMEM;
	l->n++;
	return 0;
}

typedef struct {
	char name[600];
	cl_ref ref;
	char project[256];
	int closing, answered, error, exists, owned, delivered;
} recheck_ticket;

static void on_recheck(const cl_ticket *tk, int error, const char *message,
	void *payload)
{
	recheck_ticket *r = payload;

	(void)message;
	r->answered = 1;
	r->error = error;
	if (!error) {
		r->exists = tk->exists;
		r->owned = tk->owner != NULL;
		r->delivered = tk->delivered > 0;
	}
}

/* One push's tickets of tracker t, looked up now. 0 (recorded), or an
 * error when the tracker still cannot answer (tried again next time). */
static int recheck_push(cl_engine *e, cl_tracker *t, const unverified *u,
	int64_t deadline_ms)
{
	json_object *root = json_tokener_parse(u->detail), *tickets = NULL,
		*closing = NULL, *d, *problems;
	recheck_ticket *rs = NULL;
	size_t i, j, n = 0, count;
	char prefix[300];
	int error = 0;

	snprintf(prefix, sizeof(prefix), "%s:", cl_tracker_name(t));
	if (root == NULL || !json_object_object_get_ex(root, "tickets", &tickets) ||
	    !json_object_is_type(tickets, json_type_array)) {
		json_object_put(root);
		return 0; /* an old event without tickets: nothing to check */
	}
	json_object_object_get_ex(root, "closing", &closing);
	count = json_object_array_length(tickets);
	if (count > RECHECK_MAX_TICKETS)
		count = RECHECK_MAX_TICKETS;
	if ((rs = cl__calloc(count ? count : 1, sizeof(*rs))) == NULL) {
		json_object_put(root);
		return CL_ENOMEM;
	}
	for (i = 0; i < count; i++) {
		const char *name = json_object_get_string(
			json_object_array_get_idx(tickets, i));
		recheck_ticket *r = &rs[n];

		if (name == NULL || strncmp(name, prefix, strlen(prefix)) != 0 ||
		    cl__engine_parse_ticket(&r->ref, r->project, sizeof(r->project), name) < 0)
			continue;
		snprintf(r->name, sizeof(r->name), "%s", name);
		for (j = 0; closing && j < json_object_array_length(closing); j++) {
			const char *c = json_object_get_string(
				json_object_array_get_idx(closing, j));

			if (c && strcmp(name, c) == 0)
				r->closing = 1;
		}
		n++;
	}
	for (i = 0; i < n && error == 0; i++) {
		unsigned int flags = rs[i].closing ? CL_FETCH_DELIVERY : 0;

		error = cl_tracker_fetch(t, &rs[i].ref, &flags, 1, on_recheck,
			&rs[i]);
	}
	if (error == 0 && n > 0)
		cl_tracker_run(t, deadline_ms);
	for (i = 0; i < n && error == 0; i++)
		if (!rs[i].answered || rs[i].error)
			error = cl__error(rs[i].answered ? rs[i].error : CL_ETIMEOUT,
				"tracker %s could not re-check %s", cl_tracker_name(t),
				rs[i].name);
	if (error == 0) {
		d = json_object_new_object();
		problems = json_object_new_array();
		for (i = 0; i < n; i++) {
			const char *problem = !rs[i].exists ? "ticket-exists" :
				rs[i].closing && !rs[i].owned ? "owner-required" :
				rs[i].closing && !rs[i].delivered ?
				"reply-before-close" : NULL;
			json_object *p;

			if (problem == NULL)
				continue;
			p = json_object_new_object();
			json_object_object_add(p, "ticket",
				json_object_new_string(rs[i].name));
			json_object_object_add(p, "rule",
				json_object_new_string(problem));
			json_object_array_add(problems, p);
		}
		json_object_object_add(d, "push", json_object_new_int64(u->id));
		json_object_object_add(d, "tickets",
			json_object_new_int64((int64_t)n));
		json_object_object_add(d, "problems", problems);
		error = cl__engine_record(e, CL_EVENT_PUSH_RECHECKED, NULL, "closeloop", 0, d);
	}
	free(rs);
	json_object_put(root);
	return error;
}

int cl_engine_recheck(cl_engine *e, cl_tracker *t, size_t *checked,
	int64_t deadline_ms)
{
	cl_event_filter f = CL_EVENT_FILTER_INIT;
	unverified_list l;
	char name[300], value[32], *saved = NULL;
	size_t i;
	int error;

	if (e == NULL || t == NULL || checked == NULL)
		return cl__error(CL_EINVALID, "no engine or tracker");
	*checked = 0;
	memset(&l, 0, sizeof(l));
	snprintf(name, sizeof(name), "recheck:%s", cl_tracker_name(t));
	if ((error = cl_store_cursor_get(e->store, name, &saved)) < 0)
		return error;
	l.after = saved ? strtoll(saved, NULL, 10) : 0;
	cl_free(saved);
	f.type = CL_EVENT_PUSH_UNVERIFIED;
	error = cl_store_foreach(e->store, &f, collect_unverified, &l);
	for (i = 0; i < l.n && error == 0; i++) {
		if ((error = recheck_push(e, t, &l.items[i], deadline_ms)) < 0)
			break;
		(*checked)++;
		snprintf(value, sizeof(value), "%" PRId64, l.items[i].id);
		error = cl_store_cursor_set(e->store, name, value);
	}
	for (i = 0; i < l.n; i++)
		free(l.items[i].detail);
	free(l.items);
	return error;
}
