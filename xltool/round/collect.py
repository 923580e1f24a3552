"""``collect``: every input stored, verified, matched and recorded; one outcome per input."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from xltool.checking.result import FileResult
from xltool.reading.sniff import Limits
from xltool.round.assign import Assignment, move, signature_note, target_code
from xltool.round.folder import Campaign
from xltool.round.intake import (
    Item,
    Outcome,
    items_from_paths,
    record_stored,
    store,
    stored_sidecars,
)
from xltool.round.ledger import ReturnRow
from xltool.round.rebuild import open_ledger


def collect(
    campaign: Campaign,
    paths: Iterable[str],
    *,
    received_at: str | None = None,
    assigned: str | None = None,
    key: bytes | None = None,
    jobs: int | None = None,
    items: list[Item] | None = None,
    progress: Callable[[FileResult], None] | None = None,
) -> list[Outcome]:
    """Store, verify, match and record every input; one Outcome per input. With
    ``assigned`` (a department code), every input is that department's by hand: a new
    one as it is recorded, one stored before moved there (:func:`.assign.move`); a
    valid signature of this campaign still decides (a note says so)."""
    if assigned is not None:
        assigned = target_code(campaign, assigned)  # not in the roster: a usage error
    limits = Limits()
    key = key or campaign.key()
    items = items if items is not None else items_from_paths(paths, campaign, limits)
    outcomes = [Outcome(item) for item in items]
    docs: dict[str, dict[str, Any]] = {}
    known = stored_sidecars(campaign)
    with open_ledger(campaign) as ledger:
        for outcome in outcomes:
            if outcome.item.problem or outcome.item.data is None:
                outcome.reason = outcome.item.problem or ("无法读取", "cannot be read")
                continue
            doc = store(campaign, outcome.item, received_at, assigned, known)
            known[doc["sha256"]] = doc
            outcome.sha256, outcome.stored = doc["sha256"], doc["file"]
            outcome.new = not ledger.has_return(doc["sha256"])
            docs[doc["sha256"]] = doc
        record_stored(campaign, ledger, list(docs.values()), key=key, jobs=jobs, progress=progress)
        moved = {
            sha: move(campaign, ledger, doc, assigned, key=key)
            for sha, doc in (docs.items() if assigned else ())
        }
        rows = {r.sha256: r for r in ledger.returns()}
    names = {d["code"]: d["department"] for d in campaign.departments()}
    for outcome in outcomes:
        row = rows.get(outcome.sha256 or "")
        if row is not None:
            _tell(outcome, row, names, assigned, moved.get(row.sha256))
    return outcomes


def _tell(
    outcome: Outcome,
    row: ReturnRow,
    names: dict[str, str],
    assigned: str | None,
    moved: Assignment | None,
) -> None:
    """An outcome filled in from its return's ledger row."""
    outcome.code, outcome.matched_by, outcome.status = row.code, row.matched_by, row.status
    outcome.department = names.get(row.code or "")
    outcome.errors, outcome.warnings, outcome.annotated = row.errors, row.warnings, row.annotated
    if row.code is None:
        outcome.reason = (row.unmatched_reason or "未匹配", "matched no department")
    if assigned and row.matched_by == "signature" and row.code != assigned:
        outcome.notes.append(signature_note(row.code, assigned))
    if moved is not None and moved.moved:
        outcome.notes.extend(moved.notes)


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when every input was recorded and every new return passed; 1 otherwise."""
    bad = any(not o.recorded or o.code is None or (o.new and o.status != "ok") for o in outcomes)
    return 1 if bad else 0
