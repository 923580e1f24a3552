"""``xltool repair``: a returned workbook, however damaged its formulas, protection or
layout, re-issued as a fresh current-version form carrying the filer's entries.

It is ``new --data`` over what ``verify`` reads: read (sniff + read_form), keep what fits
the spec's types, write (write_form). What could not be carried is listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xltool.errors import InputError, XltoolError
from xltool.findings import Finding, show_value
from xltool.forms.fields import field_type
from xltool.forms.model import Dropped, FormData, Repaired
from xltool.forms.spec import Spec
from xltool.forms.write import write_form
from xltool.reading.failures import classify_exception
from xltool.reading.foreign import ForeignForm
from xltool.reading.read import Reading, read_workbook
from xltool.reading.sniff import Limits, cannot_open, sniff, too_large
from xltool.safeio import InputTooLarge, read_input, shown_path, write_atomic


def carry(reading: Reading) -> Repaired:
    """The filer's entries that fit the spec, as form data; the rest listed."""
    spec = reading.spec
    fields = spec.all_fields()
    out = Repaired(FormData(kind=spec.kind, spec_version=spec.version))
    for name, value in reading.values.items():
        if _fits(fields[name].type, value):
            out.data.fields[name] = value
        else:
            out.dropped.append(
                _not_a_number(reading.sheet, reading.cell(name), fields[name].label, value)
            )
    columns = spec.indicators.columns
    for row in reading.indicators:
        kept: dict[str, Any] = {}
        for col in columns:
            value = row.values.get(col.key)
            if _fits(col.type, value):
                kept[col.key] = value
            else:
                cell = f"{reading.sheet}!{reading.at(col.key, row.row)}"
                out.dropped.append(_not_a_number(None, cell, col.label, value))
        out.data.indicators.append(kept)
    out.changed += _changed(reading)
    for block in sorted(reading.missing_blocks):
        out.dropped.append(
            Dropped(
                reading.sheet,
                block,
                "",
                "该部分结构无法识别，未能带入",
                "this part's layout was not recognised; not carried",
            )
        )
    return out


def _changed(reading: Reading) -> list[Dropped]:
    """What the fresh form will show differently: a typed-over total becomes its formula
    again, a filer's formula in an input cell becomes the value it computes, a number
    typed as text becomes a number."""
    from xltool.checking.check import check
    from xltool.forms.checks import same

    _findings, _totals, recomputed = check(reading)
    fields = reading.spec.all_fields()
    out = []
    for name, typed in reading.constants.items():
        want = recomputed.get(name)
        if name in reading.positions and not same(typed, want):
            out.append(
                Dropped(
                    f"{reading.sheet}!{reading.cell(name)}",
                    fields[name].label if name in fields else name,
                    typed,
                    f"手填的值已换回公式，现为 {show_value(want)}",
                    f"the typed value is a formula again, now {show_value(want, 'en')}",
                )
            )
    for f in reading.input_formulas:
        out.append(
            Dropped(
                f"{reading.sheet}!{f.cell}",
                f.label,
                f.formula,
                f"公式换为它的值 {show_value(f.value)}",
                f"the formula is replaced by its value, {show_value(f.value, 'en')}",
            )
        )
    for tn in reading.text_numbers:
        out.append(
            Dropped(
                f"{reading.sheet}!{tn.cell}",
                tn.label,
                tn.text,
                f"文本改为数字 {show_value(tn.value)}",
                f"the text is now the number {show_value(tn.value, 'en')}",
            )
        )
    return out


def _fits(type_: str, value: Any) -> bool:
    return field_type(type_).accepts(value)


def _not_a_number(sheet: str | None, cell: str, label: str, value: Any) -> Dropped:
    place = f"{sheet}!{cell}" if sheet else cell
    return Dropped(
        place,
        label,
        value,
        "不是数字，未带入，请重新填写",
        "not a number; not carried, fill it in again",
    )


def repair(
    src: Path,
    out: Path,
    spec: Spec | None = None,
    force: bool = False,
    only_foreign: bool = False,
) -> Repaired:
    """Read ``src`` once (never written) and write a fresh form to ``out``: one xltool
    issued, in its own kind and version; one it did not (``xltool import``), in the kind
    its labels show, with ``origin: imported``. The CLI runs this in a bounded child
    process (:func:`xltool.reading.bounded.call_bounded`)."""
    limits = Limits()
    try:
        data = read_input(src, limits.max_bytes)
    except OSError as exc:
        blocking = (
            too_large(exc.size, limits) if isinstance(exc, InputTooLarge) else cannot_open(exc)
        )
        raise _cannot(src, blocking) from None
    sniffed = sniff(data, limits)
    if sniffed.blocking:
        raise _cannot(src, sniffed.blocking)
    try:
        reading = read_workbook(data, spec)
    except Exception as exc:
        raise _cannot(src, getattr(exc, "finding", None) or classify_exception(exc)) from None
    if isinstance(reading, ForeignForm):
        return _import(src, out, data, reading, spec, force)
    if only_foreign:
        raise InputError(
            f"{shown_path(src)} 是 xltool 发放的表，无需导入（损坏时用 xltool repair）",
            f"{shown_path(src)} is a form xltool issued; nothing to import (use repair if damaged)",
        )
    repaired = carry(reading)
    write_atomic(out, lambda h: write_form(h, reading.spec, repaired.data), force)
    return repaired


def _import(
    src: Path, out: Path, data: bytes, form: ForeignForm, spec: Spec | None, force: bool
) -> Repaired:
    import hashlib

    from xltool.forms.meta import IssueInfo
    from xltool.reading.importer import carry_foreign
    from xltool.reading.stated import check_stated, decide_kind

    kind, evidence, sure = decide_kind(form, spec)
    repaired = carry_foreign(form, kind, check_stated(form, kind, evidence, sure))
    repaired.imported, repaired.evidence = True, evidence
    info = IssueInfo(source=(src.name, hashlib.sha256(data).hexdigest()))
    write_atomic(out, lambda h: write_form(h, kind, repaired.data, info=info), force)
    return repaired


def _cannot(src: Path, finding: Finding) -> InputError:
    return InputError(
        f"{shown_path(src)} 无法修复：{finding.message('zh')}",
        f"{shown_path(src)} cannot be repaired: {finding.message('en')}",
    )


def repair_bounded(
    src: Path, out: Path, spec: Spec | None = None, force: bool = False, imported: bool = False
) -> Repaired:
    """:func:`repair` (``imported``: ``xltool import``) in a child process bounded in time
    and memory, as every face calls it: a file that hangs or explodes costs an XltoolError
    saying so, never the caller."""
    from xltool.reading.bounded import call_bounded

    if out.resolve() == src.resolve():
        raise XltoolError("输出文件不能是输入文件", "OUTPUT must not be the input file")
    return call_bounded(repair, src, out, spec, force, imported)
