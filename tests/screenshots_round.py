"""Screenshots of a project round for docs/project-round.md, rendered as the tests render
(LibreOffice → PDF → pdftoppm PNG): the 部门 sheet of the status workbook and the 项目
sheet of the roll-up. Regenerate with:

    python -m tests.screenshots_round docs
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from xltool.cli import main
from xltool.keys import load_key
from xltool.round.campaign import init
from xltool.round.collect import collect

from .campaign_helpers import fill_openpyxl, write_indicators, write_roster
from .libreoffice import recalc_convert
from .project_round import fill_project, projects_of, write_project_indicators, write_projects
from .screenshots import png


def page_with(pdf: Path, text: str) -> int:
    """The first page of ``pdf`` whose text holds ``text``."""
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(
        next(line.split()[-1] for line in pages.stdout.splitlines() if line.startswith("Pages"))
    )
    for page in range(1, count + 1):
        found = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        if text in found:
            return page
    raise AssertionError(f"no page of {pdf} says {text}")


def _round(tmp: Path) -> Path:
    """A round of 10 departments (the first eight with projects), part collected."""
    key_file = tmp / "issuer.key"
    c = init(
        tmp / "全覆盖", roster=write_roster(tmp / "名单.xlsx", 10),
        indicators=write_indicators(tmp / "指标.xlsx", 10),
        projects=write_projects(tmp / "项目.xlsx", projects_of(10)),
        project_indicators=write_project_indicators(tmp / "项目指标.xlsx"), year=2025,
        key_file=key_file,
    )  # fmt: skip
    returns = tmp / "returns"
    returns.mkdir()
    sidecars = {p.stem: p for p in c.issued_dir.rglob("*.xlsx")}
    for n, (stem, path) in enumerate(sorted(sidecars.items())):
        if stem.startswith("P02") or stem.startswith("P03") or (stem.startswith("P01") and n % 3):
            fill_project(
                path, returns / f"{stem}-填好.xlsx", executed=None if n % 7 == 0 else "budget"
            )
        elif stem in ("D02-第2局", "D05-第5局"):
            fill_openpyxl(path, returns / f"{stem}-填好.xlsx", int(stem[1:3]))
    collect(c, [str(returns)], received_at="2025-03-02", key=load_key(key_file))
    return c.root


def render(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = _round(tmp)
        status, roll = tmp / "报送进度.xlsx", tmp / "汇总.xlsx"
        for args in (
            ["status", "--format", "xlsx", "-o", str(status)],
            ["summary", "-o", str(roll)],
        ):
            result = CliRunner().invoke(
                main,
                [
                    *args,
                    "--campaign",
                    str(folder),
                    *(["--key-file", str(tmp / "issuer.key")] if args[0] == "summary" else []),
                ],
            )
            assert result.exit_code == 0, result.output
        status_pdf = recalc_convert(status, tmp / "status", "pdf")
        roll_pdf = recalc_convert(roll, tmp / "roll", "pdf")
        return [
            png(status_pdf, target / "round-departments.png", page=1),
            png(
                roll_pdf,
                target / "round-projects.png",
                page=page_with(roll_pdf, "项目支出绩效自评汇总"),
            ),
        ]


if __name__ == "__main__":
    for path in render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
