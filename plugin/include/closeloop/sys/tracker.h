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
