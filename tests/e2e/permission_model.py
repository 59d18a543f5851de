"""A reference model of who may do what with API tokens, written from the Zabbix 6.0.14 spec.

`tests/e2e/test_permission_model.py` drives a real server and this model with the same operations
and compares them step by step. Nothing here talks to a server: the model holds the state it
predicts (roles, user groups, users, sessions, tokens and every token value ever generated) and,
for each operation, answers with a `Plan` — the expected outcome and what to change in the state
once the operation has run.

Sources of every rule (section numbers of ../shared/spec/):
- zabbix-token-api.md §2.1 and users §0.1: token.* need user type >= 1, `api.access` on and the
  action `actions.manage_api_tokens` on, else P `No permissions to call "token.x".` (as typed);
- token §3.3: a 64-character `auth` is a token: unknown, superseded, deleted or disabled =>
  P `Not authorized.`; then expired => A `API token expired.`; then an owner in a group with
  `users_status` 1 => P `Not authorized.`. `gui_access` is not checked for tokens;
- token §3.3 step 3, users §2.2: anything else is a session id: missing or passive =>
  P `Session terminated, re-login, please.`; an owner now in a disabled group also ends the session
  (it is made passive, so it stays dead after the user is enabled again);
- token §2.2–2.6: create (in-request uniqueness, "User with ID … is not available.", name clash),
  update/delete/generate (visibility: Super admins every token, others their own, all-or-nothing
  A `No permissions to referred object or it does not exist!`), generate sets `creator_userid`;
  token.get adds `userid = caller` for everyone but Super admins;
- token §3.5: user.checkAuthentication with a token runs the token checks only, no role gate;
- users §2.1: user.login of a user in a disabled group => P `No permissions for system access.`;
  `api.access` does not matter for logging in;
- token §5: the web pages. The own-token pages need only "Manage API tokens" (frontend calls skip
  the API gate, so `api.access` 0 does not matter there); the every-user pages need a Super admin
  role with that action and the UI element `administration.general`. Where the spec describes
  Zabbix's routes and Tessera has its own (`/tokens`, `/user/tokens`), the model follows what
  Tessera's pages promise (see the notes at `web_allowed` and `web_mass`).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

# --------------------------------------------------------------------------------------------
# Error answers, exactly as the spec writes them.

PARAMS = (-32602, "Invalid params.")  # "API error P"
APPLICATION = (-32500, "Application error.")  # "API error A"

NOT_AUTHORIZED = "Not authorized."
SESSION_TERMINATED = "Session terminated, re-login, please."
TOKEN_EXPIRED = "API token expired."
NO_SUCH_OBJECT = "No permissions to referred object or it does not exist!"
NO_SYSTEM_ACCESS = "No permissions for system access."

USER_TYPE_USER, USER_TYPE_ADMIN, USER_TYPE_SUPER = 1, 2, 3


def no_permissions_to_call(method: str) -> str:
    return f'No permissions to call "{method}".'


def user_not_available(userid: str) -> str:
    return f'User with ID "{userid}" is not available.'


def name_taken(name: str, userid: str) -> str:
    return f'API token "{name}" already exists for userid "{userid}".'


def duplicate(index: int, what: str) -> str:
    """`Invalid parameter "/2": value (userid, name)=(1, x) already exists.` and its kin (index from 0)."""
    return f'Invalid parameter "/{index + 1}": value {what} already exists.'


# The forms refuse an expiry that has passed (Zabbix would make an expired token; docs/compatibility.md).
EXPIRY_PASSED = 'Incorrect value for field "expires_at": the time has passed.'

# Web page texts (spec §5.2, §5.4; the access-denied page is Tessera's "standard" one).
WEB_TITLES = {
    ("create", True): "API token added",
    ("create", False): "Cannot add API token",
    ("update", True): "API token updated",
    ("update", False): "Cannot update API token",
    ("enable", True): ("API token enabled", "API tokens enabled"),
    ("enable", False): ("Cannot enable API token", "Cannot enable API tokens"),
    ("disable", True): ("API token disabled", "API tokens disabled"),
    ("disable", False): ("Cannot disable API token", "Cannot disable API tokens"),
    ("delete", True): ("API token deleted", "API tokens deleted"),
    ("delete", False): ("Cannot delete API token", "Cannot delete API tokens"),
}
ACCESS_DENIED = "Access denied"
# A token the page may not show is not found, the same as one that does not exist (Zabbix: access denied).
NOT_FOUND = "Page not found"
TOKEN_VALUE_RE = re.compile(r"[0-9a-f]{64}")


class AnyTokenValue:
    """Equal to any 64-character lowercase hex string: stands for a freshly generated token value."""

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and TOKEN_VALUE_RE.fullmatch(other) is not None

    def __repr__(self) -> str:
        return "<any 64-hex token>"


ANY_TOKEN = AnyTokenValue()


class AnyUnixTime:
    """Equal to any decimal string: `lastaccess` and `created_at` depend on the clock, not on the rules."""

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and other.isdigit()

    def __repr__(self) -> str:
        return "<any unix time>"


ANY_TIME = AnyUnixTime()


class UnorderedRows(list):
    """token.get rows without `sortfield`: the order is unspecified (token §2.6), so any order of
    the same rows is equal."""

    def __eq__(self, other) -> bool:
        if not isinstance(other, list) or len(other) != len(self):
            return False
        rest = list(other)
        for row in self:
            match = next((i for i, candidate in enumerate(rest) if row == candidate), None)
            if match is None:
                return False
            del rest[match]
        return True

    def __ne__(self, other) -> bool:
        return not self == other


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The answer of one JSON-RPC call: a result, or an error (code, message, data)."""

    result: Any = None
    error: tuple[int, str, str] | None = None

    @staticmethod
    def ok(result) -> "Outcome":
        return Outcome(result=result)

    @staticmethod
    def params(data: str) -> "Outcome":
        return Outcome(error=(*PARAMS, data))

    @staticmethod
    def application(data: str) -> "Outcome":
        return Outcome(error=(*APPLICATION, data))

    @property
    def failed(self) -> bool:
        return self.error is not None

    def matches(self, answer: dict) -> bool:
        """True when a decoded JSON-RPC response says exactly this."""
        if self.error is not None:
            err = answer.get("error")
            return "result" not in answer and err is not None and (err.get("code"), err.get("message"), err.get("data")) == self.error
        return "error" not in answer and "result" in answer and self.result == answer["result"]

    def __str__(self) -> str:
        if self.error is not None:
            return f"error {self.error[0]} {self.error[1]!r} {self.error[2]!r}"
        return f"result {self.result!r}"


def _noop(_actual) -> None:
    pass


@dataclasses.dataclass
class Plan:
    """What the model expects from one operation, and how the operation changes the model.

    `commit(actual)` is called once the operation has run, with what the server answered (the
    JSON-RPC result, or for web posts the token value the page showed): generated token values
    are only known then. It runs for refusals too (a refused session may have ended)."""

    outcome: Any
    commit: Callable[[Any], None] = _noop


# --------------------------------------------------------------------------------------------
# State


@dataclasses.dataclass
class Role:
    roleid: str
    name: str
    type: int
    manage_api_tokens: bool = True
    api_access: bool = True
    ui_general: bool = True  # ui.administration.general (only Super admin roles have it)


@dataclasses.dataclass
class Group:
    usrgrpid: str
    name: str
    users_status: int = 0  # 1 = every member is disabled
    gui_access: int = 0  # 3 = no frontend (does not matter for the API)


@dataclasses.dataclass
class User:
    userid: str
    username: str
    password: str
    roleid: str
    groups: list[str]


@dataclasses.dataclass
class Token:
    tokenid: str
    name: str
    userid: str
    creator_userid: str
    description: str = ""
    status: int = 0
    expires_at: int = 0
    value: str | None = None  # the current plaintext; None until generated

    def row(self) -> dict:
        """The token as token.get shows it with OUTPUT_FIELDS."""
        return {
            "tokenid": self.tokenid,
            "name": self.name,
            "description": self.description,
            "userid": self.userid,
            "status": str(self.status),
            "expires_at": str(self.expires_at),
            "creator_userid": self.creator_userid,
        }


OUTPUT_FIELDS = ["tokenid", "name", "description", "userid", "status", "expires_at", "creator_userid"]


@dataclasses.dataclass
class Session:
    userid: str
    alive: bool = True


@dataclasses.dataclass(frozen=True)
class Caller:
    """An authenticated caller: the user and the kind of credential."""

    user: User
    by_token: bool


class PermissionModel:
    """The predicted state of one server and the rules that act on it."""

    def __init__(self, now: Callable[[], float]):
        self.now = now
        self.roles: dict[str, Role] = {}
        self.groups: dict[str, Group] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.sessions: dict[str, Session] = {}
        self.values: dict[str, str] = {}  # every token value ever generated -> its tokenid
        self.next_tokenid = 1  # ids come from the `ids` table: monotonic, never reused (users §0.4)

    # -- derived facts

    def role(self, user: User) -> Role:
        return self.roles[user.roleid]

    def is_super(self, user: User) -> bool:
        return self.role(user).type == USER_TYPE_SUPER

    def disabled(self, user: User) -> bool:
        """Users are disabled only by membership in a group with users_status 1 (token §6)."""
        return any(self.groups[g].users_status == 1 for g in user.groups)

    def gui_disabled(self, user: User) -> bool:
        return max((self.groups[g].gui_access for g in user.groups), default=0) == 3

    def may_see(self, user: User, token: Token) -> bool:
        """token.get / update / delete / generate visibility (token §2.3–2.6)."""
        return self.is_super(user) or token.userid == user.userid

    def expired(self, token: Token) -> bool:
        return token.expires_at != 0 and token.expires_at < int(self.now())

    def user_by_name(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def snapshot(self) -> list[dict]:
        """Every token, as a Super admin's token.get (OUTPUT_FIELDS, sorted by tokenid) shows them."""
        return [t.row() for t in sorted(self.tokens.values(), key=lambda t: int(t.tokenid))]

    def usable_values(self) -> list[str]:
        """Token values that are the current value of an existing token."""
        return [t.value for t in self.tokens.values() if t.value is not None]

    def revoked_values(self) -> list[str]:
        """Values that were generated once and no longer belong to a token (superseded or deleted)."""
        return [v for v, tid in self.values.items() if tid not in self.tokens or self.tokens[tid].value != v]

    # -- authentication (token §3.3, users §2.2)

    def authenticate(self, auth: str | None) -> tuple[Caller | None, Outcome | None, Callable[[Any], None]]:
        """The caller of an authenticated method, or the refusal. The third item is a state change
        that happens even though the call fails (a session ended because its user is disabled)."""
        if auth is None:
            return None, Outcome.params(NOT_AUTHORIZED), _noop
        if len(auth.encode()) == 64:
            return self._authenticate_token(auth)
        session = self.sessions.get(auth)
        if session is None or not session.alive:
            return None, Outcome.params(SESSION_TERMINATED), _noop
        user = self.users[session.userid]
        if self.disabled(user):
            def end_session(_actual, session=session):
                session.alive = False

            return None, Outcome.params(SESSION_TERMINATED), end_session
        return Caller(user, by_token=False), None, _noop

    def _authenticate_token(self, value: str):
        tokenid = self.values.get(value)
        token = self.tokens.get(tokenid) if tokenid else None
        # a. unknown, never generated, superseded, deleted or disabled: all look the same.
        if token is None or token.value != value or token.status != 0:
            return None, Outcome.params(NOT_AUTHORIZED), _noop
        # b. expiry is checked before the owner (strictly in the past; the spec's order).
        if self.expired(token):
            return None, Outcome.application(TOKEN_EXPIRED), _noop
        # c.-d. owner in a disabled group.
        owner = self.users[token.userid]
        if self.disabled(owner):
            return None, Outcome.params(NOT_AUTHORIZED), _noop
        return Caller(owner, by_token=True), None, _noop

    def gate(self, caller: Caller, method: str) -> Outcome | None:
        """The role check of an external call to a token.* method (token §3.4)."""
        role = self.role(caller.user)
        if role.type < USER_TYPE_USER or not role.api_access or not role.manage_api_tokens:
            return Outcome.params(no_permissions_to_call(method))
        return None

    # -- the API

    def api_call(self, auth: str | None, method: str, params) -> Plan:
        """Any token.* call as the driver sends it (method typed in lowercase)."""
        caller, refusal, side_effect = self.authenticate(auth)
        if refusal is not None:
            return Plan(refusal, side_effect)
        refusal = self.gate(caller, method)
        if refusal is not None:
            return Plan(refusal)
        handler = {
            "token.get": self._get,
            "token.create": self._create,
            "token.update": self._update,
            "token.delete": self._delete,
            "token.generate": self._generate,
        }[method.lower()]
        if method.lower() in ("token.create", "token.update") and isinstance(params, dict):
            params = [params]  # one object is a list of one (token §2.2)
        return handler(caller.user, params)

    def check_authentication(self, token_value: str) -> Plan:
        """user.checkAuthentication {"token": …}: the token checks of §3.3 a–e, no role gate (§3.5).
        The expected result is the part of the user object the driver compares."""
        caller, refusal, side_effect = self._authenticate_token(token_value)
        if refusal is not None:
            return Plan(refusal, side_effect)
        return Plan(Outcome.ok({"userid": caller.user.userid, "username": caller.user.username}))

    def _get(self, user: User, params: dict) -> Plan:
        rows = [t for t in self.tokens.values() if self.may_see(user, t)]
        if "tokenids" in params:
            rows = [t for t in rows if t.tokenid in params["tokenids"]]
        if "userids" in params:
            rows = [t for t in rows if t.userid in params["userids"]]
        rows.sort(key=lambda t: int(t.tokenid))
        output = params.get("output", "extend")
        if output == "extend":  # every field, with the clock-dependent ones matched loosely
            result = [t.row() | {"lastaccess": ANY_TIME, "created_at": ANY_TIME} for t in rows]
        else:
            result = [{k: v for k, v in t.row().items() if k in output} for t in rows]
        if params.get("sortfield") != "tokenid":
            result = UnorderedRows(result)
        return Plan(Outcome.ok(result))

    def _create(self, user: User, items: list[dict]) -> Plan:
        """token.create (token §2.2): uniqueness in the request, owners, name clashes, insert."""
        pairs = []
        for index, item in enumerate(items):
            pair = (item.get("userid", user.userid), item["name"])
            if pair in pairs:
                return Plan(Outcome.params(duplicate(index, f"(userid, name)=({pair[0]}, {pair[1]})")))
            pairs.append(pair)
        others = list(dict.fromkeys(uid for uid, _ in pairs if uid != user.userid))
        if others:
            if not self.is_super(user):
                return Plan(Outcome.params(user_not_available(others[0])))
            for uid in others:
                if uid not in self.users:
                    return Plan(Outcome.params(user_not_available(uid)))
        clash = self._first_clash(pairs)
        if clash is not None:
            return Plan(Outcome.params(name_taken(clash.name, clash.userid)))
        ids = [str(self.next_tokenid + n) for n in range(len(items))]

        def insert(_actual):
            for tokenid, item, (uid, name) in zip(ids, items, pairs):
                self.tokens[tokenid] = Token(
                    tokenid=tokenid, name=name, userid=uid, creator_userid=user.userid,
                    description=item.get("description", ""), status=int(item.get("status", 0)),
                    expires_at=int(item.get("expires_at", 0)),
                )
            self.next_tokenid += len(items)

        return Plan(Outcome.ok({"tokenids": ids}), insert)

    def _first_clash(self, pairs: list[tuple[str, str]]) -> Token | None:
        """The existing token (lowest id: the order rows are read in) that holds one of the pairs."""
        clashes = [t for t in self.tokens.values() if (t.userid, t.name) in pairs]
        return min(clashes, key=lambda t: int(t.tokenid)) if clashes else None

    def _update(self, user: User, items: list[dict]) -> Plan:
        """token.update (token §2.3)."""
        ids = [str(item["tokenid"]) for item in items]
        for index, tokenid in enumerate(ids):
            if tokenid in ids[:index]:
                return Plan(Outcome.params(duplicate(index, f"(tokenid)=({tokenid})")))
        if not all(tid in self.tokens and self.may_see(user, self.tokens[tid]) for tid in ids):
            return Plan(Outcome.application(NO_SUCH_OBJECT))
        named = []
        for index, item in enumerate(items):
            if "name" in item:
                pair = (self.tokens[ids[index]].userid, item["name"])
                if pair in named:
                    return Plan(Outcome.params(duplicate(index, f"(userid, name)=({pair[0]}, {pair[1]})")))
                named.append(pair)
        renamed = [
            (self.tokens[tid].userid, item["name"])
            for tid, item in zip(ids, items)
            if "name" in item and item["name"] != self.tokens[tid].name
        ]
        clash = self._first_clash(renamed)
        if clash is not None:
            return Plan(Outcome.params(name_taken(clash.name, clash.userid)))

        def apply(_actual):
            for tid, item in zip(ids, items):
                token = self.tokens[tid]
                for key in ("name", "description"):
                    if key in item:
                        setattr(token, key, item[key])
                for key in ("status", "expires_at"):
                    if key in item:
                        setattr(token, key, int(item[key]))

        return Plan(Outcome.ok({"tokenids": ids}), apply)

    def _id_list_checks(self, user: User, ids: list[str]) -> Outcome | None:
        """Validation and visibility of token.delete / token.generate (token §2.4, §2.5)."""
        for index, tokenid in enumerate(ids):
            if tokenid in ids[:index]:
                return Outcome.params(duplicate(index, f"({tokenid})"))
        if not all(tid in self.tokens and self.may_see(user, self.tokens[tid]) for tid in ids):
            return Outcome.application(NO_SUCH_OBJECT)
        return None

    def _delete(self, user: User, ids: list[str]) -> Plan:
        refusal = self._id_list_checks(user, ids)
        if refusal is not None:
            return Plan(refusal)

        def remove(_actual):
            for tid in ids:
                del self.tokens[tid]

        return Plan(Outcome.ok({"tokenids": ids}), remove)

    def _generate(self, user: User, ids: list[str]) -> Plan:
        refusal = self._id_list_checks(user, ids)
        if refusal is not None:
            return Plan(refusal)

        def store(actual):
            for entry in actual:
                self.set_value(entry["tokenid"], entry["token"], creator=user.userid)

        return Plan(Outcome.ok([{"tokenid": tid, "token": ANY_TOKEN} for tid in ids]), store)

    def set_value(self, tokenid: str, value: str, creator: str) -> None:
        """A new value for a token (generate): the old one stops working, "Created by" becomes the caller."""
        token = self.tokens[tokenid]
        token.value = value
        token.creator_userid = creator
        self.values[value] = tokenid

    # -- user.login (users §2.1)

    def login(self, username: str, password: str) -> Plan:
        user = self.user_by_name(username)
        if user is None or user.password != password:
            raise ValueError("the driver only logs in with known credentials")
        if self.disabled(user):
            return Plan(Outcome.params(NO_SYSTEM_ACCESS))

        def open_session(sessionid):
            self.sessions[sessionid] = Session(user.userid)

        return Plan(Outcome.ok(ANY_SESSION), open_session)

    # -- changes made by the Super admin (the driver asserts they succeed)

    def set_role_rule(
        self, roleid: str, *, manage_api_tokens: bool | None = None, api_access: bool | None = None, ui_general: bool | None = None
    ) -> None:
        role = self.roles[roleid]
        if manage_api_tokens is not None:
            role.manage_api_tokens = manage_api_tokens
        if api_access is not None:
            role.api_access = api_access
        if ui_general is not None:
            role.ui_general = ui_general

    def set_group_status(self, usrgrpid: str, users_status: int) -> None:
        self.groups[usrgrpid].users_status = users_status

    def set_user_groups(self, userid: str, groups: list[str]) -> None:
        self.users[userid].groups = list(groups)

    def set_user_role(self, userid: str, roleid: str) -> None:
        self.users[userid].roleid = roleid

    # -- the web UI (token §5; Tessera's routes)

    def web_session(self, sessionid: str | None) -> tuple[User | None, Callable[[Any], None]]:
        """The signed-in user of a page request, or None (=> 303 to /login); a disabled user's
        session ends here as on the API."""
        session = self.sessions.get(sessionid) if sessionid else None
        if session is None or not session.alive:
            return None, _noop
        user = self.users[session.userid]
        if self.disabled(user):
            def end_session(_actual, session=session):
                session.alive = False

            return None, end_session
        return user, _noop

    def web_allowed(self, user: User, variant: str) -> bool:
        """May `user` open the token pages of `variant` ("own" = /user/tokens, "admin" = /tokens)?

        Own tokens: the action "Manage API tokens" only (§5.1) — the API gate (api.access) does
        not apply to the frontend. Every user's tokens: additionally a Super admin role with the
        UI element administration.general."""
        role = self.role(user)
        if user.username == "guest" or not role.manage_api_tokens:
            return False
        return variant == "own" or (role.type == USER_TYPE_SUPER and role.ui_general)

    def web_token(self, user: User, variant: str, tokenid: str) -> Token | None:
        """The token an edit page / update post may show: on /user/tokens only the viewer's own
        (even for a Super admin: the page lists "always only the current user's tokens", §5.3)."""
        token = self.tokens.get(tokenid)
        if token is None or not self.may_see(user, token):
            return None
        if variant == "own" and token.userid != user.userid:
            return None
        return token

    def web_list(self, user: User, variant: str) -> list[str]:
        """Token ids the list page shows (no filter set, every row on one page)."""
        rows = [t for t in self.tokens.values() if self.may_see(user, t)]
        if variant == "own":
            rows = [t for t in rows if t.userid == user.userid]
        return sorted(t.tokenid for t in rows)

    def web_create(self, user: User, fields: dict) -> Plan:
        """The Add form: token.create then token.generate as the viewer, no API gate (§5.4).
        Outcome: ("view", title) with the value shown, or ("form", title, details)."""
        if 0 < fields["expires_at"] <= int(self.now()):
            return Plan(("form", WEB_TITLES[("create", False)], [EXPIRY_PASSED]))
        plan = self._create(user, [fields])
        if plan.outcome.failed:
            return Plan(("form", WEB_TITLES[("create", False)], [plan.outcome.error[2]]))
        tokenid = plan.outcome.result["tokenids"][0]

        def insert_and_generate(value):
            plan.commit(None)
            self.set_value(tokenid, value, creator=user.userid)

        return Plan(("view", WEB_TITLES[("create", True)], tokenid), insert_and_generate)

    def web_update(self, user: User, variant: str, tokenid: str, fields: dict, regenerate: bool) -> Plan:
        """The Update (and Regenerate) button: 404 for a token the page may not show, the form's
        refusal of an expiry that has passed (unless it is the stored one), else token.update
        (+ token.generate) with the form's fields (§5.4)."""
        stored = self.web_token(user, variant, tokenid)
        if stored is None:
            return Plan(("not found",))
        if 0 < fields["expires_at"] <= int(self.now()) and fields["expires_at"] != stored.expires_at:
            return Plan(("form", WEB_TITLES[("update", False)], [EXPIRY_PASSED]))
        plan = self._update(user, [{"tokenid": tokenid, **fields}])
        if plan.outcome.failed:
            return Plan(("form", WEB_TITLES[("update", False)], [plan.outcome.error[2]]))
        if not regenerate:
            return Plan(("redirect", WEB_TITLES[("update", True)], []), plan.commit)

        def update_and_generate(value):
            plan.commit(None)
            self.set_value(tokenid, value, creator=user.userid)

        return Plan(("view", WEB_TITLES[("update", True)], tokenid), update_and_generate)

    def web_mass(self, user: User, variant: str, action: str, ids: list[str]) -> Plan:
        """Enable / disable / delete posts of the lists (§5.2): token.update of status or
        token.delete, all-or-nothing, with the singular or plural message.

        On /user/tokens every id must be the viewer's own, also for a Super admin (Tessera's page
        only ever shows those; Zabbix shares one action controller between both lists and lets the
        API decide, see the report)."""
        one = len(ids) == 1
        done = WEB_TITLES[(action, True)][0 if one else 1]
        failed = WEB_TITLES[(action, False)][0 if one else 1]
        if variant == "own" and not all(tid in self.tokens and self.tokens[tid].userid == user.userid for tid in ids):
            return Plan(("redirect", failed, [NO_SUCH_OBJECT]))
        if action == "delete":
            plan = self._delete(user, ids)
        else:
            status = 0 if action == "enable" else 1
            plan = self._update(user, [{"tokenid": tid, "status": status} for tid in ids])
        if plan.outcome.failed:
            return Plan(("redirect", failed, [plan.outcome.error[2]]))
        return Plan(("redirect", done, []), plan.commit)


class AnySessionId:
    """Equal to any 32-character lowercase hex string (a new session id)."""

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and re.fullmatch(r"[0-9a-f]{32}", other) is not None

    def __repr__(self) -> str:
        return "<any 32-hex session id>"


ANY_SESSION = AnySessionId()
