"""Findings on a terminal: a status line per file, a CJK-aligned table, the totals."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..verify import FileResult, summary

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
    console.print(
        f"[bold]{result.path}[/bold]  [{STYLE[result.status]}]{status}[/]"
        + (f"  {who}" if who else "")
        + f"  ({head[4]} {result.errors}, {head[5]} {result.warnings})",
        highlight=False,
    )
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
                f.code, f"[{colour}]{SEVERITY[lang][f.severity]}[/]", place, f.message(lang)
            )
        console.print(table)
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
        console.print(line, highlight=False)
    console.print()


def render_summary(console: Console, results: list[FileResult], lang: str) -> None:
    s = summary(results)
    if lang == "zh":
        line = f"{s['files']} 个文件：{s['ok']} 个通过，{s['invalid']} 个有错误，{s['unreadable']} 个无法读取"
    else:
        line = f"{s['files']} files: {s['ok']} ok, {s['invalid']} invalid, {s['unreadable']} unreadable"
    console.print(line, highlight=False)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
