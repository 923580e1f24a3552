"""The 复核表 a bureau's re-check team fills for one sampled form (抽查复核): the
department's self-evaluation per indicator beside empty columns for the re-check score
and its reason, with live formulas for the totals, the deviation and the grade.

Only the re-check columns are unlocked. The workbook carries signed metadata (custom
properties ``xltool_*`` and a very hidden ``_xltool`` sheet, as an issued form does),
so a returned copy says which sample and which form it re-checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from xltool.forms.cells import a1
from xltool.forms.meta import write_metadata

RECHECK_FORMAT = "xltool-recheck/1"
SHEET = "复核表"
HEADS = [
    ("序号", 5), ("一级指标", 9), ("二级指标", 11), ("三级指标", 24), ("年度指标值", 16),
    ("实际完成值", 14), ("分值", 7), ("自评得分", 8), ("自评偏差原因", 20),
    ("复核得分", 8), ("偏差", 7), ("复核理由", 28),
]  # fmt: skip
COL = {name: i for i, (name, _w) in enumerate(HEADS)}
FIRST_ROW = 5  # 0-based: the first indicator row
NAMES = ("rc_rows", "rc_recheck", "rc_reason", "rc_total")


@dataclass(frozen=True)
class RecheckRow:
    level1: str
    level2: str
    name: str
    target: str
    actual: str
    points: float | None
    score: float | None
    reason: str = ""


def grade_formula(cell: str, grades: list[tuple[str, float]]) -> str:
    """=IF(cell="","",IF(cell>=90,"优",IF(…))) from the profile's bands, highest first."""
    if not grades:
        return '=""'
    body = f'"{grades[-1][0]}"'
    for label, low in reversed(grades[:-1]):
        body = f'IF({cell}>={low:g},"{label}",{body})'
    return f'=IF({cell}="","",{body})'


def _formats(wb: Any, font: str) -> dict[str, Any]:
    base = {"font_name": font, "font_size": 10, "border": 1, "valign": "vcenter", "text_wrap": True}
    return {
        "title": wb.add_format(
            {"font_name": font, "font_size": 16, "bold": True, "align": "center"}
        ),
        "info": wb.add_format({**base, "border": 0}),
        "head": wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#DDEBF7"}),
        "text": wb.add_format(base),
        "number": wb.add_format({**base, "num_format": "0.##", "align": "center"}),
        "input": wb.add_format(
            {**base, "num_format": "0.##", "locked": False, "bg_color": "#FFF2CC"}
        ),
        "input_text": wb.add_format({**base, "locked": False, "bg_color": "#FFF2CC"}),
        "bold": wb.add_format({**base, "bold": True, "num_format": "0.##", "align": "center"}),
    }


def _write_row(ws: Any, fmt: dict[str, Any], r: int, n: int, row: RecheckRow) -> None:
    values = [n, row.level1, row.level2, row.name, row.target, row.actual]
    for c, value in enumerate(values):
        if isinstance(value, int):
            ws.write_number(r, c, value, fmt["number"])
        else:
            ws.write_string(r, c, value or "", fmt["text"])
    for c, value in ((COL["分值"], row.points), (COL["自评得分"], row.score)):
        if value is None:
            ws.write_blank(r, c, None, fmt["number"])
        else:
            ws.write_number(r, c, value, fmt["number"])
    ws.write_string(r, COL["自评偏差原因"], row.reason or "", fmt["text"])
    ws.write_blank(r, COL["复核得分"], None, fmt["input"])
    recheck, own = a1(r, COL["复核得分"]), a1(r, COL["自评得分"])
    ws.write_formula(r, COL["偏差"], f'=IF({recheck}="","",{recheck}-{own})', fmt["number"], "")
    ws.write_blank(r, COL["复核理由"], None, fmt["input_text"])


def _write_totals(
    ws: Any,
    fmt: dict[str, Any],
    last: int,
    self_total: float | None,
    grades: list[tuple[str, float]],
    self_grade: str,
) -> int:
    t = last + 1
    ws.merge_range(t, 0, t, COL["实际完成值"], "合计", fmt["bold"])
    for name in ("分值", "自评得分"):
        c = COL[name]
        ws.write_formula(t, c, f"=SUM({a1(FIRST_ROW, c)}:{a1(last, c)})", fmt["bold"])
    c = COL["复核得分"]
    span = f"{a1(FIRST_ROW, c)}:{a1(last, c)}"
    ws.write_formula(t, c, f'=IF(COUNT({span})=0,"",SUM({span}))', fmt["bold"], "")
    total, own = a1(t, c), a1(t, COL["自评得分"])
    ws.write_formula(t, COL["偏差"], f'=IF({total}="","",{total}-{own})', fmt["bold"], "")
    ws.write_blank(t, COL["自评偏差原因"], None, fmt["bold"])
    ws.write_blank(t, COL["复核理由"], None, fmt["bold"])
    g = t + 1
    ws.merge_range(g, 0, g, COL["实际完成值"], "等级", fmt["bold"])
    ws.merge_range(g, COL["分值"], g, COL["自评偏差原因"], self_grade, fmt["bold"])
    ws.write_formula(g, COL["复核得分"], grade_formula(total, grades), fmt["bold"], "")
    ws.merge_range(g, COL["偏差"], g, COL["复核理由"], "", fmt["bold"])
    ws.write_string(g + 2, 0, "复核人：                    复核日期：", fmt["info"])
    return t


def write_recheck_form(
    target: str | Path | IO[bytes],
    *,
    title: str,
    info: list[tuple[str, str]],
    rows: list[RecheckRow],
    grades: list[tuple[str, float]],
    self_grade: str,
    meta: dict[str, str],
    font: str = "宋体",
) -> None:
    """One 复核表: ``info`` pairs above the table (部门, 编码, 自评总分 …), one row per
    indicator, the totals and grades as formulas; ``meta`` signed by the caller."""
    wb = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False, "in_memory": True})  # fmt: skip
    fmt = _formats(wb, font)
    ws = wb.add_worksheet(SHEET)
    ws.merge_range(0, 0, 0, len(HEADS) - 1, title, fmt["title"])
    for i, (label, value) in enumerate(info):
        r, c = 1 + i // 3, (i % 3) * 4
        ws.write_string(r, c, f"{label}：{value}", fmt["info"])
    for c, (label, width) in enumerate(HEADS):
        ws.write_string(FIRST_ROW - 1, c, label, fmt["head"])
        ws.set_column(c, c, width)
    for n, row in enumerate(rows, start=1):
        _write_row(ws, fmt, FIRST_ROW + n - 1, n, row)
    last = FIRST_ROW + max(len(rows), 1) - 1
    self_total = sum(r.score for r in rows if r.score is not None)
    t = _write_totals(ws, fmt, last, self_total, grades, self_grade)
    sheet = f"'{SHEET}'!"
    wb.define_name("rc_rows", f"={sheet}{a1(FIRST_ROW, 0)}:{a1(last, len(HEADS) - 1)}")
    wb.define_name("rc_total", f"={sheet}{a1(t, COL['复核得分'])}")
    ws.protect("", {"format_columns": True, "format_rows": True})
    ws.freeze_panes(FIRST_ROW, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(FIRST_ROW - 1)
    write_metadata(wb, meta)
    wb.close()
