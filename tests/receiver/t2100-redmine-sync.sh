#!/bin/sh
# The sync against a real Redmine (which sends no webhooks): `closeloop
# sync` and closeloopd's timer reopen an issue closed without a customer
# reply, with a private note naming the owner; delivered issues stay
# closed; warn mode only records; a second pass does nothing twice.
# Needs the Redmine of scripts/redmine-test-server (see t1100).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/receiver/lib-receiver.sh"

need_redmine
ident="sync$(date +%s)$$"
redmine_project "$ident"
receiver_port=$(free_port)
trap 'kill $(cat "$TRASH/receiver.pid" 2>/dev/null) 2>/dev/null; rm -rf "$TRASH"' EXIT

close_issue() {
	api PUT "/issues/$1.json" "{\"issue\":{\"status_id\":5${2:+,\"notes\":\"$2\"}}}"
}
status_of() {
	api GET "/issues/$1.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["issue"]["status"]["name"])'
}
count() {
	sqlite3 "$TRASH/ledger.db" "SELECT count(*) FROM events WHERE ticket = 'support:$1' AND type = '$2'"
}
status_is_now() {
	test "$(status_of "$1")" = "$2"
}
count_is() {
	test "$(count "$1" "$2")" = "$3"
}
write_conf() {
	cat >"$TRASH/c.conf" <<-EOC
	[closeloop]
		store = $TRASH/ledger.db
	[tracker "support"]
		type = redmine
		url = $REDMINE_URL
		tokenFile = $REDMINE_KEY_FILE
		project = $ident
		reopenStatus = In Progress
	[receiver]
		listen = 127.0.0.1:$receiver_port
		syncInterval = 2s
	$1
	EOC
}
write_conf ""
CLOSELOOP_CONFIG=$TRASH/c.conf
export CLOSELOOP_CONFIG

silent=$(new_issue "Refund never confirmed" "$DEV_ID")
noted=$(new_issue "Password reset mail" "$DEV_ID")
fielded=$(new_issue "Export to CSV" "$DEV_ID")
close_issue "$silent" >/dev/null
close_issue "$noted" "Fixed.\\nCustomer-Reply: https://mail.example.com/t/1" >/dev/null
api PUT "/issues/$fielded.json" "{\"issue\":{\"status_id\":5,\"custom_fields\":[{\"id\":$REDMINE_REPLY_FIELD_ID,\"value\":\"https://mail.example.com/t/2\"}]}}" >/dev/null

test_expect_success 'closeloop sync reopens the issue closed without a reply' '
	closeloop sync >out 2>err &&
	contains out "support: " &&
	test "$(status_of $silent)" = "In Progress" &&
	test "$(count $silent ticket.closed-without-reply)" = 1 &&
	test "$(count $silent ticket.reopened)" = 1
'
test_expect_success 'the reopen comes with a private note naming the owner and the fix' '
	notes_of $silent >notes &&
	grep "^private: closeloop reopened this ticket" notes >n &&
	contains n "$DEV_LOGIN" &&
	contains n "Customer-Reply: LINK" &&
	contains n "closeloop reply support:$silent LINK"
'
test_expect_success 'issues delivered by a note or by the reply field stay closed' '
	test "$(status_of $noted)" = Closed &&
	test "$(status_of $fielded)" = Closed &&
	test "$(count $noted ticket.closed-without-reply)" = 0 &&
	test "$(count $fielded ticket.closed-without-reply)" = 0
'
test_expect_success 'a second sync does nothing twice' '
	closeloop sync >out &&
	test "$(count $silent ticket.reopened)" = 1 &&
	test "$(notes_of $silent | grep -c "closeloop reopened")" = 1
'
test_expect_success 'the reopened issue seen open again keeps its owner: no handoff' '
	closeloop sync --since 1h >out &&
	test "$(count $silent handoff)" = 0
'
test_expect_success 'closed again without a reply: reopened again' '
	close_issue "$silent" >/dev/null &&
	closeloop sync --since 1h >out &&
	test "$(status_of $silent)" = "In Progress" &&
	test "$(count $silent ticket.reopened)" = 2
'
test_expect_success 'warn mode records the close and leaves the issue alone' '
	warned=$(new_issue "Wrong invoice address" "$DEV_ID") &&
	close_issue "$warned" >/dev/null &&
	write_conf "[rule \"reply-before-close\"]
	mode = warn" &&
	closeloop sync >out &&
	test "$(status_of $warned)" = Closed &&
	test "$(count $warned ticket.closed-without-reply)" = 1 &&
	test "$(count $warned ticket.reopened)" = 0 &&
	write_conf ""
'
test_expect_success 'bad arguments: exit 2, named' '
	expect_code 2 closeloop sync --since yesterday 2>err &&
	contains err "--since" &&
	expect_code 2 closeloop sync --tracker nope 2>err &&
	contains err "nope"
'
test_expect_success 'closeloopd syncs on its timer and reopens an issue closed in Redmine' '
	start_receiver &&
	late=$(new_issue "Shipping label missing" "$DEV_ID") &&
	close_issue "$late" >/dev/null &&
	wait_for 30 status_is_now $late "In Progress" &&
	wait_for 10 count_is $late ticket.reopened 1 &&
	curl -sf "$RECEIVER/metrics" | grep -q "^closeloop_sync_runs_total [1-9]" &&
	stop_receiver TERM && test "$receiver_status" = 0
'
test_done
