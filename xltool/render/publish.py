"""``xltool publish``: one PDF per passed form (and its report, when one came), named by
department (Windows-safe), with an index, through LibreOffice — for 信息公开.

Fields the spec marks as not for publication (``private_fields``; by default those
labelled 联系电话 or 项目负责人) are blanked in a copy of the workbook written into a
temporary folder; the returns in inbox/ are never touched."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltool.forms.spec import Spec
from xltool.render.office import to_pdf
from xltool.round.folder import Campaign
from xltool.round.passed_forms import passed_forms, spec_of
from xltool.round.rebuild import open_ledger
from xltool.round.reports_intake import current_reports, reports_dir
from xltool.round.status import campaign_status
from xltool.safeio import OutputExists, safe_stem, unique_names

INDEX = "00-目录"


@dataclass
class Published:
    code: str
    department: str
    kind: str
    form: str  # the PDF's file name
    report: str | None
    score: float | None
    grade: str


@dataclass
class Publication:
    folder: Path
    items: list[Published] = field(default_factory=list)
    index: Path | None = None
    blanked: list[str] = field(default_factory=list)  # the private fields' labels


def blank_private(source: Path, target: Path, spec: Spec) -> list[str]:
    """A copy of ``source`` at ``target`` with the spec's private fields emptied (found by
    their defined names); returns the labels blanked."""
    import openpyxl

    wb = openpyxl.load_workbook(source)
    done = []
    try:
        for key in spec.private_keys():
            defined = wb.defined_names.get(key)
            if defined is None:
                continue
            for sheet, ref in defined.destinations:
                first = ref.replace("$", "").split(":")[0]
                if sheet in wb.sheetnames:
                    wb[sheet][first].value = None
                    done.append(spec.all_fields()[key].label)
        wb.save(target)
    finally:
        wb.close()
    return done


def _index_docx(target: Path, title: str, items: list[Published]) -> Path:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "宋体", Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    doc.add_heading(f"{title} 公开目录", level=1)
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ["序号", "编码", "单位", "自评得分", "等级", "文件"], strict=True
    ):
        cell.text = text
    for n, item in enumerate(items, start=1):
        files = item.form + (f"\n{item.report}" if item.report else "")
        score = "—" if item.score is None else f"{item.score:g}"
        for cell, text in zip(
            table.add_row().cells,
            [str(n), item.code, item.department, score, item.grade or "—", files],
            strict=True,
        ):
            cell.text = text
    doc.save(target)
    return target


def publish(
    campaign: Campaign,
    out_dir: Path,
    *,
    kind: str | None = None,
    key: bytes | None = None,
    force: bool = False,
) -> Publication:
    """Write the PDFs into ``out_dir`` (refused when it holds PDFs, unless ``force``)."""
    if out_dir.exists() and any(out_dir.glob("*.pdf")) and not force:
        raise OutputExists(out_dir)
    with open_ledger(campaign) as ledger:
        st = campaign_status(campaign, ledger)
    forms = [p for p in passed_forms(campaign, st) if kind is None or p.kind == kind]
    forms.sort(key=lambda p: (p.code, p.project))
    reports = current_reports(campaign, key=key) if forms else {}
    pub = Publication(out_dir)
    stems = unique_names(
        [
            safe_stem("-".join(x for x in (p.code, p.project, p.department, p.project_name) if x))
            for p in forms
        ],
        "",
    )
    with tempfile.TemporaryDirectory(prefix="xltool-publish-") as tmp:
        work = Path(tmp)
        sources = []
        for p, stem in zip(forms, stems, strict=True):
            spec = spec_of(campaign, p.kind)
            copy = work / f"{stem}.xlsx"
            pub.blanked += blank_private(campaign.inbox / p.current.file, copy, spec)
            sources.append(copy)
            report = reports.get(p.code) if not p.project else None
            has_report = report is not None and report.reading.problem is None
            if has_report:
                shutil.copyfile(
                    reports_dir(campaign) / report.doc["file"], work / f"{stem}-报告.docx"
                )
                sources.append(work / f"{stem}-报告.docx")
            score = p.totals.get("score")
            pub.items.append(Published(p.code, p.department, p.kind, f"{stem}.pdf",
                                       f"{stem}-报告.pdf" if has_report else None,
                                       score, spec.profile.grade(score) or ""))  # fmt: skip
        title = str(campaign.config.get("title") or campaign.spec().name)
        sources.append(_index_docx(work / f"{INDEX}.docx", title, pub.items))
        for made in to_pdf(sources, work / "pdf"):
            out_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(made, out_dir / made.name)
    pub.index = out_dir / f"{INDEX}.pdf"
    return pub


def publication_json(pub: Publication) -> dict[str, Any]:
    return {"folder": str(pub.folder), "index": str(pub.index) if pub.index else None,
            "blanked": sorted(set(pub.blanked)),
            "files": [vars(i) for i in pub.items]}  # fmt: skip
