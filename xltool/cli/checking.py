"""Commands over returned files: ``verify``, ``export``, ``repair``, ``import``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from xltool.cli.common import (
    CONTEXT,
    I18nCommand,
    jobs_option,
    key_option,
    nothing_to_do,
    progress,
    spec_options,
    spec_or_none,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang, t
from xltool.limits import Limits


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@spec_options(None, "Read every file as this built-in kind [default: from the file].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines (one document on stdout).",
)
@jobs_option
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=60,
    show_default=True,
    help="Seconds per file.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=Limits.max_bytes,
    show_default=True,
    help="Largest input file.",
)
@click.option(
    "--annotate",
    "annotate_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write an annotated copy of each file into DIR (never over the input).",
)
@click.option("--force", is_flag=True, help="Overwrite existing annotated copies.")
@key_option
@click.option(
    "--max-cells",
    type=click.IntRange(1),
    default=Limits.max_cells,
    show_default=True,
    help="Most cells per workbook.",
)
def verify(
    paths: tuple[str, ...],
    kind: str | None,
    spec_file: Path | None,
    fmt: str,
    jobs: int | None,
    timeout: float,
    annotate_dir: Path | None,
    force: bool,
    key_file: Path | None,
    max_bytes: int,
    max_cells: int,
) -> None:
    """Check returned workbooks: recompute every total, find tampering, say what to fix.

    PATHS are files, directories (searched for *.xlsx and *.xlsm) or globs. Inputs are
    only read, never written. Exit code 0: every file ok; 1: any error or unreadable
    file; 2: usage error.

    \b
    Examples:
      xltool verify 回收/
      xltool verify 'returned/*.xlsx' --format json > report.json
      xltool --lang en verify form.xlsx
    """
    from xltool.checking.verify import Bounds, annotate_targets, collect_paths, verify_paths
    from xltool.keys import load_key

    spec = spec_or_none(kind, spec_file)
    files, skipped = collect_paths(paths, exclude=[annotate_dir] if annotate_dir else ())
    if not files:
        raise nothing_to_do("check")
    lang = current_lang()
    limits = Limits(max_bytes=max_bytes, max_cells=max_cells)
    with progress(len(files), t("progress_verify")) as advance:
        results = verify_paths(
            files,
            spec=spec,
            limits=limits,
            jobs=jobs,
            bounds=Bounds(seconds=timeout),
            progress=advance,
            key=load_key(key_file),
            annotate=annotate_targets(files, annotate_dir) if annotate_dir else None,
            lang=lang,
            force=force,
        )
    _show_results(results, fmt, skipped)
    sys.exit(0 if all(r.status == "ok" for r in results) else 1)


def _show_results(results: list[Any], fmt: str, skipped: list[str]) -> None:
    """verify's report: JSON on stdout, or each file and the summary for people."""
    from xltool.checking.result import dumps, report_json
    from xltool.safeio import visible

    lang = current_lang()
    for result in results:
        if result.annotated:
            click.echo(t("wrote", path=visible(result.annotated)), err=True)
    if fmt == "json":
        click.echo(dumps(report_json(results, lang)))
        return
    import shutil

    from xltool.render.terminal import file_text, summary_text

    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((160, 24)).columns if tty else 160
    for result in results:
        click.echo(file_text(result, lang, width=width, colour=tty))
    for path in skipped:
        click.echo(t("skipped_lock", path=visible(path)), err=True)
    click.echo(summary_text(results, lang))


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@spec_options(None, "Read every file as this built-in kind [default: from the file].")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file. JSON: default stdout. CSV: FILE gets the forms, FILE's stem + "
    "'-indicators.csv' the indicator rows.",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@jobs_option
def export(
    paths: tuple[str, ...],
    kind: str | None,
    spec_file: Path | None,
    fmt: str,
    output: Path | None,
    force: bool,
    jobs: int | None,
) -> None:
    """Export filled forms as data: JSON (one object per form) or two CSV tables.

    JSON carries each form's entered values keyed by defined name, its indicator rows in
    order, the recomputed totals and the findings; `xltool new --data` issues it back.
    CSV is UTF-8 with BOM (Excel opens the Chinese correctly), text that would run as a
    formula is neutralised.

    \b
    Examples:
      xltool export 回收/ -o 2025.json
      xltool export 回收/ --format csv -o 2025.csv     # 2025.csv + 2025-indicators.csv
    """
    from xltool.checking.result import dumps
    from xltool.checking.verify import collect_paths, verify_paths
    from xltool.forms.kinds import load_builtin
    from xltool.render.export import csv_tables, export_document
    from xltool.safeio import visible, write_atomic

    spec = spec_or_none(kind, spec_file)
    files, _skipped = collect_paths(paths, exclude=[output] if output else ())
    if not files:
        raise nothing_to_do("export")
    lang = current_lang()
    with progress(len(files), t("progress_verify")) as advance:
        results = verify_paths(files, spec=spec, jobs=jobs, progress=advance)
    if fmt == "json":
        text = dumps([export_document(r, lang) for r in results])
        if output is None:
            click.echo(text)
        else:
            write_atomic(output, lambda h: h.write(text.encode("utf-8")), force)
            click.echo(t("wrote", path=visible(output)))
    else:
        if output is None:
            raise click.UsageError("--format csv needs -o FILE (two tables are written)")
        table_spec = spec or load_builtin(next((r.kind for r in results if r.kind), "dept-overall"))
        forms, rows = csv_tables(table_spec, results, lang)
        second = output.with_name(output.stem + "-indicators.csv")
        for path, text in ((output, forms), (second, rows)):
            write_atomic(path, lambda h, text=text: h.write(text.encode("utf-8-sig")), force)
            click.echo(t("wrote", path=visible(path)))
    unreadable = [r for r in results if r.status == "unreadable"]
    for r in unreadable:
        click.echo(t("export_unreadable", path=visible(r.shown)), err=True)
    sys.exit(0 if not unreadable else 1)


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The repaired form.",
)
@spec_options(None, "Read the file as this built-in kind [default: from the file].")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def repair(src: Path, output: Path, kind: str | None, spec_file: Path | None, force: bool) -> None:
    """Re-issue a damaged returned form as a fresh one carrying the filer's entries.

    Formulas, protection, names and layout are restored from the spec; what could not
    be carried (text in a number field, a block that could not be recognised) is listed.
    The input is only read.

    \b
    Example:
      xltool repair 回收/商务局.xlsx -o 修复/商务局.xlsx
    """
    from xltool.checking.repair import repair_bounded
    from xltool.safeio import visible

    repaired = repair_bounded(src, output, spec_or_none(kind, spec_file), force)
    click.echo(t("wrote", path=visible(output)))
    _show_carried(repaired)


def _show_carried(repaired: Any) -> None:
    """What a fresh form did not carry, and what it carries otherwise than the file."""
    from xltool.safeio import visible

    lang = current_lang()
    if repaired.imported:
        click.echo(t("imported_as", kind=repaired.data.kind, evidence="、".join(repaired.evidence)))
    if repaired.dropped:
        click.echo(t("not_carried", n=len(repaired.dropped)))
        for item in repaired.dropped:
            click.echo("  " + visible(item.text(lang)))
    if repaired.changed:
        click.echo(t("changed", n=len(repaired.changed)))
        for item in repaired.changed:
            click.echo("  " + visible(item.text(lang)))


@click.command("import", cls=I18nCommand, context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("imported"),
    show_default=True,
    help="Folder for the imported forms (<name>-imported.xlsx).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The imported form, when importing one file.",
)
@spec_options(None, "Read every file as this kind [default: from the labels it carries].")
@click.option("--force", is_flag=True, help="Overwrite imported forms that exist.")
def import_(
    paths: tuple[str, ...],
    out_dir: Path,
    output: Path | None,
    kind: str | None,
    spec_file: Path | None,
    force: bool,
) -> None:
    """Turn forms xltool did not issue into forms in xltool's layout.

    Hand-typed copies, last year's file, a province's own template: each is read by what
    its labels and headings say, its kind decided by the columns and rows it has (or
    --kind), and written as a fresh form of that kind with live formulas, carrying every
    value that could be mapped. What could not be carried, and every stated figure the
    fresh form's formulas compute differently, is listed. The metadata says
    origin: imported and names the source file and its hash; no prefill is signed. Inputs
    are only read. Exit 0: every file imported; 1: a file could not be; 2: usage error.

    \b
    Examples:
      xltool import 去年的表/ --out 导入/
      xltool import 手填表.xlsx -o 导入/商务局.xlsx
      xltool import 四川样表.xlsx --kind project -o 项目.xlsx
    """
    from xltool.checking.verify import collect_paths
    from xltool.safeio import safe_stem, unique_names

    spec = spec_or_none(kind, spec_file)
    files, _skipped = collect_paths(paths, exclude=[out_dir] if output is None else ())
    if not files:
        raise nothing_to_do("import")
    if output is not None and len(files) != 1:
        raise XltoolError(
            f"-o 只能指定一个文件，而要导入 {len(files)} 个；多个请用 --out 目录",
            "--output names one file; use --out DIR for several",
        )
    suffix = "-导入" if current_lang() == "zh" else "-imported"
    names = unique_names([safe_stem(Path(p).stem) + suffix for p in files], ".xlsx")
    targets = [output] if output is not None else [out_dir / n for n in names]
    failed = sum(
        not _import_one(src, target, spec, force)
        for src, target in zip(files, targets, strict=True)
    )
    sys.exit(1 if failed else 0)


def _import_one(src: Path, target: Path, spec: Any, force: bool) -> bool:
    """One file, read in a bounded child process; a file that cannot be imported is
    one line on stderr and never stops the rest."""
    from xltool.checking.repair import repair_bounded
    from xltool.safeio import visible

    try:
        repaired = repair_bounded(src, target, spec, force, imported=True)
    except XltoolError as exc:
        click.echo(f"xltool: {visible(exc.text(current_lang()))}", err=True)
        return False
    click.echo(t("wrote", path=visible(target)))
    _show_carried(repaired)
    return True
