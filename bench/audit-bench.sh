#!/bin/sh
# audit-bench: `closeloop audit` over a ledger of N events (default
# 1000000) with a realistic mix (bench/gen-ledger.py: tickets opened,
# handed over, pushed, worked, answered or not, closed, reopened,
# reminded), timed in the same run as sqlite3 counting the same rows
# (SELECT count(*)) and grouping them (count per type), which is as fast
# as any reading of the ledger can be. Prints wall time and peak memory
# (GNU time's max RSS) of each; the goal for the audit is 2 s and 200 MiB.
#
# usage: sh bench/audit-bench.sh [N]        (from a built tree: make first)
# BUILD=dir picks the build (default _build/gcc, else _build/audit);
# KEEP=1 keeps the ledger (its path is printed).
set -eu
N=${1:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-}
if [ -z "$build" ]; then
	build=$top/_build/gcc
	[ -x "$build/closeloop" ] || build=$top/_build/audit
fi
cli=$build/closeloop
[ -x "$cli" ] || { echo "audit-bench: build first (no $cli; set BUILD=)"; exit 2; }
# in a build tree, $cli is libtool's wrapper script; time the program
if [ -x "$build/.libs/closeloop" ]; then
	cli=$build/.libs/closeloop
	LD_LIBRARY_PATH=$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
[ -x /usr/bin/time ] || { echo "audit-bench: needs GNU time (apt-get install time)"; exit 2; }
command -v sqlite3 >/dev/null || { echo "audit-bench: needs sqlite3"; exit 2; }
work=$(mktemp -d /tmp/closeloop-audit-bench.XXXXXX)
if [ -n "${KEEP:-}" ]; then
	trap 'echo "ledger kept: $work/ledger.db"' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi
printf '[closeloop]\n\tstore = %s/ledger.db\n' "$work" >"$work/c.conf"
CLOSELOOP_SYSTEM_CONFIG=
export CLOSELOOP_SYSTEM_CONFIG

echo "== ledger: $N events (bench/gen-ledger.py)"
# closeloop creates the ledger, so that the schema is its own
"$cli" --config "$work/c.conf" doctor >/dev/null 2>&1 ||
	"$cli" --config "$work/c.conf" audit -o /dev/null
python3 "$top/bench/gen-ledger.py" "$work/ledger.db" "$N"
sqlite3 "$work/ledger.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
printf '   file: %s MiB\n' "$(( $(stat -c %s "$work/ledger.db") / 1048576 ))"

# measure NAME CMD...: best of 3 wall times, peak RSS of the best run
measure() {
	name=$1
	shift
	best=
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
			{ cat "$work/err"; echo "audit-bench: $name failed"; exit 1; }
		read -r wall rss <"$work/time"
		if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
			best=$wall
			best_rss=$rss
		fi
	done
	printf '| %-44s | %8s s | %8.1f MiB |\n' "$name" "$best" \
		"$(awk "BEGIN{print $best_rss/1024}")"
}

db=$work/ledger.db
echo "== best of 3 runs each, same machine, same file, warm cache"
printf '| %-44s | %10s | %12s |\n' "command" "wall" "peak RSS"
printf '|%s|%s|%s|\n' "----------------------------------------------" \
	"------------" "--------------"
measure "sqlite3: SELECT count(*) FROM events" \
	sqlite3 "$db" 'SELECT count(*) FROM events'
measure "sqlite3: count per type (GROUP BY)" \
	sqlite3 "$db" 'SELECT type, count(*) FROM events GROUP BY type'
measure "sqlite3: every row, every column" \
	sqlite3 "$db" 'SELECT id, time, type, ticket, actor, commit_id, detail FROM events ORDER BY id'
measure "closeloop audit --format json -o /dev/null" \
	"$cli" --config "$work/c.conf" audit --format json -o /dev/null
audit_wall=$best
audit_rss=$best_rss
measure "closeloop audit --format html -o /dev/null" \
	"$cli" --config "$work/c.conf" audit --format html -o /dev/null
measure "closeloop audit --since 1d --format json" \
	"$cli" --config "$work/c.conf" audit --since 1d --format json -o /dev/null

"$cli" --config "$work/c.conf" audit --format json -o "$work/r.json"
python3 - "$work/r.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
w = r["reply_wait"]
print("== report: %d events, %d closed without reply (%d reopened), %d overrides,"
      " %d unowned, %d handoffs waiting, %d reminders, %d replies after work"
      " (median %ds, p90 %ds), %d waiting for a reply"
      % (r["events"], r["closed_without_reply"]["count"],
         r["closed_without_reply"]["reopened"], r["overrides"]["count"],
         r["unowned"]["count"], r["unacknowledged_handoffs"]["count"],
         r["reminders"]["count"], w["count"], w["median_s"], w["p90_s"],
         r["waiting_for_reply"]["count"]))
EOF
status=0
awk "BEGIN{exit !($audit_wall <= 2.0)}" || { echo "audit-bench: goal missed: $audit_wall s > 2 s"; status=1; }
[ "$audit_rss" -le 204800 ] || { echo "audit-bench: goal missed: $audit_rss KiB > 200 MiB"; status=1; }
[ $status -eq 0 ] && echo "== goals met: audit <= 2 s and <= 200 MiB"
exit $status
