"""Messages as Outlook and Foxmail show them, Chinese names intact: UTF-8 bodies, the
subject per RFC 2047, the attachment's name both per RFC 2231 (``filename*``) and as an
RFC 2047 ``name`` parameter (what Outlook and Foxmail read), the xlsx MIME type, a
Message-ID, and headers naming the campaign's form. Text comes from Jinja2 templates
(``templates/mail/``), overridable by files of the same name in the campaign's
``mail/`` folder. Every message sent or drafted is kept in ``outbox/`` with a sidecar.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

import jinja2

from xltool.mail.settings import MailSettings
from xltool.paths import templates_dir
from xltool.round.folder import Campaign, now_iso, read_json, write_json
from xltool.safeio import write_atomic

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ZIP_TYPE = ("application", "zip")
KINDS = ("issue", "remind", "reply-fix", "reply-ok")
# CRLF, lines folded at 78; a header stored raw (the attachment's Content-Type, whose
# MIME type alone is longer than a folded line) is written as it is, as Outlook does.
POLICY = policy.SMTP.clone(refold_source="none")


def render(campaign: Campaign, kind: str, **context: Any) -> tuple[str, str]:
    """(subject, body) of a message kind: the template's first line is the subject."""
    folders = [campaign.root / "mail", templates_dir() / "mail"]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders if f.is_dir()]),
        autoescape=False,  # plain text mail, never HTML
        undefined=jinja2.ChainableUndefined,
        keep_trailing_newline=True,
    )
    text = env.get_template(f"{kind}.j2").render(**context)
    subject, _, body = text.partition("\n")
    return " ".join(subject.split()), body.lstrip("\n")


def message(
    settings: MailSettings,
    to: list[str],
    subject: str,
    body: str,
    *,
    attachment: tuple[str, bytes] | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
    headers: dict[str, str] | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = formataddr((settings.from_name, settings.from_address), charset="utf-8")
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = settings.from_address.rpartition("@")[2] or "xltool.invalid"
    msg["Message-ID"] = make_msgid(domain=domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join([*(references or []), in_reply_to])
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset="utf-8", cte="base64")
    for name, data in [*([attachment] if attachment else []), *(attachments or [])]:
        attach(msg, name, data)
    return msg


def attach(msg: EmailMessage, name: str, data: bytes) -> None:
    """An .xlsx (or a .zip of them) under its Chinese name, as every client shows it."""
    kind = ZIP_TYPE if name.lower().endswith(".zip") else XLSX_TYPE
    msg.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    part = list(msg.iter_attachments())[-1]
    # RFC 2231 filename* is in Content-Disposition already; Outlook and Foxmail read
    # the RFC 2047 "name" of Content-Type. Written raw, folded between encoded words:
    # the email package would fold this header inside the MIME type itself.
    words = Header(name, "utf-8").encode(maxlinelen=70, splitchars=" ", linesep="\r\n")
    del part["Content-Type"]
    part.set_raw("Content-Type", f'{kind[0]}/{kind[1]};\r\n name="{words}"')


def as_draft(msg: EmailMessage) -> bytes:
    """An .eml Outlook opens as an unsent draft."""
    draft = EmailMessage(policy=POLICY)
    for name, value in msg.items():
        draft[name] = value
    draft["X-Unsent"] = "1"
    draft.set_payload(msg.get_payload())
    return draft.as_bytes()


def message_file(message_id: str) -> str:
    """A file name for a Message-ID on every system."""
    return re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<>"))


class Outbox:
    """``outbox/<message-id>.eml`` and its sidecar: what was sent or drafted, to whom,
    for which department, and the outcome, recorded before and after each send."""

    def __init__(self, campaign: Campaign) -> None:
        self.folder = campaign.root / "outbox"
        self.folder.mkdir(exist_ok=True)

    def record(self, msg: EmailMessage, doc: dict[str, Any]) -> dict[str, Any]:
        base = message_file(msg["Message-ID"])
        eml = self.folder / f"{base}.eml"
        if not eml.exists():
            data = msg.as_bytes()
            write_atomic(eml, lambda h: h.write(data))
        doc = {
            "message_id": msg["Message-ID"],
            "file": eml.name,
            "subject": str(msg["Subject"]),
            "to": [a.strip() for a in str(msg["To"]).split(",") if a.strip()],
            "created_at": doc.get("created_at") or now_iso(),
            "updated_at": now_iso(),
            **doc,
        }
        write_json(self.folder / f"{base}.json", doc)
        return doc

    def sidecars(self) -> list[dict[str, Any]]:
        return [read_json(p) for p in sorted(self.folder.glob("*.json"))]
