/*
 * audit_int.h: what the audit's files share inside libcloseloop: the
 * report as collected (audit.c, audit_collect.c, on the string map of
 * map_int.h and the detail field reader of json_int.h), percentiles (audit_stats.c) and the renderers
 * (audit_text.c, audit_json.c, audit_csv.c, audit_html.c).
 */
#ifndef CLOSELOOP_AUDIT_INT_H
#define CLOSELOOP_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "internal.h"
#include "json_int.h"
#include "map_int.h"

/* Lists in a report stop growing here; counts stay exact. */
#define CL_AUDIT_MAX_ITEMS 10000

/* ------------------------------------------------------------------ */
/* Detail JSON (audit_detail.c; one field: cl__json_field in json_int.h) */
/* ------------------------------------------------------------------ */

/* The detail as a json-c object, read with tok (reset first, reusable);
 * NULL when absent, not one JSON object, or not UTF-8. */
json_object *cl__audit_detail(json_tokener *tok, const char *detail);

/* ------------------------------------------------------------------ */
/* Percentiles (audit_stats.c)                                         */
/* ------------------------------------------------------------------ */

/* A growable list of durations in seconds. */
typedef struct {
	int64_t *v;
	size_t n, cap;
} cl__samples;

int cl__samples_add(cl__samples *s, int64_t v);
/* Sort in place; then cl__percentile reads them. */
void cl__samples_sort(cl__samples *s);
/* The p-th percentile (0..100) of n sorted values, interpolated linearly
 * between the closest ranks (numpy's default, R's type 7), rounded to the
 * nearest second; 0 for no values. */
int64_t cl__percentile(const int64_t *sorted, size_t n, double p);
void cl__samples_free(cl__samples *s);

/* "support:42" -> "support", "gh:acme/web#7" -> "gh:acme/web",
 * "jira:PROJ-12" -> "jira:PROJ"; the length of that prefix of ticket. */
size_t cl__audit_project_len(const char *ticket);

/* ------------------------------------------------------------------ */
/* The report                                                          */
/* ------------------------------------------------------------------ */

/* One event in a list; strings are the report's own copies. */
typedef struct {
	int64_t time;
	char *ticket, *actor, *commit, *detail;
	char *owner;    /* closed without reply: the owner at the close */
	int64_t later;  /* closed without reply: when closeloop reopened it */
} cl__audit_item;

typedef struct {
	cl__audit_item *items;
	size_t count, cap;
	size_t total; /* including those beyond the cap */
} cl__audit_list;

/* A ticket as the ledger knows it up to the end of the period. */
typedef struct {
	const char *id;          /* interned in the ticket map */
	const char *owner;       /* interned name, NULL for none */
	const char *ho_from;     /* a pending handoff: from (may be NULL) */
	const char *ho_to;       /* ... to; NULL when none is pending */
	const char *work_actor;  /* the first work since the last opening */
	const char *work_commit;
	int64_t opened;          /* the last opening */
	int64_t ho_since, work_time;
	size_t cnr_item;         /* last closed-without-reply list item + 1 */
	unsigned int open : 1;   /* opened since the last close */
	unsigned int work : 1;   /* work done since the last opening */
	unsigned int replied : 1; /* and a reply after that work */
	unsigned int cnr_pending : 1; /* closed without reply in the period,
	                                 not reopened yet */
} cl__audit_ticket;

/* Reply waits of one owner or project. */
typedef struct {
	const char *name;
	cl__samples samples;
	int64_t median, p90;
} cl__audit_group;

typedef struct {
	const char *name;
	size_t count;
} cl__audit_count;

/* Closes without reply on one day (days since 1970-01-01). */
typedef struct {
	int64_t day;
	size_t count;
} cl__audit_day;

/* A summary of one ticket for the state lists (unowned, handoffs,
 * waiting): pointers into the report's maps. */
typedef struct {
	const cl__audit_ticket *t;
	int64_t since; /* what the list is sorted by, oldest first */
} cl__audit_state_item;

typedef struct {
	cl__audit_state_item *items;
	size_t count, total;
} cl__audit_state_list;

struct cl_audit {
	int64_t since, until, generated;
	size_t events;
	cl__arena strings; /* type and rule names, commits of work done */

	/* every event type seen in the period, in order of first sight */
	cl__audit_count *types;
	size_t ntypes, types_cap, type_hint;

	cl__audit_list closed_no_reply, overrides, unverified, reopened,
		rechecked, reminders;
	size_t cnr_reopen_asked; /* closed without reply, action "reopen" */
	size_t cnr_reopened;     /* ... and a later ticket.reopened */
	cl__audit_day *days;
	size_t ndays, days_cap;

	/* reminders per rule, and how many named the escalation */
	cl__audit_count *rules;
	size_t nrules, rules_cap, rule_hint;
	size_t escalated;

	/* state, from every event up to until */
	cl__map ticket_map, names;
	cl__audit_ticket *tickets;
	size_t tickets_cap;

	/* reply waits in the period */
	cl__samples waits;
	int64_t wait_median, wait_p90;
	cl__map owner_map, project_map;
	cl__audit_group *owners, *projects;
	size_t owners_cap, projects_cap;

	/* built at the end of the pass */
	cl__audit_state_list unowned, handoffs, waiting;
	const cl__audit_group **owner_order, **project_order;
};

/* The pass over the events (audit_collect.c). */
int cl__audit_collect(cl_audit *a, cl_store *store);
/* After the pass: percentiles and the state lists. */
int cl__audit_finish(cl_audit *a);
void cl__audit_list_free(cl__audit_list *l);

/* Renderers; each sets *out to a new string or returns an error. */
int cl__audit_render_text(char **out, const cl_audit *a);
int cl__audit_render_json(char **out, const cl_audit *a);
int cl__audit_render_csv(char **out, const cl_audit *a);
int cl__audit_render_html(char **out, const cl_audit *a);

/* Helpers the renderers share (audit.c). */
/* "2026-11-23T09:30:00Z" into buf, or NULL for time 0. */
const char *cl__audit_time(char *buf, size_t len, int64_t t);
/* "3d 4h", "2h 05m", "12m", "40s" into buf. */
const char *cl__audit_span(char *buf, size_t len, int64_t seconds);
/* How many reminders for rule (0 when none). */
size_t cl__audit_rule_count(const cl_audit *a, const char *rule);
/* The rules every report names, even at 0. */
extern const char *const cl__audit_rules[3];

/* RFC 4180 field (audit_csv.c) and HTML text (audit_html.c) escaping,
 * appended to buf; exposed for the unit tests. */
int cl__csv_field(cl_buf *buf, const char *s);
int cl__html_escape(cl_buf *buf, const char *s);

#endif
