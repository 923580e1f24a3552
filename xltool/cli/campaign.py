"""The campaign's commands: ``campaign init|reissue|add|exempt|rebuild``, ``collect``,
``status``, and ``summary`` inside a campaign. Parsing and rendering only; the work is
in :mod:`xltool.round.campaign`, :mod:`xltool.round.intake` and :mod:`xltool.round.status`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from xltool.checking.result import dumps
from xltool.cli.common import (
    CONTEXT,
    I18nCommand,
    I18nGroup,
    campaign_option,
    jobs_option,
    key_option,
    progress,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang, t
from xltool.safeio import visible, write_atomic


def _lines(notes: list[tuple[str, str]]) -> None:
    for zh, en in notes:
        click.echo(visible(zh if current_lang() == "zh" else en), err=True)


def _open(campaign_dir: Path | None) -> Any:
    from xltool.round.folder import Campaign

    return Campaign.find(campaign_dir)


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

    c = _open(campaign_dir)
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

    c = _open(campaign_dir)
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

    exempt(_open(campaign_dir), code, reason)
    click.echo(t("campaign_exempt", code=visible(code)))


@campaign.command("rebuild", context_settings=CONTEXT)
@campaign_option
@key_option
def campaign_rebuild(campaign_dir: Path | None, key_file: Path | None) -> None:
    """Recreate ledger.sqlite from the folder alone (every return verified again)."""
    from xltool.round.rebuild import rebuild

    c = _open(campaign_dir)
    rebuild(c, c.key(key_file))
    click.echo(t("wrote", path=visible(c.ledger_path)))


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
    from xltool.reading.sniff import Limits
    from xltool.round.collect import exit_code

    _check_collect_options(paths, use_imap, since, move_to)
    c = _open(campaign_dir)
    _check_received_at(received_at, c.zone)
    limits = Limits()
    _warn_insecure(insecure)
    settings = _mail_settings(c) if use_imap or reply else None
    mailbox = _Mailbox(c, settings, since, move_to, insecure, limits) if use_imap else None
    given = {"received_at": received_at, "assigned": assigned, "jobs": jobs}
    messages, outcomes = _take_in(c, paths, mailbox, limits, key=c.key(key_file), **given)
    replies = _reply(c, settings, outcomes, drafts, insecure) if reply else []
    empty = [m for m in messages if not m.has_workbook]
    _print_collected(outcomes, empty, replies, fmt, current_lang())
    failed = empty or any(r.outcome == "send-failed" for r in replies)
    sys.exit(1 if failed else exit_code(outcomes))


def _take_in(
    c: Any, paths: tuple[str, ...], mailbox: Any, limits: Any, **given: Any
) -> tuple[list[Any], list[Any]]:
    """Saved messages, new IMAP messages and files → stored, verified and recorded;
    the IMAP messages are marked done only once every return of theirs is recorded."""
    from xltool.round.collect import collect as run
    from xltool.round.intake import items_from_paths

    messages = _saved_messages(paths, limits)
    if mailbox is not None:
        messages += mailbox.fetch()
    files = [p for p in paths if not p.lower().endswith(".eml")]
    items = items_from_paths(files, c, limits) if files else []
    items += [item for m in messages for item in m.items]
    try:
        with progress(len(items), t("progress_verify")) as advance:
            outcomes = run(c, [], items=items, progress=advance, **given)
        if mailbox is not None:
            mailbox.done(messages)
    finally:
        if mailbox is not None:
            mailbox.close()
    return messages, outcomes


def _mail_settings(c: Any) -> Any:
    from xltool.mail.settings import mail_settings

    return mail_settings(c.config)


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


def _saved_messages(paths: tuple[str, ...], limits: Any) -> list[Any]:
    """Messages saved from a mail client (.eml) among the inputs."""
    eml = [p for p in paths if p.lower().endswith(".eml")]
    if not eml:
        return []
    from xltool.mail.fetch import items_from_eml

    return items_from_eml(eml, limits)


class _Mailbox:
    """The campaign's IMAP folder for one collect run: fetch the new messages, then,
    once they are recorded, move them (--move-to) and remember the last UID."""

    def __init__(
        self, c: Any, settings: Any, since: Any, move_to: str | None, insecure: bool, limits: Any
    ) -> None:
        if settings is None or settings.imap is None:
            _no_imap()
        self.c, self.settings, self.move_to = c, settings, move_to
        self.since, self.insecure, self.limits = since, insecure, limits
        self.box: Any = None
        self.validity = 0

    def fetch(self) -> list[Any]:
        from xltool.mail.fetch import fetch_new
        from xltool.mail.settings import password

        with _ledger(self.c) as ledger:
            fetched, self.box, self.validity = fetch_new(
                self.settings, ledger, password(self.settings.imap), self.limits,
                since=self.since.date() if self.since else None, insecure=self.insecure,
                readonly=self.move_to is None,
            )  # fmt: skip
        return fetched

    def done(self, messages: list[Any]) -> None:
        uids = [m.uid for m in messages if m.uid is not None]
        if self.move_to:
            for uid in uids:
                self.box.move(uid, self.move_to)
        if uids:
            with _ledger(self.c) as ledger:
                ledger.set_imap_state(self.settings.imap.folder, self.validity, max(uids))

    def close(self) -> None:
        if self.box is not None:
            self.box.close()


def _print_collected(
    outcomes: list[Any], empty: list[Any], replies: list[Any], fmt: str, lang: str
) -> None:
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


def _no_imap() -> None:
    raise XltoolError("campaign.yaml 中没有 mail.imap 设置", "campaign.yaml has no mail.imap")


def _warn_insecure(insecure: bool) -> None:
    if insecure:
        click.secho(t("insecure"), err=True, fg="red", bold=True)


def _reply(
    c: Any, settings: Any, outcomes: list[Any], drafts: Path | None, insecure: bool
) -> list[Any]:
    from xltool.mail.jobs import Mailer, reply
    from xltool.mail.settings import password
    from xltool.round.folder import read_json

    # the sidecars of this run's new returns: sender, Message-ID, subject, references
    new = {
        o.sha256: read_json(c.inbox / f"{o.stored}.json") for o in outcomes if o.new and o.stored
    }
    keys = (
        "code",
        "status",
        "errors",
        "warnings",
        "execution_rate",
        "score",
        "annotated",
        "findings",
    )
    with _ledger(c) as ledger:
        rows = [
            {**new[row.sha256], **{k: getattr(row, k) for k in keys}}
            for row in ledger.returns()
            if row.sha256 in new
        ]
        mailer = Mailer(
            c, settings, ledger, password=lambda: password(settings.smtp), drafts=drafts,
            insecure=insecure,
        )  # fmt: skip
        try:
            return reply(mailer, rows)
        finally:
            mailer.close()


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
    from xltool.mail.jobs import send_forms

    outcomes = _mail_run(
        campaign_dir, drafts, dry_run, rate, insecure,
        lambda m: send_forms(m, only=list(only) or None, resend=resend),
    )  # fmt: skip
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
@click.option("--dry-run", is_flag=True, help="Say who would be reminded; send and write nothing.")
@mail_options
@campaign_option
def remind(
    statuses: str,
    min_interval: int,
    force: bool,
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
    from datetime import timedelta

    from xltool.mail.jobs import remind as run

    wanted = [s.strip() for s in statuses.split(",") if s.strip()]
    bad = [s for s in wanted if s not in ("missing", "overdue", "to-fix")]
    if bad:
        raise XltoolError(
            f"--status 只能是 missing、overdue、to-fix，现为 {'、'.join(bad)}",
            f"--status takes missing, overdue, to-fix; not {', '.join(bad)}",
        )
    outcomes = _mail_run(
        campaign_dir, drafts, dry_run, rate, insecure,
        lambda m: run(m, wanted, min_interval=timedelta(days=min_interval), force=force),
    )  # fmt: skip
    _report(outcomes, fmt)
    sys.exit(1 if any(d.outcome in ("not-sent", "send-failed") for d in outcomes) else 0)


def _mail_run(
    campaign_dir: Path | None,
    drafts: Path | None,
    dry_run: bool,
    rate: float | None,
    insecure: bool,
    job: Any,
) -> list[Any]:
    import dataclasses

    from xltool.mail.jobs import Mailer
    from xltool.mail.settings import password

    c = _open(campaign_dir)
    settings = _mail_settings(c)
    if rate is not None:
        settings = dataclasses.replace(settings, rate=rate)
    _warn_insecure(insecure)
    with _ledger(c) as ledger:
        mailer = Mailer(
            c, settings, ledger,
            password=lambda: password(settings.smtp) if settings.smtp else None,
            drafts=drafts, dry_run=dry_run, insecure=insecure,
        )  # fmt: skip
        try:
            return job(mailer)
        finally:
            mailer.close()


def _report(outcomes: list[Any], fmt: str) -> None:
    lang = current_lang()
    if fmt == "json":
        click.echo(dumps({"messages": [d.to_json(lang) for d in outcomes]}))
        return
    for d in outcomes:
        click.echo(visible(delivery_line(d, lang)))


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
    from xltool.render import status as render
    from xltool.round.status import campaign_status

    c = _open(campaign_dir)
    with _ledger(c) as ledger:
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


def campaign_summary(
    campaign_dir: Path | None,
    output: Path | None,
    force: bool,
    jobs: int | None,
    key_file: Path | None,
) -> None:
    """The roll-up of a campaign: every department, its current return or 未报送."""
    from xltool.checking.verify import verify_paths
    from xltool.render.summary import Row, write_summary
    from xltool.round.status import campaign_status

    c = _open(campaign_dir)
    spec = c.spec()
    key = c.key(key_file)
    with _ledger(c) as ledger:
        st = campaign_status(c, ledger)
    current = [d for d in st.departments if d.current]
    paths = [c.inbox / d.current.file for d in current]
    with progress(len(paths), t("progress_verify")) as advance:
        results = verify_paths(paths, spec=spec, key=key, jobs=jobs, progress=advance, batch=False)
    by_code = {d.code: r for d, r in zip(current, results, strict=True)}
    rows = [
        Row(by_code.get(d.code), d.code, d.department, d.label("zh"))
        for d in sorted(st.departments, key=lambda d: d.code)
    ]
    target = output or c.root / "汇总.xlsx"
    title = f"{c.config.get('title') or spec.name}汇总"
    write_atomic(
        target, lambda h: write_summary(h, results, spec, rows=rows, dupes=[], title=title), force
    )
    click.echo(t("wrote", path=visible(target)))


def register(main: click.Group) -> None:
    for command in (campaign, collect, status, send, remind):
        main.add_command(command)


def _ledger(c: Any) -> Any:
    from xltool.round.rebuild import open_ledger

    return open_ledger(c)
