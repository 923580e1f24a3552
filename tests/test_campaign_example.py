"""The campaign example of docs/round.md, run as written (in a temporary folder), with returns
made from the forms it issues."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import openpyxl

from .campaign_helpers import code_of, fill_openpyxl, write_indicators, write_roster

PAGE = Path(__file__).resolve().parent.parent / "docs" / "round.md"


def example() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"<!-- campaign-example -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "docs/round.md lost its campaign example"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_docs_campaign_example_runs_as_written(tmp_path: Path) -> None:
    write_roster(tmp_path / "名单.xlsx", 6)
    write_indicators(tmp_path / "指标.xlsx", 6)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XLTOOL_LANG": "zh"}
    cwd = tmp_path
    outputs = []
    for line in example():
        words = shlex.split(line)
        if words[0] == "cd":
            cwd = cwd / words[1]
            continue
        if words[:2] == ["xltool", "collect"] and not (tmp_path / "回收").exists():
            _returns(tmp_path, cwd)
        proc = subprocess.run(
            [sys.executable, "-m", "xltool", *words[1:]],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, (line, proc.stdout, proc.stderr)
        outputs.append(proc.stdout)
    assert "D03 第3局（按手工指定）" in outputs[2]
    status = json.loads(
        subprocess.run(
            [sys.executable, "-m", "xltool", "status", "--format", "json"],
            cwd=cwd, env=env, capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    got = {d["code"]: d["status"] for d in status["departments"]}
    assert got == {
        "D01": "passed", "D02": "passed", "D03": "passed", "D04": "exempt",
        "D05": "overdue", "D06": "overdue",
    }  # fmt: skip
    assert (cwd / "报送进度.xlsx").exists()
    ws = openpyxl.load_workbook(cwd / "汇总.xlsx")["汇总"]
    assert [ws.cell(r, 10).value for r in range(2, 8)] == [
        "通过", "通过", "通过", "免报", "逾期未报送", "逾期未报送",
    ]  # fmt: skip


def _returns(tmp: Path, campaign: Path) -> None:
    """D01 and D02 send their filled forms; D03 sends a hand-typed copy (no metadata)."""
    (tmp / "回收").mkdir()
    for i in (1, 2):
        src = next((campaign / "issued").glob(f"{code_of(i)}-*.xlsx"))
        fill_openpyxl(src, tmp / "回收" / src.name, i)
    src = next((campaign / "issued").glob(f"{code_of(3)}-*.xlsx"))
    fill_openpyxl(src, tmp / "scan.xlsx", 3)
    wb = openpyxl.load_workbook(tmp / "scan.xlsx")
    del wb["_xltool"]
    for prop in list(wb.custom_doc_props.props):
        wb.custom_doc_props.props.remove(prop)
    wb.save(tmp / "扫描件.xlsx")
