"""Read the issuer's tables (roster, indicators): CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX.

Headers may be the Chinese label or the key; cells come back as stripped text or numbers.
A title row or notes above the header are skipped; unknown columns are listed, not fatal.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltool.errors import InputError

Row = dict[str, Any]
_ZH = {"roster": "名单", "indicators": "指标", "projects": "项目清单"}


@dataclass
class Table:
    """A table's rows with columns renamed to keys, and the columns it ignored."""

    rows: list[Row]
    ignored: list[str] = field(default_factory=list)
    header_row: int = 1  # 1-based row of the header in the file
    lines: list[int] = field(default_factory=list)  # the file's row number of each row


HEADER_SEARCH_ROWS = 30


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).strip()


def read_table(path: Path, headers: Mapping[str, str], what: str) -> Table:
    """Rows of a CSV or XLSX table with columns renamed to keys.

    ``headers`` maps every accepted heading (label or key) to its key. The header row is
    the row among the first 30 that carries the most known headings, so a title row or
    notes above it are fine. A heading that is not known is ignored and listed, except
    one close to a known heading (部门代码 for 部门编码), which is refused with a
    suggestion, so a typo is never silently ignored.
    """
    if not path.is_file():
        raise InputError(f"找不到{_ZH[what]}文件 {path}", f"{what} file not found: {path}")
    raw_rows = _read_xlsx(path, what) if _is_zip(path) else _read_csv(path, what)
    if not raw_rows:
        raise InputError(f"{_ZH[what]}文件 {path} 是空的", f"{what} file {path} is empty")
    headings = _Headings(headers, path, what)
    best = headings.header_row(raw_rows)
    keys, ignored = headings.keys([str(h).strip() if h is not None else "" for h in raw_rows[best]])
    table = Table(rows=[], ignored=ignored, header_row=best + 1)
    for n, raw in enumerate(raw_rows[best + 1 :], start=best + 2):
        row = {k: _clean(v) for k, v in zip(keys, raw, strict=False) if k}
        if any(v not in (None, "") for v in row.values()):
            table.rows.append(row)
            table.lines.append(n)
    return table


class _Headings:
    """The headings a table may carry, and the errors about the ones it does."""

    def __init__(self, headers: Mapping[str, str], path: Path, what: str) -> None:
        self.known = {_norm(k): v for k, v in headers.items()} | {
            _norm(k).lower(): v for k, v in headers.items()
        }
        self.labels_zh = [k for k in headers if not k.isascii()]
        self.path, self.what = path, what

    def key_of(self, heading: str) -> str | None:
        return self.known.get(_norm(heading)) or self.known.get(_norm(heading).lower())

    def hits(self, row: list[Any]) -> int:
        return sum(1 for h in row if isinstance(h, str) and self.key_of(h))

    def header_row(self, raw_rows: list[list[Any]]) -> int:
        """The row among the first ones with the most known headings (the earliest wins)."""
        search = raw_rows[:HEADER_SEARCH_ROWS]
        best = max(range(len(search)), key=lambda i: (self.hits(search[i]), -i))
        if self.hits(search[best]) > 0:
            return best
        first = next((r for r in search if any(v not in (None, "") for v in r)), [])
        for h in first:
            self.refuse_if_close(str(h or ""))
        labels = "、".join(self.labels_zh[:6])
        raise InputError(
            f"{_ZH[self.what]}文件 {self.path}：前 {HEADER_SEARCH_ROWS} 行中找不到表头（应含 {labels} 等列）",
            f"{self.what} file {self.path}: no header row in the first {HEADER_SEARCH_ROWS} rows",
        )

    def keys(self, heading: list[str]) -> tuple[list[str | None], list[str]]:
        """Each column's key (None: ignored), and the headings ignored."""
        keys: list[str | None] = []
        ignored: list[str] = []
        for h in heading:
            key = self.key_of(h) if h else None
            if h and key is None:
                self.refuse_if_close(h)
                ignored.append(h)
            keys.append(key)
        dupes = {k for k in keys if k and keys.count(k) > 1}
        if dupes:
            twice = ", ".join(sorted(dupes))
            raise InputError(
                f"{_ZH[self.what]}文件 {self.path}：列重复：{twice}",
                f"{self.what} file {self.path}: column given twice: {twice}",
            )
        return keys, ignored

    def refuse_if_close(self, heading: str) -> None:
        """A heading close to a known one is a typo: refuse it with a suggestion."""
        close = difflib.get_close_matches(_norm(heading), self.labels_zh, 1, 0.7)
        if close:
            raise InputError(
                f"{_ZH[self.what]}文件 {self.path}：未知的列「{heading}」，是否应为「{close[0]}」？",
                f"{self.what} file {self.path}: unknown column '{heading}'; did you mean '{close[0]}'?",
            )


def _is_zip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"PK\x03\x04"


def _read_csv(path: Path, what: str) -> list[list[Any]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(
            f"{_ZH[what]}文件 {path} 不是 UTF-8 或 GBK 文本",
            f"{what} file {path}: not UTF-8 or GBK text",
        )
    if "\x00" in text:
        raise InputError(
            f"{_ZH[what]}文件 {path} 不是 CSV 或 XLSX 文件",
            f"{what} file {path}: not a CSV or XLSX file",
        )
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise InputError(
            f"{_ZH[what]}文件 {path} 无法按 CSV 读取：{exc}",
            f"{what} file {path}: unreadable CSV: {exc}",
        ) from None


def _read_xlsx(path: Path, what: str) -> list[list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()
            return [list(r) for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, OSError, SyntaxError) as exc:
        raise InputError(
            f"{_ZH[what]}文件 {path} 无法按 XLSX 读取：{exc}",
            f"{what} file {path}: unreadable XLSX: {exc}",
        ) from None


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
