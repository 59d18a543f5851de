"""The HTTP envelope of /api_jsonrpc.php, byte for byte, with plain `requests`.

Expected values are what the real Zabbix 6.0.14 frontend answers (checked against it),
with the version string of the server under test.
"""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.parametrize("tessera_server", ["7.0.0", "6.0.14"], indirect=True, scope="module")

VERSION_REQUEST = b'{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}'


def post(server, body: bytes, content_type: str | None = "application/json-rpc", **headers) -> requests.Response:
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(server.api_url, data=body, headers=headers, timeout=10)


def test_healthz(tessera_server):
    r = requests.get(f"{tessera_server.base_url}/healthz", timeout=10)
    assert r.status_code == 200


def test_options_preflight(tessera_server):
    r = requests.options(tessera_server.api_url, timeout=10)
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Methods"] == "POST"
    assert r.headers["Access-Control-Max-Age"] == "1000"
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "authorization"} <= allowed


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_other_content_types_are_refused_with_412(tessera_server, content_type):
    r = post(tessera_server, VERSION_REQUEST, content_type=content_type)
    assert r.status_code == 412
    assert r.content == b""


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json-rpc", "application/jsonrequest", "application/json; charset=utf-8"],
)
def test_apiinfo_version(tessera_server, content_type):
    r = post(tessera_server, VERSION_REQUEST, content_type=content_type)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    assert r.text == '{"jsonrpc":"2.0","result":"%s","id":1}' % tessera_server.api_version
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_id_is_echoed_as_sent(tessera_server):
    r = post(tessera_server, b'{"jsonrpc":"2.0","method":"apiinfo.version","params":[],"id":"x"}')
    assert r.text == '{"jsonrpc":"2.0","result":"%s","id":"x"}' % tessera_server.api_version


def test_parse_error(tessera_server):
    r = post(tessera_server, b"{bad")
    assert r.status_code == 200
    assert r.text == (
        '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error",'
        '"data":"Invalid JSON. An error occurred on the server while parsing the JSON text."},"id":null}'
    )


def test_apiinfo_version_refuses_auth(tessera_server):
    r = post(tessera_server, b'{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1,"auth":"abc"}')
    assert r.text == (
        '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params.",'
        '"data":"The \\"apiinfo.version\\" method must be called without the \\"auth\\" parameter."},"id":1}'
    )


def test_unauthenticated_token_get(tessera_server):
    r = post(tessera_server, b'{"jsonrpc":"2.0","method":"token.get","params":{},"id":1}')
    assert r.text == '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params.","data":"Not authorized."},"id":1}'


def test_unknown_token_and_unknown_session(tessera_server):
    r = post(
        tessera_server,
        b'{"jsonrpc":"2.0","method":"token.get","params":{},"id":1,"auth":"%s"}' % (b"ab" * 32),
    )
    assert r.text == '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params.","data":"Not authorized."},"id":1}'
    r = post(
        tessera_server,
        b'{"jsonrpc":"2.0","method":"token.get","params":{},"id":1,"auth":"0123456789abcdef0123456789abcdef"}',
    )
    assert r.text == (
        '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params.",'
        '"data":"Session terminated, re-login, please."},"id":1}'
    )


def test_wrong_password(tessera_server):
    r = post(
        tessera_server,
        b'{"jsonrpc":"2.0","method":"user.login","params":{"username":"Admin","password":"wrong"},"id":1}',
    )
    assert r.text == (
        '{"jsonrpc":"2.0","error":{"code":-32500,"message":"Application error.",'
        '"data":"Incorrect user name or password or account is temporarily blocked."},"id":1}'
    )


def test_batch_request(tessera_server):
    v = tessera_server.api_version
    r = post(
        tessera_server,
        b'[{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1},'
        b'{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":2}]',
    )
    assert r.text == f'[{{"jsonrpc":"2.0","result":"{v}","id":1}},{{"jsonrpc":"2.0","result":"{v}","id":2}}]'


def test_notification_gets_empty_answer(tessera_server):
    r = post(tessera_server, b'{"jsonrpc":"2.0","method":"apiinfo.version","params":{}}')
    assert r.status_code == 200
    assert r.content == b""


@pytest.mark.parametrize(
    "body, expected",
    [
        (b"[]", '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request.","data":"The received JSON is not a valid JSON-RPC request."},"id":null}'),
        (b'"str"', '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request.","data":"The received JSON is not a valid JSON-RPC request."},"id":null}'),
        (b'{"jsonrpc":"1.0","method":"apiinfo.version","params":{},"id":1}', '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request.","data":"Invalid parameter \\"/jsonrpc\\": value must be \\"2.0\\"."},"id":1}'),
        (b'{"method":"apiinfo.version","params":{},"id":1}', '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request.","data":"Invalid parameter \\"/\\": the parameter \\"jsonrpc\\" is missing."},"id":1}'),
        (b'{"jsonrpc":"2.0","method":"apiinfo.version","id":1}', '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request.","data":"Invalid parameter \\"/\\": the parameter \\"params\\" is missing."},"id":1}'),
        (b'{"jsonrpc":"2.0","method":"nosuch.method","params":{},"id":1}', '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found.","data":"Incorrect API \\"nosuch\\"."},"id":1}'),
    ],
    ids=["empty-batch", "string", "jsonrpc-1.0", "no-jsonrpc", "no-params", "unknown-api"],
)
def test_invalid_requests(tessera_server, body, expected):
    r = post(tessera_server, body)
    assert r.status_code == 200
    assert r.text == expected
