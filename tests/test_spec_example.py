"""The worked example of an issuer-defined kind in docs/forms.md, run as written; and
`xltool spec`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltool.cli import main
from xltool.forms.kinds import load_spec

from .conftest import SEED_DATA, named_cell

PAGE = Path(__file__).resolve().parent.parent / "docs" / "forms.md"


def example_spec(tmp_path: Path) -> Path:
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"<!-- spec-example -->\s*```yaml\n(.*?)```", text, re.S)
    assert block, "docs/forms.md lost its worked example"
    path = tmp_path / "district-dept.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    return path


def filled(tmp_path: Path) -> Path:
    data = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    data["kind"] = "district-dept"
    for row in data["indicators"]:  # 10 + 90: the indicators are worth 90
        row["points"] = row["score"] = row["points"] * 0.9
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_docs_example_defines_a_kind_that_issues_and_verifies(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("XLTOOL_SPECS", str(tmp_path / "no-specs-here"))
    spec_file = example_spec(tmp_path)
    runner = CliRunner()
    checked = runner.invoke(main, ["spec", "check", str(spec_file)])
    assert checked.exit_code == 0, checked.output
    spec = load_spec(spec_file)
    assert (
        spec.kind == "district-dept"
        and spec.profile.points_total == 90
        and spec.profile.rate_warning_below == 0.85
    )
    out = tmp_path / "out"
    made = runner.invoke(
        main, ["new", "--spec", str(spec_file), "--data", str(filled(tmp_path)), "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    form = next(out.glob("*.xlsx"))
    wb = openpyxl.load_workbook(form, data_only=True)
    assert named_cell(wb, "fund_total_points").value == 10
    ok = runner.invoke(main, ["verify", "--spec", str(spec_file), str(form), "--format", "json"])
    report = json.loads(ok.stdout)["files"][0]
    assert ok.exit_code == 0, report["findings"]
    assert report["kind"] == "district-dept"
    assert report["totals"]["score"] == pytest.approx(
        round(10 * 3370.55 / 5071.49, 2) + 90
    )  # 6.65 + 90
    missing = runner.invoke(main, ["verify", str(form), "--format", "json"])
    finding = json.loads(missing.stdout)["files"][0]["findings"][0]
    assert (
        finding["code"] == "template-unknown"
        and "district-dept" in finding["message"]
        and "--spec" in finding["message"]
    )
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "district-dept.yaml").write_text(
        spec_file.read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setenv("XLTOOL_SPECS", str(specs))
    found = runner.invoke(main, ["verify", str(form)])
    assert found.exit_code == 0, found.output
    listed = runner.invoke(main, ["spec", "list"])
    assert "district-dept" in listed.stdout and "project" in listed.stdout


def test_spec_check_reports_every_error_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: bad\nversion: x\nname: n\nsheet: s\ntitle: t\nprofile: {name: p, points_total: 100}\n"
        "fields: {}\nblocks:\n  - type: title\n  - type: nope\nrules: []\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["spec", "check", str(bad)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{bad}:2: version:")
    assert lines[1].startswith(f"{bad}:10: blocks.1:") and "'title', 'header', 'funds'" in lines[1]


def test_spec_init_writes_an_editable_copy_and_show_prints_a_kind(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "mine.yaml"
    assert (
        runner.invoke(
            main, ["spec", "init", "mine", "--from", "project", "-o", str(target)]
        ).exit_code
        == 0
    )
    assert load_spec(target).kind == "mine"
    assert (
        runner.invoke(
            main, ["spec", "init", "mine", "--from", "project", "-o", str(target)]
        ).exit_code
        == 2
    )
    shown = runner.invoke(main, ["spec", "show", "project"])
    assert "kind: project" in shown.stdout
    unknown = runner.invoke(main, ["spec", "show", "nope"])
    assert unknown.exit_code == 2 and "dept-overall" in unknown.stderr
