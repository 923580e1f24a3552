"""Department links: ``PUBLIC_URL/d/<token>``, one per department.

A token carries the department's code, an expiry and the department's current *nonce*,
signed with HMAC-SHA256 under a key derived from the campaign's issuer key (so a link
can never be confused with a form's signature). The nonces live in the campaign folder's
``portal.json`` (written atomically); ``revoke_link`` draws a fresh one, which voids
every link made before for that department. Nothing here needs a web server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from xltool.errors import XltoolError
from xltool.round.folder import Campaign, made_from, now_iso, read_kept, write_json
from xltool.safeio import shown_path

PORTAL_FILE = "portal.json"
MAC_BYTES = 16
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,300}\.[A-Za-z0-9_-]{20,30}")


@dataclass(frozen=True)
class PortalLink:
    """One department's link, as ``xltool portal links`` lists it."""

    code: str
    department: str
    url: str
    expires: str  # ISO 8601, UTC

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "department": self.department,
            "url": self.url,
            "expires": self.expires,
        }


class LinkRefused(Exception):
    """A link that opens nothing: ``invalid`` (not ours), ``expired`` or ``revoked``."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def link_key(key: bytes) -> bytes:
    """The links' own key, derived from the issuer key."""
    return hmac.new(key, b"xltool-portal-link-v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(link_key(key), body.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


def make_token(key: bytes, code: str, nonce: str, expires: int) -> str:
    """``<payload>.<mac>``, both base64url: the payload is ``{"c": code, "e": expiry
    (Unix seconds), "n": nonce}``."""
    claim = {"c": code, "e": int(expires), "n": nonce}
    body = _b64(json.dumps(claim, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{body}.{_b64(_mac(key, body))}"


def read_token(key: bytes, token: str) -> dict[str, Any] | None:
    """The token's claim when its signature is ours, else None (expiry not checked)."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    body, mac = token.split(".")
    try:
        if not hmac.compare_digest(_mac(key, body), _unb64(mac)):
            return None
        claim = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(claim, dict):
        return None
    kinds = {"c": str, "e": int, "n": str}
    if not all(isinstance(claim.get(k), t) for k, t in kinds.items()):
        return None
    return claim


def check_link(campaign: Campaign, key: bytes, token: str, now: datetime | None = None) -> str:
    """The department code a link opens; :class:`LinkRefused` when it opens nothing."""
    claim = read_token(key, token)
    if claim is None:
        raise LinkRefused("invalid")
    if claim["e"] <= int((now or datetime.now(UTC)).timestamp()):
        raise LinkRefused("expired")
    current = _current_nonces(campaign).get(claim["c"], "")
    if not current or not hmac.compare_digest(current, claim["n"]):
        raise LinkRefused("revoked")
    return str(claim["c"])


def _current_nonces(campaign: Campaign) -> dict[str, str]:
    """Each department's current nonce as portal.json says (read again only when it
    changed, so a link revoked a moment ago is refused at once)."""

    def make() -> dict[str, str]:
        entries = read_portal(campaign).get("nonces")
        if not isinstance(entries, dict):
            return {}
        return {
            code: str(entry.get("nonce", ""))
            for code, entry in entries.items()
            if isinstance(entry, dict)
        }

    return made_from(campaign.root / PORTAL_FILE, "nonces", make)


def portal_csrf(key: bytes, token: str) -> str:
    """The CSRF value a department page posts back (bound to its link)."""
    return hmac.new(link_key(key), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()[:32]


# --- portal.json ---------------------------------------------------------------------


def read_portal(campaign: Campaign) -> dict[str, Any]:
    """``portal.json``: the departments' nonces and the public address; {} before any."""
    path = campaign.root / PORTAL_FILE
    doc = read_kept(path)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise XltoolError(
            f"{shown_path(path)} 不是部门链接记录", f"{shown_path(path)} is not a portal file"
        )
    return doc


def nonces(campaign: Campaign, rotate: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every department's current nonce; new ones drawn for departments without one
    and for those in ``rotate`` (portal.json rewritten atomically when any changed)."""
    doc = read_portal(campaign)
    kept = dict(doc.get("nonces") or {})
    changed = False
    for d in campaign.departments():
        if d["code"] in rotate or not isinstance(kept.get(d["code"]), dict):
            kept[d["code"]] = {"nonce": secrets.token_hex(8), "since": now_iso()}
            changed = True
    if changed:
        write_json(campaign.root / PORTAL_FILE, {**doc, "nonces": kept})
    return {code: str(entry["nonce"]) for code, entry in kept.items()}


def public_url(campaign: Campaign, given: str | None = None) -> str | None:
    """The address departments reach the server at: ``given`` (checked, and kept in
    portal.json for next time), else the one kept."""
    if given is None:
        kept = read_portal(campaign).get("public_url")
        return str(kept) if kept else None
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise XltoolError(
            f"--public-url「{given}」应为 https://主机[:端口][/路径] 形式的地址",
            f"--public-url '{given}' must look like https://host[:port][/path]",
        )
    url = given.rstrip("/")
    doc = read_portal(campaign)
    if doc.get("public_url") != url:
        write_json(campaign.root / PORTAL_FILE, {**doc, "public_url": url})
    return url


def expiry(campaign: Campaign, until: date | None = None, now: datetime | None = None) -> datetime:
    """When links expire: the end of ``until`` in the campaign's zone; by default 30
    days after the deadline, and never sooner than 30 days from now."""
    now = now or datetime.now(UTC)
    if until is not None:
        from zoneinfo import ZoneInfo

        end = datetime.combine(until + timedelta(days=1), datetime.min.time())
        return end.replace(tzinfo=ZoneInfo(campaign.zone)).astimezone(UTC)
    deadline = campaign.deadline_end()
    later = now + timedelta(days=30)
    if deadline is None:
        return now + timedelta(days=90)
    return max(deadline.astimezone(UTC) + timedelta(days=30), later)


def portal_links(
    campaign: Campaign,
    url: str,
    *,
    key: bytes | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> list[PortalLink]:
    """Each department's link (exempt departments have none): ``URL/d/<token>``."""
    key = key or campaign.key()
    current = nonces(campaign)
    ends = expiry(campaign, until, now)
    stamp = int(ends.timestamp())
    base = url.rstrip("/")
    return [
        PortalLink(
            d["code"],
            d["department"],
            f"{base}/d/{make_token(key, d['code'], current[d['code']], stamp)}",
            ends.isoformat(timespec="seconds"),
        )
        for d in campaign.departments()
        if not d.get("exempt_reason")
    ]


def revoke_link(campaign: Campaign, code: str) -> None:
    """Void every link of one department (a fresh nonce); ``portal links`` makes its new one."""
    campaign.department(code)  # a code not in the roster: a usage error
    nonces(campaign, rotate=frozenset({code}))
