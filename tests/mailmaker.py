"""Replies as real mail clients send them, built byte by byte where the clients bend
the rules: Outlook (RFC 2047 names in GB2312), Foxmail (raw GBK bytes in headers),
webmail (RFC 2231 names), a forwarded message, a zip, a message without a workbook, an
attachment without a name."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def _head(sender: str, to: str, subject: bytes, message_id: str, in_reply_to: str | None) -> bytes:
    lines = [
        b"From: " + sender.encode(),
        b"To: " + to.encode(),
        b"Subject: " + subject,
        b"Date: " + format_datetime(datetime(2025, 3, 10, 9, 30, tzinfo=UTC)).encode(),
        b"Message-ID: " + message_id.encode(),
        b"MIME-Version: 1.0",
    ]
    if in_reply_to:
        lines += [b"In-Reply-To: " + in_reply_to.encode(), b"References: " + in_reply_to.encode()]
    return b"\r\n".join(lines) + b"\r\n"


def outlook(sender: str, to: str, in_reply_to: str | None, name: str, data: bytes, n: int) -> bytes:
    """Older Outlook: GB2312 RFC 2047 words in both name and filename, no RFC 2231."""
    encoded = Header(name, "gb2312").encode().encode()
    subject = Header("答复: 绩效自评表", "gb2312").encode().encode()
    body = base64.encodebytes("附件为我单位的自评表。".encode("gb2312"))
    return (
        _head(sender, to, subject, f"<outlook-{n}@dept.example.cn>", in_reply_to)
        + b'Content-Type: multipart/mixed; boundary="----=_NextPart_000"\r\n\r\n'
        + b"------=_NextPart_000\r\nContent-Type: text/plain; charset=\"gb2312\"\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n"
        + b"------=_NextPart_000\r\nContent-Type: " + XLSX.encode() + b'; name="' + encoded + b'"\r\n'
        + b'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="' + encoded + b'"\r\n\r\n'
        + _b64(data) + b"\r\n------=_NextPart_000--\r\n"
    )  # fmt: skip


def foxmail(sender: str, to: str, in_reply_to: str | None, name: str, data: bytes, n: int) -> bytes:
    """Foxmail as some bureaus see it: raw GBK bytes in Subject and in the file name."""
    subject = "回复：绩效自评表".encode("gbk")
    return (
        _head(sender, to, subject, f"<foxmail-{n}@dept.example.cn>", in_reply_to)
        + b'Content-Type: multipart/mixed; boundary="----=_001_Foxmail"\r\n\r\n'
        + b"------=_001_Foxmail\r\nContent-Type: text/plain; charset=\"GB2312\"\r\n\r\n"
        + "请查收。".encode("gbk") + b"\r\n"
        + b"------=_001_Foxmail\r\nContent-Type: application/octet-stream; name=\"" + name.encode("gbk") + b"\"\r\n"
        + b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"" + name.encode("gbk") + b"\"\r\n\r\n"
        + _b64(data) + b"\r\n------=_001_Foxmail--\r\n"
    )  # fmt: skip


def webmail(sender: str, to: str, in_reply_to: str | None, name: str, data: bytes, n: int) -> bytes:
    """A webmail client: RFC 2231 file names, UTF-8."""
    from email import policy
    from email.message import EmailMessage

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, to, "Re: 绩效自评表（已填）"
    msg["Message-ID"] = f"<web-{n}@mail.example.cn>"
    msg["Date"] = format_datetime(datetime(2025, 3, 11, 8, 0, tzinfo=UTC))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content("已填好，请查收。")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def forwarded(sender: str, to: str, inner: bytes, n: int) -> bytes:
    """A message forwarded as an attachment (message/rfc822)."""
    return (
        _head(sender, to, Header("转发: 自评表", "utf-8").encode().encode(), f"<fwd-{n}@unit.example.cn>", None)
        + b'Content-Type: multipart/mixed; boundary="fwd"\r\n\r\n'
        + b"--fwd\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "代为转发。".encode() + b"\r\n"
        + b"--fwd\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--fwd--\r\n"
    )  # fmt: skip


def zipped(
    sender: str, to: str, in_reply_to: str | None, members: dict[str, bytes], n: int
) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(
                zipfile.ZipInfo(name.encode("gbk").decode("cp437"), (2025, 3, 1, 0, 0, 0)), data
            )
    return webmail(sender, to, in_reply_to, "自评表.zip", out.getvalue(), n)


def text_only(sender: str, to: str, n: int) -> bytes:
    return (
        _head(sender, to, Header("请问表格在哪里下载", "utf-8").encode().encode(), f"<ask-{n}@dept.example.cn>", None)
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "没有收到附件，请重发。".encode() + b"\r\n"
    )  # fmt: skip


def nameless(sender: str, to: str, in_reply_to: str | None, data: bytes, n: int) -> bytes:
    """An attachment without any file name."""
    return (
        _head(sender, to, b"Re: form", f"<nameless-{n}@dept.example.cn>", in_reply_to)
        + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        + b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(data) + b"\r\n--b--\r\n"
    )  # fmt: skip
