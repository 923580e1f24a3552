"""Property tests: whatever a filer types into any input cell, verify ends in findings,
never in an exception."""

from __future__ import annotations

import io
import tempfile
from datetime import datetime
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltool.checking.verify import verify_file
from xltool.reading.read import read_form

from .faulty import seed_bytes

SEED = seed_bytes()
_WB = openpyxl.load_workbook(io.BytesIO(SEED))
_WS = _WB["自评表"]
INPUT_CELLS = sorted(
    c.coordinate
    for row in _WS.iter_rows()
    for c in row
    if c.protection.locked is False and c.coordinate not in _WS.merged_cells
)

typed = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.booleans(),
    st.sampled_from(
        ["2,863.29", " 2863.29 ", "2863.29万元", "１２３", "66.46%", "−5", "=1/0", "#N/A", "1e400"]
    ),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(INPUT_CELLS), typed), min_size=1, max_size=6))
def test_any_value_in_any_input_cell_gives_findings_not_exceptions(edits) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(SEED))
    ws = wb["自评表"]
    for ref, value in edits:
        if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
            value = value.encode("unicode_escape").decode()  # openpyxl refuses control characters
        ws[ref] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.xlsx"
        wb.save(path)
        read_form(path)  # the reader itself does not raise on what a filer types
        result = verify_file(path)
    assert result.status in ("ok", "invalid")
    assert not any(f.internal or f.code == "file-unreadable" for f in result.findings)
    for f in result.findings:
        assert f.message("zh") and f.message("en")
