#!/bin/sh
# receiver-bench: closeloopd against Debian's `webhook` server (a rule that
# checks the same HMAC-SHA256 signature and runs /bin/true) and nginx
# (`return 204`), in one run, with wrk: 2 threads, 32 connections, a
# signed GitHub `issues` payload with a new delivery id per request.
# Goals: closeloopd >= 3x webhook's requests/s, p99 <= 10 ms, and every
# 2xx durable: the deliveries closeloopd counted and stored equal the 2xx
# wrk saw.
#
# usage: sh bench/receiver-bench.sh [SECONDS]   (default 10; a built tree:
#        BUILD=dir, default _build/gcc; needs wrk, webhook, nginx:
#        sh scripts/install-deps --bench)
set -eu
D=${1:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/_build/gcc}
daemon=$build/closeloopd
if [ -x "$build/.libs/closeloopd" ]; then
	daemon=$build/.libs/closeloopd
	LD_LIBRARY_PATH=$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
[ -x "$daemon" ] || { echo "receiver-bench: build first (no $daemon)"; exit 2; }
for p in wrk webhook nginx; do
	command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] ||
		{ echo "receiver-bench: $p missing (sh scripts/install-deps --bench)"; exit 2; }
done
[ -s "$top/tests/data/octokit/index.json" ] || sh "$top/scripts/fetch-test-data"
work=$(mktemp -d /var/tmp/closeloop-rbench.XXXXXX)
pids=""
trap 'kill $pids 2>/dev/null; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

secret="bench secret"
printf '%s\n' "$secret" >"$work/secret"
echo token >"$work/token"
chmod 600 "$work/secret" "$work/token"
top_srcdir=$top python3 "$top/tests/support/webhook.py" make issues opened acme/web 1 >"$work/body.json"
sig=sha256=$(python3 -c "
import hmac, hashlib, sys
print(hmac.new(sys.argv[1].encode(), open(sys.argv[2], 'rb').read(), hashlib.sha256).hexdigest())" "$secret" "$work/body.json")
export BENCH_BODY="$work/body.json" BENCH_SIG="$sig"

# closeloopd; its tracker API is nowhere: an "opened" event needs no call
cl_port=$(port)
cat >"$work/c.conf" <<EOC
[closeloop]
	store = $work/ledger.db
[tracker "gh"]
	type = github
	url = http://127.0.0.1:9
	project = acme/web
	tokenFile = $work/token
	webhookSecretFile = $work/secret
[receiver]
	listen = 127.0.0.1:$cl_port
	syncInterval = 0s
EOC
CLOSELOOP_SYSTEM_CONFIG= "$daemon" --config "$work/c.conf" 2>"$work/closeloopd.log" &
pids="$pids $!"

# webhook: the same signature check, then /bin/true
wh_port=$(port)
cat >"$work/hooks.json" <<EOH
[{"id": "bench", "execute-command": "/bin/true",
  "trigger-rule": {"match": {"type": "payload-hmac-sha256",
    "secret": "$secret", "parameter": {"source": "header", "name": "X-Hub-Signature-256"}}}}]
EOH
webhook -hooks "$work/hooks.json" -ip 127.0.0.1 -port "$wh_port" >"$work/webhook.log" 2>&1 &
pids="$pids $!"

# nginx: return 204
ng_port=$(port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<EON
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $work/nginx/body;
	server { listen 127.0.0.1:$ng_port; location / { return 204; } }
}
EON
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids="$pids $!"

for u in "http://127.0.0.1:$cl_port/healthz" "http://127.0.0.1:$ng_port/" ; do
	i=0; until curl -s -o /dev/null "$u"; do sleep 0.1; i=$((i+1)); [ $i -lt 100 ]; done
done
i=0; until curl -s -o /dev/null "http://127.0.0.1:$wh_port/hooks/bench"; do sleep 0.1; i=$((i+1)); [ $i -lt 100 ]; done

# run NAME URL: wrk, its figures into $work/NAME.*
run() {
	BENCH_RUN=$(od -An -N4 -tx4 /dev/urandom | tr -d " ") wrk -t2 -c32 -d"${D}s" --latency -s "$top/bench/sign.lua" "$2" >"$work/$1.out" 2>&1
	awk '/^Requests\/sec/ { print $2 }' "$work/$1.out" >"$work/$1.rps"
	awk '$1 == "99%" { print $2 }' "$work/$1.out" >"$work/$1.p99"
	awk '$1 == "50%" || $1 == "90%" { printf "%s %s  ", $1, $2 }' "$work/$1.out" >"$work/$1.pct"
	total=$(awk '/requests in/ { print $1 }' "$work/$1.out")
	bad=$(awk '/Non-2xx or 3xx responses/ { print $5 }' "$work/$1.out")
	echo $((total - ${bad:-0})) >"$work/$1.ok"
	errors=$(awk '/Socket errors/' "$work/$1.out")
	printf '  %-10s %10s req/s   %s p99 %8s   2xx %8s %s\n' "$1" "$(cat "$work/$1.rps")" "$(cat "$work/$1.pct")" \
		"$(cat "$work/$1.p99")" "$(cat "$work/$1.ok")" "$errors"
}
echo "wrk -t2 -c32 -d${D}s, signed GitHub issues payload ($(wc -c <"$work/body.json") bytes), new delivery id per request:"
run closeloopd "http://127.0.0.1:$cl_port/hooks/gh"
run webhook "http://127.0.0.1:$wh_port/hooks/bench"
run nginx "http://127.0.0.1:$ng_port/"
sleep 1
accepted=$(curl -s "http://127.0.0.1:$cl_port/metrics" |
	awk -F' ' '/^closeloop_webhook_deliveries_total\{tracker="gh",result="accepted"\}/ { print $2 }')
stored=$(sqlite3 "$work/ledger.db" "SELECT count(*) FROM deliveries")
ok=$(cat "$work/closeloopd.ok")
awk -v c="$(cat "$work/closeloopd.rps")" -v w="$(cat "$work/webhook.rps")" \
	'BEGIN { printf "closeloopd / webhook: %.1fx (goal >= 3x)\n", c / w }'
echo "closeloopd p99 $(cat "$work/closeloopd.p99") (goal <= 10ms)"
# wrk stops reading when its time is up: requests then in flight (at most
# one per connection) are stored and counted by closeloopd, not by wrk
echo "durable: wrk saw $ok 2xx; closeloopd answered $accepted accepted; the store holds $stored deliveries (in flight at the cut: $((stored - ok)), at most 32)"
[ "$stored" -ge "$ok" ] && [ "$accepted" -ge "$ok" ] && [ $((stored - ok)) -le 32 ] ||
	{ echo "receiver-bench: a 2xx without a stored delivery"; exit 1; }
