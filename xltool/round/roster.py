"""The issuer's tables as bureaus keep them: a roster of departments (with contacts, fund
amounts under Chinese headings, a title row above the header) and an indicators file
(common rows, and rows of one department by its 部门编码 or 部门名称)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xltool.errors import InputError
from xltool.forms.fields import Problem, field_type
from xltool.forms.spec import Spec
from xltool.forms.values import normalise_nature, parse_measure
from xltool.round.tables import read_table

POINTS_TOLERANCE = 0.005
MAX_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number

# Contact columns: kept beside the form, never prefilled into it or signed.
CONTACT_HEADERS = {
    "联系人": "contact",
    "contact": "contact",
    "电子邮箱": "email",
    "邮箱": "email",
    "email": "email",
    "e-mail": "email",
    "联系电话": "phone",
    "phone": "phone",
}
CONTACT_KEYS = ("contact", "email", "phone")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
# The department an indicators row belongs to (none: every department's).
OWNER_HEADERS = {"部门编码": "owner_code", "部门名称": "owner_name"}


@dataclass
class Department:
    """One roster row: the form fields it prefills and its contacts."""

    fields: dict[str, Any]
    contact: str | None = None
    emails: list[str] = field(default_factory=list)
    phone: str | None = None

    @property
    def code(self) -> str:
        return str(self.fields.get("code") or "")

    @property
    def name(self) -> str:
        return str(self.fields.get("department") or "")


@dataclass
class Roster:
    departments: list[Department]
    ignored: list[str] = field(default_factory=list)


def roster_headers(spec: Spec) -> dict[str, str]:
    """Accepted roster headings → key: every input field by key, labelled ones by label,
    fund amounts by row and column label (当年财政拨款全年预算数), and contacts."""
    fields = spec.all_fields()
    out: dict[str, str] = {}
    for key in spec.input_fields():
        out[key] = key
        if not key.startswith("fund_"):
            out[fields[key].label] = key
    funds = spec.funds
    if funds is not None:
        for row in funds.rows:
            row_label = re.sub(r"^其中[:：]", "", row.label).strip()
            for col in funds.columns:
                key = f"fund_{row.key}_{col.key}"
                if key in out:
                    out[f"{row_label}{col.label}"] = key
    return {**out, **CONTACT_HEADERS}


def indicator_headers(spec: Spec, owners: dict[str, str] = OWNER_HEADERS) -> dict[str, str]:
    """Accepted indicator headings → column key: the columns the issuer sets, and the
    department (or project) a row belongs to."""
    out: dict[str, str] = dict(owners)
    for col in spec.indicators.columns:
        if col.issuer:
            out[col.key] = col.key
            out[col.label] = col.key
    return out


def read_roster(spec: Spec, path: Path, *, need_code: bool = False) -> Roster:
    """One Department per roster row: fields typed, contacts split and checked,
    duplicates refused. In a campaign (``need_code``) 部门编码 is required and unique."""
    table = read_table(path, roster_headers(spec), "roster")
    keys = {k for r in table.rows for k in r}
    if "department" not in keys:
        raise InputError(
            f"名单文件 {path} 缺少「部门名称」(department) 列",
            f"roster file {path}: no 部门名称 (department) column",
        )
    if need_code and "code" not in keys:
        raise InputError(
            f"名单文件 {path} 缺少「部门编码」(code) 列：发放批次中每个部门都要有唯一的编码",
            f"roster file {path}: no 部门编码 (code) column; a campaign needs one per department",
        )
    fields = spec.all_fields()
    seen: dict[str, int] = {}
    out = Roster([], table.ignored)
    for row, n in zip(table.rows, table.lines, strict=True):
        where, where_zh = f"roster file {path}, row {n}", f"名单文件 {path} 第 {n} 行"
        if not row.get("department"):
            raise InputError(
                f"{where_zh}：部门名称为空", f"{where}: 部门名称 (department) is empty"
            )
        if need_code and not row.get("code"):
            raise InputError(f"{where_zh}：部门编码为空", f"{where}: 部门编码 (code) is empty")
        contacts = {k: row.pop(k) for k in CONTACT_KEYS if k in row}
        for key, value in list(row.items()):
            row[key] = typed(
                fields[key].type, value, f"{where}, {key}", f"{where_zh}「{fields[key].label}」"
            )
        if row.get("code") is not None:
            row["code"] = code_text(row["code"], f"{where}, code", f"{where_zh}「部门编码」")
        _once(row, n, seen, path)
        out.departments.append(
            Department(
                fields=row,
                contact=_text(contacts.get("contact")),
                emails=_emails(contacts.get("email"), where, where_zh),
                phone=_text(contacts.get("phone")),
            )
        )
    return out


def code_text(value: Any, where: str, where_zh: str) -> str:
    """A code cell as text: a number cell is taken as its digits, unless it has more than
    Excel's 15 significant digits (then the code is already lost: an error)."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        digits = len(str(abs(int(value))))
        if digits > MAX_EXACT_DIGITS or (isinstance(value, float) and not value.is_integer()):
            shown = f"{value:.15g}"
            raise InputError(
                f"{where_zh}：编码被存成了数字（读到 {shown}），超过 15 位的数字在 Excel 中已丢失末尾数位；"
                "请把该列设为「文本」后重新输入或粘贴",
                f"{where}: the code is stored as a number ({shown}); past 15 digits Excel has "
                "already lost its last digits: format the column as Text and enter it again",
            )
        value = str(int(value))
    return str(value).strip()


def _once(row: dict[str, Any], n: int, seen: dict[str, int], path: Path) -> None:
    """A department's name, and its code, appear on one roster row only."""
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


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value).strip()


def _emails(value: Any, where: str, where_zh: str) -> list[str]:
    """One or more addresses, separated by ; or , (half- or full-width), each checked."""
    if value in (None, ""):
        return []
    out = []
    for part in re.split(r"[;,；，\s]+", str(value)):
        if not part:
            continue
        if not _EMAIL.match(part):
            raise InputError(
                f"{where_zh}「电子邮箱」：「{part}」不是有效的邮箱地址",
                f"{where}, email: '{part}' is not a valid address",
            )
        out.append(part)
    return out


@dataclass
class Indicators:
    """The issuer's indicator rows: the common ones, and each department's own."""

    common: list[dict[str, Any]] = field(default_factory=list)
    by_code: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def rows_for(self, department: Department) -> list[dict[str, Any]]:
        """The common rows, then the department's own (each group keeps file order)."""
        own = self.by_code.get(department.code, []) + self.by_name.get(department.name, [])
        return [dict(r) for r in self.common + own]

    def rows_for_code(self, code: str) -> list[dict[str, Any]]:
        """The common rows, then those of the owner with ``code`` (a project's)."""
        return [dict(r) for r in self.common + self.by_code.get(code, [])]

    @property
    def per_department(self) -> bool:
        return bool(self.by_code or self.by_name)


def read_indicators(
    spec: Spec, path: Path, owners: dict[str, str] = OWNER_HEADERS, check: bool = True
) -> Indicators:
    """The issuer's indicator rows, checked against the framework. Rows with a 部门编码
    or 部门名称 (``owners``: the headings that name an owner) belong to that department;
    rows without apply to every department. ``check``: common rows alone add up."""
    table = read_table(path, indicator_headers(spec, owners), "indicators")
    block = spec.indicators
    framework = block.framework
    columns = {c.key: c for c in block.columns}
    out = Indicators(ignored=table.ignored)
    for row, n in zip(table.rows, table.lines, strict=True):
        where = f"indicators file {path}, row {n}"
        where_zh = f"指标文件 {path} 第 {n} 行"
        owner_code = row.pop("owner_code", None)
        owner_name = row.pop("owner_name", None)
        _in_framework(row, framework, where, where_zh)
        target_text = row.get("target")
        for key, value in list(row.items()):
            row[key] = typed(
                columns[key].type,
                value,
                f"{where}, {columns[key].label}",
                f"{where_zh}「{columns[key].label}」",
            )
        if "nature" in columns:
            nature = _nature(row.get("nature"), target_text, where, where_zh)
            if nature:
                row["nature"] = nature
        if owner_code not in (None, ""):
            owner = code_text(owner_code, f"{where}, owner", f"{where_zh}「编码」")
            out.by_code.setdefault(owner, []).append(row)
        elif owner_name not in (None, ""):
            out.by_name.setdefault(str(owner_name), []).append(row)
        else:
            out.common.append(row)
    if check and not out.per_department:
        check_points(spec, out.common, f"指标文件 {path}", f"indicators file {path}")
    return out


def check_indicators_for(spec: Spec, indicators: Indicators, roster: Roster, path: Path) -> None:
    """Per-department indicators: every owner is in the roster, and each department's
    points add up to the profile's total (the error names the department)."""
    codes = {d.code for d in roster.departments}
    names = {d.name for d in roster.departments}
    for code in indicators.by_code:
        if code not in codes:
            raise InputError(
                f"指标文件 {path}：部门编码「{code}」不在名单中",
                f"indicators file {path}: 部门编码 '{code}' is not in the roster",
            )
    for name in indicators.by_name:
        if name not in names:
            raise InputError(
                f"指标文件 {path}：部门名称「{name}」不在名单中",
                f"indicators file {path}: 部门名称 '{name}' is not in the roster",
            )
    for d in roster.departments:
        who = f"{d.code} {d.name}".strip()
        check_points(
            spec,
            indicators.rows_for(d),
            f"指标文件 {path}（{who}）",
            f"indicators file {path} ({who})",
        )


def check_points(spec: Spec, rows: list[dict[str, Any]], where_zh: str, where: str) -> None:
    if not rows:
        return
    total = sum(r["points"] for r in rows)
    expected = spec.profile.points_total
    if abs(total - expected) > POINTS_TOLERANCE:
        raise InputError(
            f"{where_zh}：分值合计为 {total:g}，应为 {expected:g}",
            f"{where}: 分值 add up to {total:g}, the {spec.profile.name} profile needs {expected:g}",
        )


def agreed_year(year: int | None, fields: dict[str, Any], year_field: str = "year") -> int | None:
    """The year of a form: ``--year`` and the roster's 年度 must agree (the error names
    both and the department); either alone decides."""
    given = fields.get(year_field)
    if year is not None and given is not None and given != year:
        who = fields.get("department") or ""
        raise InputError(
            f"--year {year} 与名单中「{who}」的年度 {given} 不一致，请统一",
            f"--year {year} disagrees with the roster's 年度 {given} for {who}",
        )
    return year if year is not None else given


def _in_framework(
    row: dict[str, Any], framework: dict[str, list[str]], where: str, where_zh: str
) -> None:
    """An indicator row names a 一级 and 二级 of the framework, a 三级 and its 分值."""
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


def _nature(written: Any, target_text: Any, where: str, where_zh: str) -> str | None:
    """指标性质 as written (大于等于, ＝, 正向 …), or the symbol typed with the target."""
    nature = normalise_nature(written) if written else None
    if written and nature is None:
        raise InputError(
            f"{where_zh}：未知的指标性质「{written}」（可用：≥、=、≤、定性）",
            f"{where}: unknown 指标性质 '{written}' (allowed: ≥, =, ≤, 定性)",
        )
    if nature is None and isinstance(target_text, str):
        nature = parse_measure(target_text)[0]
    return nature


def typed(type_: str, value: Any, where: str, where_zh: str) -> Any:
    """A table cell as its field type wants it, or an error naming the place."""
    try:
        return field_type(type_).from_table(value)
    except Problem as problem:
        zh, en = _PROBLEMS[problem.kind]
        raise InputError(f"{where_zh}：「{value}」{zh}", f"{where}: '{value}' {en}") from None


_PROBLEMS = {
    "not-a-number": ("不是数字", "is not a number"),
    "not-whole": ("不是整数", "is not a whole number"),
    "negative": ("小于 0", "is below 0"),
}
