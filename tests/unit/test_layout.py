"""Where the layout puts things, pinned per kind (the defined names are the public
contract of a form), and how the reader finds a block by its label when names are gone."""

from __future__ import annotations

import pytest

from xltool.forms.kinds import load_builtin
from xltool.forms.layout import Anchor, compute_layout, plan_groups
from xltool.reading.locate import _find_anchor, _label_index

POSITIONS = [
    # kind, field (or indicators.<column>), its address in a blank form
    ("dept-overall", "department", "B2"),
    ("dept-overall", "code", "F2"),
    ("dept-overall", "year", "H2"),
    ("dept-overall", "fund_total_adjusted", "E6"),
    ("dept-overall", "fund_total_rate", "H6"),
    ("dept-overall", "goal_actual", "F11"),
    ("dept-overall", "indicators.points", "G13:G30"),
    ("dept-overall", "total_points", "G31"),
    ("dept-overall", "total_score", "H31"),
    ("dept-overall-10-90", "total_score", "H31"),
    ("project", "project_name", "B2"),
    ("project", "year", "I2"),
    ("project", "project_code", "B3"),  # version 3: the project's and department's codes
    ("project", "department_code", "G3"),
    ("project", "fund_total_adjusted", "F6"),
    ("project", "fund_total_reason", "K6"),
    ("project", "indicators.points", "I13:I30"),
    ("project", "total_score", "J31"),
    ("project", "grade", "K31"),
]


@pytest.mark.parametrize(("kind", "name", "address"), POSITIONS)
def test_blank_form_positions(kind: str, name: str, address: str) -> None:
    spec = load_builtin(kind)
    assert compute_layout(spec, plan_groups(spec, [])).address(name) == address


def test_rows_follow_the_indicators_issued() -> None:
    spec = load_builtin("dept-overall")
    rows = [{"level1": "产出指标", "level2": "数量指标", "name": f"指标{i}"} for i in range(5)]
    layout = compute_layout(spec, plan_groups(spec, rows, spare_rows=1))
    assert (layout.indicator_first, layout.indicator_last) == (12, 17)  # 5 rows + 1 spare
    assert layout.address("total_points") == "G19"
    assert layout.address("indicators.score", absolute=True) == "$H$13:$H$18"


class _Cell:
    def __init__(self, value: str) -> None:
        self.value = value


LABELS = [
    # where the label now stands (0-based), where the layout put it, the shift found
    ((10, 1), (10, 1), (0, 0)),
    ((13, 1), (10, 1), (3, 0)),  # three rows inserted above
    ((10, 2), (10, 1), (0, 1)),  # a column inserted to its left
]


@pytest.mark.parametrize(("now", "issued", "shift"), LABELS)
def test_a_block_is_found_by_its_label_when_rows_move(
    now: tuple[int, int], issued: tuple[int, int], shift: tuple[int, int]
) -> None:
    index = _label_index({now: _Cell("三级 指标"), (0, 0): _Cell("标题")})
    anchor = Anchor("三级指标", issued[0], issued[1], ())
    assert _find_anchor(anchor, index) == shift


def test_the_nearest_of_two_labels_wins_and_a_missing_label_is_none() -> None:
    index = _label_index({(40, 1): _Cell("三级指标"), (11, 1): _Cell("三级指标")})
    assert _find_anchor(Anchor("三级指标", 10, 1, ()), index) == (1, 0)
    assert _find_anchor(Anchor("总分", 10, 1, ()), index) is None
