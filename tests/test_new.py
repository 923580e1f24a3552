"""`xltool new`: what an issued workbook contains, read back with openpyxl."""

from __future__ import annotations

import contextlib
import csv
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from xltool.cli import main
from xltool.forms.layout import compute_layout, plan_groups
from xltool.forms.meta import META_SHEET
from xltool.forms.model import FormData
from xltool.forms.write import write_form
from xltool.safeio import safe_stem, unique_names

from .conftest import SEED_DATA, named_cell

PUBLIC_NAMES = [
    "department",
    "year",
    "duties",
    "staff_quota",
    "staff_actual",
    *(
        f"fund_{row}_{col}"
        for row in ("total", "current", "carryover", "other")
        for col in ("initial", "adjusted", "executed")
    ),
    "fund_total_points",
    "fund_total_rate",
    "fund_total_score",
    "goal_expected",
    "goal_actual",
    "indicators",
    "total_points",
    "total_score",
]


def run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_new_with_no_options_writes_a_blank_template_into_forms(tmp_path: Path) -> None:
    runner = CliRunner()
    with contextlib.chdir(tmp_path):
        result = runner.invoke(main, ["new"])
        assert result.exit_code == 0, result.output
        files = list((tmp_path / "forms").glob("*.xlsx"))
        assert [f.name for f in files] == ["部门整体支出绩效自评表.xlsx"]
        wb = openpyxl.load_workbook(files[0])
        assert wb.sheetnames[:2] == ["自评表", "填表说明"]
        # the standard framework, two spare rows per 二级指标 group
        assert named_cell(wb, "total_points").value == "=SUM(G13:G30)"


def test_new_never_overwrites_without_force(tmp_path: Path) -> None:
    runner = CliRunner()
    with contextlib.chdir(tmp_path):
        assert runner.invoke(main, ["new"]).exit_code == 0
        target = tmp_path / "forms" / "部门整体支出绩效自评表.xlsx"
        before = target.read_bytes()
        again = runner.invoke(main, ["new"])
        assert again.exit_code == 2
        assert "--force" in again.stderr and "Traceback" not in again.output
        assert target.read_bytes() == before
        assert runner.invoke(main, ["new", "--force"]).exit_code == 0
        assert not list(target.parent.glob(".~xltool-*")), "no temp file is left behind"


def test_issued_workbook_defines_every_public_name(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    for name in PUBLIC_NAMES:
        assert name in wb.defined_names, name
        sheet, _ref = next(iter(wb.defined_names[name].destinations))
        assert sheet == "自评表"
    assert named_cell(wb, "department").value == "岳麓区商务局"
    assert named_cell(wb, "year").value == 2019
    assert named_cell(wb, "staff_quota").value == 16
    assert named_cell(wb, "fund_current_adjusted").value == 4325.58
    # `indicators` spans exactly the 8 indicator columns, every row including spares
    _sheet, ref = next(iter(wb.defined_names["indicators"].destinations))
    rng = wb["自评表"][ref.replace("$", "")]
    assert len(rng[0]) == 8
    assert [c.value for c in rng[0]][:3] == ["产出指标", "数量指标", "指标1：社会消费品零售"]
    assert len(rng) == 20 + 9 * 2  # 20 seed indicators + 2 spares in each of 9 groups
    header = [c.value for c in wb["自评表"][rng[0][0].row - 1][1:9]]
    assert header == [
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]


def test_issued_workbook_has_live_formulas_over_the_whole_block(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["自评表"]
    total = named_cell(wb, "fund_total_initial")
    assert total.value == f"=SUM(D{total.row + 1}:D{total.row + 3})"
    rate = named_cell(wb, "fund_total_rate").value
    assert (
        rate
        == f'=IF(AND(ISNUMBER(F{total.row}),ISNUMBER(E{total.row})),IF(E{total.row}<>0,F{total.row}/E{total.row},""),"")'
    )
    _sheet, ref = next(iter(wb.defined_names["indicators"].destinations))
    first, last = (int("".join(ch for ch in part if ch.isdigit())) for part in ref.split(":"))
    assert named_cell(wb, "total_points").value == f"=SUM(G{first}:G{last})"
    assert named_cell(wb, "total_score").value == f"=SUM(H{first}:H{last})"
    assert named_cell(wb, "fund_total_score").value == f"=H{last + 1}"
    assert ws[f"G{total.row + 1}"].value == "—"  # sub-rows carry no points
    for row in ("current", "carryover", "other"):
        assert str(named_cell(wb, f"fund_{row}_rate").value).startswith("=IF(AND(ISNUMBER(")


def test_formula_cells_cache_the_python_result(seed_xlsx: Path, blank_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx, data_only=True)
    assert round(named_cell(wb, "fund_total_rate").value, 4) == 0.6646
    assert named_cell(wb, "fund_total_adjusted").value == 5071.49
    assert named_cell(wb, "total_points").value == 100
    assert named_cell(wb, "total_score").value == 98.5
    assert named_cell(wb, "fund_total_score").value == 98.5
    assert named_cell(wb, "fund_other_rate").value in ("", None)  # no budget: blank, not #DIV/0!
    blank = openpyxl.load_workbook(blank_xlsx, data_only=True)
    assert named_cell(blank, "total_score").value == 0
    assert named_cell(blank, "fund_total_rate").value in ("", None)


def test_inputs_are_unlocked_and_shaded_labels_and_formulas_locked(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["自评表"]
    assert ws.protection.sheet is True
    assert ws.protection.formatCells is False  # False means "not protected": filers may format
    assert ws.protection.formatRows is False and ws.protection.formatColumns is False
    for name in ("fund_current_initial", "duties", "staff_actual", "goal_actual"):
        cell = named_cell(wb, name)
        assert cell.protection.locked is False, name
        assert cell.fill.fgColor.rgb.endswith("FFF7D6"), name
    for name in ("fund_total_initial", "fund_total_rate", "total_score"):
        assert named_cell(wb, name).protection.locked is True, name
    assert ws["A1"].protection.locked is True
    # prefilled by the issuer: locked; the filer's columns stay open
    first = named_cell(wb, "indicators").row
    assert ws[f"D{first}"].protection.locked is True  # 三级指标, prefilled
    assert ws[f"G{first}"].protection.locked is True  # 分值, prefilled
    assert ws[f"H{first}"].protection.locked is False  # 得分
    assert ws[f"I{first}"].protection.locked is False  # reason


def test_workbook_structure_is_protected(seed_xlsx: Path) -> None:
    with zipfile.ZipFile(seed_xlsx) as z:
        workbook_xml = z.read("xl/workbook.xml").decode()
    assert '<workbookProtection lockStructure="1"/>' in workbook_xml
    wb = openpyxl.load_workbook(seed_xlsx)
    assert wb.security.lockStructure


def test_password_protects_sheet_and_structure(tmp_path: Path, spec, seed_data) -> None:
    from xltool.forms.write import IssueInfo

    path = tmp_path / "pw.xlsx"
    write_form(path, spec, seed_data, info=IssueInfo(password="秘密1"))
    wb = openpyxl.load_workbook(path)
    assert wb["自评表"].protection.password
    assert wb.security.workbookPassword


def test_merged_title_font_and_formats(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["自评表"]
    # the title follows the year and name the filer enters, and is saved as issued
    assert (
        ws["A1"].value
        == '=IF(H2="","____年度",H2&"年度")&IF(B2="","__________",B2)&"整体支出绩效自评表"'
    )
    cached = openpyxl.load_workbook(seed_xlsx, data_only=True)["自评表"]["A1"].value
    assert cached == "2019年度岳麓区商务局整体支出绩效自评表"
    assert "A1:I1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.name == "宋体"
    assert named_cell(wb, "fund_current_initial").number_format == "0.00"
    assert named_cell(wb, "fund_total_rate").number_format == "0.00%"
    assert named_cell(wb, "duties").alignment.wrap_text
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["D"].width > ws.column_dimensions["G"].width


def test_validations_carry_chinese_prompts(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["自评表"]
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_cell[str(rng).split(":")[0]] = dv
    staff = by_cell[named_cell(wb, "staff_quota").coordinate]
    assert (
        staff.type == "whole" and staff.operator == "greaterThanOrEqual" and staff.formula1 == "0"
    )
    amount = by_cell[named_cell(wb, "fund_current_adjusted").coordinate]
    assert amount.type == "decimal" and "万元" in amount.prompt
    first = named_cell(wb, "indicators").row
    score = by_cell[f"H{first}"]
    assert score.operator in (None, "between")  # "between" is the default and may be omitted
    assert (score.type, score.formula1, score.formula2) == ("decimal", "0", f"$G{first}")
    assert "分值" in score.error
    level1 = by_cell[f"B{first}"]
    assert level1.type == "list" and "产出指标" in level1.formula1
    level2 = by_cell[f"C{first}"]
    assert level2.type == "list"


def test_long_dropdown_lists_come_from_a_hidden_sheet(tmp_path: Path, spec) -> None:
    rows = [
        {
            "level1": "产出指标",
            "level2": f"很长很长的自定义二级指标名称第{i}号",
            "name": f"指标{i}",
            "points": 5,
        }
        for i in range(20)
    ]
    path = tmp_path / "long.xlsx"
    write_form(path, spec, FormData(indicators=rows))
    wb = openpyxl.load_workbook(path)
    assert wb["_lists"].sheet_state == "hidden"
    formulas = [
        dv.formula1 for dv in wb["自评表"].data_validations.dataValidation if dv.type == "list"
    ]
    assert "'_lists'!$A$1:$A$29" in formulas, formulas  # 9 standard + 20 custom 二级指标


def test_conditional_formats_flag_missing_reason_and_low_rate(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["自评表"]
    rules = {
        str(rng): [r.formula[0] for r in rs]
        for rng, rs in ws.conditional_formatting._cf_rules.items()
    }
    rules = {k.replace("<ConditionalFormatting ", "").rstrip(">"): v for k, v in rules.items()}
    first = named_cell(wb, "indicators").row
    reason = next(v for k, v in rules.items() if k.startswith(f"I{first}:"))
    assert reason == [
        f"AND(ISNUMBER($H{first}),ISNUMBER($G{first}),$H{first}<$G{first},LEN(TRIM($I{first}))=0)"
    ]
    rate = named_cell(wb, "fund_total_rate").coordinate
    assert rules[rate] == [f"AND(ISNUMBER({rate}),{rate}<0.9)"]


def test_metadata_sheet_is_very_hidden_and_properties_name_the_kind(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    meta_ws = wb[META_SHEET]
    assert meta_ws.sheet_state == "veryHidden"
    meta = {r[0]: r[1] for r in meta_ws.iter_rows(values_only=True)}
    assert meta["kind"] == "dept-overall" and meta["spec_version"] == "2"
    assert len(meta["spec_hash"]) == 64 and len(meta["layout"]) == 16
    assert meta["department"] == "岳麓区商务局" and meta["year"] == "2019"
    assert meta["issued_at"].startswith("20") and meta["xltool_version"]
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["xltool_kind"] == "dept-overall"
    assert props["xltool_spec_hash"] == meta["spec_hash"]
    assert props["xltool_layout"] == meta["layout"]


def test_instructions_sheet_explains_the_form(seed_xlsx: Path) -> None:
    ws = openpyxl.load_workbook(seed_xlsx)["填表说明"]
    text = "\n".join(str(r[0]) for r in ws.iter_rows(values_only=True) if r[0])
    for phrase in (
        "万元",
        "得分不得超过",
        "偏差原因分析及改进措施",
        "请勿覆盖",
        ".xlsx",
        "100 分",
        "岳麓区商务局",
    ):
        assert phrase in text, phrase
    assert ws.protection.sheet


def test_print_setup_is_a4_landscape_one_page_wide(seed_xlsx: Path) -> None:
    wb = openpyxl.load_workbook(seed_xlsx)
    ws = wb["自评表"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default and may be omitted
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    header = named_cell(wb, "indicators").row - 1  # the indicator table's header row
    assert ws.print_title_rows == f"${header}:${header}"
    assert "&P" in ws.oddFooter.center.text


def test_spare_rows_follow_the_option(spec) -> None:
    groups = plan_groups(spec, [], spare_rows=5)
    assert [len(g.rows) for g in groups] == [5] * 9
    layout = compute_layout(spec, groups)
    assert layout.indicator_last - layout.indicator_first + 1 == 45
    seed = plan_groups(
        spec, [{"level1": "产出指标", "level2": "数量指标", "name": "x", "points": 100}], 0
    )
    assert [len(g.rows) for g in seed] == [1]


def _write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


INDICATORS = [
    ["一级指标", "二级指标", "三级指标", "年度指标值", "分值"],
    ["产出指标", "数量指标", "指标1：培训人次", "≥500人次", "40"],
    ["产出指标", "质量指标", "指标1：合格率", "≥95%", "30"],
    ["满意度指标", "服务对象满意度指标", "指标1：满意度", "≥90%", "30"],
]


def test_roster_issues_one_workbook_per_department(tmp_path: Path) -> None:
    roster = _write_csv(
        tmp_path / "roster.csv",
        [
            ["部门名称", "部门编码", "人员编制", "fund_current_adjusted"],
            ["岳麓区商务局", "101", "16", "4,325.58"],
            ["岳麓区财政局", "102", "30", "100"],
            ['区"数据"局:一/二', "", "5", ""],
        ],
    )
    indicators = _write_csv(tmp_path / "ind.csv", INDICATORS)
    out = tmp_path / "out"
    code, stdout, _ = run(
        [
            "new",
            "--roster",
            str(roster),
            "--indicators",
            str(indicators),
            "--year",
            "2025",
            "--out",
            str(out),
        ],
        tmp_path,
    )
    assert code == 0
    assert "3" in stdout
    names = sorted(p.name for p in out.glob("*.xlsx"))
    assert names == ["101-岳麓区商务局.xlsx", "102-岳麓区财政局.xlsx", "区_数据_局_一_二.xlsx"]
    wb = openpyxl.load_workbook(out / "101-岳麓区商务局.xlsx")
    assert named_cell(wb, "fund_current_adjusted").value == 4325.58
    assert named_cell(wb, "staff_quota").value == 16
    assert named_cell(wb, "year").value == 2025
    ws = wb["自评表"]
    first = named_cell(wb, "indicators").row
    assert [ws.cell(first, c).value for c in range(2, 8)] == [
        "产出指标",
        "数量指标",
        "指标1：培训人次",
        "≥500人次",
        None,
        40,
    ]
    # each group: its row + 2 spares
    assert ws.cell(first + 3, 4).value == "指标1：合格率"


def test_roster_may_be_xlsx_with_key_headings(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["department", "code", "staff_actual"])
    wb.active.append(["甲局", "A1", 7])
    wb.save(tmp_path / "r.xlsx")
    code, _, _ = run(
        ["new", "--roster", str(tmp_path / "r.xlsx"), "--out", str(tmp_path / "o")], tmp_path
    )
    assert code == 0
    assert (
        named_cell(openpyxl.load_workbook(tmp_path / "o" / "A1-甲局.xlsx"), "staff_actual").value
        == 7
    )


@pytest.mark.parametrize(
    ("roster", "indicators", "needle"),
    [
        ([["部门编码"], ["101"]], None, "部门名称"),
        ([["部门名称"], ["甲局"], ["甲局"]], None, "重复"),
        (
            [["部门名称"], ["甲局"]],
            [INDICATORS[0], ["产出指标", "数量指标", "x", "", "99"]],
            "分值合计为 99",
        ),
        (
            [["部门名称"], ["甲局"]],
            [INDICATORS[0], ["产出指标", "社会效益指标", "x", "", "100"]],
            "不是「产出指标」下的二级指标",
        ),
        (
            [["部门名称"], ["甲局"]],
            [INDICATORS[0], ["产出指标", "数量指标", "x", "", "十分"]],
            "不是数字",
        ),
        ([["部门名称", "人员编制"], ["甲局", "abc"]], None, "不是数字"),
        ([["部门名", "x"], ["甲局", "1"]], None, "未知的列"),
    ],
)
def test_bad_input_to_new_is_one_line_and_exit_2(
    tmp_path: Path, roster, indicators, needle
) -> None:
    args = [
        "new",
        "--roster",
        str(_write_csv(tmp_path / "r.csv", roster)),
        "--out",
        str(tmp_path / "o"),
    ]
    if indicators:
        args += ["--indicators", str(_write_csv(tmp_path / "i.csv", indicators))]
    code, _, stderr = run(args, tmp_path)
    assert code == 2
    assert needle in stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_unreadable_roster_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "roster.xlsx"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    code, _, stderr = run(["new", "--roster", str(bad)], tmp_path)
    assert code == 2 and "无法按 XLSX 读取" in stderr and len(stderr.strip().splitlines()) == 1
    code, _, stderr = run(["new", "--roster", str(tmp_path / "missing.csv")], tmp_path)
    assert code == 2 and "找不到" in stderr


def test_english_messages_on_request(tmp_path: Path) -> None:
    roster = _write_csv(tmp_path / "r.csv", [["部门编码"], ["1"]])
    code, _, stderr = run(["--lang", "en", "new", "--roster", str(roster)], tmp_path)
    assert code == 2 and "no 部门名称 (department) column" in stderr


def test_new_from_data_fills_the_form(tmp_path: Path) -> None:
    code, _, _ = run(["new", "--data", str(SEED_DATA), "--out", str(tmp_path)], tmp_path)
    assert code == 0
    wb = openpyxl.load_workbook(tmp_path / "岳麓区商务局.xlsx")
    ws = wb["自评表"]
    first = named_cell(wb, "indicators").row
    reasons = [ws.cell(r, 9).value for r in range(first, first + 40) if ws.cell(r, 9).value]
    assert reasons == ["因为须经市商务局组织的联合验收通过以后才能拨付执行，年底还没完全验收。"]


@given(st.text(max_size=200))
def test_file_names_are_safe_on_windows(text: str) -> None:
    stem = safe_stem(text)
    assert stem and len(stem) <= 120
    assert not set(stem) & set('\\/:*?"<>|') and all(ord(c) >= 32 for c in stem)
    assert not stem.endswith((".", " "))
    assert stem.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


def test_file_names_are_unique_within_a_batch() -> None:
    assert unique_names(["a", "A", "a", "b"], ".xlsx") == [
        "a.xlsx",
        "A-2.xlsx",
        "a-3.xlsx",
        "b.xlsx",
    ]


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path, spec) -> None:
    evil = '=HYPERLINK("http://x","y")'
    path = tmp_path / "e.xlsx"
    write_form(path, spec, FormData(fields={"department": evil, "duties": "+cmd|' /C calc'!A0"}))
    wb = openpyxl.load_workbook(path)
    cell = named_cell(wb, "department")
    assert cell.value == evil and cell.data_type == "s"
    assert named_cell(wb, "duties").data_type == "s"


def test_committed_sample_is_what_its_data_file_makes(tmp_path: Path, spec, seed_data) -> None:
    fresh = tmp_path / "fresh.xlsx"
    write_form(fresh, spec, seed_data)
    committed = openpyxl.load_workbook(SEED_DATA.with_suffix(".xlsx"))
    made = openpyxl.load_workbook(fresh)

    def cells(wb: openpyxl.Workbook) -> dict[str, object]:
        return {
            c.coordinate: c.value
            for row in wb["自评表"].iter_rows()
            for c in row
            if c.value is not None
        }

    assert cells(committed) == cells(made)
    assert set(committed.defined_names) == set(made.defined_names)


def test_merged_free_text_cells_start_with_room_for_four_lines(blank_xlsx: Path) -> None:
    """Excel never grows a row of merged cells: a blank form gives 部门职责 and the goals
    room to start with (and no customHeight, so LibreOffice and WPS grow them further)."""
    import re
    import zipfile

    wb = openpyxl.load_workbook(blank_xlsx)
    with zipfile.ZipFile(blank_xlsx) as zf:  # openpyxl reports any height as custom
        rows = dict(
            re.findall(r'<row r="(\d+)"([^>]*)>', zf.read("xl/worksheets/sheet1.xml").decode())
        )
    for name in ("duties", "goal_expected"):
        row = named_cell(wb, name).row
        assert wb["自评表"].row_dimensions[row].height >= 4 * 14.5, name
        assert "customHeight" not in rows[str(row)], name
