"""Checks, field types, finding codes and cell places: the registries hold together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from xltool.errors import SpecError
from xltool.findings import CATALOGUE, Finding, show_value
from xltool.forms import checks, fields
from xltool.forms.cells import a1, col_index, col_name, parse_a1, range_a1
from xltool.forms.kinds import load_builtin


def test_every_family_declares_codes_the_catalogue_has() -> None:
    for family in checks.FAMILIES.values():
        assert all(code in CATALOGUE for code in family.codes), family


def test_a_family_with_a_code_and_no_message_is_refused() -> None:
    with pytest.raises(TypeError, match="no message"):

        @dataclass(frozen=True)
        class Broken(checks.Check):
            type: ClassVar[str] = "broken-family"
            codes: ClassVar[tuple[str, ...]] = ("no-such-code",)


def test_a_spec_names_only_families_with_their_parameters() -> None:
    spec = load_builtin("dept-overall")
    with pytest.raises(SpecError, match="unknown check type 'nope'"):
        checks.build("nope", {}, spec)
    with pytest.raises(SpecError, match="takes code, field, below, require"):
        checks.build("require_when_below", {"field": "x"}, spec)
    with pytest.raises(SpecError, match="unknown field 'nowhere'"):
        checks.build(
            "require_when_below",
            {"code": "rate-reason-missing", "field": "nowhere", "below": 1, "require": "x"},
            spec,
        )


def test_each_kind_runs_every_always_family_and_its_own() -> None:
    always = {t for t, f in checks.FAMILIES.items() if f.always}
    for kind, own in [("dept-overall", {"within_budget"}), ("project", {"within_budget", "require_when_below", "over_target"})]:  # fmt: skip
        names = {c.type for c in checks.checks_for(load_builtin(kind))}
        assert names == always | own


# every placeholder of every message, filled from a context that gives each one a value
@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_message_renders_each_placeholder(code: str) -> None:
    entry = CATALOGUE[code]
    context = {name: f"«{name}»" for name in entry.needs | entry.optional}
    finding = Finding(
        code, sheet="表", cell="B2", found="«found»", expected="«expected»", context=context
    )
    for lang in ("zh", "en"):
        text = finding.message(lang)
        for name in entry.zh_fields - {"place", "label"}:
            assert f"«{name}»" in text, (code, lang, name, text)
        assert "{" not in text and "}" not in text


def test_a_finding_without_its_placeholders_or_with_an_unknown_code_is_a_bug() -> None:
    with pytest.raises(ValueError, match="lacks"):
        Finding("number-as-text", context={"label": "x"})
    with pytest.raises(ValueError, match="unknown finding code"):
        Finding("no-such-code")


FIELD_CASES: list[tuple[str, Any, Any, str | None]] = [
    # type, raw cell, value, note
    ("amount", 2863.29, 2863.29, None),
    ("amount", "2,863.29", 2863.29, "text-number"),
    ("amount", "2863.29万元", 2863.29, "text-number"),
    ("amount", "二千", "二千", "not-a-number"),
    ("amount", 1e16, "1e+16", "value-out-of-range"),
    ("count", 12.0, 12, None),
    ("year", "2025", 2025, "text-number"),
    ("rate", "66.46%", 0.6646, "text-number"),
    ("text", 101.0, "101", None),
    ("longtext", "  ", None, None),
    ("measure", "≥95%", 95, "value-coerced"),
    ("measure", "达成年度指标", "达成年度指标", None),
    ("measure", 72890, 72890, None),
]


@pytest.mark.parametrize(("type_", "raw", "value", "note"), FIELD_CASES)
def test_each_field_type_reads_a_cell(type_: str, raw: Any, value: Any, note: str | None) -> None:
    got = fields.field_type(type_).read(raw)
    assert (got.value, got.note) == (value, note)


def test_each_field_type_says_what_data_it_accepts() -> None:
    t = fields.field_type
    assert t("amount").accepts(1.5) and not t("amount").accepts("1.5")
    assert t("count").accepts(3) and not t("count").accepts(3.5)
    assert t("measure").accepts(95) and t("measure").accepts("定性")
    assert t("text").accepts("x") and not t("text").accepts(1)
    assert t("year").json_schema("年度") == {"type": ["integer", "null"], "title": "年度"}
    assert t("year").validation()["minimum"] == 2000
    assert t("amount").num_format == "0.00" and t("rate").num_format == "0.00%"
    with pytest.raises(fields.Problem):
        t("count").from_table("3.5")


@pytest.mark.parametrize(
    ("row", "col", "text"),
    [(0, 0, "A1"), (6, 1, "B7"), (0, 25, "Z1"), (9, 26, "AA10"), (0, 16383, "XFD1")],
)
def test_places_are_0_based_inside_and_a1_at_the_edge(row: int, col: int, text: str) -> None:
    assert (
        a1(row, col) == text and parse_a1(text) == (row, col) and parse_a1("$" + text) == (row, col)
    )
    assert col_index(col_name(col)) == col


def test_places_outside_a_sheet_are_refused() -> None:
    for bad in ("XFE1", "A0", "A1048577", "1A", ""):
        with pytest.raises(ValueError):
            parse_a1(bad)
    assert range_a1(0, 0, 2, 1, absolute=True) == "$A$1:$B$3" and range_a1(1, 1, 1, 1) == "B2"
    assert show_value(0.1 + 0.2) == "0.3"
