/*
 * audit_json.c: the audit as JSON, for scripts and dashboards. Keys are
 * stable (documented in closeloop(1)); times are UTC ISO 8601 strings,
 * durations whole seconds in keys ending in "_s". Every list is an object
 * {"count": exact, "items": [...at most CL_AUDIT_MAX_ITEMS]}.
 *
 * Written as it goes, one item per line, rather than built as a json-c
 * tree: tens of thousands of items made a tree of 150 MiB and took a
 * second to print. json-c still reads each event's detail (with one
 * tokener) so that what is embedded is valid JSON whatever the ledger
 * holds.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "audit_int.h"

typedef struct {
	cl_buf *b;
	json_tokener *tok;
	const cl_audit *a;
} writer;

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s, 0 when there is none. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int c = s[0], min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	c &= 0x3f >> (n - 1);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void jstr(cl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		cl__buf_puts(b, "null");
		return;
	}
	cl__buf_puts(b, "\"");
	while (*p) {
		const unsigned char *run = p;
		size_t n;

		while (*p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
			p++;
		cl__buf_put(b, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if (*p == '"' || *p == '\\') {
			cl__buf_printf(b, "\\%c", *p++);
		} else if (*p < 0x20) {
			cl__buf_printf(b, "\\u%04x", *p++);
		} else if ((n = utf8_len(p)) > 0) {
			cl__buf_put(b, (const char *)p, n);
			p += n;
		} else {
			cl__buf_puts(b, "\\ufffd");
			p++;
		}
	}
	cl__buf_puts(b, "\"");
}

static void jtime(cl_buf *b, int64_t t)
{
	char buf[32];

	jstr(b, cl__audit_time(buf, sizeof(buf), t));
}

static void jnum(cl_buf *b, int64_t v)
{
	cl__buf_printf(b, "%lld", (long long)v);
}

/* A json-c value, compact; null for none. */
static void jraw(cl_buf *b, json_object *v)
{
	cl__buf_puts(b, v == NULL ? "null" : json_object_to_json_string_ext(v,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ", " between members and items; first says whether one came before. */
static void key(cl_buf *b, int *first, const char *k)
{
	cl__buf_printf(b, "%s\"%s\": ", *first ? "" : ", ", k);
	*first = 0;
}

/* A member of a parsed detail, or null. */
static void jfield(cl_buf *b, int *first, json_object *d, const char *k)
{
	json_object *v = NULL;

	key(b, first, k);
	if (d != NULL)
		json_object_object_get_ex(d, k, &v);
	jraw(b, v);
}

/* ------------------------------------------------------------------ */
/* Lists                                                               */
/* ------------------------------------------------------------------ */

typedef void (*item_extra)(writer *w, int *first, const cl__audit_item *it,
	json_object *detail);

static void closed_extra(writer *w, int *first, const cl__audit_item *it,
	json_object *d)
{
	key(w->b, first, "owner");
	jstr(w->b, it->owner);
	jfield(w->b, first, d, "source");
	jfield(w->b, first, d, "action");
	key(w->b, first, "reopened");
	jtime(w->b, it->later);
}

static void override_extra(writer *w, int *first, const cl__audit_item *it,
	json_object *d)
{
	jfield(w->b, first, d, "reason");
	jfield(w->b, first, d, "commits");
	jfield(w->b, first, d, "tickets");
}

static void unverified_extra(writer *w, int *first, const cl__audit_item *it,
	json_object *d)
{
	jfield(w->b, first, d, "tickets");
	jfield(w->b, first, d, "tracker_error");
}

static void reminder_extra(writer *w, int *first, const cl__audit_item *it,
	json_object *d)
{
	jfield(w->b, first, d, "rule");
	jfield(w->b, first, d, "to");
	jfield(w->b, first, d, "escalated");
	jfield(w->b, first, d, "count");
	jfield(w->b, first, d, "internal");
}

static void item(writer *w, const cl__audit_item *it, item_extra extra)
{
	json_object *d = cl__audit_detail(w->tok, it->detail);
	cl_buf *b = w->b;
	int first = 1;

	cl__buf_puts(b, "{");
	key(b, &first, "time");
	jtime(b, it->time);
	key(b, &first, "ticket");
	jstr(b, it->ticket);
	key(b, &first, "actor");
	jstr(b, it->actor);
	key(b, &first, "commit");
	jstr(b, it->commit);
	key(b, &first, "detail");
	if (d != NULL)
		jraw(b, d);
	else
		jstr(b, it->detail); /* not JSON: kept as text */
	if (extra)
		extra(w, &first, it, d);
	cl__buf_puts(b, "}");
	json_object_put(d);
}

/* "NAME": {"count": N, EXTRA..., "items": [...]} */
static void section_start(cl_buf *b, const char *name, size_t count)
{
	cl__buf_printf(b, ",\n  \"%s\": {\n    \"count\": %zu", name, count);
}

static void items_start(cl_buf *b)
{
	cl__buf_puts(b, ",\n    \"items\": [");
}

static void items_next(cl_buf *b, size_t i)
{
	cl__buf_puts(b, i ? ",\n      " : "\n      ");
}

static void items_end(cl_buf *b, size_t n)
{
	cl__buf_puts(b, n ? "\n    ]\n  }" : "]\n  }");
}

static void list(writer *w, const char *name, const cl__audit_list *l,
	item_extra extra)
{
	size_t i;

	section_start(w->b, name, l->total);
	items_start(w->b);
	for (i = 0; i < l->count; i++) {
		items_next(w->b, i);
		item(w, &l->items[i], extra);
	}
	items_end(w->b, l->count);
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */
/* ------------------------------------------------------------------ */

static void closed_section(writer *w)
{
	const cl_audit *a = w->a;
	const cl__audit_list *l = &a->closed_no_reply;
	cl_buf *b = w->b;
	size_t i;

	section_start(b, "closed_without_reply", l->total);
	cl__buf_printf(b, ",\n    \"reopen_requested\": %zu,\n"
		"    \"reopened\": %zu,\n    \"per_day\": [", a->cnr_reopen_asked,
		a->cnr_reopened);
	for (i = 0; i < a->ndays; i++) {
		char day[32];

		if (cl__audit_time(day, sizeof(day), a->days[i].day * 86400))
			day[10] = '\0';
		else
			snprintf(day, sizeof(day), "1970-01-01");
		cl__buf_printf(b, "%s{\"day\": \"%s\", \"count\": %zu}",
			i ? ", " : "", day, a->days[i].count);
	}
	cl__buf_puts(b, "]");
	items_start(b);
	for (i = 0; i < l->count; i++) {
		items_next(b, i);
		item(w, &l->items[i], closed_extra);
	}
	items_end(b, l->count);
}

typedef enum { STATE_UNOWNED, STATE_HANDOFF, STATE_WAITING } state_kind;

static void state_item(writer *w, const cl__audit_state_item *s,
	state_kind kind)
{
	const cl__audit_ticket *t = s->t;
	cl_buf *b = w->b;
	int first = 1;

	cl__buf_puts(b, "{");
	key(b, &first, "ticket");
	jstr(b, t->id);
	if (kind == STATE_UNOWNED) {
		key(b, &first, "opened");
		jtime(b, t->opened);
	} else if (kind == STATE_HANDOFF) {
		key(b, &first, "from");
		jstr(b, t->ho_from);
		key(b, &first, "to");
		jstr(b, t->ho_to);
		key(b, &first, "since");
		jtime(b, t->ho_since);
	} else {
		key(b, &first, "owner");
		jstr(b, t->owner);
		key(b, &first, "work_done");
		jtime(b, t->work_time);
		key(b, &first, "actor");
		jstr(b, t->work_actor);
		key(b, &first, "commit");
		jstr(b, t->work_commit);
		key(b, &first, "open");
		cl__buf_puts(b, t->open ? "true" : "false");
	}
	key(b, &first, "age_s");
	jnum(b, w->a->generated - s->since);
	cl__buf_puts(b, "}");
}

static void state_section(writer *w, const char *name,
	const cl__audit_state_list *l, state_kind kind)
{
	size_t i;

	section_start(w->b, name, l->total);
	items_start(w->b);
	for (i = 0; i < l->count; i++) {
		items_next(w->b, i);
		state_item(w, &l->items[i], kind);
	}
	items_end(w->b, l->count);
}

static void reminders_section(writer *w)
{
	const cl_audit *a = w->a;
	cl_buf *b = w->b;
	size_t i;

	section_start(b, "reminders", a->reminders.total);
	cl__buf_printf(b, ",\n    \"escalated\": %zu,\n    \"by_rule\": {",
		a->escalated);
	for (i = 0; i < 3; i++)
		cl__buf_printf(b, "%s\"%s\": %zu", i ? ", " : "",
			cl__audit_rules[i],
			cl__audit_rule_count(a, cl__audit_rules[i]));
	for (i = 0; i < a->nrules; i++) {
		const char *r = a->rules[i].name;

		if (!strcmp(r, cl__audit_rules[0]) ||
		    !strcmp(r, cl__audit_rules[1]) ||
		    !strcmp(r, cl__audit_rules[2]))
			continue;
		cl__buf_puts(b, ", ");
		jstr(b, r);
		cl__buf_printf(b, ": %zu", a->rules[i].count);
	}
	cl__buf_puts(b, "}");
	items_start(b);
	for (i = 0; i < a->reminders.count; i++) {
		items_next(b, i);
		item(w, &a->reminders.items[i], reminder_extra);
	}
	items_end(b, a->reminders.count);
}

static void groups(cl_buf *b, const char *name, const char *k,
	const cl__audit_group *const *order, size_t n)
{
	size_t i;

	cl__buf_printf(b, ",\n    \"%s\": [", name);
	for (i = 0; i < n && i < CL_AUDIT_MAX_ITEMS; i++) {
		cl__buf_printf(b, "%s{\"%s\": ", i ? ",\n      " : "\n      ", k);
		jstr(b, order[i]->name);
		cl__buf_printf(b, ", \"count\": %zu, \"median_s\": %lld, "
			"\"p90_s\": %lld}", order[i]->samples.n,
			(long long)order[i]->median, (long long)order[i]->p90);
	}
	cl__buf_puts(b, i ? "\n    ]" : "]");
}

static void wait_section(writer *w)
{
	const cl_audit *a = w->a;
	cl_buf *b = w->b;

	section_start(b, "reply_wait", a->waits.n);
	cl__buf_printf(b, ",\n    \"median_s\": %lld,\n    \"p90_s\": %lld",
		(long long)a->wait_median, (long long)a->wait_p90);
	groups(b, "by_owner", "owner", a->owner_order, a->owner_map.count);
	groups(b, "by_project", "project", a->project_order,
		a->project_map.count);
	cl__buf_puts(b, "\n  }");
}

static void head(cl_buf *b, const cl_audit *a)
{
	size_t i;

	cl__buf_puts(b, "{\n  \"generated\": ");
	jtime(b, a->generated);
	cl__buf_puts(b, ",\n  \"since\": ");
	jtime(b, a->since);
	cl__buf_puts(b, ",\n  \"until\": ");
	jtime(b, a->until);
	cl__buf_printf(b, ",\n  \"events\": %zu,\n  \"event_types\": {",
		a->events);
	for (i = 0; i < a->ntypes; i++) {
		cl__buf_puts(b, i ? ", " : "");
		jstr(b, a->types[i].name);
		cl__buf_printf(b, ": %zu", a->types[i].count);
	}
	cl__buf_printf(b, "},\n  \"violations\": %zu", cl_audit_violations(a));
}

int cl__audit_render_json(char **out, const cl_audit *a)
{
	cl_buf b = CL_BUF_INIT;
	writer w;

	w.b = &b;
	w.a = a;
	if ((w.tok = json_tokener_new()) == NULL)
		return CL_ENOMEM;
	json_tokener_set_flags(w.tok, JSON_TOKENER_VALIDATE_UTF8);
	head(&b, a);
	closed_section(&w);
	list(&w, "reopened", &a->reopened, NULL);
	list(&w, "overrides", &a->overrides, override_extra);
	list(&w, "unverified_pushes", &a->unverified, unverified_extra);
	list(&w, "rechecked_with_problems", &a->rechecked, NULL);
	state_section(&w, "unowned", &a->unowned, STATE_UNOWNED);
	state_section(&w, "unacknowledged_handoffs", &a->handoffs,
		STATE_HANDOFF);
	reminders_section(&w);
	wait_section(&w);
	state_section(&w, "waiting_for_reply", &a->waiting, STATE_WAITING);
	cl__buf_puts(&b, "\n}\n");
	json_tokener_free(w.tok);
	*out = cl__buf_detach(&b);
	return *out ? 0 : CL_ENOMEM;
}
