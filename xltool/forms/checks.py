"""Checks: each family holds both faces of one rule about a filled form.

The Excel face (optional) is what the issued workbook does about it while the filer
types: a cell turns red, a value outside its range is refused. The Python face is the
finding :mod:`xltool.checking.verify` reports when the returned file still breaks it. Each family
declares the finding codes it can emit; a family is ``always`` on, or the spec names it
under ``checks:`` with its parameters (``type: require_when_below``, …).

Adding a family is one class here (plus its spec entry). See the README, "Adding a check".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

from xltool.errors import SpecError
from xltool.findings import CATALOGUE, Code, Finding, register, show_value
from xltool.forms.cells import a1
from xltool.forms.filled import IndicatorRow, Reading
from xltool.forms.layout import Area, Layout
from xltool.forms.rules import (
    LISTED_NATURES,
    Const,
    IndicatorScore,
    Rule,
    Sum,
    feeding_inputs,
    is_number,
    qualitative_band,
    recompute,
    scored_rows,
    total,
)
from xltool.forms.spec import Spec
from xltool.forms.values import normalise_nature, parse_measure

TOLERANCE = 0.005
RED_FILL = "#F8CBAD"
AMBER_FILL = "#FFD966"


# --- what each face is given --------------------------------------------------------------


@dataclass
class Facts:
    """What the Python faces read: the reading and every rule's recomputed value."""

    reading: Reading
    rules: list[Rule]
    scored: list[Mapping[str, Any]]  # each indicator row as the form scores it
    recomputed: dict[str, Any]  # over every indicator row the reader found
    as_entered: dict[str, Any]  # over the rows inside the block the totals cover

    @property
    def spec(self) -> Spec:
        return self.reading.spec

    @cached_property
    def as_shown(self) -> dict[str, Any]:
        """Every rule as the workbook itself computes it: numbers typed as text stay text."""
        return as_the_form_computes(self.reading, self.rules, self.reading.text_numbers)

    def scores(self) -> list[tuple[IndicatorRow, Any, Any, Mapping[str, Any]]]:
        """(row, 得分, 分值, values as scored) for each row where both are numbers."""
        return [
            (row, v["score"], v["points"], v)
            for row, v in zip(self.reading.indicators, self.scored, strict=True)
            if is_number(v.get("score")) and is_number(v.get("points"))
        ]

    def has_indicators(self) -> bool:
        return "indicators" not in self.reading.missing_blocks


@dataclass
class ExcelFace:
    """What the writer hands a check: the sheet, its layout, and the fills to use."""

    ws: Any
    layout: Layout
    fills: dict[str, Any]

    def highlight(self, area: Area, condition: str, fill: str = "red") -> None:
        """Colour ``area`` while the formula ``condition`` (no leading =) is true."""
        self.ws.conditional_format(
            area.row,
            area.col,
            area.last_row,
            area.last_col,
            {"type": "formula", "criteria": "=" + condition, "format": self.fills[fill]},
        )

    def validate(self, area: Area, options: dict[str, Any]) -> None:
        self.ws.data_validation(area.row, area.col, area.last_row, area.last_col, options)

    def column(self, key: str) -> Area:
        """The indicator block's cells in column ``key``."""
        col = self.layout.columns[key]
        return Area(self.layout.indicator_first, col, self.layout.indicator_last, col)

    def first(self, key: str) -> str:
        """Column ``key``'s cell in the first indicator row, relative by row (a
        conditional format or validation applies it to every row of the block)."""
        return a1(self.layout.indicator_first, self.layout.columns[key], col_abs=True)


# --- the family base --------------------------------------------------------------------

FAMILIES: dict[str, type[Check]] = {}


class Check:
    """One family. Subclasses are frozen dataclasses whose fields are the spec entry's
    parameters; ``type`` names the family in a spec, ``codes`` are the findings it emits
    (from the catalogue, or its own ``messages``)."""

    type: ClassVar[str]
    codes: ClassVar[tuple[str, ...]] = ()
    messages: ClassVar[tuple[Code, ...]] = ()
    always: ClassVar[bool] = False  # on for every kind, with no spec entry

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for code in cls.messages:
            register(code)
        unknown = [c for c in cls.codes if c not in CATALOGUE]
        if unknown:
            raise TypeError(f"{cls.__name__} emits codes with no message: {unknown}")
        FAMILIES[cls.type] = cls

    def validate(self, spec: Spec) -> None:
        """Raise SpecError when the parameters name what the spec does not have."""

    def excel(self, face: ExcelFace) -> None:
        """The issued workbook's side of the rule; none by default."""

    def findings(self, facts: Facts) -> list[Finding]:
        raise NotImplementedError


def checks_for(spec: Spec) -> list[Check]:
    """The families on for ``spec``: every ``always`` family, then the spec's own."""
    out: list[Check] = [cls() for cls in FAMILIES.values() if cls.always]
    for entry in spec.checks:
        out.append(build(entry.type, entry.params, spec))
    return out


def build(type_: str, params: dict[str, Any], spec: Spec) -> Check:
    cls = FAMILIES.get(type_)
    if cls is None or cls.always:
        known = ", ".join(sorted(k for k, c in FAMILIES.items() if not c.always))
        raise SpecError(f"unknown check type '{type_}' (allowed: {known})")
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    try:
        check = cls(**params)
    except TypeError:
        raise SpecError(
            f"check '{type_}' takes {', '.join(names)}; got {', '.join(sorted(params))}"
        ) from None
    check.validate(spec)
    return check


def same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if is_number(a) and is_number(b):
        return abs(a - b) <= TOLERANCE
    return a == b


def normalise_formula(text: str) -> str:
    return re.sub(r"[\s$]", "", text.lstrip("=")).upper()


def formula_finding(
    found: str | None, expected: str, saved: Any, want: Any, shown: Any = None
) -> tuple[str, Any, Any] | None:
    """A computed cell against its rule's two faces: (code, found, expected) or None.
    ``found`` is the cell's formula (None: typed over), ``saved`` the value saved with it."""
    if found is None:
        return None
    if normalise_formula(found) != normalise_formula(expected):
        return "formula-altered", found if found.startswith("=") else "=" + found, expected
    if saved is not None and not same(saved, want) and not same(saved, shown):
        return "cached-value-mismatch", saved, want
    return None


def as_the_form_computes(
    reading: Reading, rules: list[Rule], text_numbers: list[Any]
) -> dict[str, Any]:
    """Every rule's value as the workbook itself computes it: numbers typed as text are
    text there (its SUM skips them), not the numbers verify read them as."""
    values = dict(reading.values)
    rows = [dict(r.values) for r in reading.indicators]
    for tn in text_numbers:
        if tn.row is None:
            values[tn.field] = tn.text
        else:
            rows[tn.row][tn.field.split(".", 1)[1]] = tn.text
    inside = [row for row, r in zip(rows, reading.indicators, strict=True) if r.inside]
    return recompute(rules, values, scored_rows(reading.spec, inside))


# --- families that are always on ----------------------------------------------------------

_UNKNOWN = (
    "该公式无法核算（只计算数字、加减乘除乘方、本表单元格引用、SUM 和 ROUND）",
    "it cannot be computed here (only numbers, + - * / ^, cells of this sheet, SUM and ROUND are)",
)


@dataclass(frozen=True)
class InputFormulas(Check):
    """A filer's formula in an input cell: its computed value is what every check used;
    the value saved beside it is reported, never trusted."""

    type: ClassVar[str] = "input_formulas"
    codes: ClassVar[tuple[str, ...]] = ("input-formula", "input-formula-unused")
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        feeding = feeding_inputs(facts.spec)
        out = []
        for f in reading.input_formulas:
            zh, en = _input_formula_detail(f.value, f.saved)
            out.append(
                Finding(
                    "input-formula" if f.field in feeding else "input-formula-unused",
                    sheet=reading.sheet,
                    cell=f.cell,
                    field=f.field,
                    found=f.formula,
                    expected=f.value,
                    context={
                        "label": f.label,
                        "formula": f.formula,
                        "detail_zh": zh,
                        "detail_en": en,
                    },
                )
            )
        return out


def _input_formula_detail(value: Any, saved_value: Any) -> tuple[str, str]:
    saved = "" if saved_value is None else show_value(saved_value)
    if value is not None:
        zh = f"按公式计算为 {show_value(value)}，已按此校验"
        en = f"computed as {show_value(value)}, which is what was checked"
        if saved_value is None:
            return zh + "（文件未保存公式的值）", en + " (the file saved no value for it)"
        if not same(saved_value, value):
            zh += f"；文件保存的值「{saved}」与之不符，未采用"
            en += f"; the value saved in the file, '{saved}', differs and was not used"
        return zh, en
    if saved_value is None:
        return (
            _UNKNOWN[0] + "，文件也未保存其值，按空值校验",
            _UNKNOWN[1] + ", and the file saved no value for it; checked as empty",
        )
    return (
        _UNKNOWN[0] + f"，文件保存的值「{saved}」无法证实，未采用，按空值校验",
        _UNKNOWN[1] + f"; the saved value '{saved}' cannot be confirmed and was not used",
    )


@dataclass(frozen=True)
class NumbersAsText(Check):
    """A number typed as text where the workbook's formulas read it: the form computes
    without it. Say what the form shows and what the typed number gives."""

    type: ClassVar[str] = "numbers_as_text"
    codes: ClassVar[tuple[str, ...]] = ("number-as-text",)
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading, spec, rules = facts.reading, facts.spec, facts.rules
        labels = spec.all_fields()
        out = []
        for tn in reading.text_numbers:
            target = next((r.target for r in rules if tn.field in r.sources), None)
            if target is not None:
                shown = as_the_form_computes(reading, rules, [tn]).get(target)
                should = facts.as_entered.get(target)
                total_label = labels[target].label if target in labels else target
            elif tn.row is not None:  # a row's 得分 formula reads it (score: formula kinds)
                row = {**reading.indicators[tn.row].values, tn.field.split(".", 1)[1]: tn.text}
                shown = scored_rows(spec, [row])[0].get("score")
                should = scored_rows(spec, [reading.indicators[tn.row].values])[0].get("score")
                total_label = spec.column("score").label
            else:
                continue
            out.append(
                Finding(
                    "number-as-text",
                    sheet=reading.sheet,
                    cell=tn.cell,
                    field=tn.field,
                    found=tn.text,
                    expected=tn.value,
                    context={
                        "label": tn.label,
                        "total": total_label,
                        "shown": shown,
                        "should": should,
                    },
                )
            )
        return out


@dataclass(frozen=True)
class Required(Check):
    """Required fields filled: one finding per section when a whole section is empty,
    else one per field; and some indicator scored at all."""

    type: ClassVar[str] = "required"
    codes: ClassVar[tuple[str, ...]] = ("required-missing",)
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading, spec = facts.reading, facts.spec
        fields_ = spec.all_fields()
        out: list[Finding] = []
        sections: dict[tuple[str, str], list[str]] = {}
        section_of = spec.sections()
        for name in spec.input_fields():
            if fields_[name].required and name in reading.positions:
                sections.setdefault(section_of[name], []).append(name)
        for (section, section_label), names in sections.items():
            empty = [n for n in names if reading.values.get(n) in (None, "")]
            if empty and len(empty) == len(names) and len(names) > 1:
                out.append(
                    Finding(
                        "required-missing",
                        sheet=reading.sheet,
                        cell=reading.cell(names[0]),
                        field=section,
                        context={"label": section_label},
                    )
                )
            else:
                out += [reading.field_finding("required-missing", n) for n in empty]
        if facts.has_indicators() and not any(
            r.values.get("score") is not None for r in reading.indicators
        ):
            out.append(
                Finding(
                    "required-missing",
                    sheet=reading.sheet,
                    cell=reading.at("score", reading.block[0]),
                    field="indicators.score",
                    context={"label_zh": "绩效指标得分", "label_en": "indicator scores"},
                )
            )
        return out


@dataclass(frozen=True)
class Negatives(Check):
    """No amount, count, point or score below zero."""

    type: ClassVar[str] = "negatives"
    codes: ClassVar[tuple[str, ...]] = ("value-negative",)
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        out = [
            reading.field_finding("value-negative", n, v)
            for n, v in reading.values.items()
            if is_number(v) and v < 0
        ]
        for row in reading.indicators:
            for key in ("points", "score"):
                v = row.values.get(key)
                if is_number(v) and v < 0:
                    out.append(reading.row_finding("value-negative", key, row, v))
        return out


@dataclass(frozen=True)
class FormulasIntact(Check):
    """Each computed cell against its rule: typed over, altered, or a saved value that
    differs (unless a number typed as text explains it: number-as-text says so).
    The Excel face is the rule's formula itself, written by the writer."""

    type: ClassVar[str] = "formulas_intact"
    codes: ClassVar[tuple[str, ...]] = (
        "formula-overwritten",
        "fund-sum-mismatch",
        "formula-altered",
        "cached-value-mismatch",
    )
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        out: list[Finding] = []
        for rule in facts.rules:
            if not self._readable(rule, facts):
                continue
            name, want = rule.target, facts.as_entered.get(rule.target)
            if isinstance(rule, Const):
                found = reading.constants.get(name, reading.formulas.get(name))
                if not same(found, rule.value):
                    out.append(
                        reading.field_finding("formula-overwritten", name, found, rule.value)
                    )
                continue
            formula = reading.formulas.get(name)
            if formula is None:
                found = reading.constants.get(name)
                differs = not same(found, want)
                summed = isinstance(rule, Sum) and reading.spec.is_fund_field(name)
                code = "fund-sum-mismatch" if summed and differs else "formula-overwritten"
                out.append(reading.field_finding(code, name, found, want))
                continue
            result = formula_finding(
                formula,
                "=" + rule.formula(reading.address),
                reading.cached.get(name),
                want,
                facts.as_shown.get(name),
            )
            if result:
                out.append(reading.field_finding(result[0], name, result[1], result[2]))
        return out

    @staticmethod
    def _readable(rule: Rule, facts: Facts) -> bool:
        positions = facts.reading.positions
        if rule.target not in positions:
            return False
        if any(s not in positions and not s.startswith("indicators.") for s in rule.sources):
            return False
        return facts.has_indicators() or not any(s.startswith("indicators.") for s in rule.sources)


@dataclass(frozen=True)
class IndicatorRows(Check):
    """Each indicator row inside the block the totals cover, and complete."""

    type: ClassVar[str] = "indicator_rows"
    codes: ClassVar[tuple[str, ...]] = ("indicator-outside-sum", "indicator-incomplete")
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        labels = {c.key: c.label for c in facts.spec.indicators.columns}
        out: list[Finding] = []
        for row, v in zip(reading.indicators, facts.scored, strict=True):
            if not row.inside:
                out.append(
                    reading.row_finding("indicator-outside-sum", "name", row, field="indicators")
                )
            missing = [k for k in ("name", "points", "score") if v.get(k) in (None, "")]
            if missing:
                out.append(
                    reading.row_finding(
                        "indicator-incomplete",
                        missing[0],
                        row,
                        missing_zh="、".join(labels[k] for k in missing),
                        missing_en=", ".join(labels[k] for k in missing),
                    )
                )
        return out


@dataclass(frozen=True)
class ScoreWithinPoints(Check):
    """得分 between 0 and the row's 分值. Excel refuses anything else as it is typed."""

    type: ClassVar[str] = "score_within_points"
    codes: ClassVar[tuple[str, ...]] = ("score-over-points",)
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        face.validate(
            face.column("score"),
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": "=" + face.first("points"),
                "input_title": "得分",
                "input_message": "请输入 0 到本行分值之间的数。",
                "error_title": "得分超出范围",
                "error_message": "得分须在 0 到本行分值之间。",
            },
        )

    def findings(self, facts: Facts) -> list[Finding]:
        return [
            facts.reading.row_finding("score-over-points", "score", row, score, points)
            for row, score, points, _v in facts.scores()
            if score > points + TOLERANCE
        ]


@dataclass(frozen=True)
class ReasonMissing(Check):
    """A score below its points needs 偏差原因. The cell turns red until one is given."""

    type: ClassVar[str] = "reason_missing"
    codes: ClassVar[tuple[str, ...]] = ("reason-missing",)
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        if "reason" not in face.layout.columns:
            return
        score, points, reason = face.first("score"), face.first("points"), face.first("reason")
        face.highlight(
            face.column("reason"),
            f"AND(ISNUMBER({score}),ISNUMBER({points}),{score}<{points},LEN(TRIM({reason}))=0)",
        )

    def findings(self, facts: Facts) -> list[Finding]:
        if "reason" not in facts.reading.columns:
            return []
        return [
            facts.reading.row_finding("reason-missing", "reason", row, score, points)
            for row, score, points, v in facts.scores()
            if score < points - TOLERANCE and v.get("reason") in (None, "")
        ]


@dataclass(frozen=True)
class IndicatorScoring(Check):
    """Each row's 得分 against its 指标性质 rule: the formula (``score: formula``) or the
    filer's entry; a 定性 row's score against its grade's band."""

    type: ClassVar[str] = "indicator_scoring"
    codes: ClassVar[tuple[str, ...]] = (
        "nature-not-listed",
        "score-out-of-band",
        "score-rule-mismatch",
        "formula-overwritten",
        "formula-altered",
        "cached-value-mismatch",
    )
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        if "nature" not in reading.columns or not facts.has_indicators():
            return []
        out: list[Finding] = []
        for row in reading.indicators:
            nature = normalise_nature(row.values.get("nature"))
            if nature == "定性":
                finding = _band_finding(reading, row)
            elif nature is None:
                continue
            elif facts.spec.indicators.score == "formula":
                finding = _listed(reading, row, nature) or _score_formula_finding(
                    reading, row, nature
                )
            else:
                finding = _score_rule_finding(reading, row, nature)
            if finding:
                out.append(finding)
        return out


def _band_finding(reading: Reading, row: IndicatorRow) -> Finding | None:
    v = row.values
    score, points = v.get("score"), v.get("points")
    if not (is_number(score) and is_number(points)) or score > points + TOLERANCE:
        return None  # a score above its points is score-over-points already
    band = qualitative_band(v.get("actual"))
    if band is not None:
        low, high = band
        top = high == 1.0
        if low * points - TOLERANCE <= score <= high * points + TOLERANCE and (
            top or score < high * points - TOLERANCE / 10
        ):
            return None
        expected = f"{low * points:g}–{high * points:g}"
    else:
        expected = "达成年度指标 / 部分达成年度指标并具有一定效果 / 未达成年度指标且效果较差"
    return reading.row_finding(
        "score-out-of-band", "score", row, score, expected, grade=v.get("actual") or ""
    )


def _listed(reading: Reading, row: IndicatorRow, nature: str) -> Finding | None:
    """A 指标性质 typed as words (大于等于, ＝ …) where the row's formula compares symbols."""
    raw = row.values.get("nature")
    if raw in LISTED_NATURES:
        return None
    return reading.row_finding("nature-not-listed", "nature", row, raw, nature)


def _score_formula_finding(reading: Reading, row: IndicatorRow, nature: str) -> Finding | None:
    v, rule = row.values, IndicatorScore()
    want = rule.evaluate(nature, v.get("target"), v.get("actual"), v.get("points"))
    text = row.formulas.get("score")
    if text is None:
        if v.get("score") is None:
            return None
        return reading.row_finding("formula-overwritten", "score", row, v.get("score"), want)
    formula = "=" + rule.formula(lambda key: reading.at(key, row.row))
    result = formula_finding(text, formula, v.get("score"), want)
    return reading.row_finding(result[0], "score", row, *result[1:]) if result else None


def _score_rule_finding(reading: Reading, row: IndicatorRow, nature: str) -> Finding | None:
    v = row.values
    score = v.get("score")
    want = IndicatorScore().evaluate(nature, v.get("target"), v.get("actual"), v.get("points"))
    if is_number(score) and is_number(want) and not same(score, want):
        return reading.row_finding("score-rule-mismatch", "score", row, score, want, nature=nature)
    return None


@dataclass(frozen=True)
class PointsTotal(Check):
    """The indicators' 分值 add up to the profile's total (100, or 90 under 10 + 90).
    The total cell turns red while they do not."""

    type: ClassVar[str] = "points_total"
    codes: ClassVar[tuple[str, ...]] = ("points-total",)
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        spec = face.layout.spec
        points = face.layout.address("indicators.points", absolute=True)
        face.highlight(
            face.layout.fields[spec.total.points],
            f"ROUND(SUM({points}),2)<>{spec.profile.points_total:g}",
        )

    def findings(self, facts: Facts) -> list[Finding]:
        spec, reading = facts.spec, facts.reading
        if not facts.has_indicators() or spec.total.points not in reading.positions:
            return []
        points = total(r.get("points") for r in facts.scored)
        if points is None or abs(points - spec.profile.points_total) <= TOLERANCE:
            return []
        return [
            reading.field_finding(
                "points-total", spec.total.points, points, spec.profile.points_total
            )
        ]


@dataclass(frozen=True)
class RateWarning(Check):
    """执行率 below the profile's ``rate_warning_below`` turns amber as it is computed.
    A warning for the filer's eyes only: a low rate is no error in itself."""

    type: ClassVar[str] = "rate_warning"
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        spec = face.layout.spec
        threshold = spec.profile.rate_warning_below
        if threshold is None:
            return
        for name, area in face.layout.fields.items():
            if spec.is_fund_field(name) and name.endswith("_rate"):
                face.highlight(area, f"AND(ISNUMBER({area.a1}),{area.a1}<{threshold})", "amber")

    def findings(self, facts: Facts) -> list[Finding]:
        return []


# --- families a spec names -------------------------------------------------------------


@dataclass(frozen=True)
class RequireWhenBelow(Check):
    """``require`` must be filled while ``field`` is below ``below`` (执行率 under 90%
    needs its reason). The required cell turns red until it is."""

    type: ClassVar[str] = "require_when_below"
    codes: ClassVar[tuple[str, ...]] = ("rate-reason-missing",)

    code: str
    field: str
    below: float
    require: str

    def validate(self, spec: Spec) -> None:
        if self.code not in self.codes:
            raise SpecError(f"check require_when_below: code must be one of {self.codes}")
        for name in (self.field, self.require):
            if name not in spec.all_fields():
                raise SpecError(f"check require_when_below names unknown field '{name}'")

    def excel(self, face: ExcelFace) -> None:
        fields_ = face.layout.fields
        if self.field in fields_ and self.require in fields_:
            value, need = fields_[self.field].a1, fields_[self.require]
            face.highlight(
                need, f"AND(ISNUMBER({value}),{value}<{self.below},LEN(TRIM({need.a1}))=0)"
            )

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        value = facts.recomputed.get(self.field, reading.values.get(self.field))
        if self.require not in reading.positions or not is_number(value) or value >= self.below:
            return []
        if reading.values.get(self.require) not in (None, ""):
            return []
        return [reading.field_finding(self.code, self.require, value, self.below)]


@dataclass(frozen=True)
class WithinBudget(Check):
    """In every fund row, executed ≤ budget (the fund grid's columns named here)."""

    type: ClassVar[str] = "within_budget"
    codes: ClassVar[tuple[str, ...]] = ("execution-over-budget",)

    budget: str = "adjusted"
    executed: str = "executed"

    def validate(self, spec: Spec) -> None:
        columns = {c.key for c in spec.funds.columns} if spec.funds else set()
        for key in (self.budget, self.executed):
            if key not in columns:
                raise SpecError(f"check within_budget names unknown fund column '{key}'")

    def findings(self, facts: Facts) -> list[Finding]:
        reading, funds = facts.reading, facts.spec.funds
        out: list[Finding] = []
        for row in funds.rows if funds else []:
            budget_key = funds.key(row.key, self.budget) if funds else ""
            executed_key = funds.key(row.key, self.executed) if funds else ""
            budget = facts.recomputed.get(budget_key, reading.values.get(budget_key))
            executed = facts.recomputed.get(executed_key, reading.values.get(executed_key))
            if (
                is_number(budget)
                and is_number(executed)
                and executed > budget + TOLERANCE
                and executed_key in reading.positions
            ):
                out.append(
                    reading.field_finding(
                        "execution-over-budget", executed_key, executed, budget, label=row.label
                    )
                )
        return out


_BEYOND = {"above": ("高于", "above"), "below": ("低于", "below")}


@dataclass(frozen=True)
class OverTarget(Check):
    """An actual far beyond its target, by more than ``margin`` of it (0.2: 20%), needs
    its reason (``reason``, an indicator column): a target met that easily may have been
    set too low. Beyond is the side 指标性质 counts as better: above for ≥ and =, below
    for ≤. The empty reason cell turns amber while it is so."""

    type: ClassVar[str] = "over_target"
    codes: ClassVar[tuple[str, ...]] = ("over-target-unexplained",)

    margin: float = 0.2
    reason: str = "reason"

    def validate(self, spec: Spec) -> None:
        if not is_number(self.margin) or self.margin < 0:
            raise SpecError("check over_target: margin must be a number, 0 or more (0.2 is 20%)")
        columns = {c.key for c in spec.indicators.columns}
        for key in ("target", "actual", self.reason):
            if key not in columns:
                raise SpecError(f"check over_target names unknown indicator column '{key}'")

    def beyond(self, nature: str | None, target: Any, actual: Any) -> str | None:
        """``above`` or ``below`` when ``actual`` passes ``target`` by more than the margin
        on the side its 指标性质 counts as better; else None (0 as a target has no share)."""
        if not (is_number(target) and is_number(actual)) or target == 0:
            return None
        if nature in ("≥", "="):
            gap, side = actual - target, "above"
        elif nature == "≤":
            gap, side = target - actual, "below"
        else:
            return None
        return side if gap - self.margin * abs(target) > 1e-9 * abs(target) else None

    def context(self, nature: str, side: str, reason: str) -> dict[str, Any]:
        """What its finding says besides the actual (found) and the target (expected)."""
        zh, en = _BEYOND[side]
        margin = f"{self.margin * 100:.6f}".rstrip("0").rstrip(".") + "%"
        return {
            "nature": nature,
            "margin": margin,
            "beyond_zh": zh,
            "beyond_en": en,
            "reason": reason,
        }

    def excel(self, face: ExcelFace) -> None:
        if not {"nature", "target", "actual", self.reason} <= set(face.layout.columns):
            return
        n, t, a, r = (face.first(k) for k in ("nature", "target", "actual", self.reason))
        far = f"{self.margin:.10g}*ABS({t})"
        face.highlight(
            face.column(self.reason),
            f"AND(ISNUMBER({t}),ISNUMBER({a}),{t}<>0,LEN(TRIM({r}))=0,"
            f'OR(AND(OR({n}="≥",{n}="="),{a}-{t}>{far}),AND({n}="≤",{t}-{a}>{far})))',
            "amber",
        )

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        if self.reason not in reading.columns or not facts.has_indicators():
            return []
        label = facts.spec.column(self.reason).label
        natured = "nature" in reading.columns
        out = []
        for row in reading.indicators:
            nature, target, actual = measured(row.values, natured)
            side = self.beyond(nature, target, actual)
            if side and nature and row.values.get(self.reason) in (None, ""):
                context = self.context(nature, side, label)
                out.append(
                    reading.row_finding(
                        "over-target-unexplained", self.reason, row, actual, target, **context
                    )
                )
        return out


def measured(values: Mapping[str, Any], natured: bool = True) -> tuple[str | None, Any, Any]:
    """An indicator row's 指标性质 (normalised as scoring takes it: 大于等于 is ≥), its
    target and its actual, as numbers where they are. Without a 指标性质 column (``natured``
    False) the symbol typed with the target says it, and a bare number counts as ≥."""
    target, actual, symbol = values.get("target"), values.get("actual"), None
    if isinstance(target, str):
        symbol, target = parse_measure(target)
    if isinstance(actual, str):
        actual = parse_measure(actual)[1]
    nature = normalise_nature(values.get("nature")) or (None if natured else symbol)
    if nature is None and not natured and is_number(target) and is_number(actual):
        nature = "≥"
    return nature, target, actual
