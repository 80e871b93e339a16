#!/bin/sh
# What closeloop-pre-receive asks the tracker for, counted by a Redmine
# stand-in that checks every request against the documented API
# (tests/support/redmine-standin.py): each ticket once per push, in
# batches of at most 100 ids, journals only for closing references, only
# commits new to the repository.
. "$top_srcdir/tests/cli/lib.sh"
hook_libexec

python3 "$top_srcdir/tests/support/redmine-standin.py" 0 standin-key \
	>"$TRASH/port" 2>"$TRASH/standin.err" &
standin=$!
trap 'kill $standin 2>/dev/null; rm -rf "$TRASH"' EXIT
i=0
while ! [ -s "$TRASH/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$TRASH/port")
echo standin-key >"$TRASH/key" && chmod 600 "$TRASH/key"
cat >"$TRASH/c.conf" <<EOC
[closeloop]
	store = $TRASH/ledger.db
[tracker "support"]
	type = redmine
	url = http://127.0.0.1:$port
	tokenFile = $TRASH/key
	project = support
EOC
CLOSELOOP_CONFIG=$TRASH/c.conf
export CLOSELOOP_CONFIG

# stats PYTHON-EXPR: evaluate EXPR over the stand-in's /_stats answer,
# where r is requests per path, b the batch count per id, e the errors
stats() {
	curl -sf "http://127.0.0.1:$port/_stats" | python3 -c "
import json, sys
s = json.load(sys.stdin)
r, b, e = s['requests'], s['batch_ids'], s['errors']
journals = {k: v for k, v in r.items() if k.startswith('/issues/')}
print($1)"
}

# 250 commits naming 150 tickets; every 50th closes one: #1 (twice), #51,
# #101
test_expect_success 'setup: a push of 250 commits naming 150 tickets' '
	new_server s1 &&
	n=0 &&
	while [ $n -lt 250 ]; do
		t=$((1 + n % 150)) &&
		if [ $((n % 50)) -eq 0 ]; then m="Fix the export (Fixes #$t)"
		else m="Tidy handler $n (refs #$t)"; fi &&
		git -C s1 commit -q --allow-empty -m "$m" &&
		n=$((n + 1)) || exit 1
	done &&
	git -C s1 push -q origin HEAD:refs/heads/main 2>err &&
	! grep -q rejected err
'
test_expect_success 'no request broke the documented API' '
	test "$(stats "len(e)")" = 0 || stats "e"
'
test_expect_success 'each ticket was asked for once, in two batches' '
	test "$(stats "r.get(\"/issues.json\")")" = 2 &&
	test "$(stats "len(b)")" = 150 &&
	test "$(stats "sorted(set(b.values()))")" = "[1]" &&
	test "$(stats "sorted(int(k) for k in b) == list(range(1, 151))")" = True
'
test_expect_success 'journals were read once for each closed ticket only' '
	test "$(stats "sorted(journals.items())")" = \
		"[('"'"'/issues/1.json'"'"', 1), ('"'"'/issues/101.json'"'"', 1), ('"'"'/issues/51.json'"'"', 1)]"
'
test_expect_success 'the owner login was read once' '
	test "$(stats "sum(v for k, v in r.items() if k.startswith(\"/users/\"))")" -le 1
'
test_expect_success 'a second push asks only about the commits it brings' '
	commit s1 "Document the export (refs #7)" &&
	commit s1 "Round totals (Fixes #9)" &&
	git -C s1 push -q origin HEAD:refs/heads/main 2>err &&
	test "$(stats "r.get(\"/issues.json\")")" = 3 &&
	test "$(stats "len(b)")" = 150 &&
	test "$(stats "(b[\"7\"], b[\"9\"], b[\"8\"])")" = "(2, 2, 1)" &&
	test "$(stats "journals.get(\"/issues/9.json\")")" = 1
'
test_expect_success 'a new branch off main brings no ticket lookups' '
	git -C s1 push -q origin HEAD:refs/heads/release/1 2>err &&
	test "$(stats "r.get(\"/issues.json\")")" = 3
'
test_done
