"""``xltool serve``: every route through Starlette's TestClient, with its status codes and
limits (no token, a wrong token, expired and revoked links, another department's form,
path traversal, CSRF, oversize uploads, a zip bomb, markup in a name); the commands
``serve`` and ``portal``; and 20 department uploads at once beside a ``collect``."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from starlette.testclient import TestClient

from xltool.cli import main
from xltool.errors import XltoolError
from xltool.limits import MiB
from xltool.round.collect import collect
from xltool.round.folder import Campaign, read_json
from xltool.round.intake import Item, store
from xltool.round.portal import portal_links, read_portal, revoke_link
from xltool.round.rebuild import open_ledger, rebuild
from xltool.round.status import campaign_status
from xltool.web import console
from xltool.web.app import create_app
from xltool.web.uploads import UploadLimits

from .campaign_helpers import code_of
from .mailservers import PASSWORD, USER
from .web_helpers import (
    LOOPBACK,
    TOKEN,
    filled,
    make_campaign,
    running,
    stranger,
)

N = 6
PUBLIC = "https://jx.example.gov.cn"
REMOTE = ("203.0.113.7", 40000)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("web")
    campaign, key = make_campaign(tmp, N)
    files = tmp / "files"
    made = {
        "ok1": filled(campaign, 1, files),
        "fix2": filled(campaign, 2, files, ok=False),
        "ok2": filled(campaign, 2, files),
        "ok3": filled(campaign, 3, files),
        "fix4": filled(campaign, 4, files, ok=False),
        "ok4": filled(campaign, 4, files),
        "stranger": stranger(files / "其他单位.xlsx"),
    }
    return {"root": campaign.root, "key": key, "files": made, "tmp": tmp}


@pytest.fixture
def camp(base: dict[str, Any], tmp_path: Path) -> Campaign:
    shutil.copytree(base["root"], tmp_path / "c")
    return Campaign.open(tmp_path / "c")


def client(
    camp: Campaign,
    key: bytes,
    *,
    portal: bool = True,
    limits: UploadLimits | None = None,
    remote: bool = False,
    lang: str = "zh",
) -> TestClient:
    app = create_app(
        camp, token=TOKEN, key=key, portal_pages=portal, public_url=PUBLIC, limits=limits,
        lang=lang,
    )  # fmt: skip
    return TestClient(app, client=REMOTE if remote else LOOPBACK, raise_server_exceptions=False)


def signed_in(c: TestClient) -> TestClient:
    r = c.get(f"/?token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    return c


def csrf(c: TestClient) -> str:
    return c.app.state.web.auth.csrf  # type: ignore[attr-defined]


def post_files(
    c: TestClient, url: str, paths: list[Path], token: str | None, fetch: bool = True
) -> Any:
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    data = {"csrf": token} if token is not None else {}
    return c.post(url, files=files, data=data, headers=headers)


def link_path(camp: Campaign, key: bytes, code: str, **kwargs: Any) -> str:
    link = next(x for x in portal_links(camp, PUBLIC, key=key, **kwargs) if x.code == code)
    return link.url.removeprefix(PUBLIC)


def portal_csrf(c: TestClient, path: str) -> str:
    page = c.get(path).text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]


def rows(camp: Campaign) -> list[Any]:
    with open_ledger(camp) as ledger:
        return ledger.returns()


def status_of(camp: Campaign) -> dict[str, Any]:
    with open_ledger(camp) as ledger:
        return campaign_status(camp, ledger).to_json("zh")


# --- signing in, and who may see the console ------------------------------------------


def test_no_token_wrong_token_and_the_session_cookie(camp: Campaign, base: dict[str, Any]) -> None:
    c = client(camp, base["key"])
    assert c.get("/").status_code == 401
    assert "带 token" in c.get("/").text
    assert c.get("/api/board").status_code == 401
    assert c.get("/intake").status_code == 401
    assert c.get("/download/status.xlsx").status_code == 401
    wrong = c.get("/?token=not-the-token", follow_redirects=False)
    assert wrong.status_code == 403 and "set-cookie" not in wrong.headers
    ok = c.get(f"/?token={TOKEN}", follow_redirects=False)
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    board = c.get("/")
    assert board.status_code == 200 and "第1局" in board.text
    other = client(camp, base["key"])
    other.cookies.set("xltool_session", "forged")
    assert other.get("/").status_code == 401


def test_the_console_answers_this_machine_only(camp: Campaign, base: dict[str, Any]) -> None:
    remote = client(camp, base["key"], remote=True)
    for path in ("/", f"/?token={TOKEN}", "/api/board", "/intake", "/mail", "/dept/D01"):
        assert remote.get(path, follow_redirects=False).status_code == 404, path
    assert remote.get("/download/status.xlsx").status_code == 404
    proxied = signed_in(client(camp, base["key"]))
    assert proxied.get("/", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 404
    path = link_path(camp, base["key"], "D01")
    assert remote.get(path).status_code == 200  # department pages answer anyone with the link
    assert remote.get("/findings").status_code == 200


def test_every_response_carries_the_security_headers(camp: Campaign, base: dict[str, Any]) -> None:
    c = signed_in(client(camp, base["key"]))
    for path in ("/", "/api/board", "/intake", "/findings", "/nope", "/assets/app.css"):
        r = c.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
    assert c.get("/").headers["cache-control"] == "no-store"
    for path in (
        "/",
        "/intake",
        "/mail",
        "/dept/D01",
        "/findings",
        link_path(camp, base["key"], "D01"),
    ):
        page = c.get(path).text
        assert ' style="' not in page and "<style" not in page, path
        assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page)), path


# --- the board, a department, the catalogue -------------------------------------------


def test_the_board_its_json_filter_search_and_sort(camp: Campaign, base: dict[str, Any]) -> None:
    collect(camp, [str(base["files"]["ok1"]), str(base["files"]["fix2"])], key=base["key"])
    c = signed_in(client(camp, base["key"]))
    view = c.get("/api/board").json()
    assert view["counts"]["passed"] == 1 and view["counts"]["to-fix"] == 1
    assert view["coverage"]["departments"] == N and view["coverage"]["returned"] == 2
    assert view["deadline"] == "2025-03-31" and view["days_left"] < 0
    by_code = {r["code"]: r for r in view["departments"]}
    assert by_code["D01"]["forms"] == "1/1" and by_code["D02"]["forms"] == "0/1"
    assert by_code["D02"]["label"] == "待修改" and by_code["D02"]["errors"] == 1
    page = c.get("/").text
    assert "st st-passed" in page and "st st-to-fix" in page and "已过截止日" in page
    only = c.get("/?status=to-fix").text
    assert "第2局" in only and "第1局</a>" not in only
    found = c.get("/?q=第3").text
    assert "第3局" in found and "第2局</a>" not in found
    lower = c.get("/?q=d04").text
    assert "第4局" in lower and "第3局</a>" not in lower
    ordered = c.get("/?sort=status").text.split('<tbody id="rows">')[1]
    assert ordered.index("逾期未报送") < ordered.index("待修改") < ordered.index(">通过<")
    assert c.get("/?status=<script>&sort=../../x").status_code == 200


def test_the_board_counts_forms_when_the_status_has_them(
    camp: Campaign, base: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the round holds many forms per department: n/m from forms_passed/forms_total."""
    from xltool.web import state

    real = state.WebState.status_json

    coverage: dict[str, Any] = {}

    def with_forms(self: Any) -> dict[str, Any]:
        doc = real(self)
        doc.pop("coverage", None)
        doc.update(coverage)
        for d in doc["departments"]:
            d["forms_total"], d["forms_passed"] = 3, 2 if d["code"] == "D01" else 0
        return doc

    monkeypatch.setattr(state.WebState, "status_json", with_forms)
    c = signed_in(client(camp, base["key"]))
    view = c.get("/api/board").json()
    assert {r["code"]: r["forms"] for r in view["departments"]}["D01"] == "2/3"
    assert view["coverage"]["forms_total"] == 3 * N and view["coverage"]["forms_passed"] == 2
    coverage["coverage"] = {
        "dept-overall": {"total": N, "passed": 1, "exempt": 0, "ratio": 1 / N},
        "project": {"total": 2 * N, "passed": 3, "exempt": 2, "ratio": 0.3},
    }
    view = c.get("/api/board").json()  # the status's own count per kind of form
    assert view["coverage"]["forms_total"] == 3 * N - 2 and view["coverage"]["forms_passed"] == 4
    assert view["coverage"]["percent"] == round(100 * 4 / (3 * N - 2))


def test_a_department_page(camp: Campaign, base: dict[str, Any]) -> None:
    collect(camp, [str(base["files"]["fix2"])], key=base["key"])
    c = signed_in(client(camp, base["key"]))
    page = c.get("/dept/D02").text
    assert "联系人2" in page and "d2@dept.example.cn" in page and "0731-88880002" in page
    assert "待修改" in page and "签名" in page and "D02-待改.xlsx" in page
    assert "偏差原因" in page and "自评表!I" in page  # the finding, in Chinese, with its cell
    assert 'href="/findings#reason-missing"' in page
    assert "/download/annotated/" in page and "/download/issued/" in page
    assert PUBLIC + "/d/" in page  # the department's link
    assert c.get("/dept/D99").status_code == 404
    for bad in ("/dept/..%2F..%2Fcampaign.yaml", "/dept/%2e%2e", "/dept/D01%00"):
        r = c.get(bad)
        assert r.status_code == 404 and "key_id" not in r.text, bad


def test_the_finding_catalogue(camp: Campaign, base: dict[str, Any]) -> None:
    page = client(camp, base["key"], remote=True).get("/findings").text
    assert 'id="reason-missing"' in page and "缺少偏差原因" in page
    assert "报送进度" not in page  # no console navigation for a department
    en = client(camp, base["key"], lang="en").get("/findings").text
    assert "Reason missing" in en


def test_english_pages(camp: Campaign, base: dict[str, Any]) -> None:
    c = signed_in(client(camp, base["key"], lang="en"))
    page = c.get("/").text
    assert "Deadline" in page and "overdue" in page and "逾期" not in page
    path = link_path(camp, base["key"], "D02")
    verdict = post_files(c, path + "/upload", [base["files"]["fix2"]], portal_csrf(c, path))
    assert "give the reason and remedy" in verdict.text and "偏差原因" not in verdict.text
    assert " (1 error, 0 warnings)" in verdict.text and "（" not in verdict.text
    page = c.get("/dept/D02").text
    assert "give the reason and remedy" in page and "请填写偏差原因" not in page
    zh = signed_in(client(camp, base["key"])).get("/dept/D02").text
    assert "请填写偏差原因" in zh  # the same return, in the server's other language


# --- downloads --------------------------------------------------------------------------


def test_downloads_by_ledger_id_with_rfc6266_names(camp: Campaign, base: dict[str, Any]) -> None:
    collect(camp, [str(base["files"]["fix2"])], key=base["key"])
    c = signed_in(client(camp, base["key"]))
    with open_ledger(camp) as ledger:
        issued = next(r for r in ledger.issued() if r["code"] == "D01")
        ret = next(r for r in ledger.returns() if r.code == "D02")
    form = c.get(f"/download/issued/{issued['issue_id']}")
    assert form.status_code == 200
    assert form.content == (camp.issued_dir / issued["file"]).read_bytes()
    cd = form.headers["content-disposition"]
    assert (
        cd.startswith("attachment; filename=")
        and "filename*=UTF-8''D01-%E7%AC%AC1%E5%B1%80.xlsx" in cd
    )
    original = c.get(f"/download/return/{ret.sha256}")
    assert original.content == (camp.inbox / ret.file).read_bytes()
    annotated = c.get(f"/download/annotated/{ret.sha256}")
    assert annotated.status_code == 200 and annotated.content[:2] == b"PK"
    assert "%E6%A0%A1%E9%AA%8C.xlsx" in annotated.headers["content-disposition"]  # 校验
    status = c.get("/download/status.xlsx")
    assert "%E6%8A%A5%E9%80%81%E8%BF%9B%E5%BA%A6.xlsx" in status.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(status.content)).sheetnames
    rollup = c.get("/download/rollup.xlsx")
    assert rollup.status_code == 200 and openpyxl.load_workbook(io.BytesIO(rollup.content))
    assert not (camp.root / "汇总.xlsx").exists()  # written to a temp file, not the folder
    forms = zipfile.ZipFile(io.BytesIO(c.get("/download/issued.zip").content))
    assert sorted(forms.namelist()) == sorted(p.name for p in camp.issued_dir.glob("*.xlsx"))


@pytest.mark.parametrize(
    "path",
    [
        "/download/issued/..%2F..%2Fcampaign.yaml",
        "/download/issued/%2e%2e",
        "/download/return/" + "0" * 64,
        "/download/return/..%2Fcampaign.yaml",
        "/download/annotated/%2Fetc%2Fpasswd",
        "/download/annotated/" + "A" * 64,
        "/download/ledger.sqlite",
        "/download/..%2Fcampaign.yaml",
        "/download/secret/x",
        "/assets/..%2F..%2Fpyproject.toml",
        "/assets/app.py",
        "/assets/%2e%2e%2fbase.html",
    ],
)
def test_no_path_from_a_request_reaches_the_folder(
    camp: Campaign, base: dict[str, Any], path: str
) -> None:
    r = signed_in(client(camp, base["key"])).get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "key_id" not in r.text and "[project]" not in r.text


# --- intake and assignment --------------------------------------------------------------


def test_intake_collects_like_the_cli(camp: Campaign, base: dict[str, Any]) -> None:
    c = signed_in(client(camp, base["key"]))
    files = [base["files"][k] for k in ("ok1", "fix2", "stranger")]
    r = post_files(c, "/intake", files, csrf(c))
    assert r.status_code == 200
    assert r.text.count("<li") == 3
    assert "D01 第1局" in r.text and "按签名" in r.text and "通过" in r.text
    assert "D02 第2局" in r.text and "待修改" in r.text and "1 个错误" in r.text
    assert "未匹配到部门" in r.text
    recorded = rows(camp)
    assert len(recorded) == 3 and {r.source for r in recorded} == {"console"}
    again = post_files(c, "/intake", files[:1], csrf(c))
    assert "此前已收到" in again.text and len(rows(camp)) == 3
    page = post_files(c, "/intake", files[1:2], csrf(c), fetch=False)
    assert page.status_code == 200 and "<html" in page.text and "D02 第2局" in page.text


def test_a_zip_on_the_intake_and_a_zip_bomb(
    camp: Campaign, base: dict[str, Any], tmp_path: Path
) -> None:
    c = signed_in(client(camp, base["key"]))
    bundle = tmp_path / "三个部门.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for k in ("ok1", "ok2", "ok3"):
            zf.write(base["files"][k], base["files"][k].name)
    r = post_files(c, "/intake", [bundle], csrf(c))
    assert r.text.count("<li") == 3 and r.text.count("通过") == 3
    bomb = tmp_path / "炸弹.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("D05-第5局.xlsx", b"\0" * (30 * MiB))
    r = post_files(c, "/intake", [bomb], csrf(c))
    assert r.status_code == 200 and "未收录" in r.text and "压缩比" in r.text
    assert len(rows(camp)) == 3
    xlsx_bomb = tmp_path / "D06-第6局.xlsx"
    with zipfile.ZipFile(xlsx_bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b" " * (40 * MiB))
    r = post_files(c, "/intake", [xlsx_bomb], csrf(c))
    assert "无法读取" in r.text  # recorded, as collect records it, with its finding
    bombed = next(x for x in rows(camp) if x.original_name == "D06-第6局.xlsx")
    assert bombed.status == "unreadable"


def test_files_that_are_not_spreadsheets_are_refused(
    camp: Campaign, base: dict[str, Any], tmp_path: Path
) -> None:
    c = signed_in(client(camp, base["key"]))
    note = tmp_path / "说明.txt"
    note.write_text("你好", encoding="utf-8")
    r = post_files(c, "/intake", [note], csrf(c))
    assert "未收录" in r.text and rows(camp) == []
    assert c.post("/intake", data={"csrf": csrf(c)}, files={"x": ("a", b"")}).status_code == 400


def test_an_unmatched_file_is_assigned_from_the_list(camp: Campaign, base: dict[str, Any]) -> None:
    c = signed_in(client(camp, base["key"]))
    post_files(c, "/intake", [base["files"]["stranger"]], csrf(c))
    page = c.get("/intake").text
    assert "其他单位.xlsx" in page and '<option value="D05">D05 第5局</option>' in page
    [row] = rows(camp)
    r = c.post("/assign", data={"csrf": csrf(c), "sha256": row.sha256, "code": "D05"})
    assert r.status_code == 200 and "D05" in r.text
    [moved] = rows(camp)
    assert moved.code == "D05" and moved.matched_by == "hand"
    assert (
        c.post("/assign", data={"csrf": csrf(c), "sha256": "../x", "code": "D05"}).status_code
        == 400
    )
    assert (
        c.post("/assign", data={"csrf": csrf(c), "sha256": row.sha256, "code": "D99"}).status_code
        == 400
    )


# --- CSRF and limits --------------------------------------------------------------------


def test_a_post_without_csrf_is_refused(camp: Campaign, base: dict[str, Any]) -> None:
    c = signed_in(client(camp, base["key"]))
    one = [base["files"]["ok1"]]
    assert post_files(c, "/intake", one, None).status_code == 403
    assert post_files(c, "/intake", one, "0" * 64).status_code == 403
    assert c.post("/assign", data={"sha256": "0" * 64, "code": "D01"}).status_code == 403
    assert c.post("/mail/preview", data={"action": "send"}).status_code == 403
    assert c.post("/mail/confirm", data={"action": "send"}).status_code == 403
    foreign = c.post(
        "/intake",
        files=[("files", ("a.xlsx", b"x"))],
        data={"csrf": csrf(c)},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    path = link_path(camp, base["key"], "D01")
    assert post_files(c, path + "/upload", one, None).status_code == 403
    assert post_files(c, path + "/upload", one, csrf(c)).status_code == 403  # the console's
    assert rows(camp) == []


def test_upload_limits(camp: Campaign, base: dict[str, Any], tmp_path: Path) -> None:
    limits = UploadLimits(
        portal_file=64 * 1024, portal_request=300 * 1024, portal_files=2, portal_hourly=3
    )
    c = client(camp, base["key"], limits=limits)
    path = link_path(camp, base["key"], "D01")
    token = portal_csrf(c, path)
    big = tmp_path / "D01-大.xlsx"
    big.write_bytes(b"PK" + os.urandom(100 * 1024))
    r = post_files(c, path + "/upload", [big], token)
    assert r.status_code == 413 and "上限" in r.json()["error"]
    huge = tmp_path / "D01-更大.xlsx"
    huge.write_bytes(os.urandom(400 * 1024))
    assert post_files(c, path + "/upload", [huge], token).status_code == 413
    three = [base["files"]["ok1"]] * 3
    assert post_files(c, path + "/upload", three, token).status_code == 413
    chunked = c.post(
        path + "/upload",
        content=iter([b"--x\r\n", b"\r\n--x--\r\n"]),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert chunked.status_code == 411
    assert rows(camp) == []
    for name in ("ok1", "fix2", "ok3"):
        assert post_files(c, path + "/upload", [base["files"][name]], token).status_code == 200
    assert post_files(c, path + "/upload", [base["files"]["ok4"]], token).status_code == 429


# --- department pages -------------------------------------------------------------------


def test_a_department_page_round_trip(camp: Campaign, base: dict[str, Any]) -> None:
    c = client(camp, base["key"], remote=True)
    path = link_path(camp, base["key"], "D04")
    page = c.get(path)
    assert page.status_code == 200 and "D04" in page.text and "第4局" in page.text
    assert "第1局" not in page.text and "/dept/" not in page.text
    with open_ledger(camp) as ledger:
        mine = next(r for r in ledger.issued() if r["code"] == "D04")
        theirs = next(r for r in ledger.issued() if r["code"] == "D01")
    blank = c.get(f"{path}/form/{mine['issue_id']}")
    assert (
        blank.status_code == 200 and blank.content == (camp.issued_dir / mine["file"]).read_bytes()
    )
    assert c.get(f"{path}/form/{theirs['issue_id']}").status_code == 404
    token = portal_csrf(c, path)
    fix = post_files(c, path + "/upload", [base["files"]["fix4"]], token)
    assert fix.status_code == 200 and "待修改" in fix.text and "偏差原因" in fix.text
    sha = re.search(r"/annotated/([0-9a-f]{64})", fix.text).group(1)  # type: ignore[union-attr]
    annotated = c.get(f"{path}/annotated/{sha}")
    assert annotated.status_code == 200 and openpyxl.load_workbook(io.BytesIO(annotated.content))
    ok = post_files(c, path + "/upload", [base["files"]["ok4"]], token)
    assert "通过" in ok.text and "校验通过" in ok.text and "/annotated/" not in ok.text
    assert status_of(camp)["departments"][3]["status"] == "passed"
    recorded = [r for r in rows(camp) if r.code == "D04"]
    assert len(recorded) == 2 and {r.source for r in recorded} == {"portal"}
    assert {r.matched_by for r in recorded} == {"signature"}
    sidecars = [read_json(p) for p in camp.inbox.glob("*.json")]
    assert {s["source"] for s in sidecars} == {"portal"}
    full = post_files(c, path + "/upload", [base["files"]["ok4"]], token, fetch=False)
    assert "<html" in full.text and "通过" in full.text


def test_the_server_holds_the_ledger_and_a_rebuilt_one_anew(
    camp: Campaign, base: dict[str, Any]
) -> None:
    """Each request's ledger connection is never the last one: SQLite keeps the WAL
    instead of copying it back and deleting it per upload. A ledger rebuilt while the
    server runs is held anew, and what is recorded after the rebuild is kept."""
    c = client(camp, base["key"], remote=True)
    wal = camp.ledger_path.with_name("ledger.sqlite-wal")
    path = link_path(camp, base["key"], "D02")
    token = portal_csrf(c, path)
    assert "待修改" in post_files(c, path + "/upload", [base["files"]["fix2"]], token).text
    assert wal.exists()  # the upload's connection closed; the server's hold kept the WAL
    before = camp.ledger_path.stat().st_ino
    rebuild(camp, key=base["key"])
    assert camp.ledger_path.stat().st_ino != before
    assert "通过" in post_files(c, path + "/upload", [base["files"]["ok2"]], token).text
    assert c.app.state.web.hold.inode == camp.ledger_path.stat().st_ino  # type: ignore[attr-defined]
    c.app.state.web.close()  # type: ignore[attr-defined]
    with open_ledger(camp) as ledger:
        ledger.event("check", None, "")
    assert not wal.exists()  # held no more: the last connection checkpoints and deletes it
    recorded = {r.original_name: r.status for r in rows(camp) if r.code == "D02"}
    assert recorded == {base["files"]["fix2"].name: "invalid", base["files"]["ok2"].name: "ok"}
    assert status_of(camp)["departments"][1]["status"] == "passed"


def test_a_rebuild_that_cannot_replace_a_held_ledger_says_so(
    camp: Campaign, base: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows a file another program holds open cannot be replaced (the server holds
    the ledger): one clear line, the old ledger kept, no rebuilt copy left behind."""
    collect(camp, [str(base["files"]["ok1"])], key=base["key"])
    before = [r.sha256 for r in rows(camp)]

    def refused(*_args: Any) -> None:
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr("xltool.round.rebuild.os.replace", refused)
    with pytest.raises(XltoolError) as caught:
        rebuild(camp, key=base["key"])
    assert "xltool serve" in caught.value.text("zh") and "close it" in caught.value.text("en")
    assert not list(camp.root.glob(".ledger-rebuild-*"))
    monkeypatch.undo()
    assert [r.sha256 for r in rows(camp)] == before and len(before) == 1


def test_what_an_interrupted_run_stored_is_the_next_runs_to_finish(
    camp: Campaign, base: dict[str, Any]
) -> None:
    """A run killed after storing files (sidecars written, nothing recorded): a
    department's upload leaves them be; the bureau's next collect records each, the same
    bytes under another name being that stored return, not a second copy."""
    files = base["files"]
    orphan = hashlib.sha256(files["ok3"].read_bytes()).hexdigest()
    other = hashlib.sha256(files["fix4"].read_bytes()).hexdigest()
    store(camp, Item("第3局-初稿.xlsx", "mail", data=files["ok3"].read_bytes()), None, None, {})
    store(camp, Item("第4局.xlsx", "mail", data=files["fix4"].read_bytes()), None, None, {})
    c = client(camp, base["key"], remote=True)
    path = link_path(camp, base["key"], "D01")
    page = post_files(c, path + "/upload", [files["ok1"]], portal_csrf(c, path))
    assert "通过" in page.text and "初稿" not in page.text and "第4局.xlsx" not in page.text
    assert [r.code for r in rows(camp)] == ["D01"]

    (camp.inbox / "0123456789abcdef-odd.xlsx.json").write_text("[]")  # not a sidecar
    away = {"sha256": "f" * 64, "file": "../ledger.sqlite"}  # one naming a file elsewhere
    (camp.inbox / "ffffffffffffffff-away.json").write_text(json.dumps(away))
    done = collect(camp, [str(files["ok3"])], key=base["key"])
    assert len(done) == 2
    lines = {o.sha256: o for o in done}
    assert lines[orphan].kind == "collected" and lines[orphan].stored.endswith("第3局-初稿.xlsx")
    assert lines[other].kind == "collected" and lines[other].item.original_name == "第4局.xlsx"
    assert "recorded now" in lines[other].to_json("en")["notes"][0]
    assert sorted(p.name for p in camp.inbox.glob(f"{orphan[:16]}-*")) == [
        f"{orphan[:16]}-第3局-初稿.xlsx",
        f"{orphan[:16]}-第3局-初稿.xlsx.json",
    ]  # one copy
    assert {r.sha256: r.original_name for r in rows(camp) if r.code in ("D03", "D04")} == {
        orphan: "第3局-初稿.xlsx",
        other: "第4局.xlsx",
    }
    assert collect(camp, [str(files["ok2"])], key=base["key"])[1:] == []  # nothing left


def test_another_departments_form_and_return_are_404(camp: Campaign, base: dict[str, Any]) -> None:
    collect(camp, [str(base["files"]["fix2"])], key=base["key"])
    [theirs] = rows(camp)
    c = client(camp, base["key"], remote=True)
    path = link_path(camp, base["key"], "D01")
    assert c.get(f"{path}/return/{theirs.sha256}").status_code == 404
    assert c.get(f"{path}/annotated/{theirs.sha256}").status_code == 404
    for bad in (
        "/form/..%2F..%2Fcampaign.yaml",
        "/return/%2e%2e",
        "/secret/x",
        "/form/" + "f" * 65,
    ):
        assert c.get(path + bad).status_code == 404, bad
    r = post_files(c, path + "/upload", [base["files"]["ok3"]], portal_csrf(c, path))
    assert "其他部门" in r.text and "/annotated/" not in r.text
    d3 = next(x for x in rows(camp) if x.code == "D03")
    assert d3.matched_by == "signature" and d3.source == "portal"
    assert status_of(camp)["departments"][0]["status"] == "overdue"


def test_an_unsigned_upload_is_the_departments_by_hand(
    camp: Campaign, base: dict[str, Any]
) -> None:
    c = client(camp, base["key"])
    path = link_path(camp, base["key"], "D05")
    r = post_files(c, path + "/upload", [base["files"]["stranger"]], portal_csrf(c, path))
    assert r.status_code == 200
    [row] = rows(camp)
    assert row.code == "D05" and row.matched_by == "hand" and row.source == "portal"
    # the same bytes through another department's link: never moved
    other = link_path(camp, base["key"], "D06")
    post_files(c, other + "/upload", [base["files"]["stranger"]], portal_csrf(c, other))
    [row] = rows(camp)
    assert row.code == "D05"


def test_links_invalid_expired_revoked(camp: Campaign, base: dict[str, Any]) -> None:
    c = client(camp, base["key"], remote=True)
    good = link_path(camp, base["key"], "D01")
    assert c.get(good).status_code == 200
    old = link_path(camp, base["key"], "D02", until=date(2020, 1, 1))
    assert c.get(old).status_code == 410 and "过期" in c.get(old).text
    body, mac = good.removeprefix("/d/").split(".")
    forged = "/d/" + body.replace(body[:4], "eyJj", 1) + "." + mac[::-1]
    for bad in (forged, "/d/garbage", "/d/" + "a" * 40 + "." + "b" * 22, good + "x"):
        assert c.get(bad).status_code == 404, bad
    revoke_link(camp, "D01")
    assert c.get(good).status_code == 410
    assert c.get(good + "/upload").status_code in (404, 405, 410)
    assert c.get(link_path(camp, base["key"], "D01")).status_code == 200
    other_key = client(camp, base["key"], remote=True)
    other_key.app.state.web.key = b"\1" * 32  # type: ignore[attr-defined]
    assert other_key.get(link_path(camp, base["key"], "D03")).status_code == 404
    assert client(camp, base["key"], portal=False).get(good).status_code == 404


def test_markup_in_a_roster_name_is_shown_as_text(tmp_path: Path) -> None:
    markup = "<script>alert(1)</script>"
    campaign, key = make_campaign(tmp_path, 2, names=[markup, "<b>粗</b>局"])
    c = signed_in(client(campaign, key))
    pages = [c.get("/").text, c.get("/dept/D01").text, c.get("/dept/D02").text]
    pages.append(c.get(link_path(campaign, key, "D01")).text)
    for page in pages:
        assert markup not in page and "<b>粗</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&lt;b&gt;" in page
    assert markup in json.dumps(c.get("/api/board").json(), ensure_ascii=False)


# --- errors and the log -------------------------------------------------------------------


def test_no_traceback_reaches_a_browser(
    camp: Campaign, base: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("secret detail of the server")

    monkeypatch.setattr(console, "board", broken)
    r = signed_in(client(camp, base["key"])).get("/")
    assert r.status_code == 500 and "服务器内部错误" in r.text
    assert "Traceback" not in r.text and "secret detail" not in r.text
    assert r.headers["content-security-policy"]
    c = client(camp, base["key"])
    assert c.get("/no/such/page").status_code == 404 and "找不到" in c.get("/no/such/page").text
    assert c.put("/intake").status_code == 405


def test_the_log_names_the_department_never_the_token(
    camp: Campaign, base: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    c = client(camp, base["key"])
    path = link_path(camp, base["key"], "D03")
    with caplog.at_level(logging.INFO, logger="xltool.web"):
        signed_in(c)
        c.get(path)
        c.get(path + "/form/nope")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /d/… 200 D03" in text and "GET /d/…/form/nope 404 D03" in text
    assert TOKEN not in text and path.removeprefix("/d/") not in text


# --- send and remind ----------------------------------------------------------------------


def test_send_preview_then_confirm(
    camp: Campaign, base: dict[str, Any], smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = signed_in(client(camp, base["key"]))
    assert "邮件设置" in c.post("/mail/preview", data={"csrf": csrf(c), "action": "send"}).text
    config = yaml.safe_load((camp.root / "campaign.yaml").read_text(encoding="utf-8"))
    config["mail"] = {
        "from": {"name": "测试区财政局绩效科", "address": "jxk@czj.example.cn"},
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "starttls",
                 "user": USER, "ca_file": str(smtp_server.ca_file)},
        "rate": 6000, "backoff": 0.05,
    }  # fmt: skip
    (camp.root / "campaign.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    camp = Campaign.open(camp.root)
    c = signed_in(client(camp, base["key"]))
    monkeypatch.delenv("XLTOOL_SMTP_PASSWORD", raising=False)
    preview = c.post("/mail/preview", data={"csrf": csrf(c), "action": "send"})
    assert preview.status_code == 200 and preview.text.count("发表 将发送") == N
    assert smtp_server.messages == []
    assert 'action="/mail/confirm"' in preview.text
    missing = c.post("/mail/confirm", data={"csrf": csrf(c), "action": "send"})
    assert "XLTOOL_SMTP_PASSWORD" in missing.text and smtp_server.messages == []
    monkeypatch.setenv("XLTOOL_SMTP_PASSWORD", PASSWORD)
    smtp_server.refuse.add("d3@dept.example.cn")
    done = c.post("/mail/confirm", data={"csrf": csrf(c), "action": "send"})
    assert done.status_code == 200 and "发送结果" in done.text
    assert len(smtp_server.messages) >= N - 1
    assert "未发出" in done.text and "d3@dept.example.cn" in done.text
    reminded = c.post(
        "/mail/preview", data={"csrf": csrf(c), "action": "remind", "status": "overdue"}
    )
    assert reminded.status_code == 200 and "提醒 将发送" in reminded.text


# --- the commands -------------------------------------------------------------------------


def test_portal_links_and_revoke_commands(
    camp: Campaign, base: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XLTOOL_KEY_FILE", str(base["tmp"] / "issuer.key"))
    runner = CliRunner()
    c = ["--campaign", str(camp.root)]
    none = runner.invoke(main, ["portal", "links", *c])
    assert none.exit_code == 2 and "--public-url" in none.output
    out = runner.invoke(
        main, ["portal", "links", "--format", "json", "--public-url", PUBLIC + "/", *c]
    )
    assert out.exit_code == 0, out.output
    links = json.loads(out.output)
    assert [x["code"] for x in links] == [code_of(i) for i in range(1, N + 1)]
    assert links[0]["url"].startswith(PUBLIC + "/d/")
    assert read_portal(camp)["public_url"] == PUBLIC
    csv_out = runner.invoke(main, ["portal", "links", *c, "--expires", "2030-01-31"])
    lines = csv_out.output.splitlines()
    assert lines[0] == "部门编码,部门名称,链接,有效期至" and len(lines) == N + 1
    assert "2030-01-31T16:00:00+00:00" in lines[1]  # the end of that day in Asia/Shanghai
    before = read_portal(camp)["nonces"]["D01"]["nonce"]
    revoked = runner.invoke(main, ["portal", "revoke", "D01", *c])
    assert revoked.exit_code == 0 and "D01" in revoked.output
    assert read_portal(camp)["nonces"]["D01"]["nonce"] != before
    assert client(camp, base["key"]).get(links[0]["url"].removeprefix(PUBLIC)).status_code == 410
    assert runner.invoke(main, ["portal", "revoke", "D99", *c]).exit_code == 2
    bad = runner.invoke(main, ["portal", "links", "--public-url", "ftp://x?y", *c])
    assert bad.exit_code == 2


def _serve(camp: Campaign, base: dict[str, Any], *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "XLTOOL_TOKEN": TOKEN, "XLTOOL_KEY_FILE": str(base["tmp"] / "issuer.key")}
    return subprocess.Popen(
        [sys.executable, "-m", "xltool", "serve", "--campaign", str(camp.root), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_serve_prints_its_address_and_stops_on_ctrl_c(camp: Campaign, base: dict[str, Any]) -> None:
    import http.client

    proc = _serve(camp, base, "--port", "0")
    try:
        line = proc.stdout.readline().strip()  # type: ignore[union-attr]
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=" + TOKEN, line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=10)
        conn.request("GET", f"/?token={TOKEN}")
        answer = conn.getresponse()
        assert answer.status == 303 and "HttpOnly" in answer.getheader("set-cookie", "")
        answer.read()
        conn.request(
            "GET",
            "/api/board",
            headers={"Cookie": answer.getheader("set-cookie", "").split(";")[0]},
        )
        assert json.loads(conn.getresponse().read())["coverage"]["departments"] == N
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "已停止" in err and "Traceback" not in err and TOKEN not in err
    assert "GET /api/board 200" in err


def test_serve_on_another_address_warns_and_a_taken_port_is_a_usage_error(
    camp: Campaign, base: dict[str, Any]
) -> None:
    proc = _serve(camp, base, "--port", "0", "--host", "0.0.0.0", "--portal")
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("http://127.0.0.1:")
        port = int(line.split(":")[2].split("/")[0])
        taken = _serve(camp, base, "--port", str(port))
        _, err = taken.communicate(timeout=30)
        assert taken.returncode == 2 and "端口" in err and "Traceback" not in err
    finally:
        proc.send_signal(signal.SIGTERM)  # as a service manager stops it
        _, err = proc.communicate(timeout=30)
    assert "反向代理" in err and proc.returncode == 0 and "已停止" in err


# --- 20 uploads at once beside a collect -----------------------------------------------


def test_twenty_uploads_at_once_beside_a_collect(tmp_path: Path) -> None:
    """Every file recorded exactly once, and the status what collecting the same files by
    the command line alone gives."""
    import httpx2 as httpx  # the test extra's HTTP client (Starlette's test client uses it too)

    campaign, key = make_campaign(tmp_path / "a", 30)
    files = tmp_path / "files"
    portal_files = {i: filled(campaign, i, files, ok=i % 4 != 0) for i in range(1, 21)}
    cli_files = [filled(campaign, i, files, ok=i % 3 != 0) for i in range(21, 31)]
    cli_files += [portal_files[i] for i in (2, 5, 9, 14, 17)]  # the same bytes both ways
    twin = tmp_path / "b"
    shutil.copytree(campaign.root, twin)
    app = create_app(campaign, token=TOKEN, key=key, portal_pages=True, public_url=PUBLIC)
    links = {x.code: x.url.removeprefix(PUBLIC) for x in portal_links(campaign, PUBLIC, key=key)}
    results: dict[int, int] = {}
    with running(app) as url:

        def upload(i: int) -> None:
            path = links[code_of(i)]
            with httpx.Client(base_url=url, timeout=120) as web:
                token = re.search(r'name="csrf" value="([0-9a-f]+)"', web.get(path).text).group(1)  # type: ignore[union-attr]
                data = portal_files[i].read_bytes()
                r = web.post(
                    path + "/upload",
                    data={"csrf": token},
                    files={"files": (portal_files[i].name, data)},
                )
                results[i] = r.status_code

        threads = [threading.Thread(target=upload, args=(i,)) for i in portal_files]
        cli = threading.Thread(
            target=collect, args=(campaign, [str(p) for p in cli_files]), kwargs={"key": key}
        )
        for t in [cli, *threads]:
            t.start()
        for t in [cli, *threads]:
            t.join(timeout=300)
    assert results == dict.fromkeys(portal_files, 200)
    distinct = {p.read_bytes() for p in [*portal_files.values(), *cli_files]}
    recorded = rows(campaign)
    assert len(recorded) == len(distinct) == 30
    assert len({r.sha256 for r in recorded}) == 30
    assert len(list(campaign.inbox.glob("*.xlsx"))) == 30
    with open_ledger(campaign) as ledger:
        events = ledger.db.execute("SELECT COUNT(*) FROM events WHERE kind='returned'").fetchone()[
            0
        ]
    assert events == 30
    alone = Campaign.open(twin)
    every = [str(p) for p in portal_files.values()] + [str(p) for p in cli_files]
    cli_run = CliRunner().invoke(
        main,
        [
            "collect",
            *every,
            "--campaign",
            str(alone.root),
            "--key-file",
            str(tmp_path / "a" / "issuer.key"),
        ],
    )
    assert cli_run.exit_code == 1, cli_run.output  # some returns are to fix

    def shape(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (d["code"], d["status"], d["returns"], (d["current"] or {}).get("sha256"))
            for d in doc["departments"]
        ]

    web_doc, cli_doc = status_of(campaign), status_of(alone)
    assert shape(web_doc) == shape(cli_doc)
    assert web_doc["counts"] == cli_doc["counts"]


def test_received_times_are_now(camp: Campaign, base: dict[str, Any]) -> None:
    c = client(camp, base["key"])
    path = link_path(camp, base["key"], "D01")
    before = datetime.now(UTC).replace(microsecond=0)
    post_files(c, path + "/upload", [base["files"]["ok1"]], portal_csrf(c, path))
    [row] = rows(camp)
    assert datetime.fromisoformat(row.received_at) >= before
    assert row.received_at_source == "given"
