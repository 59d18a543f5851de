"""Crash safety of the embedded SQLite store: SIGKILL in the middle of concurrent writes, a full
disk, and a database that becomes read-only.

`test_kill_and_restart_cycles` runs `tessera serve` on a data folder, lets several threads write at
once (token.create/update/generate/delete, user.create/update, usergroup.create/update), each
remembering what the server acknowledged, kills the process with SIGKILL after a number of
acknowledgements that differs per cycle, starts it again on the same folder and checks:

- every acknowledged write is there with its values (tokens, users with their groups, groups with
  their members), including the writes of earlier cycles;
- a call that was in flight when the process died (no answer) is either wholly applied or not at
  all: a batch token.create made all its tokens or none, a user.create made the user with every
  group or no user, an update changed every field or none, a multi-id generate/delete touched
  every token or none;
- `PRAGMA integrity_check` says ok and `PRAGMA foreign_key_check` finds nothing (read-only URI);
- generated (and acknowledged) token values authenticate, as long as the token is enabled and not
  expired; a regenerated token accepts only its newest value; the stored hash is the SHA-512 of the
  value the server handed out.

Each thread works on its own objects, so the order of its calls is the order they were applied and
at most one of its calls (the one in flight) is uncertain after a crash. The kill point varies, so
the interleaving varies from run to run, but what is asserted holds for every interleaving.

The disk-full and read-only cases run a server on a 4 MiB tmpfs that is then filled, and on a
database whose main file, WAL and folder are made immutable (`chattr +i`) while the server runs.
Writes must then get a clean JSON-RPC error (HTTP 200, an `error` object; the process stays up),
web forms must not answer 500, reads (API with a token or a session, the web UI) must keep
working, and once space or permissions are back the server must work again with nothing lost or
half-written, also after a restart. They need root and the `mount`/`umount` (util-linux) and
`chattr` (e2fsprogs) commands, and are skipped with the reason when any of that is missing.

The shared-memory index (`tessera.sqlite-shm`) is left writable in the read-only case: SQLite maps
it into memory, and making a mapped file immutable kills any SQLite process with SIGBUS at its next
write to the map (what a WAL reader does to register itself); that is the kernel's doing, not a
read-only database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import ServerSpec, TesseraServer
from webclient import WebClient

CYCLES = 15
DB_FILE = "tessera.sqlite"
USER_PASSWORD = "Crash-safe-pw-81x"
TOKEN_WORKERS = 3
ACKS_BEFORE_KILL = (12, 70)  # the kill comes after this many acknowledgements (per cycle, seeded)
WORKLOAD_TIMEOUT = 60.0  # a cycle that cannot reach its acknowledgements in this time has a hung server
FUTURE = int(time.time()) + 400 * 86400  # an expiry date that no run of this suite reaches


# ---------------------------------------------------------------------------------------------
# Calls


@dataclasses.dataclass
class Outcome:
    """What became of one JSON-RPC call: "ack" (a result), "error" (an error object) or "lost" (no
    answer: the process died under it)."""

    kind: str
    result: object = None
    error: dict | None = None
    detail: str = ""

    def __str__(self) -> str:
        if self.kind == "ack":
            return f"ack {str(self.result)[:120]}"
        if self.kind == "error":
            return f"error {self.error}"
        return f"lost ({self.detail})"


class Caller:
    """JSON-RPC calls over one keep-alive connection; never raises for what the server does."""

    def __init__(self, server: TesseraServer, auth: str | None):
        self.server = server
        self.auth = auth
        self.http = requests.Session()
        self.problems: list[str] = []  # answers that are neither a result nor a JSON-RPC error

    def call(self, method: str, params) -> Outcome:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if self.auth is not None and method not in ("user.login", "user.checkAuthentication", "apiinfo.version"):
            body["auth"] = self.auth
        try:
            r = self.http.post(self.server.api_url, json=body, headers={"Content-Type": "application/json-rpc"}, timeout=15)
        except requests.RequestException as err:
            return Outcome("lost", detail=type(err).__name__)
        try:
            answer = r.json()
        except ValueError:
            answer = None
        if r.status_code != 200 or not isinstance(answer, dict) or ("result" in answer) == ("error" in answer):
            self.problems.append(f"{method}: HTTP {r.status_code} {r.text[:300]!r}")
            return Outcome("error", error={"http": r.status_code, "body": r.text[:300]})
        if "error" in answer:
            return Outcome("error", error=answer["error"])
        return Outcome("ack", result=answer["result"])

    def ok(self, method: str, params):
        """A call that must succeed; returns its result."""
        outcome = self.call(method, params)
        assert outcome.kind == "ack", f"{method} {str(params)[:200]}: {outcome}"
        return outcome.result

    def close(self) -> None:
        self.http.close()


def sha512(value: str) -> str:
    return hashlib.sha512(value.encode()).hexdigest()


def login(server: TesseraServer) -> Caller:
    caller = Caller(server, None)
    caller.auth = caller.ok("user.login", {"username": "Admin", "password": server.password})
    return caller


def start_server(workdir: Path, label: str) -> TesseraServer:
    """`tessera serve` on workdir/data (created on the first start), its log in workdir/server-<label>.log."""
    server = TesseraServer(ServerSpec(), workdir)
    server.log_path = workdir / f"server-{label}.log"
    server.start()
    return server


def kill_hard(server: TesseraServer) -> None:
    """SIGKILL: no shutdown hooks, no checkpoint, no flush of anything buffered in the process."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=15)
    server.stop()  # closes the log file; the process is gone already


def database_checks(data_dir: Path) -> list[str]:
    """integrity_check and foreign_key_check through a read-only connection; the problems found."""
    uri = f"file:{data_dir / DB_FILE}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
        foreign = db.execute("PRAGMA foreign_key_check").fetchall()
    problems = []
    if integrity != ["ok"]:
        problems.append(f"PRAGMA integrity_check: {integrity[:10]}")
    if foreign:
        problems.append(f"PRAGMA foreign_key_check: {foreign[:10]}")
    return problems


def stored_token_hashes(data_dir: Path) -> dict[str, str | None]:
    """tokenid → the `token` column (the SHA-512 hex of the value, or None before the first generate)."""
    uri = f"file:{data_dir / DB_FILE}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        return {str(tokenid): value for tokenid, value in db.execute("SELECT tokenid, token FROM token")}


# ---------------------------------------------------------------------------------------------
# What each thread believes the database holds


@dataclasses.dataclass(frozen=True)
class TokenFields:
    name: str
    description: str
    status: int
    expires_at: int

    @property
    def usable(self) -> bool:
        """Enabled and not expired: a current value of such a token authenticates."""
        return self.status == 0 and (self.expires_at == 0 or self.expires_at > time.time())


@dataclasses.dataclass
class Pending:
    """The one call of a thread that got no answer: it is either wholly applied or not at all.
    `after` maps each object touched to its state had the call been applied."""

    kind: str  # "create", "update", "generate", "delete"
    method: str
    after: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class TokenModel:
    key: str
    tokenid: str | None = None
    fields: TokenFields | None = None  # None: deleted (or never made)
    value: str | None = None  # the newest value the server handed out, if known
    hash: str | None = None  # what the token column must hold (None: never generated)
    old_values: list[str] = dataclasses.field(default_factory=list)
    pending: Pending | None = None
    touched: int = -1  # the last cycle that wrote to it


@dataclasses.dataclass(frozen=True)
class UserFields:
    name: str
    surname: str
    groups: frozenset


@dataclasses.dataclass
class UserModel:
    username: str
    userid: str | None = None
    fields: UserFields | None = None
    pending: Pending | None = None


@dataclasses.dataclass(frozen=True)
class GroupFields:
    name: str
    users: frozenset


@dataclasses.dataclass
class GroupModel:
    key: str
    usrgrpid: str | None = None
    fields: GroupFields | None = None
    pending: Pending | None = None


class Worker(threading.Thread):
    """One thread of writes on its own objects. `step()` makes one call; acknowledged calls change the
    model at once, an unanswered one is left as `pending` and ends the thread."""

    def __init__(self, name: str, caller: Caller, rng: random.Random, run: "Run", cycle: int):
        super().__init__(name=name, daemon=True)
        self.caller = caller
        self.rng = rng
        self.run_state = run
        self.cycle = cycle
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            while not self.run_state.stop.is_set():
                if not self.step():
                    return
        except Exception as err:  # a bug in the test itself: make it visible
            self.errors.append(f"{self.name}: {type(err).__name__}: {err}")

    def send(self, method: str, params) -> Outcome:
        """Makes the call and counts an acknowledgement; an error answer is a problem (the workload is valid)."""
        outcome = self.caller.call(method, params)
        if outcome.kind == "ack":
            self.run_state.acknowledged()
        elif outcome.kind == "error":
            self.errors.append(f"{self.name}: {method} {str(params)[:200]} answered {outcome.error}")
        return outcome

    def step(self) -> bool:
        raise NotImplementedError


class TokenWorker(Worker):
    """Admin's tokens: batch creates, single and multi-id generate/update/delete."""

    def __init__(self, *args, tokens: list[TokenModel], **kwargs):
        super().__init__(*args, **kwargs)
        self.tokens = tokens
        self.counter = 0

    def fresh_name(self) -> str:
        self.counter += 1
        return f"c{self.cycle}-{self.name}-{self.counter}"

    def random_fields(self, name: str) -> TokenFields:
        description = self.rng.choice(["", "ci", "déploiement ✓", "x" * self.rng.randint(1, 300)]) + f" #{self.counter}"
        return TokenFields(name, description, self.rng.choice([0, 0, 1]), self.rng.choice([0, FUTURE, FUTURE + self.counter]))

    def step(self) -> bool:
        live = [t for t in self.tokens if t.fields is not None]
        roll = self.rng.random()
        if len(live) < 3 or roll < 0.25:
            return self.create()
        chosen = self.rng.sample(live, self.rng.choice([1, 1, 2]))
        if roll < 0.55:
            return self.generate(chosen)
        if roll < 0.85:
            return self.update(chosen)
        return self.delete(chosen)

    def create(self) -> bool:
        models = []
        for _ in range(self.rng.choice([1, 1, 2, 3])):
            name = self.fresh_name()
            models.append((TokenModel(key=name, touched=self.cycle), self.random_fields(name)))
        params = [{"name": f.name, "description": f.description, "status": f.status, "expires_at": f.expires_at} for _, f in models]
        pending = Pending("create", "token.create", {m.key: f for m, f in models})
        self.tokens.extend(m for m, _ in models)
        outcome = self.send("token.create", params)
        if outcome.kind == "ack":
            for (model, fields), tokenid in zip(models, outcome.result["tokenids"]):
                model.tokenid, model.fields = tokenid, fields
            return True
        for model, _ in models:
            model.pending = pending if outcome.kind == "lost" else None
        return outcome.kind != "lost"

    def generate(self, chosen: list[TokenModel]) -> bool:
        pending = Pending("generate", "token.generate", {m.key: None for m in chosen})
        for m in chosen:
            m.touched = self.cycle
        outcome = self.send("token.generate", [m.tokenid for m in chosen])
        if outcome.kind == "ack":
            values = {row["tokenid"]: row["token"] for row in outcome.result}
            for m in chosen:
                if m.value:
                    m.old_values.append(m.value)
                m.value = values[m.tokenid]
                m.hash = sha512(m.value)
                self.run_state.values.add(m.value)
            return True
        if outcome.kind == "lost":
            for m in chosen:
                m.pending = pending
        return outcome.kind != "lost"

    def update(self, chosen: list[TokenModel]) -> bool:
        after = {m.key: self.random_fields(self.fresh_name()) for m in chosen}
        params = [
            {"tokenid": m.tokenid, "name": f.name, "description": f.description, "status": f.status, "expires_at": f.expires_at}
            for m, f in ((m, after[m.key]) for m in chosen)
        ]
        pending = Pending("update", "token.update", after)
        for m in chosen:
            m.touched = self.cycle
        outcome = self.send("token.update", params)
        if outcome.kind == "ack":
            for m in chosen:
                m.fields = after[m.key]
            return True
        if outcome.kind == "lost":
            for m in chosen:
                m.pending = pending
        return outcome.kind != "lost"

    def delete(self, chosen: list[TokenModel]) -> bool:
        pending = Pending("delete", "token.delete", {m.key: None for m in chosen})
        for m in chosen:
            m.touched = self.cycle
        outcome = self.send("token.delete", [m.tokenid for m in chosen])
        if outcome.kind == "ack":
            for m in chosen:
                m.fields = None
                if m.value:
                    m.old_values.append(m.value)
                    m.value = None
            return True
        if outcome.kind == "lost":
            for m in chosen:
                m.pending = pending
        return outcome.kind != "lost"


class UserWorker(Worker):
    """Users in several groups at once: user.create with one to three groups, user.update of names and groups."""

    def __init__(self, *args, users: list[UserModel], pool: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.users = users
        self.pool = pool
        self.counter = 0

    def step(self) -> bool:
        self.counter += 1
        live = [u for u in self.users if u.fields is not None]
        groups = frozenset(self.rng.sample(self.pool, self.rng.choice([1, 2, 3])))
        fields = UserFields(f"Name {self.cycle}.{self.counter}", f"Surname {self.counter}", groups)
        if not live or self.rng.random() < 0.5:
            model = UserModel(username=f"c{self.cycle}-user-{self.counter}")
            self.users.append(model)
            params = {
                "username": model.username, "passwd": USER_PASSWORD, "roleid": "1", "name": fields.name,
                "surname": fields.surname, "usrgrps": [{"usrgrpid": g} for g in sorted(groups)],
            }
            outcome = self.send("user.create", params)
            if outcome.kind == "ack":
                model.userid, model.fields = outcome.result["userids"][0], fields
            elif outcome.kind == "lost":
                model.pending = Pending("create", "user.create", {model.username: fields})
            return outcome.kind != "lost"
        model = self.rng.choice(live)
        params = {
            "userid": model.userid, "name": fields.name, "surname": fields.surname,
            "usrgrps": [{"usrgrpid": g} for g in sorted(groups)],
        }
        outcome = self.send("user.update", params)
        if outcome.kind == "ack":
            model.fields = fields
        elif outcome.kind == "lost":
            model.pending = Pending("update", "user.update", {model.username: fields})
        return outcome.kind != "lost"


class GroupWorker(Worker):
    """User groups with members: usergroup.create with users, usergroup.update of name and members."""

    def __init__(self, *args, groups: list[GroupModel], members: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        self.members = members
        self.counter = 0

    def step(self) -> bool:
        self.counter += 1
        live = [g for g in self.groups if g.fields is not None]
        users = frozenset(self.rng.sample(self.members, self.rng.randint(0, len(self.members))))
        name = f"c{self.cycle}-group-{self.counter}"
        fields = GroupFields(name, users)
        if not live or self.rng.random() < 0.4:
            model = GroupModel(key=name)
            self.groups.append(model)
            params = {"name": name, "users": [{"userid": u} for u in sorted(users)]}
            outcome = self.send("usergroup.create", params)
            if outcome.kind == "ack":
                model.usrgrpid, model.fields = outcome.result["usrgrpids"][0], fields
            elif outcome.kind == "lost":
                model.pending = Pending("create", "usergroup.create", {name: fields})
            return outcome.kind != "lost"
        model = self.rng.choice(live)
        params = {"usrgrpid": model.usrgrpid, "name": name, "users": [{"userid": u} for u in sorted(users)]}
        outcome = self.send("usergroup.update", params)
        if outcome.kind == "ack":
            model.fields = fields
        elif outcome.kind == "lost":
            model.pending = Pending("update", "usergroup.update", {model.key: fields})
        return outcome.kind != "lost"


class Run:
    """Shared between the threads of one cycle: the acknowledgement counter and the stop flag."""

    def __init__(self, kill_after: int, values: set[str]):
        self.kill_after = kill_after
        self.count = 0
        self.lock = threading.Lock()
        self.enough = threading.Event()
        self.stop = threading.Event()
        self.values = values  # every token value handed out (must not reach the log)

    def acknowledged(self) -> None:
        with self.lock:
            self.count += 1
            if self.count >= self.kill_after:
                self.enough.set()


# ---------------------------------------------------------------------------------------------
# Comparing the models with what the restarted server holds


class World:
    """Every object the threads made, across cycles, and the checks after each restart."""

    def __init__(self):
        self.tokens: list[list[TokenModel]] = [[] for _ in range(TOKEN_WORKERS)]
        self.users: list[UserModel] = []
        self.groups: list[GroupModel] = []
        self.pool: list[str] = []  # groups that users of the user thread are put in
        self.members: list[str] = []  # users that the group thread puts in its groups
        self.values: set[str] = set()
        self.unanswered = {"applied": 0, "not applied": 0}  # how the calls cut off by a kill turned out

    def note(self, verdict: str) -> None:
        if verdict in self.unanswered:
            self.unanswered[verdict] += 1

    def all_tokens(self) -> list[TokenModel]:
        return [t for tokens in self.tokens for t in tokens]

    def verify(self, server: TesseraServer, api: Caller, cycle: int, full_auth: bool = False) -> list[str]:
        """Resolves every pending call against the server's state and checks every model; returns the
        differences (empty when all is well). Afterwards the models equal the server's state."""
        problems = database_checks(server.data_dir)
        problems += self.verify_tokens(server, api, cycle, full_auth)
        problems += self.verify_users(api)
        problems += self.verify_groups(api)
        return [f"cycle {cycle}: {p}" for p in problems]

    def verify_tokens(self, server: TesseraServer, api: Caller, cycle: int, full_auth: bool) -> list[str]:
        rows = api.ok("token.get", {"output": ["tokenid", "name", "description", "status", "expires_at", "userid"]})
        hashes = stored_token_hashes(server.data_dir)
        seen = {
            r["tokenid"]: (TokenFields(r["name"], r["description"], int(r["status"]), int(r["expires_at"])), hashes.get(r["tokenid"]))
            for r in rows
            if r["userid"] == "1"
        }
        by_name = {fields.name: tokenid for tokenid, (fields, _) in seen.items()}
        problems: list[str] = []

        groups: dict[int, list[TokenModel]] = {}
        for model in self.all_tokens():
            if model.pending is not None:
                groups.setdefault(id(model.pending), []).append(model)
            else:
                problems += self.check_token(model, seen)
        for members in groups.values():
            problems += self.resolve_tokens(members, seen, by_name, self.note)

        # Values: the newest one of a usable token authenticates, every older one never does.
        for model in self.all_tokens():
            if not full_auth and model.touched < cycle - 1:
                continue
            if model.value is not None:
                answer = api.call("user.checkAuthentication", {"token": model.value})
                works = answer.kind == "ack" and answer.result.get("userid") == "1"
                if works != (model.fields is not None and model.fields.usable):
                    problems.append(f"token {model.key} ({model.fields}): its newest value gives {answer}")
            for old in model.old_values:
                answer = api.call("user.checkAuthentication", {"token": old})
                if answer.kind == "ack":
                    problems.append(f"token {model.key}: a superseded or deleted value still authenticates")
        return problems

    @staticmethod
    def check_token(model: TokenModel, seen: dict) -> list[str]:
        if model.tokenid is None:
            return []  # its create was lost and not applied
        if model.fields is None:
            return [f"deleted token {model.key} (id {model.tokenid}) is back: {seen[model.tokenid]}"] if model.tokenid in seen else []
        if model.tokenid not in seen:
            return [f"acknowledged token {model.key} (id {model.tokenid}) is missing"]
        fields, stored = seen[model.tokenid]
        problems = []
        if fields != model.fields:
            problems.append(f"token {model.key} (id {model.tokenid}) holds {fields}, acknowledged {model.fields}")
        if stored != model.hash:
            problems.append(f"token {model.key} (id {model.tokenid}): stored hash is not that of its acknowledged value")
        return problems

    @staticmethod
    def resolve_tokens(members: list[TokenModel], seen: dict, by_name: dict, note) -> list[str]:
        """One unanswered call over `members`: every member applied, or none; then adopts the outcome."""
        pending = members[0].pending
        verdicts = []  # per member: "applied", "not applied" or a description of what is wrong
        for m in members:
            after = pending.after.get(m.key)
            if pending.kind == "create":
                tokenid = by_name.get(after.name)
                if tokenid is None:
                    verdicts.append("not applied")
                elif seen[tokenid] == (after, None):
                    verdicts.append("applied")
                else:
                    verdicts.append(f"made as {seen[tokenid]} instead of {after}")
                continue
            current = seen.get(m.tokenid)
            if pending.kind == "delete":
                verdicts.append("applied" if current is None else "not applied" if current == (m.fields, m.hash) else f"left as {current}")
            elif current is None:
                verdicts.append("deleted by a call that does not delete")
            elif pending.kind == "update":
                verdicts.append(
                    "applied" if current == (after, m.hash) else "not applied" if current == (m.fields, m.hash) else f"half-updated to {current[0]}"
                )
            else:  # generate
                if current[0] != m.fields:
                    verdicts.append(f"fields changed by generate: {current[0]}")
                elif current[1] == m.hash:
                    verdicts.append("not applied")
                elif current[1] is not None and len(current[1]) == 128:
                    verdicts.append("applied")
                else:
                    verdicts.append(f"hash became {current[1]!r}")
        names = ", ".join(m.key for m in members)
        if set(verdicts) - {"applied", "not applied"} or len(set(verdicts)) > 1:
            problems = [f"unanswered {pending.method} on [{names}] is half-applied: {verdicts}"]
        else:
            problems = []
        applied = verdicts[0] == "applied" and not problems
        note(verdicts[0])
        for m in members:
            m.pending = None
            if not applied:
                continue
            if pending.kind == "create":
                m.tokenid = by_name[pending.after[m.key].name]
                m.fields = pending.after[m.key]
            elif pending.kind == "update":
                m.fields = pending.after[m.key]
            elif pending.kind == "generate":
                if m.value:
                    m.old_values.append(m.value)
                m.value, m.hash = None, seen[m.tokenid][1]
            else:
                m.fields = None
                if m.value:
                    m.old_values.append(m.value)
                    m.value = None
        if problems:  # adopt what the server has, so that later cycles check from there
            for m in members:
                if m.tokenid is None and pending.kind == "create":
                    m.tokenid = by_name.get(pending.after[m.key].name)
                current = seen.get(m.tokenid) if m.tokenid else None
                m.fields, m.hash = (current[0], current[1]) if current else (None, None)
                if m.value and (current is None or current[1] != sha512(m.value)):
                    m.old_values.append(m.value)
                    m.value = None
        return problems

    def verify_users(self, api: Caller) -> list[str]:
        rows = api.ok("user.get", {"output": ["userid", "username", "name", "surname"], "selectUsrgrps": ["usrgrpid"]})
        seen = {
            r["username"]: (r["userid"], UserFields(r["name"], r["surname"], frozenset(g["usrgrpid"] for g in r["usrgrps"])))
            for r in rows
        }
        problems = []
        for model in self.users:
            current = seen.get(model.username)
            if model.pending is None:
                if model.fields is None:
                    continue
                if current is None:
                    problems.append(f"acknowledged user {model.username} is missing")
                elif current != (model.userid, model.fields):
                    problems.append(f"user {model.username} holds {current}, acknowledged {(model.userid, model.fields)}")
                continue
            after = model.pending.after[model.username]
            if model.pending.kind == "create":
                verdict = "not applied" if current is None else "applied" if current[1] == after else f"made as {current[1]}"
            else:
                verdict = (
                    "applied" if current and current[1] == after else "not applied" if current and current[1] == model.fields
                    else f"half-updated to {current}"
                )
            self.note(verdict)
            if verdict not in ("applied", "not applied"):
                problems.append(f"unanswered {model.pending.method} of {model.username} (to {after}) is half-applied: {verdict}")
            model.pending = None
            if current is not None:
                model.userid, model.fields = current
        return problems

    def verify_groups(self, api: Caller) -> list[str]:
        rows = api.ok("usergroup.get", {"output": ["usrgrpid", "name"], "selectUsers": ["userid"]})
        seen = {r["usrgrpid"]: GroupFields(r["name"], frozenset(u["userid"] for u in r["users"])) for r in rows}
        by_name = {fields.name: groupid for groupid, fields in seen.items()}
        problems = []
        for model in self.groups:
            if model.pending is None:
                if model.fields is None:
                    continue
                current = seen.get(model.usrgrpid)
                if current != model.fields:
                    problems.append(f"group {model.key} (id {model.usrgrpid}) holds {current}, acknowledged {model.fields}")
                continue
            after = model.pending.after[model.key]
            if model.pending.kind == "create":
                groupid = by_name.get(after.name)
                current = seen.get(groupid)
                verdict = "not applied" if current is None else "applied" if current == after else f"made as {current}"
                model.usrgrpid = groupid
            else:
                current = seen.get(model.usrgrpid)
                verdict = "applied" if current == after else "not applied" if current == model.fields else f"half-updated to {current}"
            self.note(verdict)
            if verdict not in ("applied", "not applied"):
                problems.append(f"unanswered {model.pending.method} of group {model.key} (to {after}) is half-applied: {verdict}")
            model.pending = None
            model.fields = current
        return problems


def setup_world(api: Caller) -> World:
    """The groups and users the threads build on (made before the first cycle, acknowledged)."""
    world = World()
    world.pool = [api.ok("usergroup.create", {"name": f"crash-pool-{n}"})["usrgrpids"][0] for n in range(4)]
    base = api.ok("usergroup.create", {"name": "crash-members"})["usrgrpids"][0]
    for n in range(4):
        userid = api.ok(
            "user.create",
            {"username": f"crash-member-{n}", "passwd": USER_PASSWORD, "roleid": "1", "usrgrps": [{"usrgrpid": base}]},
        )["userids"][0]
        world.members.append(userid)
    return world


def run_cycle(server: TesseraServer, world: World, cycle: int) -> list[str]:
    """Concurrent writes until a seeded number of acknowledgements, then SIGKILL; returns the
    problems the threads met (answers that were errors, test bugs)."""
    rng = random.Random(f"cycle-{cycle}")
    run = Run(rng.randint(*ACKS_BEFORE_KILL), world.values)
    session = login(server).auth
    workers: list[Worker] = [
        TokenWorker(f"tok{n}", Caller(server, session), random.Random(f"{cycle}-tok{n}"), run, cycle, tokens=world.tokens[n])
        for n in range(TOKEN_WORKERS)
    ]
    workers.append(UserWorker("users", Caller(server, session), random.Random(f"{cycle}-users"), run, cycle, users=world.users, pool=world.pool))
    workers.append(GroupWorker("groups", Caller(server, session), random.Random(f"{cycle}-groups"), run, cycle, groups=world.groups, members=world.members))
    for worker in workers:
        worker.start()
    reached = run.enough.wait(WORKLOAD_TIMEOUT)
    time.sleep(rng.uniform(0, 0.02))  # a seeded few milliseconds more: kills land inside transactions too
    kill_hard(server)
    run.stop.set()
    for worker in workers:
        worker.join(timeout=30)
    problems = [] if reached else [f"cycle {cycle}: only {run.count} of {run.kill_after} writes were acknowledged in {WORKLOAD_TIMEOUT:.0f} s"]
    for worker in workers:
        assert not worker.is_alive(), f"thread {worker.name} hangs after the kill"
        problems += worker.errors + worker.caller.problems
        worker.caller.close()
    return problems


def test_kill_and_restart_cycles(tmp_path):
    """15 × (concurrent writes → SIGKILL → restart → everything acknowledged is there, nothing half-applied)."""
    server = start_server(tmp_path, "00")
    world = setup_world(login(server))
    logs = []
    try:
        for cycle in range(1, CYCLES + 1):
            problems = run_cycle(server, world, cycle)
            logs.append(server.log_path)
            server = start_server(tmp_path, f"{cycle:02}")
            api = login(server)
            problems += world.verify(server, api, cycle, full_auth=cycle == CYCLES)
            api.close()
            assert not problems, "\n".join(problems)
    finally:
        server.stop()
    logs.append(server.log_path)
    print(f"calls cut off by the {CYCLES} kills: {world.unanswered}")
    assert sum(world.unanswered.values()) > 0, "no call was in flight at any kill: the crash window was never hit"
    # After a clean stop the file is sound on its own.
    assert not database_checks(server.data_dir)
    assert world.values, "no token value was ever generated"
    leaked = [log.name for log in logs if any(v in log.read_text(errors="replace") for v in world.values)]
    assert not leaked, f"token values appear in the server logs {leaked}"


# ---------------------------------------------------------------------------------------------
# Storage trouble while running: a full disk, a read-only database


def require_root_and(*commands: str) -> None:
    """Skips (with the reason) unless we are root and the commands exist."""
    if os.geteuid() != 0:
        pytest.skip("needs root (mounting a small filesystem, chattr)")
    missing = [c for c in commands if shutil.which(c) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: util-linux for mount/umount, e2fsprogs for chattr)")


@dataclasses.dataclass
class Attempt:
    """A write made while storage is failing, and how to tell afterwards whether it took effect."""

    label: str
    method: str
    params: object
    outcome: Outcome | None = None
    applied: object = None  # callable(Caller) -> "applied" | "not applied" | description of a half state


class Trouble:
    """A server with data made while all was well, then storage trouble, then recovery."""

    def __init__(self, workdir: Path, label: str):
        self.workdir = workdir
        self.label = label
        self.server: TesseraServer | None = None
        self.attempts: list[Attempt] = []
        self.values: dict[str, str] = {}  # tokenid → its acknowledged value

    def begin(self) -> None:
        """Starts the server and makes the baseline: three groups, a user in all of them, four tokens with values."""
        self.server = start_server(self.workdir, f"{self.label}-1")
        self.api = login(self.server)
        self.web = WebClient(self.server)
        self.web.sign_in("Admin", self.server.password)
        assert self.web.csrf  # read now: reading it later needs a working session
        api = self.api
        self.groups = [api.ok("usergroup.create", {"name": f"{self.label}-group-{n}"})["usrgrpids"][0] for n in range(3)]
        self.userid = api.ok("user.create", {
            "username": f"{self.label}-user", "passwd": USER_PASSWORD, "roleid": "1", "name": "Base", "surname": "User",
            "usrgrps": [{"usrgrpid": g} for g in self.groups],
        })["userids"][0]
        self.tokenids = api.ok("token.create", [{"name": f"{self.label}-token-{n}", "description": f"baseline {n}"} for n in range(4)])["tokenids"]
        for row in api.ok("token.generate", self.tokenids):
            self.values[row["tokenid"]] = row["token"]
        self.server.secrets.update(self.values.values())
        # Writes go in with a token: a session would first need its own write (its last access),
        # and the call would fail there instead of in its transaction.
        self.writer = Caller(self.server, self.values[self.tokenids[0]])

    # -- the checks shared by both cases

    def baseline_problems(self, api: Caller) -> list[str]:
        """The baseline is whole: tokens with their values (unless an acknowledged write changed them), the user in its groups."""
        problems = []
        tokens = {t["tokenid"]: t for t in api.ok("token.get", {"output": ["tokenid", "name", "description"]})}
        deleted = self.acked("delete token")
        regenerated = self.acked("regenerate token")
        for n, tokenid in enumerate(self.tokenids):
            if n == 3 and deleted:
                if tokenid in tokens:
                    problems.append(f"token {tokenid} is back after an acknowledged delete")
                continue
            if tokenid not in tokens:
                problems.append(f"baseline token {tokenid} is missing")
                continue
            value = self.values[tokenid]
            if n == 2 and regenerated:
                value = regenerated.result[0]["token"]
            answer = api.call("user.checkAuthentication", {"token": value})
            if answer.kind != "ack":
                problems.append(f"the value of token {tokenid} no longer authenticates: {answer}")
        user = api.ok("user.get", {"userids": [self.userid], "output": ["username"], "selectUsrgrps": ["usrgrpid"]})
        if not user:
            problems.append("the baseline user is missing")
        return problems

    def acked(self, label: str) -> Outcome | None:
        attempt = next((a for a in self.attempts if a.label == label), None)
        return attempt.outcome if attempt and attempt.outcome and attempt.outcome.kind == "ack" else None

    def write_while_failing(self) -> list[str]:
        """Every kind of write once (a big token.create until one fails); returns the answers that
        were not clean. Writes may succeed (SQLite may find room in its WAL); then they must last."""
        problems = []
        for n in range(40):
            attempt = self.attempt(
                f"big token {n}", "token.create", {"name": f"{self.label}-big-{n}", "description": "x" * 60000},
                lambda a, name=f"{self.label}-big-{n}": "applied" if a.ok("token.get", {"filter": {"name": name}, "countOutput": True}) == "1" else "not applied",
            )
            if attempt.outcome.kind != "ack":
                break
        gid = self.groups
        self.attempt("small token", "token.create", {"name": f"{self.label}-small"},
                     lambda a: "applied" if a.ok("token.get", {"filter": {"name": f"{self.label}-small"}, "countOutput": True}) == "1" else "not applied")
        self.attempt("update token", "token.update", {"tokenid": self.tokenids[1], "name": f"{self.label}-renamed", "description": "changed"},
                     lambda a: self.fields_state(a, self.tokenids[1], (f"{self.label}-token-1", "baseline 1"), (f"{self.label}-renamed", "changed")))
        self.attempt("regenerate token", "token.generate", [self.tokenids[2]], lambda a: self.regenerated_state(a))
        self.attempt("delete token", "token.delete", [self.tokenids[3]],
                     lambda a: "applied" if a.ok("token.get", {"tokenids": [self.tokenids[3]], "countOutput": True}) == "0" else "not applied")
        self.attempt("create user", "user.create", {
            "username": f"{self.label}-user-2", "passwd": USER_PASSWORD, "roleid": "1", "usrgrps": [{"usrgrpid": g} for g in gid],
        }, lambda a: self.user_state(a, f"{self.label}-user-2", set(gid)))
        self.attempt("update user", "user.update", {"userid": self.userid, "name": "Changed", "usrgrps": [{"usrgrpid": gid[0]}]},
                     lambda a: self.updated_user_state(a))
        self.attempt("create group", "usergroup.create", {"name": f"{self.label}-group-new", "users": [{"userid": self.userid}]},
                     lambda a: "applied" if a.ok("usergroup.get", {"filter": {"name": f"{self.label}-group-new"}, "countOutput": True}) == "1" else "not applied")
        self.attempt("rename group", "usergroup.update", {"usrgrpid": gid[2], "name": f"{self.label}-group-renamed"},
                     lambda a: self.group_name_state(a))
        self.attempt("login", "user.login", {"username": "Admin", "password": self.server.password}, lambda a: "not checked")

        for attempt in self.attempts:
            outcome = attempt.outcome
            if outcome.kind == "lost":
                problems.append(f"{attempt.label} ({attempt.method}): no answer, the server died? exit code {self.server.process.poll()}")
            elif outcome.kind == "error" and not isinstance(outcome.error.get("code"), int):
                problems.append(f"{attempt.label} ({attempt.method}): not a JSON-RPC answer: {outcome.error}")
        problems += [f"unclean answer: {p}" for p in self.writer.problems]
        if self.server.process.poll() is not None:
            problems.append(f"the server exited with code {self.server.process.returncode}")
        if not any(a.outcome.kind == "error" for a in self.attempts):
            problems.append("no write failed: the storage trouble was not in effect (test setup)")
        return problems

    def attempt(self, label, method, params, applied) -> Attempt:
        attempt = Attempt(label, method, params, applied=applied)
        attempt.outcome = self.writer.call(method, params)
        if method == "token.generate" and attempt.outcome.kind == "ack":
            self.server.secrets.update(row["token"] for row in attempt.outcome.result)
        self.attempts.append(attempt)
        return attempt

    # -- "was it applied?" for the attempts

    @staticmethod
    def fields_state(api: Caller, tokenid: str, before: tuple, after: tuple) -> str:
        [row] = api.ok("token.get", {"tokenids": [tokenid], "output": ["name", "description"]})
        current = (row["name"], row["description"])
        return "applied" if current == after else "not applied" if current == before else f"half-updated: {current}"

    def regenerated_state(self, api: Caller) -> str:
        old_works = api.call("user.checkAuthentication", {"token": self.values[self.tokenids[2]]}).kind == "ack"
        return "not applied" if old_works else "applied"

    @staticmethod
    def user_state(api: Caller, username: str, groups: set) -> str:
        rows = api.ok("user.get", {"filter": {"username": username}, "output": ["userid"], "selectUsrgrps": ["usrgrpid"]})
        if not rows:
            return "not applied"
        have = {g["usrgrpid"] for g in rows[0]["usrgrps"]}
        return "applied" if have == groups else f"made with groups {sorted(have)} of {sorted(groups)}"

    def updated_user_state(self, api: Caller) -> str:
        [row] = api.ok("user.get", {"userids": [self.userid], "output": ["name"], "selectUsrgrps": ["usrgrpid"]})
        current = (row["name"], {g["usrgrpid"] for g in row["usrgrps"]})
        if current == ("Changed", {self.groups[0]}):
            return "applied"
        return "not applied" if current == ("Base", set(self.groups)) else f"half-updated: {current}"

    def group_name_state(self, api: Caller) -> str:
        [row] = api.ok("usergroup.get", {"usrgrpids": [self.groups[2]], "output": ["name"]})
        return {f"{self.label}-group-renamed": "applied", f"{self.label}-group-2": "not applied"}.get(row["name"], row["name"])

    def attempt_problems(self, api: Caller) -> list[str]:
        """Acknowledged attempts are applied, refused ones are not, none is half-applied."""
        problems = []
        for attempt in self.attempts:
            state = attempt.applied(api)
            if state == "not checked":
                continue
            expected = "applied" if attempt.outcome.kind == "ack" else "not applied"
            if state != expected:
                problems.append(f"{attempt.label} ({attempt.method}) answered {attempt.outcome} but is {state}")
        return problems

    # -- reads and web forms while storage fails

    def read_problems(self) -> list[str]:
        """Reads that must keep working: API with a token and with a session (after a pause, so that
        the session's last access would be due for an update), checkAuthentication, the web UI."""
        time.sleep(1.1)  # not a timing assertion: lets a second pass so that sessions look idle
        problems = []
        token = self.values[self.tokenids[0]]
        by_token = Caller(self.server, token)
        checks = [
            ("apiinfo.version", Caller(self.server, None).call("apiinfo.version", {})),
            ("token.get with a token", by_token.call("token.get", {"output": ["tokenid"]})),
            ("token.get with a session", self.api.call("token.get", {"output": ["tokenid"]})),
            ("user.get with a session", self.api.call("user.get", {"output": ["userid"]})),
            ("usergroup.get with a session", self.api.call("usergroup.get", {"output": ["usrgrpid"]})),
            ("user.checkAuthentication with a token", by_token.call("user.checkAuthentication", {"token": token})),
        ]
        for label, outcome in checks:
            if outcome.kind != "ack":
                problems.append(f"read {label}: {outcome}")
        page = self.web.get("/tokens")
        if page.status_code != 200 or f"{self.label}-token-0" not in page.text:
            problems.append(f"web page /tokens: HTTP {page.status_code} {page.text[:200]!r}")
        return problems

    def web_write_problems(self) -> list[str]:
        """Web forms that write: an error page or the form with a message, never a 500, never a crash."""
        problems = []
        posts = [
            ("sign-in", "/login", {"username": "Admin", "password": self.server.password}, False),
            ("token form", "/tokens/create", {"name": f"{self.label}-web", "userid": "1", "expires_state": "0", "status": "0"}, True),
        ]
        for label, path, data, signed_in in posts:
            try:
                if signed_in:
                    r = self.web.post(path, data)
                else:
                    r = requests.post(self.server.base_url + path, data=data, allow_redirects=False, timeout=15)
            except requests.RequestException as err:
                problems.append(f"{label} POST {path}: no answer ({type(err).__name__}), exit code {self.server.process.poll()}")
                continue
            if r.status_code >= 500 and r.status_code != 503:
                problems.append(f"{label} POST {path}: HTTP {r.status_code} {r.text[:200]!r}")
            if r.status_code == 303 and r.headers.get("Location") == "/tokens/view":
                problems.append(f"{label} POST {path}: showed a new token although the disk refuses writes")
        if self.server.process.poll() is not None:
            problems.append(f"the server exited with code {self.server.process.returncode}")
        return problems

    def recovery_problems(self) -> list[str]:
        """After the trouble: writes work, the baseline and every acknowledged write are there, nothing
        refused is half there, the file is sound; then the same after a restart."""
        problems = []
        created = self.api.call("token.create", {"name": f"{self.label}-after"})
        if created.kind != "ack":
            return [f"token.create after recovery: {created}"]
        value = self.api.ok("token.generate", created.result["tokenids"])[0]["token"]
        self.server.secrets.add(value)
        for round_label in ("running", "restarted"):
            if round_label == "restarted":
                self.server.stop()
                if self.server.leaked_secrets():
                    problems.append(f"{self.server.log_path.name}: token values appear in the server log")
                secrets = self.server.secrets
                self.server = start_server(self.workdir, f"{self.label}-2")
                self.server.secrets = secrets
                self.api = login(self.server)
            problems += [f"{round_label}: {p}" for p in database_checks(self.server.data_dir)]
            problems += [f"{round_label}: {p}" for p in self.baseline_problems(self.api)]
            problems += [f"{round_label}: {p}" for p in self.attempt_problems(self.api)]
            answer = self.api.call("user.checkAuthentication", {"token": value})
            if answer.kind != "ack":
                problems.append(f"{round_label}: the token made after recovery does not authenticate: {answer}")
        return problems

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


class _Scenario:
    """The ordered checks of one kind of trouble (the subclasses say how to cause and end it)."""

    def test_writes_get_clean_errors(self, trouble):
        trouble.start_trouble()
        problems = trouble.write_while_failing()
        assert not problems, "\n".join(problems)

    def test_reads_keep_working(self, trouble):
        problems = trouble.read_problems()
        assert not problems, "\n".join(problems)

    def test_web_forms_fail_cleanly(self, trouble):
        problems = trouble.web_write_problems()
        assert not problems, "\n".join(problems)

    def test_recovers_without_damage(self, trouble):
        trouble.end_trouble()
        problems = trouble.recovery_problems()
        assert not problems, "\n".join(problems)


class DiskFull(Trouble):
    """The data folder is a 4 MiB tmpfs; a filler file takes every free byte."""

    def start_trouble(self) -> None:
        self.filler = self.server.data_dir / "filler"
        with open(self.filler, "wb", buffering=0) as f:  # unbuffered: nothing left to fail at close
            for chunk in (1 << 16, 4096, 512):
                try:
                    while f.write(b"\0" * chunk):
                        pass
                except OSError:
                    pass
        free = os.statvfs(self.server.data_dir).f_bavail
        assert free == 0, f"the small disk still has {free} free blocks"

    def end_trouble(self) -> None:
        (self.workdir / "data" / "filler").unlink(missing_ok=True)


class ReadOnly(Trouble):
    """The database file, its WAL and the folder become immutable (chattr +i) while the server runs."""

    def targets(self) -> list[str]:
        data = self.workdir / "data"
        return [str(data / DB_FILE), str(data / f"{DB_FILE}-wal"), str(data)]

    def start_trouble(self) -> None:
        assert (self.server.data_dir / f"{DB_FILE}-wal").exists(), "expected a WAL file next to the database"
        subprocess.run(["chattr", "+i", *self.targets()], check=True, capture_output=True)

    def end_trouble(self) -> None:
        subprocess.run(["chattr", "-i", *self.targets()], check=True, capture_output=True)


@pytest.fixture(scope="module")
def disk_full(tmp_path_factory):
    """A server whose data folder is a 4 MiB tmpfs (skipped where mounting is not possible)."""
    require_root_and("mount", "umount")
    workdir = tmp_path_factory.mktemp("disk-full")
    data = workdir / "data"
    data.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tessera-e2e-small-disk", str(data)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a 4 MiB tmpfs as a small disk here: {mounted.stderr.strip()}")
    trouble = DiskFull(workdir, "full")
    try:
        trouble.begin()
        yield trouble
    finally:
        trouble.end_trouble()
        trouble.close()
        if subprocess.run(["umount", str(data)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(data)], capture_output=True)


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    """A server on a filesystem that takes `chattr +i` (skipped elsewhere)."""
    require_root_and("chattr")
    workdir = tmp_path_factory.mktemp("read-only")
    probe = workdir / "probe"
    probe.write_text("x")
    tried = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, text=True)
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
    if tried.returncode != 0:
        pytest.skip(f"the filesystem of {workdir} does not take chattr +i: {tried.stderr.strip()}")
    trouble = ReadOnly(workdir, "ro")
    try:
        trouble.begin()
        yield trouble
    finally:
        subprocess.run(["chattr", "-R", "-i", str(workdir / "data")], capture_output=True)
        trouble.close()


class TestDiskFull(_Scenario):
    @pytest.fixture
    def trouble(self, disk_full):
        return disk_full


class TestReadOnlyDatabase(_Scenario):
    @pytest.fixture
    def trouble(self, read_only):
        return read_only
