"""What every command shares: context settings, common options, the progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def campaign_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--campaign",
        "campaign_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The campaign folder [default: this folder or the nearest parent with campaign.yaml].",
    )(f)


def key_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--key-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The issuer key [default: $XLTOOL_KEY_FILE, else the user's config directory].",
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
