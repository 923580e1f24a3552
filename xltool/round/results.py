"""What verify said of each stored return, kept beside the inbox (``results/<sha256>.json``)
so the roll-up of a round of thousands of forms does not verify them all again.

A cache, not a truth: an entry counts only when it was made by this xltool version, under
the same issuer key and the same specs; anything else (absent, unreadable, stale) is
verified again, and ``campaign rebuild`` may delete the folder at will. Returned files
are never written to; entries are plain JSON written atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xltool.checking.result import FileResult
from xltool.findings import Finding, jsonable
from xltool.round.folder import Campaign, read_json
from xltool.safeio import write_atomic

FOLDER = "results"


def stamp(campaign: Campaign, key: bytes | None) -> str:
    """What an entry must have been made under: xltool's version, the key, the specs."""
    from xltool import __version__
    from xltool.keys import key_id

    specs = sorted(s.source_hash for s in campaign.specs().values())
    text = json.dumps([__version__, key_id(key) if key else None, specs])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Keeper:
    """Keeps one result, under its file's sha256, in ``folder`` (made under ``made``).
    Plain values, so a verify task that carries it is the same task from one batch to the
    next (a server's kept workers serve it again)."""

    folder: str
    made: str

    def __call__(self, r: FileResult) -> None:
        if not r.sha256:
            return  # a result without one is not kept
        doc = jsonable({**_fields(r), "findings": [_fields(f) for f in r.findings]})
        text = json.dumps({"stamp": self.made, "result": doc}, ensure_ascii=False)
        target = Path(self.folder) / f"{r.sha256}.json"
        write_atomic(target, lambda h: h.write(text.encode()), True)


def keeper(campaign: Campaign, key: bytes | None) -> Keeper:
    """This campaign's :class:`Keeper` (``verify_paths(keep=…)`` has each worker keep
    the results it made, once it has answered)."""
    folder = campaign.root / FOLDER
    folder.mkdir(exist_ok=True)
    return Keeper(str(folder), stamp(campaign, key))


def keep(campaign: Campaign, results: list[FileResult], key: bytes | None) -> None:
    """Each result, under its file's sha256 (a result without one is not kept)."""
    kept_by = keeper(campaign, key)
    for r in results:
        kept_by(r)


def _fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields, not copied (``dataclasses.asdict`` deep-copies every value,
    which :func:`jsonable` then walks again: a third of the time of keeping a result)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def kept(campaign: Campaign, sha256: str, stamp_now: str) -> FileResult | None:
    """The kept result of one stored return, or None when there is none that counts."""
    path = campaign.root / FOLDER / f"{sha256}.json"
    try:
        doc = read_json(path)
        if doc.get("stamp") != stamp_now:
            return None
        return _result(doc["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _result(doc: dict[str, Any]) -> FileResult:
    fields = dict(doc)
    fields["findings"] = [Finding(**f) for f in fields.get("findings") or []]
    fields["notes"] = [tuple(n) for n in fields.get("notes") or []]
    names = {f.name for f in dataclasses.fields(FileResult)}
    return FileResult(**{k: v for k, v in fields.items() if k in names})


def results_of(
    campaign: Campaign, stored: list[tuple[Path, str]], key: bytes | None, verify: Any
) -> list[FileResult]:
    """Each stored return's result (``stored``: its path in inbox/ and its sha256, as the
    ledger has them): the kept one, else ``verify(missing paths)``, whose results are
    kept for next time. In the order given."""
    now = stamp(campaign, key)
    found = {path: kept(campaign, sha, now) for path, sha in stored}
    for path, r in found.items():
        if r is not None:
            r.path = str(path)  # where the return is now (the folder may have moved)
    missing = [path for path, r in found.items() if r is None]
    if missing:
        fresh = verify(missing)
        keep(campaign, fresh, key)
        found.update(dict(zip(missing, fresh, strict=True)))
    return [found[path] for path, _sha in stored]  # type: ignore[misc]
