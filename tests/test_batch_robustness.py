"""No input ends a batch; none vanishes (issue 23, point 2), and ``status`` fits a
terminal (point 6). Each odd input goes into a batch beside a good return: the odd one
gets its one line (refused with why, or collected with a note), the good one is
collected, and nothing else changes. Through the CLI (click's CliRunner) and the library
(take_in, collect); the IMAP case against a real Dovecot."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import time
import zipfile
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from xltool.cli import main
from xltool.keys import load_key
from xltool.mail import bounds, fetch
from xltool.mail.round import take_in
from xltool.reading.sniff import Limits
from xltool.render.terminal import cells
from xltool.round.campaign import init
from xltool.round.collect import collect
from xltool.round.folder import Campaign
from xltool.round.intake import Item

from .campaign_helpers import code_of, fill_openpyxl, run_cli, write_indicators, write_roster
from .mailservers import PASSWORD, USER, needs_dovecot

N = 3
STATUS_LINE = {"collected": "（按签名）：通过", "refused": "：拒收（"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A campaign of three departments, nothing collected, and each one's filled return
    (signed: it passes); D01 also to fix (a score below its points, no reason)."""
    tmp = tmp_path_factory.mktemp("robust")
    key_file = tmp / "issuer.key"
    made = init(
        tmp / "批次",
        roster=write_roster(tmp / "名单.xlsx", N),
        indicators=write_indicators(tmp / "指标.xlsx", N),
        year=2025,
        key_file=key_file,
    )
    returns = tmp / "returns"
    returns.mkdir()
    forms = sorted(made.issued_dir.rglob("*.xlsx"))
    out: dict[str, Any] = {"root": made.root, "key_file": key_file, "key": load_key(key_file)}
    for i in range(1, N + 1):
        issued = next(p for p in forms if p.name.startswith(code_of(i)))
        out[code_of(i)] = fill_openpyxl(issued, returns / f"{code_of(i)}.xlsx", i)
    issued = next(p for p in forms if p.name.startswith("D01"))
    out["D01-fix"] = fill_openpyxl(issued, returns / "D01-fix.xlsx", 1, reason=False)
    return out


@pytest.fixture
def c(base: dict[str, Any], tmp_path: Path) -> Path:
    """The campaign, copied: each test collects into its own."""
    return Path(shutil.copytree(base["root"], tmp_path / "c"))


def run(base: dict[str, Any], folder: Path, *args: str, code: int | None) -> Any:
    key = [] if args[0] == "status" else ["--key-file", str(base["key_file"])]
    return run_cli(*args, "--campaign", str(folder), *key, code=code)


def collect_lines(base: dict[str, Any], folder: Path, *paths: Path | str, code: int) -> list[str]:
    result = run(base, folder, "collect", *map(str, paths), code=code)
    return result.stdout.splitlines()


def statuses(folder: Path) -> dict[str, tuple[str, int]]:
    """Each department's status and number of returns."""
    result = CliRunner().invoke(main, ["status", "--format", "json", "--campaign", str(folder)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return {d["code"]: (d["status"], d["returns"]) for d in doc["departments"]}


def stored(folder: Path) -> list[str]:
    """inbox/'s returns; each has its sidecar (nothing is stored half)."""
    names = sorted(p.name for p in (folder / "inbox").iterdir())
    files = [n for n in names if not n.endswith(".json")]
    assert sorted(n for n in names if n.endswith(".json")) == sorted(f"{n}.json" for n in files)
    return files


def only_d02_collected(folder: Path, lines: list[str]) -> None:
    """The good return of the batch went in, and nothing else did."""
    assert sum("→ D02 第2局（按签名）：通过" in line for line in lines) == 1, lines
    assert statuses(folder) == {"D01": ("missing", 0), "D02": ("passed", 1), "D03": ("missing", 0)}
    (only,) = stored(folder)
    assert only.endswith("-D02.xlsx")


def message(
    data: bytes, name: str, *, when: str = "Tue, 11 Mar 2025 08:00:00 +0000", n: int = 1
) -> bytes:
    """A department's reply with its return attached, dated ``when`` (raw, as sent)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = f"d{n}@dept.example.cn", "jxk@czj.example.cn", "自评表"
    msg["Message-ID"] = f"<reply-{n}-{time.time_ns()}@dept.example.cn>"
    msg["Date"] = "Tue, 11 Mar 2025 08:00:00 +0000"
    msg.set_content("已填好，请查收。")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes().replace(b"Tue, 11 Mar 2025 08:00:00 +0000", when.encode(), 1)


def nested(depth: int) -> bytes:
    """A message whose multiparts nest ``depth`` deep (the email package recurses)."""
    head = b"From: d1@dept.example.cn\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    opened = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    closed = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + opened + b"Content-Type: text/plain\r\n\r\nhi" + closed


# --- point 2: odd inputs ------------------------------------------------------------------


def test_long_chinese_names_are_stored_shortened_and_kept_whole_in_the_sidecar(
    base: dict[str, Any], c: Path, tmp_path: Path
) -> None:
    long_file = tmp_path / ("关于报送二〇二五年度部门整体支出绩效自评表的函" * 3 + "第1局.xlsx")
    assert 200 < len(long_file.name.encode()) < 256  # a name the file system takes …
    shutil.copy(base["D01"], long_file)
    attachment = "第3局" + "附件名称很长" * 50 + ".xlsx"  # … and one it never could
    saved = tmp_path / "回复.eml"
    saved.write_bytes(message(base["D03"].read_bytes(), attachment, n=3))
    lines = collect_lines(base, c, long_file, saved, base["D02"], code=0)
    assert len(lines) == 3
    assert lines[0].startswith(str(long_file)) and "→ D01 第1局（按签名）：通过" in lines[0]
    assert "→ D03 第3局（按签名）：通过" in lines[1] and "→ D02 第2局" in lines[2]
    for name in stored(c):
        assert len(f"{name}.json".encode()) <= 255
    originals = {
        json.loads(p.read_text(encoding="utf-8"))["original_name"]
        for p in (c / "inbox").glob("*.json")
    }
    assert originals == {long_file.name, attachment, "D02.xlsx"}
    assert set(statuses(c).values()) == {("passed", 1)}


def test_a_missing_eml_a_folder_or_fifo_named_eml_and_an_oversized_eml_are_refused(
    base: dict[str, Any], c: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "没有这封.eml"
    folder = tmp_path / "文件夹.eml"
    folder.mkdir()
    big = tmp_path / "大邮件.eml"
    with big.open("wb") as f:
        f.truncate(fetch.MAX_MESSAGE + 1)  # sparse: over the bound without writing it
    expected = {
        missing: f"{missing}：拒收（找不到此文件或文件夹）",
        folder: f"{folder}：拒收（文件夹中没有工作簿、压缩包或邮件）",
        big: f"{big}：拒收（邮件 100.0 MiB，超过 100 MiB 上限，未读取）",
    }
    if hasattr(os, "mkfifo"):  # not on Windows
        fifo = tmp_path / "管道.eml"
        os.mkfifo(fifo)
        expected[fifo] = f"{fifo}：拒收（不是普通文件（文件夹、管道、设备或套接字），未读取）"
    lines = collect_lines(base, c, *expected, base["D02"], code=1)
    assert lines == [*expected.values(), lines[-1]]
    only_d02_collected(c, lines)


def test_a_date_out_of_range_is_set_aside_and_the_receive_time_used(
    base: dict[str, Any], c: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "9999.eml"
    saved.write_bytes(
        message(base["D03"].read_bytes(), "D03.xlsx", when="Fri, 31 Dec 9999 23:00:00 -0500", n=3)
    )
    before = datetime.now(UTC)
    lines = collect_lines(base, c, saved, base["D02"], code=0)
    assert len(lines) == 2
    assert "→ D03 第3局（按签名）：通过" in lines[0]
    assert "；收到时间不明：邮件日期（Date）「9999-12-31T23:00:00-05:00」不可信" in lines[0]
    assert "改按收录时间" in lines[0]
    assert "→ D02 第2局" in lines[1] and "收到时间" not in lines[1]
    sidecar = json.loads(next((c / "inbox").glob("*-D03.xlsx.json")).read_text(encoding="utf-8"))
    assert sidecar["received_at_source"] == "recorded"
    assert sidecar["received_at_set_aside"] == {
        "source": "message",
        "value": "9999-12-31T23:00:00-05:00",
    }
    assert datetime.fromisoformat(sidecar["received_at"]) >= before.replace(microsecond=0)
    assert len(stored(c)) == 2  # no attachment left without its sidecar

    # --received-at 0001-01-01: one line, exit 2, before anything is taken in
    result = run(base, c, "collect", str(base["D01"]), "--received-at", "0001-01-01", code=2)
    assert result.stderr.strip() == (
        "xltool: --received-at「0001-01-01」不可信：须在 2000–2100 年间，且不晚于明天"
    )
    assert len(stored(c)) == 2 and statuses(c)["D01"] == ("missing", 0)
    # the library takes it as a time set aside too, with the note in English
    out = collect(
        Campaign.open(c), [], items=[_item(base["D01"])], received_at="0001-01-01",
        key=base["key"], jobs=1,
    )  # fmt: skip
    assert out[0].kind == "collected" and out[0].code == "D01"
    (note,) = [en for _zh, en in out[0].notes]
    assert note.startswith("receive time unknown: the given receive time '0001-01-01")


def _item(path: Path) -> Item:
    return Item(path.name, str(path), data=path.read_bytes(), mtime=path.stat().st_mtime)


def test_a_return_from_the_future_does_not_stay_current(
    base: dict[str, Any], c: Path, tmp_path: Path
) -> None:
    first = tmp_path / "2099.eml"  # to fix, dated 2099
    first.write_bytes(
        message(base["D01-fix"].read_bytes(), "D01.xlsx", when="Thu, 01 Jan 2099 08:00:00 +0800")
    )
    lines = collect_lines(base, c, first, code=1)
    assert "待修改" in lines[0] and "「2099-01-01T08:00:00+08:00」不可信" in lines[0]
    assert statuses(c)["D01"] == ("to-fix", 1)
    time.sleep(1.1)  # times are recorded to the second
    corrected = tmp_path / "改.eml"  # the corrected copy, sent now
    now = format_datetime(datetime.now(UTC))
    corrected.write_bytes(message(base["D01"].read_bytes(), "D01-改.xlsx", when=now))
    lines = collect_lines(base, c, corrected, code=0)
    assert len(lines) == 1 and "→ D01 第1局（按签名）：通过" in lines[0]
    assert statuses(c)["D01"] == ("passed", 2)


def test_mime_nested_1000_deep_or_of_too_many_parts_is_refused_before_parsing(
    base: dict[str, Any], c: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "深.eml"
    deep.write_bytes(nested(1000))
    parts = tmp_path / "多.eml"
    one = b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    parts.write_bytes(
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n'
        + one * (bounds.MAX_PARTS + 1)
        + b"--p--\r\n"
    )

    def never(*_args: Any) -> Any:
        raise AssertionError("parsed")

    monkeypatch.setattr(fetch, "_parse", never)  # both refused from their bytes alone
    lines = collect_lines(base, c, deep, parts, base["D02"], code=1)
    monkeypatch.undo()
    assert lines[:2] == [
        f"{deep}：拒收（邮件嵌套过深（超过 30 层），未读取）",
        f"{parts}：拒收（邮件有超过 1000 个部分，未读取）",
    ]
    only_d02_collected(c, lines)
    # should the scan miss one, the parser's RecursionError is a refused line all the same
    monkeypatch.setattr(fetch, "mime_problem", lambda raw: None)
    got = fetch.parse_message(nested(1000), "x.eml", Limits())
    (item,) = got.items
    assert item.problem == fetch.NESTED and item.data is None
    assert fetch.parse_message(nested(5), "y.eml", Limits()).items == []  # parsed: no workbook


def test_a_locked_ledger_waits_a_bounded_time_then_says_so_in_one_line(
    base: dict[str, Any], c: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XLTOOL_LEDGER_WAIT", "0.5")
    holder = sqlite3.connect(c / "ledger.sqlite", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # as a database browser may hold it
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("COMMIT")  # the lock stays until the connection closes
    try:
        started = time.monotonic()
        for args, code in ((["collect", str(base["D02"])], 2), (["status"], 2)):
            result = run(base, c, *args, code=code)
            assert result.stdout == ""
            assert len(result.stderr.splitlines()) == 1, result.stderr
            line = result.stderr.strip()
            assert line.startswith(
                f"xltool: 台账 {c / 'ledger.sqlite'} 被另一个程序占用，等了 0.5 秒"
            )
        assert time.monotonic() - started < 10
        assert stored(c) == []  # nothing was taken in
    finally:
        holder.close()
    only_d02_collected(c, collect_lines(base, c, base["D02"], code=0))


def test_a_zip_in_a_zip_and_saved_messages_in_a_folder_are_collected(
    base: dict[str, Any], c: Path, tmp_path: Path
) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.write(base["D01"], "第1局/D01.xlsx")
    outer = tmp_path / "两层.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("回收/内层.zip", inner.getvalue())
    deeper = tmp_path / "三层.zip"
    with zipfile.ZipFile(deeper, "w") as zf:
        zf.write(outer, "外层.zip")
    empty = tmp_path / "说明.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("说明.txt", "无")
    folder = tmp_path / "导出的邮件"
    (folder / "三月").mkdir(parents=True)
    (folder / "三月" / "第3局.eml").write_bytes(message(base["D03"].read_bytes(), "D03.xlsx", n=3))
    lines = collect_lines(base, c, outer, deeper, empty, folder, base["D02"], code=1)
    assert len(lines) == 5, lines
    assert lines[0].startswith(f"{outer}!回收/内层.zip!第1局/D01.xlsx → D01 第1局（按签名）：通过")
    assert lines[1] == (
        f"{deeper}!外层.zip!回收/内层.zip：拒收（压缩包嵌套超过 2 层，未解压：请解压后再收录）"
    )
    assert lines[2] == f"{empty}：拒收（压缩包中没有工作簿）"
    assert lines[3].startswith(f"{folder / '三月' / '第3局.eml'}#D03.xlsx → D03 第3局（按签名）")
    assert "→ D02 第2局" in lines[4]
    assert set(statuses(c).values()) == {("passed", 1)}
    assert len(stored(c)) == 3


def test_each_input_of_take_in_has_one_outcome(
    base: dict[str, Any], c: Path, tmp_path: Path
) -> None:
    """The library: one outcome per input, in order, with what its line says."""
    twice = tmp_path / "又一份.xlsx"
    shutil.copy(base["D02"], twice)
    got = take_in(
        Campaign.open(c), [str(base["D02"]), str(twice), str(tmp_path / "无.xlsx")],
        key=base["key"], jobs=1,
    )  # fmt: skip
    assert [o.kind for o in got.outcomes] == ["collected", "duplicate", "refused"]
    assert got.outcomes[2].reason == ("找不到此文件或文件夹", "no such file or folder")


# --- IMAP: a message that cannot be taken is refused, and the folder drains ---------------


@needs_dovecot
def test_imap_a_message_that_cannot_be_taken_is_refused_and_its_uid_passed(
    base: dict[str, Any], c: Path, imap_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XLTOOL_IMAP_PASSWORD", PASSWORD)
    config = yaml.safe_load((c / "campaign.yaml").read_text(encoding="utf-8"))
    config["mail"] = {
        "from": {"name": "绩效科", "address": "jxk@czj.example.cn"},
        "imap": {"host": imap_server.host, "port": imap_server.port, "security": "none",
                 "user": USER},
    }  # fmt: skip
    (c / "campaign.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    imap_server.append(nested(1000))
    imap_server.append(message(base["D02"].read_bytes(), "D02.xlsx", n=2))
    lines = run(base, c, "collect", "--imap", code=1).stdout.splitlines()
    assert lines[0] == "imap:INBOX/1：拒收（邮件嵌套过深（超过 30 层），未读取）"
    only_d02_collected(c, lines)
    with sqlite3.connect(c / "ledger.sqlite") as db:
        events = [
            json.loads(d) for (d,) in db.execute("SELECT detail FROM events WHERE kind='refused'")
        ]
        assert db.execute("SELECT last_uid FROM imap_state").fetchone() == (2,)
    assert [(e["uid"], e["source"], e["reason"]) for e in events] == [
        (1, "imap:INBOX/1", "邮件嵌套过深（超过 30 层），未读取")
    ]
    again = run(base, c, "collect", "--imap", code=0)  # drained: nothing is fetched again
    assert again.stdout.strip() == "没有找到要收录的文件"
    only_d02_collected(c, lines)


# --- point 6: status fits a terminal ------------------------------------------------------


def test_status_fits_the_terminal_and_wide_shows_every_column(
    base: dict[str, Any], c: Path, tmp_path: Path
) -> None:
    long_name = tmp_path / ("很长的文件名" * 10 + ".xlsx")
    shutil.copy(base["D01"], long_name)
    collect_lines(base, c, long_name, base["D02"], code=0)
    departments = json.loads((c / "departments.json").read_text(encoding="utf-8"))
    departments[2]["department"] = "第三局（市发展和改革委员会下属事业单位服务中心）"
    (c / "departments.json").write_text(json.dumps(departments, ensure_ascii=False), "utf-8")
    run(base, c, "campaign", "rebuild", code=0)

    def shown(*args: str, columns: int) -> list[str]:
        result = CliRunner(env={"COLUMNS": str(columns)}).invoke(
            main, ["status", *args, "--campaign", str(c)]
        )
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()

    narrow = shown(columns=80)
    assert max(cells(line) for line in narrow) <= 80
    head = ["部门编码", "部门名称", "状态", "发送", "报送次数", "最近报送时间", "总分"]
    assert narrow[1].split() == head
    d03 = next(line for line in narrow if line.startswith("D03"))
    assert d03.split() == ["D03", "第三局（市发展和改…", "未报送", "未发送", "0"]  # cut, with …
    d01 = next(line for line in narrow if line.startswith("D01"))
    assert d01.split()[:5] == ["D01", "第1局", "通过", "未发送", "1"] and d01.split()[-1] == "99"
    assert "联系人1" not in "\n".join(narrow)  # contacts only with --wide
    wide = shown("--wide", columns=300)
    assert "联系人1" in wide[2] and "d1@dept.example.cn" in wide[2] and "签名" in wide[2]
    assert "很长的文件名很长的文件名" in wide[2]  # the last passed file, whole
    assert max(cells(line) for line in shown("--wide", columns=100)) <= 100
    assert max(cells(line) for line in shown(columns=24)) <= 24


def test_a_department_whose_form_went_out_as_a_draft_shows_drafted(tmp_path: Path) -> None:
    """The delivery column tells a draft from a message sent and from none."""
    from xltool.round.ledger import Ledger
    from xltool.round.status import DELIVERY, delivery_of

    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        for code, outcome in (("D01", "drafted"), ("D02", "sent"), ("D03", "sending")):
            ledger.put_message(
                {"message_id": f"<{code}@x>", "code": code, "kind": "issue",
                 "created_at": "2025-03-01T00:00:00+00:00", "outcome": outcome}
            )  # fmt: skip
        seen = delivery_of(ledger)
    assert seen == {"D01": "drafted", "D02": "sent", "D03": "unknown"}
    assert DELIVERY["drafted"] == ("已生成草稿", "drafted")
