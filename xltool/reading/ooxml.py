"""One streaming pass over a sheet's XML for what openpyxl drops when it reads
formulas: the values the spreadsheet program saved beside them."""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any

from defusedxml import ElementTree as SafeET

from xltool.forms.cells import Pos, parse_a1


def cached_values(data: bytes, sheet: str) -> dict[Pos, Any]:
    """The values the spreadsheet program saved for formula cells (openpyxl drops them
    when it reads formulas). One streaming pass over the sheet's XML."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return {}
            out: dict[Pos, Any] = {}
            ns_c = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}c"
            ns_f = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}f"
            ns_v = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}v"
            with zf.open(part) as f:
                for _event, elem in SafeET.iterparse(f, events=("end",)):
                    if elem.tag != ns_c:
                        continue
                    if elem.find(ns_f) is not None and elem.get("r"):
                        v = elem.find(ns_v)
                        out[parse_a1(elem.get("r"))] = _typed_cached(
                            elem.get("t"), v.text if v is not None else None
                        )
                    elem.clear()
            return out
    except Exception:  # cached values are a cross-check, never a reason to fail the read
        return {}


def _typed_cached(t: str | None, text: str | None) -> Any:
    if text is None:
        return None
    if t in ("str", "inlineStr"):
        return text
    if t == "e":
        return text  # '#DIV/0!' etc.
    if t == "b":
        return text == "1"
    try:
        return float(text)
    except ValueError:
        return text


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    workbook = SafeET.fromstring(zf.read("xl/workbook.xml"))
    rid = None
    for node in workbook.iter(f"{ns}sheet"):
        if node.get("name") == sheet:
            rid = node.get(f"{rel_ns}id")
    if rid is None:
        return None
    rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return None
