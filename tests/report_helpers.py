"""Reports as departments write them: the issued template (.docx) filled in with
python-docx, its figures in prose or in the template's table, in 万元 or in 元, with a
section left out or a digit mistyped; and what the form of department i (filled by
campaign_helpers.fill) says, to hold them against."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document


def form_figures(i: int, short: bool = True) -> dict[str, float]:
    """The figures campaign_helpers.fill types for department i: 全年执行数, 全年预算数,
    执行率 (percent) and 总分 (one point short on the first indicator)."""
    executed, adjusted = 100 * i + 8, 110 * i + 10
    return {
        "spending": float(executed),
        "basic": round(executed * 0.3, 2),
        "project": round(executed - round(executed * 0.3, 2), 2),
        "budget": float(adjusted),
        "rate": executed / adjusted * 100,
        "score": 99.0 if short else 100.0,
    }


def amount_text(value: float, unit: str) -> str:
    if unit == "元":
        return f"{value * 10000:,.0f}元"
    return f"{value:.2f}万元"


PROSE = {
    "spending": "支出总计______万元",
    "basic": "基本支出______万元",
    "project": "项目支出______万元",
}
TABLE_COLUMNS = {"spending": 2, "basic": 3, "project": 4, "rate": 5, "score": 6}


def fill_report(
    issued: Path,
    target: Path,
    figures: dict[str, float],
    *,
    where: str = "prose",
    unit: str = "万元",
    drop: str | None = None,
    problems: str = "一是项目前期论证不足；二是部分资金拨付滞后。",
    suggestions: str = "加强预算执行监控，按月通报执行进度。",
) -> Path:
    """The issued template with its blanks filled (``where``: prose or table), a section
    heading starting with ``drop`` removed (with its text)."""
    doc = Document(str(issued))
    for p in doc.paragraphs:
        text = _prose(p.text, figures, unit) if where == "prose" else p.text
        text = text.replace("（填写存在的主要问题，一条一段。）", problems)
        text = text.replace("（填写改进措施和有关建议，一条一段。）", suggestions)
        if text != p.text:
            p.text = text
    if where == "table":
        _table(doc, figures, unit)
    if drop:
        _drop_section(doc, drop)
    buffer = io.BytesIO()
    doc.save(buffer)
    target.write_bytes(buffer.getvalue())
    return target


def _prose(text: str, figures: dict[str, float], unit: str) -> str:
    for key, blank in PROSE.items():
        text = text.replace(blank, blank.split("_")[0] + amount_text(figures[key], unit))
    text = text.replace("预算执行率______%", f"预算执行率{figures['rate']:.2f}%")
    return text.replace("自评得分______分", f"自评得分{figures['score']:g}分")


def _table(doc: Any, figures: dict[str, float], unit: str) -> None:
    row = doc.tables[0].rows[1].cells
    for key, col in TABLE_COLUMNS.items():
        value = figures[key]
        if key == "rate":
            row[col].text = f"{value:.2f}%"
        elif key == "score":
            row[col].text = f"{value:g}"
        else:
            row[col].text = f"{value * 10000:.2f}" if unit == "元" else f"{value:.2f}"
    for p in doc.paragraphs:
        if unit == "元" and p.text.startswith("主要数据"):
            p.text = "主要数据（金额单位：元）"


def _drop_section(doc: Any, heading: str) -> None:
    """Remove the heading paragraph starting with ``heading`` and its body, up to the
    next top-level heading."""
    body = doc.element.body
    removing = False
    for child in list(body.iterchildren()):
        text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
        if text.startswith(heading):
            removing = True
        elif removing and text[:2] in ("四、", "五、", "六、"):
            break
        if removing:
            body.remove(child)
