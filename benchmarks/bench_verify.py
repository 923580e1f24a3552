"""Verify speed and memory, each against a baseline measured in the same run.

(a) verifying the filled sample vs one ``openpyxl.load_workbook`` of the same file;
(b) 1,000 returned workbooks with two worker processes;
(c) peak memory (the parent and the largest worker) for 1,000 files vs 10;
(d) ``xltool summary`` over the same 1,000 files vs (b).

    python benchmarks/bench_verify.py [--count 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from xltool.checking.verify import verify_file, verify_paths
from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.render.summary import write_summary
from xltool.round.issue import issue_forms

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_workbooks" / "yuelu-commerce-2019.xlsx"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_returns(folder: Path, count: int) -> list[Path]:
    spec = load_builtin("dept-overall")
    seed = json.loads((ROOT / "sample_workbooks" / "yuelu-commerce-2019.json").read_text("utf-8"))
    forms = []
    for i in range(count):
        data = FormData.model_validate(seed)
        data.fields["department"] = f"第{i}号部门"
        data.fields["code"] = f"{i:04d}"
        forms.append(data)
    return [f.path for f in issue_forms(spec, forms, folder)]


def peak_memory(paths_file: Path) -> tuple[int, int]:
    """(parent, largest worker) peak RSS in KiB, measured in a fresh interpreter."""
    code = (
        "import json,resource,sys;from pathlib import Path;from xltool.checking.verify import verify_paths;"
        "paths=[Path(p) for p in json.load(open(sys.argv[1]))];verify_paths(paths,jobs=2);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(paths_file)], capture_output=True, text=True, check=True
    )
    parent, child = out.stdout.split()
    return int(parent), int(child)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()

    load = best_of(lambda: openpyxl.load_workbook(SAMPLE), 15)
    load_ro = best_of(lambda: openpyxl.load_workbook(SAMPLE, read_only=True).close(), 15)
    ours = best_of(lambda: verify_file(SAMPLE), 15)
    print(f"(a) openpyxl.load_workbook(sample):                 {load * 1000:7.1f} ms")
    print(f"    openpyxl.load_workbook(sample, read_only=True): {load_ro * 1000:7.1f} ms")
    print(
        f"    verify_file(sample):                            {ours * 1000:7.1f} ms"
        f"   ratio {ours / load:.2f} (vs read-only load: {ours / load_ro:.2f})"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_returns(folder / "returns", args.count)
        start = time.perf_counter()
        results = verify_paths(paths, jobs=2)
        batch = time.perf_counter() - start
        ok = sum(r.status == "ok" for r in results)
        print(
            f"(b) {len(paths)} files, --jobs 2:          {batch:7.1f} s    {len(paths) / batch:.1f} files/s, {ok} ok"
        )

        start = time.perf_counter()
        with (folder / "summary.xlsx").open("wb") as f:
            write_summary(f, verify_paths(paths, jobs=2))
        rollup = time.perf_counter() - start
        print(
            f"(d) summary of {len(paths)} files, --jobs 2: {rollup:7.1f} s    ratio to (b) {rollup / batch:.2f}"
        )

        small, large = folder / "10.json", folder / "all.json"
        small.write_text(json.dumps([str(p) for p in paths[:10]]))
        large.write_text(json.dumps([str(p) for p in paths]))
        p10, c10 = peak_memory(small)
        pall, call = peak_memory(large)
        print(
            f"(c) peak RSS, 10 files:    parent {p10 / 1024:6.1f} MiB, largest worker {c10 / 1024:6.1f} MiB"
        )
        print(
            f"    peak RSS, {len(paths)} files:  parent {pall / 1024:6.1f} MiB, largest worker {call / 1024:6.1f} MiB"
            f"   ratio {max(pall, call) / max(p10, c10):.2f}"
        )


if __name__ == "__main__":
    main()
