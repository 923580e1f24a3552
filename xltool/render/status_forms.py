"""``xltool status`` in a round of many forms per department: each department's
``n/m`` with the first forms still owed named, one department's forms
(``--department``), and the 部门 and 表单 sheets of the status workbook."""

from __future__ import annotations

from typing import Any

from xltool.render.summary import print_setup
from xltool.render.terminal import cells
from xltool.round.status import CampaignStatus, DepartmentStatus, FormStatus
from xltool.safeio import visible

NAMED = 2  # forms named in a department's line before "and n more"
LISTED = 8  # forms named in the 部门 sheet before "and n more"


def form_label(f: FormStatus, lang: str) -> str:
    if f.ref.project is None:
        return "部门整体" if lang == "zh" else "department form"
    return f"{f.ref.project} {f.ref.project_name or ''}".strip()


def forms_cell(d: DepartmentStatus, lang: str) -> str:
    """``3/6 缺：部门整体、P0302 等 3 张`` — passed of owed, then the first still owed."""
    owed = d.outstanding()
    text = f"{d.forms_passed}/{len(d.owed)}"
    if not owed:
        return text
    names = [f.ref.project or form_label(f, lang) for f in owed[:NAMED]]
    if lang == "zh":
        more = f" 等 {len(owed)} 张" if len(owed) > NAMED else ""
        return f"{text} 缺：{'、'.join(names)}{more}"
    more = f" and {len(owed) - NAMED} more" if len(owed) > NAMED else ""
    return f"{text} owed: {', '.join(names)}{more}"


HEAD = {
    "zh": ["表单", "名称", "状态", "报送次数", "最近报送时间", "错误", "执行率", "得分", "免报原因"],
    "en": ["form", "name", "status", "returns", "last received", "errors", "rate", "score",
           "exempt because"],
}  # fmt: skip


def form_cells(st: CampaignStatus, f: FormStatus, lang: str) -> list[Any]:
    cur = f.current
    return [
        f.ref.id,
        f.ref.project_name or form_label(f, lang),
        f.label(lang),
        len(f.returns),
        local_time(st, cur.received_at) if cur else "",
        cur.errors if cur else "",
        cur.execution_rate if cur and cur.execution_rate is not None else "",
        cur.score if cur and cur.score is not None else "",
        f.exempt_reason or "",
    ]


def local_time(st: CampaignStatus, when: str) -> str:
    """An ISO time as the campaign's people read it: its time zone, to the minute."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return (
        datetime.fromisoformat(when)
        .astimezone(ZoneInfo(st.campaign.zone))
        .strftime("%Y-%m-%d %H:%M")
    )


def department_text(
    st: CampaignStatus, code: str, lang: str, report: dict[str, Any] | None = None
) -> str:
    """One department's forms, one line each (``status --department D01``), and its
    评价报告 with what it says against the form."""
    d = next(d for d in st.departments if d.code == code)
    rows = [HEAD[lang]] + [[_shown(v) for v in form_cells(st, f, lang)] for f in d.forms]
    widths = [max(cells(r[k]) for r in rows) for k in range(len(HEAD[lang]))]
    title = f"{d.code} {d.department}  {d.label(lang)}  {forms_cell(d, lang)}"
    lines = [visible(title)]
    for row in rows:
        padded = [text + " " * (w - cells(text)) for text, w in zip(row, widths, strict=True)]
        lines.append("  ".join(padded).rstrip())
    if report is not None:
        zh = lang == "zh"
        verdict = (
            ("与表一致" if zh else "agrees with the form")
            if report["status"] == "ok"
            else (
                f"{len(report['findings'])} 处与表不符"
                if zh
                else f"{len(report['findings'])} disagreements"
            )
        )
        lines.append(("评价报告：" if zh else "report: ") + visible(f"{report['file']}  {verdict}"))
        lines += ["  - " + visible(m) for m in report["findings"]]
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return visible(str(value))


def write_form_sheet(wb: Any, st: CampaignStatus, lang: str, fmt: dict[str, Any]) -> None:
    """表单: one row per form of the round, status coloured, for print on A4 landscape."""
    ws = wb.add_worksheet("表单" if lang == "zh" else "Forms")
    head = (
        ["部门编码", "部门名称", *HEAD["zh"]]
        if lang == "zh"
        else ["code", "department", *HEAD["en"]]
    )
    widths = [9, 14, 24, 26, 10, 6, 16, 5, 8, 6, 14]
    for c, (name, width) in enumerate(zip(head, widths, strict=True)):
        ws.write_string(0, c, name, fmt["head"])
        ws.set_column(c, c, width)
    r = 1
    for d in st.departments:
        for f in d.forms:
            values = [d.code, d.department, *form_cells(st, f, lang)]
            for c, value in enumerate(values):
                style = fmt["fills"][f.status] if c == 4 else fmt["rate"] if c == 8 else fmt["cell"]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, c, value, style)
                else:
                    ws.write_string(r, c, str(value), style)
            r += 1
    ws.freeze_panes(1, 3)
    ws.autofilter(0, 0, max(r - 1, 1), len(head) - 1)
    print_setup(ws, st.campaign.config.get("title") or "", 0, lang)


DEPARTMENT_HEAD = {
    "zh": [("部门编码", 9), ("部门名称", 16), ("状态", 11), ("通过/应报", 9),
           ("尚未通过的表", 52), ("联系人", 10), ("发送", 9), ("最近报送时间", 16)],
    "en": [("code", 9), ("department", 16), ("status", 11), ("passed/owed", 9),
           ("forms not yet passed", 52), ("contact", 10), ("delivery", 9), ("last received", 16)],
}  # fmt: skip


def write_department_sheet(
    wb: Any, st: CampaignStatus, lang: str, fmt: dict[str, Any], delivery: Any
) -> Any:
    """部门: one row per department, what a section chief prints: its status, n/m forms
    passed and the ones not yet passed named, who to call, whether its forms went out."""
    ws = wb.add_worksheet("部门" if lang == "zh" else "Departments")
    for c, (name, width) in enumerate(DEPARTMENT_HEAD[lang]):
        ws.write_string(3, c, name, fmt["head"])
        ws.set_column(c, c, width)
    for r, d in enumerate(st.departments, start=4):
        owed = d.outstanding()
        latest = max((x.received_at for x in d.returns), default=None)
        named = "、".join(f"{form_label(f, lang)}（{f.label(lang)}）" for f in owed[:LISTED])
        if len(owed) > LISTED:
            named += f" 等 {len(owed)} 张" if lang == "zh" else f" and {len(owed) - LISTED} more"
        values = [
            d.code, d.department, d.label(lang), f"{d.forms_passed}/{len(d.owed)}", named,
            d.contact or "", delivery(d.delivery, lang),
            local_time(st, latest) if latest else "",
        ]  # fmt: skip
        for c, value in enumerate(values):
            style = fmt["fills"][d.status] if c == 2 else fmt["wrap"] if c == 4 else fmt["cell"]
            ws.write_string(r, c, str(value), style)
        # wrapped text gets the lines it needs (a fixed height would hide it)
        ws.set_row(r, 14 * max(1, -(-cells(named) // (DEPARTMENT_HEAD[lang][4][1] - 2))))
    ws.freeze_panes(4, 2)
    ws.autofilter(3, 0, max(3 + len(st.departments), 4), len(DEPARTMENT_HEAD[lang]) - 1)
    print_setup(ws, "", 3, lang)
    return ws
