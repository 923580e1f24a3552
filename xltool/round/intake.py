"""``xltool collect``: returned files into the campaign's inbox, verified, matched to a
department and recorded in the ledger.

Each input is read once, within the size bound; stored once by content hash, never
modified, with a sidecar saying when and from where it came (written before the ledger,
so a run killed at any point is finished by the next one); verified in the bounded
workers; matched (see :class:`Matcher` for the order of evidence); and recorded in one
ledger transaction, once however many runs see it. A return moved by hand afterwards
(:mod:`xltool.round.assign`) is recorded in the campaign's ``assignments.json``, which
:func:`stored_sidecars` lays over the sidecars, so a rebuilt ledger keeps it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xltool.checking.result import FileResult
from xltool.checking.verify import SPREADSHEET_SUFFIXES
from xltool.errors import XltoolError
from xltool.findings import jsonable
from xltool.reading.sniff import Limits, MiB
from xltool.round.folder import Campaign, now_iso, read_json, safe_name, write_json
from xltool.round.ledger import Ledger
from xltool.round.matching import Matcher
from xltool.safeio import InputTooLarge, NotARegularFile, OutputExists, read_input, shown_path

STRONG = ("signature", "hand")  # evidence a weaker match never displaces
ASSIGNMENTS = "assignments.json"  # the campaign's hand assignments of stored returns
SIDECAR_KEYS = (
    "sha256",
    "file",
    "original_name",
    "received_at",
    "received_at_source",
    "recorded_at",
    "source",
    "sender",
    "message_id",
)


@dataclass
class Item:
    """One input: a file, or a member of a zip (or, later, a mail attachment)."""

    original_name: str
    source: str
    data: bytes | None = None
    mtime: float | None = None
    problem: tuple[str, str] | None = None  # (zh, en) why it cannot be stored
    sender: str | None = None
    message_id: str | None = None
    received_at: str | None = None  # from the message, when there is one
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str | None = None


@dataclass
class Outcome:
    """What collect did with one input."""

    item: Item
    sha256: str | None = None
    new: bool = False
    stored: str | None = None
    code: str | None = None
    department: str | None = None
    matched_by: str | None = None
    status: str | None = None  # ok | invalid | unreadable (the return's verify status)
    errors: int = 0
    warnings: int = 0
    annotated: str | None = None
    reason: tuple[str, str] | None = None  # (zh, en): unmatched, not stored …
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return self.sha256 is not None and self.item.problem is None

    def to_json(self, lang: str) -> dict[str, Any]:
        return jsonable(
            {
                "input": shown_path(self.item.source),
                "file": self.stored,
                "sha256": self.sha256,
                "new": self.new,
                "code": self.code,
                "department": self.department,
                "matched_by": self.matched_by,
                "status": self.status,
                "errors": self.errors,
                "warnings": self.warnings,
                "annotated": self.annotated,
                "reason": (self.reason[0] if lang == "zh" else self.reason[1])
                if self.reason
                else None,
                "notes": [zh if lang == "zh" else en for zh, en in self.notes],
            }
        )


# --- inputs ------------------------------------------------------------------------------


def items_from_paths(paths: Iterable[str], campaign: Campaign, limits: Limits) -> list[Item]:
    """Files, folders (spreadsheets and zips, recursively) and .zip files → inputs.
    The campaign's own folders are never inputs."""
    own = [campaign.inbox, campaign.annotated_dir, campaign.issued_dir]
    items: list[Item] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SPREADSHEET_SUFFIXES | {".zip"} and not p.is_dir()
            )
        elif path.exists() or path.is_symlink():
            found = [path]
        else:
            raise XltoolError(
                f"找不到 {shown_path(arg)}", f"no such file or folder: {shown_path(arg)}"
            )
        for p in found:
            resolved = p.resolve()
            if any(resolved == o or o in resolved.parents for o in own) or p.name.startswith("~$"):
                continue
            items.extend(_read_item(p, limits))
    return items


def _read_item(path: Path, limits: Limits) -> list[Item]:
    item = Item(original_name=shown_path(path.name), source=str(path))
    try:
        item.data = read_input(path, limits.max_bytes)
        item.mtime = path.stat().st_mtime
    except NotARegularFile:
        item.problem = (
            "不是普通文件（管道、设备或套接字），未读取",
            "not a regular file; not read",
        )
    except InputTooLarge as exc:
        item.problem = (
            f"文件 {exc.size / MiB:.1f} MiB，超过 {limits.max_bytes / MiB:g} MiB 上限，未收录",
            f"{exc.size / MiB:.1f} MiB, over the {limits.max_bytes / MiB:g} MiB bound; not recorded",
        )
    except OSError as exc:
        item.problem = (f"无法读取（{exc.strerror}）", f"cannot be read ({exc.strerror})")
    if item.data is not None and is_plain_zip(item.data):
        return list(zip_members(item, limits))
    return [item]


def is_plain_zip(data: bytes) -> bool:
    """A .zip of files (not an xlsx, which is a zip with [Content_Types].xml)."""
    if data[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" not in names and "mimetype" not in names


def zip_members(item: Item, limits: Limits) -> Iterable[Item]:
    """The workbooks inside a zip, within the same limits as a workbook's own zip."""
    assert item.data is not None
    with zipfile.ZipFile(io.BytesIO(item.data)) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            item.problem = (
                f"压缩包有 {len(infos)} 个条目，超过上限 {limits.max_entries}",
                f"the zip has {len(infos)} entries, over {limits.max_entries}",
            )
            yield item
            return
        total = 0
        for info in infos:
            name = _member_name(info)
            if info.is_dir() or Path(name).suffix.lower() not in SPREADSHEET_SUFFIXES:
                continue
            member = Item(
                original_name=Path(name).name,
                source=f"{item.source}!{name}",
                mtime=item.mtime,
                sender=item.sender,
                message_id=item.message_id,
                received_at=item.received_at,
                in_reply_to=item.in_reply_to,
                references=item.references,
                subject=item.subject,
            )
            total += info.file_size
            too_big = info.file_size > limits.max_bytes or total > limits.max_total_size
            bomb = info.file_size > limits.ratio_grace and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            )
            if too_big or bomb or info.flag_bits & 0x1:
                member.problem = (
                    "压缩包中的文件过大、加密或压缩比异常，未解压",
                    "too large, encrypted or over the compression-ratio bound; not extracted",
                )
            else:
                try:
                    with zf.open(info) as f:
                        member.data = f.read(limits.max_bytes + 1)[: limits.max_bytes + 1]
                except (
                    zipfile.BadZipFile,
                    OSError,
                    NotImplementedError,
                    RuntimeError,
                    EOFError,
                ) as exc:
                    member.problem = (f"无法解压（{exc}）", f"cannot be extracted ({exc})")
            yield member


def _member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name; Chinese Windows zips store GBK without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


# --- storing -----------------------------------------------------------------------------


def stored_sidecars(campaign: Campaign) -> dict[str, dict[str, Any]]:
    """Every sidecar in inbox/, by content hash (read once per run), with the latest hand
    assignment of ``assignments.json`` as its ``assigned``."""
    out = {}
    for sidecar in campaign.inbox.glob("*.json"):
        try:
            doc = read_json(sidecar)
        except (OSError, ValueError):
            continue  # being written by a concurrent run: its no-clobber write decides
        if isinstance(doc, dict) and doc.get("sha256"):
            out[doc["sha256"]] = doc
    for sha, code in assignments(campaign).items():
        if sha in out:
            out[sha] = {**out[sha], "assigned": code}
    return out


def read_assignments(campaign: Campaign) -> dict[str, list[dict[str, Any]]]:
    """``assignments.json``: each moved return's hand assignments, oldest first (sha256 →
    [{code, file, assigned_at}, …]); empty when no return was ever moved."""
    path = campaign.root / ASSIGNMENTS
    try:
        doc = read_json(path)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise XltoolError(
            f"{shown_path(path)} 无法读取：{exc}", f"{shown_path(path)}: unreadable: {exc}"
        ) from None
    if not isinstance(doc, dict) or not all(map(_moves, doc.values())):
        raise XltoolError(
            f"{shown_path(path)} 不是手工指定记录", f"{shown_path(path)} is not an assignments file"
        )
    return doc


def _moves(value: Any) -> bool:
    """One return's entry of assignments.json: a list of assignments, each with a code."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and m.get("code") for m in value)
    )


def assignments(campaign: Campaign) -> dict[str, str]:
    """Each moved return's latest hand assignment: sha256 → department code."""
    return {sha: str(moves[-1].get("code")) for sha, moves in read_assignments(campaign).items()}


def store(
    campaign: Campaign,
    item: Item,
    received_at: str | None,
    assigned: str | None,
    known: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The input's bytes in inbox/ (once, by content hash) and its sidecar; an existing
    sidecar (an earlier or concurrent run) is kept as it is."""
    assert item.data is not None
    sha = hashlib.sha256(item.data).hexdigest()
    known = stored_sidecars(campaign) if known is None else known
    if sha in known:
        return known[sha]
    name = f"{sha[:16]}-{safe_name(item.original_name)}"
    target = campaign.inbox / name
    with contextlib.suppress(OutputExists):  # the same bytes, stored by a concurrent run
        write_atomic_bytes(target, item.data)
    if received_at:
        when, how = utc_iso(received_at, campaign.zone), "given"
    elif item.received_at:
        when, how = utc_iso(item.received_at, campaign.zone), "message"
    else:
        when = datetime.fromtimestamp(item.mtime or 0, UTC).isoformat(timespec="seconds")
        how = "mtime"
    doc = {
        "sha256": sha,
        "file": name,
        "original_name": item.original_name,
        "received_at": when,
        "received_at_source": how,
        "recorded_at": now_iso(),
        "source": shown_path(item.source),
        "sender": item.sender,
        "message_id": item.message_id,
        "in_reply_to": item.in_reply_to,
        "references": item.references,
        "subject": item.subject,
        "assigned": assigned,
    }
    try:
        write_json(target.with_name(name + ".json"), doc, force=False)
    except OutputExists:
        return read_json(target.with_name(name + ".json"))
    return doc


def utc_iso(text: str, zone: str) -> str:
    """A time as ISO 8601 in UTC (so the ledger orders times as text); a date or a time
    without an offset is in the campaign's zone."""
    from zoneinfo import ZoneInfo

    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(zone))
    return when.astimezone(UTC).isoformat(timespec="seconds")


def write_atomic_bytes(path: Path, data: bytes) -> None:
    from xltool.safeio import write_atomic

    write_atomic(path, lambda h: h.write(data))


# --- verifying, matching, recording ------------------------------------------------------


def record_stored(
    campaign: Campaign,
    ledger: Ledger,
    docs: list[dict[str, Any]],
    *,
    key: bytes | None = None,
    jobs: int | None = None,
    progress: Callable[[FileResult], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Verify every stored return not yet in the ledger, match it and record it.
    Returns the recorded rows by sha256."""
    from xltool.checking.verify import verify_paths

    todo = [d for d in docs if not ledger.has_return(d["sha256"])]
    if not todo:
        return {}
    spec = campaign.spec()
    if key is None:
        key = campaign.key()
    paths = [campaign.inbox / d["file"] for d in todo]
    targets = {
        p: campaign.annotated_dir / f"{Path(d['file']).stem}-校验.xlsx"
        for p, d in zip(paths, todo, strict=True)
    }
    results = verify_paths(
        paths,
        spec=spec,
        key=key,
        jobs=jobs,
        progress=progress,
        annotate=targets,
        annotate_findings_only=True,
        batch=False,
    )
    matcher = Matcher(campaign, ledger)
    recorded = {}
    for doc, result in zip(todo, results, strict=True):
        code, how, reason = matcher.match(result, doc)
        totals = result.totals or {}
        row = {
            **{k: doc.get(k) for k in SIDECAR_KEYS},
            "code": code,
            "matched_by": how,
            "issue_id": result.issue_id,
            "status": result.status,
            "errors": result.errors,
            "warnings": result.warnings,
            "execution_rate": totals.get("execution_rate"),
            "score": totals.get("score"),
            "totals": _json(totals) if result.totals else None,
            "findings": _json([f.to_json("zh") for f in result.findings]),
            "annotated": Path(result.annotated).name if result.annotated else None,
            "unmatched_reason": reason,
        }
        ledger.put_return(row)
        recorded[doc["sha256"]] = row
    return recorded


def _json(value: Any) -> str:
    import json

    return json.dumps(jsonable(value), ensure_ascii=False)
