"""One sheet of the annotated copy: the style index of each marked cell (a cell the
sheet does not have is inserted, in row and column order), its comment (merged into
the sheet's comments part if it has one) and the comment's VML shape. Only the
attribute ``s`` of marked cells, the cells and rows added, ``tabSelected`` and the
``legacyDrawing`` element change in the sheet's XML; every other character stays."""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass

from xltool.checking.annotate_styles import Styles
from xltool.checking.ooxml_edit import (
    MAIN_NS,
    REL_NS,
    XML_HEAD,
    Edit,
    Package,
    Span,
    after_last,
    append,
    attrs,
    children,
    esc,
    named,
    ns_prefix,
    root,
    set_attr,
    splice,
)
from xltool.forms.cells import Pos, a1, parse_a1

AUTHOR = "xltool"
COMMENTS_REL = f"{REL_NS}/comments"
VML_REL = f"{REL_NS}/vmlDrawing"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_SKIP = frozenset({"sheetData"})
# CT_Worksheet: the children that come before legacyDrawing
_BEFORE_LEGACY = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
]
_VML_NS = {
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "x": "urn:schemas-microsoft-com:office:excel",
}
_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
_TRUE = ("1", "true", "on")


@dataclass
class Mark:
    """What a marked cell gets: the fill of its worst finding, and its comment."""

    severity: str
    note: str


@dataclass
class Slot:
    """Where a marked cell is in the sheet's XML, or where it goes."""

    xf: int  # the cell format it shows now
    tag: Span | None = None  # its <c>, when the sheet has it
    row: Span | None = None  # its <row>, when the sheet has that
    at: int = -1  # where a new <c> (or <row>) goes


def mark_sheet(pkg: Package, part: str, marks: dict[Pos, Mark], styles: Styles) -> None:
    """Fill, comment and reference every marked cell of the worksheet ``part``."""
    text = pkg.text(part)
    top = root(text)
    kids = children(text, top, _SKIP)
    data = next((k for k in kids if k.local == "sheetData"), None)
    if data is None:
        raise ValueError(f"{part} has no sheetData")
    cols = next((k for k in kids if k.local == "cols"), None)
    slots = locate(text, data, sorted(marks), _column_styles(text, cols))
    xfs = {pos: styles.filled(slot.xf, marks[pos].severity) for pos, slot in slots.items()}
    edits = cell_edits(text, data, slots, xfs)
    edits += deselected(text, kids)
    edits += comment(pkg, part, text, kids, {pos: m.note for pos, m in marks.items()})
    pkg.put(part, splice(text, edits))


def locate(
    text: str, data: Span, wanted: list[Pos], col_xf: list[tuple[int, int, int]]
) -> dict[Pos, Slot]:
    """Each wanted (row, col): its <c>, or where it goes and the format it shows now (its
    row's, when the row has one, else its column's)."""
    rows = named(text, data, "row")
    numbers, prev = [], -1
    for row in rows:
        r = attrs(text[row.start : row.open_end]).get("r")
        prev = int(r) - 1 if r and r.isdigit() else prev + 1
        numbers.append(prev)
    out: dict[Pos, Slot] = {}
    for n, col in wanted:
        i = bisect.bisect_left(numbers, n)
        if i < len(numbers) and numbers[i] == n:
            out[(n, col)] = _in_row(text, rows[i], col, col_xf)
        else:
            at = rows[i].start if i < len(rows) else data.close
            out[(n, col)] = Slot(_column_xf(col_xf, col), at=at)
    return out


def _in_row(text: str, row: Span, col: int, col_xf: list[tuple[int, int, int]]) -> Slot:
    prev = -1
    for cell in [] if row.empty else named(text, row, "c"):
        a = attrs(text[cell.start : cell.open_end])
        prev = parse_a1(a["r"])[1] if "r" in a else prev + 1
        if prev == col:
            return Slot(_int(a.get("s")), cell, row)
        if prev > col:
            return Slot(_row_xf(text, row, col, col_xf), None, row, cell.start)
    return Slot(_row_xf(text, row, col, col_xf), None, row, row.close)


def _row_xf(text: str, row: Span, col: int, col_xf: list[tuple[int, int, int]]) -> int:
    a = attrs(text[row.start : row.open_end])
    if a.get("customFormat", "").lower() in _TRUE and "s" in a:
        return _int(a["s"])
    return _column_xf(col_xf, col)


def _column_styles(text: str, cols: Span | None) -> list[tuple[int, int, int]]:
    out = []
    for col in [] if cols is None else children(text, cols):
        a = attrs(text[col.start : col.open_end])
        if "style" in a and a.get("min", "").isdigit() and a.get("max", "").isdigit():
            out.append((int(a["min"]) - 1, int(a["max"]) - 1, _int(a["style"])))
    return out


def _column_xf(col_xf: list[tuple[int, int, int]], col: int) -> int:
    return next((s for lo, hi, s in col_xf if lo <= col <= hi), 0)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def cell_edits(text: str, data: Span, slots: dict[Pos, Slot], xfs: dict[Pos, int]) -> list[Edit]:
    """The sheet's edits for its marked cells: ``s`` set on the cells it has; new cells
    in their rows, new rows in sheetData, each in order."""
    p = data.prefix
    edits: list[Edit] = []
    new_cells: dict[int, list[tuple[int, str]]] = {}  # a row's start → its new cells
    new_rows: dict[int, dict[int, list[str]]] = {}  # an offset → the new rows there
    rows: dict[int, Span] = {}
    for (r, c), slot in sorted(slots.items()):
        xml = f'<{p}c r="{a1(r, c)}" s="{xfs[(r, c)]}"/>'
        if slot.tag is not None:
            tag = text[slot.tag.start : slot.tag.open_end]
            edits.append((slot.tag.start, slot.tag.open_end, set_attr(tag, "s", str(xfs[(r, c)]))))
        elif slot.row is not None:
            rows[slot.row.start] = slot.row
            new_cells.setdefault(slot.row.start, []).append((c, xml))
            if not slot.row.empty:
                edits.append((slot.at, slot.at, xml))
        else:
            new_rows.setdefault(slot.at, {}).setdefault(r, []).append(xml)
    for start, cells in new_cells.items():
        edits += _row_edits(text, rows[start], cells)
    for at, by_row in new_rows.items():
        xml = "".join(
            f'<{p}row r="{r + 1}">{"".join(c)}</{p}row>' for r, c in sorted(by_row.items())
        )
        edits.append(append(text, data, xml) if data.empty else (at, at, xml))
    return edits


def _row_edits(text: str, row: Span, cells: list[tuple[int, str]]) -> list[Edit]:
    """The row's start tag with its ``spans`` hint widened to the new cells (an empty
    row opened up to hold them)."""
    tag = text[row.start : row.open_end]
    spans = attrs(tag).get("spans")
    if spans:
        bounds = [int(b) for b in re.findall(r"\d+", spans)] or [1]
        lo = min(bounds + [c + 1 for c, _ in cells])
        hi = max(bounds + [c + 1 for c, _ in cells])
        if f"{lo}:{hi}" != spans:
            tag = set_attr(tag, "spans", f"{lo}:{hi}")
    if row.empty:
        body = "".join(xml for _, xml in sorted(cells))
        return [(row.start, row.end, f"{tag[:-2].rstrip()}>{body}</{row.name}>")]
    return [(row.start, row.open_end, tag)] if tag != text[row.start : row.open_end] else []


def deselected(text: str, kids: list[Span]) -> list[Edit]:
    """Edits that unselect the sheet's tab (the findings sheet is the selected one)."""
    views = next((k for k in kids if k.local == "sheetViews"), None)
    edits: list[Edit] = []
    for view in [] if views is None else children(text, views):
        tag = text[view.start : view.open_end]
        if view.local == "sheetView" and attrs(tag).get("tabSelected", "").lower() in _TRUE:
            edits.append((view.start, view.open_end, set_attr(tag, "tabSelected", None)))
    return edits


def deselect(pkg: Package, part: str) -> None:
    """Unselect the tab of a sheet the copy does not otherwise touch (read only when its
    first bytes say it is selected)."""
    head = pkg.head(part, 16384)
    if not re.search(rb"tabSelected\s*=\s*[\"'](1|true|on)[\"']", head, re.I):
        return
    text = pkg.text(part)
    kids = children(text, root(text), _SKIP)
    edits = deselected(text, kids)
    if edits:
        pkg.put(part, splice(text, edits))


# comments


def comment(
    pkg: Package, part: str, text: str, kids: list[Span], notes: dict[Pos, str]
) -> list[Edit]:
    """Write the notes into the sheet's comments part (made when it has none) and their
    shapes into its VML drawing; the sheet's edits for a new legacyDrawing element."""
    rels = pkg.rels(part)
    found = next(
        (r for r in rels if r.type == COMMENTS_REL and not r.external and pkg.find(r.target)), None
    )
    if found is not None:
        new, old = _merge_comments(pkg, found.target, notes)
    else:
        target = pkg.new_name("xl/comments{}.xml")
        pkg.put(target, _comments_xml(notes))
        pkg.override(target, COMMENTS_CT)
        pkg.add_rel(part, COMMENTS_REL, target)
        new, old = set(notes), set()
    legacy = next((k for k in kids if k.local == "legacyDrawing"), None)
    by_id = {r.id: r for r in rels}
    rid = _rel_id(text[legacy.start : legacy.open_end]) if legacy is not None else None
    vml = by_id[rid].target if rid in by_id and not by_id[rid].external else None
    if vml is not None and pkg.find(vml) is not None:
        pkg.edit(vml, lambda t: _with_shapes(t, sorted(new)))
        return []
    target = pkg.new_name("xl/drawings/vmlDrawing{}.vml")
    pkg.put(target, _vml(sorted(new | old), _next_idmap(pkg)))
    pkg.default("vml", VML_CT)
    rid = pkg.add_rel(part, VML_REL, target)
    top = root(text)
    prefix = ns_prefix(text[top.start : top.open_end], REL_NS)
    ref = f'{prefix}:id="{rid}"' if prefix else f'xmlns:r="{REL_NS}" r:id="{rid}"'
    xml = f"<{top.prefix}legacyDrawing {ref}/>"
    if legacy is not None:
        return [(legacy.start, legacy.end, xml)]
    at = after_last(kids, _BEFORE_LEGACY, top)
    return [(at, at, xml)]


def _rel_id(tag: str) -> str | None:
    return next((v for k, v in attrs(tag).items() if k.endswith(":id")), None)


def _comments_xml(notes: dict[Pos, str]) -> str:
    body = "".join(_comment(pos, note, 0, "") for pos, note in sorted(notes.items()))
    return (
        f'{XML_HEAD}<comments xmlns="{MAIN_NS}"><authors><author>{AUTHOR}</author></authors>'
        f"<commentList>{body}</commentList></comments>"
    )


def _comment(pos: Pos, note: str, author: int, p: str) -> str:
    return (
        f'<{p}comment ref="{a1(*pos)}" authorId="{author}"><{p}text>'
        f'<{p}t xml:space="preserve">{esc(note)}</{p}t></{p}text></{p}comment>'
    )


def _merge_comments(pkg: Package, part: str, notes: dict[Pos, str]) -> tuple[set[Pos], set[Pos]]:
    """Add the notes to an existing comments part: a cell that has a comment keeps it and
    gets the note after it. The cells that got a new comment, and those that had one."""
    text = pkg.text(part)
    top = root(text)
    blocks = {k.local: k for k in children(text, top)}
    authors, listed = blocks["authors"], blocks["commentList"]
    names = [html.unescape(text[a.open_end : a.close]) for a in children(text, authors)]
    edits: list[Edit] = []
    if AUTHOR not in names:
        edits.append(
            append(text, authors, f"<{authors.prefix}author>{AUTHOR}</{authors.prefix}author>")
        )
        names.append(AUTHOR)
    old: dict[Pos, Span] = {}
    for item in children(text, listed):
        ref = attrs(text[item.start : item.open_end]).get("ref", "")
        try:
            old[parse_a1(ref.split(":")[0])] = item
        except ValueError:
            continue
    added = []
    for pos, note in sorted(notes.items()):
        if pos in old:
            edits.append(_appended_note(text, old[pos], note))
        else:
            added.append(_comment(pos, note, names.index(AUTHOR), listed.prefix))
    if added:
        edits.append(append(text, listed, "".join(added)))
    pkg.put(part, splice(text, edits))
    return set(notes) - set(old), set(old)


def _appended_note(text: str, item: Span, note: str) -> Edit:
    """The note as a new run at the end of an existing comment's text."""
    body = next(k for k in children(text, item) if k.local == "text")
    p = body.prefix
    run = f'<{p}r><{p}t xml:space="preserve">{esc(chr(10) + note)}</{p}t></{p}r>'
    phonetic = [k for k in children(text, body) if k.local in ("rPh", "phoneticPr")]
    if phonetic:
        return phonetic[0].start, phonetic[0].start, run
    return append(text, body, run)


# VML: the drawing that gives each comment its box


def _shape(shape_id: int, pos: Pos, decl: str = "") -> str:
    row, col = pos
    anchor = f"{col + 1}, 15, {max(row - 1, 0)}, 10, {col + 4}, 15, {max(row - 1, 0) + 6}, 4"
    return (
        f'<v:shape{decl} id="_x0000_s{shape_id}" type="#_x0000_t202" '
        'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:240pt;height:90pt;'
        f'z-index:{shape_id % 1024};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
        f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor>"
        f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column>"
        "</x:ClientData></v:shape>"
    )


def _vml(cells: list[Pos], idmap: int) -> str:
    ns = " ".join(f'xmlns:{k}="{v}"' for k, v in _VML_NS.items())
    shapes = "".join(_shape(idmap * 1024 + i + 1, pos) for i, pos in enumerate(cells))
    return (
        f'<xml {ns}><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{idmap}"/>'
        f"</o:shapelayout>{_SHAPETYPE}{shapes}</xml>"
    )


def _with_shapes(text: str, cells: list[Pos]) -> str:
    """An existing VML drawing with a shape for each new comment (its own namespace
    declarations when the drawing binds v, o, x otherwise)."""
    if not cells:
        return text
    top = root(text)
    tag = text[top.start : top.open_end]
    bound = all(ns_prefix(tag, uri) == k for k, uri in _VML_NS.items())
    decl = "" if bound else "".join(f' xmlns:{k}="{v}"' for k, v in _VML_NS.items())
    used = [int(n) for n in re.findall(r"_x0000_s(\d{1,9})", text)]
    first = max([*used, 1024]) + 1
    xml = "".join(_shape(first + i, pos, decl) for i, pos in enumerate(cells))
    if not re.search(r"id\s*=\s*[\"']_x0000_t202[\"']", text):
        xml = _SHAPETYPE.replace("<v:shapetype", f"<v:shapetype{decl}", 1) + xml
    return splice(text, [(top.close, top.close, xml)])


def _next_idmap(pkg: Package) -> int:
    """A shape-id block no other VML drawing of the package uses."""
    used = [0]
    for part in pkg.parts():
        if part.lower().endswith(".vml"):
            for group in re.findall(rb"data\s*=\s*[\"']([\d,\s]{1,40})[\"']", pkg.head(part, 4096)):
                used += [int(n) for n in re.findall(rb"\d+", group)]
    return max(used) + 1
