/*
 * redmine_int.h: the pure half of the Redmine backend. Redmine's JSON goes
 * in, plain values come out, with no HTTP in between, so that unit tests
 * drive these functions with answers captured from a real Redmine
 * (tests/data/redmine/). Not installed; cl__ names stay out of the library's
 * export list.
 */
#ifndef CLOSELOOP_REDMINE_INT_H
#define CLOSELOOP_REDMINE_INT_H

#include <stddef.h>
#include <stdint.h>

/* Redmine puts at most this many issues in one page of /issues.json. */
#define CL__REDMINE_BATCH 100

/* Issue ids are 32-bit integers in Redmine's schema; larger numbers name no
 * issue and some databases refuse them in a query. */
#define CL__REDMINE_MAX_ID 2147483647

/* One row of GET /issue_statuses.json. */
typedef struct {
	int64_t id;
	int closed;
	char *name;
} cl__redmine_status;

typedef struct {
	cl__redmine_status *items;
	size_t count;
} cl__redmine_statuses;

/* CL_EINVALID when json is not a status list. */
int cl__redmine_parse_statuses(cl__redmine_statuses *out, const char *json,
	size_t len);
/* 1 closed, 0 open, -1 not in the list (or no list). */
int cl__redmine_status_closed(const cl__redmine_statuses *statuses,
	int64_t id);
void cl__redmine_statuses_clear(cl__redmine_statuses *statuses);

/* Which custom fields mean what; names compare case-insensitively. */
typedef struct {
	const char *reply_field; /* the reply link; NULL: none */
	const char *owner_field; /* the owner; NULL: the assignee */
} cl__redmine_map;

/* One issue as the list or the single-issue answer shows it, before the
 * owner's login is known. */
typedef struct {
	int64_t id;
	char *subject;
	char *status;          /* status name */
	int64_t status_id;
	int closed;            /* status.is_closed; -1 when the answer lacks it */
	int64_t owner_id;      /* user to resolve to a login; 0 none */
	char *owner_name;      /* display name: the fallback when no login */
	char *reply;           /* the reply field's value; NULL when empty */
	int has_reply_field;   /* the field is enabled for this issue */
	int64_t reply_field_id;
	int64_t updated_at;    /* Unix seconds; 0 unknown */
	int snoozed;           /* a custom field holds closeloop:snooze */
	int64_t created_at;
} cl__redmine_issue;

typedef struct {
	cl__redmine_issue *items;
	size_t count;
} cl__redmine_issues;

/*
 * Read {"issues":[...]} (GET /issues.json) or {"issue":{...}}
 * (GET /issues/N.json). Entries without an id are skipped. CL_EINVALID
 * when json is neither.
 */
int cl__redmine_parse_issues(cl__redmine_issues *out, const char *json,
	size_t len, const cl__redmine_map *map);
/* The entry with that id, or NULL. */
cl__redmine_issue *cl__redmine_issues_find(const cl__redmine_issues *issues,
	int64_t id);
void cl__redmine_issue_clear(cl__redmine_issue *issue);
void cl__redmine_issues_clear(cl__redmine_issues *issues);

/*
 * Whether an issue is delivered, from GET /issues/N.json?include=journals
 * (DESIGN.md "delivered"): a customer reply linked since the issue was
 * last opened. A reopen is a journal whose status_id detail goes from a
 * closed status to an open one (statuses decide which is which); creation
 * is the first opening. A reply is a note line "Customer-Reply: LINK" or the
 * reply field getting a value (a value set at creation counts while the
 * issue was never reopened). *reply is the latest such link, or NULL when
 * undelivered. *active_at (when not NULL) is the time of the owner's last
 * journal, 0 none. CL_EINVALID when json is no issue.
 */
int cl__redmine_delivery(int *delivered, char **reply, const char *json,
	size_t len, const cl__redmine_statuses *statuses,
	const cl__redmine_map *map, int64_t *active_at);


/*
 * GET /users/ID.json or /users/current.json: *login (NULL when Redmine does
 * not show it) and *name ("First Last"). CL_EINVALID when json is no user.
 */
int cl__redmine_parse_user(char **login, char **name, const char *json,
	size_t len);

/* Request bodies for PUT /issues/N.json; NULL when out of memory. */
char *cl__redmine_note_body(const char *notes, int private_notes);
char *cl__redmine_reply_body(int64_t field_id, const char *link,
	const char *notes, int private_notes);

/* The "errors" of a 422 answer joined by "; ", or NULL. */
char *cl__redmine_errors(const char *json, size_t len);

#endif
