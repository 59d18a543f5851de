"""What an abusive client can and cannot do: guess credentials (per-address failure limit and the
failure delay), tie up the server with failing calls, send huge bodies, or open connections and
stall them.

Login lockout of an account (users spec §2.1 step 3: after `login_attempts` wrong passwords the
account is refused for `login_block` seconds, also with the right password) is covered by the Swift
suite (AuthenticationTests.loginLockoutAndIdleLogout, with a controlled clock) and not repeated
here; what is added is that wrong passwords also count towards the per-address limit.
"""

from __future__ import annotations

import re
import secrets as pysecrets
import socket
import threading
import time

import pytest
import requests

from conftest import ServerSpec
from conftest import running
from ops_support import NOT_AUTHORIZED, call, login, new_token, post, result

TOO_MANY = re.compile(r"^Too many failed authentication attempts from this address\. Try again in (\d+) seconds\.$")
TOO_MANY_PREFIX = "Too many failed authentication attempts from this address. Try again in "
FAILURE_DELAY = 0.010  # Authenticator.failureDelay: a failed token lookup answers after at least this
MiB = 1024 * 1024


def assert_too_many(answer: dict, what: str) -> None:
    error = answer.get("error")
    assert error is not None, f"{what}: expected the too-many-failures refusal, got {answer}"
    assert (error["code"], error["message"]) == (-32500, "Application error."), f"{what}: {answer}"
    assert error["data"].startswith(TOO_MANY_PREFIX), f"{what}: {answer}"
    match = TOO_MANY.match(error["data"])
    assert match and 1 <= int(match.group(1)) <= 60, f"{what}: {answer}"


def unknown_token() -> str:
    return pysecrets.token_hex(32)


# ---------------------------------------------------------------------------------------------
# Per-address failure limit


def test_an_address_is_refused_after_the_failure_limit(tmp_path):
    with running(tmp_path, "--auth-failure-limit", "5") as server:
        session = login(server)
        _, token = new_token(server, session, "valid")
        assert result(server, "token.get", {"countOutput": True}, bearer=token) == "1"

        for n in range(5):
            started = time.monotonic()
            answer = call(server, "token.get", {}, auth=unknown_token())
            elapsed = time.monotonic() - started
            assert answer["error"] == NOT_AUTHORIZED, f"failure {n + 1} of 5: {answer}"
            assert elapsed >= FAILURE_DELAY, f"failure {n + 1} answered after {elapsed * 1000:.1f} ms (< 10 ms delay)"

        # The sixth wrong credential, and every login (a password can be guessed) from this address, is refused.
        assert_too_many(call(server, "token.get", {}, auth=unknown_token()), "6th unknown token")
        assert_too_many(call(server, "token.get", {}, auth="0" * 32), "unknown session")
        assert_too_many(call(server, "user.checkAuthentication", {"token": unknown_token()}), "user.checkAuthentication, unknown token")
        assert_too_many(call(server, "user.login", {"username": "Admin", "password": server.password}), "user.login, right password")
        # Valid tokens and sessions still work: other clients behind the same address are not locked out.
        assert result(server, "token.get", {"countOutput": True}, auth=token) == "1"
        assert result(server, "token.get", {"countOutput": True}, bearer=token) == "1"
        assert result(server, "token.get", {"countOutput": True}, auth=session) == "1"
        assert result(server, "user.checkAuthentication", {"token": token})["username"] == "Admin"
        assert result(server, "user.checkAuthentication", {"sessionid": session})["username"] == "Admin"
        # And wrong ones are still refused (with the throttling answer), as is the next login.
        assert_too_many(call(server, "token.get", {}, auth=unknown_token()), "unknown token after valid ones")
        assert_too_many(call(server, "user.login", {"username": "Admin", "password": server.password}), "user.login again")

        # The web sign-in (same login rules) does not hand out a session either.
        r = requests.post(server.base_url + "/login", data={"username": "Admin", "password": server.password},
                          allow_redirects=False, timeout=10)
        assert "tessera_session" not in r.cookies or not r.cookies["tessera_session"], r.headers
        assert r.status_code != 303, (r.status_code, r.headers)
        assert TOO_MANY_PREFIX in r.text

        # Calls that need no authentication still work.
        assert result(server, "apiinfo.version", {}) == "7.0.0"
        assert requests.get(server.base_url + "/healthz", timeout=10).text == "ok"


def test_a_limit_of_zero_never_refuses(tmp_path):
    with running(tmp_path, "--auth-failure-limit", "0") as server:
        session = login(server)
        _, token = new_token(server, session, "valid")
        for n in range(50):
            started = time.monotonic()
            answer = call(server, "token.get", {}, auth=unknown_token())
            assert answer["error"] == NOT_AUTHORIZED, f"failure {n + 1}: {answer}"
            assert time.monotonic() - started >= FAILURE_DELAY
        assert result(server, "token.get", {"countOutput": True}, bearer=token) == "1"
        assert result(server, "user.checkAuthentication", {"token": token})["username"] == "Admin"
        login(server)


def test_failures_are_counted_per_client_address(tmp_path):
    """Behind a trusted proxy each client address has its own count; wrong passwords and ended
    sessions count too, an expired token (not a guess) does not."""
    with running(tmp_path, "--auth-failure-limit", "3", "--trusted-proxy", "127.0.0.1") as server:
        session = login(server)
        _, token = new_token(server, session, "valid")
        _, expired = new_token(server, session, "expired", expires_at="1")

        def via(address):
            return {"X-Forwarded-For": address}

        attacker, neighbour, clumsy = "198.51.100.1", "198.51.100.2", "198.51.100.3"
        # Three kinds of failure from one address.
        assert call(server, "token.get", {}, auth=unknown_token(), headers=via(attacker))["error"] == NOT_AUTHORIZED
        wrong = call(server, "user.login", {"username": "Admin", "password": "wrong-password"}, headers=via(attacker))
        assert wrong["error"]["data"] == "Incorrect user name or password or account is temporarily blocked.", wrong
        ended = call(server, "user.checkAuthentication", {"sessionid": "0" * 32}, headers=via(attacker))
        assert ended["error"]["data"] == "Session terminated, re-login, please.", ended
        assert_too_many(call(server, "token.get", {}, auth=unknown_token(), headers=via(attacker)), "attacker, unknown token")
        assert_too_many(call(server, "user.login", {"username": "Admin", "password": server.password}, headers=via(attacker)),
                        "attacker, right password")

        # Another address is not affected: it still gets the ordinary answers.
        assert result(server, "token.get", {"countOutput": True}, bearer=token, headers=via(neighbour)) == "2"
        assert call(server, "token.get", {}, auth=unknown_token(), headers=via(neighbour))["error"] == NOT_AUTHORIZED
        # Nor is the proxy's own address (no X-Forwarded-For).
        assert result(server, "token.get", {"countOutput": True}, auth=session) == "2"

        # An expired token is refused, but not counted as a guess.
        for _ in range(6):
            answer = call(server, "token.get", {}, bearer=expired, headers=via(clumsy))
            assert answer["error"] == {"code": -32500, "message": "Application error.", "data": "API token expired."}, answer
        assert result(server, "token.get", {"countOutput": True}, bearer=token, headers=via(clumsy)) == "2"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_failing_authentications_hold_no_slot(tmp_path, backend):
    """20 clients send unknown tokens without pause (each failure waits its 10 ms delay in the
    server); meanwhile a legitimate client's calls with a valid token all succeed."""
    attackers, legitimate_calls = 20, 60
    with running(tmp_path, "--auth-failure-limit", "0", spec=ServerSpec("7.0.0", backend)) as server:
        session = login(server)
        tokenid, token = new_token(server, session, "valid")
        stop = threading.Event()
        counts = [0] * attackers
        wrong_answers: list[str] = []

        def attack(k: int) -> None:
            http = requests.Session()
            while not stop.is_set():
                try:
                    answer = call(server, "token.get", {}, auth=unknown_token(), http=http)
                    if answer.get("error") != NOT_AUTHORIZED:
                        wrong_answers.append(str(answer))
                except Exception as err:  # noqa: BLE001 - recorded and reported
                    wrong_answers.append(f"{type(err).__name__}: {err}")
                counts[k] += 1

        threads = [threading.Thread(target=attack, args=(k,), daemon=True) for k in range(attackers)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)  # let the attack get going
            before = sum(counts)
            http = requests.Session()
            failures = []
            for n in range(legitimate_calls):
                try:
                    r = post(server, {"jsonrpc": "2.0", "method": "token.get", "params": {"output": ["tokenid"], "tokenids": tokenid},
                                      "id": n}, bearer=token, http=http, timeout=30)
                    answer = r.json()
                    if answer.get("result") != [{"tokenid": tokenid}]:
                        failures.append(f"call {n}: HTTP {r.status_code} {answer}")
                except requests.RequestException as err:
                    failures.append(f"call {n}: {type(err).__name__}: {err}")
            during = sum(counts) - before
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "an attacking client did not stop"
        assert not failures, f"{len(failures)} of {legitimate_calls} valid calls failed under the attack:\n" + "\n".join(failures[:10])
        assert during >= attackers, f"the attack was not running during the valid calls ({during} failed calls)"
        assert not wrong_answers, f"{len(wrong_answers)} attacking calls got other answers: {wrong_answers[:5]}"
        assert all(c > 0 for c in counts)


# ---------------------------------------------------------------------------------------------
# Huge bodies


def padded_call(size: int) -> bytes:
    """An apiinfo.version call of exactly `size` bytes (a long string parameter)."""
    head, tail = b'{"jsonrpc":"2.0","method":"apiinfo.version","params":{"x":"', b'"},"id":1}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


SHOULD_BE_EMPTY = {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid params.",
                                               "data": 'Invalid parameter "/": should be empty.'}, "id": 1}


def test_huge_bodies(tmp_path):
    with running(tmp_path) as server:
        r = post(server, padded_call(20 * MiB), timeout=60)
        assert r.status_code == 413, (r.status_code, r.text[:300])
        assert result(server, "apiinfo.version", {}) == "7.0.0"

        # The same, streamed without Content-Length (chunked).
        def chunks(body=padded_call(20 * MiB)):
            for k in range(0, len(body), MiB):
                yield body[k:k + MiB]

        r = requests.post(server.api_url, data=chunks(), headers={"Content-Type": "application/json-rpc"}, timeout=60)
        assert r.status_code == 413, (r.status_code, r.text[:300])
        assert result(server, "apiinfo.version", {}) == "7.0.0"

        # Up to 16 MiB is read and answered as JSON-RPC; one byte more is not.
        r = post(server, padded_call(15 * MiB), timeout=120)
        assert (r.status_code, r.json()) == (200, SHOULD_BE_EMPTY)
        r = post(server, padded_call(16 * MiB), timeout=120)
        assert (r.status_code, r.json()) == (200, SHOULD_BE_EMPTY)
        r = post(server, padded_call(16 * MiB + 1), timeout=120)
        assert r.status_code == 413, (r.status_code, r.text[:300])

        session = login(server)
        assert result(server, "token.get", {"countOutput": True}, auth=session) == "0"
        assert server.process.poll() is None


# ---------------------------------------------------------------------------------------------
# Slow clients


def closed_by_server(sock: socket.socket, limit: float) -> float | None:
    """Seconds until the server closed `sock` (EOF or reset), reading whatever it sends; None when
    it is still open after `limit`."""
    started = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - started < limit:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
        if not data:
            return time.monotonic() - started
    return None


@pytest.mark.parametrize(
    "stalled",
    [
        b"",  # connects and says nothing
        b"POST /api_jsonrpc.php HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applica",  # half the headers
        b"POST /api_jsonrpc.php HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json-rpc\r\n"
        b"Content-Length: 100\r\n\r\n{\"jsonrpc\": \"2.0\", ",  # headers, then half the body
    ],
    ids=["silent", "half-headers", "half-body"],
)
def test_stalled_connections_are_closed(tmp_path, stalled):
    with running(tmp_path, "--idle-timeout", "2") as server:
        stop = threading.Event()
        answers: list[object] = []

        def keep_calling():
            http = requests.Session()
            while not stop.is_set():
                try:
                    answers.append(result(server, "apiinfo.version", {}, http=http))
                except Exception as err:  # noqa: BLE001 - reported below
                    answers.append(f"{type(err).__name__}: {err}")
                stop.wait(0.2)

        caller = threading.Thread(target=keep_calling, daemon=True)
        caller.start()
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                if stalled:
                    sock.sendall(stalled)
                closed_after = closed_by_server(sock, limit=15)
        finally:
            stop.set()
            caller.join(timeout=30)
        assert closed_after is not None, "the server kept a stalled connection open for 15 s (--idle-timeout 2)"
        assert answers and all(a == "7.0.0" for a in answers), f"normal calls meanwhile: {answers}"
        assert result(server, "apiinfo.version", {}) == "7.0.0"


def test_a_busy_keep_alive_connection_is_not_cut(tmp_path):
    """The idle timeout is about idleness: a connection that sends a request every 0.5 s (a quarter
    of --idle-timeout 2) stays open for all of them."""
    with running(tmp_path, "--idle-timeout", "2") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            reader = sock.makefile("rb")
            for n in range(8):
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                status = reader.readline()
                assert status.startswith(b"HTTP/1.1 200"), (n, status)
                length = None
                while (line := reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                assert length is not None and reader.read(length) == b"ok", n
                time.sleep(0.5)
