"""Reports and results (issue 22), without LibreOffice: a round of 8 departments issued
with their report templates, each form returned and passed, each report written as a
department would (figures that agree, a typed digit, 元 instead of 万元, a table instead
of prose, a section left out) and held against its form; the summary report, its every
figure recomputed from the ledger; the re-check sample drawn twice with one seed, and a
returned 复核表's deviation and grade change; private fields of a spec."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from docx import Document

from xltool.errors import SpecError
from xltool.forms.kinds import load_spec
from xltool.forms.spec import Spec, from_plain, plain
from xltool.reading.recheck_read import is_recheck_workbook
from xltool.round.folder import Campaign
from xltool.round.rebuild import open_ledger
from xltool.round.recheck import Member, draw_sample
from xltool.round.recheck_status import recheck_status, take_recheck
from xltool.round.reports_intake import take_report

from .campaign_helpers import (
    code_of,
    fill_openpyxl,
    name_of,
    run_cli,
    write_indicators,
    write_roster,
)
from .conftest import ROOT
from .report_helpers import fill_report, form_figures

N = 8


def typo(text: str) -> str:
    """One digit typed wrong: the first digit other than 0 becomes the next one."""
    for i, ch in enumerate(text):
        if ch.isdigit() and ch != "0":
            return text[:i] + str((int(ch) % 9) + 1) + text[i + 1 :]
    raise AssertionError(text)


def collected_round(tmp: Path, n: int, each: Any = None) -> dict[str, Any]:
    """A campaign of ``n`` departments issued with their reports, each form filled in
    (then handed to ``each``, when given) and collected."""
    key = tmp / "issuer.key"
    folder = tmp / "2025自评"
    run_cli(
        "campaign", "init", str(folder), "--roster", str(write_roster(tmp / "名单.xlsx", n)),
        "--indicators", str(write_indicators(tmp / "指标.xlsx", n)), "--year", "2025",
        "--deadline", "2025-03-31", "--with-report", "--key-file", str(key),
    )  # fmt: skip
    returns = tmp / "回收"
    returns.mkdir()
    for i in range(1, n + 1):
        src = next((folder / "issued").rglob(f"{code_of(i)}-*.xlsx"))
        filled = fill_openpyxl(src, returns / f"{code_of(i)}-{name_of(i)}.xlsx", i)
        if each is not None:
            each(filled)
    c = ["--campaign", str(folder), "--key-file", str(key)]
    run_cli("collect", str(returns), "--received-at", "2025-03-10", *c)
    return {"tmp": tmp, "key": key, "folder": folder, "c": c, "returns": returns}


@pytest.fixture(scope="module")
def round_(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    made = collected_round(tmp_path_factory.mktemp("reports"), N)
    returns = made.pop("returns")
    late = returns / "late"
    late.mkdir()
    shutil.move(returns / f"{code_of(8)}-{name_of(8)}.xlsx", late / "D08.xlsx")
    return made


def issued_report(folder: Path, i: int) -> Path:
    return next((folder / "issued").rglob(f"{code_of(i)}-*报告.docx"))


# what each department's report does, and the findings it must give (code, figure key)
VARIANTS: dict[int, dict[str, Any]] = {
    1: {"kw": {}, "typo": None, "expect": []},
    2: {"kw": {}, "typo": "spending", "expect": [("report-figure-mismatch", "spending")] * 2},
    3: {"kw": {"unit": "元"}, "typo": None, "expect": []},
    4: {"kw": {"where": "table"}, "typo": None, "expect": []},
    5: {"kw": {"drop": "三、"}, "typo": None, "expect": [("report-section-missing", None)]},
    6: {"kw": {"where": "table"}, "typo": "score", "expect": [("report-figure-mismatch", "score")]},
    7: {"kw": {"unit": "元"}, "typo": "basic", "expect": [("report-figure-mismatch", "spending")]},
    8: {"kw": {}, "typo": "rate", "expect": [("report-figure-mismatch", "rate")]},
}


@pytest.fixture(scope="module")
def reports(round_: dict[str, Any]) -> dict[int, Any]:
    campaign = Campaign.find(round_["folder"])
    key = campaign.key(round_["key"])
    out = {}
    for i, variant in VARIANTS.items():
        figures = form_figures(i)
        if variant["typo"]:
            figures[variant["typo"]] = float(typo(f"{figures[variant['typo']]:.2f}"))
        path = fill_report(
            issued_report(round_["folder"], i), round_["tmp"] / f"{code_of(i)}报告.docx",
            figures, **variant["kw"],
        )  # fmt: skip
        out[i] = (take_report(campaign, path, received_at="2025-03-12", key=key), figures)
    return out


@pytest.mark.parametrize("i", sorted(VARIANTS))
def test_each_report_is_matched_and_held_against_its_form(reports: dict[int, Any], i: int) -> None:
    outcome, _figures = reports[i]
    assert outcome.code == code_of(i) and outcome.matched_by == "signature"
    assert outcome.against is not None  # its passed form
    got = sorted(
        (f.code, f.field if f.code == "report-figure-mismatch" else None) for f in outcome.findings
    )
    assert got == sorted(VARIANTS[i]["expect"]), [f.message() for f in outcome.findings]


def test_a_mismatch_names_both_values_and_where_each_stands(reports: dict[int, Any]) -> None:
    outcome, figures = reports[2]
    form = form_figures(2)
    [against_form] = [f for f in outcome.findings if "自评表" in f.message()]
    assert against_form.found == f"{figures['spending']:.2f}万元"
    assert against_form.expected == f"{form['spending']:,.2f}万元"
    text = against_form.message("zh")
    assert "「一、部门概况」" in text and "第1段" in text and "全年执行数" in text
    outcome6, figures6 = reports[6]
    [score] = outcome6.findings
    assert score.found == f"{figures6['score']:g}" and score.expected == "99分"
    assert "表1第2行第7列" in score.message()
    outcome8, figures8 = reports[8]
    assert outcome8.findings[0].found == f"{figures8['rate']:.2f}%"
    assert outcome8.findings[0].expected == f"{form_figures(8)['rate']:.2f}%"


def test_a_report_in_yuan_is_read_as_wan_yuan(reports: dict[int, Any]) -> None:
    outcome, _figures = reports[7]  # 元, with 基本支出 mistyped
    [parts] = outcome.findings
    assert "元" in parts.expected and "基本支出＋项目支出" in parts.message()


def test_legacy_and_unreadable_reports_ask_for_docx(round_: dict[str, Any]) -> None:
    campaign = Campaign.find(round_["folder"])
    key = campaign.key(round_["key"])
    rtf = take_report(campaign, b"{\\rtf1 report}", original_name="D01-报告.rtf", key=key)
    assert [f.code for f in rtf.findings] == ["report-legacy-format"]
    junk = take_report(campaign, b"not a document", original_name="D01-报告.docx", key=key)
    assert [f.code for f in junk.findings] == ["report-unreadable"]
    assert "另存为" in junk.findings[0].message("zh") and ".docx" in junk.findings[0].message("zh")


# --- the summary report -------------------------------------------------------------------


def ledger_numbers(folder: Path) -> dict[str, Any]:
    """Recomputed from the ledger alone: each department's current return (latest
    received) when it passed, and its totals."""
    campaign = Campaign.find(folder)
    with open_ledger(campaign) as ledger:
        rows = ledger.returns()
    current: dict[str, Any] = {}
    for r in rows:
        if r.code and (r.code not in current or r.received_at >= current[r.code].received_at):
            current[r.code] = r
    passed = {c: r.totals for c, r in current.items() if r.status == "ok"}
    adjusted = sum(t["budget_adjusted"] for t in passed.values())
    executed = sum(t["executed"] for t in passed.values())
    scores = [t["score"] for t in passed.values()]
    return {"passed": passed, "adjusted": adjusted, "executed": executed,
            "rate": executed / adjusted, "mean": sum(scores) / len(scores)}  # fmt: skip


def docx_text(path: Path) -> tuple[str, Any]:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += ["\t".join(c.text for c in row.cells) for row in table.rows]
    return "\n".join(parts), doc


@pytest.fixture(scope="module")
def summary_report(round_: dict[str, Any], reports: dict[int, Any]) -> Path:
    target = round_["tmp"] / "汇总分析报告.docx"
    out = run_cli("report", "-o", str(target), *round_["c"])
    assert "已写入" in out.output
    return target


def test_the_report_holds_its_charts_and_every_figure_from_the_ledger(
    round_: dict[str, Any], summary_report: Path
) -> None:
    text, doc = docx_text(summary_report)
    assert len(doc.inline_shapes) == 3  # grades, scores, rates
    want = ledger_numbers(round_["folder"])
    assert f"全年预算数合计{want['adjusted']:,.2f}万元" in text
    assert f"全年执行数合计{want['executed']:,.2f}万元" in text
    assert f"总体执行率{want['rate'] * 100:.2f}%" in text
    assert f"平均得分{want['mean']:.2f}分" in text
    assert f"审核通过{len(want['passed'])}个" in text
    names = {code_of(i): name_of(i) for i in range(1, N + 1)}
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in doc.tables[-2].rows[1:]}
    for code, totals in want["passed"].items():
        row = rows[code]
        assert row[1] == names[code]
        assert row[7:11] == [f"{totals['budget_adjusted']:,.2f}", f"{totals['executed']:,.2f}",
                             f"{totals['execution_rate'] * 100:.2f}%", f"{round(totals['score'], 2):g}"]  # fmt: skip
    # the indicator each department scored 1 below its points, with the reason it gave
    unmet = [r for r in doc.tables[-1].rows[1:]]
    assert len(unmet) == len(want["passed"])
    assert all(r.cells[5].text == "个别项目延期" for r in unmet)
    for heading in ("一、基本情况", "二、自评得分与等级分布", "三、预算执行情况", "四、未完成的绩效指标及原因",
                    "五、存在的主要问题", "六、改进措施和有关建议"):  # fmt: skip
        assert heading in text
    assert "一是项目前期论证不足" in text and "加强预算执行监控" in text  # from the reports


def test_without_a_chinese_font_there_are_no_charts_and_the_command_says_so(
    round_: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from xltool.render import charts

    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    target = round_["tmp"] / "无字体.docx"
    out = run_cli("report", "-o", str(target), *round_["c"])
    assert "fonts-noto-cjk" in out.stderr and "fonts-wqy-zenhei" in out.stderr
    text, doc = docx_text(target)
    assert len(doc.inline_shapes) == 0 and "未附图表" in text


def test_the_charts_find_a_chinese_font_with_every_glyph() -> None:
    from xltool.render.charts import cjk_font

    found = cjk_font()
    assert found is not None, "install fonts-wqy-zenhei or fonts-noto-cjk (see .ci/run)"


# --- 抽查复核 -----------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_sample(round_: dict[str, Any]) -> None:
    folder = round_["folder"]
    args = ["recheck", "sample", "--rate", "50%", "--seed", "2025", *round_["c"]]
    first = run_cli(*args, "--force").output  # --force: whichever test drew one before
    record = json.loads((folder / "recheck.json").read_text(encoding="utf-8"))
    again = run_cli(*args, "--force").output
    assert first == again
    second = json.loads((folder / "recheck.json").read_text(encoding="utf-8"))
    assert [m["code"] for m in record["sample"]] == [m["code"] for m in second["sample"]]
    assert record["seed"] == 2025 and record["method"]["rate"] == 0.5
    assert "random.Random(seed)" in record["method"]["algorithm"]
    assert len(record["sample"]) == 4  # ceil(50% of 8)
    for m in record["sample"]:
        assert (folder / "recheck" / "issued" / m["issued"]).is_file()
    other = run_cli("recheck", "sample", "--rate", "50%", "--seed", "7", "--force", *round_["c"])
    assert other.exit_code == 0
    run_cli(*args, "--force")  # back to seed 2025 for the tests below


def members(n: int) -> list[Member]:
    grades = ["优", "良", "中"]
    return [
        Member(f"D{i:02d}", f"第{i}局", "dept-overall" if i % 4 else "project", "", f"f{i}",
               f"s{i}", 90.0, grades[i % 3], float(i * 10))
        for i in range(1, n + 1)
    ]  # fmt: skip


def test_strata_and_rate_hold_and_the_draw_is_pure() -> None:
    people = members(40)
    for by in (("grade",), ("kind",), ("kind", "grade")):
        chosen, strata = draw_sample(people, seed=11, size=10, by=by)
        assert len(chosen) == 10
        for name, s in strata.items():
            assert abs(s["sampled"] - 10 * s["population"] / 40) < 1, (by, name, s)
        again, _ = draw_sample(list(reversed(people)), seed=11, size=10, by=by)
        assert [m.code for m, _s, _f in chosen] == [m.code for m, _s, _f in again]
    musts, _ = draw_sample(people, seed=11, size=4, must=["D07"])
    assert "D07" in [m.code for m, _s, _f in musts]
    heavy, _ = draw_sample(people, seed=3, size=10, weight="budget")
    light = sorted(m.budget or 0 for m in people)[:10]
    assert sum(m.budget or 0 for m, _s, _f in heavy) > sum(light)


def fill_recheck(path: Path, target: Path, minus: float) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb["复核表"]
    for r in range(6, 200):
        if not isinstance(ws.cell(r, 1).value, int):
            break
        ws.cell(r, 10).value = (ws.cell(r, 8).value or 0) - minus
        ws.cell(r, 12).value = "佐证材料不足"
    wb.save(target)
    return target


def test_returned_recheck_forms_give_deviation_and_grade_change(round_: dict[str, Any]) -> None:
    folder = round_["folder"]
    campaign = Campaign.find(folder)
    key = campaign.key(round_["key"])
    run_cli("recheck", "sample", "--rate", "50%", "--seed", "2025", "--force", *round_["c"])
    sample = json.loads((folder / "recheck.json").read_text(encoding="utf-8"))["sample"]
    big, small = sample[0], sample[1]
    for member, minus in ((big, 5), (small, 1)):
        src = folder / "recheck" / "issued" / member["issued"]
        done = fill_recheck(src, round_["tmp"] / f"rc-{member['code']}.xlsx", minus)
        assert is_recheck_workbook(done.read_bytes())  # what collect and the pages ask
        form = next((folder / "issued").rglob("*.xlsx")).read_bytes()
        assert not is_recheck_workbook(form)
        taken = take_recheck(campaign, done.read_bytes(), done.name, key=key)
        assert taken.code == member["code"]
    lines = {x.code: x for x in recheck_status(campaign, key=key)}
    n = len(big["rows"])
    assert lines[big["code"]].recheck_score == big["self_score"] - 5 * n
    assert lines[big["code"]].deviation == -5 * n
    assert lines[big["code"]].grade_changed  # 99 → 84: 优 → 良
    assert [f.code for f in lines[big["code"]].findings] == ["recheck-deviation"]
    assert lines[small["code"]].deviation == -1 * len(small["rows"])
    assert lines[small["code"]].findings == []
    assert all(
        x.recheck_score is None for c, x in lines.items() if c not in (big["code"], small["code"])
    )
    out = run_cli("recheck", "status", "--format", "json", *round_["c"]).output
    forms = {f["code"]: f for f in json.loads(out)["forms"]}
    assert forms[big["code"]]["grade_changed"] is True


# --- the spec's private fields --------------------------------------------------------------


def test_private_fields_are_validated_and_survive_the_cache(tmp_path: Path) -> None:
    base = ROOT / "templates" / "dept-overall.yaml"
    shutil.copyfile(base, tmp_path / "dept-overall.yaml")
    good = tmp_path / "mine.yaml"
    good.write_text("extends: dept-overall\nkind: mine\nversion: 1\nname: 我的表\n"
                    "private_fields: [filer, filer_phone]\n", encoding="utf-8")  # fmt: skip
    spec = load_spec(good)
    assert spec.private_keys() == ["filer", "filer_phone"]
    assert from_plain(Spec, plain(spec)).private_keys() == ["filer", "filer_phone"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        good.read_text(encoding="utf-8").replace("filer_phone", "nope"), encoding="utf-8"
    )
    with pytest.raises(SpecError, match="private_fields names unknown field 'nope'"):
        load_spec(bad)


def test_issued_reports_carry_a_signed_issue_in_their_properties(round_: dict[str, Any]) -> None:
    from xltool.forms.report_meta import read_custom_properties
    from xltool.keys import check

    campaign = Campaign.find(round_["folder"])
    path = issued_report(round_["folder"], 3)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        meta = read_custom_properties(zf)
    assert meta["code"] == "D03" and meta["kind"] == "report"
    assert check(meta, campaign.key(round_["key"])) == "valid-hmac"
    text, _doc = docx_text(path)
    assert "2025年度第3局部门整体支出绩效评价报告" in text and "编码：D03" in text
    assert "年初预算数300.00万元" in text  # the roster's figure, filled in by the issuer


def test_status_shows_each_departments_report_and_what_it_says(
    round_: dict[str, Any], reports: dict[int, Any]
) -> None:
    shown = run_cli("status", "--format", "json", *round_["c"][:2])
    doc = json.loads(shown.output)
    by_code = {d["code"]: d["report"] for d in doc["departments"]}
    # D03's report (in 元) agrees; D01's latest may be the .rtf another test took in
    assert by_code[code_of(3)]["status"] == "ok" and by_code[code_of(3)]["findings"] == []
    assert by_code[code_of(2)]["status"] == "to-fix" and len(by_code[code_of(2)]["findings"]) == 2
    one = run_cli("status", "--department", code_of(5), *round_["c"][:2])
    assert "评价报告：" in one.output and "1 处与表不符" in one.output


def test_a_report_that_came_by_mail_gets_its_reply_naming_the_mismatches(
    round_: dict[str, Any], reports: dict[int, Any], tmp_path: Path
) -> None:
    """A department mails its report (Foxmail's way): collect --reply drafts one answer
    saying how many of its figures disagree with its form."""
    import email
    from email import policy

    import yaml

    from .mailmaker import foxmail

    folder = tmp_path / "round"
    shutil.copytree(round_["folder"], folder)
    config = yaml.safe_load((folder / "campaign.yaml").read_text(encoding="utf-8"))
    config["mail"] = {"from": {"name": "绩效科", "address": "jxk@czj.example.cn"}}
    (folder / "campaign.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    figures = form_figures(2)
    figures["spending"] = float(typo(f"{figures['spending']:.2f}"))
    report = fill_report(issued_report(folder, 2), tmp_path / "D02报告.docx", figures)
    eml = tmp_path / "来信.eml"
    eml.write_bytes(
        foxmail(
            "d2@dept.example.cn",
            "jxk@czj.example.cn",
            None,
            "第2局评价报告.docx",
            report.read_bytes(),
            7,
        )
    )
    drafts = tmp_path / "drafts"
    args = ["collect", str(eml), "--reply", "--drafts", str(drafts), "--campaign", str(folder)]
    run_cli(*args, "--key-file", str(round_["key"]), code=1)  # the report disagrees: exit 1
    [draft] = drafts.glob("*.eml")
    body = email.message_from_bytes(draft.read_bytes(), policy=policy.default).get_body()
    assert "评价报告中有 2 处与自评表不符" in body.get_content()


def test_the_console_shows_a_departments_report_and_its_mismatches(
    round_: dict[str, Any], reports: dict[int, Any]
) -> None:
    from starlette.testclient import TestClient

    from xltool.web.app import create_app

    campaign = Campaign.find(round_["folder"])
    app = create_app(campaign, token="t" * 32, key=campaign.key(round_["key"]))
    with TestClient(app, client=("127.0.0.1", 50000)) as web:
        assert web.get("/?token=" + "t" * 32).status_code == 200  # the session cookie
        page = web.get(f"/dept/{code_of(2)}").text
    assert "评价报告" in page and "与自评表不符" in page
    assert page.count("<li>") >= 2  # each mismatch listed


def test_a_report_dated_year_9999_is_taken_with_its_time_set_aside(
    round_: dict[str, Any], tmp_path: Path
) -> None:
    """The same receive time rules as for workbooks (a message dated 9999 used to end
    the run with OverflowError here)."""
    campaign = Campaign.find(round_["folder"])
    figures = form_figures(4)
    report = fill_report(issued_report(round_["folder"], 4), tmp_path / "D04报告.docx", figures)
    outcome = take_report(
        campaign, report.read_bytes(), original_name="D04报告-再报.docx",
        received_at="9999-12-31T23:00:00-05:00", key=campaign.key(round_["key"]),
    )  # fmt: skip
    assert outcome.code == code_of(4)
    sidecar = json.loads(
        (campaign.root / "inbox" / "reports" / f"{outcome.stored}.json").read_text("utf-8")
    )
    assert sidecar["received_at_source"] == "recorded"
    assert sidecar["received_at_set_aside"]["value"].startswith("9999-12-31")
