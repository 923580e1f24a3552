"""What the issuer set stays evidence: tampering a filer could do, in openpyxl and in
LibreOffice, each caught with its cell; an honest fill gives none of it."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltool.checking.verify import verify_file, verify_paths
from xltool.cli import main
from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.write import IssueInfo, write_form
from xltool.keys import init_key, load_key

from .conftest import SEED_DATA
from .libreoffice import needs_uno, uno_edit

EVIDENCE = {
    "prefill-altered",
    "indicator-removed",
    "indicator-added",
    "signature-invalid",
    "signature-absent",
    "signature-unverified",
    "issued-elsewhere",
    "duplicate-return",
}
SPEC = load_builtin("dept-overall")


def issued_form(department: str = "岳麓区商务局", key: bytes | None = None) -> FormData:
    """The issuer's form: header, budget and indicators (names, targets, points) only."""
    seed = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    fields = {
        "department": department,
        "code": "101",
        "year": 2019,
        "fund_current_adjusted": 4325.58,
    }
    rows = [
        {k: r[k] for k in ("level1", "level2", "name", "target", "points")}
        for r in seed["indicators"]
    ]
    return FormData(fields=fields, indicators=rows)


def issue(path: Path, key: bytes | None, department: str = "岳麓区商务局") -> Path:
    write_form(
        path,
        SPEC,
        issued_form(department),
        info=IssueInfo(key=key, prefill_keys=("fund_current_adjusted",)),
    )
    return path


def fill_honestly(path: Path) -> None:
    """The department fills its columns and leaves the issuer's alone (as openpyxl edits)."""
    seed = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(path)
    ws = wb["自评表"]
    for name in ("duties", "staff_quota", "staff_actual", "goal_expected", "goal_actual"):
        cell = _named(wb, name)
        cell.value = seed["fields"][name]
    for name in (
        "fund_current_initial",
        "fund_current_executed",
        "fund_carryover_initial",
        "fund_carryover_adjusted",
        "fund_carryover_executed",
    ):
        _named(wb, name).value = seed["fields"][name]
    first = _named(wb, "indicators").row
    r = first
    for row in seed["indicators"]:
        while ws.cell(r, 4).value != row["name"]:
            r += 1
        ws.cell(r, 6).value = row["actual"]
        ws.cell(r, 8).value = row["score"]
        ws.cell(r, 9).value = row["reason"]
    wb.save(path)


def _named(wb, name):
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][ref.replace("$", "").split(":")[0]]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("key") / "issuer.key"
    init_key(path)
    loaded = load_key(path)
    assert loaded is not None
    return loaded


@pytest.fixture
def honest(tmp_path: Path, key: bytes) -> Path:
    path = issue(tmp_path / "101-岳麓区商务局.xlsx", key)
    fill_honestly(path)
    return path


def evidence(path: Path, key: bytes | None) -> list[tuple[str, str | None]]:
    return sorted(
        (f.code, f.cell) for f in verify_file(path, key=key).findings if f.code in EVIDENCE
    )


def test_an_honest_fill_gives_no_evidence_finding(honest: Path, key: bytes) -> None:
    result = verify_file(honest, key=key)
    assert result.signature == "valid-hmac"
    assert [f.code for f in result.findings] == [], [f.message("en") for f in result.findings]
    assert result.totals["score"] == 98.5


def _tamper(path: Path, **cells: object) -> Path:
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb["自评表"][ref] = value
    wb.save(path)
    return path


def test_a_lowered_target_is_caught_at_its_cell(honest: Path, key: bytes) -> None:
    _tamper(honest, E13="社会零售总额增长5%以上")
    assert evidence(honest, key) == [("prefill-altered", "E13")]
    finding = next(f for f in verify_file(honest, key=key).findings if f.code == "prefill-altered")
    assert (
        finding.expected == "社会零售总额增长10%以上" and finding.found == "社会零售总额增长5%以上"
    )


def test_raised_and_moved_points_are_caught(honest: Path, key: bytes) -> None:
    _tamper(honest, G13=3, G14=5, H14=5)
    assert evidence(honest, key) == [("prefill-altered", "G13"), ("prefill-altered", "G14")]


def test_a_renamed_indicator_is_caught(honest: Path, key: bytes) -> None:
    _tamper(honest, D15="指标3：外商直接投资（已调整）")
    assert evidence(honest, key) == [("prefill-altered", "D15")]


def test_a_changed_budget_prefilled_by_the_roster_is_caught(honest: Path, key: bytes) -> None:
    _tamper(honest, E7=5000)
    assert evidence(honest, key) == [("prefill-altered", "E7")]


def test_an_emptied_issued_row_is_removed(honest: Path, key: bytes) -> None:
    _tamper(honest, D17=None, E17=None, F17=None, G17=None, H17=None)  # 指标5 of 数量指标
    assert evidence(honest, key) == [("indicator-removed", None)]


def test_an_added_indicator_is_a_warning(honest: Path, key: bytes) -> None:
    _tamper(honest, D18="指标6：自加指标", G18=0, H18=0)
    assert evidence(honest, key) == [("indicator-added", "D18")]


def test_edited_hidden_metadata_breaks_the_signature(honest: Path, key: bytes) -> None:
    wb = openpyxl.load_workbook(honest)
    meta = wb["_xltool"]
    for row in meta.iter_rows():
        if row[0].value == "prefill":
            row[1].value = row[1].value.replace("社会零售总额增长10%以上", "社会零售总额增长5%以上")
    wb.save(honest)
    assert evidence(honest, key) == [("signature-invalid", None)]


def test_metadata_copied_from_another_departments_form_is_caught(
    tmp_path: Path, honest: Path, key: bytes
) -> None:
    other = issue(tmp_path / "other.xlsx", key, department="岳麓区财政局")
    donor = {
        r[0]: r[1:] for r in openpyxl.load_workbook(other)["_xltool"].iter_rows(values_only=True)
    }
    wb = openpyxl.load_workbook(honest)
    for row in wb["_xltool"].iter_rows():
        for cell, value in zip(row[1:], donor[row[0].value], strict=False):
            cell.value = value
    wb.save(honest)
    assert evidence(honest, key) == [("issued-elsewhere", "B2")]


def test_resigned_with_another_key_is_invalid(tmp_path: Path, honest: Path, key: bytes) -> None:
    init_key(tmp_path / "other.key")
    other_key = load_key(tmp_path / "other.key")
    wb = openpyxl.load_workbook(honest)
    rows = {r[0].value: r for r in wb["_xltool"].iter_rows()}
    meta = {k: "".join(str(c.value) for c in r[1:] if c.value is not None) for k, r in rows.items()}
    meta["key_id"] = "forged"
    del meta["signature"]
    from xltool.keys import sign

    meta["signature"] = sign(meta, other_key)
    for k, r in rows.items():
        r[1].value = meta[k]
    wb.save(honest)
    assert evidence(honest, key) == [("signature-invalid", None)]


def test_keys_and_no_keys_give_the_documented_warnings(tmp_path: Path, key: bytes) -> None:
    unsigned = issue(tmp_path / "unsigned.xlsx", None)
    fill_honestly(unsigned)
    assert verify_file(unsigned, key=None).signature == "valid-hash"
    assert evidence(unsigned, None) == []
    assert evidence(unsigned, key) == [("signature-absent", None)]
    signed = issue(tmp_path / "signed.xlsx", key)
    fill_honestly(signed)
    assert evidence(signed, None) == [("signature-unverified", None)]


def test_the_same_issued_form_returned_twice_is_a_duplicate(
    tmp_path: Path, honest: Path, key: bytes
) -> None:
    copy = tmp_path / "again.xlsx"
    copy.write_bytes(honest.read_bytes())
    results = verify_paths([honest, copy], jobs=2, key=key)
    for r in results:
        assert [f.code for f in r.findings] == ["duplicate-return"]


def test_a_file_named_for_another_department_is_caught(tmp_path: Path, key: bytes) -> None:
    a = issue(tmp_path / "a.xlsx", key, department="甲局")
    b = issue(tmp_path / "b.xlsx", key, department="乙局")
    renamed = tmp_path / "乙局-自评表.xlsx"
    a.rename(renamed)
    results = verify_paths([renamed, b], jobs=1, key=key)
    assert ("issued-elsewhere", "甲局") in [(f.code, f.expected) for f in results[0].findings]
    assert "issued-elsewhere" not in [f.code for f in results[1].findings]


@needs_uno
@pytest.mark.libreoffice
def test_tampering_through_libreoffice_is_caught(tmp_path: Path, honest: Path, key: bytes) -> None:
    out = tmp_path / "lo.xlsx"
    uno_edit(
        honest,
        out,
        [
            {"op": "unprotect"},
            {"op": "set", "cell": "E14", "value": "实际到位外资1亿美元"},  # a lowered target
            {"op": "set", "cell": "D15", "value": "指标3：利用外资"},  # a renamed indicator
            {"op": "delete_rows", "row": 17, "count": 1},  # an issued row (指标5) deleted
        ],
    )
    found = evidence(out, key)
    assert found == [
        ("indicator-removed", None),
        ("prefill-altered", "D15"),
        ("prefill-altered", "E14"),
    ]


@needs_uno
@pytest.mark.libreoffice
def test_an_honest_fill_resaved_by_libreoffice_keeps_its_signature(
    tmp_path: Path, honest: Path, key: bytes
) -> None:
    out = tmp_path / "lo.xlsx"
    uno_edit(honest, out, [])
    result = verify_file(out, key=key)
    assert result.signature == "valid-hmac" and result.findings == []


def test_the_key_file_is_private_and_never_written_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "cfg" / "issuer.key"
    monkeypatch.setenv("XLTOOL_KEY_FILE", str(key_file))
    runner = CliRunner()
    made = runner.invoke(main, ["key", "init"])
    assert made.exit_code == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = runner.invoke(main, ["key", "init"])
    assert again.exit_code == 2
    secret = load_key(key_file)
    assert secret is not None
    out = tmp_path / "out"
    logs = [runner.invoke(main, ["new", "--data", str(SEED_DATA), "--out", str(out)])]
    logs.append(
        runner.invoke(
            main, ["verify", str(out), "--format", "json", "--annotate", str(tmp_path / "ann")]
        )
    )
    logs.append(runner.invoke(main, ["export", str(out), "-o", str(tmp_path / "e.json")]))
    logs.append(runner.invoke(main, ["summary", str(out), "-o", str(tmp_path / "s.xlsx")]))
    assert json.loads(logs[1].stdout)["files"][0]["signature"] == "valid-hmac"
    needles = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    blobs = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != key_file]
    blobs += [(log.stdout + log.stderr).encode() for log in logs]
    for blob in blobs:
        assert not any(n in blob for n in needles)
        # xlsx parts are deflated: look inside them too
        if blob[:2] == b"PK":
            import zipfile

            with zipfile.ZipFile(io.BytesIO(blob)) as z:
                for name in z.namelist():
                    part = z.read(name)
                    assert not any(n in part for n in needles), name
