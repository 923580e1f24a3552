"""``xltool report``: the bureau's 绩效自评结果汇总分析报告 as a Word document, from an
editable docxtpl template (the campaign's ``spec/summary.docx`` when there is one, else
``templates/reports/summary.docx``), with charts, and as PDF through LibreOffice.

Every figure comes from :mod:`.report_data`: the passed current returns, as ``summary``."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xltool.forms.reports import summary_template_path
from xltool.render import report_data as rd
from xltool.round.folder import Campaign
from xltool.round.rebuild import open_ledger
from xltool.round.reports_intake import dept_spec
from xltool.round.status import campaign_status
from xltool.safeio import write_atomic

CHARTS = ("chart_grades", "chart_scores", "chart_rates")


@dataclass
class Written:
    docx: Path
    pdf: Path | None = None
    charts: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) for stderr


def report_data(campaign: Campaign, key: bytes | None = None) -> rd.ReportData:
    """Every figure of the report, raw and as shown."""
    spec = dept_spec(campaign)
    with open_ledger(campaign) as ledger:
        st = campaign_status(campaign, ledger)
    passed = rd.passed_of(st)
    results = rd.verified(campaign, passed, key)
    cov, tim = rd.coverage(st), rd.timeliness(st)
    sc, bud = rd.score_numbers(spec, passed), rd.budget_numbers(passed)
    unmet = rd.unmet_rows(passed, results)
    problems, suggestions = rd.report_texts(campaign, {d.code for d in passed}, key)
    by_code = {d.code: d for d in passed}
    out = rd.ReportData()
    out.numbers = {"coverage": cov, "timeliness": tim, "scores": sc, "budget": bud,
                   "unmet": unmet, "problems": problems, "suggestions": suggestions}  # fmt: skip
    out.grades = list(sc["grades"].items())
    out.scores = sorted(((d.department, s) for d in passed
                         if (s := rd._num(rd.totals_of(d).get("score"))) is not None),
                        key=lambda x: -x[1])  # fmt: skip
    out.rates = sorted(((d.department, r) for d in passed
                        if (r := rd._num(rd.totals_of(d).get("execution_rate"))) is not None),
                       key=lambda x: x[1])  # fmt: skip
    bands = dict(rd.grade_bands(spec))
    title = str(campaign.config.get("title") or spec.name)
    out.context = {
        "title": f"{title}结果汇总分析报告", "issuer": "", "made_on": datetime.now().date().isoformat(),
        "coverage": {**cov, "rate": rd.share(cov["passed"], cov["expected"])},
        "timeliness": tim,
        "scores": {"n": sc["n"], "mean": "—" if sc["mean"] is None else f"{sc['mean']:.2f}",
                   "max": rd.score(sc["max"]), "min": rd.score(sc["min"])},
        "grades": [{"label": g, "band": bands.get(g, ""), "count": n, "share": rd.share(n, sc["n"])}
                   for g, n in out.grades],
        "budget": _budget_context(bud, by_code),
        "unmet": {"rows": len(unmet), "departments": len({r["code"] for r in unmet}),
                  "groups": rd.unmet_groups(unmet),
                  "details": [{**r, "points": rd.score(r["points"]), "score": rd.score(r["score"])}
                            for r in unmet]},
        "problems": problems or [{"department": "—", "text": "各单位报告中未写明，或尚未收到报告。"}],
        "suggestions": suggestions or [{"department": "—", "text": "各单位报告中未写明，或尚未收到报告。"}],
        "results": rd.result_rows(spec, st, campaign.zone),
        "source_note": "数据来源：各单位当前报送且审核通过的自评表（与 xltool summary 汇总表一致）；"
                       "未报送、待修改和免报的单位不计入合计与平均。",
    }  # fmt: skip
    return out


def _budget_context(bud: dict[str, Any], by_code: dict[str, Any]) -> dict[str, Any]:
    def row(code: str) -> dict[str, str]:
        t = rd.totals_of(by_code[code])
        return {"department": by_code[code].department,
                "adjusted": rd.amount(rd._num(t.get("budget_adjusted"))),
                "executed": rd.amount(rd._num(t.get("executed"))),
                "rate": rd.rate(rd._num(t.get("execution_rate")))}  # fmt: skip

    below = [by_code[c].department for c in bud["below_60"]]
    return {"adjusted": rd.amount(bud["adjusted"]), "executed": rd.amount(bud["executed"]),
            "rate": rd.rate(bud["rate"]), "lowest": [row(c) for c in bud["lowest"]],
            "below_60_count": len(below), "below_60_names": "、".join(below) or "无"}  # fmt: skip


def template_of(campaign: Campaign) -> Path:
    own = campaign.root / "spec" / "summary.docx"
    return own if own.is_file() else summary_template_path()


def _charts(data: rd.ReportData, folder: Path, tpl: Any, written: Written) -> dict[str, Any]:
    """The charts as images for the template; without a Chinese font, a note instead."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    from xltool.render import charts

    font = charts.cjk_font()
    if font is None:
        written.notes.append(charts.FONT_HINT)
        return dict.fromkeys(CHARTS, "（本机缺少中文字体，未附图表。）")
    made = {
        "chart_grades": charts.grades_chart(font, data.grades, folder / "grades.png"),
        "chart_scores": charts.bars_chart(font, data.scores, folder / "scores.png", title="各单位自评得分"),
        "chart_rates": charts.bars_chart(font, data.rates, folder / "rates.png", title="各单位预算执行率",
                                         percent=True, lines=(0.6, 0.9)),
    }  # fmt: skip
    written.charts = len(made)
    return {name: InlineImage(tpl, str(path), width=Mm(150)) for name, path in made.items()}


def write_report(
    campaign: Campaign,
    output: Path | None = None,
    *,
    key: bytes | None = None,
    pdf: bool = False,
    force: bool = False,
) -> Written:
    """Write the summary report (.docx; with ``pdf``, its PDF beside it); returns where,
    and notes for the user (a missing font, LibreOffice)."""
    import io

    from docxtpl import DocxTemplate

    from xltool.render.office import find_soffice, to_pdf

    target = (
        output
        or campaign.root / f"{campaign.config.get('title') or '绩效自评'}结果汇总分析报告.docx"
    )
    data = report_data(campaign, key)
    written = Written(target)
    tpl = DocxTemplate(str(template_of(campaign)))
    with tempfile.TemporaryDirectory(prefix="xltool-report-") as tmp:
        context = {**data.context, **_charts(data, Path(tmp), tpl, written)}
        tpl.render(context, autoescape=True)
        buffer = io.BytesIO()
        tpl.save(buffer)
    write_atomic(target, lambda h: h.write(buffer.getvalue()), force)
    if pdf:
        if find_soffice() is None:
            from xltool.render.office import INSTALL_HINT

            written.notes.append(INSTALL_HINT)
            return written
        pdf_path = target.with_suffix(".pdf")
        if pdf_path.exists() and not force:
            from xltool.safeio import OutputExists

            raise OutputExists(pdf_path)
        with tempfile.TemporaryDirectory(prefix="xltool-pdf-") as tmp:
            made = to_pdf([target], Path(tmp))[0]
            write_atomic(pdf_path, lambda h: h.write(made.read_bytes()), force)
        written.pdf = pdf_path
    return written
