/*
 * forge.c: the engine the GitHub and Gitea (also Forgejo) backends share.
 *
 * One fetch call becomes, per ticket of the configured repository:
 *   - GET /repos/O/R/issues/N, all at once on the tracker's cl_http. A 404
 *     (or GitHub's 410 for a deleted issue) means it does not exist, once
 *     GET /repos/O/R has answered: a token that cannot see a private
 *     repository gets 404 for every issue in it, and without that check
 *     every ticket would "not exist" instead of the token being named.
 *   - with CL_FETCH_DELIVERY, the issue's history, every source of the
 *     dialect at once, page after page:
 *       GitHub: GET .../issues/N/events (the "reopened" events) and
 *               GET .../issues/N/comments;
 *       Gitea:  GET .../issues/N/timeline, which holds both comments
 *               (type "comment") and reopens (type "reopen"). Gitea's
 *               /comments lists plain comments only, and its issue has no
 *               reopen time, so the timeline is the one place to read.
 * A reference naming another repository ("acme/other#7") is reported as
 * not existing when the first answer of the same call arrives (never
 * from inside fetch: callers need not expect re-entrant callbacks). A
 * call made only of such references rides on GET /repos/O/R.
 *
 * Delivery (DESIGN.md "delivered"): a "Customer-Reply: LINK" line in a
 * comment made at or after the last reopen (creation when never
 * reopened). Times are whole seconds, so a comment made in the same
 * second as the reopen counts: "reopen with comment" writes both at once.
 * closeloop's own comments (CL_COMMENT_MARKER) count like any other:
 * closeloop records replies that way.
 *
 * Writes (a comment) are not retried by the HTTP layer: a comment whose
 * answer was lost would be added twice. Reopening (PATCH state=open) is
 * idempotent and retried.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"
#include "json_int.h"
#include "forge_int.h"

/* JSON helpers **************************************************************/

static json_object *member_object(json_object *obj, const char *key)
{
	json_object *v = cl__json_member(obj, key);

	return json_object_is_type(v, json_type_object) ? v : NULL;
}

static json_object *member_array(json_object *obj, const char *key)
{
	json_object *v = cl__json_member(obj, key);

	return json_object_is_type(v, json_type_array) ? v : NULL;
}

/* A positive number, or 0. */
static uint64_t member_number(json_object *obj, const char *key)
{
	json_object *v = cl__json_member(obj, key);
	int64_t n;

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 ? (uint64_t)n : 0;
}

/* Time **********************************************************************/

int cl__forge_time(int64_t *out, const char *text)
{
	*out = 0;
	if (cl__time_parse_absolute(out, text, 1) < 0) {
		*out = 0;
		return cl__error(CL_EINVALID, "bad time '%.64s'",
			text ? text : "");
	}
	return 0;
}

/* 0 for a missing or unreadable time */
static int64_t member_time(json_object *obj, const char *key)
{
	int64_t t = 0;

	if (cl__time_parse_absolute(&t, cl__json_string(obj, key), 1) < 0)
		return 0;
	return t;
}

/* Reply lines ***************************************************************/

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}


static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* Link headers **************************************************************/

/* Does the parameter list [p, end) hold rel="next" (rel may list several
 * relations: rel="next last")? */
static int rel_is_next(const char *p, const char *end)
{
	static const char rel[] = "rel=";
	const char *q;

	for (; p + 4 <= end; p++) {
		if (cl__strncasecmp(p, rel, 4) != 0)
			continue;
		p += 4;
		if (p < end && *p == '"')
			p++;
		while (p < end && *p != '"' && *p != ';') {
			while (p < end && is_blank(*p))
				p++;
			for (q = p; q < end && !is_blank(*q) && *q != '"' &&
				     *q != ';'; q++)
				;
			if (q - p == 4 && cl__strncasecmp(p, "next", 4) == 0)
				return 1;
			if (q == p)
				break;
			p = q;
		}
		return 0;
	}
	return 0;
}

int cl__forge_link_next(char **url, const char *header)
{
	const char *p = header, *open, *close, *next;

	*url = NULL;
	if (header == NULL)
		return 0;
	while (*p) {
		if ((open = strchr(p, '<')) == NULL ||
		    (close = strchr(open, '>')) == NULL)
			return 0;
		/* parameters run to the next link (commas inside <> are part
		 * of the URL, so search from the closing bracket) */
		next = strchr(close, ',');
		if (next == NULL)
			next = close + strlen(close);
		if (rel_is_next(close + 1, next)) {
			*url = cl__strndup(open + 1, (size_t)(close - open - 1));
			return *url ? 1 : CL_ENOMEM;
		}
		p = next;
	}
	return 0;
}

/* Issues ********************************************************************/

/* The first assignee's login: assignees[] when the forge sends it (both
 * do), else the older single assignee. */
static const char *owner_login(json_object *issue)
{
	json_object *list = member_array(issue, "assignees");
	const char *login;
	size_t i;

	for (i = 0; list && i < json_object_array_length(list); i++) {
		login = cl__json_string(json_object_array_get_idx(list, i),
			"login");
		if (login != NULL && *login != '\0')
			return login;
	}
	login = cl__json_string(member_object(issue, "assignee"), "login");
	return (login && *login) ? login : NULL;
}

/* Gitea writes "pull_request": null on every issue; only a value marks a
 * pull request. */
static int is_pull(json_object *issue)
{
	json_object *v = cl__json_member(issue, "pull_request");

	return v != NULL && !json_object_is_type(v, json_type_null);
}

/* Labels are objects with a name on both GitHub and Gitea. */
static int has_label(json_object *issue, const char *name)
{
	json_object *labels = cl__json_member(issue, "labels");
	size_t i;

	if (labels == NULL || !json_object_is_type(labels, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(labels); i++) {
		const char *n = cl__json_string(
			json_object_array_get_idx(labels, i), "name");

		if (n != NULL && cl__strcasecmp(n, name) == 0)
			return 1;
	}
	return 0;
}

/* 1 filled, 0 no issue (no number), CL_ENOMEM */
static int issue_from_json(cl__forge_issue *is, json_object *o)
{
	int ok = 1;

	memset(is, 0, sizeof(*is));
	if ((is->number = member_number(o, "number")) == 0)
		return 0;
	is->title = cl__strdup_opt(cl__json_string(o, "title"), &ok);
	is->state = cl__strdup_opt(cl__json_string(o, "state"), &ok);
	is->owner = cl__strdup_opt(owner_login(o), &ok);
	is->closed = is->state != NULL && strcmp(is->state, "closed") == 0;
	is->pull = is_pull(o);
	is->snoozed = has_label(o, CL_SNOOZE_LABEL);
	is->created_at = member_time(o, "created_at");
	is->updated_at = member_time(o, "updated_at");
	if (!ok) {
		cl__forge_issue_clear(is);
		return CL_ENOMEM;
	}
	return 1;
}

int cl__forge_parse_issue(cl__forge_issue *out, const char *json,
	size_t len)
{
	json_object *root = cl__json_parse(json, len);
	int r = root ? issue_from_json(out, root) : 0;

	json_object_put(root);
	if (r == 0) {
		memset(out, 0, sizeof(*out));
		return cl__error(CL_EINVALID, "not an issue");
	}
	return r < 0 ? r : 0;
}

int cl__forge_parse_issues(cl__forge_issues *out, const char *json,
	size_t len)
{
	json_object *root = cl__json_parse(json, len);
	size_t i, n;
	int r = 0;

	out->items = NULL;
	out->count = out->raw = 0;
	if (!json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return cl__error(CL_EINVALID, "not an issue list");
	}
	n = json_object_array_length(root);
	out->raw = n;
	if ((out->items = cl__calloc(n ? n : 1, sizeof(*out->items))) == NULL) {
		json_object_put(root);
		return CL_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		r = issue_from_json(&out->items[out->count],
			json_object_array_get_idx(root, i));
		if (r < 0)
			break;
		out->count += (size_t)r;
	}
	json_object_put(root);
	if (r < 0) {
		cl__forge_issues_clear(out);
		return r;
	}
	return 0;
}

void cl__forge_issue_clear(cl__forge_issue *issue)
{
	free(issue->title);
	free(issue->state);
	free(issue->owner);
	memset(issue, 0, sizeof(*issue));
}

void cl__forge_issues_clear(cl__forge_issues *issues)
{
	size_t i;

	for (i = 0; i < issues->count; i++)
		cl__forge_issue_clear(&issues->items[i]);
	free(issues->items);
	issues->items = NULL;
	issues->count = issues->raw = 0;
}

int cl__forge_parse_login(char **login, const char *json, size_t len)
{
	json_object *root = cl__json_parse(json, len);
	const char *s = cl__json_string(root, "login");

	*login = NULL;
	if (s == NULL || *s == '\0') {
		json_object_put(root);
		return cl__error(CL_EINVALID, "not a user");
	}
	*login = cl__strdup(s);
	json_object_put(root);
	return *login ? 0 : CL_ENOMEM;
}

/* Delivery ******************************************************************/

static int add_reply(cl__forge_delivery *d, int64_t at, const char *link,
	size_t link_len)
{
	if (CL__GROW(d->replies, d->count, d->cap, 4) < 0)
		return CL_ENOMEM;
	if ((d->replies[d->count].link = cl__strndup(link, link_len)) == NULL)
		return CL_ENOMEM;
	d->replies[d->count++].at = at;
	return 0;
}

/* A comment (its body) with a reply line is a reply made when it was
 * created: an old comment edited later still dates from before. */
static int scan_comment(cl__forge_delivery *d, json_object *c)
{
	const char *link;
	size_t link_len;

	if (!cl__reply_line(&link, &link_len, cl__json_string(c, "body")))
		return 0;
	return add_reply(d, member_time(c, "created_at"), link, link_len);
}

static void saw_reopen(cl__forge_delivery *d, json_object *e)
{
	int64_t at = member_time(e, "created_at");

	if (at > d->reopened_at)
		d->reopened_at = at;
}

static int scan_entry(cl__forge_delivery *d, cl__forge_source source,
	json_object *e)
{
	const char *kind;

	switch (source) {
	case CL__FORGE_EVENTS:
		kind = cl__json_string(e, "event");
		if (kind != NULL && strcmp(kind, "reopened") == 0)
			saw_reopen(d, e);
		return 0;
	case CL__FORGE_COMMENTS:
		return scan_comment(d, e);
	case CL__FORGE_TIMELINE:
		kind = cl__json_string(e, "type");
		if (kind != NULL && strcmp(kind, "reopen") == 0)
			saw_reopen(d, e);
		else if (kind != NULL && strcmp(kind, "comment") == 0)
			return scan_comment(d, e);
		return 0;
	}
	return 0;
}

int cl__forge_delivery_page(cl__forge_delivery *d, cl__forge_source source,
	const char *json, size_t len, size_t *items)
{
	json_object *root = cl__json_parse(json, len);
	size_t i, n;
	int error = 0;

	*items = 0;
	if (!json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return cl__error(CL_EINVALID, "not a list");
	}
	n = json_object_array_length(root);
	for (i = 0; i < n && error == 0; i++)
		error = scan_entry(d, source, json_object_array_get_idx(root, i));
	json_object_put(root);
	*items = n;
	return error;
}

int cl__forge_delivered(const cl__forge_delivery *d, const char **link)
{
	const cl__forge_reply *best = NULL;
	size_t i;

	*link = NULL;
	for (i = 0; i < d->count; i++) {
		const cl__forge_reply *r = &d->replies[i];

		if (r->at < d->reopened_at)
			continue;
		if (best == NULL || r->at >= best->at)
			best = r;
	}
	if (best == NULL)
		return 0;
	*link = best->link;
	return 1;
}

void cl__forge_delivery_clear(cl__forge_delivery *d)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		free(d->replies[i].link);
	free(d->replies);
	memset(d, 0, sizeof(*d));
}

/* Webhooks ******************************************************************/

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Form-decode [p, end) into buf ('+' is a space, %HH a byte). */
static int form_decode(cl_buf *buf, const char *p, const char *end)
{
	int hi, lo;
	char c;

	for (; p < end; p++) {
		c = *p;
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (end - p < 3 || (hi = hex_value(p[1])) < 0 ||
			    (lo = hex_value(p[2])) < 0)
				return cl__error(CL_EINVALID,
					"the form-encoded webhook has a bad %% escape");
			c = (char)(hi * 16 + lo);
			p += 2;
		}
		cl__buf_put(buf, &c, 1);
	}
	return buf->failed ? CL_ENOMEM : 0;
}

static int is_form(const cl_webhook *hook)
{
	static const char form[] = "application/x-www-form-urlencoded";
	const char *type = cl_webhook_header(hook, "Content-Type");

	return type != NULL &&
		cl__strncasecmp(type, form, sizeof(form) - 1) == 0 &&
		(type[sizeof(form) - 1] == '\0' || type[sizeof(form) - 1] == ';' ||
		 is_blank(type[sizeof(form) - 1]));
}

int cl__forge_hook_json(char **decoded, size_t *decoded_len,
	const cl_webhook *hook)
{
	const char *p = hook->body, *end = hook->body + hook->body_len, *amp;
	cl_buf buf = CL_BUF_INIT;
	int error;

	*decoded = NULL;
	*decoded_len = 0;
	if (!is_form(hook))
		return 0;
	for (; p != NULL && p < end; p = amp ? amp + 1 : NULL) {
		amp = memchr(p, '&', (size_t)(end - p));
		if ((size_t)((amp ? amp : end) - p) < 8 ||
		    memcmp(p, "payload=", 8) != 0)
			continue;
		if ((error = form_decode(&buf, p + 8, amp ? amp : end)) < 0) {
			cl__buf_free(&buf);
			return error;
		}
		*decoded_len = buf.len;
		if (buf.len == 0) {
			cl__buf_free(&buf);
			break;
		}
		*decoded = cl__buf_detach(&buf);
		return 1;
	}
	return cl__error(CL_EINVALID,
		"the form-encoded webhook has no payload field");
}

int cl__forge_check_mac(const char *header, const char *hex_mac,
	const char *secret, size_t secret_len, const char *data, size_t len)
{
	unsigned char mac[32];
	char want[65], given[65];
	size_t i;
	int error;

	if (secret == NULL || secret_len == 0)
		return cl__error(CL_EAUTH, "no webhook secret is configured");
	if (strlen(hex_mac) != 64)
		return cl__error(CL_EAUTH, "%s is not 64 hex digits", header);
	for (i = 0; i < 64; i++) {
		int v = hex_value(hex_mac[i]);

		if (v < 0)
			return cl__error(CL_EAUTH, "%s is not 64 hex digits",
				header);
		given[i] = "0123456789abcdef"[v];
	}
	given[64] = '\0';
	if ((error = cl__hmac_sha256(mac, secret, secret_len, data, len)) < 0)
		return error;
	cl__hex(want, mac, sizeof(mac));
	if (!cl__consttime_eq(want, 64, given, 64))
		return cl__error(CL_EAUTH,
			"%s does not match the body (is the webhook secret the same?)",
			header);
	return 0;
}

/* Copy s into a fixed name; CL_EINVALID when it does not fit. */
static int copy_name(char *dst, const char *s, const char *what)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= CL_TEVENT_MAX_NAME)
		return cl__error(CL_EINVALID,
			"the webhook's %s is longer than %d bytes", what,
			CL_TEVENT_MAX_NAME - 1);
	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
	return 0;
}

static int is_resolved_label(const char *name, const cl__forge_hook_ctx *ctx)
{
	size_t i;

	for (i = 0; name && i < ctx->n_resolved_labels; i++)
		if (cl__strcasecmp(name, ctx->resolved_labels[i]) == 0)
			return 1;
	return 0;
}

/* Gitea's label_updated carries no label, only the issue's labels after
 * the change: a resolved label among them makes it a RESOLVED event. The
 * engine sees the same ticket resolved again on every later label edit,
 * which it must take in its stride anyway (webhooks are at-least-once). */
static int has_resolved_label(json_object *issue,
	const cl__forge_hook_ctx *ctx)
{
	json_object *labels = member_array(issue, "labels");
	size_t i;

	for (i = 0; labels && i < json_object_array_length(labels); i++)
		if (is_resolved_label(cl__json_string(
			    json_object_array_get_idx(labels, i), "name"), ctx))
			return 1;
	return 0;
}

static cl_tevent_kind issue_kind(const char *action, json_object *root,
	json_object *issue, const cl__forge_hook_ctx *ctx, const char **reason)
{
	if (strcmp(action, "opened") == 0)
		return CL_TEVENT_OPENED;
	if (strcmp(action, "closed") == 0)
		return CL_TEVENT_CLOSED;
	if (strcmp(action, "reopened") == 0)
		return CL_TEVENT_REOPENED;
	if (strcmp(action, "assigned") == 0 ||
	    strcmp(action, "unassigned") == 0)
		return CL_TEVENT_ASSIGNED;
	if (strcmp(action, "labeled") == 0)
		return is_resolved_label(cl__json_string(member_object(root,
			"label"), "name"), ctx) ? CL_TEVENT_RESOLVED :
			CL_TEVENT_ACTIVITY;
	if (strcmp(action, "label_updated") == 0)
		return has_resolved_label(issue, ctx) ? CL_TEVENT_RESOLVED :
			CL_TEVENT_ACTIVITY;
	if (strcmp(action, "deleted") == 0) {
		*reason = "the issue was deleted";
		return CL_TEVENT_IGNORED;
	}
	return CL_TEVENT_ACTIVITY;
}

static cl_tevent_kind comment_kind(const char *action, const char **reason)
{
	if (strcmp(action, "created") == 0)
		return CL_TEVENT_COMMENT;
	if (strcmp(action, "deleted") == 0) {
		*reason = "the comment was deleted";
		return CL_TEVENT_IGNORED;
	}
	return CL_TEVENT_ACTIVITY;
}

static void ignore(cl_tevent *ev, const char *reason)
{
	ev->kind = CL_TEVENT_IGNORED;
	ev->reason = reason;
}

/* The comment of a COMMENT event, owned by ev. */
static int take_comment(cl_tevent *ev, json_object *comment)
{
	const char *body = cl__json_string(comment, "body");

	if (body == NULL)
		return cl__error(CL_EINVALID, "the webhook has no comment.body");
	if ((ev->comment = cl__strdup(body)) == NULL)
		return CL_ENOMEM;
	ev->by_closeloop = strstr(body, CL_COMMENT_MARKER) != NULL;
	return 0;
}

/* The names every event carries, bounded. */
static int event_names(cl_tevent *ev, json_object *root, json_object *issue)
{
	const char *project = cl__json_string(member_object(root, "repository"),
		"full_name");
	int error;

	if (project == NULL || *project == '\0')
		return cl__error(CL_EINVALID,
			"the webhook has no repository.full_name");
	if ((error = copy_name(ev->project, project,
		     "repository.full_name")) < 0 ||
	    (error = copy_name(ev->actor, cl__json_string(member_object(root,
			"sender"), "login"), "sender.login")) < 0 ||
	    (error = copy_name(ev->owner, owner_login(issue),
		     "assignee login")) < 0)
		return error;
	ev->ref.project = ev->project;
	return 0;
}

static int event_from_json(cl_tevent *ev, json_object *root,
	const cl__forge_hook_ctx *ctx)
{
	json_object *issue = member_object(root, "issue");
	json_object *comment = member_object(root, "comment");
	const char *action = cl__json_string(root, "action");
	int is_comment = strcmp(ctx->event, "issue_comment") == 0, error;

	if (action == NULL || *action == '\0')
		return cl__error(CL_EINVALID, "the webhook has no action");
	if (issue == NULL)
		return cl__error(CL_EINVALID, "the webhook has no issue");
	ev->ref.kind = CL_REF_MENTION;
	ev->ref.number = member_number(issue, "number");
	if (ev->ref.number == 0)   /* Gitea also writes it at the top */
		ev->ref.number = member_number(root, "number");
	if (ev->ref.number == 0)
		return cl__error(CL_EINVALID, "the webhook has no issue.number");
	if ((error = event_names(ev, root, issue)) < 0)
		return error;
	ev->closed = cl__json_string(issue, "state") != NULL &&
		strcmp(cl__json_string(issue, "state"), "closed") == 0;
	ev->time = member_time(issue, "updated_at");
	if (ev->time == 0)
		ev->time = member_time(issue, "created_at");
	if (ctx->project && cl__strcasecmp(ev->project, ctx->project) != 0) {
		ignore(ev, "another repository");
		return 0;
	}
	if (is_pull(issue) || json_object_get_boolean(cl__json_member(root, "is_pull"))) {
		ignore(ev, "a pull request");
		return 0;
	}
	if (!is_comment) {
		ev->kind = issue_kind(action, root, issue, ctx, &ev->reason);
		return 0;
	}
	if (comment == NULL)
		return cl__error(CL_EINVALID, "the webhook has no comment");
	ev->kind = comment_kind(action, &ev->reason);
	if (member_time(comment, "updated_at") > 0)
		ev->time = member_time(comment, "updated_at");
	if (ev->kind == CL_TEVENT_COMMENT) {
		if (member_time(comment, "created_at") > 0)
			ev->time = member_time(comment, "created_at");
		return take_comment(ev, comment);
	}
	return 0;
}

int cl__forge_parse_event(cl_tevent *ev, const char *json, size_t len,
	const cl__forge_hook_ctx *ctx)
{
	json_object *root;
	int error;

	cl_tevent_init(ev);
	if (ctx->event == NULL || (strcmp(ctx->event, "issues") != 0 &&
				   strcmp(ctx->event, "issue_comment") != 0)) {
		ignore(ev, "not an issue event");
		return 0;
	}
	root = cl__json_parse(json, len);
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return cl__error(CL_EINVALID, "the webhook body is not a JSON object");
	}
	error = event_from_json(ev, root, ctx);
	json_object_put(root);
	if (error < 0)
		cl_tevent_clear(ev);
	return error;
}

/* The backend ***************************************************************/

typedef struct forge_backend forge_backend;
typedef struct forge_ticket forge_ticket;
typedef struct forge_group forge_group;

#define MAX_SOURCES 4

/* Pages of the sync's issue list before giving up on a server that
 * seems to ignore "page" (100 000 issues on GitHub). */
#define MAX_SYNC_PAGES 1000

/* One paged history source of a ticket: the payload of its requests. */
typedef struct {
	forge_ticket *t;
	cl__forge_source source;
	unsigned int page;
} forge_chain;

/* One ticket asked for, from the fetch call until its callback. */
struct forge_ticket {
	forge_backend *fb;
	forge_ticket *prev, *next;  /* the backend's live lookups */
	cl_http *http;              /* the client of the fetch call */
	cl_ref ref;
	char *project;
	unsigned int flags;
	cl_ticket_cb cb;
	void *payload;
	forge_group *riders;        /* answered when this one's issue comes */
	int cancelled;              /* fetch failed: answer nobody */
	int found;
	cl__forge_issue issue;
	cl__forge_delivery delivery;
	forge_chain chains[MAX_SOURCES];
	int waits;                  /* answers still to come */
	int error;                  /* the first failure; 0 none */
	char *message;
};

/* Tickets of other repositories, answered "does not exist" together. */
struct forge_group {
	forge_backend *fb;
	forge_group *prev, *next;
	forge_ticket **tickets;
	size_t count;
};

struct forge_backend {
	cl_tracker_backend parent;
	const cl__forge_dialect *d;
	char *url;        /* as configured, for messages */
	char *api;        /* url + the dialect's API path */
	char *project;    /* owner/repo */
	char *auth;       /* "Authorization: ..."; wiped on free */
	const char *token;/* inside auth: never in a message */
	char **labels;    /* resolvedLabels */
	size_t nlabels;
	int repo_ok;      /* GET /repos/O/R answered: a 404 is a 404 */
	forge_ticket *tickets;
	forge_group *groups;
};

static void forge__finish(forge_ticket *t);

/* Requests and answers */

/* headers[] (8 entries) for a request */
static void request_init(cl_http_request *req, const char **headers,
	const forge_backend *fb, const char *method, const char *url,
	const char *body, int idempotent)
{
	const char *const *h;
	size_t n = 0;

	if (fb->auth)
		headers[n++] = fb->auth;
	for (h = fb->d->headers; h && *h && n < 6; h++)
		headers[n++] = *h;
	if (body)
		headers[n++] = "Content-Type: application/json";
	headers[n] = NULL;
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->headers = headers;
	req->body = body;
	req->body_len = body ? strlen(body) : 0;
	req->idempotent = idempotent;
}

/* The forge's own words ("message" of an error answer), cut short; NULL
 * when there are none or they hold the token. */
static char *server_message(const forge_backend *fb,
	const cl_http_response *resp)
{
	json_object *root = cl__json_parse(resp->body, resp->body_len);
	const char *m = cl__json_string(root, "message");
	char *s = NULL;

	if (m != NULL && *m != '\0' &&
	    (fb->token == NULL || strstr(m, fb->token) == NULL))
		s = cl__strndup(m, strlen(m) > 200 ? 200 : strlen(m));
	json_object_put(root);
	return s;
}

/*
 * Sort an answer: 0 for 2xx, else a code and a message for the user.
 * Never the token: messages name the base URL, the status and the
 * forge's own message only.
 */
static int answer_error(cl_buf *msg, const forge_backend *fb,
	const cl_http_response *resp)
{
	const char *type = fb->d->type;
	char *said;
	int error = CL_ETRACKER;

	if (resp->error != 0 || resp->status == 0) {
		cl__buf_printf(msg, "%s at %s did not answer: %s", type, fb->url,
			resp->error_message ? resp->error_message : "no response");
		return resp->error == CL_ETIMEOUT ? CL_ETIMEOUT : CL_ETRACKER;
	}
	if (resp->status >= 200 && resp->status < 300)
		return 0;
	said = server_message(fb, resp);
	if (resp->status == 401 && fb->auth)
		cl__buf_printf(msg, "the %s token was refused (401)",
			fb->d->title);
	else if (resp->status == 401)
		cl__buf_printf(msg, "%s at %s asks for a token (401): set tokenFile",
			type, fb->url);
	else if (resp->status == 404 || resp->status == 410) {
		cl__buf_printf(msg, "%s at %s: not found (%ld)", type, fb->url,
			resp->status);
		error = CL_ENOTFOUND;
	} else if (resp->status >= 500)
		cl__buf_printf(msg, "%s at %s did not answer: HTTP %ld", type,
			fb->url, resp->status);
	else if (resp->status == 403 || resp->status == 429)
		cl__buf_printf(msg, "%s at %s refused the request (%ld)%s%s", type,
			fb->url, resp->status, said ? ": " : "", said ? said : "");
	else if (resp->status == 422)
		cl__buf_printf(msg, "%s at %s refused the change%s%s", type,
			fb->url, said ? ": " : "", said ? said : "");
	else
		cl__buf_printf(msg, "%s at %s answered HTTP %ld", type, fb->url,
			resp->status);
	free(said);
	return error;
}

static int submit_get(forge_backend *fb, cl_http *http, const char *url,
	cl_http_done_cb cb, void *payload)
{
	const char *headers[8];
	cl_http_request req;

	request_init(&req, headers, fb, "GET", url, NULL, 1);
	return cl_http_submit(http, &req, cb, payload);
}

/* The forge can be asked about the ticket: a number of this repository. */
static int askable(const forge_backend *fb, const cl_ref *ref)
{
	return ref->number > 0 && ref->number <= fb->d->max_number &&
		(ref->project == NULL ||
		 cl__strcasecmp(ref->project, fb->project) == 0);
}

/* Tickets */

static forge_ticket *ticket_new(forge_backend *fb, cl_http *http,
	const cl_ref *ref, unsigned int flags, cl_ticket_cb cb, void *payload)
{
	forge_ticket *t = cl__calloc(1, sizeof(*t));
	size_t i;

	if (t == NULL)
		return NULL;
	t->fb = fb;
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
	for (i = 0; i < MAX_SOURCES; i++)
		t->chains[i].t = t;
	t->next = fb->tickets;
	if (fb->tickets)
		fb->tickets->prev = t;
	fb->tickets = t;
	return t;
}

static void ticket_free(forge_ticket *t)
{
	forge_backend *fb = t->fb;

	if (t->prev)
		t->prev->next = t->next;
	else
		fb->tickets = t->next;
	if (t->next)
		t->next->prev = t->prev;
	cl__forge_issue_clear(&t->issue);
	cl__forge_delivery_clear(&t->delivery);
	free(t->project);
	free(t->message);
	free(t);
}

/* Record the first failure; the ticket reports it when all answers came. */
static void ticket_fail(forge_ticket *t, int error, const char *message)
{
	if (t->error)
		return;
	t->error = error;
	t->message = cl__strdup(message ? message : "lookup failed");
}

/* One answer the ticket waited for came. */
static void ticket_release(forge_ticket *t)
{
	if (--t->waits <= 0)
		forge__finish(t);
}

/* Groups of tickets of other repositories */

static forge_group *group_new(forge_backend *fb, size_t n)
{
	forge_group *g = cl__calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	if ((g->tickets = cl__calloc(n ? n : 1, sizeof(*g->tickets))) == NULL) {
		free(g);
		return NULL;
	}
	g->fb = fb;
	g->next = fb->groups;
	if (fb->groups)
		fb->groups->prev = g;
	fb->groups = g;
	return g;
}

static void group_free(forge_group *g)
{
	forge_backend *fb = g->fb;

	if (g->prev)
		g->prev->next = g->next;
	else
		fb->groups = g->next;
	if (g->next)
		g->next->prev = g->prev;
	free(g->tickets);
	free(g);
}

/* Answer every ticket of the group (they do not exist), then drop it.
 * The list is taken first: a callback may fetch again. */
static void group_release(forge_group *g)
{
	forge_ticket **tickets = g->tickets;
	size_t i, n = g->count;

	g->tickets = NULL;
	g->count = 0;
	group_free(g);
	for (i = 0; i < n; i++)
		ticket_release(tickets[i]);
	free(tickets);
}

static void forge__group_done(const cl_http_response *resp, void *payload)
{
	(void)resp; /* no answer is needed to know they are not issues here */
	group_release(payload);
}

/* The answer for one ticket */

static void report(forge_ticket *t)
{
	const cl__forge_issue *is = &t->issue;
	const char *reply = NULL;
	cl_ticket tk;

	memset(&tk, 0, sizeof(tk));
	tk.ref = t->ref;
	tk.delivered = -1;
	if (t->error) {
		t->cb(&tk, t->error, t->message, t->payload);
		return;
	}
	if (t->found) {
		tk.exists = 1;
		tk.closed = is->closed;
		tk.status = is->state;
		tk.subject = is->title;
		tk.owner = is->owner;
		tk.updated_at = is->updated_at;
		tk.snoozed = is->snoozed;
		tk.created_at = is->created_at;
		if (t->flags & CL_FETCH_DELIVERY) {
			tk.delivered = cl__forge_delivered(&t->delivery, &reply);
			tk.reply = reply;
		}
	}
	t->cb(&tk, 0, NULL, t->payload);
}

/* All answers are in: tell the caller, then forget the ticket. */
static void forge__finish(forge_ticket *t)
{
	report(t);
	ticket_free(t);
}

/* History pages, for delivery */

static const char *source_path(cl__forge_source source)
{
	switch (source) {
	case CL__FORGE_EVENTS:
		return "events";
	case CL__FORGE_COMMENTS:
		return "comments";
	case CL__FORGE_TIMELINE:
		return "timeline";
	}
	return "comments";
}

static void forge__page_done(const cl_http_response *resp, void *payload);

static int submit_page(forge_chain *c)
{
	forge_ticket *t = c->t;
	forge_backend *fb = t->fb;
	cl_buf url = CL_BUF_INIT;
	int error;

	cl__buf_printf(&url, "%s/repos/%s/issues/%" PRIu64 "/%s?%s=%u&page=%u",
		fb->api, fb->project, t->ref.number, source_path(c->source),
		fb->d->limit_param, fb->d->per_page, c->page);
	error = url.failed ? CL_ENOMEM :
		submit_get(fb, t->http, url.ptr, forge__page_done, c);
	cl__buf_free(&url);
	return error;
}

static void forge__page_done(const cl_http_response *resp, void *payload)
{
	forge_chain *c = payload;
	forge_ticket *t = c->t;
	cl_buf msg = CL_BUF_INIT;
	size_t items = 0;
	int error = answer_error(&msg, t->fb, resp);

	if (error == CL_ENOTFOUND) {
		/* deleted between the two requests */
		t->found = 0;
	} else if (error) {
		ticket_fail(t, error, msg.ptr);
	} else if (cl__forge_delivery_page(&t->delivery, c->source, resp->body,
			   resp->body_len, &items) < 0) {
		cl__buf_printf(&msg, "%s at %s sent %s closeloop cannot read",
			t->fb->d->type, t->fb->url, source_path(c->source));
		ticket_fail(t, CL_ETRACKER, msg.ptr);
	} else if (items >= t->fb->d->per_page && !t->error) {
		/* a full page: there may be more */
		if (c->page >= CL__FORGE_MAX_PAGES) {
			cl__buf_printf(&msg, "%s at %s: more than %d pages of %s",
				t->fb->d->type, t->fb->url, CL__FORGE_MAX_PAGES,
				source_path(c->source));
			ticket_fail(t, CL_ETRACKER, msg.ptr);
		} else {
			c->page++;
			if (submit_page(c) == 0) {
				cl__buf_free(&msg);
				return; /* the next page takes this one's place */
			}
			ticket_fail(t, CL_ENOMEM, cl_error_last()->message);
		}
	}
	cl__buf_free(&msg);
	ticket_release(t);
}

/* Ask for every source of the ticket's history, page 1. */
static void start_history(forge_ticket *t)
{
	const cl__forge_dialect *d = t->fb->d;
	size_t i;

	for (i = 0; i < d->n_sources && i < MAX_SOURCES; i++) {
		forge_chain *c = &t->chains[i];

		c->source = d->sources[i];
		c->page = 1;
		if (submit_page(c) < 0) {
			ticket_fail(t, CL_ENOMEM, cl_error_last()->message);
			return;
		}
		t->waits++;
	}
}

/* The repository check, after a 404 */

static void forge__repo_done(const cl_http_response *resp, void *payload)
{
	forge_ticket *t = payload;
	forge_backend *fb = t->fb;
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, fb, resp);

	if (error == 0) {
		fb->repo_ok = 1;
	} else if (error == CL_ENOTFOUND) {
		cl__buf_free(&msg);
		cl__buf_printf(&msg, "%s at %s has no repository %s, or the "
			"token cannot see it", fb->d->type, fb->url, fb->project);
		ticket_fail(t, CL_ETRACKER, msg.ptr);
	} else {
		ticket_fail(t, error, msg.ptr);
	}
	cl__buf_free(&msg);
	ticket_release(t);
}

static void check_repo(forge_ticket *t)
{
	forge_backend *fb = t->fb;
	cl_buf url = CL_BUF_INIT;
	int error;

	cl__buf_printf(&url, "%s/repos/%s", fb->api, fb->project);
	error = url.failed ? CL_ENOMEM :
		submit_get(fb, t->http, url.ptr, forge__repo_done, t);
	cl__buf_free(&url);
	if (error < 0)
		ticket_fail(t, error, cl_error_last()->message);
	else
		t->waits++;
}

/* The issue */

static void issue_answered(forge_ticket *t, const cl_http_response *resp)
{
	forge_backend *fb = t->fb;
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, fb, resp);

	if (error == CL_ENOTFOUND) {
		if (!fb->repo_ok)
			check_repo(t);
	} else if (error) {
		ticket_fail(t, error, msg.ptr);
	} else if (cl__forge_parse_issue(&t->issue, resp->body,
			   resp->body_len) < 0) {
		cl__buf_printf(&msg, "%s at %s sent an issue closeloop cannot read",
			fb->d->type, fb->url);
		ticket_fail(t, CL_ETRACKER, msg.ptr);
	} else {
		t->found = 1;
		if (t->flags & CL_FETCH_DELIVERY)
			start_history(t);
	}
	cl__buf_free(&msg);
}

static void forge__issue_done(const cl_http_response *resp, void *payload)
{
	forge_ticket *t = payload;
	forge_group *riders = t->riders;

	t->riders = NULL;
	if (t->cancelled) {
		ticket_free(t);
		return;
	}
	if (riders)
		group_release(riders);
	issue_answered(t, resp);
	ticket_release(t);
}

/* Fetch */

/* The fetch call failed: drop what was not asked yet, and let the answers
 * of what was asked call nobody back. */
static void abandon(forge_ticket **tickets, const int *asked, size_t n,
	forge_group *group)
{
	size_t i;

	if (group)
		group_free(group);
	for (i = 0; i < n; i++) {
		if (tickets[i] == NULL)
			continue;
		tickets[i]->riders = NULL;
		if (asked[i])
			tickets[i]->cancelled = 1;
		else
			ticket_free(tickets[i]);
	}
}

static int make_tickets(forge_ticket **tickets, forge_group **group,
	forge_backend *fb, cl_http *http, const cl_ref *refs,
	const unsigned int *flags, size_t n, cl_ticket_cb cb, void *payload)
{
	size_t i, others = 0;

	for (i = 0; i < n; i++)
		others += askable(fb, &refs[i]) ? 0 : 1;
	if (others && (*group = group_new(fb, others)) == NULL)
		return CL_ENOMEM;
	for (i = 0; i < n; i++) {
		tickets[i] = ticket_new(fb, http, &refs[i], flags ? flags[i] : 0,
			cb, payload);
		if (tickets[i] == NULL)
			return CL_ENOMEM;
		tickets[i]->waits = 1;
		if (!askable(fb, &refs[i]))
			(*group)->tickets[(*group)->count++] = tickets[i];
	}
	return 0;
}

static int submit_issue(forge_ticket *t)
{
	forge_backend *fb = t->fb;
	cl_buf url = CL_BUF_INIT;
	int error;

	cl__buf_printf(&url, "%s/repos/%s/issues/%" PRIu64, fb->api,
		fb->project, t->ref.number);
	error = url.failed ? CL_ENOMEM :
		submit_get(fb, t->http, url.ptr, forge__issue_done, t);
	cl__buf_free(&url);
	return error;
}

/* The tickets of other repositories ride on the first issue asked for,
 * or on GET /repos/O/R when there is none. */
static int submit_all(forge_ticket **tickets, int *asked, size_t n,
	forge_group *group)
{
	forge_backend *fb = tickets[0]->fb;
	cl_buf url = CL_BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		if (!askable(fb, &tickets[i]->ref))
			continue;
		if (group) {
			tickets[i]->riders = group;
			group = NULL;
		}
		if ((error = submit_issue(tickets[i])) == 0)
			asked[i] = 1;
	}
	if (error == 0 && group) {
		cl__buf_printf(&url, "%s/repos/%s", fb->api, fb->project);
		error = url.failed ? CL_ENOMEM : submit_get(fb,
			tickets[0]->http, url.ptr, forge__group_done, group);
		cl__buf_free(&url);
	}
	return error;
}

static int forge__fetch(cl_tracker_backend *backend, cl_http *http,
	const cl_ref *refs, const unsigned int *flags, size_t n,
	cl_ticket_cb cb, void *payload)
{
	forge_backend *fb = (forge_backend *)backend;
	forge_ticket **tickets;
	forge_group *group = NULL;
	int *asked, error;

	if (n == 0)
		return 0;
	if (refs == NULL || cb == NULL)
		return cl__error(CL_EINVALID, "no tickets or no callback");
	tickets = cl__calloc(n, sizeof(*tickets));
	asked = cl__calloc(n, sizeof(*asked));
	if (tickets == NULL || asked == NULL) {
		free(tickets);
		free(asked);
		return CL_ENOMEM;
	}
	error = make_tickets(tickets, &group, fb, http, refs, flags, n, cb,
		payload);
	if (error == 0)
		error = submit_all(tickets, asked, n, group);
	if (error < 0)
		abandon(tickets, asked, n, group);
	free(tickets);
	free(asked);
	return error;
}

/* Blocking calls *************************************************************/

/* One request, waited for: 0 with *out for any HTTP answer. */
static int perform(cl_http_response **out, forge_backend *fb, cl_http *http,
	const char *method, const char *url, const char *body, int idempotent,
	int64_t deadline_ms)
{
	const char *headers[8];
	cl_http_request req;
	char why[512];
	int error;

	request_init(&req, headers, fb, method, url, body, idempotent);
	if ((error = cl_http_perform(out, http, &req, deadline_ms)) == 0)
		return 0;
	if (error == CL_ENOMEM)
		return error;
	/* the message lives in the buffer cl__error writes: copy it first */
	snprintf(why, sizeof(why), "%s", cl_error_last()->message);
	return cl__error(error == CL_ETIMEOUT ? CL_ETIMEOUT : CL_ETRACKER,
		"%s at %s did not answer: %s", fb->d->type, fb->url, why);
}

/* 0 for a 2xx answer; else the error, set. A 404 names ref's issue. */
static int check(forge_backend *fb, const cl_http_response *resp,
	const cl_ref *ref)
{
	cl_buf msg = CL_BUF_INIT;
	int error = answer_error(&msg, fb, resp);

	if (error == CL_ENOTFOUND && ref != NULL)
		cl__error(error, "%s issue %s#%" PRIu64 " does not exist",
			fb->d->type, fb->project, ref->number);
	else if (error)
		cl__error(error, "%s", msg.ptr ? msg.ptr : "request failed");
	cl__buf_free(&msg);
	return error;
}

static int not_an_issue(const forge_backend *fb, const cl_ref *ref)
{
	if (ref->project && cl__strcasecmp(ref->project, fb->project) != 0)
		return cl__error(CL_ENOTFOUND, "%s#%" PRIu64 " is not in %s "
			"(the %s tracker's project)", ref->project, ref->number,
			fb->project, fb->d->type);
	return cl__error(CL_ENOTFOUND, "%s issue %s#%" PRIu64
		" does not exist", fb->d->type, fb->project, ref->number);
}

/* A JSON text of one object with one string member. */
static char *one_string_body(const char *key, const char *value)
{
	json_object *root = json_object_new_object();
	const char *text;
	char *s = NULL;

	if (root != NULL &&
	    json_object_object_add(root, key,
		    json_object_new_string(value)) == 0 &&
	    (text = json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) != NULL)
		s = cl__strdup(text);
	else
		cl__error_nomem();
	json_object_put(root);
	return s;
}

/* The text, then the marker that tells closeloop's comments apart in
 * the webhooks they cause. */
static char *comment_body(const char *text)
{
	cl_buf buf = CL_BUF_INIT;
	char *body;

	cl__buf_puts(&buf, text);
	if (strstr(text, CL_COMMENT_MARKER) == NULL)
		cl__buf_printf(&buf, "\n\n%s", CL_COMMENT_MARKER);
	if (buf.failed) {
		cl__buf_free(&buf);
		return NULL;
	}
	body = one_string_body("body", buf.ptr);
	cl__buf_free(&buf);
	return body;
}

static int issue_url(cl_buf *url, const forge_backend *fb, const cl_ref *ref,
	const char *tail)
{
	cl__buf_printf(url, "%s/repos/%s/issues/%" PRIu64 "%s", fb->api,
		fb->project, ref->number, tail);
	return url->failed ? CL_ENOMEM : 0;
}

/* internal is ignored: neither forge has internal notes (no
 * CL_TRACKER_CAP_INTERNAL_NOTES), and the caller knows it. */
static int forge__comment(cl_tracker_backend *backend, cl_http *http,
	const cl_ref *ref, const char *text, int internal, int64_t deadline_ms)
{
	forge_backend *fb = (forge_backend *)backend;
	cl_http_response *resp = NULL;
	cl_buf url = CL_BUF_INIT;
	char *body = NULL;
	int error;

	(void)internal;
	if (!askable(fb, ref))
		return not_an_issue(fb, ref);
	if (text == NULL || *text == '\0')
		return cl__error(CL_EINVALID, "empty comment");
	if ((body = comment_body(text)) == NULL ||
	    issue_url(&url, fb, ref, "/comments") < 0) {
		free(body);
		cl__buf_free(&url);
		return CL_ENOMEM;
	}
	error = perform(&resp, fb, http, "POST", url.ptr, body, 0, deadline_ms);
	if (error == 0)
		error = check(fb, resp, ref);
	cl_http_response_free(resp);
	cl__buf_free(&url);
	free(body);
	return error;
}

/*
 * PATCH the state, then read it from the answer (both forges answer
 * with the issue): a token allowed to comment but not to change issues
 * gets an answer on some versions rather than a 403, and a reopen that
 * silently did not happen would leave the ticket closed.
 */
static int forge__reopen(cl_tracker_backend *backend, cl_http *http,
	const cl_ref *ref, int64_t deadline_ms)
{
	forge_backend *fb = (forge_backend *)backend;
	cl_http_response *resp = NULL;
	cl__forge_issue is;
	cl_buf url = CL_BUF_INIT;
	int error;

	if (!askable(fb, ref))
		return not_an_issue(fb, ref);
	if (issue_url(&url, fb, ref, "") < 0)
		return CL_ENOMEM;
	/* the same state twice is the same state: safe to retry */
	error = perform(&resp, fb, http, "PATCH", url.ptr,
		"{\"state\":\"open\"}", 1, deadline_ms);
	if (error == 0)
		error = check(fb, resp, ref);
	if (error == 0) {
		if (cl__forge_parse_issue(&is, resp->body, resp->body_len) < 0)
			error = cl__error(CL_ETRACKER,
				"%s at %s sent an issue closeloop cannot read",
				fb->d->type, fb->url);
		else if (is.state == NULL || strcmp(is.state, "open") != 0)
			error = cl__error(CL_ETRACKER,
				"%s did not reopen %s#%" PRIu64 ": it is still '%s' "
				"(may the token's user change issues?)", fb->d->type,
				fb->project, ref->number, is.state ? is.state : "?");
		cl__forge_issue_clear(&is);
	}
	cl_http_response_free(resp);
	cl__buf_free(&url);
	return error;
}

static int forge__whoami(cl_tracker_backend *backend, cl_http *http,
	char **login, int64_t deadline_ms)
{
	forge_backend *fb = (forge_backend *)backend;
	cl_http_response *resp = NULL;
	cl_buf url = CL_BUF_INIT;
	int error;

	*login = NULL;
	cl__buf_printf(&url, "%s/user", fb->api);
	if (url.failed)
		return CL_ENOMEM;
	error = perform(&resp, fb, http, "GET", url.ptr, NULL, 1, deadline_ms);
	if (error == 0)
		error = check(fb, resp, NULL);
	if (error == 0 && cl__forge_parse_login(login, resp->body,
			resp->body_len) < 0)
		error = cl__error(CL_ETRACKER,
			"%s at %s did not say whose the token is", fb->d->type,
			fb->url);
	cl_http_response_free(resp);
	cl__buf_free(&url);
	return error;
}

/* Sync */

typedef struct {
	cl_ticket_cb cb;
	void *payload;
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

/* An open issue is told at once; a closed one after its history. */
static int changed_issue(forge_backend *fb, cl_http *http,
	cl__forge_issue *is, changes_relay *relay)
{
	cl_ref ref = { CL_REF_MENTION, NULL, 0, 0 };
	forge_ticket *t;

	ref.number = is->number;
	if ((t = ticket_new(fb, http, &ref, is->closed ? CL_FETCH_DELIVERY : 0,
		     relay_ticket, relay)) == NULL)
		return CL_ENOMEM;
	t->found = 1;
	t->issue = *is;
	memset(is, 0, sizeof(*is));
	relay->pending++;
	if (t->flags & CL_FETCH_DELIVERY)
		start_history(t);
	if (t->waits == 0)
		forge__finish(t);
	return 0;
}

/* One page of the issue list; *raw its length, for paging. */
static int changes_page(forge_backend *fb, cl_http *http, const char *url,
	changes_relay *relay, int64_t *newest, size_t *raw,
	int64_t deadline_ms)
{
	cl_http_response *resp = NULL;
	cl__forge_issues list = { NULL, 0, 0 };
	size_t i;
	int error;

	*raw = 0;
	error = perform(&resp, fb, http, "GET", url, NULL, 1, deadline_ms);
	if (error == 0)
		error = check(fb, resp, NULL);
	if (error == 0 && cl__forge_parse_issues(&list, resp->body,
			resp->body_len) < 0)
		error = cl__error(CL_ETRACKER,
			"%s at %s sent issues closeloop cannot read", fb->d->type,
			fb->url);
	cl_http_response_free(resp);
	if (error < 0)
		return error;
	*raw = list.raw;
	for (i = 0; i < list.count && error == 0; i++) {
		cl__forge_issue *is = &list.items[i];

		if (is->pull) /* GitHub lists pull requests as issues */
			continue;
		if (is->updated_at > *newest)
			*newest = is->updated_at;
		error = changed_issue(fb, http, is, relay);
	}
	cl__forge_issues_clear(&list);
	return error;
}

/*
 * Issues of the repository updated at or after since, a page at a time
 * until a short page. The dialect's query sorts (GitHub: by update,
 * oldest first) and filters (Gitea: type=issues). Pages are asked for by
 * number, which both forges accept: GitHub's Link header says the same,
 * but the HTTP layer does not hand response headers over. Gitea caps a
 * page at its MAX_RESPONSE_ITEMS (50 by default): a server set lower
 * would look like a short page.
 */
static int forge__changes(cl_tracker_backend *backend, cl_http *http,
	int64_t since, cl_ticket_cb cb, void *payload, int64_t *newest,
	int64_t deadline_ms)
{
	forge_backend *fb = (forge_backend *)backend;
	changes_relay relay = { cb, payload, 0 };
	char when[32];
	char *ts;
	unsigned int page;
	size_t raw = 0;
	int error = 0;

	*newest = since;
	if (cb == NULL)
		return cl__error(CL_EINVALID, "no callback");
	if (cl_time_format(when, sizeof(when), since) < 0)
		return CL_EINVALID;
	if ((ts = cl_http_escape(when)) == NULL)
		return cl__error_nomem();
	for (page = 1; error == 0; page++) {
		cl_buf url = CL_BUF_INIT;

		if (page > MAX_SYNC_PAGES) {
			error = cl__error(CL_ETRACKER,
				"%s at %s: more than %d pages of changed issues",
				fb->d->type, fb->url, MAX_SYNC_PAGES);
			break;
		}
		cl__buf_printf(&url, "%s/repos/%s/issues?%s&since=%s&%s=%u&page=%u",
			fb->api, fb->project, fb->d->changes_query, ts,
			fb->d->limit_param, fb->d->per_page, page);
		error = url.failed ? CL_ENOMEM : changes_page(fb, http, url.ptr,
			&relay, newest, &raw, deadline_ms);
		cl__buf_free(&url);
		if (error == 0 && relay.pending > 0)
			error = cl_http_run(http, deadline_ms);
		if (error == 0 && relay.pending > 0)
			error = cl__error(CL_ETIMEOUT,
				"%s at %s: %zu issues not read before the deadline",
				fb->d->type, fb->url, relay.pending);
		if (raw < fb->d->per_page)
			break;
	}
	cl_free(ts);
	return error;
}

/* Webhook context */

void cl__forge_hook_ctx_init(cl__forge_hook_ctx *ctx,
	const cl_tracker_backend *backend, const char *event)
{
	const forge_backend *fb = (const forge_backend *)backend;

	ctx->event = event;
	ctx->project = fb->project;
	ctx->resolved_labels = (const char *const *)fb->labels;
	ctx->n_resolved_labels = fb->nlabels;
}

/* Life cycle ****************************************************************/

/*
 * Lookups still under way are dropped without their callbacks; the core
 * frees the HTTP client (and so every request pointing here) first.
 */
static void forge__free(cl_tracker_backend *backend)
{
	forge_backend *fb = (forge_backend *)backend;
	size_t i;

	if (fb == NULL)
		return;
	while (fb->groups)
		group_free(fb->groups);
	while (fb->tickets)
		ticket_free(fb->tickets);
	for (i = 0; i < fb->nlabels; i++)
		free(fb->labels[i]);
	free(fb->labels);
	cl_secret_free(fb->auth);
	free(fb->url);
	free(fb->api);
	free(fb->project);
	free(fb);
}

/* The auth header, allocated once so that no stale copy of the token is
 * left behind by a growing buffer. */
static int auth_header(forge_backend *fb, const char *token)
{
	const char *prefix = fb->d->auth_prefix;
	size_t plen = strlen(prefix), tlen = strlen(token), i;

	for (i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)token[i];

		if (c < 0x21 || c == 0x7f)
			return cl__error(CL_ECONFIG,
				"the %s token holds spaces or control characters",
				fb->d->title);
	}
	if ((fb->auth = cl__malloc(plen + tlen + 1)) == NULL)
		return CL_ENOMEM;
	memcpy(fb->auth, prefix, plen);
	memcpy(fb->auth + plen, token, tlen + 1);
	fb->token = fb->auth + plen;
	return 0;
}

/* "owner/repo": names as both forges allow them, one slash. Checked here
 * so that it can go into URLs as it is. */
static int valid_project(const char *p)
{
	const char *slash = p ? strchr(p, '/') : NULL, *q;

	if (slash == NULL || slash == p || slash[1] == '\0')
		return 0;
	for (q = p; *q; q++)
		if (q != slash && !is_name_char(*q))
			return 0;
	return 1;
}

static int copy_labels(forge_backend *fb, const cl_tracker_settings *s)
{
	size_t i;

	if (s->n_resolved_labels == 0)
		return 0;
	fb->labels = cl__calloc(s->n_resolved_labels, sizeof(*fb->labels));
	if (fb->labels == NULL)
		return CL_ENOMEM;
	for (i = 0; i < s->n_resolved_labels; i++) {
		if ((fb->labels[i] = cl__strdup(s->resolved_labels[i] ?
			     s->resolved_labels[i] : "")) == NULL)
			return CL_ENOMEM;
		fb->nlabels++;
	}
	return 0;
}

static void fill_slots(forge_backend *fb, const cl__forge_dialect *d)
{
	fb->d = d;
	fb->parent.version = CL_TRACKER_BACKEND_VERSION;
	fb->parent.type = d->type;
	/* no internal notes, no batch lookups, no reply field: a reply is a
	 * "Customer-Reply: LINK" comment (the core writes it so) */
	fb->parent.caps = CL_TRACKER_CAP_WEBHOOKS;
	fb->parent.fetch = forge__fetch;
	fb->parent.comment = forge__comment;
	fb->parent.set_reply = NULL;
	fb->parent.whoami = forge__whoami;
	fb->parent.free = forge__free;
	fb->parent.reopen = forge__reopen;
	fb->parent.webhook_verify = d->webhook_verify;
	fb->parent.webhook_id = d->webhook_id;
	fb->parent.webhook_parse = d->webhook_parse;
	fb->parent.changes = forge__changes;
}

int cl__forge_backend_new(cl_tracker_backend **out,
	const cl_tracker_settings *settings, const cl__forge_dialect *dialect)
{
	forge_backend *fb;
	cl_buf api = CL_BUF_INIT;
	size_t len;
	int error = 0;

	*out = NULL;
	if (settings == NULL || settings->url == NULL || *settings->url == '\0')
		return cl__error(CL_ECONFIG, "a %s tracker needs a url",
			dialect->type);
	if (!valid_project(settings->project))
		return cl__error(CL_ECONFIG,
			"a %s tracker needs project = owner/repo (not '%s')",
			dialect->type, settings->project ? settings->project : "");
	if ((fb = cl__calloc(1, sizeof(*fb))) == NULL)
		return CL_ENOMEM;
	fill_slots(fb, dialect);
	len = strlen(settings->url);
	while (len > 0 && settings->url[len - 1] == '/')
		len--;
	cl__buf_put(&api, settings->url, len);
	cl__buf_puts(&api, dialect->api_path);
	fb->api = cl__buf_detach(&api);
	fb->url = cl__strndup(settings->url, len);
	fb->project = cl__strdup(settings->project);
	if (fb->api == NULL || fb->url == NULL || fb->project == NULL)
		error = CL_ENOMEM;
	if (error == 0)
		error = copy_labels(fb, settings);
	if (error == 0 && settings->token && *settings->token)
		error = auth_header(fb, settings->token);
	if (error < 0) {
		forge__free(&fb->parent);
		return error == CL_ECONFIG ? CL_ECONFIG : CL_ENOMEM;
	}
	*out = &fb->parent;
	return 0;
}
