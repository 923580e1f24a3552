"""The README's screenshots, rendered the way the tests render: LibreOffice → PDF →
pdftoppm PNG. Regenerate with:

    python -m tests.screenshots docs
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from xltool.cli import main

from .libreoffice import recalc_convert
from .test_rollup_print import results

ROOT = Path(__file__).resolve().parent.parent


def png(pdf: Path, out: Path, page: int = 1, dpi: int = 70) -> Path:
    stem = out.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    return out


def render(target: Path) -> list[Path]:
    from xltool.forms.kinds import load_builtin
    from xltool.render.summary import write_summary

    target.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        form = ROOT / "sample_workbooks" / "yuelu-commerce-2019.xlsx"
        made.append(png(recalc_convert(form, tmp / "form", "pdf"), target / "form.png"))
        faulty = ROOT / "sample_workbooks" / "faulty" / "reason-missing.xlsx"
        CliRunner().invoke(main, ["verify", str(faulty), "--annotate", str(tmp / "ann")])
        annotated = next((tmp / "ann").glob("*.xlsx"))
        pdf = recalc_convert(annotated, tmp / "annpdf", "pdf")
        made.append(png(pdf, target / "annotated-result.png"))
        made.append(png(pdf, target / "annotated.png", page=3))  # the form, cell marked red
        roll = tmp / "roll.xlsx"
        write_summary(roll, results(30), load_builtin("dept-overall"))
        made.append(png(recalc_convert(roll, tmp / "rollpdf", "pdf"), target / "rollup.png"))
    return made


if __name__ == "__main__":
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm (poppler-utils) is needed")
    for path in render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
