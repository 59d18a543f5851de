#!/usr/bin/env bash
# Soak test: 10 minutes (SOAK_SECONDS) of mixed load against one tessera serve, sampling its RSS
# every 5 s; prints errors, an RSS table and whether RSS stayed flat after warm-up (bench/soak.py).
#
#   bench/soak.sh                         .build-release/release/tessera if built, else .build/debug/tessera
#   bench/soak.sh path/to/tessera         that binary (or set TESSERA_BIN)
#   SOAK_SECONDS=60 bench/soak.sh         a short run
#
# Needs Python 3 with `requests` (tests/e2e/requirements.txt; the .venv of scripts/test has it).
# It does not build anything.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=python3
[ -x "$ROOT/.venv/bin/python" ] && PYTHON="$ROOT/.venv/bin/python"
exec "$PYTHON" "$ROOT/bench/soak.py" "$@"
