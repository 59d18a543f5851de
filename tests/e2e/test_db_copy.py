"""`tessera db copy`: an installation moves from its SQLite file to PostgreSQL, and its API tokens
keep working there.

The real binary throughout: `tessera serve` on SQLite makes a token, `tessera db copy` moves the
file into a fresh PostgreSQL database (progress on stderr, summary on stdout), and `tessera serve
--database` on that database accepts the old token. Needs TESSERA_TEST_POSTGRES_URL (scripts/test
sets it); the checks of bad arguments run without it.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ServerSpec, TesseraServer, create_postgres_database, rpc, tessera_binary

NEEDS_POSTGRES = pytest.mark.skipif(
    not os.environ.get("TESSERA_TEST_POSTGRES_URL"), reason="TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it)"
)
TABLES = ["role", "role_rule", "usrgrp", "users", "users_groups", "token", "sessions", "auditlog", "settings", "profiles", "ids", "schema_version"]


def copy(source: Path, target: str, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    return subprocess.run(
        [str(tessera_binary()), "db", "copy", "--from", str(source), "--to", target, *extra],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


def copy_on_terminal(source: Path, target: str, *extra: str) -> tuple[int, str, str]:
    """Runs a copy with stderr on a pseudo-terminal; returns (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    proc = subprocess.Popen(
        [str(tessera_binary()), "db", "copy", "--from", str(source), "--to", target, *extra],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
    )
    os.close(slave)
    terminal = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        terminal += chunk
    os.close(master)
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=60), stdout, terminal.decode(errors="replace")


def summary_counts(stdout: str) -> dict[str, int]:
    """`  token  3` lines of the summary → {"token": 3, …}."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^  (\w+)\s+(\d+)$", stdout, re.MULTILINE)}


@NEEDS_POSTGRES
def test_copy_to_postgres_keeps_tokens_working(tmp_path):
    # An installation on SQLite with a token made through the API.
    old = TesseraServer(ServerSpec(), tmp_path / "sqlite")
    try:
        old.start()
        session = rpc(old, "user.login", {"username": "Admin", "password": old.password})["result"]
        tokenid = rpc(old, "token.create", {"name": "moved", "description": "made on SQLite"}, auth=session)["result"]["tokenids"][0]
        token = rpc(old, "token.generate", [tokenid], auth=session)["result"][0]["token"]
        old.secrets.add(token)
        assert rpc(old, "user.checkAuthentication", {"token": token})["result"]["userid"] == "1"
        # A use of the token: its lastaccess travels too.
        assert rpc(old, "token.get", {"output": ["lastaccess"]}, auth=token)["result"]
    finally:
        old.stop()
    assert not old.leaked_secrets()
    sqlite_file = old.data_dir / "tessera.sqlite"
    before = sqlite_file.read_bytes()

    name, url = create_postgres_database(os.environ["TESSERA_TEST_POSTGRES_URL"])
    new = TesseraServer(ServerSpec(), tmp_path / "postgres")
    new.database_name, new.database_url = name, url  # stop() drops it
    try:
        result = copy(sqlite_file, url)
        assert result.returncode == 0, result.stderr
        # Not a terminal: one line per table, in dependency order, no carriage returns.
        assert "\r" not in result.stderr
        lines = result.stderr.splitlines()
        assert [line.split()[0] for line in lines] == TABLES, result.stderr
        assert all(line.endswith("100%") for line in lines), result.stderr
        assert re.search(r"^token\s+\[#+\] 1/1 rows 100%$", result.stderr, re.MULTILINE), result.stderr
        # The summary: rows per table and the time taken.
        assert re.match(r"Copied \d+ rows in \d+\.\d s:\n", result.stdout), result.stdout
        counts = summary_counts(result.stdout)
        assert list(counts) == TABLES
        assert counts["token"] == 1 and counts["users"] == 2 and counts["schema_version"] >= 3
        assert counts["auditlog"] >= 2 and counts["sessions"] >= 1
        assert token not in result.stdout + result.stderr
        # The source file was only read.
        assert sqlite_file.read_bytes() == before

        # Again: the target is not empty now, so it is refused and nothing changes.
        again = copy(sqlite_file, url)
        assert again.returncode != 0
        assert "the target database is not empty (2 users, 1 API tokens)" in again.stderr, again.stderr
        assert "--force" in again.stderr
        assert again.stdout == ""

        # With --force, on a terminal: the bar is redrawn in place, the data replaced.
        code, stdout, terminal = copy_on_terminal(sqlite_file, url, "--force", "--batch-size", "10")
        assert code == 0, terminal
        assert "\r\x1b[2K" in terminal
        assert re.search(r"settings\s+\[#+-+\]\s+10/\d+ rows\s+\d+%", terminal), terminal
        assert summary_counts(stdout) == counts

        # The PostgreSQL installation accepts the old token and the old password; ids continue.
        new.secrets.add(token)
        new.start()
        checked = rpc(new, "user.checkAuthentication", {"token": token})
        assert checked["result"]["userid"] == "1", checked
        tokens = rpc(new, "token.get", {"output": ["tokenid", "name", "description", "lastaccess"]}, auth=token)["result"]
        assert [(t["tokenid"], t["name"], t["description"]) for t in tokens] == [(tokenid, "moved", "made on SQLite")]
        assert int(tokens[0]["lastaccess"]) > 0
        session = rpc(new, "user.login", {"username": "Admin", "password": new.password})["result"]
        created = rpc(new, "token.create", {"name": "after the move"}, auth=session)["result"]["tokenids"]
        assert created == [str(int(tokenid) + 1)]
    finally:
        new.stop()
    assert not new.leaked_secrets()


def test_missing_source_is_refused(tmp_path):
    result = copy(tmp_path / "nothing.sqlite", "postgres://postgres@127.0.0.1:1/tessera")
    assert result.returncode != 0
    assert f"source database {tmp_path / 'nothing.sqlite'} does not exist" in result.stderr, result.stderr
    assert not (tmp_path / "nothing.sqlite").exists()


@pytest.mark.parametrize("url", ["mysql://x", "sqlite:///tmp/x", "postgres://"])
def test_bad_target_url_is_refused(tmp_path, url):
    source = tmp_path / "tessera.sqlite"
    source.write_bytes(b"")
    result = copy(source, url)
    assert result.returncode != 0
    assert "invalid database URL (expected postgres://user:password@host:port/database)" in result.stderr, result.stderr
