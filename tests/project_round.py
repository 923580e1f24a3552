"""A project round as a bureau runs one (项目支出 全覆盖): a roster, a project list from the
一体化 system (codes as text, one of 22 digits), project indicators, and returns filled
in by defined names through openpyxl."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from .campaign_helpers import code_of, name_of, names_of

LONG_CODE = "4301000000000000000001"  # a 22-digit 一体化 code, kept as text


def projects_of(n_departments: int) -> dict[str, list[tuple[str, str]]]:
    """Department code → its projects (code, name): D01 has 25, D02–D08 five each (60 in
    all), the rest none."""
    out: dict[str, list[tuple[str, str]]] = {}
    for i in range(1, n_departments + 1):
        count = 25 if i == 1 else 5 if i <= 8 else 0
        codes = [f"P{i:02d}{k:02d}" for k in range(1, count + 1)]
        if i == 1:
            codes[0] = LONG_CODE
        out[code_of(i)] = [(c, f"{name_of(i)}项目{k:02d}") for k, c in enumerate(codes, 1)]
    return out


def write_projects(path: Path, projects: dict[str, list[tuple[str, str]]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2025年度项目支出绩效自评 项目清单（一体化系统导出）"])
    ws.append(
        [
            "项目编码",
            "项目名称",
            "部门编码",
            "实施单位",
            "项目负责人",
            "联系电话",
            "项目类别",
            "年初预算数",
            "全年预算数",
        ]
    )
    for department, items in projects.items():
        for n, (code, name) in enumerate(items, 1):
            ws.append(
                [
                    code,
                    name,
                    department,
                    f"{department}实施科",
                    f"负责人{n}",
                    "0731-1",
                    "二级",
                    10.0 * n,
                    12.0 * n,
                ]
            )
    for row in ws.iter_rows(min_row=3, max_col=1):
        row[0].number_format = "@"  # codes typed into a text column
    wb.save(path)
    return path


def write_project_indicators(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "项目编码",
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "年度指标值",
            "度量单位",
            "分值",
        ]
    )
    ws.append([None, "产出指标", "数量指标", "完成任务数", "≥", "10", "个", 30])
    ws.append([None, "产出指标", "质量指标", "验收合格率", "≥", "95", "%", 30])
    ws.append([None, "满意度指标", "服务对象满意度指标", "服务对象满意度", "≥", "90", "%", 30])
    wb.save(path)
    return path


def fill_project(
    src: Path,
    dst: Path,
    *,
    executed: float | str | None = "budget",
    drop_meta: bool = False,
    header: dict[str, Any] | None = None,
) -> Path:
    """A project form as its department fills it: what was spent, the goal's results and
    each indicator's actual value (scores are the form's formulas). ``executed`` None
    leaves a required cell empty (a return to fix); ``drop_meta`` makes it unsigned (a
    copy of the form typed again), ``header`` overwrites header cells."""
    names = names_of(src)
    wb = openpyxl.load_workbook(src)
    ws = wb["自评表"]
    if executed == "budget":  # spent what the budget said
        executed = ws[names["fund_current_adjusted"]].value
    if executed is not None:
        ws[names["fund_current_executed"]] = executed
    ws[names["goal_expected"].split(":")[0]] = "按期完成项目建设任务。"
    ws[names["goal_actual"].split(":")[0]] = "已按期完成。"
    first, last = names["indicators"].split(":")
    col, row0 = coordinate_from_string(first)
    _c, row1 = coordinate_from_string(last)
    start = column_index_from_string(col)
    for r in range(row0, row1 + 1):
        if ws.cell(r, start + 2).value and isinstance(ws.cell(r, start + 7).value, int | float):
            ws.cell(r, start + 6).value = {
                "完成任务数": 12,
                "验收合格率": 98,
                "服务对象满意度": 93,
            }.get(ws.cell(r, start + 2).value, 1)
    for key, value in (header or {}).items():
        ws[names[key].split(":")[0]] = value
    if drop_meta and "_xltool" in wb.sheetnames:
        del wb["_xltool"]
    wb.save(dst)
    return dst


def zip_of(files: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    return buffer.getvalue()


ACTUALS = {"完成任务数": 12, "验收合格率": 98, "服务对象满意度": 93}


def unsigned_project(src: Path, dst: Path, header: dict[str, Any] | None = None) -> Path:
    """The same project form typed again by its department into a fresh copy (as
    ``xltool new`` makes one, unsigned), filled, with ``header`` overwriting the header's
    fields: a return without a signature, known by what its header says."""
    from xltool.forms.model import FormData
    from xltool.forms.write import write_form
    from xltool.reading.read import read_form

    reading = read_form(src)
    spec = reading.spec
    fields = {k: v for k, v in reading.values.items() if k in spec.input_fields()}
    fields["fund_current_executed"] = fields.get("fund_current_adjusted")
    fields["goal_expected"], fields["goal_actual"] = "按期完成项目建设任务。", "已按期完成。"
    fields.update(header or {})
    rows = []
    for row in reading.indicators:
        values = {k: v for k, v in row.values.items() if v not in (None, "") and k != "score"}
        if values.get("name") in ACTUALS:
            values["actual"] = ACTUALS[values["name"]]
        if values.get("name"):
            rows.append(values)
    data = FormData(kind=spec.kind, spec_version=spec.version, fields=fields, indicators=rows)
    write_form(dst, spec, data)
    return dst


def unsigned_department(src: Path, dst: Path, i: int) -> Path:
    """A department form filled as department ``i`` fills it, then typed again into a
    fresh unsigned copy."""
    from xltool.forms.model import FormData
    from xltool.forms.write import write_form
    from xltool.reading.read import read_form

    from .campaign_helpers import fill_openpyxl

    filled = fill_openpyxl(src, dst.with_name(f".{dst.stem}-signed.xlsx"), i)
    reading = read_form(filled)
    spec = reading.spec
    fields = {k: v for k, v in reading.values.items() if k in spec.input_fields()}
    rows = [dict(r.values) for r in reading.indicators if r.values.get("name")]
    write_form(
        dst,
        spec,
        FormData(kind=spec.kind, spec_version=spec.version, fields=fields, indicators=rows),
    )
    filled.unlink()
    return dst
