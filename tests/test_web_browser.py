"""``xltool serve`` end to end in a real browser: Playwright for Python drives the
system's chromium (never ``playwright install``). The bureau signs in with the token and
drops three returns on the intake; a department opens its link, uploads a form to fix,
downloads the annotated copy, uploads the corrected one and reads 通过; the board, open
all along, shows the change without a reload. Screenshots of the board, a department
page and the verdicts go to docs/."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from xltool.round.campaign import exempt
from xltool.round.collect import collect
from xltool.round.portal import portal_links
from xltool.web.app import create_app

from .web_helpers import BROWSER_ARGS, TOKEN, filled, make_campaign, running, stranger

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the [test] extra brings it
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = Path("/usr/bin/chromium")
# screenshots go to docs/ when XLTOOL_SCREENSHOTS=docs (how they are regenerated); a
# plain test run writes them into its temporary folder and leaves the checkout as it is
DOCS = Path(__file__).resolve().parent.parent / "docs"
NAMES = [
    "市发展和改革委员会", "市教育局", "市科学技术局", "市工业和信息化局", "市公安局",
    "市民政局", "市司法局", "市财政局", "市人力资源和社会保障局", "市自然资源和规划局",
    "市生态环境局", "市住房和城乡建设局",
]  # fmt: skip

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="playwright (Python) is not installed"),
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="no chromium at /usr/bin/chromium (Debian: apt-get install chromium)",
    ),
]


def _chromium() -> str:
    return str(CHROMIUM) if CHROMIUM.exists() else str(shutil.which("chromium"))


def _days_ago(n: int, hour: int) -> str:
    when = datetime.now(UTC) - timedelta(days=n)
    return when.replace(hour=hour, minute=17, second=0, microsecond=0).isoformat()


def shots(tmp_path: Path) -> Path:
    import os

    return DOCS if os.environ.get("XLTOOL_SCREENSHOTS") == "docs" else tmp_path


def test_a_round_in_the_browser(tmp_path: Path) -> None:
    campaign, key = make_campaign(
        tmp_path, 12, names=NAMES, deadline=date.today() + timedelta(days=9)
    )
    exempt(campaign, "D12", "机构已撤并")
    files = tmp_path / "files"
    earlier = [(1, True, 6), (2, True, 5), (3, False, 4), (5, True, 3), (6, False, 2), (7, True, 1)]
    for i, ok, ago in earlier:
        collect(
            campaign,
            [str(filled(campaign, i, files, ok=ok))],
            key=key,
            received_at=_days_ago(ago, 2),
        )
    dropped = [
        filled(campaign, 8, files),
        filled(campaign, 9, files, ok=False),
        stranger(files / "其他单位报表.xlsx"),
    ]
    to_fix, corrected = filled(campaign, 4, files, ok=False), filled(campaign, 4, files)
    app = create_app(campaign, token=TOKEN, key=key, portal_pages=True)
    with running(app) as url, sync_playwright() as p:  # type: ignore[misc]
        app.state.web.public_url = url
        browser = p.chromium.launch(executable_path=_chromium(), args=BROWSER_ARGS)
        try:
            bureau = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
            board = bureau.new_page()
            board.goto(f"{url}/?token={TOKEN}")
            expect(board.locator("#rows tr")).to_have_count(12)
            expect(board.locator("#rows tr", has_text="D04").locator("td.st")).to_have_text(
                "未报送"
            )

            intake = bureau.new_page()
            intake.goto(f"{url}/intake")
            intake.set_input_files("#file-input", [str(p) for p in dropped])
            lines = intake.locator("#results li.line:not(.line-pending)")
            expect(lines).to_have_count(3, timeout=60_000)
            expect(lines.nth(0)).to_contain_text("D08 市财政局")
            expect(lines.nth(0)).to_contain_text("通过")
            expect(lines.nth(1)).to_contain_text("待修改")
            expect(lines.nth(2)).to_contain_text("未匹配到部门")

            link = next(x.url for x in portal_links(campaign, url, key=key) if x.code == "D04")
            department = browser.new_context(
                viewport={"width": 1280, "height": 860}, locale="zh-CN"
            )
            page = department.new_page()
            page.goto(link)
            expect(page.locator("h1")).to_contain_text("市工业和信息化局")
            page.set_input_files("#file-input", str(to_fix))
            fix = page.locator(".verdict.v-fix")
            expect(fix).to_contain_text("待修改", timeout=60_000)
            expect(fix).to_contain_text("偏差原因")
            with page.expect_download() as download:
                fix.locator("a.button").click()
            assert download.value.suggested_filename == f"{to_fix.stem}-校验.xlsx"
            saved = tmp_path / "标注副本.xlsx"
            download.value.save_as(saved)
            assert openpyxl.load_workbook(saved).sheetnames
            page.set_input_files("#file-input", str(corrected))
            expect(page.locator(".verdict.v-ok")).to_contain_text("通过", timeout=60_000)
            expect(page.locator("#dept-status")).to_have_text("通过", timeout=10_000)
            page.screenshot(path=str(shots(tmp_path) / "serve-verdict.png"), full_page=True)

            row = board.locator("#rows tr", has_text="D04")
            expect(row.locator("td.st")).to_have_text("通过", timeout=15_000)  # no reload
            expect(board.locator('[data-count="passed"]')).to_have_text("6")
            board.screenshot(path=str(shots(tmp_path) / "serve-board.png"), full_page=True)

            detail = bureau.new_page()
            detail.goto(f"{url}/dept/D03")
            expect(detail.locator(".findings")).to_contain_text("偏差原因")
            detail.screenshot(path=str(shots(tmp_path) / "serve-department.png"), full_page=True)
        finally:
            browser.close()
