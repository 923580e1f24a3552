"""More form kinds from YAML alone: project (项目支出绩效自评表), dept-overall-10-90;
scoring rules by 指标性质 with two faces held equal through LibreOffice."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltool.checking.verify import verify_file
from xltool.cli import main
from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.rules import IndicatorScore, excel_round
from xltool.forms.values import normalise_nature, parse_measure
from xltool.forms.write import write_form

from .conftest import named_cell
from .libreoffice import needs_libreoffice, recalc_convert

PROJECT = load_builtin("project")
DEPT_10_90 = load_builtin("dept-overall-10-90")


def project_form(adjusted: float, executed: float, rows: list[dict]) -> FormData:
    return FormData(
        kind="project",
        fields={
            "project_name": "农贸市场提质改造",
            "year": 2019,
            "competent_department": "岳麓区商务局",
            "implementing_unit": "岳麓区商务局",
            "goal_expected": "完成4个农贸市场提质改造",
            "goal_actual": "完成4个",
            "fund_current_initial": adjusted,
            "fund_current_adjusted": adjusted,
            "fund_current_executed": executed,
            "fund_total_reason": "验收后拨付",
        },
        indicators=rows,
    )


def full_marks(total: float, count: int = 9) -> list[dict]:
    return [
        {
            "level1": "产出指标",
            "level2": "数量指标",
            "name": f"指标{i + 1}",
            "nature": "≥",
            "target": 4,
            "unit": "个",
            "actual": 4,
            "points": total / count,
            "reason": None,
        }
        for i in range(count)
    ]


def test_project_2019_scores_8_62_of_10_for_its_execution(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    write_form(path, PROJECT, project_form(43.2, 37.24, full_marks(90)))
    result = verify_file(path)
    assert result.status == "ok", [f.message("en") for f in result.findings]
    wb = openpyxl.load_workbook(path, data_only=True)
    assert named_cell(wb, "fund_total_points").value == 10
    assert named_cell(wb, "fund_total_score").value == 8.62
    assert result.totals["score"] == pytest.approx(98.62) and result.totals["points"] == 100
    assert named_cell(wb, "grade").value == "优"
    names = set(openpyxl.load_workbook(path).defined_names)
    assert {
        "project_name",
        "competent_department",
        "implementing_unit",
        "grade",
        "indicators",
    } <= names
    _s, ref = next(iter(openpyxl.load_workbook(path).defined_names["indicators"].destinations))
    assert len(openpyxl.load_workbook(path)["自评表"][ref.replace("$", "")][0]) == 10


def test_the_published_9_for_that_project_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    write_form(path, PROJECT, project_form(43.2, 37.24, full_marks(90)))
    wb = openpyxl.load_workbook(path)
    named_cell(wb, "fund_total_score").value = 9  # as the published form had it
    wb.save(path)
    found = [(f.code, f.found, f.expected) for f in verify_file(path).findings]
    assert ("formula-overwritten", 9, 8.62) in found


def test_dept_2021_at_76_percent_scores_7_6_and_97_6(tmp_path: Path) -> None:
    rows = [dict(r, score=r["points"]) for r in full_marks(90)]
    for r in rows:
        r.pop("nature"), r.pop("unit")
        r["target"], r["actual"] = "4个", "4个"
    data = FormData(
        kind="dept-overall-10-90",
        fields={
            "department": "某局",
            "year": 2021,
            "duties": "职责",
            "staff_quota": 5,
            "staff_actual": 5,
            "goal_expected": "目标",
            "goal_actual": "完成",
            "fund_current_initial": 100,
            "fund_current_adjusted": 100,
            "fund_current_executed": 76,
        },
        indicators=rows,
    )
    path = tmp_path / "d.xlsx"
    write_form(path, DEPT_10_90, data)
    result = verify_file(path)
    assert result.status == "ok", [f.message("en") for f in result.findings]
    wb = openpyxl.load_workbook(path, data_only=True)
    assert named_cell(wb, "fund_total_score").value == 7.6
    assert result.totals["score"] == pytest.approx(97.6)


def test_10_90_is_written_as_a_spec_that_extends_dept_overall() -> None:
    text = (Path(__file__).parent.parent / "templates" / "dept-overall-10-90.yaml").read_text(
        encoding="utf-8"
    )
    assert "extends: dept-overall" in text and "blocks:" not in text
    assert DEPT_10_90.sheet == load_builtin("dept-overall").sheet
    assert DEPT_10_90.profile.points_total == 90


@pytest.mark.parametrize(
    ("text", "nature", "number"),
    [
        ("≥95%", "≥", 95),
        ("＝100", "=", 100),
        ("﹦72890元", "=", 72890),
        ("大于等于50个", "≥", 50),
        ("≤3天", "≤", 3),
    ],
)
def test_values_typed_with_symbols_and_units_are_read(
    text: str, nature: str, number: float
) -> None:
    assert parse_measure(text) == (nature, number)


@pytest.mark.parametrize(
    ("written", "nature"),
    [("＝", "="), ("﹦", "="), ("大于等于", "≥"), ("小于等于", "≤"), ("正向", "≥"), ("反向", "≤")],
)
def test_natures_are_normalised(written: str, nature: str) -> None:
    assert normalise_nature(written) == nature


def _cases() -> list[tuple[str, float, float, float]]:
    """Edges first (target 0, actual 0, exactly 2 × target, negative actuals), then random."""
    cases = [
        ("≥", 0, 0, 10),
        ("≥", 0, -1, 10),
        ("≥", 10, 0, 10),
        ("≥", 10, -3, 10),
        ("≥", 10, 10, 10),
        ("=", 0, 0, 5),
        ("=", 0, 1, 5),
        ("=", 0, -1, 5),
        ("=", 8, 7, 5),
        ("=", 8, 9, 5),
        ("≤", 0, 0, 4),
        ("≤", 0, 1, 4),
        ("≤", 3, 6, 4),
        ("≤", 3, 5.999, 4),
        ("≤", 3, 3.001, 4),
        ("≤", 3, -1, 4),
        ("≥", 3, 1, 7.5),
        ("≥", 95, 94.5, 2.5),
        ("≤", 1.5, 2.25, 3),
        ("≥", 0.3, 0.1, 3),
        # x.xx5 in decimal, a hair below in binary: ROUND goes up, as the cell shows it
        ("≥", 1, 0.8765, 10),
        ("≥", 2000, 1753, 10),
    ]
    rng = random.Random(20261125)
    for _ in range(60):
        nature = rng.choice(["≥", "=", "≤"])
        target = rng.choice([0, rng.randint(1, 200), round(rng.uniform(0.01, 1000), 2)])
        actual = rng.choice(
            [
                0,
                target,
                2 * target,
                -rng.randint(1, 50),
                round(rng.uniform(-10, 2.5 * (target or 10)), 2),
            ]
        )
        points = rng.choice([1, 2.5, 4, 5, 10, round(rng.uniform(0.5, 20), 1)])
        cases.append((nature, target, actual, points))
    return cases


@needs_libreoffice
@pytest.mark.libreoffice
def test_each_scoring_rule_computes_the_same_in_python_and_in_libreoffice(tmp_path: Path) -> None:
    cases = _cases()
    rows = [
        {
            "level1": "产出指标",
            "level2": "数量指标",
            "name": f"指标{i}",
            "nature": n,
            "target": t,
            "unit": "个",
            "actual": a,
            "points": p,
        }
        for i, (n, t, a, p) in enumerate(cases)
    ]
    path = tmp_path / "rules.xlsx"
    write_form(path, PROJECT, project_form(100, 95, rows), spare_rows=0)
    out = recalc_convert(path, tmp_path / "lo")
    wb = openpyxl.load_workbook(out, data_only=True)
    first = named_cell(wb, "indicators").row
    ws = wb["自评表"]
    score_col = 1 + 1 + [c.key for c in PROJECT.indicators.columns].index("score")
    rule = IndicatorScore()
    for i, (n, t, a, p) in enumerate(cases):
        lo = ws.cell(first + i, score_col).value
        assert lo == pytest.approx(rule.evaluate(n, t, a, p), abs=1e-9), (n, t, a, p, lo)
    assert named_cell(wb, "fund_total_score").value == 9.5
    total = named_cell(wb, "total_score").value
    assert total == pytest.approx(9.5 + sum(rule.evaluate(*c) or 0 for c in cases))
    assert named_cell(wb, "grade").value == PROJECT.profile.grade(total)


def test_excel_round_is_half_away_from_zero() -> None:
    assert (
        excel_round(2.675, 2) == 2.68
        and excel_round(-2.5, 0) == -3
        and excel_round(8.6203, 2) == 8.62
    )


def test_qualitative_rows_are_entries_checked_against_their_band(tmp_path: Path) -> None:
    rows = [
        {
            "level1": "满意度指标",
            "level2": "服务对象满意度指标",
            "name": "群众满意度",
            "nature": "定性",
            "target": "满意",
            "unit": None,
            "actual": "达成年度指标",
            "points": 10,
            "score": 7,
        },
        {
            "level1": "满意度指标",
            "level2": "服务对象满意度指标",
            "name": "商户满意度",
            "nature": "定性",
            "target": "满意",
            "unit": None,
            "actual": "部分达成年度指标并具有一定效果",
            "points": 10,
            "score": 7,
        },
        *full_marks(70, 7),
    ]
    path = tmp_path / "q.xlsx"
    write_form(path, PROJECT, project_form(100, 100, rows))
    wb = openpyxl.load_workbook(path)
    first = named_cell(wb, "indicators").row
    score_col = 2 + [c.key for c in PROJECT.indicators.columns].index("score")
    assert wb["自评表"].cell(first, score_col).data_type == "n"  # an entry, not a formula
    assert wb["自评表"].cell(first + 2, score_col).data_type == "f"
    found = [(f.code, f.found) for f in verify_file(path).findings if f.code == "score-out-of-band"]
    assert found == [("score-out-of-band", 7)]  # 7 of 10 is below 达成年度指标's 8


def test_a_low_rate_needs_a_reason(tmp_path: Path) -> None:
    data = project_form(100, 50, full_marks(90))
    data.fields["fund_total_reason"] = None
    path = tmp_path / "r.xlsx"
    write_form(path, PROJECT, data)
    assert [f.code for f in verify_file(path).findings] == ["rate-reason-missing"]


def test_project_indicators_file_takes_symbols_and_words(tmp_path: Path) -> None:
    ind = tmp_path / "ind.csv"
    with ind.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(
            ["一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "度量单位", "分值"]
        )
        w.writerow(["产出指标", "数量指标", "改造农贸市场", "大于等于", "4", "个", "40"])
        w.writerow(["产出指标", "质量指标", "验收合格率", "", "≥95%", "%", "30"])
        w.writerow(["满意度指标", "服务对象满意度指标", "满意度", "定性", "满意", "", "20"])
    out = tmp_path / "o"
    result = CliRunner().invoke(
        main, ["new", "--kind", "project", "--indicators", str(ind), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(next(out.glob("*.xlsx")))
    first = named_cell(wb, "indicators").row
    ws = wb["自评表"]
    assert [ws.cell(first, c).value for c in range(4, 8)] == ["改造农贸市场", "≥", 4, "个"]
    assert [ws.cell(first + 3, c).value for c in range(5, 7)] == ["≥", 95]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "一级指标,二级指标,三级指标,指标性质,年度指标值,度量单位,分值\n产出指标,数量指标,x,差不多,1,个,90\n",
        encoding="utf-8",
    )
    refused = CliRunner().invoke(
        main, ["new", "--kind", "project", "--indicators", str(bad), "--out", str(out)]
    )
    assert refused.exit_code == 2 and "未知的指标性质" in refused.stderr


SAMPLES = Path(__file__).resolve().parent.parent / "sample_workbooks"


def test_committed_real_cases_verify_with_their_published_figures() -> None:
    project = verify_file(SAMPLES / "project-2019-farm-markets.xlsx")
    assert (
        project.status == "ok"
        and project.kind == "project"
        and project.department == "农贸市场提质改造"
    )
    assert project.totals["budget_adjusted"] == 43.2 and project.totals["executed"] == 37.24
    assert project.totals["score"] == pytest.approx(98.62)
    dept = verify_file(SAMPLES / "dept-2021-10-90.xlsx")
    assert dept.status == "ok" and dept.totals["execution_rate"] == 0.76
    assert dept.totals["score"] == pytest.approx(97.6)


def test_the_published_9_in_the_committed_project_sample_is_reported(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(SAMPLES / "project-2019-farm-markets.xlsx")
    named_cell(wb, "fund_total_score").value = 9
    wb.save(tmp_path / "published.xlsx")
    finding = next(
        f
        for f in verify_file(tmp_path / "published.xlsx").findings
        if f.code == "formula-overwritten"
    )
    assert (finding.found, finding.expected, finding.field) == (9, 8.62, "fund_total_score")
    assert "8.62" in finding.message("zh")


@needs_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_real_cases_to_their_figures(tmp_path: Path) -> None:
    for name, score, total in (
        ("project-2019-farm-markets", 8.62, 98.62),
        ("dept-2021-10-90", 7.6, 97.6),
    ):
        wb = openpyxl.load_workbook(
            recalc_convert(SAMPLES / f"{name}.xlsx", tmp_path / name), data_only=True
        )
        assert named_cell(wb, "fund_total_score").value == pytest.approx(score)
        assert named_cell(wb, "total_score").value == pytest.approx(total)


def test_new_takes_the_kind_from_the_data_file(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = CliRunner().invoke(
        main, ["new", "--data", str(SAMPLES / "project-2019-farm-markets.json"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert verify_file(next(out.glob("*.xlsx"))).kind == "project"


def _capped_spec(tmp_path: Path):
    from xltool.forms.kinds import load_spec

    path = tmp_path / "capped.yaml"
    path.write_text(
        "extends: dept-overall-10-90\nkind: capped-dept\nversion: 1\nprofile:\n  cap_total_by_rate: true\n",
        encoding="utf-8",
    )
    return load_spec(path)


def _dept_at(rate: float) -> FormData:
    rows = [
        {
            "level1": "产出指标",
            "level2": "数量指标",
            "name": f"指标{i}",
            "target": "x",
            "actual": "y",
            "points": 10,
            "score": 10,
        }
        for i in range(9)
    ]
    return FormData(
        kind="capped-dept",
        fields={
            "department": "某局",
            "year": 2021,
            "duties": "职责",
            "staff_quota": 1,
            "staff_actual": 1,
            "goal_expected": "a",
            "goal_actual": "b",
            "fund_current_initial": 100,
            "fund_current_adjusted": 100,
            "fund_current_executed": round(rate * 100, 2),
        },
        indicators=rows,
    )


def test_the_total_cap_by_execution_rate_is_off_by_default_and_on_by_a_switch(
    tmp_path: Path,
) -> None:
    assert DEPT_10_90.profile.cap_total_by_rate is False
    spec = _capped_spec(tmp_path)
    expected = {0.95: 99.5, 0.79: 89, 0.65: 79, 0.55: 69, 0.45: 59}
    for rate, total in expected.items():
        path = tmp_path / f"{rate}.xlsx"
        write_form(path, spec, _dept_at(rate))
        assert verify_file(path, spec).totals["score"] == pytest.approx(total), rate
    plain = tmp_path / "plain.xlsx"
    write_form(plain, DEPT_10_90, _dept_at(0.45).model_copy(update={"kind": "dept-overall-10-90"}))
    assert verify_file(plain).totals["score"] == pytest.approx(94.5)


@needs_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_applies_the_same_cap(tmp_path: Path) -> None:
    spec = _capped_spec(tmp_path)
    for rate in (0.95, 0.79, 0.65, 0.55, 0.45):
        path = tmp_path / f"{rate}.xlsx"
        write_form(path, spec, _dept_at(rate))
        lo = openpyxl.load_workbook(recalc_convert(path, tmp_path / f"lo{rate}"), data_only=True)
        assert named_cell(lo, "total_score").value == pytest.approx(
            verify_file(path, spec).totals["score"]
        ), rate


@needs_libreoffice
@pytest.mark.libreoffice
def test_a_nature_typed_as_words_scores_nothing_in_the_form_nor_in_verify(tmp_path: Path) -> None:
    """The score formula compares the 指标性质 cell with ≥, = and ≤: 大于等于 pasted over the
    dropdown scores the row blank in the workbook, so verify's total must leave it out
    too (and say why); LibreOffice's total is the judge."""
    form = tmp_path / "form.xlsx"
    write_form(form, PROJECT, project_form(100, 95, full_marks(90)))
    wb = openpyxl.load_workbook(form)
    first = named_cell(wb, "indicators").row
    nature_col = 1 + 1 + [c.key for c in PROJECT.indicators.columns].index("nature")
    wb["自评表"].cell(first, nature_col, "大于等于")
    typed = tmp_path / "typed.xlsx"
    wb.save(typed)
    result = verify_file(typed)
    listed = [f for f in result.findings if f.code == "nature-not-listed"]
    assert len(listed) == 1 and listed[0].found == "大于等于" and listed[0].expected == "≥"
    recalculated = openpyxl.load_workbook(recalc_convert(typed, tmp_path / "lo"), data_only=True)
    assert named_cell(recalculated, "total_score").value == pytest.approx(result.totals["score"])
    assert result.totals["score"] == pytest.approx(9.5 + 80)  # the row's 10 points are not scored
