"""The library API: every public name resolves, is documented in docs/api.md, and
`import xltool` stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import xltool

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


@pytest.mark.parametrize("name", sorted(xltool.API))
def test_every_public_name_resolves_and_is_documented(name: str) -> None:
    assert getattr(xltool, name) is not None
    assert f"`{name}" in DOCS.read_text(encoding="utf-8")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = xltool.no_such_thing


def test_import_xltool_imports_no_stage() -> None:
    code = "import sys, json, xltool; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = json.loads(out.stdout)
    assert [m for m in modules if m.startswith("xltool.")] == []
    assert not {"openpyxl", "click", "pydantic"} & set(modules)


def test_the_api_verifies_a_sample(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_workbooks"
    files, _ = xltool.collect_paths([str(sample / "yuelu-commerce-2019.xlsx")])
    [result] = xltool.verify_paths(files, spec=xltool.load_builtin("dept-overall"))
    assert result.status == "ok"
    assert json.dumps(xltool.report_json([result]), ensure_ascii=False)
