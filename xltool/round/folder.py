"""A campaign: one round of 绩效自评, as a folder.

    campaign.yaml      the forms asked for and their kinds, spec identity and hash, year,
                       title, deadline, key id (no secrets)
    departments.json   the roster as issued: codes, names, contacts, exemptions
    projects.json      the project list as issued: codes, names, departments, exemptions
    spec/              a copy of each spec the forms were issued from (and its parents)
    indicators.*       a copy of the indicators file (for departments added later)
    project-indicators.*  a copy of the project indicators file
    issued/            the signed forms, each with a JSON sidecar: one folder per
                       department holding its department form and one form per project
                       (a round made before project forms: one workbook per department)
    inbox/             every returned file exactly as received, stored once by content
                       hash, never modified, each with a JSON sidecar
    annotated/         annotated copies of returns that have findings
    ledger.sqlite      the index of all of the above (rebuilt from them on demand)

The folder is the truth; the ledger is its index.
"""

from __future__ import annotations

import json
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from xltool.errors import XltoolError
from xltool.forms.kinds import load_spec
from xltool.forms.spec import Spec
from xltool.keys import key_id, load_key
from xltool.paths import key_path
from xltool.round.formset import DEPT, PROJECT, FormRef, split_form_id
from xltool.round.ledger import Ledger
from xltool.safeio import safe_stem, write_atomic

T = TypeVar("T")
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


_MADE: dict[tuple[Path, str], tuple[tuple[int, int, int], Any]] = {}
_MADE_LOCK = threading.Lock()


def made_from(path: Path, name: str, make: Callable[[], T]) -> T:
    """``make()``, what ``name`` derives from the file at ``path``, made again only when
    that file changed (by inode, mtime and size: the campaign's JSON files are replaced
    whole, never edited in place). A long-lived process (``xltool serve``) would
    otherwise read and work out the same file for every request. Callers do not modify
    what it returns. A missing file, or one changed in the last two seconds, is not kept:
    file times are coarse (a few ms) and inode numbers reused, so two quick replacements
    could look like none (as git treats its "racily clean" entries)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return make()
    if time.time_ns() - st.st_mtime_ns < 2_000_000_000:
        return make()
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    with _MADE_LOCK:
        held = _MADE.get((path, name))
    if held is not None and held[0] == stamp:
        return held[1]
    made = make()
    with _MADE_LOCK:
        _MADE[(path, name)] = (stamp, made)
    return made


def read_kept(path: Path) -> Any:
    """A JSON file the campaign keeps beside its ledger (assignments, portal links): None
    when there is none yet; one clear line when it cannot be read."""
    from xltool.safeio import shown_path

    try:
        return read_json(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise XltoolError(
            f"{shown_path(path)} 无法读取：{exc}", f"{shown_path(path)}: unreadable: {exc}"
        ) from None


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
        """The ledger as it is; :func:`xltool.round.rebuild.open_ledger` remakes a missing one."""
        return Ledger(self.ledger_path)

    def spec(self, role: str | None = None) -> Spec:
        """The spec of one role's forms (default: the round's first kind)."""
        kind = self.kinds[role] if role else self.config["kind"]
        return load_spec(self.root / "spec" / f"{kind}.yaml")

    @property
    def roles(self) -> list[str]:
        """The forms this round asks for: ``dept``, ``project`` or both."""
        return list(self.config.get("forms") or [DEPT])

    @property
    def kinds(self) -> dict[str, str]:
        """Role → the kind its forms are (``{dept: dept-overall, project: project}``)."""
        return dict(self.config.get("kinds") or {DEPT: self.config["kind"]})

    def specs(self) -> dict[str, Spec]:
        """Every kind of this round's forms, by kind name (what its returns are read as)."""
        return {kind: self.spec(role) for role, kind in self.kinds.items()}

    def role_of(self, kind: str | None) -> str | None:
        return next((r for r, k in self.kinds.items() if k == kind), None)

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

    def projects(self) -> list[dict[str, Any]]:
        path = self.root / "projects.json"
        return read_json(path) if path.is_file() else []

    def save_projects(self, projects: list[dict[str, Any]]) -> None:
        write_json(self.root / "projects.json", projects)

    def forms(self) -> list[FormRef]:
        """Every form of the round, department by department: its own form, then one per
        project in the list's order."""
        by_department: dict[str, list[dict[str, Any]]] = {}
        for p in self.projects():
            by_department.setdefault(p["department"], []).append(p)
        out = []
        for d in self.departments():
            if DEPT in self.roles:
                out.append(FormRef(d["code"]))
            for p in by_department.get(d["code"], []) if PROJECT in self.roles else []:
                out.append(FormRef(d["code"], PROJECT, p["code"], p["name"]))
        return out

    def form(self, text: str) -> FormRef:
        """One form by its id (``D01``, ``D01/P0003``); a usage error naming it otherwise."""
        department, project = split_form_id(text)
        department = self.department(department)["code"]
        for ref in self.forms():
            if ref.department == department and ref.project == project:
                return ref
        raise XltoolError(
            f"表单「{text}」不在本批次中", f"the form '{text}' is not in this campaign"
        )

    def department(self, code: str) -> dict[str, Any]:
        plain = "".join(unicodedata.normalize("NFKC", code).split())
        for d in self.departments():
            if d["code"] == code or d["code"] == plain:
                return d
        raise XltoolError(
            f"部门编码「{code}」不在本批次名单中",
            f"department code '{code}' is not in this campaign",
        )


# --- init ------------------------------------------------------------------------------


NAME_BYTES = 150  # a stored name's part, in UTF-8: with its hash, "-校验" or ".json", < 255


def safe_name(original: str) -> str:
    """A stored file's name part: the original name, made safe for every system and
    short enough for every file system (a long Chinese name is cut at a character; the
    sidecar keeps it whole)."""
    path = Path(original)
    suffix, stem = path.suffix.lower(), path.stem
    if not (suffix[1:].isascii() and suffix[1:].isalnum() and len(suffix) <= 9):
        suffix, stem = ".xlsx", path.name  # no suffix, or a "suffix" that is most of the name
    stem = safe_stem(stem, "return")
    room = NAME_BYTES - len(suffix)
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ")
    return (stem or "return") + suffix


class LedgerLocked(XltoolError):
    """The ledger stayed locked by another program for longer than the wait."""


@contextmanager
def ledger_guard(campaign: Campaign) -> Iterator[None]:
    """A ledger another program keeps locked past the wait (``XLTOOL_LEDGER_WAIT``
    seconds) ends the command with one line (exit 2), not a traceback. Files already
    stored in inbox/ stay, with their sidecars: the next run records them."""
    import sqlite3

    from xltool.round.ledger import wait_seconds
    from xltool.safeio import shown_path

    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        shown, wait = shown_path(campaign.ledger_path), wait_seconds()
        raise LedgerLocked(
            f"台账 {shown} 被另一个程序占用，等了 {wait:g} 秒仍未释放：请关闭正在使用它的程序"
            "（另一个 xltool、DB Browser 等）后再运行；已存入 inbox/ 的文件不会丢失",
            f"the ledger {shown} is held by another program and was still locked after "
            f"{wait:g} s: close the program using it (another xltool, DB Browser …) and run "
            "again; files already stored in inbox/ are kept",
        ) from None
