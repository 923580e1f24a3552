"""What the issuer set stays evidence: the returned values held against the prefill
that the (signed) metadata carries, by field and by indicator row."""

from __future__ import annotations

import json
from typing import Any

from .checks import same
from .findings import Finding
from .keys import check as check_signature
from .limits import META_SHEET
from .read import IndicatorRow, Reading

HEADER_IDENTITY = ("department", "code", "year")


def signature_status(reading: Reading, key: bytes | None) -> str:
    """valid-hmac, valid-hash, invalid, unverified, absent, or none (not an xltool form)."""
    if not reading.meta.get("format"):
        return "none"
    return check_signature(reading.meta, key)


def evidence_findings(reading: Reading, key: bytes | None) -> tuple[str, list[Finding]]:
    status = signature_status(reading, key)
    meta = reading.meta
    out: list[Finding] = []
    if status == "none":
        return status, out
    signature = meta.get("signature", "")
    if status == "invalid":
        # The metadata cannot be trusted: nothing is compared against it.
        return status, [Finding("signature-invalid", sheet=META_SHEET, found=signature[:24] + "…")]
    if status == "unverified":
        out.append(Finding("signature-unverified", found=meta.get("key_id") or "?"))
    elif key is not None and status in ("valid-hash", "absent"):
        out.append(
            Finding("signature-absent", found="sha256" if status == "valid-hash" else "无签名")
        )

    issued = _prefill(meta.get("prefill"))
    # Issued to another department or year: one finding, and the rest of the prefill
    # (another form's) is not compared.
    for name in HEADER_IDENTITY:
        expected = meta.get(name) or None
        found = reading.values.get(name)
        if expected and name in reading.positions and not same(str(found or ""), expected):
            out.append(reading.field_finding("issued-elsewhere", name, found, expected))
    if any(f.code == "issued-elsewhere" for f in out):
        return status, out
    for name, expected in (issued.get("fields") or {}).items():
        if name in HEADER_IDENTITY or name not in reading.positions:
            continue
        found = reading.values.get(name)
        if not same(found, expected):
            out.append(reading.field_finding("prefill-altered", name, found, expected))
    if "indicators" not in reading.missing_blocks and issued.get("indicators"):
        out += _indicator_evidence(reading, issued["indicators"])
    return status, out


MAX_PREFILL_ROWS = 2000


def _prefill(text: str | None) -> dict[str, Any]:
    """The metadata's prefill, in the shape it is written in, or nothing: the file may
    carry anything there, so types and counts are checked and capped."""
    try:
        raw = json.loads(text or "{}")
    except (ValueError, RecursionError):
        return {}
    if not isinstance(raw, dict):
        return {}
    fields = raw.get("fields")
    rows = raw.get("indicators")
    return {
        "fields": fields if isinstance(fields, dict) else {},
        "indicators": [r for r in rows[:MAX_PREFILL_ROWS] if isinstance(r, dict)]
        if isinstance(rows, list)
        else [],
    }


def _indicator_evidence(reading: Reading, issued_rows: list[dict[str, Any]]) -> list[Finding]:
    """Match issued rows to returned rows (by name within the group, then by order),
    then report what changed, what is gone and what was added."""
    columns = {c.key: c for c in reading.spec.indicators.columns}
    returned = list(reading.indicators)
    taken: set[int] = set()
    matches: list[tuple[dict[str, Any], IndicatorRow | None]] = []

    def group(row: dict[str, Any]) -> tuple[Any, Any]:
        return row.get("level1"), row.get("level2")

    for issued in issued_rows:
        hit = next(
            (
                i
                for i, r in enumerate(returned)
                if i not in taken
                and group(r.values) == group(issued)
                and r.values.get("name") == issued.get("name")
            ),
            None,
        )
        matches.append((issued, None if hit is None else returned[hit]))
        if hit is not None:
            taken.add(hit)
    # an issued row whose name changed: the next unclaimed row of its group, in order
    for n, (issued, hit) in enumerate(matches):
        if hit is not None:
            continue
        candidate = next(
            (
                i
                for i, r in enumerate(returned)
                if i not in taken and group(r.values) == group(issued)
            ),
            None,
        )
        if candidate is not None:
            taken.add(candidate)
            matches[n] = (issued, returned[candidate])

    out: list[Finding] = []
    for issued, row in matches:
        if row is None:
            out.append(
                Finding(
                    "indicator-removed",
                    sheet=reading.sheet,
                    field="indicators",
                    expected=issued.get("name"),
                    context={
                        "label": issued.get("name") or "",
                        "group": f"{issued.get('level1')}/{issued.get('level2')}",
                    },
                )
            )
            continue
        for key, expected in issued.items():
            if key in ("level1", "level2") or key not in reading.columns:
                continue
            found = row.values.get(key)
            if not same(found, expected):
                cell = reading.at(key, row.row)
                out.append(
                    Finding(
                        "prefill-altered",
                        sheet=reading.sheet,
                        cell=cell,
                        field=f"indicators.{key}",
                        found=found,
                        expected=expected,
                        context={"label": f"{issued.get('name')}：{columns[key].label}"},
                    )
                )
    for i, row in enumerate(returned):
        # a row without a 三级指标 is not an indicator (indicator-incomplete says so)
        if i not in taken and row.values.get("name"):
            out.append(
                Finding(
                    "indicator-added",
                    sheet=reading.sheet,
                    cell=reading.at("name", row.row),
                    field="indicators",
                    context={"label": row.values.get("name") or ""},
                )
            )
    return out
