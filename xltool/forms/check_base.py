"""The base of the check families: what each face is given, the family class and its registry,
and the comparisons every family shares. The families are in :mod:`.checks_cells`,
:mod:`.checks_indicators` and :mod:`.checks_named`; :mod:`.checks` gathers them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

from xltool.errors import SpecError
from xltool.findings import CATALOGUE, Code, Finding, register
from xltool.forms.cells import a1
from xltool.forms.filled import IndicatorRow, Reading
from xltool.forms.layout import Area, Layout
from xltool.forms.rules import (
    Rule,
    is_number,
    recompute,
    scored_rows,
)
from xltool.forms.spec import Spec

TOLERANCE = 0.005
RED_FILL = "#F8CBAD"
AMBER_FILL = "#FFD966"

# --- what each face is given --------------------------------------------------------------


@dataclass
class Facts:
    """What the Python faces read: the reading and every rule's recomputed value."""

    reading: Reading
    rules: list[Rule]
    scored: list[Mapping[str, Any]]  # each indicator row as the form scores it
    recomputed: dict[str, Any]  # over every indicator row the reader found
    as_entered: dict[str, Any]  # over the rows inside the block the totals cover

    @property
    def spec(self) -> Spec:
        return self.reading.spec

    @cached_property
    def as_shown(self) -> dict[str, Any]:
        """Every rule as the workbook itself computes it: numbers typed as text stay text."""
        return as_the_form_computes(self.reading, self.rules, self.reading.text_numbers)

    def scores(self) -> list[tuple[IndicatorRow, Any, Any, Mapping[str, Any]]]:
        """(row, 得分, 分值, values as scored) for each row where both are numbers."""
        return [
            (row, v["score"], v["points"], v)
            for row, v in zip(self.reading.indicators, self.scored, strict=True)
            if is_number(v.get("score")) and is_number(v.get("points"))
        ]

    def has_indicators(self) -> bool:
        return "indicators" not in self.reading.missing_blocks


@dataclass
class ExcelFace:
    """What the writer hands a check: the sheet, its layout, and the fills to use."""

    ws: Any
    layout: Layout
    fills: dict[str, Any]

    def highlight(self, area: Area, condition: str, fill: str = "red") -> None:
        """Colour ``area`` while the formula ``condition`` (no leading =) is true."""
        self.ws.conditional_format(
            area.row,
            area.col,
            area.last_row,
            area.last_col,
            {"type": "formula", "criteria": "=" + condition, "format": self.fills[fill]},
        )

    def validate(self, area: Area, options: dict[str, Any]) -> None:
        self.ws.data_validation(area.row, area.col, area.last_row, area.last_col, options)

    def column(self, key: str) -> Area:
        """The indicator block's cells in column ``key``."""
        col = self.layout.columns[key]
        return Area(self.layout.indicator_first, col, self.layout.indicator_last, col)

    def first(self, key: str) -> str:
        """Column ``key``'s cell in the first indicator row, relative by row (a
        conditional format or validation applies it to every row of the block)."""
        return a1(self.layout.indicator_first, self.layout.columns[key], col_abs=True)


# --- the family base --------------------------------------------------------------------

FAMILIES: dict[str, type[Check]] = {}


class Check:
    """One family. Subclasses are frozen dataclasses whose fields are the spec entry's
    parameters; ``type`` names the family in a spec, ``codes`` are the findings it emits
    (from the catalogue, or its own ``messages``)."""

    type: ClassVar[str]
    codes: ClassVar[tuple[str, ...]] = ()
    messages: ClassVar[tuple[Code, ...]] = ()
    always: ClassVar[bool] = False  # on for every kind, with no spec entry

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for code in cls.messages:
            register(code)
        unknown = [c for c in cls.codes if c not in CATALOGUE]
        if unknown:
            raise TypeError(f"{cls.__name__} emits codes with no message: {unknown}")
        FAMILIES[cls.type] = cls

    def validate(self, spec: Spec) -> None:
        """Raise SpecError when the parameters name what the spec does not have."""

    def excel(self, face: ExcelFace) -> None:
        """The issued workbook's side of the rule; none by default."""

    def findings(self, facts: Facts) -> list[Finding]:
        raise NotImplementedError


def checks_for(spec: Spec) -> list[Check]:
    """The families on for ``spec``: every ``always`` family, then the spec's own."""
    out: list[Check] = [cls() for cls in FAMILIES.values() if cls.always]
    for entry in spec.checks:
        out.append(build(entry.type, entry.params, spec))
    return out


def build(type_: str, params: dict[str, Any], spec: Spec) -> Check:
    cls = FAMILIES.get(type_)
    if cls is None or cls.always:
        known = ", ".join(sorted(k for k, c in FAMILIES.items() if not c.always))
        raise SpecError(f"unknown check type '{type_}' (allowed: {known})")
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    try:
        check = cls(**params)
    except TypeError:
        raise SpecError(
            f"check '{type_}' takes {', '.join(names)}; got {', '.join(sorted(params))}"
        ) from None
    check.validate(spec)
    return check


def same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if is_number(a) and is_number(b):
        return abs(a - b) <= TOLERANCE
    return a == b


def normalise_formula(text: str) -> str:
    return re.sub(r"[\s$]", "", text.lstrip("=")).upper()


def formula_finding(
    found: str | None, expected: str, saved: Any, want: Any, shown: Any = None
) -> tuple[str, Any, Any] | None:
    """A computed cell against its rule's two faces: (code, found, expected) or None.
    ``found`` is the cell's formula (None: typed over), ``saved`` the value saved with it."""
    if found is None:
        return None
    if normalise_formula(found) != normalise_formula(expected):
        return "formula-altered", found if found.startswith("=") else "=" + found, expected
    if saved is not None and not same(saved, want) and not same(saved, shown):
        return "cached-value-mismatch", saved, want
    return None


def as_the_form_computes(
    reading: Reading, rules: list[Rule], text_numbers: list[Any]
) -> dict[str, Any]:
    """Every rule's value as the workbook itself computes it: numbers typed as text are
    text there (its SUM skips them), not the numbers verify read them as."""
    values = dict(reading.values)
    rows = [dict(r.values) for r in reading.indicators]
    for tn in text_numbers:
        if tn.row is None:
            values[tn.field] = tn.text
        else:
            rows[tn.row][tn.field.split(".", 1)[1]] = tn.text
    inside = [row for row, r in zip(rows, reading.indicators, strict=True) if r.inside]
    return recompute(rules, values, scored_rows(reading.spec, inside))
