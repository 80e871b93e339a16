# lib-receiver.sh: starting closeloopd and the tracker stand-ins for the
# receiver's tests. Sourced after tests/cli/lib.sh.

# free_port: a TCP port nothing listens on (the kernel's pick).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_standin MODE TOKEN: the forge stand-in; sets STANDIN (its URL).
start_standin() {
	python3 "$top_srcdir/tests/support/forge-standin.py" "$1" "$2" \
		>"$TRASH/standin.port" 2>"$TRASH/standin.err" &
	standin_pid=$!
	i=0
	while ! [ -s "$TRASH/standin.port" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	STANDIN=http://127.0.0.1:$(cat "$TRASH/standin.port")
}

# standin PATH [JSON]: GET (or POST JSON to) a stand-in control endpoint.
standin() {
	if [ $# -gt 1 ]; then
		curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$STANDIN$1"
	else
		curl -sf "$STANDIN$1"
	fi
}

# start_receiver: closeloopd with $TRASH/c.conf, under valgrind when
# CL_VALGRIND is set; waits until /healthz answers. Sets RECEIVER (URL).
# Tests run in subshells: the pid and the exit status go through files.
start_receiver() {
	rm -f "$TRASH/receiver.status" "$TRASH/receiver.pid"
	if [ -n "$CL_VALGRIND" ]; then
		set -- "$top_builddir/libtool" --mode=execute valgrind -q \
			--error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			"$top_builddir/closeloopd"
	else
		set -- "$top_builddir/closeloopd"
	fi
	(
		sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$TRASH/receiver.pid" \
			"$@" --config "$TRASH/c.conf" >>"$TRASH/closeloopd.log" 2>&1
		echo $? >"$TRASH/receiver.status"
	) &
	RECEIVER=http://127.0.0.1:$receiver_port
	i=0
	while ! curl -sf "$RECEIVER/healthz" >/dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
		if [ $i -gt 300 ] || [ -e "$TRASH/receiver.status" ]; then
			echo "closeloopd did not come up:"; cat "$TRASH/closeloopd.log"
			return 1
		fi
	done
}

receiver_pid() {
	cat "$TRASH/receiver.pid"
}

# stop_receiver [SIGNAL]: signal closeloopd (TERM) and wait for it to
# exit; its status in receiver_status.
stop_receiver() {
	kill -"${1:-TERM}" "$(receiver_pid)" 2>/dev/null
	i=0
	while ! [ -s "$TRASH/receiver.status" ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	receiver_status=$(cat "$TRASH/receiver.status" 2>/dev/null)
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	limit=$(($1 * 10))
	shift
	i=0
	until "$@"; do
		sleep 0.1; i=$((i + 1))
		[ $i -ge $limit ] && return 1
	done
	return 0
}

# requests_match PYTHON-EXPR: true when EXPR holds over the stand-in's
# request list r (dicts with method, path, query, body).
requests_match() {
	standin /_requests | python3 -c "
import json, sys
r = json.load(sys.stdin)
sys.exit(0 if ($1) else 1)"
}

# metric_matches REGEX: a line of /metrics matches (grep -E).
metric_matches() {
	curl -sf "$RECEIVER/metrics" | grep -Eq "$1"
}

# ledger SQL: run SQL against the receiver's store.
ledger() {
	sqlite3 "$TRASH/ledger.db" "$1"
}

# need_octokit: the real GitHub payloads, or skip (fail in CI).
need_octokit() {
	if [ -s "$top_srcdir/tests/data/octokit/index.json" ]; then
		return 0
	fi
	if [ "$CLOSELOOP_REQUIRE_TESTDATA" = 1 ]; then
		echo "Bail out! tests/data/octokit missing (sh scripts/fetch-test-data)"
		exit 1
	fi
	echo "1..0 # SKIP tests/data/octokit missing (sh scripts/fetch-test-data)"
	exit 0
}
