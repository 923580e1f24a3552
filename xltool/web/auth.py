"""Who may do what: the console's access token, its session cookie and CSRF value, and
the loopback check. The token is compared in constant time and never logged; the
cookie carries a value derived from it, not the token itself."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

SESSION_COOKIE = "xltool_session"
TOKEN_ENV = "XLTOOL_TOKEN"
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host")


def new_token() -> str:
    """``XLTOOL_TOKEN`` when set (scripts, tests), else 32 random URL-safe characters."""
    return os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)


class ConsoleAuth:
    """The console's credentials, all derived from the one access token."""

    def __init__(self, token: str) -> None:
        self._token = token.encode("utf-8")
        self.session = self._derive(b"session")
        self.csrf = self._derive(b"csrf")

    def _derive(self, what: bytes) -> str:
        return hmac.new(self._token, b"xltool-console-" + what, hashlib.sha256).hexdigest()

    def token_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given).encode("utf-8"), self._token)

    def signed_in(self, request: Request) -> bool:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.session.encode())


def loopback(request: Request) -> bool:
    """A client on this machine, talking to us directly (not through a proxy, which
    would make every client look local)."""
    if any(h in request.headers for h in PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def same_origin(request: Request) -> bool:
    """A state change from one of our own pages: no Origin (an old browser, a script)
    or one naming this host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def csrf_ok(request: Request, expected: str, posted: object) -> bool:
    """The CSRF value from the X-CSRF-Token header or the form's ``csrf`` field."""
    given = request.headers.get("x-csrf-token") or (posted if isinstance(posted, str) else "")
    return (
        bool(given)
        and same_origin(request)
        and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())
    )
