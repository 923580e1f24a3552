"""The roll-up as leadership gets it: 120 departments, printed through LibreOffice. No
two charts overlap, value axes start at 0, and no printed text is below 8 pt."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from xltool.checking.result import FileResult
from xltool.findings import Finding
from xltool.forms.kinds import load_builtin
from xltool.render.summary import write_summary

from .libreoffice import needs_libreoffice, recalc_convert

PDFTOTEXT = shutil.which("pdftotext")


def results(n: int) -> list[FileResult]:
    out = []
    for i in range(n):
        r = FileResult(path=f"回收/{i:03d}-第{i}号部门.xlsx", status="ok" if i % 7 else "invalid")
        r.kind, r.year, r.department = "dept-overall", 2025, f"第{i}号部门"
        r.totals = {
            "budget_initial": 100.0 + i, "budget_adjusted": 120.0 + i, "executed": 100.0 + i / 2,
            "execution_rate": (100 + i / 2) / (120 + i), "points": 100, "score": 80 + i % 20,
        }  # fmt: skip
        r.data = {"fields": {"code": f"{i:03d}", "department": f"第{i}号部门"}, "indicators": []}
        if r.status == "invalid":
            r.findings = [
                Finding(
                    "reason-missing",
                    sheet="自评表",
                    cell="I14",
                    context={"label": "指标1：非常长的说明文字" * 3},
                )
            ]
        out.append(r)
    return out


def test_charts_never_overlap_and_start_at_zero(tmp_path: Path) -> None:
    path = tmp_path / "roll.xlsx"
    write_summary(path, results(120), load_builtin("dept-overall"))
    with zipfile.ZipFile(path) as zf:
        drawings = [n for n in zf.namelist() if n.startswith("xl/drawings/drawing")]
        anchors = []
        for name in drawings:
            xml = zf.read(name).decode()
            for frm, to in re.findall(
                r"<xdr:from>.*?<xdr:row>(\d+)</xdr:row>.*?</xdr:from><xdr:to>.*?<xdr:row>(\d+)</xdr:row>",
                xml,
                re.S,
            ):
                anchors.append((int(frm), int(to)))
        charts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert len(anchors) == 2 and len(charts) == 2
    (_top, a2), (b1, _bottom) = sorted(anchors)
    assert a2 < b1  # one below the other
    for xml in charts:
        assert '<c:min val="0"/>' in xml
    assert any('formatCode="0%"' in xml for xml in charts)  # 执行率 in percent


@needs_libreoffice
@pytest.mark.libreoffice
@pytest.mark.skipif(
    PDFTOTEXT is None, reason="poppler-utils (pdftotext) is not installed; .ci/run installs it"
)
def test_every_printed_page_reads_at_8_pt_or_more(tmp_path: Path) -> None:
    path = tmp_path / "roll.xlsx"
    write_summary(path, results(120), load_builtin("dept-overall"))
    pdf = recalc_convert(path, tmp_path / "pdf", "pdf")
    pages, heights = _words(pdf)
    # calibrate: the height pdftotext gives a word of 10 pt text printed at 100%
    import xlsxwriter

    probe = tmp_path / "probe.xlsx"
    wb = xlsxwriter.Workbook(probe)
    plain = wb.add_format({"font_name": "宋体", "font_size": 10})
    wb.add_worksheet().write_string(0, 0, "测试文字", plain)
    wb.close()
    _n, probe_heights = _words(recalc_convert(probe, tmp_path / "probe", "pdf"))
    per_point = max(probe_heights) / 10
    assert pages >= 4 and heights  # 120 departments over several pages, each with a header
    smallest = min(heights) / per_point
    assert smallest >= 8, (smallest, sorted(heights)[:5])
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    first_pages = text.split("\f")
    summary_pages = [p for p in first_pages if "第" in p and "号部门" in p and "执行率" in p]
    assert len(summary_pages) >= 3  # the header row repeats on each 汇总 page


def _words(pdf: Path) -> tuple[int, list[float]]:
    html = subprocess.run(
        [PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    heights = [
        float(y2) - float(y1)
        for y1, y2 in re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html
        )
    ]
    return html.count("<page "), heights
