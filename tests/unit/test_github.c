/*
 * test_github.c: the GitHub backend and the helpers it shares with Gitea
 * (forge.c). Webhooks are replayed from the examples GitHub's own
 * documentation is built from (@octokit/webhooks-examples, fetched by
 * scripts/fetch-test-data into tests/data/octokit/); the REST side runs
 * against the stub server, which records what was asked: methods, paths,
 * queries, headers, bodies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "runner.h"
#include "internal.h"
#include "httpstub.h"
#include "forge_int.h"
#include <closeloop/tracker.h>
#include <closeloop/sys/tracker.h>

#define TOKEN "ghp_9Zt4QvX2kLm8Nw3Rb7Yc1Hd6Fj5Gs0Ae2Ui4"
#define SECRET "It's a Secret to Everybody"

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

/* Shared helpers (forge.c) ***************************************************/

START_TEST(times)
{
	int64_t t;

	ck_assert_int_eq(cl__forge_time(&t, "2019-05-15T15:20:18Z"), 0);
	ck_assert_int_eq(t, when("2019-05-15T15:20:18Z"));
	/* Gitea writes the server's offset; fractions are dropped */
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-02T10:11:12+02:00"), 0);
	ck_assert_int_eq(t, when("2024-05-02T08:11:12Z"));
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-02T01:00:00.123456-0530"), 0);
	ck_assert_int_eq(t, when("2024-05-02T06:30:00Z"));
	ck_assert_int_eq(cl__forge_time(&t, "2024-02-29T00:00:00z"), 0);
	ck_assert_int_eq(t, when("2024-02-29T00:00:00Z"));
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-02T10:11:12"), CL_EINVALID);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-02"), CL_EINVALID);
	ck_assert_int_eq(cl__forge_time(&t, "2024-13-02T10:11:12Z"), CL_EINVALID);
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-02T10:11:12Zjunk"),
		CL_EINVALID);
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-02T10:11:12."), CL_EINVALID);
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-02T10:11:12+2"), CL_EINVALID);
	ck_assert_int_eq(cl__forge_time(&t, "2024-05-0"), CL_EINVALID);
	ck_assert_int_eq(cl__forge_time(&t, ""), CL_EINVALID);
	ck_assert_int_eq(cl__forge_time(&t, NULL), CL_EINVALID);
}
END_TEST

static void ck_reply(const char *text, const char *want)
{
	const char *link = NULL;
	size_t len = 0;
	int found = cl__reply_line(&link, &len, text);

	if (want == NULL) {
		ck_assert_msg(!found, "a reply in '%s'", text ? text : "(null)");
		return;
	}
	ck_assert_msg(found, "no reply in '%s'", text);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_int_eq(strncmp(link, want, len), 0);
}

START_TEST(reply_lines)
{
	ck_reply("Customer-Reply: https://a/b", "https://a/b");
	ck_reply("CUSTOMER-REPLY:https://a/b\r\n", "https://a/b");
	ck_reply("done\r\n\r\ncustomer-reply:   <x@y>  \r\nthanks", "<x@y>");
	/* the last line wins */
	ck_reply("Customer-Reply: https://a/1\nCustomer-Reply: https://a/2",
		"https://a/2");
	/* a reference before the link, as in the commit trailer */
	ck_reply("Customer-Reply: #7 https://a/3", "https://a/3");
	ck_reply("Customer-Reply: acme/web#7 https://a/4", "https://a/4");
	/* a reference alone is the link */
	ck_reply("Customer-Reply: #12", "#12");
	/* not at the start of a line, no colon, nothing after it, quoted */
	ck_reply("see Customer-Reply: https://a/5", NULL);
	ck_reply("  Customer-Reply: https://a/5", NULL);
	ck_reply("Customer-Reply https://a/6", NULL);
	ck_reply("Customer-Reply:   \n", NULL);
	ck_reply("> Customer-Reply: https://a/7", NULL);
	ck_reply("Customer-Reply is still missing", NULL);
	ck_reply(NULL, NULL);
	ck_reply("", NULL);
}
END_TEST

START_TEST(link_header)
{
	char *url = NULL;

	ck_assert_int_eq(cl__forge_link_next(&url,
		"<https://api.github.com/repositories/1/issues?page=2>; rel=\"next\", "
		"<https://api.github.com/repositories/1/issues?page=5>; rel=\"last\""), 1);
	ck_assert_str_eq(url, "https://api.github.com/repositories/1/issues?page=2");
	free(url);
	ck_assert_int_eq(cl__forge_link_next(&url,
		"<https://x/?page=1>; rel=\"prev\", <https://x/?page=3,4>; rel=\"next last\""), 1);
	ck_assert_str_eq(url, "https://x/?page=3,4");
	free(url);
	ck_assert_int_eq(cl__forge_link_next(&url,
		"<https://x/?page=1>; rel=\"first\", <https://x/?page=2>; rel=\"prev\""), 0);
	ck_assert_ptr_null(url);
	ck_assert_int_eq(cl__forge_link_next(&url, "<https://x/?p=2>; rel=nextpage"), 0);
	ck_assert_int_eq(cl__forge_link_next(&url, "garbage"), 0);
	ck_assert_int_eq(cl__forge_link_next(&url, NULL), 0);
}
END_TEST

/* A GitHub issue as GET /repos/O/R/issues/N shows it. */
static char *gh_issue(unsigned n, const char *state, const char *assignee,
	const char *updated, int pull)
{
	cl_buf b = CL_BUF_INIT;

	cl__buf_printf(&b, "{\"url\":\"https://api.github.com/repos/acme/web/issues/%u\","
		"\"id\":%u,\"number\":%u,\"title\":\"Issue %u\",\"user\":{\"login\":\"alice\"},"
		"\"labels\":[],\"state\":\"%s\",\"locked\":false,", n, 1000 + n, n, n,
		state);
	if (assignee)
		cl__buf_printf(&b, "\"assignee\":{\"login\":\"%s\"},\"assignees\":"
			"[{\"login\":\"%s\"},{\"login\":\"zed\"}],", assignee, assignee);
	else
		cl__buf_puts(&b, "\"assignee\":null,\"assignees\":[],");
	if (pull)
		cl__buf_printf(&b, "\"pull_request\":{\"url\":"
			"\"https://api.github.com/repos/acme/web/pulls/%u\"},", n);
	cl__buf_printf(&b, "\"comments\":0,\"created_at\":\"2024-04-01T08:00:00Z\","
		"\"updated_at\":\"%s\",\"closed_at\":null,\"body\":\"text\"}", updated);
	ck_assert(!b.failed);
	return cl__buf_detach(&b);
}

START_TEST(issue_json)
{
	cl__forge_issue is;
	cl__forge_issues list;
	char *json = gh_issue(7, "closed", "bob", "2024-05-02T10:00:00Z", 0);
	cl_buf arr = CL_BUF_INIT;

	ck_assert_int_eq(cl__forge_parse_issue(&is, json, strlen(json)), 0);
	ck_assert_uint_eq(is.number, 7);
	ck_assert_str_eq(is.title, "Issue 7");
	ck_assert_str_eq(is.state, "closed");
	ck_assert_int_eq(is.closed, 1);
	ck_assert_str_eq(is.owner, "bob");
	ck_assert_int_eq(is.pull, 0);
	ck_assert_int_eq(is.updated_at, when("2024-05-02T10:00:00Z"));
	cl__forge_issue_clear(&is);
	free(json);

	/* only the old single assignee; "pull_request": null is no PR */
	json = "{\"number\":3,\"state\":\"open\",\"assignee\":{\"login\":\"amy\"},"
		"\"assignees\":null,\"pull_request\":null}";
	ck_assert_int_eq(cl__forge_parse_issue(&is, json, strlen(json)), 0);
	ck_assert_str_eq(is.owner, "amy");
	ck_assert_int_eq(is.closed, 0);
	ck_assert_int_eq(is.pull, 0);
	ck_assert_int_eq(is.updated_at, 0);
	ck_assert_ptr_null(is.title);
	ck_assert_int_eq(is.snoozed, 0);
	cl__forge_issue_clear(&is);

	/* the snooze label, any case; created_at */
	json = "{\"number\":4,\"state\":\"open\",\"created_at\":"
		"\"2026-11-02T09:00:00Z\",\"labels\":[{\"name\":\"bug\"},"
		"{\"name\":\"closeloop:Snooze\"}]}";
	ck_assert_int_eq(cl__forge_parse_issue(&is, json, strlen(json)), 0);
	ck_assert_int_eq(is.snoozed, 1);
	ck_assert_int_eq(is.created_at, 1793610000);
	cl__forge_issue_clear(&is);

	ck_assert_int_eq(cl__forge_parse_issue(&is, "{}", 2), CL_EINVALID);
	ck_assert_int_eq(cl__forge_parse_issue(&is, "[1]", 3), CL_EINVALID);
	ck_assert_int_eq(cl__forge_parse_issue(&is, "{\"number\":", 10),
		CL_EINVALID);

	json = gh_issue(8, "open", NULL, "2024-05-02T10:00:00Z", 1);
	cl__buf_printf(&arr, "[%s,{\"title\":\"no number\"}]", json);
	free(json);
	ck_assert_int_eq(cl__forge_parse_issues(&list, arr.ptr, arr.len), 0);
	ck_assert_uint_eq(list.raw, 2);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.items[0].pull, 1);
	ck_assert_ptr_null(list.items[0].owner);
	cl__forge_issues_clear(&list);
	cl__buf_free(&arr);
	ck_assert_int_eq(cl__forge_parse_issues(&list, "{}", 2), CL_EINVALID);
}
END_TEST

/* delivered and link after feeding pages */
static void ck_delivery(cl__forge_delivery *d, int want, const char *link)
{
	const char *got = NULL;

	ck_assert_int_eq(cl__forge_delivered(d, &got), want);
	if (link)
		ck_assert_str_eq(got, link);
	else
		ck_assert_ptr_null(got);
}

#define EV(id, kind, at) "{\"id\":" #id ",\"event\":\"" kind "\",\"created_at\":\"" at "\"}"
#define CM(id, body, at) "{\"id\":" #id ",\"body\":\"" body "\",\"created_at\":\"" at "\",\"updated_at\":\"2030-01-01T00:00:00Z\"}"

static void feed(cl__forge_delivery *d, cl__forge_source src, const char *json,
	size_t want_items)
{
	size_t items = 99;

	ck_assert_int_eq(cl__forge_delivery_page(d, src, json, strlen(json),
		&items), 0);
	ck_assert_uint_eq(items, want_items);
}

START_TEST(delivery_pages)
{
	cl__forge_delivery d;

	/* never reopened: any reply counts, the latest wins */
	memset(&d, 0, sizeof(d));
	feed(&d, CL__FORGE_COMMENTS, "[" CM(1, "Customer-Reply: https://x/1",
		"2024-05-01T09:00:00Z") "," CM(2, "hello", "2024-05-01T10:00:00Z") ","
		CM(3, "Customer-Reply: https://x/3\\r\\n\\r\\n<!-- closeloop -->",
		"2024-05-01T11:00:00Z") "]", 3);
	feed(&d, CL__FORGE_EVENTS, "[" EV(1, "closed", "2024-05-01T12:00:00Z") "]", 1);
	ck_delivery(&d, 1, "https://x/3");
	cl__forge_delivery_clear(&d);

	/* reopened after the reply, events read after the comments: the
	 * edit time of the comment (2030) does not move it */
	memset(&d, 0, sizeof(d));
	feed(&d, CL__FORGE_COMMENTS, "[" CM(1, "Customer-Reply: https://x/1",
		"2024-05-01T09:00:00Z") "]", 1);
	feed(&d, CL__FORGE_EVENTS, "[" EV(1, "closed", "2024-05-01T12:00:00Z") ","
		EV(2, "reopened", "2024-05-02T08:00:00Z") "," EV(3, "labeled",
		"2024-05-03T08:00:00Z") "]", 3);
	ck_delivery(&d, 0, NULL);
	/* a reply in the same second as the reopen counts */
	feed(&d, CL__FORGE_COMMENTS, "[" CM(4, "Customer-Reply: https://x/4",
		"2024-05-02T08:00:00Z") "]", 1);
	ck_delivery(&d, 1, "https://x/4");
	/* a later reopen (events on a later page) takes it back */
	feed(&d, CL__FORGE_EVENTS, "[" EV(4, "reopened", "2024-05-04T08:00:00Z") "]", 1);
	ck_delivery(&d, 0, NULL);
	cl__forge_delivery_clear(&d);

	/* Gitea's timeline holds both */
	memset(&d, 0, sizeof(d));
	feed(&d, CL__FORGE_TIMELINE, "[{\"type\":\"comment\",\"body\":\"Customer-Reply: a\","
		"\"created_at\":\"2024-05-01T09:00:00+02:00\"},{\"type\":\"reopen\","
		"\"created_at\":\"2024-05-01T09:30:00+02:00\"},{\"type\":\"comment\","
		"\"body\":\"Customer-Reply: b\",\"created_at\":\"2024-05-01T08:00:00Z\"}]", 3);
	ck_delivery(&d, 1, "b");
	cl__forge_delivery_clear(&d);

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(cl__forge_delivery_page(&d, CL__FORGE_EVENTS, "{}", 2,
		&(size_t){ 0 }), CL_EINVALID);
	feed(&d, CL__FORGE_EVENTS, "[]", 0);
	ck_delivery(&d, 0, NULL);
	cl__forge_delivery_clear(&d);
}
END_TEST

/* Webhooks ******************************************************************/

static cl_tracker_backend *backend(const char *url, const char *project,
	const char *const *labels, size_t nlabels)
{
	cl_tracker_settings s;
	cl_tracker_backend *b = NULL;

	memset(&s, 0, sizeof(s));
	s.name = "gh";
	s.type = "github";
	s.url = url;
	s.token = TOKEN;
	s.project = project;
	s.resolved_labels = labels;
	s.n_resolved_labels = nlabels;
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), 0);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* "sha256=" and the hex HMAC, computed with the core's primitive */
static void sign(char out[72], const char *secret, const char *body,
	size_t len)
{
	unsigned char mac[32];

	ck_assert_int_eq(cl__hmac_sha256(mac, secret, strlen(secret), body,
		len), 0);
	memcpy(out, "sha256=", 7);
	cl__hex(out + 7, mac, 32);
}

typedef struct {
	cl_header headers[6];
	cl_webhook hook;
} delivery;

static void delivery_init(delivery *d, const char *event, const char *sig,
	const char *body, size_t len)
{
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	d->headers[n].name = "Content-Type";
	d->headers[n++].value = "application/json";
	if (event) {
		d->headers[n].name = "X-GitHub-Event";
		d->headers[n++].value = event;
	}
	if (sig) {
		d->headers[n].name = "X-Hub-Signature-256";
		d->headers[n++].value = sig;
	}
	d->headers[n].name = "X-GitHub-Delivery";
	d->headers[n++].value = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
	d->hook.headers = d->headers;
	d->hook.n_headers = n;
	d->hook.body = body;
	d->hook.body_len = len;
}

START_TEST(doc_test_vector)
{
	cl_tracker_backend *b = backend("https://api.github.com", "o/r", NULL, 0);
	delivery d;
	const char *body = "Hello, World!";

	delivery_init(&d, "ping", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		body, strlen(body));
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)), 0);
	/* GitHub writes lowercase; uppercase hex is the same MAC */
	d.headers[2].value = "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)), 0);
	/* another secret, another body */
	d.headers[2].value = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "It's a secret to everybody",
		26), CL_EAUTH);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "does not match"));
	d.hook.body_len--;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, SECRET, strlen(SECRET)),
		CL_EAUTH);
	b->free(b);
}
END_TEST

START_TEST(verify_problems)
{
	cl_tracker_backend *b = backend("https://api.github.com", "o/r", NULL, 0);
	const char *body = "{\"zen\":\"Keep it logically awesome.\"}";
	char sig[72];
	delivery d;

	sign(sig, "s3cret", body, strlen(body));
	delivery_init(&d, "ping", NULL, body, strlen(body));
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	ck_assert_str_eq(cl_error_last()->message,
		"missing X-Hub-Signature-256 header");
	delivery_init(&d, "ping", "", body, strlen(body));
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	ck_assert_str_eq(cl_error_last()->message,
		"missing X-Hub-Signature-256 header");
	/* the old SHA-1 header's form, and a bare hex */
	d.headers[2].value = "sha1=0123456789abcdef0123456789abcdef01234567";
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "sha256="));
	d.headers[2].value = sig + 7;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	d.headers[2].value = "sha256=abc";
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "64 hex digits"));
	sig[10] = 'g';
	d.headers[2].value = sig;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "64 hex digits"));
	sign(sig, "s3cret", body, strlen(body));
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), 0);
	/* no secret: nothing is authentic */
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, NULL, 0), CL_EAUTH);
	b->free(b);
}
END_TEST

START_TEST(delivery_ids)
{
	cl_tracker_backend *b = backend("https://api.github.com", "o/r", NULL, 0);
	char buf[CL_DELIVERY_ID_MAX];
	delivery d;

	delivery_init(&d, "issues", NULL, "{}", 2);
	ck_assert_int_eq(b->webhook_id(b, &d.hook, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	ck_assert_int_eq(b->webhook_id(b, &d.hook, buf, 10), CL_EINVALID);
	d.headers[2].value = "72d3162e cc78\n";
	ck_assert_int_eq(b->webhook_id(b, &d.hook, buf, sizeof(buf)), CL_EINVALID);
	/* none: the core hashes the body */
	d.headers[2].value = "";
	ck_assert_int_eq(b->webhook_id(b, &d.hook, buf, sizeof(buf)), CL_ENOTFOUND);
	d.hook.n_headers = 2;
	ck_assert_int_eq(b->webhook_id(b, &d.hook, buf, sizeof(buf)), CL_ENOTFOUND);
	b->free(b);
}
END_TEST

/* The examples of GitHub's docs */

static json_object *octokit(void)
{
	const char *top = getenv("top_srcdir");
	const char *require = getenv("CLOSELOOP_REQUIRE_TESTDATA");
	char path[1024];
	json_object *root;

	snprintf(path, sizeof(path), "%s/tests/data/octokit/index.json",
		top ? top : ".");
	if (access(path, R_OK) != 0) {
		ck_assert_msg(require == NULL || strcmp(require, "1") != 0,
			"%s is missing (run scripts/fetch-test-data)", path);
		printf("# %s is missing: run scripts/fetch-test-data; "
			"GitHub's examples not replayed\n", path);
		return NULL;
	}
	root = json_object_from_file(path);
	ck_assert_msg(json_object_is_type(root, json_type_array),
		"%s is not the examples index", path);
	return root;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
}

/* What the spec says each example means; written apart from the code. */
static cl_tevent_kind expected_kind(const char *event, json_object *ex,
	int bug_resolves)
{
	const char *action = get_str(ex, "action");
	json_object *pr = get(get(ex, "issue"), "pull_request");

	if (pr != NULL && !json_object_is_type(pr, json_type_null))
		return CL_TEVENT_IGNORED;
	if (strcmp(event, "issue_comment") == 0) {
		if (strcmp(action, "created") == 0)
			return CL_TEVENT_COMMENT;
		return strcmp(action, "deleted") == 0 ? CL_TEVENT_IGNORED :
			CL_TEVENT_ACTIVITY;
	}
	if (strcmp(action, "opened") == 0)
		return CL_TEVENT_OPENED;
	if (strcmp(action, "closed") == 0)
		return CL_TEVENT_CLOSED;
	if (strcmp(action, "reopened") == 0)
		return CL_TEVENT_REOPENED;
	if (strcmp(action, "assigned") == 0 || strcmp(action, "unassigned") == 0)
		return CL_TEVENT_ASSIGNED;
	if (strcmp(action, "labeled") == 0 && bug_resolves &&
	    strcmp(get_str(get(ex, "label"), "name"), "bug") == 0)
		return CL_TEVENT_RESOLVED;
	if (strcmp(action, "deleted") == 0)
		return CL_TEVENT_IGNORED;
	return CL_TEVENT_ACTIVITY;
}

static const char *first_assignee(json_object *issue)
{
	json_object *list = get(issue, "assignees");

	if (json_object_is_type(list, json_type_array) &&
	    json_object_array_length(list) > 0)
		return get_str(json_object_array_get_idx(list, 0), "login");
	return get(issue, "assignee") ? get_str(get(issue, "assignee"), "login") :
		NULL;
}

/* Parse one example as a signed delivery and check every field. */
static void replay(const char *event, json_object *ex, int bug_resolves)
{
	static const char *const labels[] = { "Bug" };
	json_object *issue = get(ex, "issue"), *comment = get(ex, "comment");
	const char *repo = get_str(get(ex, "repository"), "full_name");
	const char *action = get_str(ex, "action");
	const char *body = json_object_to_json_string_ext(ex,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	const char *owner = first_assignee(issue), *state, *stamp;
	cl_tracker_backend *b = backend("https://api.github.com", repo, labels,
		bug_resolves ? 1 : 0);
	cl_tevent_kind want = expected_kind(event, ex, bug_resolves);
	char sig[72], *copy;
	size_t len = strlen(body);
	cl_tevent ev;
	delivery d;

	ck_assert_ptr_nonnull(repo);
	sign(sig, "s3cret", body, len);
	delivery_init(&d, event, sig, body, len);
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), 0);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), 0);
	ck_assert_msg(ev.kind == want, "%s %s: kind %d, want %d", event, action,
		ev.kind, want);
	ck_assert_uint_eq(ev.ref.number,
		(uint64_t)json_object_get_int64(get(issue, "number")));
	ck_assert_str_eq(ev.project, repo);
	ck_assert_ptr_eq(ev.ref.project, ev.project);
	ck_assert_str_eq(ev.actor, get_str(get(ex, "sender"), "login"));
	ck_assert_str_eq(ev.owner, owner ? owner : "");
	state = get_str(issue, "state");
	ck_assert_int_eq(ev.closed, state != NULL && strcmp(state, "closed") == 0);
	if (comment && want != CL_TEVENT_IGNORED)
		stamp = get_str(comment, want == CL_TEVENT_COMMENT ? "created_at" :
			"updated_at");
	else
		stamp = get_str(issue, "updated_at");
	if (want != CL_TEVENT_IGNORED || !comment)
		ck_assert_int_eq(ev.time, when(stamp));
	if (want == CL_TEVENT_COMMENT) {
		ck_assert_str_eq(ev.comment, get_str(comment, "body"));
		ck_assert_int_eq(ev.by_closeloop, 0);
	} else {
		ck_assert_ptr_null(ev.comment);
	}
	if (want == CL_TEVENT_IGNORED)
		ck_assert_ptr_nonnull(ev.reason);
	cl_tevent_clear(&ev);

	/* one byte changed: refused */
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, body, len);
	copy[len / 2] ^= 0x01;
	d.hook.body = copy;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	free(copy);
	d.hook.body = body;
	/* signed with another secret: refused */
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cre7", 6), CL_EAUTH);
	/* missing header, bad prefix */
	d.hook.n_headers = 2;
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	ck_assert_str_eq(cl_error_last()->message,
		"missing X-Hub-Signature-256 header");
	d.hook.n_headers = 4;
	memcpy(sig, "sha512", 6);
	ck_assert_int_eq(b->webhook_verify(b, &d.hook, "s3cret", 6), CL_EAUTH);
	b->free(b);
}

START_TEST(octokit_examples)
{
	json_object *root = octokit(), *e;
	size_t i, j, n_issues = 0, n_comments = 0;

	if (root == NULL)
		return;
	for (i = 0; i < json_object_array_length(root); i++) {
		const char *name;
		json_object *examples;

		e = json_object_array_get_idx(root, i);
		name = get_str(e, "name");
		if (name == NULL || (strcmp(name, "issues") != 0 &&
				     strcmp(name, "issue_comment") != 0))
			continue;
		examples = get(e, "examples");
		ck_assert(json_object_is_type(examples, json_type_array));
		for (j = 0; j < json_object_array_length(examples); j++) {
			json_object *ex = json_object_array_get_idx(examples, j);

			replay(name, ex, 0);
			replay(name, ex, 1);
			if (strcmp(name, "issues") == 0)
				n_issues++;
			else
				n_comments++;
		}
	}
	/* @octokit/webhooks-examples 7.6.1, as pinned */
	ck_assert_uint_eq(n_issues, 29);
	ck_assert_uint_eq(n_comments, 9);
	json_object_put(root);
}
END_TEST

/* The first example of event with action, deep-copied (put it). */
static json_object *example(json_object *root, const char *event,
	const char *action)
{
	size_t i, j;

	for (i = 0; i < json_object_array_length(root); i++) {
		json_object *e = json_object_array_get_idx(root, i), *list;

		if (strcmp(get_str(e, "name"), event) != 0)
			continue;
		list = get(e, "examples");
		for (j = 0; j < json_object_array_length(list); j++) {
			json_object *ex = json_object_array_get_idx(list, j), *copy = NULL;

			if (strcmp(get_str(ex, "action"), action) != 0)
				continue;
			ck_assert_int_eq(json_object_deep_copy(ex, &copy, NULL), 0);
			return copy;
		}
	}
	ck_abort_msg("no %s %s example", event, action);
	return NULL;
}

static int parse_json_text(cl_tracker_backend *b, const char *event,
	const char *body, cl_tevent *ev)
{
	delivery d;

	delivery_init(&d, event, NULL, body, strlen(body));
	return b->webhook_parse(b, &d.hook, ev);
}

static int parse_example(cl_tracker_backend *b, const char *event,
	json_object *ex, cl_tevent *ev)
{
	return parse_json_text(b, event, json_object_to_json_string_ext(ex,
		JSON_C_TO_STRING_PRETTY), ev);
}

START_TEST(octokit_variants)
{
	json_object *root = octokit(), *ex, *issue;
	cl_tracker_backend *b;
	cl_buf form = CL_BUF_INIT;
	cl_tevent ev;
	delivery d;
	char *esc;

	if (root == NULL)
		return;
	b = backend("https://api.github.com", "codertocat/hello-world", NULL, 0);
	/* no example closes: make one from the reopen */
	ex = example(root, "issues", "reopened");
	issue = get(ex, "issue");
	json_object_object_add(ex, "action", json_object_new_string("closed"));
	json_object_object_add(issue, "state", json_object_new_string("closed"));
	ck_assert_int_eq(parse_example(b, "issues", ex, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_CLOSED);
	ck_assert_int_eq(ev.closed, 1);
	ck_assert_str_eq(ev.project, "Codertocat/Hello-World");
	cl_tevent_clear(&ev);
	json_object_put(ex);

	/* a comment by closeloop, on an issue */
	ex = example(root, "issue_comment", "created");
	json_object_object_add(get(ex, "comment"), "body", json_object_new_string(
		"Customer-Reply: https://mail.example.com/m/1\r\n\r\n" CL_COMMENT_MARKER));
	ck_assert_int_eq(parse_example(b, "issue_comment", ex, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_COMMENT);
	ck_assert_int_eq(ev.by_closeloop, 1);
	ck_assert_ptr_nonnull(strstr(ev.comment, "Customer-Reply: https://"));
	cl_tevent_clear(&ev);

	/* form-encoded: the same event; GitHub signs the raw body */
	esc = cl_http_escape(json_object_to_json_string(ex));
	cl__buf_printf(&form, "payload=%s", esc);
	cl_free(esc);
	delivery_init(&d, "issue_comment", NULL, form.ptr, form.len);
	d.headers[0].value = "application/x-www-form-urlencoded";
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_COMMENT);
	ck_assert_int_eq(ev.by_closeloop, 1);
	cl_tevent_clear(&ev);
	d.hook.body = "other=1";
	d.hook.body_len = 7;
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "payload"));
	cl__buf_free(&form);

	/* the same comment on a pull request */
	json_object_object_add(get(ex, "issue"), "pull_request",
		json_object_new_string("https://api.github.com/repos/x/y/pulls/1"));
	ck_assert_int_eq(parse_example(b, "issue_comment", ex, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_IGNORED);
	ck_assert_str_eq(ev.reason, "a pull request");
	ck_assert_ptr_null(ev.comment);
	cl_tevent_clear(&ev);
	json_object_put(ex);
	b->free(b);

	/* another repository */
	b = backend("https://api.github.com", "acme/web", NULL, 0);
	ex = example(root, "issues", "opened");
	ck_assert_int_eq(parse_example(b, "issues", ex, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_IGNORED);
	ck_assert_str_eq(ev.reason, "another repository");
	cl_tevent_clear(&ev);
	/* ping and push are no issue events */
	ck_assert_int_eq(parse_example(b, "ping", ex, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_IGNORED);
	ck_assert_ptr_nonnull(ev.reason);
	json_object_put(ex);
	b->free(b);
	json_object_put(root);
}
END_TEST

START_TEST(malformed)
{
	cl_tracker_backend *b = backend("https://api.github.com", "acme/web", NULL, 0);
	cl_buf big = CL_BUF_INIT;
	cl_tevent ev;
	delivery d;
	int i;

	delivery_init(&d, NULL, NULL, "{}", 2);
	ck_assert_int_eq(b->webhook_parse(b, &d.hook, &ev), CL_EINVALID);
	ck_assert_str_eq(cl_error_last()->message, "missing X-GitHub-Event header");
	ck_assert_int_eq(parse_json_text(b, "issues", "not json", &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "JSON"));
	ck_assert_int_eq(parse_json_text(b, "issues", "[]", &ev), CL_EINVALID);
	ck_assert_int_eq(parse_json_text(b, "issues",
		"{\"issue\":{\"number\":1},\"repository\":{\"full_name\":\"acme/web\"}}",
		&ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "action"));
	ck_assert_int_eq(parse_json_text(b, "issues",
		"{\"action\":\"opened\",\"repository\":{\"full_name\":\"acme/web\"}}",
		&ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "issue"));
	ck_assert_int_eq(parse_json_text(b, "issues",
		"{\"action\":\"opened\",\"issue\":{\"number\":0},"
		"\"repository\":{\"full_name\":\"acme/web\"}}", &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "number"));
	ck_assert_int_eq(parse_json_text(b, "issues",
		"{\"action\":\"opened\",\"issue\":{\"number\":3}}", &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "repository"));
	ck_assert_int_eq(parse_json_text(b, "issue_comment",
		"{\"action\":\"created\",\"issue\":{\"number\":3},"
		"\"repository\":{\"full_name\":\"acme/web\"}}", &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "comment"));
	/* a name that does not fit the event */
	cl__buf_puts(&big, "{\"action\":\"opened\",\"issue\":{\"number\":3},"
		"\"repository\":{\"full_name\":\"acme/web\"},\"sender\":{\"login\":\"");
	for (i = 0; i < CL_TEVENT_MAX_NAME; i++)
		cl__buf_puts(&big, "x");
	cl__buf_puts(&big, "\"}}");
	ck_assert_int_eq(parse_json_text(b, "issues", big.ptr, &ev), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "sender.login"));
	ck_assert_ptr_null(ev.comment);
	/* one byte shorter fits */
	memmove(big.ptr + big.len - 4, big.ptr + big.len - 3, 4);
	ck_assert_int_eq(parse_json_text(b, "issues", big.ptr, &ev), 0);
	ck_assert_uint_eq(strlen(ev.actor), CL_TEVENT_MAX_NAME - 1);
	ck_assert_int_eq(ev.kind, CL_TEVENT_OPENED);
	ck_assert_int_eq(ev.time, 0);
	cl_tevent_clear(&ev);
	cl__buf_free(&big);
	/* labels: only a resolved one resolves, whatever its case */
	b->free(b);
	{
		static const char *const labels[] = { "closeloop:done", "Resolved" };
		const char *lab = "{\"action\":\"labeled\",\"label\":{\"name\":\"resolved\"},"
			"\"issue\":{\"number\":3,\"state\":\"open\"},"
			"\"repository\":{\"full_name\":\"ACME/Web\"}}";

		b = backend("https://api.github.com", "acme/web", labels, 2);
		ck_assert_int_eq(parse_json_text(b, "issues", lab, &ev), 0);
		ck_assert_int_eq(ev.kind, CL_TEVENT_RESOLVED);
		ck_assert_str_eq(ev.project, "ACME/Web");
		ck_assert_str_eq(ev.owner, "");
		ck_assert_str_eq(ev.actor, "");
		cl_tevent_clear(&ev);
		ck_assert_int_eq(parse_json_text(b, "issues",
			"{\"action\":\"labeled\",\"label\":{\"name\":\"wontfix\"},"
			"\"issue\":{\"number\":3},\"repository\":{\"full_name\":\"acme/web\"}}",
			&ev), 0);
		ck_assert_int_eq(ev.kind, CL_TEVENT_ACTIVITY);
		cl_tevent_clear(&ev);
	}
	b->free(b);
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
	seen items[200];
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

	ck_assert_uint_lt(r->count, 200);
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

static const seen *find(const results *r, uint64_t number)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->items[i].number == number)
			return &r->items[i];
	ck_abort_msg("no answer for #%llu", (unsigned long long)number);
	return NULL;
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
		"[tracker \"gh\"]\n\ttype = github\n\turl = %s/\n"
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

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cl-github-XXXXXX");
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

/* GitHub's headers on every request */
static void ck_headers(const httpstub_req *req)
{
	const char *ua = httpstub_req_header(req, "User-Agent");

	ck_assert_str_eq(httpstub_req_header(req, "Authorization"),
		"Bearer " TOKEN);
	ck_assert_str_eq(httpstub_req_header(req, "Accept"),
		"application/vnd.github+json");
	ck_assert_str_eq(httpstub_req_header(req, "X-GitHub-Api-Version"),
		"2022-11-28");
	ck_assert_ptr_nonnull(ua);
	ck_assert_int_eq(strncmp(ua, "closeloop/", 10), 0);
}

static void expect_owned(const char *method, const char *path, int status,
	char *body)
{
	httpstub_expect(stub, method, path, status, body, NULL);
	free(body);
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

	ck_assert_str_eq(cl_tracker_type(t), "github");
	ck_assert_uint_eq(cl_tracker_caps(t), CL_TRACKER_CAP_WEBHOOKS);
	ck_assert_int_eq(cl_tracker_ticket_id(buf, sizeof(buf), t, &ref), 0);
	ck_assert_str_eq(buf, "gh:acme/web#7");
	cl_tracker_free(t);
}
END_TEST

START_TEST(bad_settings)
{
	cl_tracker_settings s;
	cl_tracker_backend *b = (cl_tracker_backend *)&s;

	memset(&s, 0, sizeof(s));
	s.url = "https://api.github.com";
	s.project = "acme";
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), CL_ECONFIG);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "owner/repo"));
	s.project = "acme/web/x";
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), CL_ECONFIG);
	s.project = "acme/we b";
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), CL_ECONFIG);
	s.project = NULL;
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), CL_ECONFIG);
	s.project = "acme/web";
	s.url = "";
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), CL_ECONFIG);
	s.url = "https://api.github.com";
	s.token = "two words";
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), CL_ECONFIG);
	ck_assert_ptr_null(strstr(cl_error_last()->message, "two words"));
}
END_TEST

START_TEST(fetch_issue)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 7, 0 };
	const httpstub_req *req;
	results r;

	memset(&r, 0, sizeof(r));
	expect_owned("GET", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "open", "bob", "2024-05-02T10:00:00Z", 0));
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	ck_assert_uint_eq(r.count, 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, 0);
	ck_assert_int_eq(r.items[0].exists, 1);
	ck_assert_int_eq(r.items[0].closed, 0);
	ck_assert_str_eq(r.items[0].status, "open");
	ck_assert_str_eq(r.items[0].subject, "Issue 7");
	ck_assert_str_eq(r.items[0].owner, "bob");
	ck_assert_int_eq(r.items[0].delivered, -1);
	ck_assert_int_eq(r.items[0].has_reply, 0);
	ck_assert_int_eq(r.items[0].updated_at, when("2024-05-02T10:00:00Z"));
	ck_assert_uint_eq(httpstub_count(stub), 1);
	req = httpstub_request(stub, 0);
	ck_assert_str_eq(req->method, "GET");
	ck_assert_str_eq(req->query, "");
	ck_headers(req);
	ck_assert_ptr_null(httpstub_req_header(req, "Content-Type"));

	/* closed and unassigned */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	expect_owned("GET", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "closed", NULL, "2024-05-02T10:00:00Z", 0));
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].closed, 1);
	ck_assert_int_eq(r.items[0].has_owner, 0);
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_missing)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[2] = { { CL_REF_CLOSE, NULL, 404, 0 },
		{ CL_REF_CLOSE, NULL, 410, 0 } };
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/404", 404,
		"{\"message\":\"Not Found\"}", NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/410", 410,
		"{\"message\":\"This issue was deleted\"}", NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web", 200,
		"{\"full_name\":\"acme/web\"}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 2, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(find(&r, 404)->error, 0);
	ck_assert_int_eq(find(&r, 404)->exists, 0);
	ck_assert_int_eq(find(&r, 410)->error, 0);
	ck_assert_int_eq(find(&r, 410)->exists, 0);
	ck_assert_uint_ge(count_path("/repos/acme/web"), 1);
	/* the repository answered once: a later 404 needs no check */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/404", 404, "{}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].exists, 0);
	ck_assert_uint_eq(httpstub_count(stub), 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_hidden_repo)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 5, 0 };
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/5", 404,
		"{\"message\":\"Not Found\"}", NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web", 404,
		"{\"message\":\"Not Found\"}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(r.items[0].message,
		"has no repository acme/web, or the token cannot see it"));
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_refused)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 5, 0 };
	char *login = NULL;
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/5", 401,
		"{\"message\":\"Bad credentials " TOKEN "\"}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_str_eq(r.items[0].message, "the GitHub token was refused (401)");
	/* a 403 quotes GitHub, unless GitHub quotes the token */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/5", 403,
		"{\"message\":\"Resource not accessible by personal access token\"}",
		NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(r.items[0].message,
		"(403): Resource not accessible by personal access token"));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/user", 403,
		"{\"message\":\"token " TOKEN " is blocked\"}", NULL);
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000),
		CL_ETRACKER);
	ck_assert_ptr_null(login);
	ck_no_token(cl_error_last()->message);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "(403)"));
	/* the server is down */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/5", 502, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(r.items[0].message, "HTTP 502"));
	ck_assert_uint_gt(count_path("/repos/acme/web/issues/5"), 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_concurrent)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[4] = { { CL_REF_CLOSE, NULL, 1, 0 },
		{ CL_REF_CLOSE, NULL, 2, 0 }, { CL_REF_CLOSE, NULL, 3, 0 },
		{ CL_REF_CLOSE, NULL, 4, 0 } };
	char path[64];
	int64_t start;
	results r;
	unsigned i;

	memset(&r, 0, sizeof(r));
	for (i = 1; i <= 4; i++) {
		char *body = gh_issue(i, "open", "bob", "2024-05-02T10:00:00Z", 0);
		httpstub_resp slow = { 200, body, 0, NULL, 600, 0 };

		snprintf(path, sizeof(path), "/repos/acme/web/issues/%u", i);
		httpstub_expect_resp(stub, "GET", path, &slow);
		free(body);
	}
	start = cl_http_now_ms();
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 4, on_ticket, &r), 0);
	run(t);
	/* one after the other would take 2.4 s */
	ck_assert_int_lt(cl_http_now_ms() - start, 1800);
	ck_assert_uint_eq(r.count, 4);
	for (i = 1; i <= 4; i++)
		ck_assert_int_eq(find(&r, i)->exists, 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_other_repos)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref others[2] = { { CL_REF_MENTION, "acme/other", 7, 0 },
		{ CL_REF_MENTION, NULL, 0, 0 } };
	cl_ref mixed[2] = { { CL_REF_MENTION, "acme/other", 8, 0 },
		{ CL_REF_MENTION, "ACME/Web", 9, 0 } };
	cl_ref ref = others[0];
	results r;

	/* only other repositories: they ride on GET /repos/acme/web */
	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/repos/acme/web", 200, "{}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, others, NULL, 2, on_ticket, &r), 0);
	ck_assert_uint_eq(r.count, 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_str_eq(r.items[0].project, "acme/other");
	ck_assert_int_eq(r.items[0].exists, 0);
	ck_assert_int_eq(r.items[0].error, 0);
	ck_assert_int_eq(r.items[1].exists, 0);
	ck_assert_uint_eq(httpstub_count(stub), 1);
	ck_assert_str_eq(httpstub_request(stub, 0)->path, "/repos/acme/web");

	/* with an issue of the repository (named in another case), they ride
	 * on its request, even a failing one */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/9", 500, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, mixed, NULL, 2, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(find(&r, 8)->error, 0);
	ck_assert_int_eq(find(&r, 8)->exists, 0);
	ck_assert_int_eq(find(&r, 9)->error, CL_ETRACKER);
	ck_assert_uint_eq(count_path("/repos/acme/other/issues/8"), 0);

	/* writes refuse them at once */
	httpstub_reset(stub);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0,
		cl_http_now_ms() + 5000), CL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "acme/other#7"));
	ck_assert_uint_eq(httpstub_count(stub), 0);
	cl_tracker_free(t);
}
END_TEST

#define EVENTS_7 "[" EV(1, "labeled", "2024-05-01T08:00:00Z") "," \
	EV(2, "closed", "2024-05-01T09:05:00Z") "," \
	EV(3, "reopened", "2024-05-02T08:00:00Z") "]"
#define COMMENTS_7 "[" CM(11, "Customer-Reply: https://mail.example.com/m/1", \
	"2024-05-01T09:00:00Z") "," CM(12, "still broken", "2024-05-02T08:30:00Z") \
	"," CM(13, "Customer-Reply: #7 <abc@mail.example.com>\\r\\n\\r\\n<!-- closeloop -->", \
	"2024-05-02T09:00:00Z") "]"
#define COMMENTS_8 "[" CM(21, "Customer-Reply: https://mail.example.com/m/2", \
	"2024-05-01T09:00:00Z") "]"

START_TEST(fetch_delivery)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[3] = { { CL_REF_CLOSE, NULL, 7, 0 },
		{ CL_REF_CLOSE, NULL, 8, 0 }, { CL_REF_CLOSE, NULL, 9, 0 } };
	unsigned int flags[3] = { CL_FETCH_DELIVERY, CL_FETCH_DELIVERY, 0 };
	const seen *s;
	results r;

	memset(&r, 0, sizeof(r));
	expect_owned("GET", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "closed", "bob", "2024-05-02T10:00:00Z", 0));
	expect_owned("GET", "/repos/acme/web/issues/8", 200,
		gh_issue(8, "closed", "bob", "2024-05-02T10:00:00Z", 0));
	expect_owned("GET", "/repos/acme/web/issues/9", 200,
		gh_issue(9, "closed", "bob", "2024-05-02T10:00:00Z", 0));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/events", 200,
		EVENTS_7, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/comments", 200,
		COMMENTS_7, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/8/events", 200,
		EVENTS_7, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/8/comments", 200,
		COMMENTS_8, NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, refs, flags, 3, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 3);
	/* the reply after the reopen, written by closeloop, counts */
	s = find(&r, 7);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->delivered, 1);
	ck_assert_str_eq(s->reply, "<abc@mail.example.com>");
	/* the only reply came before the reopen */
	s = find(&r, 8);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->delivered, 0);
	ck_assert_int_eq(s->has_reply, 0);
	/* not asked */
	ck_assert_int_eq(find(&r, 9)->delivered, -1);
	ck_assert_uint_eq(count_path("/repos/acme/web/issues/9/events"), 0);
	ck_assert_str_eq(request_to("GET", "/repos/acme/web/issues/7/events")->query,
		"per_page=100&page=1");
	ck_assert_str_eq(request_to("GET", "/repos/acme/web/issues/7/comments")->query,
		"per_page=100&page=1");
	ck_headers(request_to("GET", "/repos/acme/web/issues/7/comments"));
	cl_tracker_free(t);
}
END_TEST

START_TEST(delivery_pages_over_http)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 7, 0 };
	unsigned int flag = CL_FETCH_DELIVERY;
	cl_buf page1 = CL_BUF_INIT;
	const httpstub_req *req;
	results r;
	size_t i, n;
	int k;

	/* 100 label events, then a reopen on page 2 after the reply */
	cl__buf_puts(&page1, "[");
	for (k = 0; k < 100; k++)
		cl__buf_printf(&page1, "%s{\"id\":%d,\"event\":\"labeled\","
			"\"created_at\":\"2024-05-01T08:00:00Z\"}", k ? "," : "", k);
	cl__buf_puts(&page1, "]");
	memset(&r, 0, sizeof(r));
	expect_owned("GET", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "closed", "bob", "2024-05-02T10:00:00Z", 0));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/events", 200,
		page1.ptr, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/events", 200,
		"[" EV(200, "reopened", "2024-05-03T08:00:00Z") "]", NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/comments", 200,
		COMMENTS_7, NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, &flag, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, 0);
	ck_assert_int_eq(r.items[0].delivered, 0);
	ck_assert_uint_eq(count_path("/repos/acme/web/issues/7/events"), 2);
	for (i = 0, n = 0; i < httpstub_count(stub); i++) {
		req = httpstub_request(stub, i);
		if (strcmp(req->path, "/repos/acme/web/issues/7/events") != 0)
			continue;
		ck_assert_str_eq(req->query, n++ ? "per_page=100&page=2" :
			"per_page=100&page=1");
	}
	ck_assert_uint_eq(count_path("/repos/acme/web/issues/7/comments"), 1);

	/* a failing page fails the lookup */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	expect_owned("GET", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "closed", "bob", "2024-05-02T10:00:00Z", 0));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/events", 200,
		EVENTS_7, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/comments", 500,
		"", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, &flag, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(r.items[0].message, "HTTP 500"));
	/* an answer that is no list */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	expect_owned("GET", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "closed", "bob", "2024-05-02T10:00:00Z", 0));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/events", 200,
		"<html>", NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/7/comments", 200,
		"[]", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, &flag, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(r.items[0].message, "cannot read"));
	cl__buf_free(&page1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(free_while_busy)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[2] = { { CL_REF_CLOSE, NULL, 7, 0 },
		{ CL_REF_CLOSE, "other/repo", 7, 0 } };
	unsigned int flags[2] = { CL_FETCH_DELIVERY, 0 };
	httpstub_resp slow = { 200, "{}", 0, NULL, 2000, 0 };
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect_resp(stub, "GET", "/repos/acme/web/issues/7", &slow);
	ck_assert_int_eq(cl_tracker_fetch(t, refs, flags, 2, on_ticket, &r), 0);
	cl_http_poll(cl_tracker_http(t));
	cl_tracker_free(t);
	ck_assert_uint_eq(r.count, 0);
}
END_TEST

START_TEST(comment)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_MENTION, NULL, 42, 0 };
	int64_t deadline = cl_http_now_ms() + 5000;
	const httpstub_req *req;

	httpstub_expect(stub, "POST", "/repos/acme/web/issues/42/comments", 201,
		"{\"id\":1,\"body\":\"x\"}", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "Reminder: \"reply\" to </b>",
		1, deadline), 0);
	ck_assert_uint_eq(httpstub_count(stub), 1);
	req = httpstub_request(stub, 0);
	ck_assert_str_eq(req->method, "POST");
	ck_assert_str_eq(req->body, "{\"body\":\"Reminder: \\\"reply\\\" to </b>"
		"\\n\\n<!-- closeloop -->\"}");
	ck_assert_str_eq(httpstub_req_header(req, "Content-Type"),
		"application/json");
	ck_headers(req);
	/* the core's reply fallback goes through comment */
	ck_assert_int_eq(cl_tracker_set_reply(t, &ref, "<m1@mail.example.com>",
		"alice", deadline), 0);
	ck_assert_str_eq(httpstub_request(stub, 1)->body,
		"{\"body\":\"Customer-Reply: <m1@mail.example.com>\\n\\n<!-- closeloop -->\"}");
	/* no second marker */
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x " CL_COMMENT_MARKER, 0,
		deadline), 0);
	ck_assert_str_eq(httpstub_request(stub, 2)->body,
		"{\"body\":\"x <!-- closeloop -->\"}");
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "", 0, deadline), CL_EINVALID);

	httpstub_reset(stub);
	httpstub_expect(stub, "POST", "/repos/acme/web/issues/42/comments", 404,
		"{\"message\":\"Not Found\"}", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ENOTFOUND);
	ck_assert_str_eq(cl_error_last()->message,
		"github issue acme/web#42 does not exist");
	httpstub_reset(stub);
	httpstub_expect(stub, "POST", "/repos/acme/web/issues/42/comments", 422,
		"{\"message\":\"Validation Failed\"}", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"refused the change: Validation Failed"));
	/* a comment is no idempotent call: a lost answer must not add it twice */
	httpstub_reset(stub);
	httpstub_expect(stub, "POST", "/repos/acme/web/issues/42/comments", 503,
		"", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ETRACKER);
	ck_no_token(cl_error_last()->message);
	ck_assert_uint_eq(httpstub_count(stub), 1);
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

	d->b = backend(httpstub_url(stub), "acme/web", NULL, 0);
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
	cl_ref other = { CL_REF_MENTION, "acme/other", 7, 0 };
	int64_t deadline = cl_http_now_ms() + 5000;
	const httpstub_req *req;
	direct d;

	direct_open(&d);
	expect_owned("PATCH", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "open", "bob", "2024-05-02T10:00:00Z", 0));
	ck_assert_int_eq(d.b->reopen(d.b, d.http, &ref, deadline), 0);
	req = httpstub_request(stub, 0);
	ck_assert_str_eq(req->method, "PATCH");
	ck_assert_str_eq(req->path, "/repos/acme/web/issues/7");
	ck_assert_str_eq(req->body, "{\"state\":\"open\"}");
	ck_assert_str_eq(httpstub_req_header(req, "Content-Type"),
		"application/json");
	ck_headers(req);
	/* answered, and still closed */
	httpstub_reset(stub);
	expect_owned("PATCH", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "closed", "bob", "2024-05-02T10:00:00Z", 0));
	ck_assert_int_eq(d.b->reopen(d.b, d.http, &ref, deadline), CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"did not reopen acme/web#7: it is still 'closed'"));
	httpstub_reset(stub);
	httpstub_expect(stub, "PATCH", "/repos/acme/web/issues/7", 200, "[]", NULL);
	ck_assert_int_eq(d.b->reopen(d.b, d.http, &ref, deadline), CL_ETRACKER);
	httpstub_reset(stub);
	httpstub_expect(stub, "PATCH", "/repos/acme/web/issues/7", 404, "{}", NULL);
	ck_assert_int_eq(d.b->reopen(d.b, d.http, &ref, deadline), CL_ENOTFOUND);
	ck_assert_int_eq(d.b->reopen(d.b, d.http, &other, deadline), CL_ENOTFOUND);
	ck_no_token(cl_error_last()->message);
	direct_close(&d);
}
END_TEST

START_TEST(whoami)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	char *login = NULL;

	httpstub_expect(stub, "GET", "/user", 200,
		"{\"login\":\"closeloop-bot\",\"id\":1,\"type\":\"Bot\"}", NULL);
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000), 0);
	ck_assert_str_eq(login, "closeloop-bot");
	cl_free(login);
	ck_headers(httpstub_request(stub, 0));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/user", 401,
		"{\"message\":\"Bad credentials\"}", NULL);
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000),
		CL_ETRACKER);
	ck_assert_ptr_null(login);
	ck_assert_str_eq(cl_error_last()->message,
		"the GitHub token was refused (401)");
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/user", 200, "{\"id\":1}", NULL);
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000),
		CL_ETRACKER);
	ck_assert_ptr_null(login);
	cl_tracker_free(t);
}
END_TEST

START_TEST(ghes_base)
{
	cl_tracker_settings s;
	cl_tracker_backend *b = NULL;
	cl_http_opts opts = CL_HTTP_OPTS_INIT;
	cl_http *http = NULL;
	cl_buf url = CL_BUF_INIT;
	char *login = NULL;

	/* GHES: the API is under /api/v3 of the url, as configured */
	cl__buf_printf(&url, "%s/api/v3/", httpstub_url(stub));
	memset(&s, 0, sizeof(s));
	s.url = url.ptr;
	s.project = "acme/web";
	ck_assert_int_eq(cl_tracker_backend_github(&b, &s), 0);
	ck_assert_int_eq(cl_http_new(&http, &opts), 0);
	httpstub_expect(stub, "GET", "/api/v3/user", 200, "{\"login\":\"x\"}", NULL);
	ck_assert_int_eq(b->whoami(b, http, &login, cl_http_now_ms() + 5000), 0);
	ck_assert_str_eq(login, "x");
	free(login);
	/* no token: no Authorization header at all */
	ck_assert_ptr_null(httpstub_req_header(httpstub_request(stub, 0),
		"Authorization"));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/api/v3/user", 401, "{}", NULL);
	ck_assert_int_eq(b->whoami(b, http, &login, cl_http_now_ms() + 5000),
		CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "set tokenFile"));
	cl_http_free(http);
	b->free(b);
	cl__buf_free(&url);
}
END_TEST

static void changes_handler_page(cl_buf *b, unsigned first, unsigned n,
	unsigned closed, unsigned pull)
{
	unsigned i;

	cl__buf_puts(b, "[");
	for (i = first; i < first + n; i++) {
		char stamp[32], *is;

		snprintf(stamp, sizeof(stamp), "2024-05-0%uT10:%02u:%02uZ",
			i > 100 ? 3 : 1, (i / 60) % 60, i % 60);
		is = gh_issue(i, i == closed ? "closed" : "open", "bob", stamp,
			i == pull);
		cl__buf_printf(b, "%s%s", i == first ? "" : ",", is);
		free(is);
	}
	cl__buf_puts(b, "]");
}

START_TEST(changes)
{
	static const char *const link1[] = {
		"Link: <https://api.github.com/repositories/1/issues?page=2>; rel=\"next\", "
		"<https://api.github.com/repositories/1/issues?page=2>; rel=\"last\"",
		NULL
	};
	cl_buf p1 = CL_BUF_INIT, p2 = CL_BUF_INIT;
	int64_t newest = 0, since = when("2024-05-01T00:00:00Z");
	const httpstub_req *req;
	results *r = calloc(1, sizeof(*r));
	size_t i, n;
	direct d;

	ck_assert_ptr_nonnull(r);
	direct_open(&d);
	/* page 1: #1 a pull request, #2 closed and delivered; page 2: #101,
	 * #102 closed and reopened after its reply */
	changes_handler_page(&p1, 1, 100, 2, 1);
	changes_handler_page(&p2, 101, 2, 102, 0);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues", 200, p1.ptr, link1);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues", 200, p2.ptr, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/2/events", 200, "[]", NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/2/comments", 200,
		COMMENTS_8, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/102/events", 200,
		EVENTS_7, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/102/comments", 200,
		COMMENTS_8, NULL);
	ck_assert_int_eq(d.b->changes(d.b, d.http, since, on_ticket, r, &newest,
		cl_http_now_ms() + 10000), 0);
	ck_assert_uint_eq(r->count, 101);
	for (i = 0; i < r->count; i++) {
		ck_assert_int_eq(r->items[i].error, 0);
		ck_assert_int_eq(r->items[i].exists, 1);
		ck_assert_uint_ne(r->items[i].number, 1);
		ck_assert_str_eq(r->items[i].owner, "bob");
	}
	ck_assert_int_eq(find(r, 2)->closed, 1);
	ck_assert_int_eq(find(r, 2)->delivered, 1);
	ck_assert_str_eq(find(r, 2)->reply, "https://mail.example.com/m/2");
	ck_assert_int_eq(find(r, 102)->delivered, 0);
	ck_assert_int_eq(find(r, 3)->delivered, -1);
	ck_assert_int_eq(find(r, 101)->closed, 0);
	ck_assert_int_eq(newest, when("2024-05-03T10:01:42Z"));
	for (i = 0, n = 0; i < httpstub_count(stub); i++) {
		req = httpstub_request(stub, i);
		if (strcmp(req->path, "/repos/acme/web/issues") != 0)
			continue;
		ck_headers(req);
		ck_assert_str_eq(req->query, n++ ?
			"state=all&sort=updated&direction=asc&since=2024-05-01T00%3A00%3A00Z&per_page=100&page=2" :
			"state=all&sort=updated&direction=asc&since=2024-05-01T00%3A00%3A00Z&per_page=100&page=1");
	}
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(count_path("/repos/acme/web/issues/3/events"), 0);

	/* nothing changed: newest stays */
	memset(r, 0, sizeof(*r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues", 200, "[]", NULL);
	ck_assert_int_eq(d.b->changes(d.b, d.http, since, on_ticket, r, &newest,
		cl_http_now_ms() + 10000), 0);
	ck_assert_int_eq(newest, since);
	ck_assert_uint_eq(r->count, 0);
	/* the list fails */
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues", 401, "{}", NULL);
	ck_assert_int_eq(d.b->changes(d.b, d.http, since, on_ticket, r, &newest,
		cl_http_now_ms() + 10000), CL_ETRACKER);
	ck_assert_str_eq(cl_error_last()->message,
		"the GitHub token was refused (401)");
	cl__buf_free(&p1);
	cl__buf_free(&p2);
	free(r);
	direct_close(&d);
}
END_TEST

START_TEST(changes_deadline)
{
	int64_t newest = 0;
	httpstub_resp slow = { 200, COMMENTS_8, 0, NULL, 3000, 0 };
	results r;
	char *list = gh_issue(5, "closed", NULL, "2024-05-02T10:00:00Z", 0);
	cl_buf arr = CL_BUF_INIT;
	direct d;

	direct_open(&d);
	memset(&r, 0, sizeof(r));
	cl__buf_printf(&arr, "[%s]", list);
	free(list);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues", 200, arr.ptr, NULL);
	httpstub_expect(stub, "GET", "/repos/acme/web/issues/5/events", 200, "[]", NULL);
	httpstub_expect_resp(stub, "GET", "/repos/acme/web/issues/5/comments", &slow);
	ck_assert_int_eq(d.b->changes(d.b, d.http, 0, on_ticket, &r, &newest,
		cl_http_now_ms() + 500), CL_ETIMEOUT);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, CL_ETIMEOUT);
	ck_assert_int_eq(newest, when("2024-05-02T10:00:00Z"));
	cl__buf_free(&arr);
	direct_close(&d);
}
END_TEST

/* The core's wrappers: the secret from webhookSecretFile, GitHub's
 * delivery id (or the body's hash without one), and the sync. */
START_TEST(through_the_core)
{
	char extra[512], path[300], sig[72], id[CL_DELIVERY_ID_MAX];
	const char *body = "{\"action\":\"reopened\",\"issue\":{\"number\":7,"
		"\"state\":\"open\",\"assignees\":[{\"login\":\"dana\"}]},"
		"\"repository\":{\"full_name\":\"acme/web\"},\"sender\":{\"login\":\"sam\"}}";
	cl_ref ref = { CL_REF_MENTION, NULL, 7, 0 };
	int64_t newest = 0;
	cl_tracker *t;
	cl_tevent ev;
	results r;
	delivery d;

	/* without a secret file, nothing is authentic */
	t = open_tracker(httpstub_url(stub));
	sign(sig, SECRET, body, strlen(body));
	delivery_init(&d, "issues", sig, body, strlen(body));
	ck_assert_int_eq(cl_tracker_webhook_verify(t, &d.hook), CL_EAUTH);
	cl_tracker_free(t);

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	write_text(path, SECRET "\n", 0600);
	snprintf(extra, sizeof(extra), "\twebhookSecretFile = %s\n", path);
	t = open_tracker_with(httpstub_url(stub), extra);
	ck_assert_int_eq(cl_tracker_webhook_verify(t, &d.hook), 0);
	ck_assert_int_eq(cl_tracker_webhook_parse(t, &d.hook, &ev), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_REOPENED);
	ck_assert_str_eq(ev.owner, "dana");
	ck_assert_str_eq(ev.actor, "sam");
	cl_tevent_clear(&ev);
	ck_assert_int_eq(cl_tracker_webhook_id(t, &d.hook, id, sizeof(id)), 0);
	ck_assert_str_eq(id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	d.hook.n_headers = 3;
	ck_assert_int_eq(cl_tracker_webhook_id(t, &d.hook, id, sizeof(id)), 0);
	ck_assert_int_eq(strncmp(id, "sha256:", 7), 0);
	ck_assert_uint_eq(strlen(id), 7 + 64);

	expect_owned("PATCH", "/repos/acme/web/issues/7", 200,
		gh_issue(7, "open", "bob", "2024-05-02T10:00:00Z", 0));
	ck_assert_int_eq(cl_tracker_reopen(t, &ref, cl_http_now_ms() + 5000), 0);
	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/repos/acme/web/issues", 200, "[]", NULL);
	ck_assert_int_eq(cl_tracker_changes(t, 100, on_ticket, &r, &newest,
		cl_http_now_ms() + 5000), 0);
	ck_assert_int_eq(newest, 100);
	ck_assert_uint_eq(r.count, 0);
	cl_tracker_free(t);
}
END_TEST

static Suite *github_suite(void)
{
	Suite *s = suite_create("github");
	TCase *pure = tcase_create("forge");
	TCase *hooks = tcase_create("webhooks");
	TCase *http = tcase_create("http");

	tcase_add_test(pure, times);
	tcase_add_test(pure, reply_lines);
	tcase_add_test(pure, link_header);
	tcase_add_test(pure, issue_json);
	tcase_add_test(pure, delivery_pages);
	suite_add_tcase(s, pure);

	tcase_set_timeout(hooks, 60);
	tcase_add_test(hooks, doc_test_vector);
	tcase_add_test(hooks, verify_problems);
	tcase_add_test(hooks, delivery_ids);
	tcase_add_test(hooks, octokit_examples);
	tcase_add_test(hooks, octokit_variants);
	tcase_add_test(hooks, malformed);
	suite_add_tcase(s, hooks);

	tcase_add_checked_fixture(http, setup, teardown);
	tcase_set_timeout(http, 30);
	tcase_add_test(http, open_and_caps);
	tcase_add_test(http, bad_settings);
	tcase_add_test(http, fetch_issue);
	tcase_add_test(http, fetch_missing);
	tcase_add_test(http, fetch_hidden_repo);
	tcase_add_test(http, fetch_refused);
	tcase_add_test(http, fetch_concurrent);
	tcase_add_test(http, fetch_other_repos);
	tcase_add_test(http, fetch_delivery);
	tcase_add_test(http, delivery_pages_over_http);
	tcase_add_test(http, free_while_busy);
	tcase_add_test(http, comment);
	tcase_add_test(http, reopen);
	tcase_add_test(http, whoami);
	tcase_add_test(http, ghes_base);
	tcase_add_test(http, changes);
	tcase_add_test(http, changes_deadline);
	tcase_add_test(http, through_the_core);
	suite_add_tcase(s, http);
	return s;
}

CL_TEST_MAIN(github_suite)
