"""FormData: the values of one form, as the writer takes them and the reader returns them.

Keys are the spec's field keys (its defined names) and indicator column keys, so one
model serves every form kind. Computed values are not part of the data: they are
derived by the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xltool.errors import InputError
from xltool.findings import show_value
from xltool.forms.fields import Problem, field_type
from xltool.forms.spec import Spec

Scalar = str | float | int | None

# Keys an export document carries beside the form data; `new --data` ignores them.
EXPORT_ONLY_KEYS = ("path", "sha256", "status", "totals", "findings")


# The sections an export groups fields under; FormData also takes them in place of `fields`.
SECTIONS = ("header", "funds", "goals")


class FormData(BaseModel):
    """One form's entered values (header, funds, goals) and indicator rows, in order.

    ``fields`` is flat, keyed by defined name; an exported document's ``header``,
    ``funds`` and ``goals`` sections are merged into it."""

    model_config = ConfigDict(extra="forbid")

    kind: str = "dept-overall"
    spec_version: int | None = None
    fields: dict[str, Scalar] = Field(default_factory=dict)
    indicators: list[dict[str, Scalar]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _merge_sections(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and any(s in raw for s in SECTIONS):
            raw = dict(raw)
            merged = dict(raw.get("fields") or {})
            for section in SECTIONS:
                part = raw.pop(section, None) or {}
                if not isinstance(part, dict):
                    raise ValueError(f"'{section}' must be an object")
                merged.update(part)
            raw["fields"] = merged
        return raw

    @model_validator(mode="after")
    def _cell_text(self) -> FormData:
        """Control characters cannot stand in a cell's text (Excel would show them as
        _x001B_, and the signed prefill would no longer match): they are dropped."""
        self.fields = {k: _cell_text(v) for k, v in self.fields.items()}
        self.indicators = [{k: _cell_text(v) for k, v in row.items()} for row in self.indicators]
        return self


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cell_text(value: Scalar) -> Scalar:
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def check_form_data(spec: Spec, data: FormData, where: str = "data") -> None:
    """Refuse data that names fields the spec does not have, or numbers that are not."""
    all_fields = spec.all_fields()
    inputs = set(spec.input_fields())
    for key, value in data.fields.items():
        if key not in all_fields:
            raise InputError(f"{where}: unknown field '{key}' for kind {spec.kind}")
        if key not in inputs:
            raise InputError(f"{where}: '{key}' is computed by the form and cannot be given")
        _check_type(all_fields[key].type, value, f"{where}: {key}")
    columns = {c.key: c for c in spec.indicators.columns}
    for i, row in enumerate(data.indicators, start=1):
        for key, value in row.items():
            if key not in columns:
                raise InputError(f"{where}: indicator {i}: unknown column '{key}'")
            _check_type(columns[key].type, value, f"{where}: indicator {i}: {key}")


_EXPECTED = {"not-a-number": "a number", "not-whole": "a whole number", "not-text": "text"}


def _check_type(type_: str, value: Any, where: str) -> None:
    try:
        field_type(type_).check(value)
    except Problem as problem:
        expected = "a number or text" if type_ == "measure" else _EXPECTED[problem.kind]
        raise InputError(f"{where}: expected {expected}, got {value!r}") from None


@dataclass
class Dropped:
    """An entry the repaired form does not carry, and why."""

    cell: str
    label: str
    value: Any
    reason_zh: str
    reason_en: str

    def text(self, lang: str) -> str:
        reason = self.reason_zh if lang == "zh" else self.reason_en
        value = show_value(self.value, lang)
        return (
            f"{self.cell}（{self.label}）「{value}」：{reason}"
            if lang == "zh"
            else (f"{self.cell} ({self.label}) '{value}': {reason}")
        )


@dataclass
class Repaired:
    data: FormData
    dropped: list[Dropped] = field(default_factory=list)
    changed: list[Dropped] = field(default_factory=list)  # carried, but not as the file had it
    imported: bool = False  # read as a form xltool did not issue
    evidence: list[str] = field(default_factory=list)  # why it was read as its kind
