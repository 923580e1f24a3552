"""What xltool mails: each department its issued form (``send``), reminders to the late
and the ones to fix (``remind``), and a reply to every new return (``collect --reply``).

Each message is recorded before it is sent (outcome ``sending``) and after (``sent``
or ``send-failed``), in ``outbox/`` and in the ledger, so a run interrupted at any point
is resumed by the next one without mailing anyone twice: a message whose outcome is
unknown (``sending``) is listed and sent again only with ``--resend``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from xltool.mail.compose import Outbox, as_draft, message, render
from xltool.mail.send import Smtp
from xltool.mail.settings import MailSettings
from xltool.round.folder import Campaign, read_json
from xltool.round.ledger import Ledger
from xltool.round.status import last_reminders
from xltool.safeio import write_atomic


@dataclass
class Delivery:
    """What happened to one department's message in this run."""

    code: str
    department: str
    kind: str
    outcome: str  # sent | send-failed | not-sent | skipped | unknown | drafted | dry-run
    to: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    reason: tuple[str, str] | None = None
    message_id: str | None = None
    file: str | None = None

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "code": self.code,
            "department": self.department,
            "kind": self.kind,
            "outcome": self.outcome,
            "to": self.to,
            "refused": self.refused,
            "reason": (self.reason[0] if lang == "zh" else self.reason[1]) if self.reason else None,
            "message_id": self.message_id,
            "file": self.file,
        }


def _today() -> str:
    return datetime.now(UTC).strftime("%Y年%m月%d日")


class Mailer:
    """Sends (or drafts) messages for one run and records each outcome."""

    def __init__(
        self,
        campaign: Campaign,
        settings: MailSettings,
        ledger: Ledger,
        *,
        password: Callable[[], str | None] = lambda: None,
        drafts: Path | None = None,
        dry_run: bool = False,
        insecure: bool = False,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.campaign, self.settings, self.ledger = campaign, settings, ledger
        self.outbox = Outbox(campaign)
        self.drafts, self.dry_run = drafts, dry_run
        self.password, self.insecure, self.sleep = password, insecure, sleep
        self.smtp: Smtp | None = None
        self.links: dict[str, str] = {}  # each department's upload page, when there is one

    def close(self) -> None:
        if self.smtp is not None:
            self.smtp.close()

    def context(self, code: str | None) -> dict[str, Any]:
        c = self.campaign
        spec_name = c.config.get("title") or ""
        dept = next((d for d in c.departments() if d["code"] == code), {}) if code else {}
        return {
            "department": dept.get("department", ""),
            "code": code,
            "year": c.config.get("year") or "",
            "deadline": c.deadline.strftime("%Y年%m月%d日") if c.deadline else None,
            "form_name": spec_name.removeprefix(f"{c.config.get('year')}年度") or spec_name,
            "sender_name": self.settings.from_name or self.settings.from_address,
            "today": _today(),
        }

    def render(self, kind: str, code: str | None, **context: Any) -> tuple[str, str]:
        return render(self.campaign, kind, **{**self.context(code), **context})

    def deliver(self, delivery: Delivery, msg: Any, extra: dict[str, Any]) -> Delivery:
        delivery.message_id = msg["Message-ID"]
        base = {"code": delivery.code, "kind": delivery.kind, **extra}
        if self.dry_run:
            delivery.outcome = "dry-run"
            return delivery
        if self.drafts is not None:
            self.drafts.mkdir(parents=True, exist_ok=True)
            from xltool.mail.compose import message_file

            target = (
                self.drafts
                / f"{delivery.code or 'reply'}-{delivery.kind}-{message_file(msg['Message-ID'])[:24]}.eml"
            )
            data = as_draft(msg)
            write_atomic(target, lambda h: h.write(data))
            doc = self.outbox.record(msg, {**base, "outcome": "drafted", "draft": str(target)})
            self.ledger.put_message(doc)
            delivery.outcome, delivery.file = "drafted", str(target)
            return delivery
        if self.smtp is None:
            kwargs = {"sleep": self.sleep} if self.sleep else {}
            pw = self.password() if self.settings.smtp and self.settings.smtp.user else None
            self.smtp = Smtp(self.settings, pw, self.insecure, **kwargs)
        doc = self.outbox.record(msg, {**base, "outcome": "sending"})
        self.ledger.put_message(doc)  # before: a crash from here on is an unknown outcome
        result = self.smtp.send(msg, delivery.to)
        doc = self.outbox.record(
            msg,
            {
                **doc,
                "outcome": "sent" if result.ok else "send-failed",
                "refused": result.refused,
                "error": result.error,
            },
        )
        self.ledger.put_message(doc)
        delivery.outcome, delivery.refused = doc["outcome"], result.refused
        if not result.ok:
            delivery.reason = (
                f"服务器拒收：{result.error}",
                f"refused by the server: {result.error}",
            )
        return delivery


# --- send: each department its form -----------------------------------------------------


def send_forms(
    mailer: Mailer, *, only: list[str] | None = None, resend: bool = False
) -> list[Delivery]:
    """One message per department with every form it owes attached (zipped past
    ``mail.zip_over``), listed in the body."""
    c, ledger = mailer.campaign, mailer.ledger
    docs = _only(c.departments(), only)
    owed = owed_forms(c)
    links = department_links(c)
    previous = {row["code"]: row["outcome"] for row in ledger.messages("issue")}
    out = []
    for d in docs:
        code, name = d["code"], d["department"]
        delivery = Delivery(code, name, "issue", "not-sent", to=list(d.get("emails") or []))
        mine = owed.get(code, [])
        held = _held_back(d, previous.get(code), resend, bool(mine))
        if held:
            delivery.outcome, delivery.reason = held
        else:
            files = [
                (Path(doc["file"]).name, (c.issued_dir / doc["file"]).read_bytes()) for doc in mine
            ]
            attachments, zipped = bundle(files, mailer.settings, f"{code}-{name}")
            forms = [
                {"label": _form_label(doc), "file": n}
                for doc, (n, _) in zip(mine, files, strict=True)
            ]
            subject, body = mailer.render(
                "issue", code, file_name=files[0][0], forms=forms, zipped=zipped,
                link=links.get(code),
            )  # fmt: skip
            ids = " ".join(doc["issue_id"] for doc in mine)
            msg = message(
                mailer.settings,
                delivery.to,
                subject,
                body,
                attachments=attachments,
                headers={"X-Xltool-Issue-Id": ids, "X-Xltool-Department": code},
            )
            mailer.deliver(delivery, msg, {"issue_id": ids})
        out.append(delivery)
    return out


def department_links(campaign: Campaign) -> dict[str, str]:
    """Each department's upload page, when the campaign has a public address for them
    (``xltool serve --public-url``); none otherwise."""
    from xltool.round.portal import portal_links, public_url

    url = public_url(campaign)
    return {link.code: link.url for link in portal_links(campaign, url)} if url else {}


def owed_forms(campaign: Campaign) -> dict[str, list[dict[str, Any]]]:
    """Each department's issued forms it owes (the latest issue of each form, none
    exempt), as their sidecars, in the round's order of forms."""
    latest: dict[str, dict[str, Any]] = {}
    for sidecar in sorted(campaign.issued_dir.rglob("*.json")):
        doc = read_json(sidecar)
        form = doc.get("form") or doc["code"]
        if form not in latest or doc["issued_at"] >= latest[form]["issued_at"]:
            latest[form] = doc
    exempt = {p["code"] for p in campaign.projects() if p.get("exempt_reason")}
    out: dict[str, list[dict[str, Any]]] = {}
    for ref in campaign.forms():
        if ref.id in latest and ref.project not in exempt:
            out.setdefault(ref.department, []).append(latest[ref.id])
    return out


def bundle(
    files: list[tuple[str, bytes]], settings: MailSettings, stem: str
) -> tuple[list[tuple[str, bytes]], str | None]:
    """The attachments as they are, or one zip (UTF-8 names) when there are more than
    ``zip_over_files`` of them or they weigh more than ``zip_over_bytes``."""
    size = sum(len(data) for _, data in files)
    if len(files) <= settings.zip_over_files and size <= settings.zip_over_bytes:
        return files, None
    import io
    import zipfile

    from xltool.safeio import safe_stem

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)  # a non-ASCII name sets the UTF-8 flag (bit 11)
    name = f"{safe_stem(stem)}-自评表.zip"
    return [(name, buffer.getvalue())], name


def _form_label(doc: dict[str, Any]) -> str:
    if doc.get("project_code"):
        return f"项目支出绩效自评表：{doc['project_code']} {doc.get('project_name') or ''}".strip()
    return "部门整体支出绩效自评表"


def _only(docs: list[dict[str, Any]], only: list[str] | None) -> list[dict[str, Any]]:
    """The departments ``--only`` names (all without it); a code not in the roster is an error."""
    if not only:
        return docs
    known = {d["code"] for d in docs}
    missing = [x for x in only if x not in known]
    if missing:
        from xltool.errors import XltoolError

        raise XltoolError(
            f"部门编码不在本批次名单中：{'、'.join(missing)}",
            f"not in this campaign: {', '.join(missing)}",
        )
    return [d for d in docs if d["code"] in only]


def _held_back(
    doc: dict[str, Any], previous: str | None, resend: bool, issued: bool
) -> tuple[str, tuple[str, str]] | None:
    """Why a department's form is not sent now: (outcome, reason), or None to send it."""
    if doc.get("exempt_reason"):
        return "skipped", ("免报，不发送", "exempt; not sent")
    if not doc.get("emails"):
        return "not-sent", ("名单中没有电子邮箱", "no email address in the roster")
    if previous == "sent" and not resend:
        return "skipped", ("此前已发送（重发请加 --resend）", "sent before (use --resend)")
    if previous == "sending" and not resend:
        return "unknown", (
            "上次发送中断，结果未知；确认对方未收到后用 --resend 重发",
            "an earlier send was interrupted and its outcome is unknown; --resend once you know",
        )
    if not issued:
        return "not-sent", ("没有发放的表", "no issued form")
    return None


# --- remind: the late and the ones to fix ----------------------------------------------------


def remind(
    mailer: Mailer,
    statuses: list[str],
    *,
    min_interval: timedelta = timedelta(days=3),
    force: bool = False,
    now: datetime | None = None,
    attach: bool = False,
) -> list[Delivery]:
    """One reminder per department that still owes a form in one of ``statuses``,
    naming exactly those forms (with the findings of each to fix; ``attach``: the
    blank forms it has not returned at all)."""
    from xltool.round.status import campaign_status

    now = now or datetime.now(UTC)
    st = campaign_status(mailer.campaign, mailer.ledger)
    last = last_reminders(mailer.ledger)
    owed = owed_forms(mailer.campaign) if attach else {}
    mailer.links = department_links(mailer.campaign)
    out = []
    for d in st.departments:
        wanted = [f for f in d.outstanding() if f.status in statuses]
        if d.status == "exempt" or not wanted:
            continue
        delivery = Delivery(d.code, d.department, "remind", "not-sent", to=list(d.emails))
        previous = last.get(d.code)
        if not delivery.to:
            delivery.reason = ("名单中没有电子邮箱", "no email address in the roster")
        elif previous and not force and now - datetime.fromisoformat(previous) < min_interval:
            delivery.outcome = "skipped"
            delivery.reason = (f"{previous[:10]} 已提醒过", f"reminded on {previous[:10]}")
        else:
            _remind_one(mailer, delivery, d, wanted, owed.get(d.code, []))
        out.append(delivery)
    return out


def _remind_one(
    mailer: Mailer, delivery: Delivery, d: Any, wanted: list[Any], issued: list[dict[str, Any]]
) -> None:
    forms = [
        {
            "label": f.ref.label("zh") if f.ref.project else "部门整体支出绩效自评表",
            "status": f.status,
            "status_label": f.label("zh"),
            "errors": f.current.errors if f.current else 0,
            "findings": [x["message"] for x in (f.current.findings if f.current else [])][:10],
        }
        for f in wanted
    ]
    blank = {f.ref.id for f in wanted if f.current is None}
    files = [
        (Path(doc["file"]).name, (mailer.campaign.issued_dir / doc["file"]).read_bytes())
        for doc in issued
        if (doc.get("form") or doc["code"]) in blank
    ]
    attachments, _zipped = bundle(files, mailer.settings, f"{d.code}-{d.department}")
    status = d.status if d.status in {f.status for f in wanted} else wanted[0].status
    subject, body = mailer.render(
        "remind", d.code, status=status, forms=forms, several=len(d.forms) > 1,
        errors=d.current.errors if d.current else 0, link=mailer.links.get(d.code),
    )  # fmt: skip
    msg = message(
        mailer.settings, delivery.to, subject, body, attachments=attachments,
        headers={"X-Xltool-Department": d.code},
    )  # fmt: skip
    mailer.deliver(delivery, msg, {"status": status, "forms": [f.ref.id for f in wanted]})


# --- reply: to every new return -------------------------------------------------------------


def reply(mailer: Mailer, rows: list[dict[str, Any]]) -> list[Delivery]:
    """One reply per incoming message that brought new returns, covering every form in
    it: what to fix (with each annotated copy) or a receipt with 执行率 and 总分. Never a
    second reply to the same return."""
    replied = {
        r["return_sha"]
        for r in mailer.ledger.messages()
        if r["return_sha"] and r["outcome"] in ("sent", "drafted", "sending")
    }
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("sender") and row.get("message_id") and row["sha256"] not in replied:
            groups.setdefault(row["message_id"], []).append(row)
    return [_reply_one(mailer, group) for group in groups.values()]


def _item(row: dict[str, Any]) -> dict[str, Any]:
    rate, score = row.get("execution_rate"), row.get("score")
    return {
        "file_name": row.get("original_name") or row["file"],
        "ok": row["status"] == "ok",
        "errors": row.get("errors") or 0,
        "warnings": row.get("warnings") or 0,
        "findings": [f["message"] for f in row.get("findings") or []],
        "execution_rate": f"{rate:.2%}" if rate is not None else "—",
        "score": f"{score:g}" if score is not None else "—",
        "annotated_name": _reply_name(row) if row.get("annotated") else "",
        "report": bool(row.get("report")),
    }


def _reply_one(mailer: Mailer, group: list[dict[str, Any]]) -> Delivery:
    first, items = group[0], [_item(r) for r in group]
    code = first.get("code")
    ok = all(i["ok"] for i in items)
    kind = "reply-ok" if ok else "reply-fix"
    delivery = Delivery(code or "", "", kind, "not-sent", to=[first["sender"]])
    context = {
        **items[0],
        "subject": first.get("subject") or "",
        "received": (first.get("received_at") or "")[:16].replace("T", " "),
        "items": items,
        "errors": sum(i["errors"] for i in items),
        "warnings": sum(i["warnings"] for i in items),
    }
    subject, body = mailer.render(kind, code, **context)
    if not context["subject"]:
        subject = subject.removeprefix("Re: ")
    attachments = []
    for row in group:
        path = mailer.campaign.annotated_dir / (row.get("annotated") or "")
        if row["status"] != "ok" and row.get("annotated") and path.is_file():
            attachments.append((_reply_name(row), path.read_bytes()))
    msg = message(
        mailer.settings, [first["sender"]], subject, body, attachments=attachments,
        headers={"X-Xltool-Department": code or ""}, in_reply_to=first["message_id"],
        references=first.get("references") or [],
    )  # fmt: skip
    mailer.deliver(delivery, msg, {"return_sha": first["sha256"]})
    return delivery


def _reply_name(row: dict[str, Any]) -> str:
    stem = Path(row.get("original_name") or row["file"]).stem
    return f"{stem}-校验.xlsx"
