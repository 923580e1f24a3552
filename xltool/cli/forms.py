"""Commands that describe and issue forms: ``new``, ``schema``, ``spec …``, ``key …``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from xltool.cli.common import (
    CONTEXT,
    I18nCommand,
    I18nGroup,
    key_option,
    notes_out,
    progress,
    spec_options,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang, t


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@spec_options(None, "Form kind [default: the --data file's kind, else dept-overall].")
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
    from xltool.keys import load_key
    from xltool.round.issue import issue_forms, plan_forms

    spec = load_spec(spec_file) if spec_file else load_builtin(kind or _data_kind(data_file))
    _one_way(department, roster)
    notes: list[tuple[str, str]] = []
    given = {"department": department, "year": year, "code": code, "roster": roster}
    forms = plan_forms(spec, indicators=indicators_file, data=data_file, notes=notes, **given)
    notes_out(notes)
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


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@spec_options("dept-overall", "Built-in form kind.")
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


@click.group(cls=I18nGroup, context_settings=CONTEXT)
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
    from xltool.safeio import write_atomic

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
    from xltool.safeio import visible

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


@click.group(cls=I18nGroup, context_settings=CONTEXT)
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
    from xltool.keys import init_key
    from xltool.paths import key_path

    path = init_key(key_path(key_file), force)
    click.echo(t("key_created", path=path))
