"""Email through real servers on the loopback address: the forms go out through an SMTP
server (aiosmtpd, STARTTLS on a certificate made here, AUTH), the departments' replies
come back from an IMAP server (Dovecot), and xltool replies to each."""

from __future__ import annotations

import email
import json
import os
from email import policy
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import mailmaker
from .campaign_helpers import (
    code_of,
    fill,
    fill_openpyxl,
    name_of,
    run_cli,
    write_indicators,
    write_roster,
)
from .libreoffice import SOFFICE, UNO_PYTHON, uno_batch
from .mailservers import PASSWORD, USER, needs_dovecot

BUREAU = "jxk@czj.example.cn"


def campaign(tmp: Path, n: int, smtp: Any, imap: Any | None = None, **mail: Any) -> Path:
    folder = tmp / "c"
    run_cli(
        "campaign", "init", str(folder),
        "--roster", str(write_roster(tmp / "r.xlsx", n)),
        "--indicators", str(write_indicators(tmp / "i.xlsx", n)),
        "--year", "2025", "--deadline", "2025-03-31", "--key-file", str(tmp / "k"),
    )  # fmt: skip
    config = yaml.safe_load((folder / "campaign.yaml").read_text(encoding="utf-8"))
    config["mail"] = {
        "from": {"name": "测试区财政局绩效科", "address": BUREAU},
        "smtp": {"host": smtp.host, "port": smtp.port, "security": "starttls", "user": USER, "ca_file": str(smtp.ca_file)},
        "rate": 6000,
        "backoff": 0.05,
        **mail,
    }  # fmt: skip
    if imap is not None:
        config["mail"]["imap"] = {
            "host": imap.host,
            "port": imap.port,
            "security": "none",
            "user": USER,
        }
    (folder / "campaign.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    return folder


@pytest.fixture(autouse=True)
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLTOOL_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("XLTOOL_IMAP_PASSWORD", PASSWORD)


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def test_send_mails_each_department_its_form_with_the_chinese_name_intact(
    tmp_path: Path,
    smtp_server: Any,
) -> None:
    folder = campaign(tmp_path, 4, smtp_server)
    out = run_cli("send", "--campaign", str(folder))
    assert out.output.count("发表 已发送") == 4
    assert smtp_server.logins  # AUTH, after STARTTLS
    assert len(smtp_server.messages) == 4
    for i, received in enumerate(smtp_server.messages, start=1):
        msg = parsed(received.data)
        assert received.rcpt_tos == [f"d{i}@dept.example.cn", f"office{i}@dept.example.cn"]
        assert "第" in str(msg["Subject"]) and name_of(i) in str(msg["Subject"])
        (att,) = list(msg.iter_attachments())
        issued = next((folder / "issued").glob(f"{code_of(i)}-*.xlsx"))
        assert att.get_filename() == issued.name  # RFC 2231, decoded
        assert att.get_payload(decode=True) == issued.read_bytes()
        assert att.get_content_type() == mailmaker.XLSX
        raw = received.data.decode("ascii")
        assert "filename*=utf-8''" in raw and 'name="=?utf-8?b?' in raw  # both, for Outlook/Foxmail
        issue_id = json.loads(issued.with_suffix(".json").read_text(encoding="utf-8"))["issue_id"]
        assert msg["X-Xltool-Issue-Id"] == issue_id
        kept = [
            p
            for p in (folder / "outbox").glob("*.eml")
            if msg["Message-ID"] in p.read_text("ascii", "replace")
        ]
        assert len(kept) == 1  # every message sent is kept in outbox/
    again = run_cli("send", "--campaign", str(folder))
    assert again.output.count("此前已发送") == 4 and len(smtp_server.messages) == 4
    status = json.loads(run_cli("status", "--format", "json", "--campaign", str(folder)).output)
    assert {d["delivery"] for d in status["departments"]} == {"sent"}


def test_a_421_is_retried_and_a_550_recipient_is_listed(tmp_path: Path, smtp_server: Any) -> None:
    folder = campaign(tmp_path, 3, smtp_server)
    smtp_server.faults.append("421")
    smtp_server.refuse.update(
        {"office2@dept.example.cn", "d3@dept.example.cn", "office3@dept.example.cn"}
    )
    out = run_cli("send", "--campaign", str(folder), code=1)
    lines = out.output.splitlines()
    assert "已发送" in lines[0]  # after a 421, retried
    assert "已发送" in lines[1] and "office2@dept.example.cn 550" in lines[1]  # one refused
    assert "发送失败" in lines[2] and "550" in lines[2]  # every address refused
    assert [len(m.rcpt_tos) for m in smtp_server.messages] == [2, 1]
    status = json.loads(run_cli("status", "--format", "json", "--campaign", str(folder)).output)
    assert [d["delivery"] for d in status["departments"]] == ["sent", "sent", "send-failed"]


def test_a_cut_connection_then_a_second_run_mails_no_one_twice(
    tmp_path: Path, smtp_server: Any
) -> None:
    folder = campaign(tmp_path, 4, smtp_server, retries=0)
    smtp_server.faults.extend(["", "cut"])  # the second message's DATA: connection cut
    first = run_cli("send", "--campaign", str(folder), code=1)
    assert first.output.count("已发送") == 3 and "发送失败" in first.output
    second = run_cli("send", "--campaign", str(folder))
    assert second.output.count("此前已发送") == 3 and second.output.count("发表 已发送") == 1
    got = sorted(tuple(m.rcpt_tos) for m in smtp_server.messages)
    assert len(got) == 4 == len(set(got))  # each department exactly once


def test_an_interrupted_send_is_unknown_until_resent(tmp_path: Path, smtp_server: Any) -> None:
    """Recorded before sending, the process gone before the outcome: never sent again
    silently."""
    folder = campaign(tmp_path, 2, smtp_server)
    from xltool.mail.compose import Outbox, message
    from xltool.mail.settings import mail_settings
    from xltool.round.folder import Campaign

    c = Campaign.open(folder)
    msg = message(mail_settings(c.config), ["d1@dept.example.cn"], "x", "y")
    with c.ledger() as ledger:
        ledger.put_message(
            Outbox(c).record(msg, {"code": "D01", "kind": "issue", "outcome": "sending"})
        )
    out = run_cli("send", "--campaign", str(folder), code=1)
    assert "结果未知" in out.output.splitlines()[0] and len(smtp_server.messages) == 1
    run_cli("send", "--only", "D01", "--resend", "--campaign", str(folder))
    assert len(smtp_server.messages) == 2


def test_drafts_for_outlook_and_foxmail(tmp_path: Path, smtp_server: Any) -> None:
    folder = campaign(tmp_path, 2, smtp_server)
    drafts = tmp_path / "草稿"
    run_cli("send", "--drafts", str(drafts), "--campaign", str(folder))
    emls = sorted(drafts.glob("*.eml"))
    assert len(emls) == 2 and not smtp_server.messages
    msg = parsed(emls[0].read_bytes())
    assert msg["X-Unsent"] == "1" and next(iter(msg.iter_attachments())).get_filename().endswith(
        ".xlsx"
    )
    dry = run_cli("send", "--dry-run", "--resend", "--campaign", str(folder))
    assert dry.output.count("试运行") == 2 and not smtp_server.messages


def _returns(folder: Path, tmp: Path, codes: dict[int, dict[str, Any]]) -> dict[int, Path]:
    """Filled returns, through a real LibreOffice when it is here (else openpyxl)."""
    made = tmp / "made"
    made.mkdir()
    out, jobs = {}, []
    for i, kwargs in codes.items():
        src = next((folder / "issued").glob(f"{code_of(i)}-*.xlsx"))
        suffix = ".xls" if kwargs.pop("xls", False) else ".xlsx"
        dst = made / f"{code_of(i)}-{name_of(i)}{suffix}"
        out[i] = dst
        jobs.append(
            {
                "src": str(src),
                "dst": str(dst),
                "actions": fill(src, i, **kwargs),
                "filter": "MS Excel 97" if suffix == ".xls" else None,
            }
        )
    if SOFFICE and UNO_PYTHON:
        uno_batch(jobs)
    else:
        for job, (i, dst) in zip(jobs, out.items(), strict=True):
            fill_openpyxl(
                Path(job["src"]), dst if dst.suffix == ".xlsx" else dst.with_suffix(".xlsx"), i
            )
    return out


@needs_dovecot
def test_a_whole_round_by_mail(tmp_path: Path, smtp_server: Any, imap_server: Any) -> None:
    folder = campaign(tmp_path, 12, smtp_server, imap_server)
    run_cli("send", "--campaign", str(folder))
    sent = {m.rcpt_tos[0]: parsed(m.data) for m in smtp_server.messages}
    assert len(sent) == 12
    for i in range(1, 13):  # each department: its addresses, its subject, its own form
        msg = sent[f"d{i}@dept.example.cn"]
        assert msg["To"] == f"d{i}@dept.example.cn, office{i}@dept.example.cn"
        assert name_of(i) in str(msg["Subject"])
        issued = next((folder / "issued").glob(f"{code_of(i)}-*.xlsx"))
        (att,) = list(msg.iter_attachments())
        assert (
            att.get_filename() == issued.name
            and att.get_payload(decode=True) == issued.read_bytes()
        )

    def msgid(i: int) -> str:
        return sent[f"d{i}@dept.example.cn"]["Message-ID"]

    made = _returns(
        folder,
        tmp_path,
        {1: {}, 2: {}, 3: {}, 4: {"reason": False}, 5: {}, 6: {}, 7: {}, 8: {}, 9: {"xls": True}},
    )
    data = {i: p.read_bytes() for i, p in made.items()}
    to = f"测试区财政局绩效科 <{BUREAU}>"
    messages = [
        mailmaker.outlook("d1@dept.example.cn", to, msgid(1), made[1].name, data[1], 1),
        mailmaker.foxmail("d2@dept.example.cn", to, msgid(2), made[2].name, data[2], 2),
        mailmaker.webmail("office3@dept.example.cn", to, msgid(3), made[3].name, data[3], 3),
        mailmaker.webmail("d4@dept.example.cn", to, msgid(4), made[4].name, data[4], 4),  # to fix
        # an accountant forwards department 5's own reply: its signature decides
        mailmaker.forwarded("kuaiji@agency.example.cn", to, mailmaker.webmail("d5@dept.example.cn", to, msgid(5), made[5].name, data[5], 5), 5),
        mailmaker.zipped("d6@dept.example.cn", to, msgid(6), {made[6].name: data[6]}, 6),
        mailmaker.nameless("d7@dept.example.cn", to, None, data[7], 7),
        mailmaker.webmail("d8@dept.example.cn", to, None, made[8].name, data[8], 8),
        mailmaker.webmail("d9@dept.example.cn", to, None, made[9].name, data[9], 9),  # .xls: by sender
        mailmaker.text_only("d10@dept.example.cn", to, 10),  # no workbook
    ]  # fmt: skip
    for raw in messages:
        imap_server.append(raw)
    before = len(smtp_server.messages)

    def collect_imap(code: int) -> Any:
        key = str(tmp_path / "k")
        return run_cli(
            "collect", "--imap", "--reply", "--campaign", str(folder), "--key-file", key, code=code
        )

    run = collect_imap(code=1)
    assert "没有附带工作簿" in run.output
    status = json.loads(run_cli("status", "--format", "json", "--campaign", str(folder)).output)
    by = {d["code"]: d for d in status["departments"]}
    for i in (1, 2, 3, 5, 6, 7, 8):
        assert by[code_of(i)]["status"] == "passed", (i, by[code_of(i)])
        assert by[code_of(i)]["current"]["matched_by"] == "signature"
    assert by["D04"]["status"] == "to-fix"
    # a .xls without a signature: placed by the sender's address in the roster
    assert by["D09"]["status"] == "to-fix" and by["D09"]["current"]["matched_by"] == "sender"
    assert {by[code_of(i)]["status"] for i in (10, 11, 12)} == {"overdue"}
    replies = smtp_server.messages[before:]
    assert sorted(r.rcpt_tos[0] for r in replies) == sorted(
        ["d1@dept.example.cn", "d2@dept.example.cn", "office3@dept.example.cn", "d4@dept.example.cn",
         "kuaiji@agency.example.cn", "d6@dept.example.cn", "d7@dept.example.cn", "d8@dept.example.cn",
         "d9@dept.example.cn"]
    )  # fmt: skip
    fix = parsed(next(r.data for r in replies if r.rcpt_tos == ["d4@dept.example.cn"]))
    assert fix["In-Reply-To"] == "<web-4@mail.example.cn>" and "修改" in str(fix["Subject"])
    (annotated,) = list(fix.iter_attachments())
    assert annotated.get_filename().endswith("-校验.xlsx")
    ok = parsed(next(r.data for r in replies if r.rcpt_tos == ["d1@dept.example.cn"]))
    assert "执行率" in ok.get_body().get_content() and not list(ok.iter_attachments())

    # nothing marked read, nothing moved
    client = imap_server.client()
    client.select("INBOX", readonly=True)
    assert len(client.search(None, "UNSEEN")[1][0].split()) == len(messages)
    client.logout()

    # run twice: no return counted twice, no second reply
    again = collect_imap(code=0)
    assert len(smtp_server.messages) == before + 9
    counts = json.loads(run_cli("status", "--format", "json", "--campaign", str(folder)).output)[
        "counts"
    ]
    assert counts == status["counts"]

    # a UIDVALIDITY change: everything is read again, nothing counted twice
    client = imap_server.client()
    client.select("INBOX")
    client.store("1:*", "+FLAGS", "\\Deleted")
    client.expunge()
    client.logout()
    validity = _validity(folder)
    _renumber(imap_server)
    for raw in messages:
        imap_server.append(raw)
    third = collect_imap(code=1)
    assert "此前已收到" in third.output
    assert _validity(folder) != validity  # the server's UIDVALIDITY did change
    assert len(smtp_server.messages) == before + 9
    final = json.loads(run_cli("status", "--format", "json", "--campaign", str(folder)).output)
    assert final["counts"] == status["counts"]
    assert sum(d["returns"] for d in final["departments"]) == sum(
        d["returns"] for d in status["departments"]
    )

    # no password anywhere in the campaign folder, the ledger or the output
    for path in folder.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    for result in (run, again, third):
        assert PASSWORD not in result.output
    assert os.environ["XLTOOL_SMTP_PASSWORD"] == PASSWORD


def _validity(folder: Path) -> int:
    import sqlite3

    with sqlite3.connect(folder / "ledger.sqlite") as db:
        return db.execute("SELECT uidvalidity FROM imap_state").fetchone()[0]


def _renumber(server: Any) -> None:
    """Give INBOX a new UIDVALIDITY, as a server does when a mailbox is rebuilt."""
    import subprocess

    inbox = next((server.root / "mail").iterdir())
    for name in ("dovecot-uidlist", "dovecot.index", "dovecot.index.cache", "dovecot.index.log"):
        (inbox / name).unlink(missing_ok=True)
    server.proc.terminate()
    server.proc.wait(timeout=10)
    server.proc = subprocess.Popen(
        [server.proc.args[0], "-c", str(server.root / "dovecot.conf"), "-F"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import socket
    import time

    for _ in range(100):
        try:
            with socket.create_connection((server.host, server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)


def test_remind_the_late_and_the_ones_to_fix_once_per_interval(
    tmp_path: Path, smtp_server: Any
) -> None:
    folder = campaign(tmp_path, 4, smtp_server)
    key = ["--campaign", str(folder), "--key-file", str(tmp_path / "k")]
    src = next((folder / "issued").glob("D01-*.xlsx"))
    fill_openpyxl(src, tmp_path / "D01.xlsx", 1, reason=False)  # to fix
    src = next((folder / "issued").glob("D02-*.xlsx"))
    fill_openpyxl(src, tmp_path / "D02.xlsx", 2)  # passed
    run_cli("collect", str(tmp_path / "D01.xlsx"), str(tmp_path / "D02.xlsx"), *key, code=1)
    run_cli("campaign", "exempt", "D04", "--reason", "撤并", "--campaign", str(folder))
    out = run_cli("remind", "--campaign", str(folder))
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "d1@dept.example.cn",
        "d3@dept.example.cn",
    ]
    subjects = {m.rcpt_tos[0]: str(parsed(m.data)["Subject"]) for m in smtp_server.messages}
    assert "修改" in subjects["d1@dept.example.cn"] and "报送" in subjects["d3@dept.example.cn"]
    assert out.output.count("提醒 已发送") == 2
    again = run_cli("remind", "--campaign", str(folder))
    assert again.output.count("已提醒过") == 2 and len(smtp_server.messages) == 2
    run_cli("remind", "--force", "--status", "overdue", "--campaign", str(folder))
    assert len(smtp_server.messages) == 3
    status = json.loads(run_cli("status", "--format", "json", "--campaign", str(folder)).output)
    reminded = {d["code"]: d["last_reminder"] for d in status["departments"]}
    assert reminded["D01"] and reminded["D03"] and not reminded["D02"] and not reminded["D04"]


def test_saved_messages_are_collected_and_replies_drafted(tmp_path: Path, smtp_server: Any) -> None:
    """For bureaus without IMAP: messages saved from the mail client as .eml."""
    folder = campaign(tmp_path, 3, smtp_server)
    run_cli("send", "--campaign", str(folder))
    first = parsed(smtp_server.messages[0].data)
    src = next((folder / "issued").glob("D01-*.xlsx"))
    data = fill_openpyxl(src, tmp_path / "D01.xlsx", 1, reason=False).read_bytes()
    saved = tmp_path / "回复.eml"
    saved.write_bytes(
        mailmaker.foxmail(
            "d1@dept.example.cn", BUREAU, first["Message-ID"], "第1局自评表.xlsx", data, 1
        )
    )
    drafts = tmp_path / "回复草稿"
    out = run_cli(
        "collect", str(saved), "--reply", "--drafts", str(drafts),
        "--campaign", str(folder), "--key-file", str(tmp_path / "k"), code=1,
    )  # fmt: skip
    assert "D01 第1局（按签名）：待修改" in out.output
    (draft,) = drafts.glob("*.eml")
    msg = parsed(draft.read_bytes())
    assert msg["X-Unsent"] == "1" and msg["In-Reply-To"] == "<foxmail-1@dept.example.cn>"
    assert next(iter(msg.iter_attachments())).get_filename() == "第1局自评表-校验.xlsx"
    assert len(smtp_server.messages) == 3  # drafted, not sent
    again = run_cli(
        "collect", str(saved), "--reply", "--drafts", str(drafts),
        "--campaign", str(folder), "--key-file", str(tmp_path / "k"),
    )  # fmt: skip
    assert "此前已收到" in again.output and len(list(drafts.glob("*.eml"))) == 1


@needs_dovecot
def test_move_to_moves_only_what_was_processed(
    tmp_path: Path, smtp_server: Any, imap_server: Any
) -> None:
    folder = campaign(tmp_path, 2, smtp_server, imap_server)
    src = next((folder / "issued").glob("D01-*.xlsx"))
    data = fill_openpyxl(src, tmp_path / "D01.xlsx", 1).read_bytes()
    imap_server.append(mailmaker.webmail("d1@dept.example.cn", BUREAU, None, "D01.xlsx", data, 1))
    run_cli(
        "collect", "--imap", "--move-to", "已处理", "--campaign", str(folder),
        "--key-file", str(tmp_path / "k"),
    )  # fmt: skip
    client = imap_server.client()
    assert client.select("INBOX")[1][0] == b"0"
    modified_utf7 = "&" + "已处理".encode("utf-7").decode()[1:]
    assert client.select(f'"{modified_utf7}"')[1][0] == b"1"  # 已处理, in modified UTF-7
    client.logout()
