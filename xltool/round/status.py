"""Where every department of a campaign stands: ``xltool status`` as a library.

A department's *current return* is its latest by received time (ties by the order
recorded), whatever its state; a return placed by weak evidence (the header, the file
name) never displaces one matched by its signature or by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from xltool.round.folder import Campaign
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
    "sent": ("已发送", "sent"),
    "send-failed": ("发送失败", "send failed"),
    "unknown": ("发送结果未知", "outcome unknown"),
}


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

    def label(self, lang: str = "zh") -> str:
        zh, en = STATUSES[self.status]
        return zh if lang == "zh" else en


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

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
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
                }
                for d in self.departments
            ],
            "unmatched": [
                {"file": r.file, "sha256": r.sha256, "reason": r.unmatched_reason}
                for r in self.unmatched
            ],
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
        if outcome in ("sent", "send-failed", "sending"):
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
    returns = ledger.returns()
    issued: dict[str, str] = {}
    for row in ledger.issued():
        issued.setdefault(row["code"], row["issued_at"])
    delivery, reminded = delivery_of(ledger), last_reminders(ledger)
    out = []
    for d in ledger.departments():
        mine = [r for r in returns if r.code == d["code"]]
        current = current_return(mine)
        passed = current_return([r for r in mine if r.status == "ok"])
        if d["exempt_reason"]:
            status = "exempt"
        elif current is None:
            status = "overdue" if end is not None and now >= end else "missing"
        elif current.status == "ok":
            status = "passed"
        else:
            status = "to-fix"
        out.append(
            DepartmentStatus(
                code=d["code"],
                department=d["name"],
                contact=d["contact"],
                emails=json.loads(d["emails"] or "[]"),
                status=status,
                issued_at=issued.get(d["code"]),
                returns=mine,
                current=current,
                last_passed=passed,
                exempt_reason=d["exempt_reason"],
                delivery=delivery.get(d["code"], "not-sent"),
                last_reminder=reminded.get(d["code"]),
            )
        )
    return CampaignStatus(campaign, out, [r for r in returns if r.code is None], end)
