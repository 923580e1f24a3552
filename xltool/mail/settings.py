"""Mail settings from campaign.yaml (``mail:``), passwords from the environment or a
prompt, and TLS contexts that verify certificates unless told otherwise.

    mail:
      from: {name: 岳麓区财政局绩效科, address: jxk@czj.example.gov.cn}
      smtp: {host: smtp.example.gov.cn, port: 465, security: ssl, user: jxk@czj.example.gov.cn}
      imap: {host: imap.example.gov.cn, port: 993, security: ssl, user: jxk@czj.example.gov.cn,
             folder: INBOX}
      rate: 20          # messages per minute
      ca_file: /etc/xltool/gov-ca.pem   # a government server's private CA, if any

Passwords are never in this file: ``XLTOOL_SMTP_PASSWORD`` / ``XLTOOL_IMAP_PASSWORD``,
else a prompt on a terminal.
"""

from __future__ import annotations

import os
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xltool.errors import XltoolError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_RATE = 20  # messages a minute: below the limits government mail servers set
PASSWORD_ENV = {"smtp": "XLTOOL_SMTP_PASSWORD", "imap": "XLTOOL_IMAP_PASSWORD"}


@dataclass(frozen=True)
class Server:
    kind: str  # smtp | imap
    host: str
    port: int
    security: str
    user: str | None
    folder: str = "INBOX"
    ca_file: str | None = None


@dataclass(frozen=True)
class MailSettings:
    from_name: str
    from_address: str
    smtp: Server | None
    imap: Server | None
    rate: float = DEFAULT_RATE
    retries: int = 3
    backoff: float = 5.0  # seconds before the first retry; doubled each time
    # past either, a department's forms go as one zip (mail.zip_over: {files, mib})
    zip_over_files: int = 10
    zip_over_bytes: int = 10 * 1024 * 1024


def _server(kind: str, raw: Any, ca_file: str | None) -> Server | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw.get("host"):
        raise XltoolError(
            f"campaign.yaml 的 mail.{kind} 需要 host", f"campaign.yaml: mail.{kind} needs a host"
        )
    security = str(raw.get("security") or ("ssl" if kind == "imap" else "starttls"))
    if security not in SECURITY:
        raise XltoolError(
            f"campaign.yaml 的 mail.{kind}.security 应为 starttls、ssl 或 none，现为「{security}」",
            f"campaign.yaml: mail.{kind}.security must be starttls, ssl or none, not '{security}'",
        )
    default_port = {
        "smtp": {"ssl": 465, "starttls": 587, "none": 25},
        "imap": {"ssl": 993, "starttls": 143, "none": 143},
    }
    return Server(
        kind=kind,
        host=str(raw["host"]),
        port=int(raw.get("port") or default_port[kind][security]),
        security=security,
        user=str(raw["user"]) if raw.get("user") else None,
        folder=str(raw.get("folder") or "INBOX"),
        ca_file=str(raw.get("ca_file") or ca_file) if (raw.get("ca_file") or ca_file) else None,
    )


def mail_settings(config: dict[str, Any]) -> MailSettings:
    raw = config.get("mail")
    if not isinstance(raw, dict) or not isinstance(raw.get("from"), dict):
        raise XltoolError(
            "campaign.yaml 中还没有邮件设置（mail: from/smtp/imap），请按 docs/mail.md 添加",
            "campaign.yaml has no mail settings (mail: from/smtp/imap); see docs/mail.md",
        )
    sender = raw["from"]
    if not sender.get("address"):
        raise XltoolError("campaign.yaml 的 mail.from 需要 address", "mail.from needs an address")
    if "password" in raw or any(
        isinstance(raw.get(k), dict) and "password" in raw[k] for k in ("smtp", "imap")
    ):
        raise XltoolError(
            "campaign.yaml 中不能写密码：请用环境变量 XLTOOL_SMTP_PASSWORD / XLTOOL_IMAP_PASSWORD，或运行时输入",
            "campaign.yaml must not hold a password: use XLTOOL_SMTP_PASSWORD / XLTOOL_IMAP_PASSWORD or the prompt",
        )
    ca_file = raw.get("ca_file")
    return MailSettings(
        from_name=str(sender.get("name") or ""),
        from_address=str(sender["address"]),
        smtp=_server("smtp", raw.get("smtp"), ca_file),
        imap=_server("imap", raw.get("imap"), ca_file),
        rate=float(raw.get("rate") or DEFAULT_RATE),
        retries=int(raw.get("retries") if raw.get("retries") is not None else 3),
        backoff=float(raw.get("backoff") if raw.get("backoff") is not None else 5.0),
        **_zip_over(raw.get("zip_over")),
    )


def _zip_over(raw: Any) -> dict[str, int]:
    """``mail.zip_over: {files: 10, mib: 10}``: when a department's forms go zipped."""
    if raw is None:
        return {}
    try:
        return {
            "zip_over_files": int(raw.get("files", 10)),
            "zip_over_bytes": int(float(raw.get("mib", 10)) * 1024 * 1024),
        }
    except (AttributeError, TypeError, ValueError):
        raise XltoolError(
            "campaign.yaml 的 mail.zip_over 应为 {files: 数量, mib: 大小}",
            "campaign.yaml: mail.zip_over takes {files: N, mib: M}",
        ) from None


def password(server: Server) -> str | None:
    """From the environment, else a prompt on a terminal; never stored anywhere."""
    if server.user is None:
        return None
    env = PASSWORD_ENV[server.kind]
    if os.environ.get(env):
        return os.environ[env]
    if sys.stdin.isatty():
        import click

        return click.prompt(f"{server.user}@{server.host} 的密码", hide_input=True, err=True)
    raise XltoolError(
        f"需要 {server.user}@{server.host} 的密码：请设置环境变量 {env}，或在终端中运行以便输入",
        f"a password for {server.user}@{server.host} is needed: set {env} or run on a terminal",
    )


def tls_context(server: Server, insecure: bool = False) -> ssl.SSLContext:
    """Certificates are verified (with ``ca_file`` for a private CA); ``insecure`` is for
    a test server only, and the CLI says so loudly."""
    if server.ca_file and not Path(server.ca_file).is_file():
        raise XltoolError(
            f"找不到 CA 证书文件 {server.ca_file}", f"CA file not found: {server.ca_file}"
        )
    context = ssl.create_default_context(cafile=server.ca_file if server.ca_file else None)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
