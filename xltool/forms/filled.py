"""What verify reads from one returned workbook: values, where they stand, formulas and
the values saved beside them, indicator rows, and the reader's own findings. Built by
:mod:`xltool.reading.read` and :mod:`xltool.reading.locate`; read by the checks and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xltool.findings import Finding
from xltool.forms.cells import Pos, a1, col_name
from xltool.forms.spec import Spec


@dataclass
class IndicatorRow:
    row: int  # 0-based sheet row
    values: dict[str, Any]
    inside: bool = True  # inside the block the totals' formulas cover
    formulas: dict[str, str] = field(default_factory=dict)  # column → formula text


@dataclass(frozen=True)
class InputFormula:
    """A formula the filer put in an input cell: its value is computed here
    (:mod:`xltool.forms.formula`), never taken from the value saved beside it."""

    field: str  # a field name, or indicators.<key>
    cell: str
    label: str
    formula: str
    value: Any  # computed; None when the formula is not simple arithmetic
    saved: Any  # what the file saved beside it (reported, never used)


@dataclass(frozen=True)
class TextNumber:
    """A number typed as text into a cell the workbook's own formulas read."""

    field: str  # a field name, or indicators.<key>
    cell: str
    label: str
    row: int | None  # the indicator row's index in Reading.indicators, for columns
    text: str
    value: float | int


@dataclass
class Reading:
    """Everything verify needs from one workbook."""

    spec: Spec
    sheet: str
    meta: dict[str, str]
    positions: dict[str, Pos] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    formulas: dict[str, str | None] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    cached: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)  # indicator column key → 0-based col
    block: tuple[int, int] = (0, -1)  # first and last 0-based rows of the indicator block
    indicators: list[IndicatorRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    missing_blocks: set[str] = field(default_factory=set)
    input_formulas: list[InputFormula] = field(default_factory=list)
    text_numbers: list[TextNumber] = field(default_factory=list)
    hidden_state: str | None = None  # "hidden" / "veryHidden" when the form sheet is
    copies: list[str] = field(default_factory=list)  # other visible sheets with the form's labels
    saved_at: str | None = None  # the workbook's own last-saved time (document properties)

    def cell(self, name: str) -> str:
        return a1(*self.positions[name])

    def at(self, key: str, row: int) -> str:
        """The A1 cell of indicator column ``key`` in sheet row ``row`` (0-based)."""
        return a1(row, self.columns[key])

    def field_finding(
        self, code: str, name: str, found: Any = None, expected: Any = None, **context: Any
    ) -> Finding:
        """A finding about one located field, at its cell, labelled with its label."""
        spec_field = self.spec.all_fields().get(name)
        label = spec_field.label if spec_field else name
        return Finding(
            code,
            sheet=self.sheet,
            cell=self.cell(name),
            field=name,
            found=found,
            expected=expected,
            context={"label": label, **context},
        )

    def row_finding(
        self,
        code: str,
        key: str,
        row: IndicatorRow,
        found: Any = None,
        expected: Any = None,
        *,
        field: str | None = None,
        **context: Any,
    ) -> Finding:
        """A finding about one indicator row, at its cell in column ``key``, labelled
        with the row's 三级指标 (or its group's name for an empty one)."""
        values = row.values
        label = str(values.get("name") or f"{values.get('level2') or ''}空行")
        return Finding(
            code,
            sheet=self.sheet,
            cell=self.at(key, row.row),
            field=field or f"indicators.{key}",
            found=found,
            expected=expected,
            context={"label": label, **context},
        )

    def address(self, name: str) -> str:
        """A1 address in the returned workbook, for rules' Excel faces."""
        if name.startswith("indicators."):
            letter = col_name(self.columns[name.split(".", 1)[1]])
            return f"{letter}{self.block[0] + 1}:{letter}{self.block[1] + 1}"
        return self.cell(name)


class NotAForm(Exception):
    """The workbook is not a form xltool knows (template-unknown)."""

    def __init__(self, reason_zh: str, reason_en: str, name: str = "") -> None:
        super().__init__(reason_en)
        self.finding = Finding(
            "template-unknown",
            context={"reason_zh": reason_zh, "reason_en": reason_en, "name": name or "自评表"},
        )
