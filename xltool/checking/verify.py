"""``xltool verify`` as a library: one file → a FileResult; many files → worker
processes with a time and memory bound each, so one bad file never stops a batch."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from xltool.checking.check import check
from xltool.checking.evidence import evidence_findings
from xltool.checking.pool import Pool
from xltool.checking.result import FileResult, report_json, summary
from xltool.errors import XltoolError
from xltool.findings import Finding
from xltool.forms.spec import Spec
from xltool.reading.bounded import Bounds
from xltool.reading.failures import classify_exception
from xltool.reading.read import NotAForm, Reading, SpecChoice, read_workbook
from xltool.reading.sniff import Limits, cannot_open, sniff, too_large
from xltool.safeio import InputTooLarge, OutputExists, is_regular, read_input, shown_path

if TYPE_CHECKING:
    from xltool.reading.foreign import ForeignForm

__all__ = ["Bounds", "FileResult", "collect_paths", "report_json", "summary", "verify_file"]

# Folders yield every spreadsheet a department may send; the ones that are not .xlsx
# become returns with their finding (file-legacy-format), never skipped silently.
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".et", ".ett", ".ods"}


def collect_paths(
    args: Iterable[str], exclude: Iterable[Path] = ()
) -> tuple[list[Path], list[str]]:
    """Files, directories (recursively: spreadsheets by suffix) and globs → inputs, plus
    notes about what was skipped (Excel's ~$ lock files). Anything inside ``exclude``
    (the run's own output folder) is never an input."""
    files: list[Path] = []
    notes: list[str] = []
    excluded = [p.resolve() for p in exclude]

    def outside(p: Path) -> bool:
        resolved = p.resolve()
        return not any(resolved == e or e in resolved.parents for e in excluded)

    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SPREADSHEET_SUFFIXES and not p.is_dir()
            )
        elif path.exists() or path.is_symlink():
            found = [path]  # given by name: read whatever it is (a FIFO gets a finding)
        else:
            found = sorted(Path(p) for p in glob.glob(arg, recursive=True) if not Path(p).is_dir())
            if not found:
                raise XltoolError(
                    f"找不到 {shown_path(arg)}",
                    f"no such file, directory or match: {shown_path(arg)}",
                )
        for p in found:
            if p.name.startswith("~$"):
                notes.append(str(p))
            elif p not in files and outside(p):
                files.append(p)
    return files, notes


def verify_file(
    path: Path, spec: SpecChoice = None, limits: Limits | None = None, key: bytes | None = None
) -> FileResult:
    """Check one returned workbook. Never raises for anything in the file."""
    return _verify(path, spec, limits or Limits(), key)[0]


def _verify(
    path: Path, spec: SpecChoice, limits: Limits, key: bytes | None
) -> tuple[FileResult, bytes | None]:
    """verify_file, also giving the bytes it read (once) for the annotated copy."""
    result = FileResult(path=str(path))
    try:
        data = read_input(path, limits.max_bytes)
    except InputTooLarge as exc:
        result.bytes = exc.size
        with contextlib.suppress(OSError):
            result.sha256 = _sha256_stream(path)
        result.findings = [too_large(exc.size, limits)]
        return result, None
    except OSError as exc:
        result.findings.append(cannot_open(exc))
        return result, None
    result.bytes = len(data)
    result.sha256 = hashlib.sha256(data).hexdigest()
    sniffed = sniff(data, limits)
    if sniffed.blocking:
        result.findings.append(sniffed.blocking)
        return result, None
    try:
        reading = read_workbook(data, spec)
    except NotAForm as exc:
        result.findings += [*sniffed.warnings, exc.finding]
        result.status = "invalid"
        return result, data
    except Exception as exc:
        result.findings.append(classify_exception(exc))
        return result, None
    if not isinstance(reading, Reading):  # a form xltool did not issue
        return _verify_foreign(result, reading, spec, sniffed.warnings), data
    try:
        findings, totals, _ = check(reading)
        result.signature, evidence = evidence_findings(reading, key)
    except Exception as exc:
        result.findings.append(classify_exception(exc))
        return result, None
    result.findings = [*sniffed.warnings, *findings, *evidence]
    result.issue_id = reading.meta.get("issue_id") or None
    result.issued_to = reading.meta.get("department") or None
    result.issued_code = reading.meta.get("code") or None
    result.saved_at = reading.saved_at
    result.kind = reading.spec.kind
    result.spec_version = reading.spec.version
    identity = reading.spec.identity
    dept = reading.values.get(identity.name) if identity.name else None
    result.department = str(dept) if dept is not None else reading.meta.get("department") or None
    year = reading.values.get(identity.year) if identity.year else None
    result.year = (
        int(year) if isinstance(year, int | float) and not isinstance(year, bool) else None
    )
    result.totals = totals.as_dict()
    result.status = "invalid" if result.errors else "ok"
    result.data = {
        "fields": reading.values,
        "indicators": [r.values for r in reading.indicators],
    }
    return result, data


def forced_kind(choice: SpecChoice) -> Spec | None:
    """The kind a foreign form must be read as: the one given, or a round's only kind."""
    if choice is None or isinstance(choice, Spec):
        return choice
    return next(iter(choice.values())) if len(choice) == 1 else None


def _verify_foreign(
    result: FileResult, form: ForeignForm, spec: SpecChoice, warnings: list[Finding]
) -> FileResult:
    """A form xltool did not issue: its kind by what it carries (or as given), every
    stated figure held against its recomputed value (:mod:`xltool.reading.stated`)."""
    from xltool.reading.foreign import number
    from xltool.reading.stated import check_stated, decide_kind

    try:
        kind, evidence, sure = decide_kind(form, forced_kind(spec))
        stated = check_stated(form, kind, evidence, sure)
    except Exception as exc:
        result.findings.append(classify_exception(exc))
        return result
    identity = kind.identity
    result.findings = [*warnings, *stated.findings]
    result.kind, result.spec_version = kind.kind, kind.version
    result.signature = "none"
    name = form.fields.get(identity.name) if identity.name else None
    result.department = str(name).strip() if name not in (None, "") else None
    year = number(form.fields.get(identity.year)) if identity.year else None
    result.year = int(year) if year is not None and year.is_integer() else None
    result.totals = stated.totals
    result.status = "invalid" if result.errors else "ok"
    result.reading = {"mode": "foreign", "kind_evidence": evidence, "kind_sure": sure}
    result.data = {
        "fields": dict(form.fields),
        "indicators": [dict(line.values) for line in form.indicators],
    }
    return result


def _sha256_stream(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Task:
    """What a worker does with each file: verify it and, when given a target, write its
    annotated copy there, within the same bounds as the read."""

    spec: SpecChoice
    limits: Limits
    key: bytes | None
    lang: str = "zh"
    force: bool = False
    findings_only: bool = False  # annotate only files that have findings
    keep: Callable[[FileResult], None] | None = None  # given each result once it is sent

    def run(self, path: Path, annotate_to: Path | None) -> FileResult:
        result, data = _verify(path, self.spec, self.limits, self.key)
        if annotate_to is not None and (result.findings or not self.findings_only):
            _annotate(result, data, annotate_to, self.lang, self.force)
        return result

    def after_reply(self, result: FileResult) -> None:
        """In the worker, once the result is on its way: ``keep`` it (a cache of what
        verify said; writing it here keeps it off the caller's path)."""
        if self.keep is not None:
            with contextlib.suppress(Exception):  # a cache not written loses nothing
                self.keep(result)


def _annotate(result: FileResult, data: bytes | None, target: Path, lang: str, force: bool) -> None:
    """The annotated copy, or a note saying why there is none; never an exception."""
    from xltool.checking.annotate import annotate

    try:
        if data is not None and annotate(result, data, target, lang, force):
            result.annotated = str(target)
        else:
            result.note(
                "文件无法打开，未生成标注副本", "the file cannot be opened; no annotated copy"
            )
    except OutputExists:
        result.note(
            f"标注副本 {shown_path(target)} 已存在，未覆盖（覆盖请加 --force）",
            f"the annotated copy {shown_path(target)} exists; not replaced (use --force)",
        )
    except Exception as exc:  # a copy that cannot be written never loses the report
        detail = f"{type(exc).__name__}: {exc}"[:200]
        result.note(
            f"标注副本无法写入（{detail}）", f"the annotated copy cannot be written ({detail})"
        )


def verify_paths(
    paths: list[Path],
    *,
    spec: SpecChoice = None,
    limits: Limits | None = None,
    jobs: int | None = None,
    bounds: Bounds | None = None,
    progress: Callable[[FileResult], None] | None = None,
    key: bytes | None = None,
    annotate: dict[Path, Path] | None = None,
    lang: str = "zh",
    force: bool = False,
    annotate_findings_only: bool = False,
    batch: bool = True,
    keep: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Verify files in ``jobs`` worker processes, each file within ``bounds`` (and its
    annotated copy, for the paths ``annotate`` maps to a target). Results come back in
    the order of ``paths``. Nothing reads an input outside a worker. ``batch``: add what
    only a batch shows (one form returned twice, a file named for another department).
    ``keep``: given each result verified in a worker, by the worker, after it answered."""
    limits = limits or Limits()
    annotate = annotate or {}
    results: dict[int, FileResult] = {}

    def done(index: int, result: FileResult) -> None:
        results[index] = result
        if progress:
            progress(result)

    pending = []
    for index, path in enumerate(paths):
        if is_regular(path):
            pending.append((index, path, annotate.get(path)))
        else:  # a pipe, device or socket would block whoever opens it: never opened
            result = FileResult(path=str(path))
            result.findings.append(cannot_open(_not_regular(path)))
            done(index, result)
    task = Task(spec, limits, key, lang, force, annotate_findings_only, keep)
    Pool(task, bounds or Bounds(), jobs).run(pending, done)
    ordered = [results[i] for i in range(len(paths))]
    if batch:  # a campaign keeps every return; its ledger, not a batch, decides
        batch_findings(ordered)
    return ordered


def _not_regular(path: Path) -> OSError:
    from xltool.safeio import NotARegularFile

    if not path.exists():
        return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    return NotARegularFile("not a regular file")


def batch_findings(results: list[FileResult]) -> None:
    """What only a batch shows: one issued form returned twice (by its issue id), and a
    file whose name claims another department of the batch."""
    by_issue: dict[str, list[FileResult]] = {}
    for r in results:
        if r.issue_id:
            by_issue.setdefault(r.issue_id, []).append(r)
    for issue_id, same_form in by_issue.items():
        if len(same_form) > 1:
            paths = [r.shown for r in same_form]
            for r in same_form:
                others = "、".join(p for p in paths if p != r.shown)
                r.findings.append(Finding("duplicate-return", found=others, expected=issue_id[:12]))
    names = {r.issued_to for r in results if r.issued_to}
    for r in results:
        if not r.issued_to:
            continue
        stem = Path(r.path).stem
        claimed = [n for n in names if n != r.issued_to and n in stem and r.issued_to not in stem]
        if claimed:
            r.findings.append(
                Finding(
                    "issued-elsewhere",
                    sheet=None,
                    field="file_name",
                    found=stem,
                    expected=r.issued_to,
                    context={"place_zh": "文件名", "place_en": "file name"},
                )
            )


def annotate_targets(files: list[Path], out_dir: Path) -> dict[Path, Path]:
    """Where each input's annotated copy goes: ``<stem>-校验.xlsx`` in ``out_dir``,
    unique within the run; never an input's own path."""
    from xltool.safeio import safe_stem, unique_names

    inputs = {f.resolve() for f in files}
    names = unique_names([safe_stem(Path(shown_path(f)).stem) + "-校验" for f in files], ".xlsx")
    return {
        f: out_dir / name
        for f, name in zip(files, names, strict=True)
        if (out_dir / name).resolve() not in inputs
    }
