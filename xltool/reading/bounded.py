"""Work on an untrusted file in a child process bounded in time and memory, so that
nothing a file holds can hang or exhaust the command that reads it."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xltool.errors import XltoolError


@dataclass(frozen=True)
class Bounds:
    """Per file: the documented 60 s and 2 GiB, for every command."""

    seconds: float = 60.0
    memory: int = 2 * 1024**3


def limit_memory(memory: int) -> None:
    """Cap this process's address space (POSIX); elsewhere the time bound remains."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass


def context() -> Any:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def call_bounded(fn: Callable[..., Any], *args: Any, bounds: Bounds | None = None) -> Any:
    """``fn(*args)`` in a child process within ``bounds``. An XltoolError it raises is
    raised here; running over time or memory becomes an XltoolError saying so."""
    bounds = bounds or Bounds()
    ctx = context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run, args=(fn, args, bounds.memory, child), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(bounds.seconds):
            raise XltoolError(
                f"处理超过 {bounds.seconds:g} 秒上限，已停止",
                f"stopped after the {bounds.seconds:g} s bound",
            )
        try:
            ok, value = parent.recv()
        except (EOFError, OSError):
            proc.join(timeout=5)
            raise XltoolError(
                f"处理进程异常退出（退出码 {proc.exitcode}，可能超出 {bounds.memory / 1024**3:g} GiB 内存上限）",
                f"the worker died (exit code {proc.exitcode}; over the {bounds.memory / 1024**3:g} GiB bound?)",
            ) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        parent.close()
    if ok:
        return value
    raise XltoolError(*value)


def _run(fn: Callable[..., Any], args: tuple[Any, ...], memory: int, conn: Any) -> None:
    limit_memory(memory)
    try:
        conn.send((True, fn(*args)))
    except XltoolError as exc:
        conn.send((False, (exc.zh, exc.en)))
    except MemoryError:
        conn.send((False, ("处理时内存超出上限", "the memory bound was exceeded")))
    except Exception as exc:  # a bug: say which, in one line
        detail = f"{type(exc).__name__}: {exc}"[:300]
        conn.send((False, (f"意外错误：{detail}", f"unexpected error: {detail}")))
    finally:
        conn.close()
