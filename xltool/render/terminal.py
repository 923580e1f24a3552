"""Findings on a terminal: a status line per file, a CJK-aligned table, the totals.

Plain text with ANSI colours only where the caller asks for them (a terminal). Text from a
returned file (cell text, sheet and file names) reaches the terminal only after
:func:`xltool.safeio.visible` has made every control character visible, so a cell can
never move the cursor, recolour the screen or pass for one of our own lines. No markup
language is involved: brackets in a cell are printed as they are.
"""

from __future__ import annotations

import unicodedata

from xltool.checking.result import FileResult, summary
from xltool.safeio import visible

STATUS = {
    "zh": {"ok": "通过", "invalid": "有错误", "unreadable": "无法读取"},
    "en": {"ok": "ok", "invalid": "invalid", "unreadable": "unreadable"},
}
COLOUR = {"ok": 32, "invalid": 31, "unreadable": 31, "error": 31, "warning": 33}
HEAD = {
    "zh": ("代码", "级别", "位置", "说明", "错误", "警告"),
    "en": ("code", "severity", "cell", "message", "errors", "warnings"),
}
SEVERITY = {
    "zh": {"error": "错误", "warning": "警告"},
    "en": {"error": "error", "warning": "warning"},
}


def cells(text: str) -> int:
    """Columns a text takes on a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _style(text: str, colour: bool, code: int | None = None, bold: bool = False) -> str:
    if not colour or (code is None and not bold):
        return text
    codes = ";".join(str(c) for c in ((1,) if bold else ()) + ((code,) if code else ()))
    return f"\x1b[{codes}m{text}\x1b[0m"


def file_text(result: FileResult, lang: str, width: int = 100, colour: bool = False) -> str:
    """One file's report: its status line, the table of findings, notes and totals."""
    head = HEAD[lang]
    who = " ".join(str(x) for x in (result.department, result.year) if x)
    lines = [
        _style(visible(result.shown), colour, bold=True)
        + "  "
        + _style(STATUS[lang][result.status], colour, COLOUR[result.status])
        + (f"  {visible(who)}" if who else "")
        + f"  ({head[4]} {result.errors}, {head[5]} {result.warnings})"
    ]
    if result.findings:
        lines += _table(result, lang, width, colour)
    for zh, en in result.notes:
        lines.append(_style("  " + visible(zh if lang == "zh" else en), colour, COLOUR["warning"]))
    if result.totals:
        lines.append(_totals(result.totals, lang))
    return "\n".join(lines) + "\n"


def _table(result: FileResult, lang: str, width: int, colour: bool) -> list[str]:
    head = HEAD[lang]
    rows = []
    for f in result.findings:
        place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
        rows.append((f.code, SEVERITY[lang][f.severity], visible(place), f.severity, f))
    widths = [max(cells(h), *(cells(r[i]) for r in rows)) for i, h in enumerate(head[:3])]
    indent = sum(widths) + 2 * 3
    room = max(20, width - indent)

    def pad(text: str, i: int) -> str:
        return text + " " * (widths[i] - cells(text))

    out = [
        _style(
            "  ".join(pad(h, i) for i, h in enumerate(head[:3])) + "  " + head[3], colour, bold=True
        )
    ]
    for code, severity, place, level, f in rows:
        message = _wrap(visible(f.message(lang)), room)
        first = "  ".join(
            (pad(code, 0), _style(pad(severity, 1), colour, COLOUR[level]), pad(place, 2))
        )
        out.append(f"{first}  {message[0]}")
        out += [" " * indent + more for more in message[1:]]
    return out


def _wrap(text: str, room: int) -> list[str]:
    """Lines of at most ``room`` columns, broken anywhere (Chinese has no spaces)."""
    lines, line, used = [], "", 0
    for ch in text:
        w = cells(ch)
        if used + w > room and line:
            lines.append(line)
            line, used = "", 0
        line, used = line + ch, used + w
    return [*lines, line]


def _totals(t: dict[str, float | None], lang: str) -> str:
    rate = t.get("execution_rate")
    shown = f"{rate:.2%}" if rate is not None else "—"
    if lang == "zh":
        return (
            f"  全年预算数 {_fmt(t['budget_adjusted'])} 万元  全年执行数 {_fmt(t['executed'])} 万元  "
            f"执行率 {shown}  总分 {_fmt(t['score'])}/{_fmt(t['points'])}"
        )
    return (
        f"  budget {_fmt(t['budget_adjusted'])}  executed {_fmt(t['executed'])}  "
        f"rate {shown}  score {_fmt(t['score'])}/{_fmt(t['points'])}"
    )


def summary_text(results: list[FileResult], lang: str) -> str:
    s = summary(results)
    if lang == "zh":
        return f"{s['files']} 个文件：{s['ok']} 个通过，{s['invalid']} 个有错误，{s['unreadable']} 个无法读取"
    return f"{s['files']} files: {s['ok']} ok, {s['invalid']} invalid, {s['unreadable']} unreadable"


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
