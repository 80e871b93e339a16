#!/bin/sh
# closeloop-nightly-audit: dated html, json and csv reports of the same
# period in a reports directory, the newest N kept, exit 1 on violations
# when asked, errors named.
. "$top_srcdir/tests/cli/lib.sh"

script=$top_builddir/closeloop-nightly-audit
# the script runs $CLOSELOOP: the built CLI, under valgrind when asked
mkdir -p "$TRASH/bin"
if [ -n "$CL_VALGRIND" ]; then
	cat >"$TRASH/bin/closeloop" <<-EOS
	#!/bin/sh
	exec "$top_builddir/libtool" --mode=execute valgrind -q \
		--error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		"$top_builddir/closeloop" "\$@"
	EOS
else
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$top_builddir/closeloop" >"$TRASH/bin/closeloop"
fi
chmod +x "$TRASH/bin/closeloop"
CLOSELOOP=$TRASH/bin/closeloop
export CLOSELOOP
unset CLOSELOOP_REPORTS

printf "[closeloop]\n\tstore = %s/ledger.db\n" "$TRASH" >c.conf
today=$(date -u +%Y-%m-%d)
now=$(date +%s)

test_expect_success '--help and --version' '
	sh "$script" --help >out &&
	contains out "usage: closeloop-nightly-audit" &&
	contains out "--fail-on violations" && contains out "Exit status" &&
	sh "$script" --version >out && grep -E "^closeloop-nightly-audit [0-9.]+$" out
'

test_expect_success 'the installed paths are filled in' '
	! grep -q "@bindir@\|@localstatedir@\|@VERSION@" "$script" &&
	sh "$script" --help | grep -q "/lib/closeloop/reports"
'

test_expect_success 'a ledger with a close without reply last night' '
	closeloop --config c.conf audit >/dev/null &&
	python3 "$top_srcdir/tests/cli/audit-ledger.py" ledger.db &&
	sqlite3 ledger.db "INSERT INTO events(time, type, ticket, actor, detail) VALUES
		($now - 3600, '"'"'ticket.closed-without-reply'"'"', '"'"'support:77'"'"', '"'"'kim'"'"',
		 '"'"'{\"owner\":\"kim\",\"source\":\"webhook\",\"action\":\"reopen\"}'"'"')"
'

test_expect_success 'writes dated html, json and csv of the last day' '
	sh "$script" --config c.conf --dir reports >out 2>err &&
	! test -s out && ! test -s err &&
	test -s "reports/$today.html" && test -s "reports/$today.json" &&
	test -s "reports/$today.csv" &&
	contains "reports/$today.html" "<svg" &&
	contains "reports/$today.csv" "section,time,ticket" &&
	python3 - "reports/$today.json" <<-"EOF"
	import json, sys, time, calendar
	r = json.load(open(sys.argv[1]))
	since = calendar.timegm(time.strptime(r["since"], "%Y-%m-%dT%H:%M:%SZ"))
	until = calendar.timegm(time.strptime(r["until"], "%Y-%m-%dT%H:%M:%SZ"))
	assert 86400 - 5 <= until - since <= 86400 + 5, (r["since"], r["until"])
	# only last night is in the period; the older ledger is not
	assert r["closed_without_reply"]["count"] == 1, r["closed_without_reply"]
	assert r["closed_without_reply"]["items"][0]["ticket"] == "support:77"
	EOF
'

test_expect_success 'the three reports cover the same period' '
	python3 - "reports/$today.json" "reports/$today.csv" "reports/$today.html" <<-"EOF"
	import csv, json, sys
	r = json.load(open(sys.argv[1]))
	rows = {x["name"]: x["time"] for x in csv.DictReader(open(sys.argv[2], newline=""))
	        if x["section"] == "summary" and x["name"] in ("since", "until")}
	assert rows == {"since": r["since"], "until": r["until"]}, (rows, r)
	h = open(sys.argv[3]).read()
	assert "%s to %s" % (r["since"], r["until"]) in h
	EOF
'

test_expect_success '--fail-on violations exits 1, the reports written all the same' '
	rm -rf reports &&
	expect_code 1 sh "$script" --config c.conf --dir reports --fail-on violations &&
	test -s "reports/$today.json" && test -s "reports/$today.html" &&
	sh "$script" --config c.conf --dir reports --fail-on violations \
		--since 2026-12-20 --until 2026-12-21 --name quiet &&
	test -s reports/quiet.json
'

test_expect_success '--since and --until choose the period' '
	sh "$script" --config c.conf --dir reports --since 2026-11-15 \
		--until 2026-11-16 --name 2026-11-15 &&
	python3 -c "
import json
r = json.load(open(\"reports/2026-11-15.json\"))
assert r[\"since\"] == \"2026-11-15T00:00:00Z\" and r[\"until\"] == \"2026-11-16T00:00:00Z\"
assert r[\"closed_without_reply\"][\"count\"] == 3, r[\"closed_without_reply\"][\"count\"]
"
'

test_expect_success '--keep keeps the newest N reports of each kind' '
	mkdir -p old && for d in 2026-10-01 2026-10-02 2026-10-03 2026-10-04; do
		for e in html json csv; do echo old >"old/$d.$e"; done
	done &&
	echo mine >old/notes.txt &&
	sh "$script" --config c.conf --dir old --keep 3 &&
	ls old >list && cat list &&
	test "$(grep -c "\.html$" list)" -eq 3 && test "$(grep -c "\.json$" list)" -eq 3 &&
	test "$(grep -c "\.csv$" list)" -eq 3 &&
	test -f "old/$today.html" && test -f old/2026-10-04.csv && test -f old/2026-10-03.json &&
	! test -f old/2026-10-02.html && ! test -f old/2026-10-01.csv &&
	test -f old/notes.txt &&
	sh "$script" --config c.conf --dir old --keep 0 && test -f old/2026-10-03.html
'

test_expect_success 'no temporary file is left behind' '
	! ls -a reports old | grep -q "^\.[a-z0-9]"
'

test_expect_success 'usage errors exit 2 and name the problem' '
	expect_code 2 sh "$script" --frob 2>err && contains err "unknown argument" &&
	expect_code 2 sh "$script" --keep many 2>err && contains err "--keep takes a number" &&
	expect_code 2 sh "$script" --fail-on anything 2>err && contains err "unknown --fail-on" &&
	expect_code 2 sh "$script" --dir 2>err && contains err "--dir needs a value" &&
	expect_code 2 sh "$script" --name ../x 2>err && contains err "plain file name" &&
	expect_code 2 sh "$script" --config c.conf --dir reports --since yesterday 2>err &&
	contains err "bad time" && ! ls -a reports | grep -q "^\.[a-z0-9]"
'

test_expect_success 'an unwritable reports directory exits 3' '
	echo file >notadir &&
	expect_code 3 sh "$script" --config c.conf --dir notadir/reports 2>err &&
	contains err "notadir/reports"
'
test_done
