"""Untrusted input, before openpyxl sees it: what the file really is, and whether it
stays within the limits. Everything here reads the zip directory and streams parts;
nothing is written and nothing is trusted from the file's name.

Facts behind each check: ``shared/docs/research/untrusted-input.md``.
"""

from __future__ import annotations

import itertools
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds checked from the zip directory and a streaming pre-scan; each is configurable."""

    max_bytes: int = 50 * MiB
    max_entries: int = 1000
    max_entry_size: int = 256 * MiB
    max_total_size: int = 512 * MiB
    max_ratio: float = 100.0
    ratio_grace: int = 1 * MiB
    max_cells: int = 2_000_000
    max_rows: int = 100_000


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


def unreadable(reason_zh: str, reason_en: str, internal: bool = False) -> Finding:
    return Finding(
        "file-unreadable",
        context={"reason": reason_zh, "reason_zh": reason_zh, "reason_en": reason_en},
        found=reason_en,
        internal=internal,
    )


def sniff(path: Path, limits: Limits) -> Sniffed:
    """Classify ``path`` by content; a blocking finding means openpyxl must not see it."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        return Sniffed(
            unreadable(f"无法打开文件（{exc.strerror}）", f"cannot open the file ({exc.strerror})")
        )
    if size == 0:
        return Sniffed(unreadable("文件为空（0 字节）", "the file is empty (0 bytes)"))
    if size > limits.max_bytes:
        return Sniffed(
            unreadable(
                f"文件大小 {size / MiB:.1f} MiB 超过上限 {limits.max_bytes / MiB:g} MiB（max_bytes）",
                f"the file is {size / MiB:.1f} MiB, over the {limits.max_bytes / MiB:g} MiB limit (max_bytes)",
            )
        )
    if head.startswith(_CFB):
        return Sniffed(_classify_cfb(path))
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _check_zip(path, limits)
    return Sniffed(_classify_other(path))


def _classify_cfb(path: Path) -> Finding:
    """An OLE/CFB container: an encrypted xlsx, a real .xls, or neither."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
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


def _classify_other(path: Path) -> Finding:
    with path.open("rb") as f:
        sample = f.read(2048)
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


def _check_zip(path: Path, limits: Limits) -> Sniffed:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Sniffed(
            unreadable(
                f"zip 包已损坏或被截断（{exc}）", f"a damaged or truncated zip package ({exc})"
            )
        )
    with zf:
        infos = zf.infolist()
        problem = _zip_directory_problem(path, infos, limits)
        if problem:
            return Sniffed(problem)
        names = {i.filename for i in infos}
        if "mimetype" in names:
            try:
                mimetype = zf.read("mimetype")[:100]
            except Exception:
                mimetype = b""
            if b"opendocument.spreadsheet" in mimetype:
                return Sniffed(
                    Finding(
                        "file-legacy-format",
                        found="ods",
                        context={"format": "OpenDocument（.ods）"},
                    )
                )
        if "[Content_Types].xml" not in names:
            return Sniffed(
                unreadable(
                    "不是 Office Open XML 包（缺少 [Content_Types].xml）",
                    "not an OOXML package (no [Content_Types].xml)",
                )
            )
        try:
            content_types = _read_capped(zf, "[Content_Types].xml", 1 * MiB)
        except Exception as exc:
            return Sniffed(
                unreadable(
                    f"zip 数据损坏（{type(exc).__name__}）",
                    f"corrupt zip data ({type(exc).__name__})",
                )
            )
        if b"spreadsheetml" not in content_types and b"ms-excel" not in content_types:
            return Sniffed(
                unreadable(
                    "不是电子表格（可能是 Word/PowerPoint 文件）",
                    "not a spreadsheet (a Word or PowerPoint file?)",
                )
            )
        if b"sheet.binary.macroEnabled.main" in content_types:
            return Sniffed(
                Finding(
                    "file-legacy-format",
                    found="xlsb",
                    context={"format": "Excel 二进制工作簿（.xlsb）"},
                )
            )
        try:
            problem = _scan_parts(zf, infos, limits)
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            return Sniffed(
                unreadable(
                    f"zip 数据损坏（{type(exc).__name__}: {exc}）",
                    f"corrupt zip data ({type(exc).__name__}: {exc})",
                )
            )
        if problem:
            return Sniffed(problem)
        problem = _missing_sheet_part(zf, names)
        if problem:
            return Sniffed(problem)
        warnings = []
        if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
            warnings.append(Finding("macro-present"))
        links = sorted(n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml"))
        if links:
            warnings.append(
                Finding(
                    "external-link", found=len(links), context={"found": f"{len(links)} 个链接"}
                )
            )
        return Sniffed(None, warnings)


def _zip_directory_problem(
    path: Path, infos: list[zipfile.ZipInfo], limits: Limits
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
    return _overlap_problem(path, infos)


def _overlap_problem(path: Path, infos: list[zipfile.ZipInfo]) -> Finding | None:
    """Entries whose data overlap (a zip-bomb trick; CPython < 3.11.8 does not check)."""
    spans = []
    with path.open("rb") as f:
        for info in infos:
            f.seek(info.header_offset)
            header = f.read(30)
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
    cells = 0
    max_style = -1
    for info in infos:
        name = info.filename
        if not (name.endswith(".xml") or name.endswith(".rels")):
            continue
        is_sheet = name.startswith("xl/worksheets/")
        with zf.open(info) as f:
            head = f.read(4096)
            if _DOCTYPE.search(head):
                return unreadable(
                    f"{name} 含有 DTD 声明（Office 文件格式禁止，可能是 XML 攻击）",
                    f"{name} carries a DTD (forbidden in the package format; possibly an XML attack)",
                )
            encoding = _ENCODING.search(head[:200])
            if encoding and encoding.group(1).decode("ascii", "replace").lower().replace(
                "_", "-"
            ) not in (
                "utf-8",
                "utf8",
                "utf-16",
                "utf16",
            ):
                enc = encoding.group(1).decode("ascii", "replace")
                return unreadable(
                    f"{name} 使用了不允许的编码 {enc}",
                    f"{name} declares the encoding {enc} (only UTF-8/16 allowed)",
                )
            if name == "xl/workbook.xml" and _STRICT_NS in head:
                return Finding(
                    "file-legacy-format", found="strict", context={"format": "Strict Open XML"}
                )
            if not is_sheet:
                continue
            rows = 0
            tail = b""
            chunk = head
            while chunk:
                data = tail + chunk
                cells += len(_CELL.findall(data))
                max_style = max([max_style, *(int(m) for m in _STYLE_REF.findall(data))])
                rows += len(_ROW.findall(data))
                tail = data[-16:]
                # a match split across chunks could be counted twice; the bound is generous
                if cells > limits.max_cells:
                    return unreadable(
                        f"单元格数量超过上限 {limits.max_cells:,}（max_cells）",
                        f"more than {limits.max_cells:,} cells (max_cells)",
                    )
                if rows > limits.max_rows:
                    return unreadable(
                        f"{name} 有超过 {limits.max_rows:,} 行（max_rows），不是本表样的填报文件",
                        f"{name} has more than {limits.max_rows:,} rows (max_rows)",
                    )
                chunk = f.read(1 * MiB)
    if max_style >= 0:
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
