"""Sending through SMTP: one connection for a batch, at most ``rate`` messages a minute,
temporary failures (4xx, a dropped connection) retried with backoff, permanent ones
(5xx, refused recipients) reported with the server's words."""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from xltool.errors import XltoolError
from xltool.mail.settings import MailSettings, Server, tls_context


@dataclass
class Sent:
    """What the server said: accepted (with refused recipients listed), or failed."""

    ok: bool
    refused: dict[str, str] = field(default_factory=dict)  # address → the server's words
    error: str | None = None


def _login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH; a password that is not ASCII (smtplib would fail, quoting it in the
    error) goes as AUTH PLAIN in UTF-8 (RFC 4616)."""
    if user.isascii() and password.isascii():
        conn.login(user, password)
        return
    import base64

    conn.ehlo_or_helo_if_needed()
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    code, text = conn.docmd("AUTH", "PLAIN " + token)
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, text)


def _words(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {text}".strip()


class Smtp:
    """A lazily opened SMTP connection; closed with the ``with`` block."""

    def __init__(
        self,
        settings: MailSettings,
        password: str | None,
        insecure: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if settings.smtp is None:
            raise XltoolError(
                "campaign.yaml 中没有 mail.smtp 设置；可用 --drafts 生成草稿，从自己的邮箱发出",
                "campaign.yaml has no mail.smtp; use --drafts to send from your own mail client",
            )
        self.settings, self.server = settings, settings.smtp
        self.password, self.insecure, self.sleep = password, insecure, sleep
        self.conn: smtplib.SMTP | None = None
        self.last = 0.0

    def __enter__(self) -> Smtp:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None

    def _connect(self) -> smtplib.SMTP:
        s: Server = self.server
        context = tls_context(s, self.insecure) if s.security != "none" else None
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=60, context=context)
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=60)
                if s.security == "starttls":
                    conn.starttls(context=context)
            if s.user:
                _login(conn, s.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise XltoolError(
                f"SMTP 登录失败（{_words(exc.smtp_code, exc.smtp_error)}）：请检查用户名和密码",
                f"SMTP login failed ({_words(exc.smtp_code, exc.smtp_error)})",
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise XltoolError(
                f"SMTP 服务器证书无法验证（{exc.verify_message}）：政府内网服务器请在 campaign.yaml 中用 ca_file 指定其 CA 证书",
                f"the SMTP server's certificate cannot be verified ({exc.verify_message}); name its CA with ca_file",
            ) from None
        return conn

    def send(self, msg: EmailMessage, to: list[str]) -> Sent:
        """Deliver one message; retries temporary failures, never raises for the
        server's answer."""
        gap = 60.0 / self.settings.rate if self.settings.rate > 0 else 0.0
        wait = self.last + gap - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        delay = self.settings.backoff
        error = ""
        for attempt in range(self.settings.retries + 1):
            if attempt:
                self.sleep(delay)
                delay *= 2
            try:
                if self.conn is None:
                    self.conn = self._connect()
                refused = self.conn.send_message(msg, self.settings.from_address, to)
                self.last = time.monotonic()
                return Sent(True, {a: _words(c, t) for a, (c, t) in refused.items()})
            except smtplib.SMTPRecipientsRefused as exc:
                self.last = time.monotonic()
                words = {a: _words(c, t) for a, (c, t) in exc.recipients.items()}
                if all(w.startswith("4") for w in words.values()):
                    error = "; ".join(words.values())
                    continue  # greylisted, say: try again
                return Sent(False, words, "; ".join(words.values()))
            except smtplib.SMTPResponseException as exc:
                error = _words(exc.smtp_code, exc.smtp_error)
                if exc.smtp_code >= 500:
                    self._reset()
                    return Sent(False, {}, error)
                self._drop()
            except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError) as exc:
                error = str(exc) or type(exc).__name__
                self._drop()
        return Sent(False, {}, f"{error}（已重试 {self.settings.retries} 次）")

    def _reset(self) -> None:
        try:
            if self.conn is not None:
                self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
