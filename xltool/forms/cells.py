"""Cell places. Inside xltool a place is 0-based (row, col); A1 text exists only at the
edge: in formulas written, in findings shown, and when a workbook's own references are
parsed. Every conversion goes through here."""

from __future__ import annotations

import re
from functools import lru_cache

Pos = tuple[int, int]
"""A cell's place: 0-based (row, column)."""

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
MAX_COL = 16_384  # XFD
MAX_ROW = 1_048_576


@lru_cache(maxsize=1024)
def col_name(col: int, absolute: bool = False) -> str:
    """0 → ``A``, 27 → ``AB``."""
    if not 0 <= col < MAX_COL:
        raise ValueError(f"column {col} is outside a worksheet")
    name, n = "", col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        name = chr(65 + rem) + name
    return ("$" if absolute else "") + name


def a1(row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    """(0, 0) → ``A1``; with ``row_abs``/``col_abs``, ``$A$1``."""
    if not 0 <= row < MAX_ROW:
        raise ValueError(f"row {row} is outside a worksheet")
    return f"{col_name(col, col_abs)}{'$' if row_abs else ''}{row + 1}"


def col_index(name: str) -> int:
    """``A`` → 0, ``AB`` → 27 (``$`` allowed)."""
    n = 0
    for ch in name.lstrip("$").upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"'{name}' is not a column")
        n = n * 26 + ord(ch) - 64
    if not 0 < n <= MAX_COL:
        raise ValueError(f"'{name}' is not a column")
    return n - 1


def parse_a1(text: str) -> tuple[int, int]:
    """``B7`` or ``$B$7`` → (6, 1); ValueError for anything else."""
    m = _A1.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a cell")
    row = int(m.group(2))
    if not 0 < row <= MAX_ROW:
        raise ValueError(f"'{text}' is not a cell")
    return row - 1, col_index(m.group(1))


def range_a1(row: int, col: int, last_row: int, last_col: int, absolute: bool = False) -> str:
    """A block as ``A1:C3`` (one cell as ``A1``)."""
    first = a1(row, col, absolute, absolute)
    if (row, col) == (last_row, last_col):
        return first
    return f"{first}:{a1(last_row, last_col, absolute, absolute)}"
