"""The bad-input corpus at the level of the command line: every command, run as a user
runs it (a separate process, `ulimit -v 3000000`, 60 s), over the whole corpus folder
mixed with good files, and once per file where the command takes one. No traceback,
exit codes as documented, a report that names every input."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

from xltool.safeio import shown_path, visible

from .faulty import seed_bytes
from .test_bad_input import CORPUS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_workbooks"
MEMORY = 3_000_000 * 1024  # ulimit -v 3000000 (KiB)
SECONDS = 60
# A file name as a Chinese Windows zip leaves it: GBK bytes, not UTF-8.
GBK_NAME = "回收的表".encode("gbk") + b".xlsx"


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def xltool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """One xltool process, bounded as the issue asks; a run over the bound fails."""
    return subprocess.run(
        [sys.executable, "-m", "xltool", *args],
        capture_output=True,
        text=True,
        errors="replace",
        cwd=cwd,
        timeout=SECONDS,
        preexec_fn=_limits,
        env={**os.environ, "XLTOOL_LANG": "zh"},
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-corpus")
    inputs = root / "inputs"
    inputs.mkdir()
    src = seed_bytes()
    for name, (make, _code) in CORPUS.items():
        (inputs / f"{name}.xlsx").write_bytes(make(src))
    for good in ("yuelu-commerce-2019.xlsx", "project-2019-farm-markets.xlsx"):
        shutil.copyfile(SAMPLES / good, inputs / good)
    shutil.copyfile(SAMPLES / "faulty" / "file-legacy-format.ods", inputs / "legacy.ods")
    with open(os.path.join(os.fsencode(inputs), GBK_NAME), "wb") as f:
        f.write(src)
    os.mkfifo(inputs / "named-pipe.xlsx")
    return root


def _inputs(folder: Path) -> list[str]:
    """Every input as the outputs show it (names that are not UTF-8 with U+FFFD)."""
    return sorted(shown_path(os.fsdecode(p)) for p in os.listdir(os.fsencode(folder / "inputs")))


def _clean(proc: subprocess.CompletedProcess[str], codes: tuple[int, ...]) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    assert proc.returncode in codes, (proc.returncode, proc.stderr[-2000:])


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_verify_text_names_every_input(folder: Path) -> None:
    proc = xltool("verify", "inputs", cwd=folder)
    _clean(proc, (1,))
    for name in _inputs(folder):
        assert visible(name) in proc.stdout, name
    assert "\x1b" not in proc.stdout and "\u202e" not in proc.stdout
    assert f"{len(_inputs(folder))} 个文件" in proc.stdout


def test_verify_json_is_strict_and_classifies_every_input(folder: Path) -> None:
    proc = xltool("verify", "inputs", "--format", "json", cwd=folder)
    _clean(proc, (1,))
    report = _strict(proc.stdout)
    files = report["files"]
    assert sorted(Path(f["path"]).name for f in files) == _inputs(folder)
    for f in files:
        assert not any(x.get("internal") for x in f["findings"]), f
        assert f["status"] == "ok" or f["findings"], f
    by_name = {Path(f["path"]).name: f for f in files}
    for name, (_make, code) in CORPUS.items():
        got = by_name[f"{name}.xlsx"]
        codes = [x["code"] for x in got["findings"]]
        assert (got["status"] == "ok") if code == "ok" else code in codes, (name, codes)


def test_annotate_twice_keeps_the_report(folder: Path) -> None:
    out = folder / "annotated"
    first = xltool("verify", "inputs", "--annotate", "annotated", cwd=folder)
    _clean(first, (1,))
    copies = list(out.iterdir())
    assert copies and all(p.suffix == ".xlsx" for p in copies)
    for copy in copies:  # every copy opens
        openpyxl.load_workbook(copy, read_only=True).close()
    again = xltool("verify", "inputs", "--annotate", "annotated", "--format", "json", cwd=folder)
    _clean(again, (1,))
    report = _strict(again.stdout)
    assert len(report["files"]) == len(_inputs(folder))
    assert any("已存在" in " ".join(f.get("notes", [])) for f in report["files"])
    # the annotated folder inside the inputs is never read as input
    inside = xltool("verify", ".", "--annotate", "annotated", "--format", "json", cwd=folder)
    _clean(inside, (1,))
    assert not any("annotated" in f["path"] for f in _strict(inside.stdout)["files"])


def test_summary_names_every_input(folder: Path) -> None:
    proc = xltool("summary", "inputs", "-o", "roll.xlsx", "--force", cwd=folder)
    _clean(proc, (0,))
    wb = openpyxl.load_workbook(folder / "roll.xlsx", read_only=True)
    seen = set()
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    seen.update(Path(v).name for v in value.split("\n"))
    wb.close()
    missing = [n for n in _inputs(folder) if n not in seen]
    assert missing == []


def test_export_json_and_csv_name_every_input(folder: Path) -> None:
    proc = xltool("export", "inputs", "-o", "all.json", "--force", cwd=folder)
    _clean(proc, (1,))  # unreadable inputs: exit 1, and each is named on stderr
    docs = _strict((folder / "all.json").read_text(encoding="utf-8"))
    assert sorted(Path(d["path"]).name for d in docs) == _inputs(folder)
    proc = xltool("export", "inputs", "--format", "csv", "-o", "all.csv", "--force", cwd=folder)
    _clean(proc, (1,))
    text = (folder / "all.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert sorted(Path(r[0]).name for r in rows[1:]) == _inputs(folder)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def _each(folder: Path, command: list[str]) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    names = [p for p in os.listdir(os.fsencode(folder / "inputs"))]
    out_dir = folder / ("per-file-" + command[0])
    out_dir.mkdir(exist_ok=True)

    def run(raw: bytes) -> tuple[str, subprocess.CompletedProcess[str]]:
        src = os.fsdecode(os.path.join(os.fsencode(folder / "inputs"), raw))
        extra = ["-o", str(out_dir / f"{abs(hash(raw))}.xlsx")] if command[0] == "repair" else []
        return shown_path(src), xltool(*command, src, *extra, cwd=folder)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, names))


def test_verify_each_file_alone(folder: Path) -> None:
    for name, proc in _each(folder, ["verify"]):
        _clean(proc, (0, 1))
        assert visible(Path(name).name) in proc.stdout, name


def test_repair_each_file_alone(folder: Path) -> None:
    for name, proc in _each(folder, ["repair"]):
        # 0: repaired; 2: one clear line saying why it cannot be
        _clean(proc, (0, 2))
        if proc.returncode == 2:
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("xltool: "), (name, proc.stderr)


def test_import_of_the_whole_corpus_never_traces_back(folder: Path) -> None:
    """Every input through xltool import in one run: each is imported or named in one
    clear line, and the batch goes on (exit 1 when any could not be)."""
    proc = xltool("import", "inputs", "--out", "imported", "--force", cwd=folder)
    _clean(proc, (0, 1))
    for line in proc.stderr.splitlines():
        assert line.startswith("xltool: "), line
