"""A department's own page (``--portal``): ``/d/<token>`` shows that department's forms
and returns only; it downloads its blank form, uploads filled ones (each a return with
``source: portal``, exactly like a collected file) and sees the verdict with each
finding and the annotated copy. Another department's form or return is a 404."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from xltool.round.portal import LinkRefused, check_link, portal_csrf
from xltool.web.auth import csrf_ok
from xltool.web.console import department_view
from xltool.web.downloads import issued_file, return_file, send_file
from xltool.web.state import error, mark, state_of, wants_fragment
from xltool.web.uploads import Refused, Taken, items_of, read_uploads, take_in
from xltool.web.verdicts import refused_lines, verdicts


def opened(request: Request) -> str | Response:
    """The department the link opens, or the error page (404 for a link that is not
    ours, 410 for one expired or revoked)."""
    state = state_of(request)
    if not state.portal:
        return error(request, 404)
    try:
        code = check_link(state.campaign, state.key, request.path_params["token"])
    except LinkRefused as exc:
        return error(request, 404 if exc.why == "invalid" else 410)
    mark(request, code)
    return code


async def _page(
    request: Request, code: str, status: int = 200, lines: list | None = None
) -> Response:
    state = state_of(request)
    view = await run_in_threadpool(department_view, state, code, False)
    if view is None:
        return error(request, 404)
    token = request.path_params["token"]
    return state.pages.page(
        "portal.html",
        http_status=status,
        base=f"/d/{token}",
        csrf=portal_csrf(state.key, token),
        lines=lines or [],
        **view,
    )


async def home(request: Request) -> Response:
    code = opened(request)
    return code if isinstance(code, Response) else await _page(request, code)


async def upload(request: Request) -> Response:
    """Filled forms (or a zip of them): collected as the department's, verdict back."""
    code = opened(request)
    if isinstance(code, Response):
        return code
    state, limits = state_of(request), state_of(request).limits
    try:
        fields, files = await read_uploads(
            request, limits.portal_request, limits.portal_file, limits.portal_files
        )
    except Refused as exc:
        return error(request, exc.status, exc.key, **exc.values)
    if not csrf_ok(
        request, portal_csrf(state.key, request.path_params["token"]), fields.get("csrf")
    ):
        return error(request, 403)
    if not files:
        return error(request, 400, "err.no_files")
    taken = Taken()
    items = items_of(files, "portal", state.read_limits, taken)
    if not state.hourly.take(code, max(len(items), 1)):
        return error(request, 429)
    outcomes = await run_in_threadpool(take_in, state.campaign, state.key, items, state.slots, code)
    lines = refused_lines(taken.refused, state.lang)
    lines += verdicts(outcomes, state.lang, code)
    if wants_fragment(request):
        base = f"/d/{request.path_params['token']}"
        return state.pages.page("verdict.html", lines=lines, base=base)
    return await _page(request, code, lines=lines)


async def download(request: Request) -> Response:
    """``/d/<token>/form/<issue id>``, ``…/return/<sha256>``, ``…/annotated/<sha256>``:
    this department's only."""
    code = opened(request)
    if isinstance(code, Response):
        return code
    state, kind, ident = state_of(request), request.path_params["kind"], request.path_params["id"]
    if kind == "form":
        found = await run_in_threadpool(issued_file, state, ident, code)
    elif kind in ("return", "annotated"):
        found = await run_in_threadpool(return_file, state, ident, kind == "annotated", code)
    else:
        found = None
    return send_file(request, found)


def routes() -> list[Route]:
    return [
        Route("/d/{token:str}", home, methods=["GET"]),
        Route("/d/{token:str}/upload", upload, methods=["POST"]),
        Route("/d/{token:str}/{kind:str}/{id:str}", download, methods=["GET"]),
    ]
