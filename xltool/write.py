"""Layout + data → a formatted, protected .xlsx (XlsxWriter).

What an issued workbook holds: the form sheet (labels locked, inputs unlocked and
shaded, live formulas with the Python face's result cached), data validation with
Chinese prompts, conditional formats, workbook-scope defined names, a 填表说明 sheet,
a very hidden metadata sheet plus custom document properties, print setup, and sheet
and workbook-structure protection.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from rich.cells import cell_len
from xlsxwriter.worksheet import Worksheet

from . import __version__
from .cells import a1, col_name
from .checks import AMBER_FILL, RED_FILL, ExcelFace, checks_for
from .keys import key_id, sign
from .layout import Area, Layout, compute_layout, level_spans, plan_groups
from .limits import META_FORMAT, META_SHEET
from .model import FormData
from .rules import IndicatorScore, ordered_rules, recompute, scored_by_formula, scored_rows
from .spec import NUMERIC_TYPES, Spec
from .text import render_instructions, render_title, title_formula
from .values import normalise_nature

LISTS_SHEET = "_lists"
INSTRUCTIONS_SHEET = "填表说明"

INPUT_FILL = "#FFF7D6"
HEADER_FILL = "#DDEBF7"
LINE_HEIGHT = 14.5
LONGTEXT_LINES = 4  # room a merged free-text cell gets in a blank form
MAX_ROW_HEIGHT = 409

NUM_FORMATS = {"amount": "0.00", "rate": "0.00%", "count": "0", "year": "0", "grade": '"等级："@'}
NATURES = ["≥", "=", "≤", "定性"]

VALIDATION_TEXT: dict[str, tuple[str, str]] = {
    "amount": (
        "金额（万元）",
        "请输入不小于 0 的金额，单位万元，保留两位小数；不要输入单位或千位分隔符。",
    ),
    "count": ("人数", "请输入不小于 0 的整数。"),
    "year": ("年度", "请输入四位年份，例如 2025。"),
    "points": ("分值", "请输入不小于 0 的分值。"),
}


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


@dataclass(frozen=True)
class IssueInfo:
    """How a form is issued. ``issued_at`` defaults to now; ``key`` signs the metadata
    (it is never written); ``prefill_keys`` are fields the issuer set beyond those the
    spec marks as the issuer's (a roster's amounts, say)."""

    issued_at: str = ""
    password: str = ""
    key: bytes | None = field(default=None, repr=False)
    prefill_keys: tuple[str, ...] = ()
    issue_id: str = ""


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
            if type_ in NUM_FORMATS:
                props["num_format"] = NUM_FORMATS[type_]
            if type_ in NUMERIC_TYPES:
                props["align"] = "right" if role == "value" else props["align"]
            if type_ == "text" and role == "value" and align == "left":
                props["quote_prefix"] = True
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]

    def fill(self, colour: str) -> Any:
        key = ("fill", colour)
        if key not in self.cache:
            self.cache[key] = self.wb.add_format({"bg_color": colour, "font_color": "#9C0006"})
        return self.cache[key]


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

    wb = _Workbook(
        target,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            # Parts are assembled in memory: no temp file per part (a form is small).
            "in_memory": True,
        },
    )
    wb.structure_password = info.password
    fmt = _Formats(wb, spec.font)
    ws = wb.add_worksheet(spec.sheet, worksheet_class=_FormSheet)
    issued = prefill(spec, data, info.prefill_keys)
    ws.growing = frozenset(
        _write_grid(ws, fmt, layout, data, computed, rules, set(issued["fields"]))
    )
    _write_validations(wb, ws, layout)
    _write_checks(ws, fmt, layout)
    for name in layout.fields:
        wb.define_name(name, f"={_quote(spec.sheet)}!{layout.address(name, absolute=True)}")
    wb.define_name("indicators", f"={_quote(spec.sheet)}!{layout.indicators_range()}")
    _print_setup(ws, layout)
    ws.protect(
        info.password,
        {"format_cells": True, "format_columns": True, "format_rows": True, "insert_rows": True},
    )
    ws.activate()

    _write_instructions(wb, fmt, spec, data, info.password)
    issued_at = info.issued_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    _write_metadata(wb, metadata(spec, data, layout, issued_at, info, issued))
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


def _write_grid(
    ws: Worksheet,
    fmt: _Formats,
    layout: Layout,
    data: FormData,
    computed: dict[str, Any],
    rules: Iterable[Any],
    prefilled: set[str],
) -> set[int]:
    """The form's cells; returns the rows that take free text (their height must grow)."""
    spec = layout.spec
    ws.set_column(0, 0, spec.section_width)
    widths = [spec.section_width]
    for col in spec.indicators.columns:
        ws.set_column(layout.columns[col.key], layout.columns[col.key], col.width)
        widths.append(col.width)
    heights: dict[int, float] = {}
    free_rows: set[int] = set()

    def need(area: Area, text: Any, base: float = 20.0) -> None:
        if not isinstance(text, str) and area.row in heights:
            heights[area.row] = max(heights[area.row], base)  # a blank cell's room
            return
        width = sum(widths[area.col : area.last_col + 1])
        lines = _lines(str(text) if text is not None else "", width)
        per_row = lines * LINE_HEIGHT / (area.last_row - area.row + 1) + 6
        heights[area.row] = max(heights.get(area.row, base), base, min(per_row, MAX_ROW_HEIGHT))

    title = render_title(spec, data.fields)
    live_title = title_formula(spec, layout.address)
    for label in layout.labels:
        text = title if label.role == "title" else label.text
        style = fmt.get(label.role if label.role in ("title", "section", "header") else "label")
        _put(ws, label.area, text, style)
        if label.role == "title":
            heights[label.area.row] = 32
            if live_title:  # the printed title follows the name and year the filer enters
                saved = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", title)  # XML 1.0
                ws.write_formula(label.area.row, label.area.col, "=" + live_title, style, saved)
        elif label.role != "section":
            need(label.area, text)

    fields = spec.all_fields()
    inputs = set(spec.input_fields())
    rule_by_target = {r.target: r for r in rules}
    for name, area in layout.fields.items():
        ftype = fields[name].type
        if name in rule_by_target:
            formula = rule_by_target[name].formula(layout.address)
            style = fmt.get("value", "grade" if name == spec.total.grade else ftype, locked=True)
            cached = computed.get(name)
            if formula is None:  # a constant of the template
                _put(ws, area, cached, style)
                continue
            _put(ws, area, "", style)
            ws.write_formula(
                area.row, area.col, "=" + formula, style, "" if cached is None else cached
            )
        elif name in inputs:
            value = data.fields.get(name)
            locked = name in prefilled
            align = "left" if fields[name].type == "longtext" else "center"
            style = fmt.get("value", ftype, locked=locked, align=align)
            _put(ws, area, value, style)
            if ftype == "longtext":
                free_rows.update(range(area.row, area.last_row + 1))
                # Excel never grows a merged row: room for a few lines from the start
                need(area, value, base=LONGTEXT_LINES * LINE_HEIGHT + 6 if area.merged else 20.0)
            else:
                need(area, value)

    for level1, first, last in level_spans(layout.groups):
        area = Area(first, layout.columns["level1"], last, layout.columns["level1"])
        _put(ws, area, level1, fmt.get("label"))
    for group in layout.groups:
        col = layout.columns["level2"]
        _put(ws, Area(group.first, col, group.last, col), group.level2, fmt.get("label"))
        free_rows.update(range(group.first, group.last + 1))  # 实际完成值, 偏差原因 …
        for r, row in enumerate(group.rows, start=group.first):
            for column in spec.indicators.columns:
                if column.key in ("level1", "level2"):
                    continue
                if column.key == "score" and scored_by_formula(spec, row):
                    _write_score_formula(ws, fmt, layout, r, row)
                    continue
                value = row.get(column.key)
                locked = column.issuer and value not in (None, "")
                align = "left" if column.type in ("text", "longtext") else "center"
                style = fmt.get("value", column.type, locked=locked, align=align)
                area = Area.cell(r, layout.columns[column.key])
                _put(ws, area, value, style)
                need(area, value)
    for row, height in heights.items():
        ws.set_row(row, height)
    return free_rows


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
        ftype = fields[name].type
        if area is None or ftype not in VALIDATION_TEXT:
            continue
        _number_validation(ws, area.row, area.col, area.row, area.col, ftype)

    first, last = layout.indicator_first, layout.indicator_last
    points_col = layout.columns["points"]
    _number_validation(ws, first, points_col, last, points_col, "points")
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


def _number_validation(ws: Worksheet, r1: int, c1: int, r2: int, c2: int, ftype: str) -> None:
    title, message = VALIDATION_TEXT[ftype]
    options: dict[str, Any] = {
        "validate": "integer" if ftype in ("count", "year") else "decimal",
        "criteria": ">=",
        "value": 0,
        "input_title": title,
        "input_message": message,
        "error_title": f"{title}格式不对",
        "error_message": message,
    }
    if ftype == "year":
        options.update(criteria="between", minimum=2000, maximum=2100)
        del options["value"]
    ws.data_validation(r1, c1, r2, c2, options)


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
        department=data.fields.get("department") or data.fields.get("project_name"),
        year=data.fields.get("year"),
    )
    title = wb.add_format({"font_name": spec.font, "font_size": 14, "bold": True})
    body = wb.add_format({"font_name": spec.font, "font_size": 11, "text_wrap": True})
    for r, line in enumerate(lines):
        ws.write_string(r, 0, line, title if r == 0 else body)
    ws.protect(password)


def prefill(spec: Spec, data: FormData, extra_keys: Iterable[str] = ()) -> dict[str, Any]:
    """What the issuer set: the spec's issuer fields and indicator columns that have a
    value, plus ``extra_keys``. Held in the metadata as evidence for verify."""
    fields = spec.all_fields()
    extra = set(extra_keys)
    issued_fields = {
        k: v
        for k, v in data.fields.items()
        if v not in (None, "") and k in fields and (fields[k].issuer or k in extra)
    }
    columns = [c.key for c in spec.indicators.columns if c.issuer]
    rows = []
    for row in data.indicators:
        kept = {k: row.get(k) for k in columns if row.get(k) not in (None, "")}
        if set(kept) - {"level1", "level2"}:
            rows.append(kept)
    return {"fields": issued_fields, "indicators": rows}


def metadata(
    spec: Spec,
    data: FormData,
    layout: Layout,
    issued_at: str,
    info: IssueInfo | None = None,
    issued: dict[str, Any] | None = None,
) -> dict[str, str]:
    """What the metadata sheet and the custom properties say about an issued workbook,
    signed (HMAC-SHA256 with the issuer's key, else a plain SHA-256)."""
    info = info or IssueInfo()
    fields = data.fields
    meta = {
        "format": META_FORMAT,
        "kind": spec.kind,
        "spec_version": str(spec.version),
        "spec_hash": spec.source_hash,
        "xltool_version": __version__,
        "sheet": spec.sheet,
        "issue_id": info.issue_id or uuid.uuid4().hex,
        "department": str(fields.get("department") or ""),
        "code": str(fields.get("code") or ""),
        "year": str(fields.get("year") or ""),
        "issued_at": issued_at,
        "layout": layout.fingerprint(),
        "groups": json.dumps(
            [[g.level1, g.level2, len(g.rows)] for g in layout.groups], ensure_ascii=False
        ),
        "prefill": json.dumps(issued or prefill(spec, data), ensure_ascii=False, sort_keys=True),
        "key_id": key_id(info.key) if info.key else "",
    }
    meta["signature"] = sign(meta, info.key)
    return meta


META_CHUNK = 30_000  # below Excel's 32,767 characters per cell


def _write_metadata(wb: xlsxwriter.Workbook, meta: dict[str, str]) -> None:
    ws = wb.add_worksheet(META_SHEET)
    for r, (key, value) in enumerate(meta.items()):
        ws.write_string(r, 0, key)
        for c in range(0, max(len(value), 1), META_CHUNK):
            ws.write_string(r, 1 + c // META_CHUNK, value[c : c + META_CHUNK])
    ws.very_hidden()
    ws.protect()
    for key, value in meta.items():
        if key not in ("groups", "prefill") and value:
            wb.set_custom_property(f"xltool_{key}", value)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"
