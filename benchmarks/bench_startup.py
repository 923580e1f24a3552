"""Start-up, as whole processes, each against a baseline measured in the same run:

(a) ``xltool --help`` vs ``python -c "import click"`` (aim ≤ 2×);
(b) ``xltool verify`` of the sample vs a process that only runs
    ``openpyxl.load_workbook(read_only=True)`` on it (aim ≤ 2×).

    python benchmarks/bench_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_workbooks" / "yuelu-commerce-2019.xlsx"


def timed(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    n = parser.parse_args().repeat
    py = sys.executable
    pairs = [
        ("(a) xltool --help", [py, "-m", "xltool.cli.main", "--help"], "python -c 'import click'", [py, "-c", "import click"]),
        (
            "(b) xltool verify sample",
            [py, "-m", "xltool.cli.main", "verify", str(SAMPLE)],
            "openpyxl.load_workbook(read_only=True)",
            [py, "-c", f"import openpyxl; openpyxl.load_workbook({str(SAMPLE)!r}, read_only=True).close()"],
        ),
    ]  # fmt: skip
    for label, ours, base_label, base in pairs:
        t_ours, t_base = timed(ours, n), timed(base, n)
        print(
            f"{label}: {t_ours * 1000:6.0f} ms   {base_label}: {t_base * 1000:6.0f} ms   ratio {t_ours / t_base:.2f}x (aim <= 2x)"
        )


if __name__ == "__main__":
    main()
