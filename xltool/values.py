"""Reading numbers people type: ``2,863.29``, `` 2863.29 ``, ``2863.29万元``, ``１２３``,
``66.46%``. Each conversion is reported by the caller; nothing is guessed silently."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

# After NFKC: optional sign, digits with optional thousands separators, optional
# decimals, optional unit. "nan", "Infinity", "1_000" and "(123)" are not numbers here.
_NUMBER = re.compile(
    r"^(?P<sign>[-+−]?)\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?\s*"
    r"(?P<unit>%|万元|万|元|亿元|亿)?$"
)
_UNIT_FACTOR = {"%": 0.01, "万元": 1.0, "万": 1.0, "元": None, "亿元": 10000.0, "亿": 10000.0}


@dataclass(frozen=True)
class Parsed:
    value: float | int | None
    """The number read, or None when the text is not a number."""
    converted: bool
    """True when the text needed more than ``float()`` (separators, units, full-width …)."""


def parse_number(text: str) -> Parsed:
    """Read a number typed as text; amounts are in 万元, so 元 is refused (not divided)."""
    norm = unicodedata.normalize("NFKC", text).strip().replace("−", "-")
    norm = norm.replace(" ", "")
    match = _NUMBER.match(norm)
    if not match:
        return Parsed(None, False)
    number = float(match["int"].replace(",", "") + (match["frac"] or ""))
    if match["sign"] in ("-", "−"):
        number = -number
    factor = _UNIT_FACTOR.get(match["unit"] or "", 1.0)
    if factor is None:
        return Parsed(None, False)  # 元 in a 万元 field: the figure is off by 10,000
    number = number * factor
    if not math.isfinite(number):
        return Parsed(None, False)
    value: float | int = round(number, 10)
    if isinstance(value, float) and value.is_integer() and not match["frac"] and factor == 1.0:
        value = int(value)
    return Parsed(value, True)
