"""`xltool --help` and `--version` start in a blink: they import none of the heavy
libraries (each command imports its own work when it runs)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "openpyxl", "xlsxwriter", "rich", "pydantic", "jinja2", "sqlite3", "yaml", "numpy",
    "matplotlib", "docx", "docxtpl",
)  # fmt: skip

PROBE = """
import sys
from xltool.cli import main
try:
    main({args!r})
except SystemExit:
    pass
import json
print(json.dumps(sorted(sys.modules)))
"""


def loaded(args: list[str]) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    )
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["--lang", "en", "--help"], ["verify", "--help"]]
)
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    modules = loaded(args)
    assert "click" in modules  # the probe saw the command run
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_the_probe_sees_a_heavy_import() -> None:
    """What the test above would say of a command that does load its work."""
    modules = loaded(["schema"])
    assert "pydantic" in modules or "yaml" in modules
