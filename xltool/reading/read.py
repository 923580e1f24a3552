"""A returned .xlsx → what the filer entered, where it stands, and how the computed cells
look now (formula text and the value the spreadsheet program saved).

Tolerant: fields are found by the workbook's defined names first, then by the labels
the layout puts beside them (:mod:`xltool.reading.locate`), so inserted rows and LibreOffice/WPS
re-saves still read. Messy numbers are converted (:mod:`xltool.forms.fields`) and each
conversion becomes a finding.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl

from xltool.findings import Finding
from xltool.forms.cells import a1
from xltool.forms.fields import field_type
from xltool.forms.filled import IndicatorRow, InputFormula, NotAForm, Pos, Reading, TextNumber
from xltool.forms.formula import Evaluator
from xltool.forms.layout import Group, compute_layout, plan_groups
from xltool.forms.meta import read_metadata
from xltool.forms.rules import formula_inputs
from xltool.paths import user_specs_dir
from xltool.reading.locate import (
    best_sheet,
    form_sheet,
    labelled_sheet,
    locate,
    real_cells,
    sheet_texts,
    shown_sheets,
)
from xltool.reading.ooxml import cached_values

if TYPE_CHECKING:
    from xltool.reading.foreign import ForeignForm

from xltool.forms.kinds import builtin_kinds, load_builtin, released_version
from xltool.forms.spec import Spec

SpecChoice = Spec | Mapping[str, Spec] | None
"""A kind to read a file as, a round's kinds by name, or None (the file's metadata)."""

__all__ = ["IndicatorRow", "InputFormula", "NotAForm", "Reading", "TextNumber", "read_form"]


def read_form(source: Path | bytes, spec: Spec | None = None) -> Reading:
    """Read a returned workbook (its bytes, read once, or its path) that passed
    :mod:`xltool.reading.sniff`, as a form xltool issued. Raises openpyxl's own exceptions for
    damaged parts (the caller classifies them) and :class:`NotAForm`."""
    reading = read_workbook(source, spec, foreign=False)
    assert isinstance(reading, Reading)
    return reading


def read_workbook(
    source: Path | bytes, spec: SpecChoice = None, *, foreign: bool = True
) -> Reading | ForeignForm:
    """A returned workbook as xltool issued it (a :class:`Reading`), or, when it carries
    no sign of xltool (no metadata, none of its defined names or formulas) and
    ``foreign`` is on, as a form xltool did not issue (a :class:`ForeignForm`, read by
    its labels, :mod:`xltool.reading.foreign`). ``spec``: the kind to read it as, or a
    round's kinds by name (the file's metadata, else its labels, choose among them)."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    # Read-only mode streams each sheet once, only the sheets we ask for, and skips
    # styling merged cells (most of a normal load's time for a form like ours).
    with warnings.catch_warnings():
        # openpyxl warns about extensions it drops (data bars, slicers …); they hold no values
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    try:
        if not wb.worksheets:
            raise ValueError("the workbook has no sheets (a missing sheet part, or strict OOXML)")
        meta = read_metadata(wb)
        if foreign and not meta and not _issued_like(wb):
            return _read_foreign(wb, data)
        return _read_issued(wb, data, meta, spec)
    finally:
        wb.close()


def _issued_like(wb: Any) -> bool:
    """Whether a workbook without metadata still is one xltool issued: it keeps the
    form's defined names, or a formula only xltool writes (its guarded IF(AND(ISNUMBER…)."""
    if "indicators" in wb.defined_names:
        return True
    for ws in wb.worksheets[:8]:
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        for row in ws.iter_rows(max_row=400, max_col=40):
            for cell in row:
                if cell.data_type == "f" and "ISNUMBER(" in str(cell.value).upper():
                    return True
    return False


def _read_foreign(wb: Any, data: bytes) -> ForeignForm:
    from xltool.reading.foreign import (  # only a form xltool did not issue
        Sheet,
        read_foreign,
        vocabulary,
    )

    vocab = vocabulary()
    best, hits = best_sheet(wb, lambda ws: _vocabulary_hits(ws, vocab))
    if best is None or hits < 3:
        raise NotAForm(
            "没有 xltool 元数据，也找不到自评表的标签（如「三级指标」「分值」「得分」）",
            "no xltool metadata and none of a self-evaluation form's labels were found",
        )
    cells = _grid_cells(best)
    form = read_foreign(best.title, Sheet(cells, cached_values(data, best.title)))
    if form is None:
        raise NotAForm(
            "没有 xltool 元数据，也找不到绩效指标表（含「三级指标」「分值」的表头行）",
            "no xltool metadata and no indicator table (a heading row with 三级指标 and 分值)",
        )
    return form


def _vocabulary_hits(ws: Any, vocab: Any) -> int:
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    keys = set()
    for row in ws.iter_rows(max_row=200, max_col=40, values_only=True):
        for value in row:
            if isinstance(value, str) and len(value) <= 40:
                key = vocab.key("indicator_columns", value)
                if key and key != "ignored":
                    keys.add(key)
    return len(keys)


def _grid_cells(ws: Any) -> dict[Pos, Any]:
    """A sheet's cells, refusing one that claims a place outside the grid."""
    cells = real_cells(ws)
    if cells and (max(r for r, _c in cells) >= 1_048_576 or max(c for _r, c in cells) >= 16_384):
        raise ValueError("a cell lies outside the sheet grid (row > 1048576 or column > XFD)")
    return cells


def _read_issued(wb: Any, data: bytes, meta: dict[str, str], choice: SpecChoice) -> Reading:
    spec = chosen_spec(choice, meta, wb)
    ws, renamed = form_sheet(wb, spec, meta)
    reading = Reading(spec=spec, sheet=ws.title, meta=meta, saved_at=_saved_at(wb))
    if renamed:
        reading.findings.append(
            Finding("sheet-renamed", sheet=ws.title, found=ws.title, expected=spec.sheet)
        )
    reading.findings += shown_sheets(wb, ws, spec)
    version = meta.get("spec_version")
    if version and version != str(spec.version):
        reading.findings.append(
            Finding(
                "template-version",
                found=version,
                expected=spec.version,
                context={"kind": spec.kind},
            )
        )
    cells = _grid_cells(ws)
    layout = compute_layout(spec, _groups(spec, meta, max((r + 1 for r, _c in cells), default=0)))
    locate(wb, ws, cells, layout, reading)
    cached = cached_values(data, ws.title)
    _read_fields(cells, cached, reading)
    _read_indicators(cells, cached, reading)
    return reading


def _saved_at(wb: Any) -> str | None:
    """When the workbook says it was last saved (docProps/core.xml), as ISO text in UTC."""
    try:
        when = wb.properties.modified
    except Exception:  # a damaged core part holds no time worth trusting
        return None
    return when.isoformat() if when is not None and hasattr(when, "isoformat") else None


def chosen_spec(choice: SpecChoice, meta: dict[str, str], wb: Any) -> Spec:
    """The spec a workbook is read as: the one given; among a round's kinds, the one its
    metadata names, else the one whose labels it carries most of; else by its metadata."""
    if isinstance(choice, Spec):
        return choice
    if not choice:
        return _spec_for(meta, wb)
    named = choice.get(meta.get("kind", ""))
    if named is not None or len(choice) == 1:
        return named or next(iter(choice.values()))
    texts = sheet_texts(wb)
    scored = [(labelled_sheet(wb, s, texts)[1], -i, s.kind) for i, s in enumerate(choice.values())]
    return choice[max(scored)[2]]


def _spec_for(meta: dict[str, str], wb: Any) -> Spec:
    kind = meta.get("kind")
    if kind:
        if kind not in builtin_kinds():
            version, digest = meta.get("spec_version", "?"), meta.get("spec_hash", "")[:12]
            raise NotAForm(
                f"此表按表样「{kind}」第 {version} 版（spec 哈希 {digest}）发放，本机没有该表样；"
                f"请用 --spec 指定该表样的 spec 文件，或放入 {user_specs_dir()}",
                f"issued from kind '{kind}' version {version} (spec hash {digest}), which this machine "
                f"does not have; pass its spec file with --spec or put it in {user_specs_dir()}",
                kind,
            )
        current = load_builtin(kind)
        issued = meta.get("spec_version", "")
        if issued.isdigit() and len(issued) <= 6 and int(issued) != current.version:
            # a form keeps the layout it was issued with, while xltool has that version
            return released_version(kind, int(issued)) or current
        return current
    # No metadata: the kind whose labels the workbook carries most of (a project form
    # carries every label a department form has, and 指标性质 and 度量单位 besides)
    texts = sheet_texts(wb)
    kinds = builtin_kinds()
    scored = [(labelled_sheet(wb, load_builtin(k), texts)[1], -i, k) for i, k in enumerate(kinds)]
    hits, _order, best = max(scored)
    if hits:
        return load_builtin(best)
    raise NotAForm(
        "没有 xltool 元数据，也找不到表样的标签（如「三级指标」「年度资金总额」）",
        "no xltool metadata and none of the form's labels were found",
    )


MAX_INDICATOR_ROWS = 2000


def _groups(spec: Spec, meta: dict[str, str], sheet_rows: int) -> list[Group]:
    """The indicator groups the metadata says were issued. Counts are the file's word:
    capped, and ignored when they claim more rows than the sheet holds."""
    try:
        planned = json.loads(meta.get("groups", "[]"))
        counts = [(str(l1), str(l2), int(n)) for l1, l2, n in planned[:200]]
    except (ValueError, TypeError, RecursionError):
        counts = []
    total = sum(n for *_, n in counts)
    if not counts or min(n for *_, n in counts) < 0 or total > min(MAX_INDICATOR_ROWS, sheet_rows):
        return plan_groups(spec, [])
    rows = [{"level1": l1, "level2": l2} for l1, l2, n in counts for _ in range(n)]
    return plan_groups(spec, rows, spare_rows=0) if rows else plan_groups(spec, [])


def _evaluator(cells: dict[Pos, Any]) -> Evaluator:
    def cell_at(pos: Pos) -> tuple[bool, Any]:
        cell = cells.get(pos)
        if cell is None:
            return False, None
        if cell.data_type == "f":
            return True, _formula_text(cell.value)
        return False, cell.value

    return Evaluator(cell_at)


def _input_formula(
    reading: Reading,
    evaluator: Evaluator,
    name: str,
    pos: Pos,
    raw: Any,
    saved: Any,
    label: str,
) -> Any:
    """The value of a filer's formula in an input cell, recorded for a finding."""
    text = _formula_text(raw)
    text = text if text.startswith("=") else "=" + text
    value = evaluator.value(text)
    reading.input_formulas.append(InputFormula(name, a1(*pos), label, text, value, saved))
    return value


def _read_fields(cells: dict[Pos, Any], cached: dict[Pos, Any], reading: Reading) -> None:
    spec = reading.spec
    fields = spec.all_fields()
    computed = {r.target for r in spec.rules}
    summed = formula_inputs(spec)
    evaluator = _evaluator(cells)
    for name, (row, col) in reading.positions.items():
        cell = cells.get((row, col))
        raw = None if cell is None else cell.value
        is_formula = cell is not None and cell.data_type == "f"
        if name in computed:
            if is_formula:
                reading.formulas[name] = _formula_text(raw)
                reading.cached[name] = cached.get((row, col))
            else:
                reading.formulas[name] = None
                reading.constants[name] = raw
            continue
        if is_formula:  # a filer's own formula in an input cell: compute it here
            raw = _input_formula(
                reading,
                evaluator,
                name,
                (row, col),
                raw,
                cached.get((row, col)),
                fields[name].label,
            )
        reading.values[name] = coerce(
            raw,
            fields[name].type,
            reading,
            name,
            a1(row, col),
            fields[name].label,
            summed=name in summed,
        )


def _formula_text(raw: Any) -> str:
    text = getattr(raw, "text", raw)  # ArrayFormula objects carry .text
    return str(text or "")


def _read_indicators(cells: dict[Pos, Any], cached: dict[Pos, Any], reading: Reading) -> None:
    if "indicators" in reading.missing_blocks:
        return
    spec = reading.spec
    first, last = reading.block
    total_row = reading.positions.get(spec.total.points, (last + 1, 0))[0]
    # rows inserted after the block (before 总分) are read, and flagged as outside the sums;
    # never past the last row that holds anything, whatever a defined name claims
    end = min(max(last, total_row - 1), max((r for r, _c in cells), default=first))
    summed = formula_inputs(spec)
    issued_formula = {"score"} if spec.indicators.score == "formula" else set()
    evaluator = _evaluator(cells)
    level1 = level2 = None
    for r in range(first, end + 1):
        values: dict[str, Any] = {}
        formulas: dict[str, str] = {}
        for col in spec.indicators.columns:
            c = reading.columns[col.key]
            cell = cells.get((r, c))
            raw = None if cell is None else cell.value
            if cell is not None and cell.data_type == "f":
                formulas[col.key] = _formula_text(raw)
                if col.key in issued_formula:  # the form's own formula: checked by its rule
                    raw = cached.get((r, c))
                else:
                    raw = _input_formula(
                        reading,
                        evaluator,
                        f"indicators.{col.key}",
                        (r, c),
                        raw,
                        cached.get((r, c)),
                        col.label,
                    )
            key = f"indicators.{col.key}"
            values[col.key] = coerce(
                raw,
                col.type,
                reading,
                key,
                a1(r, c),
                col.label,
                summed=key in summed,
                row=len(reading.indicators),
            )
        # merged (or left blank) level cells carry the label from above
        level1 = values["level1"] = values.get("level1") or level1
        level2 = values["level2"] = values.get("level2") or level2
        if any(
            values.get(c.key) not in (None, "")
            for c in spec.indicators.columns
            if c.key not in ("level1", "level2")
        ):
            reading.indicators.append(IndicatorRow(r, values, inside=r <= last, formulas=formulas))


def coerce(
    raw: Any,
    type_: str,
    reading: Reading,
    name: str,
    cell: str,
    label: str,
    *,
    summed: bool = False,
    row: int | None = None,
) -> Any:
    """A cell's value as its field type reads it (:mod:`xltool.forms.fields`); every
    conversion leaves a finding. A number typed as text where the workbook's formulas
    read it (``summed``) is kept for a ``number-as-text`` finding: the form itself
    computes without it."""
    ftype = field_type(type_)
    got = ftype.read(raw)
    if got.note is None:
        return got.value
    if got.note == "text-number" and summed:
        reading.text_numbers.append(TextNumber(name, cell, label, row, raw, got.used))
        return got.value
    reading.findings.append(
        Finding(
            "value-coerced" if got.note == "text-number" else got.note,
            sheet=reading.sheet,
            cell=cell,
            field=name,
            found=raw if isinstance(raw, str) else str(raw),
            expected=got.used,
            context={"label": label, "hint_zh": ftype.hint[0], "hint_en": ftype.hint[1]},
        )
    )
    return got.value
