#!/usr/bin/env bash
# Tessera load benchmark: builds in release mode, seeds a fresh database, runs wrk against the
# paths of issue 4 and prints requests/s, p50, p99, ratios and peak RSS.
#
#   bench/run.sh                 N = 1,000 and 1,000,000 tokens
#   bench/run.sh 1000            one size only
#
# Environment: TESSERA_BIN (a release binary to measure instead of building one), DURATION (default
# 10s), WARMUP (default 3s), ROUNDS (2: turns of /healthz and the row within DURATION),
# BESIDE_ROUNDS (12 turns of 2 s for the failing calls beside), THREADS (2), CONNECTIONS (16),
# ROWS (the rows to run, default all: "apiinfo checkauth get_bearer get_auth unknown
# get_beside_failures mixed"), SERVE_ARGS (more options for tessera serve).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
: >bench/.last-run
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
ROUNDS=${ROUNDS:-2}
BESIDE_ROUNDS=${BESIDE_ROUNDS:-12}
DURATION_S=${DURATION%s}
WARMUP_S=${WARMUP%s}
ALL_ROWS="apiinfo checkauth get_bearer get_auth unknown get_beside_failures mixed"
read -r -a ROWS <<<"${ROWS:-$ALL_ROWS}"
SIZES=("${@:-1000 1000000}")
read -r -a SIZES <<<"${SIZES[*]}"

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ -n "${TESSERA_BIN:-}" ]; then
    BIN=$TESSERA_BIN # a given build, e.g. to measure two commits one after the other
else
    echo "building (release)…" >&2
    swift build -c release --product tessera --scratch-path .build-release >/dev/null
    BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)/tessera
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

rpc() { # rpc PORT BODY -> response
    curl -s -H 'Content-Type: application/json-rpc' --data-binary "$2" "http://127.0.0.1:$1/api_jsonrpc.php"
}

# wrk_run FILE SECONDS URL [ENV...]: one wrk run (SCRIPT, when set, is its Lua file), output in FILE.
wrk_run() {
    local file=$1 seconds=$2 url=$3; shift 3
    local script=()
    [ -n "$SCRIPT" ] && script=(-s "$SCRIPT")
    env "$@" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency "${script[@]}" "$url" >"$file" 2>&1 || true
}

# summary FILE... -> "rps p50 p99" over runs of equal length: mean rate, median p50, highest p99 (ms).
summary() {
    python3 - "$@" <<'PY'
import re, statistics, sys
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rates, p50s, p99s, errors, rpc_errors = [], [], [], 0, None
for name in sys.argv[1:]:
    text = open(name).read()
    rates.append(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
    lat = dict((p, ms(v, u)) for p, v, u in re.findall(r"\s(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)", text))
    p50s.append(lat.get("50", 0))
    p99s.append(lat.get("99", 0))
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(found.group(1)) if found else 0
    checked = re.search(r"JSON-RPC errors: (\d+)", text)  # mixed.lua checks every answer
    rpc_errors = (rpc_errors or 0) + int(checked.group(1)) if checked else rpc_errors
extra = f" non2xx={errors}" if errors else ""
extra += f" errors={rpc_errors}" if rpc_errors is not None else ""
print(f"{statistics.mean(rates):.0f} {statistics.median(p50s):.2f} {max(p99s):.2f}{extra}")
PY
}

# load NAME URL [ENV...] -> "rps p50 p99" of one run of DURATION after a WARMUP.
load() {
    local name=$1; shift
    wrk_run /dev/null "$WARMUP_S" "$@"
    wrk_run "$WORK/$name.txt" "$DURATION_S" "$@"
    summary "$WORK/$name.txt"
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
        ${SERVE_ARGS:-} >"$WORK/server.log" 2>&1 &
    SERVER=$!
    trap 'kill $SERVER 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    URL="http://127.0.0.1:$PORT/api_jsonrpc.php"
    SPARE=$(rpc "$PORT" '{"jsonrpc":"2.0","method":"token.create","params":{"name":"bench-spare"},"auth":"'"$TOKEN"'","id":1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["tokenids"][0])')
    UNKNOWN=$(printf '%064d' 0)
    GET='{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"id":1}'
    GET_AUTH='{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"auth":"'"$TOKEN"'","id":1}'

    # The share of a row is taken of /healthz measured in turns with it: ROUNDS rounds of /healthz
    # then the row, DURATION/ROUNDS each. The speed of this (shared, virtual) machine drifts by up to
    # ±20 % within minutes: a ceiling measured once at the start would mostly measure the drift.
    declare -A R C
    wanted() { [[ " ${ROWS[*]} " == *" $1 "* ]]; }
    row() { # row NAME SCRIPT URL [ENV...]
        local name=$1 script=$2 round
        shift 2
        local seconds=$((DURATION_S / ROUNDS))
        SCRIPT="" wrk_run /dev/null "$WARMUP_S" "http://127.0.0.1:$PORT/healthz"
        SCRIPT=$script wrk_run /dev/null "$WARMUP_S" "$@"
        for round in $(seq 1 "$ROUNDS"); do
            SCRIPT="" wrk_run "$WORK/$name-ceiling-$round.txt" "$seconds" "http://127.0.0.1:$PORT/healthz"
            SCRIPT=$script wrk_run "$WORK/$name-$round.txt" "$seconds" "$@"
        done
        C[$name]=$(summary "$WORK/$name"-ceiling-*.txt | cut -d' ' -f1)
        R[$name]=$(summary $(seq -f "$WORK/$name-%g.txt" 1 "$ROUNDS"))
    }
    wanted apiinfo && row apiinfo bench/rpc.lua "$URL" BODY='{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}'
    wanted checkauth && row checkauth bench/rpc.lua "$URL" BODY='{"jsonrpc":"2.0","method":"user.checkAuthentication","params":{"token":"'"$TOKEN"'"},"id":1}'
    wanted get_bearer && row get_bearer bench/rpc.lua "$URL" BODY="$GET" BEARER="$TOKEN"
    wanted get_auth && row get_auth bench/rpc.lua "$URL" BODY="$GET_AUTH"
    wanted unknown && row unknown bench/rpc.lua "$URL" BODY="$GET" BEARER="$UNKNOWN"
    # The others' throughput while failing calls run beside them, in turns with get_bearer alone
    # (BESIDE_ROUNDS rounds of: alone 2 s, then the same with another wrk, 1 thread and 8
    # connections, sending unknown tokens from a second before to a second after). Short turns: the
    # difference sought (≤ 10 %) is smaller than the machine's drift between two 5 s windows.
    beside() {
        local seconds=2 round failing
        SCRIPT=bench/rpc.lua
        wrk_run /dev/null "$WARMUP_S" "$URL" BODY="$GET" BEARER="$TOKEN"
        for round in $(seq 1 "$BESIDE_ROUNDS"); do
            wrk_run "$WORK/alone-$round.txt" "$seconds" "$URL" BODY="$GET" BEARER="$TOKEN"
            env BODY="$GET" BEARER="$UNKNOWN" wrk -t1 -c8 -d"$((seconds + 2))s" -s bench/rpc.lua "$URL" >/dev/null 2>&1 &
            failing=$!
            sleep 1
            wrk_run "$WORK/beside-$round.txt" "$seconds" "$URL" BODY="$GET" BEARER="$TOKEN"
            wait "$failing" || true
        done
        C[get_beside_failures]=$(summary $(seq -f "$WORK/alone-%g.txt" 1 "$BESIDE_ROUNDS") | cut -d' ' -f1)
        R[get_beside_failures]=$(summary $(seq -f "$WORK/beside-%g.txt" 1 "$BESIDE_ROUNDS"))
    }
    wanted get_beside_failures && beside
    wanted mixed && row mixed bench/mixed.lua "$URL" TOKEN="$TOKEN" SPARE="$SPARE"
    RSS=$(awk '/VmHWM/ {print $2/1024 " MB"}' "/proc/$SERVER/status")

    printf '%-22s %9s %8s %8s %9s %6s\n' "path" "req/s" "p50 ms" "p99 ms" "ceiling" "share"
    for key in apiinfo checkauth get_bearer get_auth unknown mixed; do
        wanted "$key" || continue
        read -r rps p50 p99 rest <<<"${R[$key]}"
        printf '%-22s %9s %8s %8s %9s %5.0f%% %s\n' "$key" "$rps" "$p50" "$p99" "${C[$key]}" \
            "$(python3 -c "print(100*$rps/${C[$key]})")" "${rest:-}"
    done
    if wanted get_beside_failures; then
        read -r rps p50 p99 rest <<<"${R[get_beside_failures]}"
        printf '%-22s %9s %8s %8s %9s %5.0f%% %s\n' "get_beside_failures" "$rps" "$p50" "$p99" "${C[get_beside_failures]}" \
            "$(python3 -c "print(100*$rps/${C[get_beside_failures]})")" "${rest:-}"
        echo "(get_beside_failures: its ceiling is get_bearer alone, measured in turns with it)"
    fi
    echo "peak RSS: $RSS"
    # Server time of the admin list page and a name search (reported by curl, one warm request each).
    COOKIE=$WORK/cookies
    curl -s -c "$COOKIE" -o /dev/null -d "username=Admin&password=x" "http://127.0.0.1:$PORT/login"
    curl -s -b "$COOKIE" -o /dev/null "http://127.0.0.1:$PORT/tokens"
    echo "admin list page: $(curl -s -b "$COOKIE" -o /dev/null -w '%{time_total} s (HTTP %{http_code})' "http://127.0.0.1:$PORT/tokens")"
    SEARCH='{"jsonrpc":"2.0","method":"token.get","params":{"search":{"name":"bench-12"},"output":["tokenid"]},"auth":"'"$TOKEN"'","id":1}'
    echo "token.get name search: $(curl -s -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json-rpc' --data-binary "$SEARCH" "$URL") s"
    if wanted get_bearer; then echo "$N ${R[get_bearer]}" >>"$ROOT/bench/.last-run"; fi
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
