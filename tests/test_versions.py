"""Released spec versions are kept: a form issued under version 1 (before the
填报单位 line) verifies exactly as before, read with the layout it was issued with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xltool.checking.verify import verify_file
from xltool.forms.kinds import builtin_kinds, load_builtin, load_spec, released_version
from xltool.forms.model import FormData
from xltool.forms.write import write_form
from xltool.paths import templates_dir
from xltool.reading.read import read_form

from .conftest import SAMPLES


@pytest.mark.parametrize(
    ("kind", "sample", "version"),
    [
        ("dept-overall", "yuelu-commerce-2019.json", 1),
        ("project", "project-2019-farm-markets.json", 1),
        ("project", "project-2019-farm-markets.json", 2),
        ("dept-overall-10-90", "dept-2021-10-90.json", 1),
    ],
)
def test_a_form_issued_under_an_earlier_version_verifies_exactly(
    kind: str, sample: str, version: int, tmp_path: Path
) -> None:
    old = load_spec(templates_dir() / f"{kind}@{version}.yaml")
    current = load_builtin(kind)
    assert old.version == version < current.version
    data = FormData.model_validate(json.loads((SAMPLES / sample).read_text(encoding="utf-8")))
    path = tmp_path / "v1.xlsx"
    write_form(path, old, data)
    result = verify_file(path)
    assert result.findings == [] and result.status == "ok", [
        f.message("en") for f in result.findings
    ]
    assert result.spec_version == version
    fresh = tmp_path / "current.xlsx"
    write_form(fresh, current, data)
    assert verify_file(fresh).totals == result.totals  # the same figures either way
    added = "filer_unit" if version == 1 else "project_code"  # what the next version added
    assert added in read_form(fresh).positions and added not in read_form(path).positions


def test_released_versions_are_not_kinds() -> None:
    assert not any("@" in k for k in builtin_kinds())
    assert released_version("dept-overall", 1) is not None
    assert released_version("dept-overall", 7) is None


def test_a_version_xltool_does_not_have_is_still_template_version(tmp_path: Path) -> None:
    from .faulty import VARIANTS, seed_bytes

    variant = next(v for v in VARIANTS if v.name == "template-version")
    path = tmp_path / "v0.xlsx"
    path.write_bytes(variant.make(seed_bytes()))
    assert "template-version" in [f.code for f in verify_file(path).findings]
