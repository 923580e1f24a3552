"""Moving a stored return by hand: ``assign`` as a library.

A return in inbox/ is never modified, and neither is its sidecar; a hand assignment made
after the return was stored is kept in the campaign's ``assignments.json`` (sha256 → its
assignments, oldest first, the latest in force), written atomically under the ledger's
write lock. :func:`xltool.round.intake.stored_sidecars` lays it over the sidecars, so
``collect`` and ``campaign rebuild`` match the return by hand as the ledger does now.
A valid signature of this campaign still outranks a hand assignment (see
:class:`xltool.round.intake.Matcher`): such a return is not moved, and a note says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltool.errors import XltoolError
from xltool.round.folder import Campaign, now_iso, write_json
from xltool.round.formset import PROJECT, split_form_id
from xltool.round.intake import ASSIGNMENTS, read_assignments, record_stored, stored_sidecars
from xltool.round.ledger import Ledger
from xltool.round.matching import plain, roster_keys
from xltool.round.rebuild import open_ledger

_HEX_PREFIX = re.compile(r"[0-9a-f]{8,64}")


@dataclass
class Assignment:
    """Where a return stands after ``assign``: its department now and before."""

    sha256: str
    file: str
    code: str | None  # the department it belongs to now
    matched_by: str | None
    previous: str | None  # the department it belonged to before (None: unmatched)
    moved: bool = False  # False when it was there already, or its signature decides
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)


def assign(campaign: Campaign, which: str, target: str, *, key: bytes | None = None) -> Assignment:
    """Move the stored return ``which`` (its sha256 or a unique prefix of at least 8 hex
    digits, or its file name in inbox/) to the department ``target`` (its code, typed
    full- or half-width), by hand. ``key`` is needed only for a return stored but not
    yet recorded (a run killed in between): it is verified and recorded first."""
    code = target_code(campaign, target)
    doc = find_return(campaign, which)
    with open_ledger(campaign) as ledger:
        return move(campaign, ledger, doc, code, key=key)


def target_code(campaign: Campaign, target: str) -> str:
    """The form ``target`` names: a roster code (NFKC, so ``１０２`` is ``102``), or a form
    ``D01/P0003``; a usage error when it names nothing in this campaign."""
    if "/" in target or "／" in target:
        return campaign.form(target).id
    found = roster_keys(campaign).codes.get(plain(target))
    if found is None:
        raise XltoolError(
            f"部门编码「{target}」不在本批次名单中",
            f"department code '{target}' is not in this campaign",
        )
    return found


def _form_of(
    campaign: Campaign, ledger: Ledger, doc: dict[str, Any], target: str, key: bytes | None
) -> tuple[str, str | None]:
    """(department, form) a return assigned to ``target`` belongs to: the form named, or
    within the department the form its kind and header say (verified again to know)."""
    department, project = split_form_id(target)
    if project or PROJECT not in campaign.roles:
        return department, target
    from xltool.checking.verify import verify_paths
    from xltool.round.form_matching import FormMatcher

    path = campaign.inbox / doc["file"]
    [result] = verify_paths([path], spec=campaign.specs(), key=key or campaign.key(), batch=False)
    matcher = FormMatcher(campaign, ledger)
    form, _how, _why = matcher.form_in(department, matcher.role(result), result, doc, None, "hand")
    return department, form


def find_return(campaign: Campaign, which: str) -> dict[str, Any]:
    """A stored return's sidecar, by its file name in inbox/ (a path to it will do) or by
    its sha256 or a unique prefix of it (at least 8 hex digits)."""
    docs = stored_sidecars(campaign)
    name = Path(which).name
    for doc in docs.values():
        if doc["file"] == name and (campaign.inbox / name).exists():
            return doc
    prefix = which.strip().lower()
    hits = [d for sha, d in docs.items() if sha.startswith(prefix)]
    if _HEX_PREFIX.fullmatch(prefix) and len(hits) == 1:
        return hits[0]
    if _HEX_PREFIX.fullmatch(prefix) and hits:
        raise XltoolError(
            f"「{which}」对应 {len(hits)} 份回收表，请多给几位 sha256",
            f"'{which}' matches {len(hits)} stored returns; give more of the sha256",
        )
    raise XltoolError(
        f"inbox/ 中没有「{which}」（请给出 sha256、至少 8 位的前缀或 inbox/ 中的文件名）",
        f"no stored return '{which}' in inbox/ (give its sha256, a prefix of at least 8 "
        "hex digits, or its file name in inbox/)",
    )


def move(
    campaign: Campaign,
    ledger: Ledger,
    doc: dict[str, Any],
    code: str,
    *,
    key: bytes | None = None,
) -> Assignment:
    """The stored return ``doc`` (its sidecar) moved to ``code`` by hand: the assignment
    kept in ``assignments.json`` and its ledger row re-matched (one transaction, with
    an ``assigned`` event). Nothing changes for a return already there by hand, or one
    whose signature decides (a note says so)."""
    sha = doc["sha256"]
    if not ledger.has_return(sha):
        record_stored(campaign, ledger, [doc], key=key)
    row = ledger.return_of(sha)
    if row is None:  # recorded by nothing: cannot happen once record_stored ran
        raise XltoolError(f"台账中没有 {doc['file']}", f"{doc['file']} is not in the ledger")
    out = Assignment(sha, doc["file"], row.code, row.matched_by, previous=row.code)
    if row.matched_by == "signature":
        if row.form_id != code and row.code != code:
            out.notes.append(signature_note(row.code, code))
        return out
    if row.matched_by == "hand" and doc.get("assigned") == code and code in (row.code, row.form_id):
        return out
    department, form = _form_of(campaign, ledger, doc, code, key)
    detail = {"sha256": sha, "file": doc["file"], "from": row.code, "to": code}
    with ledger.transaction() as db:  # the folder first, under the ledger's write lock
        if doc.get("assigned") != code:
            _keep(campaign, doc, code)
        ledger.move_return(
            db, sha, department, "hand", json.dumps(detail, ensure_ascii=False), form
        )
    doc["assigned"] = code
    out.code, out.matched_by, out.moved = code, "hand", True
    out.notes.append(moved_note(row.code, code))
    return out


def _keep(campaign: Campaign, doc: dict[str, Any], code: str) -> None:
    """The assignment appended to ``assignments.json`` (written atomically)."""
    moves = read_assignments(campaign)
    entry = {"code": code, "file": doc["file"], "assigned_at": now_iso()}
    moves.setdefault(doc["sha256"], []).append(entry)
    write_json(campaign.root / ASSIGNMENTS, moves)


def signature_note(signed: str | None, assigned: str) -> tuple[str, str]:
    return (
        f"签名表明此表发放给 {signed}，不按手工指定的 {assigned} 归属",
        f"its signature says it was issued to {signed}; not assigned to {assigned}",
    )


def moved_note(previous: str | None, code: str) -> tuple[str, str]:
    return (
        f"已按手工指定改归 {code}（原为 {previous or '未匹配'}）",
        f"moved by hand to {code} (was {previous or 'unmatched'})",
    )
