/*
 * audit.c: the audit report over the ledger: its public API (run, render,
 * free), the work done once the pass is over (percentiles, the lists of
 * tickets in a state), and small helpers the renderers share.
 *
 * The pass itself is in audit_collect.c; each output format has its own
 * file (audit_text.c, audit_json.c, audit_csv.c, audit_html.c), so that
 * the CLI and the receiver can share them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

const char *const cl__audit_rules[3] = {
	"reply-due", "owner-required", "handoff-ack"
};

int cl_audit_format_from_name(cl_audit_format *out, const char *name)
{
	static const struct {
		const char *name;
		cl_audit_format format;
	} formats[] = {
		{ "text", CL_AUDIT_TEXT },
		{ "json", CL_AUDIT_JSON },
		{ "csv", CL_AUDIT_CSV },
		{ "html", CL_AUDIT_HTML },
	};
	size_t i;

	for (i = 0; name && i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(name, formats[i].name) == 0) {
			*out = formats[i].format;
			return 0;
		}
	}
	return cl__error(CL_EINVALID,
		"unknown report format '%s': use text, json, csv or html",
		name ? name : "");
}

/* ------------------------------------------------------------------ */
/* After the pass                                                      */
/* ------------------------------------------------------------------ */

static int cmp_state_item(const void *x, const void *y)
{
	const cl__audit_state_item *a = x, *b = y;

	if (a->since != b->since)
		return a->since < b->since ? -1 : 1;
	return strcmp(a->t->id, b->t->id);
}

typedef enum { STATE_UNOWNED, STATE_HANDOFF, STATE_WAITING } state_kind;

static int in_state(const cl__audit_ticket *t, state_kind kind,
	int64_t *since)
{
	switch (kind) {
	case STATE_UNOWNED:
		*since = t->opened;
		return t->open && t->owner == NULL;
	case STATE_HANDOFF:
		*since = t->ho_since;
		return t->ho_to != NULL;
	case STATE_WAITING:
		*since = t->work_time;
		return t->work && !t->replied;
	}
	return 0;
}

/* The tickets in a state, oldest first, capped; the total stays exact. */
static int state_list(cl_audit *a, cl__audit_state_list *l, state_kind kind)
{
	size_t i, n = a->ticket_map.count;

	l->count = l->total = 0;
	if (n == 0)
		return 0;
	if ((l->items = cl__calloc(n, sizeof(*l->items))) == NULL)
		return CL_ENOMEM;
	for (i = 0; i < n; i++) {
		int64_t since;

		if (!in_state(&a->tickets[i], kind, &since))
			continue;
		l->items[l->total].t = &a->tickets[i];
		l->items[l->total++].since = since;
	}
	qsort(l->items, l->total, sizeof(*l->items), cmp_state_item);
	l->count = l->total < CL_AUDIT_MAX_ITEMS ? l->total :
		CL_AUDIT_MAX_ITEMS;
	return 0;
}

static int cmp_group(const void *x, const void *y)
{
	const cl__audit_group *const *a = x, *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

/* Percentiles of each group, and the groups in name order. */
static int groups_finish(const cl__audit_group ***order,
	cl__audit_group *groups, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if ((*order = cl__calloc(n, sizeof(**order))) == NULL)
		return CL_ENOMEM;
	for (i = 0; i < n; i++) {
		cl__audit_group *g = &groups[i];

		cl__samples_sort(&g->samples);
		g->median = cl__percentile(g->samples.v, g->samples.n, 50);
		g->p90 = cl__percentile(g->samples.v, g->samples.n, 90);
		(*order)[i] = g;
	}
	qsort(*order, n, sizeof(**order), cmp_group);
	return 0;
}

int cl__audit_finish(cl_audit *a)
{
	int error;

	cl__samples_sort(&a->waits);
	a->wait_median = cl__percentile(a->waits.v, a->waits.n, 50);
	a->wait_p90 = cl__percentile(a->waits.v, a->waits.n, 90);
	if ((error = groups_finish(&a->owner_order, a->owners,
			a->owner_map.count)) < 0 ||
	    (error = groups_finish(&a->project_order, a->projects,
			a->project_map.count)) < 0 ||
	    (error = state_list(a, &a->unowned, STATE_UNOWNED)) < 0 ||
	    (error = state_list(a, &a->handoffs, STATE_HANDOFF)) < 0)
		return error;
	return state_list(a, &a->waiting, STATE_WAITING);
}

/* ------------------------------------------------------------------ */
/* API                                                                 */
/* ------------------------------------------------------------------ */

int cl_audit_run(cl_audit **out, cl_store *store, int64_t since,
	int64_t until)
{
	cl_audit *a;
	int error;

	*out = NULL;
	if (store == NULL)
		return cl__error(CL_EINVALID, "no store to audit");
	if (until && until <= since)
		return cl__error(CL_EINVALID,
			"the period is empty: --until must be after --since");
	if ((a = cl__calloc(1, sizeof(*a))) == NULL)
		return CL_ENOMEM;
	a->since = since;
	a->until = until;
	a->generated = cl_clock_now();
	if ((error = cl__audit_collect(a, store)) < 0 ||
	    (error = cl__audit_finish(a)) < 0) {
		if (error == CL_ENOMEM)
			cl__error_nomem();
		cl_audit_free(a);
		return error;
	}
	*out = a;
	return 0;
}

size_t cl_audit_violations(const cl_audit *a)
{
	if (a == NULL)
		return 0;
	return a->closed_no_reply.total + a->overrides.total +
		a->unverified.total;
}

static void groups_free(cl__audit_group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cl__samples_free(&g[i].samples);
	free(g);
}

void cl_audit_free(cl_audit *a)
{
	if (a == NULL)
		return;
	free(a->types);
	free(a->rules);
	free(a->days);
	cl__audit_list_free(&a->closed_no_reply);
	cl__audit_list_free(&a->overrides);
	cl__audit_list_free(&a->unverified);
	cl__audit_list_free(&a->reopened);
	cl__audit_list_free(&a->rechecked);
	cl__audit_list_free(&a->reminders);
	free(a->tickets);
	cl__samples_free(&a->waits);
	groups_free(a->owners, a->owner_map.count);
	groups_free(a->projects, a->project_map.count);
	free(a->owner_order);
	free(a->project_order);
	free(a->unowned.items);
	free(a->handoffs.items);
	free(a->waiting.items);
	cl__map_free(&a->ticket_map);
	cl__map_free(&a->names);
	cl__map_free(&a->owner_map);
	cl__map_free(&a->project_map);
	cl__arena_free(&a->strings);
	free(a);
}

void cl_free(void *ptr)
{
	free(ptr);
}

int cl_audit_render(char **out, const cl_audit *audit, cl_audit_format format)
{
	int error;

	if (out == NULL)
		return cl__error(CL_EINVALID, "nowhere to render the audit to");
	*out = NULL;
	if (audit == NULL)
		return cl__error(CL_EINVALID, "no audit to render");
	switch (format) {
	case CL_AUDIT_TEXT:
		error = cl__audit_render_text(out, audit);
		break;
	case CL_AUDIT_JSON:
		error = cl__audit_render_json(out, audit);
		break;
	case CL_AUDIT_CSV:
		error = cl__audit_render_csv(out, audit);
		break;
	case CL_AUDIT_HTML:
		error = cl__audit_render_html(out, audit);
		break;
	default:
		return cl__error(CL_EINVALID, "unknown report format %d",
			(int)format);
	}
	if (error == CL_ENOMEM)
		cl__error_nomem();
	return error;
}

/* ------------------------------------------------------------------ */
/* Helpers for the renderers                                           */
/* ------------------------------------------------------------------ */

const char *cl__audit_time(char *buf, size_t len, int64_t t)
{
	if (t == 0 || cl_time_format(buf, len, t) < 0)
		return NULL;
	return buf;
}

const char *cl__audit_span(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%lldd %lldh", (long long)(s / 86400),
			(long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, len, "%lldh %02lldm", (long long)(s / 3600),
			(long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
	return buf;
}

size_t cl__audit_rule_count(const cl_audit *a, const char *rule)
{
	size_t i;

	for (i = 0; i < a->nrules; i++)
		if (strcmp(a->rules[i].name, rule) == 0)
			return a->rules[i].count;
	return 0;
}
