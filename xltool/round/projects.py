"""A round's project list (项目支出 全覆盖): every project of every department, as bureaus
export it from the 预算管理一体化 system or type it by hand, and each project's own
indicator rows.

Codes are text: 20–22-digit 一体化 codes and leading zeros survive only as text, and a
number cell of more than 15 digits has already lost digits in Excel, which is an error
naming the row and what was read, never a silently wrong code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltool.errors import InputError
from xltool.forms.spec import Spec
from xltool.round.roster import (
    Indicators,
    check_points,
    code_text,
    read_indicators,
    roster_headers,
    typed,
)
from xltool.round.tables import read_table

# Headings a project list may carry, beside the project form's own fields and amounts.
PROJECT_HEADERS = {
    "项目编码": "project_code",
    "项目代码": "project_code",
    "project_code": "project_code",
    "项目名称": "project_name",
    "project_name": "project_name",
    "部门编码": "department_code",
    "单位编码": "department_code",
    "主管部门编码": "department_code",
    "department_code": "department_code",
    "实施单位": "implementing_unit",
    "项目负责人": "leader",
    "负责人": "leader",
    "leader": "leader",
    "联系电话": "phone",
    "phone": "phone",
    "项目类别": "category",
    "项目级次": "category",
    "category": "category",
}
OWNER = {"项目编码": "owner_code", "项目代码": "owner_code", "project_code": "owner_code"}
CATEGORIES = {"一级": "一级", "一级项目": "一级", "二级": "二级", "二级项目": "二级"}


@dataclass
class Project:
    """One project of the round: its code, name and department, the fields its form is
    prefilled with, and who answers for it (never prefilled into the form or signed)."""

    code: str
    name: str
    department: str  # the roster code of the department that owes its form
    fields: dict[str, Any]
    leader: str | None = None
    phone: str | None = None
    category: str | None = None

    def doc(self, exempt: str | None = None) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "department": self.department,
            "fields": self.fields,
            "leader": self.leader,
            "phone": self.phone,
            "category": self.category,
            "exempt_reason": exempt,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Project:
        return cls(
            code=doc["code"],
            name=doc["name"],
            department=doc["department"],
            fields=dict(doc.get("fields") or {}),
            leader=doc.get("leader"),
            phone=doc.get("phone"),
            category=doc.get("category"),
        )


@dataclass
class ProjectList:
    projects: list[Project]
    ignored: list[str] = field(default_factory=list)


def project_headers(spec: Spec) -> dict[str, str]:
    """The project form's prefillable fields and amounts (as a roster takes them), plain
    年初预算数 / 全年预算数 as the current-year appropriation's, and the list's own columns."""
    out = {k: v for k, v in roster_headers(spec).items() if v not in ("contact", "email")}
    funds = spec.funds
    if funds is not None:
        inputs = funds.inputs
        first = inputs.rows[0] if inputs.rows else None
        for col in funds.columns:
            key = f"fund_{first}_{col.key}"
            if first and col.key in inputs.columns and key in spec.all_fields():
                out.setdefault(col.label, key)
    return {**out, **PROJECT_HEADERS}


def read_projects(spec: Spec, path: Path, departments: dict[str, str]) -> ProjectList:
    """Every project row, typed and checked: 项目编码 unique in the round, 项目名称 given,
    部门编码 in the roster (``departments``: code → name). Errors name the row."""
    table = read_table(path, project_headers(spec), "projects")
    keys = {k for r in table.rows for k in r}
    for needed, label in (("project_code", "项目编码"), ("project_name", "项目名称")):
        if needed not in keys:
            raise InputError(
                f"项目清单 {path} 缺少「{label}」列", f"project list {path}: no {label} column"
            )
    if "department_code" not in keys:
        raise InputError(
            f"项目清单 {path} 缺少「部门编码」列：每个项目都要归属名单中的一个部门",
            f"project list {path}: no 部门编码 column; every project belongs to a department",
        )
    out = ProjectList([], table.ignored)
    seen: dict[str, int] = {}
    for row, n in zip(table.rows, table.lines, strict=True):
        project = _project(
            spec, row, f"project list {path}, row {n}", f"项目清单 {path} 第 {n} 行", departments
        )
        if project.code in seen:
            raise InputError(
                f"项目清单 {path} 第 {n} 行与第 {seen[project.code]} 行的项目编码重复：{project.code}",
                f"project list {path}: row {n} repeats the code {project.code} of row {seen[project.code]}",
            )
        seen[project.code] = n
        out.projects.append(project)
    return out


def _project(
    spec: Spec, row: dict[str, Any], where: str, where_zh: str, departments: dict[str, str]
) -> Project:
    code = code_text(
        row.pop("project_code", None) or "", f"{where}, 项目编码", f"{where_zh}「项目编码」"
    )
    if not code:
        raise InputError(f"{where_zh}：项目编码为空", f"{where}: 项目编码 is empty")
    name = str(row.pop("project_name", None) or "").strip()
    if not name:
        raise InputError(f"{where_zh}：项目名称为空", f"{where}: 项目名称 is empty")
    owner = code_text(
        row.pop("department_code", None) or "", f"{where}, 部门编码", f"{where_zh}「部门编码」"
    )
    if owner not in departments:
        raise InputError(
            f"{where_zh}：部门编码「{owner}」不在名单中",
            f"{where}: 部门编码 '{owner}' is not in the roster",
        )
    leader, phone = _text(row.pop("leader", None)), _text(row.pop("phone", None))
    category = _category(row.pop("category", None), where, where_zh)
    fields = spec.all_fields()
    for key, value in list(row.items()):
        row[key] = typed(
            fields[key].type, value, f"{where}, {key}", f"{where_zh}「{fields[key].label}」"
        )
    prefill = _identity(spec, code, name, owner, departments[owner])
    return Project(code, name, owner, {**row, **prefill}, leader, phone, category)


def _identity(spec: Spec, code: str, name: str, owner: str, owner_name: str) -> dict[str, Any]:
    """The project form's header as the list gives it: its name and code, its department."""
    fields = spec.all_fields()
    out: dict[str, Any] = {}
    if spec.identity.name:
        out[spec.identity.name] = name
    if spec.identity.code:
        out[spec.identity.code] = code
    for key, value in (("department_code", owner), ("competent_department", owner_name)):
        if key in fields:
            out[key] = value
    return out


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value).strip()


def _category(value: Any, where: str, where_zh: str) -> str | None:
    if value in (None, ""):
        return None
    found = CATEGORIES.get(re.sub(r"\s+", "", str(value)))
    if found is None:
        raise InputError(
            f"{where_zh}：项目类别「{value}」应为「一级」或「二级」",
            f"{where}: 项目类别 '{value}' is not 一级 or 二级",
        )
    return found


def read_project_indicators(spec: Spec, path: Path, codes: set[str]) -> Indicators:
    """Indicator rows: those with a 项目编码 belong to that project, the others to every
    project. An unknown code is an error; each project's points must add up."""
    table = read_indicators(spec, path, owners=OWNER, check=False)
    by_code: dict[str, list[dict[str, Any]]] = {}
    for code, rows in table.by_code.items():
        if code not in codes:
            raise InputError(
                f"指标文件 {path}：项目编码「{code}」不在项目清单中",
                f"indicators file {path}: 项目编码 '{code}' is not in the project list",
            )
        by_code.setdefault(code, []).extend(rows)
    table.by_code = by_code
    for code in sorted(codes):
        check_points(
            spec, table.common + by_code.get(code, []), f"指标文件 {path}（项目 {code}）",
            f"indicators file {path} (project {code})",
        )  # fmt: skip
    return table
