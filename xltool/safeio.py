"""Nothing lost: outputs go to a temp file beside the target and are renamed into place;
an existing file is never replaced without ``force``. Windows-safe file names."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from xltool.errors import XltoolError

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

    def __init__(self, path: Path) -> None:
        shown = shown_path(path)
        super().__init__(
            f"{shown} 已存在（确需覆盖请加 --force）",
            f"{shown} already exists (use --force to overwrite)",
        )


class InputTooLarge(OSError):
    """An input larger than the bound; nothing of it was read."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


class NotARegularFile(OSError):
    """A FIFO, device, socket or directory given as an input: never read (it can block)."""


def read_input(path: Path, max_bytes: int) -> bytes:
    """An untrusted input's bytes, read once: only a regular file (opened without
    blocking, checked on the open handle), and never more than ``max_bytes``."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(errno.EINVAL, "不是普通文件（管道、设备或套接字）")
        if info.st_size > max_bytes:
            raise InputTooLarge(info.st_size)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while we read
        raise InputTooLarge(len(data))
    return data


def is_regular(path: Path) -> bool:
    """True for a regular file (following links); never opens it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def shown_path(path: str | Path) -> str:
    """A path as text for any output: bytes that are not UTF-8 (a file unzipped from a
    Chinese Windows zip, say) become replacement characters instead of an error."""
    text = os.fspath(path)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


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


def unique_names(stems: list[str], suffix: str, taken: Iterable[str] = ()) -> list[str]:
    """File names from stems, unique within the batch and against ``taken`` (names
    already in the folder), case-insensitively, as on Windows."""
    seen: set[str] = {name.casefold() for name in taken}
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
        raise OutputExists(path)
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
        raise OutputExists(path) from None
    except OSError:
        if path.exists():
            raise OutputExists(path) from None
        os.replace(tmp, path)


def write_atomic(path: Path, writer: Callable[[IO[bytes]], object], force: bool = False) -> None:
    with atomic_output(path, force) as handle:
        writer(handle)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# C0 and C1 controls, DEL, and the characters that reorder or hide text (bidi
# overrides and isolates, line/paragraph separators, zero-width and BOM).
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def visible(text: object) -> str:
    """Text safe to print on a terminal: each control character shown as ``\\xNN`` or
    ``\\uNNNN`` (a line break as ``\\n``), never sent; paths that are not UTF-8 shown
    with replacement characters."""
    return _CONTROL.sub(_escape, shown_path(str(text)))


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == "\n":
        return "\\n"
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
