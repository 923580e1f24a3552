"""Rosters, indicators and filled returns for the campaign tests, made as a bureau and
its departments would: an XLSX roster with a title row and contacts, per-department
indicator rows, and forms filled in by defined names (through openpyxl, or as UNO
actions for a real LibreOffice); and the CLI run in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner
from openpyxl.utils.cell import coordinate_from_string, get_column_letter

from xltool.cli import main


def run_cli(*args: str, code: int | None = 0) -> Any:
    """``xltool *args`` in process: no traceback, no exception but SystemExit, and the
    exit code ``code`` (unless None)."""
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if code is not None:
        assert result.exit_code == code, (args, result.output)
    return result


def code_of(i: int) -> str:
    return f"D{i:02d}"


def name_of(i: int) -> str:
    return f"第{i}局"


def write_roster(path: Path, n: int) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2025年度部门整体支出绩效自评 发放名单"])
    ws.append(["说明：每个部门一行；电子邮箱可填多个，用分号隔开"])
    ws.append(
        ["部门编码", "部门名称", "联系人", "电子邮箱", "联系电话", "当年财政拨款年初预算数", "备注"]
    )
    for i in range(1, n + 1):
        ws.append(
            [
                code_of(i),
                name_of(i),
                f"联系人{i}",
                f"d{i}@dept.example.cn; office{i}@dept.example.cn",
                f"0731-8888{i:04d}",
                100 * i,
                "",
            ]
        )
    wb.save(path)
    return path


def write_indicators(path: Path, n: int) -> Path:
    """Two rows every department gets (70 points), and one of each department's own (30)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["部门编码", "一级指标", "二级指标", "三级指标", "年度指标值", "分值"])
    ws.append([None, "产出指标", "数量指标", "完成项目数", "≥10个", 40])
    ws.append([None, "效益指标", "社会效益指标", "群众受益情况", "明显提升", 30])
    for i in range(1, n + 1):
        ws.append(
            [code_of(i), "满意度指标", "服务对象满意度指标", f"{name_of(i)}服务满意度", "≥90%", 30]
        )
    wb.save(path)
    return path


def names_of(path: Path) -> dict[str, str]:
    """Defined name → its first cell (A1)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        out = {}
        for name, defined in wb.defined_names.items():
            _sheet, ref = next(iter(defined.destinations))
            out[name] = ref.replace("$", "")
        return out
    finally:
        wb.close()


def fill(
    path: Path, i: int, *, short: bool = True, reason: bool = True, code: str | None = None
) -> list[dict[str, Any]]:
    """What a department types into its issued form: UNO "set" actions by cell. With
    ``short``, the first indicator scores 1 below its points, with a reason unless
    ``reason`` is False (then the form has an error: reason-missing)."""
    names = names_of(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb["自评表"]
    first, last = names["indicators"].split(":")
    col0, row0 = coordinate_from_string(first)
    _col1, row1 = coordinate_from_string(last)
    rows = [list(r) for r in ws.iter_rows(min_row=row0, max_row=row1, values_only=True)]
    wb.close()
    start = openpyxl.utils.column_index_from_string(col0)

    def cell(name: str) -> str:
        return names[name].split(":")[0]

    actions: list[dict[str, Any]] = [{"op": "unprotect"}]
    values: dict[str, Any] = {
        "duties": f"{name_of(i)}的主要职责：负责本行业的规划、管理和服务。",
        "staff_quota": 20 + i,
        "staff_actual": 18 + i,
        "fund_current_initial": 100 * i,
        "fund_current_adjusted": 110 * i,
        "fund_current_executed": 100 * i,
        "fund_carryover_initial": 10,
        "fund_carryover_adjusted": 10,
        "fund_carryover_executed": 8,
        "goal_expected": "完成年度各项工作任务。",
        "goal_actual": "已全面完成。",
    }
    if code is not None:
        values["code"] = code
    for key, value in values.items():
        actions.append({"op": "set", "cell": cell(key), "value": value})
    seen = 0
    for offset, row in enumerate(rows):
        name, points = row[start - 1 + 2], row[start - 1 + 5]
        if not name or not isinstance(points, int | float):
            continue
        r = row0 + offset
        score = points - 1 if short and not seen else points
        actions.append(
            {"op": "set", "cell": f"{get_column_letter(start + 4)}{r}", "value": "已完成"}
        )
        actions.append({"op": "set", "cell": f"{get_column_letter(start + 6)}{r}", "value": score})
        if score < points and reason:
            actions.append(
                {"op": "set", "cell": f"{get_column_letter(start + 7)}{r}", "value": "个别项目延期"}
            )
        seen += 1
    return actions


def fill_openpyxl(src: Path, dst: Path, i: int, **kwargs: Any) -> Path:
    """The same entries through openpyxl (fast; no cached values)."""
    wb = openpyxl.load_workbook(src)
    ws = wb["自评表"]
    for action in fill(src, i, **kwargs):
        if action["op"] == "set":
            ws[action["cell"]] = action["value"]
    wb.save(dst)
    return dst
