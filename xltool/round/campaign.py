"""The campaign's issuing operations: init, add, reissue, exempt (see :mod:`.folder`)."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from xltool.errors import XltoolError
from xltool.forms.kinds import kind_paths, load_spec
from xltool.forms.model import FormData
from xltool.forms.spec import Spec
from xltool.keys import init_key, key_id, load_key
from xltool.paths import key_path
from xltool.round.folder import (
    CAMPAIGN_FILE,
    DEFAULT_ZONE,
    FORMAT,
    Campaign,
    now_iso,
    write_json,
)
from xltool.round.issue import file_stem, issue_forms
from xltool.round.ledger import Ledger
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
from xltool.safeio import unique_names, write_atomic


def init(
    root: Path,
    *,
    roster: Path,
    indicators: Path | None = None,
    kind: str | None = None,
    spec_file: Path | None = None,
    year: int | None = None,
    deadline: date | None = None,
    title: str | None = None,
    key_file: Path | None = None,
    notes: list[tuple[str, str]] | None = None,
    progress: Callable[[Path], None] | None = None,
) -> Campaign:
    """Create the campaign folder and issue one signed form per department."""
    _check_new_folder(root)
    source = spec_file or _kind_path(kind or "dept-overall")
    spec = load_spec(source)
    people = read_roster(spec, roster, need_code=True)
    table = read_indicators(spec, indicators) if indicators else Indicators()
    if table.per_department:
        check_indicators_for(spec, table, people, indicators or Path())
    notes = notes if notes is not None else []
    for path, found in ((roster, people.ignored), (indicators, table.ignored)):
        if found:
            from xltool.round.issue import ignored_note

            notes.append(ignored_note(path, found))
    year = _one_year(people, year)
    key = _issuer_key(key_file, notes)
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("spec", "issued", "inbox", "annotated"):
        (root / sub).mkdir(exist_ok=True)
    _copy_spec(source, root / "spec", spec.kind)
    if indicators is not None:
        shutil.copyfile(indicators, root / f"indicators{indicators.suffix.lower()}")
    config = {
        "format": FORMAT,
        "title": title or f"{year or ''}年度{spec.name}".strip(),
        "kind": spec.kind,
        "spec": {"kind": spec.kind, "version": spec.version, "hash": spec.source_hash},
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
    campaign = Campaign(root.resolve(), config)
    campaign.save_departments([_department_doc(d) for d in people.departments])
    _issue(campaign, spec, key, people.departments, table, year, progress=progress)
    rebuild(campaign, key)
    return campaign


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
        from xltool.forms.kinds import load_builtin

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


def _issue(
    campaign: Campaign,
    spec: Spec,
    key: bytes,
    departments: list[Department],
    table: Indicators,
    year: int | None,
    progress: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Issue one signed form per department into issued/, each with its sidecar."""
    forms = []
    for d in departments:
        fields = dict(d.fields)
        if year is not None and fields.get("year") is None:
            fields["year"] = year
        forms.append(
            FormData(
                kind=spec.kind,
                spec_version=spec.version,
                fields=fields,
                indicators=table.rows_for(d),
            )
        )
    taken = [p.name for p in campaign.issued_dir.glob("*.xlsx")]
    names = unique_names([file_stem(spec, f) for f in forms], ".xlsx", taken)
    ids = [uuid.uuid4().hex for _ in forms]
    prefill = tuple(sorted({k for f in forms for k, v in f.fields.items() if v not in (None, "")}))
    issued = issue_forms(
        spec,
        forms,
        campaign.issued_dir,
        names=names,
        key=key,
        prefill_keys=prefill,
        progress=progress,
        issue_ids=ids,
    )
    for d, form, issue_id in zip(departments, issued, ids, strict=True):
        write_json(
            form.path.with_suffix(".json"),
            {
                "code": d.code,
                "department": d.name,
                "issue_id": issue_id,
                "issued_at": now_iso(),
                "file": form.path.name,
                "sha256": hashlib.sha256(form.path.read_bytes()).hexdigest(),
            },
        )
    return [f.path for f in issued]


def _indicators_copy(campaign: Campaign) -> Path | None:
    return next(iter(sorted(campaign.root.glob("indicators.*"))), None)


def reissue(campaign: Campaign, codes: list[str], key: bytes) -> list[Path]:
    """A fresh form for each department (a new issue id; returns of the old one still match)."""
    spec = campaign.spec()
    docs = {d["code"]: d for d in campaign.departments()}
    unknown = [c for c in codes if c not in docs]
    if unknown:
        raise XltoolError(
            f"部门编码不在本批次名单中：{'、'.join(unknown)}",
            f"not in this campaign: {', '.join(unknown)}",
        )
    source = _indicators_copy(campaign)
    table = read_indicators(spec, source) if source else Indicators()
    departments = [_from_doc(docs[c]) for c in codes]
    paths = _issue(campaign, spec, key, departments, table, campaign.config.get("year"))
    _record_issued(campaign)
    return paths


def _from_doc(doc: dict[str, Any]) -> Department:
    return Department(
        fields=dict(doc.get("fields") or {}),
        contact=doc.get("contact"),
        emails=list(doc.get("emails") or []),
        phone=doc.get("phone"),
    )


def add(
    campaign: Campaign,
    roster: Path,
    key: bytes,
    notes: list[tuple[str, str]] | None = None,
    indicators: Path | None = None,
) -> tuple[list[str], list[str]]:
    """Departments of ``roster`` not yet in the campaign get a form (with the rows of
    ``indicators``, else of the campaign's copy); the contacts of those already in it
    are updated. Returns (added codes, updated codes)."""
    spec = campaign.spec()
    people = read_roster(spec, roster, need_code=True)
    if people.ignored and notes is not None:
        from xltool.round.issue import ignored_note

        notes.append(ignored_note(roster, people.ignored))
    docs = campaign.departments()
    by_code = {d["code"]: d for d in docs}
    new = [d for d in people.departments if d.code not in by_code]
    updated = []
    for d in people.departments:
        if d.code in by_code:
            doc = by_code[d.code]
            doc.update(contact=d.contact, emails=d.emails, phone=d.phone)
            updated.append(d.code)
    source = indicators or _indicators_copy(campaign)
    table = read_indicators(spec, source) if source else Indicators()
    if table.per_department:
        everyone = Roster([*map(_from_doc, docs), *new])
        check_indicators_for(spec, table, everyone, source or Path())
    if indicators is not None:
        for old in campaign.root.glob("indicators.*"):
            old.unlink()
        shutil.copyfile(indicators, campaign.root / f"indicators{indicators.suffix.lower()}")
    campaign.save_departments(docs + [_department_doc(d) for d in new])
    if new:
        _issue(campaign, spec, key, new, table, campaign.config.get("year"))
    with Ledger(campaign.ledger_path) as ledger:
        _record_departments(campaign, ledger)
    _record_issued(campaign)
    return [d.code for d in new], updated


def exempt(campaign: Campaign, code: str, reason: str) -> None:
    docs = campaign.departments()
    for doc in docs:
        if doc["code"] == code:
            doc["exempt_reason"] = reason
            break
    else:
        campaign.department(code)  # raises
    campaign.save_departments(docs)
    with Ledger(campaign.ledger_path) as ledger:
        ledger.set_exempt(code, reason)


# --- rebuild -----------------------------------------------------------------------------
