"""What the API fuzzer (fuzzing.py) sends.

- JSON text with features Python's `json` cannot write: `Raw` pieces (1e400, numbers as written,
  lone surrogate escapes, invalid UTF-8, nesting hundreds of levels deep) and `Pairs` (objects with
  a key given twice);
- hostile values and a `Mutator` that rewrites a valid value (wrong types, dropped and unknown
  members, duplicate keys, wrapping, hostile leaves);
- `Pools`: ids, names, sessions and tokens learnt from the server's answers;
- `VALID_PARAMS`: valid params of every method the server offers, built from the pools;
- `RequestFactory`: whole HTTP requests (`Sent`) of several kinds, each with what its answer must
  look like.

Everything random comes from one `random.Random`, so a seed replays the same requests against a
fresh server.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import random
import re
from typing import Callable

API_PATH = "/api_jsonrpc.php"
# api_jsonrpc.php treats every one of these verbs as a call (OPTIONS is the CORS preflight).
CALL_VERBS = ("POST", "GET", "PUT", "PATCH", "DELETE")
JSON_CONTENT_TYPES = ("application/json-rpc", "application/json", "application/jsonrequest")
MAX_BODY = 16 * 1024 * 1024  # larger bodies are refused with 413
ONE_MB = 1 << 20

METHODS = (
    "apiinfo.version",
    "user.login", "user.logout", "user.checkAuthentication", "user.get", "user.create", "user.update",
    "user.delete", "user.unblock",
    "usergroup.get", "usergroup.create", "usergroup.update", "usergroup.delete",
    "role.get", "role.create", "role.update", "role.delete",
    "token.get", "token.create", "token.update", "token.delete", "token.generate",
    "auditlog.get", "settings.get", "authentication.get",
)
ANONYMOUS_METHODS = {"apiinfo.version", "user.login", "user.checkauthentication"}
FUZZ_PASSWORD = "Fuzz-Passw0rd!"  # password of the users the fuzzer creates


# ---------------------------------------------------------------------------------------------
# JSON text


@dataclasses.dataclass(frozen=True)
class Raw:
    """JSON text put verbatim where a value goes. `valid` is False when a strict parser (PHP's
    json_decode, depth 512) must refuse the whole body because of it."""

    text: bytes
    valid: bool = True


@dataclasses.dataclass(frozen=True)
class Pairs:
    """A JSON object written from (key, value) pairs, so that a key can occur twice."""

    items: tuple


@dataclasses.dataclass
class Encoded:
    body: bytes
    valid: bool  # False: the text may legitimately be answered with a parse error


def encode(value, ascii_only: bool = True) -> Encoded:
    """JSON text of a value made of dicts, lists, str, int, float, bool, None, Raw and Pairs.

    With `ascii_only=False` strings are written as UTF-8; lone surrogates in them then become
    invalid UTF-8 (CESU-8 bytes), which makes the text invalid."""
    out = bytearray()
    state = {"valid": True}
    _encode(value, out, ascii_only, state)
    return Encoded(bytes(out), state["valid"])


def _encode(value, out: bytearray, ascii_only: bool, state: dict) -> None:
    if isinstance(value, Raw):
        out += value.text
        state["valid"] &= value.valid
    elif isinstance(value, (dict, Pairs)):
        items = value.items if isinstance(value, Pairs) else value.items()
        out += b"{"
        for i, (key, member) in enumerate(items):
            if i:
                out += b","
            _encode(str(key), out, ascii_only, state)
            out += b":"
            _encode(member, out, ascii_only, state)
        out += b"}"
    elif isinstance(value, (list, tuple)):
        out += b"["
        for i, member in enumerate(value):
            if i:
                out += b","
            _encode(member, out, ascii_only, state)
        out += b"]"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=ascii_only)
        if not ascii_only and re.search("[\ud800-\udfff]", text):
            state["valid"] = False
        out += text.encode("utf-8", "surrogatepass")
    elif isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        out += json.dumps(value).encode()  # NaN / Infinity: not JSON
        state["valid"] = False
    else:
        out += json.dumps(value).encode()


def deep(depth: int, kind: str = "array") -> Raw:
    """`depth` nested arrays, objects or both alternating, written without recursion. PHP (and
    Tessera) refuse more than 512 levels in the whole body."""
    opens, closes = [], []
    for level in range(depth):
        as_object = kind == "object" or (kind == "mixed" and level % 2)
        opens.append(b'{"k":' if as_object else b"[")
        closes.append(b"}" if as_object else b"]")
    inner = b"0" if kind != "array" else b""
    if kind == "mixed" and depth and opens[-1] == b"[":
        inner = b"0"
    return Raw(b"".join(opens) + inner + b"".join(reversed(closes)), valid=depth < 500)


# ---------------------------------------------------------------------------------------------
# Hostile values

WRONG_TYPES = [None, True, False, 0, 1, -1, 1.5, "", "x", [], {}, [None], {"": ""}, [[]], {"0": "1"}, [{}], "[]", "{}"]
BIG_NUMBERS = [
    Raw(b"1e400"), Raw(b"-1e400"), Raw(b"99999999999999999999999"), Raw(b"18446744073709551616"),
    Raw(b"9223372036854775808"), Raw(b"-9223372036854775809"), Raw(b"1E+2"), Raw(b"-0"), Raw(b"0.1e-400"),
    Raw(b"1.0"), Raw(b"2147483648"), Raw(b"4294967296"), Raw(b"1" + b"0" * 400), Raw(b"-0.0e0"),
    2**63 - 1, -(2**63), 2**31, 1.7976931348623157e308, 5e-324,
]
ID_LIKE = [
    "-1", "0", "00001", " 1", "1 ", "+1", "1e3", "0x10", "1.0", "9223372036854775807", "9223372036854775808",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999", "\u0663", "\uff11", "1\x00", "",
    -1, 0, -9999999999,
]
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xe2\x82", b"\xf0\x9f\x98", b"\xfe\xfe\xff\xff"]
ESCAPES = [
    (b'"\\ud800"', False), (b'"\\udfff"', False), (b'"x\\ud83d"', False), (b'"\\ude00\\ud83d"', False),
    (b'"\\ud83d\\ude00"', True), (b'"\\u0000"', True), (b'"a\\u0000b"', True), (b'"\\uDEAD"', False),
    (b'"\\u12"', False), (b'"\\x41"', False), (b'"\\/\\b\\f"', True), (b'"\\u00e9\\u4e2d"', True),
]
TEXTS = [
    "a\x00b", "\x00", "\t\n\r", "\x7f", "\x1b[31m", "\u03a9\u2248\u00e7\u221a", "\U0001F600" * 10, "\u202eevil",
    "\u00df", "\u0130", "\u01c5", "\ufeff", "e\u0301", "\u4e2d\u6587", "\U0001D518\U0001D52B", "' OR '1'='1",
    "%", "_", "\\", "%s%n", "${jndi:x}", "{{x}}", "<script>", "*", "a%_\\", "null", "true", "extend", "count",
    "Admin", "admin", "guest", " Admin", "Admin ", "90s", "15m", "1h", "1d", "1w", "86400", "86401", "1y", "2m",
    "en_US", "nl_NL", "xx_XX", "default", "Europe/Amsterdam", "Mars/Olympus", "dark-theme", "http://x", "javascript:x",
]
KEYS = [
    "foo", "", "0", "1", "output", "limit", "userid", "userids", "tokenid", "tokenids", "usrgrpid", "roleid",
    "name", "passwd", "password", "username", "preservekeys", "sortfield", "sortorder", "selectUsers",
    "selectRules", "selectUsrgrps", "selectRole", "countOutput", "editable", "filter", "search", "token",
    "sessionid", "extend", "rules", "users", "usrgrps", "status", "expires_at", "\u00e9", "\x00", "a" * 300,
]


def long_string(rng: random.Random, allow_huge: bool) -> str:
    lengths = [64, 65, 100, 101, 255, 256, 2048, 2049, 65536] + ([ONE_MB] if allow_huge else [])
    return rng.choice(["a", "\u00e9", "\U0001F600", " ", "9"]) * rng.choice(lengths)


def hostile(rng: random.Random, pick_id: Callable[[], str], allow_huge: bool) -> object:
    """One value from the families above (or an id the server knows)."""
    family = rng.choice(
        ["wrong", "wrong", "number", "number", "idlike", "id", "id", "long", "deep", "utf8", "escape", "text", "text"]
    )
    if family == "wrong":
        return rng.choice(WRONG_TYPES)
    if family == "number":
        return rng.choice(BIG_NUMBERS)
    if family == "idlike":
        return rng.choice(ID_LIKE)
    if family == "id":
        value = pick_id()
        return int(value) if rng.random() < 0.3 and value.isdigit() else value
    if family == "long":
        if allow_huge and rng.random() < 0.3:
            return "a" * ONE_MB
        return long_string(rng, allow_huge)
    if family == "deep":
        return deep(rng.choice([32, 200, 400, 510, 511, 512, 513, 600, 5000]), rng.choice(["array", "object", "mixed"]))
    if family == "utf8":
        return Raw(b'"a' + rng.choice(INVALID_UTF8) + b'b"', valid=False)
    if family == "escape":
        text, valid = rng.choice(ESCAPES)
        return Raw(text, valid)
    return rng.choice(TEXTS)


class Mutator:
    """Rewrites a value a few times: descends into containers, drops or adds members, duplicates
    keys, changes types, wraps, or replaces a leaf with a hostile value."""

    def __init__(self, rng: random.Random, pick_id: Callable[[], str], allow_huge: bool = False):
        self.rng = rng
        self.pick_id = pick_id
        self.allow_huge = allow_huge

    def hostile(self):
        return hostile(self.rng, self.pick_id, self.allow_huge)

    def mutate(self, value, depth: int = 0):
        """One rewrite of `value`, chosen among those that fit its type."""
        ops = ["replace", "retype", "wrap"]
        if isinstance(value, (dict, list)):
            ops += ["add", "add"]
            if value:
                ops += ["descend"] * 5 + ["drop", "drop"]
        if isinstance(value, dict) and value:
            ops += ["dupkey", "rekey"]
        if depth > 6:
            ops = ["replace"]
        op = self.rng.choice(ops)
        if op == "replace":
            return self.hostile()
        if op == "descend":
            return self.descend(value, depth)
        return getattr(self, op)(value)

    def descend(self, value, depth: int):
        """Mutates one member of a non-empty dict or list."""
        if isinstance(value, dict):
            key = self.rng.choice(list(value))
            return {**value, key: self.mutate(value[key], depth + 1)}
        i = self.rng.randrange(len(value))
        return value[:i] + [self.mutate(value[i], depth + 1)] + value[i + 1:]

    def wrap(self, value):
        return self.rng.choice([[value], {"0": value}, {self.rng.choice(KEYS): value}])

    def dupkey(self, value: dict) -> Pairs:
        """The object with one of its keys given a second time (PHP keeps the last value)."""
        key = self.rng.choice(list(value))
        items = list(value.items()) + [(key, self.hostile())]
        self.rng.shuffle(items)
        return Pairs(tuple(items))

    def rekey(self, value: dict) -> dict:
        """The object with one key misspelt: other case, spaces, a NUL, or another known key."""
        items = list(value.items())
        i = self.rng.randrange(len(items))
        key = items[i][0]
        new = self.rng.choice([key.upper(), key.capitalize(), key + " ", " " + key, key + "\x00", self.rng.choice(KEYS)])
        items[i] = (new, items[i][1])
        return dict(items)

    def retype(self, value):
        rng = self.rng
        if isinstance(value, bool):
            return rng.choice([int(value), str(value).lower(), str(int(value))])
        if isinstance(value, int):
            return rng.choice([str(value), float(value), [value], str(-value), value + 2**63])
        if isinstance(value, str):
            if value.lstrip("-").isdigit() and value.isascii():
                # A long digit string becomes a number token of that many digits.
                number = int(value) if len(value) <= 30 else Raw(value.encode(), valid=bool(re.fullmatch(r"-?(0|[1-9][0-9]*)", value)))
                return rng.choice([number, f" {value}", f"{value}.0", [value]])
            return rng.choice([[value], value.upper(), value * 2, value + "\x00", 0, {"value": value}])
        if isinstance(value, list):
            return {str(i): v for i, v in enumerate(value)} if rng.random() < 0.5 else (value[0] if value else None)
        if isinstance(value, dict):
            return list(value.values()) if rng.random() < 0.5 else {str(i): v for i, v in enumerate(value.values())}
        return self.hostile()

    def add(self, value):
        if isinstance(value, list):
            return value + [self.rng.choice([self.hostile(), value[0] if value else None])]
        return {**value, self.rng.choice(KEYS): self.hostile()}

    def drop(self, value):
        if isinstance(value, dict):
            key = self.rng.choice(list(value))
            return {k: v for k, v in value.items() if k != key}
        i = self.rng.randrange(len(value))
        return value[:i] + value[i + 1:]


# ---------------------------------------------------------------------------------------------
# What the fuzzer learnt


class Pools:
    """Ids, sessions, token values and logins learnt from answers, plus the rows every fresh
    server has (users 1-2, groups 7-12, roles 1-4). The fuzzer's own credentials are not here."""

    RECENT = 200

    def __init__(self, rng: random.Random, admin_password: str):
        self.rng = rng
        self.ids: dict[str, list[str]] = {"token": [], "user": ["1", "2"], "usrgrp": ["7", "8", "9", "11", "12"], "role": ["1", "2", "3", "4"]}
        self.tokens: list[str] = []
        self.sessions: list[str] = []
        self.admin_login = ("Admin", admin_password)
        self.logins: list[tuple[str, str]] = []  # users the fuzzer created, with their password
        self.counter = 0
        self.own: Credentials | None = None  # the fuzzer's own session and token, set by RequestFactory

    def session(self) -> str:
        """A session id for params: mostly one the server gave out (maybe ended since), sometimes the fuzzer's own."""
        if self.own and self.rng.random() < 0.3:
            return self.own.admin_session
        return self.rng.choice(self.sessions or ["0" * 32])

    def token(self) -> str:
        """A token value for params: mostly a generated one (maybe revoked since), sometimes the fuzzer's own."""
        if self.own and self.rng.random() < 0.3:
            return self.own.admin_token
        return self.rng.choice(self.tokens or ["0" * 64])

    def login(self) -> tuple[str, str]:
        """Username and password: Admin's half of the time, else of a user the fuzzer created."""
        return self.admin_login if self.rng.random() < 0.5 else self.rng.choice(self.logins or [self.admin_login])

    def pick(self, kind: str) -> str:
        roll = self.rng.random()
        known = self.ids[kind]
        if roll < 0.85 and known:
            # Mostly recent rows (they still exist), sometimes older ones (maybe deleted).
            return known[-1 - min(int(self.rng.expovariate(0.2)), len(known) - 1)]
        if roll < 0.93:
            return "999999"
        return str(self.rng.randint(1, 60))

    def any_id(self) -> str:
        return self.pick(self.rng.choice(list(self.ids)))

    def name(self, prefix: str) -> str:
        """A name not used before (Unicode now and then)."""
        self.counter += 1
        decoration = self.rng.choice(["", "", "", "-\u00e9\u00df", "-\u4e2d", " x", "-\U0001F600"])
        return f"fz-{prefix}-{self.counter}{decoration}"

    def add(self, kind: str, ids) -> None:
        for i in ids:
            if isinstance(i, str) and i not in self.ids[kind]:
                self.ids[kind].append(i)
        del self.ids[kind][:-self.RECENT]

    def remove(self, kind: str, ids) -> None:
        gone = {str(i) for i in ids}
        self.ids[kind] = [i for i in self.ids[kind] if i not in gone]

    def remember(self, items: list, item) -> None:
        items.append(item)
        del items[:-50]

    def learn(self, method: str, params, result) -> None:
        """Takes ids, sessions and token values from a successful answer."""
        service, _, action = method.lower().partition(".")
        kind = {"token": "token", "user": "user", "usergroup": "usrgrp", "role": "role"}.get(service)
        if kind and action == "create" and isinstance(result, dict):
            self.add(kind, result.get(kind + "ids") or [])
            if kind == "user" and isinstance(params, dict) and params.get("passwd") == FUZZ_PASSWORD:
                self.remember(self.logins, (params.get("username"), FUZZ_PASSWORD))
        elif kind and action == "delete" and isinstance(result, dict):
            self.remove(kind, result.get(kind + "ids") or [])
        elif method.lower() == "token.generate" and isinstance(result, list):
            for item in result:
                if isinstance(item, dict) and isinstance(item.get("token"), str):
                    self.remember(self.tokens, item["token"])
        elif method.lower() == "user.login":
            session = result.get("sessionid") if isinstance(result, dict) else result
            if isinstance(session, str):
                self.remember(self.sessions, session)


# ---------------------------------------------------------------------------------------------
# Valid params of every method


def _user_fields(p: Pools, r: random.Random) -> dict:
    fields = {}
    for key, values in [
        ("name", ["Fiona", "\u00c9mile", ""]),
        ("surname", ["Tester", "\u4e2d"]),
        ("autologout", ["0", "15m", "90s", "1d"]),
        ("autologin", [0, 1]),
        ("lang", ["default", "en_US", "en_GB", "nl_NL"]),
        ("theme", ["default", "blue-theme", "dark-theme", "hc-light", "hc-dark"]),
        ("refresh", ["30s", "0", "1h"]),
        ("rows_per_page", [1, 50, 999999]),
        ("timezone", ["default", "Europe/Amsterdam", "UTC"]),
        ("url", ["", "http://example.com/x", "zabbix.php?action=dashboard.view"]),
    ]:
        if r.random() < 0.3:
            fields[key] = r.choice(values)
    if fields.get("autologin") == 1 and fields.get("autologout", "0") != "0":
        fields["autologin"] = 0
    return fields


def _role_rules(r: random.Random) -> dict:
    rules = {}
    if r.random() < 0.5:
        rules["ui"] = [{"name": r.choice(["monitoring.hosts", "inventory.hosts", "reports.top_triggers"]), "status": r.choice([0, 1])}]
    if r.random() < 0.5:
        rules["actions"] = [{"name": r.choice(["manage_api_tokens", "edit_dashboards", "execute_scripts"]), "status": r.choice([0, 1])}]
    if r.random() < 0.5:
        rules["api.access"] = r.choice([0, 1])
        rules["api.mode"] = r.choice([0, 1])
        rules["api"] = r.sample(["token.get", "token.*", "*.get", "user.get", "role.*", "*"], k=r.randint(0, 3))
    for key in ["ui.default_access", "actions.default_access", "modules.default_access"]:
        if r.random() < 0.2:
            rules[key] = r.choice([0, 1])
    return rules


def _future(r: random.Random) -> int:
    return r.choice([0, 2000000000, 1900000000, 4102444800])


def _get_common(r: random.Random, fields: list[str], sortfields: list[str]) -> dict:
    params: dict = {}
    if r.random() < 0.6:
        params["output"] = r.choice(["extend", r.sample(fields, k=r.randint(1, len(fields)))])
    if r.random() < 0.4:
        params["sortfield"] = r.choice(sortfields)
        if r.random() < 0.5:
            params["sortorder"] = r.choice(["ASC", "DESC"])
    for flag in ["countOutput", "preservekeys", "editable"]:
        if r.random() < 0.1:
            params[flag] = True
    params["limit"] = r.choice([1, 5, 20, 50])
    return params


TOKEN_FIELDS = ["tokenid", "name", "description", "userid", "lastaccess", "status", "expires_at", "created_at", "creator_userid"]
USER_FIELDS = ["userid", "username", "name", "surname", "url", "autologin", "autologout", "lang", "refresh", "theme", "attempt_failed", "attempt_ip", "attempt_clock", "rows_per_page", "timezone", "roleid"]
AUDIT_FIELDS = ["auditid", "userid", "username", "clock", "ip", "action", "resourcetype", "resourceid", "resource_cuid", "resourcename", "recordsetid", "details"]


def _token_get(p: Pools, r: random.Random) -> dict:
    params = _get_common(r, TOKEN_FIELDS, ["tokenid", "name", "lastaccess", "status", "expires_at", "created_at"])
    choice = r.randint(0, 6)
    if choice == 0:
        params["tokenids"] = [p.pick("token") for _ in range(r.randint(1, 3))]
    elif choice == 1:
        params["userids"] = p.pick("user")
    elif choice == 2:
        params["filter"] = {"name": p.name("tok") if r.random() < 0.5 else "fz", "status": r.choice([0, 1])}
    elif choice == 3:
        params["search"] = {"name": r.choice(["fz", "tok", "%", "_", "\u00e9"])}
        params["searchWildcardsEnabled"] = r.random() < 0.3
    elif choice == 4:
        params[r.choice(["valid_at", "expired_at"])] = r.choice([1900000000, 0, 2100000000])
    return params


def _user_get(p: Pools, r: random.Random) -> dict:
    params = _get_common(r, USER_FIELDS, ["userid", "username", "alias"])
    extra = r.choice([
        {}, {"userids": p.pick("user")}, {"usrgrpids": [p.pick("usrgrp")]}, {"selectUsrgrps": ["name"]},
        {"selectRole": "extend"}, {"getAccess": True}, {"search": {"username": "fz"}}, {"filter": {"username": "Admin"}},
        {"search": {"name": "F"}, "searchByAny": True, "startSearch": True},
    ])
    return {**params, **extra}


def _usergroup_get(p: Pools, r: random.Random) -> dict:
    params = _get_common(r, ["usrgrpid", "name", "gui_access", "users_status", "debug_mode"], ["usrgrpid", "name"])
    extra = r.choice([{}, {"usrgrpids": p.pick("usrgrp")}, {"userids": [p.pick("user")]}, {"status": r.choice([0, 1])},
                      {"selectUsers": r.choice(["extend", ["username"], "count"])}, {"search": {"name": "fz"}}])
    return {**params, **extra}


def _role_get(p: Pools, r: random.Random) -> dict:
    params = _get_common(r, ["roleid", "name", "type", "readonly"], ["roleid", "name"])
    extra = r.choice([{}, {"roleids": p.pick("role")}, {"selectRules": r.choice(["extend", ["api", "actions", "ui.default_access"]])},
                      {"selectUsers": r.choice(["count", "extend", ["username"]])}, {"filter": {"type": r.choice([1, 2, 3])}}])
    return {**params, **extra}


def _auditlog_get(p: Pools, r: random.Random) -> dict:
    params = _get_common(r, AUDIT_FIELDS, ["auditid", "userid", "clock"])
    params.pop("editable", None)
    extra = r.choice([{}, {"filter": {"resourcetype": r.choice([0, 11, 44, 45, [45, 0]])}}, {"filter": {"action": [0, 1, 2]}},
                      {"userids": [p.pick("user")]}, {"time_from": 0, "time_till": 2000000000}, {"search": {"details": "token"}}])
    return {**params, **extra}


def _login(p: Pools, r: random.Random) -> dict:
    username, password = p.login()
    params = {"username": username, "password": password}
    if r.random() < 0.2:
        params["userData"] = True
    return params


VALID_PARAMS: dict[str, Callable[[Pools, random.Random], object]] = {
    "apiinfo.version": lambda p, r: r.choice([{}, []]),
    "user.login": _login,
    "user.logout": lambda p, r: r.choice([[], {}]),
    "user.checkAuthentication": lambda p, r: r.choice([{"sessionid": p.session()}, {"sessionid": p.session(), "extend": False}, {"token": p.token()}]),
    "user.get": _user_get,
    "user.create": lambda p, r: {
        "username": p.name("user"), "passwd": FUZZ_PASSWORD, "roleid": p.pick("role"),
        "usrgrps": [{"usrgrpid": p.pick("usrgrp")}], **_user_fields(p, r),
    },
    "user.update": lambda p, r: {"userid": p.pick("user"), **r.choice([
        {"name": "Renamed"}, {"passwd": FUZZ_PASSWORD}, {"usrgrps": [{"usrgrpid": p.pick("usrgrp")}]}, {"roleid": p.pick("role")},
        {"username": p.name("user")}, _user_fields(p, r),
    ])},
    "user.delete": lambda p, r: [p.pick("user") for _ in range(r.randint(1, 2))],
    "user.unblock": lambda p, r: [p.pick("user") for _ in range(r.randint(1, 2))],
    "usergroup.get": _usergroup_get,
    "usergroup.create": lambda p, r: {
        "name": p.name("grp"), "gui_access": r.choice([0, 1, 2, 3]), "users_status": r.choice([0, 0, 1]), "debug_mode": r.choice([0, 1]),
        **r.choice([{}, {"users": [{"userid": p.pick("user")}]}]),
    },
    "usergroup.update": lambda p, r: {"usrgrpid": p.pick("usrgrp"), **r.choice([
        {"name": p.name("grp")}, {"users": [{"userid": p.pick("user")}]}, {"users_status": r.choice([0, 1])},
        {"gui_access": r.choice([0, 1, 2, 3])}, {"debug_mode": r.choice([0, 1])},
    ])},
    "usergroup.delete": lambda p, r: [p.pick("usrgrp")],
    "role.get": _role_get,
    "role.create": lambda p, r: {"name": p.name("role"), "type": r.choice([1, 2, 3]), **({"rules": _role_rules(r)} if r.random() < 0.7 else {})},
    "role.update": lambda p, r: {"roleid": p.pick("role"), **r.choice([
        {"name": p.name("role")}, {"rules": _role_rules(r)}, {"type": r.choice([1, 2, 3])},
    ])},
    "role.delete": lambda p, r: [p.pick("role")],
    "token.get": _token_get,
    "token.create": lambda p, r: r.choice([
        {"name": p.name("tok")},
        {"name": p.name("tok"), "userid": p.pick("user"), "description": "fuzz", "status": r.choice([0, 1]), "expires_at": _future(r)},
        [{"name": p.name("tok")}, {"name": p.name("tok"), "status": 1}],
    ]),
    "token.update": lambda p, r: {"tokenid": p.pick("token"), **r.choice([
        {"name": p.name("tok")}, {"status": r.choice([0, 1])}, {"expires_at": r.choice([0, 1, 2000000000])},
        {"description": "changed"},
    ])},
    "token.delete": lambda p, r: [p.pick("token") for _ in range(r.randint(1, 2))],
    "token.generate": lambda p, r: [p.pick("token") for _ in range(r.randint(1, 2))],
    "auditlog.get": _auditlog_get,
    "settings.get": lambda p, r: r.choice([{}, {"output": "extend"}, {"output": ["login_attempts", "url"]}, {"output": ["default_lang"]}]),
    "authentication.get": lambda p, r: r.choice([{}, {"output": "extend"}, {"output": ["passwd_min_length", "passwd_check_rules"]}]),
}
assert set(VALID_PARAMS) == set(METHODS)


# ---------------------------------------------------------------------------------------------
# Whole requests


@dataclasses.dataclass
class Call:
    """One JSON-RPC call inside a request, for learning from its answer."""

    method: str
    params: object
    clean: bool  # the params are an unmutated valid example


@dataclasses.dataclass
class Sent:
    """One HTTP request and what its answer must look like.

    `shape` is "single" (one call with a valid envelope: answered by one object with id `ids[0]`,
    or nothing when `ids` is empty, a notification), "batch" (a list of valid envelopes: a list of
    answers with `ids` in order, nothing when `ids` is empty), "list" (a non-empty list of calls,
    some invalid: a list of answers or nothing) or "any" (anything well-formed).
    `valid_json` False means the body may be answered with a parse error instead."""

    label: str
    verb: str
    path: str
    headers: dict
    body: bytes
    chunked: bool = False
    shape: str = "any"
    ids: list | None = None
    valid_json: bool = True
    calls: dict = dataclasses.field(default_factory=dict)  # JSON text of an id -> Call


class Credentials:
    """The fuzzer's own credentials (kept usable by fuzzing.Keeper): what the factory may use as
    auth, and what it must not destroy."""

    def __init__(self):
        self.admin_token = ""
        self.admin_session = ""
        self.protected: dict[str, set[int]] = {"user": set(), "token": set(), "usrgrp": set(), "role": set()}


def id_number(value) -> int | None:
    """The number a server might read as an id from this value ("01", " 1", "1e0", 1.0, the
    number token 1.0, …), else None. Errs on the side of seeing an id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, Raw):
        value = value.text.decode("utf-8", "replace")
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        number = decimal.Decimal(value.strip(" \t\n\r\x00"))
    except decimal.InvalidOperation:
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


# Which ids each method can change or delete, and so must never name the fuzzer's own rows.
PROTECT = {
    "user.update": ("user",), "user.delete": ("user",),
    "usergroup.create": ("user",), "usergroup.update": ("user", "usrgrp"), "usergroup.delete": ("usrgrp",),
    "token.update": ("token",), "token.delete": ("token",), "token.generate": ("token",),
    "role.update": ("role",), "role.delete": ("role",),
}
# Methods whose params are read as a list of ids (an object as the list of its values).
ID_LIST_METHODS = {"user.delete", "usergroup.delete", "token.delete", "token.generate", "role.delete"}
# Members that hold ids of a kind, wherever they are nested.
ID_KEYS = {"user": ("userid", "userids"), "usrgrp": ("usrgrpid", "usrgrpids"), "token": ("tokenid", "tokenids"), "role": ("roleid", "roleids")}


def protect(method: str, params, creds: Credentials, replacement: str):
    """Replaces the ids in `params` that the server could read as one of the fuzzer's own rows
    (Admin, the keeper user and group, their tokens) by `replacement`, for the methods in
    PROTECT: values of id members (`userid`, `tokenids`, …) at any depth, and the top-level
    elements of the params of delete/generate. Any spelling counts ("01", 1.0, "1e0")."""
    key = method_key(method)
    kinds = PROTECT.get(key)
    if not kinds:
        return params
    by_member = {member: creds.protected[kind] for kind in kinds for member in ID_KEYS[kind]}

    def replace(value, protected: set[int]):
        if isinstance(value, list):
            return [replace(v, protected) for v in value]
        if isinstance(value, (dict, Pairs)):
            return walk(value)
        number = id_number(value)
        return replacement if number is not None and number in protected else value

    def walk(value):
        if isinstance(value, Pairs):
            return Pairs(tuple((k, replace(v, by_member[k]) if k in by_member else walk(v)) for k, v in value.items))
        if isinstance(value, dict):
            return {k: replace(v, by_member[k]) if k in by_member else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    if key in ID_LIST_METHODS:
        own = creds.protected[kinds[0]]
        if isinstance(params, list):
            params = [replace(v, own) if not isinstance(v, (list, dict, Pairs)) else v for v in params]
        elif isinstance(params, dict):
            params = {k: replace(v, own) if not isinstance(v, (list, dict, Pairs)) else v for k, v in params.items()}
        elif isinstance(params, Pairs):
            params = Pairs(tuple((k, replace(v, own) if not isinstance(v, (list, dict, Pairs)) else v) for k, v in params.items))
    return walk(params)


def method_key(method) -> str:
    """How the server resolves a method name: lowercased, first two dot-separated parts."""
    if not isinstance(method, str):
        return ""
    parts = method.split(".")
    return ".".join(parts[:2]).lower() if len(parts) > 1 else method.lower()


class RequestFactory:
    """Builds the next request. Kinds (weights in `KINDS`): a method call with valid or mutated
    params, a fuzzed envelope, a batch, byte-level mutations of a valid body, garbage bytes,
    HTTP-level variations (verbs, content types, headers, chunked bodies) and huge bodies."""

    KINDS = [("call_request", 46), ("envelope", 14), ("batch", 10), ("bytes", 10), ("garbage", 5), ("http", 10), ("huge", 2)]

    def __init__(self, rng: random.Random, pools: Pools, creds: Credentials):
        self.rng = rng
        self.pools = pools
        self.creds = creds
        pools.own = creds
        self.next_id = 0
        self._kinds = [k for k, _ in self.KINDS]
        self._weights = [w for _, w in self.KINDS]

    def make(self) -> Sent:
        kind = self.rng.choices(self._kinds, self._weights)[0]
        return getattr(self, "_" + kind)()

    # -- pieces

    def _rid(self):
        """A fresh id: mostly a number, sometimes a string, float or null."""
        self.next_id += 1
        n = self.next_id
        return self.rng.choices([n, f"r{n}", n + 0.5, f"\u00e9{n}", None], [60, 20, 5, 5, 2])[0]

    def _auth(self, method: str) -> tuple[str | None, str | None]:
        """(auth member, Bearer credential) for a call with a valid envelope: non-empty strings or None."""
        r, creds, pools = self.rng, self.creds, self.pools
        choice = r.choices(
            ["token", "bearer", "session", "none", "other-token", "other-session", "junk", "both"], [34, 14, 14, 10, 8, 6, 9, 5]
        )[0]
        junk = r.choice(["x", "0" * 64, "f" * 32, "\u00e9" * 32, "a" * 63, "a" * 65, "Bearer x", "\x00" * 64])
        header_junk = junk.replace("\x00", "0")  # a NUL byte is not allowed in a header field
        auth, bearer = {
            "token": (creds.admin_token, None),
            "bearer": (None, creds.admin_token),
            "session": (creds.admin_session, None),
            "none": (None, None),
            "other-token": (r.choice(pools.tokens or [junk]), None),
            "other-session": (r.choice(pools.sessions or [junk]), None),
            "junk": (junk, None) if r.random() < 0.5 else (None, header_junk),
            "both": (r.choice([creds.admin_token, junk]), r.choice([creds.admin_token, header_junk])),
        }[choice]
        if method_key(method) in ANONYMOUS_METHODS and r.random() < 0.8:
            auth, bearer = None, bearer if r.random() < 0.2 else None
        if method_key(method) == "user.logout":
            # Only throwaway sessions are logged out, never the fuzzer's own.
            auth = r.choice(pools.sessions or [junk]) if auth == creds.admin_session else auth
            bearer = None if bearer == creds.admin_session else bearer
        return auth or None, bearer or None

    def _params(self, method: str, mutations: int, allow_huge: bool = False) -> tuple[object, bool]:
        """Valid params of `method`, mutated `mutations` times, with the fuzzer's own ids replaced."""
        params = VALID_PARAMS[method](self.pools, self.rng)
        mutator = Mutator(self.rng, self.pools.any_id, allow_huge)
        for _ in range(mutations):
            params = mutator.mutate(params)
        if not isinstance(params, (dict, list, Pairs)):
            params = [params]  # stay a valid envelope: "params" must be an array or object
        victim = self.pools.pick(PROTECT[method][0]) if method in PROTECT else "999999"
        if id_number(victim) in set().union(*self.creds.protected.values()):
            victim = "999999"
        return protect(method, params, self.creds, victim), mutations == 0

    def _call(self, method: str | None = None, allow_huge: bool = False, notification: float = 0.08) -> tuple[dict, Call, object, str | None]:
        """A call with a valid envelope: (envelope, Call, id or the absent marker, Bearer)."""
        method = method or self.rng.choice(METHODS)
        mutations = self.rng.choices([0, 1, 2, 3], [25, 40, 20, 15])[0]
        params, clean = self._params(method, mutations, allow_huge)
        auth, bearer = self._auth(method)
        envelope = {"jsonrpc": "2.0", "method": method, "params": params}
        if auth is not None:
            envelope["auth"] = auth
        rid = ABSENT if self.rng.random() < notification else self._rid()
        if rid is not ABSENT:
            envelope["id"] = rid
        return envelope, Call(method, params, clean), rid, bearer

    def _request(self, label: str, value, shape: str = "any", ids=None, bearer=None, calls=None, ascii_only=None) -> Sent:
        encoded = encode(value, ascii_only=self.rng.random() < 0.7 if ascii_only is None else ascii_only)
        headers = {"Content-Type": self.rng.choices(list(JSON_CONTENT_TYPES) + ["application/json; charset=utf-8"], [50, 30, 10, 10])[0]}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return Sent(label, "POST", API_PATH, headers, encoded.body, shape=shape, ids=ids, valid_json=encoded.valid, calls=calls or {})

    # -- kinds

    def _call_request(self, allow_huge: bool = False) -> Sent:
        envelope, call, rid, bearer = self._call(allow_huge=allow_huge)
        ids = [] if rid is ABSENT else [rid]
        calls = {} if rid is ABSENT else {id_key(rid): call}
        return self._request(call.method, envelope, "single", ids, bearer, calls)

    def _envelope(self) -> Sent:
        """A call whose envelope members are missing, extra, duplicated or of the wrong type."""
        envelope, call, rid, bearer = self._call()
        members = list(envelope.items())
        for _ in range(self.rng.randint(1, 3)):
            members = self._mutate_envelope(members)
        members = self._sanitize(members)
        value = Pairs(tuple(members)) if self.rng.random() < 0.3 else dict(members)
        return self._request("envelope", value, bearer=bearer)

    def _sanitize(self, members: list) -> list:
        """Keeps a fuzzed envelope (whichever of its "method" members the server takes) from naming
        the fuzzer's own rows or logging out its session."""
        methods = [value for key, value in members if key == "method" and isinstance(value, str)]
        clean = []
        for key, value in members:
            if key == "params":
                for method in methods:
                    value = protect(method, value, self.creds, "999999")
            if key == "auth" and value == self.creds.admin_session and any(method_key(m) == "user.logout" for m in methods):
                value = self.rng.choice(self.pools.sessions or ["x"])
            clean.append((key, value))
        return clean

    def _mutate_envelope(self, members: list) -> list:
        r = self.rng
        op = r.choice(["drop", "extra", "jsonrpc", "method", "params", "auth", "id", "dup", "shuffle"])
        if op == "drop" and members:
            members.pop(r.randrange(len(members)))
        elif op == "extra":
            members.append((r.choice(["foo", "JSONRPC", "Method", "", "debug", "0", "result", "error"]), r.choice(WRONG_TYPES)))
        elif op == "dup" and members:
            key, _ = r.choice(members)
            members.append((key, r.choice(WRONG_TYPES + ["2.0", "apiinfo.version", "user.login", 1])))
        elif op == "shuffle":
            r.shuffle(members)
        else:
            members = [m for m in members if m[0] != op] + [(op, self._envelope_value(op))]
        return members

    def _envelope_value(self, member: str):
        r = self.rng
        values = {
            "jsonrpc": ["2.0", 2.0, 2, "2", "1.0", "", None, ["2.0"], "2.0 ", " 2.0", Raw(b"2.00"), "2.0\x00", {"v": "2.0"}],
            "method": [
                None, 1, [], {}, "", ".", "token.", ".get", "token.get.extra", "TOKEN.GET", "tOkEn.gEt", "token..get", "token.get\x00",
                "t\u00f6ken.get", "\u0130tem.get", "user.logout.x", "a" * 100000, "user", "apiinfo.version", "x.y.z.w",
                "token.get ", " token.get", "user.checkauthentication", "settings.getGlobal", "user.LOGIN",
            ],
            "params": [None, "x", 1, True, [], {}, [[]], deep(100), deep(511), deep(513), {"0": {}}, Raw(b"1e400")],
            "auth": [1, True, [], {}, "", "a" * 63, "a" * 64, "a" * 65, "\u00e9" * 32, "\u00e9" * 64, None, self.creds.admin_token, "0" * 32, 0],
            "id": [{}, [], True, None, 1.5, -1, Raw(b"1e400"), Raw(b"99999999999999999999999"), "x" * 1000, "", 0, Raw(b"-0"), [1]],
        }[member]
        return r.choice(values)

    def _batch(self) -> Sent:
        """A list of calls (valid envelopes, fuzzed envelopes, nested lists), empty lists, and objects
        keyed "0", "1", … (which PHP cannot tell from lists)."""
        r = self.rng
        form = r.choices(["clean", "mixed", "empty", "nested", "keyed"], [35, 30, 5, 15, 15])[0]
        if form == "empty":
            return self._request("batch", r.choice([[], [[]], [[], []], {}]))
        n = r.choice([1, 2, 3, 5, 8, 12])
        envelopes, calls, ids, bearer = [], {}, [], None
        for _ in range(n):
            envelope, call, rid, call_bearer = self._call(notification=0.2)
            bearer = bearer or call_bearer
            envelopes.append(envelope)
            if rid is not ABSENT:
                ids.append(rid)
                calls[id_key(rid)] = call
        if form == "clean":
            return self._request("batch", envelopes, "batch", ids, bearer, calls)
        if form == "keyed":
            return self._request("batch", {str(i): e for i, e in enumerate(envelopes)}, "batch", ids, bearer, calls)
        if form == "nested":
            i = r.randrange(n)
            envelopes[i] = r.choice([[envelopes[i]], [envelopes[i], envelopes[i]], {"0": envelopes[i]}, deep(r.choice([3, 600]))])
        else:
            for i in r.sample(range(n), k=r.randint(1, n)):
                fuzzed = dict(self._sanitize(self._mutate_envelope(list(envelopes[i].items()))))
                envelopes[i] = r.choice([r.choice(WRONG_TYPES), fuzzed])
        return self._request("batch", envelopes, "list", bearer=bearer, calls=calls)

    def _bytes(self) -> Sent:
        """A valid body with bytes flipped, inserted, removed, repeated or cut."""
        sent = self._call_request()
        body = bytearray(sent.body)
        for _ in range(self.rng.randint(1, 4)):
            self._mutate_bytes(body)
        return Sent("bytes", "POST", API_PATH, sent.headers, bytes(body), valid_json=False)

    def _mutate_bytes(self, body: bytearray) -> None:
        r = self.rng
        op = r.choice(["flip", "insert", "delete", "cut", "repeat", "bom"])
        at = r.randrange(len(body) + 1)
        if op == "flip" and body:
            body[min(at, len(body) - 1)] ^= 1 << r.randrange(8)
        elif op == "insert":
            body[at:at] = r.choice([b"\x00", b"\xff", b'"', b"\\", b"{", b"[", b",", b"\\u", b"]", b"}", b":", b"\xc3", b"1e400", b" \t\n"])
        elif op == "delete":
            del body[at:at + r.randint(1, 8)]
        elif op == "cut":
            del body[at:]
        elif op == "repeat" and body:
            start = r.randrange(len(body))
            body[at:at] = body[start:start + r.randint(1, 64)] * r.randint(1, 50)
        elif op == "bom":
            body[0:0] = b"\xef\xbb\xbf"

    def _garbage(self) -> Sent:
        """Bodies that are not JSON-RPC at all: random bytes, empty, whitespace, JSON scalars."""
        r = self.rng
        body = r.choice([
            lambda: bytes(r.getrandbits(8) for _ in range(r.choice([1, 16, 512, 4096]))),
            lambda: b"",
            lambda: b" \n\t\r ",
            lambda: r.choice([b"1", b"null", b"true", b'"x"', b"-0", b"1e400", b"[1,2]", b"{}", b"[{}]", b"{\"a\"}", b"NaN", b"Infinity"]),
            lambda: b"\x00" * r.choice([1, 100]),
            lambda: ("".join(chr(r.randint(0x20, 0x2FFF)) for _ in range(200))).encode("utf-8", "surrogatepass"),
            lambda: b"jsonrpc=2.0&method=apiinfo.version&params=&id=1",
        ])()
        return Sent("garbage", "POST", API_PATH, {"Content-Type": r.choice(JSON_CONTENT_TYPES)}, body, valid_json=False)

    def _http(self) -> Sent:
        """A call sent with another verb, content type, path or extra headers, or chunked."""
        r = self.rng
        sent = self._call_request()
        sent.label = "http"
        sent.verb = r.choices(list(CALL_VERBS) + ["OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO", "CONNECT"], [150, 100, 80, 80, 80, 100, 50, 30, 30, 30, 3])[0]
        content_type = r.choice([
            None, "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-rpcx",
            "APPLICATION/JSON", "Application/Json-RPC", " application/json ", "application/json;", "application/json; charset=latin1",
            "application/jsonrequest;q=1", "application/json , text/plain", "application/xml", "*/*", "application/json\t", "json",
        ])
        sent.headers = {k: v for k, v in sent.headers.items() if k != "Content-Type"}
        if content_type is not None:
            sent.headers["Content-Type"] = content_type
        for name, values in [
            ("Authorization", ["Bearer", "Bearer ", "bearer " + self.creds.admin_token, "Basic YWRtaW46eA==", "Bearer " + "0" * 64, "Bearer  x y"]),
            ("Expect", ["100-continue"]), ("Connection", ["close"]), ("Content-Encoding", ["gzip"]), ("Accept", ["text/html"]),
            ("X-Forwarded-Proto", ["https"]), ("Origin", ["http://evil.example"]),
        ]:
            if r.random() < 0.1:
                sent.headers[name] = r.choice(values)
        sent.chunked = r.random() < 0.15
        if r.random() < 0.15:
            sent.path = r.choice([API_PATH + "?x=1", API_PATH + "/", "/API_JSONRPC.PHP", "//api_jsonrpc.php", "/api_jsonrpc.php%00", "/zabbix/api_jsonrpc.php"])
        return sent

    def _huge(self) -> Sent:
        """1 MB strings in params, deep nesting around a whole call, or a body over the 16 MB limit."""
        r = self.rng
        choice = r.choices(["megabyte", "deep", "over-limit"], [70, 27, 3])[0]
        if choice == "megabyte":
            sent = self._call_request(allow_huge=True)
            sent.label = "huge"
            return sent
        if choice == "deep":
            depth = r.choice([510, 511, 512, 513, 1000, 100000])
            inner = deep(depth, r.choice(["array", "object", "mixed"]))
            return self._request("huge", {"jsonrpc": "2.0", "method": r.choice(METHODS), "params": {"x": inner}, "auth": self.creds.admin_token, "id": 1})
        body = b'{"jsonrpc":"2.0","method":"apiinfo.version","params":{"x":"' + b"a" * (MAX_BODY + 1) + b'"},"id":1}'
        return Sent("huge", "POST", API_PATH, {"Content-Type": "application/json"}, body, valid_json=False)



class _Absent:
    def __repr__(self) -> str:
        return "<no id>"


ABSENT = _Absent()  # a call without an "id" member: a notification


def id_key(rid) -> str:
    """How an id is looked up in `Sent.calls` (the JSON text of the value)."""
    return json.dumps(rid)
