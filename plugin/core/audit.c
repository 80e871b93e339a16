/*
 * audit.c: the audit report over the ledger. One pass over the events of
 * the period collects counts and the lists an admin acts on; rendering is
 * separate so that the CLI and the receiver share it.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"

/* Lists in a report stop growing here; counts stay exact. */
#define CL_AUDIT_MAX_ITEMS 10000

typedef struct {
	char *type;
	size_t count;
} type_count;

typedef struct {
	int64_t time;
	char *ticket, *actor, *commit, *detail;
} audit_item;

typedef struct {
	audit_item *items;
	size_t count, cap;
	size_t total; /* including those beyond the cap */
} item_list;

struct cl_audit {
	int64_t since, until, generated;
	size_t events;
	type_count *types;
	size_t ntypes, types_cap;
	item_list closed_no_reply, overrides, unverified, reopened, rechecked;
};

static int count_type(cl_audit *a, const char *type)
{
	size_t i;

	for (i = 0; i < a->ntypes; i++) {
		if (strcmp(a->types[i].type, type) == 0) {
			a->types[i].count++;
			return 0;
		}
	}
	if (a->ntypes == a->types_cap) {
		size_t n = a->types_cap ? a->types_cap * 2 : 16;
		type_count *t = cl__realloc(a->types, n * sizeof(*t));

		if (t == NULL)
			return CL_ENOMEM;
		a->types = t;
		a->types_cap = n;
	}
	a->types[a->ntypes].type = cl__strdup(type);
	if (a->types[a->ntypes].type == NULL)
		return CL_ENOMEM;
	a->types[a->ntypes++].count = 1;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? cl__strdup(s) : NULL;
}

static int list_add(item_list *l, const cl_event *ev)
{
	audit_item *it;

	l->total++;
	if (l->count >= CL_AUDIT_MAX_ITEMS)
		return 0;
	if (l->count == l->cap) {
		size_t n = l->cap ? l->cap * 2 : 16;
		audit_item *p = cl__realloc(l->items, n * sizeof(*p));

		if (p == NULL)
			return CL_ENOMEM;
		l->items = p;
		l->cap = n;
	}
	it = &l->items[l->count];
	it->time = ev->time;
	it->ticket = dup_or_null(ev->ticket);
	it->actor = dup_or_null(ev->actor);
	it->commit = dup_or_null(ev->commit);
	it->detail = dup_or_null(ev->detail);
	l->count++;
	if ((ev->ticket && !it->ticket) || (ev->actor && !it->actor) ||
	    (ev->commit && !it->commit) || (ev->detail && !it->detail))
		return CL_ENOMEM;
	return 0;
}

static int collect(const cl_event *ev, void *payload)
{
	cl_audit *a = payload;
	int error;

	a->events++;
	if ((error = count_type(a, ev->type)) < 0)
		return error;
	if (strcmp(ev->type, CL_EVENT_CLOSED_NO_REPLY) == 0)
		return list_add(&a->closed_no_reply, ev);
	if (strcmp(ev->type, CL_EVENT_OVERRIDE) == 0)
		return list_add(&a->overrides, ev);
	if (strcmp(ev->type, CL_EVENT_PUSH_UNVERIFIED) == 0)
		return list_add(&a->unverified, ev);
	if (strcmp(ev->type, CL_EVENT_REOPENED) == 0)
		return list_add(&a->reopened, ev);
	/* closeloop writes this detail itself, compact: an empty problem
	 * list is "problems":[] */
	if (strcmp(ev->type, CL_EVENT_PUSH_RECHECKED) == 0 && ev->detail &&
	    strstr(ev->detail, "\"problems\":[{") != NULL)
		return list_add(&a->rechecked, ev);
	return 0;
}

int cl_audit_format_from_name(cl_audit_format *out, const char *name)
{
	if (name && strcmp(name, "text") == 0)
		*out = CL_AUDIT_TEXT;
	else if (name && strcmp(name, "json") == 0)
		*out = CL_AUDIT_JSON;
	else
		return cl__error(CL_EINVALID,
			"unknown report format '%s': use text or json",
			name ? name : "");
	return 0;
}

int cl_audit_run(cl_audit **out, cl_store *store, int64_t since,
	int64_t until)
{
	cl_event_filter filter = CL_EVENT_FILTER_INIT;
	cl_audit *a;
	int error;

	*out = NULL;
	if (until && until <= since)
		return cl__error(CL_EINVALID,
			"the period is empty: --until must be after --since");
	if ((a = cl__calloc(1, sizeof(*a))) == NULL)
		return CL_ENOMEM;
	a->since = since;
	a->until = until;
	a->generated = cl_clock_now();
	filter.since = since;
	filter.until = until;
	if ((error = cl_store_foreach(store, &filter, collect, a)) < 0) {
		cl_audit_free(a);
		return error;
	}
	*out = a;
	return 0;
}

size_t cl_audit_violations(const cl_audit *a)
{
	return a->closed_no_reply.total + a->overrides.total +
		a->unverified.total;
}

static void list_free(item_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->items[i].ticket);
		free(l->items[i].actor);
		free(l->items[i].commit);
		free(l->items[i].detail);
	}
	free(l->items);
}

void cl_audit_free(cl_audit *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->ntypes; i++)
		free(a->types[i].type);
	free(a->types);
	list_free(&a->closed_no_reply);
	list_free(&a->overrides);
	list_free(&a->unverified);
	list_free(&a->reopened);
	list_free(&a->rechecked);
	free(a);
}

void cl_free(void *ptr)
{
	free(ptr);
}

/* Rendering */

static const char *time_text(char *buf, size_t len, int64_t t)
{
	if (t == 0 || cl_time_format(buf, len, t) < 0)
		return NULL;
	return buf;
}

static json_object *json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* The detail text is JSON written by closeloop; keep it structured. */
static json_object *json_detail(const char *detail)
{
	json_object *o;

	if (detail == NULL)
		return NULL;
	o = json_tokener_parse(detail);
	return o ? o : json_object_new_string(detail);
}

static json_object *json_list(const item_list *l)
{
	json_object *arr = json_object_new_array();
	char tb[32];
	size_t i;

	for (i = 0; i < l->count; i++) {
		const audit_item *it = &l->items[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "time",
			json_str(time_text(tb, sizeof(tb), it->time)));
		json_object_object_add(o, "ticket", json_str(it->ticket));
		json_object_object_add(o, "actor", json_str(it->actor));
		json_object_object_add(o, "commit", json_str(it->commit));
		json_object_object_add(o, "detail", json_detail(it->detail));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void json_section(json_object *root, const char *name,
	const item_list *l)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_int64((int64_t)l->total));
	json_object_object_add(o, "items", json_list(l));
	json_object_object_add(root, name, o);
}

static int render_json(char **out, const cl_audit *a)
{
	json_object *root = json_object_new_object();
	json_object *types = json_object_new_object();
	char tb[32];
	size_t i;

	json_object_object_add(root, "generated",
		json_str(time_text(tb, sizeof(tb), a->generated)));
	json_object_object_add(root, "since",
		json_str(time_text(tb, sizeof(tb), a->since)));
	json_object_object_add(root, "until",
		json_str(time_text(tb, sizeof(tb), a->until)));
	json_object_object_add(root, "events",
		json_object_new_int64((int64_t)a->events));
	for (i = 0; i < a->ntypes; i++)
		json_object_object_add(types, a->types[i].type,
			json_object_new_int64((int64_t)a->types[i].count));
	json_object_object_add(root, "event_types", types);
	json_section(root, "closed_without_reply", &a->closed_no_reply);
	json_section(root, "reopened", &a->reopened);
	json_section(root, "overrides", &a->overrides);
	json_section(root, "unverified_pushes", &a->unverified);
	json_section(root, "rechecked_with_problems", &a->rechecked);
	json_object_object_add(root, "violations",
		json_object_new_int64((int64_t)cl_audit_violations(a)));
	*out = cl__strdup(json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	if (*out == NULL)
		return CL_ENOMEM;
	return 0;
}

static void text_list(cl_buf *b, const char *title, const item_list *l)
{
	char tb[32];
	size_t i;

	cl__buf_printf(b, "\n%s: %zu\n", title, l->total);
	for (i = 0; i < l->count; i++) {
		const audit_item *it = &l->items[i];

		cl__buf_printf(b, "  %s  %s", time_text(tb, sizeof(tb), it->time) ?
			tb : "-", it->ticket ? it->ticket : "-");
		if (it->actor)
			cl__buf_printf(b, "  by %s", it->actor);
		if (it->commit)
			cl__buf_printf(b, "  commit %.12s", it->commit);
		if (it->detail)
			cl__buf_printf(b, "  %s", it->detail);
		cl__buf_puts(b, "\n");
	}
	if (l->total > l->count)
		cl__buf_printf(b, "  ... and %zu more\n", l->total - l->count);
}

static int render_text(char **out, const cl_audit *a)
{
	cl_buf b = CL_BUF_INIT;
	char t1[32], t2[32], t3[32];
	size_t i;

	cl__buf_printf(&b, "closeloop audit, generated %s\nperiod: %s to %s\n",
		time_text(t1, sizeof(t1), a->generated) ? t1 : "-",
		time_text(t2, sizeof(t2), a->since) ? t2 : "the beginning",
		time_text(t3, sizeof(t3), a->until) ? t3 : "now");
	cl__buf_printf(&b, "events: %zu\n", a->events);
	for (i = 0; i < a->ntypes; i++)
		cl__buf_printf(&b, "  %-32s %zu\n", a->types[i].type,
			a->types[i].count);
	text_list(&b, "closed without a reply", &a->closed_no_reply);
	text_list(&b, "reopened by closeloop", &a->reopened);
	text_list(&b, "overrides", &a->overrides);
	text_list(&b, "pushes accepted unverified", &a->unverified);
	text_list(&b, "unverified pushes that broke a rule, re-checked later",
		&a->rechecked);
	cl__buf_printf(&b, "\nviolations: %zu\n", cl_audit_violations(a));
	*out = cl__buf_detach(&b);
	return *out ? 0 : CL_ENOMEM;
}

int cl_audit_render(char **out, const cl_audit *audit, cl_audit_format format)
{
	*out = NULL;
	if (audit == NULL)
		return cl__error(CL_EINVALID, "no audit to render");
	if (format == CL_AUDIT_JSON)
		return render_json(out, audit);
	return render_text(out, audit);
}
