"""The campaign's ledger: an SQLite index of what was issued, what came back and what
happened, in WAL mode with one transaction per recorded event. It is an index, not the
truth: ``campaign rebuild`` recreates it from the folder's files and sidecars.

No secret is ever written here (passwords and the issuer key never reach this module).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 3

# Each migration takes the ledger from version N-1 to N; never edited once released.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE departments(
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        contact TEXT,
        emails TEXT NOT NULL DEFAULT '[]',
        phone TEXT,
        exempt_reason TEXT,
        seq INTEGER NOT NULL
    );
    CREATE TABLE issued(
        issue_id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        issued_at TEXT NOT NULL
    );
    CREATE TABLE returns(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256 TEXT NOT NULL UNIQUE,
        file TEXT NOT NULL,
        original_name TEXT,
        received_at TEXT NOT NULL,
        received_at_source TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        source TEXT,
        sender TEXT,
        message_id TEXT,
        code TEXT,
        matched_by TEXT,
        issue_id TEXT,
        status TEXT NOT NULL,
        errors INTEGER NOT NULL DEFAULT 0,
        warnings INTEGER NOT NULL DEFAULT 0,
        execution_rate REAL,
        score REAL,
        totals TEXT,
        findings TEXT,
        annotated TEXT,
        unmatched_reason TEXT
    );
    CREATE INDEX returns_code ON returns(code);
    CREATE TABLE events(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        code TEXT,
        detail TEXT
    );
    """,
    2: """
    CREATE TABLE messages(
        message_id TEXT PRIMARY KEY,
        code TEXT,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT,
        return_sha TEXT,
        file TEXT
    );
    CREATE INDEX messages_code ON messages(code, kind);
    CREATE INDEX messages_return ON messages(return_sha);
    CREATE TABLE imap_state(
        mailbox TEXT PRIMARY KEY,
        uidvalidity INTEGER NOT NULL,
        last_uid INTEGER NOT NULL
    );
    """,
    # Forms, not departments, are the unit: a department owes its own form and one per
    # project. A ledger of version 2 held one form per department, its code its id.
    3: """
    CREATE TABLE forms(
        form_id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        role TEXT NOT NULL,
        project_code TEXT,
        project_name TEXT,
        exempt_reason TEXT,
        seq INTEGER NOT NULL
    );
    INSERT INTO forms(form_id, code, role, seq) SELECT code, code, 'dept', seq FROM departments;
    ALTER TABLE issued ADD COLUMN form_id TEXT;
    UPDATE issued SET form_id = code;
    ALTER TABLE returns ADD COLUMN form_id TEXT;
    UPDATE returns SET form_id = code WHERE code IS NOT NULL;
    CREATE INDEX returns_form ON returns(form_id);
    """,
}


@dataclass
class ReturnRow:
    """One recorded return, as status and summary read it."""

    id: int
    sha256: str
    file: str
    original_name: str | None
    received_at: str
    received_at_source: str
    recorded_at: str
    source: str | None
    sender: str | None
    code: str | None
    matched_by: str | None
    issue_id: str | None
    status: str
    errors: int
    warnings: int
    execution_rate: float | None
    score: float | None
    totals: dict[str, Any] | None
    annotated: str | None
    unmatched_reason: str | None
    findings: list[dict[str, Any]] = field(default_factory=list)
    message_id: str | None = None
    form_id: str | None = None  # the form it is a return of (None: not matched to one)


WAIT_ENV = "XLTOOL_LEDGER_WAIT"  # seconds to wait for a ledger another program holds


def wait_seconds() -> float:
    """How long a command waits for a ledger that another program holds locked before
    it says so and stops (``XLTOOL_LEDGER_WAIT``, default 10 seconds)."""
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV) or 10))
    except ValueError:
        return 10.0


class Ledger:
    """A connection to ``ledger.sqlite``; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, timeout=wait_seconds(), isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL survives a killed process (only power loss may drop the last
        # transactions, and the next collect records them again from the sidecars)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction; inside another (``with ledger.transaction(): …`` around many
        writes, as a rebuild does) it is part of that one."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            from xltool.errors import XltoolError

            raise XltoolError(
                f"台账 {self.path} 由更新版本的 xltool 写入（结构第 {version} 版），请升级 xltool",
                f"the ledger {self.path} was written by a newer xltool (schema {version}); upgrade",
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as db:
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={target}")

    # --- departments and issued forms -----------------------------------------------

    def put_department(
        self,
        code: str,
        name: str,
        contact: str | None,
        emails: list[str],
        phone: str | None,
        exempt_reason: str | None = None,
    ) -> None:
        with self.transaction() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM departments").fetchone()[0]
            db.execute(
                """INSERT INTO departments(code, name, contact, emails, phone, exempt_reason, seq)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(code) DO UPDATE SET name=excluded.name, contact=excluded.contact,
                   emails=excluded.emails, phone=excluded.phone,
                   exempt_reason=COALESCE(excluded.exempt_reason, departments.exempt_reason)""",
                (
                    code,
                    name,
                    contact,
                    json.dumps(emails, ensure_ascii=False),
                    phone,
                    exempt_reason,
                    seq,
                ),
            )

    def set_exempt(self, code: str, reason: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE departments SET exempt_reason=? WHERE code=?", (reason, code))
            self._event(db, "exempt", code, reason)

    def departments(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM departments ORDER BY seq"))

    def put_form(
        self,
        form_id: str,
        code: str,
        role: str,
        project: tuple[str, str | None] | None = None,
        exempt_reason: str | None = None,
    ) -> None:
        """A form the round asks for (``project``: its code and name)."""
        with self.transaction() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM forms").fetchone()[0]
            db.execute(
                """INSERT INTO forms(form_id, code, role, project_code, project_name,
                   exempt_reason, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(form_id) DO UPDATE SET project_name=excluded.project_name,
                   exempt_reason=COALESCE(excluded.exempt_reason, forms.exempt_reason)""",
                (form_id, code, role, *(project or (None, None)), exempt_reason, seq),
            )

    def set_form_exempt(self, form_id: str, reason: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE forms SET exempt_reason=? WHERE form_id=?", (reason, form_id))
            self._event(db, "exempt", form_id.split("/")[0], f"{form_id}: {reason}")

    def forms(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM forms ORDER BY seq"))

    def put_issued(
        self,
        issue_id: str,
        code: str,
        file: str,
        sha256: str,
        issued_at: str,
        form_id: str | None = None,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO issued(issue_id, code, file, sha256, issued_at, form_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (issue_id, code, file, sha256, issued_at, form_id or code),
            )
            self._event(db, "issued", code, issue_id)

    def issued(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM issued ORDER BY issued_at, file"))

    def issued_form(self, issue_id: str) -> tuple[str, str] | None:
        """(department, form id) of one issued form, or None when not issued here."""
        return self.db.execute(
            "SELECT code, COALESCE(NULLIF(form_id, ''), code) FROM issued WHERE issue_id=?",
            (issue_id,),
        ).fetchone()

    # --- returns ----------------------------------------------------------------------

    def has_return(self, sha256: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM returns WHERE sha256=?", (sha256,)).fetchone()
            is not None
        )

    def stored_file(self, sha256: str) -> str | None:
        """The file in inbox/ a recorded return is stored as, or None."""
        row = self.db.execute("SELECT file FROM returns WHERE sha256=?", (sha256,)).fetchone()
        return row[0] if row else None

    def recorded(self) -> set[str]:
        """The sha256 of every recorded return."""
        return {row[0] for row in self.db.execute("SELECT sha256 FROM returns")}

    def put_return(self, row: dict[str, Any]) -> bool:
        """Record a return once (by content hash); False when it was already recorded
        (by this run or another one running at the same time)."""
        columns = [
            "sha256", "file", "original_name", "received_at", "received_at_source",
            "recorded_at", "source", "sender", "message_id", "code", "matched_by",
            "issue_id", "status", "errors", "warnings", "execution_rate", "score", "totals",
            "findings", "annotated", "unmatched_reason", "form_id",
        ]  # fmt: skip
        values = [row.get(c) for c in columns]
        with self.transaction() as db:
            cur = db.execute(
                f"INSERT OR IGNORE INTO returns({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                values,
            )
            if cur.rowcount:
                self._event(db, "returned", row.get("code"), row["sha256"])
            return bool(cur.rowcount)

    def returns(self) -> list[ReturnRow]:
        rows = self.db.execute("SELECT * FROM returns ORDER BY received_at, recorded_at, id")
        return [_return_row(r) for r in rows]

    def return_of(self, sha256: str) -> ReturnRow | None:
        """One recorded return by its content hash, or None."""
        row = self.db.execute("SELECT * FROM returns WHERE sha256=?", (sha256,)).fetchone()
        return _return_row(row) if row is not None else None

    def move_return(
        self,
        db: sqlite3.Connection,
        sha256: str,
        code: str,
        matched_by: str,
        detail: str,
        form_id: str | None = None,
    ) -> None:
        """Within a transaction: a recorded return now belongs to ``code`` (matched so) and
        its form ``form_id`` (None: no form of it yet), with an ``assigned`` event saying
        what moved it."""
        why = None if form_id else "已归部门，但无法确定是哪张表"
        db.execute(
            "UPDATE returns SET code=?, form_id=?, matched_by=?, unmatched_reason=? WHERE sha256=?",
            (code, form_id, matched_by, why, sha256),
        )
        self._event(db, "assigned", code, detail)

    # --- mail ---------------------------------------------------------------------------

    def put_message(self, doc: dict[str, Any]) -> None:
        """A message's latest state (from its outbox sidecar): one row per Message-ID."""
        with self.transaction() as db:
            db.execute(
                """INSERT INTO messages(message_id, code, kind, created_at, updated_at, outcome,
                   detail, return_sha, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(message_id) DO UPDATE SET outcome=excluded.outcome,
                   detail=excluded.detail, updated_at=excluded.updated_at""",
                (
                    doc["message_id"],
                    doc.get("code"),
                    doc["kind"],
                    doc["created_at"],
                    doc.get("updated_at") or doc["created_at"],
                    doc["outcome"],
                    json.dumps(
                        {k: doc.get(k) for k in ("to", "refused", "error", "subject")},
                        ensure_ascii=False,
                    ),
                    doc.get("return_sha"),
                    doc.get("file"),
                ),
            )
            self._event(db, f"mail-{doc['outcome']}", doc.get("code"), doc["message_id"])

    def sent_about(self, message_id: str) -> str | None:
        """The department a message xltool sent was about (by its Message-ID), if any."""
        row = self.db.execute(
            "SELECT code FROM messages WHERE message_id=? AND code IS NOT NULL", (message_id,)
        ).fetchone()
        return row[0] if row else None

    def messages(self, kind: str | None = None) -> list[sqlite3.Row]:
        if kind is None:
            return list(self.db.execute("SELECT * FROM messages ORDER BY created_at"))
        return list(
            self.db.execute("SELECT * FROM messages WHERE kind=? ORDER BY created_at", (kind,))
        )

    def imap_state(self, mailbox: str) -> tuple[int, int] | None:
        row = self.db.execute(
            "SELECT uidvalidity, last_uid FROM imap_state WHERE mailbox=?", (mailbox,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def set_imap_state(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        with self.transaction() as db:
            db.execute(
                """INSERT INTO imap_state VALUES (?, ?, ?) ON CONFLICT(mailbox)
                   DO UPDATE SET uidvalidity=excluded.uidvalidity, last_uid=excluded.last_uid""",
                (mailbox, uidvalidity, last_uid),
            )

    def event(self, kind: str, code: str | None, detail: str) -> None:
        with self.transaction() as db:
            self._event(db, kind, code, detail)

    @staticmethod
    def _event(db: sqlite3.Connection, kind: str, code: str | None, detail: str | None) -> None:
        from datetime import UTC, datetime

        db.execute(
            "INSERT INTO events(at, kind, code, detail) VALUES (?, ?, ?, ?)",
            (datetime.now(UTC).isoformat(timespec="microseconds"), kind, code, detail),
        )


def _return_row(r: sqlite3.Row) -> ReturnRow:
    return ReturnRow(
        id=r["id"],
        sha256=r["sha256"],
        file=r["file"],
        original_name=r["original_name"],
        received_at=r["received_at"],
        received_at_source=r["received_at_source"],
        recorded_at=r["recorded_at"],
        source=r["source"],
        sender=r["sender"],
        code=r["code"],
        matched_by=r["matched_by"],
        issue_id=r["issue_id"],
        status=r["status"],
        errors=r["errors"],
        warnings=r["warnings"],
        execution_rate=r["execution_rate"],
        score=r["score"],
        totals=json.loads(r["totals"]) if r["totals"] else None,
        annotated=r["annotated"],
        unmatched_reason=r["unmatched_reason"],
        findings=json.loads(r["findings"]) if r["findings"] else [],
        message_id=r["message_id"],
        form_id=r["form_id"],
    )
