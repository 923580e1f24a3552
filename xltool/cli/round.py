"""The round's commands: ``campaign init|reissue|add|exempt|rebuild``, ``collect`` and
``status``. Parsing and rendering only; the work is in :mod:`xltool.round` and
:mod:`xltool.mail.round`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from xltool.cli.common import (
    CONTEXT,
    I18nCommand,
    I18nGroup,
    campaign_option,
    jobs_option,
    key_option,
    open_campaign,
    open_ledger,
    progress,
    warn_insecure,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang, t


def _lines(notes: list[tuple[str, str]]) -> None:
    from xltool.safeio import visible

    for zh, en in notes:
        click.echo(visible(zh if current_lang() == "zh" else en), err=True)


@click.group(cls=I18nGroup, context_settings=CONTEXT)
def campaign() -> None:
    """A campaign: one round of 绩效自评 as a folder (forms, returns, ledger).

    \b
    Examples:
      xltool campaign init 2025自评 --roster 名单.xlsx --indicators 指标.xlsx --deadline 2025-03-31
      cd 2025自评 && xltool collect ~/下载/回收/ && xltool status
      xltool campaign exempt 105 --reason 已撤并
    """


@campaign.command("init", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV or XLSX: 部门编码, 部门名称, and optionally 联系人, 电子邮箱, 联系电话, amounts.",
)
@click.option(
    "--indicators",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or XLSX of indicators; a 部门编码 or 部门名称 column gives a department its own.",
)
@click.option("--kind", help="Form kind [default: dept-overall].")
@click.option(
    "--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path), help="A spec file."
)
@click.option("--year", type=click.IntRange(1990, 2200), help="Year (年度) of the evaluation.")
@click.option(
    "--deadline",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day to return (inclusive, to the end of the day in Asia/Shanghai).",
)
@click.option("--title", help="The campaign's title [default: 年度 + the form's name].")
@key_option
def campaign_init(
    folder: Path,
    roster: Path,
    indicators: Path | None,
    kind: str | None,
    spec_file: Path | None,
    year: int | None,
    deadline: Any,
    title: str | None,
    key_file: Path | None,
) -> None:
    """Create a campaign folder and issue one signed form per department into issued/.

    Creates the issuer key if there is none (forms of a campaign are always signed);
    campaign.yaml records the key's id, never the key.
    """
    from xltool.round.campaign import init
    from xltool.safeio import visible

    if kind and spec_file:
        raise XltoolError("--kind 与 --spec 只能用一个", "give --kind or --spec, not both")
    notes: list[tuple[str, str]] = []
    with progress(2, t("progress_new")) as advance:
        made = init(
            folder,
            roster=roster,
            indicators=indicators,
            kind=kind,
            spec_file=spec_file,
            year=year,
            deadline=deadline.date() if deadline else None,
            title=title,
            key_file=key_file,
            notes=notes,
            progress=advance,
        )
    _lines(notes)
    n = len(made.departments())
    click.echo(t("campaign_created", dir=visible(folder), n=n))


@campaign.command("reissue", context_settings=CONTEXT)
@click.argument("codes", nargs=-1, required=True)
@campaign_option
@key_option
def campaign_reissue(
    codes: tuple[str, ...], campaign_dir: Path | None, key_file: Path | None
) -> None:
    """Issue a fresh form (a new issue id) to each department; returns of the old one
    still count."""
    from xltool.round.campaign import reissue
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    for path in reissue(c, list(codes), c.key(key_file)):
        click.echo(t("wrote", path=visible(path)))


@campaign.command("add", context_settings=CONTEXT)
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--indicators",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An indicators file with the new departments' rows (replaces the campaign's copy).",
)
@campaign_option
@key_option
def campaign_add(
    roster: Path, indicators: Path | None, campaign_dir: Path | None, key_file: Path | None
) -> None:
    """Add the roster's new departments (each gets a form) and update the contacts of
    those already in the campaign.

    \b
    Example:
      xltool campaign add --roster 补充名单.xlsx --indicators 指标（补充后）.xlsx
    """
    from xltool.round.campaign import add

    c = open_campaign(campaign_dir)
    notes: list[tuple[str, str]] = []
    added, updated = add(c, roster, c.key(key_file), notes, indicators)
    _lines(notes)
    click.echo(t("campaign_added", added=len(added), updated=len(updated)))


@campaign.command("exempt", context_settings=CONTEXT)
@click.argument("code")
@click.option("--reason", required=True, help="Why (shown as 免报 with this reason).")
@campaign_option
def campaign_exempt(code: str, reason: str, campaign_dir: Path | None) -> None:
    """Take a department out of the round: shown as 免报, never reminded, not in totals."""
    from xltool.round.campaign import exempt
    from xltool.safeio import visible

    exempt(open_campaign(campaign_dir), code, reason)
    click.echo(t("campaign_exempt", code=visible(code)))


@campaign.command("rebuild", context_settings=CONTEXT)
@campaign_option
@key_option
def campaign_rebuild(campaign_dir: Path | None, key_file: Path | None) -> None:
    """Recreate ledger.sqlite from the folder alone (every return verified again)."""
    from xltool.round.rebuild import rebuild
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    rebuild(c, c.key(key_file))
    click.echo(t("wrote", path=visible(c.ledger_path)))


@campaign.command("assign", context_settings=CONTEXT)
@click.argument("which", metavar="RETURN")
@click.argument("target", metavar="CODE")
@campaign_option
@key_option
def campaign_assign(
    which: str, target: str, campaign_dir: Path | None, key_file: Path | None
) -> None:
    """Move a stored return to a department by hand (a signature still decides).

    Recorded in the ledger as an event and kept through `campaign rebuild`. RETURN is its
    file name in inbox/ or its sha256 (a prefix of at least 8 hex digits).

    \b
    Examples:
      xltool campaign assign 3f9a2c1b 102
      xltool campaign assign 20250302-commerce.xlsx 102
    """
    from xltool.round.assign import assign
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    done = assign(c, which, target, key=c.key(key_file))
    _lines(done.notes)
    if done.moved:
        before = done.previous or ("未匹配" if current_lang() == "zh" else "unmatched")
        click.echo(visible(f"{done.file}: {before} → {done.code}"))


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.argument("paths", nargs=-1)
@click.option(
    "--received-at",
    help="When these files were received (YYYY-MM-DD or an ISO time) [default: each file's "
    "modification time, recorded as such; a message's own date for mail].",
)
@click.option(
    "--department", "assigned", help="Assign the file(s) to this 部门编码 by hand (unsigned files)."
)
@click.option(
    "--imap", "use_imap", is_flag=True, help="Also read new messages from the IMAP folder."
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="With --imap: messages from this date.",
)
@click.option("--move-to", help="With --imap: move processed messages to this folder.")
@click.option(
    "--reply", is_flag=True, help="Reply to each new return's sender (what to fix, or a receipt)."
)
@click.option(
    "--drafts",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --reply: write the replies as .eml drafts into DIR instead of sending.",
)
@click.option(
    "--insecure", is_flag=True, help="Do not verify server certificates (test servers only)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@jobs_option
@campaign_option
@key_option
def collect(
    paths: tuple[str, ...],
    received_at: str | None,
    assigned: str | None,
    use_imap: bool,
    since: Any,
    move_to: str | None,
    reply: bool,
    drafts: Path | None,
    insecure: bool,
    fmt: str,
    jobs: int | None,
    campaign_dir: Path | None,
    key_file: Path | None,
) -> None:
    """Take returned files into the campaign: store, verify, match, record.

    PATHS are files, folders, .zip files and saved messages (.eml). With --imap, new
    messages of the campaign's IMAP folder too (read without marking them read). Each
    workbook is kept in inbox/ exactly as received (the same bytes twice are one
    return), verified, matched to a department (a valid signed issue id of this campaign
    decides; otherwise a hand assignment, a reply to a message xltool sent, the sender's
    address in the roster, 表头, then the file name) and recorded; returns with findings
    get an annotated copy in annotated/. Exit 0: every input recorded and every new
    return passed; 1: a return to fix, an unmatched input or a message without a
    workbook; 2: usage error.

    \b
    Examples:
      xltool collect ~/下载/回收/
      xltool collect 商务局.xlsx --received-at 2025-03-02
      xltool collect 扫描件.xlsx --department 101
      xltool collect --imap --reply
      xltool collect 导出的邮件/*.eml --reply --drafts 回复草稿/
    """
    from xltool.mail.round import take_in
    from xltool.round.collect import exit_code

    _check_collect_options(paths, use_imap, since, move_to)
    c = open_campaign(campaign_dir)
    _check_received_at(received_at, c.zone)
    if insecure:
        warn_insecure()
    intake = take_in(
        c, list(paths), imap=use_imap, since=since, move_to=move_to, reply_to_senders=reply,
        drafts=drafts, insecure=insecure, received_at=received_at, assigned=assigned,
        jobs=jobs, key=c.key(key_file), progress=lambda n: progress(n, t("progress_verify")),
    )  # fmt: skip
    _print_collected(intake, fmt, current_lang())
    sys.exit(1 if intake.failed else exit_code(intake.outcomes))


def _check_collect_options(
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


def _check_received_at(received_at: str | None, zone: str) -> None:
    if not received_at:
        return
    from xltool.round.intake import utc_iso

    try:
        utc_iso(received_at, zone)
    except ValueError:
        raise XltoolError(
            f"--received-at「{received_at}」不是日期或时间（例如 2025-03-02 或 2025-03-02T14:30）",
            f"--received-at '{received_at}' is not a date or an ISO time",
        ) from None


def _print_collected(intake: Any, fmt: str, lang: str) -> None:
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
    zh = lang == "zh"
    name = o.item.source
    if not o.recorded:
        reason = o.reason[0 if zh else 1] if o.reason else ""
        return f"{name}：未收录（{reason}）" if zh else f"{name}: not recorded ({reason})"
    from xltool.render.status import MATCHED

    how = MATCHED[lang].get(o.matched_by or "", "")
    status = {
        "zh": {"ok": "通过", "invalid": "待修改", "unreadable": "待修改（无法读取）"},
        "en": {"ok": "passed", "invalid": "to fix", "unreadable": "to fix (unreadable)"},
    }[lang].get(o.status or "", o.status or "")
    seen = "" if o.new else ("（此前已收到）" if zh else " (received before)")
    counts = (
        f"，{o.errors} 个错误、{o.warnings} 个警告"
        if zh
        else f", {o.errors} errors, {o.warnings} warnings"
    )
    if o.code is None:
        reason = o.reason[0 if zh else 1] if o.reason else ""
        return (
            f"{name}：未匹配到部门（{reason}）{seen}"
            if zh
            else f"{name}: unmatched ({reason}){seen}"
        )
    who = f"{o.code} {o.department or ''}".strip()
    notes = "".join(("；" if zh else "; ") + (n[0] if zh else n[1]) for n in o.notes)
    if zh:
        return f"{name} → {who}（按{how}）：{status}{counts}{seen}{notes}"
    return f"{name} → {who} (by {how}): {status}{counts}{seen}{notes}"


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv", "xlsx"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@campaign_option
def status(fmt: str, output: Path | None, force: bool, campaign_dir: Path | None) -> None:
    """Where every department stands: 未报送, 逾期未报送, 待修改, 通过 or 免报.

    One row per department with its contacts, when its form was issued, how many
    returns came, its current return (the latest received) and the last that passed;
    counts per status; files that matched no department. Always exits 0.

    \b
    Examples:
      xltool status
      xltool status --format xlsx -o 报送进度.xlsx
      xltool status --format json > status.json
    """
    from xltool.checking.result import dumps
    from xltool.render import status as render
    from xltool.round.status import campaign_status
    from xltool.safeio import visible, write_atomic

    c = open_campaign(campaign_dir)
    with open_ledger(c) as ledger:
        st = campaign_status(c, ledger)
    lang = current_lang()
    if fmt == "xlsx":
        target = output or c.root / "报送进度.xlsx"
        write_atomic(target, lambda h: render.write_xlsx(h, st, lang), force)
        click.echo(t("wrote", path=visible(target)))
        return
    if fmt == "text" and output is None:
        from rich.console import Console

        render.render_text(
            Console(highlight=False, width=None if sys.stdout.isatty() else 200), st, lang
        )
        return
    text = dumps(st.to_json(lang)) if fmt == "json" else render.render_csv(st, lang)
    if output is None:
        click.echo(text)
        return
    data = text.encode("utf-8-sig" if fmt == "csv" else "utf-8")
    write_atomic(output, lambda h: h.write(data), force)
    click.echo(t("wrote", path=visible(output)))
