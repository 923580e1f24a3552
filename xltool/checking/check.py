"""What was read → findings and recomputed totals. Every rule's Python face runs over
the entered values, then every check family's (:mod:`xltool.forms.checks`); formulas are held
against the rules' Excel faces at the positions the reader found (so rows shifted by
insertion are no difference)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xltool.findings import Finding
from xltool.forms.checks import Facts, checks_for, same
from xltool.forms.rules import is_number, ordered_rules, recompute, scored_rows
from xltool.reading.read import Reading

__all__ = ["Totals", "check", "same"]


@dataclass
class Totals:
    budget_initial: float | None
    budget_adjusted: float | None
    executed: float | None
    execution_rate: float | None
    points: float | None
    score: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check(reading: Reading) -> tuple[list[Finding], Totals, dict[str, Any]]:
    """Findings (reader's first), the totals, and every recomputed value by field."""
    spec = reading.spec
    rules = ordered_rules(spec)
    rows = scored_rows(spec, [r.values for r in reading.indicators])
    counted = scored_rows(spec, [r.values for r in reading.indicators if r.inside])
    facts = Facts(
        reading=reading,
        rules=rules,
        scored=rows,
        recomputed=recompute(rules, reading.values, rows),
        as_entered=recompute(rules, reading.values, counted),
    )
    findings = list(reading.findings)
    for family in checks_for(spec):
        findings += family.findings(facts)
    return _dedupe(findings), _totals(facts), facts.recomputed


def _totals(facts: Facts) -> Totals:
    """The roll-up's figures. A figure whose block was not found, or whose every input is
    blank, is unknown (None), never the 0 a sum of nothing gives."""
    reading, spec, recomputed = facts.reading, facts.spec, facts.recomputed
    indicators_found = facts.has_indicators()
    by_target = {r.target: r for r in facts.rules}
    scores = [v.get("score") for v in facts.scored]
    points = [v.get("points") for v in facts.scored]

    def inputs(name: str) -> list[str]:
        rule = by_target.get(name)
        return [leaf for s in rule.sources for leaf in inputs(s)] if rule else [name]

    def figure(name: str | None) -> float | None:
        if not name or name not in reading.positions:
            return None
        if name in (spec.total.points, spec.total.score) and not indicators_found:
            return None
        if name == spec.total.score and not any(is_number(s) for s in scores):
            return None  # no indicator scored at all: there is no 总分 yet
        if name == spec.total.points and not any(is_number(p) for p in points):
            return None
        leaves = inputs(name)
        if (
            name in by_target
            and leaves
            and all(
                not n.startswith("indicators.") and reading.values.get(n) is None for n in leaves
            )
        ):
            return None
        value = recomputed.get(name)
        return value if is_number(value) else None

    roll_up = spec.roll_up
    return Totals(
        budget_initial=figure(roll_up.budget_initial),
        budget_adjusted=figure(roll_up.budget_adjusted),
        executed=figure(roll_up.executed),
        execution_rate=figure(roll_up.execution_rate),
        points=figure(spec.total.points),
        score=figure(spec.total.score),
    )


_ROOT_CAUSES = {"input-formula", "input-formula-unused"}


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One root cause, one finding: a cell already reported as not a number is not also
    reported by rules that read it; a formula whose value is unknown is not also empty."""
    seen: set[tuple[str, str | None, str | None]] = set()
    formula_cells = {(f.sheet, f.cell) for f in findings if f.code in _ROOT_CAUSES}
    out = []
    for f in findings:
        # a finding with no cell (a block not found) is one per block, not one per code
        key = (f.code, f.sheet, f.cell if f.cell is not None else f"#{f.field}")
        if key in seen or (f.code == "required-missing" and key[1:] in formula_cells):
            continue
        seen.add(key)
        out.append(f)
    return out
