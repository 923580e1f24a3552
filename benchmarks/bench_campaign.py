"""The campaign's cost, against baselines measured in the same run.

(a) ``collect`` of N clean, signed returns into a campaign of N departments vs
    ``verify`` of the same files (two workers each): storing, matching and the ledger
    should add little (aim: ≤ 1.3×);
(b) ``collect`` of faulty returns, whose annotated copies are written, per file vs (a);
(c) ``status`` of N departments: the library call, and a whole ``xltool status`` process
    vs ``python -c "import click"`` (aim: < 1 s).

    python benchmarks/bench_campaign.py [--count 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from xltool.checking.verify import verify_paths
from xltool.forms.kinds import load_builtin
from xltool.forms.model import FormData
from xltool.forms.write import IssueInfo, write_form
from xltool.keys import load_key
from xltool.round.campaign import init
from xltool.round.collect import collect
from xltool.round.folder import Campaign, read_json
from xltool.round.status import campaign_status

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "sample_workbooks" / "yuelu-commerce-2019.json"


def roster(path: Path, count: int) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["部门编码", "部门名称", "联系人", "电子邮箱"])
    for i in range(count):
        wb.active.append([f"B{i:04d}", f"第{i}号部门", f"联系人{i}", f"b{i}@dept.example.cn"])
    wb.save(path)
    return path


def returns(campaign: Campaign, key: bytes, folder: Path, faulty: bool = False) -> list[Path]:
    """One filled, signed return per issued form (the seed's entries under each
    department's issue id), as a department's spreadsheet program would send it."""
    spec = load_builtin("dept-overall")
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for sidecar in sorted(campaign.issued_dir.glob("*.json")):
        doc = read_json(sidecar)
        data = FormData.model_validate(seed)
        data.fields.update(department=doc["department"], code=doc["code"], year=2025)
        if faulty:
            data.indicators[0]["reason"] = None  # a score below its points, no reason
        info = IssueInfo(
            key=key, issue_id=doc["issue_id"], prefill_keys=("code", "department", "year")
        )
        path = folder / f"{doc['code']}.xlsx"
        write_form(path, spec, data, info=info)
        out.append(path)
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        key_file = tmp / "issuer.key"
        t_init = timed(
            lambda: init(
                tmp / "base",
                roster=roster(tmp / "r.xlsx", args.count),
                year=2025,
                key_file=key_file,
            )
        )
        base = Campaign.open(tmp / "base")
        key = load_key(key_file)
        assert key is not None
        clean = returns(base, key, tmp / "clean")
        faulty = returns(base, key, tmp / "faulty", faulty=True)[: max(1, args.count // 10)]
        print(f"campaign init of {args.count} departments: {t_init:6.1f} s")

        spec = base.spec()
        t_verify = timed(lambda: verify_paths(clean, spec=spec, key=key, jobs=2, batch=False))
        first = Campaign.open(shutil.copytree(tmp / "base", tmp / "a"))
        t_collect = timed(lambda: collect(first, [str(tmp / "clean")], key=key, jobs=2))
        print(f"(a) verify  {args.count} returns, 2 workers: {t_verify:6.2f} s")
        print(f"    collect {args.count} returns, 2 workers: {t_collect:6.2f} s")
        print(f"    ratio collect / verify: {t_collect / t_verify:.2f}x (aim <= 1.3x)")

        second = Campaign.open(shutil.copytree(tmp / "base", tmp / "b"))
        t_faulty = timed(lambda: collect(second, [str(p) for p in faulty], key=key, jobs=2))
        per_clean, per_faulty = t_collect / len(clean), t_faulty / len(faulty)
        print(f"(b) collect {len(faulty)} faulty returns (annotated): {t_faulty:6.2f} s, "
              f"{per_faulty * 1000:.0f} ms a file vs {per_clean * 1000:.0f} ms clean "
              f"({per_faulty / per_clean:.2f}x)")  # fmt: skip

        with first.ledger() as ledger:
            t_status = timed(lambda: campaign_status(first, ledger).to_json())
        proc = lambda: subprocess.run(  # noqa: E731
            [
                sys.executable,
                "-m",
                "xltool.cli.main",
                "status",
                "--format",
                "json",
                "--campaign",
                str(first.root),
            ],
            capture_output=True,
            check=True,
        )
        bare = lambda: subprocess.run([sys.executable, "-c", "import click"], check=True)  # noqa: E731
        t_proc = min(timed(proc) for _ in range(3))
        t_bare = min(timed(bare) for _ in range(3))
        print(f"(c) status of {args.count} departments: library {t_status * 1000:.0f} ms; "
              f"whole process {t_proc * 1000:.0f} ms vs import click {t_bare * 1000:.0f} ms "
              f"({t_proc / t_bare:.1f}x; aim < 1 s)")  # fmt: skip


if __name__ == "__main__":
    main()
