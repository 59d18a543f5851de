#!/usr/bin/env bash
# Tessera load benchmark: builds in release mode, seeds a fresh database, runs wrk against the
# paths of issue 4 and prints requests/s, p50, p99, ratios and peak RSS.
#
#   bench/run.sh                 N = 1,000 and 1,000,000 tokens
#   bench/run.sh 1000            one size only
#
# Environment: DURATION (default 10s), WARMUP (default 3s), THREADS (2), CONNECTIONS (16).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
rm -f bench/.last-run
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
SIZES=("${@:-1000 1000000}")
read -r -a SIZES <<<"${SIZES[*]}"

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
echo "building (release)…" >&2
swift build -c release --product tessera --scratch-path .build-release >/dev/null
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)/tessera

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

rpc() { # rpc PORT BODY -> response
    curl -s -H 'Content-Type: application/json-rpc' --data-binary "$2" "http://127.0.0.1:$1/api_jsonrpc.php"
}

# load NAME URL [ENV...] -> prints "rps p50 p99" (latencies in ms)
load() {
    local name=$1 url=$2; shift 2
    local script=()
    [ -n "$SCRIPT" ] && script=(-s "$SCRIPT")
    env "$@" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${script[@]}" "$url" >/dev/null 2>&1 || true
    env "$@" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${script[@]}" "$url" >"$WORK/$name.txt" 2>&1
    python3 - "$WORK/$name.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = dict((p, ms(v, u)) for p, v, u in re.findall(r"\s(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)", text))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {lat.get('50', 0):.2f} {lat.get('99', 0):.2f}{' non2xx=' + errors.group(1) if errors else ''}")
PY
}

for N in "${SIZES[@]}"; do
    WORK=$(mktemp -d /tmp/tessera-bench.XXXXXX)
    PORT=$(free_port)
    echo "== $N tokens ==" 
    start=$(date +%s.%N)
    TOKEN=$(TESSERA_ADMIN_PASSWORD=x "$BIN" seed-tokens --count "$N" --data-dir "$WORK/data" 2>"$WORK/seed.log" | tail -n 1)
    echo "seeding: $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s ($(tail -n 1 "$WORK/seed.log"))"
    # All load comes from one address: without --auth-failure-limit 0 the unknown-token rows would
    # get that address refused for the rest of the minute, and every row after them with it.
    TESSERA_ADMIN_PASSWORD=x "$BIN" serve --port "$PORT" --data-dir "$WORK/data" --log-level warning --auth-failure-limit 0 \
        >"$WORK/server.log" 2>&1 &
    SERVER=$!
    trap 'kill $SERVER 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    URL="http://127.0.0.1:$PORT/api_jsonrpc.php"
    SPARE=$(rpc "$PORT" '{"jsonrpc":"2.0","method":"token.create","params":{"name":"bench-spare"},"auth":"'"$TOKEN"'","id":1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["tokenids"][0])')
    UNKNOWN=$(printf '%064d' 0)
    GET='{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"id":1}'
    GET_AUTH='{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"auth":"'"$TOKEN"'","id":1}'

    declare -A R
    SCRIPT=""
    R[healthz]=$(load healthz "http://127.0.0.1:$PORT/healthz")
    SCRIPT=bench/rpc.lua
    R[apiinfo]=$(load apiinfo "$URL" BODY='{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}')
    R[checkauth]=$(load checkauth "$URL" BODY='{"jsonrpc":"2.0","method":"user.checkAuthentication","params":{"token":"'"$TOKEN"'"},"id":1}')
    R[get_bearer]=$(load get_bearer "$URL" BODY="$GET" BEARER="$TOKEN")
    R[get_auth]=$(load get_auth "$URL" BODY="$GET_AUTH")
    R[unknown]=$(load unknown "$URL" BODY="$GET" BEARER="$UNKNOWN")
    # The others' throughput while failing calls run beside them.
    env BODY="$GET" BEARER="$UNKNOWN" wrk -t1 -c8 -d"$DURATION" -s bench/rpc.lua "$URL" >"$WORK/unknown-beside.txt" 2>&1 &
    BESIDE=$!
    R[get_beside_failures]=$(load get_beside "$URL" BODY="$GET" BEARER="$TOKEN")
    wait $BESIDE || true
    SCRIPT=bench/mixed.lua
    R[mixed]=$(load mixed "$URL" TOKEN="$TOKEN" SPARE="$SPARE")
    RSS=$(awk '/VmHWM/ {print $2/1024 " MB"}' "/proc/$SERVER/status")

    ceiling=$(echo "${R[healthz]}" | cut -d' ' -f1)
    printf '%-28s %10s %9s %9s %8s\n' "path" "req/s" "p50 ms" "p99 ms" "ceiling"
    for key in healthz apiinfo checkauth get_bearer get_auth unknown get_beside_failures mixed; do
        read -r rps p50 p99 rest <<<"${R[$key]}"
        printf '%-28s %10s %9s %9s %7.0f%% %s\n' "$key" "$rps" "$p50" "$p99" "$(python3 -c "print(100*$rps/$ceiling)")" "${rest:-}"
    done
    echo "peak RSS: $RSS"
    # Server time of the admin list page and a name search (reported by curl, one warm request each).
    COOKIE=$WORK/cookies
    curl -s -c "$COOKIE" -o /dev/null -d "username=Admin&password=x" "http://127.0.0.1:$PORT/login"
    curl -s -b "$COOKIE" -o /dev/null "http://127.0.0.1:$PORT/tokens"
    echo "admin list page: $(curl -s -b "$COOKIE" -o /dev/null -w '%{time_total} s (HTTP %{http_code})' "http://127.0.0.1:$PORT/tokens")"
    SEARCH='{"jsonrpc":"2.0","method":"token.get","params":{"search":{"name":"bench-12"},"output":["tokenid"]},"auth":"'"$TOKEN"'","id":1}'
    echo "token.get name search: $(curl -s -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json-rpc' --data-binary "$SEARCH" "$URL") s"
    echo "$N ${R[get_bearer]}" >>"$ROOT/bench/.last-run"
    kill $SERVER; wait $SERVER 2>/dev/null || true
    trap - EXIT
    rm -rf "$WORK"
done

# The 1M run against the 1k run (token.get with Bearer), when both ran.
python3 - "$ROOT/bench/.last-run" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    n, rps, p50, p99 = line.split()[:4]
    runs[n] = (float(rps), float(p99))
if "1000" in runs and "1000000" in runs:
    (r1, p1), (r2, p2) = runs["1000"], runs["1000000"]
    print(f"1M vs 1k (token.get, Bearer): {100 * r2 / r1:.0f} % of the throughput, p99 {p2:.2f} ms vs {p1:.2f} ms")
PY
rm -f "$ROOT/bench/.last-run"
