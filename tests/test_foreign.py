"""Forms xltool did not issue (tests/foreign_forms.py builds them as people type them):
for each, the kind, the total row's figures (None where the form does not show them),
the indicator count, and every inconsistency the research names, at its cell, with no
finding that is a false alarm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.foreign_forms import FORMS, NOT_FORMS
from tests.libreoffice import needs_libreoffice, needs_uno, recalc_convert, uno_batch
from xltool.checking.verify import verify_file

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
    # E: 执行率 over 年初预算数 (the budget it divides by), sub-rows carry 分值, 基本支出 9.29
    "e-suiyang-2021": (
        "dept-overall-10-90", (1172.55, 1172.55, 1268.72, 1.082, 100, 100), 4,
        {("fund-subrow-points", "E6"), ("fund-subrow-points", "E7"), ("stated-figure-mismatch", "F6")},
        True,
    ),
    # F: 76% × 10 = 7.6; 合计 90 over the indicators; 自评总分 97.6. Consistent.
    "f-chongqing-2021": ("dept-overall-10-90", (480, 500, 380, 0.76, 100, 97.6), 4, {("kind-guessed", None)}, False),
    # consistent figures; its 定性 row scores 18 of 20 and leaves 未完成原因分析 empty
    "sichuan-daying-2023": ("project", (0, 3.36, 3.36, 1.0, 100, 98), 4, {("reason-missing", "J11")}, True),
    # G: the 其他资金 row shows 执行率 0 although it spent 1.8 of 1.8; 正向 but 小于等于
    "g-bayannur-2024": (
        "project", (0, 2.38, 2.38, 1.0, 100, 100), 4,
        {("stated-figure-mismatch", "G6"), ("nature-conflict", "E9")}, True,
    ),
    # 完成值 and 得分 blank: the total is unknown, and each row says what it lacks
    "qingshen-partly-filled-2023": (
        "project", (238.93, 251.89, 251.89, 1.0, 100, None), 2,
        {("indicator-incomplete", "I6"), ("indicator-incomplete", "I7")}, True,
    ),
    # Hunan before 2019: a score sheet with no fund table; its amounts unknown, and said so
    "hunan-2018-score-sheet": (
        "dept-overall", (None, None, None, None, 100, 96), 7,
        {("kind-guessed", None), ("structure-changed", None)}, False,
    ),
    # planted: figures as targets completed in words (已完成, 基本完成); the goal's results empty
    "planted-seed-words-for-figures": (
        "dept-overall", SEED_TOTALS, 20,
        {("actual-not-a-number", "F13"), ("actual-not-a-number", "F17"), ("goal-actual-missing", "F11")},
        True,
    ),
    # planted: a goal typed beside its labels, results empty; 3个 completed as 完成; 150 of ≥100
    # with no reason (35 under ≤50 gives one)
    "planted-side-by-side-goal": (
        "project", (120, 120, 114, 0.95, 100, 99.5), 4,
        {("goal-actual-missing", "F6"), ("actual-not-a-number", "E8"), ("over-target-unexplained", "H9")},
        True,
    ),
}  # fmt: skip

# what the planted forms plant: no other form of the corpus may get these
PLANTED = {"actual-not-a-number", "goal-actual-missing", "over-target-unexplained"}


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


def test_what_is_planted_is_found_and_only_where_it_is_planted() -> None:
    """Each planted form expects its planted findings (each at its cell, held exactly by
    the test above); no clean form of the corpus expects one."""
    for name, (_kind, _figures, _count, expected, _sure) in CASES.items():
        planted = {(code, cell) for code, cell in expected if code in PLANTED}
        assert bool(planted) == name.startswith("planted-"), name
        assert all(cell for _code, cell in planted), name
    found = {code for *_, expected, _sure in CASES.values() for code, _cell in expected}
    assert found >= PLANTED


def test_a_planted_finding_says_what_was_typed(tmp_path: Path) -> None:
    path = tmp_path / "words.xlsx"
    path.write_bytes(FORMS["planted-seed-words-for-figures"]())
    by_cell = {f.cell: f for f in verify_file(path).findings}
    assert by_cell["F17"].message("zh") == (
        "自评表!F17（指标5：进出口总额）年度指标值为「4亿美元」，是定量指标，实际完成值却写作"
        "「基本完成」，无法按指标性质核算得分；请填写实际完成的数值"
    )
    assert by_cell["F11"].severity == "error" and by_cell["F11"].message("en") == (
        "自评表!F11 (实际完成情况): the expected goals are stated but their actual results are "
        "empty; describe what was achieved"
    )
    path = tmp_path / "beside.xlsx"
    path.write_bytes(FORMS["planted-side-by-side-goal"]())
    result = verify_file(path)
    over = next(f for f in result.findings if f.code == "over-target-unexplained")
    assert (over.found, over.expected, over.severity) == (150, 100, "warning")
    # the goal typed beside its label is read as the goal, not the cell under the label
    assert result.data["fields"]["goal_expected"] == "建成3个村级综合服务站并投入使用"
    assert result.data["fields"]["goal_actual"] is None


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
    from xltool.forms.kinds import load_builtin

    path = tmp_path / "g.xlsx"
    path.write_bytes(FORMS["g-bayannur-2024"]())
    from xltool.checking.verify import verify_file as verify

    result = verify(path, spec=load_builtin("project"))
    assert result.kind == "project" and result.reading["kind_sure"] is True
    assert "kind-guessed" not in {f.code for f in result.findings}


# --- xltool import -----------------------------------------------------------------------


def test_a_form_that_scores_nothing_is_not_taken_for_one(tmp_path: Path) -> None:
    """Hunan 2020's county targets form has no 分值 and no 得分: not a self-evaluation."""
    path = tmp_path / "county.xlsx"
    path.write_bytes(NOT_FORMS["hunan-2020-county-targets"]())
    result = verify_file(path)
    assert [f.code for f in result.findings] == ["template-unknown"]
    assert "三级指标" in result.findings[0].message("zh") and result.totals is None


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Every corpus form imported by the command, in one run: (source, imported)."""
    from click.testing import CliRunner

    from xltool.cli import main

    root = tmp_path_factory.mktemp("import")
    sources = root / "sources"
    sources.mkdir()
    for name, make in FORMS.items():
        (sources / f"{name}.xlsx").write_bytes(make())
    run = CliRunner().invoke(main, ["import", str(sources), "--out", str(root / "out")])
    assert run.exit_code == 0, run.output
    return {name: (sources / f"{name}.xlsx", root / "out" / f"{name}-导入.xlsx") for name in FORMS}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_import_gives_a_form_of_its_kind_with_the_same_figures(
    name: str, imported: dict[str, tuple[Path, Path]]
) -> None:
    source, target = imported[name]
    foreign, fresh = verify_file(source), verify_file(target)
    assert fresh.kind == foreign.kind and fresh.reading is None  # read as xltool's own
    for key, value in foreign.totals.items():
        assert fresh.totals[key] == (None if value is None else pytest.approx(value, abs=1e-6)), key
    # the fresh form computes every derived figure: none is stated against its formula
    codes = {f.code for f in fresh.findings}
    assert not codes & {"stated-figure-mismatch", "formula-overwritten", "formula-altered"}
    assert not codes & {"signature-invalid", "prefill-altered", "indicator-removed"}
    assert len(fresh.data["indicators"]) == len(foreign.data["indicators"])
    # what the form's entries lack stays said about the fresh form (stated figures cannot
    # recur: its formulas compute them, and import listed each that differed)
    entries = {"reason-missing", "indicator-incomplete", "score-over-points", "score-out-of-band"}
    assert {f.code for f in foreign.findings} & entries <= codes


def test_an_imported_form_says_where_it_came_from_and_signs_no_prefill(
    imported: dict[str, tuple[Path, Path]],
) -> None:
    import hashlib
    import json

    import openpyxl

    source, target = imported["b-langfang-2019"]
    rows = openpyxl.load_workbook(target)["_xltool"].iter_rows(values_only=True)
    meta = {r[0]: "".join(str(v) for v in r[1:] if v is not None) for r in rows}
    assert meta["origin"] == "imported" and meta["source_name"] == source.name
    assert meta["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert json.loads(meta["prefill"]) == {"fields": {}, "indicators": []}
    assert verify_file(target).signature in ("valid-hash", "valid-hmac")


def test_import_lists_what_it_could_not_carry_and_what_it_computes_otherwise(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from xltool.cli import main

    source = tmp_path / "e.xlsx"
    source.write_bytes(FORMS["e-suiyang-2021"]())
    run = CliRunner().invoke(
        main, ["--lang", "en", "import", str(source), "-o", str(tmp_path / "x.xlsx")]
    )
    assert run.exit_code == 0, run.output
    assert "imported as 'dept-overall-10-90'" in run.output
    assert (
        "Sheet1!C6 (基本支出) '985.19、914.97': this kind's fund table has no such row"
        in run.output
    )
    assert "Sheet1!F6 (基本支出·得分) '10': the fresh form computes it: 9.29" in run.output


def test_import_refuses_an_issued_form_and_goes_on_with_the_rest(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from xltool.cli import main

    issued = Path(__file__).parent.parent / "sample_workbooks" / "yuelu-commerce-2019.xlsx"
    other = tmp_path / "d.xlsx"
    other.write_bytes(FORMS["d-tangxi-2022"]())
    run = CliRunner().invoke(
        main, ["import", str(issued), str(other), "--out", str(tmp_path / "o")]
    )
    assert run.exit_code == 1
    assert "是 xltool 发放的表，无需导入" in run.stderr
    assert (tmp_path / "o" / "d-导入.xlsx").exists()


@needs_uno
@pytest.mark.libreoffice
def test_libreoffice_recalculates_every_imported_form_to_the_same_totals(
    imported: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    jobs = [
        {"src": str(target), "dst": str(tmp_path / f"{name}.xlsx"), "actions": []}
        for name, (_src, target) in imported.items()
    ]
    for (name, (_src, target)), names in zip(imported.items(), uno_batch(jobs), strict=True):
        ours = verify_file(target).totals
        if ours["score"] is not None:
            assert names["total_score"] == pytest.approx(ours["score"], abs=1e-9), name
        assert names["total_points"] == pytest.approx(ours["points"], abs=1e-9), name
        if ours["execution_rate"] is not None:
            assert names["fund_total_rate"] == pytest.approx(ours["execution_rate"], abs=1e-9), name


@needs_libreoffice
@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "name", ["seed-sums-without-saved-values", "d-tangxi-2022", "c-lijiang-2020"]
)
def test_a_form_saved_by_libreoffice_reads_the_same(name: str, tmp_path: Path) -> None:
    """Typed in one program, saved by another: LibreOffice writes its own package (and
    the values of the sums the first never calculated); the reading does not change."""
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(FORMS[name]())
    resaved = recalc_convert(source, tmp_path / "lo")
    before, after = verify_file(source), verify_file(resaved)
    assert after.reading["mode"] == "foreign" and after.totals == before.totals
    assert {(f.code, f.cell) for f in after.findings} == {(f.code, f.cell) for f in before.findings}


ODD = [
    None,
    "",
    "/",
    "——",
    "九十",
    "1e999",
    "≥",
    "-5",
    "0",
    "100%",
    "=1/0",
    "=SUM(A1:A3)",
    1e300,
    -1,
    0,
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.integers(3, 14), st.integers(2, 7), st.sampled_from(ODD)), max_size=12
    )
)
def test_whatever_a_person_types_gives_findings_never_an_exception(
    edits: list[tuple[int, int, Any]],
) -> None:
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(FORMS["b-langfang-2019"]()))
    for r, c, value in edits:
        wb.active.cell(r + 1, c + 1, value)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "typed.xlsx"
        wb.save(path)
        result = verify_file(path)
    assert result.status in ("ok", "invalid")
    # read as a foreign form, or (a heading typed away) not recognised at all, and said so
    assert result.reading is not None or [f.code for f in result.findings] == ["template-unknown"]
    for f in result.findings:
        assert f.message("zh") and f.message("en")


def test_blocks_not_found_each_say_so_and_their_figures_are_unknown(tmp_path: Path) -> None:
    """An issued form whose names are gone and whose fund, goal and indicator labels were
    typed over: one structure-changed per block, and no figure of theirs invented as 0."""
    import openpyxl

    wb = openpyxl.load_workbook(
        Path(__file__).parent.parent / "sample_workbooks" / "yuelu-commerce-2019.xlsx"
    )
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    for row in wb["自评表"].iter_rows(min_row=5, max_row=12):
        for cell in row:
            if isinstance(cell.value, str):
                cell.value += "？"
    path = tmp_path / "broken.xlsx"
    wb.save(path)
    result = verify_file(path)
    assert [(f.code, f.field) for f in result.findings] == [
        ("structure-changed", "fund_total_initial"),
        ("structure-changed", "goal_expected"),
        ("structure-changed", "indicators"),
    ]
    assert set(result.totals.values()) == {None}


def test_an_issued_project_form_without_its_metadata_is_still_a_project(tmp_path: Path) -> None:
    """Read by the kind whose labels it carries most of: a project form carries every
    label a department form has, and 指标性质 and 度量单位 besides."""
    import openpyxl

    wb = openpyxl.load_workbook(
        Path(__file__).parent.parent / "sample_workbooks" / "project-2019-farm-markets.xlsx"
    )
    del wb["_xltool"]
    wb.custom_doc_props.props.clear()
    path = tmp_path / "project.xlsx"
    wb.save(path)
    result = verify_file(path)
    assert result.kind == "project" and result.findings == []
    assert result.totals["score"] == pytest.approx(98.62)
