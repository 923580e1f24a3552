"""The roll-up: every department's figures in one workbook for the district government.

汇总 (one row per department, a totals row with live formulas, conditional formats and
two bar charts), 指标明细 (every indicator row, flat, ready for a pivot table), 问题清单
(every finding of every file), and 重复报送 when a department returned more than once.
Text from returned files is always written as text, never as a formula or a link.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..findings import CATALOGUE
from ..report import FileResult
from ..rules import Ratio, is_number, total
from ..spec import Spec, load_builtin

STATUS = {"ok": "通过", "invalid": "有错误", "unreadable": "无法读取"}
MAIN_HEAD = [
    ("部门名称", 22),
    ("部门编码", 10),
    ("年度", 7),
    ("年初预算数", 12),
    ("全年预算数", 12),
    ("全年执行数", 12),
    ("执行率", 9),
    ("总分", 8),
    ("等级", 6),
    ("状态", 9),
    ("错误数", 7),
    ("警告数", 7),
    ("文件", 40),
]


@dataclass
class Duplicate:
    key: str
    kept: str
    dropped: list[str]


def dedupe(results: list[FileResult]) -> tuple[list[FileResult], list[Duplicate]]:
    """One return per department and year: the newest file by modification time wins."""
    groups: dict[str, list[FileResult]] = {}
    for r in results:
        values = (r.data or {}).get("fields", {})
        who = values.get("code") or values.get("department") or r.department
        key = f"{who}|{r.year or ''}" if who else f"file|{r.path}"
        groups.setdefault(key, []).append(r)
    kept, dupes = [], []
    for key, items in groups.items():
        items.sort(key=lambda r: _mtime(r.path), reverse=True)
        kept.append(items[0])
        if len(items) > 1:
            dupes.append(Duplicate(key.split("|")[0], items[0].shown, [r.shown for r in items[1:]]))
    return kept, dupes


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def write_summary(
    target: str | Path | IO[bytes], results: list[FileResult], spec: Spec | None = None
) -> list[Duplicate]:
    """Write the roll-up workbook; returns the duplicates that were set aside."""
    spec = spec or load_builtin(next((r.kind for r in results if r.kind), "dept-overall"))
    kept, dupes = dedupe(results)
    kept.sort(key=lambda r: (_field(r, "code") or "\uffff", _field(r, "department") or r.path))

    wb = xlsxwriter.Workbook(
        target,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": True,
        },
    )
    font = {"font_name": spec.font, "font_size": 11}
    head = wb.add_format(
        {
            **font,
            "bold": True,
            "bg_color": "#DDEBF7",
            "border": 1,
            "text_wrap": True,
            "valign": "vcenter",
        }
    )
    text = wb.add_format({**font, "border": 1})
    amount = wb.add_format({**font, "border": 1, "num_format": "#,##0.00"})
    rate = wb.add_format({**font, "border": 1, "num_format": "0.00%"})
    number = wb.add_format({**font, "border": 1, "num_format": "0.##"})
    bold_amount = wb.add_format({**font, "border": 1, "bold": True, "num_format": "#,##0.00"})
    bold_rate = wb.add_format({**font, "border": 1, "bold": True, "num_format": "0.00%"})
    bold_number = wb.add_format({**font, "border": 1, "bold": True, "num_format": "0.00"})
    bold = wb.add_format({**font, "border": 1, "bold": True})
    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})

    ws = wb.add_worksheet("汇总")
    for c, (label, width) in enumerate(MAIN_HEAD):
        ws.write_string(0, c, label, head)
        ws.set_column(c, c, width)
    for i, r in enumerate(kept, start=1):
        t = r.totals or {}
        ws.write_string(i, 0, _field(r, "department") or Path(r.shown).stem, text)
        ws.write_string(i, 1, _field(r, "code") or "", text)
        _num(ws, i, 2, r.year, text)
        _num(ws, i, 3, t.get("budget_initial"), amount)
        _num(ws, i, 4, t.get("budget_adjusted"), amount)
        _num(ws, i, 5, t.get("executed"), amount)
        _num(ws, i, 6, t.get("execution_rate"), rate)
        _num(ws, i, 7, t.get("score"), number)
        ws.write_string(i, 8, spec.profile.grade(t.get("score")) or "", text)
        ws.write_string(i, 9, STATUS[r.status], text)
        ws.write_number(i, 10, r.errors, text)
        ws.write_number(i, 11, r.warnings, text)
        ws.write_string(i, 12, r.shown, text)
    last = len(kept)
    total_row = last + 1
    ws.write_string(total_row, 0, "合计", bold)
    for c in range(1, 13):
        ws.write_blank(total_row, c, None, bold)
    sums: dict[int, Any] = {
        c: total((r.totals or {}).get(key) for r in kept)
        for c, key in ((3, "budget_initial"), (4, "budget_adjusted"), (5, "executed"))
    }
    sums[10] = sum(r.errors for r in kept)
    sums[11] = sum(r.warnings for r in kept)
    if last:
        for c in (3, 4, 5, 10, 11):
            rng = f"{xl_rowcol_to_cell(1, c)}:{xl_rowcol_to_cell(last, c)}"
            ws.write_formula(
                total_row, c, f"=SUM({rng})", bold_amount if c < 10 else bold, _cached(sums[c])
            )
        adjusted, executed = xl_rowcol_to_cell(total_row, 4), xl_rowcol_to_cell(total_row, 5)
        ws.write_formula(
            total_row,
            6,
            f'=IF({adjusted}<>0,{executed}/{adjusted},"")',
            bold_rate,
            _cached(
                Ratio("", "executed", "adjusted").evaluate(
                    {"executed": sums[5], "adjusted": sums[4]}.get
                )
            ),
        )
        scores = [r.totals["score"] for r in kept if r.totals and is_number(r.totals.get("score"))]
        rng = f"{xl_rowcol_to_cell(1, 7)}:{xl_rowcol_to_cell(last, 7)}"
        ws.write_formula(
            total_row,
            7,
            f'=IF(COUNT({rng})>0,AVERAGE({rng}),"")',
            bold_number,
            _cached(total(scores) / len(scores)) if scores and total(scores) is not None else "",
        )
        ws.conditional_format(
            1, 9, last, 9, {"type": "cell", "criteria": "!=", "value": '"通过"', "format": red}
        )
        ws.conditional_format(
            1, 6, last, 6, {"type": "cell", "criteria": "<", "value": 0.9, "format": amber}
        )
        ws.conditional_format(
            1, 7, last, 7, {"type": "data_bar", "bar_color": "#63BE7B", "bar_solid": True}
        )
        ws.autofilter(0, 0, last, 12)
        for col, title, anchor in ((7, "总分", "O2"), (6, "执行率", "O20")):
            chart = wb.add_chart({"type": "bar"})
            chart.add_series(
                {
                    "name": title,
                    "categories": ["汇总", 1, 0, last, 0],
                    "values": ["汇总", 1, col, last, col],
                    "fill": {"color": "#5B9BD5"},
                }
            )
            chart.set_title({"name": f"各部门{title}", "name_font": {"name": spec.font}})
            chart.set_legend({"none": True})
            chart.set_y_axis({"reverse": True, "num_font": {"name": spec.font}})
            chart.set_size({"width": 640, "height": max(300, 22 * last + 80)})
            ws.insert_chart(anchor if col == 7 else f"O{max(20, last // 2 + 22)}", chart)
    ws.freeze_panes(1, 1)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)

    detail = wb.add_worksheet("指标明细")
    columns = spec.indicators.columns
    heads = ["部门名称", "部门编码", "年度", "序号", *(c.label for c in columns), "文件"]
    for c, label in enumerate(heads):
        detail.write_string(0, c, label, head)
    r_out = 1
    for r in kept:
        for n, row in enumerate((r.data or {}).get("indicators", []), start=1):
            detail.write_string(r_out, 0, _field(r, "department") or "", text)
            detail.write_string(r_out, 1, _field(r, "code") or "", text)
            _num(detail, r_out, 2, r.year, text)
            detail.write_number(r_out, 3, n, text)
            for c, col in enumerate(columns, start=4):
                value = row.get(col.key)
                if is_number(value):
                    detail.write_number(r_out, c, value, number)
                else:
                    detail.write_string(r_out, c, "" if value is None else str(value), text)
            detail.write_string(r_out, 4 + len(columns), r.shown, text)
            r_out += 1
    detail.autofilter(0, 0, max(r_out - 1, 1), len(heads) - 1)
    detail.freeze_panes(1, 0)
    detail.set_column(0, len(heads) - 1, 14)

    issues = wb.add_worksheet("问题清单")
    heads = ["文件", "部门名称", "代码", "级别", "工作表", "单元格", "说明", "发现", "应为"]
    for c, label in enumerate(heads):
        issues.write_string(0, c, label, head)
    r_out = 1
    for r in results:
        for f in r.findings:
            cells = [
                r.shown,
                _field(r, "department") or "",
                f.code,
                "错误" if CATALOGUE[f.code].severity == "error" else "警告",
                f.sheet or "",
                f.cell or "",
                f.message("zh"),
                "" if f.found is None else str(f.found),
                "" if f.expected is None else str(f.expected),
            ]
            for c, value in enumerate(cells):
                issues.write_string(r_out, c, value, text)
            r_out += 1
    issues.autofilter(0, 0, max(r_out - 1, 1), len(heads) - 1)
    issues.freeze_panes(1, 0)
    issues.set_column(0, 0, 30)
    issues.set_column(6, 6, 70)

    if dupes:
        dup = wb.add_worksheet("重复报送")
        for c, label in enumerate(["部门", "采用的文件（最新）", "未采用的文件"]):
            dup.write_string(0, c, label, head)
        for i, d in enumerate(dupes, start=1):
            dup.write_string(i, 0, d.key, text)
            dup.write_string(i, 1, d.kept, text)
            dup.write_string(i, 2, "\n".join(d.dropped), text)
        dup.set_column(0, 2, 40)
    ws.activate()
    wb.close()
    return dupes


def _field(result: FileResult, key: str) -> str | None:
    value = (result.data or {}).get("fields", {}).get(key)
    if value is None and key == "department":
        return result.department
    return None if value is None else str(value)


def _cached(value: Any) -> Any:
    """A formula's cached result: a finite number, else empty."""
    return value if is_number(value) else ""


def _num(ws: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    if is_number(value):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_blank(row, col, None, fmt)
