"""Round trip: export(new(data)) == data, field by field, for generated form data."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltool.checking.verify import verify_file
from xltool.cli import main
from xltool.forms.kinds import load_builtin
from xltool.forms.model import EXPORT_ONLY_KEYS, FormData
from xltool.forms.write import write_form
from xltool.render.export import export_document, form_schema

from .conftest import SEED_DATA

SPEC = load_builtin("dept-overall")
PAIRS = [(l1, l2) for l1, l2s in SPEC.indicators.framework.items() for l2 in l2s]

# Any printable text, CJK included, with line breaks; not blank (a blank cell is "empty").
text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"),
        include_characters="\n",
    ),
    min_size=1,
    max_size=120,
).filter(lambda s: s.strip() != "" and "_x" not in s)
cjk = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=300
)
amount = st.one_of(
    st.none(),
    st.just(0),
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=10**9),
)
maybe_text = st.one_of(st.none(), text, cjk)


@st.composite
def form_data(draw: st.DrawFn) -> FormData:
    fields: dict[str, Any] = {
        "department": draw(st.one_of(text, cjk)),
        "code": draw(st.one_of(st.none(), st.from_regex(r"[0-9A-Z]{1,10}", fullmatch=True))),
        "year": draw(st.integers(min_value=2000, max_value=2100)),
        "duties": draw(st.one_of(cjk, text).map(lambda s: s + "\n（2）" + s)),
        "staff_quota": draw(st.integers(min_value=0, max_value=10**6)),
        "staff_actual": draw(st.one_of(st.none(), st.integers(min_value=0, max_value=10**6))),
        "goal_expected": draw(maybe_text),
        "goal_actual": draw(maybe_text),
    }
    for row in ("current", "carryover", "other"):
        for col in ("initial", "adjusted", "executed"):
            fields[f"fund_{row}_{col}"] = draw(amount)
    groups = draw(st.lists(st.sampled_from(PAIRS), min_size=1, max_size=2, unique=True))
    indicators = []
    for level1, level2 in groups:
        for _ in range(draw(st.integers(min_value=1, max_value=60))):
            indicators.append(
                {
                    "level1": level1,
                    "level2": level2,
                    "name": draw(st.one_of(text, cjk)),
                    "target": draw(maybe_text),
                    "actual": draw(maybe_text),
                    "points": draw(amount),
                    "score": draw(amount),
                    "reason": draw(maybe_text),
                }
            )
    return FormData(kind="dept-overall", spec_version=1, fields=fields, indicators=indicators)


def normal(fields: dict[str, Any]) -> dict[str, Any]:
    """Empty keys are the same as absent ones."""
    return {k: v for k, v in fields.items() if v is not None}


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal, numbers to Excel's precision (15 significant digits; XlsxWriter writes 16)."""
    a, b = normal(a), normal(b)
    if a.keys() != b.keys():
        return False
    for key, x in a.items():
        y = b[key]
        if isinstance(x, int | float) and isinstance(y, int | float):
            if not math.isclose(x, y, rel_tol=1e-15, abs_tol=0):
                return False
        elif x != y:
            return False
    return True


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=form_data())
def test_export_of_new_equals_the_data(data: FormData) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.xlsx"
        write_form(path, SPEC, data)
        exported = export_document(verify_file(path))
    fields = FormData.model_validate({k: exported[k] for k in ("header", "funds", "goals")}).fields
    assert set(exported) >= {"header", "funds", "goals", "indicators", "totals", "findings"}
    assert same(fields, data.fields), (fields, data.fields)
    assert len(exported["indicators"]) == len(data.indicators)
    for got, want in zip(exported["indicators"], data.indicators, strict=True):
        assert same(got, want), (got, want)
    assert not [
        f for f in exported["findings"] if f["code"].startswith(("formula-", "file-", "structure"))
    ]


def test_export_then_new_data_reissues_the_same_form(tmp_path: Path) -> None:
    runner = CliRunner()
    sample = SEED_DATA.with_suffix(".xlsx")
    first = runner.invoke(main, ["export", str(sample), "-o", str(tmp_path / "a.json")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        main, ["new", "--data", str(tmp_path / "a.json"), "--out", str(tmp_path / "re")]
    )
    assert again.exit_code == 0, again.output
    second = runner.invoke(main, ["export", str(tmp_path / "re"), "-o", str(tmp_path / "b.json")])
    assert second.exit_code == 0
    a = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))[0]
    b = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))[0]
    for key in ("header", "funds", "goals", "indicators", "totals", "findings", "status"):
        assert a[key] == b[key], key
    seed = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    assert (
        a["header"]["department"] == "岳麓区商务局"
        and a["funds"]["fund_current_adjusted"] == 4325.58
    )
    assert a["goals"]["goal_actual"] == "2019年底全面完成"
    data = {k: v for k, v in a.items() if k not in EXPORT_ONLY_KEYS}
    assert same(FormData.model_validate(data).fields, seed["fields"])


def test_csv_export_is_utf8_with_bom_and_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "evil.xlsx"
    data = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    data["fields"]["department"] = '=HYPERLINK("http://x","y")'
    data["indicators"][0]["reason"] = "+cmd|' /C calc'!A0"
    data["indicators"][1]["actual"] = "@SUM(1)"
    write_form(path, SPEC, FormData.model_validate(data))
    result = CliRunner().invoke(
        main, ["export", str(path), "--format", "csv", "-o", str(tmp_path / "t.csv")]
    )
    assert result.exit_code == 0, result.output
    forms = (tmp_path / "t.csv").read_bytes()
    rows = (tmp_path / "t-indicators.csv").read_bytes()
    assert forms.startswith(b"\xef\xbb\xbf") and rows.startswith(b"\xef\xbb\xbf")
    text = forms.decode("utf-8-sig") + rows.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+cmd" in text and "'@SUM(1)" in text
    assert ",=HYPERLINK" not in text and ",+cmd" not in text
    assert "5071.49" in forms.decode("utf-8-sig")  # numbers stay numbers


def test_schema_describes_every_input_field() -> None:
    schema = form_schema(SPEC)
    props = schema["properties"]
    grouped = {k for section in ("header", "funds", "goals") for k in props[section]["properties"]}
    assert grouped == set(SPEC.input_fields())
    assert "fund_current_adjusted" in props["funds"]["properties"]
    assert props["header"]["properties"]["staff_quota"]["type"] == [
        "integer",
        "null",
    ]
    assert list(schema["properties"]["indicators"]["items"]["properties"]) == [
        "level1",
        "level2",
        "name",
        "target",
        "actual",
        "points",
        "score",
        "reason",
    ]
    out = CliRunner().invoke(main, ["schema"])
    assert json.loads(out.stdout)["properties"]["kind"]["const"] == "dept-overall"
