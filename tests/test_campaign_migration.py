"""A campaign made by the release before project forms (ledger schema 2, one workbook per
department at the top of issued/) opens, migrates, shows the same status and continues.

tests/fixtures/campaign-v2/ was made by that release (commit f6f45fd) with
tests/fixtures/README.md's script: 4 departments, one return passed, one to fix, one
exempt; campaign-v2.status.json is the status it showed then."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from xltool.keys import load_key
from xltool.round.collect import collect
from xltool.round.folder import Campaign
from xltool.round.rebuild import open_ledger
from xltool.round.status import campaign_status

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """What the old release showed, without the folder's place and the fields added since."""
    doc = json.loads(json.dumps(doc))
    doc["campaign"].pop("folder")
    doc.pop("coverage", None)
    for d in doc["departments"]:
        for key in ("forms", "forms_total", "forms_passed"):
            d.pop(key, None)
    return doc


def test_a_campaign_of_the_last_release_shows_the_same_status(tmp_path: Path) -> None:
    folder = tmp_path / "批次"
    shutil.copytree(FIXTURES / "campaign-v2", folder)
    with sqlite3.connect(folder / "ledger.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    c = Campaign.open(folder)
    with open_ledger(c) as ledger:
        st = campaign_status(c, ledger).to_json("zh")
    with sqlite3.connect(folder / "ledger.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    expected = json.loads((FIXTURES / "campaign-v2.status.json").read_text(encoding="utf-8"))
    assert _comparable(st) == _comparable(expected)
    forms = {d["code"]: d["forms"] for d in st["departments"]}
    assert [f["form"] for f in forms["D01"]] == ["D01"]
    assert st["coverage"]["dept-overall"] == {"total": 4, "passed": 1, "exempt": 1, "ratio": 0.3333}


def test_a_migrated_campaign_continues(tmp_path: Path) -> None:
    folder = tmp_path / "批次"
    shutil.copytree(FIXTURES / "campaign-v2", folder)
    c = Campaign.open(folder)
    key = load_key(FIXTURES / "campaign-v2.key")
    returned = tmp_path / "returned"
    returned.mkdir()
    shutil.copyfile(FIXTURES / "campaign-v2.return-D02.xlsx", returned / "D02-再报.xlsx")
    # the same bytes as the return already recorded: a duplicate, nothing counted twice
    [outcome] = collect(c, [str(returned)], key=key)
    assert (outcome.kind, outcome.form) == ("duplicate", "D02")
    with open_ledger(c) as ledger:
        assert len(ledger.returns()) == 2
        st = campaign_status(c, ledger)
    assert {d.code: d.status for d in st.departments}["D02"] == "to-fix"
