/*
 * audit_text.c: the audit as plain text, for a terminal or a mail from
 * cron: counts first, then each list, one line per item.
 */
#include <string.h>

#include <json-c/json.h>

#include "audit_int.h"

/* Names and reasons come from trackers and commits: no control
 * character of theirs reaches the terminal (escape sequences could
 * rewrite what the admin sees). Line ends are the report's own. */
static void defang(char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			*s = '?';
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static void item_line(cl_buf *b, const cl__audit_item *it)
{
	char tb[32];

	cl__buf_printf(b, "  %s  %s", or_dash(cl__audit_time(tb, sizeof(tb),
		it->time)), or_dash(it->ticket));
	if (it->actor)
		cl__buf_printf(b, "  by %s", it->actor);
	if (it->commit)
		cl__buf_printf(b, "  commit %.12s", it->commit);
}

static void more(cl_buf *b, size_t total, size_t shown)
{
	if (total > shown)
		cl__buf_printf(b, "  ... and %zu more\n", total - shown);
}

static void text_list(cl_buf *b, const char *title, const cl__audit_list *l)
{
	size_t i;

	cl__buf_printf(b, "\n%s: %zu\n", title, l->total);
	for (i = 0; i < l->count; i++) {
		item_line(b, &l->items[i]);
		if (l->items[i].detail)
			cl__buf_printf(b, "  %s", l->items[i].detail);
		cl__buf_puts(b, "\n");
	}
	more(b, l->total, l->count);
}

static json_object *parse(const char *detail)
{
	json_object *d = detail ? json_tokener_parse(detail) : NULL;

	if (d && !json_object_is_type(d, json_type_object)) {
		json_object_put(d);
		d = NULL;
	}
	return d;
}

/* "  LABEL VALUE" for a field of the detail: strings as they are, the
 * rest as compact JSON. */
static void field(cl_buf *b, json_object *d, const char *key,
	const char *label)
{
	json_object *v;
	size_t i, n;

	if (d == NULL || !json_object_object_get_ex(d, key, &v) || v == NULL)
		return;
	cl__buf_printf(b, "  %s", label);
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			cl__buf_printf(b, "%s%s", i ? ", " : "",
				json_object_is_type(e, json_type_string) ?
				json_object_get_string(e) :
				json_object_to_json_string(e));
		}
	} else {
		cl__buf_puts(b, json_object_is_type(v, json_type_string) ?
			json_object_get_string(v) :
			json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	}
}

/* Overrides, unverified pushes and reminders: the fields that matter,
 * named. */
static void detail_list(cl_buf *b, const char *title,
	const cl__audit_list *l, const char *const *fields)
{
	size_t i, f;

	cl__buf_printf(b, "\n%s: %zu\n", title, l->total);
	for (i = 0; i < l->count; i++) {
		json_object *d = parse(l->items[i].detail);

		item_line(b, &l->items[i]);
		for (f = 0; fields[f]; f += 2)
			field(b, d, fields[f], fields[f + 1]);
		cl__buf_puts(b, "\n");
		json_object_put(d);
	}
	more(b, l->total, l->count);
}

static void closed_list(cl_buf *b, const cl_audit *a)
{
	const cl__audit_list *l = &a->closed_no_reply;
	char tb[32], action[16];
	size_t i;

	cl__buf_printf(b, "\nclosed without a reply: %zu (closeloop asked to "
		"reopen %zu, reopened %zu)\n", l->total, a->cnr_reopen_asked,
		a->cnr_reopened);
	for (i = 0; i < l->count; i++) {
		const cl__audit_item *it = &l->items[i];

		item_line(b, it);
		if (it->owner)
			cl__buf_printf(b, "  owner %s", it->owner);
		if (cl__json_field_string(it->detail, "action", action,
			    sizeof(action)) == CL__JSON_STRING)
			cl__buf_printf(b, "  action %s", action);
		if (it->later)
			cl__buf_printf(b, "  reopened %s",
				or_dash(cl__audit_time(tb, sizeof(tb), it->later)));
		cl__buf_puts(b, "\n");
	}
	more(b, l->total, l->count);
}

static void state_list(cl_buf *b, const cl_audit *a, const char *title,
	const cl__audit_state_list *l, int kind)
{
	char tb[32], sb[32];
	size_t i;

	cl__buf_printf(b, "\n%s: %zu\n", title, l->total);
	for (i = 0; i < l->count; i++) {
		const cl__audit_ticket *t = l->items[i].t;

		cl__buf_printf(b, "  %s  %s", t->id,
			or_dash(cl__audit_time(tb, sizeof(tb), l->items[i].since)));
		if (kind == 1)
			cl__buf_printf(b, "  from %s to %s", or_dash(t->ho_from),
				t->ho_to);
		else if (kind == 2)
			cl__buf_printf(b, "  owner %s  work by %s%s%.12s  %s",
				t->owner ? t->owner : "(none)",
				or_dash(t->work_actor),
				t->work_commit ? "  commit " : "",
				t->work_commit ? t->work_commit : "",
				t->open ? "open" : "closed");
		cl__buf_printf(b, "  (%s ago)\n", cl__audit_span(sb, sizeof(sb),
			a->generated - l->items[i].since));
	}
	more(b, l->total, l->count);
}

static void reminders(cl_buf *b, const cl_audit *a)
{
	char tb[32];
	size_t i;

	cl__buf_printf(b, "\nreminders sent: %zu (escalated %zu)\n",
		a->reminders.total, a->escalated);
	for (i = 0; i < 3; i++)
		cl__buf_printf(b, "  %-32s %zu\n", cl__audit_rules[i],
			cl__audit_rule_count(a, cl__audit_rules[i]));
	for (i = 0; i < a->nrules; i++) {
		const char *r = a->rules[i].name;

		if (strcmp(r, cl__audit_rules[0]) && strcmp(r, cl__audit_rules[1]) &&
		    strcmp(r, cl__audit_rules[2]))
			cl__buf_printf(b, "  %-32s %zu\n", r, a->rules[i].count);
	}
	for (i = 0; i < a->reminders.count; i++) {
		const cl__audit_item *it = &a->reminders.items[i];
		json_object *d = parse(it->detail), *v;

		cl__buf_printf(b, "  %s  %s", or_dash(cl__audit_time(tb,
			sizeof(tb), it->time)), or_dash(it->ticket));
		field(b, d, "rule", "");
		field(b, d, "to", "to ");
		field(b, d, "count", "#");
		if (d && json_object_object_get_ex(d, "escalated", &v) &&
		    json_object_get_boolean(v))
			cl__buf_puts(b, "  escalated");
		cl__buf_puts(b, "\n");
		json_object_put(d);
	}
	more(b, a->reminders.total, a->reminders.count);
}

static void groups(cl_buf *b, const char *title,
	const cl__audit_group *const *order, size_t n)
{
	char m[32], p[32];
	size_t i;

	if (n == 0)
		return;
	cl__buf_printf(b, "  %s:\n", title);
	for (i = 0; i < n && i < CL_AUDIT_MAX_ITEMS; i++)
		cl__buf_printf(b, "    %-30s %6zu  median %-9s p90 %s\n",
			order[i]->name, order[i]->samples.n,
			cl__audit_span(m, sizeof(m), order[i]->median),
			cl__audit_span(p, sizeof(p), order[i]->p90));
	more(b, n, i);
}

static void waits(cl_buf *b, const cl_audit *a)
{
	char m[32], p[32];

	cl__buf_printf(b, "\ntime from work done to customer reply: %zu "
		"replies", a->waits.n);
	if (a->waits.n)
		cl__buf_printf(b, ", median %s, p90 %s",
			cl__audit_span(m, sizeof(m), a->wait_median),
			cl__audit_span(p, sizeof(p), a->wait_p90));
	cl__buf_puts(b, "\n");
	groups(b, "per owner", a->owner_order, a->owner_map.count);
	groups(b, "per project", a->project_order, a->project_map.count);
}

static const char *const override_fields[] = {
	"reason", "reason: ", "commits", "commits: ", "tickets", "tickets: ",
	NULL
};
static const char *const unverified_fields[] = {
	"tickets", "tickets: ", "tracker_error", "tracker error: ", NULL
};

int cl__audit_render_text(char **out, const cl_audit *a)
{
	cl_buf b = CL_BUF_INIT;
	char t1[32], t2[32], t3[32];
	size_t i;

	cl__buf_printf(&b, "closeloop audit, generated %s\nperiod: %s to %s\n",
		or_dash(cl__audit_time(t1, sizeof(t1), a->generated)),
		cl__audit_time(t2, sizeof(t2), a->since) ? t2 : "the beginning",
		cl__audit_time(t3, sizeof(t3), a->until) ? t3 : "now");
	cl__buf_printf(&b, "events: %zu\n", a->events);
	for (i = 0; i < a->ntypes; i++)
		cl__buf_printf(&b, "  %-32s %zu\n", a->types[i].name,
			a->types[i].count);
	closed_list(&b, a);
	text_list(&b, "reopened by closeloop", &a->reopened);
	detail_list(&b, "overrides", &a->overrides, override_fields);
	detail_list(&b, "pushes accepted unverified", &a->unverified,
		unverified_fields);
	text_list(&b, "unverified pushes that broke a rule, re-checked later",
		&a->rechecked);
	state_list(&b, a, "open tickets without an owner", &a->unowned, 0);
	state_list(&b, a, "handoffs not acknowledged", &a->handoffs, 1);
	reminders(&b, a);
	waits(&b, a);
	state_list(&b, a, "work done, customer not answered yet", &a->waiting,
		2);
	cl__buf_printf(&b, "\nviolations: %zu\n", cl_audit_violations(a));
	if ((*out = cl__buf_detach(&b)) == NULL)
		return CL_ENOMEM;
	defang(*out);
	return 0;
}
