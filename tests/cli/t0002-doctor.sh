#!/bin/sh
# closeloop doctor: valid configurations pass; each kind of problem exits
# 2 with FILE:LINE: error: KEY: message; an unreachable store exits 3.
. "$top_srcdir/tests/cli/lib.sh"

write_good() {
	echo s3cret >token && chmod 600 token
	cat >good.conf <<-EOC
	[closeloop]
		store = $TRASH/ledger.db
		tracker = support
		hookTimeout = 5s
	[tracker "support"]
		type = redmine
		url = http://127.0.0.1:3000
		tokenFile = $TRASH/token
		project = support
	[remind]
		quietHours = 18:00-08:00
	EOC
}

test_expect_success 'a valid configuration passes' '
	write_good &&
	closeloop --config good.conf doctor >out 2>err &&
	contains out "configuration: ok" &&
	contains out "store: sqlite $TRASH/ledger.db, schema 3: ok" &&
	contains out "tracker support: redmine at http://127.0.0.1:3000" &&
	test -f ledger.db && ! test -s err
'
test_expect_success '--config may follow the command' '
	write_good && closeloop doctor --config good.conf >out
'
test_expect_success 'CLOSELOOP_CONFIG is read' '
	write_good && CLOSELOOP_CONFIG=$TRASH/good.conf closeloop doctor >out &&
	contains out "tracker support"
'
test_expect_success 'an unknown key exits 2 naming file, line and key' '
	write_good && printf "[closeloop]\n\tstroe = x\n" >>good.conf &&
	expect_code 2 closeloop --config good.conf doctor 2>err &&
	contains err "good.conf:13: error: closeloop.stroe: unknown key" 
'
test_expect_success 'a bad value exits 2 naming file, line and key' '
	write_good && sed -i "s/hookTimeout = 5s/hookTimeout = 5 seconds/" good.conf &&
	expect_code 2 closeloop --config good.conf doctor 2>err &&
	contains err "good.conf:4: error: closeloop.hookTimeout: bad duration" 
'
test_expect_success 'a missing required key exits 2 naming the key' '
	write_good && sed -i "/project = support/d" good.conf &&
	expect_code 2 closeloop --config good.conf doctor 2>err &&
	contains err "error: tracker.support.project: missing required key"
'
test_expect_success 'a syntax error exits 2 with the line from git'"'"'s parser' '
	write_good && printf "[remind\n" >>good.conf &&
	expect_code 2 closeloop --config good.conf doctor 2>err &&
	contains err "good.conf:12: error:" && contains err "section header"
'
test_expect_success 'every problem is reported at once' '
	printf "[closeloop]\n\tmode = strict\n\thookTimeout = x\n\tbogus = 1\n" >bad.conf &&
	expect_code 2 closeloop --config bad.conf doctor 2>err &&
	test $(grep -c "error:" err) -eq 3
'
test_expect_success 'a missing config file exits 2' '
	expect_code 2 closeloop --config nonexistent.conf doctor 2>err &&
	contains err "nonexistent.conf" && contains err "cannot read configuration"
'
test_expect_success 'a secret file readable by others is a warning, not an error' '
	write_good && chmod 644 token &&
	closeloop --config good.conf doctor >out 2>err &&
	contains err "warning: tracker.support.tokenFile: secret file $TRASH/token is readable by others" &&
	contains out "with warnings"
'
test_expect_success 'the secret itself is never printed' '
	write_good && chmod 644 token &&
	closeloop --config good.conf doctor >out 2>&1;
	! grep -q s3cret out
'
test_expect_success 'a missing secret file is an error' '
	write_good && rm token &&
	expect_code 2 closeloop --config good.conf doctor 2>err &&
	contains err "cannot read secret file $TRASH/token"
'
test_expect_success 'an unreachable store exits 3' '
	write_good && sed -i "s|store = .*|store = $TRASH/no/such/dir/ledger.db|" good.conf &&
	expect_code 3 closeloop --config good.conf doctor 2>err &&
	contains err "$TRASH/no/such/dir/ledger.db"
'
test_expect_success 'a store from a newer closeloop exits 3' '
	write_good && sqlite3 ledger.db "PRAGMA user_version = 99" &&
	expect_code 3 closeloop --config good.conf doctor 2>err &&
	contains err "newer"
'
test_done
