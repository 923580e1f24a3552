"""Uploaded files into the campaign, exactly as ``xltool collect`` takes files in.

The request is bounded before it is read (its Content-Length, the number of files, each
file's size), and each department's uploads per hour. A zip is opened with the same
limits as collect (:func:`xltool.round.intake.zip_members`); every workbook is then
stored, verified in the bounded workers (which sniff it within :class:`Limits`),
matched and recorded by :func:`xltool.round.collect.collect`, called off the event loop
and at most ``slots`` at a time.
"""

from __future__ import annotations

import threading
import time
import zipfile
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from xltool.checking.verify import SPREADSHEET_SUFFIXES
from xltool.limits import Limits, MiB
from xltool.round.collect import collect
from xltool.round.folder import Campaign
from xltool.round.inputs import is_plain_zip, zip_members
from xltool.round.intake import Item, Outcome
from xltool.safeio import visible


@dataclass(frozen=True)
class UploadLimits:
    """The bounds of an upload (docs/serve.md lists the defaults)."""

    portal_file: int = 20 * MiB  # one file from a department page
    portal_request: int = 40 * MiB  # one request from a department page
    portal_files: int = 20  # files in one request from a department page
    portal_hourly: int = 30  # workbooks a department may upload per hour
    console_file: int = Limits().max_bytes  # what collect reads of one file
    console_request: int = 200 * MiB
    console_files: int = 500
    concurrent: int = 2  # collect runs at once (each verifies in its bounded workers)


class Refused(Exception):
    """A request refused as a whole: its status and the words saying why."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


@dataclass
class Upload:
    name: str
    data: bytes


class HourlyLimit:
    """At most ``per_hour`` files per department in any hour (this process's memory)."""

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self.seen: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def take(self, who: str, n: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self.lock:
            times = self.seen.setdefault(who, deque())
            while times and times[0] <= now - 3600:
                times.popleft()
            if len(times) + n > self.per_hour:
                return False
            times.extend([now] * n)
            return True


def clean_name(name: str | None) -> str:
    """The last part of a browser's file name, with controls made visible."""
    last = Path((name or "").replace("\\", "/")).name.strip()
    return visible(last)[:200] or "upload.xlsx"


async def read_uploads(
    request: Request, max_request: int, max_file: int, max_files: int
) -> tuple[dict[str, str], list[Upload]]:
    """The form's text fields and its ``files``, each read within ``max_file``."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise Refused(411, "err.411")
    if int(length) > max_request:
        raise Refused(413, "err.413")
    try:
        form = await request.form(max_files=max_files, max_fields=20)
    except HTTPException as exc:
        raise Refused(413 if "files" in str(exc.detail) else 400, "err.400") from None
    try:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        uploads = []
        for value in form.getlist("files"):
            if not isinstance(value, UploadFile):
                continue
            name = clean_name(value.filename)
            data = await value.read(max_file + 1)
            if len(data) > max_file:
                raise Refused(413, "err.too_big", name=name, mib=f"{max_file / MiB:g}")
            uploads.append(Upload(name, data))
    finally:
        await form.close()
    return fields, uploads


async def read_fields(request: Request, max_bytes: int = 64 * 1024) -> FormData:
    """A small form of text fields (no files), within ``max_bytes``."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise Refused(411, "err.411")
    if int(length) > max_bytes:
        raise Refused(413, "err.413")
    try:
        return await request.form(max_files=0, max_fields=100)
    except HTTPException:
        raise Refused(400, "err.400") from None


@dataclass
class Taken:
    """What became of one request's files: collect's outcomes and the files refused."""

    outcomes: list[Outcome] = field(default_factory=list)
    refused: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # name, key


def items_of(uploads: list[Upload], source: str, limits: Limits, taken: Taken) -> list[Item]:
    """Collect's inputs: each spreadsheet, and each workbook inside a zip; every one
    records ``source`` (``portal`` or ``console``) as where it came from."""
    items: list[Item] = []
    for upload in uploads:
        if Path(upload.name).suffix.lower() not in SPREADSHEET_SUFFIXES | {".zip"}:
            taken.refused.append((upload.name, "err.not_sheet", {}))
            continue
        item = Item(original_name=upload.name, source=source, data=upload.data, mtime=time.time())
        if not is_plain_zip(upload.data):
            items.append(item)
            continue
        try:
            members = list(zip_members(item, limits))
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
            members = [Item(upload.name, source, problem=("无法解压", "cannot be extracted"))]
        if not members:
            taken.refused.append((upload.name, "err.empty_zip", {}))
        for member in members:
            member.source = source
        items.extend(members)
    return items


def take_in(
    campaign: Campaign,
    key: bytes,
    items: list[Item],
    slots: threading.BoundedSemaphore,
    assigned: str | None = None,
) -> list[Outcome]:
    """``collect`` of these inputs, received now (blocking: call it off the event loop).
    With ``assigned`` (a department page), a workbook not recorded before is that
    department's by hand (a valid signature still decides); one recorded before is
    never moved by an upload, and what an interrupted run left is the console's to
    finish (a line each), never a department's."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    with slots:
        return collect(
            campaign, [], items=items, key=key, received_at=when, assigned=assigned,
            move_recorded=False, finish_interrupted=assigned is None,
        )  # fmt: skip
