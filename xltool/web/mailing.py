"""Send and remind from the console: a preview (``dry_run=True``: nothing sent, nothing
written), then a confirmation that sends; what was not sent is listed."""

from __future__ import annotations

import os
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from xltool.errors import XltoolError
from xltool.mail.jobs import Delivery
from xltool.mail.round import REMINDABLE, remind, send
from xltool.mail.settings import PASSWORD_ENV, mail_settings
from xltool.round.status import DELIVERY, STATUSES
from xltool.web.state import WebState, console_form, console_refused, state_of

KINDS = {
    "issue": ("发表", "form"),
    "remind": ("提醒", "reminder"),
    "reply-fix": ("修改通知", "what to fix"),
    "reply-ok": ("回执", "receipt"),
}
OUTCOMES = {
    **DELIVERY,
    "skipped": ("跳过", "skipped"),
    "drafted": ("已生成草稿", "drafted"),
    "dry-run": ("将发送", "would send"),
}
FAILED = ("send-failed", "unknown", "not-sent")


def _line(d: Delivery, lang: str) -> dict[str, Any]:
    i = 0 if lang == "zh" else 1
    refused = "；".join(f"{a} {why}" for a, why in d.refused.items())
    return {
        "code": d.code,
        "department": d.department,
        "kind": KINDS.get(d.kind, (d.kind, d.kind))[i],
        "outcome": OUTCOMES.get(d.outcome, (d.outcome, d.outcome))[i],
        "to": ("、" if i == 0 else ", ").join(d.to),
        "reason": "；".join(x for x in (d.reason[i] if d.reason else "", refused) if x),
        "failed": d.outcome in FAILED or bool(d.refused),
    }


def _choice(fields: FormData) -> dict[str, Any]:
    """What the form asked for, checked against the known values."""
    return {
        "action": "remind" if fields.get("action") == "remind" else "send",
        "resend": fields.get("resend") == "1",
        "force": fields.get("force") == "1",
        "statuses": [s for s in fields.getlist("status") if s in REMINDABLE] or list(REMINDABLE),
    }


def run_mail(state: WebState, choice: dict[str, Any], dry_run: bool) -> list[Delivery]:
    """``send`` or ``remind`` as the CLI calls them (blocking)."""
    c = state.campaign
    if not dry_run:
        settings = mail_settings(c.config)
        env = PASSWORD_ENV["smtp"]
        if settings.smtp and settings.smtp.user and not os.environ.get(env):
            raise XltoolError(state.pages.t("mail.password", env=env), "")
    if choice["action"] == "send":
        return send(c, resend=choice["resend"], dry_run=dry_run)
    return remind(c, choice["statuses"], force=choice["force"], dry_run=dry_run)


def _page(state: WebState, **extra: Any) -> Response:
    context = {
        "choice": {"action": "send", "resend": False, "force": False, "statuses": list(REMINDABLE)},
        "remindable": REMINDABLE,
        "labels": {s: zh if state.lang == "zh" else en for s, (zh, en) in STATUSES.items()},
        "preview": None,
        "done": None,
        "message": "",
        **extra,
    }
    return state.pages.page(
        "mail.html",
        http_status=400 if extra.get("message") else 200,
        csrf=state.auth.csrf,
        **context,
    )


async def mail_page(request: Request) -> Response:
    refused = console_refused(request)
    return refused if refused is not None else _page(state_of(request))


async def _posted(request: Request, dry_run: bool) -> Response:
    fields = await console_form(request)
    if isinstance(fields, Response):
        return fields
    state, choice = state_of(request), _choice(fields)
    try:
        deliveries = await run_in_threadpool(run_mail, state, choice, dry_run)
    except XltoolError as exc:
        return _page(state, choice=choice, message=exc.text(state.lang))
    lines = [_line(d, state.lang) for d in deliveries]
    if dry_run:
        return _page(state, choice=choice, preview=lines)
    return _page(state, choice=choice, done=lines, failed=[x for x in lines if x["failed"]])


async def preview(request: Request) -> Response:
    return await _posted(request, dry_run=True)


async def confirm(request: Request) -> Response:
    return await _posted(request, dry_run=False)


def routes() -> list[Route]:
    return [
        Route("/mail", mail_page, methods=["GET"]),
        Route("/mail/preview", preview, methods=["POST"]),
        Route("/mail/confirm", confirm, methods=["POST"]),
    ]
