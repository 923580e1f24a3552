"""What every command shares: context settings, common options, the progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pathlib import Path

from xltool.errors import XltoolError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def campaign_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--campaign",
        "campaign_dir",
        type=click.Path(file_okay=False, path_type=_path()),
        default=None,
        help="The campaign folder [default: this folder or the nearest parent with campaign.yaml].",
    )(f)


def key_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--key-file",
        type=click.Path(dir_okay=False, path_type=_path()),
        default=None,
        help="The issuer key [default: $XLTOOL_KEY_FILE, else the user's config directory].",
    )(f)


def jobs_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(1, 256),
        default=None,
        help="Worker processes [default: cores].",
    )(f)


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[Any], None]]:
    """A progress bar on stderr for batches, only when stderr is a terminal."""
    if total < 2 or not sys.stderr.isatty():
        yield lambda _path: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda _path: bar.advance(task)


# --- help in the chosen language --------------------------------------------------------

_CLICK_WORDS = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Arguments": "参数",
    "default: ": "默认：",
    "required": "必填",
}


def _lang() -> str:
    from xltool.i18n import current_lang

    return current_lang()


def help_key(ctx: click.Context) -> str:
    """``campaign init`` for ``xltool campaign init`` (whatever the program's name)."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def _text(key: str, fallback: str | None, option: str | None = None) -> str | None:
    from xltool.cli.help_text import EN, ZH, lookup

    found = lookup(ZH if _lang() == "zh" else EN, key, option)
    return found if found is not None else fallback


def _zh_extras(text: str) -> str:
    if _lang() != "zh":
        return text
    for en, zh in _CLICK_WORDS.items():
        text = text.replace(f"[{en}", f"[{zh}")
    return text


def short_help(text: str | None, limit: int = 45) -> str:
    """The first sentence of a help text, as a group lists its commands."""
    first = (text or "").strip().split("\n\n")[0].replace("\n", " ")
    stop = first.find("。") if _lang() == "zh" else -1
    if stop > 0:
        first = first[: stop + 1]
    return first if len(first) <= limit + 20 else first[: limit + 17] + "…"


def listed_help(key: str) -> str | None:
    """A command's help text from the help tables, without importing the command."""
    return _text(key, None)


class I18nMixin:
    """Help text, option help, headings and the usage line in the chosen language."""

    help: str | None

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        prefix = "用法：" if _lang() == "zh" else "Usage: "
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        import inspect

        text = _text(help_key(ctx), self.help)
        if text:
            text = inspect.cleandoc(text).partition("\f")[0]
            if _lang() == "zh":  # Chinese lines join without a space
                text = "\n\n".join(
                    p if p.startswith("\b") else p.replace("\n", "") for p in text.split("\n\n")
                )
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def get_short_help_str(self, limit: int = 45) -> str:
        key = getattr(self, "help_key", None)
        text = _text(key, self.help) if key is not None else self.help
        return short_help(text, limit)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        key = help_key(ctx)
        records = []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            record = param.get_help_record(ctx)
            if record is None:
                continue
            names, text = record
            own = getattr(param, "help", None) or ""
            option = next((o for o in getattr(param, "opts", []) if o.startswith("--")), None)
            translated = _text(key, None, option) if option else None
            if translated is not None:
                text = text.replace(own, translated, 1) if own else f"{translated}  {text}"
            records.append((names, _zh_extras(text)))
        if records:
            with formatter.section("选项" if _lang() == "zh" else "Options"):
                formatter.write_dl(records)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):  # type: ignore[attr-defined]
            cmd = self.get_command(ctx, name)  # type: ignore[attr-defined]
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("命令" if _lang() == "zh" else "Commands"):
                formatter.write_dl(rows)


class I18nCommand(I18nMixin, click.Command):
    pass


class I18nGroup(I18nMixin, click.Group):
    command_class = I18nCommand

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        I18nMixin.format_options(self, ctx, formatter)


I18nGroup.group_class = I18nGroup


def assign_help_keys(group: click.Group, path: str = "") -> None:
    """Each command knows its path, for the short help a group lists."""
    for name, cmd in group.commands.items():
        key = f"{path} {name}".strip()
        cmd.help_key = key  # type: ignore[attr-defined]
        if isinstance(cmd, click.Group):
            assign_help_keys(cmd, key)


_USAGE_ERRORS = [
    (r"Missing argument '(.+)'\.?", "缺少参数 {0}"),
    (r"Missing option '(.+)'\.?", "缺少选项 {0}"),
    (
        r"No such option:? '?([^'\s.]+)'?\.?(?: \(?Did you mean(?: one of:)? (.+?)\?\)?)?",
        "没有选项 {0}；是否应为 {1}？",
    ),
    (r"No such command '(.+)'\.?", "没有命令「{0}」"),
    (r"Got unexpected extra arguments? \((.+)\)", "多余的参数：{0}"),
    (r"Invalid value for (.+?): (.+)", "{0} 的值无效：{1}"),
    (r"Option '(.+)' requires an argument\.?", "选项 {0} 需要一个值"),
]


_VALUE_ERRORS = [
    (r"'(.*)' is not a valid integer(?: range)?\.?", "「{0}」不是有效的整数"),
    (r"'(.*)' is not a valid float(?: range)?\.?", "「{0}」不是有效的数字"),
    (r"'(.*)' is not one of (.+)\.?", "「{0}」不是可选值之一：{1}"),
    (r"'?(.*?)'? is not in the range (.+)\.?", "{0} 超出范围 {1}"),
    (r"'(.*)' does not match the formats? (.+)\.?", "「{0}」不符合格式 {1}"),
    (r"(?:File|Directory|Path) '(.+)' does not exist\.?", "{0} 不存在"),
    (r"(?:File|Path) '(.+)' is a directory\.?", "{0} 是文件夹"),
]


def usage_error_text(message: str) -> str:
    """click's own usage errors, in Chinese when that is the language."""
    import re

    if _lang() != "zh":
        return message
    for pattern, template in _USAGE_ERRORS:
        match = re.fullmatch(pattern, message.strip())
        if match:
            groups = [g or "" for g in match.groups()]
            if template.startswith("{0} 的值无效"):
                groups[0] = groups[0].replace("'", "").replace(" / ", "/")
                for value_pattern, value_template in _VALUE_ERRORS:
                    found = re.fullmatch(value_pattern, groups[1].strip())
                    if found:
                        groups[1] = value_template.format(*found.groups())
                        break
            return template.format(*groups).replace("；是否应为 ？", "")
    return message


def show_usage_error(self: click.UsageError, file: Any = None) -> None:
    """click prints usage errors in English; this prints them in the chosen language."""
    zh = _lang() == "zh"
    if self.ctx is not None:
        click.echo(self.ctx.get_usage(), file=file, err=True)
        path = self.ctx.command_path
        hint = f"运行「{path} --help」查看用法。" if zh else f"Try '{path} --help' for help."
        click.echo(hint, file=file, err=True)
    label = "错误" if zh else "Error"
    click.echo(
        f"{label}：{usage_error_text(self.format_message())}"
        if zh
        else f"{label}: {self.format_message()}",
        file=file,
        err=True,
    )


click.UsageError.show = show_usage_error  # type: ignore[method-assign]


def spec_options(kind_default: str | None, kind_help: str) -> Callable[..., Any]:
    """--kind and --spec, shared by the commands that take a form kind."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(
            "--spec",
            "spec_file",
            type=click.Path(dir_okay=False, path_type=_path()),
            help="A spec file for a kind outside the package.",
        )(f)
        return click.option(
            "--kind", default=kind_default, show_default=kind_default is not None, help=kind_help
        )(f)

    return decorate


def nothing_to_do(what: str) -> XltoolError:
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


def spec_or_none(kind: str | None, spec_file: Path | None) -> Any:
    """The spec --spec or --kind names; None lets each file's metadata decide."""
    from xltool.forms.kinds import load_builtin, load_spec

    if spec_file:
        return load_spec(spec_file)
    return load_builtin(kind) if kind else None


def open_campaign(campaign_dir: Path | None) -> Any:
    """The campaign folder given, else this folder or the nearest parent with one."""
    from xltool.round.folder import Campaign

    return Campaign.find(campaign_dir)


def open_ledger(campaign: Any) -> Any:
    from xltool.round.rebuild import open_ledger as opened

    return opened(campaign)


def warn_insecure() -> None:
    from xltool.i18n import t

    click.secho(t("insecure"), err=True, fg="red", bold=True)


def _path() -> type:
    """pathlib.Path, imported when an option that takes a path is declared (not for the
    top-level --help, which declares none)."""
    from pathlib import Path

    return Path


def say(zh: str, en: str, err: bool = False) -> None:
    """One line in the chosen language, every control character in it made visible."""
    from xltool.safeio import visible

    click.echo(visible(zh if _lang() == "zh" else en), err=err)


def notes_out(notes: list[tuple[str, str]]) -> None:
    """What a run noticed, as (zh, en) pairs, on stderr."""
    for zh, en in notes:
        say(zh, en, err=True)
