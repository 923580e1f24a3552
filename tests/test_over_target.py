"""Over-completion (issue 23, point 5): an actual far beyond its target, by more than the
spec's margin (20% in the project kind), needs its 偏差原因; the dept-overall kinds do
not ask. Beyond is the side 指标性质 counts as better: above a ≥ target, below a ≤ one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltool.checking.verify import FileResult, verify_file
from xltool.errors import SpecError
from xltool.forms.kinds import load_builtin, load_spec
from xltool.forms.model import FormData
from xltool.forms.spec import Spec
from xltool.forms.write import write_form

from .libreoffice import needs_libreoffice
from .test_kinds import project_form

PROJECT = load_builtin("project")
REASON = PROJECT.column("reason").label  # 偏差原因分析及改进措施


def indicator(name: str, nature: str, target: float, actual: Any, reason: str | None = None):
    return {
        "level1": "产出指标",
        "level2": "数量指标",
        "name": name,
        "nature": nature,
        "target": target,
        "unit": "个",
        "actual": actual,
        "points": 30,
        "reason": reason,
    }


def steady(count: int = 2) -> list[dict[str, Any]]:
    """Rows met exactly, to make up the 90 points."""
    return [indicator(f"按期完成{i + 1}", "≥", 10, 10) for i in range(count)]


def issue(tmp_path: Path, rows: list[dict[str, Any]], spec: Spec = PROJECT) -> Path:
    data = project_form(43.2, 43.2, rows)
    data.kind = spec.kind
    path = tmp_path / "form.xlsx"
    write_form(path, spec, data)
    return path


def reason_cell(path: Path, name: str) -> str:
    """The 偏差原因 cell of the indicator row named ``name``, found by what the sheet says."""
    ws = openpyxl.load_workbook(path)["自评表"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    header = next(c for c in cells if c.value == REASON)
    row = next(c for c in cells if c.value == name).row
    return f"{header.column_letter}{row}"


def over(result: FileResult) -> list[tuple[str | None, Any, Any]]:
    return [(f.cell, f.found, f.expected) for f in result.findings if f.code == "over-target-unexplained"]  # fmt: skip


def test_far_above_a_target_with_no_reason_is_a_warning_on_the_reason_cell(
    tmp_path: Path,
) -> None:
    path = issue(tmp_path, [indicator("培训人次", "≥", 100, 130), *steady()])
    result = verify_file(path, PROJECT)
    assert over(result) == [(reason_cell(path, "培训人次"), 130, 100)]
    finding = next(f for f in result.findings if f.code == "over-target-unexplained")
    assert finding.severity == "warning" and result.status == "ok"
    assert [f.code for f in result.findings] == ["over-target-unexplained"]
    assert finding.message("zh").endswith(
        "（培训人次）实际完成值 130 高于年度指标值 100，偏离超过 20%（指标性质「≥」），"
        "属大幅超额完成；请在「偏差原因分析及改进措施」中说明原因"
    )
    assert "is above the annual target 100 by more than 20% (≥)" in finding.message("en")


def test_a_reason_given_answers_it(tmp_path: Path) -> None:
    rows = [indicator("培训人次", "≥", 100, 130, "需求超出预期，明年调高指标值"), *steady()]
    assert over(verify_file(issue(tmp_path, rows), PROJECT)) == []


@pytest.mark.parametrize("actual", [100, 110, 120])
def test_within_the_margin_nothing_is_asked(actual: float, tmp_path: Path) -> None:
    rows = [
        indicator("培训人次", "≥", 100, actual),
        indicator("验收合格率", "=", 50, 60),
        *steady(1),
    ]
    result = verify_file(issue(tmp_path, rows), PROJECT)
    assert result.findings == [], [f.message("en") for f in result.findings]


def test_an_equals_target_far_exceeded_is_asked_too(tmp_path: Path) -> None:
    path = issue(tmp_path, [indicator("验收合格率", "=", 50, 61), *steady()])
    assert over(verify_file(path, PROJECT)) == [(reason_cell(path, "验收合格率"), 61, 50)]


def test_lower_is_better_means_far_below_its_target(tmp_path: Path) -> None:
    rows = [
        indicator("单位成本", "≤", 100, 70),  # 30% under its ceiling: over-completed
        indicator("投诉件数", "≤", 100, 85),  # 15% under: within the margin
        indicator("平均用时", "≤", 100, 130),  # above a ≤ target: missed, not over-completed
    ]
    path = issue(tmp_path, rows)
    result = verify_file(path, PROJECT)
    assert over(result) == [(reason_cell(path, "单位成本"), 70, 100)]
    finding = next(f for f in result.findings if f.code == "over-target-unexplained")
    assert "实际完成值 70 低于年度指标值 100，偏离超过 20%（指标性质「≤」）" in finding.message(
        "zh"
    )
    assert "is below the annual target 100 by more than 20% (≤)" in finding.message("en")
    # the missed one scores 21 of 30 and wants its reason as any shortfall does
    assert {(f.code, f.cell) for f in result.findings} == {
        ("over-target-unexplained", reason_cell(path, "单位成本")),
        ("reason-missing", reason_cell(path, "平均用时")),
    }


def test_qualitative_and_zero_targets_have_no_share_to_exceed(tmp_path: Path) -> None:
    rows = [
        indicator("安全事故", "≤", 0, 0),
        indicator("新增设施", "≥", 0, 5),
        {**indicator("群众评价", "定性", 0, "达成年度指标"), "target": "满意", "score": 30},
    ]
    assert over(verify_file(issue(tmp_path, rows), PROJECT)) == []


def test_a_figure_the_filer_types_into_the_issued_form_is_read_the_same(tmp_path: Path) -> None:
    """Issued with the target met, returned with 150 typed over it: the warning follows."""
    path = issue(tmp_path, [indicator("培训人次", "≥", 100, 100), *steady()])
    wb = openpyxl.load_workbook(path)
    ws = wb["自评表"]
    reason = reason_cell(path, "培训人次")
    actual_col = next(
        c.column for row in ws.iter_rows() for c in row if c.value == PROJECT.column("actual").label
    )
    ws.cell(ws[reason].row, actual_col, 150)
    wb.save(path)
    assert over(verify_file(path, PROJECT)) == [(reason, 150, 100)]


def test_the_issued_form_turns_the_empty_reason_amber(tmp_path: Path) -> None:
    path = issue(tmp_path, [indicator("培训人次", "≥", 100, 130), *steady()])
    ws = openpyxl.load_workbook(path)["自评表"]
    first = reason_cell(path, "培训人次")
    formulas = [
        (str(cf.sqref), rule.formula[0])
        for cf in ws.conditional_formatting
        for rule in cf.rules
        if rule.formula and "ABS" in rule.formula[0]
    ]
    assert len(formulas) == 1
    sqref, formula = formulas[0]
    assert sqref.startswith(first)
    assert formula.startswith("AND(ISNUMBER(") and f"LEN(TRIM(${first}))=0" in formula
    assert "0.2*ABS(" in formula and '="≤"' in formula


def test_the_dept_overall_kinds_do_not_ask(tmp_path: Path) -> None:
    for kind in ("dept-overall", "dept-overall-10-90"):
        spec = load_builtin(kind)
        assert "over_target" not in {c.type for c in spec.checks}
        points = spec.profile.points_total / 3
        rows = [
            {
                "level1": "产出指标",
                "level2": "数量指标",
                "name": f"指标{i}",
                "target": "≥100",
                "actual": "300",
                "points": points,
                "score": points,
            }
            for i in range(3)
        ]
        data = FormData(kind=kind, indicators=rows)
        buf = io.BytesIO()
        write_form(buf, spec, data)
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(buf.getvalue())
        assert over(verify_file(path, spec)) == []


def extended(tmp_path: Path, checks: str) -> Spec:
    path = tmp_path / "county-project.yaml"
    path.write_text(
        f"extends: project\nkind: county-project\nversion: 1\nchecks:\n{checks}",
        encoding="utf-8",
    )
    return load_spec(path)


def test_the_margin_is_the_spec_s_to_set(tmp_path: Path) -> None:
    spec = extended(tmp_path, "  - {type: over_target, margin: 0.5}\n")
    # the entry replaces project's own; the other families stay
    assert [(c.type, c.params.get("margin")) for c in spec.checks] == [
        ("within_budget", None),
        ("require_when_below", None),
        ("over_target", 0.5),
    ]
    rows = [indicator("培训人次", "≥", 100, 140), indicator("单位成本", "≤", 100, 40), *steady(1)]
    path = issue(tmp_path, rows, spec)
    result = verify_file(path, spec)
    assert over(result) == [(reason_cell(path, "单位成本"), 40, 100)]  # 140 is within 50%
    assert "偏离超过 50%" in result.findings[0].message("zh")
    ws = openpyxl.load_workbook(path)["自评表"]
    assert any(
        "0.5*ABS(" in rule.formula[0]
        for cf in ws.conditional_formatting
        for rule in cf.rules
        if rule.formula
    )


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("{type: over_target, margin: 20%}", "margin must be a number"),
        ("{type: over_target, margin: -0.1}", "margin must be a number"),
        ("{type: over_target, reason: remedy}", "unknown indicator column 'remedy'"),
        ("{type: over_target, within: 0.2}", "takes margin, reason"),
    ],
)
def test_a_wrong_setting_is_refused_when_the_spec_loads(
    entry: str, says: str, tmp_path: Path
) -> None:
    with pytest.raises(SpecError, match=says):
        extended(tmp_path, f"  - {entry}\n")


# --- the two faces agree -------------------------------------------------------------------

FACE_ROWS = [
    # 指标性质, 年度指标值, 实际完成值, 偏差原因
    (nature, target, actual, reason)
    for nature in ("≥", "=", "≤", "定性", "")
    for target in (100, 0, -50, "文本")
    for actual in (130, 121, 120, 100, 80, 79, -80, "完成")
    for reason in ("", "  ", "已说明")
]


class _Recorder:
    """Stands in for the worksheet: keeps the condition a family highlights by."""

    def __init__(self) -> None:
        self.conditions: list[str] = []

    def conditional_format(self, *_cells: int, options: dict[str, Any]) -> None:
        self.conditions.append(options["criteria"].lstrip("="))


@needs_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_computes_the_excel_face_as_the_python_face_decides(tmp_path: Path) -> None:
    """The highlight's condition, written as a cell formula beside every combination of
    指标性质, target, actual and reason and computed by LibreOffice, is true exactly where
    the Python face warns."""
    import re
    from types import SimpleNamespace

    import xlsxwriter

    from xltool.forms.checks import ExcelFace, OverTarget

    from .libreoffice import recalc_convert

    check = OverTarget()
    columns = {"nature": 0, "target": 1, "actual": 2, "reason": 3}
    recorder = _Recorder()
    ws_face = SimpleNamespace(
        conditional_format=lambda r0, c0, r1, c1, options: recorder.conditional_format(
            r0, c0, r1, c1, options=options
        )
    )
    layout = SimpleNamespace(columns=columns, indicator_first=1, indicator_last=len(FACE_ROWS))
    check.excel(ExcelFace(ws_face, layout, {"amber": None}))  # type: ignore[arg-type]
    (condition,) = recorder.conditions
    source = tmp_path / "faces.xlsx"
    wb = xlsxwriter.Workbook(str(source))
    ws = wb.add_worksheet()
    for i, row in enumerate(FACE_ROWS, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str) and value:
                ws.write_string(i, c, value)  # "=" as text, not a formula
            elif value != "":
                ws.write_number(i, c, value)
        ws.write_formula(i, 4, "=" + re.sub(r"(\$[A-D])2\b", rf"\g<1>{i + 1}", condition))
    wb.close()
    computed = openpyxl.load_workbook(recalc_convert(source, tmp_path / "lo"), data_only=True)
    got = [computed.active.cell(i + 1, 5).value for i in range(1, len(FACE_ROWS) + 1)]
    want = [
        check.beyond(nature or None, target, actual) is not None and not reason.strip()
        for nature, target, actual, reason in FACE_ROWS
    ]
    # a condition that errs (text where a number is compared) highlights nothing
    assert [v is True for v in got] == want
    assert all(isinstance(v, bool) or str(v).startswith("#") for v in got)
    assert sum(want) > 0
