/*
 * test_util.c: value parsers (durations, booleans, time ranges, times),
 * the clock seam, the error API and the string buffer.
 */
#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "internal.h"
#include "options.h"

static const struct {
	const char *text;
	int ok;
	int64_t seconds;
} durations[] = {
	{ "30s", 1, 30 }, { "5m", 1, 300 }, { "4h", 1, 14400 },
	{ "2d", 1, 172800 }, { "1h30m", 1, 5400 }, { "0", 1, 0 },
	{ "0s", 1, 0 }, { "90s", 1, 90 }, { "", 0, 0 }, { "30", 0, 0 },
	{ "5x", 0, 0 }, { "h", 0, 0 }, { "-5m", 0, 0 }, { "5 m", 0, 0 },
	{ "5M", 0, 0 }, { "99999999999999999999d", 0, 0 },
	{ "106751991167301d", 0, 0 }, { "1d1d", 1, 172800 },
};

START_TEST(duration)
{
	int64_t v = -1;
	int r = cl_parse_duration(&v, durations[_i].text);

	if (durations[_i].ok) {
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(v, durations[_i].seconds);
	} else {
		ck_assert_int_eq(r, CL_EINVALID);
		ck_assert_ptr_nonnull(strstr(cl_error_last()->message,
			"duration"));
	}
}
END_TEST

START_TEST(booleans)
{
	int b = -1;

	ck_assert_int_eq(cl_parse_bool(&b, "true"), 0); ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cl_parse_bool(&b, "Yes"), 0); ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cl_parse_bool(&b, "on"), 0); ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cl_parse_bool(&b, "1"), 0); ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cl_parse_bool(&b, NULL), 0); ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cl_parse_bool(&b, "FALSE"), 0); ck_assert_int_eq(b, 0);
	ck_assert_int_eq(cl_parse_bool(&b, "off"), 0); ck_assert_int_eq(b, 0);
	ck_assert_int_eq(cl_parse_bool(&b, "0"), 0); ck_assert_int_eq(b, 0);
	ck_assert_int_eq(cl_parse_bool(&b, "no"), 0); ck_assert_int_eq(b, 0);
	ck_assert_int_eq(cl_parse_bool(&b, "maybe"), CL_EINVALID);
	ck_assert_int_eq(cl_parse_bool(&b, "2"), CL_EINVALID);
}
END_TEST

START_TEST(time_ranges)
{
	int s = -1, e = -1;

	ck_assert_int_eq(cl_parse_time_range(&s, &e, "18:00-08:00"), 0);
	ck_assert_int_eq(s, 1080);
	ck_assert_int_eq(e, 480);
	ck_assert_int_eq(cl_parse_time_range(&s, &e, "00:00-24:00"), 0);
	ck_assert_int_eq(s, 0);
	ck_assert_int_eq(e, 0);
	ck_assert_int_eq(cl_parse_time_range(&s, &e, "12:30-13:45"), 0);
	ck_assert_int_eq(s, 750);
	ck_assert_int_eq(e, 825);
	ck_assert_int_eq(cl_parse_time_range(&s, &e, "18-08"), CL_EINVALID);
	ck_assert_int_eq(cl_parse_time_range(&s, &e, "25:00-08:00"), CL_EINVALID);
	ck_assert_int_eq(cl_parse_time_range(&s, &e, "18:60-08:00"), CL_EINVALID);
	ck_assert_int_eq(cl_parse_time_range(&s, &e, "18:00"), CL_EINVALID);
	ck_assert_int_eq(cl_parse_time_range(&s, &e, NULL), CL_EINVALID);
}
END_TEST

START_TEST(sizes)
{
	int64_t v;

	ck_assert_int_eq(cl__parse_size(&v, "25M"), 0);
	ck_assert_int_eq(v, 25 * 1024 * 1024);
	ck_assert_int_eq(cl__parse_size(&v, "512k"), 0);
	ck_assert_int_eq(v, 512 * 1024);
	ck_assert_int_eq(cl__parse_size(&v, "100"), 0);
	ck_assert_int_eq(v, 100);
	ck_assert_int_eq(cl__parse_size(&v, "1G"), 0);
	ck_assert_int_eq(cl__parse_size(&v, "1T"), CL_EINVALID);
	ck_assert_int_eq(cl__parse_size(&v, "M"), CL_EINVALID);
}
END_TEST

static int64_t fixed_clock(void *payload)
{
	return *(int64_t *)payload;
}

START_TEST(clock_seam)
{
	int64_t t = 1795426200; /* 2026-11-23T09:30:00Z */
	int64_t parsed;
	char buf[32];

	cl_clock_set(fixed_clock, &t);
	ck_assert_int_eq(cl_clock_now(), t);
	ck_assert_int_eq(cl_time_format(buf, sizeof(buf), t), 0);
	ck_assert_str_eq(buf, "2026-11-23T09:30:00Z");
	ck_assert_int_eq(cl_time_parse(&parsed, "2026-11-23T09:30:00Z"), 0);
	ck_assert_int_eq(parsed, t);
	ck_assert_int_eq(cl_time_parse(&parsed, "2026-11-23 09:30"), 0);
	ck_assert_int_eq(parsed, t);
	ck_assert_int_eq(cl_time_parse(&parsed, "2026-11-23"), 0);
	ck_assert_int_eq(parsed, t - 9 * 3600 - 1800);
	ck_assert_int_eq(cl_time_parse(&parsed, "7d"), 0);
	ck_assert_int_eq(parsed, t - 7 * 86400);
	ck_assert_int_eq(cl_time_parse(&parsed, "1970-01-01"), 0);
	ck_assert_int_eq(parsed, 0);
	ck_assert_int_eq(cl_time_parse(&parsed, "2000-02-29T00:00:00Z"), 0);
	ck_assert_int_eq(parsed, 951782400);
	ck_assert_int_eq(cl_time_parse(&parsed, "2026-13-01"), CL_EINVALID);
	ck_assert_int_eq(cl_time_parse(&parsed, "yesterday"), CL_EINVALID);
	ck_assert_ptr_nonnull(strstr(cl_error_last()->message, "yesterday"));
	ck_assert_int_eq(cl_time_parse(&parsed, ""), CL_EINVALID);
	ck_assert_int_eq(cl_time_format(buf, 5, t), CL_EINVALID);
	cl_clock_set(NULL, NULL);
	ck_assert_int_gt(cl_clock_now(), 1700000000);
}
END_TEST

START_TEST(errors)
{
	cl_error_clear();
	ck_assert_int_eq(cl_error_last()->code, CL_OK);
	ck_assert_str_eq(cl_error_last()->message, "no error");
	ck_assert_int_eq(cl__error(CL_ENOTFOUND, "ticket %d", 42), CL_ENOTFOUND);
	ck_assert_int_eq(cl_error_last()->code, CL_ENOTFOUND);
	ck_assert_str_eq(cl_error_last()->message, "ticket 42");
	ck_assert_str_eq(cl_strerror(CL_ENOTFOUND), "not found");
	ck_assert_str_eq(cl_strerror(-999), "unknown error");
	ck_assert_int_eq(cl_exit_code(CL_OK), CL_EXIT_OK);
	ck_assert_int_eq(cl_exit_code(CL_ECONFIG), CL_EXIT_USAGE);
	ck_assert_int_eq(cl_exit_code(CL_EINVALID), CL_EXIT_USAGE);
	ck_assert_int_eq(cl_exit_code(CL_ESTORE), CL_EXIT_UNREACHABLE);
	ck_assert_int_eq(cl_exit_code(CL_ETRACKER), CL_EXIT_UNREACHABLE);
	ck_assert_int_eq(cl_exit_code(CL_ERROR), CL_EXIT_CHECK);
	ck_assert_str_eq(cl_version(), PACKAGE_VERSION);
	cl_error_clear();
}
END_TEST

START_TEST(buffers)
{
	cl_buf b = CL_BUF_INIT;
	char *s;
	int i;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(cl__buf_printf(&b, "%d,", i), 0);
	ck_assert_uint_eq(b.len, strlen(b.ptr));
	ck_assert_int_eq(strncmp(b.ptr, "0,1,2,", 6), 0);
	s = cl__buf_detach(&b);
	ck_assert_ptr_null(b.ptr);
	ck_assert_int_eq(strncmp(s + strlen(s) - 4, "999,", 4), 0);
	free(s);
	s = cl__buf_detach(&b);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(cl__strcasecmp("Closes", "cLOSES"), 0);
	ck_assert_int_ne(cl__strcasecmp("close", "closes"), 0);
	ck_assert_int_eq(cl__strncasecmp("Fixes #1", "fixes", 5), 0);
}
END_TEST

static int captured;
static char captured_msg[256];

static void capture(cl_log_level level, const char *msg, void *payload)
{
	(void)payload;
	captured = (int)level + 1;
	snprintf(captured_msg, sizeof(captured_msg), "%s", msg);
}

START_TEST(logging)
{
	cl_log_set(CL_LOG_INFO, capture, NULL);
	cl_log(CL_LOG_DEBUG, "hidden %d", 1);
	ck_assert_int_eq(captured, 0);
	cl_log(CL_LOG_INFO, "shown %d", 2);
	ck_assert_int_eq(captured, CL_LOG_INFO + 1);
	ck_assert_str_eq(captured_msg, "shown 2");
	cl_log_set(CL_LOG_WARNING, NULL, NULL);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_loop_test(tc, duration, 0,
		(int)(sizeof(durations) / sizeof(durations[0])));
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, time_ranges);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, clock_seam);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, buffers);
	tcase_add_test(tc, logging);
	suite_add_tcase(s, tc);
	return s;
}

CL_TEST_MAIN(util_suite)
