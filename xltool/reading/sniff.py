"""Untrusted input, before openpyxl sees it: what the file really is, and whether it
stays within the limits. Everything here reads the zip directory and streams parts;
nothing is written and nothing is trusted from the file's name.

Facts behind each check: ``shared/docs/research/untrusted-input.md``.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from xltool.findings import Finding
from xltool.limits import Limits, MiB
from xltool.safeio import NotARegularFile


@dataclass
class Sniffed:
    """What the container check found: a blocking finding, or notes and warnings."""

    blocking: Finding | None = None
    warnings: list[Finding] = field(default_factory=list)


_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_STYLE_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\ss=\"(\d{1,9})\"")
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\sref=\"([A-Za-z$0-9:]{1,40})\"")
_A1 = re.compile(rb"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def unreadable(reason_zh: str, reason_en: str, internal: bool = False) -> Finding:
    return Finding(
        "file-unreadable",
        context={"reason": reason_zh, "reason_zh": reason_zh, "reason_en": reason_en},
        found=reason_en,
        internal=internal,
    )


def sniff(data: bytes, limits: Limits) -> Sniffed:
    """Classify a file's bytes (read once by the caller, within ``limits.max_bytes``) by
    content; a blocking finding means openpyxl must not see it."""
    size = len(data)
    head = data[:8]
    if size == 0:
        return Sniffed(unreadable("文件为空（0 字节）", "the file is empty (0 bytes)"))
    if size > limits.max_bytes:
        return Sniffed(too_large(size, limits))
    if head.startswith(_CFB):
        return Sniffed(_classify_cfb(data))
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _check_zip(data, limits)
    return Sniffed(_classify_other(data))


def too_large(size: int, limits: Limits) -> Finding:
    return unreadable(
        f"文件大小 {size / MiB:.1f} MiB 超过上限 {limits.max_bytes / MiB:g} MiB（max_bytes）",
        f"the file is {size / MiB:.1f} MiB, over the {limits.max_bytes / MiB:g} MiB limit (max_bytes)",
    )


def cannot_open(exc: OSError) -> Finding:
    if isinstance(exc, NotARegularFile):
        return unreadable(
            "不是普通文件（管道、设备或套接字），未读取",
            "not a regular file (a pipe, device or socket); not read",
        )
    if isinstance(exc, FileNotFoundError):
        return unreadable(
            "文件不存在（或链接指向的文件不存在）", "no such file (or a dangling link)"
        )
    if isinstance(exc, PermissionError):
        return unreadable("没有读取该文件的权限", "no permission to read the file")
    reason = exc.strerror or str(exc)
    return unreadable(f"无法打开文件（{reason}）", f"cannot open the file ({reason})")


def _classify_cfb(data: bytes) -> Finding:
    """An OLE/CFB container: an encrypted xlsx, a real .xls, or neither."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir()}
    except Exception as exc:  # olefile raises plain ValueError/OSError/struct.error on junk
        return unreadable(
            f"OLE 复合文档已损坏（{type(exc).__name__}）",
            f"a damaged OLE/CFB container ({type(exc).__name__})",
        )
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return Finding("file-encrypted")
    if "workbook" in streams or "book" in streams:
        return Finding(
            "file-legacy-format", found="xls", context={"format": "Excel 97-2003（.xls）"}
        )
    return unreadable("OLE 复合文档，但不是工作簿", "an OLE/CFB container that is not a workbook")


def _classify_other(data: bytes) -> Finding:
    sample = data[:2048]
    text = sample.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1] == b"<" and re.search(rb"<(html|table|!doctype html)", text[:512], re.I):
        return unreadable(
            "文件实为 HTML 网页，只是扩展名为表格",
            "the file is an HTML page renamed as a spreadsheet",
        )
    if sample and b"\x00" not in sample and (b"," in sample or b"\t" in sample):
        return unreadable(
            "文件实为 CSV/文本，只是扩展名为表格", "the file is CSV/text renamed as a spreadsheet"
        )
    return unreadable("不是电子表格文件（不是 zip 格式）", "not a spreadsheet (not a zip package)")


def _check_zip(data: bytes, limits: Limits) -> Sniffed:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Sniffed(
            unreadable(
                f"zip 包已损坏或被截断（{exc}）", f"a damaged or truncated zip package ({exc})"
            )
        )
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        problem = _zip_directory_problem(data, infos, limits) or _ods(zf, names)
        if problem:
            return Sniffed(problem)
        content_types, problem = _content_types(zf, names)
        if problem:
            return Sniffed(problem)
        problem = _parts_problem(zf, infos, limits) or _missing_sheet_part(zf, names)
        if problem:
            return Sniffed(problem)
        return Sniffed(None, _package_warnings(names, content_types))


def _ods(zf: zipfile.ZipFile, names: set[str]) -> Finding | None:
    if "mimetype" not in names:
        return None
    try:
        mimetype = zf.read("mimetype")[:100]
    except Exception:
        return None
    if b"opendocument.spreadsheet" in mimetype:
        return Finding(
            "file-legacy-format", found="ods", context={"format": "OpenDocument（.ods）"}
        )
    return None


def _content_types(zf: zipfile.ZipFile, names: set[str]) -> tuple[bytes, Finding | None]:
    """The package's [Content_Types].xml, and what it rules out: not OOXML, not a
    spreadsheet, or the binary .xlsb."""
    if "[Content_Types].xml" not in names:
        return b"", unreadable(
            "不是 Office Open XML 包（缺少 [Content_Types].xml）",
            "not an OOXML package (no [Content_Types].xml)",
        )
    try:
        content_types = _read_capped(zf, "[Content_Types].xml", 1 * MiB)
    except Exception as exc:
        return b"", unreadable(
            f"zip 数据损坏（{type(exc).__name__}）", f"corrupt zip data ({type(exc).__name__})"
        )
    if b"spreadsheetml" not in content_types and b"ms-excel" not in content_types:
        return content_types, unreadable(
            "不是电子表格（可能是 Word/PowerPoint 文件）",
            "not a spreadsheet (a Word or PowerPoint file?)",
        )
    if b"sheet.binary.macroEnabled.main" in content_types:
        return content_types, Finding(
            "file-legacy-format", found="xlsb", context={"format": "Excel 二进制工作簿（.xlsb）"}
        )
    return content_types, None


_CORRUPT = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError)


def _parts_problem(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits
) -> Finding | None:
    try:
        return _scan_parts(zf, infos, limits)
    except _CORRUPT as exc:
        return unreadable(
            f"zip 数据损坏（{type(exc).__name__}: {exc}）",
            f"corrupt zip data ({type(exc).__name__}: {exc})",
        )


def _package_warnings(names: set[str], content_types: bytes) -> list[Finding]:
    warnings = []
    if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
        warnings.append(Finding("macro-present"))
    links = sorted(n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml"))
    if links:
        warnings.append(
            Finding("external-link", found=len(links), context={"found": f"{len(links)} 个链接"})
        )
    return warnings


def _zip_directory_problem(
    data: bytes, infos: list[zipfile.ZipInfo], limits: Limits
) -> Finding | None:
    if len(infos) > limits.max_entries:
        return unreadable(
            f"zip 包含 {len(infos)} 个条目，超过上限 {limits.max_entries}（max_entries）",
            f"{len(infos)} zip entries, over the limit of {limits.max_entries} (max_entries)",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            return unreadable(
                f"zip 中有重复条目 {info.filename}", f"duplicate zip entry {info.filename}"
            )
        seen.add(key)
        if info.flag_bits & 0x1:
            return unreadable("zip 条目被加密", "an encrypted zip entry")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return unreadable(
                f"不支持的压缩方式 {info.compress_type}",
                f"unsupported compression method {info.compress_type}",
            )
        if info.file_size > limits.max_entry_size:
            return unreadable(
                f"条目 {info.filename} 解压后 {info.file_size / MiB:.0f} MiB，超过上限（max_entry_size）",
                f"entry {info.filename} declares {info.file_size / MiB:.0f} MiB, over max_entry_size",
            )
        total += info.file_size
        if info.file_size > limits.ratio_grace and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            return unreadable(
                f"条目 {info.filename} 压缩比 {ratio:.0f}:1 超过上限 {limits.max_ratio:g}:1（疑似压缩炸弹，max_ratio）",
                f"entry {info.filename} has a {ratio:.0f}:1 compression ratio, over {limits.max_ratio:g}:1 (max_ratio)",
            )
    if total > limits.max_total_size:
        return unreadable(
            f"解压后总大小 {total / MiB:.0f} MiB 超过上限（max_total_size）",
            f"{total / MiB:.0f} MiB uncompressed in total, over max_total_size",
        )
    return _overlap_problem(data, infos)


def _overlap_problem(data: bytes, infos: list[zipfile.ZipInfo]) -> Finding | None:
    """Entries whose data overlap (a zip-bomb trick; CPython < 3.11.8 does not check)."""
    spans = []
    for info in infos:
        header = data[info.header_offset : info.header_offset + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return unreadable(
                f"zip 条目 {info.filename} 的位置无效",
                f"zip entry {info.filename} points nowhere",
            )
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        end = info.header_offset + 30 + name_len + extra_len + info.compress_size
        spans.append((info.header_offset, end, info.filename))
    spans.sort()
    for (_, end, name), (start, _, other) in itertools.pairwise(spans):
        if start < end:
            return unreadable(
                f"zip 条目 {name} 与 {other} 重叠", f"zip entries {name} and {other} overlap"
            )
    return None


def _read_capped(zf: zipfile.ZipFile, name: str, cap: int) -> bytes:
    with zf.open(name) as f:
        return f.read(cap)


def _scan_parts(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits
) -> Finding | None:
    """Stream every XML part once: DTDs, encodings, strict OOXML, cell and row counts."""
    scan = _SheetScan(limits)
    for info in infos:
        name = info.filename
        if not (name.endswith(".xml") or name.endswith(".rels")):
            continue
        with zf.open(info) as f:
            head = f.read(4096)
            problem = _head_problem(name, head)
            if problem is None and name.startswith("xl/worksheets/"):
                problem = scan.sheet(name, head, f)
            if problem:
                return problem
    return _styles_problem(zf, scan.max_style)


def _head_problem(name: str, head: bytes) -> Finding | None:
    """What a part's first bytes rule out: a DTD, an encoding other than UTF-8/16,
    strict OOXML."""
    if _DOCTYPE.search(head):
        return unreadable(
            f"{name} 含有 DTD 声明（Office 文件格式禁止，可能是 XML 攻击）",
            f"{name} carries a DTD (forbidden in the package format; possibly an XML attack)",
        )
    encoding = _ENCODING.search(head[:200])
    if encoding:
        enc = encoding.group(1).decode("ascii", "replace")
        if enc.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-16", "utf16"):
            return unreadable(
                f"{name} 使用了不允许的编码 {enc}",
                f"{name} declares the encoding {enc} (only UTF-8/16 allowed)",
            )
    if name == "xl/workbook.xml" and _STRICT_NS in head:
        return Finding("file-legacy-format", found="strict", context={"format": "Strict Open XML"})
    return None


class _SheetScan:
    """Counts over every sheet part, streamed in chunks: cells (all sheets), and per
    sheet its rows and merged ranges; the highest style index any cell names."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.cells = 0
        self.max_style = -1

    def sheet(self, name: str, head: bytes, f: Any) -> Finding | None:
        self.rows = self.merges = self.merged = 0
        leftover, chunk = b"", head
        while chunk:
            # scan up to the last complete tag; the rest waits for the next chunk
            data = leftover + chunk
            cut = data.rfind(b">") + 1
            data, leftover = data[:cut], data[cut:][-65536:]
            problem = self._count(name, data)
            if problem:
                return problem
            chunk = f.read(1 * MiB)
        return None

    def _count(self, name: str, data: bytes) -> Finding | None:
        limits = self.limits
        self.cells += len(_CELL.findall(data))
        self.max_style = max([self.max_style, *(int(m) for m in _STYLE_REF.findall(data))])
        self.rows += len(_ROW.findall(data))
        for ref in _MERGE.findall(data):
            self.merges += 1
            self.merged += _span(ref)
        if self.merges > limits.max_merges or self.merged > limits.max_merged_cells:
            return unreadable(
                f"{name} 的合并单元格超过上限（{self.merges:,} 个区域，共 {self.merged:,} 格；"
                f"max_merges {limits.max_merges:,}，max_merged_cells {limits.max_merged_cells:,}）",
                f"{name} merges too much ({self.merges:,} ranges spanning {self.merged:,} cells; "
                f"max_merges {limits.max_merges:,}, max_merged_cells {limits.max_merged_cells:,})",
            )
        if self.cells > limits.max_cells:
            return unreadable(
                f"单元格数量超过上限 {limits.max_cells:,}（max_cells）",
                f"more than {limits.max_cells:,} cells (max_cells)",
            )
        if self.rows > limits.max_rows:
            return unreadable(
                f"{name} 有超过 {limits.max_rows:,} 行（max_rows），不是本表样的填报文件",
                f"{name} has more than {limits.max_rows:,} rows (max_rows)",
            )
        return None


def _styles_problem(zf: zipfile.ZipFile, max_style: int) -> Finding | None:
    """A cell that names a style the package does not have (openpyxl fails on it)."""
    if max_style < 0:
        return None
    styles = (
        _read_capped(zf, "xl/styles.xml", 64 * MiB) if "xl/styles.xml" in zf.namelist() else b""
    )
    block = _CELL_XFS.search(styles)
    available = len(_XF.findall(block.group(1))) if block else 0
    if max_style >= available:
        return unreadable(
            f"单元格引用了不存在的样式（编号 {max_style}，共 {available} 个）",
            f"a cell refers to style {max_style}, but there are only {available}",
        )
    return None


def _span(ref: bytes) -> int:
    """How many cells a merged range covers; a reference that is not A1:B2 counts as the
    whole sheet, so it trips the limit rather than slipping past it."""
    first, _, last = ref.partition(b":")
    a, b = _A1.match(first), _A1.match(last or first)
    if not a or not b:
        return 1_048_576 * 16_384
    rows = abs(int(b.group(2)) - int(a.group(2))) + 1
    cols = abs(_col(b.group(1)) - _col(a.group(1))) + 1
    return rows * cols


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _missing_sheet_part(zf: zipfile.ZipFile, names: set[str]) -> Finding | None:
    """A sheet the workbook lists but whose part is gone (openpyxl silently drops it)."""
    import posixpath

    from defusedxml import ElementTree as SafeET

    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return unreadable(
            "缺少工作簿部件（xl/workbook.xml）", "the workbook part (xl/workbook.xml) is missing"
        )
    try:
        rels = SafeET.fromstring(_read_capped(zf, "xl/_rels/workbook.xml.rels", 4 * MiB))
        workbook = SafeET.fromstring(_read_capped(zf, "xl/workbook.xml", 16 * MiB))
    except Exception as exc:
        return unreadable(
            f"工作簿部件 XML 无效（{type(exc).__name__}）",
            f"invalid workbook XML ({type(exc).__name__})",
        )
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
        targets[rel.get("Id")] = path
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for node in workbook.iter():
        if node.tag.endswith("}sheet"):
            path = targets.get(node.get(rel_ns))
            if path is None or path not in names:
                sheet = node.get("name")
                return unreadable(
                    f"工作表「{sheet}」的部件 {path} 缺失",
                    f"the part {path} of sheet '{sheet}' is missing",
                )
    return None
