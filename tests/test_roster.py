"""Rosters and indicators as bureaus keep them: title rows, contacts, Chinese fund
headings, per-department indicators; close-but-wrong headings refused with a suggestion."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xltool.errors import InputError
from xltool.forms.kinds import load_builtin
from xltool.round.issue import plan_forms
from xltool.round.roster import check_indicators_for, read_indicators, read_roster

from .campaign_helpers import write_indicators, write_roster

SPEC = load_builtin("dept-overall")


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def test_a_roster_with_a_title_row_contacts_and_chinese_fund_headings(tmp_path: Path) -> None:
    roster = read_roster(SPEC, write_roster(tmp_path / "r.xlsx", 3), need_code=True)
    d = roster.departments[1]
    assert (d.code, d.name, d.contact) == ("D02", "第2局", "联系人2")
    assert d.emails == ["d2@dept.example.cn", "office2@dept.example.cn"]
    assert d.fields == {"code": "D02", "department": "第2局", "fund_current_initial": 200}
    assert roster.ignored == ["备注"]  # listed, not fatal
    notes: list[tuple[str, str]] = []
    forms = plan_forms(SPEC, roster=tmp_path / "r.xlsx", notes=notes)
    assert "contact" not in forms[0].fields and forms[0].fields["fund_current_initial"] == 100
    assert "备注" in notes[0][0]


@pytest.mark.parametrize(
    ("heading", "suggestion"), [("部门代码", "部门编码"), ("电子邮件", "电子邮箱")]
)
def test_a_heading_close_to_a_known_one_is_refused_with_a_suggestion(
    tmp_path: Path, heading: str, suggestion: str
) -> None:
    path = _xlsx(tmp_path / "r.xlsx", [["部门名称", heading], ["甲局", "x"]])
    with pytest.raises(InputError) as caught:
        read_roster(SPEC, path)
    assert f"是否应为「{suggestion}」" in caught.value.zh and "did you mean" in caught.value.en


def test_bad_addresses_and_missing_codes_name_the_row(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "r.xlsx",
        [["部门编码", "部门名称", "电子邮箱"], ["1", "甲局", "a@b.cn，not-mail"]],
    )
    with pytest.raises(InputError, match="row 2, email: 'not-mail'"):
        read_roster(SPEC, path)
    path = _xlsx(tmp_path / "r2.xlsx", [["部门名称"], ["甲局"]])
    with pytest.raises(InputError, match="no 部门编码"):
        read_roster(SPEC, path, need_code=True)


def test_per_department_indicators(tmp_path: Path) -> None:
    roster = read_roster(SPEC, write_roster(tmp_path / "r.xlsx", 3), need_code=True)
    table = read_indicators(SPEC, write_indicators(tmp_path / "i.xlsx", 3))
    check_indicators_for(SPEC, table, roster, tmp_path / "i.xlsx")
    rows = table.rows_for(roster.departments[2])
    assert [r["name"] for r in rows] == ["完成项目数", "群众受益情况", "第3局服务满意度"]
    assert sum(r["points"] for r in rows) == 100
    # a department whose points do not add up is named; an owner not in the roster too
    bad = _xlsx(
        tmp_path / "bad.xlsx",
        [["部门编码", "一级指标", "二级指标", "三级指标", "分值"],
         [None, "产出指标", "数量指标", "共同", 70],
         ["D01", "满意度指标", "服务对象满意度指标", "甲", 30],
         ["D02", "满意度指标", "服务对象满意度指标", "乙", 20]],
    )  # fmt: skip
    with pytest.raises(InputError, match="D02 第2局"):
        check_indicators_for(SPEC, read_indicators(SPEC, bad), roster, bad)
    stray = _xlsx(
        tmp_path / "stray.xlsx",
        [
            ["部门编码", "一级指标", "二级指标", "三级指标", "分值"],
            ["X9", "产出指标", "数量指标", "甲", 100],
        ],
    )
    with pytest.raises(InputError, match="'X9' is not in the roster"):
        check_indicators_for(SPEC, read_indicators(SPEC, stray), roster, stray)


def test_year_and_the_rosters_year_must_agree(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "r.xlsx", [["部门名称", "年度"], ["甲局", 2024]])
    with pytest.raises(InputError, match="--year 2025 disagrees with the roster's 年度 2024"):
        plan_forms(SPEC, roster=path, year=2025)
