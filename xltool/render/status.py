"""``xltool status`` for people: a terminal table, a CSV for Excel (UTF-8 with BOM) and
a 报送进度 sheet a section chief can print (status colours, counts, one A4 landscape
page wide)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from xltool.render.export import csv_safe
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
MATCHED = {
    "zh": {"signature": "签名", "hand": "手工指定", "reply": "回复邮件", "sender": "发件人",
           "header": "表头", "file-name": "文件名"},
    "en": {"signature": "signature", "hand": "by hand", "reply": "reply", "sender": "sender",
           "header": "header", "file-name": "file name"},
}  # fmt: skip
WIDTHS = [9, 16, 9, 42, 11, 11, 6, 16, 5, 9, 5, 5, 8, 6, 24, 9, 16]


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
        _local(st, cur.received_at) if cur else "",
        ("是" if lang == "zh" else "yes") if st.late(cur) else "",
        MATCHED[lang].get(cur.matched_by or "", "") if cur else "",
        cur.errors if cur else "",
        cur.warnings if cur else "",
        cur.execution_rate if cur and cur.execution_rate is not None else "",
        cur.score if cur and cur.score is not None else "",
        (d.last_passed.original_name or d.last_passed.file) if d.last_passed else "",
        _delivery(d.delivery, lang),
        _local(st, d.last_reminder) if d.last_reminder else "",
    ]


def _delivery(code: str, lang: str) -> str:
    from xltool.round.status import DELIVERY

    zh, en = DELIVERY[code]
    return zh if lang == "zh" else en


def _local(st: CampaignStatus, when: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return (
        datetime.fromisoformat(when)
        .astimezone(ZoneInfo(st.campaign.zone))
        .strftime("%Y-%m-%d %H:%M")
    )


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


def render_text(console: Console, st: CampaignStatus, lang: str) -> None:
    title = st.campaign.config.get("title") or ""
    deadline = st.campaign.deadline
    head = f"{title}  截止 {deadline}" if lang == "zh" and deadline else title
    console.print(Text(visible(head), "bold"))
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in HEAD[lang][:14]:
        table.add_column(name, overflow="fold")
    for d in st.departments:
        cells = _cells(st, d, lang)[:14]
        cells[12] = f"{cells[12]:.2%}" if isinstance(cells[12], float) else cells[12]
        row = [Text(visible(str(c))) for c in cells]
        row[4] = Text(d.label(lang), COLOURS[d.status])
        table.add_row(*row)
    console.print(table)
    for r in st.unmatched:
        reason = visible(r.unmatched_reason or "")
        console.print(
            Text(
                ("未匹配：" if lang == "zh" else "unmatched: ") + visible(r.file) + f"  {reason}",
                "yellow",
            )
        )
    console.print(Text(counts_line(st, lang)))


def render_csv(st: CampaignStatus, lang: str) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEAD[lang])
    for d in st.departments:
        w.writerow([csv_safe(c) if isinstance(c, str) else c for c in _cells(st, d, lang)])
    return out.getvalue()


def write_xlsx(target: str | Path | IO[bytes], st: CampaignStatus, lang: str = "zh") -> None:
    from xltool.render.summary import text_safe_workbook

    wb = text_safe_workbook(target)
    font = {"font_name": "宋体", "font_size": 10}
    title = wb.add_format({**font, "bold": True, "font_size": 14})
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
    cell = wb.add_format({**font, "border": 1, "valign": "top"})
    rate = wb.add_format({**font, "border": 1, "num_format": "0.00%", "valign": "top"})
    fills = {
        s: wb.add_format({**font, "border": 1, "bg_color": c, "valign": "top"})
        for s, c in FILLS.items()
    }
    ws = wb.add_worksheet("报送进度" if lang == "zh" else "Progress")
    ws.write_string(0, 0, st.campaign.config.get("title") or "", title)
    ws.write_string(
        1,
        0,
        counts_line(st, lang)
        + (f"；截止 {st.campaign.deadline}" if st.campaign.deadline and lang == "zh" else ""),
        wb.add_format(font),
    )
    for c, (name, width) in enumerate(zip(HEAD[lang], WIDTHS, strict=True)):
        ws.write_string(3, c, name, head)
        ws.set_column(c, c, width)
    for r, d in enumerate(st.departments, start=4):
        for c, value in enumerate(_cells(st, d, lang)):
            fmt = fills[d.status] if c == 4 else rate if c == 12 else cell
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, value, fmt)
            else:
                ws.write_string(r, c, str(value), fmt)
    last = 3 + len(st.departments)
    ws.autofilter(3, 0, max(last, 4), len(HEAD[lang]) - 1)
    ws.freeze_panes(4, 2)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(3)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&C第 &P 页，共 &N 页" if lang == "zh" else "&CPage &P of &N")
    wb.close()
