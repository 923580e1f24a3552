"""A foreign form's figures, recomputed and held against what it states.

Every derived figure the form shows (the fund rows' sums, each 执行率, the execution
score, each indicator's 得分 by its 指标性质, the 总分) is recomputed from the figures it
is derived from; one that differs is ``stated-figure-mismatch`` at its cell, with both
values. Nothing is filled in: a figure the form does not show, or whose inputs it does
not show, is unknown (None), and the roll-up gets None, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xltool.findings import Finding
from xltool.forms.checks import TOLERANCE, OverTarget, build
from xltool.forms.kinds import load_builtin
from xltool.forms.rules import IndicatorScore, excel_round, qualitative_band, total
from xltool.forms.spec import Spec
from xltool.forms.values import normalise_nature, parse_measure
from xltool.reading.completeness import column_order, goal_actual, required
from xltool.reading.foreign import ForeignForm, Line, number, placeholder, vocabulary

RATE_TOLERANCE = 0.005  # half a percent: 86% shown for 86.2% is the display, not an error

_RULES = {
    "sum": ("各分项之和", "the sum of its rows"),
    "rate": ("执行数 ÷ 预算数", "executed ÷ budget"),
    "execution": ("min(执行率, 1) × 分值", "min(rate, 1) × points"),
    "indicator": ("指标性质（{nature}）的计分规则", "the scoring rule of {nature}"),
    "total": ("各项得分之和", "the sum of the scores"),
    "points": ("各项分值之和", "the sum of the points"),
}


@dataclass
class Stated:
    """The findings and the figures (None: unknown) of one foreign form."""

    spec: Spec
    findings: list[Finding] = field(default_factory=list)
    totals: dict[str, float | None] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    sure: bool = True


def decide_kind(form: ForeignForm, forced: Spec | None = None) -> tuple[Spec, list[str], bool]:
    """The kind a form is, from the labels and columns it has: (spec, evidence, sure).
    ``forced`` (--kind / --spec) decides when given."""
    if forced is not None:
        return forced, ["--kind"], True
    vocab = vocabulary()
    found = set(form.fields) | set(form.indicator_columns)
    project = [k for k in vocab.evidence["project"] if k in found]
    department = [k for k in vocab.evidence["department"] if k in found]
    if len(project) > len(department):
        return load_builtin("project"), project, len(project) >= 2 and not department
    execution = form.fund("total")
    fund_points = number(execution.values.get("points")) if execution else None
    points = total(number(line.values.get("points")) for line in form.indicators)
    # 10 + 90: the total row scores execution apart from the indicators' 90 (the seed's
    # profile repeats the 总分 there instead)
    scored = fund_points is not None and points is not None and abs(fund_points - points) > 0.5
    kind = "dept-overall-10-90" if scored and abs(points - 90) < 0.5 else "dept-overall"
    evidence = [*department, *(["执行分值"] if scored else [])]
    return load_builtin(kind), evidence, len(department) >= 2 and not project


def check_stated(form: ForeignForm, spec: Spec, evidence: list[str], sure: bool) -> Stated:
    out = Stated(spec=spec, evidence=evidence, sure=sure, findings=list(form.findings))
    if not sure:
        out.findings.append(
            Finding(
                "kind-guessed",
                found=spec.kind,
                context={"evidence": "、".join(evidence) or "无"},
            )
        )
    out.findings += column_order(form)
    if not form.funds:
        out.findings.append(
            Finding(
                "structure-changed",
                sheet=form.sheet,
                field="funds",
                context={
                    "label": "年度资金总额",
                    "what_zh": "资金表",
                    "what_en": "fund table",
                    "place": form.sheet,
                },
            )
        )
    amounts = _fund_sums(form, out)
    rates = [_rate_of(form, line, amounts) for line in form.funds]
    rate = _rates(form, out, rates)
    execution = _execution_scores(form, out, rates) if scores_execution(spec) else None
    scores = _indicator_scores(form, out)
    goal = goal_actual(form, spec)
    out.findings += goal + required(form, spec, skip={f.field for f in goal})
    score = _total(form, out, spec, execution, scores)
    out.totals = {
        "budget_initial": amounts.get("initial"),
        # the budget 执行率 divides by: 全年预算数, or 年初预算数 where the form has no other
        "budget_adjusted": amounts.get(_denominator(form) or "adjusted"),
        "executed": amounts.get("executed"),
        "execution_rate": rate,
        "points": _points(form, out, spec, execution),
        "score": score,
    }
    return out


def scores_execution(spec: Spec) -> bool:
    """Whether the kind scores budget execution (10 + 90), rather than repeating the
    总分 on the fund total row (the seed's profile)."""
    return any(rule.type == "rate_score" for rule in spec.rules)


def _mismatch(
    form: ForeignForm,
    line: Line,
    key: str,
    found: Any,
    expected: Any,
    rule: str,
    label: str,
    **fmt: str,
) -> Finding:
    zh, en = _RULES[rule]
    return Finding(
        "stated-figure-mismatch",
        sheet=form.sheet,
        cell=line.cells.get(key),
        field=key,
        found=found,
        expected=expected,
        context={"label": label, "rule_zh": zh.format(**fmt), "rule_en": en.format(**fmt)},
    )


def _fund_sums(form: ForeignForm, out: Stated) -> dict[str, float | None]:
    """Each amount column of the total row against the sum of the rows under it; the
    figure is the rows' sum when they show one, else what the total row states."""
    figures: dict[str, float | None] = {}
    head = form.fund("total")
    for key in ("initial", "adjusted", "executed"):
        if key not in form.fund_columns:
            continue
        parts = [number(line.values.get(key)) for line in form.sub_rows()]
        summed = total(parts) if any(p is not None for p in parts) else None
        stated = number(head.values.get(key)) if head else None
        figures[key] = summed if summed is not None else stated
        if head and summed is not None and (stated is None or abs(stated - summed) > TOLERANCE):
            label = f"{head.label}·{_heading(key)}"
            out.findings.append(_mismatch(form, head, key, stated, summed, "sum", label))
    return figures


def _heading(key: str) -> str:
    return {"initial": "年初预算数", "adjusted": "全年预算数", "executed": "全年执行数"}.get(
        key, key
    )


def _denominator(form: ForeignForm) -> str | None:
    for key in vocabulary().profile["denominator"]:
        if key in form.fund_columns:
            return key
    return None


def _rate_of(form: ForeignForm, line: Line, amounts: dict[str, float | None]) -> float | None:
    """executed ÷ budget of one fund row; the total row's from its figures (its rows'
    sums where they show them, see _fund_sums)."""
    den_key = _denominator(form)
    if line.key == "total":
        executed, den = amounts.get("executed"), amounts.get(den_key) if den_key else None
    else:
        executed = number(line.values.get("executed"))
        den = number(line.values.get(den_key)) if den_key else None
    if executed is None or not den:
        return None
    return executed / den


def _stated_rate(value: Any, expected: float | None) -> float | None:
    """A rate as stated: 0.862, 86.2% or 86.2 (a percent typed without its sign)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        parsed = number(value.strip().rstrip("%"))
        return parsed / 100 if parsed is not None else None
    stated = number(value)
    if stated is not None and expected is not None and stated > 1.5 and expected <= 1.5 * 1.01:
        return stated / 100
    return stated


def _rates(form: ForeignForm, out: Stated, rates: list[float | None]) -> float | None:
    """Each fund row's 执行率 against executed ÷ budget; the total row's rate."""
    overall = None
    for line, expected in zip(form.funds, rates, strict=True):
        if line.key == "total":
            overall = expected
        if "rate" not in form.fund_columns or expected is None:
            continue
        raw = line.values.get("rate")
        stated = _stated_rate(raw, expected)
        if stated is None and line.key != "total":
            continue  # a sub-row's rate is often left blank; the total row's is not
        if stated is None or abs(stated - expected) > RATE_TOLERANCE:
            label = f"{line.label}·执行率"
            shown = raw if raw not in (None, "") else None
            out.findings.append(
                _mismatch(form, line, "rate", shown, round(expected, 4), "rate", label)
            )
    return overall


def _execution_scores(form: ForeignForm, out: Stated, rates: list[float | None]) -> float | None:
    """得分 = min(执行率, 1) × 分值 on every row that carries 分值; the total row's score
    (None when the form scores no execution)."""
    overall = None
    cap = vocabulary().profile["cap_rate"]
    for line, rate in zip(form.funds, rates, strict=True):
        points = number(line.values.get("points"))
        if points is None or "points" not in form.fund_columns:
            continue
        if line.key != "total" and not vocabulary().profile["subrows_carry_points"]:
            out.findings.append(
                Finding(
                    "fund-subrow-points",
                    sheet=form.sheet,
                    cell=line.cells.get("points"),
                    found=points,
                    context={"label": line.label},
                )
            )
        expected = (
            None if rate is None else excel_round((min(rate, 1) if cap else rate) * points, 2)
        )
        if line.key == "total":
            overall = expected
        stated = number(line.values.get("score"))
        if (
            expected is not None
            and "score" in form.fund_columns
            and (stated is None or abs(stated - expected) > TOLERANCE)
        ):
            label = f"{line.label}·得分"
            out.findings.append(
                _mismatch(form, line, "score", stated, expected, "execution", label)
            )
    return overall


def nature_and_numbers(values: dict[str, Any]) -> tuple[str | None, Any, Any]:
    """指标性质 (its column, else the symbol typed with the target; a bare number is 正向),
    and the target and actual as numbers where they are."""
    target_nature, target = (None, None)
    if isinstance(values.get("target"), str):
        target_nature, target = parse_measure(values["target"])
    elif number(values.get("target")) is not None:
        target = number(values.get("target"))
    actual = values.get("actual")
    actual_number = parse_measure(actual)[1] if isinstance(actual, str) else number(actual)
    nature = (
        normalise_nature(values.get("direction"))
        or normalise_nature(values.get("nature"))
        or target_nature
    )
    if nature is None and target is not None and actual_number is not None:
        nature = "≥"
    return nature, target, actual_number


def _indicator_scores(form: ForeignForm, out: Stated) -> list[float | None]:
    """Each row's 得分 by its 指标性质: the rule's where it applies, else as stated."""
    rule = IndicatorScore()
    over = over_target(out.spec)
    scores: list[float | None] = []
    for line in form.indicators:
        v = line.values
        points, stated = number(v.get("points")), number(v.get("score"))
        nature, target, actual = nature_and_numbers(v)
        label = str(v.get("name") or "")
        out.findings += _conflict(form, line, label)
        out.findings += _words_actual(form, line, nature, target, label)
        out.findings += _beyond(form, out.spec, over, line, label)
        if points is not None and stated is not None and stated > points + TOLERANCE:
            out.findings.append(_row(form, line, "score-over-points", stated, points, label))
        if nature == "定性" or (nature is None and isinstance(v.get("actual"), str)):
            scores.append(stated)
            out.findings += _band(form, line, stated, points, label)
            if points is not None and stated is None:
                out.findings.append(_incomplete(form, line, label))
            out.findings += _reason(form, line, stated, points, label)
            continue
        expected = rule.evaluate(nature, target, actual, points) if nature else None
        if expected is not None and (stated is None or abs(stated - expected) > TOLERANCE):
            rule_name = "indicator"
            out.findings.append(
                _mismatch(
                    form, line, "score", stated, expected, rule_name, label, nature=nature or ""
                )
            )
        final = expected if expected is not None else stated
        scores.append(final)
        if points is not None and final is None:
            out.findings.append(_incomplete(form, line, label))
        out.findings += _reason(form, line, final, points, label)
    return scores


def _words_actual(
    form: ForeignForm, line: Line, nature: str | None, target: Any, label: str
) -> list[Finding]:
    """A completion typed as words (已完成, 基本完成 …) on a quantitative row: one whose
    target is a figure (≥95%, 4个) and whose 指标性质 is not 定性. Its score cannot be
    checked by its rule."""
    actual = line.values.get("actual")
    if (
        target is None
        or nature == "定性"
        or not isinstance(actual, str)
        or parse_measure(actual)[1] is not None
    ):
        return []
    found = line.values.get("target")
    return [_row(form, line, "actual-not-a-number", actual, found, label, "actual")]


def over_target(spec: Spec) -> OverTarget | None:
    """The kind's over-completion setting (``checks:`` ``over_target``), if it has one."""
    entry = next((c for c in spec.checks if c.type == OverTarget.type), None)
    check = build(entry.type, entry.params, spec) if entry else None
    return check if isinstance(check, OverTarget) else None


def _beyond(
    form: ForeignForm, spec: Spec, check: OverTarget | None, line: Line, label: str
) -> list[Finding]:
    """An actual far beyond its target needs its reason, as the kind's over_target says
    (the issued forms' check, read by label here)."""
    if check is None or check.reason not in form.indicator_columns:
        return []
    nature, target, actual = nature_and_numbers(line.values)
    side = check.beyond(nature, target, actual)
    if nature is None or side is None or not placeholder(line.values.get(check.reason)):
        return []
    context = check.context(nature, side, spec.column(check.reason).label)
    code = "over-target-unexplained"
    return [_row(form, line, code, actual, target, label, check.reason, **context)]


def _reason(
    form: ForeignForm, line: Line, score: float | None, points: float | None, label: str
) -> list[Finding]:
    """A score below its 分值 needs its reason, where the form has a reason column."""
    if (
        "reason" not in form.indicator_columns
        or points is None
        or score is None
        or score >= points - TOLERANCE
        or line.values.get("reason") not in (None, "")
    ):
        return []
    return [_row(form, line, "reason-missing", score, points, label, "reason")]


def _row(
    form: ForeignForm,
    line: Line,
    code: str,
    found: Any,
    expected: Any,
    label: str,
    key: str = "score",
    **context: Any,
) -> Finding:
    return Finding(
        code,
        sheet=form.sheet,
        cell=line.cells.get(key),
        field=f"indicators.{key}",
        found=found,
        expected=expected,
        context={"label": label, **context},
    )


def _conflict(form: ForeignForm, line: Line, label: str) -> list[Finding]:
    """指标性质 (正向 / 反向) and 指标方向 (大于等于 …) side by side must agree."""
    stated, direction = line.values.get("nature"), line.values.get("direction")
    a, b = normalise_nature(stated), normalise_nature(direction)
    if a is None or b is None or a == b or "定性" in (a, b):
        return []
    return [_row(form, line, "nature-conflict", stated, direction, label, "direction")]


def _incomplete(form: ForeignForm, line: Line, label: str) -> Finding:
    context = {"missing_zh": "得分", "missing_en": "score"}
    return _row(form, line, "indicator-incomplete", None, None, label, "score", **context)


def _band(
    form: ForeignForm, line: Line, score: float | None, points: float | None, label: str
) -> list[Finding]:
    grade = line.values.get("actual")
    band = qualitative_band(grade)
    if score is None or points is None or band is None:
        return []
    low, high = band
    if low * points - TOLERANCE <= score <= high * points + TOLERANCE:
        return []
    expected = f"{low * points:g}–{high * points:g}"
    return [_row(form, line, "score-out-of-band", score, expected, label, grade=grade)]


def _total(
    form: ForeignForm,
    out: Stated,
    spec: Spec,
    execution: float | None,
    scores: list[float | None],
) -> float | None:
    """总分: the indicators' scores, plus execution's where the kind scores it."""
    if not scores or any(s is None for s in scores):
        return None
    scored_execution = scores_execution(spec)
    if scored_execution and execution is None:
        return None
    indicators = total(scores)
    figure = total([indicators, execution if scored_execution else None])
    line = form.total
    if line and figure is not None:
        stated = number(line.values.get("score"))
        # a 合计 row over the indicators alone (Chongqing) adds up to their 分值
        points = total(number(i.values.get("points")) for i in form.indicators)
        subtotal = points is not None and number(line.values.get("points")) == points
        want = indicators if subtotal and scored_execution else figure
        if stated is not None and want is not None and abs(stated - want) > TOLERANCE:
            out.findings.append(_mismatch(form, line, "score", stated, want, "total", "总分"))
    stated_total = number(form.fields.get("stated_total"))
    if figure is not None and stated_total is not None and abs(stated_total - figure) > TOLERANCE:
        line = Line(row=-1, cells={"score": form.field_cells.get("stated_total", "")})
        out.findings.append(
            _mismatch(form, line, "score", stated_total, figure, "total", "自评总分")
        )
    return figure


def _points(form: ForeignForm, out: Stated, spec: Spec, execution: float | None) -> float | None:
    points = total(number(line.values.get("points")) for line in form.indicators)
    if points is not None and abs(points - spec.profile.points_total) > TOLERANCE:
        out.findings.append(
            Finding(
                "points-total",
                sheet=form.sheet,
                cell=form.total.cells.get("points") if form.total else None,
                field="total_points",
                found=points,
                expected=spec.profile.points_total,
                context={"label": "分值合计"},
            )
        )
    if points is None:
        return None
    head = form.fund("total")
    if scores_execution(spec) and head is not None:
        return points + (number(head.values.get("points")) or 0)
    return points


# Columns a reader would swap by position: amounts, target and actual, points and score.
