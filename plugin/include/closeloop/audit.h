/*
 * audit.h: reports over the ledger for admins: what was closed without a
 * reply, who overrode the rules and why, which pushes went unverified.
 */
#ifndef CLOSELOOP_AUDIT_H
#define CLOSELOOP_AUDIT_H

#include "common.h"
#include "ledger.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	CL_AUDIT_TEXT = 0,
	CL_AUDIT_JSON
} cl_audit_format;

typedef struct cl_audit cl_audit;

/* "text" / "json" -> format; CL_EINVALID naming the formats otherwise. */
CL_EXTERN(int) cl_audit_format_from_name(cl_audit_format *out,
	const char *name);

/* Read the ledger between since (inclusive) and until (exclusive, 0 none). */
CL_EXTERN(int) cl_audit_run(cl_audit **out, cl_store *store, int64_t since,
	int64_t until);

/* How many violations the report holds (closed without reply, overrides,
 * unverified pushes): what --fail-on violations tests. */
CL_EXTERN(size_t) cl_audit_violations(const cl_audit *audit);

/* Render the report; *out is freed with cl_free(). */
CL_EXTERN(int) cl_audit_render(char **out, const cl_audit *audit,
	cl_audit_format format);

CL_EXTERN(void) cl_audit_free(cl_audit *audit);

/* Free memory the library handed over (rendered reports). */
CL_EXTERN(void) cl_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif
