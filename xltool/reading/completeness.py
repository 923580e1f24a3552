"""A foreign form's completeness beyond its figures: columns in an order that misreads
them, a stated goal without its results, required entries left empty."""

from __future__ import annotations

from xltool.findings import Finding
from xltool.forms.spec import Spec
from xltool.reading.foreign import ForeignForm, placeholder, vocabulary

_ORDERED = {
    "资金": ("initial", "adjusted", "executed"),
    "绩效指标": ("target", "actual", "points", "score"),
}


def column_order(form: ForeignForm) -> list[Finding]:
    """The header wins over the position: where columns a reader could swap stand in
    another order than the kind's, the reading says so (it read them by their headings)."""
    out = []
    blocks = [("资金", form.fund_columns), ("绩效指标", form.indicator_columns)]
    for block, found in blocks:
        order = list(_ORDERED[block])
        shared = [k for k in order if k in found]
        if sorted(shared, key=lambda k: found[k]) != shared:
            names = vocabulary().names
            out.append(
                Finding(
                    "column-moved",
                    sheet=form.sheet,
                    found=" | ".join(names[k] for k in sorted(shared, key=lambda k: found[k])),
                    expected=" | ".join(names[k] for k in shared),
                    context={"block": block},
                )
            )
    return out


def goal_actual(form: ForeignForm, spec: Spec) -> list[Finding]:
    """A 年度总体目标 stated with its 实际完成情况 left empty (or a /, a ——)."""
    fields = spec.all_fields()
    if (
        "goal_actual" not in form.fields
        or placeholder(form.fields.get("goal_expected"))
        or not placeholder(form.fields["goal_actual"])
    ):
        return []
    label = fields["goal_actual"].label if "goal_actual" in fields else "实际完成情况"
    return [
        Finding(
            "goal-actual-missing",
            sheet=form.sheet,
            cell=form.field_cells.get("goal_actual"),
            field="goal_actual",
            context={"label": label},
        )
    ]


def required(form: ForeignForm, spec: Spec, skip: set[str | None]) -> list[Finding]:
    """Each required field the form labels but leaves empty (but those in ``skip``,
    already said otherwise)."""
    fields = spec.all_fields()
    out = []
    for name, value in form.fields.items():
        if name in skip:
            continue
        if name in fields and fields[name].required and value in (None, ""):
            out.append(
                Finding(
                    "required-missing",
                    sheet=form.sheet,
                    cell=form.field_cells.get(name),
                    field=name,
                    context={"label": fields[name].label},
                )
            )
    return out
