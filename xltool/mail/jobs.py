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
    c, ledger = mailer.campaign, mailer.ledger
    docs = _only(c.departments(), only)
    latest: dict[str, dict[str, Any]] = {}
    for sidecar in sorted(c.issued_dir.glob("*.json")):
        doc = read_json(sidecar)
        if doc["code"] not in latest or doc["issued_at"] >= latest[doc["code"]]["issued_at"]:
            latest[doc["code"]] = doc
    previous = {row["code"]: row["outcome"] for row in ledger.messages("issue")}
    out = []
    for d in docs:
        code, name = d["code"], d["department"]
        delivery = Delivery(code, name, "issue", "not-sent", to=list(d.get("emails") or []))
        held = _held_back(d, previous.get(code), resend, code in latest)
        if held:
            delivery.outcome, delivery.reason = held
        else:
            issued = latest[code]
            path = c.issued_dir / issued["file"]
            subject, body = mailer.render("issue", code, file_name=issued["file"])
            msg = message(
                mailer.settings,
                delivery.to,
                subject,
                body,
                attachment=(issued["file"], path.read_bytes()),
                headers={"X-Xltool-Issue-Id": issued["issue_id"], "X-Xltool-Department": code},
            )
            mailer.deliver(delivery, msg, {"issue_id": issued["issue_id"]})
        out.append(delivery)
    return out


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
) -> list[Delivery]:
    from xltool.round.status import campaign_status

    now = now or datetime.now(UTC)
    st = campaign_status(mailer.campaign, mailer.ledger)
    last = last_reminders(mailer.ledger)
    out = []
    for d in st.departments:
        if d.status == "exempt" or d.status not in statuses:
            continue
        delivery = Delivery(d.code, d.department, "remind", "not-sent", to=list(d.emails))
        previous = last.get(d.code)
        if not delivery.to:
            delivery.reason = ("名单中没有电子邮箱", "no email address in the roster")
        elif previous and not force and now - datetime.fromisoformat(previous) < min_interval:
            delivery.outcome = "skipped"
            delivery.reason = (f"{previous[:10]} 已提醒过", f"reminded on {previous[:10]}")
        else:
            subject, body = mailer.render(
                "remind", d.code, status=d.status, errors=d.current.errors if d.current else 0
            )
            msg = message(
                mailer.settings, delivery.to, subject, body, headers={"X-Xltool-Department": d.code}
            )
            mailer.deliver(delivery, msg, {"status": d.status})
        out.append(delivery)
    return out


# --- reply: to every new return -------------------------------------------------------------


def reply(mailer: Mailer, rows: list[dict[str, Any]]) -> list[Delivery]:
    """One reply per new return that came by mail: what to fix (with the annotated copy)
    or a receipt with 执行率 and 总分. Never a second reply to the same return."""
    c = mailer.campaign
    replied = {
        r["return_sha"]
        for r in mailer.ledger.messages()
        if r["return_sha"] and r["outcome"] in ("sent", "drafted", "sending")
    }
    out = []
    for row in rows:
        sender = row.get("sender")
        if not sender or row["sha256"] in replied or not row.get("message_id"):
            continue
        code = row.get("code")
        findings = row.get("findings") or []
        ok = row["status"] == "ok"
        kind = "reply-ok" if ok else "reply-fix"
        delivery = Delivery(code or "", "", kind, "not-sent", to=[sender])
        context = {
            "subject": row.get("subject") or "",
            "file_name": row.get("original_name") or row["file"],
            "received": (row.get("received_at") or "")[:16].replace("T", " "),
            "errors": row.get("errors") or 0,
            "warnings": row.get("warnings") or 0,
            "findings": [f["message"] for f in findings],
            "execution_rate": f"{row['execution_rate']:.2%}"
            if row.get("execution_rate") is not None
            else "—",
            "score": f"{row['score']:g}" if row.get("score") is not None else "—",
            "annotated_name": row.get("annotated") or "",
        }
        subject, body = mailer.render(kind, code, **context)
        if not context["subject"]:
            subject = subject.removeprefix("Re: ")
        attachment = None
        if not ok and row.get("annotated"):
            path = c.annotated_dir / row["annotated"]
            if path.is_file():
                attachment = (_reply_name(row), path.read_bytes())
        msg = message(
            mailer.settings,
            [sender],
            subject,
            body,
            attachment=attachment,
            headers={"X-Xltool-Department": code or ""},
            in_reply_to=row["message_id"],
            references=row.get("references") or [],
        )
        mailer.deliver(delivery, msg, {"return_sha": row["sha256"]})
        out.append(delivery)
    return out


def _reply_name(row: dict[str, Any]) -> str:
    stem = Path(row.get("original_name") or row["file"]).stem
    return f"{stem}-校验.xlsx"
