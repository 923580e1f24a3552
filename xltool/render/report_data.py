"""The figures of the bureau's 绩效自评结果汇总分析报告, from the campaign as it stands:
the same passed current returns ``summary`` rolls up (totals from the ledger, the rows
of each return as verify reads them), the status of every department, and the reports
departments sent (their 存在的主要问题 and 改进措施). Numbers are kept raw in
``numbers`` (a test recomputes each from the ledger) and as the text the template shows
in ``context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from xltool.checking.result import FileResult
from xltool.checking.verify import verify_paths
from xltool.forms.spec import Spec
from xltool.round.folder import Campaign
from xltool.round.reports_intake import current_reports, dept_form, dept_spec
from xltool.round.status import CampaignStatus, DepartmentStatus

LOWEST = 5  # departments listed under 执行率最低
LOW_RATE = 0.6


def amount(v: float | None) -> str:
    return "—" if v is None else f"{v:,.2f}"


def rate(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.2f}%"


def score(v: float | None) -> str:
    return "—" if v is None else f"{round(v, 2):g}"


def share(n: int, of: int) -> str:
    return f"{n / of * 100:.2f}%" if of else "—"


@dataclass
class ReportData:
    context: dict[str, Any] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)
    scores: list[tuple[str, float]] = field(default_factory=list)  # for the charts
    rates: list[tuple[str, float]] = field(default_factory=list)
    grades: list[tuple[str, int]] = field(default_factory=list)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def coverage(st: CampaignStatus) -> dict[str, Any]:
    counts = st.counts
    total = len(st.departments)
    expected = total - counts["exempt"]
    returned = sum(1 for d in st.departments if d.returns and d.status != "exempt")
    return {"total": total, "exempt": counts["exempt"], "expected": expected,
            "returned": returned, "passed": counts["passed"], "to_fix": counts["to-fix"],
            "missing": counts["missing"] + counts["overdue"],
            "rate": counts["passed"] / expected if expected else None}  # fmt: skip


def first_return(d: DepartmentStatus) -> Any:
    return min(d.returns, key=lambda r: (r.received_at, r.recorded_at, r.id), default=None)


def timeliness(st: CampaignStatus) -> dict[str, int]:
    active = [d for d in st.departments if d.status != "exempt"]
    firsts = [first_return(d) for d in active]
    return {
        "on_time": sum(1 for r in firsts if r is not None and not st.late(r)),
        "late": sum(1 for r in firsts if r is not None and st.late(r)),
        "reminded": sum(1 for d in active if d.last_reminder),
        "revised": sum(1 for d in active if len(d.returns) > 1),
        "revisions": sum(max(len(d.returns) - 1, 0) for d in active),
    }


def passed_of(st: CampaignStatus) -> list[DepartmentStatus]:
    """The departments whose own form's current return passed."""
    return [d for d in st.departments if dept_form(d)[0] == "passed" and dept_form(d)[1]]


def totals_of(d: DepartmentStatus) -> dict[str, Any]:
    current = dept_form(d)[1]
    return (current.totals or {}) if current else {}


def score_numbers(spec: Spec, passed: list[DepartmentStatus]) -> dict[str, Any]:
    scores = [s for d in passed if (s := _num(totals_of(d).get("score"))) is not None]
    grades = {g.label: 0 for g in spec.profile.grades}
    for s in scores:
        label = spec.profile.grade(s)
        if label in grades:
            grades[label] += 1
    return {"n": len(scores), "mean": sum(scores) / len(scores) if scores else None,
            "max": max(scores, default=None), "min": min(scores, default=None),
            "grades": grades}  # fmt: skip


def budget_numbers(passed: list[DepartmentStatus]) -> dict[str, Any]:
    adjusted = sum(_num(totals_of(d).get("budget_adjusted")) or 0.0 for d in passed)
    executed = sum(_num(totals_of(d).get("executed")) or 0.0 for d in passed)
    rated = [(d, r) for d in passed if (r := _num(totals_of(d).get("execution_rate"))) is not None]
    rated.sort(key=lambda x: (x[1], x[0].code))
    return {"adjusted": adjusted, "executed": executed,
            "rate": executed / adjusted if adjusted else None,
            "lowest": [d.code for d, _r in rated[:LOWEST]],
            "below_60": [d.code for d, r in rated if r < LOW_RATE]}  # fmt: skip


def grade_bands(spec: Spec) -> list[tuple[str, str]]:
    out, upper = [], None
    for g in spec.profile.grades:
        low = f"{g.min:g}"
        band = (
            f"{low}分及以上"
            if upper is None
            else (f"{low}–{upper}分" if g.min > 0 else f"{upper}分以下")
        )
        out.append((g.label, band))
        upper = low
    return out


def unmet_rows(
    passed: list[DepartmentStatus], results: dict[str, FileResult]
) -> list[dict[str, Any]]:
    """Every indicator of a passed return that scored below its points."""
    rows = []
    for d in passed:
        result = results.get(d.code)
        for r in (result.data or {}).get("indicators", []) if result else []:
            points, got = _num(r.get("points")), _num(r.get("score"))
            if points is None or got is None or got >= points - 1e-9:
                continue
            group = "·".join(str(x) for x in (r.get("level1"), r.get("level2")) if x)
            rows.append({"code": d.code, "department": d.department, "group": group or "其他",
                         "name": str(r.get("name") or ""), "points": points, "score": got,
                         "reason": str(r.get("reason") or "未说明").strip()})  # fmt: skip
    return rows


def unmet_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By indicator category; the reasons given, alike ones counted once with their number."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(r)
    out = []
    for label, items in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        reasons: dict[str, int] = {}
        for r in items:
            reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        listed = "；".join(f"{k}（{n}项）" if n > 1 else k for k, n in reasons.items())
        names = "、".join(dict.fromkeys(r["department"] for r in items))
        out.append({"label": label, "count": len(items), "names": names, "reasons": listed})
    return out


HINT_PREFIXES = ("（填写", "(填写", "（对照", "(对照")


def report_texts(
    campaign: Campaign, codes: set[str], key: bytes | None
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(problems, suggestions) as the departments' reports state them (sections 五 and 六)."""
    problems, suggestions = [], []
    for code, state in sorted(current_reports(campaign, key=key).items()):
        if code not in codes:
            continue
        for heading, paragraphs in state.reading.texts.items():
            target = (
                problems
                if heading.startswith("五")
                else suggestions
                if heading.startswith("六")
                else None
            )
            if target is None:
                continue
            for text in paragraphs:
                if text and not text.startswith(HINT_PREFIXES):
                    target.append({"department": state.department or code, "text": text})
    return problems, suggestions


def _local_date(when: str | None, zone: str) -> str:
    if not when:
        return "—"
    return datetime.fromisoformat(when).astimezone(ZoneInfo(zone)).date().isoformat()


def result_rows(spec: Spec, st: CampaignStatus, zone: str) -> list[dict[str, str]]:
    rows = []
    for d in sorted(st.departments, key=lambda d: d.code):
        first, t = first_return(d), totals_of(d) if dept_form(d)[0] == "passed" else {}
        rows.append({
            "code": d.code, "department": d.department, "status": d.label("zh"),
            "received": _local_date(first.received_at if first else None, zone),
            "late": ("是" if st.late(first) else "否") if first else "—",
            "reminded": "是" if d.last_reminder else "否",
            "revisions": str(max(len(d.returns) - 1, 0)),
            "adjusted": amount(_num(t.get("budget_adjusted"))),
            "executed": amount(_num(t.get("executed"))),
            "rate": rate(_num(t.get("execution_rate"))), "score": score(_num(t.get("score"))),
            "grade": (spec.profile.grade(_num(t.get("score"))) or "—") if t else "—",
        })  # fmt: skip
    return rows


def verified(
    campaign: Campaign, passed: list[DepartmentStatus], key: bytes | None
) -> dict[str, FileResult]:
    paths = [campaign.inbox / dept_form(d)[1].file for d in passed]
    if not paths:
        return {}
    results = verify_paths(paths, spec=dept_spec(campaign), key=key, batch=False)
    return {d.code: r for d, r in zip(passed, results, strict=True)}
