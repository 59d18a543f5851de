"""The maintenance commands: `tessera migrate`, `user …`, `token …` and `backup`.

The real binary throughout, next to a real `tessera serve` on the same data folder: what the
commands change must be what the API sees (a token created on the command line authenticates, one
disabled there is refused), and their errors are the API's messages, one line on stderr with exit
code 1 (64 for usage errors, as ArgumentParser exits). Times are printed in UTC here (TZ=UTC).
The PostgreSQL part needs TESSERA_TEST_POSTGRES_URL (scripts/test sets it).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ADMIN_PASSWORD, REPO_ROOT, ServerSpec, TesseraServer, create_postgres_database, rpc, tessera_binary

TOKEN_LINE = re.compile(r"^[0-9a-f]{64}\n$")
USAGE = 64  # ArgumentParser's exit code for usage errors (EX_USAGE)
REFUSAL_WAIT = 2.0  # seconds a running server may take to refuse a token changed on the command line
# The schema version of this build: the last migration in Schema.swift.
SCHEMA = max(int(v) for v in re.findall(r"Migration\(\s*version: (\d+)", (REPO_ROOT / "Sources/Tessera/Storage/Schema.swift").read_text()))


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update({"TZ": "UTC", **(extra or {})})
    return env


def tessera(*args: str, where: list[str] | None = None, stdin: str | None = None, env: dict[str, str] | None = None):
    """Runs `tessera ARGS WHERE` (WHERE: the database options) and returns the finished process."""
    return subprocess.run(
        [str(tessera_binary()), *args, *(where or [])],
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60, env=environment(env),
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert result.stderr == "", result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess, message: str, code: int = 1) -> None:
    """A refusal: nothing on stdout, the message on stderr (one line for code 1), the exit code."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert message in result.stderr, result.stderr
    if code == 1:
        assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1, result.stderr


def token_works(server: TesseraServer, token: str) -> bool:
    answer = rpc(server, "token.get", {"output": ["tokenid"]}, auth=token)
    return "result" in answer


def seconds_until_refused(server: TesseraServer, token: str) -> float | None:
    """Polls the server with `token` until it is refused; the delay, or None after REFUSAL_WAIT."""
    start = time.monotonic()
    while True:
        if not token_works(server, token):
            return time.monotonic() - start
        if time.monotonic() - start > REFUSAL_WAIT:
            return None
        time.sleep(0.02)


def expect_refused(server: TesseraServer, token: str, after: str) -> None:
    delay = seconds_until_refused(server, token)
    assert delay is not None, (
        f"the running server still accepts the token {REFUSAL_WAIT:.0f} s after `{after}` on the command line: "
        "its token cache does not learn about changes made by another process on the same SQLite file"
    )


def table(stdout: str) -> tuple[list[str], list[list[str]]]:
    """The header's column names and the rows of a table, split where the header's columns start."""
    lines = stdout.rstrip("\n").split("\n")
    starts = [m.start() for m in re.finditer(r"(?<!\S)\S+(?: \S+)*", lines[0])]
    def cells(line: str) -> list[str]:
        return [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
    return cells(lines[0]), [cells(line) for line in lines[1:]]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A data folder made by `tessera migrate`, with `tessera serve` running on it."""
    workdir = tmp_path_factory.mktemp("cli")
    data = workdir / "data"
    migrated = tessera("migrate", "--admin-password", ADMIN_PASSWORD, where=["--data-dir", str(data)])
    assert ok(migrated) == f"The database is at schema version {SCHEMA}.\n"
    server = TesseraServer(ServerSpec(), workdir)
    server.start()
    server.where = ["--data-dir", str(data)]
    try:
        yield server
    finally:
        server.stop()
    assert not server.leaked_secrets(), server.leaked_secrets()


def cli(site: TesseraServer, *args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return tessera(*args, where=site.where, stdin=stdin, env=env)


def login(site: TesseraServer, username: str, password: str) -> dict:
    return rpc(site, "user.login", {"username": username, "password": password})


def admin_session(site: TesseraServer) -> str:
    return login(site, "Admin", site.password)["result"]


# ---------------------------------------------------------------------------------------------
# migrate, and the database the other commands need


def test_migrate_prints_the_first_password_once(tmp_path):
    where = ["--data-dir", str(tmp_path / "data")]
    first = tessera("migrate", where=where)
    out = ok(first)
    password = re.search(r'The password of user "Admin" is:\s+(\S+)', out).group(1)
    assert out.rstrip().endswith(f"The database is at schema version {SCHEMA}.")
    assert (tmp_path / "data" / "tessera.sqlite").is_file()
    # Again: nothing to do, no password.
    assert ok(tessera("migrate", where=where)) == f"The database is at schema version {SCHEMA}.\n"
    # The printed password is Admin's: a server on the folder accepts it.
    server = TesseraServer(ServerSpec(), tmp_path)
    server.secrets.add(password)
    try:
        server.start()
        assert "result" in login(server, "Admin", password)
    finally:
        server.stop()


def test_commands_need_a_migrated_database(tmp_path):
    missing = tmp_path / "nothing"
    for args in (["user", "list"], ["token", "list"], ["token", "create", "--name", "x"]):
        result = tessera(*args, where=["--data-dir", str(missing)])
        refused(result, f"there is no Tessera database at {missing / 'tessera.sqlite'}: create it with `tessera migrate`")
    assert not missing.exists()
    refused(tessera("backup", "--to", str(tmp_path / "b.sqlite"), where=["--data-dir", str(missing)]),
            f"source database {missing / 'tessera.sqlite'} does not exist")


def test_commands_need_this_schema_version(tmp_path):
    import sqlite3

    where = ["--data-dir", str(tmp_path / "data")]
    ok(tessera("migrate", "--admin-password", ADMIN_PASSWORD, where=where))
    db = sqlite3.connect(tmp_path / "data" / "tessera.sqlite")
    with db:
        db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)", (SCHEMA + 1,))
    refused(tessera("token", "list", where=where),
            f"the database is at schema version {SCHEMA + 1}, newer than this tessera (version {SCHEMA}): use a newer tessera")
    with db:
        db.execute("DELETE FROM schema_version WHERE version >= ?", (SCHEMA,))
    db.close()
    refused(tessera("user", "list", where=where),
            f"the database is at schema version {SCHEMA - 1}, this tessera needs version {SCHEMA}: run `tessera migrate`")


def test_database_options_come_from_environment_and_file(site, tmp_path):
    data = site.where[1]
    assert "Admin" in ok(tessera("user", "list", env={"TESSERA_DATA_DIR": data}))
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"tessera": {"data": {"dir": data}}}))
    assert "Admin" in ok(tessera("user", "list", "--config", str(config)))
    # The flag beats the environment.
    refused(tessera("user", "list", "--data-dir", str(tmp_path / "none"), env={"TESSERA_DATA_DIR": data}),
            "there is no Tessera database at")
    refused(tessera("user", "list", "--database", "mysql://x"),
            "invalid database URL (expected postgres://user:password@host:port/database)", code=USAGE)
    # Nothing listens there: one line, without the URL's password.
    result = tessera("user", "list", "--database", f"postgres://tessera:pw-{os.getpid()}@127.0.0.1:1/tessera")
    refused(result, "cannot reach the database within 5 s: check the --database URL")
    assert f"pw-{os.getpid()}" not in result.stderr


# ---------------------------------------------------------------------------------------------
# users


def test_user_create_list_and_errors(site):
    created = ok(cli(site, "user", "create", "--username", "alice", "--password-stdin", "--group", "Zabbix administrators",
                     "--name", "Alice", "--surname", "Liddell", stdin="Wonder-land-7\n"))
    match = re.fullmatch(r'Created user "alice" with userid (\d+)\.\n', created)
    assert match, created
    alice = match.group(1)
    assert "result" in login(site, "alice", "Wonder-land-7")

    # By role id and group id, password as an option.
    ok(cli(site, "user", "create", "--username", "bob", "--password", "Builder-pw-42", "--role", "2", "--group", "7"))

    header, rows = table(ok(cli(site, "user", "list")))
    assert header == ["USERID", "USERNAME", "NAME", "SURNAME", "ROLE", "STATUS"]
    by_name = {row[1]: row for row in rows}
    assert by_name["Admin"] == ["1", "Admin", "Zabbix", "Administrator", "Super admin role", "enabled"]
    assert by_name["guest"][4:] == ["Guest role", "disabled"]
    assert by_name["alice"] == [alice, "alice", "Alice", "Liddell", "User role", "enabled"]
    assert by_name["bob"][4:] == ["Admin role", "enabled"]

    users = json.loads(ok(cli(site, "user", "list", "--json")))
    entry = next(u for u in users if u["username"] == "alice")
    assert entry["role"] == {"name": "User role"} and entry["users_status"] == "0"
    assert entry["usrgrps"] == [{"usrgrpid": "7", "name": "Zabbix administrators"}]
    assert "passwd" not in entry

    # The API's own refusals, one line each.
    refused(cli(site, "user", "create", "--username", "alice", "--password", "Sturdy-pw-777", "--group", "7"),
            'User with username "alice" already exists.')
    refused(cli(site, "user", "create", "--username", "carol", "--password", "short", "--group", "7"),
            'Incorrect value for field "/1/passwd": must be at least 8 characters long.')
    refused(cli(site, "user", "create", "--username", "carol", "--password", "Sturdy-pw-123", "--group", "7", "--role", "99"),
            'User role with ID "99" is not available.')
    refused(cli(site, "user", "create", "--username", "carol", "--password", "Sturdy-pw-123", "--group", "Nobody"),
            'there is no user group "Nobody"')
    refused(cli(site, "user", "create", "--username", "carol", "--password", "Sturdy-pw-123", "--group", "7", "--role", "Chef"),
            'there is no user role "Chef"')
    # Usage errors.
    refused(cli(site, "user", "create", "--username", "carol", "--password", "Sturdy-pw-123"),
            "Missing expected argument '--group <group> ...'", code=USAGE)
    refused(cli(site, "user", "create", "--username", "carol", "--group", "7"),
            "no password given: pass it on standard input with --password-stdin, or run on a terminal to be asked for it", code=USAGE)
    refused(cli(site, "user", "create", "--username", "carol", "--group", "7", "--password", "x", "--password-stdin"),
            "give either --password or --password-stdin, not both", code=USAGE)
    assert "carol" not in ok(cli(site, "user", "list"))


def test_acting_user_and_its_permissions(site):
    ok(cli(site, "user", "create", "--username", "dave", "--password-stdin", "--group", "7", stdin="Sturdy-pw-1234\n"))
    # A User-type role may not create users, whatever the command line.
    refused(cli(site, "user", "create", "--as", "dave", "--username", "eve", "--password", "Sturdy-pw-555", "--group", "7"),
            'No permissions to call "user.create".')
    # …but may manage its own tokens, and not others'.
    value = ok(cli(site, "token", "create", "--as", "dave", "--name", "daves"))
    site.secrets.add(value.strip())
    # (dave sees Admin, a member of the same group, but may not give him tokens)
    refused(cli(site, "token", "create", "--as", "dave", "--name", "for-admin", "--user", "Admin"), 'User with ID "1" is not available.')
    listed = json.loads(ok(cli(site, "token", "list", "--as", "dave", "--json")))
    assert [t["name"] for t in listed] == ["daves"]
    refused(cli(site, "user", "list", "--as", "nobody"), 'cannot act as "nobody": there is no such user')
    refused(cli(site, "user", "list", "--as", "guest"), 'cannot act as "guest": the user is disabled')


def test_user_passwd(site):
    ok(cli(site, "user", "create", "--username", "frank", "--password-stdin", "--group", "7", stdin="Hotdog-pw-1234\n"))
    assert ok(cli(site, "user", "passwd", "frank", "--password-stdin", stdin="Hotdog-new-5678\n")) == 'Changed the password of "frank".\n'
    assert "error" in login(site, "frank", "Hotdog-pw-1234")
    assert "result" in login(site, "frank", "Hotdog-new-5678")
    refused(cli(site, "user", "passwd", "frank", "--password-stdin", stdin="frank123\n"),
            'Incorrect value for field "/1/passwd": must not contain user\'s name, surname or username.')
    refused(cli(site, "user", "passwd", "nobody", "--password-stdin", stdin="Some-pw-12345\n"), 'there is no user "nobody"')
    refused(cli(site, "user", "passwd", "frank"), "no password given", code=USAGE)
    # A user may change its own password.
    ok(cli(site, "user", "passwd", "frank", "--as", "frank", "--password-stdin", stdin="Hotdog-own-9012\n"))
    assert "result" in login(site, "frank", "Hotdog-own-9012")


def test_user_passwd_prompts_on_a_terminal_without_echo(site):
    ok(cli(site, "user", "create", "--username", "grace", "--password-stdin", "--group", "7", stdin="Amazing-pw-1234\n"))
    code, stdout, terminal = on_terminal(["user", "passwd", "grace", *site.where], ["Amazing-tty-5678", "Amazing-tty-5678"])
    assert code == 0, terminal
    assert stdout == 'Changed the password of "grace".\n'
    assert "New password: " in terminal and "Repeat the password: " in terminal
    assert "Amazing-tty-5678" not in terminal
    assert "result" in login(site, "grace", "Amazing-tty-5678")

    code, stdout, terminal = on_terminal(["user", "passwd", "grace", *site.where], ["One-pw-12345", "Other-pw-12345"])
    assert code == 1 and stdout == ""
    assert "Error: the passwords do not match" in terminal


def on_terminal(args: list[str], answers: list[str]) -> tuple[int, str, str]:
    """Runs tessera with stdin and stderr on a pseudo-terminal, typing the next answer after each new
    prompt (a line ending in "password: ")."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(tessera_binary()), *args], stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=environment())
    os.close(slave)
    terminal = b""
    given = 0
    deadline = time.monotonic() + 30
    while True:
        if not select.select([master], [], [], max(0.0, deadline - time.monotonic()))[0]:
            proc.kill()
            pytest.fail(f"tessera {' '.join(args[:2])} still runs after 30 s; the terminal shows {terminal!r}")
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        terminal += chunk
        if given < len(answers) and terminal.count(b"password: ") > given:
            os.write(master, answers[given].encode() + b"\n")
            given += 1
    os.close(master)
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=60), stdout, terminal.decode(errors="replace")


def test_user_disable_and_enable(site):
    ok(cli(site, "user", "create", "--username", "heidi", "--password-stdin", "--group", "7", stdin="Alpine-pw-1234\n"))
    value = ok(cli(site, "token", "create", "--name", "heidis", "--user", "heidi")).strip()
    site.secrets.add(value)
    assert token_works(site, value)

    assert ok(cli(site, "user", "disable", "heidi")) == 'Disabled user "heidi" (added to user group "Disabled").\n'
    assert ok(cli(site, "user", "disable", "heidi")) == 'User "heidi" is already disabled.\n'
    _, rows = table(ok(cli(site, "user", "list")))
    assert [r[5] for r in rows if r[1] == "heidi"] == ["disabled"]
    assert login(site, "heidi", "Alpine-pw-1234")["error"]["data"] == "No permissions for system access."

    assert ok(cli(site, "user", "enable", "heidi")) == 'Enabled user "heidi".\n'
    assert ok(cli(site, "user", "enable", "heidi")) == 'User "heidi" is not disabled.\n'
    assert "result" in login(site, "heidi", "Alpine-pw-1234")
    assert token_works(site, value)

    # The API's rule about oneself, and a user that would be left without groups.
    refused(cli(site, "user", "disable", "Admin"), "User cannot add himself to a disabled group or a group with disabled GUI access.")
    ok(cli(site, "user", "create", "--username", "ivy", "--password-stdin", "--group", "Disabled", stdin="Poison-pw-1234\n"))
    refused(cli(site, "user", "enable", "ivy"), '"ivy" is only in disabled user groups: name a group to put it in with --group')
    assert ok(cli(site, "user", "enable", "ivy", "--group", "Zabbix administrators")) == 'Enabled user "ivy".\n'
    assert "result" in login(site, "ivy", "Poison-pw-1234")
    refused(cli(site, "user", "disable", "nobody"), 'there is no user "nobody"')


# ---------------------------------------------------------------------------------------------
# tokens


def test_token_created_on_the_command_line_authenticates(site):
    result = cli(site, "token", "create", "--name", "ci")
    value = ok(result)
    assert TOKEN_LINE.match(value), value
    value = value.strip()
    site.secrets.add(value)
    # The running server accepts it at once; its owner is the acting user (Admin).
    answer = rpc(site, "token.get", {"output": ["name", "userid", "creator_userid"], "filter": {"name": "ci"}}, auth=value)
    assert answer["result"] == [{"name": "ci", "userid": "1", "creator_userid": "1"}]

    # --json: the tokenid and the value, once.
    made = json.loads(ok(cli(site, "token", "create", "--name", "ci-json", "--description", "for scripts", "--json")))
    assert set(made) == {"tokenid", "token"} and re.fullmatch(r"[0-9a-f]{64}", made["token"])
    site.secrets.add(made["token"])
    assert token_works(site, made["token"])

    # The audit log has the API's records, with the command line's address.
    session = admin_session(site)
    records = rpc(site, "auditlog.get", {"output": "extend", "filter": {"resourceid": made["tokenid"], "resourcetype": 45}}, auth=session)["result"]
    assert sorted(r["action"] for r in records) == ["0", "1"]  # added, then updated (its value generated)
    assert {r["ip"] for r in records} == {"127.0.0.1"} and {r["username"] for r in records} == {"Admin"}
    assert len({r["recordsetid"] for r in records}) == 1  # one command, one record set


def test_token_create_options_and_errors(site):
    ok(cli(site, "user", "create", "--username", "ivan", "--password-stdin", "--group", "7", stdin="Terrible-pw-123\n"))
    value = ok(cli(site, "token", "create", "--name", "nightly", "--user", "ivan", "--description", "batch",
                   "--expires", "2037-12-31T18:00:00+02:00", "--disabled")).strip()
    site.secrets.add(value)
    assert not token_works(site, value)
    token = next(t for t in json.loads(ok(cli(site, "token", "list", "--json", "--user", "ivan"))) if t["name"] == "nightly")
    assert (token["description"], token["status"], token["expires_at"]) == ("batch", "1", "2145888000")  # 2037-12-31 16:00 UTC

    for expires, stamp in [("2030-01-01", 1893456000), ("2030-01-01T12:30Z", 1893501000), ("1893456001", 1893456001), ("never", 0)]:
        made = json.loads(ok(cli(site, "token", "create", "--name", f"exp-{expires}", "--expires", expires, "--json")))
        site.secrets.add(made["token"])
        listed = json.loads(ok(cli(site, "token", "list", "--json", "--name", f"exp-{expires}")))
        assert [t["expires_at"] for t in listed] == [str(stamp)], expires

    refused(cli(site, "token", "create", "--name", "nightly", "--user", "ivan"), 'API token "nightly" already exists for userid "')
    refused(cli(site, "token", "create", "--name", "far", "--expires", "2038-01-20"),
            'Invalid parameter "/1/expires_at": a number is too large.')
    refused(cli(site, "token", "create", "--name", "x" * 65), 'Invalid parameter "/1/name": value is too long.')
    refused(cli(site, "token", "create", "--name", "bad", "--expires", "tomorrow"),
            "The value 'tomorrow' is invalid for '--expires <time>': use never, unix seconds", code=USAGE)
    refused(cli(site, "token", "create", "--name", "bad", "--expires", "2030-02-30"), "2030-02-30 is not a valid date and time", code=USAGE)
    refused(cli(site, "token", "create", "--name", "bad", "--user", "nobody"), 'there is no user "nobody"')
    refused(cli(site, "token", "create"), "Missing expected argument '--name <name>'", code=USAGE)


def test_token_list_table_and_filters(site):
    ok(cli(site, "user", "create", "--username", "judy", "--password-stdin", "--group", "7", stdin="Punch-pw-12345\n"))
    used = ok(cli(site, "token", "create", "--name", "judy-used", "--user", "judy", "--expires", "2036-06-01T00:00:00Z")).strip()
    old = ok(cli(site, "token", "create", "--name", "judy-old", "--user", "judy", "--expires", "1600000000")).strip()
    site.secrets.update({used, old})
    assert token_works(site, used)

    header, rows = table(ok(cli(site, "token", "list", "--user", "judy")))
    assert header == ["TOKENID", "NAME", "OWNER", "STATUS", "EXPIRES", "LAST USED", "CREATED"]
    by_name = {row[1]: row for row in rows}
    assert set(by_name) == {"judy-used", "judy-old"}
    assert by_name["judy-used"][2:5] == ["judy", "enabled", "2036-06-01 00:00:00"]
    assert by_name["judy-old"][4:6] == ["2020-09-13 12:26:40 (expired)", "never"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", by_name["judy-used"][6])
    # The server records the use within about a second.
    deadline = time.monotonic() + 5
    while True:
        _, rows = table(ok(cli(site, "token", "list", "--user", "judy", "--name", "USED")))
        if rows[0][5] != "never" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [row[1] for row in rows] == ["judy-used"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0][5]), rows

    assert table(ok(cli(site, "token", "list", "--name", "no such token")))[1] == []
    assert json.loads(ok(cli(site, "token", "list", "--name", "no such token", "--json"))) == []
    listed = json.loads(ok(cli(site, "token", "list", "--json")))
    assert {"tokenid", "name", "description", "userid", "lastaccess", "status", "expires_at", "created_at", "creator_userid"} <= set(listed[0])
    assert not any("token" in t for t in listed)
    refused(cli(site, "token", "list", "--user", "nobody"), 'there is no user "nobody"')


def test_token_disable_and_enable(site):
    made = json.loads(ok(cli(site, "token", "create", "--name", "switch-me", "--json", "--disabled")))
    value, tokenid = made["token"], made["tokenid"]
    site.secrets.add(value)
    assert not token_works(site, value)
    assert ok(cli(site, "token", "enable", tokenid)) == f"Enabled token {tokenid}.\n"
    assert token_works(site, value)
    assert ok(cli(site, "token", "disable", tokenid)) == f"Disabled token {tokenid}.\n"
    assert [t["status"] for t in json.loads(ok(cli(site, "token", "list", "--name", "switch-me", "--json")))] == ["1"]


# A running server caches token verdicts in memory; a change made by the command line reaches it through
# the database (a change log polled every 0.1 s on SQLite, NOTIFY on PostgreSQL). Polled for
# REFUSAL_WAIT seconds each.
@pytest.mark.parametrize("change", ["token disable", "token regenerate", "token delete", "user disable"])
def test_running_server_refuses_what_the_command_line_revoked(site, change):
    owner = "revoked-" + change.replace(" ", "-")
    ok(cli(site, "user", "create", "--username", owner, "--password-stdin", "--group", "7", stdin="Revoke-pw-1234\n"))
    made = json.loads(ok(cli(site, "token", "create", "--name", "revoke-me", "--user", owner, "--json")))
    site.secrets.add(made["token"])
    assert token_works(site, made["token"])  # the server now holds a verdict for it
    group, action = change.split()
    printed = ok(cli(site, group, action, made["tokenid"] if group == "token" else owner))
    if action == "regenerate":
        site.secrets.add(printed.strip())
    expect_refused(site, made["token"], change)


def test_token_regenerate_and_delete(site):
    first = json.loads(ok(cli(site, "token", "create", "--name", "rotate", "--json")))
    second = json.loads(ok(cli(site, "token", "create", "--name", "rotate-2", "--json")))
    site.secrets.update({first["token"], second["token"]})
    assert token_works(site, first["token"])

    new = ok(cli(site, "token", "regenerate", first["tokenid"]))
    assert TOKEN_LINE.match(new)
    new = new.strip()
    site.secrets.add(new)
    assert new != first["token"] and token_works(site, new)
    newer = json.loads(ok(cli(site, "token", "regenerate", first["tokenid"], "--json")))
    site.secrets.add(newer["token"])
    assert newer["tokenid"] == first["tokenid"] and token_works(site, newer["token"])

    # Several ids at once; the service checks them (all or nothing).
    both = [first["tokenid"], second["tokenid"]]
    assert ok(cli(site, "token", "disable", *both)) == f"Disabled tokens {both[0]}, {both[1]}.\n"
    refused(cli(site, "token", "enable", both[0], "999999"), "No permissions to referred object or it does not exist!")
    assert {t["status"] for t in json.loads(ok(cli(site, "token", "list", "--name", "rotate", "--json")))} == {"1"}
    assert ok(cli(site, "token", "delete", *both)) == f"Deleted tokens {both[0]}, {both[1]}.\n"
    assert json.loads(ok(cli(site, "token", "list", "--name", "rotate", "--json"))) == []
    refused(cli(site, "token", "delete", both[0]), "No permissions to referred object or it does not exist!")
    refused(cli(site, "token", "regenerate", "abc"), 'Invalid parameter "/1": a number is expected.')
    refused(cli(site, "token", "disable"), "Missing expected argument '<tokenid> ...'", code=USAGE)


def test_token_values_are_printed_only_by_create_and_regenerate(site):
    session = admin_session(site)
    records = rpc(site, "auditlog.get", {"output": "extend", "filter": {"resourcetype": 45}}, auth=session)["result"]
    assert records and not any(secret in json.dumps(records) for secret in site.secrets if len(secret) == 64)
    listing = ok(cli(site, "token", "list")) + ok(cli(site, "token", "list", "--json"))
    assert not any(secret in listing for secret in site.secrets)


# ---------------------------------------------------------------------------------------------
# backup


def test_backup_while_serving_and_restore(site, tmp_path):
    value = ok(cli(site, "token", "create", "--name", "kept-in-backup")).strip()
    site.secrets.add(value)
    target = tmp_path / "backup.sqlite"
    out = ok(cli(site, "backup", "--to", str(target)))
    assert re.fullmatch(rf"Backed up \S+tessera\.sqlite to {re.escape(str(target))} \(\d+ bytes\) in \d+\.\d s\.\n", out), out
    assert target.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == ["backup.sqlite"]  # no temporary file left

    refused(cli(site, "backup", "--to", str(target)), f"{target} already exists: use --force to replace it")
    ok(cli(site, "backup", "--to", str(target), "--force"))
    refused(cli(site, "backup", "--to", str(tmp_path)), f"cannot back up to {tmp_path}: it is a folder")
    live = Path(site.where[1]) / "tessera.sqlite"
    refused(cli(site, "backup", "--to", str(live), "--force"), f"cannot back up {live} onto itself")
    refused(cli(site, "backup", "--to", str(tmp_path / "no" / "such" / "folder.sqlite")), "cannot write")
    refused(cli(site, "backup"), "Missing expected argument '--to <file>'", code=USAGE)

    # A server on a folder holding the backup accepts the token and the password.
    restored = TesseraServer(ServerSpec(), tmp_path / "restored")
    shutil.copy(target, restored.data_dir / "tessera.sqlite")
    restored.secrets.add(value)
    try:
        restored.start()
        assert token_works(restored, value)
        assert "result" in login(restored, "Admin", site.password)
    finally:
        restored.stop()
    assert not restored.leaked_secrets()


# ---------------------------------------------------------------------------------------------
# PostgreSQL


@pytest.mark.skipif(not os.environ.get("TESSERA_TEST_POSTGRES_URL"), reason="TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it)")
def test_on_postgres(tmp_path):
    name, url = create_postgres_database(os.environ["TESSERA_TEST_POSTGRES_URL"])
    server = TesseraServer(ServerSpec(backend="postgres"), tmp_path)
    server.database_name, server.database_url = name, url  # stop() drops it
    where = ["--database", url]
    try:
        refused(tessera("token", "list", where=where), "the database has no Tessera schema: create it with `tessera migrate`")
        assert ok(tessera("migrate", "--admin-password", ADMIN_PASSWORD, where=where)) == f"The database is at schema version {SCHEMA}.\n"
        server.start()
        ok(tessera("user", "create", "--username", "pg-user", "--password-stdin", "--group", "7", where=where, stdin="Elephant-pw-123\n"))
        made = json.loads(ok(tessera("token", "create", "--name", "on-pg", "--user", "pg-user", "--json", where=where)))
        server.secrets.add(made["token"])
        assert token_works(server, made["token"])
        _, rows = table(ok(tessera("token", "list", where=where)))
        assert [(r[1], r[2], r[3]) for r in rows] == [("on-pg", "pg-user", "enabled")]
        # A change made on the command line is announced (NOTIFY) like the API's own.
        ok(tessera("token", "disable", made["tokenid"], where=where))
        expect_refused(server, made["token"], "token disable")
        ok(tessera("token", "enable", made["tokenid"], where=where))
        assert token_works(server, made["token"])
        ok(tessera("user", "disable", "pg-user", where=where))
        expect_refused(server, made["token"], "user disable")
        # No backup command for PostgreSQL; the URL (and its password) is not repeated.
        result = tessera("backup", "--to", str(tmp_path / "pg.sqlite"), where=where)
        refused(result, "this installation uses PostgreSQL, and backup copies only the embedded SQLite database: use pg_dump")
        assert url not in result.stderr
    finally:
        server.stop()
    assert not server.leaked_secrets()
