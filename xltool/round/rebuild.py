"""``campaign rebuild``: the ledger made again from the folder alone."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xltool.errors import XltoolError
from xltool.round.folder import Campaign, read_json
from xltool.round.intake import read_assignments, record_stored, stored_sidecars
from xltool.round.ledger import Ledger
from xltool.safeio import shown_path


def _record_departments(campaign: Campaign, ledger: Ledger) -> None:
    """Every department of the roster as issued, and every form the round asks of it."""
    with ledger.transaction():  # hundreds of departments: one transaction, not one each
        for doc in campaign.departments():
            ledger.put_department(
                doc["code"], doc["department"], doc.get("contact"),
                list(doc.get("emails") or []), doc.get("phone"), doc.get("exempt_reason"),
            )  # fmt: skip
    exempt = {p["code"]: p.get("exempt_reason") for p in campaign.projects()}
    with ledger.transaction():  # thousands of forms: one transaction, not one each
        for ref in campaign.forms():
            project = (ref.project, ref.project_name) if ref.project else None
            reason = exempt.get(ref.project or "")
            ledger.put_form(ref.id, ref.department, ref.role, project, reason)


def _record_issued(campaign: Campaign, ledger: Ledger | None = None) -> None:
    """Every issued form's sidecar into the ledger (each once: ids are unique)."""
    if ledger is None:
        with Ledger(campaign.ledger_path) as own:
            _record_issued(campaign, own)
        return
    with ledger.transaction():
        _record_each_issued(campaign, ledger)


def _record_each_issued(campaign: Campaign, ledger: Ledger) -> None:
    for sidecar in sorted(campaign.issued_dir.rglob("*.json")):
        doc = read_json(sidecar)
        ledger.put_issued(
            doc["issue_id"],
            doc["code"],
            doc["file"],
            doc["sha256"],
            doc["issued_at"],
            doc.get("form"),
        )


def _record_assignments(campaign: Campaign, ledger: Ledger) -> None:
    """An ``assigned`` event for each hand assignment kept in assignments.json (the
    returns were matched by them already), so the ledger's history shows them too."""
    for sha, moves in sorted(read_assignments(campaign).items()):
        if not ledger.has_return(sha):
            continue
        for entry in moves:
            detail = {"sha256": sha, "file": entry.get("file"), "to": entry.get("code")}
            detail["assigned_at"] = entry.get("assigned_at")
            ledger.event("assigned", entry.get("code"), json.dumps(detail, ensure_ascii=False))


def rebuild(
    campaign: Campaign, key: bytes | None = None, progress: Callable[[Any], None] | None = None
) -> None:
    """Recreate ledger.sqlite from the folder alone: departments.json, issued/ and its
    sidecars, inbox/ and its sidecars (each return verified again) with the hand
    assignments of assignments.json laid over them (:func:`stored_sidecars`)."""
    tmp = campaign.root / f".ledger-rebuild-{os.getpid()}.sqlite"
    for stale in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        stale.unlink(missing_ok=True)
    with Ledger(tmp) as ledger:
        _record_departments(campaign, ledger)
        _record_issued(campaign, ledger)
        for sidecar in sorted((campaign.root / "outbox").glob("*.json")):
            ledger.put_message(read_json(sidecar))  # before the returns: replies match by them
        docs = sorted(
            (
                d
                for d in stored_sidecars(campaign).values()
                if (campaign.inbox / d["file"]).exists()
            ),
            key=lambda d: d["file"],
        )
        record_stored(campaign, ledger, docs, key=key, progress=progress)
        _record_assignments(campaign, ledger)
        ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        for suffix in ("-wal", "-shm"):
            Path(str(campaign.ledger_path) + suffix).unlink(missing_ok=True)
        os.replace(tmp, campaign.ledger_path)
    except PermissionError:  # Windows: a file another program holds open stays
        tmp.unlink(missing_ok=True)
        raise XltoolError(
            f"台账 {shown_path(campaign.ledger_path)} 正被另一个程序使用（xltool serve、DB "
            "Browser 等），无法替换：请先关闭它再重建",
            f"the ledger {shown_path(campaign.ledger_path)} is open in another program (xltool "
            "serve, DB Browser …) and cannot be replaced: close it and rebuild again",
        ) from None


def open_ledger(campaign: Campaign) -> Ledger:
    """The campaign's ledger, made again from the folder first when it is missing."""
    if not campaign.ledger_path.exists():
        rebuild(campaign)
    return Ledger(campaign.ledger_path)


class LedgerHold:
    """A connection a long-lived process (``xltool serve``) holds open and never uses.
    SQLite has the last connection to close a WAL database copy the WAL into it and
    delete it; a server opens the ledger for each request, so without a holder every
    upload paid that checkpoint and the WAL's re-creation (1–3 ms of its verdict).
    :meth:`refresh` holds a ledger replaced by ``campaign rebuild`` anew (closing the
    old connection is safe: SQLite leaves a moved database's files alone)."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.db: sqlite3.Connection | None = None
        self.inode: int | None = None
        self.refresh()

    def refresh(self) -> None:
        try:
            inode = self.campaign.ledger_path.stat().st_ino
        except OSError:
            return  # none yet: the next open_ledger makes it, the next refresh holds it
        if inode == self.inode:
            return
        self.close()
        self.db = sqlite3.connect(self.campaign.ledger_path, check_same_thread=False)
        self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # SQLite opens lazily
        self.inode = inode

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
        self.db, self.inode = None, None
