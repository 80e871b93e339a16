/*
 * post-receive.c: closeloop-post-receive records what a push delivered:
 * a work-done event for each closing reference that landed on a protected
 * branch (commit, author, time, ticket), and each Customer-Reply trailer
 * as a linked reply, written to the tracker too. It never fails the push
 * (git ignores its exit status for the refs anyway); problems are warned.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hook.h"

/* Each tracker write gets this long. */
#define REPLY_TIMEOUT_MS 5000

typedef struct {
	cl_config *cfg;
	cl_tracker *tracker;
	cl_store *store;
	git_repository *repo;
	const char *tracker_name;
	const char *pusher;
	size_t work_done, replies;
} post_receive;

static void ticket_id(char *buf, size_t len, const post_receive *p,
	const cl_ref *ref)
{
	if (p->tracker && cl_tracker_ticket_id(buf, len, p->tracker, ref) == 0)
		return;
	if (ref->project)
		snprintf(buf, len, "%s:%s#%llu", p->tracker_name, ref->project,
			(unsigned long long)ref->number);
	else
		snprintf(buf, len, "%s:%llu", p->tracker_name,
			(unsigned long long)ref->number);
}

static void append(post_receive *p, const char *type, const char *ticket,
	const char *actor, const char *commit, int64_t time, json_object *detail)
{
	cl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ticket = ticket;
	ev.actor = actor;
	ev.commit = commit;
	ev.time = time;
	ev.detail = detail ? json_object_to_json_string_ext(detail,
		JSON_C_TO_STRING_PLAIN) : NULL;
	if (p->store && cl_store_append(p->store, &ev) < 0)
		hook_say("warning: the ledger could not be written: %s",
			cl_error_last()->message);
	json_object_put(detail);
}

static void record_reply(post_receive *p, const cl_reply_ref *rr,
	const char *commit, const char *author, int64_t time)
{
	char id[600];
	json_object *d = json_object_new_object();

	ticket_id(id, sizeof(id), p, &rr->ref);
	json_object_object_add(d, "link", json_object_new_string(rr->link));
	json_object_object_add(d, "source", json_object_new_string("commit"));
	append(p, CL_EVENT_REPLY, id, author, commit, time, d);
	p->replies++;
	if (p->tracker && cl_tracker_set_reply(p->tracker, &rr->ref, rr->link,
			  author, cl_http_now_ms() + REPLY_TIMEOUT_MS) < 0)
		hook_say("warning: the reply for %s is in the ledger but not yet in the tracker: %s",
			id, cl_error_last()->message);
}

static void commit_landed(post_receive *p, const hook_commit *c,
	const char *ref)
{
	cl_refs_opts opts = CL_REFS_OPTS_INIT;
	cl_refs *refs = NULL;
	char id[600];
	size_t i;

	if (cl_refs_parse(&refs, c->message, c->message_len, &opts) < 0)
		return;
	for (i = 0; i < cl_refs_count(refs); i++) {
		const cl_ref *r = cl_refs_get(refs, i);
		json_object *d;

		if (r->kind != CL_REF_CLOSE)
			continue;
		ticket_id(id, sizeof(id), p, r);
		d = json_object_new_object();
		json_object_object_add(d, "ref", json_object_new_string(ref));
		json_object_object_add(d, "pusher", json_object_new_string(p->pusher));
		json_object_object_add(d, "subject", json_object_new_string_len(
			c->subject, (int)(c->subject_len > 200 ? 200 : c->subject_len)));
		/* work is done when it lands, not when it was committed (a
		 * week-old commit landing today starts reply-due today) */
		json_object_object_add(d, "committed", json_object_new_int64(c->time));
		append(p, CL_EVENT_WORK_DONE, id, c->author, c->hex, 0, d);
		p->work_done++;
	}
	for (i = 0; i < cl_refs_reply_count(refs); i++)
		if (cl_refs_reply(refs, i)->has_ref)
			record_reply(p, cl_refs_reply(refs, i), c->hex, c->author,
				0);
	cl_refs_free(refs);
}

static int walk_update(post_receive *p, const hook_update *u)
{
	char new_hex[GIT_OID_HEXSZ + 1], old_hex[GIT_OID_HEXSZ + 1];
	char exclude[HOOK_MAX_LINE + 16];
	/* oldest first, so that the ledger reads in commit order */
	char *args[] = { "--reverse", "--topo-order", new_hex, "--not",
		old_hex, NULL, NULL };
	hook_rev_list rl;
	hook_commit c;
	int r, error;

	git_oid_tostr(new_hex, sizeof(new_hex), &u->new_id);
	git_oid_tostr(old_hex, sizeof(old_hex), &u->old_id);
	if (git_oid_is_zero(&u->old_id)) {
		/* a new branch: its new commits are those no other ref reaches */
		snprintf(exclude, sizeof(exclude), "--exclude=%s", u->ref);
		args[4] = exclude;
		args[5] = "--all";
	}
	if ((error = hook_rev_list_start(&rl, args)) < 0)
		return error;
	while ((r = hook_rev_list_next(&rl, &c)) == 1)
		commit_landed(p, &c, u->ref);
	error = hook_rev_list_finish(&rl);
	return r < 0 ? r : error;
}

int main(int argc, char **argv)
{
	post_receive p;
	hook_input in;
	const char *location = NULL, *mode = "enforce";
	size_t i;

	memset(&p, 0, sizeof(p));
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
			 strcmp(argv[1], "-h") == 0)) {
		fputs("closeloop-post-receive: git runs this post-receive hook with OLD NEW REF\n"
			"lines on stdin. It records a work.done event for each closing reference\n"
			"that landed on a protected ref, and each Customer-Reply trailer as a\n"
			"reply (also written to the tracker). Always exits 0.\n"
			"Install: closeloop install-hook REPO. See closeloop-hooks(8).\n", stdout);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: closeloop-post-receive < OLD NEW REF lines\n"
			"git runs this hook; see closeloop-hooks(8).\n");
		return 2;
	}
	/* a bad CLOSELOOP_NOW is the server admin's: say so, keep time */
	if (cl_clock_set_from_env() < 0)
		fprintf(stderr, "closeloop-post-receive: %s\n", cl_error_last()->message);
	git_libgit2_init();
	if (hook_read_input(&in, stdin) != 0)
		goto out;
	if (git_repository_open_ext(&p.repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV,
		    NULL) < 0) {
		hook_say("warning: cannot open the repository; nothing recorded");
		goto out;
	}
	if (cl_config_load(&p.cfg, NULL, git_repository_path(p.repo)) < 0) {
		hook_say("warning: closeloop is misconfigured; nothing recorded (run closeloop doctor)");
		goto out;
	}
	cl_config_get_string(&mode, p.cfg, "closeloop.mode");
	if (strcmp(mode, "off") == 0)
		goto out;
	p.pusher = hook_pusher();
	p.tracker_name = "tracker";
	if (cl_config_tracker_count(p.cfg) > 0 &&
	    cl_tracker_open(&p.tracker, p.cfg, NULL) == 0)
		p.tracker_name = cl_tracker_name(p.tracker);
	cl_config_get_string(&location, p.cfg, "closeloop.store");
	if (cl_store_open(&p.store, location) < 0)
		hook_say("warning: the ledger could not be opened: %s",
			cl_error_last()->message);
	for (i = 0; i < in.count; i++) {
		const hook_update *u = &in.updates[i];

		if (git_oid_is_zero(&u->new_id) || !hook_ref_protected(p.cfg, u->ref))
			continue;
		if (walk_update(&p, u) < 0)
			hook_say("warning: cannot walk %s: %s", u->ref,
				git_error_last() ? git_error_last()->message : "?");
	}
	if (p.work_done || p.replies)
		hook_say("recorded %zu work-done event%s and %zu customer repl%s",
			p.work_done, p.work_done == 1 ? "" : "s", p.replies,
			p.replies == 1 ? "y" : "ies");
out:
	hook_input_free(&in);
	cl_store_free(p.store);
	cl_tracker_free(p.tracker);
	git_repository_free(p.repo);
	cl_config_free(p.cfg);
	git_libgit2_shutdown();
	return 0;
}
