#!/bin/sh
# Every public header compiles on its own, in C and as C++-safe C.
. "$top_srcdir/tests/cli/lib.sh"

for h in "$top_srcdir"/plugin/include/closeloop/*.h "$top_srcdir"/plugin/include/closeloop/sys/*.h; do
	name=${h#"$top_srcdir"/plugin/include/}
	test_expect_success "$name compiles alone" "
		printf '#include <%s>\nint main(void) { return 0; }\n' '$name' >h.c &&
		$CC -std=c11 -Wall -Wextra -Werror -pedantic $CL_TEST_CPPFLAGS -c h.c -o h.o
	"
done
test_done
