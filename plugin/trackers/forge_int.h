/*
 * forge_int.h: what the GitHub and Gitea (also Forgejo) backends share.
 * Both forges grew from the same REST design (GET /repos/O/R/issues/N,
 * the same issue fields, the same webhook payload shapes), so one engine
 * runs both and each backend is a dialect: a table of the few things
 * that differ (API path, auth header, page size, where reopens are read,
 * how webhooks are signed).
 *
 * The pure half (time, reply lines, issue and delivery JSON, webhook
 * payloads) takes bytes in and gives plain values out, with no HTTP, so
 * that unit tests drive it with payload files. Not installed; cl__ names
 * stay out of the library's export list.
 */
#ifndef CLOSELOOP_FORGE_INT_H
#define CLOSELOOP_FORGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <closeloop/sys/tracker.h>

/* Pages of a delivery lookup followed before giving up: a list that long
 * is more likely a server ignoring "page" than a real issue. */
#define CL__FORGE_MAX_PAGES 100

/* Time *********************************************************************/

/*
 * An RFC 3339 time as both forges write it: "2019-05-15T15:20:18Z" (GitHub)
 * or "2024-05-02T10:11:12+02:00" (Gitea writes the server's offset), with
 * optional fractional seconds. CL_EINVALID otherwise.
 */
int cl__forge_time(int64_t *out, const char *text);

/* Reply lines **************************************************************/


/*
 * The URL of rel="next" in an HTTP Link header (GitHub's paging):
 * 1 with *url (free it), 0 when there is none, CL_ENOMEM.
 */
int cl__forge_link_next(char **url, const char *header);

/* Issues *******************************************************************/

/* One issue as GET /repos/O/R/issues/N (or a list entry) shows it. */
typedef struct {
	uint64_t number;
	char *title;
	char *state;        /* "open" | "closed" */
	char *owner;        /* first assignee's login; NULL unassigned */
	int closed;
	int snoozed;        /* a closeloop:snooze label */
	int64_t created_at;
	int pull;           /* a pull request (pull_request present, not null) */
	int64_t updated_at; /* Unix seconds; 0 unknown */
} cl__forge_issue;

typedef struct {
	cl__forge_issue *items;
	size_t count;
	size_t raw;         /* entries in the answer, for paging */
} cl__forge_issues;

/* CL_EINVALID when json is not an issue object with a number. */
int cl__forge_parse_issue(cl__forge_issue *out, const char *json,
	size_t len);
/* A JSON array of issues; entries without a number are skipped.
 * CL_EINVALID when json is not an array. */
int cl__forge_parse_issues(cl__forge_issues *out, const char *json,
	size_t len);
void cl__forge_issue_clear(cl__forge_issue *issue);
void cl__forge_issues_clear(cl__forge_issues *issues);

/* "login" of GET /user; CL_EINVALID when there is none. */
int cl__forge_parse_login(char **login, const char *json, size_t len);

/* Delivery *****************************************************************/

/* Where a page of an issue's history comes from. */
typedef enum {
	CL__FORGE_EVENTS = 0,  /* GitHub GET .../issues/N/events: "reopened" */
	CL__FORGE_COMMENTS,    /* GitHub GET .../issues/N/comments */
	CL__FORGE_TIMELINE     /* Gitea GET .../issues/N/timeline: both */
} cl__forge_source;

typedef struct {
	int64_t at;   /* when the comment was made */
	char *link;
} cl__forge_reply;

/*
 * What the pages said so far. Pages of several sources come in any
 * order (they are asked for at once), so replies are kept with their
 * times and judged when every page is in.
 */
typedef struct {
	int64_t reopened_at;   /* the last reopen; 0 when never reopened */
	cl__forge_reply *replies;
	size_t count, cap;
} cl__forge_delivery;

/* Read one page; *items is how many entries it had (a full page means
 * there may be another). CL_EINVALID when json is not a list. */
int cl__forge_delivery_page(cl__forge_delivery *d, cl__forge_source source,
	const char *json, size_t len, size_t *items);
/* 1 with *link (borrowed from d) when a reply was made at or after the
 * last reopen (or ever, when never reopened); 0 with *link NULL. */
int cl__forge_delivered(const cl__forge_delivery *d, const char **link);
void cl__forge_delivery_clear(cl__forge_delivery *d);

/* Webhooks *****************************************************************/

/*
 * The JSON a webhook carries. Both forges can send it form-encoded
 * (Content-Type application/x-www-form-urlencoded, body payload=<JSON>):
 * then *decoded holds the decoded JSON (free it) and 1 is returned; 0
 * with *decoded NULL when the body is the JSON itself; CL_EINVALID when
 * a form has no payload field or bad escapes.
 */
int cl__forge_hook_json(char **decoded, size_t *decoded_len,
	const cl_webhook *hook);

/*
 * Check hex_mac (as received in header) against HMAC-SHA256(secret,
 * data) in constant time. 0, or CL_EAUTH saying what is wrong: not 64
 * hex digits, or no match.
 */
int cl__forge_check_mac(const char *header, const char *hex_mac,
	const char *secret, size_t secret_len, const char *data, size_t len);

/* What parsing an event needs to know besides the payload. */
typedef struct {
	const char *event;    /* "issues", "issue_comment"; others: ignored */
	const char *project;  /* the configured owner/repo; NULL: any */
	const char *const *resolved_labels;
	size_t n_resolved_labels;
} cl__forge_hook_ctx;

/*
 * Map an issues / issue_comment payload (GitHub's, or Gitea's with its
 * label_updated/label_cleared actions) to a tracker event. ev is
 * initialised here. 0 with ev filled, or CL_EINVALID naming what is
 * missing or too long.
 */
int cl__forge_parse_event(cl_tevent *ev, const char *json, size_t len,
	const cl__forge_hook_ctx *ctx);

/* The engine ***************************************************************/

/* What makes a forge backend GitHub or Gitea. */
typedef struct {
	const char *type;         /* "github": the backend type, in messages */
	const char *title;        /* "GitHub": in messages about the token */
	const char *api_path;     /* appended to url: "" or "/api/v1" */
	const char *auth_prefix;  /* "Authorization: Bearer " */
	const char *const *headers; /* fixed request headers, NULL-terminated */
	unsigned int per_page;    /* page size asked for in lists */
	const char *limit_param;  /* "per_page" or "limit" */
	const char *changes_query;/* fixed filters of the sync's issue list */
	const cl__forge_source *sources; /* where delivery is read, at once */
	size_t n_sources;
	uint64_t max_number;      /* larger issue numbers name no issue */
	int (*webhook_verify)(cl_tracker_backend *backend,
		const cl_webhook *hook, const char *secret, size_t secret_len);
	int (*webhook_id)(cl_tracker_backend *backend, const cl_webhook *hook,
		char *buf, size_t len);
	int (*webhook_parse)(cl_tracker_backend *backend,
		const cl_webhook *hook, cl_tevent *ev);
} cl__forge_dialect;

/* A backend of that dialect; settings->project must be "owner/repo". */
int cl__forge_backend_new(cl_tracker_backend **out,
	const cl_tracker_settings *settings, const cl__forge_dialect *dialect);

/* A parse context with the backend's project and resolved labels. */
void cl__forge_hook_ctx_init(cl__forge_hook_ctx *ctx,
	const cl_tracker_backend *backend, const char *event);

#endif
