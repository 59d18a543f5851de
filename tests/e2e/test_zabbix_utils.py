"""The official Zabbix client, zabbix_utils 2.0.4, against a real Tessera server.

zabbix_utils asks apiinfo.version first and then sends credentials as
`Authorization: Bearer ...` when the server says 6.4 or later, and as the `auth`
member of the request body before that. Both paths are exercised: 7.0.0 (header)
and 6.0.14 (body), on SQLite, and 7.0.0 on PostgreSQL when scripts/test provides one.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid

import pytest
from zabbix_utils import APIRequestError, ZabbixAPI

from conftest import ServerSpec, rpc

SERVERS = [ServerSpec("7.0.0"), ServerSpec("6.0.14"), ServerSpec("7.0.0", "postgres")]
pytestmark = pytest.mark.parametrize("tessera_server", SERVERS, indirect=True, scope="module", ids=str)

TOKEN_FIELDS = {
    "tokenid", "name", "description", "userid", "lastaccess", "status", "expires_at", "created_at", "creator_userid",
}
NOT_AUTHORIZED = {"code": -32602, "message": "Invalid params.", "data": "Not authorized."}


@pytest.fixture
def sent(monkeypatch):
    """Every request zabbix_utils sends, as (Authorization header or None, decoded JSON body)."""
    calls: list[tuple[str | None, dict]] = []
    real_urlopen = urllib.request.urlopen

    def spy(req, *args, **kwargs):
        calls.append((req.get_header("Authorization"), json.loads(req.data.decode("utf-8"))))
        return real_urlopen(req, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", spy)
    return calls


def uses_bearer(version: str) -> bool:
    major, minor = (int(x) for x in version.split(".")[:2])
    return (major, minor) >= (6, 4)


def assert_not_authorized(call) -> None:
    with pytest.raises(APIRequestError) as err:
        call()
    assert "Not authorized." in str(err.value)
    assert (err.value.code, err.value.message, err.value.data) == (
        NOT_AUTHORIZED["code"], NOT_AUTHORIZED["message"], NOT_AUTHORIZED["data"],
    )


def test_version_is_detected(tessera_server):
    api = ZabbixAPI(url=tessera_server.api_url)
    assert str(api.version) == tessera_server.api_version
    assert api.apiinfo.version() == tessera_server.api_version


def test_token_lifecycle(tessera_server, sent):
    server = tessera_server
    started = int(time.time())

    api = ZabbixAPI(url=server.api_url)
    api.login(user="Admin", password=server.password)
    session_id = api._ZabbixAPI__session_id  # the library keeps it private; needed to check logout
    assert re.fullmatch(r"[0-9a-f]{32}", session_id), session_id
    server.secrets.add(session_id)

    name = f"e2e zabbix_utils {server.spec} {uuid.uuid4().hex[:8]}"
    created = api.token.create(name=name)
    assert set(created) == {"tokenids"} and len(created["tokenids"]) == 1
    tokenid = created["tokenids"][0]
    assert re.fullmatch(r"[1-9][0-9]*", tokenid), tokenid

    generated = api.token.generate([tokenid])
    assert len(generated) == 1 and set(generated[0]) == {"tokenid", "token"}
    assert generated[0]["tokenid"] == tokenid
    token = generated[0]["token"]
    assert re.fullmatch(r"[0-9a-f]{64}", token), token
    server.secrets.add(token)

    # Never used yet.
    [before] = api.token.get(output="extend", tokenids=[tokenid])
    assert before["lastaccess"] == "0"

    # A second client that only knows the token.
    tc = ZabbixAPI(url=server.api_url, token=token)
    rows = tc.token.get(output="extend", tokenids=[tokenid])
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == TOKEN_FIELDS
    assert row["tokenid"] == tokenid
    assert row["name"] == name
    assert row["description"] == ""
    assert row["status"] == "0"
    assert row["expires_at"] == "0"
    assert row["userid"] == "1" and row["creator_userid"] == "1"  # Admin
    assert started - 5 <= int(row["created_at"]) <= int(time.time()) + 5
    assert all(isinstance(v, str) for v in row.values()), row

    # The credentials went where this version of the client puts them.
    auth_header, body = sent[-1]
    assert body["method"] == "token.get"
    if uses_bearer(server.api_version):
        assert auth_header == f"Bearer {token}"
        assert "auth" not in body
    else:
        assert auth_header is None
        assert body["auth"] == token

    # lastaccess is set by that use (as the admin sees it, and as the token itself sees it).
    [after] = api.token.get(output=["lastaccess"], tokenids=[tokenid])
    assert after["lastaccess"] != "0"
    assert started - 5 <= int(after["lastaccess"]) <= int(time.time()) + 5

    # Disable: the token stops working at once.
    assert api.token.update(tokenid=tokenid, status="1") == {"tokenids": [tokenid]}
    [disabled] = api.token.get(output=["status"], tokenids=[tokenid])
    assert disabled["status"] == "1"
    assert_not_authorized(lambda: tc.token.get(output=["tokenid"]))

    # Enable again: works again.
    assert api.token.update(tokenid=tokenid, status="0") == {"tokenids": [tokenid]}
    assert tc.token.get(output=["tokenid", "status"], tokenids=[tokenid]) == [{"tokenid": tokenid, "status": "0"}]

    # Delete: refused for good.
    assert api.token.delete([tokenid]) == {"tokenids": [tokenid]}
    assert api.token.get(output=["tokenid"], tokenids=[tokenid]) == []
    assert_not_authorized(lambda: tc.token.get(output=["tokenid"]))

    # Logout ends the admin session.
    api.logout()
    assert rpc(server, "token.get", {"output": ["tokenid"]}, auth=session_id) == {
        "jsonrpc": "2.0",
        "error": {"code": -32602, "message": "Invalid params.", "data": "Session terminated, re-login, please."},
        "id": 1,
    }

    # The plaintext token never reached the server's log (checked again after shutdown).
    assert token not in server.read_log()
