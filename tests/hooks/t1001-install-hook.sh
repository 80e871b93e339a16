#!/bin/sh
# closeloop install-hook: plain, Gitea-style and GitLab-style layouts,
# chaining an existing hook, --force, idempotence, push options.
. "$top_srcdir/tests/cli/lib.sh"
hook_libexec

test_expect_success 'installs both hooks into a bare repository' '
	git init -q --bare r1.git &&
	closeloop install-hook r1.git >out &&
	test -x r1.git/hooks/pre-receive && test -x r1.git/hooks/post-receive &&
	grep -q "closeloop-hook" r1.git/hooks/pre-receive &&
	grep -q "$CLOSELOOP_LIBEXECDIR/closeloop-pre-receive" r1.git/hooks/pre-receive &&
	test "$(git --git-dir=r1.git config --bool receive.advertisePushOptions)" = true
'
test_expect_success 'installing again changes nothing' '
	cp r1.git/hooks/pre-receive before &&
	closeloop install-hook r1.git >out &&
	cmp before r1.git/hooks/pre-receive &&
	! test -e r1.git/hooks/pre-receive.closeloop-chained
'
test_expect_success 'an existing hook is chained, runs first, sees the input' '
	git init -q --bare r2.git &&
	printf "#!/bin/sh\ncat >\"$TRASH/seen\"\necho old hook ran >&2\nexit 0\n" >r2.git/hooks/pre-receive &&
	chmod +x r2.git/hooks/pre-receive &&
	closeloop install-hook r2.git >out &&
	contains out "kept the existing hook" &&
	test -x r2.git/hooks/pre-receive.closeloop-chained &&
	git clone -q r2.git w2 2>/dev/null &&
	(cd w2 && git config user.email t@e && git config user.name T &&
	 echo a >a && git add a && git commit -q -m "first" &&
	 git push -q origin HEAD:refs/heads/main 2>"$TRASH/push.err") &&
	contains push.err "old hook ran" &&
	grep -q " refs/heads/main$" seen
'
test_expect_success 'a chained hook that rejects still rejects' '
	printf "#!/bin/sh\necho no from old hook >&2\nexit 1\n" >r2.git/hooks/pre-receive.closeloop-chained &&
	(cd w2 && echo b >b && git add b && git commit -q -m second &&
	 ! git push -q origin HEAD:refs/heads/main 2>"$TRASH/push.err") &&
	contains push.err "no from old hook"
'
test_expect_success 'installing again keeps the chain' '
	closeloop install-hook r2.git >out &&
	test -x r2.git/hooks/pre-receive.closeloop-chained
'
test_expect_success '--force replaces an existing hook' '
	git init -q --bare r3.git &&
	printf "#!/bin/sh\nexit 1\n" >r3.git/hooks/pre-receive && chmod +x r3.git/hooks/pre-receive &&
	closeloop install-hook --force r3.git >out &&
	grep -q closeloop-hook r3.git/hooks/pre-receive &&
	! test -e r3.git/hooks/pre-receive.closeloop-chained
'
test_expect_success 'Gitea layout: hooks/pre-receive.d/' '
	git init -q --bare r4.git &&
	mkdir r4.git/hooks/pre-receive.d r4.git/hooks/post-receive.d &&
	closeloop install-hook r4.git >out &&
	test -x r4.git/hooks/pre-receive.d/closeloop &&
	test -x r4.git/hooks/post-receive.d/closeloop &&
	! test -e r4.git/hooks/pre-receive
'
test_expect_success 'GitLab layout: custom_hooks/pre-receive.d/' '
	git init -q --bare r5.git && mkdir r5.git/custom_hooks &&
	closeloop install-hook r5.git >out &&
	test -x r5.git/custom_hooks/pre-receive.d/closeloop &&
	test -x r5.git/custom_hooks/post-receive.d/closeloop
'
test_expect_success 'not a repository: exit 2, named' '
	mkdir notrepo &&
	expect_code 2 closeloop install-hook notrepo 2>err && contains err notrepo
'
test_expect_success 'no repository given: usage, exit 2' '
	expect_code 2 closeloop install-hook 2>err && contains err "usage: closeloop install-hook"
'
test_expect_success 'missing hook programs: exit 2, named' '
	CLOSELOOP_LIBEXECDIR=$TRASH/nowhere expect_code 2 closeloop install-hook r1.git 2>err &&
	contains err "$TRASH/nowhere/closeloop-pre-receive is missing"
'
test_expect_success 'the hook programs answer --help and refuse other arguments' '
	for h in pre-receive post-receive; do
		"$TRASH/libexec/closeloop-$h" --help >out &&
		contains out "closeloop-$h: git runs this $h hook" &&
		contains out "closeloop-hooks(8)" &&
		expect_code 2 "$TRASH/libexec/closeloop-$h" --bogus 2>err </dev/null &&
		contains err "usage: closeloop-$h" || exit 1
	done
'
test_expect_success 'the man page closeloop-hooks(8) describes both hooks and their options' '
	sed "s/\\\\-/-/g" "$top_srcdir/doc/closeloop-hooks.8" >man.txt &&
	for w in closeloop.override protectedBranches onTrackerError hookTimeout \
		overrideUsers push.unverified work.done reply.linked \
		closeloop-chained GIT_PUSH_OPTION_COUNT; do
		grep -q -- "$w" man.txt || { echo "closeloop-hooks.8 does not name $w"; exit 1; }
	done
'
test_done
