#!/bin/sh
# closeloopd with a Gitea/Forgejo tracker: payloads written from Gitea's
# documented structure (tests/data/gitea/, with its traps), signed as Gitea
# signs them (bare hex; form-encoded hooks over the JSON), against a Gitea
# API stand-in that checks every request.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/receiver/lib-receiver.sh"

start_standin gitea gitea-token
trap 'kill $standin_pid $(cat "$TRASH/receiver.pid" 2>/dev/null) 2>/dev/null; rm -rf "$TRASH"' EXIT
receiver_port=$(free_port)
RECEIVER=http://127.0.0.1:$receiver_port
echo gitea-token >"$TRASH/token"
echo "gitea hook secret" >"$TRASH/secret"
chmod 600 "$TRASH/token" "$TRASH/secret"
cat >"$TRASH/c.conf" <<EOC
[closeloop]
	store = $TRASH/ledger.db
[tracker "forge"]
	type = gitea
	url = $STANDIN
	project = acme/web
	tokenFile = $TRASH/token
	webhookSecretFile = $TRASH/secret
[receiver]
	listen = 127.0.0.1:$receiver_port
	syncInterval = 0s
EOC
data=$top_srcdir/tests/data/gitea
# send EVENT TYPE FILE [ARGS]: a Gitea webhook, answer in $TRASH/answer
send() {
	python3 "$top_srcdir/tests/support/webhook.py" post "$RECEIVER/hooks/forge" \
		"gitea hook secret" "$1" "$data/$3" --gitea --event-type "$2" $4 >"$TRASH/answer"
	cat "$TRASH/answer"
}
status_is() {
	test "$(cut -d" " -f1 "$TRASH/answer")" = "$1" || {
		echo "expected $1, got: $(cat "$TRASH/answer")"; return 1; }
}
ledger_is() {
	test "$(ledger "$1")" = "$2"
}
start_receiver

test_expect_success 'an issue closed without a reply is reopened through the Gitea API, with a comment' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":7,\"state\":\"closed\",\"assignees\":[\"bob\"]}" >/dev/null &&
	send issues issues hook_issues_closed.json && status_is 202 &&
	grep -q accepted "$TRASH/answer" &&
	wait_for 20 requests_match "any(x[\"method\"] == \"PATCH\" and x[\"path\"] == \"/api/v1/repos/acme/web/issues/7\" for x in r)" &&
	wait_for 20 requests_match "any(x[\"method\"] == \"POST\" and x[\"path\"] == \"/api/v1/repos/acme/web/issues/7/comments\" and \"bob\" in x[\"body\"] for x in r)"
'
test_expect_success 'a redelivery (new X-Gitea-Delivery, same body) is a duplicate' '
	send issues issues hook_issues_closed.json && status_is 202 &&
	grep -q duplicate "$TRASH/answer"
'
test_expect_success 'the form-encoded hook (signed over the JSON) is accepted' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":7,\"state\":\"closed\",\"assignees\":[\"bob\"]}" >/dev/null &&
	send issues issues hook_issues_closed.form --form && status_is 202 &&
	grep -q "\"status\":\"accepted\"" "$TRASH/answer"
'
test_expect_success 'an empty X-Gitea-Signature (a hook without a secret) is refused 401' '
	send issues issues hook_issues_opened.json --no-sig && status_is 401
'
test_expect_success 'issue_assign (folded into X-Gitea-Event: issues) records a handoff' '
	send issues issue_assign hook_issue_assign_assigned.json && status_is 202 &&
	wait_for 20 ledger_is "SELECT count(*) FROM events WHERE ticket = '\''forge:7'\'' AND type = '\''handoff'\''" 1
'
test_expect_success 'a comment with a Customer-Reply line records the reply' '
	send issue_comment issue_comment hook_issue_comment_created.json && status_is 202 &&
	wait_for 20 ledger_is "SELECT json_extract(detail, '\''$.link'\'') FROM events WHERE ticket = '\''forge:7'\'' AND type = '\''reply.linked'\''" "https://crm.example.com/call/77?a=1&b=2"
'
test_expect_success 'closeloop'"'"'s own comment, a pull request comment and a push are ignored' '
	send issue_comment issue_comment hook_issue_comment_closeloop.json && status_is 202 &&
	send issue_comment pull_request_comment hook_pull_request_comment_created.json && status_is 202 &&
	grep -q ignored "$TRASH/answer" &&
	send push push hook_push.json && status_is 202 && grep -q ignored "$TRASH/answer" &&
	sleep 1 &&
	ledger_is "SELECT count(*) FROM events WHERE ticket = '\''forge:7'\'' AND type = '\''reply.linked'\''" 1
'
test_expect_success 'another repository is ignored' '
	send issues issues hook_issues_other_repo.json && status_is 202 &&
	grep -q ignored "$TRASH/answer"
'
test_expect_success 'no request to the Gitea stand-in broke the documented API' '
	test "$(standin /_errors)" = "[]" || { standin /_errors; false; }
'
test_expect_success 'SIGTERM: exit 0' '
	stop_receiver TERM && test "$receiver_status" = 0
'
test_done
