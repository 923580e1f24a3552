"""Downloads: a form by its issue id, a return and its annotated copy by sha256 (looked up
in the ledger; the file's path comes from the ledger and stays inside the campaign
folder), and the campaign's status workbook, roll-up and issued forms as one zip."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from xltool.render.rollup import roll_up_campaign
from xltool.render.status import write_xlsx
from xltool.round.rebuild import open_ledger
from xltool.round.status import campaign_status
from xltool.web.render import attachment, file_attachment
from xltool.web.state import WebState, console_refused, error, state_of

SHA256 = re.compile(r"[0-9a-f]{64}")
ISSUE_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
}


def inside(base: Path, name: str) -> Path | None:
    """``base/name`` when it is a file inside ``base`` (a name from the ledger, checked
    all the same), else None."""
    root = base.resolve()
    path = (root / name).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def issued_file(state: WebState, issue_id: str, code: str | None = None) -> tuple[Path, str] | None:
    """An issued form by its issue id (of department ``code`` only, when given)."""
    if not ISSUE_ID.fullmatch(issue_id):
        return None
    c = state.campaign
    with open_ledger(c) as ledger:
        row = next((r for r in ledger.issued() if r["issue_id"] == issue_id), None)
    if row is None or (code is not None and row["code"] != code):
        return None
    path = inside(c.issued_dir, row["file"])
    return (path, Path(row["file"]).name) if path else None


def return_file(
    state: WebState, sha: str, annotated: bool, code: str | None = None
) -> tuple[Path, str] | None:
    """A recorded return (or its annotated copy) by sha256 (of ``code`` only, when given)."""
    if not SHA256.fullmatch(sha):
        return None
    c = state.campaign
    with open_ledger(c) as ledger:
        row = ledger.return_of(sha)
    if row is None or (code is not None and row.code != code):
        return None
    shown = Path(row.original_name or row.file).name
    if annotated:
        path = inside(c.annotated_dir, row.annotated) if row.annotated else None
        shown = f"{Path(shown).stem}-校验.xlsx"
    else:
        path = inside(c.inbox, row.file)
    return (path, shown) if path else None


def send_file(request: Request, found: tuple[Path, str] | None) -> Response:
    if found is None:
        return error(request, 404)
    path, name = found
    return file_attachment(path, name, MEDIA.get(path.suffix.lower(), "application/octet-stream"))


def status_workbook(state: WebState) -> bytes:
    c = state.campaign
    with open_ledger(c) as ledger:
        st = campaign_status(c, ledger)
    out = io.BytesIO()
    write_xlsx(out, st, state.lang)
    return out.getvalue()


def rollup(state: WebState) -> bytes:
    """The roll-up of every department's current return, written to a temp file."""
    with tempfile.TemporaryDirectory(prefix="xltool-rollup-") as tmp, state.slots:
        target = roll_up_campaign(state.campaign, Path(tmp) / "汇总.xlsx", key=state.key)
        return target.read_bytes()


def issued_zip(state: WebState) -> bytes:
    c = state.campaign
    with open_ledger(c) as ledger:
        rows = ledger.issued()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for row in rows:
            path = inside(c.issued_dir, row["file"])
            if path is not None:
                zf.write(path, Path(row["file"]).name)
    return out.getvalue()


async def whole(request: Request) -> Response:
    """The status workbook, the roll-up or every issued form (``/download/<which>``)."""
    refused = console_refused(request)
    if refused is not None:
        return refused
    state = state_of(request)
    title = state.campaign.config.get("title") or ""
    which = request.path_params["which"]
    makers = {
        "status.xlsx": (status_workbook, "报送进度.xlsx"),
        "rollup.xlsx": (rollup, f"{title}汇总.xlsx"),
        "issued.zip": (issued_zip, f"{title}发放的表.zip"),
    }
    if which not in makers:
        return error(request, 404)
    make, name = makers[which]
    data = await run_in_threadpool(make, state)
    return attachment(data, name, "application/zip" if name.endswith(".zip") else MEDIA[".xlsx"])


async def one_file(request: Request) -> Response:
    """``/download/issued/<issue id>``, ``/download/return/<sha256>``,
    ``/download/annotated/<sha256>``."""
    refused = console_refused(request)
    if refused is not None:
        return refused
    state, kind, ident = state_of(request), request.path_params["kind"], request.path_params["id"]
    if kind == "issued":
        found = await run_in_threadpool(issued_file, state, ident)
    elif kind in ("return", "annotated"):
        found = await run_in_threadpool(return_file, state, ident, kind == "annotated")
    else:
        found = None
    return send_file(request, found)


def routes() -> list[Route]:
    return [
        Route("/download/{kind:str}/{id:str}", one_file),
        Route("/download/{which:str}", whole),
    ]
