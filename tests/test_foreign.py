"""Forms xltool did not issue (tests/foreign_forms.py builds them as people type them):
for each, the kind, the total row's figures (None where the form does not show them),
the indicator count, and every inconsistency the research names, at its cell, with no
finding that is a false alarm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.foreign_forms import FORMS
from xltool.verify import verify_file

SEED_TOTALS = (2863.29, 5071.49, 3370.55, 0.6646, 100, 98.5)

# name: kind, (年初, 全年, 执行, 执行率, 分值, 总分), indicators, {(code, cell)}, kind sure
CASES: dict[str, tuple[str, tuple[Any, ...], int, set[tuple[str, str | None]], bool]] = {
    "seed": ("dept-overall", SEED_TOTALS, 20, set(), True),
    "seed-columns-reordered": ("dept-overall", SEED_TOTALS, 20, {("column-moved", None)}, True),
    "seed-serial-blank-rows-notes": ("dept-overall", SEED_TOTALS, 20, set(), True),
    "seed-label-merged": ("dept-overall", SEED_TOTALS, 20, set(), True),
    "seed-sums-without-saved-values": ("dept-overall", SEED_TOTALS, 20, set(), True),
    # A: 执行率 left blank on the total row
    "a-tianchang-2022": (
        "project", (880, 880, 880, 1.0, 100, 100), 9,
        {("stated-figure-mismatch", "G4")}, True,
    ),
    # B: 86.2% scored 9 (8.62), and the 工程资金金额 indicator the same way; 总分 cut off
    "b-langfang-2019": (
        "project", (43.2, 43.2, 37.24, 0.862, 100, 97.24), 9,
        {("stated-figure-mismatch", "H4"), ("stated-figure-mismatch", "G9")}, True,
    ),
    # C: every target met, every score cut by 10%
    "c-lijiang-2020": (
        "project", (7.29, 7.29, 7.29, 1.0, 100, 100), 5,
        {("stated-figure-mismatch", f"I{r}") for r in range(7, 12)}, True,
    ),
    # D: the total row never summed: 0 / 0 / 0, rate 0, score 0 over 90 / 89.974 / 89.974
    "d-tangxi-2022": (
        "project", (90, 89.974, 89.974, 1.0, 100, 100), 10,
        {("stated-figure-mismatch", c) for c in ("C4", "D4", "E4", "G4", "H4")}, True,
    ),
    # E: 执行率 over 年初预算数 (no 全年预算数: unknown), sub-rows carry 分值, 基本支出 9.29
    "e-suiyang-2021": (
        "dept-overall-10-90", (1172.55, None, 1268.72, 1.082, 100, 100), 4,
        {("fund-subrow-points", "E6"), ("fund-subrow-points", "E7"), ("stated-figure-mismatch", "F6")},
        True,
    ),
    # F: 76% × 10 = 7.6; 合计 90 over the indicators; 自评总分 97.6. Consistent.
    "f-chongqing-2021": ("dept-overall-10-90", (480, 500, 380, 0.76, 100, 97.6), 4, {("kind-guessed", None)}, False),
    # consistent figures; its 定性 row scores 18 of 20 and leaves 未完成原因分析 empty
    "sichuan-daying-2023": ("project", (0, 3.36, 3.36, 1.0, 100, 98), 4, {("reason-missing", "J11")}, True),
    # G: the 其他资金 row shows 执行率 0 although it spent 1.8 of 1.8
    "g-bayannur-2024": (
        "project", (0, 2.38, 2.38, 1.0, 100, 100), 4,
        {("kind-guessed", None), ("stated-figure-mismatch", "G6")}, False,
    ),
    # 完成值 and 得分 blank: the total is unknown, and each row says what it lacks
    "qingshen-partly-filled-2023": (
        "project", (238.93, 251.89, 251.89, 1.0, 100, None), 2,
        {("indicator-incomplete", "I6"), ("indicator-incomplete", "I7")}, True,
    ),
}  # fmt: skip


def test_the_corpus_covers_every_case() -> None:
    assert set(CASES) == set(FORMS) and len(FORMS) >= 12


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_foreign_form_is_read_by_what_it_says(name: str, tmp_path: Path) -> None:
    kind, figures, count, expected, sure = CASES[name]
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(FORMS[name]())
    result = verify_file(path)
    assert result.kind == kind
    assert result.reading == {
        "mode": "foreign",
        "kind_evidence": result.reading["kind_evidence"],
        "kind_sure": sure,
    }
    keys = ("budget_initial", "budget_adjusted", "executed", "execution_rate", "points", "score")
    got = tuple(None if result.totals[k] is None else round(result.totals[k], 4) for k in keys)
    assert got == tuple(None if f is None else pytest.approx(f, abs=1e-4) for f in figures)
    assert len(result.data["indicators"]) == count
    assert {(f.code, f.cell) for f in result.findings} == expected
    assert result.status == (
        "invalid" if any(f.severity == "error" for f in result.findings) else "ok"
    )
    for f in result.findings:  # every message names what it is about
        assert f.message("zh") and f.message("en") and "{" not in f.message("en")


def test_a_stated_figure_says_both_values(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    path.write_bytes(FORMS["b-langfang-2019"]())
    finding = next(f for f in verify_file(path).findings if f.cell == "H4")
    assert (finding.found, finding.expected) == (9, 8.62)
    assert (
        finding.message("zh")
        == "Sheet1!H4（年度资金总额·得分）填报为 9，按「min(执行率, 1) × 分值」应为 8.62"
    )
    assert (
        finding.message("en")
        == "Sheet1!H4 (年度资金总额·得分) states 9; min(rate, 1) × points gives 8.62"
    )


def test_kind_given_overrides_the_evidence(tmp_path: Path) -> None:
    from xltool.spec import load_builtin

    path = tmp_path / "g.xlsx"
    path.write_bytes(FORMS["g-bayannur-2024"]())
    from xltool.verify import verify_file as verify

    result = verify(path, spec=load_builtin("project"))
    assert result.kind == "project" and result.reading["kind_sure"] is True
    assert "kind-guessed" not in {f.code for f in result.findings}
