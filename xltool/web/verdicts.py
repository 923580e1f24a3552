"""What the pages say of each input: collect's outcome with its return's findings, as
data for the templates (one line on the console, a verdict on a department page)."""

from __future__ import annotations

from typing import Any

from xltool.render.status import MATCHED
from xltool.round.intake import Outcome
from xltool.web.texts import text


def findings_of(recorded: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """A return's findings as recorded, errors first, in ``lang`` (in Chinese when the
    return was recorded before the ledger kept them in English too)."""
    out = [
        {
            "code": f.get("code") or "",
            "severity": f.get("severity") or "error",
            "cell": f"{f['sheet']}!{f['cell']}" if f.get("sheet") and f.get("cell") else "",
            "message": (lang == "en" and f.get("message_en")) or f.get("message") or "",
        }
        for f in recorded
        if not f.get("internal")
    ]
    return sorted(out, key=lambda f: f["severity"] != "error")


def verdict(o: Outcome, lang: str, own: str | None) -> dict[str, Any]:
    """One input: recorded or not, its department, how matched, its status, findings."""
    zh = lang == "zh"
    reason = (o.reason[0] if zh else o.reason[1]) if o.reason else ""
    out: dict[str, Any] = {
        "name": o.item.original_name,
        "recorded": o.recorded,
        "reason": reason,
        "code": o.code,
        "department": o.department or "",
        "matched": MATCHED[lang].get(o.matched_by or "", ""),
        "status": o.status or "",
        "label": text(f"ret.{o.status}", lang) if o.status else "",
        "errors": o.errors,
        "warnings": o.warnings,
        "new": o.new,
        "sha256": o.sha256 or "",
        "annotated": bool(o.annotated),
        "notes": [zh_en[0] if zh else zh_en[1] for zh_en in o.notes],
        "findings": findings_of(o.findings, lang),
        "other": own is not None and o.code is not None and o.code != own,
    }
    if out["other"]:  # another department's form: say so, show none of its details
        out.update(code=None, department="", annotated=False, notes=[], findings=[])
    return out


def verdicts(outcomes: list[Outcome], lang: str, own: str | None = None) -> list[dict[str, Any]]:
    return [verdict(o, lang, own) for o in outcomes]


def refused_lines(
    refused: list[tuple[str, str, dict[str, Any]]], lang: str
) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "recorded": False,
            "reason": text(key, lang, name=name, **values)
            .removeprefix(f"{name}：")
            .removeprefix(f"{name}: "),
            "findings": [],
        }
        for name, key, values in refused
    ]
