"""The campaign's issuing operations: init, add, reissue, exempt (see :mod:`.folder`).

A round asks each department for its department form, one project form per project of
its own, or either alone (:mod:`.formset`); everything issued is signed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from xltool.errors import XltoolError
from xltool.forms.kinds import kind_paths, load_builtin, load_spec
from xltool.forms.spec import Spec
from xltool.keys import init_key, key_id, load_key
from xltool.paths import key_path
from xltool.round.folder import CAMPAIGN_FILE, DEFAULT_ZONE, FORMAT, Campaign, now_iso
from xltool.round.formset import DEPT, PROJECT, FormRef
from xltool.round.issuing import Plan, issue_planned, plan_for
from xltool.round.ledger import Ledger
from xltool.round.projects import Project, read_project_indicators, read_projects
from xltool.round.rebuild import _record_departments, _record_issued, rebuild
from xltool.round.roster import (
    Department,
    Indicators,
    Roster,
    agreed_year,
    check_indicators_for,
    read_indicators,
    read_roster,
)
from xltool.safeio import write_atomic

PROJECT_KIND = "project"


def init(
    root: Path,
    *,
    roster: Path,
    indicators: Path | None = None,
    kind: str | None = None,
    spec_file: Path | None = None,
    projects: Path | None = None,
    project_indicators: Path | None = None,
    forms: list[str] | None = None,
    year: int | None = None,
    deadline: date | None = None,
    title: str | None = None,
    key_file: Path | None = None,
    notes: list[tuple[str, str]] | None = None,
    progress: Callable[[Path], None] | None = None,
) -> Campaign:
    """Create the campaign folder and issue every form it asks for, signed: each
    department's own (``forms`` has ``dept``) and one per project of the list
    (``projects``; ``forms`` default: both when a list is given, else the department's)."""
    _check_new_folder(root)
    roles = forms or ([DEPT, PROJECT] if projects else [DEPT])
    if PROJECT in roles and projects is None:
        raise XltoolError(
            "要发放项目支出绩效自评表，请用 --projects 给出项目清单",
            "project forms need the project list: --projects FILE",
        )
    sources = _sources(roles, kind, spec_file)
    specs = {role: load_spec(path) for role, path in sources.items()}
    roster_spec = specs.get(DEPT) or load_builtin("dept-overall")
    people = read_roster(roster_spec, roster, need_code=True)
    notes = notes if notes is not None else []
    table = _department_indicators(specs.get(DEPT), indicators, people, notes)
    listed, project_table = _projects(
        specs.get(PROJECT), projects, project_indicators, people, notes
    )
    if people.ignored:
        notes.append(_ignored(roster, people.ignored))
    year = _one_year(people, year)
    key = _issuer_key(key_file, notes)
    campaign = _make_folder(root, roles, specs, sources, year, deadline, title, key)
    _keep_copy(campaign, indicators, "indicators")
    _keep_copy(campaign, project_indicators, "project-indicators")
    campaign.save_departments([_department_doc(d) for d in people.departments])
    campaign.save_projects([p.doc() for p in listed])
    plan = _plan(campaign, specs, people.departments, listed, table, project_table, year)
    issue_planned(campaign, plan, key, progress=progress)
    rebuild(campaign, key)
    return campaign


def _sources(roles: list[str], kind: str | None, spec_file: Path | None) -> dict[str, Path]:
    """Each role's spec file: the department form's as given (``kind``/``spec_file``), the
    project form's the built-in ``project`` kind."""
    if kind and spec_file:
        raise XltoolError("--kind 与 --spec 只能用一个", "give --kind or --spec, not both")
    out: dict[str, Path] = {}
    if DEPT in roles:
        out[DEPT] = spec_file or _kind_path(kind or "dept-overall")
    if PROJECT in roles:
        out[PROJECT] = (
            _kind_path(PROJECT_KIND)
            if DEPT in roles or not (kind or spec_file)
            else (spec_file or _kind_path(kind or PROJECT_KIND))
        )
    return out


def _department_indicators(
    spec: Spec | None, path: Path | None, people: Roster, notes: list[tuple[str, str]]
) -> Indicators:
    if spec is None or path is None:
        return Indicators()
    table = read_indicators(spec, path)
    if table.per_department:
        check_indicators_for(spec, table, people, path)
    if table.ignored:
        notes.append(_ignored(path, table.ignored))
    return table


def _projects(
    spec: Spec | None,
    path: Path | None,
    indicators: Path | None,
    people: Roster,
    notes: list[tuple[str, str]],
) -> tuple[list[Project], Indicators]:
    if spec is None or path is None:
        return [], Indicators()
    listed = read_projects(spec, path, {d.code: d.name for d in people.departments})
    if listed.ignored:
        notes.append(_ignored(path, listed.ignored))
    codes = {p.code for p in listed.projects}
    table = read_project_indicators(spec, indicators, codes) if indicators else Indicators()
    return listed.projects, table


def _ignored(path: Path, found: list[str]) -> tuple[str, str]:
    from xltool.round.issue import ignored_note

    return ignored_note(path, found)


def _make_folder(
    root: Path,
    roles: list[str],
    specs: dict[str, Spec],
    sources: dict[str, Path],
    year: int | None,
    deadline: date | None,
    title: str | None,
    key: bytes,
) -> Campaign:
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("spec", "issued", "inbox", "annotated"):
        (root / sub).mkdir(exist_ok=True)
    for role, source in sources.items():
        _copy_spec(source, root / "spec", specs[role].kind)
    first = specs[roles[0]]
    config = {
        "format": FORMAT,
        "title": title or f"{year or ''}年度{first.name}".strip(),
        "kind": first.kind,
        "forms": roles,
        "kinds": {role: specs[role].kind for role in roles},
        "spec": {"kind": first.kind, "version": first.version, "hash": first.source_hash},
        "year": year,
        "deadline": deadline.isoformat() if deadline else None,
        "timezone": DEFAULT_ZONE,
        "key_id": key_id(key),
        "created_at": now_iso(),
    }
    text = "# xltool campaign: settings only, never a secret\n" + yaml.safe_dump(
        config, allow_unicode=True, sort_keys=False
    )
    write_atomic(root / CAMPAIGN_FILE, lambda h: h.write(text.encode("utf-8")))
    return Campaign(root.resolve(), config)


def _keep_copy(campaign: Campaign, source: Path | None, name: str) -> None:
    """A copy of an indicators file, for what is issued later (add, reissue)."""
    if source is None:
        return
    for old in campaign.root.glob(f"{name}.*"):
        old.unlink()
    shutil.copyfile(source, campaign.root / f"{name}{source.suffix.lower()}")


def _plan(
    campaign: Campaign,
    specs: dict[str, Spec],
    departments: list[Department],
    projects: list[Project],
    table: Indicators,
    project_table: Indicators,
    year: int | None,
) -> list[Plan]:
    """What to issue for these departments and projects, in the round's order."""
    wanted = {d.code for d in departments}
    listed = {p.code for p in projects}
    refs = [r for r in campaign.forms() if r.department in wanted or r.project in listed]
    by_code = {d.code: d for d in departments}
    by_project = {p.code: p for p in projects}
    out = []
    for ref in refs:
        if ref.role == DEPT and ref.department in by_code:
            d = by_code[ref.department]
            out.append(plan_for(ref, specs[DEPT], dict(d.fields), table.rows_for(d), year))
        elif ref.role == PROJECT and ref.project in by_project:
            p = by_project[ref.project]
            rows = project_table.rows_for_code(p.code)
            out.append(plan_for(ref, specs[PROJECT], dict(p.fields), rows, year))
    return out


def _check_new_folder(root: Path) -> None:
    if (root / CAMPAIGN_FILE).exists():
        raise XltoolError(
            f"{root} 已是发放批次目录；补充部门用 xltool campaign add",
            f"{root} is a campaign folder already; add departments with xltool campaign add",
        )
    if root.exists() and any(root.iterdir()):
        raise XltoolError(f"{root} 不是空目录", f"{root} is not empty")


def _kind_path(kind: str) -> Path:
    source = kind_paths().get(kind)
    if source is None:
        load_builtin(kind)  # raises the known-kinds error
        raise AssertionError
    return source


def _issuer_key(key_file: Path | None, notes: list[tuple[str, str]]) -> bytes:
    """The issuer's key, created (and said so) when there is none yet."""
    key = load_key(key_file) if key_path(key_file).exists() else None
    if key is None:
        created = init_key(key_path(key_file))
        key = load_key(created)
        notes.append(
            (f"已创建发放密钥 {created}（仅本人可读）", f"Created the issuer key {created}")
        )
    assert key is not None
    return key


def _one_year(people: Roster, year: int | None) -> int | None:
    for d in people.departments:
        year = agreed_year(year, d.fields)
    return year


def _copy_spec(source: Path, target: Path, kind: str) -> None:
    """The spec file and every spec it extends, so the folder is self-contained."""
    seen: set[str] = set()
    path, name = source, kind
    while path is not None and name not in seen:
        seen.add(name)
        text = path.read_text(encoding="utf-8")
        (target / f"{name}.yaml").write_text(text, encoding="utf-8")
        parent = (yaml.safe_load(text) or {}).get("extends")
        if not parent:
            break
        beside = path.parent / f"{parent}.yaml"
        path, name = (beside if beside.is_file() else kind_paths().get(parent)), parent


def _department_doc(d: Department, exempt: str | None = None) -> dict[str, Any]:
    return {
        "code": d.code,
        "department": d.name,
        "fields": d.fields,
        "contact": d.contact,
        "emails": d.emails,
        "phone": d.phone,
        "exempt_reason": exempt,
    }


def _indicators_copy(campaign: Campaign, name: str = "indicators") -> Path | None:
    return next(iter(sorted(campaign.root.glob(f"{name}.*"))), None)


def _tables(campaign: Campaign) -> tuple[Indicators, Indicators]:
    """The department and project indicator tables the campaign keeps copies of."""
    table, project_table = Indicators(), Indicators()
    source = _indicators_copy(campaign)
    if source and DEPT in campaign.roles:
        table = read_indicators(campaign.spec(DEPT), source)
    project_source = _indicators_copy(campaign, "project-indicators")
    if project_source and PROJECT in campaign.roles:
        codes = {p["code"] for p in campaign.projects()}
        project_table = read_project_indicators(campaign.spec(PROJECT), project_source, codes)
    return table, project_table


def reissue(campaign: Campaign, codes: list[str], key: bytes) -> list[Path]:
    """A fresh form (a new issue id; returns of the old one still match) for each form
    named: a department code reissues every form of that department, ``D01/P0003`` one."""
    refs = _named_forms(campaign, codes)
    table, project_table = _tables(campaign)
    specs = {role: campaign.spec(role) for role in campaign.roles}
    departments = {d["code"]: _from_doc(d) for d in campaign.departments()}
    projects = {p["code"]: Project.from_doc(p) for p in campaign.projects()}
    year = campaign.config.get("year")
    plan = []
    for ref in refs:
        if ref.role == DEPT:
            d = departments[ref.department]
            plan.append(plan_for(ref, specs[DEPT], dict(d.fields), table.rows_for(d), year))
        else:
            p = projects[ref.project or ""]
            rows = project_table.rows_for_code(p.code)
            plan.append(plan_for(ref, specs[PROJECT], dict(p.fields), rows, year))
    paths = issue_planned(campaign, plan, key)
    _record_issued(campaign)
    return paths


def _named_forms(campaign: Campaign, names: list[str]) -> list[FormRef]:
    """``D01`` → every form of D01; ``D01/P0003`` → that one; unknown names: one error."""
    forms = campaign.forms()
    out: list[FormRef] = []
    unknown = []
    for name in names:
        if "/" in name or "／" in name:
            out.append(campaign.form(name))
            continue
        mine = [r for r in forms if r.department == name]
        if not mine:
            unknown.append(name)
        out += mine
    if unknown:
        raise XltoolError(
            f"部门编码不在本批次名单中：{'、'.join(unknown)}",
            f"not in this campaign: {', '.join(unknown)}",
        )
    return list(dict.fromkeys(out))


def _from_doc(doc: dict[str, Any]) -> Department:
    return Department(
        fields=dict(doc.get("fields") or {}),
        contact=doc.get("contact"),
        emails=list(doc.get("emails") or []),
        phone=doc.get("phone"),
    )


def add(
    campaign: Campaign,
    roster: Path | None,
    key: bytes,
    notes: list[tuple[str, str]] | None = None,
    indicators: Path | None = None,
    projects: Path | None = None,
) -> tuple[list[str], list[str]]:
    """Departments of ``roster`` not yet in the campaign get their forms (with the rows of
    ``indicators``, else of the campaign's copy); the contacts of those already in it
    are updated; projects of ``projects`` not yet in it get theirs. Nothing already
    issued is touched. Returns (added form ids, updated department codes)."""
    notes = notes if notes is not None else []
    new, updated = _add_departments(campaign, roster, notes, indicators) if roster else ([], [])
    new_projects = _add_projects(campaign, projects, notes) if projects else []
    table, project_table = _tables(campaign)
    specs = {role: campaign.spec(role) for role in campaign.roles}
    plan = _plan(
        campaign, specs, new, new_projects, table, project_table, campaign.config.get("year")
    )
    issue_planned(campaign, plan, key)
    with Ledger(campaign.ledger_path) as ledger:
        _record_departments(campaign, ledger)
    _record_issued(campaign)
    return [p.ref.id for p in plan], updated


def _add_departments(
    campaign: Campaign, roster: Path, notes: list[tuple[str, str]], indicators: Path | None
) -> tuple[list[Department], list[str]]:
    spec = campaign.spec(DEPT) if DEPT in campaign.roles else load_builtin("dept-overall")
    people = read_roster(spec, roster, need_code=True)
    if people.ignored:
        notes.append(_ignored(roster, people.ignored))
    docs = campaign.departments()
    by_code = {d["code"]: d for d in docs}
    new = [d for d in people.departments if d.code not in by_code]
    updated = []
    for d in people.departments:
        if d.code in by_code:
            by_code[d.code].update(contact=d.contact, emails=d.emails, phone=d.phone)
            updated.append(d.code)
    source = indicators or _indicators_copy(campaign)
    if source is not None and DEPT in campaign.roles:
        table = read_indicators(spec, source)
        if table.per_department:
            everyone = Roster([*map(_from_doc, docs), *new])
            check_indicators_for(spec, table, everyone, source)
    _keep_copy(campaign, indicators, "indicators")
    campaign.save_departments(docs + [_department_doc(d) for d in new])
    return new, updated


def _add_projects(campaign: Campaign, path: Path, notes: list[tuple[str, str]]) -> list[Project]:
    if PROJECT not in campaign.roles:
        raise XltoolError(
            "本批次不发放项目支出绩效自评表（创建时未给 --projects）",
            "this campaign has no project forms (it was made without --projects)",
        )
    departments = {d["code"]: d["department"] for d in campaign.departments()}
    listed = read_projects(campaign.spec(PROJECT), path, departments)
    if listed.ignored:
        notes.append(_ignored(path, listed.ignored))
    known = {p["code"] for p in campaign.projects()}
    new = [p for p in listed.projects if p.code not in known]
    campaign.save_projects(campaign.projects() + [p.doc() for p in new])
    return new


def exempt(campaign: Campaign, code: str, reason: str) -> None:
    """免报: a department (every form of it) or one form (``D01/P0003``): never reminded,
    not in totals or coverage."""
    if "/" in code or "／" in code:
        ref = campaign.form(code)
        if ref.project is None:
            return exempt(campaign, ref.department, reason)
        docs = campaign.projects()
        for doc in docs:
            if doc["code"] == ref.project:
                doc["exempt_reason"] = reason
        campaign.save_projects(docs)
        with Ledger(campaign.ledger_path) as ledger:
            ledger.set_form_exempt(ref.id, reason)
        return None
    docs = campaign.departments()
    code = campaign.department(code)["code"]
    for doc in docs:
        if doc["code"] == code:
            doc["exempt_reason"] = reason
    campaign.save_departments(docs)
    with Ledger(campaign.ledger_path) as ledger:
        ledger.set_exempt(code, reason)
    return None
