"""Faulty variants of the seed form: one per finding code that a file can show.

Each variant is made from the filled sample the way a filer (or their software) would
damage it, and says exactly which findings, at which cells, `verify` must report.
Regenerate the committed copies with:

    python -m tests.faulty sample_workbooks/faulty
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.write import IssueInfo, write_form

ROOT = Path(__file__).resolve().parent.parent
SEED_DATA = ROOT / "sample_workbooks" / "yuelu-commerce-2019.json"

# Cells of the issued seed form (20 indicators + 2 spares per group; the block starts
# at row 13). The tests re-derive them from defined names, so a layout change that
# moves them fails loudly instead of silently testing the wrong cell.
SHEET = "自评表"


@dataclass(frozen=True)
class Variant:
    name: str
    make: Callable[[bytes], bytes]
    expected: list[tuple[str, str | None]]  # (code, cell) exactly, in any order


def seed_bytes(issue_id: str = "seed") -> bytes:
    """The seed form as issued, with a fixed issue time and id (reproducible files)."""
    data = FormData.model_validate_json(SEED_DATA.read_text(encoding="utf-8"))
    buf = io.BytesIO()
    info = IssueInfo(issued_at="2019-01-15T00:00:00+00:00", issue_id=issue_id)
    write_form(buf, load_builtin("dept-overall"), data, info=info)
    return buf.getvalue()


def _edit(change: Callable[[openpyxl.Workbook], None]) -> Callable[[bytes], bytes]:
    """An edit through openpyxl (it drops cached values; verify then has none to compare)."""

    def make(src: bytes) -> bytes:
        wb = openpyxl.load_workbook(io.BytesIO(src))
        change(wb)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    return make


def _set(**cells: object) -> Callable[[bytes], bytes]:
    def change(wb: openpyxl.Workbook) -> None:
        for ref, value in cells.items():
            wb[SHEET][ref] = value

    return _edit(change)


def _zip_edit(change: Callable[[dict[str, bytes]], None]) -> Callable[[bytes], bytes]:
    """An edit of the package's parts (keeps every cached value)."""

    def make(src: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(src)) as zf:
            parts = {i.filename: zf.read(i) for i in zf.infolist()}
        change(parts)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in parts.items():
                zf.writestr(name, data)
        return out.getvalue()

    return make


def _cached_total_score(parts: dict[str, bytes]) -> None:
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, n = re.subn(r'(<c r="H51"[^>]*><f>[^<]*</f><v>)98.5(</v>)', r"\g<1>90\g<2>", sheet)
    assert n == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()


def _add_macro(parts: dict[str, bytes]) -> None:
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _add_external_link(parts: dict[str, bytes]) -> None:
    parts["xl/externalLinks/externalLink1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><externalLink '
        b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    )


def _rename_sheet(wb: openpyxl.Workbook) -> None:
    wb[SHEET].title = "Sheet1"
    for name in list(wb.defined_names):
        dn = wb.defined_names[name]
        dn.attr_text = dn.attr_text.replace(f"'{SHEET}'!", "Sheet1!")


def _meta_version(wb: openpyxl.Workbook) -> None:
    ws = wb["_xltool"]
    for row in ws.iter_rows():
        if row[0].value == "spec_version":
            row[1].value = "0"
    for prop in wb.custom_doc_props.props:
        if prop.name == "xltool_spec_version":
            prop.value = "0"


def _foreign(_src: bytes) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "工资表"
    wb.active.append(["姓名", "基本工资", "绩效"])
    wb.active.append(["张三", 5000, 1200])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _encrypted(src: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(src)).encrypt("1234", out)
    return out.getvalue()


def _truncated(src: bytes) -> bytes:
    return src[: len(src) // 2]


def _ods(_src: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def _copy_form(wb: openpyxl.Workbook) -> None:
    wb.copy_worksheet(wb[SHEET]).title = "自评表（打印）"


def _hide_form(wb: openpyxl.Workbook) -> None:
    """A visible decoy with other figures; the form itself hidden."""
    decoy = wb.copy_worksheet(wb[SHEET])
    decoy.title = "自评表（2）"
    decoy["H51"] = 100
    wb.move_sheet(decoy, offset=-(len(wb.sheetnames) - 1))
    wb.active = 0
    wb[SHEET].sheet_state = "hidden"


def _incomplete(wb: openpyxl.Workbook) -> None:
    wb[SHEET]["F18"] = "已完成"  # a spare row of 数量指标: an actual, nothing else


VARIANTS = [
    Variant("required-missing", _set(B3=None), [("required-missing", "B3")]),
    Variant("not-a-number", _set(B4="十六人"), [("not-a-number", "B4")]),
    Variant("value-coerced", _set(B4="１６"), [("value-coerced", "B4")]),  # full-width digits
    Variant("number-as-text", _set(D7="2,117.38"), [("number-as-text", "D7")]),
    Variant("input-formula", _set(F7="=2000+839.37"), [("input-formula", "F7")]),
    Variant("input-formula-unused", _set(F11="=B11"), [("input-formula-unused", "F11")]),
    Variant("sheet-hidden", _edit(_hide_form), [("sheet-hidden", None), ("form-copy", None)]),
    Variant("form-copy", _edit(_copy_form), [("form-copy", None)]),
    Variant(
        "value-negative",
        _set(F8=-5),
        [("value-negative", "F8")],
    ),
    Variant("fund-sum-mismatch", _set(E6=9999), [("fund-sum-mismatch", "E6")]),
    Variant("execution-over-budget", _set(F8=800), [("execution-over-budget", "F8")]),
    Variant("score-over-points", _set(H14=6), [("score-over-points", "H14")]),
    Variant(
        "points-total",
        _set(G13=3, H13=3),  # the issuer's 分值 lowered: points no longer add up
        [("points-total", "G51"), ("prefill-altered", "G13")],
    ),
    Variant("reason-missing", _set(I41=None), [("reason-missing", "I41")]),
    Variant("indicator-incomplete", _edit(_incomplete), [("indicator-incomplete", "D18")]),
    Variant("formula-overwritten", _set(H51=98.5), [("formula-overwritten", "H51")]),
    Variant("formula-altered", _set(H6="=F6/D6"), [("formula-altered", "H6")]),
    Variant(
        "cached-value-mismatch", _zip_edit(_cached_total_score), [("cached-value-mismatch", "H51")]
    ),
    Variant("macro-present", _zip_edit(_add_macro), [("macro-present", None)]),
    Variant("external-link", _zip_edit(_add_external_link), [("external-link", None)]),
    Variant("sheet-renamed", _edit(_rename_sheet), [("sheet-renamed", None)]),
    Variant(
        "template-version",
        _edit(_meta_version),  # editing the metadata also breaks its hash
        [("template-version", None), ("signature-invalid", None)],
    ),
    Variant(
        "structure-changed",
        _set(D12="指标名称"),
        [("structure-changed", "D12")],
    ),
    Variant("template-unknown", _foreign, [("template-unknown", None)]),
    Variant("file-encrypted", _encrypted, [("file-encrypted", None)]),
    Variant("file-legacy-format", _ods, [("file-legacy-format", None)]),
    Variant("file-unreadable", _truncated, [("file-unreadable", None)]),
]


def write_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for v in VARIANTS:
        src = seed_bytes(issue_id=f"faulty-{v.name}")  # each its own issued form
        suffix = ".ods" if v.name == "file-legacy-format" else ".xlsx"
        path = out_dir / f"{v.name}{suffix}"
        path.write_bytes(v.make(src))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "sample_workbooks/faulty")):
        print(p)
