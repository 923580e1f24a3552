"""The code stays ruff clean: part of the test command, so CI holds it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the [test] extra)")
    proc = subprocess.run(
        [ruff, "check", "xltool", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_defusedxml_guards_openpyxl() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML, "defusedxml must be installed so openpyxl parses XML safely"
    assert sys.version_info >= (3, 11)
