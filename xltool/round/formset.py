"""The forms a round asks for: each department's department form (部门整体支出绩效自评表)
and one project form (项目支出绩效自评表) per project of the department, or either alone.

A form is identified by its department and, for a project form, its 项目编码: ``D01`` is
department D01's own form, ``D01/P0003`` its project P0003's. A round made before
project forms existed holds department forms only, each identified by its code.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from xltool.errors import XltoolError

DEPT, PROJECT = "dept", "project"
ROLES = (DEPT, PROJECT)
ROLE_LABELS = {
    DEPT: ("部门整体支出绩效自评表", "department form"),
    PROJECT: ("项目支出绩效自评表", "project form"),
}


@dataclass(frozen=True)
class FormRef:
    """One form of the round."""

    department: str
    role: str = DEPT
    project: str | None = None
    project_name: str | None = None

    @property
    def id(self) -> str:
        return self.department if self.project is None else f"{self.department}/{self.project}"

    def label(self, lang: str = "zh") -> str:
        """How people name it: 部门整体 or the project's code and name."""
        if self.role == DEPT:
            return "部门整体" if lang == "zh" else "department form"
        return f"{self.project} {self.project_name or ''}".strip()


def split_form_id(text: str) -> tuple[str, str | None]:
    """``D01/P0003`` → (``D01``, ``P0003``); ``D01`` → (``D01``, None). Full-width
    characters and spaces as people type them are taken as the plain ones."""
    plain = "".join(unicodedata.normalize("NFKC", text).split())
    department, slash, project = plain.partition("/")
    if not department or (slash and not project):
        raise XltoolError(
            f"「{text}」不是表单编号（应为 部门编码 或 部门编码/项目编码，如 D01/P0003）",
            f"'{text}' is not a form (a department code, or department/project like D01/P0003)",
        )
    return department, project or None


def parse_roles(text: str) -> list[str]:
    """``--forms dept,project`` → the roles, in the order of ROLES."""
    asked = {r.strip() for r in text.split(",") if r.strip()}
    unknown = sorted(asked - set(ROLES))
    if unknown or not asked:
        raise XltoolError(
            f"--forms 只能是 dept、project 或二者（dept,project），现为「{text}」",
            f"--forms takes dept, project or both (dept,project); not '{text}'",
        )
    return [r for r in ROLES if r in asked]
