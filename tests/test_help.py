"""Every command's --help in Chinese by default and in English under --lang en (before or
after the command, or XLTOOL_LANG); errors in the chosen language."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from xltool.cli import main

CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def commands(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += commands(cmd, (*path, name))
        else:
            out.append((*path, name))
    return out


@pytest.mark.parametrize("path", commands(), ids=lambda p: " ".join(p) or "xltool")
def test_help_in_both_languages(path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLTOOL_LANG", raising=False)
    runner = CliRunner()
    zh = runner.invoke(main, [*path, "--help"])
    assert zh.exit_code == 0 and "用法：" in zh.output and "选项" in zh.output
    assert len(CJK.findall(zh.output)) > 10, zh.output
    for args in ([*path, "--help", "--lang", "en"], ["--lang", "en", *path, "--help"]):
        en = runner.invoke(main, args)
        assert en.exit_code == 0 and "Usage:" in en.output
        assert not CJK.search(en.output), (args, CJK.findall(en.output)[:10], en.output)
    monkeypatch.setenv("XLTOOL_LANG", "en")
    assert "Usage:" in runner.invoke(main, [*path, "--help"]).output


@pytest.mark.parametrize(
    "args",
    [
        ["new", "--department", "甲", "--roster", "x.csv"],
        ["verify", "/no/such/file.xlsx"],
        ["new", "--roster", "/no/such/roster.csv"],
        ["status", "--campaign", "/no/such/folder"],
        ["summary", "/no/such"],
    ],
)
def test_errors_in_chinese_have_no_english_sentence(args: list[str], tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("XLTOOL_LANG", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    words = re.findall(r"\b[a-z]{3,}\b(?: [a-z]{3,}\b){2,}", result.stderr)
    assert not words, result.stderr  # three English words in a row: an English sentence
