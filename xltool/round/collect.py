"""``collect``: every input stored, verified, matched and recorded; one outcome per input."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from xltool.checking.result import FileResult
from xltool.reading.sniff import Limits
from xltool.round.assign import Assignment, move, signature_note, target_code
from xltool.round.folder import Campaign, ledger_guard
from xltool.round.inputs import items_from_paths
from xltool.round.intake import (
    Item,
    Outcome,
    record_stored,
    sidecars_for,
    store,
    unrecorded,
)
from xltool.round.ledger import Ledger, ReturnRow
from xltool.round.matching import roster_keys
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
    move_recorded: bool = True,
    finish_interrupted: bool = True,
) -> list[Outcome]:
    """Store, verify, match and record every input; one Outcome per input. With
    ``assigned`` (a department code), every input is that department's by hand: a new
    one as it is recorded, one recorded before moved there (:func:`.assign.move`) unless
    ``move_recorded`` is False (a department's upload never moves a return); a valid
    signature of this campaign still decides (a note says so). ``finish_interrupted``:
    also record what an interrupted run stored and did not record, each with a line of
    its own (a department's upload leaves that to the bureau's runs)."""
    if assigned is not None:
        assigned = target_code(campaign, assigned)  # not in the roster: a usage error
    key = key or campaign.key()
    items = items if items is not None else items_from_paths(paths, campaign, Limits())
    outcomes = [Outcome(item) for item in items]
    with ledger_guard(campaign), open_ledger(campaign) as ledger:
        left = unrecorded(campaign, ledger) if finish_interrupted else {}
        docs = _store_all(campaign, ledger, outcomes, received_at, assigned, left)
        extra = [_interrupted(sha, doc) for sha, doc in left.items() if sha not in docs]
        outcomes += extra
        todo = [*docs.values(), *(left[o.sha256 or ""] for o in extra)]
        record_stored(campaign, ledger, todo, key=key, jobs=jobs, progress=progress)
        movable = {o.sha256 for o in outcomes if move_recorded or o.new}
        moved = {
            sha: move(campaign, ledger, doc, assigned, key=key)
            for sha, doc in (docs.items() if assigned else ())
            if sha in movable
        }
        shas = [*docs, *(o.sha256 or "" for o in extra)]
        rows = {sha: row for sha in shas if (row := ledger.return_of(sha)) is not None}
    names = roster_keys(campaign).names_by_code
    for outcome in outcomes:
        row = rows.get(outcome.sha256 or "")
        if row is not None:
            _tell(outcome, row, names, assigned, moved.get(row.sha256))
    return outcomes


def _interrupted(sha: str, doc: dict[str, Any]) -> Outcome:
    """The line of a return an interrupted run stored and did not record."""
    item = Item(
        str(doc.get("original_name") or doc["file"]),
        str(doc.get("source") or "inbox/"),
        sender=doc.get("sender"),
        message_id=doc.get("message_id"),
    )
    outcome = Outcome(item, sha256=sha, new=True, stored=doc["file"])
    outcome.notes.append(
        ("上次中断时已存入，本次补登记", "stored by an interrupted run; recorded now")
    )
    return outcome


def _store_all(
    campaign: Campaign,
    ledger: Ledger,
    outcomes: list[Outcome],
    received_at: str | None,
    assigned: str | None,
    left: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Each input stored in inbox/, or the reason it cannot be (its outcome says it);
    the batch's stored returns by sha256. The same bytes twice in one batch are one
    return: the second is a duplicate. ``left``: what interrupted runs stored and did
    not record (an input of the same bytes is that stored return)."""
    docs: dict[str, dict[str, Any]] = {}
    known = {**left, **sidecars_for(campaign, ledger, [o.item for o in outcomes])}
    for outcome in outcomes:
        item = outcome.item
        if item.problem or item.data is None:
            outcome.reason = item.problem or ("无法读取", "cannot be read")
            continue
        if _taken_beside(campaign, outcome, received_at, assigned):
            continue
        try:
            doc = store(campaign, item, received_at, assigned, known, outcome.notes)
        except OSError as exc:  # the file system refused it: this input only
            why = exc.strerror or exc.__class__.__name__
            item.problem = (f"无法存入 inbox/（{why}）", f"cannot be stored in inbox/ ({why})")
            outcome.reason = item.problem
            continue
        known[doc["sha256"]] = doc
        outcome.sha256, outcome.stored = doc["sha256"], doc["file"]
        outcome.new = doc["sha256"] not in docs and not ledger.has_return(doc["sha256"])
        docs[doc["sha256"]] = doc
    return docs


def _taken_beside(
    campaign: Campaign, outcome: Outcome, received_at: str | None, assigned: str | None
) -> bool:
    """A department's 评价报告 (.docx …) or a returned 复核表: taken beside the forms
    (:mod:`.reports_intake`, :mod:`.recheck_status`), its one line in ``outcome.beside``."""
    from xltool.reading.recheck_read import is_recheck_workbook
    from xltool.round.reports_intake import is_report

    item = outcome.item
    assert item.data is not None
    when = received_at or item.received_at
    if is_report(item.original_name):
        from xltool.round.reports_intake import take_report

        outcome.beside = take_report(
            campaign, item.data, original_name=item.original_name, received_at=when,
            assigned=assigned, sender=item.sender, mtime=item.mtime, source_label=item.source,
        )  # fmt: skip
        return True
    if is_recheck_workbook(item.data):
        from xltool.round.recheck_status import take_recheck

        outcome.beside = take_recheck(
            campaign, item.data, item.original_name, received_at=when, source=item.source
        )
        return True
    return False


def _tell(
    outcome: Outcome,
    row: ReturnRow,
    names: dict[str, str],
    assigned: str | None,
    moved: Assignment | None,
) -> None:
    """An outcome filled in from its return's ledger row."""
    outcome.code, outcome.matched_by, outcome.status = row.code, row.matched_by, row.status
    outcome.form, outcome.department = row.form_id, names.get(row.code or "")
    outcome.errors, outcome.warnings, outcome.annotated = row.errors, row.warnings, row.annotated
    outcome.findings = row.findings
    if row.code is None:
        outcome.reason = (row.unmatched_reason or "未匹配", "matched no department")
    elif row.form_id is None:
        outcome.reason = (
            row.unmatched_reason or "未匹配到表单",
            "matched no form of the department",
        )
    if assigned and row.matched_by == "signature" and row.code != assigned:
        outcome.notes.append(signature_note(row.code, assigned))
    if moved is not None and moved.moved:
        outcome.notes.extend(moved.notes)


def exit_code(outcomes: list[Outcome]) -> int:
    """0 when every input was recorded and every new return passed; 1 otherwise."""
    bad = any(
        (not o.beside_ok) if o.beside is not None
        else not o.recorded or o.form is None or (o.new and o.status != "ok")
        for o in outcomes
    )  # fmt: skip
    return 1 if bad else 0
