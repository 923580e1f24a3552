"""Reports and results through a real LibreOffice (writer and calc, headless): the summary
report as PDF with real Chinese glyphs (embedded CJK fonts, the headings found by
pdftotext, a page rendered to docs/report-page.png), a report saved as .doc asked back as
.docx, and ``publish``: one PDF per passed form, the private fields blank, the rest
intact, the returns untouched."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltool.round.folder import Campaign
from xltool.round.reports_intake import take_report

from .campaign_helpers import (
    code_of,
    name_of,
    names_of,
    run_cli,
)
from .conftest import ROOT
from .libreoffice import SOFFICE, make_profile, needs_libreoffice
from .report_helpers import fill_report, form_figures
from .test_reports import collected_round, docx_text, issued_report

pytestmark = [pytest.mark.libreoffice, needs_libreoffice]
N = 4
PHONE, LEADER = "0731-88886666", "张三"


def poppler(*args: str) -> str:
    tool = shutil.which(args[0])
    assert tool, f"{args[0]} is missing: install poppler-utils (.ci/run does)"
    done = subprocess.run([tool, *args[1:]], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def with_contacts(path: Path) -> Path:
    """The form's 填报人 and 联系电话 filled in (联系电话 is not for publication)."""
    names = names_of(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["自评表"]
    ws[names["filer_phone"].split(":")[0]] = PHONE
    ws[names["filer"].split(":")[0]] = LEADER
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def round_(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    made = collected_round(tmp_path_factory.mktemp("reports-lo"), N, each=with_contacts)
    tmp, key, folder = made["tmp"], made["key"], made["folder"]
    campaign = Campaign.find(folder)
    for i in (1, 2):
        path = fill_report(
            issued_report(folder, i), tmp / f"{code_of(i)}报告.docx", form_figures(i)
        )
        take_report(campaign, path, received_at="2025-03-11", key=campaign.key(key))
    return made


def test_the_report_as_pdf_has_real_chinese_glyphs(round_: dict[str, Any]) -> None:
    target = round_["tmp"] / "汇总分析报告.docx"
    run_cli("report", "--pdf", "-o", str(target), *round_["c"])
    pdf = target.with_suffix(".pdf")
    fonts = poppler("pdffonts", str(pdf))
    cjk = [
        line
        for line in fonts.splitlines()[2:]
        if any(k in line for k in ("WenQuanYi", "Noto", "CJK", "Han", "Hei", "Song"))
    ]
    assert cjk and all(" yes " in line for line in cjk), fonts  # embedded
    text = "".join(poppler("pdftotext", "-layout", str(pdf), "-").split())
    for heading in (
        "一、基本情况",
        "二、自评得分与等级分布",
        "三、预算执行情况",
        "附表1各单位自评结果",
    ):
        assert heading in text
    assert "□" not in text and "\ufffd" not in text
    _text, doc = docx_text(target)
    assert len(doc.inline_shapes) == 3
    page = round_["tmp"] / "page"
    poppler(
        "pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(page)
    )
    if os.environ.get("XLTOOL_SCREENSHOTS") == "docs":  # regenerating the docs' picture
        shutil.copyfile(page.with_suffix(".png"), ROOT / "docs" / "report-page.png")


def test_a_report_saved_as_doc_is_asked_back_as_docx(round_: dict[str, Any]) -> None:
    import tempfile

    src = round_["tmp"] / f"{code_of(1)}报告.docx"
    out = round_["tmp"] / "doc"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation={make_profile(Path(profile))}", "--headless",
             "--convert-to", "doc", "--outdir", str(out), str(src)],
            capture_output=True, timeout=180, check=True,
        )  # fmt: skip
    campaign = Campaign.find(round_["folder"])
    got = take_report(
        campaign, out / f"{src.stem}.doc", received_at="2025-03-01", key=campaign.key(round_["key"])
    )
    assert [f.code for f in got.findings] == ["report-legacy-format"]
    assert ".docx" in got.findings[0].message("zh") and ".doc" in got.findings[0].message("zh")


def test_publish_blanks_the_private_fields_of_a_copy_only(round_: dict[str, Any]) -> None:
    folder = round_["folder"]
    inbox = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (folder / "inbox").glob("*.xlsx")
    }
    out = round_["tmp"] / "公开"
    run_cli("publish", "-o", str(out), *round_["c"])
    forms = sorted(p.name for p in out.glob("D0?-第?局.pdf"))
    assert forms == [f"{code_of(i)}-{name_of(i)}.pdf" for i in range(1, N + 1)]
    assert sorted(p.name for p in out.glob("*-报告.pdf")) == [
        "D01-第1局-报告.pdf",
        "D02-第2局-报告.pdf",
    ]
    assert (out / "00-目录.pdf").is_file()
    for i in range(1, N + 1):
        text = poppler("pdftotext", "-layout", str(out / f"{code_of(i)}-{name_of(i)}.pdf"), "-")
        flat = "".join(text.split())
        assert PHONE not in flat and "88886666" not in flat  # blanked
        assert LEADER in flat  # 填报人 is not private by default
        assert name_of(i) in flat and f"{name_of(i)}的主要职责" in flat and "联系电话" in flat
    index = "".join(poppler("pdftotext", str(out / "00-目录.pdf"), "-").split())
    assert all(name_of(i) in index for i in range(1, N + 1))
    after = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (folder / "inbox").glob("*.xlsx")
    }
    assert after == inbox
    again = run_cli("publish", "-o", str(out), *round_["c"], code=2)
    assert "--force" in again.output
