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


# 指标性质 as people write it → the four the rules know.
_NATURES = {
    "≥": "≥",
    ">=": "≥",
    "＞＝": "≥",
    "≧": "≥",
    "大于等于": "≥",
    "不低于": "≥",
    "不少于": "≥",
    "正向": "≥",
    "=": "=",
    "＝": "=",
    "﹦": "=",
    "等于": "=",
    "≤": "≤",
    "<=": "≤",
    "＜＝": "≤",
    "≦": "≤",
    "小于等于": "≤",
    "不高于": "≤",
    "不超过": "≤",
    "反向": "≤",
    "定性": "定性",
}
_NATURE_PREFIX = re.compile(
    "^(" + "|".join(sorted(map(re.escape, _NATURES), key=len, reverse=True)) + ")"
)
_MEASURE = re.compile(
    r"^(?P<sign>[-+]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?P<unit>\D{0,8})$"
)


def normalise_nature(text: object) -> str | None:
    """``大于等于`` / ``＝`` / ``﹦`` / ``正向`` … → ``≥`` ``=`` ``≤`` or ``定性``; None if unknown."""
    if not isinstance(text, str):
        return None
    key = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    return _NATURES.get(key) or _NATURES.get(text.strip())


def parse_measure(text: str) -> tuple[str | None, float | int | None]:
    """A target or actual typed with its symbol and unit: ``≥95%`` → (``≥``, 95),
    ``﹦72890元`` → (``=``, 72890), ``大于等于50个`` → (``≥``, 50). The unit stays in
    度量单位, so ``95%`` is 95, not 0.95. (None, None) when there is no number."""
    raw = text.strip()
    nature = None
    match = _NATURE_PREFIX.match(raw)
    if match:
        nature = _NATURES[match.group(1)]
        raw = raw[match.end() :]
    norm = unicodedata.normalize("NFKC", raw).strip().replace(" ", "").replace("−", "-")
    m = _MEASURE.match(norm)
    if not m or any(ch.isdigit() for ch in m["unit"]):
        return nature, None
    number = float(m["int"].replace(",", "") + (m["frac"] or ""))
    if m["sign"] == "-":
        number = -number
    value: float | int = int(number) if number.is_integer() and not m["frac"] else number
    return nature, value
