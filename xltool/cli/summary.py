"""``summary``: the roll-up of returned files, or of a campaign."""

from __future__ import annotations

from pathlib import Path

import click

from xltool.cli.common import (
    CONTEXT,
    I18nCommand,
    campaign_option,
    jobs_option,
    key_option,
    nothing_to_do,
    open_campaign,
    progress,
    spec_options,
    spec_or_none,
)
from xltool.errors import XltoolError
from xltool.i18n import t


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.argument("paths", nargs=-1)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The roll-up workbook [default in a campaign: 汇总.xlsx in its folder].",
)
@spec_options(None, "Read every file as this built-in kind [default: from the file].")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@jobs_option
@campaign_option
@key_option
def summary(
    paths: tuple[str, ...],
    output: Path | None,
    kind: str | None,
    spec_file: Path | None,
    force: bool,
    jobs: int | None,
    campaign_dir: Path | None,
    key_file: Path | None,
) -> None:
    """Roll every department's returned form up into one workbook.

    Given PATHS, one row per department: its latest return (by the workbook's own saved
    time, else the file's). Given no PATHS, inside a campaign folder: every department
    of the roster, its current return, and 未报送 for those that sent nothing.

    Sheets: 汇总 (one row per department; totals, averages and grades over the returns
    that passed, as live formulas; charts), 指标明细 (every indicator row), 问题清单 (every
    finding), 重复报送 (what was set aside, and which time decided).

    \b
    Examples:
      xltool summary 回收/ -o 2025汇总.xlsx
      xltool summary                      # inside a campaign folder
    """
    from xltool.checking.verify import collect_paths
    from xltool.render.rollup import roll_up_campaign, roll_up_files
    from xltool.safeio import visible

    bar = lambda n: progress(n, t("progress_verify"))  # noqa: E731
    if not paths:
        c = open_campaign(campaign_dir)
        target = roll_up_campaign(
            c, output, force=force, jobs=jobs, key=c.key(key_file), progress=bar
        )
        click.echo(t("wrote", path=visible(target)))
        return
    if output is None:
        raise XltoolError("请用 -o 指定汇总表的文件名", "name the roll-up workbook with -o FILE")
    files, _skipped = collect_paths(paths, exclude=[output])
    if not files:
        raise nothing_to_do("roll up")
    spec = spec_or_none(kind, spec_file)
    dupes = roll_up_files(files, output, spec=spec, jobs=jobs, force=force, progress=bar)
    click.echo(t("wrote", path=visible(output)))
    for d in dupes:
        click.echo(
            t("duplicate", who=visible(d.key), kept=visible(d.kept), n=len(d.dropped)), err=True
        )
