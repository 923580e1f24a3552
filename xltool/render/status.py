"""``xltool status`` for people: a terminal table, a CSV for Excel (UTF-8 with BOM) and
a 报送进度 sheet a section chief can print (status colours, counts, one A4 landscape
page wide)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Any

from xltool.render.export import csv_safe
from xltool.render.status_forms import (
    forms_cell,
    local_time,
    write_department_sheet,
    write_form_sheet,
)
from xltool.render.summary import print_setup
from xltool.render.terminal import cells
from xltool.round.formset import PROJECT
from xltool.round.status import STATUSES, CampaignStatus, DepartmentStatus
from xltool.safeio import visible

COLOURS = {
    "missing": "yellow",
    "overdue": "red",
    "to-fix": "red",
    "passed": "green",
    "exempt": "dim",
}
FILLS = {
    "missing": "#FFEB9C",
    "overdue": "#FFC7CE",
    "to-fix": "#FFC7CE",
    "passed": "#C6EFCE",
    "exempt": "#EDEDED",
}
HEAD = {
    "zh": ["部门编码", "部门名称", "联系人", "电子邮箱", "状态", "发放时间", "报送次数",
           "最近报送时间", "逾期", "匹配方式", "错误", "警告", "执行率", "总分", "最近通过的文件",
           "发送", "最近提醒"],
    "en": ["code", "department", "contact", "email", "status", "issued", "returns",
           "last received", "late", "matched by", "errors", "warnings", "rate", "score",
           "last passed file", "delivery", "last reminder"],
}  # fmt: skip
HEAD["zh"].append("表单（通过/应报）")
HEAD["en"].append("forms (passed/owed)")
FORMS_COLUMN = len(HEAD["zh"]) - 1
MATCHED = {
    "zh": {"signature": "签名", "hand": "手工指定", "reply": "回复邮件", "sender": "发件人",
           "header": "表头", "file-name": "文件名"},
    "en": {"signature": "signature", "hand": "by hand", "reply": "reply", "sender": "sender",
           "header": "header", "file-name": "file name"},
}  # fmt: skip
WIDTHS = [9, 16, 9, 42, 11, 11, 6, 16, 5, 9, 5, 5, 8, 6, 24, 9, 16, 34]


def _cells(st: CampaignStatus, d: DepartmentStatus, lang: str) -> list[Any]:
    cur = d.current
    return [
        d.code,
        d.department,
        d.contact or "",
        "; ".join(d.emails),
        d.label(lang),
        (d.issued_at or "")[:10],
        len(d.returns),
        local_time(st, last.received_at) if (last := cur or _latest(d)) else "",
        ("是" if lang == "zh" else "yes") if st.late(cur) else "",
        MATCHED[lang].get(cur.matched_by or "", "") if cur else "",
        cur.errors if cur else "",
        cur.warnings if cur else "",
        cur.execution_rate if cur and cur.execution_rate is not None else "",
        cur.score if cur and cur.score is not None else "",
        (d.last_passed.original_name or d.last_passed.file) if d.last_passed else "",
        _delivery(d.delivery, lang),
        local_time(st, d.last_reminder) if d.last_reminder else "",
        forms_cell(d, lang),
    ]


def _latest(d: DepartmentStatus) -> Any:
    """The department's latest return of any form (a round of many forms per department)."""
    return max(d.returns, key=lambda r: (r.received_at, r.recorded_at), default=None)


def _delivery(code: str, lang: str) -> str:
    from xltool.round.status import DELIVERY

    zh, en = DELIVERY[code]
    return zh if lang == "zh" else en


def counts_line(st: CampaignStatus, lang: str) -> str:
    counts = st.counts
    parts = [f"{STATUSES[s][0 if lang == 'zh' else 1]} {n}" for s, n in counts.items()]
    if lang == "zh":
        return (
            f"共 {len(st.departments)} 个部门："
            + "，".join(parts)
            + f"；未匹配的文件 {len(st.unmatched)} 个"
        )
    return (
        f"{len(st.departments)} departments: "
        + ", ".join(parts)
        + f"; unmatched files {len(st.unmatched)}"
    )


# The columns `status` shows on a terminal (indices into HEAD): code, name, status,
# delivery, returns, last received, score; --wide shows them all
NARROW = (0, 1, 4, 15, 6, 7, 13)
STATUS_COLUMN = 4
GAP = "  "
FLOOR = 6  # a column is cut no narrower than this (three Chinese characters) …
ANSI = {"green": 32, "yellow": 33, "red": 31, "dim": 2}


def status_text(
    st: CampaignStatus,
    lang: str,
    *,
    width: int | None = None,
    wide: bool = False,
    colour: bool = False,
) -> str:
    """``xltool status`` for a terminal: the title, one row per department, the files
    that matched no department, the counts. Every line fits ``width`` (the terminal's;
    None: no bound): the widest columns are cut first, with an ellipsis, counting a
    Chinese character as two cells; the other lines wrap."""
    columns = list(range(len(HEAD[lang]))) if wide else list(NARROW)
    if not wide and PROJECT in st.campaign.roles:  # many forms: n/m and the ones owed
        columns.insert(columns.index(STATUS_COLUMN) + 1, FORMS_COLUMN)
    rows = [[HEAD[lang][i] for i in columns]]
    rows += [[_shown(_cells(st, d, lang), i) for i in columns] for d in st.departments]
    content = [max((cells(r[k]) for r in rows[1:]), default=0) for k in range(len(columns))]
    widths = _fit([cells(h) for h in rows[0]], content, width)
    title = st.campaign.config.get("title") or ""
    deadline = st.campaign.deadline
    head = f"{title}  截止 {deadline}" if lang == "zh" and deadline else title
    lines = [_paint(line, "bold", colour) for line in _fold(visible(head), width)]
    status_at = columns.index(STATUS_COLUMN)
    for n, row in enumerate(rows):
        style = "bold" if n == 0 else None
        colours = [style] * len(row)
        if n:
            colours[status_at] = COLOURS[st.departments[n - 1].status]
        lines.append(_row(row, widths, colours, colour))
    for r in st.unmatched:
        text = ("未匹配：" if lang == "zh" else "unmatched: ") + visible(r.file)
        text += f"  {visible(r.unmatched_reason or '')}"
        lines += [_paint(line, "yellow", colour) for line in _fold(text, width)]
    lines += _fold(counts_line(st, lang), width)
    return "\n".join(lines) + "\n"


def _shown(values: list[Any], i: int) -> str:
    value = values[i]
    if isinstance(value, float):
        return f"{value:.2%}" if i == 12 else f"{value:.2f}".rstrip("0").rstrip(".")
    return visible(str(value))


def _fit(head: list[int], content: list[int], width: int | None) -> list[int]:
    """Column widths within ``width``: the widest column cut by a cell at a time (of two
    as wide, the one whose heading is wider than its content), none below FLOOR; on a
    terminal narrower still, the columns past its edge cut or left out (width 0)."""
    widths = [max(h, c) for h, c in zip(head, content, strict=True)]
    if width is None:
        return widths
    floor = [min(w, FLOOR) for w in widths]
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    while excess > 0:
        wider = [k for k in range(len(widths)) if widths[k] > floor[k]]
        if not wider:
            break
        widths[max(wider, key=lambda k: (widths[k], widths[k] - content[k]))] -= 1
        excess -= 1
    room = width
    for k, w in enumerate(widths):
        widths[k] = max(0, min(w, room))
        room -= widths[k] + len(GAP)
    return widths


def _row(row: list[str], widths: list[int], colours: list[str | None], colour: bool) -> str:
    out = []
    for text, w, style in zip(row, widths, colours, strict=True):
        if w:
            cut = _clip(text, w)
            out.append(_paint(cut, style, colour) + " " * (w - cells(cut)))
    return GAP.join(out).rstrip()


def _clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: cut, with an ellipsis, when it is longer."""
    if cells(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        if used + cells(ch) > width - 1:
            break
        out, used = out + ch, used + cells(ch)
    return out + "…"


def _fold(text: str, width: int | None) -> list[str]:
    """Lines of at most ``width`` cells, broken anywhere (Chinese has no spaces)."""
    if width is None or width < 2:
        return [text]
    lines, line = [], ""
    for ch in text:
        if cells(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line]


def _paint(text: str, style: str | None, colour: bool) -> str:
    if not colour or style is None or not text:
        return text
    code = 1 if style == "bold" else ANSI[style]
    return f"\x1b[{code}m{text}\x1b[0m"


def render_csv(st: CampaignStatus, lang: str) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEAD[lang])
    for d in st.departments:
        w.writerow([csv_safe(c) if isinstance(c, str) else c for c in _cells(st, d, lang)])
    return out.getvalue()


def write_xlsx(target: str | Path | IO[bytes], st: CampaignStatus, lang: str = "zh") -> None:
    """报送进度 (one row per department, every column); in a round with project forms,
    部门 (what to print: status, n/m and the forms not yet passed), 表单 (one row per
    form) and the wide table as 明细."""
    from xltool.render.summary import text_safe_workbook

    wb = text_safe_workbook(target)
    fmt = _xlsx_formats(wb)
    if PROJECT in st.campaign.roles:
        ws = write_department_sheet(wb, st, lang, fmt, _delivery)
        _title(ws, st, lang, fmt)
        write_form_sheet(wb, st, lang, fmt)
        _wide_sheet(wb, "明细" if lang == "zh" else "Details", st, lang, fmt)
    else:
        _wide_sheet(wb, "报送进度" if lang == "zh" else "Progress", st, lang, fmt)
    wb.close()


def _xlsx_formats(wb: Any) -> dict[str, Any]:
    font = {"font_name": "宋体", "font_size": 10}
    head = {**font, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
    return {
        "font": wb.add_format(font),
        "title": wb.add_format({**font, "bold": True, "font_size": 14}),
        "head": wb.add_format({**head, "valign": "vcenter"}),
        "cell": wb.add_format({**font, "border": 1, "valign": "top"}),
        "wrap": wb.add_format({**font, "border": 1, "valign": "top", "text_wrap": True}),
        "rate": wb.add_format({**font, "border": 1, "num_format": "0.00%", "valign": "top"}),
        "fills": {
            s: wb.add_format({**font, "border": 1, "bg_color": c, "valign": "top"})
            for s, c in FILLS.items()
        },
    }


def _title(ws: Any, st: CampaignStatus, lang: str, fmt: dict[str, Any]) -> None:
    ws.write_string(0, 0, st.campaign.config.get("title") or "", fmt["title"])
    deadline = st.campaign.deadline
    line = counts_line(st, lang) + (f"；截止 {deadline}" if deadline and lang == "zh" else "")
    ws.write_string(1, 0, line, fmt["font"])


def _wide_sheet(wb: Any, name: str, st: CampaignStatus, lang: str, fmt: dict[str, Any]) -> None:
    ws = wb.add_worksheet(name)
    _title(ws, st, lang, fmt)
    for c, (head, width) in enumerate(zip(HEAD[lang], WIDTHS, strict=True)):
        ws.write_string(3, c, head, fmt["head"])
        ws.set_column(c, c, width)
    for r, d in enumerate(st.departments, start=4):
        for c, value in enumerate(_cells(st, d, lang)):
            style = fmt["fills"][d.status] if c == 4 else fmt["rate"] if c == 12 else fmt["cell"]
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, value, style)
            else:
                ws.write_string(r, c, str(value), style)
    last = 3 + len(st.departments)
    ws.autofilter(3, 0, max(last, 4), len(HEAD[lang]) - 1)
    ws.freeze_panes(4, 2)
    print_setup(ws, "", 3, lang)
