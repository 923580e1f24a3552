"""The application: every route, the security headers, one log line per request and an
error page in place of any traceback."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xltool.round.folder import Campaign
from xltool.web import console, downloads, intake, mailing, portal
from xltool.web.auth import ConsoleAuth, new_token
from xltool.web.render import Pages, asset
from xltool.web.state import WebState, error
from xltool.web.texts import text
from xltool.web.uploads import UploadLimits

log = logging.getLogger("xltool.web")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
_LINK = re.compile(r"^/d/[^/]+")


def shown_path(path: str) -> str:
    """A request's path for the log: a department link's token is never written."""
    return _LINK.sub("/d/…", path)


class Guard:
    """Around every request: the security headers (and ``no-store`` unless a response
    says otherwise), a log line with the department it concerned, and a plain error
    page for any exception (its traceback goes to the server's log only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.monotonic(), [0]
        scope["app"].state.web.hold.refresh()  # a ledger rebuilt meanwhile is held anew

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception:
            log.exception("error in %s %s", scope.get("method"), shown_path(scope.get("path", "")))
            if not status[0]:
                await _server_error(scope)(scope, receive, send_secured)
        finally:
            _log(scope, status[0], time.monotonic() - started)


def _server_error(scope: Scope) -> Response:
    state: WebState = scope["app"].state.web
    body = state.pages.render("error.html", status_code=500, message=text("err.500", state.lang))
    return HTMLResponse(body, status_code=500)


def _log(scope: Scope, status: int, seconds: float) -> None:
    client = scope.get("client") or ("-", 0)
    dept = (scope.get("state") or {}).get("dept") or "-"
    method, path = scope.get("method", "-"), shown_path(scope.get("path", ""))
    log.info("%s %s %s %s %s %.0fms", client[0], method, path, status, dept, seconds * 1000)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    known = {400, 401, 403, 404, 405, 410, 411, 413, 429}
    return error(request, status if status in known else 400)


async def assets(request: Request) -> Response:
    found = asset(request.path_params["name"])
    return found if found is not None else error(request, 404)


def create_app(
    campaign: Campaign,
    *,
    token: str | None = None,
    lang: str = "zh",
    portal_pages: bool = False,
    public_url: str | None = None,
    key: bytes | None = None,
    limits: UploadLimits | None = None,
) -> Starlette:
    """The console (and, with ``portal_pages``, the department pages) of one campaign.
    ``token`` is the console's access token (default: ``XLTOOL_TOKEN``, else random)."""
    state = WebState(
        campaign,
        key or campaign.key(),
        ConsoleAuth(token or new_token()),
        Pages(lang),
        portal=portal_pages,
        public_url=public_url,
        limits=limits or UploadLimits(),
    )
    routes: list[Any] = [
        *console.routes(),
        *intake.routes(),
        *mailing.routes(),
        *downloads.routes(),
        *portal.routes(),
        Route("/assets/{name:str}", assets),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard)],
        exception_handlers={HTTPException: http_error},
    )
    app.state.web = state
    return app
