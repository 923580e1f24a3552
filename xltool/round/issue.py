"""``xltool new`` as a library: turn options, a roster, indicators or data into forms."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from xltool.errors import InputError
from xltool.forms.model import EXPORT_ONLY_KEYS, FormData, check_form_data
from xltool.forms.spec import Spec
from xltool.forms.write import IssueInfo, write_form
from xltool.round.roster import (
    Department,
    Indicators,
    agreed_year,
    check_indicators_for,
    read_indicators,
    read_roster,
)
from xltool.safeio import safe_stem, unique_names, write_atomic


@dataclass(frozen=True)
class IssuedForm:
    path: Path
    data: FormData


def read_data(spec: Spec, path: Path) -> list[FormData]:
    """Form data as exported (one JSON object or a list of them)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"找不到数据文件 {path}", f"data file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"数据文件 {path} 不是有效的 JSON：{exc}", f"data file {path}: not JSON: {exc}"
        ) from None
    items = raw if isinstance(raw, list) else [raw]
    forms = []
    for i, item in enumerate(items, start=1):
        where = f"data file {path}" + (f", form {i}" if len(items) > 1 else "")
        if isinstance(item, dict):
            item = {k: v for k, v in item.items() if k not in EXPORT_ONLY_KEYS}
        try:
            form = FormData.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise InputError(
                f"{where}：{loc}：{err['msg']}", f"{where}: {loc}: {err['msg']}"
            ) from None
        if form.kind != spec.kind:
            raise InputError(
                f"{where}：表样为 {form.kind}，不是 {spec.kind}",
                f"{where}: kind is {form.kind}, not {spec.kind}",
            )
        check_form_data(spec, form, where)
        forms.append(form)
    return forms


def plan_forms(
    spec: Spec,
    *,
    department: str | None = None,
    year: int | None = None,
    code: str | None = None,
    roster: Path | None = None,
    indicators: Path | None = None,
    data: Path | None = None,
    notes: list[tuple[str, str]] | None = None,
) -> list[FormData]:
    """Every form to issue, from the options of ``xltool new``. What a table had that
    was ignored is added to ``notes`` as (zh, en) lines."""
    if data and (roster or indicators):
        raise InputError(
            "--data 已包含完整表单，不能与 --roster 或 --indicators 同用",
            "--data carries whole forms; it does not combine with --roster or --indicators",
        )
    if data:
        forms = read_data(spec, data)
    else:
        table = read_indicators(spec, indicators) if indicators else Indicators()
        if roster:
            people = read_roster(spec, roster)
            if table.per_department:
                check_indicators_for(spec, table, people, indicators or Path())
            departments = people.departments
        else:
            name = spec.identity.name or "department"
            departments = [Department({name: department} if department else {})]
        for path, found in (
            (roster, people.ignored if roster else []),
            (indicators, table.ignored),
        ):
            if found and notes is not None:
                notes.append(ignored_note(path, found))
        forms = [
            FormData(
                kind=spec.kind,
                spec_version=spec.version,
                fields=dict(d.fields),
                indicators=table.rows_for(d),
            )
            for d in departments
        ]
    year_field, code_field = spec.identity.year or "year", spec.identity.code or "code"
    for form in forms:
        agreed = agreed_year(year, form.fields, year_field)
        if agreed is not None:
            form.fields[year_field] = agreed
        if code and not roster and not data:
            form.fields[code_field] = code
    return forms


def ignored_note(path: Path | None, columns: list[str]) -> tuple[str, str]:
    listed = "、".join(columns)
    return (
        f"{path}：以下列不认识，已忽略：{listed}",
        f"{path}: these columns are not known and were ignored: {', '.join(columns)}",
    )


def file_stem(spec: Spec, form: FormData) -> str:
    keys = (spec.identity.code, spec.identity.name)
    parts = [str(form.fields.get(k)) for k in keys if k and form.fields.get(k)]
    return safe_stem("-".join(parts), fallback=spec.name) if parts else spec.name


def issue_forms(
    spec: Spec,
    forms: list[FormData],
    out_dir: Path,
    *,
    names: list[str] | None = None,
    force: bool = False,
    spare_rows: int | None = None,
    password: str = "",
    key: bytes | None = None,
    prefill_keys: tuple[str, ...] = (),
    progress: Callable[[Path], None] | None = None,
    issue_ids: list[str] | None = None,
) -> list[IssuedForm]:
    """Write one workbook per form into ``out_dir``; never overwrites without ``force``.

    File names come from each form's code and department unless ``names`` are given.
    """
    names = names or unique_names([file_stem(spec, f) for f in forms], ".xlsx")
    targets = [out_dir / n for n in names]
    if not force:
        existing = [t for t in targets if t.exists()]
        if existing:
            more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
            more_zh = f" 等 {len(existing)} 个文件" if len(existing) > 1 else ""
            raise InputError(
                f"{existing[0]}{more_zh} 已存在（确需覆盖请加 --force）",
                f"{existing[0]}{more} already exist(s) (use --force to overwrite)",
            )
    issued = []
    ids = issue_ids or [""] * len(forms)
    for form, target, issue_id in zip(forms, targets, ids, strict=True):
        info = IssueInfo(password=password, key=key, prefill_keys=prefill_keys, issue_id=issue_id)
        write_atomic(
            target,
            lambda h, form=form, info=info: write_form(
                h, spec, form, spare_rows=spare_rows, info=info
            ),
            force,
        )
        issued.append(IssuedForm(target, form))
        if progress:
            progress(target)
    return issued
