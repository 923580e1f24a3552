"""A campaign: one round of 绩效自评, as a folder.

    campaign.yaml      kind, spec identity and hash, year, title, deadline, key id (no secrets)
    departments.json   the roster as issued: codes, names, contacts, exemptions
    spec/              a copy of the spec the forms were issued from (and its parents)
    indicators.*       a copy of the indicators file (for departments added later)
    issued/            one signed workbook per department, each with a JSON sidecar
    inbox/             every returned file exactly as received, stored once by content
                       hash, never modified, each with a JSON sidecar
    annotated/         annotated copies of returns that have findings
    ledger.sqlite      the index of all of the above (rebuilt from them on demand)

The folder is the truth; the ledger is its index.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from .errors import XltoolError
from .issue import file_stem, issue_forms
from .keys import init_key, key_id, load_key
from .ledger import Ledger
from .model import FormData
from .paths import key_path
from .roster import (
    Department,
    Indicators,
    Roster,
    agreed_year,
    check_indicators_for,
    read_indicators,
    read_roster,
)
from .safeio import safe_stem, unique_names, write_atomic
from .spec import Spec, kind_paths, load_spec

CAMPAIGN_FILE = "campaign.yaml"
FORMAT = 1
DEFAULT_ZONE = "Asia/Shanghai"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def write_json(path: Path, document: Any, force: bool = True) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    write_atomic(path, lambda h: h.write(text.encode("utf-8")), force)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Campaign:
    root: Path
    config: dict[str, Any]

    # --- finding and opening -----------------------------------------------------------

    @classmethod
    def find(cls, explicit: Path | None = None) -> Campaign:
        """``--campaign DIR``, else the current directory or the nearest parent holding
        campaign.yaml (as git finds a repository)."""
        if explicit is not None:
            if not (explicit / CAMPAIGN_FILE).is_file():
                raise XltoolError(
                    f"{explicit} 不是发放批次目录（没有 {CAMPAIGN_FILE}）",
                    f"{explicit} is not a campaign folder (no {CAMPAIGN_FILE})",
                )
            return cls.open(explicit)
        here = Path.cwd().resolve()
        for folder in (here, *here.parents):
            if (folder / CAMPAIGN_FILE).is_file():
                return cls.open(folder)
        raise XltoolError(
            f"当前目录及其上级目录中没有发放批次（{CAMPAIGN_FILE}）；请进入批次目录，"
            "或用 --campaign 指定，或先用 xltool campaign init 创建",
            f"no campaign here or in any parent folder ({CAMPAIGN_FILE}); cd into one, "
            "pass --campaign DIR, or create one with xltool campaign init",
        )

    @classmethod
    def open(cls, root: Path) -> Campaign:
        try:
            config = yaml.safe_load((root / CAMPAIGN_FILE).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise XltoolError(
                f"{root / CAMPAIGN_FILE} 无法读取：{exc}",
                f"{root / CAMPAIGN_FILE}: unreadable: {exc}",
            ) from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise XltoolError(
                f"{root / CAMPAIGN_FILE} 不是本版本 xltool 的批次文件",
                f"{root / CAMPAIGN_FILE} is not a campaign file of this xltool version",
            )
        return cls(root.resolve(), config)

    @property
    def issued_dir(self) -> Path:
        return self.root / "issued"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def annotated_dir(self) -> Path:
        return self.root / "annotated"

    @property
    def ledger_path(self) -> Path:
        return self.root / "ledger.sqlite"

    def ledger(self) -> Ledger:
        if not self.ledger_path.exists():
            rebuild(self)
        return Ledger(self.ledger_path)

    def spec(self) -> Spec:
        return load_spec(self.root / "spec" / f"{self.config['kind']}.yaml")

    def key(self, key_file: Path | None = None) -> bytes:
        """The issuer key this campaign's forms were signed with; exit 2 naming the key
        id it needs when it is missing or another one."""
        wanted = self.config.get("key_id")
        key = load_key(key_file)
        if key is None or key_id(key) != wanted:
            found = f"（找到的是 {key_id(key)}）" if key else ""
            found_en = f" (found {key_id(key)})" if key else ""
            raise XltoolError(
                f"需要签发本批次表单的密钥 {wanted}{found}：请用 --key-file 指定，"
                f"或放在 {key_path(key_file)}",
                f"this campaign needs the issuer key {wanted}{found_en}; pass it with "
                f"--key-file or put it at {key_path(key_file)}",
            )
        return key

    @property
    def deadline(self) -> date | None:
        value = self.config.get("deadline")
        if value in (None, ""):
            return None
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    @property
    def zone(self) -> str:
        return str(self.config.get("timezone") or DEFAULT_ZONE)

    def deadline_end(self) -> datetime | None:
        """The end of the deadline day (inclusive) in the campaign's time zone."""
        if self.deadline is None:
            return None
        from zoneinfo import ZoneInfo

        start = datetime.combine(self.deadline + timedelta(days=1), datetime.min.time())
        return start.replace(tzinfo=ZoneInfo(self.zone))

    # --- departments ----------------------------------------------------------------

    def departments(self) -> list[dict[str, Any]]:
        return read_json(self.root / "departments.json")

    def save_departments(self, departments: list[dict[str, Any]]) -> None:
        write_json(self.root / "departments.json", departments)

    def department(self, code: str) -> dict[str, Any]:
        for d in self.departments():
            if d["code"] == code:
                return d
        raise XltoolError(
            f"部门编码「{code}」不在本批次名单中",
            f"department code '{code}' is not in this campaign",
        )


# --- init ------------------------------------------------------------------------------


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
            from .issue import ignored_note

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
        from .spec import load_builtin

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
        from .issue import ignored_note

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


def _record_departments(campaign: Campaign, ledger: Ledger) -> None:
    for doc in campaign.departments():
        ledger.put_department(
            doc["code"],
            doc["department"],
            doc.get("contact"),
            list(doc.get("emails") or []),
            doc.get("phone"),
            doc.get("exempt_reason"),
        )


def _record_issued(campaign: Campaign, ledger: Ledger | None = None) -> None:
    """Every issued form's sidecar into the ledger (each once: ids are unique)."""
    if ledger is None:
        with Ledger(campaign.ledger_path) as own:
            _record_issued(campaign, own)
        return
    for sidecar in sorted(campaign.issued_dir.glob("*.json")):
        doc = read_json(sidecar)
        ledger.put_issued(
            doc["issue_id"], doc["code"], doc["file"], doc["sha256"], doc["issued_at"]
        )


def rebuild(
    campaign: Campaign, key: bytes | None = None, progress: Callable[[Any], None] | None = None
) -> None:
    """Recreate ledger.sqlite from the folder alone: departments.json, issued/ and its
    sidecars, inbox/ and its sidecars (each return verified again)."""
    from .intake import record_stored, stored_sidecars

    tmp = campaign.root / f".ledger-rebuild-{os.getpid()}.sqlite"
    for stale in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        stale.unlink(missing_ok=True)
    with Ledger(tmp) as ledger:
        _record_departments(campaign, ledger)
        _record_issued(campaign, ledger)
        for sidecar in sorted((campaign.root / "outbox").glob("*.json")):
            ledger.put_message(read_json(sidecar))  # before the returns: replies match by them
        docs = sorted(
            (
                d
                for d in stored_sidecars(campaign).values()
                if (campaign.inbox / d["file"]).exists()
            ),
            key=lambda d: d["file"],
        )
        record_stored(campaign, ledger, docs, key=key, progress=progress)
        ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(str(campaign.ledger_path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, campaign.ledger_path)


def safe_name(original: str) -> str:
    """A stored file's name part: the original name, made safe for every system."""
    path = Path(original)
    return safe_stem(path.stem, "return") + (path.suffix.lower() or ".xlsx")
