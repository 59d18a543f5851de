"""Fuzzing /api_jsonrpc.php of a real `tessera serve` for a bounded time (fuzzing.py).

FUZZ_SECONDS (default 120) bounds the run, FUZZ_SEED replays one (the seed is printed), and
FUZZ_BACKENDS (default "sqlite"; "sqlite,postgres" adds a run on PostgreSQL, which needs
TESSERA_TEST_POSTGRES_URL like the rest of the suite) chooses the storage.

Every request must get an answer that keeps the contract (no 5xx, no dropped connection or hang,
well-formed JSON-RPC or an empty body, 412 for other content types), the server must log no error,
the process must stay up, and the fuzzer must keep its authenticated access so that it reaches the
methods behind `auth`. Findings are saved as replayable requests under the test's temporary folder.
"""

from __future__ import annotations

import os

import pytest

from conftest import ServerSpec, running
from fuzzing import Fuzzer, choose_seed, server_alive

BACKENDS = [b.strip() for b in os.environ.get("FUZZ_BACKENDS", "sqlite").split(",") if b.strip()]
# HTTP/1.1 gives the answer to a CONNECT no body framing (it would open a tunnel) and the request
# parser reads nothing after a CONNECT head: the server answers 405 and the connection then ends at
# the idle timeout, which this server sets to 2 s, inside the fuzzer's 3 s wait for an answer's end.
IDLE_TIMEOUT = "2"


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_server(request, tmp_path_factory):
    with running(tmp_path_factory.mktemp("fuzz"), "--idle-timeout", IDLE_TIMEOUT, spec=ServerSpec(backend=request.param)) as server:
        yield server


def test_fuzz_api(fuzz_server, tmp_path, capsys):
    seconds = float(os.environ.get("FUZZ_SECONDS", "120"))
    seed = choose_seed(os.environ.get("FUZZ_SEED"))
    server = fuzz_server

    def log(line: str) -> None:
        with capsys.disabled():
            print(line, flush=True)

    fuzzer = Fuzzer(
        "127.0.0.1", server.port, server.password, seed,
        alive=lambda: server_alive(server.process, server.base_url),
        findings_dir=tmp_path / "findings", log=log, server_log=server.log_path,
    )
    log("")
    fuzzer.run(seconds)
    log(fuzzer.summary())

    assert not fuzzer.dead, f"the server died (seed {seed}):\n{server.read_log()[-4000:]}"
    assert server.process.poll() is None
    assert not fuzzer.findings, (
        f"{len(fuzzer.findings)} answers broke the contract (seed {seed}); first: request {fuzzer.findings[0].index} "
        f"({fuzzer.findings[0].label}): {fuzzer.findings[0].problem}; replayable requests in {tmp_path / 'findings'}"
    )
    assert fuzzer.lost is None, f"the fuzzer lost its authenticated access {fuzzer.lost} (seed {seed})"
