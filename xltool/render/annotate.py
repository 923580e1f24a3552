"""The annotated copy: the returned workbook with every finding's cell highlighted and
commented in Chinese, and a first sheet 校验结果 linking to each cell. Made to be
emailed back to the department as is. The input is only read."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from ..findings import CATALOGUE
from ..safeio import write_atomic
from ..verify import FileResult

RESULT_SHEET = "校验结果"
FILLS = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
}
HEAD = {
    "zh": ["序号", "代码", "级别", "位置", "问题及修改方法"],
    "en": ["#", "code", "severity", "cell", "problem and fix"],
}
SEVERITY = {
    "zh": {"error": "错误", "warning": "警告"},
    "en": {"error": "error", "warning": "warning"},
}


def annotate(result: FileResult, out: Path, lang: str = "zh", force: bool = False) -> bool:
    """Write the annotated copy of ``result.path`` to ``out``; False when the file cannot
    be opened (an unreadable file has no cells to mark)."""
    if result.status == "unreadable":
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # extensions openpyxl drops
            wb = openpyxl.load_workbook(result.path, keep_vba=False, keep_links=False)
    except Exception:
        return False
    for f in result.findings:
        if not (f.sheet and f.cell and f.sheet in wb.sheetnames):
            continue
        cell = wb[f.sheet][f.cell]
        cell.fill = FILLS[f.severity]
        note = "\n".join(
            x.message(lang) for x in result.findings if x.sheet == f.sheet and x.cell == f.cell
        )
        cell.comment = Comment(note, "xltool", width=320, height=120)

    ws = wb.create_sheet(RESULT_SHEET, 0)
    title = "校验结果" if lang == "zh" else "Verification result"
    _text(ws, 1, 1, f"{title}：{Path(result.path).name}").font = Font(bold=True, size=14)
    status = {"zh": {"ok": "通过", "invalid": "有错误"}, "en": {"ok": "ok", "invalid": "invalid"}}[
        lang
    ]
    summary = f"{status.get(result.status, result.status)}（{result.errors} / {result.warnings}）"
    _text(ws, 2, 1, summary)
    for c, head in enumerate(HEAD[lang], start=1):
        _text(ws, 4, c, head).font = Font(bold=True)
    for i, f in enumerate(result.findings, start=1):
        r = 4 + i
        ws.cell(r, 1, i)
        _text(ws, r, 2, f.code)
        _text(ws, r, 3, SEVERITY[lang][CATALOGUE[f.code].severity]).fill = FILLS[f.severity]
        place = _text(ws, r, 4, f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or ""))
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            place.hyperlink = f"#'{f.sheet}'!{f.cell}"
            place.font = Font(color="0563C1", underline="single")
        _text(ws, r, 5, f.message(lang)).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDE", (6, 24, 8, 14, 90), strict=True):
        ws.column_dimensions[col].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    wb.calculation.fullCalcOnLoad = True  # openpyxl drops saved values; have them recomputed
    write_atomic(out, wb.save, force)
    return True


def _text(ws, row: int, col: int, value: str):
    """A text cell that is never taken for a formula."""
    cell = ws.cell(row, col, value)
    cell.data_type = "s"
    return cell
