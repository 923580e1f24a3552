"""Serving: one process, uvicorn on one socket, until Ctrl-C."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from xltool.errors import XltoolError

DEFAULT_PORT = 8470


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def console_url(host: str, port: int, token: str) -> str:
    """The console's address with its token: on this machine, whatever the bind address."""
    shown = host if is_loopback(host) else "127.0.0.1"
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one); a usage error when the
    address is taken or not this machine's."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise XltoolError(
            f"无法使用地址 {host}：{exc}", f"cannot use the address {host}: {exc}"
        ) from None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise XltoolError(
            f"无法在 {host}:{port} 上监听（{exc.strerror}）：端口可能已被占用，请用 --port 换一个",
            f"cannot listen on {host}:{port} ({exc.strerror}); the port may be taken: try --port",
        ) from None
    sock.listen(128)  # connections wait in the backlog until the server accepts them
    return sock


def configure_log() -> None:
    """One line per request on stderr (xltool's own log; uvicorn's access log is off,
    since it would write department links' tokens)."""
    log = logging.getLogger("xltool.web")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def serve_app(
    app: Any,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Serve ``app`` on ``host:port`` until Ctrl-C (or SIGTERM), then stop cleanly.
    ``ready(port)`` is called once the socket is bound (with the port chosen for 0)."""
    import uvicorn

    from xltool.checking.pool import keep_workers

    keep_workers(True)  # a verdict in one verify's time, not a new worker's start-up too
    sock = bind(host, port)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    if ready is not None:
        ready(sock.getsockname()[1])
    with _term_as_interrupt():
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn has shut down; it raises the signal again for the caller
        finally:
            sock.close()


@contextlib.contextmanager
def _term_as_interrupt() -> Iterator[None]:
    """SIGTERM, which uvicorn raises again once it has shut down, ends the process as
    Ctrl-C does (cleanly, exit 0), not by the signal."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
