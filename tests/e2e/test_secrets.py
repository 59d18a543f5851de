"""Token values stay secret: each exists in exactly one HTTP response, the one that shows it: the API
answer that made it, or the one-time page that a web form's post redirects to.

One server at `--log-level debug` (the level that logs the most) goes through the API and web UI
flows that make, use and show tokens: token.create/generate/regenerate as Admin (for himself and
for another user) and as an ordinary user; calls authenticated with the value (the `auth` member
and `Authorization: Bearer`), with an old value, user.checkAuthentication, token.get (also its
`token` filter), auditlog.get, user.logout; and in the web UI: sign-in, the token lists, the Add
form, the edit form, Regenerate, enable/disable, the user pages, a failing form, sign-out, as Admin
and as the ordinary user. Every response (status, every header, body) is recorded.

Then, for every value generated: it is in the body of the response that created it and nowhere
else — in no other response body or header (nor in that response's headers), not in any file of
the data folder (database, -wal, -shm; as hex, upper-case hex, raw bytes or base64), not in the
server log. The same holds for the SHA-512 the server keeps (no response shows it), for passwords
(no response, file or log line) and for session ids (not in the log). And the session cookie is
HttpOnly, SameSite=Lax or Strict, and not Secure over plain HTTP (Secure behind a TLS proxy).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from http.cookies import SimpleCookie

import pytest
import requests

from conftest import ServerSpec, TesseraServer
from webclient import SESSION_COOKIE, WebClient

ALICE = "secret-alice"
ALICE_PASSWORD = "Alice-secret-pw-5521"
VALUE_ON_PAGE = re.compile(r'<code id="auth-token">([0-9a-f]{64})</code>')


@dataclasses.dataclass
class Exchange:
    """One HTTP response as the client received it."""

    number: int
    request: str  # "POST /tokens/create" or "POST /api_jsonrpc.php token.generate"
    status: int
    headers: list[tuple[str, str]]  # every header line, Set-Cookie ones each on its own
    body: bytes

    def header_text(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v in self.headers)


class Recorder:
    """Records every response of the `requests.Session`s it makes (redirect hops included)."""

    def __init__(self):
        self.exchanges: list[Exchange] = []

    def session(self) -> requests.Session:
        http = requests.Session()
        http.hooks["response"].append(self._record)
        return http

    def _record(self, response: requests.Response, *args, **kwargs):
        request = response.request
        label = f"{request.method} {request.path_url}"
        if request.body and request.path_url.startswith("/api_jsonrpc.php"):
            method = re.search(rb'"method":\s*"([^"]+)"', request.body if isinstance(request.body, bytes) else request.body.encode())
            label += f" {method.group(1).decode()}" if method else ""
        raw = getattr(response.raw, "headers", None)
        headers = list(raw.items()) if raw is not None else list(response.headers.items())
        self.exchanges.append(Exchange(len(self.exchanges), label, response.status_code, headers, response.content))
        return response

    @property
    def last(self) -> Exchange:
        return self.exchanges[-1]


class Api:
    """JSON-RPC through a recording session; `call` raises on an error answer, `answer` returns it."""

    def __init__(self, server: TesseraServer, recorder: Recorder, auth: str | None = None):
        self.server = server
        self.http = recorder.session()
        self.auth = auth

    def answer(self, method: str, params, auth: str | None = None, bearer: str | None = None) -> dict:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if auth is not None:
            body["auth"] = auth
        headers = {"Content-Type": "application/json-rpc"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        r = self.http.post(self.server.api_url, json=body, headers=headers, timeout=10)
        assert r.status_code == 200, (method, r.status_code, r.text[:300])
        return r.json()

    def call(self, method: str, params, auth: str | None = "session", bearer: str | None = None):
        """`auth`: "session" (this client's session, unless a bearer is given), a value, or None."""
        if auth == "session":
            auth = None if bearer is not None else self.auth
        answer = self.answer(method, params, auth=auth, bearer=bearer)
        assert "error" not in answer, (method, answer)
        return answer["result"]

    def login(self, username: str, password: str) -> str:
        answer = self.answer("user.login", {"username": username, "password": password})
        assert "result" in answer, answer
        self.auth = answer["result"]
        return self.auth


@dataclasses.dataclass
class Flows:
    """What the flows left behind: the values with the response that created each, the sessions, the passwords."""

    recorder: Recorder
    values: dict[str, int]  # value → number of the exchange that created it
    sessions: list[str]
    passwords: list[str]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server at --log-level debug, whatever TESSERA_E2E_LOG_LEVEL says, behind a (pretended) TLS
    proxy on 127.0.0.1."""
    server = TesseraServer(ServerSpec(), tmp_path_factory.mktemp("secrets"), extra_args=["--trusted-proxy", "127.0.0.1"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TESSERA_E2E_LOG_LEVEL", "debug")
        assert server.command()[-4:-2] == ["--log-level", "debug"]
        server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def flows(server) -> Flows:
    recorder = Recorder()
    values: dict[str, int] = {}
    sessions: list[str] = []

    def keep(value: str) -> str:
        """Registers a value generated by the last response."""
        assert re.fullmatch(r"[0-9a-f]{64}", value), value
        assert value not in values, "the same value twice"
        values[value] = recorder.last.number
        server.secrets.add(value)
        return value

    def generate(api: Api, tokenid: str) -> str:
        [row] = api.call("token.generate", [tokenid])
        return keep(row["token"])

    # -- API as Admin
    admin = Api(server, recorder)
    sessions.append(admin.login("Admin", server.password))
    group = admin.call("usergroup.create", {"name": "secret-users"})["usrgrpids"][0]
    alice_id = admin.call("user.create", {
        "username": ALICE, "passwd": ALICE_PASSWORD, "roleid": "1", "usrgrps": [{"usrgrpid": group}],
    })["userids"][0]
    own_id = admin.call("token.create", {"name": "api-admin", "description": "Admin's own"})["tokenids"][0]
    first = generate(admin, own_id)
    for_alice = admin.call("token.create", {"name": "api-for-alice", "userid": alice_id})["tokenids"][0]
    alice_by_admin = generate(admin, for_alice)
    current = generate(admin, own_id)  # regenerate: `first` is now superseded
    admin.call("token.get", {"output": "extend"}, auth=current)
    admin.call("token.get", {"output": "extend"}, bearer=current)
    admin.call("token.get", {"token": current, "output": "extend"})
    admin.call("user.checkAuthentication", {"token": current}, auth=None)
    admin.call("token.update", {"tokenid": own_id, "description": "updated with itself"}, auth=current)
    assert admin.answer("token.get", {}, auth=first)["error"]["data"] == "Not authorized."
    assert "error" in admin.answer("user.checkAuthentication", {"token": first})
    assert "error" in admin.answer("user.logout", [], auth=current)  # a token has no session to end
    admin.call("auditlog.get", {"output": "extend"})
    admin.call("settings.get", {"output": "extend"})

    # -- API as an ordinary user
    alice = Api(server, recorder)
    sessions.append(alice.login(ALICE, ALICE_PASSWORD))
    alice_own = alice.call("token.create", {"name": "api-alice"})["tokenids"][0]
    alice_value = generate(alice, alice_own)
    alice.call("token.get", {"output": "extend"}, auth=alice_value)
    alice.call("user.checkAuthentication", {"token": alice_value}, auth=None)
    generate(alice, alice_own)
    alice.call("token.get", {"output": "extend"}, bearer=alice_by_admin)
    alice.call("user.checkAuthentication", {"sessionid": alice.auth}, auth=None)
    alice.call("user.logout", [])

    # -- web UI as Admin
    web = WebClient(server, recorder.session())
    web.sign_in("Admin", server.password)
    sessions.append(web.session_id)
    for path in ["/", "/tokens", "/tokens/new", "/user/tokens", "/ui/users?search=a", "/users", f"/users/{alice_id}/edit", "/user/profile"]:
        web.get(path)

    def form_value(client: WebClient, response: requests.Response) -> str:
        """The value on the one-time page the post redirects to (the post's own answer has none)."""
        assert response.status_code == 303 and response.headers["Location"].endswith("/view"), (response.status_code, response.text[:500])
        shown = client.follow(response)
        assert shown.status_code == 200, (shown.status_code, shown.text[:500])
        [value] = VALUE_ON_PAGE.findall(shown.text)
        return keep(value)

    new_token = {"description": "from the form", "expires_state": "0", "status": "0"}
    form_value(web, web.post("/tokens/create", {"name": "ui-admin", "userid": "1", **new_token}))
    [ui_admin] = admin.call("token.get", {"filter": {"name": "ui-admin"}, "output": ["tokenid"]})
    ui_id = ui_admin["tokenid"]
    web.get("/tokens")
    web.get(f"/tokens/{ui_id}/edit")
    form_value(web, web.post(f"/tokens/{ui_id}/update", {"name": "ui-admin", "regenerate": "1", **new_token}))
    web.get("/tokens")
    web.follow(web.post(f"/tokens/{ui_id}/update", {"name": "ui-admin-renamed", **new_token}))
    form_value(web, web.post("/tokens/create", {"name": "ui-for-alice", "userid": alice_id, **new_token}))
    form_value(web, web.post("/user/tokens/create", {"name": "ui-admin-own", **new_token}))
    [own] = admin.call("token.get", {"filter": {"name": "ui-admin-own"}, "output": ["tokenid"]})
    web.get("/user/tokens")
    web.get(f"/user/tokens/{own['tokenid']}/edit")
    form_value(web, web.post(f"/user/tokens/{own['tokenid']}/update", {"name": "ui-admin-own", "regenerate": "1", **new_token}))
    web.follow(web.post("/tokens/disable", [("tokenids[]", ui_id)]))
    web.follow(web.post("/tokens/enable", [("tokenids[]", ui_id)]))
    failed = web.post("/tokens/create", {"name": "ui-admin-renamed", "userid": "1", **new_token})  # the name is taken
    assert failed.status_code == 200 and "auth-token" not in failed.text
    web.get(f"/tokens/{ui_id}/edit")
    web.follow(web.sign_out())

    # -- web UI as the ordinary user
    alice_web = WebClient(server, recorder.session())
    alice_web.sign_in(ALICE, ALICE_PASSWORD)
    sessions.append(alice_web.session_id)
    alice_web.get("/")
    alice_web.get("/user/tokens")
    form_value(alice_web, alice_web.post("/user/tokens/create", {"name": "ui-alice", **new_token}))
    [ui_alice] = admin.call("token.get", {"filter": {"name": "ui-alice"}, "output": ["tokenid"]})
    alice_web.get(f"/user/tokens/{ui_alice['tokenid']}/edit")
    form_value(alice_web, alice_web.post(f"/user/tokens/{ui_alice['tokenid']}/update", {"name": "ui-alice", "regenerate": "1", **new_token}))
    alice_web.get("/user/tokens")
    alice_web.get("/tokens")  # not hers: the access-denied page
    alice_web.follow(alice_web.sign_out())

    # -- what Admin sees afterwards, with every value made so far
    for value in values:
        admin.answer("user.checkAuthentication", {"token": value})
    admin.call("token.get", {"output": "extend"})
    admin.call("auditlog.get", {"output": "extend", "filter": {"resourcetype": 45}})
    admin.call("user.logout", [])

    assert len(values) == 12  # 3 + 2 through the API, 5 + 2 through the web UI
    return Flows(recorder, values, sessions, [server.password, ALICE_PASSWORD])


def forms(value: str) -> dict[str, bytes]:
    """The ways a value could be written down: hex (as issued and upper case), raw bytes, base64."""
    raw = bytes.fromhex(value)
    return {
        "hex": value.encode(),
        "upper-case hex": value.upper().encode(),
        "raw bytes": raw,
        "base64": base64.b64encode(raw).rstrip(b"="),
        "url-safe base64": base64.urlsafe_b64encode(raw).rstrip(b"="),
    }


def test_each_value_is_only_in_the_response_that_created_it(flows):
    problems = []
    for value, origin in flows.values.items():
        for exchange in flows.recorder.exchanges:
            in_body = value.encode() in exchange.body
            in_headers = value in exchange.header_text()
            if exchange.number == origin:
                if not in_body:
                    problems.append(f"{value[:6]}…: not in the body of the response that created it ({exchange.request})")
                if in_headers:
                    problems.append(f"{value[:6]}…: in the headers of {exchange.request}")
            elif in_body or in_headers:
                where = "body" if in_body else "headers"
                problems.append(
                    f"{value[:6]}… (made by #{origin} {flows.recorder.exchanges[origin].request}) is in the {where} of #{exchange.number} {exchange.request}"
                )
    assert not problems, "\n".join(problems)


def test_stored_hashes_are_never_shown(flows):
    problems = []
    for value in flows.values:
        digest = hashlib.sha512(value.encode()).hexdigest()
        for exchange in flows.recorder.exchanges:
            if digest.encode() in exchange.body.lower() or digest in exchange.header_text().lower():
                problems.append(f"the SHA-512 of {value[:6]}… is in #{exchange.number} {exchange.request}")
    assert not problems, "\n".join(problems)


def test_passwords_are_in_no_response(flows):
    problems = [
        f"a password is in #{e.number} {e.request}"
        for password in flows.passwords
        for e in flows.recorder.exchanges
        if password.encode() in e.body or password in e.header_text()
    ]
    assert not problems, "\n".join(problems)


def test_session_cookie_flags(server, flows):
    sign_ins = [e for e in flows.recorder.exchanges if e.request == "POST /login" and e.status == 303]
    cookies = [value for e in flows.recorder.exchanges for name, value in e.headers if name.lower() == "set-cookie"]
    session_cookies = [c for c in cookies if c.startswith(SESSION_COOKIE + "=")]
    assert sign_ins and session_cookies, "no sign-in set a session cookie"
    problems = []
    for cookie in cookies:  # the session cookie (set and cleared) and the message cookie
        attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
        if "httponly" not in attributes:
            problems.append(f"not HttpOnly: {cookie}")
        if not {"samesite=lax", "samesite=strict"} & set(attributes):
            problems.append(f"SameSite is not Lax or Strict: {cookie}")
        if "secure" in attributes:
            problems.append(f"Secure over plain HTTP (the browser would drop it): {cookie}")
    assert not problems, "\n".join(problems)

    # Behind a TLS proxy (a trusted one: see test_operations.py for an untrusted one) the cookie is
    # Secure and named with the __Host- prefix.
    r = requests.post(
        server.base_url + "/login", data={"username": ALICE, "password": ALICE_PASSWORD},
        headers={"X-Forwarded-Proto": "https"}, allow_redirects=False, timeout=10,
    )
    assert r.status_code == 303
    cookie = SimpleCookie(r.headers["Set-Cookie"])["__Host-" + SESSION_COOKIE]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"].lower() in ("lax", "strict"), r.headers["Set-Cookie"]
    requests.post(server.base_url + "/logout", cookies={"__Host-" + SESSION_COOKIE: cookie.value},
                  headers={"X-Forwarded-Proto": "https"}, timeout=10)


def data_files(server) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(server.data_dir.iterdir()) if path.is_file()}


def secrets_in_files(files: dict[str, bytes], flows: Flows) -> list[str]:
    problems = []
    for value in flows.values:
        for form, needle in forms(value).items():
            problems += [f"{value[:6]}… as {form} is in {name}" for name, data in files.items() if needle in data]
    for password in flows.passwords:
        problems += [f"a password is in {name}" for name, data in files.items() if password.encode() in data]
    return problems


def test_values_are_not_in_the_database_files_while_running(server, flows):
    files = data_files(server)
    assert "tessera.sqlite" in files, sorted(files)
    problems = secrets_in_files(files, flows)
    assert not problems, "\n".join(problems)


def test_session_ids_are_not_in_the_database_files(server, flows):
    """Sessions are stored under a hash of their id: a copy of the database holds no usable session."""
    files = data_files(server)
    problems = [
        f"session id {sid[:4]}… is in {name}"
        for sid in flows.sessions
        for name, content in files.items()
        if sid.encode() in content or sid.upper().encode() in content
    ]
    assert flows.sessions and not problems, "\n".join(problems)


def test_nothing_in_the_files_or_the_log_after_shutdown(server, flows):
    """Stops the server (so the log is complete and the WAL checkpointed), then reads everything."""
    server.stop()
    problems = secrets_in_files(data_files(server), flows)
    log = server.read_log()
    assert " debug " in log, "the server did not log at debug level: the log check would prove little"
    problems += [f"{value[:6]}… is in the server log" for value in flows.values if value in log or value.upper() in log]
    problems += ["a password is in the server log" for password in flows.passwords if password in log]
    problems += [f"session id {sid[:4]}… is in the server log" for sid in flows.sessions if sid in log]
    assert not problems, "\n".join(problems)
