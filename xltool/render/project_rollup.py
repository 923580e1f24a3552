"""The roll-up of a round's project forms (项目支出 全覆盖): the 项目 sheet, one row per
project with a subtotal row per department, the 覆盖 sheet (every department's forms owed
and passed) and charts of projects by grade and by execution-rate band.

Subtotals and totals are live formulas over the returns that passed (SUMIFS and
AVERAGEIFS on the 状态 column; a subtotal row has no status, so the total never counts it
twice), with the project counts as SUBTOTAL(3, …), which skips subtotal rows and follows
a filter. Each formula carries the value Python computed, so a viewer that does not
recalculate still shows the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xltool.checking.result import FileResult
from xltool.forms.cells import a1
from xltool.forms.rules import total
from xltool.forms.spec import Spec

PASSED = "通过"
AMOUNTS = ("budget_initial", "budget_adjusted", "executed")
HEAD = [
    ("部门编码", 10), ("部门名称", 16), ("项目编码", 22), ("项目名称", 26),
    ("年初预算数（万元）", 14), ("全年预算数（万元）", 14), ("全年执行数（万元）", 14),
    ("执行率", 9), ("自评得分", 9), ("等级", 7), ("状态", 10),
]  # fmt: skip
C_CODE, C_NAME, C_PCODE, C_PNAME, C_INIT, C_ADJ, C_EXE, C_RATE, C_SCORE, C_GRADE, C_STATUS = range(
    11
)
BANDS = [
    ("低于 60%", 0, 0.6),
    ("60%–80%", 0.6, 0.8),
    ("80%–90%", 0.8, 0.9),
    ("90% 及以上", 0.9, None),
]


@dataclass
class ProjectRow:
    """One project of the round, with its current return (None: none came)."""

    code: str
    department: str
    project_code: str
    project_name: str
    status: str  # the label people read: 通过, 待修改, 未报送 …
    result: FileResult | None = None


@dataclass
class CoverageRow:
    """One department's forms: how many it owes, how many passed, which are missing."""

    code: str
    department: str
    owed: int
    passed: int
    exempt: int
    missing: list[str]


def write_project_sheets(
    wb: Any, fmt: dict[str, Any], spec: Spec, rows: list[ProjectRow], coverage: list[CoverageRow]
) -> None:
    ws = wb.add_worksheet("项目")
    for c, (label, width) in enumerate(HEAD):
        ws.write_string(0, c, label, fmt["head"])
        ws.set_column(c, c, width)
    r = 1
    for department in dict.fromkeys(row.code for row in rows):
        block = [row for row in rows if row.code == department]
        for row in block:
            _project_row(ws, fmt, spec, r, row)
            r += 1
        _sums(ws, fmt, r, r - len(block), r - 1, block, f"{department} 小计")
        r += 1
    _sums(ws, fmt, r, 1, r - 1, rows, "合计")
    ws.set_row(0, 30)
    ws.freeze_panes(1, 4)
    ws.autofilter(0, 0, r, len(HEAD) - 1)
    _print(ws, "项目支出绩效自评汇总", r)
    _write_coverage(wb, fmt, coverage)
    _write_bands(wb, fmt, spec, rows, r - 1)


def _project_row(ws: Any, fmt: dict[str, Any], spec: Spec, r: int, row: ProjectRow) -> None:
    t = (row.result.totals or {}) if row.result else {}
    passed = row.status == PASSED
    texts = {C_CODE: row.code, C_NAME: row.department, C_PCODE: row.project_code}
    texts.update({C_PNAME: row.project_name, C_STATUS: row.status})
    texts[C_GRADE] = (spec.profile.grade(t.get("score")) or "") if passed else ""
    for c, value in texts.items():
        style = fmt["center"] if c in (C_GRADE, C_STATUS) else fmt["text"]
        ws.write_string(r, c, value or "", style)
    numbers = {C_INIT: "budget_initial", C_ADJ: "budget_adjusted", C_EXE: "executed"}
    numbers.update({C_RATE: "execution_rate", C_SCORE: "score"})
    for c, key in numbers.items():
        style = fmt["rate"] if c == C_RATE else fmt["number"] if c == C_SCORE else fmt["amount"]
        value = t.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(r, c, value, style)
        else:
            ws.write_blank(r, c, None, style)


def _sums(
    ws: Any, fmt: dict[str, Any], r: int, first: int, last: int, rows: list[ProjectRow], label: str
) -> None:
    """A subtotal (or the total) row: counts by SUBTOTAL, figures over passed returns."""
    passed = [row.result.totals or {} for row in rows if row.status == PASSED and row.result]
    ws.write_string(r, C_CODE, label, fmt["bold"])
    ws.write_blank(r, C_NAME, None, fmt["bold"])
    ws.write_formula(
        r, C_PCODE, f"=SUBTOTAL(3,{a1(first, C_PCODE)}:{a1(last, C_PCODE)})", fmt["bold"], len(rows)
    )
    ws.write_string(r, C_PNAME, f"{PASSED} {len(passed)} 个（金额只计{PASSED}的）", fmt["bold"])
    status = f"{a1(first, C_STATUS)}:{a1(last, C_STATUS)}"
    sums = {key: total(t.get(key) for t in passed) for key in AMOUNTS}
    for c, key in ((C_INIT, "budget_initial"), (C_ADJ, "budget_adjusted"), (C_EXE, "executed")):
        cells = f"{a1(first, c)}:{a1(last, c)}"
        ws.write_formula(
            r, c, f'=SUMIFS({cells},{status},"{PASSED}")', fmt["bold_amount"], sums[key] or 0
        )
    adj, exe = a1(r, C_ADJ), a1(r, C_EXE)
    rate = sums["executed"] / sums["budget_adjusted"] if sums["budget_adjusted"] else ""
    ws.write_formula(
        r, C_RATE, f'=IF(AND(ISNUMBER({adj}),{adj}<>0),{exe}/{adj},"")', fmt["bold_rate"], rate
    )
    scores = [t["score"] for t in passed if isinstance(t.get("score"), int | float)]
    mean = sum(scores) / len(scores) if scores else ""
    cells = f"{a1(first, C_SCORE)}:{a1(last, C_SCORE)}"
    ws.write_formula(
        r,
        C_SCORE,
        f'=IFERROR(AVERAGEIFS({cells},{status},"{PASSED}"),"")',
        fmt["bold_number"],
        mean,
    )
    for c in (C_GRADE, C_STATUS):
        ws.write_blank(r, c, None, fmt["bold"])


def _print(ws: Any, title: str, last: int) -> None:
    from xltool.render.summary import print_setup

    print_setup(ws, title)
    ws.print_area(0, 0, last, len(HEAD) - 1)


def _write_coverage(wb: Any, fmt: dict[str, Any], coverage: list[CoverageRow]) -> None:
    ws = wb.add_worksheet("覆盖")
    head = [("部门编码", 10), ("部门名称", 18), ("应报表数", 9), ("已通过", 8), ("免报", 6)]
    head += [("覆盖率", 9), ("尚未通过的表", 60)]
    for c, (label, width) in enumerate(head):
        ws.write_string(0, c, label, fmt["head"])
        ws.set_column(c, c, width)
    for r, row in enumerate(coverage, start=1):
        ws.write_string(r, 0, row.code, fmt["text"])
        ws.write_string(r, 1, row.department, fmt["text"])
        ws.write_number(r, 2, row.owed, fmt["text"])
        ws.write_number(r, 3, row.passed, fmt["text"])
        ws.write_number(r, 4, row.exempt, fmt["text"])
        share = row.passed / row.owed if row.owed else ""
        formula = f'=IF({a1(r, 2)}>0,{a1(r, 3)}/{a1(r, 2)},"")'
        ws.write_formula(r, 5, formula, fmt["rate"], share)
        ws.write_string(r, 6, "、".join(row.missing), fmt["wrap"])
    last = len(coverage)
    ws.write_string(last + 1, 0, "合计", fmt["bold"])
    ws.write_blank(last + 1, 1, None, fmt["bold"])
    for c in (2, 3, 4):
        cells = f"{a1(1, c)}:{a1(last, c)}"
        value = sum((row.owed, row.passed, row.exempt)[c - 2] for row in coverage)
        ws.write_formula(last + 1, c, f"=SUM({cells})", fmt["bold"], value)
    owed, passed = sum(r.owed for r in coverage), sum(r.passed for r in coverage)
    ws.write_formula(
        last + 1, 5, f'=IF({a1(last + 1, 2)}>0,{a1(last + 1, 3)}/{a1(last + 1, 2)},"")',
        fmt["bold_rate"], passed / owed if owed else "",
    )  # fmt: skip
    ws.freeze_panes(1, 2)
    _print(ws, "各部门表单覆盖情况", last + 1)


def _write_bands(
    wb: Any, fmt: dict[str, Any], spec: Spec, rows: list[ProjectRow], last: int
) -> None:
    """Counts of passed projects by grade and by 执行率 band (COUNTIFS on 项目), and a
    chart of each."""
    ws = wb.add_worksheet("项目分布")
    status = f"项目!{a1(1, C_STATUS, True, True)}:{a1(last, C_STATUS, True, True)}"
    grade = f"项目!{a1(1, C_GRADE, True, True)}:{a1(last, C_GRADE, True, True)}"
    rate = f"项目!{a1(1, C_RATE, True, True)}:{a1(last, C_RATE, True, True)}"
    passed = [row for row in rows if row.status == PASSED and row.result]
    ws.write_row(0, 0, ["等级", "项目数"], fmt["head"])
    grades = [g.label for g in spec.profile.grades]
    for i, label in enumerate(grades, start=1):
        n = sum(spec.profile.grade((p.result.totals or {}).get("score")) == label for p in passed)  # type: ignore[union-attr]
        ws.write_string(i, 0, label, fmt["text"])
        ws.write_formula(i, 1, f'=COUNTIFS({status},"{PASSED}",{grade},"{label}")', fmt["text"], n)
    ws.write_row(0, 3, ["执行率", "项目数"], fmt["head"])
    for i, (label, low, high) in enumerate(BANDS, start=1):
        crit = f'{status},"{PASSED}",{rate},">={low}"' + (f',{rate},"<{high}"' if high else "")
        n = sum(_in_band((p.result.totals or {}).get("execution_rate"), low, high) for p in passed)  # type: ignore[union-attr]
        ws.write_string(i, 3, label, fmt["text"])
        ws.write_formula(i, 4, f"=COUNTIFS({crit})", fmt["text"], n)
    ws.set_column(0, 4, 12)
    _chart(wb, ws, "通过的项目按等级", 0, len(grades), "G2")
    _chart(wb, ws, "通过的项目按执行率", 3, len(BANDS), "G20")


def _in_band(value: Any, low: float, high: float | None) -> bool:
    if not isinstance(value, int | float):
        return False
    return value >= low and (high is None or value < high)


def _chart(wb: Any, ws: Any, title: str, col: int, n: int, where: str) -> None:
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": title,
            "categories": ["项目分布", 1, col, n, col],
            "values": ["项目分布", 1, col + 1, n, col + 1],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": title, "name_font": {"name": "宋体", "size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"min": 0, "major_gridlines": {"visible": True}})
    chart.set_x_axis({"num_font": {"name": "宋体", "size": 10}})
    ws.insert_chart(where, chart, {"x_scale": 1.2, "y_scale": 1.1})
