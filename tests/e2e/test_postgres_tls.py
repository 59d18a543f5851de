"""PostgreSQL over TLS: the `sslmode`, `sslrootcert`, `sslcert` and `sslkey` parameters of the
database URL, against real PostgreSQL 15 clusters.

The certificates are made here with the openssl command: a CA, a server certificate it signed for
the DNS name `localhost` only (so `127.0.0.1` in the URL is the wrong host name for verify-full), a
client certificate for the user postgres, and a second CA with a client certificate of its own that
the server does not trust. One cluster runs with ssl=on (`scripts/pg-cluster.sh start-tls`: trust
with or without TLS, except the database `certauth`, which needs a client certificate); the one of
TESSERA_TEST_POSTGRES_URL runs without TLS. Whether a running server's connections are encrypted is
read from the cluster's `pg_stat_ssl`.

What cannot work stops `tessera serve` with one `Error:` line naming the server (never the
password): exit status 1 when the server was asked, 64 for a setting that is wrong before anything
connects (as every other unusable setting). Needs TESSERA_TEST_POSTGRES_URL (scripts/test sets it)
for the clusters; the settings checks run without it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import ServerSpec, TesseraServer, create_postgres_database, free_port, pg_cluster, psql_query, rpc, tessera_binary
from ops_support import serve_expecting_refusal

PASSWORD = "Db-Secret-pw-4711"  # in every URL: the clusters trust the connection, the test checks it is never shown
USAGE = 64


def openssl(*args: str) -> None:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"openssl {args[0]} failed:\n{done.stderr}"


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
            "-out", str(cert), "-days", "2", "-subj", f"/CN=Tessera test {name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_certificate(folder: Path, name: str, subject: str, ca: tuple[Path, Path], extensions: str) -> tuple[Path, Path]:
    cert, key, request, ext = (folder / f"{name}{suffix}" for suffix in (".crt", ".key", ".csr", ".ext"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
            "-out", str(request), "-subj", subject)
    ext.write_text(extensions)
    openssl("x509", "-req", "-in", str(request), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
            "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca(folder, "ca")
    other = make_ca(folder, "other-ca")
    server = make_certificate(folder, "server", "/CN=localhost", ca,
                              "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    client = make_certificate(folder, "client", "/CN=postgres", ca, "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    stranger = make_certificate(folder, "stranger", "/CN=postgres", other, "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    # What scripts/pg-cluster.sh start-tls reads.
    cluster = folder / "cluster"
    cluster.mkdir()
    for source, target in ((server[0], "server.crt"), (server[1], "server.key"), (ca[0], "ca.crt")):
        (cluster / target).write_bytes(source.read_bytes())
    return {"ca": ca[0], "other_ca": other[0], "client_cert": client[0], "client_key": client[1],
            "stranger_cert": stranger[0], "stranger_key": stranger[1], "cluster": cluster}


@pytest.fixture(scope="module")
def tls_cluster(pki):
    with pg_cluster(tls=pki["cluster"]) as cluster:
        yield cluster


def plain_port() -> int:
    """The port of TESSERA_TEST_POSTGRES_URL's cluster (without TLS)."""
    base = os.environ.get("TESSERA_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("TESSERA_TEST_POSTGRES_URL is not set (scripts/test sets it)")
    return int(base.rsplit(":", 1)[1].split("/", 1)[0])


def fresh_database(port: int) -> str:
    """A new database on the cluster at `port` (created over an unencrypted connection); its name."""
    name, _ = create_postgres_database(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable")
    return name


def url(host: str, port: int, database: str, **parameters: Path | str) -> str:
    query = "&".join(f"{key}={value}" for key, value in parameters.items())
    return f"postgres://postgres:{PASSWORD}@{host}:{port}/{database}" + (f"?{query}" if query else "")


def encryption_of(port: int, database: str) -> list[str]:
    """`t` or `f` for each client connection to `database`: whether it uses TLS."""
    rows = psql_query(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable",
                      f"SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = '{database}'")
    return [row[0] for row in rows]


def tables_in(port: int, database: str) -> int:
    return int(psql_query(f"postgres://postgres@127.0.0.1:{port}/{database}?sslmode=disable",
                          "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")[0][0])


def serve_on(tmp_path: Path, database_url: str) -> TesseraServer:
    """A started `tessera serve` on `database_url`; stop it afterwards."""
    server = TesseraServer(ServerSpec(backend="postgres"), tmp_path, database_url=database_url)
    server.secrets.add(PASSWORD)
    server.start()
    return server


def assert_serves(tmp_path: Path, database_url: str, port: int, database: str, encrypted: bool) -> None:
    """`tessera serve` on the URL starts, answers the API, and its connections are (or are not) encrypted."""
    server = serve_on(tmp_path, database_url)
    try:
        answer = rpc(server, "user.login", {"username": "Admin", "password": server.password})
        assert "result" in answer, answer
        server.secrets.add(answer["result"])
        connections = encryption_of(port, database)
        assert connections and set(connections) == {"t" if encrypted else "f"}, connections
    finally:
        server.stop()
    assert not server.leaked_secrets()


def refused(tmp_path: Path, database_url: str, message: str, code: int = 1) -> None:
    """`tessera serve` on the URL exits with `code` and exactly this one error line, without the password."""
    done = serve_expecting_refusal(tmp_path, ["--port", str(free_port()), "--database", database_url])
    assert done.returncode == code, (done.returncode, done.stderr[-1500:])
    assert done.error_lines() == [f"Error: {message}"], done.stderr[-1500:]
    assert PASSWORD not in done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# Server certificates


def test_verify_full_with_the_right_ca_and_host_name(tmp_path, pki, tls_cluster):
    name = fresh_database(tls_cluster.port)
    assert_serves(tmp_path, url("localhost", tls_cluster.port, name, sslmode="verify-full", sslrootcert=pki["ca"]),
                  tls_cluster.port, name, encrypted=True)


def test_verify_full_refuses_a_certificate_for_another_host_name(tmp_path, pki, tls_cluster):
    name = fresh_database(tls_cluster.port)
    refused(tmp_path, url("127.0.0.1", tls_cluster.port, name, sslmode="verify-full", sslrootcert=pki["ca"]),
            f"the PostgreSQL server at 127.0.0.1:{tls_cluster.port}: its certificate is not valid for the host name in the"
            " database URL (sslmode=verify-full checks it)")
    assert tables_in(tls_cluster.port, name) == 0


def test_verify_ca_checks_the_chain_and_not_the_host_name(tmp_path, pki, tls_cluster):
    name = fresh_database(tls_cluster.port)
    refused(tmp_path, url("localhost", tls_cluster.port, name, sslmode="verify-ca", sslrootcert=pki["other_ca"]),
            f"the PostgreSQL server at localhost:{tls_cluster.port}: its certificate does not verify against {pki['other_ca']}"
            " (sslmode=verify-ca)")
    assert tables_in(tls_cluster.port, name) == 0
    # The right CA: 127.0.0.1 is not in the certificate, and verify-ca does not ask.
    assert_serves(tmp_path, url("127.0.0.1", tls_cluster.port, name, sslmode="verify-ca", sslrootcert=pki["ca"]),
                  tls_cluster.port, name, encrypted=True)


def test_require_with_sslrootcert_checks_the_chain_as_libpq(tmp_path, pki, tls_cluster):
    refused(tmp_path, url("localhost", tls_cluster.port, "postgres", sslmode="require", sslrootcert=pki["other_ca"]),
            f"the PostgreSQL server at localhost:{tls_cluster.port}: its certificate does not verify against {pki['other_ca']}"
            " (sslmode=require)")


@pytest.mark.parametrize("sslmode, encrypted", [("require", True), (None, True), ("prefer", True), ("disable", False)])
def test_modes_on_a_server_with_tls(tmp_path, tls_cluster, sslmode, encrypted):
    """require and prefer (the default) encrypt without checking the certificate; disable does not encrypt."""
    name = fresh_database(tls_cluster.port)
    parameters = {} if sslmode is None else {"sslmode": sslmode}
    assert_serves(tmp_path, url("127.0.0.1", tls_cluster.port, name, **parameters), tls_cluster.port, name, encrypted=encrypted)


# ---------------------------------------------------------------------------------------------
# A server without TLS


@pytest.mark.parametrize("sslmode", ["require", "verify-ca", "verify-full"])
def test_tls_is_required_but_the_server_has_none(tmp_path, pki, sslmode):
    port = plain_port()
    name = fresh_database(port)
    refused(tmp_path, url("127.0.0.1", port, name, sslmode=sslmode, sslrootcert=pki["ca"]),
            f"the PostgreSQL server at 127.0.0.1:{port} does not accept TLS connections, and sslmode={sslmode} needs TLS:"
            " turn on ssl in its postgresql.conf, or use sslmode=prefer or sslmode=disable in the database URL")
    assert tables_in(port, name) == 0


@pytest.mark.parametrize("sslmode", ["disable", None])
def test_disable_and_the_default_work_without_tls(tmp_path, sslmode):
    port = plain_port()
    name = fresh_database(port)
    parameters = {} if sslmode is None else {"sslmode": sslmode}
    assert_serves(tmp_path, url("127.0.0.1", port, name, **parameters), port, name, encrypted=False)


# ---------------------------------------------------------------------------------------------
# Client certificates (the cluster's database `certauth` accepts nothing else)


def test_client_certificate_when_the_server_demands_one(tmp_path, pki, tls_cluster):
    port = tls_cluster.port
    base = {"sslmode": "verify-full", "sslrootcert": pki["ca"]}
    refused(tmp_path, url("localhost", port, "certauth", **base),
            f"the PostgreSQL server at localhost:{port} refused the connection: connection requires a valid client certificate")
    refused(tmp_path, url("localhost", port, "certauth", **base, sslcert=pki["stranger_cert"], sslkey=pki["stranger_key"]),
            f"the PostgreSQL server at localhost:{port}: it refused the client certificate {pki['stranger_cert']}"
            " (TLS alert TLSV1_ALERT_UNKNOWN_CA)")
    assert tables_in_certauth(pki, port) == 0
    assert_serves(tmp_path, url("localhost", port, "certauth", **base, sslcert=pki["client_cert"], sslkey=pki["client_key"]),
                  port, "certauth", encrypted=True)


def tables_in_certauth(pki, port: int) -> int:
    """Counted through psql with the client certificate: the database takes no other connection."""
    return int(psql_query(f"postgres://postgres@localhost:{port}/certauth?sslmode=verify-full&sslrootcert={pki['ca']}"
                          f"&sslcert={pki['client_cert']}&sslkey={pki['client_key']}",
                          "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")[0][0])


# ---------------------------------------------------------------------------------------------
# Settings that are wrong before anything connects (exit status 64, nothing is asked)


@pytest.mark.parametrize(
    "query, message",
    [
        ("sslmode=verify_full", 'invalid sslmode "verify_full" in the database URL (use disable, prefer, require, verify-ca or verify-full)'),
        ("sslmode=allow", 'sslmode "allow" is not supported (use disable, prefer, require, verify-ca or verify-full)'),
        ("sslmod=require", 'unknown parameter "sslmod" in the database URL (Tessera reads sslmode, sslrootcert, sslcert and sslkey)'),
        ("sslmode=verify-full", "sslmode=verify-full needs sslrootcert in the database URL: the CA certificate file (PEM) of the"
                                " server's certificate, or sslrootcert=system for the system's trusted roots"),
        ("sslmode=verify-ca&sslrootcert={missing}", "cannot read sslrootcert {missing}: No such file or directory"),
        ("sslmode=require&sslcert={client_cert}", "sslcert and sslkey go together in the database URL: give both files or neither"),
        ("sslmode=require&sslcert={missing}&sslkey={client_key}", "cannot read sslcert {missing}: No such file or directory"),
        ("sslmode=require&sslcert={client_cert}&sslkey={folder}", "cannot read sslkey {folder}: Is a directory"),
        ("sslmode=require&sslcert={client_cert}&sslkey={ca}", "cannot read sslkey {ca}: not a PEM private key"),
        ("sslmode=require&sslcert={client_cert}&sslkey={stranger_key}",
         "sslkey {stranger_key} is not the private key of sslcert {client_cert}"),
    ],
)
def test_unusable_tls_settings_are_refused_before_connecting(tmp_path, pki, query, message):
    files = {**{k: str(v) for k, v in pki.items()}, "missing": str(tmp_path / "missing.pem"), "folder": str(tmp_path)}
    # Port 1: nothing listens there, so a start that got past the settings would say so instead.
    refused(tmp_path, f"postgres://postgres:{PASSWORD}@127.0.0.1:1/tessera?" + query.format(**files), message.format(**files), code=USAGE)


def test_the_other_commands_read_the_same_settings(tmp_path):
    """`tessera migrate`, `user`, `token` and `db copy` check the URL the same way."""
    bad = f"postgres://postgres:{PASSWORD}@127.0.0.1:1/tessera?sslmode=verify_full"
    message = 'Error: invalid sslmode "verify_full" in the database URL (use disable, prefer, require, verify-ca or verify-full)'
    source = tmp_path / "tessera.sqlite"
    source.write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    for args in (["migrate", "--database", bad], ["user", "list", "--database", bad], ["token", "list", "--database", bad],
                 ["db", "copy", "--from", str(source), "--to", bad]):
        done = subprocess.run([str(tessera_binary()), *args], capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        assert done.returncode == USAGE, (args, done.returncode, done.stderr)
        assert done.stderr.splitlines()[0] == message, (args, done.stderr)
        assert PASSWORD not in done.stdout + done.stderr
