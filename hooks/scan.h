/*
 * scan.h: the commits a push brings, reduced to what the rules need: each
 * referenced ticket once (closing or not, reply trailers, the first commit
 * naming it), and commits that reference nothing. Memory grows with the
 * number of tickets, not of commits.
 */
#ifndef CLOSELOOP_SCAN_H
#define CLOSELOOP_SCAN_H

#include "hook.h"

/* Commits without a reference that are kept for the report. */
#define SCAN_MAX_UNREFERENCED 20

typedef struct {
	char *key;            /* "#42", "acme/web#7", "PROJ#12": the table key */
	cl_ref ref;           /* ref.project points into project */
	char *project;
	int closing;
	int reply_in_push;    /* a Customer-Reply trailer names it */
	char *reply_link;
	git_oid commit;       /* first commit that closes it, else names it */
	char *subject;
	size_t commits;       /* how many commits name it */
	unsigned int asked;   /* CL_FETCH_* flags already asked for */
	int submitted;
	/* the tracker's answer */
	int answered;
	int error;
	char *error_message;
	int exists, closed, delivered;
	char *owner, *status, *reply;
} scan_ticket;

typedef struct {
	git_oid id;
	char *subject;
} scan_commit;

typedef struct {
	cl_tracker *tracker;  /* borrowed; NULL scans without lookups */
	int jira_keys;
	scan_ticket *tickets;
	size_t count, cap;
	size_t *slots;        /* hash table of index + 1 */
	size_t nslots;
	size_t next_submit;   /* first ticket not yet asked for */
	size_t commits;       /* commits walked */
	size_t unreferenced;  /* commits naming no ticket */
	scan_commit first_unreferenced[SCAN_MAX_UNREFERENCED];
	size_t lookups_failed;
} scan;

void scan_init(scan *s, cl_tracker *tracker);
void scan_free(scan *s);

/* Walk every commit reachable from the new tips and from no existing ref,
 * submitting lookups as tickets turn up. 0 or a libgit2/closeloop error. */
int scan_walk(scan *s, const hook_input *in, const cl_config *cfg);

/* Finish the lookups (and the delivery checks closing references need)
 * before deadline_ms. */
int scan_finish(scan *s, int64_t deadline_ms);

/* Fold one commit message in (exposed for tests and the post-receive). */
int scan_message(scan *s, const git_oid *id, const char *msg, size_t len,
	const char *subject, size_t subject_len);

#endif
