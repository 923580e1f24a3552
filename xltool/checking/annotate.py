"""The annotated copy: the returned workbook with every finding's cell highlighted and
commented in Chinese, and a first sheet 校验结果 linking to each cell. Made to be
emailed back to the department as is. The input is only read."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from xltool.checking.result import FileResult
from xltool.findings import CATALOGUE
from xltool.forms.cells import col_name
from xltool.safeio import write_atomic

RESULT_SHEET = "校验结果"
FILLS = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
}
HEAD = {
    "zh": ["序号", "问题", "代码", "级别", "位置", "说明及修改方法"],
    "en": ["#", "problem", "code", "severity", "cell", "what to fix"],
}
WIDTHS = (6, 18, 22, 8, 14, 90)
SEVERITY = {
    "zh": {"error": "错误", "warning": "警告"},
    "en": {"error": "error", "warning": "warning"},
}


def annotate(
    result: FileResult, data: bytes, out: Path, lang: str = "zh", force: bool = False
) -> bool:
    """Write the annotated copy of the returned workbook (its bytes, as read by verify)
    to ``out``; False when the file cannot be opened (an unreadable file has no cells
    to mark). The input itself is never written."""
    if result.status == "unreadable":
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # extensions openpyxl drops
            wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False)
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
        cell.comment = Comment(_legal(note), "xltool", width=320, height=120)

    ws = wb.create_sheet(RESULT_SHEET, 0)
    title = "校验结果" if lang == "zh" else "Verification result"
    _text(ws, 1, 1, f"{title}：{Path(result.shown).name}").font = Font(bold=True, size=14)
    _text(ws, 2, 1, headline(result, lang))
    for c, head in enumerate(HEAD[lang], start=1):
        _text(ws, 4, c, head).font = Font(bold=True)
    for i, f in enumerate(result.findings, start=1):
        r = 4 + i
        code = CATALOGUE[f.code]
        ws.cell(r, 1, i)
        _text(ws, r, 2, code.title_zh if lang == "zh" else code.title_en)
        _text(ws, r, 3, f.code)
        _text(ws, r, 4, SEVERITY[lang][code.severity]).fill = FILLS[f.severity]
        place = _text(ws, r, 5, f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or ""))
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            place.hyperlink = f"#'{f.sheet}'!{f.cell}"
            place.font = Font(color="0563C1", underline="single")
        _text(ws, r, 6, f.message(lang)).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[col_name(col - 1)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    wb.calculation.fullCalcOnLoad = True  # openpyxl drops saved values; have them recomputed
    # made in memory first: a value openpyxl cannot write fails here, before any file exists
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomic(out, lambda h: h.write(buffer.getvalue()), force)
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


def _legal(text: str) -> str:
    """openpyxl refuses control characters in cell text: show them instead."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _text(ws, row: int, col: int, value: str):
    """A text cell that is never taken for a formula."""
    cell = ws.cell(row, col, _legal(value))
    cell.data_type = "s"
    return cell
