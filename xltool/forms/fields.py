"""Field types: what a field of each type accepts, and how it is read and written.

One class per type holds every decision about it: the value a returned cell gives (and
the note when it had to be converted), what form data and roster cells may hold, its
JSON Schema, its number format and the data validation Excel applies while the filer
types. Specs name a type by its ``name``; adding a type is one class here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from xltool.forms.values import parse_measure, parse_number

# Excel keeps 15 significant digits; nothing a form holds comes near 10^15 (万元 or
# anything else), and sums of such values could overflow.
LARGEST_ENTRY = 1e15
_LARGEST_INT = 2**1023


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool): the only values sums and scores take."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_LARGEST_INT < value < _LARGEST_INT
    return isinstance(value, float) and math.isfinite(value)


@dataclass(frozen=True)
class Cell:
    """What a returned cell gives for its field: the value every check uses, and the
    note when it was not plainly that (the finding code the reader reports)."""

    value: Any
    note: str | None = None  # not-a-number | value-out-of-range | value-coerced | text-number
    used: Any = None  # the number a text was read as


class Problem(ValueError):
    """Form data or a roster cell that a field cannot take: ``kind`` says why."""

    def __init__(self, kind: str) -> None:  # not-a-number | not-whole | negative | not-text
        super().__init__(kind)
        self.kind = kind


TYPES: dict[str, FieldType] = {}


class FieldType:
    name: ClassVar[str]
    numeric: ClassVar[bool] = False
    num_format: ClassVar[str | None] = None
    json_type: ClassVar[tuple[str, ...]] = ("string",)
    align: ClassVar[str] = "center"  # a field's cell in the issued form
    column_align: ClassVar[str] = "center"  # an indicator column's cells
    grows: ClassVar[bool] = False  # free text: its row grows with what is typed
    hint: ClassVar[tuple[str, str]] = ("", "")  # said with a conversion (zh, en)
    prompt: ClassVar[tuple[str, str] | None] = None  # Excel's input title and message

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            TYPES[cls.name] = cls()

    # --- a returned workbook's cell ------------------------------------------------
    def read(self, raw: Any) -> Cell:
        """A cell's value as this type wants it, with a note for every conversion."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return Cell(None)
        if isinstance(raw, float) and not math.isfinite(raw):  # 1e999 saved as a number
            return Cell(str(raw), "not-a-number")
        if is_number(raw) and abs(raw) >= LARGEST_ENTRY:
            return Cell(str(raw), "value-out-of-range")
        return self._read(raw)

    def _read(self, raw: Any) -> Cell:
        if isinstance(raw, float) and raw.is_integer():
            return Cell(str(int(raw)))
        return Cell(raw if isinstance(raw, str) else str(raw))

    # --- form data and tables --------------------------------------------------------
    def accepts(self, value: Any) -> bool:
        """Whether form data (JSON, a repaired form) may hold ``value`` here."""
        return value is None or isinstance(value, str)

    def check(self, value: Any) -> None:
        """Raise :class:`Problem` unless form data may hold ``value``."""
        if not self.accepts(value):
            raise Problem("not-text")

    def from_table(self, value: Any) -> Any:
        """A roster or indicator-table cell as this type wants it (Problem if it cannot)."""
        return str(value) if value is not None and not isinstance(value, str) else value

    # --- the issued workbook and the schema -----------------------------------------------
    def json_schema(self, label: str) -> dict[str, Any]:
        return {"type": [*self.json_type, "null"], "title": label}

    def validation(self) -> dict[str, Any] | None:
        """XlsxWriter's data_validation options for an input cell of this type."""
        return None


class Text(FieldType):
    name = "text"
    column_align = "left"


class LongText(FieldType):
    """Free text (部门职责, 偏差原因 …): left-aligned, its row grows as it is typed."""

    name = "longtext"
    align = "left"
    column_align = "left"
    grows = True


class Number(FieldType):
    """A non-negative number; text that reads as one is converted, and said so."""

    numeric = True
    whole: ClassVar[bool] = False
    json_type = ("number",)
    minimum: ClassVar[float] = 0

    def _read(self, raw: Any) -> Cell:
        if is_number(raw):
            whole = self.whole and float(raw).is_integer()
            return Cell(int(raw) if whole else raw)
        if isinstance(raw, str):
            parsed = parse_number(raw)
            if parsed.value is not None and abs(parsed.value) >= LARGEST_ENTRY:
                return Cell(raw, "value-out-of-range")
            if parsed.value is not None:
                return Cell(parsed.value, "text-number", parsed.value)
        return Cell(raw if isinstance(raw, str) else str(raw), "not-a-number")

    def accepts(self, value: Any) -> bool:
        if value is None:
            return True
        return is_number(value) and (not self.whole or float(value).is_integer())

    def check(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Problem("not-a-number")
        if self.whole and value != int(value):
            raise Problem("not-whole")

    def from_table(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = parse_number(value).value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Problem("not-a-number")
        if self.whole:
            if value != int(value):
                raise Problem("not-whole")
            value = int(value)
        if value < 0:
            raise Problem("negative")
        return value

    def validation(self) -> dict[str, Any] | None:
        if self.prompt is None:
            return None
        title, message = self.prompt
        return {
            "validate": "integer" if self.whole else "decimal",
            "criteria": ">=",
            "value": self.minimum,
            "input_title": title,
            "input_message": message,
            "error_title": f"{title}格式不对",
            "error_message": message,
        }


class Amount(Number):
    name = "amount"
    num_format = "0.00"
    hint = ("（金额单位万元）", " (amounts in ten thousand yuan)")
    prompt = (
        "金额（万元）",
        "请输入不小于 0 的金额，单位万元，保留两位小数；不要输入单位或千位分隔符。",
    )


class Whole(Number):
    """A whole number: 1.0 is read as 1, 1.5 is refused in data and rosters."""

    whole = True
    num_format = "0"
    json_type = ("integer",)


class Count(Whole):
    name = "count"
    prompt = ("人数", "请输入不小于 0 的整数。")


class Year(Whole):
    name = "year"
    prompt = ("年度", "请输入四位年份，例如 2025。")

    def validation(self) -> dict[str, Any] | None:
        options = dict(super().validation() or {})
        del options["value"]
        return {**options, "criteria": "between", "minimum": 2000, "maximum": 2100}


class Points(Number):
    name = "points"
    prompt = ("分值", "请输入不小于 0 的分值。")


class Score(Number):
    name = "score"  # its validation (0 to the row's 分值) is a check: ScoreWithinPoints


class Rate(Number):
    name = "rate"
    num_format = "0.00%"


class Measure(FieldType):
    """A target or actual: a number (typed maybe as ``≥95%``) or, for 定性, text."""

    name = "measure"
    json_type = ("number", "string")

    def _read(self, raw: Any) -> Cell:
        if is_number(raw):
            return Cell(raw)
        if not isinstance(raw, str):  # a date, a time, TRUE …
            return Cell(str(raw))
        number = parse_measure(raw)[1]
        return Cell(raw) if number is None else Cell(number, "value-coerced", number)

    def accepts(self, value: Any) -> bool:
        return value is None or isinstance(value, str) or is_number(value)

    def check(self, value: Any) -> None:
        if not (value is None or isinstance(value, str) or is_number(value)):
            raise Problem("not-a-number")

    def from_table(self, value: Any) -> Any:
        if isinstance(value, str):  # ≥95%, ﹦72890元, or 定性 text
            number = parse_measure(value)[1]
            return value if number is None else number
        return super().from_table(value)


def field_type(name: str) -> FieldType:
    return TYPES[name]


NUMERIC_TYPES = frozenset(name for name, t in TYPES.items() if t.numeric)
