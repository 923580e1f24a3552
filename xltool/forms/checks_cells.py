"""Check families that are always on, about single cells: formulas typed over or altered,
numbers typed as text, required cells, negatives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from xltool.findings import Finding, show_value
from xltool.forms.check_base import (
    Check,
    Facts,
    as_the_form_computes,
    formula_finding,
    same,
)
from xltool.forms.rules import (
    Const,
    Rule,
    Sum,
    feeding_inputs,
    is_number,
    scored_rows,
)

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
        # scored as the form computes them: a formula-scored row saved by a program that
        # keeps no values (openpyxl) is still scored
        if facts.has_indicators() and not any(v.get("score") is not None for v in facts.scored):
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
