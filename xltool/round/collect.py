"""``collect``: every input stored, verified, matched and recorded; one outcome per input."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from xltool.checking.result import FileResult
from xltool.reading.sniff import Limits
from xltool.round.folder import Campaign
from xltool.round.intake import (
    Item,
    Outcome,
    items_from_paths,
    record_stored,
    store,
    stored_sidecars,
)
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
    """Store, verify, match and record every input; one Outcome per input."""
    if assigned is not None:
        campaign.department(assigned)  # a code that is not in the roster is a usage error
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
        rows = {r.sha256: r for r in ledger.returns()}
    names = {d["code"]: d["department"] for d in campaign.departments()}
    for outcome in outcomes:
        row = rows.get(outcome.sha256 or "")
        if row is None:
            continue
        outcome.code, outcome.matched_by, outcome.status = row.code, row.matched_by, row.status
        outcome.department = names.get(row.code or "")
        outcome.errors, outcome.warnings, outcome.annotated = (
            row.errors,
            row.warnings,
            row.annotated,
        )
        if row.code is None:
            outcome.reason = (row.unmatched_reason or "未匹配", "matched no department")
        if assigned and row.matched_by == "signature" and row.code != assigned:
            outcome.notes.append(
                (
                    f"签名表明此表发放给 {row.code}，不按手工指定的 {assigned} 归属",
                    f"its signature says it was issued to {row.code}; not assigned to {assigned}",
                )
            )
    return outcomes


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when every input was recorded and every new return passed; 1 otherwise."""
    bad = any(not o.recorded or o.code is None or (o.new and o.status != "ok") for o in outcomes)
    return 1 if bad else 0
