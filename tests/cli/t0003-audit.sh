#!/bin/sh
# closeloop audit on an empty and on a populated ledger, text and json.
. "$top_srcdir/tests/cli/lib.sh"

printf "[closeloop]\n\tstore = %s/ledger.db\n" "$TRASH" >c.conf

test_expect_success 'json on an empty ledger is valid and empty' '
	closeloop --config c.conf audit --format json >out.json &&
	python3 -c "
import json,sys
r = json.load(open(\"out.json\"))
assert r[\"events\"] == 0, r
assert r[\"violations\"] == 0
assert r[\"closed_without_reply\"][\"count\"] == 0
assert r[\"closed_without_reply\"][\"items\"] == []
assert r[\"unowned\"] == {\"count\": 0, \"items\": []}
assert r[\"reply_wait\"][\"count\"] == 0 and r[\"reply_wait\"][\"by_owner\"] == []
assert r[\"reminders\"][\"by_rule\"] == {\"reply-due\": 0, \"owner-required\": 0, \"handoff-ack\": 0}
assert r[\"overrides\"][\"count\"] == 0
assert r[\"since\"] is None
"
'
test_expect_success 'text on an empty ledger' '
	closeloop --config c.conf audit >out &&
	contains out "events: 0" && contains out "closed without a reply: 0" &&
	contains out "violations: 0"
'
# Events appended the way any other SQLite client would.
cat >events.sql <<'EOS'
INSERT INTO events(time, type, ticket, actor, commit_id, detail) VALUES
 (1795392000, 'push.accepted', 'support:1', 'alice', NULL, NULL),
 (1795395600, 'ticket.closed-without-reply', 'support:2', 'bob', NULL, NULL),
 (1795399200, 'override', 'support:3', 'carol', '0123456789abcdef0123',
  '{"reason":"hotfix for outage"}'),
 (1795402800, 'push.unverified', 'support:4', 'dave', NULL, NULL),
 (1795489200, 'ticket.closed-without-reply', 'support:5', 'erin', NULL, NULL);
EOS
test_expect_success 'populate the ledger' '
	sqlite3 ledger.db <events.sql
'
test_expect_success 'json lists each violation' '
	closeloop --config c.conf audit --format json >out.json &&
	python3 -c "
import json
r = json.load(open(\"out.json\"))
assert r[\"events\"] == 5, r
assert r[\"violations\"] == 4
assert r[\"closed_without_reply\"][\"count\"] == 2
assert [i[\"ticket\"] for i in r[\"closed_without_reply\"][\"items\"]] == [\"support:2\", \"support:5\"]
o = r[\"overrides\"][\"items\"][0]
assert o[\"actor\"] == \"carol\" and o[\"detail\"][\"reason\"] == \"hotfix for outage\", o
assert o[\"time\"] == \"2026-11-23T02:00:00Z\", o
assert r[\"unverified_pushes\"][\"items\"][0][\"ticket\"] == \"support:4\"
assert r[\"event_types\"][\"push.accepted\"] == 1
"
'
test_expect_success 'the period limits the report' '
	closeloop --config c.conf audit --format json --since 2026-11-23 --until 2026-11-24 >out.json &&
	python3 -c "
import json
r = json.load(open(\"out.json\"))
assert r[\"events\"] == 4, r
assert r[\"since\"] == \"2026-11-23T00:00:00Z\"
assert r[\"closed_without_reply\"][\"count\"] == 1
"
'
test_expect_success 'text names tickets and actors' '
	closeloop --config c.conf audit >out &&
	contains out "closed without a reply: 2" &&
	contains out "support:3  by carol  commit 0123456789ab" &&
	contains out "hotfix for outage"
'
test_expect_success '-o writes the report to a file' '
	closeloop --config c.conf audit --format json -o report.json >out &&
	! test -s out && python3 -m json.tool report.json >/dev/null
'
test_expect_success '--fail-on violations exits 1 when there are any' '
	expect_code 1 closeloop --config c.conf audit --fail-on violations >out &&
	closeloop --config c.conf audit --fail-on violations --since 2026-12-01 >out
'
test_expect_success 'bad options exit 2 and name the problem' '
	expect_code 2 closeloop --config c.conf audit --format xml 2>err &&
	contains err "unknown report format '"'"'xml'"'"'" &&
	expect_code 2 closeloop --config c.conf audit --since yesterday 2>err &&
	contains err "bad time '"'"'yesterday'"'"'" &&
	expect_code 2 closeloop --config c.conf audit --fail-on everything 2>err &&
	expect_code 2 closeloop --config c.conf audit --since 2026-11-24 --until 2026-11-23 2>err &&
	contains err "empty"
'
test_expect_success 'an unwritable output file exits 2' '
	expect_code 2 closeloop --config c.conf audit -o /nonexistent/dir/r.txt 2>err &&
	contains err "/nonexistent/dir/r.txt"
'
test_done
