#!/bin/sh
# closeloop --version, help, --help on every command, exit codes for misuse.
. "$top_srcdir/tests/cli/lib.sh"

test_expect_success '--version prints the version' '
	closeloop --version >out &&
	grep -E "^closeloop [0-9]+\.[0-9]+\.[0-9]+ \(libcloseloop [0-9.]+\)$" out
'
test_expect_success 'version command matches --version' '
	closeloop --version >a && closeloop version >b && cmp a b
'
test_expect_success 'help lists the commands' '
	closeloop help >out &&
	contains out "usage: closeloop" &&
	contains out "doctor" && contains out "audit" && contains out "help"
'
test_expect_success '--help is help' '
	closeloop help >a && closeloop --help >b && cmp a b
'
test_expect_success 'no command: usage on stderr, exit 2' '
	expect_code 2 closeloop 2>err && contains err "usage: closeloop"
'
for cmd in doctor audit help version install-hook reply status; do
	test_expect_success "help $cmd and $cmd --help agree" "
		closeloop help $cmd >a && closeloop $cmd --help >b && cmp a b &&
		contains a 'usage: closeloop $cmd' && contains a 'Exit status'
	"
done
test_expect_success 'unknown command exits 2 and names it' '
	expect_code 2 closeloop frobnicate 2>err &&
	contains err "frobnicate" && contains err "not a closeloop command"
'
test_expect_success 'help on an unknown command exits 2' '
	expect_code 2 closeloop help frobnicate 2>err && contains err "frobnicate"
'
test_expect_success 'unknown global option exits 2' '
	expect_code 2 closeloop --frob 2>err && contains err "--frob"
'
test_expect_success 'unknown command option exits 2 with usage' '
	expect_code 2 closeloop audit --frob 2>err &&
	contains err "unknown option" && contains err "usage: closeloop audit"
'
test_expect_success '--config without a file exits 2' '
	expect_code 2 closeloop doctor --config 2>err && contains err "--config needs a FILE"
'
test_expect_success 'the man pages document every command' '
	for c in doctor audit help install-hook reply status; do
		sed "s/\\\\//g" "$top_srcdir/doc/closeloop.1" | grep -q "closeloop $c" || { echo "closeloop.1 lacks $c"; exit 1; }
	done
'
test_done
