"""`xltool verify`: exact findings for each faulty sample, reports, exit codes, safety."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltool.checking.verify import verify_file, verify_paths
from xltool.cli import main
from xltool.findings import CATALOGUE
from xltool.forms.kinds import load_builtin
from xltool.round.results import Keeper

from .conftest import SAMPLES
from .faulty import VARIANTS, seed_bytes

FAULTY = SAMPLES / "faulty"


@pytest.fixture(scope="module")
def seed_source() -> bytes:
    return seed_bytes()


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_verify_reports_exactly_the_expected_findings(
    variant, seed_source: bytes, tmp_path: Path
) -> None:
    path = tmp_path / f"{variant.name}.xlsx"
    path.write_bytes(variant.make(seed_source))
    result = verify_file(path)
    assert sorted((f.code, f.cell) for f in result.findings) == sorted(variant.expected)
    assert not any(f.internal for f in result.findings)
    # every message names its place and reads in both languages
    for f in result.findings:
        assert f.message("zh") and f.message("en")
        if f.cell:
            assert f"{f.sheet}!{f.cell}" in f.message("zh")


def test_committed_faulty_samples_cover_the_same_variants() -> None:
    committed = sorted(p.stem for p in FAULTY.iterdir())
    assert committed == sorted(v.name for v in VARIANTS)
    results = verify_paths(sorted(FAULTY.iterdir()), jobs=2)
    by_name = {Path(r.path).stem: r for r in results}
    for v in VARIANTS:
        assert sorted((f.code, f.cell) for f in by_name[v.name].findings) == sorted(v.expected), (
            v.name
        )


def test_the_seed_sample_verifies_ok_with_its_figures() -> None:
    result = verify_file(SAMPLES / "yuelu-commerce-2019.xlsx")
    assert result.status == "ok" and result.findings == []
    assert round(result.totals["execution_rate"], 4) == 0.6646
    assert result.totals["score"] == 98.5 and result.totals["points"] == 100
    assert result.totals["budget_adjusted"] == 5071.49 and result.totals["executed"] == 3370.55
    assert (result.department, result.year, result.kind) == ("岳麓区商务局", 2019, "dept-overall")


def test_an_unfilled_form_gives_one_required_missing_per_section() -> None:
    result = verify_file(SAMPLES / "dept-overall-blank.xlsx")
    missing = [f for f in result.findings if f.code == "required-missing"]
    assert sorted(f.field for f in missing) == ["funds", "goals", "header", "indicators.score"]


def test_messages_say_where_what_and_how_to_fix(tmp_path: Path, seed_source: bytes) -> None:
    variant = next(v for v in VARIANTS if v.name == "score-over-points")
    path = tmp_path / "s.xlsx"
    path.write_bytes(variant.make(seed_source))
    finding = verify_file(path).findings[0]
    assert (
        finding.message("zh")
        == "自评表!H14（指标2：实际到位外资）得分 6 超过分值 4，请改为不超过 4 的数"
    )
    assert "exceeds the points 4" in finding.message("en")


def test_json_report_has_the_documented_keys(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "verify",
            str(SAMPLES / "yuelu-commerce-2019.xlsx"),
            str(FAULTY / "score-over-points.xlsx"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {"xltool", "files", "summary"}
    assert doc["summary"] == {"files": 2, "ok": 1, "invalid": 1, "unreadable": 0}
    ok = doc["files"][0]
    assert set(ok) == {
        "path",
        "sha256",
        "bytes",
        "status",
        "kind",
        "spec_version",
        "department",
        "year",
        "totals",
        "signature",
        "findings",
    }
    assert set(ok["totals"]) == {
        "budget_initial",
        "budget_adjusted",
        "executed",
        "execution_rate",
        "points",
        "score",
    }
    assert (
        ok["sha256"]
        == hashlib.sha256((SAMPLES / "yuelu-commerce-2019.xlsx").read_bytes()).hexdigest()
    )
    finding = doc["files"][1]["findings"][0]
    assert set(finding) == {
        "code",
        "severity",
        "sheet",
        "cell",
        "field",
        "message",
        "found",
        "expected",
    }
    assert (finding["found"], finding["expected"]) == (6, 4)


def test_exit_codes_and_summary_line(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", str(SAMPLES / "yuelu-commerce-2019.xlsx")])
    assert ok.exit_code == 0 and "1 个文件：1 个通过，0 个有错误，0 个无法读取" in ok.stdout
    bad = runner.invoke(main, ["--lang", "en", "verify", str(FAULTY)])
    count = len([p for p in FAULTY.iterdir() if p.suffix in (".xlsx", ".ods")])
    assert bad.exit_code == 1 and f"{count} files:" in bad.stdout
    missing = runner.invoke(main, ["verify", str(tmp_path / "nope.xlsx")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    nothing = runner.invoke(main, ["verify", str(empty_dir)])
    assert nothing.exit_code == 2


def test_directories_globs_and_lock_files(tmp_path: Path) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "x.xlsx").write_bytes((SAMPLES / "yuelu-commerce-2019.xlsx").read_bytes())
    (sub / "~$x.xlsx").write_bytes(b"\x00" * 165)
    (sub / "notes.txt").write_text("not a form")
    runner = CliRunner()
    result = runner.invoke(main, ["verify", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "~$x.xlsx" in result.stderr
    glob = runner.invoke(main, ["verify", str(tmp_path / "a" / "*" / "*.xlsx"), "--format", "json"])
    assert json.loads(glob.stdout)["summary"]["files"] == 1


def test_inputs_are_never_written(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    for p in [*list(FAULTY.iterdir())[:8], SAMPLES / "yuelu-commerce-2019.xlsx"]:
        (folder / p.name).write_bytes(p.read_bytes())
    before = {
        p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in folder.iterdir()
    }
    for p in folder.iterdir():
        p.chmod(stat.S_IRUSR)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        results = verify_paths(sorted(folder.iterdir()), jobs=2)
        assert len(results) == len(before)
    finally:
        folder.chmod(stat.S_IRWXU)
    after = {
        p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in folder.iterdir()
    }
    assert after == before
    assert sorted(os.listdir(folder)) == sorted(p.name for p in before)


def test_a_worker_that_overruns_gives_file_unreadable_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch
) -> None:
    from xltool.checking import verify as verify_module
    from xltool.checking.verify import Bounds

    slow = tmp_path / "slow.xlsx"
    slow.write_bytes(b"slow")
    real = verify_module._verify

    def sometimes_hangs(path, *args):
        if path.name == "slow.xlsx":
            import time

            time.sleep(30)
        return real(path, *args)

    monkeypatch.setattr(verify_module, "_verify", sometimes_hangs)
    kept = tmp_path / "results"
    kept.mkdir()
    results = verify_paths(
        [slow, SAMPLES / "yuelu-commerce-2019.xlsx"],
        jobs=2,
        bounds=Bounds(seconds=2),
        keep=Keeper(str(kept), "stamp"),
    )
    assert results[0].findings[0].code == "file-unreadable" and "2 s" in results[0].findings[
        0
    ].message("en")
    assert results[1].status == "ok"
    # each result kept where it was made: the worker's by the worker, the overrun one's
    # by the parent that stopped it (a summary does not wait out the bound again)
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (slow, Path(results[1].path))}
    assert {p.stem for p in kept.glob("*.json")} == shas


def test_every_code_in_the_catalogue_is_documented() -> None:
    catalogue = (SAMPLES.parent / "docs" / "findings.md").read_text(encoding="utf-8")
    for code in CATALOGUE:
        assert f"`{code}`" in catalogue, code


def test_renamed_sheet_found_by_labels_when_names_are_gone(
    tmp_path: Path, seed_source: bytes
) -> None:
    import io

    wb = openpyxl.load_workbook(io.BytesIO(seed_source))
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    del wb["_xltool"]
    wb.custom_doc_props.props.clear()
    wb["自评表"].title = "我的表"
    path = tmp_path / "retyped.xlsx"
    wb.save(path)
    result = verify_file(path)
    assert [f.code for f in result.findings] == ["sheet-renamed"]
    assert result.totals["score"] == 98.5 and round(result.totals["execution_rate"], 4) == 0.6646


def test_a_named_pipe_is_reported_never_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    results = verify_paths([fifo, SAMPLES / "yuelu-commerce-2019.xlsx"], jobs=1)
    assert results[0].findings[0].code == "file-unreadable"
    assert "regular file" in results[0].findings[0].message("en")
    assert results[1].status == "ok"
    # also when it is found in a folder, with the rest of the batch
    cli = CliRunner().invoke(main, ["verify", str(tmp_path), "--format", "json"])
    assert cli.exit_code == 1 and "pipe.xlsx" in cli.stdout


def test_a_server_keeps_its_workers_between_runs_of_the_same_task() -> None:
    """``xltool serve`` verifies one upload at a time: its workers stay for the next run of
    the same task instead of a new process each time; another task gets its own."""
    from xltool.checking import pool

    sample = SAMPLES / "yuelu-commerce-2019.xlsx"
    spec = load_builtin("dept-overall")
    pool.keep_workers(True)
    try:
        first = verify_paths([sample], spec=spec, jobs=1, batch=False)
        [(task, slot)] = pool._KEEP["parked"]
        again = verify_paths([sample], spec=spec, jobs=1, batch=False)
        assert [(t, s.proc.pid) for t, s in pool._KEEP["parked"]] == [(task, slot.proc.pid)]
        assert first[0].totals == again[0].totals and again[0].status == "ok"
        verify_paths([sample], spec=spec, jobs=1, batch=False, lang="en")  # another task
        assert len(pool._KEEP["parked"]) == 2
    finally:
        pool.keep_workers(False)
        for _task, s in pool._KEEP["parked"]:
            s.conn.send(None)
            s.proc.join(timeout=5)
        pool._KEEP["parked"] = []
