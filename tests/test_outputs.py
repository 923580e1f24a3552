"""The issuer's outputs: repaired forms, annotated copies, the roll-up."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltool.checking.repair import repair
from xltool.checking.verify import verify_file, verify_paths
from xltool.cli import main
from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.write import IssueInfo, write_form
from xltool.reading.read import read_form
from xltool.render.summary import write_summary

from .conftest import SAMPLES, SEED_DATA
from .faulty import VARIANTS, seed_bytes
from .libreoffice import needs_libreoffice, recalc_convert

FAULTY = SAMPLES / "faulty"
UNREPAIRABLE = {"file-encrypted", "file-legacy-format", "file-unreadable", "template-unknown"}


@pytest.mark.parametrize(
    "variant", [v for v in VARIANTS if v.name not in UNREPAIRABLE], ids=lambda v: v.name
)
def test_repair_restores_formulas_and_keeps_the_filers_values(variant, tmp_path: Path) -> None:
    src = tmp_path / "in.xlsx"
    src.write_bytes(variant.make(seed_bytes()))
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "out.xlsx"
    repaired = repair(src, out)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    codes = {f.code for f in verify_file(out).findings}
    assert not {c for c in codes if c.startswith("formula-") or c == "structure-changed"}, codes
    assert not codes & {
        "cached-value-mismatch",
        "sheet-renamed",
        "template-version",
        "fund-sum-mismatch",
    }
    original, fresh = read_form(src), read_form(out)
    dropped = {d.cell for d in repaired.dropped}
    for name, value in original.values.items():
        if f"{original.sheet}!{original.cell(name)}" not in dropped:
            assert fresh.values.get(name) == value, name
    if "indicators" not in original.missing_blocks:
        kept = [r.values for r in original.indicators]
        assert [r.values for r in fresh.indicators] == kept
    else:
        assert "indicators" in {d.label for d in repaired.dropped}


def test_repair_lists_what_it_could_not_carry(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["repair", str(FAULTY / "not-a-number.xlsx"), "-o", str(tmp_path / "r.xlsx")]
    )
    assert result.exit_code == 0, result.output
    assert "自评表!B4（人员编制）「十六人」" in result.stdout
    again = CliRunner().invoke(
        main, ["repair", str(FAULTY / "not-a-number.xlsx"), "-o", str(tmp_path / "r.xlsx")]
    )
    assert again.exit_code == 2 and "--force" in again.stderr
    bad = CliRunner().invoke(
        main, ["repair", str(FAULTY / "file-encrypted.xlsx"), "-o", str(tmp_path / "e.xlsx")]
    )
    assert bad.exit_code == 2 and "无法修复" in bad.stderr and "Traceback" not in bad.output


def test_annotated_copy_marks_each_finding_and_links_to_it(tmp_path: Path) -> None:
    src = FAULTY / "score-over-points.xlsx"
    before = (hashlib.sha256(src.read_bytes()).hexdigest(), src.stat().st_mtime_ns)
    result = CliRunner().invoke(main, ["verify", str(src), "--annotate", str(tmp_path)])
    assert result.exit_code == 1
    assert (hashlib.sha256(src.read_bytes()).hexdigest(), src.stat().st_mtime_ns) == before
    wb = openpyxl.load_workbook(tmp_path / "score-over-points-校验.xlsx")
    assert wb.sheetnames[0] == "校验结果"
    cell = wb["自评表"]["H14"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "得分 6 超过分值 4" in cell.comment.text
    assert wb["校验结果"]["A2"].value.startswith("本表有 1 个错误、0 个警告")
    rows = list(wb["校验结果"].iter_rows(min_row=5, values_only=False))
    assert (rows[0][1].value, rows[0][2].value) == ("得分超过分值", "score-over-points")
    assert (
        rows[0][4].hyperlink.location == "'自评表'!H14"
        or rows[0][4].hyperlink.target == "#'自评表'!H14"
    )
    assert "请改为不超过 4 的数" in rows[0][5].value


def test_rerunning_annotate_keeps_the_report_and_notes_the_existing_copy(tmp_path: Path) -> None:
    src = FAULTY / "score-over-points.xlsx"
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["verify", str(src), "--annotate", str(out)])
    assert first.exit_code == 1
    again = CliRunner().invoke(main, ["verify", str(src), "--annotate", str(out)])
    # the report still prints, the exit code still reflects the findings
    assert again.exit_code == 1, again.output
    assert "score-over-points" in again.stdout and "已存在" in again.stdout
    # the copies folder is never read as input of the same run, even when it is inside it
    inside = CliRunner().invoke(
        main, ["verify", str(src.parent), "--annotate", str(out), "--format", "json"]
    )
    paths = [f["path"] for f in json.loads(inside.stdout)["files"]]
    assert not any(str(out) in p for p in paths)


def _returns(tmp_path: Path, departments: list[tuple[str, str]]) -> list[Path]:
    spec = load_builtin("dept-overall")
    base = FormData.model_validate_json(SEED_DATA.read_text(encoding="utf-8"))
    paths = []
    for i, (code, name) in enumerate(departments):
        data = base.model_copy(deep=True)
        data.fields.update(code=code, department=name, fund_current_executed=1000 + 100 * i)
        data.indicators[0]["score"] = 4 - i % 3
        data.indicators[0]["reason"] = "未完成"
        path = tmp_path / f"{i}-{code}.xlsx"
        write_form(path, spec, data)
        paths.append(path)
    return paths


def test_summary_rolls_up_departments_sorted_with_live_totals(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://x","y")'
    paths = _returns(tmp_path, [("103", "丙局"), ("101", evil), ("102", "+cmd|' /C calc'!A0")])
    paths.append(FAULTY / "file-unreadable.xlsx")
    out = tmp_path / "sum.xlsx"
    result = CliRunner().invoke(main, ["summary", *map(str, paths), "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["汇总", "指标明细", "问题清单"]
    ws = wb["汇总"]
    head = [c.value for c in ws[1]]
    assert head == [
        "部门名称",
        "部门编码",
        "年度",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "执行率",
        "总分",
        "等级",
        "状态",
        "错误数",
        "警告数",
        "文件",
    ]
    codes = [ws.cell(r, 2).value for r in range(2, 6)]
    assert codes[:3] == ["101", "102", "103"]  # sorted by code; the unreadable file last
    assert ws["A2"].value == evil and ws["A2"].data_type == "s"
    assert ws["A3"].value.startswith("+cmd") and ws["A3"].data_type == "s"
    assert ws["J5"].value == "待修改"  # unreadable: to fix, and out of the totals
    assert ws["I5"].value is None  # no grade for a return that is not valid
    assert ws["A6"].value == "合计（仅通过）"
    assert ws["F6"].value == '=SUMIFS(F2:F5,J2:J5,"通过")'
    assert ws["G6"].value.startswith("=IF(AND(ISNUMBER(E6),E6<>0),F6/E6")
    assert ws["I2"].value == "优"
    assert len(wb["图表"]._charts) == 2 and not ws._charts
    detail = wb["指标明细"]
    assert detail.max_row == 1 + 3 * 20
    problems = [r[2] for r in wb["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert "file-unreadable" in problems


def test_summary_keeps_the_newest_of_duplicate_returns(tmp_path: Path) -> None:
    old, new = _returns(tmp_path, [("101", "甲局"), ("101", "甲局")])
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    out = tmp_path / "s.xlsx"
    results = verify_paths([new, old], jobs=1)
    with out.open("wb") as f:
        dupes = write_summary(f, results)
    assert [(d.kept, d.dropped) for d in dupes] == [(str(new), [str(old)])]
    wb = openpyxl.load_workbook(out)
    assert wb["汇总"]["M2"].value == str(new) and wb["汇总"]["A3"].value == "合计（仅通过）"
    assert wb["重复报送"]["D2"].value == str(old)
    # both workbooks say they were saved in the same second: the file time decided
    assert wb["重复报送"]["C2"].value == "文件修改时间"


@needs_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_rollup_and_prints_both_outputs(tmp_path: Path) -> None:
    paths = _returns(tmp_path, [("101", "甲局"), ("102", "乙局"), ("103", "丙局")])
    out = tmp_path / "sum.xlsx"
    with out.open("wb") as f:
        write_summary(f, verify_paths(paths, jobs=2))
    lo = openpyxl.load_workbook(recalc_convert(out, tmp_path / "lo"), data_only=True)["汇总"]
    for col in "DEF":
        assert lo[f"{col}5"].value == pytest.approx(sum(lo[f"{col}{r}"].value for r in range(2, 5)))
    assert lo["G5"].value == pytest.approx(lo["F5"].value / lo["E5"].value)
    assert recalc_convert(out, tmp_path / "pdf", "pdf").stat().st_size > 1000
    ann = tmp_path / "ann"
    CliRunner().invoke(
        main, ["verify", str(FAULTY / "reason-missing.xlsx"), "--annotate", str(ann)]
    )
    assert (
        recalc_convert(ann / "reason-missing-校验.xlsx", tmp_path / "pdf", "pdf").stat().st_size
        > 1000
    )


def test_summary_never_lets_a_file_displace_the_department_its_cells_claim(tmp_path: Path) -> None:
    """Outside a campaign too: a signed form is its issued department's, whatever its
    cells say; the other department's own return stays in the roll-up."""
    spec = load_builtin("dept-overall")
    base = FormData.model_validate_json(SEED_DATA.read_text(encoding="utf-8"))
    paths = []
    for code, name in (("101", "甲局"), ("102", "乙局")):
        data = base.model_copy(deep=True)
        data.fields.update(code=code, department=name)
        path = tmp_path / f"{code}.xlsx"
        write_form(path, spec, data, info=IssueInfo(prefill_keys=("code", "department")))
        paths.append(path)
    wb = openpyxl.load_workbook(paths[1])
    wb["自评表"]["F2"], wb["自评表"]["B2"] = "101", "甲局"  # 乙局 typed 甲局's code and name
    wb.save(paths[1])
    out = tmp_path / "s.xlsx"
    with out.open("wb") as f:
        dupes = write_summary(f, verify_paths(paths, jobs=1))
    assert dupes == []
    ws = openpyxl.load_workbook(out)["汇总"]
    assert [(ws.cell(r, 2).value, ws.cell(r, 1).value) for r in (2, 3)] == [
        ("101", "甲局"),
        ("102", "乙局"),
    ]


def test_repair_lists_every_value_it_changes(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        main, ["repair", str(FAULTY / "fund-sum-mismatch.xlsx"), "-o", str(tmp_path / "r.xlsx")]
    )
    assert out.exit_code == 0, out.output
    assert "以下 1 项带入后与原文件不同" in out.stdout
    assert "「9999」：手填的值已换回公式，现为 5071.49" in out.stdout
    text = CliRunner().invoke(
        main, ["repair", str(FAULTY / "number-as-text.xlsx"), "-o", str(tmp_path / "t.xlsx")]
    )
    assert "「2,117.38」：文本改为数字 2117.38" in text.stdout
