#!/usr/bin/env bash
# The same token-authenticated token.get load against a real Zabbix API, for comparison with
# bench/run.sh on the same machine in the same hour.
#
#   bench/zabbix.sh [URL] [USER] [PASSWORD]     default http://127.0.0.1:8080/api_jsonrpc.php Admin zabbix
#
# Logs in, creates an API token named "tessera-bench-<time>", runs wrk (THREADS, CONNECTIONS,
# WARMUP, DURATION as in run.sh) with it as `Authorization: Bearer` (Zabbix 6.4+) or in the `auth`
# member (6.0: set AUTH_MEMBER=1), prints requests/s, p50 and p99, then deletes the token.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
URL=${1:-http://127.0.0.1:8080/api_jsonrpc.php}
USER_NAME=${2:-Admin}
PASSWORD=${3:-zabbix}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}

call() { # call JSON-BODY -> the "result" member (fails on an error answer)
    curl -sf -H 'Content-Type: application/json-rpc' --data-binary "$1" "$URL" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps(r["result"]) if "result" in r else sys.exit("error: %s" % r["error"]))'
}

SESSION=$(call '{"jsonrpc":"2.0","method":"user.login","params":{"username":"'"$USER_NAME"'","password":"'"$PASSWORD"'"},"id":1}' | tr -d '"')
TOKENID=$(call '{"jsonrpc":"2.0","method":"token.create","params":{"name":"tessera-bench-'"$(date +%s)"'"},"auth":"'"$SESSION"'","id":1}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["tokenids"][0])')
TOKEN=$(call '{"jsonrpc":"2.0","method":"token.generate","params":["'"$TOKENID"'"],"auth":"'"$SESSION"'","id":1}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["token"])')
trap 'call "{\"jsonrpc\":\"2.0\",\"method\":\"token.delete\",\"params\":[\"$TOKENID\"],\"auth\":\"$SESSION\",\"id\":1}" >/dev/null || true' EXIT

if [ "${AUTH_MEMBER:-0}" = 1 ]; then
    export BODY='{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"auth":"'"$TOKEN"'","id":1}' BEARER=""
else
    export BODY='{"jsonrpc":"2.0","method":"token.get","params":{"output":["tokenid"],"limit":1},"id":1}' BEARER="$TOKEN"
fi
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/rpc.lua "$URL" >/dev/null 2>&1 || true
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/rpc.lua "$URL" | grep -E "Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
