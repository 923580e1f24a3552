"""Text from a returned file is never interpreted: rich markup, escape sequences,
formulas, links and bidi controls typed into cells come out of every output as the same
text (terminal: visible; JSON: exact; CSV: quoted and neutralised; xlsx: a text cell)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltool.checking.annotate import annotate
from xltool.checking.result import dumps, report_json
from xltool.checking.verify import _verify
from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.write import write_form
from xltool.reading.sniff import Limits
from xltool.render.export import csv_safe, csv_tables, export_document
from xltool.render.summary import write_summary
from xltool.render.terminal import file_text

from .conftest import SEED_DATA

SPEC = load_builtin("dept-overall")
SEED = FormData.model_validate_json(SEED_DATA.read_text(encoding="utf-8"))
NASTY = [
    "[bold red]",
    "[/]",
    "[link=http://example.invalid]",
    "[/link]",
    ":smile:",
    "\x1b[31m",
    "\x1b]8;;http://x\x1b\\",
    "\x07",
    "\x9b",
    "\u202e",
    "\u2066",
    "\u200f",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-1+1",
    "{=1+1}",
    "http://x",
    "\n",
    "\t",
    "\\",
    "'",
    '"',
    "%s",
    "{label}",
]
TEXT = (
    st.lists(
        st.one_of(
            st.sampled_from(NASTY),
            st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4),
        ),
        min_size=1,
        max_size=6,
    )
    .map("".join)
    .filter(lambda s: s.strip())
)

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f]")


def _workbook(tmp: Path, text: str) -> Path:
    data = SEED.model_copy(deep=True)
    data.fields["department"] = text
    data.fields["goal_actual"] = text
    data.indicators[0]["reason"] = text
    path = tmp / "form.xlsx"
    write_form(path, SPEC, data)
    return path


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
def test_cell_text_is_never_interpreted(tmp_path_factory, text: str) -> None:
    tmp = tmp_path_factory.mktemp("text")
    path = _workbook(tmp, text)
    result, data = _verify(path, None, Limits(), None)
    stored = result.data["fields"]["department"]  # as a cell holds it (controls dropped)
    assert stored and result.status in ("ok", "invalid")

    # terminal: plain text, every control visible, markup literal
    shown = file_text(result, "zh", width=200)
    assert "\x1b" not in shown
    coloured = file_text(result, "zh", width=200, colour=True)
    # with colours on, every escape is one of ours (bold, red, green, yellow, reset)
    assert not re.sub(r"\x1b\[(?:1|31|32|33|1;31|1;32|0)m", "", coloured).count("\x1b")
    assert not _CONTROL.search(shown.replace("\n", "")), repr(shown)
    if "[bold red]" in stored:
        assert "[bold red]" in shown

    # JSON: strict, and the text comes back exactly
    doc = json.loads(dumps(report_json([result])))
    assert doc["files"][0]["department"] == stored
    exported = json.loads(dumps([export_document(result)]))[0]
    assert exported["header"]["department"] == stored
    assert exported["indicators"][0]["reason"] == result.data["indicators"][0]["reason"]

    # CSV: quoted, and neutralised when it would start a formula
    forms, _rows = csv_tables(SPEC, [result])
    row = next(csv.reader(io.StringIO(forms[forms.index("\r\n") + 2 :])))
    header = next(csv.reader(io.StringIO(forms)))
    assert row[header.index("部门名称")] == csv_safe(stored)

    # xlsx roll-up: a text cell holding the same text, never a formula or a link
    roll = tmp / "roll.xlsx"
    write_summary(roll, [result], SPEC)
    wb = openpyxl.load_workbook(roll)
    cell = wb["汇总"]["A2"]
    assert cell.data_type == "s" and cell.hyperlink is None
    assert stored in (cell.value, _unescape(cell.value))
    wb.close()

    # annotated copy: opens, its text cells are text
    out = tmp / "annotated.xlsx"
    assert annotate(result, data, out, "zh", force=True)
    wb = openpyxl.load_workbook(out)
    assert all(c.data_type != "f" for row in wb["校验结果"].iter_rows() for c in row)
    wb.close()


def _unescape(text: str) -> str:
    """XlsxWriter stores control characters as _xHHHH_, as Excel does."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_raw_text_in_any_field_of_a_result_is_never_sent_to_the_terminal(text: str) -> None:
    """Whatever text a reader could return (raw control characters included), in the
    path, the department, a sheet name or a finding, prints as visible text."""
    from xltool.checking.result import FileResult
    from xltool.findings import Finding

    result = FileResult(
        path=f"in/{text}.xlsx",
        status="invalid",
        department=text,
        findings=[
            Finding("not-a-number", sheet=text, cell="B4", found=text, context={"label": text})
        ],
        notes=[(text, text)],
    )
    for lang in ("zh", "en"):
        shown = file_text(result, lang, width=120)
        assert not _CONTROL.search(shown.replace("\n", "")), repr(shown)
        assert "\x1b" not in shown
    doc = json.loads(dumps(report_json([result])))
    assert doc["files"][0]["department"] == text
    assert doc["files"][0]["findings"][0]["found"] == text
