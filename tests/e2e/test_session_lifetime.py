"""The absolute session lifetime of a real server (`--session-lifetime`): sessions from `user.login`
and from the sign-in form are refused once that old, however active; tokens are not affected. The
shortest lifetime is a minute, so the test waits one. Unusable values stop the start (exit 64).
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from conftest import free_port, running
from ops_support import call, login, new_token, result, serve_expecting_refusal

TERMINATED = {"code": -32602, "message": "Invalid params.", "data": "Session terminated, re-login, please."}


def test_sessions_end_after_the_lifetime_however_active(tmp_path):
    with running(tmp_path, "--session-lifetime", "1m") as server:
        started = time.monotonic()
        session = login(server)
        _, token = new_token(server, session, "outlives sessions")
        web = requests.Session()
        r = web.post(server.base_url + "/login", data={"username": "Admin", "password": server.password},
                     allow_redirects=False, timeout=10)
        assert r.status_code == 303, (r.status_code, r.text[:300])
        server.secrets.add(web.cookies["tessera_session"])
        # Used every few seconds until shortly before the minute is over: still signed in.
        while time.monotonic() - started < 50:
            assert result(server, "user.get", {"output": ["userid"], "userids": "1"}, auth=session) == [{"userid": "1"}]
            assert web.get(server.base_url + "/user/profile", allow_redirects=False, timeout=10).status_code == 200
            time.sleep(5)
        time.sleep(max(0.0, 62 - (time.monotonic() - started)))
        assert call(server, "user.get", {"output": ["userid"]}, auth=session)["error"] == TERMINATED
        assert call(server, "user.checkAuthentication", {"sessionid": session})["error"] == TERMINATED
        page = web.get(server.base_url + "/user/profile", allow_redirects=False, timeout=10)
        assert (page.status_code, page.headers.get("Location")) == (303, "/login")
        assert result(server, "token.get", {"countOutput": True}, bearer=token) == "1"
        assert result(server, "user.get", {"output": ["userid"], "userids": "1"}, auth=login(server)) == [{"userid": "1"}]


@pytest.mark.parametrize(
    "args, env, config, message",
    [
        (["--session-lifetime", "abc"], {}, None, 'invalid session lifetime "abc" (use 0 or 1m-365d in Zabbix time units, e.g. 24h)'),
        (["--session-lifetime", "30s"], {}, None, 'invalid session lifetime "30s" (use 0 or 1m-365d in Zabbix time units, e.g. 24h)'),
        (["--session-lifetime", "366d"], {}, None, 'invalid session lifetime "366d" (use 0 or 1m-365d in Zabbix time units, e.g. 24h)'),
        (["--session-lifetime=-1h"], {}, None, 'invalid session lifetime "-1h" (use 0 or 1m-365d in Zabbix time units, e.g. 24h)'),
        ([], {"TESSERA_SESSION_LIFETIME": "1y"}, None, 'invalid session lifetime "1y" (use 0 or 1m-365d in Zabbix time units, e.g. 24h)'),
        ([], {}, {"session": {"lifetime": 59}}, 'invalid session lifetime "59" (use 0 or 1m-365d in Zabbix time units, e.g. 24h)'),
        ([], {}, {"session": {"lifetime": 1.5}}, "invalid session lifetime (use 0 or 1m-365d in Zabbix time units, e.g. 24h)"),
    ],
)
def test_unusable_session_lifetimes_are_refused(tmp_path, args, env, config, message):
    full = ["--port", str(free_port()), "--data-dir", str(tmp_path / "data"), *args]
    if config is not None:
        path = tmp_path / "tessera.json"
        path.write_text(json.dumps({"tessera": config}))
        full += ["--config", str(path)]
    done = serve_expecting_refusal(tmp_path, full, env, timeout=15)
    assert done.returncode == 64, (done.returncode, done.stderr[-500:])
    assert done.error_lines() == [f"Error: {message}"], done.stderr
    assert not (tmp_path / "data").exists(), "refused only after creating the database"
