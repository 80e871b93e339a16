/* test_github.c: being written. */
#include "runner.h"

START_TEST(placeholder)
{
	ck_assert_int_eq(1, 1);
}
END_TEST

static Suite *github_suite(void)
{
	Suite *s = suite_create("github");
	TCase *tc = tcase_create("github");

	tcase_add_test(tc, placeholder);
	suite_add_tcase(s, tc);
	return s;
}

CL_TEST_MAIN(github_suite)
