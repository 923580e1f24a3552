"""``xltool collect``: returned files into the campaign's inbox, verified, matched to a
department and recorded in the ledger.

Each input is read once, within the size bound; stored once by content hash, never
modified, with a sidecar saying when and from where it came (written before the ledger,
so a run killed at any point is finished by the next one); verified in the bounded
workers; matched to its form (see :mod:`xltool.round.form_matching` and :class:`xltool.round.matching.Matcher`); and recorded in one
ledger transaction, once however many runs see it. A return moved by hand afterwards
(:mod:`xltool.round.assign`) is recorded in the campaign's ``assignments.json``, which
:func:`stored_sidecars` lays over the sidecars, so a rebuilt ledger keeps it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xltool.checking.result import FileResult
from xltool.errors import XltoolError
from xltool.findings import jsonable
from xltool.round.folder import Campaign, read_json, read_kept, safe_name, write_json
from xltool.round.form_matching import FormMatcher
from xltool.round.ledger import Ledger
from xltool.round.received import received
from xltool.round.results import keeper
from xltool.safeio import OutputExists, shown_path

STRONG = ("signature", "hand")  # evidence a weaker match never displaces
ASSIGNMENTS = "assignments.json"  # the campaign's hand assignments of stored returns
SIDECAR_KEYS = (
    "sha256",
    "file",
    "original_name",
    "received_at",
    "received_at_source",
    "recorded_at",
    "source",
    "sender",
    "message_id",
)


@dataclass
class Item:
    """One input: a file, or a member of a zip (or, later, a mail attachment)."""

    original_name: str
    source: str
    data: bytes | None = None
    mtime: float | None = None
    problem: tuple[str, str] | None = None  # (zh, en) why it cannot be stored
    sender: str | None = None
    message_id: str | None = None
    received_at: str | None = None  # from the message, when there is one
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str | None = None


@dataclass
class Outcome:
    """What collect did with one input."""

    item: Item
    sha256: str | None = None
    new: bool = False
    stored: str | None = None
    code: str | None = None
    form: str | None = None  # the form it is a return of (``D01``, ``D01/P0003``)
    department: str | None = None
    matched_by: str | None = None
    status: str | None = None  # ok | invalid | unreadable (the return's verify status)
    errors: int = 0
    warnings: int = 0
    annotated: str | None = None
    reason: tuple[str, str] | None = None  # (zh, en): unmatched, not stored …
    notes: list[tuple[str, str]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)  # as the ledger has them
    beside: Any = None  # a report or a 复核表 taken beside the forms, with its own line

    @property
    def beside_ok(self) -> bool:
        """A report or 复核表 matched, and (a report) without findings."""
        found = self.beside
        matched = getattr(found, "code", None) or getattr(found, "form", None)
        trouble = ("findings", "reason", "problem")
        return bool(matched) and not any(getattr(found, k, None) for k in trouble)

    @property
    def recorded(self) -> bool:
        return self.sha256 is not None and self.item.problem is None

    @property
    def kind(self) -> str:
        """What the input's one line says: collected, duplicate, refused or unmatched."""
        if self.beside is not None:
            return "report" if hasattr(self.beside, "findings") else "recheck"
        if not self.recorded:
            return "refused"
        if self.code is None or self.form is None:
            return "unmatched"
        return "collected" if self.new else "duplicate"

    def to_json(self, lang: str) -> dict[str, Any]:
        if self.beside is not None and hasattr(self.beside, "to_json"):
            return jsonable(self.beside.to_json(lang))
        return jsonable(
            {
                "input": shown_path(self.item.source),
                "outcome": self.kind,
                "file": self.stored,
                "sha256": self.sha256,
                "new": self.new,
                "code": self.code,
                "form": self.form,
                "department": self.department,
                "matched_by": self.matched_by,
                "status": self.status,
                "errors": self.errors,
                "warnings": self.warnings,
                "annotated": self.annotated,
                "reason": (self.reason[0] if lang == "zh" else self.reason[1])
                if self.reason
                else None,
                "notes": [zh if lang == "zh" else en for zh, en in self.notes],
            }
        )


# --- storing -----------------------------------------------------------------------------


def stored_sidecars(campaign: Campaign) -> dict[str, dict[str, Any]]:
    """Every sidecar in inbox/, by content hash (read once per run), with the latest hand
    assignment of ``assignments.json`` as its ``assigned``."""
    out = {}
    for sidecar in campaign.inbox.glob("*.json"):
        try:
            doc = read_json(sidecar)
        except (OSError, ValueError):
            continue  # being written by a concurrent run: its no-clobber write decides
        if isinstance(doc, dict) and doc.get("sha256"):
            out[doc["sha256"]] = doc
    return _with_assignments(campaign, out)


def stored_name(sha: str, original_name: str) -> str:
    """The name a content is stored under in inbox/ (its sidecar adds ``.json``)."""
    return f"{sha[:16]}-{safe_name(original_name)}"


def sidecars_for(
    campaign: Campaign, ledger: Ledger, items: list[Item]
) -> dict[str, dict[str, Any]]:
    """The sidecars of these inputs' contents, if stored, by sha256 (with their hand
    assignments): where the ledger says a recorded return is stored, else under the name
    the input itself would be stored as. No listing of inbox/, whose thousands of
    returns a server would otherwise read through for each upload; the same bytes stored
    under another name by a run killed before recording them are found by
    :func:`unrecorded`, which ``collect`` asks once a run."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.data is None:
            continue
        sha = hashlib.sha256(item.data).hexdigest()
        name = ledger.stored_file(sha) or stored_name(sha, item.original_name)
        with contextlib.suppress(OSError, ValueError):
            doc = read_json(campaign.inbox / f"{name}.json")
            if isinstance(doc, dict) and doc.get("sha256") == sha:
                out[sha] = doc
    return _with_assignments(campaign, out)


def unrecorded(campaign: Campaign, ledger: Ledger) -> dict[str, dict[str, Any]]:
    """Every stored return the ledger does not have, by sha256 (with its hand
    assignment): what a run killed between storing and recording left. One listing of
    inbox/ (sidecar names begin with 16 digits of the hash)."""
    recorded = {sha[:16] for sha in ledger.recorded()}
    out: dict[str, dict[str, Any]] = {}
    names = os.listdir(campaign.inbox) if campaign.inbox.is_dir() else []
    for name in names:
        if not name.endswith(".json") or name[16:17] != "-" or name[:16] in recorded:
            continue
        with contextlib.suppress(OSError, ValueError):
            doc = read_json(campaign.inbox / name)
            if not isinstance(doc, dict) or not doc.get("sha256"):
                continue
            file = doc.get("file")
            if not isinstance(file, str) or Path(file).name != file:
                continue  # a sidecar names its file beside it, never a path elsewhere
            if (campaign.inbox / file).is_file() and not ledger.has_return(doc["sha256"]):
                out[doc["sha256"]] = doc
    return _with_assignments(campaign, out)


def _with_assignments(
    campaign: Campaign, docs: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Sidecars with the latest hand assignment of ``assignments.json`` as ``assigned``."""
    if docs:
        for sha, code in assignments(campaign).items():
            if sha in docs:
                docs[sha] = {**docs[sha], "assigned": code}
    return docs


def read_assignments(campaign: Campaign) -> dict[str, list[dict[str, Any]]]:
    """``assignments.json``: each moved return's hand assignments, oldest first (sha256 →
    [{code, file, assigned_at}, …]); empty when no return was ever moved."""
    path = campaign.root / ASSIGNMENTS
    doc = read_kept(path)
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not all(map(_moves, doc.values())):
        raise XltoolError(
            f"{shown_path(path)} 不是手工指定记录", f"{shown_path(path)} is not an assignments file"
        )
    return doc


def _moves(value: Any) -> bool:
    """One return's entry of assignments.json: a list of assignments, each with a code."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and m.get("code") for m in value)
    )


def assignments(campaign: Campaign) -> dict[str, str]:
    """Each moved return's latest hand assignment: sha256 → department code."""
    return {sha: str(moves[-1].get("code")) for sha, moves in read_assignments(campaign).items()}


def store(
    campaign: Campaign,
    item: Item,
    received_at: str | None,
    assigned: str | None,
    known: dict[str, dict[str, Any]] | None = None,
    notes: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The input's bytes in inbox/ (once, by content hash) and then its sidecar; an
    existing sidecar (an earlier or concurrent run) is kept as it is. The receive time
    is settled before anything is written (:func:`.received.received`): a time set aside
    as implausible is kept in the sidecar and said in ``notes``. OSError when the file
    system refuses the file."""
    assert item.data is not None
    sha = hashlib.sha256(item.data).hexdigest()
    known = stored_sidecars(campaign) if known is None else known
    if sha in known:
        return known[sha]
    name = stored_name(sha, item.original_name)
    now = datetime.now(UTC)
    candidates = [("given", received_at), ("message", item.received_at), ("mtime", item.mtime)]
    when = received(candidates, campaign.zone, now)
    doc = {
        "sha256": sha,
        "file": name,
        "original_name": item.original_name,
        "received_at": when.at,
        "received_at_source": when.source,
        "recorded_at": now.isoformat(timespec="microseconds"),
        "source": shown_path(item.source),
        "sender": item.sender,
        "message_id": item.message_id,
        "in_reply_to": item.in_reply_to,
        "references": item.references,
        "subject": item.subject,
        "assigned": assigned,
    }
    if when.set_aside:
        doc["received_at_set_aside"] = when.set_aside
    target = campaign.inbox / name
    with contextlib.suppress(OutputExists):  # the same bytes, stored by a concurrent run
        write_atomic_bytes(target, item.data)
    try:
        write_json(target.with_name(name + ".json"), doc, force=False)
    except OutputExists:
        return read_json(target.with_name(name + ".json"))
    if notes is not None:
        notes.extend(when.notes)
    return doc


def write_atomic_bytes(path: Path, data: bytes) -> None:
    from xltool.safeio import write_atomic

    write_atomic(path, lambda h: h.write(data))


# --- verifying, matching, recording ------------------------------------------------------


def record_stored(
    campaign: Campaign,
    ledger: Ledger,
    docs: list[dict[str, Any]],
    *,
    key: bytes | None = None,
    jobs: int | None = None,
    progress: Callable[[FileResult], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Verify every stored return not yet in the ledger, match it and record it.
    Returns the recorded rows by sha256."""
    from xltool.checking.verify import verify_paths

    todo = [d for d in docs if not ledger.has_return(d["sha256"])]
    if not todo:
        return {}
    spec = campaign.specs()
    if key is None:
        key = campaign.key()
    paths = [campaign.inbox / d["file"] for d in todo]
    targets = {
        p: campaign.annotated_dir / f"{Path(d['file']).stem}-校验.xlsx"
        for p, d in zip(paths, todo, strict=True)
    }
    results = verify_paths(
        paths,
        spec=spec,
        key=key,
        jobs=jobs,
        progress=progress,
        annotate=targets,
        annotate_findings_only=True,
        batch=False,
        keep=keeper(campaign, key),  # so the roll-up need not verify them again
    )
    matcher = FormMatcher(campaign, ledger)
    recorded = {}
    for doc, result in zip(todo, results, strict=True):
        code, form_id, how, reason = matcher.match(result, doc)
        totals = result.totals or {}
        row = {
            **{k: doc.get(k) for k in SIDECAR_KEYS},
            "code": code,
            "matched_by": how,
            "issue_id": result.issue_id,
            "status": result.status,
            "errors": result.errors,
            "warnings": result.warnings,
            "execution_rate": totals.get("execution_rate"),
            "score": totals.get("score"),
            "totals": _json(totals) if result.totals else None,
            "findings": _json([_both(f) for f in result.findings]),
            "annotated": Path(result.annotated).name if result.annotated else None,
            "unmatched_reason": reason,
            "form_id": form_id,
        }
        ledger.put_return(row)
        recorded[doc["sha256"]] = row
    return recorded


def _both(finding: Any) -> dict[str, Any]:
    """A finding as the ledger keeps it: in Chinese, and its message in English too (the
    pages of ``xltool serve --lang en``)."""
    return {**finding.to_json("zh"), "message_en": finding.message("en")}


def _json(value: Any) -> str:
    import json

    return json.dumps(jsonable(value), ensure_ascii=False)
