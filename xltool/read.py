"""A returned .xlsx → what the filer entered, where it stands, and how the computed cells
look now (formula text and the value the spreadsheet program saved).

Tolerant: fields are found by the workbook's defined names first, then by the labels
the layout puts beside them, so inserted rows and LibreOffice/WPS re-saves still read.
Messy numbers are converted and each conversion becomes a finding.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from defusedxml import ElementTree as SafeET

from .cells import a1, col_name, parse_a1
from .fields import field_type
from .findings import Finding
from .formula import Evaluator
from .layout import Anchor, Group, Layout, compute_layout, plan_groups
from .meta import META_SHEET, read_metadata
from .paths import user_specs_dir
from .rules import formula_inputs
from .spec import (
    Spec,
    builtin_kinds,
    load_builtin,
    released_version,
)

Pos = tuple[int, int]  # 0-based (row, column), like every place inside xltool


@dataclass
class IndicatorRow:
    row: int  # 0-based sheet row
    values: dict[str, Any]
    inside: bool = True  # inside the block the totals' formulas cover
    formulas: dict[str, str] = field(default_factory=dict)  # column → formula text


@dataclass(frozen=True)
class InputFormula:
    """A formula the filer put in an input cell: its value is computed here
    (:mod:`xltool.formula`), never taken from the value saved beside it."""

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


def read_form(source: Path | bytes, spec: Spec | None = None) -> Reading:
    """Read a returned workbook (its bytes, read once, or its path) that passed
    :mod:`xltool.sniff`. Raises openpyxl's own exceptions for damaged parts (the caller
    classifies them) and :class:`NotAForm`."""
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
        spec = spec or _spec_for(meta, wb)
        ws, renamed = _form_sheet(wb, spec, meta)
        reading = Reading(spec=spec, sheet=ws.title, meta=meta, saved_at=_saved_at(wb))
        if renamed:
            reading.findings.append(
                Finding("sheet-renamed", sheet=ws.title, found=ws.title, expected=spec.sheet)
            )
        reading.findings += _shown_sheets(wb, ws, spec)
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
        cells = real_cells(ws)
        if cells and (
            max(r for r, _c in cells) >= 1_048_576 or max(c for _r, c in cells) >= 16_384
        ):
            raise ValueError("a cell lies outside the sheet grid (row > 1048576 or column > XFD)")
        layout = compute_layout(
            spec, _groups(spec, meta, max((r + 1 for r, _c in cells), default=0))
        )
        _locate(wb, ws, cells, layout, reading)
        cached = _cached_values(data, ws.title)
        _read_fields(cells, cached, reading)
        _read_indicators(cells, cached, reading)
        return reading
    finally:
        wb.close()


def _saved_at(wb: Any) -> str | None:
    """When the workbook says it was last saved (docProps/core.xml), as ISO text in UTC."""
    try:
        when = wb.properties.modified
    except Exception:  # a damaged core part holds no time worth trusting
        return None
    return when.isoformat() if when is not None and hasattr(when, "isoformat") else None


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
    # No metadata (a re-typed copy): the kind whose labels the workbook carries.
    for candidate in builtin_kinds():
        spec = load_builtin(candidate)
        if _sheet_by_labels(wb, spec) is not None:
            return spec
    raise NotAForm(
        "没有 xltool 元数据，也找不到表样的标签（如「三级指标」「年度资金总额」）",
        "no xltool metadata and none of the form's labels were found",
    )


def real_cells(ws: Any) -> dict[Pos, Any]:
    """Cells that hold something, by (row, column): never max_row × max_column, and not
    trusting the sheet's <dimension> (WPS writes A1:A1)."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    cells: dict[Pos, Any] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                cells[(cell.row - 1, cell.column - 1)] = cell  # openpyxl counts from 1
    return cells


def _header_labels(spec: Spec) -> set[str]:
    return {c.label for c in spec.indicators.columns}


def _sheet_by_labels(wb: Any, spec: Spec) -> Any | None:
    wanted = _header_labels(spec)
    best, best_hits = None, 0
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            continue
        hits = _label_hits(ws, wanted)
        if hits > best_hits:
            best, best_hits = ws, hits
    return best if best_hits >= max(3, len(wanted) // 2) else None


_STATES = {"hidden": ("隐藏", "hidden"), "veryHidden": ("深度隐藏", "very hidden")}


def _shown_sheets(wb: Any, form: Any, spec: Spec) -> list[Finding]:
    """What is shown is what is checked: a hidden form sheet, and any other visible
    sheet that carries the form's labels (a decoy or a copy someone prints instead)."""
    out = []
    state = getattr(form, "sheet_state", "visible") or "visible"
    if state in _STATES:
        zh, en = _STATES[state]
        out.append(
            Finding(
                "sheet-hidden",
                sheet=form.title,
                found=state,
                context={"sheet": form.title, "state_zh": zh, "state_en": en},
            )
        )
    wanted = _header_labels(spec)
    for ws in wb.worksheets:
        if (
            ws is form
            or ws.title == META_SHEET
            or getattr(ws, "sheet_state", "visible") != "visible"
        ):
            continue
        if _label_hits(ws, wanted, max_row=400) >= max(3, len(wanted) // 2):
            out.append(Finding("form-copy", sheet=ws.title, found=ws.title, expected=form.title))
    return out


def _label_hits(ws: Any, wanted: set[str], max_row: int | None = None) -> int:
    """How many of the form's column labels a sheet carries (in its first rows)."""
    if max_row is None:
        texts = {_norm(c.value) for c in real_cells(ws).values() if isinstance(c.value, str)}
    else:
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        texts = {
            _norm(v)
            for row in ws.iter_rows(max_row=max_row, max_col=64, values_only=True)
            for v in row
            if isinstance(v, str) and len(v) <= 80
        }
    return len(wanted & texts)


def _form_sheet(wb: Any, spec: Spec, meta: dict[str, str]) -> tuple[Any, bool]:
    expected = meta.get("sheet") or spec.sheet
    if expected in wb.sheetnames:
        return wb[expected], False
    name = _names(wb).get("indicators")
    if name and name[0] in wb.sheetnames:
        return wb[name[0]], True
    ws = _sheet_by_labels(wb, spec)
    if ws is None:
        raise NotAForm(
            f"找不到工作表「{expected}」，也没有含表头标签的工作表",
            f"no sheet '{expected}' and no sheet carries the form's column labels",
            spec.name,
        )
    return ws, True


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


def _names(wb: Any) -> dict[str, tuple[str, str]]:
    """Workbook-scope defined names that point at one sheet range: name → (sheet, ref)."""
    out: dict[str, tuple[str, str]] = {}
    for name, defined in wb.defined_names.items():
        try:
            dests = list(defined.destinations)
        except Exception:
            continue
        if len(dests) == 1 and _A1_RANGE.match(dests[0][1].replace("$", "")):
            out[name] = (dests[0][0], dests[0][1].replace("$", ""))
    return out


# A cell or a range of cells; whole rows or columns, #REF! and formulas are not places.
_A1_RANGE = re.compile(r"^[A-Za-z]{1,3}\d{1,7}(:[A-Za-z]{1,3}\d{1,7})?$")


def _pos(ref: str) -> Pos:
    return parse_a1(ref.split(":")[0])


def _locate(wb: Any, ws: Any, cells: dict[Pos, Any], layout: Layout, reading: Reading) -> None:
    """Where every field and the indicator block are: names first, then labels."""
    names = {k: v for k, v in _names(wb).items() if v[0] == ws.title}
    label_index = _label_index(cells)
    for anchor in layout.anchors:
        _locate_fields(anchor, names, label_index, layout, reading)
    # the indicator block: its defined name, else between its header row and the total row
    if "indicators" in names:
        header_row = _block_by_name(names["indicators"][1], reading)
    else:
        header_row = _block_by_label(layout, label_index, cells, reading)
        if header_row is None:
            return
    # every column the layout needs must still carry its label in the header row
    for col in reading.spec.indicators.columns:
        found = _norm(_value(cells, header_row, reading.columns[col.key]))
        if found != _norm(col.label):
            cell = a1(header_row, reading.columns[col.key])
            _structure_changed(
                reading, "indicators", col.label, ("列", "column"), cell, found or None
            )
            break


def _locate_fields(
    anchor: Anchor,
    names: dict[str, tuple[str, str]],
    label_index: dict[str, list[Pos]],
    layout: Layout,
    reading: Reading,
) -> None:
    """One block's fields: by their defined names, else moved as its first label moved."""
    by_name = {f: _pos(names[f][1]) for f in anchor.fields if f in names}
    missing = [f for f in anchor.fields if f not in by_name]
    if missing:
        shift = _find_anchor(anchor, label_index)
        if shift is None:
            if anchor.fields:
                _structure_changed(reading, anchor.fields[0], anchor.text, ("标签", "label"))
            return
        for f in missing:
            area = layout.fields[f]
            by_name[f] = (area.row + shift[0], area.col + shift[1])
    reading.positions.update(by_name)


def _block_by_name(ref: str, reading: Reading) -> int:
    """The indicator block from its defined name; returns its header row."""
    spec = reading.spec
    first, last = ref.split(":") if ":" in ref else (ref, ref)
    (r1, c1), (r2, _c2) = _pos(first), _pos(last)
    total_row = reading.positions.get(spec.total.points, (-1, 0))[0]
    if r1 < total_row <= r2:  # a name that runs over the total row claims too much
        r2 = total_row - 1
    reading.block = (r1, r2)
    reading.columns = {c.key: c1 + i for i, c in enumerate(spec.indicators.columns)}
    return r1 - 1


def _block_by_label(
    layout: Layout, label_index: dict[str, list[Pos]], cells: dict[Pos, Any], reading: Reading
) -> int | None:
    """The indicator block from where its header's first label stands, down to the
    total row (or the last row that holds anything); returns its header row."""
    anchor = next(a for a in layout.anchors if a.row == layout.indicator_header)
    shift = _find_anchor(anchor, label_index)
    if shift is None:
        _structure_changed(reading, "indicators", anchor.text, ("表头", "header"))
        return None
    header_row = layout.indicator_header + shift[0]
    reading.columns = {k: c + shift[1] for k, c in layout.columns.items()}
    total_row = reading.positions.get(reading.spec.total.points, (-1, 0))[0]
    if total_row > header_row:
        last = total_row - 1
    else:
        last = max((r for r, _c in cells), default=header_row)
    reading.block = (header_row + 1, last)
    return header_row


def _structure_changed(
    reading: Reading,
    block: str,
    label: str,
    what: tuple[str, str],
    cell: str | None = None,
    found: str | None = None,
) -> None:
    """One finding for a block the layout needs but cannot find; the block is then skipped."""
    reading.missing_blocks.add(block)
    reading.findings.append(
        Finding(
            "structure-changed",
            sheet=reading.sheet,
            cell=cell,
            field=block,
            found=found,
            expected=label if cell else None,
            context={
                "label": label,
                "what_zh": what[0],
                "what_en": what[1],
                "place": f"{reading.sheet}!{cell}" if cell else reading.sheet,
            },
        )
    )


def _label_index(cells: dict[Pos, Any]) -> dict[str, list[Pos]]:
    index: dict[str, list[Pos]] = {}
    for pos, cell in cells.items():
        if isinstance(cell.value, str) and len(cell.value) <= 80:
            index.setdefault(_norm(cell.value), []).append(pos)
    return index


def _find_anchor(anchor: Anchor, index: dict[str, list[Pos]]) -> tuple[int, int] | None:
    """Row and column shift of a block, from where its first label now stands."""
    hits = index.get(_norm(anchor.text))
    if not hits:
        return None
    expected = (anchor.row, anchor.col)
    row, col = min(hits, key=lambda p: (abs(p[0] - expected[0]), abs(p[1] - expected[1])))
    return row - expected[0], col - expected[1]


def _norm(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)) if value is not None else ""


def _value(cells: dict[Pos, Any], row: int, col: int) -> Any:
    cell = cells.get((row, col))
    return None if cell is None else cell.value


def _cached_values(data: bytes, sheet: str) -> dict[Pos, Any]:
    """The values the spreadsheet program saved for formula cells (openpyxl drops them
    when it reads formulas). One streaming pass over the sheet's XML."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return {}
            out: dict[Pos, Any] = {}
            ns_c = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}c"
            ns_f = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}f"
            ns_v = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}v"
            with zf.open(part) as f:
                for _event, elem in SafeET.iterparse(f, events=("end",)):
                    if elem.tag != ns_c:
                        continue
                    if elem.find(ns_f) is not None and elem.get("r"):
                        v = elem.find(ns_v)
                        out[_pos(elem.get("r"))] = _typed_cached(
                            elem.get("t"), v.text if v is not None else None
                        )
                    elem.clear()
            return out
    except Exception:  # cached values are a cross-check, never a reason to fail the read
        return {}


def _typed_cached(t: str | None, text: str | None) -> Any:
    if text is None:
        return None
    if t in ("str", "inlineStr"):
        return text
    if t == "e":
        return text  # '#DIV/0!' etc.
    if t == "b":
        return text == "1"
    try:
        return float(text)
    except ValueError:
        return text


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    workbook = SafeET.fromstring(zf.read("xl/workbook.xml"))
    rid = None
    for node in workbook.iter(f"{ns}sheet"):
        if node.get("name") == sheet:
            rid = node.get(f"{rel_ns}id")
    if rid is None:
        return None
    rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return None


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
    """A cell's value as its field type reads it (:mod:`xltool.fields`); every
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
