"""Check families a spec names under ``checks:`` with its parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from xltool.errors import SpecError
from xltool.findings import Code, Finding  # noqa: F401 (Code: a new family declares its codes with it)
from xltool.forms.check_base import (
    TOLERANCE,
    Check,
    ExcelFace,
    Facts,
)
from xltool.forms.rules import (
    is_number,
)
from xltool.forms.spec import Spec
from xltool.forms.values import normalise_nature, parse_measure

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
