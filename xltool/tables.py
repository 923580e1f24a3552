"""Read the issuer's tables (roster, indicators): CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX.

Headers may be the Chinese label or the key; cells come back as stripped text or numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InputError

Row = dict[str, Any]
_ZH = {"roster": "名单", "indicators": "指标"}


def read_table(path: Path, headers: Mapping[str, str], what: str) -> list[Row]:
    """Rows of a CSV or XLSX table with columns renamed to keys.

    ``headers`` maps every accepted heading (label or key) to its key. Unknown headings are
    refused, so a typo is not silently ignored.
    """
    if not path.is_file():
        raise InputError(f"找不到{_ZH[what]}文件 {path}", f"{what} file not found: {path}")
    raw_rows = _read_xlsx(path, what) if _is_zip(path) else _read_csv(path, what)
    if not raw_rows:
        raise InputError(f"{_ZH[what]}文件 {path} 是空的", f"{what} file {path} is empty")
    heading = [str(h).strip() if h is not None else "" for h in raw_rows[0]]
    keys: list[str | None] = []
    for h in heading:
        if not h:
            keys.append(None)
            continue
        if h not in headers and h.lower() not in headers:
            allowed = "、".join(sorted({k for k in headers if not k.isascii()}))
            raise InputError(
                f"{_ZH[what]}文件 {path}：未知的列「{h}」（可用：{allowed}，或对应的英文键）",
                f"{what} file {path}: unknown column '{h}' (allowed: {allowed} or their keys)",
            )
        keys.append(headers.get(h) or headers[h.lower()])
    dupes = {k for k in keys if k and keys.count(k) > 1}
    if dupes:
        twice = ", ".join(sorted(dupes))
        raise InputError(
            f"{_ZH[what]}文件 {path}：列重复：{twice}",
            f"{what} file {path}: column given twice: {twice}",
        )
    rows: list[Row] = []
    for raw in raw_rows[1:]:
        row = {k: _clean(v) for k, v in zip(keys, raw, strict=False) if k}
        if any(v not in (None, "") for v in row.values()):
            rows.append(row)
    return rows


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
