#!/bin/sh
# closeloop's hooks against a real Redmine: every pre-receive rule, the
# exact report, overrides, warn mode, and what post-receive records.
# Needs the Redmine of scripts/redmine-test-server; skipped when it is not
# running, unless CLOSELOOP_REQUIRE_REDMINE=1 (CI), where that fails.
. "$top_srcdir/tests/cli/lib.sh"

need_redmine
hook_libexec

ident="hooks$(date +%s)$$"
redmine_project "$ident"

journal_notes() {
	api GET "/issues/$1.json?include=journals" |
		python3 -c 'import json,sys; [print(j.get("notes") or "") for j in json.load(sys.stdin)["issue"]["journals"]]'
}
reply_field() {
	api GET "/issues/$1.json" | python3 -c '
import json,sys
for f in json.load(sys.stdin)["issue"].get("custom_fields", []):
    if f["name"] == "Customer reply": print(f.get("value") or "")'
}
events() {
	sqlite3 "$TRASH/ledger.db" "SELECT type FROM events ORDER BY id" | tr '\n' ' '
}

cat >"$TRASH/c.conf" <<EOC
[closeloop]
	store = $TRASH/ledger.db
	protectedBranches = refs/heads/main
	overrideUsers = alice
[tracker "support"]
	type = redmine
	url = $REDMINE_URL
	tokenFile = $REDMINE_KEY_FILE
	project = $ident
EOC
CLOSELOOP_CONFIG=$TRASH/c.conf
export CLOSELOOP_CONFIG

unowned=$(new_issue "Printer on fire")
owned=$(new_issue "Invoice shows wrong VAT" "$DEV_ID")
noted=$(new_issue "Login slow" "$DEV_ID")
fielded=$(new_issue "Export broken" "$DEV_ID")
mention=$(new_issue "Typo on page" "$DEV_ID")

test_expect_success 'setup' '
	new_server s1 && commit s1 "initial, refs #$mention" &&
	git -C s1 push -q origin HEAD:refs/heads/main 2>err
'
test_expect_success 'a ticket that does not exist rejects' '
	commit s1 "Fix crash, closes #99999999" &&
	! git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "remote: closeloop: push rejected: 1 problem" &&
	contains err "support:99999999 does not exist in tracker support" &&
	git -C s1 reset -q --hard HEAD~1
'
test_expect_success 'closing an unowned ticket rejects' '
	commit s1 "Fixes #$unowned" &&
	! git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "support:$unowned is closed by this push but has no owner" &&
	contains err "fix: assign support:$unowned to the person who will answer the customer" &&
	git -C s1 reset -q --hard HEAD~1
'
test_expect_success 'closing an undelivered ticket rejects with the exact report' '
	commit s1 "Correct VAT rounding

Fixes #$owned" &&
	sid=$(git -C s1 rev-parse --short=10 HEAD) &&
	! git -C s1 push origin HEAD:refs/heads/main 2>err &&
	grep "^remote: closeloop:" err | sed "s/ *\$//" >got &&
	cat >want <<-EOW &&
	remote: closeloop: push rejected: 1 problem
	remote: closeloop:   $sid "Correct VAT rounding"
	remote: closeloop:     support:$owned is closed by this push but no customer reply is linked
	remote: closeloop:     fix: link the reply, then push again:
	remote: closeloop:            closeloop reply support:$owned LINK
	remote: closeloop:          or add a trailer to the commit message (git commit --amend):
	remote: closeloop:            Customer-Reply: #$owned LINK
	remote: closeloop: to override (recorded, with your reason): git push -o closeloop.override="REASON"
	EOW
	diff -u want got
'
test_expect_success 'the rejection is in the ledger' '
	contains_type=$(events) &&
	case "$contains_type" in *push.rejected*) ;; *) echo "$contains_type"; false;; esac
'
test_expect_success 'a Customer-Reply trailer in the same push accepts' '
	git -C s1 commit -q --amend -m "Correct VAT rounding

Fixes #$owned
Customer-Reply: https://mail.example.com/msg/4711" &&
	git -C s1 push origin HEAD:refs/heads/main 2>err &&
	! grep -q "push rejected" err
'
test_expect_success 'post-receive recorded work done and the reply' '
	sqlite3 "$TRASH/ledger.db" "SELECT type||\" \"||ticket FROM events WHERE type IN (\"work.done\",\"reply.linked\")" >got &&
	contains got "work.done support:$owned" &&
	contains got "reply.linked support:$owned"
'
test_expect_success 'post-receive wrote the reply to the Redmine field' '
	test "$(reply_field $owned)" = "https://mail.example.com/msg/4711"
'
test_expect_success 'a Customer-Reply note in Redmine counts as delivered' '
	api PUT "/issues/$noted.json" "{\"issue\":{\"notes\":\"Called her back.\\nCustomer-Reply: https://crm.example.com/call/9\"}}" &&
	commit s1 "Speed up login, fixes #$noted" &&
	git -C s1 push origin HEAD:refs/heads/main 2>err &&
	! grep -q "push rejected" err
'
test_expect_success 'the reply field set in Redmine counts as delivered' '
	api PUT "/issues/$fielded.json" "{\"issue\":{\"custom_fields\":[{\"id\":$REDMINE_REPLY_FIELD_ID,\"value\":\"https://mail.example.com/m/1\"}]}}" &&
	commit s1 "Fix export (closes #$fielded)" &&
	git -C s1 push origin HEAD:refs/heads/main 2>err &&
	! grep -q "push rejected" err
'
test_expect_success 'a mention of an undelivered ticket passes' '
	commit s1 "Refs #$unowned: investigate" &&
	git -C s1 push origin HEAD:refs/heads/main 2>err &&
	! grep -q "push rejected" err
'
test_expect_success 'override by someone not allowed is refused' '
	commit s1 "Fixes #$unowned" &&
	! USER=bob git -C s1 push -o closeloop.override="customer waiting" origin HEAD:refs/heads/main 2>err &&
	contains err "override refused: bob is not in closeloop.overrideUsers"
'
test_expect_success 'override by alice is accepted and recorded' '
	USER=alice git -C s1 push -o closeloop.override="outage, answering by phone" origin HEAD:refs/heads/main 2>err &&
	contains err "override by alice accepted: outage, answering by phone" &&
	sqlite3 "$TRASH/ledger.db" "SELECT actor, detail FROM events WHERE type=\"override\"" >got &&
	contains got "alice|" && contains got "outage, answering by phone"
'
test_expect_success 'the override is noted on the ticket' '
	journal_notes $unowned >got &&
	contains got "alice overrode the rules" && contains got "outage, answering by phone"
'
test_expect_success 'warn mode reports and accepts' '
	printf "[closeloop]\n\tmode = warn\n" >>"$TRASH/c.conf" &&
	other=$(new_issue "Warn me" "$DEV_ID") &&
	commit s1 "Fixes #$other" &&
	git -C s1 push origin HEAD:refs/heads/main 2>err &&
	contains err "warning: 1 problem (reported only" &&
	contains err "no customer reply is linked"
'
test_done
