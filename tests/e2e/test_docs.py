"""The operations guide cannot drift from the binary: every option of `tessera serve --help` has its
row in the configuration table of docs/operations.md, and the table has no option the binary lacks."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO_ROOT, tessera_binary


def test_every_serve_option_is_in_the_configuration_reference():
    help_text = subprocess.run([str(tessera_binary()), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    offered = set(re.findall(r"^\s+(--[a-z][a-z-]+)", help_text, flags=re.M)) - {"--help"}
    guide = (REPO_ROOT / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"^\| `(--[a-z][a-z-]+)", guide, flags=re.M))
    assert offered, help_text
    assert documented == offered
