"""A whole round: a campaign of 30 departments, returns filled in a real LibreOffice,
collected from folders and a zip, matched, verified, reported and rolled up."""

from __future__ import annotations

import json
import shutil
import zipfile
from typing import Any

import openpyxl
import pytest

from .campaign_helpers import code_of, fill, name_of, run_cli, write_indicators, write_roster
from .conftest import SAMPLES
from .libreoffice import needs_uno, recalc_convert, uno_batch

N = 30
pytestmark = [pytest.mark.libreoffice, needs_uno]


@pytest.fixture(scope="module")
def round_(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("round")
    key = tmp / "issuer.key"
    roster = write_roster(tmp / "名单.xlsx", N)
    indicators = write_indicators(tmp / "指标.xlsx", N)
    folder = tmp / "2025自评"
    out = run_cli(
        "campaign", "init", str(folder), "--roster", str(roster), "--indicators", str(indicators),
        "--year", "2025", "--deadline", "2025-03-31", "--key-file", str(key),
    )  # fmt: skip
    assert "30 个部门" in out.output
    issued = {
        code_of(i): next((folder / "issued").glob(f"{code_of(i)}-*.xlsx")) for i in range(1, N + 1)
    }

    made = tmp / "made"
    made.mkdir()

    def job(i: int, dst: str, **kwargs: Any) -> dict[str, Any]:
        flt = "MS Excel 97" if dst.endswith(".xls") else None
        return {
            "src": str(issued[code_of(i)]),
            "dst": str(made / dst),
            "actions": fill(issued[code_of(i)], i, **kwargs),
            "filter": flt,
        }

    jobs = [job(i, f"{code_of(i)}-{name_of(i)}.xlsx") for i in range(1, 17)]
    jobs += [
        job(17, "D17-第17局.xlsx", reason=False),  # an error: a score below points, no reason
        job(18, "D18-第18局.xlsx"),
        job(19, "D19-第一次.xlsx", reason=False),  # to fix …
        job(19, "D19-第19局-改.xlsx"),  # … and corrected later
        job(20, "D20-第20局.xlsx", code="D21"),  # typed another department's code
        job(21, "D21-第21局.xlsx"),
        job(22, "D22-第22局.xls"),  # re-saved as .xls
        job(24, "D24-第24局.xlsx"),  # after the deadline
    ]
    values = uno_batch(jobs)
    assert len(values) == len(jobs)

    batch1 = tmp / "第一批"
    batch1.mkdir()
    with zipfile.ZipFile(tmp / "三个部门.zip", "w") as zf:
        for i in (1, 2, 3):
            zf.write(made / f"{code_of(i)}-{name_of(i)}.xlsx", f"{code_of(i)}.xlsx")
    for name in [f"{code_of(i)}-{name_of(i)}.xlsx" for i in range(4, 19)] + [
        "D19-第一次.xlsx", "D20-第20局.xlsx", "D21-第21局.xlsx", "D22-第22局.xls",
    ]:  # fmt: skip
        shutil.copyfile(made / name, batch1 / name)
    other = tmp / "其他单位.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["单位", "金额"])
    wb.save(other)
    hand = tmp / "手工录入.xlsx"
    shutil.copyfile(SAMPLES / "yuelu-commerce-2019.xlsx", hand)

    c = ["--campaign", str(folder), "--key-file", str(key)]
    results = {
        "zip": run_cli("collect", str(tmp / "三个部门.zip"), "--received-at", "2025-03-05", *c),
        "batch1": run_cli("collect", str(batch1), "--received-at", "2025-03-10", *c, code=1),
        "fixed": run_cli(
            "collect", str(made / "D19-第19局-改.xlsx"), "--received-at", "2025-03-20", *c
        ),
        "late": run_cli(
            "collect", str(made / "D24-第24局.xlsx"), "--received-at", "2025-04-02T09:30", *c
        ),
        "other": run_cli("collect", str(other), "--received-at", "2025-03-15", *c, code=1),
        "hand": run_cli(
            "collect", str(hand), "--department", "D25", "--received-at", "2025-03-15", *c
        ),
        "again": run_cli("collect", str(batch1), *c),  # the same bytes: nothing new, exit 0
    }
    run_cli("campaign", "exempt", "D23", "--reason", "机构已撤并", "--campaign", str(folder))
    status = json.loads(run_cli("status", "--format", "json", "--campaign", str(folder)).output)
    return {
        "folder": folder,
        "key": key,
        "tmp": tmp,
        "status": status,
        "collect": results,
        "values": values,
    }


def _dept(status: dict[str, Any], code: str) -> dict[str, Any]:
    return next(d for d in status["departments"] if d["code"] == code)


def test_every_department_has_its_expected_status(round_: dict[str, Any]) -> None:
    st = round_["status"]
    expected = {code_of(i): "passed" for i in range(1, N + 1)}
    expected.update(D17="to-fix", D22="to-fix", D23="exempt")
    expected.update({code_of(i): "overdue" for i in range(26, 31)})  # never returned
    got = {d["code"]: d["status"] for d in st["departments"]}
    assert got == expected
    assert st["counts"] == {"missing": 0, "overdue": 5, "to-fix": 2, "passed": 22, "exempt": 1}
    d01 = _dept(st, "D01")
    assert d01["contact"] == "联系人1" and d01["email"] == [
        "d1@dept.example.cn",
        "office1@dept.example.cn",
    ]


def test_matched_by_and_late(round_: dict[str, Any]) -> None:
    st = round_["status"]
    by = {d["code"]: (d["current"] or {}).get("matched_by") for d in st["departments"]}
    assert all(by[code_of(i)] == "signature" for i in (*range(1, 22), 24))
    assert by["D22"] == "file-name" and by["D25"] == "hand"
    late = {d["code"] for d in st["departments"] if d["current"] and d["current"]["late"]}
    assert late == {"D24"}
    assert _dept(st, "D24")["current"]["received_at"].startswith(
        "2025-04-02T01:30"
    )  # 09:30 in Shanghai


def test_a_corrected_return_is_the_current_one(round_: dict[str, Any]) -> None:
    d19 = _dept(round_["status"], "D19")
    assert d19["returns"] == 2 and d19["current"]["status"] == "ok"
    assert d19["last_passed"]["sha256"] == d19["current"]["sha256"]


def test_another_departments_code_displaces_nothing(round_: dict[str, Any]) -> None:
    st = round_["status"]
    d20, d21 = _dept(st, "D20"), _dept(st, "D21")
    assert d20["returns"] == 1 and d21["returns"] == 1
    assert d21["current"]["status"] == "ok" and d20["current"]["warnings"] >= 1  # issued-elsewhere


def test_unmatched_and_legacy_files_are_kept(round_: dict[str, Any]) -> None:
    st = round_["status"]
    assert [u["file"].split("-", 1)[1] for u in st["unmatched"]] == ["其他单位.xlsx"]
    d22 = _dept(st, "D22")
    assert d22["current"]["status"] == "unreadable" or d22["current"]["errors"] >= 1
    inbox = round_["folder"] / "inbox"
    assert any(p.suffix == ".xls" for p in inbox.iterdir())


def test_collect_says_what_it_did_per_input(round_: dict[str, Any]) -> None:
    out = round_["collect"]
    assert out["zip"].output.count("（按签名）：通过") == 3
    assert "D17 第17局（按签名）：待修改" in out["batch1"].output
    assert "未匹配到部门" in out["other"].output
    assert "D25 第25局（按手工指定）" in out["hand"].output
    assert out["again"].output.count("此前已收到") == 19


def test_annotated_copies_for_returns_with_findings(round_: dict[str, Any]) -> None:
    copies = {p.name for p in (round_["folder"] / "annotated").iterdir()}
    assert any("D17" in n for n in copies) and any("D19-第一次" in n for n in copies)
    assert not any("D01" in n for n in copies)


def test_summary_rolls_up_the_current_returns_and_libreoffice_agrees(
    round_: dict[str, Any],
) -> None:
    folder, key = round_["folder"], round_["key"]
    run_cli("summary", "--campaign", str(folder), "--key-file", str(key))
    path = folder / "汇总.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["汇总"]
    rows = {ws.cell(r, 2).value: r for r in range(2, 2 + N)}
    assert [ws.cell(r, 2).value for r in range(2, 2 + N)] == sorted(
        code_of(i) for i in range(1, N + 1)
    )
    for i in range(26, 31):
        assert ws.cell(rows[code_of(i)], 10).value == "逾期未报送"
    assert ws.cell(rows["D17"], 10).value == "待修改" and ws.cell(rows["D17"], 9).value is None
    assert ws.cell(rows["D23"], 10).value == "免报"
    total = 2 + N
    assert ws.cell(total, 1).value.startswith("合计")
    passed = [r for r in rows.values() if ws.cell(r, 10).value == "通过"]
    expected = {col: sum(ws.cell(r, col).value or 0 for r in passed) for col in (4, 5, 6)}
    assert ws.cell(rows["D17"], 6).value > 0  # it has figures, and they are left out
    lo = openpyxl.load_workbook(recalc_convert(path, round_["tmp"] / "lo"), data_only=True)["汇总"]
    for col, value in expected.items():
        assert lo.cell(total, col).value == pytest.approx(value)
    assert lo.cell(total, 7).value == pytest.approx(expected[6] / expected[5])
    scores = [ws.cell(r, 8).value for r in passed]
    assert lo.cell(total, 8).value == pytest.approx(sum(scores) / len(scores))


def test_status_as_csv_and_xlsx(round_: dict[str, Any]) -> None:
    folder = round_["folder"]
    csv_out = round_["tmp"] / "status.csv"
    run_cli("status", "--format", "csv", "-o", str(csv_out), "--campaign", str(folder))
    raw = csv_out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "逾期未报送" in raw.decode("utf-8-sig")
    run_cli("status", "--format", "xlsx", "--campaign", str(folder))
    ws = openpyxl.load_workbook(folder / "报送进度.xlsx")["报送进度"]
    assert ws["A4"].value == "部门编码" and ws.max_row == 4 + N
    # one A4 landscape page wide (fitToWidth 1 is the default XlsxWriter leaves out)
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
