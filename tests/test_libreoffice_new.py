"""A real client recalculates what `xltool new` issues: LibreOffice, headless."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xltool.forms import write as write_module
from xltool.forms.model import FormData
from xltool.forms.write import write_form

from .conftest import SAMPLES, named_cell
from .libreoffice import needs_libreoffice, recalc_convert

pytestmark = [pytest.mark.libreoffice, needs_libreoffice]


def test_libreoffice_recalculates_the_sample_to_the_seed_figures(tmp_path: Path) -> None:
    out = recalc_convert(SAMPLES / "yuelu-commerce-2019.xlsx", tmp_path)
    wb = openpyxl.load_workbook(out, data_only=True)
    assert f"{named_cell(wb, 'fund_total_rate').value:.2%}" == "66.46%"
    assert named_cell(wb, "total_score").value == 98.5
    assert named_cell(wb, "total_points").value == 100
    assert named_cell(wb, "fund_total_score").value == 98.5
    assert named_cell(wb, "fund_total_adjusted").value == pytest.approx(5071.49)
    assert named_cell(wb, "fund_other_rate").value in ("", None)  # no #DIV/0!


def test_libreoffice_computes_the_formulas_not_our_cached_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec, seed_data: FormData
) -> None:
    # Issue the seed with every cached result blank: LibreOffice's figures must then
    # come from the formulas alone, and equal the Python face's.
    monkeypatch.setattr(write_module, "recompute", lambda *_args: {})
    path = tmp_path / "nocache.xlsx"
    write_form(path, spec, seed_data)
    monkeypatch.undo()
    before = openpyxl.load_workbook(path, data_only=True)
    assert named_cell(before, "total_score").value in ("", None)

    out = recalc_convert(path, tmp_path / "lo")
    lo = openpyxl.load_workbook(out, data_only=True)
    ours = openpyxl.load_workbook(SAMPLES / "yuelu-commerce-2019.xlsx", data_only=True)
    for name in [n for n in lo.defined_names if n != "indicators"]:
        got, want = named_cell(lo, name).value, named_cell(ours, name).value
        if isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-9), name
        else:
            assert (got or None) == (want or None), name


def test_libreoffice_keeps_names_and_protection(tmp_path: Path) -> None:
    out = recalc_convert(SAMPLES / "dept-overall-blank.xlsx", tmp_path)
    wb = openpyxl.load_workbook(out)
    assert {"department", "indicators", "total_score", "fund_total_rate"} <= set(wb.defined_names)
    assert wb["自评表"].protection.sheet
    assert named_cell(wb, "fund_current_initial").protection.locked is False
