"""A returned 复核表 (:mod:`xltool.forms.recheck_form`), read as carefully as any return:
the bytes within the size bound, the container checked by :mod:`.sniff`, openpyxl in a
child bounded in time and memory. What it gives: its metadata (which sample, which
form), and per indicator row (by its 序号) the re-check score and reason."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from xltool.forms.meta import read_metadata
from xltool.forms.recheck_form import COL, RECHECK_FORMAT, SHEET
from xltool.forms.report_meta import read_custom_properties
from xltool.forms.values import parse_number
from xltool.limits import Limits
from xltool.reading.sniff import sniff


@dataclass
class RecheckReturn:
    meta: dict[str, str] = field(default_factory=dict)
    rows: dict[int, tuple[float | None, str]] = field(
        default_factory=dict
    )  # 序号 → (score, reason)
    problem: tuple[str, str] | None = None  # (zh, en)
    text_scores: list[int] = field(default_factory=list)  # 序号 of scores typed as words


def is_recheck_workbook(data: bytes) -> bool:
    """A 复核表 xltool issued (its custom properties say so), not a form return."""
    if data[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            # every form xltool issues has custom properties (its signed metadata): the
            # XML is parsed only when the format's name is in it
            props = read_custom_properties(zf, containing=RECHECK_FORMAT.encode())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return props.get("format") == RECHECK_FORMAT


def _score(value: Any) -> tuple[float | None, bool]:
    """(score, typed as words): a number, a number typed as text, or nothing."""
    if value is None or value == "":
        return None, False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), False
    parsed = parse_number(str(value).replace("分", ""))
    return (float(parsed.value), False) if parsed.value is not None else (None, True)


def parse_recheck(data: bytes) -> RecheckReturn:
    """Read a sniffed 复核表 (call it within bounds: :func:`read_recheck` does)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    try:
        out = RecheckReturn(meta=read_metadata(wb))
        if SHEET not in wb.sheetnames or "rc_rows" not in wb.defined_names:
            out.problem = ("不是完整的复核表（工作表或区域被删改）", "not a whole 复核表")
            return out
        _sheet, ref = next(iter(wb.defined_names["rc_rows"].destinations))
        for row in wb[SHEET][ref.replace("$", "")]:
            seq = row[0].value
            if not isinstance(seq, int | float) or isinstance(seq, bool):
                continue
            score, words = _score(row[COL["复核得分"]].value)
            reason = row[COL["复核理由"]].value
            out.rows[int(seq)] = (score, "" if reason is None else str(reason).strip())
            if words:
                out.text_scores.append(int(seq))
        return out
    finally:
        wb.close()


def read_recheck(data: bytes, limits: Limits | None = None) -> RecheckReturn:
    """A returned 复核表 read within bounds; what rules it out is its ``problem``."""
    limits = limits or Limits()
    sniffed = sniff(data, limits)
    if sniffed.blocking is not None:
        f = sniffed.blocking
        zh = str(f.context.get("reason_zh") or f.message("zh"))
        return RecheckReturn(problem=(zh, str(f.context.get("reason_en") or f.message("en"))))
    from xltool.reading.bounded import call_bounded

    try:
        return call_bounded(parse_recheck, data)
    except Exception as exc:  # a bound, or openpyxl on a damaged part
        zh = getattr(exc, "zh", f"{type(exc).__name__}: {exc}"[:200])
        return RecheckReturn(problem=(zh, getattr(exc, "en", zh)))
