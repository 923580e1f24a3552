"""Reports and results: ``report`` (the bureau's summary report), ``recheck sample|status|
take`` (抽查复核) and ``publish`` (PDFs for 信息公开). Parsing and rendering only; the
work is in :mod:`xltool.render.report`, :mod:`xltool.round.recheck` and
:mod:`xltool.render.publish`."""

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
    key_option,
    notes_out,
    open_campaign,
    say,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang, t


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="The report (.docx) [default: <title>结果汇总分析报告.docx in the campaign folder].",
)  # fmt: skip
@click.option("--pdf", is_flag=True, help="Also convert it to PDF through LibreOffice.")
@click.option("--force", is_flag=True, help="Overwrite the report if it exists.")
@campaign_option
@key_option
def report(
    output: Path | None, pdf: bool, force: bool, campaign_dir: Path | None, key_file: Path | None
) -> None:
    """Write the round's summary analysis report as a Word document (and PDF).

    Coverage and timeliness, scores and grades, budget execution, the indicators not met
    with the reasons departments gave, the problems and suggestions of their reports,
    and appendix tables, with charts. Every figure comes from the passed current
    returns, as `summary`. The template is templates/reports/summary.docx (a copy in
    the campaign's spec/ folder takes precedence). Exit 1 when --pdf could not be made.

    \b
    Examples:
      xltool report
      xltool report --pdf -o summary-2025.docx
    """
    from xltool.render.report import write_report
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    done = write_report(c, output, key=c.key(key_file), pdf=pdf, force=force)
    notes_out(done.notes)
    click.echo(t("wrote", path=visible(done.docx)))
    if done.pdf:
        click.echo(t("wrote", path=visible(done.pdf)))
    sys.exit(1 if pdf and done.pdf is None else 0)


@click.group(cls=I18nGroup, context_settings=CONTEXT)
def recheck() -> None:
    """Re-check a reproducible sample of the passed forms.

    \b
    Examples:
      xltool recheck sample --rate 20% --seed 2025
      xltool recheck take returned-recheck/*.xlsx
      xltool recheck status
    """


def _rate(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().rstrip("%")
    try:
        number = float(text)
    except ValueError:
        raise XltoolError(
            f"--rate「{value}」不是比例（例如 20%）", f"--rate '{value}' is not a rate (say 20%)"
        ) from None
    number = number / 100 if value.strip().endswith("%") or number > 1 else number
    if not 0 < number <= 1:
        raise XltoolError(
            f"--rate「{value}」应在 0 到 100% 之间", f"--rate '{value}' must be within 0–100%"
        )
    return number


def _seed(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.strip().isdigit() else value


@recheck.command("sample", context_settings=CONTEXT)
@click.option("--rate", help="The share of the passed forms to sample (20% or 0.2) [default: 20%].")
@click.option("--count", type=click.IntRange(1, 100000), help="Sample this many forms instead.")
@click.option("--seed", help="The random seed (recorded; the same seed gives the same sample).")
@click.option("--must", multiple=True, help="Always include this department code (repeatable).")
@click.option(
    "--by",
    default="kind",
    show_default=True,
    help="Strata: kind, department, grade (comma separated).",
)
@click.option("--weight", type=click.Choice(["budget"]), help="Draw larger budgets more often.")
@click.option("--force", is_flag=True, help="Draw again, replacing recheck.json and the forms.")
@campaign_option
@key_option
def recheck_sample(
    rate: str | None, count: int | None, seed: str | None, must: tuple[str, ...], by: str,
    weight: str | None, force: bool, campaign_dir: Path | None, key_file: Path | None,
) -> None:  # fmt: skip
    """Draw the sample and issue a re-check workbook for each sampled form.

    The seed, the method and the sample are kept in recheck.json; the workbooks go to
    recheck/issued/.
    """
    from xltool.round.recheck import recheck_sample
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    musts = [code.strip() for item in must for code in item.split(",") if code.strip()]
    strata = tuple(b.strip() for b in by.split(",") if b.strip())
    drawn = recheck_sample(c, key=c.key(key_file), rate=_rate(rate), count=count, seed=_seed(seed),
                   must=musts, by=strata, weight=weight, force=force)  # fmt: skip
    m = drawn.method
    say(f"种子 {drawn.seed}：从 {m['population']} 张通过的表中抽取 {m['size']} 张",
         f"seed {drawn.seed}: {m['size']} of {m['population']} passed forms sampled")  # fmt: skip
    for name, s in drawn.strata.items():
        say(
            f"  {name}：{s['sampled']}/{s['population']}",
            f"  {name}: {s['sampled']}/{s['population']}",
        )
    for member in drawn.members:
        flag = "（必抽）" if member["must"] else ""
        click.echo(
            visible(
                f"{member['code']} {member['department']}{flag} → recheck/issued/{member['issued']}"
            )
        )


@recheck.command("take", context_settings=CONTEXT)
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--received-at", help="When they were received (YYYY-MM-DD or an ISO time).")
@campaign_option
@key_option
def recheck_take(
    paths: tuple[Path, ...],
    received_at: str | None,
    campaign_dir: Path | None,
    key_file: Path | None,
) -> None:
    """Take returned re-check workbooks into the campaign (recheck/returned/)."""
    from xltool.limits import Limits
    from xltool.round.recheck_status import take_recheck
    from xltool.safeio import read_input, visible

    c = open_campaign(campaign_dir)
    key = c.key(key_file)
    failed = False
    for path in paths:
        taken = take_recheck(c, read_input(path, Limits().max_bytes), path.name,
                             received_at=received_at, source=str(path), key=key)  # fmt: skip
        failed |= taken.code is None
        click.echo(visible(taken.line(current_lang())))
    sys.exit(1 if failed else 0)


@recheck.command("status", context_settings=CONTEXT)
@click.option(
    "--threshold", type=float, default=10.0, show_default=True, help="Points of deviation to flag."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@campaign_option
@key_option
def recheck_status(
    threshold: float, fmt: str, campaign_dir: Path | None, key_file: Path | None
) -> None:
    """Self-score, re-check score, deviation and grade change of each sampled form.

    A deviation past the threshold, or a change of grade, is flagged (recheck-deviation).
    Always exits 0.
    """
    from xltool.checking.result import dumps
    from xltool.round.recheck_status import recheck_status as status_of
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    lang = current_lang()
    lines = status_of(c, threshold=threshold, key=c.key(key_file))
    if fmt == "json":
        click.echo(dumps({"threshold": threshold, "forms": [x.to_json(lang) for x in lines]}))
        return
    for x in lines:
        click.echo(visible(_status_line(x, lang)))
        for f in x.findings:
            click.echo(visible(f"  ! {f.message(lang)}"))


def _status_line(x: Any, lang: str) -> str:
    zh = lang == "zh"
    own = "—" if x.self_score is None else f"{x.self_score:g}"
    if x.recheck_score is None:
        if zh:
            return f"{x.code} {x.department}：自评 {own}（{x.self_grade}），待复核"
        return f"{x.code} {x.department}: self {own} ({x.self_grade}), not re-checked yet"
    grade = f"{x.self_grade}→{x.recheck_grade}" if x.grade_changed else x.self_grade
    dev = f"{x.deviation:+g}"
    if zh:
        return f"{x.code} {x.department}：自评 {own}，复核 {x.recheck_score:g}，偏差 {dev}，等级 {grade}"
    return f"{x.code} {x.department}: self {own}, re-check {x.recheck_score:g}, deviation {dev}, grade {grade}"


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.option("--kind", help="Only forms of this kind.")
@click.option(
    "-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    help="The folder for the PDFs [default: publish/ in the campaign folder].",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Write into a folder that holds PDFs already.")
@campaign_option
@key_option
def publish(
    kind: str | None,
    out_dir: Path | None,
    force: bool,
    campaign_dir: Path | None,
    key_file: Path | None,
) -> None:
    """One PDF per passed form (and its report), with an index, for publication.

    Fields the spec marks as not for publication (private_fields; by default the
    telephone and the project leader) are blank in the published copy only; the
    returns themselves are never touched. Needs LibreOffice.

    \b
    Examples:
      xltool publish
      xltool publish -o public-2025/
    """
    from xltool.render.publish import publish as run
    from xltool.safeio import visible

    c = open_campaign(campaign_dir)
    pub = run(c, out_dir or c.root / "publish", kind=kind, key=c.key(key_file), force=force)
    for item in pub.items:
        click.echo(
            visible(
                f"{item.code} {item.department} → {item.form}"
                + (f", {item.report}" if item.report else "")
            )
        )
    if pub.index:
        click.echo(t("wrote", path=visible(pub.index)))
