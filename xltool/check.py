"""What was read → findings and recomputed totals. Every rule's Python face runs here
over the entered values; formulas are held against the rules' Excel faces at the
positions the reader found (so rows shifted by insertion are no difference)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openpyxl.utils.cell import get_column_letter

from .findings import Finding, show_value
from .read import Reading
from .rules import (
    Const,
    IndicatorScore,
    Sum,
    feeding_inputs,
    is_number,
    ordered_rules,
    qualitative_band,
    recompute,
    scored_rows,
    total,
)
from .values import normalise_nature

TOLERANCE = 0.005


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
    findings = list(reading.findings)
    rules = ordered_rules(spec)
    rows = scored_rows(spec, [r.values for r in reading.indicators])
    counted = scored_rows(spec, [r.values for r in reading.indicators if r.inside])
    recomputed = recompute(rules, reading.values, rows)
    findings += _input_formulas(reading)
    as_entered = recompute(rules, reading.values, counted)
    findings += _text_numbers(reading, rules, as_entered)
    findings += _required(reading)
    findings += _negatives(reading)
    findings += _computed_cells(
        reading, rules, as_entered, _as_the_form_computes(reading, rules, reading.text_numbers)
    )
    findings += _funds(reading, recomputed)
    findings += _indicator_rows(reading)
    findings += _scoring(reading)
    findings += _spec_checks(reading, recomputed)
    if "indicators" not in reading.missing_blocks and spec.total.points in reading.positions:
        # the profile's total is the indicators' (100 in the seed, 90 under 10 + 90)
        points = total(r.get("points") for r in rows)
        if points is not None and abs(points - spec.profile.points_total) > TOLERANCE:
            findings.append(
                reading.field_finding(
                    "points-total", spec.total.points, points, spec.profile.points_total
                )
            )
    totals = Totals(
        budget_initial=_num(recomputed.get("fund_total_initial")),
        budget_adjusted=_num(recomputed.get("fund_total_adjusted")),
        executed=_num(recomputed.get("fund_total_executed")),
        execution_rate=_num(recomputed.get("fund_total_rate")),
        points=_num(recomputed.get(spec.total.points)),
        score=_num(recomputed.get(spec.total.score)),
    )
    return _dedupe(findings), totals, recomputed


def _num(value: Any) -> float | None:
    return value if is_number(value) else None


def _required(reading: Reading) -> list[Finding]:
    """One finding per section when a whole section is empty, else one per field."""
    spec = reading.spec
    fields = spec.all_fields()
    out: list[Finding] = []
    sections: dict[tuple[str, str], list[str]] = {}
    section_of = spec.sections()
    for name in spec.input_fields():
        if fields[name].required and name in reading.positions:
            sections.setdefault(section_of[name], []).append(name)
    for (section, section_label), names in sections.items():
        empty = [n for n in names if reading.values.get(n) in (None, "")]
        if not empty:
            continue
        if len(empty) == len(names) and len(names) > 1:
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
    if "indicators" not in reading.missing_blocks and not any(
        r.values.get("score") is not None for r in reading.indicators
    ):
        first = reading.block[0]
        col = get_column_letter(reading.columns["score"])
        out.append(
            Finding(
                "required-missing",
                sheet=reading.sheet,
                cell=f"{col}{first}",
                field="indicators.score",
                context={"label_zh": "绩效指标得分", "label_en": "indicator scores"},
            )
        )
    return out


def _negatives(reading: Reading) -> list[Finding]:
    out = [
        reading.field_finding("value-negative", n, v)
        for n, v in reading.values.items()
        if is_number(v) and v < 0
    ]
    for row in reading.indicators:
        for key in ("points", "score"):
            v = row.values.get(key)
            if is_number(v) and v < 0:
                out.append(
                    Finding(
                        "value-negative",
                        sheet=reading.sheet,
                        cell=_cell(reading, key, row.row),
                        field=f"indicators.{key}",
                        found=v,
                        context={"label": _row_label(row.values)},
                    )
                )
    return out


def _normalise_formula(text: str) -> str:
    return re.sub(r"[\s$]", "", text.lstrip("=")).upper()


def _computed_cells(
    reading: Reading, rules: list[Any], recomputed: dict[str, Any], as_shown: dict[str, Any]
) -> list[Finding]:
    """Each computed cell against its rule: overwritten, altered, or a saved value that
    differs (unless a number typed as text explains it: number-as-text says so)."""
    out: list[Finding] = []
    for rule in rules:
        name = rule.target
        if name not in reading.positions or any(
            s not in reading.positions and not s.startswith("indicators.") for s in rule.sources
        ):
            continue
        if (
            any(s.startswith("indicators.") for s in rule.sources)
            and "indicators" in reading.missing_blocks
        ):
            continue
        expected_value = recomputed.get(name)
        if isinstance(rule, Const):
            found = reading.constants.get(name, reading.formulas.get(name))
            if not same(found, rule.value):
                out.append(reading.field_finding("formula-overwritten", name, found, rule.value))
            continue
        if reading.formulas.get(name) is None:
            found = reading.constants.get(name)
            is_fund_sum = isinstance(rule, Sum) and name.startswith("fund_")
            differs = not same(found, expected_value)
            code = "fund-sum-mismatch" if is_fund_sum and differs else "formula-overwritten"
            out.append(reading.field_finding(code, name, found, expected_value))
            continue
        expected_formula = "=" + rule.formula(reading.address)
        found_formula = reading.formulas[name] or ""
        if _normalise_formula(found_formula) != _normalise_formula(expected_formula):
            out.append(
                reading.field_finding(
                    "formula-altered",
                    name,
                    found_formula if found_formula.startswith("=") else "=" + found_formula,
                    expected_formula,
                )
            )
            continue
        saved = reading.cached.get(name)
        if (
            saved is not None
            and not same(saved, expected_value)
            and not same(saved, as_shown.get(name))
        ):
            out.append(reading.field_finding("cached-value-mismatch", name, saved, expected_value))
    return out


def same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if is_number(a) and is_number(b):
        return abs(a - b) <= TOLERANCE
    return a == b


def _funds(reading: Reading, recomputed: dict[str, Any]) -> list[Finding]:
    funds = reading.spec.funds
    if funds is None:
        return []
    out = []
    for row in funds.rows:
        adjusted_key, executed_key = f"fund_{row.key}_adjusted", f"fund_{row.key}_executed"
        adjusted = recomputed.get(adjusted_key, reading.values.get(adjusted_key))
        executed = recomputed.get(executed_key, reading.values.get(executed_key))
        if (
            is_number(adjusted)
            and is_number(executed)
            and executed > adjusted + TOLERANCE
            and executed_key in reading.positions
        ):
            out.append(
                reading.field_finding(
                    "execution-over-budget", executed_key, executed, adjusted, label=row.label
                )
            )
    return out


def _indicator_rows(reading: Reading) -> list[Finding]:
    out: list[Finding] = []
    labels = {c.key: c.label for c in reading.spec.indicators.columns}
    # a formula-scored row's 得分 is what its rule gives, whatever the saved value
    effective = scored_rows(reading.spec, [r.values for r in reading.indicators])
    for row, v in zip(reading.indicators, effective, strict=True):
        label = _row_label(v)
        if not row.inside:
            out.append(
                Finding(
                    "indicator-outside-sum",
                    sheet=reading.sheet,
                    cell=_cell(reading, "name", row.row),
                    field="indicators",
                    context={"label": label},
                )
            )
        missing = [k for k in ("name", "points", "score") if v.get(k) in (None, "")]
        if missing:
            out.append(
                Finding(
                    "indicator-incomplete",
                    sheet=reading.sheet,
                    cell=_cell(reading, missing[0], row.row),
                    field=f"indicators.{missing[0]}",
                    context={
                        "label": label,
                        "missing_zh": "、".join(labels[k] for k in missing),
                        "missing_en": ", ".join(labels[k] for k in missing),
                    },
                )
            )
        score, points = v.get("score"), v.get("points")
        if is_number(score) and is_number(points):
            code, key = None, ""
            if score > points + TOLERANCE:
                code, key = "score-over-points", "score"
            elif (
                score < points - TOLERANCE
                and "reason" in reading.columns
                and v.get("reason") in (None, "")
            ):
                code, key = "reason-missing", "reason"
            if code:
                out.append(
                    Finding(
                        code,
                        sheet=reading.sheet,
                        cell=_cell(reading, key, row.row),
                        field=f"indicators.{key}",
                        found=score,
                        expected=points,
                        context={"label": label},
                    )
                )
    return out


def _row_label(values: dict[str, Any]) -> str:
    return str(values.get("name") or f"{values.get('level2') or ''}空行")


def _cell(reading: Reading, key: str, row: int) -> str:
    return f"{get_column_letter(reading.columns[key])}{row}"


_ROOT_CAUSES = {"input-formula", "input-formula-unused"}


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One root cause, one finding: a cell already reported as not a number is not also
    reported by rules that read it; a formula whose value is unknown is not also empty."""
    seen: set[tuple[str, str | None, str | None]] = set()
    formula_cells = {(f.sheet, f.cell) for f in findings if f.code in _ROOT_CAUSES}
    out = []
    for f in findings:
        key = (f.code, f.sheet, f.cell)
        if key in seen or (f.code == "required-missing" and key[1:] in formula_cells):
            continue
        seen.add(key)
        out.append(f)
    return out


def _scoring(reading: Reading) -> list[Finding]:
    """Each indicator row's 得分 against its 指标性质 rule: the formula (``score: formula``)
    or the filer's entry; a 定性 row's score against its grade's band."""
    spec = reading.spec
    if "nature" not in reading.columns or "indicators" in reading.missing_blocks:
        return []
    rule = IndicatorScore()
    formula_mode = spec.indicators.score == "formula"
    out: list[Finding] = []
    for row in reading.indicators:
        v = row.values
        nature = normalise_nature(v.get("nature"))
        score, points = v.get("score"), v.get("points")
        cell = _cell(reading, "score", row.row)
        label = _row_label(v)
        if nature == "定性":
            if not (is_number(score) and is_number(points)) or score > points + TOLERANCE:
                continue  # a score above its points is score-over-points already
            band = qualitative_band(v.get("actual"))
            low, high = band or (None, None)
            top = high == 1.0
            inside = band is not None and (
                low * points - TOLERANCE <= score <= high * points + TOLERANCE
                and (top or score < high * points - TOLERANCE / 10)
            )
            if not inside:
                expected = (
                    f"{low * points:g}–{high * points:g}"
                    if band
                    else "达成年度指标 / 部分达成年度指标并具有一定效果 / 未达成年度指标且效果较差"
                )
                out.append(
                    Finding(
                        "score-out-of-band",
                        sheet=reading.sheet,
                        cell=cell,
                        field="indicators.score",
                        found=score,
                        expected=expected,
                        context={"label": label, "grade": v.get("actual") or ""},
                    )
                )
            continue
        if nature is None:
            continue
        expected = rule.evaluate(nature, v.get("target"), v.get("actual"), points)

        def flag(
            code: str, found: Any, want: Any, cell: str = cell, label: str = label, **context: Any
        ) -> None:
            ctx = {"label": label, **context}
            finding = Finding(
                code,
                sheet=reading.sheet,
                cell=cell,
                field="indicators.score",
                found=found,
                expected=want,
                context=ctx,
            )
            out.append(finding)

        if formula_mode:
            text = row.formulas.get("score")
            if text is None:
                if score is not None:
                    flag("formula-overwritten", score, expected)
                continue
            want = "=" + rule.formula(lambda key, r=row.row: _cell(reading, key, r))
            if _normalise_formula(text) != _normalise_formula(want):
                flag("formula-altered", text if text.startswith("=") else "=" + text, want)
            elif score is not None and not same(score, expected):
                flag("cached-value-mismatch", score, expected)
        elif is_number(score) and is_number(expected) and not same(score, expected):
            flag("score-rule-mismatch", score, expected, nature=nature)
    return out


def _spec_checks(reading: Reading, recomputed: dict[str, Any]) -> list[Finding]:
    """The spec's own checks, e.g. 执行率 below 90% needs a reason (rate-reason-missing)."""
    out = []
    for check in reading.spec.checks:
        value = recomputed.get(check.field, reading.values.get(check.field))
        if check.require not in reading.positions or not is_number(value) or value >= check.below:
            continue
        if reading.values.get(check.require) in (None, ""):
            out.append(reading.field_finding(check.code, check.require, value, check.below))
    return out


_UNKNOWN = (
    "该公式无法核算（只计算数字、加减乘除乘方、本表单元格引用、SUM 和 ROUND）",
    "it cannot be computed here (only numbers, + - * / ^, cells of this sheet, SUM and ROUND are)",
)


def _input_formulas(reading: Reading) -> list[Finding]:
    """A filer's formula in an input cell: its computed value is what every check used;
    the value saved beside it is reported, never trusted."""
    feeding = feeding_inputs(reading.spec)
    out = []
    for f in reading.input_formulas:
        saved = "" if f.saved is None else show_value(f.saved)
        if f.value is not None:
            zh = f"按公式计算为 {show_value(f.value)}，已按此校验"
            en = f"computed as {show_value(f.value)}, which is what was checked"
            if f.saved is None:
                zh += "（文件未保存公式的值）"
                en += " (the file saved no value for it)"
            elif not same(f.saved, f.value):
                zh += f"；文件保存的值「{saved}」与之不符，未采用"
                en += f"; the value saved in the file, '{saved}', differs and was not used"
        elif f.saved is None:
            zh, en = (
                _UNKNOWN[0] + "，文件也未保存其值，按空值校验",
                _UNKNOWN[1] + (", and the file saved no value for it; checked as empty"),
            )
        else:
            zh = _UNKNOWN[0] + f"，文件保存的值「{saved}」无法证实，未采用，按空值校验"
            en = _UNKNOWN[1] + f"; the saved value '{saved}' cannot be confirmed and was not used"
        out.append(
            Finding(
                "input-formula" if f.field in feeding else "input-formula-unused",
                sheet=reading.sheet,
                cell=f.cell,
                field=f.field,
                found=f.formula,
                expected=f.value,
                context={"label": f.label, "formula": f.formula, "detail_zh": zh, "detail_en": en},
            )
        )
    return out


def _text_numbers(
    reading: Reading, rules: list[Any], counted_values: dict[str, Any]
) -> list[Finding]:
    """A number typed as text where the workbook's formulas read it: the form computes
    without it. Say what the form shows and what the typed number gives."""
    spec = reading.spec
    labels = spec.all_fields()
    out = []
    for tn in reading.text_numbers:
        target = next((r.target for r in rules if tn.field in r.sources), None)
        if target is not None:
            shown = _as_the_form_computes(reading, rules, [tn]).get(target)
            should = counted_values.get(target)
            total = labels[target].label if target in labels else target
        elif tn.row is not None:  # a row's 得分 formula reads it (score: formula kinds)
            row = {**reading.indicators[tn.row].values, tn.field.split(".", 1)[1]: tn.text}
            shown = scored_rows(spec, [row])[0].get("score")
            should = scored_rows(spec, [reading.indicators[tn.row].values])[0].get("score")
            total = next(c.label for c in spec.indicators.columns if c.key == "score")
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
                context={"label": tn.label, "total": total, "shown": shown, "should": should},
            )
        )
    return out


def _as_the_form_computes(
    reading: Reading, rules: list[Any], text_numbers: list[Any]
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
