"""The annotated copy's styles, added to the workbook's own xl/styles.xml: two fills
(red for errors, yellow for warnings), a cell format cloned from each marked cell's own
with the fill set (its number format, font, borders and protection kept), and the few
formats of the findings sheet. Nothing already in the part changes but the counts."""

from __future__ import annotations

import re

from xltool.checking.ooxml_edit import (
    MAIN_NS,
    REL_NS,
    XML_HEAD,
    Package,
    Span,
    after_last,
    children,
    root,
    set_attr,
    splice,
)

FILL_RGB = {"error": "FFFFC7CE", "warning": "FFFFEB9C"}
LINK_RGB = "FF0563C1"
STYLES_REL = f"{REL_NS}/styles"
STYLES_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs")
# what a block must hold at least: Excel takes fills 0 and 1 as none and gray125 whatever they say
_DEFAULTS = {
    "fonts": ['<{p}font><{p}sz val="11"/><{p}name val="Calibri"/></{p}font>'],
    "fills": [
        '<{p}fill><{p}patternFill patternType="none"/></{p}fill>',
        '<{p}fill><{p}patternFill patternType="gray125"/></{p}fill>',
    ],
    "borders": ["<{p}border><{p}left/><{p}right/><{p}top/><{p}bottom/><{p}diagonal/></{p}border>"],
    "cellXfs": ['<{p}xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'],
}
_STYLE_XF = (
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
)
_FONT_KEEP = re.compile(
    r"<(?:[\w.-]+:)?(?:name|family|charset|scheme)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*/>"
)
_FONT_SIZE = re.compile(r"<(?:[\w.-]+:)?sz\b[^>]*?\bval=[\"']([0-9.]{1,8})[\"']")


class Styles:
    """xl/styles.xml while the copy is made; ``save`` writes what was added."""

    def __init__(self, pkg: Package, workbook: str) -> None:
        self.pkg = pkg
        self.part = _styles_part(pkg, workbook)
        text = _complete(pkg.text(self.part))
        self.text = text
        self.blocks = {k.local: k for k in children(text, root(text))}
        self.items = {name: children(text, self.blocks[name]) for name in _DEFAULTS}
        self.added: dict[str, list[str]] = {name: [] for name in _DEFAULTS}
        self._cache: dict[tuple[object, ...], int] = {}

    def _add(self, block: str, xml: str, key: tuple[object, ...]) -> int:
        if key not in self._cache:
            self.added[block].append(xml)
            self._cache[key] = len(self.items[block]) + len(self.added[block]) - 1
        return self._cache[key]

    def _p(self, block: str) -> str:
        return self.blocks[block].prefix

    def fill(self, severity: str) -> int:
        p = self._p("fills")
        xml = (
            f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{FILL_RGB[severity]}"/>'
            f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>'
        )
        return self._add("fills", xml, ("fill", severity))

    def font(self, kind: str) -> int:
        """``title`` (bold, 14 pt), ``bold`` or ``link``: the workbook's default font so."""
        p = self._p("fonts")
        first = self.items["fonts"][0]
        default = self.text[first.start : first.end]
        size = _FONT_SIZE.search(default)
        sz = size.group(1) if size else "11"
        head = {
            "title": f'<{p}b/><{p}sz val="14"/>',
            "bold": f'<{p}b/><{p}sz val="{sz}"/>',
            "link": f'<{p}u/><{p}sz val="{sz}"/><{p}color rgb="{LINK_RGB}"/>',
        }[kind]
        xml = f"<{p}font>{head}{''.join(_FONT_KEEP.findall(default))}</{p}font>"
        return self._add("fonts", xml, ("font", kind))

    def filled(self, xf: int, severity: str) -> int:
        """A cell format like ``xf`` with the severity's fill."""
        fill = self.fill(severity)
        xfs = self.items["cellXfs"]
        base = xfs[xf] if 0 <= xf < len(xfs) else xfs[0]
        tag = self.text[base.start : base.open_end]
        tag = set_attr(set_attr(tag, "fillId", str(fill)), "applyFill", "1")
        return self._add("cellXfs", tag + self.text[base.open_end : base.end], ("xf", xf, severity))

    def style(self, font: str | None = None, fill: str | None = None, wrap: bool = False) -> int:
        """A cell format of the findings sheet."""
        p = self._p("cellXfs")
        font_id = self.font(font) if font else 0
        fill_id = self.fill(fill) if fill else 0
        xml = f'<{p}xf numFmtId="0" fontId="{font_id}" fillId="{fill_id}" borderId="0" xfId="0"'
        xml += ' applyFont="1"' if font else ""
        xml += ' applyFill="1"' if fill else ""
        if wrap:
            xml += f' applyAlignment="1"><{p}alignment vertical="top" wrapText="1"/></{p}xf>'
        else:
            xml += "/>"
        return self._add("cellXfs", xml, ("style", font, fill, wrap))

    def save(self) -> None:
        edits = []
        for name, xml in self.added.items():
            if xml:
                count = len(self.items[name]) + len(xml)
                edits += grow(self.text, self.blocks[name], "".join(xml), count)
        self.pkg.put(self.part, splice(self.text, edits))


def grow(text: str, block: Span, xml: str, count: int) -> list[tuple[int, int, str]]:
    """Edits that append ``xml`` to ``block`` and set its count."""
    tag = set_attr(text[block.start : block.open_end], "count", str(count))
    if block.empty:
        return [(block.start, block.end, f"{tag[:-2].rstrip()}>{xml}</{block.name}>")]
    return [(block.start, block.open_end, tag), (block.close, block.close, xml)]


def _styles_part(pkg: Package, workbook: str) -> str:
    """The workbook's styles part; an empty one made when the package has none."""
    rel = next((r for r in pkg.rels(workbook) if r.type == STYLES_REL and not r.external), None)
    if rel is not None and pkg.find(rel.target) is not None:
        return rel.target
    part = rel.target if rel is not None else "xl/styles.xml"  # where openpyxl looks
    if rel is None and pkg.find(part) is not None:
        part = pkg.new_name("xl/styles{}.xml")
    blocks = "".join(
        f'<{k} count="{len(v)}">{"".join(v).format(p="")}</{k}>' for k, v in _DEFAULTS.items()
    )
    normal = '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    blocks = blocks.replace("<cellXfs", f"{_STYLE_XF}<cellXfs") + normal
    pkg.put(part, f'{XML_HEAD}<styleSheet xmlns="{MAIN_NS}">{blocks}</styleSheet>')
    pkg.override(part, STYLES_CT)
    if rel is None:
        pkg.add_rel(workbook, STYLES_REL, part)
    return part


def _complete(text: str) -> str:
    """The styles part with the blocks the copy adds to, each holding its defaults."""
    top = root(text)
    if top.empty:
        tag = text[top.start : top.end]
        text = f"{text[: top.start]}{tag[:-2].rstrip()}></{top.name}>{text[top.end :]}"
        top = root(text)
    kids = children(text, top)
    edits = []
    for i, name in enumerate(_ORDER):
        need = _DEFAULTS.get(name, [])
        block = next((k for k in kids if k.local == name), None)
        if need and block is None:
            at = after_last(kids, _ORDER[:i], top)
            xml = "".join(x.format(p=top.prefix) for x in need)
            edits.append(
                (at, at, f'<{top.prefix}{name} count="{len(need)}">{xml}</{top.prefix}{name}>')
            )
        elif need and block is not None and len(children(text, block)) < len(need):
            xml = "".join(x.format(p=block.prefix) for x in need[len(children(text, block)) :])
            edits += grow(text, block, xml, len(need))
    return splice(text, edits) if edits else text
