"""What ``collect`` and ``status`` check and print: the checks of collect's options,
one line per input collected, and the terminal's width for status."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from xltool.errors import XltoolError
from xltool.i18n import counts as error_counts
from xltool.i18n import t


def terminal_width() -> int | None:
    """The terminal's width: COLUMNS when set, else the terminal's own; None when the
    output is not a terminal (a file or a pipe gets whole lines)."""
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def check_collect_options(
    paths: tuple[str, ...], use_imap: bool, since: Any, move_to: str | None
) -> None:
    if not paths and not use_imap:
        raise XltoolError(
            "请给出要收录的文件或文件夹，或用 --imap", "give files or folders, or --imap"
        )
    if (since or move_to) and not use_imap:
        raise XltoolError(
            "--since 和 --move-to 只用于 --imap", "--since and --move-to go with --imap"
        )


def check_received_at(received_at: str | None, zone: str) -> None:
    """A usage error, before anything is taken in, for a time that is not one or that
    no one can have meant (before 2000, after 2100, more than a day ahead)."""
    if not received_at:
        return
    from xltool.round.received import parse_time, plausible

    try:
        when = parse_time(received_at, zone)
    except ValueError:
        raise XltoolError(
            f"--received-at「{received_at}」不是日期或时间（例如 2025-03-02 或 2025-03-02T14:30）",
            f"--received-at '{received_at}' is not a date or an ISO time",
        ) from None
    if not plausible(when):
        raise XltoolError(
            f"--received-at「{received_at}」不可信：须在 2000–2100 年间，且不晚于明天",
            f"--received-at '{received_at}' is implausible: it must be within 2000–2100 "
            "and no later than tomorrow",
        )


def print_collected(intake: Any, fmt: str, lang: str) -> None:
    from xltool.checking.result import dumps
    from xltool.cli.mail import delivery_line
    from xltool.safeio import visible

    outcomes, empty, replies = intake.outcomes, intake.without_workbook, intake.replies
    if fmt == "json":
        no_workbook = [
            {"source": m.source, "sender": m.sender, "subject": m.subject} for m in empty
        ]
        click.echo(
            dumps(
                {
                    "inputs": [o.to_json(lang) for o in outcomes],
                    "messages_without_workbook": no_workbook,
                    "replies": [r.to_json(lang) for r in replies],
                }
            )
        )
        return
    for o in outcomes:
        click.echo(visible(collect_line(o, lang)))
    for m in empty:
        line = t("mail_no_workbook", source=m.source, sender=m.sender or "?", subject=m.subject)
        click.echo(visible(line))
    for r in replies:
        click.echo(visible(delivery_line(r, lang)))
    if not outcomes and not empty:
        click.echo(t("collect_nothing"))


def collect_line(o: Any, lang: str) -> str:
    """An input's one line: collected (→ department), duplicate (received before),
    refused (why) or unmatched (why), with its notes."""
    if o.beside is not None:  # a department's report or a returned 复核表
        from xltool.safeio import visible

        return visible(o.beside.line(lang))
    zh = lang == "zh"
    name = o.item.source
    notes = "".join(("；" if zh else "; ") + (n[0] if zh else n[1]) for n in o.notes)
    if not o.recorded:
        reason = o.reason[0 if zh else 1] if o.reason else ""
        return f"{name}：拒收（{reason}）" if zh else f"{name}: refused ({reason})"
    from xltool.render.status import MATCHED

    how = MATCHED[lang].get(o.matched_by or "", "")
    status = {
        "zh": {"ok": "通过", "invalid": "待修改", "unreadable": "待修改（无法读取）"},
        "en": {"ok": "passed", "invalid": "to fix", "unreadable": "to fix (unreadable)"},
    }[lang].get(o.status or "", o.status or "")
    seen = "" if o.new else ("（此前已收到）" if zh else " (received before)")
    counts = ("，" if zh else ", ") + error_counts(o.errors, o.warnings, lang)
    if o.code is None:
        reason = o.reason[0 if zh else 1] if o.reason else ""
        return (
            f"{name}：未匹配到部门（{reason}）{seen}{notes}"
            if zh
            else f"{name}: unmatched ({reason}){seen}{notes}"
        )
    who = f"{o.code} {o.department or ''}".strip()
    if zh:
        return f"{name} → {who}（按{how}）：{status}{counts}{seen}{notes}"
    return f"{name} → {who} (by {how}): {status}{counts}{seen}{notes}"
