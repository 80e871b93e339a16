#!/bin/sh
# closeloop-pre-receive without a tracker that answers: which refs are
# checked, the association rule, mode off/warn, a tracker that is down
# with onTrackerError allow and reject, misconfiguration.
. "$top_srcdir/tests/cli/lib.sh"
hook_libexec

# a port nothing listens on: the tracker is down
down_url=http://127.0.0.1:9
echo key >"$TRASH/key" && chmod 600 "$TRASH/key"

write_conf() {
	cat >"$TRASH/c.conf" <<-EOC
	[closeloop]
		store = $TRASH/ledger.db
		protectedBranches = refs/heads/main refs/heads/release/*
		hookTimeout = 2s
		$1
	[tracker "support"]
		type = redmine
		url = $down_url
		tokenFile = $TRASH/key
		project = support
	$2
	EOC
}
CLOSELOOP_CONFIG=$TRASH/c.conf
export CLOSELOOP_CONFIG

events() {
	sqlite3 "$TRASH/ledger.db" "SELECT type FROM events WHERE type LIKE 'push.%' ORDER BY id" | tr '\n' ' '
}

test_expect_success 'setup' '
	write_conf "" "" && new_server s1
'
test_expect_success 'a push without references passes (association off)' '
	commit s1 "plain change" &&
	git -C s1 push -q origin HEAD:refs/heads/main 2>err &&
	! test -s err
'
test_expect_success 'tracker down, onTrackerError=allow: accepted unverified' '
	commit s1 "Fixes #1" &&
	git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "remote: closeloop: warning: tracker support could not be reached" &&
	contains err "push accepted unverified" &&
	test "$(events)" = "push.unverified "
'
test_expect_success 'tracker down, onTrackerError=reject: rejected, says why' '
	write_conf "onTrackerError = reject" "" &&
	commit s1 "Fixes #2" &&
	! git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "remote: closeloop: push rejected: tracker support could not be reached" &&
	test "$(events)" = "push.unverified push.rejected "
'
test_expect_success 'the hook answers within hookTimeout when the tracker hangs' '
	write_conf "onTrackerError = reject" "" &&
	start=$(date +%s) &&
	! git -C s1 push origin HEAD:refs/heads/main 2>err &&
	test $(( $(date +%s) - start )) -le 4
'
test_expect_success 'unprotected branches and tags are not checked' '
	git -C s1 push -q origin HEAD:refs/heads/topic 2>err &&
	git -C s1 tag v1 && git -C s1 push -q origin v1 2>err
'
test_expect_success 'branch deletions pass' '
	git -C s1 push -q origin :refs/heads/topic 2>err
'
test_expect_success 'a protected pattern covers release/*' '
	commit s1 "Fixes #3" &&
	! git -C s1 push origin HEAD:refs/heads/release/1.0 2>err &&
	contains err "push rejected"
'
test_expect_success 'mode = off checks nothing' '
	write_conf "onTrackerError = reject
	mode = off" "" &&
	git -C s1 push -q origin HEAD:refs/heads/main 2>err && ! test -s err
'
test_expect_success 'association rule: a commit without a reference is rejected' '
	write_conf "" "[rule \"association\"]
	enabled = true" &&
	commit s1 "no reference here" &&
	! git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "push rejected: 1 problem" &&
	contains err "\"no reference here\"" &&
	contains err "references no ticket" &&
	contains err "fix: name the ticket in the message" &&
	contains err "git push -o closeloop.override="
'
test_expect_success 'association rule in warn mode: reported, accepted' '
	write_conf "" "[rule \"association\"]
	enabled = true
	mode = warn" &&
	git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "warning: 1 problem (reported only" &&
	contains err "references no ticket"
'
test_expect_success 'a broken configuration rejects and says so' '
	write_conf "hookTimeout = soon" "" &&
	commit s1 "another" &&
	! git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "closeloop is misconfigured" &&
	contains err "closeloop.hookTimeout: bad duration" &&
	contains err "closeloop doctor"
'
test_expect_success 'the repository config chooses the mode' '
	write_conf "onTrackerError = reject" "" &&
	git --git-dir="$TRASH/s1.git" config closeloop.mode off &&
	git -C s1 push -q origin HEAD:refs/heads/main 2>err
'
test_done
