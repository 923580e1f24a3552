"""The metadata an issued workbook carries, both ways: what :mod:`xltool.forms.write` puts in
the very hidden ``_xltool`` sheet and the custom document properties (kind, version,
issue id, department, layout, the issuer's prefill, the signature), and how
:mod:`xltool.reading.read` and :mod:`xltool.checking.evidence` read it back from a returned file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xltool import __version__
from xltool.keys import key_id, sign

if TYPE_CHECKING:
    from xltool.forms.layout import Layout
    from xltool.forms.model import FormData
    from xltool.forms.spec import Spec

META_SHEET = "_xltool"
META_FORMAT = "xltool-form/1"
PROPERTY_PREFIX = "xltool_"


@dataclass(frozen=True)
class IssueInfo:
    """How a form is issued. ``issued_at`` defaults to now; ``key`` signs the metadata
    (it is never written); ``prefill_keys`` are fields the issuer set beyond those the
    spec marks as the issuer's (a roster's amounts, say)."""

    issued_at: str = ""
    password: str = ""
    key: bytes | None = field(default=None, repr=False)
    prefill_keys: tuple[str, ...] = ()
    issue_id: str = ""
    source: tuple[str, str] | None = None
    """An imported form: (the source file's name, its SHA-256). Its metadata says
    ``origin: imported`` and carries no prefill: no signature vouches for values a
    department supplied."""


def prefill(spec: Spec, data: FormData, extra_keys: Iterable[str] = ()) -> dict[str, Any]:
    """What the issuer set: the spec's issuer fields and indicator columns that have a
    value, plus ``extra_keys``. Held in the metadata as evidence for verify."""
    fields = spec.all_fields()
    extra = set(extra_keys)
    issued_fields = {
        k: v
        for k, v in data.fields.items()
        if v not in (None, "") and k in fields and (fields[k].issuer or k in extra)
    }
    columns = [c.key for c in spec.indicators.columns if c.issuer]
    rows = []
    for row in data.indicators:
        kept = {k: row.get(k) for k in columns if row.get(k) not in (None, "")}
        if set(kept) - {"level1", "level2"}:
            rows.append(kept)
    return {"fields": issued_fields, "indicators": rows}


def metadata(
    spec: Spec,
    data: FormData,
    layout: Layout,
    issued_at: str,
    info: IssueInfo | None = None,
    issued: dict[str, Any] | None = None,
) -> dict[str, str]:
    """What the metadata sheet and the custom properties say about an issued workbook,
    signed (HMAC-SHA256 with the issuer's key, else a plain SHA-256)."""
    info = info or IssueInfo()
    fields = data.fields
    meta = {
        "format": META_FORMAT,
        "kind": spec.kind,
        "spec_version": str(spec.version),
        "spec_hash": spec.source_hash,
        "xltool_version": __version__,
        "sheet": spec.sheet,
        "issue_id": info.issue_id or uuid.uuid4().hex,
        **{key: str(fields.get(name) or "") for key, name in _identity(spec).items()},
        "issued_at": issued_at,
        "layout": layout.fingerprint(),
        "groups": json.dumps(
            [[g.level1, g.level2, len(g.rows)] for g in layout.groups], ensure_ascii=False
        ),
        "prefill": json.dumps(issued or prefill(spec, data), ensure_ascii=False, sort_keys=True),
        "key_id": key_id(info.key) if info.key else "",
    }
    if info.source is not None:
        meta["prefill"] = json.dumps({"fields": {}, "indicators": []})
        meta.update(origin="imported", source_name=info.source[0], source_sha256=info.source[1])
    meta["signature"] = sign(meta, info.key)
    return meta


META_CHUNK = 30_000  # below Excel's 32,767 characters per cell


def _identity(spec: Spec) -> dict[str, str]:
    """department, code, year: each from the field the kind names (empty when none)."""
    named = spec.identity_fields()
    return {key: named.get(key, "") for key in ("department", "code", "year")}


def write_metadata(wb: Any, meta: dict[str, str]) -> None:
    """The very hidden metadata sheet (long values run on across columns) and the same
    values, but the long ones, as custom document properties."""
    ws = wb.add_worksheet(META_SHEET)
    for r, (key, value) in enumerate(meta.items()):
        ws.write_string(r, 0, key)
        for c in range(0, max(len(value), 1), META_CHUNK):
            ws.write_string(r, 1 + c // META_CHUNK, value[c : c + META_CHUNK])
    ws.very_hidden()
    ws.protect()
    for key, value in meta.items():
        if key not in ("groups", "prefill") and value:
            wb.set_custom_property(PROPERTY_PREFIX + key, value)


def read_metadata(wb: Any) -> dict[str, str]:
    """The metadata of a workbook openpyxl opened: the sheet's, else the custom
    properties'. Whatever the file says: callers check what they use."""
    meta: dict[str, str] = {}
    if META_SHEET in wb.sheetnames:
        # long values (the prefill) run on across columns B, C, …
        for row in wb[META_SHEET].iter_rows(min_row=1, max_row=64, max_col=64, values_only=True):
            if row and isinstance(row[0], str) and len(row) > 1 and row[1] is not None:
                meta[row[0]] = "".join(str(v) for v in row[1:] if v is not None)
    if not meta.get("kind"):
        try:
            props = {p.name: p.value for p in wb.custom_doc_props.props}
        except Exception:
            props = {}
        for key, value in props.items():
            if isinstance(key, str) and key.startswith(PROPERTY_PREFIX) and value is not None:
                meta.setdefault(key[len(PROPERTY_PREFIX) :], str(value))
    return meta


MAX_PREFILL_ROWS = 2000


def read_prefill(text: str | None) -> dict[str, Any]:
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
