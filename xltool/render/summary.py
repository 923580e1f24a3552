"""The roll-up: every department's figures in one workbook for the district government.

汇总 (one row per department: its current return, or 未报送; a totals row with live
formulas over the valid returns only, conditional formats and two bar charts), 指标明细
(every indicator row, flat, ready for a pivot table), 问题清单 (every finding of every
file), and 重复报送 when a department returned more than once.

One department, one row: a file is identified by its signed issue id's department
(else by its code and name), so a file whose cells claim another department never
displaces that department's return. Text from returned files is always written as text.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from xltool.checking.result import FileResult
from xltool.findings import CATALOGUE
from xltool.forms.cells import a1, col_name
from xltool.forms.fields import field_type
from xltool.forms.kinds import load_builtin
from xltool.forms.rules import Ratio, is_number, total
from xltool.forms.spec import Spec

PASSED = "通过"
TO_FIX = "待修改"
SIGNED = ("valid-hmac", "valid-hash", "unverified")

# The 汇总 columns, left to right: (heading, width, what it holds).
COLUMNS: list[tuple[str, int, str]] = [
    ("部门名称", 24, "department"),
    ("部门编码", 10, "code"),
    ("年度", 7, "year"),
    ("年初预算数", 12, "budget_initial"),
    ("全年预算数", 12, "budget_adjusted"),
    ("全年执行数", 12, "executed"),
    ("执行率", 9, "execution_rate"),
    ("总分", 8, "score"),
    ("等级", 6, "grade"),
    ("状态", 10, "status"),
    ("错误数", 7, "errors"),
    ("警告数", 7, "warnings"),
    ("文件", 28, "file"),
]
COL = {key: i for i, (_h, _w, key) in enumerate(COLUMNS)}
AMOUNTS = ("budget_initial", "budget_adjusted", "executed")


@dataclass
class Row:
    """One department's line: its current return (None: nothing returned yet)."""

    result: FileResult | None
    code: str
    department: str
    status: str  # 通过 / 待修改 / 未报送 / 逾期未报送 / …


@dataclass
class Duplicate:
    key: str
    kept: str
    dropped: list[str]
    decided_by: str = ""  # which time chose the kept file
    extra: dict[str, Any] = field(default_factory=dict)


def status_of(result: FileResult) -> str:
    return PASSED if result.status == "ok" else TO_FIX


def rows_from_results(results: list[FileResult]) -> tuple[list[Row], list[Duplicate]]:
    """Outside a campaign: one row per department, its latest return by the workbook's
    own saved time (document properties), else the file's modification time."""
    groups: dict[str, list[FileResult]] = {}
    for r in results:
        fields = (r.data or {}).get("fields", {})
        if r.signature in SIGNED and (r.issued_code or r.issued_to):
            who = f"{r.issued_code or ''}|{r.issued_to or ''}"
        else:
            code, name = fields.get("code") or "", fields.get("department") or r.department or ""
            who = f"{code}|{name}" if code or name else ""
        key = f"{who}|{r.year or ''}" if who else f"file|{r.path}"
        groups.setdefault(key, []).append(r)
    rows, dupes = [], []
    for key, items in groups.items():
        items.sort(key=_when, reverse=True)
        kept = items[0]
        fields = (kept.data or {}).get("fields", {})
        code = str(kept.issued_code or fields.get("code") or "")
        name = str(kept.issued_to or fields.get("department") or kept.department or "")
        rows.append(Row(kept, code, name or Path(kept.shown).stem, status_of(kept)))
        if len(items) > 1:
            first, second = _when(items[0]), _when(items[1])
            by_saved = items[0].saved_at and items[1].saved_at and first[0] != second[0]
            decided = "工作簿自身记录的保存时间" if by_saved else "文件修改时间"
            dupes.append(
                Duplicate(
                    key.split("|")[1] or key.split("|")[0] or kept.shown,
                    kept.shown,
                    [r.shown for r in items[1:]],
                    decided,
                )
            )
    rows.sort(key=lambda r: (r.code or "\uffff", r.department))
    return rows, dupes


def _when(r: FileResult) -> tuple[float, float]:
    """The saved time the workbook states, else its file's modification time; the
    modification time breaks ties."""
    try:
        mtime = os.stat(r.path).st_mtime
    except OSError:
        mtime = 0.0
    if r.saved_at:
        try:
            when = datetime.fromisoformat(r.saved_at)
            return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp(), mtime
        except ValueError:
            pass
    return mtime, mtime


def write_summary(
    target: str | Path | IO[bytes],
    results: list[FileResult],
    spec: Spec | None = None,
    rows: list[Row] | None = None,
    dupes: list[Duplicate] | None = None,
    title: str = "",
    projects: Callable[[Any, dict[str, Any]], None] | None = None,
    departments: bool = True,
) -> list[Duplicate]:
    """Write the roll-up workbook; returns the duplicates that were set aside. ``rows``
    (a campaign's departments) default to one per department of ``results``.
    ``projects`` adds a round's project sheets (:mod:`.project_rollup`); without
    ``departments`` (a round of project forms only) they are the whole workbook."""
    spec = spec or load_builtin(next((r.kind for r in results if r.kind), "dept-overall"))
    if rows is None:
        rows, dupes = rows_from_results(results)
    dupes = dupes or []
    wb = text_safe_workbook(target)
    fmt = _formats(wb, spec.font)
    if departments:
        _write_main(wb, fmt, spec, rows, title or f"{spec.name}汇总")
        _write_detail(wb, fmt, rows, spec)
        _write_problems(wb, fmt, results)
        _write_charts(wb, spec, len(rows))
    if projects is not None:
        projects(wb, fmt)
    if dupes:
        dup = wb.add_worksheet("重复报送")
        for c, label in enumerate(["部门", "采用的文件（最新）", "依据", "未采用的文件"]):
            dup.write_string(0, c, label, fmt["head"])
        for i, d in enumerate(dupes, start=1):
            for c, value in enumerate((d.key, d.kept, d.decided_by, "\n".join(d.dropped))):
                dup.write_string(i, c, value, fmt["wrap"])
        dup.set_column(0, 3, 36)
    wb.worksheets()[0].activate()
    wb.close()
    return dupes


def text_safe_workbook(target: str | Path | IO[bytes]) -> Any:
    """An XlsxWriter workbook in which text from returned files stays text: never a
    formula, a link or a number."""
    return xlsxwriter.Workbook(
        target,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": True,
        },
    )


def _formats(wb: Any, font_name: str) -> dict[str, Any]:
    font = {"font_name": font_name, "font_size": 10}
    border = {**font, "border": 1}
    return {
        "head": wb.add_format(
            {**border, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "vcenter"}
        ),
        "text": wb.add_format(border),
        "center": wb.add_format({**border, "align": "center"}),
        "wrap": wb.add_format({**border, "text_wrap": True, "valign": "top"}),
        "amount": wb.add_format({**border, "num_format": "#,##0.00"}),
        "rate": wb.add_format({**border, "num_format": "0.00%"}),
        "number": wb.add_format({**border, "num_format": "0.##"}),
        "bold": wb.add_format({**border, "bold": True}),
        "bold_amount": wb.add_format({**border, "bold": True, "num_format": "#,##0.00"}),
        "bold_rate": wb.add_format({**border, "bold": True, "num_format": "0.00%"}),
        "bold_number": wb.add_format({**border, "bold": True, "num_format": "0.00"}),
        "red": wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "amber": wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"}),
    }


def print_setup(ws: Any, title: str, head_row: int = 0, lang: str = "zh") -> None:
    """A4 landscape, one page wide (10 pt text stays above 8 pt), the header row on every
    page, the sheet's title above and page numbers below."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(head_row)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    if title:
        ws.set_header(f'&C&"宋体,Bold"&12{title.replace("&", "&&")}')
    ws.set_footer("&C第 &P 页，共 &N 页" if lang == "zh" else "&CPage &P of &N")


def _write_main(wb: Any, fmt: dict[str, Any], spec: Spec, rows: list[Row], title: str = "") -> None:
    ws = wb.add_worksheet("汇总")
    for c, (label, width, _key) in enumerate(COLUMNS):
        ws.write_string(0, c, label, fmt["head"])
        ws.set_column(c, c, width)
    styles = {"execution_rate": fmt["rate"], "score": fmt["number"]}
    styles.update({a: fmt["amount"] for a in AMOUNTS})
    for i, row in enumerate(rows, start=1):
        values = _main_values(spec, row)
        for c, (_label, _w, key) in enumerate(COLUMNS):
            _write_value(ws, i, c, values[key], styles.get(key, fmt["text"]))
    last = len(rows)
    ws.write_string(last + 1, 0, f"合计（仅{PASSED}）", fmt["bold"])
    for c in range(1, len(COLUMNS)):
        ws.write_blank(last + 1, c, None, fmt["bold"])
    ws.freeze_panes(1, 1)
    print_setup(ws, title)
    ws.print_area(0, 0, len(rows) + 1, COL["file"] - 1)  # the file paths are not for print
    if not last:
        return
    _write_total_row(ws, fmt, rows)
    _write_main_formats(ws, fmt, spec, last)
    ws.autofilter(0, 0, last, len(COLUMNS) - 1)


def _main_values(spec: Spec, row: Row) -> dict[str, Any]:
    """One department's line in 汇总, by column key."""
    r = row.result
    t = (r.totals or {}) if r else {}
    return {
        "department": row.department,
        "code": row.code,
        "year": r.year if r else None,
        **{k: t.get(k) for k in (*AMOUNTS, "execution_rate", "score")},
        "grade": (spec.profile.grade(t.get("score")) or "") if row.status == PASSED else "",
        "status": row.status,
        "errors": r.errors if r else None,
        "warnings": r.warnings if r else None,
        "file": r.shown if r else "",
    }


def _write_value(ws: Any, r: int, c: int, value: Any, style: Any) -> None:
    if is_number(value):
        ws.write_number(r, c, value, style)
    elif isinstance(value, str) and value:
        ws.write_string(r, c, value, style)
    else:
        ws.write_blank(r, c, None, style)


def _write_total_row(ws: Any, fmt: dict[str, Any], rows: list[Row]) -> None:
    """合计: live SUMIFS/AVERAGEIFS over the returns that passed, with their values cached."""
    last = len(rows)
    total_row = last + 1
    passed = [row.result.totals or {} for row in rows if row.status == PASSED and row.result]

    def rng(key: str) -> str:
        c = COL[key]
        return f"{a1(1, c)}:{a1(last, c)}"

    crit = f'{rng("status")},"{PASSED}"'
    sums = {k: total(t.get(k) for t in passed) for k in AMOUNTS}
    for key in AMOUNTS:
        formula = f"=SUMIFS({rng(key)},{crit})"
        ws.write_formula(total_row, COL[key], formula, fmt["bold_amount"], _cached(sums[key]))
    for key in ("errors", "warnings"):
        count = sum(getattr(row.result, key) for row in rows if row.result)
        ws.write_formula(total_row, COL[key], f"=SUM({rng(key)})", fmt["bold"], count)
    adjusted = a1(total_row, COL["budget_adjusted"])
    executed = a1(total_row, COL["executed"])
    ratio = Ratio("", "e", "a").evaluate({"e": sums["executed"], "a": sums["budget_adjusted"]}.get)
    ws.write_formula(
        total_row,
        COL["execution_rate"],
        f'=IF(AND(ISNUMBER({adjusted}),{adjusted}<>0),{executed}/{adjusted},"")',
        fmt["bold_rate"],
        _cached(ratio),
    )
    scores = [t["score"] for t in passed if is_number(t.get("score"))]
    mean = total(scores) / len(scores) if scores and total(scores) is not None else None
    ws.write_formula(
        total_row,
        COL["score"],
        f'=IFERROR(AVERAGEIFS({rng("score")},{crit}),"")',
        fmt["bold_number"],
        _cached(mean),
    )


def _write_main_formats(ws: Any, fmt: dict[str, Any], spec: Spec, last: int) -> None:
    status_col = col_name(COL["status"])
    ws.conditional_format(
        1, COL["status"], last, COL["status"],
        {"type": "formula", "criteria": f'=${status_col}2<>"{PASSED}"', "format": fmt["red"]},
    )  # fmt: skip
    threshold = spec.profile.rate_warning_below
    if threshold is not None:
        cell = a1(1, COL["execution_rate"], row_abs=False, col_abs=True)
        ws.conditional_format(
            1, COL["execution_rate"], last, COL["execution_rate"],
            {"type": "formula", "criteria": f"=AND(ISNUMBER({cell}),{cell}<{threshold})",
             "format": fmt["amber"]},
        )  # fmt: skip
    ws.conditional_format(
        1, COL["score"], last, COL["score"],
        {"type": "data_bar", "bar_color": "#63BE7B", "bar_solid": True},
    )  # fmt: skip


def _write_charts(wb: Any, spec: Spec, last: int) -> None:
    """总分 and 执行率 by department, on a sheet of their own."""
    if not last:
        return
    charts = wb.add_worksheet("图表")
    charts.hide_gridlines(2)
    charts.set_landscape()
    charts.set_paper(9)
    top = 1
    for key, title in (("score", "总分"), ("execution_rate", "执行率")):
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": title,
                "categories": ["汇总", 1, 0, last, 0],
                "values": ["汇总", 1, COL[key], last, COL[key]],
                "fill": {"color": "#5B9BD5"},
            }
        )
        chart.set_title({"name": f"各部门{title}", "name_font": {"name": spec.font}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True, "num_font": {"name": spec.font}})
        axis: dict[str, Any] = {"min": 0, "num_font": {"name": spec.font}}
        if key == "execution_rate":
            axis["num_format"] = "0%"
        chart.set_x_axis(axis)
        height = max(300, 18 * last + 90)
        chart.set_size({"width": 900, "height": height})
        # on their own sheet, each below the one before: never overlapping the table or
        # each other, whatever the number of departments
        charts.insert_chart(f"B{top}", chart)
        top += height // 20 + 3


def _cached(value: Any) -> Any:
    """A formula's cached result: a finite number, else empty."""
    return value if is_number(value) else ""


def _write_detail(wb: Any, fmt: dict[str, Any], rows: list[Row], spec: Spec) -> None:
    detail = wb.add_worksheet("指标明细")
    columns = spec.indicators.columns
    heads = ["部门名称", "部门编码", "年度", "序号", *(c.label for c in columns), "文件"]
    for c, label in enumerate(heads):
        detail.write_string(0, c, label, fmt["head"])
    r_out = 1
    for row in rows:
        r = row.result
        if r is None:
            continue
        for n, values in enumerate((r.data or {}).get("indicators", []), start=1):
            detail.write_string(r_out, 0, row.department, fmt["text"])
            detail.write_string(r_out, 1, row.code, fmt["text"])
            if is_number(r.year):
                detail.write_number(r_out, 2, r.year, fmt["text"])
            else:
                detail.write_blank(r_out, 2, None, fmt["text"])
            detail.write_number(r_out, 3, n, fmt["text"])
            for c, col in enumerate(columns, start=4):
                value = values.get(col.key)
                if is_number(value):
                    detail.write_number(r_out, c, value, fmt["number"])
                else:
                    detail.write_string(r_out, c, "" if value is None else str(value), fmt["text"])
            detail.write_string(r_out, 4 + len(columns), r.shown, fmt["text"])
            r_out += 1
    detail.autofilter(0, 0, max(r_out - 1, 1), len(heads) - 1)
    detail.freeze_panes(1, 0)
    # readable at 100% on A4 landscape: no column wider than it needs for print
    widths = [14, 7, 5, 4, *(_print_width(c) for c in columns), 28]
    for c, width in enumerate(widths):
        detail.set_column(c, c, width, fmt["wrap"] if width >= 16 else None)
    print_setup(detail, "指标明细")
    detail.print_area(0, 0, max(r_out - 1, 1), len(heads) - 2)


def _print_width(column: Any) -> float:
    """An indicator column's width in 指标明细: numbers narrow, text at most 18."""
    if field_type(column.type).numeric:
        return 5
    return (
        min(column.width or 12, 18) * 0.8
        if column.width and column.width > 12
        else min(column.width or 10, 10)
    )


def _write_problems(wb: Any, fmt: dict[str, Any], results: list[FileResult]) -> None:
    issues = wb.add_worksheet("问题清单")
    heads = ["文件", "部门名称", "代码", "级别", "工作表", "单元格", "说明", "发现", "应为"]
    for c, label in enumerate(heads):
        issues.write_string(0, c, label, fmt["head"])
    r_out = 1
    for r in results:
        department = str((r.data or {}).get("fields", {}).get("department") or r.department or "")
        for f in r.findings:
            cells = [
                r.shown,
                department,
                f.code,
                "错误" if CATALOGUE[f.code].severity == "error" else "警告",
                f.sheet or "",
                f.cell or "",
                f.message("zh"),
                "" if f.found is None else str(f.found),
                "" if f.expected is None else str(f.expected),
            ]
            for c, value in enumerate(cells):
                issues.write_string(r_out, c, value, fmt["wrap"] if c == 6 else fmt["text"])
            r_out += 1
    issues.autofilter(0, 0, max(r_out - 1, 1), len(heads) - 1)
    issues.freeze_panes(1, 0)
    for c, width in enumerate((20, 14, 16, 6, 8, 7, 50, 12, 12)):
        issues.set_column(c, c, width)
    print_setup(issues, "问题清单")
    issues.print_area(0, 0, max(r_out - 1, 1), 6)  # 发现/应为 are in 说明 already
