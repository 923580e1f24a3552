"""The annotated copy: the returned workbook with every finding's cell highlighted and
commented in Chinese, and a first sheet 校验结果 linking to each cell. Made to be
emailed back to the department as is. The input is only read.

The copy is the department's own file with the annotations written into its package
(:mod:`xltool.checking.ooxml_edit`): every other part is copied byte for byte, so the
values its spreadsheet program saved beside each formula, its pictures and whatever
else it holds reach the department unchanged; a preview that does not recalculate
shows the same totals as the file that was sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree as SafeET

from xltool.checking.annotate_sheet import Mark, deselect, mark_sheet
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
    esc_attr,
    ns_prefix,
    rels_part,
    root,
    set_attr,
    splice,
)
from xltool.checking.result import FileResult
from xltool.findings import CATALOGUE, Finding
from xltool.forms.cells import Pos, col_name, parse_a1
from xltool.safeio import write_atomic

RESULT_SHEET = "校验结果"
HEAD = {
    "zh": ["序号", "问题", "代码", "级别", "位置", "说明及修改方法"],
    "en": ["#", "problem", "code", "severity", "cell", "what to fix"],
}
WIDTHS = (6, 18, 22, 8, 14, 90)
SEVERITY = {
    "zh": {"error": "错误", "warning": "警告"},
    "en": {"error": "error", "warning": "warning"},
}
WORKSHEET_REL = f"{REL_NS}/worksheet"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
# CT_Workbook: the children that come before definedNames
_BEFORE_NAMES = (
    "fileVersion",
    "fileSharing",
    "workbookPr",
    "workbookProtection",
    "bookViews",
    "sheets",
    "functionGroups",
    "externalReferences",
)


def annotate(
    result: FileResult, data: bytes, out: Path, lang: str = "zh", force: bool = False
) -> bool:
    """Write the annotated copy of the returned workbook (its bytes, as read by verify)
    to ``out``; False when the file cannot be opened (an unreadable file has no cells
    to mark). The input itself is never written."""
    if result.status == "unreadable":
        return False
    try:
        book = Book.open(data)
    except Exception:
        return False
    # made in memory first: a part that cannot be written fails here, before any file exists
    content = annotated_copy(book, result, lang)
    write_atomic(out, lambda h: h.write(content), force)
    return True


def headline(result: FileResult, lang: str) -> str:
    """What the copy is, in plain words: 本表有 2 个错误、1 个警告，请按下表修改后重新报送."""
    e, w = result.errors, result.warnings
    if lang == "zh":
        if e:
            return f"本表有 {e} 个错误、{w} 个警告，错误的格已标红、警告的格已标黄；请按下表修改后重新报送"
        if w:
            return f"本表校验通过，但有 {w} 个警告（已标黄），请核实"
        return "本表校验通过"
    if e:
        return f"This form has {e} error(s) and {w} warning(s), marked red and yellow; fix them and send it again"
    if w:
        return f"This form passed with {w} warning(s), marked yellow; please check them"
    return "This form passed"


@dataclass
class Book:
    """The package, its workbook part and its sheets: (name, part or None, relationship type)."""

    pkg: Package
    part: str
    sheets: list[tuple[str, str | None, str]]

    @classmethod
    def open(cls, data: bytes) -> Book:
        pkg = Package(data)
        main = next(
            (r.target for r in pkg.rels("") if r.type.endswith("/officeDocument")),
            "xl/workbook.xml",
        )
        tree = SafeET.fromstring(pkg.raw(main))
        rels = {r.id: r for r in pkg.rels(main) if not r.external}
        sheets = []
        for node in tree.iter(f"{{{MAIN_NS}}}sheet"):
            rel = rels.get(node.get(f"{{{REL_NS}}}id", ""))
            found = rel.target if rel is not None and pkg.find(rel.target) else None
            sheets.append((node.get("name", ""), found, rel.type if rel is not None else ""))
        return cls(pkg, main, sheets)

    @property
    def worksheets(self) -> dict[str, str]:
        return {n: p for n, p, t in self.sheets if p is not None and t == WORKSHEET_REL}


def annotated_copy(book: Book, result: FileResult, lang: str = "zh") -> bytes:
    """The package of the annotated copy."""
    pkg = book.pkg
    marks = _marks(result.findings, book.worksheets, lang)
    styles = Styles(pkg, book.part)
    for sheet, cells in marks.items():
        mark_sheet(pkg, book.worksheets[sheet], cells, styles)
    for sheet, part, _ in book.sheets:
        if part is not None and sheet not in marks:
            deselect(pkg, part)
    names = [n for n, _, _ in book.sheets]
    name = _unique(RESULT_SHEET, names)
    xml = findings_sheet(result, lang, styles, set(names))
    styles.save()
    _add_sheet(book, name, xml)
    _drop_calc_chain(book)
    _drop_macros(book)
    return pkg.build()


def _marks(
    findings: list[Finding], sheets: dict[str, str], lang: str
) -> dict[str, dict[Pos, Mark]]:
    """Each finding's cell: the fill of its worst finding, all its messages as the comment."""
    out: dict[str, dict[Pos, Mark]] = {}
    for f in findings:
        if not (f.sheet and f.cell and f.sheet in sheets):
            continue
        try:
            pos = parse_a1(f.cell)
        except ValueError:
            continue
        cells = out.setdefault(f.sheet, {})
        mark = cells.get(pos)
        if mark is None:
            cells[pos] = Mark(f.severity, f.message(lang))
        else:
            mark.note += "\n" + f.message(lang)
            mark.severity = "error" if "error" in (mark.severity, f.severity) else mark.severity
    return out


def _unique(name: str, taken: list[str]) -> str:
    folded = {t.casefold() for t in taken}
    out, n = name, 1
    while out.casefold() in folded:
        out, n = f"{name}{n}", n + 1
    return out


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


# the findings sheet


def findings_sheet(result: FileResult, lang: str, styles: Styles, sheets: set[str]) -> str:
    """The worksheet listing every finding, with inline strings (the workbook's shared
    strings stay as they are) and a link to each finding's cell."""
    s = {
        "title": styles.style(font="title"),
        "bold": styles.style(font="bold"),
        "link": styles.style(font="link"),
        "wrap": styles.style(wrap=True),
        "error": styles.style(fill="error"),
        "warning": styles.style(fill="warning"),
    }
    title = "校验结果" if lang == "zh" else "Verification result"
    rows = [
        _row(1, [_text(0, 0, f"{title}：{Path(result.shown).name}", s["title"])]),
        _row(2, [_text(1, 0, headline(result, lang))]),
        _row(4, [_text(3, c, head, s["bold"]) for c, head in enumerate(HEAD[lang])]),
    ]
    links = []
    for i, f in enumerate(result.findings, start=1):
        r = 3 + i
        code = CATALOGUE[f.code]
        place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
        linked = bool(f.sheet and f.cell and f.sheet in sheets)
        cells = [
            f'<c r="A{r + 1}"><v>{i}</v></c>',
            _text(r, 1, code.title_zh if lang == "zh" else code.title_en),
            _text(r, 2, f.code),
            _text(r, 3, SEVERITY[lang][code.severity], s[f.severity]),
            _text(r, 4, place, s["link"] if linked else None),
            _text(r, 5, f.message(lang), s["wrap"]),
        ]
        rows.append(_row(r + 1, cells))
        if linked:
            location = f"{_quoted(f.sheet or '')}!{f.cell}"
            links.append(
                f'<hyperlink ref="E{r + 1}" location="{esc_attr(location)}" display="{esc_attr(place)}"/>'
            )
    return _worksheet(rows, links, 4 + len(result.findings))


def _worksheet(rows: list[str], links: list[str], last: int) -> str:
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in enumerate(WIDTHS, 1)
    )
    return (
        f'{XML_HEAD}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{col_name(len(WIDTHS) - 1)}{last}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f"<sheetData>{''.join(rows)}</sheetData>"
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "</worksheet>"
    )


def _row(number: int, cells: list[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def _text(row: int, col: int, value: str, style: int | None = None) -> str:
    """A text cell that is never taken for a formula."""
    s = f' s="{style}"' if style else ""
    ref = f"{col_name(col)}{row + 1}"
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{esc(value)}</t></is></c>'


# the workbook: the new sheet first and selected; what would no longer hold dropped


def _add_sheet(book: Book, name: str, xml: str) -> None:
    pkg = book.pkg
    part = pkg.new_name("xl/worksheets/sheet{}.xml")
    pkg.put(part, xml)
    pkg.override(part, WORKSHEET_CT)
    rid = pkg.add_rel(book.part, WORKSHEET_REL, part)
    pkg.edit(book.part, lambda text: _workbook_with(text, name, rid))


def _workbook_with(text: str, name: str, rid: str) -> str:
    """workbook.xml with the sheet first in <sheets>, sheet-scoped names moved one
    place along, the print titles of the new sheet, and the new sheet the active one."""
    top = root(text)
    kids = children(text, top)
    by = {k.local: k for k in kids}
    sheets = by["sheets"]
    ids = [attrs(text[k.start : k.open_end]).get("sheetId", "") for k in children(text, sheets)]
    number = max([int(i) for i in ids if i.isdigit()] + [0]) + 1
    prefix = ns_prefix(text[top.start : top.open_end], REL_NS)
    ref = f'{prefix}:id="{rid}"' if prefix else f'xmlns:r="{REL_NS}" r:id="{rid}"'
    xml = f'<{sheets.prefix}sheet name="{esc_attr(name)}" sheetId="{number}" {ref}/>'
    edits = [append(text, sheets, xml) if sheets.empty else (sheets.open_end, sheets.open_end, xml)]
    edits += _names_moved(text, top, kids, by.get("definedNames"), name)
    views = by.get("bookViews")
    view = next(iter(children(text, views)), None) if views is not None else None
    if view is not None:
        tag = text[view.start : view.open_end]
        for key in ("activeTab", "firstSheet"):
            tag = set_attr(tag, key, "0") if key in attrs(tag) else tag
        edits.append((view.start, view.open_end, tag))
    return splice(text, edits)


def _names_moved(
    text: str, top: Span, kids: list[Span], names: Span | None, sheet: str
) -> list[Edit]:
    p = (names or top).prefix
    titles = f"{_quoted(sheet)}!$4:$4"
    xml = (
        f'<{p}definedName name="_xlnm.Print_Titles" localSheetId="0">{esc(titles)}</{p}definedName>'
    )
    if names is None:
        at = after_last(kids, _BEFORE_NAMES, top)
        return [(at, at, f"<{p}definedNames>{xml}</{p}definedNames>")]
    edits: list[Edit] = []
    for item in children(text, names):
        tag = text[item.start : item.open_end]
        local = attrs(tag).get("localSheetId", "")
        if local.isdigit():
            edits.append(
                (item.start, item.open_end, set_attr(tag, "localSheetId", str(int(local) + 1)))
            )
    return [*edits, append(text, names, xml)]


def _drop_calc_chain(book: Book) -> None:
    """The calculation chain names cells by sheet: a cache Excel rebuilds, dropped rather
    than left pointing one sheet off."""
    _drop(book, [r for r in book.pkg.rels(book.part) if r.type.endswith("/calcChain")])


def _drop_macros(book: Book) -> None:
    """A copy named .xlsx holds no macros (Excel refuses a macro workbook so named), as
    before: the VBA project goes and the workbook's content type is a plain workbook's."""
    pkg = book.pkg
    _drop(book, [r for r in pkg.rels(book.part) if r.type.endswith("/vbaProject")])
    for part in pkg.parts():
        if re.fullmatch(r"(?i)xl/vbaProject[^/]*\.bin", part):
            _drop_part(pkg, part)
    if pkg.content_type(book.part) not in (None, WORKBOOK_CT):
        pkg.override(book.part, WORKBOOK_CT)


def _drop(book: Book, rels: list) -> None:
    for rel in rels:
        if not rel.external:
            _drop_part(book.pkg, rel.target)
    book.pkg.drop_rels(book.part, {r.id for r in rels})


def _drop_part(pkg: Package, part: str) -> None:
    for rel in pkg.rels(part):  # a VBA project's signature
        if not rel.external and pkg.find(rel.target) is not None:
            pkg.drop(rel.target)
            pkg.override(rel.target, None)
    pkg.drop(rels_part(part))
    pkg.drop(part)
    pkg.override(part, None)
