"""What the web tests and the serve benchmark share: a campaign with returns made as the
departments would (signed and passing, signed and to fix, a workbook of no department),
and the app running in uvicorn on a free loopback port, in a thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from xltool.keys import load_key
from xltool.round.campaign import init
from xltool.round.folder import Campaign

from .campaign_helpers import code_of, fill_openpyxl, name_of, write_indicators

TOKEN = "console-token-for-tests-7f3a"
LOOPBACK = ("127.0.0.1", 50000)
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def write_roster(path: Path, names: list[str]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["部门编码", "部门名称", "联系人", "电子邮箱", "联系电话"])
    for i, name in enumerate(names, 1):
        ws.append([code_of(i), name, f"联系人{i}", f"d{i}@dept.example.cn", f"0731-8888{i:04d}"])
    wb.save(path)
    return path


def make_campaign(
    tmp: Path, n: int, names: list[str] | None = None, deadline: date | None = None
) -> tuple[Campaign, bytes]:
    """A campaign of ``n`` departments (named ``names``, else 第i局) and its key."""
    names = names or [name_of(i) for i in range(1, n + 1)]
    tmp.mkdir(parents=True, exist_ok=True)
    key_file = tmp / "issuer.key"
    campaign = init(
        tmp / "campaign",
        roster=write_roster(tmp / "名单.xlsx", names),
        indicators=write_indicators(tmp / "指标.xlsx", n),
        year=2025,
        deadline=deadline or date(2025, 3, 31),
        key_file=key_file,
    )
    key = load_key(key_file)
    assert key is not None
    return campaign, key


def issued_of(campaign: Campaign, i: int) -> Path:
    return next(campaign.issued_dir.glob(f"{code_of(i)}-*.xlsx"))


def filled(campaign: Campaign, i: int, folder: Path, *, ok: bool = True, tag: str = "") -> Path:
    """Department i's form filled in: passing, or to fix (a score below its points
    without a reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / f"{code_of(i)}-{'填好' if ok else '待改'}{tag}.xlsx"
    return fill_openpyxl(issued_of(campaign, i), dst, i, reason=ok)


def stranger(path: Path) -> Path:
    """A workbook of no department (no signature, no header, no code in its name)."""
    wb = openpyxl.Workbook()
    wb.active.append(["单位", "金额"])
    wb.active.append(["某单位", 100])
    wb.save(path)
    return path


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread; its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
