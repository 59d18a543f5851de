#!/usr/bin/env python3
"""Soak test: a mixed load against one `tessera serve` for a long time, watching its memory.

    bench/soak.sh [BINARY]            (or: python3 bench/soak.py [BINARY])

BINARY (else $TESSERA_BIN, else .build-release/release/tessera when present, else
.build/debug/tessera) is started on a free 127.0.0.1 port with a fresh data folder (SQLite). For
SOAK_SECONDS (default 600) a few threads, each on its own keep-alive connection, send:

  reads     token.get (10 rows) with Admin's API token as Bearer          (READERS threads, default 2)
  writes    token.create, token.update, token.generate, token.delete, in a cycle
  unknown   token.get with a random unknown 64-hex token, sent from 127.0.0.2: must be refused
            ("Not authorized.", or the refusal of the per-address limit on failed
            authentications once 127.0.0.2 is over it; the other loads come from 127.0.0.1)
  ui        sign in through the POST /login form, GET /tokens, sign out (POST /logout with the
            page's CSRF value)

Every 5 s (SOAK_SAMPLE) it samples the server's RSS (VmRSS), threads and open files from /proc.
At the end it prints the error count (any answer other than the expected one, or no answer), the
requests per kind, a table of the samples, and the verdict: "RSS flat after warm-up" when the mean
RSS of the last third of the run is within SOAK_TOLERANCE (default 5 %) of the mean of the second
third. Exit code 1 on errors or when the server died, else 0.
"""

from __future__ import annotations

import collections
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import requests.adapters

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Soak-Admin-pw-0815"
UNKNOWN_SOURCE = "127.0.0.2"  # where the failed authentications come from
LIMITED = "Too many failed authentication attempts"  # start of the per-address limit's refusal
ERROR_EXAMPLES = 5


def default_binary() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    if os.environ.get("TESSERA_BIN"):
        return Path(os.environ["TESSERA_BIN"])
    release = ROOT / ".build-release" / "release" / "tessera"
    return release if release.is_file() else ROOT / ".build" / "debug" / "tessera"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`tessera serve` on a fresh data folder; its log goes to server.log in that folder's parent."""

    def __init__(self, binary: Path):
        self.binary = binary
        self.workdir = Path(tempfile.mkdtemp(prefix="tessera-soak-"))
        self.data = self.workdir / "data"
        self.data.mkdir()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env["TESSERA_ADMIN_PASSWORD"] = PASSWORD
        log = open(self.workdir / "server.log", "wb")
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data), "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.data, env=env, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"tessera exited with {self.process.returncode}: {(self.workdir / 'server.log').read_text()}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise SystemExit("tessera did not answer /healthz within 30 s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def proc_status(self) -> dict[str, int]:
        """VmRSS and VmHWM in kB, Threads, and the number of open file descriptors."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
        fields["fds"] = len(os.listdir(f"/proc/{self.process.pid}/fd"))
        return fields

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connects from a given local address."""

    def __init__(self, address: str):
        self.address = address  # read by init_poolmanager, which HTTPAdapter.__init__ calls
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Tally:
    """Thread-safe counts of requests per kind and of errors (with a few examples)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: collections.Counter = collections.Counter()
        self.errors: collections.Counter = collections.Counter()
        self.examples: list[str] = []

    def ok(self, kind: str) -> None:
        with self.lock:
            self.requests[kind] += 1

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.requests[kind] += 1
            self.errors[kind] += 1
            if len(self.examples) < ERROR_EXAMPLES:
                self.examples.append(f"{kind}: {what[:300]}")

    def total(self) -> int:
        with self.lock:
            return sum(self.requests.values())


class Load:
    """The worker loops; each runs until `stop` is set and reports to `tally`."""

    def __init__(self, server: Server, token: str, tally: Tally, stop: threading.Event):
        self.server = server
        self.api = server.base + "/api_jsonrpc.php"
        self.token = token
        self.tally = tally
        self.stop = stop

    def call(self, http: requests.Session, kind: str, method: str, params, bearer: str | None = None):
        """One JSON-RPC call; returns the result, or None after counting an error."""
        headers = {"Content-Type": "application/json-rpc"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        try:
            r = http.post(self.api, data=json.dumps(body), headers=headers, timeout=30)
            answer = r.json()
        except (requests.RequestException, ValueError) as err:
            self.tally.error(kind, f"{method}: {err!r}")
            return None
        if r.status_code != 200 or "result" not in answer:
            self.tally.error(kind, f"{method}: HTTP {r.status_code} {answer}")
            return None
        self.tally.ok(kind)
        return answer["result"]

    def reads(self) -> None:
        with requests.Session() as http:
            while not self.stop.is_set():
                self.call(http, "reads", "token.get", {"output": ["tokenid", "name", "lastaccess"], "limit": 10}, self.token)

    def writes(self) -> None:
        with requests.Session() as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                created = self.call(http, "writes", "token.create", {"name": f"soak-{n}", "description": "soak"}, self.token)
                if not created:
                    continue
                tokenid = created["tokenids"][0]
                self.call(http, "writes", "token.update", {"tokenid": tokenid, "name": f"soak-{n}-renamed", "status": n % 2}, self.token)
                self.call(http, "writes", "token.generate", [tokenid], self.token)
                self.call(http, "writes", "token.delete", [tokenid], self.token)

    def unknown(self) -> None:
        """Failed authentications from another address: each must be refused, with "Not authorized."
        or, while that address is over the server's limit on failed authentications, its refusal."""
        body = {"jsonrpc": "2.0", "method": "token.get", "params": {"limit": 1}, "id": 1}
        with requests.Session() as http:
            http.mount("http://", SourceAddressAdapter(UNKNOWN_SOURCE))
            while not self.stop.is_set():
                headers = {"Content-Type": "application/json-rpc", "Authorization": f"Bearer {secrets.token_hex(32)}"}
                try:
                    answer = http.post(self.api, data=json.dumps(body), headers=headers, timeout=30).json()
                except (requests.RequestException, ValueError) as err:
                    self.tally.error("unknown", repr(err))
                    continue
                refusal = str(answer.get("error", {}).get("data"))
                if refusal == "Not authorized.":
                    self.tally.ok("unknown")
                elif refusal.startswith(LIMITED):
                    self.tally.ok("unknown, limited")
                else:
                    self.tally.error("unknown", f"an unknown token got {answer}")

    def ui(self) -> None:
        """Sign in through the form, load the token list, sign out with the page's CSRF value."""
        base = self.server.base
        while not self.stop.is_set():
            with requests.Session() as http:
                try:
                    r = http.post(base + "/login", data={"username": "Admin", "password": PASSWORD}, allow_redirects=False, timeout=30)
                    if r.status_code != 303 or "tessera_session" not in http.cookies:
                        self.tally.error("ui", f"POST /login: HTTP {r.status_code}, cookies {list(http.cookies.keys())}")
                        continue
                    self.tally.ok("ui")
                    page = http.get(base + "/tokens", allow_redirects=False, timeout=30)
                    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
                    if page.status_code != 200 or 'id="tokens-table"' not in page.text or not csrf:
                        self.tally.error("ui", f"GET /tokens: HTTP {page.status_code}, {len(page.text)} bytes")
                        continue
                    self.tally.ok("ui")
                    out = http.post(base + "/logout", data={"csrf": csrf.group(1)}, allow_redirects=False, timeout=30)
                    if out.status_code != 303 or out.headers.get("Location") != "/login":
                        self.tally.error("ui", f"POST /logout: HTTP {out.status_code} to {out.headers.get('Location')}")
                        continue
                    self.tally.ok("ui")
                except requests.RequestException as err:
                    self.tally.error("ui", repr(err))


def admin_token(server: Server) -> str:
    """Logs in as Admin and returns the value of a new API token."""
    api = server.base + "/api_jsonrpc.php"

    def call(method, params, auth=None):
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1, **({"auth": auth} if auth else {})}
        answer = requests.post(api, json=body, headers={"Content-Type": "application/json-rpc"}, timeout=30).json()
        if "result" not in answer:
            raise SystemExit(f"{method} failed: {answer}")
        return answer["result"]

    session = call("user.login", {"username": "Admin", "password": PASSWORD})
    tokenid = call("token.create", {"name": "soak-reader"}, session)["tokenids"][0]
    return call("token.generate", [tokenid], session)[0]["token"]


def verdict(rss_mb: list[float], tolerance: float) -> str:
    """Compares the mean RSS of the last third of the samples with that of the second third."""
    third = len(rss_mb) // 3
    if third < 2:
        return "too few samples for a verdict"
    second, last = statistics.mean(rss_mb[third:2 * third]), statistics.mean(rss_mb[2 * third:])
    change = (last - second) / second
    summary = f"mean RSS second third {second:.1f} MB, last third {last:.1f} MB ({change * 100:+.1f} %)"
    if change <= tolerance:
        return f"RSS flat after warm-up: {summary}, within {tolerance * 100:.0f} %"
    return f"RSS NOT flat after warm-up: {summary}, more than {tolerance * 100:.0f} %"


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    interval = float(os.environ.get("SOAK_SAMPLE", "5"))
    readers = int(os.environ.get("READERS", "2"))
    tolerance = float(os.environ.get("SOAK_TOLERANCE", "0.05"))
    binary = default_binary()
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"no tessera binary at {binary}: build it or pass its path")

    server = Server(binary)
    server.start()
    print(f"soak: {binary} on {server.base}, data in {server.data}, {seconds:.0f} s, samples every {interval:.0f} s", flush=True)
    tally, stop = Tally(), threading.Event()
    load = Load(server, admin_token(server), tally, stop)
    workers = [load.reads] * readers + [load.writes, load.unknown, load.ui]
    threads = [threading.Thread(target=w, name=w.__name__, daemon=True) for w in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    samples = []  # (seconds, status fields, requests in the interval)
    last_total = 0
    print(f"{'t s':>6} {'RSS MB':>8} {'HWM MB':>8} {'threads':>7} {'fds':>5} {'req/s':>7}", flush=True)
    try:
        while time.monotonic() - started < seconds and server.alive():
            time.sleep(interval - (time.monotonic() - started) % interval)
            if not server.alive():
                break
            status, total = server.proc_status(), tally.total()
            samples.append((time.monotonic() - started, status, total - last_total))
            t, s, n = samples[-1]
            print(f"{t:6.0f} {s['VmRSS'] / 1024:8.1f} {s['VmHWM'] / 1024:8.1f} {s['Threads']:7} {s['fds']:5} {n / interval:7.0f}", flush=True)
            last_total = total
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=35)
        died = not server.alive()
        server.stop()

    elapsed = time.monotonic() - started
    total = tally.total()
    errors = sum(tally.errors.values())
    print(f"\n{total} requests in {elapsed:.0f} s ({total / elapsed:.0f} req/s): " + ", ".join(f"{k} {v}" for k, v in sorted(tally.requests.items())))
    print(f"errors: {errors}" + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(tally.errors.items())) + ")" if errors else ""))
    for example in tally.examples:
        print(f"  {example}")
    rss = [s["VmRSS"] / 1024 for _, s, _ in samples]
    if rss:
        print(f"RSS: first sample {rss[0]:.1f} MB, min {min(rss):.1f}, max {max(rss):.1f}, last {rss[-1]:.1f}; "
              f"peak (VmHWM) {samples[-1][1]['VmHWM'] / 1024:.1f} MB; fds {samples[0][1]['fds']} → {samples[-1][1]['fds']}; "
              f"threads {samples[0][1]['Threads']} → {samples[-1][1]['Threads']}")
        print(verdict(rss, tolerance))
    database = sum(f.stat().st_size for f in server.data.iterdir() if f.is_file())
    print(f"data folder after the run: {database / 1e6:.1f} MB; server log: {server.workdir / 'server.log'}")
    if died:
        print(f"THE SERVER DIED (exit code {server.process.returncode})")
    if os.environ.get("SOAK_KEEP") != "1" and not died and not errors:
        shutil.rmtree(server.data, ignore_errors=True)
    return 1 if died or errors else 0


if __name__ == "__main__":
    sys.exit(main())
