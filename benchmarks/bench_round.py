"""A whole project round (issue 20): 300 departments and 3,000 projects, 3,300 forms,
against baselines measured in the same run.

(a) issuing: ``xltool campaign init`` of the round, a whole process, vs the same 3,300
    workbooks written by a bare XlsxWriter loop (the same cell values in the same cells,
    each kind's own layout; no formats, validations, names, metadata or protection)
    (aim: <= 1.5x);
(b) collecting 3,300 signed, filled returns: ``xltool collect DIR --jobs 2`` vs
    ``xltool verify DIR --jobs 2 --format json`` of the same files, whole processes
    (aim: <= 1.3x);
(c) ``xltool status --format json`` of the collected round, a whole process, vs
    ``python -c "import click"`` (aim: < 1 s); and the library call campaign_status;
(d) ``xltool summary`` of the collected round (the department roll-up and the 项目,
    覆盖 and 项目分布 sheets), a whole process (aim: < 15 s).

The returns are made in the setup (not timed), each its own file with its own bytes:
the issued form's data filled in as its department would (the entries of
tests/campaign_helpers.fill and tests/project_round.fill_project), written with
write_form and signed under the issue id of its sidecar. Whole processes run the
installed ``xltool`` script beside this Python (else ``python -m xltool``) with HOME
and XLTOOL_KEY_FILE in a temporary folder.

Each figure is one run unless ``--repeat N`` asks for the best of N (on a shared machine
the load can change a figure by a factor of three; the load average is printed).

    python benchmarks/bench_round.py [--departments 300] [--projects 3000] [--small]
                                     [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the round's inputs as the tests make them

from bench_new import bare_form  # noqa: E402

from tests.campaign_helpers import (  # noqa: E402
    code_of,
    name_of,
    write_indicators,
    write_roster,
)
from tests.project_round import (  # noqa: E402
    ACTUALS,
    write_project_indicators,
    write_projects,
)
from xltool.forms.model import FormData  # noqa: E402
from xltool.forms.rules import ordered_rules  # noqa: E402
from xltool.forms.write import IssueInfo, write_form  # noqa: E402
from xltool.keys import load_key  # noqa: E402
from xltool.round.campaign import _from_doc, _tables  # noqa: E402
from xltool.round.folder import Campaign, read_json  # noqa: E402
from xltool.round.formset import DEPT  # noqa: E402
from xltool.round.issuing import department_folder, plan_for  # noqa: E402
from xltool.round.projects import Project  # noqa: E402
from xltool.round.rebuild import open_ledger  # noqa: E402
from xltool.round.status import campaign_status  # noqa: E402

# --- the round's inputs -------------------------------------------------------------


def projects_of(departments: int, projects: int) -> dict[str, list[tuple[str, str]]]:
    """Department code → its projects, unevenly: by the weights 0, 1, 2, 3, 4 in turn
    (a fifth of the departments have none), ``projects`` in all."""
    weights = [i % 5 for i in range(1, departments + 1)]
    total = sum(weights) or 1
    counts = [projects * w // total for w in weights]
    for i in sorted(range(departments), key=lambda i: -weights[i])[: projects - sum(counts)]:
        counts[i] += 1
    out: dict[str, list[tuple[str, str]]] = {}
    for i, count in enumerate(counts, start=1):
        out[code_of(i)] = [
            (f"P{i:03d}{k:03d}", f"{name_of(i)}项目{k:03d}") for k in range(1, count + 1)
        ]
    return out


def inputs(tmp: Path, departments: int, projects: int) -> list[str]:
    """The files of ``campaign init`` and its options."""
    listed = projects_of(departments, projects)
    return [
        "--roster", str(write_roster(tmp / "名单.xlsx", departments)),
        "--indicators", str(write_indicators(tmp / "指标.xlsx", departments)),
        "--projects", str(write_projects(tmp / "项目清单.xlsx", listed)),
        "--project-indicators", str(write_project_indicators(tmp / "项目指标.xlsx")),
        "--year", "2025",
    ]  # fmt: skip


def planned(campaign: Campaign) -> list[tuple[Any, Any]]:
    """Every form of the round with the data it was issued with (as ``reissue`` plans
    it): (plan, sidecar)."""
    table, project_table = _tables(campaign)
    specs = {role: campaign.spec(role) for role in campaign.roles}
    departments = {d["code"]: _from_doc(d) for d in campaign.departments()}
    projects = {p["code"]: Project.from_doc(p) for p in campaign.projects()}
    year = campaign.config.get("year")
    sidecars = {}
    for path in campaign.issued_dir.rglob("*.json"):
        doc = read_json(path)
        sidecars[doc["form"]] = doc
    out = []
    for ref in campaign.forms():
        if ref.role == DEPT:
            d = departments[ref.department]
            plan = plan_for(ref, specs[DEPT], dict(d.fields), table.rows_for(d), year)
        else:
            p = projects[ref.project or ""]
            rows = project_table.rows_for_code(p.code)
            plan = plan_for(ref, specs[ref.role], dict(p.fields), rows, year)
        out.append((plan, sidecars[ref.id]))
    return out


# --- (a) the baseline: a bare XlsxWriter loop ----------------------------------------


def bare_loop(plans: list[Any], out: Path, folders: list[str]) -> None:
    """The same values in the same cells, plain: labels, inputs, formula text (the
    rules' and each scored row's), indicator rows; one folder per department."""
    rules: dict[str, Any] = {}
    for folder in set(folders):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for i, (plan, folder) in enumerate(zip(plans, folders, strict=True)):
        if plan.spec.kind not in rules:
            rules[plan.spec.kind] = ordered_rules(plan.spec)
        bare_form(plan.spec, plan.form, rules[plan.spec.kind], out / folder / f"{i}.xlsx")


# --- (b) the returns -----------------------------------------------------------------


def filled(plan: Any, n: int) -> FormData:
    """The issued form's data as its department fills it in."""
    form = plan.form.model_copy(deep=True)
    fields, rows = form.fields, form.indicators
    if plan.ref.role == DEPT:  # tests/campaign_helpers.fill: the first row 1 point short
        fields.update(
            duties=f"{name_of(n)}的主要职责：负责本行业的规划、管理和服务。",
            staff_quota=20 + n, staff_actual=18 + n,
            fund_current_initial=fields.get("fund_current_initial", 100 * n),
            fund_current_adjusted=110 * n, fund_current_executed=100 * n,
            fund_carryover_initial=10, fund_carryover_adjusted=10, fund_carryover_executed=8,
            goal_expected="完成年度各项工作任务。", goal_actual="已全面完成。",
        )  # fmt: skip
        for k, row in enumerate(r for r in rows if r.get("name")):
            row["actual"] = "已完成"
            row["score"] = row["points"] - 1 if k == 0 else row["points"]
            if k == 0:
                row["reason"] = "个别项目延期"
    else:  # tests/project_round.fill_project: spent what the budget said
        fields["fund_current_executed"] = fields.get("fund_current_adjusted")
        fields["goal_expected"], fields["goal_actual"] = "按期完成项目建设任务。", "已按期完成。"
        for row in rows:
            if row.get("name") in ACTUALS:
                row["actual"] = ACTUALS[row["name"]]
    return form


_JOB: dict[str, Any] = {}


def _write_return(i: int) -> None:
    plan, sidecar = _JOB["plans"][i]
    n = int(plan.ref.department.lstrip("D"))
    info = IssueInfo(
        key=_JOB["key"], issue_id=sidecar["issue_id"], prefill_keys=_JOB["prefill"][plan.spec.kind]
    )
    name = sidecar["file"].replace("/", "-").removesuffix(".xlsx") + "-填好.xlsx"
    write_form(_JOB["out"] / name, plan.spec, filled(plan, n), info=info)


def write_returns(plans: list[Any], key: bytes, out: Path) -> None:
    """One signed, filled return per issued form, written by two processes."""
    out.mkdir()
    prefill = {}
    for kind in {p.spec.kind for p, _ in plans}:
        forms = [p.form for p, _ in plans if p.spec.kind == kind]
        prefill[kind] = tuple(
            sorted({k for f in forms for k, v in f.fields.items() if v not in (None, "")})
        )  # what issue_planned signs as the issuer's
    _JOB.update(plans=plans, key=key, prefill=prefill, out=out)
    if "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pool.map(_write_return, range(len(plans)), chunksize=32)
    else:
        for i in range(len(plans)):
            _write_return(i)


# --- running xltool ------------------------------------------------------------------


def xltool_command() -> list[str]:
    script = Path(sys.executable).parent / ("xltool.exe" if os.name == "nt" else "xltool")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "xltool"]


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "XLTOOL_"))}
    env.update(HOME=str(home), XLTOOL_KEY_FILE=str(home / "issuer.key"), COLUMNS="120")
    return env


def run(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    """A whole xltool process: its wall time and standard output."""
    start = time.perf_counter()
    proc = subprocess.run(xltool_command() + args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"xltool {' '.join(args[:2])} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def line(label: str, ours: float, base: float | None, base_label: str, aim: str) -> None:
    against = f"  vs {base_label} {base:7.2f} s  ratio {ours / base:5.2f}x" if base else ""
    print(f"{label:<48} {ours:7.2f} s{against}  (aim {aim})", flush=True)


# --- the benchmark -------------------------------------------------------------------


def issuing(tmp: Path, env: dict[str, str], init_args: list[str], repeat: int) -> list[Any]:
    """(a) xltool first (the first run makes the key, as on a first round), then the
    baseline from the same forms' data, planned from the issued round (not timed); the
    best of ``repeat`` runs of each."""
    times = []
    for k in reversed(range(repeat)):  # the last run's round is the one kept
        target = tmp / ("round" if k == 0 else f"round-{k}")
        times.append(run(["campaign", "init", str(target), *init_args], env)[0])
        if k:
            shutil.rmtree(target)
    campaign = Campaign.open(tmp / "round")
    plans = planned(campaign)
    total = len(plans)
    assert len(list(campaign.issued_dir.rglob("*.xlsx"))) == total
    names = {d["code"]: d["department"] for d in campaign.departments()}
    folders = [
        department_folder(campaign, p.ref.department, names[p.ref.department]) for p, _ in plans
    ]
    bare = []
    for _ in range(repeat):
        bare.append(timed(lambda: bare_loop([p for p, _ in plans], tmp / "bare", folders)))
        shutil.rmtree(tmp / "bare")
    t_init, t_bare = min(times), min(bare)
    line(f"(a) campaign init, {total} forms (process)", t_init, t_bare,
         "bare xlsxwriter loop", "<= 1.5x")  # fmt: skip
    print(f"    {total / t_init:.0f} forms/s vs {total / t_bare:.0f} forms/s{_runs(times)}",
          flush=True)  # fmt: skip
    return plans


def collecting(tmp: Path, env: dict[str, str], plans: list[Any], repeat: int) -> float:
    """(b) the returns made in the setup, verified, then collected (each into the round
    as issued); the best of ``repeat`` runs of each. Returns verify's time."""
    key = load_key(tmp / "home" / "issuer.key")
    assert key is not None
    t_make = timed(lambda: write_returns(plans, key, tmp / "returns"))
    print(f"    (setup: {len(plans)} signed filled returns written in {t_make:.0f} s)",
          flush=True)  # fmt: skip
    shutil.copytree(tmp / "round", tmp / "round-issued")  # as issued: to collect again
    returns = str(tmp / "returns")
    verify, collect = [], []
    for k in reversed(range(repeat)):
        t_verify, out = run(["verify", returns, "--jobs", "2", "--format", "json"], env, (0, 1))
        verify.append(t_verify)
        statuses = Counter(f.get("status") for f in json.loads(out).get("files", []))
        target = tmp / ("round" if k == 0 else f"round-{k}")
        if k:
            shutil.copytree(tmp / "round-issued", target)
        t_collect, collected = run(
            ["collect", returns, "--jobs", "2", "--format", "json", "--received-at",
             "2025-03-02", "--campaign", str(target)], env, (0, 1),
        )  # fmt: skip
        collect.append(t_collect)
        if k:
            shutil.rmtree(target)
    line(f"(b) collect {len(plans)} returns, --jobs 2 (process)", min(collect), min(verify),
         "verify --jobs 2", "<= 1.3x")  # fmt: skip
    print(f"    verify: {dict(statuses)}; collect: {_outcomes(collected)}", flush=True)
    if repeat > 1:
        print(f"    verify{_runs(verify)[1:]}; collect{_runs(collect)[1:]}", flush=True)
    return min(verify)


def status(tmp: Path, env: dict[str, str], total: int) -> None:
    """(c) a whole process (best of 3) vs starting Python with click; the library call."""
    status_args = ["status", "--format", "json", "--campaign", str(tmp / "round")]
    t_status = min(run(status_args, env)[0] for _ in range(3))
    bare = [sys.executable, "-c", "import click"]
    t_click = min(timed(lambda: subprocess.run(bare, check=True)) for _ in range(3))
    line(f"(c) status --format json, {total} forms (process)", t_status, t_click,
         "import click", "< 1 s")  # fmt: skip
    campaign = Campaign.open(tmp / "round")
    with open_ledger(campaign) as ledger:
        t_lib = min(timed(lambda: campaign_status(campaign, ledger)) for _ in range(3))
        st = campaign_status(campaign, ledger)
        t_json = min(timed(lambda: st.to_json("zh")) for _ in range(3))
        coverage = st.to_json("zh")["coverage"]
    print(f"    library campaign_status {t_lib * 1000:.0f} ms, .to_json {t_json * 1000:.0f} ms; "
          f"coverage {json.dumps(coverage, ensure_ascii=False)}", flush=True)  # fmt: skip


def summary(tmp: Path, env: dict[str, str], total: int, t_verify: float, repeat: int) -> None:
    """(d) the roll-up of the collected round, a whole process; the best of ``repeat``."""
    args = ["summary", "--jobs", "2", "--force", "--campaign", str(tmp / "round")]
    times = [run(args, env)[0] for _ in range(repeat)]
    assert (tmp / "round" / "汇总.xlsx").is_file()
    line(f"(d) summary, {total} forms (process)", min(times), None, "", "< 15 s")
    print(f"    {min(times) / total * 1000:.1f} ms a form (verify of the same files: "
          f"{t_verify:.2f} s){_runs(times)}", flush=True)  # fmt: skip


def _runs(times: list[float]) -> str:
    return "; runs " + ", ".join(f"{t:.2f}" for t in times) + " s" if len(times) > 1 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--departments", type=int, default=300)
    parser.add_argument("--projects", type=int, default=3000)
    parser.add_argument("--small", action="store_true", help="30 departments, 300 projects")
    parser.add_argument("--keep", type=Path, help="keep the round in this new folder")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs of (a), (b), (d)")
    args = parser.parse_args()
    if args.small:
        args.departments, args.projects = 30, 300
    began = time.perf_counter()
    holder = None if args.keep else tempfile.TemporaryDirectory(prefix="bench-round-")
    tmp = Path(holder.name) if holder else args.keep.resolve()
    (tmp / "home").mkdir(parents=True)
    env = environment(tmp / "home")
    init_args = inputs(tmp, args.departments, args.projects)
    total = args.departments + args.projects
    print(f"round: {args.departments} departments, {args.projects} projects, {total} forms; "
          f"xltool: {' '.join(xltool_command())}; {_load()}", flush=True)  # fmt: skip
    plans = issuing(tmp, env, init_args, args.repeat)
    assert len(plans) == total, (len(plans), total)
    t_verify = collecting(tmp, env, plans, args.repeat)
    status(tmp, env, total)
    summary(tmp, env, total, t_verify, args.repeat)
    print(f"total wall time {time.perf_counter() - began:.0f} s; {_load()}", flush=True)
    if holder:
        holder.cleanup()
    else:
        print(f"kept in {tmp}")


def _load() -> str:
    """The machine's load: the figures are only as quiet as it was."""
    if not hasattr(os, "getloadavg"):
        return f"{os.cpu_count()} CPUs"
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _outcomes(stdout: str) -> str:
    """What collect's JSON says, counted: (outcome, status, matched by)."""
    try:
        items = json.loads(stdout)["inputs"]
    except (ValueError, KeyError, TypeError):
        return "(no JSON)"
    return str(dict(Counter((o["outcome"], o["status"], o["matched_by"]) for o in items)))


if __name__ == "__main__":
    main()
