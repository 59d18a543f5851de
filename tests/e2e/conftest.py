"""Fixtures for the end-to-end suite: a real `tessera serve` process per test module.

The server binary is `.build/debug/tessera` (override with the env var TESSERA_BIN). Each
server gets a free port on 127.0.0.1, its own data folder, a known Admin password and an
API version; its stdout/stderr go to a log file that tests can read (`server.read_log()`).

Parametrize a module by API version with

    pytestmark = pytest.mark.parametrize("tessera_server", ["7.0.0", "6.0.14"], indirect=True, scope="module")

A param is either a version string or a `ServerSpec` (version + storage backend). Without a
param the server reports 7.0.0 on SQLite. The backend "postgres" needs TESSERA_TEST_POSTGRES_URL
(postgres://user@host:port/db on a throwaway cluster, as scripts/test sets it); each such server
gets a fresh database created with psql, and the test is skipped when the variable is unset.

Secrets a test sees (token values, passwords) can be registered with `server.secrets.add(...)`:
after the process has stopped, the fixture fails if any of them occurs in the server's log.
"""

from __future__ import annotations

import dataclasses
import os
import secrets as pysecrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "tessera"
ADMIN_PASSWORD = "e2e-Admin-pw-4711"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclasses.dataclass(frozen=True)
class ServerSpec:
    """What kind of server a test module wants."""

    api_version: str = "7.0.0"
    backend: str = "sqlite"  # "sqlite" (embedded, --data-dir) or "postgres" (--database)

    def __str__(self) -> str:
        return self.api_version if self.backend == "sqlite" else f"{self.api_version}-{self.backend}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tessera_binary() -> Path:
    path = Path(os.environ.get("TESSERA_BIN") or DEFAULT_BIN)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"tessera binary not found at {path}: run `swift build` first or set TESSERA_BIN", pytrace=False)
    return path


def _psql(base_url: str, sql: str) -> None:
    psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-qAt", base_url, "-c", sql], check=True, capture_output=True, timeout=30)


def create_postgres_database(base_url: str) -> tuple[str, str]:
    """Creates a fresh database on the cluster of `base_url`; returns (name, URL)."""
    name = "tessera_e2e_" + pysecrets.token_hex(6)
    _psql(base_url, f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(base_url)
    return name, urllib.parse.urlunsplit(parts._replace(path="/" + name))


class TesseraServer:
    """One running `tessera serve` process."""

    def __init__(self, spec: ServerSpec, workdir: Path):
        self.spec = spec
        self.api_version = spec.api_version
        self.password = ADMIN_PASSWORD
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base_url}/api_jsonrpc.php"
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "server.log"
        self.database_url: str | None = None
        self.database_name: str | None = None
        self.secrets: set[str] = {self.password}
        self.process: subprocess.Popen | None = None
        self._log_file = None

    def command(self) -> list[str]:
        cmd = [
            str(tessera_binary()),
            "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--api-version", self.api_version,
            # debug logs the most: the plaintext token must not show up even there.
            "--log-level", os.environ.get("TESSERA_E2E_LOG_LEVEL", "debug"),
        ]
        if self.database_url:
            cmd += ["--database", self.database_url]
        return cmd

    def start(self) -> None:
        if self.spec.backend == "postgres":
            base = os.environ.get("TESSERA_TEST_POSTGRES_URL")
            if not base:
                pytest.skip("TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it)")
            self.database_name, self.database_url = create_postgres_database(base)

        # Only what we set here configures the server: drop any TESSERA_* from the caller.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env["TESSERA_ADMIN_PASSWORD"] = self.password
        self._log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.data_dir,
            start_new_session=True,
        )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                pytest.fail(
                    f"tessera exited with code {self.process.returncode} before answering /healthz:\n{self.read_log()}",
                    pytrace=False,
                )
            try:
                r = requests.get(f"{self.base_url}/healthz", timeout=2)
                if r.status_code == 200:
                    return
                last_error = f"HTTP {r.status_code}"
            except requests.RequestException as err:
                last_error = str(err)
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"tessera did not answer GET /healthz with 200 within {START_TIMEOUT:.0f} s ({last_error}):\n{self.read_log()}",
            pytrace=False,
        )

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL); safe to call twice."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.database_name:
            name, self.database_name = self.database_name, None
            try:
                _psql(os.environ["TESSERA_TEST_POSTGRES_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except (KeyError, subprocess.SubprocessError):
                pass  # a throwaway cluster goes away anyway

    def read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def leaked_secrets(self) -> list[str]:
        log = self.read_log()
        return sorted(s for s in self.secrets if s and s in log)


def _spec(param) -> ServerSpec:
    if param is None:
        return ServerSpec()
    if isinstance(param, ServerSpec):
        return param
    return ServerSpec(api_version=str(param))


@pytest.fixture(scope="module")
def tessera_server(request, tmp_path_factory):
    """A running Tessera server for the whole module (param: API version or ServerSpec)."""
    spec = _spec(getattr(request, "param", None))
    workdir = tmp_path_factory.mktemp(f"tessera-{spec}".replace(".", "_"))
    server = TesseraServer(spec, workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
    leaked = server.leaked_secrets()
    if leaked:
        masked = [s[:4] + "…" for s in leaked]
        # Reported by pytest as an error of whichever test comes next (module-scoped teardown).
        pytest.fail(
            f"server {spec}: secret values appear in its log {server.log_path}: {masked}", pytrace=False
        )


def rpc(server: TesseraServer, method: str, params, auth: str | None = None, bearer: str | None = None, rid=1) -> dict:
    """One raw JSON-RPC call; returns the decoded response body."""
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": rid}
    if auth is not None:
        body["auth"] = auth
    headers = {"Content-Type": "application/json-rpc"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    r = requests.post(server.api_url, json=body, headers=headers, timeout=10)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()
