"""``xltool doctor``: what this machine has, for the colleague who sets xltool up."""

from __future__ import annotations

import sys

import click

from xltool import __version__
from xltool.cli.common import CONTEXT, I18nCommand
from xltool.i18n import current_lang

PACKAGES = (
    "openpyxl", "XlsxWriter", "Jinja2", "click", "PyYAML", "defusedxml", "pydantic", "rich",
    "msoffcrypto-tool", "tzdata", "starlette", "uvicorn", "python-multipart",
)  # fmt: skip


def checks(lang: str = "zh") -> list[tuple[str, str, bool]]:
    """(what, found, ok) for each thing xltool relies on."""
    import platform

    zh = lang == "zh"
    out: list[tuple[str, str, bool]] = [
        ("xltool", __version__, True),
        ("Python", f"{platform.python_version()} ({sys.executable})", sys.version_info >= (3, 11)),
    ]
    out += _packages(zh)
    out.append(_libreoffice(zh))
    out.append(_key(zh))
    from xltool.forms.kinds import kind_paths
    from xltool.paths import config_dir, user_specs_dir

    out.append(("配置目录" if zh else "config folder", str(config_dir()), True))
    out.append(("表样目录" if zh else "specs folder", str(user_specs_dir()), True))
    out.append(("可用表样" if zh else "form kinds", ", ".join(kind_paths()), True))
    return out


def _packages(zh: bool) -> list[tuple[str, str, bool]]:
    from importlib import metadata

    out = []
    for name in PACKAGES:
        try:
            out.append((name, metadata.version(name), True))
        except metadata.PackageNotFoundError:
            out.append((name, "未安装" if zh else "missing", False))
    import openpyxl

    guard = "defusedxml 防护" if zh else "defusedxml guard"
    out.append((guard, str(openpyxl.DEFUSEDXML), openpyxl.DEFUSEDXML))
    return out


def _libreoffice(zh: bool) -> tuple[str, str, bool]:
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        absent = (
            "未安装（可选：只有测试和 PDF 预览用到）"
            if zh
            else "not installed (optional: tests and PDF previews)"
        )
        return "LibreOffice", absent, True
    try:
        version = subprocess.run(
            [soffice, "--version"], capture_output=True, text=True, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = soffice
    return "LibreOffice", version or soffice, True


def _key(zh: bool) -> tuple[str, str, bool]:
    from xltool.keys import key_id, load_key
    from xltool.paths import key_path

    what = "发放密钥" if zh else "issuer key"
    path = key_path()
    try:
        key = load_key()
    except Exception as exc:  # a key file that cannot be read is worth saying, not a crash
        return what, f"{path}: {exc}", False
    if key:
        return what, f"{path}（密钥 {key_id(key)}）" if zh else f"{path} (key {key_id(key)})", True
    none_yet = "（尚未创建：xltool key init）" if zh else " (none yet: xltool key init)"
    return what, f"{path}{none_yet}", True


@click.command(cls=I18nCommand, context_settings=CONTEXT)
def doctor() -> None:
    """What this machine has: Python, the packages xltool needs, LibreOffice (optional),
    the issuer key, the config and specs folders. Exit 1 when something needed is missing.

    \b
    Example:
      xltool doctor
    """
    import unicodedata

    from xltool.safeio import visible

    def cells(text: str) -> int:  # CJK characters take two columns on a terminal
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    results = checks(current_lang())
    width = max(cells(name) for name, _found, _ok in results)
    for name, found, ok in results:
        mark = "✓" if ok else "✗"
        click.echo(f"{mark} {name}{' ' * (width - cells(name))}  {visible(found)}")
    sys.exit(0 if all(ok for _n, _f, ok in results) else 1)
