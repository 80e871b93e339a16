/*
 * audit_csv.c: the audit as one CSV table (RFC 4180: CRLF line ends,
 * fields with a comma, quote, CR or LF quoted, quotes doubled), so that a
 * spreadsheet opens every list at once and a filter on the first column,
 * "section", picks one. The columns are fixed:
 *
 *   section,time,ticket,actor,owner,from,to,name,count,median_s,p90_s,
 *   age_s,commit,detail
 *
 * and closeloop(1) says what each section puts in them. Text from the
 * ledger comes from trackers and commits: a cell that a spreadsheet would
 * run as a formula (starting with = + - @, a tab or CR) gets a leading
 * apostrophe, as OWASP advises for CSV injection.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "audit_int.h"

enum {
	C_SECTION, C_TIME, C_TICKET, C_ACTOR, C_OWNER, C_FROM, C_TO, C_NAME,
	C_COUNT, C_MEDIAN, C_P90, C_AGE, C_COMMIT, C_DETAIL, C__N
};

static const char *const columns[C__N] = {
	"section", "time", "ticket", "actor", "owner", "from", "to", "name",
	"count", "median_s", "p90_s", "age_s", "commit", "detail"
};

/* Cells that hold numbers closeloop computed: never neutralised. */
#define NUMERIC(c) ((c) == C_COUNT || (c) == C_MEDIAN || (c) == C_P90 || \
	(c) == C_AGE)

int cl__csv_field(cl_buf *buf, const char *s)
{
	const char *p;

	int formula;

	if (s == NULL || *s == '\0')
		return 0;
	formula = strchr("=+-@\t\r", *s) != NULL;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		if (formula)
			cl__buf_puts(buf, "'");
		return cl__buf_puts(buf, s);
	}
	cl__buf_puts(buf, formula ? "\"'" : "\"");
	for (p = s; *p; p++) {
		if (*p == '"')
			cl__buf_puts(buf, "\"\"");
		else
			cl__buf_put(buf, p, 1);
	}
	return cl__buf_puts(buf, "\"");
}

typedef struct {
	const char *cell[C__N];
	char time[32], count[24], median[24], p90[24], age[24];
} row;

static void row_init(row *r, const char *section)
{
	memset(r, 0, sizeof(*r));
	r->cell[C_SECTION] = section;
}

static void row_time(row *r, int64_t t)
{
	r->cell[C_TIME] = cl__audit_time(r->time, sizeof(r->time), t);
}

static void row_count(row *r, int64_t n)
{
	snprintf(r->count, sizeof(r->count), "%lld", (long long)n);
	r->cell[C_COUNT] = r->count;
}

static void row_put(cl_buf *b, const row *r)
{
	int i;

	for (i = 0; i < C__N; i++) {
		if (i)
			cl__buf_puts(b, ",");
		if (NUMERIC(i) && r->cell[i])
			cl__buf_puts(b, r->cell[i]);
		else
			cl__csv_field(b, r->cell[i]);
	}
	cl__buf_puts(b, "\r\n");
}

/* A string field of a parsed detail, or NULL. */
static const char *dstr(json_object *d, const char *key)
{
	json_object *v;

	if (d == NULL || !json_object_object_get_ex(d, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t dint(json_object *d, const char *key, int *set)
{
	json_object *v;

	*set = 0;
	if (d == NULL || !json_object_object_get_ex(d, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	*set = 1;
	return json_object_get_int64(v);
}

/* The strings of an array field, joined by spaces, into j. */
static const char *djoin(cl_buf *j, json_object *d, const char *key)
{
	json_object *v;
	size_t i, n;

	cl__buf_free(j);
	if (d == NULL || !json_object_object_get_ex(d, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string))
			continue;
		if (j->len)
			cl__buf_puts(j, " ");
		cl__buf_puts(j, json_object_get_string(e));
	}
	return j->len ? j->ptr : NULL;
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */
/* ------------------------------------------------------------------ */

static void summary(cl_buf *b, const char *name, size_t n)
{
	row r;

	row_init(&r, "summary");
	r.cell[C_NAME] = name;
	row_count(&r, (int64_t)n);
	row_put(b, &r);
}

static void summary_time(cl_buf *b, const char *name, int64_t t)
{
	row r;

	row_init(&r, "summary");
	r.cell[C_NAME] = name;
	row_time(&r, t);
	row_put(b, &r);
}

static void summaries(cl_buf *b, const cl_audit *a)
{
	size_t i;
	row r;

	summary_time(b, "generated", a->generated);
	summary_time(b, "since", a->since);
	summary_time(b, "until", a->until);
	summary(b, "events", a->events);
	summary(b, "violations", cl_audit_violations(a));
	summary(b, "closed_without_reply", a->closed_no_reply.total);
	summary(b, "reopen_requested", a->cnr_reopen_asked);
	summary(b, "reopened_after_close", a->cnr_reopened);
	summary(b, "reopened", a->reopened.total);
	summary(b, "overrides", a->overrides.total);
	summary(b, "unverified_pushes", a->unverified.total);
	summary(b, "rechecked_with_problems", a->rechecked.total);
	summary(b, "unowned", a->unowned.total);
	summary(b, "unacknowledged_handoffs", a->handoffs.total);
	summary(b, "reminders", a->reminders.total);
	summary(b, "reminders_escalated", a->escalated);
	summary(b, "waiting_for_reply", a->waiting.total);
	for (i = 0; i < a->ntypes; i++) {
		row_init(&r, "event_type");
		r.cell[C_NAME] = a->types[i].name;
		row_count(&r, (int64_t)a->types[i].count);
		row_put(b, &r);
	}
}

static void item_row(row *r, const char *section, const cl__audit_item *it)
{
	row_init(r, section);
	row_time(r, it->time);
	r->cell[C_TICKET] = it->ticket;
	r->cell[C_ACTOR] = it->actor;
	r->cell[C_COMMIT] = it->commit;
}

static void closed_rows(cl_buf *b, const cl_audit *a)
{
	char later[32], action[16];
	size_t i;
	row r;

	for (i = 0; i < a->closed_no_reply.count; i++) {
		const cl__audit_item *it = &a->closed_no_reply.items[i];

		item_row(&r, "closed_without_reply", it);
		r.cell[C_OWNER] = it->owner;
		if (cl__json_field_string(it->detail, "action", action,
			    sizeof(action)) == CL__JSON_STRING)
			r.cell[C_NAME] = action;
		r.cell[C_DETAIL] = cl__audit_time(later, sizeof(later),
			it->later);
		row_put(b, &r);
	}
	for (i = 0; i < a->ndays; i++) {
		row_init(&r, "closed_per_day");
		row_time(&r, a->days[i].day * 86400);
		if (r.cell[C_TIME])
			r.time[10] = '\0';
		row_count(&r, (int64_t)a->days[i].count);
		row_put(b, &r);
	}
}

/* Lists whose detail is read with json-c: overrides, unverified pushes,
 * reminders, re-checks, reopenings. */
static void detail_rows(cl_buf *b, const char *section,
	const cl__audit_list *l)
{
	cl_buf j = CL_BUF_INIT, flags = CL_BUF_INIT;
	size_t i;
	row r;

	for (i = 0; i < l->count; i++) {
		const cl__audit_item *it = &l->items[i];
		json_object *d = it->detail ? json_tokener_parse(it->detail) : NULL;
		int set;
		int64_t n;

		if (d && !json_object_is_type(d, json_type_object)) {
			json_object_put(d);
			d = NULL;
		}
		item_row(&r, section, it);
		if (strcmp(section, "override") == 0) {
			if (it->ticket == NULL)
				r.cell[C_TICKET] = djoin(&j, d, "tickets");
			n = dint(d, "commits", &set);
			if (set)
				row_count(&r, n);
			r.cell[C_DETAIL] = dstr(d, "reason");
		} else if (strcmp(section, "unverified_push") == 0) {
			if (it->ticket == NULL)
				r.cell[C_TICKET] = djoin(&j, d, "tickets");
			r.cell[C_DETAIL] = dstr(d, "tracker_error");
		} else if (strcmp(section, "reminder") == 0) {
			json_object *v;

			r.cell[C_TO] = djoin(&j, d, "to");
			r.cell[C_NAME] = dstr(d, "rule");
			n = dint(d, "count", &set);
			if (set)
				row_count(&r, n);
			cl__buf_free(&flags);
			if (d && json_object_object_get_ex(d, "escalated", &v) &&
			    json_object_get_boolean(v))
				cl__buf_puts(&flags, "escalated");
			if (d && json_object_object_get_ex(d, "internal", &v) &&
			    json_object_get_boolean(v))
				cl__buf_puts(&flags, flags.len ? " internal" :
					"internal");
			r.cell[C_DETAIL] = flags.len ? flags.ptr : NULL;
		} else if (strcmp(section, "reopened") == 0) {
			r.cell[C_DETAIL] = dstr(d, "why");
		} else {
			r.cell[C_DETAIL] = it->detail;
		}
		row_put(b, &r);
		json_object_put(d);
	}
	cl__buf_free(&j);
	cl__buf_free(&flags);
}

static void state_rows(cl_buf *b, const cl_audit *a, const char *section,
	const cl__audit_state_list *l)
{
	size_t i;
	row r;

	for (i = 0; i < l->count; i++) {
		const cl__audit_ticket *t = l->items[i].t;

		row_init(&r, section);
		r.cell[C_TICKET] = t->id;
		row_time(&r, l->items[i].since);
		snprintf(r.age, sizeof(r.age), "%lld",
			(long long)(a->generated - l->items[i].since));
		r.cell[C_AGE] = r.age;
		if (l == &a->handoffs) {
			r.cell[C_FROM] = t->ho_from;
			r.cell[C_TO] = t->ho_to;
		} else if (l == &a->waiting) {
			r.cell[C_OWNER] = t->owner;
			r.cell[C_ACTOR] = t->work_actor;
			r.cell[C_COMMIT] = t->work_commit;
			r.cell[C_NAME] = t->open ? "open" : "closed";
		}
		row_put(b, &r);
	}
}

static void wait_row(cl_buf *b, const char *section, const char *name,
	int owner, size_t n, int64_t median, int64_t p90)
{
	row r;

	row_init(&r, section);
	r.cell[owner ? C_OWNER : C_NAME] = name;
	row_count(&r, (int64_t)n);
	snprintf(r.median, sizeof(r.median), "%lld", (long long)median);
	snprintf(r.p90, sizeof(r.p90), "%lld", (long long)p90);
	r.cell[C_MEDIAN] = r.median;
	r.cell[C_P90] = r.p90;
	row_put(b, &r);
}

static void wait_rows(cl_buf *b, const cl_audit *a)
{
	size_t i;

	wait_row(b, "reply_wait", "all", 0, a->waits.n, a->wait_median,
		a->wait_p90);
	for (i = 0; i < a->owner_map.count && i < CL_AUDIT_MAX_ITEMS; i++)
		wait_row(b, "reply_wait_owner", a->owner_order[i]->name, 1,
			a->owner_order[i]->samples.n, a->owner_order[i]->median,
			a->owner_order[i]->p90);
	for (i = 0; i < a->project_map.count && i < CL_AUDIT_MAX_ITEMS; i++)
		wait_row(b, "reply_wait_project", a->project_order[i]->name, 0,
			a->project_order[i]->samples.n,
			a->project_order[i]->median, a->project_order[i]->p90);
}

static void rule_rows(cl_buf *b, const cl_audit *a)
{
	size_t i;
	row r;

	for (i = 0; i < 3; i++) {
		row_init(&r, "reminder_rule");
		r.cell[C_NAME] = cl__audit_rules[i];
		row_count(&r, (int64_t)cl__audit_rule_count(a, cl__audit_rules[i]));
		row_put(b, &r);
	}
	for (i = 0; i < a->nrules; i++) {
		const char *name = a->rules[i].name;

		if (!strcmp(name, cl__audit_rules[0]) ||
		    !strcmp(name, cl__audit_rules[1]) ||
		    !strcmp(name, cl__audit_rules[2]))
			continue;
		row_init(&r, "reminder_rule");
		r.cell[C_NAME] = name;
		row_count(&r, (int64_t)a->rules[i].count);
		row_put(b, &r);
	}
}

int cl__audit_render_csv(char **out, const cl_audit *a)
{
	cl_buf b = CL_BUF_INIT;
	int i;

	for (i = 0; i < C__N; i++)
		cl__buf_printf(&b, "%s%s", i ? "," : "", columns[i]);
	cl__buf_puts(&b, "\r\n");
	summaries(&b, a);
	closed_rows(&b, a);
	detail_rows(&b, "reopened", &a->reopened);
	detail_rows(&b, "override", &a->overrides);
	detail_rows(&b, "unverified_push", &a->unverified);
	detail_rows(&b, "rechecked", &a->rechecked);
	state_rows(&b, a, "unowned", &a->unowned);
	state_rows(&b, a, "handoff_unacknowledged", &a->handoffs);
	rule_rows(&b, a);
	detail_rows(&b, "reminder", &a->reminders);
	wait_rows(&b, a);
	state_rows(&b, a, "waiting_for_reply", &a->waiting);
	*out = cl__buf_detach(&b);
	return *out ? 0 : CL_ENOMEM;
}
