"""Log lines cannot be forged with user-chosen text: a username or token name holding a newline (and
fake log text after it) stays inside the one line of its event, in the plain format escaped, in the
JSON format as a JSON string. The server's own log output is read back (`server.read_log()`).

The request line logs only the method, the path (which HTTP cannot carry a raw control character in)
and the status; headers such as User-Agent are never logged.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from conftest import running
from ops_support import call, login, new_token, result

FAKE = "2026-01-01T00:00:00Z critical tessera: wiped"
USERNAME = "nobody\n" + FAKE + "\r\x1b[1A"
TOKEN_NAME = "ci\n" + FAKE
PLAIN_USERNAME = "nobody\\n" + FAKE + "\\r\\u{1b}[1A"
PLAIN_TOKEN_NAME = "ci\\n" + FAKE
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d{4}) (trace|debug|info|notice|warning|error|critical) ")


def provoke(server) -> None:
    """A failed API login, a failed web sign-in (both with the forged username) and a token created
    and generated with the forged name: four audit events."""
    failed = call(server, "user.login", {"username": USERNAME, "password": "wrong-password"})
    assert failed["error"]["data"] == "Incorrect user name or password or account is temporarily blocked.", failed
    r = requests.post(server.base_url + "/login", data={"username": USERNAME, "password": "wrong-password"},
                      allow_redirects=False, timeout=10)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    session = login(server)
    new_token(server, session, TOKEN_NAME)
    assert result(server, "token.get", {"countOutput": True, "filter": {"name": TOKEN_NAME}}, auth=session) == "1"


def test_plain_log_escapes_user_text(tmp_path):
    with running(tmp_path, "--log-format", "plain", "--log-level", "info") as server:
        provoke(server)
    log = server.read_log()
    lines = [line for line in log.split("\n") if line]
    # Every line is one event of the server, stamped by it; none starts with the fake text, which
    # appears only inside the four audit lines.
    assert all(STAMP.match(line) for line in lines), [line for line in lines if not STAMP.match(line)]
    assert not [line for line in lines if line.startswith(FAKE)]
    assert len([line for line in lines if FAKE in line]) == 4, [line for line in lines if FAKE in line]
    assert "\r" not in log and "\x1b" not in log

    failed = [line for line in lines if " tessera: audit: loginFailed user - \"\" by " in line]
    assert len(failed) == 2, failed
    for line in failed:
        assert line.split(" info tessera: ", 1)[1].startswith(
            f'audit: loginFailed user - "" by {PLAIN_USERNAME} from 127.0.0.1 recordsetid='), line
    for action in ("add", "update"):
        changed = [line for line in lines if f" tessera: audit: {action} apiToken " in line]
        assert len(changed) == 1, changed
        assert f'"{PLAIN_TOKEN_NAME}" by Admin from 127.0.0.1 recordsetid=' in changed[0], changed[0]


def test_json_log_keeps_user_text_in_one_object(tmp_path):
    with running(tmp_path, "--log-format", "json", "--log-level", "info") as server:
        provoke(server)
    objects = []
    for line in server.read_log().split("\n"):
        if not line:
            continue
        try:
            objects.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line that is not a JSON object: {line!r}")
    messages = [o["message"] for o in objects]
    failed = [m for m in messages if m.startswith("audit: loginFailed")]
    assert failed == [f'audit: loginFailed user - "" by {USERNAME} from 127.0.0.1'] * 2, failed
    for action in ("add", "update"):
        changed = [m for m in messages if m.startswith(f"audit: {action} apiToken ")]
        assert len(changed) == 1 and changed[0].endswith(f'"{TOKEN_NAME}" by Admin from 127.0.0.1'), changed
