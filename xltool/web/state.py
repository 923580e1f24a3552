"""What every page of one server shares (the campaign, its key, the credentials, the
templates, the upload bounds), the guards in front of the console, and error pages."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from xltool.limits import Limits
from xltool.round.folder import Campaign
from xltool.round.rebuild import LedgerHold, open_ledger
from xltool.round.status import campaign_status
from xltool.web.auth import ConsoleAuth, csrf_ok, loopback
from xltool.web.render import Pages
from xltool.web.texts import text
from xltool.web.uploads import HourlyLimit, Refused, UploadLimits, read_fields


@dataclass
class WebState:
    campaign: Campaign
    key: bytes
    auth: ConsoleAuth
    pages: Pages
    portal: bool = False
    public_url: str | None = None
    limits: UploadLimits = field(default_factory=UploadLimits)
    read_limits: Limits = field(default_factory=Limits)
    slots: threading.BoundedSemaphore = field(init=False)
    hourly: HourlyLimit = field(init=False)
    hold: LedgerHold = field(init=False)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.limits.concurrent)
        self.hourly = HourlyLimit(self.limits.portal_hourly)
        self.hold = LedgerHold(self.campaign)

    def close(self) -> None:
        """What the server holds open (when it stops)."""
        self.hold.close()

    @property
    def lang(self) -> str:
        return self.pages.lang

    def status_json(self) -> dict[str, Any]:
        """``xltool status --format json`` (blocking: call it off the event loop)."""
        with open_ledger(self.campaign) as ledger:
            return campaign_status(self.campaign, ledger).to_json(self.lang)


def state_of(request: Request) -> WebState:
    return request.app.state.web


def mark(request: Request, code: str | None) -> None:
    """The department a request concerns, for the request log."""
    request.state.dept = code


def wants_fragment(request: Request) -> bool:
    """A request from the page's script, which wants a piece of HTML (or JSON)."""
    return request.headers.get("x-requested-with") == "fetch"


def error(request: Request, status: int, key: str | None = None, **values: Any) -> Response:
    """An error as a page in the server's language (JSON for /api/ and scripts); never
    a traceback."""
    state = state_of(request)
    message = text(key or f"err.{status}", state.lang, **values)
    if request.url.path.startswith("/api/") or wants_fragment(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    return state.pages.page("error.html", http_status=status, status_code=status, message=message)


def console_refused(request: Request) -> Response | None:
    """The console answers a loopback client with a session only (404 to any other
    client, so the console's existence is not told)."""
    state = state_of(request)
    if not loopback(request):
        return error(request, 404)
    if not state.auth.signed_in(request):
        return error(request, 401)
    return None


def csrf_refused(request: Request, fields: Mapping[str, Any]) -> Response | None:
    if not csrf_ok(request, state_of(request).auth.csrf, fields.get("csrf")):
        return error(request, 403)
    return None


async def console_form(request: Request) -> FormData | Response:
    """A console POST's fields: the response that refuses it instead when the client is
    not the console's, the body is over its bound, or the CSRF token is wrong."""
    refused = console_refused(request)
    if refused is not None:
        return refused
    try:
        fields = await read_fields(request)
    except Refused as exc:
        return error(request, exc.status, exc.key)
    return csrf_refused(request, fields) or fields
