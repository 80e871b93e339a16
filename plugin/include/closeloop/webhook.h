/*
 * webhook.h: what trackers send and closeloop acts on. A webhook request
 * (headers and the raw body, exactly as received: signatures are over the
 * raw bytes) is verified and parsed by the tracker's backend into a
 * tracker event; the sync of trackers without webhooks produces the same
 * events, so the engine sees one kind of input.
 */
#ifndef CLOSELOOP_WEBHOOK_H
#define CLOSELOOP_WEBHOOK_H

#include "common.h"
#include "refs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest webhook body accepted by default (GitHub's own limit). */
#define CL_WEBHOOK_MAX_BODY (25 * 1024 * 1024)

typedef struct {
	const char *name;   /* as received; compare case-insensitively */
	const char *value;
} cl_header;

/* A webhook request as received. Everything is borrowed. */
typedef struct {
	const cl_header *headers;
	size_t n_headers;
	const char *body;   /* the raw bytes; not NUL-terminated */
	size_t body_len;
} cl_webhook;

/* The value of header name (case-insensitive), or NULL. */
CL_EXTERN(const char *) cl_webhook_header(const cl_webhook *hook,
	const char *name);

typedef enum {
	CL_TEVENT_IGNORED = 0, /* nothing closeloop acts on (reason says why) */
	CL_TEVENT_OPENED,      /* a new ticket */
	CL_TEVENT_CLOSED,      /* closed (state, or a closed status) */
	CL_TEVENT_REOPENED,
	CL_TEVENT_ASSIGNED,    /* the owner changed (owner says to whom) */
	CL_TEVENT_COMMENT,     /* a comment was added (comment holds it) */
	CL_TEVENT_RESOLVED,    /* moved to a resolvedStatuses status/label */
	CL_TEVENT_ACTIVITY     /* any other change by actor (edit, label...) */
} cl_tevent_kind;

#define CL_TEVENT_MAX_NAME 256

/*
 * One thing that happened to a ticket. Fixed-size names keep it free of
 * allocations but the comment, which cl_tevent_clear frees.
 */
typedef struct {
	cl_tevent_kind kind;
	cl_ref ref;                        /* ref.project points into project */
	char project[CL_TEVENT_MAX_NAME];  /* "acme/web"; "" for Redmine */
	char actor[CL_TEVENT_MAX_NAME];    /* login of who did it */
	char owner[CL_TEVENT_MAX_NAME];    /* owner after the event; "" none */
	int closed;                        /* the ticket is closed after it */
	char *comment;                     /* COMMENT: the text (owned) */
	const char *reason;                /* IGNORED: why, a static string */
	int by_closeloop;                  /* closeloop's own comment/action */
	int64_t time;                      /* Unix seconds; 0 unknown */
} cl_tevent;

CL_EXTERN(void) cl_tevent_init(cl_tevent *ev);
CL_EXTERN(void) cl_tevent_clear(cl_tevent *ev);

/*
 * ev as a small JSON object (a new string in *out; free with free()), and
 * back. The receiver stores this, not the sender's payload, for a webhook
 * it accepted. Reading initialises ev (cl_tevent_clear it after), refuses
 * text of another version or with a missing or mistyped field (CL_EINVALID,
 * naming it), and leaves ev cleared on an error. An IGNORED event reads
 * back with a generic reason: the reason is not kept.
 */
CL_EXTERN(int) cl_tevent_to_json(const cl_tevent *ev, char **out);
CL_EXTERN(int) cl_tevent_from_json(cl_tevent *ev, const char *json,
	size_t len);

#ifdef __cplusplus
}
#endif
#endif
