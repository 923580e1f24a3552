"""Run by LibreOffice's Python (python3-uno): open a workbook in a real, headless
LibreOffice, apply edits through the UNO API, recalculate, save as .xlsx, and print
the values LibreOffice calculated for every defined name as one JSON line.

    python3 uno_script.py SOFFICE PROFILE_URL --batch JOBS_JSON_FILE

A batch is a list of {"src", "dst", "actions", "filter"?} done in one LibreOffice session
(filter "MS Excel 97" saves an .xls); it prints one JSON list of the values.

Actions: {"op": "unprotect"}, {"op": "insert_rows", "row": 16, "count": 1} (1-based,
inserted before that row), {"op": "delete_rows", "row": 16, "count": 1}, {"op": "set", "cell": "D16", "value": 3 or "text"},
{"op": "clear", "cell": "I41"}.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def edit(desktop, src, dst, actions, filter_name=None):
    """Open SRC, apply ACTIONS, recalculate, save DST; the values of every defined name."""
    doc = None
    for _ in range(20):  # a freshly started office may not load at once
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, (prop("Hidden", True),)
        )
        if doc is not None:
            break
        time.sleep(0.5)
    if doc is None:
        raise SystemExit("LibreOffice could not open " + src)
    sheet = doc.Sheets.getByIndex(0)
    for action in actions:
        op = ACTIONS.get(action["op"])
        if op is None:
            raise SystemExit("unknown action " + action["op"])
        op(sheet, action)
    doc.calculateAll()
    names = doc.NamedRanges
    values = {name: named_value(names.getByName(name)) for name in names.ElementNames}
    doc.storeToURL(
        uno.systemPathToFileUrl(os.path.abspath(dst)),
        (prop("FilterName", filter_name or "Calc MS Excel 2007 XML"),),
    )
    doc.close(True)
    return {name: value for name, value in values.items() if value is not _NO_CELLS}


def _set(sheet, action):
    cell = sheet.getCellRangeByName(action["cell"])
    if isinstance(action["value"], str):
        cell.setString(action["value"])
    else:
        cell.setValue(action["value"])


ACTIONS = {
    "unprotect": lambda sheet, a: sheet.unprotect(a.get("password", "")),
    "insert_rows": lambda sheet, a: sheet.Rows.insertByIndex(a["row"] - 1, a.get("count", 1)),
    "delete_rows": lambda sheet, a: sheet.Rows.removeByIndex(a["row"] - 1, a.get("count", 1)),
    "set": _set,
    "clear": lambda sheet, a: sheet.getCellRangeByName(a["cell"]).setString(""),
}

_NO_CELLS = object()


def named_value(named):
    """A defined name's value as LibreOffice computed it; a range gives its rows."""
    cells = named.getReferredCells()
    if cells is None:
        return _NO_CELLS
    addr = cells.getRangeAddress()
    if addr.StartRow != addr.EndRow or addr.StartColumn != addr.EndColumn:
        return {"rows": [addr.StartRow + 1, addr.EndRow + 1]}
    cell = cells.getCellByPosition(0, 0)
    kind = cell.getType().value  # EMPTY, VALUE, TEXT, FORMULA
    if kind == "FORMULA":
        # com.sun.star.sheet.FormulaResult: VALUE 1, STRING 2, ERROR 4
        return cell.getString() if cell.FormulaResultType2 == 2 else cell.getValue()
    if kind == "VALUE":
        return cell.getValue()
    if kind == "TEXT":
        return cell.getString()
    return None


def main():
    soffice, profile, flag, jobs_file = sys.argv[1:5]
    assert flag == "--batch", "usage: uno_script.py SOFFICE PROFILE_URL --batch JOBS_JSON_FILE"
    pipe = "xltool_" + uuid.uuid4().hex[:12]
    proc = subprocess.Popen(
        [
            soffice,
            "-env:UserInstallation=" + profile,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        ctx = None
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        if ctx is None:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        with open(jobs_file, encoding="utf-8") as f:
            jobs = json.load(f)
        out = [edit(desktop, j["src"], j["dst"], j["actions"], j.get("filter")) for j in jobs]
        print(json.dumps(out, ensure_ascii=False))
    finally:
        with contextlib.suppress(Exception):
            desktop.terminate()
        try:
            proc.wait(timeout=20)
        except Exception:
            proc.kill()


main()
