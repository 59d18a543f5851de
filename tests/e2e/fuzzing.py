#!/usr/bin/env python3
"""Generator-driven HTTP fuzzer for Tessera's JSON-RPC endpoint (`/api_jsonrpc.php`).

Against a live `tessera serve` it sends, for a bounded time, requests built by
`fuzz_inputs.RequestFactory` (valid and mutated params of every method, fuzzed envelopes, batches,
byte-level mutations, garbage, other verbs and content types, huge bodies) and checks every answer
(`check_answer`): no 5xx, no dropped connection, 412 with an empty body for other content types,
otherwise an empty body or well-formed JSON-RPC answers (with the right ids where they can be
known). Between batches of requests it checks that the process is alive and that its own
credentials still work (`Keeper`), repairing them when the fuzzed calls took them away. Requests
that may fail to authenticate go out from other loopback addresses (`STRANGER_ADDRESSES`).

Used by test_fuzz_api.py (bounded run on the module's server) and standalone for long runs:

    python3 tests/e2e/fuzzing.py --seconds 1800 --bin .build/debug/tessera [--seed N]

A run prints its seed; `--seed` (or FUZZ_SEED in the test) replays the same requests against a
fresh server. Each finding is saved as the exact request (body file + curl line) in the findings
folder.
"""

from __future__ import annotations

import argparse
import base64
import collections
import dataclasses
import http.client
import json
import os
import random
import re
import shlex
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from fuzz_inputs import (
    API_PATH,
    CALL_VERBS,
    JSON_CONTENT_TYPES,
    MAX_BODY,
    METHODS,
    Credentials,
    Pools,
    RequestFactory,
    Sent,
    id_key,
    method_key,
)

REQUEST_TIMEOUT = 60.0  # an answer slower than this is reported as a hang
BODY_STALL = 3.0  # once the head of an answer came, its body must end within this (else: a hang)
BATCH = 50  # requests between liveness and credential checks
# Requests that may fail to authenticate are sent from these loopback addresses, the fuzzer's own
# from 127.0.0.1: a per-address limit on failed authentications (`--auth-failure-limit`) then
# never refuses the fuzzer's own calls, and spread over 32 addresses it seldom refuses the others.
STRANGER_ADDRESSES = [f"127.0.1.{i}" for i in range(1, 33)]
PRUNE_EVERY = 40  # batches between clean-ups of the rows the fuzzer created
SAVED_PER_KIND = 3  # findings saved per (problem, label)


# ---------------------------------------------------------------------------------------------
# HTTP


@dataclasses.dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    seconds: float


class TransportError(Exception):
    """No HTTP answer: the connection failed, was dropped, or nothing came within the timeout."""


class Transport:
    """One keep-alive connection to the server, from `source` (a local address) when given; sends
    any verb, headers and body (or chunks)."""

    def __init__(self, host: str, port: int, source: str | None = None, timeout: float = REQUEST_TIMEOUT):
        self.host, self.port, self.source, self.timeout = host, port, source, timeout
        self._conn: http.client.HTTPConnection | None = None
        self._used = False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def send(self, sent: Sent) -> Answer:
        # A connection the server closed while idle fails on its next use: retry once on a new one.
        for attempt in (0, 1):
            if self._conn is None:
                source = (self.source, 0) if self.source else None
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout, source_address=source)
                self._used = False
            reused = self._used
            started = time.monotonic()
            try:
                answer = self._exchange(sent)
            except TransportError:
                self.close()
                raise
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as err:
                self.close()
                if reused and attempt == 0:
                    continue
                raise TransportError(f"connection dropped: {err!r}") from err
            except (socket.timeout, TimeoutError) as err:
                self.close()
                raise TransportError(f"no answer within {self.timeout:.0f} s") from err
            except (OSError, http.client.HTTPException) as err:
                self.close()
                raise TransportError(f"{type(err).__name__}: {err}") from err
            answer.seconds = time.monotonic() - started
            if self._conn is not None and self._conn.sock is not None:
                self._conn.sock.settimeout(self.timeout)
            return answer
        raise AssertionError("unreachable")

    def _exchange(self, sent: Sent) -> Answer:
        conn = self._conn
        self._used = True
        if sent.chunked:
            chunks = [sent.body[i:i + 4096] for i in range(0, len(sent.body), 4096)]
            conn.request(sent.verb, sent.path, body=iter(chunks), headers=sent.headers, encode_chunked=True)
        else:
            conn.request(sent.verb, sent.path, body=sent.body, headers={**sent.headers, "Content-Length": str(len(sent.body))})
        sock = conn.sock  # getresponse() lets go of it when the server closes the connection
        response = conn.getresponse()
        sock.settimeout(BODY_STALL)
        try:
            body = response.read()
        except (socket.timeout, TimeoutError) as err:
            raise TransportError(
                f"HTTP {response.status} head came, but its body did not end within {BODY_STALL:.0f} s "
                f"(Content-Length {response.getheader('Content-Length')}, Transfer-Encoding {response.getheader('Transfer-Encoding')})"
            ) from err
        if response.will_close:
            self.close()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body, 0.0)


# ---------------------------------------------------------------------------------------------
# What an answer must look like


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate member in {keys}")
    return dict(pairs)


def parse_strict(body: bytes):
    """JSON as RFC 8259 has it: UTF-8, no NaN/Infinity, no duplicate members."""
    return json.loads(body.decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)


def response_problems(item) -> list[str]:
    """What is wrong with one JSON-RPC response object."""
    if not isinstance(item, dict):
        return [f"response is {type(item).__name__}, not an object"]
    problems = []
    if item.get("jsonrpc") != "2.0":
        problems.append(f'"jsonrpc" is {item.get("jsonrpc")!r}')
    if ("result" in item) == ("error" in item):
        problems.append('not exactly one of "result" and "error"')
    if "id" not in item:
        problems.append('no "id" member')
    extra = set(item) - {"jsonrpc", "result", "error", "id"}
    if extra:
        problems.append(f"unexpected members {sorted(extra)}")
    error = item.get("error")
    if "error" in item:
        if not isinstance(error, dict):
            problems.append(f"error is {type(error).__name__}")
        else:
            if not isinstance(error.get("code"), int) or isinstance(error.get("code"), bool):
                problems.append(f"error code {error.get('code')!r} is not an integer")
            if not isinstance(error.get("message"), str):
                problems.append("error message is not a string")
            if not isinstance(error.get("data"), str):
                problems.append("error data is not a string")
            extra = set(error) - {"code", "message", "data", "debug"}
            if extra:
                problems.append(f"unexpected error members {sorted(extra)}")
    return problems


def is_parse_error(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("error"), dict) and value["error"].get("code") == -32700


def media_type(sent: Sent) -> str:
    """The request's media type as the server reads it (before `;`, trimmed, lowercased)."""
    value = next((v for k, v in sent.headers.items() if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip(" \t").lower()


def check_answer(sent: Sent, answer: Answer) -> list[str]:
    """Every way the answer breaks the contract (empty list when it is fine)."""
    if answer.status >= 500:
        return [f"HTTP {answer.status}"]
    if sent.path.split("?", 1)[0] != API_PATH or sent.verb not in CALL_VERBS + ("OPTIONS",):
        return []  # other paths and verbs: anything but a 5xx or a dropped connection
    if sent.verb == "OPTIONS":
        return [] if answer.status == 200 and answer.body == b"" else [f"OPTIONS answered HTTP {answer.status} with {len(answer.body)} bytes"]
    if media_type(sent) not in JSON_CONTENT_TYPES:
        if answer.status == 412 and answer.body == b"":
            return []
        return [f"content type {media_type(sent)!r} answered HTTP {answer.status} (expected 412, empty body)"]
    if len(sent.body) > MAX_BODY:
        return [] if answer.status == 413 else [f"body over 16 MB answered HTTP {answer.status} (expected 413)"]
    if answer.status != 200:
        return [f"HTTP {answer.status} for a JSON-RPC request"]
    if answer.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return [f"Content-Type {answer.headers.get('content-type')!r}"]
    return body_problems(sent, answer.body)


def body_problems(sent: Sent, body: bytes) -> list[str]:
    if body == b"":
        if sent.ids:
            return [f"empty body, expected answers with ids {sent.ids}"]
        return []
    try:
        value = parse_strict(body)
    except (ValueError, UnicodeDecodeError) as err:
        return [f"malformed JSON: {err}"]
    if not sent.valid_json and is_parse_error(value):
        return response_problems(value)
    if isinstance(value, list):
        if not value:
            return ["empty list answered"]
        problems = [f"[{i}] {p}" for i, item in enumerate(value) for p in response_problems(item)]
    else:
        problems = response_problems(value)
    if problems:
        return problems
    return shape_problems(sent, value)


def shape_problems(sent: Sent, value) -> list[str]:
    """Checks an answer against what the request's shape lets us know in advance."""
    if sent.shape == "single":
        if not sent.ids:
            return [f"a notification was answered: {json.dumps(value)[:200]}"]
        if not isinstance(value, dict):
            return ["a single call was answered with a list"]
        problems = []
        if value["id"] != sent.ids[0]:
            problems.append(f"id {value['id']!r} answered for id {sent.ids[0]!r}")
        if "error" in value and value["error"]["code"] in (-32700, -32600):
            problems.append(f"a valid envelope was refused: {value['error']}")
        return problems
    if sent.shape in ("batch", "list"):
        if not isinstance(value, list):
            return [f"a batch was answered with {type(value).__name__}"]
        if sent.shape == "batch":
            got = [item["id"] for item in value]
            if got != sent.ids:
                return [f"batch answered ids {got}, expected {sent.ids}"]
            refused = [item["error"] for item in value if "error" in item and item["error"]["code"] in (-32700, -32600)]
            if refused:
                return [f"a valid envelope in a batch was refused: {refused[0]}"]
    return []


class LogWatcher:
    """Reads what the server appended to its log since the last look and picks out the lines at
    level error or critical: an unexpected failure inside a request is a finding even when the
    client got a well-formed answer."""

    LEVEL = re.compile(r'^\S+ (?:error|critical) |"level" *: *"(?:error|critical)"')

    def __init__(self, path: Path | None):
        self.path = path
        self.offset = path.stat().st_size if path is not None and path.exists() else 0
        self.partial = b""

    def errors(self) -> list[str]:
        if self.path is None:
            return []
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        if size <= self.offset:
            return []
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            text = self.partial + log.read(size - self.offset)
        self.offset = size
        *lines, self.partial = text.split(b"\n")  # keep an unfinished last line for the next look
        decoded = (line.decode("utf-8", "replace") for line in lines)
        return [line for line in decoded if self.LEVEL.search(line)]


# ---------------------------------------------------------------------------------------------
# The fuzzer's own credentials


class LostAccess(Exception):
    """Neither Admin nor the keeper can authenticate any more."""


class Keeper:
    """Keeps the fuzzer's credentials usable: Admin's session and API token (what the fuzzed calls
    authenticate with) and a spare super admin, `fuzz-keeper`, alone in a group of its own, whose
    token repairs Admin when fuzzed calls took Admin away (logins blocked, a group disabled,
    password changed). The fuzzed calls never name these rows (`fuzz_inputs.protect`)."""

    def __init__(self, rpc: Callable[..., dict], admin_password: str, creds: Credentials, pools: Pools):
        self.rpc = rpc
        self.password = admin_password
        self.creds = creds
        self.pools = pools
        self.keeper_token = ""
        self.keeper_group = ""
        self.admin_tokenid = ""
        self.counter = 0
        self.repairs: collections.Counter = collections.Counter()

    def result(self, method: str, params, auth: str | None = None):
        """The result of a call, or None when it failed."""
        answer = self.rpc(method, params, auth)
        return answer.get("result") if isinstance(answer, dict) else None

    def must(self, method: str, params, auth: str | None = None):
        answer = self.rpc(method, params, auth)
        if not isinstance(answer, dict) or "result" not in answer:
            raise LostAccess(f"{method} failed: {answer}")
        return answer["result"]

    def setup(self) -> None:
        self.creds.admin_session = self.must("user.login", {"username": "Admin", "password": self.password})
        session = self.creds.admin_session
        self.keeper_group = self.must("usergroup.create", {"name": "fuzz-keepers"}, session)["usrgrpids"][0]
        keeper = self.must(
            "user.create",
            {"username": "fuzz-keeper", "passwd": "Keeper-Passw0rd!", "roleid": "3", "usrgrps": [{"usrgrpid": self.keeper_group}]},
            session,
        )["userids"][0]
        keeper_tokenid, self.keeper_token = self.new_token(session, keeper)
        self.creds.protected["user"] |= {1, int(keeper)}
        self.creds.protected["usrgrp"] |= {int(self.keeper_group)}
        self.creds.protected["token"] |= {int(keeper_tokenid)}
        self.creds.protected["role"] |= {3}
        self.renew_admin_token(session)

    def new_token(self, auth: str, userid: str) -> tuple[str, str]:
        self.counter += 1
        tokenid = self.must("token.create", {"name": f"fuzz-own-{self.counter}", "userid": userid}, auth)["tokenids"][0]
        value = self.must("token.generate", [tokenid], auth)[0]["token"]
        return tokenid, value

    def renew_admin_token(self, auth: str) -> None:
        self.admin_tokenid, self.creds.admin_token = self.new_token(auth, "1")
        self.creds.protected["token"].add(int(self.admin_tokenid))

    def token_works(self, token: str, tokenid: str) -> bool:
        found = self.result("token.get", {"output": ["tokenid"], "tokenids": [tokenid]}, token)
        return isinstance(found, list) and len(found) == 1

    def session_works(self) -> bool:
        found = self.result("user.checkAuthentication", {"sessionid": self.creds.admin_session})
        return isinstance(found, dict) and found.get("userid") == "1"

    def ensure(self, check_session: bool) -> None:
        """Checks Admin's token (and session when asked) and repairs what no longer works."""
        token_ok = self.token_works(self.creds.admin_token, self.admin_tokenid)
        if token_ok and not check_session:
            return
        if not self.session_works():
            self.login_admin()
        if not token_ok:
            self.renew_admin_token(self.creds.admin_session)
            self.repairs["new Admin token"] += 1

    def login_admin(self) -> None:
        session = self.result("user.login", {"username": "Admin", "password": self.password})
        if not isinstance(session, str):
            self.rescue_admin()
            session = self.must("user.login", {"username": "Admin", "password": self.password})
        self.creds.admin_session = session
        self.repairs["Admin login"] += 1

    def rescue_admin(self) -> None:
        """With the keeper's token: unblock Admin, set a new password (the policy refuses the first
        one, which contains "Admin"), put Admin in the keepers' group only."""
        self.repairs["Admin rescued by the keeper"] += 1
        self.counter += 1
        password = f"Rescue-Passw0rd-{self.counter}"
        self.must("user.unblock", ["1"], self.keeper_token)
        self.must("user.update", {"userid": "1", "passwd": password, "usrgrps": [{"usrgrpid": self.keeper_group}]}, self.keeper_token)
        self.pools.admin_login = ("Admin", password)
        self.password = password

    def prune(self) -> None:
        """Deletes most rows the fuzzer created (they slow every unlimited get down); failures are fine."""
        auth = self.keeper_token
        keep = self.creds.protected
        tokens = self.result("token.get", {"output": ["tokenid"], "sortfield": "tokenid"}, auth) or []
        old = [t["tokenid"] for t in tokens if int(t["tokenid"]) not in keep["token"]][:-100]
        for start in range(0, len(old), 500):
            self.result("token.delete", old[start:start + 500], auth)
        users = self.result("user.get", {"output": ["userid"], "sortfield": "userid"}, auth) or []
        old = [u["userid"] for u in users if int(u["userid"]) > 2 and int(u["userid"]) not in keep["user"]][:-50]
        for userid in old:
            self.result("user.delete", [userid], auth)
        groups = self.result("usergroup.get", {"output": ["usrgrpid"], "sortfield": "usrgrpid"}, auth) or []
        for group in [g["usrgrpid"] for g in groups if int(g["usrgrpid"]) > 13 and int(g["usrgrpid"]) not in keep["usrgrp"]][:-30]:
            self.result("usergroup.delete", [group], auth)
        roles = self.result("role.get", {"output": ["roleid"], "sortfield": "roleid"}, auth) or []
        for role in [r["roleid"] for r in roles if int(r["roleid"]) > 4][:-30]:
            self.result("role.delete", [role], auth)
        self.repairs["clean-ups"] += 1


# ---------------------------------------------------------------------------------------------
# Counting and reporting


@dataclasses.dataclass
class Finding:
    index: int
    label: str
    problem: str
    sent: Sent
    status: int | None
    body: bytes
    file: Path | None = None


def outcome(answer: Answer | None) -> str:
    """A short name for an answer: `result`, `error -32602`, `empty`, `batch`, `HTTP 412`, `no answer`."""
    if answer is None:
        return "no answer"
    if answer.status != 200:
        return f"HTTP {answer.status}"
    if not answer.body:
        return "empty"
    try:
        value = json.loads(answer.body)
    except ValueError:
        return "malformed"
    if isinstance(value, list):
        return "batch"
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        return f"error {value['error'].get('code')}"
    return "result"


def error_objects(body: bytes) -> list[dict]:
    try:
        value = json.loads(body)
    except ValueError:
        return []
    items = value if isinstance(value, list) else [value]
    return [i["error"] for i in items if isinstance(i, dict) and isinstance(i.get("error"), dict)]


def template(message: str) -> str:
    """An error message with its quoted values and numbers blanked, to count kinds of messages."""
    message = re.sub(r'"[^"]*"', '"…"', message)
    return re.sub(r"\d+", "N", message)


class Stats:
    """Requests by label and outcome, distinct error messages, and the slowest requests."""

    def __init__(self):
        self.requests = 0
        self.outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.messages: collections.Counter = collections.Counter()
        self.slowest: list[tuple[float, str, int]] = []
        self.bytes_sent = 0

    def count(self, index: int, sent: Sent, answer: Answer | None) -> None:
        self.requests += 1
        self.bytes_sent += len(sent.body)
        self.outcomes[sent.label][outcome(answer)] += 1
        if answer is None:
            return
        for error in error_objects(answer.body):
            self.messages[(error.get("code"), str(error.get("data")))] += 1
        self.slowest.append((answer.seconds, sent.label, index))
        self.slowest = sorted(self.slowest, reverse=True)[:5]

    def reached(self) -> list[str]:
        """Methods that answered at least one call with a result."""
        return [m for m in METHODS if self.outcomes[m]["result"]]


# ---------------------------------------------------------------------------------------------
# The driver


class Fuzzer:
    """Runs the fuzzing loop against one server (see the module docstring)."""

    def __init__(self, host: str, port: int, admin_password: str, seed: int, alive: Callable[[], bool], findings_dir: Path,
                 log: Callable[[str], None] = print, server_log: Path | None = None):
        """`server_log`: the server's log file, watched for error lines after every request."""
        self.seed = seed
        self.server_log = LogWatcher(server_log)
        self.alive = alive
        self.findings_dir = findings_dir
        self.log = log
        self.own_transport = Transport(host, port)
        self.strangers = [Transport(host, port, source=address) for address in STRANGER_ADDRESSES]
        self.sent_as_stranger = 0
        self.base = f"http://{host}:{port}"
        self.rng = random.Random(seed)
        self.creds = Credentials()
        self.pools = Pools(self.rng, admin_password)
        self.factory = RequestFactory(self.rng, self.pools, self.creds)
        self.keeper = Keeper(self.rpc, admin_password, self.creds, self.pools)
        self.stats = Stats()
        self.findings: list[Finding] = []
        self.saved: collections.Counter = collections.Counter()
        self.index = 0
        self.lost: str | None = None
        self.dead = False
        self.elapsed = 0.0

    # -- requests of its own (checked like the fuzzed ones)

    def rpc(self, method: str, params, auth: str | None = None) -> dict | None:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if auth:
            body["auth"] = auth
        sent = Sent("own", "POST", API_PATH, {"Content-Type": "application/json-rpc"}, json.dumps(body).encode(), shape="single", ids=[1])
        answer = self.exchange(sent)
        return json.loads(answer.body) if answer is not None and answer.status == 200 and answer.body else None

    def exchange(self, sent: Sent) -> Answer | None:
        """Sends one request, checks and counts its answer, records findings."""
        self.index += 1
        try:
            answer = self.transport_for(sent).send(sent)
        except TransportError as err:
            self.stats.count(self.index, sent, None)
            self.record(sent, None, f"no answer ({err})")
            if not self.alive():
                self.dead = True
            return None
        self.stats.count(self.index, sent, answer)
        for problem in check_answer(sent, answer):
            self.record(sent, answer, problem)
        for line in self.server_log.errors():
            self.record(sent, answer, f"the server logged an error: {line[:300]}")
        return answer

    def transport_for(self, sent: Sent) -> Transport:
        """127.0.0.1 for requests that authenticate with nothing but the fuzzer's own credentials,
        else the next of the stranger addresses."""
        if only_own_credentials(sent, {self.creds.admin_token, self.creds.admin_session}):
            return self.own_transport
        self.sent_as_stranger += 1
        return self.strangers[self.sent_as_stranger % len(self.strangers)]

    def learn(self, sent: Sent, answer: Answer | None) -> None:
        if answer is None or answer.status != 200 or not answer.body or not sent.calls:
            return
        try:
            value = json.loads(answer.body)
        except ValueError:
            return
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and "result" in item:
                call = sent.calls.get(id_key(item.get("id")))
                if call is not None:
                    self.pools.learn(call.method, call.params, item["result"])

    # -- findings

    def record(self, sent: Sent, answer: Answer | None, problem: str) -> None:
        finding = Finding(self.index, sent.label, problem, sent, answer.status if answer else None, answer.body[:2000] if answer else b"")
        self.findings.append(finding)
        kind = (re.sub(r"\d+", "N", problem)[:60], sent.label)
        self.saved[kind] += 1
        if self.saved[kind] <= SAVED_PER_KIND:
            finding.file = self.save(finding)
            self.log(f"FINDING #{len(self.findings)} at request {self.index} ({sent.label}): {problem}\n  replay: {self.curl(finding)}")

    def save(self, finding: Finding) -> Path:
        self.findings_dir.mkdir(parents=True, exist_ok=True)
        stem = self.findings_dir / f"finding-{len(self.findings):04d}"
        stem.with_suffix(".body").write_bytes(finding.sent.body)
        stem.with_suffix(".json").write_text(json.dumps({
            "seed": self.seed, "request": finding.index, "label": finding.label, "problem": finding.problem,
            "verb": finding.sent.verb, "path": finding.sent.path, "headers": finding.sent.headers, "chunked": finding.sent.chunked,
            "body_base64": base64.b64encode(finding.sent.body).decode(), "status": finding.status,
            "answer": finding.body.decode("utf-8", "replace"),
        }, indent=1))
        return stem.with_suffix(".body")

    def curl(self, finding: Finding) -> str:
        sent = finding.sent
        parts = ["curl", "-s", "-i", "-X", sent.verb]
        for key, value in sent.headers.items():
            parts += ["-H", f"{key}: {value}"]
        if sent.chunked:
            parts += ["-H", "Transfer-Encoding: chunked"]
        parts += ["--data-binary", f"@{finding.file}", self.base + sent.path]
        return " ".join(shlex.quote(p) for p in parts)

    # -- the loop

    def run(self, seconds: float) -> "Fuzzer":
        self.log(f"fuzzing {self.base} for {seconds:.0f} s with seed {self.seed} (replay: FUZZ_SEED={self.seed} or --seed {self.seed})")
        started = time.monotonic()
        self.keeper.setup()
        deadline = started + seconds
        batches = 0
        while time.monotonic() < deadline and not self.dead:
            for _ in range(BATCH):
                sent = self.factory.make()
                self.learn(sent, self.exchange(sent))
                if self.dead:
                    break
            batches += 1
            if not self.alive():
                self.dead = True
                break
            self.maintain(batches)
        if not self.dead and not self.alive():
            self.dead = True
        self.elapsed = time.monotonic() - started
        for transport in [self.own_transport, *self.strangers]:
            transport.close()
        return self

    def maintain(self, batches: int) -> None:
        """Repairs the fuzzer's own credentials and now and then deletes what it created."""
        if self.lost:
            return
        try:
            self.keeper.ensure(check_session=batches % 10 == 0)
            if batches % PRUNE_EVERY == 0:
                self.keeper.prune()
        except LostAccess as err:
            self.lost = f"at request {self.index}: {err}"
            self.log(f"lost authenticated access {self.lost}")

    # -- the summary

    def summary(self) -> str:
        s = self.stats
        rate = s.requests / self.elapsed if self.elapsed else 0
        templates = {template(data) for _, data in s.messages}
        lines = [
            f"fuzz summary: seed {self.seed}, {s.requests} requests in {self.elapsed:.0f} s ({rate:.0f} req/s), "
            f"{s.bytes_sent / 1e6:.0f} MB sent ({self.sent_as_stranger} from other loopback addresses), findings: {len(self.findings)}"
            + (", SERVER DIED" if self.dead else "") + (f", lost access {self.lost}" if self.lost else ""),
            f"  distinct error answers: {len(s.messages)} (code, data) pairs, {len(templates)} message templates",
            f"  methods answered with a result: {len(s.reached())}/{len(METHODS)}"
            + (f" (never: {', '.join(sorted(set(METHODS) - set(s.reached())))})" if len(s.reached()) < len(METHODS) else ""),
            "  own credentials: " + (", ".join(f"{k} {v}" for k, v in sorted(self.keeper.repairs.items())) or "never repaired"),
            "  outcomes by label:",
        ]
        for label in sorted(s.outcomes):
            counts = s.outcomes[label]
            lines.append(f"    {label:26} {sum(counts.values()):7}  " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
        lines.append("  most frequent error answers:")
        for (code, data), n in s.messages.most_common(12):
            lines.append(f"    {n:7}  {code} {data[:110]}")
        lines.append("  slowest: " + ", ".join(f"{sec * 1000:.0f} ms ({label} #{i})" for sec, label, i in s.slowest))
        if self.findings:
            lines.append(f"  findings by kind (saved in {self.findings_dir}):")
            kinds = collections.Counter((f.label, re.sub(r"\d+", "N", f.problem)[:100]) for f in self.findings)
            for (label, problem), n in kinds.most_common(20):
                lines.append(f"    {n:5}  {label}: {problem}")
        return "\n".join(lines)


def bearer_of(sent: Sent) -> str | None:
    """The credential of an `Authorization: Bearer …` header, read as the server reads it."""
    value = next((v for k, v in sent.headers.items() if k.lower() == "authorization"), "")
    scheme, _, credential = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credential.strip() or None


def only_own_credentials(sent: Sent, own: set[str]) -> bool:
    """True when no call in the request can fail to authenticate: each one uses one of `own` (the
    `auth` member wins over the Bearer header) or nothing, and none is a login or a check of a
    credential. A body that does not parse authenticates nothing."""
    try:
        value = json.loads(sent.body)
    except (ValueError, RecursionError):
        return True
    if isinstance(value, dict) and list(value) == [str(i) for i in range(len(value))]:
        value = list(value.values())  # an object keyed "0", "1", … is a batch
    for call in value if isinstance(value, list) else [value]:
        if not isinstance(call, dict):
            continue
        method = call.get("method")
        if isinstance(method, str) and method_key(method) in ("user.login", "user.checkauthentication"):
            return False
        auth = call.get("auth")
        credential = auth if isinstance(auth, str) and auth else bearer_of(sent)
        if credential is not None and credential not in own:
            return False
    return True


def server_alive(process, base_url: str) -> bool:
    """The process runs and GET /healthz answers 200."""
    if process is not None and process.poll() is not None:
        return False
    try:
        host, port = base_url.split("//", 1)[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def choose_seed(value: str | None) -> int:
    return int(value) if value else random.SystemRandom().randrange(1 << 32)


# ---------------------------------------------------------------------------------------------
# Standalone


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", "120")))
    parser.add_argument("--bin", help="tessera binary (default: $TESSERA_BIN or .build/debug/tessera)")
    parser.add_argument("--seed", default=os.environ.get("FUZZ_SEED"), help="replay a run (default: random, printed)")
    parser.add_argument("--postgres", metavar="URL", help="run on a fresh database on this PostgreSQL cluster instead of SQLite")
    parser.add_argument("--workdir", help="where the server's data, log and the findings go (default: a new temp folder)")
    parser.add_argument("--log-level", default="info", help="the server's log level (default info)")
    args = parser.parse_args(argv)

    if args.bin:
        os.environ["TESSERA_BIN"] = str(Path(args.bin).resolve())
    os.environ["TESSERA_E2E_LOG_LEVEL"] = args.log_level
    if args.postgres:
        os.environ["TESSERA_TEST_POSTGRES_URL"] = args.postgres
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import ServerSpec, TesseraServer  # the e2e suite's way of starting a server

    # SIGTERM ends the run like Ctrl-C: the server is stopped on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="tessera-fuzz-"))
    server = TesseraServer(ServerSpec(backend="postgres" if args.postgres else "sqlite"), workdir)
    seed = choose_seed(args.seed)
    server.start()
    try:
        fuzzer = Fuzzer(
            "127.0.0.1", server.port, server.password, seed, lambda: server_alive(server.process, server.base_url),
            workdir / "findings", server_log=server.log_path,
        )
        fuzzer.run(args.seconds)
    finally:
        server.stop()
    print(fuzzer.summary())
    print(f"server log: {server.log_path}; exit code {server.process.returncode}")
    failed = fuzzer.findings or fuzzer.dead or fuzzer.lost
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
