"""What the issuer set stays evidence: the returned values held against the prefill
that the (signed) metadata carries, by field and by indicator row."""

from __future__ import annotations

from typing import Any

from xltool.findings import Finding
from xltool.forms.checks import same
from xltool.forms.meta import META_SHEET, read_prefill
from xltool.keys import check as check_signature
from xltool.reading.read import IndicatorRow, Reading


def signature_status(reading: Reading, key: bytes | None) -> str:
    """valid-hmac, valid-hash, invalid, unverified, absent, or none (not an xltool form)."""
    if not reading.meta.get("format"):
        return "none"
    return check_signature(reading.meta, key)


def evidence_findings(reading: Reading, key: bytes | None) -> tuple[str, list[Finding]]:
    status = signature_status(reading, key)
    meta = reading.meta
    if status == "none":
        return status, []
    if status == "invalid":
        # The metadata cannot be trusted: nothing is compared against it.
        found = meta.get("signature", "")[:24] + "…"
        return status, [Finding("signature-invalid", sheet=META_SHEET, found=found)]
    out = _signature_findings(status, meta, key)
    # Issued to another department or year: one finding, and the rest of the prefill
    # (another form's) is not compared.
    elsewhere = _issued_elsewhere(reading)
    if elsewhere:
        return status, out + elsewhere
    issued = read_prefill(meta.get("prefill"))
    identity = set(reading.spec.identity_fields().values())
    for name, expected in (issued.get("fields") or {}).items():
        if name in identity or name not in reading.positions:
            continue
        found = reading.values.get(name)
        if not same(found, expected):
            out.append(reading.field_finding("prefill-altered", name, found, expected))
    if "indicators" not in reading.missing_blocks and issued.get("indicators"):
        out += _indicator_evidence(reading, issued["indicators"])
    return status, out


def _signature_findings(status: str, meta: dict[str, str], key: bytes | None) -> list[Finding]:
    if status == "unverified":
        return [Finding("signature-unverified", found=meta.get("key_id") or "?")]
    if key is not None and status in ("valid-hash", "absent"):
        return [Finding("signature-absent", found="sha256" if status == "valid-hash" else "无签名")]
    return []


def _issued_elsewhere(reading: Reading) -> list[Finding]:
    out = []
    for key, name in reading.spec.identity_fields().items():
        expected = reading.meta.get(key) or None
        found = reading.values.get(name)
        if expected and name in reading.positions and not same(str(found or ""), expected):
            out.append(reading.field_finding("issued-elsewhere", name, found, expected))
    return out


def _indicator_evidence(reading: Reading, issued_rows: list[dict[str, Any]]) -> list[Finding]:
    """Match issued rows to returned rows (by name within the group, then by order),
    then report what changed, what is gone and what was added."""
    returned = list(reading.indicators)
    matches, taken = _match_rows(issued_rows, returned)
    out: list[Finding] = []
    for issued, row in matches:
        out += _row_changes(reading, issued, row)
    for i, row in enumerate(returned):
        # a row without a 三级指标 is not an indicator (indicator-incomplete says so)
        if i not in taken and row.values.get("name"):
            out.append(reading.row_finding("indicator-added", "name", row, field="indicators"))
    return out


def _group(row: dict[str, Any]) -> tuple[Any, Any]:
    return row.get("level1"), row.get("level2")


def _match_rows(
    issued_rows: list[dict[str, Any]], returned: list[IndicatorRow]
) -> tuple[list[tuple[dict[str, Any], IndicatorRow | None]], set[int]]:
    """Each issued row's returned row (or None): the same name in the same group first;
    an issued row whose name changed takes the next unclaimed row of its group."""
    taken: set[int] = set()

    def claim(issued: dict[str, Any], by_name: bool) -> IndicatorRow | None:
        for i, r in enumerate(returned):
            if i in taken or _group(r.values) != _group(issued):
                continue
            if by_name and r.values.get("name") != issued.get("name"):
                continue
            taken.add(i)
            return r
        return None

    matches = [(issued, claim(issued, by_name=True)) for issued in issued_rows]
    matches = [(issued, hit or claim(issued, by_name=False)) for issued, hit in matches]
    return matches, taken


def _row_changes(
    reading: Reading, issued: dict[str, Any], row: IndicatorRow | None
) -> list[Finding]:
    if row is None:
        return [
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
        ]
    out = []
    for key, expected in issued.items():
        if key in ("level1", "level2") or key not in reading.columns:
            continue
        found = row.values.get(key)
        if not same(found, expected):
            label = f"{issued.get('name')}：{reading.spec.column(key).label}"
            out.append(
                reading.row_finding("prefill-altered", key, row, found, expected, label=label)
            )
    return out
