"""Real mail servers on the loopback address for the tests: an SMTP server (aiosmtpd)
with STARTTLS on a certificate made here and AUTH, and an IMAP server (Dovecot) from a
temporary configuration with a passwd-file user. Faults are injected into the SMTP
handler: 421 (temporary), 550 for one recipient, a connection cut in DATA."""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
needs_dovecot = pytest.mark.skipif(
    DOVECOT is None, reason="Dovecot (dovecot-imapd) is not installed; .ci/run installs it"
)
USER, PASSWORD = "bureau@czj.example.cn", "Pw-测试-s3cret!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SmtpServer:
    host: str
    port: int
    ca_file: Path
    messages: list[Received] = field(default_factory=list)
    # faults: "421" answers the next DATA with 421; "cut" closes the connection in the
    # next DATA; an address here gets 550 at RCPT
    faults: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.faults:
            fault = self.server.faults.pop(0)
            if fault == "421":
                return "421 4.3.2 Service not available, try again later"
            if fault == "cut":
                smtp.transport.close()
                return "421 closing"
        self.server.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer("127.0.0.1", free_port(), cert)

    def authenticator(smtp, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        )
        if ok:
            server.logins.append(USER)
        return AuthResult(success=ok)

    controller = Controller(
        _Handler(server),
        hostname="127.0.0.1",
        port=server.port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    proc: subprocess.Popen[bytes]
    root: Path

    def client(self):
        import imaplib

        imap = imaplib.IMAP4(self.host, self.port)
        token = b"\0" + self.user.encode() + b"\0" + self.password.encode()
        imap.authenticate("PLAIN", lambda _: token)  # the password is not ASCII
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        imap = self.client()
        try:
            typ, data = imap.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def recreate(self, folder: str = "INBOX.returns") -> None:
        imap = self.client()
        try:
            imap.delete(folder)
            imap.create(folder)
        finally:
            imap.logout()


@pytest.fixture
def imap_server(tmp_path: Path) -> Iterator[ImapServer]:
    """Dovecot in the foreground from a private configuration (test-servers.md)."""
    if DOVECOT is None:
        pytest.skip("Dovecot (dovecot-imapd) is not installed; .ci/run installs it")
    # Dovecot's auth and mail processes run as other users: a folder they can reach
    # (pytest's own temporary folders are private to their owner)
    root = Path(tempfile.mkdtemp(prefix="xltool-dovecot-"))
    root.chmod(0o755)
    (root / "run").mkdir(parents=True)
    (root / "mail").mkdir()
    port = free_port()
    uid = os.getuid()
    if uid == 0:  # as root: an unprivileged owner for the mail, and the package's users
        owner = "dovenull"
        import pwd

        entry = pwd.getpwnam(owner)
        mail_uid, mail_gid = entry.pw_uid, entry.pw_gid
        os.chown(root / "mail", mail_uid, mail_gid)
        login = "default_login_user = dovenull\ndefault_internal_user = dovecot\n"
        chroot = ""
    else:
        import pwd

        owner = pwd.getpwuid(uid).pw_name
        mail_uid, mail_gid = uid, os.getgid()
        login = f"default_login_user = {owner}\ndefault_internal_user = {owner}\n"
        chroot = "service imap-login {\n  chroot =\n}\n"
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    import base64

    hashed = base64.b64encode(bytes.fromhex(digest)).decode()
    (root / "passwd").write_text(
        f"{USER}:{{SHA256}}{hashed}:{mail_uid}:{mail_gid}::{root / 'mail'}/%u::\n", encoding="utf-8"
    )
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""base_dir = {root / "run"}
state_dir = {root / "state"}
log_path = {root / "dovecot.log"}
protocols = imap
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain login
disable_plaintext_auth = no
{login}first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root / "mail"}/%u
passdb {{
  driver = passwd-file
  args = scheme=SHA256 {root / "passwd"}
}}
userdb {{
  driver = passwd-file
  args = {root / "passwd"}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{chroot}service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
namespace inbox {{
  inbox = yes
  separator = .
}}
""",
        encoding="utf-8",
    )
    (root / "state").mkdir()
    proc = subprocess.Popen(
        [DOVECOT, "-c", str(conf), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot exited: {proc.stderr.read().decode()} {log}") from None
            time.sleep(0.1)
    server = ImapServer("127.0.0.1", port, USER, PASSWORD, proc, root)
    try:
        server.client().logout()  # login works
        yield server
    finally:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
        shutil.rmtree(root, ignore_errors=True)
