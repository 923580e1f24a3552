"""Every faulty sample of the verify issue, re-made for the project kind by defined
names rather than cells, reports the same codes as for dept-overall."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from xltool.checking.verify import verify_file
from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.write import IssueInfo, write_form

from . import faulty
from .test_kinds import project_form

PROJECT = load_builtin("project")
COLUMNS = [c.key for c in PROJECT.indicators.columns]


def project_seed() -> bytes:
    rows = [
        {
            "level1": "产出指标",
            "level2": "数量指标",
            "name": "改造农贸市场",
            "nature": "≥",
            "target": 4,
            "unit": "个",
            "actual": 4,
            "points": 30,
            "reason": None,
        },
        {
            "level1": "产出指标",
            "level2": "质量指标",
            "name": "验收合格率",
            "nature": "≥",
            "target": 100,
            "unit": "%",
            "actual": 90,
            "points": 30,
            "reason": "一个市场尚未验收",
        },
        {
            "level1": "满意度指标",
            "level2": "服务对象满意度指标",
            "name": "商户满意度",
            "nature": "定性",
            "target": "满意",
            "unit": None,
            "actual": "达成年度指标",
            "points": 30,
            "score": 28,
            "reason": "个别商户有意见",
        },
    ]
    data: FormData = project_form(43.2, 37.24, rows)
    data.fields["fund_carryover_adjusted"] = 10
    data.fields["fund_carryover_executed"] = 8
    buf = io.BytesIO()
    write_form(
        buf,
        PROJECT,
        data,
        info=IssueInfo(issued_at="2019-01-15T00:00:00+00:00", issue_id="project-seed"),
    )
    return buf.getvalue()


def cell_of(wb: openpyxl.Workbook, name: str) -> str:
    _sheet, ref = next(iter(wb.defined_names[name].destinations))
    return ref.replace("$", "").split(":")[0]


def row_cell(wb: openpyxl.Workbook, key: str, offset: int) -> str:
    first = openpyxl.utils.cell.coordinate_from_string(cell_of(wb, "indicators"))[1]
    return f"{get_column_letter(2 + COLUMNS.index(key))}{first + offset}"


Where = Callable[[openpyxl.Workbook], str]


def named(name: str) -> Where:
    return lambda wb: cell_of(wb, name)


def in_row(key: str, offset: int) -> Where:
    return lambda wb: row_cell(wb, key, offset)


def header_of(key: str) -> Where:
    def where(wb: openpyxl.Workbook) -> str:
        first = openpyxl.utils.cell.coordinate_from_string(cell_of(wb, "indicators"))[1]
        return f"{get_column_letter(2 + COLUMNS.index(key))}{first - 1}"

    return where


# variant → (cells to set: where → value; expected cells in the order of the dept variant's codes)
EDITS: dict[str, tuple[list[tuple[Where, object]], list[Where | None]]] = {
    "required-missing": ([(named("goal_expected"), None)], [named("goal_expected")]),
    "not-a-number": ([(named("fund_current_initial"), "十六万")], [named("fund_current_initial")]),
    "value-coerced": ([(in_row("target", 0), "4个")], [in_row("target", 0)]),
    "number-as-text": (
        [(named("fund_current_initial"), "43.20万元")],
        [named("fund_current_initial")],
    ),
    "input-formula": (
        [(named("fund_carryover_executed"), "=4*2")],
        [named("fund_carryover_executed")],
    ),
    "input-formula-unused": ([(named("goal_actual"), "=B11")], [named("goal_actual")]),
    "value-negative": (
        [(named("fund_carryover_executed"), -5)],
        [named("fund_carryover_executed")],
    ),
    "fund-sum-mismatch": ([(named("fund_total_adjusted"), 9999)], [named("fund_total_adjusted")]),
    "execution-over-budget": (
        [(named("fund_carryover_executed"), 12)],
        [named("fund_carryover_executed")],
    ),
    "score-over-points": ([(in_row("score", 6), 31)], [in_row("score", 6)]),  # the 定性 row's entry
    "points-total": ([(in_row("points", 0), 25)], [named("total_points"), in_row("points", 0)]),
    "reason-missing": ([(in_row("reason", 3), None)], [in_row("reason", 3)]),
    "indicator-incomplete": ([(in_row("actual", 1), "已完成")], [in_row("name", 1)]),
    "formula-overwritten": ([(named("total_score"), 90)], [named("total_score")]),
    "formula-altered": ([(named("fund_total_rate"), "=F6/D6")], [named("fund_total_rate")]),
    "structure-changed": ([(header_of("name"), "指标名称")], [header_of("name")]),
}


def _apply(src: bytes, edits: list[tuple[Where, object]]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(src))
    for where, value in edits:
        wb["自评表"][where(wb)] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cached_total(src: bytes) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(src))
    ref = cell_of(wb, "total_score")
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, n = re.subn(rf'(<c r="{ref}"[^>]*><f>[^<]*</f><v>)[^<]*(</v>)', r"\g<1>1\g<2>", sheet)
    assert n == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def seed() -> bytes:
    return project_seed()


def test_the_project_seed_verifies_ok(seed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "seed.xlsx"
    path.write_bytes(seed)
    result = verify_file(path)
    assert result.status == "ok" and result.findings == [], [
        f.message("en") for f in result.findings
    ]
    assert result.totals["score"] == pytest.approx(
        round(45.24 / 53.2 * 10, 2) + 30 + 27 + 28
    )  # 8.5 + 85


@pytest.mark.parametrize("variant", faulty.VARIANTS, ids=lambda v: v.name)
def test_each_faulty_variant_remade_for_project_reports_the_same_codes(
    variant, seed: bytes, tmp_path: Path
) -> None:
    path = tmp_path / f"{variant.name}.xlsx"
    if variant.name in EDITS:
        edits, cells = EDITS[variant.name]
        path.write_bytes(_apply(seed, edits))
        wb = openpyxl.load_workbook(io.BytesIO(seed))
        expected = sorted(
            (code, where(wb) if where else None)
            for (code, _), where in zip(variant.expected, cells, strict=True)
        )
    else:
        # file-level and metadata variants do not depend on the layout: the same maker
        path.write_bytes(
            _cached_total(seed) if variant.name == "cached-value-mismatch" else variant.make(seed)
        )
        expected = None
    result = verify_file(path)
    got = sorted((f.code, f.cell) for f in result.findings)
    assert sorted(c for c, _ in got) == sorted(c for c, _ in variant.expected), got
    if expected is not None:
        assert got == expected
    assert not any(f.internal for f in result.findings)
