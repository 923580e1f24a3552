"""The issuer's key, and what it signs: the metadata an issued workbook carries.

With a key, ``new`` signs the metadata with HMAC-SHA256 and ``verify`` checks it; without
one, the metadata carries a plain SHA-256 (it catches accidents, not forgery). The key
itself is never written into a workbook, report or log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from xltool.errors import InputError
from xltool.paths import KEY_ENV, key_path

KEY_BYTES = 32


def init_key(path: Path, force: bool = False) -> Path:
    """Create a random 32-byte key, readable and writable by the owner only."""
    if path.exists() and not force:
        raise InputError(
            f"密钥文件 {path} 已存在（确需替换请加 --force）",
            f"{path} already exists (use --force to replace it)",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(KEY_BYTES) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load_key(explicit: Path | None = None) -> bytes | None:
    """The issuer key, or None when there is none. A given path that is missing is an error."""
    path = key_path(explicit)
    if not path.exists():
        if explicit or os.environ.get(KEY_ENV):
            raise InputError(f"找不到密钥文件 {path}", f"key file not found: {path}")
        return None
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        raise InputError(
            f"密钥文件 {path} 无法读取或格式不对", f"key file {path} is unreadable or malformed"
        ) from None
    if len(key) != KEY_BYTES:
        raise InputError(
            f"密钥文件 {path} 长度不对", f"key file {path} does not hold a {KEY_BYTES}-byte key"
        )
    return key


def key_id(key: bytes) -> str:
    """A public name for a key: tells which key signed, reveals nothing of it."""
    return hashlib.sha256(b"xltool-key-id\0" + key).hexdigest()[:12]


def _canonical(meta: dict[str, str]) -> bytes:
    # Empty values are left out: a re-save may drop an empty cell, and must not break this.
    body = {k: v for k, v in meta.items() if k != "signature" and v != ""}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def sign(meta: dict[str, str], key: bytes | None) -> str:
    """``hmac-sha256:<hex>`` with a key, else ``sha256:<hex>``."""
    if key is None:
        return "sha256:" + hashlib.sha256(_canonical(meta)).hexdigest()
    return "hmac-sha256:" + hmac.new(key, _canonical(meta), hashlib.sha256).hexdigest()


def check(meta: dict[str, str], key: bytes | None) -> str:
    """What the metadata's signature says: one of ``valid-hmac``, ``valid-hash``,
    ``invalid``, ``unverified`` (signed, but no key here), ``absent``."""
    signature = meta.get("signature", "")
    if not signature:
        return "absent"
    scheme, _, digest = signature.partition(":")
    if scheme == "sha256":
        expected = hashlib.sha256(_canonical(meta)).hexdigest()
        return "valid-hash" if hmac.compare_digest(expected, digest) else "invalid"
    if scheme == "hmac-sha256":
        if key is None:
            return "unverified"
        expected = hmac.new(key, _canonical(meta), hashlib.sha256).hexdigest()
        return "valid-hmac" if hmac.compare_digest(expected, digest) else "invalid"
    return "invalid"
