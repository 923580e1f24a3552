"""Worker processes for a batch: each file is handled in a process whose memory is
bounded, within a time bound; a worker that dies or overruns is replaced and its file
gets a finding, so one bad file never stops the rest."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Protocol

from xltool.checking.result import FileResult
from xltool.reading.bounded import Bounds, context, limit_memory
from xltool.reading.sniff import unreadable
from xltool.safeio import is_regular, read_input

Job = tuple[int, Path, Path | None]  # index, input, where its annotated copy goes


class Task(Protocol):
    limits: Any

    def run(self, path: Path, annotate_to: Path | None) -> FileResult: ...

    def after_reply(self, result: FileResult) -> None: ...


def _worker(task: Task, memory: int, conn: Any) -> None:
    """A worker process: bound its memory, then run the task on each path it is sent
    until it is sent None. One process serves many files; the parent replaces it if it
    dies or overruns."""
    limit_memory(memory)
    while True:
        job = conn.recv()
        if job is None:
            break
        path, annotate_to = job
        try:
            result = task.run(Path(path), Path(annotate_to) if annotate_to else None)
        except BaseException as exc:  # the task does not raise; this is the last net
            result = FileResult(path=path)
            result.findings.append(
                unreadable(
                    f"意外错误：{exc!r}"[:300], f"unexpected error: {exc!r}"[:300], internal=True
                )
            )
            traceback.print_exc(file=sys.stderr)
        conn.send(result)
        task.after_reply(result)
    conn.close()


@dataclass
class _Slot:
    proc: Any
    conn: Any
    job: Job | None = None
    started: float = 0.0


class Pool:
    """``jobs`` workers running ``task``; :meth:`run` hands out files and collects
    results, replacing any worker that dies or takes longer than ``bounds.seconds``."""

    def __init__(self, task: Task, bounds: Bounds, jobs: int | None = None) -> None:
        self.task, self.bounds, self.jobs = task, bounds, jobs
        self.ctx = context()
        self.slots: list[_Slot] = []

    def run(self, jobs: list[Job], done: Callable[[int, FileResult], None]) -> None:
        pending = list(reversed(jobs))
        self.done = done
        count = max(1, min(self.jobs or os.cpu_count() or 1, len(pending) or 1))
        self.slots = _take_parked(self.task, count) if _KEEP["on"] and pending else []
        self.slots += [self._start() for _ in range(count - len(self.slots))] if pending else []
        try:
            while pending or any(s.job for s in self.slots):
                self._hand_out(pending)
                self._collect()
        finally:
            if _KEEP["on"]:
                _park(self.task, self.slots)
            else:
                self._close()

    def _start(self) -> _Slot:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(
            target=_worker, args=(self.task, self.bounds.memory, child), daemon=True
        )
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def _hand_out(self, pending: list[Job]) -> None:
        for i, slot in enumerate(self.slots):
            if slot.job is None and pending:
                slot.job = pending.pop()
                slot.started = time.monotonic()
                _, path, target = slot.job
                try:
                    slot.conn.send((str(path), str(target) if target else None))
                except (BrokenPipeError, OSError):
                    self._replace(i, _died(path, slot.proc))

    def _collect(self) -> None:
        busy = [s for s in self.slots if s.job]
        ready = wait([s.conn for s in busy], timeout=0.5) if busy else []
        now = time.monotonic()
        for i, slot in enumerate(self.slots):
            if slot.job is None:
                continue
            if slot.conn in ready:
                try:
                    self._finish(slot, slot.conn.recv())
                except (EOFError, OSError):
                    self._replace(i, _died(slot.job[1], slot.proc))
            elif now - slot.started > self.bounds.seconds:
                self._replace(i, _overran(slot.job[1], self.bounds.seconds))

    def _finish(self, slot: _Slot, result: FileResult) -> None:
        assert slot.job is not None
        index, path, _ = slot.job
        if not result.sha256 and is_regular(path):
            # a worker that died or overran: the hash of what it was given, if that is
            # a regular file within the size bound (never read unbounded again); kept
            # here, as a worker keeps what it made
            with contextlib.suppress(OSError):
                data = read_input(path, self.task.limits.max_bytes)
                result.sha256, result.bytes = hashlib.sha256(data).hexdigest(), len(data)
                self.task.after_reply(result)
        slot.job = None
        self.done(index, result)

    def _replace(self, i: int, result: FileResult) -> None:
        """Record the slot's file as failed, end its worker and start a fresh one."""
        slot = self.slots[i]
        slot.proc.kill()
        slot.proc.join(timeout=5)
        self._finish(slot, result)
        slot.conn.close()
        self.slots[i] = self._start()

    def _close(self) -> None:
        for slot in self.slots:
            with contextlib.suppress(OSError, ValueError):
                slot.conn.send(None)
            slot.proc.join(timeout=5)
            if slot.proc.is_alive():
                slot.proc.kill()
            slot.conn.close()


# --- workers kept between runs (a long-lived process: xltool serve) ------------------------
# A one-shot command starts its workers and ends them with its batch. A server verifies one
# upload at a time, and starting a worker (a fork) for each would cost more than the
# verification: it keeps idle workers of a run for the next run of the same task (the same
# spec, key, bounds and language; a worker is started with its task). Each file is still
# read within the time bound by a worker whose memory is bounded.

_KEEP: dict[str, Any] = {"on": False, "parked": []}
_PARK_LOCK = threading.Lock()


def keep_workers(on: bool = True) -> None:
    """Keep idle workers between runs (for a server), or stop doing so."""
    _KEEP["on"] = on


def _take_parked(task: Task, count: int) -> list[_Slot]:
    with _PARK_LOCK:
        mine = [s for t, s in _KEEP["parked"] if t == task][:count]
        _KEEP["parked"] = [(t, s) for t, s in _KEEP["parked"] if s not in mine]
    return [s for s in mine if s.proc.is_alive()]


def _park(task: Task, slots: list[_Slot]) -> None:
    """Idle workers kept for the next run of ``task`` (as many as there are cores; the
    ones past that are ended)."""
    room = os.cpu_count() or 1
    with _PARK_LOCK:
        kept = [(t, s) for t, s in _KEEP["parked"] if t == task]
        kept += [(task, s) for s in slots if s.proc.is_alive()]
        others = [(t, s) for t, s in _KEEP["parked"] if t != task]
        _KEEP["parked"] = others + kept[:room]
    for _t, slot in kept[room:]:
        with contextlib.suppress(OSError, ValueError):
            slot.conn.send(None)


def _died(path: Path, proc: Any) -> FileResult:
    proc.join(timeout=5)
    return _failed(
        path,
        f"读取进程异常退出（退出码 {proc.exitcode}，可能超出内存上限）",
        f"the reading process died (exit code {proc.exitcode}; memory bound exceeded?)",
    )


def _overran(path: Path, seconds: float) -> FileResult:
    return _failed(
        path,
        f"读取超过 {seconds:g} 秒上限，已停止",
        f"reading took longer than the {seconds:g} s bound and was stopped",
    )


def _failed(path: Path, zh: str, en: str) -> FileResult:
    result = FileResult(path=str(path))
    result.findings.append(unreadable(zh, en))
    return result
