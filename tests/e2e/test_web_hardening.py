"""Hardening of the web UI: security headers, CSRF, no inline code, and output escaping.

- Every HTML page, signed in (as Admin and as an ordinary user) or not, and the pages answering
  form posts carry a Content-Security-Policy whose script sources exclude 'unsafe-inline' and whose
  frame-ancestors is 'none', a Referrer-Policy, and `X-Content-Type-Options: nosniff`; the page
  that shows a new token value (Add and Regenerate, both token sections) is `Cache-Control: no-store`.
- No page has an inline `<script>` body, an `on…=` handler attribute or a `javascript:` URL.
- Every state-changing form post is refused with 403 and changes nothing (checked through the API)
  when its CSRF field is missing, empty, wrong, or belongs to another session; the same post with
  the right field does change something (so the refusal is about the CSRF field, not the form).
- Users (username, name, surname), user groups, user roles and tokens (name, description) named
  with hostile values (`<script>…`, `"><img … onerror=…>`, `'`, `{{`, `</textarea>`,
  `javascript:`, template syntax, a single-quoted attribute break-out) show up as text, never as
  markup: in lists, edit forms, the token filter, the one-time token page, the messages of failed
  form posts (duplicates, invalid values), the messages of refused deletes, the sign-in page, the
  header of a hostile user's own pages, and the user lookup JSON at /ui/users.

Plain `requests` (signed-in session cookie + the form's CSRF field) does most of it; the one
browser test checks what only a browser can tell: no alert() fires, no CSP violation is reported,
the user picker (which builds its list from /ui/users in JavaScript) shows the names as text.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re

import pytest
import requests

from conftest import ApiClient, ApiError
from webclient import SESSION_COOKIE, HtmlPage, WebClient, query

PASSWORD = "Hardening-Pw-2468"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'",
    "{{",
    "</textarea>",
    "javascript:alert(1)",
    "{{csrf}}{{{title}}}",
    "' onmouseover='alert(1)' x='",
]
RAW_MARKUP = set("<>\"'")  # a value with one of these must never appear unescaped in HTML
END_TAG = re.compile(r"</\w+>")  # a value that is just an end tag is in the page's own markup too
SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


# ---------------------------------------------------------------------------------------------
# Checks on one response


def header_problems(r: requests.Response, where: str) -> list[str]:
    """The security headers every HTML page must carry."""
    problems = []
    csp = r.headers.get("Content-Security-Policy")
    if not csp:
        problems.append(f"{where}: no Content-Security-Policy")
    else:
        directives = {}
        for part in csp.split(";"):
            words = part.split()
            if words:
                directives[words[0].lower()] = [w.lower() for w in words[1:]]
        # Scripts are governed by script-src(-elem/-attr), else by default-src.
        script_lists = {name: directives[name] for name in ("script-src", "script-src-elem", "script-src-attr") if name in directives}
        if "script-src" not in directives and "script-src-elem" not in directives:
            if "default-src" not in directives:
                problems.append(f"{where}: the CSP does not restrict scripts (no script-src, no default-src): {csp}")
            else:
                script_lists["default-src"] = directives["default-src"]
        for name, sources in script_lists.items():
            if "'unsafe-inline'" in sources:
                problems.append(f"{where}: the CSP allows inline scripts ({name} 'unsafe-inline'): {csp}")
        if directives.get("frame-ancestors") != ["'none'"]:
            problems.append(f"{where}: the CSP's frame-ancestors is not 'none': {csp}")
    policy = r.headers.get("Referrer-Policy", "")
    if policy.strip().lower() not in SAFE_REFERRER_POLICIES:
        problems.append(f"{where}: Referrer-Policy is {policy!r}")
    if r.headers.get("X-Content-Type-Options", "").strip().lower() != "nosniff":
        problems.append(f"{where}: X-Content-Type-Options is {r.headers.get('X-Content-Type-Options')!r}")
    return problems


def markup_problems(r: requests.Response, where: str, shown: list[str] = ()) -> list[str]:
    """No inline code, no injected element, and each value of `shown` appears as text (decoded),
    never as raw markup."""
    page = HtmlPage(r.text)
    problems = [f"{where}: {p}" for p in page.inline_script_problems() + page.stray_end_tags()]
    scripts = [t.attrs.get("src") for t in page.tags if t.name == "script"]
    if scripts != ["/static/app.js"]:
        problems.append(f"{where}: <script> elements {scripts}")
    problems += [f"{where}: an injected {t!r}" for t in page.tags if t.name in ("img", "iframe", "object", "embed", "base")]
    for value in shown:
        if not page.shows(value):
            problems.append(f"{where}: does not show {value!r} (as text)")
        if len(value) > 1 and RAW_MARKUP & set(value) and not END_TAG.fullmatch(value) and value in r.text:
            problems.append(f"{where}: {value!r} is in the HTML unescaped")
    return problems


def assert_none(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def web(tessera_server) -> WebClient:
    """Admin in the web UI."""
    client = WebClient(tessera_server)
    client.sign_in("Admin", tessera_server.password)
    return client


@dataclasses.dataclass
class Hostile:
    """Per hostile value: the role, group and user named with it, Admin's token named with it, and
    the token the hostile user made for himself (name and description are the value)."""

    roles: dict[str, str]
    groups: dict[str, str]
    users: dict[str, str]
    admin_tokens: dict[str, str]
    user_tokens: dict[str, str]
    user_groupid: str  # a group of ordinary users (the "users" of the group form)


@pytest.fixture(scope="module")
def hostile(tessera_server, admin_api) -> Hostile:
    roles, groups, users, admin_tokens, user_tokens = {}, {}, {}, {}, {}
    for value in HOSTILE:
        roles[value] = admin_api.call("role.create", {"name": value, "type": 1})["roleids"][0]
        groups[value] = admin_api.call("usergroup.create", {"name": value})["usrgrpids"][0]
        users[value] = admin_api.call("user.create", {
            "username": value, "name": value, "surname": value, "passwd": PASSWORD, "roleid": roles[value],
            "usrgrps": [{"usrgrpid": groups[value]}],
        })["userids"][0]
        admin_tokens[value] = admin_api.call("token.create", {"name": value, "description": value})["tokenids"][0]
        own = ApiClient(tessera_server, username=value, password=PASSWORD)
        user_tokens[value] = own.call("token.create", {"name": value, "description": value})["tokenids"][0]
    plain_group = admin_api.call("usergroup.create", {"name": "hardening-plain"})["usrgrpids"][0]
    return Hostile(roles, groups, users, admin_tokens, user_tokens, plain_group)


def label(value: str) -> str:
    """How lists show a hostile user: `username (name surname)`."""
    return f"{value} ({value} {value})"


# ---------------------------------------------------------------------------------------------
# Headers and inline code on every page


def pages_to_check(server, web: WebClient, hostile: Hostile) -> list[tuple[str, requests.Response]]:
    """(label, response) of every kind of HTML page: anonymous, Admin, an ordinary user, error
    pages, and the pages that answer form posts."""
    responses = []
    anonymous = requests.Session()
    for path in ["/login"]:
        responses.append((f"anonymous GET {path}", anonymous.get(server.base_url + path, timeout=10)))
    responses.append((
        "anonymous failed sign-in",
        anonymous.post(server.base_url + "/login", data={"username": "nobody", "password": "x"}, allow_redirects=False, timeout=10),
    ))
    token = hostile.admin_tokens[HOSTILE[0]]
    user_token = hostile.user_tokens[HOSTILE[0]]
    for path in [
        "/tokens", "/tokens/new", f"/tokens/{token}/edit", "/user/tokens", "/user/tokens/new", f"/user/tokens/{token}/edit",
        "/users", "/users/new", "/users/1/edit", "/roles", "/roles/new", "/roles/1/edit", "/usergroups", "/usergroups/new",
        "/usergroups/7/edit", "/user/profile", "/tokens/999999/edit", "/users/999999/edit", f"/user/tokens/{user_token}/edit",
    ]:
        responses.append((f"Admin GET {path}", web.get(path)))
    responses.append(("Admin POST with a bad CSRF field", web.post("/tokens/create", {"csrf": "0" * 32, "name": "x"})))
    responses.append(("Admin failed token form", web.post("/tokens/create", {"name": "", "userid": "1", "expires_state": "0", "status": "0"})))
    responses.append(("Admin failed profile form", web.post("/user/profile", {"rows_per_page": "0"})))

    ordinary = WebClient(server)
    ordinary.sign_in(HOSTILE[2], PASSWORD)
    for path in ["/user/tokens", "/user/tokens/new", "/user/profile", "/tokens", "/users"]:
        responses.append((f"ordinary user GET {path}", ordinary.get(path)))
    return responses


def test_security_headers_on_every_page(tessera_server, web, hostile):
    problems = []
    for where, r in pages_to_check(tessera_server, web, hostile):
        if not r.headers.get("Content-Type", "").startswith("text/html"):
            problems.append(f"{where}: HTTP {r.status_code} {r.headers.get('Content-Type')!r} is not an HTML page")
            continue
        problems += header_problems(r, f"{where} (HTTP {r.status_code})")
    assert_none(problems)


def test_no_inline_code_on_any_page(tessera_server, web, hostile):
    problems = []
    for where, r in pages_to_check(tessera_server, web, hostile):
        if r.headers.get("Content-Type", "").startswith("text/html"):
            problems += markup_problems(r, where)
    assert_none(problems)


def test_pages_need_a_session(tessera_server):
    """Without a session every page sends to /login and shows nothing."""
    for path in ["/", "/tokens", "/tokens/new", "/user/tokens", "/users", "/roles", "/usergroups", "/user/profile", "/tokens/1/edit"]:
        r = requests.get(tessera_server.base_url + path, allow_redirects=False, timeout=10)
        assert (r.status_code, r.headers.get("Location")) == (303, "/login"), (path, r.status_code, r.text[:200])
    r = requests.get(tessera_server.base_url + "/ui/users?search=a", allow_redirects=False, timeout=10)
    assert r.status_code == 401 and "userid" not in r.text


def test_static_files_are_not_sniffed(tessera_server):
    for path, kind in [("/static/app.js", "text/javascript"), ("/static/app.css", "text/css")]:
        r = requests.get(tessera_server.base_url + path, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(kind), (path, r.headers)
        assert r.headers.get("X-Content-Type-Options") == "nosniff", (path, r.headers)


@pytest.mark.parametrize("section", ["/tokens", "/user/tokens"])
def test_pages_with_a_new_token_value_are_not_stored(tessera_server, web, admin_api, section):
    name = unique("no-store")
    fields = {"name": name, "userid": "1", "expires_state": "0", "status": "0"}
    created = web.follow(web.post(f"{section}/create", fields))
    assert created.status_code == 200 and 'id="auth-token"' in created.text, created.text[:500]
    tokenid = admin_api.call("token.get", {"filter": {"name": name}, "output": ["tokenid"]})[0]["tokenid"]
    regenerated = web.follow(web.post(f"{section}/{tokenid}/update", {**fields, "regenerate": "1"}))
    assert regenerated.status_code == 200 and 'id="auth-token"' in regenerated.text, regenerated.text[:500]
    for what, r in [("Add", created), ("Regenerate", regenerated)]:
        for value in re.findall(r'<code id="auth-token">([0-9a-f]{64})</code>', r.text):
            tessera_server.secrets.add(value)
        directives = [d.strip().lower() for d in r.headers.get("Cache-Control", "").split(",")]
        assert "no-store" in directives, f"{section} {what}: Cache-Control {r.headers.get('Cache-Control')!r}"


# ---------------------------------------------------------------------------------------------
# CSRF: every state-changing post


@dataclasses.dataclass
class Case:
    """A form post that changes something: where, what, how to see the change, and who posts it."""

    path: str
    fields: list[tuple[str, str]]
    probe: object  # callable() -> a value that the post changes
    client: WebClient


def _token(ctx, **fields) -> tuple[str, str]:
    """A new token of Admin with a value; (tokenid, value)."""
    tokenid = ctx.api.call("token.create", {"name": unique("csrf-token"), **fields})["tokenids"][0]
    value = ctx.api.call("token.generate", [tokenid])[0]["token"]
    ctx.server.secrets.add(value)
    return tokenid, value


def _token_field(ctx, tokenid: str, field: str):
    rows = ctx.api.call("token.get", {"tokenids": [tokenid], "output": [field]})
    return rows[0][field] if rows else None


def _count(ctx, method: str, key: str, value: str) -> str:
    return ctx.api.call(method, {"filter": {key: value}, "countOutput": True})


def _works(ctx, value: str) -> bool:
    try:
        ctx.api.call_raw("user.checkAuthentication", {"token": value}, auth=None)
        return True
    except ApiError:
        return False


TOKEN_FORM = [("status", "0"), ("description", "")]


def case_logout(ctx) -> Case:
    client = WebClient(ctx.server)
    client.sign_in("Admin", ctx.server.password)
    sid = client.session_id

    def alive():
        try:
            ctx.api.call_raw("user.checkAuthentication", {"sessionid": sid, "extend": False}, auth=None)
            return True
        except ApiError:
            return False

    return Case("/logout", [], alive, client)


def case_profile(ctx) -> Case:
    fields = [("lang", "en_US"), ("timezone", "default"), ("rows_per_page", str(60 + next(_names) % 30))]
    return Case("/user/profile", fields, lambda: ctx.api.call("user.get", {"userids": ["1"], "output": ["rows_per_page"]})[0]["rows_per_page"], ctx.web)


def token_cases(section: str):
    def create(ctx) -> Case:
        name = unique("csrf-new")
        fields = [("name", name), ("userid", "1"), *TOKEN_FORM]
        return Case(f"{section}/create", fields, lambda: _count(ctx, "token.get", "name", name), ctx.web)

    def update(ctx) -> Case:
        tokenid, _ = _token(ctx)
        return Case(f"{section}/{tokenid}/update", [("name", unique("csrf-renamed")), *TOKEN_FORM],
                    lambda: _token_field(ctx, tokenid, "name"), ctx.web)

    def regenerate(ctx) -> Case:
        tokenid, value = _token(ctx)
        name = _token_field(ctx, tokenid, "name")
        return Case(f"{section}/{tokenid}/update", [("name", name), ("regenerate", "1"), *TOKEN_FORM], lambda: _works(ctx, value), ctx.web)

    def status(action: str, start: int):
        def build(ctx) -> Case:
            tokenid, _ = _token(ctx, status=start)
            return Case(f"{section}/{action}", [("tokenids[]", tokenid)], lambda: _token_field(ctx, tokenid, "status"), ctx.web)
        return build

    def delete(ctx) -> Case:
        tokenid, _ = _token(ctx)
        return Case(f"{section}/delete", [("tokenids[]", tokenid)], lambda: _token_field(ctx, tokenid, "tokenid"), ctx.web)

    return {
        f"{section}/create": create, f"{section}/update": update, f"{section}/update+regenerate": regenerate,
        f"{section}/enable": status("enable", 1), f"{section}/disable": status("disable", 0), f"{section}/delete": delete,
    }


def _user(ctx) -> str:
    return ctx.api.call("user.create", {
        "username": unique("csrf-user"), "passwd": PASSWORD, "roleid": "1", "usrgrps": [{"usrgrpid": ctx.hostile.user_groupid}],
    })["userids"][0]


def _user_form(ctx, username: str, name: str) -> list[tuple[str, str]]:
    return [
        ("username", username), ("name", name), ("surname", ""), ("usrgrps[]", ctx.hostile.user_groupid), ("roleid", "1"),
        ("password1", ""), ("password2", ""), ("lang", "default"), ("timezone", "default"), ("rows_per_page", "50"), ("autologout", "15m"),
    ]


def case_user_create(ctx) -> Case:
    username = unique("csrf-user")
    fields = _user_form(ctx, username, "")
    fields = [(k, PASSWORD if k.startswith("password") else v) for k, v in fields]
    return Case("/users/create", fields, lambda: _count(ctx, "user.get", "username", username), ctx.web)


def case_user_update(ctx) -> Case:
    userid = _user(ctx)
    username = ctx.api.call("user.get", {"userids": [userid], "output": ["username"]})[0]["username"]
    return Case(f"/users/{userid}/update", _user_form(ctx, username, "Changed"),
                lambda: ctx.api.call("user.get", {"userids": [userid], "output": ["name"]})[0]["name"], ctx.web)


def case_user_delete(ctx) -> Case:
    userid = _user(ctx)
    return Case("/users/delete", [("ids[]", userid)], lambda: ctx.api.call("user.get", {"userids": [userid], "countOutput": True}), ctx.web)


ROLE_FORM = [("type", "1"), ("api_access", "1"), ("api_mode", "0"), ("api_methods", ""), ("actions_default_access", "1")]


def case_role_create(ctx) -> Case:
    name = unique("csrf-role")
    return Case("/roles/create", [("name", name), *ROLE_FORM], lambda: _count(ctx, "role.get", "name", name), ctx.web)


def case_role_update(ctx) -> Case:
    roleid = ctx.api.call("role.create", {"name": unique("csrf-role"), "type": 1})["roleids"][0]
    return Case(f"/roles/{roleid}/update", [("name", unique("csrf-role-renamed")), *ROLE_FORM],
                lambda: ctx.api.call("role.get", {"roleids": [roleid], "output": ["name"]})[0]["name"], ctx.web)


def case_role_delete(ctx) -> Case:
    roleid = ctx.api.call("role.create", {"name": unique("csrf-role"), "type": 1})["roleids"][0]
    return Case("/roles/delete", [("ids[]", roleid)], lambda: ctx.api.call("role.get", {"roleids": [roleid], "countOutput": True}), ctx.web)


GROUP_FORM = [("gui_access", "0"), ("users_status", "0")]


def case_group_create(ctx) -> Case:
    name = unique("csrf-group")
    return Case("/usergroups/create", [("name", name), *GROUP_FORM], lambda: _count(ctx, "usergroup.get", "name", name), ctx.web)


def case_group_update(ctx) -> Case:
    groupid = ctx.api.call("usergroup.create", {"name": unique("csrf-group")})["usrgrpids"][0]
    return Case(f"/usergroups/{groupid}/update", [("name", unique("csrf-group-renamed")), *GROUP_FORM],
                lambda: ctx.api.call("usergroup.get", {"usrgrpids": [groupid], "output": ["name"]})[0]["name"], ctx.web)


def case_group_delete(ctx) -> Case:
    groupid = ctx.api.call("usergroup.create", {"name": unique("csrf-group")})["usrgrpids"][0]
    return Case("/usergroups/delete", [("ids[]", groupid)],
                lambda: ctx.api.call("usergroup.get", {"usrgrpids": [groupid], "countOutput": True}), ctx.web)


CSRF_CASES = {
    "/logout": case_logout,
    "/user/profile": case_profile,
    **token_cases("/tokens"),
    **token_cases("/user/tokens"),
    "/users/create": case_user_create, "/users/update": case_user_update, "/users/delete": case_user_delete,
    "/roles/create": case_role_create, "/roles/update": case_role_update, "/roles/delete": case_role_delete,
    "/usergroups/create": case_group_create, "/usergroups/update": case_group_update, "/usergroups/delete": case_group_delete,
}


@dataclasses.dataclass
class Context:
    server: object
    api: ApiClient
    web: WebClient
    hostile: Hostile


def snapshot(api: ApiClient) -> dict:
    """Everything a form could change, as the API shows it (token last access times aside: using a
    token to check it moves them)."""
    token_fields = ["tokenid", "name", "description", "userid", "status", "expires_at", "created_at", "creator_userid"]
    return {
        "tokens": api.call("token.get", {"output": token_fields}),
        "users": api.call("user.get", {"output": "extend", "selectUsrgrps": ["usrgrpid"], "selectRole": ["roleid"]}),
        "groups": api.call("usergroup.get", {"output": "extend", "selectUsers": ["userid"]}),
        "roles": api.call("role.get", {"output": "extend", "selectRules": "extend"}),
    }


@pytest.fixture(scope="module")
def other_csrf(tessera_server) -> str:
    """A valid CSRF field, but of another Admin session."""
    other = WebClient(tessera_server)
    other.sign_in("Admin", tessera_server.password)
    return other.csrf


def post_in_session(server, sid: str, path: str, fields: list[tuple[str, str]]) -> requests.Response:
    """A form post with just this session cookie (no cookie jar: a refused sign-out that clears the
    cookie must not take the session away from the next post)."""
    return requests.post(server.base_url + path, data=fields, cookies={SESSION_COOKIE: sid}, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("name", list(CSRF_CASES))
def test_post_without_the_right_csrf_field_is_refused(tessera_server, admin_api, web, hostile, other_csrf, name):
    case = CSRF_CASES[name](Context(tessera_server, admin_api, web, hostile))
    sid, own_csrf = case.client.session_id, case.client.csrf
    assert other_csrf != own_csrf
    before, state = case.probe(), snapshot(admin_api)
    problems = []
    for variant, csrf in [("missing", None), ("empty", ""), ("wrong", "0123456789abcdef" * 2), ("another session's", other_csrf)]:
        fields = case.fields + ([("csrf", csrf)] if csrf is not None else [])
        r = post_in_session(tessera_server, sid, case.path, fields)
        if r.status_code != 403:
            problems.append(f"{variant} CSRF field: HTTP {r.status_code} (Location {r.headers.get('Location')!r}), expected 403")
        if case.probe() != before or snapshot(admin_api) != state:
            problems.append(f"{variant} CSRF field: the post changed something")
            before, state = case.probe(), snapshot(admin_api)
    assert_none([f"POST {case.path}: {p}" for p in problems])

    # The same post with the session's own field does what it is for.
    r = post_in_session(tessera_server, sid, case.path, case.fields + [("csrf", own_csrf)])
    assert r.status_code in (200, 303), (r.status_code, r.text[:500])
    for value in re.findall(r'<code id="auth-token">([0-9a-f]{64})</code>', r.text):
        tessera_server.secrets.add(value)
    assert case.probe() != before, f"POST {case.path} with the right CSRF field changed nothing: the case proves little"


# ---------------------------------------------------------------------------------------------
# Escaping of hostile values


def test_lists_show_hostile_values_as_text(web, hostile):
    problems = []
    labels = [label(v) for v in HOSTILE]
    for path, shown in [
        ("/tokens", HOSTILE + labels),
        ("/user/tokens", HOSTILE),
        ("/users", HOSTILE),
        ("/usergroups", HOSTILE + labels),
        ("/roles", HOSTILE),
    ]:
        r = web.get(path)
        assert r.status_code == 200, (path, r.status_code)
        problems += markup_problems(r, path, shown)
    assert_none(problems)


def test_edit_forms_show_hostile_values_as_text(web, hostile):
    problems = []
    for value in HOSTILE:
        for path, shown in [
            (f"/tokens/{hostile.admin_tokens[value]}/edit", [value]),
            (f"/tokens/{hostile.user_tokens[value]}/edit", [value, label(value)]),
            (f"/user/tokens/{hostile.admin_tokens[value]}/edit", [value]),
            (f"/users/{hostile.users[value]}/edit", [value]),
            (f"/usergroups/{hostile.groups[value]}/edit", [value, label(value)]),
            (f"/roles/{hostile.roles[value]}/edit", [value]),
        ]:
            r = web.get(path)
            assert r.status_code == 200, (path, r.status_code)
            problems += markup_problems(r, f"{path} ({value!r})", shown)
    for path, shown in [("/users/new", HOSTILE), ("/usergroups/new", [label(v) for v in HOSTILE])]:
        problems += markup_problems(web.get(path), path, shown)
    assert_none(problems)


def test_token_filter_shows_hostile_values_as_text(web, hostile):
    problems = []
    userids = list(hostile.users.values())
    try:
        for value in HOSTILE:
            path = query("/tokens", filter_set="1", filter_name=value, **{"filter_userids[]": userids, "filter_creator_userids[]": userids})
            r = web.get(path)
            problems += markup_problems(r, f"token filter {value!r}", [value, label(value)])
    finally:
        web.get("/tokens?filter_rst=1")
    assert_none(problems)


def test_one_time_token_page_shows_hostile_values_as_text(tessera_server, web, hostile):
    problems = []
    for value in HOSTILE:
        for section, owner, shown in [("/tokens", hostile.users[value], [value, f"{value} view", label(value)]), ("/user/tokens", "1", [value, f"{value} view"])]:
            r = web.follow(web.post(f"{section}/create", {"name": f"{value} view", "userid": owner, "description": value, "expires_state": "0", "status": "0"}))
            assert r.status_code == 200 and 'id="auth-token"' in r.text, (section, value, r.status_code, r.text[:300])
            tessera_server.secrets.update(re.findall(r'<code id="auth-token">([0-9a-f]{64})</code>', r.text))
            problems += markup_problems(r, f"{section} one-time page ({value!r})", shown)
    assert_none(problems)


def test_failed_form_posts_show_hostile_values_as_text(web, hostile):
    """The form comes back with the posted values and the message naming them; both escaped."""
    problems = []
    token_form = {"expires_state": "0", "status": "0", "userid": "1"}
    for n, value in enumerate(HOSTILE):
        other = HOSTILE[(n + 1) % len(HOSTILE)]
        posts = [
            ("duplicate token", "/tokens/create", {"name": value, "description": value, **token_form},
             [value, f'API token "{value}" already exists for userid "1".']),
            ("bad expiry date", "/tokens/create", {"name": f"{value} x", "description": value, **token_form, "expires_state": "1", "expires_at": value},
             [value]),
            ("rename onto another token", f"/tokens/{hostile.admin_tokens[value]}/update", {"name": other, "description": value, **token_form},
             [value, f'API token "{other}" already exists for userid "1".']),
            ("duplicate user", "/users/create", [
                ("username", value), ("name", value), ("surname", value), ("usrgrps[]", hostile.groups[value]), ("roleid", hostile.roles[value]),
                ("password1", PASSWORD), ("password2", PASSWORD), ("timezone", "default"), ("rows_per_page", "50"), ("autologout", "15m"),
            ], [value, f'User with username "{value}" already exists.']),
            ("duplicate group", "/usergroups/create", {"name": value, "gui_access": "0", "users_status": "0", "debug_mode": "0"},
             [value, f'User group "{value}" already exists.']),
            ("duplicate role", "/roles/create", {"name": value, "type": "1", "api_access": "1", "api_mode": "0", "api_methods": "", "actions_default_access": "1"},
             [value, f'User role "{value}" already exists.']),
            ("invalid API method", "/roles/create", {"name": unique("role"), "type": "1", "api_access": "1", "api_mode": "0", "api_methods": value, "actions_default_access": "1"},
             [value]),
            ("unknown time zone", "/user/profile", {"lang": "en_US", "timezone": value, "rows_per_page": "50"}, [value]),
        ]
        for what, path, fields, shown in posts:
            r = web.post(path, fields)
            if r.status_code != 200 or "msg-bad" not in r.text:
                problems.append(f"{what} ({value!r}): expected the form with an error message, got HTTP {r.status_code}")
                continue
            problems += markup_problems(r, f"{what} ({value!r})", shown)
    assert_none(problems)


def test_refused_deletes_show_hostile_values_as_text(web, hostile):
    """A refused delete redirects with a message (carried in a cookie) that names the object."""
    problems = []
    for value in HOSTILE:
        for what, path, ids, shown in [
            ("assigned role", "/roles/delete", hostile.roles[value], [f'Cannot delete assigned user role "{value}".']),
            ("a user's only group", "/usergroups/delete", hostile.groups[value], [value]),
        ]:
            r = web.post(path, [("ids[]", ids)])
            if r.status_code != 303:
                problems.append(f"{what} ({value!r}): HTTP {r.status_code}")
                continue
            page = web.follow(r)
            if "msg-bad" not in page.text:
                problems.append(f"{what} ({value!r}): the delete was not refused")
                continue
            problems += markup_problems(page, f"{what} ({value!r})", shown)
    assert_none(problems)


def test_sign_in_page_shows_hostile_usernames_as_text(tessera_server):
    problems = []
    for value in HOSTILE:
        r = requests.post(tessera_server.base_url + "/login", data={"username": value, "password": "wrong"}, allow_redirects=False, timeout=10)
        assert r.status_code == 200, (value, r.status_code)
        problems += markup_problems(r, f"sign-in page ({value!r})", [value])
        username = HtmlPage(r.text).by_id("username")
        if username is None or username.attrs.get("value") != value:
            problems.append(f"sign-in page ({value!r}): the username field holds {username and username.attrs.get('value')!r}")
    assert_none(problems)


def test_hostile_users_see_their_names_as_text(tessera_server, hostile):
    problems = []
    for value in HOSTILE:
        client = WebClient(tessera_server)
        client.sign_in(value, PASSWORD)
        for path, shown in [
            ("/user/tokens", [value, label(value)]),
            ("/user/tokens/new", [label(value)]),
            (f"/user/tokens/{hostile.user_tokens[value]}/edit", [value, label(value)]),
            ("/user/profile", [value, label(value)]),
        ]:
            r = client.get(path)
            assert r.status_code == 200, (value, path, r.status_code)
            problems += markup_problems(r, f"{path} as {value!r}", shown)
        client.sign_out()
    assert_none(problems)


def test_user_lookup_json_escapes_markup(web, hostile):
    """/ui/users is JSON (not HTML, not sniffable) and carries no raw markup characters."""
    problems = []
    for value in HOSTILE:
        r = web.get(query("/ui/users", search=value))
        assert r.status_code == 200, r.status_code
        if value == HOSTILE[0]:  # the headers are the same for every search
            if r.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                problems.append(f"Content-Type {r.headers.get('Content-Type')!r}, expected application/json")
            if r.headers.get("X-Content-Type-Options", "").lower() != "nosniff":
                problems.append(f"X-Content-Type-Options {r.headers.get('X-Content-Type-Options')!r}, expected nosniff")
        labels = [user["label"] for user in json.loads(r.text)]
        if label(value) not in labels:
            problems.append(f"{value!r}: the lookup does not find {label(value)!r} (got {labels})")
        raw = sorted(c for c in set("<>") if c in r.text)
        if raw:
            problems.append(f"{value!r}: raw {raw} in the JSON (expected \\u003c / \\u003e): {r.text[:200]}")
    assert_none(problems)


# ---------------------------------------------------------------------------------------------
# In a real browser

PAGE_HOOK = """
window.__e2eAlerts = [];
window.__e2eCsp = [];
for (const name of ["alert", "prompt"]) {
  window[name] = function (message) { window.__e2eAlerts.push(name + "(" + message + ")"); };
}
document.addEventListener("securitypolicyviolation", (e) => {
  window.__e2eCsp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""

PAGE_STATE = """
return {
  alerts: window.__e2eAlerts || ["(hook missing)"],
  csp: window.__e2eCsp || ["(hook missing)"],
  images: document.images.length,
  scripts: Array.from(document.scripts).map((s) => s.getAttribute("src")),
};
"""


def test_in_a_browser_no_script_runs(browser, tessera_server, hostile):
    """Each page with hostile values: no alert, no CSP violation, no injected element, and the values as text."""
    driver = browser.driver
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_HOOK})
    browser.sign_in("Admin", tessera_server.password)
    problems = []

    def check(where: str) -> None:
        state = driver.execute_script(PAGE_STATE)
        if browser.alert_open():
            problems.append(f"{where}: a dialog is open: {driver.switch_to.alert.text!r}")
            driver.switch_to.alert.dismiss()
        if state["alerts"] or state["csp"] or state["images"] or state["scripts"] != ["/static/app.js"]:
            problems.append(f"{where}: {state}")

    pages = [("/tokens", ".token-name"), ("/users", "a.username"), ("/usergroups", "a.group-name"), ("/roles", "a.role-name"), ("/user/tokens", ".token-name")]
    for path, css in pages:
        browser.get(path)
        check(path)
        missing = [v for v in HOSTILE if v not in browser.texts(css)]
        if missing:
            problems.append(f"{path}: {css} does not show {missing}")

    value = HOSTILE[4]  # </textarea>
    for path in [f"/tokens/{hostile.admin_tokens[value]}/edit", f"/users/{hostile.users[value]}/edit",
                 f"/usergroups/{hostile.groups[value]}/edit", f"/roles/{hostile.roles[value]}/edit"]:
        browser.get(path)
        check(path)
        if browser.find("#name" if "/users/" not in path else "#username").get_attribute("value") != value:
            problems.append(f"{path}: the name field does not hold {value!r}")
    browser.get(f"/tokens/{hostile.admin_tokens[value]}/edit")
    if browser.find("#description").get_attribute("value") != value:
        problems.append(f"token edit form: the description holds {browser.find('#description').get_attribute('value')!r}")

    # The delete confirmation is a fixed text (dismissed: nothing is deleted).
    browser.get(f"/users/{hostile.users[HOSTILE[0]]}/edit")
    browser.submit("#delete", confirm="Delete selected user?", accept=False)

    # The user picker builds its suggestions and its dialog from /ui/users in JavaScript.
    browser.get("/tokens/new")
    browser.type_slowly("#user_input", "alert")
    suggestions = browser.texts(".multiselect.single .suggestions li")
    expected = [label(v) for v in HOSTILE if "alert" in v]
    if sorted(suggestions) != sorted(expected):
        problems.append(f"user picker suggestions {suggestions}, expected {expected}")
    browser.find("#user-select").click()
    browser.wait(lambda d: len(browser.finds("#user-dialog-list button")) > 0, "the user dialog stayed empty")
    in_dialog = browser.texts("#user-dialog-list button")
    missing = [label(v) for v in HOSTILE if label(v) not in in_dialog]
    if missing:
        problems.append(f"user dialog does not list {missing} (lists {in_dialog})")
    check("/tokens/new with the user picker open")
    browser.find("#user-dialog-close").click()
    assert_none(problems)
