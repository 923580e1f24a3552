"""Each department's report template (部门整体支出绩效评价报告), issued beside its form in
``issued/``: the kind's Word template (copied into the campaign's ``spec/`` once, so an
issuer may edit the campaign's copy) filled with what the issuer knows (部门, 编码, 年度,
the roster's budget figures) and signed in its custom document properties.

Issued reports are listed in ``issued/reports.jsonl``, one JSON line per report (code,
issue id, file, hash, time): not beside them as ``*.json``, which are the forms' own
sidecars (``send`` mails the latest of those, ``rebuild`` records them as forms)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

from xltool.errors import XltoolError
from xltool.forms.report_meta import report_metadata, with_custom_properties
from xltool.forms.reports import report_kind, template_path
from xltool.round.folder import Campaign, now_iso, read_json
from xltool.safeio import safe_stem, write_atomic

REGISTRY = "reports.jsonl"
CAMPAIGN_TEMPLATE = "report.docx"


def campaign_template(campaign: Campaign) -> Path:
    """The campaign's own copy of its kind's report template (made on first use)."""
    own = campaign.root / "spec" / CAMPAIGN_TEMPLATE
    if not own.is_file():
        own.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_path(_dept_kind(campaign)), own)
    return own


def _dept_kind(campaign: Campaign) -> str:
    kinds = getattr(campaign, "kinds", None) or {}
    return str(kinds.get("dept") or campaign.config.get("kind") or "")


def issued_reports(campaign: Campaign) -> dict[str, dict[str, Any]]:
    """Every report issued in this campaign, by issue id (``issued/reports.jsonl``)."""
    path = campaign.issued_dir / REGISTRY
    out: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed run: its report is issued again
        if isinstance(doc, dict) and doc.get("issue_id") and doc.get("code"):
            out[doc["issue_id"]] = doc
    return out


def _form_files(campaign: Campaign) -> dict[str, Path]:
    """Each department's latest issued department form, relative to issued/ (from the
    forms' sidecars, in issued/ or in a department's folder there)."""
    latest: dict[str, dict[str, Any]] = {}
    for sidecar in sorted(campaign.issued_dir.rglob("*.json")):
        doc = read_json(sidecar)
        if not isinstance(doc, dict) or "code" not in doc or doc.get("role", "dept") != "dept":
            continue
        if doc["code"] not in latest or doc["issued_at"] >= latest[doc["code"]]["issued_at"]:
            latest[doc["code"]] = doc
    return {code: Path(doc["file"]) for code, doc in latest.items()}


def known_figures(fields: dict[str, Any]) -> dict[str, str]:
    """The budget figures a roster gave (万元, two decimals): 年初预算数 and 全年预算数 as
    the sum of the fund rows it filled; empty when it gave none."""
    out = {}
    for column, name in (("initial", "budget_initial"), ("adjusted", "budget_adjusted")):
        total = fields.get(f"fund_total_{column}")
        parts = [
            v
            for k, v in fields.items()
            if k.startswith("fund_") and k.endswith(f"_{column}") and k != f"fund_total_{column}"
            and isinstance(v, int | float) and not isinstance(v, bool)
        ]  # fmt: skip
        value = total if isinstance(total, int | float) else (sum(parts) if parts else None)
        out[name] = f"{value:.2f}" if value is not None else ""
    return out


def _context(campaign: Campaign, doc: dict[str, Any], unit_label: str) -> dict[str, Any]:
    fields = dict(doc.get("fields") or {})
    year = fields.get("year") or campaign.config.get("year") or ""
    return {
        **{k: v for k, v in fields.items() if isinstance(k, str) and k.isidentifier()},
        **known_figures(fields),
        "department": doc["department"],
        "code": doc["code"],
        "year": year,
        "unit_label": unit_label,
        "title": campaign.config.get("title") or "",
    }


def render_report(template: Path, context: dict[str, Any], meta: dict[str, str]) -> bytes:
    """The template filled (text autoescaped: a name with & or < stays text) and signed."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(template))
    tpl.render(context, autoescape=True)
    buffer = io.BytesIO()
    tpl.save(buffer)
    return with_custom_properties(buffer.getvalue(), meta)


def issue_reports(
    campaign: Campaign,
    key: bytes,
    departments: list[str] | None = None,
    *,
    force: bool = False,
) -> list[Path]:
    """Issue the report template to each department (``departments``: these codes; all
    but the exempt by default) beside its form in issued/; returns the files written.
    An existing report is kept unless ``force``."""
    kind = report_kind(_dept_kind(campaign))
    template = campaign_template(campaign)
    docs = campaign.departments()
    if departments is not None:
        unknown = sorted(set(departments) - {d["code"] for d in docs})
        if unknown:
            raise XltoolError(
                f"部门编码不在本批次名单中：{'、'.join(unknown)}",
                f"not in this campaign: {', '.join(unknown)}",
            )
        docs = [d for d in docs if d["code"] in departments]
    else:
        docs = [d for d in docs if not d.get("exempt_reason")]
    forms = _form_files(campaign)
    unit = "部门" if kind.name == "department" else "单位"
    written = []
    for doc in docs:
        form = forms.get(doc["code"]) or Path(safe_stem(f"{doc['code']}-{doc['department']}"))
        target = campaign.issued_dir / form.parent / f"{form.stem}-{kind.title}.docx"
        if target.exists() and not force:
            continue
        context = _context(campaign, doc, unit)
        issued_at = now_iso()
        meta = report_metadata(
            form_kind=_dept_kind(campaign), code=doc["code"],
            department=doc["department"], year=context["year"], issued_at=issued_at, key=key,
        )  # fmt: skip
        data = render_report(template, context, meta)
        write_atomic(target, lambda h, data=data: h.write(data), force)
        _register(campaign, doc, meta, target, data)
        written.append(target)
    return written


def _register(
    campaign: Campaign, doc: dict[str, Any], meta: dict[str, str], target: Path, data: bytes
) -> None:
    entry = {
        "kind": "report",
        "form_kind": meta["form_kind"],
        "code": doc["code"],
        "department": doc["department"],
        "issue_id": meta["issue_id"],
        "issued_at": meta["issued_at"],
        "file": target.relative_to(campaign.issued_dir).as_posix(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    with open(campaign.issued_dir / REGISTRY, "a", encoding="utf-8") as registry:
        registry.write(line)
