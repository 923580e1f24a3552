"""Drive a real LibreOffice (headless) from tests: recalculate-and-convert, and UNO edits.

LibreOffice's own Python (Debian's python3-uno, for /usr/bin/python3) runs the UNO
script in a subprocess, so the test interpreter needs no ``uno`` module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from xltool.render.office import make_profile

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
UNO_PYTHON = next(
    (
        p
        for p in ("/usr/bin/python3", "/usr/lib/libreoffice/program/python")
        if Path(p).exists()
        and subprocess.run([p, "-c", "import uno"], capture_output=True).returncode == 0
    ),
    None,
)

needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it"
)
needs_uno = pytest.mark.skipif(
    SOFFICE is None or UNO_PYTHON is None,
    reason="LibreOffice with python3-uno is not installed; .ci/run installs both",
)


def recalc_convert(src: Path, out_dir: Path, fmt: str = "xlsx") -> Path:
    """Open ``src`` in LibreOffice with recalculation on load and save it as ``fmt``."""
    assert SOFFICE
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        filt = {
            "xlsx": "xlsx:Calc MS Excel 2007 XML",
            "pdf": "pdf",
            "xls": "xls:MS Excel 97",
            "ods": "ods",
        }[fmt]
        copy = Path(profile) / "input" / src.name
        copy.parent.mkdir()
        shutil.copyfile(src, copy)
        proc = subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={make_profile(Path(profile))}",
                "--headless",
                "--norestore",
                "--convert-to",
                filt,
                "--outdir",
                str(out_dir),
                str(copy),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "HOME": profile},
        )
    out = out_dir / (src.stem + "." + fmt)
    assert proc.returncode == 0 and out.exists(), proc.stdout + proc.stderr
    return out


def uno_edit(src: Path, dst: Path, actions: list[dict]) -> dict:
    """Apply ``actions`` to ``src`` through UNO in a real LibreOffice and save ``dst`` as xlsx.

    Returns what the script reports (values LibreOffice calculated, by defined name).
    """
    return uno_batch([{"src": str(src), "dst": str(dst), "actions": actions}])[0]


def uno_batch(jobs: list[dict]) -> list[dict]:
    """Many ``uno_edit`` jobs ({"src", "dst", "actions", "filter"?}) in one LibreOffice
    session: each source is copied first, so LibreOffice never touches an input."""
    import json

    assert UNO_PYTHON and SOFFICE
    script = Path(__file__).with_name("uno_script.py")
    with tempfile.TemporaryDirectory() as profile:
        inputs = Path(profile) / "input"
        inputs.mkdir()
        copied = []
        for n, job in enumerate(jobs):
            copy = inputs / f"{n}-{Path(job['src']).name}"
            shutil.copyfile(job["src"], copy)
            copied.append({**job, "src": str(copy), "dst": str(job["dst"])})
        spec = Path(profile) / "jobs.json"
        spec.write_text(json.dumps(copied, ensure_ascii=False), encoding="utf-8")
        proc = subprocess.run(
            [UNO_PYTHON, str(script), SOFFICE, make_profile(Path(profile)), "--batch", str(spec)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "HOME": profile},
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])
