"""A real client edits an issued form: LibreOffice (through UNO) enters values and
inserts rows; `verify` reads the saved file and agrees with what LibreOffice computed."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltool.checking.verify import verify_file

from .conftest import SAMPLES
from .libreoffice import needs_uno, uno_edit

pytestmark = [pytest.mark.libreoffice, needs_uno]


def test_row_inserted_inside_the_block_by_libreoffice_reads_and_recomputes(tmp_path: Path) -> None:
    out = tmp_path / "edited.xlsx"
    lo = uno_edit(
        SAMPLES / "yuelu-commerce-2019.xlsx",
        out,
        [
            {"op": "unprotect"},
            {"op": "set", "cell": "F7", "value": 3000},  # 当年财政拨款 全年执行数
            {"op": "insert_rows", "row": 16, "count": 1},  # inside 数量指标
            {"op": "set", "cell": "D16", "value": "指标6：新增外贸企业"},
            {"op": "set", "cell": "E16", "value": "新增10家"},
            {"op": "set", "cell": "F16", "value": "新增8家"},
            {"op": "set", "cell": "G16", "value": 0},
            {"op": "set", "cell": "H16", "value": 0},
        ],
    )
    result = verify_file(out)
    codes = [f.code for f in result.findings]
    assert not [
        c for c in codes if c in ("structure-changed", "formula-altered", "formula-overwritten")
    ], codes
    assert "cached-value-mismatch" not in codes
    assert result.totals["executed"] == pytest.approx(lo["fund_total_executed"], abs=1e-9)
    assert result.totals["execution_rate"] == pytest.approx(lo["fund_total_rate"], abs=1e-12)
    assert result.totals["score"] == pytest.approx(lo["total_score"])
    assert result.totals["points"] == pytest.approx(lo["total_points"])
    assert lo["indicators"]["rows"] == [13, 51]  # LibreOffice grew the block by the row
    names = [row["name"] for row in result.data["indicators"]]
    assert names[2:6] == [
        "指标3：外商直接投资",
        "指标6：新增外贸企业",
        "指标4：服务大科城建设",
        "指标5：进出口总额",
    ]
    inserted = result.data["indicators"][3]
    assert (inserted["level1"], inserted["level2"]) == ("产出指标", "数量指标")


def test_libreoffice_resave_of_an_untouched_form_verifies_ok(tmp_path: Path) -> None:
    out = tmp_path / "resaved.xlsx"
    lo = uno_edit(SAMPLES / "yuelu-commerce-2019.xlsx", out, [])
    result = verify_file(out)
    assert result.status == "ok", [f.message("en") for f in result.findings]
    assert result.findings == []
    assert result.totals["execution_rate"] == pytest.approx(lo["fund_total_rate"])
    assert round(result.totals["execution_rate"], 4) == 0.6646 and result.totals["score"] == 98.5


def test_a_score_typed_over_a_formula_in_libreoffice_is_caught(tmp_path: Path) -> None:
    out = tmp_path / "typed.xlsx"
    uno_edit(
        SAMPLES / "yuelu-commerce-2019.xlsx",
        out,
        [
            {"op": "unprotect"},
            {"op": "set", "cell": "H51", "value": 100},
            {"op": "set", "cell": "E7", "value": "4,325.58"},
        ],
    )
    result = verify_file(out)
    found = sorted((f.code, f.cell) for f in result.findings)
    assert ("formula-overwritten", "H51") in found
    # the form's own SUM skips the text: LibreOffice's total is what the finding says
    # the form shows, and the saved totals it explains are not reported again
    assert ("number-as-text", "E7") in found
    assert ("cached-value-mismatch", "E6") not in found
    assert ("cached-value-mismatch", "H6") not in found
    text = next(f for f in result.findings if f.code == "number-as-text")
    lo_total = _cached(out, "E6")
    assert text.context["shown"] == pytest.approx(lo_total)
    assert text.context["should"] == pytest.approx(lo_total + 4325.58)


@pytest.mark.parametrize(("fmt", "found"), [("xls", "xls"), ("ods", "ods")])
def test_real_legacy_saves_are_told_apart(tmp_path: Path, fmt: str, found: str) -> None:
    from .libreoffice import recalc_convert

    saved = recalc_convert(SAMPLES / "yuelu-commerce-2019.xlsx", tmp_path, fmt)
    renamed = tmp_path / "returned.xlsx"  # filers rename; verify sniffs the content
    renamed.write_bytes(saved.read_bytes())
    for path in (saved, renamed):
        result = verify_file(path)
        assert [(f.code, f.found) for f in result.findings] == [("file-legacy-format", found)]
        assert "另存为" in result.findings[0].message("zh")


def _cached(path: Path, ref: str, sheet: str = "自评表") -> float:
    """The value LibreOffice computed and saved for a cell."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return wb[sheet][ref].value
    finally:
        wb.close()


@pytest.mark.parametrize(
    ("variant", "cell", "total"),
    [("forged-saved-value", "F7", "F6"), ("text-number-in-amount", "E7", "E6")],
)
def test_libreoffice_shows_what_the_finding_says(
    variant: str, cell: str, total: str, tmp_path: Path
) -> None:
    """A forged saved value beside a filer's formula, and a number typed as text: the
    finding's figures are the ones LibreOffice shows once it recalculates the file."""
    from .faulty import seed_bytes
    from .libreoffice import recalc_convert
    from .test_bad_input import CORPUS

    src = tmp_path / f"{variant}.xlsx"
    src.write_bytes(CORPUS[variant][0](seed_bytes()))
    result = verify_file(src)
    finding = next(f for f in result.findings if f.cell == cell)
    recalculated = recalc_convert(src, tmp_path / "lo")
    if finding.code == "input-formula":
        assert finding.expected == pytest.approx(99999) == _cached(recalculated, cell)
        # every check used the computed value: the total is what LibreOffice shows
        assert result.totals["executed"] == pytest.approx(_cached(recalculated, total))
    else:
        assert finding.code == "number-as-text"
        assert finding.context["shown"] == pytest.approx(_cached(recalculated, total))
