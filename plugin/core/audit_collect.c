/*
 * audit_collect.c: the audit's one pass over the ledger, in id order.
 *
 * Two views come out of the same pass. What happened (closes without a
 * reply, overrides, reminders, reply waits...) counts only for events
 * inside [since, until). What is true at the end of the period (who owns
 * an open ticket, which handoff waits for its acknowledgement, which fixed
 * ticket still waits for its reply) needs every event before until, so
 * the pass starts at the beginning of the ledger whatever since says.
 *
 * Detail JSON is read only for the event types that need a field of it,
 * with the scanner of audit_detail.c; names are interned, tickets found
 * by hash: an audit of a million events stays within a second or two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

typedef enum {
	EV_OTHER = 0,
	EV_OPENED,
	EV_REOPENED,
	EV_CLOSED,
	EV_CLOSED_NO_REPLY,
	EV_HANDOFF,
	EV_HANDOFF_ACK,
	EV_WORK_DONE,
	EV_REPLY,
	EV_OVERRIDE,
	EV_UNVERIFIED,
	EV_RECHECKED,
	EV_REMINDER
} event_kind;

static const struct {
	const char *type;
	event_kind kind;
} kinds[] = {
	{ CL_EVENT_OPENED, EV_OPENED },
	{ CL_EVENT_REOPENED, EV_REOPENED },
	{ CL_EVENT_CLOSED, EV_CLOSED },
	{ CL_EVENT_CLOSED_NO_REPLY, EV_CLOSED_NO_REPLY },
	{ CL_EVENT_HANDOFF, EV_HANDOFF },
	{ CL_EVENT_HANDOFF_ACK, EV_HANDOFF_ACK },
	{ CL_EVENT_WORK_DONE, EV_WORK_DONE },
	{ CL_EVENT_REPLY, EV_REPLY },
	{ CL_EVENT_OVERRIDE, EV_OVERRIDE },
	{ CL_EVENT_PUSH_UNVERIFIED, EV_UNVERIFIED },
	{ CL_EVENT_PUSH_RECHECKED, EV_RECHECKED },
	{ CL_EVENT_REMINDER, EV_REMINDER },
};

/* Longest name kept from a detail (owner, handoff ends, rule). */
#define NAME_MAX_LEN CL_EVENT_MAX_FIELD

/* ------------------------------------------------------------------ */
/* Counting event types                                                */
/* ------------------------------------------------------------------ */

/* A handful of types, each seen thousands of times: the list is short
 * and the one found last time is tried first. */
static int count_name(cl_audit *a, cl__audit_count **list, size_t *n,
	size_t *cap, const char *name, size_t *hint)
{
	cl__audit_count *c;
	size_t i;

	if (*hint < *n && strcmp((*list)[*hint].name, name) == 0) {
		(*list)[*hint].count++;
		return 0;
	}
	for (i = 0; i < *n; i++) {
		if (strcmp((*list)[i].name, name) == 0) {
			(*list)[i].count++;
			*hint = i;
			return 0;
		}
	}
	if (CL__GROW(*list, *n, *cap, 16) < 0)
		return CL_ENOMEM;
	c = &(*list)[*n];
	if ((c->name = cl__arena_strndup(&a->strings, name,
			strlen(name))) == NULL)
		return CL_ENOMEM;
	c->count = 1;
	*hint = (*n)++;
	return 0;
}

static event_kind classify(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (type[0] == kinds[i].type[0] &&
		    strcmp(type, kinds[i].type) == 0)
			return kinds[i].kind;
	return EV_OTHER;
}

/* ------------------------------------------------------------------ */
/* Lists                                                               */
/* ------------------------------------------------------------------ */

static char *dup_or_null(const char *s, int *ok)
{
	return cl__strdup_opt(s, ok);
}

/* Append ev to l; *stored is the item, or NULL beyond the cap. */
static int list_add(cl__audit_list *l, const cl_event *ev,
	cl__audit_item **stored)
{
	cl__audit_item *it;
	int ok = 1;

	if (stored)
		*stored = NULL;
	l->total++;
	if (l->count >= CL_AUDIT_MAX_ITEMS)
		return 0;
	if (CL__GROW(l->items, l->count, l->cap, 16) < 0)
		return CL_ENOMEM;
	it = &l->items[l->count++];
	memset(it, 0, sizeof(*it));
	it->time = ev->time;
	it->ticket = dup_or_null(ev->ticket, &ok);
	it->actor = dup_or_null(ev->actor, &ok);
	it->commit = dup_or_null(ev->commit, &ok);
	it->detail = dup_or_null(ev->detail, &ok);
	if (!ok)
		return CL_ENOMEM;
	if (stored)
		*stored = it;
	return 0;
}

void cl__audit_list_free(cl__audit_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->items[i].ticket);
		free(l->items[i].actor);
		free(l->items[i].commit);
		free(l->items[i].detail);
		free(l->items[i].owner);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int count_day(cl_audit *a, int64_t time)
{
	int64_t day = time >= 0 ? time / 86400 : (time - 86399) / 86400;
	size_t i;

	/* events come nearly in time order: look from the end */
	for (i = a->ndays; i > 0; i--) {
		if (a->days[i - 1].day == day) {
			a->days[i - 1].count++;
			return 0;
		}
	}
	if (CL__GROW(a->days, a->ndays, a->days_cap, 16) < 0)
		return CL_ENOMEM;
	a->days[a->ndays].day = day;
	a->days[a->ndays++].count = 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tickets and names                                                   */
/* ------------------------------------------------------------------ */

static int intern(cl_audit *a, const char **out, const char *s, size_t len)
{
	size_t ix;
	int error;

	if ((error = cl__map_put(&a->names, &ix, s, len)) < 0)
		return error;
	*out = a->names.keys[ix];
	return 0;
}

static int ticket_of(cl_audit *a, cl__audit_ticket **out, const char *id)
{
	size_t ix;
	int error = cl__map_put(&a->ticket_map, &ix, id, strlen(id));

	if (error < 0)
		return error;
	if (error == 0) {
		if (CL__GROW(a->tickets, ix, a->tickets_cap, 256) < 0)
			return CL_ENOMEM;
		memset(&a->tickets[ix], 0, sizeof(a->tickets[ix]));
		a->tickets[ix].id = a->ticket_map.keys[ix];
	}
	*out = &a->tickets[ix];
	return 0;
}

/*
 * A name field of the detail: *out becomes the interned name for a
 * string, NULL for null or an empty string; unchanged (returns 0, *set
 * 0) when the field is absent, so that events written before the field
 * existed do not erase what is known.
 */
static int detail_name(cl_audit *a, const char **out, int *set,
	const char *detail, const char *key)
{
	char buf[NAME_MAX_LEN];
	const char *val;
	size_t len;
	int escaped;
	cl__json_kind k = cl__json_field(detail, key, &val, &len,
		&escaped);

	*set = 0;
	if (k == CL__JSON_ABSENT)
		return 0;
	*set = 1;
	if (k != CL__JSON_STRING || len == 0) {
		*out = NULL;
		return 0;
	}
	if (escaped) {
		cl__json_field_string(detail, key, buf, sizeof(buf));
		val = buf;
		len = strlen(buf);
	}
	return intern(a, out, val, len);
}

static int set_owner_from(cl_audit *a, cl__audit_ticket *t,
	const char *detail)
{
	const char *owner;
	int set, error;

	if ((error = detail_name(a, &owner, &set, detail, "owner")) < 0)
		return error;
	if (set)
		t->owner = owner;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reply waits                                                         */
/* ------------------------------------------------------------------ */

static int group_add(cl__map *m, cl__audit_group **groups,
	size_t *cap, const char *name, size_t len, int64_t v)
{
	size_t ix;
	int error = cl__map_put(m, &ix, name, len);

	if (error < 0)
		return error;
	if (error == 0) {
		if (CL__GROW(*groups, ix, *cap, 16) < 0)
			return CL_ENOMEM;
		memset(&(*groups)[ix], 0, sizeof((*groups)[ix]));
		(*groups)[ix].name = m->keys[ix];
	}
	return cl__samples_add(&(*groups)[ix].samples, v);
}

static int on_reply(cl_audit *a, cl__audit_ticket *t, const cl_event *ev,
	int in_period)
{
	const char *owner;
	int64_t wait;
	int error;

	if (!t->work || t->replied)
		return 0;
	t->replied = 1;
	if (!in_period)
		return 0;
	/* a reply stamped before the work (clocks disagree) waited 0 */
	wait = ev->time > t->work_time ? ev->time - t->work_time : 0;
	owner = t->owner ? t->owner : ev->actor ? ev->actor : "(none)";
	if ((error = cl__samples_add(&a->waits, wait)) < 0 ||
	    (error = group_add(&a->owner_map, &a->owners, &a->owners_cap,
		    owner, strlen(owner), wait)) < 0)
		return error;
	return group_add(&a->project_map, &a->projects, &a->projects_cap,
		t->id, cl__audit_project_len(t->id), wait);
}

/* ------------------------------------------------------------------ */
/* The events                                                          */
/* ------------------------------------------------------------------ */

static void opening(cl__audit_ticket *t, int64_t time)
{
	t->open = 1;
	t->opened = time;
	t->work = 0;
	t->replied = 0;
}

static void closing(cl__audit_ticket *t)
{
	t->open = 0;
	t->ho_to = NULL; /* a closed ticket waits for no acknowledgement */
}

static int on_closed_no_reply(cl_audit *a, cl__audit_ticket *t,
	const cl_event *ev, int in_period)
{
	char action[16];
	cl__audit_item *it;
	int error;

	if (t != NULL) {
		closing(t);
		if ((error = set_owner_from(a, t, ev->detail)) < 0)
			return error;
	}
	if (!in_period)
		return 0;
	if ((error = list_add(&a->closed_no_reply, ev, &it)) < 0 ||
	    (error = count_day(a, ev->time)) < 0)
		return error;
	if (cl__json_field_string(ev->detail, "action", action,
		    sizeof(action)) == CL__JSON_STRING &&
	    strcmp(action, "reopen") == 0)
		a->cnr_reopen_asked++;
	if (t == NULL)
		return 0;
	t->cnr_pending = 1;
	t->cnr_item = 0;
	if (it != NULL) {
		t->cnr_item = (size_t)(it - a->closed_no_reply.items) + 1;
		if (t->owner && (it->owner = cl__strdup(t->owner)) == NULL)
			return CL_ENOMEM;
	}
	return 0;
}

static void on_reopened(cl_audit *a, cl__audit_ticket *t, int64_t time)
{
	opening(t, time);
	if (!t->cnr_pending)
		return;
	a->cnr_reopened++;
	if (t->cnr_item)
		a->closed_no_reply.items[t->cnr_item - 1].later = time;
	t->cnr_pending = 0;
	t->cnr_item = 0;
}

static int on_handoff(cl_audit *a, cl__audit_ticket *t, const cl_event *ev)
{
	const char *from = NULL, *to = NULL;
	int set, error;

	if ((error = detail_name(a, &to, &set, ev->detail, "to")) < 0 ||
	    (error = detail_name(a, &from, &set, ev->detail, "from")) < 0)
		return error;
	t->owner = to;
	t->ho_to = to;
	t->ho_from = from;
	t->ho_since = ev->time;
	return 0;
}

static int on_work_done(cl_audit *a, cl__audit_ticket *t,
	const cl_event *ev)
{
	int error;

	if (t->work)
		return 0; /* the first since the ticket was opened counts */
	t->work = 1;
	t->replied = 0;
	t->work_time = ev->time;
	t->work_actor = NULL;
	t->work_commit = NULL;
	if (ev->actor && (error = intern(a, &t->work_actor, ev->actor,
			strlen(ev->actor))) < 0)
		return error;
	if (ev->commit && (t->work_commit = cl__arena_strndup(&a->strings,
			ev->commit, strlen(ev->commit))) == NULL)
		return CL_ENOMEM;
	return 0;
}

static int on_reminder(cl_audit *a, const cl_event *ev)
{
	char rule[64];
	const char *val;
	size_t len;
	int escaped, error;

	if ((error = list_add(&a->reminders, ev, NULL)) < 0)
		return error;
	if (cl__json_field_string(ev->detail, "rule", rule, sizeof(rule)) !=
	    CL__JSON_STRING || rule[0] == '\0')
		snprintf(rule, sizeof(rule), "%s", "(unknown)");
	if (cl__json_field(ev->detail, "escalated", &val, &len,
		    &escaped) == CL__JSON_TRUE)
		a->escalated++;
	return count_name(a, &a->rules, &a->nrules, &a->rules_cap, rule,
		&a->rule_hint);
}

/* Events about a ticket: its state first, then the period's lists. */
static int ticket_event(cl_audit *a, event_kind kind, const cl_event *ev,
	int in_period)
{
	cl__audit_ticket *t;
	int error;

	if ((error = ticket_of(a, &t, ev->ticket)) < 0)
		return error;
	switch (kind) {
	case EV_OPENED:
		opening(t, ev->time);
		return set_owner_from(a, t, ev->detail);
	case EV_REOPENED:
		on_reopened(a, t, ev->time);
		return in_period ? list_add(&a->reopened, ev, NULL) : 0;
	case EV_CLOSED:
		closing(t);
		return set_owner_from(a, t, ev->detail);
	case EV_CLOSED_NO_REPLY:
		return on_closed_no_reply(a, t, ev, in_period);
	case EV_HANDOFF:
		return on_handoff(a, t, ev);
	case EV_HANDOFF_ACK:
		t->ho_to = NULL;
		return 0;
	case EV_WORK_DONE:
		return on_work_done(a, t, ev);
	case EV_REPLY:
		return on_reply(a, t, ev, in_period);
	default:
		return 0;
	}
}

static int collect(const cl_event *ev, void *payload)
{
	cl_audit *a = payload;
	event_kind kind;
	int in_period, error;

	/* until is applied here rather than in the store: a scan in id
	 * order is what the pass needs, and a range on time would have
	 * SQLite sort the whole ledger by id again */
	if (a->until && ev->time >= a->until)
		return 0;
	in_period = ev->time >= a->since;
	kind = classify(ev->type);
	if (in_period) {
		a->events++;
		if ((error = count_name(a, &a->types, &a->ntypes,
				&a->types_cap, ev->type, &a->type_hint)) < 0)
			return error;
	}
	if (ev->ticket != NULL && kind >= EV_OPENED && kind <= EV_REPLY &&
	    (error = ticket_event(a, kind, ev, in_period)) < 0)
		return error;
	if (!in_period)
		return 0;
	switch (kind) {
	case EV_CLOSED_NO_REPLY:
		/* with a ticket, listed by ticket_event */
		return ev->ticket ? 0 : on_closed_no_reply(a, NULL, ev, 1);
	case EV_OVERRIDE:
		return list_add(&a->overrides, ev, NULL);
	case EV_UNVERIFIED:
		return list_add(&a->unverified, ev, NULL);
	case EV_RECHECKED:
		/* closeloop writes this detail itself, compact: an empty
		 * problem list is "problems":[] */
		if (ev->detail && strstr(ev->detail, "\"problems\":[{") != NULL)
			return list_add(&a->rechecked, ev, NULL);
		return 0;
	case EV_REMINDER:
		return on_reminder(a, ev);
	default:
		return 0;
	}
}

int cl__audit_collect(cl_audit *a, cl_store *store)
{
	return cl_store_foreach(store, NULL, collect, a);
}
