"""The round's operations that involve mail, as the CLI and any other face call them:
``take_in`` (collect files, saved messages and the IMAP folder, then reply), ``send``
and ``remind``. Each returns data; nothing here prints."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from xltool.errors import XltoolError
from xltool.mail.fetch import Inbound, eml_reader, fetch_new
from xltool.mail.jobs import Delivery, Mailer, reply, send_forms
from xltool.mail.jobs import remind as remind_job
from xltool.mail.settings import MailSettings, mail_settings, password
from xltool.reading.sniff import Limits
from xltool.round.collect import Outcome, collect
from xltool.round.folder import Campaign, ledger_guard, read_json
from xltool.round.inputs import items_from_paths
from xltool.round.rebuild import open_ledger

REMINDABLE = ("missing", "overdue", "to-fix")


@dataclass
class Intake:
    """What one ``collect`` run did: an outcome per input, the messages that carried no
    workbook, and the replies sent (with ``reply=True``)."""

    outcomes: list[Outcome]
    without_workbook: list[Inbound] = field(default_factory=list)
    replies: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.without_workbook) or any(r.outcome == "send-failed" for r in self.replies)


def take_in(
    campaign: Campaign,
    paths: list[str],
    *,
    imap: bool = False,
    since: datetime | None = None,
    move_to: str | None = None,
    reply_to_senders: bool = False,
    drafts: Path | None = None,
    insecure: bool = False,
    received_at: str | None = None,
    assigned: str | None = None,
    jobs: int | None = None,
    key: bytes | None = None,
    progress: Callable[[int], AbstractContextManager[Callable[[Any], None]]] | None = None,
) -> Intake:
    """Files, folders, zips, saved messages (.eml, also inside folders) and, with
    ``imap``, the campaign's new messages: stored, verified, matched and recorded, one
    outcome per input (an input that cannot be taken is refused, with why; none ends the
    batch). IMAP messages are marked done once all of theirs are recorded or refused (a
    refused one is an event in the ledger), so the folder drains. ``progress(total)``
    gives a context that yields a per-file callback (a progress bar)."""
    limits = Limits()
    settings = mail_settings(campaign.config) if imap or reply_to_senders else None
    mailbox = _Mailbox(campaign, settings, since, move_to, insecure, limits) if imap else None
    messages: list[Inbound] = []
    try:
        with ledger_guard(campaign):
            items = items_from_paths(paths, campaign, limits, eml=eml_reader(limits, messages))
            if mailbox is not None:
                fetched = mailbox.fetch()
                messages += fetched
                items += [item for m in fetched for item in m.items]
            given = {"received_at": received_at, "assigned": assigned, "jobs": jobs, "key": key}
            with progress(len(items)) if progress else nullcontext(None) as advance:
                outcomes = collect(campaign, [], items=items, progress=advance, **given)
            if mailbox is not None:
                mailbox.done(messages, outcomes)
    finally:
        if mailbox is not None:
            mailbox.close()
    with ledger_guard(campaign):
        replies = _reply(campaign, settings, outcomes, drafts, insecure) if reply_to_senders else []
    return Intake(outcomes, [m for m in messages if not m.has_workbook], replies)


class _Mailbox:
    """The campaign's IMAP folder for one collect run: fetch the new messages, then,
    once they are recorded, move them (``move_to``) and remember the last UID."""

    def __init__(
        self,
        c: Campaign,
        settings: MailSettings | None,
        since: datetime | None,
        move_to: str | None,
        insecure: bool,
        limits: Limits,
    ) -> None:
        if settings is None or settings.imap is None:
            raise XltoolError(
                "campaign.yaml 中没有 mail.imap 设置", "campaign.yaml has no mail.imap"
            )
        self.c, self.settings, self.move_to = c, settings, move_to
        self.since, self.insecure, self.limits = since, insecure, limits
        self.box: Any = None
        self.validity = 0

    def fetch(self) -> list[Inbound]:
        imap = self.settings.imap
        assert imap is not None
        with open_ledger(self.c) as ledger:
            fetched, self.box, self.validity = fetch_new(
                self.settings, ledger, password(imap), self.limits,
                since=self.since.date() if self.since else None, insecure=self.insecure,
                readonly=self.move_to is None,
            )  # fmt: skip
        return fetched

    def done(self, messages: list[Inbound], outcomes: list[Outcome]) -> None:
        """Every message fetched is done: moved (``move_to``), each input of it that was
        refused recorded as a ``refused`` event, and the last UID remembered."""
        uids = [m.uid for m in messages if m.uid is not None]
        if self.move_to:
            for uid in uids:
                self.box.move(uid, self.move_to)
        if uids and self.settings.imap is not None:
            with open_ledger(self.c) as ledger:
                for detail in _refused(messages, outcomes):
                    ledger.event("refused", None, detail)
                ledger.set_imap_state(self.settings.imap.folder, self.validity, max(uids))

    def close(self) -> None:
        if self.box is not None:
            self.box.close()


def _refused(messages: list[Inbound], outcomes: list[Outcome]) -> list[str]:
    """The IMAP inputs that were refused, each as an event's detail (JSON)."""
    by_item = {id(o.item): o for o in outcomes}
    out = []
    for m in messages:
        for item in m.items if m.uid is not None else ():
            o = by_item.get(id(item))
            if o is None or o.recorded:
                continue
            zh, en = o.reason or item.problem or ("", "")
            detail = {"uid": m.uid, "source": item.source, "message_id": m.message_id}
            detail |= {"sender": m.sender, "subject": m.subject, "reason": zh, "reason_en": en}
            out.append(json.dumps(detail, ensure_ascii=False))
    return out


_REPLY_KEYS = ("code", "status", "errors", "warnings", "execution_rate", "score")
_REPLY_KEYS += ("annotated", "findings")


def _reply(
    c: Campaign,
    settings: MailSettings | None,
    outcomes: list[Outcome],
    drafts: Path | None,
    insecure: bool,
) -> list[Delivery]:
    """One reply per new return: what to fix with the annotated copy, or a receipt."""
    assert settings is not None
    # the sidecars of this run's new returns: sender, Message-ID, subject, references
    new = {
        o.sha256: read_json(c.inbox / f"{o.stored}.json") for o in outcomes if o.new and o.stored
    }
    with open_ledger(c) as ledger:
        rows = [
            {**new[row.sha256], **{k: getattr(row, k) for k in _REPLY_KEYS}}
            for row in ledger.returns()
            if row.sha256 in new
        ]
        rows += [_report_row(o) for o in outcomes if _new_report(o)]
        mailer = Mailer(
            c, settings, ledger, password=lambda: password(settings.smtp), drafts=drafts,
            insecure=insecure,
        )  # fmt: skip
        try:
            return reply(mailer, rows)
        finally:
            mailer.close()


def _new_report(o: Outcome) -> bool:
    """A department's 评价报告 that came by mail in this run (it gets its reply too)."""
    found = o.beside
    return bool(getattr(found, "findings", None) is not None and getattr(found, "new", False)
                and o.item.message_id and o.item.sender)  # fmt: skip


def _report_row(o: Outcome) -> dict[str, Any]:
    """A report's outcome as a reply row: its findings against the form, no figures."""
    r = o.beside
    errors = sum(f.severity == "error" for f in r.findings)
    return {
        "sha256": r.sha256, "file": r.stored, "original_name": o.item.original_name,
        "sender": o.item.sender, "message_id": o.item.message_id, "subject": o.item.subject,
        "references": o.item.references, "received_at": r.received_at, "code": r.code,
        "status": "invalid" if errors else "ok", "errors": errors,
        "warnings": len(r.findings) - errors, "execution_rate": None, "score": None,
        "findings": [f.to_json("zh") for f in r.findings], "annotated": None, "report": True,
    }  # fmt: skip


def send(
    campaign: Campaign,
    *,
    only: list[str] | None = None,
    resend: bool = False,
    **mailing: Any,
) -> list[Delivery]:
    """Each department its issued form, one message per department (see :func:`_mailing`
    for ``drafts``, ``dry_run``, ``rate``, ``insecure``)."""
    return _mailing(campaign, lambda m: send_forms(m, only=only, resend=resend), **mailing)


def remind(
    campaign: Campaign,
    statuses: list[str],
    *,
    min_interval_days: int = 3,
    force: bool = False,
    attach: bool = False,
    **mailing: Any,
) -> list[Delivery]:
    """A reminder to each department that owes a form whose status is one of
    ``statuses`` (missing, overdue, to-fix), naming exactly those forms, at most once per
    ``min_interval_days`` unless ``force``; ``attach``: the blank forms it still owes."""
    bad = [s for s in statuses if s not in REMINDABLE]
    if bad:
        raise XltoolError(
            f"--status 只能是 missing、overdue、to-fix，现为 {'、'.join(bad)}",
            f"--status takes missing, overdue, to-fix; not {', '.join(bad)}",
        )
    interval = timedelta(days=min_interval_days)
    return _mailing(
        campaign,
        lambda m: remind_job(m, statuses, min_interval=interval, force=force, attach=attach),
        **mailing,
    )


def _mailing(
    campaign: Campaign,
    job: Callable[[Mailer], list[Delivery]],
    *,
    drafts: Path | None = None,
    dry_run: bool = False,
    rate: float | None = None,
    insecure: bool = False,
) -> list[Delivery]:
    settings = mail_settings(campaign.config)
    if rate is not None:
        settings = dataclasses.replace(settings, rate=rate)
    with open_ledger(campaign) as ledger:
        mailer = Mailer(
            campaign, settings, ledger,
            password=lambda: password(settings.smtp) if settings.smtp else None,
            drafts=drafts, dry_run=dry_run, insecure=insecure,
        )  # fmt: skip
        try:
            return job(mailer)
        finally:
            mailer.close()
