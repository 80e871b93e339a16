/*
 * sys/store.h: for those who write store backends. A backend is a
 * versioned struct of function pointers; the core calls only through it.
 * Not included by closeloop/closeloop.h.
 */
#ifndef CLOSELOOP_SYS_STORE_H
#define CLOSELOOP_SYS_STORE_H

#include "../common.h"
#include "../ledger.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CL_STORE_BACKEND_VERSION 1

typedef struct cl_store_backend cl_store_backend;

struct cl_store_backend {
	unsigned int version; /* CL_STORE_BACKEND_VERSION */
	const char *name;     /* "sqlite", "postgresql" */

	/* Create or upgrade the schema; *out is the version reached. */
	int (*migrate)(cl_store_backend *backend, int *out);

	/* Durably append one event; set event->id (and event->time when 0,
	 * from the now argument). */
	int (*append_event)(cl_store_backend *backend, cl_event *event,
		int64_t now);

	/* Call cb for each matching event in id order. */
	int (*foreach_event)(cl_store_backend *backend,
		const cl_event_filter *filter, cl_event_cb cb, void *payload);

	/* Current schema version. */
	int (*schema_version)(cl_store_backend *backend, int *out);

	/* Release everything; the backend itself included. */
	void (*free)(cl_store_backend *backend);
};

#define CL_STORE_BACKEND_INIT { CL_STORE_BACKEND_VERSION, NULL, NULL, NULL, \
	NULL, NULL, NULL }

/* Set a backend struct to its initial value; CL_EVERSION on a mismatch. */
CL_EXTERN(int) cl_store_backend_init(cl_store_backend *backend,
	unsigned int version);

/*
 * Wrap a backend in a store handle, migrating its schema. The store takes
 * ownership of the backend, also on failure.
 */
CL_EXTERN(int) cl_store_new(cl_store **out, cl_store_backend *backend);

/* The built-in SQLite backend, at path (created when missing). */
CL_EXTERN(int) cl_store_backend_sqlite(cl_store_backend **out,
	const char *path);

#ifdef __cplusplus
}
#endif
#endif
