"""Where things are in a returned workbook: the form sheet (by name, by defined names or
by its labels), every field and the indicator block (by defined names first, then by the
labels the layout puts beside them), and sheets that hide or copy the form."""

from __future__ import annotations

import re
from typing import Any

from xltool.findings import Finding
from xltool.forms.cells import a1, parse_a1
from xltool.forms.filled import NotAForm, Pos, Reading
from xltool.forms.layout import Anchor, Layout
from xltool.forms.meta import META_SHEET
from xltool.forms.spec import Spec


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


def sheet_by_labels(wb: Any, spec: Spec) -> Any | None:
    return labelled_sheet(wb, spec)[0]


def sheet_texts(wb: Any) -> dict[str, set[str]]:
    """Every sheet's texts, normalised: read once, however many kinds they are held against."""
    return {
        ws.title: {_norm(c.value) for c in real_cells(ws).values() if isinstance(c.value, str)}
        for ws in wb.worksheets
        if ws.title != META_SHEET
    }


def labelled_sheet(
    wb: Any, spec: Spec, texts: dict[str, set[str]] | None = None
) -> tuple[Any | None, int]:
    """The sheet carrying most of the kind's column labels, and how many it carries
    (None, 0 when no sheet carries enough of them). ``texts``: :func:`sheet_texts`."""
    wanted = _header_labels(spec)
    texts = sheet_texts(wb) if texts is None else texts
    best, best_hits = best_sheet(wb, lambda ws: len(wanted & texts.get(ws.title, set())))
    return (best, best_hits) if best_hits >= max(3, len(wanted) // 2) else (None, 0)


def best_sheet(wb: Any, score: Any) -> tuple[Any | None, int]:
    """The sheet (never the metadata sheet) that ``score`` rates highest, and its score."""
    best, best_hits = None, 0
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            continue
        hits = score(ws)
        if hits > best_hits:
            best, best_hits = ws, hits
    return best, best_hits


_STATES = {"hidden": ("隐藏", "hidden"), "veryHidden": ("深度隐藏", "very hidden")}


def shown_sheets(wb: Any, form: Any, spec: Spec) -> list[Finding]:
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


def _label_hits(ws: Any, wanted: set[str], max_row: int) -> int:
    """How many of the form's column labels a sheet carries in its first rows."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    texts = {
        _norm(v)
        for row in ws.iter_rows(max_row=max_row, max_col=64, values_only=True)
        for v in row
        if isinstance(v, str) and len(v) <= 80
    }
    return len(wanted & texts)


def form_sheet(wb: Any, spec: Spec, meta: dict[str, str]) -> tuple[Any, bool]:
    expected = meta.get("sheet") or spec.sheet
    if expected in wb.sheetnames:
        return wb[expected], False
    name = _names(wb).get("indicators")
    if name and name[0] in wb.sheetnames:
        return wb[name[0]], True
    ws = sheet_by_labels(wb, spec)
    if ws is None:
        raise NotAForm(
            f"找不到工作表「{expected}」，也没有含表头标签的工作表",
            f"no sheet '{expected}' and no sheet carries the form's column labels",
            spec.name,
        )
    return ws, True


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


def locate(wb: Any, ws: Any, cells: dict[Pos, Any], layout: Layout, reading: Reading) -> None:
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
