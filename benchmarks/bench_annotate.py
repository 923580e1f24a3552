"""The annotated copy written into the returned package (issue 23) against what it
replaced, all measured in this run on the same files:

(a) verify_file of a clean return (the issued sample, filled): the unit;
(b) for each return with findings: verify_file of it, the old copy (a full openpyxl
    load and save, kept below as a baseline) and the new ``annotate``; the ratio
    new / verify (aim: <= 3x) and how many formula cells keep the value the
    department's program saved (the old copy kept none).

A return saved by LibreOffice is included when LibreOffice with python3-uno is installed.

    python benchmarks/bench_annotate.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xltool.checking.annotate import annotate  # noqa: E402
from xltool.checking.result import FileResult  # noqa: E402
from xltool.checking.verify import _verify, verify_file  # noqa: E402
from xltool.limits import Limits  # noqa: E402
from xltool.reading.ooxml import cached_values  # noqa: E402

SAMPLES = ROOT / "sample_workbooks"


def openpyxl_copy(result: FileResult, data: bytes, out: Path) -> None:
    """The copy as it was made before: every part through openpyxl, load and save."""
    fills = {
        s: PatternFill("solid", fgColor=c) for s, c in (("error", "FFC7CE"), ("warning", "FFEB9C"))
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False)
    for f in result.findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            wb[f.sheet][f.cell].fill = fills[f.severity]
            wb[f.sheet][f.cell].comment = Comment(f.message("zh"), "xltool", width=320, height=120)
    ws = wb.create_sheet("校验结果", 0)
    for r, f in enumerate(result.findings, start=5):
        ws.cell(r, 1, r - 4)
        ws.cell(r, 3, f.code)
        ws.cell(r, 6, f.message("zh"))
    buffer = io.BytesIO()
    wb.save(buffer)
    out.write_bytes(buffer.getvalue())


def timed(fn, repeat: int) -> float:
    fn()  # warm: specs, regular expressions, imports
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(max(repeat // 5, 1)):
            fn()
        runs.append((time.perf_counter() - start) / max(repeat // 5, 1))
    return statistics.median(runs)


def kept_values(original: bytes, copy: Path) -> str:
    data = copy.read_bytes()
    names = openpyxl.load_workbook(io.BytesIO(original), read_only=True).sheetnames
    saved = kept = 0
    for name in names:
        before, after = cached_values(original, name), cached_values(data, name)
        saved += sum(v is not None for v in before.values())
        kept += sum(v is not None and after.get(k) == v for k, v in before.items())
    return f"{kept}/{saved}"


def returns(folder: Path) -> dict[str, Path]:
    files = {
        "issued blank (xlsxwriter, 5 findings)": SAMPLES / "dept-overall-blank.xlsx",
        "score over points (openpyxl-saved)": SAMPLES / "faulty" / "score-over-points.xlsx",
    }
    try:
        from tests.libreoffice import SOFFICE, UNO_PYTHON, uno_edit
    except ImportError:
        return files
    if SOFFICE and UNO_PYTHON:
        out = folder / "libreoffice.xlsx"
        actions = [
            {"op": "unprotect"},
            {"op": "set", "cell": "H14", "value": 99},
            {"op": "set", "cell": "E7", "value": "4,325.58"},
            {"op": "clear", "cell": "I41"},
        ]
        uno_edit(SAMPLES / "yuelu-commerce-2019.xlsx", out, actions)
        files["saved by LibreOffice (3 findings)"] = out
    return files


def measure(label: str, path: Path, folder: Path, clean: float, n: int) -> None:
    result, data = _verify(path, None, Limits(), None)
    assert data is not None
    old_out, new_out = folder / "old.xlsx", folder / "new.xlsx"
    verify = timed(lambda: verify_file(path), n)
    old = timed(lambda: openpyxl_copy(result, data, old_out), n)
    new = timed(lambda: annotate(result, data, new_out, force=True), n)
    print(f"(b) {label}")
    print(f"    verify_file:               {verify * 1000:7.1f} ms")
    print(
        f"    openpyxl copy (before):    {old * 1000:7.1f} ms   {old / verify:5.2f}x verify"
        f"   saved values kept {kept_values(data, old_out)}"
    )
    print(
        f"    annotate (package):        {new * 1000:7.1f} ms   {new / verify:5.2f}x verify"
        f"   saved values kept {kept_values(data, new_out)}"
    )
    print(f"    new / clean verify {new / clean:.2f}x;  new / before {new / old:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    n = parser.parse_args().repeat
    clean = timed(lambda: verify_file(SAMPLES / "yuelu-commerce-2019.xlsx"), n)
    print(f"(a) verify_file, clean return (yuelu sample):  {clean * 1000:7.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in returns(Path(tmp)).items():
            measure(label, path, Path(tmp), clean, n)


if __name__ == "__main__":
    main()
