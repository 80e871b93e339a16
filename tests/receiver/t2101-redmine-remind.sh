#!/bin/sh
# Reminders against a real Redmine: work done (an issue moved to
# Resolved, seen by the sync) and no reply gets a private note to the
# owner; an unowned issue gets one too; repeat holds them; closeloop's
# own notes never count as a reply nor reset a clock; a Customer-Reply
# note stops them; closeloopd posts them on its timer. Time moves through
# CLOSELOOP_NOW. Needs the Redmine of scripts/redmine-test-server.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/receiver/lib-receiver.sh"

need_redmine
ident="remind$(date +%s)$$"
redmine_project "$ident"
receiver_port=$(free_port)
trap 'kill $(cat "$TRASH/receiver.pid" 2>/dev/null) 2>/dev/null; rm -rf "$TRASH"' EXIT

resolve_issue() {
	api PUT "/issues/$1.json" '{"issue":{"status_id":3}}'
}
reminder_notes() {
	notes_of "$1" | grep -c "closeloop reminder"
}
reminder_notes_are() {
	test "$(reminder_notes "$1")" = "$2"
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
		resolvedStatuses = Resolved
	[receiver]
		listen = 127.0.0.1:$receiver_port
		syncInterval = 1s
	[remind]
		repeat = 24h
	$1
	EOC
}
write_conf ""
CLOSELOOP_CONFIG=$TRASH/c.conf
TZ=UTC
export CLOSELOOP_CONFIG TZ

fixed=$(new_issue "Refund never confirmed" "$DEV_ID")
orphan=$(new_issue "Nobody took this")
resolve_issue "$fixed" >/dev/null
handed=$(new_issue "Wrong delivery address" "$SUPPORT_ID")

test_expect_success 'the sync sees the issues opened, and the work done on the resolved one' '
	closeloop sync >out &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''ticket.opened'\'' AND ticket IN ('\''support:$fixed'\'', '\''support:$orphan'\'')")" = 2 &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''work.done'\'' AND ticket = '\''support:$fixed'\''")" = 1 &&
	closeloop sync --since 1h >out &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''work.done'\'' AND ticket = '\''support:$fixed'\''")" = 1
'
test_expect_success 'five hours on: a private note reminds the owner; another asks for an owner' '
	CLOSELOOP_NOW=+5h closeloop remind >out &&
	contains out "support:$fixed  reply-due  to $DEV_LOGIN  (reminder 1, private note)" &&
	contains out "support:$orphan  owner-required  to (no owner)  (reminder 1, private note)" &&
	notes_of $fixed >notes &&
	grep "^private: closeloop reminder" notes >n &&
	contains n "$DEV_LOGIN, you own it" &&
	contains n "closeloop reply support:$fixed LINK" &&
	! grep "^public: closeloop" notes &&
	notes_of $orphan | grep -q "^private: closeloop reminder: this ticket has been open for 5h"
'
test_expect_success 'an hour later nothing is repeated' '
	CLOSELOOP_NOW=+6h closeloop remind >out &&
	contains out "0 reminders due" &&
	reminder_notes_are $fixed 1
'
test_expect_success 'closeloop'"'"'s own notes are no reply and reset no clock' '
	closeloop sync --since 1h >out &&
	test "$(ledger "SELECT count(*) FROM events WHERE type = '\''reply.linked'\''")" = 0 &&
	CLOSELOOP_NOW=+30h closeloop remind >out &&
	contains out "support:$fixed  reply-due  to $DEV_LOGIN  (reminder 2, private note)" &&
	notes_of $fixed | grep "closeloop reminder" | tail -n 1 >n &&
	contains n "done 1d 6h ago" &&
	reminder_notes_are $fixed 2
'
test_expect_success 'a Customer-Reply note stops the reply reminders' '
	api PUT "/issues/$fixed.json" "{\"issue\":{\"notes\":\"Called her.\\nCustomer-Reply: https://mail.example.com/t/9\"}}" >/dev/null &&
	CLOSELOOP_NOW=+60h closeloop remind >out &&
	! contains out "support:$fixed" &&
	reminder_notes_are $fixed 2
'
test_expect_success 'a reassignment seen by the sync is a handoff; both owners are reminded' '
	closeloop sync --since 1h >out &&
	api PUT "/issues/$handed.json" "{\"issue\":{\"assigned_to_id\":$DEV_ID}}" >/dev/null &&
	closeloop sync --since 1h >out &&
	ledger "SELECT detail FROM events WHERE type = '\''handoff'\'' AND ticket = '\''support:$handed'\''" >d &&
	contains d "\"from\":\"$SUPPORT_LOGIN\"" && contains d "\"to\":\"$DEV_LOGIN\"" &&
	CLOSELOOP_NOW=+3h closeloop remind >out &&
	contains out "support:$handed  handoff-ack  to $DEV_LOGIN and $SUPPORT_LOGIN  (reminder 1, private note)" &&
	notes_of $handed | grep "^private: closeloop reminder" >n &&
	contains n "$DEV_LOGIN, this ticket was handed to you" &&
	contains n "$SUPPORT_LOGIN, you stay accountable"
'
test_expect_success 'a note by the new owner acknowledges the handoff (read from the journals)' '
	curl -sS -X PUT -H "X-Redmine-API-Key: $DEV_KEY" -H "Content-Type: application/json" \
		--data "{\"issue\":{\"notes\":\"Looking at it.\"}}" "$REDMINE_URL/issues/$handed.json" >/dev/null &&
	CLOSELOOP_NOW=+30h closeloop remind >out &&
	! contains out "support:$handed" &&
	test "$(ledger "SELECT actor FROM events WHERE type = '\''handoff.acknowledged'\'' AND ticket = '\''support:$handed'\''")" = "$DEV_LOGIN"
'
test_expect_success 'closeloopd posts due reminders on its timer' '
	write_conf "	replyAfter = 1s" &&
	late=$(new_issue "Label printer" "$DEV_ID") &&
	resolve_issue "$late" >/dev/null &&
	start_receiver &&
	wait_for 40 reminder_notes_are $late 1 &&
	curl -sf "$RECEIVER/metrics" >metrics &&
	grep -q "^closeloop_remind_runs_total [1-9]" metrics &&
	grep -q "^closeloop_reminders_total{rule=\"reply-due\"} 1" metrics &&
	stop_receiver TERM && test "$receiver_status" = 0 &&
	reminder_notes_are $late 1
'
test_done
