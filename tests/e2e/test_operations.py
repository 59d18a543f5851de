"""Running Tessera in production: health and readiness, Prometheus metrics, the metrics port,
JSON logs, TLS, trusted reverse proxies and the start-up checks of these settings.

Every server here is a fresh `tessera serve` on 127.0.0.1 with the arguments under test
(`TesseraServer(extra_args=...)`). The PostgreSQL readiness test needs TESSERA_TEST_POSTGRES_URL
and runs its own cluster (scripts/pg-cluster.sh), which it halts and resumes.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets as pysecrets
import socket
import ssl
from http.cookies import SimpleCookie

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import ServerSpec, create_postgres_database, free_port, pg_cluster, running
from ops_support import (
    JSONRPC,
    call,
    login,
    new_token,
    post,
    result,
    self_signed_certificate,
    serve_expecting_refusal,
    wait_for,
)

SESSION_COOKIE = "tessera_session"
PROXY_CLIENT = "203.0.113.7"


# ---------------------------------------------------------------------------------------------
# /healthz and /readyz


def test_healthz_and_readyz_on_sqlite(tmp_path):
    with running(tmp_path) as server:
        r = requests.get(server.base_url + "/healthz", timeout=10)
        assert (r.status_code, r.text) == (200, "ok")
        r = requests.get(server.base_url + "/readyz", timeout=10)
        assert (r.status_code, r.text) == (200, "ready\n")
        assert r.headers["Content-Type"].startswith("text/plain")


def test_readyz_follows_postgresql_while_healthz_stays_up(tmp_path):
    with pg_cluster() as pg:
        _, database_url = create_postgres_database(pg.url)
        with running(tmp_path, spec=ServerSpec("7.0.0", "postgres"), database_url=database_url) as server:

            def get(path):
                try:
                    r = requests.get(server.base_url + path, timeout=10)
                    return r.status_code, r.text
                except requests.RequestException as err:
                    return None, f"{type(err).__name__}: {err}"

            assert get("/readyz") == (200, "ready\n")
            def not_ready():
                answer = get("/readyz")
                return answer if answer[0] != 200 else None

            pg.halt()
            try:
                down = wait_for(not_ready, timeout=15)
                assert down == (503, "database unavailable or not migrated\n"), (
                    f"/readyz while PostgreSQL is halted: {down or get('/readyz')}"
                )
                # Still down: it keeps saying so, and the process itself is healthy.
                assert get("/readyz") == (503, "database unavailable or not migrated\n")
                assert get("/healthz") == (200, "ok")
            finally:
                pg.resume()
            back = wait_for(lambda: get("/readyz") == (200, "ready\n"), timeout=30)
            assert back, f"/readyz did not answer 200 within 30 s after PostgreSQL was back: {get('/readyz')}"
            assert get("/healthz") == (200, "ok")
            assert server.process.poll() is None


# ---------------------------------------------------------------------------------------------
# /metrics


def scrape(url: str) -> tuple[dict[tuple[str, frozenset], float], dict[str, str], requests.Response]:
    """GET /metrics, parsed with prometheus_client's parser: ({(sample name, labels): value},
    {family name: type}, response)."""
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, (r.status_code, r.text[:500])
    samples: dict[tuple[str, frozenset], float] = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(r.text):
        assert family.name not in types, f"family {family.name} appears twice:\n{r.text}"
        types[family.name] = family.type
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in samples, f"sample {key} appears twice"
            samples[key] = sample.value
    return samples, types, r


def series(samples, name: str) -> dict[frozenset, float]:
    return {labels: value for (sample, labels), value in samples.items() if sample == name}


def labels(**kv) -> frozenset:
    return frozenset(kv.items())


def test_metrics_count_a_known_sequence_of_calls(tmp_path):
    N, M, K = 3, 4, 3  # token.get with a session, with a valid token, with unknown tokens
    with running(tmp_path) as server:
        session = login(server)  # user.login: anonymous, no authentication counted
        owner = result(server, "user.create", {
            "username": "owner", "passwd": "Str0ng-Passw0rd!", "roleid": "1", "usrgrps": [{"usrgrpid": "7"}],
        }, auth=session)["userids"][0]
        ids = result(server, "token.create", [
            {"name": "valid"}, {"name": "off", "status": "1"}, {"name": "old", "expires_at": "1"},
            {"name": "orphan", "userid": owner},
        ], auth=session)["tokenids"]
        values = [t["token"] for t in result(server, "token.generate", ids, auth=session)]
        server.secrets.update(values)
        valid, disabled, expired, orphan = values
        # The owner joins "Disabled" (usrgrpid 9): the token of a disabled owner.
        result(server, "user.update", {"userid": owner, "usrgrps": [{"usrgrpid": "7"}, {"usrgrpid": "9"}]}, auth=session)
        setup_session_calls = 4  # user.create, token.create, token.generate, user.update

        for _ in range(N):
            result(server, "token.get", {"countOutput": True}, auth=session)
        # Method names are case-insensitive: one more with a session, counted as token.get.
        result(server, "TOKEN.Get", {"countOutput": True}, auth=session)
        for _ in range(M):
            assert result(server, "token.get", {"output": ["tokenid"], "tokenids": ids[0]}, bearer=valid) == [{"tokenid": ids[0]}]
        for _ in range(K):
            assert call(server, "token.get", {}, auth=pysecrets.token_hex(32))["error"]["data"] == "Not authorized."
        assert call(server, "token.get", {}, auth=disabled)["error"]["data"] == "Not authorized."
        assert call(server, "token.get", {}, auth=expired)["error"] == {
            "code": -32500, "message": "Application error.", "data": "API token expired."}
        assert call(server, "token.get", {}, auth=orphan)["error"]["data"] == "Not authorized."
        assert call(server, "token.get", {}, auth="0123456789abcdef0123456789abcdef")["error"]["data"] == (
            "Session terminated, re-login, please.")
        # A made-up method name (with characters that would break a label) and two broken envelopes.
        evil = 'evil.x"} 1\n# HELP x'
        assert call(server, evil, {})["error"]["code"] == -32601
        r = post(server, b'{"jsonrpc": "2.0", "method": ')
        assert r.json()["error"]["code"] == -32700
        r = post(server, {"jsonrpc": "2.0", "method": "apiinfo.version", "id": 1})  # no params
        assert r.json()["error"]["code"] == -32600

        samples, types, response = scrape(server.base_url + "/metrics")

    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4"), response.headers["Content-Type"]
    assert types["tessera_requests"] == "counter"
    assert types["tessera_authentications"] == "counter"
    assert types["tessera_token_cache_hits"] == "counter"
    assert types["tessera_token_cache_misses"] == "counter"
    assert types["tessera_request_duration_seconds"] == "histogram"
    assert types["tessera_lastaccess_pending"] == "gauge"
    assert types["tessera_db_connections_in_use"] == "gauge"

    session_ok = setup_session_calls + N + 1  # the set-up calls, N token.get, TOKEN.Get
    requests_expected = {
        labels(method="user.login", outcome="ok"): 1,
        labels(method="user.create", outcome="ok"): 1,
        labels(method="token.create", outcome="ok"): 1,
        labels(method="token.generate", outcome="ok"): 1,
        labels(method="user.update", outcome="ok"): 1,
        labels(method="token.get", outcome="ok"): N + 1 + M,
        # unknown tokens, the disabled token, the disabled owner's token, the ended session
        labels(method="token.get", outcome="-32602"): K + 3,
        labels(method="token.get", outcome="-32500"): 1,  # the expired token
        labels(method="unknown", outcome="-32601"): 1,
        labels(method="invalid", outcome="-32700"): 1,
        labels(method="invalid", outcome="-32600"): 1,
    }
    assert series(samples, "tessera_requests_total") == requests_expected
    assert series(samples, "tessera_authentications_total") == {
        labels(result="ok", reason="session"): session_ok,
        labels(result="ok", reason="token"): M,
        labels(result="refused", reason="unknown"): K,
        labels(result="refused", reason="disabled"): 1,
        labels(result="refused", reason="expired"): 1,
        labels(result="refused", reason="owner_disabled"): 1,
        labels(result="refused", reason="session"): 1,
    }
    # The valid token: one miss, then hits; every refused token was looked up (and missed) once.
    assert series(samples, "tessera_token_cache_hits_total") == {labels(): M - 1}
    assert series(samples, "tessera_token_cache_misses_total") == {labels(): 1 + K + 3}

    # The histogram: one observation per call, by method; cumulative buckets ending in +Inf = count.
    per_method: dict[str, int] = {}
    for key, value in requests_expected.items():
        method = dict(key)["method"]
        per_method[method] = per_method.get(method, 0) + value
    assert {dict(k)["method"]: v for k, v in series(samples, "tessera_request_duration_seconds_count").items()} == per_method
    for method, count in per_method.items():
        buckets = sorted(
            ((float(dict(k)["le"]), v) for k, v in series(samples, "tessera_request_duration_seconds_bucket").items()
             if dict(k)["method"] == method),
        )
        assert buckets and buckets[-1] == (float("inf"), count), (method, buckets)
        assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), (method, buckets)
        assert series(samples, "tessera_request_duration_seconds_sum")[labels(method=method)] >= 0

    # Label values are the API's own method names, never what a caller sent.
    method_labels = {dict(k)["method"] for (name, k) in samples if "method" in dict(k)}
    assert method_labels == set(per_method), method_labels
    assert not any("evil" in name or "evil" in str(k) for name, k in samples)

    for gauge in ("tessera_lastaccess_pending", "tessera_db_connections_in_use"):
        assert set(series(samples, gauge)) == {labels()}, gauge
        assert series(samples, gauge)[labels()] >= 0, gauge


def test_metrics_port_serves_operations_only(tmp_path):
    metrics_port = free_port()
    with running(tmp_path, "--metrics-port", str(metrics_port)) as server:
        base = f"http://127.0.0.1:{metrics_port}"
        assert result(server, "apiinfo.version", {}) == "7.0.0"
        r = requests.get(base + "/healthz", timeout=10)
        assert (r.status_code, r.text) == (200, "ok")
        r = requests.get(base + "/readyz", timeout=10)
        assert (r.status_code, r.text) == (200, "ready\n")
        samples, _, _ = scrape(base + "/metrics")
        # The same registry as the main port: the call made there is counted.
        assert series(samples, "tessera_requests_total") == {labels(method="apiinfo.version", outcome="ok"): 1}
        # Neither the API nor the web UI is served on the metrics port.
        r = requests.post(base + "/api_jsonrpc.php", headers=JSONRPC, timeout=10,
                          data=json.dumps({"jsonrpc": "2.0", "method": "apiinfo.version", "params": {}, "id": 1}))
        assert r.status_code == 404, (r.status_code, r.text[:300])
        for path in ("/login", "/"):
            r = requests.get(base + path, timeout=10, allow_redirects=False)
            assert r.status_code == 404, (path, r.status_code, r.text[:300])
        # The main port keeps the API, the web UI and the health checks, but /metrics moved.
        assert requests.get(server.base_url + "/healthz", timeout=10).text == "ok"
        assert requests.get(server.base_url + "/readyz", timeout=10).text == "ready\n"
        r = requests.get(server.base_url + "/metrics", timeout=10)
        assert r.status_code == 404, (r.status_code, r.text[:300])


# ---------------------------------------------------------------------------------------------
# Logs


REQUEST_LINE = re.compile(r"^(GET|POST|HEAD|PUT|DELETE|OPTIONS|PATCH) (/\S*) (\d{3})$")


def test_json_logs_one_line_per_request_without_secrets(tmp_path):
    query_secret = pysecrets.token_hex(16)
    # debug logs the most (the last --log-level given wins over the fixture's).
    with running(tmp_path, "--log-format", "json", "--log-level", "debug") as server:
        server.secrets.add(query_secret)
        sent: list[tuple[str, str, int]] = []

        def expect(method, path, status, response):
            assert response.status_code == status, (method, path, response.status_code, response.text[:300])
            sent.append((method, path, status))

        expect("GET", "/healthz", 200, requests.get(server.base_url + "/healthz", timeout=10))
        expect("GET", "/readyz", 200, requests.get(server.base_url + f"/readyz?token={query_secret}", timeout=10))
        session = login(server)
        sent.append(("POST", "/api_jsonrpc.php", 200))
        _, token = new_token(server, session, "logged")
        sent += [("POST", "/api_jsonrpc.php", 200)] * 2
        assert result(server, "token.get", {"countOutput": True}, bearer=token) == "1"
        sent.append(("POST", "/api_jsonrpc.php", 200))
        web = requests.Session()
        r = web.post(server.base_url + "/login", data={"username": "Admin", "password": server.password},
                     allow_redirects=False, timeout=10)
        expect("POST", "/login", 303, r)
        server.secrets.add(web.cookies[SESSION_COOKIE])
        expect("GET", "/tokens", 200, web.get(server.base_url + "/tokens", timeout=10, allow_redirects=False))
        expect("GET", "/no-such-page", 404, requests.get(server.base_url + "/no-such-page", timeout=10))
        sent.append(("GET", "/metrics", 200))
        requests.get(server.base_url + "/metrics", timeout=10).raise_for_status()

    lines = [line for line in server.read_log().splitlines() if line.strip()]
    assert lines, "the server wrote nothing"
    objects = []
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            pytest.fail(f"a log line that is not JSON: {line!r}")
        assert isinstance(obj, dict), line
        for key in ("time", "level", "label", "message"):
            assert isinstance(obj.get(key), str), (key, line)
        assert obj["level"] in {"trace", "debug", "info", "notice", "warning", "error", "critical"}, line
        datetime.datetime.fromisoformat(obj["time"].replace("Z", "+00:00"))
        objects.append(obj)

    requests_logged = [o for o in objects if REQUEST_LINE.match(o["message"])]
    # The startup health probe(s) of the fixture come first: GET /healthz 200, one per attempt.
    logged = [REQUEST_LINE.match(o["message"]).groups() for o in requests_logged]
    logged = [(m, p, int(s)) for m, p, s in logged]
    probes = 0
    while probes < len(logged) and logged[probes] == ("GET", "/healthz", 200) and len(logged) - probes > len(sent):
        probes += 1
    assert probes >= 1 and logged[probes:] == sent, f"request lines {logged} (after {probes} start-up probes), sent {sent}"
    request_ids = [o.get("hb.request.id") for o in requests_logged]
    assert all(isinstance(i, str) and i for i in request_ids), requests_logged
    assert len(set(request_ids)) == len(request_ids), "request ids repeat"
    for o in requests_logged:
        assert o.get("status") == o["message"].rsplit(" ", 1)[1], o
    assert query_secret not in server.read_log()


# ---------------------------------------------------------------------------------------------
# TLS


def test_https_with_tls_cert_and_key(tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    with running(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https", verify=str(cert)) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        assert result(server, "apiinfo.version", {}) == "7.0.0"
        session = login(server)
        _, token = new_token(server, session, "over-tls")
        assert result(server, "token.get", {"countOutput": True}, bearer=token) == "1"

        # The sign-in cookie is __Host-prefixed and Secure (and still HttpOnly, SameSite=Lax); every
        # answer carries HSTS.
        r = requests.post(server.base_url + "/login", data={"username": "Admin", "password": server.password},
                          allow_redirects=False, timeout=10, verify=str(cert))
        assert r.status_code == 303, (r.status_code, r.text[:300])
        cookie = SimpleCookie(r.headers["Set-Cookie"])["__Host-" + SESSION_COOKIE]
        server.secrets.add(cookie.value)
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"].lower() == "lax", r.headers["Set-Cookie"]
        assert cookie["path"] == "/" and not cookie["domain"], r.headers["Set-Cookie"]
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
        page = requests.get(server.base_url + "/tokens", cookies={"__Host-" + SESSION_COOKIE: cookie.value},
                            allow_redirects=False, timeout=10, verify=str(cert))
        assert page.status_code == 200 and page.headers["Strict-Transport-Security"] == "max-age=31536000"
        for path in ("/healthz", "/api_jsonrpc.php", "/no-such-page"):
            answer = requests.get(server.base_url + path, timeout=10, verify=str(cert))
            assert answer.headers.get("Strict-Transport-Security") == "max-age=31536000", (path, answer.status_code)
        assert post(server, {"jsonrpc": "2.0", "method": "apiinfo.version", "params": {}, "id": 1}).headers[
            "Strict-Transport-Security"] == "max-age=31536000"

        # The certificate presented is ours, for 127.0.0.1.
        context = ssl.create_default_context(cafile=str(cert))
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
                assert ("IP Address", "127.0.0.1") in tls.getpeercert()["subjectAltName"]

        # Without trusting the certificate the client refuses; plain HTTP gets no HTTP answer.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.base_url + "/healthz", timeout=10)
        try:
            plain = requests.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
        except requests.exceptions.ConnectionError:
            plain = None
        assert plain is None, f"plain HTTP to the TLS port answered HTTP {plain.status_code}: {plain.text[:200]!r}"
        assert server.process.poll() is None


@pytest.mark.parametrize("which", ["--tls-cert", "--tls-key"])
def test_tls_needs_both_files(tmp_path, which):
    cert, key = self_signed_certificate(tmp_path)
    done = serve_expecting_refusal(tmp_path, ["--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
                                              which, str(cert if which == "--tls-cert" else key)])
    assert done.returncode not in (0, None), done
    assert done.error_lines() == ["Error: --tls-cert and --tls-key go together: give both files or neither"], done.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("broken", ["garbage-cert", "missing-cert", "empty-cert", "garbage-key"])
def test_unusable_tls_files_are_refused(tmp_path, broken):
    cert, key = self_signed_certificate(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not a PEM file\n")
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    missing = tmp_path / "missing.pem"
    cert_arg, key_arg, named, kind = {
        "garbage-cert": (garbage, key, garbage, "certificate"),
        "missing-cert": (missing, key, missing, "certificate"),
        "empty-cert": (empty, key, empty, "certificate"),
        "garbage-key": (cert, garbage, garbage, "key"),
    }[broken]
    done = serve_expecting_refusal(
        tmp_path, ["--port", str(free_port()), "--data-dir", str(tmp_path / "data"), "--tls-cert", str(cert_arg), "--tls-key", str(key_arg)],
        {"TESSERA_ADMIN_PASSWORD": "Tls-Test-pw1"},
    )
    assert done.returncode not in (0, None), done
    errors = [line for line in done.error_lines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    if broken == "empty-cert":
        assert errors[0].startswith((f"Error: cannot read the TLS certificate {named}", f"Error: no certificate in {named}")), done.stderr
    else:
        assert errors[0].startswith(f"Error: cannot read the TLS {kind} {named}"), done.stderr
    assert "Tls-Test-pw1" not in done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# Trusted proxies


def proxied_calls(server) -> dict:
    """A login through the API and one through the web form, both with X-Forwarded-For and
    X-Forwarded-Proto; a failed login too. Returns what the server made of them."""
    forwarded = {"X-Forwarded-For": PROXY_CLIENT, "X-Forwarded-Proto": "https"}
    user = result(server, "user.login", {"username": "Admin", "password": server.password, "userData": True}, headers=forwarded)
    server.secrets.add(user["sessionid"])
    r = requests.post(server.base_url + "/login", data={"username": "Admin", "password": server.password},
                      headers=forwarded, allow_redirects=False, timeout=10)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    (name, cookie), = SimpleCookie(r.headers["Set-Cookie"]).items()
    server.secrets.add(cookie.value)
    assert call(server, "user.login", {"username": "Admin", "password": "wrong"}, headers=forwarded)["error"]["code"] == -32500
    # Read back without any forwarding header.
    session = login(server)
    audit = result(server, "auditlog.get", {"output": ["ip", "action"], "filter": {"action": [8, 9]}, "sortfield": "clock"}, auth=session)
    attempt_ip = result(server, "user.get", {"output": ["attempt_ip"], "userids": "1"}, auth=session)[0]["attempt_ip"]
    return {"userip": user["userip"], "secure": bool(cookie["secure"]), "cookie": name, "hsts": r.headers.get("Strict-Transport-Security"),
            "audit": audit, "attempt_ip": attempt_ip}


def test_forwarded_headers_are_ignored_without_trusted_proxy(tmp_path):
    with running(tmp_path) as server:
        seen = proxied_calls(server)
    assert seen["userip"] == "127.0.0.1"
    assert seen["secure"] is False, "X-Forwarded-Proto from an untrusted peer made the cookie Secure"
    assert (seen["cookie"], seen["hsts"]) == (SESSION_COOKIE, None)
    assert seen["attempt_ip"] == "127.0.0.1"
    # Two logins with the header, one failure, then the plain login: all from the peer's address.
    assert sorted((r["action"], r["ip"]) for r in seen["audit"]) == [("8", "127.0.0.1")] * 3 + [("9", "127.0.0.1")]


def test_forwarded_headers_are_believed_from_a_trusted_proxy(tmp_path):
    with running(tmp_path, "--trusted-proxy", "10.9.9.9,127.0.0.1") as server:
        seen = proxied_calls(server)
        # A chain: the nearest address that is not a trusted proxy is the client.
        chained = result(server, "user.login", {"username": "Admin", "password": server.password, "userData": True},
                         headers={"X-Forwarded-For": f"198.51.100.1, {PROXY_CLIENT}, 10.9.9.9"})
        server.secrets.add(chained["sessionid"])
    assert seen["userip"] == PROXY_CLIENT
    assert seen["secure"] is True, "X-Forwarded-Proto: https from a trusted proxy did not make the cookie Secure"
    assert (seen["cookie"], seen["hsts"]) == ("__Host-" + SESSION_COOKIE, "max-age=31536000")
    assert seen["attempt_ip"] == PROXY_CLIENT
    assert sorted((r["action"], r["ip"]) for r in seen["audit"]) == sorted(
        [("8", PROXY_CLIENT), ("8", PROXY_CLIENT), ("9", PROXY_CLIENT), ("8", "127.0.0.1")])
    assert chained["userip"] == PROXY_CLIENT


# ---------------------------------------------------------------------------------------------
# Start-up checks of the new settings (flags, environment, config file)


@pytest.mark.parametrize(
    "args, env, config, message",
    [
        (["--auth-failure-limit=-1"], {}, None, "invalid auth failure limit -1 (use 0-1000000000)"),
        (["--auth-failure-limit", "-1"], {}, None, "Missing value for '--auth-failure-limit <auth-failure-limit>'"),
        (["--auth-failure-limit", "many"], {}, None, "The value 'many' is invalid for '--auth-failure-limit <auth-failure-limit>'"),
        ([], {"TESSERA_AUTH_FAILURE_LIMIT": "-1"}, None, "invalid auth failure limit -1 (use 0-1000000000)"),
        ([], {}, {"auth": {"failure": {"limit": -1}}}, "invalid auth failure limit -1 (use 0-1000000000)"),
        (["--idle-timeout", "0"], {}, None, "invalid idle timeout 0 (use 1-86400)"),
        ([], {"TESSERA_IDLE_TIMEOUT": "abc"}, None, 'invalid idle timeout "abc" (use 1-86400)'),
        ([], {}, {"idle": {"timeout": "x"}}, 'invalid idle timeout "x" (use 1-86400)'),
        ([], {}, {"idle": {"timeout": 0}}, "invalid idle timeout 0 (use 1-86400)"),
        (["--metrics-port", "70000"], {}, None, "invalid metrics port 70000 (use 1-65535)"),
        ([], {"TESSERA_METRICS_PORT": "0"}, None, "invalid metrics port 0 (use 1-65535)"),
        ([], {}, {"metrics": {"port": 70000}}, "invalid metrics port 70000 (use 1-65535)"),
        (["--port", "9599", "--metrics-port", "9599"], {}, None, "the metrics port must differ from the port (9599)"),
        ([], {"TESSERA_PORT": "9599", "TESSERA_METRICS_PORT": "9599"}, None, "the metrics port must differ from the port (9599)"),
        ([], {}, {"port": 9599, "metrics": {"port": 9599}}, "the metrics port must differ from the port (9599)"),
        (["--trusted-proxy", "nonsense"], {}, None, 'invalid trusted proxy "nonsense" (use an IP address such as 127.0.0.1)'),
        (["--trusted-proxy", "127.0.0.1,10.0.0.300"], {}, None, 'invalid trusted proxy "10.0.0.300" (use an IP address such as 127.0.0.1)'),
        ([], {"TESSERA_TRUSTED_PROXIES": "proxy.example"}, None, 'invalid trusted proxy "proxy.example" (use an IP address such as 127.0.0.1)'),
        ([], {}, {"trusted": {"proxies": "nonsense"}}, 'invalid trusted proxy "nonsense" (use an IP address such as 127.0.0.1)'),
        ([], {}, {"tls": {"cert": "/etc/tessera/cert.pem"}}, "--tls-cert and --tls-key go together: give both files or neither"),
        ([], {"TESSERA_TLS_KEY": "/etc/tessera/key.pem"}, None, "--tls-cert and --tls-key go together: give both files or neither"),
        (["--log-format", "xml"], {}, None, 'invalid log format "xml" (use plain or json)'),
        ([], {"TESSERA_LOG_FORMAT": "xml"}, None, 'invalid log format "xml" (use plain or json)'),
        ([], {}, {"log": {"format": "xml"}}, 'invalid log format "xml" (use plain or json)'),
    ],
)
def test_bad_operational_settings_are_refused(tmp_path, args, env, config, message):
    full = ["--data-dir", str(tmp_path / "data"), *args]
    if not any(a.startswith("--port") for a in args) and "TESSERA_PORT" not in env and not (config and "port" in config):
        full = ["--port", str(free_port()), *full]  # never the default 8080, should it start after all
    if config is not None:
        path = tmp_path / "tessera.json"
        path.write_text(json.dumps({"tessera": config}))
        full += ["--config", str(path)]
    done = serve_expecting_refusal(tmp_path, full, env)
    assert done.returncode is not None, f"started instead of refusing: {done.stderr[-500:]}"
    assert done.returncode != 0
    # One line says what is wrong, naming the setting (ArgumentParser's usage hints may follow).
    assert done.error_lines() == [f"Error: {message}"], done.stderr
    assert not (tmp_path / "data").exists(), "refused only after creating the database"
    assert "password" not in done.stdout.lower()


def test_trusted_proxies_given_as_a_list_in_the_config_file_are_not_silently_ignored(tmp_path):
    """`{"trusted": {"proxies": [...]}}` is what a JSON file's author naturally writes for a list. The
    server reads only a comma-separated string there; a list must not be dropped without a word
    (the operator would believe the proxy is trusted, or that a bad entry was checked)."""
    path = tmp_path / "tessera.json"
    path.write_text(json.dumps({"tessera": {"trusted": {"proxies": ["nonsense"]}}}))
    done = serve_expecting_refusal(
        tmp_path, ["--port", str(free_port()), "--data-dir", str(tmp_path / "data"), "--config", str(path)],
        {"TESSERA_ADMIN_PASSWORD": "Cfg-Test-pw1"}, timeout=15,
    )
    assert done.returncode not in (0, None), (
        f"a config file with tessera.trusted.proxies = [\"nonsense\"] started a server (exit {done.returncode}):\n{done.stderr[-800:]}"
    )
    errors = done.error_lines()
    assert len(errors) == 1 and "trusted prox" in errors[0], done.stderr
