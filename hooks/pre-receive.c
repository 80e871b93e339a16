/*
 * pre-receive.c: closeloop-pre-receive, the git hook that refuses pushes
 * whose commits close tickets nobody owns or nobody has answered the
 * customer on, and says exactly how to fix each problem.
 *
 * Everything happens inside hookTimeout (GitHub Enterprise gives all hooks
 * 5 s together): lookups start while the commit walk goes on and all run at
 * once; what the tracker could not answer in time is handled by
 * onTrackerError.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hook.h"
#include "scan.h"

/* Leave this much of hookTimeout for the report and the ledger. */
#define REPORT_RESERVE_MS 300

typedef struct {
	cl_config *cfg;
	cl_policy policy;
	cl_tracker *tracker;
	git_repository *repo;
	hook_input input;
	scan scan;
	int64_t deadline_ms;
	const char *pusher;
	const char *override;
	size_t problems;       /* verdicts that reject (or would, in warn) */
	int tracker_down;
	char tracker_error[512];
} pre_receive;

/* Reporting */

static void short_id(char *buf, const git_oid *id)
{
	git_oid_tostr(buf, 11, id);
}

static void ticket_name(char *buf, size_t len, const pre_receive *p,
	const scan_ticket *t)
{
	if (p->tracker == NULL ||
	    cl_tracker_ticket_id(buf, len, p->tracker, &t->ref) < 0)
		snprintf(buf, len, "%s", t->key);
}

static void print_commit_line(const git_oid *id, const char *subject,
	size_t others)
{
	char sid[16];

	short_id(sid, id);
	if (others)
		hook_say("  %s \"%.72s\" (and %zu more commit%s)", sid,
			subject ? subject : "", others, others == 1 ? "" : "s");
	else
		hook_say("  %s \"%.72s\"", sid, subject ? subject : "");
}

static void print_problem(const pre_receive *p, const scan_ticket *t,
	cl_problem problem)
{
	const char *tracker_name = p->tracker ? cl_tracker_name(p->tracker) : "";
	char name[600];
	unsigned long long n = (unsigned long long)t->ref.number;

	ticket_name(name, sizeof(name), p, t);
	print_commit_line(&t->commit, t->subject, t->commits - 1);
	switch (problem) {
	case CL_PROBLEM_NO_TICKET:
		hook_say("    %s does not exist in tracker %s", name, tracker_name);
		hook_say("    fix: correct the reference (git commit --amend, or git rebase -i for older commits)");
		break;
	case CL_PROBLEM_NO_OWNER:
		hook_say("    %s is closed by this push but has no owner", name);
		hook_say("    fix: assign %s to the person who will answer the customer, then push again", name);
		break;
	case CL_PROBLEM_NO_REPLY:
		hook_say("    %s is closed by this push but no customer reply is linked", name);
		hook_say("    fix: link the reply, then push again:");
		hook_say("           closeloop reply %s LINK", name);
		hook_say("         or add a trailer to the commit message (git commit --amend):");
		if (t->ref.project)
			hook_say("           Customer-Reply: %s#%llu LINK", t->ref.project, n);
		else
			hook_say("           Customer-Reply: #%llu LINK", n);
		break;
	default:
		break;
	}
}

static void print_unreferenced(const pre_receive *p)
{
	const scan *s = &p->scan;
	size_t i;

	for (i = 0; i < s->unreferenced && i < SCAN_MAX_UNREFERENCED; i++) {
		print_commit_line(&s->first_unreferenced[i].id,
			s->first_unreferenced[i].subject, 0);
		hook_say("    references no ticket");
		hook_say("    fix: name the ticket in the message, as 'Refs #123' (git commit --amend)");
	}
	if (s->unreferenced > SCAN_MAX_UNREFERENCED)
		hook_say("  ... and %zu more commits without a reference",
			s->unreferenced - SCAN_MAX_UNREFERENCED);
}

/* Ledger */

static json_object *push_detail(const pre_receive *p, const char *outcome)
{
	json_object *o = json_object_new_object();
	json_object *refs = json_object_new_array();
	json_object *tickets = json_object_new_array();
	json_object *closing = json_object_new_array();
	size_t i;

	for (i = 0; i < p->input.count; i++) {
		const hook_update *u = &p->input.updates[i];
		char hex[GIT_OID_HEXSZ + 1];
		json_object *r = json_object_new_object();

		json_object_object_add(r, "ref", json_object_new_string(u->ref));
		git_oid_tostr(hex, sizeof(hex), &u->old_id);
		json_object_object_add(r, "old", json_object_new_string(hex));
		git_oid_tostr(hex, sizeof(hex), &u->new_id);
		json_object_object_add(r, "new", json_object_new_string(hex));
		json_object_array_add(refs, r);
	}
	for (i = 0; i < p->scan.count; i++) {
		char name[600];

		ticket_name(name, sizeof(name), p, &p->scan.tickets[i]);
		json_object_array_add(tickets, json_object_new_string(name));
		/* what a later re-check of an unverified push needs: the
		 * closing references the push did not deliver itself */
		if (p->scan.tickets[i].closing && !p->scan.tickets[i].reply_in_push)
			json_object_array_add(closing, json_object_new_string(name));
	}
	json_object_object_add(o, "outcome", json_object_new_string(outcome));
	json_object_object_add(o, "refs", refs);
	json_object_object_add(o, "commits",
		json_object_new_int64((int64_t)p->scan.commits));
	json_object_object_add(o, "tickets", tickets);
	json_object_object_add(o, "closing", closing);
	json_object_object_add(o, "problems",
		json_object_new_int64((int64_t)p->problems));
	if (p->override)
		json_object_object_add(o, "reason",
			json_object_new_string(p->override));
	if (p->tracker_down)
		json_object_object_add(o, "tracker_error",
			json_object_new_string(p->tracker_error));
	return o;
}

/* Record the push; a ledger that cannot be written is reported but does
 * not change the push's fate. */
static void record(const pre_receive *p, const char *type)
{
	const char *location = NULL;
	cl_store *store = NULL;
	json_object *detail;
	cl_event ev;

	memset(&ev, 0, sizeof(ev));
	cl_config_get_string(&location, p->cfg, "closeloop.store");
	if (cl_store_open(&store, location) < 0) {
		hook_say("warning: the ledger could not be written: %s",
			cl_error_last()->message);
		return;
	}
	detail = push_detail(p, type);
	ev.type = type;
	ev.actor = p->pusher;
	ev.detail = json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN);
	if (cl_store_append(store, &ev) < 0)
		hook_say("warning: the ledger could not be written: %s",
			cl_error_last()->message);
	json_object_put(detail);
	cl_store_free(store);
}

/* Rules */

static void state_of(cl_ticket_state *st, const scan_ticket *t)
{
	memset(st, 0, sizeof(*st));
	st->exists = t->exists;
	st->closed = t->closed;
	st->owner = t->owner;
	st->delivered = t->delivered > 0;
}

/* Check every ticket; print problems of kind (WARN or REJECT) when print
 * is set. Returns how many there are of that kind. */
static size_t evaluate(pre_receive *p, cl_verdict_kind kind, int print)
{
	size_t i, j, problems = 0;

	for (i = 0; i < p->scan.count; i++) {
		scan_ticket *t = &p->scan.tickets[i];
		cl_verdict v[CL_RULE__COUNT];
		cl_ticket_state st;
		cl_push_ref ref;
		size_t n;

		if (!t->answered || t->error)
			continue;
		state_of(&st, t);
		ref.ticket = &st;
		ref.closing = t->closing;
		ref.reply_in_push = t->reply_in_push;
		n = cl_policy_check_ref(v, &p->policy, &ref);
		for (j = 0; j < n; j++) {
			if (v[j].kind != kind)
				continue;
			if (print)
				print_problem(p, t, v[j].problem);
			problems++;
		}
	}
	if (p->scan.unreferenced) {
		cl_verdict v;

		if (cl_policy_check_association(&v, &p->policy, 0) &&
		    v.kind == kind) {
			if (print)
				print_unreferenced(p);
			problems += p->scan.unreferenced;
		}
	}
	return problems;
}

static void note_tracker_errors(pre_receive *p)
{
	size_t i;

	if (p->tracker == NULL)
		return;
	for (i = 0; i < p->scan.count; i++) {
		const scan_ticket *t = &p->scan.tickets[i];

		if (!t->answered || t->error) {
			p->tracker_down = 1;
			snprintf(p->tracker_error, sizeof(p->tracker_error), "%s",
				t->error_message ? t->error_message :
				"no answer within closeloop.hookTimeout");
			return;
		}
	}
}

static void comment_override(pre_receive *p)
{
	size_t i;
	char text[1024];

	for (i = 0; i < p->scan.count; i++) {
		const scan_ticket *t = &p->scan.tickets[i];
		char sid[16];

		if (!t->answered || t->error || !t->exists)
			continue;
		short_id(sid, &t->commit);
		snprintf(text, sizeof(text),
			"closeloop: %s overrode the rules when pushing %s (\"%.100s\"): %s",
			p->pusher, sid, t->subject ? t->subject : "", p->override);
		if (cl_tracker_comment(p->tracker, &t->ref, text, 1,
			    p->deadline_ms + REPORT_RESERVE_MS) < 0)
			hook_say("warning: could not note the override on the ticket: %s",
				cl_error_last()->message);
	}
}

/* Outcome */

static int reject_unreachable(pre_receive *p)
{
	hook_say("push rejected: tracker %s could not be reached: %s",
		cl_tracker_name(p->tracker), p->tracker_error);
	hook_say("try again later, or ask an admin (closeloop.onTrackerError = reject)");
	record(p, CL_EVENT_PUSH_REJECTED);
	return 1;
}

static int accept_clean(pre_receive *p)
{
	if (p->tracker_down) {
		hook_say("warning: tracker %s could not be reached (%s); push accepted unverified",
			cl_tracker_name(p->tracker), p->tracker_error);
		record(p, CL_EVENT_PUSH_UNVERIFIED);
	} else if (p->scan.count) {
		record(p, CL_EVENT_PUSH_ACCEPTED);
	}
	return 0;
}

static int accept_override(pre_receive *p)
{
	if (!hook_override_allowed(p->cfg, p->pusher)) {
		hook_say("push rejected: override refused: %s is not in closeloop.overrideUsers",
			p->pusher);
		evaluate(p, CL_VERDICT_REJECT, 1);
		record(p, CL_EVENT_PUSH_REJECTED);
		return 1;
	}
	hook_say("override by %s accepted: %s", p->pusher, p->override);
	hook_say("%zu problem%s recorded in the ledger and on the tickets:",
		p->problems, p->problems == 1 ? "" : "s");
	evaluate(p, CL_VERDICT_REJECT, 1);
	record(p, CL_EVENT_OVERRIDE);
	comment_override(p);
	return 0;
}

static int decide(pre_receive *p)
{
	const char *on_error = "allow";
	size_t warns;

	note_tracker_errors(p);
	cl_config_get_string(&on_error, p->cfg, "closeloop.onTrackerError");
	p->problems = evaluate(p, CL_VERDICT_REJECT, 0);
	warns = evaluate(p, CL_VERDICT_WARN, 0);

	if (p->tracker_down && strcmp(on_error, "reject") == 0 && !p->override)
		return reject_unreachable(p);
	if (warns) {
		hook_say("warning: %zu problem%s (reported only, closeloop mode warn):",
			warns, warns == 1 ? "" : "s");
		evaluate(p, CL_VERDICT_WARN, 1);
		if (p->problems == 0)
			record(p, CL_EVENT_PUSH_WARNED);
	}
	if (p->problems == 0)
		return warns ? 0 : accept_clean(p);
	if (p->override)
		return accept_override(p);
	hook_say("push rejected: %zu problem%s", p->problems,
		p->problems == 1 ? "" : "s");
	evaluate(p, CL_VERDICT_REJECT, 1);
	hook_say("to override (recorded, with your reason): git push -o closeloop.override=\"REASON\"");
	record(p, CL_EVENT_PUSH_REJECTED);
	return 1;
}

/* Setup */

static int open_repository(pre_receive *p)
{
	/* FROM_ENV: during pre-receive the pushed objects sit in git's
	 * quarantine, which only the environment git sets up points at */
	if (git_repository_open_ext(&p->repo, NULL,
		    GIT_REPOSITORY_OPEN_FROM_ENV, NULL) < 0 &&
	    git_repository_open_ext(&p->repo, ".", GIT_REPOSITORY_OPEN_NO_SEARCH,
		    NULL) < 0) {
		const git_error *e = git_error_last();

		hook_say("error: cannot open the repository: %s",
			e ? e->message : "unknown error");
		return 1;
	}
	return 0;
}

static int load_config(pre_receive *p)
{
	size_t i;
	int error = cl_config_load(&p->cfg, NULL, git_repository_path(p->repo));

	if (error == 0 && cl_config_policy(&p->policy, p->cfg) == 0)
		return 0;
	hook_say("push rejected: closeloop is misconfigured on this server:");
	for (i = 0; p->cfg && i < cl_config_diag_count(p->cfg); i++) {
		const cl_diag *d = cl_config_diag(p->cfg, i);

		if (d->severity == CL_DIAG_ERROR)
			hook_say("  %s:%d: %s%s%s", d->file ? d->file : "-", d->line,
				d->key ? d->key : "", d->key ? ": " : "", d->message);
	}
	if (p->cfg == NULL)
		hook_say("  %s", cl_error_last()->message);
	hook_say("ask an admin to run: closeloop doctor");
	return 1;
}

static int open_tracker(pre_receive *p)
{
	const char *on_error = "allow";

	if (cl_config_tracker_count(p->cfg) == 0)
		return 0;
	if (cl_tracker_open(&p->tracker, p->cfg, NULL) == 0)
		return 0;
	cl_config_get_string(&on_error, p->cfg, "closeloop.onTrackerError");
	hook_say("%s: the tracker cannot be used: %s",
		strcmp(on_error, "reject") == 0 ? "push rejected" : "warning",
		cl_error_last()->message);
	return strcmp(on_error, "reject") == 0;
}

static int64_t hook_deadline(const cl_config *cfg, int64_t start_ms)
{
	int64_t timeout = 5;
	int64_t budget;

	cl_config_get_duration(&timeout, cfg, "closeloop.hookTimeout");
	budget = timeout * 1000 - REPORT_RESERVE_MS;
	return start_ms + (budget > 100 ? budget : 100);
}

static void cleanup(pre_receive *p)
{
	scan_free(&p->scan);
	hook_input_free(&p->input);
	cl_tracker_free(p->tracker);
	git_repository_free(p->repo);
	cl_config_free(p->cfg);
}

int main(int argc, char **argv)
{
	pre_receive p;
	int64_t start = cl_http_now_ms();
	const char *mode = "enforce";
	int status = 0;

	memset(&p, 0, sizeof(p));
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
			 strcmp(argv[1], "-h") == 0)) {
		fputs("closeloop-pre-receive: git runs this pre-receive hook with OLD NEW REF lines\n"
			"on stdin. It checks the commits a push brings to protected refs against\n"
			"the tracker (ticket exists, closing needs an owner and a linked customer\n"
			"reply) and exits 0 to accept, 1 to reject with a report of each problem\n"
			"and its fix. Override: git push -o closeloop.override=\"REASON\" (users in\n"
			"closeloop.overrideUsers). Install: closeloop install-hook REPO.\n"
			"See closeloop-hooks(8).\n", stdout);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: closeloop-pre-receive < OLD NEW REF lines\n"
			"git runs this hook; see closeloop-hooks(8).\n");
		return 2;
	}
	/* a bad CLOSELOOP_NOW is the server admin's: say so, keep time */
	if (cl_clock_set_from_env() < 0)
		fprintf(stderr, "closeloop-pre-receive: %s\n", cl_error_last()->message);
	git_libgit2_init();
	if ((status = hook_read_input(&p.input, stdin)) != 0 ||
	    (status = open_repository(&p)) != 0 ||
	    (status = load_config(&p)) != 0)
		goto out;
	cl_config_get_string(&mode, p.cfg, "closeloop.mode");
	if (strcmp(mode, "off") == 0)
		goto out;
	p.deadline_ms = hook_deadline(p.cfg, start);
	p.pusher = hook_pusher();
	p.override = hook_push_option("closeloop.override");
	if ((status = open_tracker(&p)) != 0)
		goto out;
	scan_init(&p.scan, p.tracker);
	if (scan_walk(&p.scan, &p.input, p.cfg) < 0) {
		const git_error *e = git_error_last();

		hook_say("push rejected: cannot read the pushed commits: %s",
			e ? e->message : cl_error_last()->message);
		status = 1;
		goto out;
	}
	scan_finish(&p.scan, p.deadline_ms);
	status = decide(&p);
out:
	cleanup(&p);
	git_libgit2_shutdown();
	return status;
}
