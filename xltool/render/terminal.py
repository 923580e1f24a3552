"""Findings on a terminal: a status line per file, a CJK-aligned table, the totals.

Text from a returned file (cell text, sheet and file names) never reaches the terminal
as markup or control sequences: it is built into rich ``Text`` objects, which take no
markup, after :func:`xltool.safeio.visible` has made every control character visible.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from xltool.checking.result import FileResult, summary
from xltool.safeio import visible

STATUS = {
    "zh": {"ok": "通过", "invalid": "有错误", "unreadable": "无法读取"},
    "en": {"ok": "ok", "invalid": "invalid", "unreadable": "unreadable"},
}
STYLE = {"ok": "green", "invalid": "red", "unreadable": "red"}
HEAD = {
    "zh": ("代码", "级别", "位置", "说明", "错误", "警告"),
    "en": ("code", "severity", "cell", "message", "errors", "warnings"),
}
SEVERITY = {
    "zh": {"error": "错误", "warning": "警告"},
    "en": {"error": "error", "warning": "warning"},
}


def render_file(console: Console, result: FileResult, lang: str) -> None:
    head = HEAD[lang]
    status = STATUS[lang][result.status]
    who = " ".join(str(x) for x in (result.department, result.year) if x)
    line = Text.assemble(
        (visible(result.shown), "bold"),
        "  ",
        (status, STYLE[result.status]),
        f"  {visible(who)}" if who else "",
        f"  ({head[4]} {result.errors}, {head[5]} {result.warnings})",
    )
    console.print(line)
    if result.findings:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
        table.add_column(head[0], no_wrap=True)
        table.add_column(head[1], no_wrap=True)
        table.add_column(head[2], no_wrap=True)
        table.add_column(head[3], overflow="fold")
        for f in result.findings:
            colour = "red" if f.severity == "error" else "yellow"
            place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
            table.add_row(
                Text(f.code),
                Text(SEVERITY[lang][f.severity], colour),
                Text(visible(place)),
                Text(visible(f.message(lang))),
            )
        console.print(table)
    for zh, en in result.notes:
        console.print(Text("  " + visible(zh if lang == "zh" else en), "yellow"))
    if result.totals:
        t = result.totals
        rate = f"{t['execution_rate']:.2%}" if t.get("execution_rate") is not None else "—"
        if lang == "zh":
            line = (
                f"  全年预算数 {_fmt(t['budget_adjusted'])} 万元  全年执行数 {_fmt(t['executed'])} 万元  "
                f"执行率 {rate}  总分 {_fmt(t['score'])}/{_fmt(t['points'])}"
            )
        else:
            line = (
                f"  budget {_fmt(t['budget_adjusted'])}  executed {_fmt(t['executed'])}  "
                f"rate {rate}  score {_fmt(t['score'])}/{_fmt(t['points'])}"
            )
        console.print(Text(line))
    console.print()


def render_summary(console: Console, results: list[FileResult], lang: str) -> None:
    s = summary(results)
    if lang == "zh":
        line = f"{s['files']} 个文件：{s['ok']} 个通过，{s['invalid']} 个有错误，{s['unreadable']} 个无法读取"
    else:
        line = f"{s['files']} files: {s['ok']} ok, {s['invalid']} invalid, {s['unreadable']} unreadable"
    console.print(Text(line))


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
