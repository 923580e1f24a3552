"""Which form of the round a return is: its department (:class:`Matcher`), then, within
it, its department form or which of its projects.

The evidence for a project, in order: a valid signature (the issued form itself); a hand
assignment (``D01/P0003``); the header's 项目编码, which names one project of the round
and so its department too; the header's 项目名称 within the matched department; the file
name (a project code as a whole token, else the longest project name). A project return
that names a project not in the round is unmatched, never credited to another project;
a department form is never credited to a project form, nor the reverse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xltool.checking.result import FileResult
from xltool.round.folder import Campaign, made_from
from xltool.round.formset import DEPT, PROJECT, split_form_id
from xltool.round.ledger import Ledger
from xltool.round.matching import Matcher, outermost, plain, unique, whole_tokens

Match = tuple[str | None, str | None, str | None, str | None]
"""(department code, form id, what decided, why no form)."""


def project_keys(campaign: Campaign) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The round's projects by code, and each plain code → its code; made again only
    when projects.json changes (3,000 projects took 9 ms to read for every upload)."""

    def make() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        projects = campaign.projects()
        return {p["code"]: p for p in projects}, unique(
            (plain(p["code"]), p["code"]) for p in projects
        )

    return made_from(campaign.root / "projects.json", "project_keys", make)


class FormMatcher:
    def __init__(self, campaign: Campaign, ledger: Ledger) -> None:
        self.matcher = Matcher(campaign, ledger)
        self.campaign, self.roles = campaign, campaign.roles
        self.projects, self.codes = project_keys(campaign) if PROJECT in self.roles else ({}, {})
        identity = campaign.spec(PROJECT).identity if PROJECT in self.roles else None
        self.code_field = (identity.code if identity else None) or "project_code"
        self.name_field = (identity.name if identity else None) or "project_name"

    def match(self, result: FileResult, doc: dict[str, Any]) -> Match:
        role = self.role(result)
        signed = self.matcher.signed_form(result)
        if signed is not None:
            return signed[0], signed[1], "signature", None
        if doc.get("assigned"):
            department, project = split_form_id(str(doc["assigned"]))
            code = self.matcher.code_of(department)
            if code:
                return (code, *self.form_in(code, role, result, doc, project, "hand"))
        if role == PROJECT:
            found = self._header_project(result)
            if found is not None:
                return found["department"], _form_id(found), "header", None
        code, how, reason = self.matcher.match(result, doc)
        if code is None and role == PROJECT:
            found = self._file_name_project(doc, None)
            if found is not None:
                return found["department"], _form_id(found), "file-name", None
        if code is None:
            return None, None, None, reason
        return (code, *self.form_in(code, role, result, doc, None, how))

    def form_in(
        self,
        code: str,
        role: str | None,
        result: FileResult,
        doc: dict[str, Any],
        project: str | None,
        how: str | None,
    ) -> tuple[str | None, str | None, str | None]:
        """(form id, what decided, why none) within the department ``code``."""
        if role is None:
            return None, how, f"表样「{result.kind}」不是本批次要求的表"
        if role not in self.roles:
            return None, how, f"本批次不要求{_ROLE_ZH[role]}"
        if role == DEPT:
            if project:
                return None, how, "这是部门整体支出绩效自评表，不是项目表"
            return code, how, None
        return self._project_in(code, result, doc, project, how)

    def _project_in(
        self,
        code: str,
        result: FileResult,
        doc: dict[str, Any],
        project: str | None,
        how: str | None,
    ) -> tuple[str | None, str | None, str | None]:
        mine = {c: p for c, p in self.projects.items() if p["department"] == code}
        fields = (result.data or {}).get("fields") or {}
        typed = plain(project) if project else plain(fields.get(self.code_field))
        if typed:
            found = self.codes.get(typed)
            if found is None:
                return (
                    None,
                    how,
                    f"项目编码「{project or fields.get(self.code_field)}」不在本批次项目清单中",
                )
            if found not in mine:
                return None, how, f"项目「{found}」不是部门 {code} 的项目"
            return _form_id(mine[found]), how, None
        name = plain(fields.get(self.name_field))
        named = [p for p in mine.values() if name and plain(p["name"]) == name]
        if len(named) == 1:
            return _form_id(named[0]), how, None
        by_file = self._file_name_project(doc, mine)
        if by_file is not None:
            return _form_id(by_file), how, None
        return None, how, f"无法确定是部门 {code} 的哪个项目（表头没有项目编码，名称也对不上）"

    def role(self, result: FileResult) -> str | None:
        role = self.campaign.role_of(result.kind)
        if role is None and result.kind is None and len(self.roles) == 1:
            return self.roles[0]  # a file too damaged to say its kind: the round's only kind
        return role

    def _header_project(self, result: FileResult) -> dict[str, Any] | None:
        fields = (result.data or {}).get("fields") or {}
        found = self.codes.get(plain(fields.get(self.code_field)))
        return self.projects.get(found) if found else None

    def _file_name_project(
        self, doc: dict[str, Any], among: dict[str, dict[str, Any]] | None
    ) -> dict[str, Any] | None:
        """The one project a file name names: by whole-token code, else by the longest
        project name in it (within ``among``, else the whole round)."""
        pool = self.projects if among is None else among
        text = plain(Path(doc.get("original_name") or "").stem)
        codes = outermost(whole_tokens(self.codes, text))
        by_code = {self.codes[k] for k in codes} & set(pool)
        if len(by_code) == 1:
            return pool[by_code.pop()]
        names = outermost({plain(p["name"]) for p in pool.values() if plain(p["name"]) in text})
        hits = [p for p in pool.values() if plain(p["name"]) in names]
        return hits[0] if len(hits) == 1 else None


_ROLE_ZH = {DEPT: "部门整体支出绩效自评表", PROJECT: "项目支出绩效自评表"}


def _form_id(project: dict[str, Any]) -> str:
    return f"{project['department']}/{project['code']}"
