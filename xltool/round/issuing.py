"""Writing a round's forms into ``issued/``: each signed, with a JSON sidecar saying which
form of which department it is.

A round of department forms only keeps one workbook per department at the top of
``issued/``; a round with project forms gives each department a folder (its code and
name) holding its department form and one form per project, named by project code and
name. Names are made safe for Windows (reserved names and characters, length) and unique
within their folder, as Windows compares them.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xltool.forms.model import FormData
from xltool.forms.spec import Spec
from xltool.round.folder import Campaign, now_iso, write_json
from xltool.round.formset import PROJECT, FormRef
from xltool.round.issue import file_stem, issue_forms
from xltool.safeio import safe_stem, unique_names


@dataclass
class Plan:
    """One form to issue: which it is, its kind and its data."""

    ref: FormRef
    spec: Spec
    form: FormData


def plan_for(
    ref: FormRef,
    spec: Spec,
    fields: dict[str, Any],
    rows: list[dict[str, Any]],
    year: int | None,
) -> Plan:
    year_field = spec.identity.year or "year"
    if year is not None and fields.get(year_field) is None:
        fields[year_field] = year
    form = FormData(kind=spec.kind, spec_version=spec.version, fields=fields, indicators=rows)
    return Plan(ref, spec, form)


def department_folder(campaign: Campaign, code: str, name: str) -> str:
    """The folder of department ``code`` (named ``name``) within issued/ ("" in a
    department-only round)."""
    if PROJECT not in campaign.roles:
        return ""
    return safe_stem(f"{code}-{name}", fallback=code)


def issue_planned(
    campaign: Campaign,
    plan: list[Plan],
    key: bytes,
    progress: Callable[[Path], None] | None = None,
    jobs: int | None = None,
) -> list[Path]:
    """Write every planned form, signed with a fresh issue id, each with its sidecar; a
    round of many forms is written by ``jobs`` processes (default: the cores)."""
    names = _names(campaign, plan)
    ids = [uuid.uuid4().hex for _ in plan]
    prefill = {
        kind: tuple(sorted({k for p in plan if p.spec.kind == kind
                            for k, v in p.form.fields.items() if v not in (None, "")}))
        for kind in {p.spec.kind for p in plan}
    }  # fmt: skip
    jobs = jobs or os.cpu_count() or 1
    chunks = [list(range(i, min(i + CHUNK, len(plan)))) for i in range(0, len(plan), CHUNK)]
    tasks = [(campaign, [plan[i] for i in c], [names[i] for i in c],
              [ids[i] for i in c], key, prefill) for c in chunks]  # fmt: skip
    if jobs > 1 and len(chunks) > 1:
        written = _in_processes(tasks, jobs, progress)
    else:
        written = [_write_chunk(task, progress) for task in tasks]
    return [path for chunk in written for path in chunk]


CHUNK = 40  # forms a worker writes at a time


def _write_chunk(
    task: tuple[Campaign, list[Plan], list[str], list[str], bytes, dict[str, tuple[str, ...]]],
    progress: Callable[[Path], None] | None = None,
) -> list[Path]:
    """One run of forms, in their order, each kind through :func:`issue_forms`, each
    with its sidecar."""
    campaign, plan, names, ids, key, prefill = task
    out_dir = campaign.issued_dir
    paths: dict[int, Path] = {}
    for kind in dict.fromkeys(p.spec.kind for p in plan):
        group = [i for i, p in enumerate(plan) if p.spec.kind == kind]
        issued = issue_forms(
            plan[group[0]].spec, [plan[i].form for i in group], out_dir,
            names=[names[i] for i in group], key=key, prefill_keys=prefill[kind],
            progress=progress, issue_ids=[ids[i] for i in group],
        )  # fmt: skip
        paths.update({i: f.path for i, f in zip(group, issued, strict=True)})
    departments = {d["code"]: d["department"] for d in campaign.departments()}
    for i, p in enumerate(plan):
        _sidecar(campaign, p, paths[i], ids[i], departments[p.ref.department])
    return [paths[i] for i in range(len(plan))]


def _in_processes(
    tasks: list[Any], jobs: int, progress: Callable[[Path], None] | None
) -> list[list[Path]]:
    """The chunks written by ``jobs`` processes (XlsxWriter holds the GIL), in order."""
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(jobs) as pool:
        written = []
        for chunk in pool.imap(_write_chunk, tasks):
            written.append(chunk)
            for path in chunk if progress else ():
                progress(path)
    return written


def _names(campaign: Campaign, plan: list[Plan]) -> list[str]:
    """Each form's path within issued/: its department's folder and a unique name."""
    departments = {d["code"]: d["department"] for d in campaign.departments()}
    folders = [
        department_folder(campaign, p.ref.department, departments[p.ref.department]) for p in plan
    ]
    out = [""] * len(plan)
    for folder in dict.fromkeys(folders):
        where = campaign.issued_dir / folder
        taken = [p.name for p in where.glob("*.xlsx")] if where.is_dir() else []
        members = [i for i, f in enumerate(folders) if f == folder]
        stems = [file_stem(plan[i].spec, plan[i].form) for i in members]
        for i, name in zip(members, unique_names(stems, ".xlsx", taken), strict=True):
            out[i] = f"{folder}/{name}" if folder else name
    return out


def _sidecar(campaign: Campaign, plan: Plan, path: Path, issue_id: str, name: str) -> None:
    ref = plan.ref
    write_json(
        path.with_suffix(".json"),
        {
            "code": ref.department,
            "department": name,
            "form": ref.id,
            "role": ref.role,
            "kind": plan.spec.kind,
            "project_code": ref.project,
            "project_name": ref.project_name,
            "issue_id": issue_id,
            "issued_at": now_iso(),
            "file": path.relative_to(campaign.issued_dir).as_posix(),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        },
    )
