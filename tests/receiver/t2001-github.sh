#!/bin/sh
# closeloopd with a GitHub tracker, over real HTTP on loopback: webhooks
# signed as GitHub signs them (the real payloads of
# @octokit/webhooks-examples), a GitHub API stand-in that checks every
# request (tests/support/forge-standin.py), the rules acting after the
# acknowledgement, the outbox riding out an outage, SIGKILL, SIGTERM,
# SIGHUP, /v1, /healthz and /metrics.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/receiver/lib-receiver.sh"
need_octokit

start_standin github gh-token
trap 'kill $standin_pid $(cat "$TRASH/receiver.pid" 2>/dev/null) 2>/dev/null; rm -rf "$TRASH"' EXIT
receiver_port=$(free_port)
echo gh-token >"$TRASH/token"
echo "It's a Secret to Everybody" >"$TRASH/secret"
echo api-token >"$TRASH/api"
chmod 600 "$TRASH/token" "$TRASH/secret" "$TRASH/api"
write_conf() {
	cat >"$TRASH/c.conf" <<-EOC
	[closeloop]
		store = $TRASH/ledger.db
	[tracker "gh"]
		type = github
		url = $STANDIN
		project = acme/web
		tokenFile = $TRASH/token
		webhookSecretFile = $TRASH/secret
	[tracker "examples"]
		type = github
		url = $STANDIN
		project = Codertocat/Hello-World
		tokenFile = $TRASH/token
		webhookSecretFile = $TRASH/secret
	[receiver]
		listen = 127.0.0.1:$receiver_port
		syncInterval = 0s
		maxBodySize = 256K
		$1
	EOC
}
secret="It's a Secret to Everybody"
RECEIVER=http://127.0.0.1:$receiver_port
hook() {
	python3 "$top_srcdir/tests/support/webhook.py" post "$RECEIVER/hooks/$1" \
		"$secret" "$2" "$3" $4 >"$TRASH/answer"
	cat "$TRASH/answer"
}
make_payload() {
	python3 "$top_srcdir/tests/support/webhook.py" make "$@"
}
ledger_is() {
	test "$(ledger "$1")" = "$2"
}
status_is() {
	test "$(cut -d" " -f1 "$TRASH/answer")" = "$1" || {
		echo "expected $1, got: $(cat "$TRASH/answer")"; return 1; }
}

test_expect_success 'closeloopd starts and answers /healthz' '
	write_conf "apiTokenFile = $TRASH/api" && start_receiver &&
	curl -sf "$RECEIVER/healthz" | grep -q "\"status\":\"ok\""
'
test_expect_success 'every issues and issue_comment example of octokit is answered 202' '
	python3 "$top_srcdir/tests/support/webhook.py" replay \
		"$RECEIVER/hooks/examples" "$secret" \
		"$top_srcdir/tests/data/octokit/index.json" >replay.out &&
	test "$(grep -c " 202 " replay.out)" = 38 &&
	test "$(grep -c "\"status\":\"accepted\"" replay.out)" -ge 30
'
test_expect_success 'examples for pull requests and other repositories are ignored, with a reason' '
	grep "demilestoned" replay.out | grep -q "\"status\":\"ignored\"" &&
	grep "transferred" replay.out | grep -q "\"status\":\"ignored\""
'
test_expect_success 'a missing signature is refused 401, naming the header' '
	make_payload issues opened acme/web 1 >p.json &&
	hook gh issues p.json --no-sig && status_is 401 &&
	grep -q "X-Hub-Signature-256" "$TRASH/answer"
'
test_expect_success 'a wrong signature is refused 401' '
	hook gh issues p.json --bad-sig && status_is 401
'
test_expect_success 'a malformed payload is refused 400, saying what is wrong' '
	printf "{\"action\": \"opened\", \"issue\": " >bad.json &&
	hook gh issues bad.json && status_is 400
'
test_expect_success 'a body over maxBodySize is refused 413' '
	python3 -c "print(\"{\\\"pad\\\": \\\"\" + \"x\" * 300000 + \"\\\"}\")" >big.json &&
	hook gh issues big.json && status_is 413
'
test_expect_success 'an unknown tracker is 404, a GET is 405' '
	test "$(curl -s -o /dev/null -w "%{http_code}" -X POST -d "{}" "$RECEIVER/hooks/nope")" = 404 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$RECEIVER/hooks/gh")" = 405
'
test_expect_success 'a ping (an event closeloop does not use) is acknowledged and ignored' '
	echo "{\"zen\": \"Keep it logically awesome.\", \"hook_id\": 1}" >ping.json &&
	hook gh ping ping.json && status_is 202 && grep -q ignored "$TRASH/answer"
'
test_expect_success 'a ticket closed without a reply is reopened, with one comment naming the owner' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":7,\"state\":\"closed\",\"assignees\":[\"dana\"]}" >/dev/null &&
	make_payload issues closed acme/web 7 --state closed --assignee dana --sender sam >close7.json &&
	hook gh issues close7.json "--delivery 00000000-0000-0000-0000-00000000c107" && status_is 202 &&
	grep -q "\"status\":\"accepted\"" "$TRASH/answer" &&
	wait_for 20 requests_match "any(x[\"method\"] == \"PATCH\" and x[\"path\"] == \"/repos/acme/web/issues/7\" and \"open\" in x[\"body\"] for x in r)" &&
	wait_for 20 requests_match "[x[\"method\"] for x in r if x[\"path\"] == \"/repos/acme/web/issues/7/comments\"].count(\"POST\") == 1" &&
	requests_match "any(x[\"method\"] == \"POST\" and \"dana\" in x[\"body\"] and \"Customer-Reply: LINK\" in x[\"body\"] and \"closeloop reply gh:7 LINK\" in x[\"body\"] for x in r)" &&
	test "$(ledger "SELECT count(*) FROM events WHERE ticket = '\''gh:7'\'' AND type = '\''ticket.closed-without-reply'\''")" = 1 &&
	test "$(ledger "SELECT actor FROM events WHERE ticket = '\''gh:7'\'' AND type = '\''ticket.reopened'\''")" = closeloop
'
test_expect_success 'the same delivery again is acknowledged as a duplicate and processed once' '
	hook gh issues close7.json "--delivery 00000000-0000-0000-0000-00000000c107" && status_is 202 &&
	grep -q "\"status\":\"duplicate\"" "$TRASH/answer" &&
	sleep 1 &&
	requests_match "[x[\"method\"] for x in r if x[\"path\"] == \"/repos/acme/web/issues/7\"].count(\"PATCH\") == 1"
'
test_expect_success 'closeloop'"'"'s own comment coming back as a webhook triggers nothing' '
	before=$(ledger "SELECT count(*) FROM events WHERE ticket = '\''gh:7'\''") &&
	make_payload issue_comment created acme/web 7 --sender closeloop-bot \
		--body "closeloop reopened this ticket <!-- closeloop -->" >own.json &&
	hook gh issue_comment own.json && status_is 202 && sleep 1 &&
	test "$(ledger "SELECT count(*) FROM events WHERE ticket = '\''gh:7'\''")" = "$before"
'
test_expect_success 'a Customer-Reply comment records the reply; closing then is left alone' '
	make_payload issue_comment created acme/web 7 --sender dana \
		--body "Answered the customer.
Customer-Reply: https://mail.example.com/m/1" >reply.json &&
	hook gh issue_comment reply.json && status_is 202 &&
	wait_for 20 ledger_is "SELECT count(*) FROM events WHERE ticket = '\''gh:7'\'' AND type = '\''reply.linked'\''" 1 &&
	make_payload issues closed acme/web 7 --state closed --assignee dana --sender dana >close7b.json &&
	hook gh issues close7b.json && status_is 202 && sleep 2 &&
	requests_match "[x[\"method\"] for x in r if x[\"path\"] == \"/repos/acme/web/issues/7\"].count(\"PATCH\") == 1" &&
	test "$(ledger "SELECT count(*) FROM events WHERE ticket = '\''gh:7'\'' AND type = '\''ticket.closed-without-reply'\''")" = 1
'
test_expect_success 'an assignment records a handoff; any action by the new owner acknowledges it' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":8,\"state\":\"open\",\"assignees\":[\"sam\"]}" >/dev/null &&
	make_payload issues assigned acme/web 8 --assignee sam --sender lee >a1.json &&
	hook gh issues a1.json && status_is 202 &&
	wait_for 20 ledger_is "SELECT count(*) FROM events WHERE ticket = '\''gh:8'\'' AND type = '\''handoff'\''" 1 &&
	test "$(ledger "SELECT count(*) FROM events WHERE ticket = '\''gh:8'\'' AND type = '\''handoff.acknowledged'\''")" = 0 &&
	make_payload issue_comment created acme/web 8 --sender sam --body "On it." >ack.json &&
	hook gh issue_comment ack.json && status_is 202 &&
	wait_for 20 ledger_is "SELECT actor FROM events WHERE ticket = '\''gh:8'\'' AND type = '\''handoff.acknowledged'\''" sam
'
test_expect_success 'a tracker outage delays the reopen and loses nothing (Retry-After honoured)' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":9,\"state\":\"closed\",\"assignees\":[\"dana\"]}" >/dev/null &&
	standin /_outage "{\"count\": 8, \"status\": 503, \"retry_after\": 1}" >/dev/null &&
	make_payload issues closed acme/web 9 --state closed --assignee dana >close9.json &&
	hook gh issues close9.json && status_is 202 &&
	wait_for 20 metric_matches "^closeloop_outbox_depth [1-9]" &&
	wait_for 40 requests_match "any(x[\"method\"] == \"PATCH\" and x[\"path\"] == \"/repos/acme/web/issues/9\" for x in r)" &&
	wait_for 20 requests_match "[x[\"method\"] for x in r if x[\"path\"] == \"/repos/acme/web/issues/9/comments\"].count(\"POST\") == 1" &&
	curl -sf "$RECEIVER/metrics" >m.txt &&
	grep -q "^closeloop_actions_total{outcome=\"retried\"} [1-9]" m.txt
'
test_expect_success '/metrics counts deliveries by tracker and result, outbox depth, latency' '
	curl -sf "$RECEIVER/metrics" >m.txt &&
	grep -q "^closeloop_webhook_deliveries_total{tracker=\"gh\",result=\"accepted\"} [1-9]" m.txt &&
	grep -q "^closeloop_webhook_deliveries_total{tracker=\"gh\",result=\"duplicate\"} 1$" m.txt &&
	grep -q "^closeloop_webhook_deliveries_total{tracker=\"gh\",result=\"rejected\"} [1-9]" m.txt &&
	grep -q "^closeloop_webhook_deliveries_total{tracker=\"gh\",result=\"ignored\"} 1$" m.txt &&
	grep -q "^closeloop_outbox_depth 0$" m.txt &&
	grep -q "^closeloop_tracker_call_duration_seconds_count [1-9]" m.txt
'
test_expect_success 'POST /v1/replies needs the token, records the reply and writes it to the tracker' '
	test "$(curl -s -o /dev/null -w "%{http_code}" -X POST -d "{}" "$RECEIVER/v1/replies")" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer nope" -X POST -d "{}" "$RECEIVER/v1/replies")" = 401 &&
	curl -s -o out.json -w "%{http_code}" -H "Authorization: Bearer api-token" \
		-d "{\"ticket\":\"gh:8\",\"link\":\"https://mail.example.com/m/8\",\"by\":\"sam\"}" \
		"$RECEIVER/v1/replies" >code && test "$(cat code)" = 202 &&
	wait_for 20 requests_match "any(x[\"method\"] == \"POST\" and x[\"path\"] == \"/repos/acme/web/issues/8/comments\" and \"Customer-Reply: https://mail.example.com/m/8\" in x[\"body\"] for x in r)" &&
	test "$(ledger "SELECT actor FROM events WHERE ticket = '\''gh:8'\'' AND type = '\''reply.linked'\''")" = sam
'
test_expect_success 'POST /v1/replies refuses a bad ticket or link with 400' '
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer api-token" -d "{\"ticket\":\"nowhere:1\",\"link\":\"https://x.example/1\"}" "$RECEIVER/v1/replies")" = 400 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer api-token" -d "{\"ticket\":\"gh:1\",\"link\":\"not a link\"}" "$RECEIVER/v1/replies")" = 400
'
test_expect_success 'GET /v1/tickets/TICKET shows the ticket'"'"'s ledger' '
	curl -sf -H "Authorization: Bearer api-token" "$RECEIVER/v1/tickets/gh:7" >t.json &&
	python3 -c "
import json, sys
t = json.load(open(\"t.json\"))
types = [e[\"type\"] for e in t[\"events\"]]
assert t[\"ticket\"] == \"gh:7\", t
assert \"ticket.closed-without-reply\" in types and \"reply.linked\" in types, types
"
'
test_expect_success 'no request to the GitHub stand-in broke the documented API' '
	test "$(standin /_errors)" = "[]" || { standin /_errors; false; }
'
test_expect_success 'SIGKILL right after the acknowledgement loses nothing' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":11,\"state\":\"closed\",\"assignees\":[\"dana\"]}" >/dev/null &&
	standin /_outage "{\"count\": 1, \"status\": 503, \"retry_after\": 1, \"delay\": 5}" >/dev/null &&
	make_payload issues closed acme/web 11 --state closed --assignee dana >close11.json &&
	hook gh issues close11.json && status_is 202 &&
	stop_receiver KILL &&
	test "$(ledger "SELECT count(*) FROM deliveries")" -ge 1 &&
	start_receiver &&
	wait_for 40 requests_match "any(x[\"method\"] == \"PATCH\" and x[\"path\"] == \"/repos/acme/web/issues/11\" for x in r)"
'
test_expect_success 'a delivery is stored as the event parsed from it, without the payload' '
	test "$(ledger "SELECT count(*) FROM deliveries WHERE length(body) > 0 OR tevent IS NULL")" = 0 &&
	ledger "SELECT tevent FROM deliveries WHERE tevent LIKE '\''%\"number\":11,%'\''" >t11.json &&
	grep -q "\"kind\":\"closed\"" t11.json &&
	grep -q "\"project\":\"acme/web\"" t11.json &&
	test $(wc -c <t11.json) -lt 400
'
test_expect_success 'a delivery stored with its payload by an earlier closeloopd is processed' '
	standin /_seed "{\"repo\":\"acme/web\",\"number\":12,\"state\":\"closed\",\"assignees\":[\"dana\"]}" >/dev/null &&
	make_payload issues closed acme/web 12 --state closed --assignee dana >close12.json &&
	stop_receiver TERM &&
	ledger "INSERT INTO deliveries (tracker, delivery_id, received, event, body)
		VALUES ('\''gh'\'', '\''old-12'\'', strftime('\''%s'\'', '\''now'\''),
		'\''X-GitHub-Event: issues'\'' || char(10) || '\''X-GitHub-Delivery: old-12'\'' || char(10),
		readfile('\''close12.json'\''))" &&
	start_receiver &&
	wait_for 40 requests_match "any(x[\"method\"] == \"PATCH\" and x[\"path\"] == \"/repos/acme/web/issues/12\" for x in r)" &&
	wait_for 20 ledger_is "SELECT state FROM deliveries WHERE delivery_id = '\''old-12'\''" done
'
test_expect_success 'SIGHUP rereads the configuration; a broken one is refused and the old one kept' '
	write_conf "" && kill -HUP "$(receiver_pid)" &&
	wait_for 10 grep -q "configuration reloaded" "$TRASH/closeloopd.log" &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer api-token" "$RECEIVER/v1/tickets/gh:7")" = 403 &&
	echo "[receiver] bogus = 1" >>"$TRASH/c.conf" && kill -HUP "$(receiver_pid)" &&
	wait_for 10 grep -q "old configuration stays" "$TRASH/closeloopd.log" &&
	curl -sf "$RECEIVER/healthz" >/dev/null
'
test_expect_success 'SIGTERM finishes in-flight work and exits 0' '
	stop_receiver TERM && test "$receiver_status" = 0 &&
	grep -q "stopped" "$TRASH/closeloopd.log"
'
test_done
