"""The passed forms of a round, as ``summary`` counts them: each form's current return
when it passed, identified by (department, kind, project code). A round of one form per
department has one per department; a round with project forms, one per form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xltool.forms.spec import Spec
from xltool.round.folder import Campaign
from xltool.round.ledger import ReturnRow
from xltool.round.status import CampaignStatus


@dataclass(frozen=True)
class PassedForm:
    code: str
    department: str
    kind: str
    project: str  # "" for a department's own form
    project_name: str
    current: ReturnRow

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.kind, self.code, self.project)

    @property
    def totals(self) -> dict[str, Any]:
        return self.current.totals or {}


def spec_of(campaign: Campaign, kind: str) -> Spec:
    """The spec of one kind of this round's forms."""
    specs = getattr(campaign, "specs", None)
    if specs is not None:
        found = specs()
        if kind in found:
            return found[kind]
    return campaign.spec()


def passed_forms(campaign: Campaign, st: CampaignStatus) -> list[PassedForm]:
    """Every form whose current return passed, sorted by (kind, department, project)."""
    out = []
    default_kind = str(campaign.config.get("kind") or "")
    for d in st.departments:
        forms = getattr(d, "forms", None)
        if not forms:
            if d.status == "passed" and d.current is not None:
                out.append(PassedForm(d.code, d.department, default_kind, "", "", d.current))
            continue
        for f in forms:
            if f.status == "passed" and f.current is not None:
                out.append(
                    PassedForm(d.code, d.department, f.kind, f.ref.project or "",
                               f.ref.project_name or "", f.current)
                )  # fmt: skip
    return sorted(out, key=lambda p: p.ident)
