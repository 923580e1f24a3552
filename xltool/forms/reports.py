"""The report a department writes beside its form (部门整体支出绩效评价报告, or a
project's 项目支出绩效自评报告), as data: its six sections, the figures it states that
the form also holds, and where its editable template lives (``templates/reports/``).

Both sides use it: issuing the template (:mod:`xltool.round.reports_issue`), reading a
returned report (:mod:`xltool.reading.report_docx`) and holding its figures against
the form (:mod:`xltool.checking.report_check`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from xltool.paths import templates_dir

REPORTS_FOLDER = "reports"
SUMMARY_TEMPLATE = "summary.docx"


@dataclass(frozen=True)
class Section:
    """One of the six parts: its ordinal and title as the template writes them, and the
    phrases that mark its heading however a department numbers or words it."""

    ordinal: str
    title: str
    keys: tuple[str, ...]
    subsections: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        return f"{self.ordinal}、{self.title}"


@dataclass(frozen=True)
class Figure:
    """A figure the report states. ``labels`` are how prose writes it (a number follows),
    ``table_labels`` how a table heads it; ``total`` is the form's figure it must equal
    (a key of ``FileResult.totals``), None for one only checked within the report."""

    key: str
    label: str
    labels: tuple[str, ...]
    kind: str  # amount (万元) | rate (percent) | score (points)
    total: str | None = None
    table_labels: tuple[str, ...] = ()

    @property
    def all_table_labels(self) -> tuple[str, ...]:
        return (*self.labels, *self.table_labels)


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: str  # 部门整体支出绩效评价报告
    sections: tuple[Section, ...]
    figures: tuple[Figure, ...]
    parts: tuple[tuple[str, str, str], ...] = ()  # (whole, part, part): 支出总计 = 基本 + 项目

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


_TAIL = (
    Section("五", "存在的主要问题", ("存在的主要问题", "存在的问题", "主要问题")),
    Section("六", "改进措施和有关建议", ("改进措施", "有关建议", "改进建议")),
)
_RATE = Figure("rate", "执行率", ("预算执行率", "执行率"), "rate", "execution_rate")
_SCORE = Figure(
    "score",
    "自评得分",
    ("自评得分", "自评总分", "综合得分", "自评分", "总得分"),
    "score",
    "score",
    ("得分", "总分"),
)
_BUDGET = Figure("budget", "全年预算数", ("全年预算数",), "amount", "budget_adjusted")

DEPARTMENT = ReportKind(
    "department",
    "部门整体支出绩效评价报告",
    (
        Section("一", "部门概况", ("概况",)),
        Section(
            "二",
            "整体支出管理及使用情况",
            ("支出管理及使用", "整体支出管理", "支出管理"),
            ("基本支出", "“三公”经费", "项目支出"),
        ),
        Section("三", "专项组织实施情况", ("组织实施",)),
        Section("四", "整体支出绩效情况", ("绩效情况",)),
        *_TAIL,
    ),
    (
        Figure(
            "spending", "支出总计", ("支出总计", "支出合计", "总支出"), "amount", "executed",
            ("全年执行数",),
        ),
        Figure("basic", "基本支出", ("基本支出",), "amount"),
        Figure("project", "项目支出", ("项目支出",), "amount"),
        _BUDGET,
        _RATE,
        _SCORE,
    ),
    (("spending", "basic", "project"),),
)  # fmt: skip

PROJECT = ReportKind(
    "project",
    "项目支出绩效自评报告",
    (
        Section("一", "项目概况", ("概况",)),
        Section("二", "项目资金使用及管理情况", ("资金使用", "资金管理", "使用及管理")),
        Section("三", "项目组织实施情况", ("组织实施",)),
        Section("四", "项目绩效情况", ("绩效情况",)),
        *_TAIL,
    ),
    (
        Figure(
            "spending", "项目支出", ("项目支出总计", "项目支出", "支出总计", "实际支出"),
            "amount", "executed", ("全年执行数",),
        ),
        _BUDGET,
        _RATE,
        _SCORE,
    ),
)  # fmt: skip

KINDS = {k.name: k for k in (DEPARTMENT, PROJECT)}


def report_kind(form_kind: str) -> ReportKind:
    """The report that goes with a form kind: a project's for ``project…`` kinds, else
    the department's."""
    return PROJECT if form_kind.startswith("project") else DEPARTMENT


def template_path(form_kind: str, folder: Path | None = None) -> Path:
    """The report template of a form kind: ``<kind>.docx`` in templates/reports/ (or
    ``folder``), else the kind it is named after (``dept-overall-10-90`` →
    ``dept-overall``), else the department's."""
    base = folder or templates_dir() / REPORTS_FOLDER
    parts = form_kind.split("@")[0].split("-")
    for n in range(len(parts), 0, -1):
        candidate = base / f"{'-'.join(parts[:n])}.docx"
        if candidate.is_file():
            return candidate
    fallback = "project" if report_kind(form_kind) is PROJECT else "dept-overall"
    return base / f"{fallback}.docx"


def summary_template_path() -> Path:
    return templates_dir() / REPORTS_FOLDER / SUMMARY_TEMPLATE


_ORDINAL = re.compile(r"^[一二三四五六七八九十]{1,3}[、.．]")


def plain_heading(text: str) -> str:
    """A heading as compared: NFKC, no spaces, （单位） left out."""
    norm = "".join(unicodedata.normalize("NFKC", text).split())
    return norm.replace("(单位)", "").replace("单位", "")


def section_of(kind: ReportKind, text: str) -> Section | None:
    """The section a paragraph heads: a short line that starts with a Chinese ordinal
    (一、) and holds one of the section's phrases; None for any other paragraph."""
    norm = plain_heading(text)
    if len(norm) > 40 or not _ORDINAL.match(norm):
        return None
    body = _ORDINAL.sub("", norm)
    for section in kind.sections:
        if any(key in body for key in section.keys):
            return section
    return None
