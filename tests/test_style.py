"""The code stays ruff clean (complexity included) and its functions short: part of the
test command, so CI holds it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def ruff_command() -> list[str] | None:
    """ruff beside the interpreter running the tests (a venv's bin/ or Scripts\\, on PATH
    or not), else as a module of it, else on PATH."""
    beside = Path(sys.executable).with_name("ruff.exe" if sys.platform == "win32" else "ruff")
    if beside.is_file():
        return [str(beside)]
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    return [found] if found else None


def test_ruff_is_clean() -> None:
    ruff = ruff_command()
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the [test] extra)")
    proc = subprocess.run(
        [*ruff, "check", "xltool", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_found_from_the_readme_command_without_an_activated_venv() -> None:
    """The README's test command runs .venv/bin/python without putting .venv/bin on PATH;
    the style test must still find ruff there (it skipped before)."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed in this interpreter")
    env_path = "/usr/bin:/bin"
    found = subprocess.run(
        [sys.executable, "-c", "import tests.test_style as s; print(s.ruff_command())"],
        cwd=ROOT, capture_output=True, text=True, env={"PATH": env_path},
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "ruff" in found.stdout and found.stdout.strip() != "None"


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
