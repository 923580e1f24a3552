"""Start-up, as whole processes, each paired with a baseline measured in the same run
(ours and the baseline alternate, so a busy moment weighs on both):

(a) ``xltool --help`` vs ``python -c "import click"`` (aim ≤ 1.5×);
(b) ``xltool verify`` of the sample vs a process that only runs
    ``openpyxl.load_workbook(read_only=True)`` on it (aim ≤ 2×).

The ``xltool`` command is the installed script beside this interpreter when there is one
(as the README's install makes it), else ``python -m xltool``. Bytecode is compiled first
and the children may write it, as they can after any install; whether numpy is importable
is printed, since openpyxl imports it when it can and xltool blocks it.

    python benchmarks/bench_startup.py [--repeat 11]
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_workbooks" / "yuelu-commerce-2019.xlsx"


def xltool_command() -> list[str]:
    script = Path(sys.executable).with_name("xltool")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "xltool"]


def paired(
    ours: list[str], base: list[str], repeat: int, env: dict[str, str]
) -> tuple[float, float]:
    times: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(repeat):
        for which, args in ((0, ours), (1, base)):
            start = time.perf_counter()
            subprocess.run(args, capture_output=True, check=False, env=env)
            times[which].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=11)
    n = parser.parse_args().repeat
    compileall.compile_dir(str(ROOT / "xltool"), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    py, xl = sys.executable, xltool_command()
    numpy = importlib.util.find_spec("numpy") is not None
    print(f"numpy importable: {'yes' if numpy else 'no'}; xltool as: {' '.join(xl)}")
    load = f"import openpyxl; openpyxl.load_workbook({str(SAMPLE)!r}, read_only=True).close()"
    pairs = [
        ("(a) xltool --help", [*xl, "--help"], "python -c 'import click'", [py, "-c", "import click"], 1.5),
        ("(b) xltool verify sample", [*xl, "verify", str(SAMPLE)], "openpyxl read-only load", [py, "-c", load], 2.0),
    ]  # fmt: skip
    for label, ours, base_label, base, aim in pairs:
        subprocess.run(ours, capture_output=True, check=False, env=env)  # warm the caches
        t_ours, t_base = paired(ours, base, n, env)
        print(
            f"{label}: {t_ours * 1000:6.0f} ms   {base_label}: {t_base * 1000:6.0f} ms   "
            f"ratio {t_ours / t_base:.2f}x (aim <= {aim}x)"
        )


if __name__ == "__main__":
    main()
