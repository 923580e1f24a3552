"""Where every form and every department of a campaign stands: ``xltool status`` as a
library.

A form's *current return* is its latest by received time (ties by the order recorded),
whatever its state; a return placed by weak evidence (the header, the file name) never
displaces one matched by its signature or by hand. A department's status is its worst
form's that is not exempt (overdue, missing, to fix, passed); exempt when all are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from xltool.round.folder import Campaign
from xltool.round.formset import DEPT, FormRef
from xltool.round.intake import STRONG
from xltool.round.ledger import Ledger, ReturnRow

# Stable codes, with the labels people read.
STATUSES = {
    "missing": ("未报送", "missing"),
    "overdue": ("逾期未报送", "overdue"),
    "to-fix": ("待修改", "to fix"),
    "passed": ("通过", "passed"),
    "exempt": ("免报", "exempt"),
}


# How a department's form travelled (mail is the campaign's, this is its view)
DELIVERY = {
    "not-sent": ("未发送", "not sent"),
    "drafted": ("已生成草稿", "drafted"),
    "sent": ("已发送", "sent"),
    "send-failed": ("发送失败", "send failed"),
    "unknown": ("发送结果未知", "outcome unknown"),
}


WORST_FIRST = ("overdue", "missing", "to-fix", "passed")


@dataclass
class FormStatus:
    """One form of the round: its returns, the current and last passed one, its status."""

    ref: FormRef
    kind: str
    status: str
    returns: list[ReturnRow] = field(default_factory=list)
    current: ReturnRow | None = None
    last_passed: ReturnRow | None = None
    exempt_reason: str | None = None

    def label(self, lang: str = "zh") -> str:
        zh, en = STATUSES[self.status]
        return zh if lang == "zh" else en


@dataclass
class DepartmentStatus:
    code: str
    department: str
    contact: str | None
    emails: list[str]
    status: str
    issued_at: str | None
    returns: list[ReturnRow] = field(default_factory=list)
    current: ReturnRow | None = None
    last_passed: ReturnRow | None = None
    exempt_reason: str | None = None
    delivery: str = "not-sent"  # not-sent | sent | send-failed | unknown (see mail.jobs)
    last_reminder: str | None = None
    forms: list[FormStatus] = field(default_factory=list)

    def label(self, lang: str = "zh") -> str:
        zh, en = STATUSES[self.status]
        return zh if lang == "zh" else en

    @property
    def owed(self) -> list[FormStatus]:
        """The forms that count: every form not exempt."""
        return [f for f in self.forms if f.status != "exempt"]

    @property
    def forms_passed(self) -> int:
        return sum(f.status == "passed" for f in self.owed)

    def outstanding(self) -> list[FormStatus]:
        """The forms still owed or to fix, worst first (what a reminder names)."""
        waiting = [f for f in self.owed if f.status != "passed"]
        return sorted(waiting, key=lambda f: WORST_FIRST.index(f.status))


@dataclass
class CampaignStatus:
    campaign: Campaign
    departments: list[DepartmentStatus]
    unmatched: list[ReturnRow]
    deadline_end: datetime | None

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(d.status == s for d in self.departments) for s in STATUSES}

    def late(self, row: ReturnRow | None) -> bool:
        if row is None or self.deadline_end is None:
            return False
        return datetime.fromisoformat(row.received_at) >= self.deadline_end

    def to_json(
        self, lang: str = "zh", reports: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The documented JSON; ``reports`` (each department's latest 评价报告, from
        :func:`xltool.round.reports_intake.report_status`) adds ``report`` to each."""
        c = self.campaign
        return {
            "campaign": {
                "folder": str(c.root),
                "title": c.config.get("title"),
                "kind": c.config.get("kind"),
                "year": c.config.get("year"),
                "deadline": c.deadline.isoformat() if c.deadline else None,
                "timezone": c.zone,
            },
            "counts": self.counts,
            "coverage": self.coverage(),
            "departments": [
                {
                    "code": d.code,
                    "department": d.department,
                    "contact": d.contact,
                    "email": d.emails,
                    "status": d.status,
                    "status_label": d.label(lang),
                    "exempt_reason": d.exempt_reason,
                    "issued_at": d.issued_at,
                    "delivery": d.delivery,
                    "last_reminder": d.last_reminder,
                    "returns": len(d.returns),
                    "current": self._return(d.current),
                    "last_passed": self._return(d.last_passed),
                    "forms_total": len(d.owed),
                    "forms_passed": d.forms_passed,
                    "forms": [self._form(f, lang) for f in d.forms],
                    **({"report": reports.get(d.code)} if reports is not None else {}),
                }
                for d in self.departments
            ],
            "unmatched": [
                {"file": r.file, "sha256": r.sha256, "reason": r.unmatched_reason}
                for r in self.unmatched
            ],
        }

    def coverage(self) -> dict[str, dict[str, Any]]:
        """Per kind of form: how many there are, passed and exempt, and the share passed
        of those that count."""
        out: dict[str, dict[str, Any]] = {}
        for f in (f for d in self.departments for f in d.forms):
            c = out.setdefault(f.kind, {"total": 0, "passed": 0, "exempt": 0})
            c["total"] += 1
            c["passed"] += f.status == "passed"
            c["exempt"] += f.status == "exempt"
        for c in out.values():
            counted = c["total"] - c["exempt"]
            c["ratio"] = round(c["passed"] / counted, 4) if counted else None
        return out

    def _form(self, f: FormStatus, lang: str) -> dict[str, Any]:
        return {
            "form": f.ref.id,
            "kind": f.kind,
            "role": f.ref.role,
            "project_code": f.ref.project,
            "project_name": f.ref.project_name,
            "status": f.status,
            "status_label": f.label(lang),
            "returns": len(f.returns),
            "current": self._return(f.current),
            "last_passed": self._return(f.last_passed),
            "exempt_reason": f.exempt_reason,
        }

    def _return(self, row: ReturnRow | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {
            "file": row.file,
            "sha256": row.sha256,
            "received_at": row.received_at,
            "received_at_source": row.received_at_source,
            "late": self.late(row),
            "matched_by": row.matched_by,
            "status": row.status,
            "errors": row.errors,
            "warnings": row.warnings,
            "execution_rate": row.execution_rate,
            "score": row.score,
        }


def delivery_of(ledger: Ledger) -> dict[str, str]:
    """Each department's delivery of its form: the latest ``issue`` message's outcome."""
    out: dict[str, str] = {}
    for row in ledger.messages("issue"):
        outcome = row["outcome"]
        if outcome in ("sent", "send-failed", "sending", "drafted"):
            out[row["code"]] = "unknown" if outcome == "sending" else outcome
    return out


def last_reminders(ledger: Ledger) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in ledger.messages("remind"):
        if row["outcome"] in ("sent", "drafted"):
            out[row["code"]] = row["updated_at"]
    return out


def current_return(returns: list[ReturnRow]) -> ReturnRow | None:
    """The latest return by received time (ties: the order recorded); one placed by
    weak evidence never displaces one matched by signature or by hand."""
    strong = [r for r in returns if r.matched_by in STRONG]
    pool = strong or returns
    return max(pool, key=lambda r: (r.received_at, r.recorded_at, r.id), default=None)


def campaign_status(
    campaign: Campaign, ledger: Ledger, now: datetime | None = None
) -> CampaignStatus:
    now = now or datetime.now(UTC)
    end = campaign.deadline_end()
    late = end is not None and now >= end
    returns = ledger.returns()
    issued: dict[str, str] = {}
    for row in ledger.issued():
        issued.setdefault(row["code"], row["issued_at"])
    delivery, reminded = delivery_of(ledger), last_reminders(ledger)
    departments = ledger.departments()
    exempt = {d["code"] for d in departments if d["exempt_reason"]}
    forms = _forms_by_department(campaign, ledger, returns, late, exempt)
    by_code: dict[str | None, list[ReturnRow]] = {}
    for r in returns:
        by_code.setdefault(r.code, []).append(r)
    out = []
    for d in departments:
        mine = forms.get(d["code"], [])
        own = next((f for f in mine if f.ref.role == DEPT), None)
        out.append(
            DepartmentStatus(
                code=d["code"],
                department=d["name"],
                contact=d["contact"],
                emails=json.loads(d["emails"] or "[]"),
                status=_worst(mine, d["exempt_reason"]),
                issued_at=issued.get(d["code"]),
                returns=by_code.get(d["code"], []),
                current=own.current if own else None,
                last_passed=own.last_passed if own else None,
                exempt_reason=d["exempt_reason"],
                delivery=delivery.get(d["code"], "not-sent"),
                last_reminder=reminded.get(d["code"]),
                forms=mine,
            )
        )
    return CampaignStatus(campaign, out, [r for r in returns if r.form_id is None], end)


def _forms_by_department(
    campaign: Campaign,
    ledger: Ledger,
    returns: list[ReturnRow],
    late: bool,
    exempt_departments: set[str],
) -> dict[str, list[FormStatus]]:
    by_form: dict[str, list[ReturnRow]] = {}
    for r in returns:
        if r.form_id:
            by_form.setdefault(r.form_id, []).append(r)
    kinds = campaign.kinds
    out: dict[str, list[FormStatus]] = {}
    for row in ledger.forms():
        ref = FormRef(row["code"], row["role"], row["project_code"], row["project_name"])
        mine = by_form.get(ref.id, [])
        current = current_return(mine)
        passed = current_return([r for r in mine if r.status == "ok"])
        reason = row["exempt_reason"] or ("部门免报" if row["code"] in exempt_departments else None)
        status = _status(current, reason, late)
        kind = kinds.get(ref.role, ref.role)
        out.setdefault(ref.department, []).append(
            FormStatus(ref, kind, status, mine, current, passed, reason)
        )
    return out


def _status(current: ReturnRow | None, exempt: str | None, late: bool) -> str:
    if exempt:
        return "exempt"
    if current is None:
        return "overdue" if late else "missing"
    return "passed" if current.status == "ok" else "to-fix"


def _worst(forms: list[FormStatus], exempt: str | None) -> str:
    if exempt:
        return "exempt"
    owed = [f.status for f in forms if f.status != "exempt"]
    if not owed:  # every form exempt, or none asked of it (a project round, no projects)
        return "exempt"
    return min(owed, key=WORST_FIRST.index)
