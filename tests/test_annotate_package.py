"""The annotated copy keeps the department's file (issue 23): written into the returned
package itself, every part it does not have to change is the same bytes, every value and
every value saved beside a formula is the same; the comments, fills and the findings
sheet are added; an existing comment stays; LibreOffice opens the copy."""

from __future__ import annotations

import io
import re
import zipfile
from copy import copy as copy_of
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from xltool.checking.annotate import annotate
from xltool.checking.result import FileResult
from xltool.checking.verify import _verify
from xltool.findings import Finding
from xltool.forms.cells import parse_a1
from xltool.limits import Limits
from xltool.reading.ooxml import cached_values

from .conftest import SAMPLES
from .libreoffice import needs_libreoffice, needs_uno, recalc_convert, uno_edit

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SHEET = "xl/worksheets/sheet1.xml"
FILLS = {"error": "FFFFC7CE", "warning": "FFFFEB9C"}
# what the copy may rewrite: the marked sheet (and its rels), styles, the workbook, its
# rels, the content types, and a comments part and drawing the sheet already had
REWRITTEN = {
    SHEET,
    "xl/worksheets/_rels/sheet1.xml.rels",
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/comments1.xml",
    "xl/drawings/vmlDrawing1.vml",
}


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {i.filename: zf.read(i) for i in zf.infolist()}


def annotated(path: Path, out: Path) -> tuple[FileResult, bytes, bytes]:
    result, data = _verify(path, None, Limits(), None)
    assert data is not None and result.findings
    assert annotate(result, data, out, "zh", force=True)
    return result, data, out.read_bytes()


def sheet_names(data: bytes) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return wb.sheetnames
    finally:
        wb.close()


def assert_kept(original: bytes, copy: bytes, also: set[str] = frozenset()) -> set[str]:
    """Every part outside REWRITTEN (and ``also``) is the same bytes, stored the same
    way; every value and every cached formula value of every sheet is the same. The
    parts rewritten."""
    before, after = parts(original), parts(copy)
    changed = {n for n in before if after.get(n) != before[n]}
    assert changed <= REWRITTEN | also, changed - REWRITTEN - also
    with zipfile.ZipFile(io.BytesIO(original)) as a, zipfile.ZipFile(io.BytesIO(copy)) as b:
        for info in a.infolist():
            if info.filename not in changed:
                other = b.getinfo(info.filename)
                assert (other.CRC, other.compress_size) == (info.CRC, info.compress_size)
    old = openpyxl.load_workbook(io.BytesIO(original), data_only=True)
    new = openpyxl.load_workbook(io.BytesIO(copy), data_only=True)
    for ws in old.worksheets:
        assert cached_values(copy, ws.title) == cached_values(original, ws.title)
        for row in ws.iter_rows():
            for cell in row:
                assert new[ws.title][cell.coordinate].value == cell.value, cell.coordinate
    return changed


def assert_marked(result: FileResult, copy: bytes, original: bytes | None = None) -> None:
    """A comment and a fill on each finding's cell (the worst finding's), its other
    formatting as it was; the findings sheet first, listing every finding."""
    wb = openpyxl.load_workbook(io.BytesIO(copy))
    old = openpyxl.load_workbook(io.BytesIO(original)) if original else None
    assert wb.sheetnames[0] == "校验结果" and wb.active.title == "校验结果"
    for f in result.findings:
        if not f.cell:
            continue
        cell = wb[f.sheet][f.cell]
        assert cell.comment is not None and f.message("zh") in cell.comment.text
        worst = "error" if any(
            g.severity == "error" for g in result.findings if (g.sheet, g.cell) == (f.sheet, f.cell)
        ) else "warning"  # fmt: skip
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == FILLS[worst]
        if old is not None and f.cell in _cells_of(original or b""):
            before = old[f.sheet][f.cell]
            assert cell.number_format == before.number_format
            for style in ("font", "border", "protection", "alignment"):
                assert copy_of(getattr(cell, style)) == copy_of(getattr(before, style)), style
    listed = wb["校验结果"]
    rows = list(listed.iter_rows(min_row=5, values_only=True))
    assert [r[2] for r in rows] == [f.code for f in result.findings]
    assert [r[5] for r in rows] == [f.message("zh") for f in result.findings]
    assert listed["A2"].value.startswith(f"本表有 {result.errors} 个错误")
    for r, f in enumerate(result.findings, start=5):
        if f.cell:
            assert listed[f"E{r}"].hyperlink.location == f"'{f.sheet}'!{f.cell}"
        assert listed[f"D{r}"].fill.fgColor.rgb == FILLS[f.severity]
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets].count(True) == 1


def _cells_of(data: bytes, part: str = SHEET) -> set[str]:
    text = parts(data)[part].decode()
    return set(re.findall(r'<c r="([A-Z]+[0-9]+)"', text))


def undo(copy: str, original: str, marked: list[str]) -> tuple[str, str]:
    """The copy's sheet XML with what the copy may change there put back as it was,
    and the original without its tab selected (the findings sheet is)."""
    copy = re.sub(r"<legacyDrawing [^>]*/>", "", copy)
    copy = re.sub(r' tabSelected="(1|true)"', "", copy)
    original = re.sub(r' tabSelected="(1|true)"', "", original)
    for ref in marked:
        was = re.search(rf'<c r="{ref}"[^>]*?(?: s="(\d+)")?[^>]*?/?>', original)
        assert was is not None, ref
        tag = re.compile(rf'(<c r="{ref}"[^>]*? s=")(\d+)(")')
        if was.group(1) is None:
            copy = re.sub(rf'(<c r="{ref}"[^>]*?) s="\d+"', r"\1", copy)
        else:
            copy = tag.sub(rf"\g<1>{was.group(1)}\g<3>", copy)
    return copy, original


def test_an_issued_sample_keeps_every_part_and_value(tmp_path: Path) -> None:
    """The xlsxwriter-issued blank form: five findings, each marked; nothing else moved."""
    result, original, copy = annotated(SAMPLES / "dept-overall-blank.xlsx", tmp_path / "a.xlsx")
    changed = assert_kept(original, copy)
    assert changed == {
        SHEET,
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    }
    assert_marked(result, copy, original)
    marked = sorted({f.cell for f in result.findings if f.cell})
    put_back, unselected = undo(
        parts(copy)[SHEET].decode(), parts(original)[SHEET].decode(), marked
    )
    assert put_back == unselected
    assert set(parts(copy)) - set(parts(original)) == {
        "xl/worksheets/sheet4.xml",
        "xl/worksheets/_rels/sheet1.xml.rels",
        "xl/comments1.xml",
        "xl/drawings/vmlDrawing1.vml",
    }
    # the styles part only grew: every old fill, font and cell format is where it was
    old_styles, new_styles = parts(original)["xl/styles.xml"], parts(copy)["xl/styles.xml"]
    for block in ("fonts", "fills", "cellXfs", "borders", "numFmts"):
        a = ET.fromstring(old_styles).find(f"{MAIN}{block}")
        b = ET.fromstring(new_styles).find(f"{MAIN}{block}")
        assert [ET.tostring(x) for x in a] == [ET.tostring(x) for x in b][: len(a)]
    assert sheet_names(copy) == ["校验结果", *sheet_names(original)]


def test_a_second_copy_of_the_copy_keeps_both(tmp_path: Path) -> None:
    """Annotating an annotated copy: the findings sheet gets a name of its own, the
    sheet-scoped names stay with their sheets."""
    result, _, first = annotated(SAMPLES / "dept-overall-blank.xlsx", tmp_path / "a.xlsx")
    assert annotate(result, first, tmp_path / "b.xlsx", "zh", force=True)
    second = (tmp_path / "b.xlsx").read_bytes()
    assert sheet_names(second)[:3] == ["校验结果1", "校验结果", "自评表"]
    wb = openpyxl.load_workbook(io.BytesIO(second))
    assert wb["自评表"].print_title_rows == "$12:$12"
    assert wb["校验结果"].print_title_rows == wb["校验结果1"].print_title_rows == "$4:$4"
    comment = wb["自评表"]["B2"].comment.text
    assert comment.count("未填写") == 2  # the old note kept, the new one after it


def test_cells_the_sheet_does_not_have_are_inserted_in_order(tmp_path: Path) -> None:
    """A finding on a cell the sheet XML lacks: inside a row, past a row's last cell, in
    an empty row, in a missing row and past the last row: each cell goes in its place."""
    result, data = _verify(SAMPLES / "dept-overall-blank.xlsx", None, Limits(), None)
    assert data is not None
    files = parts(data)
    sheet = files[SHEET].decode()
    sheet, n = re.subn(r'<c r="D7" s="\d+"/>', "", sheet)  # inside row 7
    sheet, m = re.subn(r'<row r="11"[^>]*>.*?</row>', "", sheet)  # row 11 gone
    sheet, k = re.subn(r'(<row r="2"[^>]*?)>.*?</row>', r"\1/>", sheet)  # row 2 empty
    assert n == m == k == 1
    files[SHEET] = sheet.encode()
    crafted = _zip(files)
    result.findings += [
        Finding("value-coerced", sheet="自评表", cell="B2"),  # a warning beside an error
        Finding("required-missing", sheet="自评表", cell="K3"),  # past the row's last cell
        Finding("execution-over-budget", sheet="自评表", cell="C40"),  # past the last row
        Finding("value-negative", sheet="自评表", cell="B40"),
        Finding("required-missing", sheet="自评表", cell="A1"),
    ]
    out = tmp_path / "inserted.xlsx"
    assert annotate(result, crafted, out, force=True)
    copy = out.read_bytes()
    assert_kept(crafted, copy)
    assert_marked(result, copy, crafted)
    root = ET.fromstring(parts(copy)[SHEET])
    rows = root.find(f"{MAIN}sheetData")
    numbers = [int(r.get("r")) for r in rows]
    assert numbers == sorted(set(numbers)) and 11 in numbers and numbers[-1] == 40
    for row in rows:
        cols = [parse_a1(c.get("r"))[1] for c in row]
        assert cols == sorted(set(cols)), row.get("r")
        assert all(c.tag == f"{MAIN}c" for c in row)
    row3 = next(r for r in rows if r.get("r") == "3")
    assert row3.get("spans") == "1:11"
    row40 = next(r for r in rows if r.get("r") == "40")
    assert [c.get("r") for c in row40] == ["B40", "C40"]


def test_an_existing_comment_stays_and_the_new_ones_join_it(tmp_path: Path) -> None:
    """The marked sheet already has comments (as openpyxl writes them: its drawing
    declares its prefixes on each shape): one on a finding's cell, one elsewhere. Both
    stay, in the same parts; the note follows the old one; a new cell gets a box."""
    from openpyxl.comments import Comment

    wb = openpyxl.load_workbook(SAMPLES / "faulty" / "score-over-points.xlsx")
    wb["自评表"]["H14"].comment = Comment("财务科：请核对", "王会计")
    wb["自评表"]["B4"].comment = Comment("编制以批复为准", "王会计")
    src = tmp_path / "commented.xlsx"
    wb.save(src)
    result, original = _verify(src, None, Limits(), None)
    assert original is not None
    result.findings.append(Finding("value-negative", sheet="自评表", cell="F7"))
    assert annotate(result, original, tmp_path / "c.xlsx")
    copy = (tmp_path / "c.xlsx").read_bytes()
    before, after = parts(original), parts(copy)
    comments = {n for n in before if "comment" in n}
    assert len(comments) == 2 and {n for n in after if "comment" in n} == comments
    assert assert_kept(original, copy, comments) >= comments  # the same parts, merged
    assert_marked(result, copy, original)
    out = openpyxl.load_workbook(io.BytesIO(copy))["自评表"]
    assert out["B4"].comment.text == "编制以批复为准"
    assert out["H14"].comment.text.startswith("财务科：请核对\n")
    assert "得分 6 超过分值 4" in out["H14"].comment.text
    vml = next(v for n, v in after.items() if n.endswith(".vml")).decode()
    assert len(re.findall(r"<\w+:ClientData", vml)) == 3  # H14's box was there already
    assert ET.fromstring(vml).find(".//{urn:schemas-microsoft-com:office:excel}Row") is not None


def test_prefixed_parts_keep_their_prefix(tmp_path: Path) -> None:
    """A package whose sheet and styles use a prefix for the main namespace (some
    generators write x:): everything added is in that namespace, with that prefix."""
    result, data = _verify(SAMPLES / "dept-overall-blank.xlsx", None, Limits(), None)
    assert data is not None
    files = parts(data)
    for name in (SHEET, "xl/styles.xml"):
        text = files[name].decode()
        text = re.sub(r"<(/?)(?![?!])([A-Za-z])", r"<\1x:\2", text)
        files[name] = text.replace(' xmlns="', ' xmlns:x="', 1).encode()
    crafted = _zip(files)
    out = tmp_path / "prefixed.xlsx"
    assert annotate(result, crafted, out, force=True)
    copy = out.read_bytes()
    assert_marked(result, copy)
    for name in (SHEET, "xl/styles.xml"):
        text = parts(copy)[name].decode()
        assert "<c " not in text and "<xf " not in text and "<fill>" not in text
        assert all(e.tag.startswith(MAIN) for e in ET.fromstring(text).iter())


def test_macros_and_the_calculation_chain_do_not_reach_the_copy(tmp_path: Path) -> None:
    """A macro workbook returned as .xlsx: the copy is a plain workbook Excel opens as
    .xlsx (as the openpyxl copy was); the calculation chain, a cache naming sheets by
    place, goes too."""
    result, data = _verify(SAMPLES / "faulty" / "score-over-points.xlsx", None, Limits(), None)
    assert data is not None
    files = parts(data)
    files["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    files["xl/calcChain.xml"] = (
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="H51" i="1"/></calcChain>'
    )
    rel = '<Relationship Type="http://schemas.{}" Target="{}" Id="{}" />'
    files["xl/_rels/workbook.xml.rels"] = files["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        (
            rel.format(
                "microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin", "rId90"
            )
            + rel.format(
                "openxmlformats.org/officeDocument/2006/relationships/calcChain",
                "calcChain.xml",
                "rId91",
            )
            + "</Relationships>"
        ).encode(),
    )
    types = files["[Content_Types].xml"].decode()
    types = types.replace("spreadsheetml.sheet.main+xml", "x").replace(
        '"x"', '"application/vnd.ms-excel.sheet.macroEnabled.main+xml"'
    )
    types = types.replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Override PartName="/xl/calcChain.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    files["[Content_Types].xml"] = types.encode()
    out = tmp_path / "macro.xlsx"
    assert annotate(result, _zip(files), out, force=True)
    copy = parts(out.read_bytes())
    assert "xl/vbaProject.bin" not in copy and "xl/calcChain.xml" not in copy
    assert b"vbaProject" not in copy["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in copy["xl/_rels/workbook.xml.rels"] + copy["[Content_Types].xml"]
    assert b"macroEnabled" not in copy["[Content_Types].xml"]
    assert b"spreadsheetml.sheet.main+xml" in copy["[Content_Types].xml"]
    assert_marked(result, out.read_bytes())


def test_a_file_that_is_no_package_gets_no_copy(tmp_path: Path) -> None:
    result = FileResult(path="x.xlsx", status="invalid")
    assert not annotate(result, b"PK\x05\x06" + b"\0" * 18, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


# LibreOffice: a return it saved, and the copies opened in it


@pytest.fixture(scope="module")
def lo_return(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A return LibreOffice saved: a score over its points, a number typed as text, a
    missing reason; the values LibreOffice computed saved beside every formula."""
    if needs_uno.args[0]:
        pytest.skip(needs_uno.kwargs["reason"])
    out = tmp_path_factory.mktemp("lo") / "returned.xlsx"
    uno_edit(
        SAMPLES / "yuelu-commerce-2019.xlsx",
        out,
        [
            {"op": "unprotect"},
            {"op": "set", "cell": "H14", "value": 99},
            {"op": "set", "cell": "E7", "value": "4,325.58"},
            {"op": "clear", "cell": "I41"},
        ],
    )
    return out


@pytest.mark.libreoffice
@needs_uno
def test_a_libreoffice_return_keeps_its_saved_values(lo_return: Path, tmp_path: Path) -> None:
    result, original, copy = annotated(lo_return, tmp_path / "lo-annotated.xlsx")
    assert {f.code for f in result.findings} >= {"score-over-points", "reason-missing"}
    saved = cached_values(original, "自评表")
    assert len(saved) == 12 and sum(v is not None for v in saved.values()) >= 10
    assert cached_values(copy, "自评表") == saved  # a preview shows the totals it showed
    assert_kept(original, copy)
    assert_marked(result, copy, original)
    marked = sorted({f.cell for f in result.findings if f.cell})
    put_back, unselected = undo(
        parts(copy)[SHEET].decode(), parts(original)[SHEET].decode(), marked
    )
    assert put_back == unselected


@pytest.mark.libreoffice
@needs_libreoffice
@pytest.mark.parametrize("source", ["libreoffice", "issued", "commented"])
def test_libreoffice_opens_the_copy_with_its_comments(
    source: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """LibreOffice loads each copy and saves it again: the findings sheet first, a
    comment on every finding's cell, the fills."""
    if source == "libreoffice":
        src = request.getfixturevalue("lo_return")
    elif source == "commented":
        src = _commented_by_libreoffice(tmp_path)
    else:
        src = SAMPLES / "dept-overall-blank.xlsx"
    result, _, _ = annotated(src, tmp_path / "copy.xlsx")
    resaved = recalc_convert(tmp_path / "copy.xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(resaved)
    assert wb.sheetnames[0] == "校验结果"
    for f in result.findings:
        if f.cell:
            cell = wb[f.sheet][f.cell]
            assert cell.comment is not None and f.message("zh") in cell.comment.text
            assert cell.fill.fgColor.rgb == FILLS[f.severity]
    if source == "commented":
        assert wb["自评表"]["B4"].comment.text.strip() == "编制以批复为准"
    listed = [r[2] for r in wb["校验结果"].iter_rows(min_row=5, values_only=True)]
    assert listed == [f.code for f in result.findings]
    if source == "libreoffice":
        pdf = recalc_convert(tmp_path / "copy.xlsx", tmp_path / "pdf", "pdf")
        assert pdf.stat().st_size > 1000


def _commented_by_libreoffice(tmp_path: Path) -> Path:
    """A return with comments of its own as LibreOffice writes them."""
    from openpyxl.comments import Comment

    wb = openpyxl.load_workbook(SAMPLES / "faulty" / "score-over-points.xlsx")
    wb["自评表"]["H14"].comment = Comment("财务科：请核对", "王会计")
    wb["自评表"]["B4"].comment = Comment("编制以批复为准", "王会计")
    wb.save(tmp_path / "commented.xlsx")
    return recalc_convert(tmp_path / "commented.xlsx", tmp_path / "commented")


def test_a_package_without_styles_or_with_one_fill_gets_what_it_lacks(tmp_path: Path) -> None:
    """Fills 0 and 1 are taken as none and gray125 whatever they say: a styles part
    with one fill gets the second before the copy's; a package with no styles part
    gets one."""
    result, data = _verify(SAMPLES / "faulty" / "score-over-points.xlsx", None, Limits(), None)
    assert data is not None
    files = parts(data)
    one_fill = dict(files)
    one_fill["xl/styles.xml"] = re.sub(
        rb'<fills count="3">.*?</fills>',
        b'<fills count="1"><fill><patternFill /></fill></fills>',
        files["xl/styles.xml"],
    ).replace(b'fillId="2"', b'fillId="0"')
    no_styles = {n: v for n, v in files.items() if n != "xl/styles.xml"}
    for name in [n for n in files if n.startswith("xl/worksheets/")]:
        bare = re.sub(rb"<conditionalFormatting.*?</conditionalFormatting>", b"", files[name])
        no_styles[name] = re.sub(rb' s="\d+"', b"", bare)  # nothing names a style
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        no_styles[name] = re.sub(rb"<[^<]*styles[^>]*/>", b"", files[name])
    for label, variant in (("one-fill", one_fill), ("no-styles", no_styles)):
        out = tmp_path / f"{label}.xlsx"
        assert annotate(result, _zip(variant), out, force=True), label
        copy = out.read_bytes()
        assert_marked(result, copy)
        fills = ET.fromstring(next(v for n, v in parts(copy).items() if "styles" in n))
        patterns = [f[0].get("patternType") for f in fills.find(f"{MAIN}fills")]
        assert patterns[:2] == [None if label == "one-fill" else "none", "gray125"], label
