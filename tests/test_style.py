"""The code stays ruff clean (complexity included) and its functions short: part of the
test command, so CI holds it."""

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


LONGEST = 60  # lines, docstring included


def test_no_function_is_longer_than_a_screen() -> None:
    """No function of xltool runs over 60 lines (the grid writer included)."""
    import ast

    long = []
    for path in sorted((ROOT / "xltool").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LONGEST:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {lines}")
    assert long == []


def test_defusedxml_guards_openpyxl() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML, "defusedxml must be installed so openpyxl parses XML safely"
    assert sys.version_info >= (3, 11)
