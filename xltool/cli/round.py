"""The round's commands: ``campaign init|reissue|add|exempt|rebuild``, ``collect`` and
``status``. Parsing and rendering only; the work is in :mod:`xltool.round` and
:mod:`xltool.mail.round`."""

from __future__ import annotations

import os
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
    notes_out,
    open_campaign,
    open_ledger,
    progress,
    warn_insecure,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang, t


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
@click.option(
    "--projects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or XLSX project list: project code, name and department code, optionally "
    "implementing unit, leader, phone, category (first/second level), amounts. One project "
    "form per project.",
)
@click.option(
    "--project-indicators",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or XLSX of the project forms' indicators; a project code column gives a "
    "project its own rows.",
)
@click.option(
    "--forms",
    "roles",
    help="Which forms: dept, project or dept,project [default: dept, plus project with --projects].",
)
@click.option("--year", type=click.IntRange(1990, 2200), help="Year (年度) of the evaluation.")
@click.option(
    "--deadline",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day to return (inclusive, to the end of the day in Asia/Shanghai).",
)
@click.option("--title", help="The campaign's title [default: 年度 + the form's name].")
@click.option(
    "--with-report", is_flag=True, help="Also issue each department its report template (.docx)."
)
@key_option
def campaign_init(
    folder: Path,
    roster: Path,
    indicators: Path | None,
    kind: str | None,
    spec_file: Path | None,
    projects: Path | None,
    project_indicators: Path | None,
    roles: str | None,
    year: int | None,
    deadline: Any,
    title: str | None,
    with_report: bool,
    key_file: Path | None,
) -> None:
    """Create a campaign folder and issue every form it asks for, signed, into issued/:
    each department's own form and, with --projects, one form per project.

    Creates the issuer key if there is none (forms of a campaign are always signed);
    campaign.yaml records the key's id, never the key.

    \b
    Examples:
      xltool campaign init round-2025 --roster roster.xlsx --indicators indicators.xlsx
      xltool campaign init all-2025 --roster roster.xlsx --projects projects.xlsx \\
                           --project-indicators project-indicators.xlsx
    """
    from xltool.round.campaign import init
    from xltool.round.formset import parse_roles
    from xltool.safeio import visible

    notes: list[tuple[str, str]] = []
    with progress(2, t("progress_new")) as advance:
        made = init(
            folder,
            roster=roster,
            indicators=indicators,
            kind=kind,
            spec_file=spec_file,
            projects=projects,
            project_indicators=project_indicators,
            forms=parse_roles(roles) if roles else None,
            year=year,
            deadline=deadline.date() if deadline else None,
            title=title,
            key_file=key_file,
            notes=notes,
            progress=advance,
        )
    notes_out(notes)
    if with_report:
        from xltool.round.reports_issue import issue_reports

        issue_reports(made, made.key(key_file))
    n = len(made.departments())
    click.echo(t("campaign_created", dir=visible(folder), n=n))
    if len(made.projects()):
        click.echo(t("campaign_projects", n=len(made.forms()), projects=len(made.projects())))


@campaign.command("reissue", context_settings=CONTEXT)
@click.argument("codes", nargs=-1, required=True)
@campaign_option
@key_option
def campaign_reissue(
    codes: tuple[str, ...], campaign_dir: Path | None, key_file: Path | None
) -> None:
    """Issue a fresh form (a new issue id) for each department (all its forms) or form
    (D01/P0003); returns of the old one still count."""
    from xltool.round.campaign import reissue
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    for path in reissue(c, list(codes), c.key(key_file)):
        click.echo(t("wrote", path=visible(path)))


@campaign.command("add", context_settings=CONTEXT)
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--projects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A project list with projects added later (each gets its form; nothing sent is touched).",
)
@click.option(
    "--indicators",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An indicators file with the new departments' rows (replaces the campaign's copy).",
)
@campaign_option
@key_option
def campaign_add(
    roster: Path | None,
    projects: Path | None,
    indicators: Path | None,
    campaign_dir: Path | None,
    key_file: Path | None,
) -> None:
    """Add the roster's new departments (each gets a form) and update the contacts of
    those already in the campaign.

    \b
    Example:
      xltool campaign add --roster more.xlsx --indicators indicators-2.xlsx
      xltool campaign add --projects more-projects.xlsx
    """
    from xltool.round.campaign import add

    if roster is None and projects is None:
        raise XltoolError("请给出 --roster 或 --projects", "give --roster or --projects")
    c = open_campaign(campaign_dir)
    notes: list[tuple[str, str]] = []
    added, updated = add(c, roster, c.key(key_file), notes, indicators, projects)
    notes_out(notes)
    click.echo(t("campaign_added", added=len(added), updated=len(updated)))


@campaign.command("exempt", context_settings=CONTEXT)
@click.argument("code")
@click.option("--reason", required=True, help="Why (shown as 免报 with this reason).")
@campaign_option
def campaign_exempt(code: str, reason: str, campaign_dir: Path | None) -> None:
    """Take a department, or one form (D01/P0003), out of the round: shown as exempt,
    never reminded, not in totals or coverage."""
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
    notes_out(done.notes)
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
    get an annotated copy in annotated/. One line per input: collected, received
    before, refused (and why) or unmatched; an odd input is refused alone. Exit 0:
    every input recorded and every new return passed; 1: a return to fix, an
    unmatched or refused input, or a message without a workbook; 2: usage error, or
    the ledger held by another program past XLTOOL_LEDGER_WAIT seconds.

    \b
    Examples:
      xltool collect ~/下载/回收/
      xltool collect 商务局.xlsx --received-at 2025-03-02
      xltool collect 扫描件.xlsx --department 101
      xltool collect --imap --reply
      xltool collect 导出的邮件/*.eml --reply --drafts 回复草稿/
    """
    from xltool.cli.round_io import check_collect_options, check_received_at, print_collected
    from xltool.mail.round import take_in
    from xltool.round.collect import exit_code

    check_collect_options(paths, use_imap, since, move_to)
    c = open_campaign(campaign_dir)
    check_received_at(received_at, c.zone)
    if insecure:
        warn_insecure()
    intake = take_in(
        c, list(paths), imap=use_imap, since=since, move_to=move_to, reply_to_senders=reply,
        drafts=drafts, insecure=insecure, received_at=received_at, assigned=assigned,
        jobs=jobs, key=c.key(key_file), progress=lambda n: progress(n, t("progress_verify")),
    )  # fmt: skip
    print_collected(intake, fmt, current_lang())
    sys.exit(1 if intake.failed else exit_code(intake.outcomes))


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
@click.option(
    "--wide", is_flag=True, help="Text: every column (contacts, issued, late, matched by …)."
)
@click.option("--department", help="List one department's forms (its code), each with its status.")
@campaign_option
def status(
    fmt: str,
    output: Path | None,
    force: bool,
    wide: bool,
    department: str | None,
    campaign_dir: Path | None,
) -> None:
    """Where every department stands: 未报送, 逾期未报送, 待修改, 通过 or 免报.

    One row per department: on a terminal its code, name, status, delivery of its
    form, returns, last received and score, cut to the terminal's width (COLUMNS), and
    with --wide its contacts, when its form was issued, its current return (the latest
    received) and the last that passed too; counts per status; files that matched no
    department. Exit 0 whatever the statuses; 2 when the campaign cannot be read, or its
    ledger stays locked by another program past XLTOOL_LEDGER_WAIT seconds (default 10):
    one line says so.

    \b
    Examples:
      xltool status
      xltool status --format xlsx -o 报送进度.xlsx
      xltool status --format json > status.json
      xltool status --department D01            # one department's forms
    """
    from xltool.cli.round_io import terminal_width
    from xltool.render import status as render
    from xltool.round.folder import ledger_guard
    from xltool.round.status import campaign_status
    from xltool.safeio import visible, write_atomic

    c = open_campaign(campaign_dir)
    with ledger_guard(c), open_ledger(c) as ledger:
        st = campaign_status(c, ledger)
    lang = current_lang()
    if fmt == "xlsx":
        target = output or c.root / "报送进度.xlsx"
        write_atomic(target, lambda h: render.write_xlsx(h, st, lang), force)
        click.echo(t("wrote", path=visible(target)))
        return
    if department is None and fmt == "text" and output is None:
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        shown = render.status_text(st, lang, width=terminal_width(), wide=wide, colour=colour)
        click.echo(shown, nl=False)
        return
    from xltool.round.reports_intake import report_status

    # each department's 评价报告 (read only for the views that show them)
    reports = report_status(c, lang, st)
    if department is not None:
        from xltool.render.status_forms import department_text

        code = c.department(department)["code"]
        click.echo(department_text(st, code, lang, reports.get(code)), nl=False)
        return
    _status_out(st, lang, fmt, output, force, reports)


def _status_out(
    st: Any, lang: str, fmt: str, output: Path | None, force: bool, reports: dict[str, Any]
) -> None:
    """``status`` as JSON or CSV, on stdout or into ``output``."""
    from xltool.checking.result import dumps
    from xltool.render import status as render
    from xltool.safeio import visible, write_atomic

    text = (
        dumps(st.to_json(lang, reports or None)) if fmt == "json" else render.render_csv(st, lang)
    )
    if output is None:
        click.echo(text)
        return
    data = text.encode("utf-8-sig" if fmt == "csv" else "utf-8")
    write_atomic(output, lambda h: h.write(data), force)
    click.echo(t("wrote", path=visible(output)))
