"""The documentation keeps up with the code: every command and subcommand and every
finding code appears in docs/, and every shell block marked runnable (a fenced block right
after a line ``<!-- runnable -->``) runs with bash in a fresh folder and exits 0."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FINDINGS_PAGE = DOCS / "findings.md"
MARKER = "<!-- runnable -->"
FENCE = re.compile(r"```(sh|bash|shell)?\s*$")
CATALOGUE_TABLE_ROW = re.compile(r"^\| `([a-z0-9-]+)` \|", re.M)

# The codes as the library registers them, in a process of their own (a test that adds a
# check family to this process must not count): the catalogue, plus the codes check
# families bring when their module is imported (the module moves with the package).
CODES_SCRIPT = """
import importlib, json
from xltool.findings import CATALOGUE
for name in ("xltool.forms.checks", "xltool.checks"):
    try:
        importlib.import_module(name)
        break
    except ModuleNotFoundError as e:
        if e.name is None or not name.startswith(e.name):
            raise
print(json.dumps(sorted(CATALOGUE)))
"""


def docs_text() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in sorted(DOCS.glob("*.md")))


# --- commands -----------------------------------------------------------------------------


def command_paths(
    group: click.Group, parent: click.Context | None = None, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every command and subcommand under ``group``, as words (``("campaign", "init")``).
    Asks the group through a context, so groups that load their commands lazily list them
    too."""
    ctx = click.Context(group, info_name=prefix[-1] if prefix else "xltool", parent=parent)
    found: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found += command_paths(command, ctx, path)
    return found


def documented(path: tuple[str, ...], text: str) -> bool:
    """``xltool campaign init`` or ```campaign init`` (backquoted, options may follow)."""
    words = re.escape(" ".join(path))
    return re.search(rf"xltool {words}(?![\w-])|`{words}(?=[` ])", text) is not None


def undocumented_commands(group: click.Group, text: str) -> list[str]:
    return [" ".join(path) for path in command_paths(group) if not documented(path, text)]


def test_every_command_and_subcommand_appears_in_the_docs() -> None:
    from xltool.cli import main

    paths = command_paths(main)
    assert ("verify",) in paths and ("campaign", "init") in paths, paths
    assert undocumented_commands(main, docs_text()) == []


# --- finding codes ------------------------------------------------------------------------


def catalogue_codes() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CODES_SCRIPT],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def undocumented_codes(codes: list[str], catalogue_page: str) -> list[str]:
    """Codes without a row of their own in the catalogue's table."""
    rows = set(CATALOGUE_TABLE_ROW.findall(catalogue_page))
    return [code for code in codes if code not in rows]


def test_every_finding_code_has_its_row_in_the_catalogue_page() -> None:
    codes = catalogue_codes()
    assert "file-unreadable" in codes and len(codes) > 10, codes
    page = FINDINGS_PAGE.read_text(encoding="utf-8")
    assert undocumented_codes(codes, page) == []
    # and the page lists no code the library no longer has
    assert sorted(set(CATALOGUE_TABLE_ROW.findall(page)) - set(codes)) == []


# --- runnable shell blocks ----------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # the line of the opening fence, 1-based
    text: str

    @property
    def name(self) -> str:
        return f"{shown(self.page)}:{self.line}"


def shown(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


def runnable_blocks(pages: list[Path]) -> list[Block]:
    blocks = []
    for page in pages:
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.strip() != MARKER:
                continue
            fence = i + 1
            assert fence < len(lines) and FENCE.fullmatch(lines[fence].strip()), (
                f"{page.name}:{i + 1}: {MARKER} must be followed by a ```sh fence"
            )
            end = next(
                (j for j in range(fence + 1, len(lines)) if lines[j].startswith("```")), None
            )
            assert end is not None, f"{page.name}:{fence + 1}: the runnable block is not closed"
            blocks.append(Block(page, fence + 1, "\n".join(lines[fence + 1 : end]) + "\n"))
    return blocks


BLOCKS = runnable_blocks([*sorted(DOCS.glob("*.md")), ROOT / "README.md"])


def block_env(home: Path) -> dict[str, str]:
    """The user's environment without anything of xltool's or where it keeps things; the
    venv's bin folder first on PATH, a fresh HOME."""
    dropped = {"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "APPDATA", "LOCALAPPDATA"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("XLTOOL_")}
    bins = [str(Path(sys.executable).parent)]
    if not (Path(sys.executable).parent / "xltool").exists():  # not installed as a script
        shim = home.parent / "shim"
        shim.mkdir(exist_ok=True)
        (shim / "xltool").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m xltool "$@"\n')
        (shim / "xltool").chmod(0o755)
        bins.append(str(shim))
    env["PATH"] = os.pathsep.join([*bins, env.get("PATH", "")])
    env["HOME"] = str(home)
    return env


def run_block(block: Block, tmp: Path) -> str | None:
    """Run the block with bash (``set -e``) in ``tmp/work``; None when it exits 0, else
    what failed: the page, the line and its text, and the output."""
    work, home = tmp / "work", tmp / "home"
    work.mkdir(parents=True)
    home.mkdir()
    failed_at = tmp / "failed-at"
    # line 1 of the script; the block starts on line 2
    script = f"set -e; trap 'echo $LINENO >\"{failed_at}\"' ERR\n{block.text}"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=work, env=block_env(home), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode == 0:
        return None
    lines = block.text.splitlines()
    where = f"{block.name} (the block's fence)"
    if failed_at.exists() and failed_at.read_text().strip().isdigit():
        n = int(failed_at.read_text()) - 1  # 1-based line within the block
        text = lines[n - 1] if 0 < n <= len(lines) else "?"
        where = f"{shown(block.page)}:{block.line + n}: {text}"
    return (
        f"runnable block {block.name} failed (exit {done.returncode}) at {where}\n"
        f"--- stdout (end) ---\n{done.stdout[-3000:]}\n--- stderr (end) ---\n{done.stderr[-3000:]}"
    )


def test_the_first_round_tutorial_is_runnable() -> None:
    assert any(block.page.name == "first-round.md" for block in BLOCKS), BLOCKS


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.name)
def test_a_runnable_block_runs(block: Block, tmp_path: Path) -> None:
    failure = run_block(block, tmp_path)
    assert failure is None, failure


# --- the checks above can fail ------------------------------------------------------------


def test_the_checks_report_what_is_missing(tmp_path: Path) -> None:
    group = click.Group(
        "xltool",
        commands=[
            click.Command("verify"),
            click.Command("ver"),
            click.Command("frobnicate"),
            click.Group("round", commands=[click.Command("open"), click.Command("close")]),
        ],
    )
    text = "Run `xltool verify FILE`, then `round open --now`; xltool verifying is no command."
    assert undocumented_commands(group, text) == ["frobnicate", "round close", "ver"]

    page = "| code | severity |\n|---|---|\n| `file-unreadable` | error |\nsee `made-up-code`\n"
    assert undocumented_codes(["file-unreadable", "made-up-code"], page) == ["made-up-code"]

    page_md = tmp_path / "page.md"
    page_md.write_text(f"# A page\n\n{MARKER}\n```sh\ntrue\nfalse\necho never\n```\n")
    (block,) = runnable_blocks([page_md])
    failure = run_block(block, tmp_path)
    assert failure is not None and "page.md:6: false" in failure, failure
    assert "never" not in failure.split("--- stdout (end) ---")[1]
