"""The bureau's console: signing in with the access token, the board (and its JSON for
the page's refresh), a department's page, and the finding catalogue (open to all)."""

from __future__ import annotations

import importlib
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from xltool.findings import CATALOGUE
from xltool.render.status import MATCHED
from xltool.round.ledger import ReturnRow
from xltool.round.rebuild import open_ledger
from xltool.round.reports_intake import report_status
from xltool.round.status import campaign_status
from xltool.web.auth import SESSION_COOKIE, loopback
from xltool.web.board import SORTS, board, local_time, select
from xltool.web.state import WebState, console_refused, error, mark, state_of
from xltool.web.texts import text
from xltool.web.verdicts import findings_of

CODE = re.compile(r"[^/\\\x00-\x1f]{1,64}")


async def home(request: Request) -> Response:
    """``/?token=…`` signs in (an HttpOnly, SameSite=Strict cookie) and redirects; ``/``
    is the board."""
    state = state_of(request)
    if not loopback(request):
        return error(request, 404)
    if "token" in request.query_params:
        if not state.auth.token_ok(request.query_params["token"]):
            return error(request, 403, "err.bad_token")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, state.auth.session, httponly=True, samesite="strict", path="/"
        )
        return response
    refused = console_refused(request)
    if refused is not None:
        return refused
    view = board(await run_in_threadpool(state.status_json), state.lang)
    status = request.query_params.get("status", "")
    query = request.query_params.get("q", "")[:100]
    sort = request.query_params.get("sort", "code")
    rows = select(view["departments"], status if status in view["statuses"] else "", query, sort)
    return state.pages.page(
        "board.html",
        view=view,
        rows=rows,
        status=status,
        q=query,
        sort=sort if sort in SORTS else "code",
        sorts=SORTS,
        csrf=state.auth.csrf,
    )


async def board_json(request: Request) -> Response:
    refused = console_refused(request)
    if refused is not None:
        return refused
    state = state_of(request)
    view = board(await run_in_threadpool(state.status_json), state.lang)
    return JSONResponse(view, headers={"Cache-Control": "no-store"})


def _return(r: ReturnRow, zone: str, lang: str, current: str | None) -> dict[str, Any]:
    return {
        "sha256": r.sha256,
        "name": r.original_name or r.file,
        "received": local_time(r.received_at, zone),
        "when": text(f"when.{r.received_at_source}", lang),
        "source": text(
            f"src.{r.source}" if r.source in ("portal", "console") else "src.collect", lang
        ),
        "source_detail": r.source or "",
        "matched": MATCHED[lang].get(r.matched_by or "", ""),
        "status": r.status,
        "label": text(f"ret.{r.status}", lang),
        "errors": r.errors,
        "warnings": r.warnings,
        "annotated": bool(r.annotated),
        "current": r.sha256 == current,
    }


def department_view(state: WebState, code: str, link: bool = True) -> dict[str, Any] | None:
    """A department's page as data (blocking), or None for a code not in the campaign."""
    c, lang = state.campaign, state.lang
    with open_ledger(c) as ledger:
        st = campaign_status(c, ledger)
        doc = st.to_json(lang)
        issued = [dict(r) for r in ledger.issued() if r["code"] == code]
        returns = [r for r in ledger.returns() if r.code == code]
    d = next((x for x in doc["departments"] if x["code"] == code), None)
    if d is None:
        return None
    roster = next((x for x in c.departments() if x["code"] == code), {})
    current = (d.get("current") or {}).get("sha256")
    zone = c.zone
    for form in issued:
        form["issued"] = local_time(form["issued_at"], zone)
    return {
        "d": d,
        "phone": roster.get("phone") or "",
        "issued": sorted(issued, key=lambda f: f["issued_at"], reverse=True),
        "returns": [_return(r, zone, lang, current) for r in reversed(returns)],
        "findings": findings_of(
            next((r.findings for r in returns if r.sha256 == current), []), lang
        ),
        "link": _link(state, code) if link else None,
        "report": report_status(c, lang, st).get(code),
    }


def _link(state: WebState, code: str) -> str | None:
    if not state.portal or not state.public_url:
        return None
    from xltool.round.portal import portal_links

    links = portal_links(state.campaign, state.public_url, key=state.key)
    return next((link.url for link in links if link.code == code), None)


async def department(request: Request) -> Response:
    refused = console_refused(request)
    if refused is not None:
        return refused
    code = request.path_params["code"]
    state = state_of(request)
    view = await run_in_threadpool(department_view, state, code) if CODE.fullmatch(code) else None
    if view is None:
        return error(request, 404)
    mark(request, code)
    return state.pages.page("department.html", csrf=state.auth.csrf, **view)


PLACEHOLDER = re.compile(r"\{(\w+)\}")
WORDS = {
    "place": ("单元格", "cell"),
    "label": ("栏目", "item"),
    "found": ("所填值", "found"),
    "expected": ("应有值", "expected"),
}


def message_parts(template: str, lang: str) -> list[tuple[str, bool]]:
    """A catalogue message with its placeholders named in words: (text, placeholder?)."""
    parts: list[tuple[str, bool]] = []
    last = 0
    for match in PLACEHOLDER.finditer(template):
        parts.append((template[last : match.start()], False))
        zh, en = WORDS.get(match.group(1), ("…", "…"))
        parts.append((zh if lang == "zh" else en, True))
        last = match.end()
    parts.append((template[last:], False))
    return [p for p in parts if p[0]]


def catalogue_rows(lang: str) -> list[dict[str, Any]]:
    """Every finding code with its title and message (check families registered first)."""
    for name in ("xltool.forms.checks", "xltool.checks"):
        try:
            importlib.import_module(name)
            break
        except ModuleNotFoundError:
            continue
    zh = lang == "zh"
    return [
        {
            "code": c.code,
            "severity": c.severity,
            "title": c.title_zh if zh else c.title_en,
            "message": message_parts(c.zh if zh else c.en, lang),
        }
        for c in sorted(CATALOGUE.values(), key=lambda c: (c.severity != "error", c.code))
    ]


async def catalogue(request: Request) -> Response:
    """The finding catalogue, for the console and the department pages alike."""
    state = state_of(request)
    console = loopback(request) and state.auth.signed_in(request)
    rows = catalogue_rows(state.lang)
    return state.pages.page("catalogue.html", rows=rows, console=console, csrf="")


def routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/api/board", board_json),
        Route("/dept/{code:str}", department),
        Route("/findings", catalogue),
    ]
