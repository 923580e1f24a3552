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

from .errors import SpecError
from .spec import RuleSpec, Spec

Value = float | int | str | None
AddressOf = Callable[[str], str]
Lookup = Callable[[str], Any]

_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
    return round(value, 9) + 0.0


@dataclass(frozen=True)
class Sum:
    target: str
    sources: tuple[str, ...]

    def formula(self, address_of: AddressOf) -> str:
        return f"SUM({_join_addresses([address_of(s) for s in self.sources])})"

    def evaluate(self, get: Lookup) -> Value:
        # Excel's SUM skips text and blanks; so does this face.
        return tidy(math.fsum(_numbers(get(s) for s in self.sources)))


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
            return num / den
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


Rule = Sum | Ratio | Ref


def build_rule(spec: RuleSpec) -> Rule:
    if spec.type == "sum":
        of = spec.of if isinstance(spec.of, list) else [spec.of] if spec.of else []
        if not of:
            raise SpecError(f"rule for '{spec.target}': a sum needs 'of'")
        return Sum(spec.target, tuple(of))
    if spec.type == "ratio":
        if not (spec.numerator and spec.denominator):
            raise SpecError(f"rule for '{spec.target}': a ratio needs numerator and denominator")
        return Ratio(spec.target, spec.numerator, spec.denominator)
    if not isinstance(spec.of, str):
        raise SpecError(f"rule for '{spec.target}': a ref needs 'of' naming one field")
    return Ref(spec.target, spec.of)


def ordered_rules(spec: Spec) -> list[Rule]:
    """The spec's rules in an order where every rule comes after those it reads."""
    rules = {r.target: r for r in map(build_rule, spec.rules)}
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
        results[rule.target] = rule.evaluate(get)
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
