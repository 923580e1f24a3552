"""A returned report (.docx), read as carefully as a workbook: the bytes once within the
size bound, the zip checked (:mod:`.sniff`'s limits: entries, sizes, ratios, overlaps,
DTDs) before python-docx sees it, and the parse in a child bounded in time and memory.

What it gives: which of the kind's six section headings are present, the figures the
report states (支出总计, 基本支出, 项目支出, 全年预算数, 执行率, 自评得分), each with its
value, the unit it was written in and where it stands (in prose or in a table), the
text of each section, and the signed metadata the issued template carried."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltool.findings import Finding
from xltool.forms.report_meta import read_custom_properties
from xltool.forms.reports import Figure, ReportKind, Section, report_kind, section_of
from xltool.limits import Limits
from xltool.reading import sniff
from xltool.safeio import read_input

REPORT_SUFFIXES = frozenset({".docx", ".doc", ".wps", ".docm", ".rtf", ".odt", ".wpt"})
_LEGACY = {".doc": "Word 97-2003（.doc）", ".wps": "WPS 文字（.wps）", ".wpt": "WPS 模板（.wpt）"}
AMOUNT_UNITS = {"亿元": 10000.0, "万元": 1.0, "元": 0.0001, "": 1.0}
FORM_AMOUNT_PRECISION = 0.005  # the form's amounts: 万元 to two decimals


@dataclass
class Stated:
    """One figure as the report states it. ``value`` is in 万元 (amounts), percent
    (rates) or points (scores); ``tolerance`` is half a unit of its last written digit
    in those units; ``where`` says where it stands."""

    key: str
    label: str
    value: float
    shown: str
    tolerance: float
    where: str


@dataclass
class ReportReading:
    path: str
    sha256: str = ""
    kind: str = "department"
    problem: Finding | None = None
    meta: dict[str, str] = field(default_factory=dict)
    title: str = ""
    header: dict[str, str] = field(default_factory=dict)  # department, code as typed
    headings: list[str] = field(default_factory=list)  # the kind's headings found, in order
    missing: list[str] = field(default_factory=list)  # the kind's headings not found
    figures: list[Stated] = field(default_factory=list)
    texts: dict[str, list[str]] = field(default_factory=dict)  # heading → its paragraphs

    def stated(self, key: str) -> list[Stated]:
        return [s for s in self.figures if s.key == key]


# --- the container ----------------------------------------------------------------------


def _unreadable(zh: str, en: str) -> Finding:
    return Finding("report-unreadable", context={"reason": zh, "reason_zh": zh, "reason_en": en})


def _as_report(finding: Finding) -> Finding:
    """A workbook's unreadable finding (sniff's) as a report's."""
    if finding.code != "file-unreadable":
        return finding
    ctx = finding.context
    return _unreadable(str(ctx.get("reason_zh", "")), str(ctx.get("reason_en", "")))


def sniff_report(data: bytes, name: str, limits: Limits) -> Finding | None:
    """What rules a file out before python-docx sees it; None for a .docx within bounds."""
    suffix = Path(name).suffix.lower()
    if not data:
        return _unreadable("文件为空（0 字节）", "the file is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        return _as_report(sniff.too_large(len(data), limits))
    if data[:5] == b"{\\rtf":
        return Finding("report-legacy-format", found="rtf", context={"format": "RTF（.rtf）"})
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _compound(data, suffix)
    if data[:4] != b"PK\x03\x04":
        return _unreadable("不是 Word 文档（不是 zip 格式）", "not a Word document (not a zip)")
    return _zip_problem(data, limits)


def _compound(data: bytes, suffix: str) -> Finding:
    """An OLE/CFB container: an encrypted .docx, or a .doc/.wps saved the old way."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir()}
    except Exception as exc:  # olefile raises plain errors on junk
        return _unreadable(f"OLE 复合文档已损坏（{type(exc).__name__}）", "a damaged OLE container")
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return _unreadable(
            "文件设置了打开密码，请取消密码后重新报送", "the file is password-encrypted"
        )
    shown = _LEGACY.get(suffix, _LEGACY[".doc"])
    return Finding("report-legacy-format", found=suffix or ".doc", context={"format": shown})


def _zip_problem(data: bytes, limits: Limits) -> Finding | None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return _unreadable(f"zip 包已损坏或被截断（{exc}）", f"a damaged zip package ({exc})")
    with zf:
        infos = zf.infolist()
        problem = sniff._zip_directory_problem(data, infos, limits)
        if problem:
            return _as_report(problem)
        names = {i.filename for i in infos}
        if "mimetype" in names and b"opendocument.text" in zf.read("mimetype")[:100]:
            return Finding(
                "report-legacy-format", found="odt", context={"format": "ODF 文本（.odt）"}
            )
        try:
            types = zf.read("[Content_Types].xml")[: 1024 * 1024]
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as part:
                        problem = sniff._head_problem(info.filename, part.read(4096))
                    if problem:
                        return _as_report(problem)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
            return _unreadable(f"zip 数据损坏（{exc}）", f"corrupt zip data ({exc})")
    if b"wordprocessingml" not in types:
        return _unreadable("不是 Word 文档（可能是表格或演示文稿）", "not a Word document")
    return None


# --- numbers as written -------------------------------------------------------------------

_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_UNIT = r"\s*(?P<unit>亿元|万元|元|%|分)?"
_CELL_NUMBER = re.compile(rf"^{_NUM}{_UNIT}$")


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u3000", " ").strip()


def _decimals(num: str) -> int:
    return len(num.split(".")[1]) if "." in num else 0


def _value(
    figure: Figure, num: str, unit: str, default_unit: str = ""
) -> tuple[float, float] | None:
    """(value, tolerance) of a number written with ``unit`` for ``figure``; None when the
    unit is not one the figure takes (a percentage is no amount)."""
    raw = float(num.replace(",", ""))
    half = 0.5 * 10 ** -_decimals(num)
    if not unit and (figure.kind == "amount" or default_unit == "%"):
        unit = default_unit  # a table's 单位：万元 says nothing of its rates and scores
    if figure.kind == "amount":
        if unit not in AMOUNT_UNITS:
            return None
        factor = AMOUNT_UNITS[unit]
        return raw * factor, max(half * factor, FORM_AMOUNT_PRECISION)
    if figure.kind == "rate":
        if unit == "%":
            return raw, half
        if unit == "" and raw <= 1.5 and default_unit != "%":
            return raw * 100, half * 100
        return (raw, half) if unit == "" else None
    return (raw, half) if unit in ("", "分") else None


# --- prose ----------------------------------------------------------------------------------


def _prose_pattern(label: str) -> re.Pattern[str]:
    return re.compile(re.escape(label) + r"(?P<fill>[^\d,。;、\n]{0,12}?)" + _NUM + _UNIT)


_PATTERNS: dict[str, re.Pattern[str]] = {}


def prose_figures(kind: ReportKind, text: str, where: str) -> list[Stated]:
    """The figures one paragraph states: a label, a few words, a number and its unit."""
    text = norm(text)
    out: list[Stated] = []
    taken: set[int] = set()
    for figure in kind.figures:
        for label in sorted(figure.labels, key=len, reverse=True):
            pattern = _PATTERNS.setdefault(label, _prose_pattern(label))
            for m in pattern.finditer(text):
                if m.start("num") in taken or (figure.kind == "rate" and m["unit"] != "%"):
                    continue
                got = _value(figure, m["num"], m["unit"] or "")
                if got is None:
                    continue
                taken.add(m.start("num"))
                shown = m["num"] + (m["unit"] or "")
                out.append(Stated(figure.key, label, got[0], shown, got[1], where))
    return out


# --- tables ---------------------------------------------------------------------------------

_PAREN_UNIT = re.compile(r"[(（]\s*(?:单位[:：]?\s*)?(亿元|万元|元|%)\s*[)）]")
_TABLE_UNIT = re.compile(r"单位\s*[:：]\s*(亿元|万元|元)")


def _label_of(kind: ReportKind, text: str) -> tuple[Figure, str, str] | None:
    """(figure, label, unit) when a cell heads a figure: its text is the label, maybe
    with a unit in brackets (支出总计（万元）)."""
    t = norm(text)
    unit_match = _PAREN_UNIT.search(t)
    unit = unit_match.group(1) if unit_match else ""
    bare = _PAREN_UNIT.sub("", t).replace(" ", "").rstrip(":：")
    for figure in kind.figures:
        if bare in figure.all_table_labels:
            return figure, bare, unit
    return None


def _cell_number(text: str) -> tuple[str, str] | None:
    m = _CELL_NUMBER.match(norm(text).replace(" ", ""))
    return (m["num"], m["unit"] or "") if m else None


def table_figures(kind: ReportKind, rows: list[list[str]], where: str, unit: str) -> list[Stated]:
    """Figures in a table: a label cell with its number to the right (row-wise), or a row
    of two or more labels over a row of numbers (column-wise)."""
    out: list[Stated] = []
    for r, row in enumerate(rows):
        labels = [(c, found) for c, cell in enumerate(row) if (found := _label_of(kind, cell))]
        beside = [c for c, _ in labels if c + 1 < len(row) and _cell_number(row[c + 1])]
        across = len(labels) >= 2 and not beside and r + 1 < len(rows)
        for c, (figure, label, own_unit) in labels:
            if across:
                cell, place = rows[r + 1][c] if c < len(rows[r + 1]) else "", (r + 2, c + 1)
            else:
                c2 = next((k for k in range(c + 1, len(row)) if _cell_number(row[k])), None)
                cell, place = (row[c2], (r + 1, c2 + 1)) if c2 is not None else ("", (0, 0))
            number = _cell_number(cell)
            if number is None:
                continue
            got = _value(figure, number[0], number[1], own_unit or unit)
            if got is not None:
                shown = number[0] + (
                    number[1] or own_unit or (unit if figure.kind == "amount" else "")
                )
                spot = f"{where}第{place[0]}行第{place[1]}列"
                out.append(Stated(figure.key, label, got[0], shown, got[1], spot))
    return out


def table_unit(rows: list[list[str]], before: list[str]) -> str:
    """The unit a table states for its amounts (单位：元), in it or just above it."""
    for text in [*before[-2:], *(c for row in rows[:2] for c in row)]:
        m = _TABLE_UNIT.search(norm(text))
        if m:
            return m.group(1)
    return "万元"


# --- the document -----------------------------------------------------------------------


@dataclass
class _Walk:
    kind: ReportKind
    reading: ReportReading
    section: Section | None = None
    paragraph: int = 0
    tables: int = 0
    recent: list[str] = field(default_factory=list)

    sub: str = ""

    def where(self) -> str:
        place = f"「{self.section.heading}」" if self.section else "标题部分"
        return place + self.sub

    def paragraph_text(self, text: str) -> None:
        if not text.strip():
            return
        found = section_of(self.kind, text)
        if found is not None:
            self.section, self.paragraph, self.sub = found, 0, ""
            if found.heading not in self.reading.headings:
                self.reading.headings.append(found.heading)
            return
        if _SUB.match(norm(text)) and len(text.strip()) <= 30:
            self.sub, self.paragraph = _SUB_TITLE.split(text.strip())[0][:14], 0
        else:
            self.paragraph += 1
        where = f"{self.where()} 第{self.paragraph}段" if self.paragraph else self.where()
        self.reading.figures.extend(prose_figures(self.kind, text, where))
        if self.section is not None and not _SIGNATURE.search(norm(text)):
            self.reading.texts.setdefault(self.section.heading, []).append(text.strip())
        self.recent = [*self.recent[-2:], text]

    def table(self, rows: list[list[str]]) -> None:
        self.tables += 1
        where = f"{self.where()}表{self.tables}"
        unit = table_unit(rows, self.recent)
        self.reading.figures.extend(table_figures(self.kind, rows, where, unit))


_SUB = re.compile(r"^[(（][一二三四五六七八九十]{1,3}[)）]")
_SUB_TITLE = re.compile(r"[、，,：:。；;]")
_SIGNATURE = re.compile(r"\(盖章\)|^日期\s*:")  # the sign-off below section 六 (after NFKC)


def _rows(table: Any) -> list[list[str]]:
    out = []
    for row in table.rows:
        seen, cells = set(), []
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell repeats
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text)
        out.append(cells)
    return out


_HEADER_NAME = re.compile(r"(?:部门|单位)(?:名称)?\s*[:：]\s*([^\s:：]+)")
_HEADER_CODE = re.compile(r"编码\s*[:：]\s*([0-9A-Za-z_-]+)")


def _header(reading: ReportReading, texts: list[str]) -> None:
    """Title, and the 部门/编码 line the template carries (before the first section)."""
    for text in texts:
        t = norm(text)
        reading.title = reading.title or t
        if (m := _HEADER_NAME.search(t)) and "department" not in reading.header:
            reading.header["department"] = m.group(1)
        if (m := _HEADER_CODE.search(t)) and "code" not in reading.header:
            reading.header["code"] = m.group(1)


def parse_report(data: bytes, form_kind: str) -> ReportReading:
    """Read a sniffed .docx (call it within bounds: :func:`read_report` does)."""
    from docx import Document
    from docx.table import Table

    kind = report_kind(form_kind)
    reading = ReportReading("", kind=kind.name)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        reading.meta = read_custom_properties(zf)
    doc = Document(io.BytesIO(data))
    walk = _Walk(kind, reading)
    before: list[str] = []
    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            walk.table(_rows(block))
            continue
        if walk.section is None and section_of(kind, block.text) is None and block.text.strip():
            before.append(block.text)
        walk.paragraph_text(block.text)
    _header(reading, before[:6])
    reading.missing = [s.heading for s in kind.sections if s.heading not in reading.headings]
    return reading


def read_report(
    source: Path | bytes,
    form_kind: str,
    *,
    name: str | None = None,
    limits: Limits | None = None,
    bounded: bool = True,
) -> ReportReading:
    """A returned report read within bounds; what rules it out is its ``problem``."""
    limits = limits or Limits()
    shown = name or (str(source) if isinstance(source, Path) else "report.docx")
    if isinstance(source, Path):
        try:
            data = read_input(source, limits.max_bytes)
        except OSError as exc:
            return ReportReading(shown, problem=_as_report(sniff.cannot_open(exc)))
    else:
        data = source
    sha = hashlib.sha256(data).hexdigest()
    problem = sniff_report(data, shown, limits)
    if problem is not None:
        return ReportReading(shown, sha, report_kind(form_kind).name, problem=problem)
    try:
        if bounded:
            from xltool.reading.bounded import call_bounded

            reading = call_bounded(parse_report, data, form_kind)
        else:
            reading = parse_report(data, form_kind)
    except Exception as exc:  # python-docx on a damaged part, or over a bound
        zh = getattr(exc, "zh", f"{type(exc).__name__}: {exc}"[:200])
        en = getattr(exc, "en", zh)
        return ReportReading(shown, sha, report_kind(form_kind).name, problem=_unreadable(zh, en))
    reading.path, reading.sha256 = shown, sha
    return reading
