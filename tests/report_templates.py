"""Make the Word templates of templates/reports/ with python-docx: the report a department
writes beside its form (one per kind: dept-overall.docx, project.docx) and the bureau's
summary report (summary.docx). The .docx files are committed; an issuer edits them in
Word or WPS (keeping the {{ … }} and {%… %} tags, docxtpl's Jinja). Run again after a
change here:

    .venv/bin/python -m tests.report_templates
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from xltool.forms.reports import DEPARTMENT, PROJECT, ReportKind

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "templates" / "reports"
BODY_FONT, HEADING_FONT = "宋体", "黑体"


def _fonts(style: Any, name: str, size: float, bold: bool = False) -> None:
    style.font.name = name
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def document() -> Any:
    """A4, 宋体 12 pt body, 黑体 headings (Word's own heading styles, so the navigation
    pane and a table of contents work)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(26)
    section.top_margin, section.bottom_margin = Mm(30), Mm(25)
    _fonts(doc.styles["Normal"], BODY_FONT, 12)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.4
    _fonts(doc.styles["Title"], HEADING_FONT, 20, bold=True)
    _fonts(doc.styles["Heading 1"], HEADING_FONT, 15, bold=True)
    _fonts(doc.styles["Heading 2"], BODY_FONT, 13, bold=True)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].paragraph_format.space_before = Pt(10)
        doc.styles[name].paragraph_format.space_after = Pt(6)
    return doc


def title(doc: Any, text: str) -> None:
    p = doc.add_paragraph(text, style="Title")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def centered(doc: Any, text: str) -> None:
    doc.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER


def body(doc: Any, text: str) -> None:
    p = doc.add_paragraph(text)
    p.paragraph_format.first_line_indent = Pt(24)


def note(doc: Any, text: str) -> None:
    run = doc.add_paragraph().add_run(text)
    run.font.size = Pt(10)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def table(
    doc: Any, rows: list[list[str]], widths: list[float] | None = None, size: float = 10
) -> None:
    t = doc.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = widths is None
    for c, width in enumerate(widths or []):
        t.columns[c].width = Mm(width)  # the grid LibreOffice lays out by
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cell = t.cell(r, c)
            cell.text = value
            cell.paragraphs[0].paragraph_format.line_spacing = 1.0
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(size)
                run.font.bold = r == 0
            if widths:
                cell.width = Mm(widths[c])


# --- a department's report --------------------------------------------------------------

DEPT_BODY = {
    "一": [
        ("（一）部门基本情况", "（填写部门职能、机构设置、人员编制和实有人数等。）"),
        (
            "（二）部门整体支出规模、使用方向和主要内容",
            "{{ year }}年年初预算数{{ budget_initial or '______' }}万元，全年预算数"
            "{{ budget_adjusted or '______' }}万元；支出总计______万元，其中：（按功能分类列明）。",
        ),
    ],
    "二": [
        (
            "（一）基本支出",
            "基本支出______万元，主要用于保障机构正常运转的人员经费和日常公用经费。",
        ),
        (
            "（二）“三公”经费",
            "“三公”经费支出合计______万元，其中公务接待费______万元，因公出国（境）费"
            "______万元，公务用车购置及运行费______万元。",
        ),
        ("（三）项目支出", "项目支出______万元，主要用于（列明主要项目及其资金使用和管理情况）。"),
    ],
    "三": [("", "（填写绩效自评的组织、方法和过程。）")],
    "四": [
        (
            "",
            "（对照年度绩效目标和指标，逐项说明完成情况。）预算执行率______%，自评得分______分。",
        )
    ],
    "五": [("", "（填写存在的主要问题，一条一段。）")],
    "六": [("", "（填写改进措施和有关建议，一条一段。）")],
}

PROJECT_BODY = {
    "一": [("", "（填写项目立项依据、主要内容、年度绩效目标和实施单位。）")],
    "二": [
        (
            "",
            "{{ year }}年项目年初预算数{{ budget_initial or '______' }}万元，全年预算数"
            "{{ budget_adjusted or '______' }}万元，项目支出______万元。（说明资金管理情况。）",
        )
    ],
    "三": [("", "（填写项目组织、管理和实施情况。）")],
    "四": [("", "（对照绩效指标逐项说明完成情况。）预算执行率______%，自评得分______分。")],
    "五": [("", "（填写存在的主要问题，一条一段。）")],
    "六": [("", "（填写改进措施和有关建议，一条一段。）")],
}

FIGURES_TABLE = {
    "department": [
        ["年初预算数", "全年预算数", "支出总计", "基本支出", "项目支出", "执行率", "自评得分"],
        ["{{ budget_initial }}", "{{ budget_adjusted }}", "", "", "", "", ""],
    ],
    "project": [
        ["年初预算数", "全年预算数", "项目支出", "执行率", "自评得分"],
        ["{{ budget_initial }}", "{{ budget_adjusted }}", "", "", ""],
    ],
}


def report_template(kind: ReportKind, title_text: str, texts: dict[str, Any]) -> Any:
    doc = document()
    title(doc, title_text)
    centered(doc, "{{ unit_label }}：{{ department }}　　编码：{{ code }}")
    note(
        doc,
        "填写说明：请保留下列六个部分的标题，在各部分中如实填写，删去括号中的提示；金额单位为"
        "万元，保留两位小数。报告中的支出总计、基本支出、项目支出、全年预算数、执行率和自评"
        "得分应与本单位报送的自评表一致，收到报告后将逐项核对。",
    )
    for section in kind.sections:
        doc.add_paragraph(section.heading, style="Heading 1")
        for sub, text in texts[section.ordinal]:
            if sub:
                doc.add_paragraph(sub, style="Heading 2")
            body(doc, text)
        if section.ordinal == "二":
            note(doc, "主要数据（金额单位：万元）")
            table(doc, FIGURES_TABLE[kind.name])
    doc.add_paragraph()
    doc.add_paragraph(
        "{{ unit_label }}（盖章）：{{ department }}"
    ).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("日期：______年____月____日").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return doc


# --- the bureau's summary report ------------------------------------------------------------


def loop_table(
    doc: Any, heads: list[str], loop: str, cells: list[str], widths: list[float] | None = None,
    size: float = 10,
) -> None:  # fmt: skip
    """A table whose middle row repeats: docxtpl's {%tr for … %} … {%tr endfor %}."""
    n = len(heads)
    rows = [
        heads,
        [f"{{%tr for {loop} %}}", *[""] * (n - 1)],
        cells,
        ["{%tr endfor %}", *[""] * (n - 1)],
    ]
    table(doc, rows, widths, size)


def summary_template() -> Any:
    doc = document()
    title(doc, "{{ title }}")
    centered(doc, "{{ issuer }}　{{ made_on }}")
    doc.add_paragraph("一、基本情况", style="Heading 1")
    body(
        doc,
        "本轮自评名单共{{ coverage.total }}个单位，其中免报{{ coverage.exempt }}个，应报"
        "{{ coverage.expected }}个；已报送{{ coverage.returned }}个，审核通过{{ coverage.passed }}个，"
        "待修改{{ coverage.to_fix }}个，尚未报送{{ coverage.missing }}个，通过率{{ coverage.rate }}。",
    )
    body(
        doc,
        "按期报送{{ timeliness.on_time }}个，逾期报送{{ timeliness.late }}个；经提醒{{ timeliness.reminded }}个；"
        "退回修改后重报{{ timeliness.revised }}个，共重报{{ timeliness.revisions }}次。",
    )
    doc.add_paragraph("二、自评得分与等级分布", style="Heading 1")
    body(
        doc,
        "审核通过的{{ scores.n }}张自评表平均得分{{ scores.mean }}分，最高{{ scores.max }}分，"
        "最低{{ scores.min }}分。各等级分布如下表。",
    )
    loop_table(
        doc, ["等级", "分数段", "数量", "占比"], "g in grades",
        ["{{ g.label }}", "{{ g.band }}", "{{ g.count }}", "{{ g.share }}"],
    )  # fmt: skip
    centered(doc, "{{ chart_grades }}")
    centered(doc, "{{ chart_scores }}")
    doc.add_paragraph("三、预算执行情况", style="Heading 1")
    body(
        doc,
        "审核通过的自评表全年预算数合计{{ budget.adjusted }}万元，全年执行数合计{{ budget.executed }}万元，"
        "总体执行率{{ budget.rate }}。执行率低于60%的{{ budget.below_60_count }}个：{{ budget.below_60_names }}。"
        "执行率最低的如下表。",
    )
    loop_table(
        doc, ["单位", "全年预算数（万元）", "全年执行数（万元）", "执行率"], "d in budget.lowest",
        ["{{ d.department }}", "{{ d.adjusted }}", "{{ d.executed }}", "{{ d.rate }}"],
    )  # fmt: skip
    centered(doc, "{{ chart_rates }}")
    doc.add_paragraph("四、未完成的绩效指标及原因", style="Heading 1")
    body(
        doc,
        "审核通过的自评表中有{{ unmet.rows }}项指标未得满分，涉及{{ unmet.departments }}个单位。"
        "按指标类别归并如下：",
    )
    doc.add_paragraph("{%p for g in unmet.groups %}")
    body(doc, "{{ g.label }}：{{ g.count }}项（{{ g.names }}）。所述原因：{{ g.reasons }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("五、存在的主要问题", style="Heading 1")
    doc.add_paragraph("{%p for p in problems %}")
    body(doc, "{{ p.department }}：{{ p.text }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("六、改进措施和有关建议", style="Heading 1")
    doc.add_paragraph("{%p for s in suggestions %}")
    body(doc, "{{ s.department }}：{{ s.text }}")
    doc.add_paragraph("{%p endfor %}")
    appendix(doc)
    return doc


def appendix(doc: Any) -> None:
    doc.add_paragraph("附表", style="Heading 1")
    doc.add_paragraph("附表1  各单位自评结果", style="Heading 2")
    loop_table(
        doc,
        ["编码", "单位", "状态", "报送日期", "逾期", "提醒", "重报", "全年预算数", "全年执行数", "执行率", "得分", "等级"],
        "d in results",
        ["{{ d.code }}", "{{ d.department }}", "{{ d.status }}", "{{ d.received }}", "{{ d.late }}",
         "{{ d.reminded }}", "{{ d.revisions }}", "{{ d.adjusted }}", "{{ d.executed }}",
         "{{ d.rate }}", "{{ d.score }}", "{{ d.grade }}"],
        [11, 20, 12, 19, 8, 8, 8, 17, 17, 15, 12, 11], 8,
    )  # fmt: skip
    doc.add_paragraph("附表2  未得满分的指标", style="Heading 2")
    loop_table(
        doc, ["单位", "指标类别", "三级指标", "分值", "得分", "偏差原因"], "r in unmet.details",
        ["{{ r.department }}", "{{ r.group }}", "{{ r.name }}", "{{ r.points }}", "{{ r.score }}",
         "{{ r.reason }}"],
        [24, 30, 36, 12, 12, 44], 9,
    )  # fmt: skip
    note(doc, "{{ source_note }}")


def main(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "dept-overall.docx": report_template(
            DEPARTMENT, "{{ year }}年度{{ department }}" + DEPARTMENT.title, DEPT_BODY
        ),
        "project.docx": report_template(
            PROJECT, "{{ year }}年度{{ department }}" + PROJECT.title, PROJECT_BODY
        ),
        "summary.docx": summary_template(),
    }
    out = []
    for name, doc in made.items():
        doc.core_properties.author = "xltool"
        doc.core_properties.title = name.removesuffix(".docx")
        doc.save(folder / name)
        out.append(folder / name)
    return out


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER):
        print(path)
