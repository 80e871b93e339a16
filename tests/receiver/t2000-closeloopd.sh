#!/bin/sh
# closeloopd's command line: --help, --version, --check, and the errors a
# new user meets first (bad arguments, a broken configuration, a port in
# use), each with its exit code and a message that names the problem.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/receiver/lib-receiver.sh"

daemon() {
	"$top_builddir/closeloopd" "$@"
}
port=$(free_port)
write_conf() {
	cat >"$TRASH/c.conf" <<-EOC
	[closeloop]
		store = $TRASH/ledger.db
	[receiver]
		listen = 127.0.0.1:$port
	$1
	EOC
}

test_expect_success '--help says what it serves and how it stops' '
	daemon --help >out &&
	contains out "POST /hooks/NAME" && contains out "GET  /metrics" &&
	contains out "SIGTERM" && contains out "closeloopd(8)"
'
test_expect_success '--version names the version' '
	daemon --version >out && grep -q "^closeloopd [0-9]" out
'
test_expect_success 'an unknown option or argument: usage, exit 2' '
	expect_code 2 daemon --bogus 2>err && contains err "usage: closeloopd" &&
	expect_code 2 daemon extra 2>err && contains err "unexpected argument '\''extra'\''"
'
test_expect_success '--check accepts a good configuration' '
	write_conf "" && daemon --config "$TRASH/c.conf" --check >out &&
	contains out "the configuration is good"
'
test_expect_success 'a broken configuration: exit 2, the file, line and key named' '
	write_conf "[receiver]
	syncInterval = often" &&
	expect_code 2 daemon --config "$TRASH/c.conf" 2>err &&
	contains err "receiver.syncInterval" && contains err "c.conf:"
'
test_expect_success 'a listen address that is not HOST:PORT: exit 2' '
	write_conf "" && sed -i "s/127.0.0.1:$port/localhost/" "$TRASH/c.conf" &&
	expect_code 2 daemon --config "$TRASH/c.conf" 2>err && contains err "receiver.listen"
'
test_expect_success 'a port already in use: exit 3, named' '
	write_conf "" &&
	python3 -c "
import socket, time, sys
s = socket.socket(); s.bind((\"127.0.0.1\", $port)); s.listen(1)
open(\"$TRASH/bound\", \"w\").close(); time.sleep(10)" &
	wait_for 5 test -e "$TRASH/bound" &&
	expect_code 3 daemon --config "$TRASH/c.conf" 2>err &&
	contains err "cannot listen on 127.0.0.1 port $port"
'
test_done
