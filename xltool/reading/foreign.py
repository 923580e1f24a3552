"""Forms xltool did not issue: hand-typed copies, last year's file, a province's own
template. Blocks and columns are found by what they say (the synonyms in
``templates/vocabulary/forms.yaml``), never by where an issued form would have them; a column
whose heading says one thing stands for that thing wherever it is.

What was found is a :class:`ForeignForm`; :mod:`xltool.reading.stated` recomputes every derived
figure and reports each *stated* one that differs. No figure is ever invented: what a
form does not show is unknown (None).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from xltool.findings import Finding
from xltool.forms.cells import Pos, a1
from xltool.forms.fields import is_number
from xltool.forms.formula import Evaluator
from xltool.forms.values import parse_measure, parse_number

# --- the vocabulary ------------------------------------------------------------------------

_DECORATION = re.compile(r"\([^()]{0,16}\)|\[[^\[\]]{0,16}\]|【[^【】]{0,16}】")


def norm(text: Any) -> str:
    """A label as it is matched: NFKC, no spaces, no bracketed notes, no 其中： or colon."""
    if not isinstance(text, str):
        return ""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t)
    t = _DECORATION.sub("", t)
    t = re.sub(r"^其中[:：]?", "", t)
    return t.rstrip(":：")


@dataclass(frozen=True)
class Vocabulary:
    tables: dict[str, dict[str, str]]  # table → normalised synonym → key
    evidence: dict[str, tuple[str, ...]]
    profile: dict[str, Any]
    names: dict[str, str]  # a column key → its usual heading (the first synonym)

    def key(self, table: str, text: Any) -> str | None:
        return self.tables[table].get(norm(text))


@cache
def vocabulary() -> Vocabulary:
    import yaml

    from xltool.paths import templates_dir

    raw = yaml.safe_load(
        (templates_dir() / "vocabulary" / "forms.yaml").read_text(encoding="utf-8")
    )
    tables: dict[str, dict[str, str]] = {}
    for table in ("blocks", "fund_columns", "fund_rows", "indicator_columns", "fields"):
        tables[table] = {norm(s): key for key, words in raw[table].items() for s in words}
        tables[table].update({norm(key): key for key in raw[table] if not key.isascii()})
    evidence = {kind: tuple(keys) for kind, keys in raw["evidence"].items()}
    names = {
        key: words[0]
        for table in ("indicator_columns", "fund_columns")
        for key, words in raw[table].items()
    }
    return Vocabulary(tables, evidence, dict(raw["profiles"]["default"]), names)


# --- what was found ------------------------------------------------------------------------


@dataclass
class Line:
    """One row of a table: its label (fund rows), its sheet row, and by column key the
    value the sheet shows and the cell it stands in."""

    row: int
    key: str | None = None
    label: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)


@dataclass
class ForeignForm:
    sheet: str
    fields: dict[str, Any] = field(default_factory=dict)
    field_cells: dict[str, str] = field(default_factory=dict)
    fund_columns: dict[str, int] = field(default_factory=dict)
    funds: list[Line] = field(default_factory=list)
    indicator_columns: dict[str, int] = field(default_factory=dict)
    indicators: list[Line] = field(default_factory=list)
    total: Line | None = None
    findings: list[Finding] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # (cell, what) not carried

    def fund(self, key: str) -> Line | None:
        return next((line for line in self.funds if line.key == key), None)

    def sub_rows(self) -> list[Line]:
        return [line for line in self.funds if line.key != "total"]


class Sheet:
    """A sheet's cells by 0-based place, each as the sheet shows it: a constant, else
    the value saved with a formula, else the formula computed here (a save without
    saved values, as WPS and some tools write)."""

    def __init__(self, cells: dict[Pos, Any], saved: dict[Pos, Any]) -> None:
        self.raw = cells
        self.saved = saved
        self.evaluator = Evaluator(self._cell_at)
        self.by_row: dict[int, list[int]] = {}
        for r, c in sorted(cells):
            self.by_row.setdefault(r, []).append(c)
        self.rows = sorted(self.by_row)

    def _cell_at(self, pos: Pos) -> tuple[bool, Any]:
        cell = self.raw.get(pos)
        if cell is None:
            return False, None
        if cell.data_type == "f":
            return True, str(getattr(cell.value, "text", cell.value) or "")
        return False, cell.value

    def value(self, row: int, col: int) -> Any:
        cell = self.raw.get((row, col))
        if cell is None:
            return None
        if cell.data_type != "f":
            return cell.value
        if self.saved.get((row, col)) is not None:
            return self.saved[(row, col)]
        text = str(getattr(cell.value, "text", cell.value) or "")
        return self.evaluator.value(text if text.startswith("=") else "=" + text)

    def row(self, row: int) -> list[tuple[int, Any]]:
        """(col, value) of every cell of a row that holds something, left to right."""
        cols = self.by_row.get(row, [])
        return [(c, v) for c in cols if (v := self.value(row, c)) not in (None, "")]


# --- reading ------------------------------------------------------------------------------


def read_foreign(sheet_name: str, sheet: Sheet) -> ForeignForm | None:
    """What a hand-made form holds; None when it has no indicator table at all."""
    vocab = vocabulary()
    form = ForeignForm(sheet=sheet_name)
    header = _indicator_header(sheet, vocab)
    if header is None:
        return None
    first_data, form.indicator_columns = header
    header_row = first_data - 1
    _read_indicators(sheet, vocab, form, first_data)
    funds = _fund_header(sheet, vocab, before=header_row)
    if funds is not None:
        fund_row, form.fund_columns = funds
        _read_funds(sheet, vocab, form, fund_row, stop=header_row)
    _read_fields(sheet, vocab, form)
    return form


def _indicator_header(sheet: Sheet, vocab: Vocabulary) -> tuple[int, dict[str, int]] | None:
    """The indicator table's heading: the row naming most indicator columns (with a
    second heading row under a parent, as 年度指标值 over 指标性质 | 指标值 | 度量单位).
    Returns the first data row and each column key's column."""
    best: tuple[int, dict[str, int]] | None = None
    for r in sheet.rows:
        columns = _columns(sheet.row(r), vocab, "indicator_columns")
        if {"name", "points"} <= set(columns) and (best is None or len(columns) > len(best[1])):
            best = (r, columns)
    if best is None:
        return None
    r, columns = best
    below = _columns(sheet.row(r + 1), vocab, "indicator_columns")
    if len(below) >= 2 and not {"name", "points"} <= set(below):
        # a parent heading over sub-columns: each sub-column names its own column
        for key, col in below.items():
            for parent, pcol in list(columns.items()):
                if pcol == col:
                    del columns[parent]
            columns[key] = col
        return r + 2, columns
    return r + 1, columns


def _columns(cells: list[tuple[int, Any]], vocab: Vocabulary, table: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for col, value in cells:
        key = vocab.key(table, value)
        if key and key != "ignored" and key not in out:
            out[key] = col
    return out


def _row_text(sheet: Sheet, r: int) -> list[tuple[int, str]]:
    return [(c, v) for c, v in sheet.row(r) if isinstance(v, str)]


def _read_indicators(sheet: Sheet, vocab: Vocabulary, form: ForeignForm, first: int) -> None:
    """Indicator rows down to the total row: merged (blank) 一级/二级 carry down; blank
    rows, notes and placeholders (……, /) are skipped."""
    cols = form.indicator_columns
    level1 = level2 = None
    for r in [r for r in sheet.rows if r >= first]:
        texts = [norm(v) for _c, v in _row_text(sheet, r)]
        if any(vocab.key("blocks", t) == "total" for t in texts[:2]):
            form.total = _total_line(sheet, r, form)
            break
        if texts and vocab.key("blocks", texts[0].split(":")[0]) == "notes":
            continue
        line = Line(row=r)
        for key, col in cols.items():
            value = sheet.value(r, col)
            value = value.strip() if isinstance(value, str) else value
            line.values[key] = None if placeholder(value) else value
            line.cells[key] = a1(r, col)
        level1 = line.values.get("level1") or level1
        level2 = line.values.get("level2") or level2
        line.values["level1"], line.values["level2"] = level1, level2
        name = line.values.get("name")
        if placeholder(name) and all(
            line.values.get(k) in (None, "") for k in ("points", "score", "actual")
        ):
            continue
        form.indicators.append(line)


def placeholder(value: Any) -> bool:
    """Nothing, or what stands for nothing: ……, /, -, —."""
    return value in (None, "") or (
        isinstance(value, str) and norm(value) in ("……", "...", "…", "/", "-", "—", "——")
    )


def _total_line(sheet: Sheet, r: int, form: ForeignForm) -> Line:
    """总分: its points and score in the points and score columns, else the first two
    numbers right of the label."""
    line = Line(row=r, key="total")
    cols = form.indicator_columns
    for key in ("points", "score"):
        if key in cols:
            line.values[key] = number(sheet.value(r, cols[key]))
            line.cells[key] = a1(r, cols[key])
    numbers = [(c, number(v)) for c, v in sheet.row(r) if number(v) is not None]
    if line.values.get("score") is None and numbers:
        c, v = numbers[-1]
        line.values["score"], line.cells["score"] = v, a1(r, c)
        if line.values.get("points") is None and len(numbers) > 1:
            c, v = numbers[-2]
            line.values["points"], line.cells["points"] = v, a1(r, c)
    return line


def _fund_header(sheet: Sheet, vocab: Vocabulary, before: int) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, dict[str, int]] | None = None
    for r in [r for r in sheet.rows if r < before]:
        columns = _columns(sheet.row(r), vocab, "fund_columns")
        amounts = {"initial", "adjusted", "executed"} & set(columns)
        if len(columns) >= 3 and amounts and (best is None or len(columns) > len(best[1])):
            best = (r, columns)
    return best


def _read_funds(sheet: Sheet, vocab: Vocabulary, form: ForeignForm, header: int, stop: int) -> None:
    """Fund rows under the heading, each by its label (the text left of the first
    amount column), while the labels are fund rows."""
    first_col = min(form.fund_columns.values())
    for r in [r for r in sheet.rows if header < r < stop]:
        labels = [(c, v) for c, v in _row_text(sheet, r) if c < first_col]
        if not labels:
            continue
        label = labels[-1][1]
        key = vocab.key("fund_rows", label)
        if key is None:
            if form.funds:
                break
            continue
        line = Line(row=r, key=key, label=label.strip())
        for ckey, col in form.fund_columns.items():
            line.values[ckey] = sheet.value(r, col)
            line.cells[ckey] = a1(r, col)
        form.funds.append(line)


def _read_fields(sheet: Sheet, vocab: Vocabulary, form: ForeignForm) -> None:
    """A label's value: the first cell to its right that holds something and is not a
    label itself (across merged cells); for a heading row of goals, the cell below."""
    for r in sheet.rows:
        row = sheet.row(r)
        headings = _goal_headings(row, vocab)
        for i, (c, v) in enumerate(row):
            key = vocab.key("fields", v)
            if key is None or key in form.fields:
                continue
            right = [(cc, vv) for cc, vv in row[i + 1 :] if vocab.key("fields", vv) is None]
            below = sheet.value(r + 1, c)
            if key.startswith("goal_") and headings:
                form.fields[key], form.field_cells[key] = below, a1(r + 1, c)
            elif right and right[0][0] <= c + 8:
                form.fields[key], form.field_cells[key] = right[0][1], a1(r, right[0][0])
            else:
                form.field_cells[key] = a1(r, c + 1)
                form.fields[key] = None


def _goal_headings(row: list[tuple[int, Any]], vocab: Vocabulary) -> bool:
    """A row of goal headings (预期目标 | 实际完成情况, each over its text in the row below):
    from its first goal label on, it holds labels only. Goals typed beside their labels
    (预期目标 | text | 实际完成情况 | text, or that last one left empty) are not."""
    keys = [vocab.key("fields", v) for _c, v in row]
    first = next((i for i, k in enumerate(keys) if k and k.startswith("goal_")), None)
    return first is not None and all(k is not None for k in keys[first:])


def number(value: Any) -> float | None:
    """A figure as a form shows it: a number, a number typed as text, or a percentage."""
    if is_number(value):
        return float(value)
    if isinstance(value, str) and value.strip():
        parsed = parse_number(value)
        if parsed.value is not None:
            return float(parsed.value)
        number = parse_measure(value)[1]
        return float(number) if number is not None else None
    return None
