"""Issue 500 department workbooks from a roster and compare with a bare XlsxWriter loop.

The baseline writes the same cell values (labels, inputs, formula texts) with no formats,
validations, names, metadata or protection, with the same XlsxWriter options (in memory).
Both run in this process, one after the other.

    python benchmarks/bench_new.py [--count 500]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import xlsxwriter

from xltool.forms.cells import a1
from xltool.forms.kinds import load_builtin
from xltool.forms.layout import compute_layout, plan_groups
from xltool.forms.model import FormData
from xltool.forms.rules import IndicatorScore, ordered_rules, scored_by_formula
from xltool.round.issue import issue_forms, plan_forms

ROOT = Path(__file__).resolve().parent.parent


def make_roster(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "部门编码",
                "部门名称",
                "人员编制",
                "实有人数",
                "fund_current_initial",
                "fund_current_adjusted",
            ]
        )
        for i in range(count):
            w.writerow([f"{i:04d}", f"第{i}号部门", 10 + i % 7, 9 + i % 5, 100 + i, 120 + i])


def make_indicators(path: Path) -> None:
    seed = json.loads((ROOT / "sample_workbooks" / "yuelu-commerce-2019.json").read_text("utf-8"))
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["一级指标", "二级指标", "三级指标", "年度指标值", "分值"])
        for row in seed["indicators"]:
            w.writerow([row["level1"], row["level2"], row["name"], row["target"], row["points"]])


def bare_loop(forms: list[FormData], out: Path) -> None:
    """The same values in the same cells, plain: labels, inputs, formula text."""
    spec = load_builtin("dept-overall")
    rules = ordered_rules(spec)
    for i, form in enumerate(forms):
        bare_form(spec, form, rules, out / f"{i}.xlsx")


def bare_form(spec: Any, form: FormData, rules: list[Any], path: Path) -> None:
    """One form written plain: its labels, entries and rule formulas, its indicator rows'
    values, and a formula-scored row's formula text; no formats, validations, names,
    metadata or protection (also the baseline of bench_round.py)."""
    layout = compute_layout(spec, plan_groups(spec, form.indicators))
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "in_memory": True})
    ws = wb.add_worksheet(spec.sheet)
    for label in layout.labels:
        ws.write_string(label.area.row, label.area.col, label.text)
    for name, area in layout.fields.items():
        value = form.fields.get(name)
        if value is not None:
            ws.write(area.row, area.col, value)
    for rule in rules:
        area = layout.fields[rule.target]
        formula = rule.formula(layout.address)
        if formula is not None:  # a constant of the template is a field's value
            ws.write_formula(area.row, area.col, "=" + formula)
    _bare_rows(ws, spec, layout)
    wb.close()


def _bare_rows(ws: Any, spec: Any, layout: Any) -> None:
    """The indicator rows' values, and a formula-scored row's formula text."""
    score, columns = IndicatorScore(), layout.columns
    for group in layout.groups:
        for r, row in enumerate(group.rows, start=group.first):
            for key, col in columns.items():
                if row.get(key) is not None:
                    ws.write(r, col, row[key])
            if "score" in columns and scored_by_formula(spec, row):
                text = score.formula(lambda k, r=r: a1(r, columns[k]))
                ws.write_formula(r, columns["score"], "=" + text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    spec = load_builtin("dept-overall")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        make_roster(tmpdir / "roster.csv", args.count)
        make_indicators(tmpdir / "ind.csv")
        forms = plan_forms(
            spec, roster=tmpdir / "roster.csv", indicators=tmpdir / "ind.csv", year=2025
        )

        (tmpdir / "bare").mkdir()
        start = time.perf_counter()
        bare_loop(forms, tmpdir / "bare")
        bare = time.perf_counter() - start

        start = time.perf_counter()
        issue_forms(spec, forms, tmpdir / "xltool")
        ours = time.perf_counter() - start

    print(f"workbooks:            {args.count}")
    print(f"bare xlsxwriter loop: {bare:6.2f} s  {args.count / bare:6.1f} workbooks/s")
    print(f"xltool new:           {ours:6.2f} s  {args.count / ours:6.1f} workbooks/s")
    print(f"ratio xltool/bare:    {ours / bare:6.2f}")


if __name__ == "__main__":
    main()
