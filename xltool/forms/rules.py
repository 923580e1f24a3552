"""Derived values: each rule has an Excel face (formula text) and a Python face.

The writer puts ``rule.formula(address_of)`` in the target cell with the Python face's
result cached; the checker runs :func:`recompute` on the values it read. Tests hold the
two faces equal, including through LibreOffice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from xltool.errors import SpecError
from xltool.forms.fields import is_number
from xltool.forms.spec import RuleSpec, Spec

Value = float | int | str | None
AddressOf = Callable[[str], str]
Lookup = Callable[[str], Any]

_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def _numbers(values: Iterable[Any]) -> list[float]:
    out: list[float] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_numbers(value))
        elif is_number(value):
            out.append(value)
    return out


def tidy(value: float) -> float:
    """Drop binary noise (2117.38 + 745.91 = 2863.2900000000004) the way a display would."""
    return round(value, 9) + 0.0 if math.isfinite(value) else value


def total(values: Iterable[Any]) -> float | None:
    """The exact sum of the numbers among ``values`` (text and blanks skipped, as
    Excel's SUM does); None when it overflows, never an exception."""
    try:
        result = math.fsum(_numbers(values))
    except OverflowError:
        return None
    return tidy(result) if math.isfinite(result) else None


@dataclass(frozen=True)
class Sum:
    target: str
    sources: tuple[str, ...]

    def formula(self, address_of: AddressOf) -> str:
        return f"SUM({_join_addresses([address_of(s) for s in self.sources])})"

    def evaluate(self, get: Lookup) -> Value:
        # Excel's SUM skips text and blanks; so does this face.
        return total(get(s) for s in self.sources)


@dataclass(frozen=True)
class Ratio:
    """numerator / denominator, blank (never #DIV/0!) unless both are numbers and the
    denominator is not 0."""

    target: str
    numerator: str
    denominator: str

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)

    def formula(self, address_of: AddressOf) -> str:
        num, den = address_of(self.numerator), address_of(self.denominator)
        return f'IF(AND(ISNUMBER({num}),ISNUMBER({den})),IF({den}<>0,{num}/{den},""),"")'

    def evaluate(self, get: Lookup) -> Value:
        num, den = get(self.numerator), get(self.denominator)
        if is_number(num) and is_number(den) and den != 0:
            try:
                ratio = num / den
            except OverflowError:
                return None
            return ratio if math.isfinite(ratio) else None
        return None


@dataclass(frozen=True)
class Ref:
    target: str
    source: str

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,)

    def formula(self, address_of: AddressOf) -> str:
        return address_of(self.source)

    def evaluate(self, get: Lookup) -> Value:
        return get(self.source)


@dataclass(frozen=True)
class Const:
    """A fixed value the template carries (the 10 points of budget execution, say)."""

    target: str
    value: float

    @property
    def sources(self) -> tuple[str, ...]:
        return ()

    def formula(self, address_of: AddressOf) -> str | None:
        return None  # written as a locked constant, not a formula

    def evaluate(self, get: Lookup) -> Value:
        return self.value


@dataclass(frozen=True)
class RateScore:
    """得分 = ROUND(MIN(执行率, 1) × 分值, 2); blank while there is no rate."""

    target: str
    rate: str
    points: str

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.rate, self.points)

    def formula(self, address_of: AddressOf) -> str:
        rate, points = address_of(self.rate), address_of(self.points)
        return f'IF(AND(ISNUMBER({rate}),ISNUMBER({points})),ROUND(MIN({rate},1)*{points},2),"")'

    def evaluate(self, get: Lookup) -> Value:
        rate, points = get(self.rate), get(self.points)
        if is_number(rate) and is_number(points):
            return excel_round(min(rate, 1) * points, 2)
        return None


@dataclass(frozen=True)
class GradeRule:
    """等级 by the profile's bands, highest first (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差)."""

    target: str
    source: str
    bands: tuple[tuple[str, float], ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,)

    def formula(self, address_of: AddressOf) -> str:
        cell = address_of(self.source)
        expr = f'"{self.bands[-1][0]}"'
        for label, minimum in reversed(self.bands[:-1]):
            expr = f'IF({cell}>={minimum:g},"{label}",{expr})'
        return f'IF(ISNUMBER({cell}),{expr},"")'

    def evaluate(self, get: Lookup) -> Value:
        value = get(self.source)
        if not is_number(value):
            return None
        return next((label for label, minimum in self.bands if value >= minimum), self.bands[-1][0])


def excel_round(value: float, digits: int) -> float:
    """ROUND as Excel and LibreOffice do it: half away from zero, on the value taken to
    15 significant digits (0.8765 × 10 is 8.764999999999999 in binary, and ROUND gives
    8.77, as the cell shows 8.765)."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-digits)
    try:
        return float(Decimal(f"{value:.15g}").quantize(quantum, rounding=ROUND_HALF_UP))
    except InvalidOperation:  # more digits than a quantize holds: nothing to round
        return value


@dataclass(frozen=True)
class CappedByRate:
    """A total capped by 执行率: below 80% at most 89, below 70% 79, below 60% 69,
    below 50% 59 (the profile's ``rate_caps``). Wraps the total's own rule."""

    inner: Sum
    rate: str
    caps: tuple[tuple[float, float], ...]  # (below, max), any order

    @property
    def target(self) -> str:
        return self.inner.target

    @property
    def sources(self) -> tuple[str, ...]:
        return (*self.inner.sources, self.rate)

    def _cap_expr(self, rate: str) -> str:
        expr = "1E+307"
        for below, most in sorted(self.caps, reverse=True):  # highest band outermost
            expr = f"IF({rate}<{below:g},{most:g},{expr})"
        return f"IF(ISNUMBER({rate}),{expr},1E+307)"

    def formula(self, address_of: AddressOf) -> str:
        return f"MIN({self.inner.formula(address_of)},{self._cap_expr(address_of(self.rate))})"

    def evaluate(self, get: Lookup) -> Value:
        total = self.inner.evaluate(get)
        rate = get(self.rate)
        if not is_number(rate) or not is_number(total):
            return total
        caps = [most for below, most in self.caps if rate < below]
        return min([total, *caps])


Rule = Sum | Ratio | Ref | Const | RateScore | GradeRule | CappedByRate


def build_rule(spec: RuleSpec, bands: tuple[tuple[str, float], ...] = ()) -> Rule:
    """A spec's rule entry → its rule; what a type needs and lacks is a SpecError."""
    needs = _NEEDS[spec.type]
    if any(getattr(spec, name) in (None, "", []) for name in needs):
        named = " and ".join(f"'{n}'" for n in needs)
        raise SpecError(f"rule for '{spec.target}': a {spec.type} needs {named}")
    if spec.type == "sum":
        return Sum(spec.target, tuple(spec.of if isinstance(spec.of, list) else [spec.of]))
    if spec.type == "ratio":
        return Ratio(spec.target, str(spec.numerator), str(spec.denominator))
    if spec.type == "const":
        return Const(spec.target, float(spec.value or 0))
    if spec.type == "rate_score":
        return RateScore(spec.target, str(spec.rate), str(spec.points))
    if not isinstance(spec.of, str):
        raise SpecError(f"rule for '{spec.target}': a {spec.type} needs 'of' naming one field")
    if spec.type == "grade":
        if not bands:
            raise SpecError(f"rule for '{spec.target}': a grade needs the profile's grades")
        return GradeRule(spec.target, spec.of, bands)
    return Ref(spec.target, spec.of)


# what each rule type must be given in its spec entry
_NEEDS: dict[str, tuple[str, ...]] = {
    "sum": ("of",),
    "ratio": ("numerator", "denominator"),
    "const": ("value",),
    "rate_score": ("rate", "points"),
    "ref": (),
    "grade": (),
}


def ordered_rules(spec: Spec) -> list[Rule]:
    """The spec's rules in an order where every rule comes after those it reads."""
    bands = tuple((g.label, g.min) for g in spec.profile.grades)
    rules: dict[str, Rule] = {r.target: build_rule(r, bands) for r in spec.rules}
    profile = spec.profile
    total = rules.get(spec.total.score)
    if profile.cap_total_by_rate and isinstance(total, Sum):
        caps = tuple((c.below, c.max) for c in profile.rate_caps)
        rules[spec.total.score] = CappedByRate(total, profile.cap_rate_field, caps)
    done: list[Rule] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == 2 or name not in rules:
            return
        if state.get(name) == 1:
            raise SpecError(f"rules form a cycle: {' → '.join((*chain, name))}")
        state[name] = 1
        for source in rules[name].sources:
            visit(source, (*chain, name))
        state[name] = 2
        done.append(rules[name])

    for name in rules:
        visit(name, ())
    return done


def recompute(
    rules: list[Rule], values: Mapping[str, Any], indicator_rows: list[Mapping[str, Any]]
) -> dict[str, Value]:
    """Evaluate every rule's Python face over entered values; returns target → value."""
    results: dict[str, Value] = {}

    def get(name: str) -> Any:
        if name.startswith("indicators."):
            key = name.split(".", 1)[1]
            return [row.get(key) for row in indicator_rows]
        if name in results:
            return results[name]
        return values.get(name)

    for rule in rules:
        try:
            value = rule.evaluate(get)
        except (OverflowError, ZeroDivisionError):
            value = None
        # a value that is not finite is no value: never Infinity in a total or an output
        results[rule.target] = (
            None if isinstance(value, float) and not math.isfinite(value) else value
        )
    return results


def _join_addresses(addresses: list[str]) -> str:
    """``D8,D9,D10`` → ``D8:D10`` when the cells are one contiguous column."""
    cells = [_CELL.match(a) for a in addresses]
    if len(addresses) > 1 and all(cells):
        cols = {m.group(1) for m in cells if m}
        rows = [int(m.group(2)) for m in cells if m]
        if len(cols) == 1 and rows == list(range(rows[0], rows[0] + len(rows))):
            col = cols.pop()
            return f"{col}{rows[0]}:{col}{rows[-1]}"
    return ",".join(addresses)


# --- indicator scoring by 指标性质 ------------------------------------------------------

QUALITATIVE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("达成年度指标", 0.8, 1.0),
    ("部分达成年度指标并具有一定效果", 0.6, 0.8),
    ("未达成年度指标且效果较差", 0.0, 0.6),
)


@dataclass(frozen=True)
class IndicatorScore:
    """得分 of one quantitative indicator row from 指标性质, 年度指标值, 实际完成值, 分值.

    - ≥ and =: full points when actual ≥ target, else round(actual / target × points, 2);
      for = with target 0: full points when actual ≤ 0, else 0.
    - ≤: full points when actual ≤ target; 0 when actual ≥ 2 × target; linear between:
      round((1 − (actual − target) / target) × points, 2).
    Never below 0. Blank unless target, actual and points are numbers.
    """

    nature: str = "nature"
    target: str = "target"
    actual: str = "actual"
    points: str = "points"

    def formula(self, cell: Callable[[str], str]) -> str:
        n, t, a, p = (cell(k) for k in (self.nature, self.target, self.actual, self.points))
        higher = f"IF({a}>={t},{p},IF({t}=0,0,MAX(0,ROUND({a}/{t}*{p},2))))"
        lower = f"IF({a}<={t},{p},IF({a}>=2*{t},0,MAX(0,ROUND((1-({a}-{t})/{t})*{p},2))))"
        return (
            f"IF(AND(ISNUMBER({t}),ISNUMBER({a}),ISNUMBER({p})),"
            f'IF(AND({n}="=",{t}=0),IF({a}<=0,{p},0),'
            f'IF(OR({n}="≥",{n}="="),{higher},IF({n}="≤",{lower},""))),"")'
        )

    def evaluate(self, nature: Any, target: Any, actual: Any, points: Any) -> float | None:
        try:
            score = self._evaluate(nature, target, actual, points)
        except (OverflowError, ZeroDivisionError):
            return None
        return score if score is None or is_number(score) else None

    def _evaluate(self, nature: Any, target: Any, actual: Any, points: Any) -> float | None:
        if not (is_number(target) and is_number(actual) and is_number(points)):
            return None
        if nature == "=" and target == 0:
            return points if actual <= 0 else 0
        if nature in ("≥", "="):
            if actual >= target:
                return points
            return 0 if target == 0 else max(0, excel_round(actual / target * points, 2))
        if nature == "≤":
            if actual <= target:
                return points
            if actual >= 2 * target:
                return 0
            return max(0, excel_round((1 - (actual - target) / target) * points, 2))
        return None


def qualitative_band(grade: Any) -> tuple[float, float] | None:
    """The share of 分值 a 定性 grade allows: [0.8, 1], [0.6, 0.8) or [0, 0.6)."""
    for label, low, high in QUALITATIVE_BANDS:
        if isinstance(grade, str) and grade.strip() == label:
            return low, high
    return None


def formula_scored(spec: Spec) -> bool:
    """``score: formula`` kinds with a 指标性质 column: 得分 is a formula of its rule."""
    return spec.indicators.score == "formula" and "nature" in {
        c.key for c in spec.indicators.columns
    }


def scored_by_formula(spec: Spec, row: Mapping[str, Any]) -> bool:
    """Whether this row's 得分 is its rule's formula (every row but a 定性 one)."""
    from xltool.forms.values import normalise_nature

    return formula_scored(spec) and normalise_nature(row.get("nature")) != "定性"


def scored_rows(spec: Spec, rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows with 得分 as the form computes it: in ``score: formula`` kinds, a
    quantitative row's score is its rule's result, whatever the cell holds."""
    if not formula_scored(spec):
        return rows
    rule = IndicatorScore()
    out: list[Mapping[str, Any]] = []
    for row in rows:
        if not scored_by_formula(spec, row):
            out.append(row)
        else:
            # the formula compares the cell's text itself: 大于等于 typed there scores nothing
            nature = row.get("nature") if row.get("nature") in LISTED_NATURES else None
            score = rule.evaluate(nature, row.get("target"), row.get("actual"), row.get("points"))
            out.append({**row, "score": score})
    return out


LISTED_NATURES = ("≥", "=", "≤")
"""What the 指标性质 dropdown offers a quantitative row, and all its formula knows."""


def formula_inputs(spec: Spec) -> frozenset[str]:
    """Input cells the workbook's own formulas read: fields by name, indicator columns
    as ``indicators.<key>``. A number typed as text there is not what the form computes."""
    names = {s for rule in ordered_rules(spec) for s in rule.sources}
    if formula_scored(spec):
        names |= {f"indicators.{k}" for k in ("nature", "target", "actual", "points")}
    return frozenset(names)


def feeding_inputs(spec: Spec) -> frozenset[str]:
    """Input cells whose values feed a total or a score (the workbook's formulas, or the
    scoring rules verify applies by 指标性质)."""
    names = set(formula_inputs(spec))
    if "nature" in {c.key for c in spec.indicators.columns}:
        names |= {f"indicators.{k}" for k in ("nature", "target", "actual", "points", "score")}
    return frozenset(names)
