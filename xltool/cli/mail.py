"""The mailing commands: ``send`` and ``remind``; how a delivery reads on a terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from xltool.cli.common import (
    CONTEXT,
    I18nCommand,
    campaign_option,
    open_campaign,
    warn_insecure,
)
from xltool.i18n import current_lang


def delivery_line(d: Any, lang: str) -> str:
    from xltool.round.status import DELIVERY

    zh = lang == "zh"
    kinds = {
        "issue": ("发表", "form"), "remind": ("提醒", "reminder"),
        "reply-fix": ("修改通知", "what to fix"), "reply-ok": ("回执", "receipt"),
    }  # fmt: skip
    outcomes = {
        **DELIVERY,
        "skipped": ("跳过", "skipped"), "drafted": ("已生成草稿", "drafted"),
        "dry-run": ("将发送（试运行）", "would send (dry run)"),
    }  # fmt: skip
    kind = kinds[d.kind][0 if zh else 1]
    outcome = outcomes[d.outcome][0 if zh else 1]
    who = f"{d.code} {d.department}".strip() or ", ".join(d.to)
    to = "、".join(d.to) if zh else ", ".join(d.to)
    line = (
        f"{who}：{kind} {outcome}" + (f"（{to}）" if to else "")
        if zh
        else f"{who}: {kind} {outcome}" + (f" ({to})" if to else "")
    )
    if d.refused:
        refused = "；".join(f"{a} {w}" for a, w in d.refused.items())
        line += f"；被拒收：{refused}" if zh else f"; refused: {refused}"
    if d.reason:
        line += ("；" if zh else "; ") + d.reason[0 if zh else 1]
    if d.file:
        line += f" → {d.file}"
    return line


def mail_options(f: Any) -> Any:
    """What every mailing command takes: drafts instead of sending, the rate, test
    servers' certificates, the output format."""
    for option in reversed(
        [
            click.option(
                "--drafts",
                type=click.Path(file_okay=False, path_type=Path),
                help="Write .eml drafts (X-Unsent: 1: Outlook opens them as drafts) into DIR "
                "instead of sending.",
            ),
            click.option(
                "--rate",
                type=click.FloatRange(0.1, 6000),
                help="Messages per minute [default: mail.rate, else 20].",
            ),
            click.option(
                "--insecure",
                is_flag=True,
                help="Do not verify the server's certificate (test servers only).",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["text", "json"]),
                default="text",
                show_default=True,
            ),
        ]
    ):
        f = option(f)
    return f


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.option("--only", multiple=True, help="Only this 部门编码 (repeat for more).")
@click.option("--resend", is_flag=True, help="Send again to departments mailed before.")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send and write nothing.")
@mail_options
@campaign_option
def send(
    only: tuple[str, ...],
    resend: bool,
    dry_run: bool,
    drafts: Path | None,
    rate: float | None,
    insecure: bool,
    fmt: str,
    campaign_dir: Path | None,
) -> None:
    """Mail each department its issued form: one message per department, every roster
    address in To. Sends each department once (unless --resend); a run that was
    interrupted is resumed without mailing anyone twice. Exit 1 when any department was
    not sent.

    \b
    Examples:
      xltool send --dry-run
      xltool send
      xltool send --only 101 --only 102 --resend
      xltool send --drafts 草稿/            # to send from Outlook or Foxmail
    """
    from xltool.mail.round import send as run

    if insecure:
        warn_insecure()
    mailing = {"drafts": drafts, "dry_run": dry_run, "rate": rate, "insecure": insecure}
    outcomes = run(open_campaign(campaign_dir), only=list(only) or None, resend=resend, **mailing)
    _report(outcomes, fmt)
    failed = [d for d in outcomes if d.outcome in ("not-sent", "send-failed", "unknown")]
    sys.exit(1 if failed else 0)


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.option(
    "--status",
    "statuses",
    default="missing,overdue,to-fix",
    show_default=True,
    help="Which departments: missing, overdue, to-fix (comma-separated).",
)
@click.option(
    "--min-interval",
    type=click.IntRange(0, 365),
    default=3,
    show_default=True,
    help="Days between two reminders.",
)
@click.option("--force", is_flag=True, help="Remind even within --min-interval.")
@click.option(
    "--attach", is_flag=True, help="Attach the blank forms each department has not returned."
)
@click.option("--dry-run", is_flag=True, help="Say who would be reminded; send and write nothing.")
@mail_options
@campaign_option
def remind(
    statuses: str,
    min_interval: int,
    force: bool,
    attach: bool,
    dry_run: bool,
    drafts: Path | None,
    rate: float | None,
    insecure: bool,
    fmt: str,
    campaign_dir: Path | None,
) -> None:
    """Remind the departments that have not returned, or must fix their return.

    Exempt departments are never reminded; a department is reminded at most once per
    --min-interval days unless --force. `status` shows the last reminder.

    \b
    Examples:
      xltool remind --dry-run
      xltool remind --status overdue
      xltool remind --drafts 提醒草稿/
    """
    from xltool.mail.round import remind as run

    if insecure:
        warn_insecure()
    wanted = [s.strip() for s in statuses.split(",") if s.strip()]
    mailing = {"drafts": drafts, "dry_run": dry_run, "rate": rate, "insecure": insecure}
    c = open_campaign(campaign_dir)
    outcomes = run(c, wanted, min_interval_days=min_interval, force=force, attach=attach, **mailing)
    _report(outcomes, fmt)
    sys.exit(1 if any(d.outcome in ("not-sent", "send-failed") for d in outcomes) else 0)


def _report(outcomes: list[Any], fmt: str) -> None:
    from xltool.checking.result import dumps
    from xltool.safeio import visible

    lang = current_lang()
    if fmt == "json":
        click.echo(dumps({"messages": [d.to_json(lang) for d in outcomes]}))
        return
    for d in outcomes:
        click.echo(visible(delivery_line(d, lang)))
