"""The board as data, from ``campaign_status(...).to_json(lang)`` (what ``xltool status
--format json`` prints): one row per department, the counts, the coverage and the days
left. A department's n/m is its ``forms_passed``/``forms_total`` when the status
carries them (a round with project forms), else 1/1 or 0/1 from its status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from xltool.round.status import STATUSES

SORTS = ("code", "department", "status", "forms", "received")
_STATUS_RANK = {"overdue": 0, "to-fix": 1, "missing": 2, "passed": 3, "exempt": 4}


def local_time(iso: str | None, zone: str) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM`` in the campaign's zone ('' for none)."""
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def forms_of(d: dict[str, Any]) -> tuple[int, int]:
    """(passed, total) forms of one department."""
    if isinstance(d.get("forms_total"), int) and isinstance(d.get("forms_passed"), int):
        return d["forms_passed"], d["forms_total"]
    return (1 if d.get("status") == "passed" else 0), 1


def row(d: dict[str, Any], zone: str) -> dict[str, Any]:
    current = d.get("current") or {}
    passed, total = forms_of(d)
    return {
        "code": d["code"],
        "department": d["department"],
        "status": d["status"],
        "label": d["status_label"],
        "passed": passed,
        "total": total,
        "forms": "—" if d["status"] == "exempt" else f"{passed}/{total}",
        "returns": d.get("returns") or 0,
        "received": local_time(current.get("received_at"), zone),
        "late": bool(current.get("late")),
        "errors": current.get("errors", ""),
        "warnings": current.get("warnings", ""),
        "score": current.get("score") if current.get("score") is not None else "",
    }


def coverage(doc: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Departments that returned anything, forms passed, of those not exempt."""
    active = [r for r in rows if r["status"] != "exempt"]
    returned = sum(r["status"] in ("passed", "to-fix") for r in active)
    passed, total = sum(r["passed"] for r in active), sum(r["total"] for r in active)
    kinds = doc.get("coverage")
    if isinstance(kinds, dict) and kinds and all(isinstance(k, dict) for k in kinds.values()):
        # the status's own count, per kind of form: {kind: {total, passed, exempt, ratio}}
        passed = sum(int(k.get("passed") or 0) for k in kinds.values())
        total = sum(int(k.get("total") or 0) - int(k.get("exempt") or 0) for k in kinds.values())
    share = passed / total if total else 0.0
    return {
        "departments": len(active),
        "returned": returned,
        "forms_passed": passed,
        "forms_total": total,
        "percent": round(share * 100),
    }


def days_left(deadline: str | None, zone: str, today: date | None = None) -> int | None:
    if not deadline:
        return None
    today = today or datetime.now(ZoneInfo(zone)).date()
    return (date.fromisoformat(deadline) - today).days


def board(doc: dict[str, Any], lang: str = "zh", today: date | None = None) -> dict[str, Any]:
    """Everything the board shows, JSON-ready."""
    zone = doc["campaign"].get("timezone") or "Asia/Shanghai"
    rows = [row(d, zone) for d in doc["departments"]]
    return {
        "title": doc["campaign"].get("title") or "",
        "deadline": doc["campaign"].get("deadline"),
        "days_left": days_left(doc["campaign"].get("deadline"), zone, today),
        "counts": doc["counts"],
        "statuses": list(STATUSES),
        "labels": {s: zh if lang == "zh" else en for s, (zh, en) in STATUSES.items()},
        "coverage": coverage(doc, rows),
        "unmatched": len(doc.get("unmatched") or []),
        "departments": rows,
    }


def select(rows: list[dict[str, Any]], status: str, query: str, sort: str) -> list[dict[str, Any]]:
    """The rows the board's filter, search and sort leave (as the page's script does)."""
    needle = query.strip().casefold()
    out = [
        r
        for r in rows
        if (not status or r["status"] == status)
        and (not needle or needle in r["code"].casefold() or needle in r["department"].casefold())
    ]
    keys = {
        "department": lambda r: r["department"],
        "status": lambda r: (_STATUS_RANK.get(r["status"], 9), r["code"]),
        "forms": lambda r: (r["passed"] / max(r["total"], 1), r["code"]),
        "received": lambda r: (r["received"] or "~", r["code"]),
    }
    return sorted(out, key=keys[sort]) if sort in keys else out
