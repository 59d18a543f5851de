"""Helpers shared by test_operations.py and test_abuse_limits.py: servers with extra command-line
arguments started per test, failed start-ups, raw JSON-RPC posts, a self-signed certificate, and a
dedicated PostgreSQL cluster that can be halted and resumed (scripts/pg-cluster.sh)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from pathlib import Path

import requests

from conftest import TesseraServer, tessera_binary

JSONRPC = {"Content-Type": "application/json-rpc"}
NOT_AUTHORIZED = {"code": -32602, "message": "Invalid params.", "data": "Not authorized."}
# Lines ArgumentParser adds after the error line of a refused command line.
USAGE_LINES = ("Usage:", "  See '", "Help:")




def post(server: TesseraServer, body, *, bearer: str | None = None, headers: dict | None = None, http=None, timeout=30):
    """POSTs `body` (an object, encoded as JSON, or raw bytes/str) to the API; returns the response."""
    all_headers = dict(JSONRPC)
    if bearer is not None:
        all_headers["Authorization"] = f"Bearer {bearer}"
    all_headers.update(headers or {})
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return (http or requests).post(server.api_url, data=data, headers=all_headers, timeout=timeout, verify=server.verify)


def call(server: TesseraServer, method: str, params, *, auth: str | None = None, bearer: str | None = None,
         headers: dict | None = None, http=None) -> dict:
    """One JSON-RPC call (id 1); returns the decoded answer (HTTP 200 required)."""
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
    if auth is not None:
        body["auth"] = auth
    r = post(server, body, bearer=bearer, headers=headers, http=http)
    assert r.status_code == 200, (method, r.status_code, r.text[:500])
    return r.json()


def result(server: TesseraServer, method: str, params, **kwargs):
    """The result of a call that must succeed."""
    answer = call(server, method, params, **kwargs)
    assert "result" in answer, (method, params, answer)
    return answer["result"]


def login(server: TesseraServer, username: str = "Admin", password: str | None = None, **kwargs) -> str:
    session = result(server, "user.login", {"username": username, "password": password or server.password}, **kwargs)
    server.secrets.add(session)
    return session


def new_token(server: TesseraServer, session: str, name: str, **fields) -> tuple[str, str]:
    """Creates and generates a token as the session's user; returns (tokenid, value)."""
    tokenid = result(server, "token.create", {"name": name, **fields}, auth=session)["tokenids"][0]
    value = result(server, "token.generate", [tokenid], auth=session)[0]["token"]
    server.secrets.add(value)
    return tokenid, value


# ---------------------------------------------------------------------------------------------
# Start-ups that must fail


@dataclasses.dataclass
class Refusal:
    returncode: int | None  # None: still running after the timeout (it started instead of refusing)
    stdout: str
    stderr: str

    def error_lines(self) -> list[str]:
        """stderr without blank lines and without ArgumentParser's usage hints."""
        return [line for line in self.stderr.splitlines() if line.strip() and not line.startswith(USAGE_LINES)]


def serve_expecting_refusal(tmp_path: Path, args: list[str], env_extra: dict | None = None, timeout: float = 30) -> Refusal:
    """Runs `tessera serve` with only the given settings (no TESSERA_* from the caller); when it is
    still running after `timeout` it is killed and `returncode` is None."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(env_extra or {})
    proc = subprocess.Popen(
        [str(tessera_binary()), "serve", *args], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        return Refusal(proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=15)
        return Refusal(None, out, err)


# ---------------------------------------------------------------------------------------------
# TLS


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (also in subjectAltName) and its key, made
    with the openssl command; returns (certificate, key) PEM files."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, f"openssl could not make a certificate:\n{done.stderr}"
    return cert, key




def wait_for(predicate, timeout: float, interval: float = 0.1):
    """Polls `predicate` until it returns something truthy (returned) or `timeout` passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
