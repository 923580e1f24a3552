from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.spec import Spec
from xltool.forms.write import write_form

from .mailservers import imap_server, smtp_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_workbooks"
SEED_DATA = SAMPLES / "yuelu-commerce-2019.json"


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_builtin("dept-overall")


@pytest.fixture(scope="session")
def seed_data() -> FormData:
    return FormData.model_validate(json.loads(SEED_DATA.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def seed_xlsx(tmp_path_factory: pytest.TempPathFactory, spec: Spec, seed_data: FormData) -> Path:
    path = tmp_path_factory.mktemp("seed") / "yuelu.xlsx"
    write_form(path, spec, seed_data)
    return path


@pytest.fixture(scope="session")
def blank_xlsx(tmp_path_factory: pytest.TempPathFactory, spec: Spec) -> Path:
    path = tmp_path_factory.mktemp("blank") / "blank.xlsx"
    write_form(path, spec, FormData())
    return path


def named_cell(wb: openpyxl.Workbook, name: str):
    """The (first) cell a workbook-scope defined name points at."""
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    ref = ref.replace("$", "").split(":")[0]
    return wb[sheet][ref]
