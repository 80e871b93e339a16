/*
 * runner.h: the main() every Check test program shares. Results go to
 * stdout as TAP, so that automake's tap-driver counts each test case.
 */
#ifndef CL_TEST_RUNNER_H
#define CL_TEST_RUNNER_H

#include <check.h>
#include <stdlib.h>

#define CL_TEST_MAIN(suite_fn)                                        \
	int main(void)                                                    \
	{                                                                 \
		SRunner *sr = srunner_create(suite_fn());                     \
		int failed;                                                   \
		srunner_set_tap(sr, "-");                                     \
		srunner_run_all(sr, CK_SILENT);                               \
		failed = srunner_ntests_failed(sr);                           \
		srunner_free(sr);                                             \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;             \
	}

#endif
