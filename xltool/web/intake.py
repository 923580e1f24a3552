"""The console's intake: files and zips dropped on the page go through ``collect`` (one
line per input, as verified); files that matched no department are assigned from a list
(:func:`xltool.round.assign.assign`)."""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from xltool.errors import XltoolError
from xltool.round.assign import assign
from xltool.web.state import (
    WebState,
    console_form,
    console_refused,
    csrf_refused,
    error,
    mark,
    state_of,
    wants_fragment,
)
from xltool.web.uploads import Refused, Taken, items_of, read_uploads, take_in
from xltool.web.verdicts import refused_lines, verdicts

SHA256 = re.compile(r"[0-9a-f]{64}")


def intake_view(state: WebState) -> dict[str, Any]:
    doc = state.status_json()
    return {
        "unmatched": doc["unmatched"],
        "departments": [(d["code"], d["department"]) for d in doc["departments"]],
    }


async def _page(request: Request, status: int = 200, **extra: Any) -> Response:
    state = state_of(request)
    view = await run_in_threadpool(intake_view, state)
    return state.pages.page(
        "intake.html",
        http_status=status,
        csrf=state.auth.csrf,
        **{"lines": [], "message": "", **view, **extra},
    )


async def intake(request: Request) -> Response:
    refused = console_refused(request)
    return refused if refused is not None else await _page(request)


async def upload(request: Request) -> Response:
    """Files, or zips of them: stored, verified, matched and recorded as ``collect``
    does; one line per input."""
    refused = console_refused(request)
    if refused is not None:
        return refused
    state = state_of(request)
    limits = state.limits
    try:
        fields, files = await read_uploads(
            request, limits.console_request, limits.console_file, limits.console_files
        )
    except Refused as exc:
        return error(request, exc.status, exc.key, **exc.values)
    refused = csrf_refused(request, fields)
    if refused is not None:
        return refused
    if not files:
        return error(request, 400, "err.no_files")
    taken = Taken()
    items = items_of(files, "console", state.read_limits, taken)
    outcomes = await run_in_threadpool(take_in, state.campaign, state.key, items, state.slots)
    lines = refused_lines(taken.refused, state.lang)
    lines += verdicts(outcomes, state.lang)
    if wants_fragment(request):
        return state.pages.page("lines.html", lines=lines)
    return await _page(request, lines=lines)


async def assign_one(request: Request) -> Response:
    """An unmatched (or any) stored return moved to a department by hand."""
    fields = await console_form(request)
    if isinstance(fields, Response):
        return fields
    state = state_of(request)
    sha, code = fields.get("sha256", ""), fields.get("code", "")
    codes = {d["code"] for d in state.campaign.departments()}
    if not SHA256.fullmatch(sha) or code not in codes:
        return error(request, 400)
    mark(request, code)
    try:
        done = await run_in_threadpool(assign, state.campaign, sha, code, key=state.key)
    except XltoolError as exc:
        return await _page(request, 400, message=exc.text(state.lang))
    notes = [zh if state.lang == "zh" else en for zh, en in done.notes]
    message = "；".join(notes) or state.pages.t("assigned", code=code)
    return await _page(request, message=message)


def routes() -> list[Route]:
    return [
        Route("/intake", intake, methods=["GET"]),
        Route("/intake", upload, methods=["POST"]),
        Route("/assign", assign_one, methods=["POST"]),
    ]
