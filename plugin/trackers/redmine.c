/*
 * redmine.c: the Redmine tracker backend (REST API, JSON, an API key in the
 * X-Redmine-API-Key header).
 *
 * Lookups are asynchronous on the tracker's cl_http. One fetch call becomes:
 *   - GET /issues.json?issue_id=1,2,3&status_id=*&limit=100 per 100 ids
 *     (status_id=* so that closed issues come back too); an id missing from
 *     the answer does not exist or is hidden from the key;
 *   - GET /users/ID.json once per assignee (cached): the ticket's owner is a
 *     login, while issues only carry the display name. When Redmine will not
 *     say (no permission, a group) the display name stands in;
 *   - with CL_FETCH_DELIVERY, GET /issues/N.json?include=journals, plus
 *     GET /issue_statuses.json once per backend (cached) to tell reopens;
 *   - when an id is missing and a key is set, GET /users/current.json once:
 *     Redmine answers a refused key as the anonymous user, so without this
 *     a mistyped key would make every private issue "not exist".
 * A reference with a project ("owner/repo#7", "PROJ-7") names no Redmine
 * issue: it is reported as not existing when the first answer of the same
 * fetch call arrives (never from inside fetch: callers need not expect
 * re-entrant callbacks). A call made only of such references rides on a
 * GET /issue_statuses.json whose answer is ignored.
 *
 * Delivery (DESIGN.md "delivered") needs the journals: a reply linked
 * before the last reopen does not count. Without CL_FETCH_DELIVERY the
 * reply field alone is reported (delivered 1 when set, else -1: not asked).
 *
 * Writes (comments, the reply) are PUT /issues/N.json and are not retried
 * by the HTTP layer: a note whose answer was lost would be added twice.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "internal.h"
#include "json_int.h"
#include <closeloop/sys/tracker.h>
#include "redmine_int.h"

/* JSON helpers */

/* A positive id from a number or a string of digits; 0 otherwise. Redmine
 * writes ids as numbers but journal details and custom field values as
 * strings. */
static int64_t text_id(const char *s)
{
	int64_t n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (INT64_MAX - 9) / 10)
			return 0;
		n = n * 10 + (*s - '0');
	}
	return n;
}

static int64_t as_id(json_object *v)
{
	int64_t n;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		return n > 0 ? n : 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	return text_id(json_object_get_string(v));
}

static int64_t member_id(json_object *obj, const char *key)
{
	return as_id(cl__json_member(obj, key));
}

/* A custom field's value as text: the first non-empty entry of a
 * multiple-value field; NULL when empty. */
static const char *field_text(json_object *field)
{
	json_object *v = cl__json_member(field, "value");
	size_t i;

	if (v != NULL && json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (json_object_is_type(e, json_type_string) &&
			    *json_object_get_string(e) != '\0')
				return json_object_get_string(e);
		}
		return NULL;
	}
	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return *json_object_get_string(v) ? json_object_get_string(v) : NULL;
}

/* The issue's custom field of that name, or NULL. */
static json_object *find_field(json_object *issue, const char *name)
{
	json_object *fields = cl__json_member(issue, "custom_fields");
	size_t i;

	if (name == NULL || *name == '\0' || fields == NULL ||
	    !json_object_is_type(fields, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(fields); i++) {
		json_object *f = json_object_array_get_idx(fields, i);
		const char *n = cl__json_string(f, "name");

		if (n != NULL && cl__strcasecmp(n, name) == 0)
			return f;
	}
	return NULL;
}

/* Redmine has no labels: a closeloop:snooze value in any custom field
 * (a "Labels" list field, say) snoozes the issue. */
static int has_snooze_value(json_object *issue)
{
	json_object *fields = cl__json_member(issue, "custom_fields");
	size_t i, j;

	if (fields == NULL || !json_object_is_type(fields, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(fields); i++) {
		json_object *v = cl__json_member(
			json_object_array_get_idx(fields, i), "value");

		if (v != NULL && json_object_is_type(v, json_type_string) &&
		    cl__strcasecmp(json_object_get_string(v), CL_SNOOZE_LABEL) == 0)
			return 1;
		if (v == NULL || !json_object_is_type(v, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(v); j++) {
			json_object *e = json_object_array_get_idx(v, j);

			if (json_object_is_type(e, json_type_string) &&
			    cl__strcasecmp(json_object_get_string(e),
				    CL_SNOOZE_LABEL) == 0)
				return 1;
		}
	}
	return 0;
}

/* Statuses */

int cl__redmine_parse_statuses(cl__redmine_statuses *out, const char *json,
	size_t len)
{
	json_object *root = cl__json_parse(json, len), *list;
	size_t i, n;
	int ok = 1;

	out->items = NULL;
	out->count = 0;
	list = cl__json_member(root, "issue_statuses");
	if (list == NULL || !json_object_is_type(list, json_type_array)) {
		json_object_put(root);
		return cl__error(CL_EINVALID, "not a Redmine status list");
	}
	n = json_object_array_length(list);
	if (n && (out->items = cl__calloc(n, sizeof(*out->items))) == NULL) {
		json_object_put(root);
		return CL_ENOMEM;
	}
	for (i = 0; i < n && ok; i++) {
		json_object *s = json_object_array_get_idx(list, i);
		cl__redmine_status *st = &out->items[out->count];

		if ((st->id = member_id(s, "id")) == 0)
			continue;
		st->closed = json_object_get_boolean(cl__json_member(s, "is_closed"));
		st->name = cl__strdup_opt(cl__json_string(s, "name"), &ok);
		out->count++;
	}
	json_object_put(root);
	if (!ok) {
		cl__redmine_statuses_clear(out);
		return CL_ENOMEM;
	}
	return 0;
}

int cl__redmine_status_closed(const cl__redmine_statuses *statuses,
	int64_t id)
{
	size_t i;

	if (statuses == NULL)
		return -1;
	for (i = 0; i < statuses->count; i++)
		if (statuses->items[i].id == id)
			return statuses->items[i].closed;
	return -1;
}

void cl__redmine_statuses_clear(cl__redmine_statuses *statuses)
{
	size_t i;

	for (i = 0; i < statuses->count; i++)
		free(statuses->items[i].name);
	free(statuses->items);
	statuses->items = NULL;
	statuses->count = 0;
}

/* Issues */

static void owner_of(cl__redmine_issue *is, json_object *issue,
	const cl__redmine_map *map, int *ok)
{
	json_object *who;

	if (map && map->owner_field && *map->owner_field) {
		/* A user-type field holds a user id; any other kind of field
		 * is taken as the owner's name as written. */
		const char *text = field_text(find_field(issue, map->owner_field));

		if (text == NULL)
			return;
		is->owner_id = text_id(text);
		is->owner_name = cl__strdup_opt(text, ok);
		return;
	}
	who = cl__json_member(issue, "assigned_to");
	if (who == NULL)
		return;
	is->owner_id = member_id(who, "id");
	is->owner_name = cl__strdup_opt(cl__json_string(who, "name"), ok);
}

static int issue_from_json(cl__redmine_issue *is, json_object *issue,
	const cl__redmine_map *map)
{
	json_object *status = cl__json_member(issue, "status"), *closed, *field;
	const char *updated = cl__json_string(issue, "updated_on");
	const char *created = cl__json_string(issue, "created_on");
	int ok = 1;

	memset(is, 0, sizeof(*is));
	if ((is->id = member_id(issue, "id")) == 0)
		return 0;
	is->subject = cl__strdup_opt(cl__json_string(issue, "subject"), &ok);
	is->status = cl__strdup_opt(cl__json_string(status, "name"), &ok);
	is->status_id = member_id(status, "id");
	/* Redmine 5.0 writes status.is_closed into issues; older ones don't. */
	closed = cl__json_member(status, "is_closed");
	is->closed = closed ? json_object_get_boolean(closed) : -1;
	owner_of(is, issue, map, &ok);
	is->snoozed = has_snooze_value(issue);
	if (map && (field = find_field(issue, map->reply_field)) != NULL) {
		is->has_reply_field = 1;
		is->reply_field_id = member_id(field, "id");
		is->reply = cl__strdup_opt(field_text(field), &ok);
	}
	if (updated != NULL && cl_time_parse(&is->updated_at, updated) < 0)
		is->updated_at = 0;
	if (created != NULL && cl_time_parse(&is->created_at, created) < 0)
		is->created_at = 0;
	if (!ok) {
		cl__redmine_issue_clear(is);
		return CL_ENOMEM;
	}
	return 1;
}

int cl__redmine_parse_issues(cl__redmine_issues *out, const char *json,
	size_t len, const cl__redmine_map *map)
{
	json_object *root = cl__json_parse(json, len), *list, *one;
	size_t i, n;
	int r = 0;

	out->items = NULL;
	out->count = 0;
	list = cl__json_member(root, "issues");
	one = cl__json_member(root, "issue");
	if (list != NULL && !json_object_is_type(list, json_type_array))
		list = NULL;
	if (one != NULL && !json_object_is_type(one, json_type_object))
		one = NULL;
	if (list == NULL && one == NULL) {
		json_object_put(root);
		return cl__error(CL_EINVALID, "not a Redmine issue answer");
	}
	n = list ? json_object_array_length(list) : 1;
	if ((out->items = cl__calloc(n ? n : 1, sizeof(*out->items))) == NULL) {
		json_object_put(root);
		return CL_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		json_object *issue = list ? json_object_array_get_idx(list, i) : one;

		r = issue_from_json(&out->items[out->count], issue, map);
		if (r < 0)
			break;
		out->count += (size_t)r;
	}
	json_object_put(root);
	if (r < 0) {
		cl__redmine_issues_clear(out);
		return r;
	}
	return 0;
}

cl__redmine_issue *cl__redmine_issues_find(const cl__redmine_issues *issues,
	int64_t id)
{
	size_t i;

	for (i = 0; i < issues->count; i++)
		if (issues->items[i].id == id)
			return &issues->items[i];
	return NULL;
}

void cl__redmine_issue_clear(cl__redmine_issue *issue)
{
	free(issue->subject);
	free(issue->status);
	free(issue->owner_name);
	free(issue->reply);
	memset(issue, 0, sizeof(*issue));
}

void cl__redmine_issues_clear(cl__redmine_issues *issues)
{
	size_t i;

	for (i = 0; i < issues->count; i++)
		cl__redmine_issue_clear(&issues->items[i]);
	free(issues->items);
	issues->items = NULL;
	issues->count = 0;
}

/* Delivery */



/* A journal that moves the issue from a closed status to an open one. */
static int is_reopen(json_object *journal, const cl__redmine_statuses *st)
{
	json_object *details = cl__json_member(journal, "details");
	size_t i;

	if (details == NULL || !json_object_is_type(details, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(details); i++) {
		json_object *d = json_object_array_get_idx(details, i);
		const char *prop = cl__json_string(d, "property");
		const char *name = cl__json_string(d, "name");

		if (prop == NULL || name == NULL || strcmp(prop, "attr") != 0 ||
		    strcmp(name, "status_id") != 0)
			continue;
		if (cl__redmine_status_closed(st, member_id(d, "old_value")) == 1 &&
		    cl__redmine_status_closed(st, member_id(d, "new_value")) == 0)
			return 1;
	}
	return 0;
}

/* The reply field's change in this journal: 1 set (*value), -1 cleared,
 * 0 untouched. */
static int field_change(const char **value, json_object *journal,
	int64_t field_id)
{
	json_object *details = cl__json_member(journal, "details");
	int change = 0;
	size_t i;

	if (field_id == 0 || details == NULL ||
	    !json_object_is_type(details, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(details); i++) {
		json_object *d = json_object_array_get_idx(details, i);
		const char *prop = cl__json_string(d, "property");
		const char *v = cl__json_string(d, "new_value");

		if (prop == NULL || strcmp(prop, "cf") != 0 ||
		    member_id(d, "name") != field_id)
			continue;
		if (v != NULL && *v != '\0') {
			*value = v;
			change = 1;
		} else {
			change = -1;
		}
	}
	return change;
}

/* When the owner last wrote a journal (a note or any change): what
 * acknowledges a handoff on a tracker without webhooks. */
static int64_t owner_active_at(json_object *journals, size_t n,
	int64_t owner_id)
{
	int64_t at = 0, t;
	size_t i;

	for (i = 0; owner_id != 0 && i < n; i++) {
		json_object *j = json_object_array_get_idx(journals, i);
		const char *when = cl__json_string(j, "created_on");

		if (member_id(cl__json_member(j, "user"), "id") == owner_id &&
		    when != NULL && cl_time_parse(&t, when) == 0 && t > at)
			at = t;
	}
	return at;
}

int cl__redmine_delivery(int *delivered, char **reply, const char *json,
	size_t len, const cl__redmine_statuses *statuses,
	const cl__redmine_map *map, int64_t *active_at)
{
	json_object *root = cl__json_parse(json, len), *issue, *journals;
	cl__redmine_issue is;
	const char *link = NULL, *field_link = NULL, *note_link;
	size_t i, n, start = 0, link_len = 0, note_len;
	int reopened = 0, r, field_after = 0;

	*delivered = 0;
	*reply = NULL;
	issue = cl__json_member(root, "issue");
	if (issue == NULL || (r = issue_from_json(&is, issue, map)) == 0) {
		json_object_put(root);
		return cl__error(CL_EINVALID, "not a Redmine issue answer");
	}
	if (r < 0) {
		json_object_put(root);
		return r;
	}
	journals = cl__json_member(issue, "journals");
	n = (journals && json_object_is_type(journals, json_type_array)) ?
		json_object_array_length(journals) : 0;
	if (active_at)
		*active_at = owner_active_at(journals, n, is.owner_id);
	/* Journals come oldest first; only those from the last reopen on
	 * count (the reopening journal itself included: a reply may be linked
	 * in the same change). */
	for (i = 0; i < n; i++)
		if (is_reopen(json_object_array_get_idx(journals, i), statuses)) {
			start = i;
			reopened = 1;
		}
	for (i = start; i < n; i++) {
		json_object *j = json_object_array_get_idx(journals, i);
		int change = field_change(&field_link, j, is.reply_field_id);

		if (change == 1) {
			link = field_link;
			link_len = strlen(field_link);
			field_after = 1;
		} else if (change == -1 && field_after) {
			/* the field's link was taken back: notes may still count */
			link = NULL;
			field_after = 0;
		}
		if (cl__reply_line(&note_link, &note_len,
			    cl__json_string(j, "notes"))) {
			link = note_link;
			link_len = note_len;
		}
	}
	if (link == NULL && !reopened && is.reply != NULL) {
		/* never reopened: a value given at creation counts */
		link = is.reply;
		link_len = strlen(is.reply);
	}
	if (link != NULL) {
		if ((*reply = cl__strndup(link, link_len)) == NULL) {
			cl__redmine_issue_clear(&is);
			json_object_put(root);
			return CL_ENOMEM;
		}
		*delivered = 1;
	}
	cl__redmine_issue_clear(&is);
	json_object_put(root);
	return 0;
}

/* Users and bodies */

int cl__redmine_parse_user(char **login, char **name, const char *json,
	size_t len)
{
	json_object *root = cl__json_parse(json, len), *user;
	const char *first, *last;
	cl_buf buf = CL_BUF_INIT;
	int ok = 1;

	*login = NULL;
	*name = NULL;
	user = cl__json_member(root, "user");
	if (user == NULL || !json_object_is_type(user, json_type_object)) {
		json_object_put(root);
		return cl__error(CL_EINVALID, "not a Redmine user answer");
	}
	*login = cl__strdup_opt(cl__json_string(user, "login"), &ok);
	first = cl__json_string(user, "firstname");
	last = cl__json_string(user, "lastname");
	if (first && *first)
		cl__buf_puts(&buf, first);
	if (last && *last) {
		if (buf.len)
			cl__buf_puts(&buf, " ");
		cl__buf_puts(&buf, last);
	}
	if (buf.failed)
		ok = 0;
	if (buf.len)
		*name = cl__buf_detach(&buf);
	cl__buf_free(&buf);
	json_object_put(root);
	if (!ok) {
		free(*login);
		free(*name);
		*login = *name = NULL;
		return cl__error_nomem();
	}
	return 0;
}

static char *to_text(json_object *obj)
{
	const char *text = NULL;
	char *s;

	if (obj != NULL)
		text = json_object_to_json_string_ext(obj,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		json_object_put(obj);
		cl__error_nomem();
		return NULL;
	}
	s = cl__strdup(text);
	json_object_put(obj);
	return s;
}

static void add_notes(json_object *issue, const char *notes,
	int private_notes)
{
	json_object_object_add(issue, "notes", json_object_new_string(notes));
	json_object_object_add(issue, "private_notes",
		json_object_new_boolean(private_notes));
}

char *cl__redmine_note_body(const char *notes, int private_notes)
{
	json_object *root = json_object_new_object();
	json_object *issue = json_object_new_object();

	if (root == NULL || issue == NULL) {
		json_object_put(root);
		json_object_put(issue);
		cl__error_nomem();
		return NULL;
	}
	add_notes(issue, notes, private_notes);
	json_object_object_add(root, "issue", issue);
	return to_text(root);
}

char *cl__redmine_reply_body(int64_t field_id, const char *link,
	const char *notes, int private_notes)
{
	json_object *root = json_object_new_object();
	json_object *issue = json_object_new_object();
	json_object *fields = json_object_new_array();
	json_object *field = json_object_new_object();

	if (root == NULL || issue == NULL || fields == NULL || field == NULL) {
		json_object_put(root);
		json_object_put(issue);
		json_object_put(fields);
		json_object_put(field);
		cl__error_nomem();
		return NULL;
	}
	json_object_object_add(field, "id", json_object_new_int64(field_id));
	json_object_object_add(field, "value", json_object_new_string(link));
	json_object_array_add(fields, field);
	json_object_object_add(issue, "custom_fields", fields);
	if (notes != NULL)
		add_notes(issue, notes, private_notes);
	json_object_object_add(root, "issue", issue);
	return to_text(root);
}

char *cl__redmine_errors(const char *json, size_t len)
{
	json_object *root = cl__json_parse(json, len);
	json_object *errors = cl__json_member(root, "errors");
	cl_buf buf = CL_BUF_INIT;
	size_t i;

	if (errors != NULL && json_object_is_type(errors, json_type_array)) {
		for (i = 0; i < json_object_array_length(errors); i++) {
			json_object *e = json_object_array_get_idx(errors, i);

			if (!json_object_is_type(e, json_type_string))
				continue;
			if (buf.len)
				cl__buf_puts(&buf, "; ");
			cl__buf_puts(&buf, json_object_get_string(e));
		}
	}
	json_object_put(root);
	if (buf.len == 0) {
		cl__buf_free(&buf);
		return NULL;
	}
	return cl__buf_detach(&buf);
}

/* The backend ***************************************************************/

typedef struct rm_ticket rm_ticket;
typedef struct rm_chunk rm_chunk;
typedef struct redmine_backend redmine_backend;

/* Something tickets wait for: the statuses, a user's login, the key check.
 * Waiters are released (and maybe finished) when its answer comes. */
typedef enum { DEP_NONE, DEP_LOADING, DEP_READY } rm_dep_state;

typedef struct {
	rm_dep_state state;
	rm_ticket **waiters;
	size_t count, cap;
} rm_dep;

typedef struct {
	redmine_backend *rm;
	int64_t id;
	char *login;  /* NULL when Redmine would not say */
	rm_dep dep;
} rm_user;

/* One ticket asked for, from the fetch call until its callback. */
struct rm_ticket {
	redmine_backend *rm;
	rm_ticket *prev, *next;   /* the backend's live lookups */
	cl_http *http;            /* the client of the fetch call */
	cl_ref ref;
	char *project;
	unsigned int flags;
	cl_ticket_cb cb;
	void *payload;
	int found;                /* the issue came back */
	cl__redmine_issue issue;
	char *journals;           /* the ?include=journals answer */
	size_t journals_len;
	int waits;                /* answers still to come */
	int error;                /* the first failure; 0 none */
	char *message;
};

/* One GET /issues.json of a fetch call. */
struct rm_chunk {
	redmine_backend *rm;
	rm_chunk *prev, *next;
	rm_ticket **asked;        /* ids in the query */
	size_t nasked;
	rm_ticket **extra;        /* no Redmine issue: answered exists=0 */
	size_t nextra;
	int cancelled;            /* fetch failed: answer nobody */
};

struct redmine_backend {
	cl_tracker_backend parent;
	char *url;
	char *auth;               /* "X-Redmine-API-Key: ..."; wiped on free */
	char *reply_field;
	char *owner_field;
	char *project;            /* identifier, for the sync; NULL none */
	char *reopen_status;      /* status name reopen moves to */
	cl__redmine_map map;
	cl__redmine_statuses statuses;
	rm_dep statuses_dep;
	rm_dep key_dep;           /* GET /users/current.json, once */
	rm_user **users;
	size_t nusers, users_cap;
	rm_ticket *tickets;
	rm_chunk *chunks;
};

static void redmine__finish(rm_ticket *t);

/* Requests and answers */

/* headers[] for a request: the key when set, JSON when there is a body */
static void request_init(cl_http_request *req, const char **headers,
	const redmine_backend *rm, const char *method, const char *url,
	const char *body)
{
	size_t n = 0;

	if (rm->auth)
		headers[n++] = rm->auth;
	headers[n++] = "Accept: application/json";
	if (body)
		headers[n++] = "Content-Type: application/json";
	headers[n] = NULL;
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->headers = headers;
	req->body = body;
	req->body_len = body ? strlen(body) : 0;
	req->idempotent = strcmp(method, "GET") == 0;
}

/*
 * Sort an answer: 0 for 2xx, else a code and a message for the user.
 * Never the key: messages name the base URL and the status only.
 */
static int answer_error(cl_buf *msg, const redmine_backend *rm,
	const cl_http_response *resp)
{
	char *errors;

	if (resp->error != 0 || resp->status == 0) {
		cl__buf_printf(msg, "redmine at %s did not answer: %s", rm->url,
			resp->error_message ? resp->error_message : "no response");
		return resp->error == CL_ETIMEOUT ? CL_ETIMEOUT : CL_ETRACKER;
	}
	if (resp->status >= 200 && resp->status < 300)
		return 0;
	if (resp->status == 401 || resp->status == 403) {
		if (rm->auth)
			cl__buf_printf(msg,
				"the Redmine API key was refused (%ld)",
				resp->status);
		else
			cl__buf_printf(msg,
				"redmine at %s asks for an API key (%ld): set tokenFile",
				rm->url, resp->status);
		return CL_ETRACKER;
	}
	if (resp->status >= 500) {
		cl__buf_printf(msg, "redmine at %s did not answer: HTTP %ld",
			rm->url, resp->status);
		return CL_ETRACKER;
	}
	if (resp->status == 404) {
		cl__buf_printf(msg, "redmine at %s: not found (404)", rm->url);
		return CL_ENOTFOUND;
	}
	errors = resp->status == 422 ?
		cl__redmine_errors(resp->body, resp->body_len) : NULL;
	if (errors)
		cl__buf_printf(msg, "redmine at %s refused the change: %s",
			rm->url, errors);
	else
		cl__buf_printf(msg, "redmine at %s answered HTTP %ld", rm->url,
			resp->status);
	free(errors);
	return CL_ETRACKER;
}

static int submit_get(redmine_backend *rm, cl_http *http, const char *url,
	cl_http_done_cb cb, void *payload)
{
	const char *headers[4];
	cl_http_request req;

	request_init(&req, headers, rm, "GET", url, NULL);
	return cl_http_submit(http, &req, cb, payload);
}

/* Tickets */

static rm_ticket *ticket_new(redmine_backend *rm, cl_http *http,
	const cl_ref *ref, unsigned int flags, cl_ticket_cb cb, void *payload)
{
	rm_ticket *t = cl__calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->rm = rm;
	t->http = http;
	t->ref = *ref;
	if (ref->project && (t->project = cl__strdup(ref->project)) == NULL) {
		free(t);
		return NULL;
	}
	t->ref.project = t->project;
	t->flags = flags;
	t->cb = cb;
	t->payload = payload;
	t->waits = 1; /* the request that asks for it */
	t->next = rm->tickets;
	if (rm->tickets)
		rm->tickets->prev = t;
	rm->tickets = t;
	return t;
}

static void ticket_free(rm_ticket *t)
{
	redmine_backend *rm = t->rm;

	if (t->prev)
		t->prev->next = t->next;
	else
		rm->tickets = t->next;
	if (t->next)
		t->next->prev = t->prev;
	cl__redmine_issue_clear(&t->issue);
	free(t->project);
	free(t->journals);
	free(t->message);
	free(t);
}

/* Record the first failure; the ticket reports it when all answers came. */
static void ticket_fail(rm_ticket *t, int error, const char *message)
{
	if (t->error)
		return;
	t->error = error;
	t->message = cl__strdup(message ? message : "redmine lookup failed");
}

/* One answer the ticket waited for came. */
static void ticket_release(rm_ticket *t)
{
	if (--t->waits == 0)
		redmine__finish(t);
}

/* Dependencies */

static int dep_wait(rm_dep *dep, rm_ticket *t)
{
	if (CL__GROW(dep->waiters, dep->count, dep->cap, 8) < 0)
		return CL_ENOMEM;
	dep->waiters[dep->count++] = t;
	t->waits++;
	return 0;
}

/* Release every waiter, failing each with error when not 0. The list is
 * taken first: a finished ticket's callback may fetch again and wait on
 * the same dependency. */
static void dep_done(rm_dep *dep, rm_dep_state state, int error,
	const char *message)
{
	rm_ticket **waiters = dep->waiters;
	size_t i, n = dep->count;

	dep->waiters = NULL;
	dep->count = dep->cap = 0;
	dep->state = state;
	for (i = 0; i < n; i++) {
		if (error)
			ticket_fail(waiters[i], error, message);
		ticket_release(waiters[i]);
	}
	free(waiters);
}

/* The statuses: which are closed */

static void redmine__statuses_done(const cl_http_response *resp,
	void *payload)
{
	redmine_backend *rm = payload;
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, rm, resp);

	if (error == 0) {
		cl__redmine_statuses_clear(&rm->statuses);
		if (cl__redmine_parse_statuses(&rm->statuses, resp->body,
			    resp->body_len) < 0) {
			error = CL_ETRACKER;
			cl__buf_printf(&msg,
				"redmine at %s sent a status list closeloop cannot read",
				rm->url);
		}
	}
	/* A failure is not cached: the next fetch asks again. */
	dep_done(&rm->statuses_dep, error ? DEP_NONE : DEP_READY, error,
		msg.ptr);
	cl__buf_free(&msg);
}

static int need_statuses(redmine_backend *rm, rm_ticket *t)
{
	cl_http *http = t->http;
	cl_buf url = CL_BUF_INIT;
	int error;

	if (rm->statuses_dep.state == DEP_READY)
		return 0;
	if ((error = dep_wait(&rm->statuses_dep, t)) < 0)
		return error;
	if (rm->statuses_dep.state == DEP_LOADING)
		return 0;
	cl__buf_printf(&url, "%s/issue_statuses.json", rm->url);
	if (url.failed)
		error = CL_ENOMEM;
	else
		error = submit_get(rm, http, url.ptr, redmine__statuses_done, rm);
	cl__buf_free(&url);
	if (error < 0) {
		/* t stays a waiter: fail it now, release it with the others */
		ticket_fail(t, error, cl_error_last()->message);
		rm->statuses_dep.count--;
		t->waits--;
		return error;
	}
	rm->statuses_dep.state = DEP_LOADING;
	return 0;
}

/* Users: login by id */

static void redmine__user_done(const cl_http_response *resp, void *payload)
{
	rm_user *u = payload;
	char *name = NULL;
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, u->rm, resp);
	int answered = resp->status >= 200 && resp->status < 500;

	/* Any failure leaves the login unknown: the display name stands in.
	 * Only an answer is kept (a 403 stays a 403); an outage is asked
	 * about again by a later lookup. */
	if (error == 0 && cl__redmine_parse_user(&u->login, &name,
		    resp->body, resp->body_len) < 0)
		u->login = NULL;
	free(name);
	cl__buf_free(&msg);
	dep_done(&u->dep, answered ? DEP_READY : DEP_NONE, 0, NULL);
}

static rm_user *user_find(redmine_backend *rm, int64_t id)
{
	size_t i;

	for (i = 0; i < rm->nusers; i++)
		if (rm->users[i]->id == id)
			return rm->users[i];
	return NULL;
}

static rm_user *user_add(redmine_backend *rm, int64_t id)
{
	rm_user *u;

	if (CL__GROW(rm->users, rm->nusers, rm->users_cap, 8) < 0)
		return NULL;
	if ((u = cl__calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->rm = rm;
	u->id = id;
	rm->users[rm->nusers++] = u;
	return u;
}

static int need_user(redmine_backend *rm, rm_ticket *t, int64_t id)
{
	cl_http *http = t->http;
	rm_user *u = user_find(rm, id);
	cl_buf url = CL_BUF_INIT;
	int error;

	if (u == NULL && (u = user_add(rm, id)) == NULL)
		return CL_ENOMEM;
	if (u->dep.state == DEP_READY)
		return 0;
	if ((error = dep_wait(&u->dep, t)) < 0)
		return error;
	if (u->dep.state == DEP_LOADING)
		return 0;
	cl__buf_printf(&url, "%s/users/%" PRId64 ".json", rm->url, id);
	error = url.failed ? CL_ENOMEM :
		submit_get(rm, http, url.ptr, redmine__user_done, u);
	cl__buf_free(&url);
	if (error < 0) {
		/* no login then: not worth failing the lookup for */
		u->dep.count--;
		t->waits--;
		u->dep.state = DEP_READY;
		return 0;
	}
	u->dep.state = DEP_LOADING;
	return 0;
}

/* The key check: is a missing issue missing, or is the key refused? */

static void redmine__key_done(const cl_http_response *resp, void *payload)
{
	redmine_backend *rm = payload;
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, rm, resp);

	dep_done(&rm->key_dep, error ? DEP_NONE : DEP_READY, error, msg.ptr);
	cl__buf_free(&msg);
}

static int need_key_check(redmine_backend *rm, rm_ticket *t)
{
	cl_http *http = t->http;
	cl_buf url = CL_BUF_INIT;
	int error;

	if (rm->auth == NULL || rm->key_dep.state == DEP_READY)
		return 0;
	if ((error = dep_wait(&rm->key_dep, t)) < 0)
		return error;
	if (rm->key_dep.state == DEP_LOADING)
		return 0;
	cl__buf_printf(&url, "%s/users/current.json", rm->url);
	error = url.failed ? CL_ENOMEM :
		submit_get(rm, http, url.ptr, redmine__key_done, rm);
	cl__buf_free(&url);
	if (error < 0) {
		rm->key_dep.count--;
		t->waits--;
		ticket_fail(t, error, cl_error_last()->message);
		return error;
	}
	rm->key_dep.state = DEP_LOADING;
	return 0;
}

/* Journals, for delivery */

static void redmine__journals_done(const cl_http_response *resp,
	void *payload)
{
	rm_ticket *t = payload;
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, t->rm, resp);

	if (error == CL_ENOTFOUND) {
		/* deleted between the two requests */
		cl__redmine_issue_clear(&t->issue);
		t->found = 0;
	} else if (error) {
		ticket_fail(t, error, msg.ptr);
	} else if ((t->journals = cl__strndup(resp->body,
			    resp->body_len)) == NULL) {
		ticket_fail(t, CL_ENOMEM, "out of memory");
	} else {
		t->journals_len = resp->body_len;
	}
	cl__buf_free(&msg);
	ticket_release(t);
}

static int need_journals(redmine_backend *rm, rm_ticket *t)
{
	cl_http *http = t->http;
	cl_buf url = CL_BUF_INIT;
	int error;

	cl__buf_printf(&url, "%s/issues/%" PRIu64 ".json?include=journals",
		rm->url, t->ref.number);
	error = url.failed ? CL_ENOMEM :
		submit_get(rm, http, url.ptr, redmine__journals_done, t);
	cl__buf_free(&url);
	if (error < 0) {
		ticket_fail(t, error, cl_error_last()->message);
		return error;
	}
	t->waits++;
	return 0;
}

/* The answer for one ticket */

static void report_error(rm_ticket *t)
{
	cl_ticket tk;

	memset(&tk, 0, sizeof(tk));
	tk.ref = t->ref;
	tk.delivered = -1;
	t->cb(&tk, t->error, t->message, t->payload);
}

static const char *owner_login(redmine_backend *rm, const cl__redmine_issue *is)
{
	rm_user *u = is->owner_id ? user_find(rm, is->owner_id) : NULL;

	if (u && u->login)
		return u->login;
	return is->owner_name;
}

/* All answers are in: tell the caller, then forget the ticket. */
static void redmine__finish(rm_ticket *t)
{
	redmine_backend *rm = t->rm;
	const cl__redmine_issue *is = &t->issue;
	char *reply = NULL;
	cl_ticket tk;
	int delivered = -1, error;

	memset(&tk, 0, sizeof(tk));
	tk.ref = t->ref;
	tk.delivered = -1;
	if (t->error) {
		report_error(t);
		ticket_free(t);
		return;
	}
	if (!t->found) {
		t->cb(&tk, 0, NULL, t->payload);
		ticket_free(t);
		return;
	}
	if (t->flags & CL_FETCH_DELIVERY) {
		error = cl__redmine_delivery(&delivered, &reply, t->journals,
			t->journals_len, &rm->statuses, &rm->map,
			&tk.owner_active_at);
		if (error < 0) {
			ticket_fail(t, CL_ETRACKER,
				"redmine sent journals closeloop cannot read");
			report_error(t);
			ticket_free(t);
			return;
		}
		tk.reply = reply;
	} else {
		tk.reply = is->reply;
		delivered = is->reply ? 1 : -1;
	}
	tk.exists = 1;
	tk.closed = is->closed >= 0 ? is->closed :
		cl__redmine_status_closed(&rm->statuses, is->status_id) == 1;
	tk.status = is->status;
	tk.subject = is->subject;
	tk.owner = owner_login(rm, is);
	tk.delivered = delivered;
	tk.updated_at = is->updated_at;
	tk.snoozed = is->snoozed;
	tk.created_at = is->created_at;
	t->cb(&tk, 0, NULL, t->payload);
	free(reply);
	ticket_free(t);
}

/* A copy: the same id may be asked for twice in one call. */
static int issue_copy(cl__redmine_issue *dst, const cl__redmine_issue *src)
{
	int ok = 1;

	*dst = *src;
	dst->subject = cl__strdup_opt(src->subject, &ok);
	dst->status = cl__strdup_opt(src->status, &ok);
	dst->owner_name = cl__strdup_opt(src->owner_name, &ok);
	dst->reply = cl__strdup_opt(src->reply, &ok);
	if (!ok) {
		cl__redmine_issue_clear(dst);
		return CL_ENOMEM;
	}
	return 0;
}

/* The issue came back: ask what else it needs. */
static void ticket_found(redmine_backend *rm, rm_ticket *t,
	const cl__redmine_issue *is)
{
	int error;

	t->found = 1;
	error = issue_copy(&t->issue, is);
	if (error == 0 && t->issue.owner_id)
		error = need_user(rm, t, t->issue.owner_id);
	if (error == 0 && (t->issue.closed < 0 ||
			   (t->flags & CL_FETCH_DELIVERY)))
		error = need_statuses(rm, t);
	if (error == 0 && (t->flags & CL_FETCH_DELIVERY))
		error = need_journals(rm, t);
	if (error < 0)
		ticket_fail(t, error, cl_error_last()->message);
}

/* Fetch */

static void chunk_free(rm_chunk *c)
{
	redmine_backend *rm = c->rm;

	if (c->prev)
		c->prev->next = c->next;
	else
		rm->chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->asked);
	free(c->extra);
	free(c);
}

static void redmine__chunk_done(const cl_http_response *resp, void *payload)
{
	rm_chunk *c = payload;
	redmine_backend *rm = c->rm;
	cl__redmine_issues issues = { NULL, 0 };
	cl_buf msg = CL_BUF_INIT;
	rm_ticket **asked = c->asked, **extra = c->extra;
	size_t i, nasked = c->nasked, nextra = c->nextra;
	int error;

	if (c->cancelled) {
		for (i = 0; i < nasked; i++)
			ticket_free(asked[i]);
		for (i = 0; i < nextra; i++)
			ticket_free(extra[i]);
		chunk_free(c);
		return;
	}
	/* The arrays outlive the chunk until every ticket is released: a
	 * ticket's callback may fetch again, which must find a clean list. */
	c->asked = c->extra = NULL;
	chunk_free(c);
	for (i = 0; i < nextra; i++)
		ticket_release(extra[i]);
	error = nasked ? answer_error(&msg, rm, resp) : 0;
	if (error == 0 && nasked && cl__redmine_parse_issues(&issues,
		    resp->body, resp->body_len, &rm->map) < 0) {
		error = CL_ETRACKER;
		cl__buf_printf(&msg,
			"redmine at %s sent an issue list closeloop cannot read",
			rm->url);
	}
	if (error == CL_ENOTFOUND) {
		/* no /issues.json there: the url is not Redmine's */
		error = CL_ETRACKER;
		cl__buf_free(&msg);
		cl__buf_printf(&msg,
			"redmine at %s has no issues API (404): check the url",
			rm->url);
	}
	for (i = 0; i < nasked; i++) {
		rm_ticket *t = asked[i];
		cl__redmine_issue *is;

		if (error) {
			ticket_fail(t, error, msg.ptr);
		} else if ((is = cl__redmine_issues_find(&issues,
				    (int64_t)t->ref.number)) != NULL) {
			ticket_found(rm, t, is);
		} else {
			/* a failure is recorded on t */
			need_key_check(rm, t);
		}
		ticket_release(t);
	}
	cl__redmine_issues_clear(&issues);
	cl__buf_free(&msg);
	free(asked);
	free(extra);
}

/* Redmine can be asked about the ticket: a plain number it can hold. */
static int askable(const cl_ref *ref)
{
	return ref->project == NULL && ref->number > 0 &&
		ref->number <= CL__REDMINE_MAX_ID;
}

static rm_chunk *chunk_new(redmine_backend *rm, size_t nasked, size_t nextra)
{
	rm_chunk *c = cl__calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->rm = rm;
	c->asked = cl__calloc(nasked ? nasked : 1, sizeof(*c->asked));
	c->extra = cl__calloc(nextra ? nextra : 1, sizeof(*c->extra));
	if (c->asked == NULL || c->extra == NULL) {
		free(c->asked);
		free(c->extra);
		free(c);
		return NULL;
	}
	c->next = rm->chunks;
	if (rm->chunks)
		rm->chunks->prev = c;
	rm->chunks = c;
	return c;
}

/* The chunk's URL: its ids once each, in the order asked. */
static int chunk_url(cl_buf *url, const redmine_backend *rm,
	const rm_chunk *c)
{
	size_t i, j;
	int first = 1;

	if (c->nasked == 0)
		return cl__buf_printf(url, "%s/issue_statuses.json", rm->url);
	cl__buf_printf(url, "%s/issues.json?issue_id=", rm->url);
	for (i = 0; i < c->nasked; i++) {
		uint64_t n = c->asked[i]->ref.number;

		for (j = 0; j < i && c->asked[j]->ref.number != n; j++)
			;
		if (j < i)
			continue;
		cl__buf_printf(url, "%s%" PRIu64, first ? "" : ",", n);
		first = 0;
	}
	cl__buf_printf(url, "&status_id=*&limit=%d", CL__REDMINE_BATCH);
	return url->failed ? CL_ENOMEM : 0;
}

/* Drop chunks that were never submitted, with their tickets; cancel
 * those that were: their answers will call nobody back. */
static void chunks_abandon(rm_chunk **chunks, size_t n, size_t submitted)
{
	size_t k, j;

	for (k = 0; k < n; k++) {
		if (chunks[k] == NULL)
			continue;
		if (k < submitted) {
			chunks[k]->cancelled = 1;
			continue;
		}
		for (j = 0; j < chunks[k]->nasked; j++)
			ticket_free(chunks[k]->asked[j]);
		for (j = 0; j < chunks[k]->nextra; j++)
			ticket_free(chunks[k]->extra[j]);
		chunk_free(chunks[k]);
	}
}

/* One ticket per ref, into the chunks: ids 100 to a chunk, the others
 * ("owner/repo#7") with the first chunk. */
static int chunks_fill(rm_chunk **chunks, redmine_backend *rm, cl_http *http,
	const cl_ref *refs, const unsigned int *flags, size_t n,
	cl_ticket_cb cb, void *payload)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		rm_ticket *t = ticket_new(rm, http, &refs[i],
			flags ? flags[i] : 0, cb, payload);

		if (t == NULL)
			return CL_ENOMEM;
		if (!askable(&refs[i])) {
			chunks[0]->extra[chunks[0]->nextra++] = t;
			continue;
		}
		if (chunks[k]->nasked == CL__REDMINE_BATCH)
			k++;
		chunks[k]->asked[chunks[k]->nasked++] = t;
	}
	return 0;
}

/*
 * Build every chunk and ticket first, then submit. When a submit fails the
 * call fails as a whole and nothing is reported for it.
 */
static int redmine__fetch(cl_tracker_backend *backend, cl_http *http,
	const cl_ref *refs, const unsigned int *flags, size_t n,
	cl_ticket_cb cb, void *payload)
{
	redmine_backend *rm = (redmine_backend *)backend;
	size_t i, nask = 0, nchunks, k, submitted = 0;
	rm_chunk **chunks;
	int error = 0;

	if (n == 0)
		return 0;
	if (refs == NULL || cb == NULL)
		return cl__error(CL_EINVALID, "no tickets or no callback");
	for (i = 0; i < n; i++)
		nask += askable(&refs[i]) ? 1 : 0;
	nchunks = nask ? (nask + CL__REDMINE_BATCH - 1) / CL__REDMINE_BATCH : 1;
	if ((chunks = cl__calloc(nchunks, sizeof(*chunks))) == NULL)
		return CL_ENOMEM;
	for (k = 0; k < nchunks && error == 0; k++) {
		size_t want = nask - k * CL__REDMINE_BATCH;

		if (want > CL__REDMINE_BATCH)
			want = CL__REDMINE_BATCH;
		chunks[k] = chunk_new(rm, want, k ? 0 : n - nask);
		if (chunks[k] == NULL)
			error = CL_ENOMEM;
	}
	if (error == 0)
		error = chunks_fill(chunks, rm, http, refs, flags, n, cb,
			payload);
	for (k = 0; k < nchunks && error == 0; k++) {
		cl_buf url = CL_BUF_INIT;

		error = chunk_url(&url, rm, chunks[k]);
		if (error == 0)
			error = submit_get(rm, http, url.ptr,
				redmine__chunk_done, chunks[k]);
		cl__buf_free(&url);
		if (error == 0)
			submitted++;
	}
	if (error < 0)
		chunks_abandon(chunks, nchunks, submitted);
	free(chunks);
	return error;
}

/* Blocking calls *************************************************************/

/* One request, waited for: 0 with *out for any HTTP answer. */
static int perform(cl_http_response **out, redmine_backend *rm,
	cl_http *http, const char *method, const char *url, const char *body,
	int64_t deadline_ms)
{
	const char *headers[4];
	cl_http_request req;
	char why[512];
	int error;

	request_init(&req, headers, rm, method, url, body);
	if ((error = cl_http_perform(out, http, &req, deadline_ms)) == 0)
		return 0;
	if (error == CL_ENOMEM)
		return error;
	/* the message lives in the buffer cl__error writes: copy it first */
	snprintf(why, sizeof(why), "%s", cl_error_last()->message);
	return cl__error(error == CL_ETIMEOUT ? CL_ETIMEOUT : CL_ETRACKER,
		"redmine at %s did not answer: %s", rm->url, why);
}

/* 0 for a 2xx answer; else the error, set. A 404 names ref's issue. */
static int check(redmine_backend *rm, const cl_http_response *resp,
	const cl_ref *ref)
{
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, rm, resp);

	if (error == CL_ENOTFOUND && ref != NULL)
		cl__error(error, "redmine issue #%" PRIu64 " does not exist",
			ref->number);
	else if (error)
		cl__error(error, "%s", msg.ptr ? msg.ptr : "redmine failed");
	cl__buf_free(&msg);
	return error;
}

static int not_an_issue(const cl_ref *ref)
{
	if (ref->project)
		return cl__error(CL_ENOTFOUND, "%s#%" PRIu64
			" is not a Redmine issue", ref->project, ref->number);
	return cl__error(CL_ENOTFOUND, "redmine issue #%" PRIu64
		" does not exist", ref->number);
}

/* PUT /issues/N.json with body */
static int put_issue(redmine_backend *rm, cl_http *http, const cl_ref *ref,
	const char *body, int64_t deadline_ms)
{
	cl_http_response *resp = NULL;
	cl_buf url = CL_BUF_INIT;
	int error;

	if (body == NULL)
		return CL_ENOMEM;
	cl__buf_printf(&url, "%s/issues/%" PRIu64 ".json", rm->url,
		ref->number);
	if (url.failed)
		return CL_ENOMEM;
	error = perform(&resp, rm, http, "PUT", url.ptr, body, deadline_ms);
	if (error == 0)
		error = check(rm, resp, ref);
	cl_http_response_free(resp);
	cl__buf_free(&url);
	return error;
}

static int redmine__comment(cl_tracker_backend *backend, cl_http *http,
	const cl_ref *ref, const char *text, int internal, int64_t deadline_ms)
{
	redmine_backend *rm = (redmine_backend *)backend;
	char *body;
	int error;

	if (!askable(ref))
		return not_an_issue(ref);
	if (text == NULL || *text == '\0')
		return cl__error(CL_EINVALID, "empty comment");
	body = cl__redmine_note_body(text, internal);
	error = put_issue(rm, http, ref, body, deadline_ms);
	free(body);
	return error;
}

/* GET /issues/N.json: the issue as the reply field sees it */
static int get_issue(cl__redmine_issues *out, redmine_backend *rm,
	cl_http *http, const cl_ref *ref, int64_t deadline_ms)
{
	cl_http_response *resp = NULL;
	cl_buf url = CL_BUF_INIT;
	int error;

	cl__buf_printf(&url, "%s/issues/%" PRIu64 ".json", rm->url,
		ref->number);
	if (url.failed)
		return CL_ENOMEM;
	error = perform(&resp, rm, http, "GET", url.ptr, NULL, deadline_ms);
	if (error == 0)
		error = check(rm, resp, ref);
	if (error == 0 && cl__redmine_parse_issues(out, resp->body,
		    resp->body_len, &rm->map) < 0)
		error = cl__error(CL_ETRACKER,
			"redmine at %s sent an issue closeloop cannot read",
			rm->url);
	if (error == 0 && out->count != 1) {
		cl__redmine_issues_clear(out);
		error = cl__error(CL_ETRACKER,
			"redmine at %s sent no issue #%" PRIu64, rm->url,
			ref->number);
	}
	cl_http_response_free(resp);
	cl__buf_free(&url);
	return error;
}

/*
 * The field is looked up on the issue itself each time rather than cached:
 * fields are enabled per project and tracker, and Redmine silently drops a
 * value for a field the issue does not have.
 */
static int redmine__set_reply(cl_tracker_backend *backend, cl_http *http,
	const cl_ref *ref, const char *link, const char *by,
	int64_t deadline_ms)
{
	redmine_backend *rm = (redmine_backend *)backend;
	cl__redmine_issues issues = { NULL, 0 };
	const cl__redmine_issue *is;
	cl_buf note = CL_BUF_INIT;
	char *body = NULL;
	int error;

	if (!askable(ref))
		return not_an_issue(ref);
	if (link == NULL || *link == '\0')
		return cl__error(CL_EINVALID, "empty customer reply link");
	if ((error = get_issue(&issues, rm, http, ref, deadline_ms)) < 0)
		return error;
	is = &issues.items[0];
	if (is->has_reply_field && is->reply_field_id > 0) {
		if (is->reply != NULL && strcmp(is->reply, link) == 0) {
			/* already there: a second note would only be noise */
			cl__redmine_issues_clear(&issues);
			return 0;
		}
		if (by != NULL && *by != '\0')
			cl__buf_printf(&note, "Customer reply linked by %s: %s",
				by, link);
		else
			cl__buf_printf(&note, "Customer reply linked: %s", link);
		if (!note.failed)
			body = cl__redmine_reply_body(is->reply_field_id, link,
				note.ptr, 1);
	} else {
		/* no field on this issue: the note line is the record */
		cl__buf_printf(&note, "Customer-Reply: %s", link);
		if (!note.failed)
			body = cl__redmine_note_body(note.ptr, 0);
	}
	error = body ? put_issue(rm, http, ref, body, deadline_ms) :
		cl__error_nomem();
	free(body);
	cl__buf_free(&note);
	cl__redmine_issues_clear(&issues);
	return error;
}

/* GET url into a parsed answer the caller frees (resp). */
static int get_json(cl_http_response **resp, redmine_backend *rm,
	cl_http *http, const char *url, int64_t deadline_ms)
{
	int error;

	*resp = NULL;
	if ((error = perform(resp, rm, http, "GET", url, NULL, deadline_ms)) < 0)
		return error;
	if ((error = check(rm, *resp, NULL)) < 0) {
		cl_http_response_free(*resp);
		*resp = NULL;
	}
	return error;
}

/* The status list, loaded once (the fetch path may have loaded it). */
static int load_statuses(redmine_backend *rm, cl_http *http,
	int64_t deadline_ms)
{
	cl_http_response *resp = NULL;
	cl_buf url = CL_BUF_INIT;
	int error;

	if (rm->statuses.count > 0)
		return 0;
	cl__buf_printf(&url, "%s/issue_statuses.json", rm->url);
	if (url.failed)
		return CL_ENOMEM;
	error = get_json(&resp, rm, http, url.ptr, deadline_ms);
	if (error == 0 && cl__redmine_parse_statuses(&rm->statuses, resp->body,
			resp->body_len) < 0)
		error = cl__error(CL_ETRACKER,
			"redmine at %s sent statuses closeloop cannot read", rm->url);
	cl_http_response_free(resp);
	cl__buf_free(&url);
	return error;
}

/*
 * PUT the reopen status, then read the issue back: Redmine answers 204
 * and changes nothing when the workflow does not let the key's user move
 * the issue out of a closed status (a developer, by default), and a
 * reopen that silently did not happen would leave the ticket closed.
 */
static int redmine__reopen(cl_tracker_backend *backend, cl_http *http,
	const cl_ref *ref, int64_t deadline_ms)
{
	redmine_backend *rm = (redmine_backend *)backend;
	cl__redmine_issues issues = { NULL, 0 };
	int64_t status_id = 0;
	cl_buf body = CL_BUF_INIT;
	size_t i;
	int error;

	if (!askable(ref))
		return not_an_issue(ref);
	if ((error = load_statuses(rm, http, deadline_ms)) < 0)
		return error;
	for (i = 0; i < rm->statuses.count; i++)
		if (cl__strcasecmp(rm->statuses.items[i].name,
			    rm->reopen_status) == 0)
			status_id = rm->statuses.items[i].id;
	if (status_id == 0)
		return cl__error(CL_ECONFIG,
			"redmine at %s has no status '%s' (reopenStatus)", rm->url,
			rm->reopen_status);
	cl__buf_printf(&body, "{\"issue\":{\"status_id\":%" PRId64 "}}",
		status_id);
	if (body.failed)
		return CL_ENOMEM;
	error = put_issue(rm, http, ref, body.ptr, deadline_ms);
	cl__buf_free(&body);
	if (error == 0 &&
	    (error = get_issue(&issues, rm, http, ref, deadline_ms)) == 0) {
		if (issues.items[0].status_id != status_id)
			error = cl__error(CL_ETRACKER,
				"redmine did not reopen #%" PRIu64 ": it is still '%s' "
				"(the key's user may not move it out of a closed status: "
				"allow it in the workflow, or use an administrator's key)",
				ref->number, issues.items[0].status ?
				issues.items[0].status : "?");
		cl__redmine_issues_clear(&issues);
	}
	return error;
}

/* UTC "2026-11-23T10:00:00Z" for updated_on filters. */
static void iso_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct {
	int done, error;
	char message[512];
} changes_wait;

typedef struct {
	cl_ticket_cb cb;
	void *payload;
	changes_wait *wait;
	size_t pending;
} changes_relay;

static void relay_ticket(const cl_ticket *tk, int error, const char *message,
	void *payload)
{
	changes_relay *r = payload;

	r->cb(tk, error, message, r->payload);
	if (r->pending > 0)
		r->pending--;
}

/*
 * Issues of the project updated at or after since, oldest first, a page of
 * 100 at a time; each is then looked up like a fetch (closed ones with
 * their journals, for delivery), so owners come out as logins.
 */
static int redmine__changes(cl_tracker_backend *backend, cl_http *http,
	int64_t since, cl_ticket_cb cb, void *payload, int64_t *newest,
	int64_t deadline_ms)
{
	redmine_backend *rm = (redmine_backend *)backend;
	char when[32];
	char *project = NULL, *ts = NULL;
	size_t offset = 0;
	int error = 0;

	*newest = since;
	if (rm->project == NULL)
		return cl__error(CL_ECONFIG,
			"a redmine tracker needs a project to be synced");
	iso_time(when, sizeof(when), since);
	if ((project = cl_http_escape(rm->project)) == NULL ||
	    (ts = cl_http_escape(when)) == NULL) {
		cl_free(project);
		return CL_ENOMEM;
	}
	for (;;) {
		cl__redmine_issues issues = { NULL, 0 };
		cl_http_response *resp = NULL;
		cl_buf url = CL_BUF_INIT;
		changes_relay relay;
		cl_ref *refs = NULL;
		unsigned int *flags = NULL;
		size_t i, n;

		cl__buf_printf(&url, "%s/issues.json?project_id=%s&status_id=*"
			"&updated_on=%%3E%%3D%s&sort=updated_on&limit=%d&offset=%zu",
			rm->url, project, ts, CL__REDMINE_BATCH, offset);
		if (url.failed) {
			error = CL_ENOMEM;
			break;
		}
		error = get_json(&resp, rm, http, url.ptr, deadline_ms);
		cl__buf_free(&url);
		if (error == 0 && cl__redmine_parse_issues(&issues, resp->body,
				resp->body_len, &rm->map) < 0)
			error = cl__error(CL_ETRACKER,
				"redmine at %s sent issues closeloop cannot read",
				rm->url);
		cl_http_response_free(resp);
		if (error < 0)
			break;
		n = issues.count;
		refs = cl__calloc(n ? n : 1, sizeof(*refs));
		flags = cl__calloc(n ? n : 1, sizeof(*flags));
		if (refs == NULL || flags == NULL) {
			free(refs);
			free(flags);
			cl__redmine_issues_clear(&issues);
			error = CL_ENOMEM;
			break;
		}
		for (i = 0; i < n; i++) {
			refs[i].kind = CL_REF_MENTION;
			refs[i].number = (uint64_t)issues.items[i].id;
			flags[i] = issues.items[i].closed > 0 ? CL_FETCH_DELIVERY : 0;
			if (issues.items[i].updated_at > *newest)
				*newest = issues.items[i].updated_at;
		}
		cl__redmine_issues_clear(&issues);
		relay.cb = cb;
		relay.payload = payload;
		relay.wait = NULL;
		relay.pending = n;
		if (n > 0 && (error = redmine__fetch(backend, http, refs, flags, n,
				relay_ticket, &relay)) == 0)
			error = cl_http_run(http, deadline_ms);
		free(refs);
		free(flags);
		if (error == 0 && relay.pending > 0)
			error = cl__error(CL_ETIMEOUT,
				"redmine at %s: %zu issues not read before the deadline",
				rm->url, relay.pending);
		if (error < 0 || n < CL__REDMINE_BATCH)
			break;
		offset += n;
	}
	cl_free(project);
	cl_free(ts);
	return error;
}

static int redmine__whoami(cl_tracker_backend *backend, cl_http *http,
	char **login, int64_t deadline_ms)
{
	redmine_backend *rm = (redmine_backend *)backend;
	cl_http_response *resp = NULL;
	cl_buf url = CL_BUF_INIT;
	char *name = NULL;
	int error;

	*login = NULL;
	cl__buf_printf(&url, "%s/users/current.json", rm->url);
	if (url.failed)
		return CL_ENOMEM;
	error = perform(&resp, rm, http, "GET", url.ptr, NULL, deadline_ms);
	if (error == 0)
		error = check(rm, resp, NULL);
	if (error == 0 && (cl__redmine_parse_user(login, &name, resp->body,
				   resp->body_len) < 0 || *login == NULL)) {
		free(*login);
		*login = NULL;
		error = cl__error(CL_ETRACKER,
			"redmine at %s did not say whose the API key is",
			rm->url);
	}
	free(name);
	cl_http_response_free(resp);
	cl__buf_free(&url);
	return error;
}

/* Life cycle ****************************************************************/

static void dep_clear(rm_dep *dep)
{
	free(dep->waiters);
	memset(dep, 0, sizeof(*dep));
}

/*
 * Lookups still under way are dropped without their callbacks; the core
 * frees the HTTP client (and so every request pointing here) first.
 */
static void redmine__free(cl_tracker_backend *backend)
{
	redmine_backend *rm = (redmine_backend *)backend;
	size_t i;

	if (rm == NULL)
		return;
	while (rm->chunks)
		chunk_free(rm->chunks);
	while (rm->tickets)
		ticket_free(rm->tickets);
	for (i = 0; i < rm->nusers; i++) {
		dep_clear(&rm->users[i]->dep);
		free(rm->users[i]->login);
		free(rm->users[i]);
	}
	free(rm->users);
	dep_clear(&rm->statuses_dep);
	dep_clear(&rm->key_dep);
	cl__redmine_statuses_clear(&rm->statuses);
	cl_secret_free(rm->auth);
	free(rm->url);
	free(rm->reply_field);
	free(rm->owner_field);
	free(rm->project);
	free(rm->reopen_status);
	free(rm);
}

/* "X-Redmine-API-Key: TOKEN", allocated once so that no stale copy of the
 * key is left behind by a growing buffer. */
static char *auth_header(const char *token)
{
	static const char name[] = "X-Redmine-API-Key: ";
	size_t nlen = sizeof(name) - 1, tlen = strlen(token), i;
	char *h;

	for (i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)token[i];

		if (c < 0x21 || c == 0x7f) {
			cl__error(CL_ECONFIG,
				"the Redmine API key holds spaces or control characters");
			return NULL;
		}
	}
	if ((h = cl__malloc(nlen + tlen + 1)) == NULL)
		return NULL;
	memcpy(h, name, nlen);
	memcpy(h + nlen, token, tlen + 1);
	return h;
}

static char *dup_opt(const char *s, int *ok)
{
	return (s && *s) ? cl__strdup_opt(s, ok) : NULL;
}

int cl_tracker_backend_redmine(cl_tracker_backend **out,
	const cl_tracker_settings *settings)
{
	redmine_backend *rm;
	size_t len;
	int ok = 1;

	*out = NULL;
	if (settings == NULL || settings->url == NULL || *settings->url == '\0')
		return cl__error(CL_ECONFIG, "a redmine tracker needs a url");
	if ((rm = cl__calloc(1, sizeof(*rm))) == NULL)
		return CL_ENOMEM;
	rm->parent.version = CL_TRACKER_BACKEND_VERSION;
	rm->parent.type = "redmine";
	rm->parent.caps = CL_TRACKER_CAP_INTERNAL_NOTES |
		CL_TRACKER_CAP_BATCH | CL_TRACKER_CAP_REPLY_FIELD;
	rm->parent.fetch = redmine__fetch;
	rm->parent.comment = redmine__comment;
	rm->parent.set_reply = redmine__set_reply;
	rm->parent.whoami = redmine__whoami;
	rm->parent.free = redmine__free;
	rm->parent.reopen = redmine__reopen;
	rm->parent.changes = redmine__changes;
	len = strlen(settings->url);
	while (len > 0 && settings->url[len - 1] == '/')
		len--;
	if ((rm->url = cl__strndup(settings->url, len)) == NULL)
		ok = 0;
	rm->reply_field = dup_opt(settings->reply_field, &ok);
	rm->owner_field = dup_opt(settings->owner_field, &ok);
	rm->project = dup_opt(settings->project, &ok);
	rm->reopen_status = dup_opt(settings->reopen_status ?
		settings->reopen_status : "In Progress", &ok);
	if (!ok) {
		redmine__free(&rm->parent);
		return CL_ENOMEM;
	}
	if (settings->token && *settings->token &&
	    (rm->auth = auth_header(settings->token)) == NULL) {
		int error = cl_error_last()->code;

		redmine__free(&rm->parent);
		return error == CL_ECONFIG ? CL_ECONFIG : CL_ENOMEM;
	}
	rm->map.reply_field = rm->reply_field;
	rm->map.owner_field = rm->owner_field;
	*out = &rm->parent;
	return 0;
}
