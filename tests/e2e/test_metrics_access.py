"""Who may read /metrics: by default anyone who reaches the main port (Prometheus on 127.0.0.1 needs
nothing); with --metrics-port it is served on that listener only (--metrics-host picks its
address); with --metrics-token-file it needs `Authorization: Bearer <token>` wherever it is served.
Unusable settings stop the start with exit status 64. (The metrics port's own contents are checked
in test_operations.py.)
"""

from __future__ import annotations

import json
import secrets as pysecrets

import pytest
import requests

from conftest import free_port, running
from ops_support import serve_expecting_refusal

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def token_file(tmp_path, text: str):
    path = tmp_path / "metrics-token"
    path.write_text(text)
    return path


def assert_metrics(r: requests.Response) -> None:
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == METRICS_TYPE
    assert "# TYPE tessera_lastaccess_pending gauge\n" in r.text


def assert_refused(r: requests.Response, challenge: str) -> None:
    assert r.status_code == 401, (r.status_code, r.text[:300])
    assert r.headers["WWW-Authenticate"] == challenge
    assert r.headers["Cache-Control"] == "no-store"
    assert r.text == "a valid metrics token is required\n"
    assert "tessera_" not in r.text


def test_without_settings_metrics_are_open_on_the_main_port(tmp_path):
    with running(tmp_path) as server:
        assert_metrics(requests.get(server.base_url + "/metrics", timeout=10))


def test_the_metrics_host_is_where_the_metrics_port_listens(tmp_path):
    metrics_port = free_port()
    with running(tmp_path, "--metrics-port", str(metrics_port), "--metrics-host", "127.0.0.2") as server:
        assert_metrics(requests.get(f"http://127.0.0.2:{metrics_port}/metrics", timeout=10))
        assert requests.get(f"http://127.0.0.2:{metrics_port}/healthz", timeout=10).text == "ok"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert requests.get(server.base_url + "/metrics", timeout=10).status_code == 404
        assert requests.get(server.base_url + "/healthz", timeout=10).text == "ok"
    assert f"metrics on http://127.0.0.2:{metrics_port}/metrics (no token required)" in server.read_log()


def check_token(base_url: str, token: str) -> None:
    url = base_url + "/metrics"
    assert_refused(requests.get(url, timeout=10), "Bearer")
    assert_refused(requests.get(url, headers={"Authorization": "Bearer " + token[:-1]}, timeout=10), 'Bearer error="invalid_token"')
    assert_refused(requests.get(url, headers={"Authorization": "Bearer " + token + "x"}, timeout=10), 'Bearer error="invalid_token"')
    assert_refused(requests.get(url, headers={"Authorization": "Basic " + token}, timeout=10), 'Bearer error="invalid_token"')
    assert_refused(requests.get(url, headers={"Authorization": "Bearer"}, timeout=10), 'Bearer error="invalid_token"')
    assert_metrics(requests.get(url, headers={"Authorization": "Bearer " + token}, timeout=10))
    assert_metrics(requests.get(url, headers={"Authorization": "bearer " + token}, timeout=10))


@pytest.mark.parametrize("where", ["flag", "config"])
def test_a_metrics_token_is_required_when_configured(tmp_path, where):
    token = pysecrets.token_urlsafe(32)
    path = token_file(tmp_path, token + "\n")  # as `echo` or an editor leaves it
    if where == "flag":
        args = ["--metrics-token-file", str(path)]
    else:
        config = tmp_path / "tessera.json"
        config.write_text(json.dumps({"tessera": {"metrics": {"token": {"file": str(path)}}}}))
        args = ["--config", str(config)]
    with running(tmp_path, *args) as server:
        server.secrets.add(token)  # never logged, not even at debug
        check_token(server.base_url, token)
        # The health checks stay open for load balancers.
        assert requests.get(server.base_url + "/healthz", timeout=10).text == "ok"
        assert requests.get(server.base_url + "/readyz", timeout=10).text == "ready\n"


def test_the_token_guards_the_metrics_port_too(tmp_path):
    token = pysecrets.token_hex(32)
    metrics_port = free_port()
    path = token_file(tmp_path, token)
    with running(tmp_path, "--metrics-port", str(metrics_port), "--metrics-token-file", str(path)) as server:
        server.secrets.add(token)
        check_token(f"http://127.0.0.1:{metrics_port}", token)
        assert requests.get(f"http://127.0.0.1:{metrics_port}/healthz", timeout=10).text == "ok"
    assert f"metrics on http://127.0.0.1:{metrics_port}/metrics (bearer token required)" in server.read_log()


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--metrics-token-file", "{missing}"], {}, "cannot read the metrics token file {missing} (missing, or not readable by this user)"),
        ([], {"TESSERA_METRICS_TOKEN_FILE": "{missing}"}, "cannot read the metrics token file {missing} (missing, or not readable by this user)"),
        (["--metrics-token-file", "{empty}"], {}, "the metrics token file {empty} is empty"),
        (["--metrics-token-file", "{spaced}"], {}, "the metrics token in {spaced} may only hold letters, digits and -._~+/ (with = at the end)"),
        (["--metrics-host", "127.0.0.2"], {}, "--metrics-host needs --metrics-port"),
        ([], {"TESSERA_METRICS_HOST": "127.0.0.2"}, "--metrics-host needs --metrics-port"),
        (["--metrics-port", "{port}", "--metrics-host", " "], {}, 'invalid metrics host " " (use an address such as 127.0.0.1)'),
    ],
)
def test_unusable_metrics_settings_are_refused(tmp_path, args, env, message):
    files = {
        "missing": str(tmp_path / "no-such-file"),
        "empty": str(token_file(tmp_path, " \n")),
        "spaced": str(tmp_path / "spaced"),
        "port": str(free_port()),
    }
    (tmp_path / "spaced").write_text("two words\n")
    full = ["--port", str(free_port()), "--data-dir", str(tmp_path / "data"), *[a.format(**files) for a in args]]
    done = serve_expecting_refusal(tmp_path, full, {k: v.format(**files) for k, v in env.items()}, timeout=15)
    assert done.returncode == 64, (done.returncode, done.stderr[-500:])
    assert done.error_lines() == [f"Error: {message.format(**files)}"], done.stderr
    assert not (tmp_path / "data").exists(), "refused only after creating the database"
