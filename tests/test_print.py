"""An issued form as it is printed: filled through a real LibreOffice with the seed's
longest texts, converted to PDF; every character of each long field is on the page,
and the indicator table's header is on every page."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.write import write_form

from .conftest import SEED_DATA, named_cell
from .libreoffice import needs_uno, recalc_convert, uno_edit

PDFTOTEXT = shutil.which("pdftotext")
pytestmark = [
    pytest.mark.libreoffice,
    needs_uno,
    pytest.mark.skipif(
        PDFTOTEXT is None, reason="poppler-utils (pdftotext) is not installed; .ci/run installs it"
    ),
]
LONG_REASON = "受疫情影响，部分招商活动延期举办；" * 6 + "下一步将加强项目储备，提前谋划活动安排。"


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_long_texts_typed_in_libreoffice_print_in_full(tmp_path: Path) -> None:
    import openpyxl

    seed = FormData.model_validate_json(SEED_DATA.read_text(encoding="utf-8"))
    texts = {k: seed.fields[k] for k in ("duties", "goal_expected", "goal_actual")}
    blank = seed.model_copy(deep=True)
    for key in texts:
        blank.fields[key] = None  # the department types them in
    issued = tmp_path / "issued.xlsx"
    write_form(issued, load_builtin("dept-overall"), blank)
    wb = openpyxl.load_workbook(issued)
    cells = {k: named_cell(wb, k).coordinate for k in texts}
    first = named_cell(wb, "indicators").row
    reason = f"I{first}"
    actions = [{"op": "unprotect"}]
    actions += [{"op": "set", "cell": cells[k], "value": v} for k, v in texts.items()]
    actions.append({"op": "set", "cell": reason, "value": LONG_REASON})
    filled = tmp_path / "filled.xlsx"
    uno_edit(issued, filled, actions)
    pdf = recalc_convert(filled, tmp_path / "pdf", "pdf")
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    form_pages = [p for p in pages if "填表说明" not in p[:40]]
    plain = _plain(text).replace("部门职责", "")  # the label prints beside the cell
    for paragraph in texts["duties"].split("\n"):  # a full-width cell: each line, in order
        assert _plain(paragraph) in plain, paragraph
    # text in cells side by side shares lines with its neighbours: every character is there
    for value in (texts["goal_expected"], texts["goal_actual"], LONG_REASON):
        missing = Counter(_plain(value)) - Counter(plain)
        assert not missing, (value, missing)
    # the line every printed copy needs (its label wraps in the narrow first column)
    assert "填报单位（盖章" in plain and "填报人" in plain and "填报日期" in plain
    with_header = [p for p in form_pages if "三级指标" in p and "偏差原因" in p]
    assert len(form_pages) >= 2 and len(with_header) == len([p for p in form_pages if "指标" in p])
