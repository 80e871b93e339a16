/*
 * audit_json.c: the audit as JSON, for scripts and dashboards. Keys are
 * stable (documented in closeloop(1)); times are UTC ISO 8601 strings,
 * durations whole seconds in keys ending in "_s". Every list is an object
 * {"count": exact, "items": [...at most CL_AUDIT_MAX_ITEMS]}.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "audit_int.h"

static json_object *str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *time_of(int64_t t)
{
	char buf[32];

	return str(cl__audit_time(buf, sizeof(buf), t));
}

static json_object *num(int64_t v)
{
	return json_object_new_int64(v);
}

/* The detail text is JSON written by closeloop; keep it structured. */
static json_object *detail_of(const char *detail)
{
	json_object *o;

	if (detail == NULL)
		return NULL;
	o = json_tokener_parse(detail);
	return o ? o : json_object_new_string(detail);
}

/* A field of a parsed detail, shared into another object. */
static json_object *field(json_object *detail, const char *key)
{
	json_object *v;

	if (detail == NULL || !json_object_is_type(detail, json_type_object) ||
	    !json_object_object_get_ex(detail, key, &v))
		return NULL;
	return json_object_get(v);
}

static json_object *item_object(const cl__audit_item *it, json_object **detail)
{
	json_object *o = json_object_new_object();

	*detail = detail_of(it->detail);
	json_object_object_add(o, "time", time_of(it->time));
	json_object_object_add(o, "ticket", str(it->ticket));
	json_object_object_add(o, "actor", str(it->actor));
	json_object_object_add(o, "commit", str(it->commit));
	json_object_object_add(o, "detail", *detail);
	return o;
}

typedef void (*item_extra)(json_object *o, const cl__audit_item *it,
	json_object *detail);

static void closed_extra(json_object *o, const cl__audit_item *it,
	json_object *detail)
{
	json_object_object_add(o, "owner", str(it->owner));
	json_object_object_add(o, "source", field(detail, "source"));
	json_object_object_add(o, "action", field(detail, "action"));
	json_object_object_add(o, "reopened", time_of(it->later));
}

static void override_extra(json_object *o, const cl__audit_item *it,
	json_object *detail)
{
	json_object_object_add(o, "reason", field(detail, "reason"));
	json_object_object_add(o, "commits", field(detail, "commits"));
	json_object_object_add(o, "tickets", field(detail, "tickets"));
}

static void unverified_extra(json_object *o, const cl__audit_item *it,
	json_object *detail)
{
	json_object_object_add(o, "tickets", field(detail, "tickets"));
	json_object_object_add(o, "tracker_error",
		field(detail, "tracker_error"));
}

static void reminder_extra(json_object *o, const cl__audit_item *it,
	json_object *detail)
{
	json_object_object_add(o, "rule", field(detail, "rule"));
	json_object_object_add(o, "to", field(detail, "to"));
	json_object_object_add(o, "escalated", field(detail, "escalated"));
	json_object_object_add(o, "count", field(detail, "count"));
	json_object_object_add(o, "internal", field(detail, "internal"));
}

static json_object *section(const cl__audit_list *l, item_extra extra)
{
	json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->count; i++) {
		json_object *detail, *it = item_object(&l->items[i], &detail);

		if (extra)
			extra(it, &l->items[i], detail);
		json_object_array_add(arr, it);
	}
	json_object_object_add(o, "count", num((int64_t)l->total));
	json_object_object_add(o, "items", arr);
	return o;
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */
/* ------------------------------------------------------------------ */

static json_object *closed_section(const cl_audit *a)
{
	json_object *o = section(&a->closed_no_reply, closed_extra);
	json_object *days = json_object_new_array();
	size_t i;

	json_object_object_add(o, "reopen_requested",
		num((int64_t)a->cnr_reopen_asked));
	json_object_object_add(o, "reopened", num((int64_t)a->cnr_reopened));
	for (i = 0; i < a->ndays; i++) {
		json_object *d = json_object_new_object();
		char buf[32];

		if (cl__audit_time(buf, sizeof(buf), a->days[i].day * 86400))
			buf[10] = '\0';
		else
			snprintf(buf, sizeof(buf), "1970-01-01");
		json_object_object_add(d, "day", json_object_new_string(buf));
		json_object_object_add(d, "count",
			num((int64_t)a->days[i].count));
		json_object_array_add(days, d);
	}
	json_object_object_add(o, "per_day", days);
	return o;
}

static json_object *state_section(const cl_audit *a,
	const cl__audit_state_list *l, int kind)
{
	json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->count; i++) {
		const cl__audit_ticket *t = l->items[i].t;
		json_object *it = json_object_new_object();

		json_object_object_add(it, "ticket", str(t->id));
		if (kind == 0) {
			json_object_object_add(it, "opened", time_of(t->opened));
		} else if (kind == 1) {
			json_object_object_add(it, "from", str(t->ho_from));
			json_object_object_add(it, "to", str(t->ho_to));
			json_object_object_add(it, "since", time_of(t->ho_since));
		} else {
			json_object_object_add(it, "owner", str(t->owner));
			json_object_object_add(it, "work_done",
				time_of(t->work_time));
			json_object_object_add(it, "actor", str(t->work_actor));
			json_object_object_add(it, "commit", str(t->work_commit));
			json_object_object_add(it, "open",
				json_object_new_boolean(t->open));
		}
		json_object_object_add(it, "age_s",
			num(a->generated - l->items[i].since));
		json_object_array_add(arr, it);
	}
	json_object_object_add(o, "count", num((int64_t)l->total));
	json_object_object_add(o, "items", arr);
	return o;
}

static json_object *reminders_section(const cl_audit *a)
{
	json_object *o = section(&a->reminders, reminder_extra);
	json_object *rules = json_object_new_object();
	size_t i;

	for (i = 0; i < 3; i++)
		json_object_object_add(rules, cl__audit_rules[i],
			num((int64_t)cl__audit_rule_count(a, cl__audit_rules[i])));
	for (i = 0; i < a->nrules; i++)
		json_object_object_add(rules, a->rules[i].name,
			num((int64_t)a->rules[i].count));
	json_object_object_add(o, "by_rule", rules);
	json_object_object_add(o, "escalated", num((int64_t)a->escalated));
	return o;
}

static json_object *groups(const cl__audit_group *const *order, size_t n,
	const char *key)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n && i < CL_AUDIT_MAX_ITEMS; i++) {
		json_object *g = json_object_new_object();

		json_object_object_add(g, key, str(order[i]->name));
		json_object_object_add(g, "count",
			num((int64_t)order[i]->samples.n));
		json_object_object_add(g, "median_s", num(order[i]->median));
		json_object_object_add(g, "p90_s", num(order[i]->p90));
		json_object_array_add(arr, g);
	}
	return arr;
}

static json_object *wait_section(const cl_audit *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", num((int64_t)a->waits.n));
	json_object_object_add(o, "median_s", num(a->wait_median));
	json_object_object_add(o, "p90_s", num(a->wait_p90));
	json_object_object_add(o, "by_owner", groups(a->owner_order,
		a->owner_map.count, "owner"));
	json_object_object_add(o, "by_project", groups(a->project_order,
		a->project_map.count, "project"));
	return o;
}

int cl__audit_render_json(char **out, const cl_audit *a)
{
	json_object *root = json_object_new_object();
	json_object *types = json_object_new_object();
	size_t i;

	json_object_object_add(root, "generated", time_of(a->generated));
	json_object_object_add(root, "since", time_of(a->since));
	json_object_object_add(root, "until", time_of(a->until));
	json_object_object_add(root, "events", num((int64_t)a->events));
	for (i = 0; i < a->ntypes; i++)
		json_object_object_add(types, a->types[i].name,
			num((int64_t)a->types[i].count));
	json_object_object_add(root, "event_types", types);
	json_object_object_add(root, "violations",
		num((int64_t)cl_audit_violations(a)));
	json_object_object_add(root, "closed_without_reply", closed_section(a));
	json_object_object_add(root, "reopened", section(&a->reopened, NULL));
	json_object_object_add(root, "overrides",
		section(&a->overrides, override_extra));
	json_object_object_add(root, "unverified_pushes",
		section(&a->unverified, unverified_extra));
	json_object_object_add(root, "rechecked_with_problems",
		section(&a->rechecked, NULL));
	json_object_object_add(root, "unowned",
		state_section(a, &a->unowned, 0));
	json_object_object_add(root, "unacknowledged_handoffs",
		state_section(a, &a->handoffs, 1));
	json_object_object_add(root, "reminders", reminders_section(a));
	json_object_object_add(root, "reply_wait", wait_section(a));
	json_object_object_add(root, "waiting_for_reply",
		state_section(a, &a->waiting, 2));
	*out = cl__strdup(json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return *out ? 0 : CL_ENOMEM;
}
