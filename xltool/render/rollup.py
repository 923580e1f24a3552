"""``summary``: the roll-up workbook of returned files, or of a campaign's current returns,
as the CLI and any other face call it. Returns what it wrote; nothing here prints."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from xltool.checking.verify import verify_paths
from xltool.forms.spec import Spec
from xltool.render.summary import Duplicate, Row, write_summary
from xltool.round.folder import Campaign
from xltool.round.rebuild import open_ledger
from xltool.round.status import campaign_status
from xltool.safeio import write_atomic

Progress = Callable[[int], AbstractContextManager[Callable[[Any], None]]]


def roll_up_files(
    files: list[Path],
    output: Path,
    *,
    spec: Spec | None = None,
    jobs: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Duplicate]:
    """One row per department: its latest return among ``files`` (by the workbook's own
    saved time). Returns the returns set aside as duplicates, and which time decided."""
    with progress(len(files)) if progress else nullcontext(None) as advance:
        results = verify_paths(files, spec=spec, jobs=jobs, progress=advance)
    dupes: list[Duplicate] = []
    write_atomic(output, lambda h: dupes.extend(write_summary(h, results, spec)), force)
    return dupes


def roll_up_campaign(
    campaign: Campaign,
    output: Path | None = None,
    *,
    force: bool = False,
    jobs: int | None = None,
    key: bytes | None = None,
    progress: Progress | None = None,
) -> Path:
    """Every department of the roster: its current return, or 未报送. Written to
    ``output``, else 汇总.xlsx in the campaign folder; returns where."""
    spec = campaign.spec()
    with open_ledger(campaign) as ledger:
        st = campaign_status(campaign, ledger)
    current = [d for d in st.departments if d.current]
    paths = [campaign.inbox / d.current.file for d in current if d.current]
    with progress(len(paths)) if progress else nullcontext(None) as advance:
        results = verify_paths(
            paths, spec=spec, key=key or campaign.key(), jobs=jobs, progress=advance, batch=False
        )
    by_code = {d.code: r for d, r in zip(current, results, strict=True)}
    rows = [
        Row(by_code.get(d.code), d.code, d.department, d.label("zh"))
        for d in sorted(st.departments, key=lambda d: d.code)
    ]
    target = output or campaign.root / "汇总.xlsx"
    title = f"{campaign.config.get('title') or spec.name}汇总"
    write_atomic(
        target, lambda h: write_summary(h, results, spec, rows=rows, dupes=[], title=title), force
    )
    return target
