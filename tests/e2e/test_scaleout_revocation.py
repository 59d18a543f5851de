"""Three `tessera serve --database` processes on one PostgreSQL database (issue 5: scale-out).

The three start at the same moment (the migrations run once, under PostgreSQL's advisory lock),
then share sessions, `lastaccess` and audit records, and, above all, revocations: a token that is
disabled, regenerated, deleted, expired by an edit or whose owner is disabled on instance A must be
refused by B and C within 1 s of A's acknowledgement, however B and C cache verdicts.

Each revocation warms B and C with the token first (so that a cache would hold it), changes it
on A, notes when A's acknowledgement arrived, then polls B and C at the same time (one thread
each) until they refuse. The delay of an instance is the time from that acknowledgement to the
arrival of its first refusal (one request round trip included). An answer that still accepted the
token although it was sent after the acknowledgement is counted (ideally there is none); one sent
more than 1 s after it fails the test. The figures (p50/p99/max per kind and overall) are printed
under "scale-out figures" at the end of the run.

TESSERA_E2E_SCALEOUT_ROUNDS sets the revocations per kind (default 60: 300 in all).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import secrets as pysecrets
import time

import pytest
import requests

from conftest import (
    SCALEOUT_FIGURES,
    ServerSpec,
    TesseraServer,
    create_postgres_database,
    drop_postgres_database,
    figures_line,
    percentile,
    postgres_base_url,
    psql_query,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("TESSERA_TEST_POSTGRES_URL"),
    reason="TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it): the scale-out suites need PostgreSQL",
)

ROUNDS = int(os.environ.get("TESSERA_E2E_SCALEOUT_ROUNDS", "60"))
BOUND = 1.0  # seconds after A's acknowledgement by which B and C must refuse
GIVE_UP = 3.0  # a poller stops after this long (the test has failed by then)
KINDS = ["disabled", "regenerated", "deleted", "expired", "owner_disabled"]
NOT_AUTHORIZED = {"code": -32602, "message": "Invalid params.", "data": "Not authorized."}
EXPIRED = {"code": -32500, "message": "Application error.", "data": "API token expired."}
OWNER_PASSWORD = "Scale-out-owner-pw-5"
USER_GROUP_INTERNAL = "7"  # "Internal", the group every owner starts in
USER_GROUP_DISABLED = "9"  # "Disabled": membership disables the user
USER_ROLE = "1"  # "User role"

# kind → delays in seconds (one per instance and revocation), for the overall figure.
DELAYS: dict[str, list[float]] = {}
ACCEPTED_AFTER_ACK: dict[str, int] = {}
STALE: dict[str, float] = {}  # kind → latest send time (s after the acknowledgement) of an accepted request


class Node:
    """One instance as the test talks to it: keep-alive HTTP, JSON-RPC calls, an Admin session."""

    def __init__(self, name: str, server: TesseraServer):
        self.name = name
        self.server = server
        self.http = requests.Session()
        self.admin: str | None = None

    def post(self, method: str, params, auth: str | None = None, bearer: str | None = None, timeout: float = 10) -> dict:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if auth is not None:
            body["auth"] = auth
        headers = {"Content-Type": "application/json-rpc"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        r = self.http.post(self.server.api_url, json=body, headers=headers, timeout=timeout)
        assert r.status_code == 200, f"{self.name} {method}: HTTP {r.status_code} {r.text[:300]}"
        return r.json()

    def call(self, method: str, params, auth: str | None = "admin") -> object:
        """A call that must succeed, as Admin (or with `auth`; None: without); returns its result."""
        answer = self.post(method, params, auth=self.admin if auth == "admin" else auth)
        assert "result" in answer, f"{self.name} {method} {params}: {answer}"
        return answer["result"]

    def login(self, username: str = "Admin", password: str | None = None) -> str:
        return self.call("user.login", {"username": username, "password": password or self.server.password}, auth=None)


@dataclasses.dataclass
class Cluster:
    database_url: str
    servers: list[TesseraServer]
    nodes: list[Node]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = postgres_base_url()
    name, url = create_postgres_database(base)
    servers = [
        TesseraServer(ServerSpec("7.0.0", "postgres"), tmp_path_factory.mktemp(f"scaleout-{n}"), database_url=url)
        for n in "abc"
    ]
    try:
        # All three at once: they race for the migrations, which the advisory lock serialises.
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_healthy()
        nodes = [Node(n, s) for n, s in zip("ABC", servers)]
        yield Cluster(url, servers, nodes)
    finally:
        with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(lambda s: s.stop(), servers))
        drop_postgres_database(base, name)
    leaked = {s: s.leaked_secrets() for s in servers}
    leaked = {s.log_path: [v[:4] + "…" for v in values] for s, values in leaked.items() if values}
    if leaked:
        pytest.fail(f"secret values appear in server logs: {leaked}", pytrace=False)


@pytest.fixture(scope="module")
def nodes(cluster) -> list[Node]:
    """A, B and C, each with an Admin session of its own."""
    for node in cluster.nodes:
        if node.admin is None:
            node.admin = node.login()
    return cluster.nodes


def test_three_instances_started_together_migrate_once(cluster):
    # Every migration is recorded once, in order, and the shipped data exists once.
    rows = psql_query(cluster.database_url, "SELECT version, count(*) FROM schema_version GROUP BY version ORDER BY version")
    versions = [int(v) for v, _ in rows]
    assert versions == list(range(1, len(versions) + 1)), rows
    assert all(count == "1" for _, count in rows), rows
    users = psql_query(cluster.database_url, "SELECT username FROM users ORDER BY userid")
    assert [u for (u,) in users] == ["Admin", "guest"]
    # Exactly one of the three did the first start (set the Admin password); none failed.
    first = [s.log_path.name for s in cluster.servers if "first start" in s.read_log()]
    assert len(first) == 1, [s.read_log()[-2000:] for s in cluster.servers]
    for server in cluster.servers:
        assert server.process.poll() is None, server.read_log()[-2000:]
    # The password set by that one works everywhere.
    for node in cluster.nodes:
        assert len(node.login()) == 32


def test_a_session_from_one_instance_works_on_the_others(nodes):
    a, b, c = nodes
    session = a.login()
    for node in (b, c):
        assert node.call("user.get", {"output": ["username"], "userids": ["1"]}, auth=session) == [{"userid": "1", "username": "Admin"}]
        page = node.http.get(f"{node.server.base_url}/tokens", cookies={"tessera_session": session}, allow_redirects=False, timeout=10)
        assert page.status_code == 200, (node.name, page.status_code, page.headers.get("Location"))
    # A logout on B ends it on A and C as well.
    assert b.call("user.logout", [], auth=session) is True
    for node in (a, c):
        answer = node.post("user.get", {"output": ["username"]}, auth=session)
        assert answer.get("error") == {"code": -32602, "message": "Invalid params.", "data": "Session terminated, re-login, please."}, (node.name, answer)


def test_audit_records_from_every_instance_are_visible_on_every_instance(nodes):
    tag = pysecrets.token_hex(3)
    made = {}
    for node in nodes:
        name = f"audit-{node.name}-{tag}"
        made[name] = node.call("token.create", {"name": name})["tokenids"][0]
    for node in nodes:
        records = node.call(
            "auditlog.get",
            {"output": ["resourceid", "resourcename", "action"], "filter": {"resourcetype": 45, "action": 0, "resourceid": list(made.values())}},
        )
        assert sorted((r["resourcename"], r["resourceid"]) for r in records) == sorted(made.items()), (node.name, records)


def _own_lastaccess(node: Node, tokenid: str, value: str) -> int:
    """Authenticates `value` on `node` and returns the lastaccess that instance then shows (its now)."""
    rows = node.call("token.get", {"output": ["lastaccess"], "tokenids": [tokenid]}, auth=value)
    return int(rows[0]["lastaccess"])


def _next_second(after: int) -> None:
    """Sleeps until the wall clock is past second `after` (with a margin against rounding)."""
    while time.time() < after + 1.05:
        time.sleep(after + 1.05 - time.time())


@pytest.mark.parametrize("first,second", [(1, 2), (2, 1)], ids=["B-then-C", "C-then-B"])
def test_lastaccess_from_several_instances_only_moves_forward(nodes, first, second):
    a = nodes[0]
    early, late = nodes[first], nodes[second]
    tokenid = a.call("token.create", {"name": f"lastaccess-{early.name}{late.name}"})["tokenids"][0]
    value = a.call("token.generate", [tokenid])[0]["token"]
    a.server.secrets.add(value)

    t1 = _own_lastaccess(early, tokenid, value)
    _next_second(t1)
    t2 = _own_lastaccess(late, tokenid, value)
    assert t2 > t1
    start = time.monotonic()
    # Each instance writes its own value within the flush interval (1 s); the older one must never
    # win, whichever instance writes last. Every instance shows what it reads (and what it holds).
    seen: dict[str, list[int]] = {n.name: [] for n in nodes}
    reached: dict[str, float] = {}
    while time.monotonic() - start < 2.5:
        for node in nodes:
            rows = node.call("token.get", {"output": ["lastaccess"], "tokenids": [tokenid]})
            seen[node.name].append(int(rows[0]["lastaccess"]))
            if seen[node.name][-1] == t2 and node.name not in reached:
                reached[node.name] = time.monotonic() - start
        time.sleep(0.05)
    for name, values in seen.items():
        assert values == sorted(values), f"lastaccess went back on {name}: {values} (t1={t1}, t2={t2})"
        assert values[-1] == t2, f"{name} shows {values[-1]}, not the later use {t2} (t1={t1})"
        # Before the first write an instance that never saw the token shows 0.
        assert set(values) <= {0, t1, t2}, (name, values, t1, t2)
    stored = psql_query(nodes[0].server.database_url, f"SELECT lastaccess FROM token WHERE tokenid = {int(tokenid)}")
    assert int(stored[0][0]) == t2
    # A shows it once written (the flush interval is 1 s).
    assert reached["A"] <= 2.0, reached


# ---------------------------------------------------------------------------------------------
# Revocation


@dataclasses.dataclass
class Poll:
    """What one instance answered after the acknowledgement."""

    node: str
    delay: float | None = None  # acknowledgement → first refusal received
    accepted_after_ack: int = 0  # answers that accepted although sent after the acknowledgement
    stale_until: float = 0.0  # when the last of those was sent (s after the acknowledgement)
    accepted_late: list[float] = dataclasses.field(default_factory=list)  # send times (s after ack) beyond BOUND
    refusal: dict | None = None
    requests: int = 0


def _use(node: Node, value: str, tokenid: str, bearer: bool) -> dict:
    params = {"output": ["tokenid"], "tokenids": [tokenid]}
    return node.post("token.get", params, bearer=value) if bearer else node.post("token.get", params, auth=value)


def _poll_until_refused(node: Node, value: str, tokenid: str, bearer: bool, ack: float, reconnecting: bool = False) -> Poll:
    """Uses the token on `node` until it is refused. `reconnecting`: the instance's database
    connections were just cut, so "Application error." answers (which accept nothing) are skipped."""
    poll = Poll(node.name)
    while True:
        sent = time.perf_counter()
        if sent - ack > GIVE_UP:
            return poll
        answer = _use(node, value, tokenid, bearer)
        received = time.perf_counter()
        poll.requests += 1
        if reconnecting and answer.get("error", {}).get("code") == -32500 and answer["error"].get("data") != EXPIRED["data"]:
            continue
        if "error" in answer:
            poll.delay = received - ack
            poll.refusal = answer["error"]
            return poll
        poll.accepted_after_ack += 1
        poll.stale_until = max(poll.stale_until, sent - ack)
        if sent - ack > BOUND:
            poll.accepted_late.append(round(sent - ack, 3))


def _owner(a: Node, tag: str) -> str:
    return a.call(
        "user.create",
        {"username": f"owner-{tag}", "passwd": OWNER_PASSWORD, "roleid": USER_ROLE, "usrgrps": [{"usrgrpid": USER_GROUP_INTERNAL}]},
    )["userids"][0]


def _revoke(a: Node, kind: str, tokenid: str, owner: str | None) -> str | None:
    """Makes the change on A; returns the new token value for `regenerated`."""
    if kind == "disabled":
        assert a.call("token.update", {"tokenid": tokenid, "status": "1"}) == {"tokenids": [tokenid]}
    elif kind == "regenerated":
        return a.call("token.generate", [tokenid])[0]["token"]
    elif kind == "deleted":
        assert a.call("token.delete", [tokenid]) == {"tokenids": [tokenid]}
    elif kind == "expired":
        assert a.call("token.update", {"tokenid": tokenid, "expires_at": str(int(time.time()) - 1)}) == {"tokenids": [tokenid]}
    elif kind == "owner_disabled":
        groups = [{"usrgrpid": USER_GROUP_INTERNAL}, {"usrgrpid": USER_GROUP_DISABLED}]
        assert a.call("user.update", {"userid": owner, "usrgrps": groups}) == {"userids": [owner]}
    return None


@pytest.mark.parametrize("kind", KINDS)
def test_a_revocation_on_one_instance_reaches_the_others_within_1s(nodes, kind, record_property):
    a, b, c = nodes
    expected = EXPIRED if kind == "expired" else NOT_AUTHORIZED
    polls: list[Poll] = []
    problems: list[str] = []
    run = pysecrets.token_hex(3)
    deadline = time.monotonic() + 40  # bounded whatever the server does
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for round_ in range(ROUNDS):
            assert time.monotonic() < deadline, f"{kind}: only {round_} of {ROUNDS} rounds in 40 s"
            bearer = round_ % 2 == 1  # alternate the `auth` member and the Bearer header
            tag = f"{kind}-{run}-{round_}"
            owner = _owner(a, tag) if kind == "owner_disabled" else None
            tokenid = a.call("token.create", {"name": tag, **({"userid": owner} if owner else {})})["tokenids"][0]
            value = a.call("token.generate", [tokenid])[0]["token"]
            a.server.secrets.add(value)

            # Warm B and C: a cache, if any, now holds the token (twice: a second use hits it).
            for node in (b, c):
                for _ in range(2):
                    answer = _use(node, value, tokenid, bearer)
                    assert answer.get("result") == [{"tokenid": tokenid}], f"{kind} round {round_}: {node.name} before the change: {answer}"

            new_value = _revoke(a, kind, tokenid, owner)
            ack = time.perf_counter()
            futures = [pool.submit(_poll_until_refused, node, value, tokenid, bearer, ack) for node in (b, c)]
            results = [f.result(timeout=GIVE_UP + 15) for f in futures]
            polls += results
            for poll in results:
                where = f"{kind} round {round_} ({'Bearer' if bearer else 'auth'}), instance {poll.node}"
                if poll.refusal is None:
                    problems.append(f"{where}: still accepted {GIVE_UP:.0f} s after A acknowledged ({poll.requests} requests)")
                elif poll.refusal != expected:
                    problems.append(f"{where}: refused with {poll.refusal}, expected {expected}")
                if poll.accepted_late:
                    problems.append(f"{where}: accepted requests sent {poll.accepted_late} s after the acknowledgement")

            # A refuses as well, and a regenerated token's new value works everywhere right away.
            assert _use(a, value, tokenid, bearer).get("error") == expected, f"{kind} round {round_}: A"
            if new_value is not None:
                a.server.secrets.add(new_value)
                for node in nodes:
                    answer = _use(node, new_value, tokenid, bearer)
                    assert answer.get("result") == [{"tokenid": tokenid}], f"{kind} round {round_}: new value on {node.name}: {answer}"

    delays = [p.delay for p in polls if p.delay is not None]
    accepted_after_ack = sum(p.accepted_after_ack for p in polls)
    DELAYS[kind] = delays
    ACCEPTED_AFTER_ACK[kind] = accepted_after_ack
    stale = max((p.stale_until for p in polls), default=0.0)
    line = figures_line(f"revocation {kind:<14} (A acknowledges → B/C refuse)", delays) + (
        f", accepted after the acknowledgement: {accepted_after_ack} of {sum(p.requests for p in polls)} requests"
        + (f" (the last sent {stale * 1000:.1f} ms after it)" if accepted_after_ack else "")
    )
    STALE[kind] = stale
    SCALEOUT_FIGURES.append(line)
    print(line)
    record_property(f"revocation_{kind}_p50_ms", round(percentile(delays, 50) * 1000, 1))
    record_property(f"revocation_{kind}_p99_ms", round(percentile(delays, 99) * 1000, 1))
    record_property(f"revocation_{kind}_max_ms", round(max(delays, default=0) * 1000, 1))
    record_property(f"revocation_{kind}_accepted_after_ack", accepted_after_ack)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:20])
    assert max(delays) <= BOUND, line


def test_a_revocation_right_after_every_database_connection_was_cut_still_reaches_the_others(cluster, nodes):
    """An instance that learns of changes over a connection of its own (LISTEN/NOTIFY) must not
    miss one made while that connection is being re-established: every connection of every
    instance is terminated right before each revocation on A."""
    a, b, c = nodes
    rounds = max(5, ROUNDS // 6)
    problems, delays, cut = [], [], []
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for round_ in range(rounds):
            tag = f"cut-{pysecrets.token_hex(3)}-{round_}"
            tokenid = a.call("token.create", {"name": tag})["tokenids"][0]
            value = a.call("token.generate", [tokenid])[0]["token"]
            a.server.secrets.add(value)
            for node in (b, c):
                for _ in range(2):
                    assert _use(node, value, tokenid, False).get("result") == [{"tokenid": tokenid}], (tag, node.name)
            cut.append(int(psql_query(
                cluster.database_url,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )[0][0]))
            # A's own connections are gone too: an "Application error." changed nothing, so retry.
            for attempt in range(50):
                answer = a.post("token.update", {"tokenid": tokenid, "status": "1"}, auth=a.admin)
                if "result" in answer:
                    break
                assert answer["error"]["code"] == -32500, (tag, answer)
                time.sleep(0.02)
            assert answer.get("result") == {"tokenids": [tokenid]}, (tag, answer)
            ack = time.perf_counter()
            futures = [pool.submit(_poll_until_refused, node, value, tokenid, False, ack, True) for node in (b, c)]
            for poll in (f.result(timeout=GIVE_UP + 15) for f in futures):
                if poll.refusal != NOT_AUTHORIZED or poll.accepted_late:
                    problems.append(f"{tag} on {poll.node}: refusal {poll.refusal}, accepted late {poll.accepted_late}")
                if poll.delay is not None:
                    delays.append(poll.delay)
    line = figures_line("revocation after all connections were cut (A acknowledges → B/C refuse)", delays) + (
        f", connections cut per round: {min(cut)}–{max(cut)}"
    )
    SCALEOUT_FIGURES.append(line)
    print(line)
    assert not problems, "\n".join(problems)
    assert max(delays) <= BOUND, line


def test_revocation_figures_overall(record_property):
    if set(DELAYS) != set(KINDS):
        pytest.skip(f"the revocation tests of {sorted(set(KINDS) - set(DELAYS))} did not complete")
    delays = [d for kind in KINDS for d in DELAYS[kind]]
    accepted = sum(ACCEPTED_AFTER_ACK.values())
    line = figures_line("revocation overall        (A acknowledges → B/C refuse)", delays) + (
        f", accepted after the acknowledgement: {accepted}"
        + (f" (the last sent {max(STALE.values()) * 1000:.1f} ms after it)" if accepted else "")
    )
    SCALEOUT_FIGURES.append(line)
    print(line)
    record_property("revocation_overall_p50_ms", round(percentile(delays, 50) * 1000, 1))
    record_property("revocation_overall_p99_ms", round(percentile(delays, 99) * 1000, 1))
    record_property("revocation_overall_max_ms", round(max(delays) * 1000, 1))
    record_property("revocation_overall_accepted_after_ack", accepted)
    assert len(delays) == 2 * ROUNDS * len(KINDS)
    assert max(delays) <= BOUND
