#!/bin/sh
# hook-bench: the pre-receive hook on a push of N new commits referencing
# T distinct tickets (default 100000 and 1000), against a local Redmine
# stand-in, timed in the same run as `git log --format=%B` over the same
# commits; then 5 new commits on top of that history; and peak memory
# (max RSS) of the hook for pushes of N/10 and N commits, which must not
# grow with the push size.
#
# usage: sh bench/hook-bench.sh [N] [T]     (from a built tree: make first)
# The hook runs as git runs it: input on stdin, GIT_DIR set, objects in
# the repository; the commits are new (no ref reaches them).
set -eu
N=${1:-100000}
T=${2:-1000}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/_build/gcc}
hook=$build/closeloop-pre-receive
[ -x "$hook" ] || { echo "hook-bench: build first (no $hook; set BUILD=)"; exit 2; }
# in a build tree, $hook is libtool's wrapper script; time the program
if [ -x "$build/.libs/closeloop-pre-receive" ]; then
	hook=$build/.libs/closeloop-pre-receive
	LD_LIBRARY_PATH=$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
work=$(mktemp -d /tmp/closeloop-bench.XXXXXX)
trap 'kill $standin_pid 2>/dev/null; rm -rf "$work"' EXIT
zero=0000000000000000000000000000000000000000

echo benchkey >"$work/key"
chmod 600 "$work/key"
python3 "$top/tests/support/redmine-standin.py" 0 benchkey >"$work/port" &
standin_pid=$!
while ! [ -s "$work/port" ]; do sleep 0.1; done
port=$(cat "$work/port")
cat >"$work/c.conf" <<EOC
[closeloop]
	store = $work/ledger.db
	hookTimeout = 60s
[tracker "bench"]
	type = redmine
	url = http://127.0.0.1:$port
	tokenFile = $work/key
	project = bench
EOC
export CLOSELOOP_CONFIG="$work/c.conf" CLOSELOOP_SYSTEM_CONFIG=

# make REPO N REF [FROM SKIP]: N commits into REPO under REF
make_history() {
	python3 "$top/bench/gen-history.py" "$2" "$T" "$3" ${4:-} ${5:-} |
		git --git-dir="$1" fast-import --done --quiet
}

# time_ms CMD...: wall-clock milliseconds of CMD, output discarded
time_ms() {
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s%N)
	echo $(( (e - s) / 1000000 ))
}

# run_hook REPO OLD NEW: the hook as git would run it
run_hook() {
	echo "$2 $3 refs/heads/main" | GIT_DIR="$1" "$hook"
}

# best of 5: this machine's timings vary by a fifth from run to run
best() {
	b=""
	for _ in 1 2 3 4 5; do
		t=$(time_ms "$@")
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}

# max_rss_kb CMD...: peak resident memory of CMD
max_rss_kb() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

repo=$work/r.git
git init -q --bare "$repo"
echo "generating $N commits referencing $T tickets"
make_history "$repo" "$N" refs/bench/tmp
tip=$(git --git-dir="$repo" rev-parse refs/bench/tmp)
# the commits stay packed (fast-import writes a pack) but no ref reaches
# them, as in a push: no gc here, which would explode them loose
git --git-dir="$repo" update-ref -d refs/bench/tmp

run_hook "$repo" $zero "$tip" || { echo "hook-bench: the hook rejected the push"; exit 1; }
hook_ms=$(best run_hook "$repo" $zero "$tip")
git_ms=$(best git --git-dir="$repo" log --format=%B "$tip")
echo "push of $N commits, $T tickets:"
echo "  closeloop-pre-receive  ${hook_ms} ms"
echo "  git log --format=%B    ${git_ms} ms"
awk -v h="$hook_ms" -v g="$git_ms" 'BEGIN { printf "  ratio                  %.2fx (goal <= 1.5x)\n", h / g }'

# 5 new commits on top of the whole history
git --git-dir="$repo" update-ref refs/heads/main "$tip"
make_history "$repo" 5 refs/bench/top "$tip" "$N"
top5=$(git --git-dir="$repo" rev-parse refs/bench/top)
git --git-dir="$repo" update-ref -d refs/bench/top
small_ms=$(best run_hook "$repo" "$tip" "$top5")
rl_ms=$(best git --git-dir="$repo" rev-list "$top5" --not --all)
echo "push of 5 commits on top of $N, no commit-graph: ${small_ms} ms (git rev-list alone ${rl_ms} ms)"
# git gc writes a commit-graph (gc.writeCommitGraph, default since git 2.24),
# which is what lets git stop walking at once; a served repository has one
git --git-dir="$repo" commit-graph write --reachable 2>/dev/null
small_ms=$(best run_hook "$repo" "$tip" "$top5")
rl_ms=$(best git --git-dir="$repo" rev-list "$top5" --not --all)
echo "push of 5 commits on top of $N, commit-graph: ${small_ms} ms (goal <= 250 ms; git rev-list alone ${rl_ms} ms)"

# peak memory against push size: the hook process itself (sampled), the
# hook with its git (/usr/bin/time: the larger of the two), and git log
git --git-dir="$repo" update-ref -d refs/heads/main
small=$(git --git-dir="$repo" rev-list --max-count=1 --skip=$((N - N / 10)) "$tip")
for c in "$small" "$tip"; do
	own=$(echo "$zero $c refs/heads/main" | GIT_DIR="$repo" python3 "$top/bench/peak-rss.py" "$hook")
	all=$(echo "$zero $c refs/heads/main" | GIT_DIR="$repo" max_rss_kb "$hook")
	gl=$(max_rss_kb git --git-dir="$repo" log --format=%B "$c")
	n=$(git --git-dir="$repo" rev-list --count "$c")
	echo "peak memory, push of $n commits: hook ${own} KiB; hook and its git ${all} KiB; git log --format=%B ${gl} KiB"
done
curl -s "http://127.0.0.1:$port/_stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
r = s["requests"]
print("stand-in: %d batch lookups, %d single-issue reads (journals), %d user reads, %d request errors" % (
    r.get("/issues.json", 0), sum(v for k, v in r.items() if k.startswith("/issues/")),
    sum(v for k, v in r.items() if k.startswith("/users/")), len(s["errors"])))
for e in s["errors"][:5]: print("  " + e)'

