/*
 * test_tevent.c: a tracker event written as JSON and read back
 * (cl_tevent_to_json, cl_tevent_from_json), as the receiver stores it in
 * place of a webhook's payload; and every way a stored text can be wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <closeloop/closeloop.h>
#include <closeloop/webhook.h>

#include "runner.h"

static void full_event(cl_tevent *ev)
{
	cl_tevent_init(ev);
	ev->kind = CL_TEVENT_COMMENT;
	ev->ref.kind = CL_REF_CLOSE;
	ev->ref.number = 4242;
	ev->ref.offset = 17;
	snprintf(ev->project, sizeof(ev->project), "acme/web");
	snprintf(ev->actor, sizeof(ev->actor), "dana");
	snprintf(ev->owner, sizeof(ev->owner), "sam");
	ev->closed = 1;
	ev->by_closeloop = 1;
	ev->time = 1700000123;
	/* quotes, a newline, a NUL-free multi-byte character, a backslash */
	ev->comment = strdup("Customer-Reply: https://help.example/t/1\n"
		"\"quoted\" \\ caf\xc3\xa9");
	ck_assert_ptr_nonnull(ev->comment);
}

START_TEST(round_trip)
{
	cl_tevent in, out;
	char *json = NULL;

	full_event(&in);
	ck_assert_int_eq(cl_tevent_to_json(&in, &json), 0);
	ck_assert_ptr_nonnull(json);
	/* readable: slashes are not escaped */
	ck_assert_ptr_nonnull(strstr(json, "\"project\":\"acme/web\""));
	/* small: what a 13 KB payload comes down to */
	ck_assert_uint_lt(strlen(json), 400);
	ck_assert_int_eq(cl_tevent_from_json(&out, json, strlen(json)), 0);
	ck_assert_int_eq(out.kind, CL_TEVENT_COMMENT);
	ck_assert_int_eq(out.ref.kind, CL_REF_CLOSE);
	ck_assert_uint_eq(out.ref.number, 4242);
	ck_assert_uint_eq(out.ref.offset, 17);
	/* the reference's project points into the event, as after a parse */
	ck_assert_ptr_eq(out.ref.project, out.project);
	ck_assert_str_eq(out.project, "acme/web");
	ck_assert_str_eq(out.actor, "dana");
	ck_assert_str_eq(out.owner, "sam");
	ck_assert_int_eq(out.closed, 1);
	ck_assert_int_eq(out.by_closeloop, 1);
	ck_assert_int_eq(out.time, 1700000123);
	ck_assert_str_eq(out.comment, in.comment);
	cl_tevent_clear(&out);
	cl_tevent_clear(&in);
	free(json);
}
END_TEST

START_TEST(every_kind_and_no_comment)
{
	static const cl_tevent_kind kinds[] = {
		CL_TEVENT_OPENED, CL_TEVENT_CLOSED, CL_TEVENT_REOPENED,
		CL_TEVENT_ASSIGNED, CL_TEVENT_COMMENT, CL_TEVENT_RESOLVED,
		CL_TEVENT_ACTIVITY, CL_TEVENT_IGNORED
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		cl_tevent in, out;
		char *json = NULL;

		cl_tevent_init(&in);
		in.kind = kinds[i];
		in.ref.number = i + 1;
		in.ref.project = NULL;       /* a "#7" reference */
		ck_assert_int_eq(cl_tevent_to_json(&in, &json), 0);
		ck_assert_int_eq(cl_tevent_from_json(&out, json, strlen(json)), 0);
		ck_assert_int_eq(out.kind, kinds[i]);
		ck_assert_int_eq(out.ref.kind, CL_REF_MENTION);
		ck_assert_uint_eq(out.ref.number, i + 1);
		ck_assert_ptr_null(out.ref.project);
		ck_assert_ptr_null(out.comment);
		ck_assert_str_eq(out.owner, "");
		ck_assert_int_eq(out.closed, 0);
		/* an ignored event keeps no reason of its own */
		if (kinds[i] == CL_TEVENT_IGNORED)
			ck_assert_ptr_nonnull(out.reason);
		else
			ck_assert_ptr_null(out.reason);
		cl_tevent_clear(&out);
		free(json);
	}
}
END_TEST

static const char good[] =
	"{\"v\":1,\"kind\":\"closed\",\"ref\":{\"kind\":\"mention\",\"number\":9,"
	"\"project\":true,\"offset\":0},\"project\":\"acme/web\",\"actor\":\"a\","
	"\"owner\":\"o\",\"closed\":true,\"by_closeloop\":false,\"time\":5}";

static void assert_refused(const char *json, const char *message)
{
	cl_tevent ev;

	ck_assert_int_eq(cl_tevent_from_json(&ev, json, strlen(json)),
		CL_EINVALID);
	ck_assert_msg(strstr(cl_error_last()->message, message) != NULL,
		"'%s' does not say '%s'", cl_error_last()->message, message);
	/* nothing is left to free */
	ck_assert_ptr_null(ev.comment);
	ck_assert_int_eq(ev.kind, CL_TEVENT_IGNORED);
}

/* good with the first `from` replaced by `to` is refused, saying message. */
static void assert_edit_refused(const char *from, const char *to,
	const char *message)
{
	const char *at = strstr(good, from);
	char *json;

	ck_assert_ptr_nonnull(at);
	json = malloc(sizeof(good) + strlen(to));
	ck_assert_ptr_nonnull(json);
	sprintf(json, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	assert_refused(json, message);
	free(json);
}

START_TEST(good_text_reads)
{
	cl_tevent ev;

	ck_assert_int_eq(cl_tevent_from_json(&ev, good, strlen(good)), 0);
	ck_assert_int_eq(ev.kind, CL_TEVENT_CLOSED);
	ck_assert_str_eq(ev.owner, "o");
	cl_tevent_clear(&ev);
}
END_TEST

START_TEST(bad_texts_refused)
{
	char long_owner[CL_TEVENT_MAX_NAME + 32];

	assert_refused("", "not JSON");
	assert_refused("{\"v\":1", "not JSON");
	assert_refused("[1]", "not a JSON object");
	assert_refused("{}", "\"v\"");
	assert_edit_refused("\"v\":1", "\"v\":2", "version 2");
	assert_edit_refused("\"closed\",", "\"exploded\",",
		"unknown kind 'exploded'");
	assert_edit_refused("\"mention\"", "\"maybe\"",
		"neither close nor mention");
	assert_edit_refused("\"number\":9", "\"number\":-9",
		"\"number\" is negative");
	assert_edit_refused("\"number\":9", "\"number\":\"9\"",
		"\"number\" is missing or not an integer");
	assert_edit_refused("\"actor\":\"a\",", "", "\"actor\" is missing");
	assert_edit_refused("\"closed\":true", "\"closed\":1",
		"\"closed\" is missing or not true or false");
	assert_edit_refused("\"time\":5", "\"time\":5,\"comment\":7",
		"\"comment\" is not a string");
	/* an owner of CL_TEVENT_MAX_NAME bytes, one too many */
	snprintf(long_owner, sizeof(long_owner), "\"owner\":\"%0*d\"",
		CL_TEVENT_MAX_NAME, 0);
	assert_edit_refused("\"owner\":\"o\"", long_owner,
		"\"owner\" is longer than 255 bytes");
}
END_TEST

START_TEST(bad_arguments)
{
	cl_tevent ev;
	char *json = NULL;

	cl_tevent_init(&ev);
	ck_assert_int_eq(cl_tevent_to_json(NULL, &json), CL_EINVALID);
	ck_assert_int_eq(cl_tevent_to_json(&ev, NULL), CL_EINVALID);
	ev.kind = (cl_tevent_kind)99;
	ck_assert_int_eq(cl_tevent_to_json(&ev, &json), CL_EINVALID);
	ck_assert_ptr_null(json);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "kind 99"));
	ck_assert_int_eq(cl_tevent_from_json(NULL, good, strlen(good)),
		CL_EINVALID);
	ck_assert_int_eq(cl_tevent_from_json(&ev, NULL, 0), CL_EINVALID);
}
END_TEST

static Suite *tevent_suite(void)
{
	Suite *s = suite_create("tevent");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, every_kind_and_no_comment);
	tcase_add_test(tc, good_text_reads);
	tcase_add_test(tc, bad_texts_refused);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

CL_TEST_MAIN(tevent_suite)
