"""The command line: parse, call the library, render, exit (0 ok, 1 findings, 2 usage)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from xltool import __version__
from xltool.cli.common import CONTEXT, I18nGroup, assign_help_keys, listed_help, short_help
from xltool.errors import XltoolError
from xltool.i18n import current_lang, set_lang

# Each command lives in the module of its stage and is imported only when it runs (or when
# --help lists it); each imports its own work (openpyxl, XlsxWriter, pydantic …) inside the
# function, so `xltool --help` starts in a blink.
COMMANDS = {
    "new": "forms:new",
    "verify": "checking:verify",
    "export": "checking:export",
    "repair": "checking:repair",
    "import": "checking:import_",
    "summary": "summary:summary",
    "schema": "forms:schema",
    "spec": "forms:spec",
    "campaign": "round:campaign",
    "collect": "round:collect",
    "status": "round:status",
    "send": "mail:send",
    "remind": "mail:remind",
    "report": "reports:report",
    "recheck": "reports:recheck",
    "publish": "reports:publish",
    "doctor": "doctor:doctor",
    "key": "forms:key",
    "serve": "serve:serve",
    "portal": "serve:portal",
}


class _Group(I18nGroup):
    """Loads each command from its module on first use; turns every XltoolError into one
    line on stderr and exit code 2; takes ``--lang`` before or after the command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        if name not in self.commands:
            import importlib

            module, attr = COMMANDS[name].split(":")
            command = getattr(importlib.import_module(f"xltool.cli.{module}"), attr)
            command.help_key = name
            if isinstance(command, click.Group):
                assign_help_keys(command, name)
            self.commands[name] = command
        return self.commands[name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the help tables: a command module is imported only when
        its help is not in them (English help of a few commands lives in their docstring)."""
        rows = []
        for name in self.list_commands(ctx):
            limit = formatter.width - 6 - len(name)
            text = listed_help(name)
            if text is None:
                command = self.get_command(ctx, name)
                rows.append((name, command.get_short_help_str(limit) if command else ""))
            else:
                rows.append((name, short_help(text, limit)))
        with formatter.section("命令" if current_lang() == "zh" else "Commands"):
            formatter.write_dl(rows)

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


def run() -> None:
    """The ``xltool`` command. openpyxl imports numpy, when it is installed, only to
    accept numpy numbers written to cells; xltool never writes any, so the command goes
    without it (45 ms of every start on a machine that has numpy)."""
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]
    main()


if __name__ == "__main__":  # pragma: no cover
    run()
