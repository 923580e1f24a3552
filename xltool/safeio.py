"""Nothing lost: outputs go to a temp file beside the target and are renamed into place;
an existing file is never replaced without ``force``. Windows-safe file names."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .errors import XltoolError

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
MAX_STEM = 120


class OutputExists(XltoolError):
    """The output file exists and --force was not given."""


def safe_stem(text: str, fallback: str = "form") -> str:
    """A file-name stem that Windows, macOS and Linux all accept."""
    stem = unicodedata.normalize("NFC", text)
    stem = _UNSAFE.sub("_", stem)
    stem = re.sub(r"\s+", " ", stem).strip().rstrip(". ")
    if not stem or set(stem) <= {"_", " ", "."}:
        stem = fallback
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem[:MAX_STEM]


def unique_names(stems: list[str], suffix: str) -> list[str]:
    """File names from stems, unique within the batch (case-insensitively, as on Windows)."""
    seen: set[str] = set()
    out = []
    for stem in stems:
        name, n = f"{stem}{suffix}", 2
        while name.casefold() in seen:
            name, n = f"{stem}-{n}{suffix}", n + 1
        seen.add(name.casefold())
        out.append(name)
    return out


@contextlib.contextmanager
def atomic_output(path: Path, force: bool = False) -> Iterator[IO[bytes]]:
    """Yield a temp file beside ``path``; on success rename it into place."""
    path = Path(path)
    if path.exists() and not force:
        raise OutputExists(f"{path} already exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~xltool-", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
        if force:
            os.replace(tmp, path)
        else:
            _link_no_clobber(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _link_no_clobber(tmp: Path, path: Path) -> None:
    # A hard link fails if the target appeared meanwhile; fall back where links are not supported.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputExists(f"{path} already exists (use --force to overwrite)") from None
    except OSError:
        if path.exists():
            raise OutputExists(f"{path} already exists (use --force to overwrite)") from None
        os.replace(tmp, path)


def write_atomic(path: Path, writer: Callable[[IO[bytes]], object], force: bool = False) -> None:
    with atomic_output(path, force) as handle:
        writer(handle)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
