"""The worked example of a new check family in docs/forms.md, run as written: the class
goes into xltool/forms/checks_named.py's namespace (as if added to the file), the spec names it, and
`new`, `spec check` and `verify` use it with no other change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from xltool.cli import main
from xltool.findings import CATALOGUE
from xltool.forms import checks, checks_named

from .conftest import SEED_DATA

PAGE = Path(__file__).resolve().parent.parent / "docs" / "forms.md"


def _block(marker: str, language: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker} -->\s*```{language}\n(.*?)```", text, re.S)
    assert found, f"docs/forms.md lost its {marker}"
    return found.group(1)


def test_the_docs_check_family_is_one_class_and_one_spec_entry(tmp_path: Path) -> None:
    exec(_block("check-example", "python"), vars(checks_named))  # "add it to checks_named.py"
    assert "points_cap" in checks.FAMILIES and "points-over-cap" in CATALOGUE
    spec = tmp_path / "capped-dept.yaml"
    spec.write_text(_block("check-example-spec", "yaml"), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["spec", "check", str(spec)]).exit_code == 0

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(spec.read_text(encoding="utf-8").replace("most: 8", "cap: 8"), "utf-8")
    refused = runner.invoke(main, ["--lang", "en", "spec", "check", str(wrong)])
    assert refused.exit_code == 1 and "check 'points_cap' takes most" in refused.output

    data = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    data["kind"] = "capped-dept"
    (tmp_path / "data.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    form = tmp_path / "form.xlsx"
    made = runner.invoke(
        main, ["new", "--spec", str(spec), "--data", str(tmp_path / "data.json"), "-o", str(form)]
    )
    assert made.exit_code == 0, made.output

    # the Excel face: the 分值 column turns red above 8 while the filer types
    ws = openpyxl.load_workbook(form)["自评表"]
    rules = [
        (str(cf.sqref), rule.formula[0])
        for cf in ws.conditional_formatting
        for rule in cf.rules
        if rule.formula
    ]
    assert ("G13:G50", "AND(ISNUMBER($G13),$G13>8)") in rules, rules

    # the Python face: the seed's three 10-point indicators, each at its cell
    checked = runner.invoke(
        main, ["--lang", "en", "verify", "--spec", str(spec), "--format", "json", str(form)]
    )
    report = json.loads(checked.stdout)
    over = [f for f in report["files"][0]["findings"] if f["code"] == "points-over-cap"]
    assert [f["cell"] for f in over] == ["G38", "G45", "G48"], over
    assert over[0]["message"].endswith("is worth 10 points; no indicator may be worth more than 8")
    assert checked.exit_code == 1
