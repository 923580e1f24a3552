"""``xltool verify`` as a library: one file → a FileResult; many files → worker
processes with a time and memory bound each, so one bad file never stops a batch."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import multiprocessing
import os
import sys
import time
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from . import __version__
from .check import check
from .errors import XltoolError
from .evidence import evidence_findings
from .findings import Finding
from .read import NotAForm, read_form
from .sniff import Limits, sniff, unreadable
from .spec import Spec

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass
class FileResult:
    path: str
    sha256: str = ""
    bytes: int = 0
    status: str = "unreadable"  # ok | invalid | unreadable
    kind: str | None = None
    spec_version: int | None = None
    department: str | None = None
    year: int | None = None
    totals: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] | None = None
    signature: str | None = None  # valid-hmac, valid-hash, invalid, unverified, absent, none
    issue_id: str | None = None
    issued_to: str | None = None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "status": self.status,
            "kind": self.kind,
            "spec_version": self.spec_version,
            "department": self.department,
            "year": self.year,
            "totals": self.totals,
            "signature": self.signature,
            "findings": [f.to_json(lang) for f in self.findings],
        }


@dataclass(frozen=True)
class Bounds:
    seconds: float = 60.0
    memory: int = 2 * 1024**3


def collect_paths(args: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Files, directories (recursively: *.xlsx, *.xlsm) and globs → files, plus notes
    about what was skipped (Excel's ~$ lock files)."""
    files: list[Path] = []
    notes: list[str] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SPREADSHEET_SUFFIXES
            )
        elif path.exists():
            found = [path]
        else:
            found = sorted(Path(p) for p in glob.glob(arg, recursive=True) if Path(p).is_file())
            if not found:
                raise XltoolError(f"找不到 {arg}", f"no such file, directory or match: {arg}")
        for p in found:
            if p.name.startswith("~$"):
                notes.append(str(p))
            elif p not in files:
                files.append(p)
    return files, notes


def verify_file(
    path: Path, spec: Spec | None = None, limits: Limits | None = None, key: bytes | None = None
) -> FileResult:
    """Check one returned workbook. Never raises for anything in the file."""
    limits = limits or Limits()
    result = FileResult(path=str(path))
    try:
        data = path.read_bytes() if path.stat().st_size <= limits.max_bytes else None
        result.bytes = path.stat().st_size
        result.sha256 = (
            hashlib.sha256(data).hexdigest() if data is not None else _sha256_stream(path)
        )
    except OSError as exc:
        result.findings.append(
            unreadable(f"无法读取文件（{exc.strerror}）", f"cannot read the file ({exc.strerror})")
        )
        return result
    sniffed = sniff(path, limits)
    if sniffed.blocking:
        result.findings.append(sniffed.blocking)
        return result
    try:
        reading = read_form(path, spec)
    except NotAForm as exc:
        result.findings += [*sniffed.warnings, exc.finding]
        result.status = "invalid"
        return result
    except Exception as exc:
        result.findings.append(classify_exception(exc))
        return result
    findings, totals, _ = check(reading)
    result.signature, evidence = evidence_findings(reading, key)
    result.findings = [*sniffed.warnings, *findings, *evidence]
    result.issue_id = reading.meta.get("issue_id") or None
    result.issued_to = reading.meta.get("department") or None
    result.kind = reading.spec.kind
    result.spec_version = reading.spec.version
    dept = reading.values.get("department") or reading.values.get("project_name")
    result.department = str(dept) if dept is not None else reading.meta.get("department") or None
    year = reading.values.get("year")
    result.year = (
        int(year) if isinstance(year, int | float) and not isinstance(year, bool) else None
    )
    result.totals = totals.as_dict()
    result.status = "invalid" if result.errors else "ok"
    result.data = {
        "fields": reading.values,
        "indicators": [r.values for r in reading.indicators],
    }
    return result


def _sha256_stream(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# Exceptions openpyxl is known to raise on damaged files, and what they mean.
_KNOWN: list[tuple[type[BaseException], str, str]] = [
    (zipfile.BadZipFile, "zip 包已损坏", "a damaged zip package"),
    (zlib.error, "压缩数据已损坏", "corrupt compressed data"),
    (KeyError, "缺少工作簿中引用的部件", "a part the workbook refers to is missing"),
    (
        IndexError,
        "样式或共享字符串的编号超出范围",
        "a style or shared-string index is out of range",
    ),
    (ParseError, "XML 格式错误", "malformed XML"),
    (
        DefusedXmlException,
        "XML 含有被禁止的结构（DTD/实体）",
        "forbidden XML constructs (DTD/entities)",
    ),
    (NotImplementedError, "使用了不支持的特性", "an unsupported feature"),
    (EOFError, "文件被截断", "the file is truncated"),
    (TypeError, "部件内容无效", "invalid part content"),
    (ValueError, "单元格或部件的值无效", "invalid cell or part values"),
    (OSError, "无效的工作簿部件", "an invalid workbook part"),
]


def classify_exception(exc: BaseException) -> Finding:
    chain = [exc, exc.__cause__, exc.__context__]
    for candidate in chain:
        if candidate is None:
            continue
        if isinstance(candidate, MemoryError):
            return unreadable("读取时内存超出上限", "the memory bound was exceeded while reading")
        for kind, zh, en in _KNOWN:
            if isinstance(candidate, kind):
                detail = str(candidate)[:200]
                return unreadable(f"{zh}（{detail}）", f"{en} ({detail})")
    detail = f"{type(exc).__name__}: {exc}"[:300]
    return unreadable(f"意外错误：{detail}", f"unexpected error: {detail}", internal=True)


def _worker(spec: Spec | None, limits: Limits, key: bytes | None, memory: int, conn: Any) -> None:
    """A worker process: bound its memory, then verify each path it is sent until it
    is sent None. One process serves many files; the parent replaces it if it dies or
    overruns."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):  # not on Windows; bounds by time only
        pass
    while True:
        path = conn.recv()
        if path is None:
            break
        try:
            result = verify_file(Path(path), spec, limits, key)
        except BaseException as exc:  # verify_file does not raise; this is the last net
            result = FileResult(path=path)
            result.findings.append(
                unreadable(
                    f"意外错误：{exc!r}"[:300], f"unexpected error: {exc!r}"[:300], internal=True
                )
            )
            traceback.print_exc(file=sys.stderr)
        conn.send(result)
    conn.close()


@dataclass
class _Slot:
    proc: Any
    conn: Any
    job: tuple[int, Path] | None = None
    started: float = 0.0


def verify_paths(
    paths: list[Path],
    *,
    spec: Spec | None = None,
    limits: Limits | None = None,
    jobs: int | None = None,
    bounds: Bounds | None = None,
    progress: Callable[[FileResult], None] | None = None,
    key: bytes | None = None,
) -> list[FileResult]:
    """Verify files in ``jobs`` worker processes, each file within ``bounds``.
    Results come back in the order of ``paths``."""
    limits = limits or Limits()
    bounds = bounds or Bounds()
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)

    def start() -> _Slot:
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_worker, args=(spec, limits, key, bounds.memory, child), daemon=True
        )
        proc.start()
        child.close()
        return _Slot(proc, parent)

    results: dict[int, FileResult] = {}
    pending = list(enumerate(paths))[::-1]
    slots = [start() for _ in range(jobs)]

    def finish(slot: _Slot, result: FileResult) -> None:
        assert slot.job is not None
        index, path = slot.job
        if not result.sha256:
            with contextlib.suppress(OSError):
                result.sha256, result.bytes = _sha256_stream(path), path.stat().st_size
        results[index] = result
        slot.job = None
        if progress:
            progress(result)

    try:
        while pending or any(s.job for s in slots):
            for i, slot in enumerate(slots):
                if slot.job is None and pending:
                    slot.job = pending.pop()
                    slot.started = time.monotonic()
                    try:
                        slot.conn.send(str(slot.job[1]))
                    except (BrokenPipeError, OSError):
                        slots[i] = _replace(slot, start, finish, _died(slot.job[1], slot.proc))
            busy = [s for s in slots if s.job]
            ready = wait([s.conn for s in busy], timeout=0.5) if busy else []
            now = time.monotonic()
            for i, slot in enumerate(slots):
                if slot.job is None:
                    continue
                if slot.conn in ready:
                    try:
                        finish(slot, slot.conn.recv())
                    except (EOFError, OSError):
                        slots[i] = _replace(slot, start, finish, _died(slot.job[1], slot.proc))
                elif now - slot.started > bounds.seconds:
                    result = FileResult(path=str(slot.job[1]))
                    result.findings.append(
                        unreadable(
                            f"读取超过 {bounds.seconds:g} 秒上限，已停止",
                            f"reading took longer than the {bounds.seconds:g} s bound and was stopped",
                        )
                    )
                    slots[i] = _replace(slot, start, finish, result)
    finally:
        for slot in slots:
            with contextlib.suppress(OSError, ValueError):
                slot.conn.send(None)
            slot.proc.join(timeout=5)
            if slot.proc.is_alive():
                slot.proc.kill()
            slot.conn.close()
    ordered = [results[i] for i in range(len(paths))]
    batch_findings(ordered)
    return ordered


def batch_findings(results: list[FileResult]) -> None:
    """What only a batch shows: one issued form returned twice (by its issue id), and a
    file whose name claims another department of the batch."""
    by_issue: dict[str, list[FileResult]] = {}
    for r in results:
        if r.issue_id:
            by_issue.setdefault(r.issue_id, []).append(r)
    for issue_id, same_form in by_issue.items():
        if len(same_form) > 1:
            paths = [r.path for r in same_form]
            for r in same_form:
                others = "、".join(p for p in paths if p != r.path)
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


def _replace(
    slot: _Slot,
    start: Callable[[], _Slot],
    finish: Callable[[_Slot, FileResult], None],
    result: FileResult,
) -> _Slot:
    """Record the slot's file as failed, end its worker and start a fresh one."""
    slot.proc.kill()
    slot.proc.join(timeout=5)
    finish(slot, result)
    slot.conn.close()
    return start()


def _died(path: Path, proc: Any) -> FileResult:
    proc.join(timeout=5)
    result = FileResult(path=str(path))
    result.findings.append(
        unreadable(
            f"读取进程异常退出（退出码 {proc.exitcode}，可能超出内存上限）",
            f"the reading process died (exit code {proc.exitcode}; memory bound exceeded?)",
        )
    )
    return result


def report_json(results: list[FileResult], lang: str = "zh") -> dict[str, Any]:
    """The documented JSON report (keys are stable)."""
    return {
        "xltool": __version__,
        "files": [r.to_json(lang) for r in results],
        "summary": summary(results),
    }


def summary(results: list[FileResult]) -> dict[str, int]:
    return {
        "files": len(results),
        "ok": sum(r.status == "ok" for r in results),
        "invalid": sum(r.status == "invalid" for r in results),
        "unreadable": sum(r.status == "unreadable" for r in results),
    }
