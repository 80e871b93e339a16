/*
 * hook.h: what closeloop's git hooks share: reading git's hook input,
 * choosing which refs to check, finding the pusher and push options, and
 * walking the commits a push brings.
 */
#ifndef CLOSELOOP_HOOK_H
#define CLOSELOOP_HOOK_H

#include <stdio.h>
#include <sys/types.h>
#include <git2.h>
#include <closeloop/closeloop.h>
#include <closeloop/tracker.h>

/* Longest input line git can send: two ids and a ref name. */
#define HOOK_MAX_LINE 4096
/* Most ref updates in one push that closeloop reads. */
#define HOOK_MAX_UPDATES 10000

typedef struct {
	git_oid old_id, new_id;
	char *ref;
} hook_update;

typedef struct {
	hook_update *updates;
	size_t count, cap;
} hook_input;

/* Read "OLD NEW REF" lines; 0, or an exit code after printing why. */
int hook_read_input(hook_input *in, FILE *f);
void hook_input_free(hook_input *in);

/* Does ref match one of the protectedBranches patterns? */
int hook_ref_protected(const cl_config *cfg, const char *ref);

/* The pusher: GL_USERNAME, GITEA_PUSHER_NAME, GITHUB_USER_LOGIN,
 * REMOTE_USER, USER; "unknown" when none is set. */
const char *hook_pusher(void);

/* The value of push option "name=VALUE", or NULL. */
const char *hook_push_option(const char *name);

/* Is user listed in closeloop.overrideUsers? */
int hook_override_allowed(const cl_config *cfg, const char *user);

/* Print to stderr with the "closeloop: " prefix git shows as remote: */
void hook_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The commits to check are listed and read by git itself: `git rev-list
 * ARGS` in the hook's environment (GIT_DIR, the quarantine), printing each
 * commit's id, author and message. git stops as soon as new commits meet
 * history a ref reaches (commit-graph, date heuristics), where libgit2
 * 1.5's revwalk first marks every hidden ancestor, reading the whole
 * history on each push; and git inflates each commit once, where reading
 * the ids back through libgit2 inflated it a second time.
 */
typedef struct {
	FILE *out;
	pid_t pid;
	char *buf;            /* the current record, reused */
	size_t cap;
} hook_rev_list;

/* One commit; the pointers are valid until the next hook_rev_list_next. */
typedef struct {
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int64_t time;         /* author time */
	const char *author;   /* "Name <email>" */
	const char *message;  /* the whole message, UTF-8 */
	size_t message_len;
	const char *subject;  /* its first line */
	size_t subject_len;
} hook_commit;

/* Start git rev-list with args (NULL-terminated, after "rev-list"). */
int hook_rev_list_start(hook_rev_list *rl, char *const *args);
/* The next commit: 1, 0 at the end, -1 on a bad record (git error set). */
int hook_rev_list_next(hook_rev_list *rl, hook_commit *c);
/* Wait for git; -1 (git error set) when it failed. */
int hook_rev_list_finish(hook_rev_list *rl);

/* Parse one record as hook_rev_list_start asks git to print it. */
int hook_commit_parse(hook_commit *c, char *rec, size_t len);
#endif
