"""Documents to PDF through LibreOffice (``soffice --headless --convert-to pdf``), when
it is installed: each run in a profile of its own (so a LibreOffice the user has open
is never disturbed) that recalculates every formula on load (a published form shows
the totals of the values it holds, whatever a spreadsheet program cached)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from xltool.errors import XltoolError

_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
INSTALL_HINT = (
    "未找到 LibreOffice（soffice）：请安装 LibreOffice（Debian/Ubuntu：apt-get install "
    "libreoffice-writer-nogui libreoffice-calc-nogui），或在 PATH 中加入其 program 目录",
    "LibreOffice (soffice) was not found: install it (Debian/Ubuntu: apt-get install "
    "libreoffice-writer-nogui libreoffice-calc-nogui) or put its program folder on PATH",
)


def make_profile(root: Path) -> str:
    """A LibreOffice user profile under ``root`` that recalculates every formula on
    load; its URI, for ``-env:UserInstallation=``."""
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_RECALC, encoding="utf-8")
    return root.as_uri()


def find_soffice() -> str | None:
    """The LibreOffice program on PATH (or in its usual Windows and macOS places)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    for candidate in (
        r"C:\Program Files\LibreOffice\program\soffice.exe",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    ):
        if Path(candidate).exists():
            return candidate
    return None


def to_pdf(sources: list[Path], out_dir: Path, timeout: float = 600) -> list[Path]:
    """Each source converted to ``out_dir/<stem>.pdf`` in one LibreOffice run; raises an
    XltoolError naming what is missing (LibreOffice, or a PDF it did not write)."""
    soffice = find_soffice()
    if soffice is None:
        raise XltoolError(*INSTALL_HINT)
    if not sources:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xltool-office-") as profile:
        args = [soffice, f"-env:UserInstallation={make_profile(Path(profile))}", "--headless",
                "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out_dir),
                *map(str, sources)]  # fmt: skip
        try:
            proc = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout,
                env={**os.environ, "HOME": profile},
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise XltoolError(
                f"LibreOffice 转换超过 {timeout:g} 秒，已停止",
                f"LibreOffice ran over {timeout:g} s",
            ) from None
    made = [out_dir / f"{s.stem}.pdf" for s in sources]
    missing = [p.name for p in made if not p.exists()]
    if proc.returncode != 0 or missing:
        detail = (proc.stderr or proc.stdout).strip()[-300:]
        raise XltoolError(
            f"LibreOffice 未能生成 PDF：{'、'.join(missing) or detail}",
            f"LibreOffice did not write {', '.join(missing) or 'the PDF'}: {detail}",
        )
    return made
