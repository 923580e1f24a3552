"""``xltool new`` as a library: turn options, a roster, indicators or data into forms."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError
from .model import EXPORT_ONLY_KEYS, FormData, check_form_data
from .safeio import safe_stem, unique_names, write_atomic
from .spec import NUMERIC_TYPES, Spec
from .tables import read_table
from .values import normalise_nature, parse_measure, parse_number
from .write import IssueInfo, write_form

POINTS_TOLERANCE = 0.005


@dataclass(frozen=True)
class IssuedForm:
    path: Path
    data: FormData


def roster_headers(spec: Spec) -> dict[str, str]:
    """Accepted roster headings → field key: every input field by key, labelled ones by label."""
    fields = spec.all_fields()
    out: dict[str, str] = {}
    for key in spec.input_fields():
        out[key] = key
        if not key.startswith("fund_"):
            out[fields[key].label] = key
    return out


def indicator_headers(spec: Spec) -> dict[str, str]:
    """Accepted indicator headings → column key: the columns the issuer sets."""
    out: dict[str, str] = {}
    for col in spec.indicators.columns:
        if col.issuer:
            out[col.key] = col.key
            out[col.label] = col.key
    return out


def read_roster(spec: Spec, path: Path) -> list[dict[str, Any]]:
    """One dict of field values per department, numbers parsed, duplicates refused."""
    rows = read_table(path, roster_headers(spec), "roster")
    if "department" not in {k for r in rows for k in r}:
        raise InputError(
            f"名单文件 {path} 缺少「部门名称」(department) 列",
            f"roster file {path}: no 部门名称 (department) column",
        )
    fields = spec.all_fields()
    seen: dict[str, int] = {}
    out = []
    for n, row in enumerate(rows, start=2):
        if not row.get("department"):
            raise InputError(
                f"名单文件 {path} 第 {n} 行：部门名称为空",
                f"roster file {path}, row {n}: 部门名称 (department) is empty",
            )
        for key, value in list(row.items()):
            label = fields[key].label
            row[key] = _typed(
                fields[key].type,
                value,
                f"roster file {path}, row {n}, {key}",
                f"名单文件 {path} 第 {n} 行「{label}」",
            )
        for ident in (
            f"name:{row['department']}",
            f"code:{row.get('code')}" if row.get("code") else "",
        ):
            if ident and ident in seen:
                dup = ident.split(":", 1)[1]
                raise InputError(
                    f"名单文件 {path} 第 {n} 行与第 {seen[ident]} 行重复：{dup}",
                    f"roster file {path}: row {n} repeats {dup} of row {seen[ident]}",
                )
            if ident:
                seen[ident] = n
        out.append(row)
    return out


def read_indicators(spec: Spec, path: Path) -> list[dict[str, Any]]:
    """The issuer's indicator rows, checked against the framework and the points total."""
    rows = read_table(path, indicator_headers(spec), "indicators")
    block = spec.indicators
    framework = block.framework
    columns = {c.key: c for c in block.columns}
    total = 0.0
    for n, row in enumerate(rows, start=2):
        where = f"indicators file {path}, row {n}"
        where_zh = f"指标文件 {path} 第 {n} 行"
        level1, level2 = row.get("level1"), row.get("level2")
        if level1 not in framework:
            allowed = "、".join(framework)
            raise InputError(
                f"{where_zh}：未知的一级指标「{level1}」（可用：{allowed}）",
                f"{where}: unknown 一级指标 '{level1}' (allowed: {allowed})",
            )
        if level2 not in framework[level1]:
            allowed = "、".join(framework[level1])
            raise InputError(
                f"{where_zh}：「{level2}」不是「{level1}」下的二级指标（可用：{allowed}）",
                f"{where}: '{level2}' is not a 二级指标 of {level1} (allowed: {allowed})",
            )
        if not row.get("name"):
            raise InputError(f"{where_zh}：三级指标为空", f"{where}: 三级指标 (name) is empty")
        if row.get("points") is None:
            raise InputError(f"{where_zh}：分值为空", f"{where}: 分值 (points) is empty")
        target_text = row.get("target")
        for key, value in list(row.items()):
            row[key] = _typed(
                columns[key].type,
                value,
                f"{where}, {columns[key].label}",
                f"{where_zh}「{columns[key].label}」",
            )
        if "nature" in columns:
            # 指标性质 as written (大于等于, ＝, 正向 …), or the symbol typed with the target
            written = row.get("nature")
            nature = normalise_nature(written) if written else None
            if written and nature is None:
                raise InputError(
                    f"{where_zh}：未知的指标性质「{written}」（可用：≥、=、≤、定性）",
                    f"{where}: unknown 指标性质 '{written}' (allowed: ≥, =, ≤, 定性)",
                )
            if nature is None and isinstance(target_text, str):
                nature = parse_measure(target_text)[0]
            if nature:
                row["nature"] = nature
        total += row["points"]
    expected = spec.profile.points_total
    if abs(total - expected) > POINTS_TOLERANCE:
        raise InputError(
            f"指标文件 {path}：分值合计为 {total:g}，应为 {expected:g}（{spec.profile.name}）",
            f"indicators file {path}: 分值 add up to {total:g}, the {spec.profile.name} profile needs {expected:g}",
        )
    return rows


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


def _typed(type_: str, value: Any, where: str, where_zh: str) -> Any:
    if type_ == "measure" and isinstance(value, str):  # ≥95%, ﹦72890元, or 定性 text
        number = parse_measure(value)[1]
        return value if number is None else number
    if value is None or type_ not in NUMERIC_TYPES:
        return str(value) if value is not None and not isinstance(value, str) else value
    if isinstance(value, str):
        parsed = parse_number(value)
        if parsed.value is None:
            raise InputError(
                f"{where_zh}：「{value}」不是数字", f"{where}: '{value}' is not a number"
            )
        value = parsed.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where_zh}：「{value}」不是数字", f"{where}: '{value}' is not a number")
    if type_ in ("count", "year"):
        if value != int(value):
            raise InputError(
                f"{where_zh}：「{value}」不是整数", f"{where}: '{value}' is not a whole number"
            )
        value = int(value)
    if value < 0:
        raise InputError(f"{where_zh}：「{value}」小于 0", f"{where}: '{value}' is below 0")
    return value


def plan_forms(
    spec: Spec,
    *,
    department: str | None = None,
    year: int | None = None,
    code: str | None = None,
    roster: Path | None = None,
    indicators: Path | None = None,
    data: Path | None = None,
) -> list[FormData]:
    """Every form to issue, from the options of ``xltool new``."""
    if data and (roster or indicators):
        raise InputError(
            "--data 已包含完整表单，不能与 --roster 或 --indicators 同用",
            "--data carries whole forms; it does not combine with --roster or --indicators",
        )
    if data:
        forms = read_data(spec, data)
    else:
        rows = read_indicators(spec, indicators) if indicators else []
        base: dict[str, Any] = {}
        if roster:
            people = read_roster(spec, roster)
        else:
            people = [{"department": department} if department else {}]
        forms = []
        for person in people:
            fields = {**base, **person}
            forms.append(
                FormData(
                    kind=spec.kind,
                    spec_version=spec.version,
                    fields=fields,
                    indicators=[dict(r) for r in rows],
                )
            )
    for form in forms:
        if year is not None and form.fields.get("year") is None:
            form.fields["year"] = year
        if code and not roster and not data:
            form.fields["code"] = code
    return forms


def file_stem(spec: Spec, form: FormData) -> str:
    parts = [str(form.fields.get(k)) for k in ("code", "department") if form.fields.get(k)]
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
    info = IssueInfo(password=password, key=key, prefill_keys=prefill_keys)
    issued = []
    for form, target in zip(forms, targets, strict=True):
        write_atomic(
            target,
            lambda h, form=form: write_form(h, spec, form, spare_rows=spare_rows, info=info),
            force,
        )
        issued.append(IssuedForm(target, form))
        if progress:
            progress(target)
    return issued
