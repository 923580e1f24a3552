"""Layout + data → a formatted, protected .xlsx (XlsxWriter).

What an issued workbook holds: the form sheet (labels locked, inputs unlocked and
shaded, live formulas with the Python face's result cached), data validation with
Chinese prompts, conditional formats, workbook-scope defined names, a 填表说明 sheet,
a very hidden metadata sheet plus custom document properties, print setup, and sheet
and workbook-structure protection.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from rich.cells import cell_len
from xlsxwriter.worksheet import Worksheet

from xltool import __version__
from xltool.forms.cells import a1, col_name
from xltool.forms.checks import AMBER_FILL, RED_FILL, ExcelFace, checks_for
from xltool.forms.fields import TYPES, field_type
from xltool.forms.layout import Area, Layout, compute_layout, level_spans, plan_groups
from xltool.forms.meta import IssueInfo, metadata, prefill, write_metadata
from xltool.forms.model import FormData
from xltool.forms.rules import (
    IndicatorScore,
    ordered_rules,
    recompute,
    scored_by_formula,
    scored_rows,
)
from xltool.forms.spec import Spec
from xltool.forms.text import render_instructions, render_title, title_formula
from xltool.forms.values import normalise_nature

LISTS_SHEET = "_lists"
INSTRUCTIONS_SHEET = "填表说明"

INPUT_FILL = "#FFF7D6"
HEADER_FILL = "#DDEBF7"
LINE_HEIGHT = 14.5
LONGTEXT_LINES = 4  # room a merged free-text cell gets in a blank form
MAX_ROW_HEIGHT = 409

GRADE_FORMAT = '"等级："@'  # the 等级 cell: "等级：优"
NATURES = ["≥", "=", "≤", "定性"]


# Functions of Excel 2007 that the forms' rules and checks use; none needs _xlfn.
CLASSIC_FUNCTIONS = frozenset(
    {"ABS", "AND", "AVERAGE", "AVERAGEIFS", "COUNT", "COUNTA", "COUNTIFS", "IF", "IFERROR",
     "ISBLANK", "ISNUMBER", "ISTEXT", "LEFT", "LEN", "MAX", "MIN", "NOT", "OR", "ROUND",
     "SUBTOTAL", "SUM", "SUMIFS", "TRIM", "VALUE"}
)  # fmt: skip
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")


class _FormSheet(Worksheet):
    """Rows that take free text (``growing``) keep their height but are written without
    ``customHeight``, so LibreOffice and WPS grow them with the text typed in."""

    growing: frozenset[int] = frozenset()

    def _xml_start_tag_unencoded(self, tag: str, attributes: Any = None) -> None:
        super()._xml_start_tag_unencoded(tag, self._loosened(tag, attributes))

    def _xml_empty_tag_unencoded(self, tag: str, attributes: Any = None) -> None:
        super()._xml_empty_tag_unencoded(tag, self._loosened(tag, attributes))

    def _loosened(self, tag: str, attributes: Any) -> Any:
        if tag != "row" or not attributes or attributes[0][1] - 1 not in self.growing:
            return attributes
        return [a for a in attributes if a[0] != "customHeight"]

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        """XlsxWriter rewrites every formula through some 180 regular expressions, for
        functions newer than Excel 2007 (a third of the time of issuing a form). A form's
        formulas use none: when each function named is one of Excel 2007's, the formula
        is taken as it is; otherwise XlsxWriter's own rewriting runs."""
        bare = formula.removeprefix("{").removeprefix("=").removesuffix("}")
        if set(_FUNCTION.findall(bare)) <= CLASSIC_FUNCTIONS:
            return bare
        return str(super()._prepare_formula(formula, expand_future_functions))


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter has no workbook-structure protection; add ``<workbookProtection>``."""

    lock_structure: bool = True
    structure_password: str = ""

    def _write_workbook_pr(self) -> None:
        super()._write_workbook_pr()
        if self.lock_structure:
            attributes: list[tuple[str, Any]] = []
            if self.structure_password:
                attributes.append(("workbookPassword", _legacy_hash(self.structure_password)))
            attributes.append(("lockStructure", 1))
            self._xml_empty_tag("workbookProtection", attributes)


def _legacy_hash(password: str) -> str:
    # The same 16-bit hash Excel uses for sheet protection (ECMA-376 Part 4, 14.7.1).
    digest = 0
    for char in password[::-1]:
        digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
        digest ^= ord(char)
    digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
    digest ^= len(password)
    digest ^= 0xCE4B
    return f"{digest:X}"


class _Formats:
    """Creates each distinct cell format once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook, font: str) -> None:
        self.wb = wb
        self.font = font
        self.cache: dict[tuple[Any, ...], Any] = {}

    def get(
        self,
        role: str,
        type_: str = "text",
        locked: bool = True,
        align: str = "center",
    ) -> Any:
        key = (role, type_, locked, align)
        if key not in self.cache:
            props: dict[str, Any] = {
                "font_name": self.font,
                "font_size": 11,
                "border": 1,
                "valign": "vcenter",
                "align": align,
                "text_wrap": True,
                "locked": locked,
            }
            if role == "title":
                props.update(font_size=16, bold=True, border=0)
            elif role in ("section", "header"):
                props.update(bold=True)  # no fill: only the cells to fill in are shaded
            if not locked:
                props["bg_color"] = INPUT_FILL
            ftype = field_type(type_) if type_ in TYPES else None
            if type_ == "grade":
                props["num_format"] = GRADE_FORMAT
            elif ftype and ftype.num_format:
                props["num_format"] = ftype.num_format
            if ftype and ftype.numeric and role == "value":
                props["align"] = "right"
            if type_ == "text" and role == "value" and align == "left":
                props["quote_prefix"] = True
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]

    def fill(self, colour: str) -> Any:
        key = ("fill", colour)
        if key not in self.cache:
            self.cache[key] = self.wb.add_format({"bg_color": colour, "font_color": "#9C0006"})
        return self.cache[key]


_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    # Parts are assembled in memory: no temp file per part (a form is small).
    "in_memory": True,
}


def _define_names(wb: xlsxwriter.Workbook, layout: Layout) -> None:
    """Every field's defined name, and the indicator block's: the public contract."""
    sheet = _quote(layout.spec.sheet)
    for name in layout.fields:
        wb.define_name(name, f"={sheet}!{layout.address(name, absolute=True)}")
    wb.define_name("indicators", f"={sheet}!{layout.indicators_range()}")


def write_form(
    target: str | Path | IO[bytes],
    spec: Spec,
    data: FormData,
    *,
    spare_rows: int | None = None,
    info: IssueInfo | None = None,
) -> Layout:
    """Write one form workbook for ``data`` to ``target``; returns the layout used."""
    info = info or IssueInfo()
    groups = plan_groups(spec, data.indicators, spare_rows)
    layout = compute_layout(spec, groups)
    rules = ordered_rules(spec)
    rows = scored_rows(spec, layout.indicator_rows())
    computed = recompute(rules, data.fields, rows)

    wb = _Workbook(target, _OPTIONS)
    wb.structure_password = info.password
    fmt = _Formats(wb, spec.font)
    ws = wb.add_worksheet(spec.sheet, worksheet_class=_FormSheet)
    # an imported form: nothing is the issuer's, so nothing is locked or signed as such
    issued = prefill(spec, data, info.prefill_keys) if info.source is None else _NOTHING
    ws.growing = frozenset(
        _write_grid(
            ws, fmt, layout, data, computed, rules, set(issued["fields"]), info.source is None
        )
    )
    _write_validations(wb, ws, layout)
    _write_checks(ws, fmt, layout)
    _define_names(wb, layout)
    _print_setup(ws, layout)
    ws.protect(
        info.password,
        {"format_cells": True, "format_columns": True, "format_rows": True, "insert_rows": True},
    )
    ws.activate()

    _write_instructions(wb, fmt, spec, data, info.password)
    issued_at = info.issued_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    write_metadata(wb, metadata(spec, data, layout, issued_at, info, issued))
    wb.set_properties(
        {
            "title": render_title(spec, data.fields),
            "subject": spec.name,
            "author": "xltool",
            "comments": f"Issued by xltool {__version__}",
        }
    )
    wb.close()
    return layout


_NOTHING: dict[str, Any] = {"fields": {}, "indicators": []}


def _write_grid(
    ws: Worksheet,
    fmt: _Formats,
    layout: Layout,
    data: FormData,
    computed: dict[str, Any],
    rules: Iterable[Any],
    prefilled: set[str],
    lock_issuer: bool = True,
) -> set[int]:
    """The form's cells; returns the rows that take free text (their height must grow)."""
    grid = _Grid(ws, fmt, layout)
    grid.lock_issuer = lock_issuer
    grid.labels(render_title(layout.spec, data.fields))
    grid.fields(data, computed, {r.target: r for r in rules}, prefilled)
    grid.indicators()
    for row, height in grid.heights.items():
        ws.set_row(row, height)
    return grid.free_rows


class _Grid:
    """Writes the form's cells and keeps what row heights they need."""

    def __init__(self, ws: Worksheet, fmt: _Formats, layout: Layout) -> None:
        self.ws, self.fmt, self.layout, self.spec = ws, fmt, layout, layout.spec
        ws.set_column(0, 0, self.spec.section_width)
        self.widths = [self.spec.section_width]
        for col in self.spec.indicators.columns:
            ws.set_column(layout.columns[col.key], layout.columns[col.key], col.width)
            self.widths.append(col.width)
        self.heights: dict[int, float] = {}
        self.free_rows: set[int] = set()
        self.lock_issuer = True  # an issuer's column keeps its prefilled cells locked

    def need(self, area: Area, text: Any, base: float = 20.0) -> None:
        """Make the row tall enough for ``text`` in ``area``'s width."""
        heights = self.heights
        if not isinstance(text, str) and area.row in heights:
            heights[area.row] = max(heights[area.row], base)  # a blank cell's room
            return
        width = sum(self.widths[area.col : area.last_col + 1])
        lines = _lines(str(text) if text is not None else "", width)
        per_row = lines * LINE_HEIGHT / (area.last_row - area.row + 1) + 6
        heights[area.row] = max(heights.get(area.row, base), base, min(per_row, MAX_ROW_HEIGHT))

    def labels(self, title: str) -> None:
        live_title = title_formula(self.spec, self.layout.address)
        for label in self.layout.labels:
            text = title if label.role == "title" else label.text
            role = label.role if label.role in ("title", "section", "header") else "label"
            style = self.fmt.get(role)
            _put(self.ws, label.area, text, style)
            if label.role == "title":
                self.heights[label.area.row] = 32
                if live_title:  # the printed title follows the name and year entered
                    saved = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", title)  # XML 1.0
                    area = label.area
                    self.ws.write_formula(area.row, area.col, "=" + live_title, style, saved)
            elif label.role != "section":
                self.need(label.area, text)

    def fields(
        self,
        data: FormData,
        computed: dict[str, Any],
        rule_by_target: dict[str, Any],
        prefilled: set[str],
    ) -> None:
        fields = self.spec.all_fields()
        inputs = set(self.spec.input_fields())
        for name, area in self.layout.fields.items():
            if name in rule_by_target:
                self.formula_cell(name, area, rule_by_target[name], computed.get(name))
            elif name in inputs:
                self.entry(area, fields[name].type, data.fields.get(name), name in prefilled)

    def formula_cell(self, name: str, area: Area, rule: Any, cached: Any) -> None:
        spec = self.spec
        ftype = "grade" if name == spec.total.grade else spec.all_fields()[name].type
        style = self.fmt.get("value", ftype, locked=True)
        formula = rule.formula(self.layout.address)
        if formula is None:  # a constant of the template
            _put(self.ws, area, cached, style)
            return
        _put(self.ws, area, "", style)
        self.ws.write_formula(
            area.row, area.col, "=" + formula, style, "" if cached is None else cached
        )

    def entry(self, area: Area, type_: str, value: Any, locked: bool) -> None:
        ftype = field_type(type_)
        style = self.fmt.get("value", type_, locked=locked, align=ftype.align)
        _put(self.ws, area, value, style)
        if ftype.grows:
            self.free_rows.update(range(area.row, area.last_row + 1))
            # Excel never grows a merged row: room for a few lines from the start
            self.need(area, value, base=LONGTEXT_LINES * LINE_HEIGHT + 6 if area.merged else 20.0)
        else:
            self.need(area, value)

    def indicators(self) -> None:
        layout, spec = self.layout, self.spec
        for level1, first, last in level_spans(layout.groups):
            area = Area(first, layout.columns["level1"], last, layout.columns["level1"])
            _put(self.ws, area, level1, self.fmt.get("label"))
        col = layout.columns["level2"]
        for group in layout.groups:
            area = Area(group.first, col, group.last, col)
            _put(self.ws, area, group.level2, self.fmt.get("label"))
            self.free_rows.update(range(group.first, group.last + 1))  # 实际完成值, 偏差原因 …
            for r, row in enumerate(group.rows, start=group.first):
                for column in spec.indicators.columns:
                    if column.key in ("level1", "level2"):
                        continue
                    if column.key == "score" and scored_by_formula(spec, row):
                        _write_score_formula(self.ws, self.fmt, layout, r, row)
                        continue
                    self.cell(r, column, row.get(column.key))

    def cell(self, r: int, column: Any, value: Any) -> None:
        locked = self.lock_issuer and column.issuer and value not in (None, "")
        align = field_type(column.type).column_align
        style = self.fmt.get("value", column.type, locked=locked, align=align)
        area = Area.cell(r, self.layout.columns[column.key])
        _put(self.ws, area, value, style)
        self.need(area, value)


def _write_score_formula(
    ws: Worksheet, fmt: _Formats, layout: Layout, r: int, row: dict[str, Any]
) -> None:
    rule = IndicatorScore()
    formula = rule.formula(lambda key: a1(r, layout.columns[key]))
    cached = rule.evaluate(
        normalise_nature(row.get("nature")), row.get("target"), row.get("actual"), row.get("points")
    )
    # a spare row stays open: the filer may make it 定性 and enter the score there
    spare = not row.get("name")
    style = fmt.get("value", "score", locked=not spare)
    ws.write_formula(
        r, layout.columns["score"], "=" + formula, style, "" if cached is None else cached
    )


def _put(ws: Worksheet, area: Area, value: Any, style: Any) -> None:
    """Write a value (text always as text, never a formula or link) into a cell or merge."""
    if area.merged:
        ws.merge_range(area.row, area.col, area.last_row, area.last_col, "", style)
    if value is None or value == "":
        ws.write_blank(area.row, area.col, None, style)
    elif isinstance(value, bool):
        ws.write_string(area.row, area.col, str(value), style)
    elif isinstance(value, int | float):
        ws.write_number(area.row, area.col, value, style)
    else:
        ws.write_string(area.row, area.col, str(value), style)


def _lines(text: str, width: float) -> int:
    if not text:
        return 1
    chars_per_line = max(width * 1.1, 1.0)
    return sum(max(1, math.ceil(cell_len(p) / chars_per_line)) for p in text.split("\n"))


def _write_validations(wb: xlsxwriter.Workbook, ws: Worksheet, layout: Layout) -> None:
    spec = layout.spec
    fields = spec.all_fields()
    for name in spec.input_fields():
        area = layout.fields.get(name)
        options = field_type(fields[name].type).validation()
        if area is not None and options:
            ws.data_validation(area.row, area.col, area.row, area.col, options)

    first, last = layout.indicator_first, layout.indicator_last
    for column in spec.indicators.columns:
        options = field_type(column.type).validation()
        col = layout.columns[column.key]
        if options:
            ws.data_validation(first, col, last, col, options)
    framework = spec.indicators.framework
    level1s = list(dict.fromkeys([*framework, *(g.level1 for g in layout.groups)]))
    level2s = list(
        dict.fromkeys(
            [*(x for v in framework.values() for x in v), *(g.level2 for g in layout.groups)]
        )
    )
    lists: list[list[str]] = []
    choices = [("level1", level1s), ("level2", level2s)]
    if "nature" in layout.columns:
        choices.append(("nature", NATURES))
    for key, items in choices:
        col = layout.columns[key]
        items = [i for i in items if i]
        if len(",".join(items)) <= 255 and not any("," in i for i in items):
            source: Any = items
        else:
            # Excel refuses inline lists over 255 characters: reference a hidden sheet.
            lists.append(items)
            letter = col_name(len(lists) - 1)
            source = f"={_quote(LISTS_SHEET)}!${letter}$1:${letter}${len(items)}"
        ws.data_validation(
            first,
            col,
            last,
            col,
            {
                "validate": "list",
                "source": source,
                "input_title": "选择指标",
                "input_message": "请从下拉列表中选择。",
                "error_title": "不在指标体系中",
                "error_message": "请从下拉列表中选择指标体系中的指标。",
            },
        )
    if lists:
        sheet = wb.add_worksheet(LISTS_SHEET)
        for c, items in enumerate(lists):
            sheet.write_column(0, c, items)
        sheet.hide()
        sheet.protect()


def _write_checks(ws: Worksheet, fmt: _Formats, layout: Layout) -> None:
    """Every check family's Excel face: the cells that turn red (or amber) as the filer
    types, and the values Excel refuses."""
    face = ExcelFace(ws, layout, {"red": fmt.fill(RED_FILL), "amber": fmt.fill(AMBER_FILL)})
    for family in checks_for(layout.spec):
        family.excel(face)


def _print_setup(ws: Worksheet, layout: Layout) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    # the indicator table's header row on every printed page
    ws.repeat_rows(layout.indicator_header)
    ws.print_area(0, 0, layout.last_row, layout.spec.width - 1)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.freeze_panes(layout.title_row + 1, 0)


def _write_instructions(
    wb: xlsxwriter.Workbook, fmt: _Formats, spec: Spec, data: FormData, password: str
) -> None:
    ws = wb.add_worksheet(INSTRUCTIONS_SHEET)
    ws.set_column(0, 0, 90)
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
    lines = render_instructions(
        spec,
        department=data.fields.get(spec.identity.name or ""),
        year=data.fields.get(spec.identity.year or ""),
    )
    title = wb.add_format({"font_name": spec.font, "font_size": 14, "bold": True})
    body = wb.add_format({"font_name": spec.font, "font_size": 11, "text_wrap": True})
    for r, line in enumerate(lines):
        ws.write_string(r, 0, line, title if r == 0 else body)
    ws.protect(password)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"
