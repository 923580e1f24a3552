"""Edit an OOXML package without re-saving it: every zip member copied as it was
(compressed bytes and all), except the few parts rewritten; and those rewritten by
splicing text at the places a tokenizer found, the rest of each part kept character for
character (prefixes, attribute order, whitespace). The annotated copy
(:mod:`xltool.checking.annotate`) is made this way, so the department's cached formula
values, pictures and everything else openpyxl would drop stay in it.

Every part read is bounded (``Limits.max_entry_size``) and nothing is expanded: the
tokenizer never resolves an entity, and every XML part written is parsed back with
defusedxml before it goes into the copy."""

from __future__ import annotations

import codecs
import html
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET

from xltool.checking.zipcopy import Entry, copied, packed, write_zip
from xltool.limits import Limits

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_PART = "[Content_Types].xml"
REL_CT = "application/vnd.openxmlformats-package.relationships+xml"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# A comment, CDATA, processing instruction or declaration; else a tag: (slash, name, attributes)
_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    r"|<(/?)([^\s/>]+)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.S,
)
_ATTR = re.compile(r"([^\s=/>]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_FORBIDDEN = re.compile(r"<!DOCTYPE|<!ENTITY", re.I)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(slots=True)
class Span:
    """One element of a part's text: ``text[start:open_end]`` is its start tag,
    ``text[open_end:close]`` its content, ``text[close:end]`` its end tag (empty for
    ``<x/>``)."""

    name: str
    start: int
    open_end: int
    close: int
    end: int

    @property
    def local(self) -> str:
        return self.name.rpartition(":")[2]

    @property
    def prefix(self) -> str:
        """``x:`` for ``<x:row>``, empty for ``<row>``: new elements written beside it use it."""
        return self.name[: len(self.name) - len(self.local)]

    @property
    def empty(self) -> bool:
        return self.end == self.open_end


def root(text: str) -> Span:
    """The document element; its end tag is the last one in the part."""
    pos = 0
    while (m := _TOKEN.search(text, pos)) is not None:
        if m.group(2) and not m.group(1):
            break
        pos = m.end()
    else:
        raise ValueError("no root element")
    if m.group(3).endswith("/"):
        return Span(m.group(2), m.start(), m.end(), m.end(), m.end())
    close = text.rindex("</")
    return Span(m.group(2), m.start(), m.end(), close, text.index(">", close) + 1)


def children(text: str, parent: Span, skip: frozenset[str] = frozenset()) -> list[Span]:
    """The child elements of ``parent``, in order. A child named in ``skip`` (a sheet's
    sheetData) is not tokenized: its end is the first end tag of its name."""
    pos, stop, depth = parent.open_end, parent.close, 0
    out: list[Span] = []
    open_: Span | None = None
    while (m := _TOKEN.search(text, pos, stop)) is not None:
        pos = m.end()
        slash, name, attrs = m.groups()
        if not name:
            continue
        if slash:
            depth -= 1
            if depth == 0 and open_ is not None:
                open_.close, open_.end = m.start(), m.end()
                out.append(open_)
        elif attrs.endswith("/"):
            if depth == 0:
                out.append(Span(name, m.start(), m.end(), m.end(), m.end()))
        elif depth == 0 and name.rpartition(":")[2] in skip:
            close = text.index(f"</{name}", pos)
            pos = text.index(">", close) + 1
            out.append(Span(name, m.start(), m.end(), close, pos))
        else:
            if depth == 0:
                open_ = Span(name, m.start(), m.end(), -1, -1)
            depth += 1
    return out


_FLAT: dict[str, re.Pattern[str]] = {}


def named(text: str, parent: Span, local: str) -> list[Span]:
    """The children of ``parent`` called ``local``, for elements that never nest (rows,
    cells): one regular expression over the content, C speed; the full tokenizer when
    the content holds a comment or CDATA that could hide a tag."""
    if text.find("<!", parent.open_end, parent.close) >= 0:
        return [s for s in children(text, parent) if s.local == local]
    pattern = _FLAT.get(local)
    if pattern is None:
        pattern = _FLAT[local] = re.compile(
            rf"<(/?)((?:[\w.-]+:)?{local})(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
        )
    out: list[Span] = []
    for m in pattern.finditer(text, parent.open_end, parent.close):
        slash, name, attrs = m.groups()
        if slash:
            out[-1].close, out[-1].end = m.start(), m.end()
        elif attrs.endswith("/"):
            out.append(Span(name, m.start(), m.end(), m.end(), m.end()))
        else:
            out.append(Span(name, m.start(), m.end(), -1, -1))
    return out


def attrs(tag: str) -> dict[str, str]:
    """A start tag's attributes as written (qualified names), values unescaped."""
    return {m.group(1): html.unescape(m.group(2)[1:-1]) for m in _ATTR.finditer(tag)}


def set_attr(tag: str, name: str, value: str | None) -> str:
    """The start tag with the attribute ``name`` set (or removed, for None); every other
    byte of the tag as it was."""
    for m in _ATTR.finditer(tag):
        if m.group(1) == name:
            new = "" if value is None else f' {name}="{esc_attr(value)}"'
            start = m.start()
            while start > 0 and tag[start - 1].isspace():
                start -= 1
            return tag[:start] + new + tag[m.end() :]
    if value is None:
        return tag
    cut = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:cut].rstrip()} {name}="{esc_attr(value)}"{tag[cut:]}'


def ns_prefix(tag: str, uri: str) -> str | None:
    """The prefix a start tag binds to ``uri`` (``r`` for ``xmlns:r="…"``), if any."""
    for key, value in attrs(tag).items():
        if value == uri and key.startswith("xmlns:"):
            return key[6:]
    return None


Edit = tuple[int, int, str]


def splice(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with each (start, end, new) applied; inserts at one place keep their order."""
    out, pos = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < pos:
            raise ValueError("overlapping edits")
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def append(text: str, parent: Span, xml: str) -> Edit:
    """Add ``xml`` as the last content of ``parent`` (an empty ``<x/>`` opened up)."""
    if parent.empty:
        tag = text[parent.start : parent.end]
        return parent.start, parent.end, f"{tag[:-2].rstrip()}>{xml}</{parent.name}>"
    return parent.close, parent.close, xml


def after_last(kids: list[Span], before: Iterable[str], parent: Span) -> int:
    """Where a new child goes in schema order: after the last child that must precede
    it, else first."""
    names = set(before)
    place = parent.open_end
    for kid in kids:
        if kid.local in names:
            place = kid.end
    return place


def esc(text: str) -> str:
    """Text content: escaped, characters XML cannot hold shown as ``\\xNN``, a literal
    ``_xHHHH_`` kept literal (Excel would read it as an escape)."""
    text = _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def esc_attr(text: str) -> str:
    return esc(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


@dataclass
class Rel:
    id: str
    type: str
    target: str  # the part it points at (resolved), or the raw target when external
    external: bool


@dataclass
class Package:
    """An OOXML package read from its bytes; ``build`` gives the edited copy."""

    data: bytes
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        self.zf = zipfile.ZipFile(io.BytesIO(self.data))
        self.infos = self.zf.infolist()
        self._names = {i.filename.lower(): i.filename for i in self.infos}
        self.changed: dict[str, bytes] = {}
        self.dropped: set[str] = set()
        self._enc: dict[str, str] = {}

    def find(self, part: str) -> str | None:
        """The part's name as stored (part names are case-insensitive), if present."""
        name = self._names.get(part.lower())
        return None if name is None or name in self.dropped else name

    def raw(self, part: str) -> bytes:
        name = self.find(part)
        if name is None:
            raise KeyError(part)
        if name in self.changed:
            return self.changed[name]
        with self.zf.open(name) as f:
            data = f.read(self.limits.max_entry_size + 1)
        if len(data) > self.limits.max_entry_size:
            raise ValueError(f"{name} is over max_entry_size")
        return data

    def head(self, part: str, size: int) -> bytes:
        name = self.find(part)
        if name is None:
            return b""
        if name in self.changed:
            return self.changed[name][:size]
        with self.zf.open(name) as f:
            return f.read(size)

    def text(self, part: str) -> str:
        raw = self.raw(part)
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            enc, text = "utf-16", raw.decode("utf-16", "surrogateescape")
        elif raw.startswith(codecs.BOM_UTF8):
            enc, text = "utf-8-sig", raw[3:].decode("utf-8", "surrogateescape")
        else:
            enc, text = "utf-8", raw.decode("utf-8", "surrogateescape")
        if _FORBIDDEN.search(text):
            raise ValueError(f"{part} carries a DTD")
        self._enc[part.lower()] = enc
        return text

    def put(self, part: str, text: str) -> None:
        name = self.find(part) or part
        self._names[name.lower()] = name
        enc = self._enc.get(name.lower(), "utf-8")
        self.changed[name] = text.encode(enc, "surrogateescape")

    def edit(self, part: str, fn: Callable[[str], str]) -> None:
        self.put(part, fn(self.text(part)))

    def drop(self, part: str) -> None:
        name = self.find(part)
        if name is not None:
            self.dropped.add(name)
            self.changed.pop(name, None)

    def new_name(self, pattern: str) -> str:
        """An unused part name from ``xl/comments{}.xml``."""
        n = 1
        while self.find(pattern.format(n)) is not None:
            n += 1
        return pattern.format(n)

    def parts(self) -> list[str]:
        return [n for n in self._names.values() if n not in self.dropped]

    # relationships

    def rels(self, part: str) -> list[Rel]:
        name = rels_part(part)
        if self.find(name) is None:
            return []
        out = []
        for node in SafeET.fromstring(self.raw(name)):
            target = node.get("Target", "")
            external = node.get("TargetMode") == "External"
            out.append(Rel(node.get("Id", ""), node.get("Type", ""), target, external))
            if not external:
                out[-1].target = resolve(part, target)
        return out

    def add_rel(self, part: str, type_: str, target: str) -> str:
        """A new relationship from ``part`` to the part ``target``; its id."""
        taken = {r.id for r in self.rels(part)}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        rid = f"rId{n}"
        relative = posixpath.relpath(target, posixpath.dirname(part) or ".")
        xml = f'Id="{rid}" Type="{esc_attr(type_)}" Target="{esc_attr(relative)}"/>'
        name = rels_part(part)
        if self.find(name) is None:
            self.put(
                name,
                f'{XML_HEAD}<Relationships xmlns="{PKG_REL_NS}"><Relationship {xml}</Relationships>',
            )
            self.default(name.rpartition(".")[2], REL_CT)
        else:
            self.edit(name, lambda t: _with_child(t, f"Relationship {xml}"))
        return rid

    def drop_rels(self, part: str, ids: set[str]) -> None:
        def without(text: str) -> str:
            top = root(text)
            gone = [k for k in children(text, top) if attrs(_tag(text, k)).get("Id") in ids]
            return splice(text, [(k.start, k.end, "") for k in gone])

        if ids and self.find(rels_part(part)) is not None:
            self.edit(rels_part(part), without)

    # content types

    def override(self, part: str, content_type: str | None) -> None:
        """Set (or remove, for None) the content type override of ``part``."""

        def edited(text: str) -> str:
            top = root(text)
            for kid in children(text, top):
                tag = _tag(text, kid)
                if kid.local == "Override" and attrs(tag).get("PartName", "").lower() == (
                    "/" + part.lower()
                ):
                    new = "" if content_type is None else set_attr(tag, "ContentType", content_type)
                    return splice(text, [(kid.start, kid.open_end if new else kid.end, new)])
            if content_type is None:
                return text
            return _with_child(
                text, f'Override PartName="/{esc_attr(part)}" ContentType="{content_type}"/>'
            )

        self.edit(CT_PART, edited)

    def default(self, extension: str, content_type: str) -> None:
        """Make sure parts named ``*.extension`` have a content type."""

        def edited(text: str) -> str:
            top = root(text)
            for kid in children(text, top):
                if attrs(_tag(text, kid)).get("Extension", "").lower() == extension.lower():
                    return text
            xml = f'Default Extension="{extension}" ContentType="{content_type}"/>'
            first = children(text, top)
            at = first[0].start if first else top.close
            return splice(text, [(at, at, f"<{top.prefix}{xml}")])

        self.edit(CT_PART, edited)

    def content_type(self, part: str) -> str | None:
        top = SafeET.fromstring(self.raw(CT_PART))
        for node in top:
            if node.get("PartName", "").lower() == "/" + part.lower():
                return node.get("ContentType")
        return None

    # the copy

    def build(self) -> bytes:
        """The edited package: members in their order, unchanged ones copied as stored,
        new parts at the end. Every XML part written is parsed back first."""
        for name, raw in self.changed.items():
            if name.endswith((".xml", ".rels")):
                SafeET.fromstring(raw)  # a broken part never goes out
        stamp = next(
            (i.date_time for i in self.infos if i.filename == CT_PART), (1980, 1, 1, 0, 0, 0)
        )
        entries: list[Entry] = []
        for info in self.infos:
            if info.filename in self.dropped:
                continue
            if info.filename in self.changed:
                entries.append(packed(info.filename, self.changed[info.filename], info.date_time))
            else:
                entries.append(copied(self.data, info))
        known = {i.filename for i in self.infos}
        entries += [packed(n, raw, stamp) for n, raw in self.changed.items() if n not in known]
        return write_zip(entries)


def rels_part(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"


def resolve(source: str, target: str) -> str:
    """A relationship target as a part name, relative to the part that names it."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _tag(text: str, span: Span) -> str:
    return text[span.start : span.open_end]


def _with_child(text: str, body: str) -> str:
    """``text`` with ``<{prefix}{body}`` as the root's last child (body ends its own tag)."""
    top = root(text)
    return splice(text, [append(text, top, f"<{top.prefix}{body}")])
