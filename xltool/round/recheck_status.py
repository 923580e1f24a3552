"""Returned 复核表: taken into the campaign (stored once by content hash under
``recheck/returned/`` with a JSON sidecar, never modified) and, for ``xltool recheck
status``, each sampled form's self-score beside its re-check score, the deviation and
the grade change; a deviation past the threshold (10 points by default) or a grade
change is a ``recheck-deviation`` finding."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from xltool.findings import Finding, jsonable
from xltool.keys import check as check_signature
from xltool.reading.recheck_read import RecheckReturn, read_recheck
from xltool.round.folder import Campaign, now_iso, read_json, safe_name, write_json
from xltool.round.passed_forms import spec_of
from xltool.round.received import utc_iso
from xltool.round.recheck import load_sample, recheck_folder
from xltool.safeio import OutputExists, shown_path, write_atomic

THRESHOLD = 10.0


@dataclass
class RecheckTaken:
    """What taking in one returned 复核表 did."""

    source: str
    sha256: str
    stored: str
    new: bool
    sample_id: str | None
    code: str | None
    problem: tuple[str, str] | None = None

    def line(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        if self.problem or self.code is None:
            why = (
                self.problem[0 if zh else 1]
                if self.problem
                else ("不属于本次抽样" if zh else "not of this sample")
            )
            return f"{self.source}：复核表，{why}" if zh else f"{self.source}: re-check form, {why}"
        return (
            f"{self.source} → {self.code}（复核表）"
            if zh
            else f"{self.source} → {self.code} (re-check form)"
        )


def take_recheck(
    campaign: Campaign,
    data: bytes,
    original_name: str,
    *,
    received_at: str | None = None,
    source: str | None = None,
    key: bytes | None = None,
) -> RecheckTaken:
    """Store a returned 复核表 and say which sampled form it re-checks (its signed
    sample id, of this campaign's sample)."""
    sha = hashlib.sha256(data).hexdigest()
    folder = recheck_folder(campaign) / "returned"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{sha[:16]}-{safe_name(original_name)}"
    sidecar = folder / f"{name}.json"
    new = not sidecar.exists()
    if new:
        with contextlib.suppress(OutputExists):
            write_atomic(folder / name, lambda h: h.write(data))
        when = utc_iso(received_at, campaign.zone) if received_at else now_iso()
        doc = {"kind": "recheck", "sha256": sha, "file": name, "original_name": original_name,
               "received_at": when, "recorded_at": now_iso(), "source": shown_path(source or original_name)}  # fmt: skip
        with contextlib.suppress(OutputExists):
            write_json(sidecar, doc, force=False)
    got = read_recheck(data)
    member = _member(campaign, got, key)
    taken = RecheckTaken(
        shown_path(source or original_name), sha, name, new, None, None, got.problem
    )
    if member is not None:
        taken.sample_id, taken.code = member["id"], member["code"]
    return taken


def _member(campaign: Campaign, got: RecheckReturn, key: bytes | None) -> dict[str, Any] | None:
    if got.problem is not None:
        return None
    try:
        members = load_sample(campaign)["sample"]
    except Exception:
        return None
    signed = check_signature(got.meta, key) == "valid-hmac" if key else True
    for m in members:
        if m["id"] == got.meta.get("sample_id") and signed:
            return m
    return None


def returned(campaign: Campaign, key: bytes | None = None) -> dict[str, RecheckReturn]:
    """The latest returned 复核表 of each sample id (by received time)."""
    folder = recheck_folder(campaign) / "returned"
    docs = []
    for sidecar in sorted(folder.glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            docs.append(read_json(sidecar))
    out: dict[str, RecheckReturn] = {}
    ids = {m["id"] for m in load_sample(campaign)["sample"]}
    for doc in sorted(docs, key=lambda d: (d.get("received_at") or "", d.get("recorded_at") or "")):
        path = folder / doc["file"]
        got = read_recheck(path.read_bytes())
        signed = check_signature(got.meta, key) == "valid-hmac" if key else True
        if got.problem is None and signed and got.meta.get("sample_id") in ids:
            out[got.meta["sample_id"]] = got
    return out


@dataclass
class RecheckLine:
    code: str
    department: str
    kind: str
    self_score: float | None
    self_grade: str
    recheck_score: float | None = None
    recheck_grade: str = ""
    rows_rechecked: int = 0
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def deviation(self) -> float | None:
        if self.recheck_score is None or self.self_score is None:
            return None
        return round(self.recheck_score - self.self_score, 4)

    @property
    def grade_changed(self) -> bool:
        return self.recheck_score is not None and self.recheck_grade != self.self_grade

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return jsonable({
            "code": self.code, "department": self.department, "kind": self.kind,
            "self_score": self.self_score, "self_grade": self.self_grade,
            "recheck_score": self.recheck_score, "recheck_grade": self.recheck_grade,
            "deviation": self.deviation, "grade_changed": self.grade_changed,
            "rows": self.rows, "rows_rechecked": self.rows_rechecked,
            "findings": [f.to_json(lang) for f in self.findings],
        })  # fmt: skip


def _recheck_total(member: dict[str, Any], got: RecheckReturn) -> tuple[float | None, int]:
    """The re-check total: each row's re-check score, or its self score where the team
    left it empty (agreed); None when no row was re-checked."""
    total, done = 0.0, 0
    for n, row in enumerate(member["rows"], start=1):
        score, _reason = got.rows.get(n, (None, ""))
        if score is not None:
            done += 1
        total += score if score is not None else (row.get("score") or 0.0)
    return (round(total, 4) if done else None), done


def recheck_status(
    campaign: Campaign, *, threshold: float = THRESHOLD, key: bytes | None = None
) -> list[RecheckLine]:
    """Each sampled form: self-score, re-check score, deviation, grades, findings."""
    got = returned(campaign, key)
    lines = []
    for m in load_sample(campaign)["sample"]:
        line = RecheckLine(m["code"], m["department"], m["kind"], m["self_score"],
                           m["self_grade"], rows=len(m["rows"]))  # fmt: skip
        if m["id"] in got:
            line.recheck_score, line.rows_rechecked = _recheck_total(m, got[m["id"]])
            spec = spec_of(campaign, m["kind"])
            line.recheck_grade = spec.profile.grade(line.recheck_score) or ""
        dev = line.deviation
        if dev is not None and (abs(dev) > threshold + 1e-9 or line.grade_changed):
            line.findings.append(deviation_finding(line, threshold))
        lines.append(line)
    return lines


def deviation_finding(line: RecheckLine, threshold: float) -> Finding:
    def num(v: float | None) -> str:
        return "—" if v is None else f"{v:g}"

    return Finding(
        "recheck-deviation",
        field=line.code,
        found=line.recheck_score,
        expected=line.self_score,
        context={"department": f"{line.code} {line.department}", "self_score": num(line.self_score),
                 "self_grade": line.self_grade or "—", "recheck_score": num(line.recheck_score),
                 "recheck_grade": line.recheck_grade or "—", "deviation": f"{line.deviation:+g}",
                 "threshold": f"{threshold:g}"},
    )  # fmt: skip
