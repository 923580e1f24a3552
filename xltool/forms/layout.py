"""Spec + indicator groups → where every label, field and indicator cell lives.

This is the only place positions are decided. The writer draws what the layout says;
the reader starts from the same layout and moves it to where a returned workbook's
defined names (or labels) say things now are. Rows and columns are 0-based.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xltool.forms.cells import a1, col_name, range_a1
from xltool.forms.spec import (
    FundsBlock,
    GoalsBlock,
    HeaderBlock,
    IndicatorsBlock,
    Spec,
    TitleBlock,
    TotalBlock,
)

INDICATORS = "indicators"


@dataclass(frozen=True)
class Area:
    """A rectangle of cells; one cell when first == last."""

    row: int
    col: int
    last_row: int
    last_col: int

    @classmethod
    def cell(cls, row: int, col: int) -> Area:
        return cls(row, col, row, col)

    @property
    def merged(self) -> bool:
        return (self.row, self.col) != (self.last_row, self.last_col)

    @property
    def a1(self) -> str:
        return a1(self.row, self.col)


@dataclass(frozen=True)
class Label:
    text: str
    area: Area
    role: str  # title | section | label | header | dash | blank


@dataclass
class Group:
    """One 二级指标 group: its labels and the indicator rows laid out for it."""

    level1: str
    level2: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    first: int = 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


@dataclass(frozen=True)
class Anchor:
    """A block's first label: where the reader looks for the block when names are gone."""

    text: str
    row: int
    col: int
    fields: tuple[str, ...]


@dataclass
class Layout:
    spec: Spec
    fields: dict[str, Area] = field(default_factory=dict)
    anchors: list[Anchor] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    indicator_header: int = 0
    title_row: int = 0
    last_row: int = 0

    @property
    def indicator_first(self) -> int:
        return self.indicator_header + 1

    @property
    def indicator_last(self) -> int:
        return self.indicator_first + sum(len(g.rows) for g in self.groups) - 1

    def indicator_rows(self) -> list[dict[str, Any]]:
        return [row for g in self.groups for row in g.rows]

    def address(self, name: str, absolute: bool = False) -> str:
        """A1 address of a field, or the column range of ``indicators.<column>``."""
        if name.startswith(INDICATORS + "."):
            col = col_name(self.columns[name.split(".", 1)[1]], absolute)
            d = "$" if absolute else ""
            return f"{col}{d}{self.indicator_first + 1}:{col}{d}{self.indicator_last + 1}"
        area = self.fields[name]
        return a1(area.row, area.col, absolute, absolute)

    def indicators_range(self) -> str:
        first_col = min(self.columns.values())
        last_col = max(self.columns.values())
        return range_a1(self.indicator_first, first_col, self.indicator_last, last_col, True)

    def fingerprint(self) -> str:
        """A short hash of where everything is, stored in the workbook's metadata."""
        parts = [f"{k}={a.row},{a.col}" for k, a in sorted(self.fields.items())]
        parts += [f"{g.level1}/{g.level2}:{g.first}+{len(g.rows)}" for g in self.groups]
        parts += [f"{k}@{c}" for k, c in sorted(self.columns.items())]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def plan_groups(
    spec: Spec, indicators: Sequence[Mapping[str, Any]], spare_rows: int | None = None
) -> list[Group]:
    """Group indicator rows under their 一级/二级 labels, in order of first appearance,
    each followed by its spare empty rows. No rows: the spec's whole framework."""
    spares = spec.indicators.spare_rows if spare_rows is None else spare_rows
    groups: dict[tuple[str, str], Group] = {}
    for row in indicators:
        key = (str(row.get("level1") or ""), str(row.get("level2") or ""))
        groups.setdefault(key, Group(*key)).rows.append(dict(row))
    if not groups:
        for level1, level2s in spec.indicators.framework.items():
            for level2 in level2s:
                groups[(level1, level2)] = Group(level1, level2)
    for group in groups.values():
        # A group always has at least one row to write into.
        blanks = max(spares, 0 if group.rows else 1)
        group.rows.extend({"level1": group.level1, "level2": group.level2} for _ in range(blanks))
    return list(groups.values())


def compute_layout(spec: Spec, groups: list[Group]) -> Layout:
    """Place every block of the spec, top to bottom, for these indicator groups."""
    lay = Layout(spec=spec, groups=groups)
    width = spec.width
    row = 0
    for block in spec.blocks:
        labels_before, fields_before = len(lay.labels), set(lay.fields)
        if isinstance(block, TitleBlock):
            lay.title_row = row
            lay.labels.append(Label("", Area(row, 0, row, width - 1), "title"))
            row += 1
        elif isinstance(block, HeaderBlock):
            row = _place_header(lay, block, row)
        elif isinstance(block, FundsBlock):
            row = _place_funds(lay, block, row)
        elif isinstance(block, GoalsBlock):
            row = _place_goals(lay, block, row)
        elif isinstance(block, IndicatorsBlock):
            row = _place_indicators(lay, block, row)
        elif isinstance(block, TotalBlock):
            row = _place_total(lay, block, row)
        first = next(
            (lb for lb in lay.labels[labels_before:] if lb.text and lb.role != "section"), None
        )
        first = first or next((lb for lb in lay.labels[labels_before:] if lb.text), None)
        if first:
            new_fields = tuple(k for k in lay.fields if k not in fields_before)
            lay.anchors.append(Anchor(first.text, first.area.row, first.area.col, new_fields))
    lay.last_row = row - 1
    return lay


def _place_header(lay: Layout, block: HeaderBlock, row: int) -> int:
    fields = lay.spec.all_fields()
    for items in block.rows:
        col = 0
        for i, item in enumerate(items):
            lay.labels.append(Label(fields[item.field].label, Area.cell(row, col), "label"))
            last = col + item.span
            if i == len(items) - 1:
                last = lay.spec.width - 1  # the last value fills the row
            lay.fields[item.field] = Area(row, col + 1, row, last)
            col = last + 1
        row += 1
    return row


def _place_funds(lay: Layout, block: FundsBlock, row: int) -> int:
    first = row
    lay.labels.append(Label(block.section, Area(row, 0, row + len(block.rows), 0), "section"))
    lay.labels.append(Label("", Area(row, 1, row, block.label_span), "header"))
    start = 1 + block.label_span
    for i, col in enumerate(block.columns):
        lay.labels.append(Label(col.label, Area.cell(row, start + i), "header"))
    dashes = lay.spec.dash_fields()
    for r, fund_row in enumerate(block.rows, start=first + 1):
        lay.labels.append(Label(fund_row.label, Area(r, 1, r, block.label_span), "label"))
        for i, col in enumerate(block.columns):
            key = block.key(fund_row.key, col.key)
            if key in dashes:
                lay.labels.append(Label("—", Area.cell(r, start + i), "dash"))
            else:
                lay.fields[key] = Area.cell(r, start + i)
    return first + 1 + len(block.rows)


def _place_goals(lay: Layout, block: GoalsBlock, row: int) -> int:
    fields = lay.spec.all_fields()
    lay.labels.append(Label(block.section, Area(row, 0, row + 1, 0), "section"))
    spans = _split(lay.spec.width - 1, len(block.fields))
    col = 1
    for name, span in zip(block.fields, spans, strict=True):
        lay.labels.append(Label(fields[name].label, Area(row, col, row, col + span - 1), "header"))
        lay.fields[name] = Area(row + 1, col, row + 1, col + span - 1)
        col += span
    return row + 2


def _place_indicators(lay: Layout, block: IndicatorsBlock, row: int) -> int:
    lay.indicator_header = row
    for i, col in enumerate(block.columns, start=1):
        lay.columns[col.key] = i
        lay.labels.append(Label(col.label, Area.cell(row, i), "header"))
    r = row + 1
    for group in lay.groups:
        group.first = r
        r += len(group.rows)
    lay.labels.append(Label(block.section, Area(row, 0, r - 1, 0), "section"))
    return r


def _place_total(lay: Layout, block: TotalBlock, row: int) -> int:
    points_col = lay.columns["points"]
    score_col = lay.columns["score"]
    lay.labels.append(Label(block.label, Area(row, 0, row, points_col - 1), "section"))
    lay.fields[block.points] = Area.cell(row, points_col)
    lay.fields[block.score] = Area.cell(row, score_col)
    last = score_col
    if block.grade:
        last = score_col + 1
        lay.fields[block.grade] = Area.cell(row, last)
    if last < lay.spec.width - 1:
        lay.labels.append(Label("", Area(row, last + 1, row, lay.spec.width - 1), "blank"))
    return row + 1


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def level_spans(groups: list[Group]) -> list[tuple[str, int, int]]:
    """Runs of consecutive groups sharing a 一级指标: (label, first row, last row)."""
    runs: list[tuple[str, int, int]] = []
    for g in groups:
        if runs and runs[-1][0] == g.level1 and runs[-1][2] == g.first - 1:
            runs[-1] = (g.level1, runs[-1][1], g.last)
        else:
            runs.append((g.level1, g.first, g.last))
    return runs
