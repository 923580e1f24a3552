"""``summary``: the roll-up workbook of returned files, or of a campaign's current returns,
as the CLI and any other face call it. Returns what it wrote; nothing here prints."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from xltool.checking.result import FileResult
from xltool.checking.verify import verify_paths
from xltool.forms.spec import Spec
from xltool.render.project_rollup import CoverageRow, ProjectRow, write_project_sheets
from xltool.render.summary import Duplicate, Row, write_summary
from xltool.round.folder import Campaign
from xltool.round.formset import DEPT, PROJECT
from xltool.round.rebuild import open_ledger
from xltool.round.results import results_of
from xltool.round.status import CampaignStatus, campaign_status
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
    """Every department of the roster: its current department form, or 未报送; in a
    round with project forms, the 项目 sheet (each project, a subtotal per department),
    the 覆盖 sheet and the project charts. Written to ``output``, else 汇总.xlsx in the
    campaign folder; returns where."""
    with open_ledger(campaign) as ledger:
        st = campaign_status(campaign, ledger)
    wanted = [f for d in st.departments for f in d.forms if f.current]
    stored = [(campaign.inbox / f.current.file, f.current.sha256) for f in wanted if f.current]
    key = key or campaign.key()

    def verify(missing: list[Path]) -> list[FileResult]:
        with progress(len(missing)) if progress else nullcontext(None) as advance:
            return verify_paths(
                missing, spec=campaign.specs(), key=key, jobs=jobs, progress=advance,
                batch=False,
            )  # fmt: skip

    # what collect found of each return, kept in results/; only the rest verified again
    results = results_of(campaign, stored, key, verify)
    by_form = {f.ref.id: r for f, r in zip(wanted, results, strict=True)}
    own = [r for f, r in zip(wanted, results, strict=True) if f.ref.role == DEPT]
    rows = [
        Row(by_form.get(d.code), d.code, d.department, d.label("zh"))
        for d in sorted(st.departments, key=lambda d: d.code)
    ]
    spec = campaign.spec()
    target = output or campaign.root / "汇总.xlsx"
    title = f"{campaign.config.get('title') or spec.name}汇总"
    projects = _project_sheets(campaign, st, by_form) if PROJECT in campaign.roles else None
    write_atomic(
        target,
        lambda h: write_summary(
            h, own, spec, rows=rows, dupes=[], title=title, projects=projects,
            departments=DEPT in campaign.roles,
        ),
        force,
    )  # fmt: skip
    return target


def _project_sheets(
    campaign: Campaign, st: CampaignStatus, by_form: dict[str, FileResult]
) -> Callable[[Any, dict[str, Any]], None]:
    rows, coverage = [], []
    for d in st.departments:
        for f in d.forms:
            if f.ref.role == PROJECT:
                rows.append(
                    ProjectRow(d.code, d.department, f.ref.project or "", f.ref.project_name or "",
                               f.label("zh"), by_form.get(f.ref.id))
                )  # fmt: skip
        missing = [f.ref.label("zh") if f.ref.project else "部门整体" for f in d.outstanding()]
        exempt = sum(f.status == "exempt" for f in d.forms)
        coverage.append(
            CoverageRow(d.code, d.department, len(d.owed), d.forms_passed, exempt, missing)
        )
    spec = campaign.spec(PROJECT)
    return lambda wb, fmt: write_project_sheets(wb, fmt, spec, rows, coverage)
