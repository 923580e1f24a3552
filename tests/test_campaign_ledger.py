"""The ledger is a real SQLite file: ``collect`` killed (SIGKILL) at several points and
run again, and two ``collect`` runs at once, end in the same status as one clean run;
``campaign rebuild`` reproduces that status from the folder alone."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .campaign_helpers import code_of, fill_openpyxl, write_indicators, write_roster

N = 12


def xltool(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xltool", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "xltool", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers too, for killpg
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("ledger")
    key = tmp / "issuer.key"
    folder = tmp / "base"
    init = xltool(
        "campaign", "init", str(folder),
        "--roster", str(write_roster(tmp / "r.xlsx", N)),
        "--indicators", str(write_indicators(tmp / "i.xlsx", N)),
        "--year", "2025", "--deadline", "2025-03-31", "--key-file", str(key),
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    returns = tmp / "returns"
    returns.mkdir()
    stamp = 1_740_000_000  # 2025-02-19: distinct received times, oldest first
    for version in range(3):
        for i in range(1, N + 1):
            src = next((folder / "issued").glob(f"{code_of(i)}-*.xlsx"))
            dst = returns / f"{code_of(i)}-v{version}.xlsx"
            fill_openpyxl(src, dst, i, reason=version != 1)  # v1 of each has an error
            stamp += 60
            os.utime(dst, (stamp, stamp))
    return {"tmp": tmp, "key": key, "folder": folder, "returns": returns}


def _copy(base: dict[str, Path], name: str) -> Path:
    target = base["tmp"] / name
    shutil.copytree(base["folder"], target)
    return target


def _collect(base: dict[str, Path], folder: Path) -> list[str]:
    return [
        "collect",
        str(base["returns"]),
        "--campaign",
        str(folder),
        "--key-file",
        str(base["key"]),
    ]


def _status(folder: Path) -> dict[str, Any]:
    proc = xltool("status", "--format", "json", "--campaign", str(folder))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    doc["campaign"].pop("folder")
    return doc


def _returns(folder: Path) -> int:
    with sqlite3.connect(folder / "ledger.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return db.execute("SELECT COUNT(*) FROM returns").fetchone()[0]


@pytest.fixture(scope="module")
def clean(base: dict[str, Path]) -> dict[str, Any]:
    folder = _copy(base, "clean")
    proc = xltool(*_collect(base, folder))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the v1 returns are to fix
    assert _returns(folder) == 3 * N
    return _status(folder)


def test_the_clean_run_takes_each_departments_latest(clean: dict[str, Any]) -> None:
    assert clean["counts"]["passed"] == N
    for d in clean["departments"]:
        assert d["returns"] == 3 and d["current"]["file"].endswith("-v2.xlsx")


@pytest.mark.parametrize("delay", [0.4, 1.2, 2.5])
def test_collect_killed_mid_run_then_run_again_ends_as_one_clean_run(
    base: dict[str, Path], clean: dict[str, Any], delay: float
) -> None:
    folder = _copy(base, f"killed-{delay}")
    proc = start(*_collect(base, folder))
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _returns(folder) <= 3 * N  # whatever was recorded, the ledger is sound
    again = xltool(*_collect(base, folder))
    assert again.returncode in (0, 1), again.stderr
    assert _returns(folder) == 3 * N
    assert _status(folder) == clean


def test_two_collect_runs_at_once_count_each_return_once(
    base: dict[str, Path], clean: dict[str, Any]
) -> None:
    folder = _copy(base, "concurrent")
    runs = [start(*_collect(base, folder)) for _ in range(2)]
    for proc in runs:
        assert proc.wait(timeout=300) in (0, 1)
    assert _returns(folder) == 3 * N
    assert _status(folder) == clean
    sidecars = list((folder / "inbox").glob("*.json"))
    assert len(sidecars) == 3 * N


def test_rebuild_reproduces_the_status_from_the_folder_alone(
    base: dict[str, Path], clean: dict[str, Any]
) -> None:
    folder = base["tmp"] / "clean"
    (folder / "ledger.sqlite").unlink()
    for extra in ("ledger.sqlite-wal", "ledger.sqlite-shm"):
        (folder / extra).unlink(missing_ok=True)
    proc = xltool("campaign", "rebuild", "--campaign", str(folder), "--key-file", str(base["key"]))
    assert proc.returncode == 0, proc.stderr
    assert _status(folder) == clean


def test_a_command_with_another_key_exits_2_naming_the_key_it_needs(base: dict[str, Path]) -> None:
    other = base["tmp"] / "other.key"
    assert xltool("key", "init", "--key-file", str(other)).returncode == 0
    proc = xltool(*_collect(base, base["folder"])[:-1], str(other))
    wanted = __import__("yaml").safe_load((base["folder"] / "campaign.yaml").read_text())["key_id"]
    assert proc.returncode == 2 and wanted in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_secret_is_written_into_the_campaign(base: dict[str, Path]) -> None:
    key = base["key"].read_text().strip()
    for path in base["folder"].rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


def test_reissue_gives_a_new_issue_id_and_the_old_form_still_matches(base: dict[str, Path]) -> None:
    folder = _copy(base, "reissue")
    key = ["--campaign", str(folder), "--key-file", str(base["key"])]
    old = next((folder / "issued").glob("D01-*.json"))
    proc = xltool("campaign", "reissue", "D01", *key)
    assert proc.returncode == 0, proc.stderr
    sidecars = sorted((folder / "issued").glob("D01-*.json"))
    assert len(sidecars) == 2
    ids = {json.loads(p.read_text(encoding="utf-8"))["issue_id"] for p in sidecars}
    assert len(ids) == 2
    new_form = next(p.with_suffix(".xlsx") for p in sidecars if p != old)
    filled = fill_openpyxl(new_form, base["tmp"] / "D01-new.xlsx", 1)
    proc = xltool("collect", str(filled), str(base["returns"] / "D01-v0.xlsx"), *key)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("D01 第1局（按签名）：通过") == 2


def test_add_issues_forms_to_new_departments_and_updates_contacts(base: dict[str, Path]) -> None:
    folder = _copy(base, "add")
    more = base["tmp"] / "more.xlsx"
    write_roster(more, N + 2)  # two more departments; the first twelve again
    import openpyxl

    wb = openpyxl.load_workbook(more)
    wb.active["C4"] = "新联系人"  # D01's contact changed
    wb.save(more)
    extra = base["tmp"] / "more-indicators.xlsx"
    shutil.copyfile(write_indicators(extra, N + 2), folder / "indicators.xlsx")
    proc = xltool(
        "campaign",
        "add",
        "--roster",
        str(more),
        "--campaign",
        str(folder),
        "--key-file",
        str(base["key"]),
    )
    assert proc.returncode == 0, proc.stderr
    status = _status(folder)
    codes = [d["code"] for d in status["departments"]]
    assert codes[-2:] == [code_of(N + 1), code_of(N + 2)]
    assert status["departments"][0]["contact"] == "新联系人"
    assert len(list((folder / "issued").glob("*.xlsx"))) == N + 2
