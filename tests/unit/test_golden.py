"""The issued forms, part by part, against committed golden files (XlsxWriter's way of
testing): a change of format, validation, conditional format, protection, print setup
or formula shows here and is reviewed. Only what changes on every issue is ignored.
After an intended change: ``python -m tests.golden --write`` and review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden import FORMS, GOLDEN, differences, issue


@pytest.mark.parametrize("form", FORMS)
def test_issued_form_matches_golden(form: str, tmp_path: Path) -> None:
    issued = tmp_path / f"{form}.xlsx"
    issue(form, issued)
    assert differences(GOLDEN / f"{form}.xlsx", issued) == []


def test_the_comparison_sees_a_changed_format(tmp_path: Path) -> None:
    """The comparison can fail: a single changed fill colour is a difference."""
    import zipfile

    golden = GOLDEN / f"{FORMS[0]}.xlsx"
    changed = tmp_path / "changed.xlsx"
    with zipfile.ZipFile(golden) as src, zipfile.ZipFile(changed, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/styles.xml":
                data = data.replace(b"FFFFF7D6", b"FFFFFFFF", 1)
            dst.writestr(item, data)
    found = differences(golden, changed)
    assert len(found) == 1 and found[0].startswith("xl/styles.xml")
