/*
 * test_redmine.c: the Redmine backend and the cl_tracker handle. The JSON
 * mapping runs on answers captured from a real Redmine 5.0.4 (Debian 12)
 * under tests/data/redmine/; the backend runs over HTTP against the stub
 * server, which records what was asked: paths, queries, headers, bodies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "internal.h"
#include "httpstub.h"
#include "redmine_int.h"
#include <closeloop/tracker.h>
#include <closeloop/sys/tracker.h>

#define TOKEN "0f3c9a7d5e1b2468ace013579bdf2468ace01357"
#define REFUSED "the Redmine API key was refused (401)"

/* Fixtures ******************************************************************/

static char *fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/redmine/%s",
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

static const cl__redmine_map reply_map = { "Customer reply", NULL };

static void load_statuses(cl__redmine_statuses *st)
{
	size_t len;
	char *json = fixture("issue_statuses.json", &len);

	ck_assert_int_eq(cl__redmine_parse_statuses(st, json, len), 0);
	free(json);
}

static int64_t when(const char *text)
{
	int64_t t;

	ck_assert_int_eq(cl_time_parse(&t, text), 0);
	return t;
}

/* The mapping ***************************************************************/

START_TEST(statuses)
{
	cl__redmine_statuses st;

	load_statuses(&st);
	ck_assert_uint_eq(st.count, 6);
	ck_assert_str_eq(st.items[0].name, "New");
	ck_assert_int_eq(cl__redmine_status_closed(&st, 1), 0);
	ck_assert_int_eq(cl__redmine_status_closed(&st, 4), 0);
	ck_assert_int_eq(cl__redmine_status_closed(&st, 5), 1);
	ck_assert_int_eq(cl__redmine_status_closed(&st, 6), 1);
	ck_assert_int_eq(cl__redmine_status_closed(&st, 77), -1);
	ck_assert_int_eq(cl__redmine_status_closed(NULL, 1), -1);
	cl__redmine_statuses_clear(&st);
	ck_assert_int_eq(cl__redmine_parse_statuses(&st, "{\"x\":1}", 7),
		CL_EINVALID);
	ck_assert_int_eq(cl__redmine_parse_statuses(&st, "not json", 8),
		CL_EINVALID);
}
END_TEST

START_TEST(issue_list)
{
	cl__redmine_issues list;
	const cl__redmine_issue *is;
	size_t len;
	char *json = fixture("issues.json", &len);

	ck_assert_int_eq(cl__redmine_parse_issues(&list, json, len, &reply_map), 0);
	/* asked for 2..8 and 999: 999 does not exist, so it is not there */
	ck_assert_uint_eq(list.count, 7);
	ck_assert_ptr_null(cl__redmine_issues_find(&list, 999));

	is = cl__redmine_issues_find(&list, 2);
	ck_assert_ptr_nonnull(is);
	ck_assert_str_eq(is->subject, "Invoice shows wrong VAT");
	ck_assert_str_eq(is->status, "New");
	ck_assert_int_eq(is->status_id, 1);
	ck_assert_int_eq(is->closed, 0);
	ck_assert_int_eq(is->owner_id, 7);
	ck_assert_str_eq(is->owner_name, "rmhelper dev");
	ck_assert_int_eq(is->has_reply_field, 1);
	ck_assert_int_eq(is->reply_field_id, 1);
	ck_assert_str_eq(is->reply, "https://mail.example.com/msg/4711");
	ck_assert_int_eq(is->updated_at, when("2026-11-23T10:15:41Z"));

	/* closed, nobody assigned, the field empty (null in the JSON) */
	is = cl__redmine_issues_find(&list, 4);
	ck_assert_ptr_nonnull(is);
	ck_assert_str_eq(is->subject, "Printer on fire");
	ck_assert_str_eq(is->status, "Closed");
	ck_assert_int_eq(is->closed, 1);
	ck_assert_int_eq(is->owner_id, 0);
	ck_assert_ptr_null(is->owner_name);
	ck_assert_int_eq(is->has_reply_field, 1);
	ck_assert_ptr_null(is->reply);

	is = cl__redmine_issues_find(&list, 7);
	ck_assert_ptr_nonnull(is);
	ck_assert_str_eq(is->status, "In Progress");
	ck_assert_int_eq(is->closed, 0);
	cl__redmine_issues_clear(&list);
	free(json);
}
END_TEST

START_TEST(owner_field)
{
	const cl__redmine_map map = { "Customer reply", "accountable" };
	cl__redmine_issues list;
	const cl__redmine_issue *is;
	size_t len;
	char *json = fixture("issues.json", &len);

	ck_assert_int_eq(cl__redmine_parse_issues(&list, json, len, &map), 0);
	/* a user-type field holds the user's id */
	is = cl__redmine_issues_find(&list, 7);
	ck_assert_int_eq(is->owner_id, 8);
	ck_assert_str_eq(is->owner_name, "8");
	/* assigned, but the owner field is empty: unowned */
	is = cl__redmine_issues_find(&list, 2);
	ck_assert_int_eq(is->owner_id, 0);
	ck_assert_ptr_null(is->owner_name);
	cl__redmine_issues_clear(&list);
	free(json);
}
END_TEST

START_TEST(single_issue_and_no_field)
{
	const cl__redmine_map map = { "No such field", NULL };
	cl__redmine_issues list;
	size_t len;
	char *json = fixture("issue_2.json", &len);

	ck_assert_int_eq(cl__redmine_parse_issues(&list, json, len, &map), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.items[0].id, 2);
	ck_assert_int_eq(list.items[0].has_reply_field, 0);
	ck_assert_ptr_null(list.items[0].reply);
	cl__redmine_issues_clear(&list);
	free(json);
	ck_assert_int_eq(cl__redmine_parse_issues(&list, "[]", 2, &map),
		CL_EINVALID);
	ck_assert_int_eq(cl__redmine_parse_issues(&list, "{\"issues\":", 10,
		&map), CL_EINVALID);
}
END_TEST

/* The owner's last journal acknowledges a handoff; others' do not. */
START_TEST(owner_activity)
{
	static const char json[] = "{\"issue\":{\"id\":9,"
		"\"assigned_to\":{\"id\":5,\"name\":\"Dev\"},\"journals\":["
		"{\"id\":1,\"user\":{\"id\":5},\"created_on\":\"2026-11-02T09:00:00Z\"},"
		"{\"id\":2,\"user\":{\"id\":5},\"created_on\":\"2026-11-02T10:00:00Z\"},"
		"{\"id\":3,\"user\":{\"id\":7},\"created_on\":\"2026-11-02T11:00:00Z\"}]}}";
	static const char nobody[] = "{\"issue\":{\"id\":9,\"journals\":["
		"{\"id\":1,\"user\":{\"id\":5},\"created_on\":\"2026-11-02T09:00:00Z\"}]}}";
	cl__redmine_statuses st;
	char *reply = NULL;
	int delivered = -1;
	int64_t at = -1;

	load_statuses(&st);
	ck_assert_int_eq(cl__redmine_delivery(&delivered, &reply, json,
		sizeof(json) - 1, &st, &reply_map, &at), 0);
	ck_assert_int_eq(at, 1793610000 + 3600);
	ck_assert_int_eq(cl__redmine_delivery(&delivered, &reply, nobody,
		sizeof(nobody) - 1, &st, &reply_map, &at), 0);
	ck_assert_int_eq(at, 0);
	cl__redmine_statuses_clear(&st);
}
END_TEST

/* Redmine has no labels: a closeloop:snooze value in any custom field,
 * single or multiple, snoozes the issue; created_on is read. */
START_TEST(snooze_field)
{
	static const char json[] = "{\"issue\":{\"id\":9,\"status\":{\"id\":1,"
		"\"name\":\"New\",\"is_closed\":false},"
		"\"created_on\":\"2026-11-02T09:00:00Z\",\"custom_fields\":["
		"{\"id\":1,\"name\":\"Customer reply\",\"value\":\"\"},"
		"{\"id\":4,\"name\":\"Labels\",\"multiple\":true,"
		"\"value\":[\"vip\",\"Closeloop:Snooze\"]}]}}";
	static const char plain[] = "{\"issue\":{\"id\":9,\"custom_fields\":["
		"{\"id\":4,\"name\":\"Labels\",\"value\":\"closeloop:snoozed\"}]}}";
	cl__redmine_issues list;

	ck_assert_int_eq(cl__redmine_parse_issues(&list, json, sizeof(json) - 1,
		&reply_map), 0);
	ck_assert_int_eq(list.items[0].snoozed, 1);
	ck_assert_int_eq(list.items[0].created_at, 1793610000);
	cl__redmine_issues_clear(&list);
	ck_assert_int_eq(cl__redmine_parse_issues(&list, plain, sizeof(plain) - 1,
		&reply_map), 0);
	ck_assert_int_eq(list.items[0].snoozed, 0);
	ck_assert_int_eq(list.items[0].created_at, 0);
	cl__redmine_issues_clear(&list);
}
END_TEST

/* delivered, and the link that counts, for one journals fixture */
static void delivery_of(const char *name, int want, const char *want_reply)
{
	cl__redmine_statuses st;
	size_t len;
	char *json = fixture(name, &len), *reply = NULL;
	int delivered = -1;

	load_statuses(&st);
	ck_assert_int_eq(cl__redmine_delivery(&delivered, &reply, json, len,
		&st, &reply_map, NULL), 0);
	ck_assert_int_eq(delivered, want);
	if (want_reply)
		ck_assert_str_eq(reply, want_reply);
	else
		ck_assert_ptr_null(reply);
	free(reply);
	free(json);
	cl__redmine_statuses_clear(&st);
}

START_TEST(delivery_reply_after_reopen)
{
	/* a reply before the close, a reopen, a private note whose
	 * "Customer-Reply is still missing" is no reply line, then
	 * "customer-reply:   LINK  " */
	delivery_of("issue_7_journals.json", 1, "https://crm.example.com/call/9");
}
END_TEST

START_TEST(delivery_reply_before_reopen)
{
	delivery_of("issue_5_journals.json", 0, NULL);
}
END_TEST

START_TEST(delivery_field_before_reopen)
{
	/* the field still holds the link, but it was set before the reopen */
	delivery_of("issue_8_journals.json", 0, NULL);
}
END_TEST

START_TEST(delivery_field_at_creation)
{
	delivery_of("issue_2.json", 1, "https://mail.example.com/msg/4711");
}
END_TEST

/* a Redmine-shaped issue with journals, statuses as the defaults */
static void synthetic(const char *journals, const char *field, int want,
	const char *want_reply)
{
	cl__redmine_statuses st;
	cl_buf json = CL_BUF_INIT;
	char *reply = NULL;
	int delivered = -1;

	cl__buf_printf(&json,
		"{\"issue\":{\"id\":9,\"status\":{\"id\":2,\"name\":\"In Progress\"},"
		"\"custom_fields\":[{\"id\":1,\"name\":\"Customer reply\",\"value\":%s}],"
		"\"journals\":[%s]}}", field, journals);
	load_statuses(&st);
	ck_assert_int_eq(cl__redmine_delivery(&delivered, &reply, json.ptr,
		json.len, &st, &reply_map, NULL), 0);
	ck_assert_int_eq(delivered, want);
	if (want_reply)
		ck_assert_str_eq(reply, want_reply);
	else
		ck_assert_ptr_null(reply);
	free(reply);
	cl__buf_free(&json);
	cl__redmine_statuses_clear(&st);
}

#define CLOSE_J "{\"notes\":\"\",\"details\":[{\"property\":\"attr\",\"name\":\"status_id\",\"old_value\":\"1\",\"new_value\":\"5\"}]}"
#define REOPEN_J(notes) "{\"notes\":\"" notes "\",\"details\":[{\"property\":\"attr\",\"name\":\"status_id\",\"old_value\":\"5\",\"new_value\":\"2\"}]}"
#define NOTE_J(notes) "{\"notes\":\"" notes "\",\"details\":[]}"
#define FIELD_J(v) "{\"notes\":\"\",\"details\":[{\"property\":\"cf\",\"name\":\"1\",\"old_value\":null,\"new_value\":" v "}]}"

START_TEST(delivery_edges)
{
	/* a reply given in the reopening change itself counts */
	synthetic(CLOSE_J "," REOPEN_J("Customer-Reply: https://x/1"), "null",
		1, "https://x/1");
	/* the field set after the reopen counts; its value is the link */
	synthetic(CLOSE_J "," REOPEN_J("") "," FIELD_J("\"https://x/2\""),
		"\"https://x/2\"", 1, "https://x/2");
	/* set after the reopen, then cleared: gone */
	synthetic(CLOSE_J "," REOPEN_J("") "," FIELD_J("\"https://x/2\"") ","
		FIELD_J("\"\""), "null", 0, NULL);
	/* a closed-to-closed change (Closed -> Rejected) is no reopen */
	synthetic(NOTE_J("Customer-Reply: https://x/3") ","
		"{\"notes\":\"\",\"details\":[{\"property\":\"attr\",\"name\":\"status_id\",\"old_value\":\"5\",\"new_value\":\"6\"}]}",
		"null", 1, "https://x/3");
	/* the latest of several replies, the ticket named as in a trailer */
	synthetic(NOTE_J("Customer-Reply: https://x/4") ","
		NOTE_J("done\\r\\nCustomer-Reply: #9 <abc@mail.example.com>\\r\\n"),
		"null", 1, "<abc@mail.example.com>");
	/* not at the start of a line, or no link: nothing */
	synthetic(NOTE_J("see Customer-Reply: https://x/5") ","
		NOTE_J("Customer-Reply:   ") "," NOTE_J("Customer-Reply https://x/6"),
		"null", 0, NULL);
	/* no journals at all */
	synthetic("", "null", 0, NULL);
}
END_TEST

START_TEST(reply_line)
{
	const char *link;
	size_t len;

	ck_assert_int_eq(cl__reply_line(&link, &len,
		"CUSTOMER-REPLY:https://a/b"), 1);
	ck_assert_uint_eq(len, strlen("https://a/b"));
	ck_assert_int_eq(strncmp(link, "https://a/b", len), 0);
	ck_assert_int_eq(cl__reply_line(&link, &len,
		"x\n  Customer-Reply: https://a/b"), 0);
	ck_assert_int_eq(cl__reply_line(&link, &len, NULL), 0);
	ck_assert_int_eq(cl__reply_line(&link, &len,
		"Customer-Reply: #12"), 1);
	/* "#12" alone is no ticket followed by a link: it is the link */
	ck_assert_int_eq(strncmp(link, "#12", len), 0);
}
END_TEST

START_TEST(users)
{
	char *login, *name, *json;
	size_t len;

	json = fixture("users_current.json", &len);
	ck_assert_int_eq(cl__redmine_parse_user(&login, &name, json, len), 0);
	ck_assert_str_eq(login, "admin");
	ck_assert_str_eq(name, "Redmine Admin");
	free(login);
	free(name);
	free(json);
	/* Redmine 5.0 shows other users' logins to non-admins too */
	json = fixture("user_8_nonadmin.json", &len);
	ck_assert_int_eq(cl__redmine_parse_user(&login, &name, json, len), 0);
	ck_assert_str_eq(login, "rmhelper-support");
	ck_assert_str_eq(name, "rmhelper support");
	free(login);
	free(name);
	free(json);
	ck_assert_int_eq(cl__redmine_parse_user(&login, &name,
		"{\"user\":{\"id\":3,\"firstname\":\"Ann\",\"lastname\":\"\"}}", 55), 0);
	ck_assert_ptr_null(login);
	ck_assert_str_eq(name, "Ann");
	free(name);
	ck_assert_int_eq(cl__redmine_parse_user(&login, &name, "{}", 2),
		CL_EINVALID);
}
END_TEST

START_TEST(bodies)
{
	char *b;

	b = cl__redmine_note_body("Say \"hi\"\nto https://x/y", 1);
	ck_assert_str_eq(b, "{\"issue\":{\"notes\":\"Say \\\"hi\\\"\\nto https://x/y\",\"private_notes\":true}}");
	free(b);
	b = cl__redmine_note_body("n", 0);
	ck_assert_str_eq(b, "{\"issue\":{\"notes\":\"n\",\"private_notes\":false}}");
	free(b);
	b = cl__redmine_reply_body(3, "https://m/1", "linked", 1);
	ck_assert_str_eq(b, "{\"issue\":{\"custom_fields\":[{\"id\":3,\"value\":\"https://m/1\"}],\"notes\":\"linked\",\"private_notes\":true}}");
	free(b);
	b = cl__redmine_errors("{\"errors\":[\"Notes is too long\",\"Status is invalid\"]}", 52);
	ck_assert_str_eq(b, "Notes is too long; Status is invalid");
	free(b);
	ck_assert_ptr_null(cl__redmine_errors("{}", 2));
}
END_TEST

/* Over HTTP *****************************************************************/

static httpstub *stub;
static char tmpdir[64];
static char conf_path[256];

/* What the callbacks saw, copied. */
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
	seen items[300];
	size_t count;
	cl_tracker *refetch;   /* fetch this again from the first callback */
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

	ck_assert_uint_lt(r->count, 300);
	s = &r->items[r->count++];
	memset(s, 0, sizeof(*s));
	s->number = t->ref.number;
	copy(s->project, sizeof(s->project), t->ref.project, NULL);
	s->error = error;
	copy(s->message, sizeof(s->message), message, NULL);
	s->exists = t->exists;
	s->closed = t->closed;
	s->delivered = t->delivered;
	copy(s->status, sizeof(s->status), t->status, NULL);
	copy(s->subject, sizeof(s->subject), t->subject, NULL);
	copy(s->owner, sizeof(s->owner), t->owner, &s->has_owner);
	copy(s->reply, sizeof(s->reply), t->reply, &s->has_reply);
	s->updated_at = t->updated_at;
	if (r->refetch) {
		cl_ref ref = { CL_REF_MENTION, NULL, 4, 0 };
		cl_tracker *tr = r->refetch;

		r->refetch = NULL;
		ck_assert_int_eq(cl_tracker_fetch(tr, &ref, NULL, 1, on_ticket,
			r), 0);
	}
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
static cl_config *config(const char *url, const char *extra)
{
	char text[2048], key[300];
	cl_config *cfg;

	snprintf(key, sizeof(key), "%s/key", tmpdir);
	snprintf(text, sizeof(text),
		"[tracker \"support\"]\n\ttype = redmine\n\turl = %s/\n"
		"\ttokenFile = %s\n\tproject = support\n%s",
		url, key, extra ? extra : "");
	write_text(conf_path, text, 0644);
	ck_assert_int_eq(cl_config_new(&cfg), 0);
	ck_assert_int_eq(cl_config_add_file(cfg, conf_path,
		CL_CONFIG_LEVEL_FILE, 0), 0);
	return cfg;
}

static cl_tracker *open_tracker(const char *url)
{
	cl_config *cfg = config(url, NULL);
	cl_tracker *t = NULL;

	ck_assert_int_eq(cl_tracker_open(&t, cfg, NULL), 0);
	cl_config_free(cfg);
	return t;
}

static void setup(void)
{
	char key[300];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cl-redmine-XXXXXX");
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

static void expect_fixture(const char *method, const char *path,
	const char *name)
{
	char *json = fixture(name, NULL);

	httpstub_expect(stub, method, path, 200, json, NULL);
	free(json);
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

static void run(cl_tracker *t)
{
	cl_tracker_run(t, cl_http_now_ms() + 10000);
}

static void ck_no_token(const char *text)
{
	ck_assert_msg(strstr(text, TOKEN) == NULL, "the token leaked: %s", text);
}

START_TEST(open_and_ids)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref plain = { CL_REF_MENTION, NULL, 42, 0 };
	cl_ref gh = { CL_REF_MENTION, "owner/repo", 7, 0 };
	char buf[64];

	ck_assert_str_eq(cl_tracker_name(t), "support");
	ck_assert_str_eq(cl_tracker_type(t), "redmine");
	ck_assert_uint_eq(cl_tracker_caps(t), CL_TRACKER_CAP_INTERNAL_NOTES |
		CL_TRACKER_CAP_BATCH | CL_TRACKER_CAP_REPLY_FIELD);
	ck_assert_ptr_nonnull(cl_tracker_http(t));
	ck_assert_int_eq(cl_tracker_ticket_id(buf, sizeof(buf), t, &plain), 0);
	ck_assert_str_eq(buf, "support:42");
	ck_assert_int_eq(cl_tracker_ticket_id(buf, sizeof(buf), t, &gh), 0);
	ck_assert_str_eq(buf, "support:owner/repo#7");
	ck_assert_int_eq(cl_tracker_ticket_id(buf, 8, t, &gh), CL_EINVALID);
	cl_tracker_free(t);
}
END_TEST

static int open_error(const char *text, const char *name)
{
	cl_config *cfg;
	cl_tracker *t = NULL;
	int error;

	write_text(conf_path, text, 0644);
	ck_assert_int_eq(cl_config_new(&cfg), 0);
	ck_assert_int_eq(cl_config_add_file(cfg, conf_path,
		CL_CONFIG_LEVEL_FILE, 0), 0);
	error = cl_tracker_open(&t, cfg, name);
	if (error == 0)
		cl_tracker_free(t);
	else
		ck_assert_ptr_null(t);
	cl_config_free(cfg);
	return error;
}

#define SECTION(n, type) "[tracker \"" n "\"]\n\ttype = " type \
	"\n\turl = http://127.0.0.1:1\n\tproject = p\n"

START_TEST(open_errors)
{
	char text[512], missing[300];

	ck_assert_int_eq(open_error(SECTION("a", "redmine"), "b"), CL_ECONFIG);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"no [tracker \"b\"] section"));
	ck_assert_int_eq(open_error(SECTION("a", "redmine") SECTION("b", "redmine"),
		NULL), CL_ECONFIG);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"closeloop.tracker is unset"));
	ck_assert_int_eq(open_error("[closeloop]\n\ttracker = b\n"
		SECTION("a", "redmine") SECTION("b", "redmine"), NULL), 0);
	ck_assert_int_eq(open_error("[closeloop]\n\ttracker = c\n"
		SECTION("a", "redmine"), NULL), CL_ECONFIG);
	ck_assert_int_eq(open_error("", NULL), CL_ECONFIG);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"no tracker is configured"));
	ck_assert_int_eq(open_error(SECTION("g", "gitlab"), NULL), CL_ECONFIG);
	ck_assert_str_eq(cl_error_last()->message,
		"tracker type 'gitlab' is not supported by this build yet");
	ck_assert_int_eq(open_error(SECTION("j", "jira"), "j"), CL_ECONFIG);

	snprintf(missing, sizeof(missing), "%s/nope.key", tmpdir);
	snprintf(text, sizeof(text), SECTION("a", "redmine") "\ttokenFile = %s\n",
		missing);
	ck_assert_int_eq(open_error(text, NULL), CL_EIO);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, missing));

	/* an empty token file: named, and configuration's fault */
	snprintf(missing, sizeof(missing), "%s/empty.key", tmpdir);
	write_text(missing, "  \n", 0600);
	snprintf(text, sizeof(text), SECTION("a", "redmine") "\ttokenFile = %s\n",
		missing);
	ck_assert_int_eq(open_error(text, NULL), CL_ECONFIG);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, missing));

	/* a token with a line break would forge headers: refused, unprinted */
	snprintf(missing, sizeof(missing), "%s/two.key", tmpdir);
	write_text(missing, TOKEN "\nX-Evil: 1\n", 0600);
	snprintf(text, sizeof(text), SECTION("a", "redmine") "\ttokenFile = %s\n",
		missing);
	ck_assert_int_eq(open_error(text, NULL), CL_ECONFIG);
	ck_no_token(cl_error_last()->message);
}
END_TEST

START_TEST(batch_one_request)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[3] = {
		{ CL_REF_CLOSE, NULL, 2, 0 }, { CL_REF_MENTION, NULL, 3, 0 },
		{ CL_REF_MENTION, NULL, 4, 0 }
	};
	results r;
	const httpstub_req *req;
	const seen *s;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/issues.json", "issues.json");
	expect_fixture("GET", "/users/7.json", "user_7_admin.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 3, on_ticket, &r), 0);
	ck_assert_uint_eq(r.count, 0); /* never from inside fetch */
	run(t);
	ck_assert_uint_eq(r.count, 3);

	ck_assert_uint_eq(count_path("/issues.json"), 1);
	req = request_to("GET", "/issues.json");
	ck_assert_str_eq(req->query, "issue_id=2,3,4&status_id=*&limit=100");
	ck_assert_str_eq(httpstub_req_header(req, "X-Redmine-API-Key"), TOKEN);
	/* two issues assigned to user 7: asked once */
	ck_assert_uint_eq(count_path("/users/7.json"), 1);
	ck_assert_uint_eq(httpstub_count(stub), 2);

	s = find(&r, 2);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->exists, 1);
	ck_assert_int_eq(s->closed, 0);
	ck_assert_str_eq(s->status, "New");
	ck_assert_str_eq(s->subject, "Invoice shows wrong VAT");
	ck_assert_str_eq(s->owner, "rmhelper-dev");
	ck_assert_str_eq(s->reply, "https://mail.example.com/msg/4711");
	ck_assert_int_eq(s->delivered, 1);
	ck_assert_int_eq(s->updated_at, when("2026-11-23T10:15:41Z"));
	s = find(&r, 3);
	ck_assert_int_eq(s->exists, 1);
	ck_assert_int_eq(s->closed, 1);
	ck_assert_int_eq(s->has_reply, 0);
	ck_assert_int_eq(s->delivered, -1);
	s = find(&r, 4);
	ck_assert_int_eq(s->closed, 1);
	ck_assert_int_eq(s->has_owner, 0);
	cl_tracker_free(t);
}
END_TEST

START_TEST(duplicate_ids)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[3] = { { CL_REF_CLOSE, NULL, 4, 0 },
		{ CL_REF_MENTION, NULL, 4, 0 }, { CL_REF_MENTION, NULL, 2, 0 } };
	results r;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/issues.json", "issues.json");
	expect_fixture("GET", "/users/7.json", "user_7_admin.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 3, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_int_eq(r.items[0].exists, 1);
	ck_assert_int_eq(r.items[1].exists, 1);
	ck_assert_int_eq(r.items[2].exists, 1);
	ck_assert_str_eq(request_to("GET", "/issues.json")->query,
		"issue_id=4,2&status_id=*&limit=100");
	cl_tracker_free(t);
}
END_TEST

START_TEST(no_is_closed)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[2] = { { CL_REF_CLOSE, NULL, 10, 0 },
		{ CL_REF_CLOSE, NULL, 11, 0 } };
	results r;

	/* before Redmine 5.0 an issue's status has no is_closed */
	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/issues.json", 200,
		"{\"issues\":[{\"id\":10,\"subject\":\"a\",\"status\":{\"id\":6,\"name\":\"Rejected\"}},"
		"{\"id\":11,\"subject\":\"b\",\"status\":{\"id\":3,\"name\":\"Resolved\"}}]}",
		NULL);
	expect_fixture("GET", "/issue_statuses.json", "issue_statuses.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 2, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(find(&r, 10)->closed, 1);
	ck_assert_int_eq(find(&r, 11)->closed, 0);
	ck_assert_str_eq(find(&r, 11)->status, "Resolved");
	ck_assert_uint_eq(count_path("/issue_statuses.json"), 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(batch_chunks_of_100)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[250];
	results *r = calloc(1, sizeof(*r));
	size_t i, ids = 0;

	for (i = 0; i < 250; i++) {
		refs[i].kind = CL_REF_MENTION;
		refs[i].project = NULL;
		refs[i].number = 1000 + i;
		refs[i].offset = 0;
	}
	httpstub_expect(stub, "GET", "/issues.json", 200,
		"{\"issues\":[],\"total_count\":0,\"offset\":0,\"limit\":100}", NULL);
	expect_fixture("GET", "/users/current.json", "users_current.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 250, on_ticket, r), 0);
	run(t);
	ck_assert_uint_eq(r->count, 250);
	ck_assert_uint_eq(count_path("/issues.json"), 3);
	for (i = 0; i < httpstub_count(stub); i++) {
		const httpstub_req *req = httpstub_request(stub, i);
		const char *p;

		if (strcmp(req->path, "/issues.json") != 0)
			continue;
		for (p = req->query; *p && *p != '&'; p++)
			ids += *p == ',';
		ids++;
		ck_assert_ptr_nonnull(strstr(req->query, "&status_id=*&limit=100"));
	}
	ck_assert_uint_eq(ids, 250);
	/* missing ids: is the key good? asked once, then "does not exist" */
	ck_assert_uint_eq(count_path("/users/current.json"), 1);
	for (i = 0; i < 250; i++) {
		ck_assert_int_eq(r->items[i].error, 0);
		ck_assert_int_eq(r->items[i].exists, 0);
	}
	free(r);
	cl_tracker_free(t);
}
END_TEST

START_TEST(missing_with_refused_key)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 77, 0 };
	results r;

	memset(&r, 0, sizeof(r));
	/* Redmine reads a refused key as anonymous: the list is just empty */
	httpstub_expect(stub, "GET", "/issues.json", 200, "{\"issues\":[]}", NULL);
	httpstub_expect(stub, "GET", "/users/current.json", 401, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_str_eq(r.items[0].message, REFUSED);
	cl_tracker_free(t);
}
END_TEST

START_TEST(refused_401)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[2] = { { CL_REF_CLOSE, NULL, 2, 0 },
		{ CL_REF_CLOSE, NULL, 3, 0 } };
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/issues.json", 401, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 2, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_str_eq(r.items[0].message, REFUSED);
	ck_assert_str_eq(r.items[1].message, REFUSED);
	cl_tracker_free(t);
}
END_TEST

START_TEST(tracker_down)
{
	cl_tracker *t;
	cl_ref refs[2] = { { CL_REF_CLOSE, NULL, 2, 0 },
		{ CL_REF_MENTION, NULL, 3, 0 } };
	char url[64], want[96];
	results r;
	char *login = NULL;

	/* a port where nothing listens any more */
	snprintf(url, sizeof(url), "%s", httpstub_url(stub));
	httpstub_stop(stub);
	stub = httpstub_start();
	t = open_tracker(url);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 2, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	snprintf(want, sizeof(want), "redmine at %s did not answer: ", url);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_int_eq(r.items[1].error, CL_ETRACKER);
	ck_assert_ptr_eq(strstr(r.items[0].message, want), r.items[0].message);
	ck_no_token(r.items[0].message);
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000),
		CL_ETRACKER);
	ck_assert_ptr_null(login);
	ck_assert_ptr_eq(strstr(cl_error_last()->message, want),
		cl_error_last()->message);
	cl_tracker_free(t);
}
END_TEST

START_TEST(server_errors)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 2, 0 };
	char want[96];
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/issues.json", 503, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	snprintf(want, sizeof(want), "redmine at %s did not answer: HTTP 503",
		httpstub_url(stub));
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_str_eq(r.items[0].message, want);
	/* retried: 503 is worth another try */
	ck_assert_uint_gt(count_path("/issues.json"), 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(deadline_passes)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 2, 0 };
	httpstub_resp slow = { 200, "{\"issues\":[]}", 0, NULL, 3000, 0 };
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect_resp(stub, "GET", "/issues.json", &slow);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	ck_assert_int_eq(cl_tracker_run(t, cl_http_now_ms() + 300), CL_ETIMEOUT);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, CL_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(r.items[0].message, "did not answer"));
	cl_tracker_free(t);
}
END_TEST

START_TEST(not_redmine_refs)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[3] = { { CL_REF_MENTION, "acme/web", 7, 0 },
		{ CL_REF_MENTION, "PROJ", 12, 0 },
		{ CL_REF_MENTION, NULL, 99999999999ull, 0 } };
	cl_ref mixed[2] = { { CL_REF_MENTION, "acme/web", 8, 0 },
		{ CL_REF_MENTION, NULL, 2, 0 } };
	results r;
	const seen *s;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/issue_statuses.json", "issue_statuses.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, NULL, 3, on_ticket, &r), 0);
	ck_assert_uint_eq(r.count, 0);
	run(t);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_str_eq(r.items[0].project, "acme/web");
	ck_assert_int_eq(r.items[0].number, 7);
	ck_assert_int_eq(r.items[0].exists, 0);
	ck_assert_int_eq(r.items[0].error, 0);
	ck_assert_int_eq(r.items[2].exists, 0);
	ck_assert_uint_eq(count_path("/issues.json"), 0);

	/* with a Redmine id in the call, they ride on its request; even a
	 * failing one: no answer is needed to know they are not issues */
	memset(&r, 0, sizeof(r));
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/issues.json", 500, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, mixed, NULL, 2, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_uint_eq(httpstub_count(stub), 1);
	ck_assert_str_eq(httpstub_request(stub, 0)->query,
		"issue_id=2&status_id=*&limit=100");
	s = find(&r, 8);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->exists, 0);
	s = find(&r, 2);
	ck_assert_int_eq(s->error, CL_ETRACKER);
	cl_tracker_free(t);
}
END_TEST

START_TEST(delivery_via_journals)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref refs[4] = { { CL_REF_CLOSE, NULL, 7, 0 },
		{ CL_REF_CLOSE, NULL, 5, 0 }, { CL_REF_CLOSE, NULL, 2, 0 },
		{ CL_REF_CLOSE, NULL, 8, 0 } };
	unsigned int flags[4] = { CL_FETCH_DELIVERY, CL_FETCH_DELIVERY,
		CL_FETCH_DELIVERY, CL_FETCH_DELIVERY };
	results r;
	const seen *s;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/issues.json", "issues.json");
	expect_fixture("GET", "/issue_statuses.json", "issue_statuses.json");
	expect_fixture("GET", "/users/7.json", "user_7_admin.json");
	expect_fixture("GET", "/users/8.json", "user_8_nonadmin.json");
	expect_fixture("GET", "/issues/7.json", "issue_7_journals.json");
	expect_fixture("GET", "/issues/5.json", "issue_5_journals.json");
	expect_fixture("GET", "/issues/2.json", "issue_2.json");
	expect_fixture("GET", "/issues/8.json", "issue_8_journals.json");
	ck_assert_int_eq(cl_tracker_fetch(t, refs, flags, 4, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 4);
	s = find(&r, 7);
	ck_assert_int_eq(s->error, 0);
	ck_assert_int_eq(s->delivered, 1);
	ck_assert_str_eq(s->reply, "https://crm.example.com/call/9");
	ck_assert_str_eq(s->owner, "rmhelper-dev");
	s = find(&r, 5);
	ck_assert_int_eq(s->delivered, 0);
	ck_assert_int_eq(s->has_reply, 0);
	ck_assert_str_eq(s->owner, "rmhelper-support");
	s = find(&r, 2);
	ck_assert_int_eq(s->delivered, 1);
	s = find(&r, 8);
	ck_assert_int_eq(s->delivered, 0);
	ck_assert_str_eq(request_to("GET", "/issues/7.json")->query,
		"include=journals");
	ck_assert_uint_eq(count_path("/issue_statuses.json"), 1);
	ck_assert_uint_eq(count_path("/issues.json"), 1);

	/* the statuses are kept: a second delivery check asks only journals */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(cl_tracker_fetch(t, refs, flags, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_uint_eq(count_path("/issue_statuses.json"), 1);
	ck_assert_uint_eq(count_path("/users/7.json"), 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(journals_fail)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 7, 0 };
	unsigned int flag = CL_FETCH_DELIVERY;
	results r;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/issues.json", "issues.json");
	expect_fixture("GET", "/issue_statuses.json", "issue_statuses.json");
	httpstub_expect(stub, "GET", "/issues/7.json", 500, "", NULL);
	httpstub_expect(stub, "GET", "/users/7.json", 403, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, &flag, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(r.items[0].message, "HTTP 500"));
	cl_tracker_free(t);
}
END_TEST

START_TEST(owner_name_fallback)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 2, 0 };
	results r;

	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/issues.json", "issues.json");
	httpstub_expect(stub, "GET", "/users/7.json", 404, "", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.items[0].error, 0);
	ck_assert_str_eq(r.items[0].owner, "rmhelper dev");
	cl_tracker_free(t);
}
END_TEST

START_TEST(owner_field_over_http)
{
	cl_config *cfg = config(httpstub_url(stub), "\townerField = Accountable\n");
	cl_tracker *t = NULL;
	cl_ref ref = { CL_REF_CLOSE, NULL, 7, 0 };
	results r;

	ck_assert_int_eq(cl_tracker_open(&t, cfg, "support"), 0);
	cl_config_free(cfg);
	memset(&r, 0, sizeof(r));
	expect_fixture("GET", "/issues.json", "issues.json");
	expect_fixture("GET", "/users/8.json", "user_8_nonadmin.json");
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_str_eq(r.items[0].owner, "rmhelper-support");
	ck_assert_uint_eq(count_path("/users/7.json"), 0);
	cl_tracker_free(t);
}
END_TEST

START_TEST(no_token)
{
	cl_config *cfg;
	cl_tracker *t = NULL;
	cl_ref ref = { CL_REF_CLOSE, NULL, 77, 0 };
	char text[256];
	results r;

	snprintf(text, sizeof(text), "[tracker \"s\"]\n\ttype = redmine\n"
		"\turl = %s\n\tproject = p\n", httpstub_url(stub));
	write_text(conf_path, text, 0644);
	ck_assert_int_eq(cl_config_new(&cfg), 0);
	ck_assert_int_eq(cl_config_add_file(cfg, conf_path,
		CL_CONFIG_LEVEL_FILE, 0), 0);
	ck_assert_int_eq(cl_tracker_open(&t, cfg, NULL), 0);
	cl_config_free(cfg);
	memset(&r, 0, sizeof(r));
	httpstub_expect(stub, "GET", "/issues.json", 200, "{\"issues\":[]}", NULL);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_int_eq(r.items[0].exists, 0);
	/* anonymous: no key header, and no key to check */
	ck_assert_uint_eq(httpstub_count(stub), 1);
	ck_assert_ptr_null(httpstub_req_header(httpstub_request(stub, 0),
		"X-Redmine-API-Key"));
	cl_tracker_free(t);
}
END_TEST

START_TEST(fetch_again_from_callback)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 2, 0 };
	results r;

	memset(&r, 0, sizeof(r));
	r.refetch = t;
	expect_fixture("GET", "/issues.json", "issues.json");
	expect_fixture("GET", "/users/7.json", "user_7_admin.json");
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, NULL, 1, on_ticket, &r), 0);
	run(t);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(find(&r, 4)->exists, 1);
	ck_assert_uint_eq(count_path("/issues.json"), 2);
	cl_tracker_free(t);
}
END_TEST

START_TEST(free_while_busy)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 2, 0 };
	unsigned int flag = CL_FETCH_DELIVERY;
	httpstub_resp slow = { 200, "{\"issues\":[]}", 0, NULL, 2000, 0 };
	results r;

	memset(&r, 0, sizeof(r));
	httpstub_expect_resp(stub, "GET", "/issues.json", &slow);
	ck_assert_int_eq(cl_tracker_fetch(t, &ref, &flag, 1, on_ticket, &r), 0);
	cl_http_poll(cl_tracker_http(t));
	cl_tracker_free(t);
	ck_assert_uint_eq(r.count, 0);
}
END_TEST

START_TEST(comment)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_MENTION, NULL, 42, 0 };
	cl_ref gh = { CL_REF_MENTION, "acme/web", 42, 0 };
	const httpstub_req *req;
	int64_t deadline = cl_http_now_ms() + 5000;

	httpstub_expect(stub, "PUT", "/issues/42.json", 204, NULL, NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "Reminder: \"reply\"", 1,
		deadline), 0);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "public", 0, deadline), 0);
	ck_assert_uint_eq(httpstub_count(stub), 2);
	req = httpstub_request(stub, 0);
	ck_assert_str_eq(req->method, "PUT");
	ck_assert_str_eq(req->body,
		"{\"issue\":{\"notes\":\"Reminder: \\\"reply\\\"\",\"private_notes\":true}}");
	ck_assert_str_eq(httpstub_req_header(req, "Content-Type"),
		"application/json");
	ck_assert_str_eq(httpstub_req_header(req, "X-Redmine-API-Key"), TOKEN);
	ck_assert_str_eq(httpstub_request(stub, 1)->body,
		"{\"issue\":{\"notes\":\"public\",\"private_notes\":false}}");

	ck_assert_int_eq(cl_tracker_comment(t, &gh, "x", 0, deadline),
		CL_ENOTFOUND);
	ck_assert_uint_eq(httpstub_count(stub), 2);

	httpstub_reset(stub);
	httpstub_expect(stub, "PUT", "/issues/42.json", 404, "", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ENOTFOUND);
	ck_assert_str_eq(cl_error_last()->message,
		"redmine issue #42 does not exist");
	httpstub_reset(stub);
	httpstub_expect(stub, "PUT", "/issues/42.json", 422,
		"{\"errors\":[\"Notes is too long\"]}", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ETRACKER);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"refused the change: Notes is too long"));
	httpstub_reset(stub);
	httpstub_expect(stub, "PUT", "/issues/42.json", 403, "", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ETRACKER);
	ck_assert_str_eq(cl_error_last()->message,
		"the Redmine API key was refused (403)");
	/* a note is no idempotent call: a lost answer must not add it twice */
	httpstub_reset(stub);
	httpstub_expect(stub, "PUT", "/issues/42.json", 503, "", NULL);
	ck_assert_int_eq(cl_tracker_comment(t, &ref, "x", 0, deadline),
		CL_ETRACKER);
	ck_assert_uint_eq(httpstub_count(stub), 1);
	cl_tracker_free(t);
}
END_TEST

START_TEST(set_reply_field)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 2, 0 };
	int64_t deadline = cl_http_now_ms() + 5000;

	expect_fixture("GET", "/issues/2.json", "issue_2.json");
	httpstub_expect(stub, "PUT", "/issues/2.json", 204, NULL, NULL);
	ck_assert_int_eq(cl_tracker_set_reply(t, &ref, "https://mail.example.com/m/9",
		"alice", deadline), 0);
	ck_assert_str_eq(request_to("PUT", "/issues/2.json")->body,
		"{\"issue\":{\"custom_fields\":[{\"id\":1,\"value\":\"https://mail.example.com/m/9\"}],"
		"\"notes\":\"Customer reply linked by alice: https://mail.example.com/m/9\","
		"\"private_notes\":true}}");
	/* the field already holds that link: nothing to write */
	httpstub_reset(stub);
	expect_fixture("GET", "/issues/2.json", "issue_2.json");
	ck_assert_int_eq(cl_tracker_set_reply(t, &ref,
		"https://mail.example.com/msg/4711", NULL, deadline), 0);
	ck_assert_uint_eq(count_path("/issues/2.json"), 1);
	ck_assert_str_eq(httpstub_request(stub, 0)->method, "GET");
	/* no such issue */
	httpstub_reset(stub);
	ref.number = 404;
	ck_assert_int_eq(cl_tracker_set_reply(t, &ref, "https://x", NULL,
		deadline), CL_ENOTFOUND);
	cl_tracker_free(t);
}
END_TEST

START_TEST(set_reply_note)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	cl_ref ref = { CL_REF_CLOSE, NULL, 3, 0 };
	int64_t deadline = cl_http_now_ms() + 5000;

	httpstub_expect(stub, "GET", "/issues/3.json", 200,
		"{\"issue\":{\"id\":3,\"status\":{\"id\":1,\"name\":\"New\"},\"subject\":\"s\"}}",
		NULL);
	httpstub_expect(stub, "PUT", "/issues/3.json", 204, NULL, NULL);
	ck_assert_int_eq(cl_tracker_set_reply(t, &ref, "<id@mail.example.com>",
		"bob", deadline), 0);
	ck_assert_str_eq(request_to("PUT", "/issues/3.json")->body,
		"{\"issue\":{\"notes\":\"Customer-Reply: <id@mail.example.com>\",\"private_notes\":false}}");
	cl_tracker_free(t);
}
END_TEST

START_TEST(whoami)
{
	cl_tracker *t = open_tracker(httpstub_url(stub));
	char *login = NULL;

	expect_fixture("GET", "/users/current.json", "users_current.json");
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000), 0);
	ck_assert_str_eq(login, "admin");
	cl_free(login);
	httpstub_reset(stub);
	httpstub_expect(stub, "GET", "/users/current.json", 401, "", NULL);
	ck_assert_int_eq(cl_tracker_whoami(t, &login, cl_http_now_ms() + 5000),
		CL_ETRACKER);
	ck_assert_ptr_null(login);
	ck_assert_str_eq(cl_error_last()->message, REFUSED);
	cl_tracker_free(t);
}
END_TEST

static Suite *redmine_suite(void)
{
	Suite *s = suite_create("redmine");
	TCase *map = tcase_create("mapping");
	TCase *http = tcase_create("http");

	tcase_add_test(map, statuses);
	tcase_add_test(map, issue_list);
	tcase_add_test(map, owner_field);
	tcase_add_test(map, single_issue_and_no_field);
	tcase_add_test(map, snooze_field);
	tcase_add_test(map, owner_activity);
	tcase_add_test(map, delivery_reply_after_reopen);
	tcase_add_test(map, delivery_reply_before_reopen);
	tcase_add_test(map, delivery_field_before_reopen);
	tcase_add_test(map, delivery_field_at_creation);
	tcase_add_test(map, delivery_edges);
	tcase_add_test(map, reply_line);
	tcase_add_test(map, users);
	tcase_add_test(map, bodies);
	suite_add_tcase(s, map);

	tcase_add_checked_fixture(http, setup, teardown);
	tcase_set_timeout(http, 30);
	tcase_add_test(http, open_and_ids);
	tcase_add_test(http, open_errors);
	tcase_add_test(http, batch_one_request);
	tcase_add_test(http, duplicate_ids);
	tcase_add_test(http, no_is_closed);
	tcase_add_test(http, batch_chunks_of_100);
	tcase_add_test(http, missing_with_refused_key);
	tcase_add_test(http, refused_401);
	tcase_add_test(http, tracker_down);
	tcase_add_test(http, server_errors);
	tcase_add_test(http, deadline_passes);
	tcase_add_test(http, not_redmine_refs);
	tcase_add_test(http, delivery_via_journals);
	tcase_add_test(http, journals_fail);
	tcase_add_test(http, owner_name_fallback);
	tcase_add_test(http, owner_field_over_http);
	tcase_add_test(http, no_token);
	tcase_add_test(http, fetch_again_from_callback);
	tcase_add_test(http, free_while_busy);
	tcase_add_test(http, comment);
	tcase_add_test(http, set_reply_field);
	tcase_add_test(http, set_reply_note);
	tcase_add_test(http, whoami);
	suite_add_tcase(s, http);
	return s;
}

CL_TEST_MAIN(redmine_suite)
