/*
 * scan.c: walking the commits of a push and collecting ticket references,
 * with tracker lookups started while the walk goes on.
 */
#include <stdlib.h>
#include <string.h>

#include <closeloop/sys/tracker.h>

#include "scan.h"

/* Ask the tracker for new tickets in groups this big, and let transfers
 * progress every so many commits, so that lookups overlap the walk. */
#define SCAN_SUBMIT_BATCH 100
#define SCAN_POLL_EVERY 512

void scan_init(scan *s, cl_tracker *tracker)
{
	memset(s, 0, sizeof(*s));
	s->tracker = tracker;
	if (tracker)
		s->jira_keys = (cl_tracker_caps(tracker) & CL_TRACKER_CAP_JIRA_KEYS) != 0;
}

void scan_free(scan *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		scan_ticket *t = &s->tickets[i];

		free(t->key);
		free(t->project);
		free(t->reply_link);
		free(t->subject);
		free(t->error_message);
		free(t->owner);
		free(t->status);
		free(t->reply);
	}
	for (i = 0; i < s->unreferenced && i < SCAN_MAX_UNREFERENCED; i++)
		free(s->first_unreferenced[i].subject);
	free(s->tickets);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static void make_key(char *buf, size_t len, const cl_ref *ref)
{
	snprintf(buf, len, "%s#%llu", ref->project ? ref->project : "",
		(unsigned long long)ref->number);
}

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int rehash(scan *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 256, i;
	size_t *slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (i = 0; i < s->count; i++) {
		size_t h = hash(s->tickets[i].key) & (n - 1);

		while (slots[h])
			h = (h + 1) & (n - 1);
		slots[h] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return 0;
}

static scan_ticket *lookup(scan *s, const char *key)
{
	size_t h;

	if (s->nslots == 0)
		return NULL;
	h = hash(key) & (s->nslots - 1);
	while (s->slots[h]) {
		scan_ticket *t = &s->tickets[s->slots[h] - 1];

		if (strcmp(t->key, key) == 0)
			return t;
		h = (h + 1) & (s->nslots - 1);
	}
	return NULL;
}

static char *dupn(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

static scan_ticket *add_ticket(scan *s, const char *key, const cl_ref *ref)
{
	scan_ticket *t;

	if ((s->count + 1) * 2 > s->nslots && rehash(s) < 0)
		return NULL;
	if (s->count == s->cap) {
		size_t n = s->cap ? s->cap * 2 : 64;
		scan_ticket *p = realloc(s->tickets, n * sizeof(*p));

		if (p == NULL)
			return NULL;
		s->tickets = p;
		s->cap = n;
	}
	t = &s->tickets[s->count];
	memset(t, 0, sizeof(*t));
	t->delivered = -1;
	t->key = strdup(key);
	t->project = ref->project ? strdup(ref->project) : NULL;
	if (t->key == NULL || (ref->project && t->project == NULL)) {
		free(t->key);
		free(t->project);
		return NULL;
	}
	t->ref = *ref;
	t->ref.project = t->project;
	t->ref.kind = CL_REF_MENTION;
	s->count++;
	/* insert into the table */
	{
		size_t h = hash(key) & (s->nslots - 1);

		while (s->slots[h])
			h = (h + 1) & (s->nslots - 1);
		s->slots[h] = s->count;
	}
	return t;
}

static void note_commit(scan_ticket *t, const git_oid *id, const char *subject,
	size_t subject_len, int closing)
{
	t->commits++;
	/* the report names the first commit that closes it, else the first
	 * that names it */
	if (t->subject != NULL && (!closing || t->closing))
		return;
	free(t->subject);
	t->subject = dupn(subject, subject_len);
	git_oid_cpy(&t->commit, id);
}

static void keep_unreferenced(scan *s, const git_oid *id, const char *subject,
	size_t subject_len)
{
	if (s->unreferenced < SCAN_MAX_UNREFERENCED) {
		scan_commit *c = &s->first_unreferenced[s->unreferenced];

		git_oid_cpy(&c->id, id);
		c->subject = dupn(subject, subject_len);
	}
	s->unreferenced++;
}

int scan_message(scan *s, const git_oid *id, const char *msg, size_t len,
	const char *subject, size_t subject_len)
{
	cl_refs_opts opts = CL_REFS_OPTS_INIT;
	cl_refs *refs = NULL;
	char key[512];
	size_t i;
	int error;

	opts.jira_keys = s->jira_keys;
	s->commits++;
	if ((error = cl_refs_parse(&refs, msg, len, &opts)) < 0)
		return error;
	if (cl_refs_count(refs) == 0)
		keep_unreferenced(s, id, subject, subject_len);
	for (i = 0; i < cl_refs_count(refs); i++) {
		const cl_ref *r = cl_refs_get(refs, i);
		scan_ticket *t;
		int closing = r->kind == CL_REF_CLOSE;

		make_key(key, sizeof(key), r);
		if ((t = lookup(s, key)) == NULL &&
		    (t = add_ticket(s, key, r)) == NULL) {
			cl_refs_free(refs);
			return CL_ENOMEM;
		}
		note_commit(t, id, subject, subject_len, closing);
		if (closing)
			t->closing = 1;
	}
	for (i = 0; i < cl_refs_reply_count(refs); i++) {
		const cl_reply_ref *rr = cl_refs_reply(refs, i);
		scan_ticket *t;

		if (!rr->has_ref)
			continue;
		make_key(key, sizeof(key), &rr->ref);
		if ((t = lookup(s, key)) == NULL)
			continue;
		t->reply_in_push = 1;
		if (t->reply_link == NULL)
			t->reply_link = strdup(rr->link);
	}
	cl_refs_free(refs);
	return 0;
}

/* Lookups */

static void on_ticket(const cl_ticket *tk, int error, const char *message,
	void *payload)
{
	scan *s = payload;
	scan_ticket *t;
	char key[512];

	make_key(key, sizeof(key), &tk->ref);
	if ((t = lookup(s, key)) == NULL)
		return;
	t->answered = 1;
	t->error = error;
	if (error) {
		free(t->error_message);
		t->error_message = strdup(message ? message : "tracker error");
		s->lookups_failed++;
		return;
	}
	t->exists = tk->exists;
	t->closed = tk->closed;
	if (tk->delivered >= 0 || t->delivered < 0)
		t->delivered = tk->delivered;
	free(t->owner);
	t->owner = tk->owner ? strdup(tk->owner) : NULL;
	free(t->status);
	t->status = tk->status ? strdup(tk->status) : NULL;
	if (tk->reply) {
		free(t->reply);
		t->reply = strdup(tk->reply);
	}
}

/* Ask for tickets [from, to) that need flags they have not been asked. */
static int submit(scan *s, size_t from, size_t to, int closing_only)
{
	cl_ref refs[SCAN_SUBMIT_BATCH];
	unsigned int flags[SCAN_SUBMIT_BATCH];
	size_t i, n = 0;
	int error;

	for (i = from; i < to; i++) {
		scan_ticket *t = &s->tickets[i];
		unsigned int want = t->closing ? CL_FETCH_DELIVERY : 0;

		if (closing_only && (!t->closing || t->error || !t->exists ||
				     t->delivered >= 0 || (t->asked & want)))
			continue;
		t->asked |= want;
		t->submitted = 1;
		refs[n] = t->ref;
		flags[n] = want;
		if (++n == SCAN_SUBMIT_BATCH) {
			if ((error = cl_tracker_fetch(s->tracker, refs, flags, n,
				     on_ticket, s)) < 0)
				return error;
			n = 0;
		}
	}
	if (n && (error = cl_tracker_fetch(s->tracker, refs, flags, n,
			  on_ticket, s)) < 0)
		return error;
	return 0;
}

static int submit_new(scan *s, int all)
{
	int error;

	if (s->tracker == NULL)
		return 0;
	if (!all && s->count - s->next_submit < SCAN_SUBMIT_BATCH)
		return 0;
	if ((error = submit(s, s->next_submit, s->count, 0)) < 0)
		return error;
	s->next_submit = s->count;
	return 0;
}

/* The walk */

/* The tips of protected refs the push moves; their new commits are
 * those no existing ref reaches. */
static char **rev_list_args(const hook_input *in, const cl_config *cfg,
	char (*hex)[GIT_OID_HEXSZ + 1], size_t *pushed)
{
	char **args = calloc(in->count + 3, sizeof(char *));
	size_t i, n = 0;

	*pushed = 0;
	if (args == NULL)
		return NULL;
	for (i = 0; i < in->count; i++) {
		const hook_update *u = &in->updates[i];

		if (git_oid_is_zero(&u->new_id) || !hook_ref_protected(cfg, u->ref))
			continue;
		git_oid_tostr(hex[*pushed], GIT_OID_HEXSZ + 1, &u->new_id);
		args[n++] = hex[(*pushed)++];
	}
	args[n++] = "--not";
	args[n++] = "--all";
	return args;
}

static int read_commit(scan *s, const hook_commit *c)
{
	int error;

	if ((error = scan_message(s, &c->id, c->message, c->message_len,
		    c->subject, c->subject_len)) < 0)
		return error;
	if ((error = submit_new(s, 0)) < 0)
		return error;
	if (s->tracker && s->commits % SCAN_POLL_EVERY == 0)
		cl_http_poll(cl_tracker_http(s->tracker));
	return 0;
}

int scan_walk(scan *s, const hook_input *in, const cl_config *cfg)
{
	char (*hex)[GIT_OID_HEXSZ + 1] = calloc(in->count + 1, sizeof(*hex));
	char **args = hex ? rev_list_args(in, cfg, hex, &(size_t){ 0 }) : NULL;
	hook_rev_list rl = { NULL, -1, NULL, 0 };
	hook_commit c;
	int error, r;

	if (args == NULL) {
		free(hex);
		return CL_ENOMEM;
	}
	if (args[0] == NULL || strcmp(args[0], "--not") == 0) {
		error = 0; /* no protected ref moves forward */
		goto out;
	}
	if ((error = hook_rev_list_start(&rl, args)) < 0)
		goto out;
	while ((r = hook_rev_list_next(&rl, &c)) == 1 &&
	       (error = read_commit(s, &c)) == 0)
		;
	if (r < 0)
		error = r;
	if (hook_rev_list_finish(&rl) < 0 && error == 0)
		error = -1;
out:
	free(args);
	free(hex);
	return error;
}

int scan_finish(scan *s, int64_t deadline_ms)
{
	int error;

	if (s->tracker == NULL || s->count == 0)
		return 0;
	if ((error = submit_new(s, 1)) < 0)
		return error;
	cl_tracker_run(s->tracker, deadline_ms);
	/* closing references first looked up without the delivery check */
	if ((error = submit(s, 0, s->count, 1)) < 0)
		return error;
	cl_tracker_run(s->tracker, deadline_ms);
	return 0;
}
