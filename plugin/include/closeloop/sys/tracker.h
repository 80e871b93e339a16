/*
 * sys/tracker.h: for those who write tracker backends. A backend is a
 * versioned struct of function pointers that says what it can do through
 * capability bits (the core asks "can you do X?", never "which tracker are
 * you?"). Not included by closeloop/closeloop.h.
 */
#ifndef CLOSELOOP_SYS_TRACKER_H
#define CLOSELOOP_SYS_TRACKER_H

#include "../common.h"
#include "../http.h"
#include "../refs.h"
#include "../tracker.h"
#include "../webhook.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CL_TRACKER_BACKEND_VERSION 2

enum {
	CL_TRACKER_CAP_WEBHOOKS = 1u << 0,       /* sends webhooks */
	CL_TRACKER_CAP_INTERNAL_NOTES = 1u << 1, /* comments customers don't see */
	CL_TRACKER_CAP_BATCH = 1u << 2,          /* many tickets per request */
	CL_TRACKER_CAP_REPLY_FIELD = 1u << 3,    /* a field for the reply link */
	CL_TRACKER_CAP_JIRA_KEYS = 1u << 4       /* references look like PROJ-12 */
};

/* A tracker section's settings, resolved by the core. Borrowed by the
 * backend's constructor: copy what is kept. */
typedef struct {
	const char *name;          /* the section name, "support" */
	const char *type;
	const char *url;           /* without a trailing slash */
	const char *token;         /* NULL when no tokenFile */
	const char *project;
	const char *reply_field;
	const char *owner_field;   /* NULL: the assignee */
	const char *reopen_status;
	const char *const *resolved_statuses;
	size_t n_resolved_statuses;
	const char *const *resolved_labels;
	size_t n_resolved_labels;
} cl_tracker_settings;

typedef struct cl_tracker_backend cl_tracker_backend;

struct cl_tracker_backend {
	unsigned int version;  /* CL_TRACKER_BACKEND_VERSION */
	const char *type;      /* "redmine" */
	unsigned int caps;     /* CL_TRACKER_CAP_* */

	/* Submit lookups on http and return; call cb per ticket as answers
	 * come (during cl_http_poll / cl_http_run). refs are borrowed for
	 * the call only: copy them. */
	int (*fetch)(cl_tracker_backend *backend, cl_http *http,
		const cl_ref *refs, const unsigned int *flags, size_t n,
		cl_ticket_cb cb, void *payload);

	/* Blocking calls, each within deadline_ms. */
	int (*comment)(cl_tracker_backend *backend, cl_http *http,
		const cl_ref *ref, const char *text, int internal,
		int64_t deadline_ms);
	int (*set_reply)(cl_tracker_backend *backend, cl_http *http,
		const cl_ref *ref, const char *link, const char *by,
		int64_t deadline_ms);
	int (*whoami)(cl_tracker_backend *backend, cl_http *http,
		char **login, int64_t deadline_ms);

	void (*free)(cl_tracker_backend *backend);

	/* Version 2: the receiver and sync. Members a backend cannot do are
	 * NULL; the core answers for them with a clear error. */

	/* Reopen a closed ticket (to reopenStatus where statuses exist) and
	 * make sure it took: some trackers answer success and ignore it. */
	int (*reopen)(cl_tracker_backend *backend, cl_http *http,
		const cl_ref *ref, int64_t deadline_ms);
	/* The three webhook calls are made from several threads at once on
	 * one backend (the receiver's HTTP threads): they may read the
	 * backend's configuration, and change nothing in it. */
	/* Is the webhook authentic? 0, or CL_EAUTH (message says what is
	 * missing or wrong). Compare in constant time, over the raw body. */
	int (*webhook_verify)(cl_tracker_backend *backend, const cl_webhook *hook,
		const char *secret, size_t secret_len);
	/* The sender's delivery id into buf (NUL-terminated): 0, or
	 * CL_ENOTFOUND when the sender gives none that is stable across
	 * redeliveries (the core then uses a hash of the body). */
	int (*webhook_id)(cl_tracker_backend *backend, const cl_webhook *hook,
		char *buf, size_t len);
	/* What happened: 0 with ev filled (kind CL_TEVENT_IGNORED and a
	 * reason for events closeloop does not use or other projects), or
	 * CL_EINVALID (message says what) when the payload is malformed. */
	int (*webhook_parse)(cl_tracker_backend *backend, const cl_webhook *hook,
		cl_tevent *ev);
	/* Sync: call cb for each ticket of the project changed at or after
	 * since (Unix seconds), with its current state (delivered computed
	 * for closed tickets, -1 for open ones); *newest is the latest
	 * updated_at seen (since when none). Blocking, within deadline_ms. */
	int (*changes)(cl_tracker_backend *backend, cl_http *http, int64_t since,
		cl_ticket_cb cb, void *payload, int64_t *newest,
		int64_t deadline_ms);
};

/* Constructor of one tracker type. */
typedef int (*cl_tracker_ctor)(cl_tracker_backend **out,
	const cl_tracker_settings *settings);

/* The built-in backends. */
CL_EXTERN(int) cl_tracker_backend_redmine(cl_tracker_backend **out,
	const cl_tracker_settings *settings);
CL_EXTERN(int) cl_tracker_backend_github(cl_tracker_backend **out,
	const cl_tracker_settings *settings);
CL_EXTERN(int) cl_tracker_backend_gitea(cl_tracker_backend **out,
	const cl_tracker_settings *settings);

/* Marker closeloop puts in its own comments, so that the webhooks they
 * cause are recognised (CL_TEVENT_COMMENT with by_closeloop set). */
#define CL_COMMENT_MARKER "<!-- closeloop -->"

#ifdef __cplusplus
}
#endif
#endif
