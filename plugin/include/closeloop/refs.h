/*
 * refs.h: ticket references in commit messages (DESIGN.md "Commit
 * messages"): "#123", "owner/repo#123", "PROJ-123" for Jira-type trackers,
 * closing keywords with lists, and trailers including Customer-Reply.
 */
#ifndef CLOSELOOP_REFS_H
#define CLOSELOOP_REFS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest commit message the parser reads; the rest is ignored. */
#define CL_REFS_MAX_MESSAGE (1024 * 1024)

typedef enum {
	CL_REF_MENTION = 0, /* "#12", "Refs #12", "Refs: #12" */
	CL_REF_CLOSE = 1    /* "Fixes #12", "Closes: #12" */
} cl_ref_kind;

typedef struct {
	cl_ref_kind kind;
	/* "owner/repo" for "owner/repo#7", "PROJ" for "PROJ-7", NULL for "#7" */
	const char *project;
	uint64_t number;
	/* byte offset of the reference in the message, for reporting */
	size_t offset;
} cl_ref;

typedef struct {
	/* the ticket named in the trailer; has_ref 0 when it was left out */
	int has_ref;
	cl_ref ref;
	const char *link; /* URL or <message-id>, never NULL */
} cl_reply_ref;

typedef struct {
	/* Jira-style keys (PROJ-123) are references: only for jira trackers. */
	int jira_keys;
	/* When set, only these Jira project keys count (NULL-terminated). */
	const char *const *jira_projects;
} cl_refs_opts;

#define CL_REFS_OPTS_INIT { 0, NULL }

typedef struct cl_refs cl_refs;

/*
 * Parse a commit message. Each ticket appears once in the result, in order
 * of first appearance; a ticket both mentioned and closed is closing.
 * A Customer-Reply trailer that names no ticket is given the ticket the
 * commit closes when it closes exactly one; cl_refs_reply() shows has_ref 0
 * otherwise. opts may be NULL. The result is freed with cl_refs_free().
 */
CL_EXTERN(int) cl_refs_parse(cl_refs **out, const char *message, size_t len,
	const cl_refs_opts *opts);
CL_EXTERN(size_t) cl_refs_count(const cl_refs *refs);
CL_EXTERN(const cl_ref *) cl_refs_get(const cl_refs *refs, size_t i);
CL_EXTERN(size_t) cl_refs_reply_count(const cl_refs *refs);
CL_EXTERN(const cl_reply_ref *) cl_refs_reply(const cl_refs *refs, size_t i);
CL_EXTERN(void) cl_refs_free(cl_refs *refs);

#ifdef __cplusplus
}
#endif
#endif
