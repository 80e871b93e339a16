/*
 * ledger.h: closeloop's own append-only record of what it saw, decided and
 * did, kept in a store (SQLite by default, PostgreSQL when shared). The
 * store behind the handle is a backend (closeloop/sys/store.h).
 */
#ifndef CLOSELOOP_LEDGER_H
#define CLOSELOOP_LEDGER_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cl_store cl_store;

/* Event types written by closeloop. */
#define CL_EVENT_PUSH_ACCEPTED "push.accepted"
#define CL_EVENT_PUSH_REJECTED "push.rejected"
#define CL_EVENT_PUSH_WARNED "push.warned"        /* warn mode: would reject */
#define CL_EVENT_PUSH_UNVERIFIED "push.unverified" /* tracker down, allowed */
#define CL_EVENT_PUSH_RECHECKED "push.rechecked"   /* an unverified push, later */
#define CL_EVENT_OVERRIDE "override"
#define CL_EVENT_WORK_DONE "work.done"
#define CL_EVENT_REPLY "reply.linked"
#define CL_EVENT_CLOSED_NO_REPLY "ticket.closed-without-reply"
#define CL_EVENT_REOPENED "ticket.reopened"   /* by closeloop */
#define CL_EVENT_OPENED "ticket.opened"       /* opened or reopened in the tracker */
#define CL_EVENT_CLOSED "ticket.closed"       /* closed in the tracker */
#define CL_EVENT_HANDOFF "handoff"
#define CL_EVENT_HANDOFF_ACK "handoff.acknowledged"
#define CL_EVENT_REMINDER "reminder.sent"

/* Longest detail text accepted for one event (JSON). */
#define CL_EVENT_MAX_DETAIL (64 * 1024)
/* Longest of every other text field. */
#define CL_EVENT_MAX_FIELD 1024

/*
 * One ledger event. Strings are borrowed: from the caller when appending,
 * from the store for the duration of a callback when reading.
 */
typedef struct {
	int64_t id;          /* set by the store, increasing */
	int64_t time;        /* Unix seconds; 0 on append means now */
	const char *type;    /* "push.rejected", "override", "work.done"... */
	const char *ticket;  /* "support:42", "gh:acme/web#7"; NULL if none */
	const char *actor;   /* who did it; NULL if unknown */
	const char *commit;  /* commit id; NULL if none */
	const char *detail;  /* JSON object text; NULL for none */
} cl_event;

typedef struct {
	int64_t since;      /* inclusive, 0 = from the start */
	int64_t until;      /* exclusive, 0 = no end */
	const char *type;   /* exact type, or a prefix ending in '.' ("push.") */
	const char *ticket; /* exact ticket, NULL any */
} cl_event_filter;

#define CL_EVENT_FILTER_INIT { 0, 0, NULL, NULL }

/* Return non-zero from the callback to stop; that value is returned. */
typedef int (*cl_event_cb)(const cl_event *event, void *payload);

/*
 * Open a store by location: a path (or "sqlite:PATH") for SQLite,
 * "postgresql://..." for PostgreSQL. The schema is created or migrated.
 */
CL_EXTERN(int) cl_store_open(cl_store **out, const char *location);

/* Append one event; event->id (and time when 0) are filled in. */
CL_EXTERN(int) cl_store_append(cl_store *store, cl_event *event);

/* Events in id order; filter may be NULL. */
CL_EXTERN(int) cl_store_foreach(cl_store *store, const cl_event_filter *filter,
	cl_event_cb cb, void *payload);

/* The schema version the store is at. */
CL_EXTERN(int) cl_store_schema_version(cl_store *store, int *out);

/* The backend's name, "sqlite". */
CL_EXTERN(const char *) cl_store_backend_name(const cl_store *store);

CL_EXTERN(void) cl_store_free(cl_store *store);

/*
 * For the calling thread only, on every store: on 1, what it writes from
 * now on is committed without waiting for the disk, and made durable by
 * the next commit that waits (from any thread of a shared handle) or the
 * next checkpoint; a crash of the machine (not of the process) may lose
 * the last of those writes, in order: never one without those before
 * it. For work that is redone when its record is lost, like the
 * receiver's processing of stored deliveries. 0 (the default) makes every
 * commit durable before the call returns. A backend without the choice
 * (no set_sync) always waits.
 */
CL_EXTERN(void) cl_store_defer_sync(int on);

/* The schema version this library writes. */
#define CL_STORE_SCHEMA_VERSION 3

#ifdef __cplusplus
}
#endif
#endif
