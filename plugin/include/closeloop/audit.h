/*
 * audit.h: reports over the ledger for admins: what was closed without a
 * reply, who overrode the rules and why, which pushes went unverified,
 * which open tickets have no owner, which handoffs wait for their
 * acknowledgement, the reminders sent, and how long customers waited
 * between the work being done and their reply (median, 90th percentile,
 * per owner and per tracker project).
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
	CL_AUDIT_JSON,
	CL_AUDIT_CSV,  /* one table, a "section" column first (RFC 4180) */
	CL_AUDIT_HTML  /* one self-contained page with charts */
} cl_audit_format;

typedef struct cl_audit cl_audit;

/* "text", "json", "csv", "html" -> format; CL_EINVALID naming the
 * formats otherwise. */
CL_EXTERN(int) cl_audit_format_from_name(cl_audit_format *out,
	const char *name);

/*
 * Read the ledger: what happened between since (inclusive) and until
 * (exclusive, 0 none), and the state of tickets (owners, handoffs,
 * replies) after every event before until.
 */
CL_EXTERN(int) cl_audit_run(cl_audit **out, cl_store *store, int64_t since,
	int64_t until);

/* How many violations the report holds (closed without reply, overrides,
 * unverified pushes; not unowned tickets or unacknowledged handoffs,
 * which are listed): what --fail-on violations tests. */
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
