"""xltool: issue Excel self-evaluation forms and verify the filled copies that come back.

The library API: every operation the command line offers is one function here that
returns data (results, not printed text); the ``xltool`` command and any other face are
thin layers over them. Names are imported on first use, so ``import xltool`` stays cheap.
See docs/api.md.

    import xltool
    spec = xltool.load_builtin("dept-overall")
    results = xltool.verify_paths([Path("回收/商务局.xlsx")], spec=spec)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name → the module of its stage that defines it
API = {
    # a form kind: describe and issue
    "Spec": "xltool.forms.spec",
    "FormData": "xltool.forms.model",
    "load_builtin": "xltool.forms.kinds",
    "load_spec": "xltool.forms.kinds",
    "spec_errors": "xltool.forms.kinds",
    "builtin_kinds": "xltool.forms.kinds",
    "write_form": "xltool.forms.write",
    "plan_forms": "xltool.round.issue",
    "issue_forms": "xltool.round.issue",
    # a returned file: read, check, repair, import, export
    "collect_paths": "xltool.checking.verify",
    "verify_file": "xltool.checking.verify",
    "verify_paths": "xltool.checking.verify",
    "FileResult": "xltool.checking.result",
    "report_json": "xltool.checking.result",
    "Finding": "xltool.findings",
    "CATALOGUE": "xltool.findings",
    "repair": "xltool.checking.repair",
    "repair_bounded": "xltool.checking.repair",
    "export_document": "xltool.render.export",
    "csv_tables": "xltool.render.export",
    "form_schema": "xltool.render.export",
    "roll_up_files": "xltool.render.rollup",
    "roll_up_campaign": "xltool.render.rollup",
    # the round
    "Campaign": "xltool.round.folder",
    "init": "xltool.round.campaign",
    "add": "xltool.round.campaign",
    "reissue": "xltool.round.campaign",
    "exempt": "xltool.round.campaign",
    "rebuild": "xltool.round.rebuild",
    "open_ledger": "xltool.round.rebuild",
    "collect": "xltool.round.collect",
    "assign": "xltool.round.assign",
    "FormRef": "xltool.round.formset",
    "read_projects": "xltool.round.projects",
    "campaign_status": "xltool.round.status",
    "take_in": "xltool.mail.round",
    "send": "xltool.mail.round",
    "remind": "xltool.mail.round",
    # the web console and the department pages (xltool serve)
    "create_app": "xltool.web.app",
    "serve_app": "xltool.web.server",
    "portal_links": "xltool.round.portal",
    "revoke_link": "xltool.round.portal",
    # reports and results: the department's report, the summary report, 抽查复核, publication
    "issue_reports": "xltool.round.reports_issue",
    "read_report": "xltool.reading.report_docx",
    "check_report": "xltool.checking.report_check",
    "take_report": "xltool.round.reports_intake",
    "current_reports": "xltool.round.reports_intake",
    "report_data": "xltool.render.report",
    "write_report": "xltool.render.report",
    "recheck_sample": "xltool.round.recheck",
    "take_recheck": "xltool.round.recheck_status",
    "recheck_status": "xltool.round.recheck_status",
    "publish": "xltool.render.publish",
    # errors every call may raise
    "XltoolError": "xltool.errors",
    "SpecError": "xltool.errors",
    "InputError": "xltool.errors",
}

__all__ = ["__version__", *API]


def __getattr__(name: str) -> Any:
    if name not in API:
        raise AttributeError(f"module 'xltool' has no attribute {name!r}")
    value = getattr(import_module(API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
