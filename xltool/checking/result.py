"""What verifying one file gives (FileResult) and the documented JSON report. Every
renderer (terminal, JSON, annotated copy, roll-up, export) reads these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xltool import __version__
from xltool.findings import Finding, jsonable
from xltool.safeio import shown_path


@dataclass
class FileResult:
    path: str
    sha256: str = ""
    bytes: int = 0
    status: str = "unreadable"  # ok | invalid | unreadable
    kind: str | None = None
    spec_version: int | None = None
    department: str | None = None
    year: int | None = None
    totals: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] | None = None
    signature: str | None = None  # valid-hmac, valid-hash, invalid, unverified, absent, none
    issue_id: str | None = None
    issued_to: str | None = None
    issued_code: str | None = None
    saved_at: str | None = None  # the workbook's own last-saved time, if it says
    annotated: str | None = None  # where its annotated copy was written
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en): not findings
    reading: dict[str, Any] | None = None  # a form xltool did not issue: how it was read

    @property
    def shown(self) -> str:
        """The path as text for outputs (never fails on names that are not UTF-8)."""
        return shown_path(self.path)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def note(self, zh: str, en: str) -> None:
        self.notes.append((zh, en))

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        out = {
            "path": self.shown,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "status": self.status,
            "kind": self.kind,
            "spec_version": self.spec_version,
            "department": self.department,
            "year": self.year,
            "totals": self.totals,
            "signature": self.signature,
            "findings": [f.to_json(lang) for f in self.findings],
        }
        if self.annotated:
            out["annotated"] = shown_path(self.annotated)
        if self.reading:
            out["reading"] = self.reading
        if self.notes:
            out["notes"] = [zh if lang == "zh" else en for zh, en in self.notes]
        return out


def report_json(results: list[FileResult], lang: str = "zh") -> dict[str, Any]:
    """The documented JSON report (keys are stable)."""
    return {
        "xltool": __version__,
        "files": [r.to_json(lang) for r in results],
        "summary": summary(results),
    }


def summary(results: list[FileResult]) -> dict[str, int]:
    return {
        "files": len(results),
        "ok": sum(r.status == "ok" for r in results),
        "invalid": sum(r.status == "invalid" for r in results),
        "unreadable": sum(r.status == "unreadable" for r in results),
    }


def dumps(document: Any) -> str:
    """Strict JSON text (never ``Infinity`` or ``NaN``), Chinese kept readable."""
    import json

    return json.dumps(jsonable(document), ensure_ascii=False, indent=2, allow_nan=False)
