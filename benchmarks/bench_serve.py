"""``xltool serve``'s cost, against baselines measured in the same run.

(a) the board of N departments (some returned): the GET of its HTML page and of its JSON
    (the page's refresh) through Starlette's TestClient, vs the library call behind them,
    ``campaign_status(...).to_json()``;
(b) a department page's upload, from the request to its verdict (stored, verified in a
    bounded worker, matched, recorded), vs ``verify_file`` of the same file in process,
    through the test client;
(c) the same through a real uvicorn on the loopback address, posted by an HTTP client
    that sends without Nagle's delay (TCP_NODELAY), as browsers do.

Figures are printed, as ratios; nothing is asserted.

    python benchmarks/bench_serve.py [--count 300] [--returned 100] [--uploads 30]
    python benchmarks/bench_serve.py --campaign DIR --key-file KEY [--returns DIR]
        # (a) of a round made and collected elsewhere, e.g. bench_round.py --keep DIR
        # (3,300 forms: DIR/round, DIR/home/issuer.key); with --returns DIR/returns, (b)
        # into a copy of it, its project returns each saved anew
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openpyxl
from bench_campaign import returns, roster
from starlette.testclient import TestClient

from xltool.checking.pool import keep_workers
from xltool.checking.verify import verify_file
from xltool.keys import load_key
from xltool.round.campaign import init
from xltool.round.collect import collect
from xltool.round.folder import Campaign
from xltool.round.portal import portal_csrf, portal_links
from xltool.round.rebuild import open_ledger
from xltool.round.status import campaign_status
from xltool.web.app import create_app

TOKEN = "bench-token"
PUBLIC = "http://bench.example"


def best(fn: Callable[[], Any], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def board(client: TestClient, campaign: Campaign, count: int) -> None:
    def library() -> None:
        with open_ledger(campaign) as ledger:
            campaign_status(campaign, ledger).to_json("zh")

    def page() -> None:
        assert client.get("/").status_code == 200

    def data() -> None:
        assert len(client.get("/api/board").json()["departments"]) == count

    t_lib, t_page, t_json = best(library), best(page), best(data)
    print(f"(a) board of {count} departments: status library {t_lib * 1000:.0f} ms; "
          f"HTML {t_page * 1000:.0f} ms ({t_page / t_lib:.2f}x); "
          f"JSON {t_json * 1000:.0f} ms ({t_json / t_lib:.2f}x)")  # fmt: skip


def uploads(
    label: str,
    post: Callable[..., Any],
    campaign: Campaign,
    key: bytes,
    files: list[Path],
    prefix: str = "",
) -> None:
    """Each file uploaded through its department's page (the department code begins its
    name), then verified in process (paired, so a busy moment of the machine weighs on
    both)."""
    links = {x.code: x.url.removeprefix(PUBLIC) for x in portal_links(campaign, PUBLIC, key=key)}
    spec = campaign.specs()
    web, local = [], []
    for path in files:
        link = links[path.stem.split("-")[0]]
        body = {"csrf": portal_csrf(key, link.removeprefix("/d/"))}
        start = time.perf_counter()
        r = post(
            prefix + link + "/upload",
            data=body,
            files={"files": (path.name, path.read_bytes())},
            headers={"X-Requested-With": "fetch"},
        )
        web.append(time.perf_counter() - start)
        assert r.status_code == 200 and "通过" in r.text and "校验通过" in r.text, r.text
        start = time.perf_counter()
        verify_file(path, spec, key=key)
        local.append(time.perf_counter() - start)
    t_web, t_local = statistics.median(web), statistics.median(local)
    print(f"{label} upload to verdict, median of {len(files)}: {t_web * 1000:.1f} ms vs "
          f"verify_file in process {t_local * 1000:.1f} ms ({t_web / t_local:.2f}x)")  # fmt: skip


def served(app: Any) -> str:
    """``app`` served by uvicorn on a free loopback port (in this process, as
    ``xltool serve`` serves it); its base address."""
    from xltool.web.server import serve_app

    ready, port = threading.Event(), []
    threading.Thread(
        target=serve_app,
        args=(app, "127.0.0.1", 0),
        kwargs={"ready": lambda p: (port.append(p), ready.set())},
        daemon=True,
    ).start()
    ready.wait(30)
    return f"http://127.0.0.1:{port[0]}"


def kept_round(folder: Path, key_file: Path, returns_dir: Path | None, count: int) -> None:
    """(a) of a round made elsewhere; with ``returns_dir``, (b) into a copy of it: project
    returns of that round, each saved anew by openpyxl (new bytes, the same signed form)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        campaign = Campaign.open(shutil.copytree(folder, tmp / "round"))
        key = load_key(key_file)
        assert key is not None
        app = create_app(campaign, token=TOKEN, key=key, portal_pages=True, public_url=PUBLIC)
        client = TestClient(app, client=("127.0.0.1", 50000))
        assert client.get(f"/?token={TOKEN}", follow_redirects=False).status_code == 303
        forms = len(campaign.forms())
        print(f"campaign {folder}: {len(campaign.departments())} departments, {forms} forms")
        board(client, campaign, len(campaign.departments()))
        if returns_dir is None:
            return
        made = []
        for path in sorted(returns_dir.glob("*-P*.xlsx"))[:count]:
            wb = openpyxl.load_workbook(path)
            wb.properties.keywords = "saved anew"
            wb.save(tmp / path.name)
            made.append(tmp / path.name)
        time.sleep(2.1)  # the round's files, copied just now, settle (folder.made_from)
        keep_workers(True)
        uploads("(b)", client.post, campaign, key, made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--returned", type=int, default=100)
    parser.add_argument("--uploads", type=int, default=30, help="uploads in (b), and in (c)")
    parser.add_argument("--campaign", type=Path, help="time the board of this campaign only")
    parser.add_argument("--key-file", type=Path, help="its issuer key (with --campaign)")
    parser.add_argument(
        "--returns", type=Path, help="with --campaign: upload these returns, each saved anew"
    )
    args = parser.parse_args()
    if args.campaign is not None:
        kept_round(args.campaign, args.key_file, args.returns, args.uploads)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        key_file = tmp / "issuer.key"
        init(tmp / "c", roster=roster(tmp / "r.xlsx", args.count), year=2025, key_file=key_file)
        campaign = Campaign.open(tmp / "c")
        key = load_key(key_file)
        assert key is not None
        made = returns(campaign, key, tmp / "returns")
        collect(campaign, [str(p) for p in made[: args.returned]], key=key, jobs=2)
        app = create_app(campaign, token=TOKEN, key=key, portal_pages=True, public_url=PUBLIC)
        keep_workers(True)  # as `xltool serve` does
        client = TestClient(app, client=("127.0.0.1", 50000))
        assert client.get(f"/?token={TOKEN}", follow_redirects=False).status_code == 303
        board(client, campaign, args.count)
        portal_links(campaign, PUBLIC, key=key)  # the links are made days before the uploads:
        time.sleep(2.1)  # their file settles (folder.made_from keeps nothing fresher)
        todo = made[args.returned :]
        uploads("(b)", client.post, campaign, key, todo[: args.uploads])
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        with httpx2.Client(transport=httpx2.HTTPTransport(socket_options=nodelay)) as http:
            base = served(app)
            todo = todo[args.uploads : 2 * args.uploads]
            uploads("(c)", http.post, campaign, key, todo, prefix=base)


if __name__ == "__main__":
    main()
