"""Findings are data: one catalogue of stable codes, each with its severity and its
Chinese and English message templates. Every renderer (terminal, JSON, annotated
workbook, roll-up) works from :class:`Finding` objects built here."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

from xltool.catalogue import CODES, Code, Severity

__all__ = ["CATALOGUE", "Code", "Finding", "Severity", "jsonable", "register", "show_value"]


CATALOGUE: dict[str, Code] = {}


def register(code: Code) -> None:
    """Add a code to the catalogue (a check family brings its own this way). Both
    messages must take the same placeholders, so neither language renders a gap."""
    if code.zh_fields != code.en_fields:
        raise ValueError(f"{code.code}: zh and en messages take different placeholders")
    if code.code in CATALOGUE and CATALOGUE[code.code] != code:
        raise ValueError(f"finding code {code.code} is registered twice, differently")
    CATALOGUE[code.code] = code


for _code in CODES:
    register(_code)


@dataclass
class Finding:
    """One problem: where, which rule, what was found and what was expected."""

    code: str
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None
    found: Any = None
    expected: Any = None
    context: dict[str, Any] = dc_field(default_factory=dict)
    internal: bool = False

    def __post_init__(self) -> None:
        # a code or a placeholder missing is a bug in xltool, caught where it is made
        code = CATALOGUE.get(self.code)
        if code is None:
            raise ValueError(f"unknown finding code {self.code!r}")
        given = {k.removesuffix("_zh").removesuffix("_en") for k in self.context}
        missing = code.needs - given
        if missing:
            raise ValueError(f"finding {self.code} lacks {sorted(missing)} in its context")

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    def message(self, lang: str = "zh") -> str:
        code = CATALOGUE[self.code]
        template = code.zh if lang == "zh" else code.en
        place = f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or "")
        values = {
            "place": place,
            "label": "",
            "found": show_value(self.found, lang),
            "expected": show_value(self.expected, lang),
            **{k: show_value(v, lang) for k, v in self.context.items()},
        }
        suffix = f"_{lang}"
        values.update({k[: -len(suffix)]: v for k, v in self.context.items() if k.endswith(suffix)})
        if not values["label"]:
            values["label"] = self.field or ""
        try:
            return template.format_map(_Default(values))
        except (IndexError, ValueError):  # a stray brace in found text
            return f"{code.title_zh if lang == 'zh' else code.title_en}: {place}"

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        out = {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "field": self.field,
            "message": self.message(lang),
            "found": jsonable(self.found),
            "expected": jsonable(self.expected),
        }
        if self.internal:
            out["internal"] = True
        return out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return ""


def show_value(value: Any, lang: str = "zh") -> str:
    if value is None:
        return "空" if lang == "zh" else "empty"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def jsonable(value: Any) -> Any:
    """A value safe for strict JSON: numbers that are not finite become their text
    ("inf"; strict JSON has no Infinity), containers are walked, and anything else that
    is not JSON becomes its text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)
