"""PostgreSQL goes away for a few seconds under load, and comes back (issue 5: scale-out).

A dedicated throwaway cluster (scripts/pg-cluster.sh start, then `halt` / `resume`, which keep
the data and the port) carries one `tessera serve --database`. A few threads call token.get (with
a session and with a token), token.update and token.create and load the web UI in a bounded loop
while PostgreSQL is stopped (pg_ctl -m fast) for about 3 s (up to HANG_LIMIT while requests sent
during the outage are still unanswered) and started again. Then:

- during the outage every JSON-RPC answer is a well-formed JSON-RPC error (HTTP 200, -32500
  "Application error."), no request waits longer than HANG_LIMIT, nothing answers HTTP 500, and the
  web UI shows its "Service unavailable" page (HTTP 503) instead of a stack trace;
- once PostgreSQL accepts connections again, the same process (never restarted) serves again
  within RECOVERY_LIMIT;
- nothing is half-written: every token.update answered with success is visible afterwards, each
  with its one audit record and no update without its record; the tokens that exist are exactly
  those whose token.create was answered with success.

A second test runs another instance next to it and checks that a revocation made right after an
outage (when any change feed between the instances had to reconnect) still reaches it within 1 s.

Needs TESSERA_TEST_POSTGRES_URL like the other PostgreSQL suites (the PostgreSQL binaries it
implies are used for the dedicated cluster); skipped without it.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import threading
import time

import pytest
import requests

from conftest import (
    SCALEOUT_FIGURES,
    ServerSpec,
    TesseraServer,
    create_postgres_database,
    pg_cluster,
    psql_query,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("TESSERA_TEST_POSTGRES_URL"),
    reason="TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it): the scale-out suites need PostgreSQL",
)

OUTAGE = 3.0  # seconds PostgreSQL stays down
HANG_LIMIT = 5.0  # no request may take longer, outage or not
REQUEST_TIMEOUT = 10.0  # the client gives up after this (and the test counts a hang)
RECOVERY_LIMIT = 5.0  # PostgreSQL accepts connections → the instance serves again
RECOVERY_GIVE_UP = 30.0  # stop waiting for recovery after this (the test has failed by then)
SETTLE = 1.0  # after the first success, the remaining pooled connections may fail this long
POOL = 1000  # tokens that token.update may change (each at most once)
# What must not reach a client (matched case-sensitively): driver, runtime and socket details.
INTERNAL_TEXTS = ("PSQL", "NIO", "Swift", "Error(", "connection refused", "Connection refused", "ECONNREFUSED", "socket", "Fatal")
APPLICATION_ERROR = {"code": -32500, "message": "Application error."}
ORIGIN: dict[str, float] = {}  # "halt": when PostgreSQL was told to stop (times in messages are relative to it)


@pytest.fixture(scope="module")
def pg():
    with pg_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def database_url(pg) -> str:
    return create_postgres_database(pg.url)[1]


def _start(tmp_path_factory, name: str, database_url: str) -> TesseraServer:
    server = TesseraServer(ServerSpec("7.0.0", "postgres"), tmp_path_factory.mktemp(name), database_url=database_url)
    server.start()
    return server


def _check_secrets(server: TesseraServer) -> None:
    leaked = server.leaked_secrets()
    if leaked:
        pytest.fail(f"secret values appear in {server.log_path}: {[v[:4] + '…' for v in leaked]}", pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    server = _start(tmp_path_factory, "outage-a", database_url)
    try:
        yield server
    finally:
        server.stop()
    _check_secrets(server)


# ---------------------------------------------------------------------------------------------
# Talking to it, and what came back


@dataclasses.dataclass
class Sample:
    """One request and what came back."""

    worker: str
    sent: float  # time.monotonic()
    received: float
    status: int | None = None  # HTTP status; None when no answer came (timeout, connection refused)
    body: object = None  # decoded JSON (JSON-RPC) or text (pages)
    failure: str | None = None  # the client's exception
    item: int | None = None  # which update or create

    @property
    def duration(self) -> float:
        return self.received - self.sent

    def describe(self, origin: float | None = None) -> str:
        """What was sent when (seconds after `origin`, else after the halt) and what came back."""
        origin = ORIGIN.get("halt", 0.0) if origin is None else origin
        if self.failure:
            answer = self.failure
        elif isinstance(self.body, str) and "<title>" in self.body:  # a page: its title says which
            answer = f"HTTP {self.status} page <title>{self.body.split('<title>', 1)[1].split('</title>', 1)[0]}</title>"
        else:
            answer = f"HTTP {self.status} {str(self.body)[:300]}"
        what = self.worker + (f" #{self.item}" if self.item is not None else "")
        return f"{what} sent at {self.sent - origin:+.2f} s, took {self.duration:.2f} s: {answer}"


def jsonrpc(http: requests.Session, server: TesseraServer, worker: str, method: str, params, auth=None, bearer=None, item=None) -> Sample:
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 7}
    if auth is not None:
        body["auth"] = auth
    headers = {"Content-Type": "application/json-rpc"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    sent = time.monotonic()
    try:
        r = http.post(server.api_url, data=json.dumps(body), headers=headers, timeout=REQUEST_TIMEOUT)
    except requests.RequestException as err:
        return Sample(worker, sent, time.monotonic(), failure=f"{type(err).__name__}: {err}", item=item)
    try:
        decoded = r.json()
    except ValueError:
        decoded = r.text
    return Sample(worker, sent, time.monotonic(), r.status_code, decoded, item=item)


def page(http: requests.Session, server: TesseraServer, worker: str, path: str, session: str) -> Sample:
    sent = time.monotonic()
    try:
        r = http.get(server.base_url + path, cookies={"tessera_session": session}, allow_redirects=False, timeout=REQUEST_TIMEOUT)
    except requests.RequestException as err:
        return Sample(worker, sent, time.monotonic(), failure=f"{type(err).__name__}: {err}")
    return Sample(worker, sent, time.monotonic(), r.status_code, r.text)


def ok(sample: Sample):
    """The result of a successful JSON-RPC answer, else fails with what came back."""
    assert sample.status == 200 and isinstance(sample.body, dict) and "result" in sample.body, sample.describe()
    return sample.body["result"]


def jsonrpc_problem(sample: Sample) -> str | None:
    """Why an answer is not an acceptable JSON-RPC answer (success, or a clean -32500 error)."""
    if sample.failure is not None:
        return "no answer"
    if sample.status != 200:
        return f"HTTP {sample.status}"
    body = sample.body
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or body.get("id") != 7 or ("result" in body) == ("error" in body):
        return "not a JSON-RPC response"
    if "error" in body:
        error = body["error"]
        if {k: error.get(k) for k in APPLICATION_ERROR} != APPLICATION_ERROR or not isinstance(error.get("data"), str):
            return "an error other than -32500 Application error."
        if any(text in error["data"] for text in INTERNAL_TEXTS):
            return "an error that shows internals"
    if sample.duration > HANG_LIMIT:
        return f"took {sample.duration:.1f} s"
    return None


def page_problem(sample: Sample, down: bool) -> str | None:
    """Why a GET /tokens answer is not acceptable (200 page; during the outage, also the 503 page)."""
    if sample.failure is not None:
        return "no answer"
    if sample.duration > HANG_LIMIT:
        return f"took {sample.duration:.1f} s"
    if sample.status == 200:
        return None
    if sample.status == 503 and down:
        text = sample.body
        if "<h1>Service unavailable</h1>" not in text or any(t in text for t in INTERNAL_TEXTS):
            return "a 503 without the Service unavailable page"
        return None
    return f"HTTP {sample.status}"


class Worker(threading.Thread):
    """Repeats one kind of request every `pace` seconds until stopped."""

    def __init__(self, name: str, pace: float, stop: threading.Event, request):
        super().__init__(name=name, daemon=True)
        self.pace = pace
        self.stop_event = stop
        self.request = request  # (http, n) -> Sample, or None when it has nothing left to do
        self.samples: list[Sample] = []

    def run(self) -> None:
        http = requests.Session()
        n = 0
        while not self.stop_event.is_set():
            sample = self.request(http, n)
            if sample is None:
                return
            self.samples.append(sample)
            n += 1
            self.stop_event.wait(self.pace)


# ---------------------------------------------------------------------------------------------


def test_an_outage_under_load_gives_clean_errors_and_the_instance_recovers_by_itself(server, pg, database_url, record_property):
    http = requests.Session()
    admin = ok(jsonrpc(http, server, "setup", "user.login", {"username": "Admin", "password": server.password}))
    server.secrets.add(admin)
    pool = ok(jsonrpc(http, server, "setup", "token.create", [{"name": f"pool-{k}"} for k in range(POOL)], auth=admin))["tokenids"]
    reader_id = ok(jsonrpc(http, server, "setup", "token.create", {"name": "reader"}, auth=admin))["tokenids"][0]
    reader = ok(jsonrpc(http, server, "setup", "token.generate", [reader_id], auth=admin))[0]["token"]
    server.secrets.add(reader)
    pid = server.process.pid

    stop = threading.Event()
    creates: dict[int, Sample] = {}
    updates: dict[int, Sample] = {}

    def get_with_session(http, n):
        return jsonrpc(http, server, "get-session", "token.get", {"countOutput": True}, auth=admin)

    def get_with_token(http, n):
        return jsonrpc(http, server, "get-token", "token.get", {"output": ["tokenid"], "tokenids": [reader_id]}, bearer=reader)

    def update(http, n):
        if n >= POOL:
            return None
        sample = jsonrpc(http, server, "update", "token.update", {"tokenid": pool[n], "description": f"update {n}"}, auth=admin, item=n)
        updates[n] = sample
        return sample

    def create(http, n):
        sample = jsonrpc(http, server, "create", "token.create", {"name": f"load-{n}"}, auth=admin, item=n)
        creates[n] = sample
        return sample

    def web(http, n):
        return page(http, server, "web", "/tokens", admin)

    workers = [
        Worker("get-session", 0.02, stop, get_with_session),
        Worker("get-token", 0.02, stop, get_with_token),
        Worker("update", 0.04, stop, update),
        Worker("create", 0.04, stop, create),
        Worker("web", 0.1, stop, web),
    ]
    events: dict[str, float] = {}
    probes: dict[str, Sample] = {}
    recovered_at: float | None = None
    try:
        for worker in workers:
            worker.start()
        time.sleep(1.0)

        events["halt"] = ORIGIN["halt"] = time.monotonic()
        pg.halt()
        events["down"] = time.monotonic()

        # While it is down, one of each, all at once. PostgreSQL comes back after OUTAGE, or once
        # they have all answered, but at the latest after HANG_LIMIT (a probe that has not
        # answered by then hangs; its late answer is still recorded).
        calls = {
            "token.get (session)": lambda h: jsonrpc(h, server, "probe", "token.get", {"countOutput": True}, auth=admin),
            "token.get (token)": lambda h: jsonrpc(h, server, "probe", "token.get", {"output": ["tokenid"]}, bearer=reader),
            "token.update": lambda h: jsonrpc(h, server, "probe", "token.update", {"tokenid": reader_id, "description": "down"}, auth=admin),
            "user.login": lambda h: jsonrpc(h, server, "probe", "user.login", {"username": "Admin", "password": server.password}),
            "apiinfo.version": lambda h: jsonrpc(h, server, "probe", "apiinfo.version", {}),
            "GET /tokens": lambda h: page(h, server, "probe", "/tokens", admin),
            "GET /healthz": lambda h: page(h, server, "probe", "/healthz", admin),
        }
        probe_pool = concurrent.futures.ThreadPoolExecutor(len(calls))
        futures = {name: probe_pool.submit(call, requests.Session()) for name, call in calls.items()}
        concurrent.futures.wait(futures.values(), timeout=HANG_LIMIT + 0.5)
        time.sleep(max(0.0, events["down"] + OUTAGE - time.monotonic()))
        events["resume"] = time.monotonic()
        pg.resume()
        events["up"] = time.monotonic()
        probes = {name: f.result() for name, f in futures.items()}
        probe_pool.shutdown()

        while time.monotonic() - events["up"] < RECOVERY_GIVE_UP:
            sample = jsonrpc(http, server, "recovery", "token.get", {"countOutput": True}, auth=admin)
            if isinstance(sample.body, dict) and "result" in sample.body:
                recovered_at = sample.received
                break
            time.sleep(0.1)
        time.sleep(1.0)  # and some load after it
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=REQUEST_TIMEOUT + 5)
    assert not any(w.is_alive() for w in workers), "a load thread did not finish"

    recovery = None if recovered_at is None else recovered_at - events["up"]
    samples = [s for w in workers for s in w.samples]
    line = (
        f"outage: PostgreSQL down {events['resume'] - events['down']:.1f} s, "
        f"recovered {'never' if recovery is None else f'{recovery:.2f} s'} after it accepted connections again; "
        f"{len(samples)} requests under load, {sum(1 for s in samples if isinstance(s.body, dict) and 'error' in s.body)} JSON-RPC errors, {sum(1 for s in samples if s.failure)} without answer, "
        f"longest request {max(s.duration for s in samples):.2f} s"
    )
    SCALEOUT_FIGURES.append(line)
    print(line)
    record_property("outage_recovery_s", None if recovery is None else round(recovery, 3))
    record_property("outage_longest_request_s", round(max(s.duration for s in samples), 3))

    problems: list[str] = []
    # The process: the same one, still running.
    if server.process.poll() is not None or server.process.pid != pid:
        problems.append(f"the server process ended (code {server.process.returncode}):\n{server.read_log()[-3000:]}")

    # The probes made while PostgreSQL was down: answered while it was still down.
    for name, sample in probes.items():
        if sample.received > events["resume"] and name != "GET /healthz":
            problems.append(f"probe {name}: no answer while PostgreSQL was down ({HANG_LIMIT:.0f} s): {sample.describe()}")
        elif name == "apiinfo.version":
            if jsonrpc_problem(sample) or "result" not in sample.body:
                problems.append(f"probe {name}: expected its answer without the database: {sample.describe()}")
        elif name == "GET /healthz":
            pass  # reported below, not judged
        elif name == "GET /tokens":
            if sample.status != 503 or page_problem(sample, down=True):
                problems.append(f"probe {name}: expected the 503 Service unavailable page: {sample.describe()}")
        else:
            problem = jsonrpc_problem(sample)
            if problem or "error" not in sample.body:
                problems.append(f"probe {name}: expected a -32500 Application error. within {HANG_LIMIT:.0f} s ({problem}): {sample.describe()}")

    # Every answer under load: clean, in time, and an error only while the database was away.
    before = events["halt"]
    after = (recovered_at or events["up"] + RECOVERY_GIVE_UP) + SETTLE
    for sample in samples:
        if sample.worker == "web":
            problem = page_problem(sample, down=sample.received > before and sample.sent < after)
        else:
            problem = jsonrpc_problem(sample)
            if problem is None and "error" in sample.body and not (sample.received > before and sample.sent < after):
                problem = "an error outside the outage"
        if problem:
            problems.append(f"{problem}: {sample.describe()}")
    if recovery is None or recovery > RECOVERY_LIMIT:
        problems.append(
            f"not serving again {RECOVERY_LIMIT:.0f} s after PostgreSQL was back "
            f"({'not within ' + str(RECOVERY_GIVE_UP) + ' s' if recovery is None else f'{recovery:.2f} s'})"
        )
    timeline = {k: round(v - events["halt"], 2) for k, v in events.items()}
    if recovered_at is not None:
        timeline["recovered"] = round(recovered_at - events["halt"], 2)
    healthz = probes.get("GET /healthz")
    print(f"outage timeline (s after halt): {timeline}; /healthz while down: {healthz.describe() if healthz else 'n/a'}")
    login = probes.get("user.login")
    if login is not None and succeeded(login):
        server.secrets.add(login.body["result"])

    # Nothing half-written: successful updates are there, each with its audit record, and nothing
    # else; the tokens that exist are those whose create succeeded. (Once it serves again.)
    if recovered_at is not None:
        problems += consistency_problems(http, server, admin, database_url, pool, updates, creates)
    assert not problems, f"{len(problems)} problem(s); timeline (s after halt) {timeline}:\n" + "\n".join(problems[:30])


def succeeded(sample: Sample) -> bool:
    return isinstance(sample.body, dict) and "result" in sample.body


def refused(sample: Sample) -> bool:
    """Answered with a JSON-RPC error (which for -32500 says "nothing was changed")."""
    return isinstance(sample.body, dict) and "error" in sample.body


def consistency_problems(http, server, admin, database_url, pool, updates: dict[int, Sample], creates: dict[int, Sample]) -> list[str]:
    problems = []
    tokens = ok(jsonrpc(http, server, "check", "token.get", {"output": ["tokenid", "description"], "tokenids": pool}, auth=admin))
    description = {t["tokenid"]: t["description"] for t in tokens}
    audited = ok(jsonrpc(http, server, "check", "auditlog.get",
                         {"output": ["resourceid"], "filter": {"resourcetype": 45, "action": 1, "resourceid": pool}}, auth=admin))
    audit_count: dict[str, int] = {}
    for record in audited:
        audit_count[record["resourceid"]] = audit_count.get(record["resourceid"], 0) + 1
    lost, ambiguous, unaudited = [], [], []
    for n, sample in sorted(updates.items()):
        tokenid = pool[n]
        applied = description[tokenid] == f"update {n}"
        if succeeded(sample) and not applied:
            lost.append(sample.describe())
        if refused(sample) and applied:  # (without an answer at all, either outcome is possible)
            ambiguous.append(sample.describe())
        if audit_count.get(tokenid, 0) != (1 if applied else 0):
            unaudited.append(f"update #{n} applied={applied}, audit records {audit_count.get(tokenid, 0)}")
    untouched = [t for k, t in enumerate(pool) if k not in updates and (description[t] != "" or t in audit_count)]

    names = {name for (name,) in psql_query(database_url, "SELECT name FROM token WHERE name LIKE 'load-%'")}
    created_ok = {f"load-{n}" for n, sample in creates.items() if succeeded(sample)}
    created_audits = ok(jsonrpc(http, server, "check", "auditlog.get",
                                {"output": ["resourcename"], "filter": {"resourcetype": 45, "action": 0}}, auth=admin))
    create_audit_names = sorted(r["resourcename"] for r in created_audits if r["resourcename"].startswith("load-"))

    summary = (
        f"updates: {sum(map(succeeded, updates.values()))} succeeded, {sum(not succeeded(s) for s in updates.values())} did not; "
        f"creates: {len(created_ok)} succeeded, {len(creates) - len(created_ok)} did not"
    )
    print(summary)
    problems += [f"token.update answered with success but not stored: {d}" for d in lost]
    problems += [f"token.update answered without success (\"nothing was changed\") but stored: {d}" for d in ambiguous]
    problems += [f"update and audit record do not match: {d}" for d in unaudited]
    problems += [f"token {t} changed although no update was sent for it" for t in untouched]
    for name in sorted(names - created_ok):
        n = int(name.split("-")[1])
        if n in creates and creates[n].failure is not None:
            continue  # the client gave up waiting (a hang, reported above): either outcome is possible
        problems.append(f"token {name} stored although its create did not succeed: {creates[n].describe() if n in creates else 'never sent'}")
    for name in sorted(created_ok - names):
        problems.append(f"token {name} missing although its create succeeded: {creates[int(name.split('-')[1])].describe()}")
    if create_audit_names != sorted(names):
        problems.append(f"created tokens and their audit records differ: {len(names)} tokens, {len(create_audit_names)} records")
    return problems


def test_a_revocation_right_after_an_outage_reaches_another_instance(tmp_path_factory, server, pg, database_url):
    """Another instance that used (and may cache) a token before PostgreSQL went away must refuse
    it within 1 s of a revocation made on the first as soon as that one serves again."""
    other = _start(tmp_path_factory, "outage-b", database_url)
    try:
        http_a, http_b = requests.Session(), requests.Session()
        admin = ok(jsonrpc(http_a, server, "setup", "user.login", {"username": "Admin", "password": server.password}))
        server.secrets.add(admin)
        tokenid = ok(jsonrpc(http_a, server, "setup", "token.create", {"name": "after-outage"}, auth=admin))["tokenids"][0]
        value = ok(jsonrpc(http_a, server, "setup", "token.generate", [tokenid], auth=admin))[0]["token"]
        server.secrets.add(value)
        other.secrets.add(value)

        def use() -> Sample:
            return jsonrpc(http_b, other, "other", "token.get", {"output": ["tokenid"], "tokenids": [tokenid]}, bearer=value)

        for _ in range(2):
            assert ok(use()) == [{"tokenid": tokenid}]

        pg.halt()
        time.sleep(2.0)
        pg.resume()
        up = time.monotonic()
        while True:  # revoke on A as soon as it can
            sample = jsonrpc(http_a, server, "revoke", "token.update", {"tokenid": tokenid, "status": "1"}, auth=admin)
            if isinstance(sample.body, dict) and "result" in sample.body:
                break
            assert time.monotonic() - up < RECOVERY_GIVE_UP, f"A did not accept the revocation: {sample.describe()}"
            time.sleep(0.05)
        ack = sample.received

        accepted_late, first_refusal = [], None
        while time.monotonic() - ack < RECOVERY_GIVE_UP:
            sample = use()
            if isinstance(sample.body, dict) and "result" in sample.body:
                if sample.sent - ack > 1.0:
                    accepted_late.append(round(sample.sent - ack, 2))
            elif isinstance(sample.body, dict) and sample.body.get("error", {}).get("data") == "Not authorized.":
                first_refusal = sample.received - ack
                break
            time.sleep(0.02)
        line = (
            f"after an outage: A revoked {ack - up:.2f} s after PostgreSQL was back; the other instance refused "
            f"{'never' if first_refusal is None else f'{first_refusal * 1000:.0f} ms'} after A's acknowledgement"
        )
        SCALEOUT_FIGURES.append(line)
        print(line)
        assert not accepted_late, f"B accepted the revoked token in requests sent {accepted_late} s after A acknowledged"
        assert first_refusal is not None, "B never answered Not authorized."
        assert other.process.poll() is None
    finally:
        other.stop()
    _check_secrets(other)
