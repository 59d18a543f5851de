"""A database whose schema is newer than the binary (a newer Tessera migrated it) is refused by
`tessera serve` and `tessera migrate`, as by every other command: one `Error:` line naming both
versions, exit status 1, and the database exactly as it was. On SQLite always, on PostgreSQL with
TESSERA_TEST_POSTGRES_URL (scripts/test sets it)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import ADMIN_PASSWORD, REPO_ROOT, create_postgres_database, drop_postgres_database, free_port, psql_query, tessera_binary
from ops_support import serve_expecting_refusal

# The schema version of this build: the last migration in Schema.swift.
SCHEMA = max(int(v) for v in re.findall(r"Migration\(\s*version: (\d+)", (REPO_ROOT / "Sources/Tessera/Storage/Schema.swift").read_text()))
NEWER = f"the database is at schema version {SCHEMA + 1}, newer than this tessera (version {SCHEMA}): use a newer tessera"


def tessera(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    return subprocess.run([str(tessera_binary()), *args], capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)


def assert_refused(tmp_path: Path, where: list[str]) -> None:
    """`serve`, `migrate` and a maintenance command each refuse with the one line and exit status 1."""
    served = serve_expecting_refusal(tmp_path, ["--port", str(free_port()), *where], {"TESSERA_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert served.returncode == 1, (served.returncode, served.stderr[-1500:])
    assert served.error_lines() == [f"Error: {NEWER}"], served.stderr[-1500:]
    for args in (["migrate", "--admin-password", ADMIN_PASSWORD], ["token", "list"]):
        done = tessera(*args, *where)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", f"Error: {NEWER}\n"), args


def test_sqlite(tmp_path):
    data = tmp_path / "data"
    created = tessera("migrate", "--admin-password", ADMIN_PASSWORD, "--data-dir", str(data))
    assert created.returncode == 0, created.stderr
    db = sqlite3.connect(data / "tessera.sqlite")
    with db:
        db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)", (SCHEMA + 1,))
    before = list(db.iterdump())
    db.close()

    assert_refused(tmp_path, ["--data-dir", str(data)])

    db = sqlite3.connect(data / "tessera.sqlite")
    assert list(db.iterdump()) == before
    db.close()


@pytest.mark.skipif(not os.environ.get("TESSERA_TEST_POSTGRES_URL"), reason="TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it)")
def test_postgres(tmp_path):
    base = os.environ["TESSERA_TEST_POSTGRES_URL"]
    name, url = create_postgres_database(base)
    try:
        created = tessera("migrate", "--admin-password", ADMIN_PASSWORD, "--database", url)
        assert created.returncode == 0, created.stderr
        psql_query(url, f"INSERT INTO schema_version (version, applied_at) VALUES ({SCHEMA + 1}, 0)")
        snapshot = "SELECT (SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version), " \
                   "(SELECT string_agg(userid || ':' || passwd, ',' ORDER BY userid) FROM users), " \
                   "(SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public')"
        before = psql_query(url, snapshot)

        assert_refused(tmp_path, ["--database", url])

        assert psql_query(url, snapshot) == before
    finally:
        drop_postgres_database(base, name)
