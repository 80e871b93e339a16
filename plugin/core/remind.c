/*
 * remind.c: the reminder pass. The ledger is read once, in id order, into
 * one memory per ticket of the tracker (engine_int.h); the policy says
 * which reminders would be due by what the ledger knows; only those
 * tickets are looked up in the tracker (one batch), whose answer is the
 * truth on owner, state, snooze label and a reply in its field; what is
 * still due is queued as a comment and recorded as reminder.sent.
 *
 * The clocks are ledger events from the tracker's people and from
 * commits; closeloop's own comments are never events (the backends mark
 * them and the engine ignores them), so no reminder resets a clock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "engine_int.h"
#include "map_int.h"
#include <closeloop/sys/tracker.h>

/* Tickets looked up per pass at most; the rest wait for the next pass
 * (oldest clocks first would be fairer; ledger order is close to it). */
#define REMIND_MAX_LOOKUPS 5000

typedef struct {
	const char *ticket;   /* the map's key */
	cl__ticket_memory m;
	/* the tracker's answer */
	int asked, answered, error;
	int exists, closed, snoozed, delivered;
	int64_t owner_active_at;
	char *owner;
} remind_entry;

typedef struct {
	const char *prefix;   /* "support:" */
	size_t prefix_len;
	cl__map map;          /* ticket -> index in items */
	remind_entry *items;
	size_t n, cap;
	int error;
} ticket_table;

static remind_entry *table_get(ticket_table *t, const char *ticket)
{
	size_t ix;
	int found = cl__map_put(&t->map, &ix, ticket, strlen(ticket));

	if (found < 0)
		return NULL;
	if (!found) {
		if (CL__GROW(t->items, ix, t->cap, 256) < 0)
			return NULL;
		memset(&t->items[ix], 0, sizeof(t->items[ix]));
		t->items[ix].ticket = t->map.keys[ix];
		t->n = ix + 1;
	}
	return &t->items[ix];
}

static void table_free(ticket_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->items[i].owner);
	free(t->items);
	cl__map_free(&t->map);
}

static int collect(const cl_event *ev, void *payload)
{
	ticket_table *t = payload;
	remind_entry *e;

	if (ev->ticket == NULL ||
	    strncmp(ev->ticket, t->prefix, t->prefix_len) != 0)
		return 0;
	if ((e = table_get(t, ev->ticket)) == NULL)
		return t->error = CL_ENOMEM;
	cl__memory_add(&e->m, ev);
	return 0;
}

/* The ticket as the ledger alone tells it. */
static void ledger_state(cl_ticket_state *st, const cl__ticket_memory *m)
{
	memset(st, 0, sizeof(*st));
	st->exists = 1;
	st->owner = m->owner[0] ? m->owner : NULL;
	if (cl__memory_handoff_pending(m)) {
		st->new_owner = m->handoff_to;
		st->handoff_at = m->handoff_time;
	}
	st->delivered = cl__memory_delivered(m);
	st->opened_at = m->opened_time;
	st->work_done_at = m->work_id > m->opened_id ? m->work_time : 0;
}

/* ... corrected by what the tracker says now. */
static void tracker_state(cl_ticket_state *st, const remind_entry *e)
{
	ledger_state(st, &e->m);
	st->exists = e->exists;
	st->closed = e->closed;
	st->snoozed = e->snoozed;
	st->owner = e->owner;
	/* owned by someone else than the handoff's new owner: the handoff
	 * was overtaken by another nobody told closeloop about */
	if (st->new_owner && (e->owner == NULL ||
			strcmp(e->owner, st->new_owner) != 0)) {
		st->new_owner = NULL;
		st->handoff_at = 0;
	}
	st->delivered = st->delivered || e->delivered > 0;
}

typedef struct {
	ticket_table *table;
	const cl_ref *refs;
	const size_t *which;
	size_t n;
} lookup;

static int same_ref(const cl_ref *a, const cl_ref *b)
{
	if (a->number != b->number)
		return 0;
	if (a->project == NULL || b->project == NULL)
		return 1; /* a tracker answers for its one project */
	return strcmp(a->project, b->project) == 0;
}

/*
 * Trackers without webhooks tell no acknowledgement as it happens; the
 * journals do: the new owner wrote one since the handoff. Recorded like
 * a webhook's (not in a dry run), and the handoff's clock stops.
 */
static int acknowledged(cl_engine *e, remind_entry *en, cl_ticket_state *st,
	unsigned int flags)
{
	json_object *d;
	int error;

	if (st->new_owner == NULL || en->owner_active_at == 0 ||
	    en->owner_active_at < en->m.handoff_time)
		return 0;
	st->new_owner = NULL;
	st->handoff_at = 0;
	if (flags & CL_REMIND_DRY_RUN)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "from", en->m.handoff_from[0] ?
		json_object_new_string(en->m.handoff_from) : NULL);
	json_object_object_add(d, "to", json_object_new_string(en->m.handoff_to));
	json_object_object_add(d, "source", json_object_new_string("journals"));
	if ((error = cl__engine_record(e, CL_EVENT_HANDOFF_ACK, en->ticket,
			en->m.handoff_to, en->owner_active_at, d)) < 0)
		return error;
	e->stats.acknowledged++;
	return 0;
}

static void on_answer(const cl_ticket *tk, int error, const char *message,
	void *payload)
{
	lookup *l = payload;
	remind_entry *e = NULL;
	size_t i;

	(void)message;
	for (i = 0; i < l->n && e == NULL; i++)
		if (same_ref(&l->refs[i], &tk->ref) &&
		    !l->table->items[l->which[i]].answered)
			e = &l->table->items[l->which[i]];
	if (e == NULL)
		return;
	e->answered = 1;
	if ((e->error = error) != 0)
		return;
	e->exists = tk->exists;
	e->closed = tk->closed;
	e->snoozed = tk->snoozed;
	e->delivered = tk->delivered;
	e->owner_active_at = tk->owner_active_at;
	free(e->owner);
	e->owner = tk->owner && *tk->owner ? cl__strdup(tk->owner) : NULL;
}

static int minute_of_day(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_hour * 60 + tm.tm_min;
}

/* "3d 4h", "5h 10m", "12m" */
static void age_text(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%" PRId64 "d %" PRId64 "h", s / 86400,
			(s % 86400) / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRId64 "h %" PRId64 "m", s / 3600,
			(s % 3600) / 60);
	else
		snprintf(buf, len, "%" PRId64 "m", s / 60);
}

/* How a person is named in a comment: a mention where the tracker turns
 * "@login" into a notification. */
static void name_person(cl_buf *b, const cl_tracker *t, const char *login)
{
	const char *type = cl_tracker_type(t);
	int mention = strcmp(type, "github") == 0 || strcmp(type, "gitea") == 0 ||
		strcmp(type, "gitlab") == 0;

	cl__buf_printf(b, "%s%s", mention ? "@" : "", login);
}

static char *reminder_text(const cl_tracker *t, const char *ticket,
	const cl_reminder *r, const cl_ticket_state *st,
	const cl__ticket_memory *m, const char *escalate_to, int count,
	int64_t now)
{
	cl_buf b = CL_BUF_INIT;
	char age[32];

	age_text(age, sizeof(age), now - r->since);
	switch (r->rule) {
	case CL_RULE_OWNER_REQUIRED:
		cl__buf_printf(&b, "closeloop reminder: this ticket has been open "
			"for %s without an owner. Assign it to the person who will "
			"answer the customer; until then nobody is accountable for "
			"the reply.", age);
		break;
	case CL_RULE_HANDOFF_ACK:
		cl__buf_puts(&b, "closeloop reminder: ");
		name_person(&b, t, st->new_owner);
		cl__buf_printf(&b, ", this ticket was handed to you %s ago", age);
		if (m->handoff_from[0]) {
			cl__buf_puts(&b, " by ");
			name_person(&b, t, m->handoff_from);
		}
		cl__buf_puts(&b, " and you have not taken it over yet: a comment "
			"or any change from you acknowledges it.");
		if (m->handoff_from[0]) {
			cl__buf_puts(&b, " ");
			name_person(&b, t, m->handoff_from);
			cl__buf_puts(&b, ", you stay accountable for it until then.");
		}
		break;
	default:
		cl__buf_printf(&b, "closeloop reminder: the work on this ticket was "
			"done %s ago, but no reply to the customer is linked to it "
			"yet.\n\n", age);
		if (st->owner) {
			name_person(&b, t, st->owner);
			cl__buf_puts(&b, ", you own it: answer");
		} else
			cl__buf_puts(&b, "It has no owner: assign it, then answer");
		cl__buf_printf(&b, " the customer and link the reply, either with "
			"a comment holding a line\n\n    Customer-Reply: LINK\n\nor "
			"with `closeloop reply %s LINK`.", ticket);
		break;
	}
	if (escalate_to) {
		cl__buf_printf(&b, "\n\nReminder %d: escalated to ", count);
		name_person(&b, t, escalate_to);
		cl__buf_puts(&b, ".");
	}
	return cl__buf_detach(&b);
}

static int send_reminder(cl_engine *e, cl_tracker *t, remind_entry *en,
	const cl_reminder *r, const cl_ticket_state *st, unsigned int flags,
	cl_reminder_cb cb, void *payload, int64_t now)
{
	const char *escalate_to = NULL;
	int internal = (cl_tracker_caps(t) & CL_TRACKER_CAP_INTERNAL_NOTES) != 0;
	int count = en->m.reminders[r->rule].count + 1;
	int posted = !(flags & CL_REMIND_DRY_RUN) && r->action == CL_ACTION_REMIND;
	cl_reminder_note note;
	json_object *d, *to;
	char dedupe[800], *text;
	int error = 0;

	if (r->escalate)
		cl_config_get_string(&escalate_to, e->cfg, "remind.escalateTo");
	if (escalate_to && *escalate_to == '\0')
		escalate_to = NULL;
	if ((text = reminder_text(t, en->ticket, r, st, &en->m, escalate_to,
			count, now)) == NULL)
		return CL_ENOMEM;
	memset(&note, 0, sizeof(note));
	note.ticket = en->ticket;
	note.rule = r->rule;
	note.owner = r->rule == CL_RULE_HANDOFF_ACK ? st->new_owner : st->owner;
	note.previous = r->rule == CL_RULE_HANDOFF_ACK && en->m.handoff_from[0] ?
		en->m.handoff_from : NULL;
	note.escalate_to = escalate_to;
	note.text = text;
	note.count = count;
	note.internal = internal;
	note.posted = posted;
	note.since = r->since;
	if (flags & CL_REMIND_DRY_RUN)
		goto done;
	if (posted) {
		/* one per ticket, rule, clock and count: a pass that runs
		 * twice (two receivers, a retry) queues it once */
		snprintf(dedupe, sizeof(dedupe), "remind:%s:%s:%" PRId64 ":%d",
			en->ticket, cl_rule_name(r->rule), r->since, count);
		if ((error = cl__engine_queue(e, t, en->ticket, internal ?
				"internal-comment" : "comment", text, dedupe)) < 0)
			goto done;
	}
	d = json_object_new_object();
	to = json_object_new_array();
	if (note.owner)
		json_object_array_add(to, json_object_new_string(note.owner));
	if (note.previous)
		json_object_array_add(to, json_object_new_string(note.previous));
	if (escalate_to)
		json_object_array_add(to, json_object_new_string(escalate_to));
	json_object_object_add(d, "rule",
		json_object_new_string(cl_rule_name(r->rule)));
	json_object_object_add(d, "to", to);
	json_object_object_add(d, "escalated", json_object_new_boolean(
		escalate_to != NULL));
	json_object_object_add(d, "count", json_object_new_int(count));
	json_object_object_add(d, "internal", json_object_new_boolean(internal));
	json_object_object_add(d, "posted", json_object_new_boolean(posted));
	json_object_object_add(d, "since", json_object_new_int64(r->since));
	if ((error = cl__engine_record(e, CL_EVENT_REMINDER, en->ticket,
			"closeloop", now, d)) < 0)
		goto done;
	if (posted)
		e->stats.reminders[r->rule]++;
done:
	if (error == 0 && cb)
		cb(&note, payload);
	free(text);
	return error;
}

int cl_engine_remind(cl_engine *e, cl_tracker *t, unsigned int flags,
	cl_reminder_cb cb, void *payload, size_t *due, int64_t deadline_ms)
{
	ticket_table table;
	lookup look;
	cl_ref *refs = NULL;
	unsigned int *fetch_flags = NULL;
	size_t *which = NULL, nask = 0, i, j, failed = 0;
	char prefix[300], (*projects)[256] = NULL;
	int64_t now = cl_clock_now(), started;
	int minute = minute_of_day(now);
	int error = 0;

	if (e == NULL || t == NULL || due == NULL)
		return cl__error(CL_EINVALID, "no engine or tracker");
	*due = 0;
	memset(&table, 0, sizeof(table));
	snprintf(prefix, sizeof(prefix), "%s:", cl_tracker_name(t));
	table.prefix = prefix;
	table.prefix_len = strlen(prefix);
	if ((error = cl_store_foreach(e->store, NULL, collect, &table)) < 0 ||
	    (error = table.error) < 0)
		goto out;

	/* which tickets would get one, by the ledger */
	refs = cl__calloc(table.n + 1, sizeof(*refs));
	fetch_flags = cl__calloc(table.n + 1, sizeof(*fetch_flags));
	which = cl__calloc(table.n + 1, sizeof(*which));
	projects = cl__calloc(table.n + 1, sizeof(*projects));
	if (!refs || !fetch_flags || !which || !projects) {
		error = CL_ENOMEM;
		goto out;
	}
	for (i = 0; i < table.n && nask < REMIND_MAX_LOOKUPS; i++) {
		remind_entry *en = &table.items[i];
		cl_reminder r[3];
		cl_ticket_state st;
		size_t n;

		if (!cl__memory_open(&en->m))
			continue;
		ledger_state(&st, &en->m);
		n = cl_policy_reminders_due(r, &e->policy, &st, en->m.reminders,
			now, minute);
		if (n == 0 || cl__engine_parse_ticket(&refs[nask], projects[nask],
				sizeof(projects[nask]), en->ticket) < 0)
			continue;
		/* the journals (Redmine) say whether a reply came, and
		 * whether the new owner has acted since the handoff */
		for (j = 0; j < n; j++)
			if (r[j].rule == CL_RULE_REPLY_DUE ||
			    r[j].rule == CL_RULE_HANDOFF_ACK)
				fetch_flags[nask] = CL_FETCH_DELIVERY;
		en->asked = 1;
		which[nask++] = i;
	}
	if (nask == 0)
		goto out;

	/* the tracker's word on them, in one batch */
	started = cl_http_now_ms();
	look.table = &table;
	look.refs = refs;
	look.which = which;
	look.n = nask;
	if ((error = cl_tracker_fetch(t, refs, fetch_flags, nask, on_answer,
			&look)) < 0)
		goto out;
	cl_tracker_run(t, deadline_ms);
	cl__engine_count_call(e, started);

	for (i = 0; i < nask; i++) {
		remind_entry *en = &table.items[which[i]];
		cl_reminder r[3];
		cl_ticket_state st;
		size_t n;

		if (!en->answered || en->error) {
			failed++;
			continue;
		}
		tracker_state(&st, en);
		if ((error = acknowledged(e, en, &st, flags)) < 0)
			goto out;
		n = cl_policy_reminders_due(r, &e->policy, &st, en->m.reminders,
			now, minute);
		for (j = 0; j < n && error == 0; j++) {
			error = send_reminder(e, t, en, &r[j], &st, flags, cb,
				payload, now);
			(*due)++;
		}
		if (error < 0)
			goto out;
	}
	if (failed > 0)
		error = cl__error(CL_ETRACKER, "tracker %s did not answer for %zu "
			"of %zu tickets; their reminders wait for the next pass",
			cl_tracker_name(t), failed, nask);
out:
	free(refs);
	free(fetch_flags);
	free(which);
	free(projects);
	table_free(&table);
	return error;
}
