/*
 * test_gitea.c: the Gitea (and Forgejo) backend. Webhooks are replayed
 * from tests/data/gitea/ (written from Gitea's structs, with its traps;
 * see the README there) with the headers Gitea sends; the REST side runs
 * against the stub server answering with the API files of the same
 * folder, and checks what was asked: methods, paths, queries, headers,
 * bodies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "internal.h"
#include "httpstub.h"
#include "forge_int.h"
#include <closeloop/tracker.h>
#include <closeloop/sys/tracker.h>

#define TOKEN "8c2f6e0a4b1d3957ace02468bdf13579ace02468"
#define SECRET "gitea-webhook-s3cret"

static int64_t when(const char *text)
{
	int64_t t;

	ck_assert_int_eq(cl_time_parse(&t, text), 0);
	return t;
}

static void ck_no_token(const char *text)
{
	ck_assert_msg(text == NULL || strstr(text, TOKEN) == NULL,
		"the token leaked: %s", text);
}

static char *fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/gitea/%s",
		top ? top : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (set top_srcdir)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* The signature generate.py computed for a file, from "signatures". */
static void signature_of(char out[65], const char *name)
{
	char *all = fixture("signatures", NULL), *line;
	size_t n = strlen(name);

	for (line = all; line && *line; line = strchr(line, '\n') ?
		     strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ' ') {
			memcpy(out, line + n + 1, 64);
			out[64] = '\0';
			free(all);
			return;
		}
	}
	free(all);
	ck_abort_msg("no signature for %s", name);
}

static cl_tracker_backend *backend(const char *url,
	const char *const *labels, size_t nlabels)
{
	cl_tracker_settings s;
	cl_tracker_backend *b = NULL;

	memset(&s, 0, sizeof(s));
	s.name = "forge";
	s.type = "gitea";
	s.url = url;
	s.token = TOKEN;
	s.project = "acme/web";
	s.resolved_labels = labels;
	s.n_resolved_labels = nlabels;
	ck_assert_int_eq(cl_tracker_backend_gitea(&b, &s), 0);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* A delivery with every header Gitea sends (its own, Gogs' and the
 * GitHub-compatible ones), signature headers empty unless given. */
typedef struct {
	cl_header headers[16];
	cl_webhook hook;
	char body_sig[72];
} delivery;

enum { H_TYPE, H_DELIVERY, H_EVENT, H_EVENT_TYPE, H_SIG, H_GOGS_SIG,
	H_GOGS_EVENT, H_GH_EVENT, H_GH_DELIVERY, H_HUB_SIG, H_HUB_SIG256,
	H_COUNT };

static void delivery_init(delivery *d, const char *event, const char *type,
	const char *sig, const char *body, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->headers[H_TYPE].name = "Content-Type";
	d->headers[H_TYPE].value = "application/json";
	d->headers[H_DELIVERY].name = "X-Gitea-Delivery";
	d->headers[H_DELIVERY].value = "b0a9e1b5-5a3c-4f0e-9a0e-3f1e5b7c9d21";
	d->headers[H_EVENT].name = "X-Gitea-Event";
	d->headers[H_EVENT].value = event;
	d->headers[H_EVENT_TYPE].name = "X-Gitea-Event-Type";
	d->headers[H_EVENT_TYPE].value = type;
	d->headers[H_SIG].name = "X-Gitea-Signature";
	d->headers[H_SIG].value = sig ? sig : "";
	d->headers[H_GOGS_SIG].name = "X-Gogs-Signature";
	d->headers[H_GOGS_SIG].value = sig ? sig : "";
	d->headers[H_GOGS_EVENT].name = "X-Gogs-Event";
	d->headers[H_GOGS_EVENT].value = event;
	d->headers[H_GH_EVENT].name = "X-GitHub-Event";
	d->headers[H_GH_EVENT].value = event;
	d->headers[H_GH_DELIVERY].name = "X-GitHub-Delivery";
	d->headers[H_GH_DELIVERY].value = d->headers[H_DELIVERY].value;
	d->headers[H_HUB_SIG].name = "X-Hub-Signature";
	d->headers[H_HUB_SIG].value = "";
	d->headers[H_HUB_SIG256].name = "X-Hub-Signature-256";
	if (sig) {
		snprintf(d->body_sig, sizeof(d->body_sig), "sha256=%s", sig);
		d->headers[H_HUB_SIG256].value = d->body_sig;
	} else {
		d->headers[H_HUB_SIG256].value = "";
	}
	d->hook.headers = d->headers;
	d->hook.n_headers = H_COUNT;
	d->hook.body = body;
	d->hook.body_len = len;
}

/* Webhooks ******************************************************************/

typedef struct {
	const char *file;
	const char *event, *type;     /* X-Gitea-Event, X-Gitea-Event-Type */
	cl_tevent_kind kind;          /* with resolvedLabels = resolved */
	cl_tevent_kind kind_plain;    /* with no resolvedLabels */
	uint64_t number;
	const char *actor, *owner;
	int closed;
	const char *time;
	const char *comment;          /* COMMENT: the text */
	int by_closeloop;
	const char *reason;           /* IGNORED: why */
} hook_case;

static const hook_case cases[] = {
	{ "hook_issues_opened.json", "issues", "issues", CL_TEVENT_OPENED,
	  CL_TEVENT_OPENED, 7, "alice", "", 0, "2024-05-01T06:30:00Z", NULL, 0,
	  NULL },
	{ "hook_issues_closed.json", "issues", "issues", CL_TEVENT_CLOSED,
	  CL_TEVENT_CLOSED, 7, "bob", "bob", 1, "2024-05-01T07:05:00Z", NULL, 0,
	  NULL },
	{ "hook_issues_reopened.json", "issues", "issues", CL_TEVENT_REOPENED,
	  CL_TEVENT_REOPENED, 7, "closeloop-bot", "bob", 0,
	  "2024-05-02T06:00:00Z", NULL, 0, NULL },
	{ "hook_issues_edited.json", "issues", "issues", CL_TEVENT_ACTIVITY,
	  CL_TEVENT_ACTIVITY, 7, "alice", "bob", 0, "2024-05-02T08:11:12Z", NULL,
	  0, NULL },
	/* assigned: no top-level assignee; the first of the list after it */
	{ "hook_issue_assign_assigned.json", "issues", "issue_assign",
	  CL_TEVENT_ASSIGNED, CL_TEVENT_ASSIGNED, 7, "alice", "carol", 0,
	  "2024-05-02T08:11:12Z", NULL, 0, NULL },
	/* assignees null: unowned */
	{ "hook_issue_assign_unassigned.json", "issues", "issue_assign",
	  CL_TEVENT_ASSIGNED, CL_TEVENT_ASSIGNED, 7, "alice", "", 0,
	  "2024-05-02T08:11:12Z", NULL, 0, NULL },
	/* no label named: the labels after the change hold "Resolved" */
	{ "hook_issue_label_updated.json", "issues", "issue_label",
	  CL_TEVENT_RESOLVED, CL_TEVENT_ACTIVITY, 7, "bob", "bob", 0,
	  "2024-05-02T08:11:12Z", NULL, 0, NULL },
	{ "hook_issue_label_cleared.json", "issues", "issue_label",
	  CL_TEVENT_ACTIVITY, CL_TEVENT_ACTIVITY, 7, "bob", "bob", 0,
	  "2024-05-02T08:11:12Z", NULL, 0, NULL },
	{ "hook_issues_other_repo.json", "issues", "issues", CL_TEVENT_IGNORED,
	  CL_TEVENT_IGNORED, 7, "alice", "", 0, "2024-05-02T08:11:12Z", NULL, 0,
	  "another repository" },
	{ "hook_issue_comment_created.json", "issue_comment", "issue_comment",
	  CL_TEVENT_COMMENT, CL_TEVENT_COMMENT, 7, "alice", "", 0,
	  "2024-05-02T08:11:12Z",
	  "Called her back, all sorted.\r\n\r\ncustomer-reply:   "
	  "https://crm.example.com/call/77?a=1&b=2  \r\n", 0, NULL },
	/* the marker arrives as \u003c!-- closeloop --\u003e */
	{ "hook_issue_comment_closeloop.json", "issue_comment", "issue_comment",
	  CL_TEVENT_COMMENT, CL_TEVENT_COMMENT, 7, "closeloop-bot", "", 0,
	  "2024-05-02T08:12:00Z",
	  "Customer-Reply: <4711@mail.example.com>\n\n<!-- closeloop -->", 1,
	  NULL },
	{ "hook_issue_comment_edited.json", "issue_comment", "issue_comment",
	  CL_TEVENT_ACTIVITY, CL_TEVENT_ACTIVITY, 7, "alice", "", 0,
	  "2024-05-02T08:20:00Z", NULL, 0, NULL },
	{ "hook_issue_comment_deleted.json", "issue_comment", "issue_comment",
	  CL_TEVENT_IGNORED, CL_TEVENT_IGNORED, 7, "alice", "", 0, NULL, NULL, 0,
	  "the comment was deleted" },
	/* folded into issue_comment; the type says what it is */
	{ "hook_pull_request_comment_created.json", "issue_comment",
	  "pull_request_comment", CL_TEVENT_IGNORED, CL_TEVENT_IGNORED, 0, NULL,
	  NULL, 0, NULL, NULL, 0, "a pull request" },
	{ "hook_push.json", "push", "push", CL_TEVENT_IGNORED, CL_TEVENT_IGNORED,
	  0, NULL, NULL, 0, NULL, NULL, 0, "not an issue event" },
};

static void ck_case(const hook_case *c, const cl_tevent *ev, int labels)
{
	cl_tevent_kind want = labels ? c->kind : c->kind_plain;

	ck_assert_msg(ev->kind == want, "%s: kind %d, want %d", c->file,
		ev->kind, want);
	if (c->reason)
		ck_assert_str_eq(ev->reason, c->reason);
	if (c->number == 0)
		return;
	ck_assert_uint_eq(ev->ref.number, c->number);
	ck_assert_ptr_eq(ev->ref.project, ev->project);
	ck_assert_str_eq(ev->project, strcmp(c->file,
		"hook_issues_other_repo.json") ? "acme/web" : "acme/intranet");
	ck_assert_str_eq(ev->actor, c->actor);
	ck_assert_str_eq(ev->owner, c->owner);
	ck_assert_int_eq(ev->closed, c->closed);
	if (c->time)
		ck_assert_int_eq(ev->time, when(c->time));
	if (c->comment)
		ck_assert_str_eq(ev->comment, c->comment);
	else
		ck_assert_ptr_null(ev->comment);
	ck_assert_int_eq(ev->by_closeloop, c->by_closeloop);
}

START_TEST(hooks_parse_and_verify)
{
	static const char *const labels[] = { "resolved" };
	cl_tracker_backend *with = backend("https://git.example.com", labels, 1);
	cl_tracker_backend *plain = backend("https://git.example.com", NULL, 0);
	char sig[65], buf[CL_DELIVERY_ID_MAX];
	size_t i, len;
	cl_tevent ev;
	delivery d;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const hook_case *c = &cases[i];
		char *body = fixture(c->file, &len);

		signature_of(sig, c->file);
		delivery_init(&d, c->event, c->type, sig, body, len);
		ck_assert_msg(with->webhook_verify(with, &d.hook, SECRET,
			strlen(SECRET)) == 0, "%s: %s", c->file,
			cl_error_last()->message);
		ck_assert_int_eq(with->webhook_parse(with, &d.hook, &ev), 0);
		ck_case(c, &ev, 1);
		cl_tevent_clear(&ev);
		ck_assert_int_eq(plain->webhook_parse(plain, &d.hook, &ev), 0);
		ck_case(c, &ev, 0);
		cl_tevent_clear(&ev);
		/* a manual redelivery gets a new id: the body is the key */
		ck_assert_int_eq(with->webhook_id(with, &d.hook, buf, sizeof(buf)),
			CL_ENOTFOUND);
		/* one byte changed (pretty-printed bodies: verify raw bytes) */
		body[len - 2] ^= 0x20;
		ck_assert_int_eq(with->webhook_verify(with, &d.hook, SECRET,
			strlen(SECRET)), CL_EAUTH);
		body[len - 2] ^= 0x20;
		ck_assert_int_eq(with->webhook_verify(with, &d.hook, "other",
			5), CL_EAUTH);
		free(body);
	}
	with->free(with);
	plain->free(plain);
}
END_TEST

START_TEST(hook_form_encoded)
{
	cl_tracker_backend *b = backend("https://git.example.com", NULL, 0);
	unsigned char mac[32];
	char sig[65], raw_sig[65];
	size_t len;
	char *body = fixture("hook_issues_closed.form", &len);
	cl_tevent ev;
	delivery d;

	/* Gitea signs the JSON it form-encodes, not the body */
	signature_of(sig, "hook_issues_closed.form");
	delivery_init(&d, "issues", "issues", sig, body, len);
	d.headers[H_TYPE].value = "application/x-www-form-urlencoded";
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)), 0);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), 0);
	ck_case(&cases[1], &ev, 0);
	cl_tevent_clear(&ev);
	/* the raw body's MAC is not what Gitea sends */
	ck_assert_int_eq(cl__hmac_sha256(mac, SECRET, strlen(SECRET), body, len), 0);
	cl__hex(raw_sig, mac, 32);
	d.headers[H_SIG].value = raw_sig;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)),
		CL_EAUTH);
	/* an escape that is none */
	d.headers[H_SIG].value = sig;
	d.hook.body = "payload=%7B%ZZ";
	d.hook.body_len = strlen(d.hook.body);
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)),
		CL_EAUTH);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "escape"));
	/* no payload field */
	d.hook.body = "secret=x&payload=";
	d.hook.body_len = strlen(d.hook.body);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "payload"));
	free(body);
	b->free(b);
}
END_TEST

START_TEST(hook_signature_headers)
{
	cl_tracker_backend *b = backend("https://git.example.com", NULL, 0);
	char sig[65];
	size_t len;
	char *body = fixture("hook_issues_opened.json", &len);
	delivery d;

	signature_of(sig, "hook_issues_opened.json");
	/* a hook without a secret sends the headers empty */
	delivery_init(&d, "issues", "issues", NULL, body, len);
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)),
		CL_EAUTH);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"missing X-Gitea-Signature header"));
	/* the GitHub-compatible header alone is not Gitea's signature */
	d.body_sig[0] = '\0';
	snprintf(d.body_sig, sizeof(d.body_sig), "sha256=%s", sig);
	d.headers[H_HUB_SIG256].value = d.body_sig;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)),
		CL_EAUTH);
	/* Forgejo's header counts */
	d.headers[H_GOGS_SIG].name = "X-Forgejo-Signature";
	d.headers[H_GOGS_SIG].value = sig;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)), 0);
	/* a prefixed value in Gitea's header is no bare hex */
	d.headers[H_SIG].value = d.body_sig;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)),
		CL_EAUTH);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "64 hex digits"));
	/* headers in any case */
	d.headers[H_SIG].name = "x-gitea-signature";
	d.headers[H_SIG].value = sig;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)), 0);
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "", 0), CL_EAUTH);
	free(body);
	b->free(b);
}
END_TEST

START_TEST(hook_headers_and_bad_bodies)
{
	cl_tracker_backend *b = backend("https://git.example.com", NULL, 0);
	size_t len;
	char *body = fixture("hook_pull_request_comment_created.json", &len);
	cl_tevent ev;
	delivery d;

	/* no event header of Gitea's family */
	delivery_init(&d, "issues", "issues", NULL, "{}", 2);
	d.headers[H_EVENT].name = "X-Other";
	d.headers[H_GOGS_EVENT].name = "X-Other";
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), CL_EINVALID);
	ck_assert_str_eq(cl_error_last()->message, "missing X-Gitea-Event header");
	/* Forgejo's names */
	delivery_init(&d, "issue_comment", NULL, NULL, body, len);
	d.headers[H_EVENT].name = "X-Forgejo-Event";
	d.hook.n_headers = H_EVENT_TYPE;
	/* without the type, the payload still says it is a pull request */
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_IGNORED);
	ck_assert_str_eq(ev.reason, "a pull request");
	ck_assert_ptr_null(ev.comment);
	cl_tevent_clear(&ev);
	free(body);
	/* and the type alone is trusted too: a pull request comment whose
	 * payload looks like an issue's is still one */
	delivery_init(&d, "issue_comment", "pull_request_comment", NULL,
		"{\"action\":\"created\",\"issue\":{\"number\":9,\"pull_request\":null},"
		"\"comment\":{\"body\":\"x\"},\"repository\":{\"full_name\":\"acme/web\"},"
		"\"is_pull\":false}", 0);
	d.hook.body_len = strlen(d.hook.body);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_IGNORED);
	ck_assert_str_eq(ev.reason, "a pull request");
	ck_assert_ptr_null(ev.comment);
	d.headers[H_EVENT_TYPE].value = "issue_comment";
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_COMMENT);
	ck_assert_str_eq(ev.comment, "x");
	cl_tevent_clear(&ev);

	delivery_init(&d, "issues", "issues", NULL, "{\"action\":", 10);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), CL_EINVALID);
	d.hook.body = "{\"action\":\"opened\",\"number\":4,"
		"\"repository\":{\"full_name\":\"acme/web\"}}";
	d.hook.body_len = strlen(d.hook.body);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), CL_EINVALID);
	ck_assert_str_eq(cl_error_last()->message, "the webhook has no issue");
	/* Gitea writes the number at the top too */
	d.hook.body = "{\"action\":\"opened\",\"number\":4,\"issue\":{},"
		"\"repository\":{\"full_name\":\"acme/web\"}}";
	d.hook.body_len = strlen(d.hook.body);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_OPENED);
	ck_assert_uint_eq(ev.ref.number, 4);
	cl_tevent_clear(&ev);
	b->free(b);
}
END_TEST

START_TEST(timeline_delivery)
{
	cl__forge_delivery dl;
	const char *link;
	size_t len, items;
	char *json = fixture("api_timeline_7.json", &len);

	memset(&dl, 0, sizeof(dl));
	ck_assert_int_eq(cl__forge_delivery_page(&dl, CL__FORGE_TIMELINE, json,
		len, &items), 0);
	ck_assert_uint_eq(items, 6);
	ck_assert_int_eq(dl.reopened_at, when("2024-05-02T06:00:00Z"));
	ck_assert_int_eq(cl__forge_delivered(&dl, &link), 1);
	ck_assert_str_eq(link, "<abc@mail.example.com>");
	cl__forge_delivery_clear(&dl);
	free(json);

	json = fixture("api_timeline_8.json", &len);
	ck_assert_int_eq(cl__forge_delivery_page(&dl, CL__FORGE_TIMELINE, json,
		len, &items), 0);
	ck_assert_int_eq(cl__forge_delivered(&dl, &link), 0);
	ck_assert_ptr_null(link);
	cl__forge_delivery_clear(&dl);
	free(json);
}
END_TEST

START_TEST(issue_answers)
{
	cl__forge_issue is;
	cl__forge_issues list;
	size_t len;
	char *json = fixture("api_issue_7.json", &len), *login = NULL;

	ck_assert_int_eq(cl__forge_parse_issue(&is, json, len), 0);
	ck_assert_uint_eq(is.number, 7);
	ck_assert_str_eq(is.owner, "bob");
	ck_assert_int_eq(is.pull, 0);
	ck_assert_int_eq(is.updated_at, when("2024-05-02T08:11:12Z"));
	cl__forge_issue_clear(&is);
	free(json);
	json = fixture("api_issues.json", &len);
	ck_assert_int_eq(cl__forge_parse_issues(&list, json, len), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(list.items[1].closed, 1);
	ck_assert_ptr_null(list.items[1].owner);
	cl__forge_issues_clear(&list);
	free(json);
	json = fixture("api_user.json", &len);
	ck_assert_int_eq(cl__forge_parse_login(&login, json, len), 0);
	ck_assert_str_eq(login, "closeloop-bot");
	free(login);
	free(json);
}
END_TEST

/* Over HTTP *****************************************************************/

static httpstub *stub;
static char tmpdir[64];
static char conf_path[256];

typedef struct {
	uint64_t number;
	char project[64];
	int error;
	char message[512];
	int exists, closed, delivered;
	char status[64], subject[128], owner[64], reply[256];
	int has_owner, has_reply;
	int64_t updated_at;
} seen;

typedef struct {
	seen items[120];
	size_t count;
} results;

static void copy(char *dst, size_t len, const char *src, int *has)
{
	dst[0] = '\0';
	if (has)
		*has = src != NULL;
	if (src)
		snprintf(dst, len, "%s", src);
}

static void on_ticket(const cl_ticket *t, int error, const char *message,
	void *payload)
{
	results *r = payload;
	seen *s;

	ck_assert_uint_lt(r->count, 120);
	s = &r->items[r->count++];
	memset(s, 0, sizeof(*s));
	s->number = t->ref.number;
	copy(s->project, sizeof(s->project), t->ref.project, NULL);
	s->error = error;
	copy(s->message, sizeof(s->message), message, NULL);
	ck_no_token(message);
	s->exists = t->exists;
	s->closed = t->closed;
	s->delivered = t->delivered;
	copy(s->status, sizeof(s->status), t->status, NULL);
	copy(s->subject, sizeof(s->subject), t->subject, NULL);
	copy(s->owner, sizeof(s->owner), t->owner, &s->has_owner);
	copy(s->reply, sizeof(s->reply), t->reply, &s->has_reply);
	s->updated_at = t->updated_at;
}

/* The answer for number in project ("" for the configured one). */
static const seen *find_in(const results *r, const char *project,
	uint64_t number)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->items[i].number == number &&
		    strcmp(r->items[i].project, project) == 0)
			return &r->items[i];
	ck_abort_msg("no answer for %s#%llu", project, (unsigned long long)number);
	return NULL;
}

static const seen *find(const results *r, uint64_t number)
{
	return find_in(r, "", number);
}

static void write_text(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

/* A configuration in tmpdir: extra is appended to the one section. */
static cl_tracker *open_tracker_with(const char *url, const char *extra)
{
	char text[2048], key[300];
	cl_config *cfg;
	cl_tracker *t = NULL;

	snprintf(key, sizeof(key), "%s/key", tmpdir);
	snprintf(text, sizeof(text),
		"[tracker \"forge\"]\n\ttype = gitea\n\turl = %s\n"
		"\ttokenFile = %s\n\tproject = acme/web\n%s", url, key,
		extra ? extra : "");
	write_text(conf_path, text, 0644);
	ck_assert_int_eq(cl_config_new(&cfg), 0);
	ck_assert_int_eq(cl_config_add_file(cfg, conf_path,
		CL_CONFIG_LEVEL_FILE, 0), 0);
	ck_assert_int_eq(cl_tracker_open(&t, cfg, NULL), 0);
	cl_config_free(cfg);
	return t;
}

static cl_tracker *open_tracker(const char *url)
{
	return open_tracker_with(url, NULL);
}

static void setup(void)
{
	char key[300];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cl-gitea-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(conf_path, sizeof(conf_path), "%s/c.conf", tmpdir);
	snprintf(key, sizeof(key), "%s/key", tmpdir);
	write_text(key, TOKEN "\n", 0600);
	stub = httpstub_start();
	ck_assert_ptr_nonnull(stub);
}

static void teardown(void)
{
	char cmd[128];

	httpstub_stop(stub);
	stub = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void expect_fixture_status(const char *method, const char *path,
	int status, const char *name)
{
	char *json = fixture(name, NULL);

	httpstub_expect(stub, method, path, status, json, NULL);
	free(json);
}

static void expect_fixture(const char *method, const char *path,
	const char *name)
{
	expect_fixture_status(method, path, 200, name);
}

static size_t count_path(const char *path)
{
	size_t i, n = 0;

	for (i = 0; i < httpstub_count(stub); i++)
		if (strcmp(httpstub_request(stub, i)->path, path) == 0)
			n++;
	return n;
}

static const httpstub_req *request_to(const char *method, const char *path)
{
	size_t i;

	for (i = 0; i < httpstub_count(stub); i++) {
		const httpstub_req *r = httpstub_request(stub, i);

		if (strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0)
			return r;
	}
	ck_abort_msg("no %s %s", method, path);
	return NULL;
}

static void ck_headers(const httpstub_req *req)
{
	ck_assert_str_eq(httpstub_req_header(req, "Authorization"),
		"token " TOKEN);
	ck_assert_str_eq(httpstub_req_header(req, "Accept"), "application/json");
	ck_assert_ptr_null(httpstub_req_header(req, "X-GitHub-Api-Version"));
}

static void run(cl_tracker *t)
{
	cl_tracker_run(t, cl_http_now_ms() + 10000);
}

START_TEST(open_and_caps)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_MENTION, "acme/web", 7, 0 };
	char buf[64];

	ck_assert_str_eq(cl_tracker_type(t), "gitea");
	ck_assert_uint_eq(cl_tracker_caps(t), CL_TRACKER_CAP_WEBHOOKS);
	ck_assert_int_eq(cl_tracker_ticket_id(buf, sizeof(buf), t, &ref), 0);
	ck_assert_str_eq(buf, "forge:acme/web#7");
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_issues)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[3] = { { CL_REF_CLOSE, NULL, 7, 0 },
		{ CL_REF_CLOSE, NULL, 8, 0 }, { CL_REF_CLOSE, "acme/intranet", 7, 0 } };
	const httpstub_req *req;
	const seen *s;
	results r;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/7", "api_issue_7.json");
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/8", "api_issue_8.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 3, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 3);
	s = find(&r, 8);
	ck_assert_int_eq(s->exists, 1);
	ck_assert_int_eq(s->closed, 1);
	ck_assert_str_eq(s->status, "closed");
	ck_assert_str_eq(s->subject, "Password reset mail never arrives");
	ck_assert_int_eq(s->has_owner, 0);
	ck_assert_int_eq(s->updated_at, when("2024-05-03T10:00:00Z"));
	s = find_in(&r, "acme/intranet", 7);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->exists, 0);
	s = find(&r, 7);
	ck_assert_int_eq(s->exists, 1);
	ck_assert_int_eq(s->closed, 0);
	ck_assert_str_eq(s->owner, "bob");
	ck_assert_str_eq(s->subject, "Invoice shows wrong VAT");
	ck_assert_int_eq(s->delivered, -1);
	ck_assert_uint_eq(httpstub_count(stub), 2);
	req = request_to("GET", "/api/v1/repos/acme/web/issues/7");
	ck_assert_str_eq(req->query, "");
	ck_headers(req);

	/* missing: the repository answers, so it is missing */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues/7", 404,
		"{\"errors\":null,\"message\":\"The target couldn't be found.\","
		"\"url\":\"https://git.example.com/api/swagger\"}", NULL);
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web", 200, "{}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].error, 0);
	ck_assert_int_eq(r.items[0].exists, 0);
	ck_headers(request_to("GET", "/api/v1/repos/acme/web"));

	/* a token refused */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues/7", 401,
		"{\"message\":\"user does not exist [uid: 0, name: ]\"}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_str_eq(r.items[0].message, "the Gitea token was refused (401)");
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_delivery)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[2] = { { CL_REF_CLOSE, NULL, 7, 0 },
		{ CL_REF_CLOSE, NULL, 8, 0 } };
	unsigned int flags[2] = { CL_FETCH_DELIVERY, CL_FETCH_DELIVERY };
	const httpstub_req *req;
	const seen *s;
	results r;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/7", "api_issue_7.json");
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/8", "api_issue_8.json");
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/7/timeline",
		"api_timeline_7.json");
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/8/timeline",
		"api_timeline_8.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, flags, 2, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	s = find(&r, 7);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->delivered, 1);
	ck_assert_str_eq(s->reply, "<abc@mail.example.com>");
	s = find(&r, 8);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->delivered, 0);
	ck_assert_int_eq(s->has_reply, 0);
	req = request_to("GET", "/api/v1/repos/acme/web/issues/7/timeline");
	ck_assert_str_eq(req->query, "limit=50&page=1");
	ck_headers(req);
	/* no GitHub sources */
	ck_assert_uint_eq(count_path("/api/v1/repos/acme/web/issues/7/comments"), 0);
	ck_assert_uint_eq(count_path("/api/v1/repos/acme/web/issues/7/events"), 0);
	cl_tracker_free(t);
}
END_TEST

START_TEST(timeline_pages)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 7, 0 };
	unsigned int flag = CL_FETCH_DELIVERY;
	cl_buf page1 = CL_BUF_INIT;
	const httpstub_req *req;
	results r;
	size_t i, n;
	int k;

	/* a full page: a reply and 49 label changes; the reopen on page 2 */
	cl__buf_puts(&page1, "[{\"id\":1,\"type\":\"comment\",\"body\":"
		"\"Customer-Reply: https://x/1\",\"created_at\":\"2024-05-01T09:00:00+02:00\"}");
	for (k = 2; k <= 50; k++)
		cl__buf_printf(&page1, ",{\"id\":%d,\"type\":\"label\",\"body\":\"1\","
			"\"created_at\":\"2024-05-01T10:00:00+02:00\"}", k);
	cl__buf_puts(&page1, "]");
	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/7", "api_issue_7.json");
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues/7/timeline",
		200, page1.ptr, NULL);
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues/7/timeline",
		200, "[{\"id\":51,\"type\":\"reopen\",\"body\":\"\","
		"\"created_at\":\"2024-05-02T08:00:00+02:00\"}]", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, &flag, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, 0);
	ck_assert_int_eq(r.items[0].delivered, 0);
	for (i = 0, n = 0; i < httpstub_count(stub); i++) {
		req = httpstub_request(stub, i);
		if (strcmp(req->path, "/api/v1/repos/acme/web/issues/7/timeline"))
			continue;
		ck_assert_str_eq(req->query, n++ ? "limit=50&page=2" :
			"limit=50&page=1");
	}
	ck_assert_uint_eq(n, 2);
	cl__buf_free(&page1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(comment)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_MENTION, NULL, 7, 0 };
	int64_t deadline = cl_http_now_ms() + 5000;
	const httpstub_req *req;

	httpstub_expect(stub, "POST", "/api/v1/repos/acme/web/issues/7/comments",
		201, "{\"id\":300}", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "@bob the customer is waiting",
		1, deadline), 0);
	req = httpstub_request(stub, 0);
	ck_assert_str_eq(req->method, "POST");
	ck_assert_str_eq(req->body,
		"{\"body\":\"@bob the customer is waiting\\n\\n<!-- closeloop -->\"}");
	ck_assert_str_eq(httpstub_req_header(req, "Content-Type"),
		"application/json");
	ck_headers(req);
	ck_assert_int_eq(cl_tracker_set_reply(t, &ref, "https://crm/1", NULL,
		deadline), 0);
	ck_assert_str_eq(httpstub_request(stub, 1)->body,
		"{\"body\":\"Customer-Reply: https://crm/1\\n\\n<!-- closeloop -->\"}");
	/* locked issue (Gitea answers 403), not retried */
	httpstub_reset(stub);
	httpstub_expect(stub, "POST", "/api/v1/repos/acme/web/issues/7/comments",
		403, "{\"message\":\"Cannot comment on a locked issue\"}", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"(403): Cannot comment on a locked issue"));
	ck_no_token(cl_error_last()->message);
	ck_assert_uint_eq(httpstub_count(stub), 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(whoami)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	char *login = NULL;

	expect_fixture("GET", "/api/v1/user", "api_user.json");
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000), 0);
	ck_assert_str_eq(login, "closeloop-bot");
	cl_free(login);
	ck_headers(httpstub_request(stub, 0));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/api/v1/user", 401, "{}", NULL);
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000),
		CL_ETRACKER);
	ck_assert_str_eq(cl_error_last()->message,
		"the Gitea token was refused (401)");
	cl_tracker_free(t);
}
END_TEST

/* A backend of its own, for the slots the core does not wrap yet. */
typedef struct {
	cl_tracker_backend *b;
	cl_http *http;
} direct;

static void direct_open(direct *d)
{
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_buf url = CL_BUF_INIT;

	/* a trailing slash is dropped before /api/v1 */
	cl__buf_printf(&url, "%s/", httpstub_url(stub));
	d->b = backend(url.ptr, NULL, 0);
	cl__buf_free(&url);
	ck_assert_int_eq(cl_http_new(&d->http, &opts), 0);
}

static void direct_close(direct *d)
{
	cl_http_free(d->http);
	d->b->free(d->b);
}

START_TEST(reopen)
{
	cl_ref ref = { CL_REF_MENTION, NULL, 7, 0 };
	int64_t deadline = cl_http_now_ms() + 5000;
	const httpstub_req *req;
	direct d;

	direct_open(&d);
	expect_fixture_status("PATCH", "/api/v1/repos/acme/web/issues/7", 201,
		"api_issue_7_reopened.json");
	ck_assert_int_eq(d.b->reopen(d.b, d.http, &ref, deadline), 0);
	req = httpstub_request(stub, 0);
	ck_assert_str_eq(req->method, "PATCH");
	ck_assert_str_eq(req->body, "{\"state\":\"open\"}");
	ck_headers(req);
	httpstub_reset(stub);
	expect_fixture("PATCH", "/api/v1/repos/acme/web/issues/7",
		"api_issue_7_closed.json");
	ck_assert_int_eq(d.b->reopen(d.b, d.http, &ref, deadline), CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"gitea did not reopen acme/web#7: it is still 'closed'"));
	direct_close(&d);
}
END_TEST

START_TEST(changes)
{
	int64_t newest = 0, since = when("2024-05-01T00:00:00Z");
	const httpstub_req *req;
	results r;
	direct d;

	direct_open(&d);
	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/api/v1/repos/acme/web/issues", "api_issues.json");
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/8/timeline",
		"api_timeline_8.json");
	ck_assert_int_eq(d.b->changes(d.b, d.http, since, on_ticket, &r, &newest,
		cl_http_now_ms() + 10000), 0);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(find(&r, 7)->delivered, -1);
	ck_assert_str_eq(find(&r, 7)->owner, "bob");
	ck_assert_int_eq(find(&r, 8)->closed, 1);
	ck_assert_int_eq(find(&r, 8)->delivered, 0);
	ck_assert_int_eq(newest, when("2024-05-03T10:00:00Z"));
	/* a short page: the only one */
	ck_assert_uint_eq(count_path("/api/v1/repos/acme/web/issues"), 1);
	req = request_to("GET", "/api/v1/repos/acme/web/issues");
	ck_assert_str_eq(req->query,
		"state=all&type=issues&since=2024-05-01T00%3A00%3A00Z&limit=50&page=1");
	ck_headers(req);
	ck_assert_uint_eq(count_path("/api/v1/repos/acme/web/issues/7/timeline"), 0);
	direct_close(&d);
}
END_TEST

START_TEST(changes_pages)
{
	int64_t newest = 0;
	cl_buf page1 = CL_BUF_INIT;
	const httpstub_req *req;
	results *r = calloc(1, sizeof(*r));
	size_t i, n;
	direct d;
	int k;

	ck_assert_ptr_nonnull(r);
	direct_open(&d);
	cl__buf_puts(&page1, "[");
	for (k = 1; k <= 50; k++)
		cl__buf_printf(&page1, "%s{\"number\":%d,\"state\":\"open\",\"title\":\"t\","
			"\"assignees\":null,\"pull_request\":null,"
			"\"updated_at\":\"2024-05-01T10:00:%02d+02:00\"}", k > 1 ? "," : "",
			k, k);
	cl__buf_puts(&page1, "]");
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues", 200,
		page1.ptr, NULL);
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues", 200,
		"[{\"number\":51,\"state\":\"open\",\"updated_at\":\"2024-05-01T09:00:00+02:00\"}]",
		NULL);
	ck_assert_int_eq(d.b->changes(d.b, d.http, 0, on_ticket, r, &newest,
		cl_http_now_ms() + 10000), 0);
	ck_assert_uint_eq(r->count, 51);
	ck_assert_int_eq(find(r, 51)->exists, 1);
	ck_assert_int_eq(newest, when("2024-05-01T08:00:50Z"));
	for (i = 0, n = 0; i < httpstub_count(stub); i++) {
		req = httpstub_request(stub, i);
		if (strcmp(req->path, "/api/v1/repos/acme/web/issues") != 0)
			continue;
		ck_assert_str_eq(req->query, n++ ?
			"state=all&type=issues&since=1970-01-01T00%3A00%3A00Z&limit=50&page=2" :
			"state=all&type=issues&since=1970-01-01T00%3A00%3A00Z&limit=50&page=1");
	}
	ck_assert_uint_eq(n, 2);
	/* the second page fails: so does the sync, after the first */
	memset(r, 0, sizeof(*r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues", 200,
		page1.ptr, NULL);
	httpstub_expect(stub, "GET", "/api/v1/repos/acme/web/issues", 500, "", NULL);
	ck_assert_int_eq(d.b->changes(d.b, d.http, 0, on_ticket, r, &newest,
		cl_http_now_ms() + 10000), CL_ETRACKER);
	ck_assert_uint_eq(r->count, 50);
	ck_no_token(cl_error_last()->message);
	cl__buf_free(&page1);
	free(r);
	direct_close(&d);
}
END_TEST

/* The core's wrappers: the secret from webhookSecretFile, the body's hash
 * as the delivery id, and the sync. */
START_TEST(through_the_core)
{
	char extra[512], path[300], sig[65], id[CL_DELIVERY_ID_MAX];
	char id2[CL_DELIVERY_ID_MAX];
	cl_ref ref = { CL_REF_MENTION, NULL, 7, 0 };
	int64_t newest = 0;
	cl_tracker *t;
	cl_tevent ev;
	size_t len;
	char *body = fixture("hook_issue_assign_assigned.json", &len);
	results r;
	delivery d;

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	write_text(path, SECRET "\n", 0600);
	snprintf(extra, sizeof(extra), "\twebhookSecretFile = %s\n"
		"\tresolvedLabels = Resolved\n", path);
	t = open_tracker_with(httpstub_url(stub), extra);
	signature_of(sig, "hook_issue_assign_assigned.json");
	delivery_init(&d, "issues", "issue_assign", sig, body, len);
	ck_assert_int_eq(cl_tracker_webhook_verify(t, &d.hook), 0);
	ck_assert_int_eq(cl_tracker_webhook_parse(t, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_ASSIGNED);
	ck_assert_str_eq(ev.owner, "carol");
	cl_tevent_clear(&ev);
	/* a redelivery has a new X-Gitea-Delivery and the same key */
	ck_assert_int_eq(cl_tracker_webhook_id(t, &d.hook, id, sizeof(id)), 0);
	ck_assert_int_eq(strncmp(id, "sha256:", 7), 0);
	d.headers[H_DELIVERY].value = "e1f1b7a0-0000-4000-8000-000000000001";
	ck_assert_int_eq(cl_tracker_webhook_id(t, &d.hook, id2, sizeof(id2)), 0);
	ck_assert_str_eq(id, id2);
	free(body);
	/* resolvedLabels from the configuration */
	body = fixture("hook_issue_label_updated.json", &len);
	delivery_init(&d, "issues", "issue_label", NULL, body, len);
	ck_assert_int_eq(cl_tracker_webhook_parse(t, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_RESOLVED);
	cl_tevent_clear(&ev);
	free(body);

	expect_fixture_status("PATCH", "/api/v1/repos/acme/web/issues/7", 201,
		"api_issue_7_reopened.json");
	ck_assert_int_eq(cl_tracker_reopen(t, &ref, cl_http_now_ms() + 5000), 0);
	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/api/v1/repos/acme/web/issues", "api_issues.json");
	expect_fixture("GET", "/api/v1/repos/acme/web/issues/8/timeline",
		"api_timeline_8.json");
	ck_assert_int_eq(cl_tracker_changes(t, 0, on_ticket, &r, &newest,
		cl_http_now_ms() + 10000), 0);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(newest, when("2024-05-03T10:00:00Z"));
	cl_tracker_free(t);
}
END_TEST

static Suite *gitea_suite(void)
{
	Suite *s = suite_create("gitea");
	TCase *hooks = tcase_create("webhooks");
	TCase *http = tcase_create("http");

	tcase_add_test(hooks, hooks_parse_and_verify);
	tcase_add_test(hooks, hook_form_encoded);
	tcase_add_test(hooks, hook_signature_headers);
	tcase_add_test(hooks, hook_headers_and_bad_bodies);
	tcase_add_test(hooks, timeline_delivery);
	tcase_add_test(hooks, issue_answers);
	suite_add_tcase(s, hooks);

	tcase_add_checked_fixture(http, setup, teardown);
	tcase_set_timeout(http, 30);
	tcase_add_test(http, open_and_caps);
	tcase_add_test(http, fetch_issues);
	tcase_add_test(http, fetch_delivery);
	tcase_add_test(http, timeline_pages);
	tcase_add_test(http, comment);
	tcase_add_test(http, whoami);
	tcase_add_test(http, reopen);
	tcase_add_test(http, changes);
	tcase_add_test(http, changes_pages);
	tcase_add_test(http, through_the_core);
	suite_add_tcase(s, http);
	return s;
}

CL_TEST_MAIN(gitea_suite)
