"""pyzabbix 1.3.1 against a real Tessera server.

pyzabbix reads apiinfo.version in login() and, for 6.4 and later, sends the session id or
API token as `Authorization: Bearer ...`; before 6.4 it puts it in the `auth` member.
Its method calls send `args or kwargs` as params, so positional ids are passed one by one
(`token.generate(tokenid)` sends `[tokenid]`).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from pyzabbix import ZabbixAPI, ZabbixAPIException
from requests import Session

pytestmark = pytest.mark.parametrize("tessera_server", ["7.0.0", "6.0.14"], indirect=True, scope="module")

NOT_AUTHORIZED = {"code": -32602, "message": "Invalid params.", "data": "Not authorized."}


def recording_session(log: list):
    """A requests session that remembers every request it sent."""
    session = Session()
    session.hooks["response"].append(lambda resp, *args, **kwargs: log.append(resp.request))
    return session


def assert_not_authorized(call) -> None:
    with pytest.raises(ZabbixAPIException) as err:
        call()
    assert err.value.error == NOT_AUTHORIZED
    assert "Not authorized." in str(err.value)


def test_token_lifecycle(tessera_server):
    server = tessera_server
    bearer = tessera_server.api_version.startswith("7.")

    zapi = ZabbixAPI(server.base_url)  # pyzabbix appends /api_jsonrpc.php
    zapi.login("Admin", server.password)
    assert str(zapi.version) == server.api_version
    assert re.fullmatch(r"[0-9a-f]{32}", zapi.auth)
    server.secrets.add(zapi.auth)

    name = f"e2e pyzabbix {server.api_version} {uuid.uuid4().hex[:8]}"
    tokenid = zapi.token.create(name=name)["tokenids"][0]
    generated = zapi.token.generate(tokenid)
    assert [set(g) for g in generated] == [{"tokenid", "token"}] and generated[0]["tokenid"] == tokenid
    token = generated[0]["token"]
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    server.secrets.add(token)

    sent: list = []
    tz = ZabbixAPI(server.base_url, session=recording_session(sent))
    tz.login(api_token=token)
    rows = tz.token.get(output=["tokenid", "name", "status", "userid"], tokenids=[tokenid])
    assert rows == [{"tokenid": tokenid, "name": name, "status": "0", "userid": "1"}]

    request = sent[-1]
    body = json.loads(request.body)
    assert body["method"] == "token.get"
    if bearer:
        assert request.headers.get("Authorization") == f"Bearer {token}"
        assert "auth" not in body
    else:
        assert "Authorization" not in request.headers
        assert body["auth"] == token

    [used] = zapi.token.get(output=["lastaccess"], tokenids=[tokenid])
    assert used["lastaccess"] != "0"

    assert zapi.token.update(tokenid=tokenid, status="1") == {"tokenids": [tokenid]}
    assert_not_authorized(lambda: tz.token.get(output=["tokenid"]))

    assert zapi.token.update(tokenid=tokenid, status="0") == {"tokenids": [tokenid]}
    assert tz.token.get(output=["tokenid"], tokenids=[tokenid]) == [{"tokenid": tokenid}]

    assert zapi.token.delete(tokenid) == {"tokenids": [tokenid]}
    assert_not_authorized(lambda: tz.token.get(output=["tokenid"]))

    assert zapi.user.logout() is True
    with pytest.raises(ZabbixAPIException) as err:
        zapi.token.get(output=["tokenid"])
    assert err.value.error == {
        "code": -32602, "message": "Invalid params.", "data": "Session terminated, re-login, please.",
    }

    assert token not in server.read_log()
