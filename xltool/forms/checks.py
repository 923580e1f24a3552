"""Checks: each family holds both faces of one rule about a filled form.

The Excel face (optional) is what the issued workbook does about it while the filer
types: a cell turns red, a value outside its range is refused. The Python face is the
finding :mod:`xltool.checking.verify` reports when the returned file still breaks it. Each family
declares the finding codes it can emit; a family is ``always`` on, or the spec names it
under ``checks:`` with its parameters (``type: require_when_below``, …).

Adding a family is one class in checks_named.py (plus its spec entry). See docs/forms.md, "Adding a check".
"""

from __future__ import annotations

from xltool.forms import checks_cells, checks_indicators, checks_named  # noqa: F401 (registers)
from xltool.forms.check_base import (
    AMBER_FILL,
    FAMILIES,
    RED_FILL,
    TOLERANCE,
    Check,
    ExcelFace,
    Facts,
    build,
    checks_for,
    same,
)
from xltool.forms.checks_named import OverTarget, measured

__all__ = [
    "AMBER_FILL",
    "FAMILIES",
    "RED_FILL",
    "TOLERANCE",
    "Check",
    "ExcelFace",
    "Facts",
    "OverTarget",
    "build",
    "checks_for",
    "measured",
    "same",
]
