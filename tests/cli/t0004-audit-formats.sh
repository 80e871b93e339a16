#!/bin/sh
# closeloop audit over a ledger with known answers (tests/cli/audit-ledger.py):
# closes without reply and closeloop's reopens, overrides, unowned tickets,
# unacknowledged handoffs, reminders, reply waits (median, p90, per owner,
# per project), tickets waiting for a reply; state cut at --until; json,
# text, csv and html.
. "$top_srcdir/tests/cli/lib.sh"

printf "[closeloop]\n\tstore = %s/ledger.db\n" "$TRASH" >c.conf
B=1794700800 # 2026-11-15T00:00:00Z

test_expect_success 'build the ledger' '
	closeloop --config c.conf audit >/dev/null &&
	python3 "$top_srcdir/tests/cli/audit-ledger.py" ledger.db
'

test_expect_success 'json: closes without a reply, and which closeloop reopened' '
	closeloop --config c.conf audit --format json >all.json &&
	python3 - <<-"EOF"
	import json
	r = json.load(open("all.json"))
	c = r["closed_without_reply"]
	assert c["count"] == 3, c
	assert c["reopen_requested"] == 1 and c["reopened"] == 1, c
	i = {x["ticket"]: x for x in c["items"]}
	assert i["support:4"]["action"] == "reopen", i
	assert i["support:4"]["owner"] == "heidi", i
	assert i["support:4"]["source"] == "webhook", i
	assert i["support:4"]["reopened"] == "2026-11-15T02:01:00Z", i
	assert i["support:5"]["action"] == "record" and i["support:5"]["reopened"] is None, i
	assert c["per_day"] == [{"day": "2026-11-15", "count": 3}], c
	assert r["reopened"]["count"] == 1
	assert r["violations"] == 5, r["violations"]
	EOF
'

test_expect_success 'json: overrides and unverified pushes' '
	python3 - <<-"EOF"
	import json
	r = json.load(open("all.json"))
	o = r["overrides"]
	assert o["count"] == 1
	o = o["items"][0]
	assert o["actor"] == "carol" and o["time"] == "2026-11-15T05:00:00Z", o
	assert o["reason"] == "hotfix <b>now</b>, \"urgent\"", o
	assert o["commits"] == 3 and o["tickets"] == ["support:1", "support:2"], o
	u = r["unverified_pushes"]["items"][0]
	assert u["actor"] == "bob" and u["tickets"] == ["support:9"], u
	assert u["tracker_error"] == "timeout", u
	EOF
'

test_expect_success 'json: unowned tickets and unacknowledged handoffs at the end' '
	python3 - <<-"EOF"
	import json, time
	r = json.load(open("all.json"))
	un = r["unowned"]
	assert un["count"] == 3, un
	assert [i["ticket"] for i in un["items"]] == ["support:6", "jira:PROJ-12", "support:3"], un
	assert un["items"][2]["opened"] == "2026-11-15T02:00:00Z"
	age = un["items"][2]["age_s"]
	assert abs(age - (time.time() - (1794700800 + 7200))) < 120, age
	h = r["unacknowledged_handoffs"]
	assert h["count"] == 1, h
	h = h["items"][0]
	assert h["ticket"] == "support:2" and h["from"] is None and h["to"] == "carol", h
	assert h["since"] == "2026-11-15T02:00:00Z", h
	EOF
'

test_expect_success 'json: reminders per rule' '
	python3 - <<-"EOF"
	import json
	r = json.load(open("all.json"))["reminders"]
	assert r["count"] == 3, r
	assert r["by_rule"] == {"reply-due": 2, "owner-required": 0, "handoff-ack": 1}, r
	assert r["escalated"] == 1
	i = r["items"][1]
	assert i["ticket"] == "support:3" and i["rule"] == "reply-due", i
	assert i["to"] == ["dave", "lead"] and i["escalated"] is True and i["count"] == 2, i
	EOF
'

test_expect_success 'json: time from work done to reply over the whole ledger' '
	python3 - <<-"EOF"
	import json
	w = json.load(open("all.json"))["reply_wait"]
	# waits 1h (support:6), 2h, 1h, 4h, 10h
	assert w["count"] == 5, w
	assert w["median_s"] == 7200 and w["p90_s"] == 27360, w
	owners = {g["owner"]: g for g in w["by_owner"]}
	# support:6 has no owner: its replier counts
	assert sorted(owners) == ["alice", "carol", "frank", "grace", "zoe"], owners
	EOF
'

test_expect_success 'json: --since keeps older state, counts only newer events' '
	closeloop --config c.conf audit --format json --since 2026-11-15 >since.json &&
	python3 - <<-"EOF"
	import json
	r = json.load(open("since.json"))
	w = r["reply_wait"]
	assert w["count"] == 4, w
	assert w["median_s"] == 10800 and w["p90_s"] == 29520, w
	o = {g["owner"]: (g["count"], g["median_s"], g["p90_s"]) for g in w["by_owner"]}
	assert o == {"alice": (1, 7200, 7200), "carol": (1, 36000, 36000),
	             "frank": (1, 14400, 14400), "grace": (1, 3600, 3600)}, o
	p = {g["project"]: (g["count"], g["median_s"], g["p90_s"]) for g in w["by_project"]}
	assert p == {"support": (2, 21600, 33120), "gh:acme/web": (1, 14400, 14400),
	             "jira:PROJ": (1, 3600, 3600)}, p
	# support:6 was opened before the period and is still unowned
	assert r["unowned"]["count"] == 3, r["unowned"]
	assert r["event_types"].get("ticket.opened") == 8, r["event_types"]
	wt = r["waiting_for_reply"]
	assert wt["count"] == 1, wt
	i = wt["items"][0]
	assert i["ticket"] == "support:3" and i["actor"] == "dave", i
	assert i["commit"] == "c3c3c3c3c3c3c3c3" and i["owner"] is None and i["open"] is True, i
	assert i["work_done"] == "2026-11-15T05:00:00Z", i
	EOF
'

test_expect_success 'json: --until cuts the state where the period ends' '
	closeloop --config c.conf audit --format json --since 2026-11-15 --until 2026-11-15T01:30:00Z >until.json &&
	python3 - <<-"EOF"
	import json
	r = json.load(open("until.json"))
	h = sorted((i["ticket"], i["from"], i["to"]) for i in r["unacknowledged_handoffs"]["items"])
	assert h == [("gh:acme/web#7", "erin", "frank"), ("support:4", "alice", "heidi")], h
	u = [i["ticket"] for i in r["unowned"]["items"]]
	assert u == ["support:6", "jira:PROJ-12", "support:2"], u
	assert r["closed_without_reply"]["count"] == 0
	assert r["reply_wait"]["count"] == 0 and r["reply_wait"]["median_s"] == 0
	# work done at 01:00 on support:1 and jira:PROJ-12, no reply yet
	assert r["waiting_for_reply"]["count"] == 2, r["waiting_for_reply"]
	EOF
'

test_expect_success 'text names each section' '
	closeloop --config c.conf audit --since 2026-11-15 >out &&
	contains out "closed without a reply: 3 (closeloop asked to reopen 1, reopened 1)" &&
	contains out "support:4  by heidi  owner heidi  action reopen  reopened 2026-11-15T02:01:00Z" &&
	contains out "open tickets without an owner: 3" &&
	contains out "handoffs not acknowledged: 1" &&
	contains out "support:2  2026-11-15T02:00:00Z  from - to carol" &&
	contains out "by carol  reason: hotfix <b>now</b>, \"urgent\"  commits: 3  tickets: support:1, support:2" &&
	contains out "by bob  tickets: support:9  tracker error: timeout" &&
	contains out "support:3  reply-due  to dave, lead  #2  escalated" &&
	contains out "reminders sent: 3 (escalated 1)" &&
	contains out "time from work done to customer reply: 4 replies, median 3h 00m, p90 8h 12m" &&
	contains out "support                             2  median 6h 00m    p90 9h 12m" &&
	contains out "work done, customer not answered yet: 1" &&
	contains out "violations: 5"
'

test_expect_success 'text keeps control characters from the ledger off the terminal' '
	sqlite3 ledger.db "INSERT INTO events(time, type, ticket, actor) VALUES ($B + 20 * 3600, '"'"'override'"'"', NULL, '"'"'eve'"'"' || char(27) || '"'"'[2J'"'"')" &&
	closeloop --config c.conf audit --since 2026-11-15 >out &&
	contains out "by eve?[2J" && ! grep -q "$(printf "\033")" out
'

test_expect_success 'csv: one table, a section column first, RFC 4180 quoting' '
	closeloop --config c.conf audit --format csv --since 2026-11-15 -o all.csv &&
	python3 - <<-"EOF"
	import csv
	raw = open("all.csv", newline="").read()
	assert raw.startswith("section,time,ticket,actor,owner,from,to,name,count,median_s,p90_s,age_s,commit,detail\r\n"), raw[:200]
	assert all(l.endswith("\r") or l == "" for l in raw.split("\n")[:-1] if not l.startswith(" ")), "CRLF"
	rows = list(csv.DictReader(open("all.csv", newline="")))
	sections = {r["section"] for r in rows}
	for s in ["summary", "event_type", "closed_without_reply", "closed_per_day",
	          "reopened", "override", "unverified_push", "unowned",
	          "handoff_unacknowledged", "reminder_rule", "reminder", "reply_wait",
	          "reply_wait_owner", "reply_wait_project", "waiting_for_reply"]:
	    assert s in sections, (s, sections)
	summ = {r["name"]: r["count"] for r in rows if r["section"] == "summary"}
	assert summ["violations"] == "6" and summ["unowned"] == "3", summ
	o = [r for r in rows if r["section"] == "override" and r["actor"] == "carol"][0]
	assert o["detail"] == "hotfix <b>now</b>, \"urgent\"", o
	assert o["ticket"] == "support:1 support:2" and o["count"] == "3", o
	assert "\"hotfix <b>now</b>, \"\"urgent\"\"\"" in raw
	w = [r for r in rows if r["section"] == "reply_wait_project" and r["name"] == "support"][0]
	assert (w["count"], w["median_s"], w["p90_s"]) == ("2", "21600", "33120"), w
	c = [r for r in rows if r["section"] == "closed_without_reply" and r["ticket"] == "support:4"][0]
	assert c["name"] == "reopen" and c["owner"] == "heidi" and c["detail"] == "2026-11-15T02:01:00Z", c
	h = [r for r in rows if r["section"] == "handoff_unacknowledged"][0]
	assert (h["ticket"], h["from"], h["to"]) == ("support:2", "", "carol"), h
	assert int(h["age_s"]) > 0
	r = [r for r in rows if r["section"] == "reminder" and r["count"] == "2"][0]
	assert r["to"] == "dave lead" and r["name"] == "reply-due" and r["detail"] == "escalated internal", r
	EOF
'

test_expect_success 'csv: a cell a spreadsheet would run as a formula is defused' '
	sqlite3 ledger.db "INSERT INTO events(time, type, ticket, actor, detail) VALUES ($B + 21 * 3600, '"'"'override'"'"', NULL, '"'"'=HYPERLINK(1,2)'"'"', '"'"'{\"reason\":\"@SUM(A1)\"}'"'"')" &&
	closeloop --config c.conf audit --format csv --since 2026-11-15 >f.csv &&
	contains f.csv "override,2026-11-15T21:00:00Z,,\"'"'"'=HYPERLINK(1,2)\"" &&
	contains f.csv ",'"'"'@SUM(A1)" && ! grep -q ",=HYPERLINK" f.csv
'

test_expect_success 'html: one file, charts, every ledger string escaped' '
	closeloop --config c.conf audit --format html --since 2026-11-15 -o r.html &&
	contains r.html "<!DOCTYPE html>" &&
	contains r.html "<svg" && contains r.html "id=\"chart-wait\"" &&
	contains r.html "id=\"chart-reminders\"" && contains r.html "id=\"chart-closes\"" &&
	contains r.html "x:&lt;img src=x onerror=alert(1)&gt;" &&
	contains r.html "&lt;b&gt;mallory&lt;/b&gt;" &&
	contains r.html "hotfix &lt;b&gt;now&lt;/b&gt;, &quot;urgent&quot;" &&
	! grep -q "<img" r.html && ! grep -q "<b>" r.html && ! grep -q "<i>m" r.html &&
	! grep -qi "<script" r.html && ! grep -qiE "(src|href)=\"(https?:)?//" r.html &&
	! grep -qi "<link" r.html &&
	python3 - <<-"EOF"
	import re
	h = open("r.html").read()
	bars = re.findall(r"<rect class=\"bar (\w+)\"[^>]*width=\"(\d+)\"[^>]*data-value=\"(\d+)\"", h)
	kinds = {}
	for k, w, v in bars:
	    kinds.setdefault(k, []).append((int(w), int(v)))
	# per owner: median and p90 bars, the longest p90 is carol (10h)
	assert len(kinds["median"]) == 4 and len(kinds["p90"]) == 4, kinds
	assert max(kinds["p90"]) == (max(w for w, v in kinds["p90"]), 36000), kinds
	assert all(w > 0 for w, v in kinds["p90"])
	assert sorted(v for w, v in kinds["rule"]) == [0, 1, 2], kinds["rule"]
	assert [v for w, v in kinds["day"] if v] == [3], kinds["day"]
	assert re.search(r"id=\"tile-closed\"><span class=\"big\">3</span>", h)
	assert re.search(r"id=\"tile-unowned\"><span class=\"big\">3</span>", h)
	EOF
'

test_expect_success 'html: an empty ledger still makes a page' '
	printf "[closeloop]\n\tstore = %s/empty.db\n" "$TRASH" >e.conf &&
	closeloop --config e.conf audit --format html >e.html &&
	contains e.html "no customer reply after work done in the period" &&
	contains e.html "</html>"
'

test_expect_success '--fail-on violations: unowned and handoffs alone do not fail' '
	closeloop --config c.conf audit --fail-on violations --until 2026-11-15T01:30:00Z >out &&
	contains out "open tickets without an owner: 3" &&
	expect_code 1 closeloop --config c.conf audit --format csv --fail-on violations >out
'
test_done
