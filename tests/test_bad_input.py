"""A bad-input corpus made by code (untrusted-input.md §5): every file ends with a
classified finding (none internal), within its bounds, and no input is written."""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xltool.checking.verify import Bounds, verify_paths
from xltool.reading.sniff import Limits

from .faulty import _edit, _set, seed_bytes

SHEET = "xl/worksheets/sheet1.xml"
STYLES = "xl/styles.xml"


def parts_of(src: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def pack(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def with_part(name: str, change: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def make(src: bytes) -> bytes:
        parts = parts_of(src)
        parts[name] = change(parts[name])
        return pack(parts)

    return make


def without(name: str) -> Callable[[bytes], bytes]:
    def make(src: bytes) -> bytes:
        parts = parts_of(src)
        del parts[name]
        return pack(parts)

    return make


def sub(pattern: str, repl: str, count: int = 1) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        new, n = re.subn(pattern.encode(), repl.encode(), data, count=count)
        assert n, pattern
        return new

    return change


def prolog(doctype: str) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"?>", b"?>" + doctype.encode(), 1)


def flip_deflate_byte(src: bytes) -> bytes:
    data = bytearray(src)
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        info = zf.getinfo(SHEET)
    name_len, extra_len = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)


def lower_declared_size(src: bytes) -> bytes:
    data = bytearray(src)
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        info = zf.getinfo(SHEET)
    cd = data.rfind(
        b"PK\x01\x02" + data[data.find(b"PK\x01\x02") + 4 : data.find(b"PK\x01\x02") + 4], 0
    )
    # patch the central directory's uncompressed size of the sheet entry
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack("<H", data[pos + 28 : pos + 30])[0]
        name = bytes(data[pos + 46 : pos + 46 + name_len]).decode()
        if name == SHEET:
            data[pos + 24 : pos + 28] = struct.pack("<I", info.file_size // 2)
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    del cd
    return bytes(data)


def set_flag(bit: int = 0, method: int | None = None) -> Callable[[bytes], bytes]:
    def make(src: bytes) -> bytes:
        data = bytearray(src)
        pos = data.find(b"PK\x01\x02")
        data[pos + 8 : pos + 10] = struct.pack(
            "<H", struct.unpack("<H", data[pos + 8 : pos + 10])[0] | bit
        )
        if method is not None:
            data[pos + 10 : pos + 12] = struct.pack("<H", method)
        return bytes(data)

    return make


def duplicate_entry(src: bytes) -> bytes:
    out = io.BytesIO(src)
    with zipfile.ZipFile(out, "a") as zf, pytest.warns(UserWarning):
        zf.writestr(SHEET, b"<worksheet/>")
    return out.getvalue()


def overlapping_bomb(_src: bytes) -> bytes:
    # Two directory entries pointing at one local file's data (Fifield-style overlap).
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("a.xml", b"<a/>" * 1000)
    data = bytearray(out.getvalue())
    cd_start = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", cd_start + 4)
    # make the second entry's local header offset equal the first's
    data[second + 42 : second + 46] = data[cd_start + 42 : cd_start + 46]
    return bytes(data)


def ratio_bomb(src: bytes) -> bytes:
    parts = parts_of(src)
    parts[SHEET] = parts[SHEET].replace(
        b"<sheetData>", b"<sheetData>" + b" " * (20 * 1024 * 1024), 1
    )
    return pack(parts)


def many_styles(src: bytes) -> bytes:
    parts = parts_of(src)
    xfs = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' * 500_000
    parts[STYLES] = re.sub(
        rb"<cellXfs count=\"\d+\">", b'<cellXfs count="500000">' + xfs, parts[STYLES], count=1
    )
    return pack(parts)


def million_rows(src: bytes) -> bytes:
    parts = parts_of(src)
    rows = b"".join(b'<row r="%d" s="1" customFormat="1"/>' % r for r in range(200, 1_048_577))
    parts[SHEET] = parts[SHEET].replace(b"</sheetData>", rows + b"</sheetData>", 1)
    return pack(parts)


def far_cell(src: bytes) -> bytes:
    parts = parts_of(src)
    parts[SHEET] = parts[SHEET].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>', 1
    )
    return pack(parts)


def macro_content_type(src: bytes) -> bytes:
    parts = parts_of(src)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\x00" * 100
    return pack(parts)


def docx_like(_src: bytes) -> bytes:
    return pack(
        {
            "[Content_Types].xml": b'<Types><Override PartName="/word/document.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            "word/document.xml": b"<w:document/>",
        }
    )


def many_entries(src: bytes) -> bytes:
    parts = parts_of(src)
    for i in range(1001):
        parts[f"customXml/item{i}.xml"] = b"<a/>"
    return pack(parts)


def strict(src: bytes) -> bytes:
    parts = parts_of(src)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    )
    return pack(parts)


def foreign(_src: bytes) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["名称", "数量"])
    wb.active.append(["苹果", 3])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def unfilled(_src: bytes) -> bytes:
    return (
        Path(__file__).parent.parent / "sample_workbooks" / "dept-overall-blank.xlsx"
    ).read_bytes()


def shared_formula_without_master(src: bytes) -> bytes:
    return with_part(SHEET, sub(r"<f>SUM\(H13:H50\)</f>", '<f t="shared" si="7"/>'))(src)


def encrypted(src: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(src)).encrypt("1234", out)
    return out.getvalue()


def _name(name: str, ref: str) -> Callable[[bytes], bytes]:
    def change(wb: Any) -> None:
        wb.defined_names[name].attr_text = ref

    return _edit(change)


def _meta(key: str, value: str) -> Callable[[bytes], bytes]:
    def change(wb: Any) -> None:
        for row in wb["_xltool"].iter_rows():
            if row[0].value == key:
                row[1].value = value
                for cell in row[2:]:
                    cell.value = None

    return _edit(change)


def _value(ref: str, value: str) -> Callable[[bytes], bytes]:
    """A cell's saved <v> replaced in the XML (what another program could save)."""
    return with_part(
        SHEET, sub(rf'(<c r="{ref}"[^>]*>(?:<f>[^<]*</f>)?)<v>[^<]*</v>', rf"\g<1><v>{value}</v>")
    )


def _hide(state: str) -> Callable[[bytes], bytes]:
    def change(wb: Any) -> None:
        decoy = wb.copy_worksheet(wb["自评表"])
        decoy["H51"] = 100
        wb.active = len(wb.sheetnames) - 1
        wb["自评表"].sheet_state = state

    return _edit(change)


def _chain(wb: Any) -> None:
    for i in range(1, 300):
        wb["自评表"][f"K{i}"] = f"=K{i + 1}+1"
    wb["自评表"]["D7"] = "=K1"


def _cycle(wb: Any) -> None:
    wb["自评表"]["D7"] = "=D8"
    wb["自评表"]["D8"] = "=D7"


# The forged saved value of the issue: Excel and LibreOffice recalculate on open and show
# 99999 (执行率 far above 100%); the file says 4325.58.
FORGED = with_part(
    SHEET,
    sub(r'(<c r="F7"[^>]*>)<v>[^<]*</v>', r"\g<1><f>4325.58*0+99999</f><v>2839.37</v>"),
)
ESCAPES = "[bold red]急[/] _x001B_[31m红_x0007_ \u202e反向 [link=http://x]链接[/link] :smile: =1+1"

XXE = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
LAUGHS = (
    '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)

# name → (make from the seed workbook's bytes, expected code, limits)
CORPUS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "empty": (lambda s: b"", "file-unreadable"),
    "random-bytes": (lambda s: os.urandom(4096), "file-unreadable"),
    "gbk-csv-renamed": (lambda s: "部门名称,金额\n商务局,100\n".encode("gbk"), "file-unreadable"),
    "html-renamed": (
        lambda s: b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        "file-unreadable",
    ),
    "cfb-junk": (
        lambda s: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2000),
        "file-unreadable",
    ),
    "encrypted": (encrypted, "file-encrypted"),
    "ods": (
        lambda s: pack(
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
            zipfile.ZIP_STORED,
        ),
        "file-legacy-format",
    ),
    "strict-ooxml": (strict, "file-legacy-format"),
    "truncated": (lambda s: s[: len(s) // 2], "file-unreadable"),
    "flipped-deflate-byte": (flip_deflate_byte, "file-unreadable"),
    "lowered-declared-size": (lower_declared_size, "file-unreadable"),
    "zip-encryption-bit": (set_flag(bit=1), "file-unreadable"),
    "deflate64": (set_flag(method=9), "file-unreadable"),
    "missing-sheet-part": (without(SHEET), "file-unreadable"),
    "empty-sheets": (
        with_part("xl/workbook.xml", sub(r"<sheets>.*</sheets>", "<sheets/>")),
        "file-unreadable",
    ),
    "no-content-types": (without("[Content_Types].xml"), "file-unreadable"),
    "docx-renamed": (docx_like, "file-unreadable"),
    "duplicate-entry": (duplicate_entry, "file-unreadable"),
    "overlapping-entries": (overlapping_bomb, "file-unreadable"),
    "ratio-bomb": (ratio_bomb, "file-unreadable"),
    "500k-styles": (many_styles, "file-unreadable"),
    "million-empty-rows": (million_rows, "file-unreadable"),
    "1001-entries": (many_entries, "file-unreadable"),
    "over-size": (lambda s: s + b"\x00" * (51 * 1024 * 1024), "file-unreadable"),
    "dtd-external-entity": (with_part(SHEET, prolog(XXE)), "file-unreadable"),
    "billion-laughs": (with_part(SHEET, prolog(LAUGHS)), "file-unreadable"),
    "malformed-xml": (with_part(SHEET, lambda d: d[: len(d) // 2]), "file-unreadable"),
    "control-char-entity": (
        with_part(SHEET, sub(r"<v>98.5</v>", "<v>&#1;</v>")),
        "file-unreadable",
    ),
    "gbk-declaration": (
        with_part(SHEET, sub(r'encoding="UTF-8"', 'encoding="GBK"')),
        "file-unreadable",
    ),
    "style-index-out-of-range": (with_part(SHEET, sub(r' s="\d+"', ' s="999"')), "file-unreadable"),
    "shared-string-out-of-range": (
        with_part(SHEET, sub(r'(t="s"[^>]*><v>)\d+', r"\g<1>99999")),
        "file-unreadable",
    ),
    "row-past-the-end": (
        with_part(
            SHEET,
            sub("</sheetData>", '<row r="1048577"><c r="A1048577"><v>1</v></c></row></sheetData>'),
        ),
        "file-unreadable",
    ),
    "shared-formula-without-master": (shared_formula_without_master, "formula-altered"),
    "far-cell-xfd1048576": (far_cell, "ok"),
    "wps-wrong-dimension": (
        with_part(SHEET, sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:A1"/>')),
        "ok",
    ),
    "macro-content-type": (macro_content_type, "macro-present"),
    "foreign-workbook": (foreign, "template-unknown"),
    "unfilled-template": (unfilled, "required-missing"),
    # odd but possible: each ends with its own classified finding, never internal
    "name-whole-column": (_name("department", "'自评表'!$B:$B"), "ok"),
    "name-runs-over-total-row": (_name("indicators", "'自评表'!$B$13:$I$1048576"), "ok"),
    "name-is-a-formula": (_name("department", "1+1"), "ok"),
    "meta-groups-huge": (_meta("groups", '[["a","b",100000000]]'), "signature-invalid"),
    "meta-groups-deep": (_meta("groups", "[" * 5000 + "]" * 5000), "signature-invalid"),
    "meta-prefill-not-an-object": (_meta("prefill", "[1,2]"), "signature-invalid"),
    "meta-sheet-is-the-metadata": (_meta("sheet", "_xltool"), "sheet-hidden"),
    "meta-version-5000-digits": (_meta("spec_version", "9" * 5000), "template-version"),
    "date-in-amount": (_set(D7=datetime.datetime(2020, 1, 1)), "not-a-number"),
    "bool-in-score": (_set(H13=True), "not-a-number"),
    "forged-saved-value": (FORGED, "input-formula"),
    "formula-cycle": (_edit(_cycle), "input-formula"),
    "formula-300-deep-chain": (_edit(_chain), "input-formula"),
    "formula-500-parentheses": (_set(D7="=" + "(" * 500 + "1" + ")" * 500), "input-formula"),
    "formula-whole-sheet-sum": (_set(D7="=SUM(A1:XFD1048576)"), "input-formula"),
    "formula-other-sheet": (_set(D7="='填表说明'!A1*2"), "input-formula"),
    "formula-overflows": (_set(D7="=10^400"), "input-formula"),
    "text-number-in-amount": (_set(E7="13,200.50"), "number-as-text"),
    "infinite-amount": (_value("D7", "1e999"), "not-a-number"),
    "infinite-points": (_value("G13", "1e999"), "not-a-number"),
    "400-digit-integer": (_value("D7", "9" * 400), "not-a-number"),
    "sum-overflows": (
        lambda s: _value("D8", "1.7e308")(_value("D7", "1.7e308")(s)),
        "value-out-of-range",
    ),
    "infinite-saved-total": (_value("H51", "1e999"), "cached-value-mismatch"),
    "hidden-form-visible-decoy": (_hide("hidden"), "sheet-hidden"),
    "very-hidden-form": (_hide("veryHidden"), "sheet-hidden"),
    "markup-and-escapes-in-text": (_set(B2=ESCAPES, B3=ESCAPES, I41=ESCAPES), "issued-elsewhere"),
    "merged-range-to-the-end": (
        with_part(
            SHEET,
            sub(
                r'<mergeCells count="(\d+)">',
                r'<mergeCells count="\1"><mergeCell ref="A60:XFD1048576"/>',
            ),
        ),
        "file-unreadable",
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    src = seed_bytes()
    folder = tmp_path_factory.mktemp("corpus")
    paths = {}
    for name, (make, _code) in CORPUS.items():
        path = folder / f"{name}.xlsx"
        path.write_bytes(make(src))
        paths[name] = path
    return paths


def test_corpus_has_at_least_30_kinds() -> None:
    assert len(CORPUS) >= 30


def test_every_bad_file_ends_with_a_classified_finding(corpus: dict[str, Path]) -> None:
    before = {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in corpus.items()}
    names = list(corpus)
    results = verify_paths(
        [corpus[n] for n in names], jobs=2, limits=Limits(), bounds=Bounds(seconds=60)
    )
    problems = []
    for name, result in zip(names, results, strict=True):
        expected = CORPUS[name][1]
        codes = [f.code for f in result.findings]
        ok = result.status == "ok" if expected == "ok" else expected in codes
        if not ok or any(f.internal for f in result.findings):
            problems.append((name, [(f.code, f.message("en")) for f in result.findings]))
        for f in result.findings:
            assert "seconds bound" not in f.message("en") and "took longer" not in f.message(
                "en"
            ), name
    assert problems == [], "\n".join(map(str, problems))
    after = {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in corpus.items()}
    assert after == before


def test_the_host_name_appears_in_no_output(corpus: dict[str, Path]) -> None:
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    if not hostname:
        pytest.skip("this machine has no /etc/hostname to leak")
    result = verify_paths([corpus["dtd-external-entity"]], jobs=1)[0]
    text = repr(result.to_json("en")) + repr(result.to_json("zh"))
    assert hostname not in text


def test_a_cell_limit_is_named_in_its_finding(corpus: dict[str, Path]) -> None:
    src = Path(__file__).parent.parent / "sample_workbooks" / "yuelu-commerce-2019.xlsx"
    result = verify_paths([src], limits=Limits(max_cells=100), jobs=1)[0]
    assert result.findings[0].code == "file-unreadable"
    assert "max_cells" in result.findings[0].message("en")


def test_deflate_and_zlib_are_what_they_seem() -> None:
    # guards the corpus maker: the flipped byte really breaks the deflate stream
    src = seed_bytes()
    with (
        pytest.raises((zipfile.BadZipFile, zlib.error)),
        zipfile.ZipFile(io.BytesIO(flip_deflate_byte(src))) as zf,
    ):
        zf.read(SHEET)
