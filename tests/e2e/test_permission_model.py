"""Model-based permission testing of token.* and the token pages against `permission_model.py`.

A fresh server gets (through the API, as Admin) a Super admin besides Admin, Admin-type and
User-type users with and without "Manage API tokens", a role with API access off, a user in a
group with `users_status` 1 that Admin switches on and off, a user in the shipped "Disabled" group,
and a user in "No access to the frontend". Every principal signs in (user.login and the /login
form) where it can and has an API token.

Then random operations by random credentials (sessions, current, superseded and unknown token
values) on random tokens (own, other users', nonexistent) are sent to the server and to the model:
token.get/create/update/delete/generate, user.checkAuthentication with a token, Admin's changes
(a role's manage_api_tokens, api.access or ui.administration.general, a group's users_status, a
user into or out of "Disabled", a user's role, deleting tokens), re-logins, and the form posts of
/tokens and
/user/tokens. After each step the answer (result, or code + message + data) must equal the
model's, and every token as Admin's token.get shows it must equal the model's state.

    PERM_MODEL_SEED   the seed (default 60014; "random" picks one and prints it)
    PERM_MODEL_STEPS  steps of the random sequence (default 600)
    PERM_MODEL_TRACE  set to 1 to print every step (with -s)

An answer that differs from the model is recorded and the sequence goes on as long as server and
model still agree on the state; the test fails at the end with every disagreement (seed, step,
request, answer, expected and the steps before it). A state divergence stops it at once.
`test_directed_scenarios` walks the cases the rules single out, whatever the seed.
"""

from __future__ import annotations

import dataclasses
import datetime
import html.parser
import os
import random
import re
import secrets
import time

import pytest
import requests

from conftest import ServerSpec, TesseraServer
from permission_model import (
    ACCESS_DENIED,
    NOT_FOUND,
    NO_SYSTEM_ACCESS,
    OUTPUT_FIELDS,
    Group,
    Outcome,
    PermissionModel,
    Plan,
    Role,
    Session,
    User,
)

DEFAULT_SEED = 60014
DEFAULT_STEPS = 600
PASSWORD = "Pm-Str0ng-Passw0rd!"
PAST = 1_000_000_000  # 2001-09-09 01:46:40 UTC: long expired
FUTURE = 2_100_000_000  # 2036-07-18 13:20:00 UTC: far ahead
NAME_POOL = ["alpha", "beta", "ci", "deploy"]  # shared names make clashes likely
MISSING_TOKENID = "999999"
MISSING_USERID = "99999"
CONTEXT_STEPS = 12  # steps shown before a disagreement


def utc_text(unix: int) -> str:
    """'YYYY-MM-DD hh:mm:ss' of a Unix time in UTC (every test user's time zone)."""
    return datetime.datetime.fromtimestamp(unix, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def reason(outcome: Outcome) -> str:
    """A short label of an expected answer for the step statistics ("ok" or the message's shape)."""
    if not outcome.failed:
        return "ok"
    return re.sub(r'"[^"]*"', '"…"', outcome.error[2])


# --------------------------------------------------------------------------------------------
# Reading pages


class Page(html.parser.HTMLParser):
    """What the checks read from a page: the message box, the error page heading, the token value,
    the token rows of a list and the CSRF field."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.message_ok: bool | None = None
        self.message_title: str | None = None
        self.message_details: list[str] = []
        self.error_heading: str | None = None
        self.token_value: str | None = None
        self.rows: list[str] = []
        self.csrf: str | None = None
        self.name_value: str | None = None
        self._capture: str | None = None
        self._text: list[str] = []
        self._in_message = self._in_error = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "message":
            self._in_message = True
            self.message_ok = "msg-good" in (a.get("class") or "").split()
        elif a.get("id") == "error-page":
            self._in_error = True
        elif tag == "h4" and self._in_message:
            self._start("title")
        elif tag == "li" and self._in_message:
            self._start("detail")
        elif tag == "h1" and self._in_error:
            self._start("heading")
        elif a.get("id") == "auth-token":
            self._start("token")
        elif tag == "tr" and "data-tokenid" in a:
            self.rows.append(a["data-tokenid"])
        elif tag == "input" and a.get("name") == "csrf" and self.csrf is None:
            self.csrf = a.get("value")
        elif tag == "input" and a.get("id") == "name":
            self.name_value = a.get("value", "")

    def _start(self, what: str) -> None:
        self._capture, self._text = what, []

    def handle_data(self, data):
        if self._capture:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._capture and tag in ("h4", "li", "h1", "code"):
            text = "".join(self._text).strip()
            if self._capture == "title":
                self.message_title = text
            elif self._capture == "detail":
                self.message_details.append(text)
            elif self._capture == "heading":
                self.error_heading = text
            elif self._capture == "token":
                self.token_value = text
            self._capture = None
        if tag == "div" and self._in_message and self._capture is None:
            self._in_message = False
        if tag == "section":
            self._in_error = False


# --------------------------------------------------------------------------------------------
# The world: server, model and principals


@dataclasses.dataclass
class Principal:
    """One test user and its credentials as the driver holds them."""

    username: str
    password: str
    userid: str = ""
    api_session: str | None = None
    web: requests.Session = dataclasses.field(default_factory=requests.Session)
    web_session: str | None = None  # the tessera_session cookie
    csrf: str | None = None


class StateDiverged(AssertionError):
    """Server and model no longer agree on the state: nothing after this step would mean anything."""


class World:
    """A server with the principals set up, the model that mirrors it, and every operation of the
    sequences: each sends one request, compares the answer with the model and commits the model."""

    def __init__(self, server: TesseraServer, seed: int | None):
        self.server = server
        self.seed = seed
        self.model = PermissionModel(now=time.time)
        self.principals: dict[str, Principal] = {}
        self.trace: list[str] = []
        self.disagreements: list[str] = []
        self.step = 0
        self.counts: dict[str, int] = {}  # operations by expected outcome, printed at the end
        self.roleids: dict[str, str] = {}  # ROLES key -> roleid
        self.groupids: dict[str, str] = {}  # "base", "switch", "9", "12" -> usrgrpid

    # -- raw transport

    def rpc(self, method: str, params, auth: str | None = None, bearer: bool = False) -> dict:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        headers = {"Content-Type": "application/json-rpc"}
        if auth is not None and bearer:
            headers["Authorization"] = f"Bearer {auth}"
        elif auth is not None:
            body["auth"] = auth
        r = requests.post(self.server.api_url, json=body, headers=headers, timeout=10)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def admin(self, method: str, params):
        """A call as Admin that must succeed (set-up and Admin's changes of state)."""
        answer = self.rpc(method, params, auth=self.principals["Admin"].api_session)
        assert "result" in answer, f"step {self.step}: Admin {method} {params} failed: {answer}"
        return answer["result"]

    def remember_secret(self, value: str) -> None:
        self.server.secrets.add(value)

    # -- checking

    def note(self, line: str) -> None:
        self.trace.append(f"[{self.step}] {line}")
        if os.environ.get("PERM_MODEL_TRACE") == "1":
            print(self.trace[-1])

    def context(self) -> str:
        return "\n".join(self.trace[-CONTEXT_STEPS:])

    def disagree(self, what: str, request: str, answer, expected, fatal: bool = False) -> None:
        report = (
            f"seed {self.seed}, step {self.step}: {what}\n"
            f"  request:  {request}\n  answer:   {answer}\n  expected: {expected}\n"
            f"  steps before it:\n    " + self.context().replace("\n", "\n    ")
        )
        self.disagreements.append(report)
        if fatal:
            raise StateDiverged(self.summary())

    def summary(self) -> str:
        return f"{len(self.disagreements)} disagreement(s) with the model (seed {self.seed}):\n\n" + "\n\n".join(self.disagreements)

    def judge_api(self, what: str, request: str, plan: Plan, answer: dict) -> None:
        """Compares a JSON-RPC answer with the plan and commits the plan. When both succeed or both
        fail, the run can go on after a disagreement; otherwise the states part, which is fatal."""
        expected: Outcome = plan.outcome
        shown = answer.get("error") or {"result": answer.get("result")}
        self.note(f"{what}: {request} -> {self._short(shown)}")
        if expected.matches(answer):
            plan.commit(answer.get("result"))
            return
        both_failed = expected.failed and "error" in answer
        both_succeeded = not expected.failed and "result" in answer
        self.disagree(what, request, shown, expected, fatal=not (both_failed or both_succeeded))
        plan.commit(answer.get("result"))

    @staticmethod
    def _short(value) -> str:
        text = repr(value)
        return text if len(text) < 300 else text[:300] + "…"

    def verify_state(self) -> None:
        """Every token as Admin (Super admin) sees it must be the model's."""
        actual = self.admin("token.get", {"output": OUTPUT_FIELDS, "sortfield": "tokenid"})
        expected = self.model.snapshot()
        if actual != expected:
            actual_by_id = {t["tokenid"]: t for t in actual}
            expected_by_id = {t["tokenid"]: t for t in expected}
            diff = [
                f"#{tid}: server {actual_by_id.get(tid)} model {expected_by_id.get(tid)}"
                for tid in sorted(set(actual_by_id) | set(expected_by_id), key=int)
                if actual_by_id.get(tid) != expected_by_id.get(tid)
            ]
            self.disagree("token set seen by Admin differs from the model", "token.get as Admin", diff, "(model state)", fatal=True)

    # -- credentials

    def credential_label(self, auth: str | None) -> str:
        if auth is None:
            return "no auth"
        for p in self.principals.values():
            if auth == p.api_session:
                alive = self.model.sessions.get(auth)
                return f"session of {p.username}{'' if alive and alive.alive else ' (ended)'}"
        tokenid = self.model.values.get(auth)
        if tokenid is not None:
            token = self.model.tokens.get(tokenid)
            if token is None:
                return f"value of deleted token #{tokenid}"
            owner = self.model.users[token.userid].username
            current = "" if token.value == auth else " (superseded value)"
            return f"token #{tokenid} of {owner}{current}"
        return f"unknown {len(auth)}-char credential"

    def actor(self, auth: str | None) -> User | None:
        """Whose credential it is (the user the server would act as if it accepted it)."""
        if auth in self.model.sessions:
            return self.model.users[self.model.sessions[auth].userid]
        tokenid = self.model.values.get(auth or "")
        token = self.model.tokens.get(tokenid) if tokenid else None
        return self.model.users[token.userid] if token else None

    # -- the API operations

    def api(self, auth: str | None, method: str, params, bearer: bool = False) -> dict:
        """One token.* call, checked against the model."""
        plan = self.model.api_call(auth, method, params)
        answer = self.rpc(method, params, auth=auth, bearer=bearer)
        if "result" in answer and method.lower() == "token.generate":
            for entry in answer["result"]:
                self.remember_secret(entry["token"])
        via = " (Bearer)" if bearer else ""
        self.judge_api(method, f"{method} {params} as {self.credential_label(auth)}{via}", plan, answer)
        self.count(f"{method.lower()}: {reason(plan.outcome)}")
        return answer

    def check_authentication(self, value: str) -> None:
        plan = self.model.check_authentication(value)
        answer = self.rpc("user.checkAuthentication", {"token": value})
        if "result" in answer:  # compare who it is
            answer = {"result": {k: answer["result"].get(k) for k in ("userid", "username")}}
        self.judge_api("user.checkAuthentication", f"user.checkAuthentication with {self.credential_label(value)}", plan, answer)
        self.count(f"user.checkAuthentication: {reason(plan.outcome)}")

    def login(self, p: Principal) -> None:
        """user.login; a success replaces the principal's API session."""
        plan = self.model.login(p.username, p.password)
        answer = self.rpc("user.login", {"username": p.username, "password": p.password})
        self.judge_api("user.login", f"user.login {p.username}", plan, answer)
        if "result" in answer:
            p.api_session = answer["result"]
            self.remember_secret(p.api_session)
        self.count(f"user.login: {reason(plan.outcome)}")

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    # -- Admin's changes of state

    def set_manage(self, roleid: str, on: bool) -> None:
        self.admin("role.update", {"roleid": roleid, "rules": {"actions": [{"name": "manage_api_tokens", "status": int(on)}]}})
        self.model.set_role_rule(roleid, manage_api_tokens=on)
        self.note(f"Admin: role {self.model.roles[roleid].name} manage_api_tokens={int(on)}")
        self.count("admin: manage_api_tokens")

    def set_api_access(self, roleid: str, on: bool) -> None:
        self.admin("role.update", {"roleid": roleid, "rules": {"api.access": int(on)}})
        self.model.set_role_rule(roleid, api_access=on)
        self.note(f"Admin: role {self.model.roles[roleid].name} api.access={int(on)}")
        self.count("admin: api.access")

    def set_ui_general(self, roleid: str, on: bool) -> None:
        """The UI element Administration → General of a Super admin role (needed by /tokens only)."""
        self.admin("role.update", {"roleid": roleid, "rules": {"ui": [{"name": "administration.general", "status": int(on)}]}})
        self.model.set_role_rule(roleid, ui_general=on)
        self.note(f"Admin: role {self.model.roles[roleid].name} ui.administration.general={int(on)}")
        self.count("admin: ui.administration.general")

    def set_group_status(self, usrgrpid: str, status: int) -> None:
        self.admin("usergroup.update", {"usrgrpid": usrgrpid, "users_status": status})
        self.model.set_group_status(usrgrpid, status)
        self.note(f"Admin: group {self.model.groups[usrgrpid].name} users_status={status}")
        self.count("admin: group status")

    def set_user_disabled(self, p: Principal, disabled: bool) -> None:
        """Moves a user into or out of the shipped group "Disabled" (users are disabled only by groups)."""
        groups = [g for g in self.model.users[p.userid].groups if g != "9"] + (["9"] if disabled else [])
        self.admin("user.update", {"userid": p.userid, "usrgrps": [{"usrgrpid": g} for g in groups]})
        self.model.set_user_groups(p.userid, groups)
        self.note(f"Admin: user {p.username} {'into' if disabled else 'out of'} group Disabled")
        self.count("admin: user disabled/enabled")

    def set_user_role(self, p: Principal, roleid: str) -> None:
        self.admin("user.update", {"userid": p.userid, "roleid": roleid})
        self.model.set_user_role(p.userid, roleid)
        self.note(f"Admin: user {p.username} gets role {self.model.roles[roleid].name}")
        self.count("admin: user role")

    # -- the web UI

    def web_login(self, p: Principal) -> None:
        """Signs in through the /login form; on success reads the CSRF field of the start page."""
        p.web = requests.Session()
        p.web_session = p.csrf = None
        user = self.model.users[p.userid]
        r = p.web.post(self.url("/login"), data={"username": p.username, "password": p.password}, allow_redirects=False, timeout=10)
        refused = self.model.disabled(user) or self.model.gui_disabled(user)
        self.note(f"web sign-in {p.username} -> {r.status_code}")
        self.count("web sign-in: " + ("refused" if refused else "ok"))
        if refused:
            page = Page(r.text)
            got = (r.status_code, "tessera_session" in r.cookies, page.message_ok)
            if got != (200, False, False):
                self.disagree("web sign-in of a refused user", f"POST /login as {p.username}", got, "(200, no session, error message)")
            # A disabled user gets user.login's message; "No access to the frontend" is refused
            # too, with a message the spec does not give for the frontend.
            if self.model.disabled(user) and page.message_title != NO_SYSTEM_ACCESS:
                self.disagree("web sign-in message", f"POST /login as {p.username}", page.message_title, NO_SYSTEM_ACCESS)
            return
        if r.status_code != 303 or r.headers.get("Location") != "/" or "tessera_session" not in r.cookies:
            self.disagree("web sign-in", f"POST /login as {p.username}", (r.status_code, r.headers.get("Location")), "303 to / with a session", fatal=True)
        p.web_session = r.cookies["tessera_session"]
        self.remember_secret(p.web_session)
        self.model.sessions[p.web_session] = Session(user.userid)
        profile = p.web.get(self.url("/user/profile"), allow_redirects=False, timeout=10)
        assert profile.status_code == 200, profile.status_code
        p.csrf = Page(profile.text).csrf
        assert p.csrf, "no CSRF field on the profile page"

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def web_gate(self, p: Principal, variant: str) -> tuple[User | None, str | None]:
        """Session and page access of a web request as the model sees it: (user, None) when the
        page may be used, else (None, "login") or (None, "denied")."""
        user, end = self.model.web_session(p.web_session)
        end(None)
        if user is None:
            return None, "login"
        if not self.model.web_allowed(user, variant):
            return None, "denied"
        return user, None

    def _check_gate(self, what: str, request: str, refusal: str, r: requests.Response) -> None:
        if refusal == "login":
            got = (r.status_code, r.headers.get("Location"))
            if got != (303, "/login"):
                self.disagree(what, request, got, "(303, '/login')")
        else:
            got = (r.status_code, Page(r.text).error_heading)
            if got != (403, ACCESS_DENIED):
                self.disagree(what, request, got, f"(403, {ACCESS_DENIED!r})")
        self.note(f"{what}: {request} -> {r.status_code} (expected {refusal})")
        self.count(f"web {what}: {'303 to /login' if refusal == 'login' else '403'}")

    @staticmethod
    def base(variant: str) -> str:
        return "/tokens" if variant == "admin" else "/user/tokens"

    def web_list(self, p: Principal, variant: str) -> None:
        path = self.base(variant)
        request = f"GET {path} as {p.username}"
        user, refusal = self.web_gate(p, variant)
        r = p.web.get(self.url(path), allow_redirects=False, timeout=10)
        if refusal:
            return self._check_gate("token list", request, refusal, r)
        expected = self.model.web_list(user, variant)
        got = (r.status_code, sorted(Page(r.text).rows, key=int))
        self.note(f"token list: {request} -> {r.status_code} rows {got[1]}")
        if got != (200, sorted(expected, key=int)):
            self.disagree("token list", request, got, (200, expected))
        self.count(f"web token list ({variant}): ok")

    def web_edit(self, p: Principal, variant: str, tokenid: str) -> None:
        path = f"{self.base(variant)}/{tokenid}/edit"
        request = f"GET {path} as {p.username}"
        user, refusal = self.web_gate(p, variant)
        r = p.web.get(self.url(path), allow_redirects=False, timeout=10)
        if refusal:
            return self._check_gate("edit form", request, refusal, r)
        token = self.model.web_token(user, variant, tokenid)
        page = Page(r.text)
        got = (r.status_code, page.name_value if r.status_code == 200 else page.error_heading)
        expected = (200, token.name) if token else (404, NOT_FOUND)
        self.note(f"edit form: {request} -> {got}")
        if got != expected:
            self.disagree("edit form", request, got, expected)
        self.count("web edit form: " + ("ok" if token else "404 (not its token)"))

    def _post(self, p: Principal, path: str, data: dict, csrf: str | None = None) -> requests.Response:
        body = {"csrf": csrf if csrf is not None else (p.csrf or "none"), **data}
        return p.web.post(self.url(path), data=body, allow_redirects=False, timeout=10)

    def _judge_web(self, what: str, request: str, p: Principal, variant: str, plan: Plan, r: requests.Response) -> None:
        """Compares a form post's answer with the plan: ("view", title, tokenid) (a redirect to the page
        that shows the value), ("form", title, details), ("redirect", title, details) or ("not found",); commits the plan."""
        kind = plan.outcome[0]
        page = Page(r.text)
        if kind == "not found":
            got = (r.status_code, page.error_heading)
            expected = (404, NOT_FOUND)
        elif kind == "view":
            # Post/redirect/get: the one-time page behind the redirect shows the value.
            location = r.headers.get("Location")
            if r.status_code == 303 and location:
                page = Page(p.web.get(self.url(location), allow_redirects=False, timeout=10).text)
            got = (r.status_code, location, page.message_ok, page.message_title, page.token_value is not None)
            expected = (303, self.base(variant) + "/view", True, plan.outcome[1], True)
        elif kind == "form":
            got = (r.status_code, page.message_ok, page.message_title, page.message_details)
            expected = (200, False, plan.outcome[1], plan.outcome[2])
        else:  # a redirect to the list, whose page shows the message
            location = r.headers.get("Location")
            shown = Page(p.web.get(self.url(location), allow_redirects=False, timeout=10).text) if r.status_code == 303 and location else page
            got = (r.status_code, location, shown.message_ok, shown.message_title, shown.message_details)
            ok = not plan.outcome[2]
            expected = (303, self.base(variant), ok, plan.outcome[1], plan.outcome[2])
        self.note(f"{what}: {request} -> {got}")
        self.count(f"web {what} ({variant}): {kind} {plan.outcome[1] if len(plan.outcome) > 1 else ''}".rstrip())
        if got != expected:
            # A wrong answer alone lets the run go on; a changed state shows in verify_state().
            self.disagree(f"web {what}", request, got, expected, fatal=kind == "view" and page.token_value is None)
        if kind == "view":
            self.remember_secret(page.token_value)
            plan.commit(page.token_value)
        else:
            plan.commit(None)

    def web_create(self, p: Principal, variant: str, name: str, description: str, expires_at: int, status: int, owner: str | None = None) -> None:
        """The Add form (admin variant: with the owner field)."""
        path = f"{self.base(variant)}/create"
        data = {"name": name, "description": description, "expires_state": "1" if expires_at else "0", "status": str(status)}
        if expires_at:
            data["expires_at"] = utc_text(expires_at)
        if variant == "admin":
            data["userid"] = owner or p.userid
        request = f"POST {path} {data} as {p.username}"
        user, refusal = self.web_gate(p, variant)
        r = self._post(p, path, data)
        if refusal:
            return self._check_gate("create form", request, refusal, r)
        fields = {"name": name, "userid": data.get("userid", p.userid), "description": description, "expires_at": expires_at, "status": status}
        self._judge_web("create", request, p, variant, self.model.web_create(user, fields), r)

    def web_update(self, p: Principal, variant: str, tokenid: str, name: str, description: str, expires_at: int, status: int, regenerate: bool) -> None:
        """The Update (or Regenerate) button of the edit form."""
        path = f"{self.base(variant)}/{tokenid}/update"
        data = {"name": name, "description": description, "expires_state": "1" if expires_at else "0", "status": str(status)}
        if expires_at:
            data["expires_at"] = utc_text(expires_at)
        if regenerate:
            data["regenerate"] = "1"
        request = f"POST {path} {data} as {p.username}"
        user, refusal = self.web_gate(p, variant)
        r = self._post(p, path, data)
        if refusal:
            return self._check_gate("update form", request, refusal, r)
        fields = {"name": name, "description": description, "expires_at": expires_at, "status": status}
        plan = self.model.web_update(user, variant, tokenid, fields, regenerate)
        self._judge_web("regenerate" if regenerate else "update", request, p, variant, plan, r)

    def web_mass(self, p: Principal, variant: str, action: str, ids: list[str]) -> None:
        """Enable / disable / delete from a list (the status toggle is the one-id case)."""
        path = f"{self.base(variant)}/{action}"
        request = f"POST {path} tokenids={ids} as {p.username}"
        user, refusal = self.web_gate(p, variant)
        r = self._post(p, path, {"tokenids[]": ids})
        if refusal:
            return self._check_gate(f"{action} post", request, refusal, r)
        self._judge_web(action, request, p, variant, self.model.web_mass(user, variant, action, ids), r)

    def web_bad_csrf(self, p: Principal, variant: str, tokenid: str) -> None:
        """A disable post without the right CSRF field changes nothing (Tessera answers 403)."""
        path = f"{self.base(variant)}/disable"
        request = f"POST {path} tokenids=[{tokenid}] with a wrong csrf as {p.username}"
        user, end = self.model.web_session(p.web_session)
        end(None)
        r = self._post(p, path, {"tokenids[]": [tokenid]}, csrf="0" * 32)
        expected = (303, "/login") if user is None else (403, None)
        got = (r.status_code, r.headers.get("Location"))
        self.note(f"bad csrf: {request} -> {got}")
        if got != expected:
            self.disagree("form post with a wrong CSRF field", request, got, expected)
        self.count("web wrong csrf: " + ("303 to /login" if user is None else "403"))


# --------------------------------------------------------------------------------------------
# Set-up

# name -> (role key, groups); role keys are created below, group keys too ("9" = shipped Disabled,
# "12" = shipped "No access to the frontend").
PRINCIPALS = {
    "pm-super": ("super", ["base"]),
    "pm-admin-a": ("admin-tok", ["base"]),
    "pm-admin-b": ("admin-notok", ["base"]),
    "pm-user-a": ("user-tok", ["base"]),
    "pm-user-b": ("user-notok", ["base"]),
    "pm-noapi": ("noapi", ["base"]),
    "pm-switch": ("user-tok", ["base", "switch"]),
    "pm-nogui": ("admin-tok", ["base", "12"]),
    "pm-disabled": ("admin-tok", ["base", "9"]),
}
ROLES = {
    # key: (name, type, manage_api_tokens, api.access)
    "super": ("pm-role-super", 3, True, True),
    "admin-tok": ("pm-role-admin-tok", 2, True, True),
    "admin-notok": ("pm-role-admin-notok", 2, False, True),
    "user-tok": ("pm-role-user-tok", 1, True, True),
    "user-notok": ("pm-role-user-notok", 1, False, True),
    "noapi": ("pm-role-noapi", 1, True, False),
}


def build_world(server: TesseraServer, seed: int | None) -> World:
    """Creates the roles, groups and users through the API as Admin, mirrors them in the model,
    signs everybody in (API and web) and gives every user a token."""
    w = World(server, seed)
    m = w.model
    admin = Principal("Admin", server.password, userid="1")
    w.principals["Admin"] = admin
    admin.api_session = w.rpc("user.login", {"username": "Admin", "password": server.password})["result"]
    w.admin("user.update", {"userid": "1", "timezone": "UTC", "rows_per_page": 1000})

    m.roles["3"] = Role("3", "Super admin role", 3)
    roleids = {}
    for key, (name, type_, manage, api_access) in ROLES.items():
        rules = {"api.access": int(api_access), "actions": [{"name": "manage_api_tokens", "status": int(manage)}]}
        roleid = w.admin("role.create", {"name": name, "type": type_, "rules": rules})["roleids"][0]
        roleids[key] = roleid
        m.roles[roleid] = Role(roleid, name, type_, manage_api_tokens=manage, api_access=api_access)

    m.groups.update({
        "7": Group("7", "Zabbix administrators"),
        "9": Group("9", "Disabled", users_status=1),
        "12": Group("12", "No access to the frontend", gui_access=3),
    })
    groupids = {"9": "9", "12": "12"}
    for key, name, status in [("base", "pm-base", 0), ("switch", "pm-switch-group", 1)]:
        gid = w.admin("usergroup.create", {"name": name, "users_status": status})["usrgrpids"][0]
        groupids[key] = gid
        m.groups[gid] = Group(gid, name, users_status=status)

    m.users["1"] = User("1", "Admin", server.password, "3", ["7"])
    for username, (role_key, group_keys) in PRINCIPALS.items():
        groups = [groupids[g] for g in group_keys]
        userid = w.admin("user.create", {
            "username": username, "passwd": PASSWORD, "roleid": roleids[role_key],
            "usrgrps": [{"usrgrpid": g} for g in groups], "autologout": "0", "timezone": "UTC", "rows_per_page": 1000,
        })["userids"][0]
        m.users[userid] = User(userid, username, PASSWORD, roleids[role_key], groups)
        w.principals[username] = Principal(username, PASSWORD, userid=userid)
    server.secrets.add(PASSWORD)
    w.roleids, w.groupids = roleids, groupids

    # Sessions: Admin's is the oracle's; the others through user.login (refused for the disabled).
    m.sessions[admin.api_session] = Session("1")
    w.web_login(admin)
    for username in PRINCIPALS:
        p = w.principals[username]
        w.login(p)
        w.web_login(p)

    # A token for everybody: made with one's own session where the role allows it, else by Admin.
    for p in w.principals.values():
        own = m.users[p.userid]
        may = p.api_session and m.role(own).manage_api_tokens and m.role(own).api_access and not m.disabled(own)
        auth = p.api_session if may else admin.api_session
        params = {"name": f"{p.username}-main"} | ({} if may else {"userid": p.userid})
        tokenid = w.api(auth, "token.create", params)["result"]["tokenids"][0]
        w.api(auth, "token.generate", [tokenid])
    w.verify_state()
    w.trace.append("---- set-up done ----")
    assert not w.disagreements, w.summary()
    return w


@pytest.fixture
def world(tmp_path):
    """A fresh server for the test; call the fixture's value with the seed to set up the principals.
    Fails the test if a password, session id or token value shows up in the server's log."""
    server = TesseraServer(ServerSpec(), tmp_path)
    try:
        server.start()
        yield lambda seed=None: build_world(server, seed)
    finally:
        server.stop()
    leaked = server.leaked_secrets()
    assert not leaked, f"secret values in the server log {server.log_path}: {[s[:4] + '…' for s in leaked]}"


# --------------------------------------------------------------------------------------------
# Random sequences


class RandomSteps:
    """Chooses operations, credentials and targets with one seeded RNG."""

    def __init__(self, w: World, rng: random.Random):
        self.w, self.rng, self.m = w, rng, w.model
        self.ops = [
            (14, self.op_get), (14, self.op_create), (14, self.op_update), (6, self.op_delete), (8, self.op_generate),
            (3, self.op_check_authentication),
            (3, self.op_toggle_manage), (2, self.op_toggle_api_access), (3, self.op_toggle_group), (3, self.op_toggle_user),
            (2, self.op_set_role), (2, self.op_admin_delete), (1, self.op_toggle_ui_general),
            (3, self.op_login), (2, self.op_web_login),
            (3, self.op_web_list), (2, self.op_web_edit), (5, self.op_web_create), (4, self.op_web_update),
            (2, self.op_web_regenerate), (4, self.op_web_toggle), (2, self.op_web_delete), (1, self.op_web_bad_csrf),
        ]

    def run_one(self) -> None:
        weights, ops = zip(*self.ops)
        self.rng.choices(ops, weights=weights)[0]()

    # -- choices

    def others(self) -> list[Principal]:
        return [p for name, p in self.w.principals.items() if name != "Admin"]

    def live(self, sessionid: str | None) -> bool:
        session = self.m.sessions.get(sessionid) if sessionid else None
        return bool(session and session.alive and not self.m.disabled(self.m.users[session.userid]))

    def credential(self) -> str:
        """A session (mostly a live one), a current token value, a superseded or deleted one, or garbage."""
        r = self.rng.random()
        sessions = [p.api_session for p in self.w.principals.values() if p.api_session]
        live = [s for s in sessions if self.live(s)]
        if live and self.rng.random() < 0.8:
            sessions = live
        current = self.m.usable_values()
        revoked = self.m.revoked_values()
        if r < 0.45 or not current:
            return self.rng.choice(sessions)
        if r < 0.87:
            return self.rng.choice(current)
        if r < 0.95 and revoked:
            return self.rng.choice(revoked)
        return secrets.token_hex(32) if self.rng.random() < 0.5 else secrets.token_hex(16)

    def method(self, name: str) -> str:
        """The method name, now and then typed with capitals (the error echoes it as typed)."""
        if self.rng.random() < 0.05:
            service, method = name.split(".")
            return f"{service.capitalize()}.{method.capitalize()}"
        return name

    def tokenid(self, actor: User | None) -> str:
        """Own token, another user's, or one that does not exist."""
        tokens = list(self.m.tokens.values())
        own = [t.tokenid for t in tokens if actor and t.userid == actor.userid]
        other = [t.tokenid for t in tokens if not actor or t.userid != actor.userid]
        r = self.rng.random()
        if r < 0.45 and own:
            return self.rng.choice(own)
        if r < 0.87 and other:
            return self.rng.choice(other)
        return self.rng.choice([MISSING_TOKENID, str(self.rng.randrange(1, self.m.next_tokenid + 1))])

    def token_ids(self, actor: User | None) -> list[str]:
        ids = [self.tokenid(actor)]
        if self.rng.random() < 0.25:
            ids.append(ids[0] if self.rng.random() < 0.15 else self.tokenid(actor))
        return ids

    def name(self) -> str:
        if self.rng.random() < 0.6:
            return self.rng.choice(NAME_POOL)
        return f"t{self.w.step}-{self.rng.randrange(1000)}"

    def expiry(self) -> int:
        return self.rng.choice([0, 0, PAST, FUTURE])

    def userid_for_create(self, actor: User | None) -> str | None:
        """None (the caller), the caller explicitly, another user, or a user that does not exist."""
        r = self.rng.random()
        if r < 0.5:
            return None
        if r < 0.65 and actor:
            return actor.userid
        if r < 0.92:
            return self.rng.choice(list(self.m.users))
        return MISSING_USERID

    # -- API operations

    def op_get(self):
        auth = self.credential()
        actor = self.w.actor(auth)
        params = {"output": OUTPUT_FIELDS, "sortfield": "tokenid"}
        r = self.rng.random()
        if r < 0.3:
            params["tokenids"] = self.token_ids(actor)
        elif r < 0.55:
            params["userids"] = [self.rng.choice(list(self.m.users))]
        self.w.api(auth, self.method("token.get"), params, bearer=self.rng.random() < 0.1)

    def op_create(self):
        auth = self.credential()
        actor = self.w.actor(auth)
        items = []
        for _ in range(2 if self.rng.random() < 0.12 else 1):
            item = {"name": self.name()}
            userid = self.userid_for_create(actor)
            if userid is not None:
                item["userid"] = userid
            if self.rng.random() < 0.3:
                item["description"] = f"d{self.rng.randrange(100)}"
            if self.rng.random() < 0.25:
                item["status"] = self.rng.choice([0, 1])
            if self.rng.random() < 0.35:
                item["expires_at"] = self.expiry()
            items.append(item)
        params = items[0] if len(items) == 1 and self.rng.random() < 0.7 else items
        self.w.api(auth, self.method("token.create"), params, bearer=self.rng.random() < 0.1)

    def op_update(self):
        auth = self.credential()
        actor = self.w.actor(auth)
        ids = self.token_ids(actor)
        items = []
        for tokenid in ids:
            item = {"tokenid": tokenid}
            # With two objects both carry a name: which index a clash is reported at when only some
            # carry one is not settled by the spec.
            if len(ids) > 1 or self.rng.random() < 0.35:
                item["name"] = self.name()
            if self.rng.random() < 0.3:
                item["description"] = f"d{self.rng.randrange(100)}"
            if self.rng.random() < 0.45:
                item["status"] = self.rng.choice([0, 1])
            if self.rng.random() < 0.3:
                item["expires_at"] = self.expiry()
            items.append(item)
        params = items[0] if len(items) == 1 and self.rng.random() < 0.7 else items
        self.w.api(auth, self.method("token.update"), params, bearer=self.rng.random() < 0.1)

    def op_delete(self):
        auth = self.credential()
        self.w.api(auth, self.method("token.delete"), self.token_ids(self.w.actor(auth)))

    def op_generate(self):
        auth = self.credential()
        self.w.api(auth, self.method("token.generate"), self.token_ids(self.w.actor(auth)))

    def op_check_authentication(self):
        values = self.m.usable_values() + self.m.revoked_values()
        self.w.check_authentication(self.rng.choice(values) if values else secrets.token_hex(32))

    # -- Admin's changes

    def op_toggle_manage(self):
        roleid = self.rng.choice(list(self.w.roleids.values()))
        self.w.set_manage(roleid, not self.m.roles[roleid].manage_api_tokens)

    def op_toggle_api_access(self):
        roleid = self.w.roleids["noapi"] if self.rng.random() < 0.6 else self.rng.choice(list(self.w.roleids.values()))
        self.w.set_api_access(roleid, not self.m.roles[roleid].api_access)

    def op_toggle_ui_general(self):
        roleid = self.w.roleids["super"]
        self.w.set_ui_general(roleid, not self.m.roles[roleid].ui_general)

    def op_toggle_group(self):
        """Switches the group of pm-switch, now and then the group of everybody (switched back on
        at the next chance, so that most steps still have users to act as)."""
        base = self.w.groupids["base"]
        gid = base if self.m.groups[base].users_status == 1 or self.rng.random() < 0.1 else self.w.groupids["switch"]
        self.w.set_group_status(gid, 1 - self.m.groups[gid].users_status)

    def op_toggle_user(self):
        """Moves a user into "Disabled", or (more often while two or more are there) one out of it."""
        inside = [p for p in self.others() if "9" in self.m.users[p.userid].groups]
        outside = [p for p in self.others() if p not in inside]
        enable = inside and (not outside or self.rng.random() < (0.7 if len(inside) >= 2 else 0.35))
        p = self.rng.choice(inside if enable else outside)
        self.w.set_user_disabled(p, not enable)

    def op_set_role(self):
        p = self.rng.choice(self.others())
        self.w.set_user_role(p, self.rng.choice(list(self.w.roleids.values())))

    def op_admin_delete(self):
        """Admin deletes one or two tokens (keeps the token set from growing without bound)."""
        existing = list(self.m.tokens)
        if not existing:
            return
        ids = self.rng.sample(existing, min(len(existing), 1 + (len(existing) > 25)))
        self.w.api(self.w.principals["Admin"].api_session, "token.delete", ids)

    def op_login(self):
        """Logs in again, mostly someone whose session has ended."""
        ended = [p for p in self.others() if not (p.api_session and self.m.sessions[p.api_session].alive)]
        p = self.rng.choice(ended if ended and self.rng.random() < 0.8 else self.others())
        self.w.login(p)

    def op_web_login(self):
        ended = [p for p in self.others() if not (p.web_session and self.m.sessions[p.web_session].alive)]
        p = self.rng.choice(ended if ended and self.rng.random() < 0.8 else self.others())
        self.w.web_login(p)

    # -- web operations

    def web_principal(self) -> Principal:
        """Mostly someone with a live web session."""
        everyone = list(self.w.principals.values())
        live = [p for p in everyone if self.live(p.web_session)]
        return self.rng.choice(live if live and self.rng.random() < 0.85 else everyone)

    def variant(self) -> str:
        return "admin" if self.rng.random() < 0.35 else "own"

    def op_web_list(self):
        self.w.web_list(self.web_principal(), self.variant())

    def op_web_edit(self):
        p = self.web_principal()
        self.w.web_edit(p, self.variant(), self.tokenid(self.m.users[p.userid]))

    def op_web_create(self):
        p = self.web_principal()
        variant = self.variant()
        owner = self.userid_for_create(self.m.users[p.userid]) if variant == "admin" else None
        self.w.web_create(p, variant, self.name(), f"w{self.rng.randrange(100)}", self.expiry(), self.rng.choice([0, 0, 1]), owner)

    def _web_update(self, regenerate: bool):
        p = self.web_principal()
        tokenid = self.tokenid(self.m.users[p.userid])
        current = self.m.tokens.get(tokenid)
        name = current.name if current and self.rng.random() < 0.5 else self.name()
        self.w.web_update(p, self.variant(), tokenid, name, f"w{self.rng.randrange(100)}", self.expiry(), self.rng.choice([0, 0, 1]), regenerate)

    def op_web_update(self):
        self._web_update(regenerate=False)

    def op_web_regenerate(self):
        self._web_update(regenerate=True)

    def op_web_toggle(self):
        p = self.web_principal()
        self.w.web_mass(p, self.variant(), self.rng.choice(["enable", "disable"]), self.token_ids(self.m.users[p.userid]))

    def op_web_delete(self):
        p = self.web_principal()
        ids = list(dict.fromkeys(self.token_ids(self.m.users[p.userid])))  # a page never posts an id twice
        self.w.web_mass(p, self.variant(), "delete", ids)

    def op_web_bad_csrf(self):
        p = self.web_principal()
        self.w.web_bad_csrf(p, self.variant(), self.tokenid(self.m.users[p.userid]))


def seed_and_steps() -> tuple[int, int]:
    raw = os.environ.get("PERM_MODEL_SEED", "").strip()
    seed = random.SystemRandom().randrange(2**31) if raw == "random" else int(raw or DEFAULT_SEED)
    return seed, int(os.environ.get("PERM_MODEL_STEPS") or DEFAULT_STEPS)


def test_random_sequence(world):
    seed, steps = seed_and_steps()
    print(f"\npermission model: PERM_MODEL_SEED={seed} PERM_MODEL_STEPS={steps}")
    w = world(seed)
    driver = RandomSteps(w, random.Random(seed))
    started = time.monotonic()
    for step in range(1, steps + 1):
        w.step = step
        driver.run_one()
        w.verify_state()
    print(f"{steps} steps in {time.monotonic() - started:.1f} s; {len(w.model.tokens)} tokens at the end")
    for key in sorted(w.counts):
        print(f"  {w.counts[key]:4d}  {key}")
    assert not w.disagreements, w.summary()


# --------------------------------------------------------------------------------------------
# Directed scenarios: the cases the rules single out, on every run.


def test_directed_scenarios(world):
    w = world(None)
    m = w.model
    P = w.principals
    admin = P["Admin"].api_session

    def token_of(username: str):
        user = m.user_by_name(username)
        return next(t for t in sorted(m.tokens.values(), key=lambda t: int(t.tokenid)) if t.userid == user.userid and t.value)

    def step(note: str):
        w.step += 1
        w.note(f"-- {note}")

    # Role without "Manage API tokens": every token.* call refused, with a session and with a token;
    # the own-token pages are forbidden; Admin can still give such a user a token.
    step("no manage_api_tokens")
    user_b = P["pm-user-b"]
    for method, params in [("token.get", {}), ("token.create", {"name": "x"}), ("token.update", {"tokenid": "1"}),
                           ("token.delete", ["1"]), ("token.generate", ["1"])]:
        w.api(user_b.api_session, method, params)
        w.api(token_of("pm-user-b").value, method, params)
    w.api(user_b.api_session, "Token.Get", {})  # the message echoes the name as typed
    w.web_list(user_b, "own")
    w.web_create(user_b, "own", "nope", "", 0, 0)
    w.web_list(P["pm-admin-b"], "own")

    # API access off: the API refuses even token.get, the own-token pages work (no API gate there).
    step("api.access 0")
    noapi = P["pm-noapi"]
    w.api(noapi.api_session, "token.get", {})
    w.api(token_of("pm-noapi").value, "token.create", {"name": "x"})
    w.web_list(noapi, "own")
    w.web_create(noapi, "own", "from-the-ui", "made on the page", FUTURE, 0)
    w.web_list(noapi, "admin")

    # Admin-type and User-type users: own tokens only.
    step("own tokens only")
    adm, sup = P["pm-admin-a"], P["pm-super"]
    theirs = token_of("pm-super").tokenid
    for auth in [adm.api_session, token_of("pm-admin-a").value, P["pm-user-a"].api_session]:
        w.api(auth, "token.get", {"output": OUTPUT_FIELDS, "sortfield": "tokenid"})
        w.api(auth, "token.get", {"output": OUTPUT_FIELDS, "tokenids": [theirs]})
        w.api(auth, "token.update", {"tokenid": theirs, "name": "mine-now"})
        w.api(auth, "token.generate", [theirs])
        w.api(auth, "token.delete", [theirs])
        w.api(auth, "token.create", {"name": "for-admin", "userid": "1"})
        w.api(auth, "token.create", {"name": "for-nobody", "userid": MISSING_USERID})
    own = token_of("pm-admin-a").tokenid
    w.api(adm.api_session, "token.delete", [own, theirs])  # all or nothing
    w.api(adm.api_session, "token.create", {"name": "mine", "userid": adm.userid})
    w.web_edit(adm, "own", theirs)
    w.web_update(adm, "own", theirs, "stolen", "", 0, 0, regenerate=False)
    w.web_update(adm, "own", theirs, "stolen", "", 0, 0, regenerate=True)
    w.web_mass(adm, "own", "disable", [theirs])
    w.web_mass(adm, "own", "delete", [own, theirs])
    w.web_list(adm, "admin")
    w.web_mass(adm, "admin", "disable", [theirs])

    # Super admin: everybody's tokens, and tokens for others (not for a user that does not exist).
    step("super admin")
    user_a_token = token_of("pm-user-a").tokenid
    w.api(sup.api_session, "token.get", {"output": OUTPUT_FIELDS, "sortfield": "tokenid"})
    w.api(sup.api_session, "token.create", {"name": "given", "userid": P["pm-user-a"].userid})
    w.api(sup.api_session, "token.create", {"name": "given", "userid": P["pm-user-a"].userid})  # name taken
    w.api(sup.api_session, "token.create", [{"name": "pair"}, {"name": "pair", "userid": sup.userid}])
    w.api(sup.api_session, "token.create", {"name": "ghost", "userid": MISSING_USERID})
    w.api(sup.api_session, "token.update", {"tokenid": user_a_token, "description": "seen by the super admin"})
    w.api(sup.api_session, "token.generate", [user_a_token])  # "Created by" becomes pm-super
    w.web_list(sup, "admin")
    w.web_create(sup, "admin", "given-in-ui", "", 0, 0, owner=P["pm-user-b"].userid)
    w.web_create(sup, "admin", "ghost", "", 0, 0, owner=MISSING_USERID)
    w.web_mass(sup, "own", "disable", [user_a_token])  # /user/tokens: own tokens only, even here
    w.web_mass(sup, "admin", "disable", [user_a_token])
    w.web_mass(sup, "admin", "enable", [user_a_token])
    w.verify_state()

    # Revoked credentials: a superseded value, a disabled token, an expired one, a deleted one.
    step("revoked tokens")
    value = token_of("pm-user-a").value
    w.api(admin, "token.generate", [user_a_token])
    w.api(value, "token.get", {})
    w.check_authentication(value)
    value = token_of("pm-user-a").value
    w.api(admin, "token.update", {"tokenid": user_a_token, "status": 1})
    w.api(value, "token.get", {})
    w.check_authentication(value)
    w.api(admin, "token.update", {"tokenid": user_a_token, "status": 0, "expires_at": PAST})
    w.api(value, "token.get", {})
    w.check_authentication(value)
    w.api(admin, "token.update", {"tokenid": user_a_token, "expires_at": FUTURE})
    w.api(value, "token.get", {})
    w.api(value, "token.update", {"tokenid": user_a_token, "status": 1})  # a token disabling itself
    w.api(value, "token.get", {})
    w.api(admin, "token.delete", [user_a_token])
    w.api(value, "token.get", {})
    w.api(secrets.token_hex(32), "token.get", {})
    w.api(secrets.token_hex(16), "token.get", {})
    w.api(None, "token.get", {})

    # Disabled users: by the shipped group, by a group switched off, and back on.
    step("disabled users")
    dis, sw = P["pm-disabled"], P["pm-switch"]
    w.api(token_of("pm-disabled").value, "token.get", {})
    w.check_authentication(token_of("pm-disabled").value)
    w.login(dis)
    w.web_login(dis)
    w.api(token_of("pm-switch").value, "token.get", {})
    w.login(sw)
    w.set_group_status(w.groupids["switch"], 0)
    w.api(token_of("pm-switch").value, "token.get", {})
    w.login(sw)
    w.web_login(sw)
    w.api(sw.api_session, "token.create", {"name": "while-enabled"})
    w.set_group_status(w.groupids["switch"], 1)
    w.api(sw.api_session, "token.get", {})  # ends the session
    w.web_list(sw, "own")  # ends the web session
    w.set_group_status(w.groupids["switch"], 0)
    w.api(sw.api_session, "token.get", {})  # still ended
    w.web_list(sw, "own")
    w.login(sw)
    w.web_login(sw)
    w.api(sw.api_session, "token.get", {})
    w.set_user_disabled(sw, True)
    w.api(token_of("pm-switch").value, "token.get", {})
    w.check_authentication(token_of("pm-switch").value)
    w.set_user_disabled(sw, False)
    w.api(token_of("pm-switch").value, "token.get", {})

    # Expired token of a disabled owner: the spec checks the expiry first (§3.3 b before c–d).
    step("expired token of a disabled owner")
    sw_token = token_of("pm-switch")
    w.api(admin, "token.update", {"tokenid": sw_token.tokenid, "expires_at": PAST})
    w.api(sw_token.value, "token.get", {})
    w.set_user_disabled(sw, True)
    w.api(sw_token.value, "token.get", {})
    w.check_authentication(sw_token.value)
    w.set_user_disabled(sw, False)
    w.api(admin, "token.update", {"tokenid": sw_token.tokenid, "expires_at": 0})

    # No access to the frontend: the API does not care; the sign-in page refuses.
    step("no frontend access")
    nogui = P["pm-nogui"]
    w.api(nogui.api_session, "token.get", {"output": OUTPUT_FIELDS})
    w.api(token_of("pm-nogui").value, "token.create", {"name": "no-gui"})
    w.web_login(nogui)

    # Turning "Manage API tokens" off and on takes effect at once for sessions, tokens and pages.
    step("manage_api_tokens toggled")
    user_a = P["pm-user-a"]
    w.api(user_a.api_session, "token.create", {"name": "before"})
    w.set_manage(w.roleids["user-tok"], False)
    w.api(user_a.api_session, "token.get", {})
    w.web_list(user_a, "own")
    w.web_create(user_a, "own", "during", "", 0, 0)
    w.set_manage(w.roleids["user-tok"], True)
    w.api(user_a.api_session, "token.get", {"output": OUTPUT_FIELDS})
    w.web_create(user_a, "own", "after", "", FUTURE, 0)
    after = next(t for t in m.tokens.values() if t.name == "after" and t.userid == user_a.userid)
    w.api(after.value, "token.get", {"output": OUTPUT_FIELDS})
    w.web_update(user_a, "own", after.tokenid, "after", "", FUTURE, 0, regenerate=True)
    w.api(after.value, "token.get", {"output": OUTPUT_FIELDS})
    w.set_manage(w.roleids["super"], False)
    w.web_list(sup, "admin")
    w.web_list(sup, "own")
    w.api(sup.api_session, "token.get", {})
    w.set_manage(w.roleids["super"], True)
    # Without the UI element Administration → General only the every-user list goes away.
    w.set_ui_general(w.roleids["super"], False)
    w.web_list(sup, "admin")
    w.web_mass(sup, "admin", "disable", [token_of("pm-super").tokenid])
    w.web_list(sup, "own")
    w.api(sup.api_session, "token.get", {"output": OUTPUT_FIELDS, "sortfield": "tokenid"})
    w.set_ui_general(w.roleids["super"], True)

    # A role change makes an Admin-type user a Super admin and back.
    step("role change")
    w.set_user_role(adm, w.roleids["super"])
    w.api(adm.api_session, "token.get", {"output": OUTPUT_FIELDS, "sortfield": "tokenid"})
    w.web_list(adm, "admin")
    w.set_user_role(adm, w.roleids["admin-tok"])
    w.api(adm.api_session, "token.get", {"output": OUTPUT_FIELDS, "sortfield": "tokenid"})

    # A form post with a wrong CSRF field changes nothing.
    step("csrf")
    w.web_bad_csrf(sup, "admin", token_of("pm-super").tokenid)
    w.verify_state()
    assert not w.disagreements, w.summary()
