"""Verifying a form xltool did not issue against verifying the issued one of the same
size, both measured in this run:

(a) verify_file of the seed form re-typed by hand (no metadata, names or formulas: read
    by its labels, every stated figure recomputed) vs verify_file of the issued seed form
    (aim: <= 2x);
(b) the same for Sichuan's layout and Yunnan's two-row heading (smaller forms), for scale.

    python benchmarks/bench_foreign.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.foreign_forms import FORMS  # noqa: E402
from xltool.checking.verify import verify_file  # noqa: E402


def per_file(path: Path, repeat: int) -> float:
    verify_file(path)  # warm: the spec and the vocabulary are loaded once per process
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat // 5):
            verify_file(path)
        runs.append((time.perf_counter() - start) / (repeat // 5))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    n = parser.parse_args().repeat
    issued = ROOT / "sample_workbooks" / "yuelu-commerce-2019.xlsx"
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name in ("seed", "sichuan-daying-2023", "c-lijiang-2020"):
            paths[name] = Path(tmp) / f"{name}.xlsx"
            paths[name].write_bytes(FORMS[name]())
        base = per_file(issued, n)
        seed = per_file(paths["seed"], n)
        print(f"(a) issued seed form:          {base * 1000:6.2f} ms")
        print(
            f"    the same form re-typed:    {seed * 1000:6.2f} ms   ratio {seed / base:.2f}x (aim <= 2x)"
        )
        for name in ("sichuan-daying-2023", "c-lijiang-2020"):
            t = per_file(paths[name], n)
            print(f"(b) {name + ':':<27}{t * 1000:6.2f} ms   ratio {t / base:.2f}x")


if __name__ == "__main__":
    main()
