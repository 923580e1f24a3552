"""A department's report (.docx) taken into the campaign like a return: stored once by
content hash under ``inbox/reports/`` (never modified) with a JSON sidecar of kind
``report``, read within bounds, matched to its department and held against that
department's current passed form.

Reports live in ``inbox/reports/``, not in ``inbox/`` itself: every sidecar there is a
workbook return's, which ``rebuild`` verifies as a spreadsheet. Matching: a valid
signature of this campaign's key over a report issue id (``issued/reports.jsonl``)
decides; otherwise the evidence :class:`xltool.round.matching.Matcher` weighs for
returns (by hand, the 部门/编码 line of the report, the sender, the file name)."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltool.checking.report_check import check_report
from xltool.checking.result import FileResult
from xltool.errors import XltoolError
from xltool.findings import Finding, jsonable
from xltool.keys import check as check_signature
from xltool.limits import Limits
from xltool.reading.report_docx import REPORT_SUFFIXES, ReportReading, read_report
from xltool.round.folder import Campaign, now_iso, read_json, safe_name, write_json
from xltool.round.matching import Matcher
from xltool.round.rebuild import open_ledger
from xltool.round.received import received
from xltool.round.reports_issue import issued_reports
from xltool.round.status import CampaignStatus, campaign_status
from xltool.safeio import OutputExists, read_input, shown_path, write_atomic

REPORTS_DIR = "reports"


def reports_dir(campaign: Campaign) -> Path:
    return campaign.inbox / REPORTS_DIR


def is_report(name: str) -> bool:
    """A file collect should hand to :func:`take_report` (by its name: .docx, .doc, .wps …)."""
    return Path(name).suffix.lower() in REPORT_SUFFIXES


@dataclass
class ReportOutcome:
    """What taking in one report did."""

    source: str
    sha256: str | None = None
    stored: str | None = None
    new: bool = False
    code: str | None = None
    department: str | None = None
    matched_by: str | None = None
    received_at: str | None = None
    findings: list[Finding] = field(default_factory=list)
    reason: tuple[str, str] | None = None  # (zh, en): not stored, or unmatched
    against: str | None = None  # the passed return it was held against

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return jsonable(
            {
                "input": shown_path(self.source),
                "kind": "report",
                "file": self.stored,
                "sha256": self.sha256,
                "new": self.new,
                "code": self.code,
                "department": self.department,
                "matched_by": self.matched_by,
                "against": self.against,
                "findings": [f.to_json(lang) for f in self.findings],
                "reason": (self.reason[0] if lang == "zh" else self.reason[1])
                if self.reason
                else None,
            }
        )

    def line(self, lang: str = "zh") -> str:
        """One line for collect's output."""
        zh = lang == "zh"
        if self.reason and not self.code:
            why = self.reason[0 if zh else 1]
            return f"{self.source}：报告，{why}" if zh else f"{self.source}: report, {why}"
        who = f"{self.code} {self.department or ''}".strip()
        n = len(self.findings)
        state = (
            (f"{n} 个问题" if n else "与自评表一致")
            if zh
            else (f"{n} findings" if n else "agrees with the form")
        )
        if self.against is None and not n:
            state = "尚无通过的自评表可核对" if zh else "no passed form to hold it against yet"
        return (
            f"{self.source} → {who}（报告）：{state}"
            if zh
            else f"{self.source} → {who} (report): {state}"
        )


def store_report(
    campaign: Campaign,
    data: bytes,
    original_name: str,
    *,
    received_at: str | None = None,
    mtime: float | None = None,
    source: str | None = None,
    sender: str | None = None,
    assigned: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """The report's bytes under inbox/reports/ (once, by content hash) and its sidecar;
    (sidecar, new). An existing sidecar is kept as it is."""
    sha = hashlib.sha256(data).hexdigest()
    folder = reports_dir(campaign)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{sha[:16]}-{safe_name(original_name)}"
    target = folder / name
    sidecar = target.with_name(name + ".json")
    if sidecar.exists():
        return read_json(sidecar), False
    with contextlib.suppress(OutputExists):
        write_atomic(target, lambda h: h.write(data))
    # the same receive time as a workbook's: an implausible one set aside, never a crash
    got = received([("given", received_at), ("mtime", mtime)], campaign.zone)
    doc = {
        "kind": "report",
        "sha256": sha,
        "file": name,
        "original_name": original_name,
        "received_at": got.at,
        "received_at_source": got.source,
        "recorded_at": now_iso(),
        "source": shown_path(source or original_name),
        "sender": sender,
        "assigned": assigned,
    }
    if got.set_aside:
        doc["received_at_set_aside"] = got.set_aside
    try:
        write_json(sidecar, doc, force=False)
    except OutputExists:
        return read_json(sidecar), False
    return doc, True


def match_report(
    campaign: Campaign,
    matcher: Matcher,
    reading: ReportReading,
    doc: dict[str, Any],
    key: bytes | None,
) -> tuple[str | None, str | None, str | None]:
    """(code, matched by, why none): a valid signature over an issued report decides."""
    issued = issued_reports(campaign)
    meta = reading.meta
    if meta.get("issue_id") in issued and check_signature(meta, key) == "valid-hmac":
        return issued[meta["issue_id"]]["code"], "signature", None
    result = FileResult(path=str(doc.get("file") or ""), data={"fields": dict(reading.header)})
    code, how, _why = matcher.match(result, doc)
    if code is None:
        return None, None, "签名、报告中的部门和文件名都无法确定部门"
    return code, how, None


def dept_kind(campaign: Campaign) -> str:
    """The kind of the departments' own forms (the round's first kind in older rounds)."""
    kinds = getattr(campaign, "kinds", None) or {}
    return str(kinds.get("dept") or campaign.config.get("kind") or "")


def dept_spec(campaign: Campaign) -> Any:
    """The spec of the departments' own forms."""
    kinds = getattr(campaign, "kinds", None) or {}
    return campaign.spec("dept") if "dept" in kinds else campaign.spec()


def dept_form(d: Any) -> tuple[str | None, Any]:
    """(status, current return) of a department's own form; in a round of one form per
    department, the department's."""
    forms = getattr(d, "forms", None)
    if not forms:
        return d.status, d.current
    own = next((f for f in forms if f.ref.role == "dept"), None)
    return (own.status, own.current) if own is not None else (None, None)


def passed_totals(
    campaign: Campaign, ledger: Any, status: CampaignStatus | None = None
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each department's own form's current return, when it passed: code → (file, totals)
    (from ``status`` when the caller has it, else computed)."""
    out = {}
    for d in (status or campaign_status(campaign, ledger)).departments:
        status, current = dept_form(d)
        if status == "passed" and current is not None:
            out[d.code] = (current.file, current.totals or {})
    return out


def take_report(
    campaign: Campaign,
    source: Path | bytes,
    *,
    original_name: str | None = None,
    received_at: str | None = None,
    assigned: str | None = None,
    sender: str | None = None,
    key: bytes | None = None,
    mtime: float | None = None,
    source_label: str | None = None,
) -> ReportOutcome:
    """Store, read, match and cross-check one report (a path, or its bytes with
    ``original_name``, the file's ``mtime`` and where it came from). Nothing is raised
    for what is wrong inside the file: that is in the outcome's findings."""
    name = original_name or (source.name if isinstance(source, Path) else "report.docx")
    label = source_label or (str(source) if isinstance(source, Path) else name)
    outcome = ReportOutcome(shown_path(label))
    limits = Limits()
    if isinstance(source, Path):
        try:
            data = read_input(source, limits.max_bytes)
            mtime = source.stat().st_mtime
        except OSError as exc:
            outcome.reason = (f"无法读取（{exc}）", f"cannot be read ({exc})")
            return outcome
    else:
        data = source
    doc, outcome.new = store_report(
        campaign, data, name, received_at=received_at, mtime=mtime,
        source=outcome.source, sender=sender, assigned=assigned,
    )  # fmt: skip
    outcome.sha256, outcome.stored, outcome.received_at = (
        doc["sha256"],
        doc["file"],
        doc["received_at"],
    )
    judged = judge_reports(campaign, [doc], key=key)
    state = judged[0]
    outcome.code, outcome.matched_by, outcome.findings = (
        state.code,
        state.matched_by,
        state.findings,
    )
    outcome.department, outcome.against = state.department, state.against
    if state.code is None:
        outcome.reason = (state.unmatched or "未匹配", "matched no department")
    return outcome


@dataclass
class ReportState:
    """A stored report as it stands now: its department, what it says, its findings."""

    doc: dict[str, Any]
    reading: ReportReading
    code: str | None
    matched_by: str | None
    department: str | None
    against: str | None
    findings: list[Finding]
    unmatched: str | None = None


def stored_reports(campaign: Campaign) -> list[dict[str, Any]]:
    """Every report sidecar under inbox/reports/, oldest received first."""
    docs = []
    for sidecar in sorted(reports_dir(campaign).glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            doc = read_json(sidecar)
            if isinstance(doc, dict) and doc.get("kind") == "report" and doc.get("file"):
                docs.append(doc)
    return sorted(docs, key=lambda d: (d.get("received_at") or "", d.get("recorded_at") or ""))


def judge_reports(
    campaign: Campaign,
    docs: list[dict[str, Any]] | None = None,
    *,
    key: bytes | None = None,
    status: CampaignStatus | None = None,
) -> list[ReportState]:
    """Each stored report (``docs``, all by default) read, matched and held against its
    department's current passed form, as things stand now."""
    docs = stored_reports(campaign) if docs is None else docs
    if key is None:
        with contextlib.suppress(XltoolError):  # no key here: signatures stay unverified
            key = campaign.key()
    form_kind = dept_kind(campaign)
    names = {d["code"]: d["department"] for d in campaign.departments()}
    out = []
    with open_ledger(campaign) as ledger:  # the matcher asks it per report
        matcher = Matcher(campaign, ledger)
        passed = passed_totals(campaign, ledger, status)
        for doc in docs:
            reading = read_report(
                reports_dir(campaign) / doc["file"], form_kind, name=doc["original_name"]
            )
            code, how, why = match_report(campaign, matcher, reading, doc, key)
            against = passed.get(code or "")
            findings = check_report(reading, against[1] if against else None)
            out.append(
                ReportState(doc, reading, code, how, names.get(code or ""),
                            against[0] if against else None, findings, why)
            )  # fmt: skip
    return out


def current_reports(
    campaign: Campaign, *, key: bytes | None = None, status: CampaignStatus | None = None
) -> dict[str, ReportState]:
    """Each department's latest report (by received time), judged as things stand."""
    out: dict[str, ReportState] = {}
    for state in judge_reports(campaign, key=key, status=status):
        if state.code is not None:
            out[state.code] = state  # oldest first: the latest stays
    return out


def report_status(
    campaign: Campaign, lang: str = "zh", status: CampaignStatus | None = None
) -> dict[str, dict[str, Any]]:
    """Each department's latest report as ``status`` shows it (none read when the round
    has no report): its file, when it came, whether it agrees with the form, and the
    findings in ``lang``. ``status``: the campaign's status, when the caller has it."""
    if not stored_reports(campaign):
        return {}
    return {
        code: {
            "file": state.doc.get("original_name") or state.doc["file"],
            "received_at": state.doc.get("received_at"),
            "status": "to-fix" if state.findings else "ok",
            "held_against": state.against,
            "findings": [f.message(lang) for f in state.findings],
        }
        for code, state in current_reports(campaign, status=status).items()
    }
