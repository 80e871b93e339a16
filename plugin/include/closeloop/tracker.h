/*
 * tracker.h: issue trackers as closeloop sees them: tickets looked up by
 * reference (many at once, inside a deadline), comments, customer replies.
 * Each tracker type is a backend (closeloop/sys/tracker.h).
 */
#ifndef CLOSELOOP_TRACKER_H
#define CLOSELOOP_TRACKER_H

#include "common.h"
#include "config.h"
#include "http.h"
#include "refs.h"
#include "webhook.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a tracker says about one ticket. Strings are borrowed for the
 * duration of the callback that delivers it. */
typedef struct {
	cl_ref ref;            /* the ticket asked for */
	int exists;
	int closed;            /* in a closed status (or state) */
	const char *status;    /* status name; NULL when unknown */
	const char *subject;
	const char *owner;     /* login of the accountable owner; NULL unowned */
	const char *reply;     /* a customer reply link found; NULL none */
	int delivered;         /* a reply linked since last (re)opened; -1 not
	                          asked (see CL_FETCH_DELIVERY) */
	int64_t updated_at;    /* Unix seconds; 0 unknown */
	int snoozed;           /* labelled CL_SNOOZE_LABEL: no reminders */
	int64_t created_at;    /* Unix seconds; 0 unknown */
	int64_t owner_active_at; /* the owner's last note or change, where the
	                            tracker tells (Redmine journals, with
	                            CL_FETCH_DELIVERY); 0 unknown */
} cl_ticket;

/* The label (GitHub, Gitea, GitLab, Jira) or custom field value (Redmine)
 * that holds a ticket's reminders back. */
#define CL_SNOOZE_LABEL "closeloop:snooze"

/* Ask also whether the ticket is delivered; may cost a request each. */
#define CL_FETCH_DELIVERY 0x1u

/*
 * Called once per ticket asked for. error is 0 when the tracker answered
 * (ticket->exists says whether it exists), else CL_ETRACKER or CL_ETIMEOUT
 * with a message in cl_error_last() terms passed as message.
 */
typedef void (*cl_ticket_cb)(const cl_ticket *ticket, int error,
	const char *message, void *payload);

typedef struct cl_tracker cl_tracker;

/*
 * The tracker of section name, or of closeloop.tracker (or the only one)
 * when name is NULL. The token is read from tokenFile now.
 */
CL_EXTERN(int) cl_tracker_open(cl_tracker **out, const cl_config *cfg,
	const char *name);

CL_EXTERN(const char *) cl_tracker_name(const cl_tracker *tracker);
CL_EXTERN(const char *) cl_tracker_type(const cl_tracker *tracker);

/* Capabilities (CL_TRACKER_CAP_* in sys/tracker.h). */
CL_EXTERN(unsigned int) cl_tracker_caps(const cl_tracker *tracker);

/* The tracker's HTTP client, to drive transfers together with other work. */
CL_EXTERN(cl_http *) cl_tracker_http(cl_tracker *tracker);

/*
 * Start looking up n tickets; flags[i] (CL_FETCH_*) may be NULL. cb fires
 * for each as answers arrive, from cl_http_poll / cl_tracker_run. May be
 * called again while earlier lookups are under way.
 */
CL_EXTERN(int) cl_tracker_fetch(cl_tracker *tracker, const cl_ref *refs,
	const unsigned int *flags, size_t n, cl_ticket_cb cb, void *payload);

/* Drive lookups until done or deadline (cl_http_now_ms() based). */
CL_EXTERN(int) cl_tracker_run(cl_tracker *tracker, int64_t deadline_ms);

/* Add a comment; internal asks for a private/internal note where the
 * tracker has them. */
CL_EXTERN(int) cl_tracker_comment(cl_tracker *tracker, const cl_ref *ref,
	const char *text, int internal, int64_t deadline_ms);

/* Record a customer reply link: the reply field where the tracker has one,
 * else a "Customer-Reply: LINK" comment. by: who linked it, or NULL. */
CL_EXTERN(int) cl_tracker_set_reply(cl_tracker *tracker, const cl_ref *ref,
	const char *link, const char *by, int64_t deadline_ms);

/* Check the URL and token: *login is who the token belongs to (cl_free). */
CL_EXTERN(int) cl_tracker_whoami(cl_tracker *tracker, char **login,
	int64_t deadline_ms);

/* Reopen a closed ticket; see the backend's reopen. */
CL_EXTERN(int) cl_tracker_reopen(cl_tracker *tracker, const cl_ref *ref,
	int64_t deadline_ms);

/* Webhooks. Verification uses the section's webhookSecretFile; without
 * one every webhook is refused (CL_EAUTH): an unsigned request could make
 * closeloop act on anything. */
CL_EXTERN(int) cl_tracker_webhook_verify(cl_tracker *tracker,
	const cl_webhook *hook);
/* The delivery id for dedupe: the sender's, or "sha256:HEX" of the body
 * where the sender gives none stable. len at least CL_DELIVERY_ID_MAX. */
#define CL_DELIVERY_ID_MAX 160
CL_EXTERN(int) cl_tracker_webhook_id(cl_tracker *tracker,
	const cl_webhook *hook, char *buf, size_t len);
CL_EXTERN(int) cl_tracker_webhook_parse(cl_tracker *tracker,
	const cl_webhook *hook, cl_tevent *ev);

/* Sync: tickets changed since; see the backend's changes. */
CL_EXTERN(int) cl_tracker_changes(cl_tracker *tracker, int64_t since,
	cl_ticket_cb cb, void *payload, int64_t *newest, int64_t deadline_ms);

/* "support:42", "gh:acme/web#7", "jira:PROJ-12" */
CL_EXTERN(int) cl_tracker_ticket_id(char *buf, size_t len,
	const cl_tracker *tracker, const cl_ref *ref);

CL_EXTERN(void) cl_tracker_free(cl_tracker *tracker);

#ifdef __cplusplus
}
#endif
#endif
