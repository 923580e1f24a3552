"""A department's report held against its form: every figure the report states that the
form also holds (支出总计 = 全年执行数, 全年预算数, 执行率, 自评得分) must agree within
the precision it was written in (3371万元 is 3370.55 rounded; 33,705,500元 is 3370.55
万元), its parts must add up (基本支出 + 项目支出 = 支出总计), and its six sections must
be there. Each disagreement is one ``report-figure-mismatch`` with both values and
where each stands."""

from __future__ import annotations

from typing import Any

from xltool.findings import Finding
from xltool.forms.reports import KINDS, Figure, ReportKind
from xltool.reading.report_docx import ReportReading, Stated

# Where the form holds each figure (zh, en), by FileResult.totals key.
FORM_PLACES = {
    "executed": ("自评表「年度资金总额·全年执行数」", "the form's 年度资金总额 · 全年执行数"),
    "budget_adjusted": (
        "自评表「年度资金总额·全年预算数」",
        "the form's 年度资金总额 · 全年预算数",
    ),
    "execution_rate": ("自评表「年度资金总额·执行率」", "the form's 年度资金总额 · 执行率"),
    "score": ("自评表「总分·得分」", "the form's 总分 · 得分"),
}
_EN = {"spending": "total spending", "basic": "basic spending", "project": "project spending"}
_EN.update(
    budget="the adjusted budget", rate="the execution rate", score="the self-evaluated score"
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def shown(figure: Figure, value: float) -> str:
    """A form figure as the report would write it."""
    if figure.kind == "amount":
        return f"{value:,.2f}万元"
    if figure.kind == "rate":
        return f"{value:.2f}%"
    return f"{value:g}分"


def form_value(figure: Figure, totals: dict[str, Any]) -> float | None:
    value = _number(totals.get(figure.total or ""))
    if value is None:
        return None
    return value * 100 if figure.kind == "rate" else value


def _mismatch(
    figure: Figure, stated: Stated, expected: str, other: tuple[str, str], label: str = ""
) -> Finding:
    name = label or figure.label
    return Finding(
        "report-figure-mismatch",
        field=figure.key,
        found=stated.shown,
        expected=expected,
        context={
            "figure": name,
            "figure_en": f"{_EN.get(figure.key, figure.key)} ({name})",
            "where": stated.where,
            "where_en": stated.where,
            "other": other[0],
            "other_en": other[1],
        },
    )


def against_form(kind: ReportKind, reading: ReportReading, totals: dict[str, Any]) -> list[Finding]:
    """Each stated figure that disagrees with the form's."""
    out = []
    for figure in kind.figures:
        value = form_value(figure, totals) if figure.total else None
        if value is None:
            continue
        for stated in reading.stated(figure.key):
            if abs(stated.value - value) > stated.tolerance + 1e-9:
                place = FORM_PLACES.get(figure.total or "", ("自评表", "the form"))
                out.append(_mismatch(figure, stated, shown(figure, value), place))
    return out


def parts_add_up(kind: ReportKind, reading: ReportReading, totals: dict[str, Any]) -> list[Finding]:
    """基本支出 + 项目支出 against the 支出总计 the report states (else the form's)."""
    out = []
    for whole_key, a_key, b_key in kind.parts:
        a, b = reading.stated(a_key), reading.stated(b_key)
        if not a or not b:
            continue
        whole = kind.figure(whole_key)
        total = a[0].value + b[0].value
        tolerance = a[0].tolerance + b[0].tolerance
        label = f"{kind.figure(a_key).label}＋{kind.figure(b_key).label}"
        summed = Stated(
            whole_key, label, total, f"{total:,.2f}万元", tolerance, f"{a[0].where}、{b[0].where}"
        )
        wholes = reading.stated(whole_key)
        for w in wholes:
            if abs(w.value - total) > tolerance + w.tolerance + 1e-9:
                place = (
                    f"报告{w.where}的{whole.label}",
                    f"{whole.label} in the report ({w.where})",
                )
                out.append(_mismatch(whole, summed, w.shown, place, label))
        value = form_value(whole, totals)
        if not wholes and value is not None and abs(value - total) > tolerance + 1e-9:
            place = FORM_PLACES.get(whole.total or "", ("自评表", "the form"))
            out.append(_mismatch(whole, summed, shown(whole, value), place, label))
    return out


def check_report(reading: ReportReading, totals: dict[str, Any] | None) -> list[Finding]:
    """Every finding of a report: what made it unreadable, else its missing sections and
    the figures that disagree with the form's ``totals`` (a FileResult's; None when the
    department has no passed form yet: then only the report's own parts are held)."""
    if reading.problem is not None:
        return [reading.problem]
    kind = KINDS[reading.kind]
    out = [
        Finding("report-section-missing", expected=heading, context={"section": heading})
        for heading in reading.missing
    ]
    out += against_form(kind, reading, totals or {})
    out += parts_add_up(kind, reading, totals or {})
    return out
