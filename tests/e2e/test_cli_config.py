"""`tessera serve` refuses unusable settings with a clear message, from flags, environment or file."""

import json
import os
import subprocess

import pytest

from conftest import free_port, tessera_binary


def run(args, env_extra=None, tmp_path=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(env_extra or {})
    return subprocess.run(
        [str(tessera_binary()), "serve", "--data-dir", str(tmp_path / "data"), *args],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--port", "99999"], {}, "invalid port 99999 (use 0-65535)"),
        (["--port", "abc"], {}, "The value 'abc' is invalid for '--port <port>'"),
        ([], {"TESSERA_PORT": "abc"}, 'invalid port "abc" (use 0-65535)'),
        (["--log-level", "loud"], {}, 'invalid log level "loud" (use trace, debug, info, notice, warning, error or critical)'),
        ([], {"TESSERA_LOG_LEVEL": "loud"}, 'invalid log level "loud"'),
        (["--database", "mysql://x"], {}, "invalid database URL (expected postgres://user:password@host:port/database)"),
        (["--api-version", "seven"], {}, 'invalid API version "seven" (use digits and dots, e.g. 7.0.0 or 6.0.14)'),
        (["--config", "/nonexistent/tessera.json"], {}, "cannot read configuration file /nonexistent/tessera.json"),
    ],
)
def test_bad_settings_are_refused(tmp_path, args, env, message):
    result = run(args, env, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    # Refused before anything was created: no database, no password printed.
    assert not (tmp_path / "data").exists()
    assert "password" not in result.stdout.lower()


def test_config_file_values(tmp_path):
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"tessera": {"port": "not a port"}}))
    result = run(["--config", str(config)], {}, tmp_path)
    assert result.returncode != 0
    assert 'invalid port "not a port"' in result.stderr, result.stderr


def test_flag_beats_environment_beats_file(tmp_path):
    """The file says one port, the environment another, the flag a third: the flag wins."""
    import requests
    import time

    port = free_port()
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"tessera": {"port": 1, "api": {"version": "6.0.14"}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update({"TESSERA_PORT": "2", "TESSERA_ADMIN_PASSWORD": "Cfg-Test-pw1"})
    proc = subprocess.Popen(
        [str(tessera_binary()), "serve", "--config", str(config), "--port", str(port), "--data-dir", str(tmp_path / "d")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    try:
        body = {"jsonrpc": "2.0", "method": "apiinfo.version", "params": {}, "id": 1}
        for _ in range(150):
            try:
                reply = requests.post(f"http://127.0.0.1:{port}/api_jsonrpc.php", json=body, timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        # The file's api version applies: nothing overrode it.
        assert reply.json() == {"jsonrpc": "2.0", "result": "6.0.14", "id": 1}
    finally:
        proc.terminate()
        proc.wait(timeout=15)
