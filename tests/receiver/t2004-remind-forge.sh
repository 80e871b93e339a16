#!/bin/sh
# Reminders over days, against the GitHub API stand-in: reply-due,
# owner-required and handoff-ack, repeat, quiet hours, snooze, escalation,
# closeloop's own comments not resetting a clock. Time moves through
# CLOSELOOP_NOW (the clock of each closeloop process), never by sleeping.
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
	overrideUsers = alice
[tracker "gh"]
	type = github
	url = $STANDIN
	project = acme/web
	tokenFile = $TRASH/token
[remind]
	replyAfter = 4h
	unownedAfter = 1h
	handoffAfter = 2h
	repeat = 24h
	escalateAfter = 2
	escalateTo = lead
	quietHours = 18:00-08:00
EOC
CLOSELOOP_CONFIG=$TRASH/c.conf
TZ=UTC
export CLOSELOOP_CONFIG TZ
# Monday 2026-11-02 09:00 UTC: the tickets are opened
base=1793610000

comments_on() {
	standin /_requests | python3 -c "
import json, sys
r = json.load(sys.stdin)
print(len([x for x in r if x['method'] == 'POST' and
           x['path'] == '/repos/acme/web/issues/$1/comments' and
           'closeloop reminder' in x['body']]))"
}
last_comment_on() {
	standin /_requests | python3 -c "
import json, sys
r = [x for x in json.load(sys.stdin) if x['method'] == 'POST' and
     x['path'] == '/repos/acme/web/issues/$1/comments']
print(json.loads(r[-1]['body'])['body'] if r else '')"
}
reminders() {
	ledger "SELECT count(*) FROM events WHERE type = 'reminder.sent'$1"
}

test_expect_success 'setup: four open tickets, seen by a sync' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":51,\"assignees\":[\"dana\"],\"time\":$base}" &&
	standin /_seed "{\"repo\":\"acme/web\",\"number\":52,\"assignees\":[],\"time\":$base}" &&
	standin /_seed "{\"repo\":\"acme/web\",\"number\":53,\"assignees\":[\"erin\"],\"labels\":[\"closeloop:snooze\"],\"time\":$base}" &&
	standin /_seed "{\"repo\":\"acme/web\",\"number\":54,\"assignees\":[\"frank\"],\"time\":$base}" &&
	CLOSELOOP_NOW=2026-11-02T09:05:00Z closeloop sync --since 2026-11-01 >out &&
	contains out "gh: 4 tickets changed" &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''ticket.opened'\'' AND time = $base")" = 4 &&
	ledger "SELECT detail FROM events WHERE ticket = '\''gh:51'\'' AND type = '\''ticket.opened'\''" >d &&
	contains d "\"owner\":\"dana\""
'
test_expect_success 'setup: work done on #51 and #53 at 10:00 (a push, overridden), #54 handed from erin to frank' '
	new_server s1 &&
	commit s1 "Round the totals

Fixes #51
Fixes #53" &&
	CLOSELOOP_NOW=2026-11-02T10:00:00Z USER=alice git -C s1 push -q \
		-o "closeloop.override=customer is called by support" origin HEAD:refs/heads/main 2>err &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''work.done'\'' AND time = $((base + 3600))")" = 2 &&
	ledger "INSERT INTO events (time, type, ticket, actor, detail) VALUES ($base, '\''handoff'\'', '\''gh:54'\'', '\''erin'\'', '\''{\"from\":\"erin\",\"to\":\"frank\"}'\'')"
'
test_expect_success 'at 10:30 only the unowned ticket is due; --dry-run prints it and posts nothing' '
	CLOSELOOP_NOW=2026-11-02T10:30:00Z closeloop remind --dry-run >out &&
	contains out "gh:52  owner-required  to (no owner)  (reminder 1, not posted: dry run)" &&
	contains out "open for 1h 30m without an owner" &&
	contains out "1 reminder due; dry run: nothing posted or recorded" &&
	test "$(comments_on 52)" = 0 &&
	test "$(reminders)" = 0
'
test_expect_success 'at 14:30 the reply, the owner and the handoff are reminded; the snoozed ticket is not' '
	CLOSELOOP_NOW=2026-11-02T14:30:00Z closeloop remind >out &&
	contains out "gh:51  reply-due  to dana  (reminder 1)" &&
	contains out "gh:52  owner-required" &&
	contains out "gh:54  handoff-ack  to frank and erin  (reminder 1)" &&
	contains out "3 reminders due; tracker actions sent: 3" &&
	! contains out "gh:53" &&
	test "$(comments_on 51)" = 1 && test "$(comments_on 52)" = 1 &&
	test "$(comments_on 54)" = 1 && test "$(comments_on 53)" = 0 &&
	last_comment_on 51 >c51 &&
	contains c51 "@dana, you own it" && contains c51 "done 4h 30m ago" &&
	contains c51 "    Customer-Reply: LINK" && contains c51 "<!-- closeloop -->" &&
	last_comment_on 54 >c54 &&
	contains c54 "@frank, this ticket was handed to you" &&
	contains c54 "@erin, you stay accountable" &&
	test "$(reminders " AND ticket = '\''gh:51'\''")" = 1 &&
	ledger "SELECT detail FROM events WHERE type = '\''reminder.sent'\'' AND ticket = '\''gh:54'\''" >d &&
	contains d "\"to\":[\"frank\",\"erin\"]"
'
test_expect_success 'a second pass the same day repeats nothing (remind.repeat)' '
	CLOSELOOP_NOW=2026-11-02T16:00:00Z closeloop remind >out &&
	contains out "0 reminders due" &&
	test "$(reminders)" = 3
'
test_expect_success 'quiet hours hold reminders that are due' '
	CLOSELOOP_NOW=2026-11-03T19:00:00Z closeloop remind >out &&
	contains out "0 reminders due" &&
	CLOSELOOP_NOW=2026-11-04T07:59:00Z closeloop remind >out &&
	contains out "0 reminders due" &&
	test "$(reminders)" = 3
'
test_expect_success 'after the quiet hours they go out, once' '
	CLOSELOOP_NOW=2026-11-04T08:01:00Z closeloop remind >out &&
	contains out "gh:51  reply-due  to dana  (reminder 2)" &&
	contains out "3 reminders due" &&
	test "$(comments_on 51)" = 2
'
test_expect_success 'closeloop'"'"'s own comments do not reset a clock' '
	CLOSELOOP_NOW=2026-11-05T08:30:00Z closeloop sync --since 2026-11-01 >out &&
	CLOSELOOP_NOW=2026-11-05T09:00:00Z closeloop remind --dry-run >out &&
	contains out "gh:51  reply-due  to dana, escalated to lead  (reminder 3" &&
	contains out "done 2d 23h ago"
'
test_expect_success 'after escalateAfter reminders the reply reminder names escalateTo' '
	CLOSELOOP_NOW=2026-11-05T09:00:00Z closeloop remind >out &&
	contains out "gh:51  reply-due  to dana, escalated to lead  (reminder 3)" &&
	last_comment_on 51 >c51 &&
	contains c51 "Reminder 3: escalated to @lead." &&
	ledger "SELECT detail FROM events WHERE type = '\''reminder.sent'\'' AND ticket = '\''gh:51'\'' ORDER BY id DESC LIMIT 1" >d &&
	contains d "\"escalated\":true" && contains d "\"to\":[\"dana\",\"lead\"]"
'
test_expect_success 'removing the snooze label lets the reminder come' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":53,\"assignees\":[\"erin\"],\"time\":$base}" &&
	CLOSELOOP_NOW=2026-11-05T09:30:00Z closeloop remind >out &&
	contains out "gh:53  reply-due  to erin  (reminder 1)" &&
	test "$(comments_on 53)" = 1
'
test_expect_success 'a linked reply, an owner and an acknowledgement stop the clocks' '
	CLOSELOOP_NOW=2026-11-06T09:00:00Z closeloop reply gh:51 https://mail.example.com/m/51 --by dana >out &&
	standin /_seed "{\"repo\":\"acme/web\",\"number\":52,\"assignees\":[\"gus\"],\"time\":$base}" &&
	ledger "INSERT INTO events (time, type, ticket, actor, detail) VALUES ($((base + 86400 * 4)), '\''handoff.acknowledged'\'', '\''gh:54'\'', '\''frank'\'', '\''{\"from\":\"erin\",\"to\":\"frank\"}'\'')" &&
	CLOSELOOP_NOW=2026-11-09T09:00:00Z closeloop remind >out &&
	! contains out "gh:51" && ! contains out "gh:52" && ! contains out "gh:54" &&
	contains out "gh:53  reply-due"
'
test_expect_success 'a bad CLOSELOOP_NOW is a usage error that names it' '
	CLOSELOOP_NOW=yesterday-ish expect_code 2 closeloop remind 2>err &&
	contains err "CLOSELOOP_NOW='\''yesterday-ish'\'' is neither a time"
'
test_expect_success 'a rule in warn mode records its reminders without posting them' '
	printf "[rule \"reply-due\"]\n\tmode = warn\n" >>"$TRASH/c.conf" &&
	before=$(comments_on 53) &&
	CLOSELOOP_NOW=2026-11-12T09:00:00Z closeloop remind >out &&
	contains out "gh:53  reply-due  to erin" &&
	contains out "not posted: rule in warn mode" &&
	test "$(comments_on 53)" = "$before" &&
	ledger "SELECT detail FROM events WHERE type = '\''reminder.sent'\'' ORDER BY id DESC LIMIT 1" >d &&
	contains d "\"posted\":false"
'
test_expect_success 'closeloop status counts the reminders and shows the snooze' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":55,\"assignees\":[\"erin\"],\"labels\":[\"closeloop:snooze\"],\"time\":$base}" &&
	closeloop status gh:55 >out &&
	contains out "snoozed: labelled closeloop:snooze, no reminders" &&
	closeloop status gh:51 --json >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\")); assert d[\"reminders_sent\"] == 3 and d[\"snoozed\"] is False, d"
'
test_expect_success 'no request to the GitHub stand-in broke the documented API' '
	test "$(standin /_errors)" = "[]" || { standin /_errors; false; }
'
test_done
