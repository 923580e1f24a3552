"""What departments send back: messages from an IMAP mailbox (read by UID with
``BODY.PEEK``, so nothing is marked read; nothing moved or deleted unless asked) or
saved as ``.eml`` files, taken apart into the workbooks they carry.

The MIME walk copes with what real clients send: nested multiparts, forwarded
``message/rfc822`` parts, RFC 2231 and RFC 2047 file names, raw GBK bytes in headers
(Foxmail, older Outlook), a missing file name, ``.zip`` attachments, ``.xls``/``.et``
(recorded with their finding), and oversized attachments (listed, not read). A
workbook is told by its content, never by its name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email
import imaplib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from xltool.errors import XltoolError
from xltool.mail.bounds import NESTED, mime_problem
from xltool.mail.settings import MailSettings, Server, tls_context
from xltool.reading.sniff import Limits, MiB
from xltool.round.inputs import NOT_REGULAR, cannot_read, is_plain_zip, refused, zip_members
from xltool.round.intake import Item
from xltool.round.ledger import Ledger
from xltool.safeio import InputTooLarge, NotARegularFile

MAX_MESSAGE = 100 * MiB
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# workbooks, and the reports that come with them (.docx, or the formats asked to be .docx)
_SPREADSHEET_NAME = re.compile(
    r"\.(xlsx|xlsm|xls|xlsb|et|ett|ods|docx|docm|doc|wps|wpt|rtf|odt)$", re.I
)


@dataclass
class Inbound:
    """One message and the inputs it gave."""

    source: str
    sender: str | None
    message_id: str | None
    subject: str
    items: list[Item] = field(default_factory=list)
    uid: int | None = None

    @property
    def has_workbook(self) -> bool:
        return bool(self.items)


def _raw(msg: Message, name: str) -> str | None:
    """A header exactly as it came (8-bit bytes kept as surrogates), or None."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _has_8bit(text: str | None) -> bool:
    return bool(text) and any("\udc80" <= ch <= "\udcff" for ch in text)  # type: ignore[union-attr]


def _header(msg: Message, name: str) -> str:
    """A header as text; raw 8-bit bytes (GBK from Foxmail) read as GB18030."""
    raw = _raw(msg, name)
    if _has_8bit(raw):
        return " ".join(_fix_text(raw or "").split())
    try:
        value = msg.get(name)
    except Exception:  # a malformed header is no reason to lose the message
        return ""
    return _fix_text(str(value)) if value is not None else ""


def _raw_param(msg: Message, header: str, param: str) -> str | None:
    """A parameter of a header whose raw value holds 8-bit bytes (filename="第1局.xlsx"
    in GBK): the parser would have replaced them."""
    raw = _raw(msg, header)
    if not _has_8bit(raw):
        return None
    match = re.search(rf'(?i)\b{param}\s*=\s*"([^"]*)"|\b{param}\s*=\s*([^;\s]+)', raw or "")
    if not match:
        return None
    return _fix_text(match.group(1) or match.group(2))


def _fix_text(text: str) -> str:
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("utf-8", "surrogateescape")
        for encoding in ("utf-8", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        return raw.decode("utf-8", "replace")
    return text


def _filename(part: Message) -> str | None:
    name = _raw_param(part, "Content-Disposition", "filename") or _raw_param(
        part, "Content-Type", "name"
    )
    if not name:
        try:
            name = part.get_filename()
        except Exception:
            name = None
    if not name:
        # some clients put it in Content-Type's name only
        try:
            name = part.get_param("name")
            if isinstance(name, tuple):
                name = email.utils.collapse_rfc2231_value(name)
        except Exception:
            name = None
    if name:
        name = _fix_text(str(name))
        from email.header import decode_header, make_header

        if "=?" in name:  # an RFC 2047 word the parser left encoded
            with contextlib.suppress(Exception):
                name = str(make_header(decode_header(name)))
        return name.replace("\\", "/").rsplit("/", 1)[-1].strip() or None
    return None


def parse_message(raw: bytes, source: str, limits: Limits) -> Inbound:
    """A message's workbooks; the message as one refused input, with the reason, when it
    nests or holds more than the bounds (checked on its bytes first: the email package
    parses recursively, and a message nested 1,000 deep exhausts Python's stack) or
    cannot be parsed at all."""
    problem = mime_problem(raw)
    if problem is None:
        try:
            return _parse(raw, source, limits)
        except RecursionError:
            problem = NESTED
        except Exception as exc:  # a message the parser cannot take: this input only
            name = exc.__class__.__name__
            problem = (f"邮件无法解析（{name}），未读取", f"the message cannot be parsed ({name})")
    return refused_message(source, problem)


def refused_message(source: str, problem: tuple[str, str]) -> Inbound:
    """A message that cannot be taken: one input saying why."""
    inbound = Inbound(source, None, None, "")
    inbound.items.append(refused(source, problem))
    return inbound


def _parse(raw: bytes, source: str, limits: Limits) -> Inbound:
    msg = email.message_from_bytes(raw, policy=policy.default)
    senders = getaddresses([_header(msg, "From")])
    sender = senders[0][1].lower() if senders and senders[0][1] else None
    inbound = Inbound(
        source=source,
        sender=sender,
        message_id=_header(msg, "Message-ID").strip() or None,
        subject=_header(msg, "Subject"),
    )
    template = Item(
        original_name="",
        source=source,
        sender=sender,
        message_id=inbound.message_id,
        received_at=_received(msg),
        in_reply_to=(re.findall(r"<[^<>\s]+>", _header(msg, "In-Reply-To")) or [None])[0],
        references=re.findall(r"<[^<>\s]+>", _header(msg, "References")),
        subject=inbound.subject,
    )
    for n, (name, data) in enumerate(_attachments(msg), start=1):
        item = dataclasses.replace(
            template, original_name=name or f"附件{n}", source=f"{source}#{name or n}"
        )
        inbound.items += _attachment_items(item, name, data, n, limits)
    return inbound


def _received(msg: Message) -> str | None:
    try:
        when = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def _attachments(msg: Message) -> list[tuple[str | None, bytes | bytearray]]:
    """Every part that carries data and is not the message's own text: (name, bytes)."""
    out = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        name = _filename(part)
        if part.get_content_maintype() == "text" and not name:
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        if isinstance(data, bytes | bytearray) and data:
            out.append((name, data))
    return out


def _attachment_items(
    item: Item, name: str | None, data: bytes | bytearray, n: int, limits: Limits
) -> list[Item]:
    """One attachment → the workbooks it holds (a zip's members), or one with a problem."""
    if len(data) > limits.max_bytes:
        if _SPREADSHEET_NAME.search(name or "") or bytes(data[:2]) == b"PK":
            item.problem = (
                f"附件 {len(data) / MiB:.1f} MiB，超过 {limits.max_bytes / MiB:g} MiB 上限，未读取",
                f"an attachment of {len(data) / MiB:.1f} MiB, over the bound; not read",
            )
            return [item]
        return []
    item.data = bytes(data)
    kind = workbook_kind(item.data, name)
    if kind == "zip":
        return zip_members(item, limits)
    if kind is None:
        return []
    if not name:
        item.original_name = f"附件{n}.{kind}"
    return [item]


def workbook_kind(data: bytes, name: str | None) -> str | None:
    """What an attachment is, by its content: a workbook (its extension), a department's
    report (docx, doc, rtf), a zip of files, or None (a picture, a signature …)."""
    if data[:4] == b"PK\x03\x04":
        if is_plain_zip(data):
            return "zip"
        head = data[:65536]
        if b"opendocument.spreadsheet" in head:
            return "ods"
        if b"[Content_Types].xml" in data and (b"xl/" in data or b"spreadsheetml" in head):
            return "xlsx"
        if b"[Content_Types].xml" in data and b"word/" in data:
            return "docx"  # a department's 评价报告
        return None
    if data[:8] == _CFB:
        if (
            _SPREADSHEET_NAME.search(name or "")
            or b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data
            or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P" in data
        ):
            suffix = (name or "").rsplit(".", 1)[-1].lower() if name and "." in name else "xls"
            return suffix
        if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
            return "doc"  # a report in Word's old format: taken, and asked for as .docx
        return None
    if data[:5] == b"{\\rtf":
        return "rtf"
    return None


def items_from_eml(paths: Iterable[str], limits: Limits) -> list[Inbound]:
    """Saved messages, each read within the bounds; one that cannot be is one refused
    input, and the others are read all the same."""
    return [read_eml(Path(path), limits) for path in paths]


def read_eml(path: Path, limits: Limits) -> Inbound:
    """A saved message (.eml), or one refused input saying why it cannot be read."""
    from xltool.safeio import read_input

    try:
        raw = read_input(path, MAX_MESSAGE)
    except NotARegularFile:
        return refused_message(str(path), NOT_REGULAR)
    except InputTooLarge as exc:
        return refused_message(str(path), _message_too_large(exc.size))
    except OSError as exc:
        return refused_message(str(path), cannot_read(exc))
    return parse_message(raw, str(path), limits)


def eml_reader(limits: Limits, messages: list[Inbound]) -> Callable[[Path], list[Item]]:
    """For :func:`xltool.round.inputs.items_from_paths`: a saved message's inputs; the
    message itself is added to ``messages`` (those without a workbook are listed)."""

    def read(path: Path) -> list[Item]:
        inbound = read_eml(path, limits)
        messages.append(inbound)
        return inbound.items

    return read


def _message_too_large(size: int) -> tuple[str, str]:
    return (
        f"邮件 {size / MiB:.1f} MiB，超过 {MAX_MESSAGE / MiB:g} MiB 上限，未读取",
        f"a message of {size / MiB:.1f} MiB, over the {MAX_MESSAGE / MiB:g} MiB bound; not read",
    )


# --- IMAP ------------------------------------------------------------------------------------


class Mailbox:
    """One IMAP session on the campaign's folder."""

    def __init__(self, server: Server, password: str | None, insecure: bool = False) -> None:
        self.server = server
        try:
            if server.security == "ssl":
                self.imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    server.host, server.port, ssl_context=tls_context(server, insecure), timeout=60
                )
            else:
                self.imap = imaplib.IMAP4(server.host, server.port, timeout=60)
                if server.security == "starttls":
                    self.imap.starttls(tls_context(server, insecure))
            if server.user:
                _login(self.imap, server.user, password or "")
        except imaplib.IMAP4.error as exc:
            raise XltoolError(
                f"IMAP 登录失败（{exc}）：请检查用户名和密码", f"IMAP login failed ({exc})"
            ) from None
        except OSError as exc:
            raise XltoolError(
                f"无法连接 IMAP 服务器 {server.host}:{server.port}（{exc}）",
                f"cannot reach the IMAP server {server.host}:{server.port} ({exc})",
            ) from None

    def close(self) -> None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.imap.logout()

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def select(self, readonly: bool) -> int:
        typ, _ = self.imap.select(_quote(self.server.folder), readonly=readonly)
        if typ != "OK":
            raise XltoolError(
                f"IMAP 文件夹「{self.server.folder}」不存在",
                f"no IMAP folder '{self.server.folder}'",
            )
        validity = self.imap.response("UIDVALIDITY")[1]
        return int(validity[0]) if validity and validity[0] else 0

    def new_uids(self, after: int, since: date | None) -> list[int]:
        criteria = [f"UID {after + 1}:*"]
        if since is not None:
            criteria.append("SINCE " + since.strftime("%d-%b-%Y"))
        typ, data = self.imap.uid("SEARCH", None, *criteria)
        if typ != "OK":
            return []
        uids = [int(x) for x in (data[0] or b"").split()]
        return sorted(u for u in uids if u > after)  # "n:*" always includes the last one

    def size(self, uid: int) -> int:
        typ, data = self.imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
        match = re.search(
            rb"RFC822\.SIZE (\d+)", data[0] if data and isinstance(data[0], bytes) else b""
        )
        return int(match.group(1)) if typ == "OK" and match else 0

    def fetch(self, uid: int) -> bytes | None:
        """The whole message, without marking it read (BODY.PEEK)."""
        typ, data = self.imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if typ != "OK":
            return None
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                return part[1]
        return None

    def move(self, uid: int, folder: str) -> None:
        self.imap.create(_quote(folder))  # fails harmlessly when it exists
        typ, _ = self.imap.uid("MOVE", str(uid), _quote(folder))
        if typ != "OK":  # no MOVE extension: copy, flag, expunge
            self.imap.uid("COPY", str(uid), _quote(folder))
            self.imap.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)")
            self.imap.expunge()


def _login(imap: imaplib.IMAP4, user: str, password: str) -> None:
    """LOGIN; a password that is not ASCII goes as AUTHENTICATE PLAIN in UTF-8 (imaplib
    would fail, quoting it in the error)."""
    if user.isascii() and password.isascii():
        imap.login(user, password)
    else:
        imap.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + password.encode())


def _quote(folder: str) -> str:
    """A folder name as an IMAP astring: modified UTF-7, quoted."""
    name = _utf7(folder)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utf7(text: str) -> str:
    """IMAP's modified UTF-7 for folder names such as 已处理."""
    out, buf = [], ""

    def flush() -> None:
        nonlocal buf
        if buf:
            import base64

            b = base64.b64encode(buf.encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append(f"&{b}-")
            buf = ""

    for ch in text:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf += ch
    flush()
    return "".join(out)


def fetch_new(
    settings: MailSettings,
    ledger: Ledger,
    password: str | None,
    limits: Limits,
    *,
    since: date | None = None,
    insecure: bool = False,
    readonly: bool = True,
) -> tuple[list[Inbound], Mailbox, int]:
    """Every message after the last UID seen (all of them again after a UIDVALIDITY
    change: content hashes keep returns from counting twice). Returns the messages, the
    open mailbox (for --move-to) and the UIDVALIDITY."""
    if settings.imap is None:
        raise XltoolError("campaign.yaml 中没有 mail.imap 设置", "campaign.yaml has no mail.imap")
    box = Mailbox(settings.imap, password, insecure)
    validity = box.select(readonly=readonly)
    state = ledger.imap_state(settings.imap.folder)
    after = state[1] if state and state[0] == validity else 0
    folder = settings.imap.folder
    out = [
        _fetch_one(box, uid, f"imap:{folder}/{uid}", limits) for uid in box.new_uids(after, since)
    ]
    return out, box, validity


def _fetch_one(box: Mailbox, uid: int, source: str, limits: Limits) -> Inbound:
    """One message of the folder: its workbooks, or one refused input saying why (so its
    UID is passed all the same, and the folder drains)."""
    size = box.size(uid)
    if size > MAX_MESSAGE:
        inbound = refused_message(source, _message_too_large(size))
    else:
        raw = box.fetch(uid)
        if raw is None:
            inbound = refused_message(source, ("邮件无法取回", "the message could not be fetched"))
        else:
            inbound = parse_message(raw, source, limits)
    inbound.uid = uid
    return inbound
