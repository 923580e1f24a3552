"""A form xltool did not issue → the form data of its kind, for a fresh workbook in
xltool's layout (live formulas, metadata with ``origin: imported``). Every value that
could be mapped is carried; every one that could not, and every stated figure the fresh
form's formulas now compute differently, is listed."""

from __future__ import annotations

from typing import Any

from xltool.findings import show_value
from xltool.forms.fields import field_type
from xltool.forms.model import Dropped, FormData, Repaired
from xltool.forms.rules import qualitative_band, scored_by_formula
from xltool.forms.spec import Spec
from xltool.reading.foreign import ForeignForm, Line, number
from xltool.reading.stated import Stated, nature_and_numbers

# When a form shows its 年度资金总额 without a breakdown this kind has, the amounts go to
# this sub-row (and the listing says so): the total stays what the form says.
UNBROKEN_ROW = "current"


def carry_foreign(form: ForeignForm, spec: Spec, stated: Stated) -> Repaired:
    out = Repaired(FormData(kind=spec.kind, spec_version=spec.version))
    _fields(form, spec, out)
    _funds(form, spec, out)
    _indicators(form, spec, out)
    for finding in stated.findings:
        if finding.code == "stated-figure-mismatch":
            out.changed.append(
                Dropped(
                    f"{form.sheet}!{finding.cell}",
                    str(finding.context.get("label") or ""),
                    finding.found,
                    f"新表按公式计算，为 {show_value(finding.expected)}",
                    f"the fresh form computes it: {show_value(finding.expected)}",
                )
            )
    return out


def _typed(type_: str, raw: Any, place: str, label: str, out: Repaired) -> Any:
    got = field_type(type_).read(raw)
    if got.note in ("not-a-number", "value-out-of-range"):
        out.dropped.append(
            Dropped(place, label, raw, "不是数字，未带入，请重新填写", "not a number; not carried")
        )
        return None
    return got.value


def _fields(form: ForeignForm, spec: Spec, out: Repaired) -> None:
    fields = spec.all_fields()
    inputs = set(spec.input_fields())
    for name, raw in form.fields.items():
        place = f"{form.sheet}!{form.field_cells.get(name, '')}"
        if name not in inputs:
            if name in fields or raw in (None, ""):
                continue  # a figure the fresh form computes, or nothing
            out.dropped.append(
                Dropped(place, name, raw, "本表样没有此项，未带入", "this kind has no such field")
            )
            continue
        value = _typed(fields[name].type, raw, place, fields[name].label, out)
        if value is not None:
            out.data.fields[name] = value


def _funds(form: ForeignForm, spec: Spec, out: Repaired) -> None:
    funds = spec.funds
    if funds is None:
        return
    rows, columns = funds.inputs.rows, funds.inputs.columns
    mapped = [line for line in form.sub_rows() if line.key in rows]
    for line in form.sub_rows():
        if line.key not in rows:
            out.dropped.append(
                Dropped(
                    f"{form.sheet}!{line.cells.get('initial') or line.cells.get('executed', '')}",
                    line.label,
                    "、".join(
                        str(line.values.get(c)) for c in columns if line.values.get(c) is not None
                    ),
                    "本表样的资金表没有此行，未带入",
                    "this kind's fund table has no such row; not carried",
                )
            )
    head = form.fund("total")
    if not mapped and head is not None and UNBROKEN_ROW in rows:
        mapped = [Line(row=head.row, key=UNBROKEN_ROW, values=head.values, cells=head.cells)]
        label = next(r.label for r in funds.rows if r.key == UNBROKEN_ROW)
        out.changed.append(
            Dropped(
                f"{form.sheet}!{head.cells.get('executed', '')}",
                head.label,
                "、".join(
                    str(head.values.get(c)) for c in columns if head.values.get(c) is not None
                ),
                f"表中没有本表样的分项，总额记入「{label}」",
                f"the form shows none of this kind's rows; the total is carried as '{label}'",
            )
        )
    budget = "adjusted" if "adjusted" in form.fund_columns else "initial"
    for line in mapped:
        for column in columns:
            key = funds.key(str(line.key), column)
            place = f"{form.sheet}!{line.cells.get(column, '')}"
            source = budget if column == "adjusted" else column
            value = _typed("amount", line.values.get(source), place, line.label, out)
            if value is not None:
                out.data.fields[key] = value
    if budget == "initial" and mapped and "adjusted" in columns:
        out.changed.append(
            Dropped(
                form.sheet,
                "全年预算数",
                None,
                "表中只有年初预算数（执行率以它为分母），全年预算数按年初预算数填入",
                "the form has only 年初预算数 (its 执行率 divides by it): 全年预算数 takes it",
            )
        )


def _indicators(form: ForeignForm, spec: Spec, out: Repaired) -> None:
    columns = {c.key: c for c in spec.indicators.columns}
    for line in form.indicators:
        row: dict[str, Any] = {}
        for key, raw in line.values.items():
            if key not in columns or raw in (None, ""):
                continue
            place = f"{form.sheet}!{line.cells.get(key, '')}"
            value = _typed(columns[key].type, raw, place, columns[key].label, out)
            if value is not None:
                row[key] = value
        _nature(line, row, columns)
        if row.get("nature") == "定性" and qualitative_band(row.get("actual")) is None:
            out.changed.append(
                Dropped(
                    f"{form.sheet}!{line.cells.get('actual', '')}",
                    str(row.get("name") or ""),
                    row.get("actual"),
                    "定性指标的实际完成值须选三档之一（达成年度指标 / 部分达成年度指标并具有一定效果 / 未达成年度指标且效果较差）",
                    "a 定性 indicator's actual must be one of the three grades",
                )
            )
        if scored_by_formula(spec, row) and "score" in row:
            del row["score"]  # the fresh form's formula scores it (listed when it differs)
        if number(row.get("points")) is not None or row.get("name"):
            out.data.indicators.append(row)


def _nature(line: Line, row: dict[str, Any], columns: dict[str, Any]) -> None:
    """指标性质 as the form's reading took it: its column, the target's symbol, or 定性
    for a word or grade as the actual. A kind without the column keeps the symbol with
    the target, as typed."""
    nature = nature_and_numbers(line.values)[0]
    if nature is None and isinstance(line.values.get("actual"), str):
        nature = "定性"
    if "nature" not in columns and line.values.get("nature"):
        row["target"] = f"{line.values['nature']}{line.values.get('target') or ''}"
    elif "nature" in columns and nature:
        # the canonical symbol (﹦, ＝, 大于等于 → =, ≥): the fresh form's formula compares it
        row["nature"] = nature
