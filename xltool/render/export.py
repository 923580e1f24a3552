"""Filled forms as data: JSON documents (one per form) and two CSV tables, plus the
JSON Schema of the form data. ``xltool new --data`` takes what this exports back."""

from __future__ import annotations

import csv
import io
from typing import Any

from xltool.checking.result import FileResult
from xltool.errors import SpecError
from xltool.forms.fields import field_type
from xltool.forms.kinds import load_builtin
from xltool.forms.model import SECTIONS
from xltool.forms.rules import is_number
from xltool.forms.spec import Spec


def export_document(result: FileResult, lang: str = "zh") -> dict[str, Any]:
    """One form as data: its entered values by section (header, funds, goals), its
    indicator rows in order, the recomputed totals and the findings."""
    data = result.data or {"fields": {}, "indicators": []}
    doc: dict[str, Any] = {
        "kind": result.kind,
        "spec_version": result.spec_version,
        "path": result.shown,
        "sha256": result.sha256,
        "status": result.status,
    }
    if result.kind:
        doc.update(group_fields(load_builtin_or_none(result.kind), data["fields"]))
    doc["indicators"] = data["indicators"]
    doc["totals"] = result.totals
    doc["findings"] = [f.to_json(lang) for f in result.findings]
    return doc


def load_builtin_or_none(kind: str) -> Spec | None:
    try:
        return load_builtin(kind)
    except SpecError:
        return None


def group_fields(spec: Spec | None, fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field values by the section they stand in: header, funds, goals."""
    sections = spec.sections() if spec else {}
    out: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for key, value in fields.items():
        section = sections.get(key, ("header", ""))[0]
        out.setdefault(section if section in SECTIONS else "header", {})[key] = value
    return out


def form_schema(spec: Spec) -> dict[str, Any]:
    """JSON Schema of one form's data for ``spec`` (what export writes, what new reads)."""

    def typed(type_: str, label: str) -> dict[str, Any]:
        return field_type(type_).json_schema(label)

    fields = spec.all_fields()
    inputs = spec.input_fields()
    sections = spec.sections()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{spec.name} ({spec.kind} v{spec.version})",
        "type": "object",
        "required": ["kind", "indicators"],
        "properties": {
            "kind": {"const": spec.kind},
            "spec_version": {"type": ["integer", "null"]},
            **{
                section: {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        k: typed(fields[k].type, fields[k].label)
                        for k in inputs
                        if sections.get(k, ("header", ""))[0] == section
                    },
                }
                for section in SECTIONS
            },
            "indicators": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {c.key: typed(c.type, c.label) for c in spec.indicators.columns},
                },
            },
            "totals": {
                "type": ["object", "null"],
                "description": "recomputed by verify/export; ignored by new --data",
            },
            "findings": {
                "type": "array",
                "description": "verify's findings; ignored by new --data",
            },
            "path": {"type": "string"},
            "sha256": {"type": "string"},
            "status": {"enum": ["ok", "invalid", "unreadable"]},
        },
    }


TOTAL_LABELS = ["年初预算数合计", "全年预算数合计", "全年执行数合计", "执行率", "分值合计", "总分"]

# OWASP CSV injection: a text cell starting with one of these is prefixed with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is neutralised; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_tables(spec: Spec, results: list[FileResult], lang: str = "zh") -> tuple[str, str]:
    """The forms table and the indicators table, as CSV text (write with a BOM for Excel).
    Headings are the Chinese labels (``lang="zh"``) or the keys."""
    zh = lang == "zh"
    fields = spec.input_fields()
    labels = spec.all_fields()
    columns = spec.indicators.columns
    totals = ["budget_initial", "budget_adjusted", "executed", "execution_rate", "points", "score"]

    forms = io.StringIO()
    w = csv.writer(forms, lineterminator="\r\n")
    if zh:
        w.writerow(
            ["文件", "状态", *(labels[f].label for f in fields), *TOTAL_LABELS, "错误数", "警告数"]
        )
    else:
        w.writerow(["path", "status", *fields, *totals, "errors", "warnings"])
    for r in results:
        values = (r.data or {}).get("fields", {})
        t = r.totals or {}
        w.writerow(
            [csv_safe(r.shown), r.status, *(_cell(values.get(f)) for f in fields)]
            + [_cell(t.get(k)) for k in totals]
            + [r.errors, r.warnings]
        )

    rows = io.StringIO()
    w = csv.writer(rows, lineterminator="\r\n")
    if zh:
        w.writerow(["部门名称", "部门编码", "文件", "序号", *(c.label for c in columns)])
    else:
        w.writerow(["department", "code", "path", "row", *(c.key for c in columns)])
    for r in results:
        values = (r.data or {}).get("fields", {})
        for i, row in enumerate((r.data or {}).get("indicators", []), start=1):
            w.writerow(
                [_cell(r.department), _cell(values.get("code")), csv_safe(r.shown), i]
                + [_cell(row.get(c.key)) for c in columns]
            )
    return forms.getvalue(), rows.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if is_number(value):
        return repr(value) if isinstance(value, float) else value
    return csv_safe(str(value))
