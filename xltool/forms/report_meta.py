"""The signed metadata an issued Word document carries (a report template, and anything
else xltool issues as .docx): custom document properties ``xltool_*`` in
``docProps/custom.xml``, as an issued workbook carries its own (:mod:`.meta`). Word,
WPS and LibreOffice keep custom properties when they save, so a returned report still
says which issue it answers."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from xltool import __version__
from xltool.forms.meta import PROPERTY_PREFIX
from xltool.keys import key_id, sign

REPORT_FORMAT = "xltool-report/1"
CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
MAX_CUSTOM_BYTES = 1024 * 1024


def report_metadata(
    *,
    form_kind: str,
    code: str,
    department: str,
    year: Any,
    issued_at: str,
    key: bytes | None,
    issue_id: str = "",
) -> dict[str, str]:
    """What an issued report says of itself, signed with the issuer's key (HMAC-SHA256)."""
    meta = {
        "format": REPORT_FORMAT,
        "kind": "report",
        "form_kind": form_kind,
        "xltool_version": __version__,
        "issue_id": issue_id or uuid.uuid4().hex,
        "code": str(code or ""),
        "department": str(department or ""),
        "year": "" if year is None else str(year),
        "issued_at": issued_at,
        "key_id": key_id(key) if key else "",
    }
    meta["signature"] = sign(meta, key)
    return meta


def custom_xml(props: dict[str, str]) -> bytes:
    items = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name="{escape(PROPERTY_PREFIX + k, {chr(34): "&quot;"})}">'
        f"<vt:lpwstr>{escape(v)}</vt:lpwstr></property>"
        for pid, (k, v) in enumerate(sorted(props.items()), start=2)
        if v != ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{_NS}" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"{items}</Properties>"
    ).encode()


def with_custom_properties(docx: bytes, props: dict[str, str]) -> bytes:
    """``docx`` with its custom properties replaced by ``props`` (each named ``xltool_…``):
    the part, its content type and the package relationship added when missing."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        names = src.namelist()
        for name in names:
            if name == CUSTOM_PART:
                continue
            data = src.read(name)
            if name == "[Content_Types].xml" and _CUSTOM_TYPE.encode() not in data:
                override = f'<Override PartName="/{CUSTOM_PART}" ContentType="{_CUSTOM_TYPE}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            elif name == "_rels/.rels" and _CUSTOM_REL.encode() not in data:
                rel = f'<Relationship Id="rIdXltoolCustom" Type="{_CUSTOM_REL}" Target="{CUSTOM_PART}"/>'
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            dst.writestr(src.getinfo(name), data)
        dst.writestr(CUSTOM_PART, custom_xml(props))
    return out.getvalue()


_PROPERTY = re.compile(r"\{[^}]*\}property$")


def read_custom_properties(zf: zipfile.ZipFile, containing: bytes = b"") -> dict[str, str]:
    """The ``xltool_*`` custom properties of an opened package (prefix removed); empty
    when it has none or they cannot be read. Whatever the file says: callers check.
    ``containing``: empty too when the part's bytes do not contain these, tested before
    the XML is parsed (a caller after one property's value need not parse every form's
    signed metadata)."""
    import defusedxml.ElementTree as ET

    try:
        info = zf.getinfo(CUSTOM_PART)
        if info.file_size > MAX_CUSTOM_BYTES:
            return {}
        raw = zf.read(info)
        if containing not in raw:
            return {}
        root = ET.fromstring(raw)
    except Exception:  # absent, damaged or hostile: no metadata
        return {}
    out: dict[str, str] = {}
    for prop in root:
        name = prop.get("name") or ""
        if not _PROPERTY.match(prop.tag) or not name.startswith(PROPERTY_PREFIX):
            continue
        value = "".join(child.text or "" for child in prop)
        out[name[len(PROPERTY_PREFIX) :]] = value
    return out
