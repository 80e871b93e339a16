#!/bin/sh
# The sync for a tracker that has webhooks: `closeloop sync` catches up a
# close whose webhook never came, and re-checks a push that was accepted
# unverified while the tracker was down (GitHub API stand-in).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/receiver/lib-receiver.sh"
hook_libexec

start_standin github gh-token
trap 'kill $standin_pid 2>/dev/null; rm -rf "$TRASH"' EXIT
echo gh-token >"$TRASH/token" && chmod 600 "$TRASH/token"
cat >"$TRASH/c.conf" <<EOC
[closeloop]
	store = $TRASH/ledger.db
	protectedBranches = refs/heads/main
	hookTimeout = 3s
[tracker "gh"]
	type = github
	url = $STANDIN
	project = acme/web
	tokenFile = $TRASH/token
EOC
CLOSELOOP_CONFIG=$TRASH/c.conf
export CLOSELOOP_CONFIG

test_expect_success 'a close whose webhook never came is caught up by closeloop sync' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":31,\"state\":\"closed\",\"assignees\":[\"dana\"]}" >/dev/null &&
	closeloop sync >out &&
	contains out "gh: 1 ticket changed" &&
	requests_match "any(x[\"method\"] == \"PATCH\" and x[\"path\"] == \"/repos/acme/web/issues/31\" for x in r)" &&
	requests_match "any(x[\"method\"] == \"POST\" and x[\"path\"] == \"/repos/acme/web/issues/31/comments\" and \"dana\" in x[\"body\"] for x in r)" &&
	test "$(ledger "SELECT count(*) FROM events WHERE ticket = '\''gh:31'\'' AND type = '\''ticket.reopened'\''")" = 1
'
test_expect_success 'a delivered close is left alone by the sync' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":32,\"state\":\"closed\",\"assignees\":[\"dana\"],\"comments\":[{\"user\":\"dana\",\"body\":\"Customer-Reply: https://mail.example.com/32\"}]}" >/dev/null &&
	closeloop sync --since 1h >out &&
	! requests_match "any(x[\"method\"] == \"PATCH\" and x[\"path\"] == \"/repos/acme/web/issues/32\" for x in r)"
'
test_expect_success 'setup: a push accepted unverified while GitHub was down' '
	new_server s1 &&
	standin /_outage "{\"count\": 1000, \"status\": 503, \"retry_after\": 0}" >/dev/null &&
	commit s1 "Round the totals

Fixes #33" &&
	git -C s1 push -q origin HEAD:refs/heads/main 2>err &&
	contains err "could not be reached" &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''push.unverified'\''")" = 1 &&
	standin /_outage "{\"count\": 0}" >/dev/null
'
test_expect_success 'the next sync re-checks that push and records what the rules say' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":33,\"state\":\"open\",\"assignees\":[]}" >/dev/null &&
	closeloop sync --since 1h >out &&
	ledger "SELECT detail FROM events WHERE type = '\''push.rechecked'\''" >rechecked &&
	contains rechecked "\"ticket\":\"gh:33\"" &&
	contains rechecked "\"rule\":\"owner-required\"" &&
	closeloop audit >audit &&
	contains audit "unverified pushes that broke a rule, re-checked later: 1"
'
test_expect_success 'a push is re-checked once' '
	closeloop sync --since 1h >out &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''push.rechecked'\''")" = 1
'
test_expect_success 'no request to the GitHub stand-in broke the documented API' '
	test "$(standin /_errors)" = "[]" || { standin /_errors; false; }
'
test_done
