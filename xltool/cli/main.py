"""The command line: parse, call the library, render, exit (0 ok, 1 findings, 2 usage)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from xltool import __version__
from xltool.checking.result import dumps, report_json
from xltool.cli import campaign as campaign_cli
from xltool.cli.common import (
    CONTEXT,
    I18nGroup,
    assign_help_keys,
    campaign_option,
    jobs_option,
    key_option,
    progress,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang, set_lang, t
from xltool.keys import init_key, load_key
from xltool.limits import Limits
from xltool.paths import key_path
from xltool.safeio import visible, write_atomic

# Only what parsing needs is imported here: each command imports its own work (openpyxl,
# XlsxWriter, pydantic …), so `xltool --help` starts in a blink.


class _Group(I18nGroup):
    """Turns every XltoolError into one line on stderr and exit code 2; takes ``--lang``
    before or after the command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        lang, rest = None, []
        items = iter(args)
        for arg in items:
            if arg == "--":
                rest += [arg, *items]
                break
            if arg == "--lang":
                lang = next(items, None)
            elif arg.startswith("--lang="):
                lang = arg.split("=", 1)[1]
            else:
                rest.append(arg)
        if lang is not None:
            rest = ["--lang", lang, *rest]
        # the language is set before any help is printed, the group's own included
        set_lang(lang if lang in ("zh", "en") else os.environ.get("XLTOOL_LANG") or "zh")
        return super().parse_args(ctx, rest)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except XltoolError as exc:
            click.echo(f"xltool: {exc.text(current_lang())}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo(
                "xltool: 已中断" if current_lang() == "zh" else "xltool: interrupted", err=True
            )
            ctx.exit(130)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="xltool")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of messages (default: zh, or $XLTOOL_LANG).",
)
def main(lang: str | None) -> None:
    """xltool: issue Excel self-evaluation forms (绩效自评表) and verify the returned copies.

    \b
    Examples:
      xltool new                                   # a blank form in ./forms/
      xltool new --roster 部门名单.csv --year 2025 --indicators 指标.csv
      xltool verify returned/ --format json
    """
    set_lang(lang or os.environ.get("XLTOOL_LANG") or "zh")


def _spec_options(kind_default: str | None, kind_help: str) -> Callable[..., Any]:
    """--kind and --spec, shared by the commands that take a form kind."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(
            "--spec",
            "spec_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A spec file for a kind outside the package.",
        )(f)
        return click.option(
            "--kind", default=kind_default, show_default=kind_default is not None, help=kind_help
        )(f)

    return decorate


@main.command(context_settings=CONTEXT)
@_spec_options(None, "Form kind [default: the --data file's kind, else dept-overall].")
@click.option("--department", help="Department name (部门名称) for one form.")
@click.option("--code", help="Department code (部门编码) for one form.")
@click.option("--year", type=click.IntRange(1990, 2200), help="Year (年度) of the evaluation.")
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or XLSX with one department per row (部门名称/department required).",
)
@click.option(
    "--indicators",
    "indicators_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or XLSX of indicators: 一级指标,二级指标,三级指标,年度指标值,分值.",
)
@click.option(
    "--data",
    "data_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON form data (one form or a list), issued already filled.",
)
@click.option(
    "--spare-rows",
    type=click.IntRange(0, 200),
    default=None,
    help="Empty rows under every 二级指标 group [default: the spec's, 2].",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("forms"),
    show_default=True,
    help="Folder for the workbooks.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File name for a single form (instead of one derived from code and department).",
)
@click.option(
    "--password", default="", help="Sheet and structure protection password (none by default)."
)
@click.option("--force", is_flag=True, help="Overwrite existing workbooks.")
@key_option
def new(
    kind: str,
    spec_file: Path | None,
    department: str | None,
    code: str | None,
    year: int | None,
    roster: Path | None,
    indicators_file: Path | None,
    data_file: Path | None,
    spare_rows: int | None,
    out_dir: Path,
    output: Path | None,
    password: str,
    force: bool,
    key_file: Path | None,
) -> None:
    """Issue formatted, protected form workbooks with live formulas.

    \b
    With no options, writes a blank dept-overall form into ./forms/.
    Examples:
      xltool new
      xltool new --department 岳麓区商务局 --year 2025
      xltool new --roster 部门名单.xlsx --indicators 指标.csv --year 2025 --out 2025表
      xltool new --data sample_workbooks/yuelu-commerce-2019.json \
                 -o sample_workbooks/yuelu-commerce-2019.xlsx --force
    """
    from xltool.forms.kinds import load_builtin, load_spec
    from xltool.round.issue import issue_forms, plan_forms

    spec = load_spec(spec_file) if spec_file else load_builtin(kind or _data_kind(data_file))
    _one_way(department, roster)
    notes: list[tuple[str, str]] = []
    given = {"department": department, "year": year, "code": code, "roster": roster}
    forms = plan_forms(spec, indicators=indicators_file, data=data_file, notes=notes, **given)
    for zh, en in notes:
        click.echo(visible(zh if current_lang() == "zh" else en), err=True)
    if output and len(forms) != 1:
        raise XltoolError(
            f"-o 只能指定一个文件，而要生成 {len(forms)} 份表；多份请用 --out 目录",
            "--output names one file; use --out DIR for a batch",
        )
    options = {"force": force, "spare_rows": spare_rows, "password": password}
    with progress(len(forms), t("progress_new")) as advance:
        issued = issue_forms(
            spec,
            forms,
            output.parent if output else out_dir,
            names=[output.name] if output else None,
            key=load_key(key_file),
            prefill_keys=_roster_keys(forms) if roster else (),
            progress=advance,
            **options,
        )
    if len(issued) == 1:
        click.echo(t("issued_one", path=issued[0].path))
    else:
        click.echo(t("issued_many", n=len(issued), dir=out_dir))


def _one_way(department: str | None, roster: Path | None) -> None:
    if department and roster:
        raise XltoolError(
            "--department 与 --roster 不能同用：一个部门用 --department，多个部门用名单",
            "--department and --roster do not go together",
        )


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@_spec_options(None, "Read every file as this built-in kind [default: from the file].")
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

    spec = _spec_or_none(kind, spec_file)
    files, skipped = collect_paths(paths, exclude=[annotate_dir] if annotate_dir else ())
    if not files:
        raise _nothing("check")
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
    lang = current_lang()
    for result in results:
        if result.annotated:
            click.echo(t("wrote", path=visible(result.annotated)), err=True)
    if fmt == "json":
        click.echo(dumps(report_json(results, lang)))
        return
    from rich.console import Console

    from xltool.render.terminal import render_file, render_summary

    console = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    for result in results:
        render_file(console, result, lang)
    for path in skipped:
        click.echo(t("skipped_lock", path=visible(path)), err=True)
    render_summary(console, results, lang)


def _nothing(what: str) -> XltoolError:
    verb = {
        "check": ("校验", "check"),
        "import": ("导入", "import"),
        "export": ("导出", "export"),
        "roll up": ("汇总", "roll up"),
    }
    zh, en = verb[what]
    return XltoolError(
        f"没有可{zh}的文件：所给路径中没有 .xlsx、.xlsm、.xls、.et 或 .ods 文件",
        f"nothing to {en}: no spreadsheet files in the given paths",
    )


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@_spec_options(None, "Read every file as this built-in kind [default: from the file].")
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
    from xltool.checking.verify import collect_paths, verify_paths
    from xltool.forms.kinds import load_builtin
    from xltool.render.export import csv_tables, export_document

    spec = _spec_or_none(kind, spec_file)
    files, _skipped = collect_paths(paths, exclude=[output] if output else ())
    if not files:
        raise _nothing("export")
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


@main.command(context_settings=CONTEXT)
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The repaired form.",
)
@_spec_options(None, "Read the file as this built-in kind [default: from the file].")
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
    from xltool.checking.repair import repair as repair_form
    from xltool.reading.bounded import call_bounded

    if output.resolve() == src.resolve():
        raise XltoolError("输出文件不能是输入文件", "OUTPUT must not be the input file")
    spec = _spec_or_none(kind, spec_file)
    # the returned file is read in a child process, bounded like verify's workers
    repaired = call_bounded(repair_form, src, output, spec, force)
    click.echo(t("wrote", path=visible(output)))
    _show_carried(repaired)


def _show_carried(repaired: Any) -> None:
    """What a fresh form did not carry, and what it carries otherwise than the file."""
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


@main.command("import", context_settings=CONTEXT)
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
@_spec_options(None, "Read every file as this kind [default: from the labels it carries].")
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

    spec = _spec_or_none(kind, spec_file)
    files, _skipped = collect_paths(paths, exclude=[out_dir] if output is None else ())
    if not files:
        raise _nothing("import")
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
    from xltool.checking.repair import repair as repair_form
    from xltool.reading.bounded import call_bounded

    if target.resolve() == src.resolve():
        raise XltoolError("输出文件不能是输入文件", "OUTPUT must not be the input file")
    try:
        repaired = call_bounded(repair_form, src, target, spec, force, True)
    except XltoolError as exc:
        click.echo(f"xltool: {visible(exc.text(current_lang()))}", err=True)
        return False
    click.echo(t("wrote", path=visible(target)))
    _show_carried(repaired)
    return True


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The roll-up workbook [default in a campaign: 汇总.xlsx in its folder].",
)
@_spec_options(None, "Read every file as this built-in kind [default: from the file].")
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
    from xltool.checking.verify import collect_paths, verify_paths
    from xltool.render.summary import write_summary

    if not paths:
        from xltool.cli.campaign import campaign_summary

        campaign_summary(campaign_dir, output, force, jobs, key_file)
        return
    if output is None:
        raise XltoolError("请用 -o 指定汇总表的文件名", "name the roll-up workbook with -o FILE")
    spec = _spec_or_none(kind, spec_file)
    files, _skipped = collect_paths(paths, exclude=[output])
    if not files:
        raise _nothing("roll up")
    with progress(len(files), t("progress_verify")) as advance:
        results = verify_paths(files, spec=spec, jobs=jobs, progress=advance)
    dupes: list[Any] = []
    write_atomic(output, lambda h: dupes.extend(write_summary(h, results, spec)), force)
    click.echo(t("wrote", path=visible(output)))
    for d in dupes:
        click.echo(
            t("duplicate", who=visible(d.key), kept=visible(d.kept), n=len(d.dropped)), err=True
        )


@main.command(context_settings=CONTEXT)
@_spec_options("dept-overall", "Built-in form kind.")
def schema(kind: str, spec_file: Path | None) -> None:
    """Print the JSON Schema of a form kind's data (what export writes, new --data reads).

    \b
    Example:
      xltool schema > dept-overall.schema.json
    """
    from xltool.forms.kinds import load_builtin, load_spec
    from xltool.render.export import form_schema

    spec = load_spec(spec_file) if spec_file else load_builtin(kind)
    click.echo(json.dumps(form_schema(spec), ensure_ascii=False, indent=2))


def _spec_or_none(kind: str | None, spec_file: Path | None) -> Any:
    """The spec --spec or --kind names; None lets each file's metadata decide."""
    from xltool.forms.kinds import load_builtin, load_spec

    if spec_file:
        return load_spec(spec_file)
    return load_builtin(kind) if kind else None


def _data_kind(data_file: Path | None) -> str:
    """The kind a --data file names (its first form's), else dept-overall."""
    if data_file is not None:
        try:
            raw = json.loads(data_file.read_text(encoding="utf-8-sig"))
            first = raw[0] if isinstance(raw, list) and raw else raw
            if isinstance(first, dict) and isinstance(first.get("kind"), str):
                return first["kind"]
        except (OSError, ValueError):
            pass  # read_data reports it properly
    return "dept-overall"


def _roster_keys(forms: list[Any]) -> tuple[str, ...]:
    """Every field a roster set is the issuer's, and stays evidence."""
    return tuple(sorted({k for f in forms for k, v in f.fields.items() if v not in (None, "")}))


@main.group(cls=I18nGroup, context_settings=CONTEXT)
def spec() -> None:
    """Form kinds: list, show, copy and check the specs forms are made from.

    \b
    Examples:
      xltool spec list
      xltool spec show project
      xltool spec init my-dept --from dept-overall
      xltool spec check my-dept.yaml
    """


@spec.command("list", context_settings=CONTEXT)
def spec_list() -> None:
    """Every kind xltool knows (built in, and the issuer's own), with its version."""
    from xltool.forms.kinds import kind_paths, load_builtin
    from xltool.paths import templates_dir

    for kind, path in kind_paths().items():
        where = "built-in" if path.parent == templates_dir() else str(path)
        try:
            loaded = load_builtin(kind)
            click.echo(f"{kind}\tv{loaded.version}\t{loaded.name}\t{where}")
        except XltoolError as exc:
            click.echo(f"{kind}\t?\t{exc.text(current_lang())}\t{where}")


@spec.command("show", context_settings=CONTEXT)
@click.argument("kind")
def spec_show(kind: str) -> None:
    """Print a kind's spec file."""
    from xltool.forms.kinds import kind_paths, load_builtin

    load_builtin(kind)  # refuses an unknown kind with the known ones
    click.echo(kind_paths()[kind].read_text(encoding="utf-8"), nl=False)


@spec.command("init", context_settings=CONTEXT)
@click.argument("new_kind", metavar="NEW")
@click.option("--from", "from_kind", required=True, help="The kind to copy.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="[default: ./NEW.yaml]"
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def spec_init(new_kind: str, from_kind: str, output: Path | None, force: bool) -> None:
    """Write an editable copy of a kind's spec under a new name (version 1)."""
    import re

    from xltool.forms.kinds import kind_paths, load_builtin

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", new_kind):
        raise click.BadParameter("use lower-case letters, digits and '-'", param_hint="NEW")
    load_builtin(from_kind)
    text = kind_paths()[from_kind].read_text(encoding="utf-8")
    text = re.sub(r"(?m)^kind: .*$", f"kind: {new_kind}", text, count=1)
    text = re.sub(r"(?m)^version: .*$", "version: 1", text, count=1)
    header = f"# Copied from {from_kind} by xltool spec init; edit, then: xltool spec check {new_kind}.yaml\n"
    target = output or Path(f"{new_kind}.yaml")
    write_atomic(target, lambda h: h.write((header + text).encode("utf-8")), force)
    click.echo(t("wrote", path=target))


@spec.command("check", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def spec_check(file: Path) -> None:
    """Check a spec file: every error with file:line and what is allowed. Exit 1 if any."""
    from xltool.forms.kinds import load_spec, spec_errors

    errors = spec_errors(file)
    for error in errors:
        click.echo(visible(spec_error_text(error) if current_lang() == "zh" else error))
    if errors:
        sys.exit(1)
    loaded = load_spec(file)
    click.echo(t("spec_ok", kind=loaded.kind, version=loaded.version, path=file))


_SPEC_ERRORS_ZH = [
    (r"Field required", "缺少必填项"),
    (r"Extra inputs are not permitted", "不认识的键（不允许）"),
    (r"Input should be a valid integer[^(]*", "应为整数"),
    (r"Input should be a valid number[^(]*", "应为数字"),
    (r"Input should be a valid string", "应为文本"),
    (r"Input should be a valid boolean[^(]*", "应为 true 或 false"),
    (r"Input should be a valid (dictionary|list)[^(]*", "格式不对（应为映射或列表）"),
    (r"Input should be greater than or equal to (\S+)", r"应不小于 \1"),
    (r"Input should be (.+)", r"应为 \1"),
    (r"Value error, ", ""),
    (r"\(allowed: (.+)\)$", r"（可用：\1）"),
    (r"cannot read the spec", "无法读取表样文件"),
    (r"a spec is a YAML mapping", "表样文件应为 YAML 映射"),
    (r"a spec needs exactly one '(\w+)' block", r"表样需要且只能有一个 \1 块"),
    (r"extends unknown kind", "extends 引用了未知表样"),
]


def spec_error_text(line: str) -> str:
    """A spec error's message in Chinese (the file:line and the keys stay as they are)."""
    import re

    for pattern, replacement in _SPEC_ERRORS_ZH:
        line = re.sub(pattern, replacement, line)
    return line


@main.command(context_settings=CONTEXT)
def doctor() -> None:
    """What this machine has: Python, the packages xltool needs, LibreOffice (optional),
    the issuer key, the config and specs folders. Exit 1 when something needed is missing.

    \b
    Example:
      xltool doctor
    """
    import unicodedata

    from xltool.cli.doctor import checks

    def cells(text: str) -> int:  # CJK characters take two columns on a terminal
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    results = checks(current_lang())
    width = max(cells(name) for name, _found, _ok in results)
    for name, found, ok in results:
        mark = "✓" if ok else "✗"
        click.echo(f"{mark} {name}{' ' * (width - cells(name))}  {visible(found)}")
    sys.exit(0 if all(ok for _n, _f, ok in results) else 1)


@main.group(cls=I18nGroup, context_settings=CONTEXT)
def key() -> None:
    """The issuer key that signs issued forms (HMAC-SHA256).

    \b
    Examples:
      xltool key init
      xltool key init --key-file /secure/issuer.key
    """


@key.command("init", context_settings=CONTEXT)
@key_option
@click.option(
    "--force", is_flag=True, help="Replace an existing key (forms it signed then fail to verify)."
)
def key_init(key_file: Path | None, force: bool) -> None:
    """Create a random 32-byte issuer key, readable by its owner only (0600)."""
    path = init_key(key_path(key_file), force)
    click.echo(t("key_created", path=path))


campaign_cli.register(main)
assign_help_keys(main)


def run() -> None:
    """The ``xltool`` command. openpyxl imports numpy, when it is installed, only to
    accept numpy numbers written to cells; xltool never writes any, so the command goes
    without it (45 ms of every start on a machine that has numpy)."""
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]
    main()


if __name__ == "__main__":  # pragma: no cover
    run()
