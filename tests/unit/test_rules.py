"""Each rule's two faces, table-driven: the formula text the writer puts in the cell and
the value the Python face computes from the same inputs. (LibreOffice holds the two
equal on real workbooks in tests/test_libreoffice_*.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from xltool.forms.rules import (
    CappedByRate,
    Const,
    GradeRule,
    IndicatorScore,
    RateScore,
    Ratio,
    Ref,
    Sum,
    excel_round,
    total,
)

ADDRESS = {"a": "B2", "b": "B3", "c": "B4", "rate": "H6", "points": "G31", "x": "C9"}.__getitem__

BANDS = (("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", 0.0))

CASES: list[tuple[Any, str | None, dict[str, Any], Any]] = [
    # rule, its Excel face, inputs, its Python face's value
    (Sum("t", ("a", "b", "c")), "SUM(B2:B4)", {"a": 1, "b": 2.5, "c": None}, 3.5),
    (Sum("t", ("a", "x")), "SUM(B2,C9)", {"a": "12", "x": 3}, 3),  # text is skipped, as SUM does
    (Sum("t", ("a",)), "SUM(B2)", {}, 0),
    (
        Ratio("t", "a", "b"),
        'IF(AND(ISNUMBER(B2),ISNUMBER(B3)),IF(B3<>0,B2/B3,""),"")',
        {"a": 1, "b": 4},
        0.25,
    ),
    (Ratio("t", "a", "b"), None, {"a": 1, "b": 0}, None),  # never #DIV/0!
    (Ratio("t", "a", "b"), None, {"a": "1", "b": 4}, None),
    (Ref("t", "a"), "B2", {"a": "岳麓区商务局"}, "岳麓区商务局"),
    (Const("t", 10), None, {}, 10),
    (
        RateScore("t", "rate", "points"),
        'IF(AND(ISNUMBER(H6),ISNUMBER(G31)),ROUND(MIN(H6,1)*G31,2),"")',
        {"rate": 0.8765, "points": 10},
        8.77,
    ),
    (RateScore("t", "rate", "points"), None, {"rate": 1.2, "points": 10}, 10),
    (
        GradeRule("t", "a", BANDS),
        'IF(ISNUMBER(B2),IF(B2>=90,"优",IF(B2>=80,"良",IF(B2>=60,"中","差"))),"")',
        {"a": 89.99},
        "良",
    ),
    (GradeRule("t", "a", BANDS), None, {"a": None}, None),
    (
        CappedByRate(Sum("t", ("a", "b")), "rate", ((0.8, 89), (0.7, 79))),
        "MIN(SUM(B2:B3),IF(ISNUMBER(H6),IF(H6<0.7,79,IF(H6<0.8,89,1E+307)),1E+307))",
        {"a": 60, "b": 35, "rate": 0.75},
        89,
    ),
    (CappedByRate(Sum("t", ("a", "b")), "rate", ((0.8, 89), (0.7, 79))), None, {"a": 60, "b": 35, "rate": 0.65}, 79),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "formula", "inputs", "value"), CASES)
def test_rule_faces(rule: Any, formula: str | None, inputs: dict[str, Any], value: Any) -> None:
    if formula is not None:
        assert rule.formula(ADDRESS) == formula
    assert rule.evaluate(inputs.get) == value


SCORES = [
    # 指标性质, 年度指标值, 实际完成值, 分值 → 得分
    ("≥", 100, 120, 10, 10),
    ("≥", 100, 95, 10, 9.5),
    ("≥", 0, 0, 10, 10),
    ("=", 0, 0, 10, 10),
    ("=", 0, 1, 10, 0),
    ("≤", 10, 10, 5, 5),
    ("≤", 10, 15, 5, 2.5),
    ("≤", 10, 20, 5, 0),
    ("≤", 10, 30, 5, 0),
    ("≥", 3, 1, 10, 3.33),
    ("≥", 100, "九十", 10, None),
    ("定性", "达成年度指标", "达成年度指标", 10, None),
]


@pytest.mark.parametrize(("nature", "target", "actual", "points", "score"), SCORES)
def test_indicator_score_python_face(
    nature: str, target: Any, actual: Any, points: Any, score: Any
) -> None:
    assert IndicatorScore().evaluate(nature, target, actual, points) == score


def test_indicator_score_excel_face_names_each_cell_once_per_use() -> None:
    formula = IndicatorScore().formula(
        {"nature": "E13", "target": "F13", "actual": "H13", "points": "I13"}.__getitem__
    )
    assert formula.startswith("IF(AND(ISNUMBER(F13),ISNUMBER(H13),ISNUMBER(I13)),")
    assert 'IF(AND(E13="=",F13=0),IF(H13<=0,I13,0)' in formula
    assert "ROUND(H13/F13*I13,2)" in formula and "ROUND((1-(H13-F13)/F13)*I13,2)" in formula


@pytest.mark.parametrize(
    ("value", "digits", "rounded"),
    [
        (2.675, 2, 2.68),
        (-2.675, 2, -2.68),
        (0.125, 2, 0.13),
        (1.005, 2, 1.01),
        (0.8765 * 10, 2, 8.77),  # 8.764999999999999: LibreOffice's ROUND gives 8.77
        (1e300, 2, 1e300),
    ],
)
def test_excel_round_is_half_away_from_zero(value: float, digits: int, rounded: float) -> None:
    assert excel_round(value, digits) == rounded


def test_total_is_exact_and_never_overflows() -> None:
    assert total([2117.38, 745.91]) == 2863.29
    assert total([1e308, 1e308]) is None
    assert total(["x", None, True]) == 0
