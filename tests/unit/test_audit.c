/*
 * test_audit.c: the audit's building blocks: percentiles, the project of
 * a ticket id, reading one field of a detail, CSV quoting, HTML escaping,
 * the string map; and a report over a store built in the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "audit_int.h"

/* ------------------------------------------------------------------ */
/* Percentiles                                                         */
/* ------------------------------------------------------------------ */

START_TEST(percentiles)
{
	static const int64_t one[] = { 42 };
	static const int64_t two[] = { 10, 20 };
	static const int64_t ten[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const int64_t four[] = { 3600, 7200, 14400, 36000 };

	ck_assert_int_eq(cl__percentile(NULL, 0, 50), 0);
	ck_assert_int_eq(cl__percentile(one, 1, 50), 42);
	ck_assert_int_eq(cl__percentile(one, 1, 90), 42);
	ck_assert_int_eq(cl__percentile(two, 2, 50), 15);
	ck_assert_int_eq(cl__percentile(two, 2, 90), 19);
	ck_assert_int_eq(cl__percentile(two, 2, 0), 10);
	ck_assert_int_eq(cl__percentile(two, 2, 100), 20);
	/* numpy.percentile(range(1, 11), [50, 90]) = 5.5, 9.1 */
	ck_assert_int_eq(cl__percentile(ten, 10, 50), 6);
	ck_assert_int_eq(cl__percentile(ten, 10, 90), 9);
	ck_assert_int_eq(cl__percentile(four, 4, 50), 10800);
	ck_assert_int_eq(cl__percentile(four, 4, 90), 29520);
}
END_TEST

START_TEST(samples_sort)
{
	cl__samples s = { NULL, 0, 0 };
	int64_t v[] = { 5, -1, 99, 3, 3, 0 };
	size_t i;

	for (i = 0; i < 6; i++)
		ck_assert_int_eq(cl__samples_add(&s, v[i]), 0);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(cl__samples_add(&s, 1000 - (int64_t)i), 0);
	cl__samples_sort(&s);
	ck_assert_uint_eq(s.n, 1006);
	for (i = 1; i < s.n; i++)
		ck_assert(s.v[i - 1] <= s.v[i]);
	ck_assert_int_eq(s.v[0], -1);
	cl__samples_free(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Ticket projects                                                     */
/* ------------------------------------------------------------------ */

static const struct {
	const char *ticket, *project;
} projects[] = {
	{ "support:42", "support" },
	{ "gh:acme/web#7", "gh:acme/web" },
	{ "jira:PROJ-12", "jira:PROJ" },
	{ "gitlab:group/sub/proj#3", "gitlab:group/sub/proj" },
	{ "jira:A-B-7", "jira:A-B" },
	{ "odd", "odd" },
	{ "x:<b>", "x:<b>" },
	{ "weird:#", "weird:#" },
	{ "t:-5", "t:-5" },
};

START_TEST(project_of_ticket)
{
	size_t n = cl__audit_project_len(projects[_i].ticket);

	ck_assert_uint_eq(n, strlen(projects[_i].project));
	ck_assert(strncmp(projects[_i].ticket, projects[_i].project, n) == 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Detail fields                                                       */
/* ------------------------------------------------------------------ */

START_TEST(detail_fields)
{
	const char *d = "{ \"reopen\": false, \"nested\": {\"owner\": \"no\", "
		"\"a\": [1, {\"b\": \"]}\"}]}, \"source\" : \"web\\\"hook\", "
		"\"owner\":\"alice\", \"to\": null, \"n\": -12.5e3, "
		"\"esc\": \"caf\\u00e9 \\\\ x\"}";
	const char *val;
	size_t len;
	int esc;
	char buf[64];

	ck_assert_int_eq(cl__json_field(d, "owner", &val, &len, &esc),
		CL__JSON_STRING);
	ck_assert_uint_eq(len, 5);
	ck_assert(strncmp(val, "alice", 5) == 0);
	ck_assert_int_eq(esc, 0);
	ck_assert_int_eq(cl__json_field(d, "to", &val, &len, &esc),
		CL__JSON_NULL);
	ck_assert_int_eq(cl__json_field(d, "reopen", &val, &len, &esc),
		CL__JSON_FALSE);
	ck_assert_int_eq(cl__json_field(d, "n", &val, &len, &esc),
		CL__JSON_NUMBER);
	ck_assert_int_eq(cl__json_field(d, "nested", &val, &len, &esc),
		CL__JSON_OTHER);
	ck_assert_int_eq(cl__json_field(d, "b", &val, &len, &esc),
		CL__JSON_ABSENT); /* only the top level */
	ck_assert_int_eq(cl__json_field(d, "missing", &val, &len, &esc),
		CL__JSON_ABSENT);
	ck_assert_int_eq(cl__json_field_string(d, "source", buf, sizeof(buf)),
		CL__JSON_STRING);
	ck_assert_str_eq(buf, "web\"hook");
	ck_assert_int_eq(cl__json_field_string(d, "esc", buf, sizeof(buf)),
		CL__JSON_STRING);
	ck_assert_str_eq(buf, "caf\xc3\xa9 \\ x");
	ck_assert_int_eq(cl__json_field_string(d, "owner", buf, 4),
		CL__JSON_STRING);
	ck_assert_str_eq(buf, "ali"); /* cut to fit */
}
END_TEST

START_TEST(detail_malformed)
{
	static const char *const bad[] = {
		NULL, "", "[]", "\"owner\"", "{", "{\"owner\"", "{\"owner\":",
		"{\"owner\":\"x", "{\"x\":1 \"owner\":\"a\"}", "{owner:\"a\"}",
		"{\"x\":[1,2}, \"owner\":\"a\"}", "{\"x\":}",
	};
	const char *val;
	size_t len, i;
	int esc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cl__json_field(bad[i], "owner", &val, &len,
			&esc) == CL__JSON_ABSENT, "%s", bad[i] ? bad[i] : "NULL");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Escaping                                                            */
/* ------------------------------------------------------------------ */

static const struct {
	const char *in, *out;
} csv_cases[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "two\nlines", "\"two\nlines\"" },
	{ "cr\rhere", "\"cr\rhere\"" },
	{ "=SUM(A1)", "'=SUM(A1)" },
	{ "+1", "'+1" },
	{ "-2", "'-2" },
	{ "@x", "'@x" },
	{ "=A1,B1", "\"'=A1,B1\"" },
	{ "\tx", "'\tx" },
	{ "ok=1", "ok=1" },
};

START_TEST(csv_quoting)
{
	cl_buf b = CL_BUF_INIT;

	ck_assert_int_eq(cl__csv_field(&b, csv_cases[_i].in), 0);
	ck_assert_str_eq(b.ptr ? b.ptr : "", csv_cases[_i].out);
	cl__buf_free(&b);
}
END_TEST

START_TEST(html_escaping)
{
	cl_buf b = CL_BUF_INIT;

	cl__html_escape(&b, "<script>alert('x')</script> & \"q\"");
	ck_assert_str_eq(b.ptr, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
		" &amp; &quot;q&quot;");
	cl__buf_free(&b);
	cl__html_escape(&b, "caf\xc3\xa9");
	ck_assert_str_eq(b.ptr, "caf\xc3\xa9");
	cl__buf_free(&b);
	ck_assert_int_eq(cl__html_escape(&b, NULL), 0);
	ck_assert_ptr_null(b.ptr);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The map                                                             */
/* ------------------------------------------------------------------ */

START_TEST(map_many)
{
	cl__map m;
	char key[32];
	size_t i, ix;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "support:%zu", i);
		ck_assert_int_eq(cl__map_put(&m, &ix, key, strlen(key)), 0);
		ck_assert_uint_eq(ix, i);
	}
	for (i = 0; i < 50000; i += 7) {
		snprintf(key, sizeof(key), "support:%zu", i);
		ck_assert_int_eq(cl__map_put(&m, &ix, key, strlen(key)), 1);
		ck_assert_uint_eq(ix, i);
		ck_assert_int_eq(cl__map_find(&m, &ix, key), 1);
		ck_assert_uint_eq(ix, i);
		ck_assert_str_eq(m.keys[ix], key);
	}
	/* a prefix of a key is another key */
	ck_assert_int_eq(cl__map_find(&m, &ix, "support:1"), 1);
	ck_assert_int_eq(cl__map_find(&m, &ix, "support:"), 0);
	ck_assert_int_eq(cl__map_put(&m, &ix, "support:12345678", 9), 1);
	ck_assert_uint_eq(ix, 1);
	cl__map_free(&m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A report over a store                                               */
/* ------------------------------------------------------------------ */

static cl_store *store;
static char dir[64];

static void store_setup(void)
{
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/cl-audit-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	ck_assert_int_eq(cl_store_open(&store, path), 0);
}

static void store_teardown(void)
{
	char cmd[128];

	cl_store_free(store);
	store = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void add(int64_t time, const char *type, const char *ticket,
	const char *actor, const char *detail)
{
	cl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time = time;
	ev.type = type;
	ev.ticket = ticket;
	ev.actor = actor;
	ev.detail = detail;
	ck_assert_int_eq(cl_store_append(store, &ev), 0);
}

static int64_t fixed_now(void *payload)
{
	return *(int64_t *)payload;
}

START_TEST(report_state)
{
	static int64_t now = 100000;
	cl_audit *a = NULL;
	char *out = NULL;
	int f;

	cl_clock_set(fixed_now, &now);
	add(1000, CL_EVENT_OPENED, "t:1", "x", "{\"owner\":null}");
	add(1100, CL_EVENT_HANDOFF, "t:1", "x", "{\"from\":null,\"to\":\"bo\"}");
	add(1200, CL_EVENT_WORK_DONE, "t:1", "dev", NULL);
	add(1300, CL_EVENT_WORK_DONE, "t:1", "dev", NULL); /* not the first */
	add(1500, CL_EVENT_REPLY, "t:1", "bo", "{\"link\":\"l\"}");
	add(1600, CL_EVENT_REPLY, "t:1", "bo", "{\"link\":\"l2\"}"); /* paired */
	add(2000, CL_EVENT_OPENED, "t:2", "x", "{\"owner\":\"al\"}");
	add(2100, CL_EVENT_CLOSED, "t:2", "x", "{\"owner\":\"al\"}");
	add(2200, CL_EVENT_OPENED, "t:2", "x", "{}"); /* owner kept */
	add(2300, CL_EVENT_HANDOFF, "t:2", "x", "{\"from\":\"al\",\"to\":null}");
	add(2400, CL_EVENT_REMINDER, "t:2", "closeloop",
		"{\"rule\":\"owner-required\",\"escalated\":true}");
	add(2500, CL_EVENT_REMINDER, "t:2", "closeloop", "{\"rule\":\"custom\"}");
	add(2600, CL_EVENT_REMINDER, "t:2", "closeloop", "not json");
	ck_assert_int_eq(cl_audit_run(&a, store, 0, 0), 0);
	ck_assert_uint_eq(a->events, 13);
	ck_assert_uint_eq(a->waits.n, 1);
	ck_assert_int_eq(a->waits.v[0], 300);
	ck_assert_str_eq(a->owner_order[0]->name, "bo");
	/* t:2 is open with no owner since the handoff to nobody */
	ck_assert_uint_eq(a->unowned.total, 1);
	ck_assert_str_eq(a->unowned.items[0].t->id, "t:2");
	ck_assert_uint_eq(a->handoffs.total, 1); /* t:1, to bo, never acked */
	ck_assert_uint_eq(a->reminders.total, 3);
	ck_assert_uint_eq(cl__audit_rule_count(a, "owner-required"), 1);
	ck_assert_uint_eq(cl__audit_rule_count(a, "custom"), 1);
	ck_assert_uint_eq(cl__audit_rule_count(a, "(unknown)"), 1);
	ck_assert_uint_eq(a->escalated, 1);
	ck_assert_uint_eq(cl_audit_violations(a), 0);
	for (f = CL_AUDIT_TEXT; f <= CL_AUDIT_HTML; f++) {
		ck_assert_int_eq(cl_audit_render(&out, a, (cl_audit_format)f), 0);
		ck_assert_ptr_nonnull(strstr(out, "t:2"));
		cl_free(out);
	}
	ck_assert_int_eq(cl_audit_render(&out, a, (cl_audit_format)99),
		CL_EINVALID);
	ck_assert_ptr_null(out);
	cl_audit_free(a);
	cl_clock_set(NULL, NULL);
}
END_TEST

START_TEST(report_caps_lists)
{
	cl_audit *a = NULL;
	char ticket[32];
	size_t i;

	for (i = 0; i < CL_AUDIT_MAX_ITEMS + 5; i++) {
		snprintf(ticket, sizeof(ticket), "t:%zu", i);
		add(1000 + (int64_t)i, CL_EVENT_CLOSED_NO_REPLY, ticket, "x",
			"{\"action\":\"reopen\"}");
	}
	add(50000, CL_EVENT_REOPENED, "t:3", "closeloop", NULL);
	ck_assert_int_eq(cl_audit_run(&a, store, 0, 0), 0);
	ck_assert_uint_eq(a->closed_no_reply.total, CL_AUDIT_MAX_ITEMS + 5);
	ck_assert_uint_eq(a->closed_no_reply.count, CL_AUDIT_MAX_ITEMS);
	ck_assert_uint_eq(a->cnr_reopen_asked, CL_AUDIT_MAX_ITEMS + 5);
	ck_assert_uint_eq(a->cnr_reopened, 1);
	ck_assert_int_eq(a->closed_no_reply.items[3].later, 50000);
	ck_assert_uint_eq(cl_audit_violations(a), CL_AUDIT_MAX_ITEMS + 5);
	cl_audit_free(a);
}
END_TEST

START_TEST(report_bad_period)
{
	cl_audit *a = NULL;

	ck_assert_int_eq(cl_audit_run(&a, store, 200, 100), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "empty"));
	ck_assert_ptr_null(a);
	ck_assert_int_eq(cl_audit_run(&a, NULL, 0, 0), CL_EINVALID);
}
END_TEST

START_TEST(format_names)
{
	cl_audit_format f;

	ck_assert_int_eq(cl_audit_format_from_name(&f, "csv"), 0);
	ck_assert_int_eq(f, CL_AUDIT_CSV);
	ck_assert_int_eq(cl_audit_format_from_name(&f, "html"), 0);
	ck_assert_int_eq(f, CL_AUDIT_HTML);
	ck_assert_int_eq(cl_audit_format_from_name(&f, "xml"), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
		"text, json, csv or html"));
	ck_assert_int_eq(cl_audit_format_from_name(&f, NULL), CL_EINVALID);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("parts");
	TCase *rep = tcase_create("report");

	tcase_add_test(tc, percentiles);
	tcase_add_test(tc, samples_sort);
	tcase_add_loop_test(tc, project_of_ticket, 0,
		sizeof(projects) / sizeof(projects[0]));
	tcase_add_test(tc, detail_fields);
	tcase_add_test(tc, detail_malformed);
	tcase_add_loop_test(tc, csv_quoting, 0,
		sizeof(csv_cases) / sizeof(csv_cases[0]));
	tcase_add_test(tc, html_escaping);
	tcase_add_test(tc, map_many);
	tcase_add_test(tc, format_names);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(rep, store_setup, store_teardown);
	tcase_set_timeout(rep, 60);
	tcase_add_test(rep, report_state);
	tcase_add_test(rep, report_caps_lists);
	tcase_add_test(rep, report_bad_period);
	suite_add_tcase(s, rep);
	return s;
}

CL_TEST_MAIN(audit_suite)
