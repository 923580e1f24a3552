"""Matching you can trust (issue 23): codes are whole tokens, typed full- or half-width;
the form's own header outranks the sender; a stored return can be moved by hand, and a
rebuilt ledger keeps it. Through the library: campaign.init, collect, assign, rebuild."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltool.errors import XltoolError
from xltool.forms.model import FormData
from xltool.forms.write import IssueInfo, write_form
from xltool.keys import load_key
from xltool.round.assign import assign
from xltool.round.campaign import init
from xltool.round.collect import collect
from xltool.round.folder import Campaign
from xltool.round.intake import Item
from xltool.round.matching import Matcher, roster_keys, whole_tokens
from xltool.round.rebuild import open_ledger, rebuild
from xltool.round.status import campaign_status

from .campaign_helpers import fill_openpyxl

ROSTER = [
    ("101", "市财政局", "cz@caizheng.example.cn"),
    ("102", "市教育局", "jy@jiaoyu.example.cn"),
    ("202", "市卫生健康委员会", "wj@weijian.example.cn"),
    ("D01", "市审计局", "sj@shenji.example.cn"),
    ("301", "市民政局", "mz@minzheng.example.cn"),
]
CZ, WJ = ROSTER[0][2], ROSTER[2][2]

# file name → (header fields, sender, expected (code, matched_by)); each form unsigned
UNSIGNED: dict[str, tuple[dict[str, Any], str | None, tuple[str | None, str | None]]] = {
    "2025年市财政局自评表.xlsx": ({}, None, ("101", "file-name")),  # 202 is not in 2025
    "自评表-乙.xlsx": ({"code": "102", "department": "市教育局"}, CZ, ("102", "header")),
    "自评表-全角.xlsx": ({"code": "１０２"}, None, ("102", "header")),
    "２０２-卫健委.xlsx": ({}, None, ("202", "file-name")),
    "D01-市审计局.xlsx": ({}, None, ("D01", "file-name")),
    "AD012汇总.xlsx": ({}, None, (None, None)),  # D01 is not in AD012
    "无题.xlsx": ({}, WJ, ("202", "sender")),
    "表.xlsx": ({"code": "101", "department": "市教育局"}, None, (None, None)),  # disagree
}
SIGNED = "市民政局.xlsx"  # 301's issued form, filled; mailed by 101's contact


def _roster(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["部门编码", "部门名称", "联系人", "电子邮箱"])
    for code, name, email in ROSTER:
        ws.append([code, name, f"{name}联系人", email])
    wb.save(path)
    return path


def _unsigned(path: Path, campaign: Campaign, n: int, header: dict[str, Any]) -> Path:
    """A form of the campaign's kind that xltool did not sign (as `new` makes one)."""
    spec = campaign.spec()
    fields = {"year": 2025, "duties": f"第{n}份表的职责说明。", **header}
    form = FormData(kind=spec.kind, spec_version=spec.version, fields=fields)
    write_form(path, spec, form, info=IssueInfo(key=None))
    return path


def _item(path: Path, sender: str | None) -> Item:
    return Item(path.name, str(path), data=path.read_bytes(), mtime=1_740_000_000, sender=sender)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A campaign of five departments and one collected batch of every kind of evidence."""
    tmp = tmp_path_factory.mktemp("matching")
    key_file = tmp / "issuer.key"
    campaign = init(tmp / "批次", roster=_roster(tmp / "名单.xlsx"), year=2025, key_file=key_file)
    key = load_key(key_file)
    made = tmp / "made"
    made.mkdir()
    items = []
    for n, (name, (header, sender, _)) in enumerate(UNSIGNED.items()):
        items.append(_item(_unsigned(made / name, campaign, n, header), sender))
    issued = next(campaign.issued_dir.glob("301-*.xlsx"))
    items.append(_item(fill_openpyxl(issued, made / SIGNED, 1), CZ))
    outcomes = collect(campaign, [], items=items, key=key, jobs=1, received_at="2025-03-01")
    return {
        "tmp": tmp,
        "campaign": campaign,
        "key": key,
        "key_file": key_file,
        "made": made,
        "outcomes": outcomes,
    }


def _got(outcomes: list[Any]) -> dict[str, tuple[str | None, str | None]]:
    return {o.item.original_name: (o.code, o.matched_by) for o in outcomes}


@pytest.fixture
def copy(base: dict[str, Any], tmp_path: Path) -> Campaign:
    """The collected campaign, copied: each test moves returns in its own."""
    shutil.copytree(base["campaign"].root, tmp_path / "c")
    return Campaign.open(tmp_path / "c")


def _sha(base: dict[str, Any], name: str) -> str:
    return next(o.sha256 for o in base["outcomes"] if o.item.original_name == name)


def _status(campaign: Campaign) -> dict[str, Any]:
    with open_ledger(campaign) as ledger:
        return campaign_status(campaign, ledger).to_json()


def _holder(status: dict[str, Any], sha: str) -> list[str]:
    """The departments whose current return is ``sha``."""
    return [d["code"] for d in status["departments"] if (d["current"] or {}).get("sha256") == sha]


# --- the defects, each in the one batch --------------------------------------------------


def test_every_return_of_the_batch_goes_where_its_evidence_says(base: dict[str, Any]) -> None:
    """Fixing one way disturbs no other: signature, header, sender and file name each
    still decide their own returns."""
    expected = {name: want for name, (_h, _s, want) in UNSIGNED.items()}
    expected[SIGNED] = ("301", "signature")
    assert _got(base["outcomes"]) == expected


def test_a_year_in_the_file_name_is_not_a_department_code(base: dict[str, Any]) -> None:
    got = _got(base["outcomes"])
    assert got["2025年市财政局自评表.xlsx"] == ("101", "file-name")
    assert got["AD012汇总.xlsx"] == (None, None)


def test_the_header_outranks_the_sender(base: dict[str, Any]) -> None:
    got = _got(base["outcomes"])
    assert got["自评表-乙.xlsx"] == ("102", "header")  # mailed by 101's contact
    assert got["无题.xlsx"] == ("202", "sender")  # nothing in the file: the sender decides


def test_a_full_width_code_is_the_same_code(base: dict[str, Any]) -> None:
    got = _got(base["outcomes"])
    assert got["自评表-全角.xlsx"] == ("102", "header")
    assert got["２０２-卫健委.xlsx"] == ("202", "file-name")


def test_a_header_whose_code_and_name_disagree_decides_nothing(base: dict[str, Any]) -> None:
    outcome = next(o for o in base["outcomes"] if o.item.original_name == "表.xlsx")
    assert outcome.code is None and "101 市教育局" in outcome.reason[0]


@pytest.mark.parametrize(
    ("stem", "code"),
    [
        ("2025年市财政局自评表", "101"),
        ("2025年度自评表", None),
        ("自评表（202）", "202"),
        ("d01 市审计局", "D01"),
        ("ＡＤ０１２", None),
        ("D012", None),
        ("１０２ 市 教育局", "102"),
        ("102-市财政局", None),  # code and name name two departments
        ("101_市财政局_v2", "101"),
    ],
)
def test_file_names_name_a_department_by_whole_tokens(
    base: dict[str, Any], stem: str, code: str | None
) -> None:
    with open_ledger(base["campaign"]) as ledger:
        assert Matcher(base["campaign"], ledger).by_file_name(stem) == code


# --- moving a stored return by hand ----------------------------------------------------


def test_assign_moves_a_return_and_rebuild_keeps_it(base: dict[str, Any], copy: Campaign) -> None:
    sha = _sha(base, "无题.xlsx")  # 202's by its sender
    before = _status(copy)
    assert _holder(before, sha) == ["202"]
    done = assign(copy, sha[:8], "１０１")  # a full-width target is the same code
    assert (done.code, done.matched_by, done.previous, done.moved) == ("101", "hand", "202", True)
    moved = _status(copy)
    assert _holder(moved, sha) == ["101"]
    d202 = next(d for d in moved["departments"] if d["code"] == "202")
    assert d202["returns"] == 1  # only ２０２-卫健委.xlsx is left
    unchanged = [d for d in moved["departments"] if d["code"] not in ("101", "202")]
    assert unchanged == [d for d in before["departments"] if d["code"] not in ("101", "202")]
    kept = json.loads((copy.root / "assignments.json").read_text(encoding="utf-8"))
    assert [m["code"] for m in kept[sha]] == ["101"]
    with sqlite3.connect(copy.ledger_path) as db:
        events = db.execute("SELECT code, detail FROM events WHERE kind='assigned'").fetchall()
    assert [(c, json.loads(d)["from"]) for c, d in events] == [("101", "202")]
    rebuild(copy, base["key"])
    assert _status(copy) == moved


def test_assign_by_stored_file_name_and_an_unmatched_return(
    base: dict[str, Any], copy: Campaign
) -> None:
    sha = _sha(base, "AD012汇总.xlsx")
    stored = next(o.stored for o in base["outcomes"] if o.sha256 == sha)
    assert sha in [u["sha256"] for u in _status(copy)["unmatched"]]
    done = assign(copy, str(copy.inbox / stored), "D01")
    assert (done.code, done.previous) == ("D01", None)
    after = _status(copy)
    assert sha not in [u["sha256"] for u in after["unmatched"]]
    assert _holder(after, sha) == ["D01"]  # hand outranks D01's file-name return
    rebuild(copy, base["key"])
    assert _status(copy) == after


def test_a_signature_still_wins_over_a_hand_assignment(
    base: dict[str, Any], copy: Campaign
) -> None:
    before = _status(copy)
    done = assign(copy, _sha(base, SIGNED), "101")
    assert (done.code, done.matched_by, done.moved) == ("301", "signature", False)
    assert "签名表明此表发放给 301" in done.notes[0][0]
    assert _status(copy) == before
    assert not (copy.root / "assignments.json").exists()


def test_assign_refuses_unknown_forms_codes_and_returns(
    base: dict[str, Any], copy: Campaign
) -> None:
    sha = _sha(base, "无题.xlsx")
    with pytest.raises(XltoolError, match="the form '202/P01' is not in this campaign"):
        assign(copy, sha, "202/P01")  # this round has no project forms
    with pytest.raises(XltoolError, match="not in this campaign"):
        assign(copy, sha, "999")
    with pytest.raises(XltoolError, match="no stored return"):
        assign(copy, sha[:7], "101")  # under 8 hex digits
    with pytest.raises(XltoolError, match="no stored return"):
        assign(copy, "0" * 63 + "g", "101")


def test_collect_with_a_department_moves_a_return_stored_before(
    base: dict[str, Any], copy: Campaign
) -> None:
    path = base["made"] / "2025年市财政局自评表.xlsx"  # 101's by its file name
    sha = _sha(base, path.name)
    again = collect(copy, [str(path)], assigned="202", key=base["key"], jobs=1)
    assert [(o.code, o.matched_by, o.new) for o in again] == [("202", "hand", False)]
    assert "原为 101" in again[0].notes[0][0]
    moved = _status(copy)
    assert _holder(moved, sha) == ["202"]
    twice = collect(copy, [str(path)], assigned="202", key=base["key"], jobs=1)
    assert twice[0].notes == []  # already there: nothing moves, no second event
    with sqlite3.connect(copy.ledger_path) as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE kind='assigned'").fetchone()[0] == 1
    copy.ledger_path.unlink()  # the folder alone
    rebuild(copy, base["key"])
    assert _status(copy) == moved


def test_campaign_assign_on_the_command_line(base: dict[str, Any], copy: Campaign) -> None:
    from click.testing import CliRunner

    from xltool.cli import main

    sha = _sha(base, "无题.xlsx")
    args = ["campaign", "assign", sha[:10], "101", "--campaign", str(copy.root)]
    result = CliRunner().invoke(main, [*args, "--key-file", str(base["key_file"])])
    assert result.exit_code == 0, result.output
    assert "202 → 101" in result.output
    assert _holder(_status(copy), sha) == ["101"]
    again = CliRunner().invoke(
        main, ["campaign", "assign", sha[:10], "999", "--campaign", str(copy.root)]
    )
    assert again.exit_code == 2 and "Traceback" not in again.output


@settings(max_examples=300, deadline=None)
@given(
    keys=st.sets(st.text(alphabet="0123d-局部门", min_size=1, max_size=4), max_size=6),
    text=st.text(alphabet="0123d-局部门_ ", max_size=24),
)
def test_whole_tokens_finds_what_the_boundary_pattern_finds(keys: set[str], text: str) -> None:
    """The scan that replaced a compiled pattern per code finds exactly the same keys."""
    by_pattern = {k for k in keys if re.search(rf"(?<![0-9a-z]){re.escape(k)}(?![0-9a-z])", text)}
    assert whole_tokens(keys, text) == by_pattern


def test_the_roster_kept_for_matching_follows_departments_json(copy: Campaign) -> None:
    """A server keeps the roster's keys between uploads; a department added, or a name
    changed to one of the same length, is matched at once all the same."""
    roster = copy.root / "departments.json"
    os.utime(roster, (time.time() - 60, time.time() - 60))  # as a server finds it, settled
    before = roster_keys(copy)
    assert before.codes["101"] == "101" and roster_keys(copy) is before
    docs = copy.departments()
    docs[0]["department"] = "市财务局"  # same length, same file size
    docs.append({**docs[1], "code": "401", "department": "市新设局", "emails": []})
    copy.save_departments(docs)
    after = roster_keys(copy)
    assert after.codes["401"] == "401" and after.names["市财务局"] == "101"
    assert "市财政局" not in after.names
    # a change its stamp cannot show (same inode and size, a time within the same coarse
    # tick): the file changed moments ago, so nothing made from it was kept
    st = roster.stat()
    roster.write_text(roster.read_text(encoding="utf-8").replace("市财务局", "市统计局"), "utf-8")
    os.utime(roster, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert roster_keys(copy).names["市统计局"] == "101"
    os.utime(roster, (time.time() - 30, time.time() - 30))
    settled = roster_keys(copy)  # the changed file, kept from now on
    assert settled.codes["401"] == "401" and roster_keys(copy) is settled
    assert "市统计局" in settled.names
    with open_ledger(copy) as ledger:
        assert Matcher(copy, ledger).by_file_name("401 自评表") == "401"
