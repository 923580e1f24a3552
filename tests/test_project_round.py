"""The whole round (issue 20): 12 departments and 60 projects (some departments with none,
one with 25) in one campaign, through the library and the command line: issued counts, a
message per department (zipped past the limit), returns in every shape, status per form
and per department, reminders naming exactly the owed forms, the 项目 roll-up recomputed
by LibreOffice, and a rebuilt ledger giving the same status."""

from __future__ import annotations

import email
import json
import shutil
import zipfile
from email import policy
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from xltool.cli import main
from xltool.keys import load_key
from xltool.round.campaign import exempt, init
from xltool.round.collect import collect
from xltool.round.folder import Campaign
from xltool.round.rebuild import open_ledger, rebuild
from xltool.round.status import campaign_status

from .campaign_helpers import code_of, fill_openpyxl, write_indicators, write_roster
from .project_round import (
    LONG_CODE,
    fill_project,
    projects_of,
    unsigned_department,
    unsigned_project,
    write_project_indicators,
    write_projects,
    zip_of,
)

N = 12
MAIL = {"from": {"name": "市财政局绩效科", "address": "jxk@czj.example.cn"}}


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("project-round")
    projects = projects_of(N)
    key_file = tmp / "issuer.key"
    campaign = init(
        tmp / "全覆盖",
        roster=write_roster(tmp / "名单.xlsx", N),
        indicators=write_indicators(tmp / "指标.xlsx", N),
        projects=write_projects(tmp / "项目清单.xlsx", projects),
        project_indicators=write_project_indicators(tmp / "项目指标.xlsx"),
        year=2025,
        deadline=None,
        key_file=key_file,
    )
    import yaml

    campaign.config["mail"] = MAIL
    text = yaml.safe_dump(campaign.config, allow_unicode=True, sort_keys=False)
    (campaign.root / "campaign.yaml").write_text(text, encoding="utf-8")
    return {"tmp": tmp, "campaign": Campaign.open(campaign.root), "projects": projects,
            "key": load_key(key_file), "key_file": key_file}  # fmt: skip


def _issued(c: Campaign, form: str) -> Path:
    for sidecar in c.issued_dir.rglob("*.json"):
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
        if doc.get("form") == form:
            return c.issued_dir / doc["file"]
    raise AssertionError(form)


def test_every_form_is_issued_signed_in_its_departments_folder(issued: dict[str, Any]) -> None:
    c = issued["campaign"]
    workbooks = sorted(c.issued_dir.rglob("*.xlsx"))
    assert len(workbooks) == N + 60
    assert len([p for p in c.issued_dir.iterdir() if p.is_dir()]) == N
    d01 = c.issued_dir / "D01-第1局"
    assert len(list(d01.glob("*.xlsx"))) == 26
    assert (d01 / f"{LONG_CODE}-第1局项目01.xlsx").is_file()  # the 22 digits kept as text
    assert len(c.forms()) == N + 60
    sidecar = json.loads((d01 / f"{LONG_CODE}-第1局项目01.json").read_text(encoding="utf-8"))
    assert (sidecar["form"], sidecar["kind"], sidecar["project_code"]) == (
        f"D01/{LONG_CODE}", "project", LONG_CODE,
    )  # fmt: skip
    from xltool.checking.verify import verify_file

    result = verify_file(d01 / f"{LONG_CODE}-第1局项目01.xlsx", key=issued["key"])
    assert result.signature == "valid-hmac" and result.issued_code == LONG_CODE
    assert result.data["fields"]["department_code"] == "D01"


def test_send_writes_one_message_per_department_zipped_past_ten(
    issued: dict[str, Any], tmp_path: Path
) -> None:
    c = issued["campaign"]
    result = CliRunner().invoke(
        main, ["send", "--drafts", str(tmp_path), "--campaign", str(c.root)]
    )
    assert result.exit_code == 0, result.output
    drafts = sorted(tmp_path.glob("*.eml"))
    assert len(drafts) == N
    by_code = {d.name.split("-")[0]: d for d in drafts}
    d01 = email.message_from_bytes(by_code["D01"].read_bytes(), policy=policy.default)
    [zipped] = list(d01.iter_attachments())
    assert zipped.get_filename() == "D01-第1局-自评表.zip"
    with zipfile.ZipFile(__import__("io").BytesIO(zipped.get_content())) as zf:
        assert len(zf.infolist()) == 26
        assert all(info.flag_bits & 0x800 for info in zf.infolist())  # UTF-8 names
    body = d01.get_body().get_content()
    assert "26 张表" in body and "第1局项目25" in body
    d02 = email.message_from_bytes(by_code["D02"].read_bytes(), policy=policy.default)
    names = sorted(a.get_filename() for a in d02.iter_attachments())
    assert len(names) == 6 and "D02-第2局.xlsx" in names and "P0201-第2局项目01.xlsx" in names
    d09 = email.message_from_bytes(by_code["D09"].read_bytes(), policy=policy.default)
    assert [a.get_filename() for a in d09.iter_attachments()] == ["D09-第9局.xlsx"]


@pytest.fixture(scope="module")
def collected(issued: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Returns in every shape, collected in two runs (the second a corrected copy)."""
    tmp = tmp_path_factory.mktemp("returns")
    c = issued["campaign"]
    work = tmp / "work"
    shutil.copytree(c.root, work)
    c = Campaign.open(work)
    first, second = tmp / "first", tmp / "second"
    first.mkdir()
    second.mkdir()
    # D02: every form, signed and filled
    fill_openpyxl(_issued(c, "D02"), first / "D02-第2局-填好.xlsx", 2)
    for k in range(1, 6):
        fill_project(_issued(c, f"D02/P02{k:02d}"), first / f"D02-项目{k}.xlsx")
    # D03: a project form without its signature, known by the header's 项目编码
    unsigned_project(_issued(c, "D03/P0301"), first / "无签名.xlsx")
    # a project code the round does not have: unmatched, credited to no project
    unsigned_project(
        _issued(c, "D03/P0302"), first / "错误编码.xlsx",
        header={"project_code": "P9999", "project_name": "不存在的项目"},
    )  # fmt: skip
    # D04: its department form typed again (unsigned) under a project's file name: its own
    unsigned_department(_issued(c, "D04"), first / "P0401-第4局项目01.xlsx", 4)
    # D01: a zip of 20 signed project forms
    forms = [f"D01/{code}" for code, _ in issued["projects"]["D01"][:20]]
    filled = [fill_project(_issued(c, f), tmp / f"z{n:02d}.xlsx") for n, f in enumerate(forms)]
    (first / "第1局-项目表.zip").write_bytes(zip_of(filled))
    # D05: a project form to fix, then its corrected copy
    fill_project(_issued(c, "D05/P0501"), first / "D05-P0501.xlsx", executed=None)
    fill_project(_issued(c, "D05/P0501"), second / "D05-P0501-改.xlsx")
    runs = [
        collect(c, [str(first)], received_at="2025-03-02", key=issued["key"]),
        collect(c, [str(second)], received_at="2025-03-05", key=issued["key"]),
    ]
    return {"campaign": c, "runs": runs, "forms": forms, "tmp": tmp}


def _status(c: Campaign) -> dict[str, Any]:
    with open_ledger(c) as ledger:
        return campaign_status(c, ledger).to_json("zh")


def test_each_return_is_credited_to_its_own_form(collected: dict[str, Any]) -> None:
    first, second = collected["runs"]
    by_input = {Path(o.item.source).name: o for o in first}
    assert by_input["无签名.xlsx"].form == "D03/P0301"
    assert by_input["无签名.xlsx"].matched_by == "header"
    wrong = by_input["错误编码.xlsx"]
    assert wrong.form is None and wrong.kind == "unmatched"
    d04 = by_input["P0401-第4局项目01.xlsx"]
    assert (d04.form, d04.matched_by) == ("D04", "header")  # never credited to P0401
    zipped = [o for o in first if "第1局-项目表.zip" in o.item.source]
    assert sorted(o.form for o in zipped) == sorted(collected["forms"])
    assert all(o.matched_by == "signature" and o.status == "ok" for o in zipped)
    assert by_input["D05-P0501.xlsx"].status == "invalid"
    assert [(o.form, o.status) for o in second] == [("D05/P0501", "ok")]


def test_status_per_form_and_per_department(collected: dict[str, Any]) -> None:
    st = _status(collected["campaign"])
    depts = {d["code"]: d for d in st["departments"]}
    expected = {
        "D01": ("missing", 20, 26), "D02": ("passed", 6, 6), "D03": ("missing", 1, 6),
        "D04": ("missing", 1, 6), "D05": ("missing", 1, 6), "D06": ("missing", 0, 6),
    }  # fmt: skip
    expected.update({code_of(i): ("missing", 0, 1) for i in range(9, N + 1)})
    for code, (status, passed, total) in expected.items():
        d = depts[code]
        assert (d["status"], d["forms_passed"], d["forms_total"]) == (status, passed, total), code
    d05 = {f["form"]: f for f in depts["D05"]["forms"]}
    assert d05["D05/P0501"]["returns"] == 2 and d05["D05/P0501"]["status"] == "passed"
    assert d05["D05/P0502"]["status"] == "missing" and d05["D05"]["status"] == "missing"
    assert st["coverage"]["project"] == {"total": 60, "passed": 27, "exempt": 0, "ratio": 0.45}
    assert st["coverage"]["dept-overall"]["passed"] == 2
    assert [u["file"] for u in st["unmatched"]] == [
        next(o.stored for o in collected["runs"][0] if o.item.source.endswith("错误编码.xlsx"))
    ]


def test_one_department_and_exempt_forms(collected: dict[str, Any]) -> None:
    c = collected["campaign"]
    exempt(c, "D06/P0601", "年中撤销")
    st = _status(c)
    d06 = next(d for d in st["departments"] if d["code"] == "D06")
    forms = {f["form"]: f for f in d06["forms"]}
    assert forms["D06/P0601"]["status"] == "exempt"
    assert forms["D06/P0601"]["exempt_reason"] == "年中撤销"
    assert d06["forms_total"] == 5 and st["coverage"]["project"]["exempt"] == 1
    shown = CliRunner().invoke(main, ["status", "--department", "D06", "--campaign", str(c.root)])
    assert shown.exit_code == 0, shown.output
    assert "P0601" in shown.output and "免报" in shown.output


def test_reminders_name_exactly_the_owed_forms(collected: dict[str, Any], tmp_path: Path) -> None:
    c = collected["campaign"]
    exempt(c, "D06/P0601", "年中撤销")  # as the test above did (the same either way)
    args = ["remind", "--drafts", str(tmp_path), "--campaign", str(c.root), "--attach"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    drafts = {d.name.split("-")[0]: d for d in tmp_path.glob("*.eml")}
    assert "D02" not in drafts  # everything passed
    d03 = email.message_from_bytes(drafts["D03"].read_bytes(), policy=policy.default)
    body = d03.get_body().get_content()
    owed = ["部门整体支出绩效自评表", "P0302", "P0303", "P0304", "P0305"]
    assert all(label in body for label in owed), body
    assert "P0301" not in body  # passed: not named
    attached = sorted(a.get_filename() for a in d03.iter_attachments())
    assert len(attached) == 5 and not any("P0301" in a for a in attached)
    d06 = email.message_from_bytes(drafts["D06"].read_bytes(), policy=policy.default)
    assert "P0601" not in d06.get_body().get_content()  # exempt: never reminded


def test_rebuild_gives_the_same_status(
    collected: dict[str, Any], issued: dict[str, Any], tmp_path: Path
) -> None:
    c = collected["campaign"]
    before = _status(c)
    copy = tmp_path / "copy"
    shutil.copytree(c.root, copy)
    (copy / "ledger.sqlite").unlink()
    moved = Campaign.open(copy)
    rebuild(moved, issued["key"])
    after = _status(moved)
    for doc in (before, after):
        doc["campaign"].pop("folder")
        for d in doc["departments"]:
            d.pop("issued_at")
    assert after == before


@pytest.mark.libreoffice
def test_the_project_roll_up_recalculates_to_pythons_figures(
    collected: dict[str, Any], issued: dict[str, Any], tmp_path: Path
) -> None:
    from .libreoffice import recalc_convert

    c = collected["campaign"]
    out = tmp_path / "汇总.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "summary",
            "-o",
            str(out),
            "--campaign",
            str(c.root),
            "--key-file",
            str(issued["key_file"]),
        ],
    )
    assert result.exit_code == 0, result.output
    python = openpyxl.load_workbook(out, data_only=True)
    assert {"项目", "覆盖", "项目分布"} <= set(python.sheetnames)
    recalculated = openpyxl.load_workbook(recalc_convert(out, tmp_path / "lo"), data_only=True)
    ours, theirs = python["项目"], recalculated["项目"]
    subtotal_rows = [
        r for r in range(2, ours.max_row + 1) if "小计" in str(ours.cell(r, 1).value or "")
    ]
    total_row = ours.max_row
    assert len(subtotal_rows) == 8 and ours.cell(total_row, 1).value.startswith("合计")
    for r in [*subtotal_rows, total_row]:
        for col in (3, 5, 6, 7, 8, 9):
            a, b = ours.cell(r, col).value, theirs.cell(r, col).value
            assert (a in (None, "") and b in (None, "")) or abs(float(a) - float(b)) < 1e-6, (
                r,
                col,
                a,
                b,
            )
    assert ours.cell(total_row, 3).value == 60  # SUBTOTAL counts projects, not subtotal rows
    d02 = next(r for r in subtotal_rows if ours.cell(r, 1).value.startswith("D02"))
    assert ours.cell(d02, 6).value == pytest.approx(12 * (1 + 2 + 3 + 4 + 5))


def test_messages_carry_the_department_link_when_the_round_has_a_public_address(
    issued: dict[str, Any], tmp_path: Path
) -> None:
    from xltool.round.portal import check_link, public_url

    copy = tmp_path / "round"
    shutil.copytree(issued["campaign"].root, copy)
    c = Campaign.open(copy)
    public_url(c, "https://jx.example.gov.cn")  # as `xltool serve --public-url` keeps it
    drafts = tmp_path / "drafts"
    args = ["send", "--only", "D03", "--drafts", str(drafts), "--campaign", str(copy)]
    env = {"XLTOOL_KEY_FILE": str(issued["key_file"])}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    [draft] = drafts.glob("*.eml")
    body = email.message_from_bytes(draft.read_bytes(), policy=policy.default).get_body()
    link = next(
        w for w in body.get_content().split() if w.startswith("https://jx.example.gov.cn/d/")
    )
    assert check_link(c, issued["key"], link.rsplit("/", 1)[1]) == "D03"


@pytest.mark.parametrize("delay", [0.5, 1.5])
def test_collect_of_the_round_killed_mid_run_ends_as_one_clean_run(
    issued: dict[str, Any], collected: dict[str, Any], tmp_path: Path, delay: float
) -> None:
    """SIGKILL while the first batch (the zip of 20 project forms and the rest) is taken
    in, then both batches again: the same status as the clean run above."""
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "round"
    shutil.copytree(issued["campaign"].root, folder)
    first, second = collected["tmp"] / "first", collected["tmp"] / "second"

    def collect_cli(path: Path, when: str) -> list[str]:
        return [sys.executable, "-m", "xltool", "collect", str(path), "--received-at", when,
                "--campaign", str(folder), "--key-file", str(issued["key_file"])]  # fmt: skip

    proc = subprocess.Popen(
        collect_cli(first, "2025-03-02"), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for path, when in ((first, "2025-03-02"), (second, "2025-03-05")):
        again = subprocess.run(collect_cli(path, when), capture_output=True, text=True, timeout=300)
        assert again.returncode in (0, 1), again.stderr
    clean, killed = _status(collected["campaign"]), _status(Campaign.open(folder))
    assert _per_form(killed) == _per_form(clean)
    assert len(killed["unmatched"]) == len(clean["unmatched"]) == 1


def _per_form(doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Each form's status, number of returns and current return's verdict (the one form
    the tests above exempted aside)."""
    return {
        f["form"]: (f["status"], f["returns"], (f["current"] or {}).get("status"))
        for d in doc["departments"]
        for f in d["forms"]
        if f["form"] != "D06/P0601"
    }


def test_the_roll_up_takes_what_collect_found_and_verifies_only_the_rest(
    collected: dict[str, Any], issued: dict[str, Any], tmp_path: Path
) -> None:
    from xltool.render.rollup import roll_up_campaign

    folder = tmp_path / "round"
    shutil.copytree(collected["campaign"].root, folder)
    c = Campaign.open(folder)
    kept = sorted((folder / "results").glob("*.json"))
    assert len(kept) == len(list((folder / "inbox").glob("*.xlsx")))  # one per return
    calls: list[int] = []

    def counting(n: int) -> Any:
        calls.append(n)
        from contextlib import nullcontext

        return nullcontext(lambda _r: None)

    with_cache = roll_up_campaign(c, tmp_path / "a.xlsx", key=issued["key"], progress=counting)
    assert calls == []  # nothing verified again
    shutil.rmtree(folder / "results")
    fresh = roll_up_campaign(c, tmp_path / "b.xlsx", key=issued["key"], progress=counting)
    assert calls and calls[0] > 0
    a, b = (openpyxl.load_workbook(p, data_only=True) for p in (with_cache, fresh))
    for name in ("汇总", "项目", "覆盖"):
        rows_a = [r for r in a[name].iter_rows(values_only=True)]
        rows_b = [r for r in b[name].iter_rows(values_only=True)]
        assert rows_a == rows_b, name
